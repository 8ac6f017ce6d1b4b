// posenc/analysis.hpp: every decay quantity in one include (namespace posenc::analysis): the unit
// phases of many distances, RoFormer's bound, Men et al.'s B and first negative B, the min-base
// grid search.
#pragma once

#include "analysis/b_sum.hpp"
#include "analysis/gaussian.hpp"
#include "analysis/min_base.hpp"
#include "analysis/phases.hpp"
#include "analysis/roformer.hpp"
