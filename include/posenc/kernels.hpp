// posenc/kernels.hpp: the float32 SIMD kernels (cos/sin tables, RoPE 1D, 2D and M-RoPE apply,
// sinusoidal table), each with its scalar twin. Not part of posenc.hpp: the kernels need libstdc++'s
// <experimental/simd> and are best compiled with -march=x86-64-v3 (or better) and
// -ffp-contract=off (see kernels/simd.hpp).
#pragma once

#include "kernels/mrope.hpp"
#include "kernels/rope.hpp"
#include "kernels/rope2d.hpp"
#include "kernels/simd.hpp"
#include "kernels/sincos.hpp"
#include "kernels/sinusoidal.hpp"
#include "kernels/tensor.hpp"
