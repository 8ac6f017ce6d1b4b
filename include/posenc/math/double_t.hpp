// posenc/math/double_t.hpp: double-T arithmetic, public. A value is an unevaluated sum hi + lo of
// two T values (|lo| <= ulp(hi)/2), about 2p bits for a p-bit T. The encodings, the frequency
// functions and the analysis code carry exponents, products and phases in it and round once.
//
// Error-free transformations (exact, radix 2, round to nearest, no overflow):
//   two_sum(a, b)       s + e = a + b                        (Knuth, TAOCP 2, 4.2.2 Theorem B)
//   fast_two_sum(a, b)  s + e = a + b when |a| >= |b|        (Dekker 1971, Fast2Sum)
//   two_prod(a, b)      p + e = a * b (Veltkamp split, no FMA, so the same bits in constant
//                       expressions and at run time)         (Dekker 1971, Mul12)
// Double-T operations (Joldes, Muller, Popescu 2017, ACM TOMS 44(2); relative error bounds with
// u = 2^-p): add/sub 3u^2 (Alg. 6), mul 5u^2 (Alg. 12), div 15u^2 (Alg. 17); mul/div by a T and
// scale by a power of two are cheaper variants of the same algorithms.
// Functions of a double-T:
//   exp(t)        e^t as a double-T, relative error about 2^-(2p-24), |t| <= (emax + p + |emin|) ln 2
//   log(x)        ln x as a double-T for finite x > 0 (a T, or a double-T via ln hi + lo/hi)
//   sincos(a)     sin and cos of hi + lo rounded to T (angle addition; each part reduced exactly)
//   round(v)      hi + lo rounded to nearest T
//   pi_dd, two_pi_dd, ln2_dd   the constants to 2p bits
// Every operation is stored in a named T: with expression templates (Boost's mpfr_float) a
// compound expression may be re-associated, which breaks the error-free transformations.
// Tested in tests/test_double_t.cpp against MPFR.
#pragma once

#include "../concepts.hpp"
#include "constants.hpp"
#include "detail/bits.hpp"
#include "exp.hpp"
#include "log.hpp"
#include "trig.hpp"

namespace posenc::math {

using detail::dd;
using detail::dd_from;
using detail::two_sum;
using detail::fast_two_sum;
using detail::two_prod;
using detail::neg;
using detail::add;
using detail::sub;
using detail::mul;
using detail::div;
using detail::scale;

// The same functions as the ones math's own code calls unqualified (one entity, so argument-
// dependent lookup on posenc::math types finds no second candidate):
using detail::abs;        ///< |x|
using detail::is_finite;  ///< x is neither infinite nor NaN (works for every Real T at compile time)
using detail::pow2;       ///< 2^k exactly, k within T's exponent range

/// hi + lo rounded to nearest T.
template <class T>
[[nodiscard]] constexpr T round(const dd<T>& v) {
    return detail::add(v, T(0)).hi;
}

/// pi to 2p bits.
template <Real T>
[[nodiscard]] constexpr dd<T> pi_dd() {
    return detail::scale(detail::constant<T, detail::constant_id::pi_over_4>(), T(4));
}

/// 2 pi to 2p bits.
template <Real T>
[[nodiscard]] constexpr dd<T> two_pi_dd() {
    return detail::scale(detail::constant<T, detail::constant_id::pi_over_4>(), T(8));
}

/// ln 2 to 2p bits.
template <Real T>
[[nodiscard]] constexpr dd<T> ln2_dd() {
    return detail::constant<T, detail::constant_id::ln2>();
}

/// e^t as a double-T.
template <Real T>
[[nodiscard]] constexpr dd<T> exp(const dd<T>& t) {
    const detail::exp_parts<T> e = detail::exp_core(t);
    return detail::scale(e.y, detail::pow2<T>(e.k));
}

/// ln x as a double-T, finite x > 0.
template <Real T>
[[nodiscard]] constexpr dd<T> log_dd(const T& x) {
    return detail::log_core(x);
}

/// ln(hi + lo) as a double-T, hi > 0: ln(hi) + lo/hi (the next term is below 2^-2p).
template <Real T>
[[nodiscard]] constexpr dd<T> log(const dd<T>& x) {
    return detail::add(detail::log_core(x.hi), T(x.lo / x.hi));
}

/// sin and cos of the angle hi + lo, each rounded to T (angle addition; each part reduced exactly).
template <Real T>
[[nodiscard]] constexpr sincos_result<T> sincos(const dd<T>& angle) {
    const sincos_result<T> h = sincos(angle.hi);
    if (angle.lo == T(0)) return h;
    const sincos_result<T> l = sincos(angle.lo);
    T s = h.sin * l.cos + h.cos * l.sin;  // sin(a + b) = sin a cos b + cos a sin b
    T c = h.cos * l.cos - h.sin * l.sin;  // cos(a + b) = cos a cos b - sin a sin b
    return {s, c};
}

}  // namespace posenc::math
