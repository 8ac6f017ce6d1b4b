"""Long-range decay of RoPE: ``posenc decay``, ``context`` and ``min-base`` on numpy arrays."""
from typing import Literal, NamedTuple, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

from ._reference import Mrope, Rope

__all__ = ["decay", "context_length", "min_base", "MinBase", "MAX_DISTANCES"]

MAX_DISTANCES: int
"""The most distances one decay call takes (10^7)."""

_Number = Union[int, float, str]
_Integers = Union[npt.ArrayLike, Sequence[int]]

@overload
def decay(
    rope: Union[Rope, Mrope],
    distances: _Integers,
    quantity: Literal["b-sum", "roformer-bound"] = "b-sum",
    precision: Union[Literal["double", "50", "100"], int] = "double",
    axis: Optional[Literal["t", "h", "w", "hw", "thw"]] = None,
    samples: int = 1000,
    seed: int = 0,
    gaussian_k: Literal["independent", "correlated"] = "independent",
    noise_std: _Number = 1.0,
    *,
    threads: int = 0,
) -> npt.NDArray[np.float64]: ...
@overload
def decay(
    rope: Union[Rope, Mrope],
    distances: _Integers,
    quantity: Literal["gaussian"],
    precision: Union[Literal["double", "50", "100"], int] = "double",
    axis: Optional[Literal["t", "h", "w", "hw", "thw"]] = None,
    samples: int = 1000,
    seed: int = 0,
    gaussian_k: Literal["independent", "correlated"] = "independent",
    noise_std: _Number = 1.0,
    *,
    threads: int = 0,
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The decay quantity of a RoPE at each relative distance r (``posenc decay``'s values, exactly).

    rope:       a posenc.Rope (its inv_freq, any rope type) or a posenc.Mrope.
    distances:  1-D integers in [0, 2^53], at most MAX_DISTANCES of them.
    quantity:   "b-sum" (Men et al. 2024 eq. 9, sum_i cos(r theta_i)), "roformer-bound" (RoFormer
                §3.4.3 eq. 37, (1/N) sum_j |S_j|) or "gaussian" (mean and std of <R_m q, R_{m+r} k>
                over seeded Gaussian draws).
    precision:  "double", "50" or "100": the number type of the computation; rounded once to float64.
                At "double", within 1e-13 relative (roformer-bound) / 2e-12 absolute (b-sum) up to
                r = 2^40, less accurate beyond (5e-3 at 2^53 - 1): use "50" there.
    axis:       None for a posenc.Rope; for a posenc.Mrope "t", "h", "w", "hw" or "thw" (None: "thw"):
                the pairs of the other axes turn by 0 (each adds 1 to B).
    threads:    worker threads (0: every core); the results do not depend on it.

    Returns float64 values, or (mean, std) for "gaussian". ValueError naming the argument for a bad
    quantity, precision, axis, distance, array size, samples, seed, gaussian_k or noise_std.
    """

@overload
def context_length(
    rope: Union[Rope, Mrope, None] = None,
    bases: None = None,
    *,
    max_m: int = 16777216,
    threads: int = 0,
    **rope_parameters: object,
) -> int: ...
@overload
def context_length(
    rope: Union[Rope, Mrope, None] = None,
    bases: Union[npt.ArrayLike, Sequence[_Number]] = ...,
    *,
    max_m: int = 16777216,
    threads: int = 0,
    **rope_parameters: object,
) -> npt.NDArray[np.int64]:
    """Men et al.'s context length (eq. 10; ``posenc context``): (first m with B_m < 0) - 1, for the
    rope (or posenc.Rope(**rope_parameters)) or for each base in `bases` (ints, floats read as their
    shortest repr, decimal strings). -1 where B_m >= 0 for every m <= max_m (in [1, 2^30], default
    2^24). Signs the double scan cannot settle are decided at 50 digits.
    """

class MinBase(NamedTuple):
    """posenc.min_base's answer, one entry per context length."""

    min_base: npt.NDArray[np.float64]
    """The smallest admissible grid base (NaN: none in [base_min, base_max])."""
    first_negative_m: npt.NDArray[np.int64]
    """The first m with B_m < 0 at min_base, up to the largest context (-1: none, or no min_base)."""
    next_inadmissible_base: npt.NDArray[np.float64]
    """The smallest larger grid base, up to 10 min_base, failing the context (NaN: none)."""

def min_base(
    context: Union[int, _Integers],
    rope: Union[Rope, Mrope, None] = None,
    *,
    grid_digits: int = 2,
    base_min: _Number = 10,
    base_max: _Number = 1e12,
    convention: Literal["through-L", "through-L-minus-1"] = "through-L",
    threads: int = 0,
    **rope_parameters: object,
) -> MinBase:
    """The smallest base on a decimal grid (k 10^e, k of grid_digits digits, in [base_min, base_max],
    tried in increasing order) keeping B_m >= 0 for every m in [0, L] ("through-L") or [0, L - 1]
    (Men et al. eq. 11; ``posenc min-base``), for each context length L in [1, 2^24]. The rope's (or
    posenc.Rope(**rope_parameters)'s) parameters other than its base are used.
    """
