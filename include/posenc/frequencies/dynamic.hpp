// posenc/frequencies/dynamic.hpp: rope_type "dynamic" (dynamic NTK scaling).
// Mirrors transformers `modeling_rope_utils.py`, `_compute_dynamic_ntk_parameters`:
//   L = seq_len if seq_len > max_position_embeddings else max_position_embeddings
//   base' = base * (factor * L / max_position_embeddings - (factor - 1))^(dim / (dim - 2))
//   inv_freq_i = base'^(-2i/dim); attention factor 1.
// At model init (seq_len not given) L = max_position_embeddings and base' = base. Here
// theta_i = exp(-(2i/d) ln base - (2i/(d-2)) ln s) with s in double-T, rounded once.
#pragma once

#include "common.hpp"

namespace posenc::frequencies {

template <Real T>
[[nodiscard]] constexpr result<T> compute_dynamic(const rope_params<T>& p) {
    const int d = rotary_dim(p);
    POSENC_REQUIRE(p.max_position_embeddings > 0, "max_position_embeddings", "an integer > 0 for the dynamic variant");
    POSENC_REQUIRE(d > 2, "partial_rotary_factor", "such that the rotary dimension exceeds 2 for the dynamic variant");
    const math::dd<T> ln_base = math::log_dd(p.base);
    const long L = p.seq_len > p.max_position_embeddings ? p.seq_len : p.max_position_embeddings;
    // s = factor * L / L_max - (factor - 1)
    const math::dd<T> fl = math::div(math::mul(math::dd_from(p.factor), T(L)), T(p.max_position_embeddings));
    const math::dd<T> s = math::sub(fl, math::sub(math::dd_from(p.factor), math::dd_from(T(1))));
    const math::dd<T> ln_s = math::log(s);
    result<T> r{std::vector<T>(static_cast<std::size_t>(d / 2), T(0)), T(1)};
    for (int j = 0; j < d / 2; ++j) {
        // -(2j/d) (ln base + d/(d-2) ln s) = -(2j/d) ln base - 2j/(d-2) ln s
        const math::dd<T> t =
            math::sub(default_exponent(ln_base, j, d), math::div(math::mul(ln_s, T(2 * j)), T(d - 2)));
        r.theta[static_cast<std::size_t>(j)] = math::round(math::exp(t));
    }
    return r;
}

}  // namespace posenc::frequencies
