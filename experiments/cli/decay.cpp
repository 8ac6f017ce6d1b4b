// posenc decay: long-range decay quantities of RoPE (1D and 2D) and of the sinusoidal encoding as a
// function of the relative distance r, written as CSV distance,value[,std].
//
// Quantities (N rotated pairs with frequencies w_j; for 2D encodings w_j is the frequency of pair j
// along the chosen direction: x (1, 0), y (0, 1) or the diagonal (1, 1)):
//   roformer-bound  (1/N) sum_{j=1}^{N} |S_j|, S_j = sum_{i<j} e^{i r w_i}: the "relative upper bound"
//                   of RoFormer §3.4.3 (eq. 37, Figure 2)
//   sinusoidal-dot  p_m . p_{m+r} = sum_i cos(r theta_i), theta_i = base^(-2i/dim) (Vaswani et al.
//                   2017, §3.5; independent of m)
//   b-sum           B_{r,theta} = sum_i cos(r w_i) (Men et al. 2024, arXiv 2405.14591, eq. 9)
//   gaussian        mean and standard deviation over --samples draws of <R_m q, R_{m+r} k> =
//                   Re sum_i q_i conj(k_i) e^{-i r w_i} + (unrotated tail), q ~ N(0, I) and either k
//                   ~ N(0, I) independent (Barbero et al. 2024, Prop. 3.2: mean 0 at every r) or
//                   k = q + noise_std * eps (Men et al. 2024, Theorem 1: mean 2 B_{r,theta} + tail)
//
// The unit phases e^{i r w_j} come from posenc::analysis::phase_block (exact products, the C
// library's sin/cos for double and long double, posenc::math beyond, runs of equally spaced distances
// by exact step rotations: within 3e-14 relative in double, well inside the 1e-12 this runner is
// checked to), the quantities from posenc::analysis (roformer_relative_bound, b_sum) over blocks of
// 256 rows fixed by the row index in the whole distance list, so results do not depend on --threads
// or --shard. The rows go to the output as the blocks finish, in order.
//
// --precision 50 and 100 compute in MPFR with 23 and 50 guard bits (work_type.hpp) from the printed
// type's frequencies, and round each value to the printed type once. The error before that rounding,
// with eps = 2^-190 (50) or 2^-383 (100) and N pairs: every phase within 38 * 3 + rotation error
// (MPFR's correctly rounded sin and cos of an exact angle: 1 eps) of the exact one (phases.hpp), so B
// and the sinusoidal dot within N (116 + N) eps absolute, and |S_j| within j (117 + j) eps, so
// RoFormer's V within (N + 1)(117 + N) eps: for N = 64, 2^-176.5 (50 digits) and 2^-369.5 (100)
// absolute, i.e. 2^-9.5 and 2^-36.5 printed ulp where V >= 1 (head_dim 128, base 10^4: V > 2.8 for
// r <= 2000). The printed value is the correctly rounded value of the exact one unless that lies
// within this bound of a rounding boundary (B and the dot: unless |B| is small, the bound in printed
// ulps growing as 1/|B|). The Gaussian moments are Welford's recurrences in the working type.
#include "common.hpp"
#include "work_type.hpp"

#include <posenc/analysis/b_sum.hpp>
#include <posenc/analysis/gaussian.hpp>
#include <posenc/analysis/phases.hpp>
#include <posenc/analysis/roformer.hpp>
#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/properties/common.hpp>

#include <cmath>
#include <optional>

namespace posenc_cli {
namespace {

namespace md = posenc::math;
namespace pa = posenc::analysis;

struct decay_options {
    std::string quantity;
    encoding_options enc;
    std::string encoding = "rope";
    std::string axis = "x";
    std::string axial_order = "x-then-y";
    std::string alpha = "0";
    std::string distances;
    std::string precision = "double";
    long long samples = 1000;
    unsigned long long seed = 0;
    std::string gaussian_k = "independent";
    std::string noise_std = "1";
    int threads = 0;
    std::string shard_text = "0/1";
    bool quiet = false;
    std::string out;
};

/// The M-RoPE axes a distance moves along: --axis t, h, w, hw or thw (diagonal, the text direction;
/// also the default, "x").
std::string mrope_axes_of(const std::string& axis) {
    if (axis == "x" || axis == "diagonal") return "thw";
    if (axis == "t" || axis == "h" || axis == "w" || axis == "hw" || axis == "thw") return axis;
    throw usage_error(fmt::format("--axis: for M-RoPE one of t, h, w, hw, thw (or diagonal = thw), got '{}'", axis));
}

/// The frequencies of the chosen encoding and direction, and the number of unrotated dimensions.
template <class T>
struct frequency_set {
    std::vector<md::dd<T>> w;
    int tail = 0;  // head_dim - 2 N
    std::string description;
};

/// The frequencies, their parameters read at precision T, computed in C.
template <class T, class C>
frequency_set<C> frequencies_in(const decay_options& o) {
    frequency_set<C> f;
    const auto check_1d_only = [&] {
        if (o.axis != "x") {
            throw usage_error("--axis: only for 2D encodings (--encoding rope2d-axial or rope2d-mixed) and M-RoPE (--mrope-section)");
        }
    };
    if (o.quantity == "sinusoidal-dot") {
        if (o.encoding != "rope") throw usage_error("--encoding: sinusoidal-dot uses the sinusoidal encoding (--dim, --base) only");
        if (o.enc.variant() != "default") throw usage_error("--variant: sinusoidal-dot has no scaling variants");
        check_1d_only();
        const C base = C(parse_number<T>(o.enc.base(), o.precision, o.enc.where("base")));
        std::optional<posenc::sinusoidal<C>> s;
        try {
            s.emplace(o.enc.dim(), base);
        } catch (const posenc::invalid_parameter& e) {
            throw usage_error(fmt::format("{}: {}", option_name(e.parameter()), e.what()));
        }
        for (int i = 0; i < o.enc.dim() / 2; ++i) f.w.push_back({s->theta(i), C(0)});
        f.description = "sinusoidal theta_i = base^(-2i/dim)";
        return f;
    }
    if (o.encoding == "rope" && is_mrope(o.enc)) {
        // M-RoPE: a distance r along the chosen axes is the offset r e (e in {0, 1}^3); pair i
        // turns by r e_axis(i) theta_i, so the pairs of the other axes keep angle 0 (frequency 0).
        const std::string axes = mrope_axes_of(o.axis);
        const posenc::mrope<C> m = make_mrope<T, C>(o.enc, o.precision);
        for (const C& t : m.inv_freq_along(axes)) f.w.push_back({t, C(0)});
        f.tail = m.head_dim() - m.rotary_dim();
        f.description = fmt::format("M-RoPE inv_freq of the pairs that follow {} (the others turn by 0)", axes);
        return f;
    }
    if (o.encoding == "rope") {
        check_1d_only();
        const posenc::rope<C> r = make_rope<T, C>(o.enc, o.precision);
        for (const C& t : r.inv_freq()) f.w.push_back({t, C(0)});
        f.tail = r.head_dim() - r.rotary_dim();
        f.description = "RoPE inv_freq (HF transformers' rope_type and parameters)";
        return f;
    }
    if (is_mrope(o.enc)) throw usage_error(fmt::format("{}: M-RoPE sections apply to --encoding rope only", o.enc.where("mrope_section")));
    if (o.axis != "x" && o.axis != "y" && o.axis != "diagonal") {
        throw usage_error(fmt::format("--axis: for 2D encodings one of x, y, diagonal, got '{}'", o.axis));
    }
    if (o.enc.variant() != "default") throw usage_error("--variant: 2D encodings have no scaling variants");
    const C base = C(parse_number<T>(o.enc.base(), o.precision, o.enc.where("base")));
    const C ux = (o.axis == "x" || o.axis == "diagonal") ? C(1) : C(0);
    const C uy = (o.axis == "y" || o.axis == "diagonal") ? C(1) : C(0);
    try {
        if (o.encoding == "rope2d-axial") {
            const posenc::axial_order order =
                o.axial_order == "x-then-y" ? posenc::axial_order::x_then_y : posenc::axial_order::y_then_x;
            const posenc::rope2d_axial<C> e(o.enc.dim(), base, order);
            const posenc::rope_axial<C>& ax = e.axial();
            for (int j = 0; j < ax.pairs(); ++j) {
                const bool first = ax.axis_of_pair(j) == 0;
                const bool is_x = first == (order == posenc::axial_order::x_then_y);
                const C t = ax.theta()[static_cast<std::size_t>(j % ax.pairs_per_axis())];
                f.w.push_back({C(t * (is_x ? ux : uy)), C(0)});
            }
            f.description = "axial 2D RoPE (pairs rotate with x or with y)";
        } else {
            const C alpha = C(parse_number<T>(o.alpha, o.precision, "--alpha"));
            const posenc::rope2d_mixed<C> e = posenc::rope2d_mixed<C>::rope_vit_init(o.enc.dim(), base, alpha);
            for (int j = 0; j < e.pairs(); ++j) {
                const C a = C(e.theta_x()[static_cast<std::size_t>(j)] * ux);
                const C b = C(e.theta_y()[static_cast<std::size_t>(j)] * uy);
                f.w.push_back(md::two_sum(a, b));  // exact sum theta_x ux + theta_y uy
            }
            f.description = "RoPE-Mixed (rope-vit init_2d_freqs at --alpha): w = theta_x ux + theta_y uy";
        }
    } catch (const posenc::invalid_parameter& e) {
        throw usage_error(fmt::format("{}: {}", option_name(e.parameter()), e.what()));
    }
    return f;
}

/// The frequencies at precision T, computed in T's twin (the same bits, faster: work_type.hpp) and
/// carried back exactly.
template <class T>
frequency_set<T> frequencies(const decay_options& o) {
    using C = twin_t<T>;
    if constexpr (std::is_same_v<C, T>) {
        return frequencies_in<T, T>(o);
    } else {
        const frequency_set<C> c = frequencies_in<T, C>(o);
        frequency_set<T> f{{}, c.tail, c.description};
        for (const md::dd<C>& x : c.w) f.w.push_back({T(x.hi), T(x.lo)});  // exact: T's significand width
        return f;
    }
}

/// Seeded Gaussian query/key draws, shared by every distance (posenc/analysis/gaussian.hpp).
template <class T>
pa::gaussian_samples<T> draw_samples(const decay_options& o, std::size_t n_pairs, int tail_dims) {
    const T noise = parse_number<T>(o.noise_std, o.precision, "--noise-std");
    if (!(noise >= T(0)) || !md::is_finite(noise)) throw usage_error("--noise-std: must be a finite number >= 0");
    return pa::draw_gaussian_samples<T>(static_cast<std::uint64_t>(o.seed), static_cast<std::size_t>(o.samples), n_pairs,
                                        static_cast<std::size_t>(tail_dims), o.gaussian_k == "correlated", noise, [](std::size_t) {});
}

/// The draws, made at the printed type T, carried exactly into the working type W.
template <class W, class T>
pa::gaussian_samples<W> widen_samples(const pa::gaussian_samples<T>& s) {
    if constexpr (std::is_same_v<W, T>) {
        return s;
    } else {
        const auto all = [](const std::vector<T>& v) {
            std::vector<W> out;
            out.reserve(v.size());
            for (const T& x : v) out.push_back(widen<W>(x));
            return out;
        };
        return {all(s.h_re), all(s.h_im), all(s.tail)};
    }
}

/// Per-thread buffers of the row loop, reused from block to block (fresh pages for every block
/// cost more than the arithmetic).
template <class T>
struct chunk_scratch {
    pa::phase_block<T> phases;  // e^{i r w_j}
    std::vector<T> value, sd;   // the row values (and standard deviations)
    fmt::memory_buffer text;
};

/// The quantity for the rows [k0, k1) of a filled block, into s.value (and s.sd).
template <class T>
void block_values(const std::string& quantity, const pa::gaussian_samples<T>* gs, chunk_scratch<T>& s, std::size_t k0,
                  std::size_t k1) {
    const pa::phase_block<T>& z = s.phases;
    s.value.assign(z.tiles() * pa::phase_block<T>::tile, T(0));
    s.sd.assign(s.value.size(), T(0));
    if (quantity == "roformer-bound") {
        pa::roformer_relative_bound(z, k0, k1, std::span<T>(s.value));
    } else if (gs == nullptr) {  // b-sum, sinusoidal-dot
        pa::b_sum(z, k0, k1, std::span<T>(s.value));
    } else {
        for (std::size_t k = k0; k < k1; ++k) pa::gaussian_moments(*gs, z, k, s.value[k], s.sd[k]);
    }
}

/// The CSV rows distance,value[,std] of rows [k0, k1) of a block whose first distance is dist[0],
/// the values computed in W and printed rounded to T.
template <class T, class W>
void block_text(const chunk_scratch<W>& s, std::span<const long long> dist, std::size_t k0, std::size_t k1, bool with_sd,
                fmt::memory_buffer& buf) {
    buf.clear();
    for (std::size_t k = k0; k < k1; ++k) {
        if (!md::is_finite(s.value[k])) {
            throw std::runtime_error(fmt::format("non-finite value at distance {} (please report)", dist[k]));
        }
        char num[24];
        const auto end = std::to_chars(num, num + sizeof num, dist[k]).ptr;
        buf.append(num, end);
        buf.push_back(',');
        append_text(buf, narrow<T>(s.value[k]));
        if (with_sd) {
            buf.push_back(',');
            append_text(buf, narrow<T>(s.sd[k]));
        }
        buf.push_back('\n');
    }
}

/// The metadata lines and the column header.
template <class T>
std::string decay_header(const decay_options& o, std::string_view command_line, std::string_view type_name,
                         const frequency_set<T>& f, const shard& sh, std::pair<std::size_t, std::size_t> rows_range,
                         std::size_t rows) {
    const std::size_t n = f.w.size();
    const auto [row_begin, row_end] = rows_range;
    const bool gaussian = o.quantity == "gaussian";
    std::string csv = metadata_header("decay", command_line);
    fmt::memory_buffer meta;
    const auto mo = std::back_inserter(meta);
    fmt::format_to(mo, "# quantity: {}\n# encoding: {}\n", o.quantity, o.encoding);
    csv += fmt::to_string(meta);
    csv += encoding_metadata(o.enc);
    meta.clear();
    const bool mrope = o.encoding == "rope" && is_mrope(o.enc);
    fmt::format_to(mo, "# axis: {}\n# axial_order: {}\n# alpha: {}\n", mrope ? mrope_axes_of(o.axis) : o.axis, o.axial_order,
                   o.alpha);
    fmt::format_to(mo, "# frequencies: {} ({} pairs, {} unrotated dims)\n", f.description, n, f.tail);
    fmt::format_to(mo, "# distances: {}\n# rows: {}\n# shard: {} (rows {} to {} of {})\n", o.distances, row_end - row_begin,
                   sh.text(), row_begin, row_end, rows);
    fmt::format_to(mo, "# samples: {}\n# seed: {}\n# gaussian_k: {}\n# noise_std: {}\n", o.samples, o.seed, o.gaussian_k,
                   o.noise_std);
    fmt::format_to(mo, "{}", precision_metadata<T>(o.precision, type_name));
    fmt::format_to(mo, "# working_bits: {} (values computed at this significand width, rounded once to the type)\n",
                   significand_bits<work_t<T>>);
    fmt::format_to(mo, "# threads: {}\n# out: {}\n", thread_count(o.threads), o.out.empty() ? std::string("-") : o.out);
    fmt::format_to(mo, "{}", gaussian ? "distance,value,std\n" : "distance,value\n");
    csv += fmt::to_string(meta);
    return csv;
}

/// Runs the decay subcommand at precision T (computing in work_t<T>): the header first, then the
/// rows, streamed to `out` in order as the workers finish them.
template <class T>
void decay_csv(const decay_options& o, std::string_view command_line, std::string_view type_name) {
    using W = work_t<T>;
    const shard sh = parse_shard(o.shard_text);
    constexpr long long exact_limit = 1LL << 53;
    const std::vector<long long> dist = parse_index_spec(o.distances, "--distances", -exact_limit, exact_limit);
    for (const long long d : dist) {
        if (static_cast<long long>(T(d)) != d) {
            throw usage_error(fmt::format("--distances: {} is not exactly representable at precision {}", d, o.precision));
        }
    }
    const bool gaussian = o.quantity == "gaussian";
    if (gaussian && (o.samples < 2 || o.samples > 100'000'000)) throw usage_error("--samples: must be in [2, 10^8]");
    {  // the peak, before the frequencies are made (at 100 digits and --dim 65536 that takes seconds):
       // the distances, the draws (--dim numbers each: 2 per rotated pair and the unrotated dims; at T,
       // then widened to W), one phase block (256 distances x at most --dim / 2 pairs) per worker
        const double dim = o.enc.dim();
        memory_estimate m;
        m.add("--distances", "distances", static_cast<double>(dist.size()), sizeof(long long));
        if (gaussian) {
            m.add("--samples, --dim", "Gaussian draws", static_cast<double>(o.samples) * dim, sizeof(T));
            if constexpr (!std::is_same_v<T, W>) {
                m.add("--samples, --dim", "draws widened", static_cast<double>(o.samples) * dim, sizeof(W));
            }
        }
        m.add("--dim, --threads", "phase blocks (256 distances x pairs, re and im, per worker)",
              pa::phase_block<W>::max_rows * dim * thread_count(o.threads), sizeof(W));
        m.check();
    }
    const frequency_set<T> f = frequencies<T>(o);
    const std::size_t n = f.w.size();
    std::vector<md::dd<W>> w;
    for (const md::dd<T>& x : f.w) w.push_back({widen<W>(x.hi), widen<W>(x.lo)});
    std::optional<pa::gaussian_samples<W>> gs;
    if (gaussian) gs = widen_samples<W>(draw_samples<T>(o, n, f.tail));

    const std::pair<std::size_t, std::size_t> rows_range = sh.range(dist.size());
    const std::size_t row_begin = rows_range.first;
    const std::size_t row_end = rows_range.second;
    constexpr std::size_t chunk_rows = pa::phase_block<W>::max_rows;
    const std::size_t first_chunk = row_begin / chunk_rows;
    const std::size_t last_chunk = row_end == 0 ? 0 : (row_end + chunk_rows - 1) / chunk_rows;
    const std::size_t chunks = row_end > row_begin ? last_chunk - first_chunk : 0;
    const std::string csv = decay_header<T>(o, command_line, type_name, f, sh, rows_range, dist.size());
    csv_output sink(o.out);
    sink.write(csv);
    ordered_writer writer(sink, chunks);
    progress bar("posenc decay", static_cast<long long>(row_end - row_begin), o.quiet);

    parallel_for(chunks, thread_count(o.threads), 1, [&](std::size_t c) {
        const std::size_t c0 = (first_chunk + c) * chunk_rows;
        const std::size_t c1 = std::min(dist.size(), c0 + chunk_rows);
        const std::span<const long long> rows(dist.data() + c0, c1 - c0);
        static thread_local chunk_scratch<W> scratch;
        scratch.phases.fill(std::span<const md::dd<W>>(w), rows);
        // the rows of this shard
        const std::size_t k0 = std::max(c0, row_begin) - c0;
        const std::size_t k1 = std::min(c1, row_end) - c0;
        block_values(o.quantity, gs ? &*gs : nullptr, scratch, k0, k1);
        block_text<T>(scratch, rows, k0, k1, gaussian, scratch.text);
        writer.submit(c, std::string_view(scratch.text.data(), scratch.text.size()));
        bar.advance(static_cast<long long>(k1 - k0));
    });

    sink.commit();
}

}  // namespace

void register_decay(CLI::App& app, registry& r) {
    auto o = std::make_shared<decay_options>();
    CLI::App* cmd = app.add_subcommand("decay", "Decay curves: RoFormer bound, sinusoidal dot, Men et al.'s B, Gaussian "
                                                "mean/std, against the distance (CSV distance,value[,std])");
    cmd->add_option("--quantity", o->quantity, "roformer-bound, sinusoidal-dot, b-sum or gaussian")
        ->required()
        ->check(CLI::IsMember({"roformer-bound", "sinusoidal-dot", "b-sum", "gaussian"}));
    add_encoding_options(cmd, o->enc);
    cmd->add_option("--encoding", o->encoding, "rope (1D, with --variant), rope2d-axial or rope2d-mixed")
        ->check(CLI::IsMember({"rope", "rope2d-axial", "rope2d-mixed"}))
        ->capture_default_str();
    cmd->add_option("--axis", o->axis, "The direction of the distance: 2D x, y or diagonal (r along both); M-RoPE t, h, w, hw or thw (= diagonal, the text direction, the default)")
        ->check(CLI::IsMember({"x", "y", "diagonal", "t", "h", "w", "hw", "thw"}))
        ->capture_default_str();
    cmd->add_option("--axial-order", o->axial_order, "rope2d-axial: x-then-y (rope-vit) or y-then-x (EVA-02)")
        ->check(CLI::IsMember({"x-then-y", "y-then-x"}))
        ->capture_default_str();
    cmd->add_option("--alpha", o->alpha, "rope2d-mixed: rotation angle of rope-vit's init_2d_freqs (radians)")
        ->capture_default_str();
    cmd->add_option("--distances", o->distances,
                    "Distances r: a:b (step 1, inclusive), a:b:step, log:a:b:n (log-spaced integers), comma lists of these")
        ->required();
    cmd->add_option("--precision", o->precision, std::string(precision_help))
        ->check(CLI::IsMember(precision_names()))
        ->capture_default_str();
    cmd->add_option("--samples", o->samples, "gaussian: number of (q, k) draws")->capture_default_str();
    cmd->add_option("--seed", o->seed, "gaussian: seed of the normal generator")->capture_default_str();
    cmd->add_option("--gaussian-k", o->gaussian_k, "gaussian: independent (k ~ N(0, I)) or correlated (k = q + noise)")
        ->check(CLI::IsMember({"independent", "correlated"}))
        ->capture_default_str();
    cmd->add_option("--noise-std", o->noise_std, "gaussian, correlated: standard deviation of the noise")->capture_default_str();
    cmd->add_option("--threads", o->threads, "Worker threads (0: all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
    cmd->add_option("--shard", o->shard_text, "Write only shard i of N (0 <= i < N): the N outputs concatenate, headers "
                                              "aside, to the unsharded one")
        ->capture_default_str();
    cmd->add_flag("--quiet", o->quiet, "No progress bar");
    cmd->add_option("--out", o->out, "Write the CSV to this file (atomically) instead of standard output");
    r.push_back({cmd, [o](std::string_view command_line) {
                     with_precision(o->precision, [&](auto tag, std::string_view type_name) {
                         decay_csv<typename decltype(tag)::type>(*o, command_line, type_name);
                     });
                     return 0;
                 }});
}

}  // namespace posenc_cli
