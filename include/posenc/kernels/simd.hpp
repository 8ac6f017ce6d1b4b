// posenc/kernels/simd.hpp: the SIMD vocabulary of posenc's float32 kernels.
//
// The kernels are written once on std::experimental::simd (Parallelism TS v2, libstdc++'s
// <experimental/simd>), so the vector width is fixed at compile time by the target the includer
// compiles for (-march): the kernels compute in `vdouble`, the native double vector (2 lanes with
// SSE2, 4 with AVX2), and load and store float32 data as `vfloat`, a float vector of as many lanes.
// Angles, cos/sin and rotations are all evaluated in double and rounded to float once, at the end.
//
// Every kernel has a scalar twin (the same template at V = double, or a plain loop) that performs
// the same IEEE operations in the same order: the kernel and its twin agree bit for bit. Fused
// multiply-adds are written out (fma_of: std::fma / stdx::fma, correctly rounded on both sides);
// every other a*b + c must stay two roundings, so compile kernel code with -ffp-contract=off (GCC's
// default in ISO mode, -std=c++20; clang contracts within an expression unless told not to, which
// the kernels do per function with `#pragma clang fp contract(off)`). The error bounds the kernels
// state hold either way. Without hardware FMA (plain x86-64), fma_of is correct but slow: build
// kernel code with -march=x86-64-v3 or better (posenc's CMake does, when the machine has it).
#pragma once

#include <experimental/simd>

#include <cmath>
#include <cstddef>

/// Forces inlining of the small SIMD helpers: without it, GCC 12 passes simd objects through
/// memory to out-of-line copies and the kernels run at half speed.
#define POSENC_KERNEL_INLINE [[gnu::always_inline]] inline

namespace posenc::kernels {

namespace stdx = std::experimental;

/// The native double vector of the compilation target: what the kernels compute in.
using vdouble = stdx::native_simd<double>;
/// vdouble's mask.
using vdouble_mask = typename vdouble::mask_type;
/// As many floats as vdouble has lanes: what the kernels load and store.
using vfloat = stdx::rebind_simd_t<float, vdouble>;

/// Lanes per vector.
inline constexpr std::size_t simd_width = vdouble::size();
static_assert(simd_width % 2 == 0, "posenc kernels: an interleaved pair must not straddle two vectors (even width needed)");

namespace detail {

// The few operations the generic kernel code needs beyond + - * / and comparisons, for a scalar
// double (the scalar twins) and for a double simd (the kernels), with the same results lane by lane.
POSENC_KERNEL_INLINE double floor_of(double x) { return std::floor(x); }
template <class Abi>
POSENC_KERNEL_INLINE stdx::simd<double, Abi> floor_of(const stdx::simd<double, Abi>& x) {
    return stdx::floor(x);
}

/// a * b + c rounded once.
POSENC_KERNEL_INLINE double fma_of(double a, double b, double c) { return std::fma(a, b, c); }
template <class Abi>
POSENC_KERNEL_INLINE stdx::simd<double, Abi> fma_of(const stdx::simd<double, Abi>& a, const stdx::simd<double, Abi>& b,
                                                   const stdx::simd<double, Abi>& c) {
    return stdx::fma(a, b, c);
}

/// m ? a : b, lane by lane.
POSENC_KERNEL_INLINE double select(bool m, double a, double b) { return m ? a : b; }
template <class Abi>
POSENC_KERNEL_INLINE stdx::simd<double, Abi> select(const stdx::simd_mask<double, Abi>& m, const stdx::simd<double, Abi>& a,
                                                   stdx::simd<double, Abi> b) {
    stdx::where(m, b) = a;
    return b;
}

/// simd_width floats from p, as doubles.
POSENC_KERNEL_INLINE vdouble load_floats(const float* p) {
    return stdx::static_simd_cast<vdouble>(vfloat(p, stdx::element_aligned));
}
/// v rounded to float, stored at p (simd_width floats).
POSENC_KERNEL_INLINE void store_floats(const vdouble& v, float* p) {
    stdx::static_simd_cast<vfloat>(v).copy_to(p, stdx::element_aligned);
}
POSENC_KERNEL_INLINE vdouble load_doubles(const double* p) { return vdouble(p, stdx::element_aligned); }

}  // namespace detail
}  // namespace posenc::kernels
