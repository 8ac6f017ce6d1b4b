// posenc/encodings/sinusoidal.hpp: the fixed sinusoidal position encoding of the Transformer.
//
// Source: Vaswani et al. 2017, "Attention Is All You Need" (NeurIPS), section 3.5:
//     PE(pos, 2i) = sin(pos / base^(2i/d)),   PE(pos, 2i+1) = cos(pos / base^(2i/d)),
// with d = dim (even) and base = 10000 in the paper. Here theta_i = base^(-2i/d), i = 0 .. d/2-1,
// and the encoding of position k is the vector p_k with p_{k,2i} = sin(k theta_i),
// p_{k,2i+1} = cos(k theta_i) (pairs are interleaved: (sin, cos) for pair i at (2i, 2i+1)).
//
// Relative structure (section 3.5: "for any fixed offset k, PE_{pos+k} can be represented as a
// linear function of PE_pos"): p_{m+k} = M_k p_m, where M_k is block diagonal with, for pair i,
// c = cos(k theta_i), s = sin(k theta_i) and the 2x2 block (rows/columns 2i, 2i+1)
//     [ p_{m+k,2i}   ]   [  c   s ] [ p_{m,2i}   ]      sin(a+b) =  cos b sin a + sin b cos a
//     [ p_{m+k,2i+1} ] = [ -s   c ] [ p_{m,2i+1} ]      cos(a+b) = -sin b sin a + cos b cos a
// Because each pair is ordered (sin, cos), i.e. (y, x) of the point e^{i m theta_i}, the block is the
// TRANSPOSE of the usual counter-clockwise rotation matrix [[c, -s], [s, c]]: in the (sin, cos)
// coordinates an advance of k positions is a clockwise rotation by k theta_i. M_k does not depend
// on m. Also p_m . p_n = sum_i cos((m - n) theta_i) (depends on m - n only) and |p_k|^2 = d/2.
//
// Numerics (all math through posenc::math, so everything is constexpr and works for multiprecision
// types):
//  - theta_i = exp(-(2i/d) ln base) with ln base, the product by -2i and the quotient by d carried
//    in double-T arithmetic (frequencies::default_theta, shared by every encoding)
//    and a single final rounding. Nothing is rounded to T before that rounding, not even the
//    exponent 2i/d (which is not a T value unless d is a power of two): theta_i is within 1 ulp
//    (the bound posenc::math documents for pow; 4 ulps for the multiprecision types). By contrast
//    pow(base, T(-2i)/T(d)) inherits |ln base| * ulp(2i/d)/2, up to about 4.6 ulps for base 10^4,
//    and exp(-(2i/d) * log(base)) in T more. Requires dim <= 2^24 (2i exact in float).
//    theta_0 = 1 exactly. The values are computed once, in the constructor.
//  - entry(k, j) = sin or cos of x = fl(k * theta_{j/2}) (one rounding of the product). With
//    u = 2^-p, the absolute error of an entry is at most
//        |k theta| (2 e_theta + 1) u  +  e_sin ulp(result)       (e_theta, e_sin: ulp bounds of
//    theta and of sin/cos): the first term is the phase error from the rounding of theta and of the
//    product, which grows with |k theta| (for |k theta| near 2^20 in float: up to 3 * 2^20 * 2^-24
//    = 0.19) and is inherent to a T-valued phase; the second is the sin/cos rounding.
//  - encode and entry give bit-identical values (sincos returns sin and cos bit for bit).
//  - dot(m, n) sums cos(fl(m - n) theta_i) in double-T and rounds once; m - n is exact when both
//    are integers below 2^p.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "../math/double_t.hpp"
#include "../concepts.hpp"
#include "../frequencies/common.hpp"
#include "../math/trig.hpp"
#include "error.hpp"

namespace posenc {

/// Parameters of the sinusoidal encoding (Vaswani et al. 2017, section 3.5).
template <Real T>
struct sinusoidal_params {
    int dim = 512;         ///< d: even, in [2, 2^24]
    T base = T(10000);     ///< finite, > 1
};

/// The sinusoidal position encoding p_k in R^dim (see the file comment for formulas and errors).
template <Real T>
class sinusoidal {
public:
    using value_type = T;  ///< the number type

    /// Largest accepted dim: 2i must be exact in every supported T (float: 24 bits).
    static constexpr int max_dim = 1 << 24;

    constexpr explicit sinusoidal(const sinusoidal_params<T>& params = {}) : dim_(params.dim), base_(params.base) {
        POSENC_REQUIRE(dim_ > 0 && dim_ % 2 == 0 && dim_ <= max_dim, "dim", "an even integer in [2, 2^24]");
        POSENC_REQUIRE(math::is_finite(base_) && base_ > T(1), "base", "finite and > 1");
        theta_ = frequencies::default_theta(base_, dim_);
    }

    constexpr sinusoidal(int dim, T base) : sinusoidal(sinusoidal_params<T>{dim, base}) {}

    [[nodiscard]] constexpr int dim() const { return dim_; }
    [[nodiscard]] constexpr T base() const { return base_; }

    /// theta_i = base^(-2i/dim), 0 <= i < dim/2, within 1 ulp (see the file comment).
    [[nodiscard]] constexpr T theta(int i) const {
        POSENC_REQUIRE(i >= 0 && i < dim_ / 2, "i", "in [0, dim/2)");
        return theta_[static_cast<std::size_t>(i)];
    }

    /// p_{k,j}: sin(k theta_{j/2}) for even j, cos(k theta_{j/2}) for odd j, 0 <= j < dim.
    [[nodiscard]] constexpr T entry(T k, int j) const {
        POSENC_REQUIRE(j >= 0 && j < dim_, "j", "in [0, dim)");
        const T x = k * theta_[static_cast<std::size_t>(j / 2)];
        if (j % 2 == 0) return math::sin(x);
        return math::cos(x);
    }

    /// Writes p_k into out (out.size() == dim).
    constexpr void encode(T k, std::span<T> out) const {
        POSENC_REQUIRE(out.size() == static_cast<std::size_t>(dim_), "out", "a span of size dim");
        for (std::size_t i = 0; i < theta_.size(); ++i) {
            const T x = k * theta_[i];
            const math::sincos_result<T> sc = math::sincos(x);
            out[2 * i] = sc.sin;
            out[2 * i + 1] = sc.cos;
        }
    }

    /// Writes M_k (dim x dim, row-major) into out (out.size() == dim*dim): p_{m+k} = M_k p_m for all
    /// m. Block diagonal; block i (rows and columns 2i, 2i+1) is [[c, s], [-s, c]] with
    /// c = cos(k theta_i), s = sin(k theta_i) (see the file comment for the sign convention).
    constexpr void offset_operator(T k, std::span<T> out) const {
        const std::size_t n = static_cast<std::size_t>(dim_);
        POSENC_REQUIRE(out.size() == n * n, "out", "a span of size dim*dim");
        for (std::size_t r = 0; r < n * n; ++r) out[r] = T(0);
        for (std::size_t i = 0; i < theta_.size(); ++i) {
            const T x = k * theta_[i];
            const math::sincos_result<T> sc = math::sincos(x);
            const std::size_t a = 2 * i;
            const std::size_t b = 2 * i + 1;
            out[a * n + a] = sc.cos;
            out[a * n + b] = sc.sin;
            out[b * n + a] = T(-sc.sin);
            out[b * n + b] = sc.cos;
        }
    }

    /// p_m . p_n in closed form: sum_i cos((m - n) theta_i), summed in double-T, rounded once.
    [[nodiscard]] constexpr T dot(T m, T n) const {
        const T r = m - n;
        math::dd<T> sum{T(0), T(0)};
        for (const T& th : theta_) {
            const T x = r * th;
            const T c = math::cos(x);
            sum = math::add(sum, c);
        }
        return sum.hi;
    }

private:
    int dim_;
    T base_;
    std::vector<T> theta_;
};

}  // namespace posenc
