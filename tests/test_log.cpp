// Accuracy of posenc::math::log against MPFR.
//
// Claims under test (include/posenc/math/log.hpp, API): log within 1 ulp for float, double,
// long double and __float128 for every positive finite x, subnormals included; within 4 ulps for
// cpp_bin_float_50/100 and mpfr_float_50/100; log(+-0) = -inf, log(x < 0) = NaN,
// log(+inf) = +inf, NaN -> NaN.
//
// Expected values: mpfr_log at the type's precision + 64 bits on the exactly converted argument.
#define BOOST_TEST_MODULE test_log
#include <boost/test/unit_test.hpp>

#include <posenc/math.hpp>
#include <support/math_bounds.hpp>
#include <support/reference.hpp>
#include <support/type_lists.hpp>

#include <cstdint>

namespace {

namespace pt = posenc_test;
namespace pm = posenc::math;
using pt::mp;

/// 1 ulp: the documented bound of log for float, double, long double and __float128.
constexpr double native_bound = 1.0;
/// 4 ulps: the documented bound for the multiprecision types.
constexpr double multiprecision_bound = 4.0;

template <class T>
T posenc_log(T x) {
    return pm::log<T>(x);
}

template <class T>
pt::unary_checker<T> log_checker(double bound, std::string context) {
    return pt::unary_checker<T>("log", &posenc_log<T>, &mpfr_log, bound, std::move(context));
}

/// Random x > 0 over every binade of T (subnormals included).
template <class T>
void random_points(std::size_t n, std::uint64_t seed) {
    auto checker = log_checker<T>(native_bound, "random: every binade of x > 0");
    pt::sampler<T> sample(seed, pt::lowest_binade<T>(), pt::highest_binade<T>(), pt::signs::positive);
    for (std::size_t i = 0; i < n; ++i) checker.check(sample());
    checker.print();
    pt::check_math_bounds(checker);
}

/// x near 1 (where log x is small and cancellation threatens), powers of two, range limits.
template <class T>
void edge_points(long stride) {
    using R = posenc::real_traits<T>;
    auto near_one = log_checker<T>(native_bound, "1 +- k ulps (k <= 4096), uniform in [1/2, 2]");
    const T ulp_above = pt::pow2<T>(1 - R::digits);  // spacing of T in [1, 2)
    const T ulp_below = pt::pow2<T>(-R::digits);     // spacing of T in [1/2, 1)
    for (int k = 1; k <= 4096; ++k) {
        near_one.check(T(T(1) + T(k) * ulp_above));  // exact: 1 + k ulps
        near_one.check(T(T(1) - T(k) * ulp_below));  // exact: 1 - k ulps
    }
    std::mt19937_64 rng(0x10910910ULL);
    for (std::size_t i = 0; i < pt::sample_count(100000); ++i) {
        near_one.check(pt::uniform_value(rng, T(1) / T(2), T(2)));
    }
    near_one.print();
    pt::check_math_bounds(near_one);

    auto powers = log_checker<T>(native_bound, "2^k +- 4 ulps, range limits, subnormals");
    for (long k = pt::lowest_binade<T>(); k < R::max_exponent; ++k) {
        if (k % stride != 0 && k > pt::lowest_binade<T>() + 8 && k < R::max_exponent - 8) continue;
        const T x0 = pt::pow2<T>(k);
        for (int d = -4; d <= 4; ++d) {
            const T x = pt::step(x0, d);
            if (x > T(0) && !pt::is_inf(x)) powers.check(x);
        }
    }
    for (const T& x : {pt::max_finite<T>(), pt::true_min<T>(), T(pt::true_min<T>() * T(3)), pt::min_normal<T>(),
                       T(pt::min_normal<T>() - pt::true_min<T>()), T(3) / T(4), T(3) / T(2), T(10)}) {
        for (int d = -4; d <= 4; ++d) {
            const T x1 = pt::step(x, d);
            if (x1 > T(0) && !pt::is_inf(x1)) powers.check(x1);
        }
    }
    powers.print();
    pt::check_math_bounds(powers);
}

/// Special values (every type).
template <class T>
void special_values() {
    const T inf = pt::infinity<T>();
    const T nan = pt::quiet_nan<T>();
    // log(1) = +0 exactly (closed form).
    const T l1 = pm::log<T>(T(1));
    BOOST_TEST((l1 == T(0) && !pt::sign_bit(l1)), "log<" << pt::type_name<T>() << ">(1) = " << pt::to_text(l1));
    // log(+-0) = -inf.
    for (const T& z : {T(0), T(-T(0))}) {
        const T y = pm::log<T>(z);
        BOOST_TEST(pt::identical(y, T(-inf)), "log<" << pt::type_name<T>() << ">(" << pt::to_text(z) << ") = " << pt::to_text(y));
    }
    // log(x < 0) = NaN, log(NaN) = NaN.
    for (const T& x : {T(-1), T(-T(1) / T(1024)), T(-inf), nan, T(-nan)}) {
        const T y = pm::log<T>(x);
        BOOST_TEST(pt::is_nan(y), "log<" << pt::type_name<T>() << ">(" << pt::to_text(x) << ") = " << pt::to_text(y));
    }
    // log(+inf) = +inf.
    BOOST_TEST(pt::identical(pm::log<T>(inf), inf));
}

/// Multiprecision types: random x in [2^-30, 1e9], x next to 1.
template <class T>
void multiprecision_points(std::size_t n, std::uint64_t seed) {
    auto checker = log_checker<T>(multiprecision_bound, "random x in [2^-30, 1e9], 1 +- k ulps, 2^k");
    pt::sampler<T> sample(seed, -30, 29, pt::signs::positive);
    const T limit = T(1000000000);
    for (std::size_t done = 0; done < n;) {
        const T x = sample();
        if (x > limit) continue;
        checker.check(x);
        ++done;
    }
    const T ulp_above = pt::pow2<T>(1 - pt::digits<T>);
    const T ulp_below = pt::pow2<T>(-pt::digits<T>);
    for (int k = 1; k <= 64; ++k) {
        checker.check(T(T(1) + T(k) * ulp_above));
        checker.check(T(T(1) - T(k) * ulp_below));
    }
    for (long e = -30; e <= 29; ++e) checker.check(pt::pow2<T>(e));
    checker.print();
    pt::check_math_bounds(checker);
}

/// Per type: log_random's sample count and seed, log_edges' stride, log_multiprecision's sample
/// count and seed.
constexpr pt::per_binary_type<pt::random_run> random_runs{.float_ = {1000000, 0x10f10a7ULL},
                                                          .double_ = {1000000, 0x10d0b1eULL},
                                                          .long_double = {500000, 0x101dULL},
                                                          .float128 = {60000, 0x10f128ULL}};
constexpr pt::per_binary_type<long> edge_strides{.float_ = 1, .double_ = 1, .long_double = 13, .float128 = 29};
constexpr pt::per_multiprecision_type<pt::random_run> multiprecision_runs{.cpp_bin_float_50 = {2000, 0x1050ULL},
                                                                          .cpp_bin_float_100 = {2000, 0x10100ULL},
                                                                          .mpfr_float_50 = {2000, 0x10350ULL},
                                                                          .mpfr_float_100 = {2000, 0x103100ULL}};

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(log_random, T, pt::binary_types) {
    random_points<T>(pt::sample_count(random_runs.at<T>().samples), random_runs.at<T>().seed);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(log_edges, T, pt::binary_types) { edge_points<T>(edge_strides.at<T>()); }

BOOST_AUTO_TEST_CASE(log_special_values) {
    pt::for_each_real_type([](auto t) { special_values<typename decltype(t)::type>(); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(log_multiprecision, T, pt::multiprecision_types) {
    multiprecision_points<T>(pt::sample_count(multiprecision_runs.at<T>().samples), multiprecision_runs.at<T>().seed);
}
