// proofs/rope2d.cpp: 2D RoPE, relativity and reversibility, checked by the compiler.
//
// Every static_assert in this file evaluates a predicate of posenc/properties/rope2d.hpp or
// relative.hpp in a constant expression; if one were false, the build would fail.
//
// Su ("Transformer升级之路:4、二维位置的旋转式位置编码", kexue.fm/archives/8397) asks of R_{x,y}:
//  - relativity, R_{x1,y1}^T R_{x2,y2} = R_{x2-x1,y2-y1}                             (rope2d_relative)
//  - reversibility: distinct positions give distinct rotations                     (rope2d_reversible)
// Derivation (commuting matrix exponentials). Write R_{x,y} = exp(x B1 + y B2) with skew-symmetric
// generators B1, B2. If B1 B2 = B2 B1 (generators_commute), then exp(A + B) = exp(A) exp(B) for
// A = x B1, B = y B2 (the Cauchy product of the two series, which needs AB = BA), so
// R_{x,y} = R_{x,0} R_{0,y} = R_{0,y} R_{x,0} (rotations_commute), and since exp(B)^T = exp(-B),
//     R_{x1,y1}^T R_{x2,y2} = exp(-x1 B1 - y1 B2) exp(x2 B1 + y2 B2) = exp((x2-x1) B1 + (y2-y1) B2).
// Axial RoPE (half of the pairs rotate with x, half with y: naver-ai/rope-vit x_then_y, EVA-02
// y_then_x) and RoPE-Mixed (Heo et al. 2024, ECCV: pair t rotates by theta^x_t x + theta^y_t y) have
// generators made of 2x2 blocks [[0, -t], [t, 0]] on the same pairs, which commute.
// Reversibility on a grid: for a relative orthogonal R, ||R_p - R_p'||_F = ||I - R_{p'-p}||_F, so the
// smallest separation of two grid points is the smallest ||I - R_{dx,dy}||_F over the grid
// differences (rope2d_separation). For the axial RoPE below it is compared with the value the script
// scripts/gen_proof_values.py computes from the definition.
// Falsity, static_assert(!...):
//  - Su's rejected first attempt, quaternions: R_{x,y} = left multiplication by exp(x a i + y b j).
//    Its generators a L_i and b L_j do not commute (L_i L_j = L_k = -L_j L_i), and it is not
//    relative (posenc::quaternion_rope2d).
//  - An axial RoPE whose x frequency is 2 pi / 4 (theta_x = {pi/2, 0}, theta_y = {0, 1}): relative,
//    but R_{x+4,y} = R_{x,y}, so it is not reversible on a 5 x 5 grid: the separation at
//    (dx, dy) = (4, 0) is 0 up to rounding.
//
// Tolerances, in units of u = 2^-p (posenc::ulps<T>(n) = 2 n u):
//  - matrices, entrywise: an entry of R^T R is c_1 c_2 + s_1 s_2 (two products of values within
//    4 u), within 10 u, the entry of R_{dx,dy} within 4 u: ulps(7). The angles are exact (TwoProduct,
//    and a double-T sum for RoPE-Mixed), so nothing grows with the position.
//  - generators_commute: exactly (tol 0): every entry of B1 B2 and of B2 B1 is the product of the
//    same two numbers, or 0.
//  - the separation against the exact value, absolute: 64 entries within 4 u each, squared and
//    summed (Higham eq. 3.5 with 64 terms), then sqrt: below (32 + 64 + 1) u, ulps(49).
//  - the 2 pi / 4 frequency: fl(pi/2) = pi/2 + delta, |delta| <= u, so R_{4,0} is the rotation by
//    4 delta on one pair, ||I - R_{4,0}||_F = 2 sqrt2 |sin(2 delta)| <= 4 sqrt2 u < ulps(3).
// Types: double and long double, and __float128 with g++ (POSENC_HAS_FLOAT128); RoPE-Mixed
// relativity also at posenc::math::cx_float50 (192 bits), with head_dim 4.
#include <vector>

#include <posenc/encodings/rope2d.hpp>
#include <posenc/math/constants.hpp>
#include <posenc/math/cx_float.hpp>
#include <posenc/properties/relative.hpp>
#include <posenc/properties/rope2d.hpp>

#include "data/proof_values.hpp"

namespace {

using posenc::axial_order;

/// rope-vit's axial arrangement and default base (x drives the first half of the pairs).
template <class T>
constexpr posenc::rope2d_axial<T> rope_vit_axial(int head_dim) {
    return posenc::rope2d_axial<T>(head_dim, T(100), axial_order::x_then_y);
}

/// EVA-02's arrangement and base (y, the row, drives the first half).
template <class T>
constexpr posenc::rope2d_axial<T> eva02_axial(int head_dim) {
    return posenc::rope2d_axial<T>(head_dim, T(10000), axial_order::y_then_x);
}

/// RoPE-Mixed as rope-vit initialises one head (rotation angle 0.3).
template <class T>
constexpr posenc::rope2d_mixed<T> rope_vit_mixed(int head_dim) {
    return posenc::rope2d_mixed<T>::rope_vit_init(head_dim, T(100), T(0.3));
}

/// Relativity at two position pairs: a small one, and one with |x|, |y| up to 2^20.
template <class E, class T = posenc::value_type_of<E>>
constexpr bool relative_2d(const E& e) {
    const T tol = posenc::ulps<T>(7);
    return posenc::rope2d_relative(e, T(3), T(5), T(-7), T(11), tol) &&
           posenc::rope2d_relative(e, T(123456), T(-17), T(5), T(1048576), tol);
}

template <class E, class T = posenc::value_type_of<E>>
constexpr bool rotations_commute_2d(const E& e) {
    return posenc::rotations_commute(e, T(3), T(5), posenc::ulps<T>(7)) &&
           posenc::rotations_commute(e, T(-123456), T(17), posenc::ulps<T>(7));
}

/// The axial RoPE of head_dim 8, base 100, on a 7 x 5 grid: smallest separation where the
/// script puts it, and equal to its value within ulps(49).
template <class T>
constexpr bool separation_matches_reference() {
    namespace v = posenc_proofs::values;
    const posenc::separation_report<T> r = posenc::rope2d_separation(rope_vit_axial<T>(8), 7, 5);
    const T d = r.min_separation - v::rebuild<T>(v::axial_separation_d8_7x5_parts);
    return r.dx == v::axial_separation_d8_7x5_dx && r.dy == v::axial_separation_d8_7x5_dy &&
           (d < T(0) ? T(-d) : d) <= posenc::ulps<T>(49);
}

/// theta_x = {pi/2, 0}, theta_y = {0, 1}: the x pair has period 4.
template <class T>
constexpr posenc::rope2d_mixed<T> period4_x() {
    return posenc::rope2d_mixed<T>(std::vector<T>{posenc::math::half_pi<T>(), T(0)}, std::vector<T>{T(0), T(1)});
}

template <class T>
constexpr bool period4_collides_at_4_0() {
    const posenc::separation_report<T> r = posenc::rope2d_separation(period4_x<T>(), 5, 5);
    return r.dx == 4 && r.dy == 0 && r.min_separation <= posenc::ulps<T>(3);
}

template <class T>
constexpr posenc::quaternion_rope2d<T> quaternion() {
    return posenc::quaternion_rope2d<T>(T(1), T(1) / T(2));
}

template <class T>
struct rope2d_proofs {
    // ---- Relativity: axial (both arrangements) and mixed, head_dim 8 ----
    static_assert(relative_2d(rope_vit_axial<T>(8)));
    static_assert(relative_2d(eva02_axial<T>(8)));
    static_assert(relative_2d(rope_vit_mixed<T>(8)));

    // ---- Why: the generators commute (exactly), so the axis rotations commute and compose ----
    static_assert(posenc::generators_commute(rope_vit_axial<T>(8), T(0)));
    static_assert(posenc::generators_commute(eva02_axial<T>(8), T(0)));
    static_assert(posenc::generators_commute(rope_vit_mixed<T>(8), T(0)));
    static_assert(rotations_commute_2d(rope_vit_axial<T>(8)));
    static_assert(rotations_commute_2d(eva02_axial<T>(8)));
    static_assert(rotations_commute_2d(rope_vit_mixed<T>(8)));

    // ---- Reversibility: distinct points of a 7 x 5 grid have rotations > 0.9 apart ----
    static_assert(posenc::rope2d_reversible(rope_vit_axial<T>(8), 7, 5, T(0.9)));
    static_assert(separation_matches_reference<T>());

    // ---- Falsity: quaternions do not commute and are not relative ----
    static_assert(!posenc::generators_commute(quaternion<T>(), posenc::ulps<T>(7)));
    static_assert(!posenc::rotations_commute(quaternion<T>(), T(3), T(5), posenc::ulps<T>(7)));
    static_assert(!posenc::rope2d_relative(quaternion<T>(), T(3), T(5), T(-7), T(11), posenc::ulps<T>(7)));

    // ---- Falsity: a frequency of 2 pi / 4 is relative but not reversible on a 5 x 5 grid ----
    static_assert(relative_2d(period4_x<T>()));
    static_assert(!posenc::rope2d_reversible(period4_x<T>(), 5, 5, posenc::ulps<T>(3)));
    static_assert(period4_collides_at_4_0<T>());
};

template struct rope2d_proofs<double>;
template struct rope2d_proofs<long double>;
#if POSENC_HAS_FLOAT128
template struct rope2d_proofs<__float128>;
#endif

// ---- 50 digits (cx_float50, 192-bit significand): RoPE-Mixed relativity, head_dim 4 ----
static_assert(relative_2d(rope_vit_mixed<posenc::math::cx_float50>(4)));

}  // namespace
