#!/usr/bin/python3
"""Generates tests/data/rope_tables.ipp: reference frequencies and rotations for tests/test_rope.cpp.

Regenerate (from the repository root, with Debian's interpreter, which has python3-mpmath):
    /usr/bin/python3 scripts/gen_rope_tables.py tests/data/rope_tables.ipp

This is an implementation of HF transformers' `modeling_rope_utils.py` frequency rules that is
independent of posenc: it follows the Python definitions line by line, but in exact real
arithmetic (mpmath, mp.dps = 140, values written with 120 significant digits), so that the table is
correct far beyond the precision of every type under test (mpfr_float_100 has ~100 digits):
  default   inv_freq_j = 1 / base^(2j/dim), dim = int(head_dim * partial_rotary_factor)
  linear    inv_freq / factor
  dynamic   seq_len = max(seq_len, max_pos);
            base' = base * (factor*seq_len/max_pos - (factor-1)) ** (dim/(dim-2))
  yarn      get_mscale(s, m=1) = 1 if s <= 1 else 0.1*m*ln(s) + 1
            attention = gm(f, mscale)/gm(f, mscale_all_dim) if both given else gm(f)
            corr_dim(r) = dim*ln(orig/(r*2pi)) / (2 ln base); low = corr_dim(beta_fast),
            high = corr_dim(beta_slow); truncate: low = floor, high = ceil;
            low = max(low, 0), high = min(high, dim-1); if low == high: high += 0.001
            ramp_j = clamp((j - low)/(high - low), 0, 1)
            inv_freq = (inv/factor) * ramp + inv * (1 - ramp)
  llama3    low_wl = old/low_ff, high_wl = old/high_ff, wl = 2 pi / inv
            wl > low_wl: inv/factor; wl < high_wl: inv;
            else s = (old/wl - low_ff)/(high_ff - low_ff), (1-s) inv/factor + s inv
  longrope  ext = long_factor if seq_len > orig else short_factor; inv = 1/(ext_j * base^(2j/dim));
            attention = sqrt(1 + ln f / ln orig) (f = factor, or max_pos/orig) if f > 1 else 1
and the rotation R_m x (pair i rotated by m * theta_i; interleaved pairs (2i, 2i+1), half-split
pairs (i, i + dim/2); dims >= dim untouched) for fixed inputs x whose entries are small dyadic
rationals (exact in every type).

Every number is written as a decimal string literal so that each C++ type reads it at its own
precision (the test converts it through MPFR, correctly rounded).
"""
import sys

from table_common import DIGITS, c_list, input_vector, s, write_table

from mpmath import mp, mpf, log, sqrt, pi, floor, ceil, cos, sin


REGEN = "/usr/bin/python3 scripts/gen_rope_tables.py tests/data/rope_tables.ipp"



def rotary_dim(cfg):
    return int(cfg["head_dim"] * mpf(cfg.get("partial_rotary_factor", 1)))


def default_inv(base, dim):
    return [1 / mpf(base) ** (mpf(2 * j) / dim) for j in range(dim // 2)]


def yarn_mscale(scale, m=1):
    if scale <= 1:
        return mpf(1)
    return mpf("0.1") * mpf(m) * log(scale) + 1


def frequencies(cfg):
    """(inv_freq list, attention factor, extras dict) for one configuration, exactly."""
    dim = rotary_dim(cfg)
    base = mpf(cfg["base"])
    v = cfg["variant"]
    extras = {}
    factor = mpf(cfg.get("factor", 1))
    if v == "standard":
        return default_inv(base, dim), mpf(1), extras
    if v == "linear":
        return [t / factor for t in default_inv(base, dim)], mpf(1), extras
    if v == "dynamic":
        max_pos = mpf(cfg["max_position_embeddings"])
        seq = max(mpf(cfg.get("seq_len", 0)), max_pos)
        new_base = base * ((factor * seq / max_pos) - (factor - 1)) ** (mpf(dim) / (dim - 2))
        extras["dynamic_base"] = new_base
        return default_inv(new_base, dim), mpf(1), extras
    if v == "yarn":
        orig = mpf(cfg["original_max_position_embeddings"])
        ms, msa = mpf(cfg.get("mscale", 0)), mpf(cfg.get("mscale_all_dim", 0))
        if ms != 0 and msa != 0:
            attention = yarn_mscale(factor, ms) / yarn_mscale(factor, msa)
        else:
            attention = yarn_mscale(factor)

        def corr_dim(r):
            return (dim * log(orig / (mpf(r) * 2 * pi))) / (2 * log(base))

        low, high = corr_dim(cfg.get("beta_fast", 32)), corr_dim(cfg.get("beta_slow", 1))
        extras["yarn_low_unclamped"], extras["yarn_high_unclamped"] = low, high
        if cfg.get("truncate", True):
            low, high = floor(low), ceil(high)
        low, high = max(low, mpf(0)), min(high, mpf(dim - 1))
        if low == high:
            high += mpf("0.001")
        extras["yarn_low"], extras["yarn_high"] = low, high
        out = []
        for j, t in enumerate(default_inv(base, dim)):
            ramp = min(max((j - low) / (high - low), mpf(0)), mpf(1))
            out.append((t / factor) * ramp + t * (1 - ramp))
        return out, attention, extras
    if v == "llama3":
        old = mpf(cfg["original_max_position_embeddings"])
        lo_ff, hi_ff = mpf(cfg["low_freq_factor"]), mpf(cfg["high_freq_factor"])
        low_wl, high_wl = old / lo_ff, old / hi_ff
        out = []
        for t in default_inv(base, dim):
            wl = 2 * pi / t
            if wl > low_wl:
                out.append(t / factor)
            elif wl < high_wl:
                out.append(t)
            else:
                sm = (old / wl - lo_ff) / (hi_ff - lo_ff)
                out.append((1 - sm) * t / factor + sm * t)
        return out, mpf(1), extras
    if v == "longrope":
        orig = mpf(cfg["original_max_position_embeddings"])
        f = factor if factor != 1 else mpf(cfg["max_position_embeddings"]) / orig
        attention = mpf(1) if f <= 1 else sqrt(1 + log(f) / log(orig))
        ext = cfg["long_factor"] if cfg["seq_len"] > cfg["original_max_position_embeddings"] else cfg["short_factor"]
        out = [1 / (mpf(ext[j]) * base ** (mpf(2 * j) / dim)) for j in range(dim // 2)]
        return out, attention, extras
    raise ValueError(v)


def rotate(cfg, inv, layout, x, m):
    dim = rotary_dim(cfg)
    y = [mpf(v) for v in x]
    for i, t in enumerate(inv):
        a, b = (2 * i, 2 * i + 1) if layout == "interleaved" else (i, i + dim // 2)
        c, sn = cos(m * t), sin(m * t)
        xa, xb = mpf(x[a]), mpf(x[b])
        y[a] = c * xa - sn * xb
        y[b] = sn * xa + c * xb
    return y



SHORT = [mpf(1) + mpf(i) / 64 for i in range(64)]
LONG = [mpf(1) + mpf(i) / 8 for i in range(64)]

CONFIGS = [
    dict(name="default_d128_b1e4", variant="standard", head_dim=128, base=10000),
    dict(name="default_d64_b1e4", variant="standard", head_dim=64, base=10000),
    dict(name="default_d80_b1e6_partial05", variant="standard", head_dim=80, base=1000000,
         partial_rotary_factor="0.5"),
    dict(name="default_d128_b5e5", variant="standard", head_dim=128, base=500000),
    dict(name="linear_d128_b1e4_f4", variant="linear", head_dim=128, base=10000, factor=4),
    dict(name="dynamic_d128_b1e4_f2_len8192", variant="dynamic", head_dim=128, base=10000, factor=2,
         max_position_embeddings=4096, seq_len=8192),
    dict(name="dynamic_d64_b1e4_f2_len2048", variant="dynamic", head_dim=64, base=10000, factor=2,
         max_position_embeddings=4096, seq_len=2048),
    dict(name="yarn_d128_b1e4_f4_truncate", variant="yarn", head_dim=128, base=10000, factor=4,
         original_max_position_embeddings=4096, max_position_embeddings=16384, truncate=True),
    dict(name="yarn_d128_b1e4_f4_no_truncate", variant="yarn", head_dim=128, base=10000, factor=4,
         original_max_position_embeddings=4096, max_position_embeddings=16384, truncate=False),
    dict(name="yarn_d128_b1e4_f4_mscale", variant="yarn", head_dim=128, base=10000, factor=4,
         original_max_position_embeddings=4096, max_position_embeddings=16384, truncate=True,
         mscale=1, mscale_all_dim="0.707"),
    dict(name="yarn_d80_b5e5_partial05_f4", variant="yarn", head_dim=80, base=500000, factor=4,
         partial_rotary_factor="0.5", original_max_position_embeddings=4096,
         max_position_embeddings=16384, truncate=True),
    dict(name="llama3_d128_b5e5_f8", variant="llama3", head_dim=128, base=500000, factor=8,
         low_freq_factor=1, high_freq_factor=4, original_max_position_embeddings=8192,
         max_position_embeddings=131072),
    dict(name="longrope_d128_b1e4_len2048_short", variant="longrope", head_dim=128, base=10000,
         factor=32, original_max_position_embeddings=4096, max_position_embeddings=131072, seq_len=2048,
         short_factor=SHORT, long_factor=LONG),
    dict(name="longrope_d128_b1e4_len8192_long", variant="longrope", head_dim=128, base=10000,
         factor=32, original_max_position_embeddings=4096, max_position_embeddings=131072, seq_len=8192,
         short_factor=SHORT, long_factor=LONG),
]

# Rotations: (config name, seed of the input vector).
ROTATION_CONFIGS = [("default_d64_b1e4", 1), ("yarn_d80_b5e5_partial05_f4", 2)]
POSITIONS = [0, 1, 7, 4096, 1048576, 2 ** 24 + 1, 2 ** 53 - 1]
LAYOUTS = ["interleaved", "half_split"]



def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    lines = []
    w = lines.append
    w("// tests/data/rope_tables.ipp: reference RoPE frequencies and rotations (generated; do not edit).")
    w(f"// Regenerate: {REGEN}")
    w("//")
    w(f"// Exact values from mpmath at {mp.dps} significant digits, written with {DIGITS} digits, of")
    w("// HF transformers' modeling_rope_utils.py frequency rules (see scripts/gen_rope_tables.py).")
    w("// Included by tests/test_rope.cpp, which defines rope_table_case and rope_rotation_case.")
    w("")
    w("inline const std::vector<rope_table_case> rope_table_cases = {")
    index = {}
    for k, cfg in enumerate(CONFIGS):
        index[cfg["name"]] = k
        inv, attention, extras = frequencies(cfg)
        g = cfg.get
        w("    {")
        w(f'        .name = "{cfg["name"]}",')
        w(f'        .variant = posenc::rope_variant::{cfg["variant"]},')
        w(f'        .head_dim = {cfg["head_dim"]},')
        w(f'        .base = "{s(cfg["base"])}",')
        w(f'        .partial_rotary_factor = "{g("partial_rotary_factor", "1")}",')
        w(f'        .factor = "{s(g("factor", 1))}",')
        w(f'        .original_max_position_embeddings = {g("original_max_position_embeddings", 0)},')
        w(f'        .max_position_embeddings = {g("max_position_embeddings", 0)},')
        w(f'        .seq_len = {g("seq_len", 0)},')
        w(f'        .beta_fast = "{s(g("beta_fast", 32))}",')
        w(f'        .beta_slow = "{s(g("beta_slow", 1))}",')
        w(f'        .mscale = "{g("mscale", 0)}",')
        w(f'        .mscale_all_dim = "{g("mscale_all_dim", 0)}",')
        w(f'        .truncate = {"true" if g("truncate", True) else "false"},')
        w(f'        .low_freq_factor = "{s(g("low_freq_factor", 1))}",')
        w(f'        .high_freq_factor = "{s(g("high_freq_factor", 4))}",')
        w(f'        .short_factor = {c_list(g("short_factor", []), 8)},')
        w(f'        .long_factor = {c_list(g("long_factor", []), 8)},')
        w(f'        .yarn_low = "{s(extras.get("yarn_low", 0))}",')
        w(f'        .yarn_high = "{s(extras.get("yarn_high", 0))}",')
        w(f'        .attention_factor = "{s(attention)}",')
        w(f'        .inv_freq = {c_list(inv, 1)},')
        w("    },")
    w("};")
    w("")
    w("inline const std::vector<rope_rotation_case> rope_rotation_cases = {")
    for name, seed in ROTATION_CONFIGS:
        cfg = CONFIGS[index[name]]
        inv, _, _ = frequencies(cfg)
        x = input_vector(cfg["head_dim"], seed)
        for layout in LAYOUTS:
            for m in POSITIONS:
                y = rotate(cfg, inv, layout, x, mpf(m))
                w("    {")
                w(f"        .config = {index[name]},  // {name}")
                w(f"        .layout = posenc::pair_layout::{layout},")
                w(f"        .position = {m}LL,")
                w(f"        .x = {c_list(x, 8)},")
                w(f"        .rotated = {c_list(y, 1)},")
                w("    },")
    w("};")
    text = "\n".join(lines) + "\n"
    write_table(text, out_path)


if __name__ == "__main__":
    main()
