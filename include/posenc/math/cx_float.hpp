// posenc/math/cx_float.hpp: cx_float<Limbs>, a binary floating-point type whose every operation
// runs in constant expressions, and cx_float50 = cx_float<6> (192-bit significand, 57.8 decimal
// digits): posenc::math's functions at 50+ digits at compile time.
//
// Format: sign, a `long` exponent e and a significand of 32*Limbs bits (the leading 1 stored, no
// hidden bit) in std::array<std::uint32_t, Limbs>, most significant limb first; a finite nonzero
// value is (-1)^sign * (limbs / 2^(32*Limbs - 1)) * 2^e, i.e. m * 2^e with m in [1, 2). Exponent
// range of IEEE binary128: finite values below 2^16384 (e <= 16383), normal values >= 2^-16382
// (e >= -16382). Classes: zero (signed), finite, infinity (signed), NaN (quiet, no payload).
//
// Rounding: +, -, *, / are correctly rounded to nearest, ties to even (IEEE 754-2019 4.3.1,
// roundTiesToEven): each is computed exactly, or exactly up to a sticky bit, then rounded once.
// This is what the error-free transformations of the math core (TwoSum, Veltkamp split, Dekker's
// Mul12; detail/dd.hpp) rely on. Division is Knuth's Algorithm D (TAOCP vol. 2, 4.3.1) on 32-bit
// digits, with the remainder as sticky bit.
// No subnormals: a result is first rounded to 32*Limbs bits with an unbounded exponent; if that
// rounded value is below 2^-16382 it becomes +-0 (flush to zero after rounding, sign kept), and if
// it is 2^16384 or more it becomes +-inf. std::numeric_limits says has_denorm = denorm_absent, so
// posenc::math's ldexp and exp flush the same way.
// Special values as IEEE 754: NaN propagates, inf - inf = NaN, 0 * inf = NaN, x / 0 = +-inf for
// x != 0, 0 / 0 = inf / inf = NaN, x + (-x) = +0, (-0) + (-0) = -0; comparisons are unordered with
// NaN (every one false except !=) and -0 == +0.
//
// Conversions: from every integral type (exact; 64 bits fit) and from float and double (exact,
// subnormals included, via std::bit_cast; implicit like the built-in conversions, since they never
// round). Explicit to float, double and long double (correctly rounded to nearest even, into the
// target's subnormals; +-inf beyond its range), to bool (x != 0) and to every integral type:
// truncation toward zero like static_cast from double, but defined everywhere: NaN -> 0, values
// beyond the target's range (infinities included) saturate to its min or max.
// Exact access for tests and tools: decompose() returns {class, sign, exponent, limbs} and
// from_parts(neg, exponent, limbs) builds n * 2^(exponent - 32*Limbs + 1) (normalising n).
//
// Cost per constant evaluation `constexpr cx_float50 v = F(cx_float50(x));` with g++ 12.2 and
// clang++ 14.0.6 (-std=c++20 -O2), and run time per call (-O2), on a 2-core AMD EPYC VM shared with
// other builds (seconds and ns: the best of five runs). Rerun: scripts/measure_cx_float.
//   call               clang steps   gcc ops  s/eval clang  s/eval gcc  gcc MiB/eval  ns g++  ns clang++
//   sin(1e6)                288768   3211264          0.23        0.21            18   59300       42900
//   sin(0.375)              226304   2441216          0.17        0.13            14   46300       35800
//   cos(1e6)                282624   3129344          0.22        0.26            18   56700       43800
//   exp(-12.5)              243200   2719744          0.21        0.24            18   54100       43300
//   log(3)                  587776   6537216          0.30        0.31            23   93400       77700
//   pow(1e4, -0.375)        731136   8159232          0.63        0.71            43  149500      117000
//   sqrt(2)                  12864    137728          0.01        0.01           0.6    3300        2700
// Every call fits the compilers' default limits (clang -fconstexpr-steps=1048576, gcc
// -fconstexpr-ops-limit=33554432); posenc's constants (pi/4, ln 2) cost 4000 steps once per
// translation unit. g++'s memory grows by the "gcc MiB/eval" column with every evaluation and is
// not given back before the end of the translation unit: spread hundreds of evaluations over
// several translation units. At run time one +, * or / takes about 30-55, 30-50 and 140 ns.
#pragma once

#include <array>
#include <bit>
#include <concepts>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../concepts.hpp"
#include "detail/float_ops.hpp"

namespace posenc::math {

namespace detail {
/// The integral types but bool (cx_float converts to bool as x != 0, not by truncation).
template <class I>
concept integer_type = std::integral<I> && !std::same_as<I, bool>;
}  // namespace detail

template <int Limbs>
class cx_float {
    static_assert(Limbs >= 2 && Limbs <= 30, "cx_float: 2 to 30 limbs (64 to 960 significand bits)");

public:
    using limbs_type = std::array<std::uint32_t, static_cast<std::size_t>(Limbs)>;

    /// Significand bits (the leading one included).
    static constexpr int digits = 32 * Limbs;
    /// Largest and smallest exponent e of a finite nonzero value m * 2^e, m in [1, 2) (IEEE 754's
    /// emax and emin of binary128; numeric_limits' max_exponent and min_exponent are one more).
    static constexpr long emax = 16383;
    static constexpr long emin = -16382;

    enum class kind : unsigned char { zero, finite, infinite, nan };

    /// The exact representation: for kind::finite, |x| = limbs * 2^(exponent - digits + 1) with
    /// the top bit of limbs[0] set; for the other kinds exponent is 0 and limbs are all zero.
    struct parts {
        kind cls;
        bool negative;
        long exponent;
        limbs_type limbs;
    };

    /// +0.
    constexpr cx_float() noexcept = default;

    /// Exact (every integer of up to 64 bits fits).
    template <std::integral I>
    constexpr cx_float(I v) noexcept {  // NOLINT(google-explicit-constructor): exact, like int -> double
        std::uint64_t mag = 0;
        if constexpr (std::is_signed_v<I>) {
            neg_ = v < 0;
            mag = neg_ ? std::uint64_t{0} - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
        } else {
            mag = static_cast<std::uint64_t>(v);
        }
        set_u64(mag);
    }

    /// Exact, subnormals included.
    constexpr cx_float(double v) noexcept {  // NOLINT(google-explicit-constructor): exact
        const auto bits = std::bit_cast<std::uint64_t>(v);
        neg_ = (bits >> 63) != 0;
        const long be = static_cast<long>((bits >> 52) & 0x7ffu);
        const std::uint64_t frac = bits & ((std::uint64_t{1} << 52) - 1);
        if (be == 0x7ff) {
            cls_ = frac == 0 ? kind::infinite : kind::nan;
        } else if (be == 0) {
            set_scaled(frac, -1074);
        } else {
            set_scaled(frac | (std::uint64_t{1} << 52), be - 1075);
        }
    }

    /// Exact, subnormals included.
    constexpr cx_float(float v) noexcept {  // NOLINT(google-explicit-constructor): exact
        const auto bits = std::bit_cast<std::uint32_t>(v);
        neg_ = (bits >> 31) != 0;
        const long be = static_cast<long>((bits >> 23) & 0xffu);
        const std::uint64_t frac = bits & ((std::uint32_t{1} << 23) - 1);
        if (be == 0xff) {
            cls_ = frac == 0 ? kind::infinite : kind::nan;
        } else if (be == 0) {
            set_scaled(frac, -149);
        } else {
            set_scaled(frac | (std::uint64_t{1} << 23), be - 150);
        }
    }

    // ---- exact access ------------------------------------------------------------------------

    [[nodiscard]] constexpr parts decompose() const noexcept { return {cls_, neg_, exp_, sig_}; }

    /// (-1)^neg * n * 2^(exponent - digits + 1) for the integer n held in sig (most significant
    /// limb first). A non-normalised n is shifted up (exactly); n = 0 gives a signed zero. If the
    /// normalised exponent is above emax the result is +-inf, below emin +-0.
    [[nodiscard]] static constexpr cx_float from_parts(bool neg, long exponent, const limbs_type& sig) noexcept {
        if ((sig[0] >> 31) != 0) return make_checked(neg, exponent, sig);
        int lz = 0;
        for (int i = 0; i < Limbs; ++i) {
            if (sig[idx(i)] != 0) {
                lz = 32 * i + std::countl_zero(sig[idx(i)]);
                limbs_type out{};
                shift_left(sig, lz, out);
                return make_checked(neg, exponent - lz, out);
            }
        }
        return make(kind::zero, neg, 0, limbs_type{});
    }

    [[nodiscard]] constexpr bool is_nan() const noexcept { return cls_ == kind::nan; }
    [[nodiscard]] constexpr bool is_inf() const noexcept { return cls_ == kind::infinite; }
    [[nodiscard]] constexpr bool is_zero() const noexcept { return cls_ == kind::zero; }
    [[nodiscard]] constexpr bool is_finite() const noexcept { return cls_ == kind::zero || cls_ == kind::finite; }
    [[nodiscard]] constexpr bool sign_bit() const noexcept { return neg_; }

    [[nodiscard]] static constexpr cx_float infinity(bool neg = false) noexcept {
        return make(kind::infinite, neg, 0, limbs_type{});
    }
    [[nodiscard]] static constexpr cx_float quiet_nan() noexcept { return make(kind::nan, false, 0, limbs_type{}); }
    /// The largest finite value, (2 - 2^(1-digits)) * 2^emax.
    [[nodiscard]] static constexpr cx_float max_value() noexcept {
        limbs_type s{};
        for (auto& l : s) l = 0xffffffffu;
        return make(kind::finite, false, emax, s);
    }
    /// 2^e for emin <= e <= emax (+-inf above, +0 below).
    [[nodiscard]] static constexpr cx_float pow2(long e) noexcept {
        limbs_type s{};
        s[0] = 0x80000000u;
        return make_checked(false, e, s);
    }

    // ---- conversions -------------------------------------------------------------------------

    /// Correctly rounded to nearest even (float, double, long double), subnormals and overflow
    /// as IEEE 754.
    template <std::floating_point F>
    [[nodiscard]] explicit constexpr operator F() const noexcept {
        using L = std::numeric_limits<F>;
        static_assert(L::radix == 2 && L::digits <= 64, "cx_float: conversion to a binary type of <= 64 bits");
        if (cls_ == kind::nan) return L::quiet_NaN();
        if (cls_ == kind::infinite) return neg_ ? -L::infinity() : L::infinity();
        if (cls_ == kind::zero) return neg_ ? -F(0) : F(0);
        constexpr int p = L::digits;
        constexpr long f_emin = L::min_exponent - 1;  // the target's smallest normal binade
        constexpr long f_emax = L::max_exponent - 1;
        if (exp_ > f_emax) return neg_ ? -L::infinity() : L::infinity();
        // keep k bits: p in the normal range, fewer in the subnormal one
        long k = exp_ >= f_emin ? p : p - (f_emin - exp_);
        if (k < 0) return neg_ ? -F(0) : F(0);  // below half the least subnormal
        std::uint64_t n = top_bits(static_cast<int>(k));
        const bool round = bit_at(static_cast<int>(k));
        const bool sticky = any_below(static_cast<int>(k) + 1);
        long q = exp_ - k + 1;                     // |x| ~ n * 2^q
        if (round && (sticky || (n & 1u) != 0)) {  // IEEE 754-2019 4.3.1, roundTiesToEven
            if (k > 0 && n == (k == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << k) - 1)) {
                n = std::uint64_t{1} << (k - 1);
                ++q;
            } else {
                ++n;
            }
        }
        if (n == 0) return neg_ ? -F(0) : F(0);
        if (q + (63 - std::countl_zero(n)) > f_emax) return neg_ ? -L::infinity() : L::infinity();
        F r = static_cast<F>(n);  // exact: n < 2^p
        // r * 2^q, exact in steps: every intermediate has n's bits at a scale between 1 and 2^q
        while (q > 60) {
            r = r * static_cast<F>(std::uint64_t{1} << 60);
            q -= 60;
        }
        while (q < -60) {
            r = r / static_cast<F>(std::uint64_t{1} << 60);
            q += 60;
        }
        if (q >= 0) {
            r = r * static_cast<F>(std::uint64_t{1} << q);
        } else {
            r = r / static_cast<F>(std::uint64_t{1} << (-q));
        }
        return neg_ ? -r : r;
    }

    /// Truncation toward zero; NaN -> 0, out of range (infinities included) -> I's min or max.
    template <detail::integer_type I>
    [[nodiscard]] explicit constexpr operator I() const noexcept {
        using L = std::numeric_limits<I>;
        if (cls_ == kind::nan || cls_ == kind::zero) return I(0);
        bool overflow = cls_ == kind::infinite || exp_ >= 64;
        std::uint64_t mag = 0;
        if (!overflow && exp_ >= 0) mag = top_bits(static_cast<int>(exp_ + 1));
        if (neg_) {
            if (mag == 0 && !overflow) return I(0);
            if constexpr (!std::is_signed_v<I>) {
                return I(0);
            } else {
                const std::uint64_t lim =
                    std::uint64_t{0} - static_cast<std::uint64_t>(static_cast<long long>(L::min()));
                if (overflow || mag >= lim) return L::min();
                return static_cast<I>(-static_cast<long long>(mag));
            }
        }
        if (overflow || mag > static_cast<std::uint64_t>(L::max())) return L::max();
        return static_cast<I>(mag);
    }

    /// x != 0 (true for NaN, as for the built-in types).
    [[nodiscard]] explicit constexpr operator bool() const noexcept { return cls_ != kind::zero; }

    // ---- arithmetic --------------------------------------------------------------------------

    [[nodiscard]] constexpr cx_float operator-() const noexcept {
        cx_float r = *this;
        r.neg_ = !r.neg_;
        return r;
    }
    [[nodiscard]] constexpr cx_float operator+() const noexcept { return *this; }

    [[nodiscard]] friend constexpr cx_float operator+(const cx_float& a, const cx_float& b) noexcept {
        return add_impl(a, b, b.neg_);
    }
    [[nodiscard]] friend constexpr cx_float operator-(const cx_float& a, const cx_float& b) noexcept {
        return add_impl(a, b, !b.neg_);
    }
    [[nodiscard]] friend constexpr cx_float operator*(const cx_float& a, const cx_float& b) noexcept {
        return mul_impl(a, b);
    }
    [[nodiscard]] friend constexpr cx_float operator/(const cx_float& a, const cx_float& b) noexcept {
        return div_impl(a, b);
    }
    constexpr cx_float& operator+=(const cx_float& b) noexcept { return *this = *this + b; }
    constexpr cx_float& operator-=(const cx_float& b) noexcept { return *this = *this - b; }
    constexpr cx_float& operator*=(const cx_float& b) noexcept { return *this = *this * b; }
    constexpr cx_float& operator/=(const cx_float& b) noexcept { return *this = *this / b; }

    // ---- comparisons (IEEE: NaN unordered, -0 == +0) -----------------------------------------

    [[nodiscard]] friend constexpr bool operator==(const cx_float& a, const cx_float& b) noexcept {
        return !a.is_nan() && !b.is_nan() && compare(a, b) == 0;
    }
    [[nodiscard]] friend constexpr bool operator!=(const cx_float& a, const cx_float& b) noexcept { return !(a == b); }
    [[nodiscard]] friend constexpr bool operator<(const cx_float& a, const cx_float& b) noexcept {
        return !a.is_nan() && !b.is_nan() && compare(a, b) < 0;
    }
    [[nodiscard]] friend constexpr bool operator<=(const cx_float& a, const cx_float& b) noexcept {
        return !a.is_nan() && !b.is_nan() && compare(a, b) <= 0;
    }
    [[nodiscard]] friend constexpr bool operator>(const cx_float& a, const cx_float& b) noexcept { return b < a; }
    [[nodiscard]] friend constexpr bool operator>=(const cx_float& a, const cx_float& b) noexcept { return b <= a; }

private:
    static constexpr int N = Limbs;
    static constexpr long P = 32L * Limbs;

    static constexpr std::size_t idx(int i) noexcept { return static_cast<std::size_t>(i); }

    static constexpr cx_float make(kind c, bool neg, long e, const limbs_type& s) noexcept {
        cx_float r;
        r.cls_ = c;
        r.neg_ = neg;
        r.exp_ = e;
        r.sig_ = s;
        return r;
    }

    /// A normalised significand with exponent e: +-inf above the range, +-0 below it.
    static constexpr cx_float make_checked(bool neg, long e, const limbs_type& s) noexcept {
        if (e > emax) return make(kind::infinite, neg, 0, limbs_type{});
        if (e < emin) return make(kind::zero, neg, 0, limbs_type{});
        return make(kind::finite, neg, e, s);
    }

    /// This = mag (sign already set).
    constexpr void set_u64(std::uint64_t mag) noexcept {
        if (mag == 0) return;  // zero (sign kept)
        const int lz = std::countl_zero(mag);
        mag <<= lz;
        cls_ = kind::finite;
        exp_ = 63 - lz;
        sig_[0] = static_cast<std::uint32_t>(mag >> 32);
        sig_[1] = static_cast<std::uint32_t>(mag);
    }

    /// This = n * 2^q (sign already set); the exponent must stay inside the range.
    constexpr void set_scaled(std::uint64_t n, long q) noexcept {
        set_u64(n);
        if (n != 0) exp_ += q;
    }

    /// out = in << s (0 <= s < 32 * size), bits shifted in are zero.
    template <std::size_t M>
    static constexpr void shift_left(const std::array<std::uint32_t, M>& in, int s,
                                     std::array<std::uint32_t, M>& out) noexcept {
        const int q = s / 32;
        const int r = s % 32;
        const int m = static_cast<int>(M);
        for (int i = 0; i < m; ++i) {
            const int j = i + q;
            std::uint32_t v = 0;
            if (j < m) {
                v = r == 0 ? in[idx(j)] : in[idx(j)] << r;
                if (r != 0 && j + 1 < m) v |= in[idx(j + 1)] >> (32 - r);
            }
            out[idx(i)] = v;
        }
    }

    /// The top k bits of the significand (0 <= k <= 64) as an integer.
    [[nodiscard]] constexpr std::uint64_t top_bits(int k) const noexcept {
        if (k == 0) return 0;
        const std::uint64_t hi = (std::uint64_t{sig_[0]} << 32) | sig_[1];
        return k == 64 ? hi : hi >> (64 - k);
    }

    /// Bit k of the significand counted from the top (bit 0 is the leading one).
    [[nodiscard]] constexpr bool bit_at(int k) const noexcept {
        if (k >= P) return false;
        return ((sig_[idx(k / 32)] >> (31 - k % 32)) & 1u) != 0;
    }

    /// Any bit from bit k (counted from the top) downwards set?
    [[nodiscard]] constexpr bool any_below(int k) const noexcept {
        if (k >= P) return false;
        const int w = k / 32;
        const int r = k % 32;
        if ((r == 0 ? sig_[idx(w)] : (sig_[idx(w)] & (0xffffffffu >> r))) != 0) return true;
        for (int i = w + 1; i < N; ++i) {
            if (sig_[idx(i)] != 0) return true;
        }
        return false;
    }

    // The arithmetic below reads and writes the limbs through raw pointers (std::array::data())
    // and built-in arrays: in a constant evaluation every operator[] is a function call, which
    // costs both compilers time and clang a step each.
    using u32 = std::uint32_t;
    using u64 = std::uint64_t;

    static constexpr cx_float zero(bool neg) noexcept { return make(kind::zero, neg, 0, limbs_type{}); }

    /// -1, 0, +1: |a| against |b|, both finite nonzero or infinite.
    static constexpr int compare_magnitude(const cx_float& a, const cx_float& b) noexcept {
        if (a.cls_ != b.cls_) return a.cls_ == kind::infinite ? 1 : -1;
        if (a.cls_ == kind::infinite) return 0;
        if (a.exp_ != b.exp_) return a.exp_ > b.exp_ ? 1 : -1;
        const u32* as = a.sig_.data();
        const u32* bs = b.sig_.data();
        for (int i = 0; i < N; ++i) {
            if (as[i] != bs[i]) return as[i] > bs[i] ? 1 : -1;
        }
        return 0;
    }

    /// -1, 0, +1 for two non-NaN values.
    static constexpr int compare(const cx_float& a, const cx_float& b) noexcept {
        const int sa = a.cls_ == kind::zero ? 0 : (a.neg_ ? -1 : 1);
        const int sb = b.cls_ == kind::zero ? 0 : (b.neg_ ? -1 : 1);
        if (sa != sb) return sa < sb ? -1 : 1;
        if (sa == 0) return 0;
        const int c = compare_magnitude(a, b);
        return sa > 0 ? c : -c;
    }

    /// The value (-1)^neg * w * 2^(e - 32m + 1) rounded to nearest even (IEEE 754-2019 4.3.1), for
    /// w of m >= N + 1 limbs, most significant first, top bit set; `sticky`: nonzero bits below w.
    /// The first N limbs are kept, limb N's top bit is the round bit, the rest is sticky. Then the
    /// exponent range: +-inf above, +-0 below (flush to zero after rounding).
    static constexpr cx_float finish(bool neg, long e, const u32* w, int m, bool sticky) noexcept {
        cx_float r;
        u32* s = r.sig_.data();
        for (int i = 0; i < N; ++i) s[i] = w[i];
        const u32 g = w[N];
        bool st = sticky || (g & 0x7fffffffu) != 0;
        for (int i = N + 1; i < m && !st; ++i) st = w[i] != 0;
        if ((g >> 31) != 0 && (st || (s[N - 1] & 1u) != 0)) {
            int i = N - 1;
            while (i >= 0 && ++s[i] == 0u) --i;  // add one ulp, carrying
            if (i < 0) {                         // 1.11...1 rounded up to 2
                s[0] = 0x80000000u;
                ++e;
            }
        }
        if (e > emax) return infinity(neg);
        if (e < emin) return zero(neg);
        r.cls_ = kind::finite;
        r.neg_ = neg;
        r.exp_ = e;
        return r;
    }

    /// a + b with b's sign replaced by bneg.
    static constexpr cx_float add_impl(const cx_float& a, const cx_float& b, bool bneg) noexcept {
        if (a.cls_ != kind::finite || b.cls_ != kind::finite) {
            if (a.cls_ == kind::nan || b.cls_ == kind::nan) return quiet_nan();
            if (a.cls_ == kind::infinite) {
                if (b.cls_ == kind::infinite && a.neg_ != bneg) return quiet_nan();  // inf - inf
                return a;
            }
            if (b.cls_ == kind::infinite) return infinity(bneg);
            if (b.cls_ == kind::zero) return a.cls_ == kind::zero ? zero(a.neg_ && bneg) : a;
            cx_float r = b;  // a is zero
            r.neg_ = bneg;
            return r;
        }
        const int c = compare_magnitude(a, b);
        const bool subtract = a.neg_ != bneg;
        if (c == 0 && subtract) return zero(false);  // x - x = +0 in round to nearest
        const cx_float& x = c >= 0 ? a : b;          // the larger magnitude
        const cx_float& y = c >= 0 ? b : a;
        const bool xneg = c >= 0 ? a.neg_ : bneg;
        const long d = x.exp_ - y.exp_;
        // y < 2^(x.exp - P - 1): below a quarter ulp of x (and below half the ulp under x when x is
        // a power of two), so x is the correctly rounded sum or difference.
        if (d > P + 1) {
            cx_float r = x;
            r.neg_ = xneg;
            return r;
        }
        const u32* xs = x.sig_.data();
        const u32* ys = y.sig_.data();
        const int q = static_cast<int>(d / 32);
        const int r = static_cast<int>(d % 32);
        // Limb i (0..N) of y's significand shifted right by d bits, limb N being the one below x's
        // last: y limb i - q shifted right by r, and the low r bits of y limb i - q - 1 above them.
        // Bits shifted out below limb N (only when q >= 1): low r bits of y limb N - q and y limbs
        // N - q + 1 .. N - 1 -> sticky.
        bool sticky = false;
        if (q >= 1) {
            sticky = r != 0 && (ys[N - q] & ((1u << r) - 1u)) != 0;
            for (int j = N - q + 1; j < N && !sticky; ++j) sticky = ys[j] != 0;
        }
        u32 z[N + 1] = {};
        long e = x.exp_;
        if (!subtract) {
            u64 carry = 0;
            for (int i = N; i >= 0; --i) {
                const int j = i - q;
                const u32 yv = (j >= 0 && j < N ? ys[j] >> r : 0u) | (r != 0 && j >= 1 ? ys[j - 1] << (32 - r) : 0u);
                const u64 t = u64{i < N ? xs[i] : 0u} + yv + carry;
                z[i] = static_cast<u32>(t);
                carry = t >> 32;
            }
            if (carry != 0) {  // sum in [2, 4): shift right by one
                sticky = sticky || (z[N] & 1u) != 0;
                for (int i = N; i > 0; --i) z[i] = (z[i] >> 1) | (z[i - 1] << 31);
                z[0] = (z[0] >> 1) | 0x80000000u;
                ++e;
            }
            return finish(xneg, e, z, N + 1, sticky);
        }
        // z = x - y - (sticky ? 1 : 0): the exact difference is z + f, 0 <= f < 1, f > 0 iff sticky.
        u64 borrow = sticky ? 1u : 0u;
        for (int i = N; i >= 0; --i) {
            const int j = i - q;
            const u32 yv = (j >= 0 && j < N ? ys[j] >> r : 0u) | (r != 0 && j >= 1 ? ys[j - 1] << (32 - r) : 0u);
            const u64 t = u64{i < N ? xs[i] : 0u} - yv - borrow;
            z[i] = static_cast<u32>(t);
            borrow = t >> 63;
        }
        // Normalise. With sticky set, d >= 32, so z > 2^(32N + 30): at most one bit of shift, and
        // the shifted-in zero keeps the bits above it exact (z + f < z + 1).
        if ((z[0] >> 31) == 0) {
            int lz = 0;
            while (z[lz / 32] == 0u) lz += 32;  // z != 0: |x| > |y|
            lz += std::countl_zero(z[lz / 32]);
            const int lq = lz / 32;
            const int lr = lz % 32;
            for (int i = 0; i <= N; ++i) {
                const int j = i + lq;
                z[i] = j > N ? 0u : (lr == 0 ? z[j] : (z[j] << lr) | (j < N ? z[j + 1] >> (32 - lr) : 0u));
            }
            e -= lz;
        }
        return finish(xneg, e, z, N + 1, sticky);
    }

    static constexpr cx_float mul_impl(const cx_float& a, const cx_float& b) noexcept {
        const bool neg = a.neg_ != b.neg_;
        if (a.cls_ != kind::finite || b.cls_ != kind::finite) {
            if (a.cls_ == kind::nan || b.cls_ == kind::nan) return quiet_nan();
            if (a.cls_ == kind::infinite || b.cls_ == kind::infinite) {
                if (a.cls_ == kind::zero || b.cls_ == kind::zero) return quiet_nan();  // 0 * inf
                return infinity(neg);
            }
            return zero(neg);
        }
        // Schoolbook product (Knuth TAOCP vol. 2, 4.3.1 Algorithm M), most significant limb first:
        // limb i of a times limb j of b lands in limb i + j + 1 of the 2N-limb product. Trailing
        // zero limbs (small integers, Veltkamp halves) are skipped.
        const u32* as = a.sig_.data();
        const u32* bs = b.sig_.data();
        int la = N;
        while (as[la - 1] == 0u) --la;
        int lb = N;
        while (bs[lb - 1] == 0u) --lb;
        u32 w[2 * N] = {};
        for (int i = la - 1; i >= 0; --i) {
            const u64 ai = as[i];
            u64 carry = 0;
            for (int j = lb - 1; j >= 0; --j) {
                const u64 t = ai * bs[j] + w[i + j + 1] + carry;
                w[i + j + 1] = static_cast<u32>(t);
                carry = t >> 32;
            }
            w[i] = static_cast<u32>(carry);
        }
        // the product of two values in [1, 2) is in [1, 4)
        long e = a.exp_ + b.exp_;
        if ((w[0] >> 31) != 0) {
            ++e;
        } else {  // shift the top N + 1 limbs left by one; w[N + 1]'s top bit moves into w[N]
            for (int i = 0; i <= N; ++i) w[i] = (w[i] << 1) | (w[i + 1] >> 31);
            w[N + 1] &= 0x7fffffffu;
        }
        return finish(neg, e, w, 2 * N, false);
    }

    static constexpr cx_float div_impl(const cx_float& a, const cx_float& b) noexcept {
        const bool neg = a.neg_ != b.neg_;
        if (a.cls_ != kind::finite || b.cls_ != kind::finite) {
            if (a.cls_ == kind::nan || b.cls_ == kind::nan) return quiet_nan();
            if (a.cls_ == kind::infinite) return b.cls_ == kind::infinite ? quiet_nan() : infinity(neg);
            if (b.cls_ == kind::infinite) return zero(neg);
            if (b.cls_ == kind::zero) return a.cls_ == kind::zero ? quiet_nan() : infinity(neg);
            return zero(neg);  // 0 / finite
        }
        // Q = floor(A * 2^(32K) / B) with K = N + 1 (Knuth TAOCP vol. 2, 4.3.1 Algorithm D; B is
        // normalised already, so D1 is a no-op). Trailing zero limbs of B are dropped: with
        // B = B' * 2^(32z), Q = floor(A * 2^(32(K - z)) / B'). Arrays least significant first.
        constexpr int K = N + 1;
        const u32* as = a.sig_.data();
        const u32* bs = b.sig_.data();
        int n = N;
        while (bs[n - 1] == 0u) --n;
        const int top = N + K - (N - n);  // u has top + 1 limbs, u[top] = 0; quotient limbs K .. 0
        u32 v[N] = {};
        for (int i = 0; i < n; ++i) v[i] = bs[n - 1 - i];
        u32 u[N + K + 1] = {};
        for (int i = 0; i < N; ++i) u[top - N + i] = as[N - 1 - i];
        u32 q[K + 1] = {};
        bool sticky = false;
        if (n == 1) {  // short division
            const u64 v0 = v[0];
            u64 rem = 0;
            for (int j = K; j >= 0; --j) {
                const u64 t = (rem << 32) | u[j];
                q[j] = static_cast<u32>(t / v0);
                rem = t % v0;
            }
            sticky = rem != 0;
        } else {
            const u64 vt = v[n - 1];
            const u64 vs = v[n - 2];
            for (int j = K; j >= 0; --j) {
                // D3: estimate qhat from the top two limbs, correct it with the third
                const u64 num = (u64{u[j + n]} << 32) | u[j + n - 1];
                u64 qhat = num / vt;
                u64 rhat = num % vt;
                while ((qhat >> 32) != 0 || qhat * vs > ((rhat << 32) | u[j + n - 2])) {
                    --qhat;
                    rhat += vt;
                    if ((rhat >> 32) != 0) break;
                }
                // D4: u[j .. j+n] -= qhat * v
                u64 carry = 0;
                u64 borrow = 0;
                for (int i = 0; i < n; ++i) {
                    const u64 p = qhat * v[i] + carry;
                    carry = p >> 32;
                    const u64 t = u64{u[i + j]} - (p & 0xffffffffu) - borrow;
                    u[i + j] = static_cast<u32>(t);
                    borrow = t >> 63;
                }
                const u64 t = u64{u[j + n]} - carry - borrow;
                u[j + n] = static_cast<u32>(t);
                if ((t >> 63) != 0) {  // D6: qhat was one too large, add v back
                    --qhat;
                    u64 c = 0;
                    for (int i = 0; i < n; ++i) {
                        const u64 s = u64{u[i + j]} + v[i] + c;
                        u[i + j] = static_cast<u32>(s);
                        c = s >> 32;
                    }
                    u[j + n] = static_cast<u32>(u[j + n] + c);
                }
                q[j] = static_cast<u32>(qhat);
            }
            for (int i = 0; i < n && !sticky; ++i) sticky = u[i] != 0;
        }
        // A/B in (1/2, 2): Q in [2^(32K-1), 2^(32K+1)). Most significant first, normalised.
        u32 w[K + 1] = {};
        long e = a.exp_ - b.exp_;
        if (q[K] != 0) {  // Q >= 2^(32K): shift left by 31
            for (int i = 0; i < K; ++i) w[i] = (q[K - i] << 31) | (q[K - i - 1] >> 1);
            w[K] = q[0] << 31;
        } else {
            for (int i = 0; i < K; ++i) w[i] = q[K - 1 - i];
            --e;
        }
        return finish(neg, e, w, K + 1, sticky);
    }

    limbs_type sig_{};
    long exp_ = 0;
    bool neg_ = false;
    kind cls_ = kind::zero;
};

/// 192-bit significand: 57.8 significant decimal digits.
using cx_float50 = cx_float<6>;

namespace detail {
template <int Limbs>
struct is_cx_float<cx_float<Limbs>> : std::true_type {};
}  // namespace detail

}  // namespace posenc::math

namespace std {

/// Format of cx_float: posenc::real_traits reads it (digits, exponent range, no subnormals).
template <int Limbs>
struct numeric_limits<posenc::math::cx_float<Limbs>> {
    using T = posenc::math::cx_float<Limbs>;

    static constexpr bool is_specialized = true;
    static constexpr int digits = T::digits;
    // floor((digits - 1) log10 2) and ceil(1 + digits log10 2), log10 2 = 0.301029995663981...
    // (these 15 digits give the exact values for every Limbs from 2 to 30)
    static constexpr int digits10 = static_cast<int>((digits - 1) * 301029995663981LL / 1000000000000000LL);
    static constexpr int max_digits10 = static_cast<int>(digits * 301029995663981LL / 1000000000000000LL) + 2;
    static constexpr bool is_signed = true;
    static constexpr bool is_integer = false;
    static constexpr bool is_exact = false;
    static constexpr int radix = 2;
    static constexpr int min_exponent = static_cast<int>(T::emin) + 1;  // -16381
    static constexpr int min_exponent10 = -4931;                        // ceil(log10(2^-16382))
    static constexpr int max_exponent = static_cast<int>(T::emax) + 1;  // 16384
    static constexpr int max_exponent10 = 4932;                         // floor(log10(max())), as binary128
    static constexpr bool has_infinity = true;
    static constexpr bool has_quiet_NaN = true;
    static constexpr bool has_signaling_NaN = false;
    static constexpr std::float_denorm_style has_denorm = std::denorm_absent;
    static constexpr bool has_denorm_loss = false;
    static constexpr bool is_iec559 = false;
    static constexpr bool is_bounded = true;
    static constexpr bool is_modulo = false;
    static constexpr bool traps = false;
    static constexpr bool tinyness_before = false;
    static constexpr std::float_round_style round_style = std::round_to_nearest;

    static constexpr T min() noexcept { return T::pow2(T::emin); }
    static constexpr T max() noexcept { return T::max_value(); }
    static constexpr T lowest() noexcept { return -T::max_value(); }
    static constexpr T epsilon() noexcept { return T::pow2(1 - T::digits); }
    static constexpr T round_error() noexcept { return T::pow2(-1); }
    static constexpr T infinity() noexcept { return T::infinity(); }
    static constexpr T quiet_NaN() noexcept { return T::quiet_nan(); }
    static constexpr T signaling_NaN() noexcept { return T::quiet_nan(); }
    static constexpr T denorm_min() noexcept { return T::pow2(T::emin); }
};

}  // namespace std

static_assert(posenc::Real<posenc::math::cx_float50>);
static_assert(posenc::real_traits<posenc::math::cx_float50>::digits == 192);
static_assert(!posenc::real_traits<posenc::math::cx_float50>::has_denorm);
