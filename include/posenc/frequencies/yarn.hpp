// posenc/frequencies/yarn.hpp: rope_type "yarn" (Peng et al. 2023, YaRN, arXiv 2309.00071, §3.2-3.4).
// Mirrors transformers `modeling_rope_utils.py`, `_compute_yarn_parameters`:
//   factor: the `factor` given, else max_position_embeddings / original_max_position_embeddings
//   attention factor: `attention_factor` if given; else get_mscale(factor, mscale) /
//     get_mscale(factor, mscale_all_dim) when both are given (DeepSeek); else get_mscale(factor),
//     with get_mscale(s, m) = 1 if s <= 1 else 0.1 m ln s + 1
//   correction dim c(beta) = dim ln(L_orig / (2 pi beta)) / (2 ln base); low = c(beta_fast),
//     high = c(beta_slow), floored/ceiled when `truncate`, clamped to [0, dim - 1]; high += 0.001
//     when equal
//   ramp_j = clamp((j - low) / (high - low), 0, 1); inv_freq_j = theta_j (1 - ramp_j) + theta_j /
//     factor * ramp_j (theta_j the default frequency)
// Here the weight (1 - ramp) + ramp / factor is a double-T and theta_j times it is rounded once.
// posenc reads "factor not given" as factor = 1 (the table default).
#pragma once

#include "common.hpp"

namespace posenc::frequencies {

namespace yarn_detail {

/// get_mscale(s, m) = 1 if s <= 1 else 0.1 m ln s + 1.
template <Real T>
[[nodiscard]] constexpr T get_mscale(const T& s, const T& m) {
    if (s <= T(1)) return T(1);
    return T(T(1) / T(10) * m * math::log(s) + T(1));
}

/// c(beta) = d ln(L_orig / (2 pi beta)) / (2 ln base) as a double-T.
template <Real T>
[[nodiscard]] constexpr math::dd<T> correction_dim(const T& beta, long original, int d, const math::dd<T>& ln_base) {
    const math::dd<T> ratio = math::div(math::dd_from(T(original)), math::mul(math::two_pi_dd<T>(), beta));
    return math::div(math::mul(math::log(ratio), T(d)), math::scale(ln_base, T(2)));
}

template <Real T>
[[nodiscard]] constexpr T floor(const T& x) {
    T t = T(static_cast<long long>(x));  // truncates toward zero
    if (t > x) t = t - T(1);
    return t;
}

template <Real T>
[[nodiscard]] constexpr T ceil(const T& x) {
    T t = T(static_cast<long long>(x));
    if (t < x) t = t + T(1);
    return t;
}

}  // namespace yarn_detail

/// YaRN's attention factor (see the file comment).
template <Real T>
[[nodiscard]] constexpr T yarn_attention_factor(const rope_params<T>& p) {
    const T factor = context_factor(p);
    if (p.attention_factor != T(0)) return p.attention_factor;
    if (p.mscale != T(0) && p.mscale_all_dim != T(0)) {
        return yarn_detail::get_mscale(factor, p.mscale) / yarn_detail::get_mscale(factor, p.mscale_all_dim);
    }
    return yarn_detail::get_mscale(factor, T(1));
}

template <Real T>
[[nodiscard]] constexpr result<T> compute_yarn(const rope_params<T>& p) {
    namespace yd = yarn_detail;
    const int d = rotary_dim(p);
    POSENC_REQUIRE(p.original_max_position_embeddings > 0, "original_max_position_embeddings",
                   "an integer > 0 for the yarn variant");
    POSENC_REQUIRE(p.beta_fast >= p.beta_slow, "beta_fast", "a finite number >= beta_slow");
    const T factor = context_factor(p);
    const math::dd<T> ln_base = math::log_dd(p.base);
    // low/high stay double-T when not truncated, so the ramp is rounded only once.
    math::dd<T> low = yd::correction_dim(p.beta_fast, p.original_max_position_embeddings, d, ln_base);
    math::dd<T> high = yd::correction_dim(p.beta_slow, p.original_max_position_embeddings, d, ln_base);
    if (p.truncate) {
        low = math::dd_from(yd::floor(math::round(low)));
        high = math::dd_from(yd::ceil(math::round(high)));
    }
    if (low.hi < T(0)) low = math::dd_from(T(0));
    if (high.hi > T(d - 1)) high = math::dd_from(T(d - 1));
    if (low.hi == high.hi && low.lo == high.lo) high = math::add(high, math::div(math::dd_from(T(1)), T(1000)));
    const math::dd<T> width = math::sub(high, low);
    result<T> r{std::vector<T>(static_cast<std::size_t>(d / 2), T(0)), yarn_attention_factor(p)};
    for (int j = 0; j < d / 2; ++j) {
        math::dd<T> ramp = math::div(math::sub(math::dd_from(T(j)), low), width);
        if (ramp.hi < T(0)) ramp = math::dd_from(T(0));
        if (ramp.hi > T(1)) ramp = math::dd_from(T(1));
        // weight = (1 - ramp) + ramp / factor
        const math::dd<T> w = math::add(math::sub(math::dd_from(T(1)), ramp), math::div(ramp, factor));
        r.theta[static_cast<std::size_t>(j)] = math::round(math::mul(default_theta_dd(ln_base, j, d), w));
    }
    return r;
}

}  // namespace posenc::frequencies
