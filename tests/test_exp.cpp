// Accuracy of posenc::math::exp against MPFR.
//
// Claims under test (include/posenc/math/exp.hpp, API): exp within 1 ulp for float, double,
// long double and __float128 on the whole domain, subnormal results included (ulp = the subnormal
// quantum there); within 4 ulps for cpp_bin_float_50/100 and mpfr_float_50/100; NaN -> NaN,
// exp(+inf) = +inf, exp(large) = +inf, exp(-inf) = exp(very negative) = +0.
//
// Expected values: mpfr_exp at the type's precision + 64 bits on the exactly converted argument.
// Domain edges are computed in MPFR: x_max = the largest T whose exp rounds (to nearest) to a
// finite value, x_min = the smallest T whose exp rounds to a nonzero value.
#define BOOST_TEST_MODULE test_exp
#include <boost/test/unit_test.hpp>

#include <posenc/math.hpp>
#include <support/math_bounds.hpp>
#include <support/reference.hpp>
#include <support/type_lists.hpp>

#include <cstdint>
#include <vector>

namespace {

namespace pt = posenc_test;
namespace pm = posenc::math;
using pt::mp;

/// 1 ulp: the documented bound of exp for float, double, long double and __float128.
constexpr double native_bound = 1.0;
/// 4 ulps: the documented bound for the multiprecision types.
constexpr double multiprecision_bound = 4.0;

template <class T>
T posenc_exp(T x) {
    return pm::exp<T>(x);
}

template <class T>
pt::unary_checker<T> exp_checker(double bound, std::string context) {
    return pt::unary_checker<T>("exp", &posenc_exp<T>, &mpfr_exp, bound, std::move(context));
}

/// Largest x of T with RN(exp(x)) finite: exp(x) below the overflow threshold
/// (2 - 2^-p) * 2^(max_exponent - 1).
template <class T>
T exp_x_max() {
    using R = posenc::real_traits<T>;
    mp t(R::digits + 2);
    mpfr_set_ui_2exp(t, 1, R::max_exponent, MPFR_RNDN);
    mp half_q(8);
    mpfr_set_ui_2exp(half_q, 1, R::max_exponent - R::digits - 1, MPFR_RNDN);
    mpfr_sub(t, t, half_q, MPFR_RNDN);  // exact
    mp l(pt::ref_prec<T> + 64);
    mpfr_log(l, t, MPFR_RNDN);
    return pt::round_down<T>(l);
}

/// Smallest x of T with RN(exp(x)) nonzero: exp(x) above half the least positive value.
template <class T>
T exp_x_min() {
    mp l(pt::ref_prec<T> + 64);
    mpfr_const_log2(l, MPFR_RNDN);
    mpfr_mul_si(l, l, pt::lowest_binade<T>() - 1, MPFR_RNDN);
    return pt::round_up<T>(l);
}

/// floor(log2 |v|) for a nonzero T.
template <class T>
long binade_of(const T& v) {
    return static_cast<long>(mpfr_get_exp(pt::exact(v).get())) - 1;
}

/// Random x over every binade of |x| inside [x_min, x_max] (both signs), then as many again
/// uniformly distributed over [x_min, x_max] (where the result exponents spread evenly).
template <class T>
void random_points(std::size_t n, std::uint64_t seed) {
    auto checker = exp_checker<T>(native_bound, "random: every binade of |x|, then uniform in [x_min, x_max]");
    const T lo = exp_x_min<T>();
    const T hi = exp_x_max<T>();
    pt::sampler<T> sample(seed, pt::lowest_binade<T>(), std::max(binade_of(lo), binade_of(hi)));
    for (std::size_t done = 0; done < n;) {
        const T x = sample();
        if (x < lo || x > hi) continue;
        checker.check(x);
        ++done;
    }
    for (std::size_t i = 0; i < n / 2; ++i) checker.check(pt::uniform_value(sample.rng(), lo, hi));
    checker.print();
    pt::check_math_bounds(checker);
}

/// Overflow and underflow edges, subnormal results, results next to powers of two, special values.
template <class T>
void edge_points(long stride) {
    using R = posenc::real_traits<T>;
    const T x_max = exp_x_max<T>();
    const T x_min = exp_x_min<T>();
    const T inf = pt::infinity<T>();
    fmt::print("exp<{}>: x_max = {}, x_min = {}\n", pt::type_name<T>(), pt::to_text(x_max), pt::to_text(x_min));

    // Overflow edge: exp(x_max) is finite and within 1 ulp; the next value overflows.
    auto overflow = exp_checker<T>(native_bound, "x_max and the 8 values below");
    for (int d = -8; d <= 0; ++d) overflow.check(pt::step(x_max, d));
    const T at_max = pm::exp<T>(x_max);
    BOOST_TEST(!pt::is_inf(at_max), "exp(x_max = " << pt::to_text(x_max) << ") = " << pt::to_text(at_max));
    const T above = pm::exp<T>(pt::next_up(x_max));
    BOOST_TEST(pt::identical(above, inf), "exp(next_up(x_max)) = " << pt::to_text(above) << ", expected +inf");
    for (const T& x : {T(pt::next_up(x_max)), pt::step(x_max, 2), T(x_max * T(2)), pt::max_finite<T>(), inf}) {
        BOOST_TEST(pt::identical(pm::exp<T>(x), inf), "exp(" << pt::to_text(x) << ") should be +inf");
    }
    overflow.print();
    pt::check_math_bounds(overflow);

    // Underflow edge: around x_min results are a few subnormal quanta; below it, +0.
    auto underflow = exp_checker<T>(native_bound, "x_min +- 8 ulps, subnormal results");
    for (int d = -8; d <= 8; ++d) underflow.check(pt::step(x_min, d));
    // Subnormal results: x between log(2^lowest) and log(min_normal), ulp = the subnormal quantum.
    std::mt19937_64 rng(0xe0e0e0e0ULL);
    mp l(pt::ref_prec<T>);
    mpfr_const_log2(l, MPFR_RNDN);
    mpfr_mul_si(l, l, R::min_exponent - 1, MPFR_RNDN);
    const T x_normal = pt::round_down<T>(l);  // exp(x) < min_normal below this
    for (std::size_t i = 0; i < pt::sample_count(20000); ++i) underflow.check(pt::uniform_value(rng, x_min, x_normal));
    for (int d = -4; d <= 4; ++d) underflow.check(pt::step(x_normal, d));
    underflow.print();
    pt::check_math_bounds(underflow);
    // Very negative arguments: the exact value is below 2^-64 of the least subnormal: +0.
    mpfr_const_log2(l, MPFR_RNDN);
    mpfr_mul_si(l, l, pt::lowest_binade<T>() - 64, MPFR_RNDN);
    for (const T& x : {pt::round_down<T>(l), T(x_min * T(2)), T(-pt::max_finite<T>()), T(-inf)}) {
        const T y = pm::exp<T>(x);
        BOOST_TEST((y == T(0) && !pt::sign_bit(y)), "exp(" << pt::to_text(x) << ") = " << pt::to_text(y) << ", expected +0");
    }

    // Results next to powers of two: x = RN(k ln 2) +- 0..4 ulps for k over the exponent range.
    auto powers = exp_checker<T>(native_bound, "k ln2 +- 4 ulps, small |x|");
    for (long k = pt::lowest_binade<T>(); k < R::max_exponent; ++k) {
        if (k % stride != 0 && k > pt::lowest_binade<T>() + 8 && k < R::max_exponent - 8) continue;
        mpfr_const_log2(l, MPFR_RNDN);
        mpfr_mul_si(l, l, k, MPFR_RNDN);
        const T x0 = pt::from_mpfr<T>(l);
        for (int d = -4; d <= 4; ++d) {
            const T x = pt::step(x0, d);
            if (x >= x_min && x <= x_max) powers.check(x);
        }
    }
    // Small arguments and the neighbourhood of 0 (exp(+-0) = 1).
    for (const T& x : {T(0), T(-T(0)), pt::true_min<T>(), pt::min_normal<T>(), pt::pow2<T>(-R::digits),
                       pt::pow2<T>(-R::digits - 1), pt::pow2<T>(-R::digits - 2), pt::pow2<T>(-R::digits / 2), T(1),
                       T(-1), T(1) / T(2), T(-1) / T(2)}) {
        for (int d = -4; d <= 4; ++d) {
            const T x1 = pt::step(x, d);
            powers.check(x1);
            powers.check(T(-x1));
        }
    }
    powers.print();
    pt::check_math_bounds(powers);

    // NaN propagates.
    BOOST_TEST(pt::is_nan(pm::exp<T>(pt::quiet_nan<T>())));
    BOOST_TEST(pt::is_nan(pm::exp<T>(T(-pt::quiet_nan<T>()))));
}

/// Multiprecision types: random |x| <= 1e4 over the binades 2^-30..2^13, multiples of ln 2.
template <class T>
void multiprecision_points(std::size_t n, std::uint64_t seed) {
    auto checker = exp_checker<T>(multiprecision_bound, "random |x| <= 1e4, k ln2 +- 2 ulps");
    pt::sampler<T> sample(seed, -30, 13);
    const T limit = T(10000);
    for (std::size_t done = 0; done < n;) {
        const T x = sample();
        if (x > limit || x < T(-limit)) continue;
        checker.check(x);
        ++done;
    }
    mp l(pt::ref_prec<T>);
    for (long k = -14000; k <= 14000; k += 997) {
        mpfr_const_log2(l, MPFR_RNDN);
        mpfr_mul_si(l, l, k, MPFR_RNDN);
        const T x0 = pt::from_mpfr<T>(l);
        for (int d = -2; d <= 2; ++d) checker.check(pt::step(x0, d));
    }
    checker.print();
    pt::check_math_bounds(checker);
    BOOST_TEST(pt::is_nan(pm::exp<T>(pt::quiet_nan<T>())));
    BOOST_TEST((pm::exp<T>(T(0)) == T(1)));
}

/// Per type: exp_random's sample count and seed, exp_edges' stride of the k ln2 scan, and
/// exp_multiprecision's sample count and seed.
constexpr pt::per_binary_type<pt::random_run> random_runs{.float_ = {1000000, 0xe1f10a7ULL},
                                                          .double_ = {1000000, 0xe1d0b1eULL},
                                                          .long_double = {600000, 0xe11dULL},
                                                          .float128 = {100000, 0xe1f128ULL}};
constexpr pt::per_binary_type<long> edge_strides{.float_ = 1, .double_ = 1, .long_double = 13, .float128 = 29};
constexpr pt::per_multiprecision_type<pt::random_run> multiprecision_runs{.cpp_bin_float_50 = {2000, 0xe50ULL},
                                                                          .cpp_bin_float_100 = {2000, 0xe100ULL},
                                                                          .mpfr_float_50 = {2000, 0xe350ULL},
                                                                          .mpfr_float_100 = {2000, 0xe3100ULL}};

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(exp_random, T, pt::binary_types) {
    random_points<T>(pt::sample_count(random_runs.at<T>().samples), random_runs.at<T>().seed);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(exp_edges, T, pt::binary_types) { edge_points<T>(edge_strides.at<T>()); }

BOOST_AUTO_TEST_CASE_TEMPLATE(exp_multiprecision, T, pt::multiprecision_types) {
    multiprecision_points<T>(pt::sample_count(multiprecision_runs.at<T>().samples), multiprecision_runs.at<T>().seed);
}
