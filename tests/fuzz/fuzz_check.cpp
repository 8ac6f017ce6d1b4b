// libFuzzer target on posenc check's engine (posenc/check/): the first bytes choose the rope and the
// artifact kind, the rest are the artifact's values as float32 (any bit pattern: NaN, infinities,
// subnormals, huge values) and, for M-RoPE, positions. The check is run end to end (make_problem,
// the exact reference, the measurement and, when outside the tolerance, every failure mode's fit)
// and its report serialised as JSON, CSV and text.
//
// Expected outcomes, not findings: posenc::check::input_error and posenc::invalid_parameter (bad
// input). Everything else is a finding: another exception, a report whose verdict disagrees with its
// max error, a NaN in the report's numbers, and any crash or sanitizer report (an out-of-range
// float-to-integer conversion, an out-of-bounds read, a leak).
//
// Built by tests/fuzz/CMakeLists.txt with clang (-fsanitize=fuzzer,address,undefined); run by the
// ctest fuzz.check (20 s from an empty corpus plus the seeds in corpus_check/).
#include <posenc/check/check.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "fuzz_check: FINDING: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

namespace pc = posenc::check;

struct reader {
    const std::uint8_t* p;
    std::size_t n;
    std::uint8_t byte() {
        if (n == 0) return 0;
        --n;
        return *p++;
    }
    float f32() {
        std::uint32_t b = 0;
        for (int i = 0; i < 4; ++i) b |= static_cast<std::uint32_t>(byte()) << (8 * i);
        float f = 0;
        std::memcpy(&f, &b, 4);
        return f;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    reader in{data, size};
    const std::uint8_t a = in.byte();
    const std::uint8_t b = in.byte();
    const std::uint8_t c = in.byte();
    pc::request q;
    const int head = 4 + 2 * (a % 4);  // 4 .. 10
    q.params.head_dim = head;
    q.params.base = pc::hp(1 + (b % 7 == 0 ? 0.5 : 1e4 * (1 + b % 5)));
    q.params.layout = (a & 16) ? posenc::pair_layout::interleaved : posenc::pair_layout::half_split;
    if (a & 32) q.params.partial_rotary_factor = pc::hp(0.5);
    switch (c % 5) {
        case 1:
            q.params.variant = posenc::rope_variant::linear;
            q.params.factor = pc::hp(1 + c % 7);
            break;
        case 2:
            q.params.variant = posenc::rope_variant::yarn;
            q.params.factor = pc::hp(2 + c % 9);
            q.params.original_max_position_embeddings = 64;
            q.params.mscale = pc::hp(c % 2);
            q.params.mscale_all_dim = pc::hp(c % 3 == 0 ? 1 : 0);
            break;
        case 3:
            q.params.variant = posenc::rope_variant::dynamic;
            q.params.factor = pc::hp(2);
            q.params.max_position_embeddings = 16;
            q.params.seq_len = c;
            break;
        default: break;
    }
    const int rot = (a & 32) ? head / 2 - (head / 2) % 2 : head;
    const int pairs = rot / 2;
    const bool mrope = (b & 128) && c % 5 != 3 && pairs >= 3;
    if (mrope) {
        q.params.mrope_section = {1, 1, pairs - 2};
        q.params.mrope_interleaved = (c & 64) != 0;
    }
    const std::size_t tokens = 1 + in.byte() % 24;
    const int kind = (b >> 4) % 3;
    const pc::dtype dt = (a & 64) ? pc::dtype::float32 : pc::dtype::float16;
    auto values = [&](std::size_t count) {
        std::vector<double> v(count);
        for (double& x : v) {
            x = in.f32();
            if (dt == pc::dtype::float16) x = pc::round_to(x, pc::float16_format);
        }
        return v;
    };
    if (kind == 0) {
        q.inv_freq = pc::tensor{values(static_cast<std::size_t>(pairs)), {static_cast<std::size_t>(pairs)}, dt, "inv_freq"};
    } else if (kind == 1) {
        const std::size_t w = (c & 1) ? static_cast<std::size_t>(pairs) : static_cast<std::size_t>(rot);
        q.cos = pc::tensor{values(tokens * w), {tokens, w}, dt, "cos"};
        q.sin = pc::tensor{values(tokens * w), {tokens, w}, dt, "sin"};
    } else {
        const std::size_t n = tokens * 2 * static_cast<std::size_t>(head);
        q.rotated.push_back({"q", pc::tensor{values(n), {tokens, 2, static_cast<std::size_t>(head)}, dt, "q"},
                             pc::tensor{values(n), {tokens, 2, static_cast<std::size_t>(head)}, dt, "q_rotated"}});
    }
    if (kind != 0 && (c & 2)) {  // positions: small, huge, negative
        std::vector<long long> p;
        const std::size_t per = mrope ? 3 : 1;
        for (std::size_t i = 0; i < tokens * per; ++i) {
            const std::uint8_t r = in.byte();
            p.push_back(r < 200 ? r : static_cast<long long>(r - 228) << (r % 41));
        }
        q.positions = p;
        q.positions_shape = mrope ? std::vector<std::size_t>{tokens, 3} : std::vector<std::size_t>{tokens};
    }
    if (c & 4) q.expect = pc::dtype::float64;
    try {
        const pc::report r = pc::run(q);
        if (r.passed != (r.max_ulps <= r.tolerance)) finding("verdict disagrees with the max error");
        if (std::isnan(r.max_ulps)) finding("NaN max error");
        for (const pc::bucket_row& row : r.buckets)
            if (std::isnan(row.max_ulps) || std::isnan(row.mean_ulps)) finding("NaN in a bucket");
        (void)pc::to_json(r).dump();
        (void)pc::to_csv(r);
        (void)pc::to_text(r);
    } catch (const pc::input_error&) {
    } catch (const posenc::invalid_parameter&) {
    } catch (const std::exception& e) {
        finding(std::string("unexpected exception: ") + e.what());
    }
    return 0;
}
