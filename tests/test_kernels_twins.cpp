// The float32 kernels (include/posenc/kernels/) against their scalar twins, bit for bit, on every
// vector target this CPU runs (AVX-512, AVX2, SSE4, baseline), over both pair layouts, head dims whose pairs do not fill whole vectors (34, 80, 96, 200), partial rotary,
// yarn's attention scale, three storage orders (with odd strides), in place and out of place; the
// same output for 1, 2, 3 and 5 threads; and every bad argument rejected with a kernel_error that
// names it.
//
// The twins perform the same IEEE operations in the same order (kernels/simd.hpp), so "equal"
// means equal bits: any difference is a kernel bug, not rounding.
#define BOOST_TEST_MODULE test_kernels_twins
#include <boost/test/unit_test.hpp>

#include <support/expect_invalid.hpp>
#include <support/kernel_fixtures.hpp>

#include <fmt/format.h>

#include <algorithm>
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

constexpr storage storages[] = {storage::tokens_major, storage::heads_major, storage::padded};

/// Runs `kernel` and `twin` on the same Q and K (out of place and in place) and requires equal bits
/// everywhere, padding included (the padding must be left untouched by both).
void compare_apply(const pk::rope_frequencies& f, int tokens, storage st, const std::string& what,
                   const std::function<void(std::span<const pk::rope_operand>)>& kernel,
                   const std::function<void(std::span<const pk::rope_operand>)>& twin) {
    const int hd = f.head_dim();
    kt::tensor q(tokens, 3, hd, st), k(tokens, 2, hd, st);
    q.fill(1);
    k.fill(2);
    // out of place
    kt::tensor q1 = q, k1 = k, q2 = q, k2 = k;
    for (float& x : q1.data) x = 7.0f;
    for (float& x : k1.data) x = 7.0f;
    q2.data = q1.data;
    k2.data = k1.data;
    const pk::rope_operand ops1[] = {{q.view, q1.view}, {k.view, k1.view}};
    const pk::rope_operand ops2[] = {{q.view, q2.view}, {k.view, k2.view}};
    kernel(ops1);
    twin(ops2);
    BOOST_TEST(kt::same_bits(q1.data, q2.data), what << ": q out of place differs from the twin");
    BOOST_TEST(kt::same_bits(k1.data, k2.data), what << ": k out of place differs from the twin");
    // in place: the same bits as out of place
    kt::tensor q3 = q, k3 = k;
    const pk::rope_operand ops3[] = {pk::rope_operand::in_place(q3.view), pk::rope_operand::in_place(k3.view)};
    kernel(ops3);
    bool same_in_place = true;
    for (int t = 0; t < tokens; ++t) {
        for (int h = 0; h < 3; ++h) same_in_place &= std::memcmp(q3.view.at(t, h), q1.view.at(t, h), sizeof(float) * static_cast<std::size_t>(hd)) == 0;
        for (int h = 0; h < 2; ++h) same_in_place &= std::memcmp(k3.view.at(t, h), k1.view.at(t, h), sizeof(float) * static_cast<std::size_t>(hd)) == 0;
    }
    BOOST_TEST(same_in_place, what << ": in place differs from out of place");
    // the unrotated tail: copied out of place (checked above through q1 == q2 only if the twin
    // copies), so check it against the input directly
    bool tail_copied = true;
    for (int t = 0; t < tokens; ++t) {
        for (int d = f.rotary_dim(); d < hd; ++d) tail_copied &= q1.view.at(t, 1)[d] == q.view.at(t, 1)[d];
    }
    BOOST_TEST(tail_copied, what << ": partial rotary tail not copied");
    // something rotated at all (a kernel that copies would pass the twin comparison if the twin
    // were broken the same way; the reference tests check the values themselves)
    bool changed = false;
    for (int t = 1; t < tokens; ++t) changed |= q1.view.at(t, 0)[0] != q.view.at(t, 0)[0];
    BOOST_TEST(changed, what << ": nothing was rotated");
}

BOOST_AUTO_TEST_SUITE(twins)

BOOST_AUTO_TEST_CASE(build_table) {
    kt::for_each_target([&](const std::string& target) {
        const std::vector<std::int64_t> pos = kt::stress_positions(kt::sample_count(600), 11);
        int cases = 0;
        for (const kt::config& c : kt::configs()) {
            const pk::rope_frequencies f = c.frequencies();
            pk::cos_sin_table a, b;
            pk::build_table(f, pos, a);
            pk::build_table_scalar(f, pos, b);
            BOOST_TEST(kt::same_bits(a.cos, b.cos), target << " " << c.name << ": cos differs from the twin");
            BOOST_TEST(kt::same_bits(a.sin, b.sin), target << " " << c.name << ": sin differs from the twin");
            BOOST_TEST(a.stride % static_cast<int>(pk::max_lanes) == 0);
            ++cases;
        }
        BOOST_TEST_MESSAGE(target << " build_table: " << cases << " configurations x " << pos.size() << " positions, bit-identical to the twin");
    });
}

BOOST_AUTO_TEST_CASE(apply_table) {
    kt::for_each_target([&](const std::string& target) {
        const int tokens = 37;
        const std::vector<std::int64_t> pos = kt::stress_positions(tokens, 12);
        for (const kt::config& c : kt::configs()) {
            const pk::rope_frequencies f = c.frequencies();
            pk::cos_sin_table table;
            pk::build_table(f, pos, table);
            for (const storage st : storages) {
                compare_apply(f, tokens, st, target + " " + c.name + " " + kt::storage_name(st),
                              [&](std::span<const pk::rope_operand> ops) { pk::apply_table(f, table, ops); },
                              [&](std::span<const pk::rope_operand> ops) { pk::apply_table_scalar(f, table, ops); });
            }
        }
    });
}

BOOST_AUTO_TEST_CASE(apply_fused) {
    kt::for_each_target([&](const std::string& target) {
        const int tokens = 37;
        std::vector<std::int64_t> pos = kt::stress_positions(tokens, 13);
        std::reverse(pos.begin(), pos.end());  // packed sequences: any order
        for (const kt::config& c : kt::configs()) {
            const pk::rope_frequencies f = c.frequencies();
            for (const storage st : storages) {
                compare_apply(f, tokens, st, target + " " + c.name + " " + kt::storage_name(st),
                              [&](std::span<const pk::rope_operand> ops) { pk::apply_fused(f, pos, ops); },
                              [&](std::span<const pk::rope_operand> ops) { pk::apply_fused_scalar(f, pos, ops); });
            }
        }
    });
}

BOOST_AUTO_TEST_CASE(apply_2d) {
    kt::for_each_target([&](const std::string& target) {
        const int tokens = 41;
        const std::vector<std::int64_t> xs = kt::stress_positions(tokens, 14);
        std::vector<std::int64_t> ys = kt::stress_positions(tokens, 15);
        std::reverse(ys.begin(), ys.end());
        for (const int hd : {64, 72, 200}) {
            for (const posenc::axial_order order : {posenc::axial_order::x_then_y, posenc::axial_order::y_then_x}) {
                const pk::axial2d_frequencies f(posenc::rope2d_axial<double>(hd, 100.0, order));
                for (const storage st : storages) {
                    compare_apply(f.frequencies(), tokens, st,
                                  fmt::format("{} 2d d{} {} {}", target, hd, order == posenc::axial_order::x_then_y ? "x-then-y" : "y-then-x",
                                              kt::storage_name(st)),
                                  [&](std::span<const pk::rope_operand> ops) { pk::apply_2d(f, xs, ys, ops); },
                                  [&](std::span<const pk::rope_operand> ops) { pk::apply_2d_scalar(f, xs, ys, ops); });
                }
            }
        }
    });
}

BOOST_AUTO_TEST_CASE(sinusoidal_table) {
    kt::for_each_target([&](const std::string& target) {
        const std::vector<std::int64_t> pos = kt::stress_positions(kt::sample_count(500), 16);
        for (const int d : {512, 34, 200}) {
            const posenc::sinusoidal<double> pe(d, 10000.0);
            pk::sinusoidal_table a, b;
            pk::build_sinusoidal_table(pe, pos, a);
            pk::build_sinusoidal_table_scalar(pe, pos, b);
            BOOST_TEST(kt::same_bits(a.values, b.values), target << " d" << d << ": differs from the twin");
        }
    });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dispatch)

// The kernels run the best target the CPU has, and use_target picks any other: checked against the
// CPU's own feature bits (GCC/clang's __builtin_cpu_supports), so a build that lost a target (or a
// dispatch that ignored one) fails here.
BOOST_AUTO_TEST_CASE(targets_follow_the_cpu) {
    const std::vector<std::string> targets = pk::available_targets();
    BOOST_TEST_REQUIRE(!targets.empty());
    BOOST_TEST_MESSAGE("targets: " << fmt::format("{}", fmt::join(targets, ", ")) << "; running " << pk::current_target());
    BOOST_TEST(pk::current_target() == targets.front());
    const auto has = [&](const char* name) { return std::find(targets.begin(), targets.end(), name) != targets.end(); };
#if defined(__x86_64__)
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
    BOOST_TEST(has("AVX3") == avx512);
    BOOST_TEST(has("AVX2") == avx2);
    BOOST_TEST(has("SSE4") == static_cast<bool>(__builtin_cpu_supports("sse4.2")));
    if (avx512) BOOST_TEST(targets.front() == "AVX3");
#endif
    // lanes per target (doubles per vector)
    const std::pair<const char*, std::size_t> widths[] = {{"AVX3", 8}, {"AVX2", 4}, {"SSE4", 2}, {"EMU128", 2}, {"SCALAR", 1},
                                                          {"NEON", 2}};
    for (const std::string& t : targets) {
        pk::use_target(t);
        BOOST_TEST(pk::current_target() == t);
        for (const auto& [name, lanes] : widths) {
            if (t == name) BOOST_TEST(pk::current_lanes() == lanes, t);
        }
    }
    if (has("AVX2")) {
        pk::use_target("avx2");  // any case
        BOOST_TEST(pk::current_target() == "AVX2");
    }
    pk::use_target("best");
    BOOST_TEST(pk::current_target() == targets.front());
    posenc_test::expect_error("use_target", "target", "(valid: best, " + targets.front(), [] { pk::use_target("avx1024"); });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(threads)

// Every kernel with 1, 2, 3 and 5 threads (and 613 tokens: above the small-call threshold for every
// kernel here, and ranges that differ in size) gives the bits it gives without a pool.
BOOST_AUTO_TEST_CASE(independent_of_thread_count) {
    const int tokens = 613;
    const std::vector<std::int64_t> pos = kt::stress_positions(tokens, 17);
    const kt::config c = kt::configs()[1];  // d80 half-split: a vector tail
    const pk::rope_frequencies f = c.frequencies();
    const pk::axial2d_frequencies f2(posenc::rope2d_axial<double>(64, 100.0, posenc::axial_order::x_then_y));
    const posenc::sinusoidal<double> pe(64, 10000.0);

    struct result {
        std::vector<float> table_cos, q_table, q_fused, q_2d, sinusoid;
    };
    const auto run = [&](pk::thread_pool* pool) {
        result r;
        pk::cos_sin_table t;
        pk::build_table(f, pos, t, pool);
        r.table_cos = t.cos;
        kt::tensor q(tokens, 4, 80, storage::tokens_major), k(tokens, 2, 80, storage::heads_major);
        q.fill(3);
        k.fill(4);
        kt::tensor q1 = q, k1 = k;
        pk::apply_table(f, t, q1.view, k1.view, pool);
        r.q_table = q1.data;
        kt::tensor q2 = q, k2 = k;
        pk::apply_fused(f, pos, q2.view, k2.view, pool);
        r.q_fused = q2.data;
        kt::tensor q3(tokens, 4, 64, storage::padded);
        q3.fill(5);
        const pk::rope_operand op[] = {pk::rope_operand::in_place(q3.view)};
        pk::apply_2d(f2, pos, pos, op, pool);
        r.q_2d = q3.data;
        pk::sinusoidal_table s;
        pk::build_sinusoidal_table(pe, pos, s, pool);
        r.sinusoid = s.values;
        return r;
    };
    const result base = run(nullptr);
    for (const unsigned n : {1u, 2u, 3u, 5u}) {
        pk::thread_pool pool(n);
        const result r = run(&pool);
        BOOST_TEST(kt::same_bits(r.table_cos, base.table_cos), n << " threads: build_table differs");
        BOOST_TEST(kt::same_bits(r.q_table, base.q_table), n << " threads: apply_table differs");
        BOOST_TEST(kt::same_bits(r.q_fused, base.q_fused), n << " threads: apply_fused differs");
        BOOST_TEST(kt::same_bits(r.q_2d, base.q_2d), n << " threads: apply_2d differs");
        BOOST_TEST(kt::same_bits(r.sinusoid, base.sinusoid), n << " threads: sinusoidal table differs");
    }
}

// A call below small_call_pairs runs on the calling thread (the pool's job count does not move: no
// wake-up); one just above it wakes the pool once. Decode: one token, Q (32 heads) and K (8 heads)
// at head_dim 128 is 40 x 64 = 2560 pair rotations.
BOOST_AUTO_TEST_CASE(small_calls_stay_on_the_caller) {
    const kt::config c = kt::make_config("d128", 128, posenc::pair_layout::half_split);
    const pk::rope_frequencies f = c.frequencies();
    pk::thread_pool pool(2);
    const auto call = [&](int tokens) {
        const std::vector<std::int64_t> pos = pk::position_range(100000, tokens);
        kt::tensor q(tokens, 32, 128, storage::tokens_major), k(tokens, 8, 128, storage::tokens_major);
        q.fill(1);
        k.fill(2);
        const std::uint64_t before = pool.jobs();
        pk::apply_fused(f, pos, q.view, k.view, &pool);
        return pool.jobs() - before;
    };
    const int below = static_cast<int>(pk::detail::small_call_pairs / (40 * 64));  // 6 tokens: 15360 pairs
    BOOST_TEST(call(1) == 0U);
    BOOST_TEST(call(below) == 0U);
    BOOST_TEST(call(below + 1) == 1U);  // 17920 pairs
    BOOST_TEST(call(64) == 1U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

using posenc_test::expect_error;

BOOST_AUTO_TEST_CASE(bad_arguments_rejected) {
    const kt::config c = kt::make_config("d64", 64, posenc::pair_layout::half_split);
    const pk::rope_frequencies f = c.frequencies();
    const std::vector<std::int64_t> pos = pk::position_range(0, 8);
    pk::cos_sin_table table;
    pk::build_table(f, pos, table);
    std::vector<float> buf(8 * 2 * 64 * 4, 1.0f);
    const pk::tensor_view q = pk::tensor_view::tokens_major(buf.data(), 8, 2, 64);
    const pk::tensor_view k = pk::tensor_view::tokens_major(buf.data() + 8 * 2 * 64, 8, 2, 64);
    const auto apply = [&](pk::tensor_view a, pk::tensor_view b) { pk::apply_table(f, table, a, b); };

    // frequencies
    const std::vector<double> th(32, 0.5);
    expect_error("odd head_dim", "head_dim", "even", [&] { pk::rope_frequencies(63, 62, posenc::pair_layout::half_split, th); });
    expect_error("rotary_dim > head_dim", "rotary_dim", "(0, head_dim = 64]",
                 [&] { pk::rope_frequencies(64, 66, posenc::pair_layout::half_split, th); });
    expect_error("theta count", "theta", "rotary_dim / 2 = 32", [&] {
        pk::rope_frequencies(64, 64, posenc::pair_layout::half_split, std::vector<double>(31, 0.5));
    });
    std::vector<double> big = th;
    big[3] = 2.5;
    expect_error("theta > 2", "theta", "theta[3]", [&] { pk::rope_frequencies(64, 64, posenc::pair_layout::half_split, big); });
    std::vector<double> nan = th;
    nan[0] = std::nan("");
    expect_error("theta NaN", "theta", "outside [0, 2]", [&] { pk::rope_frequencies(64, 64, posenc::pair_layout::half_split, nan); });
    expect_error("attention scale", "attention_scale", "finite and > 0",
                 [&] { pk::rope_frequencies(64, 64, posenc::pair_layout::half_split, th, -1.0); });
    // positions
    std::vector<std::int64_t> far = pos;
    far[5] = pk::max_position + 1;
    expect_error("position 2^24 + 1", "positions", "positions[5] = 16777217", [&] { pk::build_table(f, far, table); });
    expect_error("fused position", "positions", "outside [-2^24, 2^24]", [&] { pk::apply_fused(f, far, q, k); });
    expect_error("2d y", "y", "y[5]", [&] {
        const pk::axial2d_frequencies f2(posenc::rope2d_axial<double>(64, 100.0, posenc::axial_order::x_then_y));
        const pk::rope_operand op[] = {pk::rope_operand::in_place(q)};
        pk::apply_2d(f2, pos, far, op);
    });
    expect_error("positions count", "positions", "has 7 rows, the tensors have 8 tokens",
                 [&] { pk::apply_fused(f, std::span(pos).first(7), q, k); });
    // tensors
    pk::tensor_view null_q = q;
    null_q.data = nullptr;
    expect_error("null q", "q (input)", "null data pointer", [&] { apply(null_q, k); });
    pk::tensor_view wrong_dim = k;
    wrong_dim.head_dim = 32;
    expect_error("head_dim mismatch", "k (input)", "head_dim is 32", [&] { apply(q, wrong_dim); });
    pk::tensor_view overlapping = q;
    overlapping.head_stride = 63;
    expect_error("heads overlap", "q (input)", "overlap", [&] { apply(overlapping, k); });
    pk::tensor_view tokens_overlap = q;
    tokens_overlap.token_stride = 64;  // token t+1 is head 1 of token t
    expect_error("tokens overlap", "q (input)", "overlap", [&] { apply(tokens_overlap, k); });
    pk::tensor_view negative = q;
    negative.token_stride = -128;
    expect_error("negative stride", "q (input)", "strides must be positive", [&] { apply(negative, k); });
    const pk::tensor_view k_on_q = pk::tensor_view::tokens_major(buf.data() + 64, 8, 2, 64);
    expect_error("q and k overlap", "k", "overlaps the output of q", [&] { apply(q, k_on_q); });
    const pk::rope_operand shifted[] = {{q, pk::tensor_view::tokens_major(buf.data() + 1, 8, 2, 64)}};
    expect_error("output overlaps input", "tensor", "overlaps the input", [&] { pk::apply_table(f, table, shifted); });
    expect_error("no operands", "operands", "at least one", [&] { pk::apply_table(f, table, std::span<const pk::rope_operand>{}); });
    pk::tensor_view few = q;
    few.tokens = 7;
    expect_error("tokens vs table", "table", "has 8 rows, the tensors have 7 tokens", [&] { apply(few, k); });
    const kt::config c2 = kt::make_config("d32", 32, posenc::pair_layout::half_split);
    pk::cos_sin_table other;
    pk::build_table(c2.frequencies(), pos, other);
    expect_error("table for other frequencies", "table", "not built by build_table for these frequencies",
                 [&] { pk::apply_table(f, other, q, k); });
    expect_error("no threads", "threads", "at least 1", [&] { pk::thread_pool pool(0); });
    // a packed QKV buffer's Q and K slices interleave: each is accepted alone
    std::vector<float> qkv(8 * 3 * 2 * 64, 1.0f);
    const pk::tensor_view qs{qkv.data(), 8, 2, 64, 3 * 2 * 64, 64};
    const pk::rope_operand one[] = {pk::rope_operand::in_place(qs)};
    BOOST_CHECK_NO_THROW(pk::apply_table(f, table, one));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
