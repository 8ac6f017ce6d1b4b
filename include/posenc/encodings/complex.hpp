// posenc/encodings/complex.hpp: a minimal constexpr complex number over any Real T.
// (std::complex is unspecified for non-arithmetic T and not constexpr in C++20.)
#pragma once

#include "../concepts.hpp"
#include "../math/sqrt.hpp"
#include "../math/trig.hpp"

namespace posenc {

template <Real T>
struct cplx {
    T re;
    T im;
};

template <Real T>
[[nodiscard]] constexpr cplx<T> operator+(const cplx<T>& a, const cplx<T>& b) {
    return {T(a.re + b.re), T(a.im + b.im)};
}

template <Real T>
[[nodiscard]] constexpr cplx<T> operator-(const cplx<T>& a, const cplx<T>& b) {
    return {T(a.re - b.re), T(a.im - b.im)};
}

template <Real T>
[[nodiscard]] constexpr cplx<T> operator*(const cplx<T>& a, const cplx<T>& b) {
    T re = a.re * b.re - a.im * b.im;
    T im = a.re * b.im + a.im * b.re;
    return {re, im};
}

template <Real T>
[[nodiscard]] constexpr cplx<T> operator*(const T& s, const cplx<T>& a) {
    return {T(s * a.re), T(s * a.im)};
}

template <Real T>
[[nodiscard]] constexpr cplx<T> conj(const cplx<T>& a) {
    return {a.re, T(-a.im)};
}

/// |a|, without undue overflow.
template <Real T>
[[nodiscard]] constexpr T abs(const cplx<T>& a) {
    return math::hypot(a.re, a.im);
}

/// e^{i angle} = cos(angle) + i sin(angle) (Euler's formula), from one argument reduction.
template <Real T>
[[nodiscard]] constexpr cplx<T> polar_unit(const T& angle) {
    const math::sincos_result<T> sc = math::sincos(angle);
    return {sc.cos, sc.sin};
}

}  // namespace posenc
