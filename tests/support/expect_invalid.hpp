// Checks that a call is rejected with posenc::invalid_parameter (encodings) or
// posenc::kernels::kernel_error (kernels) naming the right field or argument.
// Include after <boost/test/unit_test.hpp> (it reports through BOOST_TEST / BOOST_ERROR).
#pragma once

#include <posenc/encodings/error.hpp>
#include <posenc/kernels/error.hpp>

#include <boost/test/unit_test.hpp>

#include <exception>
#include <string>
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

/// f() must throw posenc::kernels::kernel_error whose argument() is `argument` and whose message
/// contains `text`; no exception, or another exception type, is an error.
template <class F>
void expect_error(const std::string& what, const std::string& argument, const std::string& text, F&& f) {
    try {
        f();
        BOOST_ERROR(what << ": no exception, expected kernel_error(" << argument << ")");
    } catch (const posenc::kernels::kernel_error& e) {
        BOOST_TEST(e.argument() == argument, what << ": argument() = " << e.argument() << ", expected " << argument);
        BOOST_TEST(std::string(e.what()).find(text) != std::string::npos, what << ": message '" << e.what() << "' lacks '" << text << "'");
        BOOST_TEST_MESSAGE(what << ": " << e.what());
    } catch (const std::exception& e) {
        BOOST_ERROR(what << ": wrong exception type: " << e.what());
    }
}

}  // namespace posenc_test
