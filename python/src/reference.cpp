// python/src/reference.cpp
#include "bindings.hpp"

namespace posenc_py {

void register_reference(pybind11::module_&) {}

}  // namespace posenc_py
