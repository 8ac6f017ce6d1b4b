// Uses an installed posenc through find_package(posenc) and posenc::posenc.
// Exits 0 when sin(1) and exp(1) are within posenc's documented accuracy and the float32 kernels
// (kernels.cpp) agree with their scalar twin and the double-precision encoding, 1 otherwise.
#include <posenc/math.hpp>

#include <fmt/core.h>

#include <bit>
#include <cstdint>

namespace {

// Correctly rounded binary64 values (mpmath at 300 bits, rounded to nearest):
//   sin(1) = 0.84147098480789650665250232163...  exp(1) = e = 2.71828182845904523536028747135...
constexpr double sin_1 = 0x1.aed548f090ceep-1;
constexpr double exp_1 = 0x1.5bf0a8b145769p+1;

// posenc documents sin and exp to within 1 ulp. sin(1) lies in [0.5, 1), where one ulp is 2^-53;
// exp(1) lies in [2, 4), where one ulp is 2^-51.
constexpr double sin_1_ulp = 0x1p-53;
constexpr double exp_1_ulp = 0x1p-51;

constexpr double distance(double a, double b) { return a > b ? a - b : b - a; }

// Both functions must be usable in constant expressions, with the same accuracy.
constexpr double sin_1_ct = posenc::math::sin(1.0);
constexpr double exp_1_ct = posenc::math::exp(1.0);
static_assert(distance(sin_1_ct, sin_1) <= sin_1_ulp, "posenc::math::sin(1.0) at compile time is off by more than 1 ulp");
static_assert(distance(exp_1_ct, exp_1) <= exp_1_ulp, "posenc::math::exp(1.0) at compile time is off by more than 1 ulp");

bool check(const char* name, double run_time, double compile_time, double expected, double ulp) {
    const double error_ulps = distance(run_time, expected) / ulp;
    // posenc runs the same algorithm at compile time and at run time: the results agree bit for bit.
    const bool same_bits = std::bit_cast<std::uint64_t>(run_time) == std::bit_cast<std::uint64_t>(compile_time);
    const bool ok = error_ulps <= 1.0 && same_bits;
    fmt::print("{} {}(1) = {:a} (compile time {:a}, correctly rounded {:a}): error {} ulp\n", ok ? "ok  " : "FAIL",
               name, run_time, compile_time, expected, error_ulps);
    return ok;
}

}  // namespace

bool kernels_ok();  // kernels.cpp

int main() {
    volatile double one = 1.0;  // read at run time, so the calls below are not constant-folded
    const double x = one;
    bool ok = check("sin", posenc::math::sin(x), sin_1_ct, sin_1, sin_1_ulp);
    ok = check("exp", posenc::math::exp(x), exp_1_ct, exp_1, exp_1_ulp) && ok;
    ok = kernels_ok() && ok;
    return ok ? 0 : 1;
}
