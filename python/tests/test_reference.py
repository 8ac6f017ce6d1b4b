"""posenc.Rope and posenc.Mrope against mpmath.

Expected values are computed here, in mpmath, from Hugging Face transformers' formulas
(modeling_rope_utils.py: _compute_default/linear_scaling/llama3/yarn/longrope_parameters, as
transcribed in scripts/gen_config_tables.py) and rounded to each format by round_to() below, a
round-to-nearest-even to p bits with subnormals and overflow written from the IEEE 754 definition.
Every comparison is exact equality (0.5 ulp of the dtype: the correctly rounded value). A reference
value is used only when it is provably far enough from a rounding midpoint for its own mpmath error
(see rounded()); otherwise it is recomputed at 1024 bits.
Config numbers are taken as their decimal text (json parse_float=str), as posenc reads them.
"""
import json
import math
import os
import pathlib
import sys

import mpmath
import numpy as np
import pytest
from mpmath import mp, mpf

import posenc

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "tests" / "data" / "configs"
CONFIGS_BAD = ROOT / "tests" / "data" / "configs_bad"
SEED = 20240613

# p (significand bits), emin (2^emin is the smallest normal), largest finite value
FORMATS = {
    "float64": (53, -1022, sys.float_info.max),
    "float32": (24, -126, float(np.finfo(np.float32).max)),
    "float16": (11, -14, 65504.0),
    "bfloat16": (8, -126, float.fromhex("0x1.fep127")),
}


# --------------------------------------------------------------------------------------------------
# Rounding, in mpmath
# --------------------------------------------------------------------------------------------------

def round_to(x, fmt):
    """(x rounded to nearest, ties to even, in fmt, as a Python float; |x - nearest midpoint| in
    units of the quantum at x). Subnormals: the quantum stops at 2^(emin - p + 1). Overflow: a
    value that rounds beyond the largest finite one becomes +-inf."""
    p, emin, vmax = FORMATS[fmt]
    if x == 0:
        return 0.0, mpf("0.5"), emin - p  # 0 stays 0 within half the smallest subnormal
    _, e = mpmath.frexp(x)  # x = m 2^e, 1/2 <= |m| < 1
    qe = max(int(e) - p, emin - p + 1)
    scaled = mpmath.ldexp(x, -qe)
    fl = mpmath.floor(scaled)
    frac = scaled - fl
    n = int(fl)
    if frac > mpf("0.5") or (frac == mpf("0.5") and n % 2 == 1):
        n += 1
    v = math.ldexp(n, qe)
    if abs(v) > vmax:
        v = math.copysign(math.inf, v)
    return v, abs(frac - mpf("0.5")), qe


def rounded(compute, fmt, bits=256):
    """compute(prec) -> (value, absolute error bound at that precision), evaluated at working
    precision prec; the value rounded to fmt, recomputed at 1024 bits when the bound does not keep
    it away from every rounding midpoint."""
    for prec in (bits, 1024):
        with mp.workprec(prec):
            x, err = compute(prec)
            v, dist, qe = round_to(x, fmt)
            if dist * mpmath.ldexp(1, qe) > err:
                return v
    raise AssertionError("reference value undecided at 1024 bits")


def decimal_text(x, digits):
    """x > 0 correctly rounded to `digits` significant digits, written as posenc writes it."""
    e10 = int(mpmath.floor(mpmath.log10(x)))
    scaled = x / mpf(10) ** (e10 - digits + 1)
    if scaled >= mpf(10) ** digits:
        e10 += 1
        scaled /= 10
    fl = mpmath.floor(scaled)
    frac = scaled - fl
    assert abs(frac - mpf("0.5")) > scaled * mpmath.ldexp(1, -(mp.prec - 40))  # decided at this precision
    n = int(fl) + (1 if frac > 0.5 else 0)
    if n == 10 ** digits:
        n //= 10
        e10 += 1
    s = str(n)
    return (s[0] + ("." + s[1:] if digits > 1 else "")) + f"e{e10:+03d}"


# --------------------------------------------------------------------------------------------------
# HF's frequency formulas (modeling_rope_utils.py), in mpmath at the working precision
# --------------------------------------------------------------------------------------------------

def th_default(base, d):
    """_compute_default_rope_parameters: 1 / base^(arange(0, d, 2) / d)."""
    return [mpf(base) ** (-mpf(2 * i) / d) for i in range(d // 2)], mpf(1)


def th_linear(base, d, factor):
    """_compute_linear_scaling_rope_parameters: inv_freq / factor."""
    th, _ = th_default(base, d)
    return [t / mpf(factor) for t in th], mpf(1)


def th_llama3(base, d, factor, low, high, L):
    """_compute_llama3_parameters (boundaries included in the smooth band)."""
    factor, low, high, L = mpf(factor), mpf(low), mpf(high), mpf(L)
    out = []
    for t in th_default(base, d)[0]:
        wl = 2 * mpmath.pi / t
        if wl > L / low:
            out.append(t / factor)
        elif wl < L / high:
            out.append(t)
        else:
            sm = (L / wl - low) / (high - low)
            out.append((1 - sm) * t / factor + sm * t)
    return out, mpf(1)


def _mscale(scale, m=1):
    return mpf(1) if scale <= 1 else mpf("0.1") * m * mpmath.log(scale) + 1


def th_yarn(base, d, factor, L, beta_fast=32, beta_slow=1, truncate=True, mscale=None, mscale_all_dim=None,
            attention_factor=None):
    """_compute_yarn_parameters."""
    base, f, L = mpf(base), mpf(factor), mpf(L)
    if attention_factor is not None:
        att = mpf(attention_factor)
    elif mscale and mscale_all_dim:
        att = _mscale(f, mpf(mscale)) / _mscale(f, mpf(mscale_all_dim))
    else:
        att = _mscale(f)

    def corr(rot):
        return (d * mpmath.log(L / (mpf(rot) * 2 * mpmath.pi))) / (2 * mpmath.log(base))

    low, high = corr(beta_fast), corr(beta_slow)
    if truncate:
        low, high = mpmath.floor(low), mpmath.ceil(high)
    low, high = max(low, mpf(0)), min(high, mpf(d - 1))
    if low == high:
        high += mpf("0.001")
    th = []
    for j in range(d // 2):
        ramp = min(max((j - low) / (high - low), mpf(0)), mpf(1))
        extra = base ** (-mpf(2 * j) / d)
        inter = 1 / (f * base ** (mpf(2 * j) / d))
        th.append(inter * ramp + extra * (1 - ramp))
    return th, att


def th_longrope(base, d, short_factor, factor, L):
    """_compute_longrope_parameters at init (short factors)."""
    f, L = mpf(factor), mpf(L)
    att = mpf(1) if f <= 1 else mpmath.sqrt(1 + mpmath.log(f) / mpmath.log(L))
    return [1 / (mpf(e) * mpf(base) ** (mpf(2 * i) / d)) for i, e in enumerate(short_factor)], att


_THETA_CACHE = {}


def thetas(rule, prec):
    """rule() evaluated at working precision prec (memoised): (theta list, attention factor).
    The relative error of every value is below 2^-(prec - 20) (a few dozen roundings)."""
    key = (rule, prec)
    if key not in _THETA_CACHE:
        with mp.workprec(prec):
            _THETA_CACHE[key] = rule()
    return _THETA_CACHE[key]


def rel_err(v, prec, bits=20):
    return abs(v) * mpmath.ldexp(1, -(prec - bits))


def theta_rounded(rule, i, fmt):
    return rounded(lambda p: (thetas(rule, p)[0][i], rel_err(thetas(rule, p)[0][i], p)), fmt)


def expected_inv_freq(rule, fmt="float64"):
    """The fmt values nearest to theta_i."""
    n = len(thetas(rule, 256)[0])
    return np.array([theta_rounded(rule, i, fmt) for i in range(n)])


def expected_af(rule):
    return rounded(lambda p: (thetas(rule, p)[1], rel_err(thetas(rule, p)[1], p)), "float64")


# --------------------------------------------------------------------------------------------------
# Ropes built from keywords, with their formulas
# --------------------------------------------------------------------------------------------------

RNG_FACTORS = np.random.default_rng(SEED).uniform(1.0, 3.0, 48)

KEYWORD_CASES = {
    "default": (dict(head_dim=128, base=10000), lambda: th_default(10000, 128)),
    "default-prf": (dict(head_dim=64, base="500000", partial_rotary_factor=0.5), lambda: th_default(500000, 32)),
    "linear": (dict(head_dim=64, base=10000, rope_type="linear", factor=4), lambda: th_linear(10000, 64, 4)),
    "llama3": (dict(head_dim=128, base=500000, rope_type="llama3", factor=8, low_freq_factor=1, high_freq_factor=4,
                    original_max_position_embeddings=8192),
               lambda: th_llama3(500000, 128, 8, 1, 4, 8192)),
    "yarn": (dict(head_dim=64, base=10000, rope_type="yarn", factor=40, original_max_position_embeddings=4096,
                  mscale="0.707", mscale_all_dim=1),
             lambda: th_yarn(10000, 64, 40, 4096, mscale=mpf("0.707"), mscale_all_dim=1)),
    "yarn-plain": (dict(head_dim=128, base=10000, rope_type="yarn", factor=4, original_max_position_embeddings=8192,
                        beta_fast=16, truncate=False),
                   lambda: th_yarn(10000, 128, 4, 8192, beta_fast=16, truncate=False)),
    "longrope": (dict(head_dim=96, base=10000, rope_type="longrope", short_factor=list(RNG_FACTORS),
                      long_factor=[2.0] * 48, original_max_position_embeddings=4096, max_position_embeddings=131072),
                 lambda: th_longrope(10000, 96, [mpf(repr(float(v))) for v in RNG_FACTORS], 32, 4096)),
}


@pytest.mark.parametrize("case", sorted(KEYWORD_CASES))
def test_inv_freq_keywords(case):
    kwargs, rule = KEYWORD_CASES[case]
    r = posenc.Rope(**kwargs)
    got = r.inv_freq()
    assert got.dtype == np.float64
    want = expected_inv_freq(rule)
    assert np.array_equal(got, want), f"{case}: {np.count_nonzero(got != want)} of {len(want)} differ"
    assert r.attention_factor == expected_af(rule)
    assert r.pairs == len(want) and r.rotary_dim == 2 * len(want)


@pytest.mark.parametrize("case,digits", [("llama3", 50), ("yarn", 60), ("longrope", 20), ("default", 240), ("yarn", 240),
                                         ("default", 1)])
def test_inv_freq_decimal(case, digits):
    """60 digits are decided at 100 digits (334 bits), 240 need the second precision (965 bits)."""
    kwargs, rule = KEYWORD_CASES[case]
    got = posenc.Rope(**kwargs).inv_freq_decimal(digits)
    with mp.workprec(1200):
        th, att = thetas(rule, 1200)
        want = [decimal_text(t, digits) for t in th]
        want_af = decimal_text(att, digits)
    assert got == want
    assert posenc.Rope(**kwargs).attention_factor_decimal(digits) == want_af


# --------------------------------------------------------------------------------------------------
# From config files (parameters read by hand here from each file, as HF's config classes do)
# --------------------------------------------------------------------------------------------------

def load_decimal(name):
    with open(CONFIGS / name) as f:
        return json.load(f, parse_float=str, parse_int=str)


def config_llama31():
    c = load_decimal("llama-3.1-8b.json")
    s = c["rope_scaling"]
    d = int(c["hidden_size"]) // int(c["num_attention_heads"])
    return lambda: th_llama3(c["rope_theta"], d, s["factor"], s["low_freq_factor"], s["high_freq_factor"],
                             s["original_max_position_embeddings"])


def config_qwen25():
    c = load_decimal("qwen2.5-7b-instruct.json")
    return lambda: th_default(c["rope_theta"], int(c["hidden_size"]) // int(c["num_attention_heads"]))


def config_phi4():
    # Phi-3 family: rotary dim int(head_dim * partial_rotary_factor), top-level
    # original_max_position_embeddings, factor = max_position_embeddings / original (longrope init).
    c = load_decimal("phi-4-mini-instruct.json")
    hd = int(c["hidden_size"]) // int(c["num_attention_heads"])
    d = int(mpmath.floor(hd * mpf(c["partial_rotary_factor"])))
    L = int(c["original_max_position_embeddings"])
    f = mpf(int(c["max_position_embeddings"])) / L
    return lambda: th_longrope(c["rope_theta"], d, c["rope_scaling"]["short_factor"], f, L)


def config_deepseek_v3():
    # configuration_deepseek_v3.py: head_dim = qk_rope_head_dim; yarn with mscale / mscale_all_dim.
    c = load_decimal("deepseek-v3.json")
    s = c["rope_scaling"]
    return lambda: th_yarn(c["rope_theta"], int(c["qk_rope_head_dim"]), s["factor"], s["original_max_position_embeddings"],
                           s["beta_fast"], s["beta_slow"], True, mpf(s["mscale"]), mpf(s["mscale_all_dim"]))


def config_gpt_oss():
    c = load_decimal("gpt-oss-20b.json")
    s = c["rope_scaling"]
    return lambda: th_yarn(c["rope_theta"], int(c["head_dim"]), s["factor"], s["original_max_position_embeddings"],
                           s["beta_fast"], s["beta_slow"], s["truncate"])


def config_gemma3(layer):
    # configuration_gemma3.py Gemma3TextConfig defaults: head_dim 256, rope_theta 1e6 (full
    # attention, with the config's linear scaling), rope_local_base_freq 1e4 (sliding, unscaled).
    c = load_decimal("gemma-3-4b-it.json")["text_config"]
    if layer == "full_attention":
        return lambda: th_linear(1000000, 256, c["rope_scaling"]["factor"])
    return lambda: th_default(10000, 256)


CONFIG_CASES = {
    "llama-3.1-8b.json": (None, config_llama31, "half-split"),
    "qwen2.5-7b-instruct.json": (None, config_qwen25, "half-split"),
    "phi-4-mini-instruct.json": (None, config_phi4, "half-split"),
    "deepseek-v3.json": (None, config_deepseek_v3, "interleaved"),
    "gpt-oss-20b.json": (None, config_gpt_oss, "half-split"),
    "gemma-3-4b-it.json/full": ("full_attention", lambda: config_gemma3("full_attention"), "half-split"),
    "gemma-3-4b-it.json/sliding": ("sliding_attention", lambda: config_gemma3("sliding_attention"), "half-split"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_inv_freq_from_config(case):
    layer, make, layout = CONFIG_CASES[case]
    path = CONFIGS / case.split("/")[0]
    r = posenc.Rope.from_config(path, layer_type=layer)  # a pathlib.Path: os.PathLike
    rule = make()
    want = expected_inv_freq(rule)
    got = r.inv_freq()
    assert np.array_equal(got, want), f"{case}: {np.count_nonzero(got != want)} of {len(want)} differ"
    assert r.attention_factor == expected_af(rule)
    assert r.layout == layout
    assert r.config_file == str(path)
    assert r.layer_type == layer
    assert r.parameters["base"][1].startswith("config")
    assert case.split("/")[0] in repr(r)


def test_from_config_dict_and_str_path():
    cfg = {"model_type": "llama", "hidden_size": 2048, "num_attention_heads": 16, "max_position_embeddings": 32768,
           "rope_theta": 10000, "rope_scaling": {"rope_type": "yarn", "factor": 4.0,
                                                 "original_max_position_embeddings": 8192}}
    r = posenc.Rope.from_config(cfg)
    rule = lambda: th_yarn(10000, 128, 4, 8192)  # noqa: E731
    assert np.array_equal(r.inv_freq(), expected_inv_freq(rule))
    assert r.attention_factor == expected_af(rule)
    assert r.config_file == "<dict>" and r.rope_type == "yarn"
    # a str path gives the same rope as the keywords of its values
    q = posenc.Rope.from_config(str(CONFIGS / "qwen2.5-7b-instruct.json"))
    k = posenc.Rope(head_dim=128, base=1000000)
    assert np.array_equal(q.inv_freq(), k.inv_freq())


def test_mrope_config_text_rope():
    """On an M-RoPE config Rope is the 1D (text) rope; Mrope has the sections."""
    path = CONFIGS / "qwen2.5-vl-7b-instruct.json"
    r = posenc.Rope.from_config(path)
    m = posenc.Mrope.from_config(path)
    want = expected_inv_freq(lambda: th_default(1000000, 128))
    assert np.array_equal(r.inv_freq(), want) and np.array_equal(m.inv_freq(), want)
    assert m.mrope_section == [16, 24, 24] and not m.interleaved
    assert m.axes == "t" * 16 + "h" * 24 + "w" * 24
    q3 = posenc.Mrope.from_config(CONFIGS / "qwen3-vl-4b-instruct.json")
    assert q3.interleaved and q3.axes == interleaved_axes(64, [24, 20, 20])


def test_parameters_and_repr():
    r = posenc.Rope(head_dim=64, rope_theta=500000.0, rope_type="linear", factor=2)
    p = r.parameters
    assert p["base"] == ("500000.0", "argument rope_theta")
    assert p["factor"] == ("2", "argument factor")
    assert p["beta_fast"] == ("32", "default")
    assert p["head_dim"][0] == "64" and r.head_dim == 64
    assert r.rope_type == "linear" and r.layout == "half-split" and r.config_file is None and r.layer_type is None
    assert repr(r).startswith("<posenc.Rope head_dim=64") and "factor=2" in repr(r)
    assert posenc.Rope(rope_interleave=True).layout == "interleaved"
    assert posenc.Rope(base=0.1 + 0.2 + 10).parameters["base"][0] == repr(0.1 + 0.2 + 10)


# --------------------------------------------------------------------------------------------------
# Rounding once and the Ziv levels
# --------------------------------------------------------------------------------------------------

def test_round_to_against_reference_rounding():
    """posenc's rounding (_round_to: a value given exactly, or within 2^eps) against round_to()
    above, on values at, next to and between rounding midpoints: normal and subnormal ranges, the
    overflow threshold, both signs."""
    rng = np.random.default_rng(SEED + 9)
    checked = 0
    for fmt, (p, emin, vmax) in FORMATS.items():
        top = int(math.frexp(vmax)[1])  # vmax < 2^top
        for _ in range(300):
            e = int(rng.integers(emin - p - 2, top + 1))  # the value's binade 2^(e-1) .. 2^e
            qe = max(e - p, emin - p + 1)
            lo = 2 ** (p - 1) if e - qe == p else 0  # normal: n within the binade (subnormal: any)
            n = int(rng.integers(lo, 2 ** max(e - qe, 0)))  # below the subnormals: the midpoint q/2
            offset = int(rng.choice([0, 1, -1, 2 ** 40, -(2 ** 40)]))  # in 2^-60 quanta
            num = ((2 * n + 1) << 59) + offset  # the midpoint (n + 1/2) plus offset, in 2^-60 quanta
            sign = -1 if rng.random() < 0.5 else 1
            text = f"{'-' if sign < 0 else ''}0x{num:x}p{qe - 60}"
            with mp.workprec(400):
                x = sign * mpmath.ldexp(num, qe - 60)
                want, dist, _ = round_to(x, fmt)
            got, decided = posenc._posenc._round_to(text, 400, None, fmt)
            assert decided and got == want, (fmt, text, got, want)
            # known only within 2^(qe - 50): undecided exactly when a midpoint is that close
            got, decided = posenc._posenc._round_to(text, 400, qe - 50, fmt)
            assert decided == (abs(offset) > 2 ** 11), (fmt, text, decided)
            checked += 1
    assert checked == 1200
    P = posenc._posenc
    assert P._round_to("65520", 64, None, "float16") == (math.inf, True)  # the tie goes to even: 2^16
    assert P._round_to("65519.99", 64, -30, "float16") == (65504.0, True)
    assert P._round_to("0x1p-25", 64, None, "float16") == (0.0, True)  # half the smallest subnormal
    assert P._round_to("0x1.0001p-25", 64, None, "float16") == (2.0 ** -24, True)
    assert P._round_to("0x1.ffp127", 64, None, "bfloat16") == (math.inf, True)


def test_higher_levels_agree():
    """Every computation started at the second and third Ziv levels (working precision 320 and 940
    bits, theta at 100 and 290 digits) gives the same roundings as the first: those paths are
    what an undecided entry takes."""
    kwargs, rule = KEYWORD_CASES["yarn"]
    pos = seeded_positions(4, 1)
    x = random_x((1, len(pos), 64), "float16", np.random.default_rng(SEED + 8))
    m = posenc.Mrope(head_dim=64, base=10000, mrope_section=[8, 12, 12], mrope_interleaved=True)
    p3 = np.random.default_rng(SEED + 8).integers(0, 2 ** 24, (len(pos), 3))

    def run():
        r = posenc.Rope(**kwargs)
        out = [r.inv_freq(), r.attention_factor, r.inv_freq_decimal(30)]
        for f in ("float64", "float16", "bfloat16"):
            out += list(r.cos_sin(pos, dtype=f, attention_factor=True))
            out += list(r.cos_sin(pos, dtype=f, theta="float32"))
        out += [r.apply(x, pos), r.apply(x, pos, attention_factor=True), m.apply(x, p3)]
        return out

    base = run()
    want = expected_cos_sin(rule, pos, ("float64",), with_af=True)["float64"]
    assert np.array_equal(base[3], want[0]) and np.array_equal(base[4], want[1])
    try:
        for k in (1, 2):
            posenc._posenc._set_min_level(k)
            for a, b in zip(run(), base):
                assert np.array_equal(np.asarray(a), np.asarray(b)), k
    finally:
        posenc._posenc._set_min_level(0)


# --------------------------------------------------------------------------------------------------
# cos_sin
# --------------------------------------------------------------------------------------------------

def seeded_positions(n_int=20, n_float=3):
    rng = np.random.default_rng(SEED)
    ints = [0, 1, -1, 2, 2 ** 24, 2 ** 24 - 1, -(2 ** 24)] + [int(v) for v in rng.integers(-(2 ** 24), 2 ** 24 + 1, n_int)]
    floats = [0.5, -1234.25] + [float(v) for v in rng.uniform(-(2 ** 24), 2 ** 24, n_float)]
    return ints + floats


def sincos_error(v, a, prec):
    """Error bound of mpmath's cos or sin v of the angle a = m * theta (theta relatively within
    2^-(prec - 20)): a few ulps of v plus the angle's error."""
    return abs(v) * mpmath.ldexp(1, -(prec - 10)) + abs(a) * mpmath.ldexp(1, -(prec - 22))


def expected_cos_sin(rule, positions, fmts, theta_fmt=None, with_af=False):
    """{fmt: (cos, sin)}: float64 arrays of the correctly rounded values of cos/sin(m_j theta_i)
    (theta_i first rounded to theta_fmt when given; times the attention factor if with_af)."""
    n = len(thetas(rule, 256)[0])
    out = {f: (np.empty((len(positions), n)), np.empty((len(positions), n))) for f in fmts}
    th_r = None if theta_fmt is None else [mpf(theta_rounded(rule, i, theta_fmt)) for i in range(n)]

    for j, m in enumerate(positions):
        for i in range(n):
            for which in (0, 1):
                def compute(prec, i=i, m=m, which=which):
                    th, af = thetas(rule, prec)
                    a = mpf(m) * (th[i] if th_r is None else th_r[i])  # exact product at prec >= 256
                    v = mpmath.cos(a) if which == 0 else mpmath.sin(a)
                    err = sincos_error(v, a, prec) if th_r is None else abs(v) * mpmath.ldexp(1, -(prec - 10))
                    if with_af:
                        v, err = v * af, (err + rel_err(v, prec)) * af * 2
                    return v, err
                for f in fmts:
                    out[f][which][j, i] = rounded(compute, f)
    return out


def as_float64(arr, fmt):
    if fmt == "bfloat16":
        assert arr.dtype == np.uint16
        return (arr.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    assert arr.dtype == np.dtype(fmt)
    return arr.astype(np.float64)


FMTS = ("float64", "float32", "float16", "bfloat16")


@pytest.mark.parametrize("case", ["default", "llama3", "longrope"])
def test_cos_sin_every_dtype(case):
    kwargs, rule = KEYWORD_CASES[case]
    r = posenc.Rope(**kwargs)
    pos = seeded_positions()
    want = expected_cos_sin(rule, pos, FMTS)
    for f in FMTS:
        c, s = r.cos_sin(pos, dtype=f)
        assert c.shape == (len(pos), r.pairs)
        for got, exp, name in ((c, want[f][0], "cos"), (s, want[f][1], "sin")):
            g = as_float64(got, f)
            bad = np.argwhere(g != exp)
            assert bad.size == 0, f"{case} {f} {name}: {len(bad)} entries differ, first {bad[:3].tolist()}"
    assert posenc._posenc._ziv_stats()[2] == 0


ROUNDING_TRAPS = [  # (dtype, cos or sin, position, pair) of Rope(head_dim=128, base=500000)
    ("bfloat16", "cos", 5240, 26), ("bfloat16", "cos", 5601, 49), ("bfloat16", "sin", 816, 44),
    ("bfloat16", "sin", 1805, 21), ("float16", "cos", 439, 7), ("float16", "cos", 843, 12),
    ("float16", "sin", 300, 0), ("float16", "sin", 345, 29),
]


def test_cos_sin_rounding_traps():
    """Entries where rounding through float32 first gives the other neighbour (found by a search
    over positions 0..8191 of this rope): the reference shows they are real double-rounding traps,
    and posenc, rounding the exact value once, agrees with the reference on them."""
    rule = lambda: th_default(500000, 128)  # noqa: E731
    r = posenc.Rope(head_dim=128, base=500000)
    for fmt, which, m, i in ROUNDING_TRAPS:
        fn = mpmath.cos if which == "cos" else mpmath.sin

        def compute(prec, m=m, i=i, fn=fn):
            a = mpf(m) * thetas(rule, prec)[0][i]
            v = fn(a)
            return v, sincos_error(v, a, prec)
        direct = rounded(compute, fmt)
        via32 = round_to(mpf(rounded(compute, "float32")), fmt)[0]
        assert direct != via32, (fmt, which, m, i)
        c, s = r.cos_sin([m], dtype=fmt)
        got = as_float64(c if which == "cos" else s, fmt)[0, i]
        assert got == direct, (fmt, which, m, i, got, direct, via32)


def test_cos_sin_theta_rounded():
    """theta='float32' / 'float64': the exact cos/sin of m times theta_i rounded first."""
    kwargs, rule = KEYWORD_CASES["llama3"]
    r = posenc.Rope(**kwargs)
    pos = seeded_positions(8, 1)
    th64 = r.inv_freq()
    # the float32 thetas: rounded once from the exact value (the reference rounds the mpmath value);
    # here also numpy's float32 of the (correctly rounded) double, which is the same unless the double
    # is exactly a float32 midpoint (checked not to be the case)
    want32 = expected_inv_freq(rule, "float32")
    assert np.array_equal(want32, th64.astype(np.float32).astype(np.float64))
    for theta_fmt in ("float32", "float64"):
        want = expected_cos_sin(rule, pos, ("float64", "float32"), theta_fmt=theta_fmt)
        for f in ("float64", "float32"):
            c, s = r.cos_sin(pos, dtype=f, theta=theta_fmt)
            assert np.array_equal(as_float64(c, f), want[f][0]) and np.array_equal(as_float64(s, f), want[f][1])
    # theta rounding is visible at large positions: float32 theta differs from exact at 2^24
    c_exact, _ = r.cos_sin([2 ** 24], dtype="float64")
    c_32, _ = r.cos_sin([2 ** 24], dtype="float64", theta="float32")
    assert np.count_nonzero(c_exact != c_32) > r.pairs // 2


def test_cos_sin_attention_factor_yarn():
    kwargs, rule = KEYWORD_CASES["yarn-plain"]
    r = posenc.Rope(**kwargs)
    assert r.attention_factor != 1.0
    pos = seeded_positions(6, 1)
    want = expected_cos_sin(rule, pos, ("float32", "float16"), with_af=True)
    for f in ("float32", "float16"):
        c, s = r.cos_sin(pos, dtype=f, attention_factor=True)
        assert np.array_equal(as_float64(c, f), want[f][0]) and np.array_equal(as_float64(s, f), want[f][1])
    # cos(0) * af is the attention factor rounded to the dtype
    c, _ = r.cos_sin([0], dtype="float64", attention_factor=True)
    assert np.all(c == r.attention_factor)


def test_cos_sin_inputs_and_torch_dtype():
    r = posenc.Rope(head_dim=16)
    a = r.cos_sin(np.array([3, 5, 7], dtype=np.int32), dtype=np.float32)
    b = r.cos_sin([3.0, 5.0, 7.0], dtype="float32")
    assert a[0].dtype == np.float32 and np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    c, s = r.cos_sin([], dtype="float16")
    assert c.shape == (0, 8) and c.dtype == np.float16
    c, s = r.cos_sin(np.array([2 ** 53], dtype=np.uint64), dtype="float64")
    assert c.shape == (1, 8)


def test_cos_sin_torch():
    torch = pytest.importorskip("torch")
    r = posenc.Rope(head_dim=32, base=500000)
    pos = seeded_positions(5, 1)
    for tdt, name in ((torch.bfloat16, "bfloat16"), (torch.float16, "float16"), (torch.float32, "float32"),
                      (torch.float64, "float64")):
        c, s = r.cos_sin(pos, dtype=tdt)
        assert isinstance(c, torch.Tensor) and c.dtype == tdt
        nc, ns = r.cos_sin(pos, dtype=name)
        assert np.array_equal(c.to(torch.float64).numpy(), as_float64(nc, name))
        assert np.array_equal(s.to(torch.float64).numpy(), as_float64(ns, name))


def test_speed_4096_positions():
    """4096 positions x 64 pairs in every dtype: a few seconds at most (measured ~0.3 s on 2 cores)."""
    import time
    r = posenc.Rope(head_dim=128, base=500000)
    pos = np.random.default_rng(SEED).integers(0, 2 ** 24, 4096)
    t = time.perf_counter()
    c, s = r.cos_sin(pos, dtype="float32")
    dt = time.perf_counter() - t
    print(f"cos_sin 4096 x 64 float32: {dt:.3f} s")
    assert c.shape == (4096, 64) and dt < 10.0


# --------------------------------------------------------------------------------------------------
# apply
# --------------------------------------------------------------------------------------------------

def pair_index(layout, rotary, i):
    return (2 * i, 2 * i + 1) if layout == "interleaved" else (i, i + rotary // 2)


def expected_apply(rule, x, positions, layout, fmt, axis_of=None, with_af=False):
    """x [batch, tokens, head_dim] float64 values of fmt; the exact rotation rounded to fmt.
    positions: per token a number, or (t, h, w) with axis_of[i] choosing the coordinate of pair i."""
    n = len(thetas(rule, 256)[0])
    rotary = 2 * n
    out = x.copy()
    for b in range(x.shape[0]):
        for j in range(x.shape[1]):
            for i in range(n):
                ia, ib = pair_index(layout, rotary, i)
                xa, xb = mpf(float(x[b, j, ia])), mpf(float(x[b, j, ib]))
                m = positions[j] if axis_of is None else positions[j][axis_of[i]]
                for k, which in ((ia, 0), (ib, 1)):
                    def compute(prec, i=i, m=m, xa=xa, xb=xb, which=which):
                        th, af = thetas(rule, prec)
                        a = mpf(m) * th[i]
                        c, s = mpmath.cos(a), mpmath.sin(a)
                        e = sincos_error(1, a, prec)  # bounds the error of c and of s
                        if with_af:
                            c, s, e = c * af, s * af, (e + rel_err(1, prec)) * af * 2
                        v = c * xa - s * xb if which == 0 else s * xa + c * xb
                        return v, (abs(xa) + abs(xb)) * e + rel_err(v, prec, 4)
                    out[b, j, k] = rounded(compute, fmt)
    return out


def random_x(shape, fmt, rng):
    x = rng.standard_normal(shape) * 4
    return x.astype(fmt)


@pytest.mark.parametrize("fmt", ["float64", "float32", "float16"])
def test_apply_dtypes(fmt):
    kwargs, rule = KEYWORD_CASES["llama3"]
    r = posenc.Rope(**kwargs)
    rng = np.random.default_rng(SEED + 1)
    pos = [0, 1, 2 ** 24] + seeded_positions(3, 1)[7:10] + [0.5]
    x = random_x((2, len(pos), 128), fmt, rng)
    y = r.apply(x, pos)
    assert y.dtype == x.dtype and y.shape == x.shape
    want = expected_apply(rule, x.astype(np.float64), pos, "half-split", fmt)
    assert np.array_equal(y.astype(np.float64), want), f"{np.count_nonzero(y.astype(np.float64) != want)} differ"


def test_apply_float16_overflow_and_subnormal():
    """A rotation of (60000, 60000) leaves float16's range: +-inf, as IEEE rounding gives; tiny
    inputs give subnormal results."""
    r = posenc.Rope(head_dim=4, base=10000)
    x = np.array([[[60000.0, 3e-7, 60000.0, -2e-7]]], dtype=np.float16)
    pos = [1]
    y = r.apply(x, pos)
    want = expected_apply(lambda: th_default(10000, 4), x.astype(np.float64), pos, "half-split", "float16")
    assert np.array_equal(y.astype(np.float64), want)
    assert np.isinf(y).any() and np.any((y != 0) & (np.abs(y) < np.finfo(np.float16).tiny))


@pytest.mark.parametrize("layout", ["interleaved", "half-split"])
def test_apply_layouts_partial_rotary(layout):
    """Partial rotary (32 of 64 dims rotate; the rest unchanged) in both layouts, the layout given
    to the rope or as apply's override."""
    r = posenc.Rope(head_dim=64, base=10000, partial_rotary_factor=0.5, layout=layout)
    other = "half-split" if layout == "interleaved" else "interleaved"
    rng = np.random.default_rng(SEED + 2)
    pos = [0, 7, 2 ** 20 + 3]
    x = random_x((1, 3, 64), "float32", rng)
    want = expected_apply(lambda: th_default(10000, 32), x.astype(np.float64), pos, layout, "float32")
    y = r.apply(x, pos)
    assert np.array_equal(y.astype(np.float64), want)
    assert np.array_equal(y[..., 32:], x[..., 32:])
    want_other = expected_apply(lambda: th_default(10000, 32), x.astype(np.float64), pos, other, "float32")
    assert np.array_equal(r.apply(x, pos, layout=other).astype(np.float64), want_other)
    assert not np.array_equal(want, want_other)


def test_apply_token_axis_variants():
    r = posenc.Rope(head_dim=32, base=10000)
    rng = np.random.default_rng(SEED + 3)
    pos = [5, 1000, 123456]
    x = random_x((2, 3, 4, 32), "float32", rng)  # [batch, tokens, heads, head_dim]
    y = r.apply(x, pos, token_axis=1)
    # the same as tokens on axis -2 after a transpose
    xt = np.ascontiguousarray(np.swapaxes(x, 1, 2))  # [batch, heads, tokens, head_dim]
    assert np.array_equal(np.swapaxes(r.apply(xt, pos), 1, 2), y)
    assert np.array_equal(r.apply(x, pos, token_axis=-3), y)
    # against mpmath on one head
    want = expected_apply(lambda: th_default(10000, 32), x[:, :, 1, :].astype(np.float64), pos, "half-split", "float32")
    assert np.array_equal(y[:, :, 1, :].astype(np.float64), want)
    # 2-D x: [tokens, head_dim]; tokens first
    y2 = r.apply(x[0, :, 2, :], pos, token_axis=0)
    assert np.array_equal(y2, y[0, :, 2, :])
    # a non-contiguous view gives the same
    assert np.array_equal(r.apply(xt[:, ::2], pos), r.apply(np.ascontiguousarray(xt[:, ::2]), pos))


def test_apply_attention_factor():
    kwargs, rule = KEYWORD_CASES["yarn-plain"]
    r = posenc.Rope(**kwargs)
    x = random_x((1, 2, 128), "float32", np.random.default_rng(SEED + 4))
    pos = [3, 2 ** 24]
    want = expected_apply(rule, x.astype(np.float64), pos, "half-split", "float32", with_af=True)
    assert np.array_equal(r.apply(x, pos, attention_factor=True).astype(np.float64), want)


def test_apply_bfloat16_bits_and_torch():
    r = posenc.Rope(head_dim=16, base=10000)
    rng = np.random.default_rng(SEED + 5)
    x32 = rng.standard_normal((1, 4, 16)).astype(np.float32)
    bits = (x32.view(np.uint32) >> 16).astype(np.uint16)  # truncated to bfloat16 values
    xb = (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    pos = [1, 2, 3, 40000]
    y = r.apply(bits, pos, dtype="bfloat16")
    assert y.dtype == np.uint16
    want = expected_apply(lambda: th_default(10000, 16), xb, pos, "half-split", "bfloat16")
    assert np.array_equal(as_float64(y, "bfloat16"), want)
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(xb.astype(np.float32)).to(torch.bfloat16)
    yt = r.apply(t, pos)
    assert yt.dtype == torch.bfloat16
    assert np.array_equal(yt.to(torch.float64).numpy(), want)
    y16 = r.apply(torch.from_numpy(xb.astype(np.float16)), pos)
    assert y16.dtype == torch.float16


# --------------------------------------------------------------------------------------------------
# M-RoPE
# --------------------------------------------------------------------------------------------------

def interleaved_axes(pairs, section):
    """transformers modeling_qwen3_vl.py apply_interleaved_mrope: pair j takes h where j % 3 == 1 and
    j < 3 * s_h, w where j % 3 == 2 and j < 3 * s_w, t otherwise."""
    out = []
    for j in range(pairs):
        if j % 3 == 1 and j < 3 * section[1]:
            out.append("h")
        elif j % 3 == 2 and j < 3 * section[2]:
            out.append("w")
        else:
            out.append("t")
    return "".join(out)


@pytest.mark.parametrize("interleaved", [False, True])
def test_mrope_cos_sin_and_apply(interleaved):
    section = [8, 12, 12]
    m = posenc.Mrope(head_dim=64, base=10000, mrope_section=section, mrope_interleaved=interleaved)
    axes = interleaved_axes(32, section) if interleaved else "t" * 8 + "h" * 12 + "w" * 12
    assert m.axes == axes and m.mrope_section == section and m.interleaved == interleaved
    axis_of = ["thw".index(a) for a in axes]
    rng = np.random.default_rng(SEED + 6)
    p3 = rng.integers(0, 2 ** 24, (4, 3))
    rule = lambda: th_default(10000, 64)  # noqa: E731
    # cos_sin: entry (j, i) is cos(p3[j, axis_i] theta_i)
    c, s = m.cos_sin(p3, dtype="float32")
    for j in range(4):
        for i in range(32):
            for got, fn in ((c, mpmath.cos), (s, mpmath.sin)):
                def compute(prec, i=i, j=j, fn=fn):
                    a = mpf(int(p3[j, axis_of[i]])) * thetas(rule, prec)[0][i]
                    v = fn(a)
                    return v, sincos_error(v, a, prec)
                assert got[j, i] == rounded(compute, "float32")
    x = random_x((2, 4, 64), "float32", rng)
    want = expected_apply(rule, x.astype(np.float64), [tuple(int(v) for v in row) for row in p3], "half-split",
                          "float32", axis_of=axis_of)
    assert np.array_equal(m.apply(x, p3).astype(np.float64), want)


def test_mrope_text_tokens_equal_rope():
    """t = h = w: M-RoPE is the 1D rope, bit for bit (GLM-4.1V geometry: interleaved pairs, 64 of 128)."""
    m = posenc.Mrope.from_config(CONFIGS / "glm-4.1v-9b-thinking.json")
    r = posenc.Rope.from_config(CONFIGS / "glm-4.1v-9b-thinking.json")
    assert m.layout == "interleaved" and m.rotary_dim == 64
    rng = np.random.default_rng(SEED + 7)
    pos = rng.integers(0, 2 ** 24, 5)
    x = random_x((3, 5, 128), "float16", rng)
    p3 = np.stack([pos, pos, pos], axis=1)
    assert np.array_equal(m.apply(x, p3), r.apply(x, pos))
    cm, sm = m.cos_sin(p3, dtype="float64")
    cr, sr = r.cos_sin(pos, dtype="float64")
    assert np.array_equal(cm, cr) and np.array_equal(sm, sr)


# --------------------------------------------------------------------------------------------------
# Errors: each a TypeError/ValueError naming the argument
# --------------------------------------------------------------------------------------------------

def raises(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc) as e:
        fn(*args, **kwargs)
    assert match in str(e.value), str(e.value)


def test_errors_construction():
    raises(ValueError, "keyword", posenc.Rope, nonsense=3)
    raises(ValueError, "nonsense", posenc.Rope, nonsense=3)
    raises(ValueError, "head_dim", posenc.Rope, head_dim=7)
    raises(ValueError, "head_dim", posenc.Rope, head_dim=128.5)
    raises(ValueError, "base", posenc.Rope, base=0.5)
    raises(ValueError, "base", posenc.Rope, base="ten")
    raises(ValueError, "base", posenc.Rope, base=float("nan"))
    raises(ValueError, "factor", posenc.Rope, rope_type="linear", factor=0.5)
    raises(ValueError, "variant", posenc.Rope, rope_type="magic")
    raises(ValueError, "layout", posenc.Rope, layout="diagonal")
    raises(ValueError, "keyword", posenc.Rope, rope_type="yarn", variant="linear")
    raises(TypeError, "factor", posenc.Rope, factor={"a": 1})
    raises(ValueError, "mrope_section", posenc.Mrope, head_dim=128, mrope_section=[16, 24, 25])
    raises(ValueError, "mrope_section", posenc.Mrope, head_dim=128)


def test_errors_from_config():
    missing = str(CONFIGS / "no_such_config.json")
    raises(ValueError, missing, posenc.Rope.from_config, missing)
    raises(TypeError, "path_or_dict", posenc.Rope.from_config, 42)
    raises(TypeError, "layer_type", posenc.Rope.from_config, CONFIGS / "gemma-3-4b-it.json", layer_type=3)
    raises(ValueError, "llama-3.1-8b.json: mrope_section", posenc.Mrope.from_config, CONFIGS / "llama-3.1-8b.json")
    raises(ValueError, "<dict>", posenc.Rope.from_config, {"model_type": "llama"})
    with open(CONFIGS_BAD / "expected.json") as f:
        expected = json.load(f)
    assert len(expected) >= 15
    for name, key in sorted(expected.items()):
        path = str(CONFIGS_BAD / name)
        with pytest.raises(ValueError) as e:
            posenc.Rope.from_config(path)
        msg = str(e.value)
        assert msg.startswith(path + ": ") and key in msg, msg


def test_errors_positions():
    r = posenc.Rope(head_dim=16)
    m = posenc.Mrope(head_dim=16, mrope_section=[2, 3, 3])
    for bad in ([2 ** 54], [float("nan")], [float("inf")], np.array([-(2 ** 53) - 2], dtype=np.int64), [2 ** 70]):
        raises(ValueError, "positions", r.cos_sin, bad)
    raises(ValueError, "positions", r.cos_sin, [[1, 2]])
    raises(ValueError, "positions", r.cos_sin, 5)
    raises(ValueError, "positions", m.cos_sin, [1, 2, 3])
    raises(ValueError, "positions", m.cos_sin, [[1, 2]])
    raises(TypeError, "positions", r.cos_sin, [True, False])
    raises(TypeError, "positions", r.cos_sin, ["a"])
    raises(TypeError, "positions", r.cos_sin, [1 + 2j])
    raises(ValueError, "positions", r.apply, np.zeros((3, 16)), [1, 2], token_axis=0)
    raises(ValueError, "dtype", r.cos_sin, [1], dtype="int8")
    raises(ValueError, "dtype", r.cos_sin, [1], dtype=np.int32)
    raises(ValueError, "dtype", r.cos_sin, [1], dtype=3.5)
    raises(ValueError, "theta", r.cos_sin, [1], theta="float16")
    raises(TypeError, "attention_factor", r.cos_sin, [1], attention_factor="yes")


def test_errors_apply_x_and_token_axis():
    r = posenc.Rope(head_dim=16)
    raises(TypeError, "x", r.apply, np.zeros((2, 16), dtype=np.int64), [1, 2])
    raises(TypeError, "x", r.apply, np.zeros((2, 16), dtype=np.complex64), [1, 2])
    raises(TypeError, "x", r.apply, np.zeros((2, 16), dtype=np.float32), [1, 2], dtype="bfloat16")
    raises(ValueError, "dtype", r.apply, np.zeros((2, 16), dtype=np.uint16), [1, 2], dtype="float8")
    raises(ValueError, "x", r.apply, np.zeros((2, 15)), [1, 2])
    raises(ValueError, "x", r.apply, np.zeros(16), [1])
    raises(ValueError, "x", r.apply, np.full((1, 16), np.inf), [1])
    raises(ValueError, "token_axis", r.apply, np.zeros((2, 16)), [1, 2], token_axis=-1)
    raises(ValueError, "token_axis", r.apply, np.zeros((2, 16)), [1, 2], token_axis=1)
    raises(ValueError, "token_axis", r.apply, np.zeros((2, 16)), [1, 2], token_axis=-3)
    raises(TypeError, "token_axis", r.apply, np.zeros((2, 16)), [1, 2], token_axis=0.0)
    raises(ValueError, "layout", r.apply, np.zeros((2, 16)), [1, 2], layout="zigzag")
    raises(ValueError, "positions", r.apply, np.zeros((2, 16)), [1, 2, 3])


def test_errors_digits():
    r = posenc.Rope(head_dim=16)
    raises(ValueError, "digits", r.inv_freq_decimal, 0)
    raises(ValueError, "digits", r.inv_freq_decimal, 251)
    raises(TypeError, "digits", r.inv_freq_decimal, 10.0)
    raises(TypeError, "digits", r.inv_freq_decimal, True)


def test_no_unresolved_entries():
    """No entry of the whole file needed the last-resort rounding of an undecided value."""
    second, third, unresolved = posenc._posenc._ziv_stats()
    print(f"Ziv levels: {second} entries redone at 320 bits, {third} at 940 bits, {unresolved} unresolved")
    assert unresolved == 0
