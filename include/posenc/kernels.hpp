// posenc/kernels.hpp: the float32 SIMD kernels (cos/sin tables, RoPE 1D, 2D and M-RoPE apply,
// sinusoidal table), each with its scalar twin. Not part of posenc.hpp: the kernels are compiled
// code (link posenc::kernels: Google Highway, runtime dispatch, threads); the scalar twins are
// header-only. Build code that calls the twins with -ffp-contract=off (see kernels/simd.hpp).
#pragma once

#include "kernels/dispatch.hpp"
#include "kernels/mrope.hpp"
#include "kernels/rope.hpp"
#include "kernels/rope2d.hpp"
#include "kernels/simd.hpp"
#include "kernels/sincos.hpp"
#include "kernels/sinusoidal.hpp"
#include "kernels/tensor.hpp"
