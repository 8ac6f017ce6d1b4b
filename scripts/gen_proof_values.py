#!/usr/bin/python3
"""Writes proofs/data/proof_values.hpp: reference values the compile-time proofs compare with.

Regenerate (from the repository root, with Debian's interpreter, which has python3-mpmath):
    /usr/bin/python3 scripts/gen_proof_values.py proofs/data/proof_values.hpp

Every value is computed here from its definition in exact real arithmetic (mpmath, mp.dps = 100),
independently of posenc:
  roformer_curve   RoFormer (Su et al. 2021) Figure 2: (1/N) sum_{j=1}^{N} |S_j|,
                   S_j = sum_{i<j} e^{i r theta_i}, theta_i = base^(-2i/d), N = d/2
  first_negative_b Men et al. 2024 (arXiv 2405.14591) eq. 9-10: the smallest integer m >= 0 with
                   B_m = sum_i cos(m theta_i) < 0
  separation       RoPE 2D axial (Su, kexue.fm/archives/8397), naver-ai/rope-vit arrangement
                   (x drives the first half of the interleaved pairs): min over grid differences
                   (dx, dy) != 0, 0 <= dx < W, -H < dy < H, (dx = 0 -> dy > 0) of
                   ||I - R_{dx,dy}||_F = sqrt(sum_pairs 4 (1 - cos(angle)))
A real value is written twice: as the nearest double (a hex-float literal), and as four doubles
d0 + d1 + d2 + d3, each the double nearest to what the previous ones leave, so that a type with up
to about 200 significand bits can rebuild it to within an ulp (the proofs add them from d3 up).
The script also checks that no value the proofs compare with a sign sits near a rounding hazard
(B_m far from 0 on [0, m], a unique grid minimum), and writes the margins into the header.
"""
import sys

from mpmath import mp, mpf, cos, sin, sqrt, floor

mp.dps = 100

REGEN = "/usr/bin/python3 scripts/gen_proof_values.py proofs/data/proof_values.hpp"


def thetas(d, base, axes=1):
    """theta_k = base^(-2 axes k / d), k < d / (2 axes) (RoFormer eq. 15; axial 2D for axes = 2)."""
    return [mpf(base) ** (-mpf(2 * axes * k) / d) for k in range(d // (2 * axes))]


def roformer_curve(d, base, r):
    sr = mpf(0)
    si = mpf(0)
    total = mpf(0)
    th = thetas(d, base)
    for t in th:
        sr += cos(r * t)
        si += sin(r * t)
        total += sqrt(sr * sr + si * si)
    return total / len(th)


def b_sum(th, m):
    return sum(cos(m * t) for t in th)


def first_negative_b(d, base, limit):
    """(m, min_{m' < m} B_{m'}, B_m)."""
    th = thetas(d, base)
    smallest = None
    for m in range(limit + 1):
        b = b_sum(th, m)
        if b < 0:
            return m, smallest, b
        smallest = b if smallest is None else min(smallest, b)
    raise ValueError("no negative B_m up to the limit")


def separation(d, base, width, height):
    """(min ||I - R||_F, dx, dy, second smallest) for axial x_then_y on a width x height grid."""
    th = thetas(d, base, 2)
    found = []
    for dx in range(width):
        for dy in range(1 if dx == 0 else -(height - 1), height):
            angles = [dx * t for t in th] + [dy * t for t in th]
            found.append((sqrt(sum(4 * (1 - cos(a)) for a in angles)), dx, dy))
    found.sort()
    return found[0][0], found[0][1], found[0][2], found[1][0]


def nearest_double(x):
    """The double nearest to x (ties to even), checked."""
    f = float(x)
    err = abs(mpf(f) - x)
    half_ulp = mpf(2) ** (int(floor(mp.log(abs(f), 2))) - 53) if f != 0 else mpf(0)
    assert f == 0 or err <= half_ulp, "float() did not round to nearest"
    return f


def four_doubles(x):
    parts = []
    rest = mpf(x)
    for _ in range(4):
        f = nearest_double(rest)
        parts.append(f)
        rest -= mpf(f)
    assert abs(rest) <= abs(x) * mpf(2) ** -200
    return parts


def hexf(f):
    """A C++ hex-float literal (0x1.8p+5), or 0.0."""
    return "0.0" if f == 0 else float.hex(f)


def real_value(w, name, x, what):
    for line in what:
        w(f"/// {line}")
    w(f"/// = {mp.nstr(x, 60)}")
    w(f"inline constexpr double {name} = {hexf(nearest_double(x))};")
    parts = ", ".join(hexf(p) for p in four_doubles(x))
    w(f"inline constexpr double {name}_parts[4] = {{{parts}}};")
    w("")


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    lines = []
    w = lines.append
    w("// proofs/data/proof_values.hpp: reference values for the compile-time proofs (generated; do not edit).")
    w(f"// Regenerate: {REGEN}")
    w("//")
    w(f"// Computed from the definitions in exact arithmetic (mpmath, {mp.dps} digits; formulas in the")
    w("// script), independently of posenc. A real value X comes as `X`, the nearest double, and as")
    w("// `X_parts`, four doubles d0 + d1 + d2 + d3 each nearest to what the previous ones leave")
    w("// (|X - sum| < 2^-200 |X|); rebuild<T>(X_parts) adds them from d3 up, within an ulp of X in T")
    w("// for every T with at most 200 significand bits.")
    w("#pragma once")
    w("")
    w("namespace posenc_proofs::values {")
    w("")
    w("/// d0 + d1 + d2 + d3 in T, smallest first.")
    w("template <class T>")
    w("[[nodiscard]] constexpr T rebuild(const double (&parts)[4]) {")
    w("    T sum = T(parts[3]);")
    w("    sum = T(parts[2]) + sum;")
    w("    sum = T(parts[1]) + sum;")
    w("    return T(parts[0]) + sum;")
    w("}")
    w("")

    curve = roformer_curve(128, 10000, 100)
    real_value(w, "roformer_curve_d128_r100", curve,
               ["RoFormer Figure 2 relative upper bound at m - n = 100, d = 128, base 10000."])

    d, base, limit = 32, 100, 200
    m, smallest, at_m = first_negative_b(d, base, limit)
    assert smallest > mpf("0.001") and at_m < mpf("-0.001"), "B_m too close to 0 for a sign test"
    w(f"/// Men et al. eq. 9-10, d = {d}, base {base}: the smallest m >= 0 with B_m < 0. Margins:")
    w(f"/// min_{{m' < m}} B_m' = {mp.nstr(smallest, 12)}, B_m = {mp.nstr(at_m, 12)} (far from 0 next to rounding).")
    w(f"inline constexpr long long first_negative_b_d{d}_base{base} = {m};")
    w("")

    d, base, width, height = 8, 100, 7, 5
    sep, dx, dy, second = separation(d, base, width, height)
    assert second - sep > mpf("0.01"), "grid minimum not unique"
    name = f"axial_separation_d{d}_{width}x{height}"
    real_value(w, name, sep, [
        f"RoPE 2D axial (x then y), head_dim {d}, base {base}, on a {width} x {height} grid: the smallest",
        f"||I - R_{{dx,dy}}||_F over grid differences, at (dx, dy) = ({dx}, {dy}); the next smallest is",
        f"{mp.nstr(second, 12)} (the minimum is unique)."])
    w(f"inline constexpr long long {name}_dx = {dx};")
    w(f"inline constexpr long long {name}_dy = {dy};")
    w("")
    w("}  // namespace posenc_proofs::values")
    text = "\n".join(lines) + "\n"
    if out_path:
        with open(out_path, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
