// The 2D RoPE predicates (include/posenc/properties/rope2d.hpp, and rope2d_relative from
// relative.hpp): relativity R_{x1,y1}^T R_{x2,y2} = R_{x2-x1,y2-y1} (Su, kexue.fm/archives/8397),
// commuting generators and rotations (exp(x B1) exp(y B2) = exp(x B1 + y B2) when B1 B2 = B2 B1), and
// reversibility on a grid (the smallest separation of two grid points' rotations), for axial RoPE in
// both arrangements (x_then_y: rope-vit, y_then_x: EVA-02) and RoPE-Mixed (Heo et al. 2024).
//
// Each predicate is called at float, double, long double, __float128 (g++), cpp_bin_float_50,
// cpp_bin_float_100 and mpfr_float_100 on fixed points (negative, > 10^5 apart, non-integer, the
// largest of the type) and seeded random points, with n ulps of the type derived from the error
// model of tests/support/property_checks.hpp next to each tolerance (the smallest passing n is
// measured and printed). The separation is compared with its exact value (MPFR, exact
// frequencies) within a bound computed per grid.
// Mutation tests: the non-commuting quaternion encoding Su rejected (posenc::quaternion_rope2d) fails
// relativity and both commutation predicates; a RoPE-Mixed whose x frequencies are 2 pi / 4 and
// 2 pi / 2 (tests/support/mutations.hpp) is relative but not reversible on a 5 x 5 grid, and
// rope2d_separation names the difference (4, 0) where two points coincide.
#define BOOST_TEST_MODULE test_properties_rope2d
#include <boost/test/unit_test.hpp>

#include <posenc/properties/rope2d.hpp>
#include <support/bound_tracker.hpp>
#include <support/mutations.hpp>
#include <support/property_checks.hpp>

#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace pt = posenc_test;
using pt::mp;

/// Tolerance of rope2d_relative and of rotations_commute for RoPE-Mixed, in ulps (entries are
/// cosines and sines): a 2x2 block of a product of two rotations, c1 c2 -+ s1 s2, is off by
/// c eps (|c2| + |s2| + |c1| + |s1|) <= 2 sqrt(2) c eps plus 1.5 eps for two products and a sum; the
/// entry it is compared with by c eps. (The angles theta^x x + theta^y y are double-T sums of exact
/// products: their own error is O(u^2).)
template <class T>
long long product_ulps() {
    return pt::ceil_ulps((2.0 * std::sqrt(2.0) + 1.0) * pt::rotation_cs<T> + 1.5);
}

struct point_pair {
    double x1, y1, x2, y2;
};

/// Fixed point pairs: the origin, small, > 10^5 apart with negative coordinates, non-integer
/// (dyadic: exact differences), and the largest coordinates of the type (differences 2L).
template <class T>
std::vector<point_pair> fixed_points() {
    const double L = static_cast<double>(pt::max_position<T>() / 2);
    return {{0, 0, 0, 0}, {1, 2, 3, -4}, {-100000, 7, 5, 100003}, {2.5, -7.25, -0.5, 3.75}, {L, -L, -L, L}};
}

/// A random RoPE-Mixed: theta^x, theta^y uniform in [-1, 1].
template <class T>
posenc::rope2d_mixed<T> random_mixed(std::mt19937_64& rng, int hd) {
    const std::size_t pairs = static_cast<std::size_t>(hd / 2);
    std::vector<T> x = pt::random_vector<T>(rng, pairs);  // x, then y: in this order
    std::vector<T> y = pt::random_vector<T>(rng, pairs);
    return posenc::rope2d_mixed<T>(std::move(x), std::move(y));
}

/// Exact ||I - R_{dx,dy}||_F for an axial RoPE (pairs rotate by dx theta_k or dy theta_k,
/// theta_k = base^(-4k/hd), k < hd/4, per axis): sqrt(sum over pairs of 8 sin^2(angle/2)).
mp exact_axial_separation(long base, int hd, long dx, long dy) {
    mp sum(512), t(512), a(512);  // beyond the 333 bits of cpp_bin_float_100
    mpfr_set_ui(sum, 0, MPFR_RNDN);
    for (int axis = 0; axis < 2; ++axis) {
        for (int k = 0; k < hd / 4; ++k) {
            mpfr_set_si(t, base, MPFR_RNDN);
            mpfr_log(t, t, MPFR_RNDN);
            mpfr_mul_si(t, t, -4 * k, MPFR_RNDN);
            mpfr_div_si(t, t, hd, MPFR_RNDN);
            mpfr_exp(t, t, MPFR_RNDN);                         // theta_k
            mpfr_mul_si(a, t, axis == 0 ? dx : dy, MPFR_RNDN);  // angle
            mpfr_div_2ui(a, a, 1, MPFR_RNDN);
            mpfr_sin(a, a, MPFR_RNDN);
            mpfr_sqr(a, a, MPFR_RNDN);
            mpfr_mul_ui(a, a, 8, MPFR_RNDN);
            mpfr_add(sum, sum, a, MPFR_RNDN);
        }
    }
    mpfr_sqrt(sum, sum, MPFR_RNDN);
    return sum;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relativity)

// rope2d_relative, rotations_commute and generators_commute for axial x_then_y (base 100), axial
// y_then_x (base 10000), rope-vit's RoPE-Mixed init (base 100, alpha 0.3) and a random RoPE-Mixed;
// head_dim 16 for float, double and long double, 8 for the slow types.
//  - generators_commute: tolerance 0. Every generator is block diagonal on the same 2x2 blocks, so
//    each entry of B1 B2 and of B2 B1 is one product t_x t_y of the same two numbers (or 0): equal.
//  - rotations_commute: tolerance 0 for axial (R_{x,0} and R_{0,y} rotate disjoint pairs, every
//    entry of their products is one entry times an exact 1 or 0); product_ulps for RoPE-Mixed (the
//    two orders give bit-identical products, but R_{x,0} R_{0,y} is compared with R_{x,y} itself).
BOOST_AUTO_TEST_CASE_TEMPLATE(axial_and_mixed, T, pt::property_types) {
    const int hd = pt::is_slow<T> ? 8 : 16;
    const long long tol = product_ulps<T>();
    std::mt19937_64 rng(555);
    const posenc::rope2d_axial<T> xy(hd, T(100), posenc::axial_order::x_then_y);
    const posenc::rope2d_axial<T> yx(hd, T(10000), posenc::axial_order::y_then_x);
    const posenc::rope2d_mixed<T> vit = posenc::rope2d_mixed<T>::rope_vit_init(hd, T(100), T(T(3) / T(10)));
    const posenc::rope2d_mixed<T> mixed = random_mixed<T>(rng, hd);
    pt::ulps_tracker<T> rel(fmt::format("rope2d_relative<{}> (head_dim {}, tolerance (2 sqrt 2 + 1) c + 1.5)",
                                        pt::type_name<T>(), hd));
    pt::ulps_tracker<T> rot(
        fmt::format("rotations_commute<{}> (axial: 0, mixed: (2 sqrt 2 + 1) c + 1.5)", pt::type_name<T>()));
    std::vector<point_pair> points = fixed_points<T>();
    if (pt::is_slow<T>) points = {points[2], points[3]};
    const double L = static_cast<double>(pt::max_position<T>() / 2);
    for (std::size_t i = 0; i < (pt::is_slow<T> ? 0 : pt::sample_count(12)); ++i) {
        points.push_back({std::floor(pt::uniform(rng, -L, L)), std::floor(pt::uniform(rng, -L, L)),
                          std::floor(pt::uniform(rng, -L, L)), std::floor(pt::uniform(rng, -L, L))});
    }
    auto run = [&](const auto& e, const char* name, bool axial) {
        BOOST_TEST(posenc::generators_commute(e, T(0)), name);
        for (const point_pair& pp : points) {
            const T x1 = T(pp.x1), y1 = T(pp.y1), x2 = T(pp.x2), y2 = T(pp.y2);
            const std::string where = fmt::format("{} ({}, {}) -> ({}, {})", name, pp.x1, pp.y1, pp.x2, pp.y2);
            rel.check(tol, [&](const T& t) { return posenc::rope2d_relative(e, x1, y1, x2, y2, t); }, where);
            rot.check(axial ? 0 : tol, [&](const T& t) { return posenc::rotations_commute(e, x2, y1, t); }, where);
        }
    };
    run(xy, "axial x_then_y", true);
    run(yx, "axial y_then_x", true);
    run(vit, "rope-vit mixed", false);
    run(mixed, "random mixed", false);
    // largest smallest-passing n measured (g++): the stated tolerances cover the worst case of the
    // rotations and products
    constexpr pt::per_real_type<long long> measured_rel{.float_ = 2, .double_ = 2, .long_double = 2, .float128 = 1,
                                                        .cpp_bin_float_50 = 1, .cpp_bin_float_100 = 1, .mpfr_float_100 = 1};
    constexpr pt::per_real_type<long long> measured_rot{.float_ = 2, .double_ = 2, .long_double = 2};  // 0 for the slow types
    rel.report(measured_rel.at<T>());
    rot.report(measured_rot.at<T>());
}

// Mutation: Su's quaternion encoding (head_dim 4, frequencies a = 1, b = 7/10) is orthogonal but
// its generators a L_i, b L_j anticommute, and relativity fails; each predicate rejects it at the
// tolerance the axial encoding passes with (generators: B1 B2 - B2 B1 = 2 a b L_k, so any tolerance
// below 2 rejects it).
BOOST_AUTO_TEST_CASE_TEMPLATE(quaternion, T, pt::mutation_types) {
    const posenc::quaternion_rope2d<T> q(T(1), T(T(7) / T(10)));
    const posenc::rope2d_axial<T> axial(4, T(100), posenc::axial_order::x_then_y);
    const long long tol = product_ulps<T>();
    pt::ulps_tracker<T> ok(fmt::format("axial head_dim 4 beside the quaternion<{}>", pt::type_name<T>()));
    ok.check(tol, [&](const T& t) { return posenc::rope2d_relative(axial, T(1), T(2), T(3), T(-4), t); }, "relative");
    ok.check(0, [&](const T& t) { return posenc::rotations_commute(axial, T(3), T(2), t); }, "rotations commute");
    ok.check(0, [&](const T& t) { return posenc::generators_commute(axial, t); }, "generators commute");
    ok.report(1);  // measured need: 1 ulp at both types
    pt::check_rejected<T>(tol, [&](const T& t) { return posenc::rope2d_relative(q, T(1), T(2), T(3), T(-4), t); },
                          "rope2d_relative: quaternion");
    pt::check_rejected<T>(tol, [&](const T& t) { return posenc::rope2d_relative(q, T(0), T(1), T(1), T(1), t); },
                          "rope2d_relative: quaternion, unit steps");
    pt::check_rejected<T>(tol, [&](const T& t) { return posenc::rotations_commute(q, T(3), T(2), t); },
                          "rotations_commute: quaternion");
    pt::check_rejected<T>(1, [&](const T& t) { return posenc::generators_commute(q, t); },
                          "generators_commute: quaternion (at 1 ulp)");
    BOOST_TEST(!posenc::generators_commute(q, T(T(199) / T(100))), "quaternion generators accepted at 1.99");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reversibility)

// rope2d_separation of axial x_then_y (head_dim 8, base 100) on a W x W grid (W = 5 for float,
// double and long double, 3 for the slow types) against the exact minimum of ||I - R_{dx,dy}||_F
// over the grid differences (MPFR, exact frequencies), and rope2d_reversible on both sides of it.
// Bound: each entry of I - R is off by at most (c + e_theta (W - 1)) eps (the sine and cosine, and
// the frequency within 1 ulp moved by a difference up to W - 1), so the Frobenius norm of the 4 per
// pair entries by 2 sqrt(hd/2) times that; the sum of squares and the square root add
// (hd/2 + 1) eps relative. The reported (dx, dy) must attain the minimum within that bound (both
// axes use the same frequencies, so (1, 0) and (0, 1) tie).
BOOST_AUTO_TEST_CASE_TEMPLATE(separation, T, pt::property_types) {
    const int hd = 8;
    const long W = pt::is_slow<T> ? 3 : 5;
    const posenc::rope2d_axial<T> e(hd, T(100), posenc::axial_order::x_then_y);
    const posenc::separation_report<T> rep = posenc::rope2d_separation(e, W, W);
    mp best(512);
    mpfr_set_inf(best, 1);
    for (long dx = 0; dx < W; ++dx) {
        for (long dy = dx == 0 ? 1 : -(W - 1); dy < W; ++dy) {
            const mp s = exact_axial_separation(100, hd, dx, dy);
            if (mpfr_less_p(s.get(), best.get())) mpfr_set(best, s.get(), MPFR_RNDN);
        }
    }
    const double exact_min = mpfr_get_d(best, MPFR_RNDN);
    const double eps = std::ldexp(1.0, 1 - pt::digits<T>);
    const double bound =
        eps * (2.0 * std::sqrt(hd / 2.0) * (pt::rotation_cs<T> + (W - 1.0)) + (hd / 2.0 + 1.0) * exact_min);
    mp d(512);
    mpfr_sub(d, pt::exact(rep.min_separation).get(), best.get(), MPFR_RNDN);
    const double err = std::fabs(mpfr_get_d(d, MPFR_RNDN));
    const mp at_reported = exact_axial_separation(100, hd, static_cast<long>(rep.dx), static_cast<long>(rep.dy));
    mpfr_sub(d, at_reported.get(), best.get(), MPFR_RNDN);
    const double argmin_gap = mpfr_get_d(d, MPFR_RNDN);
    fmt::print("rope2d_separation<{}> axial {} x {}: {:.17g} at ({}, {}), exact minimum {:.17g}; error {:.3g} eps "
               "(bound {:.3g} eps), exact value at the reported difference exceeds the minimum by {:.3g} eps\n",
               pt::type_name<T>(), W, W, static_cast<double>(rep.min_separation), rep.dx, rep.dy, exact_min, err / eps,
               bound / eps, argmin_gap / eps);
    BOOST_TEST(err <= bound);
    // the error measured (g++), in eps: the bound adds the worst cases of every entry
    constexpr pt::per_real_type<double> measured{.float_ = 0.286, .double_ = 0.232, .long_double = 0.155, .float128 = 0.0474,
                                                 .cpp_bin_float_50 = 0.47, .cpp_bin_float_100 = 0.256, .mpfr_float_100 = 0.256};
    BOOST_TEST(err / eps <= pt::measured_ceiling_factor * measured.at<T>(),
               "error " << err / eps << " eps above the measured ceiling (" << measured.at<T>() << " eps measured)");
    BOOST_TEST(argmin_gap <= 2 * bound);
    BOOST_TEST(posenc::rope2d_reversible(e, W, W, T(exact_min / 2)));
    BOOST_TEST(!posenc::rope2d_reversible(e, W, W, T(exact_min * 1.01)));
}

// Mutation: RoPE-Mixed with x frequencies 2 pi / 4 and 2 pi / 2 (mutations.hpp). It is relative and
// its generators commute (it is a legitimate RoPE-Mixed), but on a 5 x 5 grid the points (x, y) and
// (x + 4, y) share a rotation: rope2d_separation reports (4, 0) with a separation of rounding size
// (the pair angles 4 fl(pi/2) and 4 fl(pi) miss 2 pi and 4 pi by at most 2 eps and 4 eps:
// sqrt(2 (2 eps)^2 + 2 (4 eps)^2 + 4 (eps/2)^2) < 7 eps, plus sin's rounding of these tiny values),
// and rope2d_reversible rejects it; on a 4 x 5 grid, where no difference of 4 fits, it is reversible.
BOOST_AUTO_TEST_CASE_TEMPLATE(non_reversible, T, pt::mutation_types) {
    const posenc::rope2d_mixed<T> e = pt::non_reversible_mixed<T>();
    const long long tol = product_ulps<T>();
    pt::ulps_tracker<T> ok(fmt::format("2 pi / 4 RoPE-Mixed, relative and commuting<{}>", pt::type_name<T>()));
    ok.check(tol, [&](const T& t) { return posenc::rope2d_relative(e, T(1), T(-2), T(5), T(3), t); }, "relative");
    ok.check(0, [&](const T& t) { return posenc::generators_commute(e, t); }, "generators commute");
    constexpr pt::per_real_type<long long> measured_need{.double_ = 0, .cpp_bin_float_50 = 1};  // measured (g++)
    ok.report(measured_need.at<T>());
    const posenc::separation_report<T> rep = posenc::rope2d_separation(e, 5, 5);
    const T bound = posenc::ulps<T>(8);  // 7 eps, see above, + the rounding of sin near 0
    const double in_eps = static_cast<double>(T(rep.min_separation / posenc::ulps<T>(1)));
    fmt::print("rope2d_separation<{}> of the 2 pi / 4 RoPE-Mixed on 5 x 5: {:.17g} ({:.3f} eps) at ({}, {})\n",
               pt::type_name<T>(), static_cast<double>(rep.min_separation), in_eps, rep.dx, rep.dy);
    BOOST_TEST(rep.dx == 4);
    BOOST_TEST(rep.dy == 0);
    BOOST_TEST(static_cast<bool>(rep.min_separation <= bound));
    // the separation measured (g++), in eps: 3.488 and 5.129, below the 8 of the bound
    constexpr pt::per_real_type<double> measured{.double_ = 3.488, .cpp_bin_float_50 = 5.129};
    BOOST_TEST(in_eps <= pt::measured_ceiling_factor * measured.at<T>(),
               in_eps << " eps above the measured ceiling (" << measured.at<T>() << " eps measured)");
    BOOST_TEST(!posenc::rope2d_reversible(e, 5, 5, T(T(1) / T(1000))), "5 x 5 accepted");
    BOOST_TEST(posenc::rope2d_reversible(e, 4, 5, T(T(1) / T(1000))), "4 x 5 rejected");
}

BOOST_AUTO_TEST_SUITE_END()
