// posenc/properties.hpp: every property predicate in one include.
#pragma once

#include "properties/bounded.hpp"
#include "properties/common.hpp"
#include "properties/decay.hpp"
#include "properties/mrope.hpp"
#include "properties/relative.hpp"
#include "properties/rope2d.hpp"
