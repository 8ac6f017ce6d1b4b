// posenc/encodings.hpp: every position encoding in one include.
#pragma once

#include "math.hpp"

#include "encodings/complex.hpp"
#include "encodings/complex_embedding.hpp"
#include "encodings/error.hpp"
#include "encodings/mrope.hpp"
#include "encodings/mrope_positions.hpp"
#include "encodings/rope.hpp"
#include "encodings/rope2d.hpp"
#include "encodings/sinusoidal.hpp"
