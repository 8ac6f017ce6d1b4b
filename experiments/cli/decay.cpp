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
// Every angle r w_j is formed exactly (TwoProduct) and its cosine and sine are taken by an accurate
// routine: glibc's sin/cos (which reduce exactly and are accurate to within 1 ulp) for double and
// long double, double arithmetic rounded once for float, posenc::math for __float128 and the
// multiprecision types. Along runs of equally spaced distances, e^{i r w_j} is advanced by the exact
// step rotation e^{i s w_j} for at most 255 steps before it is recomputed, so each term carries at
// most about 255 * 3 ulps of relative error: 3e-14 in double, well inside the 1e-12 this runner is
// checked to. Chunks of 256 rows are fixed by the row index in the whole distance list, so results
// do not depend on --threads or --shard.
#include "common.hpp"

#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/properties/common.hpp>

#include <cmath>
#include <optional>

namespace posenc_cli {
namespace {

namespace md = posenc::math::detail;

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

/// cos and sin of r (w.hi + w.lo), the product formed exactly (see the file comment).
template <class T>
posenc::math::sincos_result<T> sincos_exact(const T& r, const md::dd<T>& w) {
    const md::dd<T> p = md::two_prod(r, w.hi);
    const T lo = p.lo + r * w.lo;
    if constexpr (std::is_same_v<T, float>) {
        const double a = static_cast<double>(p.hi) + static_cast<double>(lo);  // exact: p.hi, lo are floats
        return {static_cast<float>(std::sin(a)), static_cast<float>(std::cos(a))};
    } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, long double>) {
        const T s = std::sin(p.hi);
        const T c = std::cos(p.hi);
        // rotate by lo (|lo| <= ulp(hi)): cos lo = 1 - lo^2/2, sin lo = lo to within lo^3/6
        const T cl = T(1) - lo * lo / T(2);
        return {s * cl + c * lo, c * cl - s * lo};
    } else {
        return posenc::detail::sincos_dd(md::dd<T>{p.hi, lo});
    }
}

template <class T>
T magnitude(const T& re, const T& im) {
    if constexpr (is_native<T>) {
        return std::sqrt(re * re + im * im);
    } else {
        return posenc::math::sqrt(T(re * re + im * im));
    }
}

/// The frequencies of the chosen encoding and direction, and the number of unrotated dimensions.
template <class T>
struct frequency_set {
    std::vector<md::dd<T>> w;
    int tail = 0;  // head_dim - 2 N
    std::string description;
};

template <class T>
frequency_set<T> frequencies(const decay_options& o) {
    frequency_set<T> f;
    const auto check_1d_only = [&] {
        if (o.axis != "x") throw usage_error("--axis: only for 2D encodings (--encoding rope2d-axial or rope2d-mixed)");
    };
    if (o.quantity == "sinusoidal-dot") {
        if (o.encoding != "rope") throw usage_error("--encoding: sinusoidal-dot uses the sinusoidal encoding (--dim, --base) only");
        if (o.enc.variant != "default") throw usage_error("--variant: sinusoidal-dot has no scaling variants");
        check_1d_only();
        const T base = parse_number<T>(o.enc.base, o.precision, "--base");
        std::optional<posenc::sinusoidal<T>> s;
        try {
            s.emplace(o.enc.dim, base);
        } catch (const posenc::invalid_parameter& e) {
            throw usage_error(fmt::format("{}: {}", option_name(e.parameter()), e.what()));
        }
        for (int i = 0; i < o.enc.dim / 2; ++i) f.w.push_back({s->theta(i), T(0)});
        f.description = "sinusoidal theta_i = base^(-2i/dim)";
        return f;
    }
    if (o.encoding == "rope") {
        check_1d_only();
        const posenc::rope<T> r = make_rope<T>(o.enc, o.precision);
        for (const T& t : r.inv_freq()) f.w.push_back({t, T(0)});
        f.tail = r.head_dim() - r.rotary_dim();
        f.description = "RoPE inv_freq (HF transformers' rope_type and parameters)";
        return f;
    }
    if (o.enc.variant != "default") throw usage_error("--variant: 2D encodings have no scaling variants");
    const T base = parse_number<T>(o.enc.base, o.precision, "--base");
    const T ux = (o.axis == "x" || o.axis == "diagonal") ? T(1) : T(0);
    const T uy = (o.axis == "y" || o.axis == "diagonal") ? T(1) : T(0);
    try {
        if (o.encoding == "rope2d-axial") {
            const posenc::axial_order order =
                o.axial_order == "x-then-y" ? posenc::axial_order::x_then_y : posenc::axial_order::y_then_x;
            const posenc::rope2d_axial<T> e(o.enc.dim, base, order);
            const posenc::rope_axial<T>& ax = e.axial();
            for (int j = 0; j < ax.pairs(); ++j) {
                const bool first = ax.axis_of_pair(j) == 0;
                const bool is_x = first == (order == posenc::axial_order::x_then_y);
                const T t = ax.theta()[static_cast<std::size_t>(j % ax.pairs_per_axis())];
                f.w.push_back({T(t * (is_x ? ux : uy)), T(0)});
            }
            f.description = "axial 2D RoPE (pairs rotate with x or with y)";
        } else {
            const T alpha = parse_number<T>(o.alpha, o.precision, "--alpha");
            const posenc::rope2d_mixed<T> e = posenc::rope2d_mixed<T>::rope_vit_init(o.enc.dim, base, alpha);
            for (int j = 0; j < e.pairs(); ++j) {
                const T a = T(e.theta_x()[static_cast<std::size_t>(j)] * ux);
                const T b = T(e.theta_y()[static_cast<std::size_t>(j)] * uy);
                f.w.push_back(md::two_sum(a, b));  // exact sum theta_x ux + theta_y uy
            }
            f.description = "RoPE-Mixed (rope-vit init_2d_freqs at --alpha): w = theta_x ux + theta_y uy";
        }
    } catch (const posenc::invalid_parameter& e) {
        throw usage_error(fmt::format("{}: {}", option_name(e.parameter()), e.what()));
    }
    return f;
}

/// Seeded Gaussian query/key pairs as complex pair values h_i = q_i conj(k_i) (pairs in order) plus
/// the unrotated tail sum q . k; drawn once and shared by every distance (common random numbers).
template <class T>
struct gaussian_samples {
    std::vector<T> h_re;  // samples x N
    std::vector<T> h_im;
    std::vector<T> tail;  // samples
};

template <class T>
gaussian_samples<T> draw_samples(const decay_options& o, std::size_t n_pairs, int tail_dims) {
    const bool correlated = o.gaussian_k == "correlated";
    const T noise = parse_number<T>(o.noise_std, o.precision, "--noise-std");
    if (!(noise >= T(0)) || !md::is_finite(noise)) throw usage_error("--noise-std: must be a finite number >= 0");
    posenc::gaussian_source<T> g(static_cast<std::uint64_t>(o.seed));
    const std::size_t hd = 2 * n_pairs + static_cast<std::size_t>(tail_dims);
    gaussian_samples<T> s;
    const auto ns = static_cast<std::size_t>(o.samples);
    s.h_re.resize(ns * n_pairs);
    s.h_im.resize(ns * n_pairs);
    s.tail.resize(ns);
    std::vector<T> q(hd), k(hd);
    for (std::size_t i = 0; i < ns; ++i) {
        for (auto& v : q) v = g.next();
        for (std::size_t d = 0; d < hd; ++d) k[d] = correlated ? T(q[d] + noise * g.next()) : g.next();
        for (std::size_t j = 0; j < n_pairs; ++j) {
            // pair j as the complex number x_{2j} + i x_{2j+1} (any fixed pairing gives the same law)
            const T qa = q[2 * j], qb = q[2 * j + 1], ka = k[2 * j], kb = k[2 * j + 1];
            s.h_re[i * n_pairs + j] = qa * ka + qb * kb;  // Re q conj(k)
            s.h_im[i * n_pairs + j] = qb * ka - qa * kb;  // Im q conj(k)
        }
        T t = T(0);
        for (std::size_t d = 2 * n_pairs; d < hd; ++d) t = t + q[d] * k[d];
        s.tail[i] = t;
    }
    return s;
}

template <class T>
std::vector<std::string> decay_csv(const decay_options& o, std::string_view command_line, std::string_view type_name) {
    const frequency_set<T> f = frequencies<T>(o);
    const std::size_t n = f.w.size();
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
    std::optional<gaussian_samples<T>> gs;
    if (gaussian) gs = draw_samples<T>(o, n, f.tail);

    const std::pair<std::size_t, std::size_t> rows_range = sh.range(dist.size());
    const std::size_t row_begin = rows_range.first;
    const std::size_t row_end = rows_range.second;
    constexpr std::size_t chunk_rows = 256;
    const std::size_t first_chunk = row_begin / chunk_rows;
    const std::size_t last_chunk = row_end == 0 ? 0 : (row_end + chunk_rows - 1) / chunk_rows;
    const std::size_t chunks = row_end > row_begin ? last_chunk - first_chunk : 0;
    std::vector<std::string> text(chunks);
    progress bar("posenc decay", static_cast<long long>(row_end - row_begin), o.quiet);

    parallel_for(chunks, thread_count(o.threads), 1, [&](std::size_t c) {
        const std::size_t c0 = (first_chunk + c) * chunk_rows;
        const std::size_t c1 = std::min(dist.size(), c0 + chunk_rows);
        const std::size_t rows = c1 - c0;
        // Phase 1: z[row][j] = e^{i r w_j} for every row of the chunk (elementwise in j).
        std::vector<T> zr(rows * n), zi(rows * n), wr(n), wi(n);
        long long step = 0;
        bool seeded = false;
        for (std::size_t k = 0; k < rows; ++k) {
            const std::size_t row = c0 + k;
            const long long r = dist[row];
            T* zrk = &zr[k * n];
            T* zik = &zi[k * n];
            // exact at the chunk start and whenever the spacing changes, else one step on
            if (seeded && r - dist[row - 1] == step) {
                const T* zrp = zrk - n;
                const T* zip = zik - n;
                for (std::size_t j = 0; j < n; ++j) {  // z <- z w (complex product)
                    zrk[j] = zrp[j] * wr[j] - zip[j] * wi[j];
                    zik[j] = zrp[j] * wi[j] + zip[j] * wr[j];
                }
                continue;
            }
            const T rt = T(r);
            for (std::size_t j = 0; j < n; ++j) {
                const auto sc = sincos_exact(rt, f.w[j]);
                zrk[j] = sc.cos;
                zik[j] = sc.sin;
            }
            seeded = false;
            if (row + 1 < c1) {
                step = dist[row + 1] - r;
                const T st = T(step);
                if (step != 0 && static_cast<long long>(st) == step) {
                    for (std::size_t j = 0; j < n; ++j) {
                        const auto sc = sincos_exact(st, f.w[j]);
                        wr[j] = sc.cos;
                        wi[j] = sc.sin;
                    }
                    seeded = true;
                }
            }
        }
        // Phase 2: the quantity for the rows of this shard (loops over rows innermost, so the
        // compiler can vectorise across rows).
        const std::size_t k0 = std::max(c0, row_begin) - c0;
        const std::size_t k1 = std::min(c1, row_end) - c0;
        std::vector<T> value(rows, T(0)), sd(rows, T(0));
        if (o.quantity == "roformer-bound") {
            std::vector<T> sr(rows, T(0)), si(rows, T(0));
            for (std::size_t j = 0; j < n; ++j) {
                for (std::size_t k = k0; k < k1; ++k) {
                    sr[k] = sr[k] + zr[k * n + j];
                    si[k] = si[k] + zi[k * n + j];
                    value[k] = value[k] + magnitude(sr[k], si[k]);
                }
            }
            const T count = T(static_cast<long long>(n));
            for (std::size_t k = k0; k < k1; ++k) value[k] = value[k] / count;
        } else if (!gaussian) {  // b-sum, sinusoidal-dot
            for (std::size_t j = 0; j < n; ++j) {
                for (std::size_t k = k0; k < k1; ++k) value[k] = value[k] + zr[k * n + j];
            }
        } else {
            // <R_m q, R_{m+r} k> = Re sum_j h_j e^{-i r w_j} + tail; Welford mean and variance
            const std::size_t ns = gs->tail.size();
            for (std::size_t k = k0; k < k1; ++k) {
                T mean = T(0), m2 = T(0);
                for (std::size_t s = 0; s < ns; ++s) {
                    const T* hr = &gs->h_re[s * n];
                    const T* hi = &gs->h_im[s * n];
                    T x = gs->tail[s];
                    for (std::size_t j = 0; j < n; ++j) x = x + (hr[j] * zr[k * n + j] + hi[j] * zi[k * n + j]);
                    const T delta = x - mean;
                    mean = mean + delta / T(static_cast<long long>(s + 1));
                    m2 = m2 + delta * T(x - mean);
                }
                value[k] = mean;
                const T var = m2 / T(static_cast<long long>(ns - 1));
                if constexpr (is_native<T>) {
                    sd[k] = std::sqrt(var);
                } else {
                    sd[k] = posenc::math::sqrt(var);
                }
            }
        }
        fmt::memory_buffer buf;
        for (std::size_t k = k0; k < k1; ++k) {
            if (!md::is_finite(value[k])) {
                throw std::runtime_error(fmt::format("non-finite value at distance {} (please report)", dist[c0 + k]));
            }
            fmt::format_to(std::back_inserter(buf), "{},", dist[c0 + k]);
            append_text(buf, value[k]);
            if (gaussian) {
                buf.push_back(',');
                append_text(buf, sd[k]);
            }
            buf.push_back('\n');
        }
        text[c] = fmt::to_string(buf);
        bar.advance(static_cast<long long>(k1 - k0));
    });

    std::string csv = metadata_header("decay", command_line);
    fmt::memory_buffer meta;
    const auto mo = std::back_inserter(meta);
    fmt::format_to(mo, "# quantity: {}\n# encoding: {}\n", o.quantity, o.encoding);
    csv += fmt::to_string(meta);
    csv += encoding_metadata(o.enc);
    meta.clear();
    fmt::format_to(mo, "# axis: {}\n# axial_order: {}\n# alpha: {}\n", o.axis, o.axial_order, o.alpha);
    fmt::format_to(mo, "# frequencies: {} ({} pairs, {} unrotated dims)\n", f.description, n, f.tail);
    fmt::format_to(mo, "# distances: {}\n# rows: {}\n# shard: {} (rows {} to {} of {})\n", o.distances, row_end - row_begin,
                   sh.text(), row_begin, row_end, dist.size());
    fmt::format_to(mo, "# samples: {}\n# seed: {}\n# gaussian_k: {}\n# noise_std: {}\n", o.samples, o.seed, o.gaussian_k,
                   o.noise_std);
    fmt::format_to(mo, "{}", precision_metadata<T>(o.precision, type_name));
    fmt::format_to(mo, "# threads: {}\n# out: {}\n", thread_count(o.threads), o.out.empty() ? std::string("-") : o.out);
    fmt::format_to(mo, "{}", gaussian ? "distance,value,std\n" : "distance,value\n");
    csv += fmt::to_string(meta);
    text.insert(text.begin(), std::move(csv));
    return text;
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
    cmd->add_option("--axis", o->axis, "2D: the direction of the distance: x, y or diagonal (r along both)")
        ->check(CLI::IsMember({"x", "y", "diagonal"}))
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
                     const std::vector<std::string> csv = with_precision(o->precision, [&](auto tag, std::string_view type_name) {
                         return decay_csv<typename decltype(tag)::type>(*o, command_line, type_name);
                     });
                     emit(csv, o->out);
                     return 0;
                 }});
}

}  // namespace posenc_cli
