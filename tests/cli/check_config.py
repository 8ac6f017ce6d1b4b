#!/usr/bin/python3
"""End-to-end check of `posenc freqs --config` on real model configs (tests/data/configs/*.json)
against tests/data/config_tables.json, which scripts/gen_config_tables.py computes from Hugging Face
transformers' rules in exact arithmetic (mpmath), independently of posenc.

For each config and each layer type it lists ("" = the config has one rope setting), this runs
`posenc freqs --config tests/data/configs/X.json [--layer-type T]` and checks:
- exit status 0;
- the metadata lines `# dim: N` (the head size) and `# rotary_dim: N` (exact), `# attention_factor: V` and, in the
  CSV rows `pair,theta,wavelength`, every theta_i: within 1 ulp of the double nearest the exact value
  (distance counted in representable doubles; the error in ulps is computed exactly with mpmath);
- one row per pair, pairs numbered 0, 1, ...; the wavelength 2 pi / theta_i to 1e-13 relative (inf for
  a zero theta, as proportional RoPE has);
- `# layout:` and `# rope_type:` when posenc prints them.

Prints one line per config/layer with the largest theta error in ulps, and last `N passed, M failed`;
exits 1 if anything failed, 2 on a usage error.

With --bad it checks tests/data/configs_bad/ instead: every file there must make posenc exit 2 with an
empty stdout and a message on stderr that names the file and the key expected.json gives for it
(`FILE: KEY: reason`; "" = a file-level error, only the file name is required).

Usage: check_config.py --posenc BIN --data tests/data [--only NAME] [--bad]
"""
import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile

import mpmath

mpmath.mp.dps = 60


from ulp_common import Failure, expect, expect_near_measured, parse_float, ulp_error, ulp_steps  # noqa: E402


def parse_output(out):
    """(metadata dict, CSV header, rows) of a posenc CSV: '# key: value' lines, then the header."""
    meta, body = {}, []
    for line in out.splitlines():
        if line.startswith("#"):
            if ":" in line:
                k, v = line[1:].split(":", 1)
                meta[k.strip()] = v.strip()
        elif line.strip():
            body.append(line)
    expect(body, "no CSV header")
    return meta, body[0].split(","), [r.split(",") for r in body[1:]]


def check_entry(posenc, config_path, layer_type, want):
    args = [posenc, "freqs", "--config", config_path]
    if layer_type:
        args += ["--layer-type", layer_type]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, f"exit status {p.returncode}, stderr: {p.stderr[-1000:].strip()}")
    meta, header, rows = parse_output(p.stdout)
    for key, line in (("head_dim", "dim"), ("rotary_dim", "rotary_dim")):
        expect(line in meta, f"metadata line '# {line}:' missing")
        expect(meta[line] == str(want[key]), f"{key} {meta[line]}, expected {want[key]}")
    expect("attention_factor" in meta, "metadata line '# attention_factor:' missing")
    att = parse_float(meta["attention_factor"], "attention_factor")
    expect(ulp_steps(att, want["attention_factor"]) <= 1,
           f"attention_factor {meta['attention_factor']}, expected {want['attention_factor']} "
           f"({float(ulp_error(att, want['attention_factor'])):.3g} ulp)")
    # 0.1978 ulp measured over every config (g++): a doubled error fails
    expect_near_measured(ulp_error(att, want["attention_factor"]), 0.1978, "attention_factor error in ulps")
    for key, line in (("layout", "layout"), ("rope_type", "variant")):
        expect(line in meta, f"metadata line '# {line}:' missing")
        expect(meta[line] == want[key], f"{key} {meta[line]}, expected {want[key]}")
    # M-RoPE configs add an axis column (checked by tests/cli/check_mrope.py)
    mrope = "mrope_section" in meta and meta["mrope_section"] not in ("", "-")
    expect(header == ["pair", "theta", "wavelength"] + (["axis"] if mrope else []), f"header {header}")
    th = want["theta"]
    expect(len(rows) == len(th), f"{len(rows)} rows, expected {len(th)} (one per pair)")
    worst = mpmath.mpf(0)
    for i, row in enumerate(rows):
        expect(len(row) == len(header), f"row {i}: {row}")
        expect(row[0] == str(i), f"row {i}: pair {row[0]}")
        got = parse_float(row[1], f"pair {i} theta")
        err = ulp_error(got, th[i])
        worst = max(worst, err)
        expect(ulp_steps(got, th[i]) <= 1, f"pair {i}: theta {row[1]}, expected {th[i]} ({float(err):.3g} ulp)")
        # 0.499 ulp measured over every config (g++): a doubled error fails
        expect_near_measured(err, 0.499, f"pair {i}: theta error in ulps")
        wl = parse_float(row[2], f"pair {i} wavelength")
        if mpmath.mpf(th[i]) == 0:
            expect(math.isinf(wl) and wl > 0, f"pair {i}: wavelength {row[2]} of a zero theta, expected inf")
        else:
            exact = 2 * mpmath.pi / mpmath.mpf(th[i])
            expect(abs(wl - exact) <= mpmath.mpf("1e-13") * exact,
                   f"pair {i}: wavelength {row[2]}, expected {mpmath.nstr(exact, 17)}")
    return worst


def check_bad(posenc, path, key):
    p = subprocess.run([posenc, "freqs", "--config", path], capture_output=True, text=True, timeout=120)
    expect(p.returncode == 2, f"exit status {p.returncode}, expected 2; stderr: {p.stderr[-500:].strip()}")
    expect(p.stdout == "", f"wrote to stdout on error: {p.stdout[:200]!r}")
    expect(os.path.basename(path) in p.stderr, f"message does not name the file: {p.stderr.strip()[:300]!r}")
    expect(key in p.stderr, f"message does not name {key!r}: {p.stderr.strip()[:300]!r}")
    return p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""


def main_bad(a):
    bad = os.path.join(a.data, "configs_bad")
    with open(os.path.join(bad, "expected.json")) as f:
        expected = json.load(f)
    passed = failed = 0
    for name, key in sorted(expected.items()):
        if a.only and name != a.only:
            continue
        try:
            msg = check_bad(a.posenc, os.path.join(bad, name), key)
        except (Failure, subprocess.TimeoutExpired, OSError) as e:
            print(f"{name}: FAILED: {e}")
            failed += 1
            continue
        print(f"{name}: ok, refused: {msg[:160]}")
        passed += 1
    # 100 MB files (scripts/gen_big_config.py, made here, not checked in): refused at file level
    gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "gen_big_config.py")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("padded", "unclosed"):
            big = os.path.join(tmp, f"big_{kind}.json")
            subprocess.run([sys.executable, gen, big, "--kind", kind, "--mb", "100"], check=True)
            try:
                msg = check_bad(a.posenc, big, "bytes")
            except (Failure, subprocess.TimeoutExpired, OSError) as e:
                print(f"100 MB {kind}: FAILED: {e}")
                failed += 1
                continue
            print(f"100 MB {kind}: ok, refused: {msg[:160]}")
            passed += 1
            os.remove(big)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


def run_freqs(posenc, args):
    p = subprocess.run([posenc, "freqs"] + args, capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, f"freqs {' '.join(args)}: exit status {p.returncode}, stderr: {p.stderr[-500:].strip()}")
    return parse_output(p.stdout)


def theta_of(rows, i):
    return parse_float(rows[i][1], f"pair {i} theta")


def check_overrides(posenc, data):
    """Options given on the command line override the config; the metadata says where each came from."""
    mpmath.mp.dps = 60
    cfg = lambda n: os.path.join(data, "configs", n)
    # the metadata: config path, its SHA-256 (hashlib), and the sources
    path = cfg("llama-3.1-8b.json")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    meta, _, rows = run_freqs(posenc, ["--config", path, "--factor", "16"])
    expect(meta.get("config_sha256") == digest, f"config_sha256 {meta.get('config_sha256')}, expected {digest}")
    expect(meta.get("config") == path, f"config {meta.get('config')}")
    src = meta.get("parameter_sources", "")
    expect("factor=command line --factor" in src, f"factor's source: {src}")
    expect("base=config rope_theta" in src, f"base's source: {src}")
    expect(meta.get("factor") == "16", f"factor {meta.get('factor')}")
    # llama3 (transformers _compute_llama3_parameters): the lowest pair has wavelength > 8192, so theta/16
    last = 63
    want = mpmath.mpf(500000) ** (-mpmath.mpf(2 * last) / 128) / 16
    expect(ulp_steps(theta_of(rows, last), want) <= 1, f"--factor 16: theta_63 {rows[last][1]}, expected {want}")
    # --base overrides rope_theta
    meta, _, rows = run_freqs(posenc, ["--config", cfg("llama-3-8b-instruct.json"), "--base", "10000"])
    want = mpmath.mpf(10000) ** (-mpmath.mpf(2) / 128)
    expect(ulp_steps(theta_of(rows, 1), want) <= 1, f"--base 10000: theta_1 {rows[1][1]}, expected {want}")
    # --dim overrides head_dim (and so the rotated dims)
    meta, _, rows = run_freqs(posenc, ["--config", cfg("qwen3-4b.json"), "--dim", "64"])
    expect(meta.get("rotary_dim") == "64" and len(rows) == 32, f"--dim 64: rotary_dim {meta.get('rotary_dim')}, {len(rows)} rows")
    want = mpmath.mpf(1000000) ** (-mpmath.mpf(2 * 5) / 64)
    expect(ulp_steps(theta_of(rows, 5), want) <= 1, f"--dim 64: theta_5 {rows[5][1]}, expected {want}")
    # --variant and --layout override the config's rope type and layout
    meta, _, rows = run_freqs(posenc, ["--config", path, "--variant", "default", "--layout", "interleaved"])
    expect(meta.get("variant") == "default" and meta.get("layout") == "interleaved", f"variant/layout {meta}")
    want = mpmath.mpf(500000) ** (-mpmath.mpf(2 * last) / 128)
    expect(ulp_steps(theta_of(rows, last), want) <= 1, f"--variant default: theta_63 {rows[last][1]}, expected {want}")
    # --precision 50 reads the config's numbers at that precision: relative error below 2^-160
    p = subprocess.run([posenc, "freqs", "--config", cfg("deepseek-v3.json"), "--precision", "50"], capture_output=True,
                       text=True, timeout=120)
    expect(p.returncode == 0, f"--precision 50: exit {p.returncode}: {p.stderr[-300:]}")
    _, _, rows = parse_output(p.stdout)
    want = mpmath.mpf(10000) ** (-mpmath.mpf(2) / 64)  # pair 1 of DeepSeek-V3 is above the YaRN ramp: unscaled
    got = mpmath.mpf(rows[1][1])
    expect(abs(got - want) <= want * mpmath.mpf(2) ** -160, f"--precision 50: theta_1 {rows[1][1]}, expected {want}")
    # --layer-type on a one-kind model, and --layer-type without --config, are errors
    for args in (["--config", path, "--layer-type", "sliding_attention"], ["--layer-type", "full_attention"]):
        q = subprocess.run([posenc, "freqs"] + args, capture_output=True, text=True, timeout=120)
        expect(q.returncode == 2 and q.stdout == "" and "layer" in q.stderr, f"{args}: exit {q.returncode}, {q.stderr!r}")


def main():
    ap = argparse.ArgumentParser(description="posenc freqs --config against tests/data/config_tables.json")
    ap.add_argument("--posenc", required=True, help="the posenc binary")
    ap.add_argument("--data", required=True, help="tests/data (config_tables.json and configs/)")
    ap.add_argument("--only", help="check only this config file name")
    ap.add_argument("--bad", action="store_true", help="check the refusals of tests/data/configs_bad/")
    ap.add_argument("--overrides", action="store_true", help="check command-line overrides of a config")
    a = ap.parse_args()
    if a.bad:
        return main_bad(a)
    if a.overrides:
        try:
            check_overrides(a.posenc, a.data)
        except (Failure, subprocess.TimeoutExpired, OSError) as e:
            print(f"overrides: FAILED: {e}")
            print("0 passed, 1 failed")
            return 1
        print("overrides: ok\n1 passed, 0 failed")
        return 0
    with open(os.path.join(a.data, "config_tables.json")) as f:
        tables = json.load(f)
    passed = failed = 0
    for name, layers in sorted(tables["configs"].items()):
        if a.only and name != a.only:
            continue
        path = os.path.join(a.data, "configs", name)
        for layer_type, want in sorted(layers.items()):
            label = name + (f" [{layer_type}]" if layer_type else "")
            try:
                worst = check_entry(a.posenc, path, layer_type, want)
            except (Failure, subprocess.TimeoutExpired, OSError) as e:
                print(f"{label}: FAILED: {e}")
                failed += 1
                continue
            print(f"{label}: ok, {len(want['theta'])} pairs, max theta error {float(worst):.3f} ulp")
            passed += 1
    for name, reason in sorted(tables.get("skipped", {}).items()):
        print(f"{name}: not checked (skipped by the generator: {reason})")
    if passed + failed == 0:
        print("no entry checked", file=sys.stderr)
        return 2
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
