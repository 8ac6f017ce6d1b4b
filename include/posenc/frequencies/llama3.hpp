// posenc/frequencies/llama3.hpp: rope_type "llama3" (Meta's Llama 3.1 scaling).
// Mirrors transformers `modeling_rope_utils.py`, `_compute_llama3_parameters`: with wavelength
// lambda = 2 pi / theta (theta the default frequency) and L = original_max_position_embeddings,
//   lambda > L / low_freq_factor  -> theta / factor
//   lambda < L / high_freq_factor -> theta
//   otherwise (1 - s) theta / factor + s theta, s = (L / lambda - low_freq_factor) /
//   (high_freq_factor - low_freq_factor); attention factor 1. Equal factors (Llama 4) leave only the
//   two outer bands.
// Here L / lambda is a double-T and each blend is rounded once.
#pragma once

#include "common.hpp"

namespace posenc::frequencies {

template <Real T>
[[nodiscard]] constexpr result<T> compute_llama3(const rope_params<T>& p) {
    const int d = rotary_dim(p);
    POSENC_REQUIRE(p.original_max_position_embeddings > 0, "original_max_position_embeddings",
                   "an integer > 0 for the llama3 variant");
    POSENC_REQUIRE(p.high_freq_factor >= p.low_freq_factor, "high_freq_factor", "a finite number >= low_freq_factor");
    const math::dd<T> ln_base = math::log_dd(p.base);
    const T L = T(p.original_max_position_embeddings);
    result<T> r{std::vector<T>(static_cast<std::size_t>(d / 2), T(0)), T(1)};
    for (int j = 0; j < d / 2; ++j) {
        const math::dd<T> theta = default_theta_dd(ln_base, j, d);
        const math::dd<T> wavelength = math::div(math::two_pi_dd<T>(), theta);
        // L / wavelength against low/high_freq_factor is the same test as wavelength against
        // L / low_freq_factor and L / high_freq_factor.
        const math::dd<T> l_over = math::div(math::dd_from(L), wavelength);
        T value;
        if (l_over.hi < p.low_freq_factor) {
            value = math::round(math::div(theta, p.factor));
        } else if (l_over.hi > p.high_freq_factor) {
            value = theta.hi;
        } else {
            // equal factors leave no band but its edge, where HF's smooth factor is 0/0
            POSENC_REQUIRE(p.high_freq_factor > p.low_freq_factor, "high_freq_factor",
                           "> low_freq_factor when a wavelength equals L / low_freq_factor exactly");
            const math::dd<T> s = math::div(math::sub(l_over, math::dd_from(p.low_freq_factor)),
                                            T(p.high_freq_factor - p.low_freq_factor));
            const math::dd<T> w = math::add(math::div(math::sub(math::dd_from(T(1)), s), p.factor), s);
            value = math::round(math::mul(theta, w));
        }
        r.theta[static_cast<std::size_t>(j)] = value;
    }
    return r;
}

}  // namespace posenc::frequencies
