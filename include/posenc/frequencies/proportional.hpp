// posenc/frequencies/proportional.hpp: rope_type "proportional" (Gemma 4 full-attention layers).
// Mirrors transformers `modeling_rope_utils.py`, `_compute_proportional_rope_parameters`: with hd
// the head size and rope_angles = int(partial_rotary_factor * hd // 2),
//   inv_freq_i = base^(-2i/hd) / factor for i < rope_angles (the exponent is over the whole head),
//   inv_freq_i = 0 for rope_angles <= i < hd/2 (those pairs do not rotate); attention factor 1.
// The rotation covers the whole head (half-split pairs (i, i + hd/2)), so the rotary dimension is
// hd, not int(hd * partial_rotary_factor).
#pragma once

#include "common.hpp"

namespace posenc::frequencies {

template <Real T>
[[nodiscard]] constexpr result<T> compute_proportional(const rope_params<T>& p) {
    (void)rotary_dim(p);  // the common checks of head_dim and partial_rotary_factor
    const int hd = p.head_dim;
    // int(prf * hd // 2): Python's // on a float floors
    const int angles = static_cast<int>(static_cast<long long>(T(T(p.head_dim) * p.partial_rotary_factor / T(2))));
    const math::dd<T> ln_base = math::log_dd(p.base);
    const math::dd<T> ln_factor = math::log_dd(p.factor);
    result<T> r{std::vector<T>(static_cast<std::size_t>(hd / 2), T(0)), T(1)};
    for (int j = 0; j < angles && j < hd / 2; ++j) {
        const math::dd<T> t = math::sub(default_exponent(ln_base, j, hd), ln_factor);
        r.theta[static_cast<std::size_t>(j)] = math::round(math::exp(t));
    }
    return r;
}

}  // namespace posenc::frequencies
