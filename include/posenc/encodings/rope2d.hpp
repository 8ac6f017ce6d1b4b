// posenc/encodings/rope2d.hpp: RoPE for 2D (and N-D) positions, for any Real T.
//
// Su, "Transformer升级之路:4、二维位置的旋转式位置编码" (kexue.fm/archives/8397): R_{x,y} must satisfy
// relativity R_{x1,y1}^T R_{x2,y2} = R_{x2-x1, y2-y1} and reversibility; with R = exp(x B1 + y B2) this
// needs skew-symmetric, COMMUTING generators B1, B2, and Su's solution is block-diagonal: pairs that
// rotate with x and pairs that rotate with y (axial). Heo et al. 2024 ("Rotary Position Embedding for
// Vision Transformer", ECCV; RoPE-Mixed) let every pair t rotate by theta^x_t p_x + theta^y_t p_y, still
// relative because all the generators are 2x2 blocks on the same pairs and so commute.
//
// Axial, N axes (`rope_axial`): head_dim divisible by 2N; pairs are interleaved (2j, 2j+1); the
// head is split into N consecutive blocks of head_dim/(2N) pairs, block a rotating with position p_a
// by theta_k = base^(-2N k / head_dim), k < head_dim/(2N) (for N = 2: base^(-4k/d), as both libraries
// below). The two 2D arrangements in use differ only in which coordinate drives the first block:
//   axial_order::x_then_y  naver-ai/rope-vit `compute_axial_cis`: first half of the pairs rotate with
//                          x (the column, t % W), the second half with y (the row); base 100 default
//   axial_order::y_then_x  EVA-02 `VisionRotaryEmbeddingFast`: first half with the row (height) index y,
//                          second half with the column x; base 10000 default
// Mixed (`rope2d_mixed`): pair t (interleaved) rotates by theta^x_t p_x + theta^y_t p_y with per-pair
// (per-head) frequencies; `rope2d_mixed::rope_vit_init` reproduces rope-vit's `init_2d_freqs` for one
// head at a given rotation angle alpha: magnitudes m_k = base^(-4k/d), k < d/4, theta^x = [m cos(alpha),
// m cos(pi/2 + alpha)], theta^y = [m sin(alpha), m sin(pi/2 + alpha)].
// Angles are formed exactly in double-T (TwoProduct per coordinate) before the rotation, as in rope.hpp.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "../math/double_t.hpp"
#include "../concepts.hpp"
#include "../math/constants.hpp"
#include "rope.hpp"

namespace posenc {

/// Axial RoPE over N position coordinates (see the file comment).
template <Real T>
class rope_axial {
public:
    using value_type = T;  ///< the number type

    /// head_dim divisible by 2*axes, axes >= 1, base finite and > 1.
    constexpr rope_axial(int head_dim, int axes, const T& base) : head_dim_(head_dim), axes_(axes) {
        POSENC_REQUIRE(axes >= 1, "axes", "an integer >= 1");
        POSENC_REQUIRE(head_dim > 0 && head_dim % (2 * axes) == 0, "head_dim", "a positive multiple of 2 * axes");
        POSENC_REQUIRE(detail::finite(base) && base > T(1), "base", "a finite number > 1");
        // theta_k = base^(-2N k / head_dim): the default rule over head_dim / N dimensions
        theta_ = frequencies::default_theta(base, head_dim / axes);
    }

    [[nodiscard]] constexpr int head_dim() const { return head_dim_; }
    [[nodiscard]] constexpr int axes() const { return axes_; }
    [[nodiscard]] constexpr int pairs() const { return head_dim_ / 2; }
    /// Pairs per axis, head_dim / (2 * axes).
    [[nodiscard]] constexpr int pairs_per_axis() const { return head_dim_ / (2 * axes_); }
    /// theta_k, k < pairs_per_axis(); every axis uses the same list.
    [[nodiscard]] constexpr const std::vector<T>& theta() const { return theta_; }
    /// The coordinate that drives pair j (block j / pairs_per_axis()).
    [[nodiscard]] constexpr int axis_of_pair(int j) const { return j / pairs_per_axis(); }
    /// Components of pair j: (2j, 2j+1).
    [[nodiscard]] constexpr pair_index pair_indices(int j) const { return {2 * j, 2 * j + 1}; }

    /// Rotation angle of pair j for the given coordinates, as an exact double-T product.
    [[nodiscard]] constexpr math::dd<T> angle(int j, std::span<const T> position) const {
        return math::two_prod(position[static_cast<std::size_t>(axis_of_pair(j))],
                                      theta_[static_cast<std::size_t>(j % pairs_per_axis())]);
    }

    /// x <- R_p x in place (x.size() == head_dim, position.size() == axes).
    constexpr void apply(std::span<T> x, std::span<const T> position) const {
        check(x.size(), position);
        for (int j = 0; j < pairs(); ++j) {
            const std::size_t a = static_cast<std::size_t>(2 * j);
            detail::rotate_pair(x, a, a + 1, math::sincos(angle(j, position)));
        }
    }

    /// The head_dim x head_dim matrix R_p, row-major.
    constexpr void matrix(std::span<const T> position, std::span<T> out) const {
        const std::size_t hd = static_cast<std::size_t>(head_dim_);
        POSENC_REQUIRE(out.size() == hd * hd, "out", "a span of head_dim * head_dim elements");
        check(hd, position);
        detail::set_identity(out, hd);
        for (int j = 0; j < pairs(); ++j) {
            const std::size_t a = static_cast<std::size_t>(2 * j);
            detail::set_rotation_block(out, hd, a, a + 1, math::sincos(angle(j, position)));
        }
    }

private:
    constexpr void check(std::size_t n, std::span<const T> position) const {
        POSENC_REQUIRE(n == static_cast<std::size_t>(head_dim_), "x", "a span of head_dim elements");
        POSENC_REQUIRE(position.size() == static_cast<std::size_t>(axes_), "position", "one coordinate per axis");
        for (const T& p : position) POSENC_REQUIRE(detail::finite(p), "position", "finite coordinates");
    }

    int head_dim_;
    int axes_;
    std::vector<T> theta_{};
};

/// Which coordinate drives the first half of the pairs in 2D axial RoPE.
enum class axial_order {
    x_then_y,  ///< naver-ai/rope-vit compute_axial_cis
    y_then_x   ///< EVA-02 VisionRotaryEmbeddingFast
};

/// 2D axial RoPE at (x, y) in either arrangement (see the file comment).
template <Real T>
class rope2d_axial {
public:
    using value_type = T;  ///< the number type

    /// head_dim a positive multiple of 4, base finite and > 1.
    constexpr rope2d_axial(int head_dim, const T& base, axial_order order) : axial_(head_dim, 2, base), order_(order) {}

    [[nodiscard]] constexpr const rope_axial<T>& axial() const { return axial_; }
    [[nodiscard]] constexpr axial_order order() const { return order_; }
    [[nodiscard]] constexpr int head_dim() const { return axial_.head_dim(); }

    /// x <- R_{px,py} x in place.
    constexpr void apply(std::span<T> v, const T& px, const T& py) const {
        const T pos[2] = {first(px, py), second(px, py)};
        axial_.apply(v, std::span<const T>(pos, 2));
    }

    /// R_{px,py}, head_dim x head_dim row-major.
    constexpr void matrix(const T& px, const T& py, std::span<T> out) const {
        const T pos[2] = {first(px, py), second(px, py)};
        axial_.matrix(std::span<const T>(pos, 2), out);
    }

private:
    [[nodiscard]] constexpr T first(const T& px, const T& py) const { return order_ == axial_order::x_then_y ? px : py; }
    [[nodiscard]] constexpr T second(const T& px, const T& py) const { return order_ == axial_order::x_then_y ? py : px; }

    rope_axial<T> axial_;
    axial_order order_;
};

/// RoPE-Mixed: pair t (interleaved) rotates by theta_x[t] px + theta_y[t] py (see the file comment).
template <Real T>
class rope2d_mixed {
public:
    using value_type = T;  ///< the number type

    /// One (theta_x, theta_y) per pair: equal, nonzero sizes, finite values.
    constexpr rope2d_mixed(std::vector<T> theta_x, std::vector<T> theta_y)
        : theta_x_(std::move(theta_x)), theta_y_(std::move(theta_y)) {
        POSENC_REQUIRE(!theta_x_.empty() && theta_x_.size() == theta_y_.size(), "theta_y",
                       "a list as long as theta_x (one frequency pair per rotated pair), not empty");
        for (std::size_t t = 0; t < theta_x_.size(); ++t) {
            POSENC_REQUIRE(detail::finite(theta_x_[t]), "theta_x", "finite numbers");
            POSENC_REQUIRE(detail::finite(theta_y_[t]), "theta_y", "finite numbers");
        }
    }

    /// rope-vit's init_2d_freqs for one head rotated by alpha: head_dim a positive multiple of 4.
    [[nodiscard]] static constexpr rope2d_mixed rope_vit_init(int head_dim, const T& base, const T& alpha) {
        POSENC_REQUIRE(head_dim > 0 && head_dim % 4 == 0, "head_dim", "a positive multiple of 4");
        const rope_axial<T> mags(head_dim, 2, base);  // m_k = base^(-4k/d)
        const int q = head_dim / 4;
        // cos(pi/2 + alpha) = -sin(alpha), sin(pi/2 + alpha) = cos(alpha): exact, unlike rounding
        // pi/2 + alpha to T first (rope-vit's float32 code does; posenc gives the true values).
        const math::sincos_result<T> a = math::sincos(alpha);
        const math::sincos_result<T> b{a.cos, T(-a.sin)};
        std::vector<T> tx(static_cast<std::size_t>(2 * q), T(0));
        std::vector<T> ty(static_cast<std::size_t>(2 * q), T(0));
        for (int k = 0; k < q; ++k) {
            const T m = mags.theta()[static_cast<std::size_t>(k)];
            tx[static_cast<std::size_t>(k)] = m * a.cos;
            tx[static_cast<std::size_t>(q + k)] = m * b.cos;
            ty[static_cast<std::size_t>(k)] = m * a.sin;
            ty[static_cast<std::size_t>(q + k)] = m * b.sin;
        }
        return rope2d_mixed(std::move(tx), std::move(ty));
    }

    [[nodiscard]] constexpr int head_dim() const { return static_cast<int>(2 * theta_x_.size()); }
    [[nodiscard]] constexpr int pairs() const { return static_cast<int>(theta_x_.size()); }
    [[nodiscard]] constexpr const std::vector<T>& theta_x() const { return theta_x_; }
    [[nodiscard]] constexpr const std::vector<T>& theta_y() const { return theta_y_; }

    /// theta_x[t] px + theta_y[t] py as a double-T (each product exact).
    [[nodiscard]] constexpr math::dd<T> angle(int t, const T& px, const T& py) const {
        namespace md = math;
        const std::size_t i = static_cast<std::size_t>(t);
        return md::add(md::two_prod(theta_x_[i], px), md::two_prod(theta_y_[i], py));
    }

    /// x <- R_{px,py} x in place (x.size() == head_dim()).
    constexpr void apply(std::span<T> x, const T& px, const T& py) const {
        POSENC_REQUIRE(x.size() == static_cast<std::size_t>(head_dim()), "x", "a span of head_dim elements");
        POSENC_REQUIRE(detail::finite(px) && detail::finite(py), "position", "finite coordinates");
        for (int t = 0; t < pairs(); ++t) {
            const std::size_t a = static_cast<std::size_t>(2 * t);
            detail::rotate_pair(x, a, a + 1, math::sincos(angle(t, px, py)));
        }
    }

    /// R_{px,py}, head_dim x head_dim row-major.
    constexpr void matrix(const T& px, const T& py, std::span<T> out) const {
        const std::size_t hd = static_cast<std::size_t>(head_dim());
        POSENC_REQUIRE(out.size() == hd * hd, "out", "a span of head_dim * head_dim elements");
        POSENC_REQUIRE(detail::finite(px) && detail::finite(py), "position", "finite coordinates");
        detail::set_identity(out, hd);
        for (int t = 0; t < pairs(); ++t) {
            const std::size_t a = static_cast<std::size_t>(2 * t);
            detail::set_rotation_block(out, hd, a, a + 1, math::sincos(angle(t, px, py)));
        }
    }

private:
    std::vector<T> theta_x_;
    std::vector<T> theta_y_;
};

}  // namespace posenc
