// posenc/math/detail/float_ops.hpp: exact building blocks on a Real T, usable in constant expressions.
//
// Everything here is exact (no rounding) unless stated: classification, powers of two, splitting a
// value into exponent and significand, and reading the significand as 32-bit integer limbs. Only
// the operations named by posenc::Real are used, so the same code runs on double at compile time
// and on an MPFR number at run time.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../../concepts.hpp"

namespace posenc::math::detail {

template <class T>
inline constexpr bool is_native_float_v = std::is_floating_point_v<T>
#if POSENC_HAS_FLOAT128
                                          || std::is_same_v<T, __float128>
#endif
    ;

template <class T>
constexpr int digits_v = real_traits<T>::digits;

/// True for posenc::math::cx_float<L> (specialised in ../cx_float.hpp): its representation is read
/// and built directly by the fast paths below, which give the same bits as the generic code.
template <class T>
struct is_cx_float : std::false_type {};

template <class T>
inline constexpr bool is_cx_float_v = is_cx_float<T>::value;

template <class T>
[[nodiscard]] constexpr bool is_nan(const T& x) {
    return !(x == x);
}

template <class T>
[[nodiscard]] constexpr bool is_inf(const T& x) {
    if (is_nan(x)) return false;
    T y = x - x;  // 0 for finite x, NaN for infinite x
    return !(y == y);
}

template <class T>
[[nodiscard]] constexpr bool is_finite(const T& x) {
    T y = x - x;
    return y == y;
}

template <class T>
[[nodiscard]] constexpr T abs(const T& x) {
    T r = x;
    if (r < T(0)) r = -r;
    return r;
}

/// -x when neg, else x; used to apply a sign without a ternary (expression-template safe).
template <class T>
[[nodiscard]] constexpr T negate_if(bool neg, const T& x) {
    if (neg) {
        T r = -x;
        return r;
    }
    return x;
}

template <class T>
[[nodiscard]] constexpr T infinity() {
#if POSENC_HAS_FLOAT128
    if constexpr (std::is_same_v<T, __float128>) return __builtin_inff128();
    else
#endif
        return std::numeric_limits<T>::infinity();
}

template <class T>
[[nodiscard]] constexpr T quiet_nan() {
#if POSENC_HAS_FLOAT128
    if constexpr (std::is_same_v<T, __float128>) return __builtin_nanf128("");
    else
#endif
        return std::numeric_limits<T>::quiet_NaN();
}

/// 2^k, exact, for k in [min_exponent - digits, max_exponent - 1] (subnormal powers included for
/// types with subnormals). Binary powering never squares past the last needed factor, so no
/// intermediate overflows.
template <class T>
[[nodiscard]] constexpr T pow2(long k) {
    if constexpr (std::is_same_v<T, double>) {
        if (k >= -1022 && k <= 1023) return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
    } else if constexpr (std::is_same_v<T, float>) {
        if (k >= -126 && k <= 127) return std::bit_cast<float>(static_cast<std::uint32_t>(k + 127) << 23);
    } else if constexpr (is_cx_float_v<T>) {
        if (k >= T::emin && k <= T::emax) return T::pow2(k);
    }
    T r = T(1);
    T b = T(2);
    if (k < 0) b = T(1) / T(2);
    unsigned long n = k >= 0 ? static_cast<unsigned long>(k) : static_cast<unsigned long>(-k);
    while (true) {
        if (n & 1u) r = r * b;
        n >>= 1;
        if (n == 0) break;
        b = b * b;
    }
    return r;
}

/// |x| = m * 2^e with m in [1, 2), for finite nonzero x.
template <class T>
struct decomposed {
    T m;
    long e;
};

template <class T>
[[nodiscard]] constexpr decomposed<T> decompose(const T& x) {
    T a = abs(x);
    if constexpr (std::is_same_v<T, double>) {
        auto bits = std::bit_cast<std::uint64_t>(a);
        long be = static_cast<long>(bits >> 52);
        if (be != 0) {
            return {std::bit_cast<double>((bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{1023} << 52)),
                    be - 1023};
        }
    } else if constexpr (std::is_same_v<T, float>) {
        auto bits = std::bit_cast<std::uint32_t>(a);
        long be = static_cast<long>(bits >> 23);
        if (be != 0) {
            return {std::bit_cast<float>((bits & ((std::uint32_t{1} << 23) - 1)) | (std::uint32_t{127} << 23)),
                    be - 127};
        }
    } else if constexpr (is_cx_float_v<T>) {
        const auto p = a.decompose();
        if (p.cls == T::kind::finite) return {T::from_parts(false, 0, p.limbs), p.exponent};
    }
    long e = 0;
    constexpr long min_normal_exp = real_traits<T>::min_exponent - 1;
    if (a < pow2<T>(min_normal_exp)) {  // subnormal: scale into the normal range first
        a = a * pow2<T>(digits_v<T>);
        e -= digits_v<T>;
    }
    // Powers 2^(2^j), built by squaring while they stay below the largest finite power of two.
    std::array<T, 40> pw{};
    std::array<T, 40> ipw{};
    pw[0] = T(2);
    ipw[0] = T(1) / T(2);
    int top = 0;
    constexpr long emax = real_traits<T>::max_exponent - 1;
    constexpr long emin = min_normal_exp;
    if (a >= T(2)) {
        while (top + 1 < 40 && (2L << top) <= emax && pw[top] * pw[top] <= a) {
            pw[top + 1] = pw[top] * pw[top];
            ipw[top + 1] = ipw[top] * ipw[top];
            ++top;
        }
        for (int j = top; j >= 0; --j) {
            if (a >= pw[j]) {
                a = a * ipw[j];
                e += 1L << j;
            }
        }
    } else if (a < T(1)) {
        while (top + 1 < 40 && -(2L << top) >= emin && ipw[top] * ipw[top] >= a) {
            pw[top + 1] = pw[top] * pw[top];
            ipw[top + 1] = ipw[top] * ipw[top];
            ++top;
        }
        for (int j = top; j >= 0; --j) {
            if (a < ipw[j]) {
                a = a * pw[j];
                e -= 1L << j;
            }
        }
        if (a < T(1)) {  // a in [1/2, 1)
            a = a * T(2);
            e -= 1;
        }
    }
    return {a, e};
}

/// x * 2^k rounded once to T: exact in the normal range, one correct rounding into subnormals,
/// +-inf on overflow, +-0 on complete underflow. Never overflows an intermediate.
template <class T>
[[nodiscard]] constexpr T ldexp(const T& x, long k) {
    if constexpr (is_cx_float_v<T>) {
        const auto p = x.decompose();
        if (p.cls != T::kind::finite) return x;
        return T::from_parts(p.negative, p.exponent + k, p.limbs);  // +-inf above, +-0 below the range
    }
    if (x == T(0) || !is_finite(x)) return x;
    const bool neg = x < T(0);
    decomposed<T> d = decompose(x);
    long E = d.e + k;
    constexpr long emax = real_traits<T>::max_exponent - 1;
    constexpr long emin = real_traits<T>::min_exponent - 1;
    constexpr int p = digits_v<T>;
    if (E > emax) return negate_if(neg, infinity<T>());
    if (E >= emin) return negate_if(neg, T(d.m * pow2<T>(E)));
    if constexpr (real_traits<T>::has_denorm) {
        if (E < emin - p - 1) return negate_if(neg, T(0));
        T scaled = d.m * pow2<T>(E - emin);  // exact: exponent in [-p-1, -1]
        return negate_if(neg, T(scaled * pow2<T>(emin)));  // the single rounding
    } else {
        return negate_if(neg, T(0));
    }
}

/// Number of 32-bit limbs that hold a digits-bit significand.
template <class T>
constexpr int sig_limbs_v = (digits_v<T> + 31) / 32;

/// Significand of m in [1, 2) as the integer m * 2^(32n - 1) in n = sig_limbs_v<T> limbs, most
/// significant limb first (so limb 0 has its top bit set). Exact: each step removes an integer
/// part that has at most digits significant bits.
template <class T>
[[nodiscard]] constexpr std::array<std::uint32_t, sig_limbs_v<T>> significand_limbs(const T& m) {
    if constexpr (is_cx_float_v<T>) {
        static_assert(sig_limbs_v<T> * 32 == digits_v<T>);
        return m.decompose().limbs;  // the same integer, m * 2^(digits - 1), most significant first
    }
    std::array<std::uint32_t, sig_limbs_v<T>> out{};
    T z = m / T(2);  // in [1/2, 1)
    const T two32 = pow2<T>(32);
    for (int i = 0; i < sig_limbs_v<T>; ++i) {
        z = z * two32;
        long long v = static_cast<long long>(z);
        out[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(v);
        z = z - T(v);
    }
    return out;
}

}  // namespace posenc::math::detail
