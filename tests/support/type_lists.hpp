// tests/support/type_lists.hpp: the number types the tests run at, as type lists for
// BOOST_AUTO_TEST_CASE_TEMPLATE, written once. __float128 exists with g++ only
// (POSENC_HAS_FLOAT128): this is the one place that decides whether it is in a list, so a test
// template over these lists has a __float128 instance exactly where the type exists.
//
// Boost.Test names a template instance `<case><type>`: `exp_random<long double>`; the CTest names
// spell the Boost.Multiprecision types by their typedefs (`exp_multiprecision<cpp_bin_float_50>`,
// cmake/posenc_boost_test_discover.cmake).
#pragma once

#include <posenc/concepts.hpp>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

namespace posenc_test {

/// The binary floating-point types: float, double, long double and, with g++, __float128.
using binary_types = std::tuple<float, double, long double
#if POSENC_HAS_FLOAT128
                                ,
                                __float128
#endif
                                >;

/// The multiprecision types: cpp_bin_float_50/100 and mpfr_float_50/100.
using multiprecision_types =
    std::tuple<boost::multiprecision::cpp_bin_float_50, boost::multiprecision::cpp_bin_float_100,
               boost::multiprecision::mpfr_float_50, boost::multiprecision::mpfr_float_100>;

/// The concatenation of two std::tuple type lists.
template <class A, class B>
using concat_types = decltype(std::tuple_cat(std::declval<A>(), std::declval<B>()));

/// Every type posenc supports: binary_types, then multiprecision_types.
using real_types = concat_types<binary_types, multiprecision_types>;

/// The types of the tests against the mpmath tables of tests/data/ (scripts/gen_*_tables.py):
/// the binary types, one cpp_bin_float and one mpfr_float.
using table_types = concat_types<binary_types, std::tuple<boost::multiprecision::cpp_bin_float_50,
                                                          boost::multiprecision::mpfr_float_100>>;

/// Calls f(std::type_identity<T>{}) for every T of the std::tuple type list List, in order.
template <class List, class F>
void for_each_type(F&& f) {
    [&]<class... T>(std::type_identity<std::tuple<T...>>) {
        (f(std::type_identity<T>{}), ...);
    }(std::type_identity<List>{});
}

/// True for __float128 (where it exists).
template <class T>
inline constexpr bool is_float128 =
#if POSENC_HAS_FLOAT128
    std::is_same_v<T, __float128>;
#else
    false;
#endif

/// The position of T in real_types' order (float, double, long double, __float128,
/// cpp_bin_float_50, cpp_bin_float_100, mpfr_float_50, mpfr_float_100): the one type dispatch of
/// the per-type tables below.
template <class T>
constexpr int real_type_slot() {
    namespace bmp = boost::multiprecision;
    if constexpr (std::is_same_v<T, float>) {
        return 0;
    } else if constexpr (std::is_same_v<T, double>) {
        return 1;
    } else if constexpr (std::is_same_v<T, long double>) {
        return 2;
    } else if constexpr (is_float128<T>) {
        return 3;
    } else if constexpr (std::is_same_v<T, bmp::cpp_bin_float_50>) {
        return 4;
    } else if constexpr (std::is_same_v<T, bmp::cpp_bin_float_100>) {
        return 5;
    } else if constexpr (std::is_same_v<T, bmp::mpfr_float_50>) {
        return 6;
    } else if constexpr (std::is_same_v<T, bmp::mpfr_float_100>) {
        return 7;
    } else {
        return -1;
    }
}

/// A per-type table of a test template over binary_types: one V per type, named, e.g.
/// `constexpr per_binary_type<long> stride{.float_ = 1, .double_ = 1, .long_double = 13, .float128 = 29};`
/// then `stride.at<T>()`. The __float128 entry is unused where the type does not exist.
template <class V>
struct per_binary_type {
    V float_;
    V double_;
    V long_double;
    V float128;

    template <class T>
    constexpr const V& at() const {
        constexpr int slot = real_type_slot<T>();
        static_assert(slot >= 0 && slot < 4, "per_binary_type: not a binary type");
        constexpr V per_binary_type::*field[] = {&per_binary_type::float_, &per_binary_type::double_,
                                                 &per_binary_type::long_double, &per_binary_type::float128};
        return this->*field[slot];
    }
};

/// A per-type table of a test template over multiprecision_types (see per_binary_type).
template <class V>
struct per_multiprecision_type {
    V cpp_bin_float_50;
    V cpp_bin_float_100;
    V mpfr_float_50;
    V mpfr_float_100;

    template <class T>
    constexpr const V& at() const {
        constexpr int slot = real_type_slot<T>();
        static_assert(slot >= 4, "per_multiprecision_type: not a multiprecision type");
        constexpr V per_multiprecision_type::*field[] = {
            &per_multiprecision_type::cpp_bin_float_50, &per_multiprecision_type::cpp_bin_float_100,
            &per_multiprecision_type::mpfr_float_50, &per_multiprecision_type::mpfr_float_100};
        return this->*field[slot - 4];
    }
};

/// A per-type table over every type of real_types (see per_binary_type), for tests over several
/// lists (property_types, table_types): the entries of types a test does not run at are left out
/// of the initializer, as zero. `constexpr per_real_type<double> measured{.float_ = 0.12, ...};`
/// then `measured.at<T>()`.
template <class V>
struct per_real_type {
    V float_{};
    V double_{};
    V long_double{};
    V float128{};
    V cpp_bin_float_50{};
    V cpp_bin_float_100{};
    V mpfr_float_50{};
    V mpfr_float_100{};

    template <class T>
    constexpr const V& at() const {
        constexpr int slot = real_type_slot<T>();
        static_assert(slot >= 0, "per_real_type: not a type of real_types");
        constexpr V per_real_type::*field[] = {&per_real_type::float_,           &per_real_type::double_,
                                               &per_real_type::long_double,      &per_real_type::float128,
                                               &per_real_type::cpp_bin_float_50, &per_real_type::cpp_bin_float_100,
                                               &per_real_type::mpfr_float_50,    &per_real_type::mpfr_float_100};
        return this->*field[slot];
    }
};

/// The size and seed of a random test at one type, an entry of the per-type tables:
/// `samples` is before POSENC_QUICK's division (sample_count).
struct random_run {
    std::size_t samples;
    std::uint64_t seed;
};

}  // namespace posenc_test
