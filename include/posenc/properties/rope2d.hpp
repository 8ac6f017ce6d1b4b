// posenc/properties/rope2d.hpp: what makes a 2D RoPE work, and a counterexample.
//
// Su (kexue.fm/archives/8397) asks R_{x,y} for relativity, R_{x1,y1}^T R_{x2,y2} = R_{x2-x1,y2-y1}
// (checked by posenc::rope2d_relative in relative.hpp), and reversibility, (x, y) recoverable from
// R_{x,y}. Writing R_{x,y} = exp(x B1 + y B2) with skew-symmetric generators, relativity holds when
// B1 B2 = B2 B1: then exp(x B1 + y B2) = exp(x B1) exp(y B2) and
//   R_{x1,y1}^T R_{x2,y2} = exp(-x1 B1 - y1 B2) exp(x2 B1 + y2 B2) = exp((x2-x1) B1 + (y2-y1) B2),
// because exp(A) exp(B) = exp(A + B) for commuting A, B. Axial RoPE (pairs rotating with x or with
// y) and RoPE-Mixed (Heo et al. 2024: every pair rotates by theta^x_t x + theta^y_t y) have
// block-diagonal generators on the same 2x2 blocks, which commute. Su first tried quaternions:
// R_{x,y} = left multiplication by exp(x a i + y b j), whose generators a L_i and b L_j do NOT commute
// (ij = -ji), and relativity fails; `quaternion_rope2d` is that encoding, kept as the proof that
// the predicate can say no.
//
// Reversibility on a W x H grid: for a relative, orthogonal R, ||R_p - R_p'||_F = ||I - R_{p'-p}||_F,
// so the smallest separation between the rotations of two distinct grid points is the smallest
// ||I - R_{dx,dy}||_F over differences 0 <= dx < W, -H < dy < H, (dx, dy) != (0, 0) (the other half
// of the differences gives transposed matrices with the same norm). `rope2d_separation` reports it
// and where it occurs; it is 0 when two grid points share a rotation (e.g. a frequency of 2 pi / k).
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "../math/double_t.hpp"
#include "../encodings/rope2d.hpp"
#include "common.hpp"
#include "relative.hpp"

namespace posenc {

/// Su's rejected quaternion 2D encoding (head_dim 4): R_{x,y} v = exp(x a i + y b j) * v, v read as
/// the quaternion v0 + v1 i + v2 j + v3 k (Hamilton product, left multiplication). Orthogonal and
/// reversible near 0, but NOT relative.
template <Real T>
class quaternion_rope2d {
public:
    using value_type = T;  ///< the number type

    /// Frequencies a (for x) and b (for y), finite.
    constexpr quaternion_rope2d(const T& a, const T& b) : a_(a), b_(b) {
        POSENC_REQUIRE(detail::finite(a) && detail::finite(b), "a", "finite frequencies a and b");
    }

    [[nodiscard]] constexpr int head_dim() const { return 4; }
    [[nodiscard]] constexpr T a() const { return a_; }
    [[nodiscard]] constexpr T b() const { return b_; }

    /// The 4x4 matrix of left multiplication by p = exp(u), u = x a i + y b j:
    /// p = cos|u| + sin|u| u/|u| (exponential of a pure quaternion).
    constexpr void matrix(const T& x, const T& y, std::span<T> out) const {
        POSENC_REQUIRE(out.size() == 16, "out", "a span of 16 elements");
        const T ux = x * a_;
        const T uy = y * b_;
        const T phi = math::hypot(ux, uy);
        T w = T(1), pi = T(0), pj = T(0);
        if (phi > T(0)) {
            const math::sincos_result<T> sc = math::sincos(phi);
            w = sc.cos;
            pi = sc.sin * (ux / phi);
            pj = sc.sin * (uy / phi);
        }
        const T pk = T(0);
        // Hamilton product p * v as a matrix acting on (v0, v1, v2, v3).
        const T m[16] = {w,  T(-pi), T(-pj), T(-pk),  //
                         pi, w,      T(-pk), pj,      //
                         pj, pk,     w,      T(-pi),  //
                         pk, T(-pj), pi,     w};
        for (std::size_t i = 0; i < 16; ++i) out[i] = m[i];
    }

    /// The generators a L_i and b L_j (4x4, row-major).
    [[nodiscard]] constexpr std::pair<std::vector<T>, std::vector<T>> generators() const {
        std::vector<T> gx(16, T(0)), gy(16, T(0));
        // L_i: i*1 = i, i*i = -1, i*j = k, i*k = -j.
        gx[1 * 4 + 0] = a_;
        gx[0 * 4 + 1] = T(-a_);
        gx[3 * 4 + 2] = a_;
        gx[2 * 4 + 3] = T(-a_);
        // L_j: j*1 = j, j*i = -k, j*j = -1, j*k = i.
        gy[2 * 4 + 0] = b_;
        gy[0 * 4 + 2] = T(-b_);
        gy[3 * 4 + 1] = T(-b_);
        gy[1 * 4 + 3] = b_;
        return {std::move(gx), std::move(gy)};
    }

private:
    T a_;
    T b_;
};

namespace detail {

/// Block-diagonal generator entries of a 2x2 rotation by theta on pair (a, b): [[0, -t], [t, 0]].
template <class T>
constexpr void set_generator_block(std::vector<T>& g, std::size_t hd, std::size_t a, std::size_t b, const T& t) {
    g[a * hd + b] = T(-t);
    g[b * hd + a] = t;
}

}  // namespace detail

/// The generators (B1, B2) of an axial 2D RoPE: R_{x,y} = exp(x B1 + y B2).
template <Real T>
[[nodiscard]] constexpr std::pair<std::vector<T>, std::vector<T>> generators(const rope2d_axial<T>& e) {
    const std::size_t hd = static_cast<std::size_t>(e.head_dim());
    std::vector<T> gx(hd * hd, T(0)), gy(hd * hd, T(0));
    const rope_axial<T>& ax = e.axial();
    for (int j = 0; j < ax.pairs(); ++j) {
        const int axis = ax.axis_of_pair(j);  // 0: first coordinate of the arrangement
        const T t = ax.theta()[static_cast<std::size_t>(j % ax.pairs_per_axis())];
        const bool is_x = (axis == 0) == (e.order() == axial_order::x_then_y);
        const pair_index pi = ax.pair_indices(j);
        detail::set_generator_block(is_x ? gx : gy, hd, static_cast<std::size_t>(pi.a), static_cast<std::size_t>(pi.b), t);
    }
    return {std::move(gx), std::move(gy)};
}

/// The generators (B1, B2) of RoPE-Mixed: pair t has theta^x_t in B1 and theta^y_t in B2.
template <Real T>
[[nodiscard]] constexpr std::pair<std::vector<T>, std::vector<T>> generators(const rope2d_mixed<T>& e) {
    const std::size_t hd = static_cast<std::size_t>(e.head_dim());
    std::vector<T> gx(hd * hd, T(0)), gy(hd * hd, T(0));
    for (int t = 0; t < e.pairs(); ++t) {
        const std::size_t a = static_cast<std::size_t>(2 * t);
        detail::set_generator_block(gx, hd, a, a + 1, e.theta_x()[static_cast<std::size_t>(t)]);
        detail::set_generator_block(gy, hd, a, a + 1, e.theta_y()[static_cast<std::size_t>(t)]);
    }
    return {std::move(gx), std::move(gy)};
}

template <Real T>
[[nodiscard]] constexpr std::pair<std::vector<T>, std::vector<T>> generators(const quaternion_rope2d<T>& e) {
    return e.generators();
}

/// B1 B2 = B2 B1 within tol max|B1| max|B2| (entrywise), for the generators of `e`.
template <class E>
[[nodiscard]] constexpr bool generators_commute(const E& e, const value_type_of<E>& tol) {
    using T = value_type_of<E>;
    const auto [g1, g2] = generators(e);
    const std::size_t hd = static_cast<std::size_t>(e.head_dim());
    detail::square_matrix<T> b1(hd), b2(hd);
    T s1 = T(0), s2 = T(0);
    for (std::size_t i = 0; i < hd * hd; ++i) {
        b1.a[i] = g1[i];
        b2.a[i] = g2[i];
        if (math::abs(g1[i]) > s1) s1 = math::abs(g1[i]);
        if (math::abs(g2[i]) > s2) s2 = math::abs(g2[i]);
    }
    return detail::max_abs_difference(detail::product(b1, b2, false), detail::product(b2, b1, false)) <= tol * s1 * s2;
}

/// R_{x,0} R_{0,y} = R_{0,y} R_{x,0} = R_{x,y} within tol (entrywise): the rotations of the two
/// axes commute and compose to the 2D rotation (exp(x B1) exp(y B2) = exp(x B1 + y B2)).
template <RotaryEncoding2D E>
[[nodiscard]] constexpr bool rotations_commute(const E& e, const value_type_of<E>& x, const value_type_of<E>& y,
                                               const value_type_of<E>& tol) {
    using T = value_type_of<E>;
    const auto rx = detail::rotation_matrix_2d(e, x, T(0));
    const auto ry = detail::rotation_matrix_2d(e, T(0), y);
    const auto rxy = detail::rotation_matrix_2d(e, x, y);
    const auto xy = detail::product(rx, ry, false);
    const auto yx = detail::product(ry, rx, false);
    return detail::max_abs_difference(xy, yx) <= tol && detail::max_abs_difference(xy, rxy) <= tol;
}

/// The smallest ||I - R_{dx,dy}||_F over grid differences (see the file comment) and where.
template <Real T>
struct separation_report {
    T min_separation;
    long long dx;
    long long dy;
};

template <RotaryEncoding2D E>
[[nodiscard]] constexpr separation_report<value_type_of<E>> rope2d_separation(const E& e, long long width, long long height) {
    using T = value_type_of<E>;
    POSENC_REQUIRE(width >= 1 && height >= 1 && width * height >= 2, "width",
                   "a grid width and height >= 1 with at least two points");
    const std::size_t hd = static_cast<std::size_t>(e.head_dim());
    detail::square_matrix<T> r(hd);
    separation_report<T> best{T(-1), 0, 0};
    for (long long dx = 0; dx < width; ++dx) {
        for (long long dy = dx == 0 ? 1 : -(height - 1); dy < height; ++dy) {
            e.matrix(T(dx), T(dy), r.span());
            T s = T(0);
            for (std::size_t i = 0; i < hd; ++i) {
                for (std::size_t j = 0; j < hd; ++j) {
                    const T d = (i == j ? T(1) : T(0)) - r(i, j);
                    s = s + d * d;
                }
            }
            const T f = math::sqrt(s);
            if (best.min_separation < T(0) || f < best.min_separation) best = {f, dx, dy};
        }
    }
    return best;
}

/// Reversibility on a width x height grid: every two distinct points have rotations more than
/// `min_separation` apart in Frobenius norm (assumes relativity; see the file comment).
template <RotaryEncoding2D E>
[[nodiscard]] constexpr bool rope2d_reversible(const E& e, long long width, long long height,
                                               const value_type_of<E>& min_separation) {
    return rope2d_separation(e, width, height).min_separation > min_separation;
}

}  // namespace posenc
