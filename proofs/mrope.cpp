// proofs/mrope.cpp: M-RoPE (multimodal RoPE), checked by the compiler.
//
// Every static_assert in this file evaluates a predicate of posenc/properties/mrope.hpp on
// posenc::mrope (posenc/encodings/mrope.hpp) in a constant expression; if one were false, the build
// would fail.
//
// M-RoPE (Qwen2-VL, Wang et al. 2024, arXiv 2409.12191 §2.1; transformers `modeling_qwen2_vl.py`,
// `modeling_qwen3_vl.py`, `modeling_glm4v.py`): a token has positions (t, h, w) and rotated pair i
// turns by p_axis(i) theta_i, the axis given by `mrope_section` (sectioned blocks, or t, h, w
// cycling when `mrope_interleaved`; posenc/frequencies/mrope_axes.hpp).
// 1. Text tokens (t = h = w = m) get exactly the 1D rope (mrope_text_equals_1d, exact comparison of
//    every component): p_axis(i) = m for every i, whatever the map, and posenc forms m theta_i and
//    rotates by it with the very operations of rope.hpp. Proved for the four real geometries at full
//    size (nothing is scaled down), at m in {-3, 2.5, 123456, 2^24}:
//      Qwen2.5-VL-7B  head_dim 128, base 1e6, [16, 24, 24] sectioned,   half-split pairs
//      Qwen3-VL-4B    head_dim 128, base 5e6, [24, 20, 20] interleaved, half-split pairs
//      Qwen3.5-27B    head_dim 256, partial_rotary_factor 1/4 (32 pairs), base 1e7, [11, 11, 10]
//                     interleaved, half-split pairs
//      GLM-4.1V-9B    head_dim 128, partial_rotary_factor 1/2 (32 pairs), base 1e4, [8, 12, 12]
//                     sectioned, interleaved pairs (2i, 2i + 1)
// 2. 3D relativity, R_p^T R_q = R_{q-p} (mrope_matrix_relative). Derivation: R_p = exp(t B_t + h B_h
//    + w B_w), B_a made of the blocks [[0, -theta_i], [theta_i, 0]] of the pairs following axis a;
//    blocks on disjoint fixed pairs commute, so exp(-p.B) exp(q.B) = exp((q-p).B) (the argument of
//    proofs/rope2d.cpp with three generators). Proved at head_dim 16 (the matrix product costs
//    head_dim^3), for both maps, both pair layouts and partial rotary:
//      sectioned   [2, 3, 3]  t t h h h w w w  half-split pairs   base 1e6 (Qwen2.5-VL's [16, 24, 24] / 8)
//      interleaved [3, 3, 2]  t h w t h w t h  half-split pairs   base 5e6 (Qwen3-VL's rule)
//      interleaved [3, 3, 2]  t h w t h w t h  interleaved pairs  base 1e4
//      sectioned   [1, 2, 1]  t h h w          interleaved pairs  base 1e4, partial 1/2 (GLM-4.1V's rule)
//      interleaved [2, 1, 1]  t h w t          half-split pairs   base 1e7, partial 1/2 (Qwen3.5's rule)
//    at (p, q) = ((3, 5, 11), (-7, 100, 2)) and ((2^20, -3, 17), (5, 2^24, -1000)).
// Falsity, static_assert(!...): at p = (7, -3, 1000) the rotations differ by more than 1/4 in some
// entry (mrope_same_rotation), far beyond rounding. On the real geometries scaled down, whose
// theta_i are those of the real ones at the same relative index (Qwen2.5-VL's theta_16 at head_dim
// 128 is theta_2 at head_dim 16: 1e6^(-32/128) = 1e6^(-4/16)): Qwen2.5-VL's [16, 24, 24] / 8 at
// head_dim 16, Qwen3-VL's [24, 20, 20] / 4 at head_dim 32, GLM-4.1V's [8, 12, 12] / 4 at head_dim 32
// (partial 1/2); and once at full size:
//  (a) the sectioned and the interleaved map of the same mrope_section (Qwen2.5-VL's sections read
//      as Qwen3-VL reads them, and the converse); they agree on text, bit for bit (tolerance 0);
//  (b) the other pair layout: the Qwen2.5-VL geometry with interleaved pairs, and the GLM-4.1V one
//      with half-split pairs (the NeoX pairing of vllm-project/vllm #42016); they differ on text
//      positions too;
//  (c) a section boundary off by one: [3, 2, 3] for [2, 3, 3] (Qwen2.5-VL's [17, 23, 24] for
//      [16, 24, 24], pair 2 following t instead of h) and for GLM-4.1V's scaled sections; they agree,
//      bit for bit, wherever t = h. At full size, with double: Qwen2.5-VL [17, 23, 24] against
//      [16, 24, 24].
//
// Tolerances, in units of u = 2^-p (posenc::ulps<T>(n) = 2 n u): text tokens exactly (==); matrices
// entrywise ulps(7), as proofs/relative.cpp: an entry of R_p^T R_q is c_1 c_2 + s_1 s_2 (two
// products of values within 4 u), within 10 u, the entry of R_{q-p} within 4 u; the angles are
// exact (TwoProduct), so nothing grows with the position.
// Types: text tokens at double, and at posenc::math::cx_float50 (192 bits) on a head_dim 6 M-RoPE
// with one pair per axis (each 50-digit sine costs about 0.2 s of compile time); the matrix proofs
// (2. and the falsity) at double and long double, and __float128 with g++ (POSENC_HAS_FLOAT128). The
// runtime tests (tests/test_mrope.cpp) repeat 1. at float, double, long double and cpp_bin_float_50
// over many positions. Compile time goes to the sines of the text proofs (1,536 at double) and to
// constant-evaluated head_dim x head_dim matrices (g++ keeps every allocation until the end of the
// translation unit), hence the scaled geometries wherever matrices are compared.
#include <array>

#include <posenc/encodings/mrope.hpp>
#include <posenc/math/cx_float.hpp>
#include <posenc/properties/mrope.hpp>

#include "support.hpp"

namespace {

using posenc::pair_layout;
using posenc::position3;
using posenc_proofs::probe;
using posenc_proofs::view;

/// An M-RoPE configuration: default (HF "default") frequencies at base `base`, rotary_dim =
/// head_dim / partial_denominator.
template <class T>
constexpr posenc::rope_params<T> mrope_params(int head_dim, int partial_denominator, long base, long s_t, long s_h,
                                              long s_w, bool interleaved, pair_layout layout) {
    posenc::rope_params<T> p{};
    p.head_dim = head_dim;
    p.partial_rotary_factor = T(1) / T(partial_denominator);
    p.base = T(base);
    p.layout = layout;
    p.mrope_section = {s_t, s_h, s_w};
    p.mrope_interleaved = interleaved;
    return p;
}

// ---- the four real geometries (tests/data/configs) ----
template <class T>
constexpr posenc::rope_params<T> qwen25_vl(long s_t = 16, long s_h = 24, long s_w = 24) {
    return mrope_params<T>(128, 1, 1000000, s_t, s_h, s_w, false, pair_layout::half_split);
}
template <class T>
constexpr posenc::rope_params<T> qwen3_vl() {
    return mrope_params<T>(128, 1, 5000000, 24, 20, 20, true, pair_layout::half_split);
}
template <class T>
constexpr posenc::rope_params<T> qwen35() {
    return mrope_params<T>(256, 4, 10000000, 11, 11, 10, true, pair_layout::half_split);
}
template <class T>
constexpr posenc::rope_params<T> glm41v() {
    return mrope_params<T>(128, 2, 10000, 8, 12, 12, false, pair_layout::interleaved);
}

// ---- the same, scaled down (see the file comment) ----
template <class T>
constexpr posenc::rope_params<T> qwen25_vl8(long s_t = 2, long s_h = 3, long s_w = 3, bool interleaved = false,
                                            pair_layout layout = pair_layout::half_split) {
    return mrope_params<T>(16, 1, 1000000, s_t, s_h, s_w, interleaved, layout);
}
template <class T>
constexpr posenc::rope_params<T> qwen3_vl4(bool interleaved = true) {
    return mrope_params<T>(32, 1, 5000000, 6, 5, 5, interleaved, pair_layout::half_split);
}
template <class T>
constexpr posenc::rope_params<T> glm41v4(long s_t = 2, long s_h = 3, long s_w = 3,
                                         pair_layout layout = pair_layout::interleaved) {
    return mrope_params<T>(32, 2, 10000, s_t, s_h, s_w, false, layout);
}

/// Text positions m (dyadic: exact in every type here).
constexpr double text_positions[] = {-3.0, 2.5, 123456.0, 16777216.0};

/// M-RoPE on (m, m, m) == the 1D rope at m, every component, at every text position.
template <class T, int HD>
constexpr bool text_is_1d(const posenc::rope_params<T>& p) {
    const posenc::mrope<T> e(p);
    constexpr auto x = probe<T, HD>(5);
    for (const double m : text_positions) {
        if (!posenc::mrope_text_equals_1d(e, view(x), T(m))) return false;
    }
    return true;
}

template <class T>
constexpr position3<T> pos(double t, double h, double w) {
    return {T(t), T(h), T(w)};
}

/// R_p^T R_q = R_{q-p} within ulps(7) at two position pairs with distinct axes.
template <class T>
constexpr bool relative_3d(const posenc::rope_params<T>& params) {
    const posenc::mrope<T> e(params);
    const T tol = posenc::ulps<T>(7);
    return posenc::mrope_matrix_relative(e, pos<T>(3, 5, 11), pos<T>(-7, 100, 2), tol) &&
           posenc::mrope_matrix_relative(e, pos<T>(1048576, -3, 17), pos<T>(5, 16777216, -1000), tol);
}

/// The position the falsity proofs use: t, h and w distinct.
template <class T>
constexpr position3<T> apart() {
    return pos<T>(7, -3, 1000);
}

/// The rotations of a and b at p agree within tol (entrywise).
template <class T>
constexpr bool same_at(const posenc::rope_params<T>& a, const posenc::rope_params<T>& b, const position3<T>& p,
                       const T& tol) {
    return posenc::mrope_same_rotation(posenc::mrope<T>(a), posenc::mrope<T>(b), p, tol);
}

template <class T>
constexpr T quarter() {
    return T(1) / T(4);
}

template <class T>
struct text_proofs {
    // ---- 1. Text tokens: M-RoPE == 1D rope, bit for bit, the four real geometries ----
    static_assert(text_is_1d<T, 128>(qwen25_vl<T>()));
    static_assert(text_is_1d<T, 128>(qwen3_vl<T>()));
    static_assert(text_is_1d<T, 256>(qwen35<T>()));
    static_assert(text_is_1d<T, 128>(glm41v<T>()));
};

template <class T>
struct matrix_proofs {
    // ---- 2. 3D relativity, both maps, both pair layouts (scaled geometries) ----
    static_assert(relative_3d(qwen25_vl8<T>()));
    static_assert(relative_3d(mrope_params<T>(16, 1, 5000000, 3, 3, 2, true, pair_layout::half_split)));
    static_assert(relative_3d(mrope_params<T>(16, 1, 10000, 3, 3, 2, true, pair_layout::interleaved)));
    static_assert(relative_3d(mrope_params<T>(16, 2, 10000, 1, 2, 1, false, pair_layout::interleaved)));
    static_assert(relative_3d(mrope_params<T>(16, 2, 10000000, 2, 1, 1, true, pair_layout::half_split)));

    // ---- Falsity (a): sectioned vs interleaved map of the same sections ----
    static_assert(!same_at(qwen25_vl8<T>(), qwen25_vl8<T>(2, 3, 3, true), apart<T>(), quarter<T>()));
    static_assert(!same_at(qwen3_vl4<T>(true), qwen3_vl4<T>(false), apart<T>(), quarter<T>()));
    static_assert(same_at(qwen25_vl8<T>(), qwen25_vl8<T>(2, 3, 3, true), pos<T>(123456, 123456, 123456), T(0)));

    // ---- Falsity (b): the other pair layout ----
    static_assert(!same_at(qwen25_vl8<T>(), qwen25_vl8<T>(2, 3, 3, false, pair_layout::interleaved), apart<T>(),
                           quarter<T>()));
    static_assert(!same_at(glm41v4<T>(), glm41v4<T>(2, 3, 3, pair_layout::half_split), apart<T>(), quarter<T>()));
    static_assert(!same_at(glm41v4<T>(), glm41v4<T>(2, 3, 3, pair_layout::half_split), pos<T>(7, 7, 7), quarter<T>()));

    // ---- Falsity (c): a section boundary off by one ----
    static_assert(!same_at(qwen25_vl8<T>(), qwen25_vl8<T>(3, 2, 3), apart<T>(), quarter<T>()));
    static_assert(!same_at(glm41v4<T>(), glm41v4<T>(3, 2, 3), apart<T>(), quarter<T>()));
    static_assert(same_at(qwen25_vl8<T>(), qwen25_vl8<T>(3, 2, 3), pos<T>(7, 7, 1000), T(0)));
    static_assert(same_at(glm41v4<T>(), glm41v4<T>(3, 2, 3), pos<T>(-3, -3, 1000), T(0)));
};

template struct text_proofs<double>;
template struct matrix_proofs<double>;
template struct matrix_proofs<long double>;
#if POSENC_HAS_FLOAT128
template struct matrix_proofs<__float128>;
#endif

// ---- Falsity (c) at full size: Qwen2.5-VL with [17, 23, 24] for [16, 24, 24] ----
static_assert(!same_at(qwen25_vl<double>(17, 23, 24), qwen25_vl<double>(), apart<double>(), quarter<double>()));

// ---- 50 digits (cx_float50, 192-bit significand): text tokens, head_dim 6, sections [1, 1, 1] ----
using cx50 = posenc::math::cx_float50;
static_assert([] {
    const posenc::mrope<cx50> e(mrope_params<cx50>(6, 1, 10000, 1, 1, 1, false, pair_layout::half_split));
    constexpr auto x = probe<cx50, 6>(5);
    return posenc::mrope_text_equals_1d(e, view(x), cx50(123456));
}());

}  // namespace
