// The M-RoPE predicates (include/posenc/properties/mrope.hpp) on posenc::mrope: 3D relativity
// R_p^T R_q = R_{q-p} on the four published geometries at full size (mrope_matrix_relative), text
// tokens against the 1D rope (mrope_text_equals_1d), and what tells two M-RoPEs apart
// (mrope_same_rotation).
//
// Relativity is checked at float, double, long double and mpfr_float_100 on fixed position pairs
// (distinct t, h, w; negative; dyadic fractions; coordinates up to max_position / 2: 2^22 for float,
// 2^39 for double) and seeded random ones, with n ulps of the type derived from the error model of
// tests/support/property_checks.hpp next to the tolerance; every check measures the smallest passing
// n on its first probes and the largest is printed.
// Mutation tests (at double and cpp_bin_float_50): each predicate rejects a wrong M-RoPE at the
// tolerance the correct one passes with, and the correct one passes beside it:
//  - the sectioned map where the interleaved one was meant (and the converse), the other pair
//    layout (GLM-4.1V with NeoX pairs: vllm-project/vllm #42016), a section boundary off by one;
//  - frequencies restarted in every section (per_section_theta_mrope below): still relative, but on
//    text tokens no longer the 1D rope;
//  - a 1D rope of another layout or base as the reference for text tokens.
#define BOOST_TEST_MODULE test_properties_mrope
#include <boost/test/unit_test.hpp>

#include <posenc/encodings/mrope.hpp>
#include <posenc/math/double_t.hpp>
#include <posenc/properties/mrope.hpp>
#include <support/property_checks.hpp>

#include <array>
#include <cmath>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

namespace pt = posenc_test;
using posenc::pair_layout;
using posenc::position3;

/// A published M-RoPE configuration (tests/data/configs).
struct geometry {
    const char* name;
    int head_dim;
    int partial_denominator;  ///< partial_rotary_factor = 1 / this
    long base;
    std::array<long, 3> section;
    bool interleaved;
    pair_layout layout;
};

constexpr geometry qwen25_vl{"Qwen2.5-VL-7B", 128, 1, 1000000, {16, 24, 24}, false, pair_layout::half_split};
constexpr geometry qwen3_vl{"Qwen3-VL-4B", 128, 1, 5000000, {24, 20, 20}, true, pair_layout::half_split};
constexpr geometry qwen35{"Qwen3.5-27B", 256, 4, 10000000, {11, 11, 10}, true, pair_layout::half_split};
constexpr geometry glm41v{"GLM-4.1V-9B", 128, 2, 10000, {8, 12, 12}, false, pair_layout::interleaved};
constexpr geometry published[] = {qwen25_vl, qwen3_vl, qwen35, glm41v};

template <class T>
posenc::rope_params<T> params(const geometry& g) {
    posenc::rope_params<T> p;
    p.head_dim = g.head_dim;
    p.partial_rotary_factor = T(T(1) / T(g.partial_denominator));
    p.base = T(g.base);
    p.layout = g.layout;
    p.mrope_section.assign(g.section.begin(), g.section.end());
    p.mrope_interleaved = g.interleaved;
    return p;
}

template <class T>
posenc::mrope<T> make(const geometry& g) {
    return posenc::mrope<T>(params<T>(g));
}

/// g with other sections, map or layout.
constexpr geometry with(geometry g, std::array<long, 3> section, bool interleaved, pair_layout layout) {
    g.section = section;
    g.interleaved = interleaved;
    g.layout = layout;
    return g;
}

template <class T>
position3<T> pos(double t, double h, double w) {
    return {T(t), T(h), T(w)};
}

/// Tolerance of mrope_matrix_relative and mrope_same_rotation, in ulps (entries are cosines and
/// sines): an entry of R_p^T R_q is c_p c_q + s_p s_q (or a mixed pair; the other terms of the row
/// times column sum are exact zeros), off by c eps (|c_q| + |s_q| + |c_p| + |s_p|) <= 2 sqrt(2) c eps
/// plus 1.5 eps for two products and a sum; the entry of R_{q-p} by c eps (c = rotation_cs: the sine
/// and cosine of an exact angle within c eps). The angles p_a theta_i are exact (TwoProduct):
/// nothing grows with the position.
template <class T>
long long matrix_ulps() {
    return pt::ceil_ulps((2.0 * std::sqrt(2.0) + 1.0) * pt::rotation_cs<T> + 1.5);
}

struct position_pair {
    std::array<double, 3> p;
    std::array<double, 3> q;
};

/// Fixed pairs: both at the origin, distinct small axes, negative and 2^20 apart, dyadic fractions,
/// a text token against a 3D one, and the largest coordinates of the type (differences 2L).
template <class T>
std::vector<position_pair> fixed_pairs() {
    const double L = static_cast<double>(pt::max_position<T>() / 2);
    return {{{0, 0, 0}, {0, 0, 0}},
            {{3, 5, 11}, {-7, 100, 2}},
            {{1048576, -3, 17}, {5, 4194304, -1000}},
            {{2.5, -7.25, 0.125}, {-0.5, 3.75, 100}},
            {{7, 7, 7}, {7, 8, 9}},
            {{L, -L, 0}, {-L, L, L}}};
}

/// M-RoPE whose frequencies restart in every section: pair j of the section of axis a (s_a pairs)
/// turns by p_a base^(-2j / (2 s_a)), the frequencies of a rope of rotary dimension 2 s_a, on
/// half-split pairs over the whole head. Imitates reading mrope_section as per-axis rotary
/// dimensions, each with its own frequency ladder. Every pair still turns linearly with one
/// coordinate, so it is relative; on text tokens it is not the 1D rope.
template <posenc::Real T>
class per_section_theta_mrope {
public:
    using value_type = T;

    per_section_theta_mrope(int head_dim, const T& base, const std::array<long, 3>& section) : head_dim_(head_dim) {
        for (int a = 0; a < 3; ++a) {
            posenc::rope_params<T> p;
            p.head_dim = 2 * static_cast<int>(section[static_cast<std::size_t>(a)]);
            p.base = base;
            const posenc::rope<T> r(p);
            for (const T& t : r.inv_freq()) {
                theta_.push_back(t);
                axis_.push_back(static_cast<posenc::mrope_axis>(a));
            }
        }
    }

    [[nodiscard]] int head_dim() const { return head_dim_; }

    void apply(std::span<const T> x, const position3<T>& p, std::span<T> out) const {
        for (std::size_t k = 0; k < x.size(); ++k) out[k] = x[k];
        const std::size_t pairs = theta_.size();
        for (std::size_t i = 0; i < pairs; ++i) {
            const auto sc = angle(p, i);
            const T xa = out[i];
            const T xb = out[i + pairs];
            out[i] = sc.cos * xa - sc.sin * xb;
            out[i + pairs] = sc.sin * xa + sc.cos * xb;
        }
    }

    void matrix(const position3<T>& p, std::span<T> out) const {
        const std::size_t n = static_cast<std::size_t>(head_dim_);
        for (std::size_t k = 0; k < n * n; ++k) out[k] = (k / n == k % n) ? T(1) : T(0);
        const std::size_t pairs = theta_.size();
        for (std::size_t i = 0; i < pairs; ++i) {
            const auto sc = angle(p, i);
            const std::size_t b = i + pairs;
            out[i * n + i] = sc.cos;
            out[i * n + b] = T(-sc.sin);
            out[b * n + i] = sc.sin;
            out[b * n + b] = sc.cos;
        }
    }

private:
    [[nodiscard]] posenc::math::sincos_result<T> angle(const position3<T>& p, std::size_t i) const {
        return posenc::math::sincos(posenc::math::two_prod(p[axis_[i]], theta_[i]));
    }

    int head_dim_;
    std::vector<T> theta_{};
    std::vector<posenc::mrope_axis> axis_{};
};

/// The relativity types: the machine types and MPFR at 100 digits.
using relative_types = std::tuple<float, double, long double, pt::mpfr_float_100>;

}  // namespace

BOOST_AUTO_TEST_SUITE(relativity)

// mrope_matrix_relative, R_p^T R_q = R_{q-p}, on the four published geometries at full size
// (head_dim 128 and 256), at matrix_ulps. Float, double and long double: the six fixed pairs and 6
// random ones (integer coordinates in [-L, L], L = max_position / 2) per geometry; mpfr_float_100 (a
// 256 x 256 product takes seconds there): two fixed pairs per geometry, no probes.
BOOST_AUTO_TEST_CASE_TEMPLATE(published_geometries, T, relative_types) {
    constexpr bool slow = pt::is_slow<T>;
    const long long tol = matrix_ulps<T>();
    pt::ulps_tracker<T> rel(fmt::format("mrope_matrix_relative<{}> (tolerance (2 sqrt 2 + 1) c + 1.5 = {})",
                                        pt::type_name<T>(), tol),
                            slow ? 0 : pt::default_probes<T>());
    std::mt19937_64 rng(4616);
    const long long L = pt::max_position<T>() / 2;
    for (const geometry& g : published) {
        const posenc::mrope<T> e = make<T>(g);
        std::vector<position_pair> pairs = fixed_pairs<T>();
        if (slow) pairs = {pairs[1], pairs[2]};
        for (std::size_t i = 0; i < (slow ? 0 : pt::sample_count(6)); ++i) {
            position_pair r{};
            for (int a = 0; a < 3; ++a) {
                r.p[static_cast<std::size_t>(a)] = static_cast<double>(pt::random_position(rng, L));
                r.q[static_cast<std::size_t>(a)] = static_cast<double>(pt::random_position(rng, L));
            }
            pairs.push_back(r);
        }
        for (const position_pair& pp : pairs) {
            const position3<T> p = pos<T>(pp.p[0], pp.p[1], pp.p[2]);
            const position3<T> q = pos<T>(pp.q[0], pp.q[1], pp.q[2]);
            rel.check(tol, [&](const T& t) { return posenc::mrope_matrix_relative(e, p, q, t); },
                      fmt::format("{} ({}) -> ({})", g.name, fmt::join(pp.p, ", "), fmt::join(pp.q, ", ")));
        }
    }
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_rel{.float_ = 2, .double_ = 2, .long_double = 2};
    rel.report(measured_rel.at<T>());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mutations)

// mrope_same_rotation: two M-RoPEs that differ in map, layout or one section boundary are told
// apart at p = (7, -3, 1000) (rejected at matrix_ulps), and agree where they must: on text tokens
// (every pair turns by m theta_i whatever its axis: bit for bit, tolerance 0), and for the section
// off by one wherever t = h (the moved pair's two candidate axes carry the same position).
BOOST_AUTO_TEST_CASE_TEMPLATE(same_rotation, T, pt::mutation_types) {
    const long long tol = matrix_ulps<T>();
    const position3<T> apart = pos<T>(7, -3, 1000);
    const position3<T> text = pos<T>(123456, 123456, 123456);
    struct mutant {
        const char* what;
        geometry right;
        geometry wrong;
        bool agree_on_text;
    };
    const mutant mutants[] = {
        {"Qwen2.5-VL sections read as interleaved", qwen25_vl,
         with(qwen25_vl, {16, 24, 24}, true, pair_layout::half_split), true},
        {"Qwen3-VL sections read as sectioned", qwen3_vl, with(qwen3_vl, {24, 20, 20}, false, pair_layout::half_split),
         true},
        {"Qwen3.5 sections read as sectioned", qwen35, with(qwen35, {11, 11, 10}, false, pair_layout::half_split), true},
        {"Qwen2.5-VL with interleaved pairs", qwen25_vl,
         with(qwen25_vl, {16, 24, 24}, false, pair_layout::interleaved), false},
        {"GLM-4.1V with NeoX (half-split) pairs", glm41v, with(glm41v, {8, 12, 12}, false, pair_layout::half_split),
         false},
        {"Qwen2.5-VL [17, 23, 24]", qwen25_vl, with(qwen25_vl, {17, 23, 24}, false, pair_layout::half_split), true},
        {"GLM-4.1V [9, 11, 12]", glm41v, with(glm41v, {9, 11, 12}, false, pair_layout::interleaved), true},
    };
    for (const mutant& m : mutants) {
        const posenc::mrope<T> right = make<T>(m.right);
        const posenc::mrope<T> wrong = make<T>(m.wrong);
        BOOST_TEST(posenc::mrope_same_rotation(right, right, apart, T(0)), m.what << ": itself");
        pt::check_rejected<T>(tol, [&](const T& t) { return posenc::mrope_same_rotation(right, wrong, apart, t); },
                              std::string("mrope_same_rotation: ") + m.what);
        BOOST_TEST(!posenc::mrope_same_rotation(right, wrong, apart, T(T(1) / T(4))), m.what << ": within 1/4");
        BOOST_TEST(posenc::mrope_same_rotation(right, wrong, text, T(0)) == m.agree_on_text, m.what << ": on text");
    }
    // The section off by one moves pair 16 from h to t: the same rotation wherever t = h.
    const posenc::mrope<T> right = make<T>(qwen25_vl);
    const posenc::mrope<T> moved = make<T>(with(qwen25_vl, {17, 23, 24}, false, pair_layout::half_split));
    BOOST_TEST(posenc::mrope_same_rotation(right, moved, pos<T>(7, 7, 1000), T(0)));
    BOOST_TEST(!posenc::mrope_same_rotation(right, moved, pos<T>(7, 8, 1000), posenc::ulps<T>(tol)));
}

// mrope_matrix_relative, two encodings: a sectioned map where the interleaved one was intended
// gives R_p^T R_q = R_{q-p} of its own, not the intended R_{q-p}; rejected at matrix_ulps, while
// each passes against itself.
BOOST_AUTO_TEST_CASE_TEMPLATE(relative_against_intended, T, pt::mutation_types) {
    const long long tol = matrix_ulps<T>();
    const posenc::mrope<T> intended = make<T>(qwen3_vl);
    const posenc::mrope<T> tested = make<T>(with(qwen3_vl, {24, 20, 20}, false, pair_layout::half_split));
    const position3<T> p = pos<T>(3, 5, 11);
    const position3<T> q = pos<T>(-7, 100, 2);
    pt::ulps_tracker<T> ok(fmt::format("Qwen3-VL geometry, both maps, against themselves<{}>", pt::type_name<T>()));
    ok.check(tol, [&](const T& t) { return posenc::mrope_matrix_relative(intended, p, q, t); }, "interleaved");
    ok.check(tol, [&](const T& t) { return posenc::mrope_matrix_relative(tested, p, q, t); }, "sectioned");
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_ok{.double_ = 1, .cpp_bin_float_50 = 1};
    ok.report(measured_ok.at<T>());
    pt::check_rejected<T>(tol, [&](const T& t) { return posenc::mrope_matrix_relative(tested, intended, p, q, t); },
                          "mrope_matrix_relative: sectioned against the intended interleaved map");
    // On a text step (q - p = (k, k, k)) the two maps give the same R_{q-p}: not a way to tell them apart.
    pt::ulps_tracker<T> text(fmt::format("both maps on text steps<{}>", pt::type_name<T>()));
    text.check(tol,
               [&](const T& t) {
                   return posenc::mrope_matrix_relative(tested, intended, pos<T>(5, 5, 5), pos<T>(-9, -9, -9), t);
               },
               "(5, 5, 5) -> (-9, -9, -9)");
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_text{.double_ = 1, .cpp_bin_float_50 = 1};
    text.report(measured_text.at<T>());
}

// mrope_text_equals_1d: posenc::mrope on text tokens is its own 1D rope and an independently built
// one (exactly); a per-section frequency ladder (relative, so the relativity predicate passes it) is
// not; nor does the 1D rope of another layout or base match.
BOOST_AUTO_TEST_CASE_TEMPLATE(text_tokens, T, pt::mutation_types) {
    std::mt19937_64 rng(11);
    const std::vector<T> x = pt::random_vector<T>(rng, 128);
    const std::span<const T> xs(x);
    const posenc::mrope<T> e = make<T>(qwen25_vl);
    const posenc::rope<T> same(params<T>(qwen25_vl));
    posenc::rope_params<T> other_layout = params<T>(qwen25_vl);
    other_layout.layout = pair_layout::interleaved;
    posenc::rope_params<T> other_base = params<T>(qwen25_vl);
    other_base.base = T(1000001);
    const posenc::rope<T> swapped(other_layout);
    const posenc::rope<T> rebased(other_base);
    const per_section_theta_mrope<T> ladder(128, T(1000000), {16, 24, 24});
    for (const double m : {1.0, 7.0, -3.0, 2.5, 123456.0, 16777216.0}) {
        const T tm = T(m);
        BOOST_TEST(posenc::mrope_text_equals_1d(e, xs, tm), "m = " << m);
        BOOST_TEST(posenc::mrope_text_equals_1d(e, same, xs, tm), "m = " << m);
        BOOST_TEST(!posenc::mrope_text_equals_1d(e, swapped, xs, tm), "other layout accepted at m = " << m);
        BOOST_TEST(!posenc::mrope_text_equals_1d(e, rebased, xs, tm), "base 1000001 accepted at m = " << m);
        BOOST_TEST(!posenc::mrope_text_equals_1d(ladder, same, xs, tm), "per-section ladder accepted at m = " << m);
    }
    // At m = 0 every rotation is the identity: nothing to tell apart.
    BOOST_TEST(posenc::mrope_text_equals_1d(ladder, same, xs, T(0)));
    // The ladder is relative: what the text predicate catches, relativity cannot.
    pt::ulps_tracker<T> rel(fmt::format("per-section ladder, relative<{}>", pt::type_name<T>()));
    rel.check(matrix_ulps<T>(),
              [&](const T& t) { return posenc::mrope_matrix_relative(ladder, pos<T>(3, 5, 11), pos<T>(-7, 100, 2), t); },
              "(3, 5, 11) -> (-7, 100, 2)");
    // largest smallest-passing n measured (g++); the stated tolerance covers the worst case
    constexpr pt::per_real_type<long long> measured_rel{.double_ = 1, .cpp_bin_float_50 = 1};
    rel.report(measured_rel.at<T>());
}

BOOST_AUTO_TEST_SUITE_END()
