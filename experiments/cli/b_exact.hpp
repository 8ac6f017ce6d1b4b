// The 50-digit side of `posenc context` and `posenc min-base` (context.cpp): B_{m,theta} at the m
// where the double scan cannot decide the sign, and the frequencies it is evaluated from.
//
// Big is the number type: reference_50 (work_type.hpp: MPFR at 168 bits, whose pow and cos are
// correctly rounded) in the tool, cpp_bin_float_50 (Boost's own pow and cos, the tool's former type)
// as the cross-check in tests/test_work_type.cpp. Error, u = 2^-168, base b <= 10^12, N = dim/2 <=
// 2^15 pairs, 0 <= m < 2^24: the exponent -2i/dim rounded (u relative, |ln b| < 28) and pow within a
// few u put theta_i within 31 u < 2^-163 relative; m theta_i rounded (u) is then within 2^-139 of m
// times the exact theta_i (theta_i <= 1), so each cosine is within 2^-139 + u, and the sum in order
// (eq. 9) of N cosines within N 2^-139 + N^2 u < 2^-123 < 1e-36 of the exact B (the angle term grows
// with m beyond 2^24). A sign is decided wrongly only if |B| is below that.
#pragma once

#include <boost/multiprecision/cpp_bin_float.hpp>

#include <posenc/analysis/b_sum.hpp>

#include <vector>

namespace posenc_cli {

/// B_{m,theta} = sum_i cos(m theta_i) (Men et al. 2024, eq. 9) by posenc::analysis's sum of Big's
/// cosines of m theta_i rounded to Big.
template <class Big>
[[nodiscard]] Big b_exact(const std::vector<Big>& theta, long long m) {
    using std::cos;
    const Big mt = Big(m);
    std::vector<Big> c;
    c.reserve(theta.size());
    for (const Big& t : theta) c.push_back(Big(cos(Big(mt * t))));
    Big value = 0;
    posenc::analysis::b_sum_rows<1>(c.data(), c.size(), &value);
    return value;
}

/// theta_i = base^(-2i/dim), i < dim/2, by Big's pow of the exponent -2i/dim rounded to Big.
template <class Big>
[[nodiscard]] std::vector<Big> standard_theta(const Big& base, int dim) {
    using std::pow;
    std::vector<Big> t;
    for (int i = 0; i < dim / 2; ++i) t.push_back(Big(pow(base, Big(Big(-2 * i) / Big(dim)))));
    return t;
}

}  // namespace posenc_cli
