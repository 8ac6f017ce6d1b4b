// Every float32 kernel on fixed inputs, against its scalar twin, for the cross-architecture check:
// built for x86-64 (the kernels dispatched to the best target) and for aarch64 (the NEON or SVE
// target, run under qemu-user) by scripts/cross_aarch64, which requires
//   1. on each machine, every kernel's output to have the bits of its scalar twin (this program
//      exits 1 otherwise, naming the case), and
//   2. the twins' outputs to be the same bits on both machines: each case prints a digest (FNV-1a,
//      64 bits, of the output floats) of the twin's output, and the script compares the two lists.
// Together: the aarch64 kernels give the x86-64 scalar twin's bits. No test framework and no MPFR,
// so that it cross-compiles with the compiler alone.
#include <posenc/encodings/mrope.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/kernels.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace {

namespace pk = posenc::kernels;

/// FNV-1a over the bits of the floats.
std::uint64_t digest(std::span<const float> v) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const float x : v) {
        std::uint32_t b = 0;
        std::memcpy(&b, &x, sizeof b);
        for (int i = 0; i < 4; ++i) {
            h ^= (b >> (8 * i)) & 0xffU;
            h *= 1099511628211ULL;
        }
    }
    return h;
}

/// Floats in [-2, 2) from a 64-bit LCG (Knuth's MMIX constants): the same on every machine.
std::vector<float> values(std::size_t n, std::uint64_t seed) {
    std::vector<float> v(n);
    std::uint64_t s = seed;
    for (float& x : v) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x = static_cast<float>(static_cast<double>(s >> 40) / static_cast<double>(1ULL << 24) * 4.0 - 2.0);
    }
    return v;
}

/// Positions that stress the angle reduction: 0, +-1, 2^23 +- 1, 2^24 - 1, +-2^24 and a spread.
std::vector<std::int64_t> positions(std::size_t n, std::uint64_t seed) {
    std::vector<std::int64_t> p = {0, 1, -1, (1 << 23) - 1, 1 << 23, (1 << 23) + 1, (1 << 24) - 1, 1 << 24, -(1 << 24)};
    std::uint64_t s = seed;
    while (p.size() < n) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        p.push_back(static_cast<std::int64_t>(s >> 40) - (std::int64_t{1} << 23));
    }
    p.resize(n);
    return p;
}

int failures = 0;

void report(const std::string& name, std::span<const float> kernel, std::span<const float> twin) {
    const bool same = kernel.size() == twin.size() && std::memcmp(kernel.data(), twin.data(), kernel.size() * sizeof(float)) == 0;
    if (!same) {
        std::fprintf(stderr, "kernel_digest: %s: the kernel's output differs from its scalar twin\n", name.c_str());
        ++failures;
    }
    std::printf("%s %016llx\n", name.c_str(), static_cast<unsigned long long>(digest(twin)));
}

/// Q (3 heads) and K (2 heads), tokens-major, rotated out of place by `kernel` and by `twin`.
template <class Kernel, class Twin>
void rotation_case(const std::string& name, int tokens, int head_dim, const Kernel& kernel, const Twin& twin) {
    const std::vector<float> q = values(static_cast<std::size_t>(tokens) * 3 * head_dim, 1);
    const std::vector<float> k = values(static_cast<std::size_t>(tokens) * 2 * head_dim, 2);
    std::vector<float> q1(q.size()), k1(k.size()), q2(q.size()), k2(k.size());
    const auto view = [&](const std::vector<float>& v, int heads) {
        return pk::const_tensor_view{v.data(), tokens, heads, head_dim, static_cast<std::ptrdiff_t>(heads) * head_dim, head_dim};
    };
    const auto out = [&](std::vector<float>& v, int heads) { return pk::tensor_view::tokens_major(v.data(), tokens, heads, head_dim); };
    const pk::rope_operand ops1[] = {{view(q, 3), out(q1, 3)}, {view(k, 2), out(k1, 2)}};
    const pk::rope_operand ops2[] = {{view(q, 3), out(q2, 3)}, {view(k, 2), out(k2, 2)}};
    kernel(std::span<const pk::rope_operand>(ops1));
    twin(std::span<const pk::rope_operand>(ops2));
    report(name + ".q", q1, q2);
    report(name + ".k", k1, k2);
}

}  // namespace

int main() {
    std::printf("# target %s, %zu doubles per vector\n", pk::current_target().c_str(), pk::current_lanes());
    const int tokens = 53;
    const std::vector<std::int64_t> pos = positions(tokens, 7);
    struct config {
        std::string name;
        posenc::rope_params<double> params;
        bool attention = false;
    };
    const auto make = [](std::string name, int head_dim, double base, posenc::pair_layout layout, double partial = 1.0) {
        config c;
        c.name = std::move(name);
        c.params.head_dim = head_dim;
        c.params.base = base;
        c.params.layout = layout;
        c.params.partial_rotary_factor = partial;
        return c;
    };
    using posenc::pair_layout;
    std::vector<config> configs = {make("d128.interleaved", 128, 10000, pair_layout::interleaved),
                                   make("d128.half-split", 128, 500000, pair_layout::half_split),
                                   make("d68.interleaved.partial", 68, 10000, pair_layout::interleaved, 0.5)};
    config l3 = make("d80.half-split.llama3", 80, 500000, pair_layout::half_split);
    l3.params.variant = posenc::rope_variant::llama3;
    l3.params.factor = 8;
    l3.params.original_max_position_embeddings = 8192;
    configs.push_back(l3);
    config y = make("d64.half-split.yarn", 64, 10000, pair_layout::half_split);
    y.params.variant = posenc::rope_variant::yarn;
    y.params.factor = 4;
    y.params.original_max_position_embeddings = 4096;
    y.attention = true;
    configs.push_back(y);
    for (const config& c : configs) {
        const pk::rope_frequencies f = pk::rope_frequencies::from(posenc::rope<double>(c.params), c.attention);
        const std::string& name = c.name;
        pk::cos_sin_table a, b;
        pk::build_table(f, pos, a);
        pk::build_table_scalar(f, pos, b);
        report(name + ".table.cos", a.cos, b.cos);
        report(name + ".table.sin", a.sin, b.sin);
        rotation_case(name + ".apply_table", tokens, f.head_dim(), [&](auto ops) { pk::apply_table(f, b, ops); },
                      [&](auto ops) { pk::apply_table_scalar(f, b, ops); });
        rotation_case(name + ".apply_fused", tokens, f.head_dim(), [&](auto ops) { pk::apply_fused(f, pos, ops); },
                      [&](auto ops) { pk::apply_fused_scalar(f, pos, ops); });
    }
    // M-RoPE: Qwen2.5-VL's sections, half-split; Qwen3-VL's interleaved map
    for (const bool interleaved : {false, true}) {
        posenc::rope_params<double> p;
        p.head_dim = 128;
        p.base = 1000000;
        const std::vector<double> theta = posenc::rope<double>(p).inv_freq();
        const long sections[] = {16, 24, 24};
        const pk::mrope_frequencies f(128, 128, posenc::pair_layout::half_split, theta, sections, interleaved);
        const std::vector<std::int64_t> thw = positions(3 * tokens, 8);
        rotation_case(std::string("mrope.") + (interleaved ? "interleaved" : "sectioned"), tokens, 128,
                      [&](auto ops) { pk::apply_mrope(f, thw, ops); }, [&](auto ops) { pk::apply_mrope_scalar(f, thw, ops); });
    }
    {
        const pk::axial2d_frequencies f(posenc::rope2d_axial<double>(72, 100.0, posenc::axial_order::x_then_y));
        const std::vector<std::int64_t> xs = positions(tokens, 9), ys = positions(tokens, 10);
        rotation_case("apply_2d.d72", tokens, 72, [&](auto ops) { pk::apply_2d(f, xs, ys, ops); },
                      [&](auto ops) { pk::apply_2d_scalar(f, xs, ys, ops); });
    }
    {
        const posenc::sinusoidal<double> pe(200, 10000.0);
        pk::sinusoidal_table a, b;
        pk::build_sinusoidal_table(pe, pos, a);
        pk::build_sinusoidal_table_scalar(pe, pos, b);
        report("sinusoidal.d200", a.values, b.values);
    }
    return failures == 0 ? 0 : 1;
}
