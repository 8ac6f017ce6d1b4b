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
// The same template serves the scalar twin (Ops = detail::scalar_ops, plain doubles) and the kernels
// (Ops on Highway vectors, kernels-inl.hpp): the same operations in the same order, so the two agree
// bit for bit.
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

/// cos and sin, as computed by sincos_of_angle (the scalar twins' result).
struct sincos_value {
    double cos;
    double sin;
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

}  // namespace detail
}  // namespace posenc::kernels

// The generic sincos_of_angle (and its helper), in posenc::kernels::twin: the template is written
// in sincos-inl.hpp once, and included once more by the kernels inside each target's namespace
// (a template defined outside a target's region would not be compiled for that target).
#define POSENC_SINCOS_NAMESPACE twin
#include "sincos-inl.hpp"
#undef POSENC_SINCOS_NAMESPACE

namespace posenc::kernels {

/// cos and sin of m * (theta_hi + theta_lo) in plain doubles: the scalar twins' call.
inline sincos_value sincos_of_angle(double m, double theta_hi, double theta_lo) {
    sincos_value v{};
    twin::sincos_of_angle(detail::scalar_ops{}, m, theta_hi, theta_lo, v.cos, v.sin);
    return v;
}

}  // namespace posenc::kernels
