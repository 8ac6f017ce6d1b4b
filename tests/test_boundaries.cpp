// Every scaling rule of the frequency layer exactly at its boundaries, and the comparisons of the
// property predicates at equality. The boundary semantics are those of HF transformers,
// src/transformers/modeling_rope_utils.py (functions named at each case). Expected values are the
// rule evaluated here in MPFR at 256 bits from the parameters (never from posenc); the boundary
// parameters themselves are found with MPFR too. Each case names the one-line bugs of
// tests/mutants.json it is there to catch (scripts/mutate).
#define BOOST_TEST_MODULE posenc_boundaries
#include <boost/test/unit_test.hpp>

#include <posenc/posenc.hpp>
#include <support/expect_invalid.hpp>
#include <support/reference.hpp>

#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace {

namespace pt = posenc_test;
namespace pf = posenc::frequencies;
using pt::mp;
using V = posenc::rope_variant;

constexpr mpfr_prec_t prec = 256;

/// base^(-2j/d) at 256 bits.
mp exact_theta(double base, int j, int d) {
    mp t(prec);
    mpfr_set_d(t, base, MPFR_RNDN);
    mpfr_log(t, t, MPFR_RNDN);
    mpfr_mul_si(t, t, -2 * j, MPFR_RNDN);
    mpfr_div_si(t, t, d, MPFR_RNDN);
    mpfr_exp(t, t, MPFR_RNDN);
    return t;
}

/// L / (2 pi) at 256 bits.
mp l_over_two_pi(long L) {
    mp t(prec);
    mpfr_const_pi(t, MPFR_RNDN);
    mpfr_mul_2ui(t, t, 1, MPFR_RNDN);
    mpfr_si_div(t, L, t, MPFR_RNDN);
    return t;
}

// ---------------------------------------------------------------------------------------------
// dynamic NTK (_compute_dynamic_ntk_parameters): the base grows only when seq_len exceeds
// max_position_embeddings: L = seq_len if seq_len > max_position_embeddings else
// max_position_embeddings, base' = base (factor L / max - (factor - 1))^(d/(d-2)).
// d = 4, base 1e4, factor 2, max 4096: theta_1 = base'^(-1/2) = 1 / (100 s), s = 2 L/4096 - 1.
//   seq_len 4095 and 4096: s = 1, theta_1 = 1/100 (at equality both readings of the comparison
//   give s = 1: the rule is continuous there, so `>` vs `>=` is an equivalent mutant);
//   seq_len 4097: s = 4098/4096, theta_1 = 4096 / 409800 (a boundary moved by one misses it);
//   inside each branch: seq_len 1000 (s = 1, theta_1 = 1/100) and 8192 (s = 3, theta_1 = 1/300).
// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_CASE(dynamic_at_max_position_embeddings) {
    pt::max_error<double> err("dynamic at max_position_embeddings", 1.0, "1 ulp: theta rounded once (README, RoPE 1D)");
    for (const long seq : {0L, 1000L, 4095L, 4096L, 4097L, 4098L, 8192L}) {
        posenc::rope_params<double> p;
        p.head_dim = 4;
        p.base = 10000;
        p.variant = V::dynamic;
        p.factor = 2;
        p.max_position_embeddings = 4096;
        p.seq_len = seq;
        const pf::result<double> r = pf::compute(p);
        BOOST_TEST_REQUIRE(r.theta.size() == 2u);
        const long L = seq > 4096 ? seq : 4096;
        mp e(prec);  // 1 / (100 (2 L / 4096 - 1)) = 4096 / (100 (2 L - 4096))
        mpfr_set_si(e, 4096, MPFR_RNDN);
        mpfr_div_si(e, e, 100 * (2 * L - 4096), MPFR_RNDN);
        err.record(pt::ulp_error(r.theta[1], e), double(seq), e, r.theta[1]);
        mp one(prec, 1);
        err.record(pt::ulp_error(r.theta[0], one), double(seq), one, r.theta[0]);
        BOOST_TEST(r.attention_factor == 1.0);
    }
    err.print();
    BOOST_TEST(err.ok());
    BOOST_TEST(err.max() <= 0.75);  // measured at most 0.511 ulp (theta rounded once): 0.75 fails a doubled error, which the stated bound lets pass
}

// ---------------------------------------------------------------------------------------------
// LongRoPE (_compute_longrope_parameters): the long factors apply when seq_len >
// original_max_position_embeddings, the short ones otherwise (seq_len == original included).
// d 4, base 100, original 4096, short (2, 5), long (3, 7): theta = (1/2, 1/50) or (1/3, 1/70);
// seq_len 0, 4095, 4096, 4097 at the boundary, 2048 and 8192 inside each branch.
// Attention factor sqrt(1 + ln(factor)/ln(original)) when factor > 1, else 1: at factor 1 the
// formula gives sqrt(1 + 0) = 1 as well (log(1) is exactly 0), so `>` vs `>=` there is equivalent.
// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_CASE(longrope_at_original_length) {
    pt::max_error<double> err("longrope at original_max_position_embeddings", 1.0,
                              "1 ulp: theta rounded once (README, RoPE 1D)");
    for (const long seq : {0L, 2048L, 4095L, 4096L, 4097L, 8192L}) {
        posenc::rope_params<double> p;
        p.head_dim = 4;
        p.base = 100;
        p.variant = V::longrope;
        p.factor = 4;
        p.original_max_position_embeddings = 4096;
        p.seq_len = seq;
        p.short_factor = {2, 5};
        p.long_factor = {3, 7};
        const pf::result<double> r = pf::compute(p);
        mp a(prec, 7);  // sqrt(1 + ln 4 / ln 4096) = sqrt(1 + 2/12) = sqrt(7/6)
        mpfr_div_ui(a, a, 6, MPFR_RNDN);
        mpfr_sqrt(a, a, MPFR_RNDN);
        // 2 ulps: two logs, their quotient and the sum rounded before a correctly rounded sqrt
        // (which halves their relative error); a swapped quotient gives sqrt(7) instead.
        BOOST_TEST(pt::ulp_error(r.attention_factor, a) <= 2.0, "longrope attention factor, seq_len " << seq);
        const bool use_long = seq > 4096;
        const long den[2] = {use_long ? 3L : 2L, use_long ? 70L : 50L};
        for (std::size_t j = 0; j < 2; ++j) {
            mp e(prec, 1);
            mpfr_div_si(e, e, den[j], MPFR_RNDN);
            err.record(pt::ulp_error(r.theta[j], e), double(seq), e, r.theta[j]);
        }
    }
    {
        posenc::rope_params<double> p;
        p.head_dim = 4;
        p.base = 100;
        p.variant = V::longrope;
        p.factor = 1;
        p.original_max_position_embeddings = 4096;
        p.short_factor = {2, 5};
        p.long_factor = {3, 7};
        BOOST_TEST(pf::compute(p).attention_factor == 1.0);
    }
    err.print();
    BOOST_TEST(err.ok());
    BOOST_TEST(err.max() <= 0.75);  // measured at most 0.511 ulp (theta rounded once): 0.75 fails a doubled error, which the stated bound lets pass
}

// ---------------------------------------------------------------------------------------------
// Llama-3 (_compute_llama3_parameters): wavelen = 2 pi / theta; wavelen > L/low_freq_factor:
// theta/factor; wavelen < L/high_freq_factor: theta; otherwise (edges included, is_medium_freq =
// ~(wavelen < high_wl) * ~(wavelen > low_wl)) the blend with s = (L/wavelen - low)/(high - low).
// The rule is continuous at both edges, so an edge comparison moved onto the edge changes theta only
// when the edge factor is the double nearest L/wavelen but not equal to it: pair 0 (theta = 1,
// wavelen = 2 pi) with the edge factor set to the double nearest L/(2 pi), L chosen (with MPFR)
// so that this double lies below L/(2 pi) (low edge: still in the blend, s = (l - low)/(high - low) >
// 0) or above it (high edge: still in the blend, s < 1). The band is made narrow (3 or 4) so that
// the blend differs from theta/8 or theta by hundreds of ulps.
// ---------------------------------------------------------------------------------------------

/// The exact rule for pair 0 (theta = 1), in MPFR.
mp llama3_pair0(long L, double factor, double low, double high) {
    const mp l = l_over_two_pi(L);  // L / wavelen
    mp e(prec, 1);
    if (mpfr_cmp_d(l, low) < 0) {  // wavelen > L / low
        mpfr_div_d(e, e, factor, MPFR_RNDN);
    } else if (mpfr_cmp_d(l, high) > 0) {  // wavelen < L / high
    } else {
        mp s(prec);
        mpfr_sub_d(s, l, low, MPFR_RNDN);
        mpfr_div_d(s, s, high - low, MPFR_RNDN);  // high - low exact: same binade, few bits
        mp w(prec, 1);
        mpfr_sub(w, w, s, MPFR_RNDN);
        mpfr_div_d(w, w, factor, MPFR_RNDN);
        mpfr_add(e, w, s, MPFR_RNDN);
    }
    return e;
}

/// The first L >= from whose L/(2 pi) rounds to a double below (below = true) or above it, at
/// least a quarter ulp away (so that the dd quotient of posenc has the same nearest double).
long edge_length(long from, bool below, double& rounded) {
    for (long L = from;; ++L) {
        const mp l = l_over_two_pi(L);
        rounded = mpfr_get_d(l, MPFR_RNDN);
        mp gap(prec);
        mpfr_sub_d(gap, l, rounded, MPFR_RNDN);
        const double g = mpfr_get_d(gap, MPFR_RNDN);
        const double quarter = std::ldexp(1.0, std::ilogb(rounded) - 54);
        if (below ? g > quarter : g < -quarter) return L;
    }
}

posenc::rope_params<double> llama3_pair0_params(long L, double low, double high) {
    posenc::rope_params<double> p;
    p.head_dim = 2;
    p.base = 500000;
    p.variant = V::llama3;
    p.factor = 8;
    p.original_max_position_embeddings = L;
    p.low_freq_factor = low;
    p.high_freq_factor = high;
    return p;
}

BOOST_AUTO_TEST_CASE(llama3_band_edges_exact) {
    pt::max_error<double> err("llama3 at the band edges", 1.0, "1 ulp: theta rounded once (the blend in double-T)");
    double low = 0;
    const long L_low = edge_length(8192, true, low);  // low < L/(2 pi): blend with s > 0
    {
        const double high = low + 3;
        const double got = pf::compute(llama3_pair0_params(L_low, low, high)).theta[0];
        const mp e = llama3_pair0(L_low, 8, low, high);
        BOOST_TEST_REQUIRE(mpfr_cmp_d(e, 0.125) > 0);  // premise: in the blend, above theta/8
        err.record(pt::ulp_error(got, e), double(L_low), e, got);
        BOOST_TEST_MESSAGE("low edge: L " << L_low << ", low_freq_factor " << low << ", theta_0 - 1/8 = " << got - 0.125);
    }
    double high = 0;
    const long L_high = edge_length(8192, false, high);  // high > L/(2 pi): blend with s < 1
    {
        const double lo = high - 4;
        const double got = pf::compute(llama3_pair0_params(L_high, lo, high)).theta[0];
        const mp e = llama3_pair0(L_high, 8, lo, high);
        BOOST_TEST_REQUIRE(mpfr_cmp_ui(e, 1) < 0);  // premise: in the blend, below theta
        err.record(pt::ulp_error(got, e), double(L_high), e, got);
        BOOST_TEST_MESSAGE("high edge: L " << L_high << ", high_freq_factor " << high << ", 1 - theta_0 = " << 1 - got);
    }
    err.print();
    BOOST_TEST(err.ok());
    BOOST_TEST(err.max() <= 0.75);  // measured at most 0.511 ulp (theta rounded once): 0.75 fails a doubled error, which the stated bound lets pass
    // low == high with a wavelength on the edge: HF's blend divides 0 by 0 there (NaN); posenc
    // refuses the parameters. The wavelength is on the edge only for posenc's comparisons, which
    // see the nearest double of L/(2 pi): both sides of it must reach the blend branch.
    posenc_test::expect_invalid("llama3, equal factors on the edge (below)", "high_freq_factor",
                                [&] { (void)pf::compute(llama3_pair0_params(L_low, low, low)); });
    posenc_test::expect_invalid("llama3, equal factors on the edge (above)", "high_freq_factor",
                                [&] { (void)pf::compute(llama3_pair0_params(L_high, high, high)); });
}

// ---------------------------------------------------------------------------------------------
// YaRN (_compute_yarn_parameters: find_correction_dim, find_correction_range, linear_ramp_factor,
// get_mscale): c(beta) = d ln(L/(2 pi beta)) / (2 ln base); low = floor(c(beta_fast)), high =
// ceil(c(beta_slow)) (truncate), clamped to max(low, 0) and min(high, d - 1); if low == high,
// high += 0.001; ramp_j = clamp((j - low)/(high - low), 0, 1) over j < d/2;
// theta_j' = theta_j (1 - ramp_j) + theta_j / factor * ramp_j.
// Three ramps, d = 16, base 1e4, factor 4:
//   L 64 (beta 32, 1): c(32) = -0.99 -> floor -1 -> clamped to 0; c(1) = 2.02 -> 3: ramp j/3.
//   L 4096, beta_slow 1e-6: c(32) = 2.62 -> 2; c(1e-6) = 17.6 -> 18 -> clamped to d - 1 = 15:
//     ramp (j - 2)/13 (HF clamps to d - 1 although the ramp runs over d/2 pairs).
//   L 64, beta_slow 16: c(16) = -0.39 -> ceil 0 = low: high = 0.001, ramp_0 = 0, ramp_j = 1 (j >= 1).
// The low, high above are re-derived here in MPFR (floor/ceil at 256 bits).
// ---------------------------------------------------------------------------------------------

mp correction_dim(double beta, long L, int d, double base) {
    mp c(prec);
    mpfr_const_pi(c, MPFR_RNDN);
    mpfr_mul_2ui(c, c, 1, MPFR_RNDN);
    mpfr_mul_d(c, c, beta, MPFR_RNDN);
    mpfr_si_div(c, L, c, MPFR_RNDN);
    mpfr_log(c, c, MPFR_RNDN);
    mpfr_mul_si(c, c, d, MPFR_RNDN);
    mp lb(prec);
    mpfr_set_d(lb, base, MPFR_RNDN);
    mpfr_log(lb, lb, MPFR_RNDN);
    mpfr_mul_2ui(lb, lb, 1, MPFR_RNDN);
    mpfr_div(c, c, lb, MPFR_RNDN);
    return c;
}

BOOST_AUTO_TEST_CASE(yarn_ramp_clamps) {
    struct ramp_case {
        long L;
        double beta_fast, beta_slow;
        double low, high;  // after floor/ceil, clamp and the 0.001 widening (checked below)
    };
    const ramp_case cases[] = {{64, 32, 1, 0, 3}, {4096, 32, 1e-6, 2, 15}, {64, 32, 16, 0, 0.001}};
    constexpr int d = 16;
    constexpr double base = 10000;
    pt::max_error<double> err("yarn ramp clamps", 1.0, "1 ulp: theta rounded once (the ramp in double-T)");
    for (const ramp_case& c : cases) {
        // The ends from the HF rule, in MPFR.
        mp lo = correction_dim(c.beta_fast, c.L, d, base);
        mp hi = correction_dim(c.beta_slow, c.L, d, base);
        mpfr_floor(lo, lo);
        mpfr_ceil(hi, hi);
        double low = std::max(mpfr_get_d(lo, MPFR_RNDN), 0.0);
        double high = std::min(mpfr_get_d(hi, MPFR_RNDN), double(d - 1));
        if (low == high) high += 0.001;
        BOOST_TEST_REQUIRE(low == c.low);
        BOOST_TEST_REQUIRE(high == c.high);
        posenc::rope_params<double> p;
        p.head_dim = d;
        p.base = base;
        p.variant = V::yarn;
        p.factor = 4;
        p.original_max_position_embeddings = c.L;
        p.beta_fast = c.beta_fast;
        p.beta_slow = c.beta_slow;
        const pf::result<double> r = pf::compute(p);
        BOOST_TEST_REQUIRE(r.theta.size() == std::size_t(d / 2));
        for (int j = 0; j < d / 2; ++j) {
            mp ramp(prec);  // (j - low) / (high - low), high - low exact in MPFR
            mpfr_set_si(ramp, j, MPFR_RNDN);
            mpfr_sub_d(ramp, ramp, low, MPFR_RNDN);
            mp width(prec);
            mpfr_set_d(width, high, MPFR_RNDN);
            mpfr_sub_d(width, width, low, MPFR_RNDN);
            mpfr_div(ramp, ramp, width, MPFR_RNDN);
            if (mpfr_cmp_ui(ramp, 0) < 0) mpfr_set_ui(ramp, 0, MPFR_RNDN);
            if (mpfr_cmp_ui(ramp, 1) > 0) mpfr_set_ui(ramp, 1, MPFR_RNDN);
            mp w(prec, 1);  // 1 - ramp + ramp / 4
            mpfr_sub(w, w, ramp, MPFR_RNDN);
            mpfr_div_ui(ramp, ramp, 4, MPFR_RNDN);
            mpfr_add(w, w, ramp, MPFR_RNDN);
            mp e = exact_theta(base, j, d);
            mpfr_mul(e, e, w, MPFR_RNDN);
            const double got = r.theta[static_cast<std::size_t>(j)];
            err.record(pt::ulp_error(got, e), double(c.L * 100 + j), e, got);
        }
    }
    err.print();
    BOOST_TEST(err.ok());
    BOOST_TEST(err.max() <= 0.75);  // measured at most 0.511 ulp (theta rounded once): 0.75 fails a doubled error, which the stated bound lets pass
}

// YaRN attention factor (_compute_yarn_parameters, get_mscale): get_mscale(s, m) = 0.1 m ln s + 1
// for s > 1, else 1 (at s = 1 the formula is 1 as well: `<=` vs `<` equivalent); with mscale and
// mscale_all_dim both given, get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim).
// posenc's context_factor (frequencies/common.hpp, REFERENCE.md §8): factor 1 with both lengths
// given means factor = max_position_embeddings / original_max_position_embeddings.
BOOST_AUTO_TEST_CASE(yarn_attention_factor_terms) {
    auto yarn = [](double factor, double mscale, double mscale_all_dim, long max, long original) {
        posenc::rope_params<double> p;
        p.head_dim = 16;
        p.variant = V::yarn;
        p.factor = factor;
        p.mscale = mscale;
        p.mscale_all_dim = mscale_all_dim;
        p.max_position_embeddings = max;
        p.original_max_position_embeddings = original;
        return pf::compute(p).attention_factor;
    };
    auto get_mscale = [](double s, double m) {
        mp e(prec);
        mpfr_set_d(e, s, MPFR_RNDN);
        mpfr_log(e, e, MPFR_RNDN);
        mpfr_mul_d(e, e, m, MPFR_RNDN);
        mpfr_div_ui(e, e, 10, MPFR_RNDN);
        mpfr_add_ui(e, e, 1, MPFR_RNDN);
        return e;
    };
    // 4 ulps: ln rounded once, then a product by 1/10 (rounded), by m, and the sum, in each of the
    // two factors (each within 2 ulps: the sum is > 1 and the rounded terms are < 0.6), and the
    // quotient; measured 0.55; a swapped quotient is off by ~25%.
    {
        mp e = get_mscale(40, 1.0);
        const mp den = get_mscale(40, 0.5);
        mpfr_div(e, e, den, MPFR_RNDN);
        const double got = yarn(40, 1.0, 0.5, 0, 4096);
        const double u = pt::ulp_error(got, e);
        BOOST_TEST_MESSAGE("mscale ratio: " << u << " ulp");
        BOOST_TEST(u <= 4.0);
    }
    {
        const mp e = get_mscale(8, 1.0);  // factor 1, 32768 / 4096 = 8
        const double got = yarn(1, 0, 0, 32768, 4096);
        const double u = pt::ulp_error(got, e);
        BOOST_TEST_MESSAGE("factor from the lengths: " << u << " ulp");
        BOOST_TEST(u <= 2.0);  // 2 ulps: ln rounded, one product by 1/10 and one sum (> 1)
    }
    BOOST_TEST(yarn(1, 0, 0, 0, 4096) == 1.0);  // s = 1: no scaling
}

// ---------------------------------------------------------------------------------------------
// Property predicates at equality: each states "<= tol" (properties/common.hpp, bounded.hpp), so
// an exact result with tol = 0 passes, and `first .. last` includes last.
// ---------------------------------------------------------------------------------------------

/// A stand-in encoding whose entries leave [-1, 1] only at position 5.
struct out_of_range_at_5 {
    using value_type = double;
    [[nodiscard]] int dim() const { return 2; }
    void encode(double k, std::span<double> out) const {
        out[0] = k == 5.0 ? 1.5 : 0.0;
        out[1] = 1.0;
    }
};

BOOST_AUTO_TEST_CASE(predicates_at_equality) {
    // ulps<T>(n) = n 2^(1-p): the closed form.
    BOOST_TEST(posenc::ulps<double>(1) == 0x1p-52);
    BOOST_TEST(posenc::ulps<float>(3) == 3 * 0x1p-23f);
    // Entries of p_0 are 0 and 1 = cos 0 exactly: bounded (the closed interval).
    const posenc::sinusoidal<double> pe(8, 10000.0);
    BOOST_TEST(posenc::sinusoidal_entries_bounded(pe, 0.0, 0.0, 1.0));
    // The last position is checked.
    BOOST_TEST(!posenc::sinusoidal_entries_bounded(out_of_range_at_5{}, 0.0, 5.0, 1.0));
    BOOST_TEST(posenc::sinusoidal_entries_bounded(out_of_range_at_5{}, 0.0, 4.0, 1.0));
    // ||p_0||^2 = d/2 exactly (four 0^2 + 1^2): within tolerance 0.
    BOOST_TEST(posenc::sinusoidal_norm(pe, 0.0, 0.0));
    // R_0 = I exactly, so R_0^T R_0 - I = 0: orthogonal within tolerance 0.
    posenc::rope_params<double> p;
    p.head_dim = 8;
    const posenc::rope<double> r(p);
    BOOST_TEST(posenc::rope_orthogonal(r, 0.0, 0.0));
}

}  // namespace
