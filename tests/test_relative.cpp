// The relative-invariance predicates (include/posenc/properties/relative.hpp): RoPE
// <R_m q, R_n k> = q^T R_{n-m} k and R_m^T R_n = R_{n-m} for every scaling variant, both layouts and
// partial rotary; sinusoidal p_m . p_n = p_{m-n} . p_0 and p_{m+k} = M_k p_m; the complex embedding's
// witnessed offset (Wang et al. 2020, Property 1). rope2d_relative is tested with the other 2D
// predicates in test_properties_rope2d.cpp.
//
// Each predicate is called at float, double, long double, __float128 (g++), cpp_bin_float_50,
// cpp_bin_float_100 and mpfr_float_100 on seeded random inputs and on fixed positions (m - n > 10^5,
// negative positions), with a tolerance of n ulps of the type derived from the error model of
// tests/support/property_checks.hpp (the derivation is next to each tolerance); every check also
// measures the smallest n that passes, and the largest is printed per predicate and type.
// Mutation tests (tests/support/mutations.hpp): every predicate rejects a broken encoding at the
// tolerance the correct one passes with, and the correct encoding passes beside it.
#define BOOST_TEST_MODULE test_relative
#include <boost/test/unit_test.hpp>

#include <posenc/properties/relative.hpp>
#include <support/mutations.hpp>
#include <support/property_checks.hpp>

#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace pt = posenc_test;
using pt::pair_layout;
using pt::rope_variant;

/// Tolerance of rope_matrix_relative, in ulps (entries are cosines and sines): an entry of
/// R_m^T R_n is c_m c_n + s_m s_n (or a mixed pair), off by c eps (|c_n| + |s_n| + |c_m| + |s_m|)
/// <= 2 sqrt(2) c eps plus 1.5 eps for two products and a sum; the entry of R_{n-m} by c eps.
template <class T>
long long matrix_ulps() {
    return pt::ceil_ulps((2.0 * std::sqrt(2.0) + 1.0) * pt::rotation_cs<T> + 1.5);
}

/// Fixed position pairs: 0, small, negative, n - m > 10^5 and the extremes of the type.
template <class T>
std::vector<std::pair<long long, long long>> fixed_positions() {
    const long long L = pt::max_position<T>();
    return {{0, 0}, {5, -3}, {-100000, 17}, {123456, -7}, {-3, 250001}, {L, -L}, {-L, L / 3}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rope)

// Every variant, both layouts, full and partial rotary at float, double and long double (head_dim
// 32, seven fixed position pairs and four random ones per configuration, and the grid [-3, 3]^2 for
// the standard RoPE); every variant once at the slow types, alternating layout and partial rotary
// (head_dim 16 for __float128, 8 for the multiprecision types, two position pairs).
BOOST_AUTO_TEST_CASE_TEMPLATE(relative_every_variant, T, pt::property_types) {
    constexpr bool slow = pt::is_slow<T>;
    const int hd = pt::is_multiprecision<T> ? 8 : (slow ? 16 : 32);
    const long long tol_inner = pt::invariance_ulps<T>(hd);
    const long long tol_matrix = matrix_ulps<T>();
    pt::ulps_tracker<T> inner(fmt::format("rope_relative_invariance<{}> (head_dim {}, tolerance 6 (c + 1) + hd)",
                                          pt::type_name<T>(), hd));
    pt::ulps_tracker<T> matrix(
        fmt::format("rope_matrix_relative<{}> (tolerance (2 sqrt 2 + 1) c + 1.5)", pt::type_name<T>()));
    std::mt19937_64 rng(20240611);
    int vi = -1;
    for (const rope_variant v : pt::all_variants) {
        ++vi;
        for (const pair_layout layout : {pair_layout::interleaved, pair_layout::half_split}) {
            for (const bool partial : {false, true}) {
                if (slow && (layout == pair_layout::half_split) != (vi % 2 == 1)) continue;
                if (slow && partial != (vi % 3 == 1)) continue;
                const posenc::rope<T> e(pt::variant_params<T>(v, layout, hd, partial));
                std::vector<std::pair<long long, long long>> positions;
                if (slow) {
                    positions = {fixed_positions<T>()[static_cast<std::size_t>(2 + vi % 5)]};
                    positions.push_back(pt::random_position_pair(rng, pt::max_position<T>()));
                } else {
                    positions = fixed_positions<T>();
                    for (std::size_t i = 0; i < pt::sample_count(4); ++i) {
                        positions.push_back(pt::random_position_pair(rng, pt::max_position<T>()));
                    }
                    // a grid: every (m, n) in [-3, 3]^2
                    if (vi == 0 && layout == pair_layout::interleaved && !partial) {
                        for (long long a = -3; a <= 3; ++a) {
                            for (long long b = -3; b <= 3; ++b) positions.emplace_back(a, b);
                        }
                    }
                }
                for (const auto& [mi, ni] : positions) {
                    const std::vector<T> q = pt::random_vector<T>(rng, static_cast<std::size_t>(hd));
                    const std::vector<T> k = pt::random_vector<T>(rng, static_cast<std::size_t>(hd));
                    const T m = T(mi);
                    const T n = T(ni);
                    const std::string where =
                        fmt::format("{} {} {} m={} n={}", pt::variant_name(v),
                                    layout == pair_layout::interleaved ? "interleaved" : "half_split",
                                    partial ? "partial" : "full", mi, ni);
                    const std::span<const T> qs(q), ks(k);
                    inner.check(tol_inner, [&](const T& tol) {
                        return posenc::rope_relative_invariance(e, qs, ks, m, n, tol);
                    }, where);
                    matrix.check(tol_matrix, [&](const T& tol) {
                        return posenc::rope_matrix_relative(e, m, n, tol);
                    }, where);
                }
            }
        }
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_inner{.float_ = 1, .double_ = 2, .long_double = 2, .float128 = 1,
                                                          .cpp_bin_float_50 = 1, .cpp_bin_float_100 = 1, .mpfr_float_100 = 1};
    inner.report(measured_inner.at<T>());
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_matrix{.float_ = 2, .double_ = 2, .long_double = 2, .float128 = 1,
                                                           .cpp_bin_float_50 = 1, .cpp_bin_float_100 = 1, .mpfr_float_100 = 1};
    matrix.report(measured_matrix.at<T>());
}

// Mutations. At m = 3, n = 100003 (and m = -40, n = 29 for the scaled rotation) every broken
// encoding is rejected at the tolerance the intended encoding passes with, beside it:
//  - perturbed frequencies (base 10001, or a linear factor 1.0001) and the swapped layout are
//    relative to themselves (relativity holds for any frequencies) but not to the intended RoPE;
//  - the negated rotation R_{-m} likewise: only the two-encoding overloads see it;
//  - a scaled rotation a R_m, position-dependent frequencies and the additive scheme are not even
//    relative to themselves.
BOOST_AUTO_TEST_CASE_TEMPLATE(mutations, T, pt::mutation_types) {
    const int hd = 16;
    const long long tol_inner = pt::invariance_ulps<T>(hd);
    const long long tol_matrix = matrix_ulps<T>();
    std::mt19937_64 rng(7);
    const std::vector<T> q = pt::random_vector<T>(rng, hd);
    const std::vector<T> k = pt::random_vector<T>(rng, hd);
    const std::span<const T> qs(q), ks(k);
    const T m = T(3);
    const T n = T(100003);

    posenc::rope_params<T> p;
    p.head_dim = hd;
    p.layout = pair_layout::interleaved;
    const posenc::rope<T> intended(p);
    posenc::rope_params<T> pb = p;
    pb.base = T(10001);
    const posenc::rope<T> perturbed_base(pb);
    posenc::rope_params<T> pl = p;
    pl.variant = rope_variant::linear;
    pl.factor = T(T(10001) / T(10000));
    const posenc::rope<T> perturbed_linear(pl);
    posenc::rope_params<T> ps = p;
    ps.layout = pair_layout::half_split;
    const posenc::rope<T> swapped(ps);
    const pt::negated_rotation<T> negated(intended);
    const pt::scaled_rotation<T> scaled(intended, T(T(1) + T(1) / T(1024)));
    posenc::rope_params<T> pd = p;
    pd.variant = rope_variant::dynamic;
    pd.factor = T(2);
    pd.max_position_embeddings = 64;
    const pt::position_dependent_rope<T> dynamic_per_position(pd);
    const pt::additive_positions<T> additive(posenc::sinusoidal<T>(hd, T(10000)));

    pt::ulps_tracker<T> ok(fmt::format("correct encodings beside the mutations<{}>", pt::type_name<T>()));
    // Predicates of tol for (tested, intended) at (mm, nn); the encodings outlive every call.
    auto inner_two = [&](const auto& tested, const auto& intended_e, const T& mm, const T& nn) {
        return [te = &tested, ie = &intended_e, qs, ks, mm, nn](const T& tol) {
            return posenc::rope_relative_invariance(*te, *ie, qs, ks, mm, nn, tol);
        };
    };
    auto matrix_two = [](const auto& tested, const auto& intended_e, const T& mm, const T& nn) {
        return [te = &tested, ie = &intended_e, mm, nn](const T& tol) {
            return posenc::rope_matrix_relative(*te, *ie, mm, nn, tol);
        };
    };

    // The intended encoding and the self-relative mutations pass.
    ok.check(tol_inner, inner_two(intended, intended, m, n), "intended inner");
    ok.check(tol_matrix, matrix_two(intended, intended, m, n), "intended matrix");
    ok.check(tol_inner, inner_two(perturbed_base, perturbed_base, m, n), "base 10001 against itself");
    ok.check(tol_inner, inner_two(perturbed_linear, perturbed_linear, m, n), "linear 1.0001 against itself");
    ok.check(tol_inner, inner_two(swapped, swapped, m, n), "half_split against itself");
    ok.check(tol_inner, inner_two(negated, negated, m, n), "R_{-m} against itself");
    ok.check(tol_matrix, matrix_two(negated, negated, m, n), "R_{-m} matrix against itself");
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_ok{.double_ = 1, .cpp_bin_float_50 = 0};
    ok.report(measured_ok.at<T>());

    // Against the intended encoding: rejected.
    pt::check_rejected<T>(tol_inner, inner_two(perturbed_base, intended, m, n),
                          "rope_relative_invariance: base 10001 vs 10000");
    pt::check_rejected<T>(tol_matrix, matrix_two(perturbed_base, intended, m, n),
                          "rope_matrix_relative: base 10001 vs 10000");
    pt::check_rejected<T>(tol_inner, inner_two(perturbed_linear, intended, m, n),
                          "rope_relative_invariance: linear 1.0001 vs none");
    pt::check_rejected<T>(tol_matrix, matrix_two(perturbed_linear, intended, m, n),
                          "rope_matrix_relative: linear 1.0001 vs none");
    pt::check_rejected<T>(tol_inner, inner_two(swapped, intended, m, n),
                          "rope_relative_invariance: half_split vs interleaved");
    pt::check_rejected<T>(tol_matrix, matrix_two(swapped, intended, m, n),
                          "rope_matrix_relative: half_split vs interleaved");
    pt::check_rejected<T>(tol_inner, inner_two(negated, intended, m, n), "rope_relative_invariance: R_{-m} vs R_m");
    pt::check_rejected<T>(tol_matrix, matrix_two(negated, intended, m, n), "rope_matrix_relative: R_{-m} vs R_m");
    // Against themselves: rejected.
    const T m2 = T(-40);
    const T n2 = T(29);
    pt::check_rejected<T>(tol_inner, inner_two(scaled, scaled, m2, n2), "rope_relative_invariance: (1 + 2^-10) R_m");
    pt::check_rejected<T>(tol_matrix, matrix_two(scaled, scaled, m2, n2), "rope_matrix_relative: (1 + 2^-10) R_m");
    pt::check_rejected<T>(tol_inner, inner_two(dynamic_per_position, dynamic_per_position, m, n),
                          "rope_relative_invariance: dynamic NTK with seq_len = position");
    pt::check_rejected<T>(tol_matrix, matrix_two(dynamic_per_position, dynamic_per_position, m, n),
                          "rope_matrix_relative: dynamic NTK with seq_len = position");
    pt::check_rejected<T>(tol_inner, inner_two(additive, additive, m2, n2), "rope_relative_invariance: x + p_m");
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// Tolerance of sinusoidal_relative (and additive_sinusoidal_relative at x = y = 0), in ulps of the
/// scale (d/2)(1 + max(|m|, |n|)). An entry of p_k is the sine or cosine of fl(k theta), theta within
/// e ulps: off by |k| theta (2e + 1) u + s u. Over the d/2 pairs of p_m . p_n that is
/// d ((|m| + |n|) (2e + 1) u + 2 s u), the same for p_{m-n} . p_0 with |m - n| <= |m| + |n| and
/// p_0 exact, plus (d/2)(d/2) eps per dot product: in all (d/2) eps (4 M (2e + 1) + 3 s + d),
/// M = max(|m|, |n|), so n = max(4 (2e + 1), 3 s + d).
template <class T>
long long sinusoidal_relative_ulps(int d) {
    const int e = pt::trig_ulps<T>;  // theta: 1 ulp native, 4 multiprecision (sinusoidal.hpp)
    const long long a = 4 * (2 * e + 1);
    const long long b = 3 * pt::trig_ulps<T> + d;
    return a > b ? a : b;
}

/// Tolerance of sinusoidal_offset_linear, in ulps of (1 + |m| + |k|): p_{m+k,j} is off by
/// |m + k| (2e + 1) u + s u; (M_k p_m)_j = c p_a + s p_b by sqrt(2) (|k| + |m|) (2e + 1) u +
/// 2 sqrt(2) s u + 2 u (two products, a sum): n = max((1 + sqrt 2)(2e + 1)/2, ((1 + 2 sqrt 2) s + 2)/2).
template <class T>
long long offset_ulps() {
    const double e = pt::trig_ulps<T>;
    const double s = pt::trig_ulps<T>;
    const double a = (1.0 + std::sqrt(2.0)) * (2.0 * e + 1.0) / 2.0;
    const double b = ((1.0 + 2.0 * std::sqrt(2.0)) * s + 2.0) / 2.0;
    return pt::ceil_ulps(a > b ? a : b);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sinusoidal)

// Grids of positions (every pair on a small grid, and spread-out pairs with m - n > 10^5 and
// negative positions) and seeded random pairs; d = 16 and 64 for float, double and long double,
// 16 for __float128, 8 for the multiprecision types (smaller grids for these slow types).
BOOST_AUTO_TEST_CASE_TEMPLATE(relative_and_offset, T, pt::property_types) {
    constexpr bool slow = pt::is_slow<T>;
    const std::vector<int> dims = slow ? std::vector<int>{pt::is_multiprecision<T> ? 8 : 16} : std::vector<int>{16, 64};
    const long long L = pt::is_multiprecision<T> ? 100000000LL : (std::is_same_v<T, float> ? (1LL << 22) : (1LL << 40));
    std::mt19937_64 rng(1789);
    pt::ulps_tracker<T> rel(fmt::format("sinusoidal_relative<{}>", pt::type_name<T>()));
    pt::ulps_tracker<T> add(fmt::format("additive_sinusoidal_relative<{}> (x = y = 0)", pt::type_name<T>()));
    pt::ulps_tracker<T> off(fmt::format("sinusoidal_offset_linear<{}>", pt::type_name<T>()));
    const long long tol_off = offset_ulps<T>();
    for (const int d : dims) {
        const posenc::sinusoidal<T> s(d, T(10000));
        const long long tol_rel = sinusoidal_relative_ulps<T>(d);
        const std::vector<T> zero(static_cast<std::size_t>(d), T(0));
        std::vector<std::pair<long long, long long>> positions;
        const int grid = pt::is_multiprecision<T> ? 0 : (slow ? 1 : 4);
        for (int a = -grid; a <= grid; ++a) {
            for (int b = -grid; b <= grid; ++b) positions.emplace_back(a, b);
        }
        for (const auto& pr : std::vector<std::pair<long long, long long>>{
                 {100003, 3}, {-7, 250000}, {L, -L}, {12345, 12345}}) {
            positions.push_back(pr);
        }
        for (std::size_t i = 0; i < (slow ? 1 : pt::sample_count(16)); ++i) {
            positions.push_back(pt::random_position_pair(rng, L));
        }
        for (const auto& [mi, ni] : positions) {
            const T m = T(mi);
            const T n = T(ni);
            const std::string where = fmt::format("d={} m={} n={}", d, mi, ni);
            rel.check(tol_rel, [&](const T& tol) { return posenc::sinusoidal_relative(s, m, n, tol); }, where);
            add.check(tol_rel, [&](const T& tol) {
                return posenc::additive_sinusoidal_relative(s, std::span<const T>(zero), std::span<const T>(zero), m, n,
                                                            tol);
            }, where);
            // offset k = n, from position m
            off.check(tol_off, [&](const T& tol) { return posenc::sinusoidal_offset_linear(s, m, n, tol); }, where);
        }
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_rel{.float_ = 1, .double_ = 1, .long_double = 1, .float128 = 1,
                                                        .cpp_bin_float_50 = 0, .cpp_bin_float_100 = 0, .mpfr_float_100 = 0};
    rel.report(measured_rel.at<T>());
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_add{.float_ = 1, .double_ = 1, .long_double = 1, .float128 = 1,
                                                        .cpp_bin_float_50 = 0, .cpp_bin_float_100 = 0, .mpfr_float_100 = 0};
    add.report(measured_add.at<T>());
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_off{.float_ = 1, .double_ = 1, .long_double = 1, .float128 = 1,
                                                        .cpp_bin_float_50 = 0, .cpp_bin_float_100 = 0, .mpfr_float_100 = 0};
    off.report(measured_off.at<T>());
}

// Mutations: the additive scheme (<x + p_m, y + p_n> for word vectors x, y: the cross terms), the
// skewed sinusoidal (sine and cosine of a pair at different frequencies) and the wrong-sign offset
// operator are rejected; the amplified sinusoidal is NOT (relativity and the offset operator are
// blind to a common scale: sinusoidal_norm catches it, test_bounded.cpp).
BOOST_AUTO_TEST_CASE_TEMPLATE(mutations, T, pt::mutation_types) {
    const int d = 16;
    const posenc::sinusoidal<T> s(d, T(10000));
    const long long tol_rel = sinusoidal_relative_ulps<T>(d);
    const long long tol_off = offset_ulps<T>();
    std::mt19937_64 rng(99);
    const std::vector<T> x = pt::random_vector<T>(rng, d);
    const std::vector<T> y = pt::random_vector<T>(rng, d);
    const std::vector<T> zero(d, T(0));
    const T m = T(7);
    const T n = T(2);
    pt::ulps_tracker<T> ok(fmt::format("correct sinusoidal beside the mutations<{}>", pt::type_name<T>()));
    ok.check(tol_rel, [&](const T& tol) { return posenc::sinusoidal_relative(s, m, n, tol); }, "relative");
    ok.check(tol_rel, [&](const T& tol) {
        return posenc::additive_sinusoidal_relative(s, std::span<const T>(zero), std::span<const T>(zero), m, n, tol);
    }, "additive, x = y = 0");
    ok.check(tol_off, [&](const T& tol) { return posenc::sinusoidal_offset_linear(s, m, n, tol); }, "offset");
    const pt::amplified_sinusoidal<T> amplified(s, T(T(1) / T(4096)));
    ok.check(tol_rel, [&](const T& tol) { return posenc::sinusoidal_relative(amplified, m, n, tol); },
                      "amplified: relative (blind to a scale)");
    ok.check(tol_off, [&](const T& tol) { return posenc::sinusoidal_offset_linear(amplified, m, n, tol); },
                      "amplified: offset (blind to a scale)");
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_ok{.double_ = 1, .cpp_bin_float_50 = 1};
    ok.report(measured_ok.at<T>());

    pt::check_rejected<T>(tol_rel, [&](const T& tol) {
        return posenc::additive_sinusoidal_relative(s, std::span<const T>(x), std::span<const T>(y), m, n, tol);
    }, "additive_sinusoidal_relative: random word vectors x, y");
    const pt::skewed_sinusoidal<T> skewed(s);
    pt::check_rejected<T>(tol_rel, [&](const T& tol) { return posenc::sinusoidal_relative(skewed, m, n, tol); },
                          "sinusoidal_relative: entry j at base^(-j/d)");
    pt::check_rejected<T>(tol_off, [&](const T& tol) { return posenc::sinusoidal_offset_linear(skewed, m, n, tol); },
                          "sinusoidal_offset_linear: entry j at base^(-j/d)");
    const pt::wrong_sign_offset_sinusoidal<T> wrong_sign(s);
    pt::check_rejected<T>(tol_off,
                          [&](const T& tol) { return posenc::sinusoidal_offset_linear(wrong_sign, m, n, tol); },
                          "sinusoidal_offset_linear: counter-clockwise block on (sin, cos)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(complex_embedding)

// Random amplitudes in [1/2, 2], frequencies in [-1, 1], phases in [-pi, pi] (D = 8 machine, 4
// multiprecision), and the sinusoidal encoding as a complex embedding (from_sinusoidal), at grid
// and random (pos, n).
BOOST_AUTO_TEST_CASE_TEMPLATE(witnessed_offset, T, pt::property_types) {
    const std::size_t D = pt::is_multiprecision<T> ? 4 : 8;
    const long long L = pt::is_multiprecision<T> ? 100000000LL : (std::is_same_v<T, float> ? (1LL << 22) : (1LL << 40));
    std::mt19937_64 rng(4242);
    const long long tol_w = pt::witness_ulps<T>();
    pt::ulps_tracker<T> tr(fmt::format("complex_offset_witnessed<{}>", pt::type_name<T>()));
    const posenc::complex_embedding<T> random_g = pt::random_complex_embedding<T>(rng, D);
    const posenc::complex_embedding<T> sinusoidal_g =
        posenc::complex_embedding<T>::from_sinusoidal(posenc::sinusoidal<T>(static_cast<int>(2 * D), T(10000)));
    std::vector<std::pair<long long, long long>> positions{{0, 0},           {1, 1},  {-5, 3},
                                                           {100000, -100007}, {-L, L}, {L, -L}};
    for (std::size_t i = 0; i < (pt::is_slow<T> ? 1 : pt::sample_count(24)); ++i) {
        positions.push_back(pt::random_position_pair(rng, L));
    }
    for (const auto* g : {&random_g, &sinusoidal_g}) {
        for (const auto& [pi, ni] : positions) {
            const T pos = T(pi);
            const T n = T(ni);
            tr.check(tol_w, [&](const T& tol) { return posenc::complex_offset_witnessed(*g, pos, n, tol); },
                              fmt::format("{} pos={} n={}", g == &random_g ? "random" : "from_sinusoidal", pi, ni));
        }
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_tr{.float_ = 1, .double_ = 1, .long_double = 1, .float128 = 1,
                                                       .cpp_bin_float_50 = 0, .cpp_bin_float_100 = 0, .mpfr_float_100 = 0};
    tr.report(measured_tr.at<T>());
}

// Mutation: an amplitude growing as rho^pos (rho = 1 + 2^-8) with the unit-modulus witness is
// rejected; the correct embedding passes beside it. (With the honest witness rho^n e^{i omega n} it
// passes Property 1 and fails Property 2 instead: test_bounded.cpp.)
BOOST_AUTO_TEST_CASE_TEMPLATE(mutations, T, pt::mutation_types) {
    std::mt19937_64 rng(5);
    const std::size_t D = 4;
    const posenc::complex_embedding<T> g = pt::random_complex_embedding<T>(rng, D);
    const pt::growing_complex_embedding<T> growing(g, T(T(1) + T(1) / T(256)));
    const long long tol_w = pt::witness_ulps<T>();
    pt::ulps_tracker<T> ok(fmt::format("correct complex embedding beside the mutation<{}>", pt::type_name<T>()));
    for (const auto& [pi, ni] : std::vector<std::pair<long long, long long>>{{3, 5}, {-20, 41}, {1000, -1}}) {
        const T pos = T(pi);
        const T n = T(ni);
        ok.check(tol_w, [&](const T& tol) { return posenc::complex_offset_witnessed(g, pos, n, tol); },
                          fmt::format("pos={} n={}", pi, ni));
        pt::check_rejected<T>(tol_w,
                              [&](const T& tol) { return posenc::complex_offset_witnessed(growing, pos, n, tol); },
                              fmt::format("complex_offset_witnessed: r (1 + 2^-8)^pos, pos={} n={}", pi, ni));
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_ok{.double_ = 1, .cpp_bin_float_50 = 1};
    ok.report(measured_ok.at<T>());
}

BOOST_AUTO_TEST_SUITE_END()
