// The posenc tool's shared machinery (see common.hpp).
#include "common.hpp"

#include <posenc/kernels/dispatch.hpp>

#include <mpfr.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
// MPFR's binary128 conversions; mpfr.h declares them only for C compilers that know _Float128,
// which g++ 12 does not (it is the same type as __float128 on x86-64).
extern "C" {
__float128 mpfr_get_float128(mpfr_srcptr, mpfr_rnd_t);
int mpfr_set_float128(mpfr_ptr, __float128, mpfr_rnd_t);
}
#endif

namespace posenc_cli {

// ----------------------------------------------------------------------------------------------
// Numbers
// ----------------------------------------------------------------------------------------------

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

/// RAII mpfr_t.
class mpfr_number {
public:
    explicit mpfr_number(mpfr_prec_t bits) { mpfr_init2(v_, bits); }
    ~mpfr_number() { mpfr_clear(v_); }
    mpfr_number(const mpfr_number&) = delete;
    mpfr_number& operator=(const mpfr_number&) = delete;
    mpfr_ptr get() { return v_; }

private:
    mpfr_t v_;
};

}  // namespace

bool is_special(std::string_view s) {
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
    return equals_ignoring_case(s, "inf") || equals_ignoring_case(s, "infinity") || equals_ignoring_case(s, "nan");
}

bool is_decimal(std::string_view s) {
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < s.size() && is_digit(s[i])) ++i;
        return i - start;
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t mantissa_digits = digits();
    if (i < s.size() && s[i] == '.') {
        ++i;
        mantissa_digits += digits();
    }
    if (mantissa_digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (digits() == 0) return false;
    }
    return i == s.size();
}

bool has_nonzero_digit(std::string_view s) {
    for (const char c : s) {
        if (c == 'e' || c == 'E') break;
        if (c >= '1' && c <= '9') return true;
    }
    return false;
}

bool huge_exponent(std::string_view s) {
    const std::size_t e = s.find_first_of("eE");
    if (e == std::string_view::npos) return false;
    std::string_view x = s.substr(e + 1);
    if (!x.empty() && (x.front() == '+' || x.front() == '-')) x.remove_prefix(1);
    while (!x.empty() && x.front() == '0') x.remove_prefix(1);
    return x.size() > 9;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string> split_list(const std::string_view whole, std::string_view option) {
    std::vector<std::string> items;
    std::string_view list = whole;
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (item.empty()) throw usage_error(fmt::format("{}: empty entry in the list '{}'", option, whole));
        items.emplace_back(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return items;
}

#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
__float128 parse_binary128(const std::string& text, std::string_view option) {
    mpfr_number x(113);
    std::string s = text;
    if (!s.empty() && s.front() == '+') s.erase(0, 1);
    char* end = nullptr;
    mpfr_strtofr(x.get(), s.c_str(), &end, 10, MPFR_RNDN);
    if (end == nullptr || *end != '\0' || s.empty()) {
        throw usage_error(fmt::format("{}: '{}' is not a decimal number", option, text));
    }
    return mpfr_get_float128(x.get(), MPFR_RNDN);
}

std::string binary128_text(__float128 v) {
    mpfr_number x(113);
    mpfr_set_float128(x.get(), v, MPFR_RNDN);  // exact
    if (mpfr_nan_p(x.get())) return "nan";
    if (mpfr_inf_p(x.get())) return mpfr_signbit(x.get()) ? "-inf" : "inf";
    char buf[128];
    mpfr_snprintf(buf, sizeof buf, "%.35Re", x.get());
    std::string out = buf;
    if (mpfr_zero_p(x.get()) && mpfr_signbit(x.get()) && out.front() != '-') out.insert(0, "-");
    return out;
}
#endif

// ----------------------------------------------------------------------------------------------
// Index specifications and shards
// ----------------------------------------------------------------------------------------------

namespace {

long long parse_integer(std::string_view item, std::string_view whole, std::string_view option) {
    std::string_view s = trim(item);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    long long v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        if (ec == std::errc::result_out_of_range) {
            throw usage_error(fmt::format("{}: '{}' in '{}' is out of range (|value| < 2^63)", option, item, whole));
        }
        throw usage_error(fmt::format("{}: '{}' in '{}' is not an integer", option, item, whole));
    }
    return v;
}

std::vector<std::string_view> split_colons(std::string_view s) {
    std::vector<std::string_view> parts;
    while (true) {
        const std::size_t c = s.find(':');
        parts.push_back(s.substr(0, c));
        if (c == std::string_view::npos) break;
        s.remove_prefix(c + 1);
    }
    return parts;
}

}  // namespace

std::vector<long long> parse_index_spec(std::string_view text, std::string_view option, long long min_value,
                                        long long max_value, long long max_values) {
    std::vector<long long> values;
    const auto check = [&](long long v, std::string_view item) {
        if (v < min_value || v > max_value) {
            throw usage_error(
                fmt::format("{}: {} (from '{}') is out of range: values must lie in [{}, {}]", option, v, item, min_value, max_value));
        }
    };
    const auto push = [&](long long v, std::string_view item) {
        check(v, item);
        if (static_cast<long long>(values.size()) >= max_values) {
            throw usage_error(fmt::format("{}: '{}' expands to more than {} values", option, text, max_values));
        }
        values.push_back(v);
    };
    for (const std::string& item_s : split_list(text, option)) {
        const std::string_view item = item_s;
        std::vector<std::string_view> parts = split_colons(item);
        if (parts.size() == 1) {
            push(parse_integer(parts[0], item, option), item);
        } else if (parts[0] == "log") {
            if (parts.size() != 4) {
                throw usage_error(fmt::format("{}: '{}': a log range is log:a:b:n", option, item));
            }
            const long long a = parse_integer(parts[1], item, option);
            const long long b = parse_integer(parts[2], item, option);
            const long long n = parse_integer(parts[3], item, option);
            if (a < 1 || b < a) throw usage_error(fmt::format("{}: '{}': log:a:b:n needs 1 <= a <= b", option, item));
            if (n < 2 || n > max_values) {
                throw usage_error(fmt::format("{}: '{}': log:a:b:n needs 2 <= n <= {}", option, item, max_values));
            }
            check(a, item);
            check(b, item);
            // a (b/a)^(k/(n-1)), rounded to nearest (long double: exact enough for integers < 2^63
            // to round correctly except within 1e-19 relative of a half-integer).
            const long double la = std::log(static_cast<long double>(a));
            const long double lb = std::log(static_cast<long double>(b));
            long long last = -1;
            for (long long k = 0; k < n; ++k) {
                long long v = 0;
                if (k == 0) {
                    v = a;
                } else if (k == n - 1) {
                    v = b;
                } else {
                    const long double t = static_cast<long double>(k) / static_cast<long double>(n - 1);
                    v = std::llround(std::exp(la + (lb - la) * t));
                    v = std::clamp(v, a, b);
                }
                if (v != last) push(v, item);
                last = v;
            }
        } else {
            if (parts.size() > 3) {
                throw usage_error(fmt::format("{}: '{}': a range is a:b or a:b:step", option, item));
            }
            const long long a = parse_integer(parts[0], item, option);
            const long long b = parse_integer(parts[1], item, option);
            const long long step = parts.size() == 3 ? parse_integer(parts[2], item, option) : 1;
            if (step < 1) throw usage_error(fmt::format("{}: '{}': the step must be >= 1", option, item));
            if (b < a) throw usage_error(fmt::format("{}: '{}': a range a:b needs a <= b", option, item));
            check(a, item);
            check(b, item);
            if ((b - a) / step + 1 + static_cast<long long>(values.size()) > max_values) {
                throw usage_error(fmt::format("{}: '{}' expands to more than {} values", option, text, max_values));
            }
            values.reserve(values.size() + static_cast<std::size_t>((b - a) / step + 1));
            for (long long v = a;; v += step) {
                values.push_back(v);
                if (b - v < step) break;
            }
        }
    }
    return values;
}

std::pair<std::size_t, std::size_t> shard::range(std::size_t n) const {
    const auto c = static_cast<std::size_t>(count);
    const auto at = [&](long long k) {
        // floor(k n / count) = k q + floor(k r / count) with n = q count + r; k r < count^2 <= 10^12
        const auto kk = static_cast<std::size_t>(k);
        return kk * (n / c) + kk * (n % c) / c;
    };
    return {at(index), at(index + 1)};
}

shard parse_shard(std::string_view text) {
    const std::size_t slash = text.find('/');
    const auto bad = [&] {
        return usage_error(fmt::format("--shard: '{}' is not i/N with integers 0 <= i < N (e.g. 0/4 ... 3/4)", text));
    };
    if (slash == std::string_view::npos) throw bad();
    shard s;
    const std::string_view a = text.substr(0, slash);
    const std::string_view b = text.substr(slash + 1);
    auto r1 = std::from_chars(a.data(), a.data() + a.size(), s.index);
    auto r2 = std::from_chars(b.data(), b.data() + b.size(), s.count);
    if (a.empty() || b.empty() || r1.ec != std::errc{} || r1.ptr != a.data() + a.size() || r2.ec != std::errc{} ||
        r2.ptr != b.data() + b.size() || s.count < 1 || s.index < 0 || s.index >= s.count || s.count > 1'000'000) {
        throw bad();
    }
    return s;
}

// ----------------------------------------------------------------------------------------------
// Interruption, progress, threads
// ----------------------------------------------------------------------------------------------

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) { g_interrupted = 1; }

long long now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // A file-size limit (ulimit -f) reached while writing --out: without this, SIGXFSZ would end the
    // process at once, leaving its temporary file; ignored, the write fails with EFBIG, which the
    // output path reports as an I/O error (exit 1) after removing the temporary file, as it does
    // for a full disk (ENOSPC).
    std::signal(SIGXFSZ, SIG_IGN);
}

bool interrupted() { return g_interrupted != 0; }

void check_interrupted() {
    if (interrupted()) throw interrupted_error();
}

progress::progress(std::string label, long long total, bool quiet)
    : label_(std::move(label)), total_(total), enabled_(!quiet && total > 0 && ::isatty(STDERR_FILENO) == 1),
      start_ns_(now_ns()) {
    next_draw_ns_ = start_ns_ + 1'000'000'000LL;  // nothing for the first second
}

progress::~progress() {
    if (drawn_.load()) {
        draw(done_.load());
        std::fputc('\n', stderr);
    }
}

void progress::advance(long long n) {
    const long long done = done_.fetch_add(n, std::memory_order_relaxed) + n;
    if (!enabled_) return;
    const long long t = now_ns();
    long long next = next_draw_ns_.load(std::memory_order_relaxed);
    if (t < next) return;
    if (!next_draw_ns_.compare_exchange_strong(next, t + 200'000'000LL)) return;  // one drawer at a time
    draw(done);
}

void progress::draw(long long done) {
    if (!enabled_) return;
    drawn_ = true;
    const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 1.0;
    const double elapsed = static_cast<double>(now_ns() - start_ns_) * 1e-9;
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(static_cast<std::size_t>(width), '.');
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
    fmt::print(stderr, "\r{} [{}] {:5.1f}% {}/{} {:.0f}s elapsed, ~{:.0f}s left ", label_, bar, 100 * frac, done, total_,
               elapsed, eta);
    std::fflush(stderr);
}

unsigned thread_count(int requested) {
    if (requested > 0) return static_cast<unsigned>(requested);
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1u : hw;
}

double machine_memory() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page = sysconf(_SC_PAGE_SIZE);
    double bytes = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0;
    if (std::FILE* f = std::fopen("/sys/fs/cgroup/memory.max", "r")) {  // "max" when unlimited
        unsigned long long limit = 0;
        if (std::fscanf(f, "%llu", &limit) == 1 && limit > 0 && (bytes == 0 || static_cast<double>(limit) < bytes)) {
            bytes = static_cast<double>(limit);
        }
        std::fclose(f);
    }
    return bytes > 0 ? bytes : std::numeric_limits<double>::infinity();
}

namespace {
std::string binary_size(double bytes) {
    static constexpr std::array<const char*, 6> unit{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    std::size_t u = 0;
    while (bytes >= 1024 && u + 1 < unit.size()) {
        bytes /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, unit[u]);
}
}  // namespace

memory_estimate& memory_estimate::add(std::string options, std::string what, double count, double bytes_each) {
    parts_.push_back({std::move(options), fmt::format("{} ({:.4g} x {} B)", what, count, bytes_each), count * bytes_each});
    return *this;
}

double memory_estimate::total() const {
    double sum = 0;
    for (const part& p : parts_) sum += p.bytes;
    return sum;
}

std::string memory_estimate::refusal(double available) const {
    const double need = total();
    if (parts_.empty() || !(need > available)) return {};
    auto parts = parts_;
    std::stable_sort(parts.begin(), parts.end(), [](const part& a, const part& b) { return a.bytes > b.bytes; });
    std::string text;
    for (const part& p : parts) text += fmt::format("{}{} [{}]: {}", text.empty() ? "" : "; ", p.what, p.options, binary_size(p.bytes));
    return fmt::format("{}: the run needs an estimated {} of memory, more than the {} this machine has ({})",
                       parts.front().options, binary_size(need), binary_size(available), text);
}

void memory_estimate::check() const {
    const std::string why = refusal(machine_memory());
    if (!why.empty()) throw usage_error(why);
}

void parallel_for(posenc::kernels::thread_pool& pool, std::size_t n, std::size_t grain,
                  const std::function<void(std::size_t)>& body) {
    pool.for_each(n, grain, body, interrupted);
    check_interrupted();
}

void parallel_for(std::size_t n, unsigned threads, std::size_t grain, const std::function<void(std::size_t)>& body) {
    const std::size_t g = std::max<std::size_t>(grain, 1);
    const std::size_t blocks = (n + g - 1) / g;
    posenc::kernels::thread_pool pool(static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, blocks))));
    parallel_for(pool, n, grain, body);
}

// ----------------------------------------------------------------------------------------------
// Output
// ----------------------------------------------------------------------------------------------

std::string shell_quote(std::string_view arg) {
    constexpr std::string_view safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%^";
    if (!arg.empty() && arg.find_first_not_of(safe) == std::string_view::npos) return std::string(arg);
    std::string quoted = "'";
    for (const char c : arg) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    quoted += '\'';
    return quoted;
}

namespace {

/// Blocks SIGINT and SIGTERM for its lifetime (they are delivered, if pending, when it ends).
class signals_held {
public:
    signals_held() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, &old_);
    }
    ~signals_held() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    signals_held(const signals_held&) = delete;
    signals_held& operator=(const signals_held&) = delete;

private:
    sigset_t old_;
};

}  // namespace

csv_output::csv_output(const std::string& out) : out_(out) {
    namespace fs = std::filesystem;
    if (out_.empty()) {
        file_ = stdout;
        return;
    }
    const fs::path target(out_);
    if (target.filename().empty()) throw io_error(fmt::format("--out: '{}' names no file", out_));
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    for (int attempt = 0; file_ == nullptr; ++attempt) {
        tmp_path_ = (dir / fmt::format(".{}.tmp-{}-{}", target.filename().string(), static_cast<long>(::getpid()), attempt)).string();
        file_ = std::fopen(tmp_path_.c_str(), "wx");  // "x": fail rather than reuse an existing file
        if (file_ == nullptr && (errno != EEXIST || attempt >= 100)) {
            throw io_error(fmt::format("--out: cannot create {}: {}", tmp_path_, std::strerror(errno)));
        }
    }
}

csv_output::~csv_output() {
    if (out_.empty() || committed_) return;
    if (file_ != nullptr) std::fclose(file_);
    std::error_code ignored;
    std::filesystem::remove(tmp_path_, ignored);
}

void csv_output::write(std::string_view piece) {
    if (std::fwrite(piece.data(), 1, piece.size(), file_) != piece.size()) {
        if (out_.empty()) throw io_error(fmt::format("cannot write to standard output: {}", std::strerror(errno)));
        throw io_error(fmt::format("--out: cannot write {}: {}", tmp_path_, std::strerror(errno)));
    }
    written_ += static_cast<long long>(piece.size());
#if defined(__linux__)
    // Start the write-back of every 8 MiB as it is written, so that the fsync of commit() has
    // little left to wait for (sync_file_range only queues the pages; durability still comes from
    // fsync).
    constexpr long long sync_every = 8LL << 20;
    if (!out_.empty() && written_ - synced_ >= sync_every) {
        if (std::fflush(file_) != 0) throw io_error(fmt::format("--out: cannot write {}: {}", tmp_path_, std::strerror(errno)));
        ::sync_file_range(::fileno(file_), synced_, written_ - synced_, SYNC_FILE_RANGE_WRITE);  // a hint: failure is harmless
        synced_ = written_;
    }
#endif
}

void csv_output::commit() {
    check_interrupted();
    if (out_.empty()) {
        if (std::fflush(stdout) != 0) throw io_error(fmt::format("cannot write to standard output: {}", std::strerror(errno)));
        committed_ = true;
        return;
    }
    const auto fail = [&](std::string_view what) {
        return io_error(fmt::format("--out: cannot {} {}: {}", what, tmp_path_, std::strerror(errno)));
    };
    if (std::fflush(file_) != 0) throw fail("write");
    if (::fsync(::fileno(file_)) != 0) throw fail("sync");
    std::FILE* f = std::exchange(file_, nullptr);
    if (std::fclose(f) != 0) throw fail("write");

    const signals_held hold;  // an interrupt now waits until the rename is done
    check_interrupted();
    std::error_code ec;
    std::filesystem::rename(tmp_path_, out_, ec);
    if (ec) throw io_error(fmt::format("--out: cannot rename {} to {}: {}", tmp_path_, out_, ec.message()));
    committed_ = true;
}

void ordered_writer::submit(std::size_t index, std::string_view piece) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (index == next_) {
        out_.write(piece);
        ++next_;
    } else {
        pending_[index] = std::string(piece);
        ready_[index] = 1;
    }
    while (next_ < ready_.size() && ready_[next_] != 0) {
        out_.write(pending_[next_]);
        std::string().swap(pending_[next_]);
        ++next_;
    }
}

void emit(const std::vector<std::string>& pieces, const std::string& out) {
    check_interrupted();
    csv_output sink(out);
    for (const std::string& piece : pieces) sink.write(piece);
    sink.commit();
}

tensor_shape parse_tensor_shape(std::string_view text) {
    std::vector<long long> v;
    std::string_view rest = text;
    while (v.size() <= 3) {  // a fourth part is already an error
        const std::size_t x = rest.find('x');
        const std::string_view part = rest.substr(0, x);
        long long n = 0;
        const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
        v.push_back(part.empty() || ec != std::errc{} || p != part.data() + part.size() ? -1 : n);
        if (x == std::string_view::npos) break;
        rest.remove_prefix(x + 1);
    }
    // the product is formed only once each factor is in range (at most 2^24 2^12 2^16 = 2^52)
    if (v.size() != 3 || v[0] < 1 || v[1] < 1 || v[2] < 2 || v[2] % 2 != 0 || v[0] > (1 << 24) || v[1] > 4096 || v[2] > 65536 ||
        v[0] * v[1] * v[2] > (1LL << 30)) {
        throw usage_error(fmt::format("--shapes: '{}' is not TOKENSxHEADSxHEAD_DIM (tokens 1..2^24, heads 1..4096, an even head_dim "
                                      "2..65536, at most 2^30 floats per tensor)",
                                      text));
    }
    return {static_cast<int>(v[0]), static_cast<int>(v[1]), static_cast<int>(v[2])};
}

std::string metadata_header(std::string_view subcommand, std::string_view command_line) {
    return fmt::format("# posenc {}\n# command: {}\n# posenc_version: {}\n", subcommand, command_line, POSENC_VERSION);
}

void add_target_option(CLI::App* cmd, std::string& target) {
    std::vector<std::string> valid = {"best"};
    for (const std::string& t : posenc::kernels::available_targets()) valid.push_back(t);
    cmd->add_option("--target", target,
                    "Vector target of the float32 kernels: best, or one this CPU runs (" + fmt::format("{}", fmt::join(valid, ", ")) +
                        "); every target gives the same bits")
        ->check(CLI::IsMember(valid, CLI::ignore_case))
        ->capture_default_str();
}

}  // namespace posenc_cli
