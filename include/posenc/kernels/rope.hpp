// posenc/kernels/rope.hpp: fast float32 RoPE (Su et al. 2021, RoFormer §3.2-3.4, eq. 34): cos/sin
// tables, and the rotation of Q and K from a table or fused with the angle computation.
//
// Kernels, each with a scalar twin (`*_scalar`) that performs the same operations in the same order
// and gives the same bits (see simd.hpp):
//   build_table   cos/sin of m * theta_i (times the attention scale) for positions x pairs, rounded
//                 to float. Valid: |m| <= 2^24, theta_i in [0, 2]. Error: every entry within 1 ulp
//                 (float) of the exact value (0.5 + 2^-25 ulp but for angles within 2^-55 of a
//                 multiple of pi/2; sincos.hpp).
//   apply_table   rotates every head of every operand by the table row of its token:
//                 (x_a, x_b) <- (x_a c - x_b s, x_a s + x_b c), pairs (a, b) of the layout
//                 (interleaved (2i, 2i+1) or half-split (i, i + rotary_dim/2)), in double from the
//                 float inputs and table (every product exact; one fused multiply-add per
//                 component), rounded to float once. Error of an output pair against the
//                 exact rotation by the exact angle, in units of ulp(|x_pair|) (float): at most
//                 0.71 (the table's rounding: |dc|, |ds| <= 2^-25) + 0.71 (the final rounding of
//                 each component) + 2^-28 = 1.42; with an attention scale s > 1 the entries reach
//                 s, the table's part grows to at most 1 ulp(s |x_pair|), and the bound to 1.71.
//   apply_fused   the same from per-token integer positions (packed sequences, any order): cos/sin
//                 computed once per token in double (sincos.hpp) and used for every head of every
//                 operand without rounding them to float. Error at most 0.71 + 2^-28 ulp(|x_pair|)
//                 (one rounding per component: the output is the correctly rounded rotation up to
//                 2^-28 ulp).
// Dimensions rotary_dim .. head_dim-1 (partial rotary) are copied out of place and left alone in
// place. With attention_scale s != 1 (HF's attention_factor of yarn and longrope), cos and sin are
// multiplied by s in double before use, and the bounds are relative to s |x_pair|.
// Threads: with a thread_pool, tokens are split into contiguous ranges, one per thread; each token
// is computed the same way in any range, so the output does not depend on the number of threads.
// Inputs that are NaN or infinite propagate as IEEE arithmetic does; no check is made on values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../frequencies/layout.hpp"
#include "sincos.hpp"
#include "tensor.hpp"

namespace posenc::kernels {

/// The largest |position| the kernels accept.
inline constexpr std::int64_t max_position = std::int64_t{1} << 24;
/// The largest frequency the kernels accept (so that |m theta| <= 2^25).
inline constexpr double max_theta = 2.0;

/// Frequencies and geometry of a RoPE, in double, split for exact angles (sincos.hpp).
class rope_frequencies {
public:
    /// theta.size() == rotary_dim / 2; head_dim even > 0; rotary_dim even in (0, head_dim];
    /// every theta in [0, 2]; attention_scale finite and > 0. Throws kernel_error naming the argument.
    rope_frequencies(int head_dim, int rotary_dim, pair_layout layout, std::span<const double> theta,
                     double attention_scale = 1.0)
        : head_dim_(head_dim), rotary_dim_(rotary_dim), layout_(layout), attention_scale_(attention_scale),
          theta_(theta.begin(), theta.end()) {
        if (head_dim <= 0 || head_dim % 2 != 0) throw kernel_error("head_dim", "must be even and > 0, got " + std::to_string(head_dim));
        if (rotary_dim <= 0 || rotary_dim % 2 != 0 || rotary_dim > head_dim) {
            throw kernel_error("rotary_dim", "must be even and in (0, head_dim = " + std::to_string(head_dim) + "], got " +
                                                 std::to_string(rotary_dim));
        }
        if (theta_.size() != static_cast<std::size_t>(rotary_dim / 2)) {
            throw kernel_error("theta", "needs rotary_dim / 2 = " + std::to_string(rotary_dim / 2) + " frequencies, got " +
                                            std::to_string(theta_.size()));
        }
        for (std::size_t i = 0; i < theta_.size(); ++i) {
            if (!(theta_[i] >= 0 && theta_[i] <= max_theta)) {
                throw kernel_error("theta", "theta[" + std::to_string(i) + "] = " + std::to_string(theta_[i]) +
                                                " is outside [0, 2]");
            }
        }
        if (!(attention_scale > 0 && attention_scale < 1e300)) {
            throw kernel_error("attention_scale", "must be finite and > 0, got " + std::to_string(attention_scale));
        }
        const std::size_t padded = (theta_.size() + simd_width - 1) / simd_width * simd_width;
        hi_.assign(padded, 0.0);
        lo_.assign(padded, 0.0);
        for (std::size_t i = 0; i < theta_.size(); ++i) {
            const split_frequency s = split_frequency_of(theta_[i]);
            hi_[i] = s.hi;
            lo_[i] = s.lo;
        }
    }

    /// The frequencies of a posenc::rope<double> (any variant, layout, partial rotary), or of
    /// anything with its head_dim(), rotary_dim(), layout(), inv_freq() and attention_factor();
    /// with `with_attention_factor`, cos and sin are scaled by attention_factor() as HF does.
    /// (A template, so that this header does not include the constexpr encodings.)
    template <class Rope>
    static rope_frequencies from(const Rope& r, bool with_attention_factor = false) {
        return {r.head_dim(), r.rotary_dim(), r.layout(), r.inv_freq(), with_attention_factor ? r.attention_factor() : 1.0};
    }

    [[nodiscard]] int head_dim() const { return head_dim_; }
    [[nodiscard]] int rotary_dim() const { return rotary_dim_; }
    [[nodiscard]] int pairs() const { return rotary_dim_ / 2; }
    [[nodiscard]] pair_layout layout() const { return layout_; }
    [[nodiscard]] double attention_scale() const { return attention_scale_; }
    [[nodiscard]] const std::vector<double>& theta() const { return theta_; }
    /// theta = hi + lo, padded with zeros to a multiple of simd_width.
    [[nodiscard]] const std::vector<double>& theta_hi() const { return hi_; }
    [[nodiscard]] const std::vector<double>& theta_lo() const { return lo_; }
    /// Components (a, b) of pair i.
    [[nodiscard]] pair_index pair_indices(int i) const {
        if (layout_ == pair_layout::interleaved) return {2 * i, 2 * i + 1};
        return {i, i + rotary_dim_ / 2};
    }

private:
    int head_dim_;
    int rotary_dim_;
    pair_layout layout_;
    double attention_scale_;
    std::vector<double> theta_;
    std::vector<double> hi_;
    std::vector<double> lo_;
};

/// cos and sin (times the attention scale) of position x pair, float, row-major with `stride`
/// floats per row (pairs rounded up to simd_width; the padding holds cos 1, sin 0 times the scale).
struct cos_sin_table {
    int positions = 0;
    int pairs = 0;
    int stride = 0;
    std::vector<float> cos;
    std::vector<float> sin;

    [[nodiscard]] std::span<const float> cos_row(int t) const { return {cos.data() + static_cast<std::size_t>(t) * stride, static_cast<std::size_t>(pairs)}; }
    [[nodiscard]] std::span<const float> sin_row(int t) const { return {sin.data() + static_cast<std::size_t>(t) * stride, static_cast<std::size_t>(pairs)}; }
};

/// Positions first, first + 1, ..., first + count - 1.
inline std::vector<std::int64_t> position_range(std::int64_t first, int count) {
    std::vector<std::int64_t> p(static_cast<std::size_t>(count > 0 ? count : 0));
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = first + static_cast<std::int64_t>(i);
    return p;
}

namespace detail {

inline void check_positions(std::span<const std::int64_t> positions, const char* name) {
    for (std::size_t t = 0; t < positions.size(); ++t) {
        if (positions[t] < -max_position || positions[t] > max_position) {
            throw kernel_error(name, std::string(name) + "[" + std::to_string(t) + "] = " + std::to_string(positions[t]) +
                                         " is outside [-2^24, 2^24]");
        }
    }
}

inline void prepare_table(const rope_frequencies& f, std::size_t rows, cos_sin_table& out) {
    if (rows > static_cast<std::size_t>(1) << 31) throw kernel_error("positions", "more than 2^31 rows");
    out.positions = static_cast<int>(rows);
    out.pairs = f.pairs();
    out.stride = static_cast<int>(f.theta_hi().size());
    out.cos.assign(rows * static_cast<std::size_t>(out.stride), 0.0f);
    out.sin.assign(rows * static_cast<std::size_t>(out.stride), 0.0f);
}

/// Per-token rotation coefficients in double, laid out for the pair layout:
///   half-split:  c[i], s[i]                          (i < pairs, padded)
///   interleaved: c[2i] = c[2i+1] = c_i, s[2i] = -s_i, s[2i+1] = s_i  (so y = x c + swap(x) s)
struct coefficients {
    std::vector<double> c;
    std::vector<double> s;
    void resize(const rope_frequencies& f) {
        const std::size_t n = f.theta_hi().size() * (f.layout() == pair_layout::interleaved ? 2 : 1);
        c.assign(n, 0.0);
        s.assign(n, 0.0);
    }
    /// Pairs i .. i + simd_width - 1 (i a multiple of simd_width, within the padded length).
    POSENC_KERNEL_INLINE void set_block(pair_layout layout, std::size_t i, const vdouble& ci, const vdouble& si) {
        if (layout == pair_layout::interleaved) {
            constexpr std::size_t h = simd_width / 2;
            // (c_i, c_i, c_{i+1}, c_{i+1}, ...) and (-s_i, s_i, -s_{i+1}, s_{i+1}, ...), in two vectors
            const vdouble neg = -si;
            const vdouble c0([&](auto l) { return ci[l / 2]; });
            const vdouble c1([&](auto l) { return ci[h + l / 2]; });
            const vdouble s0([&](auto l) { return l % 2 == 0 ? neg[l / 2] : si[l / 2]; });
            const vdouble s1([&](auto l) { return l % 2 == 0 ? neg[h + l / 2] : si[h + l / 2]; });
            c0.copy_to(c.data() + 2 * i, stdx::element_aligned);
            c1.copy_to(c.data() + 2 * i + simd_width, stdx::element_aligned);
            s0.copy_to(s.data() + 2 * i, stdx::element_aligned);
            s1.copy_to(s.data() + 2 * i + simd_width, stdx::element_aligned);
        } else {
            ci.copy_to(c.data() + i, stdx::element_aligned);
            si.copy_to(s.data() + i, stdx::element_aligned);
        }
    }
};

/// (x_a, x_b) <- (x_a c - x_b s, x_a s + x_b c) in double, rounded to float: the scalar rotation
/// every kernel's vector code reproduces bit for bit. Exact = true (c, s from a float table):
/// products of floats are exact in double, and one of each pair enters a fused multiply-add,
/// x_a c - RN(x_b s) and x_b c + RN(x_a s) (the same value as two roundings, one operation fewer).
/// Exact = false (double c, s): two products and a sum, each rounded (2^-53 |x| each, far below
/// ulp(|x|) of float).
template <bool Exact>
POSENC_KERNEL_INLINE void rotate_pair_scalar(const float* in, float* out, int a, int b, double c, double s) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    const double xa = in[a];
    const double xb = in[b];
    if constexpr (Exact) {
        out[a] = static_cast<float>(fma_of(xa, c, -(xb * s)));
        out[b] = static_cast<float>(fma_of(xb, c, xa * s));
    } else {
        out[a] = static_cast<float>(xa * c - xb * s);
        out[b] = static_cast<float>(xa * s + xb * c);
    }
}

/// Rotates one head vector by the coefficients (see `coefficients`; Exact as rotate_pair_scalar);
/// copies the unrotated tail when out of place.
template <bool Exact>
POSENC_KERNEL_INLINE void rotate_head(const rope_frequencies& f, const coefficients& k, const float* in, float* out) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    constexpr std::size_t w = simd_width;
    const std::size_t n = static_cast<std::size_t>(f.pairs());
    const double* cp = k.c.data();
    const double* sp = k.s.data();
    if (f.layout() == pair_layout::half_split) {
        const std::size_t nv = n - n % w;
        for (std::size_t i = 0; i < nv; i += w) {
            const vdouble x0 = load_floats(in + i);
            const vdouble x1 = load_floats(in + n + i);
            const vdouble c = load_doubles(cp + i);
            const vdouble s = load_doubles(sp + i);
            if constexpr (Exact) {
                store_floats(fma_of(x0, c, vdouble(-(x1 * s))), out + i);
                store_floats(fma_of(x1, c, vdouble(x0 * s)), out + n + i);
            } else {
                store_floats(x0 * c - x1 * s, out + i);
                store_floats(x0 * s + x1 * c, out + n + i);
            }
        }
        for (std::size_t i = nv; i < n; ++i) {
            rotate_pair_scalar<Exact>(in, out, static_cast<int>(i), static_cast<int>(i + n), cp[i], sp[i]);
        }
    } else {
        const std::size_t r = 2 * n;
        const std::size_t rv = r - r % w;  // w is even: a vector holds whole pairs
        for (std::size_t j = 0; j < rv; j += w) {
            const vdouble x = load_floats(in + j);
            const vdouble swapped([&](auto lane) { return x[lane ^ 1]; });  // (x_{2i+1}, x_{2i})
            if constexpr (Exact) {
                // lane 2i: fma(x_2i, c_i, -(x_2i+1 s_i)); lane 2i+1: fma(x_2i+1, c_i, x_2i s_i)
                store_floats(fma_of(x, load_doubles(cp + j), vdouble(swapped * load_doubles(sp + j))), out + j);
            } else {
                store_floats(x * load_doubles(cp + j) + swapped * load_doubles(sp + j), out + j);
            }
        }
        for (std::size_t j = rv; j < r; j += 2) {
            rotate_pair_scalar<Exact>(in, out, static_cast<int>(j), static_cast<int>(j + 1), cp[j], sp[j + 1]);
        }
    }
    if (in != out) {
        for (int d = f.rotary_dim(); d < f.head_dim(); ++d) out[d] = in[d];
    }
}

/// Rotates every head of every operand at token t.
template <bool Exact>
void rotate_token(const rope_frequencies& f, const coefficients& k, std::span<const rope_operand> ops, int t) {
    for (const rope_operand& op : ops) {
        for (int h = 0; h < op.in.heads; ++h) rotate_head<Exact>(f, k, op.in.at(t, h), op.out.at(t, h));
    }
}

/// The loop of the scalar twins: rotate(t, in, out) for every head of every operand at every
/// token, then the unrotated tail copied when out of place.
template <class Rotate>
void scalar_heads(const rope_frequencies& f, std::span<const rope_operand> ops, int tokens, const Rotate& rotate) {
    for (int t = 0; t < tokens; ++t) {
        for (const rope_operand& op : ops) {
            for (int h = 0; h < op.in.heads; ++h) {
                const float* in = op.in.at(t, h);
                float* out = op.out.at(t, h);
                rotate(t, in, out);
                if (in != out) {
                    for (int d = f.rotary_dim(); d < f.head_dim(); ++d) out[d] = in[d];
                }
            }
        }
    }
}

/// The token count of a call, checked against `rows` (table rows or positions).
inline int call_tokens(std::span<const rope_operand> ops, std::size_t rows, const char* rows_name) {
    if (ops.empty()) throw kernel_error("operands", "at least one tensor is needed");
    const int tokens = ops[0].in.tokens;
    if (tokens < 1) throw kernel_error(ops.size() == 1 ? "tensor" : "q", "tokens must be >= 1");
    if (static_cast<std::size_t>(tokens) != rows) {
        throw kernel_error(rows_name, "has " + std::to_string(rows) + " rows, the tensors have " + std::to_string(tokens) + " tokens");
    }
    return tokens;
}

/// The checks of an apply_table call; returns the token count.
inline int check_table_call(const rope_frequencies& f, const cos_sin_table& table, std::span<const rope_operand> ops) {
    const int tokens = call_tokens(ops, static_cast<std::size_t>(table.positions), "table");
    if (table.pairs != f.pairs() || table.stride != static_cast<int>(f.theta_hi().size()) ||
        table.cos.size() < static_cast<std::size_t>(table.positions) * static_cast<std::size_t>(table.stride) ||
        table.sin.size() != table.cos.size()) {
        throw kernel_error("table", "was not built by build_table for these frequencies (" + std::to_string(table.pairs) +
                                        " pairs, row stride " + std::to_string(table.stride) + "; " + std::to_string(f.pairs()) +
                                        " pairs, stride " + std::to_string(f.theta_hi().size()) + " expected)");
    }
    check_operands(ops, tokens, f.head_dim());
    return tokens;
}

/// cos/sin of the angles of one token in double, pair block by pair block: m_of(i) gives the
/// position vector of the block starting at pair i.
/// Kept out of line: inlined into the token loops, GCC 12 lays the angle code out so that it runs
/// 20-25% slower (posenc bench, 256x4x128).
template <class PositionOf>
[[gnu::noinline]] void fused_coefficients(const rope_frequencies& f, const PositionOf& m_of, coefficients& k) {
    const double* hi = f.theta_hi().data();
    const double* lo = f.theta_lo().data();
    const vdouble scale(f.attention_scale());
    const std::size_t n = static_cast<std::size_t>(f.pairs());
    for (std::size_t i = 0; i < n; i += simd_width) {
        const sincos_value<vdouble> v = sincos_of_angle(m_of(i), load_doubles(hi + i), load_doubles(lo + i));
        k.set_block(f.layout(), i, v.cos * scale, v.sin * scale);
    }
}

}  // namespace detail

/// Builds the cos/sin table of `positions` (one row per position; see the file comment).
inline void build_table(const rope_frequencies& f, std::span<const std::int64_t> positions, cos_sin_table& out,
                        thread_pool* pool = nullptr) {
    detail::check_positions(positions, "positions");
    detail::prepare_table(f, positions.size(), out);
    const double* hi = f.theta_hi().data();
    const double* lo = f.theta_lo().data();
    const std::size_t padded = f.theta_hi().size();
    detail::for_ranges(pool, positions.size(), static_cast<std::size_t>(f.pairs()), [&](std::size_t begin, std::size_t end) {
        const vdouble scale(f.attention_scale());
        for (std::size_t t = begin; t < end; ++t) {
            const vdouble m(static_cast<double>(positions[t]));
            float* c = out.cos.data() + t * padded;
            float* s = out.sin.data() + t * padded;
            for (std::size_t i = 0; i < padded; i += simd_width) {
                const sincos_value<vdouble> v = sincos_of_angle(m, detail::load_doubles(hi + i), detail::load_doubles(lo + i));
                detail::store_floats(v.cos * scale, c + i);
                detail::store_floats(v.sin * scale, s + i);
            }
        }
    });
}

/// The scalar twin of build_table.
inline void build_table_scalar(const rope_frequencies& f, std::span<const std::int64_t> positions, cos_sin_table& out) {
    detail::check_positions(positions, "positions");
    detail::prepare_table(f, positions.size(), out);
    const std::size_t padded = f.theta_hi().size();
    for (std::size_t t = 0; t < positions.size(); ++t) {
        for (std::size_t i = 0; i < padded; ++i) {
            const sincos_value<double> v =
                sincos_of_angle(static_cast<double>(positions[t]), f.theta_hi()[i], f.theta_lo()[i]);
            out.cos[t * padded + i] = static_cast<float>(v.cos * f.attention_scale());
            out.sin[t * padded + i] = static_cast<float>(v.sin * f.attention_scale());
        }
    }
}

/// Rotates every operand by the table: token t by row t (table.positions == tokens).
inline void apply_table(const rope_frequencies& f, const cos_sin_table& table, std::span<const rope_operand> ops,
                        thread_pool* pool = nullptr) {
    const int tokens = detail::check_table_call(f, table, ops);
    detail::for_ranges(pool, static_cast<std::size_t>(tokens), detail::pairs_per_token(ops, f.pairs()), [&](std::size_t begin, std::size_t end) {
        detail::coefficients k;
        k.resize(f);
        for (std::size_t t = begin; t < end; ++t) {
            const float* c = table.cos.data() + t * static_cast<std::size_t>(table.stride);
            const float* s = table.sin.data() + t * static_cast<std::size_t>(table.stride);
            for (std::size_t i = 0; i < static_cast<std::size_t>(f.pairs()); i += simd_width) {  // rows are padded
                k.set_block(f.layout(), i, detail::load_floats(c + i), detail::load_floats(s + i));
            }
            detail::rotate_token<true>(f, k, ops, static_cast<int>(t));
        }
    });
}

/// In place, Q and K.
inline void apply_table(const rope_frequencies& f, const cos_sin_table& table, const tensor_view& q, const tensor_view& k,
                        thread_pool* pool = nullptr) {
    const rope_operand ops[] = {rope_operand::in_place(q), rope_operand::in_place(k)};
    apply_table(f, table, ops, pool);
}

/// The scalar twin of apply_table (no threads).
inline void apply_table_scalar(const rope_frequencies& f, const cos_sin_table& table, std::span<const rope_operand> ops) {
    const int tokens = detail::check_table_call(f, table, ops);
    detail::scalar_heads(f, ops, tokens, [&](int t, const float* in, float* out) {
        for (int i = 0; i < f.pairs(); ++i) {
            const pair_index p = f.pair_indices(i);
            detail::rotate_pair_scalar<true>(in, out, p.a, p.b, table.cos_row(t)[static_cast<std::size_t>(i)],
                                       table.sin_row(t)[static_cast<std::size_t>(i)]);
        }
    });
}

/// Rotates every operand, token t by positions[t] (|positions[t]| <= 2^24), computing cos/sin once
/// per token (see the file comment).
inline void apply_fused(const rope_frequencies& f, std::span<const std::int64_t> positions, std::span<const rope_operand> ops,
                        thread_pool* pool = nullptr) {
    const int tokens = detail::call_tokens(ops, positions.size(), "positions");
    detail::check_positions(positions, "positions");
    detail::check_operands(ops, tokens, f.head_dim());
    detail::for_ranges(pool, static_cast<std::size_t>(tokens), detail::pairs_per_token(ops, f.pairs()), [&](std::size_t begin, std::size_t end) {
        detail::coefficients k;
        k.resize(f);
        for (std::size_t t = begin; t < end; ++t) {
            const vdouble m(static_cast<double>(positions[t]));
            detail::fused_coefficients(f, [&](std::size_t) { return m; }, k);
            detail::rotate_token<false>(f, k, ops, static_cast<int>(t));
        }
    });
}

/// In place, Q and K.
inline void apply_fused(const rope_frequencies& f, std::span<const std::int64_t> positions, const tensor_view& q,
                        const tensor_view& k, thread_pool* pool = nullptr) {
    const rope_operand ops[] = {rope_operand::in_place(q), rope_operand::in_place(k)};
    apply_fused(f, positions, ops, pool);
}

/// The scalar twin of apply_fused (no threads).
inline void apply_fused_scalar(const rope_frequencies& f, std::span<const std::int64_t> positions,
                               std::span<const rope_operand> ops) {
    const int tokens = detail::call_tokens(ops, positions.size(), "positions");
    detail::check_positions(positions, "positions");
    detail::check_operands(ops, tokens, f.head_dim());
    detail::scalar_heads(f, ops, tokens, [&](int t, const float* in, float* out) {
        const double m = static_cast<double>(positions[static_cast<std::size_t>(t)]);
        for (int i = 0; i < f.pairs(); ++i) {
            const auto u = static_cast<std::size_t>(i);
            const sincos_value<double> v = sincos_of_angle(m, f.theta_hi()[u], f.theta_lo()[u]);
            const pair_index p = f.pair_indices(i);
            detail::rotate_pair_scalar<false>(in, out, p.a, p.b, v.cos * f.attention_scale(), v.sin * f.attention_scale());
        }
    });
}

}  // namespace posenc::kernels
