// Which number types posenc accepts: posenc::Real, posenc::real_traits, and the math functions
// refusing what is not a binary floating-point type.
//
// Most of this file is checked by the compiler (static_assert); the run-time test cases measure the
// format of each accepted type by arithmetic and compare it with what real_traits declares.
#define BOOST_TEST_MODULE concepts
#include <boost/test/unit_test.hpp>

#include <posenc/concepts.hpp>
#include <posenc/math.hpp>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/cpp_dec_float.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include <fmt/core.h>

#include <complex>
#include <limits>
#include <string>

namespace {

namespace mp = boost::multiprecision;

// ---------------------------------------------------------------------------------------------
// posenc::Real: accepted types.
static_assert(posenc::Real<float>);
static_assert(posenc::Real<double>);
static_assert(posenc::Real<long double>);
#if POSENC_HAS_FLOAT128
static_assert(posenc::Real<__float128>);
#endif
static_assert(posenc::Real<mp::cpp_bin_float_50>);
static_assert(posenc::Real<mp::cpp_bin_float_100>);
static_assert(posenc::Real<mp::mpfr_float_50>);
static_assert(posenc::Real<mp::mpfr_float_100>);

// posenc::Real: rejected types (integers, non-arithmetic types, decimal floating point).
static_assert(!posenc::Real<int>);
static_assert(!posenc::Real<unsigned>);
static_assert(!posenc::Real<bool>);
static_assert(!posenc::Real<std::complex<double>>);
static_assert(!posenc::Real<std::string>);
static_assert(!posenc::Real<mp::cpp_dec_float_50>);
static_assert(!posenc::Real<mp::cpp_int>);

// ---------------------------------------------------------------------------------------------
// Wrong use does not compile. Each helper concept asks whether a call is a valid expression; since
// the requires-expression depends on a template parameter, an invalid call makes it false instead
// of being a hard error. The positive controls show that each helper does detect a valid call.
template <class T>
concept can_call_sin = requires(T x) { posenc::math::sin(x); };
template <class T>
concept can_call_cos = requires(T x) { posenc::math::cos(x); };
template <class T>
concept can_call_exp = requires(T x) { posenc::math::exp(x); };

// Positive controls.
static_assert(can_call_sin<double>);
static_assert(can_call_sin<float>);
static_assert(can_call_cos<long double>);
static_assert(can_call_exp<double>);
static_assert(can_call_sin<mp::cpp_bin_float_50>);
static_assert(can_call_exp<mp::mpfr_float_50>);

// The calls named in the API contract: sin(1), sin(std::complex<double>{}), exp(std::string{}).
template <class Int>
concept can_call_sin_on_int_literal = requires { posenc::math::sin(Int{1}); };
static_assert(!can_call_sin_on_int_literal<int>);
static_assert(!can_call_sin<int>);
static_assert(!can_call_sin<std::complex<double>>);
static_assert(!can_call_exp<std::string>);
// More of the same: every rejected type is refused by every function.
static_assert(!can_call_cos<int>);
static_assert(!can_call_exp<unsigned>);
static_assert(!can_call_sin<bool>);
static_assert(!can_call_cos<std::complex<double>>);
static_assert(!can_call_exp<std::complex<double>>);
static_assert(!can_call_sin<std::string>);
static_assert(!can_call_sin<mp::cpp_dec_float_50>);
static_assert(!can_call_exp<mp::cpp_int>);

// ---------------------------------------------------------------------------------------------
// Format measured by arithmetic, independent of numeric_limits and of real_traits.

// Number of significand bits p: the smallest power of two eps with 1 + eps/2 == 1 is 2^(1-p).
template <class T>
int measured_digits() {
    T eps = T(1);
    int p = 1;
    while (T(1) + eps / T(2) != T(1)) {
        eps = eps / T(2);
        ++p;
    }
    return p;
}

// max_exponent as in numeric_limits: the least e with 2^e not finite. Doubling 2^(e-1) overflows
// to inf, which halving does not bring back.
template <class T>
long measured_max_exponent() {
    T x = T(1);
    long e = 0;
    while ((x * T(2)) / T(2) == x) {
        x = x * T(2);
        ++e;
    }
    return e + 1;
}

// min_exponent as in numeric_limits: the smallest normal value is 2^(min_exponent-1). Below it the
// spacing stops shrinking, so x + x*2^(1-p) == x first happens at the largest subnormal power of 2.
template <class T>
long measured_min_exponent(int digits) {
    T ulp_of_one = T(1);
    for (int i = 1; i < digits; ++i) ulp_of_one = ulp_of_one / T(2);
    T x = T(1);
    long e = 0;  // x == 2^e
    while (x + x * ulp_of_one != x) {
        x = x / T(2);
        --e;
    }
    return e + 2;  // 2^(e+1) is the smallest normal power of two
}

template <class T>
void check_native_format(const char* name) {
    const int p = measured_digits<T>();
    const long emax = measured_max_exponent<T>();
    const long emin = measured_min_exponent<T>(p);
    fmt::print("{}: measured digits {}, max_exponent {}, min_exponent {}\n", name, p, emax, emin);
    BOOST_TEST(posenc::real_traits<T>::digits == p);
    BOOST_TEST(posenc::real_traits<T>::max_exponent == emax);
    BOOST_TEST(posenc::real_traits<T>::min_exponent == emin);
    BOOST_TEST(posenc::real_traits<T>::is_binary_float);
}

}  // namespace

BOOST_AUTO_TEST_CASE(native_real_traits_match_measured_format) {
    check_native_format<float>("float");
    check_native_format<double>("double");
    check_native_format<long double>("long double");
    // Closed form for the IEEE formats: binary32 has 24 significand bits, binary64 has 53.
    BOOST_TEST(posenc::real_traits<float>::digits == 24);
    BOOST_TEST(posenc::real_traits<double>::digits == 53);
    BOOST_TEST(posenc::real_traits<double>::max_exponent == 1024);
    BOOST_TEST(posenc::real_traits<double>::min_exponent == -1021);
    // numeric_limits agrees for the types that have it.
    BOOST_TEST(posenc::real_traits<float>::digits == std::numeric_limits<float>::digits);
    BOOST_TEST(posenc::real_traits<double>::digits == std::numeric_limits<double>::digits);
    BOOST_TEST(posenc::real_traits<long double>::digits ==
               std::numeric_limits<long double>::digits);
}

BOOST_AUTO_TEST_CASE(float128_real_traits_match_measured_format) {
#if POSENC_HAS_FLOAT128
    check_native_format<__float128>("__float128");
    // IEEE binary128: 113 significand bits, exponent range as numeric_limits would state it.
    BOOST_TEST(posenc::real_traits<__float128>::digits == 113);
    BOOST_TEST(posenc::real_traits<__float128>::max_exponent == 16384);
    BOOST_TEST(posenc::real_traits<__float128>::min_exponent == -16381);
    BOOST_TEST(posenc::real_traits<__float128>::has_denorm);
#else
    // The contract: POSENC_HAS_FLOAT128 is 1 on g++ for x86-64, so 0 is right only elsewhere.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    constexpr bool gcc_on_x86_64 = true;
#else
    constexpr bool gcc_on_x86_64 = false;
#endif
    fmt::print("__float128 not used by posenc with this compiler (POSENC_HAS_FLOAT128 == 0)\n");
    BOOST_TEST(!gcc_on_x86_64);
#endif
}

BOOST_AUTO_TEST_CASE(multiprecision_real_traits_match_measured_precision) {
    const int p50 = measured_digits<mp::cpp_bin_float_50>();
    const int p100 = measured_digits<mp::cpp_bin_float_100>();
    const int q50 = measured_digits<mp::mpfr_float_50>();
    const int q100 = measured_digits<mp::mpfr_float_100>();
    fmt::print("measured digits: cpp_bin_float_50 {}, cpp_bin_float_100 {}, mpfr_float_50 {}, "
               "mpfr_float_100 {}\n",
               p50, p100, q50, q100);
    BOOST_TEST(posenc::real_traits<mp::cpp_bin_float_50>::digits == p50);
    BOOST_TEST(posenc::real_traits<mp::cpp_bin_float_100>::digits == p100);
    BOOST_TEST(posenc::real_traits<mp::mpfr_float_50>::digits == q50);
    BOOST_TEST(posenc::real_traits<mp::mpfr_float_100>::digits == q100);
    // 50 (100) decimal digits need at least ceil(50 log2 10) = 167 (333) bits.
    BOOST_TEST(p50 >= 167);
    BOOST_TEST(p100 >= 333);
    BOOST_TEST(q50 >= 167);
    BOOST_TEST(q100 >= 333);
}
