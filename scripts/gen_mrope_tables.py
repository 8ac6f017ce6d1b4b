#!/usr/bin/python3
"""Generates tests/data/mrope_tables.ipp: reference M-RoPE values for tests/test_mrope.cpp.

Regenerate (from the repository root, with Debian's interpreter, which has python3-mpmath):
    /usr/bin/python3 scripts/gen_mrope_tables.py tests/data/mrope_tables.ipp

An implementation of multimodal RoPE (M-RoPE, Qwen2-VL, arXiv 2409.12191 §2.1) that is independent
of posenc, in exact real arithmetic (mpmath, mp.dps = 140, values written with 120 significant
digits). It follows the upstream code of HF transformers step by step, on whole cos/sin vectors, as
the models do (no per-pair axis map is written down anywhere in this script):
  frequencies   inv_freq = 1 / base^(arange(0, dim, 2) / dim), dim = int(head_dim * partial_rotary_factor)
                (`compute_default_rope_parameters`); freqs[a] = position[a] * inv_freq for the axes
                a = t, h, w (the `inv_freq_expanded @ position_ids_expanded` of the rotary embeddings)
  Qwen2.5-VL    modeling_qwen2_vl.py / modeling_qwen2_5_vl.py `apply_multimodal_rotary_pos_emb`:
                emb = cat(freqs, freqs); cos/sin of it split into chunks mrope_section * 2, chunk j
                taken from axis j % 3, concatenated; q * cos + rotate_half(q) * sin
  Qwen3-VL      modeling_qwen3_vl.py `Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope` on freqs:
                freqs_t = freqs[0], then freqs_t[offset : 3 * mrope_section[a] : 3] = freqs[a][same]
                for (a, offset) = (h, 1), (w, 2); emb = cat(freqs_t, freqs_t); rotate_half
  Qwen3.5       modeling_qwen3_5.py `Qwen3_5TextRotaryEmbedding.recomposition_frequencies`: the same
                slice assignment on cos and on sin (after cos/sin), then cat(x, x); the rotary part
                q[:dim] by `apply_rotary_pos_emb` (rotate_half), q[dim:] passed through
  GLM-4.1V      modeling_glm4v.py `apply_multimodal_rotary_pos_emb`: the Qwen2-VL chunk selection, then
                cos[..., :dim/2].repeat_interleave(2) (and sin); q[:dim] * cos + rotate_half_llm(q[:dim])
                * sin, rotate_half_llm(x) = stack((-x[1::2], x[0::2]), -1).flatten(); q[dim:] passed
The configurations are the published ones (tests/data/configs): Qwen2.5-VL-7B, Qwen3-VL-4B,
Qwen3.5-27B, GLM-4.1V-9B-Thinking.

`axes` records, for each rotated pair i < dim/2, the axis whose position ended up in column i of
the first half of the cos vector: the same upstream selection run once more with the position of
axis a replaced by the marker a (a column's provenance), not a rule of this script's own.

Inputs: x has entries n/64, n in [-50, 50] (exact in every binary type with >= 8 bits); positions are
integers up to 2^24 or short dyadic fractions (exact in float and in every wider type), among them
text positions t = h = w and positions with t, h, w distinct. `rotated` holds the first dim
components of R_p x; the components dim .. head_dim-1 equal x (upstream's q_pass).

Every number is written as a decimal string literal so that each C++ type reads it at its own
precision (the test converts it through MPFR, correctly rounded).
"""
import sys

from table_common import DIGITS, c_list, input_vector, s, write_table

from mpmath import mp, mpf, cos, sin

REGEN = "/usr/bin/python3 scripts/gen_mrope_tables.py tests/data/mrope_tables.ipp"


# ---- upstream building blocks, on plain lists (one token, the last axis of the tensors) ----

def inv_freq(head_dim, partial, base):
    """compute_default_rope_parameters: 1 / base^(arange(0, dim, 2) / dim)."""
    dim = int(head_dim * partial)
    return [1 / mpf(base) ** (mpf(k) / dim) for k in range(0, dim, 2)]


def cat(a, b):
    return list(a) + list(b)


def split(v, sizes):
    """torch.split(v, sizes, dim=-1); the sizes must add up to len(v), as torch requires."""
    assert sum(sizes) == len(v), "torch.split: sizes do not cover the tensor"
    out, at = [], 0
    for n in sizes:
        out.append(v[at:at + n])
        at += n
    return out


def select_sections(per_axis, mrope_section):
    """apply_multimodal_rotary_pos_emb (Qwen2-VL, GLM-4V): per_axis[a] is the width-dim cos (or
    sin) of axis a; cat([m[i % 3] for i, m in enumerate(x.split(mrope_section * 2, dim=-1))])."""
    sections = list(mrope_section) * 2
    chunks = [split(per_axis[a], sections) for a in range(3)]  # chunks[a][i]: chunk i of axis a
    out = []
    for i in range(len(sections)):
        out += chunks[i % 3][i]
    return out


def interleave_sections(per_axis, mrope_section):
    """apply_interleaved_mrope (Qwen3-VL) / recomposition_frequencies (Qwen3.5): start from axis t,
    then for (dim, offset) = (1, 1), (2, 2): x_t[..., offset:mrope_section[dim] * 3:3] = x[dim, ...]."""
    x_t = list(per_axis[0])
    for dim, offset in ((1, 1), (2, 2)):
        length = mrope_section[dim] * 3
        x_t[offset:length:3] = per_axis[dim][offset:length:3]
    return x_t


def rotate_half(x):
    """HF rotate_half: cat(-x2, x1) for the halves x1, x2."""
    h = len(x) // 2
    return cat([-v for v in x[h:]], x[:h])


def rotate_half_llm(x):
    """GLM-4V rotate_half_llm: stack((-x[1::2], x[0::2]), dim=-1).flatten(-2)."""
    x1, x2 = x[0::2], x[1::2]
    out = []
    for a, b in zip(x1, x2):
        out += [-b, a]
    return out


def repeat_interleave2(v):
    out = []
    for c in v:
        out += [c, c]
    return out


def apply_cos_sin(q, c, sn, rotate):
    """q_embed = q_rot * cos + rotate(q_rot) * sin on the first len(cos) components, the rest
    passed through (apply_rotary_pos_emb with partial rotary: q_rot, q_pass)."""
    n = len(c)
    q_rot, q_pass = q[:n], q[n:]
    r = rotate(q_rot)
    return [q_rot[k] * c[k] + r[k] * sn[k] for k in range(n)] + list(q_pass)


# ---- the four models ----

def qwen2_vl(q, freqs, section):
    emb = [cat(f, f) for f in freqs]
    c = select_sections([[cos(v) for v in e] for e in emb], section)
    sn = select_sections([[sin(v) for v in e] for e in emb], section)
    return apply_cos_sin(q, c, sn, rotate_half)


def qwen3_vl(q, freqs, section):
    f = interleave_sections(freqs, section)
    emb = cat(f, f)
    return apply_cos_sin(q, [cos(v) for v in emb], [sin(v) for v in emb], rotate_half)


def qwen3_5(q, freqs, section):
    c = interleave_sections([[cos(v) for v in f] for f in freqs], section)
    sn = interleave_sections([[sin(v) for v in f] for f in freqs], section)
    return apply_cos_sin(q, cat(c, c), cat(sn, sn), rotate_half)


def glm4v(q, freqs, section):
    emb = [cat(f, f) for f in freqs]
    c = select_sections([[cos(v) for v in e] for e in emb], section)
    sn = select_sections([[sin(v) for v in e] for e in emb], section)
    c = repeat_interleave2(c[:len(c) // 2])
    sn = repeat_interleave2(sn[:len(sn) // 2])
    return apply_cos_sin(q, c, sn, rotate_half_llm)


def provenance(model, pairs, section):
    """The axis of each pair as 't'/'h'/'w': the model's own selection of cos columns, run on
    markers (column i of axis a holds a) instead of cosines."""
    marks = [[a] * pairs for a in range(3)]
    if model in ("qwen2_vl", "glm4v"):
        col = select_sections([cat(m, m) for m in marks], section)[:pairs]
    else:
        col = interleave_sections(marks, section)
    return "".join("thw"[a] for a in col)


MODELS = {"qwen2_vl": qwen2_vl, "qwen3_vl": qwen3_vl, "qwen3_5": qwen3_5, "glm4v": glm4v}

# name, upstream function, head_dim, partial_rotary_factor (decimal), base, mrope_section,
# mrope_interleaved, pair layout of posenc
GEOMETRIES = [
    ("Qwen2.5-VL-7B", "qwen2_vl", 128, "1", 1000000, [16, 24, 24], False, "half_split"),
    ("Qwen3-VL-4B", "qwen3_vl", 128, "1", 5000000, [24, 20, 20], True, "half_split"),
    ("Qwen3.5-27B", "qwen3_5", 256, "0.25", 10000000, [11, 11, 10], True, "half_split"),
    ("GLM-4.1V-9B", "glm4v", 128, "0.5", 10000, [8, 12, 12], False, "interleaved"),
]

# (t, h, w): text positions, unit steps of one axis, distinct axes (small, large, with 2^20 and
# 2^24, negative, fractional). All exact in float (|p| <= 2^24).
POSITIONS = [
    ("0", "0", "0"), ("1", "1", "1"), ("4096", "4096", "4096"), ("16777216", "16777216", "16777216"),
    ("1", "0", "0"), ("0", "1", "0"), ("0", "0", "1"),
    ("3", "5", "11"), ("1048576", "3", "16777216"), ("16777216", "1048576", "-17"),
    ("2.5", "-7.25", "0.125"), ("100", "37", "5"),
]


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    lines = []
    w = lines.append
    w("// tests/data/mrope_tables.ipp: reference M-RoPE values (generated; do not edit).")
    w(f"// Regenerate: {REGEN}")
    w("//")
    w(f"// Exact values from mpmath at {mp.dps} significant digits, written with {DIGITS} digits (see")
    w("// scripts/gen_mrope_tables.py for the upstream functions it follows). Included by")
    w("// tests/test_mrope.cpp, which defines mrope_geometry_case and mrope_rotation_case.")
    w("")
    w("inline const std::vector<mrope_geometry_case> mrope_geometry_cases = {")
    for name, model, hd, partial, base, section, interleaved, layout in GEOMETRIES:
        theta = inv_freq(hd, mpf(partial), base)
        w("    {")
        w(f'        .name = "{name}",')
        w(f"        .head_dim = {hd},")
        w(f'        .partial_rotary_factor = "{partial}",')
        w(f'        .base = "{s(base)}",')
        w(f"        .mrope_section = {{{section[0]}, {section[1]}, {section[2]}}},")
        w(f"        .mrope_interleaved = {'true' if interleaved else 'false'},")
        w(f"        .layout = posenc::pair_layout::{layout},")
        w(f'        .axes = "{provenance(model, len(theta), section)}",')
        w(f"        .theta = {c_list(theta, 1)},")
        w(f"        .x = {c_list(input_vector(hd, 3), 8)},")
        w("    },")
    w("};")
    w("")
    w("inline const std::vector<mrope_rotation_case> mrope_rotation_cases = {")
    for gi, (name, model, hd, partial, base, section, interleaved, layout) in enumerate(GEOMETRIES):
        theta = inv_freq(hd, mpf(partial), base)
        x = input_vector(hd, 3)
        for pos in POSITIONS:
            freqs = [[mpf(p) * th for th in theta] for p in pos]
            y = MODELS[model](x, freqs, section)
            assert y[2 * len(theta):] == x[2 * len(theta):]
            w("    {")
            w(f"        .geometry = {gi},  // {name}")
            w("        .position = {" + ", ".join(f'"{p}"' for p in pos) + "},")
            w(f"        .rotated = {c_list(y[:2 * len(theta)], 1)},")
            w("    },")
    w("};")
    text = "\n".join(lines) + "\n"
    write_table(text, out_path)


if __name__ == "__main__":
    main()
