// posenc/properties/common.hpp: what the property predicates share: tolerances, the interfaces an
// encoding must offer to be checked, small dense linear algebra, and a seeded Gaussian generator.
//
// Tolerances. Every predicate takes its tolerance `tol` as a pure number, relative to a scale the
// predicate states (for example ||q|| ||k|| for an inner product, 1 for a matrix entry). Build it
// from the epsilon of the type under test with `posenc::ulps<T>(n)` = n * 2^(1-p), p = significand
// bits, so the same predicate call reads "within n ulps" at float and at 50 digits alike.
//
// Interfaces. Predicates are templates on the encoding, so a deliberately broken encoding written
// in a test (or a kernel wrapped by a user) is checked by the very same code. An encoding names its
// number type as `value_type` and offers the members each predicate lists; the encodings in
// posenc/encodings/ all do.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../math/double_t.hpp"
#include "../concepts.hpp"
#include "../math/constants.hpp"
#include "../math/log.hpp"
#include "../math/sqrt.hpp"
#include "../math/trig.hpp"
#include "../encodings/error.hpp"

namespace posenc {

/// n units of epsilon of T: n * 2^(1-p), p = real_traits<T>::digits (n >= 0).
template <Real T>
[[nodiscard]] constexpr T ulps(long long n) {
    POSENC_REQUIRE(n >= 0, "n", "a number of ulps >= 0");
    return T(n) * math::pow2<T>(1L - real_traits<T>::digits);
}

/// The number type of an encoding (its `value_type`).
template <class E>
using value_type_of = typename E::value_type;

/// A 1D position encoding of vectors: head_dim() and out <- f(x, m) (RoFormer eq. 1).
template <class E>
concept PositionalMap = Real<value_type_of<E>> &&
    requires(const E& e, std::span<const value_type_of<E>> x, std::span<value_type_of<E>> out,
             const value_type_of<E>& m) {
        { e.head_dim() } -> std::convertible_to<int>;
        e.apply(x, m, out);
    };

/// A PositionalMap that is a matrix, f(x, m) = R_m x, with matrix(m, out) (RoFormer eq. 14).
template <class E>
concept RotaryEncoding = PositionalMap<E> &&
    requires(const E& e, std::span<value_type_of<E>> out, const value_type_of<E>& m) { e.matrix(m, out); };

/// A 2D position encoding given by its matrices R_{x,y} (head_dim() x head_dim(), row-major).
template <class E>
concept RotaryEncoding2D = Real<value_type_of<E>> &&
    requires(const E& e, std::span<value_type_of<E>> out, const value_type_of<E>& p) {
        { e.head_dim() } -> std::convertible_to<int>;
        e.matrix(p, p, out);
    };

namespace detail {

/// Row-major n x n matrix.
template <class T>
struct square_matrix {
    std::size_t n = 0;
    std::vector<T> a{};

    constexpr explicit square_matrix(std::size_t size) : n(size), a(size * size, T(0)) {}
    [[nodiscard]] constexpr T& operator()(std::size_t r, std::size_t c) { return a[r * n + c]; }
    [[nodiscard]] constexpr const T& operator()(std::size_t r, std::size_t c) const { return a[r * n + c]; }
    [[nodiscard]] constexpr std::span<T> span() { return {a.data(), a.size()}; }
};

template <class T>
[[nodiscard]] constexpr T dot(std::span<const T> x, std::span<const T> y) {
    T s = T(0);
    for (std::size_t i = 0; i < x.size(); ++i) s = s + x[i] * y[i];
    return s;
}

template <class T>
[[nodiscard]] constexpr T norm(std::span<const T> x) {
    return math::sqrt(dot(x, x));
}

/// A^T B (transposed = true) or A B.
template <class T>
[[nodiscard]] constexpr square_matrix<T> product(const square_matrix<T>& a, const square_matrix<T>& b, bool transposed) {
    square_matrix<T> c(a.n);
    for (std::size_t i = 0; i < a.n; ++i) {
        for (std::size_t j = 0; j < a.n; ++j) {
            T s = T(0);
            for (std::size_t k = 0; k < a.n; ++k) s = s + (transposed ? a(k, i) : a(i, k)) * b(k, j);
            c(i, j) = s;
        }
    }
    return c;
}

/// max_ij |A_ij - B_ij|.
template <class T>
[[nodiscard]] constexpr T max_abs_difference(const square_matrix<T>& a, const square_matrix<T>& b) {
    T m = T(0);
    for (std::size_t i = 0; i < a.a.size(); ++i) {
        const T d = math::abs(T(a.a[i] - b.a[i]));
        if (d > m || !(d == d)) m = d;
        if (!(m == m)) return m;
    }
    return m;
}

template <class T>
[[nodiscard]] constexpr square_matrix<T> identity(std::size_t n) {
    square_matrix<T> m(n);
    for (std::size_t i = 0; i < n; ++i) m(i, i) = T(1);
    return m;
}

/// |a - b| <= bound, false for NaN anywhere.
template <class T>
[[nodiscard]] constexpr bool within(const T& a, const T& b, const T& bound) {
    const T d = math::abs(T(a - b));
    return d <= bound;
}

}  // namespace detail

/// Seeded standard normal numbers, identical in constant expressions and at run time on every
/// platform: SplitMix64 (Steele, Lea, Flood 2014, "Fast splittable pseudorandom number
/// generators", OOPSLA) for 53-bit uniforms, and the Box-Muller transform (Box & Muller 1958,
/// Ann. Math. Statist. 29) z = sqrt(-2 ln u1) cos(2 pi u2), computed with posenc::math.
template <Real T>
class gaussian_source {
public:
    constexpr explicit gaussian_source(std::uint64_t seed) : state_(seed) {}

    /// Next N(0, 1) variate.
    [[nodiscard]] constexpr T next() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const T u1 = uniform_open();  // (0, 1]: log is finite
        const T u2 = uniform_open();
        const T radius = math::sqrt(T(T(-2) * math::log(u1)));
        const T angle = T(u2 * math::two_pi<T>());
        const math::sincos_result<T> sc = math::sincos(angle);
        spare_ = radius * sc.sin;
        has_spare_ = true;
        return radius * sc.cos;
    }

private:
    [[nodiscard]] constexpr std::uint64_t next_bits() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    /// (k + 1) / 2^53 for a uniform 53-bit k: in (0, 1], exact in every Real T with >= 53 bits
    /// (rounded once for float).
    [[nodiscard]] constexpr T uniform_open() {
        const long long k = static_cast<long long>(next_bits() >> 11) + 1;
        return T(k) * math::pow2<T>(-53);
    }

    std::uint64_t state_;
    T spare_ = T(0);
    bool has_spare_ = false;
};

}  // namespace posenc
