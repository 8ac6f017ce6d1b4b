// python/src/analysis.cpp
#include "bindings.hpp"

namespace posenc_py {

void register_analysis(pybind11::module_&) {}

}  // namespace posenc_py
