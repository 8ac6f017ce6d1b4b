// posenc inspect: a model's RoPE at a glance, from its config.json: per layer type the rope type,
// head size, rotated dims and pairs, layout, base, scaling parameters, attention factor, theta and
// wavelength ranges, how many pairs turn fully within the original and the maximum context, Men
// et al.'s context length L_theta (eq. 10) against max_position_embeddings, the fp32-product phase
// error at max_position_embeddings; then the keys read and ignored. Text or JSON.
#include "common.hpp"
#include "pipelines.hpp"

#include <posenc/analysis.hpp>
#include <posenc/config/config.hpp>

#include <algorithm>
#include <cmath>

namespace posenc_cli {
namespace {

using big = mp::cpp_bin_float_50;
using json = nlohmann::ordered_json;

struct inspect_options {
    std::string config;
    std::string layer_type;
    std::string format = "text";
    std::string out;
};

/// The values of one layer type that a reader wants.
struct layer_report {
    std::string name;
    encoding_options enc;
    int head_dim = 0;
    int rotary_dim = 0;
    int pairs = 0;
    int rotating_pairs = 0;  ///< pairs with theta > 0
    double attention_factor = 1;
    double theta_max = 0, theta_min = 0;  ///< over the pairs with theta > 0
    long long original = 0;               ///< original context (original_max_position_embeddings, else max)
    long long max_positions = 0;          ///< max_position_embeddings (0: not given)
    int turns_original = 0, turns_max = 0;
    long long first_negative_b = -1;  ///< Men et al.: first m with B_m < 0 within [0, max_positions], -1: none
    double fp32_phase_error = 0;      ///< rad, at max_positions
    std::vector<posenc::mrope_axis> mrope_axes;  ///< M-RoPE: the axis of every pair (empty: 1D)
    std::vector<double> theta;                   ///< inv_freq (double)
};

/// The pairs that follow axis a.
std::vector<int> pairs_of_axis(const layer_report& r, posenc::mrope_axis a) {
    std::vector<int> out;
    for (std::size_t i = 0; i < r.mrope_axes.size(); ++i) {
        if (r.mrope_axes[i] == a) out.push_back(static_cast<int>(i));
    }
    return out;
}

/// A list of pair indices as runs: "0..15", "1..58 step 3", "60, 61".
std::string index_runs(const std::vector<int>& v) {
    std::string s;
    std::size_t i = 0;
    while (i < v.size()) {
        std::size_t j = i + 1;
        if (j < v.size()) {
            const int step = v[j] - v[i];
            while (j + 1 < v.size() && v[j + 1] - v[j] == step) ++j;
            if (j - i >= 2) {  // three or more in arithmetic progression
                s += fmt::format("{}{}..{}{}", s.empty() ? "" : ", ", v[i], v[j], step == 1 ? "" : fmt::format(" step {}", step));
                i = j + 1;
                continue;
            }
        }
        s += fmt::format("{}{}", s.empty() ? "" : ", ", v[i]);
        i += 1;
    }
    return s.empty() ? "none" : s;
}

/// Shortest and longest wavelength 2 pi / theta over the listed pairs with theta > 0.
std::pair<double, double> wavelength_range(const layer_report& r, const std::vector<int>& pairs) {
    double lo = 0, hi = 0;
    for (const int i : pairs) {
        const double t = r.theta[static_cast<std::size_t>(i)];
        if (!(t > 0)) continue;
        const double w = 2 * M_PI / t;
        lo = lo == 0 ? w : std::min(lo, w);
        hi = std::max(hi, w);
    }
    return {lo, hi};
}

constexpr posenc::mrope_axis all_axes[] = {posenc::mrope_axis::t, posenc::mrope_axis::h, posenc::mrope_axis::w};

/// Pairs whose wavelength 2 pi / theta is at most L (they turn fully within L positions).
int full_turns(const std::vector<double>& theta, long long L) {
    int n = 0;
    for (const double t : theta) n += t > 0 && 2 * M_PI / t <= static_cast<double>(L) ? 1 : 0;
    return n;
}

/// max over pairs of |fp32-product angle - exact angle| at position m (precision pipelines).
double fp32_phase_error(const encoding_options& enc, const posenc::rope<big>& ref, long long m) {
    const float_pipelines fp(enc, ref.inv_freq(), ref.rotary_dim());
    double worst = 0;
    for (std::size_t i = 0; i < ref.inv_freq().size(); ++i) {
        const float a = fp.product_angle(m, i, identity);
        const big exact = big(m) * ref.inv_freq()[i];
        worst = std::max(worst, static_cast<double>(abs(big(big(a) - exact))));
    }
    return worst;
}

layer_report analyse(const std::string& path, const posenc::config::layer& l) {
    layer_report r;
    r.name = l.name;
    apply_config_layer(r.enc, path, l);
    const posenc::rope<double> rd = make_rope<double>(r.enc, "double");
    const posenc::rope<big> rb = make_rope<big>(r.enc, "50");
    r.head_dim = rd.head_dim();
    r.rotary_dim = rd.rotary_dim();
    r.pairs = rd.pairs();
    r.attention_factor = rd.attention_factor();
    r.theta = rd.inv_freq();
    if (is_mrope(r.enc)) r.mrope_axes = make_mrope<double>(r.enc, "double").axes();
    std::vector<double> rotating;
    for (const double t : rd.inv_freq()) {
        if (t > 0) rotating.push_back(t);
    }
    r.rotating_pairs = static_cast<int>(rotating.size());
    r.theta_max = rotating.empty() ? 0 : *std::max_element(rotating.begin(), rotating.end());
    r.theta_min = rotating.empty() ? 0 : *std::min_element(rotating.begin(), rotating.end());
    r.max_positions = parse_integer_setting(r.enc, "max_position_embeddings");
    const long long orig = parse_integer_setting(r.enc, "original_max_position_embeddings");
    r.original = orig > 0 ? orig : r.max_positions;
    r.turns_original = full_turns(rd.inv_freq(), r.original);
    r.turns_max = full_turns(rd.inv_freq(), r.max_positions);
    if (r.max_positions > 0) {
        const std::vector<big>& exact = rb.inv_freq();
        r.first_negative_b = posenc::analysis::first_negative_b_scan(
            std::span<const double>(rd.inv_freq()), r.max_positions,
            [&](long long m) { return posenc::analysis::b_sum(std::span<const big>(exact), big(m)) < 0; },
            [] { check_interrupted(); });
        if (r.max_positions <= (1LL << 24)) r.fp32_phase_error = fp32_phase_error(r.enc, rb, r.max_positions);
    }
    return r;
}

/// The parameters of the layer's rope type other than those every type has, with their sources.
std::vector<std::pair<std::string, std::string>> scaling_parameters(const layer_report& r) {
    posenc::rope_variant v{};
    (void)posenc::params::rope_type_from_name(r.enc.variant(), v);
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < posenc::rope_parameter_table.size(); ++i) {
        const posenc::params::info& row = posenc::rope_parameter_table[i];
        const encoding_setting& s = r.enc.values[i];
        if (row.used_by == posenc::params::all) continue;
        const bool mrope = row.used_by == posenc::params::mrope_only && s.source == value_source::config;
        if (!posenc::params::uses(row.used_by, v) && !mrope) continue;
        if (row.field == "seq_len") continue;
        std::string value = s.text.empty() ? "-" : s.text;
        if (value.size() > 60) value = value.substr(0, 57) + "...";
        out.emplace_back(std::string(row.field),
                         value + (s.source == value_source::config ? " (" + s.origin + ")" : " (default)"));
    }
    return out;
}

std::string context_verdict(const layer_report& r) {
    if (r.max_positions <= 0) return "max_position_embeddings not given: not evaluated";
    if (r.first_negative_b < 0) {
        return fmt::format("L_theta >= {}: B_m >= 0 for every m <= max_position_embeddings ({}): reaches it",
                           r.max_positions, r.max_positions);
    }
    return fmt::format("L_theta = {} (first negative B at m = {}): does NOT reach max_position_embeddings ({})",
                       r.first_negative_b - 1, r.first_negative_b, r.max_positions);
}

std::string source_of(const layer_report& r, std::string_view field) {
    const encoding_setting& s = r.enc.at(field);
    return s.source == value_source::config ? s.origin : "default";
}

void text_layer(fmt::memory_buffer& buf, const layer_report& r) {
    auto out = std::back_inserter(buf);
    fmt::format_to(out, "\nlayer type: {}\n", r.name.empty() ? "(every layer)" : r.name);
    const auto line = [&](std::string_view k, const std::string& v) { fmt::format_to(out, "  {:<33} {}\n", k, v); };
    line("rope type", fmt::format("{} ({})", r.enc.variant(), source_of(r, "variant")));
    line("head dim", fmt::format("{} ({})", r.head_dim, source_of(r, "head_dim")));
    line("rotated", fmt::format("{} of {} dims, {} pairs ({} rotating); partial_rotary_factor {} ({})", r.rotary_dim,
                                r.head_dim, r.pairs, r.rotating_pairs, r.enc.text("partial_rotary_factor"),
                                source_of(r, "partial_rotary_factor")));
    line("layout", fmt::format("{} ({})", r.enc.layout(), source_of(r, "layout")));
    line("base", fmt::format("{} ({})", r.enc.base(), source_of(r, "base")));
    for (const auto& [k, v] : scaling_parameters(r)) line(k, v);
    if (!r.mrope_axes.empty()) {
        std::string map;
        for (const posenc::mrope_axis a : r.mrope_axes) map += posenc::axis_name(a);
        line("M-RoPE pair axes", fmt::format("{} ({} sections; pair 0 first)", map,
                                             r.enc.text("mrope_interleaved") == "true" ? "interleaved" : "consecutive"));
        for (const posenc::mrope_axis a : all_axes) {
            const std::vector<int> p = pairs_of_axis(r, a);
            const auto [wmin, wmax] = wavelength_range(r, p);
            line(fmt::format("  axis {}", posenc::axis_name(a)),
                 fmt::format("{} pairs: {}; wavelength {:.6g} .. {:.6g} positions", p.size(), index_runs(p), wmin, wmax));
        }
    }
    line("attention factor", fmt::format("{:.17g}", r.attention_factor));
    line("theta", fmt::format("{:.6g} .. {:.6g}", r.theta_max, r.theta_min));
    line("wavelength", fmt::format("{:.6g} .. {:.6g} positions", 2 * M_PI / r.theta_max, 2 * M_PI / r.theta_min));
    line("full turns", fmt::format("{} of {} pairs within the original context {}; {} within max_position_embeddings {}",
                                   r.turns_original, r.pairs, r.original, r.turns_max, r.max_positions));
    line(r.mrope_axes.empty() ? "context (Men et al.)" : "context (Men et al.), text", context_verdict(r));
    if (r.max_positions > 0 && r.max_positions <= (1LL << 24)) {
        line("fp32 phase error", fmt::format("{:.3g} rad at position {} (fp32-product: float32 position x float32 inv_freq)",
                                             r.fp32_phase_error, r.max_positions));
    }
}

json json_layer(const layer_report& r) {
    json j;
    j["layer_type"] = r.name;
    j["rope_type"] = r.enc.variant();
    j["head_dim"] = r.head_dim;
    j["rotary_dim"] = r.rotary_dim;
    j["pairs"] = r.pairs;
    j["rotating_pairs"] = r.rotating_pairs;
    j["layout"] = r.enc.layout();
    j["base"] = r.enc.base();
    json params = json::object();
    for (std::size_t i = 0; i < posenc::rope_parameter_table.size(); ++i) {
        const encoding_setting& s = r.enc.values[i];
        params[std::string(posenc::rope_parameter_table[i].field)] = {
            {"value", s.text}, {"source", s.source == value_source::config ? s.origin : "default"}};
    }
    j["parameters"] = params;
    if (r.mrope_axes.empty()) {
        j["mrope"] = nullptr;
    } else {
        json m;
        std::string map;
        for (const posenc::mrope_axis a : r.mrope_axes) map += posenc::axis_name(a);
        m["interleaved"] = r.enc.text("mrope_interleaved") == "true";
        m["pair_axes"] = map;
        for (const posenc::mrope_axis a : all_axes) {
            const std::vector<int> p = pairs_of_axis(r, a);
            const auto [wmin, wmax] = wavelength_range(r, p);
            m["axes"][std::string(posenc::axis_name(a))] = {{"pairs", p}, {"wavelength_min", wmin}, {"wavelength_max", wmax}};
        }
        j["mrope"] = m;
    }
    j["attention_factor"] = r.attention_factor;
    j["theta_max"] = r.theta_max;
    j["theta_min"] = r.theta_min;
    j["wavelength_min"] = 2 * M_PI / r.theta_max;
    j["wavelength_max"] = 2 * M_PI / r.theta_min;
    j["original_context"] = r.original;
    j["max_position_embeddings"] = r.max_positions;
    j["full_turns_within_original"] = r.turns_original;
    j["full_turns_within_max"] = r.turns_max;
    j["first_negative_b"] = r.first_negative_b;
    j["context_reaches_max"] = r.max_positions > 0 && r.first_negative_b < 0;
    j["fp32_product_phase_error_at_max"] = r.fp32_phase_error;
    return j;
}

std::string report(const inspect_options& o) {
    posenc::config::model m;
    try {
        m = posenc::config::read_file(o.config);
        if (!o.layer_type.empty()) (void)posenc::config::pick_layer(m, o.layer_type);
    } catch (const posenc::config::error& e) {
        throw usage_error(e.what());
    }
    std::vector<layer_report> layers;
    for (const posenc::config::layer& l : m.layers) {
        if (o.layer_type.empty() || l.name == o.layer_type) layers.push_back(analyse(o.config, l));
    }
    const std::string sha = sha256_file(o.config);
    if (o.format == "json") {
        json j;
        j["config"] = o.config;
        j["config_sha256"] = sha;
        j["model_type"] = m.model_type;
        j["layers"] = json::array();
        for (const layer_report& r : layers) j["layers"].push_back(json_layer(r));
        for (const auto& [name, list] : {std::pair{"keys_read", &m.read}, std::pair{"keys_ignored", &m.ignored}}) {
            j[name] = json::array();
            for (const posenc::config::note& n : *list) j[name].push_back({{"key", n.key}, {"why", n.what}});
        }
        return j.dump(2) + "\n";
    }
    fmt::memory_buffer buf;
    auto out = std::back_inserter(buf);
    fmt::format_to(out, "posenc inspect: {}\nsha256: {}\nmodel_type: {}\n", o.config, sha,
                   m.model_type.empty() ? "-" : m.model_type);
    for (const layer_report& r : layers) text_layer(buf, r);
    fmt::format_to(out, "\nkeys read:\n");
    for (const posenc::config::note& n : m.read) fmt::format_to(out, "  {:<48} {}\n", n.key, n.what);
    fmt::format_to(out, "keys ignored:\n");
    if (m.ignored.empty()) fmt::format_to(out, "  (none)\n");
    for (const posenc::config::note& n : m.ignored) fmt::format_to(out, "  {:<48} {}\n", n.key, n.what);
    return fmt::to_string(buf);
}

}  // namespace

void register_inspect(CLI::App& app, registry& r) {
    auto o = std::make_shared<inspect_options>();
    CLI::App* cmd = app.add_subcommand("inspect", "A model's RoPE at a glance, from its config.json (text or JSON)");
    cmd->add_option("--config", o->config, "A model's config.json (Hugging Face format)")->required();
    cmd->add_option("--layer-type", o->layer_type, "Only this attention layer type (default: every one)");
    cmd->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->add_option("--out", o->out, "Write the report to this file (atomically) instead of standard output");
    r.push_back({cmd, [o](std::string_view) {
                     emit(report(*o), o->out);
                     return 0;
                 }});
}

}  // namespace posenc_cli
