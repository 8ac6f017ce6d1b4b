// posenc/posenc.hpp: umbrella header for the whole library.
#pragma once

#include "analysis.hpp"
#include "concepts.hpp"
#include "encodings.hpp"
#include "math.hpp"
#include "properties.hpp"
