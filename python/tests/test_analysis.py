"""posenc.decay, posenc.context_length and posenc.min_base.

Expected values are independent of posenc:
- mpmath at 60 digits, computed here: B_r = sum_i cos(r theta_i) (Men et al. 2024, arXiv 2405.14591,
  eq. 9) and RoFormer's relative bound (1/N) sum_{j=1}^{N} |S_j|, S_j = sum_{i<j} e^{i r theta_i}
  (Su et al. 2021, arXiv 2104.09864, §3.4.3 eq. 37 and Figure 2), with theta_i = base^(-2i/d)
  rounded to the precision's significand (posenc computes theta_i in that type; the same reference
  as tests/cli/check_cli.py);
- a numpy scan of B with the doubtful signs decided by mpmath at 50 digits, for context_length and
  min_base (eqs. 10 and 11);
- the posenc tool's CSV ($POSENC_CLI decay, context, min-base), which must agree exactly (skipped
  when POSENC_CLI is unset).
"""
import os
import pathlib
import subprocess
import sys
import textwrap

import mpmath
import numpy as np
import pytest
from mpmath import libmp

import posenc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "cli"))
from measured import within_measured  # noqa: E402  (the CLI checks' measured ceiling)

CLI = os.environ.get("POSENC_CLI")
needs_cli = pytest.mark.skipif(not CLI, reason="POSENC_CLI is not set (ctest sets it to the posenc tool)")

# Tolerances: those of tests/cli/check_cli.py, which checks the same quantities of the tool.
# roformer-bound, double: 64 moduli of partial sums, each term within a few ulps, plus at most 255
# steps of the exact unit rotation of a block (about 255 * 3 ulps): 1e-13 relative (check_decay_roformer).
ROFORMER_REL_DOUBLE = 1e-13
# At 50 digits the same count of ulps of 2^-167 is below 1e-46: check_cli allows 1e-45 relative,
# plus here the final rounding to float64 (half an ulp).
REL_50 = 1e-45
# b-sum: check_cli allows 1e-15 absolute at long double (32 cosines, each within ~255 * 3 ulps of
# 2^-64 after the recurrence); the same count of double's ulps (2^-53, 2^11 times larger) is
# 2^11 * 1e-15 = 2.05e-12 absolute.
B_SUM_ABS_DOUBLE = 2**11 * 1e-15
# The largest errors measured (g++ Release) where the tolerances above are worst cases far above
# them: held to 1.5 times these (tests/cli/measured.py), so that a doubled error fails.
MEASURED = {"b-sum": 6.346e-15, "b-sum beyond 2^45": 4.192e-16, "roformer-bound": 5.369e-16,
            "roformer-bound mrope": 2.227e-16}
# b-sum along M-RoPE axes, per (interleaved, axis)
MEASURED_MROPE_B = {(False, "t"): 9.753e-15, (False, "h"): 1.789e-14, (False, "w"): 3.018e-14, (False, "hw"): 3.414e-14,
                    (False, "thw"): 2.962e-14, (True, "t"): 2.736e-14, (True, "h"): 2.216e-14, (True, "w"): 2.031e-14,
                    (True, "hw"): 2.404e-14, (True, "thw"): 2.962e-14}


@pytest.fixture(autouse=True)
def sixty_digits():
    """mpmath at 60 digits in every test (whatever other test files set)."""
    with mpmath.workdps(60):
        yield


def thetas(dim, base):
    """theta_i = base^(-2i/dim), i < dim/2, at 60 digits."""
    b = mpmath.mpf(base)
    return [b ** (-mpmath.mpf(2 * i) / dim) for i in range(dim // 2)]


def rounded(values, bits):
    """Each value rounded to nearest with a `bits`-bit significand (double: 53, cpp_bin_float_50: 168)."""
    with mpmath.workprec(bits):
        return [+v for v in values]


def b_sum(th, r):
    return mpmath.fsum(mpmath.cos(r * t) for t in th)


def roformer_bound(th, r):
    s, total = mpmath.mpc(0), mpmath.mpf(0)
    for t in th:
        s += mpmath.expj(r * t)
        total += abs(s)
    return total / len(th)


def nearest(x):
    """mpf -> the nearest double (ties to even)."""
    return libmp.to_float(mpmath.mpf(x)._mpf_, rnd="n")


def cli_rows(*args):
    """The posenc tool's CSV: (header, rows), rows as lists of strings."""
    out = subprocess.run([CLI, *map(str, args), "--quiet"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    body = [line for line in out.stdout.splitlines() if line and not line.startswith("#")]
    return body[0].split(","), [line.split(",") for line in body[1:]]


def spec(values):
    return ",".join(str(int(v)) for v in values)


# Distances: runs of equal steps (the blocks' exact-rotation path) and scattered ones (each from its
# exact phase), up to 2^40 (beyond, see test_b_sum_double_beyond_2_40), and 2^53, where r theta_i is
# a double.
B_DISTANCES = np.array(list(range(0, 601, 3)) + [12345, 10**6, 2**31 - 1, 2**40 + 7, 2**53], dtype=np.int64)
ROFORMER_DISTANCES = np.array([0, 1, 2, 10, 100, 256, 1000, 65536, 1000000] + list(range(0, 301, 7)),
                              dtype=np.int64)


# ------------------------------------------------------------------------------------------------
# decay against mpmath
# ------------------------------------------------------------------------------------------------

def test_b_sum_double():
    got = posenc.decay(posenc.Rope(head_dim=64, base=500000), B_DISTANCES, "b-sum")
    assert got.dtype == np.float64 and got.shape == B_DISTANCES.shape
    th = rounded(thetas(64, 500000), 53)
    worst = max(abs(mpmath.mpf(g) - b_sum(th, int(r))) for g, r in zip(got, B_DISTANCES))
    print(f"b-sum, double: max absolute error {float(worst):.3e} (bound {B_SUM_ABS_DOUBLE:.3e})")
    assert worst <= B_SUM_ABS_DOUBLE
    assert within_measured(worst, MEASURED["b-sum"]), float(worst)
    assert got[0] == 32.0  # B_0 = N exactly


# r theta beyond 2^28: the low part of the exact product exceeds 2^-24 and phases.hpp turns by the C
# library's sin and cos of it (before, sin lo = lo and cos lo = 1 - lo^2/2 gave errors of 1.1e-10 at
# r = 2^45 + 1, 6.2e-8 at 2^50 + 3 and 4.9e-3 at 2^53 - 1)
def test_b_sum_double_beyond_2_40():
    d = np.array([2**45 + 1, 2**50 + 3, 2**53 - 1], dtype=np.int64)
    got = posenc.decay(posenc.Rope(head_dim=64, base=500000), d, "b-sum")
    th = rounded(thetas(64, 500000), 53)
    worst = max(abs(mpmath.mpf(g) - b_sum(th, int(r))) for g, r in zip(got, d))
    print(f"b-sum, double, r > 2^45: max absolute error {float(worst):.3e} (bound {B_SUM_ABS_DOUBLE:.3e})")
    assert worst <= B_SUM_ABS_DOUBLE
    assert within_measured(worst, MEASURED["b-sum beyond 2^45"]), float(worst)


def test_b_sum_50_digits_is_rounded_once():
    # up to 2^53 - 1: at 50 digits the phases are posenc::math's sincos of the exact product
    d = np.array([0, 1, 7, 1000, 65536, 10**6, 2**40 + 7, 2**45 + 1, 2**50 + 3, 2**53 - 1], dtype=np.int64)
    got = posenc.decay(posenc.Rope(head_dim=64, base=500000), d, "b-sum", precision="50")
    th = rounded(thetas(64, 500000), 168)
    for g, r in zip(got, d):
        want = b_sum(th, int(r))
        # the 50-digit value is within 1e-45 (relative, B being of order 1..N here) of B, then
        # rounded to float64 once: half an ulp of the result
        assert abs(mpmath.mpf(g) - want) <= np.spacing(abs(g)) / 2 + REL_50 * 32, (r, g, want)


def test_roformer_bound_double():
    got = posenc.decay(posenc.Rope(head_dim=128, base=10000), ROFORMER_DISTANCES, "roformer-bound")
    th = rounded(thetas(128, 10000), 53)
    worst = max(abs(mpmath.mpf(g) - roformer_bound(th, int(r))) / roformer_bound(th, int(r))
                for g, r in zip(got, ROFORMER_DISTANCES))
    print(f"roformer-bound, double: max relative error {float(worst):.3e} (bound {ROFORMER_REL_DOUBLE})")
    assert worst <= ROFORMER_REL_DOUBLE
    assert within_measured(worst, MEASURED["roformer-bound"]), float(worst)
    assert got[0] == 32.5  # V(0) = (N + 1)/2 exactly


def test_roformer_bound_50_digits_is_rounded_once():
    d = np.array([0, 1, 2, 10, 100, 1000, 65536, 1000000], dtype=np.int64)
    got = posenc.decay(posenc.Rope(head_dim=128, base=10000), d, "roformer-bound", precision="50")
    th = rounded(thetas(128, 10000), 168)
    for g, r in zip(got, d):
        want = roformer_bound(th, int(r))
        assert abs(mpmath.mpf(g) - want) <= np.spacing(g) / 2 + REL_50 * want, (r, g, want)


def test_precision_100_agrees_with_50_after_rounding():
    d = np.arange(0, 40, dtype=np.int64)
    rope = posenc.Rope(head_dim=32, base=10000)
    a = posenc.decay(rope, d, "roformer-bound", precision="50")
    b = posenc.decay(rope, d, "roformer-bound", precision=100)
    with mpmath.workdps(110):
        th = rounded(thetas(32, 10000), 334)  # cpp_bin_float_100: 334 bits
        for g, r in zip(b, d):
            assert g == nearest(roformer_bound(th, int(r)))  # 1e-95 from the exact: rounded correctly
    assert np.max(np.abs(a - b) / b) <= 2**-53


def test_empty_distances():
    got = posenc.decay(posenc.Rope(head_dim=16), [], "b-sum")
    assert got.shape == (0,) and got.dtype == np.float64


# ------------------------------------------------------------------------------------------------
# M-RoPE: a distance along some axes; the pairs of the other axes turn by 0 (cos 0 = 1 each)
# ------------------------------------------------------------------------------------------------

def qwen2_vl_axes(pairs, section):
    """transformers' modeling_qwen2_vl.py apply_multimodal_rotary_pos_emb: the frequencies split in
    consecutive chunks of mrope_section (t, h, w)."""
    axes = []
    for name, n in zip("thw", section):
        axes += [name] * n
    assert len(axes) == pairs
    return axes


def qwen3_vl_axes(pairs, section):
    """transformers' modeling_qwen3_vl.py Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope: pair i
    takes h if i % 3 == 1 and i < 3 section[1], w if i % 3 == 2 and i < 3 section[2], else t."""
    axes = ["t"] * pairs
    for axis, offset in (("h", 1), ("w", 2)):
        for i in range(offset, 3 * section[offset], 3):
            axes[i] = axis
    return axes


@pytest.mark.parametrize("interleaved", [False, True])
def test_mrope_axes_b_sum(interleaved):
    section = [24, 20, 20] if interleaved else [16, 24, 24]
    mrope = posenc.Mrope(head_dim=128, base=1000000, mrope_section=section, mrope_interleaved=interleaved)
    axes_of = (qwen3_vl_axes if interleaved else qwen2_vl_axes)(64, section)
    th = rounded(thetas(128, 1000000), 53)
    d = np.array(list(range(0, 300)) + [5000, 77777, 2**30 + 3], dtype=np.int64)
    for axis in ("t", "h", "w", "hw", "thw"):
        got = posenc.decay(mrope, d, "b-sum", axis=axis)
        moving = [t for t, a in zip(th, axes_of) if a in axis]
        still = 64 - len(moving)
        worst = max(abs(mpmath.mpf(g) - (b_sum(moving, int(r)) + still)) for g, r in zip(got, d))
        print(f"b-sum, M-RoPE axis {axis}: max absolute error {float(worst):.3e}")
        assert worst <= B_SUM_ABS_DOUBLE, (axis, worst)
        assert within_measured(worst, MEASURED_MROPE_B[(interleaved, axis)]), (axis, float(worst))
        assert got[0] == 64.0
    # no axis: the text direction (every pair), the 1D rope's numbers
    np.testing.assert_array_equal(posenc.decay(mrope, d, "b-sum"), posenc.decay(mrope, d, "b-sum", axis="thw"))
    np.testing.assert_array_equal(posenc.decay(mrope, d, "b-sum"),
                                  posenc.decay(posenc.Rope(head_dim=128, base=1000000), d, "b-sum"))


def test_mrope_axis_roformer_bound():
    section = [16, 24, 24]
    mrope = posenc.Mrope(head_dim=128, base=1000000, mrope_section=section)
    th = rounded(thetas(128, 1000000), 53)
    w = [t if a == "h" else mpmath.mpf(0) for t, a in zip(th, qwen2_vl_axes(64, section))]
    d = np.array([0, 1, 5, 50, 500, 5000, 65536], dtype=np.int64)
    got = posenc.decay(mrope, d, "roformer-bound", axis="h")
    worst = max(abs(mpmath.mpf(g) - roformer_bound(w, int(r))) / roformer_bound(w, int(r)) for g, r in zip(got, d))
    print(f"roformer-bound, M-RoPE axis h: max relative error {float(worst):.3e}")
    assert worst <= ROFORMER_REL_DOUBLE
    assert within_measured(worst, MEASURED["roformer-bound mrope"]), float(worst)


# ------------------------------------------------------------------------------------------------
# gaussian: the laws the tool's check states (tests/cli/check_cli.py check_decay_gaussian)
# ------------------------------------------------------------------------------------------------

def test_gaussian_moments():
    n = 4000
    rope = posenc.Rope(head_dim=64, base=10000)
    d = np.array([0, 5, 50, 500], dtype=np.int64)
    mean, sd = posenc.decay(rope, d, "gaussian", samples=n, seed=7)
    for r, m, s in zip(d, mean, sd):
        # Barbero et al. 2024 Prop. 3.2: mean 0; 5 standard errors (false alarm ~6e-7, seed fixed)
        assert abs(m) <= 5 * s / np.sqrt(n), (r, m, s)
        assert abs(s - 8) < 1.0  # sqrt(d) for independent N(0, I) vectors
    mean, sd = posenc.decay(rope, d, "gaussian", samples=n, seed=7, gaussian_k="correlated")
    th = thetas(64, 10000)
    for r, m, s in zip(d, mean, sd):
        want = 2 * float(b_sum(th, int(r)))  # Men et al. Theorem 1: E = 2 B_r for k = q + noise
        assert abs(m - want) <= 5 * s / np.sqrt(n), (r, m, want)
    a = posenc.decay(rope, np.arange(300), "gaussian", samples=50, threads=1)
    b = posenc.decay(rope, np.arange(300), "gaussian", samples=50, threads=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


# ------------------------------------------------------------------------------------------------
# the posenc tool's numbers, exactly
# ------------------------------------------------------------------------------------------------

@needs_cli
def test_decay_agrees_with_the_tool():
    cases = [
        (dict(head_dim=64, base=500000), B_DISTANCES, "b-sum", {}, ["--dim", 64, "--base", 500000]),
        (dict(head_dim=128), ROFORMER_DISTANCES, "roformer-bound", {}, ["--dim", 128]),
        (dict(head_dim=128, rope_type="yarn", factor=4, original_max_position_embeddings=4096),
         np.arange(0, 3000, 11), "roformer-bound", {},
         ["--dim", 128, "--variant", "yarn", "--factor", 4, "--original-max-position-embeddings", 4096]),
        (dict(head_dim=128, partial_rotary_factor=0.5), np.arange(0, 100), "gaussian",
         dict(samples=200, seed=3, gaussian_k="correlated", noise_std=0.5),
         ["--dim", 128, "--partial-rotary-factor", 0.5, "--samples", 200, "--seed", 3, "--gaussian-k", "correlated",
          "--noise-std", 0.5]),
    ]
    for params, d, quantity, kw, args in cases:
        got = posenc.decay(posenc.Rope(**params), d, quantity, **kw)
        header, rows = cli_rows("decay", "--quantity", quantity, "--distances", spec(d), *args)
        assert [int(row[0]) for row in rows] == d.tolist()
        if quantity == "gaussian":
            assert header == ["distance", "value", "std"]
            np.testing.assert_array_equal(got[0], [float(row[1]) for row in rows])
            np.testing.assert_array_equal(got[1], [float(row[2]) for row in rows])
        else:
            np.testing.assert_array_equal(got, [float(row[1]) for row in rows])


@needs_cli
def test_decay_50_digits_agrees_with_the_tool():
    d = np.array([0, 1, 10, 1000, 65536], dtype=np.int64)
    got = posenc.decay(posenc.Rope(head_dim=64), d, "roformer-bound", precision="50")
    _, rows = cli_rows("decay", "--quantity", "roformer-bound", "--dim", 64, "--distances", spec(d), "--precision", 50)
    with mpmath.workdps(80):
        want = [nearest(mpmath.mpf(row[1])) for row in rows]  # the tool prints every digit
    np.testing.assert_array_equal(got, want)


@needs_cli
@pytest.mark.parametrize("interleaved", [False, True])
def test_mrope_decay_agrees_with_the_tool(interleaved):
    section = [24, 20, 20] if interleaved else [16, 24, 24]
    mrope = posenc.Mrope(head_dim=128, base=1000000, mrope_section=section, mrope_interleaved=interleaved)
    d = np.arange(0, 700, 2)
    for axis in ("t", "h", "w", "hw", "thw"):
        got = posenc.decay(mrope, d, "b-sum", axis=axis)
        _, rows = cli_rows("decay", "--quantity", "b-sum", "--dim", 128, "--base", 1000000, "--mrope-section",
                           spec(section), "--mrope-interleaved", str(interleaved).lower(), "--axis", axis,
                           "--distances", spec(d))
        np.testing.assert_array_equal(got, [float(row[1]) for row in rows])


@needs_cli
def test_context_and_min_base_agree_with_the_tool():
    for dim, bases in ((64, [1000, 2000, 5000, 10000, 20000]), (128, [10000, 500000, 1000000])):
        got = posenc.context_length(head_dim=dim, bases=np.array(bases, dtype=np.int64))
        _, rows = cli_rows("context", "--dim", dim, "--bases", spec(bases))
        assert got.dtype == np.int64
        assert got.tolist() == [-1 if row[2] == "none" else int(row[2]) for row in rows]
    contexts = [64, 128, 256, 512, 1024]
    for convention in ("through-L", "through-L-minus-1"):
        got = posenc.min_base(contexts, head_dim=64, convention=convention)
        _, rows = cli_rows("min-base", "--dim", 64, "--context", spec(contexts), f"--{convention}")
        none = float("nan")
        np.testing.assert_array_equal(got.min_base, [none if r[1] == "none" else float(r[1]) for r in rows])
        assert got.first_negative_m.tolist() == [-1 if r[2] == "none" else int(r[2]) for r in rows]
        np.testing.assert_array_equal(got.next_inadmissible_base,
                                      [none if r[3] == "none" else float(r[3]) for r in rows])


# ------------------------------------------------------------------------------------------------
# context_length and min_base against a numpy scan
# ------------------------------------------------------------------------------------------------

def first_negative_scan(dim, base, limit):
    """The first m in [0, limit] with B_m < 0 for the exact theta_i = base^(-2i/dim), or -1: B in
    float64 by numpy (error below 1e-10 for m <= 2^16: 8 cosines of angles off by < m 2^-52), every
    m with |B| < 1e-9 decided by mpmath at 50 digits."""
    th = thetas(dim, base)
    m = np.arange(limit + 1, dtype=np.float64)
    b = np.cos(np.outer(m, np.array([nearest(t) for t in th]))).sum(axis=1)
    for k in np.nonzero(b < 1e-9)[0]:
        if b[k] < -1e-9:
            return int(k)
        with mpmath.workdps(50):
            if b_sum(th, int(k)) < 0:
                return int(k)
    return -1


def test_context_length_against_a_scan():
    bases = [10, 100, 1000, 10000, 500000]
    want = [first_negative_scan(16, b, 2**16) - 1 for b in bases]
    got = posenc.context_length(posenc.Rope(head_dim=16), bases=bases)
    print(f"context_length, head_dim 16, bases {bases}: {got.tolist()} (scan {want})")
    assert got.tolist() == want
    assert posenc.context_length(head_dim=16, base=1000) == want[2]
    # floats (their shortest repr) and decimal strings are the same bases
    assert posenc.context_length(head_dim=16, bases=[1e3, "1000", "1e3"]).tolist() == [want[2]] * 3
    # B >= 0 throughout [0, max_m]: -1
    assert first_negative_scan(16, 500000, 100) == -1
    assert posenc.context_length(head_dim=16, base=500000, max_m=100) == -1


def test_min_base_against_a_grid_scan():
    dim, contexts, lo, hi = 16, [8, 16, 32, 100], 2, 10**6
    grid = [k * 10**e for e in range(0, 7) for k in range(1, 10) if lo <= k * 10**e <= hi]  # one digit
    first = [first_negative_scan(dim, g, max(contexts)) for g in grid]
    for convention in ("through-L", "through-L-minus-1"):
        got = posenc.min_base(contexts, head_dim=dim, grid_digits=1, base_min=lo, base_max=hi, convention=convention)
        for c, ctx in enumerate(contexts):
            # admissible: B_m >= 0 for every m in [0, L] (or [0, L - 1])
            last = ctx if convention == "through-L" else ctx - 1
            ok = [f < 0 or f > last for f in first]
            g = ok.index(True)
            assert got.min_base[c] == grid[g]
            assert got.first_negative_m[c] == first[g]
            # evidence: the next larger grid base up to 10 min_base that fails (NaN: none)
            fails = [h for h in range(g + 1, len(grid)) if grid[h] <= 10 * grid[g] and not ok[h]]
            want_next = grid[fails[0]] if fails else None
            if want_next is None:
                assert np.isnan(got.next_inadmissible_base[c])
            else:
                assert got.next_inadmissible_base[c] == want_next


def test_min_base_none_in_range():
    got = posenc.min_base(100000, head_dim=16, base_min=10, base_max=20)
    assert np.isnan(got.min_base[0]) and got.first_negative_m[0] == -1 and np.isnan(got.next_inadmissible_base[0])


# ------------------------------------------------------------------------------------------------
# errors and interruption
# ------------------------------------------------------------------------------------------------

ROPE = posenc.Rope(head_dim=16)
D = np.arange(4)

BAD = [
    (lambda: posenc.decay(ROPE, D, "nope"), ValueError, "quantity"),
    (lambda: posenc.decay(ROPE, D, "sinusoidal-dot"), ValueError, "quantity"),
    (lambda: posenc.decay(ROPE, D, 3), TypeError, "quantity"),
    (lambda: posenc.decay(ROPE, D, precision="float256"), ValueError, "precision"),
    (lambda: posenc.decay(ROPE, D, precision="float"), ValueError, "precision"),
    (lambda: posenc.decay(ROPE, D, axis="t"), ValueError, "axis"),
    (lambda: posenc.decay(posenc.Mrope(head_dim=16, mrope_section=[2, 3, 3]), D, axis="x"), ValueError, "axis"),
    (lambda: posenc.decay(ROPE, [0, -1]), ValueError, "distances"),
    (lambda: posenc.decay(ROPE, [2**53 + 1]), ValueError, "distances"),
    (lambda: posenc.decay(ROPE, [2**70]), ValueError, "distances"),
    (lambda: posenc.decay(ROPE, np.array([1.5])), TypeError, "distances"),
    (lambda: posenc.decay(ROPE, np.zeros((2, 2), dtype=np.int64)), ValueError, "distances"),
    (lambda: posenc.decay(ROPE, np.broadcast_to(np.int64(1), (posenc.MAX_DISTANCES + 1,))), ValueError, "distances"),
    (lambda: posenc.decay(ROPE, D, "gaussian", samples=1), ValueError, "samples"),
    (lambda: posenc.decay(ROPE, D, "gaussian", seed=-1), ValueError, "seed"),
    (lambda: posenc.decay(ROPE, D, "gaussian", gaussian_k="x"), ValueError, "gaussian_k"),
    (lambda: posenc.decay(ROPE, D, "gaussian", gaussian_k="correlated", noise_std=-1), ValueError, "noise_std"),
    (lambda: posenc.decay(ROPE, D, threads=-1), ValueError, "threads"),
    (lambda: posenc.decay("rope", D), TypeError, "rope"),
    (lambda: posenc.context_length(ROPE, max_m=0), ValueError, "max_m"),
    (lambda: posenc.context_length(ROPE, bases=[0.5]), ValueError, "base"),
    (lambda: posenc.context_length(ROPE, bases=["ten"]), ValueError, "base"),
    (lambda: posenc.context_length(ROPE, bases=[[10]]), ValueError, "bases"),
    (lambda: posenc.context_length(ROPE, head_dim=8), TypeError, "context_length"),
    (lambda: posenc.context_length(head_dim=7), ValueError, "head_dim"),
    (lambda: posenc.min_base(0, head_dim=16), ValueError, "context"),
    (lambda: posenc.min_base([2**24 + 1], head_dim=16), ValueError, "context"),
    (lambda: posenc.min_base(100, head_dim=16, grid_digits=9), ValueError, "grid_digits"),
    (lambda: posenc.min_base(100, head_dim=16, base_min=1), ValueError, "base_min"),
    (lambda: posenc.min_base(100, head_dim=16, base_min=100, base_max=10), ValueError, "base_max"),
    (lambda: posenc.min_base(100, head_dim=16, convention="through-L+1"), ValueError, "convention"),
]


@pytest.mark.parametrize("call,error,name", BAD, ids=[f"{i}-{b[2]}" for i, b in enumerate(BAD)])
def test_bad_arguments(call, error, name):
    with pytest.raises(error, match=rf"\b{name}\b"):
        call()


def test_ctrl_c_stops_a_scan():
    """The scan runs without the GIL (a timer thread gets to send SIGINT) and stops on
    KeyboardInterrupt; B of base 10^30 stays positive far beyond m = 10^8 (a minute of scanning)."""
    script = textwrap.dedent("""
        import os, signal, threading, time, posenc
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        t = time.monotonic()
        try:
            posenc.context_length(head_dim=128, base=10**30, max_m=2**30, threads=1)
            print("finished")
        except KeyboardInterrupt:
            print(f"interrupted {time.monotonic() - t:.2f}")
    """)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    words = p.stdout.split()
    assert words[0] == "interrupted", p.stdout
    assert float(words[1]) < 5, p.stdout
