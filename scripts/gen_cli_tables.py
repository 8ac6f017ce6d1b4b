#!/usr/bin/python3
"""Reference values for the posenc CLI tests (tests/cli/check_cli.py): Men et al. 2024 context
lengths (eq. 10) and minimal bases (eq. 11) for d = 128, computed independently of posenc.

B_{m,theta} = sum_i cos(m theta_i), theta_i = b^(-2i/d) (mpmath, 50 digits). A numpy float64 scan
over m finds the candidates, and every m with |B| < 1e-6 in float64 is re-evaluated with mpmath at 50
digits; only that sign counts. min-base tries every base k*10^e with k a 2-digit integer in
increasing order (no bisection) and records, per context L, the first base with B >= 0 for all m in
[0, L] (convention through-L) or [0, L-1] (through-L-minus-1), and the next larger base up to ten
times the minimal one that fails (None if none does); first_negative_m is searched up to the largest
context (-1: none).

Regenerate: /usr/bin/python3 scripts/gen_cli_tables.py > tests/data/cli_tables.json
"""
import json
import sys

import mpmath
import numpy as np

mpmath.mp.dps = 50
DIM = 128


def thetas(base):
    b = mpmath.mpf(base)
    return [b ** (-mpmath.mpf(2 * i) / DIM) for i in range(DIM // 2)]


def first_negative(base, limit):
    th = thetas(base)
    thd = np.array([float(t) for t in th])
    m = np.arange(limit + 1, dtype=np.float64)
    b = np.cos(np.outer(m, thd)).sum(axis=1)
    for k in np.nonzero(b < 1e-6)[0]:
        exact = mpmath.fsum(mpmath.cos(int(k) * t) for t in th)
        if exact < 0:
            return int(k)
    return -1


def grid(lo, hi):
    out = []
    for e in range(0, 12):
        for k in range(10, 100):
            v = k * 10 ** e
            if lo <= v <= hi:
                out.append(v)
    return sorted(set(out))


def main():
    tables = {"dim": DIM, "context": {}, "min_base": {}}
    for base in (10000, 500000, 1000000):
        tables["context"][str(base)] = first_negative(base, 40000)
    contexts = [256, 512, 1024, 2048]
    limit = max(contexts)
    fn = {}
    for conv in ("through-L", "through-L-minus-1"):
        tables["min_base"][conv] = {}
    bases = grid(10, 10 ** 6)
    pending = {(c, conv) for c in contexts for conv in ("through-L", "through-L-minus-1")}
    found = {}
    for b in bases:
        fn[b] = first_negative(b, limit)
        for (c, conv) in list(pending):
            f = fn[b]
            ok = f < 0 or (f >= c if conv == "through-L-minus-1" else f > c)
            key = (c, conv)
            if key not in found:
                if ok:
                    found[key] = {"min_base": b, "first_negative_m": f, "next_inadmissible_base": None}
            elif b > 10 * found[key]["min_base"]:
                pending.discard(key)
            elif not ok:
                found[key]["next_inadmissible_base"] = b
                pending.discard(key)
        if not pending:
            break
    for (c, conv), v in found.items():
        tables["min_base"][conv][str(c)] = v
    json.dump(tables, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
