// Error bounds checked tightly enough that twice the error fails: the drift of the equally spaced
// phase recurrence (posenc::analysis::phase_block, the fast path of `posenc decay`, `context` and
// the B scans). Its stated bound (phases.hpp: a value is at most tile - 1 + (max_rows - 1)/tile =
// 38 complex products from an exact anchor, 3 eps each) is a worst case that the measured drift
// stays far below, so a recurrence with twice the drift (for instance twice the rows per block, 70
// products) still passed the bound and the runner's 1e-12 CLI checks. Here the measured maximum
// over a whole block is compared with a fixed threshold set from the measurement (see the case).
#define BOOST_TEST_MODULE posenc_tight_bounds
#include <boost/test/unit_test.hpp>

#include <posenc/analysis/phases.hpp>
#include <posenc/frequencies.hpp>
#include <support/reference.hpp>

#include <cmath>
#include <span>
#include <vector>

namespace {

namespace pa = posenc::analysis;
using posenc_test::mp;

/// max over k < rows, j of |z_{k,j} - e^{i r_k w_j}| / 2^-53 (w_j = hi + lo exactly, MPFR at 256 bits).
double drift(const pa::phase_block<double>& z, std::span<const posenc::math::dd<double>> w, std::span<const long long> r) {
    double worst = 0;
    mp a(256), s(256), c(256), d(256);
    for (std::size_t k = 0; k < z.rows(); ++k) {
        for (std::size_t j = 0; j < w.size(); ++j) {
            mpfr_set_d(a, w[j].hi, MPFR_RNDN);
            mpfr_add_d(a, a, w[j].lo, MPFR_RNDN);
            mpfr_mul_si(a, a, static_cast<long>(r[k]), MPFR_RNDN);
            mpfr_sin_cos(s, c, a, MPFR_RNDN);
            mpfr_sub_d(d, c, z.re(k, j), MPFR_RNDN);
            worst = std::max(worst, std::fabs(mpfr_get_d(d, MPFR_RNDN)));
            mpfr_sub_d(d, s, z.im(k, j), MPFR_RNDN);
            worst = std::max(worst, std::fabs(mpfr_get_d(d, MPFR_RNDN)));
        }
    }
    return worst / 0x1p-53;
}

// d = 128, base 1e4 (theta_j in double-T from posenc's frequency layer), one whole block of
// max_rows equally spaced distances, at three starts and steps. The drift grows with the number of
// products between a value and its exact anchor (linearly: the same rounded step rotation is applied
// again and again), so twice the products give about twice the error.
// Measured (g++-12, x86-64, glibc's sin/cos for the anchors): 35.4 eps (20.3, 35.4, 30.5 for the
// three runs). Threshold 48 eps = the measurement plus a margin of 36%, below twice it: with 4-row
// tiles (66 products) the worst run measures 67.3 eps, with twice the rows per block (max_rows 512,
// 70 products) 74.0 eps, and both fail; test_analysis's stated bound (116 eps) passes the first.
BOOST_AUTO_TEST_CASE(phase_block_drift) {
    const std::vector<double> theta = posenc::frequencies::default_theta(10000.0, 128);
    std::vector<posenc::math::dd<double>> w;
    for (const double t : theta) w.push_back({t, 0.0});
    constexpr std::size_t rows = pa::phase_block<double>::max_rows;
    double worst = 0;
    struct run {
        long long first, step;
    };
    for (const run& u : {run{0, 1}, run{1000000, 3}, run{(1LL << 24) - 5000, 17}}) {
        std::vector<long long> r(rows);
        for (std::size_t k = 0; k < rows; ++k) r[k] = u.first + static_cast<long long>(k) * u.step;
        pa::phase_block<double> z;
        z.fill(std::span<const posenc::math::dd<double>>(w), std::span<const long long>(r));
        const double e = drift(z, w, r);
        BOOST_TEST_MESSAGE("first " << u.first << " step " << u.step << ": max drift " << e << " eps over " << rows
                                    << " rows x " << w.size() << " pairs");
        worst = std::max(worst, e);
    }
    BOOST_TEST_MESSAGE("phase_block drift: " << worst << " eps (threshold 48)");
    BOOST_TEST(worst <= 48.0);  // measured 35.4 + 36%: twice the drift fails
}

}  // namespace
