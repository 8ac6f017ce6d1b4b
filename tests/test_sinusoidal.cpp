// posenc::sinusoidal (Vaswani et al. 2017, section 3.5): table values, relative structure,
// parameter validation and compile-time use.
//
// Expected values: tests/data/sinusoidal_tables.ipp (scripts/gen_sinusoidal_tables.py, mpmath at
// 140 digits) for theta_i, p_{k,j} and dot(m, n) at dim 16 and 128, base 10^4; MPFR for the exact
// theta_i used in the error bounds of the property checks, and for evaluating sums of products of
// computed values (at 2p + 128 bits, so the evaluation itself adds below 2^-(p+100) of u).
//
// Error model (u = 2^-p, p = significand bits of T; e_theta, e_sin = ulp bounds of theta and of
// sin/cos: 1 for float/double/long double/__float128, 4 for the multiprecision types, as
// documented by posenc::math and sinusoidal.hpp):
//  - theta_i: at most e_theta ulp.
//  - entry p_{k,j} = sin/cos(x^), x^ = fl(k theta^): |theta^ - theta| <= e_theta ulp(theta)
//    <= 2 e_theta u theta, the product adds at most u |k theta^|, so
//    |x^ - k theta| <= |k theta| (2 e_theta + 1) u (1 + 2^-20); sin/cos are 1-Lipschitz and round
//    with at most e_sin ulp(result) <= 2 e_sin u (|result| <= 1). Bound, in units of u:
//        |k theta| (2 e_theta + 1) (1 + 2^-20) + 2 e_sin.
//    It grows with |k theta|: the phase of a T-valued angle cannot be better than that.
//  - dot(m, n) = sum_i cos(fl(m - n) theta_i) in double-T, rounded once: the sum of the entry bounds
//    of the cos terms, plus |dot| (final rounding, <= ulp/2 <= |dot| u), plus 1 (the double-T
//    accumulation, below d u^2 |sum|).
#define BOOST_TEST_MODULE test_sinusoidal
#include <boost/test/unit_test.hpp>

#include <posenc/encodings/sinusoidal.hpp>
#include <support/bound_tracker.hpp>
#include <support/expect_invalid.hpp>
#include <support/reference.hpp>
#include <support/type_lists.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace pt = posenc_test;
using posenc_test::expect_invalid;
using pt::mp;

struct dot_case {
    long m;
    long n;
    const char* value;
};

struct sinusoidal_table {
    int dim;
    long base;
    const char* const* theta;
    const char* const* p;
    const dot_case* dots;
    int dot_count;
};

#include "data/sinusoidal_tables.ipp"

/// ulp bound of theta and of sin/cos for T (posenc::math and sinusoidal.hpp documentation).
template <class T>
constexpr double math_ulps = pt::is_native<T> ? 1.0 : 4.0;

/// The table's decimal string at 450 bits (the strings carry 125 digits, about 415 bits).
mp table_value(const char* text) {
    mp v(450);
    mpfr_set_str(v, text, 10, MPFR_RNDN);
    return v;
}

/// |computed - exact| in units of u = 2^-p.
template <class T>
double abs_error_units(const T& computed, mpfr_srcptr exact_value) {
    mp d(128);
    mpfr_sub(d, pt::exact(computed), exact_value, MPFR_RNDN);
    mpfr_abs(d, d, MPFR_RNDN);
    mpfr_mul_2si(d, d, pt::digits<T>, MPFR_RNDN);
    return mpfr_get_d(d, MPFR_RNDU);
}

/// Entry bound in units of u (see the file comment), for |k theta| = abs_phase.
template <class T>
double entry_bound_units(double abs_phase) {
    return abs_phase * (2.0 * math_ulps<T> + 1.0) * (1.0 + 0x1p-20) + 2.0 * math_ulps<T>;
}

using posenc_test::bound_tracker;

// ---------------------------------------------------------------------------------------------
// Table checks.
// ---------------------------------------------------------------------------------------------

/// A value per table dimension: the largest error/bound measured (g++, full run) at each of three
/// dimensions, `dims` (check_tables: 16, 100, 128; check_properties: 8, 16, 128).
struct per_dim {
    double v[3];
    double at(int dim, const int (&dims)[3]) const {
        for (int i = 0; i < 3; ++i) {
            if (dims[i] == dim) return v[i];
        }
        BOOST_FAIL("no measured value for dim " << dim);
        return 0;
    }
};
constexpr int table_dims[3] = {16, 100, 128};
constexpr int property_dims[3] = {8, 16, 128};

// The bounds are worst cases (the sine's 1 ulp, every rounding at its maximum); these hold a doubled
// error to fail.
constexpr pt::per_real_type<per_dim> measured_entry{.float_ = {{0.3042, 0.4043, 0.4712}},
                                                    .double_ = {{0.2133, 0.383, 0.399}},
                                                    .long_double = {{0.29, 0.4049, 0.4329}},
                                                    .float128 = {{0.3473, 0.3547, 0.3807}},
                                                    .cpp_bin_float_50 = {{0.07385, 0.1281, 0.1487}},
                                                    .mpfr_float_100 = {{0.08506, 0.1399, 0.1376}}};
constexpr pt::per_real_type<per_dim> measured_table_dot{.float_ = {{0.04585, 0.07174, 0.1254}},
                                                        .double_ = {{0.03622, 0.05663, 0.1208}},
                                                        .long_double = {{0.05687, 0.1428, 0.06018}},
                                                        .float128 = {{0.04682, 0.0892, 0.1087}},
                                                        .cpp_bin_float_50 = {{0.008597, 0.0255, 0.03103}},
                                                        .mpfr_float_100 = {{0.03464, 0.04658, 0.04733}}};
constexpr pt::per_real_type<per_dim> measured_shift{.float_ = {{0.1978, 0.1569, 0.2163}},
                                                    .double_ = {{0.1315, 0.1864, 0.1904}},
                                                    .long_double = {{0.1245, 0.1582, 0.215}},
                                                    .float128 = {{0.1853, 0.1754, 0.2164}}};
constexpr pt::per_real_type<per_dim> measured_norm{.float_ = {{0.1094, 0.1731, 0.03817}},
                                                   .double_ = {{0.08527, 0.09649, 0.0318}},
                                                   .long_double = {{0.16, 0.1511, 0.02809}},
                                                   .float128 = {{0.1555, 0.09198, 0.03844}}};
constexpr pt::per_real_type<per_dim> measured_dot{.float_ = {{0.02552, 0.02643, 0.02937}},
                                                  .double_ = {{0.01859, 0.02616, 0.02911}},
                                                  .long_double = {{0.03601, 0.03287, 0.03257}},
                                                  .float128 = {{0.02159, 0.02802, 0.02654}}};

template <class T>
void check_tables() {
    const std::string tn(pt::type_name<T>());
    for (const sinusoidal_table& tab : sinusoidal_tables) {
        const posenc::sinusoidal<T> s(tab.dim, T(tab.base));
        const int pairs = tab.dim / 2;
        const std::string ctx = fmt::format("dim {}, base {}", tab.dim, tab.base);

        // theta_i: at most e_theta ulps (sinusoidal.hpp).
        pt::max_error<T> theta_err("theta", math_ulps<T>, ctx);
        std::vector<double> theta_d(static_cast<std::size_t>(pairs));
        for (int i = 0; i < pairs; ++i) {
            const mp ref = table_value(tab.theta[i]);
            theta_d[static_cast<std::size_t>(i)] = mpfr_get_d(ref, MPFR_RNDN);
            const T th = s.theta(i);
            theta_err.record(pt::ulp_error(th, ref), T(i), ref, th);
        }
        theta_err.print();
        BOOST_TEST(theta_err.max() <= theta_err.bound());
        BOOST_TEST(theta_err.max() <= 0.75);  // measured at most 0.511 ulp (theta rounded once): 0.75 fails a doubled error, which the stated bound lets pass

        // p_{k,j}: entry bound in units of u (file comment); encode identical to entry.
        bound_tracker entry_err(fmt::format("entry<{}> [{}]", tn, ctx), "u");
        std::size_t encode_mismatch = 0;
        std::vector<T> out(static_cast<std::size_t>(tab.dim));
        for (std::size_t ki = 0; ki < std::size(table_positions); ++ki) {
            const long k = table_positions[ki];
            s.encode(T(k), std::span<T>(out));
            for (int j = 0; j < tab.dim; ++j) {
                const mp ref = table_value(tab.p[ki * static_cast<std::size_t>(tab.dim) + static_cast<std::size_t>(j)]);
                const T e = s.entry(T(k), j);
                if (!pt::identical(e, out[static_cast<std::size_t>(j)])) ++encode_mismatch;
                const double phase = static_cast<double>(k) * theta_d[static_cast<std::size_t>(j / 2)];
                entry_err.record(abs_error_units(e, ref), entry_bound_units<T>(phase), fmt::format("k = {}, j = {}", k, j));
            }
        }
        entry_err.report(measured_entry.at<T>().at(tab.dim, table_dims));
        BOOST_TEST(encode_mismatch == 0u);

        // dot(m, n) against the table (bound: file comment).
        bound_tracker dot_err(fmt::format("dot<{}> [{}]", tn, ctx), "u");
        for (int c = 0; c < tab.dot_count; ++c) {
            const dot_case& dc = tab.dots[c];
            const mp ref = table_value(dc.value);
            const T v = s.dot(T(dc.m), T(dc.n));
            double bound = std::fabs(mpfr_get_d(ref, MPFR_RNDN)) + 1.0;
            for (int i = 0; i < pairs; ++i) {
                bound += entry_bound_units<T>(std::fabs(static_cast<double>(dc.m - dc.n)) * theta_d[static_cast<std::size_t>(i)]);
            }
            dot_err.record(abs_error_units(v, ref), bound, fmt::format("m = {}, n = {}", dc.m, dc.n));
        }
        dot_err.report(measured_table_dot.at<T>().at(tab.dim, table_dims));
    }
}

// ---------------------------------------------------------------------------------------------
// Properties: M_k p_m = p_{m+k}, |p_k|^2 = d/2, dot closed form = direct sum.
// ---------------------------------------------------------------------------------------------

/// Exact theta_i (MPFR at ref precision) as doubles, for the bounds.
template <class T>
std::vector<double> exact_thetas(int dim, const T& base) {
    std::vector<double> th(static_cast<std::size_t>(dim / 2));
    mp t(pt::ref_prec<T>);
    mp lb(pt::ref_prec<T>);
    mpfr_log(lb, pt::exact(base), MPFR_RNDN);
    for (int i = 0; i < dim / 2; ++i) {
        mpfr_set_si(t, -2 * i, MPFR_RNDN);
        mpfr_div_si(t, t, dim, MPFR_RNDN);
        mpfr_mul(t, t, lb, MPFR_RNDN);
        mpfr_exp(t, t, MPFR_RNDN);
        th[static_cast<std::size_t>(i)] = mpfr_get_d(t, MPFR_RNDN);
    }
    return th;
}

/// Accumulates products of T values in MPFR at 2p + 128 bits.
template <class T>
class exact_sum {
public:
    exact_sum() { mpfr_set_zero(s_, 1); }
    void add_product(const T& a, const T& b) {
        mpfr_mul(prod_, pt::exact(a), pt::exact(b), MPFR_RNDN);  // exact: 2p bits
        mpfr_add(s_, s_, prod_, MPFR_RNDN);
    }
    mpfr_srcptr get() const { return s_; }

private:
    mp s_{2 * pt::digits<T> + 128};
    mp prod_{2 * pt::digits<T> + 8};
};

template <class T>
void check_properties(int dim, long base, std::uint64_t seed, int samples, long max_position) {
    const std::string tn(pt::type_name<T>());
    const std::string ctx = fmt::format("dim {}, base {}", dim, base);
    const posenc::sinusoidal<T> s(dim, T(base));
    const std::vector<double> th = exact_thetas<T>(dim, T(base));
    const double u = std::ldexp(1.0, -pt::digits<T>);
    const auto n = static_cast<std::size_t>(dim);

    bound_tracker shift_err(fmt::format("M_k p_m - p_(m+k) <{}> [{}]", tn, ctx), "u");
    bound_tracker norm_err(fmt::format("|p_k|^2 - d/2 <{}> [{}]", tn, ctx), "u");
    bound_tracker dot_err(fmt::format("dot - sum_j p_m,j p_n,j <{}> [{}]", tn, ctx), "u");
    std::size_t structure_errors = 0;

    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<long> pos(0, max_position);
    std::vector<T> pm(n), pk(n), pmk(n), pn(n), mat(n * n);
    mp half_d(64);
    mpfr_set_si(half_d, dim / 2, MPFR_RNDN);
    for (int sample = 0; sample < samples; ++sample) {
        const long m = pos(rng);
        const long k = (sample % 2 == 0) ? pos(rng) : -pos(rng) / 2;  // also negative offsets, m + k may be < 0
        const long nn = pos(rng);
        s.encode(T(m), std::span<T>(pm));
        s.encode(T(m + k), std::span<T>(pmk));
        s.encode(T(nn), std::span<T>(pn));
        s.offset_operator(T(k), std::span<T>(mat));
        const std::string where = fmt::format("m = {}, k = {}", m, k);

        // Block structure: every entry outside the 2x2 diagonal blocks is exactly 0.
        for (std::size_t r = 0; r < n; ++r) {
            for (std::size_t c = 0; c < n; ++c) {
                if (r / 2 != c / 2 && !(mat[r * n + c] == T(0))) ++structure_errors;
            }
        }
        // (M_k p_m)_r, evaluated from the computed values, against the computed p_{m+k}: both are
        // within their entry bounds E of the true values, so (block [[c, s], [-s, c]], |c|+|s| <= sqrt 2,
        // |sin|+|cos| <= sqrt 2): |difference| <= sqrt2 (E_k + E_m) + 2 E_k E_m + E_{m+k}.
        for (std::size_t r = 0; r < n; ++r) {
            exact_sum<T> acc;
            for (std::size_t c = 0; c < n; ++c) acc.add_product(mat[r * n + c], pm[c]);
            mp diff(2 * pt::digits<T> + 128);
            mpfr_sub(diff, acc.get(), pt::exact(pmk[r]), MPFR_RNDN);
            mpfr_abs(diff, diff, MPFR_RNDN);
            mpfr_mul_2si(diff, diff, pt::digits<T>, MPFR_RNDN);
            const double t = th[r / 2];
            const double ek = entry_bound_units<T>(std::fabs(static_cast<double>(k)) * t);
            const double em = entry_bound_units<T>(static_cast<double>(m) * t);
            const double emk = entry_bound_units<T>(std::fabs(static_cast<double>(m + k)) * t);
            const double bound = (std::sqrt(2.0) * (ek + em) + 2.0 * ek * em * u + emk) * (1.0 + 0x1p-20);
            shift_err.record(mpfr_get_d(diff, MPFR_RNDU), bound, fmt::format("{}, row {}", where, r));
        }
        // |p_m|^2 = d/2: each computed sin/cos has relative error <= 2 e_sin u, so each pair
        // sin^2 + cos^2 is within 4 e_sin u (1 + 2^-20) of 1 (the angle's error does not matter):
        // bound (d/2) 4 e_sin u, i.e. 2 d e_sin units of u.
        {
            exact_sum<T> acc;
            for (std::size_t j = 0; j < n; ++j) acc.add_product(pm[j], pm[j]);
            mp diff(2 * pt::digits<T> + 128);
            mpfr_sub(diff, acc.get(), half_d, MPFR_RNDN);
            mpfr_abs(diff, diff, MPFR_RNDN);
            mpfr_mul_2si(diff, diff, pt::digits<T>, MPFR_RNDN);
            norm_err.record(mpfr_get_d(diff, MPFR_RNDU), 2.0 * dim * math_ulps<T> * (1.0 + 0x1p-20), where);
        }
        // dot(m, n) (closed form) against sum_j p_m,j p_n,j of the computed entries: the dot bound
        // (file comment) plus, per pair, sqrt2 (E_m + E_n) + 2 E_m E_n.
        {
            exact_sum<T> acc;
            for (std::size_t j = 0; j < n; ++j) acc.add_product(pm[j], pn[j]);
            const T d = s.dot(T(m), T(nn));
            const double dv = std::fabs(mpfr_get_d(acc.get(), MPFR_RNDN));
            double bound = dv + 1.0 + 1.0;  // final rounding (|dot| u, with slack for |dot| vs the sum), accumulation
            for (std::size_t i = 0; i < n / 2; ++i) {
                const double em = entry_bound_units<T>(static_cast<double>(m) * th[i]);
                const double en = entry_bound_units<T>(static_cast<double>(nn) * th[i]);
                const double er = entry_bound_units<T>(std::fabs(static_cast<double>(m - nn)) * th[i]);
                bound += std::sqrt(2.0) * (em + en) + 2.0 * em * en * u + er;
            }
            bound *= 1.0 + 0x1p-20;
            dot_err.record(abs_error_units(d, acc.get()), bound, fmt::format("m = {}, n = {}", m, nn));
        }
    }
    shift_err.report(measured_shift.at<T>().at(dim, property_dims));
    norm_err.report(measured_norm.at<T>().at(dim, property_dims));
    dot_err.report(measured_dot.at<T>().at(dim, property_dims));
    BOOST_TEST(structure_errors == 0u);
}

template <class T>
void properties_all(std::uint64_t seed) {
    const int samples = static_cast<int>(pt::sample_count(20));
    // Positions below 2^20: m + k and m - n stay exact in every T (float: 24 bits).
    check_properties<T>(8, 100, seed, samples, 1000);
    check_properties<T>(16, 10000, seed + 1, samples, 1L << 20);
    check_properties<T>(128, 10000, seed + 2, samples, 1L << 20);
}

// ---------------------------------------------------------------------------------------------
// Validation.
// ---------------------------------------------------------------------------------------------


template <class T>
void check_validation() {
    using S = posenc::sinusoidal<T>;
    expect_invalid("odd dim", "dim", [] { S s(7, T(10000)); });
    expect_invalid("zero dim", "dim", [] { S s(0, T(10000)); });
    expect_invalid("negative dim", "dim", [] { S s(-4, T(10000)); });
    expect_invalid("base 1", "base", [] { S s(16, T(1)); });
    expect_invalid("base 1/2", "base", [] { S s(16, T(1) / T(2)); });
    expect_invalid("base -3", "base", [] { S s(16, T(-3)); });
    expect_invalid("NaN base", "base", [] { S s(16, pt::quiet_nan<T>()); });
    expect_invalid("infinite base", "base", [] { S s(16, pt::infinity<T>()); });
    const S s(8, T(100));
    std::vector<T> small(7), square(63);
    expect_invalid("encode into 7 values", "out", [&] { s.encode(T(1), std::span<T>(small)); });
    expect_invalid("offset_operator into 63 values", "out", [&] { s.offset_operator(T(1), std::span<T>(square)); });
    expect_invalid("theta(4) at dim 8", "i", [&] { static_cast<void>(s.theta(4)); });
    expect_invalid("theta(-1)", "i", [&] { static_cast<void>(s.theta(-1)); });
    expect_invalid("entry j = 8 at dim 8", "j", [&] { static_cast<void>(s.entry(T(1), 8)); });
    // Accepted edge values.
    BOOST_CHECK_NO_THROW(S(2, T(10000)));
    BOOST_CHECK_NO_THROW(S(16, T(1) + T(1) / T(1024)));
    const S d;  // defaults: dim 512, base 10000
    BOOST_TEST(d.dim() == 512);
    BOOST_TEST(d.base() == T(10000));
}

// ---------------------------------------------------------------------------------------------
// Compile time.
// ---------------------------------------------------------------------------------------------

// |p_3|^2 for dim 8 in a constant expression: 4 within 1e-14. Bound: each sin^2 + cos^2 is within
// 4u of 1 (d/2 = 4 pairs: 16u), the squares and the naive sum of 8 terms add at most 8 * 4 u * 1.01,
// total about 48 u = 5.3e-15. Measured: exactly 4; held to one ulp of 4 either side (2^-51 below,
// 2^-50 above), so that an error of a few u fails where the bound would let it pass.
constexpr bool norm_p3_dim8_is_4 = [] {
    const posenc::sinusoidal<double> s(8, 10000.0);
    std::array<double, 8> p{};
    s.encode(3.0, std::span<double>(p));
    double sum = 0;
    for (double v : p) sum += v * v;
    return sum >= 4.0 - 0x1p-51 && sum <= 4.0 + 0x1p-50;
}();
static_assert(norm_p3_dim8_is_4);

// theta and an entry evaluated in a constant expression.
constexpr double ct_theta_3 = posenc::sinusoidal<double>(16, 10000.0).theta(3);
constexpr double ct_entry = posenc::sinusoidal<double>(16, 10000.0).entry(12345.0, 5);
constexpr float ct_entry_f = posenc::sinusoidal<float>(128, 10000.0f).entry(100.0f, 40);
constexpr double ct_dot = posenc::sinusoidal<double>(16, 10000.0).dot(100.0, 1.0);

/// The seed of the properties test per type.
constexpr pt::per_binary_type<std::uint64_t> properties_seeds{
    .float_ = 0x5a1f0001ULL, .double_ = 0x5a1d0001ULL, .long_double = 0x5a1e0001ULL, .float128 = 0x5a1f1280ULL};

}  // namespace

// ---- tables: every type (expected values from scripts/gen_sinusoidal_tables.py) ----

BOOST_AUTO_TEST_CASE_TEMPLATE(table, T, pt::table_types) { check_tables<T>(); }

// ---- relative structure and norm: native types ----

BOOST_AUTO_TEST_CASE_TEMPLATE(properties, T, pt::binary_types) { properties_all<T>(properties_seeds.at<T>()); }

// ---- validation ----

BOOST_AUTO_TEST_CASE(validation) {
    check_validation<float>();
    check_validation<double>();
    check_validation<long double>();
}

// ---- compile time: the same values as at run time, bit for bit ----

BOOST_AUTO_TEST_CASE(compile_time_matches_run_time) {
    static_assert(norm_p3_dim8_is_4);
    volatile int dim16 = 16;  // keeps the run-time evaluation at run time
    const posenc::sinusoidal<double> s(dim16, 10000.0);
    BOOST_TEST(pt::identical(ct_theta_3, s.theta(3)));
    BOOST_TEST(pt::identical(ct_entry, s.entry(12345.0, 5)));
    BOOST_TEST(pt::identical(ct_dot, s.dot(100.0, 1.0)));
    volatile int dim128 = 128;
    const posenc::sinusoidal<float> sf(dim128, 10000.0f);
    BOOST_TEST(pt::identical(ct_entry_f, sf.entry(100.0f, 40)));
    // And the compile-time theta_3 of dim 16 is 10000^(-6/16) = 10^-1.5 within 1 ulp (MPFR).
    mp ref(pt::ref_prec<double>);
    mpfr_set_d(ref, -1.5, MPFR_RNDN);
    mpfr_exp10(ref, ref, MPFR_RNDN);
    const double e = pt::ulp_error(ct_theta_3, ref);
    fmt::print("compile-time theta_3 (dim 16, base 1e4): {:.4f} ulp\n", e);
    BOOST_TEST(e <= 1.0);
}
