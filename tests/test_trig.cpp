// Accuracy of posenc::math::sin, cos and sincos against MPFR.
//
// Claims under test (include/posenc/math/trig.hpp, API): sin and cos within 1 ulp for float,
// double, long double and __float128 for every finite argument (exact Payne-Hanek reduction);
// within 4 ulps for cpp_bin_float_50/100 and mpfr_float_50/100 for |x| up to 1e9; sincos equal to
// sin and cos bit for bit; NaN -> NaN, +-inf -> NaN, sin(+-0) = +-0; and |x| >=
// 2^max_reducible_exponent<T>() throws std::domain_error (only reachable for multiprecision types).
//
// Expected values: mpfr_sin_cos at the type's precision + 64 bits on the exactly converted
// argument (tests/support/reference.hpp). Arguments: random values spread over every binade of the
// type (subnormals included, both signs), representable values next to multiples of pi/2 (k*pi/2
// computed in MPFR with enough bits and rounded to T, then +-0..4 ulps), and known hard cases.
#define BOOST_TEST_MODULE test_trig
#include <boost/test/unit_test.hpp>

#include <posenc/math.hpp>
#include <support/math_bounds.hpp>
#include <support/reference.hpp>
#include <support/type_lists.hpp>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace {

namespace pt = posenc_test;
namespace pm = posenc::math;
using pt::mp;

/// Checks sin, cos and sincos at one argument against MPFR and records the errors.
template <class T>
class trig_checker {
public:
    trig_checker(double bound, const std::string& context)
        : sin_("sin", bound, context), cos_("cos", bound, context), context_(context) {}

    void check(const T& x) {
        const T s = pm::sin<T>(x);
        const T c = pm::cos<T>(x);
        const pm::sincos_result<T> sc = pm::sincos<T>(x);
        pt::set_exact(xe_, x);
        mpfr_sin_cos(rs_, rc_, xe_, MPFR_RNDN);
        sin_.record(pt::ulp_error(s, rs_), x, rs_, s);
        cos_.record(pt::ulp_error(c, rc_), x, rc_, c);
        if (!pt::identical(sc.sin, s) || !pt::identical(sc.cos, c)) {
            if (sincos_mismatches_++ < 8) {
                fmt::print("sincos<{}>({}) = {{{}, {}}} but sin = {}, cos = {}\n", pt::type_name<T>(), pt::to_text(x),
                           pt::to_text(sc.sin), pt::to_text(sc.cos), pt::to_text(s), pt::to_text(c));
            }
        }
        ++points_;
    }

    /// Prints the maxima and checks them against the bound.
    void report() {
        sin_.print();
        cos_.print();
        fmt::print("sincos<{}> [{}]: {} points, {} differ from sin/cos\n", pt::type_name<T>(), context_, points_,
                   sincos_mismatches_);
        pt::check_math_bounds(sin_);
        pt::check_math_bounds(cos_);
        // sincos runs the same reduction and kernels: it must return sin(x) and cos(x) exactly.
        BOOST_TEST(sincos_mismatches_ == 0u);
    }

private:
    pt::max_error<T> sin_;
    pt::max_error<T> cos_;
    std::string context_;
    std::size_t sincos_mismatches_ = 0;
    std::size_t points_ = 0;
    mp xe_{pt::digits<T>};
    mp rs_{pt::ref_prec<T>};
    mp rc_{pt::ref_prec<T>};
};

/// 1 ulp: the documented bound of sin/cos for float, double, long double and __float128.
constexpr double native_bound = 1.0;
/// 4 ulps: the documented bound for cpp_bin_float_50/100 and mpfr_float_50/100 (|x| <= 1e9).
constexpr double multiprecision_bound = 4.0;

/// RN(k * pi/2) in T, with pi carried to enough bits for k up to 2^kbits.
template <class T>
T multiple_of_half_pi(mpz_srcptr k) {
    const long kbits = static_cast<long>(mpz_sizeinbase(k, 2));
    mp v(kbits + pt::digits<T> + 128);
    mpfr_const_pi(v, MPFR_RNDN);
    mpfr_mul_z(v, v, k, MPFR_RNDN);
    mpfr_div_2ui(v, v, 1, MPFR_RNDN);
    return pt::from_mpfr<T>(v);
}

/// The integer k nearest to 2^n / (pi/2).
void nearest_multiple_index(mpz_ptr k, long n) {
    mp v(n + 128);
    mpfr_const_pi(v, MPFR_RNDN);
    mpfr_ui_div(v, 1, v, MPFR_RNDN);
    mpfr_mul_2si(v, v, n + 1, MPFR_RNDN);
    mpfr_get_z(k, v, MPFR_RNDN);
}

/// x and its neighbours up to 4 ulps away, both signs.
template <class T>
void check_around(trig_checker<T>& checker, const T& x0, int ulps = 4) {
    if (pt::is_inf(x0) || pt::is_nan(x0)) return;
    for (int d = -ulps; d <= ulps; ++d) {
        const T x = pt::step(x0, d);
        if (pt::is_inf(x)) continue;
        checker.check(x);
        checker.check(T(-x));
    }
}

/// Random arguments over every binade of T (subnormals included), both signs.
template <class T>
void random_points(std::size_t n, std::uint64_t seed, double bound) {
    trig_checker<T> checker(bound, "random: every binade, both signs");
    pt::sampler<T> sample(seed);
    for (std::size_t i = 0; i < n; ++i) checker.check(sample());
    checker.report();
}

/// Arguments next to multiples of pi/2, at the range limits and known hard cases.
template <class T>
void special_points(long binade_stride) {
    using R = posenc::real_traits<T>;
    trig_checker<T> checker(native_bound, "k pi/2 +- 4 ulps, range limits, subnormals, hard cases");
    pt::mpz k;

    // k * pi/2 for small k, +-0..4 ulps.
    for (unsigned long i = 1; i <= 256; ++i) {
        mpz_set_ui(k, i);
        check_around(checker, multiple_of_half_pi<T>(k));
    }
    // k * pi/2 next to every power of two 2^n (every binade_stride-th n, and the last ones).
    for (long n = 1; n < R::max_exponent; ++n) {
        if (n % binade_stride != 0 && n < R::max_exponent - 8) continue;
        nearest_multiple_index(k, n);
        for (int dk = -1; dk <= 1; ++dk) {
            pt::mpz kk;
            if (dk < 0) {
                mpz_sub_ui(kk, k, 1);
            } else {
                mpz_add_ui(kk, k, static_cast<unsigned long>(dk));
            }
            if (mpz_sgn(kk.get()) > 0) check_around(checker, multiple_of_half_pi<T>(kk));
        }
    }
    // k * pi/2 for random large k (below 2^62 and below the type's range).
    std::mt19937_64 rng(0x7a1e5eedULL);
    for (int i = 0; i < 500; ++i) {
        const long bits = std::min<long>(62, R::max_exponent - 1);
        const std::uint64_t kk = (rng() >> (64 - bits)) | 1u;
        mpz_set_ui(k, static_cast<unsigned long>(kk));
        check_around(checker, multiple_of_half_pi<T>(k), 1);
    }

    // Range limits, subnormals and known hard cases for the reduction.
    std::vector<T> fixed = {pt::max_finite<T>(), pt::min_normal<T>(), pt::true_min<T>(),
                            T(pt::true_min<T>() * T(3)), T(pt::min_normal<T>() - pt::true_min<T>()),
                            pt::pow2<T>(pt::lowest_binade<T>() + R::digits / 2), T(0), T(1), T(2), T(4)};
    {
        mp v(128);
        mpfr_set_ui(v, 10, MPFR_RNDN);
        mpfr_pow_ui(v, v, 22, MPFR_RNDN);  // 1e22 (exact at 128 bits), rounded to T
        fixed.push_back(pt::from_mpfr<T>(v));
    }
    if (R::max_exponent >= 1024) {
        // 6381956970095103 * 2^797: the double closest to a multiple of pi/2 (Muller,
        // "Elementary Functions", worst case of the reduction for binary64).
        mp v(64);
        mpfr_set_ui(v, 6381956970095103UL, MPFR_RNDN);
        mpfr_mul_2ui(v, v, 797, MPFR_RNDN);
        fixed.push_back(pt::from_mpfr<T>(v));
    }
    {
        // 16367173 * 2^72: the float closest to a multiple of pi/2 (same source, binary32).
        mp v(64);
        mpfr_set_ui(v, 16367173UL, MPFR_RNDN);
        mpfr_mul_2ui(v, v, 72, MPFR_RNDN);
        fixed.push_back(pt::from_mpfr<T>(v));
    }
    for (const T& x : fixed) check_around(checker, x);
    checker.report();
}

/// NaN, infinities and signed zeros.
template <class T>
void special_values() {
    const T nan = pt::quiet_nan<T>();
    const T inf = pt::infinity<T>();
    for (const T& x : {nan, T(-nan), inf, T(-inf)}) {
        BOOST_TEST(pt::is_nan(pm::sin<T>(x)), "sin<" << pt::type_name<T>() << ">(" << pt::to_text(x) << ")");
        BOOST_TEST(pt::is_nan(pm::cos<T>(x)), "cos<" << pt::type_name<T>() << ">(" << pt::to_text(x) << ")");
        const auto sc = pm::sincos<T>(x);
        BOOST_TEST((pt::is_nan(sc.sin) && pt::is_nan(sc.cos)));
    }
    const T pz = T(0);
    const T nz = T(-pz);
    BOOST_TEST_REQUIRE(pt::sign_bit(nz));
    // sin(+-0) = +-0 exactly, with the sign kept.
    BOOST_TEST((pm::sin<T>(pz) == T(0) && !pt::sign_bit(pm::sin<T>(pz))));
    BOOST_TEST((pm::sin<T>(nz) == T(0) && pt::sign_bit(pm::sin<T>(nz))));
    BOOST_TEST((pm::sincos<T>(pz).sin == T(0) && !pt::sign_bit(pm::sincos<T>(pz).sin)));
    BOOST_TEST((pm::sincos<T>(nz).sin == T(0) && pt::sign_bit(pm::sincos<T>(nz).sin)));
}

/// Multiprecision types: random |x| over the binades 2^-30 .. 1e9, and multiples of pi/2.
template <class T>
void multiprecision_points(std::size_t n, std::uint64_t seed) {
    trig_checker<T> checker(multiprecision_bound, "random |x| <= 1e9 over binades 2^-30..2^29, k pi/2");
    pt::sampler<T> sample(seed, -30, 29);
    const T limit = T(1000000000);
    std::size_t done = 0;
    while (done < n) {
        const T x = sample();
        if (x > limit || x < T(-limit)) continue;
        checker.check(x);
        ++done;
    }
    pt::mpz k;
    for (unsigned long i = 1; i <= 16; ++i) {
        mpz_set_ui(k, i);
        check_around(checker, multiple_of_half_pi<T>(k), 2);
    }
    for (long e = 2; e <= 29; e += 3) {
        nearest_multiple_index(k, e);
        check_around(checker, multiple_of_half_pi<T>(k), 2);
    }
    checker.report();
}

/// max_reducible_exponent for a type whose exponent range is larger: 2^mre and beyond throw
/// std::domain_error, the value just below 2^mre is reduced and accurate.
template <class T>
void check_reduction_limit() {
    const long mre = pm::max_reducible_exponent<T>();
    fmt::print("max_reducible_exponent<{}>() = {}\n", pt::type_name<T>(), mre);
    // The accuracy claim covers |x| <= 1e9 < 2^30.
    BOOST_TEST(mre >= 30);
    BOOST_TEST_REQUIRE(mre < posenc::real_traits<T>::max_exponent);
    BOOST_TEST_REQUIRE(mre + 4 < static_cast<long>(mpfr_get_emax()));
    for (const T& x : {pt::pow2<T>(mre), T(-pt::pow2<T>(mre)), T(pt::pow2<T>(mre) * T(3) / T(2)),
                       pt::pow2<T>(mre + 3)}) {
        BOOST_CHECK_THROW(static_cast<void>(pm::sin<T>(x)), std::domain_error);
        BOOST_CHECK_THROW(static_cast<void>(pm::cos<T>(x)), std::domain_error);
        BOOST_CHECK_THROW(static_cast<void>(pm::sincos<T>(x)), std::domain_error);
    }
    trig_checker<T> checker(multiprecision_bound, "largest reducible arguments");
    const T below = pt::next_down(pt::pow2<T>(mre));
    BOOST_CHECK_NO_THROW(checker.check(below));
    BOOST_CHECK_NO_THROW(checker.check(T(-below)));
    checker.report();
}

/// Per type: sin_cos_random's sample count and seed, sin_cos_special_points' stride,
/// sin_cos_multiprecision's sample count and seed.
constexpr pt::per_binary_type<pt::random_run> random_runs{.float_ = {1000000, 0xf10a7001ULL},
                                                          .double_ = {1000000, 0xd0b1e001ULL},
                                                          .long_double = {200000, 0x10d0b1e1ULL},
                                                          .float128 = {30000, 0xf128f128ULL}};
constexpr pt::per_binary_type<long> special_strides{.float_ = 1, .double_ = 1, .long_double = 31, .float128 = 61};
constexpr pt::per_multiprecision_type<pt::random_run> multiprecision_runs{.cpp_bin_float_50 = {2000, 0xcb50ULL},
                                                                          .cpp_bin_float_100 = {2000, 0xcb100ULL},
                                                                          .mpfr_float_50 = {2000, 0x3f50ULL},
                                                                          .mpfr_float_100 = {2000, 0x3f100ULL}};

}  // namespace

// ---- native types: random arguments (>= 10^6 for float and double) ----

BOOST_AUTO_TEST_CASE_TEMPLATE(sin_cos_random, T, pt::binary_types) {
    random_points<T>(pt::sample_count(random_runs.at<T>().samples), random_runs.at<T>().seed, native_bound);
}

// ---- native types: multiples of pi/2, range limits, hard cases ----

BOOST_AUTO_TEST_CASE_TEMPLATE(sin_cos_special_points, T, pt::binary_types) { special_points<T>(special_strides.at<T>()); }

// ---- NaN, infinities, signed zeros: every type ----

BOOST_AUTO_TEST_CASE(sin_cos_special_values) {
    pt::for_each_real_type([](auto t) { special_values<typename decltype(t)::type>(); });
}

// ---- multiprecision types ----

BOOST_AUTO_TEST_CASE_TEMPLATE(sin_cos_multiprecision, T, pt::multiprecision_types) {
    multiprecision_points<T>(pt::sample_count(multiprecision_runs.at<T>().samples), multiprecision_runs.at<T>().seed);
}

// ---- max_reducible_exponent ----

BOOST_AUTO_TEST_CASE(max_reducible_exponent_native) {
    // The four native types reduce every finite argument: the limit covers the whole range.
    pt::for_each_type<pt::binary_types>([](auto t) {
        using T = typename decltype(t)::type;
        BOOST_TEST(pm::max_reducible_exponent<T>() >= posenc::real_traits<T>::max_exponent, pt::type_name<T>());
    });
    // And the largest finite values reduce without throwing.
    BOOST_CHECK_NO_THROW(static_cast<void>(pm::sin<double>(pt::max_finite<double>())));
    BOOST_CHECK_NO_THROW(static_cast<void>(pm::sin<long double>(pt::max_finite<long double>())));
}

BOOST_AUTO_TEST_CASE(max_reducible_exponent_multiprecision) {
    pt::for_each_type<pt::multiprecision_types>([](auto t) { check_reduction_limit<typename decltype(t)::type>(); });
}
