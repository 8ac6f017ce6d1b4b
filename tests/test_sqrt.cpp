// Accuracy of posenc::math::sqrt and hypot against MPFR.
//
// Claims under test (include/posenc/math/sqrt.hpp, API): sqrt correctly rounded (round to
// nearest) for every type; hypot within 1 ulp for float, double, long double and __float128 with
// no spurious overflow or underflow (subnormal results: ulp = the subnormal quantum), within
// 4 ulps for cpp_bin_float_50/100 and mpfr_float_50/100; sqrt(NaN) = NaN, sqrt(x < 0) = NaN,
// sqrt(+-0) = +-0, sqrt(+inf) = +inf; hypot(+-inf, anything, NaN included) = +inf, hypot with a
// NaN and no infinity = NaN.
//
// Expected values: MPFR at the type's precision + 64 bits for the printed ulp errors; for sqrt also
// mpfr_sqrt rounded to nearest at exactly the type's precision (sqrt never underflows or
// overflows, so this is the correctly rounded value in T), compared bit for bit.
#define BOOST_TEST_MODULE test_sqrt
#include <boost/test/unit_test.hpp>

#include <posenc/math.hpp>
#include <support/math_bounds.hpp>
#include <support/reference.hpp>
#include <support/type_lists.hpp>

#include <array>
#include <cstdint>

namespace {

namespace pt = posenc_test;
namespace pm = posenc::math;
using pt::mp;

/// 1/2 ulp: sqrt is documented as correctly rounded (in addition, each result must equal the
/// correctly rounded value bit for bit: 1/2 ulp alone would admit the value below a power of two).
constexpr double sqrt_bound = 0.5;
/// 1 ulp: the documented bound of hypot for float, double, long double and __float128.
constexpr double hypot_native_bound = 1.0;
/// 4 ulps: the documented bound of hypot for the multiprecision types.
constexpr double hypot_multiprecision_bound = 4.0;

template <class T>
T posenc_hypot(T x, T y) {
    return pm::hypot<T>(x, y);
}

/// Checks sqrt: ulp error against the digits+64 bit value, and equality with RN(sqrt x) in T.
template <class T>
class sqrt_checker {
public:
    explicit sqrt_checker(std::string context) : err_("sqrt", sqrt_bound, std::move(context)) {}

    void check(const T& x) {
        const T y = pm::sqrt<T>(x);
        pt::set_exact(xe_, x);
        mpfr_sqrt(r_, xe_, MPFR_RNDN);
        err_.record(pt::ulp_error(y, r_), x, r_, y);
        mpfr_sqrt(rn_, xe_, MPFR_RNDN);  // correctly rounded at T's precision
        if (!pt::identical(y, pt::from_mpfr<T>(rn_)) && not_rn_++ < 8) {
            fmt::print("sqrt<{}>({}) = {}, correctly rounded: {}\n", pt::type_name<T>(), pt::to_text(x), pt::to_text(y),
                       pt::mpfr_text(rn_));
        }
    }

    void report() {
        err_.print();
        fmt::print("sqrt<{}>: {} of {} results are not the correctly rounded value\n", pt::type_name<T>(), not_rn_,
                   err_.count());
        pt::check_math_bounds(err_);
        BOOST_TEST(not_rn_ == 0u);
    }

private:
    pt::max_error<T> err_;
    std::size_t not_rn_ = 0;
    mp xe_{pt::digits<T>};
    mp r_{pt::ref_prec<T>};
    mp rn_{pt::digits<T>};
};

/// sqrt of a native type: every binade, perfect squares, range limits.
template <class T>
void sqrt_native(std::size_t n, std::uint64_t seed) {
    using R = posenc::real_traits<T>;
    sqrt_checker<T> random("random: every binade of x > 0");
    pt::sampler<T> sample(seed, pt::lowest_binade<T>(), pt::highest_binade<T>(), pt::signs::positive);
    for (std::size_t i = 0; i < n; ++i) random.check(sample());
    random.report();

    sqrt_checker<T> special("perfect squares, 4^k +- 4 ulps, range limits, subnormals");
    // (m * 2^k)^2 with m of at most digits/2 bits: exact squares across the range.
    std::mt19937_64& rng = sample.rng();
    for (int i = 0; i < 20000; ++i) {
        const std::uint64_t m = (rng() >> (64 - R::digits / 2)) | 1u;
        const long k = std::uniform_int_distribution<long>(pt::lowest_binade<T>() / 2 + 1, R::max_exponent / 2 - R::digits / 2 - 1)(rng);
        const T root = T(T(static_cast<long long>(m)) * pt::pow2<T>(k));
        special.check(T(root * root));
    }
    for (long k = pt::lowest_binade<T>(); k < R::max_exponent; ++k) {
        const T x0 = pt::pow2<T>(k);
        for (int d = -4; d <= 4; ++d) {
            const T x = pt::step(x0, d);
            if (x > T(0) && !pt::is_inf(x)) special.check(x);
        }
    }
    for (const T& x : {pt::max_finite<T>(), pt::true_min<T>(), pt::min_normal<T>(), T(2), T(3)}) special.check(x);
    special.report();
}

/// sqrt of a multiprecision type: x in [2^-30, 1e9] plus perfect squares and powers of two.
template <class T>
void check_sqrt_multiprecision(std::size_t n, std::uint64_t seed) {
    sqrt_checker<T> checker("random x in [2^-30, 1e9], squares, 2^k +- 2 ulps");
    pt::sampler<T> sample(seed, -30, 29, pt::signs::positive);
    const T limit = T(1000000000);
    for (std::size_t done = 0; done < n;) {
        const T x = sample();
        if (x > limit) continue;
        checker.check(x);
        ++done;
    }
    for (long m = 1; m <= 2000; m += 7) checker.check(T(m) * T(m));
    for (long k = -30; k <= 29; ++k) {
        for (int d = -2; d <= 2; ++d) checker.check(pt::step(pt::pow2<T>(k), d));
    }
    checker.report();
}

template <class T>
void sqrt_special_values() {
    const T inf = pt::infinity<T>();
    const T nan = pt::quiet_nan<T>();
    const T pz = T(0);
    const T nz = T(-pz);
    BOOST_TEST(pt::identical(pm::sqrt<T>(pz), pz));  // sqrt(+0) = +0
    BOOST_TEST(pt::identical(pm::sqrt<T>(nz), nz));  // sqrt(-0) = -0
    BOOST_TEST(pt::identical(pm::sqrt<T>(inf), inf));
    for (const T& x : {T(-1), T(-inf), nan, T(-nan), T(-T(1) / T(1024))}) {
        BOOST_TEST(pt::is_nan(pm::sqrt<T>(x)), "sqrt<" << pt::type_name<T>() << ">(" << pt::to_text(x) << ") should be NaN");
    }
    // Closed forms.
    BOOST_TEST((pm::sqrt<T>(T(4)) == T(2)));
    BOOST_TEST((pm::sqrt<T>(T(1)) == T(1)));
    BOOST_TEST((pm::sqrt<T>(T(1) / T(4)) == T(1) / T(2)));
}

template <class T>
void hypot_special_values() {
    const T inf = pt::infinity<T>();
    const T nan = pt::quiet_nan<T>();
    // hypot(+-inf, anything) = +inf, NaN included, in either argument.
    for (const T& a : {inf, T(-inf)}) {
        for (const T& b : {T(0), T(1), T(-3), inf, T(-inf), nan, T(-nan)}) {
            BOOST_TEST(pt::identical(pm::hypot<T>(a, b), inf), "hypot(" << pt::to_text(a) << ", " << pt::to_text(b) << ")");
            BOOST_TEST(pt::identical(pm::hypot<T>(b, a), inf), "hypot(" << pt::to_text(b) << ", " << pt::to_text(a) << ")");
        }
    }
    // A NaN without an infinity gives NaN.
    for (const T& b : {T(0), T(1), T(-3), nan}) {
        BOOST_TEST(pt::is_nan(pm::hypot<T>(nan, b)));
        BOOST_TEST(pt::is_nan(pm::hypot<T>(b, nan)));
    }
    // Closed forms: hypot(3, 4) = 5 (exact: the documented error is below 0.5 + 2^-(p-4) ulp and
    // the neighbours of 5 are 1 ulp away) and hypot(0, -0) = 0.
    BOOST_TEST((pm::hypot<T>(T(3), T(-4)) == T(5)));
    BOOST_TEST((pm::hypot<T>(T(0), T(-T(0))) == T(0)));
}

/// hypot of a native type: random pairs over every binade, pairs of comparable magnitude, and
/// pairs where the naive sqrt(x*x + y*y) overflows or underflows.
template <class T>
void hypot_native(std::size_t n, std::uint64_t seed) {
    using R = posenc::real_traits<T>;
    auto independent = pt::binary_checker<T>("hypot", &posenc_hypot<T>, &mpfr_hypot, hypot_native_bound,
                                             "x, y independent over every binade");
    auto close = pt::binary_checker<T>("hypot", &posenc_hypot<T>, &mpfr_hypot, hypot_native_bound,
                                       "x over every binade, y = x * u * 2^k, |k| <= p/2 + 2");
    pt::sampler<T> sample(seed);
    std::mt19937_64& rng = sample.rng();
    for (std::size_t i = 0; i < n / 4; ++i) independent.check(sample(), sample());
    for (std::size_t i = 0; i < n; ++i) {
        const T x = sample();
        const long ex = static_cast<long>(mpfr_get_exp(pt::exact(x).get())) - 1;
        const long k = std::uniform_int_distribution<long>(-(R::digits / 2 + 2), R::digits / 2 + 2)(rng);
        const long ey = std::clamp(ex + k, pt::lowest_binade<T>(), pt::highest_binade<T>());
        const T y = sample.make(ey, (rng() & 1u) != 0);
        close.check(x, y);
    }
    independent.print();
    close.print();
    pt::check_math_bounds(independent);
    pt::check_math_bounds(close);

    auto edges = pt::binary_checker<T>("hypot", &posenc_hypot<T>, &mpfr_hypot, hypot_native_bound,
                                       "huge and tiny pairs, exact triples, zeros");
    const T big = pt::max_finite<T>();
    const T tm = pt::true_min<T>();
    const T mn = pt::min_normal<T>();
    const T top = pt::pow2<T>(R::max_exponent - 3);     // x*x overflows
    const T low = pt::pow2<T>(R::min_exponent - 10);     // x*x underflows to 0
    for (const T& x : {big, T(big / T(2)), T(big / T(3)), top, T(top * T(3)), mn, tm, T(tm * T(3)), low, T(low * T(3))}) {
        for (const T& y : {big, T(big / T(2)), top, T(top * T(4)), mn, tm, T(tm * T(4)), low, T(low * T(4)), T(0), T(1)}) {
            edges.check(x, y);
            edges.check(T(-x), y);
            edges.check(y, T(-x));
        }
    }
    // Pythagorean triples scaled to the top and the bottom of the range: exact results. Beyond the
    // 1-ulp check, the result must be exact: sqrt.hpp documents at most 0.5 + 2^-(p-4) ulp, and
    // the neighbours of 5, 13, 29 and 169 times a power of two are a full ulp away.
    for (const auto& t : {std::array<int, 3>{3, 4, 5}, std::array<int, 3>{5, 12, 13}, std::array<int, 3>{20, 21, 29},
                          std::array<int, 3>{119, 120, 169}}) {
        for (const long k : {static_cast<long>(R::max_exponent) - 9, 0L, static_cast<long>(R::min_exponent) - 2,
                             pt::lowest_binade<T>()}) {
            const T a = T(T(t[0]) * pt::pow2<T>(k));
            const T b = T(T(t[1]) * pt::pow2<T>(k));
            edges.check(a, b);
            const T c = pm::hypot<T>(a, b);
            BOOST_TEST((c == T(T(t[2]) * pt::pow2<T>(k))), "hypot(" << pt::to_text(a) << ", " << pt::to_text(b) << ") = " << pt::to_text(c));
        }
    }
    // hypot(max, max) overflows: RN(sqrt(2) * max) = +inf.
    BOOST_TEST(pt::is_inf(pm::hypot<T>(big, big)));
    edges.print();
    pt::check_math_bounds(edges);
}

/// hypot of a multiprecision type: |x|, |y| <= 1e9 over binades 2^-30..2^29.
template <class T>
void check_hypot_multiprecision(std::size_t n, std::uint64_t seed) {
    auto checker = pt::binary_checker<T>("hypot", &posenc_hypot<T>, &mpfr_hypot, hypot_multiprecision_bound,
                                         "|x|, |y| in [2^-30, 1e9]");
    pt::sampler<T> sample(seed, -30, 29);
    const T limit = T(1000000000);
    for (std::size_t done = 0; done < n;) {
        const T x = sample();
        const T y = sample();
        if (x > limit || x < T(-limit) || y > limit || y < T(-limit)) continue;
        checker.check(x, y);
        ++done;
    }
    checker.print();
    pt::check_math_bounds(checker);
}

/// Per type: sample count and seed of sqrt_random, sqrt_multiprecision, hypot_random and
/// hypot_multiprecision.
constexpr pt::per_binary_type<pt::random_run> sqrt_runs{.float_ = {1000000, 0x5f10a7ULL},
                                                        .double_ = {1000000, 0x5d0b1eULL},
                                                        .long_double = {300000, 0x51dULL},
                                                        .float128 = {50000, 0x5f128ULL}};
constexpr pt::per_multiprecision_type<pt::random_run> sqrt_multiprecision_runs{.cpp_bin_float_50 = {3000, 0x5c50ULL},
                                                                               .cpp_bin_float_100 = {3000, 0x5c100ULL},
                                                                               .mpfr_float_50 = {3000, 0x5350ULL},
                                                                               .mpfr_float_100 = {3000, 0x53100ULL}};
constexpr pt::per_binary_type<pt::random_run> hypot_runs{.float_ = {1000000, 0x4f10a7ULL},
                                                         .double_ = {1000000, 0x4d0b1eULL},
                                                         .long_double = {200000, 0x41dULL},
                                                         .float128 = {30000, 0x4f128ULL}};
constexpr pt::per_multiprecision_type<pt::random_run> hypot_multiprecision_runs{.cpp_bin_float_50 = {2000, 0x4c50ULL},
                                                                                .cpp_bin_float_100 = {2000, 0x4c100ULL},
                                                                                .mpfr_float_50 = {2000, 0x4350ULL},
                                                                                .mpfr_float_100 = {2000, 0x43100ULL}};

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(sqrt_random, T, pt::binary_types) {
    sqrt_native<T>(pt::sample_count(sqrt_runs.at<T>().samples), sqrt_runs.at<T>().seed);
}
BOOST_AUTO_TEST_CASE_TEMPLATE(sqrt_multiprecision, T, pt::multiprecision_types) {
    const pt::random_run run = sqrt_multiprecision_runs.at<T>();
    check_sqrt_multiprecision<T>(pt::sample_count(run.samples), run.seed);
}
BOOST_AUTO_TEST_CASE(sqrt_hypot_special_values) {
    pt::for_each_real_type([](auto t) { sqrt_special_values<typename decltype(t)::type>(); });
    pt::for_each_real_type([](auto t) { hypot_special_values<typename decltype(t)::type>(); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(hypot_random, T, pt::binary_types) {
    hypot_native<T>(pt::sample_count(hypot_runs.at<T>().samples), hypot_runs.at<T>().seed);
}
BOOST_AUTO_TEST_CASE_TEMPLATE(hypot_multiprecision, T, pt::multiprecision_types) {
    const pt::random_run run = hypot_multiprecision_runs.at<T>();
    check_hypot_multiprecision<T>(pt::sample_count(run.samples), run.seed);
}
