#!/usr/bin/python3
"""Generates tests/data/rope2d_tables.ipp: reference 2D (and N-D) RoPE values for tests/test_rope2d.cpp.

Regenerate (from the repository root, with Debian's interpreter, which has python3-mpmath):
    /usr/bin/python3 scripts/gen_rope2d_tables.py tests/data/rope2d_tables.ipp

An implementation of the 2D rotary encodings that is independent of posenc, in exact real
arithmetic (mpmath, mp.dps = 140, values written with 120 significant digits: mpfr_float_100 has
~100 digits, so 80 digits would not be enough for it):
  axial, N axes     theta_k = base^(-2N k / d), k < d/(2N); interleaved pairs (2j, 2j+1); pair j rotates
                    by p[j // (d/(2N))] * theta[j % (d/(2N))]
    2D x_then_y     (naver-ai/rope-vit compute_axial_cis): pairs j < d/4 rotate with px, the rest with py
    2D y_then_x     (EVA-02 VisionRotaryEmbeddingFast): pairs j < d/4 rotate with py, the rest with px
  mixed             (rope-vit init_2d_freqs for one head at angle alpha): m_k = base^(-4k/d), k < d/4,
                    theta_x = [m cos(alpha), m cos(pi/2 + alpha)], theta_y = [m sin(alpha), m sin(pi/2 + alpha)];
                    pair t rotates by theta_x[t] px + theta_y[t] py
The input vectors have entries n/64, n in [-50, 50] (exact in every binary type with >= 8 bits); the
positions are dyadic (exact in every type under test). alpha = 0.3 is a decimal: the table holds the
exact values at alpha = 3/10, each C++ type rounds alpha itself.

Every number is written as a decimal string literal so that each C++ type reads it at its own
precision (the test converts it through MPFR, correctly rounded).
"""
import sys

from table_common import DIGITS, c_list, input_vector, s, write_table

from mpmath import mp, mpf, cos, sin, pi


REGEN = "/usr/bin/python3 scripts/gen_rope2d_tables.py tests/data/rope2d_tables.ipp"



def axial_theta(d, n_axes, base):
    per_axis = d // (2 * n_axes)
    return [mpf(base) ** (-mpf(2 * n_axes * k) / d) for k in range(per_axis)]


def rotate_pairs(x, angles):
    """Interleaved pairs (2t, 2t+1) rotated by angles[t], exactly."""
    y = [mpf(v) for v in x]
    for t, a in enumerate(angles):
        c, sn = cos(a), sin(a)
        xa, xb = mpf(x[2 * t]), mpf(x[2 * t + 1])
        y[2 * t] = c * xa - sn * xb
        y[2 * t + 1] = sn * xa + c * xb
    return y


def axial_angles(d, n_axes, base, coords):
    """coords: the position of each axis in block order (block a rotates with coords[a])."""
    theta = axial_theta(d, n_axes, base)
    per_axis = len(theta)
    return [mpf(coords[j // per_axis]) * theta[j % per_axis] for j in range(d // 2)]


def mixed_theta(d, base, alpha):
    q = d // 4
    m = [mpf(base) ** (-mpf(4 * k) / d) for k in range(q)]
    a = mpf(alpha)
    b = pi / 2 + a
    tx = [mk * cos(a) for mk in m] + [mk * cos(b) for mk in m]
    ty = [mk * sin(a) for mk in m] + [mk * sin(b) for mk in m]
    return tx, ty



# (head_dim, axes, base)
AXIAL_CONFIGS = [(8, 2, 100), (64, 2, 100), (64, 2, 10000), (12, 3, 10000)]

# 2D positions (px, py), all exact in every type (float included: |p| <= 2^24).
POSITIONS_2D = [("0", "0"), ("1", "0"), ("0", "1"), ("3", "5"), ("1048576", "3"), ("2.5", "-7.25"),
                ("-17", "1024"), ("0.125", "65536")]
POSITIONS_3D = [("1", "2", "3"), ("1048576", "-3", "0.75"), ("2.5", "-7.25", "100")]

MIXED = dict(head_dim=16, base=10, alpha="0.3")



def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    lines = []
    w = lines.append
    w("// tests/data/rope2d_tables.ipp: reference 2D/N-D RoPE values (generated; do not edit).")
    w(f"// Regenerate: {REGEN}")
    w("//")
    w(f"// Exact values from mpmath at {mp.dps} significant digits, written with {DIGITS} digits (see")
    w("// scripts/gen_rope2d_tables.py for the formulas). Included by tests/test_rope2d.cpp, which defines")
    w("// rope2d_theta_case, rope2d_rotation_case, rope2d_mixed_case and rope2d_mixed_rotation_case.")
    w("")
    w("inline const std::vector<rope2d_theta_case> rope2d_theta_cases = {")
    for d, n, base in AXIAL_CONFIGS:
        w("    {")
        w(f"        .head_dim = {d},")
        w(f"        .axes = {n},")
        w(f'        .base = "{s(base)}",')
        w(f"        .theta = {c_list(axial_theta(d, n, base), 1)},")
        w("    },")
    w("};")
    w("")
    w("inline const std::vector<rope2d_rotation_case> rope2d_rotation_cases = {")
    for ci, (d, n, base) in enumerate(AXIAL_CONFIGS):
        x = input_vector(d, ci + 1)
        if n == 2:
            for layout in ("x_then_y", "y_then_x"):
                for px, py in POSITIONS_2D:
                    coords = (px, py) if layout == "x_then_y" else (py, px)
                    y = rotate_pairs(x, axial_angles(d, n, base, coords))
                    w("    {")
                    w(f"        .config = {ci},  // d={d}, N={n}, base={base}")
                    w(f"        .layout = axial_layout::{layout},")
                    w(f'        .position = {{"{px}", "{py}"}},')
                    w(f"        .x = {c_list(x, 8)},")
                    w(f"        .rotated = {c_list(y, 1)},")
                    w("    },")
        else:
            for pos in POSITIONS_3D:
                y = rotate_pairs(x, axial_angles(d, n, base, pos))
                w("    {")
                w(f"        .config = {ci},  // d={d}, N={n}, base={base}")
                w("        .layout = axial_layout::n_axes,")
                w("        .position = {" + ", ".join(f'"{p}"' for p in pos) + "},")
                w(f"        .x = {c_list(x, 8)},")
                w(f"        .rotated = {c_list(y, 1)},")
                w("    },")
    w("};")
    w("")
    d, base, alpha = MIXED["head_dim"], MIXED["base"], MIXED["alpha"]
    tx, ty = mixed_theta(d, base, alpha)
    w("inline const rope2d_mixed_case rope2d_mixed_table = {")
    w(f"    .head_dim = {d},")
    w(f'    .base = "{s(base)}",')
    w(f'    .alpha = "{alpha}",')
    w(f"    .theta_x = {c_list(tx, 1, '     ')},")
    w(f"    .theta_y = {c_list(ty, 1, '     ')},")
    w("};")
    w("")
    w("inline const std::vector<rope2d_mixed_rotation_case> rope2d_mixed_rotation_cases = {")
    x = input_vector(d, 7)
    for px, py in POSITIONS_2D:
        angles = [tx[t] * mpf(px) + ty[t] * mpf(py) for t in range(d // 2)]
        y = rotate_pairs(x, angles)
        w("    {")
        w(f'        .px = "{px}",')
        w(f'        .py = "{py}",')
        w(f"        .x = {c_list(x, 8)},")
        w(f"        .rotated = {c_list(y, 1)},")
        w("    },")
    w("};")
    text = "\n".join(lines) + "\n"
    write_table(text, out_path)


if __name__ == "__main__":
    main()
