// posenc/frequencies/mrope_axes.hpp: which position (t, h or w) turns each rotated pair of an
// M-RoPE (Qwen2-VL, arXiv 2409.12191 §2.1). A header of its own (no math) so that the float32
// kernels can use the map without the constexpr stack.
//
// A token has three positions (t, h, w); pair i of the rotated dimensions (frequency theta_i, the
// ordinary 1D frequencies) turns by the position of its axis: angle = p_axis(i) * theta_i.
// `mrope_section` = [s_t, s_h, s_w] (pairs per axis, s_t + s_h + s_w = rotary_dim / 2) assigns them:
//   sectioned (Qwen2-VL, Qwen2.5-VL, GLM-4.1V): consecutive blocks of frequency indices,
//     i < s_t -> t, s_t <= i < s_t + s_h -> h, the rest -> w. transformers
//     `modeling_qwen2_vl.py::apply_multimodal_rotary_pos_emb` splits the width-d cos/sin
//     (cat(freqs, freqs)) into chunks `mrope_section * 2` and takes axis j % 3 for chunk j, so both
//     halves of the half-split layout use the same map; `modeling_glm4v.py::
//     apply_multimodal_rotary_pos_emb` does the same split, keeps the first half and
//     `repeat_interleave(2)`s it onto interleaved pairs (2i, 2i + 1) (`rotate_half_llm`): the same
//     frequency-to-axis map with the other pair layout.
//   interleaved (`mrope_interleaved`: Qwen3-VL, Qwen3.5): transformers `modeling_qwen3_vl.py::
//     Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope` starts from t everywhere and overwrites
//     i = 1, 4, 7, ... < 3 s_h with h and i = 2, 5, 8, ... < 3 s_w with w (s_t is not read). For
//     [24, 20, 20] over 64 pairs: t h w t h w ... for i < 60, then t for 60..63. When 3 s_h or
//     3 s_w exceeds the pair count the cycle gives that axis fewer pairs than its section says
//     ([2, 4, 4] over 10 pairs: t h w t h w t h w t, counts 4, 3, 3); posenc follows transformers
//     there, and `posenc inspect` prints the counts the map really has.
// Valid sections: exactly three non-negative integers summing to the pair count (HF's torch.split
// fails otherwise on the sectioned path; the interleaved path would silently accept any sum).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace posenc {

/// The position axis that drives a pair.
enum class mrope_axis : unsigned char {
    t = 0,  ///< temporal
    h = 1,  ///< height
    w = 2   ///< width
};

/// "t", "h" or "w".
[[nodiscard]] constexpr std::string_view axis_name(mrope_axis a) {
    return a == mrope_axis::t ? "t" : a == mrope_axis::h ? "h" : "w";
}

/// What can be wrong with an mrope_section.
enum class mrope_section_check { ok, count, range, sum };

/// Checks `section` for `pairs` rotated pairs (constexpr; see mrope_section_message).
[[nodiscard]] constexpr mrope_section_check check_mrope_section(int pairs, std::span<const long> section) {
    if (section.size() != 3) return mrope_section_check::count;
    long sum = 0;
    for (const long s : section) {
        if (s < 0 || s > 65536) return mrope_section_check::range;
        sum += s;
    }
    return sum == pairs ? mrope_section_check::ok : mrope_section_check::sum;
}

/// The allowed values, with what `section` is, for an error message.
[[nodiscard]] inline std::string mrope_section_message(int pairs, std::span<const long> section) {
    std::string got = "[";
    long sum = 0;  // only printed when every entry is in range (then it cannot overflow)
    for (std::size_t i = 0; i < section.size(); ++i) {
        got += (i ? ", " : "") + std::to_string(section[i]);
        if (section[i] >= 0 && section[i] <= 65536) sum += section[i];
    }
    got += "]";
    const bool print_sum = check_mrope_section(pairs, section) == mrope_section_check::sum;
    return "3 integers [t, h, w] in [0, 65536] summing to the rotated pair count rotary_dim / 2 = " +
           std::to_string(pairs) + ", got " + got + (print_sum ? " (sum " + std::to_string(sum) + ")" : "");
}

/// The axis of pair i for every i < pairs (see the file comment). Precondition:
/// check_mrope_section(pairs, section) == ok.
[[nodiscard]] constexpr std::vector<mrope_axis> mrope_axis_map(int pairs, std::span<const long> section, bool interleaved) {
    std::vector<mrope_axis> map(static_cast<std::size_t>(pairs > 0 ? pairs : 0), mrope_axis::t);
    for (int i = 0; i < pairs; ++i) {
        const auto u = static_cast<std::size_t>(i);
        if (interleaved) {
            // apply_interleaved_mrope: idx = slice(offset, mrope_section[dim] * 3, 3) for (h, 1), (w, 2)
            if (i % 3 == 1 && i < 3 * section[1]) map[u] = mrope_axis::h;
            if (i % 3 == 2 && i < 3 * section[2]) map[u] = mrope_axis::w;
        } else {
            map[u] = i < section[0] ? mrope_axis::t : i < section[0] + section[1] ? mrope_axis::h : mrope_axis::w;
        }
    }
    return map;
}

}  // namespace posenc
