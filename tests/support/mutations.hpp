// tests/support/mutations.hpp: deliberately broken position encodings, for the mutation tests of the
// property predicates (include/posenc/properties/). Each one offers the members of the encoding it
// imitates (value_type plus head_dim/apply/matrix, dim/encode/offset_operator, or
// dim/amplitude/value/witness), so the predicates check it with the very code that checks the real
// encoding, and each names the real-world bug it imitates. A predicate that accepts one of these
// where the tests expect a rejection cannot tell that bug from a correct encoding.
//
// Not here because they need no new type: a perturbed-frequency or swapped-layout RoPE (a plain
// posenc::rope with other parameters, checked against the intended one by the two-encoding
// overloads), the non-commuting 2D encoding (posenc::quaternion_rope2d, in the library), and the
// non-reversible 2D encoding (a posenc::rope2d_mixed, built by non_reversible_mixed below).
#pragma once

#include <posenc/encodings/complex.hpp>
#include <posenc/encodings/complex_embedding.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/encodings/rope2d.hpp>
#include <posenc/encodings/sinusoidal.hpp>
#include <posenc/math/constants.hpp>
#include <posenc/math/sqrt.hpp>
#include <posenc/math/trig.hpp>

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

namespace posenc_test {

/// R_{-m} instead of R_m: the wrong sign. Imitates a rotate_half that returns (x2, -x1) instead of
/// (-x2, x1) (or sin negated when porting between layouts). Still orthogonal and still relative to
/// itself (R_{-m}^T R_{-n} = R_{m-n}), but not to the intended encoding.
template <posenc::Real T>
class negated_rotation {
public:
    using value_type = T;

    constexpr explicit negated_rotation(posenc::rope<T> r) : rope_(std::move(r)) {}

    [[nodiscard]] constexpr int head_dim() const { return rope_.head_dim(); }
    constexpr void apply(std::span<const T> x, const T& m, std::span<T> out) const { rope_.apply(x, T(-m), out); }
    constexpr void matrix(const T& m, std::span<T> out) const { rope_.matrix(T(-m), out); }

private:
    posenc::rope<T> rope_;
};

/// a R_m: an attention factor folded into the rotation. Imitates HF's YaRN/LongRoPE code path, which
/// multiplies cos and sin by attention_factor, read as if it were still a pure rotation: it scales
/// both q and k, so norms grow by a and inner products by a^2.
template <posenc::Real T>
class scaled_rotation {
public:
    using value_type = T;

    constexpr scaled_rotation(posenc::rope<T> r, const T& a) : rope_(std::move(r)), a_(a) {}

    [[nodiscard]] constexpr int head_dim() const { return rope_.head_dim(); }
    [[nodiscard]] constexpr const posenc::rope<T>& rope() const { return rope_; }

    constexpr void apply(std::span<const T> x, const T& m, std::span<T> out) const {
        rope_.apply(x, m, out);
        for (T& v : out) v = a_ * v;
    }
    constexpr void matrix(const T& m, std::span<T> out) const {
        rope_.matrix(m, out);
        for (T& v : out) v = a_ * v;
    }

private:
    posenc::rope<T> rope_;
    T a_;
};

/// R_m built with the frequencies of a dynamic-NTK RoPE whose sequence length is the position itself
/// (seq_len = |m| + 1). Imitates dynamic NTK scaling recomputed per step with a KV cache: keys
/// rotated with the base of a short sequence meet queries rotated with the base of a longer one, so
/// <R_m q, R_n k> depends on m and n, not only on n - m. Positions must be integers.
template <posenc::Real T>
class position_dependent_rope {
public:
    using value_type = T;

    /// params: a dynamic configuration (variant dynamic, max_position_embeddings > 0); seq_len is
    /// replaced at every call.
    constexpr explicit position_dependent_rope(posenc::rope_params<T> params) : params_(std::move(params)) {}

    [[nodiscard]] constexpr int head_dim() const { return params_.head_dim; }

    constexpr void apply(std::span<const T> x, const T& m, std::span<T> out) const { at(m).apply(x, m, out); }
    constexpr void matrix(const T& m, std::span<T> out) const { at(m).matrix(m, out); }

private:
    [[nodiscard]] constexpr posenc::rope<T> at(const T& m) const {
        posenc::rope_params<T> p = params_;
        const long long a = static_cast<long long>(m < T(0) ? T(-m) : m);
        p.seq_len = static_cast<long>(a + 1);
        return posenc::rope<T>(p);
    }

    posenc::rope_params<T> params_;
};

/// x + p_m: Vaswani et al.'s additive scheme (§3.5: positions are added to the word embeddings),
/// wrapped as a PositionalMap, as if it were a drop-in replacement for a rotary encoding. Its inner
/// products have the cross terms x . p_n + p_m . y and, for Gaussian x, y, the mean p_m . p_n != 0.
template <posenc::Real T>
class additive_positions {
public:
    using value_type = T;

    constexpr explicit additive_positions(posenc::sinusoidal<T> s) : s_(std::move(s)) {}

    [[nodiscard]] constexpr int head_dim() const { return s_.dim(); }

    constexpr void apply(std::span<const T> x, const T& m, std::span<T> out) const {
        std::vector<T> p(x.size(), T(0));
        s_.encode(m, std::span<T>(p));
        for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i] + p[i];
    }

private:
    posenc::sinusoidal<T> s_;
};

/// (1 + delta) p_k: the sinusoidal entries amplified. Imitates a scale meant for the word
/// embeddings (Vaswani et al. §3.4 multiply them by sqrt(d_model)) leaking into the position
/// vectors, here by a factor 1 + delta. Entries leave [-1, 1] and ||p_k||^2 != d/2; relativity and
/// the offset operator are unaffected (both sides scale alike).
template <posenc::Real T>
class amplified_sinusoidal {
public:
    using value_type = T;

    constexpr amplified_sinusoidal(posenc::sinusoidal<T> s, const T& delta) : s_(std::move(s)), factor_(T(1) + delta) {}

    [[nodiscard]] constexpr int dim() const { return s_.dim(); }

    constexpr void encode(T k, std::span<T> out) const {
        s_.encode(k, out);
        for (T& v : out) v = factor_ * v;
    }
    constexpr void offset_operator(T k, std::span<T> out) const { s_.offset_operator(k, out); }

private:
    posenc::sinusoidal<T> s_;
    T factor_;
};

/// The sinusoidal encoding with the textbook counter-clockwise block [[c, -s], [s, c]] as its offset
/// operator: the wrong sign for Vaswani's (sin, cos) pair order, where advancing k positions is the
/// transpose [[c, s], [-s, c]] (see posenc/encodings/sinusoidal.hpp). Imitates copying the rotation
/// matrix of RoPE's (x, y) pairs onto the (sin, cos) pairs.
template <posenc::Real T>
class wrong_sign_offset_sinusoidal {
public:
    using value_type = T;

    constexpr explicit wrong_sign_offset_sinusoidal(posenc::sinusoidal<T> s) : s_(std::move(s)) {}

    [[nodiscard]] constexpr int dim() const { return s_.dim(); }
    constexpr void encode(T k, std::span<T> out) const { s_.encode(k, out); }

    constexpr void offset_operator(T k, std::span<T> out) const {
        s_.offset_operator(k, out);  // [[c, s], [-s, c]] per block
        const std::size_t n = static_cast<std::size_t>(s_.dim());
        for (std::size_t a = 0; a < n; a += 2) {
            const T upper = out[a * n + a + 1];
            out[a * n + a + 1] = out[(a + 1) * n + a];
            out[(a + 1) * n + a] = upper;
        }
    }

private:
    posenc::sinusoidal<T> s_;
};

/// The sinusoidal encoding with entry j using frequency base^(-j/d) instead of base^(-2 floor(j/2)/d):
/// the sine and the cosine of a pair no longer share a frequency. Imitates the transcription
/// `div_term = base ** (arange(d) / d)` of Vaswani §3.5 (2i read as the entry index). p_m . p_n then
/// contains cos((m + n) theta) terms, so it is not a function of m - n, and ||p_k||^2 != d/2.
/// offset_operator is the block operator built from the sine frequencies (what the transcriber
/// would write for M_k).
template <posenc::Real T>
class skewed_sinusoidal {
public:
    using value_type = T;

    /// From the correct encoding's frequencies: base^(-2i/d) for entry 2i, and
    /// base^(-(2i+1)/d) = base^(-2i/d) sqrt(base^(-2/d)) for entry 2i + 1.
    constexpr explicit skewed_sinusoidal(const posenc::sinusoidal<T>& s) : dim_(s.dim()) {
        const T half_step = s.dim() > 2 ? posenc::math::sqrt(s.theta(1)) : T(1);
        for (int j = 0; j < dim_; ++j) freq_.push_back(j % 2 == 0 ? s.theta(j / 2) : T(s.theta(j / 2) * half_step));
    }

    [[nodiscard]] constexpr int dim() const { return dim_; }

    constexpr void encode(T k, std::span<T> out) const {
        for (std::size_t j = 0; j < freq_.size(); ++j) {
            const posenc::math::sincos_result<T> sc = posenc::math::sincos(T(k * freq_[j]));
            out[j] = j % 2 == 0 ? sc.sin : sc.cos;
        }
    }

    constexpr void offset_operator(T k, std::span<T> out) const {
        const std::size_t n = freq_.size();
        for (T& v : out) v = T(0);
        for (std::size_t a = 0; a < n; a += 2) {
            const posenc::math::sincos_result<T> sc = posenc::math::sincos(T(k * freq_[a]));
            out[a * n + a] = sc.cos;
            out[a * n + a + 1] = sc.sin;
            out[(a + 1) * n + a] = T(-sc.sin);
            out[(a + 1) * n + a + 1] = sc.cos;
        }
    }

private:
    int dim_;
    std::vector<T> freq_{};
};

/// g_k(pos) = r_k rho^pos e^{i(omega_k pos + phi_k)} with rho > 1: a complex embedding whose
/// amplitude grows with the position. Imitates a learned amplitude parameterised as z_1^pos with
/// |z_1| left unconstrained (Wang et al. 2020, Claim 1 needs |z_1| <= 1). By default the witness is
/// still the unit-modulus e^{i omega_k n} the code was written for, so Property 1 with that witness
/// fails as well as Property 2; with honest_witness = true the witness is rho^n e^{i omega_k n}, and
/// the embedding is linearly witnessed but unbounded (Claim 1: bounded and witnessed forces
/// |z_1| <= 1).
template <posenc::Real T>
class growing_complex_embedding {
public:
    using value_type = T;

    constexpr growing_complex_embedding(posenc::complex_embedding<T> g, const T& rho, bool honest_witness = false)
        : g_(std::move(g)), rho_(rho), honest_(honest_witness) {}

    [[nodiscard]] constexpr int dim() const { return g_.dim(); }
    /// The nominal amplitudes r_k (what the embedding claims to be bounded by).
    [[nodiscard]] constexpr const std::vector<T>& amplitude() const { return g_.amplitude(); }

    /// pos and n: integers (rho^pos by repeated squaring).
    constexpr void value(T pos, std::span<posenc::cplx<T>> out) const {
        g_.value(pos, out);
        const T growth = power(pos);
        for (posenc::cplx<T>& z : out) z = growth * z;
    }

    constexpr void witness(T n, std::span<posenc::cplx<T>> out) const {
        g_.witness(n, out);
        if (!honest_) return;
        const T growth = power(n);
        for (posenc::cplx<T>& z : out) z = growth * z;
    }

private:
    [[nodiscard]] constexpr T power(const T& e) const {
        long long k = static_cast<long long>(e);
        const bool invert = k < 0;
        if (invert) k = -k;
        T result = T(1);
        T base = rho_;
        for (; k != 0; k /= 2) {
            if (k % 2 != 0) result = result * base;
            base = base * base;
        }
        return invert ? T(T(1) / result) : result;
    }

    posenc::complex_embedding<T> g_;
    T rho_;
    bool honest_;
};

/// A 2D RoPE (head_dim 8) whose x frequencies are 2 pi / 4 and 2 pi / 2 (pairs 0 and 1) and whose y
/// frequencies are 1 and 1/10 (pairs 2 and 3): the x rotations have periods 4 and 2, so on a grid
/// 5 or more wide the points (x, y) and (x + 4, y) get the same rotation (up to the rounding of pi).
/// Imitates frequencies chosen as 2 pi k / W, e.g. positions normalised by the grid size and
/// multiplied by 2 pi, which wraps around: relative, but not reversible.
template <posenc::Real T>
[[nodiscard]] constexpr posenc::rope2d_mixed<T> non_reversible_mixed() {
    const T pi = posenc::math::pi<T>();
    std::vector<T> tx{T(pi / T(2)), pi, T(0), T(0)};
    std::vector<T> ty{T(0), T(0), T(1), T(T(1) / T(10))};
    return posenc::rope2d_mixed<T>(std::move(tx), std::move(ty));
}

}  // namespace posenc_test
