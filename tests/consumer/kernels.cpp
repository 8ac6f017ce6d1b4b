// The float32 kernels through an installed posenc (posenc::kernels, dispatched at run time to the
// best target of this CPU): the README's example, checked against the scalar twin (same bits) and
// against posenc::rope<double> (within the kernels' rounding).
#include <posenc/encodings/rope.hpp>
#include <posenc/kernels.hpp>

#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

bool kernels_ok() {
    namespace pk = posenc::kernels;
    // RoPE with Llama 3.1's frequencies on Q [tokens][32][128] and K [tokens][8][128], in place
    const posenc::rope<double> r({.head_dim = 128, .base = 500000, .variant = posenc::rope_variant::llama3,
                                  .factor = 8, .original_max_position_embeddings = 8192});
    const pk::rope_frequencies f = pk::rope_frequencies::from(r);
    const int tokens = 6;
    const std::vector<std::int64_t> positions = {5, 4, 3, 0, 1 << 20, (1 << 24) - 1};  // any order
    std::vector<float> q(tokens * 32 * 128), k(tokens * 8 * 128);
    for (std::size_t i = 0; i < q.size(); ++i) q[i] = std::sin(static_cast<float>(i));
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = std::cos(static_cast<float>(i));
    const std::vector<float> q0 = q, k0 = k;
    pk::thread_pool pool(2);
    pk::apply_fused(f, positions, pk::tensor_view::tokens_major(q.data(), tokens, 32, 128),
                    pk::tensor_view::tokens_major(k.data(), tokens, 8, 128), &pool);

    // the scalar twin gives the same bits
    std::vector<float> q1 = q0, k1 = k0;
    const pk::rope_operand ops[] = {pk::rope_operand::in_place(pk::tensor_view::tokens_major(q1.data(), tokens, 32, 128)),
                                    pk::rope_operand::in_place(pk::tensor_view::tokens_major(k1.data(), tokens, 8, 128))};
    pk::apply_fused_scalar(f, positions, ops);
    const bool twin = std::memcmp(q.data(), q1.data(), q.size() * sizeof(float)) == 0 &&
                      std::memcmp(k.data(), k1.data(), k.size() * sizeof(float)) == 0;
    // the encoding in double agrees to float precision: |kernel - double| <= 2^-23 |x| per head
    double worst = 0;
    for (int t = 0; t < tokens; ++t) {
        for (int h = 0; h < 32; ++h) {
            std::vector<double> x(q0.begin() + (t * 32 + h) * 128, q0.begin() + (t * 32 + h + 1) * 128);
            double norm = 0;
            for (const double v : x) norm += v * v;
            r.apply(std::span<double>(x), positions[static_cast<std::size_t>(t)]);
            double err = 0;
            for (int d = 0; d < 128; ++d) err += std::pow(x[static_cast<std::size_t>(d)] - q[static_cast<std::size_t>((t * 32 + h) * 128 + d)], 2);
            worst = std::max(worst, std::sqrt(err / norm));
        }
    }
    const bool close = worst <= std::ldexp(1.0, -23);
    fmt::print("{} kernels (target {}, {} doubles per vector): twin {}, relative error against rope<double> {:.3g}\n",
               twin && close ? "ok  " : "FAIL", pk::current_target(), pk::current_lanes(), twin ? "identical" : "DIFFERENT", worst);
    return twin && close;
}
