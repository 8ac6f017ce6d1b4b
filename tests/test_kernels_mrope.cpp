// The float32 M-RoPE kernel (include/posenc/kernels/mrope.hpp): apply_mrope against its scalar twin
// bit for bit, against apply_fused on text tokens (t = h = w), against MPFR and against the
// encoding posenc::mrope<long double>; and every bad argument rejected with a kernel_error that
// names it.
//
// Geometries: the four real ones (Qwen2.5-VL-7B: head_dim 128, base 1e6, [16, 24, 24] sectioned,
// half-split; Qwen3-VL-4B: 128, 5e6, [24, 20, 20] interleaved, half-split; Qwen3.5-27B: 256, partial
// 0.25, 1e7, [11, 11, 10] interleaved, half-split; GLM-4.1V-9B: 128, partial 0.5, 1e4, [8, 12, 12]
// sectioned, interleaved pairs; tests/data/configs/), plus pair counts that leave a vector tail
// (17, 35) and yarn's frequencies with its attention scale.
// Positions: 3 per token, t, h and w distinct, up to |p| = 2^24 on every axis (0, 2^23 +- 1,
// 2^24 - 1, +-2^24, near powers of two, uniform), the edge values rotated through the three axes.
//
// Bounds (u = ulp (float) of |x_pair|; derived in kernels/rope.hpp for apply_fused, whose path
// apply_mrope takes):
//   against MPFR (cos/sin of the exact angle p_axis(i) theta_i, theta_i the kernel's double)
//     0.7072 u: each component rounded once from a double within 2^-50 (0.7071 + 2^-28)
//   against posenc::mrope<long double> (its own theta_i, map and layout; apply is the rotation)
//     0.74 u: 0.7072 + the kernel's theta_i rounded to double, |p| |dtheta| <= 2^24 2^-53 theta_i
//     <= 2^-29 rad (theta_i <= 1), i.e. 2^-5 u since u > 2^-24 |x_pair|; the long double reference's
//     own rounding (64-bit significands: relative errors of order 2^-60) is far below the 0.001 u
//     left. Within the required 2 u.
#define BOOST_TEST_MODULE test_kernels_mrope
#include <boost/test/unit_test.hpp>

#include <support/expect_invalid.hpp>
#include <support/kernel_fixtures.hpp>

#include <posenc/encodings/mrope.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace {

namespace pk = posenc::kernels;
namespace kt = posenc_test::kernels;
using kt::storage;
using posenc::pair_layout;

constexpr storage storages[] = {storage::tokens_major, storage::heads_major, storage::padded};

/// An M-RoPE under test.
struct geometry {
    std::string name;
    int head_dim = 128;
    double base = 10000;
    double partial = 1.0;
    pair_layout layout = pair_layout::half_split;
    std::vector<long> section;
    bool interleaved = false;
    bool yarn = false;  ///< yarn frequencies (factor 4, L_orig 4096) with the attention scale

    template <class T>
    [[nodiscard]] posenc::rope_params<T> params() const {
        posenc::rope_params<T> p;
        p.head_dim = head_dim;
        p.base = T(base);
        p.partial_rotary_factor = T(partial);
        p.layout = layout;
        p.mrope_section = section;
        p.mrope_interleaved = interleaved;
        if (yarn) {
            p.variant = posenc::rope_variant::yarn;
            p.factor = T(4);
            p.original_max_position_embeddings = 4096;
        }
        return p;
    }
    [[nodiscard]] pk::mrope_frequencies frequencies() const {
        return pk::mrope_frequencies::from(posenc::mrope<double>(params<double>()), yarn);
    }
};

std::vector<geometry> real_geometries() {
    return {
        {"Qwen2.5-VL-7B", 128, 1e6, 1.0, pair_layout::half_split, {16, 24, 24}, false, false},
        {"Qwen3-VL-4B", 128, 5e6, 1.0, pair_layout::half_split, {24, 20, 20}, true, false},
        {"Qwen3.5-27B", 256, 1e7, 0.25, pair_layout::half_split, {11, 11, 10}, true, false},
        {"GLM-4.1V-9B", 128, 1e4, 0.5, pair_layout::interleaved, {8, 12, 12}, false, false},
    };
}

/// The real geometries, then 17 and 35 pairs (a vector tail at widths 2, 4 and 8) in both layouts
/// and maps, and yarn with its attention scale.
std::vector<geometry> all_geometries() {
    std::vector<geometry> g = real_geometries();
    g.push_back({"d34 [5, 6, 6] sectioned half-split", 34, 1e4, 1.0, pair_layout::half_split, {5, 6, 6}, false, false});
    g.push_back({"d70 [12, 12, 11] interleaved interleaved-pairs", 70, 1e6, 1.0, pair_layout::interleaved, {12, 12, 11}, true, false});
    g.push_back({"d80 partial0.75 [10, 10, 10] interleaved half-split", 80, 1e4, 0.75, pair_layout::half_split, {10, 10, 10}, true, false});
    g.push_back({"d64 yarn+attention [8, 12, 12] sectioned interleaved-pairs", 64, 1e4, 1.0, pair_layout::interleaved, {8, 12, 12}, false, true});
    return g;
}

/// 3 positions per token (t, h, w at [3k], [3k+1], [3k+2]), pairwise distinct, |p| <= 2^24: three
/// stress_positions lists (one reversed, one rotated), the roles rotated token by token so that
/// 0, +-2^24, 2^23 +- 1 ... fall on every axis.
std::vector<std::int64_t> mrope_positions(std::size_t tokens, std::uint64_t seed) {
    const std::vector<std::int64_t> a = kt::stress_positions(tokens, seed);
    std::vector<std::int64_t> b = kt::stress_positions(tokens, seed + 1);
    std::reverse(b.begin(), b.end());
    std::vector<std::int64_t> c = kt::stress_positions(tokens, seed + 2);
    std::rotate(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(tokens / 3), c.end());
    std::vector<std::int64_t> out(3 * tokens);
    for (std::size_t k = 0; k < tokens; ++k) {
        std::int64_t p[3] = {a[k], b[k], c[k]};
        for (int j = 1; j < 3; ++j) {
            while (std::find(p, p + j, p[j]) != p + j) p[j] += p[j] > 0 ? -1 : 1;  // stays within [-2^24, 2^24]
        }
        for (std::size_t j = 0; j < 3; ++j) out[3 * k + (j + k) % 3] = p[j];
    }
    return out;
}

/// The kernel (with `pool`) and the twin on the same Q (3 heads) and K (2 heads) out of place, then
/// the kernel in place through the Q, K overload: equal bits everywhere, padding included; the
/// unrotated tail copied out of place and untouched in place; something rotated.
void compare_with_twin(const pk::mrope_frequencies& f, std::span<const std::int64_t> pos, storage st, pk::thread_pool* pool,
                       const std::string& what) {
    const int tokens = static_cast<int>(pos.size() / 3);
    const int hd = f.frequencies().head_dim();
    kt::tensor q(tokens, 3, hd, st), k(tokens, 2, hd, st);
    q.fill(1);
    k.fill(2);
    kt::tensor q1 = q, k1 = k;
    for (float& x : q1.data) x = 7.0f;
    for (float& x : k1.data) x = 7.0f;
    kt::tensor q2 = q1, k2 = k1;
    const pk::rope_operand ops1[] = {{q.view, q1.view}, {k.view, k1.view}};
    const pk::rope_operand ops2[] = {{q.view, q2.view}, {k.view, k2.view}};
    pk::apply_mrope(f, pos, ops1, pool);
    pk::apply_mrope_scalar(f, pos, ops2);
    BOOST_TEST(kt::same_bits(q1.data, q2.data), what << ": q out of place differs from the twin");
    BOOST_TEST(kt::same_bits(k1.data, k2.data), what << ": k out of place differs from the twin");
    kt::tensor q3 = q, k3 = k;
    pk::apply_mrope(f, pos, q3.view, k3.view, pool);
    bool same_in_place = true;
    for (int t = 0; t < tokens; ++t) {
        for (int h = 0; h < 3; ++h) same_in_place &= std::memcmp(q3.view.at(t, h), q1.view.at(t, h), sizeof(float) * static_cast<std::size_t>(hd)) == 0;
        for (int h = 0; h < 2; ++h) same_in_place &= std::memcmp(k3.view.at(t, h), k1.view.at(t, h), sizeof(float) * static_cast<std::size_t>(hd)) == 0;
    }
    BOOST_TEST(same_in_place, what << ": in place differs from out of place");
    bool tail_kept = true;
    for (int t = 0; t < tokens; ++t) {
        for (int h = 0; h < 3; ++h) {
            for (int d = f.frequencies().rotary_dim(); d < hd; ++d) {
                tail_kept &= q1.view.at(t, h)[d] == q.view.at(t, h)[d] && q3.view.at(t, h)[d] == q.view.at(t, h)[d];
            }
        }
    }
    BOOST_TEST(tail_kept, what << ": partial rotary tail not copied (out of place) or changed (in place)");
    bool changed = false;
    for (int t = 0; t < tokens; ++t) changed |= q1.view.at(t, 0)[0] != q.view.at(t, 0)[0];
    BOOST_TEST(changed, what << ": nothing was rotated");
}

BOOST_AUTO_TEST_SUITE(twins)

// Every geometry x 3 storage orders (odd strides among them) x no pool, 1 and 2 threads; in and
// out of place.
BOOST_AUTO_TEST_CASE(bit_identical_to_the_twin) {
    const std::vector<std::int64_t> pos = mrope_positions(101, 71);  // above the small-call threshold at 64 pairs
    pk::thread_pool one(1), two(2);
    int cases = 0;
    kt::for_each_target([&](const std::string& target) {
        for (const geometry& g : all_geometries()) {
            const pk::mrope_frequencies f = g.frequencies();
            for (const storage st : storages) {
                for (pk::thread_pool* pool : {static_cast<pk::thread_pool*>(nullptr), &one, &two}) {
                    compare_with_twin(f, pos, st, pool,
                                      fmt::format("{} {} {} {} threads", target, g.name, kt::storage_name(st), pool == nullptr ? 0U : pool->size()));
                    ++cases;
                }
            }
        }
    });
    BOOST_TEST_MESSAGE("apply_mrope: " << cases << " cases (every target) bit-identical to apply_mrope_scalar");
}

// Text tokens: t = h = w = m gives apply_fused's bits at m (the selectors reproduce m exactly).
BOOST_AUTO_TEST_CASE(text_tokens_equal_apply_fused) {
    const std::vector<std::int64_t> m = kt::stress_positions(43, 72);
    std::vector<std::int64_t> pos(3 * m.size());
    for (std::size_t k = 0; k < m.size(); ++k) pos[3 * k] = pos[3 * k + 1] = pos[3 * k + 2] = m[k];
    pk::thread_pool two(2);
    for (const geometry& g : all_geometries()) {
        const pk::mrope_frequencies f = g.frequencies();
        const int hd = f.frequencies().head_dim();
        for (const storage st : storages) {
            kt::tensor q(43, 3, hd, st), k(43, 2, hd, st);
            q.fill(3);
            k.fill(4);
            kt::tensor q1 = q, k1 = k, q2 = q, k2 = k;
            pk::apply_mrope(f, pos, q1.view, k1.view, &two);
            pk::apply_fused(f.frequencies(), m, q2.view, k2.view);
            BOOST_TEST(kt::same_bits(q1.data, q2.data), g.name << " " << kt::storage_name(st) << ": q differs from apply_fused");
            BOOST_TEST(kt::same_bits(k1.data, k2.data), g.name << " " << kt::storage_name(st) << ": k differs from apply_fused");
            BOOST_TEST(!kt::same_bits(q1.data, q.data), g.name << ": nothing was rotated");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reference)

/// The largest error seen, and where.
struct worst {
    double max = 0;
    std::size_t count = 0;
    std::string where;
    void add(double e, const std::function<std::string()>& at) {
        if (count == 0 || e > max) {
            max = e;
            where = at();
        }
        ++count;
    }
};

std::string token_text(std::span<const std::int64_t> pos, int t) {
    const auto u = 3 * static_cast<std::size_t>(t);
    return fmt::format("(t, h, w) = ({}, {}, {})", pos[u], pos[u + 1], pos[u + 2]);
}

// Every rotated pair against cos/sin of the exact angle p_axis(i) theta_i at 256 bits (the axis
// from the encoding posenc::mrope<double>, theta_i the kernel's double): within 0.7072 ulp, at
// least 10^6 pairs (10^5 with POSENC_QUICK=1); the unrotated tail unchanged.
BOOST_AUTO_TEST_CASE(pairs_within_the_fused_bound) {
    const std::size_t target = kt::sample_count(1'000'000);
    const std::vector<geometry> gs = all_geometries();
    worst w;
    std::size_t done = 0;
    std::uint64_t seed = 81;
    bool tail_kept = true;
    while (done < target) {
        for (std::size_t gi = 0; gi < gs.size() && done < target; ++gi, ++seed) {
            const geometry& g = gs[gi];
            const posenc::mrope<double> enc(g.params<double>());
            const pk::mrope_frequencies f = g.frequencies();
            const pk::rope_frequencies& fr = f.frequencies();
            const int tokens = 48, heads = 5, hd = fr.head_dim();
            const std::vector<std::int64_t> pos = mrope_positions(tokens, seed);
            const storage st = static_cast<storage>(seed % 3);
            kt::tensor x(tokens, heads, hd, st);
            x.fill(seed);
            kt::tensor y = x;
            if (seed % 2 == 0) {
                const pk::rope_operand ops[] = {pk::rope_operand::in_place(y.view)};
                pk::apply_mrope(f, pos, ops);
            } else {
                const pk::rope_operand ops[] = {{x.view, y.view}};
                pk::apply_mrope(f, pos, ops);
            }
            for (int t = 0; t < tokens; ++t) {
                for (int i = 0; i < fr.pairs(); ++i) {
                    const posenc::mrope_axis a = enc.axis_of_pair(i);
                    const std::int64_t p = pos[3 * static_cast<std::size_t>(t) + static_cast<std::size_t>(a)];
                    const kt::exact_sincos e(p, fr.theta()[static_cast<std::size_t>(i)], fr.attention_scale());
                    const posenc::pair_index pi = enc.pair_indices(i);
                    for (int h = 0; h < heads; ++h) {
                        const float* xi = x.view.at(t, h);
                        const float* yi = y.view.at(t, h);
                        w.add(kt::pair_error_ulps(xi[pi.a], xi[pi.b], yi[pi.a], yi[pi.b], e, fr.attention_scale()), [&] {
                            return fmt::format("{} {} pair {} (axis {}) head {}", g.name, token_text(pos, t), i, posenc::axis_name(a), h);
                        });
                        ++done;
                    }
                }
                for (int h = 0; h < heads; ++h) {
                    for (int d = fr.rotary_dim(); d < hd; ++d) tail_kept &= x.view.at(t, h)[d] == y.view.at(t, h)[d];
                }
            }
        }
    }
    BOOST_TEST_MESSAGE("apply_mrope vs MPFR: " << done << " pairs, max error " << fmt::format("{:.6f}", w.max) << " ulp(|x_pair|) at "
                                               << w.where);
    // one rounding per component: 0.7071 + 2^-28 (0.7043 measured: a doubled error fails)
    BOOST_TEST(w.max <= 0.7072, "max " << w.max << " at " << w.where);
    BOOST_TEST(tail_kept);
}

/// ulp (float) of sqrt(xa^2 + xb^2), from the exact sum of squares (rounded down, as
/// kt::pair_error_ulps does).
double norm_ulp(float xa, float xb) {
    kt::mp n(kt::ref_bits), b(kt::ref_bits);
    mpfr_set_d(n, static_cast<double>(xa), MPFR_RNDN);
    mpfr_sqr(n, n, MPFR_RNDN);
    mpfr_set_d(b, static_cast<double>(xb), MPFR_RNDN);
    mpfr_sqr(b, b, MPFR_RNDN);
    mpfr_add(n, n, b, MPFR_RNDN);  // exact at 256 bits
    mpfr_sqrt(n, n, MPFR_RNDD);
    return kt::float_ulp(n);
}

// The real geometries against the encoding at long double (posenc::mrope<long double>::apply on the
// same float inputs: its own frequencies, pair-to-axis map and pair layout), per output pair,
// positions to 2^24 on each axis: within 0.74 ulp (see the file comment).
BOOST_AUTO_TEST_CASE(pairs_within_bound_of_the_encoding) {
    using ld = long double;
    const std::size_t target = kt::sample_count(400'000);
    const std::vector<geometry> gs = real_geometries();
    worst w;
    std::size_t done = 0;
    std::uint64_t seed = 91;
    while (done < target) {
        for (const geometry& g : gs) {
            const posenc::mrope<ld> enc(g.params<ld>());
            const pk::mrope_frequencies f = g.frequencies();
            const int tokens = 64, heads = 3, hd = enc.head_dim();
            const std::vector<std::int64_t> pos = mrope_positions(tokens, seed++);
            kt::tensor x(tokens, heads, hd, storage::tokens_major);
            x.fill(seed);
            kt::tensor y = x;
            const pk::rope_operand ops[] = {{x.view, y.view}};
            pk::apply_mrope(f, pos, ops);
            std::vector<ld> r(static_cast<std::size_t>(hd));
            for (int t = 0; t < tokens; ++t) {
                const std::size_t u = 3 * static_cast<std::size_t>(t);
                const posenc::position3<ld> p{ld(pos[u]), ld(pos[u + 1]), ld(pos[u + 2])};
                for (int h = 0; h < heads; ++h) {
                    const float* xi = x.view.at(t, h);
                    const float* yi = y.view.at(t, h);
                    for (int d = 0; d < hd; ++d) r[static_cast<std::size_t>(d)] = xi[d];
                    enc.apply(std::span<ld>(r), p);
                    for (int i = 0; i < enc.pairs(); ++i) {
                        const posenc::pair_index pi = enc.pair_indices(i);
                        const ld da = ld(yi[pi.a]) - r[static_cast<std::size_t>(pi.a)];
                        const ld db = ld(yi[pi.b]) - r[static_cast<std::size_t>(pi.b)];
                        const double err = static_cast<double>(std::hypot(da, db)) / norm_ulp(xi[pi.a], xi[pi.b]);
                        w.add(err, [&] {
                            return fmt::format("{} {} pair {} (axis {}) head {}", g.name, token_text(pos, t), i,
                                               posenc::axis_name(enc.axis_of_pair(i)), h);
                        });
                        ++done;
                    }
                    for (int d = enc.rotary_dim(); d < hd; ++d) {
                        if (yi[d] != xi[d]) w.add(INFINITY, [&] { return fmt::format("{}: unrotated dim {} changed", g.name, d); });
                    }
                }
            }
        }
    }
    BOOST_TEST_MESSAGE("apply_mrope vs posenc::mrope<long double>: " << done << " pairs, max error " << fmt::format("{:.6f}", w.max)
                                                                     << " ulp(|x_pair|) at " << w.where);
    // 0.7072 (kernel) + 2^-5 (theta in double at |p| <= 2^24); 0.7053 measured: a doubled error fails
    BOOST_TEST(w.max <= 0.74, "max " << w.max << " at " << w.where);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

using posenc_test::expect_error;

BOOST_AUTO_TEST_CASE(bad_arguments_rejected) {
    const std::vector<double> th64(64, 0.5), th32(32, 0.5);
    const auto make = [](int hd, int rd, const std::vector<double>& th, std::vector<long> section) {
        return pk::mrope_frequencies(hd, rd, pair_layout::half_split, th, section, false);
    };
    // sections
    expect_error("section sum", "mrope_section", "rotary_dim / 2 = 64, got [16, 24, 23] (sum 63)", [&] { (void)make(128, 128, th64, {16, 24, 23}); });
    expect_error("section of the full head on a partial rotary", "mrope_section", "rotary_dim / 2 = 32, got [16, 24, 24]",
                 [&] { (void)make(128, 64, th32, {16, 24, 24}); });
    expect_error("two sections", "mrope_section", "got [32, 32]", [&] { (void)make(128, 128, th64, {32, 32}); });
    expect_error("negative section", "mrope_section", "in [0, 65536]", [&] { (void)make(128, 128, th64, {-8, 36, 36}); });
    expect_error("no section", "mrope_section", "got []", [&] { (void)make(128, 128, th64, {}); });
    // entries whose sum overflows a long: named, without a sum (the message once added them up: UB)
    expect_error("huge sections", "mrope_section", "got [9100000000000003484, 1200000000000200004, 0]",
                 [&] { (void)make(128, 128, th64, {9100000000000003484L, 1200000000000200004L, 0}); });
    // the 1D checks still apply
    expect_error("theta count", "theta", "rotary_dim / 2 = 64", [&] { (void)make(128, 128, th32, {16, 24, 24}); });
    expect_error("odd rotary_dim", "rotary_dim", "even", [&] { (void)make(128, 63, th32, {16, 8, 8}); });

    const pk::mrope_frequencies f = make(128, 128, th64, {16, 24, 24});
    std::vector<float> buf(8 * 2 * 128 * 2, 1.0f);
    const pk::tensor_view q = pk::tensor_view::tokens_major(buf.data(), 8, 2, 128);
    const pk::tensor_view k = pk::tensor_view::tokens_major(buf.data() + 8 * 2 * 128, 8, 2, 128);
    std::vector<std::int64_t> pos(24);
    for (std::size_t j = 0; j < pos.size(); ++j) pos[j] = static_cast<std::int64_t>(j * 1000);
    BOOST_CHECK_NO_THROW(pk::apply_mrope(f, pos, q, k));
    // positions
    std::vector<std::int64_t> far = pos;
    far[3 * 5 + 1] = pk::max_position + 1;
    expect_error("h beyond 2^24", "positions", "positions[16] = 16777217 (h of token 5) is outside [-2^24, 2^24]",
                 [&] { pk::apply_mrope(f, far, q, k); });
    far = pos;
    far[3 * 7 + 2] = -pk::max_position - 1;
    expect_error("w below -2^24", "positions", "positions[23] = -16777217 (w of token 7)", [&] { pk::apply_mrope(f, far, q, k); });
    expect_error("scalar twin too", "positions", "positions[23]", [&] {
        const pk::rope_operand ops[] = {pk::rope_operand::in_place(q)};
        pk::apply_mrope_scalar(f, far, ops);
    });
    far = pos;
    far[0] = -pk::max_position;
    far[4] = pk::max_position;
    BOOST_CHECK_NO_THROW(pk::apply_mrope(f, far, q, k));  // +-2^24 are in range
    expect_error("one value short", "positions", "3 x 8 tokens = 24, got 23",
                 [&] { pk::apply_mrope(f, std::span(pos).first(23), q, k); });
    expect_error("one per token", "positions", "3 x 8 tokens = 24, got 8", [&] { pk::apply_mrope(f, std::span(pos).first(8), q, k); });
    const std::vector<std::int64_t> more(27, 0);
    expect_error("a token too many", "positions", "got 27", [&] { pk::apply_mrope(f, more, q, k); });
    // operands (the shared checks of tensor.hpp)
    expect_error("no operands", "operands", "at least one", [&] { pk::apply_mrope(f, pos, std::span<const pk::rope_operand>{}); });
    pk::tensor_view wrong_dim = k;
    wrong_dim.head_dim = 64;
    expect_error("head_dim mismatch", "k (input)", "head_dim is 64", [&] { pk::apply_mrope(f, pos, q, wrong_dim); });
    const pk::tensor_view k_on_q = pk::tensor_view::tokens_major(buf.data() + 128, 8, 2, 128);
    expect_error("q and k overlap", "k", "overlaps the output of q", [&] { pk::apply_mrope(f, pos, q, k_on_q); });
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
