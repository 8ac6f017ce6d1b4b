// proofs/support.hpp: what the proofs share: probe vectors, the RoPE configurations they run over,
// and two deliberately wrong rotations. Everything here is constexpr and used only inside
// static_asserts.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include <posenc/encodings/complex_embedding.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/properties/common.hpp>

namespace posenc_proofs {

/// N entries ((37 i + 11 seed) mod 101 - 50) / 64: small dyadic rationals in [-50/64, 50/64],
/// exact in every binary type with at least 7 significand bits, and without any structure a
/// property could hide behind (no zero pairs, no symmetry between pairs).
template <class T, std::size_t N>
[[nodiscard]] constexpr std::array<T, N> probe(int seed) {
    std::array<T, N> v{};
    for (std::size_t i = 0; i < N; ++i) {
        const long long k = (37 * static_cast<long long>(i) + 11 * seed) % 101 - 50;
        v[i] = T(k) / T(64);
    }
    return v;
}

template <class T, std::size_t N>
[[nodiscard]] constexpr std::span<const T> view(const std::array<T, N>& a) {
    return std::span<const T>(a.data(), a.size());
}

/// One realistic configuration per HF transformers rope_type (parameter names and defaults of
/// `modeling_rope_utils.py`), at the given head_dim, layout and partial_rotary_factor.
template <class T>
[[nodiscard]] constexpr posenc::rope_params<T> variant_params(posenc::rope_variant v, posenc::pair_layout layout,
                                                              int head_dim, const T& partial = T(1)) {
    using posenc::rope_variant;
    posenc::rope_params<T> p{};
    p.head_dim = head_dim;
    p.layout = layout;
    p.variant = v;
    p.partial_rotary_factor = partial;
    switch (v) {
        case rope_variant::standard:
            break;
        case rope_variant::linear:  // position interpolation, 4x
            p.factor = T(4);
            break;
        case rope_variant::dynamic:  // NTK-aware, at 4x the trained length
            p.factor = T(2);
            p.max_position_embeddings = 2048;
            p.seq_len = 8192;
            break;
        case rope_variant::yarn:  // beta_fast 32, beta_slow 1 (defaults)
            p.factor = T(4);
            p.original_max_position_embeddings = 4096;
            break;
        case rope_variant::llama3:  // Llama 3.1: base 500000, factor 8, L_orig 8192, low 1, high 4
            p.base = T(500000);
            p.factor = T(8);
            p.original_max_position_embeddings = 8192;
            break;
        case rope_variant::longrope: {  // long factors in use (seq_len > L_orig)
            p.original_max_position_embeddings = 4096;
            p.max_position_embeddings = 131072;
            p.seq_len = 16384;
            const int pairs = static_cast<int>(static_cast<long long>(T(T(head_dim) * partial))) / 2;
            p.short_factor.assign(static_cast<std::size_t>(pairs), T(1));
            p.long_factor.assign(static_cast<std::size_t>(pairs), T(1));
            for (int j = 0; j < pairs; ++j) {
                p.short_factor[static_cast<std::size_t>(j)] = T(1) + T(j) / T(16);
                p.long_factor[static_cast<std::size_t>(j)] = T(1) + T(j * j) / T(4);
            }
            break;
        }
        case rope_variant::proportional:  // Gemma 4 full attention: base 1e6, theta 0 past the rotated angles
            p.base = T(1000000);
            break;
    }
    return p;
}

/// A RoPE rotating the wrong way, R_{-m} instead of R_m (a sign slip in sin, as when q and k are
/// rotated with conj(e^{i m theta})). It is relative to itself, <R_{-m} q, R_{-n} k> = q^T R_{m-n} k,
/// but not to the intended RoPE.
template <class T>
class negated_rope {
public:
    using value_type = T;

    constexpr explicit negated_rope(const posenc::rope_params<T>& p) : inner_(p) {}

    [[nodiscard]] constexpr int head_dim() const { return inner_.head_dim(); }
    constexpr void apply(std::span<const T> x, const T& m, std::span<T> out) const { inner_.apply(x, T(-m), out); }
    constexpr void matrix(const T& m, std::span<T> out) const { inner_.matrix(T(-m), out); }

private:
    posenc::rope<T> inner_;
};

/// A RoPE whose rotation is multiplied by s (HF's attention_factor folded into cos and sin, as YaRN
/// and LongRoPE do): f(x, m) = s R_m x. Relative up to the factor s^2, but neither orthogonal nor
/// norm preserving, and it breaks the RoFormer bound on the pair that attains it.
template <class T>
class scaled_rope {
public:
    using value_type = T;

    constexpr scaled_rope(const posenc::rope_params<T>& p, const T& s) : inner_(p), s_(s) {}

    [[nodiscard]] constexpr int head_dim() const { return inner_.head_dim(); }
    constexpr void apply(std::span<const T> x, const T& m, std::span<T> out) const {
        inner_.apply(x, m, out);
        for (T& v : out) v = s_ * v;
    }
    constexpr void matrix(const T& m, std::span<T> out) const {
        inner_.matrix(m, out);
        for (T& v : out) v = s_ * v;
    }

private:
    posenc::rope<T> inner_;
    T s_;
};

/// The head_dim of the RoPEs the proofs run over many configurations with: 4 pairs are enough to
/// reach every frequency regime of every variant below (YaRN's ramp, Llama 3's three bands), and
/// each constant-evaluated rotation costs compile time.
inline constexpr int small_head = 8;

/// The standard RoPE (HF "default", base 10000), head_dim 8.
template <class T>
[[nodiscard]] constexpr posenc::rope<T> standard8(posenc::pair_layout layout = posenc::pair_layout::half_split) {
    return posenc::rope<T>(variant_params<T>(posenc::rope_variant::standard, layout, small_head));
}

/// A perturbed frequency rule: standard8 with base 10001 instead of 10000.
template <class T>
[[nodiscard]] constexpr posenc::rope<T> base_10001() {
    posenc::rope_params<T> p =
        variant_params<T>(posenc::rope_variant::standard, posenc::pair_layout::half_split, small_head);
    p.base = T(10001);
    return posenc::rope<T>(p);
}

/// A perturbed frequency rule: position interpolation by 1.0001 where none was intended (head_dim 8).
template <class T>
[[nodiscard]] constexpr posenc::rope<T> linear_1_0001() {
    posenc::rope_params<T> p =
        variant_params<T>(posenc::rope_variant::linear, posenc::pair_layout::half_split, small_head);
    p.factor = T(10001) / T(10000);
    return posenc::rope<T>(p);
}

/// standard8 rotating the wrong way.
template <class T>
[[nodiscard]] constexpr negated_rope<T> negated8() {
    return negated_rope<T>(variant_params<T>(posenc::rope_variant::standard, posenc::pair_layout::half_split, small_head));
}

/// A complex embedding (Wang et al. 2020) with D = 16: amplitudes r_j = 1 + j/8, frequencies
/// omega_j = theta_j of the sinusoidal encoding with d = 32, base 10000 (so omega_j <= 1), phases
/// phi_j = j/4 - 2 (|phi_j| < pi).
template <class T>
[[nodiscard]] constexpr posenc::complex_embedding<T> complex16() {
    const posenc::sinusoidal<T> s(32, T(10000));
    std::vector<T> r(16, T(0)), w(16, T(0)), phi(16, T(0));
    for (int j = 0; j < 16; ++j) {
        r[static_cast<std::size_t>(j)] = T(1) + T(j) / T(8);
        w[static_cast<std::size_t>(j)] = s.theta(j);
        phi[static_cast<std::size_t>(j)] = T(j) / T(4) - T(2);
    }
    return posenc::complex_embedding<T>(std::move(r), std::move(w), std::move(phi));
}

}  // namespace posenc_proofs
