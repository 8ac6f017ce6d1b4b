#!/usr/bin/python3
"""End-to-end check of M-RoPE in the posenc CLI (freqs, inspect, decay) on the real M-RoPE configs
(Qwen2.5-VL-7B, Qwen3-VL-4B, Qwen3.5-27B, GLM-4.1V-9B in tests/data/configs/), against values
computed here, independently of posenc:

- The pair-to-axis map is rebuilt the way transformers builds the cos/sin it multiplies q and k by,
  on labelled vectors instead of numbers:
    sectioned (`modeling_qwen2_vl.py::apply_multimodal_rotary_pos_emb`): the three cos vectors (one
      per axis) of width rotary_dim = cat(freqs, freqs) are split into chunks `mrope_section * 2`, and
      chunk j is taken from axis j % 3; glm4v (`modeling_glm4v.py::apply_multimodal_rotary_pos_emb`)
      does the same, then keeps the first half and repeat_interleave(2)s it;
    interleaved (`modeling_qwen3_vl.py::apply_interleaved_mrope`): freqs of axis t, with
      freqs_t[..., offset:section[dim]*3:3] overwritten by axis dim for (h, 1) and (w, 2).
  The result must name, for every pair of the layout, one axis on both of its components; that
  axis is what `posenc freqs` prints in its axis column and `inspect` in pair_axes.
- theta_i = base^(-2i/rotary_dim) in mpmath (60 digits), rotary_dim = int(head_dim * partial_rotary_factor),
  with base, head size and factor read from the config file here.
- inspect --format json: mrope.pair_axes (the map), per axis the pair list and the wavelength range
  2 pi / theta over its pairs (within 1e-15 relative).
- decay --quantity b-sum --axis A (t, h, w, hw, thw): B(r) = sum over pairs on the axes of A of
  cos(r theta_i) + the number of other pairs (they turn by 0), mpmath; agreement within 1e-12
  absolute per pair (the runner's documented accuracy: 3e-14 relative per phase). thw must equal the
  1D b-sum of the same config bit for bit (text tokens: t = h = w).
- Interleaved sections whose t, h, w cycle overruns the pairs ([2, 4, 4] over 10): the map as
  transformers' slices leave it (h and w get fewer pairs than their sections).
- Errors (exit 2, nothing on standard output, the message naming where the value came from):
  --mrope-section summing wrong or with two entries; --mrope-interleaved true without sections;
  a config whose mrope_section does not sum to the pairs (made here from the Qwen2.5-VL config);
  Qwen3.5's sections with --partial-rotary-factor 1 (128 pairs: the maxtext #4616 trap of dropping
  the 0.25); --axis y on an M-RoPE, --axis t on a 1D rope.

Prints one line per check and last `N passed, M failed`; exits 1 if anything failed.

Usage: check_mrope.py --posenc BIN --data tests/data
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import mpmath

from ulp_common import Failure, expect, expect_near_measured

mpmath.mp.dps = 60

CONFIGS = {
    # file: (model's modeling code uses interleaved pairs (2i, 2i+1)?)
    "qwen2.5-vl-7b-instruct.json": False,
    "qwen3-vl-4b-instruct.json": False,
    "qwen3.5-27b.json": False,
    "glm-4.1v-9b-thinking.json": True,
}


def text_part(cfg):
    for k in ("text_config", "llm_config"):
        if isinstance(cfg.get(k), dict):
            return cfg[k]
    return cfg


def rope_of(path):
    """(head_dim, rotary_dim, base, section, interleaved) read from the config file."""
    with open(path) as f:
        cfg = json.load(f)
    t = text_part(cfg)
    rp = t.get("rope_parameters") or t.get("rope_scaling") or {}
    head = t.get("head_dim") or t["hidden_size"] // t["num_attention_heads"]
    prf = rp.get("partial_rotary_factor", t.get("partial_rotary_factor", 1.0))
    base = rp.get("rope_theta", t.get("rope_theta"))
    return head, int(head * prf), mpmath.mpf(str(base)), list(rp["mrope_section"]), bool(rp.get("mrope_interleaved", False))


def hf_axis_map(rotary_dim, section, interleaved, glm_pairs):
    """Axis per pair, rebuilt as transformers builds cos (see the module docstring)."""
    pairs = rotary_dim // 2
    if interleaved:
        freqs = ["t"] * pairs  # freqs[0]: axis t, one entry per frequency
        for name, dim, offset in (("h", 1, 1), ("w", 2, 2)):
            for i in range(offset, min(section[dim] * 3, pairs), 3):
                freqs[i] = name
        cos = freqs + freqs  # emb = cat(freqs, freqs)
    else:
        per_axis = {a: [a] * rotary_dim for a in "thw"}  # cos of each axis, width rotary_dim
        chunks, start = [], 0
        for j, size in enumerate(section * 2):
            chunks.append(per_axis["thw"[j % 3]][start:start + size])
            start += size
        expect(start == rotary_dim, f"sections {section} do not split width {rotary_dim}")
        cos = [a for c in chunks for a in c]
        if glm_pairs:
            half = cos[:rotary_dim // 2]
            cos = [a for a in half for _ in range(2)]  # repeat_interleave(2): pair i = dims 2i, 2i+1
    axes = []
    for i in range(pairs):
        a, b = (2 * i, 2 * i + 1) if glm_pairs else (i, i + pairs)
        expect(cos[a] == cos[b], f"pair {i}: components on different axes {cos[a]}, {cos[b]}")
        axes.append(cos[a])
    return "".join(axes)


def run(posenc, args, want_rc=0):
    p = subprocess.run([posenc] + args, capture_output=True, text=True)
    expect(p.returncode == want_rc, f"{' '.join(args)}: exit {p.returncode}, expected {want_rc}; stderr: {p.stderr.strip()}")
    return p


def csv_rows(text):
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    return lines[0].split(","), [ln.split(",") for ln in lines[1:]]


def check_freqs(posenc, path, glm):
    head, rot, base, section, inter = rope_of(path)
    want = hf_axis_map(rot, section, inter, glm)
    header, rows = csv_rows(run(posenc, ["freqs", "--config", path]).stdout)
    expect(header == ["pair", "theta", "wavelength", "axis"], f"header {header}")
    expect(len(rows) == rot // 2, f"{len(rows)} rows, expected {rot // 2}")
    got = "".join(r[3] for r in rows)
    expect(got == want, f"axis column {got}, transformers' rule gives {want}")
    for i, r in enumerate(rows):
        theta = base ** (-mpmath.mpf(2 * i) / rot)
        # tight: 0.503 of the bound measured, so a doubled error fails
        expect(abs(mpmath.mpf(r[1]) - theta) <= theta * 2.0 ** -52, f"theta[{i}] = {r[1]}, exact {theta}")
    return f"{os.path.basename(path)}: {want}"


def check_inspect(posenc, path, glm):
    head, rot, base, section, inter = rope_of(path)
    want = hf_axis_map(rot, section, inter, glm)
    j = json.loads(run(posenc, ["inspect", "--config", path, "--format", "json"]).stdout)
    m = j["layers"][0]["mrope"]
    expect(m is not None, "no mrope entry")
    expect(m["pair_axes"] == want, f"pair_axes {m['pair_axes']}, expected {want}")
    expect(m["interleaved"] == inter, f"interleaved {m['interleaved']}")
    for a in "thw":
        pairs = [i for i, x in enumerate(want) if x == a]
        got = m["axes"][a]
        expect(got["pairs"] == pairs, f"axis {a}: pairs {got['pairs']}, expected {pairs}")
        waves = [2 * mpmath.pi / base ** (-mpmath.mpf(2 * i) / rot) for i in pairs]
        for key, w in (("wavelength_min", min(waves)), ("wavelength_max", max(waves))):
            expect(abs(mpmath.mpf(got[key]) - w) <= w * 1e-15, f"axis {a} {key} {got[key]}, exact {w}")
            # 0.1618 of the bound measured over the four configs (g++)
            expect_near_measured(abs(mpmath.mpf(got[key]) - w) / (w * 1e-15), 0.1618, f"axis {a} {key}: fraction of the bound")
    return f"{os.path.basename(path)}: pair_axes and per-axis wavelengths"


def check_decay(posenc, path, glm):
    head, rot, base, section, inter = rope_of(path)
    axes = hf_axis_map(rot, section, inter, glm)
    theta = [base ** (-mpmath.mpf(2 * i) / rot) for i in range(rot // 2)]
    dist = "0:200000:997"
    worst = 0.0
    for sel in ("t", "h", "w", "hw", "thw"):
        _, rows = csv_rows(run(posenc, ["decay", "--quantity", "b-sum", "--config", path, "--axis", sel,
                                        "--distances", dist]).stdout)
        for r in rows:
            d = int(r[0])
            want = sum(mpmath.cos(d * th) if axes[i] in sel else 1 for i, th in enumerate(theta))
            err = abs(mpmath.mpf(r[1]) - want)
            worst = max(worst, float(err))
            expect(err <= 1e-12 * len(theta), f"--axis {sel}: B({d}) = {r[1]}, exact {mpmath.nstr(want, 20)}")
            # 0.4981 of the bound measured over the four configs (g++)
            expect_near_measured(err / (1e-12 * len(theta)), 0.4981, f"--axis {sel}: B({d}) error, fraction of the bound")
    one_d = run(posenc, ["decay", "--quantity", "b-sum", "--config", path, "--distances", dist]).stdout
    thw = run(posenc, ["decay", "--quantity", "b-sum", "--config", path, "--axis", "thw", "--distances", dist]).stdout
    expect(csv_rows(one_d)[1] == csv_rows(thw)[1], "--axis thw differs from the default (text) direction")
    return f"{os.path.basename(path)}: b-sum along t, h, w, hw, thw, max error {worst:.2g}"


def check_short_cycle(posenc):
    """Interleaved sections whose cycle overruns the pairs: transformers' slice stops at the pair
    count, so h and w get fewer pairs than their sections ([2, 4, 4] over 10 pairs: 4, 3, 3)."""
    out = []
    for dim, section in ((20, [2, 4, 4]), (24, [2, 6, 4]), (16, [0, 4, 4])):
        want = hf_axis_map(dim, section, True, False)
        _, rows = csv_rows(run(posenc, ["freqs", "--dim", str(dim), "--mrope-section", ",".join(map(str, section)),
                                        "--mrope-interleaved", "true"]).stdout)
        got = "".join(r[3] for r in rows)
        expect(got == want, f"dim {dim} {section}: {got}, transformers' rule gives {want}")
        out.append(f"dim {dim} {section} interleaved: {got}")
    return out


def check_errors(posenc, data):
    out = []

    def refused(args, needle):
        p = run(posenc, args, want_rc=2)
        expect(p.stdout == "", f"{' '.join(args)}: wrote to stdout")
        expect(needle in p.stderr, f"{' '.join(args)}: message {p.stderr.strip()!r} lacks {needle!r}")
        out.append(f"refused: {' '.join(a if len(a) < 40 else '...' + a[-30:] for a in args)}")

    refused(["freqs", "--dim", "128", "--mrope-section", "16,24,23"], "--mrope-section")
    refused(["freqs", "--dim", "128", "--mrope-section", "16,24"], "--mrope-section")
    refused(["freqs", "--dim", "128", "--mrope-interleaved", "true"], "--mrope-interleaved")
    q35 = os.path.join(data, "configs", "qwen3.5-27b.json")
    refused(["freqs", "--config", q35, "--partial-rotary-factor", "1"], "rope_parameters.mrope_section")
    q25 = os.path.join(data, "configs", "qwen2.5-vl-7b-instruct.json")
    with open(q25) as f:
        cfg = json.load(f)
    cfg["rope_scaling"]["mrope_section"] = [16, 24, 25]
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad_section.json")
        with open(bad, "w") as f:
            json.dump(cfg, f)
        refused(["freqs", "--config", bad], "rope_scaling.mrope_section")
        refused(["inspect", "--config", bad], "rope_scaling.mrope_section")
    refused(["decay", "--quantity", "b-sum", "--config", q25, "--axis", "y", "--distances", "0:3"], "--axis")
    refused(["decay", "--quantity", "b-sum", "--dim", "64", "--axis", "t", "--distances", "0:3"], "--axis")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--posenc", required=True)
    p.add_argument("--data", required=True)
    a = p.parse_args()
    passed = failed = 0

    def attempt(name, fn, *args):
        nonlocal passed, failed
        try:
            result = fn(*args)
            for line in result if isinstance(result, list) else [result]:
                print(f"ok   {name}: {line}")
            passed += 1
        except Failure as e:
            print(f"FAIL {name}: {e}")
            failed += 1

    for name, glm in CONFIGS.items():
        path = os.path.join(a.data, "configs", name)
        attempt("freqs", check_freqs, a.posenc, path, glm)
        attempt("inspect", check_inspect, a.posenc, path, glm)
        attempt("decay", check_decay, a.posenc, path, glm)
    attempt("short cycle", check_short_cycle, a.posenc)
    attempt("errors", check_errors, a.posenc, a.data)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
