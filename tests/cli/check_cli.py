#!/usr/bin/python3
"""End-to-end checks of the posenc experiment runners (decay, context, min-base, precision) and of
scripts/plot, one check per ctest entry (tests/CMakeLists.txt: cli.<check>).

Expected values are independent of posenc:
- mpmath at 60 digits for the decay quantities (closed forms of RoFormer eq. 37, Men et al. eq. 9,
  Vaswani §3.5), computed here;
- tests/data/cli_tables.json (scripts/gen_cli_tables.py: numpy scan + mpmath signs) for context and
  min-base;
- a numpy float32 emulation of the fp32-product and fp32-recurrence pipelines (the formulas the
  precision runner documents), against mpmath, for the precision study.

Usage: check_cli.py --posenc BIN --root SRC --work DIR CHECK
"""
import argparse
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import mpmath
import numpy as np

from ulp_common import Failure, expect, expect_near_measured  # noqa: E402  (also sets mpmath.mp.dps = 60)

mpmath.mp.dps = 60


class Runner:
    def __init__(self, posenc, root, work):
        self.posenc, self.root, self.work = posenc, root, work

    def run(self, *args, rc=0):
        p = subprocess.run([self.posenc, *args], capture_output=True, text=True, timeout=300)
        expect(p.returncode == rc, f"posenc {' '.join(args)}: exit status {p.returncode}, expected {rc}\n"
                                   f"stderr: {p.stderr[-2000:]}")
        print(f"posenc {' '.join(args)}: exit status {rc} as expected")
        return p

    def csv(self, *args):
        out = self.run(*args).stdout
        meta = [line for line in out.splitlines() if line.startswith("#")]
        body = [line for line in out.splitlines() if line and not line.startswith("#")]
        header = body[0].split(",")
        rows = [r.split(",") for r in body[1:]]
        return meta, header, rows, out


def thetas(dim, base):
    b = mpmath.mpf(base)
    return [b ** (-mpmath.mpf(2 * i) / dim) for i in range(dim // 2)]


def rounded(values, bits):
    """Each value rounded to nearest with a `bits`-bit significand: the frequencies a runner at that
    precision uses (posenc computes theta_i correctly rounded to its number type)."""
    with mpmath.workprec(bits):
        return [+v for v in values]


def roformer_bound(th, r):
    s, total = mpmath.mpc(0), mpmath.mpf(0)
    for t in th:
        s += mpmath.expj(r * t)
        total += abs(s)
    return total / len(th)


def b_sum(th, r):
    return mpmath.fsum(mpmath.cos(r * t) for t in th)


def rel_err(got, want):
    want = mpmath.mpf(want)
    return abs(mpmath.mpf(got) - want) / abs(want)


# ---------------------------------------------------------------------------------------------------
# decay
# ---------------------------------------------------------------------------------------------------

def check_decay_roformer(r):
    th = thetas(128, 10000)
    # distances with varying steps (each computed from its exact angle) and a range (recurrence path),
    # against the curve of the frequencies rounded to the runner's type
    # measured: the largest relative errors when the checks were written (g++ Release)
    for prec, bits, tol, measured in (("double", 53, 1e-13, 5.317e-16), ("50", 168, 1e-45, 2.236e-51)):
        # double: 64 moduli of partial sums, each term within a few ulps, plus at most 255 steps of
        # the exact unit rotation (about 255 * 3 ulps): 1e-13 relative leaves a margin of ~3x.
        # 50 digits: the same count of ulps of 2^-167 is below 1e-46.
        _, header, rows, _ = r.csv("decay", "--quantity", "roformer-bound", "--dim", "128", "--distances",
                                   "0,1,2,10,100,256,1000,65536,1000000,0:300:7", "--precision", prec)
        expect(header == ["distance", "value"], f"header {header}")
        expect(len(rows) == 9 + 43, f"{len(rows)} rows")
        worst = 0
        th_t = rounded(th, bits)
        for d, v in rows:
            worst = max(worst, rel_err(v, roformer_bound(th_t, int(d))))
        print(f"roformer-bound at {prec}: max relative error {float(worst):.3e} (bound {tol})")
        expect(worst <= tol, f"roformer-bound {prec}: relative error {worst} > {tol}")
        expect_near_measured(worst, measured, f"roformer-bound {prec}: relative error")
    _, _, rows, _ = r.csv("decay", "--quantity", "roformer-bound", "--dim", "128", "--distances", "0")
    expect(rows[0][1] == "3.2500000000000000e+01", f"value at 0 is (d/2 + 1)/2 = 32.5 exactly, got {rows[0][1]}")


def check_decay_sums(r):
    th = thetas(64, 500000)
    for q in ("b-sum", "sinusoidal-dot"):
        _, _, rows, _ = r.csv("decay", "--quantity", q, "--dim", "64", "--base", "500000", "--distances",
                              "0:600:3,12345,-77", "--precision", "long-double")
        worst = 0
        th_t = rounded(th, 64)
        for d, v in rows:
            worst = max(worst, abs(mpmath.mpf(v) - b_sum(th_t, int(d))))
        # 32 cosines, each within ~255 * 3 ulps (long double, 2^-64) after the recurrence: 1e-15 absolute
        print(f"{q}: max absolute error {float(worst):.3e}")
        expect(worst <= 1e-15, f"{q}: absolute error {worst}")
        expect_near_measured(worst, 3.073e-18, f"{q}: absolute error")  # measured, both quantities
    # 2D axial, x_then_y: along x only the first half of the pairs turn (theta_k = base^(-4k/d))
    th2 = [mpmath.mpf(100) ** (-mpmath.mpf(4 * k) / 32) for k in range(8)] + [mpmath.mpf(0)] * 8
    _, _, rows, _ = r.csv("decay", "--quantity", "roformer-bound", "--encoding", "rope2d-axial", "--dim", "32",
                          "--base", "100", "--axis", "x", "--distances", "0:40:5")
    th2 = rounded(th2, 53)
    worst = max(rel_err(v, roformer_bound(th2, int(d))) for d, v in rows)
    print(f"2D axial along x: max relative error {float(worst):.3e}")
    expect(worst <= 1e-13, "2D axial roformer-bound")
    expect_near_measured(worst, 3.686e-16, "2D axial roformer-bound: relative error")
    # along y for y_then_x is the same as along x for x_then_y
    _, _, rows_y, _ = r.csv("decay", "--quantity", "roformer-bound", "--encoding", "rope2d-axial", "--dim", "32",
                            "--base", "100", "--axis", "y", "--axial-order", "y-then-x", "--distances", "0:40:5")
    expect(rows_y == rows, "axial y (y-then-x) equals axial x (x-then-y)")
    # RoPE-Mixed along the diagonal: w_t = theta_x[t] + theta_y[t] (rope-vit init at alpha)
    alpha = mpmath.mpf("0.3")
    m = [mpmath.mpf(10) ** (-mpmath.mpf(4 * k) / 16) for k in range(4)]
    tx = [mk * mpmath.cos(alpha) for mk in m] + [mk * mpmath.cos(mpmath.pi / 2 + alpha) for mk in m]
    ty = [mk * mpmath.sin(alpha) for mk in m] + [mk * mpmath.sin(mpmath.pi / 2 + alpha) for mk in m]
    w = [a + b for a, b in zip(tx, ty)]
    _, _, rows, _ = r.csv("decay", "--quantity", "b-sum", "--encoding", "rope2d-mixed", "--dim", "16", "--base",
                          "10", "--alpha", "0.3", "--axis", "diagonal", "--distances", "0:50:10,1000")
    worst = max(abs(mpmath.mpf(v) - b_sum(w, int(d))) for d, v in rows)
    # alpha is read as the double nearest 0.3: its error (2^-55) moves each angle by < 1e-13 at r = 1000
    print(f"2D mixed diagonal b-sum: max absolute error {float(worst):.3e}")
    expect(worst <= 1e-11, "2D mixed diagonal b-sum")
    expect_near_measured(worst, 2.506e-14, "2D mixed diagonal b-sum: absolute error")


def check_decay_mp(r):
    """--precision 50 and 100 (computed at 191 / 384 bits, rounded once to 168 / 334 bits): every printed
    value of roformer-bound and b-sum is the correctly rounded value of the quantity of the runner's own
    frequencies (read from `posenc freqs` at the same precision: their max_digits10 digits identify the
    binary values), by mpmath at 80 / 130 digits; sinusoidal-dot is checked against b-sum of the
    sinusoidal frequencies to the same tolerance. Distances: a run crossing the 256-row re-anchors
    (step 1), a run at step 3, and a list that is not a run."""
    spec = "0:600,5000:5900:3,77,-1234,1000000"
    for prec, bits, work_bits, dps in (("50", 168, 191, 80), ("100", 334, 384, 130)):
        with mpmath.workdps(dps):
            _, _, frows, _ = r.csv("freqs", "--dim", "128", "--base", "10000", "--precision", prec)
            th = rounded([mpmath.mpf(t) for _, t, _ in frows], bits)
            n = len(th)
            for q in ("roformer-bound", "b-sum"):
                meta, _, rows, _ = r.csv("decay", "--quantity", q, "--dim", "128", "--distances", spec, "--precision", prec)
                expect(f"# working_bits: {work_bits} " in "\n".join(meta) + " ", f"{q} {prec}: working_bits {work_bits} in the metadata")
                # decay.cpp's bound before the rounding, absolute, in units of 2^(1 - work_bits): V within
                # (N + 1)(117 + N), B within N (116 + N); mpmath's own error at dps digits is far below it
                bound = mpmath.ldexp((n + 1) * (117 + n) if q == "roformer-bound" else n * (116 + n), 1 - work_bits)
                exact_rows = skipped = 0
                for d, v in rows:
                    ref = roformer_bound(th, int(d)) if q == "roformer-bound" else b_sum(th, int(d))
                    got = rounded([mpmath.mpf(v)], bits)[0]
                    ulp = mpmath.ldexp(1, int(mpmath.floor(mpmath.log(abs(ref), 2))) + 1 - bits)
                    frac = abs(ref) / ulp - mpmath.floor(abs(ref) / ulp)
                    if abs(frac - mpmath.mpf(0.5)) * ulp <= bound:
                        skipped += 1  # within the bound of a rounding boundary: either neighbour is right
                        expect(abs(got - ref) <= ulp, f"{q} {prec} at {d}: {v} more than 1 ulp from {ref}")
                        continue
                    expect(got == rounded([ref], bits)[0], f"{q} {prec} at {d}: {v} is not the correctly rounded {ref}")
                    exact_rows += 1
                print(f"{q} at {prec} digits: {exact_rows} values correctly rounded, {skipped} near a midpoint")
                expect(exact_rows + skipped == len(rows) and exact_rows >= len(rows) - 2, f"{q} {prec}: rows")
            # sinusoidal-dot: the sinusoidal encoding's theta (posenc::sinusoidal, within 4 ulps of
            # base^(-2i/d) at this precision) need not be bit-identical to RoPE's inv_freq, so B of the exact
            # frequencies with 4-ulp moved angles: |dB| <= sum_i r 4 ulp(theta_i) <= 4 r 2^(1-bits) sum theta_i
            _, _, rows, _ = r.csv("decay", "--quantity", "sinusoidal-dot", "--dim", "128", "--distances", "0:300:7,1000000",
                                  "--precision", prec)
            exact = thetas(128, 10000)
            worst = max(abs(mpmath.mpf(v) - b_sum(exact, int(d))) / (4 * max(1, abs(int(d))) * mpmath.ldexp(sum(exact), 1 - bits) + bound)
                        for d, v in rows)
            print(f"sinusoidal-dot at {prec} digits: worst error {float(worst):.3f} of the bound")
            expect(worst <= 1, f"sinusoidal-dot {prec}: error {worst} of the bound")
            expect_near_measured(worst, {"50": 0.028, "100": 0.053}[prec], f"sinusoidal-dot {prec}: fraction of the bound")


def check_decay_gaussian(r):
    th = thetas(64, 10000)
    n = 4000
    _, header, rows, _ = r.csv("decay", "--quantity", "gaussian", "--dim", "64", "--distances", "0,5,50,500",
                               "--samples", str(n), "--seed", "7")
    expect(header == ["distance", "value", "std"], f"header {header}")
    for d, mean, sd in rows:
        # Barbero et al. Prop. 3.2: mean 0; 5 standard errors (false alarm about 6e-7, and the seed is fixed)
        expect(abs(float(mean)) <= 5 * float(sd) / math.sqrt(n), f"independent mean at {d}: {mean} (sd {sd})")
        expect(abs(float(sd) - 8) < 1.0, f"sd at {d} is sqrt(d) = 8 for independent N(0, I) vectors, got {sd}")
    _, _, rows, _ = r.csv("decay", "--quantity", "gaussian", "--gaussian-k", "correlated", "--dim", "64",
                          "--distances", "0,5,50,500", "--samples", str(n), "--seed", "7")
    for d, mean, sd in rows:
        want = 2 * float(b_sum(th, int(d)))  # Men et al. Theorem 1: E = tr(R_r) = 2 B_{r,theta}
        expect(abs(float(mean) - want) <= 5 * float(sd) / math.sqrt(n), f"correlated mean at {d}: {mean} vs {want}")
    # same seed, same numbers; the thread count does not matter
    a = r.csv("decay", "--quantity", "gaussian", "--dim", "64", "--distances", "0:20", "--samples", "50", "--threads", "1")
    b = r.csv("decay", "--quantity", "gaussian", "--dim", "64", "--distances", "0:20", "--samples", "50", "--threads", "2")
    expect(a[2] == b[2], "gaussian rows independent of --threads")


# ---------------------------------------------------------------------------------------------------
# context, min-base
# ---------------------------------------------------------------------------------------------------

def tables(r):
    return json.load(open(os.path.join(r.root, "tests", "data", "cli_tables.json")))


def check_context(r):
    t = tables(r)
    meta, header, rows, _ = r.csv("context", "--dim", "128", "--bases", "10000,500000,1000000")
    expect(header == ["base", "first_negative_m", "context_length"], f"header {header}")
    for base, fn, cl in rows:
        want = t["context"][str(int(float(base)))]
        expect(int(fn) == want and int(cl) == want - 1, f"context base {base}: {fn}, {cl}; expected {want}")
    expect(any("Men et al. 2024 eq. 10" in m for m in meta), "definition in the metadata")


def check_min_base(r):
    t = tables(r)
    for conv in ("through-L", "through-L-minus-1"):
        meta, header, rows, _ = r.csv("min-base", "--dim", "128", "--context", "256,512,1024,2048", "--grid-digits", "2",
                                      f"--{conv}")
        expect(header[:2] == ["context", "min_base"], f"header {header}")
        expect(any(line.startswith(f"# convention: {conv}") for line in meta), f"convention {conv} stated")
        for ctx, mb, fn, nb in rows:
            want = t["min_base"][conv][ctx]
            expect(float(mb) == want["min_base"], f"{conv} L={ctx}: min_base {mb}, expected {want['min_base']}")
            wf = want["first_negative_m"]
            expect(fn == ("none" if wf < 0 else str(wf)), f"{conv} L={ctx}: first_negative_m {fn}, expected {wf}")
            wn = want["next_inadmissible_base"]
            expect(nb == ("none" if wn is None else f"{float(wn):g}") or (wn is not None and float(nb) == wn),
                   f"{conv} L={ctx}: next_inadmissible_base {nb}, expected {wn}")


# ---------------------------------------------------------------------------------------------------
# precision
# ---------------------------------------------------------------------------------------------------

def f32(x):
    return np.float32(x)


def check_precision(r):
    d, base = 64, 10000
    th = thetas(d, base)
    positions = [0, 1, 15962, 65535, 1048576]
    _, header, rows, _ = r.csv("precision", "--dim", str(d), "--positions", ",".join(map(str, positions)), "--samples", "4")
    expect(header == ["position", "pipeline", "angle_max", "angle_mean", "cos_sin_max", "cos_sin_mean", "logit_max",
                      "logit_mean"], f"header {header}")
    got = {(int(row[0]), row[1]): row for row in rows}
    expect(len(got) == 5 * len(positions), f"{len(got)} rows")
    # independent float32 emulation of the documented pipelines
    bf = f32(base)
    inv = np.array([f32(1.0) / f32(math.pow(float(bf), float(f32(2 * i) / f32(d)))) for i in range(d // 2)], dtype=np.float32)
    scale = f32(math.pow(float(bf), float(f32(-2.0) / f32(d))))
    for m in positions:
        prod = (f32(m) * inv).astype(np.float32)
        rec, t = [], f32(m)
        for _ in range(d // 2):
            rec.append(t)
            t = f32(t * scale)
        for name, angles in (("fp32-product", prod), ("fp32-recurrence", rec)):
            want = max(abs(mpmath.mpf(float(a)) - m * th[i]) for i, a in enumerate(angles))
            have = mpmath.mpf(got[(m, name)][2])
            # the runner prints the double nearest its error: 1e-15 relative
            expect(abs(have - want) <= 1e-14 * max(want, 1e-300) + 1e-300,
                   f"{name} at {m}: angle_max {have}, emulation {want}")
        # posenc's float path: cos/sin correctly rounded to float: at most half an ulp of float at 1
        cs = float(got[(m, "posenc")][4])
        expect(cs <= 2.0 ** -25 * 1.0000001, f"posenc cos_sin_max at {m}: {cs} > 2^-25")
    expect(got[(1048576, "fp16")][2] == "inf", "fp16 position 2^20 overflows: reported as inf")
    print("precision: fp32 pipelines match the float32 emulation; posenc within half an ulp of float")


# ---------------------------------------------------------------------------------------------------
# validate, bench
# ---------------------------------------------------------------------------------------------------

VALIDATE_BOUNDS = {"table-build": 1.0, "sinusoidal-table": 1.0, "apply-table": 2.0, "apply-fused": 2.0, "apply-2d": 2.0,
                   "apply-mrope": 2.0}
# the largest max_err_ulp measured per kernel (g++ Release, --samples 100000): the bounds above are
# what validate promises; these hold a doubled error to fail
VALIDATE_MEASURED = {"table-build": 0.3512, "sinusoidal-table": 0.3512, "apply-table": 1.305, "apply-fused": 0.7052,
                     "apply-2d": 0.7015, "apply-mrope": 0.7059}
# apply-mrope's default geometries (PAIR_LAYOUT/SECTION_MAP/GEOMETRY): the four real M-RoPE models
MROPE_DEFAULT_ROWS = {("apply-mrope", "half-split/sectioned/qwen2.5-vl-7b"), ("apply-mrope", "half-split/interleaved/qwen3-vl-4b"),
                      ("apply-mrope", "interleaved/sectioned/glm-4.1v-9b"), ("apply-mrope", "half-split/interleaved/qwen3.5-27b")}


def check_validate(r):
    args = ["validate", "--samples", "100000", "--quiet"]
    _, header, rows, _ = r.csv(*args)
    expect(header == ["kernel", "layout", "position_bucket", "samples", "max_err_ulp", "mean_err_ulp"], f"header {header}")
    seen = {}
    for kernel, layout, bucket, samples, mx, mean in rows:
        seen.setdefault((kernel, layout), {})[bucket] = (int(samples), float(mx), float(mean))
    want = {("table-build", "none"), ("sinusoidal-table", "interleaved"), ("apply-2d", "interleaved")}
    for k in ("apply-table", "apply-fused", "fp32-product", "fp32-recurrence"):
        want |= {(k, "interleaved"), (k, "half-split")}
    want |= MROPE_DEFAULT_ROWS
    expect(set(seen) == want, f"rows for {sorted(seen)}, expected {sorted(want)}")
    total = {}
    for (kernel, layout), buckets in seen.items():
        expect("2^23..2^24" in buckets, f"{kernel} {layout}: no samples at 2^23..2^24")
        for bucket, (n, mx, mean) in buckets.items():
            expect(n > 0 and 0 <= mean <= mx, f"{kernel} {layout} {bucket}: samples {n}, max {mx}, mean {mean}")
            if kernel in VALIDATE_BOUNDS:
                expect(mx <= VALIDATE_BOUNDS[kernel], f"{kernel} {layout} {bucket}: {mx} ulp > {VALIDATE_BOUNDS[kernel]}")
                expect_near_measured(mx, VALIDATE_MEASURED[kernel], f"{kernel} {layout} {bucket}: max_err_ulp")
        total[(kernel, layout)] = sum(n for n, _, _ in buckets.values())
    for k in ("apply-table", "apply-fused"):
        for layout in ("interleaved", "half-split"):
            expect(total[(k, layout)] >= 100000, f"{k} {layout}: {total[(k, layout)]} pairs < --samples")
    for key in MROPE_DEFAULT_ROWS:
        expect(total[key] >= 100000, f"{key[0]} {key[1]}: {total[key]} pairs < --samples")
        expect(seen[key]["0"][1] == 0, f"{key[1]}: (t, h, w) = 0 is not exact")
    # the metric sees a bad pipeline: float32 angles at 2^23..2^24 are off by far more than 2 ulps
    expect(seen[("fp32-product", "half-split")]["2^23..2^24"][1] > 1000, "fp32-product at 2^24 should be far off")
    # m = 0 is the identity: exact
    expect(seen[("apply-fused", "interleaved")]["0"][1] == 0, "position 0 is not exact")
    # the same CSV rows for 1 and 2 threads
    small = ["validate", "--samples", "20000", "--quiet"]
    one = body(r.run(*small, "--threads", "1").stdout)
    two = body(r.run(*small, "--threads", "2").stdout)
    expect(one == two, "validate rows depend on --threads")
    # a config's M-RoPE (GLM-4.1V: interleaved pairs, partial rotary) replaces the default geometries, in both layouts
    config = os.path.join(r.root, "tests", "data", "configs", "glm-4.1v-9b-thinking.json")
    meta, _, rows, _ = r.csv("validate", "--config", config, "--kernels", "apply-mrope", "--samples", "20000", "--quiet")
    labels = {(row[0], row[1]) for row in rows}
    expect(labels == {("apply-mrope", "interleaved/sectioned/glm-4.1v-9b-thinking"),
                      ("apply-mrope", "half-split/sectioned/glm-4.1v-9b-thinking")}, f"config rows {sorted(labels)}")
    expect(any("rotary_dim 64" in m and "[8, 12, 12] sectioned" in m for m in meta), "config geometry not in the metadata")
    for row in rows:
        expect(float(row[4]) <= VALIDATE_BOUNDS["apply-mrope"], f"{row[1]} {row[2]}: {row[4]} ulp > 2")
        expect_near_measured(float(row[4]), VALIDATE_MEASURED["apply-mrope"], f"{row[1]} {row[2]}: max_err_ulp")
    print("validate: every kernel within its bound in every bucket, rows independent of --threads; a config's M-RoPE")


def check_bench_format(r):
    # the CSV's shape only: timings are reported, never checked
    _, header, rows, _ = r.csv("bench", "--shapes", "64x2x64", "--threads", "1", "--runs", "20", "--warmup", "1", "--quiet")
    expect(header == ["kernel", "layout", "shape", "threads", "gbps", "memcpy_gbps", "ratio", "ratio_min", "mentries_per_s"],
           f"header {header}")
    names = [(row[0], row[1]) for row in rows]
    expect(names == [("table-build", "none"), ("apply-table", "interleaved"), ("apply-table", "half-split"),
                     ("apply-fused", "interleaved"), ("apply-fused", "half-split"), ("apply-mrope", "interleaved"),
                     ("apply-mrope", "half-split"), ("apply-2d", "interleaved"), ("sinusoidal-table", "interleaved")],
           f"rows {names}")
    for row in rows:
        expect(row[2] == "64x2x64" and row[3] == "1", f"shape/threads {row[2:4]}")
        for v in row[4:8]:
            expect(math.isfinite(float(v)) and float(v) > 0, f"{row[0]}: {v}")
    print("bench: one row per kernel and layout, every figure finite and positive")


# ---------------------------------------------------------------------------------------------------
# sharding, interruption, arguments, metadata, plot
# ---------------------------------------------------------------------------------------------------

def body(text):
    return [line for line in text.splitlines(keepends=True) if not line.startswith("#")][1:]


def check_shards(r):
    """Determinism: every subcommand that splits its work (--threads, --shard) gives the same rows for
    1, 2 and 3 threads, and its shards concatenate to the unsharded rows (validate has no --shard:
    threads only; the others do not split their work)."""
    cases = [
        ["decay", "--quantity", "roformer-bound", "--dim", "32", "--distances", "0:1000,5000:6000:7,log:1:100000:50"],
        ["decay", "--quantity", "roformer-bound", "--dim", "32", "--distances", "0:300,1000:1100:3", "--precision", "50"],
        ["decay", "--quantity", "b-sum", "--dim", "64", "--distances", "0:2000,log:1:1000000:40", "--variant", "yarn",
         "--factor", "4", "--original-max-position-embeddings", "4096"],
        ["decay", "--quantity", "sinusoidal-dot", "--dim", "64", "--distances", "0:700"],
        ["decay", "--quantity", "gaussian", "--dim", "16", "--distances", "0:300", "--samples", "20"],
        ["decay", "--quantity", "b-sum", "--dim", "64", "--distances", "0:500", "--encoding", "rope2d-axial", "--axis", "diagonal"],
        ["context", "--dim", "64", "--bases", "1000,2000,5000,10000,20000"],
        ["min-base", "--dim", "64", "--context", "64,128,256,512,1024"],
        ["precision", "--dim", "32", "--positions", "log:1:100000:11"],
    ]
    for args in cases:
        whole = body(r.run(*args, "--threads", "1").stdout)
        expect(len(whole) > 1, f"{' '.join(args)}: no rows")
        for t in ("2", "3"):
            expect(body(r.run(*args, "--threads", t).stdout) == whole, f"{' '.join(args)}: {t} threads change the rows")
        for n in (2, 3, 7):
            parts = []
            for i in range(n):
                parts += body(r.run(*args, "--shard", f"{i}/{n}", "--threads", "2").stdout)
            expect(parts == whole, f"{' '.join(args)}: {n} shards do not concatenate to the unsharded rows")
    small = ["validate", "--samples", "3000", "--kernels", "table-build,apply-fused,apply-mrope"]
    one = body(r.run(*small, "--threads", "1").stdout)
    for t in ("2", "3"):
        expect(body(r.run(*small, "--threads", t).stdout) == one, f"validate: {t} threads change the rows")
    print(f"{len(cases)} runs: the same rows for 1, 2 and 3 threads, shards (2, 3, 7) concatenate to them; validate: "
          "the same rows for 1, 2 and 3 threads")


def check_interrupt(r):
    out = os.path.join(r.work, "long.csv")
    p = subprocess.Popen([r.posenc, "decay", "--quantity", "roformer-bound", "--distances", "0:200000", "--precision",
                          "100", "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    expect(p.poll() is None, "the long run finished before it could be interrupted")
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    expect(p.returncode == 130, f"interrupted run: exit status {p.returncode}, expected 130")
    expect(os.listdir(r.work) == [], f"interrupted run left files: {os.listdir(r.work)}")
    expect(b"interrupted" in err, f"message: {err!r}")
    print("SIGINT: exit 130, no file, no temporary file")


def check_crash_safe(r):
    """Killed with SIGKILL mid-run, --out is the old file or absent, never partial; a file-size limit
    (ulimit -f: the full-disk case) gives exit 1, a message naming --out, no file and no temporary
    file; a reader closing standard output early ends the run at once (SIGPIPE), silently."""
    long_run = ["decay", "--quantity", "roformer-bound", "--distances", "0:3000000", "--precision", "100", "--threads", "1"]

    def temporaries():
        return sorted(f for f in os.listdir(r.work) if ".tmp-" in f)

    def prepare(name, existing):
        """The --out path, holding "old contents" or absent."""
        out = os.path.join(r.work, name)
        if existing:
            with open(out, "w") as f:
                f.write("old contents\n")
        elif os.path.exists(out):
            os.remove(out)
        return out

    def untouched(out, existing, what):
        if existing:
            with open(out) as f:
                expect(f.read() == "old contents\n", f"{what} changed the existing --out file")
        else:
            expect(not os.path.exists(out), f"{what} left a (partial) --out file")

    # SIGKILL: an existing file is kept bit for bit; a new one never appears
    for existing in (True, False):
        out = prepare("kept.csv", existing)
        p = subprocess.Popen([r.posenc, *long_run, "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        expect(p.poll() is None, "the long run finished before it could be killed")
        expect(temporaries() != [], "no temporary file while the run writes (is --out written in place?)")
        p.kill()
        p.communicate(timeout=60)
        expect(p.returncode == -signal.SIGKILL, f"killed run: status {p.returncode}")
        untouched(out, existing, "SIGKILL mid-run")
        for t in temporaries():  # what SIGKILL leaves: posenc's own temporary, never the target
            os.remove(os.path.join(r.work, t))

    # a file-size limit of 64 KiB (the decay CSV below is about 3 MB): exit 1, nothing left
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))

    for existing in (True, False):
        out = prepare("full.csv", existing)
        p = subprocess.run([r.posenc, "decay", "--quantity", "roformer-bound", "--distances", "0:100000", "--out", out],
                           capture_output=True, text=True, preexec_fn=limit, timeout=120)
        expect(p.returncode == 1, f"file-size limit: exit status {p.returncode}, expected 1 ({p.stderr.strip()})")
        expect("--out" in p.stderr and "File too large" in p.stderr, f"file-size limit: message {p.stderr.strip()!r}")
        expect(temporaries() == [], f"file-size limit left {temporaries()}")
        untouched(out, existing, "a failed write")

    # closed pipe: the reader takes one line and goes; the run must end promptly and silently
    t0 = time.monotonic()
    p = subprocess.Popen([r.posenc, "decay", "--quantity", "roformer-bound", "--distances", "0:20000000", "--threads", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    p.wait(timeout=60)
    elapsed = time.monotonic() - t0
    expect(first.startswith(b"#"), f"first line {first!r}")
    expect(p.returncode == -signal.SIGPIPE, f"closed pipe: status {p.returncode}, expected SIGPIPE")
    expect(err == b"", f"closed pipe: stderr {err!r}")
    expect(elapsed < 30, f"closed pipe: the run went on for {elapsed:.1f} s")
    print("SIGKILL: old file kept / no file; file-size limit: exit 1, no file, no temporary; closed pipe: SIGPIPE, "
          f"silent, {elapsed:.2f} s")


def check_bad_args(r):
    bad = [
        (["decay", "--quantity", "nope", "--distances", "0:1"], "--quantity"),
        (["decay", "--quantity", "b-sum", "--distances", "5:1"], "--distances"),
        (["decay", "--quantity", "b-sum", "--distances", "0:10:0"], "--distances"),
        (["decay", "--quantity", "b-sum", "--distances", "log:0:10:5"], "--distances"),
        (["decay", "--quantity", "b-sum", "--distances", "1,,2"], "--distances"),
        (["decay", "--quantity", "b-sum", "--distances", "x"], "--distances"),
        (["decay", "--quantity", "b-sum", "--distances", "16777217", "--precision", "float"], "--distances"),
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--precision", "float256"], "--precision"),
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--dim", "7"], "--dim"),
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--base", "1"], "--base"),
        # an exponent of 10^9 or more (Boost's cpp_bin_float parser would overflow reading it: fuzz_cli)
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--base", "1e+3456789789012340968", "--precision", "50"], "--base"),
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--base", "1e-3456789789012340968", "--precision", "100"], "--base"),
        (["bench", "--shapes", "1x2x3x4"], "--shapes"),
        (["bench", "--shapes", "100000000x1000x128"], "--shapes"),
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--shard", "3/3"], "--shard"),
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--shard", "a/b"], "--shard"),
        (["decay", "--quantity", "gaussian", "--distances", "0:1", "--samples", "1"], "--samples"),
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--axis", "y"], "--axis"),
        (["decay", "--quantity", "sinusoidal-dot", "--distances", "0:1", "--variant", "yarn"], "--variant"),
        (["decay", "--quantity", "b-sum", "--distances", "0:1", "--threads", "-1"], "--threads"),
        (["decay", "--quantity", "b-sum"], "--distances"),
        (["context", "--dim", "128", "--bases", "0.5"], "--base"),
        (["min-base", "--context", "0"], "--context"),
        (["min-base", "--context", "100", "--grid-digits", "9"], "--grid-digits"),
        # 7: the first one out of [1, 6]; with a narrow base range, so that the grid-size bound (which
        # also names --grid-digits) cannot be what refuses it
        (["min-base", "--context", "100", "--grid-digits", "7", "--base-min", "1000", "--base-max", "2000"],
         "--grid-digits: an integer in [1, 6]"),
        (["min-base", "--context", "100", "--grid-digits", "0"], "--grid-digits"),
        (["min-base", "--context", "100", "--through-L", "--through-L-minus-1"], "--through-L"),
        (["min-base", "--context", "100", "--base-min", "1"], "--base-min"),
        (["precision", "--positions", "0:10", "--pipelines", "fp8"], "--pipelines"),
        (["precision", "--positions", "0:10", "--pipelines", "fp32-recurrence", "--variant", "yarn", "--factor", "4",
          "--original-max-position-embeddings", "4096"], "--pipelines"),
        (["precision", "--positions", "-1"], "--positions"),
        (["validate", "--samples", "0"], "--samples"),
        (["validate", "--kernels", "apply-magic"], "--kernels"),
        (["validate", "--heads", "0"], "--heads"),
        (["validate", "--dim", "7"], "--dim"),
        (["validate", "--mrope-section", "16,24,23"], "--mrope-section"),
        (["validate", "--mrope-section", "16,24,23", "--kernels", "apply-fused"], "--mrope-section"),
        (["bench", "--shapes", "64x2"], "--shapes"),
        (["bench", "--shapes", "64x2x63"], "--shapes"),
        (["bench", "--runs", "5"], "--runs"),
        (["bench", "--threads", "0"], "--threads"),
        (["bench", "--kernels", "memcpy"], "--kernels"),
        (["bench", "--shapes", "64x2x64", "--mrope-section", "16,24,24"], "--mrope-section"),
    ]
    for args, name in bad:
        p = r.run(*args, rc=2)
        expect(name in p.stderr, f"posenc {' '.join(args)}: message does not name {name}: {p.stderr!r}")
        expect(p.stdout == "", f"posenc {' '.join(args)}: wrote to stdout on error")
    for sub in ("decay", "context", "min-base", "precision"):
        p = r.run(sub, "--help")
        expect("--out" in p.stdout and "--shard" in p.stdout, f"{sub} --help lists --out and --shard")
    for sub in ("validate", "bench"):
        p = r.run(sub, "--help")
        expect("--out" in p.stdout and "--threads" in p.stdout, f"{sub} --help lists --out and --threads")


def check_oversized(r):
    """Sizes that no machine can hold, or that the tool bounds, are refused before anything is
    allocated or looped over: exit 2 naming the option, under a CPU-time limit of 5 s (SIGXCPU
    would end a run that started the work; the measured wall times are printed). The memory
    refusals give the estimate and compare it with the machine's memory (MemTotal, or the cgroup
    limit)."""
    giant = [
        # the example: --dim is bounded
        (["decay", "--quantity", "roformer-bound", "--dim", "1000000000", "--distances", "0:1"], "--dim", None),
        # Gaussian draws: 10^8 samples x 32768 pairs x 2 doubles = 48.8 TiB
        (["decay", "--quantity", "gaussian", "--samples", "100000000", "--dim", "65536", "--distances", "0:1"],
         "--samples, --dim", "Gaussian draws"),
        # the same at 100 digits: drawn at cpp_bin_float_100, widened to the working type
        (["decay", "--quantity", "gaussian", "--samples", "100000000", "--dim", "8192", "--precision", "100",
          "--distances", "0:1"], "--samples, --dim", "draws widened"),
        # one phase block (256 distances x pairs, at 384 bits) per worker, 1024 workers
        (["decay", "--quantity", "b-sum", "--dim", "65536", "--threads", "1024", "--precision", "100",
          "--distances", "0:1"], "--dim, --threads", "phase blocks"),
        # precision: q and k of 10^6 samples x 65536 floats each
        (["precision", "--positions", "0:1", "--samples", "1000000", "--dim", "65536"], "--samples, --dim", "q and k"),
        # precision: 4 x 2^24 rows of text (positions may repeat), kept until the end
        (["precision", "--positions", ",".join(["0:16777215"] * 4), "--dim", "8", "--samples", "1"],
         "--positions, --pipelines", "row text"),
        # min-base: a grid of 3.6e7 bases is refused before it is built
        (["min-base", "--context", "100", "--grid-digits", "6", "--base-min", "1.5", "--base-max", "1e40"],
         "--grid-digits, --base-min, --base-max", "bases, more than 1e+07"),
    ]

    def limit_cpu():
        resource.setrlimit(resource.RLIMIT_CPU, (5, 5))

    for args, name, what in giant:
        t0 = time.monotonic()
        p = subprocess.run([r.posenc, *args], capture_output=True, text=True, timeout=60, preexec_fn=limit_cpu)
        wall = time.monotonic() - t0
        cmd = "posenc " + " ".join(args)
        expect(p.returncode == 2, f"{cmd}: exit status {p.returncode}, expected 2 (refused up front)\nstderr: {p.stderr[-2000:]}")
        expect(p.stderr.startswith(f"posenc {args[0]}: {name}:"), f"{cmd}: the message does not start with {name}: {p.stderr!r}")
        if what is not None:
            expect(what in p.stderr, f"{cmd}: the message does not name {what!r}: {p.stderr!r}")
            if "bases" not in what:
                expect("estimated" in p.stderr and "this machine has" in p.stderr, f"{cmd}: no estimate: {p.stderr!r}")
        expect(p.stdout == "", f"{cmd}: wrote to stdout")
        print(f"{cmd}: exit 2 in {wall:.3f} s: {p.stderr.strip()[:300]}")


def check_metadata(r):
    meta, _, _, _ = r.csv("decay", "--quantity", "roformer-bound", "--distances", "0:2")
    keys = {m[1:].split(":", 1)[0].strip() for m in meta if ":" in m}
    for k in ("command", "posenc_version", "quantity", "dim", "base", "variant", "layout", "factor", "precision",
              "significand_bits", "distances", "shard", "seed", "samples", "axis"):
        expect(k in keys, f"metadata line '{k}' missing (defaults must be explicit)")
    out = os.path.join(r.work, "d.csv")
    r.run("decay", "--quantity", "b-sum", "--distances", "0:2", "--out", out)
    expect(sorted(os.listdir(r.work)) == ["d.csv"], f"files: {os.listdir(r.work)}")
    r.run("decay", "--quantity", "b-sum", "--distances", "0:2", "--out", os.path.join(r.work, "missing", "d.csv"), rc=1)


def check_plot(r):
    plot = os.path.join(r.root, "scripts", "plot")
    csvs = []
    for i, args in enumerate([["decay", "--quantity", "roformer-bound", "--distances", "0:64"],
                              ["min-base", "--dim", "64", "--context", "64,128"],
                              ["precision", "--dim", "32", "--positions", "1,10,100"]]):
        path = os.path.join(r.work, f"{i}.csv")
        r.run(*args, "--out", path)
        csvs.append(path)
    for path in csvs:
        p = subprocess.run([sys.executable, plot, path], capture_output=True, text=True, timeout=120)
        expect(p.returncode == 0, f"scripts/plot {path}: {p.stderr}")
        png = path[:-4] + ".png"
        expect(open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG")
    bad = os.path.join(r.work, "bad.csv")
    open(bad, "w").write("a,b\n1,2\n")
    p = subprocess.run([sys.executable, plot, bad], capture_output=True, text=True, timeout=120)
    expect(p.returncode != 0 and "not a posenc CSV" in p.stderr, "scripts/plot rejects a foreign CSV")
    print("scripts/plot: PNGs written, foreign CSV rejected")


CHECKS = {name[len("check_"):]: f for name, f in globals().items() if name.startswith("check_")}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--posenc", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("check", choices=sorted(CHECKS))
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    try:
        CHECKS[a.check](Runner(a.posenc, a.root, a.work))
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    print(f"cli.{a.check}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
