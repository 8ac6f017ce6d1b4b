"""posenc.kernels: the float32 RoPE kernels (C++ posenc/kernels.hpp) on numpy arrays and CPU torch
tensors, in place or out of place, zero-copy, the GIL released.

Tensors: float32 [tokens, heads, head_dim] (layout="tokens_major") or [heads, tokens, head_dim]
(layout="heads_major"; the order of the axes, not the pair layout, which is the rope's); any
strides with a contiguous last axis (a slice of a packed QKV buffer, a transposed view); q and k
may have different head counts. No conversion is ever made: another dtype is a TypeError, strides
the kernels cannot address a ValueError. CPU torch tensors are used through Tensor.numpy() (the same
memory); CUDA tensors, other dtypes and tensors requiring grad are a TypeError.

Without out_q / out_k the tensors are rotated in place (they must be writable); with them the
rotation is written there (same shape, float32, writable, overlapping no other operand). The
functions return what they wrote, the caller's own objects: q or out_q, or (q', k') with k.

Positions: integers (any width; a sequence of ints or a CPU integer tensor too), [tokens] for the
1D rope, [tokens, 3] (t, h, w) for M-RoPE, each within [-2^24, 2^24].

Errors (README "Float32 kernels": bounds derived there, checked against MPFR), per output pair:
apply_fused, apply_mrope 0.71 + 2^-28 ulp(|x_pair|); apply_table 1.42 (1.71 with an attention scale
> 1); build_table entries within 1 ulp. theta_i is the double of frequencies(rope)["theta"]; with
attention_factor=True cos and sin carry rope.attention_factor and the bounds are relative to
attention_factor * |x_pair|.

threads=n splits the tokens over n threads (pools cached per count); the bits do not depend on n.
Every bad argument raises TypeError or ValueError whose message starts with the argument's name.
"""
from typing import Any, Literal, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import Mrope, Rope

_Layout = Literal["tokens_major", "heads_major"]
_Positions = Union[npt.NDArray[np.integer[Any]], Sequence[int], Sequence[Sequence[int]], Any]

max_position: int
"""The largest |position| the kernels accept: 2^24."""
def target() -> str:
    """The vector target the kernels run on now (Highway's name: AVX3 = AVX-512, AVX2, SSE4, NEON,
    SVE, ...)."""

def targets() -> list[str]:
    """The targets compiled into the kernels that this CPU runs, best first."""

def use_target(name: str) -> None:
    """Runs every later kernel call on `name` (one of targets()), or on the best again with
    "best". Every target gives the same bits; this changes only the speed. ValueError for any
    other name."""

def lanes() -> int:
    """Doubles per vector of the current target."""

class CosSinTable:
    """cos and sin of m * theta_i (times the attention scale) for positions x pairs, float32, from
    build_table; immutable."""

    @property
    def cos(self) -> npt.NDArray[np.float32]:
        """float32 [positions, pairs], read-only: cos(m theta_i), times the attention scale."""
    @property
    def sin(self) -> npt.NDArray[np.float32]:
        """float32 [positions, pairs], read-only: sin(m theta_i), times the attention scale."""
    @property
    def positions(self) -> npt.NDArray[np.int64]:
        """int64 [positions]: the position of each row (a copy)."""
    @property
    def pairs(self) -> int:
        """Rotated pairs (columns)."""
    @property
    def attention_scale(self) -> float:
        """The factor cos and sin were multiplied by (1.0 without attention_factor)."""
    @property
    def frequencies(self) -> dict[str, Any]:
        """The kernel frequencies the table was built from (as frequencies())."""
    def __len__(self) -> int: ...

def apply_fused(rope: Rope, positions: _Positions, q: Any, k: Optional[Any] = None, *, out_q: Optional[Any] = None,
                out_k: Optional[Any] = None, layout: _Layout = "tokens_major", threads: int = 1,
                attention_factor: bool = False) -> Any:
    """Rotates q (and k) by RoPE from per-token integer positions (posenc::kernels::apply_fused):
    cos/sin computed once per token in double, each output component rounded once; every output
    pair within 0.71 + 2^-28 ulp(|x_pair|) of the exact rotation by m * theta_i.

    rope: the encoding. positions: integers [tokens], |p| <= 2^24.
    q, k: float32 [tokens, heads, head_dim] (or [heads, tokens, head_dim] with
    layout="heads_major"), numpy arrays or CPU torch tensors; head_dim the rope's.
    out_q, out_k: None (in place) or writable float32 tensors of the same shapes.
    threads: >= 1. attention_factor: multiply cos and sin by rope.attention_factor (HF).
    Returns q or out_q, or (q', k') when k is given: the objects written.
    """

def apply_mrope(mrope: Mrope, positions: _Positions, q: Any, k: Optional[Any] = None, *, out_q: Optional[Any] = None,
                out_k: Optional[Any] = None, layout: _Layout = "tokens_major", threads: int = 1,
                attention_factor: bool = False) -> Any:
    """M-RoPE (posenc::kernels::apply_mrope): rotated pair i of token j turns by
    positions[j, axis(i)] * theta_i, axis(i) the pair's axis under mrope_section (sectioned or
    interleaved). Tokens with t = h = w give exactly apply_fused's bits; error as apply_fused.

    positions: integers [tokens, 3] (t, h, w), each within [-2^24, 2^24]. The rest as apply_fused.
    """

def build_table(rope: Rope, positions: _Positions, threads: int = 1, attention_factor: bool = False) -> CosSinTable:
    """cos and sin of m * theta_i for every position (one row each, in order) and rotated pair,
    rounded to float32 (posenc::kernels::build_table): every entry within 1 ulp of the exact value;
    times rope.attention_factor with attention_factor=True."""

def apply_table(rope: Rope, table: CosSinTable, q: Any, k: Optional[Any] = None, *, out_q: Optional[Any] = None,
                out_k: Optional[Any] = None, layout: _Layout = "tokens_major", threads: int = 1) -> Any:
    """Rotates q (and k) by a table of this rope from build_table (posenc::kernels::apply_table):
    token t by row t. Each output pair within 1.42 ulp(|x_pair|) of the exact rotation (1.71 with
    an attention scale > 1). The rest as apply_fused."""

def frequencies(rope: Union[Rope, Mrope], attention_factor: bool = False) -> dict[str, Any]:
    """What the kernels compute with: head_dim, rotary_dim, layout ('interleaved' or 'half-split'),
    theta (float64 [pairs], the rope's inv_freq in double), attention_scale; for an Mrope also axes
    (uint8 [pairs]: 0 = t, 1 = h, 2 = w), mrope_section and mrope_interleaved."""

def _time_apply_fused(rope: Rope, positions: _Positions, q: Any, k: Optional[Any] = None, *,
                      out_q: Optional[Any] = None, out_k: Optional[Any] = None, layout: _Layout = "tokens_major",
                      threads: int = 1, attention_factor: bool = False, repeats: int = 1000) -> float:
    """Seconds per apply_fused call timed in a C++ loop of `repeats` calls (the benchmark's C++ side)."""
