"""The measured ceiling of the CLI and Python checks (tests/cli/*.py, python/tests/*.py), as the C++
tests' measured_ceiling_factor (tests/support/bound_tracker.hpp): where a stated bound is a worst
case far above what the code does, the largest error is also held to MEASURED_CEILING_FACTOR times
the maximum measured when the check was written (written next to the check), so that a change that
doubles an error fails."""

MEASURED_CEILING_FACTOR = 1.5


def within_measured(worst, measured):
    """worst is at most MEASURED_CEILING_FACTOR times `measured`."""
    return worst <= MEASURED_CEILING_FACTOR * measured
