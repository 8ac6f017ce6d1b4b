// posenc/math/log.hpp: constexpr natural logarithm for any Real T, within 1 ulp on (0, inf).
//
// Algorithm (identical in constant expressions and at run time):
//  1. Special values: NaN -> NaN, x < 0 -> NaN, +-0 -> -inf, +inf -> +inf, 1 -> +0.
//  2. x = m * 2^e exactly with m in [3/4, 3/2) (subnormals included).
//  3. log m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 1/5, by the series 2(s + s^3/3 + s^5/5 + ...)
//     (A&S 4.1.27) in double-T arithmetic; m - 1 is exact (Sterbenz) and m + 1 is kept exactly as
//     a double-T, so s carries no cancellation error.
//  4. log x = e*ln2 + log m in double-T (ln 2 to 2p bits), rounded once. The two terms never
//     cancel badly: e != 0 only when x < 3/4 or x >= 3/2, where |log x| > 0.28.
// Error: double-T result within about 2^-(2p-8) relative; at most 0.5 + 2^-(p-8) ulp.
#pragma once

#include "../concepts.hpp"
#include "detail/bits.hpp"

namespace posenc::math {
namespace detail {

/// log x as double-T for finite x > 0.
template <class T>
[[nodiscard]] constexpr dd<T> log_core(const T& x) {
    decomposed<T> d = decompose(x);
    T m = d.m;
    long e = d.e;
    if (m >= T(3) / T(2)) {
        m = m / T(2);
        e += 1;
    }
    const T num = m - T(1);  // exact (Sterbenz: m in [3/4, 3/2))
    const dd<T> den = two_sum(m, T(1));
    const dd<T> s = div(dd_from(num), den);
    const dd<T> s2 = mul(s, s);
    const T eps = pow2<T>(-(2L * digits_v<T> + 4));
    dd<T> power = s;
    dd<T> sum = s;
    for (int k = 1; k < 400; ++k) {
        power = mul(power, s2);
        const dd<T> term = div(power, T(2 * k + 1));
        sum = add(sum, term);
        if (abs(term.hi) <= eps * abs(sum.hi)) break;
    }
    const dd<T> log_m = scale(sum, T(2));
    const dd<T> e_ln2 = mul(constant<T, constant_id::ln2>(), T(e));
    return add(e_ln2, log_m);
}

}  // namespace detail

/// Natural logarithm, within 1 ulp for every x > 0 (see the file comment).
template <Real T>
[[nodiscard]] constexpr T log(T x) {
    if (detail::is_nan(x)) return x;
    if (x < T(0)) return detail::quiet_nan<T>();
    if (x == T(0)) return T(-detail::infinity<T>());
    if (detail::is_inf(x)) return x;
    if (x == T(1)) return T(0);
    return detail::log_core(x).hi;
}

}  // namespace posenc::math
