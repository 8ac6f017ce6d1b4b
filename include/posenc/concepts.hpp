// posenc/concepts.hpp: the number types posenc computes with.
//
// A `Real` is a binary floating-point type: every algorithm in posenc::math relies on exact
// error-free transformations (TwoSum, Veltkamp splitting: Dekker 1971, "A floating-point technique
// for extending the available precision", Numer. Math. 18) that hold for radix 2 with
// round-to-nearest arithmetic, and on exact scaling by powers of two.
//
// What a type needs is written as operations, not as a list of types (mp-units
// `representation_concepts.h` style): + - * / and unary minus, the six comparisons, construction
// from `int`, explicit conversion to `long long` (truncating, used to read off integer bits of
// values below 2^62), and a `posenc::real_traits<T>` describing its format. `real_traits` comes for
// free from `std::numeric_limits` when that is specialised; specialise `real_traits` yourself for a
// type that has no `numeric_limits` (posenc does so for GCC's `__float128`).
#pragma once

#include <concepts>
#include <limits>
#include <type_traits>

#if defined(__SIZEOF_FLOAT128__) && defined(__GNUC__) && !defined(__clang__)
/// Defined to 1 when GCC's `__float128` is available and supported by posenc (g++ on x86-64).
#define POSENC_HAS_FLOAT128 1
#else
#define POSENC_HAS_FLOAT128 0
#endif

namespace posenc {

/// Format of a binary floating-point type. The primary template reads `std::numeric_limits`.
/// Members: `digits` (significand bits, including the implicit one), `max_exponent` and
/// `min_exponent` (as in numeric_limits: finite values are below 2^max_exponent, normal values are
/// at least 2^(min_exponent-1)), `has_infinity`, `has_quiet_nan`, `has_denorm` (true when values
/// below 2^(min_exponent-1) are gradual subnormals), and `is_binary_float`.
template <class T>
struct real_traits {
    using limits = std::numeric_limits<T>;
    static constexpr bool is_binary_float =
        limits::is_specialized && !limits::is_integer && limits::radix == 2 && limits::digits >= 11;
    static constexpr int digits = limits::digits;
    static constexpr long max_exponent = limits::max_exponent;
    static constexpr long min_exponent = limits::min_exponent;
    static constexpr bool has_infinity = limits::has_infinity;
    static constexpr bool has_quiet_nan = limits::has_quiet_NaN;
    static constexpr bool has_denorm = limits::has_denorm == std::denorm_present;
};

#if POSENC_HAS_FLOAT128
/// IEEE binary128 as provided by GCC (libstdc++ 12 has no numeric_limits for it).
template <>
struct real_traits<__float128> {
    static constexpr bool is_binary_float = true;
    static constexpr int digits = 113;
    static constexpr long max_exponent = 16384;
    static constexpr long min_exponent = -16381;
    static constexpr bool has_infinity = true;
    static constexpr bool has_quiet_nan = true;
    static constexpr bool has_denorm = true;
};
#endif

template <class T>
struct real_traits<const T> : real_traits<T> {};

/// A number type posenc's encodings, properties and math core accept (see the file comment).
/// Satisfied by float, double, long double, __float128 (g++), and Boost.Multiprecision's
/// cpp_bin_float_50/100 and mpfr_float_50/100; rejected: integers, std::complex, strings,
/// decimal floating types.
template <class T>
concept Real = real_traits<T>::is_binary_float && std::copyable<T> &&
    requires(const T a, const T b, T& lv, int i, long long ll) {
        { T(i) };
        { T(ll) };
        { a + b } -> std::convertible_to<T>;
        { a - b } -> std::convertible_to<T>;
        { a * b } -> std::convertible_to<T>;
        { a / b } -> std::convertible_to<T>;
        { -a } -> std::convertible_to<T>;
        { a < b } -> std::convertible_to<bool>;
        { a <= b } -> std::convertible_to<bool>;
        { a > b } -> std::convertible_to<bool>;
        { a >= b } -> std::convertible_to<bool>;
        { a == b } -> std::convertible_to<bool>;
        { a != b } -> std::convertible_to<bool>;
        { lv = a };
        { static_cast<long long>(a) };
    };

}  // namespace posenc
