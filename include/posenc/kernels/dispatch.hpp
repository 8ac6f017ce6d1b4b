// posenc/kernels/dispatch.hpp: which vector target the float32 kernels run on.
//
// posenc::kernels is compiled for several targets (x86-64: AVX3 = AVX-512 F/BW/DQ/VL, AVX2 (with
// FMA), SSE4, and a baseline for older CPUs; aarch64: NEON, SVE), and each kernel call runs the best
// target the CPU supports (Google Highway's HWY_DYNAMIC_DISPATCH). Every target gives the same bits
// as the scalar twins, so the choice changes only the speed. Names are Highway's (hwy::TargetName).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace posenc::kernels {

/// The target the kernels run on now, e.g. "AVX3".
[[nodiscard]] std::string current_target();

/// Double lanes per vector of the current target (1 for the scalar fallback).
[[nodiscard]] std::size_t current_lanes();

/// The targets compiled into posenc::kernels that this CPU runs, best first.
[[nodiscard]] std::vector<std::string> available_targets();

/// Restricts every later kernel call to `name`, one of available_targets() (any case), or lifts the
/// restriction with "best". Throws kernel_error naming "target" (with the valid names) otherwise.
/// Process-wide: call it between kernel calls, not during one (for benchmarks and tests).
void use_target(std::string_view name);

}  // namespace posenc::kernels
