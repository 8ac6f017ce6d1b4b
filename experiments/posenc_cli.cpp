// posenc: command-line access to posenc's math core and encodings.
//
//   posenc freqs [encoding options] [--precision P] [--out FILE]
//               prints the RoPE frequencies of any variant: CSV pair,theta,wavelength, the attention
//               factor and every parameter (defaults included) in the metadata lines
//
//   posenc eval --function {sin,cos,exp,log,sqrt} --x LIST --precision {float,double,long-double,50,100}
//               [--out FILE]
//
// prints CSV: `#`-prefixed metadata lines (command line, parameters, precision, posenc version),
// then the header `x,value` and one row per input, every number written with all the digits its
// type carries (max_digits10 for the native types, Boost.Multiprecision's str(0, scientific) for
// cpp_bin_float_50/100). With --out the CSV goes to FILE, written atomically (temporary file in
// the same directory, then rename); without it, to standard output.
//
// Exit status: 0 success, 1 input/output error, 2 bad command line (unknown function or
// precision, unparsable or out-of-range number, missing argument).
#include <posenc/encodings/rope.hpp>
#include <posenc/math.hpp>

#include <CLI/CLI.hpp>
#include <boost/multiprecision/cpp_bin_float.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

#ifndef POSENC_VERSION
#error "POSENC_VERSION must be defined by the build (see experiments/CMakeLists.txt)"
#endif

namespace {

namespace mp = boost::multiprecision;

constexpr int exit_io_error = 1;
constexpr int exit_usage = 2;

/// A problem with the command line: reported with the argument it concerns, exit status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A problem reading or writing files: exit status 1.
struct io_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class function { sin, cos, exp, log, sqrt };

function function_from_name(std::string_view name) {
    if (name == "sin") return function::sin;
    if (name == "cos") return function::cos;
    if (name == "exp") return function::exp;
    if (name == "log") return function::log;
    if (name == "sqrt") return function::sqrt;
    throw usage_error(fmt::format("--function: unknown function '{}' (expected sin, cos, exp, log or sqrt)", name));
}

template <class T>
T apply(function f, T x) {
    switch (f) {
        case function::sin: return posenc::math::sin(x);
        case function::cos: return posenc::math::cos(x);
        case function::exp: return posenc::math::exp(x);
        case function::log: return posenc::math::log(x);
        case function::sqrt: return posenc::math::sqrt(x);
    }
    throw std::logic_error("unhandled function");
}

template <class T>
inline constexpr bool is_native = std::is_floating_point_v<T>;

// ----------------------------------------------------------------------------------------------
// Parsing --x
// ----------------------------------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

/// `inf`, `infinity` or `nan` (any case) after an optional sign.
bool is_special(std::string_view s) {
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
    return equals_ignoring_case(s, "inf") || equals_ignoring_case(s, "infinity") || equals_ignoring_case(s, "nan");
}

/// A decimal number: [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits].
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

/// True when the decimal mantissa of `s` has a non-zero digit.
bool has_nonzero_digit(std::string_view s) {
    for (const char c : s) {
        if (c == 'e' || c == 'E') break;
        if (c >= '1' && c <= '9') return true;
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string> split_list(const std::string_view whole, std::string_view option = "--x") {
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

/// Parses one decimal number, rounded to nearest in T.
template <class T>
T parse_number(const std::string& text, std::string_view precision, std::string_view option = "--x") {
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
    } else {
        T value;
        try {
            value = T(text);
        } catch (const std::exception&) {
            throw usage_error(fmt::format("{}: '{}' is not a decimal number", option, text));
        }
        if (!special && (boost::multiprecision::isinf(value) || (value == 0 && has_nonzero_digit(text)))) {
            throw out_of_range();
        }
        if (!special && value == 0 && text.front() == '-') value = -value;  // keep the sign of -0
        return value;
    }
}

// ----------------------------------------------------------------------------------------------
// Printing numbers
// ----------------------------------------------------------------------------------------------

template <class T>
std::string to_text(const T& v) {
    if constexpr (is_native<T>) {
        // max_digits10 significant digits: enough to read back the exact value.
        return fmt::format("{:.{}e}", v, std::numeric_limits<T>::max_digits10 - 1);
    } else {
        std::string s = v.str(0, std::ios_base::scientific);
        if (v == 0 && mp::signbit(v) && (s.empty() || s.front() != '-')) s.insert(0, "-");
        return s;
    }
}

// ----------------------------------------------------------------------------------------------
// Output
// ----------------------------------------------------------------------------------------------

/// The argument as a POSIX shell would need it quoted.
std::string shell_quote(std::string_view arg) {
    constexpr std::string_view safe =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%^";
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

/// Removes a temporary file unless release() was called; closes it if still open.
class temp_file {
public:
    temp_file(std::filesystem::path path, std::FILE* file) : path_(std::move(path)), file_(file) {}
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() {
        if (file_ != nullptr) std::fclose(file_);
        if (!released_) {
            std::error_code ignored;
            std::filesystem::remove(path_, ignored);
        }
    }
    std::FILE* file() const { return file_; }
    const std::filesystem::path& path() const { return path_; }
    /// Closes the file; throws io_error if buffered data could not be written.
    void close() {
        std::FILE* f = std::exchange(file_, nullptr);
        if (std::fclose(f) != 0) {
            throw io_error(fmt::format("--out: cannot write {}: {}", path_.string(), std::strerror(errno)));
        }
    }
    void release() { released_ = true; }

private:
    std::filesystem::path path_;
    std::FILE* file_;
    bool released_ = false;
};

/// Writes `data` to `out` so that readers see either the old file or the complete new one: the
/// data go to a temporary file in the same directory, which is then renamed over `out`. On any
/// error the temporary file is removed and io_error is thrown.
void write_atomically(const std::filesystem::path& out, std::string_view data) {
    namespace fs = std::filesystem;
    if (out.filename().empty()) throw io_error(fmt::format("--out: '{}' names no file", out.string()));
    const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");

    fs::path tmp_path;
    std::FILE* f = nullptr;
    for (int attempt = 0; f == nullptr; ++attempt) {
        tmp_path = dir / fmt::format(".{}.tmp-{}-{}", out.filename().string(), static_cast<long>(::getpid()), attempt);
        f = std::fopen(tmp_path.c_str(), "wx");  // "x": fail rather than reuse an existing file
        if (f == nullptr && (errno != EEXIST || attempt >= 100)) {
            throw io_error(fmt::format("--out: cannot create {}: {}", tmp_path.string(), std::strerror(errno)));
        }
    }
    temp_file tmp(tmp_path, f);

    const auto fail = [&](std::string_view what) {
        return io_error(fmt::format("--out: cannot {} {}: {}", what, tmp.path().string(), std::strerror(errno)));
    };
    if (std::fwrite(data.data(), 1, data.size(), tmp.file()) != data.size()) throw fail("write");
    if (std::fflush(tmp.file()) != 0) throw fail("write");
    if (::fsync(::fileno(tmp.file())) != 0) throw fail("sync");
    tmp.close();

    std::error_code ec;
    fs::rename(tmp.path(), out, ec);
    if (ec) {
        throw io_error(fmt::format("--out: cannot rename {} to {}: {}", tmp.path().string(), out.string(), ec.message()));
    }
    tmp.release();
}

/// Prints the CSV, or writes it atomically to `out`.
void emit(const std::string& csv, const std::string& out) {
    if (out.empty()) {
        fmt::print("{}", csv);
        if (std::fflush(stdout) != 0) throw io_error(fmt::format("cannot write to standard output: {}", std::strerror(errno)));
    } else {
        write_atomically(out, csv);
    }
}

struct eval_options {
    std::string function;
    std::string x;
    std::string precision;
    std::string out;
};

template <class T>
std::string eval_csv(const eval_options& opt, std::string_view command_line, std::string_view type_name) {
    const function f = function_from_name(opt.function);
    const std::vector<std::string> items = split_list(opt.x);
    std::vector<T> xs;
    xs.reserve(items.size());
    for (const std::string& item : items) xs.push_back(parse_number<T>(item, opt.precision));

    fmt::memory_buffer csv;
    const auto out = std::back_inserter(csv);
    fmt::format_to(out, "# posenc eval\n");
    fmt::format_to(out, "# command: {}\n", command_line);
    fmt::format_to(out, "# posenc_version: {}\n", POSENC_VERSION);
    fmt::format_to(out, "# function: {}\n", opt.function);
    fmt::format_to(out, "# precision: {}\n", opt.precision);
    fmt::format_to(out, "# type: {}\n", type_name);
    fmt::format_to(out, "# significand_bits: {}\n", std::numeric_limits<T>::digits);
    fmt::format_to(out, "# max_digits10: {}\n", std::numeric_limits<T>::max_digits10);
    fmt::format_to(out, "# x: {}\n", opt.x);
    fmt::format_to(out, "# out: {}\n", opt.out.empty() ? std::string("-") : opt.out);
    fmt::format_to(out, "# count: {}\n", xs.size());
    fmt::format_to(out, "x,value\n");
    for (std::size_t i = 0; i < xs.size(); ++i) {
        T value;
        try {
            value = apply(f, xs[i]);
        } catch (const std::domain_error& e) {
            throw usage_error(fmt::format("--x: {}({}) cannot be evaluated at precision {}: {}", opt.function,
                                          items[i], opt.precision, e.what()));
        }
        fmt::format_to(out, "{},{}\n", to_text(xs[i]), to_text(value));
    }
    return fmt::to_string(csv);
}

int run_eval(const eval_options& opt, std::string_view command_line) {
    std::string csv;
    if (opt.precision == "float") {
        csv = eval_csv<float>(opt, command_line, "float");
    } else if (opt.precision == "double") {
        csv = eval_csv<double>(opt, command_line, "double");
    } else if (opt.precision == "long-double") {
        csv = eval_csv<long double>(opt, command_line, "long double");
    } else if (opt.precision == "50") {
        csv = eval_csv<mp::cpp_bin_float_50>(opt, command_line, "boost::multiprecision::cpp_bin_float_50");
    } else if (opt.precision == "100") {
        csv = eval_csv<mp::cpp_bin_float_100>(opt, command_line, "boost::multiprecision::cpp_bin_float_100");
    } else {
        throw usage_error(fmt::format("--precision: unknown precision '{}' (expected float, double, long-double, 50 or 100)",
                                      opt.precision));
    }

    emit(csv, opt.out);
    return 0;
}

// ----------------------------------------------------------------------------------------------
// Encoding options, shared by every subcommand that takes an encoding (HF names in kebab case)
// ----------------------------------------------------------------------------------------------

struct encoding_options {
    int dim = 128;
    std::string base = "10000";
    std::string variant = "default";
    std::string layout = "half-split";
    std::string partial_rotary_factor = "1";
    std::string factor = "1";
    long original_max_position_embeddings = 0;
    long max_position_embeddings = 0;
    long seq_len = 0;
    std::string beta_fast = "32";
    std::string beta_slow = "1";
    std::string mscale = "0";
    std::string mscale_all_dim = "0";
    std::string attention_factor = "0";
    bool truncate = true;
    std::string low_freq_factor = "1";
    std::string high_freq_factor = "4";
    std::string short_factor;
    std::string long_factor;
};

void add_encoding_options(CLI::App* app, encoding_options& o) {
    app->add_option("--dim", o.dim, "Head dimension (even, > 0)")->capture_default_str();
    app->add_option("--base", o.base, "RoPE base theta (> 1)")->capture_default_str();
    app->add_option("--variant", o.variant, "Frequency variant")
        ->check(CLI::IsMember({"default", "linear", "dynamic", "yarn", "llama3", "longrope"}))
        ->capture_default_str();
    app->add_option("--layout", o.layout, "Pair layout: interleaved (GPT-J, ggml mode 0) or half-split (NeoX, HF rotate_half)")
        ->check(CLI::IsMember({"interleaved", "half-split"}))
        ->capture_default_str();
    app->add_option("--partial-rotary-factor", o.partial_rotary_factor, "Fraction of the head that rotates, in (0, 1]")
        ->capture_default_str();
    app->add_option("--factor", o.factor, "Scaling factor (>= 1): linear, dynamic, yarn, llama3, longrope")->capture_default_str();
    app->add_option("--original-max-position-embeddings", o.original_max_position_embeddings,
                    "Pretraining context: yarn, llama3, longrope (0: not given)")
        ->capture_default_str();
    app->add_option("--max-position-embeddings", o.max_position_embeddings,
                    "Context length: dynamic; yarn/longrope derive factor from it when --factor is 1 (0: not given)")
        ->capture_default_str();
    app->add_option("--seq-len", o.seq_len, "Current sequence length: dynamic, longrope (0: not given)")->capture_default_str();
    app->add_option("--beta-fast", o.beta_fast, "yarn")->capture_default_str();
    app->add_option("--beta-slow", o.beta_slow, "yarn")->capture_default_str();
    app->add_option("--mscale", o.mscale, "yarn (0: not given)")->capture_default_str();
    app->add_option("--mscale-all-dim", o.mscale_all_dim, "yarn (0: not given)")->capture_default_str();
    app->add_option("--attention-factor", o.attention_factor, "yarn, longrope (0: derived from the factor)")
        ->capture_default_str();
    app->add_option("--truncate", o.truncate, "yarn: floor/ceil the correction range (true/false)")->capture_default_str();
    app->add_option("--low-freq-factor", o.low_freq_factor, "llama3")->capture_default_str();
    app->add_option("--high-freq-factor", o.high_freq_factor, "llama3")->capture_default_str();
    app->add_option("--short-factor", o.short_factor, "longrope: comma list, one per pair");
    app->add_option("--long-factor", o.long_factor, "longrope: comma list, one per pair");
}

posenc::rope_variant variant_from_name(std::string_view v) {
    if (v == "default") return posenc::rope_variant::standard;
    if (v == "linear") return posenc::rope_variant::linear;
    if (v == "dynamic") return posenc::rope_variant::dynamic;
    if (v == "yarn") return posenc::rope_variant::yarn;
    if (v == "llama3") return posenc::rope_variant::llama3;
    if (v == "longrope") return posenc::rope_variant::longrope;
    throw usage_error(fmt::format("--variant: unknown variant '{}'", v));
}

template <class T>
std::vector<T> parse_list(const std::string& text, std::string_view precision, std::string_view option) {
    std::vector<T> values;
    if (text.empty()) return values;
    for (const std::string& item : split_list(text, option)) values.push_back(parse_number<T>(item, precision, option));
    return values;
}

/// The RoPE parameters at precision T, every number read at that precision.
template <class T>
posenc::rope_params<T> rope_params_from(const encoding_options& o, std::string_view precision) {
    posenc::rope_params<T> p;
    p.head_dim = o.dim;
    p.base = parse_number<T>(o.base, precision, "--base");
    p.variant = variant_from_name(o.variant);
    p.layout = o.layout == "interleaved" ? posenc::pair_layout::interleaved : posenc::pair_layout::half_split;
    p.partial_rotary_factor = parse_number<T>(o.partial_rotary_factor, precision, "--partial-rotary-factor");
    p.factor = parse_number<T>(o.factor, precision, "--factor");
    p.original_max_position_embeddings = o.original_max_position_embeddings;
    p.max_position_embeddings = o.max_position_embeddings;
    p.seq_len = o.seq_len;
    p.beta_fast = parse_number<T>(o.beta_fast, precision, "--beta-fast");
    p.beta_slow = parse_number<T>(o.beta_slow, precision, "--beta-slow");
    p.mscale = parse_number<T>(o.mscale, precision, "--mscale");
    p.mscale_all_dim = parse_number<T>(o.mscale_all_dim, precision, "--mscale-all-dim");
    p.attention_factor = parse_number<T>(o.attention_factor, precision, "--attention-factor");
    p.truncate = o.truncate;
    p.low_freq_factor = parse_number<T>(o.low_freq_factor, precision, "--low-freq-factor");
    p.high_freq_factor = parse_number<T>(o.high_freq_factor, precision, "--high-freq-factor");
    p.short_factor = parse_list<T>(o.short_factor, precision, "--short-factor");
    p.long_factor = parse_list<T>(o.long_factor, precision, "--long-factor");
    return p;
}

/// "--original-max-position-embeddings" for the parameter "original_max_position_embeddings".
std::string option_name(std::string_view parameter) {
    std::string name = "--";
    for (const char c : parameter) name += c == '_' ? '-' : c;
    if (name == "--head-dim") name = "--dim";
    return name;
}

/// Every encoding parameter as a metadata line, defaults included.
void write_encoding_metadata(fmt::memory_buffer& csv, const encoding_options& o) {
    const auto out = std::back_inserter(csv);
    fmt::format_to(out, "# dim: {}\n# base: {}\n# variant: {}\n# layout: {}\n# partial_rotary_factor: {}\n", o.dim, o.base,
                   o.variant, o.layout, o.partial_rotary_factor);
    fmt::format_to(out, "# factor: {}\n# original_max_position_embeddings: {}\n# max_position_embeddings: {}\n# seq_len: {}\n",
                   o.factor, o.original_max_position_embeddings, o.max_position_embeddings, o.seq_len);
    fmt::format_to(out, "# beta_fast: {}\n# beta_slow: {}\n# mscale: {}\n# mscale_all_dim: {}\n# attention_factor_option: {}\n",
                   o.beta_fast, o.beta_slow, o.mscale, o.mscale_all_dim, o.attention_factor);
    fmt::format_to(out, "# truncate: {}\n# low_freq_factor: {}\n# high_freq_factor: {}\n# short_factor: {}\n# long_factor: {}\n",
                   o.truncate ? "true" : "false", o.low_freq_factor, o.high_freq_factor,
                   o.short_factor.empty() ? "-" : o.short_factor, o.long_factor.empty() ? "-" : o.long_factor);
}

// ----------------------------------------------------------------------------------------------
// posenc freqs
// ----------------------------------------------------------------------------------------------

struct freqs_options {
    encoding_options enc;
    std::string precision = "double";
    std::string out;
};

template <class T>
std::string freqs_csv(const freqs_options& opt, std::string_view command_line, std::string_view type_name) {
    const posenc::rope_params<T> params = rope_params_from<T>(opt.enc, opt.precision);
    std::optional<posenc::rope<T>> r;
    try {
        r.emplace(params);
    } catch (const posenc::invalid_parameter& e) {
        throw usage_error(fmt::format("{}: {}", option_name(e.parameter()), e.what()));
    }
    fmt::memory_buffer csv;
    const auto out = std::back_inserter(csv);
    fmt::format_to(out, "# posenc freqs\n# command: {}\n# posenc_version: {}\n", command_line, POSENC_VERSION);
    write_encoding_metadata(csv, opt.enc);
    fmt::format_to(out, "# precision: {}\n# type: {}\n# significand_bits: {}\n", opt.precision, type_name,
                   std::numeric_limits<T>::digits);
    fmt::format_to(out, "# rotary_dim: {}\n# attention_factor: {}\n", r->rotary_dim(), to_text(r->attention_factor()));
    fmt::format_to(out, "# theta: inv_freq of pair i as in HF transformers; wavelength = 2*pi/theta\n");
    fmt::format_to(out, "pair,theta,wavelength\n");
    const T two_pi = posenc::math::two_pi<T>();
    for (int i = 0; i < r->pairs(); ++i) {
        const T theta = r->inv_freq()[static_cast<std::size_t>(i)];
        const T wavelength = two_pi / theta;
        fmt::format_to(out, "{},{},{}\n", i, to_text(theta), to_text(wavelength));
    }
    return fmt::to_string(csv);
}

int run_freqs(const freqs_options& opt, std::string_view command_line) {
    std::string csv;
    if (opt.precision == "float") {
        csv = freqs_csv<float>(opt, command_line, "float");
    } else if (opt.precision == "double") {
        csv = freqs_csv<double>(opt, command_line, "double");
    } else if (opt.precision == "long-double") {
        csv = freqs_csv<long double>(opt, command_line, "long double");
    } else if (opt.precision == "50") {
        csv = freqs_csv<mp::cpp_bin_float_50>(opt, command_line, "boost::multiprecision::cpp_bin_float_50");
    } else if (opt.precision == "100") {
        csv = freqs_csv<mp::cpp_bin_float_100>(opt, command_line, "boost::multiprecision::cpp_bin_float_100");
    } else {
        throw usage_error(fmt::format("--precision: unknown precision '{}'", opt.precision));
    }
    emit(csv, opt.out);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string command_line;
    for (int i = 0; i < argc; ++i) {
        if (i > 0) command_line += ' ';
        command_line += shell_quote(argv[i]);
    }

    CLI::App app{"posenc: positional-encoding toolkit; every subcommand prints CSV", "posenc"};
    app.require_subcommand(1);

    eval_options opt;
    CLI::App* eval = app.add_subcommand("eval", "Evaluate a function at a list of points; prints CSV (x,value)");
    eval->add_option("--function", opt.function, "Function to evaluate")
        ->required()
        ->check(CLI::IsMember({"sin", "cos", "exp", "log", "sqrt"}));
    eval->add_option("--x", opt.x, "Comma-separated decimal numbers, e.g. 1,2.5,1e22 (read at the target precision)")
        ->required();
    eval->add_option("--precision", opt.precision,
                     "float, double, long-double, or 50 / 100 (Boost cpp_bin_float_50 / cpp_bin_float_100)")
        ->required()
        ->check(CLI::IsMember({"float", "double", "long-double", "50", "100"}));
    eval->add_option("--out", opt.out, "Write the CSV to this file (atomically) instead of standard output");

    freqs_options fopt;
    CLI::App* freqs = app.add_subcommand(
        "freqs", "Print the RoPE frequencies of any variant as CSV (pair,theta,wavelength; attention factor in the metadata)");
    add_encoding_options(freqs, fopt.enc);
    freqs->add_option("--precision", fopt.precision, "float, double, long-double, 50 or 100 (decimal digits)")
        ->check(CLI::IsMember({"float", "double", "long-double", "50", "100"}))
        ->capture_default_str();
    freqs->add_option("--out", fopt.out, "Write the CSV to this file (atomically) instead of standard output");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);  // prints help, or the error naming the argument
        return status == 0 ? 0 : exit_usage;
    }

    const std::string name = freqs->parsed() ? "freqs" : "eval";
    try {
        return freqs->parsed() ? run_freqs(fopt, command_line) : run_eval(opt, command_line);
    } catch (const usage_error& e) {
        fmt::print(stderr, "posenc {}: {}\n", name, e.what());
        return exit_usage;
    } catch (const io_error& e) {
        fmt::print(stderr, "posenc {}: {}\n", name, e.what());
        return exit_io_error;
    } catch (const std::exception& e) {
        fmt::print(stderr, "posenc {}: error: {}\n", name, e.what());
        return exit_io_error;
    }
}
