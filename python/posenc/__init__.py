"""posenc: exact references and fast float32 kernels for rotary position embeddings (RoPE,
M-RoPE), from Python.

    posenc.Rope, posenc.Mrope          a model's RoPE (keywords or config.json), its exact inv_freq,
                                       cos/sin and rotation, correctly rounded to any float dtype
    posenc.mrope_position_ids          M-RoPE (t, h, w) positions as transformers' get_rope_index
    posenc.kernels                     the float32 kernels on numpy arrays and CPU torch tensors
    posenc.decay, context_length, min_base
                                       long-range decay quantities (numpy arrays)
    posenc.check                       is this RoPE artifact (inv_freq, cos/sin, rotated q/k) right?
                                       error per position bucket in ulps, and a diagnosis
"""
from ._posenc import __version__
from ._reference import *  # noqa: F401,F403
from ._reference import __all__ as _reference_all
from . import kernels  # noqa: F401
from ._analysis import *  # noqa: F401,F403
from ._analysis import __all__ as _analysis_all
from ._check import check, CheckReport  # noqa: F401

__all__ = ["__version__", "kernels", "check", "CheckReport", *_reference_all, *_analysis_all]
