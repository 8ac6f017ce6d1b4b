// posenc/kernels/sincos-inl.hpp: the body of sincos_of_angle (see sincos.hpp for what it computes,
// its range and its error), generic over the value type: plain doubles for the scalar twins, vectors
// for the kernels. Included by sincos.hpp (namespace posenc::kernels::twin) and by the kernels once
// per vector target (namespace posenc::kernels::<target>, inside Highway's target region), with
// POSENC_SINCOS_NAMESPACE naming the namespace; no include guard, by design. Not a public header.
#ifndef POSENC_SINCOS_NAMESPACE
#error "posenc/kernels/sincos-inl.hpp: include posenc/kernels/sincos.hpp instead"
#endif

namespace posenc::kernels::POSENC_SINCOS_NAMESPACE {

/// The rounding error of s = a + b: a + b = s + err exactly (TwoSum, Knuth TAOCP 4.2.2 Thm B).
template <class Ops, class V>
POSENC_KERNEL_INLINE V two_sum_error(const Ops& o, V a, V b, V s) {
    const V bb = o.sub(s, a);
    return o.add(o.sub(a, o.sub(s, bb)), o.sub(b, bb));
}

/// cos and sin of m * (theta_hi + theta_lo), exactly formed (see the file comment for range and
/// error), lane by lane, into c and s. Ops: detail::scalar_ops (V = double) or the kernels' vector
/// operations; V is passed by value and the results through references, as vectors of unknown size
/// (Arm SVE) require.
template <class Ops, class V>
POSENC_KERNEL_INLINE void sincos_of_angle(const Ops& o, V m, V theta_hi, V theta_lo, V& c, V& s) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    // every operation is named (o.add, o.mul, ...): vectors of unknown size have no operators
    const V p1 = o.mul(m, theta_hi);  // exact
    const V p2 = o.mul(m, theta_lo);  // exact
    const V shifter = o.set(detail::round_shifter);
    const V k = o.sub(o.add(o.mul(o.add(p1, p2), o.set(detail::two_over_pi)), shifter), shifter);
    const V t1 = o.sub(p1, o.mul(k, o.set(detail::half_pi_c1)));  // exact
    const V s1 = o.add(t1, p2);
    const V e1 = two_sum_error(o, t1, p2, s1);
    const V kc2 = o.mul(k, o.set(detail::half_pi_c2));  // exact
    const V s2 = o.sub(s1, kc2);
    const V e2 = two_sum_error(o, s1, o.neg(kc2), s2);
    const V r = o.add(s2, o.sub(o.add(e1, e2), o.mul(k, o.set(detail::half_pi_c3))));
    const V r2 = o.mul(r, r);
    // sin r = r - r^3/3! + ... - r^15/15!, cos r = 1 - r^2/2! + ... + r^16/16! (Taylor)
    // Horner's rule on r^2 from the highest term down, one fused multiply-add per term (the
    // compiler unrolls these loops)
    using detail::taylor_coefficient;
    V sin_tail = o.set(taylor_coefficient(15));
    for (int n = 13; n >= 3; n -= 2) sin_tail = o.fma(r2, sin_tail, o.set(taylor_coefficient(n)));
    const V sr = o.fma(r, o.mul(r2, sin_tail), r);  // r + r^3 (-1/3! + r^2/5! - ...)
    V cos_tail = o.set(taylor_coefficient(16));
    for (int n = 14; n >= 4; n -= 2) cos_tail = o.fma(r2, cos_tail, o.set(taylor_coefficient(n)));
    // 1 - (r^2/2 - r^4 (1/4! - ...))
    const V cr = o.sub(o.set(1), o.fma(r2, o.set(0.5), o.neg(o.mul(o.mul(r2, r2), cos_tail))));
    // quadrant q = k mod 4: sin(r + q pi/2) = sin r, cos r, -sin r, -cos r; cos(...) = cos r, -sin r, -cos r, sin r
    const V q = o.sub(k, o.mul(o.set(4), o.floor(o.mul(k, o.set(0.25)))));
    const auto swap = o.either(o.eq(q, o.set(1)), o.eq(q, o.set(3)));
    const V s0 = o.select(swap, cr, sr);
    const V c0 = o.select(swap, sr, cr);
    c = o.select(o.either(o.eq(q, o.set(1)), o.eq(q, o.set(2))), o.neg(c0), c0);
    s = o.select(o.ge(q, o.set(2)), o.neg(s0), s0);
}

}  // namespace posenc::kernels::POSENC_SINCOS_NAMESPACE
