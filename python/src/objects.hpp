// python/src/objects.hpp: the C++ objects behind posenc.Rope and posenc.Mrope, shared by the
// binding files (reference.cpp defines the Python classes; kernels.cpp and analysis.cpp take them
// as arguments).
#pragma once

#include "spec.hpp"

#include <posenc/encodings/mrope.hpp>
#include <posenc/encodings/rope.hpp>

#include <utility>

namespace posenc_py {

/// posenc.Rope: the parameters (at every precision) and the library's double rope, built once
/// (which also validates the parameters: posenc::invalid_parameter becomes ValueError).
struct rope_object {
    rope_spec spec;
    posenc::rope<double> r64;  ///< theta within 1 ulp (what the float32 kernels use)

    explicit rope_object(rope_spec s) : spec(std::move(s)), r64(spec.params<double>()) {}
};

/// posenc.Mrope: the same for an M-RoPE (spec.is_mrope()).
struct mrope_object {
    rope_spec spec;
    posenc::mrope<double> m64;

    explicit mrope_object(rope_spec s) : spec(std::move(s)), m64(spec.params<double>()) {}
};

}  // namespace posenc_py
