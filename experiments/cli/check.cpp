// posenc check: is this RoPE right? One artifact of a user's implementation (.npy files: an
// inv_freq vector, a cos/sin cache, freqs_cis, or q/k with their rotation) against the exact
// reference of the rope given by --config or the usual options: the error per position bucket in
// ulps of the artifact's dtype, a verdict, and when outside the tolerance the failure modes that
// explain it (include/posenc/check/). Exit 0 within the tolerance, 4 outside, 2 for bad input.
#include "common.hpp"
#include "encoding.hpp"

#include <posenc/check/check.hpp>
#include <posenc/io/npy.hpp>

#include <optional>

namespace posenc_cli {
namespace {

namespace pc = posenc::check;

inline constexpr int exit_outside_tolerance = 4;
/// Largest .npy data read: 2 GiB (the checked arrays are also limited to 2^26 elements).
inline constexpr std::size_t max_npy_bytes = std::size_t{1} << 31;

struct check_options {
    encoding_options enc;
    std::string inv_freq, cos, sin, freqs_cis, q, q_rotated, k, k_rotated, positions;
    std::string cache_layout = "auto";
    int token_axis = 0;
    std::string dtype;
    std::string expect;
    std::optional<double> tolerance;
    std::string format = "text";
    std::string out;
};

/// A .npy file as a tensor named by its option; bfloat16 (uint16 bits) when --dtype says so.
/// A .npy file; a file that cannot be read is an I/O error (exit 1), bad contents bad input (2).
posenc::io::npy_array read_file(const std::string& path, const std::string& option) {
    try {
        return posenc::io::read_npy(path, max_npy_bytes);
    } catch (const posenc::io::npy_io_error& e) {
        throw io_error(option + ": " + e.what());
    } catch (const posenc::io::npy_error& e) {
        throw usage_error(option + ": " + e.what());
    }
}

pc::tensor read_tensor(const std::string& path, const std::string& option, const std::string& dtype) {
    const posenc::io::npy_array a = read_file(path, option);
    pc::tensor t;
    t.name = option;
    t.shape = a.shape;
    switch (a.type) {
        case posenc::io::npy_type::float64: t.stored = pc::dtype::float64; break;
        case posenc::io::npy_type::float32: t.stored = pc::dtype::float32; break;
        case posenc::io::npy_type::float16: t.stored = pc::dtype::float16; break;
        case posenc::io::npy_type::uint16:
            if (dtype != "bfloat16") {
                throw usage_error(option + ": " + path + " holds uint16; bfloat16 data stored as uint16 needs --dtype bfloat16");
            }
            t.stored = pc::dtype::bfloat16;
            break;
        default:
            throw usage_error(option + ": " + path + " holds " + std::string(posenc::io::npy_type_name(a.type)) +
                              "; an artifact is float64, float32, float16, or bfloat16 stored as uint16 (--dtype bfloat16)");
    }
    if (!dtype.empty() && dtype != std::string(pc::dtype_name(t.stored))) {
        throw usage_error("--dtype: " + dtype + " but " + option + " (" + path + ") holds " + std::string(posenc::io::npy_type_name(a.type)));
    }
    if (a.size() > pc::max_elements) {
        throw usage_error(option + ": " + path + " has " + std::to_string(a.size()) + " elements; at most " +
                          std::to_string(pc::max_elements) + " are checked in one run");
    }
    t.values = posenc::io::to_doubles(a, t.stored == pc::dtype::bfloat16);
    return t;
}

pc::request make_request(const check_options& o) {
    pc::request q;
    q.params = rope_params_from<pc::hp>(o.enc, "50");
    const std::string& dt = o.dtype;
    auto maybe = [&](const std::string& path, const char* option) -> std::optional<pc::tensor> {
        if (path.empty()) return std::nullopt;
        return read_tensor(path, option, dt);
    };
    q.inv_freq = maybe(o.inv_freq, "--inv-freq");
    q.cos = maybe(o.cos, "--cos");
    q.sin = maybe(o.sin, "--sin");
    q.freqs_cis = maybe(o.freqs_cis, "--freqs-cis");
    if (o.q.empty() != o.q_rotated.empty()) throw usage_error("--q and --q-rotated are given together");
    if (o.k.empty() != o.k_rotated.empty()) throw usage_error("--k and --k-rotated are given together");
    if (!o.q.empty()) q.rotated.push_back({"q", read_tensor(o.q, "--q", dt), read_tensor(o.q_rotated, "--q-rotated", dt)});
    if (!o.k.empty()) q.rotated.push_back({"k", read_tensor(o.k, "--k", dt), read_tensor(o.k_rotated, "--k-rotated", dt)});
    q.layout = o.cache_layout == "cat"      ? pc::cache_layout::cat
               : o.cache_layout == "repeat" ? pc::cache_layout::repeat
               : o.cache_layout == "half"   ? pc::cache_layout::half
                                            : pc::cache_layout::automatic;
    q.token_axis = o.token_axis;
    if (!o.positions.empty()) {
        const posenc::io::npy_array p = read_file(o.positions, "--positions");
        try {
            q.positions = posenc::io::to_integers(p, "--positions: " + o.positions);
        } catch (const posenc::io::npy_error& e) {
            throw usage_error(e.what());
        }
        q.positions_shape = p.shape;
    }
    if (!o.expect.empty()) q.expect = pc::dtype_from_name(o.expect);
    q.tolerance = o.tolerance;
    return q;
}

std::string metadata(const check_options& o, std::string_view command_line) {
    std::string m = metadata_header("check", command_line) + encoding_metadata(o.enc);
    auto file = [&](const char* option, const std::string& path) {
        if (!path.empty()) m += fmt::format("# {}: {} (sha256 {})\n", option, path, sha256_file(path));
    };
    file("inv_freq", o.inv_freq);
    file("cos", o.cos);
    file("sin", o.sin);
    file("freqs_cis", o.freqs_cis);
    file("q", o.q);
    file("q_rotated", o.q_rotated);
    file("k", o.k);
    file("k_rotated", o.k_rotated);
    file("positions", o.positions);
    return m;
}

int run_check(const check_options& o, std::string_view command_line) {
    pc::report r;
    try {
        if (is_mrope(o.enc)) {
            (void)make_mrope<double>(o.enc, "double");  // validates, naming where each value came from
        } else {
            (void)make_rope<double>(o.enc, "double");
        }
        r = pc::run(make_request(o));
    } catch (const pc::input_error& e) {
        throw usage_error(e.what());
    } catch (const posenc::invalid_parameter& e) {
        throw usage_error(fmt::format("{}: {}", o.enc.where(e.parameter()), e.what()));
    }
    if (!o.out.empty()) emit(metadata(o, command_line) + pc::to_csv(r), o.out);
    if (o.format == "json") {
        fmt::print("{}\n", pc::to_json(r).dump(1));
    } else if (o.format == "csv") {
        if (o.out.empty()) fmt::print("{}", metadata(o, command_line) + pc::to_csv(r));
    } else {
        fmt::print("{}", pc::to_text(r));
    }
    std::fflush(stdout);
    return r.passed ? 0 : exit_outside_tolerance;
}

}  // namespace

void register_check(CLI::App& app, registry& r) {
    auto opt = std::make_shared<check_options>();
    CLI::App* c = app.add_subcommand(
        "check",
        "Is this RoPE right? Checks an artifact of an implementation (.npy: inv_freq, cos/sin cache, freqs_cis, or rotated q/k) "
        "against the exact reference: error per position bucket in ulps, a verdict (exit 0 within the tolerance, 4 outside, "
        "2 bad input) and a diagnosis of the failure modes that explain it");
    add_encoding_options(c, opt->enc);
    c->add_option("--inv-freq", opt->inv_freq, "inv_freq as .npy: [rotary_dim/2]")->option_text("FILE");
    c->add_option("--cos", opt->cos, "cos cache as .npy: [T, rot] (cat(freqs, freqs) for half-split, repeat_interleave(2) for interleaved) or [T, rot/2]")
        ->option_text("FILE");
    c->add_option("--sin", opt->sin, "sin cache as .npy, the same shape as --cos")->option_text("FILE");
    c->add_option("--freqs-cis", opt->freqs_cis, "complex freqs_cis as .npy (real, imag): [T, rot/2, 2]")->option_text("FILE");
    c->add_option("--q", opt->q, "q before the rotation, .npy (head axis last)")->option_text("FILE");
    c->add_option("--q-rotated", opt->q_rotated, "q after the rotation, .npy (same shape)")->option_text("FILE");
    c->add_option("--k", opt->k, "k before the rotation, .npy")->option_text("FILE");
    c->add_option("--k-rotated", opt->k_rotated, "k after the rotation, .npy")->option_text("FILE");
    c->add_option("--positions", opt->positions, "positions as .npy integers: [T], or [T, 3] / [3, T] (t, h, w) for M-RoPE; default 0..T-1")
        ->option_text("FILE");
    c->add_option("--cache-layout", opt->cache_layout, "cos/sin columns: auto (from the width and --layout), cat, repeat, half")
        ->check(CLI::IsMember({"auto", "cat", "repeat", "half"}))
        ->capture_default_str();
    c->add_option("--token-axis", opt->token_axis, "q/k: the token axis (the last axis is the head)")
        ->check(CLI::Range(-8, 7))
        ->capture_default_str();
    c->add_option("--dtype", opt->dtype, "the arrays' storage dtype (required for bfloat16, stored as uint16)")
        ->check(CLI::IsMember({"float64", "float32", "float16", "bfloat16"}));
    c->add_option("--expect", opt->expect, "judge the values at this dtype (default: their own), e.g. a float16 cache as float32")
        ->check(CLI::IsMember({"float64", "float32", "float16", "bfloat16"}));
    c->add_option("--tolerance", opt->tolerance, "ulps (default 1 for inv_freq and cos/sin, 2 for rotated q/k)")
        ->check(CLI::Range(1e-6, 1e15));
    c->add_option("--format", opt->format, "standard output: text summary, json report, or csv")
        ->check(CLI::IsMember({"text", "json", "csv"}))
        ->capture_default_str();
    c->add_option("--out", opt->out, "Write the per-bucket CSV to this file (atomically)");
    r.push_back({c, [opt](std::string_view command_line) { return run_check(*opt, command_line); }});
}

}  // namespace posenc_cli
