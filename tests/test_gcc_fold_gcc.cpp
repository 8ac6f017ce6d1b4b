// posenc::math::sin, cos, exp and pow in constant expressions against GCC's own constant folding.
//
// g++ evaluates std::sin, std::cos, std::exp and std::pow in constant expressions by calling MPFR
// at the precision of double with round-to-nearest, so `constexpr double ref = std::sin(x)` is the
// correctly rounded value (GCC folds only when the result is finite and normal, or exact; the
// points below keep every result in that range). Both sides are computed at compile time; the run
// time only compares them. Built with g++ only (the file name ends in _gcc).
#define BOOST_TEST_MODULE gcc_fold
#include <boost/test/unit_test.hpp>

#include <posenc/math.hpp>
#include <support/constexpr_points.hpp>

#include <fmt/core.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace {

constexpr std::size_t n_points = 2048;

struct point {
    double x;
    double y;  // second argument of pow; unused by the one-argument functions
};
using points_t = std::array<point, n_points>;

// ---------------------------------------------------------------------------------------------
// Deterministic points, generated at compile time.

using posenc_test::is_finite_bits;
using posenc_test::scale;
using posenc_test::splitmix64;
using posenc_test::unit;

// sin/cos: one half random bit patterns of finite doubles (every binade from the smallest
// subnormal to DBL_MAX, both signs), one half random doubles with |x| in [2^-30, 2^64), where the
// reduction by pi/2 matters most, after a few special arguments.
constexpr points_t make_trig_points() {
    constexpr double fixed[] = {
        0x0.0000000000001p-1022, -0x0.0000000000001p-1022, 0x1p-1022, 0x1.fffffffffffffp+1023,
        -0x1.fffffffffffffp+1023,
        // 6381956970095103 * 2^797, the double closest to a multiple of pi/2
        0x1.6ac5b262ca1ffp+849,
        1e300, 1e22, 0x1.921fb54442d18p+1, 0x1.921fb54442d18p+0, 0x1.921fb54442d18p-1, 355.0,
    };
    points_t p{};
    std::size_t i = 0;
    for (double x : fixed) p[i++] = {x, 0.0};
    std::uint64_t state = 0x6cc0f01d00000003u;
    bool full_range = true;
    while (i < n_points) {
        const std::uint64_t bits = splitmix64(state);
        if (full_range) {
            if (!is_finite_bits(bits)) continue;
            p[i++] = {std::bit_cast<double>(bits), 0.0};
        } else {
            const int e = static_cast<int>(bits % 94) - 30;       // [-30, 63]
            const double m = 1.0 + unit(splitmix64(state));        // [1, 2)
            const double sign = ((bits >> 40) & 1u) != 0 ? -1.0 : 1.0;
            p[i++] = {sign * scale(m, e), 0.0};
        }
        full_range = !full_range;
    }
    return p;
}

// exp: results must be normal for GCC to fold, so x in [-708, 709.7] (ln DBL_MIN = -708.39...,
// ln DBL_MAX = 709.78...). One half uniform over that interval, one half random bit patterns with
// |x| below 708 (small arguments, down to subnormals).
constexpr points_t make_exp_points() {
    constexpr double lo = -708.0, hi = 709.7;
    constexpr double fixed[] = {lo, hi, 0.0, -0.0, 0x1p-1022, 0x1p-53, -0x1p-54,
                                0x1.62e42fefa39efp-1, 1.0, -1.0, 0.5};
    points_t p{};
    std::size_t i = 0;
    for (double x : fixed) p[i++] = {x, 0.0};
    std::uint64_t state = 0x0e4e4e4e00000004u;
    bool uniform = true;
    while (i < n_points) {
        const std::uint64_t bits = splitmix64(state);
        if (uniform) {
            p[i++] = {lo + unit(bits) * (hi - lo), 0.0};
            uniform = false;
        } else if (is_finite_bits(bits)) {
            const double x = std::bit_cast<double>(bits);
            if (x > -708.0 && x < 708.0) {
                p[i++] = {x, 0.0};
                uniform = true;
            }
        }
    }
    return p;
}

// pow: x > 0 and y chosen so that |log2(x^y)| <= 1010, i.e. the result is finite and normal.
// Three kinds, in turn:
//  - x = m * 2^e with e in [-1022, 1023], and y = t / L with t uniform in [-700, 700] and
//    L = e + (m - 1) an estimate of log2 x. As log2 m lies in [m - 1, (m - 1) / ln 2] for m in
//    [1, 2], |log2 x| <= |L| / ln 2, so |y log2 x| <= 700 / ln 2 < 1010;
//  - x in [0.5, 2) and y uniform in [-1000, 1000] (x close to 1, large y);
//  - x in [2^-32, 2^32) and y a small integer in [-30, 30].
constexpr points_t make_pow_points() {
    constexpr point fixed[] = {
        {2.0, 0.5}, {2.0, 10.0}, {2.0, -1022.0}, {2.0, 1023.0}, {10.0, 308.0}, {10.0, -307.0},
        {0.5, 3.0}, {3.0, 0.5},  {1.0, 1e300},   {7.0, 0.0},    {0x1p-1022, 0.5}, {1e300, 1.0},
    };
    points_t p{};
    std::size_t i = 0;
    for (point q : fixed) p[i++] = q;
    std::uint64_t state = 0x90e0000000000005u;
    int kind = 0;
    while (i < n_points) {
        const std::uint64_t bits = splitmix64(state);
        const double m = 1.0 + unit(splitmix64(state));  // [1, 2)
        if (kind == 0) {
            const int e = static_cast<int>(bits % 2046) - 1022;  // [-1022, 1023]
            const double t = -700.0 + 1400.0 * unit(splitmix64(state));
            const double L = e + (m - 1.0);
            p[i++] = {scale(m, e), L == 0.0 ? t : t / L};
        } else if (kind == 1) {
            const double y = -1000.0 + 2000.0 * unit(splitmix64(state));
            p[i++] = {(bits & 1u) != 0 ? m : 0.5 * m, y};
        } else {
            const int e = static_cast<int>(bits % 64) - 32;  // [-32, 31]
            const double y = static_cast<double>(static_cast<int>((bits >> 8) % 61) - 30);
            p[i++] = {scale(m, e), y};
        }
        kind = (kind + 1) % 3;
    }
    return p;
}

constexpr points_t trig_points = make_trig_points();
constexpr points_t exp_points = make_exp_points();
constexpr points_t pow_points = make_pow_points();

// ---------------------------------------------------------------------------------------------
// Compile-time values: one constant evaluation per point and side.

struct sin_fn {
    static constexpr const char* name = "sin";
    static constexpr double posenc(point p) { return posenc::math::sin(p.x); }
    static constexpr double gcc(point p) { return std::sin(p.x); }
};
struct cos_fn {
    static constexpr const char* name = "cos";
    static constexpr double posenc(point p) { return posenc::math::cos(p.x); }
    static constexpr double gcc(point p) { return std::cos(p.x); }
};
struct exp_fn {
    static constexpr const char* name = "exp";
    static constexpr double posenc(point p) { return posenc::math::exp(p.x); }
    static constexpr double gcc(point p) { return std::exp(p.x); }
};
struct pow_fn {
    static constexpr const char* name = "pow";
    static constexpr double posenc(point p) { return posenc::math::pow(p.x, p.y); }
    static constexpr double gcc(point p) { return std::pow(p.x, p.y); }
};

template <class F, const points_t& Points, std::size_t I>
constexpr double posenc_at = F::posenc(Points[I]);

template <class F, const points_t& Points, std::size_t I>
constexpr double gcc_at = F::gcc(Points[I]);

struct values {
    std::array<double, n_points> posenc;
    std::array<double, n_points> gcc;
};

template <class F, const points_t& Points, std::size_t... I>
constexpr values gather(std::index_sequence<I...>) {
    return {{posenc_at<F, Points, I>...}, {gcc_at<F, Points, I>...}};
}

constexpr values sin_values = gather<sin_fn, trig_points>(std::make_index_sequence<n_points>{});
constexpr values cos_values = gather<cos_fn, trig_points>(std::make_index_sequence<n_points>{});
constexpr values exp_values = gather<exp_fn, exp_points>(std::make_index_sequence<n_points>{});
constexpr values pow_values = gather<pow_fn, pow_points>(std::make_index_sequence<n_points>{});

// ---------------------------------------------------------------------------------------------
// Run-time comparison.

using posenc_test::bits_of;
using posenc_test::ulp_distance;

std::string hex(double x) { return fmt::format("{:a}", x); }

std::string args(const point& p, bool binary) {
    return binary ? fmt::format("{}, {}", hex(p.x), hex(p.y)) : hex(p.x);
}

template <class F>
void compare(const points_t& points, const values& v, bool binary) {
    std::size_t checked = 0, differing = 0;
    std::uint64_t max_dist = 0;
    for (std::size_t i = 0; i < n_points; ++i) {
        const std::uint64_t dist = ulp_distance(v.posenc[i], v.gcc[i]);
        ++checked;
        if (dist != 0) ++differing;
        if (dist > max_dist) max_dist = dist;
        // Tolerance 1 ulp: posenc documents <= 1 ulp; GCC's fold is the correctly rounded value.
        if (dist > 1) {
            BOOST_ERROR(fmt::format("{}({}): posenc {} vs correctly rounded {}: {} ulps apart",
                                    F::name, args(points[i], binary), hex(v.posenc[i]),
                                    hex(v.gcc[i]), dist));
        }
    }
    fmt::print("{}: {} points, max difference to GCC's correctly rounded fold {} ulp, "
               "{} points not correctly rounded\n",
               F::name, checked, max_dist, differing);
    BOOST_TEST(checked == n_points);
}

}  // namespace

BOOST_AUTO_TEST_CASE(constexpr_sin_matches_gcc_fold) {
    compare<sin_fn>(trig_points, sin_values, false);
}

BOOST_AUTO_TEST_CASE(constexpr_cos_matches_gcc_fold) {
    compare<cos_fn>(trig_points, cos_values, false);
}

BOOST_AUTO_TEST_CASE(constexpr_exp_matches_gcc_fold) {
    compare<exp_fn>(exp_points, exp_values, false);
}

BOOST_AUTO_TEST_CASE(constexpr_pow_matches_gcc_fold) {
    compare<pow_fn>(pow_points, pow_values, true);
}
