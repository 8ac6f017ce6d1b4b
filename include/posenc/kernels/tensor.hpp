// posenc/kernels/tensor.hpp: what the float32 kernels operate on and how they check it.
//
// A tensor is a strided view of float32 head vectors, shape [tokens][heads][head_dim]: element d of
// head h of token t is data[t * token_stride + h * head_stride + d] (strides in floats, the head
// vector itself contiguous). [tokens][heads][head_dim] storage has token_stride = heads * head_dim
// and head_stride = head_dim; [heads][tokens][head_dim] has token_stride = head_dim and head_stride =
// tokens * head_dim; any other non-overlapping placement (padding, a slice of a packed QKV buffer)
// is one more pair of strides.
//
// A kernel call takes one or more operands (typically Q and K), each an input view and an output
// view of the same shape: the same view for in place, a disjoint one for out of place. Before
// touching any data the kernel checks every operand and throws posenc::kernels::kernel_error,
// naming the argument and the allowed range, for: a null pointer, a negative or zero size, a
// head_dim other than the frequencies', strides under which two head vectors of one view overlap,
// an output that overlaps its input without being identical to it, and outputs (or an output and
// another operand's input) whose address ranges intersect.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "error.hpp"
#include "thread_pool.hpp"  // the kernels' optional thread_pool* argument

namespace posenc::kernels {

/// A strided [tokens][heads][head_dim] view of float32 data (see the file comment).
template <class F>
struct basic_tensor_view {
    F* data = nullptr;
    int tokens = 0;
    int heads = 0;
    int head_dim = 0;
    std::ptrdiff_t token_stride = 0;  ///< floats from token t to token t + 1
    std::ptrdiff_t head_stride = 0;   ///< floats from head h to head h + 1

    /// Storage [tokens][heads][head_dim].
    static constexpr basic_tensor_view tokens_major(F* data, int tokens, int heads, int head_dim) {
        return {data, tokens, heads, head_dim, static_cast<std::ptrdiff_t>(heads) * head_dim, head_dim};
    }
    /// Storage [heads][tokens][head_dim].
    static constexpr basic_tensor_view heads_major(F* data, int tokens, int heads, int head_dim) {
        return {data, tokens, heads, head_dim, head_dim, static_cast<std::ptrdiff_t>(tokens) * head_dim};
    }
    /// The head vector of token t, head h.
    [[nodiscard]] constexpr F* at(int t, int h) const { return data + t * token_stride + h * head_stride; }

    /// A view of const data (implicit, as for pointers).
    constexpr operator basic_tensor_view<const F>() const  // NOLINT(google-explicit-constructor)
        requires(!std::is_const_v<F>)
    {
        return {data, tokens, heads, head_dim, token_stride, head_stride};
    }
};

using tensor_view = basic_tensor_view<float>;
using const_tensor_view = basic_tensor_view<const float>;

/// One tensor to rotate: `out` receives the rotated `in`; out == in (same data and strides) rotates
/// in place. Dimensions past the rotary ones are copied (out of place) or left alone (in place).
struct rope_operand {
    const_tensor_view in;
    tensor_view out;

    /// In place.
    static rope_operand in_place(const tensor_view& t) { return {t, t}; }
};

namespace detail {

/// Pair rotations per token of a call (the work measure of for_ranges): the heads of every operand
/// times the pairs.
inline std::size_t pairs_per_token(std::span<const rope_operand> ops, int pairs) {
    std::size_t heads = 0;
    for (const rope_operand& op : ops) heads += static_cast<std::size_t>(op.in.heads);
    return std::max<std::size_t>(heads, 1) * static_cast<std::size_t>(std::max(pairs, 1));
}

}  // namespace detail

namespace detail {

/// The byte range [first, last) a view touches.
template <class F>
std::pair<std::uintptr_t, std::uintptr_t> extent(const basic_tensor_view<F>& v) {
    const std::ptrdiff_t last_offset = static_cast<std::ptrdiff_t>(v.tokens - 1) * v.token_stride +
                                       static_cast<std::ptrdiff_t>(v.heads - 1) * v.head_stride + v.head_dim;
    const auto first = reinterpret_cast<std::uintptr_t>(v.data);
    return {first, first + static_cast<std::uintptr_t>(last_offset) * sizeof(float)};
}

inline bool intersect(std::pair<std::uintptr_t, std::uintptr_t> a, std::pair<std::uintptr_t, std::uintptr_t> b) {
    return a.first < b.second && b.first < a.second;
}

/// Checks one view: non-null, sizes, head_dim, and that no two head vectors overlap (the strides,
/// positive, ordered so that the smaller one spans a whole head vector and the larger one a whole
/// run of the smaller).
template <class F>
void check_view(const basic_tensor_view<F>& v, const std::string& name, int tokens, int head_dim) {
    if (v.data == nullptr) throw kernel_error(name, "null data pointer");
    if (v.tokens != tokens) {
        throw kernel_error(name, "has " + std::to_string(v.tokens) + " tokens, the call needs " + std::to_string(tokens));
    }
    if (v.heads < 1) throw kernel_error(name, "heads must be >= 1 (got " + std::to_string(v.heads) + ")");
    if (v.head_dim != head_dim) {
        throw kernel_error(name, "head_dim is " + std::to_string(v.head_dim) + ", the frequencies are for " +
                                     std::to_string(head_dim));
    }
    // A stride along a dimension of size 1 is never used: give it the value that always passes.
    struct axis {
        std::ptrdiff_t stride;
        std::ptrdiff_t count;
    };
    axis a{v.tokens > 1 ? v.token_stride : std::ptrdiff_t{1} << 40, v.tokens};
    axis b{v.heads > 1 ? v.head_stride : std::ptrdiff_t{1} << 40, v.heads};
    if (a.stride <= 0 || b.stride <= 0) {
        throw kernel_error(name, "strides must be positive (token_stride " + std::to_string(v.token_stride) +
                                     ", head_stride " + std::to_string(v.head_stride) + ")");
    }
    if (b.stride < a.stride) std::swap(a, b);
    // Head vectors i a + j b (i < a.count, j < b.count, a <= b) of head_dim floats are disjoint when
    // a >= head_dim and each run along a ends before the next one begins: b >= (a.count - 1) a + head_dim.
    const bool a_ok = a.count <= 1 || a.stride >= head_dim;
    const bool b_ok = b.count <= 1 || b.stride >= (a.count - 1) * a.stride + head_dim;
    if (!a_ok || !b_ok) {
        throw kernel_error(name, "strides (token_stride " + std::to_string(v.token_stride) + ", head_stride " +
                                     std::to_string(v.head_stride) + ") make head vectors of " +
                                     std::to_string(head_dim) + " floats overlap");
    }
}

/// Checks every operand of a call (see the file comment).
inline void check_operands(std::span<const rope_operand> ops, int tokens, int head_dim) {
    if (ops.empty()) throw kernel_error("operands", "at least one tensor is needed");
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const std::string name = ops.size() == 1 ? "tensor" : (i == 0 ? "q" : (i == 1 ? "k" : "operand " + std::to_string(i)));
        check_view(ops[i].in, name + " (input)", tokens, head_dim);
        check_view(ops[i].out, name + " (output)", tokens, head_dim);
        const rope_operand& o = ops[i];
        if (o.in.heads != o.out.heads) throw kernel_error(name, "input and output have different numbers of heads");
        const bool same = o.in.data == o.out.data && o.in.token_stride == o.out.token_stride &&
                          o.in.head_stride == o.out.head_stride;
        if (!same && intersect(extent(o.in), extent(o.out))) {
            throw kernel_error(name, "the output overlaps the input without being the same view (in place needs the same "
                                     "data pointer and strides)");
        }
        for (std::size_t j = 0; j < i; ++j) {
            const std::string other = j == 0 ? "q" : (j == 1 ? "k" : "operand " + std::to_string(j));
            if (intersect(extent(o.out), extent(ops[j].out))) {
                throw kernel_error(name, "the output's memory overlaps the output of " + other);
            }
            if (intersect(extent(o.out), extent(ops[j].in)) || intersect(extent(ops[j].out), extent(o.in))) {
                throw kernel_error(name, "an output overlaps the input of another operand (" + other + ")");
            }
        }
    }
}

}  // namespace detail
}  // namespace posenc::kernels
