// posenc/math/sqrt.hpp: constexpr sqrt (correctly rounded) and hypot (within 1 ulp) for any Real T.
//
// sqrt: x = m * 4^k exactly with m in [1, 4); Newton's iteration y <- (y + m/y)/2 from y0 = (m+1)/2
// (>= sqrt m, so the iterates decrease: Heron's method) gives y within an ulp; then y is moved to the
// correctly rounded value by deciding the sign of m - (y +- half ulp)^2 EXACTLY: y^2 is split
// exactly by TwoProduct, the remaining terms are exact, and the sign of their sum is read from a
// nonoverlapping expansion (Shewchuk 1997, "Adaptive precision floating-point arithmetic and fast
// robust geometric predicates", DCG 18, Grow-Expansion with zero elimination). The square root of a
// p-bit number is never exactly halfway between two p-bit numbers, so round-to-nearest needs no
// tie rule. At run time float, double and long double use std::sqrt, which IEEE 754 requires to be
// correctly rounded too, so both paths return the same bits; so does a type that declares its own
// sqrt correctly rounded (own_sqrt_is_correctly_rounded below: MPFR's mpfr_sqrt, behind Boost's
// mpfr_float, is), whose sqrt is then called at run time.
//
// hypot: exact scaling by a power of two, x^2 + y^2 formed in double-T (TwoProduct), its square
// root refined by one Newton correction in double-T, rounded once (detail::ldexp_round, also for
// subnormal results): at most 0.5 + 2^-(p-4) ulp. No intermediate overflows or underflows. hypot(+-inf, y) = +inf even for NaN y
// (IEEE 754-2019 9.2.1).
#pragma once

#include <array>
#include <cmath>
#include <type_traits>

#include "../concepts.hpp"
#include "detail/dd.hpp"

namespace posenc::math {
namespace detail {

/// Sign (-1, 0, +1) of the exact sum of four T values (Shewchuk's Grow-Expansion).
template <class T>
[[nodiscard]] constexpr int sign_of_exact_sum(const std::array<T, 4>& v) {
    std::array<T, 5> e{};
    int n = 0;
    for (const T& b : v) {
        std::array<T, 5> out{};
        int m = 0;
        T q = b;
        for (int i = 0; i < n; ++i) {
            dd<T> s = two_sum(q, e[static_cast<std::size_t>(i)]);
            if (s.lo != T(0)) out[static_cast<std::size_t>(m++)] = s.lo;
            q = s.hi;
        }
        if (q != T(0)) out[static_cast<std::size_t>(m++)] = q;
        e = out;
        n = m;
    }
    if (n == 0) return 0;
    return e[static_cast<std::size_t>(n - 1)] > T(0) ? 1 : -1;
}

/// Correctly rounded sqrt of a finite x > 0 (the portable algorithm).
template <class T>
[[nodiscard]] constexpr T sqrt_positive(const T& x) {
    constexpr int p = digits_v<T>;
    decomposed<T> d = decompose(x);
    T m = d.m;
    long e = d.e;
    if (e % 2 != 0) {
        m = m * T(2);
        e -= 1;
    }
    T y = (m + T(1)) / T(2);
    for (int i = 0; i < 200; ++i) {
        T next = (y + m / y) / T(2);
        if (!(next < y)) break;
        y = next;
    }
    for (int i = 0; i < 8; ++i) {
        const dd<T> sq = two_prod(y, y);
        const T d1 = m - sq.hi;  // exact: sq.hi is within a factor 2 of m (Sterbenz)
        const T u = y < T(2) ? pow2<T>(1 - p) : pow2<T>(2 - p);
        const T h = u / T(2);
        // m - (y + h)^2 = d1 - sq.lo - y*u - h*h; every term exact.
        if (sign_of_exact_sum<T>({d1, T(-sq.lo), T(-(y * u)), T(-(h * h))}) > 0) {
            y = y + u;
            continue;
        }
        const T ub = y == T(1) ? pow2<T>(-p) : (y <= T(2) ? pow2<T>(1 - p) : pow2<T>(2 - p));
        const T hb = ub / T(2);
        // m - (y - hb)^2 = d1 - sq.lo + y*ub - hb*hb
        if (sign_of_exact_sum<T>({d1, T(-sq.lo), T(y * ub), T(-(hb * hb))}) < 0) {
            y = y - ub;
            continue;
        }
        break;
    }
    return T(y * pow2<T>(e / 2));
}

}  // namespace detail

/// Opt-in, false unless specialised: true for a number type whose own sqrt, found by
/// argument-dependent lookup, is correctly rounded (IEEE 754 5.4.1; MPFR's mpfr_sqrt, which Boost's
/// mpfr_float calls, is). math::sqrt then calls it at run time: the same bits as the portable
/// algorithm, without its Newton iterations.
template <class T>
inline constexpr bool own_sqrt_is_correctly_rounded = false;

/// Correctly rounded square root (see the file comment).
template <Real T>
[[nodiscard]] constexpr T sqrt(T x) {
    if constexpr (own_sqrt_is_correctly_rounded<T>) {
        if (!std::is_constant_evaluated()) {  // IEEE 754 special cases included, as below
            using std::sqrt;
            return T(sqrt(x));
        }
    }
    if (detail::is_nan(x)) return x;
    if (x < T(0)) return detail::quiet_nan<T>();
    if (x == T(0) || detail::is_inf(x)) return x;
    if constexpr (std::is_floating_point_v<T>) {
        if (!std::is_constant_evaluated()) return std::sqrt(x);
    }
    return detail::sqrt_positive(x);
}

/// sqrt(x^2 + y^2) without undue overflow or underflow, within 1 ulp (see the file comment).
template <Real T>
[[nodiscard]] constexpr T hypot(T x, T y) {
    if (detail::is_inf(x) || detail::is_inf(y)) return detail::infinity<T>();
    if (detail::is_nan(x) || detail::is_nan(y)) return detail::quiet_nan<T>();
    T a = detail::abs(x);
    T b = detail::abs(y);
    if (a < b) {
        T t = a;
        a = b;
        b = t;
    }
    if (b == T(0)) return a;
    constexpr int p = detail::digits_v<T>;
    const long ea = detail::decompose(a).e;
    const long eb = detail::decompose(b).e;
    if (eb < ea - p - 1) return a;  // (b/a)^2 < 2^-(2p): a is the correctly rounded result
    // Scale so that a is in [1, 2): exact, and b >= 2^-(p+2) stays normal.
    const T as = detail::ldexp(a, -ea);
    const T bs = detail::ldexp(b, -ea);
    const detail::dd<T> sum = detail::add(detail::two_prod(as, as), detail::two_prod(bs, bs));
    const T r0 = detail::sqrt_positive(sum.hi);
    // One Newton step in double-T: r = r0 + (sum - r0^2) / (2 r0).
    const detail::dd<T> resid = detail::sub(sum, detail::two_prod(r0, r0));
    const T corr = resid.hi / (T(2) * r0);
    const detail::dd<T> r = detail::fast_two_sum(r0, corr);
    return detail::ldexp_round(r, ea);
}

}  // namespace posenc::math
