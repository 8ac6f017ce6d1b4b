// A maximum-error tracker for checks whose bound differs point by point (error and bound in the
// same unit): records the largest error, the largest error/bound ratio and the first failures.
// Include after <boost/test/unit_test.hpp> (it reports through BOOST_TEST).
#pragma once

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace posenc_test {

/// How far above its measured maximum a check's measured ceiling lies: 1.5, so that a change that
/// doubles an error fails even where the stated (proven, worst-case) bound is much looser. The
/// measured maxima are written next to each check, from a full-size g++ run (the asan
/// configuration's POSENC_QUICK runs draw a subset of the same inputs, so their maxima are lower).
inline constexpr double measured_ceiling_factor = 1.5;

/// Largest error and largest error/bound ratio; failures listed.
class bound_tracker {
public:
    bound_tracker(std::string what, std::string unit) : what_(std::move(what)), unit_(std::move(unit)) {}

    void record(double err, double bound, const std::string& where) {
        ++count_;
        if (err > max_err_ || count_ == 1) {
            max_err_ = err;
            worst_ = where;
        }
        const double ratio = bound > 0 ? err / bound : (err > 0 ? 1e300 : 0.0);
        if (ratio > max_ratio_) max_ratio_ = ratio;
        if (!(err <= bound)) {
            ++failures_;
            if (examples_.size() < 8) examples_.push_back(fmt::format("{}: error {:.6g} {} > bound {:.6g}", where, err, unit_, bound));
        }
    }

    void report() const {
        fmt::print("{}: {} values, max error {:.6g} {} at {}, max error/bound {:.4g}\n", what_, count_, max_err_, unit_,
                   worst_, max_ratio_);
        for (const auto& e : examples_) fmt::print("  FAIL {}\n", e);
        std::fflush(stdout);
        BOOST_TEST(failures_ == 0u, what_ << ": " << failures_ << " values above their bound");
        BOOST_TEST(count_ > 0u);
    }

    /// report(), and the largest error/bound ratio is at most measured_ceiling_factor times
    /// `measured_ratio`, the largest ratio measured when the check was written: where the stated
    /// bound is loose, a doubled error still fails.
    void report(double measured_ratio) const {
        report();
        const double ceiling = measured_ceiling_factor * measured_ratio;
        BOOST_TEST(max_ratio_ <= ceiling, what_ << ": max error/bound " << max_ratio_ << " above the measured ceiling "
                                               << ceiling << " (" << measured_ratio << " measured)");
    }

private:
    std::string what_;
    std::string unit_;
    std::size_t count_ = 0;
    std::size_t failures_ = 0;
    double max_err_ = 0.0;
    double max_ratio_ = 0.0;
    std::string worst_;
    std::vector<std::string> examples_;
};

}  // namespace posenc_test
