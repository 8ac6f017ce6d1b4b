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
// Signs are decided exactly: posenc::analysis::first_negative_b_scan runs in double (phase blocks of
// 256 consecutive m, see analysis/b_sum.hpp for its error bound) and every m where its value is
// below 1e-7 * max(1, m / 2^24) is re-evaluated at 50 digits (b_exact.hpp: 168-bit MPFR theta_j and
// cosines, errors below 1e-36); only that value's sign counts. The grid search of min-base is
// posenc::analysis::min_base_search; this file evaluates its bases in parallel.
#include "b_exact.hpp"
#include "common.hpp"
#include "work_type.hpp"

#include <posenc/analysis/b_sum.hpp>
#include <posenc/analysis/min_base.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

namespace posenc_cli {
namespace {

namespace pa = posenc::analysis;
using big = reference_50;                // the sign checks' type (b_exact.hpp)
using big_text = mp::cpp_bin_float_50;  // the type their numbers are read in

/// The frequencies of one encoding: in double for the scan, at 50 digits (computed on first use:
/// they cost milliseconds and most scans never need them) for the sign checks.
class thetas {
public:
    /// standard: theta_i = base^(-2i/dim) at 50 digits by MPFR's pow (b_exact.hpp); otherwise
    /// posenc::rope<cpp_bin_float_50>'s frequencies (computed in its twin: the same bits).
    thetas(encoding_options o, bool standard)
        : o_(std::move(o)), standard_(standard), fast_(make_rope<double>(o_, "double").inv_freq()) {}
    [[nodiscard]] const std::vector<double>& fast() const { return fast_; }
    [[nodiscard]] const std::vector<big>& exact() {
        if (!exact_) {
            if (standard_) {
                exact_ = standard_theta(big(big_text(o_.base())), o_.dim());
            } else {
                // made in the twin (the same bits, limbs on the stack: faster than big's allocations)
                using twin = twin_t<big_text>;
                const posenc::rope<twin> r = make_rope<big_text, twin>(o_, "50");
                std::vector<big> t;
                for (const twin& x : r.inv_freq()) t.push_back(big(x));  // exact: the same width
                exact_ = std::move(t);
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
    return pa::first_negative_b_scan(
        std::span<const double>(th.fast()), limit, [&](long long m) { return b_exact(th.exact(), m) < 0; }, check_interrupted);
}

/// theta_i = b^(-2i/d) for the standard RoPE (each correctly rounded by posenc::rope from the
/// decimal base read at that precision).
thetas standard_thetas(int dim, const std::string& base) {
    encoding_options o;
    o.set("head_dim", std::to_string(dim));
    o.set("base", base);
    o.set("variant", "default");
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
    const std::vector<std::string> bases = split_list(o.bases.empty() ? o.enc.base() : o.bases, "--base");
    const shard sh = parse_shard(o.shard_text);
    const std::pair<std::size_t, std::size_t> rows_range = sh.range(bases.size());
    const std::size_t begin = rows_range.first;
    const std::size_t end = rows_range.second;
    std::vector<thetas> th;
    for (std::size_t i = begin; i < end; ++i) {
        encoding_options e = o.enc;
        e.set("base", bases[i]);
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
                       o.bases.empty() ? o.enc.base() : o.bases, o.max_m);
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
    encoding_options enc;  ///< every parameter but the base, which the grid varies
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

/// The frequencies of the encoding with the base of a grid point: the default rule over the full
/// head as before (Boost's pow at 50 digits), any other rope type or a partial rotary factor
/// through posenc::rope (a model's --config: its rope type and rotated dims).
thetas grid_thetas(const min_base_options& o, const std::string& base) {
    const bool full_default =
        o.enc.variant() == "default" && make_rope<double>(o.enc, "double").rotary_dim() == o.enc.dim();
    if (full_default) return standard_thetas(o.enc.dim(), base);
    encoding_options e = o.enc;
    e.set("base", base);
    return thetas(e, false);
}

/// Eq. 11 on the grid: the first negative m of the grid bases, in increasing order, 2 x threads of
/// them at a time in parallel, until every context has its answer and evidence (or the grid ends).
pa::min_base_search search_grid(const min_base_options& o, const std::vector<pa::grid_base>& grid,
                                std::vector<long long> contexts, long long limit) {
    const auto convention = o.through_l_minus_1 ? pa::context_convention::through_l_minus_1 : pa::context_convention::through_l;
    std::vector<double> values;
    for (const pa::grid_base& g : grid) values.push_back(g.value);
    pa::min_base_search search(std::move(values), std::move(contexts), convention);
    const unsigned threads = thread_count(o.threads);
    posenc::kernels::thread_pool pool(threads);
    progress bar("posenc min-base", static_cast<long long>(grid.size()), o.quiet);
    search.run(std::size_t{2} * threads, [&](std::size_t first, std::span<long long> out) {
        parallel_for(pool, out.size(), 1, [&](std::size_t i) {
            thetas th = grid_thetas(o, grid[first + i].text());
            out[i] = first_negative(th, limit);
            bar.advance();
        });
    });
    return search;
}

/// The metadata lines and the column header.
std::string min_base_header(const min_base_options& o, std::string_view command_line, const shard& sh,
                            std::pair<std::size_t, std::size_t> rows, std::size_t all) {
    const bool minus_one = o.through_l_minus_1;
    std::string csv = metadata_header("min-base", command_line);
    csv += encoding_metadata(o.enc);
    csv += fmt::format("# contexts: {}\n# grid_digits: {}\n# base_min: {}\n# base_max: {}\n", o.contexts,
                       o.grid_digits, o.base_min, o.base_max);
    csv += fmt::format("# convention: {}\n", minus_one ? "through-L-minus-1: B_{m,theta(b)} >= 0 for every integer m in [0, L-1]"
                                                        : "through-L: B_{m,theta(b)} >= 0 for every integer m in [0, L]");
    csv += fmt::format("# grid: bases k*10^e, k an integer of {} digits, in [base_min, base_max], tried in increasing "
                       "order (no bisection: the admissible set is not an interval)\n",
                       o.grid_digits);
    csv += "# definition: Men et al. 2024 eq. 11 with theta_i(b) the frequencies of the rope type above at base b "
           "(default: b^(-2i/dim)); the base parameter is not used; signs decided at 50 digits\n";
    csv += "# columns: first_negative_m of min_base, searched up to the largest context of --context (none: B >= 0 "
           "throughout); next_inadmissible_base: the smallest larger grid base, up to 10 x min_base, that fails this "
           "context (none: every one passes)\n";
    csv += fmt::format("# shard: {} (rows {} to {} of {})\n# out: {}\n", sh.text(), rows.first, rows.second, all,
                       o.out.empty() ? std::string("-") : o.out);
    csv += "context,min_base,first_negative_m,next_inadmissible_base\n";
    return csv;
}

/// One CSV row per context.
std::string min_base_rows(const pa::min_base_search& search, const std::vector<pa::grid_base>& grid,
                          const std::vector<long long>& contexts) {
    std::string csv;
    const auto number = [&](std::size_t g) { return fmt::format("{}", grid[g].value); };
    for (std::size_t c = 0; c < contexts.size(); ++c) {
        const pa::min_base_row& r = search.rows()[c];
        if (!r.min_base) {
            csv += fmt::format("{},none,none,none\n", contexts[c]);
            continue;
        }
        const long long f = search.first_negative(*r.min_base);
        csv += fmt::format("{},{},{},{}\n", contexts[c], number(*r.min_base), f < 0 ? std::string("none") : fmt::format("{}", f),
                           r.next_inadmissible ? number(*r.next_inadmissible) : std::string("none"));
    }
    return csv;
}

std::string min_base_csv(const min_base_options& o, std::string_view command_line) {
    if (o.through_l && o.through_l_minus_1) {
        throw usage_error("--through-L-minus-1: give at most one of --through-L and --through-L-minus-1");
    }
    if (o.enc.dim() % 2 != 0) throw usage_error(fmt::format("{}: an even integer in [2, 65536]", o.enc.where("head_dim")));
    (void)make_rope<double>(o.enc, "double");  // every other parameter checked once, before the scan
    if (o.grid_digits < 1 || o.grid_digits > 6) throw usage_error("--grid-digits: an integer in [1, 6]");
    const double lo = parse_number<double>(o.base_min, "double", "--base-min");
    const double hi = parse_number<double>(o.base_max, "double", "--base-max");
    if (!(lo > 1) || !std::isfinite(lo)) throw usage_error("--base-min: a finite number > 1");
    if (!(hi >= lo) || !std::isfinite(hi)) throw usage_error("--base-max: a finite number >= --base-min");
    const std::vector<long long> all = parse_index_spec(o.contexts, "--context", 1, 1LL << 24);
    const shard sh = parse_shard(o.shard_text);
    const std::pair<std::size_t, std::size_t> rows = sh.range(all.size());
    const std::vector<long long> contexts(all.begin() + static_cast<std::ptrdiff_t>(rows.first),
                                          all.begin() + static_cast<std::ptrdiff_t>(rows.second));
    {  // the grid's size before it is built: 9 * 10^(digits - 1) bases per decade of [lo, hi], counted
       // per decade (to within one base at each end), at most 10^7 (each is tried at 50 digits)
        const double kmin = std::pow(10.0, o.grid_digits - 1);
        double count = 0;
        for (int e = static_cast<int>(std::floor(std::log10(lo))) - o.grid_digits; e <= 40; ++e) {
            const double unit = std::pow(10.0, e);
            const double k_lo = std::max(kmin, std::ceil(lo / unit)), k_hi = std::min(10 * kmin - 1, std::floor(hi / unit));
            if (k_hi >= k_lo) count += k_hi - k_lo + 1;
        }
        constexpr double max_grid = 1e7;
        if (count > max_grid) {
            throw usage_error(fmt::format("--grid-digits, --base-min, --base-max: the grid holds about {:.4g} bases, more than "
                                          "{:.0g}; use fewer digits or a narrower range",
                                          count, max_grid));
        }
        memory_estimate m;
        m.add("--grid-digits, --base-min, --base-max", "grid", count, sizeof(pa::grid_base));
        m.add("--context", "contexts", 2.0 * static_cast<double>(all.size()), sizeof(long long) + sizeof(pa::min_base_row));
        m.check();
    }
    const std::vector<pa::grid_base> grid = pa::decimal_grid(o.grid_digits, lo, hi);
    if (grid.empty()) throw usage_error("--base-min: no grid base lies in [--base-min, --base-max]");
    // Every shard searches up to the largest context of the whole list, so that first_negative_m
    // does not depend on the sharding.
    const long long limit = *std::max_element(all.begin(), all.end());
    const pa::min_base_search search = search_grid(o, grid, contexts, limit);
    return min_base_header(o, command_line, sh, rows, all.size()) + min_base_rows(search, grid, contexts);
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
    add_encoding_options(mb, m->enc);
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
