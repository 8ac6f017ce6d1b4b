// posenc/math/detail/dd.hpp: "double-T" arithmetic, an unevaluated sum hi + lo of two T values
// (|lo| <= ulp(hi)/2), giving about 2p bits for a p-bit T.
//
// Sources: Dekker 1971 ("A floating-point technique for extending the available precision",
// Numer. Math. 18, 224-242): Fast2Sum, Veltkamp splitting and Mul12 (TwoProduct); Knuth TAOCP vol. 2,
// 4.2.2 Theorem B: TwoSum; Joldes, Muller, Popescu 2017 ("Tight and rigorous error bounds for basic
// building blocks of double-word arithmetic", ACM TOMS 44(2)): Algorithms 6 (DWPlusDW accurate),
// 12 (DWTimesDW), 17 (DWDivDW); relative errors 3u^2, 5u^2 and 15u^2 resp. (u = 2^-p).
// TwoProduct uses Veltkamp splitting rather than an FMA so that the very same operations run in
// constant expressions and at run time, giving bit-identical results. Valid for radix 2,
// round-to-nearest, no overflow in the split (|a| < max / 2^ceil(p/2)). Every operation is stored
// in a named T: with expression templates (Boost's mpfr_float) a compound expression may be
// re-associated, which breaks the error-free transformations.
#pragma once

#include "float_ops.hpp"

namespace posenc::math::detail {

template <class T>
struct dd {
    T hi;
    T lo;
};

/// s + e = a + b exactly, |a| >= |b| or a == 0 (Dekker's Fast2Sum).
template <class T>
[[nodiscard]] constexpr dd<T> fast_two_sum(const T& a, const T& b) {
    T s = a + b;
    T z = s - a;
    T e = b - z;
    return {s, e};
}

/// s + e = a + b exactly, no condition on magnitudes (Knuth's TwoSum).
template <class T>
[[nodiscard]] constexpr dd<T> two_sum(const T& a, const T& b) {
    T s = a + b;
    T bb = s - a;
    T sb = s - bb;
    T da = a - sb;
    T db = b - bb;
    T e = da + db;
    return {s, e};
}

/// Veltkamp split: a = hi + lo with hi holding the top p - ceil(p/2) bits.
template <class T>
[[nodiscard]] constexpr dd<T> split(const T& a) {
    constexpr int s = (digits_v<T> + 1) / 2;
    const T c = pow2<T>(s) + T(1);
    T t = c * a;
    T ta = t - a;
    T hi = t - ta;
    T lo = a - hi;
    return {hi, lo};
}

/// p + e = a * b exactly when no underflow occurs (Dekker's Mul12).
template <class T>
[[nodiscard]] constexpr dd<T> two_prod(const T& a, const T& b) {
    T p = a * b;
    dd<T> as = split(a);
    dd<T> bs = split(b);
    T hh = as.hi * bs.hi;
    T hl = as.hi * bs.lo;
    T lh = as.lo * bs.hi;
    T ll = as.lo * bs.lo;
    T e = hh - p;
    e = e + hl;
    e = e + lh;
    e = e + ll;
    return {p, e};
}

template <class T>
[[nodiscard]] constexpr dd<T> dd_from(const T& a) {
    return {a, T(0)};
}

template <class T>
[[nodiscard]] constexpr dd<T> neg(const dd<T>& a) {
    T h = -a.hi;
    T l = -a.lo;
    return {h, l};
}

/// Accurate double-word addition (Joldes-Muller-Popescu Alg. 6, error <= 3u^2).
template <class T>
[[nodiscard]] constexpr dd<T> add(const dd<T>& a, const dd<T>& b) {
    dd<T> s = two_sum(a.hi, b.hi);
    dd<T> t = two_sum(a.lo, b.lo);
    T c = s.lo + t.hi;
    dd<T> v = fast_two_sum(s.hi, c);
    T w = t.lo + v.lo;
    return fast_two_sum(v.hi, w);
}

template <class T>
[[nodiscard]] constexpr dd<T> sub(const dd<T>& a, const dd<T>& b) {
    return add(a, neg(b));
}

/// double-word + T (Joldes-Muller-Popescu Alg. 4, error <= 2u^2).
template <class T>
[[nodiscard]] constexpr dd<T> add(const dd<T>& a, const T& b) {
    dd<T> s = two_sum(a.hi, b);
    T v = a.lo + s.lo;
    return fast_two_sum(s.hi, v);
}

/// double-word * double-word (Joldes-Muller-Popescu Alg. 12 without FMA, error <= 5u^2).
template <class T>
[[nodiscard]] constexpr dd<T> mul(const dd<T>& a, const dd<T>& b) {
    dd<T> c = two_prod(a.hi, b.hi);
    T t1 = a.hi * b.lo;
    T t2 = a.lo * b.hi;
    T t = t1 + t2;
    T cl = c.lo + t;
    return fast_two_sum(c.hi, cl);
}

/// double-word * T (Joldes-Muller-Popescu Alg. 9, error <= 2u^2).
template <class T>
[[nodiscard]] constexpr dd<T> mul(const dd<T>& a, const T& b) {
    dd<T> c = two_prod(a.hi, b);
    T t = a.lo * b;
    T cl = c.lo + t;
    return fast_two_sum(c.hi, cl);
}

/// double-word / T (Joldes-Muller-Popescu Alg. 15, error <= 3u^2).
template <class T>
[[nodiscard]] constexpr dd<T> div(const dd<T>& a, const T& b) {
    T th = a.hi / b;
    dd<T> p = two_prod(th, b);
    T dh = a.hi - p.hi;
    T dt = dh - p.lo;
    T d = dt + a.lo;
    T tl = d / b;
    return fast_two_sum(th, tl);
}

/// double-word / double-word (Joldes-Muller-Popescu Alg. 17, error <= 15u^2).
template <class T>
[[nodiscard]] constexpr dd<T> div(const dd<T>& a, const dd<T>& b) {
    T th = a.hi / b.hi;
    dd<T> r = mul(b, th);
    T ph = a.hi - r.hi;
    T dl = a.lo - r.lo;
    T d = ph + dl;
    T tl = d / b.hi;
    return fast_two_sum(th, tl);
}

/// a * 2^k for both words (exact while no word leaves the normal range).
template <class T>
[[nodiscard]] constexpr dd<T> scale(const dd<T>& a, const T& pow2k) {
    T h = a.hi * pow2k;
    T l = a.lo * pow2k;
    return {h, l};
}

}  // namespace posenc::math::detail

namespace posenc::math::detail {

/// (a.hi + a.lo) * 2^k rounded ONCE to T, including into the subnormal range: for a subnormal
/// result, w = |a| * 2^(k - emin) < 1 is rounded to the subnormal grid as fl(1 + w) - 1 (the grid
/// of [1, 2) has exactly the subnormal spacing), which avoids the double rounding of a.hi * 2^k.
/// +-inf on overflow, +-0 on complete underflow. Requires a normalised (|a.lo| <= ulp(a.hi)/2).
template <class T>
[[nodiscard]] constexpr T ldexp_round(const dd<T>& a, long k) {
    if (a.hi == T(0) || !is_finite(a.hi)) return a.hi;
    constexpr long emin = real_traits<T>::min_exponent - 1;
    const decomposed<T> d = decompose(a.hi);
    if constexpr (real_traits<T>::has_denorm) {
        if (d.e + k < emin) {
            const bool negative = a.hi < T(0);
            const dd<T> mag = negative ? neg(a) : a;
            if (d.e + k < emin - digits_v<T> - 2) return negate_if(negative, T(0));
            const dd<T> w = scale(mag, pow2<T>(k - emin));  // exact: w in [2^-(p+2), 1)
            const T t = add(w, T(1)).hi;                     // the single rounding
            return negate_if(negative, T((t - T(1)) * pow2<T>(emin)));
        }
    }
    return ldexp(a.hi, k);
}

}  // namespace posenc::math::detail
