// posenc: command-line access to posenc's math core.
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

std::vector<std::string> split_list(const std::string_view whole) {
    std::vector<std::string> items;
    std::string_view list = whole;
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (item.empty()) throw usage_error(fmt::format("--x: empty entry in the list '{}'", whole));
        items.emplace_back(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return items;
}

/// Parses one decimal number, rounded to nearest in T.
template <class T>
T parse_number(const std::string& text, std::string_view precision) {
    const bool special = is_special(text);
    if (!special && !is_decimal(text)) {
        throw usage_error(fmt::format("--x: '{}' is not a decimal number", text));
    }
    const auto out_of_range = [&] {
        return usage_error(fmt::format("--x: '{}' is out of range at precision {}", text, precision));
    };
    if constexpr (is_native<T>) {
        std::string_view s = text;
        if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // from_chars takes no '+'
        T value{};
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec == std::errc::result_out_of_range) throw out_of_range();
        if (ec != std::errc{} || end != s.data() + s.size()) {
            throw usage_error(fmt::format("--x: '{}' is not a decimal number", text));
        }
        return value;
    } else {
        T value;
        try {
            value = T(text);
        } catch (const std::exception&) {
            throw usage_error(fmt::format("--x: '{}' is not a decimal number", text));
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

    if (opt.out.empty()) {
        fmt::print("{}", csv);
        if (std::fflush(stdout) != 0) throw io_error(fmt::format("cannot write to standard output: {}", std::strerror(errno)));
    } else {
        write_atomically(opt.out, csv);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string command_line;
    for (int i = 0; i < argc; ++i) {
        if (i > 0) command_line += ' ';
        command_line += shell_quote(argv[i]);
    }

    CLI::App app{"posenc: evaluate posenc's math functions and print the results as CSV", "posenc"};
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

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);  // prints help, or the error naming the argument
        return status == 0 ? 0 : exit_usage;
    }

    try {
        return run_eval(opt, command_line);
    } catch (const usage_error& e) {
        fmt::print(stderr, "posenc eval: {}\n", e.what());
        return exit_usage;
    } catch (const io_error& e) {
        fmt::print(stderr, "posenc eval: {}\n", e.what());
        return exit_io_error;
    } catch (const std::exception& e) {
        fmt::print(stderr, "posenc eval: error: {}\n", e.what());
        return exit_io_error;
    }
}
