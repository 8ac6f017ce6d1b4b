// posenc/frequencies/linear.hpp: rope_type "linear" (position interpolation, Chen et al. 2023,
// arXiv 2306.15595). Mirrors transformers `modeling_rope_utils.py`,
// `_compute_linear_scaling_rope_parameters`: the default inv_freq divided by `factor`; attention
// factor 1. Here theta_i = exp(-(2i/d) ln base - ln factor), rounded once (within 1 ulp).
#pragma once

#include "common.hpp"

namespace posenc::frequencies {

template <Real T>
[[nodiscard]] constexpr result<T> compute_linear(const rope_params<T>& p) {
    const int d = rotary_dim(p);
    const math::dd<T> ln_base = math::log_dd(p.base);
    const math::dd<T> ln_factor = math::log_dd(p.factor);
    result<T> r{std::vector<T>(static_cast<std::size_t>(d / 2), T(0)), T(1)};
    for (int j = 0; j < d / 2; ++j) {
        const math::dd<T> t = math::sub(default_exponent(ln_base, j, d), ln_factor);
        r.theta[static_cast<std::size_t>(j)] = math::round(math::exp(t));
    }
    return r;
}

}  // namespace posenc::frequencies
