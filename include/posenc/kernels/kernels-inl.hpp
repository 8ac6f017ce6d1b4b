// posenc/kernels/kernels-inl.hpp: the bodies of the float32 kernels, written once on Google
// Highway's vector operations and compiled once per target: kernels.cpp includes this file through
// hwy/foreach_target.h, which defines HWY_TARGET and HWY_NAMESPACE (N_AVX3, N_AVX2, N_SSE4, ...)
// before each inclusion. Not a public header: include the kernel headers and link posenc::kernels.
//
// Each function here computes a range of rows or tokens of one kernel call (the public functions in
// kernels.cpp check the call, split it between threads and dispatch to the best target). Every
// target performs, lane by lane, the IEEE operations of the scalar twins in the same order, so each
// target's output is the twin's bit for bit:
//   - fused multiply-adds are fused on every target: Highway's MulAdd where the target has the
//     instruction (AVX2, AVX-512, NEON, SVE), std::fma lane by lane where it has not (SSE4, EMU128);
//   - float -> double is exact, double -> float rounds to nearest, overflow giving infinity (EMU128's
//     DemoteTo saturates to the largest float instead, so that target rounds lane by lane with
//     static_cast, as the twins do);
//   - the interleaved layout's pair swap and coefficient spreading are lane moves (Reverse2,
//     TableLookupLanes), exact;
//   - HWY_SCALAR (GCC < 12.3's fallback for CPUs below SSE4) runs the twins' own loops.
// No vector is stored in a struct or captured by a lambda: Arm SVE's vectors have no size.

// Per-target include guard (Highway's toggle idiom): this file is included once per target.
#if defined(POSENC_KERNELS_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef POSENC_KERNELS_INL_HPP_
#undef POSENC_KERNELS_INL_HPP_
#else
#define POSENC_KERNELS_INL_HPP_
#endif

#include <hwy/highway.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mrope.hpp"
#include "rope.hpp"
#include "rope2d.hpp"
#include "sinusoidal.hpp"

HWY_BEFORE_NAMESPACE();
// sincos_of_angle and its helper, compiled for this target (sincos-inl.hpp)
#define POSENC_SINCOS_NAMESPACE HWY_NAMESPACE
#include "sincos-inl.hpp"
#undef POSENC_SINCOS_NAMESPACE

namespace posenc::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_SCALAR
#define POSENC_KERNELS_VECTOR 0
#else
#define POSENC_KERNELS_VECTOR 1
#endif

#if HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR
#define POSENC_KERNELS_FMA_BY_LANE 1
#else
#define POSENC_KERNELS_FMA_BY_LANE 0
#endif

/// Double vectors of at most max_lanes lanes, and float vectors of as many lanes.
using D = hn::CappedTag<double, max_lanes>;
using DF = hn::Rebind<float, D>;
using V = hn::Vec<D>;

/// The target this copy was compiled for (a Highway target bit).
inline std::int64_t target_bit() { return HWY_TARGET; }
/// Double lanes per vector.
inline std::size_t lanes() { return hn::Lanes(D()); }

/// a * b + c rounded once, lane by lane.
HWY_INLINE V fma_v(V a, V b, V c) {
#if POSENC_KERNELS_FMA_BY_LANE
    const D d;
    HWY_ALIGN double x[max_lanes];
    HWY_ALIGN double y[max_lanes];
    HWY_ALIGN double z[max_lanes];
    hn::Store(a, d, x);
    hn::Store(b, d, y);
    hn::Store(c, d, z);
    for (std::size_t i = 0; i < hn::Lanes(d); ++i) x[i] = std::fma(x[i], y[i], z[i]);
    return hn::Load(d, x);
#else
    return hn::MulAdd(a, b, c);
#endif
}

/// The operations of sincos_of_angle on vectors (detail::scalar_ops on doubles).
struct vector_ops {
    HWY_INLINE V set(double x) const { return hn::Set(D(), x); }
    HWY_INLINE V add(V a, V b) const { return hn::Add(a, b); }
    HWY_INLINE V sub(V a, V b) const { return hn::Sub(a, b); }
    HWY_INLINE V mul(V a, V b) const { return hn::Mul(a, b); }
    HWY_INLINE V floor(V x) const { return hn::Floor(x); }
    HWY_INLINE V fma(V a, V b, V c) const { return fma_v(a, b, c); }
    HWY_INLINE V neg(V x) const { return hn::Neg(x); }
    HWY_INLINE auto eq(V a, V b) const { return hn::Eq(a, b); }
    HWY_INLINE auto ge(V a, V b) const { return hn::Ge(a, b); }
    template <class M>
    HWY_INLINE M either(M a, M b) const {
        return hn::Or(a, b);
    }
    template <class M>
    HWY_INLINE V select(M m, V a, V b) const {
        return hn::IfThenElse(m, a, b);
    }
};

/// Lanes(D) floats from p, as doubles (exact).
HWY_INLINE V load_floats(const float* p) { return hn::PromoteTo(D(), hn::LoadU(DF(), p)); }

/// v rounded to float (nearest, overflow to infinity), stored at p.
HWY_INLINE void store_floats(V v, float* p) {
#if HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR
    const D d;
    HWY_ALIGN double x[max_lanes];
    hn::Store(v, d, x);
    for (std::size_t i = 0; i < hn::Lanes(d); ++i) p[i] = static_cast<float>(x[i]);
#else
    hn::StoreU(hn::DemoteTo(DF(), v), DF(), p);
#endif
}

#if POSENC_KERNELS_VECTOR

/// Per-token rotation coefficients in double, laid out for the pair layout:
///   half-split:  c[i], s[i]                                          (i < pairs, padded)
///   interleaved: c[2i] = c[2i+1] = c_i, s[2i] = -s_i, s[2i+1] = s_i  (so y = x c + swap(x) s)
/// On the stack up to 512 pairs (head_dim 1024), so that a one-token call allocates nothing.
struct coefficients {
    static constexpr std::size_t inline_size = 1024;
    HWY_ALIGN double c_inline[inline_size];
    HWY_ALIGN double s_inline[inline_size];
    std::vector<double> c_heap;
    std::vector<double> s_heap;
    double* c;
    double* s;
    explicit coefficients(const rope_frequencies& f) {
        const std::size_t n = f.theta_hi().size() * (f.layout() == pair_layout::interleaved ? 2 : 1);
        if (n <= inline_size) {
            c = c_inline;
            s = s_inline;
        } else {
            c_heap.assign(n, 0.0);
            s_heap.assign(n, 0.0);
            c = c_heap.data();
            s = s_heap.data();
        }
    }
    coefficients(const coefficients&) = delete;
    coefficients& operator=(const coefficients&) = delete;
};

/// Stores the coefficients of pairs i .. i + Lanes - 1 (i a multiple of Lanes, within the padding).
HWY_INLINE void set_block(pair_layout layout, coefficients& k, std::size_t i, V ci, V si) {
    const D d;
    if (layout == pair_layout::interleaved) {
        const std::size_t n = hn::Lanes(d);
        const hn::RebindToSigned<D> di;
        // lane j takes pair j/2 (first vector) or n/2 + j/2 (second); odd lanes +s, even lanes -s
        const auto half = hn::ShiftRight<1>(hn::Iota(di, 0));
        const auto first = hn::IndicesFromVec(d, half);
        const auto second = hn::IndicesFromVec(d, hn::Add(half, hn::Set(di, static_cast<std::int64_t>(n / 2))));
        const V s0 = hn::TableLookupLanes(si, first);
        const V s1 = hn::TableLookupLanes(si, second);
        hn::StoreU(hn::TableLookupLanes(ci, first), d, k.c + 2 * i);
        hn::StoreU(hn::TableLookupLanes(ci, second), d, k.c + 2 * i + n);
        hn::StoreU(hn::OddEven(s0, hn::Neg(s0)), d, k.s + 2 * i);
        hn::StoreU(hn::OddEven(s1, hn::Neg(s1)), d, k.s + 2 * i + n);
    } else {
        hn::StoreU(ci, d, k.c + i);
        hn::StoreU(si, d, k.s + i);
    }
}

/// Rotates one head vector by the coefficients (detail::rotate_pair_scalar, lane by lane); copies
/// the unrotated tail when out of place.
HWY_INLINE void rotate_head(const rope_frequencies& f, const coefficients& k, const float* in, float* out) {
    const D d;
    const std::size_t w = hn::Lanes(d);
    const std::size_t n = static_cast<std::size_t>(f.pairs());
    const double* cp = k.c;
    const double* sp = k.s;
    if (f.layout() == pair_layout::half_split) {
        const std::size_t nv = n - n % w;
        for (std::size_t i = 0; i < nv; i += w) {
            const V x0 = load_floats(in + i);
            const V x1 = load_floats(in + n + i);
            const V c = hn::LoadU(d, cp + i);
            const V s = hn::LoadU(d, sp + i);
            store_floats(fma_v(x0, c, hn::Neg(hn::Mul(x1, s))), out + i);
            store_floats(fma_v(x1, c, hn::Mul(x0, s)), out + n + i);
        }
        for (std::size_t i = nv; i < n; ++i) {
            detail::rotate_pair_scalar(in, out, static_cast<int>(i), static_cast<int>(i + n), cp[i], sp[i]);
        }
    } else {
        const std::size_t r = 2 * n;
        const std::size_t rv = r - r % w;  // w is even: a vector holds whole pairs
        for (std::size_t j = 0; j < rv; j += w) {
            const V x = load_floats(in + j);
            const V swapped = hn::Reverse2(d, x);  // (x_{2i+1}, x_{2i})
            // lane 2i: fma(x_2i, c_i, -(x_2i+1 s_i)); lane 2i+1: fma(x_2i+1, c_i, x_2i s_i)
            store_floats(fma_v(x, hn::LoadU(d, cp + j), hn::Mul(swapped, hn::LoadU(d, sp + j))), out + j);
        }
        for (std::size_t j = rv; j < r; j += 2) {
            detail::rotate_pair_scalar(in, out, static_cast<int>(j), static_cast<int>(j + 1), cp[j], sp[j + 1]);
        }
    }
    if (in != out) {
        for (int d2 = f.rotary_dim(); d2 < f.head_dim(); ++d2) out[d2] = in[d2];
    }
}

/// Rotates every head of every operand at token t.
HWY_NOINLINE void rotate_token(const rope_frequencies& f, const coefficients& k, std::span<const rope_operand> ops, int t) {
    for (const rope_operand& op : ops) {
        for (int h = 0; h < op.in.heads; ++h) rotate_head(f, k, op.in.at(t, h), op.out.at(t, h));
    }
}

/// cos/sin of the angles of one token in double, times the attention scale, pair block by pair
/// block: position_of(i) gives the position vector of the block starting at pair i.
/// Kept out of line: inlined into the token loops, GCC 12 lays the angle code out so that it runs
/// 20-25% slower.
template <class PositionOf>
HWY_NOINLINE void fused_coefficients(const rope_frequencies& f, const PositionOf& position_of, coefficients& k) {
    const D d;
    const double* hi = f.theta_hi().data();
    const double* lo = f.theta_lo().data();
    const V scale = hn::Set(d, f.attention_scale());
    const std::size_t n = static_cast<std::size_t>(f.pairs());
    for (std::size_t i = 0; i < n; i += hn::Lanes(d)) {
        V c;
        V s;
        sincos_of_angle(vector_ops{}, position_of(i), hn::LoadU(d, hi + i), hn::LoadU(d, lo + i), c, s);
        set_block(f.layout(), k, i, hn::Mul(c, scale), hn::Mul(s, scale));
    }
}

#endif  // POSENC_KERNELS_VECTOR

// ---- one range of rows or tokens of each kernel (the functions kernels.cpp dispatches to) ----

inline void build_table_rows(const rope_frequencies& f, std::span<const std::int64_t> positions, cos_sin_table& out,
                             std::size_t begin, std::size_t end) {
#if POSENC_KERNELS_VECTOR
    const D d;
    const double* hi = f.theta_hi().data();
    const double* lo = f.theta_lo().data();
    const std::size_t padded = f.theta_hi().size();
    const V scale = hn::Set(d, f.attention_scale());
    for (std::size_t t = begin; t < end; ++t) {
        const V m = hn::Set(d, static_cast<double>(positions[t]));
        float* cr = out.cos.data() + t * padded;
        float* sr = out.sin.data() + t * padded;
        for (std::size_t i = 0; i < padded; i += hn::Lanes(d)) {
            V c;
            V s;
            sincos_of_angle(vector_ops{}, m, hn::LoadU(d, hi + i), hn::LoadU(d, lo + i), c, s);
            store_floats(hn::Mul(c, scale), cr + i);
            store_floats(hn::Mul(s, scale), sr + i);
        }
    }
#else
    detail::build_table_rows_scalar(f, positions, out, begin, end);
#endif
}

inline void apply_table_tokens(const rope_frequencies& f, const cos_sin_table& table, std::span<const rope_operand> ops,
                               std::size_t begin, std::size_t end) {
#if POSENC_KERNELS_VECTOR
    const D d;
    coefficients k(f);
    for (std::size_t t = begin; t < end; ++t) {
        const float* c = table.cos.data() + t * static_cast<std::size_t>(table.stride);
        const float* s = table.sin.data() + t * static_cast<std::size_t>(table.stride);
        for (std::size_t i = 0; i < static_cast<std::size_t>(f.pairs()); i += hn::Lanes(d)) {  // rows are padded
            set_block(f.layout(), k, i, load_floats(c + i), load_floats(s + i));
        }
        rotate_token(f, k, ops, static_cast<int>(t));
    }
#else
    detail::apply_table_tokens_scalar(f, table, ops, static_cast<int>(begin), static_cast<int>(end));
#endif
}

inline void apply_fused_tokens(const rope_frequencies& f, std::span<const std::int64_t> positions,
                               std::span<const rope_operand> ops, std::size_t begin, std::size_t end) {
#if POSENC_KERNELS_VECTOR
    coefficients k(f);
    for (std::size_t t = begin; t < end; ++t) {
        const double m = static_cast<double>(positions[t]);
        fused_coefficients(f, [m](std::size_t) { return hn::Set(D(), m); }, k);
        rotate_token(f, k, ops, static_cast<int>(t));
    }
#else
    detail::apply_fused_tokens_scalar(f, positions, ops, static_cast<int>(begin), static_cast<int>(end));
#endif
}

inline void apply_mrope_tokens(const mrope_frequencies& f, std::span<const std::int64_t> positions,
                               std::span<const rope_operand> ops, std::size_t begin, std::size_t end) {
#if POSENC_KERNELS_VECTOR
    const rope_frequencies& fr = f.frequencies();
    coefficients k(fr);
    // the position of every pair, padded with 0 like the frequencies: gathered once per token, one
    // load per pair block in fused_coefficients
    std::vector<double> p(fr.theta_hi().size(), 0.0);
    const std::vector<mrope_axis>& axes = f.axes();
    for (std::size_t tok = begin; tok < end; ++tok) {
        for (std::size_t i = 0; i < axes.size(); ++i) p[i] = static_cast<double>(positions[3 * tok + static_cast<std::size_t>(axes[i])]);
        fused_coefficients(fr, [&p](std::size_t i) { return hn::LoadU(D(), p.data() + i); }, k);
        rotate_token(fr, k, ops, static_cast<int>(tok));
    }
#else
    detail::apply_mrope_tokens_scalar(f, positions, ops, static_cast<int>(begin), static_cast<int>(end));
#endif
}

inline void apply_2d_tokens(const axial2d_frequencies& f, std::span<const std::int64_t> xs, std::span<const std::int64_t> ys,
                            std::span<const rope_operand> ops, std::size_t begin, std::size_t end) {
#if POSENC_KERNELS_VECTOR
    const rope_frequencies& fr = f.frequencies();
    coefficients k(fr);
    const double* sx = f.x_selector().data();
    const double* sy = f.y_selector().data();
    for (std::size_t t = begin; t < end; ++t) {
        const double x = static_cast<double>(xs[t]);
        const double y = static_cast<double>(ys[t]);
        // p_j = x sx_j + y sy_j: exact, one of the two terms is zero
        fused_coefficients(
            fr,
            [x, y, sx, sy](std::size_t i) {
                const D d;
                return hn::Add(hn::Mul(hn::Set(d, x), hn::LoadU(d, sx + i)), hn::Mul(hn::Set(d, y), hn::LoadU(d, sy + i)));
            },
            k);
        rotate_token(fr, k, ops, static_cast<int>(t));
    }
#else
    detail::apply_2d_tokens_scalar(f, xs, ys, ops, static_cast<int>(begin), static_cast<int>(end));
#endif
}

inline void build_sinusoidal_rows(const rope_frequencies& f, std::span<const std::int64_t> positions, sinusoidal_table& out,
                                  std::size_t begin, std::size_t end) {
#if POSENC_KERNELS_VECTOR
    const D d;
    const std::size_t n = static_cast<std::size_t>(f.pairs());
    const std::size_t padded = f.theta_hi().size();
    std::vector<float> s(padded);
    std::vector<float> c(padded);
    for (std::size_t k = begin; k < end; ++k) {
        const V m = hn::Set(d, static_cast<double>(positions[k]));
        for (std::size_t i = 0; i < padded; i += hn::Lanes(d)) {
            V cv;
            V sv;
            sincos_of_angle(vector_ops{}, m, hn::LoadU(d, f.theta_hi().data() + i), hn::LoadU(d, f.theta_lo().data() + i), cv, sv);
            store_floats(sv, s.data() + i);
            store_floats(cv, c.data() + i);
        }
        float* row = out.values.data() + k * 2 * n;
        for (std::size_t i = 0; i < n; ++i) {
            row[2 * i] = s[i];
            row[2 * i + 1] = c[i];
        }
    }
#else
    detail::build_sinusoidal_rows_scalar(f, positions, out, begin, end);
#endif
}

#undef POSENC_KERNELS_VECTOR
#undef POSENC_KERNELS_FMA_BY_LANE

}  // namespace posenc::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
