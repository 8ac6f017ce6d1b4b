// The number type a runner computes in for a given printed type.
//
// --precision 50 and 100 print Boost's cpp_bin_float_50 and cpp_bin_float_100 (168 and 334
// significand bits). Their rows are computed in MPFR instead, through Boost's mpfr_float_backend
// with the limbs inside the number (allocate_stack: no allocation per temporary) and expression
// templates (results written in place), at 191 and 384 bits, three and six 64-bit limbs, i.e. with
// 23 and 50 guard bits; each result is rounded to the printed type once, to nearest (narrow). The
// inputs (frequencies, Gaussian draws) are made at the printed type (the frequencies in its twin,
// below: the same bits) and carried over exactly, so the rows are those of the printed type's
// frequencies, as at every other precision. A value
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
using twin_50 = mp::number<mp::mpfr_float_backend<50, mp::allocate_stack>, mp::et_off>;
using twin_100 = mp::number<mp::mpfr_float_backend<100, mp::allocate_stack>, mp::et_off>;
// the same width again, as a distinct type (the limbs allocated) that may opt in to MPFR's sin and cos
using twin_trig_50 = mp::number<mp::mpfr_float_backend<50, mp::allocate_dynamic>, mp::et_off>;
}  // namespace wt

/// At50 for cpp_bin_float_50, At100 for cpp_bin_float_100, T itself for every other printed type:
/// the one map from a printed type to a type it is computed in (work_t, twin_t).
template <class T, class At50, class At100>
using for_printed = std::conditional_t<std::is_same_v<T, boost::multiprecision::cpp_bin_float_50>, At50,
                                       std::conditional_t<std::is_same_v<T, boost::multiprecision::cpp_bin_float_100>, At100, T>>;

/// The type the rows of printed type T are computed in.
template <class T>
using work_t = for_printed<T, wt::work_50, wt::work_100>;

/// Guard bits of the working type over the printed type.
template <class T>
inline constexpr int guard_bits = std::numeric_limits<work_t<T>>::digits - std::numeric_limits<T>::digits;

static_assert(std::numeric_limits<wt::work_50>::digits == 191 && guard_bits<boost::multiprecision::cpp_bin_float_50> == 23);
static_assert(std::numeric_limits<wt::work_100>::digits == 384 && guard_bits<boost::multiprecision::cpp_bin_float_100> == 50);

/// The twin of printed type T: MPFR at exactly T's significand width (168 and 334 bits), without
/// expression templates. cpp_bin_float rounds the result of each + - * / once, to nearest with ties
/// to even (Boost 1.81 cpp_bin_float.hpp, copy_and_round and the tie checks of eval_divide), as MPFR
/// does in MPFR_RNDN (MPFR manual, 4.4 Rounding); neither has subnormals, and both types evaluate
/// one operation at a time (cpp_bin_float_50/100 are et_off, and so are the twins: no fused
/// multiply-add). posenc::math and the frequency functions are built from those operations alone
/// (posenc/concepts.hpp; no opt-in is declared for the twins), so the twin computes T's bits
/// wherever values stay inside T's exponent range, in about 2/3 of the time; the runners make the
/// frequencies in it from parameters parsed at T and carry them back exactly
/// (tests/test_work_type.cpp compares both types' frequencies bit for bit). Every other precision
/// is its own twin.
template <class T>
using twin_t = for_printed<T, wt::twin_50, wt::twin_100>;

static_assert(std::numeric_limits<wt::twin_50>::digits == std::numeric_limits<boost::multiprecision::cpp_bin_float_50>::digits);
static_assert(std::numeric_limits<wt::twin_100>::digits == std::numeric_limits<boost::multiprecision::cpp_bin_float_100>::digits);

/// The reference type of `posenc validate`, `context` and `min-base` (printed type cpp_bin_float_50):
/// twin_t's arithmetic, with MPFR's sin and cos (correctly rounded; opt-in at the end). posenc::math's
/// sin and cos at cpp_bin_float_50 are the correctly rounded values too, except where the true value
/// lies within 2^-(2p-6) of a rounding boundary (posenc/math/trig.hpp; p = 168), so this type gives
/// cpp_bin_float_50's bits for everything posenc::math computes except there (each such value is the
/// correctly rounded neighbour, within the same bound); tests/test_work_type.cpp compares them.
using reference_50 = wt::twin_trig_50;
static_assert(std::numeric_limits<reference_50>::digits == std::numeric_limits<boost::multiprecision::cpp_bin_float_50>::digits);

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
template <>
inline constexpr bool posenc::math::own_sin_cos_are_correctly_rounded<posenc_cli::reference_50> = true;
