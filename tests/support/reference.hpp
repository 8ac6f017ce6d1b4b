// tests/support/reference.hpp: MPFR ground truth for posenc's accuracy tests.
//
// Every expected value in the math tests comes from MPFR (a correctly rounded multiple-precision
// library independent of posenc), evaluated at the precision of the type under test plus 64 bits.
// This header provides, for every type under test (float, double, long double, __float128 on g++,
// cpp_bin_float_50/100 and mpfr_float_50/100):
//   - exact conversion of a T value into an mpfr_t (`set_exact`) and correctly rounded conversion
//     of an mpfr_t into T, with subnormals and overflow handled as IEEE 754 does (`from_mpfr`);
//   - `ulp_error(computed, exact)`: |computed - exact| in ulps of T at `exact`;
//   - `max_error<T>`: records the largest ulp error seen and where, and prints it with {fmt};
//   - `sampler<T>`: seeded random values spread uniformly over the binades of T (random exponent,
//     then random significand bits), subnormal binades included;
//   - `sample_count(n)`: n, or n / 10 when the environment sets POSENC_QUICK=1.
#pragma once

#include <posenc/concepts.hpp>

#include "mpfr_light.hpp"
#include "type_lists.hpp"

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/mpfr.hpp>
#include <fmt/format.h>
#include <gmp.h>
#include <mpfr.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace posenc_test {

using boost::multiprecision::cpp_bin_float_100;
using boost::multiprecision::cpp_bin_float_50;
using boost::multiprecision::mpfr_float_100;
using boost::multiprecision::mpfr_float_50;

// ---------------------------------------------------------------------------------------------
// Small RAII wrapper around mpz_t (mp, the mpfr_t one, is in mpfr_light.hpp).
// ---------------------------------------------------------------------------------------------

/// An mpz_t with a lifetime.
class mpz {
public:
    mpz() { mpz_init(v_); }
    mpz(const mpz&) = delete;
    mpz& operator=(const mpz&) = delete;
    ~mpz() { mpz_clear(v_); }
    operator mpz_ptr() { return v_; }
    operator mpz_srcptr() const { return v_; }
    mpz_ptr get() { return v_; }
    mpz_srcptr get() const { return v_; }

private:
    mpz_t v_;
};

// ---------------------------------------------------------------------------------------------
// Type descriptions.
// ---------------------------------------------------------------------------------------------

template <class T>
inline constexpr bool is_native = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                  std::is_same_v<T, long double> || is_float128<T>;

template <class T>
inline constexpr bool is_cpp_bin_float =
    std::is_same_v<T, cpp_bin_float_50> || std::is_same_v<T, cpp_bin_float_100>;

template <class T>
inline constexpr bool is_mpfr_float =
    std::is_same_v<T, mpfr_float_50> || std::is_same_v<T, mpfr_float_100>;

template <class T>
inline constexpr int digits = posenc::real_traits<T>::digits;

/// Precision of the reference values: the type's precision plus 64 guard bits, so that the
/// reference's own rounding error is below 2^-64 ulp of T.
template <class T>
inline constexpr mpfr_prec_t ref_prec = digits<T> + 64;

template <class T>
constexpr std::string_view type_name() {
    if constexpr (std::is_same_v<T, float>) {
        return "float";
    } else if constexpr (std::is_same_v<T, double>) {
        return "double";
    } else if constexpr (std::is_same_v<T, long double>) {
        return "long double";
    } else if constexpr (is_float128<T>) {
        return "__float128";
    } else if constexpr (std::is_same_v<T, cpp_bin_float_50>) {
        return "cpp_bin_float_50";
    } else if constexpr (std::is_same_v<T, cpp_bin_float_100>) {
        return "cpp_bin_float_100";
    } else if constexpr (std::is_same_v<T, mpfr_float_50>) {
        return "mpfr_float_50";
    } else if constexpr (std::is_same_v<T, mpfr_float_100>) {
        return "mpfr_float_100";
    } else {
        static_assert(!sizeof(T), "type not supported by tests/support/reference.hpp");
    }
}

/// Smallest exponent e such that 2^e is a positive value of T: the subnormal quantum
/// 2^(min_exponent - digits) for types with gradual underflow, else the smallest normal.
template <class T>
constexpr long lowest_binade() {
    using R = posenc::real_traits<T>;
    return R::has_denorm ? R::min_exponent - R::digits : R::min_exponent - 1;
}

/// Largest e such that the binade [2^e, 2^(e+1)) holds finite values of T.
template <class T>
constexpr long highest_binade() {
    return posenc::real_traits<T>::max_exponent - 1;
}

// ---------------------------------------------------------------------------------------------
// __float128 <-> bits. binary128: 1 sign bit, 15 exponent bits (bias 16383), 112 fraction bits.
// x86-64 is little-endian: the low 64 bits come first in memory.
// ---------------------------------------------------------------------------------------------
#if POSENC_HAS_FLOAT128
struct f128_bits {
    std::uint64_t lo;
    std::uint64_t hi;
};
static_assert(sizeof(__float128) == 16);

inline f128_bits to_bits(__float128 x) {
    f128_bits b{};
    unsigned char raw[16];
    std::memcpy(raw, &x, 16);
    std::memcpy(&b.lo, raw, 8);
    std::memcpy(&b.hi, raw + 8, 8);
    return b;
}

inline __float128 from_bits(f128_bits b) {
    unsigned char raw[16];
    std::memcpy(raw, &b.lo, 8);
    std::memcpy(raw + 8, &b.hi, 8);
    __float128 x;
    std::memcpy(&x, raw, 16);
    return x;
}
#endif

// ---------------------------------------------------------------------------------------------
// T -> mpfr_t, exactly.
// ---------------------------------------------------------------------------------------------

/// Sets dst to x exactly. The precision of dst is set to digits<T> (enough for every value of T).
template <class T>
void set_exact(mpfr_ptr dst, const T& x) {
    mpfr_set_prec(dst, digits<T>);
    int inexact = 0;
    if constexpr (std::is_same_v<T, float>) {
        inexact = mpfr_set_flt(dst, x, MPFR_RNDN);
    } else if constexpr (std::is_same_v<T, double>) {
        inexact = mpfr_set_d(dst, x, MPFR_RNDN);
    } else if constexpr (std::is_same_v<T, long double>) {
        inexact = mpfr_set_ld(dst, x, MPFR_RNDN);
    } else if constexpr (is_float128<T>) {
#if POSENC_HAS_FLOAT128
        const f128_bits b = to_bits(x);
        const bool negative = (b.hi >> 63) != 0;
        const long biased = static_cast<long>((b.hi >> 48) & 0x7fff);
        const std::uint64_t frac_hi = b.hi & ((std::uint64_t{1} << 48) - 1);
        if (biased == 0x7fff) {
            if (frac_hi == 0 && b.lo == 0) {
                mpfr_set_inf(dst, negative ? -1 : 1);
            } else {
                mpfr_set_nan(dst);
            }
        } else {
            // significand n (integer) and exponent q: |x| = n * 2^q.
            mpz n;
            static_assert(sizeof(unsigned long) == 8, "LP64 expected");
            mpz_set_ui(n, static_cast<unsigned long>(frac_hi));
            mpz_mul_2exp(n, n, 64);
            mpz_add_ui(n, n, static_cast<unsigned long>(b.lo));
            long q = 0;
            if (biased == 0) {
                q = -16494;  // subnormal: 0.f * 2^-16382 = f * 2^(-16382-112)
            } else {
                mpz_setbit(n, 112);
                q = biased - 16383 - 112;
            }
            if (mpz_sgn(n.get()) == 0) {
                mpfr_set_zero(dst, negative ? -1 : 1);
            } else {
                inexact = mpfr_set_z_2exp(dst, n, q, MPFR_RNDN);
                if (negative) mpfr_neg(dst, dst, MPFR_RNDN);
            }
        }
#endif
    } else if constexpr (is_cpp_bin_float<T>) {
        using boost::multiprecision::frexp;
        using boost::multiprecision::ldexp;
        if (boost::multiprecision::isnan(x)) {
            mpfr_set_nan(dst);
        } else if (boost::multiprecision::isinf(x)) {
            mpfr_set_inf(dst, x < 0 ? -1 : 1);
        } else if (x == 0) {
            mpfr_set_zero(dst, boost::multiprecision::signbit(x) ? -1 : 1);
        } else {
            // |x| = m * 2^e with m in [0.5, 1): peel m into 32-bit chunks. Scaling by 2^32 and
            // subtracting the integer part are exact in cpp_bin_float, so no bit is lost.
            int e = 0;
            T m = frexp(x < 0 ? T(-x) : x, &e);
            mpfr_set_ui(dst, 0, MPFR_RNDN);
            long shift = 0;
            while (m != 0) {
                m = ldexp(m, 32);
                const auto chunk = static_cast<std::uint32_t>(m);
                m -= chunk;
                mpfr_mul_2ui(dst, dst, 32, MPFR_RNDN);
                inexact |= mpfr_add_ui(dst, dst, chunk, MPFR_RNDN);
                shift += 32;
            }
            mpfr_mul_2si(dst, dst, e - shift, MPFR_RNDN);
            if (x < 0) mpfr_neg(dst, dst, MPFR_RNDN);
        }
    } else if constexpr (is_mpfr_float<T>) {
        mpfr_set_prec(dst, std::max<mpfr_prec_t>(digits<T>, mpfr_get_prec(x.backend().data())));
        inexact = mpfr_set(dst, x.backend().data(), MPFR_RNDN);
    } else {
        static_assert(!sizeof(T), "type not supported");
    }
    if (inexact != 0) throw std::logic_error("set_exact: conversion to MPFR was not exact");
}

template <class T>
mp exact(const T& x) {
    mp r(digits<T>);
    set_exact(r, x);
    return r;
}

// ---------------------------------------------------------------------------------------------
// mpfr_t -> T, correctly rounded to nearest (ties to even), with T's subnormals and overflow.
// ---------------------------------------------------------------------------------------------
namespace detail {

/// Builds n * 2^q (n < 2^digits, exactly representable in T) with the sign.
template <class T>
T make_value(mpz_srcptr n, long q, bool negative) {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                  std::is_same_v<T, long double>) {
        const T v = std::ldexp(static_cast<T>(mpz_get_ui(n)), static_cast<int>(q));
        return negative ? -v : v;
    } else if constexpr (is_float128<T>) {
#if POSENC_HAS_FLOAT128
        mpz hi;
        mpz_fdiv_q_2exp(hi, n, 64);
        f128_bits b{};
        b.lo = mpz_get_ui(n);  // low 64 bits (mpz_get_ui returns the least significant limb)
        std::uint64_t top = mpz_get_ui(hi);
        if (mpz_tstbit(n, 112) != 0) {  // normal
            top &= (std::uint64_t{1} << 48) - 1;
            top |= static_cast<std::uint64_t>(q + 112 + 16383) << 48;
        }
        if (negative) top |= std::uint64_t{1} << 63;
        b.hi = top;
        return from_bits(b);
#endif
    } else if constexpr (is_cpp_bin_float<T>) {
        // Accumulate 32-bit chunks, most significant first: every partial sum is a prefix of n,
        // so it has at most digits<T> bits and every step is exact.
        const std::size_t bits = mpz_sizeinbase(n, 2);
        const std::size_t chunks = (bits + 31) / 32;
        T v = 0;
        mpz c;
        for (std::size_t i = chunks; i-- > 0;) {
            mpz_fdiv_q_2exp(c, n, 32 * i);
            mpz_fdiv_r_2exp(c, c, 32);
            v = boost::multiprecision::ldexp(v, 32) + T(static_cast<std::uint32_t>(mpz_get_ui(c)));
        }
        v = boost::multiprecision::ldexp(v, static_cast<int>(q));
        return negative ? T(-v) : v;
    } else {
        static_assert(!sizeof(T), "type not supported");
    }
}

}  // namespace detail

template <class T>
T quiet_nan();
template <class T>
T infinity();

template <class T>
T from_mpfr(mpfr_srcptr src) {
    using R = posenc::real_traits<T>;
    if constexpr (is_mpfr_float<T>) {
        T r;
        mpfr_set(r.backend().data(), src, MPFR_RNDN);
        return r;
    } else {
        if (mpfr_nan_p(src)) return quiet_nan<T>();
        const bool negative = mpfr_signbit(src) != 0;
        if (mpfr_inf_p(src)) return negative ? T(-infinity<T>()) : infinity<T>();
        if (mpfr_zero_p(src)) return negative ? T(-T(0)) : T(0);
        // |src| in [2^(e-1), 2^e): quantum of T there is 2^(e-1-(digits-1)), at least the
        // subnormal quantum.
        long q = static_cast<long>(mpfr_get_exp(src)) - R::digits;
        if (R::has_denorm) q = std::max(q, lowest_binade<T>());
        mp scaled(mpfr_get_prec(src));
        mpfr_abs(scaled, src, MPFR_RNDN);
        mpfr_mul_2si(scaled, scaled, -q, MPFR_RNDN);  // exact
        mpz n;
        mpfr_get_z(n, scaled, MPFR_RNDN);  // round to nearest integer, ties to even
        if (mpz_sizeinbase(n, 2) > static_cast<std::size_t>(R::digits)) {  // rounded up to 2^digits
            mpz_fdiv_q_2exp(n, n, 1);
            ++q;
        }
        if (mpz_sgn(n.get()) == 0) return negative ? T(-T(0)) : T(0);
        const long top = q + static_cast<long>(mpz_sizeinbase(n, 2)) - 1;
        if (top >= R::max_exponent) {
            if (!R::has_infinity) throw std::overflow_error("from_mpfr: value out of range");
            return negative ? T(-infinity<T>()) : infinity<T>();
        }
        if (top < R::min_exponent - 1 && !R::has_denorm) return negative ? T(-T(0)) : T(0);
        return detail::make_value<T>(n, q, negative);
    }
}

// ---------------------------------------------------------------------------------------------
// Special values and classification (through MPFR, uniformly for every type).
// ---------------------------------------------------------------------------------------------

template <class T>
T quiet_nan() {
    if constexpr (is_float128<T>) {
#if POSENC_HAS_FLOAT128
        return from_bits(f128_bits{0, 0x7fff800000000000ull});
#endif
    } else {
        return std::numeric_limits<T>::quiet_NaN();
    }
}

template <class T>
T infinity() {
    if constexpr (is_float128<T>) {
#if POSENC_HAS_FLOAT128
        return from_bits(f128_bits{0, 0x7fff000000000000ull});
#endif
    } else {
        return std::numeric_limits<T>::infinity();
    }
}

/// 2^e as a T (rounded if out of range: 0 or inf).
template <class T>
T pow2(long e) {
    mp v(8);
    mpfr_set_ui_2exp(v, 1, e, MPFR_RNDN);
    return from_mpfr<T>(v);
}

/// Largest finite value: (2 - 2^(1-digits)) * 2^(max_exponent-1).
template <class T>
T max_finite() {
    static_assert(is_native<T>, "range limits of the multiprecision types exceed MPFR's exponent range");
    using R = posenc::real_traits<T>;
    mp v(R::digits);
    mpfr_set_ui_2exp(v, 1, R::max_exponent, MPFR_RNDN);
    mpfr_nextbelow(v);
    return from_mpfr<T>(v);
}

/// Smallest positive normal value 2^(min_exponent-1).
template <class T>
T min_normal() {
    static_assert(is_native<T>, "range limits of the multiprecision types exceed MPFR's exponent range");
    return pow2<T>(posenc::real_traits<T>::min_exponent - 1);
}

/// Smallest positive value (the subnormal quantum for types with gradual underflow).
template <class T>
T true_min() {
    static_assert(is_native<T>, "range limits of the multiprecision types exceed MPFR's exponent range");
    return pow2<T>(lowest_binade<T>());
}

template <class T>
bool is_nan(const T& x) {
    if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
    return mpfr_nan_p(exact(x).get()) != 0;
}
template <class T>
bool is_inf(const T& x) {
    if constexpr (std::is_floating_point_v<T>) return std::isinf(x);
    return mpfr_inf_p(exact(x).get()) != 0;
}
template <class T>
bool sign_bit(const T& x) {
    if constexpr (std::is_floating_point_v<T>) return std::signbit(x);
    return mpfr_signbit(exact(x).get()) != 0;
}

/// Same value and same sign (so +0 and -0 differ), or both NaN.
template <class T>
bool identical(const T& a, const T& b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
        return a == b && std::signbit(a) == std::signbit(b);
    }
    const mp ea = exact(a);
    const mp eb = exact(b);
    if (mpfr_nan_p(ea.get()) || mpfr_nan_p(eb.get())) return mpfr_nan_p(ea.get()) && mpfr_nan_p(eb.get());
    return mpfr_equal_p(ea.get(), eb.get()) && mpfr_signbit(ea.get()) == mpfr_signbit(eb.get());
}

/// Neighbours in T: the next value of T above / below x, as IEEE 754 nextUp / nextDown
/// (next_up(max) = +inf, next_up(+inf) = +inf, next_up(-inf) = -max, NaN stays NaN).
template <class T>
T next_up(const T& x) {
    using R = posenc::real_traits<T>;
    mp v = exact(x);
    if (mpfr_nan_p(v.get()) || (mpfr_inf_p(v.get()) && !mpfr_signbit(v.get()))) return x;
    if (mpfr_inf_p(v.get())) {  // -inf: the most negative finite value
        mp m(R::digits);
        mpfr_set_si_2exp(m, -1, R::max_exponent, MPFR_RNDN);
        mpfr_nextabove(m);
        return from_mpfr<T>(m);
    }
    // Step by one quantum of T at x: the spacing of the binade, fixed in the subnormal range.
    mp q(8);
    long e = mpfr_zero_p(v.get()) ? lowest_binade<T>()
                                  : static_cast<long>(mpfr_get_exp(v.get())) - digits<T>;
    if (!mpfr_zero_p(v.get()) && mpfr_signbit(v.get()) && mpfr_cmp_si_2exp(v.get(), -1, e + digits<T> - 1) == 0)
        --e;  // -2^k: the value below it in magnitude is in the binade with half the quantum
    if (posenc::real_traits<T>::has_denorm) e = std::max(e, lowest_binade<T>());
    mpfr_set_ui_2exp(q, 1, e, MPFR_RNDN);
    mp r(digits<T> + 8);
    mpfr_add(r, v, q, MPFR_RNDN);
    return from_mpfr<T>(r);
}

template <class T>
T next_down(const T& x) {
    return T(-next_up<T>(T(-x)));
}

/// Steps k quanta from x (k may be negative).
template <class T>
T step(T x, int k) {
    for (; k > 0; --k) x = next_up(x);
    for (; k < 0; ++k) x = next_down(x);
    return x;
}

// ---------------------------------------------------------------------------------------------
// Printing.
// ---------------------------------------------------------------------------------------------

/// x as text: hexadecimal (exact) for the native types, decimal with max_digits10 for the
/// multiprecision ones.
template <class T>
std::string to_text(const T& x) {
    if constexpr (is_native<T>) {
        // C99 style "%a" with a normalised leading 1: [-]0x1.<hex>p<exp>, trailing zeros dropped.
        const mp v = exact(x);
        if (mpfr_nan_p(v.get())) return "nan";
        const std::string sign = mpfr_signbit(v.get()) ? "-" : "";
        if (mpfr_inf_p(v.get())) return sign + "inf";
        if (mpfr_zero_p(v.get())) return sign + "0x0p+0";
        const long e = static_cast<long>(mpfr_get_exp(v.get())) - 1;  // |x| = 1.f * 2^e
        const long frac_bits = (digits<T> - 1 + 3) / 4 * 4;              // padded to hex digits
        mp scaled(digits<T>);
        mpfr_abs(scaled, v, MPFR_RNDN);
        mpfr_mul_2si(scaled, scaled, frac_bits - e, MPFR_RNDN);  // exact: 1.f * 2^frac_bits
        mpz n;
        mpfr_get_z(n, scaled, MPFR_RNDN);  // an integer already
        mpz frac;
        mpz_fdiv_r_2exp(frac, n, static_cast<mp_bitcnt_t>(frac_bits));
        std::string hex(static_cast<std::size_t>(frac_bits / 4), '0');
        char* digits_text = mpz_get_str(nullptr, 16, frac);
        const std::string d(digits_text);
        void (*free_fn)(void*, std::size_t) = nullptr;
        mp_get_memory_functions(nullptr, nullptr, &free_fn);
        free_fn(digits_text, std::strlen(digits_text) + 1);
        if (mpz_sgn(frac.get()) != 0) hex.replace(hex.size() - d.size(), d.size(), d);
        while (!hex.empty() && hex.back() == '0') hex.pop_back();
        return fmt::format("{}0x1{}{}p{:+d}", sign, hex.empty() ? "" : ".", hex, e);
    } else {
        return x.str(std::numeric_limits<T>::max_digits10, std::ios_base::scientific);
    }
}

inline std::string mpfr_text(mpfr_srcptr v) {
    char* s = nullptr;
    if (mpfr_asprintf(&s, "%.40Re", v) < 0) return "?";
    std::string out(s);
    mpfr_free_str(s);
    return out;
}

// ---------------------------------------------------------------------------------------------
// ulp error.
// ---------------------------------------------------------------------------------------------

/// |computed - exact| / ulp(exact), where ulp(exact) = 2^(floor(log2|exact|) - digits + 1),
/// clamped below at the subnormal quantum 2^(min_exponent - digits) for types with subnormals.
/// Special cases: both NaN -> 0; one NaN -> inf. exact = +-inf: computed must be the same
/// infinity (0) else inf. exact = 0: computed must be zero (0) else inf (the sign of zero is
/// checked separately by the tests). computed = +-inf for a finite exact value: 0 if
/// round-to-nearest overflows there too (|exact| >= (2 - 2^-digits) * 2^(max_exponent-1)), else it
/// is measured as +-2^max_exponent, the value IEEE overflow stands for (so an infinity returned
/// for a value well inside the range is a huge error).
template <class T>
double ulp_error(const T& computed, mpfr_srcptr exact_value) {
    using R = posenc::real_traits<T>;
    constexpr double inf = std::numeric_limits<double>::infinity();
    mp c = exact(computed);
    const bool c_nan = mpfr_nan_p(c.get()) != 0;
    const bool e_nan = mpfr_nan_p(exact_value) != 0;
    if (c_nan || e_nan) return (c_nan && e_nan) ? 0.0 : inf;
    if (mpfr_inf_p(exact_value)) {
        return (mpfr_inf_p(c.get()) && mpfr_signbit(c.get()) == mpfr_signbit(exact_value)) ? 0.0 : inf;
    }
    if (mpfr_zero_p(exact_value)) return mpfr_zero_p(c.get()) ? 0.0 : inf;
    if (mpfr_inf_p(c.get())) {
        if (mpfr_signbit(c.get()) != mpfr_signbit(exact_value)) return inf;
        mp threshold(R::digits + 2);  // (2 - 2^-digits) * 2^(max_exponent-1): the RN overflow point
        mpfr_set_ui_2exp(threshold, 1, R::max_exponent, MPFR_RNDN);
        mp half_q(8);
        mpfr_set_ui_2exp(half_q, 1, R::max_exponent - R::digits - 1, MPFR_RNDN);
        mpfr_sub(threshold, threshold, half_q, MPFR_RNDN);  // exact at digits + 2 bits
        if (mpfr_cmpabs(exact_value, threshold) >= 0) return 0.0;
        mpfr_set_prec(c, 8);
        mpfr_set_ui_2exp(c, 1, R::max_exponent, MPFR_RNDN);
        if (mpfr_signbit(exact_value)) mpfr_neg(c, c, MPFR_RNDN);
    }
    long ulp_exp = static_cast<long>(mpfr_get_exp(exact_value)) - R::digits;
    if (R::has_denorm) ulp_exp = std::max(ulp_exp, lowest_binade<T>());
    mp diff(128);  // correctly rounded difference: relative error 2^-128, irrelevant here
    mpfr_sub(diff, c, exact_value, MPFR_RNDN);
    mpfr_abs(diff, diff, MPFR_RNDN);
    mpfr_mul_2si(diff, diff, -ulp_exp, MPFR_RNDN);
    return mpfr_get_d(diff, MPFR_RNDU);
}

// ---------------------------------------------------------------------------------------------
// Error accumulator.
// ---------------------------------------------------------------------------------------------

/// Records the largest ulp error of one function on one type, where it occurred, and (up to a
/// few) the arguments whose error exceeds the bound under test.
template <class T>
class max_error {
public:
    /// context: optional description of the arguments, printed after the function name.
    max_error(std::string function, double bound, std::string context = {})
        : function_(std::move(function)), context_(std::move(context)), bound_(bound) {}

    void record(double err, const T& x, mpfr_srcptr exact_value, const T& computed) {
        record_impl(err, "x = " + to_text(x), exact_value, computed);
    }
    void record(double err, const T& x, const T& y, mpfr_srcptr exact_value, const T& computed) {
        record_impl(err, "x = " + to_text(x) + ", y = " + to_text(y), exact_value, computed);
    }

    double max() const { return max_; }
    double bound() const { return bound_; }
    std::size_t count() const { return count_; }
    std::size_t failures() const { return failures_; }
    bool ok() const { return failures_ == 0; }

    /// e.g. "sin<double>: 1000000 points, max 0.501234 ulp at x = 0x1.921fb54442d18p+1".
    std::string summary() const {
        std::string s = fmt::format("{}<{}>{}: {} points, max {:.6f} ulp", function_, type_name<T>(),
                                    context_.empty() ? "" : " [" + context_ + "]", count_, max_);
        if (count_ > 0) s += " at " + where_;
        if (failures_ > 0) {
            s += fmt::format("\n  {} points above the bound of {} ulp, e.g.:", failures_, bound_);
            for (const auto& f : examples_) s += "\n    " + f;
        }
        return s;
    }

    /// Prints the summary on stdout (always visible in the test log).
    void print() const {
        fmt::print("{}\n", summary());
        std::fflush(stdout);
    }

private:
    void record_impl(double err, const std::string& where, mpfr_srcptr exact_value, const T& computed) {
        ++count_;
        if (count_ == 1 || err > max_) {
            max_ = err;
            where_ = where;
        }
        if (!(err <= bound_)) {
            ++failures_;
            if (examples_.size() < 8) {
                examples_.push_back(fmt::format("{}: got {}, exact {} ({:.4g} ulp)", where, to_text(computed),
                                                mpfr_text(exact_value), err));
            }
        }
    }

    std::string function_;
    std::string context_;
    double bound_;
    std::size_t count_ = 0;
    std::size_t failures_ = 0;
    double max_ = 0.0;
    std::string where_;
    std::vector<std::string> examples_;
};

// ---------------------------------------------------------------------------------------------
// Random arguments.
// ---------------------------------------------------------------------------------------------


enum class signs { positive, both };

/// Random values of T whose magnitude lies in the binades [2^lo, 2^(hi+1)), the binade chosen
/// uniformly among lo..hi, then the significand bits uniformly (for a subnormal binade only the
/// bits T has there). Every value produced is exactly representable in T.
template <class T>
class sampler {
public:
    sampler(std::uint64_t seed, long lo = lowest_binade<T>(), long hi = highest_binade<T>(),
            signs s = signs::both)
        : rng_(seed), binade_(lo, hi), signs_(s) {
        if (lo < lowest_binade<T>() || hi > highest_binade<T>() || lo > hi)
            throw std::invalid_argument("sampler: binade range outside the type");
        // The values must also convert exactly into MPFR (cpp_bin_float's exponent range is wider
        // than MPFR's default one): pass an explicit range for the multiprecision types.
        if (lo < static_cast<long>(mpfr_get_emin()) || hi >= static_cast<long>(mpfr_get_emax()))
            throw std::invalid_argument("sampler: binade range outside MPFR's exponent range");
    }

    T operator()() {
        const long e = binade_(rng_);
        const bool negative = signs_ == signs::both && (rng_() & 1u) != 0;
        return make(e, negative);
    }

    /// A value in the binade [2^e, 2^(e+1)) with random significand bits.
    T make(long e, bool negative) {
        using R = posenc::real_traits<T>;
        if (e < lowest_binade<T>() || e > highest_binade<T>()) throw std::invalid_argument("sampler: binade outside the type");
        long p = R::digits;  // significand bits available in this binade
        if (R::has_denorm && e < R::min_exponent - 1) p = e - lowest_binade<T>() + 1;
        const long q = e - p + 1;  // value = n * 2^q, 2^(p-1) <= n < 2^p
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                      std::is_same_v<T, long double>) {
            std::uint64_t n = rng_();
            n = (p == 64) ? n : (n & ((std::uint64_t{1} << (p - 1)) - 1));
            n |= std::uint64_t{1} << (p - 1);
            const T v = std::ldexp(static_cast<T>(n), static_cast<int>(q));
            return negative ? -v : v;
        } else {
            mpz n;
            mpz_set_ui(n, 1);
            long have = 1;
            while (have < p) {
                const long take = std::min<long>(64, p - have);
                std::uint64_t r = rng_();
                if (take < 64) r &= (std::uint64_t{1} << take) - 1;
                mpz_mul_2exp(n, n, static_cast<mp_bitcnt_t>(take));
                mpz_add_ui(n, n, static_cast<unsigned long>(r));
                have += take;
            }
            if constexpr (is_mpfr_float<T>) {
                mp v(R::digits);
                mpfr_set_z_2exp(v, n, q, MPFR_RNDN);
                if (negative) mpfr_neg(v, v, MPFR_RNDN);
                return from_mpfr<T>(v);
            } else {
                return detail::make_value<T>(n, q, negative);
            }
        }
    }

    std::mt19937_64& rng() { return rng_; }

private:
    std::mt19937_64 rng_;
    std::uniform_int_distribution<long> binade_;
    signs signs_;
};

/// A uniformly distributed double in [lo, hi) from the generator (for derived arguments).
inline double uniform(std::mt19937_64& rng, double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
}

/// A random value of T in [lo, hi] (lo <= hi, both values of T), uniform in the real sense:
/// lo + (hi - lo) * U with U carrying digits + 16 random bits, rounded to nearest in T.
template <class T>
T uniform_value(std::mt19937_64& rng, const T& lo, const T& hi) {
    constexpr long bits = digits<T> + 16;
    mpz n;
    mpz_set_ui(n, 0);
    for (long have = 0; have < bits; have += 64) {
        const long take = std::min<long>(64, bits - have);
        std::uint64_t r = rng();
        if (take < 64) r &= (std::uint64_t{1} << take) - 1;
        mpz_mul_2exp(n, n, static_cast<mp_bitcnt_t>(take));
        mpz_add_ui(n, n, static_cast<unsigned long>(r));
    }
    mp u(bits);
    mpfr_set_z_2exp(u, n, -bits, MPFR_RNDN);  // exact, in [0, 1)
    const mp elo = exact(lo);
    const mp ehi = exact(hi);
    mp v(4 * bits + 64);
    mpfr_sub(v, ehi, elo, MPFR_RNDN);
    mpfr_mul(v, v, u, MPFR_RNDN);
    mpfr_add(v, v, elo, MPFR_RNDN);
    return from_mpfr<T>(v);
}

/// The largest value of T not above v (v finite, inside T's range).
template <class T>
T round_down(mpfr_srcptr v) {
    T r = from_mpfr<T>(v);
    if (mpfr_cmp(exact(r).get(), v) > 0) r = next_down(r);
    return r;
}

/// The smallest value of T not below v (v finite, inside T's range).
template <class T>
T round_up(mpfr_srcptr v) {
    T r = from_mpfr<T>(v);
    if (mpfr_cmp(exact(r).get(), v) < 0) r = next_up(r);
    return r;
}

// ---------------------------------------------------------------------------------------------
// Reference helpers: f(x) in MPFR at ref_prec<T> for an exactly converted argument.
// ---------------------------------------------------------------------------------------------

using mpfr_unary = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t);
using mpfr_binary = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_srcptr, mpfr_rnd_t);

template <class T>
mp reference(mpfr_unary f, const T& x) {
    mp r(ref_prec<T>);
    f(r, exact(x), MPFR_RNDN);
    return r;
}

template <class T>
mp reference(mpfr_binary f, const T& x, const T& y) {
    mp r(ref_prec<T>);
    f(r, exact(x), exact(y), MPFR_RNDN);
    return r;
}

/// Checks a one-argument function of T against an MPFR function at ref_prec<T> and records the
/// ulp errors.
template <class T>
class unary_checker {
public:
    using function = T (*)(T);
    unary_checker(std::string name, function f, mpfr_unary ref, double bound, std::string context = {})
        : err_(std::move(name), bound, std::move(context)), f_(f), ref_(ref) {}

    /// Returns the ulp error at x.
    double check(const T& x) {
        const T y = f_(x);
        set_exact(xe_, x);
        ref_(r_, xe_, MPFR_RNDN);
        const double e = ulp_error(y, r_);
        err_.record(e, x, r_, y);
        return e;
    }

    const max_error<T>& errors() const { return err_; }
    double max() const { return err_.max(); }
    double bound() const { return err_.bound(); }
    void print() const { err_.print(); }

private:
    max_error<T> err_;
    function f_;
    mpfr_unary ref_;
    mp xe_{digits<T>};
    mp r_{ref_prec<T>};
};

/// Same for a two-argument function.
template <class T>
class binary_checker {
public:
    using function = T (*)(T, T);
    binary_checker(std::string name, function f, mpfr_binary ref, double bound, std::string context = {})
        : err_(std::move(name), bound, std::move(context)), f_(f), ref_(ref) {}

    double check(const T& x, const T& y) {
        const T z = f_(x, y);
        set_exact(xe_, x);
        set_exact(ye_, y);
        ref_(r_, xe_, ye_, MPFR_RNDN);
        const double e = ulp_error(z, r_);
        err_.record(e, x, y, r_, z);
        return e;
    }

    const max_error<T>& errors() const { return err_; }
    double max() const { return err_.max(); }
    double bound() const { return err_.bound(); }
    void print() const { err_.print(); }

private:
    max_error<T> err_;
    function f_;
    mpfr_binary ref_;
    mp xe_{digits<T>};
    mp ye_{digits<T>};
    mp r_{ref_prec<T>};
};

/// Calls f(std::type_identity<T>{}) for every type posenc supports (real_types): float, double,
/// long double, __float128 (g++), cpp_bin_float_50/100, mpfr_float_50/100.
template <class F>
void for_each_real_type(F&& f) {
    for_each_type<real_types>(std::forward<F>(f));
}

}  // namespace posenc_test
