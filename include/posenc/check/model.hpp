// posenc/check/model.hpp: what an artifact should hold under a model of how it was computed —
// the exact reference, or one failure mode with its parameter — and how far the artifact is from
// it, element by element, in ulps.
//
// Exact values. theta_i and the attention factor come from posenc's frequency layer at 50 digits
// (posenc::rope<cpp_bin_float_50>, the one place of every rule), kept as double-doubles (106 bits).
// The angle p * theta is formed exactly (two_prod) and reduced by 2 pi held as three doubles
// (k * 2 pi with |k| < 2^38 is exact to 2^-120), then sin and cos are taken in long double: the
// value is within about 2^-62 of the exact one, 2^-9 ulp of a float64 at 1 and far below for the
// narrower types. A failure mode that rounds the angle (float32 products, TF32, ggml's recurrence)
// yields an angle that is a double exactly and goes through the same path.
#pragma once

#include "artifact.hpp"

#include <posenc/math/constants.hpp>
#include <posenc/math/double_t.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace posenc::check {

using ddouble = math::dd<double>;

/// 2 pi as three doubles (from the 50-digit pi).
struct two_pi_parts {
    double p1, p2, p3;
};
inline const two_pi_parts& two_pi3() {
    static const two_pi_parts t = [] {
        const hp v = math::two_pi<hp>();
        const double a = static_cast<double>(v);
        const double b = static_cast<double>(hp(v - a));
        const double c = static_cast<double>(hp(v - a - b));
        return two_pi_parts{a, b, c};
    }();
    return t;
}

/// sin and cos of p * theta (p an integer with |p| <= 2^40, theta a double-double), to ~2^-62.
struct sc {
    long double s;
    long double c;
};
inline sc sincos_exact(long long p, const ddouble& theta) {
    const auto pd = static_cast<double>(p);  // exact
    const ddouble a0 = math::two_prod(pd, theta.hi);
    const double lo = a0.lo + pd * theta.lo;
    const two_pi_parts& t = two_pi3();
    const double k = std::nearbyint(a0.hi / t.p1);
    const ddouble kp = math::two_prod(k, t.p1);
    const double d = a0.hi - kp.hi;  // exact (Sterbenz, or k = 0)
    const long double r = static_cast<long double>(d) - static_cast<long double>(kp.lo) + static_cast<long double>(lo) -
                          static_cast<long double>(k) * t.p2 - static_cast<long double>(k) * t.p3;
    return {std::sin(r), std::cos(r)};
}

/// The exact angle p * theta, unreduced, in long double (for the shape of an error).
inline long double angle_of(long long p, const ddouble& theta) {
    return static_cast<long double>(p) * (static_cast<long double>(theta.hi) + theta.lo);
}

inline ddouble to_dd(const hp& v) {
    const double a = static_cast<double>(v);
    return {a, static_cast<double>(hp(v - a))};
}

/// How the angles of pair i are formed.
enum class angle_rule {
    exact,           ///< p * theta_i exactly
    product_f32,     ///< fl32(theta32_i * fl32(p))
    product_tf32,    ///< tf32(theta32_i) * tf32(fl32(p)) (exact in float32)
    product_narrow,  ///< fl(theta_i * fl(p)) in a float16/bfloat16 format
    ggml,            ///< ggml's float recurrence a_{i+1} = fl32(a_i * s), a_0 = fl32(p)
};

/// A model of the artifact: the reference, or a failure mode.
struct model {
    std::vector<ddouble> theta{};      ///< per artifact pair (rounded modes: a double in .hi)
    angle_rule rule = angle_rule::exact;
    const format* narrow = nullptr;    ///< product_narrow's format
    double ggml_scale = 0;             ///< ggml: s = fl32(base^(-2/rot))
    double ggml_freq_scale = 1;        ///< ggml: fl32(1 / linear factor)
    long double amplitude = 1;         ///< the factor on cos and sin
    const format* store = nullptr;     ///< cos and sin rounded to this before use
    std::vector<mrope_axis> axes{};    ///< per artifact pair
    long long offset = 0;              ///< added to every position
    bool swapped = false;              ///< laid out in the other pairing
    const format* neighbours = nullptr;  ///< try theta_i +- `radius` quanta of this format per pair
    int radius = 0;
};

/// The artifact's errors under a model: per element |artifact - model| / quantum, with the quantum
/// of the expected dtype at the reference's scale (fixed per problem; see scales).
struct scales {
    std::vector<long double> inv_freq_q{};  ///< per pair (inv_freq): quantum at the exact theta
    long double cache_q = 0;                 ///< quantum at the attention factor
    long double attention = 1;               ///< the reference attention factor
};

/// Angle of pair i for position p under rule m (a double exactly; not for angle_rule::exact).
inline double rounded_angle(const model& m, double theta_i, int i, long long p) {
    switch (m.rule) {
        case angle_rule::product_f32: {
            const double pf = round_to(static_cast<long double>(p), float32_format);
            return round_to(static_cast<long double>(theta_i) * pf, float32_format);
        }
        case angle_rule::product_tf32: {
            const double pf = round_to(round_to(static_cast<long double>(p), float32_format), tf32_format);
            return round_to(static_cast<long double>(round_to(theta_i, tf32_format)) * pf, float32_format);
        }
        case angle_rule::product_narrow: {
            const double pf = round_to(static_cast<long double>(p), *m.narrow);
            return round_to(static_cast<long double>(theta_i) * pf, *m.narrow);
        }
        case angle_rule::ggml: {
            auto a = static_cast<float>(p);
            const auto s = static_cast<float>(m.ggml_scale);
            for (int k = 0; k < i; ++k) a = a * s;
            return static_cast<double>(static_cast<float>(m.ggml_freq_scale) * a);
        }
        case angle_rule::exact: break;
    }
    return 0;
}

/// cos and sin of pair i at every token under model m with pair value theta_i.
inline void column_values(const problem& pr, const model& m, int i, const ddouble& theta_i, std::vector<sc>& out) {
    const std::size_t T = pr.tokens();
    out.resize(T);
    const auto axis = static_cast<std::size_t>(m.axes[static_cast<std::size_t>(i)]);
    for (std::size_t j = 0; j < T; ++j) {
        const long long p = pr.positions[j][axis] + m.offset;
        sc v = m.rule == angle_rule::exact ? sincos_exact(p, theta_i)
                                           : sincos_exact(1, ddouble{rounded_angle(m, theta_i.hi, i, p), 0.0});
        v.c *= m.amplitude;
        v.s *= m.amplitude;
        if (m.store != nullptr && pr.kind == artifact_kind::rotated) {  // caches: rounded in visit_pair
            v.c = round_to(round_to(v.c, float32_format), *m.store);
            v.s = round_to(round_to(v.s, float32_format), *m.store);
        }
        out[j] = v;
    }
}


/// A predicted value: an interval [lo, hi] (a point for an exact model; the roundings of a value
/// known to within half a float32 quantum for a model that rounds to a narrower format).
struct predicted {
    long double lo;
    long double hi;
};

/// |a - b| / q, infinite for a NaN or infinite artifact value.
inline double ulps(double a, long double b, long double q) {
    const long double e = std::fabs(static_cast<long double>(a) - b) / q;
    return std::isfinite(static_cast<double>(a)) && std::isfinite(static_cast<double>(e)) ? static_cast<double>(e)
                                                                                          : std::numeric_limits<double>::infinity();
}

/// The distance from a to [b.lo, b.hi] in quanta q.
inline double ulps(double a, const predicted& b, long double q) {
    const auto x = static_cast<long double>(a);
    if (!std::isfinite(a) && (a == b.lo || (std::isnan(a) && std::isnan(static_cast<double>(b.lo))))) return 0.0;  // the model predicts it
    if (x >= b.lo && x <= b.hi) return 0.0;
    return ulps(a, x < b.lo ? b.lo : b.hi, q);
}

/// v rounded to f by a pipeline that computed it in float32 first (a faithful float32 sin/cos,
/// within 2 float32 quanta of v, then a cast: the common case) or in a wider type: the roundings
/// of [v - 2q, v + 2q], as an interval. Only values that close to a midpoint of f can go both ways.
inline predicted round_interval(long double v, const format& f) {
    if (f.p >= float32_format.p) {
        const long double r = round_to(v, f);
        return {r, r};
    }
    const long double d = 2 * quantum(v, float32_format);
    const long double a = round_to(v - d, f);
    const long double b = round_to(v + d, f);
    const long double r = round_to(v, f);
    return {std::min({a, b, r}), std::max({a, b, r})};
}

/// Visits every element of pair i (and, with i == -1, the pass-through columns) under model m:
/// f(part index, token j, row r, column w, predicted (an interval), quantum). With `storage`, a
/// model's values are rounded to the artifact's dtype when it is narrower than the expected one.
template <class F>
void visit_pair(const problem& pr, const model& m, const scales& sc_, int i, const ddouble& theta_i, std::vector<sc>& col, F&& f,
                bool storage = true) {
    // a failure mode's values were stored in the artifact's dtype; the reference is exact
    const bool narrow_store = storage && format_of(pr.stored).p < format_of(pr.expect).p;
    const format& stored = format_of(pr.stored);
    auto finish = [&](long double v) { return narrow_store ? round_interval(v, stored) : predicted{v, v}; };
    if (pr.kind == artifact_kind::inv_freq) {
        const auto w = static_cast<std::size_t>(i);
        const long double v = static_cast<long double>(theta_i.hi) + theta_i.lo;
        // the quantum at the model's own value (the reference's: at the exact theta)
        const long double q = std::isfinite(static_cast<double>(v)) ? quantum(v, format_of(pr.expect)) : sc_.inv_freq_q[w];
        f(std::size_t{0}, std::size_t{0}, std::size_t{0}, w, finish(v), q);
        return;
    }
    if (i >= 0) column_values(pr, m, i, theta_i, col);
    for (std::size_t k = 0; k < pr.parts.size(); ++k) {
        const part& p = pr.parts[k];
        const std::vector<column>& cols = m.swapped && !p.swapped.empty() ? p.swapped : p.columns;
        for (std::size_t w = 0; w < p.width; ++w) {
            const column& c = cols[w];
            if (i >= 0 ? (c.what == role::pass || c.pair != i) : c.what != role::pass) continue;
            for (std::size_t j = 0; j < p.tokens; ++j) {
                for (std::size_t r = 0; r < p.rows; ++r) {
                    long double pred = 0;
                    long double q = sc_.cache_q;
                    if (pr.kind == artifact_kind::cos_sin) {
                        pred = r == 0 ? col[j].c : col[j].s;
                        if (m.store != nullptr) {
                            predicted v = round_interval(pred, *m.store);
                            if (narrow_store) v = {round_interval(v.lo, stored).lo, round_interval(v.hi, stored).hi};
                            f(k, j, r, w, v, q);
                            continue;
                        }
                    } else {
                        const long double own = p.at(p.x, j, r, w);
                        // the unit: the norm of the pair as this model pairs the dims
                        const long double partner0 = c.partner >= 0 ? p.at(p.x, j, r, static_cast<std::size_t>(c.partner)) : 0.0L;
                        const long double norm = std::sqrt(own * own + partner0 * partner0);
                        if (c.what == role::pass) {
                            pred = own;
                            q = quantum(std::fabs(own), format_of(pr.expect));
                        } else {
                            const long double partner = p.at(p.x, j, r, static_cast<std::size_t>(c.partner));
                            pred = c.what == role::first ? own * col[j].c - partner * col[j].s : own * col[j].c + partner * col[j].s;
                            q = quantum(norm * sc_.attention, format_of(pr.expect));
                        }
                    }
                    f(k, j, r, w, finish(pred), q);
                }
            }
        }
    }
}

/// The theta values tried for pair i under m (the model's own, and its neighbours).
inline std::vector<ddouble> candidates(const model& m, int i) {
    const ddouble t = m.theta[static_cast<std::size_t>(i)];
    std::vector<ddouble> c{t};
    if (m.neighbours != nullptr) {
        for (int k = 1; k <= m.radius; ++k) {
            c.push_back({step(t.hi, k, *m.neighbours), 0.0});
            c.push_back({step(t.hi, -k, *m.neighbours), 0.0});
        }
    }
    return c;
}

/// Max error of the artifact under model m, per artifact pair (the last entry: pass-through
/// columns), each pair at its best neighbour. `stop`: give up (return early) once an error above
/// it is found in a pair with no better candidate (the caller only needs to know it is worse).
inline std::vector<double> pair_errors(const problem& pr, const model& m, const scales& s,
                                       double stop = std::numeric_limits<double>::infinity()) {
    std::vector<double> out(static_cast<std::size_t>(pr.art_pairs) + 1, 0.0);
    std::vector<sc> col;
    for (int i = 0; i < pr.art_pairs; ++i) {
        double best = std::numeric_limits<double>::infinity();
        for (const ddouble& t : candidates(m, i)) {
            double worst = 0;
            visit_pair(pr, m, s, i, t, col, [&](std::size_t k, std::size_t j, std::size_t r, std::size_t w, const predicted& pred, long double q) {
                const part& p = pr.parts[k];
                worst = std::max(worst, ulps(p.at(p.y, j, r, w), pred, q));
            });
            best = std::min(best, worst);
        }
        out[static_cast<std::size_t>(i)] = best;
        if (best > stop) {
            for (std::size_t u = static_cast<std::size_t>(i) + 1; u < out.size(); ++u) out[u] = best;
            return out;
        }
    }
    if (pr.kind == artifact_kind::rotated) {
        double worst = 0;
        visit_pair(pr, m, s, -1, ddouble{0, 0}, col, [&](std::size_t k, std::size_t j, std::size_t r, std::size_t w, const predicted& pred, long double q) {
            const part& p = pr.parts[k];
            worst = std::max(worst, ulps(p.at(p.y, j, r, w), pred, q));
        });
        out.back() = worst;
    }
    return out;
}

inline double max_of(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m = std::max(m, x);
    return m;
}

}  // namespace posenc::check
