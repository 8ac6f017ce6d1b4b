// posenc/analysis/roformer.hpp: RoFormer's long-term decay bound (Su et al. 2021, "RoFormer",
// arXiv 2104.09864, §3.4.3, eqs. 35-37 and Figure 2).
//
// With N pairs of frequencies theta_i, distance r = m - n and S_j = sum_{i<j} e^{i r theta_i}
// (eq. 36, S_0 = 0), Abel summation gives |<R_m q, R_n k>| <= (max_j |h_{j-1} - h_j|) sum_{j=1}^{N}
// |S_j| (eq. 37); the "relative upper bound" the paper plots in Figure 2 is
//     V(r) = (1/N) sum_{j=1}^{N} |S_j|,           V(0) = (N + 1)/2.
// Written once, in roformer_bound_rows, for W distances at a time from their unit phases: W = 1 for
// the constexpr roformer_relative_bound (phases by math::sincos of the exact product r theta_i), W =
// phase_block::tile for the batched overload over a phase_block (phases.hpp), which vectorises
// across rows. Every row sums its pairs in order j = 1, ..., N, so a value does not depend on W.
// |S_j| is sqrt(re^2 + im^2), correctly rounded square root (|S_j| <= N: no overflow).
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

#include "../concepts.hpp"
#include "../encodings/complex.hpp"
#include "../encodings/error.hpp"
#include "../encodings/rope.hpp"
#include "../math/double_t.hpp"
#include "../math/sqrt.hpp"
#include "phases.hpp"

namespace posenc::analysis {

namespace detail {

/// sqrt(re^2 + im^2), the square root correctly rounded (the C library's for float, double and
/// long double at run time: the same bits as math::sqrt, and it vectorises).
template <Real T>
[[nodiscard]] constexpr T modulus(const T& re, const T& im) {
    const T s = re * re + im * im;
    if constexpr (is_native_float<T>) {
        if (!std::is_constant_evaluated()) return std::sqrt(s);
    }
    return math::sqrt(s);
}

}  // namespace detail

/// S_1 .. S_N, S_j = sum_{i<j} e^{i r theta_i} (eq. 36), each angle r theta_i formed exactly
/// (TwoProduct) before its sine and cosine.
template <Real T>
[[nodiscard]] constexpr std::vector<cplx<T>> abel_partial_sums(std::span<const T> theta, const T& r) {
    std::vector<cplx<T>> s;
    s.reserve(theta.size());
    cplx<T> acc{T(0), T(0)};
    for (const T& t : theta) {
        const math::sincos_result<T> sc = math::sincos(math::two_prod(r, t));
        acc = acc + cplx<T>{sc.cos, sc.sin};
        s.push_back(acc);
    }
    return s;
}

/// V = (1/N) sum_{j=1}^{N} |S_j| for W rows at once from their phases, pair-major: zr[j W + u] +
/// i zi[j W + u] = e^{i r_u theta_j}; value[u] receives V(r_u).
template <std::size_t W, Real T>
constexpr void roformer_bound_rows(const T* zr, const T* zi, std::size_t n, T* value) {
    T sr[W], si[W], acc[W];
    for (std::size_t u = 0; u < W; ++u) sr[u] = si[u] = acc[u] = T(0);
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t u = 0; u < W; ++u) {
            sr[u] = sr[u] + zr[j * W + u];
            si[u] = si[u] + zi[j * W + u];
            acc[u] = acc[u] + detail::modulus(sr[u], si[u]);
        }
    }
    const T count = T(static_cast<long long>(n));
    for (std::size_t u = 0; u < W; ++u) value[u] = acc[u] / count;
}

/// Figure 2: V(r) for the frequencies theta (N = theta.size() > 0).
template <Real T>
[[nodiscard]] constexpr T roformer_relative_bound(std::span<const T> theta, const T& r) {
    POSENC_REQUIRE(!theta.empty(), "theta", "a nonempty list of frequencies");
    std::vector<T> zr, zi;
    for (const T& t : theta) {
        const math::sincos_result<T> sc = math::sincos(math::two_prod(r, t));
        zr.push_back(sc.cos);
        zi.push_back(sc.sin);
    }
    T value = T(0);
    roformer_bound_rows<1>(zr.data(), zi.data(), theta.size(), &value);
    return value;
}

/// The Figure 2 curve of a RoPE (its inv_freq, any scaling variant).
template <Real T>
[[nodiscard]] constexpr T roformer_relative_bound(const rope<T>& e, const T& r) {
    return roformer_relative_bound(std::span<const T>(e.inv_freq()), r);
}

/// Batched Figure 2: value[k] = V(r_k) for the rows [k0, k1) of a filled phase_block, computed a
/// tile at a time (value needs block.tiles() * tile elements; rows of the tiles that [k0, k1)
/// touches are written, padding included).
template <Real T>
void roformer_relative_bound(const phase_block<T>& block, std::size_t k0, std::size_t k1, std::span<T> value) {
    constexpr std::size_t W = phase_block<T>::tile;
    POSENC_REQUIRE(k0 <= k1 && k1 <= block.rows() && value.size() >= block.tiles() * W, "value",
                   "rows within the block and a tiles() * tile output");
    for (std::size_t b = k0 / W; b * W < k1; ++b) {
        roformer_bound_rows<W>(block.tile_re(b), block.tile_im(b), block.pairs(), &value[b * W]);
    }
}

}  // namespace posenc::analysis
