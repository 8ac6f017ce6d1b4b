// posenc/frequencies.hpp: the frequency layer in one include. compute(p) dispatches on the rope
// type as transformers' ROPE_INIT_FUNCTIONS does (`modeling_rope_utils.py`): one function per type.
#pragma once

#include "frequencies/common.hpp"
#include "frequencies/default.hpp"
#include "frequencies/dynamic.hpp"
#include "frequencies/linear.hpp"
#include "frequencies/llama3.hpp"
#include "frequencies/longrope.hpp"
#include "frequencies/params.hpp"
#include "frequencies/proportional.hpp"
#include "frequencies/yarn.hpp"

namespace posenc::frequencies {

/// theta_i and the attention factor of p: checks every parameter's range (the table's), then the
/// rope type's function.
template <Real T>
[[nodiscard]] constexpr result<T> compute(const rope_params<T>& p) {
    check_ranges(p);
    switch (p.variant) {
        case rope_variant::standard: return compute_default(p);
        case rope_variant::linear: return compute_linear(p);
        case rope_variant::dynamic: return compute_dynamic(p);
        case rope_variant::yarn: return compute_yarn(p);
        case rope_variant::llama3: return compute_llama3(p);
        case rope_variant::longrope: return compute_longrope(p);
        case rope_variant::proportional: return compute_proportional(p);
    }
    return compute_default(p);
}

}  // namespace posenc::frequencies
