// posenc/frequencies/default.hpp: rope_type "default" (RoFormer eq. 15).
// Mirrors transformers `modeling_rope_utils.py`, `_compute_default_rope_parameters`:
// inv_freq_i = base^(-2i/dim), dim = int(head_dim * partial_rotary_factor); attention factor 1.
#pragma once

#include "common.hpp"

namespace posenc::frequencies {

template <Real T>
[[nodiscard]] constexpr result<T> compute_default(const rope_params<T>& p) {
    return {default_theta(p.base, rotary_dim(p)), T(1)};
}

}  // namespace posenc::frequencies
