// Checks that a call is rejected with posenc::invalid_parameter naming the right field.
// Include after <boost/test/unit_test.hpp> (it reports through BOOST_TEST / BOOST_ERROR).
#pragma once

#include <posenc/encodings/error.hpp>

#include <boost/test/unit_test.hpp>

#include <exception>
#include <string_view>

namespace posenc_test {

/// f() must throw posenc::invalid_parameter whose parameter() is `field` and whose message
/// mentions it; no exception, or another exception type, is an error. `what` labels the check.
template <class F>
void expect_invalid(std::string_view what, std::string_view field, F&& f) {
    try {
        f();
        BOOST_ERROR(what << ": no exception, expected posenc::invalid_parameter(" << field << ")");
    } catch (const posenc::invalid_parameter& e) {
        BOOST_TEST(std::string_view(e.parameter()) == field,
                   what << ": parameter() = " << e.parameter() << ", expected " << field << " (" << e.what() << ")");
        BOOST_TEST(std::string_view(e.what()).find(field) != std::string_view::npos, what << ": " << e.what());
    } catch (const std::exception& e) {
        BOOST_ERROR(what << ": wrong exception type: " << e.what());
    }
}

}  // namespace posenc_test
