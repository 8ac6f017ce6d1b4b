"""Long-range decay of RoPE: the quantities of the posenc tool's ``decay``, ``context`` and
``min-base`` subcommands (experiments/cli/decay.cpp and context.cpp) on numpy arrays.

The numbers are computed by the extension (python/src/analysis.cpp) with the same posenc::analysis
functions, blocks, limits and exact-sign rule as the tool, so they agree with its CSV exactly. The
scans run without the GIL on ``threads`` threads (0: every core; results do not depend on it), and
Ctrl-C interrupts them (KeyboardInterrupt).
"""
from typing import NamedTuple

import numpy as np

from . import _posenc

__all__ = ["decay", "context_length", "min_base", "MinBase", "MAX_DISTANCES"]

#: The most distances one decay call takes (a float64 result of 80 MB).
MAX_DISTANCES = 10_000_000
_MAX_DISTANCE = 2**53  # every integer up to it is exact in double (the tool's limit)
_MAX_SCANS = 1_000_000  # bases of context_length, contexts of min_base


def _invalid(name, allowed):
    """posenc's message for a bad argument (the extension's invalid_parameter says the same)."""
    return ValueError(f"posenc: invalid {name}: must be {allowed}")


def _wrong_type(name, allowed, value):
    return TypeError(f"posenc: invalid {name}: must be {allowed}, got {type(value).__name__}")


def _int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise _wrong_type(name, "an int", value)
    return int(value)


def _str(value, name):
    if not isinstance(value, str):
        raise _wrong_type(name, "a str", value)
    return value


def _number_text(value, name):
    """A number as the decimal text the extension parses at every precision: an int exactly, a
    float as its shortest repr (the decimal that reads back as it), a str as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise _wrong_type(name, "a number", value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    raise _wrong_type(name, "a number", value)


def _integers(values, name, lo, hi, lo_text, hi_text, max_size):
    """A 1-D array-like of integers in [lo, hi] as a C-contiguous int64 array; TypeError or
    ValueError naming `name` otherwise (the size is checked before the values are read)."""
    a = np.asarray(values)
    if a.ndim != 1:
        raise _invalid(name, f"a 1-D array of integers, got {a.ndim} dimensions")
    if a.size > max_size:
        raise _invalid(name, f"an array of at most {max_size} entries, got {a.size}")
    if a.size == 0:
        return np.zeros(0, dtype=np.int64)
    if a.dtype == object:
        items = a.tolist()
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            raise TypeError(f"posenc: invalid {name}: must be integers, got an object array of other values")
        smallest, largest = min(items), max(items)
    elif a.dtype.kind in "iu":
        smallest, largest = int(a.min()), int(a.max())
    else:
        raise TypeError(f"posenc: invalid {name}: must be integers, got dtype {a.dtype}")
    if smallest < lo:
        raise _invalid(name, f"integers in [{lo_text}, {hi_text}], got {smallest}")
    if largest > hi:
        raise _invalid(name, f"integers in [{lo_text}, {hi_text}], got {largest}")
    return np.ascontiguousarray(a, dtype=np.int64)


def _rope_argument(rope, rope_parameters, function):
    """The rope given, or a posenc.Rope of the keyword parameters."""
    if rope is None:
        from . import Rope  # the package's class (defined after this module's import)

        return Rope(**rope_parameters)
    if rope_parameters:
        names = ", ".join(sorted(rope_parameters))
        raise TypeError(f"{function}: give a rope or RoPE keyword parameters, not both (got rope and {names})")
    return rope


def decay(rope, distances, quantity="b-sum", precision="double", axis=None, samples=1000, seed=0,
          gaussian_k="independent", noise_std=1.0, *, threads=0):
    """The decay quantity of a RoPE at each relative distance r (``posenc decay``'s values).

    rope:       a posenc.Rope (its inv_freq, any rope type) or a posenc.Mrope.
    distances:  1-D integers in [0, 2^53], at most MAX_DISTANCES of them.
    quantity:   "b-sum"           B_r = sum_i cos(r theta_i) (Men et al. 2024, arXiv 2405.14591, eq. 9)
                "roformer-bound"  (1/N) sum_{j=1}^{N} |S_j|, S_j = sum_{i<j} e^{i r theta_i}: RoFormer's
                                  relative upper bound (Su et al. 2021, §3.4.3, eq. 37, Figure 2)
                "gaussian"        mean and standard deviation over `samples` seeded draws of
                                  <R_m q, R_{m+r} k>, q ~ N(0, I) and k ~ N(0, I) ("independent") or
                                  k = q + noise_std * eps ("correlated")
    precision:  "double", "50" or "100" (decimal digits: Boost cpp_bin_float_50/100): the number type
                the frequencies and the quantity are computed in; the result is rounded once to float64.
                At "double" the values (of the frequencies rounded to double) are within 1e-13
                relative (roformer-bound) and 2e-12 absolute (b-sum) up to r = 2^40; beyond it the
                double phases of posenc/analysis/phases.hpp lose accuracy (b-sum off by 1e-10 at
                r = 2^45, 5e-3 at r = 2^53 - 1): use "50" there.
    axis:       None for a posenc.Rope; for a posenc.Mrope the axes the distance moves along, "t",
                "h", "w", "hw" or "thw" (None: "thw", the text direction). The pairs of the other
                axes turn by 0 and contribute 1 each to B.
    samples, seed, gaussian_k, noise_std: the Gaussian quantity's draws (samples in [2, 10^8]).
    threads:    worker threads (0: every core).

    Returns a float64 array of the distances' shape, or for "gaussian" the tuple (mean, std).
    """
    quantity = _str(quantity, "quantity")
    if isinstance(precision, (int, np.integer)) and not isinstance(precision, bool):
        precision = str(int(precision))
    precision = _str(precision, "precision")
    if axis is not None:
        axis = _str(axis, "axis")
    gaussian_k = _str(gaussian_k, "gaussian_k")
    samples = _int(samples, "samples")
    seed = _int(seed, "seed")
    if not 0 <= seed < 2**64:
        raise _invalid("seed", f"an integer in [0, 2^64), got {seed}")
    noise = _number_text(noise_std, "noise_std")
    threads = _int(threads, "threads")
    d = _integers(distances, "distances", 0, _MAX_DISTANCE, "0", "2^53", MAX_DISTANCES)
    return _posenc._decay(rope, d, quantity, precision, axis, samples, seed, gaussian_k, noise, threads)


def context_length(rope=None, bases=None, *, max_m=2**24, threads=0, **rope_parameters):
    """Men et al.'s context length L_theta (arXiv 2405.14591, eq. 10; ``posenc context``):
    (the first integer m >= 0 with B_m = sum_i cos(m theta_i) < 0) - 1.

    rope:       a posenc.Rope or posenc.Mrope (an M-RoPE along its text direction, every pair
                turning), or None and RoPE keyword parameters (head_dim=..., base=..., rope_type=...)
                as posenc.Rope takes them.
    bases:      None for the rope's own base; else a 1-D array of bases (ints, floats read as their
                shortest repr, or decimal strings), each replacing the rope's base.
    max_m:      the largest m searched, in [1, 2^30] (the tool's --max-m, default 2^24).

    Every m where the double scan's B is too close to 0 to trust its sign is decided at 50 digits.
    Returns an int (bases None) or an int64 array, -1 where B >= 0 for every m <= max_m.
    """
    r = _rope_argument(rope, rope_parameters, "context_length")
    max_m = _int(max_m, "max_m")
    threads = _int(threads, "threads")
    if bases is None:
        return int(_posenc._context_length(r, [], max_m, threads)[0])
    b = np.asarray(bases)
    if b.ndim != 1:
        raise _invalid("bases", f"a 1-D array of bases, got {b.ndim} dimensions")
    if b.size > _MAX_SCANS:
        raise _invalid("bases", f"at most {_MAX_SCANS} bases, got {b.size}")
    texts = [_number_text(v, "bases") for v in b.tolist()]
    return _posenc._context_length(r, texts, max_m, threads)


class MinBase(NamedTuple):
    """posenc.min_base's answer, one entry per context length."""

    min_base: np.ndarray
    """float64: the smallest admissible grid base (NaN: none in [base_min, base_max])."""
    first_negative_m: np.ndarray
    """int64: the first m with B_m < 0 at min_base, searched up to the largest context (-1: none,
    or no min_base)."""
    next_inadmissible_base: np.ndarray
    """float64: the smallest larger grid base, up to 10 min_base, that fails the context (NaN: none)."""


def min_base(context, rope=None, *, grid_digits=2, base_min=10, base_max=1e12, convention="through-L",
             threads=0, **rope_parameters):
    """The smallest base keeping B_m >= 0 up to each context length (Men et al. 2024, arXiv
    2405.14591, eq. 11; ``posenc min-base``).

    context:      an int or a 1-D array of context lengths L in [1, 2^24].
    rope:         a posenc.Rope whose parameters other than the base are used, or None and RoPE
                  keyword parameters (head_dim=..., rope_type=..., ...).
    grid_digits:  bases k 10^e with k an integer of grid_digits (1 to 6) significant digits, in
                  [base_min, base_max], tried in increasing order (no bisection: the admissible set
                  is not an interval).
    convention:   "through-L" (B >= 0 for every m in [0, L]) or "through-L-minus-1" ([0, L - 1]).

    Returns MinBase(min_base, first_negative_m, next_inadmissible_base), numpy arrays.
    """
    r = _rope_argument(rope, rope_parameters, "min_base")
    if isinstance(context, (int, np.integer)) and not isinstance(context, (bool, np.bool_)):
        context = [int(context)]
    c = _integers(context, "context", 1, 2**24, "1", "2^24", _MAX_SCANS)
    grid_digits = _int(grid_digits, "grid_digits")
    lo = _number_text(base_min, "base_min")
    hi = _number_text(base_max, "base_max")
    convention = _str(convention, "convention")
    threads = _int(threads, "threads")
    mb, fn, nb = _posenc._min_base(r, c, grid_digits, lo, hi, convention, threads)
    return MinBase(mb, fn, nb)
