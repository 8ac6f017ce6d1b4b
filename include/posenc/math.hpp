// posenc/math.hpp: the constexpr math core (namespace posenc::math) in one include.
#pragma once

#include "math/constants.hpp"
#include "math/cx_float.hpp"
#include "math/double_t.hpp"
#include "math/exp.hpp"
#include "math/log.hpp"
#include "math/pow.hpp"
#include "math/sqrt.hpp"
#include "math/trig.hpp"
