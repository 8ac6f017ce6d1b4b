// posenc/math/exp.hpp: constexpr exp for any Real T, within 1 ulp on the whole domain.
//
// Algorithm (identical in constant expressions and at run time):
//  1. Special values: NaN -> NaN, +inf -> +inf, -inf -> +0; x above (max_exponent+1)*ln2 -> +inf,
//     x below (min_exponent - p - 3)*ln2 -> +0 (the true value is below half the least subnormal);
//     |x| < 2^-(p+2) -> 1 (correctly rounded there).
//  2. Reduction (Cody & Waite 1980, "Software Manual for the Elementary Functions", ch. 6):
//     k = nearest integer to x/ln2, r = x - k*ln2 in double-T with ln 2 to 2p bits, |r| <= ln2/2.
//  3. Tang-style scaling (Tang 1989, ACM TOMS 15(2)): u = r/2^8, expm1(u) by its Taylor series
//     (A&S 4.2.1) in double-T, then 8 squarings in the form e <- e*(e+2), which is expm1(2u)
//     without cancellation; y = 1 + expm1(r).
//  4. Result: y * 2^k rounded once to T, also into the subnormal range (detail::ldexp_round).
// Error: double-T result within about 2^-(2p-24) relative; after the single rounding at most
// 0.5 + 2^-(p-24) ulp (of the subnormal quantum for subnormal results), i.e. at most 1 ulp.
#pragma once

#include "../concepts.hpp"
#include "detail/bits.hpp"

namespace posenc::math {
namespace detail {

template <class T>
struct exp_parts {
    dd<T> y;  // exp(t) / 2^k, in [0.7, 1.42]
    long k;
};

/// exp(t) = y * 2^k for a double-T argument with |t| <= (max_exponent + p + |min_exponent|) * ln2.
template <class T>
[[nodiscard]] constexpr exp_parts<T> exp_core(const dd<T>& t) {
    const dd<T> ln2_dd = constant<T, constant_id::ln2>();
    const T kf = t.hi / ln2_dd.hi;
    long long k = 0;
    if (kf >= T(0)) {
        k = static_cast<long long>(T(kf + T(1) / T(2)));
    } else {
        k = -static_cast<long long>(T(T(1) / T(2) - kf));
    }
    const dd<T> r = sub(t, mul(ln2_dd, T(k)));
    constexpr int squarings = 8;
    const dd<T> u = scale(r, pow2<T>(-squarings));
    const T eps = pow2<T>(-(2L * digits_v<T> + 4));
    dd<T> term = u;
    dd<T> em1 = u;  // expm1(u)
    for (int n = 2; n < 400; ++n) {
        if (abs(term.hi) <= eps * abs(em1.hi)) break;
        term = div(mul(term, u), T(n));
        em1 = add(em1, term);
    }
    for (int i = 0; i < squarings; ++i) em1 = mul(em1, add(em1, T(2)));
    return {add(em1, T(1)), static_cast<long>(k)};
}

}  // namespace detail

/// e^x, within 1 ulp for every x (see the file comment).
template <Real T>
[[nodiscard]] constexpr T exp(T x) {
    if (detail::is_nan(x)) return x;
    if (detail::is_inf(x)) return x > T(0) ? x : T(0);
    constexpr int p = detail::digits_v<T>;
    const T ln2_hi = detail::constant<T, detail::constant_id::ln2>().hi;
    if (x > T(real_traits<T>::max_exponent + 1) * ln2_hi) return detail::infinity<T>();
    constexpr long lowest = real_traits<T>::min_exponent - (real_traits<T>::has_denorm ? p : 0) - 3;
    if (x < T(lowest) * ln2_hi) return T(0);
    if (detail::abs(x) < detail::pow2<T>(-(p + 2))) return T(1);
    const detail::exp_parts<T> e = detail::exp_core(detail::dd_from(x));
    return detail::ldexp_round(e.y, e.k);
}

}  // namespace posenc::math
