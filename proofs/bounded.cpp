// proofs/bounded.cpp: boundedness and norm preservation, checked by the compiler.
//
// Every static_assert in this file evaluates a predicate of posenc/properties/bounded.hpp in a
// constant expression; if one were false, the build would fail.
//
// 1. Sinusoidal (Vaswani et al. 2017, §3.5): every entry sin(k theta_i), cos(k theta_i) of p_k lies
//    in [-1, 1] (sinusoidal_entries_bounded, no tolerance: a correctly rounded sine never leaves
//    [-1, 1]), and ||p_k||^2 = d/2 (sinusoidal_norm). Derivation (Pythagoras per pair):
//        ||p_k||^2 = sum_{i < d/2} (sin^2(k theta_i) + cos^2(k theta_i)) = sum_{i < d/2} 1 = d/2.
// 2. RoPE (RoFormer §3.4.2 eq. 14-15): R_m is block diagonal with 2x2 blocks
//    [[cos a, -sin a], [sin a, cos a]], a = m theta_i, and 1 on the unrotated diagonal; each block B
//    has B^T B = (cos^2 a + sin^2 a) I = I (Pythagoras), so R_m^T R_m = I (rope_orthogonal) and
//    ||R_m x||^2 = x^T R_m^T R_m x = ||x||^2 (rope_norm_preserving).
// 3. Complex embedding (Wang et al. 2020, ICLR, Property 2): |g_j(pos)| = |r_j e^{i(omega_j pos + phi_j)}|
//    = r_j (complex_bounded).
// The point of the issue: orthogonality and norm preservation hold for ANY frequencies. The RoPEs
// that proofs/relative.cpp proves NOT relative to the intended one (base 10001 instead of 10000,
// linear factor 1.0001, the wrong sign) are orthogonal and norm preserving here: a norm check alone
// certifies nothing about positions.
// Falsity, static_assert(!...): HF's attention factor folded into the rotation (1.1 R_m) is neither
// orthogonal nor norm preserving.
//
// Tolerances, in units of u = 2^-p (posenc::ulps<T>(n) = 2 n u); sin and cos within 1 ulp (<= u for
// values below 1), the angle-addition step of the exact angle within 3 u per component:
//  - sinusoidal_norm, relative to d/2: sin^2 + cos^2 within 9 u per pair, the dot product of d
//    terms d u (Higham 2002 eq. 3.5): (d + 9) u, ulps(d/2 + 5).
//  - rope_orthogonal, entrywise: c^2 + s^2 within 2 (4 u)(|c| + |s|) + 2 u < 14 u, off-diagonal
//    entries c (-s) + s c exactly 0: ulps(7).
//  - rope_norm_preserving, relative to ||x||^2: ||R_m x|| within 8.5 u ||x||, two dot products of
//    hd terms: (2 hd + 17) u, ulps(hd + 9).
//  - complex_bounded, relative to r_j: |e^{i a}| within 2.9 u of 1, the product by r_j u, hypot
//    2 u: ulps(3).
// Types: double and long double, and __float128 with g++ (POSENC_HAS_FLOAT128); the sinusoidal
// norm also at posenc::math::cx_float50 (192 bits).
#include <array>

#include <posenc/encodings/rope.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/math/cx_float.hpp>
#include <posenc/properties/bounded.hpp>

#include "support.hpp"

namespace {

using posenc::pair_layout;
using posenc::rope_variant;
using posenc_proofs::base_10001;
using posenc_proofs::linear_1_0001;
using posenc_proofs::negated8;
using posenc_proofs::probe;
using posenc_proofs::small_head;
using posenc_proofs::standard8;
using posenc_proofs::variant_params;
using posenc_proofs::view;

template <class T>
constexpr bool entries_bounded(int d, const T& first, const T& last, const T& step) {
    return posenc::sinusoidal_entries_bounded(posenc::sinusoidal<T>(d, T(10000)), first, last, step);
}

template <class T>
constexpr bool norm_is_half_d(int d, const T& k) {
    return posenc::sinusoidal_norm(posenc::sinusoidal<T>(d, T(10000)), k, posenc::ulps<T>(d / 2 + 5));
}

template <class E, class T = posenc::value_type_of<E>>
constexpr bool orthogonal(const E& e, const T& m) {
    return posenc::rope_orthogonal(e, m, posenc::ulps<T>(7));
}

/// ||R_m x|| = ||x|| on a probe vector of head_dim HD.
template <int HD, class E, class T = posenc::value_type_of<E>>
constexpr bool norm_preserving(const E& e, const T& m) {
    constexpr auto x = probe<T, HD>(5);
    return posenc::rope_norm_preserving(e, view(x), m, posenc::ulps<T>(HD + 9));
}

template <class T>
constexpr posenc::rope<T> standard64() {
    return posenc::rope<T>(variant_params<T>(rope_variant::standard, pair_layout::half_split, 64));
}

template <class T>
constexpr posenc::rope<T> llama3_8() {
    return posenc::rope<T>(variant_params<T>(rope_variant::llama3, pair_layout::interleaved, small_head));
}

/// HF's attention factor 1.1 folded into cos and sin.
template <class T>
constexpr posenc_proofs::scaled_rope<T> scaled8() {
    return posenc_proofs::scaled_rope<T>(variant_params<T>(rope_variant::standard, pair_layout::half_split, small_head),
                                         T(11) / T(10));
}

template <class T>
constexpr bool complex_bounded_at(const T& pos) {
    return posenc::complex_bounded(posenc_proofs::complex16<T>(), pos, posenc::ulps<T>(3));
}

template <class T>
struct bounded_proofs {
    // ---- Sinusoidal: entries in [-1, 1] (d = 8) for k = 0 .. 15 and k = -2^20, -2^20 + 2^17, .., 2^20 ----
    static_assert(entries_bounded(8, T(0), T(15), T(1)));
    static_assert(entries_bounded(8, T(-1048576), T(1048576), T(131072)));
    // ---- Sinusoidal: ||p_k||^2 = d/2 (d = 32) ----
    static_assert(norm_is_half_d(32, T(0)));
    static_assert(norm_is_half_d(32, T(1)));
    static_assert(norm_is_half_d(32, T(123456)));
    static_assert(norm_is_half_d(32, T(-1048576)));

    // ---- RoPE: R_m^T R_m = I and ||R_m x|| = ||x|| ----
    static_assert(orthogonal(standard8<T>(), T(123456)));
    static_assert(orthogonal(standard8<T>(pair_layout::interleaved), T(-17)));
    static_assert(orthogonal(llama3_8<T>(), T(1048576)));
    static_assert(norm_preserving<64>(standard64<T>(), T(123456)));
    static_assert(norm_preserving<small_head>(llama3_8<T>(), T(-17)));

    // ---- Complex embedding: |g_j(pos)| = r_j ----
    static_assert(complex_bounded_at(T(0)));
    static_assert(complex_bounded_at(T(123456)));
    static_assert(complex_bounded_at(T(-70000)));

    // ---- Not relative (proofs/relative.cpp), yet orthogonal and norm preserving ----
    static_assert(orthogonal(base_10001<T>(), T(123456)));
    static_assert(norm_preserving<small_head>(base_10001<T>(), T(123456)));
    static_assert(orthogonal(linear_1_0001<T>(), T(123456)));
    static_assert(norm_preserving<small_head>(linear_1_0001<T>(), T(123456)));
    static_assert(orthogonal(negated8<T>(), T(100)));
    static_assert(norm_preserving<small_head>(negated8<T>(), T(100)));

    // ---- Falsity: 1.1 R_m ----
    static_assert(!orthogonal(scaled8<T>(), T(100)));
    static_assert(!norm_preserving<small_head>(scaled8<T>(), T(100)));
};

template struct bounded_proofs<double>;
template struct bounded_proofs<long double>;
#if POSENC_HAS_FLOAT128
template struct bounded_proofs<__float128>;
#endif

// ---- 50 digits (cx_float50, 192-bit significand): ||p_k||^2 = d/2, d = 8 ----
static_assert(norm_is_half_d(8, posenc::math::cx_float50(123456)));

}  // namespace
