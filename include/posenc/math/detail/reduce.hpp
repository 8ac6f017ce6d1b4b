// posenc/math/detail/reduce.hpp: exact argument reduction x = q*(pi/2) + r, |r| <= pi/4.
//
// Method: Payne & Hanek 1983 ("Radian reduction for trigonometric functions", SIGNUM Newsletter
// 18(1)), done entirely in integer arithmetic as in Ng 1992 ("Argument reduction for huge
// arguments: good to the last bit", Sun Microsystems) and Muller, "Elementary Functions", 3rd ed.,
// section 11.4. Write |x| = M * 2^E with M an integer of 32n bits. Then
//     x * 2/pi = sum_j M * b_j * 2^(E-j),   2/pi = 0.b1 b2 b3 ... (binary),
// and every term with E - j >= 2 is a multiple of 4, so only the bits b_j with j >= E - 1 matter for
// the quadrant q = floor(x*2/pi + 1/2) mod 4 and the fraction. Multiplying M by the window of bits
// E-1 .. E + 32n + K gives the fraction to K bits after the binary point with error < 2^-K.
//
// K is 2p + 104 rounded up to a multiple of 32 (p = significand bits of T). The fraction can be as
// small as about 2^-(p + log2(exponent range) + a few) (Muller, Table 11.1: for double the worst
// case, 6381956970095103 * 2^797, leaves 2^-61.9 after reduction), so K leaves at least p + 40
// correct bits after that cancellation, which is what the double-T kernels need for a result within
// one ulp. Nothing is approximated before the final conversion of the fraction to a double-T.
//
// Range: the 2/pi table holds 17408 bits, enough for |x| < 2^max_reducible_exponent<T>(), which
// covers every finite float, double, long double and __float128. Multiprecision types with a wider
// exponent range throw std::domain_error beyond it (a compile error in a constant expression).
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>

#include "bits.hpp"

namespace posenc::math::detail {

template <class T>
constexpr long reduction_fraction_bits_v = 32 * ((2L * digits_v<T> + 104 + 31) / 32);

template <class T>
[[nodiscard]] constexpr long max_reducible_exponent_impl() {
    return two_over_pi_table.bits() - reduction_fraction_bits_v<T>;
}

template <class T>
struct reduced {
    unsigned q;  // quadrant, mod 4
    dd<T> r;     // |r| <= pi/4 (+ rounding)
};

/// Reduction of ax > 0, finite. Returns q and r with ax = q*pi/2 + r (mod 2*pi).
template <class T>
[[nodiscard]] constexpr reduced<T> reduce_half_pi(const T& ax) {
    const dd<T> pio4 = constant<T, constant_id::pi_over_4>();
    if (ax <= pio4.hi) return {0u, dd_from(ax)};

    constexpr int n = sig_limbs_v<T>;
    constexpr long K = reduction_fraction_bits_v<T>;
    const decomposed<T> d = decompose(ax);
    if (d.e >= max_reducible_exponent_impl<T>()) {
        throw std::domain_error(
            "posenc::math: sin/cos argument beyond the exact reduction range of this type "
            "(|x| >= 2^max_reducible_exponent<T>())");
    }
    const std::array<std::uint32_t, n> msb_first = significand_limbs(d.m);
    const long E = d.e - 32L * n + 1;  // ax = M * 2^E
    const long j1 = E + 32L * n + K;   // last bit of 2/pi used (1-based)
    const long j0 = E - 1 > 1 ? E - 1 : 1;

    // W = sum_{j=j0}^{j1} b_j 2^(j1-j), least significant limb first.
    constexpr long max_w = (32L * n + K + 2 + 31) / 32 + 1;
    std::array<std::uint32_t, max_w> w{};
    const long wbits = j1 - j0 + 1;
    const long nw = (wbits + 31) / 32;
    for (long k = 0; k < nw; ++k) {
        const long first = j1 - 32 * k - 31;  // 1-based index of the limb's most significant bit
        if (first >= j0) {
            w[static_cast<std::size_t>(k)] = two_over_pi_table.get(first - 1, 32);
        } else {
            const int count = static_cast<int>(j1 - 32 * k - j0 + 1);
            w[static_cast<std::size_t>(k)] = two_over_pi_table.get(j0 - 1, count);
        }
    }

    // P = M * W, least significant limb first.
    std::array<std::uint32_t, n + max_w> prod{};
    for (long i = 0; i < n; ++i) {
        const std::uint64_t mi = msb_first[static_cast<std::size_t>(n - 1 - i)];
        std::uint64_t carry = 0;
        for (long k = 0; k < nw; ++k) {
            const std::size_t idx = static_cast<std::size_t>(i + k);
            const std::uint64_t t = mi * w[static_cast<std::size_t>(k)] + prod[idx] + carry;
            prod[idx] = static_cast<std::uint32_t>(t);
            carry = t >> 32;
        }
        for (long idx = i + nw; carry != 0 && idx < n + max_w; ++idx) {
            const std::uint64_t t = std::uint64_t{prod[static_cast<std::size_t>(idx)]} + carry;
            prod[static_cast<std::size_t>(idx)] = static_cast<std::uint32_t>(t);
            carry = t >> 32;
        }
    }

    // Binary point after F = 32n + K bits: limbs [0, F/32) are the fraction, limb F/32 holds q.
    constexpr long fl = (32L * n + K) / 32;
    unsigned q = prod[static_cast<std::size_t>(fl)] & 3u;
    bool negative = false;
    if ((prod[static_cast<std::size_t>(fl - 1)] >> 31) != 0) {  // fraction >= 1/2: take f - 1
        negative = true;
        q = (q + 1) & 3u;
        std::uint64_t borrow = 1;  // two's complement over F bits: 2^F - f = ~f + 1
        for (long i = 0; i < fl; ++i) {
            const std::uint64_t t = std::uint64_t{static_cast<std::uint32_t>(~prod[static_cast<std::size_t>(i)])} + borrow;
            prod[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(t);
            borrow = t >> 32;
        }
    }

    // Fraction to double-T: about 2p + 40 bits from the leading nonzero limb down.
    long top = fl - 1;
    while (top >= 0 && prod[static_cast<std::size_t>(top)] == 0u) --top;
    dd<T> f{T(0), T(0)};
    const long needed_limbs = (2L * digits_v<T> + 40 + 31) / 32 + 1;
    for (long i = top; i >= 0 && i > top - needed_limbs; --i) {
        f = add_scaled_limb(f, prod[static_cast<std::size_t>(i)], 32 * i - 32L * fl);
    }
    const dd<T> half_pi_dd = scale(pio4, T(2));
    dd<T> r = mul(f, half_pi_dd);
    if (negative) r = neg(r);
    return {q, r};
}

}  // namespace posenc::math::detail
