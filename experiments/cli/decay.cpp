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
// multiprecision types. Distances go in chunks of 256 rows fixed by the row index in the whole
// distance list, so results do not depend on --threads or --shard. In a chunk of equally spaced
// distances (step s), e^{i r w_j} is computed exactly for the first row and reached from it by the
// exactly computed rotations e^{i s w_j} (rows 1 to 7) and e^{i 8 s w_j} (each later row from the row
// eight before it): at most 7 + 31 = 38 complex products, each adding about 3 ulps of relative
// error, 3e-14 in double, well inside the 1e-12 this runner is checked to. Other chunks are
// evaluated exactly row by row. The rows go to the output as the chunks finish, in order.
#include "common.hpp"

#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/properties/common.hpp>

#include <cmath>
#include <cstdlib>
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

/// Rows per tile of the row loop (see decay_csv, phase 1).
constexpr std::size_t tile = 8;

/// RoFormer's bound (1/N) sum_{j=1}^{N} |S_j| for the `tile` rows of one tile (pair-major:
/// z[j * tile + u] is pair j of row u), each row summing its pairs in order.
template <class T>
void roformer_tile(const T* zr, const T* zi, std::size_t n, T* value) {
    T sr[tile], si[tile], acc[tile];
    for (std::size_t u = 0; u < tile; ++u) sr[u] = si[u] = acc[u] = T(0);
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t u = 0; u < tile; ++u) {
            sr[u] = sr[u] + zr[j * tile + u];
            si[u] = si[u] + zi[j * tile + u];
            acc[u] = acc[u] + magnitude(sr[u], si[u]);
        }
    }
    const T count = T(static_cast<long long>(n));
    for (std::size_t u = 0; u < tile; ++u) value[u] = acc[u] / count;
}

/// Reusable per-thread buffers of the row loop (a chunk's arrays are too large for the allocator
/// to recycle cheaply: fresh pages for every chunk cost more than the arithmetic).
template <class T>
struct chunk_scratch {
    std::vector<T> zr, zi;      // e^{i r w_j}, tile by tile
    std::vector<T> w1r, w1i;    // the step rotation e^{i s w_j}
    std::vector<T> w8r, w8i;    // e^{i tile s w_j}
    std::vector<T> value, sd;   // the row values (and standard deviations)
    fmt::memory_buffer text;
};

/// Runs the decay subcommand at precision T: the header first, then the rows, streamed to `out`
/// in order as the workers finish them.
template <class T>
void decay_csv(const decay_options& o, std::string_view command_line, std::string_view type_name) {
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
    csv_output sink(o.out);
    sink.write(csv);
    ordered_writer writer(sink, chunks);
    progress bar("posenc decay", static_cast<long long>(row_end - row_begin), o.quiet);

    parallel_for(chunks, thread_count(o.threads), 1, [&](std::size_t c) {
        const std::size_t c0 = (first_chunk + c) * chunk_rows;
        const std::size_t c1 = std::min(dist.size(), c0 + chunk_rows);
        const std::size_t rows = c1 - c0;
        const std::size_t tiles = (rows + tile - 1) / tile;
        static thread_local chunk_scratch<T> scratch;
        std::vector<T>& zr = scratch.zr;
        std::vector<T>& zi = scratch.zi;
        zr.resize(tiles * n * tile);
        zi.resize(tiles * n * tile);
        // z[k][j] = e^{i r_k w_j} is stored tile by tile: tiles of `tile` consecutive rows, within
        // a tile pair-major, so that the loops over a tile's rows are contiguous and vectorise.
        const auto at = [n](std::size_t k, std::size_t j) { return ((k / tile) * n + j) * tile + k % tile; };

        // Phase 1: z for every row of the chunk.
        const auto exact_row = [&](std::size_t k, long long r) {
            const T rt = T(r);
            for (std::size_t j = 0; j < n; ++j) {
                const auto sc = sincos_exact(rt, f.w[j]);
                zr[at(k, j)] = sc.cos;
                zi[at(k, j)] = sc.sin;
            }
        };
        // Equally spaced rows (step s): row 0 exact, rows 1 .. tile-1 one step each from the
        // previous row, every later row `tile` steps from the row a tile before it:
        // z_k = z_{k-tile} e^{i tile s w_j}, with the step rotations e^{i s w_j} and e^{i tile s w_j}
        // computed exactly. A value is thus at most tile - 1 + 255 / tile = 38 complex products
        // from an exact one. Other chunks are evaluated row by row.
        const long long step = rows >= 2 ? dist[c0 + 1] - dist[c0] : 0;
        const auto exact_in_t = [](long long v) { return static_cast<long long>(T(v)) == v; };
        bool uniform = rows >= 2 && step != 0 && std::abs(step) <= (1LL << 40) && exact_in_t(step) &&
                       exact_in_t(step * static_cast<long long>(tile));
        for (std::size_t k = 2; uniform && k < rows; ++k) uniform = dist[c0 + k] - dist[c0 + k - 1] == step;
        if (uniform) {
            std::vector<T>& w1r = scratch.w1r;
            std::vector<T>& w1i = scratch.w1i;
            std::vector<T>& wtr = scratch.w8r;
            std::vector<T>& wti = scratch.w8i;
            w1r.resize(n);
            w1i.resize(n);
            wtr.resize(n);
            wti.resize(n);
            const T s1 = T(step);
            const T st = T(step * static_cast<long long>(tile));
            for (std::size_t j = 0; j < n; ++j) {
                const auto a1 = sincos_exact(s1, f.w[j]);
                const auto at1 = sincos_exact(st, f.w[j]);
                w1r[j] = a1.cos;
                w1i[j] = a1.sin;
                wtr[j] = at1.cos;
                wti[j] = at1.sin;
            }
            exact_row(0, dist[c0]);
            for (std::size_t j = 0; j < n; ++j) {
                for (std::size_t u = 1; u < tile; ++u) {  // z <- z w (complex product)
                    const T pr = zr[at(u - 1, j)], pi = zi[at(u - 1, j)];
                    zr[at(u, j)] = pr * w1r[j] - pi * w1i[j];
                    zi[at(u, j)] = pr * w1i[j] + pi * w1r[j];
                }
            }
            for (std::size_t b = 1; b < tiles; ++b) {
                const T* pr = &zr[((b - 1) * n) * tile];
                const T* pi = &zi[((b - 1) * n) * tile];
                T* qr = &zr[(b * n) * tile];
                T* qi = &zi[(b * n) * tile];
                for (std::size_t j = 0; j < n; ++j) {
                    const T cr = wtr[j], ci = wti[j];
                    for (std::size_t u = 0; u < tile; ++u) {
                        const std::size_t e = j * tile + u;
                        qr[e] = pr[e] * cr - pi[e] * ci;
                        qi[e] = pr[e] * ci + pi[e] * cr;
                    }
                }
            }
        } else {
            for (std::size_t k = 0; k < tiles * tile; ++k) {
                if (k < rows) {
                    exact_row(k, dist[c0 + k]);
                } else {
                    for (std::size_t j = 0; j < n; ++j) zr[at(k, j)] = zi[at(k, j)] = T(0);
                }
            }
        }

        // Phase 2: the quantity for the rows of this shard, a tile at a time. Every row sums its
        // pairs in order j = 0, 1, ..., so a value does not depend on the tiling.
        const std::size_t k0 = std::max(c0, row_begin) - c0;
        const std::size_t k1 = std::min(c1, row_end) - c0;
        std::vector<T>& value = scratch.value;
        std::vector<T>& sd = scratch.sd;
        value.assign(tiles * tile, T(0));
        sd.assign(tiles * tile, T(0));
        if (o.quantity == "roformer-bound") {
            for (std::size_t b = k0 / tile; b * tile < k1; ++b) {
                roformer_tile(&zr[(b * n) * tile], &zi[(b * n) * tile], n, &value[b * tile]);
            }
        } else if (!gaussian) {  // b-sum, sinusoidal-dot
            for (std::size_t b = k0 / tile; b * tile < k1; ++b) {
                const T* tr = &zr[(b * n) * tile];
                T acc[tile];
                for (std::size_t u = 0; u < tile; ++u) acc[u] = T(0);
                for (std::size_t j = 0; j < n; ++j) {
                    for (std::size_t u = 0; u < tile; ++u) acc[u] = acc[u] + tr[j * tile + u];
                }
                for (std::size_t u = 0; u < tile; ++u) value[b * tile + u] = acc[u];
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
                    for (std::size_t j = 0; j < n; ++j) x = x + (hr[j] * zr[at(k, j)] + hi[j] * zi[at(k, j)]);
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
        fmt::memory_buffer& buf = scratch.text;
        buf.clear();
        for (std::size_t k = k0; k < k1; ++k) {
            if (!md::is_finite(value[k])) {
                throw std::runtime_error(fmt::format("non-finite value at distance {} (please report)", dist[c0 + k]));
            }
            char num[24];
            const auto end = std::to_chars(num, num + sizeof num, dist[c0 + k]).ptr;
            buf.append(num, end);
            buf.push_back(',');
            append_text(buf, value[k]);
            if (gaussian) {
                buf.push_back(',');
                append_text(buf, sd[k]);
            }
            buf.push_back('\n');
        }
        writer.submit(c, std::string_view(buf.data(), buf.size()));
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
                     with_precision(o->precision, [&](auto tag, std::string_view type_name) {
                         decay_csv<typename decltype(tag)::type>(*o, command_line, type_name);
                     });
                     return 0;
                 }});
}

}  // namespace posenc_cli
