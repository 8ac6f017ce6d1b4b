// posenc/encodings/rope.hpp: rotary position embedding (RoPE) in one dimension, with the frequency
// variants used in practice, both pair layouts and partial rotary, for any Real T.
//
// RoPE (Su et al. 2021, RoFormer, arXiv 2104.09864, §3.2-3.4, eqs. 13-16, 34): f(x, m) = R_{Θ,m} x
// with R block-diagonal of 2x2 rotations by m*theta_i, theta_i = base^(-2i/d) (eq. 15). In complex
// form, pair i is the complex number z_i = x_a + i x_b and becomes z_i e^{i m theta_i}.
//
// Frequencies come from the frequency layer (posenc/frequencies.hpp: one function per HF rope type,
// mirroring transformers' ROPE_INIT_FUNCTIONS; the parameters are the rows of
// posenc/frequencies/params.hpp), with d the rotary dimension int(head_dim * partial_rotary_factor).
//
// Pair layouts (both in wide use): interleaved pairs (2i, 2i+1) (GPT-J, RoFormer, ggml mode 0);
// half_split pairs (i, i + d/2) (GPT-NeoX, HF `rotate_half`, ggml mode 2). Dimensions d .. head_dim-1
// (partial rotary) are left unchanged.
//
// Rotation angle: m * theta_i is formed exactly (TwoProduct, hi + lo) and the rotation by hi + lo
// is applied via the angle-addition formula, so the position never loses bits to the product: the
// only roundings are theta_i itself and the final multiply-adds (a few ulps of max|x|).
// `apply` is the pure rotation R_m; HF additionally multiplies cos and sin by attention_factor(),
// which scales the output uniformly.
#pragma once

#include <concepts>
#include <utility>
#include <cstdint>
#include <span>
#include <vector>

#include "../concepts.hpp"
#include "../frequencies.hpp"
#include "../math/double_t.hpp"
#include "../math/trig.hpp"
#include "complex.hpp"
#include "error.hpp"

namespace posenc {

namespace detail {

/// sin and cos of the exact product m * theta (TwoProduct gives it as hi + lo).
template <class T>
[[nodiscard]] constexpr math::sincos_result<T> sincos_of_product(const T& m, const T& theta) {
    return math::sincos(math::two_prod(m, theta));
}

/// (x_a, x_b) <- (c x_a - s x_b, s x_a + c x_b): the 2x2 rotation of RoFormer eq. 13.
template <class T>
constexpr void rotate_pair(std::span<T> x, std::size_t a, std::size_t b, const math::sincos_result<T>& sc) {
    const T xa = x[a];
    const T xb = x[b];
    x[a] = sc.cos * xa - sc.sin * xb;
    x[b] = sc.sin * xa + sc.cos * xb;
}

/// out <- the hd x hd identity, row-major.
template <class T>
constexpr void set_identity(std::span<T> out, std::size_t hd) {
    for (std::size_t r = 0; r < hd; ++r) {
        for (std::size_t c = 0; c < hd; ++c) out[r * hd + c] = r == c ? T(1) : T(0);
    }
}

/// The rotation block of pair (a, b) in a row-major hd x hd matrix.
template <class T>
constexpr void set_rotation_block(std::span<T> out, std::size_t hd, std::size_t a, std::size_t b,
                                  const math::sincos_result<T>& sc) {
    out[a * hd + a] = sc.cos;
    out[a * hd + b] = T(-sc.sin);
    out[b * hd + a] = sc.sin;
    out[b * hd + b] = sc.cos;
}

template <class T>
[[nodiscard]] constexpr bool finite(const T& x) {
    return math::is_finite(x);
}

}  // namespace detail

/// A validated RoPE configuration with its frequencies (see the file comment for the formulas).
template <Real T>
class rope {
public:
    using value_type = T;  ///< the number type

    /// Checks p (the parameter table's ranges, then the rope type's own conditions) and computes
    /// theta_i and the attention factor with frequencies::compute.
    constexpr explicit rope(const rope_params<T>& p) : params_(p) {
        frequencies::result<T> f = frequencies::compute(p);
        rotary_dim_ = 2 * static_cast<int>(f.theta.size());
        inv_freq_ = std::move(f.theta);
        attention_factor_ = f.attention_factor;
    }

    [[nodiscard]] constexpr const rope_params<T>& params() const { return params_; }
    [[nodiscard]] constexpr int head_dim() const { return params_.head_dim; }
    /// The dimensions that rotate: int(head_dim * partial_rotary_factor), or head_dim for the
    /// proportional type (whose pairs beyond its rotated angles have theta 0).
    [[nodiscard]] constexpr int rotary_dim() const { return rotary_dim_; }
    /// rotary_dim / 2.
    [[nodiscard]] constexpr int pairs() const { return rotary_dim_ / 2; }
    [[nodiscard]] constexpr pair_layout layout() const { return params_.layout; }
    /// theta_i, i < pairs() (HF's inv_freq).
    [[nodiscard]] constexpr const std::vector<T>& inv_freq() const { return inv_freq_; }
    /// The factor HF multiplies cos and sin by (1 except for yarn and longrope).
    [[nodiscard]] constexpr T attention_factor() const { return attention_factor_; }

    /// Components of pair i: (2i, 2i+1) interleaved, (i, i + rotary_dim/2) half-split.
    [[nodiscard]] constexpr pair_index pair_indices(int i) const {
        if (params_.layout == pair_layout::interleaved) return {2 * i, 2 * i + 1};
        return {i, i + rotary_dim_ / 2};
    }

    /// x <- R_m x in place (x.size() == head_dim).
    constexpr void apply(std::span<T> x, const T& position) const {
        check_size(x.size(), "x");
        check_position(position);
        for (int i = 0; i < pairs(); ++i) {
            const pair_index pi = pair_indices(i);
            const math::sincos_result<T> sc = detail::sincos_of_product(position, inv_freq_[static_cast<std::size_t>(i)]);
            detail::rotate_pair(x, static_cast<std::size_t>(pi.a), static_cast<std::size_t>(pi.b), sc);
        }
    }

    /// x <- R_m x for an integer position: |m| <= 2^53 and exactly representable in T (float holds
    /// every integer up to 2^24 only), else invalid_parameter("position").
    template <std::integral I>
    constexpr void apply(std::span<T> x, I position) const {
        apply(x, integer_position(position));
    }

    /// out <- R_m x for an integer position (see the in-place overload for the allowed range).
    template <std::integral I>
    constexpr void apply(std::span<const T> x, I position, std::span<T> out) const {
        apply(x, integer_position(position), out);
    }

    /// out <- R_m x (out may alias x).
    constexpr void apply(std::span<const T> x, const T& position, std::span<T> out) const {
        check_size(x.size(), "x");
        check_size(out.size(), "out");
        if (out.data() != x.data()) {
            for (std::size_t k = 0; k < x.size(); ++k) out[k] = x[k];
        }
        apply(out, position);
    }

    /// The head_dim x head_dim matrix R_m, row-major, so that apply(x, m) == R_m x.
    constexpr void matrix(const T& position, std::span<T> out) const {
        const std::size_t hd = static_cast<std::size_t>(head_dim());
        POSENC_REQUIRE(out.size() == hd * hd, "out", "a span of head_dim * head_dim elements");
        check_position(position);
        detail::set_identity(out, hd);
        for (int i = 0; i < pairs(); ++i) {
            const pair_index pi = pair_indices(i);
            const math::sincos_result<T> sc = detail::sincos_of_product(position, inv_freq_[static_cast<std::size_t>(i)]);
            detail::set_rotation_block(out, hd, static_cast<std::size_t>(pi.a), static_cast<std::size_t>(pi.b), sc);
        }
    }

    /// Complex form: out_i = z_i e^{i m theta_i} for the pairs()-long list z (z_i = x_a + i x_b).
    constexpr void apply_complex(std::span<const cplx<T>> z, const T& position, std::span<cplx<T>> out) const {
        POSENC_REQUIRE(z.size() == static_cast<std::size_t>(pairs()), "z", "a span of rotary_dim/2 complex numbers");
        POSENC_REQUIRE(out.size() == z.size(), "out", "a span of rotary_dim/2 complex numbers");
        check_position(position);
        for (std::size_t i = 0; i < z.size(); ++i) {
            const math::sincos_result<T> sc = detail::sincos_of_product(position, inv_freq_[i]);
            out[i] = z[i] * cplx<T>{sc.cos, sc.sin};
        }
    }

private:
    constexpr void check_size(std::size_t n, const char* name) const {
        POSENC_REQUIRE(n == static_cast<std::size_t>(head_dim()), name, "a span of head_dim elements");
        (void)name;
    }

    template <std::integral I>
    [[nodiscard]] static constexpr T integer_position(I position) {
        const long long m = static_cast<long long>(position);
        constexpr long long limit = 1LL << 53;
        POSENC_REQUIRE(m >= -limit && m <= limit, "position", "an integer with |position| <= 2^53");
        const T t = T(m);
        POSENC_REQUIRE(static_cast<long long>(t) == m, "position",
                       "an integer exactly representable in T (float: |position| <= 2^24 or a multiple of a power of two)");
        return t;
    }

    static constexpr void check_position(const T& position) {
        POSENC_REQUIRE(detail::finite(position), "position", "a finite number");
    }

    rope_params<T> params_;
    int rotary_dim_ = 0;
    std::vector<T> inv_freq_{};
    T attention_factor_ = T(1);
};

}  // namespace posenc
