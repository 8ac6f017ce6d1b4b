// Headers every test includes and that cost most of their compile time; precompiled once per
// build directory and force-included into each test (tests/CMakeLists.txt, POSENC_TEST_PCH).
// Boost.Test's unit_test.hpp is not here: it must see each file's BOOST_TEST_MODULE first.
#pragma once

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/mpfr.hpp>
#include <fmt/format.h>
#include <mpfr.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <posenc/posenc.hpp>
