"""Helpers shared by the reference-table generators (gen_rope_tables.py, gen_rope2d_tables.py,
gen_mrope_tables.py, gen_decay_tables.py).

Numbers are written as decimal string literals with DIGITS significant digits, computed at
mp.dps = 140, so that each C++ type under test (up to mpfr_float_100, about 100 digits) reads them
at its own precision.
"""
import sys

from mpmath import mp, mpf, floor

mp.dps = 140
DIGITS = 120


def s(x):
    """x as a decimal string with DIGITS significant digits (exact integers and zero stay short)."""
    x = mpf(x)
    if x == 0:
        return "0"
    if x == floor(x) and abs(x) < mpf(2) ** 64:
        return str(int(x))
    return mp.nstr(x, DIGITS, strip_zeros=False, min_fixed=-5, max_fixed=5)


def c_list(values, per_line=3, indent="         "):
    """A C++ brace list of decimal string literals."""
    if not values:
        return "{}"
    items = [f'"{s(v)}"' for v in values]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "{\n" + indent + (",\n" + indent).join(lines) + "}"


def input_vector(n, seed):
    """Deterministic entries k/64, k in [-50, 50]: exact in every binary type with >= 8 bits."""
    return [mpf((k * 37 + seed * 11) % 101 - 50) / 64 for k in range(n)]


def write_table(text, out_path):
    """The generated table to out_path, or to standard output when no path is given."""
    if out_path:
        with open(out_path, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
