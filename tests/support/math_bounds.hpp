// The bound checks of the math core's tests (test_exp, test_log, test_pow, test_sqrt, test_trig):
// the stated bound, and the measured ceiling that a doubled error would cross.
#pragma once

#include <boost/test/unit_test.hpp>

namespace posenc_test {

/// The largest error posenc::math's functions show against MPFR, with a margin: every maximum the
/// tests measure is at most 0.500001 ulp, at every type (README, Measured accuracy). The stated
/// bounds (1 ulp for the binary types, 4 for the multiprecision ones) would let a change that
/// doubles an error pass; this ceiling does not.
inline constexpr double math_measured_ceiling = 0.75;

/// Checks a checker's (or a max_error's) largest error against its stated bound and against the
/// measured ceiling of posenc::math (math_measured_ceiling).
template <class Checker>
void check_math_bounds(const Checker& c) {
    BOOST_TEST(c.max() <= c.bound(), "max " << c.max() << " ulp above the stated bound " << c.bound());
    BOOST_TEST(c.max() <= math_measured_ceiling,
               "max " << c.max() << " ulp above the measured ceiling " << math_measured_ceiling << " (0.500001 measured)");
}

}  // namespace posenc_test
