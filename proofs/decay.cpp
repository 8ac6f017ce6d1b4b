// proofs/decay.cpp: the long-range decay bound of RoPE, checked by the compiler.
//
// Every static_assert in this file evaluates a quantity of posenc/analysis/ or a predicate of
// posenc/properties/decay.hpp in a constant expression; if one were false, the build would fail.
//
// 1. RoFormer (Su et al. 2021, arXiv 2104.09864, §3.4.3, eqs. 35-37). With N = d/2 pairs read as
//    complex numbers, h_i = q_i conj(k_i), r = m - n, and S_j = sum_{i<j} e^{i r theta_i} (S_0 = 0,
//    h_N = 0), Abel summation (summation by parts: e^{i r theta_i} = S_{i+1} - S_i) gives
//        sum_{i<N} h_i e^{i r theta_i} = sum_{i<N} h_i (S_{i+1} - S_i) = sum_{j=1}^{N} S_j (h_{j-1} - h_j),
//    and <R_m q, R_n k> is the real part of the left side, so
//        |<R_m q, R_n k>| <= (max_j |h_{j-1} - h_j|) sum_{j=1}^{N} |S_j|          (roformer_abel_bound).
//    Figure 2 plots the "relative upper bound" (1/N) sum_j |S_j| for d = 128, base 10000
//    (analysis::roformer_relative_bound). At r = 0, S_j = j, so the curve starts at
//        (1/N) sum_{j=1}^{N} j = (N + 1)/2 = 32.5,
//    exactly (every step is exact in binary floating point). At r = 100 it is compared with the
//    value the script scripts/gen_proof_values.py computes from the definition at 100 digits.
//    The bound is attained: with k_i = 1 and h_{j-1} - h_j = conj(S_j)/|S_j| every term of the Abel
//    sum is |S_j| (roformer_extremal_pair). On that pair the bound holds for R_m, and fails for
//    (1 + 2^-30) R_m: the two sides agree to about 10^-9, and a 0.1% scaling (1.001 R_m, an
//    attention factor folded into the rotation) is far outside.
// 2. Men et al. 2024 ("Base of RoPE Bounds Context Length", arXiv 2405.14591, eq. 9-10):
//    B_m = sum_i cos(m theta_i), and the context length a base allows is the last m before B_m first
//    turns negative. For d = 32 and base 100 (rope-vit's base) the first negative B_m is at m = 28
//    (analysis::first_negative_b), as the script computes independently (B_m >= 1.36 before it,
//    B_28 = -0.092: no rounding question). The scan costs 29 x 16 cosines; for d = 128, base 10000
//    the answer (1707) would cost about 110,000 constant-evaluated sines per type.
// The statistical caveat of Barbero et al. 2024 (gaussian_zero_mean) needs thousands of samples and
// is tested at run time (tests/), not proved here.
//
// Tolerances, in units of u = 2^-p (posenc::ulps<T>(n) = 2 n u):
//  - the Figure 2 value at r = 100 against the exact one, absolute: theta_i is within 1 ulp (2 u
//    relative), so the exact angle r theta_i is off by 2 r theta_i u <= 2 r u, and each term
//    e^{i r theta_i} by sqrt2 (2 r + 3) u; S_j accumulates j of them and j roundings of up to j u,
//    |S_j| adds 2 j u; the sum of N moduli N u sum_j |S_j| <= N u N(N+1)/2. Averaged over j (N = 64,
//    r = 100): 9330 + 988 + 65 + 2080 + 1 < 12500 u, ulps(6250).
//  - roformer_abel_bound, relative to ||q|| ||k||: the inner product within (hd + 17) u ||q|| ||k||;
//    max_j |h_{j-1} - h_j| sum_j |S_j| within sum_j (4.3 j + 0.71 j^2 + 2 j) u + 3 N u sum_j j
//    (no phase error: both sides use the same theta_i), with ||q|| ||k|| >= 1 for the pairs used
//    (hd = 32, N = 16): 49 + 1919 + 6528 < 8600 u, ulps(4300).
// Types: double and long double, and __float128 with g++ (POSENC_HAS_FLOAT128); the Figure 2 value
// at m - n = 100 also at posenc::math::cx_float50 (192 bits: the tolerance is then 2e-54).
#include <array>
#include <vector>

#include <posenc/analysis/b_sum.hpp>
#include <posenc/analysis/roformer.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/math/cx_float.hpp>
#include <posenc/math/double_t.hpp>
#include <posenc/math/exp.hpp>
#include <posenc/math/log.hpp>
#include <posenc/properties/decay.hpp>

#include "data/proof_values.hpp"
#include "support.hpp"

namespace {

using posenc::pair_layout;
using posenc::rope_variant;
using posenc_proofs::probe;
using posenc_proofs::variant_params;
using posenc_proofs::view;

/// RoFormer's Figure 2 configuration: d = 128, base 10000.
template <class T>
constexpr posenc::rope<T> figure2() {
    return posenc::rope<T>(variant_params<T>(rope_variant::standard, pair_layout::interleaved, 128));
}

template <class T>
constexpr T curve(const T& r) {
    return posenc::analysis::roformer_relative_bound(figure2<T>(), r);
}

/// Figure 2's frequencies theta_i = 10000^(-i/64), i < 64, computed as rope<T> does but with one
/// exponential instead of 64 (each costs about 0.2 s of compile time at 50 digits):
/// c = exp(-(ln 10000)/64) in double-T (log_dd and exp of a double-T: as the frequency functions), theta_i = c^i by double-T
/// products (Joldes-Muller-Popescu 2017 Alg. 12, relative error 5 u^2 each), each rounded once.
/// The double-T value is within 64 (5 + 3) u^2 relative of the exact theta_i, so theta_i is within
/// 1 ulp, the assumption of the error bound in the file comment.
template <class T>
constexpr std::vector<T> figure2_theta_by_powers() {
    namespace md = posenc::math;
    const md::dd<T> c = md::exp(md::neg(md::div(md::log_dd(T(10000)), T(64))));
    std::vector<T> theta(64, T(0));
    md::dd<T> p = md::dd_from(T(1));
    for (std::size_t i = 0; i < theta.size(); ++i) {
        theta[i] = md::add(p, T(0)).hi;
        p = md::mul(p, c);
    }
    return theta;
}

/// |Figure 2 at r - exact| <= ulps(6250) (see the file comment), with the frequencies of rope<T>
/// or, where each exponential is expensive, figure2_theta_by_powers.
template <class T, bool by_powers = false>
constexpr bool curve_at_100_matches_reference() {
    const T exact = posenc_proofs::values::rebuild<T>(posenc_proofs::values::roformer_curve_d128_r100_parts);
    T value = T(0);
    if constexpr (by_powers) {
        const std::vector<T> theta = figure2_theta_by_powers<T>();
        value = posenc::analysis::roformer_relative_bound(std::span<const T>(theta), T(100));
    } else {
        value = curve(T(100));
    }
    const T d = value - exact;
    return (d < T(0) ? T(-d) : d) <= posenc::ulps<T>(6250);
}

template <class T>
constexpr posenc::rope_params<T> abel32(pair_layout layout) {
    return variant_params<T>(rope_variant::standard, layout, 32);
}

/// The RoFormer bound for `tested` (the RoPE of abel32, or 1 + `excess` times it) on the pair
/// that attains the bound at r = m - n.
template <class T>
constexpr bool abel_bound_on_extremal_pair(pair_layout layout, const T& m, const T& n, const T& excess) {
    const posenc::rope<T> intended(abel32<T>(layout));
    const posenc::query_key<T> qk = posenc::roformer_extremal_pair(intended, T(m - n));
    const std::span<const T> q(qk.q.data(), qk.q.size());
    const std::span<const T> k(qk.k.data(), qk.k.size());
    const T tol = posenc::ulps<T>(4300);
    if (excess == T(0)) return posenc::roformer_abel_bound(intended, q, k, m, n, tol);
    const posenc_proofs::scaled_rope<T> tested(abel32<T>(layout), T(1) + excess);
    return posenc::roformer_abel_bound(tested, intended, q, k, m, n, tol);
}

/// The RoFormer bound on probe vectors.
template <class T>
constexpr bool abel_bound_on_probes(pair_layout layout, const T& m, const T& n) {
    constexpr auto q = probe<T, 32>(6);
    constexpr auto k = probe<T, 32>(7);
    return posenc::roformer_abel_bound(posenc::rope<T>(abel32<T>(layout)), view(q), view(k), m, n,
                                       posenc::ulps<T>(4300));
}

template <class T>
constexpr long long men_first_negative_d32_base100() {
    posenc::rope_params<T> p = variant_params<T>(rope_variant::standard, pair_layout::half_split, 32);
    p.base = T(100);
    const posenc::rope<T> e(p);
    return posenc::analysis::first_negative_b(std::span<const T>(e.inv_freq()), 200);
}

template <class T>
struct decay_proofs {
    // ---- RoFormer Figure 2 (d = 128, base 10000) ----
    static_assert(curve(T(0)) == T(65) / T(2));
    static_assert(curve_at_100_matches_reference<T>());

    // ---- RoFormer eq. 37 (d = 32, base 10000) ----
    static_assert(abel_bound_on_probes(pair_layout::half_split, T(123456), T(-17)));
    static_assert(abel_bound_on_probes(pair_layout::interleaved, T(-3), T(100)));
    // attained on the extremal pair: holds for R_m, fails for (1 + 2^-30) R_m
    static_assert(abel_bound_on_extremal_pair(pair_layout::half_split, T(1100), T(1000), T(0)));
    static_assert(!abel_bound_on_extremal_pair(pair_layout::half_split, T(1100), T(1000), T(1) / T(1073741824)));
    // falsity: an attention factor of 1.001 folded into the rotation breaks the bound
    static_assert(!abel_bound_on_extremal_pair(pair_layout::half_split, T(1100), T(1000), T(1) / T(1000)));

    // ---- Men et al. eq. 9-10: B_m >= 0 up to m = 27, B_28 < 0 (d = 32, base 100) ----
    static_assert(men_first_negative_d32_base100<T>() == posenc_proofs::values::first_negative_b_d32_base100);
};

template struct decay_proofs<double>;
template struct decay_proofs<long double>;
#if POSENC_HAS_FLOAT128
template struct decay_proofs<__float128>;
#endif

// ---- 50 digits (cx_float50, 192-bit significand): the Figure 2 value at m - n = 100 ----
static_assert(curve_at_100_matches_reference<posenc::math::cx_float50, true>());

}  // namespace
