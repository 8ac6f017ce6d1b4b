// python/src/spec.hpp: a RoPE's parameters as the Python module holds them: one text per row of
// the parameter table (posenc/frequencies/params.hpp), so that every precision parses the numbers
// itself (a base given as "500000" is exact at 50 digits, not the double nearest it), with where
// each value came from (the table default, a keyword argument, or a config.json key).
//
// Names: a keyword is a row's field (head_dim, base, variant, layout, partial_rotary_factor,
// factor, ..., mrope_section, mrope_interleaved) or one of its config keys (rope_theta, rope_type,
// type, ...; the '|'-separated `keys` of the row) or its CLI names with '-' as '_'. Values: Python
// int, float (its shortest repr, which reads back as the same double), str, bool, or a list/tuple
// of numbers for the list rows.
#pragma once

#include <posenc/encodings/mrope.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/frequencies/params.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace posenc_py {

/// Where a parameter's value came from.
enum class origin { table_default, argument, config };

/// One parameter's value as text and its origin.
struct setting {
    std::string text;
    origin from = origin::table_default;
    std::string key;  ///< the keyword or the config key ("rope_scaling.factor"); "" for a default
};

/// Every parameter of a RoPE, in table order.
class rope_spec {
public:
    static constexpr std::size_t rows = posenc::rope_parameter_table.size();

    /// Every value at the table's default.
    rope_spec();

    /// The row of a keyword (field, config key, or CLI name with '_'); throws
    /// posenc::invalid_parameter("keyword", "one of ...") for an unknown name.
    [[nodiscard]] static std::size_t row_of(std::string_view name);

    /// Sets a row's value from a keyword argument (origin argument).
    void set(std::string_view name, std::string text);

    /// The values of one layer of a parsed config.json (origin config); `file` for messages.
    /// Throws posenc::config::error ("FILE: KEY: reason") from the reader.
    static rope_spec from_config_text(const std::string& text, const std::string& file, const std::string& layer_type);

    [[nodiscard]] const setting& at(std::string_view field) const { return values_[row_of(field)]; }
    [[nodiscard]] const std::array<setting, rows>& values() const { return values_; }
    /// An mrope_section is given.
    [[nodiscard]] bool is_mrope() const { return !at("mrope_section").text.empty(); }

    std::string config_file;  ///< the config.json path ("<dict>" for a dict), "" without one
    std::string layer_type;   ///< the layer type read ("" for a model with one kind of RoPE layer)
    std::string model_type;   ///< the config's model_type

    /// The parameters at precision T: numbers parsed from their text at T (double: correctly
    /// rounded, std::from_chars; Boost types: their string constructor), lists split at ','.
    /// A text that is not a number of its row's kind throws posenc::invalid_parameter naming the
    /// field. Ranges are checked later, by the rope's constructor.
    template <class T>
    [[nodiscard]] posenc::rope_params<T> params() const;

private:
    std::array<setting, rows> values_{};
};

/// A decimal text as T (see rope_spec::params); `field` names it in errors.
template <class T>
T parse_real(const std::string& text, const char* field);
/// A decimal integer text (no fraction, no exponent) as long.
long parse_integer(const std::string& text, const char* field);

}  // namespace posenc_py

#include "spec_impl.hpp"
