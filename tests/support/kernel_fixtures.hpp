// Shared inputs of the kernel tests: frequency configurations, seeded float tensors in several
// storage orders (tokens-major, heads-major, padded with odd strides), positions that stress the
// angle reduction, and the high-precision reference of a rotated pair and of a table entry.
#pragma once

#include <posenc/encodings/rope.hpp>
#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/kernels.hpp>

#include "mpfr_light.hpp"

#include <mpfr.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace posenc_test::kernels {

namespace pk = posenc::kernels;

using posenc_test::sample_count;
using posenc_test::mp;

/// Precision of the reference values: the exact angle needs 53 + 25 bits; the rest is margin.
inline constexpr mpfr_prec_t ref_bits = 256;

/// A RoPE configuration under test.
struct config {
    std::string name;
    posenc::rope_params<double> params;
    bool attention = false;  ///< scale cos/sin by the attention factor
    [[nodiscard]] pk::rope_frequencies frequencies() const {
        return pk::rope_frequencies::from(posenc::rope<double>(params), attention);
    }
};

inline config make_config(std::string name, int head_dim, posenc::pair_layout layout, double base = 10000,
                          double partial = 1.0) {
    config c;
    c.name = std::move(name);
    c.params.head_dim = head_dim;
    c.params.base = base;
    c.params.layout = layout;
    c.params.partial_rotary_factor = partial;
    return c;
}

/// Head dims whose pair count (or, interleaved, float count) is or is not a multiple of the SIMD
/// width (80, 96 and 200 have 40, 48 and 100 pairs: whole vectors at width 4, tails at width 8 or
/// 16; 34 and 70 leave a tail at every width), the variants with their own frequency rules, base
/// 1e9 and partial rotary, in both layouts.
inline std::vector<config> configs() {
    std::vector<config> out;
    for (const posenc::pair_layout layout : {posenc::pair_layout::half_split, posenc::pair_layout::interleaved}) {
        const std::string l = layout == posenc::pair_layout::half_split ? "half-split" : "interleaved";
        out.push_back(make_config("d128 " + l, 128, layout));
        out.push_back(make_config("d80 " + l, 80, layout));
        out.push_back(make_config("d96 " + l, 96, layout));
        out.push_back(make_config("d200 " + l, 200, layout));
        out.push_back(make_config("d34 " + l, 34, layout));  // 17 pairs: a vector tail at widths 2, 4 and 8
        out.push_back(make_config("d70 " + l, 70, layout));  // 35 pairs
        out.push_back(make_config("d128 base1e9 " + l, 128, layout, 1e9));
        out.push_back(make_config("d128 partial0.5 " + l, 128, layout, 10000, 0.5));
        config y = make_config("d64 yarn+attention " + l, 64, layout);
        y.params.variant = posenc::rope_variant::yarn;
        y.params.factor = 4;
        y.params.original_max_position_embeddings = 4096;
        y.attention = true;
        out.push_back(y);
        config l3 = make_config("d128 llama3 base5e5 " + l, 128, layout, 500000);
        l3.params.variant = posenc::rope_variant::llama3;
        l3.params.factor = 8;
        l3.params.original_max_position_embeddings = 8192;
        out.push_back(l3);
    }
    return out;
}

/// Storage orders of a [tokens][heads][head_dim] tensor.
enum class storage { tokens_major, heads_major, padded };

inline const char* storage_name(storage s) {
    switch (s) {
        case storage::tokens_major: return "tokens-major";
        case storage::heads_major: return "heads-major";
        case storage::padded: return "padded";
    }
    return "?";
}

/// A float buffer and a view of it in the given storage order; `padded` uses odd strides (head
/// vectors 3 floats apart, tokens 5 floats apart beyond that), so no head starts aligned.
struct tensor {
    std::vector<float> data;
    pk::tensor_view view;

    tensor(int tokens, int heads, int head_dim, storage s) {
        std::ptrdiff_t ts = 0, hs = 0;
        switch (s) {
            case storage::tokens_major:
                hs = head_dim;
                ts = static_cast<std::ptrdiff_t>(heads) * head_dim;
                break;
            case storage::heads_major:
                ts = head_dim;
                hs = static_cast<std::ptrdiff_t>(tokens) * head_dim;
                break;
            case storage::padded:
                hs = head_dim + 3;
                ts = static_cast<std::ptrdiff_t>(heads) * hs + 5;
                break;
        }
        const std::size_t size = static_cast<std::size_t>((tokens - 1) * ts + (heads - 1) * hs + head_dim) + 1;
        data.assign(size, 0.0f);
        view = {data.data() + 1, tokens, heads, head_dim, ts, hs};  // +1: not 32-byte aligned either
    }
    tensor(const tensor& o) : data(o.data), view(o.view) { view.data = data.data() + (o.view.data - o.data.data()); }
    tensor& operator=(const tensor&) = delete;

    /// Gaussian entries (and, in the padding, a marker the kernels must not touch).
    void fill(std::uint64_t seed) {
        std::mt19937_64 g(seed);
        std::normal_distribution<float> n(0.0f, 1.0f);
        for (float& x : data) x = -12345.0f;
        for (int t = 0; t < view.tokens; ++t) {
            for (int h = 0; h < view.heads; ++h) {
                float* p = view.at(t, h);
                for (int d = 0; d < view.head_dim; ++d) p[d] = n(g);
            }
        }
    }
};

/// Runs body(target) once for every vector target this CPU runs (pk::available_targets: on x86-64
/// AVX3, AVX2, SSE4 and the baseline, as the CPU has them), with the kernels restricted to it;
/// lifts the restriction afterwards, also when body throws.
inline void for_each_target(const std::function<void(const std::string&)>& body) {
    struct restore {
        ~restore() { pk::use_target("best"); }
    } lift;
    for (const std::string& t : pk::available_targets()) {
        pk::use_target(t);
        body(t);
    }
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// Positions that stress the reduction: 0, the edges of 2^23 and 2^24, negatives, values near
/// powers of two, then uniform in [0, 2^24].
inline std::vector<std::int64_t> stress_positions(std::size_t n, std::uint64_t seed) {
    std::vector<std::int64_t> p = {0, 1, 2, (1 << 23) - 1, 1 << 23, (1 << 23) + 1, (1 << 24) - 1, 1 << 24, -(1 << 24), -1};
    std::mt19937_64 g(seed);
    for (int k = 2; k <= 24 && p.size() < n; ++k) {
        for (int d = -2; d <= 2 && p.size() < n; ++d) {
            if ((std::int64_t{1} << k) + d <= pk::max_position) p.push_back((std::int64_t{1} << k) + d);
        }
    }
    std::uniform_int_distribution<std::int64_t> u(0, pk::max_position);
    while (p.size() < n) p.push_back(u(g));
    p.resize(n);
    return p;
}

/// cos and sin of the exact angle m * theta (times scale), at 256 bits.
struct exact_sincos {
    mp c{ref_bits}, s{ref_bits};
    exact_sincos(std::int64_t m, double theta, double scale) {
        mp a(ref_bits);
        mpfr_set_d(a, theta, MPFR_RNDN);
        mpfr_mul_si(a, a, static_cast<long>(m), MPFR_RNDN);  // exact: 53 + 25 bits < 256
        mpfr_sin_cos(s, c, a, MPFR_RNDN);
        mpfr_mul_d(c, c, scale, MPFR_RNDN);
        mpfr_mul_d(s, s, scale, MPFR_RNDN);
    }
};

/// ulp (float) of the exact value v: 2^(e - 24) for |v| in [2^(e-1), 2^e), the subnormal
/// quantum 2^-149 below 2^-126; 0 for v == 0.
inline double float_ulp(mpfr_srcptr v) {
    if (mpfr_zero_p(v)) return 0.0;
    const long e = mpfr_get_exp(v);  // |v| in [2^(e-1), 2^e)
    return std::ldexp(1.0, static_cast<int>(std::max(e - 24, -149L)));
}

/// |hat - exact| in ulps (float) of exact; for exact == 0, 0 if hat is 0 and infinity otherwise.
inline double entry_error_ulps(float hat, mpfr_srcptr exact) {
    mp d(ref_bits);
    mpfr_sub_d(d, exact, static_cast<double>(hat), MPFR_RNDN);
    mpfr_abs(d, d, MPFR_RNDN);
    const double ulp = float_ulp(exact);
    if (ulp == 0.0) return hat == 0.0f ? 0.0 : INFINITY;
    return mpfr_get_d(d, MPFR_RNDN) / ulp;
}

/// The error of a rotated pair: |(ya, yb) - R (xa, xb)| (Euclidean, R exact with the exact
/// cos/sin) in units of ulp(|(xa, xb)| * scale) (float), where scale is the attention scale
/// folded into cos and sin. Inputs with |x| = 0 give 0 when the output is 0.
inline double pair_error_ulps(float xa, float xb, float ya, float yb, const exact_sincos& cs, double scale) {
    mp ra(ref_bits), rb(ref_bits), t(ref_bits), n(ref_bits);
    // exact rotation: ra = xa c - xb s, rb = xa s + xb c
    mpfr_mul_d(ra, cs.c, static_cast<double>(xa), MPFR_RNDN);
    mpfr_mul_d(t, cs.s, static_cast<double>(xb), MPFR_RNDN);
    mpfr_sub(ra, ra, t, MPFR_RNDN);
    mpfr_mul_d(rb, cs.s, static_cast<double>(xa), MPFR_RNDN);
    mpfr_mul_d(t, cs.c, static_cast<double>(xb), MPFR_RNDN);
    mpfr_add(rb, rb, t, MPFR_RNDN);
    mpfr_sub_d(ra, ra, static_cast<double>(ya), MPFR_RNDN);
    mpfr_sub_d(rb, rb, static_cast<double>(yb), MPFR_RNDN);
    mpfr_hypot(t, ra, rb, MPFR_RNDN);
    // |x| * scale, rounded down so that a norm just at a power of two keeps its binade
    mpfr_set_d(n, static_cast<double>(xa), MPFR_RNDN);
    mpfr_sqr(n, n, MPFR_RNDN);
    mp b(ref_bits);
    mpfr_set_d(b, static_cast<double>(xb), MPFR_RNDN);
    mpfr_sqr(b, b, MPFR_RNDN);
    mpfr_add(n, n, b, MPFR_RNDN);  // exact at 256 bits
    mpfr_sqrt(n, n, MPFR_RNDD);
    mpfr_mul_d(n, n, scale, MPFR_RNDD);
    const double ulp = float_ulp(n);
    if (ulp == 0.0) return mpfr_zero_p(t) ? 0.0 : INFINITY;
    return mpfr_get_d(t, MPFR_RNDN) / ulp;
}

}  // namespace posenc_test::kernels
