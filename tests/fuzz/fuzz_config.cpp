// libFuzzer target on the config reader (posenc/config/config.hpp) and, through it, the frequency
// functions: the bytes are a config.json; every layer the reader resolves is converted to
// rope_params<double> as the posenc tool does it (experiments/cli/encoding.cpp, rope_params_from:
// one text per table row, numbers parsed with from_chars) and posenc::rope<double> is constructed.
//
// Expected outcomes, not findings: posenc::config::error from the reader, posenc::invalid_parameter
// from the rope constructor. Everything else is a finding: another exception, a value text the tool
// could not parse (the reader promises texts the tool reads), a NaN, infinite or negative theta or a
// non-finite attention factor out of a rope that was constructed, a rope whose head_dim or rotary_dim
// is not what the parameters say (or not even, or rotary_dim > head_dim), and any crash or sanitizer
// report.
//
// Built by tests/fuzz/CMakeLists.txt with clang (-fsanitize=fuzzer,address,undefined); run by the
// ctest fuzz.config (30 s on the seed corpus tests/fuzz/corpus_config/) and by scripts/fuzz.
#include <posenc/config/config.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/frequencies.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace {

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "fuzz_config: FINDING: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

/// A whole text as a long or double (from_chars, as the tool parses; a leading '+' allowed).
template <class V>
V number(std::string_view text, std::string_view field) {
    std::string_view s = text;
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    V value{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        finding("the reader gave " + std::string(field) + " the text '" + std::string(text) +
                "', which the tool cannot parse as a number");
    }
    return value;
}

/// The comma-separated items of a list text ("" is the empty list).
std::vector<std::string_view> items(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        out.push_back(text.substr(0, comma));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

/// One field of rope_params<double> from its text (the tool's assign_setting, self-contained).
template <class F>
void assign(const posenc::params::info& row, const std::string& text, F& field) {
    if constexpr (std::is_same_v<F, long> || std::is_same_v<F, double>) {
        field = number<F>(text, row.field);
    } else if constexpr (std::is_same_v<F, bool>) {
        if (text != "true" && text != "false") finding(std::string(row.field) + ": flag text '" + text + "'");
        field = text == "true";
    } else if constexpr (std::is_same_v<F, posenc::rope_variant>) {
        if (!posenc::params::rope_type_from_name(text, field)) finding("unknown rope type text '" + text + "'");
    } else if constexpr (std::is_same_v<F, posenc::pair_layout>) {
        if (text != "interleaved" && text != "half-split") finding("layout text '" + text + "'");
        field = text == "interleaved" ? posenc::pair_layout::interleaved : posenc::pair_layout::half_split;
    } else {  // std::vector<long> or std::vector<double>
        field.clear();
        for (const std::string_view item : items(text)) {
            field.push_back(number<typename F::value_type>(item, row.field));
        }
    }
}

/// The layer's parameters: the table's defaults, overwritten by every value the reader gave.
posenc::rope_params<double> params_of(const posenc::config::layer& l) {
    posenc::rope_params<double> p;
    for (const auto& [field, s] : l.values) {
        if (!posenc::find_parameter(field)) finding("the reader set '" + field + "', which is no row of the table");
    }
    posenc::for_each_parameter(p, [&](const posenc::params::info& row, auto& field) {
        const auto it = l.values.find(row.field);
        if (it != l.values.end()) assign(row, it->second.text, field);
    });
    return p;
}

void check_rope(const posenc::rope<double>& r, const posenc::rope_params<double>& p, const std::string& layer) {
    if (r.head_dim() != p.head_dim || r.rotary_dim() < 2 || r.rotary_dim() > r.head_dim() || r.rotary_dim() % 2 != 0 ||
        r.inv_freq().size() != static_cast<std::size_t>(r.pairs())) {
        finding("layer '" + layer + "': head_dim " + std::to_string(p.head_dim) + " gave a rope of head_dim " +
                std::to_string(r.head_dim()) + ", rotary_dim " + std::to_string(r.rotary_dim()) + ", " +
                std::to_string(r.inv_freq().size()) + " thetas");
    }
    for (std::size_t i = 0; i < r.inv_freq().size(); ++i) {
        const double t = r.inv_freq()[i];
        if (!std::isfinite(t) || t < 0) {
            finding("layer '" + layer + "': theta[" + std::to_string(i) + "] = " + std::to_string(t));
        }
    }
    if (!std::isfinite(r.attention_factor())) {
        finding("layer '" + layer + "': attention factor " + std::to_string(r.attention_factor()));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    posenc::config::model m;
    try {
        m = posenc::config::parse(text, "fuzz.json");
    } catch (const posenc::config::error&) {
        return 0;
    } catch (const std::exception& e) {
        finding(std::string("the reader threw something other than posenc::config::error: ") + e.what());
    }
    for (const posenc::config::layer& l : m.layers) {
        const posenc::rope_params<double> p = params_of(l);
        try {
            const posenc::rope<double> r(p);
            check_rope(r, p, l.name);
        } catch (const posenc::invalid_parameter&) {
            continue;
        } catch (const std::exception& e) {
            finding("layer '" + l.name + "': rope<double> threw something other than invalid_parameter: " + e.what());
        }
    }
    return 0;
}
