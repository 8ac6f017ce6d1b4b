// posenc freqs: the RoPE frequencies of any variant.
#include "common.hpp"

namespace posenc_cli {
namespace {

struct freqs_options {
    encoding_options enc;
    std::string precision = "double";
    std::string out;
};

template <class T>
std::string freqs_csv(const freqs_options& opt, std::string_view command_line, std::string_view type_name) {
    const posenc::rope<T> r = make_rope<T>(opt.enc, opt.precision);
    fmt::memory_buffer csv;
    const auto out = std::back_inserter(csv);
    fmt::format_to(out, "{}{}", metadata_header("freqs", command_line), encoding_metadata(opt.enc));
    fmt::format_to(out, "{}", precision_metadata<T>(opt.precision, type_name));
    fmt::format_to(out, "# rotary_dim: {}\n# attention_factor: {}\n", r.rotary_dim(), to_text(r.attention_factor()));
    fmt::format_to(out, "# theta: inv_freq of pair i as in HF transformers; wavelength = 2*pi/theta\n");
    // M-RoPE: the same theta_i; the axis column says which position (t, h, w) turns pair i
    std::vector<posenc::mrope_axis> axes;
    if (is_mrope(opt.enc)) {
        axes = make_mrope<T>(opt.enc, opt.precision).axes();
        fmt::format_to(out, "# mrope: {} sections; axis = the position (t, h or w) that turns the pair\n",
                       opt.enc.text("mrope_interleaved") == "true" ? "interleaved" : "consecutive");
    }
    fmt::format_to(out, "pair,theta,wavelength{}\n", axes.empty() ? "" : ",axis");
    const T two_pi = posenc::math::two_pi<T>();
    for (int i = 0; i < r.pairs(); ++i) {
        const auto u = static_cast<std::size_t>(i);
        const T theta = r.inv_freq()[u];
        const T wavelength = two_pi / theta;
        fmt::format_to(out, "{},{},{}", i, to_text(theta), to_text(wavelength));
        fmt::format_to(out, "{}{}\n", axes.empty() ? "" : ",", axes.empty() ? "" : posenc::axis_name(axes[u]));
    }
    return fmt::to_string(csv);
}

}  // namespace

void register_freqs(CLI::App& app, registry& r) {
    auto opt = std::make_shared<freqs_options>();
    CLI::App* freqs = app.add_subcommand(
        "freqs", "Print the RoPE frequencies of any variant as CSV (pair,theta,wavelength; attention factor in the metadata)");
    add_encoding_options(freqs, opt->enc);
    freqs->add_option("--precision", opt->precision, std::string(precision_help))
        ->check(CLI::IsMember(precision_names()))
        ->capture_default_str();
    freqs->add_option("--out", opt->out, "Write the CSV to this file (atomically) instead of standard output");
    r.push_back({freqs, [opt](std::string_view command_line) {
                     const std::string csv = with_precision(opt->precision, [&](auto tag, std::string_view type_name) {
                         return freqs_csv<typename decltype(tag)::type>(*opt, command_line, type_name);
                     });
                     emit(csv, opt->out);
                     return 0;
                 }});
}

}  // namespace posenc_cli
