#!/usr/bin/python3
"""Generates tests/data/decay_tables.ipp: reference values for tests/test_decay.cpp.

Regenerate (from the repository root, with Debian's interpreter, which has python3-mpmath and numpy):
    /usr/bin/python3 scripts/gen_decay_tables.py tests/data/decay_tables.ipp

Everything is computed with the exact frequencies (mpmath, mp.dps = 140 from table_common, values
written with 120 significant digits), never with frequencies rounded to a machine type:
  - RoFormer (Su et al. 2021, arXiv 2104.09864) §3.4.3, eqs. 35-37 and Figure 2: with N pairs,
    S_j = sum_{i<j} e^{i r theta_i} (j = 1 .. N), the "relative upper bound" V(r) = (1/N) sum_j |S_j|.
    Two frequency sets: the RoFormer setting (head_dim 128, base 10000, theta_i = base^(-2i/128)),
    and Llama 3.1's scaled frequencies (base 500000, factor 8, low/high_freq_factor 1/4, original
    context 8192), taken from scripts/gen_rope_tables.py (the independent implementation of HF's
    modeling_rope_utils.py that tests/test_rope.cpp uses).
    Alongside V, two quantities the test needs for its rounding-error bound (see test_decay.cpp):
      phi(r) = (|r|/N) sum_j sum_{i<j} theta_i       (how far the phases move when each theta_i
                                                      moves by a relative epsilon)
      mass(r) = (1/N) sum_j sum_{k<=j} |S_k|           (the partial sums the running additions see)
  - Men et al. 2024 ("Base of RoPE Bounds Context Length", arXiv 2405.14591) eq. 9-10:
    B_m = sum_i cos(m theta_i) at several m, with q(m) = sum_k |sum_{i<k} cos(m theta_i)| (the
    partial sums of its running addition) for the error bound; and the first integer m >= 0 with
    B_m < 0 for theta (base 10000, head_dim 128, 8 and 4) and for 4 theta (a linear scaling applied
    the wrong way round: theta * factor instead of theta / factor). The scan locates candidates in
    double precision (numpy) and every reported value is recomputed exactly; B at the last
    non-negative m and the minimum of B over [0, m*) (the margins a type's rounding error must stay
    below) are written too.
"""
import sys

import numpy as np
from mpmath import mp, mpf, cos, sin, sqrt, fsum

from table_common import DIGITS, s, write_table
import gen_rope_tables

REGEN = "/usr/bin/python3 scripts/gen_decay_tables.py tests/data/decay_tables.ipp"

# (name, gen_rope_tables config): the frequency sets of the Figure 2 curve.
CURVE_CONFIGS = [
    ("roformer_d128_b1e4", dict(name="roformer", variant="standard", head_dim=128, base=10000)),
    ("llama3_d128_b5e5_f8", dict(name="llama3", variant="llama3", head_dim=128, base=500000, factor=8,
                                 low_freq_factor=1, high_freq_factor=4,
                                 original_max_position_embeddings=8192)),
]
CURVE_DISTANCES = [0, 1, 2, 3, 5, 10, 20, 50, 100, 128, 200, 256, 1000, 4096, 100000]

B_DISTANCES = [0, 1, 10, 100, 1000, 4096, 100000]  # plus m* - 1 and m* of theta, found below
# (head_dim, label, scale) at base 10000; head_dims 8 and 4 keep the scans short.
FIRST_NEGATIVE = [(128, "theta", mpf(1)), (128, "theta_times_4", mpf(4)), (8, "theta", mpf(1)),
                  (8, "theta_times_4", mpf(4)), (4, "theta", mpf(1)), (4, "theta_times_4", mpf(4))]
SCAN_LIMIT = 20000


def curve(theta, r):
    """V(r), phi(r), mass(r) as defined in the module comment."""
    n = len(theta)
    acc_re, acc_im = mpf(0), mpf(0)
    mods = []
    theta_prefix = mpf(0)
    phi = mpf(0)
    for t in theta:
        acc_re += cos(r * t)
        acc_im += sin(r * t)
        mods.append(sqrt(acc_re ** 2 + acc_im ** 2))
        theta_prefix += t
        phi += theta_prefix  # sum_{i<j} theta_i for j = index + 1
    value = fsum(mods) / n
    mass = mpf(0)
    running = mpf(0)
    for m in mods:
        running += m
        mass += running
    return value, abs(mpf(r)) * phi / n, mass / n


def b_sum(theta, m):
    """B_m and q(m) = sum_k |partial sum through k terms|."""
    total = mpf(0)
    q = mpf(0)
    for t in theta:
        total += cos(m * t)
        q += abs(total)
    return total, q


def first_negative(theta, limit):
    """(m*, B_{m*}, B_{m*-1}, argmin and min of B over [0, m*)) with exact values."""
    th = np.array([float(t) for t in theta])
    lo = None
    for start in range(0, limit + 1, 4096):
        mm = np.arange(start, min(limit + 1, start + 4096))
        b = np.cos(np.outer(mm, th)).sum(axis=1)
        # candidates: everything within 1e-9 of a sign change, rechecked exactly below
        idx = np.where(b < 1e-9)[0]
        for i in idx:
            m = int(mm[i])
            if b_sum(theta, m)[0] < 0:
                lo = m
                break
        if lo is not None:
            break
    if lo is None:
        raise RuntimeError("no negative B below the scan limit")
    mm = np.arange(0, lo)
    b = np.cos(np.outer(mm, th)).sum(axis=1)
    arg = int(np.argmin(b))
    # double-precision argmin: recheck its neighbourhood of near-ties exactly
    near = [int(m) for m in np.where(b <= b[arg] + 1e-9)[0]]
    exact_min = min((b_sum(theta, m)[0], m) for m in near)
    return lo, b_sum(theta, lo)[0], b_sum(theta, lo - 1)[0], exact_min[1], exact_min[0]


def lit(x):
    return '"' + s(x) + '"'


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    lines = []
    w = lines.append
    w("// tests/data/decay_tables.ipp: reference values of the RoFormer decay curve and of Men et al.'s B")
    w("// (generated; do not edit).")
    w(f"// Regenerate: {REGEN}")
    w("//")
    w(f"// Exact values from mpmath at {mp.dps} significant digits, written with {DIGITS} digits (see")
    w("// scripts/gen_decay_tables.py for the definitions). Included by tests/test_decay.cpp, which")
    w("// defines decay_config, curve_case, b_case and first_negative_case.")
    w("")
    w("inline const std::vector<decay_config> decay_configs = {")
    configs = []
    for name, cfg in CURVE_CONFIGS:
        theta, _, _ = gen_rope_tables.frequencies(cfg)
        configs.append((name, cfg, theta))
        g = cfg.get
        w("    {")
        w(f'        .name = "{name}",')
        w(f'        .variant = posenc::rope_variant::{cfg["variant"]},')
        w(f'        .head_dim = {cfg["head_dim"]},')
        w(f'        .base = "{s(cfg["base"])}",')
        w(f'        .factor = "{s(g("factor", 1))}",')
        w(f'        .original_max_position_embeddings = {g("original_max_position_embeddings", 0)},')
        w(f'        .low_freq_factor = "{s(g("low_freq_factor", 1))}",')
        w(f'        .high_freq_factor = "{s(g("high_freq_factor", 4))}",')
        w(f'        .theta_sum = {lit(fsum(theta))},')
        w("    },")
    w("};")
    w("")
    w("// RoFormer Figure 2: V(r) = (1/N) sum_j |S_j|, with phi(r) and mass(r) for the error bound.")
    w("inline const std::vector<curve_case> curve_cases = {")
    for k, (name, cfg, theta) in enumerate(configs):
        for r in CURVE_DISTANCES:
            value, phi, mass = curve(theta, mpf(r))
            w(f"    {{{k}, {r}LL, {lit(value)},")
            w(f"     {lit(phi)},")
            w(f"     {lit(mass)}}},  // {name}")
    w("};")
    w("")
    theta = configs[0][2]
    scans = []
    for hd, label, scale in FIRST_NEGATIVE:
        th = [t * scale for t in gen_rope_tables.default_inv(mpf(10000), hd)]
        scans.append((hd, label, scale, fsum(th), first_negative(th, SCAN_LIMIT)))
    m_star = scans[0][4][0]
    w("// Men et al. eq. 9 for the RoFormer setting (config 0): B_m = sum_i cos(m theta_i), and q(m); m* - 1")
    w("// and m* straddle the first negative B.")
    w("inline const std::vector<b_case> b_cases = {")
    for m in sorted(B_DISTANCES + [m_star - 1, m_star]):
        b, q = b_sum(theta, mpf(m))
        w(f"    {{{m}LL, {lit(b)},")
        w(f"     {lit(q)}}},")
    w("};")
    w("")
    w("// Men et al. eq. 10: the first m >= 0 with B_m < 0 for theta * scale (theta_i = 10000^(-2i/head_dim)),")
    w("// the sum of those frequencies, B at m* and one step before, and the smallest B over [0, m*) with")
    w("// where it occurs.")
    w("inline const std::vector<first_negative_case> first_negative_cases = {")
    for hd, label, scale, theta_sum, (m_star, b_star, b_before, arg, b_min) in scans:
        w(f'    {{{hd}, "{label}", {lit(scale)}, {lit(theta_sum)}, {m_star}LL,')
        w(f"     {lit(b_star)},")
        w(f"     {lit(b_before)},")
        w(f"     {arg}LL, {lit(b_min)}}},")
    w("};")
    text = "\n".join(lines) + "\n"
    write_table(text, out_path)


if __name__ == "__main__":
    main()
