// posenc/frequencies/params.hpp: the one table of RoPE parameters.
//
// Every parameter of the frequency functions is written once, as a row of POSENC_ROPE_PARAMETERS:
// its field in rope_params<T>, its kind, its default, the keys a model's config.json may give it
// under (HF transformers' name first, then legacy aliases), the command-line names of the posenc
// tool, the rope types that read it, its valid range and its help text. From the table come:
//   - the rope_params<T> struct (one field per row, default member initialisers),
//   - rope_parameter_table: the rows as data (names, keys, help, range) for the CLI, metadata,
//     the config reader and `posenc inspect`,
//   - for_each_parameter(p, f): f(info, field) for every row, in table order,
//   - check_ranges(p): the range of every row, with an error naming the parameter and the range.
// Adding a parameter is one row here, plus its use in the frequency function that reads it.
//
// Key names follow transformers `modeling_rope_utils.py` (rope_parameters / rope_scaling keys) and
// `configuration_utils.py`; the aliases are the legacy or model-specific spellings the config
// reader (posenc/config) accepts for the same quantity.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../concepts.hpp"
#include "../encodings/error.hpp"
#include "../math/double_t.hpp"
#include "layout.hpp"

namespace posenc {

/// The frequency rule: HF transformers' rope_type (`standard` is HF's "default").
enum class rope_variant { standard, linear, dynamic, yarn, llama3, longrope, proportional };

/// Every rope type, in the order of rope_variant.
inline constexpr std::array<rope_variant, 7> all_rope_variants{
    rope_variant::standard, rope_variant::linear,   rope_variant::dynamic,     rope_variant::yarn,
    rope_variant::llama3,   rope_variant::longrope, rope_variant::proportional};

/// HF's name of a rope type ("default", "linear", "dynamic", "yarn", "llama3", "longrope", "proportional").
[[nodiscard]] constexpr std::string_view rope_type_name(rope_variant v) {
    constexpr std::array<std::string_view, 7> names{"default", "linear",   "dynamic",     "yarn",
                                                    "llama3",  "longrope", "proportional"};
    return names[static_cast<std::size_t>(v)];
}

namespace params {

/// What a parameter holds.
enum class kind { integer, real, flag, rope_type, layout, real_list, integer_list };

/// Bit set of rope types (bit = 1 << rope_variant).
using type_set = unsigned;
inline constexpr type_set standard = 1u << 0;
inline constexpr type_set linear = 1u << 1;
inline constexpr type_set dynamic = 1u << 2;
inline constexpr type_set yarn = 1u << 3;
inline constexpr type_set llama3 = 1u << 4;
inline constexpr type_set longrope = 1u << 5;
inline constexpr type_set proportional = 1u << 6;
inline constexpr type_set all = 0x7fu;
/// Read by mrope<T> (which axis turns each pair), by no frequency function: theta is unchanged.
inline constexpr type_set mrope_only = 0u;

[[nodiscard]] constexpr bool uses(type_set s, rope_variant v) { return (s >> static_cast<unsigned>(v)) & 1u; }

/// A numeric range with integer bounds: [lo or (lo, ... hi] or hi), either side optional.
struct range {
    bool has_lo = false;
    bool lo_open = false;
    long long lo = 0;
    bool has_hi = false;
    bool hi_open = false;
    long long hi = 0;

    /// True when x is finite and within the bounds.
    template <class T>
    [[nodiscard]] constexpr bool contains(const T& x) const {
        if (!math::is_finite(x)) return false;
        if (has_lo && (lo_open ? !(x > T(lo)) : !(x >= T(lo)))) return false;
        if (has_hi && (hi_open ? !(x < T(hi)) : !(x <= T(hi)))) return false;
        return true;
    }
    /// "> 1", ">= 0", "in (0, 1]", "any" (without "a finite number").
    [[nodiscard]] std::string text() const {
        if (has_lo && has_hi) {
            return std::string("in ") + (lo_open ? "(" : "[") + std::to_string(lo) + ", " + std::to_string(hi) +
                   (hi_open ? ")" : "]");
        }
        if (has_lo) return std::string(lo_open ? "> " : ">= ") + std::to_string(lo);
        if (has_hi) return std::string(hi_open ? "< " : "<= ") + std::to_string(hi);
        return "any";
    }
};

inline constexpr range any{};
[[nodiscard]] constexpr range above(long long lo) { return {true, true, lo, false, false, 0}; }
[[nodiscard]] constexpr range at_least(long long lo) { return {true, false, lo, false, false, 0}; }
[[nodiscard]] constexpr range open_closed(long long lo, long long hi) { return {true, true, lo, true, false, hi}; }
[[nodiscard]] constexpr range closed(long long lo, long long hi) { return {true, false, lo, true, false, hi}; }

/// One row of the table, as data.
struct info {
    std::string_view field;         ///< rope_params<T> member and the name in messages and metadata
    kind what;                      ///< what it holds
    std::string_view default_text;  ///< its default ("" for an empty list)
    std::string_view keys;          ///< config.json keys, '|'-separated, HF's first ("" if none)
    std::string_view cli;           ///< command-line names without "--", ','-separated, the first shown
    type_set used_by;               ///< rope types whose frequencies read it
    range valid;                    ///< for numbers and list elements
    std::string_view help;          ///< one line
};

}  // namespace params

// clang-format off
/// X(field, kind, default, config keys, CLI names, used by, valid range, help)
#define POSENC_ROPE_PARAMETERS(X)                                                                                   \
    X(head_dim, integer, "128", "head_dim", "dim,head-dim", all, closed(2, 65536),                                   \
      "Head dimension (even)")                                                                                       \
    X(base, real, "10000", "rope_theta|rotary_emb_base", "base,rope-theta", all, above(1),                           \
      "RoPE base theta")                                                                                             \
    X(variant, rope_type, "default", "rope_type|type", "variant,rope-type", all, any,                                \
      "Frequency rule: default, linear, dynamic, yarn, llama3, longrope, proportional")                                            \
    X(layout, layout, "half-split", "rope_interleave", "layout", all, any,                                           \
      "Pair layout: interleaved (GPT-J, ggml mode 0) or half-split (NeoX, HF rotate_half)")                          \
    X(partial_rotary_factor, real, "1", "partial_rotary_factor|rotary_pct", "partial-rotary-factor", all,            \
      open_closed(0, 1), "Fraction of the head that rotates")                                                        \
    X(factor, real, "1", "factor", "factor", linear | dynamic | yarn | llama3 | longrope | proportional, at_least(1),               \
      "Scaling factor")                                                                                              \
    X(original_max_position_embeddings, integer, "0", "original_max_position_embeddings",                            \
      "original-max-position-embeddings", yarn | llama3 | longrope, at_least(0),                                     \
      "Pretraining context L_orig (0: not given)")                                                                   \
    X(max_position_embeddings, integer, "0", "max_position_embeddings|n_positions|seq_length",                       \
      "max-position-embeddings", dynamic | yarn | longrope, at_least(0),                                             \
      "Context length; dynamic's L_max; yarn/longrope derive the factor from it when factor is 1 (0: not given)")    \
    X(seq_len, integer, "0", "", "seq-len", dynamic | longrope, at_least(0),                                         \
      "Current sequence length (0: not given, as at model init)")                                                    \
    X(beta_fast, real, "32", "beta_fast", "beta-fast", yarn, above(0), "YaRN beta_fast")                             \
    X(beta_slow, real, "1", "beta_slow", "beta-slow", yarn, above(0), "YaRN beta_slow")                              \
    X(mscale, real, "0", "mscale", "mscale", yarn, at_least(0), "YaRN mscale (0: not given)")                        \
    X(mscale_all_dim, real, "0", "mscale_all_dim", "mscale-all-dim", yarn, at_least(0),                              \
      "YaRN mscale_all_dim (0: not given)")                                                                          \
    X(attention_factor, real, "0", "attention_factor", "attention-factor", yarn | longrope, at_least(0),             \
      "Factor on cos and sin (0: derived from the factor)")                                                          \
    X(truncate, flag, "true", "truncate", "truncate", yarn, any,                                                     \
      "YaRN: floor/ceil the correction range (true/false)")                                                          \
    X(low_freq_factor, real, "1", "low_freq_factor", "low-freq-factor", llama3, above(0), "Llama-3 low_freq_factor") \
    X(high_freq_factor, real, "4", "high_freq_factor", "high-freq-factor", llama3, above(0),                         \
      "Llama-3 high_freq_factor")                                                                                    \
    X(short_factor, real_list, "", "short_factor", "short-factor", longrope, above(0),                               \
      "LongRoPE factors at or below L_orig: comma list, one per pair")                                               \
    X(long_factor, real_list, "", "long_factor", "long-factor", longrope, above(0),                                  \
      "LongRoPE factors beyond L_orig: comma list, one per pair")                                                    \
    X(mrope_section, integer_list, "", "mrope_section", "mrope-section", mrope_only, at_least(0),                      \
      "M-RoPE: pairs per axis t,h,w (sum rotary_dim/2); theta_i unchanged")                                        \
    X(mrope_interleaved, flag, "false", "mrope_interleaved", "mrope-interleaved", mrope_only, any,                     \
      "M-RoPE: axes cycle t,h,w over the pairs (Qwen3-VL) instead of blocks")
// clang-format on

namespace params {

template <class T, kind K>
struct value_of;
template <class T>
struct value_of<T, kind::integer> {
    using type = long;
};
template <class T>
struct value_of<T, kind::real> {
    using type = T;
};
template <class T>
struct value_of<T, kind::flag> {
    using type = bool;
};
template <class T>
struct value_of<T, kind::rope_type> {
    using type = rope_variant;
};
template <class T>
struct value_of<T, kind::layout> {
    using type = pair_layout;
};
template <class T>
struct value_of<T, kind::real_list> {
    using type = std::vector<T>;
};
template <class T>
struct value_of<T, kind::integer_list> {
    using type = std::vector<long>;
};

/// A non-negative decimal integer or "i.f" text as T (the table's defaults; constexpr).
template <class T>
[[nodiscard]] constexpr T decimal(std::string_view s) {
    T v = T(0);
    T scale_down = T(1);
    bool fraction = false;
    for (const char c : s) {
        if (c == '.') {
            fraction = true;
            continue;
        }
        v = T(v * T(10) + T(c - '0'));
        if (fraction) scale_down = T(scale_down * T(10));
    }
    return T(v / scale_down);
}

/// A rope type from its HF name; false if unknown.
[[nodiscard]] constexpr bool rope_type_from_name(std::string_view name, rope_variant& out) {
    for (const rope_variant v : all_rope_variants) {
        if (rope_type_name(v) == name) {
            out = v;
            return true;
        }
    }
    return false;
}

/// The table default of a row as its field's value.
template <class T, kind K>
[[nodiscard]] constexpr typename value_of<T, K>::type default_value(std::string_view text) {
    if constexpr (K == kind::integer) {
        return static_cast<long>(decimal<long long>(text));
    } else if constexpr (K == kind::real) {
        return decimal<T>(text);
    } else if constexpr (K == kind::flag) {
        return text == "true";
    } else if constexpr (K == kind::rope_type) {
        rope_variant v = rope_variant::standard;
        (void)rope_type_from_name(text, v);
        return v;
    } else if constexpr (K == kind::layout) {
        return text == "interleaved" ? pair_layout::interleaved : pair_layout::half_split;
    } else {
        return {};
    }
}

}  // namespace params

/// RoPE parameters: one field per row of POSENC_ROPE_PARAMETERS, with its default. A value of 0
/// for an optional length or factor means "not given" (HF's None).
template <Real T>
struct rope_params {
#define POSENC_ROPE_FIELD(field, kind_, def, keys, cli, used, valid, help) \
    typename params::value_of<T, params::kind::kind_>::type field =        \
        params::default_value<T, params::kind::kind_>(def);
    POSENC_ROPE_PARAMETERS(POSENC_ROPE_FIELD)
#undef POSENC_ROPE_FIELD
};

/// The rows of POSENC_ROPE_PARAMETERS as data, in table order.
inline constexpr auto rope_parameter_table = [] {
    using namespace params;
#define POSENC_ROPE_INFO(field, kind_, def, keys, cli, used, valid, help) \
    info{#field, kind::kind_, def, keys, cli, used, valid, help},
    return std::array{POSENC_ROPE_PARAMETERS(POSENC_ROPE_INFO)};
#undef POSENC_ROPE_INFO
}();

/// The row of `field`, or nullptr.
[[nodiscard]] constexpr const params::info* find_parameter(std::string_view field) {
    for (const params::info& i : rope_parameter_table) {
        if (i.field == field) return &i;
    }
    return nullptr;
}

/// f(info, field) for every row, in table order (P: rope_params<T> or const rope_params<T>).
template <class P, class F>
constexpr void for_each_parameter(P& p, F&& f) {
    std::size_t row = 0;
#define POSENC_ROPE_VISIT(field, kind_, def, keys, cli, used, valid, help) f(rope_parameter_table[row++], p.field);
    POSENC_ROPE_PARAMETERS(POSENC_ROPE_VISIT)
#undef POSENC_ROPE_VISIT
}

namespace params {

/// Throws invalid_parameter(field, "<range>") when a number (or list element) is outside its row's range.
template <class V>
constexpr void check_range(const info& row, const V& value) {
    if constexpr (std::is_same_v<V, bool> || std::is_same_v<V, rope_variant> || std::is_same_v<V, pair_layout>) {
        (void)row;
        (void)value;
    } else if constexpr (requires { value.size(); }) {
        for (const auto& x : value) check_range(row, x);
    } else {
        if (!row.valid.contains(value)) {
            throw invalid_parameter(row.field.data(), (row.what == kind::integer || row.what == kind::integer_list
                                                           ? "an integer "
                                                           : "a finite number ") +
                                                          row.valid.text());
        }
    }
}

}  // namespace params

/// p with every real parameter converted to U (each number by U's conversion from T: exact when U
/// holds every value of T, as a wider type or one of the same significand and a wider exponent
/// range does), every other parameter copied.
template <Real U, Real T>
[[nodiscard]] rope_params<U> rope_params_cast(const rope_params<T>& p) {
    rope_params<U> q;
#define POSENC_ROPE_CAST(field, kind_, def, keys, cli, used, valid, help)                     \
    if constexpr (params::kind::kind_ == params::kind::real) {                                  \
        q.field = U(p.field);                                                                   \
    } else if constexpr (params::kind::kind_ == params::kind::real_list) {                      \
        q.field.clear();                                                                        \
        for (const T& x : p.field) q.field.push_back(U(x));                                     \
    } else {                                                                                    \
        q.field = p.field;                                                                      \
    }
    POSENC_ROPE_PARAMETERS(POSENC_ROPE_CAST)
#undef POSENC_ROPE_CAST
    return q;
}

/// Checks every parameter against its row's range (relations between parameters, such as
/// beta_fast >= beta_slow, are checked by the frequency function that reads them).
template <Real T>
constexpr void check_ranges(const rope_params<T>& p) {
    for_each_parameter(p, [](const params::info& row, const auto& value) { params::check_range(row, value); });
}

}  // namespace posenc
