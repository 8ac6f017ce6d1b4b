// posenc validate: every float32 kernel against the encodings instantiated at 50 digits, on the same
// float inputs, by position bucket.
//
// Inputs (seeded): Q and K of --heads heads each, [tokens][heads][dim], N(0, 1) rounded to float;
// positions 0, 1, 2^23 - 1, 2^23, 2^23 + 1, 2^24 - 1 and 2^24, then a third near powers of two
// (2^k + d, |d| <= 3) and two thirds log-uniform in [1, 2^24]; for apply-2d, the same list as x and
// reversed as y; for apply-mrope, per token a 3-vector (t, h, w): the list's value v on axis
// k mod 3 (so 2^24, 2^23 +- 1 ... fall on every axis), the other two drawn uniformly in v's bucket,
// the three pairwise distinct (but in bucket 0, which holds 0 only). Tokens: enough for --samples
// rotated pairs per kernel and layout (per M-RoPE geometry: its own Q, K and positions).
// M-RoPE geometries (apply-mrope): when the encoding options carry an mrope_section (--mrope-section,
// --mrope-interleaved, or a --config whose rope has one), that M-RoPE in both pair layouts; else four
// real ones, each in its own layout: Qwen2.5-VL-7B (head_dim 128, base 1e6, [16, 24, 24] sectioned,
// half-split), Qwen3-VL-4B (128, 5e6, [24, 20, 20] interleaved, half-split), GLM-4.1V-9B (128,
// partial 0.5, 1e4, [8, 12, 12] sectioned, interleaved pairs), Qwen3.5-27B (256, partial 0.25, 1e7,
// [11, 11, 10] interleaved, half-split).
// Reference: posenc::rope (theta_i of the variant at 50 digits, exact angle), rope2d_axial, mrope and
// sinusoidal at 50 digits, through their public apply/encode, and the rotation of the float inputs in
// 50-digit arithmetic; the numbers are read as cpp_bin_float_50 and computed in reference_50
// (work_type.hpp: MPFR at cpp_bin_float_50's 168 bits, the same roundings, MPFR's sin and cos), which
// gives cpp_bin_float_50's bits but for sines and cosines within 2^-330 of a rounding boundary, about
// 50 times as fast.
// Metric (max_err_ulp, mean_err_ulp), per output pair: |y_hat - y| (Euclidean) / ulp(|x_pair|),
// ulp of float, |x_pair| the input pair's norm. A table entry (cos, sin) is the rotation of the
// unit pair (1, 0), so its unit is ulp(1) = 2^-23; a sinusoidal pair (sin, cos) likewise. (The
// entry-by-entry bound, 1 ulp of each entry against cos/sin of the exact angle with the kernel's
// double theta, is tests/test_kernels_reference.cpp's: against the 50-digit theta an entry near 0
// also carries the rounding of theta to double, up to m 2^-53 theta rad, which no float table
// can avoid.)
// Bounds (the run exits with status 3 if a row exceeds its bound; the CSV is written first):
//   table-build, sinusoidal-table 1; apply-table, apply-fused, apply-2d, apply-mrope 2 (the required
//   bound; the kernels' own derived bounds are 0.36, 1.42 and 0.71 (apply-fused, apply-2d,
//   apply-mrope) plus the 50-digit theta's difference from the kernel's double theta, at most
//   m 2^-53 theta: 0.03 ulp at m = 2^24); the fp32 pipelines have none (they are shown for
//   comparison).
// Rows are computed per token and combined in token order: the CSV does not depend on --threads.
#include "common.hpp"
#include "pipelines.hpp"
#include "work_type.hpp"

#include <posenc/encodings/mrope.hpp>
#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/kernels.hpp>
#include <posenc/properties/common.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>

namespace posenc_cli {
namespace {

using big = reference_50;
using big_text = mp::cpp_bin_float_50;  // the type the reference's numbers are read in
namespace pk = posenc::kernels;

const std::vector<std::string>& kernel_names() {
    static const std::vector<std::string> names{"table-build", "apply-table",      "apply-fused",  "apply-2d",
                                                "apply-mrope", "sinusoidal-table", "fp32-product", "fp32-recurrence"};
    return names;
}

double bound_of(std::string_view kernel) {
    if (kernel == "table-build" || kernel == "sinusoidal-table") return 1.0;
    if (kernel == "apply-table" || kernel == "apply-fused" || kernel == "apply-2d" || kernel == "apply-mrope") return 2.0;
    return INFINITY;  // the fp32 pipelines: shown, not bounded
}

// Position buckets [lo, hi) (the last one includes 2^24).
constexpr std::array<long long, 8> bucket_edges{0, 1, 1LL << 10, 1LL << 16, 1LL << 20, 1LL << 22, 1LL << 23, (1LL << 24) + 1};
const std::array<const char*, 7> bucket_names{"0", "1..2^10", "2^10..2^16", "2^16..2^20", "2^20..2^22", "2^22..2^23", "2^23..2^24"};
constexpr std::size_t buckets = bucket_names.size();

std::size_t bucket_of(long long m) {
    std::size_t b = 0;
    while (b + 1 < buckets && m >= bucket_edges[b + 1]) ++b;
    return b;
}

/// Error statistics of one token (or of a whole row, once merged in token order).
struct stats {
    double max = 0;
    double sum = 0;
    long long count = 0;
    void add(double e) {
        max = std::max(max, e);
        sum += e;
        ++count;
    }
    void merge(const stats& o) {
        max = std::max(max, o.max);
        sum += o.sum;
        count += o.count;
    }
};

/// ulp (float) of sqrt(a^2 + b^2), from the exact sum of squares (TwoSum): 2^(e - 23) for a norm in
/// [2^e, 2^(e+1)); 0 for a zero pair.
double float_ulp_of_norm(float a, float b) {
    const double a2 = static_cast<double>(a) * a;  // exact: 24-bit squares fit in 53 bits
    const double b2 = static_cast<double>(b) * b;
    const double s = a2 + b2;
    if (s == 0) return 0;
    const double bb = s - a2;
    const double err = (a2 - (s - bb)) + (b2 - bb);  // a2 + b2 = s + err exactly
    int ex = 0;
    const double f = std::frexp(s, &ex);  // s = f 2^ex, f in [0.5, 1): s in [2^(ex-1), 2^ex)
    if (f == 0.5 && err < 0) --ex;        // the exact sum lies just below the power of two s
    const int e2 = ex - 1;                // |x|^2 in [2^e2, 2^(e2+1))
    const int e = e2 >= 0 ? e2 / 2 : -((-e2 + 1) / 2);  // floor(e2 / 2)
    return std::ldexp(1.0, std::max(e - 23, -149));
}

/// |(ya, yb) - R (xa, xb)| / ulp(|x|), R from the exact cos/sin.
double pair_error(float xa, float xb, float ya, float yb, const big& c, const big& s) {
    const big ra = big(xa) * c - big(xb) * s;
    const big rb = big(xa) * s + big(xb) * c;
    const double da = static_cast<double>(big(big(ya) - ra));
    const double db = static_cast<double>(big(big(yb) - rb));
    const double u = float_ulp_of_norm(xa, xb);
    const double e = std::hypot(da, db);
    if (u == 0) return e == 0 ? 0.0 : INFINITY;
    return e / u;
}

struct validate_options {
    encoding_options enc;
    long long samples = 1'000'000;
    int heads = 4;
    unsigned long long seed = 0;
    std::string kernels = "all";
    std::string target = "best";  ///< the kernels' vector target (posenc::kernels::use_target)
    int threads = 0;
    bool quiet = false;
    std::string out;
};

std::vector<long long> validation_positions(std::size_t n, std::uint64_t seed) {
    std::vector<long long> p = {0, 1, (1LL << 23) - 1, 1LL << 23, (1LL << 23) + 1, (1LL << 24) - 1, 1LL << 24};
    std::mt19937_64 g(seed);
    std::uniform_int_distribution<int> k(1, 24), d(-3, 3), which(0, 2);
    std::uniform_real_distribution<double> u(0.0, 24.0);
    while (p.size() < n) {
        if (which(g) == 0) {
            const int e = k(g);  // the power, then the offset: an order the compilers must follow
            p.push_back(std::clamp((1LL << e) + d(g), 1LL, 1LL << 24));
        } else {
            p.push_back(std::clamp(static_cast<long long>(std::floor(std::exp2(u(g)))), 1LL, 1LL << 24));
        }
    }
    p.resize(std::max<std::size_t>(n, 1));
    return p;
}

/// Per token (t, h, w): the list's value v = pos[k] on axis k mod 3, the other two uniform in v's
/// bucket, the three pairwise distinct where the bucket allows (bucket 0 holds 0 only).
std::vector<std::array<long long, 3>> mrope_validation_positions(const std::vector<long long>& pos, std::uint64_t seed) {
    std::vector<std::array<long long, 3>> out(pos.size());
    std::mt19937_64 g(seed);
    for (std::size_t t = 0; t < pos.size(); ++t) {
        const std::size_t b = bucket_of(pos[t]);
        const long long lo = bucket_edges[b];
        const long long hi = bucket_edges[b + 1] - 1;
        std::uniform_int_distribution<long long> u(lo, hi);
        std::array<long long, 3> p{pos[t], pos[t], pos[t]};
        for (std::size_t j = 1; j < 3; ++j) {
            if (hi - lo < 2) break;
            do {
                p[j] = u(g);
            } while (std::find(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(j), p[j]) != p.begin() + static_cast<std::ptrdiff_t>(j));
        }
        for (std::size_t j = 0; j < 3; ++j) out[t][(j + t) % 3] = p[j];
    }
    return out;
}

/// Q and K, [tokens][heads][dim] floats, N(0, 1) from gaussian_source(seed): Q first, then K.
struct qk_inputs {
    std::size_t tokens;
    int heads;
    int dim;
    std::vector<float> q, k;

    qk_inputs(std::size_t tokens_, int heads_, int dim_, std::uint64_t seed)
        : tokens(tokens_), heads(heads_), dim(dim_), q(tokens_ * static_cast<std::size_t>(heads_) * static_cast<std::size_t>(dim_)),
          k(q.size()) {
        posenc::gaussian_source<double> g(seed);
        for (float& v : q) v = static_cast<float>(g.next());
        for (float& v : k) v = static_cast<float>(g.next());
    }
    /// A buffer of this shape (an output), and the inputs, as views.
    [[nodiscard]] pk::tensor_view view(std::vector<float>& data) const {
        return pk::tensor_view::tokens_major(data.data(), static_cast<int>(tokens), heads, dim);
    }
    [[nodiscard]] pk::const_tensor_view q_view() const {
        return pk::const_tensor_view::tokens_major(q.data(), static_cast<int>(tokens), heads, dim);
    }
    [[nodiscard]] pk::const_tensor_view k_view() const {
        return pk::const_tensor_view::tokens_major(k.data(), static_cast<int>(tokens), heads, dim);
    }
};

/// One CSV row in the making: statistics per bucket, per token.
struct row {
    std::string kernel;
    std::string layout;
    std::vector<std::array<stats, buckets>> per_token;
};

/// Errors of rotated Q and K (outputs qo, ko of the inputs `in`) against the reference rotation by
/// (c, s)[token * pairs + i] of pair i, each token in the bucket of bucket_pos[token].
void measure_pairs(pk::thread_pool& pool, row& r, const qk_inputs& in, const std::vector<float>& qo, const std::vector<float>& ko,
                   const std::function<posenc::pair_index(int)>& pair_of, std::size_t pairs, const std::vector<big>& c,
                   const std::vector<big>& s, const std::vector<long long>& bucket_pos) {
    const std::size_t hd = static_cast<std::size_t>(in.dim);
    parallel_for(pool, in.tokens, 4, [&](std::size_t t) {
        stats& st = r.per_token[t][bucket_of(bucket_pos[t])];
        for (const auto& [x, y] : {std::pair{&in.q, &qo}, std::pair{&in.k, &ko}}) {
            for (int h = 0; h < in.heads; ++h) {
                const std::size_t base = (t * static_cast<std::size_t>(in.heads) + static_cast<std::size_t>(h)) * hd;
                for (std::size_t i = 0; i < pairs; ++i) {
                    const posenc::pair_index p = pair_of(static_cast<int>(i));
                    const auto a = static_cast<std::size_t>(p.a), b = static_cast<std::size_t>(p.b);
                    st.add(pair_error((*x)[base + a], (*x)[base + b], (*y)[base + a], (*y)[base + b], c[t * pairs + i], s[t * pairs + i]));
                }
            }
        }
    });
}

/// An M-RoPE to validate: its encoding options (the layout is set per row) and the pair layouts.
struct mrope_case {
    std::string name;  ///< the row's geometry tag
    encoding_options enc;
    std::vector<posenc::pair_layout> layouts;
    std::string text;  ///< for the metadata
};

/// The options' M-RoPE (both layouts) if they carry an mrope_section, else the four real ones (see
/// the file comment).
std::vector<mrope_case> mrope_cases(const encoding_options& o) {
    const auto describe = [](const std::string& name, const encoding_options& e) {
        const posenc::mrope<double> m = make_mrope<double>(e, "double");
        const std::vector<long>& s = m.params().mrope_section;
        return fmt::format("{}: head_dim {}, rotary_dim {}, base {}, variant {}, mrope_section [{}, {}, {}] {}", name, m.head_dim(),
                           m.rotary_dim(), e.base(), posenc::rope_type_name(m.params().variant), s[0], s[1], s[2],
                           m.interleaved_sections() ? "interleaved" : "sectioned");
    };
    std::vector<mrope_case> out;
    if (is_mrope(o)) {
        const std::string name = o.config.empty() ? std::string("options") : std::filesystem::path(o.config).stem().string();
        mrope_case c{name, o, {posenc::pair_layout::interleaved, posenc::pair_layout::half_split}, ""};
        c.text = describe(name, o) + ", both pair layouts";
        out.push_back(std::move(c));
        return out;
    }
    struct model {
        const char* name;
        const char* head_dim;
        const char* base;
        const char* partial;
        posenc::pair_layout layout;
        const char* section;
        bool interleaved;
    };
    // the configs in tests/data/configs/ (qwen2.5-vl-7b-instruct, qwen3-vl-4b-instruct, glm-4.1v-9b-thinking, qwen3.5-27b)
    static constexpr model models[] = {
        {"qwen2.5-vl-7b", "128", "1000000", "1", posenc::pair_layout::half_split, "16,24,24", false},
        {"qwen3-vl-4b", "128", "5000000", "1", posenc::pair_layout::half_split, "24,20,20", true},
        {"glm-4.1v-9b", "128", "10000", "0.5", posenc::pair_layout::interleaved, "8,12,12", false},
        {"qwen3.5-27b", "256", "10000000", "0.25", posenc::pair_layout::half_split, "11,11,10", true},
    };
    for (const model& m : models) {
        encoding_options e;
        e.set("head_dim", m.head_dim);
        e.set("base", m.base);
        e.set("partial_rotary_factor", m.partial);
        e.set("mrope_section", m.section);
        e.set("mrope_interleaved", m.interleaved ? "true" : "false");
        e.set("layout", std::string(posenc::layout_name(m.layout)));
        mrope_case c{m.name, e, {m.layout}, ""};
        c.text = describe(m.name, e) + ", " + std::string(posenc::layout_name(m.layout));
        out.push_back(std::move(c));
    }
    return out;
}

std::string validate(const validate_options& o, std::string_view command_line, bool& all_within) {
    pk::use_target(o.target);
    // kernels requested
    std::vector<std::string> wanted;
    if (o.kernels == "all") {
        wanted = kernel_names();
    } else {
        for (const std::string& k : split_list(o.kernels, "--kernels")) {
            if (std::find(kernel_names().begin(), kernel_names().end(), k) == kernel_names().end()) {
                throw usage_error(fmt::format("--kernels: unknown kernel '{}' (expected all or a comma list of table-build, "
                                              "apply-table, apply-fused, apply-2d, apply-mrope, sinusoidal-table, fp32-product, "
                                              "fp32-recurrence)",
                                              k));
            }
            wanted.push_back(k);
        }
    }
    const auto want = [&](std::string_view k) { return std::find(wanted.begin(), wanted.end(), k) != wanted.end(); };
    if (o.samples < 1 || o.samples > 100'000'000) throw usage_error("--samples: must be in [1, 10^8]");
    if (o.heads < 1 || o.heads > 256) throw usage_error("--heads: must be in [1, 256]");
    if (want("fp32-recurrence") && o.enc.variant() != "default" && o.enc.variant() != "linear") {
        if (o.kernels != "all") throw usage_error("--kernels: fp32-recurrence emulates ggml's default and linear RoPE only (--variant)");
        wanted.erase(std::find(wanted.begin(), wanted.end(), "fp32-recurrence"));
    }

    encoding_options enc = o.enc;
    enc.set("layout", "half-split");
    const posenc::rope<big> ref = make_rope<big_text, big>(enc, "50");
    const posenc::rope<double> rd = make_rope<double>(enc, "double");
    if (is_mrope(o.enc)) (void)make_mrope<double>(o.enc, "double");  // a bad mrope_section is an error, whichever kernels run
    const std::vector<mrope_case> mcases = want("apply-mrope") ? mrope_cases(o.enc) : std::vector<mrope_case>{};
    const int dim = rd.head_dim();
    const std::size_t n = static_cast<std::size_t>(rd.pairs());
    const std::size_t hd = static_cast<std::size_t>(dim);
    // tokens for `samples` rotated pairs of Q and K with `pairs` pairs per head (at least 16)
    const auto tokens_for = [&](std::size_t pairs) {
        const auto per_token_pairs = static_cast<long long>(2 * static_cast<std::size_t>(o.heads) * pairs);
        return static_cast<std::size_t>(std::max<long long>(16, (o.samples + per_token_pairs - 1) / per_token_pairs));
    };
    const std::size_t tokens = tokens_for(n);
    const bool one_d = want("table-build") || want("apply-table") || want("apply-fused") || want("fp32-product") ||
                       want("fp32-recurrence");
    {  // the peak: Q and K with their outputs, the 1D reference (cos, sin per token and pair; MPFR
       // numbers whose three limbs are allocated: 48 bytes counted for them), or the largest M-RoPE one
        constexpr double big_bytes = sizeof(big) + 48.0;
        const double heads = o.heads;
        double reference = one_d ? 2.0 * static_cast<double>(tokens) * static_cast<double>(n) : 0;
        double qk = 4.0 * static_cast<double>(tokens) * heads * static_cast<double>(hd);
        for (const mrope_case& mc : mcases) {
            const posenc::mrope<double> mm = make_mrope<double>(mc.enc, "double");
            const auto mn = static_cast<std::size_t>(mm.pairs());
            const double mt = static_cast<double>(tokens_for(mn));
            reference = std::max(reference, 2.0 * mt * static_cast<double>(mn));
            qk = std::max(qk, 4.0 * mt * heads * mm.head_dim());
        }
        memory_estimate m;
        m.add("--samples, --heads, --dim", "Q and K, in and out", qk, sizeof(float));
        m.add("--samples, --heads", "50-digit reference cos and sin", reference, big_bytes);
        m.add("--samples, --heads", "positions", 4.0 * static_cast<double>(tokens), sizeof(long long));
        m.check();
    }
    const std::vector<long long> pos = validation_positions(tokens, o.seed);
    std::vector<long long> ys(pos.rbegin(), pos.rend());
    const unsigned threads = thread_count(o.threads);
    pk::thread_pool pool(threads);

    // Reference cos/sin of every (token, pair): R_m applied to the vector with 1 at each pair's first
    // component and 0 at its second gives (cos, sin) there. (Only for the kernels that use it.)
    std::vector<big> rc(one_d ? tokens * n : 0), rs(one_d ? tokens * n : 0);
    if (one_d) {
        progress bar("posenc validate: reference", static_cast<long long>(tokens), o.quiet);
        parallel_for(pool, tokens, 1, [&](std::size_t t) {
            std::vector<big> x(hd, big(0));
            for (std::size_t i = 0; i < n; ++i) x[static_cast<std::size_t>(ref.pair_indices(static_cast<int>(i)).a)] = 1;
            ref.apply(std::span<big>(x), pos[t]);
            for (std::size_t i = 0; i < n; ++i) {
                const posenc::pair_index p = ref.pair_indices(static_cast<int>(i));
                rc[t * n + i] = x[static_cast<std::size_t>(p.a)];
                rs[t * n + i] = x[static_cast<std::size_t>(p.b)];
            }
            bar.advance();
        });
    }

    // Inputs: Q and K, [tokens][heads][dim], float.
    const qk_inputs in(tokens, o.heads, dim, static_cast<std::uint64_t>(o.seed) + 1);
    const std::size_t tensor_size = in.q.size();
    std::vector<std::int64_t> positions(pos.begin(), pos.end());
    std::vector<std::int64_t> positions_y(ys.begin(), ys.end());

    std::vector<row> rows;
    const auto new_row = [&](std::string kernel, std::string layout, std::size_t row_tokens) -> row& {
        rows.push_back({std::move(kernel), std::move(layout), std::vector<std::array<stats, buckets>>(row_tokens)});
        return rows.back();
    };

    if (want("table-build")) {
        const pk::rope_frequencies f = pk::rope_frequencies::from(rd);
        pk::cos_sin_table table;
        pk::build_table(f, positions, table, &pool);
        row& r = new_row("table-build", "none", tokens);
        parallel_for(pool, tokens, 4, [&](std::size_t t) {
            stats& st = r.per_token[t][bucket_of(pos[t])];
            for (std::size_t i = 0; i < n; ++i) {  // (cos, sin) = the unit pair (1, 0) rotated
                st.add(pair_error(1.0f, 0.0f, table.cos_row(static_cast<int>(t))[i], table.sin_row(static_cast<int>(t))[i], rc[t * n + i],
                                  rs[t * n + i]));
            }
        });
    }

    for (const posenc::pair_layout layout : {posenc::pair_layout::interleaved, posenc::pair_layout::half_split}) {
        const std::string lname = layout == posenc::pair_layout::interleaved ? "interleaved" : "half-split";
        encoding_options el = enc;
        el.set("layout", lname);
        const posenc::rope<double> rl = make_rope<double>(el, "double");
        const pk::rope_frequencies f = pk::rope_frequencies::from(rl);
        const auto pair_of = [&](int i) { return rl.pair_indices(i); };
        std::vector<float> qo(tensor_size), ko(tensor_size);
        const auto run = [&](const std::function<void(std::span<const pk::rope_operand>)>& kernel) {
            const pk::rope_operand ops[] = {{in.q_view(), in.view(qo)}, {in.k_view(), in.view(ko)}};
            kernel(ops);
        };
        if (want("apply-table")) {
            pk::cos_sin_table table;
            pk::build_table(f, positions, table, &pool);
            run([&](std::span<const pk::rope_operand> ops) { pk::apply_table(f, table, ops, &pool); });
            measure_pairs(pool, new_row("apply-table", lname, tokens), in, qo, ko, pair_of, n, rc, rs, pos);
        }
        if (want("apply-fused")) {
            run([&](std::span<const pk::rope_operand> ops) { pk::apply_fused(f, positions, ops, &pool); });
            measure_pairs(pool, new_row("apply-fused", lname, tokens), in, qo, ko, pair_of, n, rc, rs, pos);
        }
        for (const char* pipeline : {"fp32-product", "fp32-recurrence"}) {
            if (!want(pipeline)) continue;
            const float_pipelines fp(el, rl.inv_freq(), rl.rotary_dim());
            const bool product = std::string_view(pipeline) == "fp32-product";
            parallel_for(pool, tokens, 4, [&](std::size_t t) {
                std::vector<float> angles(n);
                if (product) {
                    for (std::size_t i = 0; i < n; ++i) angles[i] = fp.product_angle(pos[t], i, identity);
                } else {
                    fp.recurrence_angles(pos[t], angles);
                }
                for (const auto& [x, y] : {std::pair{&in.q, &qo}, std::pair{&in.k, &ko}}) {
                    for (int h = 0; h < o.heads; ++h) {
                        const std::size_t base = (t * static_cast<std::size_t>(o.heads) + static_cast<std::size_t>(h)) * hd;
                        for (int d = 0; d < dim; ++d) (*y)[base + static_cast<std::size_t>(d)] = (*x)[base + static_cast<std::size_t>(d)];
                        for (std::size_t i = 0; i < n; ++i) {
                            const posenc::pair_index p = rl.pair_indices(static_cast<int>(i));
                            const float c = cos_f(angles[i]), s = sin_f(angles[i]);
                            const float xa = (*x)[base + static_cast<std::size_t>(p.a)], xb = (*x)[base + static_cast<std::size_t>(p.b)];
                            (*y)[base + static_cast<std::size_t>(p.a)] = xa * c - xb * s;  // float32, as the pipeline
                            (*y)[base + static_cast<std::size_t>(p.b)] = xa * s + xb * c;
                        }
                    }
                }
            });
            measure_pairs(pool, new_row(pipeline, lname, tokens), in, qo, ko, pair_of, n, rc, rs, pos);
        }
    }

    std::string notes;
    if (want("apply-2d")) {
        if (dim % 4 != 0) {
            notes += fmt::format("# apply-2d: skipped (axial 2D RoPE needs dim divisible by 4, got {})\n", dim);
        } else {
            const big base_b = big(parse_number<big_text>(o.enc.base(), "50", o.enc.where("base")));
            const double base_d = parse_number<double>(o.enc.base(), "double", o.enc.where("base"));
            const posenc::rope2d_axial<big> ref2(dim, base_b, posenc::axial_order::x_then_y);
            const pk::axial2d_frequencies f2(posenc::rope2d_axial<double>(dim, base_d, posenc::axial_order::x_then_y));
            std::vector<big> c2(tokens * n), s2(tokens * n);
            parallel_for(pool, tokens, 1, [&](std::size_t t) {
                std::vector<big> x(hd, big(0));
                for (std::size_t i = 0; i < n; ++i) x[2 * i] = 1;
                ref2.apply(std::span<big>(x), big(pos[t]), big(ys[t]));
                for (std::size_t i = 0; i < n; ++i) {
                    c2[t * n + i] = x[2 * i];
                    s2[t * n + i] = x[2 * i + 1];
                }
            });
            std::vector<float> qo(tensor_size), ko(tensor_size);
            const pk::rope_operand ops[] = {{in.q_view(), in.view(qo)}, {in.k_view(), in.view(ko)}};
            pk::apply_2d(f2, positions, positions_y, ops, &pool);
            std::vector<long long> bucket_pos(tokens);
            for (std::size_t t = 0; t < tokens; ++t) bucket_pos[t] = std::max(pos[t], ys[t]);
            measure_pairs(pool, new_row("apply-2d", "interleaved", tokens), in, qo, ko,
                          [](int i) { return posenc::pair_index{2 * i, 2 * i + 1}; }, n, c2, s2, bucket_pos);
        }
    }

    std::string mrope_notes;
    for (std::size_t ci = 0; ci < mcases.size(); ++ci) {
        const mrope_case& mc = mcases[ci];
        const posenc::mrope<big> mref = make_mrope<big_text, big>(mc.enc, "50");
        const std::size_t mn = static_cast<std::size_t>(mref.pairs());
        const std::size_t mhd = static_cast<std::size_t>(mref.head_dim());
        const std::size_t mtokens = tokens_for(mn);
        mrope_notes += fmt::format("# apply-mrope geometry {}; {} tokens\n", mc.text, mtokens);
        const std::vector<std::array<long long, 3>> p3 =
            mrope_validation_positions(validation_positions(mtokens, o.seed), static_cast<std::uint64_t>(o.seed) + 100 + ci);
        std::vector<std::int64_t> flat(3 * mtokens);
        std::vector<long long> bucket_pos(mtokens);
        for (std::size_t t = 0; t < mtokens; ++t) {
            for (std::size_t j = 0; j < 3; ++j) flat[3 * t + j] = p3[t][j];
            bucket_pos[t] = std::max({p3[t][0], p3[t][1], p3[t][2]});
        }
        // reference (cos, sin) of every (token, pair): as for the 1D rope, through mrope<big>::apply
        std::vector<big> mc_c(mtokens * mn), mc_s(mtokens * mn);
        {
            progress bar(fmt::format("posenc validate: reference apply-mrope {}", mc.name), static_cast<long long>(mtokens), o.quiet);
            parallel_for(pool, mtokens, 1, [&](std::size_t t) {
                std::vector<big> x(mhd, big(0));
                for (std::size_t i = 0; i < mn; ++i) x[static_cast<std::size_t>(mref.pair_indices(static_cast<int>(i)).a)] = 1;
                mref.apply(std::span<big>(x), posenc::position3<big>{big(p3[t][0]), big(p3[t][1]), big(p3[t][2])});
                for (std::size_t i = 0; i < mn; ++i) {
                    const posenc::pair_index p = mref.pair_indices(static_cast<int>(i));
                    mc_c[t * mn + i] = x[static_cast<std::size_t>(p.a)];
                    mc_s[t * mn + i] = x[static_cast<std::size_t>(p.b)];
                }
                bar.advance();
            });
        }
        const qk_inputs min(mtokens, o.heads, static_cast<int>(mhd), static_cast<std::uint64_t>(o.seed) + 200 + ci);
        for (const posenc::pair_layout layout : mc.layouts) {
            const std::string lname(posenc::layout_name(layout));
            encoding_options el = mc.enc;
            el.set("layout", lname);
            const posenc::mrope<double> md = make_mrope<double>(el, "double");
            const pk::mrope_frequencies f = pk::mrope_frequencies::from(md);
            std::vector<float> qo(min.q.size()), ko(min.k.size());
            const pk::rope_operand ops[] = {{min.q_view(), min.view(qo)}, {min.k_view(), min.view(ko)}};
            pk::apply_mrope(f, flat, ops, &pool);
            const std::string label = fmt::format("{}/{}/{}", lname, md.interleaved_sections() ? "interleaved" : "sectioned", mc.name);
            measure_pairs(pool, new_row("apply-mrope", label, mtokens), min, qo, ko, [&](int i) { return md.pair_indices(i); }, mn,
                          mc_c, mc_s, bucket_pos);
        }
    }

    if (want("sinusoidal-table")) {
        const big base_b = big(parse_number<big_text>(o.enc.base(), "50", o.enc.where("base")));
        const double base_d = parse_number<double>(o.enc.base(), "double", o.enc.where("base"));
        const posenc::sinusoidal<big> ref_s(dim, base_b);
        pk::sinusoidal_table table;
        pk::build_sinusoidal_table(posenc::sinusoidal<double>(dim, base_d), positions, table, &pool);
        row& r = new_row("sinusoidal-table", "interleaved", tokens);
        parallel_for(pool, tokens, 1, [&](std::size_t t) {
            std::vector<big> p(hd);
            ref_s.encode(big(pos[t]), std::span<big>(p));
            stats& st = r.per_token[t][bucket_of(pos[t])];
            const std::span<const float> e = table.row(static_cast<int>(t));
            for (std::size_t i = 0; i < n; ++i) st.add(pair_error(1.0f, 0.0f, e[2 * i + 1], e[2 * i], p[2 * i + 1], p[2 * i]));
        });
    }

    // CSV
    std::string csv = metadata_header("validate", command_line) + encoding_metadata(o.enc);
    csv += fmt::format("# samples: {} (rotated pairs per kernel and layout)\n# heads: {} (q and k each)\n# tokens: {}\n# seed: {}\n",
                       o.samples, o.heads, tokens, o.seed);
    csv += fmt::format("# kernels: {}\n# threads: {}\n# target: {} ({} doubles per vector)\n", o.kernels, threads, pk::current_target(),
                       pk::current_lanes());
    csv += "# reference: posenc encodings at 50 digits (rope, rope2d_axial x-then-y, mrope, sinusoidal) on the same float inputs, "
           "in 168-bit MPFR (cpp_bin_float_50's roundings, MPFR's sin and cos)\n";
    csv += "# metric: per pair |y_hat - y| / ulp(|x_pair|) (float); table-build and sinusoidal-table: (cos, sin) as the unit pair (1, 0) rotated, in ulp(1)\n";
    csv += "# bounds: table-build 1, sinusoidal-table 1, apply-table 2, apply-fused 2, apply-2d 2, apply-mrope 2; fp32-* none\n";
    csv += "# position_bucket: lo..hi = [lo, hi) (the last includes 2^24); apply-2d by max(x, y), apply-mrope by max(t, h, w); layout 'none': layout-free\n";
    if (!mcases.empty()) {
        csv += "# apply-mrope: layout column PAIR_LAYOUT/SECTION_MAP/GEOMETRY; per token (t, h, w) pairwise distinct (but at 0) in one bucket, "
               "the position list's value on axis k mod 3; each geometry its own Q, K and tokens\n";
        csv += mrope_notes;
    }
    csv += notes;
    csv += fmt::format("# out: {}\n", o.out.empty() ? std::string("-") : o.out);
    csv += "kernel,layout,position_bucket,samples,max_err_ulp,mean_err_ulp\n";
    all_within = true;
    std::string failures;
    for (const row& r : rows) {
        std::array<stats, buckets> total{};
        for (const auto& per : r.per_token) {
            for (std::size_t b = 0; b < buckets; ++b) total[b].merge(per[b]);
        }
        for (std::size_t b = 0; b < buckets; ++b) {
            if (total[b].count == 0) continue;
            const double mean = total[b].sum / static_cast<double>(total[b].count);
            csv += fmt::format("{},{},{},{},{:.6f},{:.6f}\n", r.kernel, r.layout, bucket_names[b], total[b].count, total[b].max, mean);
            if (!(total[b].max <= bound_of(r.kernel))) {
                all_within = false;
                failures += fmt::format(" {} {} {}: {:.6f} > {}", r.kernel, r.layout, bucket_names[b], total[b].max, bound_of(r.kernel));
            }
        }
    }
    if (!all_within) fmt::print(stderr, "posenc validate: bound exceeded:{}\n", failures);
    return csv;
}

}  // namespace

void register_validate(CLI::App& app, registry& r) {
    auto o = std::make_shared<validate_options>();
    CLI::App* cmd = app.add_subcommand(
        "validate", "Every float32 kernel against the encodings at 50 digits on the same inputs, by position bucket (CSV kernel,"
                    "layout,position_bucket,samples,max_err_ulp,mean_err_ulp); apply-mrope on the options' M-RoPE (--mrope-section, or "
                    "a config's) or on four real ones; exit status 3 if a bound is exceeded");
    add_encoding_options(cmd, o->enc);
    cmd->add_option("--samples", o->samples, "Rotated pairs per kernel and layout (sets the number of tokens)")->capture_default_str();
    cmd->add_option("--heads", o->heads, "Heads of Q and of K")->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed of the inputs and positions")->capture_default_str();
    cmd->add_option("--kernels", o->kernels,
                    "all, or a comma list of table-build, apply-table, apply-fused, apply-2d, apply-mrope, sinusoidal-table, "
                    "fp32-product, fp32-recurrence")
        ->capture_default_str();
    cmd->add_option("--threads", o->threads, "Worker threads (0: all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
    add_target_option(cmd, o->target);
    cmd->add_flag("--quiet", o->quiet, "No progress bar");
    cmd->add_option("--out", o->out, "Write the CSV to this file (atomically) instead of standard output");
    r.push_back({cmd, [o](std::string_view command_line) {
                     bool within = true;
                     emit(validate(*o, command_line, within), o->out);
                     return within ? 0 : exit_validation_failed;
                 }});
}

}  // namespace posenc_cli
