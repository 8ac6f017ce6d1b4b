// The boundedness predicates (include/posenc/properties/bounded.hpp): sinusoidal entries in
// [-1, 1] and ||p_k||^2 = d/2 (Vaswani et al. 2017, §3.5); RoPE orthogonality R_m^T R_m = I and norm
// preservation (RoFormer §3.4.2) for every scaling variant, both layouts and partial rotary; the
// complex embedding's |g_j(pos)| = r_j (Wang et al. 2020, Property 2).
//
// Each predicate is called at float, double, long double, __float128 (g++), cpp_bin_float_50,
// cpp_bin_float_100 and mpfr_float_100 on grids and seeded random inputs (negative and large
// positions included), with n ulps of the type derived from the error model of
// tests/support/property_checks.hpp next to each tolerance; the smallest passing n is measured and
// printed. Mutation tests (tests/support/mutations.hpp): each predicate rejects a broken encoding
// at the tolerance the correct one passes with, beside it; and, the point of issue 4, a RoPE with
// perturbed frequencies, the wrong sign or position-dependent frequencies is as orthogonal and
// norm preserving as the correct one while failing relativity against it: norm checks alone
// certify nothing about positions.
#define BOOST_TEST_MODULE test_bounded
#include <boost/test/unit_test.hpp>

#include <posenc/properties/bounded.hpp>
#include <support/expect_invalid.hpp>
#include <support/mutations.hpp>
#include <support/property_checks.hpp>

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace pt = posenc_test;
using pt::pair_layout;
using pt::rope_variant;

/// Tolerance of sinusoidal_norm, in ulps of d/2. Each pair is sin^2 + cos^2 of the same rounded
/// angle, whose exact value is 1: sin and cos within s u each move it by at most
/// 2 (|sin| + |cos|) s u <= sqrt(2) s eps; the d squares summed add (d/2)(d/2) eps.
template <class T>
long long norm_ulps(int d) {
    return d / 2 + pt::ceil_ulps(std::sqrt(2.0) * pt::trig_ulps<T>);
}

/// Tolerance of rope_orthogonal, in ulps (entrywise): a diagonal entry c^2 + s^2 with cos and sin
/// within c eps of a point of the unit circle is off by 2 (|cos| + |sin|) c eps <= 2 sqrt(2) c eps,
/// plus 1.5 eps for two products and a sum; off-diagonal entries are -cs + sc = 0 exactly.
template <class T>
long long orthogonal_ulps() {
    return pt::ceil_ulps(2.0 * std::sqrt(2.0) * pt::rotation_cs<T> + 1.5);
}

/// Tolerance of rope_norm_preserving, in ulps of ||x||^2: R_m x is off by at most 2 (c + 1) eps ||x||
/// (see test_relative.cpp), which moves ||R_m x||^2 by twice that times ||x||; the two hd-term sums
/// of squares add hd/2 eps each.
template <class T>
long long norm_preserving_ulps(int hd) {
    return 4 * (pt::rotation_cs<T> + 1) + hd;
}

/// Tolerance of complex_bounded, in ulps of r_j: e^{i angle} from sin and cos within s u each has
/// modulus within sqrt(2) s u of 1; the product by r_j rounds each part (u); hypot is within s ulps.
template <class T>
long long modulus_ulps() {
    const double s = pt::trig_ulps<T>;
    return pt::ceil_ulps(std::sqrt(2.0) * s / 2.0 + 0.5 + s);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sinusoidal)

// Entries on position grids (step 1 and a non-integer step, around 0 and near the largest position
// of the type) and ||p_k||^2 at grid and seeded random positions; d = 16 and 64 for float, double
// and long double, 16 for __float128, 8 for the multiprecision types.
BOOST_AUTO_TEST_CASE_TEMPLATE(entries_and_norm, T, pt::property_types) {
    const std::vector<int> dims =
        pt::is_slow<T> ? std::vector<int>{pt::is_multiprecision<T> ? 8 : 16} : std::vector<int>{16, 64};
    const long long L = pt::max_position<T>();
    const long long span = pt::is_multiprecision<T> ? 3 : (pt::is_slow<T> ? 40 : 400);
    std::mt19937_64 rng(31337);
    pt::ulps_tracker<T> norm(fmt::format("sinusoidal_norm<{}> (tolerance d/2 + ceil(sqrt(2) s))", pt::type_name<T>()));
    for (const int d : dims) {
        const posenc::sinusoidal<T> s(d, T(10000));
        const T S = T(span);
        BOOST_TEST(posenc::sinusoidal_entries_bounded(s, T(-S), S, T(1)), "d " << d << " step 1");
        BOOST_TEST(posenc::sinusoidal_entries_bounded(s, T(-S / T(4)), T(S / T(4)), T(T(3) / T(8))),
                   "d " << d << " step 3/8");
        BOOST_TEST(posenc::sinusoidal_entries_bounded(s, T(L - span), T(L), T(1)), "d " << d << " near " << L);
        const long long tol = norm_ulps<T>(d);
        std::vector<T> positions;
        for (long long k = -span / 10; k <= span / 10; ++k) positions.push_back(T(k));
        for (const long long k : {100000LL, -250001LL, L}) positions.push_back(T(k));
        for (std::size_t i = 0; i < (pt::is_slow<T> ? 1 : pt::sample_count(32)); ++i) {
            positions.push_back(pt::uniform_value<T>(rng, T(-L), T(L)));  // not integers
        }
        for (const T& k : positions) {
            norm.check(tol, [&](const T& t) { return posenc::sinusoidal_norm(s, k, t); },
                       fmt::format("d={} k={:.17g}", d, static_cast<double>(k)));
        }
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_norm{.float_ = 1, .double_ = 1, .long_double = 1, .float128 = 0,
                                                         .cpp_bin_float_50 = 0, .cpp_bin_float_100 = 0, .mpfr_float_100 = 0};
    norm.report(measured_norm.at<T>());
}

// Mutations: entries amplified by 1 + 1 ulp leave [-1, 1] (p_0 has cos 0 = 1); amplified by 1 + n
// ulps (n the norm tolerance) and the skewed sinusoidal (sine and cosine of a pair at different
// frequencies) break ||p_k||^2 = d/2. The skewed entries are still sines and cosines: bounded.
BOOST_AUTO_TEST_CASE_TEMPLATE(mutations, T, pt::mutation_types) {
    const int d = 16;
    const posenc::sinusoidal<T> s(d, T(10000));
    const long long tol = norm_ulps<T>(d);
    BOOST_TEST(posenc::sinusoidal_entries_bounded(s, T(-20), T(20), T(1)));
    const pt::amplified_sinusoidal<T> one_ulp(s, posenc::ulps<T>(1));
    BOOST_TEST(!posenc::sinusoidal_entries_bounded(one_ulp, T(-20), T(20), T(1)), "entries (1 + eps) p_k accepted");
    const pt::skewed_sinusoidal<T> skewed(s);
    BOOST_TEST(posenc::sinusoidal_entries_bounded(skewed, T(-20), T(20), T(1)));

    pt::ulps_tracker<T> ok(fmt::format("sinusoidal_norm<{}> beside the mutations", pt::type_name<T>()));
    const pt::amplified_sinusoidal<T> n_ulps(s, posenc::ulps<T>(tol));
    const pt::amplified_sinusoidal<T> big(s, T(T(1) / T(4096)));
    for (const long long k : {0LL, 7LL, -100003LL}) {
        const T kt = T(k);
        ok.check(tol, [&](const T& t) { return posenc::sinusoidal_norm(s, kt, t); }, fmt::format("k={}", k));
        pt::check_rejected<T>(tol, [&](const T& t) { return posenc::sinusoidal_norm(n_ulps, kt, t); },
                              fmt::format("sinusoidal_norm: (1 + {} eps) p_k, k={}", tol, k));
        pt::check_rejected<T>(tol, [&](const T& t) { return posenc::sinusoidal_norm(big, kt, t); },
                              fmt::format("sinusoidal_norm: (1 + 2^-12) p_k, k={}", k));
        if (k != 0) {  // p_0 of the skewed encoding is (0, 1, 0, 1, ...): norm d/2, like the correct one
            pt::check_rejected<T>(tol, [&](const T& t) { return posenc::sinusoidal_norm(skewed, kt, t); },
                                  fmt::format("sinusoidal_norm: entry j at base^(-j/d), k={}", k));
        }
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_ok{.double_ = 0, .cpp_bin_float_50 = 0};
    ok.report(measured_ok.at<T>());
}

// sinusoidal_entries_bounded refuses a step that would not advance (step <= 0 or NaN, or below half
// an ulp of a position: in float 2^24 + 1 rounds to 2^24) instead of looping forever; step 2 advances.
BOOST_AUTO_TEST_CASE(entries_step_must_advance) {
    const posenc::sinusoidal<float> s(8, 10000.0f);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    pt::expect_invalid("step 0", "step", [&] { (void)posenc::sinusoidal_entries_bounded(s, 0.0f, 1.0f, 0.0f); });
    pt::expect_invalid("step NaN", "step", [&] { (void)posenc::sinusoidal_entries_bounded(s, 0.0f, 1.0f, nan); });
    pt::expect_invalid("step 1 at 2^24", "step",
                       [&] { (void)posenc::sinusoidal_entries_bounded(s, 16777216.0f, 16777220.0f, 1.0f); });
    BOOST_TEST(posenc::sinusoidal_entries_bounded(s, 16777216.0f, 16777220.0f, 2.0f));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rope)

// Every variant, both layouts, full and partial rotary at float, double and long double (head_dim
// 32); one configuration per variant at the slow types (head_dim 16 for __float128, 8 for the
// multiprecision types). Fixed positions (0, negative, > 10^5, the largest of the type) and random
// ones; random x in [-1, 1]^hd.
BOOST_AUTO_TEST_CASE_TEMPLATE(orthogonal_and_norm_preserving, T, pt::property_types) {
    constexpr bool slow = pt::is_slow<T>;
    const int hd = pt::is_multiprecision<T> ? 8 : (slow ? 16 : 32);
    const long long L = pt::max_position<T>();
    const long long tol_o = orthogonal_ulps<T>();
    const long long tol_n = norm_preserving_ulps<T>(hd);
    pt::ulps_tracker<T> orth(fmt::format("rope_orthogonal<{}> (tolerance 2 sqrt(2) c + 1.5)", pt::type_name<T>()));
    pt::ulps_tracker<T> norm(fmt::format("rope_norm_preserving<{}> (head_dim {}, tolerance 4 (c + 1) + hd)",
                                         pt::type_name<T>(), hd));
    std::mt19937_64 rng(8086);
    int vi = -1;
    for (const rope_variant v : pt::all_variants) {
        ++vi;
        for (const pair_layout layout : {pair_layout::interleaved, pair_layout::half_split}) {
            for (const bool partial : {false, true}) {
                if (slow && (layout == pair_layout::half_split) != (vi % 2 == 1)) continue;
                if (slow && partial != (vi % 3 == 1)) continue;
                const posenc::rope<T> e(pt::variant_params<T>(v, layout, hd, partial));
                std::vector<long long> positions{0, -3, 100001, -L, L};
                if (slow) positions = {vi % 2 == 0 ? -L : 100001};
                positions.push_back(pt::random_position(rng, L));
                for (const long long mi : positions) {
                    const T m = T(mi);
                    const std::vector<T> x = pt::random_vector<T>(rng, static_cast<std::size_t>(hd));
                    const std::string where =
                        fmt::format("{} {} {} m={}", pt::variant_name(v),
                                    layout == pair_layout::interleaved ? "interleaved" : "half_split",
                                    partial ? "partial" : "full", mi);
                    orth.check(tol_o, [&](const T& t) { return posenc::rope_orthogonal(e, m, t); }, where);
                    const std::span<const T> xs(x);
                    norm.check(tol_n, [&](const T& t) { return posenc::rope_norm_preserving(e, xs, m, t); },
                               where);
                }
            }
        }
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_orth{.float_ = 1, .double_ = 2, .long_double = 2, .float128 = 1,
                                                         .cpp_bin_float_50 = 1, .cpp_bin_float_100 = 1, .mpfr_float_100 = 1};
    orth.report(measured_orth.at<T>());
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_norm{.float_ = 3, .double_ = 4, .long_double = 3, .float128 = 1,
                                                         .cpp_bin_float_50 = 0, .cpp_bin_float_100 = 1, .mpfr_float_100 = 0};
    norm.report(measured_norm.at<T>());
}

// Mutations. The scaled rotation (1 + 2^-10) R_m, and even (1 + n eps) R_m with n the orthogonality
// tolerance, is rejected by both predicates. The point of the issue: a RoPE with perturbed
// frequencies (base 10001), the negated rotation R_{-m} and position-dependent frequencies pass both,
// exactly like the correct RoPE, while rope_relative_invariance rejects them against the intended
// encoding (perturbed, negated) or against themselves (position-dependent).
BOOST_AUTO_TEST_CASE_TEMPLATE(mutations, T, pt::mutation_types) {
    const int hd = 16;
    const long long tol_o = orthogonal_ulps<T>();
    const long long tol_n = norm_preserving_ulps<T>(hd);
    const long long tol_rel = pt::invariance_ulps<T>(hd);
    std::mt19937_64 rng(11);
    const std::vector<T> x = pt::random_vector<T>(rng, hd);
    const std::vector<T> y = pt::random_vector<T>(rng, hd);
    const std::span<const T> xs(x), ys(y);
    posenc::rope_params<T> p;
    p.head_dim = hd;
    const posenc::rope<T> intended(p);
    posenc::rope_params<T> pb = p;
    pb.base = T(10001);
    const posenc::rope<T> perturbed(pb);
    const pt::negated_rotation<T> negated(intended);
    posenc::rope_params<T> pd = p;
    pd.variant = rope_variant::dynamic;
    pd.factor = T(2);
    pd.max_position_embeddings = 64;
    const pt::position_dependent_rope<T> dynamic_per_position(pd);
    const pt::scaled_rotation<T> scaled(intended, T(T(1) + T(1) / T(1024)));
    const pt::scaled_rotation<T> scaled_n(intended, T(T(1) + posenc::ulps<T>(tol_o)));

    pt::ulps_tracker<T> orth(fmt::format("rope_orthogonal<{}> beside the mutations", pt::type_name<T>()));
    pt::ulps_tracker<T> norm(fmt::format("rope_norm_preserving<{}> beside the mutations", pt::type_name<T>()));
    for (const long long mi : {3LL, -100003LL}) {
        const T m = T(mi);
        const std::string at = fmt::format("m={}", mi);
        orth.check(tol_o, [&](const T& t) { return posenc::rope_orthogonal(intended, m, t); }, "intended " + at);
        norm.check(tol_n, [&](const T& t) { return posenc::rope_norm_preserving(intended, xs, m, t); },
                   "intended " + at);
        orth.check(tol_o, [&](const T& t) { return posenc::rope_orthogonal(perturbed, m, t); }, "base 10001 " + at);
        norm.check(tol_n, [&](const T& t) { return posenc::rope_norm_preserving(perturbed, xs, m, t); },
                   "base 10001 " + at);
        orth.check(tol_o, [&](const T& t) { return posenc::rope_orthogonal(negated, m, t); }, "R_{-m} " + at);
        norm.check(tol_n, [&](const T& t) { return posenc::rope_norm_preserving(negated, xs, m, t); }, "R_{-m} " + at);
        orth.check(tol_o, [&](const T& t) { return posenc::rope_orthogonal(dynamic_per_position, m, t); },
                   "dynamic NTK with seq_len = position " + at);
        norm.check(tol_n, [&](const T& t) { return posenc::rope_norm_preserving(dynamic_per_position, xs, m, t); },
                   "dynamic NTK with seq_len = position " + at);

        pt::check_rejected<T>(tol_o, [&](const T& t) { return posenc::rope_orthogonal(scaled, m, t); },
                              "rope_orthogonal: (1 + 2^-10) R_m, " + at);
        pt::check_rejected<T>(tol_n, [&](const T& t) { return posenc::rope_norm_preserving(scaled, xs, m, t); },
                              "rope_norm_preserving: (1 + 2^-10) R_m, " + at);
        pt::check_rejected<T>(tol_o, [&](const T& t) { return posenc::rope_orthogonal(scaled_n, m, t); },
                              fmt::format("rope_orthogonal: (1 + {} eps) R_m, {}", tol_o, at));
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_orth{.double_ = 1, .cpp_bin_float_50 = 1};
    orth.report(measured_orth.at<T>());
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_norm{.double_ = 1, .cpp_bin_float_50 = 1};
    norm.report(measured_norm.at<T>());
    // ... and yet relativity against the intended encoding fails for two of them, and against
    // itself for the third (n - m = 100006 and -100003 - 3).
    const T m = T(3);
    const T n = T(-100003);
    pt::check_rejected<T>(tol_rel, [&](const T& t) {
        return posenc::rope_relative_invariance(perturbed, intended, xs, ys, m, n, t);
    }, "rope_relative_invariance: base 10001 vs 10000 (orthogonal, norm preserving)");
    pt::check_rejected<T>(tol_rel, [&](const T& t) {
        return posenc::rope_relative_invariance(negated, intended, xs, ys, m, n, t);
    }, "rope_relative_invariance: R_{-m} vs R_m (orthogonal, norm preserving)");
    pt::check_rejected<T>(tol_rel, [&](const T& t) {
        return posenc::rope_relative_invariance(dynamic_per_position, xs, ys, m, n, t);
    }, "rope_relative_invariance: dynamic NTK with seq_len = position (orthogonal, norm preserving)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(complex_embedding)

// Random amplitudes in [1/2, 2], frequencies in [-1, 1], phases in [-pi, pi], and the sinusoidal
// encoding as a complex embedding; fixed (0, negative, > 10^5, the largest of the type) and random
// positions, some not integers.
BOOST_AUTO_TEST_CASE_TEMPLATE(modulus, T, pt::property_types) {
    const std::size_t D = pt::is_multiprecision<T> ? 4 : 8;
    const long long L = pt::max_position<T>();
    const long long tol = modulus_ulps<T>();
    std::mt19937_64 rng(2718);
    pt::ulps_tracker<T> tr(
        fmt::format("complex_bounded<{}> (tolerance ceil(s / sqrt 2 + 0.5 + s))", pt::type_name<T>()));
    const posenc::complex_embedding<T> random_g = pt::random_complex_embedding<T>(rng, D);
    const posenc::complex_embedding<T> sinusoidal_g =
        posenc::complex_embedding<T>::from_sinusoidal(posenc::sinusoidal<T>(static_cast<int>(2 * D), T(10000)));
    std::vector<T> positions{T(0), T(-1), T(100003), T(-L), T(L)};
    for (std::size_t i = 0; i < (pt::is_slow<T> ? 1 : pt::sample_count(32)); ++i) {
        positions.push_back(pt::uniform_value<T>(rng, T(-L), T(L)));
    }
    for (const auto* g : {&random_g, &sinusoidal_g}) {
        for (const T& pos : positions) {
            tr.check(tol, [&](const T& t) { return posenc::complex_bounded(*g, pos, t); },
                     fmt::format("{} pos={:.17g}", g == &random_g ? "random" : "from_sinusoidal",
                                 static_cast<double>(pos)));
        }
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_tr{.float_ = 1, .double_ = 1, .long_double = 1, .float128 = 1,
                                                       .cpp_bin_float_50 = 0, .cpp_bin_float_100 = 0, .mpfr_float_100 = 0};
    tr.report(measured_tr.at<T>());
}

// Mutation: amplitude r rho^pos, rho = 1 + 2^-8, rejected at every pos != 0 (and accepted at pos 0,
// where rho^0 = 1). With the honest witness rho^n e^{i omega n} it IS linearly witnessed
// (complex_offset_witnessed passes) but unbounded (complex_bounded rejects): Wang et al.'s Claim 1,
// bounded and witnessed forces |z_1| <= 1.
BOOST_AUTO_TEST_CASE_TEMPLATE(mutations, T, pt::mutation_types) {
    std::mt19937_64 rng(6);
    const std::size_t D = 4;
    const posenc::complex_embedding<T> g = pt::random_complex_embedding<T>(rng, D);
    const T rho = T(T(1) + T(1) / T(256));
    const pt::growing_complex_embedding<T> growing(g, rho);
    const pt::growing_complex_embedding<T> honest(g, rho, true);
    const long long tol = modulus_ulps<T>();
    const long long tol_w = pt::witness_ulps<T>();
    pt::ulps_tracker<T> ok(
        fmt::format("complex_bounded and complex_offset_witnessed<{}> beside the mutation", pt::type_name<T>()));
    ok.check(tol, [&](const T& t) { return posenc::complex_bounded(growing, T(0), t); }, "r rho^0, pos 0");
    for (const long long pi : {1LL, -7LL, 300LL}) {
        const T pos = T(pi);
        ok.check(tol, [&](const T& t) { return posenc::complex_bounded(g, pos, t); },
                 fmt::format("correct pos={}", pi));
        pt::check_rejected<T>(tol, [&](const T& t) { return posenc::complex_bounded(growing, pos, t); },
                              fmt::format("complex_bounded: r (1 + 2^-8)^pos, pos={}", pi));
        pt::check_rejected<T>(tol, [&](const T& t) { return posenc::complex_bounded(honest, pos, t); },
                              fmt::format("complex_bounded: r (1 + 2^-8)^pos with its witness, pos={}", pi));
        ok.check(tol_w, [&](const T& t) { return posenc::complex_offset_witnessed(honest, pos, T(5), t); },
                 fmt::format("complex_offset_witnessed of r (1 + 2^-8)^pos with its witness, pos={} n=5", pi));
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_ok{.double_ = 3, .cpp_bin_float_50 = 1};
    ok.report(measured_ok.at<T>());
}

BOOST_AUTO_TEST_SUITE_END()
