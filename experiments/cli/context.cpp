// posenc context and posenc min-base: Men et al. 2024 ("Base of RoPE Bounds Context Length",
// arXiv 2405.14591), with B_{m,theta} = sum_i cos(m theta_i) (eq. 9):
//   context   eq. 10, L_theta = sup{L : B_{m,theta} >= 0 for all integers m in [0, L]}: the first
//             integer m with B_{m,theta} < 0 and the context length first_negative_m - 1
//   min-base  eq. 11, the smallest base b with B_{m,theta(b)} >= 0 for all m in [0, L] (or [0, L - 1],
//             the other convention), theta_i(b) = b^(-2i/d). The set of admissible bases is not an
//             interval (a larger base can fail where a smaller one passes), so there is no
//             bisection: every base of a grid of --grid-digits significant decimal digits is tried in
//             increasing order and the first admissible one is reported, with the grid and the
//             convention in the metadata, and, as evidence, the next larger grid base up to ten times
//             the minimal one that is NOT admissible.
//
// Signs are decided exactly. A fast scan runs in double: e^{i m theta_j} advanced by the exact unit
// rotation e^{i theta_j} and recomputed from the exact angle every 256 steps. Its error in B is below
// d/2 * (m theta ulp + 256 * 3 ulp) < 1e-8 for m < 2^24 (theta_j in double is within half an ulp of
// the true value), growing in proportion to m beyond; every m where the fast value is below
// 1e-7 * max(1, m / 2^24) is re-evaluated at 50 digits (cpp_bin_float_50 theta_j and cosines, errors
// below 1e-40), and only that value's sign counts.
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace posenc_cli {
namespace {

namespace md = posenc::math::detail;
using big = mp::cpp_bin_float_50;

constexpr double recheck_below = 1e-7;
constexpr long long reseed_every = 256;

/// B_{m,theta} at 50 digits (Boost's cos of m theta rounded to 50 digits: an angle error below
/// 2^-167 m, i.e. below 1e-43 for m < 2^24).
big b_exact(const std::vector<big>& theta, long long m) {
    const big mt = big(m);
    big s = 0;
    for (const big& t : theta) s += mp::cos(big(mt * t));
    return s;
}

/// The frequencies of one encoding: in double for the scan, at 50 digits (computed on first use:
/// they cost milliseconds and most scans never need them) for the sign checks.
class thetas {
public:
    /// standard: theta_i = base^(-2i/dim) at 50 digits by Boost's pow (within a few ulps of 2^-167,
    /// far below any |B| a sign could hinge on); otherwise posenc::rope<cpp_bin_float_50>'s frequencies.
    thetas(encoding_options o, bool standard)
        : o_(std::move(o)), standard_(standard), fast_(make_rope<double>(o_, "double").inv_freq()) {}
    [[nodiscard]] const std::vector<double>& fast() const { return fast_; }
    [[nodiscard]] const std::vector<big>& exact() {
        if (!exact_) {
            if (standard_) {
                const big b(o_.base);
                std::vector<big> t;
                for (int i = 0; i < o_.dim / 2; ++i) t.push_back(mp::pow(b, big(-2 * i) / o_.dim));
                exact_ = std::move(t);
            } else {
                exact_ = make_rope<big>(o_, "50").inv_freq();
            }
        }
        return *exact_;
    }

private:
    encoding_options o_;
    bool standard_;
    std::vector<double> fast_;
    std::optional<std::vector<big>> exact_;
};

/// The smallest m in [0, limit] with B_{m,theta} < 0, or -1 if there is none (see the file comment).
long long first_negative(thetas& th, long long limit) {
    const std::vector<double>& theta = th.fast();
    const std::size_t n = theta.size();
    std::vector<double> zr(n), zi(n), wr(n), wi(n);
    for (std::size_t j = 0; j < n; ++j) {
        wr[j] = std::cos(theta[j]);
        wi[j] = std::sin(theta[j]);
    }
    for (long long m = 0; m <= limit; ++m) {
        if (m % reseed_every == 0) {
            if (m % (reseed_every * 4096) == 0) check_interrupted();
            const double md_ = static_cast<double>(m);
            for (std::size_t j = 0; j < n; ++j) {
                const md::dd<double> a = md::two_prod(md_, theta[j]);  // exact angle hi + lo
                const double c = std::cos(a.hi), s = std::sin(a.hi);
                zr[j] = c - s * a.lo;
                zi[j] = s + c * a.lo;
            }
        } else {
            for (std::size_t j = 0; j < n; ++j) {
                const double a = zr[j] * wr[j] - zi[j] * wi[j];
                const double b = zr[j] * wi[j] + zi[j] * wr[j];
                zr[j] = a;
                zi[j] = b;
            }
        }
        double b = 0;
        for (std::size_t j = 0; j < n; ++j) b += zr[j];
        const double threshold = recheck_below * std::max(1.0, static_cast<double>(m) / 16777216.0);
        if (b < threshold && b_exact(th.exact(), m) < 0) return m;
    }
    return -1;
}

/// theta_i = b^(-2i/d) for the standard RoPE (each correctly rounded by posenc::rope from the
/// decimal base read at that precision).
thetas standard_thetas(int dim, const std::string& base) {
    encoding_options o;
    o.dim = dim;
    o.base = base;
    o.variant = "default";
    return thetas(o, true);
}

// ----------------------------------------------------------------------------------------------
// posenc context
// ----------------------------------------------------------------------------------------------

struct context_options {
    encoding_options enc;
    std::string bases;
    long long max_m = 1LL << 24;
    int threads = 0;
    std::string shard_text = "0/1";
    bool quiet = false;
    std::string out;
};

std::string context_csv(const context_options& o, std::string_view command_line) {
    const std::vector<std::string> bases = split_list(o.bases.empty() ? o.enc.base : o.bases, "--base");
    const shard sh = parse_shard(o.shard_text);
    const std::pair<std::size_t, std::size_t> rows_range = sh.range(bases.size());
    const std::size_t begin = rows_range.first;
    const std::size_t end = rows_range.second;
    std::vector<thetas> th;
    for (std::size_t i = begin; i < end; ++i) {
        encoding_options e = o.enc;
        e.base = bases[i];
        th.emplace_back(e, false);
    }
    std::vector<long long> result(end - begin, -1);
    progress bar("posenc context", static_cast<long long>(end - begin), o.quiet);
    parallel_for(end - begin, thread_count(o.threads), 1, [&](std::size_t i) {
        result[i] = first_negative(th[i], o.max_m);
        bar.advance();
    });
    std::string csv = metadata_header("context", command_line) + encoding_metadata(o.enc);
    csv += fmt::format("# bases: {}\n# max_m: {} (first_negative_m is 'none' when B >= 0 for every m <= max_m)\n",
                       o.bases.empty() ? o.enc.base : o.bases, o.max_m);
    csv += "# definition: Men et al. 2024 eq. 10; first_negative_m = min{m : B_{m,theta} < 0}, context_length = "
           "first_negative_m - 1\n# signs: decided at 50 digits where the double scan is below 1e-7\n";
    csv += fmt::format("# shard: {} (rows {} to {} of {})\n# out: {}\n", sh.text(), begin, end, bases.size(),
                       o.out.empty() ? std::string("-") : o.out);
    csv += "base,first_negative_m,context_length\n";
    for (std::size_t i = 0; i < result.size(); ++i) {
        if (result[i] < 0) {
            csv += fmt::format("{},none,none\n", bases[begin + i]);
        } else {
            csv += fmt::format("{},{},{}\n", bases[begin + i], result[i], result[i] - 1);
        }
    }
    return csv;
}

// ----------------------------------------------------------------------------------------------
// posenc min-base
// ----------------------------------------------------------------------------------------------

struct min_base_options {
    int dim = 128;
    std::string contexts;
    int grid_digits = 2;
    std::string base_min = "10";
    std::string base_max = "1e12";
    bool through_l = false;
    bool through_l_minus_1 = false;
    int threads = 0;
    std::string shard_text = "0/1";
    bool quiet = false;
    std::string out;
};

/// Grid bases k * 10^e with k a G-digit integer, in [lo, hi], increasing, as decimal text.
std::vector<std::string> base_grid(int digits, double lo, double hi) {
    std::vector<std::string> grid;
    const long long kmin = static_cast<long long>(std::llround(std::pow(10.0, digits - 1)));
    const long long kmax = kmin * 10 - 1;
    for (int e = static_cast<int>(std::floor(std::log10(lo))) - digits; e <= 40; ++e) {
        for (long long k = kmin; k <= kmax; ++k) {
            const std::string text = fmt::format("{}e{}", k, e);
            const double v = std::stod(text);
            if (v < lo) continue;
            if (v > hi) return grid;
            grid.push_back(text);
        }
    }
    return grid;
}

std::string min_base_csv(const min_base_options& o, std::string_view command_line) {
    if (o.through_l && o.through_l_minus_1) {
        throw usage_error("--through-L-minus-1: give at most one of --through-L and --through-L-minus-1");
    }
    const bool minus_one = o.through_l_minus_1;
    if (o.dim < 2 || o.dim % 2 != 0 || o.dim > 1 << 16) throw usage_error("--dim: an even integer in [2, 65536]");
    if (o.grid_digits < 1 || o.grid_digits > 6) throw usage_error("--grid-digits: an integer in [1, 6]");
    const double lo = parse_number<double>(o.base_min, "double", "--base-min");
    const double hi = parse_number<double>(o.base_max, "double", "--base-max");
    if (!(lo > 1) || !std::isfinite(lo)) throw usage_error("--base-min: a finite number > 1");
    if (!(hi >= lo) || !std::isfinite(hi)) throw usage_error("--base-max: a finite number >= --base-min");
    const std::vector<long long> all = parse_index_spec(o.contexts, "--context", 1, 1LL << 24);
    const shard sh = parse_shard(o.shard_text);
    const std::pair<std::size_t, std::size_t> rows_range = sh.range(all.size());
    const std::size_t begin = rows_range.first;
    const std::size_t end = rows_range.second;
    const std::vector<long long> contexts(all.begin() + static_cast<std::ptrdiff_t>(begin),
                                          all.begin() + static_cast<std::ptrdiff_t>(end));
    const std::vector<std::string> grid = base_grid(o.grid_digits, lo, hi);
    if (grid.empty()) throw usage_error("--base-min: no grid base lies in [--base-min, --base-max]");
    // Every shard searches up to the largest context of the whole list, so that first_negative_m
    // does not depend on the sharding.
    const long long limit = *std::max_element(all.begin(), all.end());

    // first_negative for grid bases in increasing order, in batches, until every context has its
    // smallest admissible base and the next inadmissible one above it (or the grid ends).
    const auto admissible = [&](long long fn, long long context) {
        return fn < 0 || (minus_one ? fn >= context : fn > context);
    };
    std::vector<long long> fn(grid.size(), -2);  // -2: not computed
    std::vector<std::optional<std::size_t>> found(contexts.size());
    std::vector<std::optional<std::size_t>> next_bad(contexts.size());
    std::vector<bool> searched_past(contexts.size(), false);
    const unsigned threads = thread_count(o.threads);
    progress bar("posenc min-base", static_cast<long long>(grid.size()), o.quiet);
    std::size_t done = 0;
    const auto complete = [&] {
        for (std::size_t c = 0; c < contexts.size(); ++c) {
            if (!found[c] || (!next_bad[c] && !searched_past[c])) return false;
        }
        return true;
    };
    while (done < grid.size() && !complete()) {
        const std::size_t batch = std::min(grid.size() - done, static_cast<std::size_t>(threads) * 2);
        parallel_for(batch, threads, 1, [&](std::size_t i) {
            thetas th = standard_thetas(o.dim, grid[done + i]);
            fn[done + i] = first_negative(th, limit);
            bar.advance();
        });
        for (std::size_t g = done; g < done + batch; ++g) {
            for (std::size_t c = 0; c < contexts.size(); ++c) {
                const bool ok = admissible(fn[g], contexts[c]);
                if (!found[c]) {
                    if (ok) found[c] = g;
                } else if (!next_bad[c] && !searched_past[c]) {
                    if (std::stod(grid[g]) > 10 * std::stod(grid[*found[c]])) {
                        searched_past[c] = true;  // the evidence is sought within one decade
                    } else if (!ok) {
                        next_bad[c] = g;
                    }
                }
            }
        }
        done += batch;
    }

    std::string csv = metadata_header("min-base", command_line);
    csv += fmt::format("# dim: {}\n# contexts: {}\n# grid_digits: {}\n# base_min: {}\n# base_max: {}\n", o.dim, o.contexts,
                       o.grid_digits, o.base_min, o.base_max);
    csv += fmt::format("# convention: {}\n", minus_one ? "through-L-minus-1: B_{m,theta(b)} >= 0 for every integer m in [0, L-1]"
                                                        : "through-L: B_{m,theta(b)} >= 0 for every integer m in [0, L]");
    csv += fmt::format("# grid: bases k*10^e, k an integer of {} digits, in [base_min, base_max], tried in increasing "
                       "order (no bisection: the admissible set is not an interval)\n",
                       o.grid_digits);
    csv += "# definition: Men et al. 2024 eq. 11 with theta_i = b^(-2i/dim); signs decided at 50 digits\n";
    csv += "# columns: first_negative_m of min_base, searched up to the largest context of --context (none: B >= 0 "
           "throughout); next_inadmissible_base: the smallest larger grid base, up to 10 x min_base, that fails this "
           "context (none: every one passes)\n";
    csv += fmt::format("# shard: {} (rows {} to {} of {})\n# out: {}\n", sh.text(), begin, end, all.size(),
                       o.out.empty() ? std::string("-") : o.out);
    csv += "context,min_base,first_negative_m,next_inadmissible_base\n";
    const auto number = [&](std::size_t g) { return fmt::format("{}", std::stod(grid[g])); };
    for (std::size_t c = 0; c < contexts.size(); ++c) {
        if (!found[c]) {
            csv += fmt::format("{},none,none,none\n", contexts[c]);
            continue;
        }
        const long long f = fn[*found[c]];
        csv += fmt::format("{},{},{},{}\n", contexts[c], number(*found[c]), f < 0 ? std::string("none") : fmt::format("{}", f),
                           next_bad[c] ? number(*next_bad[c]) : std::string("none"));
    }
    return csv;
}

}  // namespace

void register_context(CLI::App& app, registry& r) {
    auto o = std::make_shared<context_options>();
    CLI::App* cmd = app.add_subcommand(
        "context", "Men et al. eq. 10: first m with B_{m,theta} < 0 and the context length (CSV base,first_negative_m,context_length)");
    add_encoding_options(cmd, o->enc);
    cmd->add_option("--bases", o->bases, "Comma list of bases (overrides --base)");
    cmd->add_option("--max-m", o->max_m, "Largest m searched")->check(CLI::Range(1LL, 1LL << 30))->capture_default_str();
    cmd->add_option("--threads", o->threads, "Worker threads (0: all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
    cmd->add_option("--shard", o->shard_text, "Write only shard i of N (0 <= i < N) of the bases")->capture_default_str();
    cmd->add_flag("--quiet", o->quiet, "No progress bar");
    cmd->add_option("--out", o->out, "Write the CSV to this file (atomically) instead of standard output");
    r.push_back({cmd, [o](std::string_view command_line) {
                     emit(context_csv(*o, command_line), o->out);
                     return 0;
                 }});

    auto m = std::make_shared<min_base_options>();
    CLI::App* mb = app.add_subcommand(
        "min-base", "Men et al. eq. 11: smallest base on a decimal grid keeping B_{m,theta} >= 0 up to each context (CSV "
                    "context,min_base,first_negative_m,next_inadmissible_base)");
    mb->add_option("--dim", m->dim, "Head dimension (even)")->capture_default_str();
    mb->add_option("--context", m->contexts, "Context lengths L: comma list, a:b[:step] or log:a:b:n")->required();
    mb->add_option("--grid-digits", m->grid_digits, "Significant decimal digits of the base grid")->capture_default_str();
    mb->add_option("--base-min", m->base_min, "Smallest base tried (> 1)")->capture_default_str();
    mb->add_option("--base-max", m->base_max, "Largest base tried")->capture_default_str();
    mb->add_flag("--through-L", m->through_l, "B >= 0 for m in [0, L] (the default)");
    mb->add_flag("--through-L-minus-1", m->through_l_minus_1, "B >= 0 for m in [0, L - 1]");
    mb->add_option("--threads", m->threads, "Worker threads (0: all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
    mb->add_option("--shard", m->shard_text, "Write only shard i of N (0 <= i < N) of the contexts")->capture_default_str();
    mb->add_flag("--quiet", m->quiet, "No progress bar");
    mb->add_option("--out", m->out, "Write the CSV to this file (atomically) instead of standard output");
    r.push_back({mb, [m](std::string_view command_line) {
                     emit(min_base_csv(*m, command_line), m->out);
                     return 0;
                 }});
}

}  // namespace posenc_cli
