// posenc/frequencies/longrope.hpp: rope_type "longrope" (Ding et al. 2024, LongRoPE, arXiv 2402.13753).
// Mirrors transformers `modeling_rope_utils.py`, `_compute_longrope_parameters`:
//   factor: `factor`, or max_position_embeddings / original_max_position_embeddings (Phi-3 keeps
//     original_max_position_embeddings at the top level of its config and uses this ratio)
//   attention factor: `attention_factor` if given; else 1 if factor <= 1; else
//     sqrt(1 + ln(factor) / ln(original_max_position_embeddings))
//   ext = long_factor if seq_len > original_max_position_embeddings else short_factor (at model
//     init seq_len is not given: short_factor); inv_freq_i = theta_i / ext_i.
// Here theta_i = exp(-(2i/d) ln base - ln ext_i), rounded once.
#pragma once

#include "../math/sqrt.hpp"
#include "common.hpp"

namespace posenc::frequencies {

template <Real T>
[[nodiscard]] constexpr result<T> compute_longrope(const rope_params<T>& p) {
    const int d = rotary_dim(p);
    const std::size_t n = static_cast<std::size_t>(d / 2);
    POSENC_REQUIRE(p.original_max_position_embeddings > 0, "original_max_position_embeddings",
                   "an integer > 0 for the longrope variant");
    POSENC_REQUIRE(p.short_factor.size() == n, "short_factor", "a list of rotary_dim/2 factors");
    POSENC_REQUIRE(p.long_factor.size() == n, "long_factor", "a list of rotary_dim/2 factors");
    const T factor = context_factor(p);
    T attention = T(1);
    if (p.attention_factor != T(0)) {
        attention = p.attention_factor;
    } else if (factor > T(1)) {
        // ln(1) = 0 would divide by zero (HF's _compute_longrope_parameters does so too).
        POSENC_REQUIRE(p.original_max_position_embeddings >= 2, "original_max_position_embeddings",
                       "an integer >= 2 when the longrope attention factor is derived from it");
        attention = math::sqrt(T(T(1) + math::log(factor) / math::log(T(p.original_max_position_embeddings))));
    }
    const bool use_long = p.seq_len > p.original_max_position_embeddings;
    const std::vector<T>& ext = use_long ? p.long_factor : p.short_factor;
    const math::dd<T> ln_base = math::log_dd(p.base);
    result<T> r{std::vector<T>(n, T(0)), attention};
    for (std::size_t j = 0; j < n; ++j) {
        const math::dd<T> t = math::sub(default_exponent(ln_base, static_cast<int>(j), d), math::log_dd(ext[j]));
        r.theta[j] = math::round(math::exp(t));
        POSENC_REQUIRE(math::is_finite(r.theta[j]), use_long ? "long_factor" : "short_factor",
                       "factors for which base^(-2i/d) / factor_i is finite");
    }
    return r;
}

}  // namespace posenc::frequencies
