// The encoding options, generated from the parameter table (see encoding.hpp).
#include "common.hpp"

#include <posenc/config/config.hpp>

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace posenc_cli {
namespace {

using posenc::params::info;
using posenc::params::kind;

/// The index of a table row.
std::size_t row_index(std::string_view field) {
    for (std::size_t i = 0; i < posenc::rope_parameter_table.size(); ++i) {
        if (posenc::rope_parameter_table[i].field == field) return i;
    }
    throw std::logic_error(fmt::format("posenc: no parameter '{}' in the table", field));
}

/// The CLI names of a row: "dim,head-dim" -> {"--dim", "--head-dim"}.
std::vector<std::string> cli_names(const info& row) {
    std::vector<std::string> names;
    std::string_view rest = row.cli;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        names.push_back("--" + std::string(rest.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return names;
}

/// The rope types whose frequencies read a row, for its help text.
std::string used_by_text(const info& row) {
    if (row.used_by == posenc::params::all) return "";
    if (row.used_by == posenc::params::mrope_only) return " [M-RoPE]";
    std::string s;
    for (const posenc::rope_variant v : posenc::all_rope_variants) {
        if (posenc::params::uses(row.used_by, v)) s += (s.empty() ? "" : ", ") + std::string(posenc::rope_type_name(v));
    }
    return " [" + s + "]";
}

std::string help_text(const info& row) {
    std::string range;
    if (row.what == kind::integer || row.what == kind::real || row.what == kind::real_list || row.what == kind::integer_list) {
        range = fmt::format(" ({})", row.valid.text());
    }
    return std::string(row.help) + range + used_by_text(row);
}

/// The metadata name of a row: its first CLI name in snake case ("dim", "partial_rotary_factor").
/// attention_factor's line is attention_factor_option: the derived factor has its own line.
std::string metadata_name(const info& row) {
    std::string name = cli_names(row).front().substr(2);
    for (char& c : name) c = c == '-' ? '_' : c;
    if (name == "attention_factor") name += "_option";
    return name;
}

/// Every app with encoding options and its options.
std::vector<std::pair<const CLI::App*, encoding_options*>>& registered() {
    static std::vector<std::pair<const CLI::App*, encoding_options*>> apps;
    return apps;
}

void read_config(encoding_options& o) {
    posenc::config::model m;
    try {
        m = posenc::config::read_file(o.config);
        apply_config_layer(o, o.config, posenc::config::pick_layer(m, o.layer_type));
    } catch (const posenc::config::error& e) {
        throw usage_error(e.what());
    }
    o.config_sha256 = sha256_file(o.config);
}

}  // namespace

void apply_config_layer(encoding_options& o, const std::string& config, const posenc::config::layer& l) {
    o.config = config;
    o.config_layer = l.name;
    for (const auto& [field, s] : l.values) {
        encoding_setting& e = o.at(field);
        if (e.source == value_source::command_line) continue;
        e = {s.text, value_source::config, s.key};
    }
}

encoding_options::encoding_options() {
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = {std::string(posenc::rope_parameter_table[i].default_text), value_source::table_default, ""};
    }
}

encoding_setting& encoding_options::at(std::string_view field) { return values[row_index(field)]; }
const encoding_setting& encoding_options::at(std::string_view field) const { return values[row_index(field)]; }

void encoding_options::set(std::string_view field, std::string text) {
    encoding_setting& s = at(field);
    s.text = std::move(text);
    s.source = value_source::command_line;
    s.origin = cli_names(posenc::rope_parameter_table[row_index(field)]).front();
}

std::string encoding_options::where(std::string_view field) const {
    const std::size_t i = row_index(field);
    const encoding_setting& s = values[i];
    switch (s.source) {
        case value_source::command_line: return s.origin;
        case value_source::config: return fmt::format("{}: {}", config, s.origin);
        case value_source::table_default: break;
    }
    return cli_names(posenc::rope_parameter_table[i]).front() + " (default)";
}

int encoding_options::dim() const { return static_cast<int>(parse_integer_setting(*this, "head_dim")); }

std::string option_name(std::string_view parameter) {
    for (const info& row : posenc::rope_parameter_table) {
        if (row.field == parameter) return cli_names(row).front();
    }
    std::string name = "--";
    for (const char c : parameter) name += c == '_' ? '-' : c;
    return name;
}

long parse_integer_setting(const encoding_options& o, std::string_view field) {
    const std::string& text = o.text(field);
    long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        throw usage_error(fmt::format("{}: '{}' is not an integer", o.where(field), text));
    }
    const info& row = posenc::rope_parameter_table[row_index(field)];
    if (!row.valid.contains(static_cast<long double>(value))) {
        throw usage_error(fmt::format("{}: must be an integer {}, got {}", o.where(field), row.valid.text(), text));
    }
    return value;
}

void assign_setting(const encoding_options& o, const info& row, std::string_view, long& field) {
    field = parse_integer_setting(o, row.field);
}

void assign_setting(const encoding_options& o, const info& row, std::string_view, bool& field) {
    const std::string& t = o.text(row.field);
    if (t != "true" && t != "false") throw usage_error(fmt::format("{}: '{}' is not true or false", o.where(row.field), t));
    field = t == "true";
}

void assign_setting(const encoding_options& o, const info& row, std::string_view, posenc::rope_variant& field) {
    if (!posenc::params::rope_type_from_name(o.text(row.field), field)) {
        throw usage_error(fmt::format("{}: unknown rope type '{}'", o.where(row.field), o.text(row.field)));
    }
}

void assign_setting(const encoding_options& o, const info& row, std::string_view, posenc::pair_layout& field) {
    const std::string& t = o.text(row.field);
    if (t != "interleaved" && t != "half-split") {
        throw usage_error(fmt::format("{}: '{}' is not interleaved or half-split", o.where(row.field), t));
    }
    field = t == "interleaved" ? posenc::pair_layout::interleaved : posenc::pair_layout::half_split;
}

void assign_setting(const encoding_options& o, const info& row, std::string_view, std::vector<long>& field) {
    field.clear();
    const std::string& text = o.text(row.field);
    if (text.empty()) return;
    for (const std::string& item : split_list(text, o.where(row.field))) {
        long v = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (ec != std::errc{} || end != item.data() + item.size() || !row.valid.contains(static_cast<long double>(v))) {
            throw usage_error(fmt::format("{}: '{}' is not an integer {}", o.where(row.field), item, row.valid.text()));
        }
        field.push_back(v);
    }
}

void add_encoding_options(CLI::App* app, encoding_options& o) {
    for (std::size_t i = 0; i < posenc::rope_parameter_table.size(); ++i) {
        const info& row = posenc::rope_parameter_table[i];
        encoding_setting& s = o.values[i];
        std::string names;
        for (const std::string& n : cli_names(row)) names += (names.empty() ? "" : ",") + n;
        CLI::Option* opt = app->add_option(names, s.text, help_text(row));
        if (!row.default_text.empty()) opt->capture_default_str();
        if (row.what == kind::rope_type) {
            std::vector<std::string> choices;
            for (const posenc::rope_variant v : posenc::all_rope_variants) choices.emplace_back(posenc::rope_type_name(v));
            opt->check(CLI::IsMember(choices));
        } else if (row.what == kind::layout) {
            opt->check(CLI::IsMember({"interleaved", "half-split"}));
        } else if (row.what == kind::flag) {
            opt->check(CLI::IsMember({"true", "false"}));
        }
    }
    app->add_option("--config", o.config,
                    "A model's config.json (Hugging Face format): every parameter not given on the command line comes from it");
    app->add_option("--layer-type", o.layer_type,
                    "With --config: the attention layer type to read (full_attention, sliding_attention, ...) when the "
                    "model has several kinds of RoPE layer");
    registered().push_back({app, &o});
}

void resolve_encoding_options(const CLI::App* app) {
    for (auto& [a, o] : registered()) {
        if (a != app) continue;
        for (std::size_t i = 0; i < o->values.size(); ++i) {
            // count() of any of an option's names counts the option; it is named by its first name
            const std::string name = cli_names(posenc::rope_parameter_table[i]).front();
            if (app->count(name) > 0) {
                o->values[i].source = value_source::command_line;
                o->values[i].origin = name;
            }
        }
        if (!o->layer_type.empty() && o->config.empty()) throw usage_error("--layer-type: needs --config");
        if (!o->config.empty()) read_config(*o);
    }
}

std::string encoding_metadata(const encoding_options& o) {
    fmt::memory_buffer out;
    auto it = std::back_inserter(out);
    std::string sources;
    for (std::size_t i = 0; i < o.values.size(); ++i) {
        const info& row = posenc::rope_parameter_table[i];
        const encoding_setting& s = o.values[i];
        fmt::format_to(it, "# {}: {}\n", metadata_name(row), s.text.empty() ? "-" : s.text);
        if (s.source == value_source::command_line) {
            sources += fmt::format("{}{}=command line {}", sources.empty() ? "" : "; ", metadata_name(row), s.origin);
        } else if (s.source == value_source::config) {
            sources += fmt::format("{}{}=config {}", sources.empty() ? "" : "; ", metadata_name(row), s.origin);
        }
    }
    if (!o.config.empty()) {
        fmt::format_to(it, "# config: {}\n# config_sha256: {}\n# layer_type: {}\n", o.config, o.config_sha256,
                       o.config_layer.empty() ? "-" : o.config_layer);
    }
    fmt::format_to(it, "# parameter_sources: {}{}every other parameter: its default\n", sources, sources.empty() ? "" : "; ");
    return fmt::to_string(out);
}

std::string sha256_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(fmt::format("{}: cannot open the file", path));
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(ctx);
        throw io_error("SHA-256: OpenSSL could not start a digest");
    }
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const std::streamsize got = in.gcount();
        if (got > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(got));
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const int ok = EVP_DigestFinal_ex(ctx, digest, &len);
    EVP_MD_CTX_free(ctx);
    if (ok != 1 || in.bad()) throw io_error(fmt::format("{}: cannot read the file", path));
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

}  // namespace posenc_cli
