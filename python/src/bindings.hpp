// python/src/bindings.hpp: the parts of the extension module posenc._posenc, one file each,
// registered in this order by module.cpp.
#pragma once

#include <pybind11/pybind11.h>

namespace posenc_py {

/// Rope, Mrope, position ids and the exact references (reference.cpp).
void register_reference(pybind11::module_& m);
/// The float32 kernels, on the submodule posenc._posenc.kernels (kernels.cpp).
void register_kernels(pybind11::module_& kernels);
/// decay, context_length, min_base (analysis.cpp).
void register_analysis(pybind11::module_& m);
/// posenc.check's C++ half (check.cpp).
void register_check(pybind11::module_& m);

}  // namespace posenc_py
