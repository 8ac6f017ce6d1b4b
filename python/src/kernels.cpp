// python/src/kernels.cpp
#include "bindings.hpp"

namespace posenc_py {

void register_kernels(pybind11::module_&) {}

}  // namespace posenc_py
