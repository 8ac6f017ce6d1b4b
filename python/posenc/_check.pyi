"""posenc.check: is this RoPE artifact right? (the ``posenc check`` subcommand from Python)."""
from typing import Any, Dict, List, Literal, Optional, Union

import numpy.typing as npt

from ._reference import Mrope, Rope

__all__ = ["check", "CheckReport"]

_Array = Any  # a numpy array or a CPU torch tensor
_DType = Literal["float64", "float32", "float16", "bfloat16"]

class CheckReport:
    """The report of posenc.check: the same content as the tool's --format json."""

    data: Dict[str, Any]
    """The whole report as a dict (verdict, tolerance, dtype, expect, artifact, buckets, diagnosis, shape)."""
    passed: bool
    """Every value within the tolerance."""
    max_ulps: float
    """The largest error, in ulps of the judged dtype (inf for a NaN or infinite value)."""
    tolerance: float
    buckets: List[Dict[str, Any]]
    """Per artifact array and position bucket: lo, hi, entries, max_ulps, mean_ulps, worst_position,
    worst_pair, worst_column, value, reference (the exact value rounded to the judged dtype)."""
    diagnosis: List[Dict[str, Any]]
    """When outside the tolerance, best first: mode, parameters, residual_ulps, explains, text."""
    shape: Dict[str, Any]
    """by_pair: the max error per pair (rotated: the pass-through dims last)."""
    def to_json(self) -> str: ...
    def csv(self) -> str: ...
    def __bool__(self) -> bool: ...

def check(
    rope: Union[Rope, Mrope],
    *,
    inv_freq: Optional[_Array] = None,
    cos: Optional[_Array] = None,
    sin: Optional[_Array] = None,
    freqs_cis: Optional[_Array] = None,
    q: Optional[_Array] = None,
    q_rotated: Optional[_Array] = None,
    k: Optional[_Array] = None,
    k_rotated: Optional[_Array] = None,
    positions: Optional[npt.ArrayLike] = None,
    layout: Optional[Literal["half-split", "interleaved"]] = None,
    cache_layout: Literal["auto", "cat", "repeat", "half"] = "auto",
    token_axis: int = 0,
    dtype: Optional[_DType] = None,
    expect: Optional[_DType] = None,
    tolerance: Optional[float] = None,
) -> CheckReport:
    """Checks one RoPE artifact of `rope` against the exact reference: the error of every value in
    ulps of its dtype (at the value for inv_freq, at the pair norm for cos/sin and rotated q/k), per
    position bucket, a verdict against `tolerance` (default 1; 2 for rotated q/k), and when outside
    it the known failure modes that explain it (layout swapped, positions offset, inv_freq rounded,
    angle in float32/TF32/float16/bfloat16, ggml's recurrence, cos/sin stored narrow, attention
    factor, partial rotary over the full head, another base, dynamic NTK length, LongRoPE factor
    set, M-RoPE map, fast sin/cos). Raises ValueError/TypeError naming the argument for bad input."""
