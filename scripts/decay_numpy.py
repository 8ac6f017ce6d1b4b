#!/usr/bin/python3
"""The RoFormer relative upper bound curve in vectorised numpy float64: the baseline posenc decay is
measured against (scripts/bench_decay).

    (1/N) sum_{j=1}^{N} |S_j|,  S_j = sum_{i<j} e^{i r theta_i},  theta_i = base^(-2i/d),  N = d/2
    (Su et al. 2021, RoFormer, §3.4.3, eq. 37 and Figure 2)

Written the way a careful numpy user would, computing the same numbers posenc does:
- theta_i correctly rounded to float64 (from mpmath at 50 digits; numpy's base ** (-2i/d) can be off by
  an ulp, which at r = 10^6 moves an angle by 1e-10);
- the angle r theta_i formed exactly: theta_i = hi + lo with hi holding 26 significant bits, so r * hi
  is exact for r < 2^27, and e^{i r theta} = e^{i r hi} e^{i r lo} (r lo rounded: an error below
  2^-53 * 2^-26 * r theta, 1e-18 rad at r = 10^6);
- distances processed in chunks of 4096 rows so memory stays small.

Usage: /usr/bin/python3 scripts/decay_numpy.py --dim 128 --base 10000 --last 1000000
(distances 0..last), printing distance,value rows with 17 significant digits to standard output.
"""
import argparse
import sys

import mpmath
import numpy as np


def thetas(dim, base):
    """theta_i = base^(-2i/dim), correctly rounded to float64 (mpmath at 50 digits)."""
    mpmath.mp.dps = 50
    b = mpmath.mpf(base)
    return np.array([float(b ** (-mpmath.mpf(2 * i) / dim)) for i in range(dim // 2)], dtype=np.float64)


def split26(x):
    """x = hi + lo exactly, hi with at most 26 significant bits (Veltkamp splitting)."""
    c = x * (2.0 ** 27 + 1.0)
    hi = c - (c - x)
    return hi, x - hi


def roformer_bound(dim, base, distances, chunk=4096):
    th = thetas(dim, base)
    hi, lo = split26(th)
    out = np.empty(len(distances), dtype=np.float64)
    for start in range(0, len(distances), chunk):
        r = distances[start:start + chunk].astype(np.float64)[:, None]
        a = r * hi                      # exact
        c = np.cos(a)
        s = np.sin(a)
        t = r * lo                      # |t| < 2^-26 r theta: rounding it costs < 1e-18 rad
        ct = np.cos(t)
        st = np.sin(t)
        re = c * ct - s * st            # e^{i(a + t)} = e^{ia} e^{it}
        im = s * ct + c * st
        sr = np.cumsum(re, axis=1)
        si = np.cumsum(im, axis=1)
        out[start:start + chunk] = np.sqrt(sr * sr + si * si).mean(axis=1)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--base", type=float, default=10000.0)
    p.add_argument("--last", type=int, default=256)
    a = p.parse_args()
    if a.dim < 2 or a.dim % 2:
        p.error("--dim: an even integer >= 2")
    if not (a.base > 1):
        p.error("--base: a number > 1")
    if not (0 <= a.last < 2 ** 27):
        p.error("--last: an integer in [0, 2^27)")
    d = np.arange(a.last + 1, dtype=np.int64)
    v = roformer_bound(a.dim, a.base, d)
    out = sys.stdout
    out.write("distance,value\n")
    for r, x in zip(d, v):
        out.write(f"{r},{x:.16e}\n")


if __name__ == "__main__":
    main()
