// posenc/analysis/phases.hpp: the unit phases e^{i r w_j} of many distances r at once, the first step
// of every decay quantity evaluated over a list of distances (RoFormer's bound, Men et al.'s B, the
// Gaussian moments of `posenc decay`).
//
// exact_phase(r, w) is e^{i r w} for a frequency w given as a double-T w.hi + w.lo (a plain frequency
// has lo = 0; a 2D encoding's w = theta_x u_x + theta_y u_y is an exact sum), the product r w formed
// exactly (TwoProduct, Dekker 1971) before its cosine and sine are taken:
//   float                   hi + lo added in double (exact), double's sin and cos rounded once;
//   double, long double     the C library's sin and cos of hi (glibc's reduce exactly and are within
//                           1 ulp), turned by lo (|lo| <= ulp(hi)): for |lo| <= 2^-24, cos lo =
//                           1 - lo^2/2 and sin lo = lo to within lo^3/6 <= 2^-74; beyond (r w >
//                           2^28 in double, where ulp(hi) can exceed 2^-24) the C library's sin and
//                           cos of lo;
//   every other T           posenc::math's sincos of the double-T angle (math/double_t.hpp).
// It is a run-time function (the C library is several times faster than posenc::math at double);
// the constexpr quantities of roformer.hpp and b_sum.hpp use math::sincos of the exact product.
//
// A phase_block holds z_{k,j} = e^{i r_k w_j} for up to max_rows distances r_k and n frequencies w_j,
// stored tile by tile: tiles of `tile` consecutive rows, pair-major within a tile (z_{k,j} at
// ((k / tile) n + j) tile + k % tile), so that loops over a tile's rows are contiguous and
// vectorise; rows past the last distance in the last tile are padding. When the block's distances
// are equally spaced (step s), only the first row is evaluated by exact_phase: rows 1 .. tile - 1
// are reached by the exactly computed rotation e^{i s w_j}, every later row from the row a tile
// before it by e^{i tile s w_j}. A value is then at most tile - 1 + (max_rows - 1) / tile = 38
// complex products from an exact one, each adding about 3 ulps of relative error (3e-14 in double).
// Other blocks are evaluated row by row. The values depend only on the block's distances, never on
// which other blocks exist, so callers that cut a long distance list at fixed row indices get
// results independent of threads and shards.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <span>
#include <type_traits>
#include <vector>

#include "../concepts.hpp"
#include "../encodings/error.hpp"
#include "../math/double_t.hpp"
#include "../math/trig.hpp"

namespace posenc::analysis {

namespace detail {

/// float, double and long double: the types the C library's sin, cos and sqrt serve.
template <class T>
inline constexpr bool is_native_float =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, long double>;

}  // namespace detail

/// cos and sin of r (w.hi + w.lo), the product formed exactly (see the file comment).
template <Real T>
[[nodiscard]] math::sincos_result<T> exact_phase(const T& r, const math::dd<T>& w) {
    const math::dd<T> p = math::two_prod(r, w.hi);
    const T lo = p.lo + r * w.lo;
    if constexpr (std::is_same_v<T, float>) {
        const double a = static_cast<double>(p.hi) + static_cast<double>(lo);  // exact: p.hi, lo are floats
        return {static_cast<float>(std::sin(a)), static_cast<float>(std::cos(a))};
    } else if constexpr (detail::is_native_float<T>) {
        const T s = std::sin(p.hi);
        const T c = std::cos(p.hi);
        if (std::abs(lo) <= T(0x1p-24)) {
            const T cl = T(1) - lo * lo / T(2);
            return {s * cl + c * lo, c * cl - s * lo};
        }
        const T sl = std::sin(lo);
        const T cl = std::cos(lo);
        return {s * cl + c * sl, c * cl - s * sl};
    } else {
        return math::sincos(math::dd<T>{p.hi, lo});
    }
}

/// e^{i r_k w_j} for a block of distances r_k (see the file comment).
template <Real T>
class phase_block {
public:
    static constexpr std::size_t tile = 8;        ///< rows per tile
    static constexpr std::size_t max_rows = 256;  ///< distances per block (the 38-product bound)

    /// Fills the block for the distances r (1 to max_rows of them, each exactly representable in
    /// T) and the frequencies w.
    void fill(std::span<const math::dd<T>> w, std::span<const long long> r) {
        POSENC_REQUIRE(!r.empty() && r.size() <= max_rows, "r", "1 to 256 distances");
        n_ = w.size();
        rows_ = r.size();
        re_.resize(tiles() * n_ * tile);
        im_.resize(tiles() * n_ * tile);
        const long long step = uniform_step(r);
        if (step != 0) {
            fill_uniform(w, r.front(), step);
        } else {
            fill_exact(w, r);
        }
    }

    [[nodiscard]] std::size_t rows() const { return rows_; }
    [[nodiscard]] std::size_t pairs() const { return n_; }
    [[nodiscard]] std::size_t tiles() const { return (rows_ + tile - 1) / tile; }
    /// Tile b, pair-major: element j * tile + u is row b * tile + u, pair j.
    [[nodiscard]] const T* tile_re(std::size_t b) const { return &re_[b * n_ * tile]; }
    [[nodiscard]] const T* tile_im(std::size_t b) const { return &im_[b * n_ * tile]; }
    [[nodiscard]] const T& re(std::size_t k, std::size_t j) const { return re_[index(k, j)]; }
    [[nodiscard]] const T& im(std::size_t k, std::size_t j) const { return im_[index(k, j)]; }

private:
    [[nodiscard]] std::size_t index(std::size_t k, std::size_t j) const { return ((k / tile) * n_ + j) * tile + k % tile; }

    /// The common step of r, or 0 when r is not equally spaced by a step the recurrence may use
    /// (|step| <= 2^40, step and tile * step exact in T).
    static long long uniform_step(std::span<const long long> r) {
        if (r.size() < 2) return 0;
        const long long step = r[1] - r[0];
        const auto exact = [](long long v) { return static_cast<long long>(T(v)) == v; };
        if (step == 0 || std::llabs(step) > (1LL << 40) || !exact(step) || !exact(step * static_cast<long long>(tile))) return 0;
        for (std::size_t k = 2; k < r.size(); ++k) {
            if (r[k] - r[k - 1] != step) return 0;
        }
        return step;
    }

    void set(std::size_t k, std::size_t j, const math::sincos_result<T>& sc) {
        re_[index(k, j)] = sc.cos;
        im_[index(k, j)] = sc.sin;
    }

    void fill_exact(std::span<const math::dd<T>> w, std::span<const long long> r) {
        for (std::size_t k = 0; k < tiles() * tile; ++k) {
            for (std::size_t j = 0; j < n_; ++j) {
                if (k < rows_) {
                    set(k, j, exact_phase(T(r[k]), w[j]));
                } else {
                    re_[index(k, j)] = im_[index(k, j)] = T(0);
                }
            }
        }
    }

    void fill_uniform(std::span<const math::dd<T>> w, long long first, long long step) {
        step_rotations(w, step);
        const T r0 = T(first);
        for (std::size_t j = 0; j < n_; ++j) set(0, j, exact_phase(r0, w[j]));
        for (std::size_t j = 0; j < n_; ++j) {
            for (std::size_t u = 1; u < tile; ++u) {  // z <- z e^{i s w_j}
                const T pr = re_[index(u - 1, j)], pi = im_[index(u - 1, j)];
                re_[index(u, j)] = pr * w1r_[j] - pi * w1i_[j];
                im_[index(u, j)] = pr * w1i_[j] + pi * w1r_[j];
            }
        }
        for (std::size_t b = 1; b < tiles(); ++b) advance_tile(b);
    }

    /// Tile b from tile b - 1: z <- z e^{i tile s w_j}, row by row.
    void advance_tile(std::size_t b) {
        const T* pr = &re_[(b - 1) * n_ * tile];
        const T* pi = &im_[(b - 1) * n_ * tile];
        T* qr = &re_[b * n_ * tile];
        T* qi = &im_[b * n_ * tile];
        for (std::size_t j = 0; j < n_; ++j) {
            const T cr = wtr_[j], ci = wti_[j];
            for (std::size_t u = 0; u < tile; ++u) {
                const std::size_t e = j * tile + u;
                qr[e] = pr[e] * cr - pi[e] * ci;
                qi[e] = pr[e] * ci + pi[e] * cr;
            }
        }
    }

    /// e^{i s w_j} and e^{i tile s w_j}, kept for the next block with the same step and frequencies.
    void step_rotations(std::span<const math::dd<T>> w, long long step) {
        if (step == step_ && same_frequencies(w)) return;
        step_ = step;
        w_.assign(w.begin(), w.end());
        w1r_.resize(n_);
        w1i_.resize(n_);
        wtr_.resize(n_);
        wti_.resize(n_);
        const T s1 = T(step);
        const T st = T(step * static_cast<long long>(tile));
        for (std::size_t j = 0; j < n_; ++j) {
            const math::sincos_result<T> a1 = exact_phase(s1, w[j]);
            const math::sincos_result<T> at = exact_phase(st, w[j]);
            w1r_[j] = a1.cos;
            w1i_[j] = a1.sin;
            wtr_[j] = at.cos;
            wti_[j] = at.sin;
        }
    }

    [[nodiscard]] bool same_frequencies(std::span<const math::dd<T>> w) const {
        if (w.size() != w_.size()) return false;
        for (std::size_t j = 0; j < w.size(); ++j) {
            if (!(w[j].hi == w_[j].hi && w[j].lo == w_[j].lo)) return false;
        }
        return true;
    }

    std::size_t n_ = 0;
    std::size_t rows_ = 0;
    std::vector<T> re_, im_;      // z, tile by tile
    long long step_ = 0;          // the step of the cached rotations (0: none)
    std::vector<math::dd<T>> w_;  // their frequencies
    std::vector<T> w1r_, w1i_;    // e^{i s w_j}
    std::vector<T> wtr_, wti_;    // e^{i tile s w_j}
};

}  // namespace posenc::analysis
