// proofs/relative.cpp: relative (shift) invariance, checked by the compiler.
//
// Every static_assert in this file evaluates a predicate of posenc/properties/relative.hpp in a
// constant expression: if a statement below were false for the encoding as implemented, this file
// would not compile, and neither would the default build.
//
// 1. RoPE (Su et al. 2021, RoFormer, arXiv 2104.09864, §3.4.1 eq. 16 and §3.4.2):
//        <R_m q, R_n k> = q^T R_{n-m} k          (rope_relative_invariance)
//        R_m^T R_n = R_{n-m}                      (rope_matrix_relative)
//    for every scaling variant (standard, linear, dynamic, yarn, llama3, longrope), both pair
//    layouts and partial rotary, at positions with m - n > 10^5 and negative ones.
//    Derivation (Euler's formula). R_m rotates pair i (read as the complex number z = x_a + i x_b)
//    to z e^{i m theta_i}, and the dot product of two pairs is Re(z conj(w)). So
//        <R_m q, R_n k> = sum_i Re(q_i e^{i m theta_i} conj(k_i e^{i n theta_i}))
//                       = sum_i Re(q_i conj(k_i e^{i (n-m) theta_i})) = q^T R_{n-m} k,
//    because e^{i m a} conj(e^{i n a}) = conj(e^{i (n-m) a}). Block by block, R_m^T R_n is
//    rot(-m theta) rot(n theta) = rot((n-m) theta). Nothing depends on the values of theta_i or on
//    which components form a pair, only on both sides using the same ones: every variant is
//    relative, and a wrong frequency, a swapped layout or a wrong sign is caught by comparing the
//    tested encoding with the intended one (the falsity proofs at the end).
// 2. Sinusoidal (Vaswani et al. 2017, "Attention Is All You Need", §3.5), p_{m,2i} = sin(m theta_i),
//    p_{m,2i+1} = cos(m theta_i):
//        p_m . p_n = sum_i (sin m theta_i sin n theta_i + cos m theta_i cos n theta_i)
//                  = sum_i cos((m - n) theta_i) = p_{m-n} . p_0           (sinusoidal_relative)
//        p_{m+k} = M_k p_m, M_k = diag([[cos k theta_i, sin k theta_i], [-sin k theta_i, cos k theta_i]])
//    (angle addition: sin(a + b) = cos b sin a + sin b cos a, cos(a + b) = -sin b sin a + cos b cos a;
//    M_k does not depend on m)                                             (sinusoidal_offset_linear)
// 3. Complex embedding (Wang et al. 2020, ICLR, Property 1 and Claim 1): g_j(pos) = r_j e^{i(omega_j pos
//    + phi_j)} gives g_j(pos + n) = e^{i omega_j n} g_j(pos): the offset is a multiplication by a
//    witness w(n) that does not depend on pos                               (complex_offset_witnessed)
// Falsity, static_assert(!...): Vaswani's additive scheme <x + p_m, y + p_n> is not a function of
// m - n (the cross terms x . p_n + p_m . y are not: RoFormer §3.1 vs §3.2); a RoPE with base 10001
// instead of 10000, or a linear factor 1.0001, is not relative against the intended RoPE (although
// it is relative against itself, and orthogonal: proofs/bounded.cpp); nor is the other pair layout,
// nor a rotation by -m theta.
//
// Tolerances, in units of u = 2^-p (p = significand bits of T; posenc::ulps<T>(n) = 2 n u):
//  - inner products of hd terms (RoPE): each side is within (hd + 17) u ||q|| ||k||: hd u for the
//    dot product (Higham 2002, Accuracy and Stability of Numerical Algorithms, eq. 3.5, with
//    Cauchy-Schwarz), 8.5 u ||x|| per rotated vector (sin and cos within 1 ulp, the angle addition
//    of sincos_dd and one multiply-add per entry). Both sides: ulps(hd + 17).
//  - RoPE matrices, entrywise: c_m c_n + s_m s_n within 10 u, the entry of R_{n-m} within 4 u:
//    ulps(7). The angles m theta_i are exact (TwoProduct), so nothing grows with the position.
//  - sinusoidal and complex: the angle k theta_i is rounded to T before sin and cos, so their
//    predicates scale the tolerance by (1 + |position|); the per-unit bounds are stated below.
// Types: double and long double, and __float128 with g++ (POSENC_HAS_FLOAT128); RoPE eq. 16 also
// at posenc::math::cx_float50 (192 bits), with head_dim 4: each 50-digit sine costs about 0.2 s
// of compile time.
#include <array>

#include <posenc/encodings/rope.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/math/cx_float.hpp>
#include <posenc/properties/relative.hpp>

#include "support.hpp"

namespace {

using posenc::pair_layout;
using posenc::rope_variant;
using posenc_proofs::probe;
using posenc_proofs::small_head;
using posenc_proofs::variant_params;
using posenc_proofs::view;
using posenc_proofs::standard8;
using posenc_proofs::base_10001;
using posenc_proofs::linear_1_0001;
using posenc_proofs::negated8;

/// Tolerance of RoFormer eq. 16 for head_dim hd (see the file comment).
template <class T>
constexpr T inner_tol(int hd) {
    return posenc::ulps<T>(hd + 17);
}

/// Position (m, n) of the variant sweep: a negative position, and m - n = 123473 > 10^5.
constexpr long long sweep[][2] = {{123456, -17}};

/// Positions for a full-size head: equal, m - n = -103, m - n > 10^5, and |n - m| = 2^21.
constexpr long long many[][2] = {{0, 0}, {-3, 100}, {123456, -17}, {-1048576, 1048576}};

/// Positions at 50 digits.
constexpr long long fifty[][2] = {{-3, 100}, {123456, -17}, {-1048576, 1048576}};

/// eq. 16 for the RoPE with the given parameters at every (m, n) in `positions`.
template <class T, int HD, std::size_t P>
constexpr bool rope_relative(const posenc::rope_params<T>& p, const long long (&positions)[P][2]) {
    const posenc::rope<T> e(p);
    constexpr auto q = probe<T, HD>(1);
    constexpr auto k = probe<T, HD>(2);
    for (const auto& mn : positions) {
        if (!posenc::rope_relative_invariance(e, view(q), view(k), T(mn[0]), T(mn[1]), inner_tol<T>(HD))) return false;
    }
    return true;
}

template <class T, int HD>
constexpr bool variant_relative(rope_variant v, pair_layout layout, const T& partial = T(1)) {
    return rope_relative<T, HD>(variant_params<T>(v, layout, HD, partial), sweep);
}

/// R_m^T R_n = R_{n-m} entrywise within ulps(7).
template <class T>
constexpr bool matrix_relative(rope_variant v, pair_layout layout, int hd, const T& partial, const T& m, const T& n) {
    const posenc::rope<T> e(variant_params<T>(v, layout, hd, partial));
    return posenc::rope_matrix_relative(e, m, n, posenc::ulps<T>(7));
}

/// eq. 16 for `tested` against `intended` (two encodings of head_dim 8) on the probe vectors.
template <class T, class E, class F>
constexpr bool relative_against(const E& tested, const F& intended, const T& m, const T& n) {
    constexpr auto q = probe<T, small_head>(1);
    constexpr auto k = probe<T, small_head>(2);
    return posenc::rope_relative_invariance(tested, intended, view(q), view(k), m, n, inner_tol<T>(small_head));
}

/// R_m^T R_n (tested) = R_{n-m} (intended) entrywise within ulps(7).
template <class T, class E, class F>
constexpr bool matrix_relative_against(const E& tested, const F& intended, const T& m, const T& n) {
    return posenc::rope_matrix_relative(tested, intended, m, n, posenc::ulps<T>(7));
}

// Sinusoidal, d = 32, base 10000. sinusoidal_relative: |p_m . p_n - p_{m-n} . p_0| <= tol (d/2)
// (1 + max(|m|, |n|)); per unit: the angles fl(m theta), fl(n theta), fl((m-n) theta) carry
// u |m|, u |n|, u |m - n| (theta <= 1), at most 4 u max(|m|, |n|) per term; sin and cos within 1 ulp
// and the products: 12 u per term; two dot products of d terms: 2 d u (d/2). Sum: (2d + 16) u
// = ulps(d + 8) per unit of the scale.
template <class T>
constexpr bool sinusoidal_relative_at(const T& m, const T& n) {
    return posenc::sinusoidal_relative(posenc::sinusoidal<T>(32, T(10000)), m, n, posenc::ulps<T>(32 + 8));
}

// sinusoidal_offset_linear: max_j |p_{m+k,j} - (M_k p_m)_j| <= tol (1 + |m| + |k|); per entry the
// angles carry u (|m + k| + |m| + |k|) <= 2 u (|m| + |k|), sin/cos and the two-term product 12 u:
// ulps(7).
template <class T>
constexpr bool sinusoidal_offset_at(const T& m, const T& k) {
    return posenc::sinusoidal_offset_linear(posenc::sinusoidal<T>(32, T(10000)), m, k, posenc::ulps<T>(7));
}

/// The additive scheme with word vectors x, y (probe vectors, or zero), d = 32.
template <class T>
constexpr bool additive_relative_at(bool with_words, const T& m, const T& n) {
    constexpr auto x = probe<T, 32>(3);
    constexpr auto y = probe<T, 32>(4);
    constexpr std::array<T, 32> zero{};
    return posenc::additive_sinusoidal_relative(posenc::sinusoidal<T>(32, T(10000)), view(with_words ? x : zero),
                                                view(with_words ? y : zero), m, n, posenc::ulps<T>(32 + 8));
}

// Complex embedding posenc_proofs::complex16 (D = 16, omega_j <= 1, |phi_j| < pi).
// complex_offset_witnessed: |g_j(pos + n) - w_j(n) g_j(pos)| <= tol r_j (1 + |pos| + |n|); per unit:
// the angles fl(fl(omega pos) + phi) carry u (2 |pos| + 2 |pos + n| + |n| + 4 pi), sin and cos 2 u
// each, the amplitude and the complex product 6 u: below 23 u (1 + |pos| + |n|), ulps(12).
template <class T>
constexpr bool complex_witnessed_at(const T& pos, const T& n) {
    return posenc::complex_offset_witnessed(posenc_proofs::complex16<T>(), pos, n, posenc::ulps<T>(12));
}

template <class T>
struct relative_proofs {
    // ---- RoPE eq. 16, head_dim 64, HF's layout, at four position pairs ----
    static_assert(rope_relative<T, 64>(variant_params<T>(rope_variant::standard, pair_layout::half_split, 64), many));

    // ---- RoPE eq. 16, every scaling variant, both layouts (head_dim 8, at (m, n) = (123456, -17)) ----
    static_assert(variant_relative<T, small_head>(rope_variant::standard, pair_layout::interleaved));
    static_assert(variant_relative<T, small_head>(rope_variant::standard, pair_layout::half_split));
    static_assert(variant_relative<T, small_head>(rope_variant::linear, pair_layout::interleaved));
    static_assert(variant_relative<T, small_head>(rope_variant::linear, pair_layout::half_split));
    static_assert(variant_relative<T, small_head>(rope_variant::dynamic, pair_layout::interleaved));
    static_assert(variant_relative<T, small_head>(rope_variant::dynamic, pair_layout::half_split));
    static_assert(variant_relative<T, small_head>(rope_variant::yarn, pair_layout::interleaved));
    static_assert(variant_relative<T, small_head>(rope_variant::yarn, pair_layout::half_split));
    static_assert(variant_relative<T, small_head>(rope_variant::llama3, pair_layout::interleaved));
    static_assert(variant_relative<T, small_head>(rope_variant::llama3, pair_layout::half_split));
    static_assert(variant_relative<T, small_head>(rope_variant::longrope, pair_layout::interleaved));
    static_assert(variant_relative<T, small_head>(rope_variant::longrope, pair_layout::half_split));
    // partial rotary: half of the dimensions rotate, the rest pass through
    static_assert(variant_relative<T, small_head>(rope_variant::standard, pair_layout::half_split, T(0.5)));
    static_assert(variant_relative<T, small_head>(rope_variant::yarn, pair_layout::interleaved, T(0.5)));

    // ---- RoPE §3.4.2: R_m^T R_n = R_{n-m}, entrywise within ulps(7) (head_dim 8) ----
    static_assert(matrix_relative(rope_variant::standard, pair_layout::interleaved, small_head, T(1), T(123456), T(-17)));
    static_assert(matrix_relative(rope_variant::standard, pair_layout::half_split, small_head, T(1), T(-3), T(100)));
    static_assert(matrix_relative(rope_variant::llama3, pair_layout::half_split, small_head, T(1), T(123456), T(-17)));
    static_assert(matrix_relative(rope_variant::yarn, pair_layout::interleaved, small_head, T(0.5), T(-1048576), T(5)));

    // ---- Sinusoidal: p_m . p_n = p_{m-n} . p_0 and p_{m+k} = M_k p_m (d = 32) ----
    static_assert(sinusoidal_relative_at(T(5), T(3)));
    static_assert(sinusoidal_relative_at(T(-1000), T(1000)));
    static_assert(sinusoidal_relative_at(T(123456), T(-17)));
    static_assert(sinusoidal_offset_at(T(3), T(4)));
    static_assert(sinusoidal_offset_at(T(123456), T(-65536)));

    // ---- Complex embedding: g(pos + n) = w(n) g(pos) (D = 16) ----
    static_assert(complex_witnessed_at(T(10), T(5)));
    static_assert(complex_witnessed_at(T(123456), T(-17)));
    static_assert(complex_witnessed_at(T(-70000), T(3)));

    // ---- Falsity ----
    // Additive positions are not relative; the positions alone (x = y = 0) are.
    static_assert(!additive_relative_at(true, T(10), T(3)));
    static_assert(additive_relative_at(false, T(10), T(3)));
    // A perturbed frequency: relative against itself, not against the intended RoPE.
    static_assert(relative_against(base_10001<T>(), base_10001<T>(), T(3), T(100)));
    static_assert(!relative_against(base_10001<T>(), standard8<T>(), T(3), T(100)));
    static_assert(!relative_against(base_10001<T>(), standard8<T>(), T(123456), T(-17)));
    static_assert(!matrix_relative_against(base_10001<T>(), standard8<T>(), T(123456), T(-17)));
    static_assert(!relative_against(linear_1_0001<T>(), standard8<T>(), T(3), T(100)));
    // The other pair layout: interleaved where half_split was intended.
    static_assert(!relative_against(standard8<T>(pair_layout::interleaved), standard8<T>(), T(3), T(100)));
    static_assert(!matrix_relative_against(standard8<T>(pair_layout::interleaved), standard8<T>(), T(3), T(100)));
    // The wrong sign, R_{-m}: relative against itself (it is R_m with -theta), not against R_m.
    static_assert(relative_against(negated8<T>(), negated8<T>(), T(3), T(100)));
    static_assert(!relative_against(negated8<T>(), standard8<T>(), T(3), T(100)));
    static_assert(!matrix_relative_against(negated8<T>(), standard8<T>(), T(3), T(100)));
};

template struct relative_proofs<double>;
template struct relative_proofs<long double>;
#if POSENC_HAS_FLOAT128
template struct relative_proofs<__float128>;
#endif

// ---- 50 digits (cx_float50, 192-bit significand): eq. 16, head_dim 4, at `fifty` ----
static_assert(rope_relative<posenc::math::cx_float50, 4>(
    variant_params<posenc::math::cx_float50>(rope_variant::standard, pair_layout::half_split, 4), fifty));

}  // namespace
