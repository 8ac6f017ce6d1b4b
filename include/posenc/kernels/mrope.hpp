// posenc/kernels/mrope.hpp: fast float32 multimodal RoPE (M-RoPE; Qwen2-VL, Wang et al. 2024, arXiv
// 2409.12191 §2.1; encodings/mrope.hpp) from per-token (t, h, w) integer positions, with a scalar
// twin.
//
//   apply_mrope  rotated pair i turns by p_axis(i) * theta_i, p = (t, h, w) of the token and axis(i)
//                the M-RoPE map of `mrope_section` (sectioned: consecutive blocks t, h, w;
//                interleaved: t, h, w cycling; frequencies/mrope_axes.hpp, the one place the map is
//                written). Both pair layouts of rope.hpp: half-split (i, i + rotary_dim/2) as
//                Qwen2-VL, Qwen2.5-VL, Qwen3-VL and Qwen3.5, interleaved (2i, 2i+1) as GLM-4.1V
//                (modeling_glm4v.py rotate_half_llm). cos/sin are computed once per token in double
//                from the exact angles (sincos.hpp) and applied in double to every head of every
//                operand, rounded to float once: the path of rope.hpp's apply_fused, with the
//                position of every pair gathered once per token from (t, h, w) by its axis (as a
//                double, exact). Valid: |t|, |h|, |w| <= 2^24, theta_i in [0, 2]. Error of an
//                output pair at most 0.71 + 2^-28 ulp(|x_pair|) (float; relative to s |x_pair|
//                with an attention scale s), as apply_fused: one rounding per component.
// Text tokens (t = h = w = m) give exactly the bits of apply_fused at m. Dimensions rotary_dim ..
// head_dim-1 (partial rotary: GLM-4.1V, Qwen3.5) are copied out of place and left alone in place.
// Threads as rope.hpp: tokens split into contiguous ranges, each token computed the same way in any
// range, so the output does not depend on the number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../frequencies/mrope_axes.hpp"
#include "rope.hpp"

namespace posenc::kernels {

/// An M-RoPE for the kernels: the 1D frequencies and geometry, and the axis (t, h, w) of every pair.
class mrope_frequencies {
public:
    /// theta.size() == rotary_dim / 2 (checked as rope_frequencies does); `section` = [s_t, s_h, s_w],
    /// three integers in [0, 65536] summing to rotary_dim / 2 (kernel_error naming mrope_section
    /// otherwise); `interleaved` picks the interleaved map (Qwen3-VL) over the sectioned one.
    mrope_frequencies(int head_dim, int rotary_dim, pair_layout layout, std::span<const double> theta,
                      std::span<const long> section, bool interleaved, double attention_scale = 1.0)
        : freqs_(head_dim, rotary_dim, layout, theta, attention_scale), section_(section.begin(), section.end()),
          interleaved_(interleaved) {
        if (check_mrope_section(freqs_.pairs(), section) != mrope_section_check::ok) {
            throw kernel_error("mrope_section", mrope_section_message(freqs_.pairs(), section));
        }
        axes_ = mrope_axis_map(freqs_.pairs(), section, interleaved);
    }

    /// The M-RoPE of a posenc::mrope<double>, or of anything with its head_dim(), rotary_dim(),
    /// layout(), inv_freq(), attention_factor(), interleaved_sections() and params().mrope_section;
    /// with `with_attention_factor`, cos and sin are scaled by attention_factor() as HF does.
    /// (A template, so that this header does not include the constexpr encodings.)
    template <class Mrope>
    static mrope_frequencies from(const Mrope& m, bool with_attention_factor = false) {
        return {m.head_dim(),
                m.rotary_dim(),
                m.layout(),
                m.inv_freq(),
                m.params().mrope_section,
                m.interleaved_sections(),
                with_attention_factor ? static_cast<double>(m.attention_factor()) : 1.0};
    }

    /// The 1D frequencies, geometry and attention scale.
    [[nodiscard]] const rope_frequencies& frequencies() const { return freqs_; }
    [[nodiscard]] const std::vector<long>& section() const { return section_; }
    [[nodiscard]] bool interleaved_sections() const { return interleaved_; }
    /// The axis of every pair (mrope_axis_map).
    [[nodiscard]] const std::vector<mrope_axis>& axes() const { return axes_; }
    [[nodiscard]] mrope_axis axis_of_pair(int i) const { return axes_[static_cast<std::size_t>(i)]; }

private:
    rope_frequencies freqs_;
    std::vector<long> section_;
    bool interleaved_;
    std::vector<mrope_axis> axes_;
};

namespace detail {

/// The checks of an apply_mrope call: 3 positions per token, each within [-2^24, 2^24]; the
/// operands. Returns the token count.
inline int check_mrope_call(const rope_frequencies& f, std::span<const std::int64_t> positions,
                            std::span<const rope_operand> ops) {
    if (ops.empty()) throw kernel_error("operands", "at least one tensor is needed");
    const int tokens = ops[0].in.tokens;
    if (tokens < 1) throw kernel_error(ops.size() == 1 ? "tensor" : "q", "tokens must be >= 1");
    if (positions.size() != 3 * static_cast<std::size_t>(tokens)) {
        throw kernel_error("positions", "needs 3 values per token (t, h, w of token k at [3k], [3k+1], [3k+2]): 3 x " +
                                            std::to_string(tokens) + " tokens = " + std::to_string(3 * static_cast<std::size_t>(tokens)) +
                                            ", got " + std::to_string(positions.size()));
    }
    for (std::size_t j = 0; j < positions.size(); ++j) {
        if (positions[j] < -max_position || positions[j] > max_position) {
            throw kernel_error("positions", "positions[" + std::to_string(j) + "] = " + std::to_string(positions[j]) + " (" +
                                                std::string(axis_name(static_cast<mrope_axis>(j % 3))) + " of token " +
                                                std::to_string(j / 3) + ") is outside [-2^24, 2^24]");
        }
    }
    check_operands(ops, tokens, f.head_dim());
    return tokens;
}

}  // namespace detail

/// Rotates every operand, token k by (t, h, w) = (positions[3k], positions[3k+1], positions[3k+2])
/// (see the file comment).
void apply_mrope(const mrope_frequencies& f, std::span<const std::int64_t> positions, std::span<const rope_operand> ops,
                 thread_pool* pool = nullptr);

/// In place, Q and K.
inline void apply_mrope(const mrope_frequencies& f, std::span<const std::int64_t> positions, const tensor_view& q,
                        const tensor_view& k, thread_pool* pool = nullptr) {
    const rope_operand ops[] = {rope_operand::in_place(q), rope_operand::in_place(k)};
    apply_mrope(f, positions, ops, pool);
}

namespace detail {

/// The scalar twin's work on tokens [begin, end).
inline void apply_mrope_tokens_scalar(const mrope_frequencies& f, std::span<const std::int64_t> positions,
                                      std::span<const rope_operand> ops, int begin, int end) {
    const rope_frequencies& fr = f.frequencies();
    scalar_heads(fr, ops, begin, end, [&](int t, const float* in, float* out) {
        for (int i = 0; i < fr.pairs(); ++i) {
            const auto u = static_cast<std::size_t>(i);
            const double p = static_cast<double>(positions[3 * static_cast<std::size_t>(t) + static_cast<std::size_t>(f.axis_of_pair(i))]);
            const sincos_value v = sincos_of_angle(p, fr.theta_hi()[u], fr.theta_lo()[u]);
            const pair_index pi = fr.pair_indices(i);
            rotate_pair_scalar(in, out, pi.a, pi.b, v.cos * fr.attention_scale(), v.sin * fr.attention_scale());
        }
    });
}

}  // namespace detail

/// The scalar twin of apply_mrope (no threads).
inline void apply_mrope_scalar(const mrope_frequencies& f, std::span<const std::int64_t> positions,
                               std::span<const rope_operand> ops) {
    const int tokens = detail::check_mrope_call(f.frequencies(), positions, ops);
    detail::apply_mrope_tokens_scalar(f, positions, ops, 0, tokens);
}

}  // namespace posenc::kernels
