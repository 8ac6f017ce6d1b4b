"""posenc's exact references, numpy in and out: posenc.Rope, posenc.Mrope and
posenc.mrope_position_ids.

Every number returned is exact before one final rounding: theta_i and the attention factor come
from posenc's frequency layer at 100 digits (290 when a value lies too close to a rounding
boundary), cos/sin and rotations from MPFR at a precision raised until the rounding is decided
(Ziv's strategy), and each entry is then rounded once, to nearest even, to the requested format
(float64, float32, float16 or bfloat16, subnormals included) - never through double first.

bfloat16 has no numpy dtype: it travels as uint16 bit patterns (the upper half of a float32), or
as torch tensors when torch is importable and a torch dtype or tensor is given.

The C++ classes of posenc._posenc do the computing; this module adds the argument handling
(types, shapes, dtypes, torch), so that every bad argument is a TypeError or ValueError naming it.
"""
from __future__ import annotations

import json
import numbers
import operator
import os

import numpy as np

from . import _posenc

__all__ = ["Rope", "Mrope", "mrope_position_ids"]

_FLOAT_NAMES = ("float64", "float32", "float16", "bfloat16")
_MAX_POSITION = 2 ** 53
_MAX_DIGITS = 250
_CONFIG_MAX_BYTES = 16 << 20  # posenc::config::max_file_bytes


def _torch():
    """The torch module, or None when it cannot be imported."""
    try:
        import torch  # noqa: PLC0415 (optional dependency)
    except ImportError:
        return None
    return torch


def _is_tensor(x):
    torch = _torch() if type(x).__module__.startswith("torch") else None
    return torch is not None and isinstance(x, torch.Tensor)


# --------------------------------------------------------------------------------------------------
# Keyword values -> parameter texts
# --------------------------------------------------------------------------------------------------

def _number_text(name, v):
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a number in the list, got a bool")
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return repr(float(v))
    if isinstance(v, str):
        return v.strip()
    raise TypeError(f"{name}: expected numbers in the list, got {type(v).__name__}")


def _setting_text(name, value):
    """A keyword's value as the text of its parameter-table row."""
    if name == "rope_interleave" and isinstance(value, (bool, np.bool_)):
        return "interleaved" if value else "half-split"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # the shortest text that reads back as the same double
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return ",".join(_number_text(name, v) for v in value)
    raise TypeError(f"{name}: expected an int, float, str, bool or a list of numbers, got {type(value).__name__}")


_NAMED_DEFAULTS = {"head_dim": "128", "base": "10000", "rope_type": "default", "layout": "half-split"}


def _settings(named, hf_parameters):
    """[(keyword, text)]: the named arguments that differ from the table default, then the rest."""
    out = []
    for name, value in named.items():
        text = _setting_text(name, value)
        if text != _NAMED_DEFAULTS[name]:
            out.append((name, text))
    for name, value in hf_parameters.items():
        out.append((name, _setting_text(name, value)))
    return out


# --------------------------------------------------------------------------------------------------
# Config sources
# --------------------------------------------------------------------------------------------------

def _config_source(path_or_dict):
    """(text as bytes, file name for messages) of a config path or dict."""
    if isinstance(path_or_dict, dict):
        try:
            text = json.dumps(path_or_dict)
        except (TypeError, ValueError) as e:
            raise TypeError(f"path_or_dict: the dict is not JSON-serialisable ({e})") from None
        return text.encode("utf-8"), "<dict>"
    if isinstance(path_or_dict, (str, bytes, os.PathLike)):
        path = os.fspath(path_or_dict)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        try:
            with open(path, "rb") as f:
                data = f.read(_CONFIG_MAX_BYTES + 1)
        except OSError as e:
            raise ValueError(f"{path}: -: cannot open the file ({e.strerror or e})") from None
        return data, path
    raise TypeError(f"path_or_dict: expected a path (str or os.PathLike) or a dict, got {type(path_or_dict).__name__}")


def _vision_settings(text):
    """spatial_merge_size and tokens_per_second of a config's vision_config (the keys present)."""
    try:
        cfg = json.loads(text)
    except ValueError:
        return {}
    vc = cfg.get("vision_config") if isinstance(cfg, dict) else None
    out = {}
    if isinstance(vc, dict):
        v = vc.get("spatial_merge_size")
        if isinstance(v, int) and not isinstance(v, bool):
            out["spatial_merge_size"] = v
        v = vc.get("tokens_per_second")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out["tokens_per_second"] = float(v)
    return out


def _from_config(cls, base, path_or_dict, layer_type):
    if layer_type is not None and not isinstance(layer_type, str):
        raise TypeError(f"layer_type: expected a str or None, got {type(layer_type).__name__}")
    text, file = _config_source(path_or_dict)
    obj = cls.__new__(cls)
    base.__init__(obj, text, file, layer_type or "")
    obj._vision = _vision_settings(text)
    return obj


# --------------------------------------------------------------------------------------------------
# Arguments of cos_sin and apply
# --------------------------------------------------------------------------------------------------

def _positions(positions, columns):
    """positions as a C-contiguous float64 array ([tokens] or [tokens, 3]), each exact."""
    if _is_tensor(positions):
        positions = positions.detach().cpu().numpy()
    try:
        a = np.asarray(positions)
    except (TypeError, ValueError) as e:
        raise TypeError(f"positions: expected an array of numbers ({e})") from None
    if a.dtype == object:
        try:
            items = [operator.index(v) if isinstance(v, numbers.Integral) and not isinstance(v, bool) else float(v)
                     for v in a.reshape(-1)]
        except (TypeError, ValueError):
            raise TypeError("positions: expected integers or floats") from None
        if any(not (abs(v) <= _MAX_POSITION) for v in items):
            raise ValueError("positions: every position must be finite with |m| <= 2^53")
        a = np.array(items, dtype=np.float64).reshape(a.shape)
    if a.dtype.kind == "b" or a.dtype.kind not in "iuf":
        raise TypeError(f"positions: expected integers or floats, got dtype {a.dtype}")
    if columns == 1 and a.ndim != 1:
        raise ValueError(f"positions: expected a 1-D array (one position per token), got shape {a.shape}")
    if columns == 3 and (a.ndim != 2 or a.shape[1] != 3):
        raise ValueError(f"positions: expected shape [tokens, 3] (t, h, w per token), got shape {a.shape}")
    if a.dtype.kind in "iu":
        if a.size and (a.max() > _MAX_POSITION or (a.dtype.kind == "i" and a.min() < -_MAX_POSITION)):
            raise ValueError("positions: every position must satisfy |m| <= 2^53")
        return np.ascontiguousarray(a, dtype=np.float64)
    d = np.ascontiguousarray(a, dtype=np.float64)
    if a.dtype.itemsize > 8 and not np.array_equal(d, a):
        raise ValueError("positions: every position must be exactly representable as a double")
    if d.size and not (np.all(np.isfinite(d)) and np.max(np.abs(d)) <= _MAX_POSITION):
        raise ValueError("positions: every position must be finite with |m| <= 2^53")
    return d


def _dtype(dtype):
    """(format name, torch dtype or None) of a dtype argument."""
    if isinstance(dtype, str):
        if dtype in _FLOAT_NAMES:
            return dtype, None
        raise ValueError(f"dtype: expected one of {', '.join(_FLOAT_NAMES)}, got {dtype!r}")
    if type(dtype).__module__.startswith("torch"):
        torch = _torch()
        if torch is not None and isinstance(dtype, torch.dtype):
            names = {torch.float64: "float64", torch.float32: "float32", torch.float16: "float16",
                     torch.bfloat16: "bfloat16"}
            if dtype in names:
                return names[dtype], dtype
            raise ValueError(f"dtype: expected torch.float64, float32, float16 or bfloat16, got {dtype}")
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype: expected one of {', '.join(_FLOAT_NAMES)}, a numpy float dtype or a torch "
                         f"float dtype, got {dtype!r}") from None
    if d.name in _FLOAT_NAMES:
        return d.name, None
    raise ValueError(f"dtype: expected a float64, float32, float16 or bfloat16 dtype, got {d}")


def _bf16_bits(values64):
    """uint16 bfloat16 bit patterns of float64 values that are bfloat16 values."""
    return (values64.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def _from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def _convert(values64, name, torch_dtype):
    """float64 values that are `name` values, as that dtype (numpy, or torch when torch_dtype)."""
    if torch_dtype is not None:
        torch = _torch()
        wide = values64 if name == "float64" else values64.astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(wide)).to(torch_dtype)
    if name == "float64":
        return values64
    if name == "bfloat16":
        return _bf16_bits(values64)
    return values64.astype(name)


def _flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool, got {type(value).__name__}")
    return bool(value)


def _theta(theta):
    if not isinstance(theta, str) or theta not in ("exact", "float64", "float32"):
        raise ValueError(f"theta: expected 'exact', 'float64' or 'float32', got {theta!r}")
    return theta


def _layout(layout):
    if layout is None:
        return ""
    if not isinstance(layout, str) or layout not in ("interleaved", "half-split", "half_split"):
        raise ValueError(f"layout: expected 'interleaved', 'half-split' or None, got {layout!r}")
    return layout


def _input(x, dtype):
    """(x as float64 numpy, format name, torch dtype or None) of apply's x."""
    if _is_tensor(x):
        if dtype is not None:
            raise ValueError("dtype: give dtype only with a numpy uint16 x (bfloat16 bits); a tensor has its own dtype")
        name, tdt = _dtype(x.dtype) if x.is_floating_point() else (None, None)
        if name is None:
            raise TypeError(f"x: expected a floating tensor (float64, float32, float16, bfloat16), got {x.dtype}")
        t = x.detach().cpu()
        if name in ("float16", "bfloat16"):
            t = t.to(_torch().float32)
        return t.numpy().astype(np.float64), name, tdt
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"x: expected a numpy array or a torch tensor ({e})") from None
    if dtype is not None:
        if dtype != "bfloat16":
            raise ValueError(f"dtype: expected None (x's own dtype) or 'bfloat16' (x holds uint16 bfloat16 bits), got {dtype!r}")
        if a.dtype != np.uint16:
            raise TypeError(f"x: with dtype='bfloat16' x must hold uint16 bit patterns, got dtype {a.dtype}")
        return _from_bf16_bits(a), "bfloat16", None
    if a.dtype.name not in ("float64", "float32", "float16"):
        raise TypeError(f"x: expected float64, float32 or float16 (uint16 bfloat16 bits with dtype='bfloat16', or a "
                        f"torch tensor), got dtype {a.dtype}")
    return a.astype(np.float64), a.dtype.name, None


def _token_axis(token_axis, ndim):
    if isinstance(token_axis, (bool, np.bool_)) or not isinstance(token_axis, numbers.Integral):
        raise TypeError(f"token_axis: expected an int, got {type(token_axis).__name__}")
    t = int(token_axis)
    k = t + ndim if t < 0 else t
    if not 0 <= k < ndim - 1:
        raise ValueError(f"token_axis: must name an axis of x other than the last (the rotated one); x has {ndim} "
                         f"axes, got {t}")
    return k


def _apply(self, x, positions, columns, token_axis, layout, attention_factor, dtype):
    x64, name, tdt = _input(x, dtype)
    if x64.ndim < 2:
        raise ValueError(f"x: expected at least 2 axes (tokens, head_dim), got shape {x64.shape}")
    if x64.shape[-1] != self.head_dim:
        raise ValueError(f"x: the last axis must have head_dim = {self.head_dim} entries, got shape {x64.shape}")
    k = _token_axis(token_axis, x64.ndim)
    pos = _positions(positions, columns)
    if pos.shape[0] != x64.shape[k]:
        raise ValueError(f"positions: expected one position per token ({x64.shape[k]} along token_axis {token_axis}), "
                         f"got {pos.shape[0]}")
    lay = _layout(layout)
    af = _flag("attention_factor", attention_factor)
    moved = np.moveaxis(x64, k, -2)
    shape = moved.shape
    batch = int(np.prod(shape[:-2], dtype=np.int64))
    x3 = np.ascontiguousarray(moved).reshape(batch, shape[-2], shape[-1])
    out = self._apply(x3, pos, name, lay, af).reshape(shape)
    return _convert(np.moveaxis(out, -2, k), name, tdt)


def _cos_sin(self, positions, columns, dtype, theta, attention_factor):
    pos = _positions(positions, columns)
    name, tdt = _dtype(dtype)
    c, s = self._cos_sin(pos, name, _theta(theta), _flag("attention_factor", attention_factor))
    return _convert(c, name, tdt), _convert(s, name, tdt)


def _digits(digits):
    if isinstance(digits, (bool, np.bool_)) or not isinstance(digits, numbers.Integral):
        raise TypeError(f"digits: expected an int, got {type(digits).__name__}")
    if not 1 <= int(digits) <= _MAX_DIGITS:
        raise ValueError(f"digits: must be in [1, {_MAX_DIGITS}], got {int(digits)}")
    return int(digits)


# --------------------------------------------------------------------------------------------------
# The classes
# --------------------------------------------------------------------------------------------------

class Rope(_posenc.Rope):
    """A RoPE (rotary position embedding) of one attention layer, with its exact references.

    Build it from parameters, ``Rope(head_dim=128, base=500000, rope_type="llama3", factor=8,
    original_max_position_embeddings=8192)``, or from a model's config.json,
    ``Rope.from_config("config.json")``. On an M-RoPE config this is the 1D rope that text tokens
    get (t = h = w); ``Mrope.from_config`` gives the M-RoPE.

    Every result is exact before one rounding: ``inv_freq()`` (float64), ``inv_freq_decimal()``
    (decimal strings), ``cos_sin()`` (cos/sin of m * theta_i in float64, float32, float16 or
    bfloat16) and ``apply()`` (the rotation of x, rounded once to x's dtype).
    """

    __module__ = "posenc"

    def __init__(self, head_dim=128, base=10000, rope_type="default", layout="half-split", **hf_parameters):
        """A RoPE from its parameters.

        Every keyword is a row of posenc's parameter table, by its field name (head_dim, base,
        variant, layout, partial_rotary_factor, factor, original_max_position_embeddings,
        max_position_embeddings, seq_len, beta_fast, beta_slow, mscale, mscale_all_dim,
        attention_factor, truncate, low_freq_factor, high_freq_factor, short_factor, long_factor,
        mrope_section, mrope_interleaved), its config.json key (rope_theta, rope_type, type,
        rotary_pct, rope_interleave=True/False, ...) or its CLI name with '_'. Values: int, float
        (taken as its shortest repr, which reads back as the same double), str (an exact decimal
        text: base="500000.5" is that decimal exactly at every precision), bool, or a list of
        numbers (short_factor, long_factor, mrope_section).

        Raises ValueError naming the keyword (unknown, or a parameter given twice) or the
        parameter (a bad value: "posenc: invalid head_dim: must be an even integer"), TypeError
        for a value of the wrong type.
        """
        named = {"head_dim": head_dim, "base": base, "rope_type": rope_type, "layout": layout}
        _posenc.Rope.__init__(self, _settings(named, hf_parameters))
        self._vision = {}

    @classmethod
    def from_config(cls, path_or_dict, layer_type=None):
        """The RoPE of a Hugging Face config.json: a path (str or os.PathLike) or a dict (as
        json.load gives it; named "<dict>" in errors). Numbers are taken as the decimal text the
        file holds. ``layer_type`` picks one kind of layer in models with several (Gemma 3:
        "full_attention", "sliding_attention"). On an M-RoPE config this is the text-token rope.

        Raises ValueError "FILE: KEY: reason" for a file that cannot be read or a config that
        cannot be turned into a RoPE, TypeError for an argument of the wrong type.
        """
        return _from_config(cls, _posenc.Rope, path_or_dict, layer_type)

    def inv_freq_decimal(self, digits=50):
        """theta_i as decimal strings ("2.3717082451262844e-01" style) with ``digits`` significant
        digits (1..250), correctly rounded from a value computed at 100 or 290 digits (the
        frequency layer runs on posenc's math core, which stops at 992 significand bits).
        """
        return self._inv_freq_decimal(_digits(digits))

    def attention_factor_decimal(self, digits=50):
        """The attention factor as a decimal string with ``digits`` significant digits (1..250)."""
        return self._attention_factor_decimal(_digits(digits))

    def cos_sin(self, positions, dtype="float32", theta="exact", attention_factor=False):
        """(cos, sin), each of shape [len(positions), pairs]: entry [j, i] is the value of
        ``dtype`` nearest to cos(m_j * theta_i) and sin(m_j * theta_i) (times the attention factor
        when ``attention_factor`` is True, as HF's cos/sin caches are).

        positions: integers or floats (list, numpy array or tensor), each finite, |m| <= 2^53 and
        exactly a double. dtype: "float64", "float32", "float16", "bfloat16" (uint16 bit
        patterns), a numpy float dtype, or torch.float64/float32/float16/bfloat16 (then torch
        tensors are returned). theta: "exact" uses the exact theta_i; "float64" / "float32" use
        theta_i rounded (once, to nearest) to that type, then the exact cos/sin of m times it, so
        the error of theta's rounding can be told from the error of the rotation.
        """
        return _cos_sin(self, positions, 1, dtype, theta, attention_factor)

    def apply(self, x, positions, token_axis=-2, layout=None, attention_factor=False, dtype=None):
        """The exact rotation R_m x of every vector of x, rounded once to x's dtype.

        x: numpy float64/float32/float16 array or a CPU torch tensor (float64, float32, float16,
        bfloat16; a tensor of the same dtype is returned), the rotated axis last (head_dim
        entries; dimensions beyond rotary_dim are returned unchanged), one token per index of
        ``token_axis`` (any axis but the last). bfloat16 without torch: x as uint16 bit patterns
        and ``dtype="bfloat16"`` (uint16 returned). positions: one per token (see cos_sin).
        layout: the rope's pair layout unless "interleaved" or "half-split" is given.
        attention_factor: also multiply by the attention factor (HF scales cos and sin by it).
        """
        return _apply(self, x, positions, 1, token_axis, layout, attention_factor, dtype)


class Mrope(_posenc.Mrope):
    """A multimodal RoPE (M-RoPE: Qwen2-VL, Qwen2.5-VL, Qwen3-VL, GLM-4.1V): every token has
    positions (t, h, w) and pair i turns by the position of its axis (``axes``) times theta_i.

    The same constructors and references as Rope, with ``mrope_section`` required; positions are
    [tokens, 3] arrays (``position_ids`` makes them as transformers' get_rope_index does).
    """

    __module__ = "posenc"

    def __init__(self, head_dim=128, base=10000, rope_type="default", layout="half-split", **hf_parameters):
        """An M-RoPE from its parameters (the keywords of Rope), ``mrope_section=[t, h, w]``
        (pairs per axis, summing to pairs) required and ``mrope_interleaved`` optional.

        Raises ValueError naming the keyword or parameter (mrope_section missing, or not summing
        to the rotated pairs), TypeError for a value of the wrong type.
        """
        named = {"head_dim": head_dim, "base": base, "rope_type": rope_type, "layout": layout}
        _posenc.Mrope.__init__(self, _settings(named, hf_parameters))
        self._vision = {}

    @classmethod
    def from_config(cls, path_or_dict, layer_type=None):
        """The M-RoPE of a config.json (path or dict; see Rope.from_config). The config must
        have an mrope_section (ValueError "FILE: mrope_section: ..." otherwise). Its
        vision_config's spatial_merge_size and tokens_per_second become position_ids' defaults.
        """
        return _from_config(cls, _posenc.Mrope, path_or_dict, layer_type)

    inv_freq_decimal = Rope.inv_freq_decimal
    attention_factor_decimal = Rope.attention_factor_decimal

    def cos_sin(self, positions, dtype="float32", theta="exact", attention_factor=False):
        """(cos, sin) of shape [tokens, pairs]: entry [j, i] is the value of ``dtype`` nearest to
        cos/sin(p_j[axis_i] * theta_i), positions of shape [tokens, 3] (t, h, w). See Rope.cos_sin.
        """
        return _cos_sin(self, positions, 3, dtype, theta, attention_factor)

    def apply(self, x, positions, token_axis=-2, layout=None, attention_factor=False, dtype=None):
        """The exact M-RoPE rotation of every vector of x, rounded once to x's dtype; positions
        of shape [tokens, 3] (t, h, w). See Rope.apply for x, token_axis, layout, dtype.
        """
        return _apply(self, x, positions, 3, token_axis, layout, attention_factor, dtype)

    def position_ids(self, segments, rule=None, spatial_merge_size=None, tokens_per_second=None):
        """mrope_position_ids for this model: ``rule`` defaults to the config's model_type, and
        spatial_merge_size / tokens_per_second to its vision_config's values (else 2 and 2.0).
        A Mrope built from keywords needs ``rule``.
        """
        if rule is None:
            rule = self.model_type
            if rule is None:
                raise ValueError("rule: this Mrope has no model_type (it was not built from a config); give the rule "
                                 "(qwen2_vl, qwen2_5_vl, qwen3_vl, glm4v)")
        if spatial_merge_size is None:
            spatial_merge_size = self._vision.get("spatial_merge_size", 2)
        if tokens_per_second is None:
            tokens_per_second = self._vision.get("tokens_per_second", 2.0)
        return mrope_position_ids(rule, segments, spatial_merge_size, tokens_per_second)


# --------------------------------------------------------------------------------------------------
# Position ids
# --------------------------------------------------------------------------------------------------

_KINDS = {"text": 0, "image": 1, "video": 2}


def _int_field(where, v):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{where}: expected an int, got {type(v).__name__}")
    v = int(v)
    if not -(2 ** 63) <= v < 2 ** 63:
        raise ValueError(f"{where}: out of the int64 range")
    return v


def _real_field(where, v):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{where}: expected a number, got {type(v).__name__}")
    return float(v)


def _segment(i, seg):
    where = f"segments[{i}]"
    if isinstance(seg, dict):
        kind = seg.get("type", seg.get("kind"))
        if kind not in _KINDS:
            raise ValueError(f"{where}: expected a 'type' of 'text', 'image' or 'video', got {kind!r}")
        known = {"type", "kind", "count"} if kind == "text" else {"type", "kind", "t", "h", "w", "seconds_per_grid"}
        extra = set(seg) - known
        if extra or (kind == "image" and "seconds_per_grid" in seg):
            raise ValueError(f"{where}: unknown keys {sorted(extra) or ['seconds_per_grid']}")
        try:
            if kind == "text":
                return (0, _int_field(where + ".count", seg["count"]), 0, 0, 0.0)
            vals = [_int_field(f"{where}.{k}", seg[k]) for k in ("t", "h", "w")]
        except KeyError as e:
            raise ValueError(f"{where}: missing key {e}") from None
        s = _real_field(where + ".seconds_per_grid", seg.get("seconds_per_grid", 1.0))
        return (_KINDS[kind], *vals, s)
    if isinstance(seg, (tuple, list)) and seg and isinstance(seg[0], str):
        kind = seg[0]
        if kind == "text" and len(seg) == 2:
            return (0, _int_field(where + ".count", seg[1]), 0, 0, 0.0)
        if kind == "image" and len(seg) == 4:
            return (1, *(_int_field(f"{where}.{k}", v) for k, v in zip("thw", seg[1:])), 1.0)
        if kind == "video" and len(seg) in (4, 5):
            vals = [_int_field(f"{where}.{k}", v) for k, v in zip("thw", seg[1:4])]
            s = _real_field(where + ".seconds_per_grid", seg[4]) if len(seg) == 5 else 1.0
            return (2, *vals, s)
    raise ValueError(f"{where}: expected ('text', n), ('image', t, h, w), ('video', t, h, w[, seconds_per_grid]) "
                     f"or a dict with 'type', got {seg!r}")


def mrope_position_ids(rule, segments, spatial_merge_size=2, tokens_per_second=2.0):
    """The (t, h, w) position of every token of a prompt, as transformers' get_rope_index gives
    them: returns (ids, rope_delta, next_position) with ids an int64 array [tokens, 3].

    rule: "qwen2_vl", "qwen2_5_vl", "qwen3_vl" (also Qwen3.5), "glm4v", or a config model_type
    (qwen2_5_vl, qwen3_vl_text, glm4v_moe, ...). segments: a list of ("text", n),
    ("image", t, h, w), ("video", t, h, w[, seconds_per_grid]) tuples, or dicts {"type": "text",
    "count": n} / {"type": "image" or "video", "t", "h", "w"[, "seconds_per_grid"]}; t, h, w are
    the patch grid before the spatial merge (image_grid_thw / video_grid_thw rows).
    spatial_merge_size: vision_config.spatial_merge_size. tokens_per_second: Qwen2.5-VL's
    vision_config.tokens_per_second (video t index = int(t' * seconds_per_grid * tokens_per_second)).
    rope_delta = largest position + 1 - tokens (HF's mrope_position_deltas); next_position is the
    position of the next text token.

    Example (Qwen2-VL docstring): a video of 3x4x4 patches (merge 2) then 5 text tokens gives
    t = 0,0,0,0,1,1,1,1,2,2,2,2 for the video and 3..7 for the text.

    Raises ValueError naming the argument or the field (e.g. "segments[2].h": h must be a multiple
    of spatial_merge_size), TypeError for a value of the wrong type.
    """
    if not isinstance(rule, str):
        raise TypeError(f"rule: expected a str, got {type(rule).__name__}")
    if isinstance(segments, (str, bytes, dict)):
        raise TypeError("segments: expected a list of segments")
    try:
        segs = list(segments)
    except TypeError:
        raise TypeError(f"segments: expected a list of segments, got {type(segments).__name__}") from None
    norm = [_segment(i, s) for i, s in enumerate(segs)]
    sms = _int_field("spatial_merge_size", spatial_merge_size)
    tps = _real_field("tokens_per_second", tokens_per_second)
    ids, delta, nxt = _posenc._mrope_position_ids(rule, norm, sms, tps)
    return ids, int(delta), int(nxt)


mrope_position_ids.__module__ = "posenc"
