// python/src/spec_impl.hpp: the templates of spec.hpp (included at its end).
#pragma once

#include <posenc/encodings/error.hpp>

#include <charconv>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace posenc_py {

namespace detail {

/// [+-]digits[.digits][(e|E)[+-]digits], at least one digit before the exponent.
bool is_decimal(const std::string& s);
/// The comma-separated items of a list text ("" gives none).
std::vector<std::string> split_list(const std::string& text);
/// "true"/"false" (any case), else invalid_parameter(field).
bool parse_flag(const std::string& text, const char* field);
posenc::rope_variant parse_rope_type(const std::string& text, const char* field);
posenc::pair_layout parse_layout(const std::string& text, const char* field);

}  // namespace detail

template <class T>
T parse_real(const std::string& text, const char* field) {
    if (!detail::is_decimal(text)) throw posenc::invalid_parameter(field, "a decimal number, got '" + text + "'");
    if constexpr (std::is_same_v<T, double>) {
        const char* b = text.data() + (text.front() == '+' ? 1 : 0);
        double v = 0;
        const auto [end, ec] = std::from_chars(b, text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size()) {
            throw posenc::invalid_parameter(field, "a decimal number within the range of a double, got '" + text + "'");
        }
        return v;
    } else {
        return T(text);
    }
}

template <class T>
posenc::rope_params<T> rope_spec::params() const {
    posenc::rope_params<T> p;
    std::size_t row = 0;
    posenc::for_each_parameter(p, [&](const posenc::params::info& info, auto& field) {
        using F = std::remove_cvref_t<decltype(field)>;
        const std::string& text = values_[row++].text;
        const char* name = info.field.data();  // the table's string literal: NUL-terminated
        if constexpr (std::is_same_v<F, long>) {
            field = parse_integer(text, name);
        } else if constexpr (std::is_same_v<F, bool>) {
            field = detail::parse_flag(text, name);
        } else if constexpr (std::is_same_v<F, posenc::rope_variant>) {
            field = detail::parse_rope_type(text, name);
        } else if constexpr (std::is_same_v<F, posenc::pair_layout>) {
            field = detail::parse_layout(text, name);
        } else if constexpr (std::is_same_v<F, std::vector<long>>) {
            field.clear();
            for (const std::string& item : detail::split_list(text)) field.push_back(parse_integer(item, name));
        } else if constexpr (std::is_same_v<F, std::vector<T>>) {
            field.clear();
            for (const std::string& item : detail::split_list(text)) field.push_back(parse_real<T>(item, name));
        } else {
            static_assert(std::is_same_v<F, T>, "a parameter kind the Python module does not parse");
            field = parse_real<T>(text, name);
        }
    });
    return p;
}

}  // namespace posenc_py
