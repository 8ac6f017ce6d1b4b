#!/usr/bin/python3
"""End-to-end check of `posenc inspect` on real model configs (tests/data/configs/*.json) against
values computed here, independently of posenc, from tests/data/config_tables.json (the exact theta of
scripts/gen_config_tables.py, HF transformers' rules in mpmath) and from the config files themselves.

For each config and each layer type the tables list, `posenc inspect --config X [--layer-type T]
--format json` must exit 0 and report, for that layer:
- rope_type, head_dim, rotary_dim, layout: as the table (exact); pairs = the table's theta count,
  rotating_pairs = its non-zero ones;
- attention_factor: within 1 ulp of the double nearest the table's exact value;
- theta_max, theta_min: within 1 ulp of the largest / smallest non-zero table theta;
- max_position_embeddings: the table's, and the config file's own max_position_embeddings /
  n_positions / seq_length (text_config or llm_config first) when the file states one;
  original_context: the table's original_max_position_embeddings if the resolved rope parameters give
  one, else max_position_embeddings; and the same resolved from the file (llama3, yarn, longrope/su:
  the text model's top-level original_max_position_embeddings, else the rope dict's, else
  max_position_embeddings; every other rope type: max_position_embeddings);
- full_turns_within_original / full_turns_within_max: the pairs with 2 pi / theta_i <= L (mpmath, 60
  digits, table theta; L = original_context / max_position_embeddings as reported);
- first_negative_b: Men et al. 2024 ("Base of RoPE Bounds Context Length"), eq. 10: the first integer
  m in [0, max_position_embeddings] with B_m = sum_i cos(m theta_i) < 0, -1 if none; B_m in float64
  with numpy, vectorised over m in chunks, and every m with |B_m| < 1e-6 decided with mpmath at 40
  digits from the table theta. Must equal posenc's exactly; context_reaches_max = (it is -1);
- fp32_product_phase_error_at_max: max over pairs of |fl32(fl32(m) * fl32(theta_i^HF32)) - m theta_i|
  at m = max_position_embeddings, theta_i^HF32 as experiments/cli/pipelines.hpp (float_pipelines)
  forms it: rope type default: 1 / fl32(pow(double(fl32(base)), double(fl32(2i) / fl32(rotary_dim))))
  (float32 division, C pow in double, rounded to float32), otherwise the exact theta rounded to
  float32; float32 arithmetic by numpy; the exact m theta_i in mpmath. Agreement to 1e-6 relative.
Also:
- `--format text` exits 0 and has a `layer type: NAME` line for every layer type ("(every layer)" for
  a model with one); with `--layer-type T` only T's, in both formats;
- a config with several layer types and no --layer-type (the real multi-layer configs and
  tests/data/configs_bad/needs_layer_type.json, which freqs refuses) shows every layer, exit 0;
- `--layer-type` naming no layer of the model exits 2 with nothing on stdout;
- every other tests/data/configs_bad/*.json (expected.json aside) exits 2 with nothing on stdout.

Prints one line per check and last `N passed, M failed`; exits 1 if anything failed, 2 on a usage
error. A disagreement is a failure: tolerances are not to be loosened to make posenc pass.

Usage: check_inspect.py --posenc BIN --data tests/data [--only NAME]
"""
import argparse
import glob
import json
import math
import os
import subprocess
import sys

import mpmath
import numpy as np

mpmath.mp.dps = 60

B_UNDECIDED = 1e-6  # |B_m| below this in float64: decided in mpmath
B_DIGITS = 40
CHUNK = 4096        # positions per numpy chunk
FP32_REL = 1e-6


from ulp_common import Failure, expect, expect_near_measured, nearest_double, ordered  # noqa: E402


def within_ulp(got, want_exact, ulps=1):
    return isinstance(got, (int, float)) and not isinstance(got, bool) and \
        abs(ordered(float(got)) - ordered(nearest_double(want_exact))) <= ulps


def to_float32(x):
    """The float32 nearest the real x (ties to even), as a numpy float32; x must be a normal float32."""
    with mpmath.workprec(24):
        r = +mpmath.mpf(x)  # rounds to 24 significand bits, nearest even
    f = np.float32(float(r))  # exact: r has 24 bits
    expect(np.isfinite(f) and (f == 0 or abs(f) >= np.finfo(np.float32).tiny),
           f"{x}: outside float32's normal range")
    return f


# ---------------------------------------------------------------------------------------------------
# Independent values
# ---------------------------------------------------------------------------------------------------

def text_scope(cfg):
    """The dicts holding the text model's keys, innermost first (text_config / llm_config, then the top)."""
    for sub in ("text_config", "llm_config"):
        if isinstance(cfg.get(sub), dict):
            return [cfg[sub], cfg]
    return [cfg]


def lookup(scopes, key):
    for s in scopes:
        if s.get(key) is not None:
            return s[key]
    return None


def file_max_positions(cfg):
    """max_position_embeddings as the file states it (GPT-J n_positions, ChatGLM seq_length), or None."""
    scopes = text_scope(cfg)
    for key in ("max_position_embeddings", "n_positions", "seq_length"):
        v = lookup(scopes, key)
        if v is not None:
            return int(v)
    return None


def file_original(cfg, rope_type, max_pos, per_layer_dict):
    """The original context from the file: llama3 / yarn / longrope read original_max_position_embeddings
    (the text model's top-level one overwrites the rope dict's, transformers standardize_rope_params;
    not for per-layer dicts), default max_position_embeddings; other rope types: max_position_embeddings."""
    if rope_type not in ("llama3", "yarn", "longrope"):
        return max_pos
    scopes = text_scope(cfg)
    top = lookup(scopes, "original_max_position_embeddings")
    if top is not None and per_layer_dict is None:
        return int(top)
    d = per_layer_dict
    if d is None:
        d = lookup(scopes, "rope_scaling") or lookup(scopes, "rope_parameters") or {}
    if d.get("original_max_position_embeddings") is not None:
        return int(d["original_max_position_embeddings"])
    return max_pos


def full_turns(theta, L):
    """Pairs whose wavelength 2 pi / theta_i is at most L (exact)."""
    return sum(1 for t in theta if t > 0 and 2 * mpmath.pi / t <= L)


def b_exact(theta, m):
    with mpmath.workdps(B_DIGITS):
        mm = mpmath.mpf(m)
        return mpmath.fsum(mpmath.cos(mm * mpmath.mpf(t)) for t in theta)


def first_negative_b(theta_text, max_pos):
    """(first m in [0, max_pos] with B_m < 0 or -1, how many m were decided in mpmath)."""
    th = np.array([float(t) for t in theta_text], dtype=np.float64)
    decided = 0
    for start in range(0, max_pos + 1, CHUNK):
        m = np.arange(start, min(start + CHUNK, max_pos + 1), dtype=np.float64)
        b = np.cos(np.outer(m, th)).sum(axis=1)
        for k in np.nonzero(b < B_UNDECIDED)[0]:
            mi = int(m[k])
            if b[k] <= -B_UNDECIDED:
                return mi, decided
            decided += 1
            if b_exact(theta_text, mi) < 0:
                return mi, decided
    return -1, decided


def fp32_phase_error(want, m):
    """max_i |fl32(fl32(m) * theta_i^HF32) - m theta_i| (see the module comment)."""
    theta = want["theta"]
    rd = want["rotary_dim"]
    fm = np.float32(m)
    expect(int(fm) == m, f"position {m} is not exact in float32")
    if want["rope_type"] == "default":
        base_f = to_float32(want["base"])
        inv = []
        for i in range(len(theta)):
            e = np.float32(2 * i) / np.float32(rd)
            p = np.float32(math.pow(float(base_f), float(e)))
            inv.append(np.float32(1) / p)
    else:
        inv = [to_float32(t) for t in theta]
    worst = mpmath.mpf(0)
    for i, t in enumerate(theta):
        a = fm * inv[i]
        expect(a.dtype == np.float32, "numpy did not multiply in float32")
        worst = max(worst, abs(mpmath.mpf(float(a)) - m * mpmath.mpf(t)))
    return worst


# ---------------------------------------------------------------------------------------------------
# Running posenc
# ---------------------------------------------------------------------------------------------------

def run(posenc, config, layer_type=None, fmt="json"):
    args = [posenc, "inspect", "--config", config, "--format", fmt]
    if layer_type is not None:
        args += ["--layer-type", layer_type]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def run_json(posenc, config, layer_type=None):
    p = run(posenc, config, layer_type)
    expect(p.returncode == 0, f"exit status {p.returncode}, stderr: {p.stderr[-1000:].strip()}")
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise Failure(f"stdout is not JSON ({e}): {p.stdout[:200]!r}")


def layers_by_name(report):
    expect(isinstance(report.get("layers"), list), "no 'layers' list")
    out = {}
    for l in report["layers"]:
        expect(l.get("layer_type") not in out, f"layer type {l.get('layer_type')!r} twice")
        out[l.get("layer_type")] = l
    return out


def text_layer_names(stdout):
    names = []
    for line in stdout.splitlines():
        if line.startswith("layer type: "):
            n = line[len("layer type: "):].strip()
            names.append("" if n == "(every layer)" else n)
    return names


# ---------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------

def check_layer(got, want, cfg, layer_type, cache):
    """Compares one layer of posenc's JSON with the independent values; returns a summary."""
    for key in ("rope_type", "head_dim", "rotary_dim", "layout"):
        expect(got.get(key) == want[key], f"{key} {got.get(key)!r}, expected {want[key]!r}")
    theta = want["theta"]
    nonzero = [mpmath.mpf(t) for t in theta if mpmath.mpf(t) != 0]
    expect(got.get("pairs") == len(theta), f"pairs {got.get('pairs')}, expected {len(theta)}")
    expect(got.get("rotating_pairs") == len(nonzero), f"rotating_pairs {got.get('rotating_pairs')}, expected {len(nonzero)}")
    expect(within_ulp(got.get("attention_factor"), want["attention_factor"]),
           f"attention_factor {got.get('attention_factor')!r}, expected {want['attention_factor']} (1 ulp)")
    expect(within_ulp(got.get("theta_max"), max(nonzero)),
           f"theta_max {got.get('theta_max')!r}, expected {mpmath.nstr(max(nonzero), 20)} (1 ulp)")
    expect(within_ulp(got.get("theta_min"), min(nonzero)),
           f"theta_min {got.get('theta_min')!r}, expected {mpmath.nstr(min(nonzero), 20)} (1 ulp)")

    # context lengths: the table's resolution and the file's own keys
    max_pos = want["max_position_embeddings"]
    original = want["original_max_position_embeddings"] or max_pos
    expect(got.get("max_position_embeddings") == max_pos,
           f"max_position_embeddings {got.get('max_position_embeddings')!r}, expected {max_pos} (table)")
    expect(got.get("original_context") == original,
           f"original_context {got.get('original_context')!r}, expected {original} (table)")
    file_max = file_max_positions(cfg)
    if file_max is not None:
        expect(got["max_position_embeddings"] == file_max,
               f"max_position_embeddings {got['max_position_embeddings']}, the config file says {file_max}")
    per_layer = None
    if layer_type:
        d = lookup(text_scope(cfg), "rope_parameters")
        if isinstance(d, dict) and isinstance(d.get(layer_type), dict):
            per_layer = d[layer_type]
    file_orig = file_original(cfg, want["rope_type"], got["max_position_embeddings"], per_layer)
    expect(got["original_context"] == file_orig,
           f"original_context {got['original_context']}, the config file gives {file_orig}")

    for key, L in (("full_turns_within_original", got["original_context"]),
                   ("full_turns_within_max", got["max_position_embeddings"])):
        n = full_turns(nonzero, L)
        expect(got.get(key) == n, f"{key} {got.get(key)!r}, expected {n} (L = {L})")

    key = (tuple(theta), max_pos)
    if key not in cache:
        cache[key] = first_negative_b(theta, max_pos)
    fnb, decided = cache[key]
    expect(got.get("first_negative_b") == fnb, f"first_negative_b {got.get('first_negative_b')!r}, expected {fnb}")
    expect(got.get("context_reaches_max") is (fnb < 0),
           f"context_reaches_max {got.get('context_reaches_max')!r}, expected {fnb < 0}")

    err = fp32_phase_error(want, max_pos)
    g = got.get("fp32_product_phase_error_at_max")
    expect(isinstance(g, (int, float)) and not isinstance(g, bool), f"fp32_product_phase_error_at_max {g!r}")
    expect(abs(mpmath.mpf(g) - err) <= FP32_REL * max(err, mpmath.mpf(2) ** -1074),
           f"fp32_product_phase_error_at_max {g!r}, expected {mpmath.nstr(err, 17)} (1e-6 relative)")
    # 1.163e-9 relative measured over every config (g++): a doubled error fails
    expect_near_measured(abs(mpmath.mpf(g) - err) / max(err, mpmath.mpf(2) ** -1074), 1.163e-9,
                         "fp32_product_phase_error_at_max, relative error")
    return f"first_negative_b {fnb} ({decided} m decided in mpmath), fp32 phase error {mpmath.nstr(err, 6)} rad"


def check_config(posenc, path, entries, cfg, cache, results):
    name = os.path.basename(path)
    names = sorted(entries)
    multi = len(names) > 1 or names != [""]
    per_layer_reports = {}
    for lt in names:
        label = f"{name} [{lt}]" if lt else name

        def one():
            rep = run_json(posenc, path, lt if multi else None)
            got = layers_by_name(rep)
            expect(list(got) == [lt], f"layers {list(got)}, expected only {lt!r}")
            per_layer_reports[lt] = got[lt]
            return check_layer(got[lt], entries[lt], cfg, lt, cache)
        results.record(label + ": json", one)

    def text_all():
        p = run(posenc, path, fmt="text")
        expect(p.returncode == 0, f"exit status {p.returncode}, stderr: {p.stderr[-500:].strip()}")
        shown = text_layer_names(p.stdout)
        expect(sorted(shown) == names, f"text names layer types {shown}, expected {names}")
        return f"names {shown}"
    results.record(name + ": text", text_all)

    if multi:
        def all_layers():
            got = layers_by_name(run_json(posenc, path))
            expect(sorted(got) == names, f"without --layer-type: layers {sorted(got)}, expected {names}")
            for lt in names:
                if lt in per_layer_reports:
                    expect(got[lt] == per_layer_reports[lt], f"layer {lt}: differs from the --layer-type {lt} run")
            return f"every layer ({', '.join(names)}) shown, as with --layer-type"
        results.record(name + ": json, every layer", all_layers)

        for lt in names:
            def text_one(lt=lt):
                p = run(posenc, path, lt, fmt="text")
                expect(p.returncode == 0, f"exit status {p.returncode}, stderr: {p.stderr[-500:].strip()}")
                shown = text_layer_names(p.stdout)
                expect(shown == [lt], f"text with --layer-type {lt} names {shown}")
                return f"only {lt}"
            results.record(f"{name} [{lt}]: text", text_one)

        def no_such_layer():
            p = run(posenc, path, "no_such_layer")
            expect(p.returncode == 2, f"--layer-type no_such_layer: exit status {p.returncode}, expected 2")
            expect(p.stdout == "", f"--layer-type no_such_layer: wrote to stdout {p.stdout[:200]!r}")
            return "refused: " + (p.stderr.strip().splitlines() or [""])[-1][:120]
        results.record(name + ": unknown --layer-type", no_such_layer)


def check_bad(posenc, data, results):
    bad = os.path.join(data, "configs_bad")
    with open(os.path.join(bad, "expected.json")) as f:
        listed = set(json.load(f))
    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(bad, "*.json")))
    files = [f for f in files if f != "expected.json"]

    def listing():
        expect(set(files) == listed, f"configs_bad/*.json {sorted(set(files) ^ listed)} not in both the "
                                     "directory and expected.json")
        return f"{len(files)} files"
    results.record("configs_bad: listing", listing)

    for name in files:
        path = os.path.join(bad, name)
        if name == "needs_layer_type.json":
            def several():
                got = layers_by_name(run_json(posenc, path))
                expect(sorted(got) == ["full_attention", "sliding_attention"], f"layers {sorted(got)}")
                p = run(posenc, path, fmt="text")
                expect(p.returncode == 0, f"text: exit status {p.returncode}, stderr: {p.stderr[-500:].strip()}")
                shown = text_layer_names(p.stdout)
                expect(sorted(shown) == ["full_attention", "sliding_attention"], f"text names {shown}")
                return "every layer shown (freqs needs --layer-type; inspect does not)"
            results.record(f"configs_bad/{name}", several)
            continue

        def refused(path=path):
            for fmt in ("json", "text"):
                p = run(posenc, path, fmt=fmt)
                expect(p.returncode == 2, f"--format {fmt}: exit status {p.returncode}, expected 2; "
                                          f"stderr: {p.stderr[-300:].strip()}")
                expect(p.stdout == "", f"--format {fmt}: wrote to stdout: {p.stdout[:200]!r}")
                expect(p.stderr.strip(), f"--format {fmt}: no message on stderr")
            return "refused: " + p.stderr.strip().splitlines()[-1][:120]
        results.record(f"configs_bad/{name}", refused)


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def record(self, label, fn):
        try:
            what = fn()
        except (Failure, subprocess.TimeoutExpired, OSError, KeyError, ValueError, TypeError) as e:
            print(f"{label}: FAILED: {type(e).__name__ + ': ' if not isinstance(e, Failure) else ''}{e}", flush=True)
            self.failed += 1
            return
        print(f"{label}: ok, {what}", flush=True)
        self.passed += 1


def main():
    ap = argparse.ArgumentParser(description="posenc inspect against independent values")
    ap.add_argument("--posenc", required=True, help="the posenc binary")
    ap.add_argument("--data", required=True, help="tests/data (config_tables.json, configs/, configs_bad/)")
    ap.add_argument("--only", help="check only this config file name (and skip configs_bad)")
    a = ap.parse_args()
    with open(os.path.join(a.data, "config_tables.json")) as f:
        tables = json.load(f)
    results = Results()
    cache = {}

    def coverage():
        files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a.data, "configs", "*.json")))
        missing = [f for f in files if f not in tables["configs"]]
        expect(not missing, f"configs without a table entry (regenerate with scripts/gen_config_tables.py): {missing}")
        return f"{len(files)} configs, each in the tables"
    if not a.only:
        results.record("configs: coverage", coverage)

    for name, entries in sorted(tables["configs"].items()):
        if a.only and name != a.only:
            continue
        path = os.path.join(a.data, "configs", name)
        with open(path) as f:
            cfg = json.load(f)
        check_config(a.posenc, path, entries, cfg, cache, results)
    if not a.only:
        check_bad(a.posenc, a.data, results)
    if results.passed + results.failed == 0:
        print("nothing checked", file=sys.stderr)
        return 2
    print(f"{results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
