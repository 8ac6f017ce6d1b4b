// Deterministic double test points generated in constant expressions, and bit-level comparison of
// doubles (shared by the compile-time tests: test_constexpr_points.cpp, test_gcc_fold_gcc.cpp).
#pragma once

#include <bit>
#include <cstdint>

namespace posenc_test {

/// splitmix64 (Steele, Lea, Flood 2014, "Fast splittable pseudorandom number generators"):
/// a full-period 64-bit generator with good bit mixing.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
    state += 0x9e3779b97f4a7c15u;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/// True when a double bit pattern is finite (exponent field not all ones).
constexpr bool is_finite_bits(std::uint64_t bits) { return ((bits >> 52) & 0x7ffu) != 0x7ffu; }

/// The top 53 bits as a double in [0, 1).
constexpr double unit(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1p-53; }

/// m * 2^e for a double m and -1074 <= e <= 1023, exact while the result is representable.
constexpr double scale(double m, int e) {
    for (; e > 0; --e) m *= 2.0;
    for (; e < 0; ++e) m *= 0.5;
    return m;
}

inline std::uint64_t bits_of(double x) { return std::bit_cast<std::uint64_t>(x); }

/// Distance in representable doubles (0 for equal values, -0 == +0; 1 for neighbours).
inline std::uint64_t ulp_distance(double a, double b) {
    auto ordered = [](double x) {
        const std::uint64_t u = bits_of(x);
        const auto mag = static_cast<std::int64_t>(u & 0x7fffffffffffffffu);
        return (u >> 63) != 0 ? -mag : mag;
    };
    const std::int64_t d = ordered(a) - ordered(b);
    return d < 0 ? static_cast<std::uint64_t>(-d) : static_cast<std::uint64_t>(d);
}

}  // namespace posenc_test
