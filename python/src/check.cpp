// python/src/check.cpp: posenc.check — the C++ half (python/posenc/_check.py does the argument
// handling: torch tensors to numpy, bfloat16 as uint16, positions as int64). The arrays are read
// into posenc::check::tensor (exact doubles) and posenc::check::run does the rest, without the GIL;
// the report comes back as its JSON, CSV and text forms, the same bytes as the posenc tool's.
#include "bindings.hpp"
#include "objects.hpp"

#include <posenc/check/check.hpp>
#include <posenc/io/npy.hpp>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace py = pybind11;

namespace posenc_py {

namespace {

namespace pc = posenc::check;

/// A C-contiguous numpy array of float64/float32/float16 (or uint16 holding bfloat16 bits when
/// `dtype` is "bfloat16") as a tensor named `name`.
pc::tensor tensor_of(const py::array& a, const std::string& name, const std::optional<std::string>& dtype) {
    if (!(a.flags() & py::array::c_style)) throw py::value_error("posenc: invalid " + name + ": must be C-contiguous");
    pc::tensor t;
    t.name = name;
    for (py::ssize_t i = 0; i < a.ndim(); ++i) t.shape.push_back(static_cast<std::size_t>(a.shape(i)));
    const auto n = static_cast<std::size_t>(a.size());
    if (n > pc::max_elements) {
        throw py::value_error("posenc: invalid " + name + ": " + std::to_string(n) + " elements; at most " +
                              std::to_string(pc::max_elements) + " are checked in one call");
    }
    const char kind = a.dtype().kind();
    const auto size = a.itemsize();
    t.values.resize(n);
    const auto* raw = static_cast<const unsigned char*>(a.data());
    const bool bf16 = dtype && *dtype == "bfloat16";
    if (kind == 'f' && size == 8 && !bf16) {
        std::memcpy(t.values.data(), raw, n * 8);
        t.stored = pc::dtype::float64;
    } else if (kind == 'f' && size == 4 && !bf16) {
        for (std::size_t i = 0; i < n; ++i) {
            float f = 0;
            std::memcpy(&f, raw + 4 * i, 4);
            t.values[i] = f;
        }
        t.stored = pc::dtype::float32;
    } else if ((kind == 'f' && size == 2 && !bf16) || (kind == 'u' && size == 2 && bf16)) {
        for (std::size_t i = 0; i < n; ++i) {
            std::uint16_t b = 0;
            std::memcpy(&b, raw + 2 * i, 2);
            t.values[i] = bf16 ? posenc::io::bfloat16_to_double(b) : posenc::io::half_to_double(b);
        }
        t.stored = bf16 ? pc::dtype::bfloat16 : pc::dtype::float16;
    } else if (bf16) {
        throw py::type_error("posenc: invalid " + name + ": bfloat16 data comes as uint16 bits (or a torch.bfloat16 tensor), got " +
                             std::string(py::str(a.dtype())));
    } else {
        throw py::type_error("posenc: invalid " + name + ": must be float64, float32, float16 (or bfloat16 as uint16 with "
                             "dtype='bfloat16'), got " + std::string(py::str(a.dtype())));
    }
    if (dtype && !bf16) {
        const auto d = pc::dtype_from_name(*dtype);
        if (!d) throw py::value_error("posenc: invalid dtype: must be one of float64, float32, float16, bfloat16, got '" + *dtype + "'");
        if (*d != t.stored) {
            throw py::value_error("posenc: invalid dtype: '" + *dtype + "' but " + name + " is " + std::string(pc::dtype_name(t.stored)));
        }
    }
    return t;
}

/// posenc._posenc._check: returns (json, csv, text).
std::tuple<std::string, std::string, std::string> check(const py::object& rope, const py::dict& arrays,
                                                        const std::optional<py::array_t<std::int64_t>>& positions,
                                                        const std::string& cache_layout, int token_axis,
                                                        const std::optional<std::string>& dtype,
                                                        const std::optional<std::string>& expect,
                                                        const std::optional<double>& tolerance,
                                                        const std::optional<std::string>& layout) {
    rope_spec spec;
    if (py::isinstance<rope_object>(rope)) {
        spec = rope.cast<const rope_object&>().spec;
    } else if (py::isinstance<mrope_object>(rope)) {
        spec = rope.cast<const mrope_object&>().spec;
    } else {
        throw py::type_error(std::string("posenc: invalid rope: must be a posenc.Rope or posenc.Mrope, got ") +
                             Py_TYPE(rope.ptr())->tp_name);
    }
    if (layout) spec.set("layout", *layout);
    pc::request q;
    q.params = spec.params<pc::hp>();
    q.layout_name = "cache_layout";
    q.token_axis_name = "token_axis";
    q.positions_name = "positions";
    q.expect_name = "expect";
    q.tolerance_name = "tolerance";
    auto get = [&](const char* key) -> std::optional<pc::tensor> {
        if (!arrays.contains(key) || arrays[key].is_none()) return std::nullopt;
        return tensor_of(arrays[key].cast<py::array>(), key, dtype);
    };
    q.inv_freq = get("inv_freq");
    q.cos = get("cos");
    q.sin = get("sin");
    q.freqs_cis = get("freqs_cis");
    for (const char* name : {"q", "k"}) {
        const std::string rot = std::string(name) + "_rotated";
        const auto x = get(name);
        const auto y = get(rot.c_str());
        if (x.has_value() != y.has_value()) {
            throw py::value_error(std::string("posenc: invalid ") + (x ? rot : std::string(name)) + ": " + name + " and " + rot +
                                  " are given together");
        }
        if (x) q.rotated.push_back({name, *x, *y});
    }
    if (cache_layout == "auto") {
        q.layout = pc::cache_layout::automatic;
    } else if (cache_layout == "cat") {
        q.layout = pc::cache_layout::cat;
    } else if (cache_layout == "repeat") {
        q.layout = pc::cache_layout::repeat;
    } else if (cache_layout == "half") {
        q.layout = pc::cache_layout::half;
    } else {
        throw py::value_error("posenc: invalid cache_layout: must be one of auto, cat, repeat, half, got '" + cache_layout + "'");
    }
    q.token_axis = token_axis;
    if (positions) {
        const auto& p = *positions;
        q.positions = std::vector<long long>(p.data(), p.data() + p.size());
        for (py::ssize_t i = 0; i < p.ndim(); ++i) q.positions_shape.push_back(static_cast<std::size_t>(p.shape(i)));
    }
    if (expect) {
        const auto d = pc::dtype_from_name(*expect);
        if (!d) throw py::value_error("posenc: invalid expect: must be one of float64, float32, float16, bfloat16, got '" + *expect + "'");
        q.expect = *d;
    }
    q.tolerance = tolerance;
    pc::report r;
    std::string problem;
    {
        py::gil_scoped_release release;
        try {
            r = pc::run(q);
        } catch (const pc::input_error& e) {
            problem = e.what();
        }
    }
    if (!problem.empty()) throw py::value_error("posenc: invalid " + problem);
    return {pc::to_json(r).dump(), pc::to_csv(r), pc::to_text(r)};
}

}  // namespace

void register_check(py::module_& m) {
    m.def("_check", &check, py::arg("rope"), py::arg("arrays"), py::arg("positions"), py::arg("cache_layout"),
          py::arg("token_axis"), py::arg("dtype"), py::arg("expect"), py::arg("tolerance"), py::arg("layout"),
          "posenc.check's C++ half: (json, csv, text) of the report (see python/posenc/_check.py)");
}

}  // namespace posenc_py
