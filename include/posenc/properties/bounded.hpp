// posenc/properties/bounded.hpp: boundedness and norm preservation.
//
// Statements checked:
//  - Sinusoidal (Vaswani et al. 2017, §3.5): every entry sin(k theta_i), cos(k theta_i) lies in
//    [-1, 1], and ||p_k||^2 = sum_i (sin^2 + cos^2)(k theta_i) = d/2 (Pythagoras per pair).
//  - RoPE (RoFormer §3.4.2): R_m is orthogonal, R_m^T R_m = I (each 2x2 block is a rotation), hence
//    ||R_m x|| = ||x||. Orthogonality alone certifies nothing about positions: a RoPE with wrong
//    frequencies is just as orthogonal (proofs/bounded.cpp shows it).
//  - Complex embedding (Wang et al. 2020, ICLR, Property 2): |g_j(pos)| = r_j, bounded by max r_j.
// Tolerances as in common.hpp.
#pragma once

#include <span>
#include <vector>

#include "../encodings/complex_embedding.hpp"
#include "../encodings/sinusoidal.hpp"
#include "common.hpp"
#include "relative.hpp"

namespace posenc {

/// Every entry of p_k lies in [-1, 1] (exactly: no tolerance), for k = first, first + step, ...,
/// up to last (step > 0). S needs value_type, dim() and encode(T k, span<T> out).
template <class S>
[[nodiscard]] constexpr bool sinusoidal_entries_bounded(const S& s, const value_type_of<S>& first,
                                                        const value_type_of<S>& last, const value_type_of<S>& step) {
    using T = value_type_of<S>;
    POSENC_REQUIRE(step > T(0), "step", "a number > 0");
    std::vector<T> p(static_cast<std::size_t>(s.dim()), T(0));
    for (T k = first; k <= last;) {
        s.encode(k, std::span<T>(p));
        for (const T& v : p) {
            if (!(v >= T(-1) && v <= T(1))) return false;
        }
        const T next = k + step;
        POSENC_REQUIRE(next > k, "step", "large enough that k + step > k at every position up to last");
        k = next;
    }
    return true;
}

/// ||p_k||^2 = d/2 within tol (d/2) (Pythagoras per pair; the tolerance needs no position factor
/// because sin^2 + cos^2 of the same rounded angle is 1 up to the rounding of sin and cos).
template <class S>
[[nodiscard]] constexpr bool sinusoidal_norm(const S& s, const value_type_of<S>& k, const value_type_of<S>& tol) {
    using T = value_type_of<S>;
    std::vector<T> p(static_cast<std::size_t>(s.dim()), T(0));
    s.encode(k, std::span<T>(p));
    const T half = T(T(s.dim()) / T(2));
    const T n2 = detail::dot(std::span<const T>(p), std::span<const T>(p));
    return detail::within(n2, half, T(tol * half));
}

/// RoFormer §3.4.2: max_ij |(R_m^T R_m)_ij - I_ij| <= tol.
template <RotaryEncoding E>
[[nodiscard]] constexpr bool rope_orthogonal(const E& e, const value_type_of<E>& m, const value_type_of<E>& tol) {
    using T = value_type_of<E>;
    const auto r = detail::rotation_matrix(e, m);
    return detail::max_abs_difference(detail::product(r, r, true), detail::identity<T>(r.n)) <= tol;
}

/// ||R_m x||^2 = ||x||^2 within tol ||x||^2, R_m x from e.apply.
template <RotaryEncoding E>
[[nodiscard]] constexpr bool rope_norm_preserving(const E& e, std::span<const value_type_of<E>> x,
                                                  const value_type_of<E>& m, const value_type_of<E>& tol) {
    using T = value_type_of<E>;
    POSENC_REQUIRE(x.size() == static_cast<std::size_t>(e.head_dim()), "x", "a span of head_dim elements");
    std::vector<T> y(x.size(), T(0));
    e.apply(x, m, std::span<T>(y));
    const T before = detail::dot(x, x);
    const T after = detail::dot(std::span<const T>(y), std::span<const T>(y));
    return detail::within(after, before, T(tol * before));
}

/// Wang et al. Property 2: | |g_j(pos)| - r_j | <= tol r_j for every component j.
template <class C>
[[nodiscard]] constexpr bool complex_bounded(const C& g, const value_type_of<C>& pos, const value_type_of<C>& tol) {
    using T = value_type_of<C>;
    std::vector<cplx<T>> z(static_cast<std::size_t>(g.dim()), cplx<T>{T(0), T(0)});
    g.value(pos, std::span<cplx<T>>(z));
    for (std::size_t j = 0; j < z.size(); ++j) {
        const T r = g.amplitude()[j];
        if (!detail::within(abs(z[j]), r, T(tol * r))) return false;
    }
    return true;
}

}  // namespace posenc
