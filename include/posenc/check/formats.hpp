// posenc/check/formats.hpp: the binary floating formats an artifact comes in (float64, float32,
// float16, bfloat16, and TF32 for the matmul operands of one failure mode), rounding a value to
// them (nearest-even, subnormals, overflow to infinity) and the quantum (ulp) of a format at a
// value, the unit every error of `posenc check` is given in.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace posenc::check {

/// The storage types of an artifact.
enum class dtype { float64, float32, float16, bfloat16 };

/// A binary format: p significand bits (the implicit one included), normal values from 2^emin,
/// largest finite value max.
struct format {
    std::string_view name;
    int p;
    int emin;
    double max;
};

inline constexpr format float64_format{"float64", 53, -1022, std::numeric_limits<double>::max()};
inline constexpr format float32_format{"float32", 24, -126, 0x1.fffffep127};
inline constexpr format float16_format{"float16", 11, -14, 65504.0};
inline constexpr format bfloat16_format{"bfloat16", 8, -126, 0x1.fep127};
/// TF32 (tensor cores' "matmul precision high"): float32's range with 11 significant bits.
inline constexpr format tf32_format{"tf32", 11, -126, 0x1.ffcp127};

[[nodiscard]] constexpr const format& format_of(dtype t) {
    switch (t) {
        case dtype::float64: return float64_format;
        case dtype::float32: return float32_format;
        case dtype::float16: return float16_format;
        case dtype::bfloat16: break;
    }
    return bfloat16_format;
}

[[nodiscard]] constexpr std::string_view dtype_name(dtype t) { return format_of(t).name; }

/// "float64", "float32", "float16", "bfloat16" (also "fp16", "half", "bf16", "double", "float").
[[nodiscard]] inline std::optional<dtype> dtype_from_name(std::string_view s) {
    if (s == "float64" || s == "double" || s == "fp64") return dtype::float64;
    if (s == "float32" || s == "float" || s == "fp32") return dtype::float32;
    if (s == "float16" || s == "half" || s == "fp16") return dtype::float16;
    if (s == "bfloat16" || s == "bf16") return dtype::bfloat16;
    return std::nullopt;
}

/// The quantum (ulp) of f at a value of magnitude |v|: 2^(e - p + 1) for 2^e <= |v| < 2^(e+1),
/// the subnormal quantum below 2^emin (and at 0). Infinite or NaN v: the quantum at max.
[[nodiscard]] inline long double quantum(long double v, const format& f) {
    v = std::fabs(v);
    if (!std::isfinite(v)) v = f.max;
    int e = f.emin;
    if (v >= std::ldexp(1.0L, f.emin)) {
        (void)std::frexp(v, &e);  // v = m 2^e, 0.5 <= m < 1
        e -= 1;
    }
    return std::ldexp(1.0L, e - f.p + 1);
}

/// v rounded to nearest (ties to even) in f, as a double holding that value exactly; beyond the
/// largest finite value (after rounding) +-infinity; NaN stays NaN. Exact from a long double v
/// (64 significant bits) for every format with p <= 53 (one rounding, no double rounding).
[[nodiscard]] inline double round_to(long double v, const format& f) {
    if (!std::isfinite(v) || v == 0) return static_cast<double>(v);
    const long double q = quantum(v, f);
    const long double n = std::nearbyint(v / q);  // v / q is exact (a power of two); default mode: ties to even
    const long double r = n * q;
    if (std::fabs(r) > f.max) return std::copysign(std::numeric_limits<double>::infinity(), static_cast<double>(v));
    return static_cast<double>(r);
}

/// x + k quanta of f at x: the neighbours tried when a failure mode rounds a value in f (near a
/// power of two the step below it is twice too large; a neighbour search does not need it exact).
[[nodiscard]] inline double step(double x, int k, const format& f) {
    return static_cast<double>(x + k * quantum(x, f));
}

}  // namespace posenc::check
