// python/src/spec.cpp: rope_spec (spec.hpp).
#include "spec.hpp"

#include <posenc/config/config.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace posenc_py {

namespace {

/// The '|'- or ','-separated names of a table column.
std::vector<std::string_view> names_of(std::string_view list, char sep) {
    std::vector<std::string_view> out;
    while (!list.empty()) {
        const std::size_t k = list.find(sep);
        out.push_back(list.substr(0, k));
        if (k == std::string_view::npos) break;
        list.remove_prefix(k + 1);
    }
    return out;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

namespace detail {

bool is_decimal(const std::string& s) {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        std::size_t e = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++e;
        if (e == 0 || e > 6) return false;
    }
    return i == s.size();
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    if (text.empty()) return out;
    std::size_t start = 0;
    while (true) {
        const std::size_t k = text.find(',', start);
        std::string item = text.substr(start, k == std::string::npos ? std::string::npos : k - start);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        out.push_back(item);
        if (k == std::string::npos) break;
        start = k + 1;
    }
    return out;
}

bool parse_flag(const std::string& text, const char* field) {
    const std::string t = lower(text);
    if (t == "true" || t == "1") return true;
    if (t == "false" || t == "0") return false;
    throw posenc::invalid_parameter(field, "true or false, got '" + text + "'");
}

posenc::rope_variant parse_rope_type(const std::string& text, const char* field) {
    posenc::rope_variant v{};
    if (posenc::params::rope_type_from_name(text, v)) return v;
    if (text == "mrope") return posenc::rope_variant::standard;  // Qwen2-VL's legacy name: default theta
    std::string known;
    for (const posenc::rope_variant k : posenc::all_rope_variants) {
        known += (known.empty() ? "" : ", ") + std::string(posenc::rope_type_name(k));
    }
    throw posenc::invalid_parameter(field, "one of " + known + ", got '" + text + "'");
}

posenc::pair_layout parse_layout(const std::string& text, const char* field) {
    if (text == "interleaved") return posenc::pair_layout::interleaved;
    if (text == "half-split" || text == "half_split") return posenc::pair_layout::half_split;
    throw posenc::invalid_parameter(field, "interleaved or half-split, got '" + text + "'");
}

}  // namespace detail

long parse_integer(const std::string& text, const char* field) {
    const char* b = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
    long v = 0;
    const auto [end, ec] = std::from_chars(b, text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        throw posenc::invalid_parameter(field, "an integer, got '" + text + "'");
    }
    return v;
}

rope_spec::rope_spec() {
    for (std::size_t i = 0; i < rows; ++i) values_[i] = {std::string(posenc::rope_parameter_table[i].default_text), origin::table_default, ""};
}

std::size_t rope_spec::row_of(std::string_view name) {
    for (std::size_t i = 0; i < rows; ++i) {
        const posenc::params::info& row = posenc::rope_parameter_table[i];
        if (row.field == name) return i;
        for (const std::string_view k : names_of(row.keys, '|')) {
            if (k == name) return i;
        }
        for (const std::string_view c : names_of(row.cli, ',')) {
            std::string u(c);
            std::replace(u.begin(), u.end(), '-', '_');
            if (u == name) return i;
        }
    }
    std::string known;
    for (const posenc::params::info& row : posenc::rope_parameter_table) known += (known.empty() ? "" : ", ") + std::string(row.field);
    throw posenc::invalid_parameter("keyword", "a RoPE parameter (" + known + ", or its config.json key such as rope_theta), got '" +
                                                   std::string(name) + "'");
}

void rope_spec::set(std::string_view name, std::string text) {
    setting& s = values_[row_of(name)];
    s = {std::move(text), origin::argument, std::string(name)};
}

rope_spec rope_spec::from_config_text(const std::string& text, const std::string& file, const std::string& layer_type) {
    const posenc::config::model m = posenc::config::parse(text, file);
    const posenc::config::layer& l = posenc::config::pick_layer(m, layer_type);
    rope_spec s;
    s.config_file = file;
    s.layer_type = l.name;
    s.model_type = m.model_type;
    for (const auto& [field, v] : l.values) s.values_[row_of(field)] = {v.text, origin::config, v.key};
    return s;
}

}  // namespace posenc_py
