"""`posenc check` (the CLI subcommand, and posenc.check) on RoPE artifacts built in rope_impls.py.

- Failure modes: for every failure mode posenc check knows (README, "Is my RoPE right?"), an artifact making exactly that mistake
  (cos/sin caches, rotated q or k, inv_freq; head_dim 64 and 128; half-split and interleaved pairs;
  M-RoPE maps; scaled rules with the configs they need) must fail (exit status 4) with that mode
  diagnosed first, explaining the error, with its parameter recovered (offset k, dtype, base,
  seq_len, sections, ...).
- Correct artifacts must pass (exit 0): rope_impls' correctly rounded caches (float32, float64,
  bfloat16 and float16 storage; [T, rot], [T, rot/2], freqs_cis), rotated q and k, inv_freq, M-RoPE
  on Qwen2-VL position ids with image and video tokens, posenc's own float32 kernels and tables, at
  positions in every bucket up to 2^24; and HF-style float32 caches (base 1e4) at positions 0..3,
  where they are within 1 ulp (measured in test_selfcheck_hf_float32_within_one_ulp). The same
  HF-style cache at positions up to 2^24 fails as angle_product float32.
- Torch: caches made with torch ops as transformers' LlamaRotaryEmbedding makes them.
- Bad input exits 2 with a message naming the option (the same artifact without the fault passes);
  a missing file exits 1 naming it.
- posenc.check: a few cases through the Python API, which must agree with the tool.
- The builders are guarded by the test_selfcheck_* tests (no tool needed): each correct artifact
  equals posenc's correctly rounded reference bit for bit; each wrong one differs from it by the
  predicted error, computed another way (the phase error in closed form from posenc's exact
  theta_i, numpy's own float32/float16 arithmetic, the posenc rope of the wrong configuration), and
  by more than the check's tolerance.

Errors are in posenc check's unit: |artifact - exact| / q, q the quantum of the judged dtype
at the pair norm (the attention factor for cos/sin; |x pair| * attention factor for rotated q/k).
The tool's tests are skipped when POSENC_CLI is unset (ctest sets it to the posenc tool).
"""
import json
import math
import os
import pathlib
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Dict, Optional

import mpmath
import numpy as np
import pytest

import posenc
import rope_impls as R

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "cli"))
from measured import within_measured  # noqa: E402  (the CLI checks' measured ceiling)

CLI = os.environ.get("POSENC_CLI")
needs_cli = pytest.mark.skipif(not CLI, reason="POSENC_CLI is not set (ctest sets it to the posenc tool)")

HEAD_DIMS = (64, 128)
LAYOUTS = ("half-split", "interleaved")
HEADS = 2
BITS = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}
TOLERANCE = {"cos_sin": 1.0, "inv_freq": 1.0, "rotated": 2.0}  # the check's defaults
# Phase of a float32-stored cos/sin pair: each component within 2^-24 relative, so the angle is
# within about 2^-24 sqrt(2) = 8.4e-8 rad of the stored model's; 2e-7 leaves room for the float64
# angles of the prediction (2^-33 rad at 2^20).
PHASE_TOL = 2e-7
AMP_TOL = 2.0 ** -21  # relative: two float32 roundings of cos and sin

# positions: the failure-mode artifacts (0..47 and 2 per bucket up to 2^13, 64 rows)
POS_MODE = R.bucket_positions(13, 2, seed=1, dense=48)


def pos_upto(exp, seed):
    """0..15 and 3 positions in each bucket [2^(k-1), 2^k), k <= exp, both ends included."""
    return R.bucket_positions(exp, 3, seed=seed, dense=16)


POS_12, POS_16, POS_17, POS_20 = (pos_upto(e, s) for e, s in ((12, 4), (16, 5), (17, 8), (20, 7)))
POS_ALL = R.bucket_positions(24, 3, seed=2, dense=16)  # correct artifacts: every bucket to 2^24
POS_ALL_SMALL = R.bucket_positions(24, 2, seed=3, dense=4)  # float64 caches (mpmath)
SEGMENTS = [("text", 6), ("image", 1, 16, 24), ("text", 10), ("video", 2, 8, 8), ("text", 5)]
POS3 = R.qwen2_vl_positions(SEGMENTS)  # 149 tokens, 96 image and 32 video tokens among them


# --------------------------------------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------------------------------------

def cfg_default(d, lay, base="10000", partial="1"):
    return R.Cfg(head_dim=d, base=base, layout=lay, partial=partial)


def cfg_yarn(d, lay):  # YaRN factor 4: attention factor 0.1 ln 4 + 1 = 1.1386
    return R.Cfg(head_dim=d, layout=lay, rope_type="yarn",
                 params=(("factor", "4"), ("original_max_position_embeddings", "2048")))


def cfg_yarn_mscale(d, lay):  # DeepSeek-V3 style: factor 40, mscale = mscale_all_dim = 1 -> 1.0
    return R.Cfg(head_dim=d, layout=lay, rope_type="yarn",
                 params=(("factor", "40"), ("original_max_position_embeddings", "4096"),
                         ("mscale", "1"), ("mscale_all_dim", "1")))


def cfg_dynamic(d, lay, seq_len=8192):
    return R.Cfg(head_dim=d, layout=lay, rope_type="dynamic",
                 params=(("factor", "2"), ("max_position_embeddings", "4096"), ("seq_len", str(seq_len))))


def longrope_factors(n):
    long_f = ",".join(f"{1 + 39 * (i / (n - 1)) ** 2:.4f}" for i in range(n))
    short_f = ",".join(f"{1 + 0.25 * i / (n - 1):.4f}" for i in range(n))
    return short_f, long_f


def cfg_longrope(d, lay, seq_len):
    short_f, long_f = longrope_factors(d // 2)
    return R.Cfg(head_dim=d, layout=lay, rope_type="longrope",
                 params=(("factor", "32"), ("original_max_position_embeddings", "4096"),
                         ("max_position_embeddings", "131072"), ("seq_len", str(seq_len)),
                         ("short_factor", short_f), ("long_factor", long_f)))


def cfg_mrope(d, lay, interleaved):
    """Qwen2.5-VL-like (sectioned, base 1e6) or Qwen3-VL-like (interleaved, base 5e6) maps; the
    sections halved for head_dim 64."""
    if interleaved:
        sec = (24, 20, 20) if d == 128 else (12, 10, 10)
        return R.Cfg(head_dim=d, base="5000000", layout=lay, mrope_section=sec, mrope_interleaved=True)
    sec = (16, 24, 24) if d == 128 else (8, 12, 12)
    return R.Cfg(head_dim=d, base="1000000", layout=lay, mrope_section=sec)


# --------------------------------------------------------------------------------------------------
# Artifacts, cases
# --------------------------------------------------------------------------------------------------

@dataclass
class Artifact:
    arrays: Dict[str, np.ndarray]  # cos, sin, inv_freq, freqs_cis, q, q_rotated, k, k_rotated, positions
    options: Dict[str, Any] = field(default_factory=dict)  # dtype, expect, cache_layout, token_axis

    @property
    def kind(self):
        if "inv_freq" in self.arrays:
            return "inv_freq"
        return "rotated" if self.rotations else "cos_sin"

    @property
    def rotations(self):
        """(x, rotated x) of q and/or k."""
        return [(self.arrays[a], self.arrays[a + "_rotated"]) for a in ("q", "k") if a + "_rotated" in self.arrays]


@dataclass
class Case:
    id: str
    cfg: R.Cfg
    build: Callable[[], Artifact]
    guard: Callable[[Artifact], None]  # the builder's self-check
    mode: Optional[str] = None  # None: the artifact must pass
    params: Dict[str, Any] = field(default_factory=dict)  # name -> checker
    explains: bool = True
    pass_bound: Optional[float] = None  # max_ulps bound of a passing artifact (default: tolerance)


_BUILT: Dict[str, Artifact] = {}


def built(case: Case) -> Artifact:
    if case.id not in _BUILT:
        _BUILT[case.id] = case.build()
    return _BUILT[case.id]


# parameter checkers: (description, predicate on the JSON value parsed with Decimal floats)
def eq(v):
    return (f"== {v!r}", lambda g: g == v)


def printed(v, rel=0.0):
    """Equal to v within half a unit of the last printed digit (or rel, if larger)."""
    def ok(g):
        if isinstance(g, bool) or not isinstance(g, (int, Decimal)):
            return False
        unit = Decimal(1) if isinstance(g, int) else Decimal(1).scaleb(g.as_tuple().exponent)
        return abs(float(g) - v) <= max(float(unit) / 2, rel * abs(v))
    return (f"{v!r} within the printed precision", ok)


def within(v, rel):
    def ok(g):
        return not isinstance(g, (bool, str)) and abs(abs(float(g)) - abs(v)) <= rel * abs(v)
    return (f"|{v!r}| within {rel:.0%}", ok)


# --------------------------------------------------------------------------------------------------
# Exact references (posenc) and measurements for the self-checks
# --------------------------------------------------------------------------------------------------

def ref(cfg: R.Cfg):
    return (posenc.Mrope if cfg.mrope_section else posenc.Rope)(**cfg.posenc_kwargs())


_EXACT = {}


def exact_pairs(cfg, positions):
    """Correctly rounded float64 cos/sin [T, pairs] with the attention factor (posenc); the same for
    both pair layouts, computed once per rope and positions."""
    pos = np.asarray(positions, dtype=np.int64)
    key = (cfg.with_(layout="half-split"), pos.tobytes())
    if key not in _EXACT:
        _EXACT[key] = ref(key[0]).cos_sin(pos, dtype="float64", attention_factor=True)
    return _EXACT[key]


def quantum(x, fmt):
    """The dtype's quantum at |x| (normal range)."""
    return np.ldexp(1.0, np.floor(np.log2(np.abs(x))).astype(int) - (BITS[fmt] - 1))


def wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


def values(a, art):
    """An artifact array as float64 values (bfloat16 stored as uint16 bits)."""
    if art.options.get("dtype") == "bfloat16":
        return R.bf16_to_float32(a).astype(np.float64)
    return np.asarray(a, dtype=np.float64)


def judged_dtype(art):
    if "expect" in art.options:
        return art.options["expect"]
    if "dtype" in art.options:
        return art.options["dtype"]
    key = next(k for k in ("cos", "freqs_cis", "inv_freq", "q_rotated", "k_rotated") if k in art.arrays)
    return str(art.arrays[key].dtype)


def per_pair(a, cfg, layout):
    """[T, rot] (laid out for `layout`) or [T, rot/2] cache -> [T, pairs]; the two copies of each
    pair value in a full-width cache must agree."""
    P = cfg.pairs
    if a.shape[-1] == P:
        return a
    assert a.shape[-1] == 2 * P
    h1, h2 = (a[:, :P], a[:, P:]) if layout == "half-split" else (a[:, 0::2], a[:, 1::2])
    assert np.array_equal(h1, h2), "the two copies of a pair differ"
    return h1


def cache_pairs(art, cfg, layout):
    if "freqs_cis" in art.arrays:
        f = values(art.arrays["freqs_cis"], art)
        return f[..., 0], f[..., 1]
    return (per_pair(values(art.arrays["cos"], art), cfg, layout),
            per_pair(values(art.arrays["sin"], art), cfg, layout))


def positions_of(art, cfg):
    if "positions" in art.arrays:
        return art.arrays["positions"]
    n = len(art.arrays["cos"] if "cos" in art.arrays else art.rotations[0][0])
    return np.arange(n, dtype=np.int64)


def cache_error(art, cfg):
    """Max error of a cos/sin artifact in quanta of its judged dtype at the attention factor, as
    laid out (the rope's layout)."""
    pos = positions_of(art, cfg)
    ec, es = exact_pairs(cfg, pos)
    q = float(quantum(ref(cfg).attention_factor, judged_dtype(art)))
    if "freqs_cis" in art.arrays:
        f = values(art.arrays["freqs_cis"], art)
        return max(np.abs(f[..., 0] - ec).max(), np.abs(f[..., 1] - es).max()) / q
    c, s = values(art.arrays["cos"], art), values(art.arrays["sin"], art)
    form = "half" if c.shape[-1] == cfg.pairs else "full"
    return max(np.abs(c - R.to_layout(ec, cfg.layout, form)).max(),
               np.abs(s - R.to_layout(es, cfg.layout, form)).max()) / q


def pair_split(a, layout, rot):
    if layout == "half-split":
        return a[..., : rot // 2], a[..., rot // 2: rot]
    return a[..., 0:rot:2], a[..., 1:rot:2]


def exact_rotation(cfg, x, pos):
    return ref(cfg).apply(x.astype(np.float64), pos, token_axis=0, attention_factor=True)


def rotated_error(art, cfg):
    """Max error of rotated q/k in quanta of float32 at |x pair| * attention factor; the dims
    beyond the rotary ones must be x's."""
    pos = positions_of(art, cfg)
    rot = cfg.rotary_dim
    worst = 0.0
    for x, y in art.rotations:
        ex = exact_rotation(cfg, x, pos)
        assert np.array_equal(y[..., rot:], x[..., rot:])
        x1, x2 = pair_split(x.astype(np.float64), cfg.layout, rot)
        q = quantum(np.hypot(x1, x2) * ref(cfg).attention_factor, "float32")
        d1, d2 = pair_split(np.abs(y.astype(np.float64) - ex), cfg.layout, rot)
        worst = max(worst, float(np.max(np.maximum(d1, d2) / q)))
    return worst


def artifact_error(art, cfg):
    return rotated_error(art, cfg) if art.kind == "rotated" else cache_error(art, cfg)


def rotation_of(x, y, layout, rot):
    """Per-pair rotation angle and gain from x to y, [T, heads, pairs]."""
    x1, x2 = pair_split(x.astype(np.float64), layout, rot)
    y1, y2 = pair_split(y.astype(np.float64), layout, rot)
    return np.arctan2(x1 * y2 - x2 * y1, x1 * y1 + x2 * y2), np.hypot(y1, y2) / np.hypot(x1, x2)


# --------------------------------------------------------------------------------------------------
# Guards: what each builder must satisfy
# --------------------------------------------------------------------------------------------------

def assert_visible(art, cfg):
    err = artifact_error(art, cfg)
    assert err > TOLERANCE[art.kind] + 1, f"the mistake is not visible: max error {err:.3f} ulps"


def guard_correct(art, cfg, fmt=None):
    """Bit for bit posenc's correctly rounded cos/sin (or rotation) in the storage dtype."""
    pos = positions_of(art, cfg)
    if art.kind == "rotated":
        for x, y in art.rotations:
            assert np.array_equal(y, ref(cfg).apply(x, pos, token_axis=0, attention_factor=True))
    else:
        fmt = fmt or art.options.get("dtype") or judged_dtype(art)
        ec, es = ref(cfg).cos_sin(pos, dtype=fmt, attention_factor=True)
        if fmt == "bfloat16":
            ec, es = R.bf16_to_float32(ec), R.bf16_to_float32(es)
        c, s = cache_pairs(art, cfg, cfg.layout)
        assert np.array_equal(c, ec.astype(np.float64)) and np.array_equal(s, es.astype(np.float64))
    assert artifact_error(art, cfg) <= 0.5


def guard_phase(pred, amp=None, layout=None):
    """The artifact's angles differ from the exact ones by pred(cfg, positions) [T, pairs] (mod 2 pi),
    its amplitude is amp (default the rope's attention factor); the mistake is visible."""
    def g(art, cfg):
        pos = positions_of(art, cfg)
        a = ref(cfg).attention_factor if amp is None else amp(cfg)
        lay = layout(cfg) if layout else cfg.layout
        ec, es = exact_pairs(cfg, pos)
        p = pred(cfg, pos)
        if art.kind == "rotated":
            measured = [rotation_of(x, y, lay, cfg.rotary_dim) for x, y in art.rotations]
            measured = [(wrap(ang - np.arctan2(es, ec)[:, None, :]), gain, p[:, None, :]) for ang, gain in measured]
        else:
            c, s = cache_pairs(art, cfg, lay)
            measured = [(wrap(np.arctan2(s, c) - np.arctan2(es, ec)), np.hypot(c, s), p)]
        for dphi, gain, pr in measured:
            dev = np.abs(wrap(dphi - pr))
            assert dev.max() <= PHASE_TOL, f"phase off the prediction by {dev.max():.3g} rad"
            assert np.abs(gain - a).max() <= AMP_TOL * a, f"amplitude {gain.min()}..{gain.max()}, expected {a}"
        assert_visible(art, cfg)
    return g


def theta_of(cfg, **changes):
    """posenc's exact theta_i (double) for the rope with some parameters changed."""
    kw = cfg.posenc_kwargs()
    kw.update(changes)
    return np.asarray(posenc.Rope(**{k: v for k, v in kw.items() if not k.startswith("mrope")}).inv_freq())


def pred_offset(k):
    """Phase error k theta_i at every position."""
    return lambda cfg, pos: k * np.tile(theta_of(cfg), (len(pos), 1))


def pred_zero(cfg, pos):
    return np.zeros((len(pos), cfg.pairs))


def pred_theta(new_theta):
    """Phase error p (theta' - theta): theta' from new_theta(cfg)."""
    def p(cfg, pos):
        return pos.astype(np.float64)[:, None] * (new_theta(cfg) - theta_of(cfg))[None, :]
    return p


def f32_to_tf32(x32):
    """float32 -> TF32 (10 explicit fraction bits), nearest even on the 13 dropped bits."""
    u = np.ascontiguousarray(x32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0xFFF + ((u >> 13) & 1)) >> 13) << 13
    return u.astype(np.uint32).view(np.float32)


def bf16(x32):
    return R.bf16_to_float32(R.bf16_bits(np.asarray(x32, dtype=np.float32)))


def pred_angle_product(fmt):
    """Phase error of posenc check's angle_product model in numpy's own float32 / float16 arithmetic."""
    def p(cfg, pos):
        th = theta_of(cfg)
        p32 = pos.astype(np.float32)[:, None]
        if fmt == "float32":
            ang = p32 * th.astype(np.float32)[None, :]
        elif fmt == "tf32":  # products of two 11-bit significands: exact in float32
            ang = f32_to_tf32(p32) * f32_to_tf32(th.astype(np.float32))[None, :]
        elif fmt == "float16":  # fp16 theta (11 bits) * p (< 2^13): exact in float32
            ang = (th.astype(np.float16).astype(np.float32)[None, :] * p32).astype(np.float16)
        else:  # bfloat16 theta (8 bits) * p (< 2^13): exact in float32
            ang = bf16(bf16(th.astype(np.float32))[None, :] * p32)
        return ang.astype(np.float64) - pos.astype(np.float64)[:, None] * th[None, :]
    return p


def pred_ggml(cfg, pos):
    """ggml-cpu ggml_rope_cache_init's float32 recurrence, one numpy float32 scalar at a time, with
    the C library's powf as theta_scale (as ggml; here it must be the float32 nearest base^(-2/d),
    posenc check's definition)."""
    s = R.powf(float(cfg.base), np.float32(-2.0) / np.float32(cfg.rotary_dim))
    assert s == R.ggml_theta_scale(cfg)
    ang = np.empty((len(pos), cfg.pairs))
    for j, p in enumerate(pos):
        t = np.float32(p)
        for i in range(cfg.pairs):
            ang[j, i] = t
            t = np.float32(t * s)
    return ang - pos.astype(np.float64)[:, None] * theta_of(cfg)[None, :]


TWO_PI_F32_EXCESS = float(mpmath.mpf(R.TWO_PI_F32) - 2 * mpmath.pi)  # 1.7484556e-7


def pred_fast_sincos(cfg, pos):
    ang = pos.astype(np.float64)[:, None] * theta_of(cfg)[None, :]
    return -np.rint(ang / R.TWO_PI_F32) * TWO_PI_F32_EXCESS


def guard_stored(fmt):
    """Each value is posenc's correctly rounded fmt value, widened."""
    def g(art, cfg):
        pos = positions_of(art, cfg)
        ec, es = ref(cfg).cos_sin(pos, dtype=fmt, attention_factor=True)
        if fmt == "bfloat16":
            ec, es = R.bf16_to_float32(ec), R.bf16_to_float32(es)
        c, s = cache_pairs(art, cfg, cfg.layout)
        assert np.array_equal(c, ec.astype(np.float64)) and np.array_equal(s, es.astype(np.float64))
        assert_visible(art, cfg)
    return g


def guard_layout(built_for):
    """Read with the layout it was built for, the artifact is the correct one; read as the rope's,
    it is wrong."""
    def g(art, cfg):
        other = cfg.with_(layout=built_for)
        if art.kind == "rotated":
            for x, y in art.rotations:
                assert np.array_equal(y, ref(other).apply(x, positions_of(art, cfg), token_axis=0,
                                                          attention_factor=True))
        else:
            pos = positions_of(art, cfg)
            ec, es = ref(cfg).cos_sin(pos, dtype="float32", attention_factor=True)
            c, s = cache_pairs(art, cfg, built_for)
            assert np.array_equal(c, ec) and np.array_equal(s, es)
        assert_visible(art, cfg)
    return g


def guard_inv_freq(expected, fmt):
    """inv_freq artifact == expected(cfg) rounded to fmt (numpy's casts)."""
    def g(art, cfg):
        a = art.arrays["inv_freq"]
        assert a.dtype == np.dtype(fmt)
        assert np.array_equal(a, expected(cfg).astype(fmt))
        err = np.abs(a.astype(np.float64) - theta_of(cfg)) / quantum(theta_of(cfg), fmt)
        if expected is not theta_of:
            assert err.max() > TOLERANCE["inv_freq"] + 1
        else:
            assert err.max() <= 0.5
    return g


# --------------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------------

def cache_art(cfg, pos, pairs, dtype="float32", form="full", layout=None, options=None):
    c, s = R.cache(cfg, pairs, dtype, form, layout)
    return Artifact({"cos": c, "sin": s, "positions": np.asarray(pos, dtype=np.int64)}, dict(options or {}))


def rot_art(cfg, pos, pairs_fn, seed, layout=None, which=("q",)):
    """Rotated q (HEADS heads) and/or k (1 head: grouped-query attention)."""
    arrays = {}
    for n, a in enumerate(which):
        x = R.random_x(len(pos), HEADS if a == "q" else 1, cfg.head_dim, seed + 100 * n)
        arrays[a], arrays[a + "_rotated"] = x, R.rotated(cfg, pairs_fn(), x, layout)
    arrays["positions"] = np.asarray(pos, dtype=np.int64)
    return Artifact(arrays)


def inv_art(a):
    return Artifact({"inv_freq": a})


def tag(d, lay):
    return f"d{d}-{lay}"


def mode_cases():
    cases = []
    add = cases.append
    for d in HEAD_DIMS:
        for lay in LAYOUTS:
            t = tag(d, lay)
            cfg = cfg_default(d, lay)
            other = R.other_layout(lay)
            P = POS_MODE
            # layout_swapped: the artifact made for the other pairing
            add(Case(f"layout_swapped-cos_sin-{t}", cfg,
                     lambda cfg=cfg, other=other: cache_art(cfg, P, R.correct_pairs(cfg, P), layout=other),
                     lambda a, cfg=cfg, other=other: guard_layout(other)(a, cfg),
                     "layout_swapped", {"built_for": eq(other)}))
            add(Case(f"layout_swapped-rotated-{t}", cfg,
                     lambda cfg=cfg, other=other: rot_art(cfg, P, lambda: R.correct_pairs(cfg, P), 11, other),
                     lambda a, cfg=cfg, other=other: guard_layout(other)(a, cfg),
                     "layout_swapped", {"built_for": eq(other)}))
            # positions_offset: row p holds position p + k
            for kind, k in (("cos_sin", 1), ("rotated", -9)):
                build = ((lambda cfg=cfg, k=k: cache_art(cfg, P, R.positions_offset_pairs(cfg, P, k)))
                         if kind == "cos_sin" else
                         (lambda cfg=cfg, k=k: rot_art(cfg, P, lambda: R.positions_offset_pairs(cfg, P, k), 12)))
                add(Case(f"positions_offset-{kind}-k{k}-{t}", cfg, build,
                         lambda a, cfg=cfg, k=k: guard_phase(pred_offset(k))(a, cfg),
                         "positions_offset", {"k": eq(k)}))
            # ... and on k alone (a decode step's keys, onnxruntime-genai PR #2354)
            add(Case(f"positions_offset-k_rotated-k1-{t}", cfg,
                     lambda cfg=cfg: rot_art(cfg, P, lambda: R.positions_offset_pairs(cfg, P, 1), 14, which=("k",)),
                     lambda a, cfg=cfg: guard_phase(pred_offset(1))(a, cfg),
                     "positions_offset", {"k": eq(1)}))
            # inv_freq_rounded: theta rounded first (sglang-jax bf16 inv_freq; fp16)
            for fmt in ("bfloat16", "float16"):
                add(Case(f"inv_freq_rounded-cos_sin-{fmt}-{t}", cfg,
                         lambda cfg=cfg, fmt=fmt: cache_art(cfg, POS_12, R.inv_freq_rounded_pairs(cfg, POS_12, fmt)),
                         lambda a, cfg=cfg, fmt=fmt: guard_phase(pred_theta(
                             lambda c: (bf16(theta_of(c).astype(np.float32)) if fmt == "bfloat16"
                                        else theta_of(c).astype(np.float16)).astype(np.float64)))(a, cfg),
                         "inv_freq_rounded", {"dtype": eq(fmt)}))
            # float32 theta in a float64 cache (TensorRT-LLM PR #18774): angle error grows with p
            add(Case(f"inv_freq_rounded-cos_sin64-float32-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, POS_16, R.inv_freq_rounded_pairs(cfg, POS_16, "float32", True),
                                               "float64"),
                     lambda a, cfg=cfg: guard_phase(pred_theta(
                         lambda c: theta_of(c).astype(np.float32).astype(np.float64)))(a, cfg),
                     "inv_freq_rounded", {"dtype": eq("float32")}))
            # angle_product: the angle formed in a low precision. For float16 / bfloat16 the
            # positions are ones the format holds exactly, so that fl(fl(theta) * p) is also
            # fl(fl(theta) * fl(p)) (torch: positions of the inv_freq dtype, gpt-neox #1003).
            for fmt, exp in (("float32", 20), ("tf32", 16), ("float16", 12), ("bfloat16", 12)):
                Pf = pos_upto(exp, 6)
                if fmt in ("float16", "bfloat16"):
                    Pf = np.unique(R.round_sig(Pf.astype(np.float64), fmt).astype(np.int64))
                add(Case(f"angle_product-{fmt}-{t}", cfg,
                         lambda cfg=cfg, fmt=fmt, Pf=Pf: cache_art(cfg, Pf, R.angle_product_pairs(cfg, Pf, fmt)),
                         lambda a, cfg=cfg, fmt=fmt: guard_phase(pred_angle_product(fmt))(a, cfg),
                         "angle_product", {"dtype": eq(fmt)}))
            # ggml_recurrence
            add(Case(f"ggml_recurrence-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, POS_20, R.ggml_recurrence_pairs(cfg, POS_20)),
                     lambda a, cfg=cfg: guard_phase(pred_ggml)(a, cfg), "ggml_recurrence", {}))
            # cos_sin_stored: widened after a float16 / bfloat16 rounding, or stored in it and
            # judged as float32
            for fmt in ("float16", "bfloat16"):
                add(Case(f"cos_sin_stored-widened-{fmt}-{t}", cfg,
                         lambda cfg=cfg, fmt=fmt: cache_art(cfg, P, R.cos_sin_stored_pairs(cfg, P, fmt)),
                         lambda a, cfg=cfg, fmt=fmt: guard_stored(fmt)(a, cfg),
                         "cos_sin_stored", {"dtype": eq(fmt)}))
            add(Case(f"cos_sin_stored-float16-expect-float32-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, P, R.correct_pairs(cfg, P), "float16",
                                               options={"expect": "float32"}),
                     lambda a, cfg=cfg: guard_stored("float16")(a, cfg),
                     "cos_sin_stored", {"dtype": eq("float16")}))
            add(Case(f"cos_sin_stored-bfloat16-expect-float32-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, P, R.correct_pairs(cfg, P), "bfloat16",
                                               options={"dtype": "bfloat16", "expect": "float32"}),
                     lambda a, cfg=cfg: guard_stored("bfloat16")(a, cfg),
                     "cos_sin_stored", {"dtype": eq("bfloat16")}))
            # attention_factor on YaRN configs
            cy, cm = cfg_yarn(d, lay), cfg_yarn_mscale(d, lay)
            af_y = ref(cy).attention_factor  # 1.1386
            ignored = posenc.Rope(head_dim=d, layout=lay, rope_type="yarn", factor="40",
                                  original_max_position_embeddings="4096").attention_factor  # 1.3689
            # (the engine's diagnosis of a scaled rule costs about 1 s per call: "twice" on two of
            # the four head_dim x layout combinations, the other kinds on all)
            kinds = [("missing", cy, 1.0), ("mscale_ignored", cm, ignored)]
            if (d, lay) in ((64, "interleaved"), (128, "half-split")):
                kinds.append(("twice", cy, af_y * af_y))
            for kind, c_, amp in kinds:
                add(Case(f"attention_factor-{kind}-{t}", c_,
                         lambda c_=c_, amp=amp: cache_art(c_, P, R.attention_factor_pairs(c_, P, amp)),
                         lambda a, c_=c_, amp=amp: guard_phase(pred_zero, amp=lambda _: amp)(a, c_),
                         "attention_factor", {"kind": eq(kind), "value": printed(amp, 1e-6)}))
            # partial_rotary_full_head (transformers PR #48652): theta over head_dim
            cp = cfg_default(d, lay, partial="0.5")
            full = lambda c: theta_of(c, partial_rotary_factor="1")[: c.pairs]  # noqa: E731
            add(Case(f"partial_rotary_full_head-cos_sin-{t}", cp,
                     lambda cp=cp: cache_art(cp, P, R.partial_full_head_pairs(cp, P)),
                     lambda a, cp=cp: guard_phase(pred_theta(full))(a, cp),
                     "partial_rotary_full_head", {"head_dim": eq(d)}))
            add(Case(f"partial_rotary_full_head-rotated-{t}", cp,
                     lambda cp=cp: rot_art(cp, P, lambda: R.partial_full_head_pairs(cp, P), 13),
                     lambda a, cp=cp: guard_phase(pred_theta(full))(a, cp),
                     "partial_rotary_full_head", {"head_dim": eq(d)}))
            # base: the cache of another base (Llama-3 config, a base-1e4 table)
            add(Case(f"base-cos_sin-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, P, R.base_pairs(cfg, P, "500000")),
                     lambda a, cfg=cfg: guard_phase(pred_theta(lambda c: theta_of(c, base="500000")))(a, cfg),
                     "base", {"base": printed(500000.0)}))
            # dynamic_length: dynamic NTK computed for 16384 instead of 8192
            cdy = cfg_dynamic(d, lay)
            add(Case(f"dynamic_length-{t}", cdy,
                     lambda cdy=cdy: cache_art(cdy, P, R.dynamic_length_pairs(cdy, P, 16384)),
                     lambda a, cdy=cdy: guard_phase(pred_theta(lambda c: theta_of(c, seq_len="16384")))(a, cdy),
                     "dynamic_length", {"seq_len": eq(16384)}))
            # longrope_other_set: the factor set of the other side of L_orig
            # ("long" on two of the four combinations: about 2 s per call)
            sets = [(8192, "short", "2048")]
            if (d, lay) in ((64, "half-split"), (128, "interleaved")):
                sets.append((2048, "long", "8192"))
            for seq, used, other_seq in sets:
                cl = cfg_longrope(d, lay, seq)
                add(Case(f"longrope_other_set-{used}-{t}", cl,
                         lambda cl=cl, used=used: cache_art(cl, P, R.longrope_other_set_pairs(cl, P, used)),
                         lambda a, cl=cl, o=other_seq: guard_phase(pred_theta(
                             lambda c: theta_of(c, seq_len=o)))(a, cl),
                         "longrope_other_set", {"set": eq(used)}))
            # mrope_map: the other map, or a section boundary moved by one pair
            cs, ci = cfg_mrope(d, lay, False), cfg_mrope(d, lay, True)
            sec = cs.mrope_section
            shifted = (sec[0] + 1, sec[1] - 1, sec[2])
            for name, c_, kw, expected in (
                    ("interleaved", cs, {"interleaved": True}, {"interleaved": eq(True), "sections": eq(list(sec))}),
                    ("sectioned", ci, {"interleaved": False},
                     {"interleaved": eq(False), "sections": eq(list(ci.mrope_section))}),
                    ("sections", cs, {"sections": shifted},
                     {"interleaved": eq(False), "sections": eq(list(shifted))})):
                add(Case(f"mrope_map-{name}-{t}", c_,
                         lambda c_=c_, kw=kw: cache_art(c_, POS3, R.mrope_pairs(c_, POS3, **kw)),
                         lambda a, c_=c_, kw=kw: guard_mrope_map(a, c_, kw), "mrope_map", expected))
            # fast_sincos: reduction by the float32 2 pi, error -2.78e-8 rad per rad of angle at
            # every angle (the slope read as |angle error| / |angle|, within 20%)
            add(Case(f"fast_sincos-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, POS_17, R.fast_sincos_pairs(cfg, POS_17)),
                     lambda a, cfg=cfg: guard_phase(pred_fast_sincos)(a, cfg),
                     "fast_sincos", {"slope": within(TWO_PI_F32_EXCESS / (2 * math.pi), 0.2)},
                     explains=False))  # a shape match: no model to be within the tolerance of
            # HF-style float32 (inv_freq by float32 powf and divide) at positions up to 2^24
            add(Case(f"hf_float32-large-{t}", cfg,
                     lambda cfg=cfg: Artifact({**dict(zip(("cos", "sin"), R.hf_float32_cache(cfg, POS_ALL))),
                                               "positions": POS_ALL}),
                     lambda a, cfg=cfg: guard_hf(a, cfg),
                     "angle_product", {"dtype": eq("float32")}, explains=False))
        # inv_freq artifacts: no pair layout
        cfg = cfg_default(d, "half-split")
        add(Case(f"inv_freq_rounded-inv_freq-bfloat16-d{d}", cfg,
                 lambda cfg=cfg: inv_art(bf16(theta_of(cfg).astype(np.float32))),
                 lambda a, cfg=cfg: guard_inv_freq(lambda c: bf16(theta_of(c).astype(np.float32)), "float32")(a, cfg),
                 "inv_freq_rounded", {"dtype": eq("bfloat16")}))
        add(Case(f"inv_freq_rounded-inv_freq-float32-d{d}", cfg,
                 lambda cfg=cfg: inv_art(R.theta64(cfg).astype(np.float32).astype(np.float64)),
                 lambda a, cfg=cfg: guard_inv_freq(lambda c: theta_of(c).astype(np.float32), "float64")(a, cfg),
                 "inv_freq_rounded", {"dtype": eq("float32")}))
        cp = cfg_default(d, "half-split", partial="0.5")
        add(Case(f"partial_rotary_full_head-inv_freq-d{d}", cp,
                 lambda cp=cp: inv_art(R.theta64(cp, over_dim=cp.head_dim).astype(np.float32)),
                 lambda a, cp=cp: guard_inv_freq(lambda c: theta_of(c, partial_rotary_factor="1")[: c.pairs],
                                                 "float32")(a, cp),
                 "partial_rotary_full_head", {"head_dim": eq(d)}))
        cb = cfg_default(d, "half-split", base="1000000")
        add(Case(f"base-inv_freq-d{d}", cb,
                 lambda cb=cb: inv_art(R.theta64(cb, base="10000").astype(np.float32)),
                 lambda a, cb=cb: guard_inv_freq(lambda c: theta_of(c, base="10000"), "float32")(a, cb),
                 "base", {"base": printed(10000.0)}))
    return cases


def guard_mrope_map(art, cfg, kw):
    """Pair i turns by the position of its axis under the wrong map: axes from posenc's Mrope of
    that map; the phase error is (p[wrong axis] - p[axis]) theta_i."""
    wrong = cfg.with_(mrope_section=tuple(kw.get("sections", cfg.mrope_section)),
                      mrope_interleaved=kw.get("interleaved", cfg.mrope_interleaved))
    ax = np.array(["thw".index(ch) for ch in ref(cfg).axes])
    ax_w = np.array(["thw".index(ch) for ch in ref(wrong).axes])
    assert (ax != ax_w).any()
    th = np.asarray(ref(cfg).inv_freq())

    def pred(c, pos3):
        return (pos3[:, ax_w] - pos3[:, ax]).astype(np.float64) * th[None, :]
    guard_phase(pred)(art, cfg)


def guard_hf(art, cfg):
    """The HF-style artifact is the float32 product angle of HF's float32 inv_freq (numpy float32
    arithmetic), with correctly rounded cos/sin; wrong by more than the tolerance."""
    def pred(c, pos):
        ang = pos.astype(np.float32)[:, None] * R.hf_inv_freq32(c)[None, :]
        return ang.astype(np.float64) - pos.astype(np.float64)[:, None] * theta_of(c)[None, :]
    guard_phase(pred)(art, cfg)


def pass_cases():
    cases = []
    add = cases.append
    for d in HEAD_DIMS:
        for lay in LAYOUTS:
            t = tag(d, lay)
            cfg = cfg_default(d, lay)
            add(Case(f"pass-cos_sin-float32-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, POS_ALL, R.correct_pairs(cfg, POS_ALL)),
                     lambda a, cfg=cfg: guard_correct(a, cfg), pass_bound=0.5))
            add(Case(f"pass-cos_sin-float64-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, POS_ALL_SMALL, R.correct_pairs(cfg, POS_ALL_SMALL), "float64"),
                     lambda a, cfg=cfg: guard_correct(a, cfg), pass_bound=0.5))
            add(Case(f"pass-cos_sin-half-{t}", cfg,
                     lambda cfg=cfg: cache_art(cfg, POS_ALL, R.correct_pairs(cfg, POS_ALL), form="half"),
                     lambda a, cfg=cfg: guard_correct(a, cfg), pass_bound=0.5))
            add(Case(f"pass-rotated-q_and_k-{t}", cfg,
                     lambda cfg=cfg: rot_art(cfg, POS_ALL, lambda: R.correct_pairs(cfg, POS_ALL), 21,
                                             which=("q", "k")),
                     lambda a, cfg=cfg: guard_correct(a, cfg), pass_bound=0.5))
            # posenc's own float32 kernels: tables within 1 ulp, rotations within 0.71 + 2^-28
            add(Case(f"pass-kernels-build_table-{t}", cfg,
                     lambda cfg=cfg: kernel_table_art(cfg), lambda a, cfg=cfg: guard_bound(a, cfg, 1.0, 0.25)))
            add(Case(f"pass-kernels-apply_fused-{t}", cfg,
                     lambda cfg=cfg: kernel_fused_art(cfg),
                     lambda a, cfg=cfg: guard_bound(a, cfg, 0.71 + 2.0 ** -28)))
            # HF-style float32 at positions 0..3 (within 1 ulp there)
            add(Case(f"pass-hf_float32-small-{t}", cfg,
                     lambda cfg=cfg: Artifact({**dict(zip(("cos", "sin"), R.hf_float32_cache(cfg, HF_SMALL))),
                                               "positions": HF_SMALL}),
                     lambda a, cfg=cfg: guard_bound(a, cfg, 1.0, 0.4861)))
            # M-RoPE, both maps, on Qwen2-VL position ids with image and video tokens
            for il in (False, True):
                cm = cfg_mrope(d, lay, il)
                name = "interleaved" if il else "sectioned"
                add(Case(f"pass-mrope-{name}-{t}", cm,
                         lambda cm=cm: cache_art(cm, POS3, R.mrope_pairs(cm, POS3)),
                         lambda a, cm=cm: guard_correct(a, cm), pass_bound=0.5))
        cfg = cfg_default(d, "half-split")
        add(Case(f"pass-freqs_cis-d{d}", cfg,
                 lambda cfg=cfg: Artifact({"freqs_cis": R.cache(cfg, R.correct_pairs(cfg, POS_ALL), form="freqs_cis"),
                                           "positions": POS_ALL}),
                 lambda a, cfg=cfg: guard_correct(a, cfg, "float32"), pass_bound=0.5))
        for fmt in ("float32", "float64"):
            add(Case(f"pass-inv_freq-{fmt}-d{d}", cfg,
                     lambda cfg=cfg, fmt=fmt: inv_art(R.correct_inv_freq(cfg, fmt)),
                     lambda a, cfg=cfg, fmt=fmt: guard_inv_freq(theta_of, fmt)(a, cfg), pass_bound=0.5))
        # scaled rules: the correct artifact passes (YaRN with its attention factor in cos/sin)
        for name, c_ in (("yarn", cfg_yarn(d, "half-split")), ("dynamic", cfg_dynamic(d, "half-split")),
                         ("longrope", cfg_longrope(d, "half-split", 8192))):
            exact_theta = name != "yarn"  # yarn: posenc's double theta (1/64 ulp at 2^24)
            add(Case(f"pass-{name}-d{d}", c_,
                     lambda c_=c_: cache_art(c_, POS_ALL, R.correct_pairs(c_, POS_ALL)),
                     (lambda a, c_=c_: guard_correct(a, c_)) if exact_theta
                     else (lambda a, c_=c_: guard_bound(a, c_, 0.5 + 2.0 ** -6)),
                     pass_bound=0.5 if exact_theta else 0.5 + 2.0 ** -6))
    cfg = cfg_default(128, "half-split")
    c16 = cfg_default(64, "interleaved")
    cm = cfg_mrope(128, "interleaved", False)  # GLM-4.1V-like: sectioned map, interleaved pairs
    cases += [
        Case("pass-rotated-heads_major-d128-half-split", cfg, lambda: heads_major_art(cfg),
             lambda a: guard_bound(a, cfg, 0.5)),
        Case("pass-default_positions-d128-half-split", cfg,
             lambda: Artifact(dict(zip(("cos", "sin"), R.cache(cfg, R.correct_pairs(cfg, np.arange(40)))))),
             lambda a: guard_correct(a, cfg), pass_bound=0.5),
        Case("pass-bfloat16-storage-d128-half-split", cfg,
             lambda: cache_art(cfg, POS_ALL, R.correct_pairs(cfg, POS_ALL), "bfloat16",
                               options={"dtype": "bfloat16"}),
             lambda a: guard_correct(a, cfg), pass_bound=0.5),
        Case("pass-float16-storage-d64-interleaved", c16,
             lambda: cache_art(c16, POS_ALL, R.correct_pairs(c16, POS_ALL), "float16"),
             lambda a: guard_correct(a, c16), pass_bound=0.5),
        Case("pass-kernels-apply_table-d128-half-split", cfg, lambda: kernel_apply_table_art(cfg),
             lambda a: guard_bound(a, cfg, 1.42)),
        Case("pass-mrope-rotated-d128-interleaved", cm, lambda: mrope_rotated_art(cm),
             lambda a: guard_correct(a, cm), pass_bound=0.5),
        Case("pass-kernels-apply_mrope-d128-half-split", cfg_mrope(128, "half-split", True),
             lambda: kernel_mrope_art(cfg_mrope(128, "half-split", True)),
             lambda a: guard_bound(a, cfg_mrope(128, "half-split", True), 0.71 + 2.0 ** -28)),
    ]
    return cases


HF_SMALL = np.arange(4, dtype=np.int64)


def guard_bound(art, cfg, bound, measured=None):
    """The artifact's largest error within `bound` ulps and, where the bound is loose, within the
    measured ceiling (tests/cli/measured.py) of `measured`, the largest error measured (g++)."""
    err = artifact_error(art, cfg)
    assert err <= bound, f"max error {err:.4f} ulps > {bound}"
    if measured is not None:
        assert within_measured(err, measured), f"max error {err:.4f} ulps, {measured} measured"


def kernel_table_art(cfg):
    t = posenc.kernels.build_table(ref(cfg), POS_ALL)
    return Artifact({"cos": np.array(t.cos), "sin": np.array(t.sin), "positions": POS_ALL}, {"cache_layout": "half"})


def kernel_fused_art(cfg):
    x = R.random_x(len(POS_ALL), HEADS, cfg.head_dim, 41)
    return Artifact({"q": x, "q_rotated": posenc.kernels.apply_fused(ref(cfg), POS_ALL, x, out_q=np.empty_like(x)),
                     "positions": POS_ALL})


def kernel_apply_table_art(cfg):
    x = R.random_x(len(POS_ALL), HEADS, cfg.head_dim, 42)
    t = posenc.kernels.build_table(ref(cfg), POS_ALL)
    return Artifact({"q": x, "q_rotated": posenc.kernels.apply_table(ref(cfg), t, x, out_q=np.empty_like(x)),
                     "positions": POS_ALL})


def kernel_mrope_art(cfg):
    x = R.random_x(len(POS3), HEADS, cfg.head_dim, 43)
    return Artifact({"q": x, "q_rotated": posenc.kernels.apply_mrope(ref(cfg), POS3, x, out_q=np.empty_like(x)),
                     "positions": POS3})


def mrope_rotated_art(cfg):
    x = R.random_x(len(POS3), HEADS, cfg.head_dim, 31)
    return Artifact({"q": x, "q_rotated": R.rotated(cfg, R.mrope_pairs(cfg, POS3), x), "positions": POS3})


def heads_major_art(cfg):
    """[heads, T, head_dim] with --token-axis 1."""
    x = R.random_x(len(POS_ALL), HEADS, cfg.head_dim, 44)
    y = R.rotated(cfg, R.correct_pairs(cfg, POS_ALL), x)
    return Artifact({"q": x, "q_rotated": y, "positions": POS_ALL}, {"token_axis": 1})


MODE_CASES = mode_cases()
PASS_CASES = pass_cases()
CASES = {c.id: c for c in MODE_CASES + PASS_CASES}
assert len(CASES) == len(MODE_CASES) + len(PASS_CASES), "case ids must be unique"


def ids(c):
    return c.id


# --------------------------------------------------------------------------------------------------
# Running the check
# --------------------------------------------------------------------------------------------------

def materialise(art: Artifact):
    """heads-major artifacts are stored transposed ([heads, T, d]) with --token-axis 1."""
    arrays = dict(art.arrays)
    if art.options.get("token_axis") == 1:
        arrays["q"] = np.ascontiguousarray(arrays["q"].transpose(1, 0, 2))
        arrays["q_rotated"] = np.ascontiguousarray(arrays["q_rotated"].transpose(1, 0, 2))
    return arrays


def run_cli(cfg, art, tmp_path, extra=()):
    args = [CLI, "check", *cfg.cli_args()]
    for name, a in materialise(art).items():
        f = tmp_path / f"{name}.npy"
        np.save(f, a)
        args += ["--" + name.replace("_", "-"), str(f)]
    for name, v in art.options.items():
        args += ["--" + name.replace("_", "-"), str(v)]
    args += ["--format", "json", *extra]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    rep = None
    if p.returncode in (0, 4):
        try:
            rep = json.loads(p.stdout, parse_float=Decimal)
        except json.JSONDecodeError:
            pytest.fail(f"exit {p.returncode} without a JSON report: {p.stdout[:2000]} {p.stderr[:2000]}")
    return p, rep


def check_params(d0, expected):
    got = d0.get("parameters", {})
    for name, (desc, ok) in expected.items():
        assert name in got, f"parameter {name} missing: {d0}"
        assert ok(got[name]), f"parameter {name} = {got[name]!r}, expected {desc}: {d0}"


def bucket_of(p):
    p = abs(int(p))
    return 0 if p == 0 else 1 << (p.bit_length() - 1)


def assert_failed_as(case, rc, rep, detail):
    assert rc == 4, f"exit {rc}, expected 4: {detail}"
    assert rep["verdict"] == "fail"
    diag = rep["diagnosis"]
    assert diag, "no diagnosis"
    d0 = diag[0]
    assert d0["mode"] == case.mode, \
        f"first diagnosis {d0['mode']}, expected {case.mode}: {json.dumps(diag, default=str)}"
    if case.explains:
        assert d0["explains"] is True, f"{case.mode} does not explain the error: {d0}"
    check_params(d0, case.params)


def assert_passed(case, art, rc, rep, detail):
    assert rc == 0, f"exit {rc}, expected 0: {detail}"
    assert rep["verdict"] == "pass" and rep["diagnosis"] == []
    assert rep["artifact"] == art.kind
    bound = case.pass_bound if case.pass_bound is not None else TOLERANCE[art.kind]
    assert float(rep["max_ulps"]) <= bound, f"max_ulps {rep['max_ulps']} > {bound}"
    if art.kind != "inv_freq" and "positions" in art.arrays and art.arrays["positions"].ndim == 1:
        # every bucket of the positions is reported (position 0, then [2^(k-1), 2^k))
        los = {int(b["lo"]) for b in rep["buckets"]}
        assert {bucket_of(p) for p in art.arrays["positions"]} <= los


@needs_cli
@pytest.mark.parametrize("case", MODE_CASES, ids=ids)
def test_failure_mode_diagnosed(case, tmp_path):
    art = built(case)
    p, rep = run_cli(case.cfg, art, tmp_path)
    assert_failed_as(case, p.returncode, rep, p.stderr[:2000])


@needs_cli
@pytest.mark.parametrize("case", PASS_CASES, ids=ids)
def test_correct_artifact_passes(case, tmp_path):
    art = built(case)
    p, rep = run_cli(case.cfg, art, tmp_path)
    assert_passed(case, art, p.returncode, rep, (p.stdout[-3000:], p.stderr[:2000]))


@needs_cli
def test_text_format_and_csv(tmp_path):
    """--format text prints a summary naming the diagnosed mode; --out writes the per-bucket CSV."""
    case = CASES["positions_offset-cos_sin-k1-d64-half-split"]
    art = built(case)
    args = [CLI, "check", *case.cfg.cli_args()]
    for name, a in art.arrays.items():
        np.save(tmp_path / f"{name}.npy", a)
        args += ["--" + name.replace("_", "-"), str(tmp_path / f"{name}.npy")]
    out = tmp_path / "buckets.csv"
    p = subprocess.run(args + ["--format", "text", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 4, p.stderr
    assert "positions_offset" in p.stdout
    rows = [r for r in out.read_text().strip().splitlines() if not r.startswith("#")]
    assert len(rows) >= 2 and "max_ulps" in rows[0]


# --------------------------------------------------------------------------------------------------
# Bad input: exit 2, the message names the option
# --------------------------------------------------------------------------------------------------

def bad_cases():
    """(name, rope, good arrays, good options, bad arrays, bad options, option names): the good
    artifact must pass, the bad one (one thing changed) exit 2 naming one of the options."""
    cfg = cfg_default(64, "half-split")
    pos = np.arange(16, dtype=np.int64)
    c, s = R.cache(cfg, R.correct_pairs(cfg, pos))
    x = R.random_x(16, HEADS, 64, 51)
    y = R.rotated(cfg, R.correct_pairs(cfg, pos), x)
    cm = cfg_mrope(64, "half-split", False)
    cc, sm = R.cache(cm, R.mrope_pairs(cm, POS3[:16]))
    good = {"cos": c, "sin": s, "positions": pos}
    b16 = {"cos": R.bf16_bits(R.cache(cfg, R.correct_pairs(cfg, pos), "float32")[0]),
           "sin": R.bf16_bits(R.cache(cfg, R.correct_pairs(cfg, pos), "float32")[1]), "positions": pos}
    return [
        ("width", cfg, good, {}, {**good, "cos": np.pad(c, ((0, 0), (0, 2))), "sin": np.pad(s, ((0, 0), (0, 2)))}, {},
         ("--cos", "--sin")),
        ("rows_cos_sin", cfg, good, {}, {**good, "sin": s[:-1]}, {}, ("--cos", "--sin")),
        ("positions_length", cfg, good, {}, {**good, "positions": np.arange(17)}, {}, ("--positions",)),
        ("positions_not_integral", cfg, good, {}, {**good, "positions": pos.astype(np.float64) + 0.5}, {}, ("--positions",)),
        ("bfloat16_without_dtype", cfg, b16, {"dtype": "bfloat16"}, b16, {}, ("--dtype",)),
        ("inv_freq_length", cfg, {"inv_freq": R.correct_inv_freq(cfg)}, {},
         {"inv_freq": np.append(R.correct_inv_freq(cfg), np.float32(1e-5))}, {}, ("--inv-freq",)),
        ("two_kinds", cfg, good, {}, {**good, "inv_freq": R.correct_inv_freq(cfg)}, {},
         ("--inv-freq", "--cos", "inv_freq")),
        ("sin_missing", cfg, good, {}, {"cos": c, "positions": pos}, {}, ("--sin", "--cos")),
        ("rotated_shape", cfg, {"q": x, "q_rotated": y, "positions": pos}, {},
         {"q": x, "q_rotated": y[..., :62], "positions": pos}, {}, ("--q", "--q-rotated")),
        ("mrope_positions_2_axes", cm, {"cos": cc, "sin": sm, "positions": POS3[:16]}, {},
         {"cos": cc, "sin": sm, "positions": POS3[:16, :2]}, {}, ("--positions",)),
    ]


BAD = bad_cases()


@needs_cli
@pytest.mark.parametrize("name,cfg,good,good_opts,bad,bad_opts,names", BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2(name, cfg, good, good_opts, bad, bad_opts, names, tmp_path):
    p, rep = run_cli(cfg, Artifact(good, good_opts), tmp_path)
    assert p.returncode == 0, f"{name}: the good artifact: exit {p.returncode}: {(p.stdout + p.stderr)[:2000]}"
    (tmp_path / "bad").mkdir()
    p, _ = run_cli(cfg, Artifact(bad, bad_opts), tmp_path / "bad")
    msg = p.stdout + p.stderr
    assert p.returncode == 2, f"{name}: exit {p.returncode}: {msg[:2000]}"
    assert any(n in msg for n in names), f"{name}: the message names none of {names}: {msg[:2000]}"


@needs_cli
def test_missing_file_exits_1(tmp_path):
    cfg = cfg_default(64, "half-split")
    c, s = R.cache(cfg, R.correct_pairs(cfg, np.arange(8)))
    p, _ = run_cli(cfg, Artifact({"cos": c, "sin": s}), tmp_path)
    assert p.returncode == 0, (p.stdout + p.stderr)[:2000]
    missing = tmp_path / "nowhere" / "cos.npy"
    p = subprocess.run([CLI, "check", *cfg.cli_args(), "--cos", str(missing), "--sin", str(tmp_path / "sin.npy"),
                        "--format", "json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and str(missing) in p.stdout + p.stderr, (p.returncode, p.stdout + p.stderr)


# --------------------------------------------------------------------------------------------------
# torch, as transformers computes it (LlamaRotaryEmbedding)
# --------------------------------------------------------------------------------------------------

def torch_cache(cfg, positions, out_dtype="float32", inv_freq_dtype=None):
    """transformers modeling_llama.py LlamaRotaryEmbedding: inv_freq = 1.0 / (base ** (arange(0, dim,
    2, dtype=int64).float() / dim)) (_compute_default_rope_parameters), a buffer that
    module.to(bfloat16) casts (transformers #25681); forward: inv_freq[None, :, None].float() @
    position_ids[:, None, :].float(), transposed, emb = cat((freqs, freqs), -1), cos = emb.cos() *
    attention_scaling, then .to(x.dtype)."""
    torch = pytest.importorskip("torch")
    dim, base = cfg.rotary_dim, float(cfg.base)
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    if inv_freq_dtype is not None:
        inv_freq = inv_freq.to(getattr(torch, inv_freq_dtype))
    position_ids = torch.tensor(np.asarray(positions), dtype=torch.int64)[None, :]
    inv_freq_expanded = inv_freq[None, :, None].float().expand(1, -1, 1)
    position_ids_expanded = position_ids[:, None, :].float()
    freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos() * 1.0, emb.sin() * 1.0
    out = getattr(torch, out_dtype)
    return cos.to(out)[0].numpy(), sin.to(out)[0].numpy()


TORCH_CFG = cfg_default(128, "half-split")
TORCH_POS = np.arange(256, dtype=np.int64)


def torch_cases():
    cfg = TORCH_CFG
    return [
        # fp16 cache (vLLM #863, transformers #25681): within 1 fp16 ulp at positions < 256 ...
        ("fp16-cache-judged-float16", lambda: Artifact(
            dict(zip(("cos", "sin"), torch_cache(cfg, TORCH_POS, "float16")), positions=TORCH_POS)), None, {}),
        # ... and the fp16 rounding of the values when judged as float32
        ("fp16-cache-judged-float32", lambda: Artifact(
            dict(zip(("cos", "sin"), torch_cache(cfg, TORCH_POS, "float16")), positions=TORCH_POS),
            {"expect": "float32"}), "cos_sin_stored", {"dtype": eq("float16")}),
        # float32 cache at large positions: the float32 product angle
        ("fp32-cache-large", lambda: Artifact(
            dict(zip(("cos", "sin"), torch_cache(cfg, POS_ALL)), positions=POS_ALL)),
         "angle_product", {"dtype": eq("float32")}),
        # the inv_freq buffer cast to bfloat16 by module.to(torch.bfloat16)
        ("bf16-inv_freq-buffer", lambda: Artifact(
            dict(zip(("cos", "sin"), torch_cache(cfg, TORCH_POS, inv_freq_dtype="bfloat16")), positions=TORCH_POS)),
         "inv_freq_rounded", {"dtype": eq("bfloat16")}),
    ]


@needs_cli
@pytest.mark.parametrize("name,build,mode,params", torch_cases(), ids=[c[0] for c in torch_cases()])
def test_torch_artifacts(name, build, mode, params, tmp_path):
    """Torch's own float32 arithmetic and cos come on top of the injected mistake, so `explains` is
    not required; the mode and its parameter are."""
    art = build()
    p, rep = run_cli(TORCH_CFG, art, tmp_path)
    if mode is None:
        assert p.returncode == 0 and rep["verdict"] == "pass", (p.stdout[-3000:], p.stderr[:2000])
        return
    case = Case(name, TORCH_CFG, build, lambda a: None, mode, params, explains=False)
    assert_failed_as(case, p.returncode, rep, p.stderr[:2000])


def test_selfcheck_torch_artifacts():
    """The torch caches are what the tests say: fp16 within 0.5 fp16 quantum + float32 angle
    noise of the exact values; float32 wrong by more than 1 ulp at large positions; the bf16
    buffer's angle is p * bf16(theta) to float32 precision."""
    pytest.importorskip("torch")
    cfg = TORCH_CFG
    ec, es = exact_pairs(cfg, TORCH_POS)
    c, s = torch_cache(cfg, TORCH_POS, "float16")
    err16 = max(np.abs(c[:, :64] - ec).max(), np.abs(s[:, :64] - es).max()) / 2.0 ** -10
    assert err16 <= 0.6  # 0.5 fp16 quantum (at 1) + the float32 angle (<= 255 * 2^-24 rad) and cos
    err32 = max(np.abs(c[:, :64] - ec).max(), np.abs(s[:, :64] - es).max()) / 2.0 ** -23
    assert err32 > 2
    c, s = torch_cache(cfg, POS_ALL)
    assert cache_error(Artifact({"cos": c, "sin": s, "positions": POS_ALL}), cfg) > 2
    c, s = torch_cache(cfg, TORCH_POS, inv_freq_dtype="bfloat16")
    th = bf16(theta_of(cfg).astype(np.float32)).astype(np.float64)
    dphi = wrap(np.arctan2(s[:, :64].astype(np.float64), c[:, :64]) - TORCH_POS[:, None] * th[None, :])
    assert np.abs(dphi).max() <= 255 * 2.0 ** -24 + 1e-6  # float32 product rounding + torch cos/sin


# --------------------------------------------------------------------------------------------------
# Self-checks of the builders (no CLI)
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", MODE_CASES + PASS_CASES, ids=ids)
def test_selfcheck_builder(case):
    case.guard(built(case))


def test_selfcheck_roundings():
    """round_sig against numpy's casts (float32, float16 incl. subnormals), the bfloat16 bit
    rounding and the TF32 bit rounding, on random and tie values."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal(20000) * 10.0 ** rng.integers(-9, 5, 20000),
                        [0.0, 1.0, 1 + 2.0 ** -24, 1 + 3 * 2.0 ** -24, 2.0 ** -20 * 3, 65504.0]])
    assert np.array_equal(R.round_sig(x, "float32"), x.astype(np.float32).astype(np.float64))
    assert np.array_equal(R.round_sig(x, "float16"), x.astype(np.float16).astype(np.float64))
    x32 = x.astype(np.float32)
    assert np.array_equal(R.round_sig(x32.astype(np.float64), "bfloat16"), bf16(x32).astype(np.float64))
    assert np.array_equal(R.round_sig(x32.astype(np.float64), "tf32"), f32_to_tf32(x32).astype(np.float64))
    assert R.round_sig(np.array([2049.0]), "tf32")[0] == 2048.0  # TensorRT-LLM PR #19532
    assert R.round_sig(np.array([15962.0]), "bfloat16")[0] == 15936.0  # quantum 64 in [2^13, 2^14)


def test_selfcheck_theta_transcriptions():
    """rope_impls' mpmath theta (default, partial, another base, dynamic, longrope both sets) and
    attention factors equal posenc's (correctly rounded doubles)."""
    for d in HEAD_DIMS:
        for cfg, kw, posenc_kw in (
                (cfg_default(d, "half-split"), {}, {}),
                (cfg_default(d, "half-split", partial="0.5"), {}, {}),
                (cfg_default(d, "half-split", partial="0.5"), {"over_dim": d}, {"partial_rotary_factor": "1"}),
                (cfg_default(d, "half-split"), {"base": "500000"}, {"base": "500000"}),
                (cfg_dynamic(d, "half-split"), {}, {}),
                (cfg_dynamic(d, "half-split"), {"seq_len": 16384}, {"seq_len": "16384"}),
                (cfg_dynamic(d, "half-split"), {"seq_len": 100}, {"seq_len": "4096"}),
                (cfg_longrope(d, "half-split", 8192), {}, {}),
                (cfg_longrope(d, "half-split", 8192), {"longrope": "short"}, {"seq_len": "4096"}),
                (cfg_longrope(d, "half-split", 2048), {}, {}),
                (cfg_longrope(d, "half-split", 2048), {"longrope": "long"}, {"seq_len": "4097"})):
            mine = R.theta64(cfg, **kw)
            assert np.array_equal(mine, theta_of(cfg, **posenc_kw)[: len(mine)]), (cfg, kw)
        for cfg in (cfg_yarn(d, "half-split"), cfg_yarn_mscale(d, "half-split"), cfg_longrope(d, "half-split", 8192),
                    cfg_default(d, "half-split")):
            assert float(R.attention_factor(cfg)) == ref(cfg).attention_factor
    assert abs(float(R.attention_factor(cfg_yarn(64, "half-split"))) - (0.1 * math.log(4) + 1)) < 1e-15
    assert float(R.attention_factor(cfg_yarn_mscale(64, "half-split"))) == 1.0


def test_selfcheck_mrope_maps_and_positions():
    """The HF map mirrors give posenc's axes; the position ids are get_rope_index's (posenc)."""
    for d in HEAD_DIMS:
        for il in (False, True):
            cfg = cfg_mrope(d, "half-split", il)
            axes = R.mrope_axes(cfg.pairs, cfg.mrope_section, il)
            assert "".join("thw"[a] for a in axes) == ref(cfg).axes
    ids_, _, _ = posenc.mrope_position_ids("qwen2_vl", SEGMENTS)
    assert np.array_equal(POS3, ids_)
    assert (POS3[:, 0] != POS3[:, 1]).sum() > 100  # vision tokens with t != h


def test_selfcheck_hf_float32_within_one_ulp():
    """HF-style float32 caches (float32 inv_freq by powf and a float32 divide, float32 product
    angle, correctly rounded cos/sin) against the exact values, in quanta at 1 (2^-23). Measured,
    max over the pairs at p = 0, 1, 2, ...:
      base 1e4,  d 64:  0, 0.25, 0.33, 0.46, 0.44, 0.71, 0.61, 1.36 (first > 1 at p = 7)
      base 1e4,  d 128: 0, 0.38, 0.49, 0.46, 0.92, 0.96, 0.66, 1.36 (first > 1 at p = 7)
      base 5e5,  d 64 and 128: 0, 0.35, 0.66, 1.08 (first > 1 at p = 3)
      base 1e6,  d 128: 0, 0.40, 0.67, 0.96, 1.36 (first > 1 at p = 4)
    So positions 0..2 are within 1 ulp for all of them, 0..6 for base 1e4; the pass-hf_float32-small
    cases (base 1e4) use 0..3, away from the 0.92-0.96 of p = 4, 5."""
    for d in HEAD_DIMS:
        for base, good in (("10000", 7), ("500000", 3), ("1000000", 3)):
            cfg = cfg_default(d, "half-split", base=base)
            pos = np.arange(17)
            c, s = R.hf_float32_pairs(cfg, pos)
            ec, es = exact_pairs(cfg, pos)
            err = np.maximum(np.abs(c - ec), np.abs(s - es)).max(axis=1) / 2.0 ** -23
            assert err[:good].max() <= 1.0, (d, base, err[:good])
            assert err.max() > 1.0
            if base == "10000":
                assert err[HF_SMALL].max() <= 0.5, (d, err[HF_SMALL])
    # HF's float32 inv_freq is not always fl32(theta): 1 ulp off for some pairs
    cfg = cfg_default(128, "half-split")
    assert (R.hf_inv_freq32(cfg) != theta_of(cfg).astype(np.float32)).any()


# --------------------------------------------------------------------------------------------------
# posenc.check (Python API), the same engine: a few cases mirrored
# --------------------------------------------------------------------------------------------------

API_CASES = ["pass-cos_sin-float32-d64-half-split", "pass-rotated-q_and_k-d128-interleaved",
             "pass-inv_freq-float64-d64", "positions_offset-cos_sin-k1-d64-half-split",
             "inv_freq_rounded-inv_freq-bfloat16-d128", "mrope_map-interleaved-d128-half-split",
             "attention_factor-twice-d64-interleaved"]
API_CLI_CASES = ["pass-rotated-q_and_k-d128-interleaved", "positions_offset-cos_sin-k1-d64-half-split",
                 "mrope_map-interleaved-d128-half-split"]


def api_check(case, art):
    kw = dict(materialise(art))
    kw.update(art.options)
    return posenc.check(ref(case.cfg), **kw)


@pytest.mark.parametrize("case_id", API_CASES)
def test_api_check(case_id):
    case = CASES[case_id]
    art = built(case)
    r = api_check(case, art)
    rep = json.loads(r.to_json(), parse_float=Decimal)
    assert rep["verdict"] == ("pass" if case.mode is None else "fail")
    assert r.passed is (case.mode is None)
    assert r.max_ulps == pytest.approx(float(rep["max_ulps"]))
    assert r.buckets and all({"lo", "hi", "max_ulps"} <= set(b) for b in r.buckets)
    assert max(b["max_ulps"] for b in r.buckets) == pytest.approx(r.max_ulps)
    if case.mode is None:
        assert r.diagnosis == [] and r.max_ulps <= case.pass_bound
        return
    assert r.diagnosis[0]["mode"] == case.mode
    assert_failed_as(case, 4, rep, case_id)
    assert case.mode in str(r)


@needs_cli
@pytest.mark.parametrize("case_id", API_CLI_CASES)
def test_api_agrees_with_cli(case_id, tmp_path):
    case = CASES[case_id]
    art = built(case)
    p, cli = run_cli(case.cfg, art, tmp_path)
    api = json.loads(api_check(case, art).to_json(), parse_float=Decimal)
    for key in ("verdict", "tolerance", "dtype", "expect", "artifact", "max_ulps", "entries", "buckets", "diagnosis"):
        assert api[key] == cli[key], key


def test_api_bad_input_names_the_argument():
    cfg = cfg_default(64, "half-split")
    pos = np.arange(16, dtype=np.int64)
    c, s = R.cache(cfg, R.correct_pairs(cfg, pos))
    with pytest.raises(ValueError, match="sin|cos"):
        posenc.check(ref(cfg), cos=c, sin=s[:-1], positions=pos)
    with pytest.raises(ValueError, match="positions"):
        posenc.check(ref(cfg), cos=c, sin=s, positions=np.arange(17))
    with pytest.raises((TypeError, ValueError), match="dtype"):  # uint16 data without dtype="bfloat16"
        posenc.check(ref(cfg), cos=R.bf16_bits(c), sin=R.bf16_bits(s), positions=pos)
