// posenc/kernels/simd.hpp: what the float32 kernels and their scalar twins share about vectors.
//
// The kernels (posenc::kernels, a compiled library: kernels.cpp) are written once on Google
// Highway's portable vector operations and compiled for several targets (x86: AVX-512, AVX2,
// SSE4 and a baseline; Arm: NEON, SVE), one of which is chosen at run time for the CPU that runs
// them (dispatch.hpp). They compute in double vectors of up to `max_lanes` lanes and load and
// store float32 data as float vectors of as many lanes; angles, cos/sin and rotations are all
// evaluated in double and rounded to float once, at the end.
//
// Every kernel has a scalar twin (header-only, `*_scalar`) that performs the same IEEE operations
// in the same order: the kernel and its twin agree bit for bit on every target. Fused multiply-adds
// are written out (fma_of; on targets without the instruction the kernels call std::fma lane by
// lane, so they stay correctly rounded), and every other a*b + c must stay two roundings: compile
// kernel code with -ffp-contract=off (GCC's default in ISO mode, -std=c++20; clang contracts within
// an expression unless told not to, which the twins do per function with
// `#pragma clang fp contract(off)`). The error bounds the kernels state hold either way.
#pragma once

#include <cmath>
#include <cstddef>

/// Forces inlining of the small helpers the kernels and twins share.
#define POSENC_KERNEL_INLINE [[gnu::always_inline]] inline

namespace posenc::kernels {

/// The most double lanes a kernel vector has on any target (AVX-512: 8). Frequency lists and
/// cos/sin table rows are padded to a multiple of it, so every target reads whole vectors.
inline constexpr std::size_t max_lanes = 8;

namespace detail {

/// The operations the generic kernel code (sincos_of_angle) is written in, on plain doubles: the
/// scalar twins' side. The kernels supply the same set on Highway vectors (kernels-inl.hpp), with
/// the same results lane by lane.
struct scalar_ops {
    POSENC_KERNEL_INLINE static double set(double x) { return x; }
    POSENC_KERNEL_INLINE static double add(double a, double b) { return a + b; }
    POSENC_KERNEL_INLINE static double sub(double a, double b) { return a - b; }
    POSENC_KERNEL_INLINE static double mul(double a, double b) { return a * b; }
    POSENC_KERNEL_INLINE static double floor(double x) { return std::floor(x); }
    /// a * b + c rounded once.
    POSENC_KERNEL_INLINE static double fma(double a, double b, double c) { return std::fma(a, b, c); }
    POSENC_KERNEL_INLINE static double neg(double x) { return -x; }
    POSENC_KERNEL_INLINE static bool eq(double a, double b) { return a == b; }
    POSENC_KERNEL_INLINE static bool ge(double a, double b) { return a >= b; }
    POSENC_KERNEL_INLINE static bool either(bool a, bool b) { return a || b; }
    /// m ? a : b.
    POSENC_KERNEL_INLINE static double select(bool m, double a, double b) { return m ? a : b; }
};

/// a * b + c rounded once (the scalar twins' spelling).
POSENC_KERNEL_INLINE double fma_of(double a, double b, double c) { return std::fma(a, b, c); }

}  // namespace detail
}  // namespace posenc::kernels
