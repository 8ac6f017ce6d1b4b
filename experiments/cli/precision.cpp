// posenc precision: how far reduced-precision RoPE pipelines are from the truth, position by position.
//
// For each position m and pipeline, against a 50-digit reference (cpp_bin_float_50: theta_i of the
// chosen variant correctly rounded at 50 digits, the angle m theta_i exact, cos and sin by posenc::math):
//   angle_max, angle_mean     |angle used by the pipeline - m theta_i| over the rotated pairs (rad)
//   cos_sin_max, cos_sin_mean max(|cos error|, |sin error|) over the pairs
//   logit_max, logit_mean     |<R_m q, k>_pipeline - <R_m q, k>_exact| over --samples seeded Gaussian
//                             (q, k) (k unrotated, i.e. at position 0, so the whole phase error at m
//                             shows), q and k rounded to float32 and used as such by both sides
// Pipelines: fp32-product, fp32-recurrence, bf16 and fp16 as pipelines.hpp describes them; and
//   posenc           the float32 path of posenc's kernels: theta_i correctly rounded to double, the
//                    angle m theta_i formed exactly (TwoProduct), cos/sin of that angle (posenc::math,
//                    double) rounded once to float32
// bf16 and fp16 form angle and logit in float32; an fp16 position above 65504 is infinite, and its
// errors are reported as inf.
#include "common.hpp"
#include "pipelines.hpp"

#include <posenc/properties/common.hpp>

#include <cmath>
#include <cstring>
#include <limits>

namespace posenc_cli {
namespace {

using big = mp::cpp_bin_float_50;

struct precision_options {
    encoding_options enc;
    std::string positions;
    std::string pipelines = "fp32-product,fp32-recurrence,bf16,fp16,posenc";
    long long samples = 16;
    unsigned long long seed = 0;
    int threads = 0;
    std::string shard_text = "0/1";
    bool quiet = false;
    std::string out;
};

/// One pipeline's cos, sin and angle (as a big number, exact) of pair i at position m.
struct pair_value {
    float c;
    float s;
    big angle;
    bool finite;
};

std::string precision_csv(const precision_options& o, std::string_view command_line) {
    std::vector<std::string> pipes = split_list(o.pipelines, "--pipelines");
    if (o.pipelines == precision_options{}.pipelines && o.enc.variant() != "default" && o.enc.variant() != "linear") {
        std::erase(pipes, "fp32-recurrence");  // the default list: ggml's recurrence exists for these types only
    }
    for (const std::string& p : pipes) {
        if (p != "fp32-product" && p != "fp32-recurrence" && p != "bf16" && p != "fp16" && p != "posenc") {
            throw usage_error(fmt::format("--pipelines: unknown pipeline '{}' (expected fp32-product, fp32-recurrence, bf16, "
                                          "fp16 or posenc)",
                                          p));
        }
        if (p == "fp32-recurrence" && o.enc.variant() != "default" && o.enc.variant() != "linear") {
            throw usage_error("--pipelines: fp32-recurrence emulates ggml's default and linear RoPE only (--variant)");
        }
    }
    if (o.samples < 1 || o.samples > 1'000'000) throw usage_error("--samples: must be in [1, 10^6]");
    const std::vector<long long> positions = parse_index_spec(o.positions, "--positions", 0, 1LL << 24);
    const shard sh = parse_shard(o.shard_text);
    const std::pair<std::size_t, std::size_t> rows_range = sh.range(positions.size());
    const std::size_t begin = rows_range.first;
    const std::size_t end = rows_range.second;
    {  // the peak, before the 50-digit frequencies are made: q and k (at most --dim / 2 pairs), the
       // rows' text (kept until the end: rows finish out of order), per worker the 50-digit reference
       // (cos, sin, angle per pair; one logit per sample)
        const double pairs = o.enc.dim() / 2, samples = static_cast<double>(o.samples);
        memory_estimate m;
        m.add("--samples, --dim", "q and k", 2 * samples * 2 * pairs, sizeof(float));
        m.add("--positions, --pipelines", "row text (at most 8 numbers of 24 characters per pipeline)",
              static_cast<double>(end - begin) * static_cast<double>(pipes.size()), 8 * 25 + sizeof(std::string));
        m.add("--dim, --samples, --threads", "reference per worker", thread_count(o.threads) * (3 * pairs + samples),
              sizeof(big) + 0.0);
        m.check();
    }
    const posenc::rope<big> ref = make_rope<big>(o.enc, "50");
    const posenc::rope<double> rd = make_rope<double>(o.enc, "double");
    const std::size_t n = static_cast<std::size_t>(ref.pairs());
    const int rot = ref.rotary_dim();

    const float_pipelines fp(o.enc, ref.inv_freq(), rot);

    // Seeded (q, k) pairs, float32, as complex pairs (q_i, k_i).
    posenc::gaussian_source<double> g(static_cast<std::uint64_t>(o.seed));
    const auto ns = static_cast<std::size_t>(o.samples);
    std::vector<float> q(ns * 2 * n), k(ns * 2 * n);
    for (std::size_t s = 0; s < ns; ++s) {
        for (std::size_t i = 0; i < 2 * n; ++i) q[s * 2 * n + i] = static_cast<float>(g.next());
        for (std::size_t i = 0; i < 2 * n; ++i) k[s * 2 * n + i] = static_cast<float>(g.next());
    }

    const std::size_t rows = end - begin;
    std::vector<std::string> text(rows);
    progress bar("posenc precision", static_cast<long long>(rows), o.quiet);
    parallel_for(rows, thread_count(o.threads), 1, [&](std::size_t row) {
        const long long m = positions[begin + row];
        const big mb = big(m);
        std::vector<big> rc(n), rs(n), ra(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto sc = posenc::math::sincos(posenc::math::two_prod(mb, ref.inv_freq()[i]));
            rc[i] = sc.cos;
            rs[i] = sc.sin;
            ra[i] = mb * ref.inv_freq()[i];  // to 50 digits (relative error 2^-168)
        }
        std::vector<big> logit_ref(ns);
        for (std::size_t s = 0; s < ns; ++s) {
            big acc = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const big qa = q[s * 2 * n + 2 * i], qb = q[s * 2 * n + 2 * i + 1];
                const big ka = k[s * 2 * n + 2 * i], kb = k[s * 2 * n + 2 * i + 1];
                acc += (rc[i] * qa - rs[i] * qb) * ka + (rs[i] * qa + rc[i] * qb) * kb;
            }
            logit_ref[s] = acc;
        }
        fmt::memory_buffer buf;
        const auto out = std::back_inserter(buf);
        std::vector<pair_value> v(n);
        std::vector<float> angles;
        for (const std::string& p : pipes) {
            if (p == "fp32-product" || p == "bf16" || p == "fp16") {
                float (*rnd)(float) = p == "bf16" ? bf16 : p == "fp16" ? fp16 : identity;
                for (std::size_t i = 0; i < n; ++i) {
                    const float a = fp.product_angle(m, i, rnd);
                    v[i] = {rnd(cos_f(a)), rnd(sin_f(a)), big(a), std::isfinite(a)};
                }
            } else if (p == "fp32-recurrence") {
                fp.recurrence_angles(m, angles);
                for (std::size_t i = 0; i < n; ++i) {
                    const float a = angles[i];
                    v[i] = {cos_f(a), sin_f(a), big(a), std::isfinite(a)};
                }
            } else {  // posenc
                const double md = static_cast<double>(m);
                for (std::size_t i = 0; i < n; ++i) {
                    const auto a = posenc::math::two_prod(md, rd.inv_freq()[i]);  // exact angle
                    const auto sc = posenc::math::sincos(a);
                    v[i] = {static_cast<float>(sc.cos), static_cast<float>(sc.sin), big(a.hi) + big(a.lo), true};
                }
            }
            bool finite = true;
            for (const pair_value& pv : v) finite = finite && pv.finite;
            if (!finite) {
                fmt::format_to(out, "{},{},inf,inf,inf,inf,inf,inf\n", m, p);
                continue;
            }
            double amax = 0, asum = 0, cmax = 0, csum = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const double ae = static_cast<double>(abs(big(v[i].angle - ra[i])));
                const double ce = std::max(static_cast<double>(abs(big(big(v[i].c) - rc[i]))),
                                           static_cast<double>(abs(big(big(v[i].s) - rs[i]))));
                amax = std::max(amax, ae);
                asum += ae;
                cmax = std::max(cmax, ce);
                csum += ce;
            }
            double lmax = 0, lsum = 0;
            for (std::size_t s = 0; s < ns; ++s) {
                float acc = 0;  // float32 logit, as the pipeline computes it
                for (std::size_t i = 0; i < n; ++i) {
                    const float qa = q[s * 2 * n + 2 * i], qb = q[s * 2 * n + 2 * i + 1];
                    const float ka = k[s * 2 * n + 2 * i], kb = k[s * 2 * n + 2 * i + 1];
                    acc += (v[i].c * qa - v[i].s * qb) * ka + (v[i].s * qa + v[i].c * qb) * kb;
                }
                const double le = static_cast<double>(abs(big(big(acc) - logit_ref[s])));
                lmax = std::max(lmax, le);
                lsum += le;
            }
            const double pn = static_cast<double>(n);
            fmt::format_to(out, "{},{},{},{},{},{},{},{}\n", m, p, to_text(amax), to_text(asum / pn), to_text(cmax),
                           to_text(csum / pn), to_text(lmax), to_text(lsum / static_cast<double>(ns)));
        }
        text[row] = fmt::to_string(buf);
        bar.advance();
    });

    std::string csv = metadata_header("precision", command_line) + encoding_metadata(o.enc);
    csv += fmt::format("# positions: {}\n# pipelines: {}\n# samples: {}\n# seed: {}\n", o.positions, o.pipelines, o.samples,
                       o.seed);
    csv += "# reference: cpp_bin_float_50 (theta at 50 digits, exact angle m*theta, posenc::math cos/sin)\n";
    csv += "# logit: <R_m q, k> with q, k ~ N(0, I) rounded to float32, k unrotated; errors are absolute\n";
    csv += fmt::format("# rotary_dim: {}\n# shard: {} (rows {} to {} of {})\n# out: {}\n", rot, sh.text(), begin, end,
                       positions.size(), o.out.empty() ? std::string("-") : o.out);
    csv += "position,pipeline,angle_max,angle_mean,cos_sin_max,cos_sin_mean,logit_max,logit_mean\n";
    for (const std::string& t : text) csv += t;
    return csv;
}

}  // namespace

void register_precision(CLI::App& app, registry& r) {
    auto o = std::make_shared<precision_options>();
    CLI::App* cmd = app.add_subcommand(
        "precision", "Errors of float32/bf16/fp16 RoPE pipelines against a 50-digit reference, per position (CSV position,"
                     "pipeline,angle_max,angle_mean,cos_sin_max,cos_sin_mean,logit_max,logit_mean)");
    add_encoding_options(cmd, o->enc);
    cmd->add_option("--positions", o->positions, "Positions m in [0, 2^24]: a:b[:step], log:a:b:n or comma lists")->required();
    cmd->add_option("--pipelines", o->pipelines, "Comma list of fp32-product, fp32-recurrence, bf16, fp16, posenc")
        ->capture_default_str();
    cmd->add_option("--samples", o->samples, "Number of seeded (q, k) pairs for the logit error")->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed of the (q, k) generator")->capture_default_str();
    cmd->add_option("--threads", o->threads, "Worker threads (0: all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
    cmd->add_option("--shard", o->shard_text, "Write only shard i of N (0 <= i < N) of the positions")->capture_default_str();
    cmd->add_flag("--quiet", o->quiet, "No progress bar");
    cmd->add_option("--out", o->out, "Write the CSV to this file (atomically) instead of standard output");
    r.push_back({cmd, [o](std::string_view command_line) {
                     emit(precision_csv(*o, command_line), o->out);
                     return 0;
                 }});
}

}  // namespace posenc_cli
