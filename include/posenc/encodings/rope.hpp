// posenc/encodings/rope.hpp: rotary position embedding (RoPE) in one dimension, with the frequency
// variants used in practice, both pair layouts and partial rotary, for any Real T.
//
// RoPE (Su et al. 2021, RoFormer, arXiv 2104.09864, §3.2-3.4, eqs. 13-16, 34): f(x, m) = R_{Θ,m} x
// with R block-diagonal of 2x2 rotations by m*theta_i, theta_i = base^(-2i/d) (eq. 15). In complex
// form, pair i is the complex number z_i = x_a + i x_b and becomes z_i e^{i m theta_i}.
//
// Frequencies follow HF transformers' `modeling_rope_utils.py` (ROPE_INIT_FUNCTIONS), with d the
// rotary dimension int(head_dim * partial_rotary_factor) and pairs j = 0 .. d/2-1:
//   standard  theta_j = base^(-2j/d)                                     ("default")
//   linear    theta_j / factor                                          (position interpolation)
//   dynamic   base' = base * (factor*L/L_max - (factor-1))^(d/(d-2)), L = max(seq_len, L_max)
//   yarn      ramp_j = clamp((j - low)/(high - low), 0, 1); theta_j * (1 - ramp_j) + theta_j/factor * ramp_j,
//             low/high = correction dims d ln(L_orig/(2 pi beta)) / (2 ln base) for beta_fast/beta_slow,
//             floored/ceiled when `truncate`, clamped to [0, d-1]; high += 0.001 if equal;
//             attention factor 0.1 mscale ln(factor) + 1 (ratio form with mscale_all_dim)
//             (Peng et al. 2023, YaRN, arXiv 2309.00071, §3.2-3.4)
//   llama3    wavelength lambda = 2 pi / theta: lambda > L_orig/low_freq_factor -> theta/factor,
//             lambda < L_orig/high_freq_factor -> theta, otherwise (1-s) theta/factor + s theta with
//             s = (L_orig/lambda - low_freq_factor)/(high_freq_factor - low_freq_factor)
//   longrope  theta_j / ext_j, ext = long_factor if seq_len > L_orig else short_factor; attention
//             factor sqrt(1 + ln(factor)/ln(L_orig)) (Ding et al. 2024, LongRoPE, arXiv 2402.13753)
// HF evaluates these in float32/float64; posenc evaluates the same formulas exactly: each theta is
// exp of a double-T exponent, rounded once (within 1 ulp of the exact theta for standard, linear,
// dynamic and longrope; yarn and llama3 blend two such values with a double-T weight, also rounded
// once).
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
#include <cstdint>
#include <span>
#include <vector>

#include "../concepts.hpp"
#include "../math/exp.hpp"
#include "../math/log.hpp"
#include "../math/sqrt.hpp"
#include "../math/trig.hpp"
#include "complex.hpp"
#include "error.hpp"

namespace posenc {

/// The frequency rule (HF transformers' rope_type; `standard` is HF's "default").
enum class rope_variant { standard, linear, dynamic, yarn, llama3, longrope };

/// Which dimensions form a rotated pair.
enum class pair_layout {
    interleaved,  ///< pairs (2i, 2i+1): GPT-J, RoFormer, ggml mode 0
    half_split    ///< pairs (i, i + d/2): GPT-NeoX, HF rotate_half, ggml mode 2
};

/// RoPE configuration, with HF transformers' parameter names. A value of 0 for an optional
/// length or factor means "not given" (HF's None).
template <Real T>
struct rope_params {
    int head_dim = 128;
    T base = T(10000);
    rope_variant variant = rope_variant::standard;
    pair_layout layout = pair_layout::half_split;
    T partial_rotary_factor = T(1);
    T factor = T(1);                           ///< linear, dynamic, yarn, llama3, longrope
    long original_max_position_embeddings = 0;  ///< yarn, llama3, longrope (L_orig)
    long max_position_embeddings = 0;           ///< dynamic (L_max); yarn/longrope factor default
    long seq_len = 0;                           ///< dynamic, longrope (0: not given)
    T beta_fast = T(32);                        ///< yarn
    T beta_slow = T(1);                         ///< yarn
    T mscale = T(0);                            ///< yarn (0: not given)
    T mscale_all_dim = T(0);                    ///< yarn (0: not given)
    T attention_factor = T(0);                  ///< yarn, longrope (0: derive from factor)
    bool truncate = true;                       ///< yarn: floor/ceil the correction range
    T low_freq_factor = T(1);                   ///< llama3
    T high_freq_factor = T(4);                  ///< llama3
    std::vector<T> short_factor{};              ///< longrope, one per pair
    std::vector<T> long_factor{};               ///< longrope, one per pair
};

/// Indices of the two components of a rotated pair.
struct pair_index {
    int a;
    int b;
};

namespace detail {

/// exp(t) as a double-T (t a double-T exponent of moderate size).
template <class T>
[[nodiscard]] constexpr math::detail::dd<T> exp_dd(const math::detail::dd<T>& t) {
    const math::detail::exp_parts<T> e = math::detail::exp_core(t);
    return math::detail::scale(e.y, math::detail::pow2<T>(e.k));
}

/// ln x as a double-T for a double-T x > 0: ln(hi) + lo/hi (the next term is below 2^-2p).
template <class T>
[[nodiscard]] constexpr math::detail::dd<T> log_dd(const math::detail::dd<T>& x) {
    const math::detail::dd<T> l = math::detail::log_core(x.hi);
    return math::detail::add(l, T(x.lo / x.hi));
}

/// sin and cos of a double-T angle hi + lo (angle addition; each part reduced exactly).
template <class T>
[[nodiscard]] constexpr math::sincos_result<T> sincos_dd(const math::detail::dd<T>& angle) {
    const math::sincos_result<T> h = math::sincos(angle.hi);
    if (angle.lo == T(0)) return h;
    const math::sincos_result<T> l = math::sincos(angle.lo);
    T s = h.sin * l.cos + h.cos * l.sin;  // sin(a + b) = sin a cos b + cos a sin b
    T c = h.cos * l.cos - h.sin * l.sin;  // cos(a + b) = cos a cos b - sin a sin b
    return {s, c};
}

/// sin and cos of the exact product m * theta (TwoProduct gives it as hi + lo).
template <class T>
[[nodiscard]] constexpr math::sincos_result<T> sincos_of_product(const T& m, const T& theta) {
    return sincos_dd(math::detail::two_prod(m, theta));
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
    return math::detail::is_finite(x);
}

}  // namespace detail

/// A validated RoPE configuration with its frequencies (see the file comment for the formulas).
template <Real T>
class rope {
public:
    using value_type = T;  ///< the number type

    constexpr explicit rope(const rope_params<T>& p) : params_(p) {
        using math::detail::dd;
        namespace md = math::detail;
        POSENC_REQUIRE(p.head_dim > 0 && p.head_dim % 2 == 0, "head_dim", "an even integer > 0");
        POSENC_REQUIRE(detail::finite(p.base) && p.base > T(1), "base", "a finite number > 1");
        POSENC_REQUIRE(detail::finite(p.partial_rotary_factor) && p.partial_rotary_factor > T(0) &&
                           p.partial_rotary_factor <= T(1),
                       "partial_rotary_factor", "in (0, 1]");
        rotary_dim_ = static_cast<int>(static_cast<long long>(T(T(p.head_dim) * p.partial_rotary_factor)));
        POSENC_REQUIRE(rotary_dim_ >= 2 && rotary_dim_ % 2 == 0, "partial_rotary_factor",
                       "such that int(head_dim * partial_rotary_factor) is an even integer >= 2");
        POSENC_REQUIRE(detail::finite(p.factor) && p.factor >= T(1), "factor", "a finite number >= 1");
        POSENC_REQUIRE(p.seq_len >= 0, "seq_len", "an integer >= 0");
        POSENC_REQUIRE(p.max_position_embeddings >= 0, "max_position_embeddings", "an integer >= 0");
        POSENC_REQUIRE(p.original_max_position_embeddings >= 0, "original_max_position_embeddings",
                       "an integer >= 0");
        POSENC_REQUIRE(detail::finite(p.attention_factor) && p.attention_factor >= T(0), "attention_factor",
                       "a finite number >= 0 (0: derived from factor)");

        const int d = rotary_dim_;
        const int n = d / 2;
        const dd<T> ln_base = md::log_core(p.base);
        // -(2j/d) ln base as a double-T
        auto standard_exponent = [&](int j) {
            return md::neg(md::div(md::mul(ln_base, T(2 * j)), T(d)));
        };
        inv_freq_.assign(static_cast<std::size_t>(n), T(0));
        attention_factor_ = T(1);
        T factor = p.factor;

        switch (p.variant) {
            case rope_variant::standard:
            case rope_variant::linear: {
                const bool lin = p.variant == rope_variant::linear;
                for (int j = 0; j < n; ++j) {
                    dd<T> t = standard_exponent(j);
                    if (lin) t = md::sub(t, md::log_core(factor));
                    inv_freq_[static_cast<std::size_t>(j)] = round(detail::exp_dd(t));
                }
                break;
            }
            case rope_variant::dynamic: {
                POSENC_REQUIRE(p.max_position_embeddings > 0, "max_position_embeddings",
                               "an integer > 0 for the dynamic variant");
                POSENC_REQUIRE(d > 2, "partial_rotary_factor",
                               "such that the rotary dimension exceeds 2 for the dynamic variant");
                const long L = p.seq_len > p.max_position_embeddings ? p.seq_len : p.max_position_embeddings;
                // s = factor * L / L_max - (factor - 1), base' = base * s^(d/(d-2))
                const dd<T> fl = md::div(md::mul(md::dd_from(factor), T(L)), T(p.max_position_embeddings));
                const dd<T> s = md::sub(fl, md::sub(md::dd_from(factor), md::dd_from(T(1))));
                const dd<T> ln_s = detail::log_dd(s);
                for (int j = 0; j < n; ++j) {
                    // -(2j/d) (ln base + d/(d-2) ln s) = -(2j/d) ln base - 2j/(d-2) ln s
                    const dd<T> t = md::sub(standard_exponent(j), md::div(md::mul(ln_s, T(2 * j)), T(d - 2)));
                    inv_freq_[static_cast<std::size_t>(j)] = round(detail::exp_dd(t));
                }
                break;
            }
            case rope_variant::yarn: {
                POSENC_REQUIRE(p.original_max_position_embeddings > 0, "original_max_position_embeddings",
                               "an integer > 0 for the yarn variant");
                POSENC_REQUIRE(detail::finite(p.beta_slow) && p.beta_slow > T(0), "beta_slow", "a finite number > 0");
                POSENC_REQUIRE(detail::finite(p.beta_fast) && p.beta_fast > p.beta_slow, "beta_fast",
                               "a finite number > beta_slow");
                POSENC_REQUIRE(detail::finite(p.mscale) && p.mscale >= T(0), "mscale", "a finite number >= 0");
                POSENC_REQUIRE(detail::finite(p.mscale_all_dim) && p.mscale_all_dim >= T(0), "mscale_all_dim",
                               "a finite number >= 0");
                if (p.factor == T(1) && p.max_position_embeddings > 0) {
                    factor = T(p.max_position_embeddings) / T(p.original_max_position_embeddings);
                }
                // attention factor: get_mscale(s, m) = 1 if s <= 1 else 0.1 m ln s + 1
                auto get_mscale = [&](const T& m) {
                    if (factor <= T(1)) return T(1);
                    return T(T(1) / T(10) * m * math::log(factor) + T(1));
                };
                if (p.attention_factor != T(0)) {
                    attention_factor_ = p.attention_factor;
                } else if (p.mscale != T(0) && p.mscale_all_dim != T(0)) {
                    attention_factor_ = get_mscale(p.mscale) / get_mscale(p.mscale_all_dim);
                } else {
                    attention_factor_ = get_mscale(T(1));
                }
                // correction dim c(beta) = d ln(L_orig / (2 pi beta)) / (2 ln base)
                auto correction_dim = [&](const T& beta) {
                    const dd<T> two_pi_beta = md::mul(md::scale(math::detail::constant<T, md::constant_id::pi_over_4>(),
                                                                T(8)),
                                                      beta);
                    const dd<T> ratio = md::div(md::dd_from(T(p.original_max_position_embeddings)), two_pi_beta);
                    const dd<T> num = md::mul(detail::log_dd(ratio), T(d));
                    return md::div(num, md::scale(ln_base, T(2)));
                };
                // low/high stay double-T when not truncated, so the ramp is rounded only once.
                dd<T> low = correction_dim(p.beta_fast);
                dd<T> high = correction_dim(p.beta_slow);
                if (p.truncate) {
                    low = md::dd_from(floor(md::add(low, T(0)).hi));
                    high = md::dd_from(ceil(md::add(high, T(0)).hi));
                }
                if (low.hi < T(0)) low = md::dd_from(T(0));
                if (high.hi > T(d - 1)) high = md::dd_from(T(d - 1));
                if (low.hi == high.hi && low.lo == high.lo) high = md::add(high, md::div(md::dd_from(T(1)), T(1000)));
                const dd<T> width = md::sub(high, low);
                for (int j = 0; j < n; ++j) {
                    dd<T> ramp = md::div(md::sub(md::dd_from(T(j)), low), width);
                    if (ramp.hi < T(0)) ramp = md::dd_from(T(0));
                    if (ramp.hi > T(1)) ramp = md::dd_from(T(1));
                    // weight = (1 - ramp) + ramp / factor
                    const dd<T> w = md::add(md::sub(md::dd_from(T(1)), ramp), md::div(ramp, factor));
                    inv_freq_[static_cast<std::size_t>(j)] = round(md::mul(detail::exp_dd(standard_exponent(j)), w));
                }
                break;
            }
            case rope_variant::llama3: {
                POSENC_REQUIRE(p.original_max_position_embeddings > 0, "original_max_position_embeddings",
                               "an integer > 0 for the llama3 variant");
                POSENC_REQUIRE(detail::finite(p.low_freq_factor) && p.low_freq_factor > T(0), "low_freq_factor",
                               "a finite number > 0");
                POSENC_REQUIRE(detail::finite(p.high_freq_factor) && p.high_freq_factor > p.low_freq_factor,
                               "high_freq_factor", "a finite number > low_freq_factor");
                const T L = T(p.original_max_position_embeddings);
                const dd<T> two_pi = md::scale(math::detail::constant<T, md::constant_id::pi_over_4>(), T(8));
                for (int j = 0; j < n; ++j) {
                    const dd<T> theta = detail::exp_dd(standard_exponent(j));
                    const dd<T> wavelength = md::div(two_pi, theta);
                    // L / wavelength compared with low/high_freq_factor is the same test as
                    // wavelength against L / low_freq_factor and L / high_freq_factor.
                    const dd<T> l_over = md::div(md::dd_from(L), wavelength);
                    T value;
                    if (l_over.hi < p.low_freq_factor) {          // wavelength > L / low_freq_factor
                        value = round(md::div(theta, factor));
                    } else if (l_over.hi > p.high_freq_factor) {  // wavelength < L / high_freq_factor
                        value = theta.hi;
                    } else {
                        const dd<T> s = md::div(md::sub(l_over, md::dd_from(p.low_freq_factor)),
                                                T(p.high_freq_factor - p.low_freq_factor));
                        const dd<T> w = md::add(md::div(md::sub(md::dd_from(T(1)), s), factor), s);
                        value = round(md::mul(theta, w));
                    }
                    inv_freq_[static_cast<std::size_t>(j)] = value;
                }
                break;
            }
            case rope_variant::longrope: {
                POSENC_REQUIRE(p.original_max_position_embeddings > 0, "original_max_position_embeddings",
                               "an integer > 0 for the longrope variant");
                POSENC_REQUIRE(p.short_factor.size() == static_cast<std::size_t>(n), "short_factor",
                               "a list of rotary_dim/2 factors");
                POSENC_REQUIRE(p.long_factor.size() == static_cast<std::size_t>(n), "long_factor",
                               "a list of rotary_dim/2 factors");
                for (int j = 0; j < n; ++j) {
                    const T& sf = p.short_factor[static_cast<std::size_t>(j)];
                    const T& lf = p.long_factor[static_cast<std::size_t>(j)];
                    POSENC_REQUIRE(detail::finite(sf) && sf > T(0), "short_factor", "finite numbers > 0");
                    POSENC_REQUIRE(detail::finite(lf) && lf > T(0), "long_factor", "finite numbers > 0");
                }
                if (p.factor == T(1) && p.max_position_embeddings > 0) {
                    factor = T(p.max_position_embeddings) / T(p.original_max_position_embeddings);
                }
                if (p.attention_factor != T(0)) {
                    attention_factor_ = p.attention_factor;
                } else if (factor > T(1)) {
                    attention_factor_ = math::sqrt(
                        T(T(1) + math::log(factor) / math::log(T(p.original_max_position_embeddings))));
                }
                const bool use_long = p.seq_len > p.original_max_position_embeddings;
                const std::vector<T>& ext = use_long ? p.long_factor : p.short_factor;
                for (int j = 0; j < n; ++j) {
                    const dd<T> t = md::sub(standard_exponent(j), md::log_core(ext[static_cast<std::size_t>(j)]));
                    inv_freq_[static_cast<std::size_t>(j)] = round(detail::exp_dd(t));
                }
                break;
            }
        }
    }

    [[nodiscard]] constexpr const rope_params<T>& params() const { return params_; }
    [[nodiscard]] constexpr int head_dim() const { return params_.head_dim; }
    /// int(head_dim * partial_rotary_factor): the dimensions that rotate.
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
    [[nodiscard]] static constexpr T round(const math::detail::dd<T>& v) { return math::detail::add(v, T(0)).hi; }

    [[nodiscard]] static constexpr T floor(const T& x) {
        const long long i = static_cast<long long>(x);  // truncates toward zero
        T t = T(i);
        if (t > x) t = t - T(1);
        return t;
    }

    [[nodiscard]] static constexpr T ceil(const T& x) {
        const long long i = static_cast<long long>(x);
        T t = T(i);
        if (t < x) t = t + T(1);
        return t;
    }

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
