// posenc/kernels/rope2d.hpp: fast float32 axial 2D RoPE (Su, kexue.fm/archives/8397; the axial
// arrangements of naver-ai/rope-vit and EVA-02, see encodings/rope2d.hpp) from per-token (x, y)
// integer positions, with a scalar twin.
//
//   apply_2d  pair j (interleaved (2j, 2j+1)) rotates by p_j * theta_{j mod P}, p_j = x or y as the
//             axial order assigns pair j (P = head_dim / 4 pairs per axis). cos/sin are computed once
//             per token in double from the exact angles (sincos.hpp) and applied in double to every
//             head of every operand, rounded to float once. Valid: |x|, |y| <= 2^24. Error of an
//             output pair at most 0.71 + 2^-28 ulp(|x_pair|) (float), as rope.hpp's apply_fused.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rope.hpp"

namespace posenc::kernels {

/// An axial 2D RoPE for the kernels: the 1D frequencies of every pair and the coordinate (0: x,
/// 1: y) that drives it.
class axial2d_frequencies {
public:
    /// From a posenc::rope2d_axial<double> (a template, so that this header does not include the
    /// constexpr encodings).
    template <class Axial2d>
    explicit axial2d_frequencies(const Axial2d& e)
        : freqs_(make(e)), axis_x_(freqs_.theta_hi().size(), 0.0), axis_y_(freqs_.theta_hi().size(), 0.0) {
        const auto& ax = e.axial();
        for (int j = 0; j < ax.pairs(); ++j) {
            const bool first = ax.axis_of_pair(j) == 0;
            const bool is_x = first == (e.order() == decltype(e.order())::x_then_y);
            axis_x_[static_cast<std::size_t>(j)] = is_x ? 1.0 : 0.0;
            axis_y_[static_cast<std::size_t>(j)] = is_x ? 0.0 : 1.0;
        }
    }
    /// The per-pair frequencies (interleaved layout, full rotary dimension).
    [[nodiscard]] const rope_frequencies& frequencies() const { return freqs_; }
    /// 1 where pair j rotates with x (resp. y), else 0 (padded like the frequencies).
    [[nodiscard]] const std::vector<double>& x_selector() const { return axis_x_; }
    [[nodiscard]] const std::vector<double>& y_selector() const { return axis_y_; }
    [[nodiscard]] bool rotates_with_x(int j) const { return axis_x_[static_cast<std::size_t>(j)] != 0.0; }

private:
    template <class Axial2d>
    static rope_frequencies make(const Axial2d& e) {
        const auto& ax = e.axial();
        std::vector<double> theta(static_cast<std::size_t>(ax.pairs()));
        for (int j = 0; j < ax.pairs(); ++j) theta[static_cast<std::size_t>(j)] = ax.theta()[static_cast<std::size_t>(j % ax.pairs_per_axis())];
        return {ax.head_dim(), ax.head_dim(), pair_layout::interleaved, theta, 1.0};
    }
    rope_frequencies freqs_;
    std::vector<double> axis_x_;
    std::vector<double> axis_y_;
};

namespace detail {

/// The checks of an apply_2d call; returns the token count.
inline int check_2d_call(const rope_frequencies& fr, std::span<const std::int64_t> xs, std::span<const std::int64_t> ys,
                         std::span<const rope_operand> ops) {
    const int tokens = call_tokens(ops, xs.size(), "x");
    if (ys.size() != xs.size()) throw kernel_error("y", "needs one coordinate per token, like x");
    check_positions(xs, "x");
    check_positions(ys, "y");
    check_operands(ops, tokens, fr.head_dim());
    return tokens;
}

}  // namespace detail

/// Rotates every operand, token t by (xs[t], ys[t]).
void apply_2d(const axial2d_frequencies& f, std::span<const std::int64_t> xs, std::span<const std::int64_t> ys,
              std::span<const rope_operand> ops, thread_pool* pool = nullptr);

namespace detail {

/// The scalar twin's work on tokens [begin, end).
inline void apply_2d_tokens_scalar(const axial2d_frequencies& f, std::span<const std::int64_t> xs, std::span<const std::int64_t> ys,
                                   std::span<const rope_operand> ops, int begin, int end) {
    const rope_frequencies& fr = f.frequencies();
    scalar_heads(fr, ops, begin, end, [&](int t, const float* in, float* out) {
        const auto tu = static_cast<std::size_t>(t);
        for (int j = 0; j < fr.pairs(); ++j) {
            const auto u = static_cast<std::size_t>(j);
            const double p = static_cast<double>(f.rotates_with_x(j) ? xs[tu] : ys[tu]);
            const sincos_value v = sincos_of_angle(p, fr.theta_hi()[u], fr.theta_lo()[u]);
            rotate_pair_scalar(in, out, 2 * j, 2 * j + 1, v.cos, v.sin);
        }
    });
}

}  // namespace detail

/// The scalar twin of apply_2d.
inline void apply_2d_scalar(const axial2d_frequencies& f, std::span<const std::int64_t> xs, std::span<const std::int64_t> ys,
                            std::span<const rope_operand> ops) {
    const int tokens = detail::check_2d_call(f.frequencies(), xs, ys, ops);
    detail::apply_2d_tokens_scalar(f, xs, ys, ops, 0, tokens);
}

}  // namespace posenc::kernels
