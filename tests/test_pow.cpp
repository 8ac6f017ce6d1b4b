// Accuracy of posenc::math::pow against MPFR.
//
// Claims under test (include/posenc/math/pow.hpp, API): pow(x, y) for x >= 0 within 1 ulp for
// float, double, long double and __float128, within 4 ulps for cpp_bin_float_50/100 and
// mpfr_float_50/100; special values: pow(x, +-0) = 1, pow(1, y) = 1, pow(+0, y > 0) = +0,
// pow(+0, y < 0) = +inf, pow(+inf, y > 0) = +inf, pow(+inf, y < 0) = +0, pow(x < 0, y) = NaN,
// NaN otherwise propagates; pow(x, +inf) = +0 for x < 1 and +inf for x > 1, pow(x, -inf) the
// reverse.
//
// Expected values: mpfr_pow at the type's precision + 64 bits on the exactly converted arguments
// (mpfr_sqrt for pow(x, 1/2)). Arguments: x > 0 random over every binade; y = t / log2(x)
// (computed in MPFR, rounded to T) for t uniform over the exponent range, so that x^y ~ 2^t covers
// the finite range including subnormal results; integer y with x drawn so that x^y stays in range;
// y random over binades with x near 1.
#define BOOST_TEST_MODULE test_pow
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

/// 1 ulp: the documented bound of pow for float, double, long double and __float128.
constexpr double native_bound = 1.0;
/// 4 ulps: the documented bound for the multiprecision types.
constexpr double multiprecision_bound = 4.0;

template <class T>
T posenc_pow(T x, T y) {
    return pm::pow<T>(x, y);
}

template <class T>
pt::binary_checker<T> pow_checker(double bound, std::string context) {
    return pt::binary_checker<T>("pow", &posenc_pow<T>, &mpfr_pow, bound, std::move(context));
}

/// y = RN(t / log2 x) in T, so that x^y is about 2^t (x > 0, x != 1).
template <class T>
T exponent_for(const T& x, double t) {
    mp l(pt::ref_prec<T> + 32);
    mpfr_log2(l, pt::exact(x), MPFR_RNDN);
    mp v(pt::ref_prec<T> + 32);
    mpfr_set_d(v, t, MPFR_RNDN);
    mpfr_div(v, v, l, MPFR_RNDN);
    return pt::from_mpfr<T>(v);
}

/// Random points for a native type.
template <class T>
void random_points(std::size_t n, std::uint64_t seed) {
    using R = posenc::real_traits<T>;
    // (a) x over every binade, y = t / log2 x with t uniform over the exponent range.
    auto spread = pow_checker<T>(native_bound, "x over every binade, y = t/log2(x), 2^t over the range");
    pt::sampler<T> sample(seed, pt::lowest_binade<T>(), pt::highest_binade<T>(), pt::signs::positive);
    std::mt19937_64& rng = sample.rng();
    const double t_lo = static_cast<double>(pt::lowest_binade<T>()) - 1.0;
    const double t_hi = static_cast<double>(R::max_exponent) + 0.5;
    for (std::size_t done = 0; done < n;) {
        const T x = sample();
        if (x == T(1)) continue;
        spread.check(x, exponent_for(x, pt::uniform(rng, t_lo, t_hi)));
        ++done;
    }
    spread.print();
    pt::check_math_bounds(spread);

    // (b) integer y in [-64, 64] \ {0} with x drawn from the binades where x^y stays in range.
    auto integral = pow_checker<T>(native_bound, "integer y in [-64, 64], x^y in range");
    for (std::size_t i = 0; i < n / 10; ++i) {
        long yi = std::uniform_int_distribution<long>(1, 64)(rng);
        const bool negative = (rng() & 1u) != 0;
        // binade(x) * y must stay inside [lowest_binade, max_exponent - 1], and so must binade(x).
        const long lo = pt::lowest_binade<T>() / yi + 1;
        const long hi = (R::max_exponent - 1) / yi - 1;
        const long e_lo = std::max(negative ? -hi : lo, pt::lowest_binade<T>());
        const long e_hi = std::min(negative ? -lo : hi, pt::highest_binade<T>());
        const long e = std::uniform_int_distribution<long>(e_lo, e_hi)(rng);
        const T x = sample.make(e, false);
        integral.check(x, T(negative ? -yi : yi));
    }
    integral.print();
    pt::check_math_bounds(integral);

    // (c) x near 1 (uniform in [1/2, 2]) and y over the binades 2^-20 .. 2^(digits+12), both signs.
    auto near_one = pow_checker<T>(native_bound, "x uniform in [1/2, 2], y over binades 2^-20..2^(p+12)");
    pt::sampler<T> ys(seed + 1, -20, R::digits + 12, pt::signs::both);
    for (std::size_t i = 0; i < n / 10; ++i) {
        const T x = pt::uniform_value(rng, T(1) / T(2), T(2));
        near_one.check(x, ys());
    }
    near_one.print();
    pt::check_math_bounds(near_one);
}

/// Exact and closed-form cases, y = 1/2 against MPFR's sqrt, special values.
template <class T>
void exact_cases(std::uint64_t seed, double bound) {
    // pow(2, 10) = 1024 and pow(x, 1) = x: the exact power is representable, and the single final
    // rounding of an error below 1/2 ulp + tiny returns it (a 1-ulp neighbour would be a failure).
    BOOST_TEST((pm::pow<T>(T(2), T(10)) == T(1024)));
    pt::sampler<T> sample(seed, std::max(pt::lowest_binade<T>(), -1000L), std::min(pt::highest_binade<T>(), 1000L),
                          pt::signs::positive);
    std::size_t pow1_mismatches = 0;
    pt::max_error<T> half("pow(x, 1/2) vs sqrt", bound, "x over binades 2^-1000..2^1000");
    mp r(pt::ref_prec<T>);
    for (std::size_t i = 0; i < pt::sample_count(10000); ++i) {
        const T x = sample();
        const T p1 = pm::pow<T>(x, T(1));
        if (!pt::identical(p1, x) && pow1_mismatches++ < 8) {
            fmt::print("pow<{}>({}, 1) = {}\n", pt::type_name<T>(), pt::to_text(x), pt::to_text(p1));
        }
        const T ph = pm::pow<T>(x, T(1) / T(2));
        mpfr_sqrt(r, pt::exact(x), MPFR_RNDN);
        half.record(pt::ulp_error(ph, r), x, r, ph);
    }
    fmt::print("pow<{}>(x, 1): {} of {} differ from x\n", pt::type_name<T>(), pow1_mismatches, pt::sample_count(10000));
    BOOST_TEST(pow1_mismatches == 0u);
    half.print();
    pt::check_math_bounds(half);

    // Small integer powers of small integers: exact results, compared with MPFR like the rest.
    auto small = pow_checker<T>(bound, "x in 2..40, y in -12..12");
    for (int b = 2; b <= 40; ++b) {
        for (int e = -12; e <= 12; ++e) small.check(T(b), T(e));
    }
    small.print();
    pt::check_math_bounds(small);
}

template <class T>
void special_values() {
    const T inf = pt::infinity<T>();
    const T nan = pt::quiet_nan<T>();
    const T zero = T(0);
    const T half = T(1) / T(2);
    const auto name = [](const T& x, const T& y) {
        return fmt::format("pow<{}>({}, {})", pt::type_name<T>(), pt::to_text(x), pt::to_text(y));
    };
    const auto expect = [&](const T& x, const T& y, const T& want) {
        const T got = pm::pow<T>(x, y);
        BOOST_TEST(pt::identical(got, want), name(x, y) << " = " << pt::to_text(got) << ", expected " << pt::to_text(want));
    };
    // pow(x, +-0) = 1 for every x, NaN included.
    for (const T& x : {zero, T(-zero), T(2), half, inf, nan, T(-3)}) {
        expect(x, zero, T(1));
        expect(x, T(-zero), T(1));
    }
    // pow(1, y) = 1 for every y, NaN and infinities included.
    for (const T& y : {T(2), T(-7) / T(2), inf, T(-inf), nan, half}) expect(T(1), y, T(1));
    // pow(+0, y > 0) = +0, pow(+0, y < 0) = +inf.
    for (const T& y : {half, T(1), T(3), T(1000), inf}) expect(zero, y, zero);
    for (const T& y : {T(-half), T(-1), T(-3), T(-1000), T(-inf)}) expect(zero, y, inf);
    // pow(+inf, y > 0) = +inf, pow(+inf, y < 0) = +0.
    for (const T& y : {half, T(1), T(3), inf}) expect(inf, y, inf);
    for (const T& y : {T(-half), T(-1), T(-3), T(-inf)}) expect(inf, y, zero);
    // pow(x < 0, y) = NaN (y != 0).
    for (const T& x : {T(-2), T(-half), T(-1), T(-inf)}) {
        for (const T& y : {half, T(2), T(3), T(-1)}) {
            BOOST_TEST(pt::is_nan(pm::pow<T>(x, y)), name(x, y) << " should be NaN");
        }
    }
    // NaN propagates otherwise.
    BOOST_TEST(pt::is_nan(pm::pow<T>(nan, T(2))));
    BOOST_TEST(pt::is_nan(pm::pow<T>(T(2), nan)));
    BOOST_TEST(pt::is_nan(pm::pow<T>(half, nan)));
    // pow(x, +-inf) for x on either side of 1.
    expect(half, inf, zero);
    expect(T(2), inf, inf);
    expect(half, T(-inf), inf);
    expect(T(2), T(-inf), zero);
}

/// Multiprecision types: x in [2^-30, 1e9], y = t/log2(x) with |t| <= 3000, and y uniform in
/// [-50, 50].
template <class T>
void multiprecision_points(std::size_t n, std::uint64_t seed) {
    auto checker = pow_checker<T>(multiprecision_bound, "x in [2^-30, 1e9], y = t/log2(x) |t| <= 3000, y in [-50, 50]");
    pt::sampler<T> sample(seed, -30, 29, pt::signs::positive);
    const T limit = T(1000000000);
    for (std::size_t done = 0; done < n;) {
        const T x = sample();
        if (x > limit || x == T(1)) continue;
        const bool from_t = done % 2 == 0;
        const T y = from_t ? exponent_for(x, pt::uniform(sample.rng(), -3000.0, 3000.0))
                           : pt::uniform_value(sample.rng(), T(-50), T(50));
        checker.check(x, y);
        ++done;
    }
    checker.print();
    pt::check_math_bounds(checker);
}

/// Per type: pow_random's sample count and seed, pow_exact_cases' seed, pow_multiprecision's
/// sample count and seed.
constexpr pt::per_binary_type<pt::random_run> random_runs{.float_ = {200000, 0x90f10a7ULL},
                                                          .double_ = {1000000, 0x90d0b1eULL},
                                                          .long_double = {100000, 0x901dULL},
                                                          .float128 = {15000, 0x90f128ULL}};
constexpr pt::per_binary_type<std::uint64_t> exact_seeds{
    .float_ = 0x9e1ULL, .double_ = 0x9e2ULL, .long_double = 0x9e3ULL, .float128 = 0x9e4ULL};
constexpr pt::per_multiprecision_type<pt::random_run> multiprecision_runs{.cpp_bin_float_50 = {2000, 0x9050ULL},
                                                                          .cpp_bin_float_100 = {2000, 0x90100ULL},
                                                                          .mpfr_float_50 = {2000, 0x90350ULL},
                                                                          .mpfr_float_100 = {2000, 0x903100ULL}};

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(pow_random, T, pt::binary_types) {
    random_points<T>(pt::sample_count(random_runs.at<T>().samples), random_runs.at<T>().seed);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(pow_exact_cases, T, pt::binary_types) { exact_cases<T>(exact_seeds.at<T>(), native_bound); }

BOOST_AUTO_TEST_CASE(pow_special_values) {
    pt::for_each_real_type([](auto t) { special_values<typename decltype(t)::type>(); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(pow_multiprecision, T, pt::multiprecision_types) {
    multiprecision_points<T>(pt::sample_count(multiprecision_runs.at<T>().samples), multiprecision_runs.at<T>().seed);
}
