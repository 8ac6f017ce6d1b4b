// posenc/kernels/sincos.hpp: cos and sin of the exact angle m * theta, fast, in double, for the
// float32 kernels.
//
// Valid inputs: m an integer with |m| <= 2^24, theta a double in [0, 2] given as split_frequency
// (theta = hi + lo, see split_frequency_of). Range of the angle |m theta| <= 2^25.
// Result: cos and sin of the exact real number m * theta (theta as the double it is; no rounding
// of the product). With r the distance of m * theta to the nearest multiple of pi/2, each value has
// a relative error below 2^-50 + 2^-80/|r| (an absolute error below 2^-79). Rounded to float, every
// value is therefore within 0.5 + 2^-25 + 2^-56/|r| ulp (float) of the exact cos/sin: within 1 ulp
// for |r| > 2^-55. (Over the 2^24 positions and any realistic frequency list the smallest |r| is
// near 2^-30; only a frequency constructed to make some m theta fall within 2^-55 of a multiple of
// pi/2 could exceed 1 ulp, and only at that position.)
// Method (each step exact unless stated):
//   1. theta = hi + lo with hi holding 26 significant bits and lo at most 27 (split_frequency_of),
//      so p1 = m hi and p2 = m lo are exact products (|m| < 2^26): m theta = p1 + p2 exactly.
//   2. k = nearest integer to (p1 + p2) * 2/pi (the shifter 1.5 * 2^52 rounds; any nearby integer
//      would do), |k| < 2^25.
//   3. Cody-Waite reduction (Cody & Waite 1980, "Software Manual for the Elementary Functions",
//      ch. 8) with pi/2 = C1 + C2 + C3 + O(2^-114): C1 and C2 hold 27 significant bits, so k C1 and
//      k C2 are exact (26 + 27 bits); t1 = p1 - k C1 is exact (both are multiples of ulp(p1) and
//      |t1| < 2 |p1|); the sums t1 + p2 and - k C2 are carried as double-double with TwoSum (Knuth,
//      TAOCP vol. 2, 4.2.2, Theorem B), and k C3 (rounded, error <= 2^-82) enters the low part:
//      r = m theta - k pi/2 with absolute error below 2^-80, |r| <= pi/4 + 2^-30.
//   4. sin r and cos r by their Taylor series to degree 15 and 16 (truncation below 2^-53 relative
//      for |r| <= pi/4 + 2^-30), Horner's rule in double with fused multiply-adds; then the
//      quadrant k mod 4 picks
//      (+-sin r, +-cos r) (sin(r + q pi/2), cos(r + q pi/2)).
// The same template serves the scalar twin (V = double) and the kernels (V = vdouble): the same
// operations in the same order, so the two agree bit for bit.
#pragma once

#include <bit>
#include <cstdint>

#include "simd.hpp"

namespace posenc::kernels {

/// theta = hi + lo exactly, hi with at most 26 significant bits, lo with at most 27.
struct split_frequency {
    double hi = 0;
    double lo = 0;
};

/// Splits theta by clearing the low 27 bits of its significand (hi); lo = theta - hi is exact
/// (Sterbenz: hi and theta share sign and binade). Bit operations rather than Veltkamp's
/// multiplication, so that no compiler contraction can change the split.
inline split_frequency split_frequency_of(double theta) {
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(theta) & ~((std::uint64_t{1} << 27) - 1);
    const double hi = std::bit_cast<double>(bits);
    return {hi, theta - hi};
}

/// cos and sin, as computed by sincos_of_angle.
template <class V>
struct sincos_value {
    V cos;
    V sin;
};

namespace detail {

// pi/2 = C1 + C2 + C3 + 4.3e-35 (C1, C2 with 27 significant bits; mpmath at 400 bits).
inline constexpr double half_pi_c1 = 0x1.921fb54000000p+0;
inline constexpr double half_pi_c2 = 0x1.10b4610000000p-30;
inline constexpr double half_pi_c3 = 0x1.a62633145c06ep-58;
inline constexpr double two_over_pi = 0x1.45f306dc9c883p-1;  // 2/pi rounded (only picks k)
inline constexpr double round_shifter = 0x1.8p52;             // (x + 1.5 2^52) - 1.5 2^52 = nearest integer

/// 1/n! rounded to double.
constexpr double inverse_factorial(int n) {
    double f = 1;
    for (int i = 2; i <= n; ++i) f *= i;  // exact up to 18!
    return 1.0 / f;
}

/// The Taylor coefficient of r^n in sin r (n odd) or cos r (n even): (-1)^floor(n/2) / n!.
constexpr double taylor_coefficient(int n) { return (n / 2) % 2 == 0 ? inverse_factorial(n) : -inverse_factorial(n); }

/// The rounding error of s = a + b: a + b = s + err exactly (TwoSum, Knuth TAOCP 4.2.2 Thm B).
template <class V>
POSENC_KERNEL_INLINE V two_sum_error(const V& a, const V& b, const V& s) {
    const V bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

}  // namespace detail

/// cos and sin of m * (f.hi + f.lo), exactly formed (see the file comment for range and error).
/// V is double (scalar twin) or vdouble (SIMD), lane by lane.
template <class V>
POSENC_KERNEL_INLINE sincos_value<V> sincos_of_angle(const V& m, const V& theta_hi, const V& theta_lo) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    using detail::select;
    const V p1 = m * theta_hi;  // exact
    const V p2 = m * theta_lo;  // exact
    const V shifter(detail::round_shifter);
    const V k = ((p1 + p2) * V(detail::two_over_pi) + shifter) - shifter;
    const V t1 = p1 - k * V(detail::half_pi_c1);  // exact
    const V s1 = t1 + p2;
    const V e1 = detail::two_sum_error(t1, p2, s1);
    const V kc2 = k * V(detail::half_pi_c2);  // exact
    const V s2 = s1 - kc2;
    const V e2 = detail::two_sum_error(s1, V(-kc2), s2);
    const V r = s2 + ((e1 + e2) - k * V(detail::half_pi_c3));
    const V r2 = r * r;
    // sin r = r - r^3/3! + ... - r^15/15!, cos r = 1 - r^2/2! + ... + r^16/16! (Taylor)
    // Horner's rule on r^2 from the highest term down, one fused multiply-add per term (the
    // compiler unrolls these loops)
    using detail::fma_of;
    using detail::taylor_coefficient;
    V sin_tail(taylor_coefficient(15));
    for (int n = 13; n >= 3; n -= 2) sin_tail = fma_of(r2, sin_tail, V(taylor_coefficient(n)));
    const V sr = fma_of(r, r2 * sin_tail, r);  // r + r^3 (-1/3! + r^2/5! - ...)
    V cos_tail(taylor_coefficient(16));
    for (int n = 14; n >= 4; n -= 2) cos_tail = fma_of(r2, cos_tail, V(taylor_coefficient(n)));
    const V cr = V(1) - fma_of(r2, V(0.5), V(-(r2 * r2) * cos_tail));  // 1 - (r^2/2 - r^4 (1/4! - ...))
    // quadrant q = k mod 4: sin(r + q pi/2) = sin r, cos r, -sin r, -cos r; cos(...) = cos r, -sin r, -cos r, sin r
    const V q = k - V(4) * detail::floor_of(k * V(0.25));
    const auto swap = (q == V(1)) || (q == V(3));
    const V s0 = select(swap, cr, sr);
    const V c0 = select(swap, sr, cr);
    return {select((q == V(1)) || (q == V(2)), V(-c0), c0), select(q >= V(2), V(-s0), s0)};
}

}  // namespace posenc::kernels
