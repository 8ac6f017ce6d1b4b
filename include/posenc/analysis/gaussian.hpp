// posenc/analysis/gaussian.hpp: the Gaussian query/key experiment of `posenc decay --quantity
// gaussian` and posenc.decay(quantity="gaussian"): the mean and standard deviation over seeded draws
// of <R_m q, R_{m+r} k> = Re sum_j h_j e^{-i r w_j} + (unrotated tail q . k), h_j = q_j conj(k_j),
// with q ~ N(0, I) and either k ~ N(0, I) independent (Barbero et al. 2024, Prop. 3.2: mean 0 at
// every r) or k = q + noise_std * eps (Men et al. 2024, Theorem 1: mean 2 B_r + tail).
//
// The draws come from posenc::gaussian_source (properties/common.hpp) seeded with `seed`: q first,
// then k, per sample; pair j is the complex number x_{2j} + i x_{2j+1} (any fixed pairing gives the
// same law). They are drawn once and shared by every distance (common random numbers). The moments
// are Welford's (1962, Technometrics 4(3)) running mean and sum of squared deviations.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "../concepts.hpp"
#include "../math/sqrt.hpp"
#include "../properties/common.hpp"
#include "phases.hpp"

namespace posenc::analysis {

/// The draws as complex pair values h_j = q_j conj(k_j) (samples x pairs) and the tails q . k.
template <class T>
struct gaussian_samples {
    std::vector<T> h_re;
    std::vector<T> h_im;
    std::vector<T> tail;
};

/// `samples` seeded draws of (q, k) of n_pairs rotated pairs and tail_dims unrotated dimensions;
/// k = q + noise * eps when `correlated`, else independent. `before_sample(i)` is called before
/// draw i (a caller's interruption check; it may throw).
template <Real T, class BeforeSample>
gaussian_samples<T> draw_gaussian_samples(std::uint64_t seed, std::size_t samples, std::size_t n_pairs,
                                          std::size_t tail_dims, bool correlated, const T& noise,
                                          BeforeSample&& before_sample) {
    posenc::gaussian_source<T> g(seed);
    const std::size_t hd = 2 * n_pairs + tail_dims;
    gaussian_samples<T> s;
    s.h_re.resize(samples * n_pairs);
    s.h_im.resize(samples * n_pairs);
    s.tail.resize(samples);
    std::vector<T> q(hd), k(hd);
    for (std::size_t i = 0; i < samples; ++i) {
        before_sample(i);
        for (auto& v : q) v = g.next();
        for (std::size_t d = 0; d < hd; ++d) k[d] = correlated ? T(q[d] + noise * g.next()) : g.next();
        for (std::size_t j = 0; j < n_pairs; ++j) {
            const T qa = q[2 * j], qb = q[2 * j + 1], ka = k[2 * j], kb = k[2 * j + 1];
            s.h_re[i * n_pairs + j] = qa * ka + qb * kb;  // Re q conj(k)
            s.h_im[i * n_pairs + j] = qb * ka - qa * kb;  // Im q conj(k)
        }
        T t = T(0);
        for (std::size_t d = 2 * n_pairs; d < hd; ++d) t = t + q[d] * k[d];
        s.tail[i] = t;
    }
    return s;
}

/// Row k of a phase block: the mean and the standard deviation (n - 1 in the denominator) over the
/// draws of Re sum_j h_j z_{k,j} + tail.
template <Real T>
void gaussian_moments(const gaussian_samples<T>& gs, const phase_block<T>& z, std::size_t k, T& mean, T& sd) {
    const std::size_t n = z.pairs();
    const std::size_t ns = gs.tail.size();
    T m = T(0), m2 = T(0);
    for (std::size_t s = 0; s < ns; ++s) {
        const T* hr = &gs.h_re[s * n];
        const T* hi = &gs.h_im[s * n];
        T x = gs.tail[s];
        for (std::size_t j = 0; j < n; ++j) x = x + (hr[j] * z.re(k, j) + hi[j] * z.im(k, j));
        const T delta = x - m;
        m = m + delta / T(static_cast<long long>(s + 1));
        m2 = m2 + delta * T(x - m);
    }
    mean = m;
    const T var = m2 / T(static_cast<long long>(ns - 1));
    if constexpr (detail::is_native_float<T>) {
        sd = std::sqrt(var);
    } else {
        sd = math::sqrt(var);
    }
}

}  // namespace posenc::analysis
