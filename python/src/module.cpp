// python/src/module.cpp: the extension module posenc._posenc (pybind11): posenc's errors become
// Python exceptions, then the parts of bindings.hpp are registered.
//   posenc::invalid_parameter          -> ValueError("posenc: invalid FIELD: must be RANGE")
//   posenc::kernels::kernel_error      -> ValueError("posenc kernels: ARGUMENT: problem")
//   posenc::config::error              -> ValueError("FILE: KEY: reason")
// (argument type errors are pybind11's TypeError; the binding files raise TypeError/ValueError
// naming the argument for dtype, shape, stride and writability problems.)
#include "bindings.hpp"

#include <posenc/config/config.hpp>
#include <posenc/encodings/error.hpp>
#include <posenc/kernels/error.hpp>

namespace py = pybind11;

PYBIND11_MODULE(_posenc, m) {
    m.doc() = "posenc: exact RoPE references and fast float32 kernels (the C++ extension; use the posenc package)";
    m.attr("__version__") = POSENC_VERSION;
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const posenc::invalid_parameter& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const posenc::kernels::kernel_error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const posenc::config::error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
    posenc_py::register_reference(m);
    py::module_ k = m.def_submodule("kernels", "The float32 kernels (posenc/kernels.hpp)");
    posenc_py::register_kernels(k);
    posenc_py::register_analysis(m);
    posenc_py::register_check(m);
}
