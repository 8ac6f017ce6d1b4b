// The encoding options every subcommand that takes a RoPE shares, generated from the parameter
// table (posenc/frequencies/params.hpp): one option per row (its CLI names, help, default and
// choices from the row), plus --config PATH (a model's config.json, read by posenc::config) and
// --layer-type NAME. A value comes from the command line if given there, else from the config,
// else from the table's default; the CSV metadata records each value and where it came from.
// Included at the end of common.hpp (it uses parse_number, parse_list and usage_error).
#pragma once

#include <posenc/encodings/mrope.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/frequencies.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace posenc::config {
struct layer;
}

namespace posenc_cli {

/// Where a parameter's value came from.
enum class value_source { table_default, config, command_line };

struct encoding_setting {
    std::string text;  ///< the value as text, parsed at the run's precision
    value_source source = value_source::table_default;
    std::string origin;  ///< "--factor", or the config key ("rope_scaling.factor")
};

struct encoding_options {
    /// Every value at the table's default.
    encoding_options();

    /// One setting per row of posenc::rope_parameter_table, in table order.
    std::array<encoding_setting, posenc::rope_parameter_table.size()> values{};
    std::string config;       ///< --config
    std::string layer_type;   ///< --layer-type
    std::string config_sha256;
    std::string config_layer;  ///< the layer type read ("" for a model with one kind of RoPE layer)

    [[nodiscard]] encoding_setting& at(std::string_view field);
    [[nodiscard]] const encoding_setting& at(std::string_view field) const;
    [[nodiscard]] const std::string& text(std::string_view field) const { return at(field).text; }
    /// Sets a value as if given on the command line (subcommands that vary one parameter).
    void set(std::string_view field, std::string text);
    /// Where an error about `field` points: "--factor", or "FILE: KEY" for a config value.
    [[nodiscard]] std::string where(std::string_view field) const;

    /// head_dim as an integer (usage_error naming where it came from).
    [[nodiscard]] int dim() const;
    [[nodiscard]] const std::string& base() const { return text("base"); }
    [[nodiscard]] const std::string& variant() const { return text("variant"); }
    [[nodiscard]] const std::string& layout() const { return text("layout"); }
};

/// Registers the table's options, --config and --layer-type on `app`; the values start at the
/// table's defaults. resolve_encoding_options(app) must run after parsing.
void add_encoding_options(CLI::App* app, encoding_options& o);

/// After parsing: marks the values given on the command line, reads --config (if any) for the
/// others; a config error becomes a usage_error "FILE: KEY: reason". Does nothing for an app
/// without encoding options.
void resolve_encoding_options(const CLI::App* app);

/// Takes every value of a config layer that was not given on the command line (source config);
/// `config` is the file's path, for messages.
void apply_config_layer(encoding_options& o, const std::string& config, const posenc::config::layer& l);

/// The metadata lines of the encoding: every parameter's value, the config file, its SHA-256 and
/// the layer type, and where each value that is not the table's default came from.
std::string encoding_metadata(const encoding_options& o);

/// The command-line option of a parameter (its table row's first CLI name): "--dim" for head_dim.
std::string option_name(std::string_view parameter);

/// SHA-256 of a file's bytes, lower-case hex (OpenSSL); io_error if it cannot be read.
std::string sha256_file(const std::string& path);

/// An integer setting (usage_error naming where it came from).
long parse_integer_setting(const encoding_options& o, std::string_view field);

/// The value of one setting into a rope_params field of matching type (numbers parsed at the
/// run's precision; errors name where the value came from).
void assign_setting(const encoding_options& o, const posenc::params::info& row, std::string_view, long& field);
void assign_setting(const encoding_options& o, const posenc::params::info& row, std::string_view, bool& field);
void assign_setting(const encoding_options& o, const posenc::params::info& row, std::string_view,
                    posenc::rope_variant& field);
void assign_setting(const encoding_options& o, const posenc::params::info& row, std::string_view,
                    posenc::pair_layout& field);
void assign_setting(const encoding_options& o, const posenc::params::info& row, std::string_view,
                    std::vector<long>& field);

template <class T>
void assign_setting(const encoding_options& o, const posenc::params::info& row, std::string_view precision, T& field) {
    field = parse_number<T>(o.text(row.field), precision, o.where(row.field));
}

template <class T>
void assign_setting(const encoding_options& o, const posenc::params::info& row, std::string_view precision,
                    std::vector<T>& field) {
    field = parse_list<T>(o.text(row.field), precision, o.where(row.field));
}

/// The RoPE parameters at precision T, every number read at that precision from its text.
template <class T>
posenc::rope_params<T> rope_params_from(const encoding_options& o, std::string_view precision) {
    posenc::rope_params<T> p;
    posenc::for_each_parameter(p, [&](const posenc::params::info& row, auto& field) {
        assign_setting(o, row, precision, field);
    });
    return p;
}

/// The RoPE of the options, its numbers read at precision T and computed in C (T itself, or a type
/// that gives T's bits faster: work_type.hpp's twin_t); an invalid parameter becomes a usage_error
/// naming where its value came from (the option, or the config key).
template <class T, class C = T>
posenc::rope<C> make_rope(const encoding_options& o, std::string_view precision) {
    if (o.text("mrope_interleaved") == "true" && o.text("mrope_section").empty()) {
        throw usage_error(fmt::format("{}: true needs an mrope_section (--mrope-section T,H,W)", o.where("mrope_interleaved")));
    }
    const posenc::rope_params<T> params = rope_params_from<T>(o, precision);
    try {
        return posenc::rope<C>(posenc::rope_params_cast<C>(params));
    } catch (const posenc::invalid_parameter& e) {
        throw usage_error(fmt::format("{}: {}", o.where(e.parameter()), e.what()));
    }
}

/// Whether the options describe an M-RoPE (an mrope_section is given, by option or config).
inline bool is_mrope(const encoding_options& o) { return !o.text("mrope_section").empty(); }

/// The M-RoPE of the options (is_mrope(o) must hold), read at precision T and computed in C as
/// make_rope's; an invalid parameter (among them an mrope_section that does not sum to the rotated
/// pairs) becomes a usage_error naming where its value came from.
template <class T, class C = T>
posenc::mrope<C> make_mrope(const encoding_options& o, std::string_view precision) {
    const posenc::rope_params<T> params = rope_params_from<T>(o, precision);
    try {
        return posenc::mrope<C>(posenc::rope_params_cast<C>(params));
    } catch (const posenc::invalid_parameter& e) {
        throw usage_error(fmt::format("{}: {}", o.where(e.parameter()), e.what()));
    }
}

}  // namespace posenc_cli
