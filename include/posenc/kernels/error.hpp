// posenc/kernels/error.hpp: how the float32 kernels (and their thread pool) reject bad arguments.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace posenc::kernels {

/// A kernel argument outside its allowed range; the message names the argument.
class kernel_error : public std::invalid_argument {
public:
    kernel_error(std::string argument, const std::string& problem)
        : std::invalid_argument("posenc kernels: " + argument + ": " + problem), argument_(std::move(argument)) {}
    /// The argument's name ("q", "positions", "head_dim", "threads", ...).
    [[nodiscard]] const std::string& argument() const noexcept { return argument_; }

private:
    std::string argument_;
};

}  // namespace posenc::kernels
