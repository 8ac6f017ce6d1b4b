// posenc/encodings/complex_embedding.hpp: the position part of complex word embeddings.
//
// Source: Wang, Zhao, Lioma, Li, Zhang, Simonsen 2020, "Encoding word order in complex embeddings"
// (ICLR 2020). A word j at position pos is embedded as f(j, pos) = g_j(pos) elementwise over D
// complex dimensions, with (their eq. 3 / Appendix A)
//     g_k(pos) = r_k e^{i (omega_k pos + phi_k)}         (amplitude r_k >= 0, frequency omega_k,
//                                                         initial phase phi_k; period 2 pi / omega_k)
// - Property 1 (position-free offset transformation): for every n there is a Transform_n with
//   g(pos + n) = Transform_n(g(pos)) for all pos; g is "linearly witnessed" when Transform_n is
//   multiplication by some w(n). Here w_k(n) = e^{i omega_k n}, elementwise (witness()).
// - Property 2 (boundedness): |g_k(pos)| <= delta for all pos; here |g_k(pos)| = r_k exactly.
// - Claim 1 (proved in Appendix A): a g: N -> C that is bounded and linearly witnessed is
//   g(pos) = z_2 z_1^pos with |z_1| <= 1; with |z_1| = 1 this is the form above, z_1 = e^{i omega},
//   z_2 = r e^{i phi}.
// The sinusoidal encoding (sinusoidal.hpp) is the special case r_k = 1, phi_k = 0,
// omega_k = theta_k, D = dim/2 (from_sinusoidal()): g_k(pos) = cos(theta_k pos) + i sin(theta_k pos),
// so the mapping between the two is
//     Im g_k(pos) = sin(pos theta_k) = p_{pos,2k},     Re g_k(pos) = cos(pos theta_k) = p_{pos,2k+1}.
// The angle is computed as fl(fl(omega_k pos) + phi_k) (with phi_k = 0 the addition is exact, so
// from_sinusoidal reproduces sinusoidal::entry bit for bit), then e^{i angle} by one sincos, then
// each component is multiplied by r_k (one rounding each).
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "../math/double_t.hpp"
#include "../concepts.hpp"
#include "../math/sqrt.hpp"  // before complex.hpp, whose abs() calls math::hypot
#include "complex.hpp"
#include "error.hpp"
#include "sinusoidal.hpp"

namespace posenc {

/// g(pos) = (r_k e^{i(omega_k pos + phi_k)})_k, k < dim() (Wang et al. 2020; see the file comment).
template <Real T>
class complex_embedding {
public:
    using value_type = T;  ///< the number type

    /// amplitude r_k (finite, >= 0), frequency omega_k (finite), phase phi_k (finite): equal,
    /// nonzero sizes.
    constexpr complex_embedding(std::vector<T> amplitude, std::vector<T> frequency, std::vector<T> phase)
        : amplitude_(std::move(amplitude)), frequency_(std::move(frequency)), phase_(std::move(phase)) {
        POSENC_REQUIRE(!amplitude_.empty(), "amplitude", "a nonempty vector");
        POSENC_REQUIRE(frequency_.size() == amplitude_.size(), "frequency", "a vector of the size of amplitude");
        POSENC_REQUIRE(phase_.size() == amplitude_.size(), "phase", "a vector of the size of amplitude");
        for (const T& r : amplitude_) {
            POSENC_REQUIRE(math::is_finite(r) && r >= T(0), "amplitude", "finite and >= 0");
        }
        for (const T& w : frequency_) POSENC_REQUIRE(math::is_finite(w), "frequency", "finite");
        for (const T& p : phase_) POSENC_REQUIRE(math::is_finite(p), "phase", "finite");
    }

    /// The sinusoidal encoding as a complex embedding: D = dim/2, r_k = 1, phi_k = 0,
    /// omega_k = theta_k, so that Im g_k(pos) = p_{pos,2k} and Re g_k(pos) = p_{pos,2k+1}.
    [[nodiscard]] static constexpr complex_embedding from_sinusoidal(const sinusoidal<T>& s) {
        const std::size_t d = static_cast<std::size_t>(s.dim() / 2);
        std::vector<T> r(d, T(1));
        std::vector<T> w;
        w.reserve(d);
        for (int k = 0; k < s.dim() / 2; ++k) w.push_back(s.theta(k));
        std::vector<T> phi(d, T(0));
        return complex_embedding(std::move(r), std::move(w), std::move(phi));
    }

    /// D, the number of complex dimensions.
    [[nodiscard]] constexpr int dim() const { return static_cast<int>(amplitude_.size()); }
    [[nodiscard]] constexpr const std::vector<T>& amplitude() const { return amplitude_; }
    [[nodiscard]] constexpr const std::vector<T>& frequency() const { return frequency_; }
    [[nodiscard]] constexpr const std::vector<T>& phase() const { return phase_; }

    /// out_k = g_k(pos) = r_k e^{i(omega_k pos + phi_k)} (out.size() == dim()).
    constexpr void value(T pos, std::span<cplx<T>> out) const {
        POSENC_REQUIRE(out.size() == amplitude_.size(), "out", "a span of size dim");
        for (std::size_t k = 0; k < amplitude_.size(); ++k) {
            const T wp = frequency_[k] * pos;
            const T angle = wp + phase_[k];
            out[k] = amplitude_[k] * polar_unit(angle);
        }
    }

    /// out_k = w_k(n) = e^{i omega_k n}, the linear witness of Property 1: g(pos + n) = w(n) g(pos)
    /// elementwise, for every pos (out.size() == dim()).
    constexpr void witness(T n, std::span<cplx<T>> out) const {
        POSENC_REQUIRE(out.size() == amplitude_.size(), "out", "a span of size dim");
        for (std::size_t k = 0; k < amplitude_.size(); ++k) {
            const T angle = frequency_[k] * n;
            out[k] = polar_unit(angle);
        }
    }

private:
    std::vector<T> amplitude_;
    std::vector<T> frequency_;
    std::vector<T> phase_;
};

}  // namespace posenc
