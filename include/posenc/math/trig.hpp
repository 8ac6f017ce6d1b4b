// posenc/math/trig.hpp: constexpr sin, cos and sincos for any Real T, within 1 ulp everywhere.
//
// Algorithm (identical in constant expressions and at run time, so both give the same bits):
//  1. Special values: NaN -> NaN, +-inf -> NaN, +-0 -> +-0 (sin) / 1 (cos); |x| < 2^-((p+5)/2) -> x
//     (sin) or 1 (cos), which is the correctly rounded value there (the next Taylor term is below
//     a quarter ulp).
//  2. Exact reduction x = q*pi/2 + r (Payne-Hanek in integer arithmetic, see detail/reduce.hpp):
//     good for every finite float, double, long double and __float128 input; for multiprecision
//     types up to |x| < 2^max_reducible_exponent<T>() (std::domain_error beyond).
//  3. Taylor series of sin r or cos r (Abramowitz & Stegun 4.3.65, 4.3.66), |r| <= pi/4, summed in
//     double-T arithmetic (detail/dd.hpp) until a term drops below 2^-(2p+4) of the sum, then
//     rounded once to T.
// Error: the double-T result is within about 2^-(2p-6) relative of the true value, so the returned
// value is the correctly rounded one except when the true value lies within that distance of a
// rounding boundary; the error is below 0.5 + 2^-(p-6) ulp, i.e. at most 1 ulp, for every input.
// Measured maxima per type are in tests/test_trig.cpp's output and the README.
// A type may declare its own sin and cos correctly rounded (own_sin_cos_are_correctly_rounded below:
// MPFR's, behind Boost's mpfr_float, are); sin, cos and sincos then call them at run time, which
// returns the same bits except where the true value lies within 2^-(2p-6) of a rounding boundary
// (there the correctly rounded neighbour, within the same bound).
#pragma once

#include <cmath>
#include <type_traits>

#include "../concepts.hpp"
#include "detail/reduce.hpp"

namespace posenc::math {

template <Real T>
struct sincos_result {
    T sin;
    T cos;
};

/// sin/cos/sincos reduce |x| exactly for |x| < 2^max_reducible_exponent<T>() and throw
/// std::domain_error beyond; for float, double, long double and __float128 this exceeds the
/// largest finite value, so every finite input is accepted.
template <Real T>
[[nodiscard]] constexpr long max_reducible_exponent() {
    return detail::max_reducible_exponent_impl<T>();
}

namespace detail {

/// sin r, |r| <= pi/4, as double-T (Taylor series, A&S 4.3.65).
template <class T>
[[nodiscard]] constexpr dd<T> sin_kernel(const dd<T>& r) {
    const T eps = pow2<T>(-(2L * digits_v<T> + 4));
    const dd<T> r2 = mul(r, r);
    dd<T> term = r;
    dd<T> sum = r;
    for (int k = 1; k < 400; ++k) {
        term = div(mul(term, r2), T((2 * k) * (2 * k + 1)));
        sum = (k % 2 == 1) ? sub(sum, term) : add(sum, term);
        if (abs(term.hi) <= eps * abs(sum.hi)) break;
    }
    return sum;
}

/// cos r, |r| <= pi/4, as double-T (Taylor series, A&S 4.3.66).
template <class T>
[[nodiscard]] constexpr dd<T> cos_kernel(const dd<T>& r) {
    const T eps = pow2<T>(-(2L * digits_v<T> + 4));
    const dd<T> r2 = mul(r, r);
    dd<T> term{T(1), T(0)};
    dd<T> sum{T(1), T(0)};
    for (int k = 1; k < 400; ++k) {
        term = div(mul(term, r2), T((2 * k - 1) * (2 * k)));
        sum = (k % 2 == 1) ? sub(sum, term) : add(sum, term);
        if (abs(term.hi) <= eps) break;  // sum >= cos(pi/4) > 1/2
    }
    return sum;
}

/// |x| below which sin x rounds to x and cos x rounds to 1: x^2 < 2^-(p+5).
template <class T>
[[nodiscard]] constexpr T trig_tiny() {
    return pow2<T>(-((digits_v<T> + 5 + 1) / 2));
}

/// sin(q*pi/2 + r) (which == 0) or cos(q*pi/2 + r) (which == 1) from the kernels.
template <class T>
[[nodiscard]] constexpr T trig_from_quadrant(unsigned q, const dd<T>& r, int which) {
    const unsigned k = (q + static_cast<unsigned>(which)) & 3u;
    // sin(r + k*pi/2): k=0 sin r, k=1 cos r, k=2 -sin r, k=3 -cos r
    if (k == 0) return sin_kernel(r).hi;
    if (k == 1) return cos_kernel(r).hi;
    if (k == 2) return T(-sin_kernel(r).hi);
    return T(-cos_kernel(r).hi);
}

}  // namespace detail

/// Opt-in, false unless specialised: true for a number type whose own sin and cos, found by
/// argument-dependent lookup, are correctly rounded for every finite argument (MPFR's mpfr_sin and
/// mpfr_cos, which Boost's mpfr_float calls, are). sin, cos and sincos call them at run time.
template <class T>
inline constexpr bool own_sin_cos_are_correctly_rounded = false;

/// sin x, within 1 ulp for every finite x (see the file comment).
template <Real T>
[[nodiscard]] constexpr T sin(T x) {
    if constexpr (own_sin_cos_are_correctly_rounded<T>) {
        if (!std::is_constant_evaluated()) {
            using std::sin;
            return T(sin(x));
        }
    }
    if (detail::is_nan(x)) return x;
    if (detail::is_inf(x)) return detail::quiet_nan<T>();
    if (x == T(0)) return x;  // keeps the sign of zero
    const bool negative = x < T(0);
    const T ax = detail::abs(x);
    if (ax < detail::trig_tiny<T>()) return x;
    const detail::reduced<T> red = detail::reduce_half_pi(ax);
    return detail::negate_if(negative, detail::trig_from_quadrant(red.q, red.r, 0));
}

/// cos x, within 1 ulp for every finite x (see the file comment).
template <Real T>
[[nodiscard]] constexpr T cos(T x) {
    if constexpr (own_sin_cos_are_correctly_rounded<T>) {
        if (!std::is_constant_evaluated()) {
            using std::cos;
            return T(cos(x));
        }
    }
    if (detail::is_nan(x)) return x;
    if (detail::is_inf(x)) return detail::quiet_nan<T>();
    const T ax = detail::abs(x);
    if (ax < detail::trig_tiny<T>()) return T(1);
    const detail::reduced<T> red = detail::reduce_half_pi(ax);
    return detail::trig_from_quadrant(red.q, red.r, 1);
}

/// sin x and cos x from one reduction; each member equals sin(x) and cos(x) bit for bit.
template <Real T>
[[nodiscard]] constexpr sincos_result<T> sincos(T x) {
    if constexpr (own_sin_cos_are_correctly_rounded<T>) {
        if (!std::is_constant_evaluated()) {
            using std::cos;
            using std::sin;
            return {T(sin(x)), T(cos(x))};
        }
    }
    if (detail::is_nan(x)) return {x, x};
    if (detail::is_inf(x)) return {detail::quiet_nan<T>(), detail::quiet_nan<T>()};
    if (x == T(0)) return {x, T(1)};
    const bool negative = x < T(0);
    const T ax = detail::abs(x);
    if (ax < detail::trig_tiny<T>()) return {x, T(1)};
    const detail::reduced<T> red = detail::reduce_half_pi(ax);
    T s = detail::negate_if(negative, detail::trig_from_quadrant(red.q, red.r, 0));
    T c = detail::trig_from_quadrant(red.q, red.r, 1);
    return {s, c};
}

}  // namespace posenc::math
