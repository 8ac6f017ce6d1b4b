// posenc/math/pow.hpp: constexpr x^y for x >= 0 and any Real T, within 1 ulp.
//
// Algorithm (identical in constant expressions and at run time): x^y = exp(y * log x) with log x
// as a double-T (log.hpp), the product y * log x formed exactly-rounded in double-T, and exp of
// that double-T argument (exp.hpp, exp_core). The double-T log has relative error about 2^-(2p-8),
// so t = y log x carries an absolute error below |t| 2^-(2p-8) <= 2^-(2p-23) over the finite range
// (|t| < 2^15 even for __float128), which is 2^-(p-23) ulp of the result: at most 1 ulp overall.
// Special values follow IEEE 754-2019 9.2.1 restricted to x >= 0: pow(x, +-0) = 1 (even for NaN x),
// pow(1, y) = 1 (even for NaN y), NaN otherwise propagates; pow(+0, y>0) = +0,
// pow(+0, y<0) = +inf; pow(+inf, y>0) = +inf, pow(+inf, y<0) = +0; pow(x, +inf) = +0 for x < 1 and
// +inf for x > 1, pow(x, -inf) the reverse. A negative base has no real power for general y:
// pow(x < 0, y) = NaN (posenc only needs positive bases; documented here rather than guessed).
#pragma once

#include "../concepts.hpp"
#include "exp.hpp"
#include "log.hpp"

namespace posenc::math {

/// x^y for x >= 0, within 1 ulp (see the file comment).
template <Real T>
[[nodiscard]] constexpr T pow(T x, T y) {
    if (y == T(0)) return T(1);
    if (x == T(1)) return T(1);
    if (detail::is_nan(x) || detail::is_nan(y)) return detail::quiet_nan<T>();
    if (x < T(0)) return detail::quiet_nan<T>();
    if (x == T(0)) return y > T(0) ? T(0) : detail::infinity<T>();
    if (detail::is_inf(x)) return y > T(0) ? x : T(0);
    if (detail::is_inf(y)) {
        const bool grows = (x > T(1)) == (y > T(0));
        return grows ? detail::infinity<T>() : T(0);
    }
    constexpr int p = detail::digits_v<T>;
    const detail::dd<T> lx = detail::log_core(x);
    // |y log x| beyond the exponent range decides overflow/underflow without forming the product.
    const T bound = T(4 * (real_traits<T>::max_exponent - real_traits<T>::min_exponent + p));
    if (detail::abs(y) > bound / detail::abs(lx.hi)) {
        const bool grows = (lx.hi > T(0)) == (y > T(0));
        return grows ? detail::infinity<T>() : T(0);
    }
    const detail::dd<T> t = detail::mul(lx, y);
    const T ln2_hi = detail::constant<T, detail::constant_id::ln2>().hi;
    if (t.hi > T(real_traits<T>::max_exponent + 1) * ln2_hi) return detail::infinity<T>();
    constexpr long lowest = real_traits<T>::min_exponent - (real_traits<T>::has_denorm ? p : 0) - 3;
    if (t.hi < T(lowest) * ln2_hi) return T(0);
    const detail::exp_parts<T> e = detail::exp_core(t);
    return detail::ldexp_round(e.y, e.k);
}

}  // namespace posenc::math
