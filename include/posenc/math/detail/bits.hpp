// posenc/math/detail/bits.hpp: reading the binary expansions in tables.hpp, and turning integer
// limbs into T values exactly.
#pragma once

#include <cstdint>

#include "dd.hpp"
#include "tables.hpp"

namespace posenc::math::detail {

/// A binary expansion 0.b1 b2 b3 ... stored as 32-bit limbs, most significant first.
struct bit_table {
    const std::uint32_t* limbs;
    long count;  // number of limbs

    [[nodiscard]] constexpr long bits() const { return 32 * count; }

    /// Bits b_{start+1} ... b_{start+n} (0-based start: bit 0 is b1) as an integer, 1 <= n <= 32.
    /// Bits past the end of the table read as 0 (callers check the range first).
    [[nodiscard]] constexpr std::uint32_t get(long start, int n) const {
        const long w = start / 32;
        const int sh = static_cast<int>(start % 32);
        std::uint64_t hi = w < count ? limbs[w] : 0u;
        std::uint64_t lo = w + 1 < count ? limbs[w + 1] : 0u;
        std::uint64_t both = (hi << 32) | lo;
        both <<= sh;  // the wanted bits now start at bit 63
        return static_cast<std::uint32_t>(both >> (64 - n));
    }
};

inline constexpr bit_table two_over_pi_table{two_over_pi_bits, sizeof(two_over_pi_bits) / sizeof(std::uint32_t)};
inline constexpr bit_table pi_over_4_table{pi_over_4_bits, sizeof(pi_over_4_bits) / sizeof(std::uint32_t)};
inline constexpr bit_table ln2_table{ln2_bits, sizeof(ln2_bits) / sizeof(std::uint32_t)};

/// Chunk width (bits) such that every chunk is exactly representable in T.
template <class T>
constexpr int exact_chunk_bits_v = digits_v<T> >= 32 ? 32 : 16;

/// acc + v * 2^k, where v is a 32-bit integer, added exactly as one or two chunks.
template <class T>
[[nodiscard]] constexpr dd<T> add_scaled_limb(const dd<T>& acc, std::uint32_t v, long k) {
    if constexpr (exact_chunk_bits_v<T> == 32) {
        T term = T(static_cast<long long>(v)) * pow2<T>(k);
        return add(acc, term);
    } else {
        T hi = T(static_cast<long long>(v >> 16)) * pow2<T>(k + 16);
        T lo = T(static_cast<long long>(v & 0xFFFFu)) * pow2<T>(k);
        return add(add(acc, hi), lo);
    }
}

/// The expansion's value as a double-T: hi is the correctly rounded value (round to nearest from
/// the first digits+1 bits; ties cannot occur for an irrational constant, and the tests check
/// every tabulated constant against MPFR), lo is the rounded remainder. Requires the leading bit
/// b1 = 1 (value in [1/2, 1)) and 2*digits + 64 <= table bits.
template <class T>
[[nodiscard]] constexpr dd<T> table_value(const bit_table& tb) {
    constexpr int p = digits_v<T>;
    constexpr int cb = exact_chunk_bits_v<T>;
    static_assert(2 * p + 64 <= 2048, "posenc::math supports types with at most 992 significand bits");
    T hi = T(0);  // the first p bits; every partial sum is exact
    for (long pos = 0; pos < p; pos += cb) {
        const int n = static_cast<int>(p - pos < cb ? p - pos : cb);
        hi = hi + T(static_cast<long long>(tb.get(pos, n))) * pow2<T>(-(pos + n));
    }
    T rem = T(0);  // b_{p+1} b_{p+2} ... scaled, to about p bits
    for (long pos = p; pos < 2 * p + 64; pos += cb) {
        rem = rem + T(static_cast<long long>(tb.get(pos, cb))) * pow2<T>(-(pos + cb));
    }
    if (tb.get(p, 1) == 1u) {  // round to nearest: the remainder exceeds half an ulp
        const T ulp = pow2<T>(-p);
        hi = hi + ulp;         // exact (carries into 1 at most)
        rem = rem - ulp;       // exact by Sterbenz's lemma: rem in [ulp/2, ulp)
    }
    return {hi, rem};
}

/// True when T's arithmetic can run in constant expressions (float, double, long double,
/// __float128, posenc's own compile-time types); false for Boost.Multiprecision and MPFR types.
template <class T>
concept constexpr_arithmetic = requires { typename std::integral_constant<bool, (T(1) < T(2))>; };

enum class constant_id { pi_over_4, ln2 };

template <class T, constant_id K>
[[nodiscard]] constexpr dd<T> compute_constant() {
    if constexpr (K == constant_id::pi_over_4) {
        return table_value<T>(pi_over_4_table);
    } else {
        return table_value<T>(ln2_table);
    }
}

template <class T, constant_id K>
struct literal_constant {
    static constexpr dd<T> value = compute_constant<T, K>();
};

template <class T, constant_id K>
const dd<T>& runtime_constant() {
    static const dd<T> value = compute_constant<T, K>();
    return value;
}

/// A tabulated constant as a double-T, computed once per type (at compile time for literal types,
/// on first use otherwise).
template <class T, constant_id K>
[[nodiscard]] constexpr dd<T> constant() {
    if constexpr (constexpr_arithmetic<T>) {
        return literal_constant<T, K>::value;
    } else {
        return runtime_constant<T, K>();
    }
}

}  // namespace posenc::math::detail
