"""posenc.kernels: posenc's float32 RoPE kernels (C++ ``posenc/kernels.hpp``) on numpy arrays and CPU
torch tensors, in place or out of place, without copies, the GIL released.

Tensors. ``q`` and ``k`` (and ``out_q``/``out_k``) are float32 arrays of shape
``[tokens, heads, head_dim]`` (``layout="tokens_major"``, the default) or ``[heads, tokens,
head_dim]`` (``layout="heads_major"``); ``layout`` is the order of these axes, not the pair layout
(interleaved or half-split), which the rope holds. ``q`` and ``k`` may have different head counts
(grouped-query attention) and any strides whose last axis is contiguous: a slice of a packed QKV
buffer, a transposed view, padding between heads. head_dim must be the rope's; dimensions past its
rotary part (partial rotary) are left alone in place and copied out of place.

Zero-copy. The kernel reads and writes the array's own memory. Nothing is converted: a dtype other
than float32 is a TypeError (convert first, e.g. ``q.astype(numpy.float32)``, and rotate that), a
layout the kernels cannot address (last axis not contiguous, strides that are not whole floats,
negative strides) a ValueError. CPU torch tensors are viewed through ``Tensor.numpy()`` (the same
storage, checked); CUDA tensors, other dtypes and tensors that require grad are a TypeError.

In place or out of place. Without ``out_q`` (``out_k``), ``q`` (``k``) is rotated in place and must
be writable; with it, the rotation of ``q`` is written to ``out_q`` (same shape, float32, writable,
not overlapping ``q`` or any other operand). The functions return what they wrote: ``q`` or
``out_q`` (the same objects, torch tensors for torch tensors), or the pair ``(q', k')`` when ``k``
is given.

Positions. An integer array (any width, or a sequence of ints): ``[tokens]`` for the 1D rope,
``[tokens, 3]`` (t, h, w) for M-RoPE; every value within [-2^24, 2^24].

Accuracy (README "Float32 kernels"; the bounds are derived there and checked against MPFR):
  apply_fused, apply_mrope  each output pair within 0.71 + 2^-28 ulp(|x_pair|) of the exact
                            rotation of the float input by m * theta_i (theta_i the double of
                            ``frequencies(rope)["theta"]``): one rounding per component.
  build_table               every entry within 1 ulp of the exact cos/sin (0.5 + 2^-25 ulp but for
                            angles within 2^-55 of a multiple of pi/2).
  apply_table               1.42 ulp(|x_pair|) (1.71 with an attention scale > 1).
With ``attention_factor=True`` cos and sin are multiplied by the rope's attention factor (HF's
yarn and longrope scaling) and the bounds are relative to ``attention_factor * |x_pair|``.

Threads. ``threads=n`` splits the tokens over n threads (a pool per thread count is kept between
calls); the result is the same bits for every n.
"""
from __future__ import annotations

import sys as _sys

import numpy as _np

from ._posenc import kernels as _k

__all__ = ["apply_fused", "apply_mrope", "build_table", "apply_table", "frequencies", "CosSinTable"]

# The functions are the extension's own (python/src/kernels.cpp): a call from Python costs one
# pybind11 dispatch. They call back into the two helpers below for anything that is not a numpy
# array (torch tensors, sequences of positions).
apply_fused = _k.apply_fused
apply_mrope = _k.apply_mrope
build_table = _k.build_table
apply_table = _k.apply_table
frequencies = _k.frequencies
CosSinTable = _k.CosSinTable
max_position = _k.max_position  # 2^24, the largest |position|
target = _k.target              # the vector target the kernels run on now ("AVX3", "AVX2", ...)
targets = _k.targets            # the targets this CPU runs, best first
use_target = _k.use_target      # restrict the kernels to one target (or "best"): same bits, other speed
lanes = _k.lanes                # doubles per vector of the current target
_time_apply_fused = _k._time_apply_fused  # scripts/bench_python's C++ side


def _torch():
    """The torch module if the program has imported it (posenc never imports torch itself)."""
    return _sys.modules.get("torch")


def _tensor_view(x, name):
    """A numpy view sharing the memory of a CPU float32 torch tensor (TypeError for any other
    tensor); anything else is returned unchanged, for the extension to reject."""
    torch = _torch()
    if torch is None or not isinstance(x, torch.Tensor):
        return x
    if x.device.type != "cpu":
        raise TypeError(f"{name}: a {x.device.type} tensor; posenc.kernels work on CPU memory only "
                        f"({name}.cpu() would be a copy)")
    if x.layout != torch.strided:
        raise TypeError(f"{name}: a {x.layout} tensor; only dense (strided) tensors are supported")
    if x.dtype != torch.float32:
        raise TypeError(f"{name}: dtype is {x.dtype}; the kernels work on float32 in place and never "
                        f"convert: pass a torch.float32 tensor")
    if x.requires_grad:
        raise TypeError(f"{name}: requires grad; the kernels are not differentiable and write memory "
                        f"autograd may need: pass {name}.detach() (the same memory)")
    a = x.numpy()
    if x.numel() > 0 and a.__array_interface__["data"][0] != x.data_ptr():
        raise RuntimeError(f"{name}: the numpy view of the tensor does not share its memory")
    return a


def _positions_array(positions):
    """Positions that are not a numpy array: a CPU integer torch tensor viewed as numpy, a sequence
    of ints as a numpy array (TypeError otherwise)."""
    torch = _torch()
    if torch is not None and isinstance(positions, torch.Tensor):
        if positions.device.type != "cpu":
            raise TypeError(f"positions: a {positions.device.type} tensor; pass CPU positions")
        if positions.dtype.is_floating_point or positions.dtype.is_complex or positions.dtype == torch.bool:
            raise TypeError(f"positions: must be integers (int64), got {positions.dtype}")
        return positions.detach().numpy()
    if isinstance(positions, (str, bytes)) or not hasattr(positions, "__len__"):
        raise TypeError(f"positions: must be an integer array or a sequence of ints, got "
                        f"{type(positions).__name__}")
    a = _np.asarray(positions)
    return a.astype(_np.int64) if a.size == 0 else a  # [] is float64 to numpy
