// posenc bench: throughput of the float32 kernels against memcpy on the same buffers, same run.
//
// For each shape TOKENSxHEADSxHEAD_DIM, thread count, kernel and layout: Q and K inputs and Q', K'
// outputs of that shape (N(0,1) floats). A run times memcpy(Q -> Q', K -> K') and the kernel
// (Q -> Q', K -> K', or in place with --in-place) one after the other, the order alternating from
// run to run (the VM loses whole scheduler slices: pairing the two sides run by run and taking
// medians keeps those out of the ratio); each side repeats its work until it lasts about 2 ms, so
// that shapes in cache are timed as a stream of calls. After --warmup runs, --runs runs are kept.
// Both sides are charged the same bytes: Q and K read and written (4 tensor sizes). For table-build
// and sinusoidal-table, which read no tensor, the bytes are the table's (written) and memcpy moves
// as many bytes; their M entries/s is in mentries_per_s (an entry: one cos/sin pair, or one
// sinusoidal value).
// apply-mrope, next to apply-fused on the same shapes: the M-RoPE of the options' mrope_section (a
// --config's, or --mrope-section), else [P/4, (P - P/4)/2, the rest] sectioned over the P rotated
// pairs (Qwen2-VL's [16, 24, 24] at head_dim 128); token k at (t, h, w) = (k / 4096, k / 64 mod 64,
// k mod 64), the patches of 64 x 64 frames.
// Columns: gbps and memcpy_gbps from the median times; ratio = the median over runs of the paired
// ratio memcpy time / kernel time; ratio_min = min memcpy time / min kernel time.
// Figures are written with four significant digits (what a shared VM's timings carry). Timings are
// reported, never checked: nothing here passes or fails on speed.
#include "common.hpp"

#include <posenc/encodings/mrope.hpp>
#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/kernels.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

namespace posenc_cli {
namespace {

namespace pk = posenc::kernels;
using clock_type = std::chrono::steady_clock;

struct bench_options {
    std::string shapes = "4096x32x128,256x4x128";
    std::string threads = "1,2";
    std::string kernels = "all";
    std::string target = "best";  ///< the kernels' vector target (posenc::kernels::use_target)
    encoding_options enc;  ///< the RoPE of the table and apply kernels (--config: a model's), base of the others
    long long runs = 25;
    long long warmup = 3;
    bool in_place = false;
    bool quiet = false;
    std::string out;
};

/// The RoPE of the options with a shape's head_dim and a layout.
posenc::rope<double> bench_rope(const bench_options& o, int head_dim, posenc::pair_layout layout) {
    encoding_options e = o.enc;
    e.set("head_dim", std::to_string(head_dim));
    e.set("layout", std::string(posenc::layout_name(layout)));
    return make_rope<double>(e, "double");
}

/// The M-RoPE of the options with a shape's head_dim and a layout: their mrope_section (and
/// mrope_interleaved) when given, else [P/4, (P - P/4) / 2, the rest] sectioned over the P rotated pairs.
posenc::mrope<double> bench_mrope(const bench_options& o, int head_dim, posenc::pair_layout layout) {
    encoding_options e = o.enc;
    e.set("head_dim", std::to_string(head_dim));
    e.set("layout", std::string(posenc::layout_name(layout)));
    if (!is_mrope(e)) {
        const int p = make_rope<double>(e, "double").pairs();
        e.set("mrope_section", fmt::format("{},{},{}", p / 4, (p - p / 4) / 2, p - p / 4 - (p - p / 4) / 2));
    }
    return make_mrope<double>(e, "double");
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Seconds for `reps` calls of f.
double timed(int reps, const std::function<void()>& f) {
    const auto t0 = clock_type::now();
    for (int i = 0; i < reps; ++i) f();
    return std::chrono::duration<double>(clock_type::now() - t0).count() / reps;
}

struct measurement {
    double gbps;         ///< kernel, from the median time
    double memcpy_gbps;  ///< memcpy, from the median time
    double ratio;        ///< median over runs of kernel GB/s / memcpy GB/s
    double ratio_min;    ///< from the minimum times
};

/// Alternating paired runs of memcpy (moving memcpy_bytes: read + written) and the kernel (moving
/// kernel_bytes), see the file comment.
measurement pair_runs(const bench_options& o, const std::function<void()>& copy, const std::function<void()>& kernel,
                      double kernel_bytes, double memcpy_bytes) {
    // repetitions: about 2 ms per side and run
    const double one = std::max(timed(1, kernel), 1e-7);
    const int reps = static_cast<int>(std::clamp(2e-3 / one, 1.0, 10000.0));
    std::vector<double> tk, tm, ratios;
    for (long long r = 0; r < o.warmup + o.runs; ++r) {
        check_interrupted();
        double a = 0, b = 0;
        if (r % 2 == 0) {
            b = timed(reps, copy);
            a = timed(reps, kernel);
        } else {
            a = timed(reps, kernel);
            b = timed(reps, copy);
        }
        if (r < o.warmup) continue;
        tk.push_back(a);
        tm.push_back(b);
        ratios.push_back((kernel_bytes / a) / (memcpy_bytes / b));
    }
    const double min_k = *std::min_element(tk.begin(), tk.end());
    const double min_m = *std::min_element(tm.begin(), tm.end());
    return {kernel_bytes / median(tk) * 1e-9, memcpy_bytes / median(tm) * 1e-9, median(ratios),
            (kernel_bytes / min_k) / (memcpy_bytes / min_m)};
}

std::string bench(const bench_options& o, std::string_view command_line) {
    pk::use_target(o.target);
    if (o.runs < 20 || o.runs > 100000) throw usage_error("--runs: must be in [20, 100000] (medians of at least 20 runs)");
    if (o.warmup < 0 || o.warmup > 1000) throw usage_error("--warmup: must be in [0, 1000]");
    std::vector<tensor_shape> shapes;
    for (const std::string& s : split_list(o.shapes, "--shapes")) shapes.push_back(parse_tensor_shape(s));
    if (!o.enc.config.empty() && o.shapes == bench_options{}.shapes) {
        for (tensor_shape& sh : shapes) sh.head_dim = o.enc.dim();  // the model's head size in the default shapes
    }
    std::vector<unsigned> thread_counts;
    for (const std::string& s : split_list(o.threads, "--threads")) {
        unsigned n = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc{} || p != s.data() + s.size() || n < 1 || n > 1024) {
            throw usage_error(fmt::format("--threads: '{}' is not a thread count in [1, 1024]", s));
        }
        thread_counts.push_back(n);
    }
    static const std::vector<std::string> all{"table-build", "apply-table", "apply-fused", "apply-mrope", "apply-2d", "sinusoidal-table"};
    std::vector<std::string> kernels;
    if (o.kernels == "all") {
        kernels = all;
    } else {
        for (const std::string& k : split_list(o.kernels, "--kernels")) {
            if (std::find(all.begin(), all.end(), k) == all.end()) {
                throw usage_error(fmt::format("--kernels: unknown kernel '{}' (expected all or a comma list of table-build, apply-table, "
                                              "apply-fused, apply-mrope, apply-2d, sinusoidal-table)",
                                              k));
            }
            kernels.push_back(k);
        }
    }
    const double base = parse_number<double>(o.enc.base(), "double", o.enc.where("base"));
    if (!(base > 1) || !std::isfinite(base)) throw usage_error(fmt::format("{}: must be a finite number > 1", o.enc.where("base")));
    (void)bench_rope(o, shapes.front().head_dim, posenc::pair_layout::half_split);  // parameters checked before timing
    if (std::find(kernels.begin(), kernels.end(), "apply-mrope") != kernels.end()) {
        for (const tensor_shape& sh : shapes) (void)bench_mrope(o, sh.head_dim, posenc::pair_layout::half_split);
    }

    {  // the peak, at the largest shape (one at a time): Q, K and their outputs, one table (cos and sin:
       // tokens x head_dim floats), the positions (1D, x and y, t h w)
        double tensors = 0, table = 0, positions = 0;
        for (const tensor_shape& sh : shapes) {
            const double tokens = static_cast<double>(sh.tokens);
            tensors = std::max(tensors, 4.0 * tokens * sh.heads * sh.head_dim);
            table = std::max(table, tokens * sh.head_dim);
            positions = std::max(positions, 6.0 * tokens);
        }
        memory_estimate m;
        m.add("--shapes", "Q and K, in and out", tensors, sizeof(float));
        m.add("--shapes", "cos/sin table", table, sizeof(float));
        m.add("--shapes", "positions", positions, sizeof(std::int64_t));
        m.check();
    }
    std::string body;
    long long total = 0;
    for (const std::string& k : kernels) total += (k == "apply-table" || k == "apply-fused" || k == "apply-mrope" ? 2 : 1);
    total *= static_cast<long long>(thread_counts.size() * shapes.size());
    progress bar("posenc bench", total, o.quiet);
    for (const tensor_shape& sh : shapes) {
        const std::size_t size = static_cast<std::size_t>(sh.tokens) * static_cast<std::size_t>(sh.heads) * static_cast<std::size_t>(sh.head_dim);
        std::vector<float> q(size), k(size), qo(size), ko(size);
        std::mt19937 g(1);
        std::normal_distribution<float> nd;
        for (float& v : q) v = nd(g);
        for (float& v : k) v = nd(g);
        std::memcpy(qo.data(), q.data(), size * sizeof(float));  // fault the output pages in
        std::memcpy(ko.data(), k.data(), size * sizeof(float));
        const std::vector<std::int64_t> positions = pk::position_range(0, sh.tokens);
        std::vector<std::int64_t> xs(positions.size()), ys(positions.size()), thw(3 * positions.size());
        for (std::size_t t = 0; t < positions.size(); ++t) {
            xs[t] = static_cast<std::int64_t>(t % 64);  // patches of a 64-wide image
            ys[t] = static_cast<std::int64_t>(t / 64);
            thw[3 * t] = static_cast<std::int64_t>(t / 4096);  // patches of 64 x 64 frames
            thw[3 * t + 1] = static_cast<std::int64_t>(t / 64 % 64);
            thw[3 * t + 2] = static_cast<std::int64_t>(t % 64);
        }
        const auto tv = [&](std::vector<float>& d) { return pk::tensor_view::tokens_major(d.data(), sh.tokens, sh.heads, sh.head_dim); };
        std::vector<pk::rope_operand> ops;
        if (o.in_place) {
            ops = {pk::rope_operand::in_place(tv(qo)), pk::rope_operand::in_place(tv(ko))};
        } else {
            ops = {{tv(q), tv(qo)}, {tv(k), tv(ko)}};
        }
        for (const unsigned threads : thread_counts) {
            pk::thread_pool pool(threads);
            // memcpy of `bytes` from the inputs to the outputs, split over the threads by range
            const auto copy_of = [&](std::size_t bytes) {
                return [&, bytes] {
                    const std::size_t per = std::min(bytes, size * sizeof(float));
                    const std::size_t rest = bytes - per;
                    pool.run(threads, [&](std::size_t b, std::size_t e) {
                        for (std::size_t i = b; i < e; ++i) {
                            const auto [lo, hi] = pk::thread_pool::range(per, static_cast<unsigned>(i), threads);
                            std::memcpy(reinterpret_cast<char*>(qo.data()) + lo, reinterpret_cast<const char*>(q.data()) + lo, hi - lo);
                            const auto [lo2, hi2] = pk::thread_pool::range(rest, static_cast<unsigned>(i), threads);
                            std::memcpy(reinterpret_cast<char*>(ko.data()) + lo2, reinterpret_cast<const char*>(k.data()) + lo2, hi2 - lo2);
                        }
                    });
                };
            };
            const std::size_t qk_bytes = 2 * size * sizeof(float);  // copied: Q and K, each read and written
            const auto emit_row = [&](const std::string& kernel, const std::string& layout, double kernel_bytes, double entries,
                                      const measurement& m) {
                const double seconds = kernel_bytes / (m.gbps * 1e9);
                body += fmt::format("{},{},{},{},{:.4g},{:.4g},{:.4g},{:.4g},{}\n", kernel, layout, sh.text(), threads, m.gbps,
                                    m.memcpy_gbps, m.ratio, m.ratio_min,
                                    entries > 0 ? fmt::format("{:.4g}", entries / seconds * 1e-6) : std::string("-"));
                bar.advance();
            };
            for (const std::string& kernel : kernels) {
                if (kernel == "table-build" || kernel == "sinusoidal-table") {
                    double entries = 0, bytes = 0;
                    std::function<void()> run;
                    pk::cos_sin_table table;
                    pk::sinusoidal_table stable;
                    const pk::rope_frequencies f =
                        pk::rope_frequencies::from(bench_rope(o, sh.head_dim, posenc::pair_layout::half_split));
                    const posenc::sinusoidal<double> pe(sh.head_dim, base);
                    if (kernel == "table-build") {
                        entries = static_cast<double>(sh.tokens) * f.pairs();
                        bytes = entries * 2 * sizeof(float);
                        run = [&] { pk::build_table(f, positions, table, &pool); };
                    } else {
                        entries = static_cast<double>(sh.tokens) * sh.head_dim;
                        bytes = entries * sizeof(float);
                        run = [&] { pk::build_sinusoidal_table(pe, positions, stable, &pool); };
                    }
                    run();  // the table's memory, allocated once
                    // memcpy reading and writing as many bytes as the table has (half of them each way)
                    const std::size_t copy_bytes = std::min(static_cast<std::size_t>(bytes) / 2, 2 * size * sizeof(float));
                    const measurement m = pair_runs(o, copy_of(copy_bytes), run, bytes, 2.0 * static_cast<double>(copy_bytes));
                    emit_row(kernel, kernel == "table-build" ? "none" : "interleaved", bytes, entries, m);
                    continue;
                }
                if (kernel == "apply-2d") {
                    if (sh.head_dim % 4 != 0) continue;
                    const pk::axial2d_frequencies f2(posenc::rope2d_axial<double>(sh.head_dim, base, posenc::axial_order::x_then_y));
                    const measurement m = pair_runs(o, copy_of(qk_bytes), [&] { pk::apply_2d(f2, xs, ys, ops, &pool); }, 2.0 * static_cast<double>(qk_bytes),
                                                    2.0 * static_cast<double>(qk_bytes));
                    emit_row(kernel, "interleaved", 2.0 * static_cast<double>(qk_bytes), 0, m);
                    continue;
                }
                for (const posenc::pair_layout layout : {posenc::pair_layout::interleaved, posenc::pair_layout::half_split}) {
                    const std::string lname = layout == posenc::pair_layout::interleaved ? "interleaved" : "half-split";
                    if (kernel == "apply-mrope") {
                        const pk::mrope_frequencies fm = pk::mrope_frequencies::from(bench_mrope(o, sh.head_dim, layout));
                        const measurement m = pair_runs(o, copy_of(qk_bytes), [&] { pk::apply_mrope(fm, thw, ops, &pool); },
                                                        2.0 * static_cast<double>(qk_bytes), 2.0 * static_cast<double>(qk_bytes));
                        emit_row(kernel, lname, 2.0 * static_cast<double>(qk_bytes),
                                 static_cast<double>(sh.tokens) * fm.frequencies().pairs(), m);
                        continue;
                    }
                    const pk::rope_frequencies f = pk::rope_frequencies::from(bench_rope(o, sh.head_dim, layout));
                    if (kernel == "apply-table") {
                        pk::cos_sin_table table;
                        pk::build_table(f, positions, table, &pool);
                        const measurement m = pair_runs(o, copy_of(qk_bytes), [&] { pk::apply_table(f, table, ops, &pool); },
                                                        2.0 * static_cast<double>(qk_bytes), 2.0 * static_cast<double>(qk_bytes));
                        emit_row(kernel, lname, 2.0 * static_cast<double>(qk_bytes), 0, m);
                    } else {
                        const measurement m = pair_runs(o, copy_of(qk_bytes), [&] { pk::apply_fused(f, positions, ops, &pool); },
                                                        2.0 * static_cast<double>(qk_bytes), 2.0 * static_cast<double>(qk_bytes));
                        emit_row(kernel, lname, 2.0 * static_cast<double>(qk_bytes), static_cast<double>(sh.tokens) * f.pairs(), m);
                    }
                }
            }
        }
    }
    std::string csv = metadata_header("bench", command_line);
    csv += encoding_metadata(o.enc);
    csv += fmt::format("# shapes: {}\n# threads: {}\n# kernels: {}\n# runs: {} (after {} warm-up runs)\n# mode: {}\n",
                       o.shapes, o.threads, o.kernels, o.runs, o.warmup, o.in_place ? "in place" : "out of place");
    csv += "# rope: the parameters above with each shape's head_dim and both layouts (table and apply kernels); "
           "apply-2d and sinusoidal-table: the base above\n";
    csv += "# apply-mrope: mrope_section above, else [P/4, (P - P/4)/2, rest] sectioned over the P rotated pairs; "
           "token k at (t, h, w) = (k / 4096, k / 64 mod 64, k mod 64)\n";
    csv += fmt::format("# target: {} ({} doubles per vector; this CPU runs {})\n# hardware_threads: {}\n", pk::current_target(),
                       pk::current_lanes(), fmt::join(pk::available_targets(), ", "), std::thread::hardware_concurrency());
    csv += "# bytes: Q and K read and written (table-build, sinusoidal-table: the table's bytes; memcpy moves as many)\n";
    csv += "# ratio: median over runs of memcpy time / kernel time (paired, alternating runs); ratio_min: min / min\n";
    csv += "# mentries_per_s: table-build, apply-fused and apply-mrope cos/sin pairs, sinusoidal-table values, per second\n";
    csv += fmt::format("# out: {}\n", o.out.empty() ? std::string("-") : o.out);
    csv += "kernel,layout,shape,threads,gbps,memcpy_gbps,ratio,ratio_min,mentries_per_s\n";
    return csv + body;
}

}  // namespace

void register_bench(CLI::App& app, registry& r) {
    auto o = std::make_shared<bench_options>();
    CLI::App* cmd = app.add_subcommand("bench", "Throughput of the float32 kernels against memcpy on the same buffers, paired "
                                                "alternating runs (CSV kernel,layout,shape,threads,gbps,memcpy_gbps,ratio,...)");
    cmd->add_option("--shapes", o->shapes, "Comma list of TOKENSxHEADSxHEAD_DIM")->capture_default_str();
    cmd->add_option("--threads", o->threads, "Comma list of thread counts")->capture_default_str();
    cmd->add_option("--kernels", o->kernels,
                    "all, or a comma list of table-build, apply-table, apply-fused, apply-mrope, apply-2d, sinusoidal-table")
        ->capture_default_str();
    add_encoding_options(cmd, o->enc);
    add_target_option(cmd, o->target);
    cmd->add_option("--runs", o->runs, "Timed runs per measurement (>= 20; medians)")->capture_default_str();
    cmd->add_option("--warmup", o->warmup, "Untimed runs first")->capture_default_str();
    cmd->add_flag("--in-place", o->in_place, "Rotate Q and K in place (default: out of place, Q -> Q', as memcpy)");
    cmd->add_flag("--quiet", o->quiet, "No progress bar");
    cmd->add_option("--out", o->out, "Write the CSV to this file (atomically) instead of standard output");
    r.push_back({cmd, [o](std::string_view command_line) {
                     emit(bench(*o, command_line), o->out);
                     return 0;
                 }});
}

}  // namespace posenc_cli
