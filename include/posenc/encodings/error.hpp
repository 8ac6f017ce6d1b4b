// posenc/encodings/error.hpp: how posenc rejects bad parameters.
//
// At run time a failed check throws posenc::invalid_parameter, whose message names the parameter and
// its allowed range. In a constant expression the same check cannot throw, so evaluation stops and
// the compiler reports the failing POSENC_REQUIRE line, which carries the same texts.
#pragma once

#include <stdexcept>
#include <string>

namespace posenc {

/// A parameter outside its documented range.
class invalid_parameter : public std::invalid_argument {
public:
    invalid_parameter(const char* parameter, const char* allowed)
        : std::invalid_argument(std::string("posenc: invalid ") + parameter + ": must be " + allowed),
          parameter_(parameter) {}
    invalid_parameter(const char* parameter, const std::string& allowed)
        : invalid_parameter(parameter, allowed.c_str()) {}

    /// The parameter's name, as in the encoding's parameter struct.
    [[nodiscard]] const char* parameter() const noexcept { return parameter_; }

private:
    const char* parameter_;
};

}  // namespace posenc

/// Checks a parameter: throws posenc::invalid_parameter(parameter, allowed) when cond is false.
#define POSENC_REQUIRE(cond, parameter, allowed)                          \
    do {                                                                  \
        if (!(cond)) throw ::posenc::invalid_parameter(parameter, allowed); \
    } while (false)
