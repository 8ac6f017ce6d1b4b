// posenc/analysis/min_base.hpp: Men et al. 2024 ("Base of RoPE Bounds Context Length", arXiv
// 2405.14591), eq. 11: the smallest base b whose frequencies theta_i(b) = b^(-2i/d) keep
// B_{m,theta(b)} >= 0 (b_sum.hpp) for every integer m in [0, L] (through_l) or [0, L - 1]
// (through_l_minus_1), for each context length L.
//
// The set of admissible bases is not an interval (a larger base can fail where a smaller one
// passes), so there is no bisection: every base of a decimal grid, k 10^e with k an integer of
// `digits` significant digits, is tried in increasing order and the first admissible one is the
// answer; as evidence, the search also records the next larger grid base, up to ten times the
// minimal one, that is NOT admissible. A base is admissible for L exactly when its first negative
// m (-1: none up to the largest L searched) is past the range the convention requires.
//
// min_base_search keeps that state; the caller evaluates the first negative m of grid bases, in
// batches of any size it likes (in parallel, say), and records them in grid order until
// complete(). The results do not depend on the batch size.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../encodings/error.hpp"

namespace posenc::analysis {

/// A grid base k 10^exponent.
struct grid_base {
    long long k;
    int exponent;
    double value;  ///< k 10^exponent correctly rounded to double

    /// "<k>e<exponent>": the exact decimal value, for readers at other precisions.
    [[nodiscard]] std::string text() const { return std::to_string(k) + "e" + std::to_string(exponent); }
};

/// The bases k 10^e in [lo, hi] (as doubles), k an integer of `digits` digits (1 to 6), increasing.
[[nodiscard]] inline std::vector<grid_base> decimal_grid(int digits, double lo, double hi) {
    POSENC_REQUIRE(digits >= 1 && digits <= 6, "digits", "an integer in [1, 6]");
    POSENC_REQUIRE(lo > 1 && hi >= lo && std::isfinite(hi), "lo", "finite bounds 1 < lo <= hi");
    std::vector<grid_base> grid;
    const long long kmin = std::llround(std::pow(10.0, digits - 1));
    for (int e = static_cast<int>(std::floor(std::log10(lo))) - digits; e <= 40; ++e) {
        for (long long k = kmin; k < kmin * 10; ++k) {
            grid_base g{k, e, 0.0};
            g.value = std::strtod(g.text().c_str(), nullptr);
            if (g.value < lo) continue;
            if (g.value > hi) return grid;
            grid.push_back(g);
        }
    }
    return grid;
}

/// Which m eq. 11 requires B >= 0 for: [0, L] or [0, L - 1].
enum class context_convention { through_l, through_l_minus_1 };

/// Whether a base whose first negative B is at `first_negative` (-1: none) is admissible for L.
[[nodiscard]] constexpr bool admissible(long long first_negative, long long context, context_convention c) {
    if (first_negative < 0) return true;
    return c == context_convention::through_l_minus_1 ? first_negative >= context : first_negative > context;
}

/// The answer for one context: indices into the grid.
struct min_base_row {
    std::optional<std::size_t> min_base;           ///< the first admissible grid base
    std::optional<std::size_t> next_inadmissible;  ///< the next larger one that fails, up to 10 min_base
    bool searched_past = false;                    ///< the grid passed 10 min_base without one failing
};

/// Eq. 11 over a grid (see the file comment).
class min_base_search {
public:
    /// grid: the bases' values, increasing; contexts: the L of each answer.
    min_base_search(std::vector<double> grid, std::vector<long long> contexts, context_convention c)
        : grid_(std::move(grid)), contexts_(std::move(contexts)), convention_(c), rows_(contexts_.size()) {}

    /// Every context has its minimal base and the evidence above it, or the grid is exhausted.
    [[nodiscard]] bool complete() const {
        if (first_negative_.size() == grid_.size()) return true;
        for (const min_base_row& r : rows_) {
            if (!r.min_base || (!r.next_inadmissible && !r.searched_past)) return false;
        }
        return true;
    }

    /// The grid bases recorded so far (0, 1, ..., recorded() - 1).
    [[nodiscard]] std::size_t recorded() const { return first_negative_.size(); }

    /// Records the first negative m of the next grid base, grid[recorded()].
    void record(long long first_negative) {
        POSENC_REQUIRE(recorded() < grid_.size(), "first_negative", "one value per grid base");
        const std::size_t g = recorded();
        first_negative_.push_back(first_negative);
        for (std::size_t c = 0; c < rows_.size(); ++c) update(rows_[c], g, admissible(first_negative, contexts_[c], convention_));
    }

    /// Evaluates and records grid bases in batches of `batch` until complete():
    /// evaluate(first, out) sets out[i] to the first negative m of grid base first + i.
    template <class Evaluate>
    void run(std::size_t batch, Evaluate&& evaluate) {
        POSENC_REQUIRE(batch >= 1, "batch", "at least 1");
        std::vector<long long> out;
        while (!complete()) {
            out.assign(std::min(batch, grid_.size() - recorded()), -2);
            evaluate(recorded(), std::span<long long>(out));
            for (const long long fn : out) record(fn);
        }
    }

    [[nodiscard]] const std::vector<min_base_row>& rows() const { return rows_; }
    /// The first negative m recorded for grid base g.
    [[nodiscard]] long long first_negative(std::size_t g) const { return first_negative_.at(g); }

private:
    void update(min_base_row& r, std::size_t g, bool ok) const {
        if (!r.min_base) {
            if (ok) r.min_base = g;
        } else if (!r.next_inadmissible && !r.searched_past) {
            if (grid_[g] > 10 * grid_[*r.min_base]) {
                r.searched_past = true;  // the evidence is sought within one decade
            } else if (!ok) {
                r.next_inadmissible = g;
            }
        }
    }

    std::vector<double> grid_;
    std::vector<long long> contexts_;
    context_convention convention_;
    std::vector<min_base_row> rows_;
    std::vector<long long> first_negative_;
};

}  // namespace posenc::analysis
