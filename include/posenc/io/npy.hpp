// posenc/io/npy.hpp: a strict, small reader and writer of numpy's .npy files (std only).
//
// Format: numpy's NEP 1 / numpy/lib/format.py ("A Simple File Format for NumPy Arrays"): the magic
// string "\x93NUMPY", a major and a minor version byte, the header length (little-endian uint16 in
// version 1.0, uint32 in 2.0 and 3.0), the header (an ASCII Python dict literal with the keys
// 'descr', 'fortran_order' and 'shape', padded with spaces and terminated by '\n'), then the raw
// data, nothing after it.
//
// What is read (everything else is refused with an npy_error whose message names the problem and
// what to do instead, prefixed with the name the caller gives, e.g. the file path or the option):
//  - versions 1.0, 2.0 and 3.0; a header of at most npy_max_header_bytes (1 MiB);
//  - the dict: exactly the keys 'descr', 'fortran_order', 'shape' in any order, strings in single or
//    double quotes, spaces anywhere between tokens, an optional trailing comma;
//  - descr: little-endian '<f8' '<f4' '<f2' '<u2' '<i8' '<i4' (float64, float32, float16, uint16,
//    int64, int32); uint16 is how bfloat16 data are saved (numpy has no bfloat16);
//  - fortran_order False, or True when at most one dimension is larger than 1 (or the array is
//    empty): the bytes are then those of C order;
//  - shape: a tuple of at most npy_max_dims non-negative integers; () is a scalar (one element).
// The data must be exactly as long as the shape says, and at most `max_bytes` long: the limit is
// checked before anything is allocated, and no allocation is larger than the data checked against
// the input's size. Elements are decoded as little-endian whatever the host's byte order.
//
// The writer make_npy produces the version 1.0 layout numpy writes (header padded with spaces and a
// '\n' to a multiple of 64 bytes).
#pragma once

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace posenc::io {

/// The element types read and written; all little-endian.
enum class npy_type { float64, float32, float16, uint16, int64, int32 };

/// Largest header accepted (numpy's own reader stops at 10000 bytes by default).
inline constexpr std::size_t npy_max_header_bytes = std::size_t{1} << 20;
/// Most dimensions accepted.
inline constexpr std::size_t npy_max_dims = 8;

/// Bad or unsupported input. what() is "<name>: <problem>".
class npy_error : public std::runtime_error {
public:
    using runtime_error::runtime_error;
};

/// A file that could not be read at all (missing, a directory, an I/O failure), as opposed to one
/// whose contents are refused: lets a tool tell I/O errors from bad input.
class npy_io_error : public npy_error {
public:
    using npy_error::npy_error;
};

/// "float64", "float32", "float16", "uint16", "int64", "int32".
[[nodiscard]] constexpr std::string_view npy_type_name(npy_type t) noexcept {
    switch (t) {
        case npy_type::float64: return "float64";
        case npy_type::float32: return "float32";
        case npy_type::float16: return "float16";
        case npy_type::uint16: return "uint16";
        case npy_type::int64: return "int64";
        case npy_type::int32: return "int32";
    }
    return "unknown";
}

/// Bytes per element: 8, 4, 2, 2, 8, 4.
[[nodiscard]] constexpr std::size_t npy_item_size(npy_type t) noexcept {
    switch (t) {
        case npy_type::float64:
        case npy_type::int64: return 8;
        case npy_type::float32:
        case npy_type::int32: return 4;
        case npy_type::float16:
        case npy_type::uint16: return 2;
    }
    return 0;
}

/// The descr numpy writes for the type: "<f8", "<f4", "<f2", "<u2", "<i8", "<i4".
[[nodiscard]] constexpr std::string_view npy_descr(npy_type t) noexcept {
    switch (t) {
        case npy_type::float64: return "<f8";
        case npy_type::float32: return "<f4";
        case npy_type::float16: return "<f2";
        case npy_type::uint16: return "<u2";
        case npy_type::int64: return "<i8";
        case npy_type::int32: return "<i4";
    }
    return "";
}

/// A shape as Python writes the tuple: "()", "(5,)", "(2, 3, 4)".
[[nodiscard]] inline std::string npy_shape_text(const std::vector<std::size_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ',';
    return s + ')';
}

/// A parsed array: its element type, shape (empty for a scalar) and raw little-endian data
/// (size() * npy_item_size(type) bytes, C order).
struct npy_array {
    npy_type type = npy_type::float64;
    std::vector<std::size_t> shape;
    std::vector<unsigned char> bytes;

    /// Number of elements: the product of the shape (1 for a scalar).
    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 1;
        for (const std::size_t d : shape) n *= d;
        return n;
    }
};

namespace detail {

inline constexpr std::string_view npy_magic{"\x93NUMPY", 6};
inline constexpr std::string_view npy_supported =
    "'<f8' (float64), '<f4' (float32), '<f2' (float16), '<u2' (uint16, e.g. bfloat16 bits), '<i8' (int64), "
    "'<i4' (int32)";

[[noreturn]] inline void npy_fail(std::string_view name, const std::string& problem) {
    std::string msg(name);
    msg += ": ";
    msg += problem;
    throw npy_error(msg);
}

/// At most `limit` characters of `text`, quoted, non-printable bytes as \xNN.
inline std::string npy_quote(std::string_view text, std::size_t limit = 40) {
    std::string s = "\"";
    const std::size_t n = text.size() < limit ? text.size() : limit;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            s += static_cast<char>(c);
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            s += "\\x";
            s += hex[c >> 4];
            s += hex[c & 15];
        }
    }
    if (n < text.size()) s += "...";
    return s + '"';
}

/// Shortest round-trip text of a double.
inline std::string npy_number(double v) {
    std::array<char, 40> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), r.ptr);
}

inline std::uint64_t npy_load_le(const unsigned char* p, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

inline void npy_store_le(unsigned char* p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        p[i] = static_cast<unsigned char>(v & 0xff);
        v >>= 8;
    }
}

/// What numpy calls the kind of a dtype character, for the message about an unsupported dtype.
inline std::string_view npy_kind_name(char kind) noexcept {
    switch (kind) {
        case 'O': return "object (pickled Python objects)";
        case 'c': return "complex";
        case 'b': return "bool";
        case 'i': return "signed integer";
        case 'u': return "unsigned integer";
        case 'f': return "floating point";
        case 'U': return "unicode string";
        case 'S':
        case 'a': return "byte string";
        case 'V': return "void / raw bytes";
        case 'M': return "datetime";
        case 'm': return "timedelta";
        default: return "unknown";
    }
}

/// The header dict, parsed by hand: a cursor over the header text (without its final '\n').
class npy_header_parser {
public:
    npy_header_parser(std::string_view text, std::string_view name) : text_(text), name_(name) {}

    void parse(npy_type& type, bool& fortran, std::vector<std::size_t>& shape) {
        skip_spaces();
        expect('{', "the header is not a Python dict: expected '{'");
        bool seen_descr = false, seen_fortran = false, seen_shape = false;
        for (;;) {
            skip_spaces();
            if (peek() == '}') break;
            const std::string_view key = string_literal("a key in quotes or '}'");
            skip_spaces();
            expect(':', "expected ':' after the key '" + std::string(key) + "'");
            skip_spaces();
            if (key == "descr") {
                once(seen_descr, key);
                type = descr();
            } else if (key == "fortran_order") {
                once(seen_fortran, key);
                fortran = boolean();
            } else if (key == "shape") {
                once(seen_shape, key);
                shape = tuple();
            } else {
                npy_fail(name_, "header key " + npy_quote(key) +
                                    " is not one of 'descr', 'fortran_order', 'shape' (the only keys of a .npy header)");
            }
            skip_spaces();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') break;
            syntax("expected ',' or '}' after the value of '" + std::string(key) + "'");
        }
        ++pos_;  // '}'
        skip_spaces();
        if (pos_ != text_.size()) syntax("unexpected text after the header dict");
        if (!seen_descr) npy_fail(name_, "the header lacks the key 'descr' (the dtype)");
        if (!seen_fortran) npy_fail(name_, "the header lacks the key 'fortran_order'");
        if (!seen_shape) npy_fail(name_, "the header lacks the key 'shape'");
    }

private:
    std::string_view text_;
    std::string_view name_;
    std::size_t pos_ = 0;

    [[nodiscard]] char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    void skip_spaces() noexcept {
        while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    }

    [[noreturn]] void syntax(const std::string& what) const {
        const std::string_view rest = text_.substr(pos_ < text_.size() ? pos_ : text_.size());
        npy_fail(name_, "malformed header: " + what + " at header offset " + std::to_string(pos_) +
                            (rest.empty() ? std::string(" (end of the header)") : ", found " + npy_quote(rest)));
    }

    void expect(char c, const std::string& what) {
        if (peek() != c) syntax(what);
        ++pos_;
    }

    void once(bool& seen, std::string_view key) const {
        if (seen) npy_fail(name_, "header key '" + std::string(key) + "' appears twice");
        seen = true;
    }

    /// A Python string in single or double quotes, without escapes (no valid header has any).
    std::string_view string_literal(const std::string& what) {
        const char q = peek();
        if (q != '\'' && q != '"') syntax("expected " + what);
        const std::size_t start = ++pos_;
        while (pos_ < text_.size() && text_[pos_] != q) {
            if (text_[pos_] == '\\') syntax("backslash escapes are not supported in header strings");
            ++pos_;
        }
        if (pos_ >= text_.size()) {
            pos_ = start - 1;
            syntax("unterminated string");
        }
        return text_.substr(start, pos_++ - start);
    }

    npy_type descr() {
        if (peek() == '[') {
            npy_fail(name_, std::string("structured dtypes (a list descr) are not supported; supported dtypes: ") +
                                std::string(npy_supported));
        }
        if (peek() == '{') {
            npy_fail(name_, std::string("dtypes with metadata (a dict descr) are not supported; supported dtypes: ") +
                                std::string(npy_supported));
        }
        const std::string_view d = string_literal("the dtype string of 'descr' (e.g. '<f4')");
        constexpr npy_type all[] = {npy_type::float64, npy_type::float32, npy_type::float16,
                                    npy_type::uint16,  npy_type::int64,   npy_type::int32};
        for (const npy_type t : all) {
            if (d == npy_descr(t)) return t;
        }
        if (d.size() == 3 && d[0] == '>') {
            for (const npy_type t : all) {
                if (d.substr(1) == npy_descr(t).substr(1)) {
                    npy_fail(name_, "big-endian data is not supported (save with .astype('" + std::string(npy_descr(t)) +
                                        "'))");
                }
            }
        }
        std::string kind;
        if (!d.empty()) {
            const char k = (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=') && d.size() > 1 ? d[1] : d[0];
            kind = " (" + std::string(npy_kind_name(k)) + ")";
        }
        npy_fail(name_, "unsupported dtype " + npy_quote(d) + kind + "; supported dtypes: " + std::string(npy_supported));
    }

    bool boolean() {
        const std::string_view rest = text_.substr(pos_);
        if (rest.starts_with("True")) {
            pos_ += 4;
            return true;
        }
        if (rest.starts_with("False")) {
            pos_ += 5;
            return false;
        }
        syntax("'fortran_order' must be True or False");
    }

    /// A tuple of non-negative decimal integers: (), (5,), (2, 3), (2, 3,).
    std::vector<std::size_t> tuple() {
        if (peek() != '(') syntax("'shape' must be a tuple of non-negative integers such as (2, 3)");
        ++pos_;
        std::vector<std::size_t> dims;
        bool comma = false;  // a comma after the last dimension
        for (;;) {
            skip_spaces();
            if (peek() == ')') break;
            if (!dims.empty() && !comma) syntax("expected ',' or ')' in 'shape'");
            if (peek() == '-') npy_fail(name_, "'shape' has a negative dimension");
            if (peek() < '0' || peek() > '9') syntax("'shape' must hold non-negative integers");
            if (dims.size() == npy_max_dims) {
                npy_fail(name_, "'shape' has more than " + std::to_string(npy_max_dims) +
                                    " dimensions, the most supported");
            }
            dims.push_back(integer());
            skip_spaces();
            comma = peek() == ',';
            if (comma) ++pos_;
        }
        if (dims.size() == 1 && !comma) {
            npy_fail(name_, "'shape' (" + std::to_string(dims[0]) + ") is an integer, not a tuple: a 1-D shape is written (" +
                                std::to_string(dims[0]) + ",)");
        }
        ++pos_;  // ')'
        return dims;
    }

    std::size_t integer() {
        const std::size_t start = pos_;
        std::size_t v = 0;
        while (peek() >= '0' && peek() <= '9') {
            const auto digit = static_cast<std::size_t>(peek() - '0');
            if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
                npy_fail(name_, "'shape' has a dimension too large to count (" +
                                    npy_quote(text_.substr(start, pos_ - start + 1)) + "...)");
            }
            v = v * 10 + digit;
            ++pos_;
        }
        if (pos_ - start > 1 && text_[start] == '0') {
            pos_ = start;
            syntax("a dimension of 'shape' has a leading zero");
        }
        return v;
    }
};

}  // namespace detail

/// Parses a whole .npy file image (see the top of this file for what is accepted). `name` prefixes
/// every message. Data longer than `max_bytes` are refused before anything is allocated.
[[nodiscard]] inline npy_array parse_npy(const unsigned char* data, std::size_t size, std::string_view name,
                                         std::size_t max_bytes) {
    using detail::npy_fail;
    if (size < detail::npy_magic.size() ||
        std::memcmp(data, detail::npy_magic.data(), detail::npy_magic.size()) != 0) {
        npy_fail(name, "not a .npy file: it does not start with the magic string \\x93NUMPY (write it with numpy.save)");
    }
    if (size < 8) npy_fail(name, "truncated: the file ends inside the .npy version bytes");
    const unsigned version_major = data[6], version_minor = data[7];
    std::size_t length_bytes = 0;
    if (version_major == 1 && version_minor == 0) {
        length_bytes = 2;
    } else if ((version_major == 2 || version_major == 3) && version_minor == 0) {
        length_bytes = 4;
    } else {
        npy_fail(name, "unsupported .npy format version " + std::to_string(version_major) + "." + std::to_string(version_minor) +
                           " (supported: 1.0, 2.0, 3.0)");
    }
    const std::size_t preamble = 8 + length_bytes;
    if (size < preamble) npy_fail(name, "truncated: the file ends inside the .npy header length");
    const std::uint64_t header_len = detail::npy_load_le(data + 8, length_bytes);
    if (header_len > npy_max_header_bytes) {
        npy_fail(name, "header length " + std::to_string(header_len) + " exceeds the limit of " +
                           std::to_string(npy_max_header_bytes) + " bytes");
    }
    if (header_len > size - preamble) {
        npy_fail(name, "truncated: the header length is " + std::to_string(header_len) + " bytes, the file has " +
                           std::to_string(size - preamble) + " after the preamble");
    }
    const std::string_view header(reinterpret_cast<const char*>(data + preamble), static_cast<std::size_t>(header_len));
    if (header.empty() || header.back() != '\n') {
        npy_fail(name, "malformed header: it does not end with '\\n' (the .npy header is terminated by a newline)");
    }

    npy_array a;
    bool fortran = false;
    detail::npy_header_parser(header.substr(0, header.size() - 1), name).parse(a.type, fortran, a.shape);

    // the byte count of the nonzero dimensions must fit (as make_npy requires), even when another
    // dimension is 0
    const std::size_t item = npy_item_size(a.type);
    std::size_t count = 1, nonzero = 1, above_one = 0;
    for (const std::size_t d : a.shape) {
        if (d > 1) ++above_one;
        if (d == 0) {
            count = 0;
            continue;
        }
        if (nonzero > std::numeric_limits<std::size_t>::max() / item / d) {
            npy_fail(name, "shape " + npy_shape_text(a.shape) + " overflows: its byte count does not fit in size_t");
        }
        nonzero *= d;
        count *= d;
    }
    if (fortran && above_one > 1 && count != 0) {
        npy_fail(name, "Fortran order is not supported (save np.ascontiguousarray(a))");
    }
    const std::size_t nbytes = count * item;
    if (nbytes > max_bytes) {
        npy_fail(name, "too large: " + std::to_string(nbytes) + " bytes of data, the limit is " + std::to_string(max_bytes));
    }
    const std::size_t start = preamble + static_cast<std::size_t>(header_len);
    const std::size_t remaining = size - start;
    if (remaining < nbytes) {
        npy_fail(name, "truncated: the header promises " + std::to_string(nbytes) + " bytes of data, the file has " +
                           std::to_string(remaining) + " after it");
    }
    if (remaining > nbytes) {
        npy_fail(name, std::to_string(remaining - nbytes) + " trailing bytes after the data (shape " +
                           npy_shape_text(a.shape) + " of " + std::string(npy_type_name(a.type)) + " takes " +
                           std::to_string(nbytes) + ")");
    }
    a.bytes.assign(data + start, data + size);
    return a;
}

/// Reads and parses the file at `path` (the path prefixes every message). The file's size is checked
/// against max_bytes plus the largest header before it is read. A file that cannot be read throws
/// npy_io_error; bad contents throw npy_error.
[[nodiscard]] inline npy_array read_npy(const std::string& path, std::size_t max_bytes) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
        throw npy_io_error(path + ": cannot read: " + (ec ? ec.message() : std::string("no such file")));
    }
    if (!fs::is_regular_file(st)) throw npy_io_error(path + ": cannot read: not a regular file");
    const std::uintmax_t file_size = fs::file_size(path, ec);
    if (ec) throw npy_io_error(path + ": cannot read: " + ec.message());
    const std::size_t overhead = 12 + npy_max_header_bytes;
    const std::uintmax_t limit =
        max_bytes > std::numeric_limits<std::uintmax_t>::max() - overhead ? std::numeric_limits<std::uintmax_t>::max()
                                                                          : std::uintmax_t{max_bytes} + overhead;
    if (file_size > limit) {
        detail::npy_fail(path, "too large: the file has " + std::to_string(file_size) + " bytes, the limit is " +
                                   std::to_string(max_bytes) + " bytes of data");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw npy_io_error(path + ": cannot open for reading");
    std::vector<unsigned char> image(static_cast<std::size_t>(file_size));
    if (!image.empty()) in.read(reinterpret_cast<char*>(image.data()), static_cast<std::streamsize>(image.size()));
    if (static_cast<std::uintmax_t>(in.gcount()) != file_size && !image.empty()) {
        throw npy_io_error(path + ": cannot read: got " + std::to_string(in.gcount()) + " of " +
                           std::to_string(file_size) + " bytes (did the file change?)");
    }
    if (in.peek() != std::ifstream::traits_type::eof()) {
        throw npy_io_error(path + ": cannot read: the file grew while it was read");
    }
    return parse_npy(image.data(), image.size(), path, max_bytes);
}

/// An IEEE binary16 bit pattern as a double, exactly (subnormals, signed zeros, infinities and NaNs
/// kept; a NaN keeps its sign).
[[nodiscard]] inline double half_to_double(std::uint16_t h) noexcept {
    const bool negative = (h & 0x8000u) != 0;
    const unsigned exponent = (h >> 10) & 0x1fu;
    const unsigned mantissa = h & 0x3ffu;
    double v = 0;
    if (exponent == 0) {
        v = std::ldexp(static_cast<double>(mantissa), -24);
    } else if (exponent == 31) {
        v = mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    } else {
        v = std::ldexp(static_cast<double>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
    }
    return negative ? -v : v;
}

/// A bfloat16 bit pattern (the upper half of a float32) as a double, exactly.
[[nodiscard]] inline double bfloat16_to_double(std::uint16_t b) noexcept {
    return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16));
}

/// Every element as a double: float64/float32 exactly, float16 exactly (half_to_double), uint16 as an
/// integer or, when uint16_is_bfloat16, as bfloat16 bits (bfloat16_to_double), int64/int32 as
/// integers (rounded to nearest beyond 2^53).
[[nodiscard]] inline std::vector<double> to_doubles(const npy_array& a, bool uint16_is_bfloat16) {
    const std::size_t item = npy_item_size(a.type);
    const std::size_t n = a.bytes.size() / item;
    std::vector<double> out(n);
    const unsigned char* p = a.bytes.data();
    for (std::size_t i = 0; i < n; ++i, p += item) {
        const std::uint64_t bits = detail::npy_load_le(p, item);
        switch (a.type) {
            case npy_type::float64: out[i] = std::bit_cast<double>(bits); break;
            case npy_type::float32: out[i] = std::bit_cast<float>(static_cast<std::uint32_t>(bits)); break;
            case npy_type::float16: out[i] = half_to_double(static_cast<std::uint16_t>(bits)); break;
            case npy_type::uint16:
                out[i] = uint16_is_bfloat16 ? bfloat16_to_double(static_cast<std::uint16_t>(bits))
                                            : static_cast<double>(bits);
                break;
            case npy_type::int64: out[i] = static_cast<double>(static_cast<std::int64_t>(bits)); break;
            case npy_type::int32:
                out[i] = static_cast<double>(static_cast<std::int32_t>(static_cast<std::uint32_t>(bits)));
                break;
        }
    }
    return out;
}

/// Every element as an integer (e.g. positions): int64/int32 as they are; float64/float32/float16
/// elements only when they hold integers of magnitude at most 2^53. Anything else throws npy_error
/// "<name>: ..." naming the element's index and value (or, for uint16, the type).
[[nodiscard]] inline std::vector<long long> to_integers(const npy_array& a, std::string_view name) {
    const std::size_t item = npy_item_size(a.type);
    const std::size_t n = a.bytes.size() / item;
    std::vector<long long> out;
    if (a.type == npy_type::int64 || a.type == npy_type::int32) {
        out.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t bits = detail::npy_load_le(a.bytes.data() + i * item, item);
            out[i] = a.type == npy_type::int64 ? static_cast<long long>(static_cast<std::int64_t>(bits))
                                               : static_cast<long long>(static_cast<std::int32_t>(static_cast<std::uint32_t>(bits)));
        }
        return out;
    }
    if (a.type == npy_type::uint16) {
        detail::npy_fail(name, "uint16 data are not read as integers here (uint16 holds float16/bfloat16 bits); save "
                               "integers as int64 or int32");
    }
    const std::vector<double> v = to_doubles(a, false);
    out.resize(n);
    constexpr double limit = 9007199254740992.0;  // 2^53
    for (std::size_t i = 0; i < n; ++i) {
        if (!(std::abs(v[i]) <= limit)) {
            detail::npy_fail(name, "element " + std::to_string(i) + " is " + detail::npy_number(v[i]) +
                                       (std::isnan(v[i]) ? ", not an integer" : ", beyond 2^53 in magnitude") +
                                       " (an integer of magnitude at most 2^53 is required)");
        }
        if (v[i] != std::trunc(v[i])) {
            detail::npy_fail(name, "element " + std::to_string(i) + " is " + detail::npy_number(v[i]) +
                                       ", not an integer (save integers as int64 or int32)");
        }
        out[i] = static_cast<long long>(v[i]);
    }
    return out;
}

/// A numpy-compatible version 1.0 .npy file image of the elements at `data` (size-of-shape elements
/// of the type, in C order and host byte order: double, float, uint16_t bits for float16 and uint16,
/// int64_t, int32_t). The header is padded with spaces and '\n' to a multiple of 64 bytes, as numpy
/// writes it. `data` may be null when the shape has no element.
[[nodiscard]] inline std::string make_npy(npy_type type, const std::vector<std::size_t>& shape, const void* data) {
    if (shape.size() > npy_max_dims) {
        throw npy_error("make_npy: " + std::to_string(shape.size()) + " dimensions, at most " +
                        std::to_string(npy_max_dims) + " are supported");
    }
    const std::size_t item = npy_item_size(type);
    std::size_t count = 1;
    for (const std::size_t d : shape) {
        if (d != 0 && count > std::numeric_limits<std::size_t>::max() / item / d) {
            throw npy_error("make_npy: shape " + npy_shape_text(shape) + " overflows");
        }
        count *= d;
    }
    if (count != 0 && data == nullptr) throw npy_error("make_npy: no data for shape " + npy_shape_text(shape));
    std::string header = "{'descr': '" + std::string(npy_descr(type)) + "', 'fortran_order': False, 'shape': " +
                         npy_shape_text(shape) + ", }";
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    if (header.size() > 0xffff) throw npy_error("make_npy: the header does not fit a version 1.0 file");

    std::string out(detail::npy_magic);
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    out += header;
    const std::size_t start = out.size();
    out.resize(start + count * item);
    auto* dst = reinterpret_cast<unsigned char*>(out.data() + start);
    const auto* src = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < count; ++i, src += item, dst += item) {
        std::uint64_t bits = 0;
        if (item == 8) {
            std::uint64_t b = 0;
            std::memcpy(&b, src, 8);
            bits = b;
        } else if (item == 4) {
            std::uint32_t b = 0;
            std::memcpy(&b, src, 4);
            bits = b;
        } else {
            std::uint16_t b = 0;
            std::memcpy(&b, src, 2);
            bits = b;
        }
        detail::npy_store_le(dst, bits, item);
    }
    return out;
}

}  // namespace posenc::io
