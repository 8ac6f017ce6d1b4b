"""What the tests/cli/ checkers share: failures, and ulp distances of doubles
computed exactly (mpmath)."""
import math
import struct

import mpmath

from measured import within_measured

mpmath.mp.dps = 60


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def expect_near_measured(worst, measured, what):
    """worst must not exceed MEASURED_CEILING_FACTOR times `measured`, the largest value measured when
    the check was written (measured.py)."""
    expect(within_measured(worst, measured),
           f"{what}: {float(worst):.4g} above the measured ceiling ({measured:.4g} measured)")


def nearest_double(x):
    """The double nearest the exact value x (mpmath rounds to nearest, ties to even)."""
    return float(mpmath.mpf(x))


def ordered(f):
    """Doubles mapped to integers in the same order, adjacent doubles to adjacent integers."""
    i = struct.unpack("<q", struct.pack("<d", f))[0]
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)


def ulp_steps(got, want_exact):
    """Representable doubles between got and the double nearest want_exact."""
    return abs(ordered(got) - ordered(nearest_double(want_exact)))


def ulp_error(got, want_exact):
    """|got - exact| in ulps of the double nearest the exact value, computed exactly."""
    w = nearest_double(want_exact)
    unit = math.ulp(w) if w != 0 else math.ulp(0.0)
    return abs(mpmath.mpf(got) - mpmath.mpf(want_exact)) / mpmath.mpf(unit)


def parse_float(text, what):
    try:
        return float(text)
    except ValueError:
        raise Failure(f"{what}: not a number: {text!r}")
