// The frequency layer (include/posenc/frequencies/): the proportional rule (Gemma 4) against MPFR,
// the parameter table's ranges, and the cases the config fuzzer found.
#define BOOST_TEST_MODULE test_frequencies
#include <boost/test/unit_test.hpp>
#include <posenc/frequencies.hpp>
#include <support/mpfr_light.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace {

using posenc::rope_params;
using posenc::rope_variant;

/// base^(-2i/hd) / factor at 256 bits, rounded to double.
double exact_theta(double base, int i, int hd, double factor) {
    posenc_test::mp b(256), e(256), r(256);
    mpfr_set_d(b, base, MPFR_RNDN);
    mpfr_set_si(e, -2 * i, MPFR_RNDN);
    mpfr_div_si(e, e, hd, MPFR_RNDN);
    mpfr_pow(r, b, e, MPFR_RNDN);
    mpfr_div_d(r, r, factor, MPFR_RNDN);
    return mpfr_get_d(r, MPFR_RNDN);
}

/// Whether compute(p) throws invalid_parameter naming `field`.
bool rejects(const rope_params<double>& p, const std::string& field) {
    try {
        (void)posenc::frequencies::compute(p);
    } catch (const posenc::invalid_parameter& e) {
        return e.parameter() == field;
    }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(proportional_against_mpfr) {
    // transformers _compute_proportional_rope_parameters: int(prf * hd // 2) angles over the whole
    // head, zeros after, all divided by factor (Gemma 4 full attention: hd 512, prf 0.25).
    for (const double factor : {1.0, 8.0}) {
        rope_params<double> p;
        p.variant = rope_variant::proportional;
        p.head_dim = 512;
        p.base = 1e6;
        p.partial_rotary_factor = 0.25;
        p.factor = factor;
        const auto r = posenc::frequencies::compute(p);
        BOOST_TEST(r.theta.size() == 256u);
        BOOST_TEST(r.attention_factor == 1.0);
        for (int i = 0; i < 256; ++i) {
            const double want = i < 64 ? exact_theta(1e6, i, 512, factor) : 0.0;
            // theta is exp of a double-T exponent rounded once: correctly rounded here (0 ulp)
            BOOST_TEST(r.theta[static_cast<std::size_t>(i)] == want, "pair " << i << " factor " << factor);
        }
    }
}

BOOST_AUTO_TEST_CASE(table_ranges) {
    rope_params<double> p;
    p.head_dim = 65538;  // the table's range [2, 65536]: no silent int wrap of huge head sizes
    BOOST_TEST(rejects(p, "head_dim"));
    p = {};
    p.partial_rotary_factor = 0;
    BOOST_TEST(rejects(p, "partial_rotary_factor"));
    p = {};
    p.factor = 0.5;
    BOOST_TEST(rejects(p, "factor"));
    p = {};
    p.base = std::numeric_limits<double>::infinity();
    BOOST_TEST(rejects(p, "base"));
}

BOOST_AUTO_TEST_CASE(equal_factors_accepted) {
    // Kimi-K2: beta_fast == beta_slow (HF only warns on beta_fast < beta_slow; the ramp's +0.001).
    rope_params<double> y;
    y.variant = rope_variant::yarn;
    y.factor = 32;
    y.original_max_position_embeddings = 4096;
    y.beta_fast = 1;
    y.beta_slow = 1;
    BOOST_TEST(!rejects(y, "beta_fast"));
    BOOST_TEST(posenc::frequencies::compute(y).theta.size() == 64u);
    y.beta_fast = 0.5;
    BOOST_TEST(rejects(y, "beta_fast"));
    // Llama 4: low_freq_factor == high_freq_factor leaves the two outer bands.
    rope_params<double> l;
    l.variant = rope_variant::llama3;
    l.base = 500000;
    l.factor = 8;
    l.original_max_position_embeddings = 8192;
    l.low_freq_factor = 1;
    l.high_freq_factor = 1;
    const auto r = posenc::frequencies::compute(l);
    // wavelength 2 pi / theta below 8192 keeps theta, above it theta / 8
    for (int i = 0; i < 64; ++i) {
        const double t = exact_theta(500000, i, 128, 1.0);
        const double want = 2 * M_PI / t < 8192 ? t : exact_theta(500000, i, 128, 8.0);
        BOOST_TEST(std::fabs(r.theta[static_cast<std::size_t>(i)] - want) <= std::ldexp(std::fabs(want), -52),
                   "pair " << i);
    }
}

BOOST_AUTO_TEST_CASE(fuzzer_findings) {
    // a subnormal LongRoPE factor made theta overflow to NaN (tests/fuzz/corpus_config/regress_*)
    rope_params<double> p;
    p.variant = rope_variant::longrope;
    p.head_dim = 4;
    p.original_max_position_embeddings = 4;
    p.short_factor = {1e-310, 1e300};
    p.long_factor = {1, 2};
    BOOST_TEST(rejects(p, "short_factor"));
}

BOOST_AUTO_TEST_CASE(longrope_original_length_one) {
    // max/original = 10 and ln(original) = ln 1 = 0: the attention factor divided by zero
    // (tests/fuzz/corpus_config/regress_longrope_original_1.json)
    rope_params<double> p;
    p.variant = rope_variant::longrope;
    p.head_dim = 4;
    p.max_position_embeddings = 10;
    p.original_max_position_embeddings = 1;
    p.short_factor = {1, 2};
    p.long_factor = {1, 2};
    BOOST_TEST(rejects(p, "original_max_position_embeddings"));
    p.attention_factor = 1.5;  // given explicitly: no division, accepted
    BOOST_TEST(posenc::frequencies::compute(p).attention_factor == 1.5);
    p.attention_factor = 0;
    p.original_max_position_embeddings = 2;
    // factor = 10 / 2: sqrt(1 + ln 5 / ln 2) = 1.8226...; 4 ulps: libm log and sqrt vs the library
    const double want = std::sqrt(1 + std::log(5.0) / std::log(2.0));
    BOOST_TEST(std::fabs(posenc::frequencies::compute(p).attention_factor - want) <= 4 * std::ldexp(want, -52));
}
