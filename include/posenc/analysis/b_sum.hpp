// posenc/analysis/b_sum.hpp: Men et al. 2024 ("Base of RoPE Bounds Context Length", arXiv
// 2405.14591), eqs. 9-10:
//     B_{m,theta} = sum_i cos(m theta_i)                                              (eq. 9)
//     L_theta = sup{L : B_{m,theta} >= 0 for every integer m in [0, L]}              (eq. 10)
// i.e. L_theta = (the first integer m >= 0 with B_{m,theta} < 0) - 1.
//
// B is written once, in b_sum_rows, for W distances at a time from their unit phases: W = 1 for the
// constexpr b_sum (cosines of the exact products m theta_i by math::sincos), W = phase_block::tile
// for the batched overload over a phase_block (phases.hpp). Every row sums its pairs in order.
//
// The first negative B:
//   first_negative_b       constexpr, any T: B at T for m = 0, 1, ... (the reference).
//   first_negative_b_scan  run time, double: B over blocks of 256 consecutive m from phase_blocks
//                          (one exact phase per block and pair, the others by exact unit rotations),
//                          and every m where that fast value is below b_scan_recheck_threshold is
//                          decided by a caller-supplied exact sign (at 50 digits in `posenc context`).
//                          The fast value's error, against B of the exact frequencies, is below
//                              2u (|m| sum_i theta_i + 116 N + N (N + 1)/4),   u = 2^-53:
//                          the frequencies within 1 ulp (angles off by 2u |m| theta_i), each phase
//                          within 2 eps of an exact one plus 38 complex products of 3 eps (phases.hpp),
//                          the running sum rounding u times each partial sum (at most N). The
//                          threshold is the larger of that bound and 1e-7 max(1, m / 2^24) (for
//                          N = 64 and base 10^4 the bound is 3e-8 at m = 2^24, so the threshold is
//                          the latter), so no negative B is missed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "../concepts.hpp"
#include "../encodings/error.hpp"
#include "../encodings/rope.hpp"
#include "../math/double_t.hpp"
#include "phases.hpp"

namespace posenc::analysis {

/// B for W rows at once from the real parts of their phases, pair-major: zr[j W + u] =
/// cos(r_u theta_j); value[u] receives B_{r_u} = sum_j zr[j W + u], summed in order j = 0, 1, ...
template <std::size_t W, Real T>
constexpr void b_sum_rows(const T* zr, std::size_t n, T* value) {
    T acc[W];
    for (std::size_t u = 0; u < W; ++u) acc[u] = T(0);
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t u = 0; u < W; ++u) acc[u] = acc[u] + zr[j * W + u];
    }
    for (std::size_t u = 0; u < W; ++u) value[u] = acc[u];
}

/// Eq. 9: B_{m,theta} = sum_i cos(m theta_i), each m theta_i formed exactly.
template <Real T>
[[nodiscard]] constexpr T b_sum(std::span<const T> theta, const T& m) {
    std::vector<T> c;
    c.reserve(theta.size());
    for (const T& t : theta) c.push_back(math::sincos(math::two_prod(m, t)).cos);
    T value = T(0);
    b_sum_rows<1>(c.data(), c.size(), &value);
    return value;
}

template <Real T>
[[nodiscard]] constexpr T b_sum(const rope<T>& e, const T& m) {
    return b_sum(std::span<const T>(e.inv_freq()), m);
}

/// Batched eq. 9: value[k] = B_{r_k} for the rows [k0, k1) of a filled phase_block (value needs
/// block.tiles() * tile elements; the tiles [k0, k1) touches are written, padding included).
template <Real T>
void b_sum(const phase_block<T>& block, std::size_t k0, std::size_t k1, std::span<T> value) {
    constexpr std::size_t W = phase_block<T>::tile;
    POSENC_REQUIRE(k0 <= k1 && k1 <= block.rows() && value.size() >= block.tiles() * W, "value",
                   "rows within the block and a tiles() * tile output");
    for (std::size_t b = k0 / W; b * W < k1; ++b) b_sum_rows<W>(block.tile_re(b), block.pairs(), &value[b * W]);
}

/// Eq. 10: the smallest integer m in [0, limit] with B_{m,theta} < 0, or -1 if there is none (the
/// context length is that m minus 1). B evaluated at T for every m.
template <Real T>
[[nodiscard]] constexpr long long first_negative_b(std::span<const T> theta, long long limit) {
    POSENC_REQUIRE(limit >= 0, "limit", "an integer >= 0");
    for (long long m = 0; m <= limit; ++m) {
        if (b_sum(theta, T(m)) < T(0)) return m;
    }
    return -1;
}

/// The fast value of B at m below which first_negative_b_scan asks for the exact sign, for N
/// frequencies summing to theta_sum: max(1e-7 max(1, |m| / 2^24), 2u (|m| theta_sum + 116 N +
/// N (N + 1)/4)) (see the file comment).
[[nodiscard]] inline double b_scan_recheck_threshold(long long m, double theta_sum, std::size_t n) {
    const double am = std::fabs(static_cast<double>(m));
    const double nd = static_cast<double>(n);
    const double bound = 0x1p-52 * (am * theta_sum + 116 * nd + nd * (nd + 1) / 4);
    return std::max(1e-7 * std::max(1.0, am / 16777216.0), bound);
}

/// Eq. 10 fast (see the file comment): the smallest m in [0, limit] with B_{m,theta} < 0, or -1.
/// negative_exactly(m) returns whether B_m < 0 for the exact frequencies; it is called only where
/// the double value is below b_scan_recheck_threshold. between_blocks() is called before each
/// block of 256 m (to poll for an interruption, say; it may throw).
template <class NegativeExactly, class BetweenBlocks>
[[nodiscard]] long long first_negative_b_scan(std::span<const double> theta, long long limit,
                                              NegativeExactly&& negative_exactly, BetweenBlocks&& between_blocks) {
    POSENC_REQUIRE(limit >= 0, "limit", "an integer >= 0");
    constexpr auto rows = static_cast<long long>(phase_block<double>::max_rows);
    std::vector<math::dd<double>> w;
    double theta_sum = 0;
    for (const double t : theta) {
        w.push_back({t, 0.0});
        theta_sum += std::fabs(t);
    }
    phase_block<double> block;
    std::vector<long long> m(phase_block<double>::max_rows);
    std::vector<double> b(phase_block<double>::max_rows);
    for (long long m0 = 0; m0 <= limit; m0 += rows) {
        between_blocks();
        const auto count = static_cast<std::size_t>(std::min(rows, limit - m0 + 1));
        for (std::size_t k = 0; k < count; ++k) m[k] = m0 + static_cast<long long>(k);
        block.fill(w, std::span<const long long>(m.data(), count));
        b_sum(block, 0, count, std::span<double>(b));
        for (std::size_t k = 0; k < count; ++k) {
            if (b[k] < b_scan_recheck_threshold(m[k], theta_sum, theta.size()) && negative_exactly(m[k])) return m[k];
        }
    }
    return -1;
}

}  // namespace posenc::analysis
