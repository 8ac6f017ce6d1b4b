// posenc/properties/mrope.hpp: what M-RoPE (multimodal RoPE, Qwen2-VL, Wang et al. 2024, arXiv
// 2409.12191 §2.1) promises, as predicates.
//
// Statements (each predicate names its own):
//  - Text tokens: a token with t = h = w = m turns every pair by m theta_i, whichever axis the pair
//    follows, so M-RoPE on text IS the 1D rope, and posenc forms and applies each angle exactly as
//    rope.hpp does: the result is bit-identical (mrope_text_equals_1d, exact comparison).
//  - 3D relativity: R_p = exp(t B_t + h B_h + w B_w), where B_a holds the 2x2 generator blocks
//    [[0, -theta_i], [theta_i, 0]] of the pairs that follow axis a. All blocks sit on disjoint
//    fixed pairs, so the B_a commute and R_p^T R_q = exp((q - p) . B) = R_{q-p}, for any section map
//    and either pair layout (mrope_matrix_relative; the 2D case is Su's, kexue.fm/archives/8397,
//    checked by rope2d_relative).
//  - What tells two M-RoPEs apart: the rotation at one 3D position (mrope_same_rotation). A
//    sectioned and an interleaved map of the same mrope_section, the two pair layouts, or a section
//    off by one agree on text positions (the first and last: every pair then turns by m theta_i
//    wherever it is assigned) and disagree at positions with distinct t, h, w.
//
// Tolerances (see common.hpp; pass e.g. posenc::ulps<T>(n)): matrices are compared entry by entry
// within tol (their entries are cosines and sines); the angles p_a theta_i are formed exactly
// (TwoProduct), so nothing grows with the position. q - p must be exact in T (integers below 2^p
// are).
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <vector>

#include "../encodings/mrope.hpp"
#include "common.hpp"

namespace posenc {

/// An encoding of 3D positions given by its matrices: head_dim(), apply(x, p, out) (out <- R_p x)
/// and matrix(p, out) (R_p, head_dim x head_dim, row-major), p a position3 (posenc::mrope, or a
/// deliberately broken encoding written in a test).
template <class E>
concept RotaryEncoding3D = Real<value_type_of<E>> &&
    requires(const E& e, std::span<const value_type_of<E>> x, std::span<value_type_of<E>> out,
             const position3<value_type_of<E>>& p) {
        { e.head_dim() } -> std::convertible_to<int>;
        e.apply(x, p, out);
        e.matrix(p, out);
    };

namespace detail {

template <RotaryEncoding3D E>
[[nodiscard]] constexpr square_matrix<value_type_of<E>> rotation_matrix_3d(const E& e,
                                                                           const position3<value_type_of<E>>& p) {
    square_matrix<value_type_of<E>> r(static_cast<std::size_t>(e.head_dim()));
    e.matrix(p, r.span());
    return r;
}

}  // namespace detail

/// Text tokens: tested.apply(x, (m, m, m)) and rope1d.apply(x, m) are equal in every component
/// (operator==, so +0 and -0 count as equal; the tests also compare the signs). x has head_dim
/// elements.
template <RotaryEncoding3D E, PositionalMap F>
[[nodiscard]] constexpr bool mrope_text_equals_1d(const E& tested, const F& rope1d,
                                                  std::span<const value_type_of<E>> x, const value_type_of<E>& m) {
    using T = value_type_of<E>;
    static_assert(std::same_as<T, value_type_of<F>>, "both encodings must use the same number type");
    const std::size_t hd = static_cast<std::size_t>(tested.head_dim());
    POSENC_REQUIRE(x.size() == hd, "x", "a span of head_dim elements");
    POSENC_REQUIRE(static_cast<std::size_t>(rope1d.head_dim()) == hd, "rope1d", "an encoding of the same head_dim");
    std::vector<T> a(hd, T(0)), b(hd, T(0));
    tested.apply(x, position3<T>::text(m), std::span<T>(a));
    rope1d.apply(x, m, std::span<T>(b));
    for (std::size_t k = 0; k < hd; ++k) {
        if (!(a[k] == b[k])) return false;
    }
    return true;
}

/// Text tokens against the encoding's own 1D rope (e.rope_1d(), as posenc::mrope offers).
template <RotaryEncoding3D E>
    requires requires(const E& e) { e.rope_1d(); }
[[nodiscard]] constexpr bool mrope_text_equals_1d(const E& e, std::span<const value_type_of<E>> x,
                                                  const value_type_of<E>& m) {
    return mrope_text_equals_1d(e, e.rope_1d(), x, m);
}

/// 3D relativity: max_ij |(R_p^T R_q)_ij (tested) - (R_{q-p})_ij (intended)| <= tol, with q - p
/// taken axis by axis.
template <RotaryEncoding3D E, RotaryEncoding3D F>
[[nodiscard]] constexpr bool mrope_matrix_relative(const E& tested, const F& intended,
                                                   const position3<value_type_of<E>>& p,
                                                   const position3<value_type_of<E>>& q, const value_type_of<E>& tol) {
    static_assert(std::same_as<value_type_of<E>, value_type_of<F>>, "both encodings must use the same number type");
    POSENC_REQUIRE(intended.head_dim() == tested.head_dim(), "intended", "an encoding of the same head_dim");
    const auto lhs = detail::product(detail::rotation_matrix_3d(tested, p), detail::rotation_matrix_3d(tested, q), true);
    const auto rhs = detail::rotation_matrix_3d(intended, q - p);
    return detail::max_abs_difference(lhs, rhs) <= tol;
}

/// R_p^T R_q = R_{q-p} for one encoding against itself.
template <RotaryEncoding3D E>
[[nodiscard]] constexpr bool mrope_matrix_relative(const E& e, const position3<value_type_of<E>>& p,
                                                   const position3<value_type_of<E>>& q, const value_type_of<E>& tol) {
    return mrope_matrix_relative(e, e, p, q, tol);
}

/// The same rotation at p: max_ij |R_p(a)_ij - R_p(b)_ij| <= tol. False for two section maps, two
/// pair layouts or two frequency lists that differ on a pair whose angle is not a multiple of 2 pi
/// at p (up to tol).
template <RotaryEncoding3D E, RotaryEncoding3D F>
[[nodiscard]] constexpr bool mrope_same_rotation(const E& a, const F& b, const position3<value_type_of<E>>& p,
                                                 const value_type_of<E>& tol) {
    static_assert(std::same_as<value_type_of<E>, value_type_of<F>>, "both encodings must use the same number type");
    POSENC_REQUIRE(a.head_dim() == b.head_dim(), "b", "an encoding of the same head_dim");
    return detail::max_abs_difference(detail::rotation_matrix_3d(a, p), detail::rotation_matrix_3d(b, p)) <= tol;
}

}  // namespace posenc
