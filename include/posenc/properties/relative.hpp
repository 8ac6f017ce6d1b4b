// posenc/properties/relative.hpp: relative (shift) invariance of position encodings.
//
// Statements checked (each predicate names its own):
//  - RoPE (Su et al. 2021, RoFormer, §3.4.1 eq. 16 and §3.4.2): <R_m q, R_n k> = q^T R_{n-m} k, and
//    R_m^T R_n = R_{n-m}. True for ANY frequencies and either pair layout, because R_m is
//    block-diagonal with 2x2 rotations by m theta_i on fixed pairs and rotations by a and b compose
//    to the rotation by b - a after transposing the first (Euler: e^{-i a} e^{i b} = e^{i(b-a)}).
//    A scaling variant (linear, dynamic, YaRN, Llama 3, LongRoPE) only changes the theta_i, so it is
//    relative as long as both sides use the same theta_i; the two-encoding overloads check a tested
//    encoding against an intended one, which is what catches a wrong frequency, a swapped layout or
//    a wrong sign.
//  - Sinusoidal (Vaswani et al. 2017, §3.5): p_m . p_n = sum_i cos((m-n) theta_i) depends on m - n
//    only, so p_m . p_n = p_{m-n} . p_0; and p_{m+k} = M_k p_m with M_k independent of m.
//  - Complex embedding (Wang et al. 2020, ICLR, Property 1, Claim 1): g(pos + n) = w(n) g(pos)
//    elementwise with w_k(n) = e^{i omega_k n} (linearly witnessed offset transformation).
//  - RoPE 2D (Su, kexue.fm/archives/8397): R_{x1,y1}^T R_{x2,y2} = R_{x2-x1, y2-y1}.
//
// Tolerances (see common.hpp; pass e.g. posenc::ulps<T>(n)): inner products are compared within
// tol * ||q|| ||k||, matrices entry by entry within tol (their entries are cosines and sines).
// RoPE forms m theta_i exactly, so its error does not grow with the position. The sinusoidal and
// complex encodings round the angle k theta_i to T first (as their papers' formulas do), so their
// error grows with the position: their tolerances are scaled by (1 + the largest |position|).
#pragma once

#include <span>
#include <vector>

#include "../math/double_t.hpp"
#include "../encodings/complex_embedding.hpp"
#include "../encodings/sinusoidal.hpp"
#include "common.hpp"

namespace posenc {

namespace detail {

template <RotaryEncoding E>
[[nodiscard]] constexpr square_matrix<value_type_of<E>> rotation_matrix(const E& e, const value_type_of<E>& m) {
    square_matrix<value_type_of<E>> r(static_cast<std::size_t>(e.head_dim()));
    e.matrix(m, r.span());
    return r;
}

template <RotaryEncoding2D E>
[[nodiscard]] constexpr square_matrix<value_type_of<E>> rotation_matrix_2d(const E& e, const value_type_of<E>& x,
                                                                           const value_type_of<E>& y) {
    square_matrix<value_type_of<E>> r(static_cast<std::size_t>(e.head_dim()));
    e.matrix(x, y, r.span());
    return r;
}

template <class T>
[[nodiscard]] constexpr T max_abs(const T& a, const T& b) {
    const T x = math::abs(a);
    const T y = math::abs(b);
    return x > y ? x : y;
}

}  // namespace detail

/// RoFormer eq. 16: |<R_m q, R_n k>_tested - q^T R_{n-m} k_intended| <= tol ||q|| ||k||, with the
/// left side from `tested.apply` and the right side from `intended.apply`. q and k have head_dim
/// elements; m, n and n - m must be exact in T (integers below 2^p are).
template <PositionalMap E, PositionalMap F>
[[nodiscard]] constexpr bool rope_relative_invariance(const E& tested, const F& intended,
                                                      std::span<const value_type_of<E>> q,
                                                      std::span<const value_type_of<E>> k,
                                                      const value_type_of<E>& m, const value_type_of<E>& n,
                                                      const value_type_of<E>& tol) {
    using T = value_type_of<E>;
    static_assert(std::same_as<T, value_type_of<F>>, "both encodings must use the same number type");
    const std::size_t hd = static_cast<std::size_t>(tested.head_dim());
    POSENC_REQUIRE(q.size() == hd && k.size() == hd, "q", "q and k of head_dim elements");
    POSENC_REQUIRE(static_cast<std::size_t>(intended.head_dim()) == hd, "intended", "an encoding of the same head_dim");
    std::vector<T> rq(hd, T(0)), rk(hd, T(0)), rel(hd, T(0));
    tested.apply(q, m, std::span<T>(rq));
    tested.apply(k, n, std::span<T>(rk));
    const T lhs = detail::dot(std::span<const T>(rq), std::span<const T>(rk));
    intended.apply(k, T(n - m), std::span<T>(rel));
    const T rhs = detail::dot(q, std::span<const T>(rel));
    return detail::within(lhs, rhs, T(tol * detail::norm(q) * detail::norm(k)));
}

/// RoFormer eq. 16 for one encoding against itself (see the two-encoding overload).
template <PositionalMap E>
[[nodiscard]] constexpr bool rope_relative_invariance(const E& e, std::span<const value_type_of<E>> q,
                                                      std::span<const value_type_of<E>> k,
                                                      const value_type_of<E>& m, const value_type_of<E>& n,
                                                      const value_type_of<E>& tol) {
    return rope_relative_invariance(e, e, q, k, m, n, tol);
}

/// RoFormer §3.4.2: max_ij |(R_m^T R_n)_ij (tested) - (R_{n-m})_ij (intended)| <= tol.
template <RotaryEncoding E, RotaryEncoding F>
[[nodiscard]] constexpr bool rope_matrix_relative(const E& tested, const F& intended, const value_type_of<E>& m,
                                                  const value_type_of<E>& n, const value_type_of<E>& tol) {
    using T = value_type_of<E>;
    POSENC_REQUIRE(intended.head_dim() == tested.head_dim(), "intended", "an encoding of the same head_dim");
    const auto lhs = detail::product(detail::rotation_matrix(tested, m), detail::rotation_matrix(tested, n), true);
    const auto rhs = detail::rotation_matrix(intended, T(n - m));
    return detail::max_abs_difference(lhs, rhs) <= tol;
}

/// R_m^T R_n = R_{n-m} for one encoding against itself.
template <RotaryEncoding E>
[[nodiscard]] constexpr bool rope_matrix_relative(const E& e, const value_type_of<E>& m, const value_type_of<E>& n,
                                                  const value_type_of<E>& tol) {
    return rope_matrix_relative(e, e, m, n, tol);
}

/// Vaswani et al. §3.5: |p_m . p_n - p_{m-n} . p_0| <= tol (d/2) (1 + max(|m|, |n|)), the vectors
/// from `s.encode` (so the identity is checked on the encoding, not on a closed form). S needs
/// value_type, dim() and encode(T k, span<T> out).
template <class S>
[[nodiscard]] constexpr bool sinusoidal_relative(const S& s, const value_type_of<S>& m, const value_type_of<S>& n,
                                                 const value_type_of<S>& tol) {
    using T = value_type_of<S>;
    const std::size_t d = static_cast<std::size_t>(s.dim());
    std::vector<T> pm(d, T(0)), pn(d, T(0)), pr(d, T(0)), p0(d, T(0));
    s.encode(m, std::span<T>(pm));
    s.encode(n, std::span<T>(pn));
    s.encode(T(m - n), std::span<T>(pr));
    s.encode(T(0), std::span<T>(p0));
    const T lhs = detail::dot(std::span<const T>(pm), std::span<const T>(pn));
    const T rhs = detail::dot(std::span<const T>(pr), std::span<const T>(p0));
    const T scale = T(T(d) / T(2)) * T(T(1) + detail::max_abs(m, n));
    return detail::within(lhs, rhs, T(tol * scale));
}

/// The additive scheme of Vaswani et al.: word vectors x, y plus positions, <x + p_m, y + p_n>
/// compared with <x + p_{m-n}, y + p_0> within tol (d/2 + ||x|| ||y||) (1 + max(|m|, |n|)). For
/// generic x, y this is FALSE: the cross terms x . p_n + p_m . y depend on m and n separately,
/// which is the reason RoPE multiplies instead of adding (RoFormer §3.1, eq. 3-10 vs §3.2).
template <class S>
[[nodiscard]] constexpr bool additive_sinusoidal_relative(const S& s, std::span<const value_type_of<S>> x,
                                                          std::span<const value_type_of<S>> y,
                                                          const value_type_of<S>& m, const value_type_of<S>& n,
                                                          const value_type_of<S>& tol) {
    using T = value_type_of<S>;
    const std::size_t d = static_cast<std::size_t>(s.dim());
    POSENC_REQUIRE(x.size() == d && y.size() == d, "x", "x and y of dim elements");
    std::vector<T> pm(d, T(0)), pn(d, T(0)), pr(d, T(0)), p0(d, T(0));
    s.encode(m, std::span<T>(pm));
    s.encode(n, std::span<T>(pn));
    s.encode(T(m - n), std::span<T>(pr));
    s.encode(T(0), std::span<T>(p0));
    for (std::size_t i = 0; i < d; ++i) {
        pm[i] = pm[i] + x[i];
        pn[i] = pn[i] + y[i];
        pr[i] = pr[i] + x[i];
        p0[i] = p0[i] + y[i];
    }
    const T lhs = detail::dot(std::span<const T>(pm), std::span<const T>(pn));
    const T rhs = detail::dot(std::span<const T>(pr), std::span<const T>(p0));
    const T scale = T(T(T(d) / T(2)) + detail::norm(x) * detail::norm(y)) * T(T(1) + detail::max_abs(m, n));
    return detail::within(lhs, rhs, T(tol * scale));
}

/// Vaswani et al. §3.5: max_j |p_{m+k,j} - (M_k p_m)_j| <= tol (1 + |m| + |k|), with p from
/// `s.encode` and M_k from `s.offset_operator` (block-diagonal rotations, independent of m).
template <class S>
[[nodiscard]] constexpr bool sinusoidal_offset_linear(const S& s, const value_type_of<S>& m, const value_type_of<S>& k,
                                                      const value_type_of<S>& tol) {
    using T = value_type_of<S>;
    const std::size_t d = static_cast<std::size_t>(s.dim());
    std::vector<T> pm(d, T(0)), pmk(d, T(0));
    detail::square_matrix<T> mk(d);
    s.encode(m, std::span<T>(pm));
    s.encode(T(m + k), std::span<T>(pmk));
    s.offset_operator(k, mk.span());
    const T bound = tol * T(T(1) + math::abs(m) + math::abs(k));
    for (std::size_t r = 0; r < d; ++r) {
        T s_r = T(0);
        for (std::size_t c = 0; c < d; ++c) s_r = s_r + mk(r, c) * pm[c];
        if (!detail::within(pmk[r], s_r, bound)) return false;
    }
    return true;
}

/// Wang et al. 2020, Property 1 with the linear witness of Claim 1: for every component j,
/// |g_j(pos + n) - w_j(n) g_j(pos)| <= tol r_j (1 + |pos| + |n|). C needs value_type, dim(),
/// amplitude(), value(T, span<cplx<T>>) and witness(T, span<cplx<T>>).
template <class C>
[[nodiscard]] constexpr bool complex_offset_witnessed(const C& g, const value_type_of<C>& pos, const value_type_of<C>& n,
                                                      const value_type_of<C>& tol) {
    using T = value_type_of<C>;
    const std::size_t d = static_cast<std::size_t>(g.dim());
    std::vector<cplx<T>> a(d, cplx<T>{T(0), T(0)}), b(d, cplx<T>{T(0), T(0)}), w(d, cplx<T>{T(0), T(0)});
    g.value(pos, std::span<cplx<T>>(a));
    g.value(T(pos + n), std::span<cplx<T>>(b));
    g.witness(n, std::span<cplx<T>>(w));
    const T scale = T(T(1) + math::abs(pos) + math::abs(n));
    for (std::size_t j = 0; j < d; ++j) {
        const cplx<T> pred = w[j] * a[j];
        const T bound = tol * g.amplitude()[j] * scale;
        if (!detail::within(b[j].re, pred.re, bound) || !detail::within(b[j].im, pred.im, bound)) return false;
    }
    return true;
}

/// Su (kexue.fm/archives/8397): max_ij |(R_{x1,y1}^T R_{x2,y2})_ij - (R_{x2-x1,y2-y1})_ij| <= tol,
/// for any encoding with head_dim() and matrix(x, y, out): axial, mixed, or a non-commuting
/// counterexample (properties/rope2d.hpp), where it is false.
template <RotaryEncoding2D E>
[[nodiscard]] constexpr bool rope2d_relative(const E& e, const value_type_of<E>& x1, const value_type_of<E>& y1,
                                             const value_type_of<E>& x2, const value_type_of<E>& y2,
                                             const value_type_of<E>& tol) {
    using T = value_type_of<E>;
    const auto lhs = detail::product(detail::rotation_matrix_2d(e, x1, y1), detail::rotation_matrix_2d(e, x2, y2), true);
    const auto rhs = detail::rotation_matrix_2d(e, T(x2 - x1), T(y2 - y1));
    return detail::max_abs_difference(lhs, rhs) <= tol;
}

}  // namespace posenc
