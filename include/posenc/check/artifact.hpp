// posenc/check/artifact.hpp: what `posenc check` is given (a request: the rope's parameters and
// one artifact with its positions) and the canonical form it checks (a problem): every array laid
// out as [token][row][column], with for each column the pair it belongs to and its role.
//
// Artifacts and their layouts
//   inv_freq   [rotary_dim/2] (head_dim/2 also accepted: inv_freq built over the whole head)
//   cos, sin   [T, rot]: HF's cat(freqs, freqs) (pair i in columns i and i + rot/2) for the
//              half-split layout, repeat_interleave(2) (columns 2i, 2i+1) for the interleaved one;
//              or [T, rot/2] (one column per pair). Leading dimensions of size 1 are dropped.
//   freqs_cis  [T, rot/2, 2]: (real, imaginary) = (cos, sin) of each pair (torch.view_as_real).
//   q, k       input x and rotated y, same shape; token axis given (default 0), the last axis the
//              head (head_dim: the first rotary_dim rotate, the rest pass through), the other axes
//              rows of that token.
// Positions: one integer per token ([T]) or three for M-RoPE ([T, 3] or [3, T]: t, h, w); default
// 0 .. T-1 (t = h = w for M-RoPE).
#pragma once

#include "formats.hpp"

#include <posenc/encodings/mrope.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/frequencies/mrope_axes.hpp>

#include <boost/multiprecision/cpp_bin_float.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace posenc::check {

/// The precision of the exact reference's parameters and frequencies (166 bits).
using hp = boost::multiprecision::cpp_bin_float_50;

/// Bad input: `argument` is the option or keyword (or file) concerned.
class input_error : public std::runtime_error {
public:
    input_error(std::string argument, const std::string& problem)
        : std::runtime_error(argument + ": " + problem), argument_(std::move(argument)) {}
    [[nodiscard]] const std::string& argument() const { return argument_; }

private:
    std::string argument_;
};

/// An array as given: values (exactly, as doubles), shape, storage type, and the name used in
/// messages (the option or keyword it came from).
struct tensor {
    std::vector<double> values{};
    std::vector<std::size_t> shape{};
    dtype stored = dtype::float32;
    std::string name{};
};

enum class cache_layout { automatic, cat, repeat, half };
enum class artifact_kind { inv_freq, cos_sin, rotated };

[[nodiscard]] inline std::string_view kind_name(artifact_kind k) {
    return k == artifact_kind::inv_freq ? "inv_freq" : k == artifact_kind::cos_sin ? "cos_sin" : "rotated";
}

/// A rotated tensor with its input ("q" or "k").
struct rotated_input {
    std::string name;
    tensor x;
    tensor y;
};

/// Everything `posenc check` is given.
struct request {
    rope_params<hp> params{};
    std::optional<tensor> inv_freq{};
    std::optional<tensor> cos{};
    std::optional<tensor> sin{};
    std::optional<tensor> freqs_cis{};
    std::vector<rotated_input> rotated{};
    cache_layout layout = cache_layout::automatic;
    std::string layout_name = "--cache-layout";
    int token_axis = 0;
    std::string token_axis_name = "--token-axis";
    std::optional<std::vector<long long>> positions{};
    std::vector<std::size_t> positions_shape{};
    std::string positions_name = "--positions";
    std::optional<dtype> expect{};
    std::string expect_name = "--expect";
    std::optional<double> tolerance{};
    std::string tolerance_name = "--tolerance";
};

/// Largest artifact accepted (elements of one array): 2^26, about 1.6 GB of working memory.
inline constexpr std::size_t max_elements = std::size_t{1} << 26;
/// Positions are integers with |p| <= 2^40.
inline constexpr long long max_position = 1LL << 40;

/// Role of a column.
enum class role : unsigned char { value, first, second, pass };

/// Column w of a [token][row][column] array: its pair, role and (rotated) partner column.
struct column {
    int pair = 0;
    role what = role::value;
    int partner = -1;
};

/// One artifact array (with its input, for rotated ones) in canonical order.
struct part {
    std::string name;                     ///< "cos/sin", "freqs_cis", "q", "k", "inv_freq"
    std::vector<std::string> row_names;   ///< caches: {"cos", "sin"}; otherwise one name for every row
    std::size_t tokens = 0;
    std::size_t rows = 0;
    std::size_t width = 0;
    std::vector<double> y{};              ///< [tokens][rows][width]
    std::vector<double> x{};              ///< rotated: the input, same layout
    std::vector<column> columns{};        ///< as laid out in the configured layout
    std::vector<column> swapped{};        ///< as laid out in the other pairing (empty: no other one)
    [[nodiscard]] double at(const std::vector<double>& v, std::size_t j, std::size_t r, std::size_t w) const {
        return v[(j * rows + r) * width + w];
    }
    [[nodiscard]] const std::string& row_name(std::size_t r) const { return row_names[r < row_names.size() ? r : 0]; }
};

/// The canonical problem.
struct problem {
    artifact_kind kind = artifact_kind::cos_sin;
    rope_params<hp> params{};
    int pairs = 0;         ///< rotated pairs of the rope (rotary_dim / 2)
    int art_pairs = 0;     ///< pairs the artifact holds (inv_freq may hold head_dim / 2)
    int rotary_dim = 0;
    std::vector<mrope_axis> axes{};  ///< per pair (all t for a 1D rope)
    bool is_mrope = false;
    std::vector<std::array<long long, 3>> positions{};  ///< per token (t, h, w); 1D: all three equal
    std::vector<part> parts{};
    dtype stored = dtype::float32;
    dtype expect = dtype::float32;
    double tolerance = 1;
    std::string cache_layout_name{};  ///< "cat", "repeat", "half", "complex" (caches)
    [[nodiscard]] std::size_t tokens() const { return positions.size(); }
};

namespace detail {

/// Drops leading dimensions of size 1 (keeps at least `keep` dimensions).
inline std::vector<std::size_t> squeeze_leading(std::vector<std::size_t> s, std::size_t keep) {
    while (s.size() > keep && s.front() == 1) s.erase(s.begin());
    return s;
}

inline std::string shape_text(const std::vector<std::size_t>& s) {
    std::string t = "[";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + "]";
}

/// Columns of a cache of width w holding `pairs` pairs in layout l.
inline std::vector<column> cache_columns(cache_layout l, int pairs) {
    std::vector<column> c;
    if (l == cache_layout::half) {
        for (int i = 0; i < pairs; ++i) c.push_back({i, role::value, -1});
    } else if (l == cache_layout::cat) {
        for (int h = 0; h < 2; ++h)
            for (int i = 0; i < pairs; ++i) c.push_back({i, role::value, -1});
    } else {
        for (int i = 0; i < pairs; ++i) {
            c.push_back({i, role::value, -1});
            c.push_back({i, role::value, -1});
        }
    }
    return c;
}

/// Columns of a head of `head_dim` whose first `rot` dims rotate in layout l.
inline std::vector<column> head_columns(pair_layout l, int head_dim, int rot) {
    std::vector<column> c(static_cast<std::size_t>(head_dim));
    const int n = rot / 2;
    for (int e = 0; e < head_dim; ++e) {
        column& k = c[static_cast<std::size_t>(e)];
        if (e >= rot) {
            k = {0, role::pass, -1};
        } else if (l == pair_layout::half_split) {
            k = e < n ? column{e, role::first, e + n} : column{e - n, role::second, e - n};
        } else {
            k = e % 2 == 0 ? column{e / 2, role::first, e + 1} : column{e / 2, role::second, e - 1};
        }
    }
    return c;
}

inline pair_layout other(pair_layout l) {
    return l == pair_layout::half_split ? pair_layout::interleaved : pair_layout::half_split;
}

inline dtype common_dtype(const std::vector<const tensor*>& ts) {
    const dtype d = ts.front()->stored;
    for (const tensor* t : ts) {
        if (t->stored != d) {
            throw input_error(t->name, "stored as " + std::string(dtype_name(t->stored)) + " while " + ts.front()->name +
                                           " is " + std::string(dtype_name(d)) + "; give every array in one dtype");
        }
    }
    return d;
}

inline void check_size(const tensor& t) {
    if (t.values.size() > max_elements) {
        throw input_error(t.name, "has " + std::to_string(t.values.size()) + " elements; at most " +
                                      std::to_string(max_elements) + " are checked in one run");
    }
    std::size_t n = 1;
    for (std::size_t s : t.shape) n *= s;
    if (n != t.values.size()) throw input_error(t.name, "shape " + shape_text(t.shape) + " does not match its data");
    if (t.values.empty()) throw input_error(t.name, "is empty");
}

/// Positions per token from the request (T tokens).
inline std::vector<std::array<long long, 3>> make_positions(const request& q, std::size_t tokens, bool mrope) {
    std::vector<std::array<long long, 3>> p(tokens);
    if (!q.positions) {
        for (std::size_t j = 0; j < tokens; ++j) {
            const auto v = static_cast<long long>(j);
            p[j] = {v, v, v};
        }
        return p;
    }
    const std::vector<long long>& v = *q.positions;
    const std::vector<std::size_t> s = squeeze_leading(q.positions_shape, 1);
    const std::string expected = mrope ? "[T] or [T, 3] or [3, T] with T = " + std::to_string(tokens)
                                       : "[T] with T = " + std::to_string(tokens);
    for (long long x : v) {
        if (x > max_position || x < -max_position) {
            throw input_error(q.positions_name, "position " + std::to_string(x) + " is outside [-2^40, 2^40]");
        }
    }
    if (s.size() == 1 && s[0] == tokens) {
        for (std::size_t j = 0; j < tokens; ++j) p[j] = {v[j], v[j], v[j]};
        return p;
    }
    if (mrope && s.size() == 2 && s[0] == tokens && s[1] == 3) {
        for (std::size_t j = 0; j < tokens; ++j) p[j] = {v[3 * j], v[3 * j + 1], v[3 * j + 2]};
        return p;
    }
    if (mrope && s.size() == 2 && s[0] == 3 && s[1] == tokens) {
        for (std::size_t j = 0; j < tokens; ++j) p[j] = {v[j], v[tokens + j], v[2 * tokens + j]};
        return p;
    }
    throw input_error(q.positions_name, "shape " + shape_text(q.positions_shape) + "; expected " + expected +
                                            (mrope ? "" : " (three positions per token need an M-RoPE: --mrope-section)"));
}

/// [d0, ..., dk] with the token axis moved first and the last axis kept last: returns the values
/// in [token][row][last] order.
inline std::vector<double> tokens_first(const tensor& t, std::size_t axis, std::size_t& tokens, std::size_t& rows,
                                        std::size_t& width) {
    const std::vector<std::size_t>& s = t.shape;
    width = s.back();
    tokens = s[axis];
    const std::size_t total = t.values.size();
    rows = total / (tokens * width);
    std::size_t outer = 1;  // product of the dims before the token axis
    for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
    std::size_t inner = total / (outer * tokens);  // elements after the token axis (rows within, times width)
    std::vector<double> out(total);
    // source index: ((o * tokens + j) * inner + i); destination: (j * outer + o) * inner + i
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < tokens; ++j)
            std::copy_n(t.values.begin() + static_cast<std::ptrdiff_t>((o * tokens + j) * inner), inner,
                        out.begin() + static_cast<std::ptrdiff_t>((j * outer + o) * inner));
    return out;
}

}  // namespace detail

/// Validates the request and builds the canonical problem. Throws input_error naming the argument,
/// or posenc::invalid_parameter for the rope's parameters.
inline problem make_problem(const request& q) {
    problem pr;
    pr.params = q.params;
    const posenc::rope<hp> r(q.params);
    pr.rotary_dim = r.rotary_dim();
    pr.pairs = r.pairs();
    pr.art_pairs = pr.pairs;
    pr.is_mrope = !q.params.mrope_section.empty();
    if (pr.is_mrope) {
        const posenc::mrope<hp> m(q.params);
        pr.axes = m.axes();
    } else {
        pr.axes.assign(static_cast<std::size_t>(pr.pairs), mrope_axis::t);
    }
    const int kinds = (q.inv_freq ? 1 : 0) + ((q.cos || q.sin) ? 1 : 0) + (q.freqs_cis ? 1 : 0) + (q.rotated.empty() ? 0 : 1);
    if (kinds != 1) {
        throw input_error("artifact", kinds == 0 ? "give one artifact: inv_freq, cos and sin, freqs_cis, or q/k with their rotation"
                                                 : "give only one kind of artifact per check (inv_freq, cos/sin, freqs_cis, or rotated q/k)");
    }
    std::vector<const tensor*> all;
    const int n = pr.pairs;
    const int head = q.params.head_dim;
    if (q.inv_freq) {
        const tensor& t = *q.inv_freq;
        detail::check_size(t);
        const auto s = detail::squeeze_leading(t.shape, 1);
        const std::size_t m = t.values.size();
        if (s.size() != 1 || (m != static_cast<std::size_t>(n) && m != static_cast<std::size_t>(head / 2))) {
            throw input_error(t.name, "shape " + detail::shape_text(t.shape) + "; expected [" + std::to_string(n) +
                                          "] (rotary_dim / 2 = " + std::to_string(n) + ")");
        }
        pr.kind = artifact_kind::inv_freq;
        pr.art_pairs = static_cast<int>(m);
        part p{"inv_freq", {"inv_freq"}, 1, 1, m, t.values, {}, {}, {}};
        for (std::size_t i = 0; i < m; ++i) p.columns.push_back({static_cast<int>(i), role::value, -1});
        pr.parts.push_back(std::move(p));
        all.push_back(&t);
        pr.positions = {{0, 0, 0}};
    } else if (q.cos || q.sin || q.freqs_cis) {
        pr.kind = artifact_kind::cos_sin;
        std::vector<std::size_t> s;
        std::vector<double> y;
        std::size_t width = 0;
        std::size_t tokens = 0;
        if (q.freqs_cis) {
            const tensor& t = *q.freqs_cis;
            detail::check_size(t);
            s = detail::squeeze_leading(t.shape, 3);
            if (s.size() != 3 || s[1] != static_cast<std::size_t>(n) || s[2] != 2) {
                throw input_error(t.name, "shape " + detail::shape_text(t.shape) + "; expected [T, " + std::to_string(n) +
                                              ", 2] (real, imaginary per pair)");
            }
            tokens = s[0];
            width = static_cast<std::size_t>(n);
            y.resize(tokens * 2 * width);
            for (std::size_t j = 0; j < tokens; ++j)
                for (std::size_t i = 0; i < width; ++i)
                    for (std::size_t c = 0; c < 2; ++c) y[(j * 2 + c) * width + i] = t.values[(j * width + i) * 2 + c];
            part p{"freqs_cis", {"real", "imag"}, tokens, 2, width, std::move(y), {}, {}, {}};
            p.columns = detail::cache_columns(cache_layout::half, n);
            pr.parts.push_back(std::move(p));
            pr.cache_layout_name = "complex";
            all.push_back(&t);
        } else {
            if (!q.cos || !q.sin) throw input_error(q.cos ? q.cos->name : "--cos", "cos and sin are given together");
            const tensor& c = *q.cos;
            const tensor& sn = *q.sin;
            detail::check_size(c);
            detail::check_size(sn);
            s = detail::squeeze_leading(c.shape, 2);
            const auto s2 = detail::squeeze_leading(sn.shape, 2);
            if (s.size() == 1) s.insert(s.begin(), 1);  // one token
            if (s.size() != 2) {
                throw input_error(c.name, "shape " + detail::shape_text(c.shape) + "; expected [T, " + std::to_string(2 * n) +
                                              "] or [T, " + std::to_string(n) + "] (leading dimensions of size 1 allowed)");
            }
            if (sn.values.size() != c.values.size() || s2.back() != s.back()) {
                throw input_error(sn.name, "shape " + detail::shape_text(sn.shape) + " differs from the cos shape " +
                                               detail::shape_text(c.shape));
            }
            tokens = s[0];
            width = s[1];
            cache_layout l = q.layout;
            if (width == static_cast<std::size_t>(n) && n > 0 && width != static_cast<std::size_t>(2 * n)) {
                if (l != cache_layout::automatic && l != cache_layout::half) {
                    throw input_error(q.layout_name, "cat and repeat caches have " + std::to_string(2 * n) +
                                                         " columns; this one has " + std::to_string(width));
                }
                l = cache_layout::half;
            } else if (width == static_cast<std::size_t>(2 * n)) {
                if (l == cache_layout::half) {
                    throw input_error(q.layout_name, "a half cache has " + std::to_string(n) + " columns; this one has " +
                                                         std::to_string(width));
                }
                if (l == cache_layout::automatic) {
                    l = q.params.layout == pair_layout::half_split ? cache_layout::cat : cache_layout::repeat;
                }
            } else {
                throw input_error(c.name, "has " + std::to_string(width) + " columns; the rope rotates " +
                                              std::to_string(pr.rotary_dim) + " dims (" + std::to_string(n) + " pairs): expected " +
                                              std::to_string(2 * n) + " (cat or repeat) or " + std::to_string(n) + " (one per pair)");
            }
            y.resize(tokens * 2 * width);
            for (std::size_t j = 0; j < tokens; ++j) {
                std::copy_n(c.values.begin() + static_cast<std::ptrdiff_t>(j * width), width,
                            y.begin() + static_cast<std::ptrdiff_t>(2 * j * width));
                std::copy_n(sn.values.begin() + static_cast<std::ptrdiff_t>(j * width), width,
                            y.begin() + static_cast<std::ptrdiff_t>((2 * j + 1) * width));
            }
            part p{"cos/sin", {"cos", "sin"}, tokens, 2, width, std::move(y), {}, {}, {}};
            p.columns = detail::cache_columns(l, n);
            if (l != cache_layout::half) p.swapped = detail::cache_columns(l == cache_layout::cat ? cache_layout::repeat : cache_layout::cat, n);
            pr.cache_layout_name = l == cache_layout::half ? "half" : l == cache_layout::cat ? "cat" : "repeat";
            pr.parts.push_back(std::move(p));
            all.push_back(&c);
            all.push_back(&sn);
        }
        pr.positions = detail::make_positions(q, tokens, pr.is_mrope);
    } else {
        pr.kind = artifact_kind::rotated;
        std::size_t tokens0 = 0;
        for (const rotated_input& ri : q.rotated) {
            detail::check_size(ri.x);
            detail::check_size(ri.y);
            if (ri.x.shape != ri.y.shape) {
                throw input_error(ri.y.name, "shape " + detail::shape_text(ri.y.shape) + " differs from the input's " +
                                                 detail::shape_text(ri.x.shape));
            }
            const std::vector<std::size_t>& s = ri.x.shape;
            if (s.back() != static_cast<std::size_t>(head)) {
                throw input_error(ri.x.name, "last axis has " + std::to_string(s.back()) + " elements; expected head_dim = " +
                                                 std::to_string(head));
            }
            const int ax = q.token_axis < 0 ? q.token_axis + static_cast<int>(s.size()) : q.token_axis;
            if (s.size() < 2 || ax < 0 || ax >= static_cast<int>(s.size()) - 1) {
                throw input_error(q.token_axis_name, std::to_string(q.token_axis) + " is not an axis of " + ri.x.name + " " +
                                                         detail::shape_text(s) + " other than the last (head) axis");
            }
            part p;
            p.name = ri.name;
            p.row_names = {ri.name};
            p.x = detail::tokens_first(ri.x, static_cast<std::size_t>(ax), p.tokens, p.rows, p.width);
            p.y = detail::tokens_first(ri.y, static_cast<std::size_t>(ax), p.tokens, p.rows, p.width);
            p.columns = detail::head_columns(q.params.layout, head, pr.rotary_dim);
            p.swapped = detail::head_columns(detail::other(q.params.layout), head, pr.rotary_dim);
            if (!pr.parts.empty() && p.tokens != tokens0) {
                throw input_error(ri.x.name, "has " + std::to_string(p.tokens) + " tokens, " + pr.parts.front().name + " has " +
                                                 std::to_string(tokens0));
            }
            tokens0 = p.tokens;
            pr.parts.push_back(std::move(p));
            all.push_back(&ri.x);
            all.push_back(&ri.y);
        }
        pr.positions = detail::make_positions(q, tokens0, pr.is_mrope);
    }
    pr.stored = detail::common_dtype(all);
    pr.expect = q.expect.value_or(pr.stored);
    if (format_of(pr.expect).p < format_of(pr.stored).p) {
        throw input_error(q.expect_name, std::string(dtype_name(pr.expect)) + " is narrower than the artifact's dtype " +
                                             std::string(dtype_name(pr.stored)) + "; give the dtype it was stored in or a wider one");
    }
    const double def = pr.kind == artifact_kind::rotated ? 2.0 : 1.0;
    pr.tolerance = q.tolerance.value_or(def);
    if (!(pr.tolerance > 0) || !(pr.tolerance <= 1e15)) {
        throw input_error(q.tolerance_name, "a number of ulps in (0, 1e15]");
    }
    return pr;
}

}  // namespace posenc::check
