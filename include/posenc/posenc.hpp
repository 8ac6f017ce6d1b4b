// posenc/posenc.hpp: umbrella header for the whole library.
#pragma once

#include "concepts.hpp"
#include "math.hpp"
