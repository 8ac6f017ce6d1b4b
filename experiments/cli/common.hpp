// The posenc tool's shared machinery: errors and exit statuses, number parsing and printing at every
// precision, list and range specifications, sharding, threads, progress, interruption and atomic
// CSV output. Each subcommand lives in its own source file and registers itself with
// `posenc_cli::registry`.
#pragma once

#include <posenc/encodings/rope.hpp>
#include <posenc/kernels/thread_pool.hpp>
#include <posenc/math.hpp>
#include <posenc/math/double_t.hpp>

#include <CLI/CLI.hpp>
#include <boost/multiprecision/cpp_bin_float.hpp>
#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#ifndef POSENC_VERSION
#error "POSENC_VERSION must be defined by the build (see experiments/CMakeLists.txt)"
#endif

namespace posenc_cli {

namespace mp = boost::multiprecision;

inline constexpr int exit_io_error = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_validation_failed = 3;  // posenc validate: a kernel exceeded its bound
inline constexpr int exit_interrupted = 130;  // 128 + SIGINT, as shells report it

/// A problem with the command line: reported with the argument it concerns, exit status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A problem reading or writing files: exit status 1.
struct io_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The run was interrupted (SIGINT, SIGTERM): nothing was written, exit status 130.
struct interrupted_error : std::runtime_error {
    interrupted_error() : std::runtime_error("interrupted; no output written") {}
};

// ----------------------------------------------------------------------------------------------
// Subcommands
// ----------------------------------------------------------------------------------------------

/// What main needs from a subcommand: its CLI11 app and the function that runs it once parsed.
struct subcommand {
    CLI::App* app;
    std::function<int(std::string_view command_line)> run;
};

using registry = std::vector<subcommand>;

void register_eval(CLI::App& app, registry& r);
void register_freqs(CLI::App& app, registry& r);
void register_decay(CLI::App& app, registry& r);
void register_context(CLI::App& app, registry& r);  // context and min-base
void register_precision(CLI::App& app, registry& r);
void register_validate(CLI::App& app, registry& r);
void register_bench(CLI::App& app, registry& r);
void register_inspect(CLI::App& app, registry& r);
void register_check(CLI::App& app, registry& r);

// ----------------------------------------------------------------------------------------------
// Precisions
// ----------------------------------------------------------------------------------------------

#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
inline constexpr bool have_float128 = true;
#else
inline constexpr bool have_float128 = false;
#endif

/// The --precision values every numeric subcommand accepts.
inline const std::vector<std::string>& precision_names() {
    static const std::vector<std::string> names{"float", "double", "long-double", "float128", "50", "100"};
    return names;
}

inline constexpr std::string_view precision_help =
    "float, double, long-double, float128 (g++ builds), 50 or 100 (decimal digits: Boost cpp_bin_float_50/100)";

template <class T>
struct type_tag {
    using type = T;
};

/// Calls f(type_tag<T>{}, type_name) for the number type of `precision`; throws usage_error for an
/// unknown precision or float128 in a build without it.
template <class F>
decltype(auto) with_precision(std::string_view precision, F&& f) {
    if (precision == "float") return f(type_tag<float>{}, std::string_view("float"));
    if (precision == "double") return f(type_tag<double>{}, std::string_view("double"));
    if (precision == "long-double") return f(type_tag<long double>{}, std::string_view("long double"));
    if (precision == "float128") {
#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
        return f(type_tag<__float128>{}, std::string_view("__float128"));
#else
        throw usage_error("--precision: float128 needs a build with GCC's __float128 (this tool was built without it)");
#endif
    }
    if (precision == "50") return f(type_tag<mp::cpp_bin_float_50>{}, std::string_view("boost::multiprecision::cpp_bin_float_50"));
    if (precision == "100") return f(type_tag<mp::cpp_bin_float_100>{}, std::string_view("boost::multiprecision::cpp_bin_float_100"));
    throw usage_error(fmt::format("--precision: unknown precision '{}' (expected {})", precision, precision_help));
}

/// True for GCC's __float128 (which std::is_floating_point also accepts in GNU modes).
template <class T>
inline constexpr bool is_float128 =
#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
    std::is_same_v<T, __float128>;
#else
    false;
#endif

/// float, double, long double.
template <class T>
inline constexpr bool is_native = std::is_floating_point_v<T> && !is_float128<T>;

/// Significand bits of T.
template <class T>
inline constexpr int significand_bits = posenc::real_traits<T>::digits;

// ----------------------------------------------------------------------------------------------
// Numbers: parsing and printing
// ----------------------------------------------------------------------------------------------

std::string_view trim(std::string_view s);

/// Comma-separated items (trimmed, none empty), errors naming `option`.
std::vector<std::string> split_list(std::string_view whole, std::string_view option);

/// True for a decimal number [+-](digits[.digits]|.digits)[e[+-]digits], or inf/infinity/nan.
bool is_decimal(std::string_view s);
bool is_special(std::string_view s);
bool has_nonzero_digit(std::string_view s);
/// True for a decimal number whose exponent has more than 9 significant digits (|e| >= 10^9): its
/// value overflows or underflows every type (cpp_bin_float_50/100 reach 10^(+-6.46e8)),
/// and Boost 1.81's cpp_bin_float text parser overflows a signed integer reading such an exponent
/// (undefined behaviour, found by fuzz_cli), so parse_number decides these without it.
bool huge_exponent(std::string_view s);

#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
/// `text` rounded to nearest binary128 (MPFR at 113 bits; correctly rounded except for results in
/// binary128's subnormal range, below 2^-16382, which are rounded twice); throws usage_error naming
/// `option` when it is not a number.
__float128 parse_binary128(const std::string& text, std::string_view option);
/// 36 significant digits (binary128's max_digits10), scientific notation.
std::string binary128_text(__float128 v);
#endif

/// Parses one decimal number, rounded to nearest in T; errors name `option` and `precision`.
template <class T>
T parse_number(const std::string& text, std::string_view precision, std::string_view option) {
    const bool special = is_special(text);
    if (!special && !is_decimal(text)) {
        throw usage_error(fmt::format("{}: '{}' is not a decimal number", option, text));
    }
    const auto out_of_range = [&] {
        return usage_error(fmt::format("{}: '{}' is out of range at precision {}", option, text, precision));
    };
    if constexpr (is_native<T>) {
        std::string_view s = text;
        if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // from_chars takes no '+'
        T value{};
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec == std::errc::result_out_of_range) throw out_of_range();
        if (ec != std::errc{} || end != s.data() + s.size()) {
            throw usage_error(fmt::format("{}: '{}' is not a decimal number", option, text));
        }
        return value;
    } else if constexpr (!is_float128<T>) {
        if (!special && huge_exponent(text)) {
            if (has_nonzero_digit(text)) throw out_of_range();
            return text.front() == '-' ? -T(0) : T(0);
        }
        T value;
        try {
            value = T(text);
        } catch (const std::exception&) {
            throw usage_error(fmt::format("{}: '{}' is not a decimal number", option, text));
        }
        if (!special && (mp::isinf(value) || (value == 0 && has_nonzero_digit(text)))) throw out_of_range();
        if (!special && value == 0 && text.front() == '-') value = -value;  // keep the sign of -0
        return value;
    } else {
#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
        const T value = parse_binary128(text, option);
        if (!special && (!posenc::math::is_finite(value) || (value == T(0) && has_nonzero_digit(text)))) {
            throw out_of_range();
        }
        return value;
#endif
    }
}

/// Every digit T carries: max_digits10 significant digits for the native types and __float128
/// (36), Boost's str(0, scientific) for the multiprecision types (all their digits).
template <class T>
std::string to_text(const T& v) {
    if constexpr (is_native<T>) {
        return fmt::format("{:.{}e}", v, std::numeric_limits<T>::max_digits10 - 1);
    } else if constexpr (!is_float128<T>) {
        std::string s = v.str(0, std::ios_base::scientific);
        if (v == 0 && mp::signbit(v) && (s.empty() || s.front() != '-')) s.insert(0, "-");
        return s;
    } else {
#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
        return binary128_text(v);
#endif
    }
}

/// Appends to_text(v) to `buf` (for the native types without a temporary string).
template <class T>
void append_text(fmt::memory_buffer& buf, const T& v) {
    if constexpr (is_native<T>) {
        // the same text as to_text (correctly rounded, max_digits10 significant digits); std::to_chars
        // is the faster route for the million-row CSVs of posenc decay
        char tmp[64];
        const auto r = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::scientific,
                                     std::numeric_limits<T>::max_digits10 - 1);
        buf.append(tmp, r.ptr);
    } else {
        const std::string s = to_text(v);
        buf.append(s.data(), s.data() + s.size());
    }
}

/// The printed type name's significand width, for metadata.
template <class T>
std::string precision_metadata(std::string_view precision, std::string_view type_name) {
    return fmt::format("# precision: {}\n# type: {}\n# significand_bits: {}\n", precision, type_name, significand_bits<T>);
}

// ----------------------------------------------------------------------------------------------
// Index specifications (distances, positions) and sharding
// ----------------------------------------------------------------------------------------------

/// The largest number of values a specification may expand to.
inline constexpr long long max_spec_values = 100'000'000;

/// Expands a comma list of items, each an integer, `a:b` (a to b inclusive, step 1), `a:b:step`
/// (a, a + step, ... <= b) or `log:a:b:n` (n values a (b/a)^(k/(n-1)), k = 0 .. n-1, rounded to the
/// nearest integer, duplicates removed, so possibly fewer than n; 1 <= a <= b). Values keep the
/// order written; every value lies in [min_value, max_value]; at most max_values of them (checked
/// before any is made). Errors name `option`.
std::vector<long long> parse_index_spec(std::string_view text, std::string_view option, long long min_value,
                                        long long max_value, long long max_values = max_spec_values);

/// --shard i/N: 0 <= i < N.
struct shard {
    long long index = 0;
    long long count = 1;
    /// The rows [begin, end) of n that this shard writes: contiguous blocks, in order, so the N
    /// outputs concatenate (headers aside) to the unsharded one.
    [[nodiscard]] std::pair<std::size_t, std::size_t> range(std::size_t n) const;
    [[nodiscard]] std::string text() const { return fmt::format("{}/{}", index, count); }
};

shard parse_shard(std::string_view text);

/// A kernel benchmark's tensor shape, --shapes TOKENSxHEADSxHEAD_DIM.
struct tensor_shape {
    int tokens = 0;
    int heads = 0;
    int head_dim = 0;
    [[nodiscard]] std::string text() const { return fmt::format("{}x{}x{}", tokens, heads, head_dim); }
};

/// TOKENSxHEADSxHEAD_DIM with tokens in [1, 2^24], heads in [1, 4096], an even head_dim in
/// [2, 65536] and at most 2^30 floats per tensor; usage_error naming --shapes otherwise.
tensor_shape parse_tensor_shape(std::string_view text);

// ----------------------------------------------------------------------------------------------
// Threads, progress, interruption
// ----------------------------------------------------------------------------------------------

/// Installs SIGINT/SIGTERM handlers that only set a flag, and ignores SIGXFSZ so that a file-size
/// limit fails the write instead of killing the process (idempotent). SIGPIPE keeps its default: a
/// reader that closes standard output early (`posenc decay ... | head`) ends the run at once and
/// silently, as for any Unix filter.
void install_interrupt_handlers();
/// True once SIGINT or SIGTERM arrived.
bool interrupted();
/// Throws interrupted_error when interrupted().
void check_interrupted();

/// A progress bar on stderr: shown only when stderr is a terminal, not --quiet, and the run has
/// lasted over a second. Thread-safe; `advance` is cheap.
class progress {
public:
    progress(std::string label, long long total, bool quiet);
    ~progress();
    progress(const progress&) = delete;
    progress& operator=(const progress&) = delete;
    void advance(long long n = 1);

private:
    void draw(long long done);
    std::string label_;
    long long total_;
    bool enabled_;
    std::atomic<long long> done_{0};
    std::atomic<long long> next_draw_ns_{0};
    long long start_ns_;
    std::atomic<bool> drawn_{false};
};

/// Number of worker threads: `requested` if > 0, else the hardware concurrency (at least 1).
unsigned thread_count(int requested);

/// The memory this process may use, in bytes: the machine's physical memory (sysconf), or the
/// cgroup v2 limit (/sys/fs/cgroup/memory.max) when that is smaller.
[[nodiscard]] double machine_memory();

/// What a run will hold at its peak, estimated from its options before anything large is
/// allocated: the sum of the parts added (each `count` objects of `bytes_each` bytes: `what`,
/// sized by `options`). check() refuses a run (usage_error: exit 2) whose estimate exceeds
/// machine_memory(), naming the options of the largest part first, then the estimate and every
/// part, largest first. Counts are doubles: a product of option values cannot overflow.
class memory_estimate {
public:
    memory_estimate& add(std::string options, std::string what, double count, double bytes_each);
    [[nodiscard]] double total() const;
    /// The refusal message for a machine of `available` bytes; empty if the run fits.
    [[nodiscard]] std::string refusal(double available) const;
    void check() const;

private:
    struct part {
        std::string options, what;
        double bytes;
    };
    std::vector<part> parts_;
};

/// Runs body(i) for i in [0, n) on `pool` (posenc::kernels::thread_pool::for_each): blocks of
/// `grain` consecutive indices handed out in increasing order; stops early (and rethrows) on an
/// exception; checks interruption between blocks and throws interrupted_error after an interrupt.
/// body must only write state owned by index i, so results do not depend on the number of threads.
void parallel_for(posenc::kernels::thread_pool& pool, std::size_t n, std::size_t grain,
                  const std::function<void(std::size_t)>& body);
/// The same on a pool of min(threads, blocks) threads made for this call.
void parallel_for(std::size_t n, unsigned threads, std::size_t grain, const std::function<void(std::size_t)>& body);

// ----------------------------------------------------------------------------------------------
// Output
// ----------------------------------------------------------------------------------------------

/// --target NAME: the float32 kernels' vector target, "best" or one this CPU runs (any case;
/// posenc::kernels::available_targets); anything else is refused naming the option and the valid names.
void add_target_option(CLI::App* cmd, std::string& target);

/// The argument as a POSIX shell would need it quoted.
std::string shell_quote(std::string_view arg);

/// Where a CSV goes: standard output, or a file written atomically. For a file, a temporary file
/// in the same directory receives the pieces as they are written; commit() flushes it, fsyncs it
/// and renames it over the target (SIGINT/SIGTERM held back during the rename). If commit() is
/// never reached (an error, an interrupt), the destructor removes the temporary file, so the
/// target is either untouched or complete. Errors are io_error naming --out.
class csv_output {
public:
    explicit csv_output(const std::string& out);  // empty: standard output
    ~csv_output();
    csv_output(const csv_output&) = delete;
    csv_output& operator=(const csv_output&) = delete;
    void write(std::string_view piece);
    void commit();

private:
    std::string out_;
    std::string tmp_path_;
    std::FILE* file_ = nullptr;
    long long written_ = 0;
    long long synced_ = 0;
    bool committed_ = false;
};

/// Collects the pieces of a CSV that worker threads produce in any order (piece i from the i-th
/// block of rows) and writes them to a csv_output in index order as soon as each is complete, so a
/// long run neither holds its whole output in memory nor waits for the disk at the end.
class ordered_writer {
public:
    ordered_writer(csv_output& out, std::size_t pieces) : out_(out), pending_(pieces), ready_(pieces, 0) {}
    /// Thread-safe. Piece `index` is written at once if every earlier one has been, else copied
    /// and kept until they have.
    void submit(std::size_t index, std::string_view piece);

private:
    csv_output& out_;
    std::mutex mutex_;
    std::vector<std::string> pending_;
    std::vector<char> ready_;
    std::size_t next_ = 0;
};

/// Prints the CSV (the concatenation of `pieces`), or writes it atomically to `out` (empty:
/// standard output), through a csv_output.
void emit(const std::vector<std::string>& pieces, const std::string& out);
inline void emit(std::string csv, const std::string& out) { emit(std::vector<std::string>{std::move(csv)}, out); }

/// The first metadata lines every CSV starts with.
std::string metadata_header(std::string_view subcommand, std::string_view command_line);

// ----------------------------------------------------------------------------------------------
// Lists of numbers
// ----------------------------------------------------------------------------------------------

template <class T>
std::vector<T> parse_list(const std::string& text, std::string_view precision, std::string_view option) {
    std::vector<T> values;
    if (text.empty()) return values;
    for (const std::string& item : split_list(text, option)) values.push_back(parse_number<T>(item, precision, option));
    return values;
}

}  // namespace posenc_cli

#include "encoding.hpp"  // IWYU pragma: export
