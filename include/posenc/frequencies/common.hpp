// posenc/frequencies/common.hpp: what every frequency function shares: the result type, the rotary
// dimension and the one rule theta_i = base^(-2i/d).
//
// The default rule (RoFormer eq. 15; transformers `modeling_rope_utils.py`,
// `_compute_default_rope_parameters`: inv_freq = 1 / base^(arange(0, dim, 2) / dim)) is written
// here once, as the double-T exponent -(2i/d) ln base; every rope type, the sinusoidal encoding and
// the 2D/N-D encodings build on it. theta_i = exp of that exponent, rounded once: within 1 ulp
// (the double-T exponent is within a few u^2 of the exact one, and exp of a double-T adds about
// 2^-(2p-24) relative before the final rounding).
#pragma once

#include <vector>

#include "../concepts.hpp"
#include "../encodings/error.hpp"
#include "../math/double_t.hpp"
#include "params.hpp"

namespace posenc::frequencies {

/// What a frequency function returns: theta_i for the rotated pairs (HF's inv_freq) and the
/// factor HF multiplies cos and sin by.
template <Real T>
struct result {
    std::vector<T> theta{};
    T attention_factor = T(1);
};

/// int(head_dim * partial_rotary_factor) (HF: `int(head_dim * partial_rotary_factor)`), checked to be
/// an even number >= 2 after the table's ranges.
template <Real T>
[[nodiscard]] constexpr int rotary_dim(const rope_params<T>& p) {
    params::check_range(*find_parameter("head_dim"), p.head_dim);  // the table's range
    POSENC_REQUIRE(p.head_dim % 2 == 0, "head_dim", "an even integer");
    POSENC_REQUIRE(math::is_finite(p.partial_rotary_factor) && p.partial_rotary_factor > T(0) &&
                       p.partial_rotary_factor <= T(1),
                   "partial_rotary_factor", "in (0, 1]");
    const int d = static_cast<int>(static_cast<long long>(T(T(p.head_dim) * p.partial_rotary_factor)));
    POSENC_REQUIRE(d >= 2 && d % 2 == 0, "partial_rotary_factor",
                   "such that int(head_dim * partial_rotary_factor) is an even integer >= 2");
    return d;
}

/// The scaling factor of YaRN and LongRoPE: `factor`, or max_position_embeddings /
/// original_max_position_embeddings when factor is 1 (not given) and both lengths are
/// (transformers `_compute_yarn_parameters` and `_compute_longrope_parameters`: factor None ->
/// the ratio; Phi-3's and DeepSeek's configs rely on it).
template <Real T>
[[nodiscard]] constexpr T context_factor(const rope_params<T>& p) {
    if (p.factor == T(1) && p.max_position_embeddings > 0 && p.original_max_position_embeddings > 0) {
        return T(p.max_position_embeddings) / T(p.original_max_position_embeddings);
    }
    return p.factor;
}

/// -(2i/d) ln base as a double-T, given ln base as a double-T: the exponent of theta_i.
template <Real T>
[[nodiscard]] constexpr math::dd<T> default_exponent(const math::dd<T>& ln_base, int i, int d) {
    return math::neg(math::div(math::mul(ln_base, T(2 * i)), T(d)));
}

/// theta_i = base^(-2i/d) as a double-T (before rounding), given ln base.
template <Real T>
[[nodiscard]] constexpr math::dd<T> default_theta_dd(const math::dd<T>& ln_base, int i, int d) {
    return math::exp(default_exponent(ln_base, i, d));
}

/// theta_i = base^(-2i/d), i < d/2, each within 1 ulp. d even >= 2, base finite > 1.
template <Real T>
[[nodiscard]] constexpr std::vector<T> default_theta(const T& base, int d) {
    POSENC_REQUIRE(d >= 2 && d % 2 == 0, "dim", "an even integer >= 2");
    POSENC_REQUIRE(math::is_finite(base) && base > T(1), "base", "a finite number > 1");
    const math::dd<T> ln_base = math::log_dd(base);
    std::vector<T> theta(static_cast<std::size_t>(d / 2), T(0));
    for (int i = 0; i < d / 2; ++i) theta[static_cast<std::size_t>(i)] = math::round(default_theta_dd(ln_base, i, d));
    return theta;
}

}  // namespace posenc::frequencies
