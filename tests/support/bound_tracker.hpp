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
        fmt::print("{}: {} values, max error {:.6g} {} at {}, max error/bound {:.4f}\n", what_, count_, max_err_, unit_,
                   worst_, max_ratio_);
        for (const auto& e : examples_) fmt::print("  FAIL {}\n", e);
        std::fflush(stdout);
        BOOST_TEST(failures_ == 0u, what_ << ": " << failures_ << " values above their bound");
        BOOST_TEST(count_ > 0u);
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
