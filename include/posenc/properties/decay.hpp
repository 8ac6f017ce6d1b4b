// posenc/properties/decay.hpp: long-range decay of RoPE attention, and its caveats, as predicates.
// The quantities they rest on (S_j, RoFormer's Figure 2 curve, Men et al.'s B and its first negative
// m) are computed once, in posenc/analysis/ (namespace posenc::analysis).
//
// Statements:
//  - RoFormer §3.4.3, eqs. 35-37 (Abel summation). With pairs i < N = rotary_dim/2, h_i = q_i conj(k_i)
//    (pair i read as the complex number x_a + i x_b), r = m - n and S_j = sum_{i<j} e^{i r theta_i}:
//      sum_i h_i e^{i r theta_i} = sum_{j=1}^{N} S_j (h_{j-1} - h_j)   (S_0 = 0, h_N = 0),
//    so |<R_m q, R_n k>| <= (max_j |h_{j-1} - h_j|) sum_{j=1}^{N} |S_j|. The "relative upper bound"
//    plotted in the paper's Figure 2 is (1/N) sum_{j=1}^{N} |S_j|; at r = 0 it is (N + 1)/2.
//  - The bound is attained: choosing h_{j-1} - h_j = delta conj(S_j)/|S_j| makes every term of the
//    Abel sum real and positive (`roformer_extremal_pair`). This is what lets a test see an
//    encoding that breaks the bound (a scaled rotation, for example), instead of a bound that holds
//    with room to spare for anything.
//  - Men et al. 2024 ("Base of RoPE Bounds Context Length", arXiv 2405.14591, eq. 9-10):
//    B_{m,theta} = sum_i cos(m theta_i); context length L_theta = sup{L : B_{m,theta} >= 0, 0 <= m <= L}.
//  - Barbero et al. 2024 ("Round and Round We Go!", Prop. 3.2): for independent q, k ~ N(0, I),
//    E[<R_m q, R_n k>] = 0 for every m, n: RoPE does not decay in expectation, only its bound does.
//    For k = q + sigma eps (Men et al. §4, Theorem 1) E[<R_m q, R_n k>] = E[q^T R_m^T R_n q] =
//    tr(R_{n-m}) = (head_dim - 2N) + 2 B_{n-m,theta}, which does decay like B. Both are checked as
//    statistical predicates: the sample mean over `samples` seeded Gaussian draws must lie within
//    z standard errors of the claimed expectation (z = 5: a false rejection has probability about
//    6e-7 under the normal approximation; the seed makes each call deterministic).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "../analysis/b_sum.hpp"
#include "../analysis/roformer.hpp"
#include "../encodings/complex.hpp"
#include "../encodings/rope.hpp"
#include "../math/double_t.hpp"
#include "common.hpp"
#include "relative.hpp"

namespace posenc {

/// Men et al. eq. 10 as a predicate: B_{m,theta} >= 0 for every integer m in [0, last] (B by
/// analysis::b_sum).
template <Real T>
[[nodiscard]] constexpr bool b_sum_nonnegative_through(std::span<const T> theta, long long last) {
    POSENC_REQUIRE(last >= 0, "last", "an integer >= 0");
    for (long long m = 0; m <= last; ++m) {
        if (!(analysis::b_sum(theta, T(m)) >= T(0))) return false;
    }
    return true;
}

/// q and k (head_dim elements, laid out by e.pair_indices) for which the RoFormer bound at
/// r = m - n holds with equality: k has every pair equal to 1 + 0i, q has pairs h_i with h_N = 0 and
/// h_{j-1} = h_j + conj(S_j)/|S_j| (delta = 1), dimensions past rotary_dim zero.
template <Real T>
struct query_key {
    std::vector<T> q;
    std::vector<T> k;
};

template <Real T>
[[nodiscard]] constexpr query_key<T> roformer_extremal_pair(const rope<T>& e, const T& r) {
    const std::vector<cplx<T>> s = analysis::abel_partial_sums(std::span<const T>(e.inv_freq()), r);
    const std::size_t hd = static_cast<std::size_t>(e.head_dim());
    query_key<T> out{std::vector<T>(hd, T(0)), std::vector<T>(hd, T(0))};
    cplx<T> h{T(0), T(0)};  // h_N
    for (int j = e.pairs(); j >= 1; --j) {
        const cplx<T>& sj = s[static_cast<std::size_t>(j - 1)];
        const T mag = abs(sj);
        const cplx<T> step = mag > T(0) ? cplx<T>{sj.re / mag, T(-sj.im / mag)} : cplx<T>{T(1), T(0)};
        h = h + step;  // h_{j-1}
        const pair_index pi = e.pair_indices(j - 1);
        out.q[static_cast<std::size_t>(pi.a)] = h.re;
        out.q[static_cast<std::size_t>(pi.b)] = h.im;
        out.k[static_cast<std::size_t>(pi.a)] = T(1);
    }
    return out;
}

/// RoFormer eq. 37 for the tested encoding against the frequencies and pairs of `intended`:
/// |<R_m q, R_n k>| <= (max_j |h_{j-1} - h_j|) sum_j |S_j| + |sum_{d >= rotary_dim} q_d k_d| +
/// tol ||q|| ||k||, the left side from tested.apply, the right side from intended's inv_freq and
/// pair_indices (the last term is the unrotated tail of a partial rotary head).
template <PositionalMap E, Real T = value_type_of<E>>
[[nodiscard]] constexpr bool roformer_abel_bound(const E& tested, const rope<T>& intended, std::span<const T> q,
                                                 std::span<const T> k, const T& m, const T& n, const T& tol) {
    const std::size_t hd = static_cast<std::size_t>(intended.head_dim());
    POSENC_REQUIRE(q.size() == hd && k.size() == hd, "q", "q and k of head_dim elements");
    POSENC_REQUIRE(static_cast<std::size_t>(tested.head_dim()) == hd, "tested", "an encoding of the same head_dim");
    std::vector<T> rq(hd, T(0)), rk(hd, T(0));
    tested.apply(q, m, std::span<T>(rq));
    tested.apply(k, n, std::span<T>(rk));
    const T lhs = math::abs(detail::dot(std::span<const T>(rq), std::span<const T>(rk)));

    const std::vector<cplx<T>> s = analysis::abel_partial_sums(std::span<const T>(intended.inv_freq()), T(m - n));
    T max_step = T(0);
    T sum_s = T(0);
    cplx<T> next{T(0), T(0)};  // h_N = 0
    for (int j = intended.pairs(); j >= 1; --j) {
        const pair_index pi = intended.pair_indices(j - 1);
        const cplx<T> qi{q[static_cast<std::size_t>(pi.a)], q[static_cast<std::size_t>(pi.b)]};
        const cplx<T> ki{k[static_cast<std::size_t>(pi.a)], k[static_cast<std::size_t>(pi.b)]};
        const cplx<T> h = qi * conj(ki);  // h_{j-1}
        const T step = abs(h - next);
        if (step > max_step) max_step = step;
        sum_s = sum_s + abs(s[static_cast<std::size_t>(j - 1)]);
        next = h;
    }
    T tail = T(0);
    for (std::size_t d = static_cast<std::size_t>(intended.rotary_dim()); d < hd; ++d) tail = tail + q[d] * k[d];
    const T rhs = max_step * sum_s + math::abs(tail) + tol * detail::norm(q) * detail::norm(k);
    return lhs <= rhs;
}

/// RoFormer eq. 37 for a RoPE against its own frequencies.
template <Real T>
[[nodiscard]] constexpr bool roformer_abel_bound(const rope<T>& e, std::span<const T> q, std::span<const T> k,
                                                 const T& m, const T& n, const T& tol) {
    return roformer_abel_bound(e, e, q, k, m, n, tol);
}

/// Sample mean and standard deviation of <f(q, m), f(k, n)> over `samples` draws with
/// q ~ N(0, I) and k = correlation q + eps, eps ~ N(0, I) (correlation 0: independent; Men et al.
/// use k = q + noise). One seeded stream draws q then eps, sample by sample.
template <Real T>
struct sample_stats {
    T mean;
    T sd;
    long long samples;
};

template <PositionalMap E, Real T = value_type_of<E>>
[[nodiscard]] constexpr sample_stats<T> gaussian_inner_products(const E& e, const T& m, const T& n, const T& correlation,
                                                                long long samples, std::uint64_t seed) {
    POSENC_REQUIRE(samples >= 2, "samples", "an integer >= 2");
    const std::size_t hd = static_cast<std::size_t>(e.head_dim());
    gaussian_source<T> g(seed);
    std::vector<T> q(hd, T(0)), k(hd, T(0)), rq(hd, T(0)), rk(hd, T(0));
    // Welford's running mean and variance (Welford 1962, Technometrics 4(3)).
    T mean = T(0);
    T m2 = T(0);
    for (long long s = 1; s <= samples; ++s) {
        for (std::size_t i = 0; i < hd; ++i) q[i] = g.next();
        for (std::size_t i = 0; i < hd; ++i) k[i] = correlation * q[i] + g.next();
        e.apply(std::span<const T>(q), m, std::span<T>(rq));
        e.apply(std::span<const T>(k), n, std::span<T>(rk));
        const T x = detail::dot(std::span<const T>(rq), std::span<const T>(rk));
        const T delta = x - mean;
        mean = mean + delta / T(s);
        m2 = m2 + delta * T(x - mean);
    }
    return {mean, math::sqrt(T(m2 / T(samples - 1))), samples};
}

/// Barbero et al. Prop. 3.2 as a statistical predicate: for independent Gaussian q, k the sample
/// mean of <f(q, m), f(k, n)> is within z standard errors of 0.
template <PositionalMap E, Real T = value_type_of<E>>
[[nodiscard]] constexpr bool gaussian_zero_mean(const E& e, const T& m, const T& n, long long samples,
                                                std::uint64_t seed, const T& z) {
    const sample_stats<T> st = gaussian_inner_products(e, m, n, T(0), samples, seed);
    return math::abs(st.mean) <= z * st.sd / math::sqrt(T(samples));
}

/// Men et al. Theorem 1 setting: for k = q + eps the sample mean of <f(q, m), f(k, n)> is within z
/// standard errors of tr(R_{n-m}) of `intended` (= unrotated dims + 2 B_{n-m,theta} for a RoPE).
template <PositionalMap E, RotaryEncoding F, Real T = value_type_of<E>>
[[nodiscard]] constexpr bool gaussian_correlated_mean(const E& tested, const F& intended, const T& m, const T& n,
                                                      long long samples, std::uint64_t seed, const T& z) {
    const auto r = detail::rotation_matrix(intended, T(n - m));
    T trace = T(0);
    for (std::size_t i = 0; i < r.n; ++i) trace = trace + r(i, i);
    const sample_stats<T> st = gaussian_inner_products(tested, m, n, T(1), samples, seed);
    return math::abs(T(st.mean - trace)) <= z * st.sd / math::sqrt(T(samples));
}

}  // namespace posenc
