// The number type a runner computes in for a given printed type.
//
// --precision 50 and 100 print Boost's cpp_bin_float_50 and cpp_bin_float_100 (168 and 334
// significand bits). Their rows are computed in MPFR instead, through Boost's mpfr_float_backend
// with the limbs inside the number (allocate_stack: no allocation per temporary) and expression
// templates (results written in place), at 191 and 384 bits, three and six 64-bit limbs, i.e. with
// 23 and 50 guard bits; each result is rounded to the printed type once, to nearest (narrow). The
// inputs (frequencies, Gaussian draws) are still made at the printed type and carried over exactly,
// so the rows are those of the printed type's frequencies, as at every other precision. A value
// computed within e of the exact one rounds to the correctly rounded value unless the exact value
// lies within e of a rounding boundary; decay.cpp states e for its quantities. MPFR's sqrt, sin and
// cos (correctly rounded) serve posenc::math at these types (the opt-ins at the end).
// Every other precision computes in the printed type itself.
#pragma once

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/mpfr.hpp>
#include <mpfr.h>

#include <posenc/math/sqrt.hpp>
#include <posenc/math/trig.hpp>

#include <limits>
#include <type_traits>

namespace posenc_cli {

namespace wt {
namespace mp = boost::multiprecision;
using work_50 = mp::number<mp::mpfr_float_backend<57, mp::allocate_stack>, mp::et_on>;
using work_100 = mp::number<mp::mpfr_float_backend<115, mp::allocate_stack>, mp::et_on>;
}  // namespace wt

template <class T>
struct work_type {
    using type = T;
};
template <>
struct work_type<boost::multiprecision::cpp_bin_float_50> {
    using type = wt::work_50;
};
template <>
struct work_type<boost::multiprecision::cpp_bin_float_100> {
    using type = wt::work_100;
};

/// The type the rows of printed type T are computed in.
template <class T>
using work_t = typename work_type<T>::type;

/// Guard bits of the working type over the printed type.
template <class T>
inline constexpr int guard_bits = std::numeric_limits<work_t<T>>::digits - std::numeric_limits<T>::digits;

static_assert(std::numeric_limits<wt::work_50>::digits == 191 && guard_bits<boost::multiprecision::cpp_bin_float_50> == 23);
static_assert(std::numeric_limits<wt::work_100>::digits == 384 && guard_bits<boost::multiprecision::cpp_bin_float_100> == 50);

/// x in the working type W: exact (W holds every significand bit of T, and MPFR's exponent range
/// holds T's).
template <class W, class T>
[[nodiscard]] W widen(const T& x) {
    if constexpr (std::is_same_v<W, T>) {
        return x;
    } else {
        return W(x);
    }
}

/// x rounded to nearest (ties to even) at T's precision: once, by MPFR's mpfr_set into a variable
/// of T's significand bits; the result has at most T's bits, so carrying it into T is exact.
template <class T, class W>
[[nodiscard]] T narrow(const W& x) {
    if constexpr (std::is_same_v<W, T>) {
        return x;
    } else {
        mpfr_t r;
        mpfr_init2(r, std::numeric_limits<T>::digits);
        mpfr_set(r, x.backend().data(), MPFR_RNDN);
        W y;
        mpfr_set(y.backend().data(), r, MPFR_RNDN);  // exact: W is wider
        mpfr_clear(r);
        return T(y);
    }
}

}  // namespace posenc_cli

// MPFR's square root, sine and cosine are correctly rounded (MPFR manual, 5.5 and 5.7), as
// posenc::math::sqrt is and posenc::math's sin and cos are up to 2^-(2p-6): let posenc::math and the
// analysis loops call them.
template <>
inline constexpr bool posenc::math::own_sqrt_is_correctly_rounded<posenc_cli::wt::work_50> = true;
template <>
inline constexpr bool posenc::math::own_sqrt_is_correctly_rounded<posenc_cli::wt::work_100> = true;
template <>
inline constexpr bool posenc::math::own_sin_cos_are_correctly_rounded<posenc_cli::wt::work_50> = true;
template <>
inline constexpr bool posenc::math::own_sin_cos_are_correctly_rounded<posenc_cli::wt::work_100> = true;
