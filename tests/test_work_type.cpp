// The working type of `posenc decay --precision 50` and `--precision 100` (experiments/cli/work_type.hpp:
// MPFR at 191 and 384 bits through Boost's mpfr_float_backend, each result rounded once to
// cpp_bin_float_50/100) and the decay quantities of posenc/analysis computed in it, block by block of
// 256 rows as the runner cuts a distance list; the twins (MPFR at the printed type's own width, in
// which the runners make their frequencies) and reference_50 (validate's, context's and min-base's
// 50-digit type), against cpp_bin_float bit for bit; context's and min-base's sign checks.
//
// Expected values, none produced by the code under test:
//   - MPFR at 600 bits (holds r theta exactly: at most 334 + 53 bits): the unit phases e^{i r theta_j}
//     of the printed type's frequencies, RoFormer's V (eq. 37) and Men et al.'s B (eq. 9) from them,
//     and their correctly rounded values in the printed type by tests/support/reference.hpp's
//     from_mpfr (its own rounding routine, not narrow);
//   - MPFR's sqrt at 600 bits, rounded to the working type, for the sqrt opt-in;
//   - the cpp_bin_float path (the same quantities over phase_block<cpp_bin_float_50/100>, as the runner
//     computed them before the working type): a cross-check, which the new values must match to its
//     own error bound and be at least as close to the reference as, row by row.
//   - MPFR at 600 bits for B_m of the exact frequencies (b_exact_against_mpfr), with the cpp_bin_float
//     path (context's former type) as the cross-check;
//   - the twins and reference_50 are compared with cpp_bin_float itself, bit for bit: their claim is
//     identical bits, not an error bound.
#define BOOST_TEST_MODULE test_work_type
#include <boost/test/unit_test.hpp>

#include "../experiments/cli/b_exact.hpp"
#include "../experiments/cli/work_type.hpp"

#include <posenc/analysis.hpp>
#include <posenc/encodings/mrope.hpp>
#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <support/bound_tracker.hpp>
#include <support/decay_reference.hpp>
#include <support/property_checks.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace pt = posenc_test;
namespace pa = posenc::analysis;
namespace md = posenc::math;
using pt::mp;
using posenc_test::decay_reference::config_rope;
using posenc_test::decay_reference::decay_configs;

constexpr mpfr_prec_t ref_bits = 600;

template <class Printed>
struct precision {
    using T = Printed;
    using W = posenc_cli::work_t<Printed>;
};
using precisions = std::tuple<precision<pt::cpp_bin_float_50>, precision<pt::cpp_bin_float_100>>;

template <class W>
constexpr int bits = std::numeric_limits<W>::digits;

/// |a - b| in eps = 2^(1 - p) of a p-bit type (a, b absolute: the values compared here are at most
/// N = 64 in magnitude, and unit phases are compared absolutely).
double eps_diff(mpfr_srcptr a, mpfr_srcptr b, int p) {
    mp d(ref_bits + 64);
    mpfr_sub(d, a, b, MPFR_RNDN);
    mpfr_abs(d, d, MPFR_RNDN);
    mpfr_mul_2si(d, d, p - 1, MPFR_RNDN);
    return mpfr_get_d(d, MPFR_RNDU);
}

template <class W>
mp as_mp(const W& x) {
    mp r(bits<W>);
    mpfr_set(r, x.backend().data(), MPFR_RNDN);  // exact: same precision
    return r;
}

/// The distance from v to the nearest midpoint between consecutive p-bit numbers, in ulps of p
/// bits (0.5 for a p-bit number, 0 at a midpoint).
double to_midpoint_ulps(mpfr_srcptr v, int p) {
    if (mpfr_zero_p(v)) return 0.5;
    mp a(ref_bits), frac(ref_bits);
    mpfr_abs(a, v, MPFR_RNDN);
    mpfr_mul_2si(a, a, p - mpfr_get_exp(v), MPFR_RNDN);  // significand scaled to [2^(p-1), 2^p)
    mpfr_frac(frac, a, MPFR_RNDN);
    mpfr_sub_d(frac, frac, 0.5, MPFR_RNDN);
    mpfr_abs(frac, frac, MPFR_RNDN);
    return mpfr_get_d(frac, MPFR_RNDN);
}

/// e^{i r theta} at ref_bits from an exact theta.
std::pair<mp, mp> ref_phase(long long r, mpfr_srcptr theta) {
    mp a(ref_bits), c(ref_bits), s(ref_bits);
    mpfr_mul_si(a, theta, r, MPFR_RNDN);  // exact: theta has at most 334 bits
    mpfr_sin_cos(s, c, a, MPFR_RNDN);
    return {c, s};
}

/// V(r) and B(r) at ref_bits for exact frequencies (eqs. 37 and 9, sums in order j = 1, ..., N).
std::pair<mp, mp> ref_values(long long r, const std::vector<mp>& theta) {
    mp sr(ref_bits, 0), si(ref_bits, 0), v(ref_bits, 0), b(ref_bits, 0), m(ref_bits);
    for (const mp& t : theta) {
        const auto [c, s] = ref_phase(r, t);
        mpfr_add(sr, sr, c, MPFR_RNDN);
        mpfr_add(si, si, s, MPFR_RNDN);
        mpfr_hypot(m, sr, si, MPFR_RNDN);
        mpfr_add(v, v, m, MPFR_RNDN);
        mpfr_add(b, b, c, MPFR_RNDN);
    }
    mpfr_div_si(v, v, static_cast<long>(theta.size()), MPFR_RNDN);
    return {v, b};
}

/// The distance lists, cut into blocks of phase_block::max_rows rows as `posenc decay` cuts them.
std::vector<std::vector<long long>> cut(const std::vector<long long>& all) {
    std::vector<std::vector<long long>> blocks;
    constexpr std::size_t rows = pa::phase_block<double>::max_rows;
    for (std::size_t i = 0; i < all.size(); i += rows) {
        blocks.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(i),
                            all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + rows)));
    }
    return blocks;
}

std::vector<long long> range(long long a, long long b, long long step) {
    std::vector<long long> r;
    for (long long x = a; step > 0 ? x <= b : x >= b; x += step) r.push_back(x);
    return r;
}

/// V and B of every row of the blocks, computed in number type U from the frequencies theta.
template <class U>
std::pair<std::vector<U>, std::vector<U>> batched(const std::vector<U>& theta, const std::vector<long long>& rows) {
    std::vector<md::dd<U>> w;
    for (const U& t : theta) w.push_back({t, U(0)});
    std::vector<U> v, b;
    pa::phase_block<U> block;
    for (const std::vector<long long>& r : cut(rows)) {
        block.fill(w, r);
        std::vector<U> bv(block.tiles() * pa::phase_block<U>::tile), bb(bv.size());
        pa::roformer_relative_bound(block, 0, r.size(), std::span<U>(bv));
        pa::b_sum(block, 0, r.size(), std::span<U>(bb));
        v.insert(v.end(), bv.begin(), bv.begin() + static_cast<std::ptrdiff_t>(r.size()));
        b.insert(b.end(), bb.begin(), bb.begin() + static_cast<std::ptrdiff_t>(r.size()));
    }
    return {v, b};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(work_type)

// widen is exact and narrow is rounding to nearest once: narrow(x) against from_mpfr (the test
// support's own rounding), for seeded x of every bit of the working type in several binades, and
// for the midpoints between consecutive printed values (ties to even) and their neighbours one
// working ulp away. Exact equality: both are correct rounding.
BOOST_AUTO_TEST_CASE_TEMPLATE(widen_narrow, P, precisions) {
    using T = typename P::T;
    using W = typename P::W;
    gmp_randstate_t state;
    gmp_randinit_default(state);
    gmp_randseed_ui(state, 11);
    int checked = 0;
    for (int i = 0; i < 3000; ++i) {
        W x;
        mpfr_urandomb(x.backend().data(), state);  // uniform in [0, 1), every bit random
        mpfr_mul_2si(x.backend().data(), x.backend().data(), (i % 41) - 20, MPFR_RNDN);
        if (i % 2 == 1) x = -x;
        if (i % 3 == 2) {  // x to one bit more than the printed type: a printed value or a midpoint
            mp m(pt::digits<T> + 1);
            mpfr_set(m, x.backend().data(), MPFR_RNDN);
            mpfr_set(x.backend().data(), m, MPFR_RNDN);  // exact: the working type is wider
            if (i % 9 == 5) mpfr_nextabove(x.backend().data());  // one working ulp beside it
            if (i % 9 == 8) mpfr_nextbelow(x.backend().data());
        }
        const T n = posenc_cli::narrow<T>(x);
        const T expect = pt::from_mpfr<T>(x.backend().data());
        BOOST_TEST(static_cast<bool>(n == expect), "narrow at i = " << i);
        const W back = posenc_cli::widen<W>(n);
        BOOST_TEST(mpfr_equal_p(back.backend().data(), pt::exact(n).get()) != 0, "widen at i = " << i);
        ++checked;
    }
    gmp_randclear(state);
    BOOST_TEST(checked == 3000);
}

// The sqrt opt-in: posenc::math::sqrt in the working type equals MPFR's square root at 600 bits
// rounded to the working type (the square root of a p-bit number is never within 2^-600 of a
// midpoint of p + 1 bits unless on it, which it cannot be, so that double rounding is exact).
BOOST_AUTO_TEST_CASE_TEMPLATE(sqrt_correctly_rounded, P, precisions) {
    using W = typename P::W;
    static_assert(md::own_sqrt_is_correctly_rounded<W>);
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int i = 0; i < 500; ++i) {
        const double a = unit(rng);  // a, then b: in this order
        const double b = unit(rng);
        const W x = W(a) * W(1 + i) / W(3) + W(b) / W(7);
        const W s = md::sqrt(x);
        mp ref(ref_bits), rounded(bits<W>);
        mpfr_sqrt(ref, x.backend().data(), MPFR_RNDN);
        mpfr_set(rounded, ref, MPFR_RNDN);
        BOOST_TEST(mpfr_equal_p(s.backend().data(), rounded) != 0, "sqrt at i = " << i);
    }
}

// The recurrence of phase_block in the working type, step by step: the first row of every block
// is exact_phase of its distance, bit for bit (a re-anchor at the wrong row or distance fails);
// every other row is the exact product of the row it is stepped from (the row before within the
// first tile, the row a tile before otherwise) and the rotation exact_phase(step) (or
// exact_phase(tile * step)), to within the rounding of one complex product: per component two
// products and a sum of numbers below 1 in magnitude, each rounded to half an ulp <= eps/4, so
// 0.75 eps. A row reached by two products per step (a doubled drift), from another row, or by a
// rotation of another angle is off by up to twice that or by the rotation's own error per extra
// product. The rotations are then checked against MPFR (rotation_cs eps), so the drift is at most
// 0.75 + rotation_cs eps per product, 38 products at most (phases.hpp).
BOOST_AUTO_TEST_CASE_TEMPLATE(recurrence_steps, P, precisions) {
    using T = typename P::T;
    using W = typename P::W;
    constexpr std::size_t tile = pa::phase_block<W>::tile;
    const posenc::rope<T> e = config_rope<T>(decay_configs[0]);
    std::vector<md::dd<W>> w;
    std::vector<mp> theta;
    for (const T& t : e.inv_freq()) {
        w.push_back({posenc_cli::widen<W>(t), W(0)});
        theta.push_back(pt::exact(t));
    }
    pt::bound_tracker step_tr(fmt::format("phase_block<{}-bit MPFR> step vs exact product", bits<W>), "eps");
    pt::bound_tracker rot_tr(fmt::format("exact_phase<{}-bit MPFR> rotation vs MPFR", bits<W>), "eps");
    pa::phase_block<W> block;
    for (const long long step : {1LL, 7LL, -3LL}) {
        const std::vector<long long> rows = range(1000, 1000 + step * 599, step);
        for (const std::vector<long long>& r : cut(rows)) {
            block.fill(w, r);
            for (std::size_t j = 0; j < w.size(); ++j) {
                const md::sincos_result<W> a = pa::exact_phase(W(r[0]), w[j]);
                BOOST_TEST(static_cast<bool>(block.re(0, j) == a.cos && block.im(0, j) == a.sin), "anchor r=" << r[0]);
                const md::sincos_result<W> w1 = pa::exact_phase(W(step), w[j]);
                const md::sincos_result<W> wt = pa::exact_phase(W(step * static_cast<long long>(tile)), w[j]);
                for (const auto& [rot, s] : {std::pair{w1, step}, std::pair{wt, step * static_cast<long long>(tile)}}) {
                    const auto [c, sn] = ref_phase(s, theta[j]);
                    const double err = std::max(eps_diff(as_mp(rot.cos), c, bits<W>), eps_diff(as_mp(rot.sin), sn, bits<W>));
                    rot_tr.record(err, pt::rotation_cs<W>, fmt::format("step {} j={}", s, j));
                }
                for (std::size_t k = 1; k < r.size(); ++k) {
                    const std::size_t from = k < tile ? k - 1 : k - tile;
                    const md::sincos_result<W>& rot = k < tile ? w1 : wt;
                    mp pr(ref_bits), pi(ref_bits), t1(ref_bits), t2(ref_bits);
                    mpfr_mul(t1, block.re(from, j).backend().data(), rot.cos.backend().data(), MPFR_RNDN);
                    mpfr_mul(t2, block.im(from, j).backend().data(), rot.sin.backend().data(), MPFR_RNDN);
                    mpfr_sub(pr, t1, t2, MPFR_RNDN);  // exact at 600 bits
                    mpfr_mul(t1, block.re(from, j).backend().data(), rot.sin.backend().data(), MPFR_RNDN);
                    mpfr_mul(t2, block.im(from, j).backend().data(), rot.cos.backend().data(), MPFR_RNDN);
                    mpfr_add(pi, t1, t2, MPFR_RNDN);
                    const double err = std::max(eps_diff(as_mp(block.re(k, j)), pr, bits<W>), eps_diff(as_mp(block.im(k, j)), pi, bits<W>));
                    step_tr.record(err, 0.75, fmt::format("step {} r={} j={}", step, r[k], j));
                }
            }
        }
    }
    step_tr.report();  // 0.75 eps is tight: 0.62 eps measured
    // largest error/bound measured (g++): rotation_cs is a worst case over every angle, 0.25 eps measured
    rot_tr.report(0.0500);
}

// The runner's values against MPFR: RoFormer's V and Men et al.'s B for head_dim 128, base 10^4
// (the frequencies of the printed type, carried exactly), over runs crossing two block boundaries
// (re-anchored at rows 256 and 512) at steps 1 and 7, and a list that is not a run (every row
// exact). Before rounding, V is within (N + 1)(117 + N) eps of the working type and B within
// N (116 + N) eps (decay.cpp's bound, from at most 38 products of 3 eps and rotation_cs = 5 per
// phase); the printed value must then be the correctly rounded one (from_mpfr of the reference)
// unless the reference lies closer to a midpoint of the printed type than that bound.
// Cross-check: the same rows computed in cpp_bin_float (the runner's former path) are within their
// own bound, 2 (N + 1)(117 + N) eps of the printed type for V, and never closer to the reference
// than the new values.
BOOST_AUTO_TEST_CASE_TEMPLATE(decay_against_mpfr, P, precisions) {
    using T = typename P::T;
    using W = typename P::W;
    const posenc::rope<T> e = config_rope<T>(decay_configs[0]);
    const double n = e.pairs();
    std::vector<W> theta_w;
    std::vector<mp> theta;
    for (const T& t : e.inv_freq()) {
        theta_w.push_back(posenc_cli::widen<W>(t));
        theta.push_back(pt::exact(t));
    }
    std::vector<long long> rows = range(0, 600, 1);
    for (const long long r : range(100000, 100000 + 7 * 299, 7)) rows.push_back(r);  // a second run of 300: one cut at 256 + 45 rows
    for (const long long r : {3LL, -1LL, 4LL, 1LL, -5LL, 9LL, 2LL, 65536LL, 1000000LL}) rows.push_back(r);
    const auto [v_w, b_w] = batched(theta_w, rows);
    const auto [v_t, b_t] = batched(std::vector<T>(e.inv_freq()), rows);
    pt::bound_tracker pre_v(fmt::format("V in {}-bit MPFR vs reference", bits<W>), "eps");
    pt::bound_tracker pre_b(fmt::format("B in {}-bit MPFR vs reference", bits<W>), "eps");
    pt::bound_tracker old_v(fmt::format("V in {} (cross-check) vs reference", pt::type_name<T>()), "eps");
    const double bound_v = (n + 1) * (117 + n), bound_b = n * (116 + n);
    int rounded_ok = 0, near_midpoint = 0, closer_or_equal = 0;
    int checked_rows = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        // The runs are computed whole (the recurrences and re-anchors as the runner does them); the
        // 600-bit reference, the costly part, is taken at the rows where the recurrence error peaks
        // (the last 32 of each 256-row block, before a re-anchor), just after each re-anchor, at the
        // start, and at every 5th row elsewhere (and at every row of the list).
        const long long idx = k < 600 ? static_cast<long long>(k) : (k < 899 ? static_cast<long long>(k - 600) : -1);
        const bool keep = idx < 0 || idx < 16 || idx % 256 >= 224 || idx % 256 < 8 || idx % 5 == 0;
        if (!keep) continue;
        ++checked_rows;
        const auto [v_ref, b_ref] = ref_values(rows[k], theta);
        pre_v.record(eps_diff(as_mp(v_w[k]), v_ref, bits<W>), bound_v, fmt::format("r={}", rows[k]));
        pre_b.record(eps_diff(as_mp(b_w[k]), b_ref, bits<W>), bound_b, fmt::format("r={}", rows[k]));
        old_v.record(eps_diff(pt::exact(v_t[k]).get(), v_ref, pt::digits<T>), 2 * bound_v, fmt::format("r={}", rows[k]));
        for (const auto& [computed, printed_old, ref, bound] :
             {std::tuple{&v_w[k], &v_t[k], v_ref.get(), bound_v}, std::tuple{&b_w[k], &b_t[k], b_ref.get(), bound_b}}) {
            const T printed = posenc_cli::narrow<T>(*computed);
            const double new_err = pt::ulp_error(printed, ref);
            const double old_err = pt::ulp_error(*printed_old, ref);
            if (new_err <= old_err) ++closer_or_equal;
            BOOST_TEST(new_err <= old_err, "r=" << rows[k] << ": new " << new_err << " ulp, cpp_bin_float " << old_err << " ulp");
            // the bound in printed ulps of ref: bound eps_W = bound 2^(1 - p_W), ulp = 2^(exp(ref) - p_T)
            const double bound_ulps =
                std::ldexp(bound, 1 - bits<W> + pt::digits<T> - static_cast<int>(mpfr_zero_p(ref) ? -10000 : mpfr_get_exp(ref)));
            if (to_midpoint_ulps(ref, pt::digits<T>) <= bound_ulps) {
                ++near_midpoint;
                continue;
            }
            const bool ok = printed == pt::from_mpfr<T>(ref);
            rounded_ok += ok ? 1 : 0;
            BOOST_TEST(ok, "r=" << rows[k] << ": not correctly rounded (" << new_err << " ulp)");
        }
    }
    // largest error/bound measured (g++, full run): the bounds are worst cases over 38 products per row
    constexpr pt::per_real_type<double> measured_v{.cpp_bin_float_50 = 0.0053, .cpp_bin_float_100 = 0.0036};
    constexpr pt::per_real_type<double> measured_b{.cpp_bin_float_50 = 0.0074, .cpp_bin_float_100 = 0.0120};
    constexpr pt::per_real_type<double> measured_old_v{.cpp_bin_float_50 = 0.0025, .cpp_bin_float_100 = 0.0014};
    pre_v.report(measured_v.at<T>());
    pre_b.report(measured_b.at<T>());
    old_v.report(measured_old_v.at<T>());
    BOOST_TEST_MESSAGE(fmt::format("{}: {} values correctly rounded, {} within the bound of a midpoint, {} at least as close "
                                   "as cpp_bin_float",
                                   pt::type_name<T>(), rounded_ok, near_midpoint, closer_or_equal));
    BOOST_TEST(rounded_ok + near_midpoint == 2 * checked_rows);
    BOOST_TEST(checked_rows >= 300);
}

/// x and y hold the same number (y of the twin type, x of the printed type): compared in MPFR, not
/// through a conversion between the two.
template <class T, class C>
bool same_bits(const T& x, const C& y) {
    return mpfr_equal_p(pt::exact(x).get(), as_mp(y)) != 0 && (x < T(0)) == (y < C(0));
}

template <class T, class C>
int count_same(const std::vector<T>& x, const std::vector<C>& y, const std::string& what) {
    BOOST_TEST_REQUIRE(x.size() == y.size(), what);
    int same = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const bool ok = same_bits(x[i], y[i]);
        BOOST_TEST(ok, what << ", element " << i);
        same += ok ? 1 : 0;
    }
    return same;
}

/// RoPE parameters of every rope type (HF's rope_type), at several head sizes and bases, including
/// a partial rotary factor and bases that are not integers.
template <class T>
std::vector<posenc::rope_params<T>> twin_cases() {
    std::vector<posenc::rope_params<T>> out;
    for (const posenc::rope_variant v : posenc::all_rope_variants) {
        for (const int dim : {2, 64, 128, 256}) {
            for (const char* base : {"10000", "500000", "1000000.5", "1.0001", "7e12"}) {
                posenc::rope_params<T> p;
                p.variant = v;
                p.head_dim = dim;
                p.base = T(base);
                if (dim == 256) p.partial_rotary_factor = T("0.25");
                if (v != posenc::rope_variant::standard) p.factor = T(v == posenc::rope_variant::longrope ? "1" : "8");
                p.original_max_position_embeddings = 4096;
                p.max_position_embeddings = 131072;
                if (v == posenc::rope_variant::dynamic) p.seq_len = 20000;
                if (v == posenc::rope_variant::yarn && dim == 128) p.mscale = p.mscale_all_dim = T("0.707");
                if (v == posenc::rope_variant::longrope) {
                    const int pairs = static_cast<int>(static_cast<long long>(T(T(dim) * p.partial_rotary_factor))) / 2;
                    for (int i = 0; i < pairs; ++i) {
                        p.short_factor.push_back(T(1) + T(i) / T(7));
                        p.long_factor.push_back(T(3) + T(i * i) / T(11));
                    }
                }
                out.push_back(p);
            }
        }
    }
    return out;
}

// The twins (work_type.hpp): the frequencies and attention factors of every rope type, of M-RoPE, of
// the sinusoidal encoding and of both 2D encodings (RoPE-Mixed at a nonzero alpha: sine and cosine
// of it), computed in twin_t<T> from the parameters converted exactly (rope_params_cast), are those
// computed in T itself (cpp_bin_float: the cross-check), bit for bit. Exact equality: the runners
// rely on identical bits (decay.cpp makes its frequencies in the twin).
BOOST_AUTO_TEST_CASE_TEMPLATE(twin_frequencies, P, precisions) {
    using T = typename P::T;
    using C = posenc_cli::twin_t<T>;
    static_assert(!std::is_same_v<C, T> && bits<C> == pt::digits<T>);
    int same = 0, ropes = 0;
    for (const posenc::rope_params<T>& p : twin_cases<T>()) {
        const posenc::rope_params<C> q = posenc::rope_params_cast<C>(p);
        BOOST_TEST(same_bits(p.base, q.base));
        const std::string what = fmt::format("{} head_dim {} base {}", posenc::rope_type_name(p.variant), p.head_dim,
                                             p.base.str(12));
        std::optional<posenc::rope<T>> rt;
        try {
            rt.emplace(p);
        } catch (const posenc::invalid_parameter&) {  // the twin must refuse it too
            BOOST_CHECK_THROW(posenc::rope<C>{q}, posenc::invalid_parameter);
            continue;
        }
        const posenc::rope<C> rc(q);
        same += count_same(rt->inv_freq(), rc.inv_freq(), what);
        BOOST_TEST(same_bits(rt->attention_factor(), rc.attention_factor()), what << ": attention factor");
        ++ropes;
    }
    posenc::rope_params<T> m;
    m.mrope_section = {16, 24, 24};
    for (const bool interleaved : {false, true}) {
        m.mrope_interleaved = interleaved;
        const posenc::mrope<T> mt(m);
        const posenc::mrope<C> mc(posenc::rope_params_cast<C>(m));
        for (const char* axes : {"t", "hw", "thw"}) same += count_same(mt.inv_freq_along(axes), mc.inv_freq_along(axes), "mrope");
    }
    for (const char* base : {"10000", "123.25"}) {
        const posenc::sinusoidal<T> st(96, T(base));
        const posenc::sinusoidal<C> sc(96, C(T(base)));
        std::vector<T> tt;
        std::vector<C> tc;
        for (int i = 0; i < 48; ++i) {
            tt.push_back(st.theta(i));
            tc.push_back(sc.theta(i));
        }
        same += count_same(tt, tc, "sinusoidal");
        const posenc::rope2d_axial<T> at(64, T(base), posenc::axial_order::x_then_y);
        const posenc::rope2d_axial<C> ac(64, C(T(base)), posenc::axial_order::x_then_y);
        same += count_same(at.axial().theta(), ac.axial().theta(), "rope2d-axial");
        const auto xt = posenc::rope2d_mixed<T>::rope_vit_init(64, T(base), T("0.3"));
        const auto xc = posenc::rope2d_mixed<C>::rope_vit_init(64, C(T(base)), C(T("0.3")));
        same += count_same(xt.theta_x(), xc.theta_x(), "rope2d-mixed x");
        same += count_same(xt.theta_y(), xc.theta_y(), "rope2d-mixed y");
    }
    BOOST_TEST_MESSAGE(fmt::format("{}: {} ropes, {} frequencies identical in the twin", pt::type_name<T>(), ropes, same));
    BOOST_TEST(ropes >= 100);
}

// The sign checks of `posenc context` and `min-base` (b_exact.hpp) in reference_50 and, as the
// cross-check, in cpp_bin_float_50 (their former type): B_m for the standard frequencies of head_dim
// 128 at bases 10^4, 5 10^5 and 10^6, at m within 40 of the first negative m of each (1707, 18438,
// 27115: tests/data/cli_tables.json, numpy scan and mpmath signs) and at 300 log-spaced m below
// 2^24, against B of the exact frequencies, everything at 600 bits (MPFR's pow and cos of the exact
// decimal base). Both types must be within b_exact.hpp's bound, 2^-123, of it, and give its sign
// wherever |B| exceeds the bound.
BOOST_AUTO_TEST_CASE(b_exact_against_mpfr) {
    using R = posenc_cli::reference_50;
    using T = pt::cpp_bin_float_50;
    const double bound = std::ldexp(1.0, -123);
    pt::bound_tracker tr_r("B in reference_50 vs 600-bit MPFR", "abs");
    pt::bound_tracker tr_t("B in cpp_bin_float_50 (cross-check) vs 600-bit MPFR", "abs");
    int signs = 0;
    for (const auto& [base, first_negative] : {std::pair{"10000", 1707LL}, std::pair{"500000", 18438LL}, std::pair{"1000000", 27115LL}}) {
        const std::vector<R> th_r = posenc_cli::standard_theta(R(T(base)), 128);
        const std::vector<T> th_t = posenc_cli::standard_theta(T(base), 128);
        std::vector<mp> th_ref;
        for (int i = 0; i < 64; ++i) {
            mp b(ref_bits), e(ref_bits);
            mpfr_set_str(b, base, 10, MPFR_RNDN);  // exact: an integer
            mpfr_set_si(e, -2 * i, MPFR_RNDN);
            mpfr_div_si(e, e, 128, MPFR_RNDN);  // exact: -i/64
            mpfr_pow(b, b, e, MPFR_RNDN);
            th_ref.push_back(b);
        }
        std::vector<long long> ms = range(first_negative - 40, first_negative + 40, 1);
        for (int k = 0; k < 300; ++k) ms.push_back(static_cast<long long>(std::exp(std::log(16777215.0) * k / 299.0)));
        for (const long long m : ms) {
            mp ref(ref_bits, 0), a(ref_bits);
            for (const mp& t : th_ref) {
                mpfr_mul_si(a, t, m, MPFR_RNDN);
                mpfr_cos(a, a, MPFR_RNDN);
                mpfr_add(ref, ref, a, MPFR_RNDN);
            }
            const R b_r = posenc_cli::b_exact(th_r, m);
            const T b_t = posenc_cli::b_exact(th_t, m);
            const auto abs_diff = [&](mpfr_srcptr x) {
                mp d(ref_bits);
                mpfr_sub(d, x, ref, MPFR_RNDN);
                return std::fabs(mpfr_get_d(d, MPFR_RNDU));
            };
            tr_r.record(abs_diff(as_mp(b_r)), bound, fmt::format("base {} m={}", base, m));
            tr_t.record(abs_diff(pt::exact(b_t).get()), bound, fmt::format("base {} m={}", base, m));
            if (std::fabs(mpfr_get_d(ref, MPFR_RNDN)) > bound) {
                const int want = mpfr_sgn(ref.get()) < 0 ? -1 : 1;
                BOOST_TEST(((b_r < R(0)) ? -1 : 1) == want, "reference_50 sign at base " << base << " m=" << m);
                BOOST_TEST(((b_t < T(0)) ? -1 : 1) == want, "cpp_bin_float_50 sign at base " << base << " m=" << m);
                ++signs;
            }
        }
        // the first negative m is where the tables put it, in both types
        BOOST_TEST(posenc_cli::b_exact(th_r, first_negative) < R(0));
        BOOST_TEST(posenc_cli::b_exact(th_r, first_negative - 1) >= R(0));
        BOOST_TEST(posenc_cli::b_exact(th_t, first_negative) < T(0));
    }
    // largest error/bound measured: 2^-123 is what the signs are decided against, not the error
    // expected (7.1e-44 and 4.3e-43 measured)
    tr_r.report(7.59e-7);
    tr_t.report(4.63e-6);
    BOOST_TEST(signs > 1000);
}

// reference_50 (validate's, context's and min-base's type) gives cpp_bin_float_50's bits: the
// frequencies of every rope type (as the twin: no sine or cosine), and the reference rotation
// validate takes, (cos, sin) of m theta_i for head_dim 128, base 10^4, at validate's fixed positions
// and 500 more up to 2^24 (50 with POSENC_QUICK=1), where MPFR's correctly rounded sin and cos can
// differ from posenc::math's only within 2^-(2p-6) of a rounding boundary (work_type.hpp): exact
// equality expected.
BOOST_AUTO_TEST_CASE(reference_50_bits) {
    using R = posenc_cli::reference_50;
    using T = pt::cpp_bin_float_50;
    static_assert(md::own_sin_cos_are_correctly_rounded<R> && !md::own_sin_cos_are_correctly_rounded<T>);
    int same = 0;
    for (const posenc::rope_params<T>& p : twin_cases<T>()) {
        std::optional<posenc::rope<T>> rt;
        try {
            rt.emplace(p);
        } catch (const posenc::invalid_parameter&) {
            continue;
        }
        same += count_same(rt->inv_freq(), posenc::rope<R>(posenc::rope_params_cast<R>(p)).inv_freq(), "reference_50 frequencies");
    }
    const posenc::rope<T> et{posenc::rope_params<T>{}};
    const posenc::rope<R> er{posenc::rope_params_cast<R>(posenc::rope_params<T>{})};
    std::vector<long long> positions = {0, 1, (1LL << 23) - 1, 1LL << 23, (1LL << 23) + 1, (1LL << 24) - 1, 1LL << 24};
    std::mt19937_64 rng(3);
    for (std::size_t k = 0; k < pt::sample_count(500); ++k) positions.push_back(static_cast<long long>(rng() % (1ULL << 24)));
    for (const long long m : positions) {
        std::vector<T> xt(128, T(0));
        std::vector<R> xr(128, R(0));
        for (int i = 0; i < 64; ++i) {
            xt[static_cast<std::size_t>(et.pair_indices(i).a)] = 1;
            xr[static_cast<std::size_t>(er.pair_indices(i).a)] = 1;
        }
        et.apply(std::span<T>(xt), m);
        er.apply(std::span<R>(xr), m);
        same += count_same(xt, xr, fmt::format("rotation at m={}", m));
    }
    BOOST_TEST_MESSAGE(fmt::format("reference_50: {} values identical to cpp_bin_float_50's", same));
}

BOOST_AUTO_TEST_SUITE_END()
