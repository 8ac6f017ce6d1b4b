// posenc/check/diagnose.hpp: the failure modes `posenc check` knows, each a model of the
// artifact with a parameter fitted to it (see the table in the README's "Is my RoPE right?").
// A mode explains the artifact when the artifact is within the tolerance of the mode's model, in
// the same ulps the error is measured in; modes are ranked by that residual.
//
// Fitted parameters
//   positions offset k   from the phase of the slowest pair (wrap(phi - p theta) = k theta while
//                        |k theta| < pi), refined through the faster pairs; k-1, k, k+1 are tried.
//   base                 from the pairs' frequencies (the artifact's inv_freq, or each pair's
//                        phase advance per position, unwrapped in order of distance): a
//                        least-squares line of ln theta_i against 2i/rot for the rules with
//                        theta_i = c base^(-2i/rot), a golden-section search on the same sum of
//                        squares through the rule otherwise; then the shortest decimal that explains.
//   dynamic length L     from that base: base' = base (f L / L_max - (f - 1))^(rot / (rot - 2))
//                        (transformers _compute_dynamic_ntk_parameters) solved for L; L-2 .. L+2.
//   M-RoPE sections      every [t, h, w] within 8 of the configured one, both maps.
//   rounded values       a format's rounding of theta_i and its neighbours within 2 quanta (a
//                        float32 pow need not be correctly rounded), per pair.
//   fast sin/cos         no model: the angle error per octave of |angle| grows like |angle| (a
//                        log-log slope in [0.7, 1.3] over at least 3 octaves) while the small
//                        angles are right.
#pragma once

#include "model.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace posenc::check {

using json = nlohmann::ordered_json;

/// One named cause.
struct diagnosis_entry {
    std::string mode;
    json parameters = json::object();
    double residual = std::numeric_limits<double>::quiet_NaN();  ///< max ulps under the mode (NaN: no model)
    bool explains = false;
    std::string text;
    std::optional<model> fitted{};  ///< the mode's model (to re-check it on the whole artifact)
};

namespace detail {

inline std::string num(double v, int digits = 6) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*g", digits, v);
    return b;
}

inline long double wrap(long double a) {
    const long double tp = 2 * static_cast<long double>(M_PI);
    a = std::fmod(a, tp);
    if (a > static_cast<long double>(M_PI)) a -= tp;
    if (a < -static_cast<long double>(M_PI)) a += tp;
    return a;
}

inline long double median(std::vector<long double> v) {
    if (v.empty()) return std::numeric_limits<long double>::quiet_NaN();
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    return *mid;
}

/// theta_i of a parameter set as double-doubles, `count` of them (NaN beyond the rule's pairs).
inline std::vector<ddouble> thetas(const rope_params<hp>& p, int count) {
    const posenc::rope<hp> r(p);
    std::vector<ddouble> t(static_cast<std::size_t>(count),
                           ddouble{std::numeric_limits<double>::quiet_NaN(), 0.0});
    for (std::size_t i = 0; i < t.size() && i < r.inv_freq().size(); ++i) t[i] = to_dd(r.inv_freq()[i]);
    return t;
}

inline long double attention_of(const rope_params<hp>& p) {
    const posenc::rope<hp> r(p);
    return static_cast<long double>(r.attention_factor());
}

inline std::string layout_text(pair_layout l) {
    return l == pair_layout::half_split ? "half-split (NeoX, rotate_half)" : "interleaved (GPT-J)";
}

}  // namespace detail

/// The context every mode is built from.
struct context {
    const problem& pr;
    model reference;
    scales unit;
    double error = 0;  ///< the artifact's max error under the reference
};

/// The reference model of a problem.
inline model reference_model(const problem& pr) {
    model m;
    m.theta = detail::thetas(pr.params, pr.art_pairs);
    m.amplitude = detail::attention_of(pr.params);
    m.axes = pr.axes;
    m.axes.resize(static_cast<std::size_t>(pr.art_pairs), mrope_axis::t);
    return m;
}

inline scales make_scales(const problem& pr, const model& ref) {
    scales s;
    s.attention = ref.amplitude;
    s.cache_q = quantum(ref.amplitude, format_of(pr.expect));
    for (const ddouble& t : ref.theta) s.inv_freq_q.push_back(quantum(static_cast<long double>(t.hi) + t.lo, format_of(pr.expect)));
    return s;
}

/// Observed angle of pair i at token j (NaN when not available): atan2(sin, cos) of a cache, or the
/// rotation from x to y of the row with the largest pair (configured layout).
inline std::vector<std::vector<long double>> observed_angles(const problem& pr) {
    const std::size_t T = pr.tokens();
    std::vector<std::vector<long double>> phi(static_cast<std::size_t>(pr.art_pairs),
                                              std::vector<long double>(T, std::numeric_limits<long double>::quiet_NaN()));
    if (pr.kind == artifact_kind::inv_freq) return phi;
    const part& p = pr.parts[0];
    for (std::size_t w = 0; w < p.width; ++w) {
        const column& c = p.columns[w];
        if (c.what == role::pass || c.what == role::second) continue;
        auto& row = phi[static_cast<std::size_t>(c.pair)];
        for (std::size_t j = 0; j < T; ++j) {
            if (!std::isnan(static_cast<double>(row[j]))) continue;
            if (pr.kind == artifact_kind::cos_sin) {
                row[j] = std::atan2(static_cast<long double>(p.at(p.y, j, 1, w)), static_cast<long double>(p.at(p.y, j, 0, w)));
            } else {
                long double best = -1;
                for (std::size_t r = 0; r < p.rows; ++r) {
                    const long double xa = p.at(p.x, j, r, w);
                    const long double xb = p.at(p.x, j, r, static_cast<std::size_t>(c.partner));
                    const long double ya = p.at(p.y, j, r, w);
                    const long double yb = p.at(p.y, j, r, static_cast<std::size_t>(c.partner));
                    const long double n = xa * xa + xb * xb;
                    if (n > best) {
                        best = n;
                        row[j] = std::atan2(xa * yb - xb * ya, xa * ya + xb * yb);
                    }
                }
            }
        }
    }
    return phi;
}

/// Frequency of a pair from its phases: start from the closest two positions, then unwrap in order
/// of distance from the first. NaN when fewer than two distinct positions.
inline long double estimate_frequency(const std::vector<long long>& pos, const std::vector<long double>& phase) {
    std::vector<std::size_t> idx;
    for (std::size_t j = 0; j < pos.size(); ++j)
        if (std::isfinite(static_cast<double>(phase[j]))) idx.push_back(j);
    if (idx.size() < 2) return std::numeric_limits<long double>::quiet_NaN();
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return pos[a] < pos[b]; });
    const std::size_t a = idx.front();
    std::vector<std::size_t> rest(idx.begin() + 1, idx.end());
    std::sort(rest.begin(), rest.end(), [&](std::size_t u, std::size_t v) { return pos[u] - pos[a] < pos[v] - pos[a]; });
    long double omega = std::numeric_limits<long double>::quiet_NaN();
    for (std::size_t u : rest) {
        const auto d = static_cast<long double>(pos[u] - pos[a]);
        if (d == 0) continue;
        if (std::isnan(static_cast<double>(omega))) {
            omega = detail::wrap(phase[u] - phase[a]) / d;
            continue;
        }
        const long double r = detail::wrap(phase[u] - phase[a] - omega * d);
        omega += r / d;
    }
    return omega;
}

/// Per-pair frequencies of the artifact (inv_freq: its values).
inline std::vector<long double> estimate_frequencies(const problem& pr, const std::vector<std::vector<long double>>& phi) {
    std::vector<long double> om(static_cast<std::size_t>(pr.art_pairs), std::numeric_limits<long double>::quiet_NaN());
    if (pr.kind == artifact_kind::inv_freq) {
        for (std::size_t i = 0; i < om.size(); ++i) om[i] = pr.parts[0].y[i];
        return om;
    }
    for (std::size_t i = 0; i < om.size(); ++i) {
        std::vector<long long> pos(pr.tokens());
        const auto axis = static_cast<std::size_t>(i < pr.axes.size() ? pr.axes[i] : mrope_axis::t);
        for (std::size_t j = 0; j < pos.size(); ++j) pos[j] = pr.positions[j][axis];
        om[i] = estimate_frequency(pos, phi[i]);
    }
    return om;
}

/// Positions offset k: see the file comment. Returns 0 when it cannot be estimated.
inline long long estimate_offset(const problem& pr, const model& ref, const std::vector<std::vector<long double>>& phi) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < phi.size() && i < ref.theta.size(); ++i)
        if (std::isfinite(ref.theta[i].hi) && ref.theta[i].hi > 0) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ref.theta[a].hi < ref.theta[b].hi; });
    long double k = std::numeric_limits<long double>::quiet_NaN();
    for (std::size_t i : order) {
        const long double th = static_cast<long double>(ref.theta[i].hi) + ref.theta[i].lo;
        const auto axis = static_cast<std::size_t>(ref.axes[i]);
        std::vector<long double> d;
        for (std::size_t j = 0; j < pr.tokens(); ++j) {
            if (!std::isfinite(static_cast<double>(phi[i][j]))) continue;
            const sc e = sincos_exact(pr.positions[j][axis], ref.theta[i]);
            const long double base = std::isnan(static_cast<double>(k)) ? 0.0L : k * th;
            d.push_back(detail::wrap(phi[i][j] - std::atan2(e.s, e.c) - base));
        }
        const long double r = detail::median(d);
        if (std::isnan(static_cast<double>(r))) continue;
        if (std::isnan(static_cast<double>(k))) {
            k = r / th;
        } else if (std::fabs(r) < 1) {
            k += r / th;
        }
    }
    if (!std::isfinite(static_cast<double>(k)) || std::fabs(k) > static_cast<long double>(max_position)) return 0;
    return std::llround(static_cast<double>(k));
}

/// The artifact's max error under m (stopping early above `stop`).
inline double residual(const context& cx, const model& m, double stop = std::numeric_limits<double>::infinity()) {
    return max_of(pair_errors(cx.pr, m, cx.unit, stop));
}

/// Sum of squares of ln theta_i(params) - ln omega_i over the pairs with an estimate.
inline double frequency_misfit(const rope_params<hp>& p, int count, const std::vector<long double>& omega) {
    const std::vector<ddouble> t = detail::thetas(p, count);
    double s = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (!(omega[i] > 0) || !(t[i].hi > 0)) continue;
        const double d = std::log(t[i].hi) - static_cast<double>(std::log(omega[i]));
        s += d * d;
    }
    return s;
}

/// The base that best fits the frequencies (NaN when it cannot be estimated).
inline double estimate_base(const problem& pr, const std::vector<long double>& omega) {
    const rope_params<hp>& p = pr.params;
    const bool power_law = p.variant == rope_variant::standard || p.variant == rope_variant::linear ||
                           p.variant == rope_variant::dynamic;
    const double rot = pr.rotary_dim;
    // least squares of ln omega_i against x_i = 2i/rot: slope = -ln base
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (std::size_t i = 0; i < omega.size(); ++i) {
        if (!(omega[i] > 0) || !std::isfinite(static_cast<double>(omega[i]))) continue;
        const double x = 2.0 * static_cast<double>(i) / rot;
        const double y = static_cast<double>(std::log(omega[i]));
        sx += x, sy += y, sxx += x * x, sxy += x * y;
        ++n;
    }
    if (n < 2) return std::numeric_limits<double>::quiet_NaN();
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    const double b0 = std::exp(-slope);
    if (power_law || !std::isfinite(b0) || b0 <= 1) return b0;
    // golden section on ln base through the rule
    double lo = std::log(b0) - 1.0;
    double hi = std::log(b0) + 1.0;
    lo = std::max(lo, 1e-6);
    const double g = (std::sqrt(5.0) - 1) / 2;
    auto f = [&](double lb) {
        rope_params<hp> q = p;
        q.base = hp(std::exp(lb));
        try {
            return frequency_misfit(q, pr.art_pairs, omega);
        } catch (const std::exception&) {
            return std::numeric_limits<double>::infinity();
        }
    };
    double c = hi - g * (hi - lo);
    double d = lo + g * (hi - lo);
    double fc = f(c);
    double fd = f(d);
    for (int it = 0; it < 60 && hi - lo > 1e-12; ++it) {
        if (fc < fd) {
            hi = d, d = c, fd = fc, c = hi - g * (hi - lo), fc = f(c);
        } else {
            lo = c, c = d, fc = fd, d = lo + g * (hi - lo), fd = f(d);
        }
    }
    return std::exp((lo + hi) / 2);
}

/// The shortest decimal (1 to 10 significant digits) of b whose model explains the artifact, else b.
inline double shortest_base(const context& cx, double b, const std::function<model(double)>& make, double& res) {
    res = std::numeric_limits<double>::infinity();
    for (int digits = 1; digits <= 10; ++digits) {
        const double r = std::stod(detail::num(b, digits));
        try {
            const double e = residual(cx, make(r), cx.pr.tolerance);
            if (e <= cx.pr.tolerance) {
                res = e;
                return r;
            }
        } catch (const std::exception&) {
        }
    }
    try {
        res = residual(cx, make(b));
    } catch (const std::exception&) {
    }
    return b;
}

/// Fast sin/cos: the max angle error per octave of |angle| grows like |angle| (log-log slope in
/// [0.7, 1.3] over at least 3 octaves above the tolerance's floor). Fills `slope`, the least-squares
/// rate of the signed error against the angle (a reduction by a rounded 2 pi: (fl(2 pi) - 2 pi) / 2 pi
/// up to sign; about 0 for errors of random sign), and `envelope`, the largest |error| / |angle|.
inline bool fast_sincos_shape(const context& cx, const std::vector<std::vector<long double>>& phi, double& slope, double& envelope) {
    const problem& pr = cx.pr;
    if (pr.kind == artifact_kind::inv_freq) return false;
    std::map<int, long double> octave_max;
    long double sea = 0, saa = 0, env = 0;
    for (std::size_t i = 0; i < phi.size() && i < cx.reference.theta.size(); ++i) {
        const auto axis = static_cast<std::size_t>(cx.reference.axes[i]);
        for (std::size_t j = 0; j < pr.tokens(); ++j) {
            if (!std::isfinite(static_cast<double>(phi[i][j]))) continue;
            const long long p = pr.positions[j][axis];
            const long double a = angle_of(p, cx.reference.theta[i]);
            if (!(std::fabs(a) >= 1)) continue;
            const sc e = sincos_exact(p, cx.reference.theta[i]);
            const long double err = detail::wrap(phi[i][j] - std::atan2(e.s, e.c));
            sea += err * a;
            saa += a * a;
            env = std::max(env, std::fabs(err) / std::fabs(a));
            int oc = 0;
            (void)std::frexp(std::fabs(a), &oc);
            octave_max[oc] = std::max(octave_max[oc], std::fabs(err));
        }
    }
    // the angle error that the tolerance allows
    const long double floor_ = cx.pr.tolerance * cx.unit.cache_q / std::max(cx.unit.attention, 1e-300L);
    std::vector<std::pair<double, double>> pts;
    for (const auto& [oc, m] : octave_max)
        if (m > 2 * floor_) pts.emplace_back(oc, std::log2(static_cast<double>(m)));
    if (pts.size() < 3) return false;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const auto n = static_cast<double>(pts.size());
    for (const auto& [x, y] : pts) sx += x, sy += y, sxx += x * x, sxy += x * y;
    const double b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    if (!(b >= 0.7 && b <= 1.3)) return false;
    slope = static_cast<double>(sea / saa);
    envelope = static_cast<double>(env);
    return true;
}

/// Every applicable mode, fitted, with its residual; sorted (explaining ones first, by residual).
inline std::vector<diagnosis_entry> diagnose(const context& cx) {
    const problem& pr = cx.pr;
    const rope_params<hp>& P = pr.params;
    const model& R = cx.reference;
    const double tol = pr.tolerance;
    std::vector<diagnosis_entry> out;
    auto add = [&](std::string mode, json params, const model& m, std::string text) {
        diagnosis_entry d{std::move(mode), std::move(params), residual(cx, m), false, std::move(text), m};
        d.explains = d.residual <= tol;
        out.push_back(std::move(d));
    };
    const bool positional = pr.kind != artifact_kind::inv_freq;
    const auto phi = observed_angles(pr);

    // pairing
    if (positional && !pr.parts[0].swapped.empty()) {
        model m = R;
        m.swapped = true;
        const pair_layout built = detail::other(P.layout);
        add("layout_swapped", {{"built_for", std::string(layout_name(built))}}, m,
            "built for the " + detail::layout_text(built) + " pairing; the rope is " + detail::layout_text(P.layout));
    }
    // positions offset
    if (positional) {
        const long long k0 = estimate_offset(pr, R, phi);
        diagnosis_entry best;
        for (long long k = k0 - 1; k <= k0 + 1; ++k) {
            if (k == 0) continue;
            model m = R;
            m.offset = k;
            const double r = residual(cx, m);
            if (best.mode.empty() || r < best.residual) {
                best = {"positions_offset", {{"k", k}}, r, r <= tol,
                        "positions offset by " + std::string(k > 0 ? "+" : "") + std::to_string(k) +
                            ": the value at position p is the exact one at p " + (k > 0 ? "+ " : "- ") + std::to_string(std::llabs(k))};
                best.fitted = m;
            }
        }
        if (!best.mode.empty()) out.push_back(best);
    }
    // theta rounded first
    for (const format* f : {&float32_format, &float16_format, &bfloat16_format}) {
        if (!positional && f->p >= format_of(pr.expect).p) continue;
        model m = R;
        for (ddouble& t : m.theta) t = {round_to(static_cast<long double>(t.hi) + t.lo, *f), 0.0};
        m.neighbours = f;
        m.radius = f == &float32_format ? 2 : 1;
        add("inv_freq_rounded", {{"dtype", std::string(f->name)}}, m,
            "inv_freq rounded to " + std::string(f->name) + " before the angles were formed");
    }
    // the angle product
    if (positional) {
        struct prod {
            const char* name;
            angle_rule rule;
            const format* theta_format;
            std::string text;
        };
        const prod prods[] = {
            {"float32", angle_rule::product_f32, &float32_format, "the angle p*theta formed in float32 (theta rounded to float32, the product rounded)"},
            {"tf32", angle_rule::product_tf32, &float32_format, "the angle p*theta formed by a TF32 matmul (operands rounded to 11 significant bits)"},
            {"float16", angle_rule::product_narrow, &float16_format, "the angle p*theta formed in float16 (theta, position and product rounded)"},
            {"bfloat16", angle_rule::product_narrow, &bfloat16_format, "the angle p*theta formed in bfloat16 (theta, position and product rounded)"},
        };
        for (const prod& q : prods) {
            model m = R;
            m.rule = q.rule;
            if (q.rule == angle_rule::product_narrow) m.narrow = q.theta_format;
            for (ddouble& t : m.theta) t = {round_to(static_cast<long double>(t.hi) + t.lo, *q.theta_format), 0.0};
            m.neighbours = q.theta_format;
            m.radius = q.theta_format == &float32_format ? 2 : 1;
            add("angle_product", {{"dtype", q.name}}, m, q.text);
        }
    }
    // ggml's recurrence (default and linear ropes)
    if ((P.variant == rope_variant::standard || P.variant == rope_variant::linear) && !pr.is_mrope) {
        const hp s_exact = boost::multiprecision::pow(P.base, hp(-2) / pr.rotary_dim);
        const double s0 = round_to(static_cast<long double>(s_exact), float32_format);
        const double fs = P.variant == rope_variant::linear ? round_to(1.0L / static_cast<long double>(P.factor), float32_format) : 1.0;
        diagnosis_entry best;
        for (int k = -2; k <= 2; ++k) {
            model m = R;
            m.rule = angle_rule::ggml;
            m.ggml_scale = step(s0, k, float32_format);
            m.ggml_freq_scale = fs;
            if (!positional) {  // inv_freq: the recurrence's values at position 1
                for (int i = 0; i < pr.art_pairs; ++i) m.theta[static_cast<std::size_t>(i)] = {rounded_angle(m, 0, i, 1), 0.0};
                m.rule = angle_rule::exact;
            }
            const double r = residual(cx, m);
            if (best.mode.empty() || r < best.residual) {
                best = {"ggml_recurrence", json::object(), r, r <= tol,
                        "ggml's float32 recurrence theta_(i+1) = theta_i * base^(-2/d) (ggml-cpu rope_yarn, theta_scale)"};
                best.fitted = m;
            }
        }
        out.push_back(best);
    }
    // cos/sin stored narrow
    if (positional) {
        for (const format* f : {&float16_format, &bfloat16_format}) {
            // a rounding to a format wider than the storage is hidden by the storage's
            if (f->p >= format_of(pr.expect).p || f->p > format_of(pr.stored).p) continue;
            model m = R;
            m.store = f;
            add("cos_sin_stored", {{"dtype", std::string(f->name)}}, m,
                "cos and sin stored in " + std::string(f->name) + " (expected " + std::string(dtype_name(pr.expect)) + ")");
        }
    }
    // attention factor
    if (positional) {
        const long double att = R.amplitude;
        auto amp = [&](const std::string& kind, long double a, const std::string& text) {
            model m = R;
            m.amplitude = a;
            add("attention_factor", {{"kind", kind}, {"value", static_cast<double>(a)}}, m, text);
        };
        if (att != 1) {
            amp("missing", 1, "attention factor missing: cos and sin not scaled by " + detail::num(static_cast<double>(att)));
            amp("twice", att * att, "attention factor applied twice: " + detail::num(static_cast<double>(att * att)) +
                                        " instead of " + detail::num(static_cast<double>(att)));
        }
        if (P.variant == rope_variant::yarn && P.attention_factor == 0 && (P.mscale != 0 || P.mscale_all_dim != 0)) {
            rope_params<hp> q = P;
            q.mscale = 0;
            q.mscale_all_dim = 0;
            const long double a = detail::attention_of(q);
            if (a != att) {
                amp("mscale_ignored", a, "YaRN mscale/mscale_all_dim ignored: attention factor " + detail::num(static_cast<double>(a)) +
                                             " (0.1 ln(factor) + 1) instead of " + detail::num(static_cast<double>(att)));
            }
        }
    }
    // partial rotary over the whole head
    if (pr.rotary_dim < P.head_dim) {
        rope_params<hp> q = P;
        q.partial_rotary_factor = 1;
        q.mrope_section.clear();
        model m = R;
        m.theta = detail::thetas(q, pr.art_pairs);
        add("partial_rotary_full_head", {{"head_dim", P.head_dim}}, m,
            "partial rotary computed over the full head: theta_i = base^(-2i/" + std::to_string(P.head_dim) + ") instead of base^(-2i/" +
                std::to_string(pr.rotary_dim) + ")");
    }
    // another base, and dynamic NTK for another length
    const std::vector<long double> omega = estimate_frequencies(pr, phi);
    const double b_hat = estimate_base(pr, omega);
    const double b_conf = static_cast<double>(P.base);
    if (std::isfinite(b_hat) && b_hat > 1 && std::fabs(b_hat - b_conf) > 1e-9 * b_conf) {
        auto make = [&](double b) {
            rope_params<hp> q = P;
            q.base = hp(b);
            model m = R;
            m.theta = detail::thetas(q, pr.art_pairs);
            m.amplitude = detail::attention_of(q);
            return m;
        };
        double res = 0;
        const double b = shortest_base(cx, b_hat, make, res);
        if (std::fabs(b - b_conf) > 1e-12 * b_conf) {
            diagnosis_entry d{"base", {{"base", b}}, res, res <= tol,
                              "another base: " + detail::num(b, 10) + " (configured " + detail::num(b_conf, 10) + ")"};
            d.fitted = make(b);
            out.push_back(d);
        }
        if (P.variant == rope_variant::dynamic && P.max_position_embeddings > 0) {
            const double f = static_cast<double>(P.factor);
            const double d = pr.rotary_dim;
            const double Lmax = static_cast<double>(P.max_position_embeddings);
            const double L = (std::pow(b_hat / b_conf, (d - 2) / d) + f - 1) * Lmax / f;
            diagnosis_entry best;
            if (std::isfinite(L) && L > 0 && L < 1e15) {
                const long long L0 = std::llround(L);
                std::vector<long long> cands;
                for (long long k = -2; k <= 2; ++k) cands.push_back(L0 + k);
                cands.push_back(0);
                for (long long c : cands) {
                    if (c < 0 || c == P.seq_len) continue;
                    rope_params<hp> q = P;
                    q.seq_len = c;
                    q.base = P.base;
                    model m = R;
                    try {
                        m.theta = detail::thetas(q, pr.art_pairs);
                    } catch (const std::exception&) {
                        continue;
                    }
                    const double r = residual(cx, m);
                    if (best.mode.empty() || r < best.residual) {
                        best = {"dynamic_length", {{"seq_len", c}}, r, r <= tol,
                                c == 0 ? std::string("dynamic NTK not applied (the base of a length <= max_position_embeddings)")
                                       : "dynamic NTK computed for seq_len " + std::to_string(c) +
                                             (P.seq_len > 0 ? " (configured " + std::to_string(P.seq_len) + ")" : "")};
                        best.fitted = m;
                    }
                }
            }
            if (!best.mode.empty()) out.push_back(best);
        }
    }
    // LongRoPE's other factor set
    if (P.variant == rope_variant::longrope && P.short_factor != P.long_factor) {
        rope_params<hp> q = P;
        const bool was_long = P.seq_len > P.original_max_position_embeddings;
        q.seq_len = was_long ? 0 : P.original_max_position_embeddings + 1;
        model m = R;
        m.theta = detail::thetas(q, pr.art_pairs);
        add("longrope_other_set", {{"set", was_long ? "short" : "long"}}, m,
            std::string("LongRoPE ") + (was_long ? "short" : "long") + "_factor used where " + (was_long ? "long" : "short") +
                "_factor applies (seq_len " + (was_long ? ">" : "<=") + " original_max_position_embeddings " +
                std::to_string(P.original_max_position_embeddings) + ")");
    }
    // M-RoPE map
    if (pr.is_mrope && positional) {
        bool vision = false;
        for (const auto& p : pr.positions) vision = vision || p[0] != p[1] || p[1] != p[2];
        if (vision) {
            const std::vector<long>& s0 = P.mrope_section;
            // candidates nearest the configured map first: equivalent maps (an interleaved cycle
            // longer than the pairs) keep the configured sections
            struct cand {
                long dist;
                bool inter;
                std::vector<long> sec;
            };
            std::vector<cand> cands;
            for (int il = 0; il < 2; ++il) {
                for (long a = std::max(0L, s0[0] - 8); a <= s0[0] + 8; ++a) {
                    for (long b = std::max(0L, s0[1] - 8); b <= s0[1] + 8; ++b) {
                        const long c = pr.pairs - a - b;
                        const long dist = std::labs(a - s0[0]) + std::labs(b - s0[1]) + std::labs(c - s0[2]);
                        const bool inter = il == 1;
                        if (c < 0 || dist > 8 || (inter == P.mrope_interleaved && dist == 0)) continue;
                        cands.push_back({dist + (inter != P.mrope_interleaved ? 0 : 1), inter, {a, b, c}});
                    }
                }
            }
            std::stable_sort(cands.begin(), cands.end(), [](const cand& x, const cand& y) { return x.dist < y.dist; });
            diagnosis_entry best;
            for (const cand& k : cands) {
                model m = R;
                m.axes = mrope_axis_map(pr.pairs, k.sec, k.inter);
                const double r = residual(cx, m, best.mode.empty() ? std::numeric_limits<double>::infinity() : best.residual);
                if (best.mode.empty() || r < best.residual) {
                    best = {"mrope_map", {{"interleaved", k.inter}, {"sections", k.sec}}, r, r <= tol,
                            std::string("M-RoPE pairs mapped ") + (k.inter ? "interleaved" : "in sections") + " [" +
                                std::to_string(k.sec[0]) + ", " + std::to_string(k.sec[1]) + ", " + std::to_string(k.sec[2]) +
                                "]; the config says " + (P.mrope_interleaved ? "interleaved" : "sections") + " [" +
                                std::to_string(s0[0]) + ", " + std::to_string(s0[1]) + ", " + std::to_string(s0[2]) + "]"};
                    best.fitted = m;
                }
            }
            if (!best.mode.empty()) out.push_back(best);
        }
    }
    // theta over the full head is the base base^(rot/head_dim) over the rotated dims: the same
    // model; name the partial-rotary mistake
    if (pr.rotary_dim < P.head_dim) {
        const double b_partial = std::pow(b_conf, static_cast<double>(pr.rotary_dim) / P.head_dim);
        std::erase_if(out, [&](const diagnosis_entry& d) {
            return d.mode == "base" && std::fabs(d.parameters["base"].get<double>() - b_partial) <= 1e-6 * b_partial;
        });
    }
    std::stable_sort(out.begin(), out.end(), [](const diagnosis_entry& a, const diagnosis_entry& b) {
        if (a.explains != b.explains) return a.explains;
        return a.residual < b.residual;
    });
    // keep the ones that explain, else the close ones (residual below 1/8 of the error)
    std::vector<diagnosis_entry> kept;
    for (const diagnosis_entry& d : out)
        if (d.explains) kept.push_back(d);
    if (kept.empty()) {
        double slope = 0;
        double envelope = 0;
        if (fast_sincos_shape(cx, phi, slope, envelope)) {
            // a shape, not a model: it does not claim to explain the artifact to the tolerance
            kept.push_back({"fast_sincos", {{"slope", slope}, {"envelope", envelope}}, std::numeric_limits<double>::quiet_NaN(), false,
                            "sin/cos without proper range reduction: the angle error grows with |angle| (fitted " +
                                detail::num(slope, 3) + " rad per rad, at most " + detail::num(envelope, 3) + ")"});
        }
        for (const diagnosis_entry& d : out)
            if (d.residual < cx.error / 8 && kept.size() < 3) kept.push_back(d);
    }
    if (kept.empty()) {
        kept.push_back({"none", json::object(), std::numeric_limits<double>::quiet_NaN(), false,
                        "no known failure mode explains the artifact; see the error by position bucket and by pair"});
    }
    // a cache stored narrower than it is judged: the storage comes first, a fact about the
    // artifact (explaining it alone or not), then the modes that explain the rest
    if (pr.kind == artifact_kind::cos_sin && format_of(pr.stored).p < format_of(pr.expect).p) {
        const auto it = std::find_if(out.begin(), out.end(), [&](const diagnosis_entry& d) {
            return d.mode == "cos_sin_stored" && d.parameters["dtype"] == std::string(dtype_name(pr.stored));
        });
        if (it != out.end()) {
            std::erase_if(kept, [](const diagnosis_entry& d) { return d.mode == "cos_sin_stored" || d.mode == "none"; });
            kept.insert(kept.begin(), *it);
        }
    }
    // every model was stored in the artifact's narrower dtype: say so
    if (format_of(pr.stored).p < format_of(pr.expect).p) {
        for (diagnosis_entry& d : kept) {
            if (d.mode != "cos_sin_stored" && d.mode != "none") d.text += "; then stored in " + std::string(dtype_name(pr.stored));
        }
    }
    return kept;
}

}  // namespace posenc::check
