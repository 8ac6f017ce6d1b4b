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
// is computed the same way in any range, so the output does not depend on the number of threads. A
// call below detail::small_call_pairs pair rotations runs on the calling thread (thread_pool.hpp).
// Inputs that are NaN or infinite propagate as IEEE arithmetic does; no check is made on values.
// The kernels are compiled code (link posenc::kernels; the target is chosen at run time, see
// dispatch.hpp); the scalar twins and everything else here are header-only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../frequencies/layout.hpp"
#include "dispatch.hpp"
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
        const std::size_t padded = (theta_.size() + max_lanes - 1) / max_lanes * max_lanes;
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
    /// theta = hi + lo, padded with zeros to a multiple of max_lanes.
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
/// floats per row (pairs rounded up to max_lanes; the padding holds cos 1, sin 0 times the scale).
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

/// (x_a, x_b) <- (x_a c - x_b s, x_a s + x_b c) in double, rounded to float: the scalar rotation
/// every kernel's vector code reproduces bit for bit. One product of each component is rounded to
/// double and the other enters a fused multiply-add: x_a c - RN(x_b s) and x_b c + RN(x_a s), each
/// rounded to double, then to float. With c, s from a float table the products are exact in double
/// (the same value as two roundings, one operation fewer); with double c, s (the fused kernels) each
/// component carries at most two double roundings (2^-52 |x| in all, far below ulp(|x|) of float).
POSENC_KERNEL_INLINE void rotate_pair_scalar(const float* in, float* out, int a, int b, double c, double s) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    const double xa = in[a];
    const double xb = in[b];
    out[a] = static_cast<float>(fma_of(xa, c, -(xb * s)));
    out[b] = static_cast<float>(fma_of(xb, c, xa * s));
}

/// The loop of the scalar twins: rotate(t, in, out) for every head of every operand at every
/// token of [begin, end), then the unrotated tail copied when out of place.
template <class Rotate>
void scalar_heads(const rope_frequencies& f, std::span<const rope_operand> ops, int begin, int end, const Rotate& rotate) {
    for (int t = begin; t < end; ++t) {
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

}  // namespace detail

/// Builds the cos/sin table of `positions` (one row per position; see the file comment).
void build_table(const rope_frequencies& f, std::span<const std::int64_t> positions, cos_sin_table& out,
                 thread_pool* pool = nullptr);

/// Rotates every operand by the table: token t by row t (table.positions == tokens).
void apply_table(const rope_frequencies& f, const cos_sin_table& table, std::span<const rope_operand> ops,
                 thread_pool* pool = nullptr);

/// In place, Q and K.
inline void apply_table(const rope_frequencies& f, const cos_sin_table& table, const tensor_view& q, const tensor_view& k,
                        thread_pool* pool = nullptr) {
    const rope_operand ops[] = {rope_operand::in_place(q), rope_operand::in_place(k)};
    apply_table(f, table, ops, pool);
}

/// Rotates every operand, token t by positions[t] (|positions[t]| <= 2^24), computing cos/sin once
/// per token (see the file comment).
void apply_fused(const rope_frequencies& f, std::span<const std::int64_t> positions, std::span<const rope_operand> ops,
                 thread_pool* pool = nullptr);

/// In place, Q and K.
inline void apply_fused(const rope_frequencies& f, std::span<const std::int64_t> positions, const tensor_view& q,
                        const tensor_view& k, thread_pool* pool = nullptr) {
    const rope_operand ops[] = {rope_operand::in_place(q), rope_operand::in_place(k)};
    apply_fused(f, positions, ops, pool);
}

namespace detail {

// The scalar twins' work on a range of rows or tokens (the twins run it on all of them; the
// kernels' scalar-only target, for CPUs with no vector target, runs it on a thread's range).

inline void build_table_rows_scalar(const rope_frequencies& f, std::span<const std::int64_t> positions, cos_sin_table& out,
                                    std::size_t begin, std::size_t end) {
    const std::size_t padded = f.theta_hi().size();
    for (std::size_t t = begin; t < end; ++t) {
        for (std::size_t i = 0; i < padded; ++i) {
            const sincos_value v = sincos_of_angle(static_cast<double>(positions[t]), f.theta_hi()[i], f.theta_lo()[i]);
            out.cos[t * padded + i] = static_cast<float>(v.cos * f.attention_scale());
            out.sin[t * padded + i] = static_cast<float>(v.sin * f.attention_scale());
        }
    }
}

inline void apply_table_tokens_scalar(const rope_frequencies& f, const cos_sin_table& table, std::span<const rope_operand> ops,
                                      int begin, int end) {
    scalar_heads(f, ops, begin, end, [&](int t, const float* in, float* out) {
        for (int i = 0; i < f.pairs(); ++i) {
            const pair_index p = f.pair_indices(i);
            rotate_pair_scalar(in, out, p.a, p.b, table.cos_row(t)[static_cast<std::size_t>(i)],
                                     table.sin_row(t)[static_cast<std::size_t>(i)]);
        }
    });
}

inline void apply_fused_tokens_scalar(const rope_frequencies& f, std::span<const std::int64_t> positions,
                                      std::span<const rope_operand> ops, int begin, int end) {
    scalar_heads(f, ops, begin, end, [&](int t, const float* in, float* out) {
        const double m = static_cast<double>(positions[static_cast<std::size_t>(t)]);
        for (int i = 0; i < f.pairs(); ++i) {
            const auto u = static_cast<std::size_t>(i);
            const sincos_value v = sincos_of_angle(m, f.theta_hi()[u], f.theta_lo()[u]);
            const pair_index p = f.pair_indices(i);
            rotate_pair_scalar(in, out, p.a, p.b, v.cos * f.attention_scale(), v.sin * f.attention_scale());
        }
    });
}

}  // namespace detail

/// The scalar twin of build_table.
inline void build_table_scalar(const rope_frequencies& f, std::span<const std::int64_t> positions, cos_sin_table& out) {
    detail::check_positions(positions, "positions");
    detail::prepare_table(f, positions.size(), out);
    detail::build_table_rows_scalar(f, positions, out, 0, positions.size());
}

/// The scalar twin of apply_table (no threads).
inline void apply_table_scalar(const rope_frequencies& f, const cos_sin_table& table, std::span<const rope_operand> ops) {
    const int tokens = detail::check_table_call(f, table, ops);
    detail::apply_table_tokens_scalar(f, table, ops, 0, tokens);
}

/// The scalar twin of apply_fused (no threads).
inline void apply_fused_scalar(const rope_frequencies& f, std::span<const std::int64_t> positions,
                               std::span<const rope_operand> ops) {
    const int tokens = detail::call_tokens(ops, positions.size(), "positions");
    detail::check_positions(positions, "positions");
    detail::check_operands(ops, tokens, f.head_dim());
    detail::apply_fused_tokens_scalar(f, positions, ops, 0, tokens);
}

}  // namespace posenc::kernels
