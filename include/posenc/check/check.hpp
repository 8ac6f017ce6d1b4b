// posenc/check/check.hpp: `posenc check` as a library — is this RoPE artifact right? The error of
// every element against the exact reference in ulps of the artifact's dtype, per position bucket,
// a verdict against a tolerance, and when outside it the failure modes that explain it
// (diagnose.hpp). Used by the posenc tool (experiments/cli/check.cpp) and by posenc.check in
// Python; the target posenc::check (Boost headers, nlohmann-json).
//
// The unit: |artifact - exact| / q, q the quantum of the expected dtype (default: the artifact's
// own) at the exact value (inv_freq) or at the pair's norm: the attention factor for cos/sin, the
// input pair's norm times it for rotated q/k (the pass-through dims: at the value). A correctly
// rounded artifact is within 0.5; posenc's float32 kernels are within 0.71 (posenc validate).
// Buckets: position 0, then [2^(k-1), 2^k); the largest of t, h, w for M-RoPE; inv_freq: per pair.
#pragma once

#include "diagnose.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace posenc::check {

/// One row of the report: an artifact array (cos, sin, q, ...) in one position bucket.
struct bucket_row {
    std::string artifact;
    int bucket = 0;        ///< 0: position 0; k: [2^(k-1), 2^k); inv_freq: the pair
    long long lo = 0;      ///< first position of the bucket (inv_freq: the pair)
    long long hi = 0;      ///< one past the last
    std::size_t entries = 0;
    double max_ulps = 0;
    double mean_ulps = 0;
    std::array<long long, 3> worst_position{};
    int worst_pair = 0;
    std::size_t worst_row = 0;
    int worst_column = 0;
    double value = 0;      ///< the artifact's value there
    double reference = 0;  ///< the exact value rounded to the expected dtype
};

struct report {
    bool passed = true;
    artifact_kind kind = artifact_kind::cos_sin;
    dtype stored = dtype::float32;
    dtype expect = dtype::float32;
    double tolerance = 1;
    double max_ulps = 0;
    std::size_t entries = 0;
    bool mrope = false;
    std::string cache_layout{};
    std::string layout{};
    int rotary_dim = 0;
    int pairs = 0;
    double attention_factor = 1;
    std::vector<bucket_row> buckets{};
    std::vector<double> by_pair{};  ///< max ulps per artifact pair (+ pass-through dims last, rotated)
    std::vector<diagnosis_entry> diagnosis{};
};

namespace detail {

inline int bucket_of(const std::array<long long, 3>& p) {
    const long long m = std::max({std::llabs(p[0]), std::llabs(p[1]), std::llabs(p[2])});
    if (m == 0) return 0;
    int e = 0;
    (void)std::frexp(static_cast<double>(m), &e);  // 2^(e-1) <= m < 2^e
    return e;
}

}  // namespace detail

/// Measures the artifact against the exact reference (no diagnosis).
inline report measure(const problem& pr, const model& ref, const scales& unit) {
    report rp;
    rp.kind = pr.kind;
    rp.stored = pr.stored;
    rp.expect = pr.expect;
    rp.tolerance = pr.tolerance;
    rp.mrope = pr.is_mrope;
    rp.cache_layout = pr.cache_layout_name;
    rp.layout = std::string(layout_name(pr.params.layout));
    rp.rotary_dim = pr.rotary_dim;
    rp.pairs = pr.pairs;
    rp.attention_factor = static_cast<double>(ref.amplitude);
    rp.by_pair.assign(static_cast<std::size_t>(pr.art_pairs) + (pr.kind == artifact_kind::rotated ? 1 : 0), 0.0);
    std::map<std::pair<std::string, int>, bucket_row> rows;
    std::map<std::pair<std::string, int>, long double> sums;
    std::vector<int> token_bucket(pr.tokens());
    for (std::size_t j = 0; j < pr.tokens(); ++j) token_bucket[j] = detail::bucket_of(pr.positions[j]);
    std::vector<sc> col;
    const format& ef = format_of(pr.expect);
    for (int i = (pr.kind == artifact_kind::rotated ? -1 : 0); i < pr.art_pairs; ++i) {
        const ddouble t = i >= 0 ? ref.theta[static_cast<std::size_t>(i)] : ddouble{0, 0};
        visit_pair(pr, ref, unit, i, t, col, [&](std::size_t k, std::size_t j, std::size_t r, std::size_t w, const predicted& pred, long double q) {
            const part& p = pr.parts[k];
            const double a = p.at(p.y, j, r, w);
            const double e = ulps(a, pred, q);
            const int b = pr.kind == artifact_kind::inv_freq ? static_cast<int>(w) : token_bucket[j];
            const std::pair<std::string, int> key{p.row_name(r), b};
            bucket_row& row = rows[key];
            if (row.entries == 0) {
                row.artifact = key.first;
                row.bucket = b;
                row.lo = pr.kind == artifact_kind::inv_freq ? b : b == 0 ? 0 : 1LL << (b - 1);
                row.hi = pr.kind == artifact_kind::inv_freq ? b + 1 : b == 0 ? 1 : 1LL << b;
                row.max_ulps = -1;
            }
            ++row.entries;
            sums[key] += e;
            if (e > row.max_ulps) {
                row.max_ulps = e;
                row.worst_position = pr.positions[j];
                row.worst_pair = i;
                row.worst_row = r;
                row.worst_column = static_cast<int>(w);
                row.value = a;
                row.reference = round_to(pred.lo, ef);
            }
            auto& bp = rp.by_pair[i >= 0 ? static_cast<std::size_t>(i) : rp.by_pair.size() - 1];
            bp = std::max(bp, e);
            rp.max_ulps = std::max(rp.max_ulps, e);
            ++rp.entries;
        }, false);
    }
    for (auto& [key, row] : rows) {
        row.mean_ulps = static_cast<double>(sums[key] / static_cast<long double>(row.entries));
        rp.buckets.push_back(row);
    }
    std::stable_sort(rp.buckets.begin(), rp.buckets.end(), [](const bucket_row& a, const bucket_row& b) { return a.bucket < b.bucket; });
    rp.passed = rp.max_ulps <= pr.tolerance;
    return rp;
}

/// Values the diagnosis fits its modes on; a larger artifact is sampled (every k-th token).
inline constexpr std::size_t diagnosis_values = std::size_t{1} << 16;

/// The problem restricted to every k-th token and the last one, k the smallest stride that leaves
/// at most max_values values (at least one token).
inline problem subsample(const problem& pr, std::size_t max_values) {
    std::size_t per_token = 0;
    for (const part& p : pr.parts) per_token += p.rows * p.width;
    const std::size_t T = pr.tokens();
    const std::size_t keep = std::max<std::size_t>(1, max_values / std::max<std::size_t>(per_token, 1));
    const std::size_t stride = (T + keep - 1) / keep;
    std::vector<std::size_t> idx;
    for (std::size_t j = 0; j < T; j += stride) idx.push_back(j);
    if (idx.back() != T - 1) idx.push_back(T - 1);
    problem s = pr;
    s.positions.clear();
    for (std::size_t j : idx) s.positions.push_back(pr.positions[j]);
    for (std::size_t k = 0; k < pr.parts.size(); ++k) {
        const part& p = pr.parts[k];
        part& d = s.parts[k];
        const std::size_t n = p.rows * p.width;
        d.tokens = idx.size();
        d.y.clear();
        d.x.clear();
        for (std::size_t j : idx) {
            d.y.insert(d.y.end(), p.y.begin() + static_cast<std::ptrdiff_t>(j * n), p.y.begin() + static_cast<std::ptrdiff_t>((j + 1) * n));
            if (!p.x.empty()) {
                d.x.insert(d.x.end(), p.x.begin() + static_cast<std::ptrdiff_t>(j * n), p.x.begin() + static_cast<std::ptrdiff_t>((j + 1) * n));
            }
        }
    }
    return s;
}

/// The whole check: measure, and diagnose when outside the tolerance. The modes are fitted on at
/// most diagnosis_values values; those that explain the sample are checked on the whole artifact.
inline report run(const request& q) {
    const problem pr = make_problem(q);
    const model ref = reference_model(pr);
    const scales unit = make_scales(pr, ref);
    report rp = measure(pr, ref, unit);
    if (rp.passed) return rp;
    const context full{pr, ref, unit, rp.max_ulps};
    if (rp.entries <= diagnosis_values) {
        rp.diagnosis = diagnose(full);
        return rp;
    }
    const problem sample = subsample(pr, diagnosis_values);
    rp.diagnosis = diagnose(context{sample, ref, unit, rp.max_ulps});
    for (diagnosis_entry& d : rp.diagnosis) {
        if (!d.fitted) continue;
        d.residual = residual(full, *d.fitted);
        d.explains = d.residual <= pr.tolerance;
    }
    // the storage entry of a narrow cache stays first (diagnose)
    const bool storage_first = pr.kind == artifact_kind::cos_sin && format_of(pr.stored).p < format_of(pr.expect).p &&
                               !rp.diagnosis.empty() && rp.diagnosis.front().mode == "cos_sin_stored";
    std::stable_sort(rp.diagnosis.begin() + (storage_first ? 1 : 0), rp.diagnosis.end(), [](const diagnosis_entry& a, const diagnosis_entry& b) {
        if (a.explains != b.explains) return a.explains;
        const double ra = std::isnan(a.residual) ? 0.0 : a.residual;
        const double rb = std::isnan(b.residual) ? 0.0 : b.residual;
        return ra < rb;
    });
    return rp;
}

// ------------------------------------------------------------------------------------------------
// Output
// ------------------------------------------------------------------------------------------------

namespace detail {

inline json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

inline std::string position_text(const report& r, const std::array<long long, 3>& p) {
    if (!r.mrope) return std::to_string(p[0]);
    return std::to_string(p[0]) + "/" + std::to_string(p[1]) + "/" + std::to_string(p[2]);
}

inline std::string ulps_text(double v) {
    if (!std::isfinite(v)) return "inf";
    return num(v, 4);
}

inline std::string bucket_text(const report& r, const bucket_row& b) {
    if (r.kind == artifact_kind::inv_freq) return "pair " + std::to_string(b.lo);
    if (b.bucket == 0) return "0";
    return "[" + std::to_string(b.lo) + ", " + std::to_string(b.hi) + ")";
}

}  // namespace detail

inline json to_json(const report& r) {
    json j;
    j["verdict"] = r.passed ? "pass" : "fail";
    j["tolerance"] = r.tolerance;
    j["dtype"] = std::string(dtype_name(r.stored));
    j["expect"] = std::string(dtype_name(r.expect));
    j["artifact"] = std::string(kind_name(r.kind));
    if (!r.cache_layout.empty()) j["cache_layout"] = r.cache_layout;
    j["layout"] = r.layout;
    j["rotary_dim"] = r.rotary_dim;
    j["attention_factor"] = r.attention_factor;
    j["max_ulps"] = detail::finite_or_null(r.max_ulps);
    j["entries"] = r.entries;
    json b = json::array();
    for (const bucket_row& x : r.buckets) {
        json o;
        o["artifact"] = x.artifact;
        o["lo"] = x.lo;
        o["hi"] = x.hi;
        o["entries"] = x.entries;
        o["max_ulps"] = detail::finite_or_null(x.max_ulps);
        o["mean_ulps"] = detail::finite_or_null(x.mean_ulps);
        if (r.mrope) {
            o["worst_position"] = x.worst_position;
        } else {
            o["worst_position"] = x.worst_position[0];
        }
        o["worst_pair"] = x.worst_pair;
        o["worst_column"] = x.worst_column;
        o["value"] = detail::finite_or_null(x.value);
        o["reference"] = detail::finite_or_null(x.reference);
        b.push_back(o);
    }
    j["buckets"] = b;
    json d = json::array();
    for (const diagnosis_entry& x : r.diagnosis) {
        d.push_back({{"mode", x.mode},
                     {"parameters", x.parameters},
                     {"residual_ulps", detail::finite_or_null(x.residual)},
                     {"explains", x.explains},
                     {"text", x.text}});
    }
    j["diagnosis"] = d;
    json bp = json::array();
    for (double v : r.by_pair) bp.push_back(detail::finite_or_null(v));
    j["shape"] = {{"by_pair", bp}};
    return j;
}

/// The per-bucket CSV (after the caller's metadata lines).
inline std::string to_csv(const report& r) {
    std::string s;
    s += "# verdict: " + std::string(r.passed ? "pass" : "fail") + " (max " + detail::ulps_text(r.max_ulps) + " ulps, tolerance " +
         detail::num(r.tolerance) + ")\n";
    s += "# unit: |artifact - exact| in ulps of " + std::string(dtype_name(r.expect)) +
         (r.kind == artifact_kind::inv_freq ? " at the value" : " at the pair norm") + "\n";
    for (std::size_t i = 0; i < r.diagnosis.size(); ++i) {
        const diagnosis_entry& d = r.diagnosis[i];
        s += "# diagnosis " + std::to_string(i + 1) + ": " + d.mode + " " + d.parameters.dump() + " residual " +
             detail::ulps_text(d.residual) + (d.explains ? " (explains)" : "") + ": " + d.text + "\n";
    }
    s += "artifact,bucket_lo,bucket_hi,entries,max_ulps,mean_ulps,worst_position,worst_pair,worst_column,value,reference\n";
    for (const bucket_row& b : r.buckets) {
        char line[512];
        std::snprintf(line, sizeof line, "%s,%lld,%lld,%zu,%s,%s,%s,%d,%d,%.17g,%.17g\n", b.artifact.c_str(), b.lo, b.hi, b.entries,
                      detail::ulps_text(b.max_ulps).c_str(), detail::ulps_text(b.mean_ulps).c_str(),
                      detail::position_text(r, b.worst_position).c_str(), b.worst_pair, b.worst_column, b.value, b.reference);
        s += line;
    }
    return s;
}

/// The summary for a terminal.
inline std::string to_text(const report& r) {
    std::string s;
    s += std::string(r.passed ? "PASS" : "FAIL") + ": " + std::string(kind_name(r.kind)) + " (" + std::string(dtype_name(r.stored)) +
         (r.expect != r.stored ? ", judged as " + std::string(dtype_name(r.expect)) : "") + "), max error " +
         detail::ulps_text(r.max_ulps) + " ulps, tolerance " + detail::num(r.tolerance) + " (" + std::to_string(r.entries) +
         " values)\n";
    char line[512];
    std::snprintf(line, sizeof line, "  %-9s %-22s %10s %10s %10s  %s\n", "artifact", r.kind == artifact_kind::inv_freq ? "pair" : "positions",
                  "values", "max ulps", "mean ulps", "worst at");
    s += line;
    for (const bucket_row& b : r.buckets) {
        const std::string where = r.kind == artifact_kind::inv_freq ? "" : "position " + detail::position_text(r, b.worst_position) +
                                                                               ", pair " + std::to_string(b.worst_pair);
        std::snprintf(line, sizeof line, "  %-9s %-22s %10zu %10s %10s  %s%s\n", b.artifact.c_str(), detail::bucket_text(r, b).c_str(),
                      b.entries, detail::ulps_text(b.max_ulps).c_str(), detail::ulps_text(b.mean_ulps).c_str(), where.c_str(),
                      b.max_ulps > r.tolerance ? "  <-" : "");
        s += line;
    }
    if (!r.passed) {
        s += "Diagnosis:\n";
        for (std::size_t i = 0; i < r.diagnosis.size(); ++i) {
            const diagnosis_entry& d = r.diagnosis[i];
            s += "  " + std::to_string(i + 1) + ". " + d.mode + (d.parameters.empty() ? "" : " " + d.parameters.dump()) + ": " + d.text;
            if (std::isfinite(d.residual)) s += " (residual " + detail::ulps_text(d.residual) + " ulps" + (d.explains ? ", explains it" : "") + ")";
            s += "\n";
        }
        if (r.diagnosis.size() == 1 && r.diagnosis[0].mode == "none") {
            s += "  error by pair (max ulps):";
            for (std::size_t i = 0; i < r.by_pair.size(); ++i) s += (i % 8 == 0 ? "\n   " : "") + (" " + detail::ulps_text(r.by_pair[i]));
            s += "\n";
        }
    }
    return s;
}

}  // namespace posenc::check
