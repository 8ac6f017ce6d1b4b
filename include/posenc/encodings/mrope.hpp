// posenc/encodings/mrope.hpp: multimodal RoPE (M-RoPE; Qwen2-VL, Wang et al. 2024, arXiv 2409.12191
// §2.1) for any Real T: every token has three positions (t, h, w), and rotated pair i turns by the
// position of its axis times theta_i.
//
// theta_i and the attention factor are those of the 1D rope (posenc/frequencies.hpp, any rope type;
// rotary_dim = int(head_dim * partial_rotary_factor)); `mrope_section` and `mrope_interleaved` map
// the pairs to axes (posenc/frequencies/mrope_axes.hpp: consecutive blocks for Qwen2-VL, Qwen2.5-VL
// and GLM-4.1V; cycling t, h, w for Qwen3-VL and Qwen3.5). The pair layout is the rope's: half-split
// (i, i + rotary_dim/2) for Qwen (rotate_half), interleaved (2i, 2i+1) for GLM-4.1V
// (`modeling_glm4v.py::rotate_half_llm`). Dimensions rotary_dim .. head_dim-1 are left unchanged
// (Qwen3.5: 64 of 256 rotate, sections [11, 11, 10]).
//
// Text tokens have t = h = w = m, and then every pair turns by m theta_i: M-RoPE is the 1D rope. The
// angle of each pair is formed and applied exactly as rope.hpp does (TwoProduct, then the
// angle-addition formula), so for t = h = w the result is bit-identical to rope<T>::apply. Every
// generator is a 2x2 block on its own pair, so R_p^T R_q = R_{q-p} for 3-vectors p, q.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../frequencies/mrope_axes.hpp"
#include "rope.hpp"

namespace posenc {

/// The three positions of a token.
template <class T>
struct position3 {
    T t{};  ///< temporal
    T h{};  ///< height
    T w{};  ///< width

    /// The position of axis a.
    [[nodiscard]] constexpr const T& operator[](mrope_axis a) const { return a == mrope_axis::t ? t : a == mrope_axis::h ? h : w; }
    /// A text token at m: (m, m, m).
    [[nodiscard]] static constexpr position3 text(const T& m) { return {m, m, m}; }
    /// q - p, axis by axis.
    [[nodiscard]] friend constexpr position3 operator-(const position3& q, const position3& p) {
        return {T(q.t - p.t), T(q.h - p.h), T(q.w - p.w)};
    }
};

/// A validated M-RoPE: a 1D rope's frequencies and layout, and the axis of every pair.
template <Real T>
class mrope {
public:
    using value_type = T;  ///< the number type

    /// Checks p as rope<T> does, then `mrope_section` (3 non-negative integers summing to
    /// rotary_dim / 2; invalid_parameter naming mrope_section otherwise).
    constexpr explicit mrope(const rope_params<T>& p) : rope_(p) {
        POSENC_REQUIRE(check_mrope_section(rope_.pairs(), p.mrope_section) == mrope_section_check::ok, "mrope_section",
                       mrope_section_message(rope_.pairs(), p.mrope_section));
        axes_ = mrope_axis_map(rope_.pairs(), p.mrope_section, p.mrope_interleaved);
    }

    /// The 1D rope with the same frequencies (what text tokens get).
    [[nodiscard]] constexpr const rope<T>& rope_1d() const { return rope_; }
    [[nodiscard]] constexpr const rope_params<T>& params() const { return rope_.params(); }
    [[nodiscard]] constexpr int head_dim() const { return rope_.head_dim(); }
    [[nodiscard]] constexpr int rotary_dim() const { return rope_.rotary_dim(); }
    [[nodiscard]] constexpr int pairs() const { return rope_.pairs(); }
    [[nodiscard]] constexpr pair_layout layout() const { return rope_.layout(); }
    [[nodiscard]] constexpr bool interleaved_sections() const { return rope_.params().mrope_interleaved; }
    /// theta_i, i < pairs().
    [[nodiscard]] constexpr const std::vector<T>& inv_freq() const { return rope_.inv_freq(); }
    [[nodiscard]] constexpr T attention_factor() const { return rope_.attention_factor(); }
    /// The axis of every pair.
    [[nodiscard]] constexpr const std::vector<mrope_axis>& axes() const { return axes_; }
    [[nodiscard]] constexpr mrope_axis axis_of_pair(int i) const { return axes_[static_cast<std::size_t>(i)]; }
    /// The frequency of every pair for a move along `axes` (letters of "thw", e.g. "h" or "hw"): a
    /// distance r along them turns pair i by r theta_i if its axis is one of them, by 0 otherwise
    /// (the decay along an axis or a diagonal).
    [[nodiscard]] constexpr std::vector<T> inv_freq_along(std::string_view axes) const {
        std::vector<T> w(inv_freq());
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (axes.find(axis_name(axes_[i])) == std::string_view::npos) w[i] = T(0);
        }
        return w;
    }
    /// Components of pair i (the rope's layout).
    [[nodiscard]] constexpr pair_index pair_indices(int i) const { return rope_.pair_indices(i); }

    /// x <- R_p x in place (x.size() == head_dim).
    constexpr void apply(std::span<T> x, const position3<T>& p) const {
        POSENC_REQUIRE(x.size() == static_cast<std::size_t>(head_dim()), "x", "a span of head_dim elements");
        check_position(p);
        for (int i = 0; i < pairs(); ++i) {
            const pair_index pi = pair_indices(i);
            const math::sincos_result<T> sc = detail::sincos_of_product(p[axis_of_pair(i)], inv_freq()[static_cast<std::size_t>(i)]);
            detail::rotate_pair(x, static_cast<std::size_t>(pi.a), static_cast<std::size_t>(pi.b), sc);
        }
    }

    /// out <- R_p x (out may alias x).
    constexpr void apply(std::span<const T> x, const position3<T>& p, std::span<T> out) const {
        POSENC_REQUIRE(x.size() == static_cast<std::size_t>(head_dim()), "x", "a span of head_dim elements");
        POSENC_REQUIRE(out.size() == x.size(), "out", "a span of head_dim elements");
        if (out.data() != x.data()) {
            for (std::size_t k = 0; k < x.size(); ++k) out[k] = x[k];
        }
        apply(out, p);
    }

    /// The head_dim x head_dim matrix R_p, row-major, so that apply(x, p) == R_p x.
    constexpr void matrix(const position3<T>& p, std::span<T> out) const {
        const std::size_t hd = static_cast<std::size_t>(head_dim());
        POSENC_REQUIRE(out.size() == hd * hd, "out", "a span of head_dim * head_dim elements");
        check_position(p);
        detail::set_identity(out, hd);
        for (int i = 0; i < pairs(); ++i) {
            const pair_index pi = pair_indices(i);
            const math::sincos_result<T> sc = detail::sincos_of_product(p[axis_of_pair(i)], inv_freq()[static_cast<std::size_t>(i)]);
            detail::set_rotation_block(out, hd, static_cast<std::size_t>(pi.a), static_cast<std::size_t>(pi.b), sc);
        }
    }

private:
    static constexpr void check_position(const position3<T>& p) {
        POSENC_REQUIRE(detail::finite(p.t) && detail::finite(p.h) && detail::finite(p.w), "position", "three finite numbers");
    }

    rope<T> rope_;
    std::vector<mrope_axis> axes_{};
};

}  // namespace posenc
