// posenc/encodings/mrope_positions.hpp: the (t, h, w) position ids of an M-RoPE prompt, as
// transformers' `get_rope_index` computes them for Qwen2-VL, Qwen2.5-VL, Qwen3-VL / Qwen3.5 and
// GLM-4.1V (read at transformers commit 00b676f8):
//   qwen2_vl    models/qwen2_vl/modeling_qwen2_vl.py, Qwen2VLModel.get_rope_index
//   qwen2_5_vl  models/qwen2_5_vl/modeling_qwen2_5_vl.py, Qwen2_5_VLModel.get_rope_index
//   qwen3_vl    models/qwen3_vl/modeling_qwen3_vl.py, Qwen3VLModel.get_rope_index (Qwen3.5:
//               models/qwen3_5/modular_qwen3_5.py, Qwen3_5Model(Qwen3VLModel), inherited)
//   glm4v       models/glm4v/modeling_glm4v.py, Glm4vModel.get_rope_index
// The positions feed mrope<T> (encodings/mrope.hpp) as position3 values.
//
// A prompt is a list of segments (upstream finds them in the token ids; here the caller names them):
//   mrope_text{count}         count text tokens. Every token that is not an image or video pad is
//                             text: <|vision_start|>, <|vision_end|>, <|begin_of_image|>, the
//                             timestamps ("<0.5 seconds>") between video frames, ...
//   mrope_image{t, h, w}      the patch grid before the spatial merge (image_grid_thw); it stands for
//                             t * (h/m) * (w/m) tokens, m = spatial_merge_size.
//   mrope_video{t, h, w, s}   the same for video_grid_thw; s = second_per_grid_t (Qwen2.5-VL only).
// The rules, with S = (largest position so far) + 1, S = 0 at the start (upstream:
// `st_idx = llm_pos_ids_list[-1].max() + 1`, then `+ text_len + st_idx` for the vision block, or
// `+ st_idx` of each type group in GLM-4.1V):
//   text token k of a run (k = 0, 1, ...): t = h = w = S + k.
//   grid (T, H', W') = (t, h/m, w/m) at S: tokens in the order t' major, then h', then w' (upstream
//     `t_index`, `h_index`, `w_index` flattened); token (t', h', w') is at
//     (S + tindex(t'), S + h', S + w').
//   tindex for images: t' for qwen2_vl, qwen3_vl and glm4v; 0 for qwen2_5_vl (upstream sets
//     second_per_grid_t = 0 for images; their T is 1 in practice).
//   tindex for videos:
//     qwen2_vl:   t'.
//     qwen2_5_vl: long(t' * s * tokens_per_second), the product formed in double left to right,
//                 then truncated (the documented formula: `time_tensor = expanded_range *
//                 second_per_grid_t * tokens_per_second; t_index = time_tensor.long()`).
//                 Version note: transformers 00b676f8 first does `torch.as_tensor(second_per_grid_t,
//                 dtype=range_tensor.dtype)` (int64), which truncates a fractional s (0.5 -> 0)
//                 before the product, and older versions multiply in float32; both can differ from
//                 this exact-product rule for fractional s. tokens_per_second is
//                 vision_config.tokens_per_second (2 in Qwen2.5-VL-7B's config.json; the docstring
//                 example uses 25).
//     qwen3_vl, glm4v: the video is T frames, each its own grid (1, H', W') at its own S, so frame
//                 tokens are (S, S + h', S + w'). Qwen3-VL: `video_grid_thw =
//                 torch.repeat_interleave(video_grid_thw, video_grid_thw[:, 0], dim=0);
//                 video_grid_thw[:, 0] = 1` ("Since we use timestamps to separate videos ..."). GLM-4.1V:
//                 each run of image tokens inside <|begin_of_video|> ... <|end_of_video|> is one
//                 frame group with llm_grid_t = video_frame_num, which is 1 in every prompt the
//                 processor makes (it is reset to 1 by the text between frames), hence t index 0;
//                 video_grid_thw[i][0] counts the groups of video i. s is ignored.
//                 In real prompts text sits between frames (Qwen3-VL: "<t> <|vision_start|> frame
//                 <|vision_end|>"; GLM-4.1V: "<|begin_of_image|> frame <|end_of_image|> t"); a caller
//                 reproducing such a prompt passes one mrope_video{1, h, w} per frame with the text
//                 segments between them. A mrope_video{T, h, w} with T > 1 means T frames with no
//                 text between: each frame still starts at (largest so far) + 1. Upstream cannot
//                 express that prompt (Qwen3-VL counts a video item only where <|vision_start|> is
//                 followed by a video pad; GLM-4.1V merges adjacent frames into one group).
//   The GLM-4.1V docstring repeats Qwen2.5-VL's example (t = 0, 50, 100 with 25 tokens per second);
//   its code applies no time scaling, and posenc follows the code. For the segment lists of this API
//   qwen3_vl and glm4v give identical positions; they differ upstream only in how items are found
//   in the token ids.
//   rope_delta = (largest position) + 1 - (token count) (upstream `mrope_position_deltas`, no
//   padding). Decoding continues with text: the token at cache position c (c >= token count) is at
//   c + rope_delta; next_position = (largest position) + 1 = token count + rope_delta is the first.
//   An empty prompt gives no ids, rope_delta 0 and next_position 0 (upstream's text-only branch).
//
// Checks (posenc::invalid_parameter naming the field; mrope_positions_error carries names such as
// "segments[3].h"):
//   spatial_merge_size >= 1; tokens_per_second finite and >= 0 (checked for every rule);
//   segments[i].count >= 0; segments[i].t, .h, .w >= 1 with h and w multiples of
//   spatial_merge_size (upstream's `h // spatial_merge_size` would silently drop a remainder, and
//   the processor never makes one); segments[i].seconds_per_grid finite and >= 0 (every rule);
//   at most mrope_max_tokens = 2^24 tokens in all ("segments"; 16.7 M tokens, 400 MB of ids, far
//   beyond any model's context), so memory stays bounded; every position <= mrope_max_position =
//   2^53 ("segments[i]"), so that each one is exact in a double and the int64 sums cannot overflow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "error.hpp"
#include "mrope.hpp"

namespace posenc {

/// Which upstream get_rope_index a prompt's positions follow.
enum class mrope_rule : unsigned char {
    qwen2_vl,    ///< Qwen2-VL: video t index = t'
    qwen2_5_vl,  ///< Qwen2.5-VL: video t index = long(t' * seconds_per_grid * tokens_per_second)
    qwen3_vl,    ///< Qwen3-VL, Qwen3.5: every video frame a grid of its own
    glm4v        ///< GLM-4.1V, GLM-4.5V: every video frame a grid of its own
};

/// Every rule, in declaration order.
inline constexpr mrope_rule all_mrope_rules[] = {mrope_rule::qwen2_vl, mrope_rule::qwen2_5_vl, mrope_rule::qwen3_vl,
                                                 mrope_rule::glm4v};

/// "qwen2_vl", "qwen2_5_vl", "qwen3_vl" or "glm4v".
[[nodiscard]] constexpr std::string_view mrope_rule_name(mrope_rule r) {
    switch (r) {
        case mrope_rule::qwen2_vl: return "qwen2_vl";
        case mrope_rule::qwen2_5_vl: return "qwen2_5_vl";
        case mrope_rule::qwen3_vl: return "qwen3_vl";
        case mrope_rule::glm4v: return "glm4v";
    }
    return "qwen2_vl";
}

/// The rule of that name (mrope_rule_name); false if none.
[[nodiscard]] constexpr bool mrope_rule_from_name(std::string_view name, mrope_rule& out) {
    for (const mrope_rule r : all_mrope_rules) {
        if (mrope_rule_name(r) == name) {
            out = r;
            return true;
        }
    }
    return false;
}

/// A config.json model_type (top level or text_config) and its rule.
struct mrope_model_type {
    std::string_view model_type;
    mrope_rule rule;
};

/// The model types whose get_rope_index is one of the four (the *_moe and *_text variants share
/// their family's: Qwen3VLMoeModel, Qwen3_5Model / Qwen3_5MoeModel inherit Qwen3VLModel's;
/// Glm4vMoeModel is generated from Glm4vModel).
inline constexpr mrope_model_type mrope_model_types[] = {
    {"qwen2_vl", mrope_rule::qwen2_vl},          {"qwen2_vl_text", mrope_rule::qwen2_vl},
    {"qwen2_5_vl", mrope_rule::qwen2_5_vl},      {"qwen2_5_vl_text", mrope_rule::qwen2_5_vl},
    {"qwen3_vl", mrope_rule::qwen3_vl},          {"qwen3_vl_text", mrope_rule::qwen3_vl},
    {"qwen3_vl_moe", mrope_rule::qwen3_vl},      {"qwen3_vl_moe_text", mrope_rule::qwen3_vl},
    {"qwen3_5", mrope_rule::qwen3_vl},           {"qwen3_5_text", mrope_rule::qwen3_vl},
    {"qwen3_5_moe", mrope_rule::qwen3_vl},       {"qwen3_5_moe_text", mrope_rule::qwen3_vl},
    {"glm4v", mrope_rule::glm4v},                {"glm4v_text", mrope_rule::glm4v},
    {"glm4v_moe", mrope_rule::glm4v},            {"glm4v_moe_text", mrope_rule::glm4v},
};

/// The rule of a config's model_type; false if the model type has none (not an M-RoPE model).
[[nodiscard]] constexpr bool mrope_rule_from_model_type(std::string_view model_type, mrope_rule& out) {
    for (const mrope_model_type& m : mrope_model_types) {
        if (m.model_type == model_type) {
            out = m.rule;
            return true;
        }
    }
    return false;
}

/// `count` text tokens.
struct mrope_text {
    std::int64_t count{};
};

/// An image: its patch grid before the spatial merge (a row of image_grid_thw).
struct mrope_image {
    std::int64_t t{};
    std::int64_t h{};
    std::int64_t w{};
};

/// A video: its patch grid before the spatial merge (a row of video_grid_thw) and, for Qwen2.5-VL,
/// the seconds per temporal patch (second_per_grid_ts: temporal_patch_size / fps).
struct mrope_video {
    std::int64_t t{};
    std::int64_t h{};
    std::int64_t w{};
    double seconds_per_grid = 1.0;
};

/// One piece of a prompt.
using mrope_segment = std::variant<mrope_text, mrope_image, mrope_video>;

/// The vision settings get_rope_index reads (config.json vision_config).
struct mrope_vision_settings {
    std::int64_t spatial_merge_size = 2;  ///< vision_config.spatial_merge_size
    double tokens_per_second = 2.0;       ///< vision_config.tokens_per_second (Qwen2.5-VL only)
};

/// The positions of a prompt.
struct mrope_positions {
    std::vector<position3<std::int64_t>> ids{};  ///< one per token
    std::int64_t rope_delta = 0;                  ///< largest position + 1 - token count
    std::int64_t next_position = 0;               ///< largest position + 1: the next text token's
};

/// The most tokens a prompt may have (2^24).
inline constexpr std::int64_t mrope_max_tokens = std::int64_t{1} << 24;
/// The largest position allowed (2^53: exact in a double).
inline constexpr std::int64_t mrope_max_position = std::int64_t{1} << 53;

namespace detail {

/// The owned texts of an mrope_positions_error (a base, so they exist before invalid_parameter's
/// constructor takes a pointer to the name).
struct mrope_error_text {
    std::string owned_parameter;
    std::string owned_allowed;
};

}  // namespace detail

/// invalid_parameter with a parameter name made at run time ("segments[3].h"), which it owns.
class mrope_positions_error : private detail::mrope_error_text, public invalid_parameter {
public:
    mrope_positions_error(std::string parameter, std::string allowed)
        : detail::mrope_error_text{std::move(parameter), std::move(allowed)},
          invalid_parameter(owned_parameter.c_str(), owned_allowed) {}
    /// A copy points at its own name.
    mrope_positions_error(const mrope_positions_error& other)
        : mrope_positions_error(other.owned_parameter, other.owned_allowed) {}
    mrope_positions_error& operator=(const mrope_positions_error&) = delete;
    ~mrope_positions_error() override = default;
};

namespace detail {

[[noreturn]] inline void mrope_segment_error(std::size_t i, std::string_view field, const std::string& allowed) {
    std::string name = "segments[" + std::to_string(i) + "]";
    if (!field.empty()) name += "." + std::string(field);
    throw mrope_positions_error(std::move(name), allowed);
}

[[noreturn]] inline void mrope_grid_error(std::size_t i, std::string_view field, std::int64_t value, std::int64_t m,
                                          bool multiple) {
    mrope_segment_error(i, field,
                        std::string(multiple ? "an integer >= 1 and a multiple of spatial_merge_size = " + std::to_string(m)
                                             : std::string("an integer >= 1")) +
                            ", got " + std::to_string(value));
}

[[noreturn]] inline void mrope_token_limit_error(std::size_t i) {
    throw mrope_positions_error("segments", "at most mrope_max_tokens = 2^24 = 16777216 tokens in all; segments[" +
                                                std::to_string(i) + "] takes the count past it");
}

[[noreturn]] inline void mrope_position_limit_error(std::size_t i) {
    mrope_segment_error(i, "", "a segment whose positions stay <= mrope_max_position = 2^53 (they would exceed it)");
}

/// Checks one grid (t, h, w) of segment i and returns its token count; `total` is the count so far.
constexpr std::int64_t mrope_grid_tokens(std::size_t i, std::int64_t t, std::int64_t h, std::int64_t w, std::int64_t m,
                                         std::int64_t total) {
    if (t < 1) mrope_grid_error(i, "t", t, m, false);
    if (h < 1 || h % m != 0) mrope_grid_error(i, "h", h, m, true);
    if (w < 1 || w % m != 0) mrope_grid_error(i, "w", w, m, true);
    const std::int64_t room = mrope_max_tokens - total;  // >= 0
    // Each factor <= room <= 2^24 before a product is formed: no overflow.
    if (t > room || h / m > room || w / m > room) mrope_token_limit_error(i);
    const std::int64_t th = t * (h / m);
    if (th > room) mrope_token_limit_error(i);
    const std::int64_t n = th * (w / m);
    if (n > room) mrope_token_limit_error(i);
    return n;
}

/// Validates every segment; returns the token count.
constexpr std::int64_t mrope_checked_token_count(std::span<const mrope_segment> segments, std::int64_t m) {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const mrope_segment& s = segments[i];
        if (const auto* x = std::get_if<mrope_text>(&s)) {
            if (x->count < 0) mrope_segment_error(i, "count", "an integer >= 0, got " + std::to_string(x->count));
            if (x->count > mrope_max_tokens - total) mrope_token_limit_error(i);
            total += x->count;
        } else if (const auto* g = std::get_if<mrope_image>(&s)) {
            total += mrope_grid_tokens(i, g->t, g->h, g->w, m, total);
        } else if (const auto* v = std::get_if<mrope_video>(&s)) {
            if (!(math::is_finite(v->seconds_per_grid) && v->seconds_per_grid >= 0.0)) {
                mrope_segment_error(i, "seconds_per_grid", "a finite number >= 0, got " + std::to_string(v->seconds_per_grid));
            }
            total += mrope_grid_tokens(i, v->t, v->h, v->w, m, total);
        }
    }
    return total;
}

/// Appends a grid of `frames` x hh x ww tokens at S = next (t index tindex(t'), monotone in t') and
/// moves next past its largest position. Segment i is named if a position would pass 2^53.
template <class TIndex>
constexpr void mrope_append_grid(std::vector<position3<std::int64_t>>& ids, std::int64_t& next, std::size_t i,
                                 std::int64_t frames, std::int64_t hh, std::int64_t ww, TIndex tindex) {
    const std::int64_t s = next;
    const std::int64_t t_last = tindex(frames - 1);  // the largest t index (tindex checks its own range)
    std::int64_t span = t_last;
    if (hh - 1 > span) span = hh - 1;
    if (ww - 1 > span) span = ww - 1;
    if (span > mrope_max_position - s) mrope_position_limit_error(i);
    for (std::int64_t tp = 0; tp < frames; ++tp) {
        const std::int64_t t = s + tindex(tp);
        for (std::int64_t y = 0; y < hh; ++y) {
            for (std::int64_t x = 0; x < ww; ++x) ids.push_back({t, s + y, s + x});
        }
    }
    next = s + span + 1;
}

}  // namespace detail

/// The token count of the prompt `segments` (the same for every rule), after the checks of the
/// file comment except the position limit; nothing is allocated. Throws as mrope_position_ids.
[[nodiscard]] constexpr std::int64_t mrope_token_count(std::span<const mrope_segment> segments,
                                                       const mrope_vision_settings& vision = {}) {
    const std::int64_t m = vision.spatial_merge_size;
    POSENC_REQUIRE(m >= 1, "spatial_merge_size", "an integer >= 1, got " + std::to_string(m));
    const double tps = vision.tokens_per_second;
    POSENC_REQUIRE(math::is_finite(tps) && tps >= 0.0, "tokens_per_second", "a finite number >= 0, got " + std::to_string(tps));
    return detail::mrope_checked_token_count(segments, m);
}

/// The (t, h, w) position of every token of the prompt `segments` under `rule` (see the file
/// comment for the rules, the limits and the upstream functions), with rope_delta and the next
/// text position. Throws posenc::invalid_parameter (mrope_positions_error) naming the bad field.
[[nodiscard]] constexpr mrope_positions mrope_position_ids(mrope_rule rule, std::span<const mrope_segment> segments,
                                                           const mrope_vision_settings& vision = {}) {
    const std::int64_t n = mrope_token_count(segments, vision);
    const std::int64_t m = vision.spatial_merge_size;
    const double tps = vision.tokens_per_second;

    mrope_positions out;
    out.ids.reserve(static_cast<std::size_t>(n));
    std::int64_t next = 0;  // (largest position so far) + 1
    const auto plain = [](std::int64_t tp) { return tp; };
    const auto zero = [](std::int64_t) { return std::int64_t{0}; };
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const mrope_segment& seg = segments[i];
        if (const auto* x = std::get_if<mrope_text>(&seg)) {
            if (x->count == 0) continue;
            if (x->count - 1 > mrope_max_position - next) detail::mrope_position_limit_error(i);
            for (std::int64_t k = 0; k < x->count; ++k) out.ids.push_back(position3<std::int64_t>::text(next + k));
            next += x->count;
        } else if (const auto* g = std::get_if<mrope_image>(&seg)) {
            if (rule == mrope_rule::qwen2_5_vl) {
                detail::mrope_append_grid(out.ids, next, i, g->t, g->h / m, g->w / m, zero);
            } else {
                detail::mrope_append_grid(out.ids, next, i, g->t, g->h / m, g->w / m, plain);
            }
        } else if (const auto* v = std::get_if<mrope_video>(&seg)) {
            const std::int64_t hh = v->h / m;
            const std::int64_t ww = v->w / m;
            switch (rule) {
                case mrope_rule::qwen2_vl: detail::mrope_append_grid(out.ids, next, i, v->t, hh, ww, plain); break;
                case mrope_rule::qwen2_5_vl: {
                    const double spg = v->seconds_per_grid;
                    const auto scaled = [spg, tps, i](std::int64_t tp) {
                        // time_tensor = expanded_range * second_per_grid_t * tokens_per_second; .long()
                        const double time = static_cast<double>(tp) * spg * tps;
                        if (!(time <= static_cast<double>(mrope_max_position))) detail::mrope_position_limit_error(i);
                        return static_cast<std::int64_t>(time);  // truncation; time >= 0
                    };
                    detail::mrope_append_grid(out.ids, next, i, v->t, hh, ww, scaled);
                    break;
                }
                case mrope_rule::qwen3_vl:
                case mrope_rule::glm4v:
                    for (std::int64_t f = 0; f < v->t; ++f) detail::mrope_append_grid(out.ids, next, i, 1, hh, ww, zero);
                    break;
            }
        }
    }
    out.next_position = next;
    out.rope_delta = next - n;
    return out;
}

/// mrope_position_ids over a braced list of segments.
[[nodiscard]] constexpr mrope_positions mrope_position_ids(mrope_rule rule, std::initializer_list<mrope_segment> segments,
                                                           const mrope_vision_settings& vision = {}) {
    return mrope_position_ids(rule, std::span<const mrope_segment>(segments.begin(), segments.size()), vision);
}

}  // namespace posenc
