// proofs/data/proof_values.hpp: reference values for the compile-time proofs (generated; do not edit).
// Regenerate: /usr/bin/python3 scripts/gen_proof_values.py proofs/data/proof_values.hpp
//
// Computed from the definitions in exact arithmetic (mpmath, 100 digits; formulas in the
// script), independently of posenc. A real value X comes as `X`, the nearest double, and as
// `X_parts`, four doubles d0 + d1 + d2 + d3 each nearest to what the previous ones leave
// (|X - sum| < 2^-200 |X|); rebuild<T>(X_parts) adds them from d3 up, within an ulp of X in T
// for every T with at most 200 significand bits.
#pragma once

namespace posenc_proofs::values {

/// d0 + d1 + d2 + d3 in T, smallest first.
template <class T>
[[nodiscard]] constexpr T rebuild(const double (&parts)[4]) {
    T sum = T(parts[3]);
    sum = T(parts[2]) + sum;
    sum = T(parts[1]) + sum;
    return T(parts[0]) + sum;
}

/// RoFormer Figure 2 relative upper bound at m - n = 100, d = 128, base 10000.
/// = 10.2273299485051433763058977898650689587217343458635624656979
inline constexpr double roformer_curve_d128_r100 = 0x1.47464974c7640p+3;
inline constexpr double roformer_curve_d128_r100_parts[4] = {0x1.47464974c7640p+3, -0x1.1f864bac76ce8p-51, 0x1.c86db4540c653p-108, -0x1.7f96a3154653fp-162};

/// Men et al. eq. 9-10, d = 32, base 100: the smallest m >= 0 with B_m < 0. Margins:
/// min_{m' < m} B_m' = 1.35893813597, B_m = -0.0923584103736 (far from 0 next to rounding).
inline constexpr long long first_negative_b_d32_base100 = 28;

/// RoPE 2D axial (x then y), head_dim 8, base 100, on a 7 x 5 grid: the smallest
/// ||I - R_{dx,dy}||_F over grid differences, at (dx, dy) = (6, 0); the next smallest is
/// 1.36336866453 (the minimum is unique).
/// = 0.926270151607954345861228300465467672361752350767860547475683
inline constexpr double axial_separation_d8_7x5 = 0x1.da4014d0d5918p-1;
inline constexpr double axial_separation_d8_7x5_parts[4] = {0x1.da4014d0d5918p-1, 0x1.d06280bdf2447p-58, 0x1.aa2ec5e5608b9p-112, 0x1.72dca7a59bd5ap-167};

inline constexpr long long axial_separation_d8_7x5_dx = 6;
inline constexpr long long axial_separation_d8_7x5_dy = 0;

}  // namespace posenc_proofs::values
