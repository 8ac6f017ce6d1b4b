// posenc::math::sin, cos and exp evaluated in constant expressions at 1000 double points each.
//
// Every value is its own constant evaluation (one variable template instance per point), so each
// stays within the compilers' default constexpr limits (clang -fconstexpr-steps=1048576 per
// evaluation; gcc -fconstexpr-ops-limit=2^25, -fconstexpr-loop-limit=262144); this file must build
// without raising any of them. At run time each compile-time value is compared
//   1. bit for bit with the same function computed at run time (posenc promises the same algorithm
//      in both), and
//   2. with MPFR (53+64 bits, rounded to nearest double): at most 1 ulp apart.
#define BOOST_TEST_MODULE constexpr_points
#include <boost/test/unit_test.hpp>

#include <posenc/math.hpp>
#include <support/constexpr_points.hpp>

#include <fmt/core.h>
#include <mpfr.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace {

constexpr std::size_t n_points = 1000;

// ---------------------------------------------------------------------------------------------
// Deterministic points, generated at compile time.

using posenc_test::is_finite_bits;
using posenc_test::scale;
using posenc_test::splitmix64;
using posenc_test::unit;

// sin/cos: special and hard arguments first, then in turn
//  - random bit patterns of finite doubles, which spread evenly over all binades from the smallest
//    subnormal to DBL_MAX, both signs (about half of them huge, a quarter below 2^-27), and
//  - random doubles with |x| in [2^-30, 2^64), both signs, where the series and the reduction by
//    pi/2 do the most distinct work.
constexpr std::array<double, n_points> make_trig_points() {
    constexpr double fixed[] = {
        0x0.0000000000001p-1022,   // smallest subnormal
        -0x0.0000000000001p-1022,  //
        0x0.fffffffffffffp-1022,   // largest subnormal
        0x1p-1022,                 // DBL_MIN
        -0x1p-1022,                //
        0x1.fffffffffffffp+1023,   // DBL_MAX
        -0x1.fffffffffffffp+1023,  //
        0x1.6ac5b262ca1ffp+849,    // 6381956970095103 * 2^797, the double closest to a
                                   // multiple of pi/2
        -0x1.6ac5b262ca1ffp+849,   //
        1e300,
        1e22,
        0x1p+1023,
        0x1p+53,
        0x1.921fb54442d18p+1,  // nearest double to pi
        0x1.921fb54442d18p+0,  // nearest double to pi/2
        0x1.921fb54442d18p-1,  // nearest double to pi/4
        0x1.2d97c7f3321d2p+1,  // nearest double to 3pi/4
        355.0,                 // close to 113 pi
        -355.0,
        0.5,
        1.0,
        -1.0,
        2.0,
        0x1p-27,
        0x1p-26,
    };
    std::array<double, n_points> p{};
    std::size_t i = 0;
    for (double x : fixed) p[i++] = x;
    std::uint64_t state = 0x7e57c0de5eed0001u;
    bool full_range = true;
    while (i < n_points) {
        const std::uint64_t bits = splitmix64(state);
        if (full_range) {
            if (!is_finite_bits(bits)) continue;
            p[i++] = std::bit_cast<double>(bits);
        } else {
            const int e = static_cast<int>(bits % 94) - 30;  // [-30, 63]
            const double m = 1.0 + unit(splitmix64(state));  // [1, 2)
            const double sign = ((bits >> 40) & 1u) != 0 ? -1.0 : 1.0;
            p[i++] = sign * scale(m, e);
        }
        full_range = !full_range;
    }
    return p;
}

// exp: from -745 (result rounds to the smallest subnormal) to 709.7 (result near DBL_MAX).
// Half uniform over that interval, half random bit patterns with |x| inside it (these cover the
// binades of small |x| down to subnormal arguments).
constexpr double exp_lo = -745.0;
constexpr double exp_hi = 709.7;

constexpr std::array<double, n_points> make_exp_points() {
    constexpr double fixed[] = {
        -745.0,
        709.7,
        0x1.62e42fefa39efp+9,  // largest x with exp(x) finite (just below ln DBL_MAX)
        -0x1.6232bdd7abcd2p+9,  // ln DBL_MIN = -708.396...: near the normal/subnormal boundary
        -0x1.74385446d71c3p+9,  // about -744.44: ln of the smallest subnormal
        0.0,
        -0.0,
        0x0.0000000000001p-1022,
        -0x0.0000000000001p-1022,
        0x1p-1022,
        0x1p-53,
        -0x1p-54,
        0x1.62e42fefa39efp-1,  // nearest double to ln 2
        1.0,
        -1.0,
        0.5,
        10.0,
        -10.0,
        100.0,
        -100.0,
    };
    std::array<double, n_points> p{};
    std::size_t i = 0;
    for (double x : fixed) p[i++] = x;
    std::uint64_t state = 0x0e4e4e4e00000002u;
    bool uniform = true;
    while (i < n_points) {
        const std::uint64_t bits = splitmix64(state);
        if (uniform) {
            p[i++] = exp_lo + unit(bits) * (exp_hi - exp_lo);
            uniform = false;
        } else if (is_finite_bits(bits)) {
            const double x = std::bit_cast<double>(bits);
            if (x >= exp_lo && x <= exp_hi) {
                p[i++] = x;
                uniform = true;
            }
        }
    }
    return p;
}

constexpr std::array<double, n_points> trig_points = make_trig_points();
constexpr std::array<double, n_points> exp_points = make_exp_points();

// ---------------------------------------------------------------------------------------------
// Compile-time values: one constant evaluation per point.

struct sin_fn {
    static constexpr const char* name = "sin";
    constexpr double operator()(double x) const { return posenc::math::sin(x); }
};
struct cos_fn {
    static constexpr const char* name = "cos";
    constexpr double operator()(double x) const { return posenc::math::cos(x); }
};
struct exp_fn {
    static constexpr const char* name = "exp";
    constexpr double operator()(double x) const { return posenc::math::exp(x); }
};

template <class F, const std::array<double, n_points>& Points, std::size_t I>
constexpr double value_at = F{}(Points[I]);

template <class F, const std::array<double, n_points>& Points, std::size_t... I>
constexpr std::array<double, n_points> gather(std::index_sequence<I...>) {
    return {value_at<F, Points, I>...};
}

constexpr std::array<double, n_points> sin_ct =
    gather<sin_fn, trig_points>(std::make_index_sequence<n_points>{});
constexpr std::array<double, n_points> cos_ct =
    gather<cos_fn, trig_points>(std::make_index_sequence<n_points>{});
constexpr std::array<double, n_points> exp_ct =
    gather<exp_fn, exp_points>(std::make_index_sequence<n_points>{});

// ---------------------------------------------------------------------------------------------
// Run-time helpers.

using posenc_test::bits_of;
using posenc_test::ulp_distance;

// The argument goes through a volatile object so the call below is really computed at run time.
template <class F>
double at_run_time(double x) {
    volatile double opaque = x;
    const double arg = opaque;
    return F{}(arg);
}

using mpfr_fn = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t);

struct mpfr_reference {
    double rounded;     // the MPFR value rounded to nearest double
    double error_ulps;  // |value - MPFR value| in ulps of the double format at the MPFR value
};

// f(x) with MPFR at 53 + 64 bits; error of `value` against it in ulps of double at that point.
mpfr_reference reference(mpfr_fn f, double x, double value) {
    mpfr_t mx, my, diff;
    mpfr_init2(mx, 53);
    mpfr_init2(my, 53 + 64);
    mpfr_init2(diff, 256);
    mpfr_set_d(mx, x, MPFR_RNDN);
    f(my, mx, MPFR_RNDN);
    mpfr_reference r{mpfr_get_d(my, MPFR_RNDN), 0.0};
    // ulp(y) for double: 2^(max(floor(log2|y|), -1022) - 52); MPFR's exponent is floor(log2|y|)+1.
    long e = mpfr_zero_p(my) ? -1022 : static_cast<long>(mpfr_get_exp(my)) - 1;
    if (e < -1022) e = -1022;
    mpfr_set_d(diff, value, MPFR_RNDN);
    mpfr_sub(diff, diff, my, MPFR_RNDN);
    mpfr_abs(diff, diff, MPFR_RNDN);
    mpfr_mul_2si(diff, diff, 52 - e, MPFR_RNDN);
    r.error_ulps = mpfr_get_d(diff, MPFR_RNDU);
    mpfr_clears(mx, my, diff, static_cast<mpfr_ptr>(nullptr));
    return r;
}

std::string hex(double x) { return fmt::format("{:a} (0x{:016x})", x, bits_of(x)); }

template <class F>
void check_same_at_run_time(const std::array<double, n_points>& points,
                            const std::array<double, n_points>& ct) {
    std::size_t checked = 0, differing = 0;
    for (std::size_t i = 0; i < n_points; ++i) {
        const double rt = at_run_time<F>(points[i]);
        ++checked;
        if (bits_of(rt) != bits_of(ct[i])) {
            ++differing;
            BOOST_ERROR(fmt::format("{}({}): compile time {} != run time {}", F::name,
                                    hex(points[i]), hex(ct[i]), hex(rt)));
        }
    }
    fmt::print("{}: {} points checked, {} compile-time values differ from run time\n", F::name,
               checked, differing);
    BOOST_TEST(checked == n_points);
}

template <class F>
void check_against_mpfr(mpfr_fn f, const std::array<double, n_points>& points,
                        const std::array<double, n_points>& ct) {
    std::size_t checked = 0, not_correctly_rounded = 0;
    std::uint64_t max_dist = 0;
    double max_err = 0.0;
    double worst_x = points[0];
    for (std::size_t i = 0; i < n_points; ++i) {
        const mpfr_reference ref = reference(f, points[i], ct[i]);
        const std::uint64_t dist = ulp_distance(ct[i], ref.rounded);
        ++checked;
        if (dist != 0) ++not_correctly_rounded;
        if (dist > max_dist) max_dist = dist;
        if (ref.error_ulps > max_err) {
            max_err = ref.error_ulps;
            worst_x = points[i];
        }
        // Tolerance 1 ulp: posenc documents sin, cos, exp <= 1 ulp for double.
        if (dist > 1) {
            BOOST_ERROR(fmt::format("{}({}) = {} at compile time, MPFR rounded {}: {} ulps apart",
                                    F::name, hex(points[i]), hex(ct[i]), hex(ref.rounded), dist));
        }
    }
    fmt::print("{}: {} compile-time values checked against MPFR: max distance to the correctly "
               "rounded double {} ulp, {} not correctly rounded; max error {:.4f} ulp at x = {}\n",
               F::name, checked, max_dist, not_correctly_rounded, max_err, hex(worst_x));
    BOOST_TEST(checked == n_points);
}

}  // namespace

BOOST_AUTO_TEST_CASE(constexpr_sin_equals_run_time) {
    check_same_at_run_time<sin_fn>(trig_points, sin_ct);
}

BOOST_AUTO_TEST_CASE(constexpr_cos_equals_run_time) {
    check_same_at_run_time<cos_fn>(trig_points, cos_ct);
}

BOOST_AUTO_TEST_CASE(constexpr_exp_equals_run_time) {
    check_same_at_run_time<exp_fn>(exp_points, exp_ct);
}

BOOST_AUTO_TEST_CASE(constexpr_sin_within_1ulp_of_mpfr) {
    check_against_mpfr<sin_fn>(mpfr_sin, trig_points, sin_ct);
}

BOOST_AUTO_TEST_CASE(constexpr_cos_within_1ulp_of_mpfr) {
    check_against_mpfr<cos_fn>(mpfr_cos, trig_points, cos_ct);
}

BOOST_AUTO_TEST_CASE(constexpr_exp_within_1ulp_of_mpfr) {
    check_against_mpfr<exp_fn>(mpfr_exp, exp_points, exp_ct);
}
