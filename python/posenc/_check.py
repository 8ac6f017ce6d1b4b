"""posenc.check: is this RoPE right? The Python face of ``posenc check`` (experiments/cli/check.cpp):
the same engine (include/posenc/check/), the same report.

    report = posenc.check(posenc.Rope.from_config("config.json"), cos=cos, sin=sin)
    report.passed, report.max_ulps, report.buckets, report.diagnosis
    print(report)            # the tool's terminal summary
    report.csv()             # the tool's --out CSV (without the metadata lines)
    report.to_json()         # the tool's --format json

Arrays are numpy arrays or CPU torch tensors (float64, float32, float16, bfloat16; bfloat16 numpy
data as uint16 bits with dtype="bfloat16").
"""
import json

import numpy as np

from . import _posenc

__all__ = ["check", "CheckReport"]

_ARRAYS = ("inv_freq", "cos", "sin", "freqs_cis", "q", "q_rotated", "k", "k_rotated")


class CheckReport:
    """The result of posenc.check: verdict, per-bucket errors (ulps), diagnosis."""

    def __init__(self, json_text, csv_text, text):
        self._json = json_text
        self._csv = csv_text
        self._text = text
        d = json.loads(json_text)
        self.data = d
        self.passed = d["verdict"] == "pass"
        self.max_ulps = float("inf") if d["max_ulps"] is None else d["max_ulps"]
        self.tolerance = d["tolerance"]
        self.buckets = d["buckets"]
        self.diagnosis = d["diagnosis"]
        self.shape = d["shape"]

    def to_json(self):
        """The report as the tool's ``--format json`` prints it."""
        return self._json

    def csv(self):
        """The per-bucket CSV (the tool's --out file without its metadata lines)."""
        return self._csv

    def __str__(self):
        return self._text

    def __repr__(self):
        first = self.diagnosis[0]["mode"] if self.diagnosis else None
        return f"CheckReport(passed={self.passed}, max_ulps={self.max_ulps!r}, diagnosis={first!r})"

    def __bool__(self):
        return self.passed


def _array(value, name):
    """(numpy array, dtype override) from a numpy array or a CPU torch tensor."""
    mod = type(value).__module__
    if mod.startswith("torch"):
        import torch

        t = value.detach()
        if t.device.type != "cpu":
            raise ValueError(f"posenc: invalid {name}: must be a CPU tensor, got device {t.device}")
        t = t.contiguous()
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().view(np.uint16), "bfloat16"
        return t.numpy(), None
    if not isinstance(value, np.ndarray):
        raise TypeError(f"posenc: invalid {name}: must be a numpy array or a torch tensor, got {type(value).__name__}")
    return np.ascontiguousarray(value), None


def _positions(value):
    if value is None:
        return None
    if type(value).__module__.startswith("torch"):
        value = value.detach().cpu().numpy()
    a = np.asarray(value)
    if a.dtype.kind in "iu":
        return np.ascontiguousarray(a, dtype=np.int64)
    if a.dtype.kind == "f" and a.size and np.all(np.isfinite(a)) and np.all(a == np.round(a)) and np.all(np.abs(a) <= 2**40):
        return np.ascontiguousarray(a, dtype=np.int64)
    raise ValueError("posenc: invalid positions: must be integers (int64/int32, or integral floats) with |p| <= 2^40")


def check(rope, *, inv_freq=None, cos=None, sin=None, freqs_cis=None, q=None, q_rotated=None, k=None,
          k_rotated=None, positions=None, layout=None, cache_layout="auto", token_axis=0, dtype=None,
          expect=None, tolerance=None):
    """Checks one RoPE artifact of ``rope`` (a posenc.Rope or posenc.Mrope) against the exact
    reference and diagnoses it when it is outside the tolerance. Give one artifact: ``inv_freq``;
    ``cos`` and ``sin`` ([T, rot] cat/repeat or [T, rot/2]); ``freqs_cis`` ([T, rot/2, 2]); or ``q``
    with ``q_rotated`` and/or ``k`` with ``k_rotated`` (token axis ``token_axis``, head last).
    ``positions``: [T] (or [T, 3] / [3, T] for M-RoPE), default 0..T-1. ``layout`` overrides the
    rope's pair layout; ``dtype`` names the storage dtype ("bfloat16" for uint16 bits); ``expect``
    judges at a wider dtype; ``tolerance`` in ulps (default 1, or 2 for rotated q/k)."""
    given = {"inv_freq": inv_freq, "cos": cos, "sin": sin, "freqs_cis": freqs_cis, "q": q,
             "q_rotated": q_rotated, "k": k, "k_rotated": k_rotated}
    arrays = {}
    override = dtype
    for name in _ARRAYS:
        v = given[name]
        if v is None:
            continue
        a, d = _array(v, name)
        if d is not None:
            if override not in (None, "bfloat16"):
                raise ValueError(f"posenc: invalid dtype: '{override}' but {name} is a bfloat16 tensor")
            override = d
        arrays[name] = a
    if tolerance is not None:
        tolerance = float(tolerance)
    j, c, t = _posenc._check(rope, arrays, _positions(positions), cache_layout, int(token_axis), override, expect,
                             tolerance, layout)
    return CheckReport(j, c, t)
