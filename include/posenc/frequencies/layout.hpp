// posenc/frequencies/layout.hpp: which dimensions of a head form a rotated pair. A header of its
// own (no math) so that the float32 kernels can name the layout without the constexpr stack.
#pragma once

#include <string_view>

namespace posenc {

/// Which dimensions form a rotated pair.
enum class pair_layout {
    interleaved,  ///< pairs (2i, 2i+1): GPT-J, RoFormer, ChatGLM, ggml mode 0
    half_split    ///< pairs (i, i + d/2): GPT-NeoX, HF rotate_half, ggml mode 2
};

/// "interleaved" or "half-split".
[[nodiscard]] constexpr std::string_view layout_name(pair_layout l) {
    return l == pair_layout::interleaved ? "interleaved" : "half-split";
}

/// Indices of the two components of a rotated pair.
struct pair_index {
    int a;
    int b;
};

}  // namespace posenc
