#!/usr/bin/python3
"""Reference RoPE frequencies for the model configs in tests/data/configs/ (checked by
tests/cli/check_config.py against `posenc freqs --config`), written from Hugging Face transformers'
rules, not from posenc's C++.

Regenerate: /usr/bin/python3 scripts/gen_config_tables.py
            (reads tests/data/configs/*.json, writes tests/data/config_tables.json)

Semantics
- HF's rules evaluated EXACTLY in real arithmetic (mpmath, mp.dps = 60; results written with 40
  significant digits): no float32 anywhere. Each config number is the value Python's json gives it
  (an int, or a double taken exactly). Integer steps HF does in Python (int(head_dim * factor),
  floor/ceil of the YaRN correction range) are done on the exact values.
- Frequencies at init time (seq_len not given): dynamic NTK is then the unscaled default, LongRoPE
  uses short_factor.
- One entry per layer type the config has ("" when it has one rope setting for all layers).
- theta: one value per pair of the rotated block, in pair order (for `proportional`, HF's inv_freq
  has head_dim/2 entries, the tail being zeros that rotate nothing: they are listed, and rotary_dim
  is then head_dim).

Sources (cited next to each rule below):
- [R]    huggingface transformers src/transformers/modeling_rope_utils.py, newest copy found:
         fwerkor/transformers@ff9206d01bde3d1077f34fedae9015d5f8aff2a6 (fork tracking main):
         _compute_{linear_scaling,dynamic_ntk,yarn,longrope,llama3,proportional}_rope_parameters,
         RotaryEmbeddingConfigMixin.convert_rope_params_to_dict / standardize_rope_params.
- [M]    the models' own files (per-model compute_default_rope_parameters, configuration defaults,
         apply_rotary_pos_emb), cited per family in FAMILIES.
- [CGLM] THUDM's published modeling_chatglm.py (ChatGLM3 / GLM-4 custom code), vendored next to the
         glm-4-9b-chat config: sophgo/LLM-TPU@98a23afe061b7692c3c714d96656862fad20f352
         models/GLM4/compile/files/glm-4-9b-chat/modeling_chatglm.py (RotaryEmbedding.forward_impl,
         apply_rotary_pos_emb, ChatGLMModel.__init__).
Notes on every rule: /work/notes/hf_rules.md (copied into the report of the session that wrote this).
"""
import argparse
import glob
import json
import os
import sys

from mpmath import ceil, floor, log, mp, mpf, pi, sqrt

mp.dps = 60
DIGITS = 40
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATED_BY = "/usr/bin/python3 scripts/gen_config_tables.py"


class Unresolvable(Exception):
    """The config cannot be turned into frequencies by HF's rules; the message says why."""


def s(x):
    """x with DIGITS significant digits; integers (0 included) written as integers."""
    x = mpf(x)
    if x == floor(x) and abs(x) < mpf(2) ** 64:
        return str(int(x))
    return mp.nstr(x, DIGITS, strip_zeros=False, min_fixed=-5, max_fixed=5)


def number(d, key, where):
    """A JSON number (int or double, never bool/str), as an exact mpf."""
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Unresolvable(f"{where}{key}: not a number ({v!r})")
    x = mpf(v)
    if not mp.isfinite(x):
        raise Unresolvable(f"{where}{key}: not finite")
    return x


def integer(d, key, where):
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int) and not (isinstance(v, float) and v.is_integer()):
        raise Unresolvable(f"{where}{key}: not an integer ({v!r})")
    return int(v)


# ---------------------------------------------------------------------------------------------------
# Model families: what each configuration_*.py / modeling_*.py contributes [M]
# ---------------------------------------------------------------------------------------------------
# default_theta: RotaryEmbeddingConfigMixin.default_theta = 10000.0 unless the config class overrides it [R].
# prf_default: the config class's default partial_rotary_factor (None: no such attribute).
# default_prf: whether the model's compute_default_rope_parameters applies partial_rotary_factor
#   (Llama-style ones use dim = head_dim: LlamaRotaryEmbedding.compute_default_rope_parameters).
# layout: pairing of the rotated dims as the model applies them.
HALF = "half-split"
INTER = "interleaved"
FAMILIES = {
    # modeling_llama.py: rotate_half (pairs (i, i + d/2)); LlamaConfig default_theta 10000.
    "llama": dict(layout=HALF, default_prf=False),
    "mistral": dict(layout=HALF, default_prf=False),          # modeling_mistral.py (Llama copy)
    "mixtral": dict(layout=HALF, default_prf=False),          # modeling_mixtral.py
    "qwen2": dict(layout=HALF, default_prf=False),            # modeling_qwen2.py
    "qwen3": dict(layout=HALF, default_prf=False),            # modeling_qwen3.py
    "gemma2": dict(layout=HALF, default_prf=False),           # modeling_gemma2.py
    # modeling_falcon.py rotate_half; FalconConfig.attribute_map n_head -> num_attention_heads;
    # FalconConfig defaults max_position_embeddings = 2048, rope_theta = 10000.
    "falcon": dict(layout=HALF, default_prf=False, aliases={"n_head": "num_attention_heads"},
                   defaults={"max_position_embeddings": 2048}),
    # modeling_gpt_neox.py: rotate_half on the first rotary_ndims dims; v5 GPTNeoXConfig maps the legacy
    # rotary_pct -> partial_rotary_factor (default 0.25), rotary_emb_base -> rope_theta.
    "gpt_neox": dict(layout=HALF, default_prf=True, prf_default=0.25,
                     aliases={"rotary_pct": "partial_rotary_factor", "rotary_emb_base": "rope_theta"}),
    # modeling_phi.py: PhiConfig partial_rotary_factor default 0.5, rotate_half on q_rot. The key
    # `rotary_dim` of old phi-msft configs is not read by HF.
    "phi": dict(layout=HALF, default_prf=True, prf_default=0.5),
    # modeling_phi3.py: partial_rotary_factor (default 1.0), rotate_half on q_rot; top-level
    # original_max_position_embeddings overrides the rope dict's ([R] standardize_rope_params).
    "phi3": dict(layout=HALF, default_prf=True, prf_default=1.0),
    "stablelm": dict(layout=HALF, default_prf=True, prf_default=0.25),  # modeling_stablelm.py
    # modular_glm4_moe.py: kwargs.setdefault("partial_rotary_factor", 0.5); GlmRotaryEmbedding;
    # `from ..gpt_neox.modeling_gpt_neox import apply_rotary_pos_emb` -> half-split on the rotary part.
    "glm4_moe": dict(layout=HALF, default_prf=True, prf_default=0.5),
    # modeling_glm4v.py apply_multimodal_rotary_pos_emb: cos[..., :d/2].repeat_interleave(2) and
    # rotate_half_llm (x[..., 0::2], x[..., 1::2]) -> interleaved pairs; partial_rotary_factor 0.5.
    "glm4v": dict(layout=INTER, default_prf=True, prf_default=0.5),
    # modeling_qwen2_5_vl.py: mrope (text positions t = h = w); Qwen2_5_VLConfig turns the legacy
    # rope type "mrope" into "default"; rotate_half with mrope_section chunks.
    "qwen2_5_vl": dict(layout=HALF, default_prf=False),
    "qwen3_vl_text": dict(layout=HALF, default_prf=False),   # modeling_qwen3_vl.py (interleaved mrope axes)
    # modeling_qwen3_5.py Qwen3_5TextRotaryEmbedding.compute_default_rope_parameters applies
    # partial_rotary_factor; rotate_half on the rotary part (Qwen3-Next style).
    "qwen3_5_text": dict(layout=HALF, default_prf=True, prf_default=0.25),
    # configuration_deepseek_v3.py: head_dim = qk_rope_head_dim; rope_interleave (default True) ->
    # modeling_deepseek_v3.py apply_rotary_pos_emb_interleave: checkpoint pairs (2i, 2i+1).
    "deepseek_v3": dict(layout=INTER, default_prf=False),
    # modeling_qwen3_moe.py: Llama-style rotate_half.
    "qwen3_moe": dict(layout=HALF, default_prf=False),
    # InternLM2 custom modeling_internlm2.py: InternLM2DynamicNTKScalingRotaryEmbedding "Copied from
    # LlamaDynamicNTKScalingRotaryEmbedding" (unscaled until seq_len > max_position_embeddings), rotate_half.
    "internlm2": dict(layout=HALF, default_prf=False),
    # modular_cohere.py: CohereRotaryEmbedding repeat_interleave(freqs, 2) + rotate_half on x[..., ::2],
    # x[..., 1::2] -> interleaved pairs.
    "cohere": dict(layout=INTER, default_prf=False),
    # modeling_gpt_oss.py _apply_rotary_emb: torch.chunk(x, 2) -> half-split.
    "gpt_oss": dict(layout=HALF, default_prf=False),
    # modeling_olmo3.py (transformers main/4.57): ONE Olmo3RotaryEmbedding (yarn) for every layer, rotate_half.
    "olmo3": dict(layout=HALF, default_prf=False),
    # modular_exaone4.py: one Exaone4RotaryEmbedding, applied only where `sliding_window is None or
    # is_sliding` (full_attention layers are NoPE); rotate_half.
    "exaone4": dict(layout=HALF, default_prf=False),
    # ministral3 (Mistral3 text model, transformers v5): Llama-style rotate_half.
    "ministral3": dict(layout=HALF, default_prf=False),
    # modeling_llama4.py apply_rotary_emb: view_as_complex(x.reshape(..., -1, 2)) -> interleaved pairs.
    "llama4_text": dict(layout=INTER, default_prf=False),
    # Kimi K2 ships DeepSeek-V3's modeling_deepseek.py (auto_map): apply_rotary_pos_emb de-interleaves
    # q.view(b, h, s, d // 2, 2).transpose(4, 3) -> interleaved; rope on qk_rope_head_dim.
    "kimi_k2": dict(layout=INTER, default_prf=False),
}


def text_part(cfg):
    """(model_type of the text model, the dict holding its keys): nested text_config for VLMs."""
    tc = cfg.get("text_config")
    if not isinstance(tc, dict):
        tc = cfg.get("llm_config")  # InternVL nests the LLM under llm_config
    if isinstance(tc, dict):
        return tc.get("model_type", cfg.get("model_type")), tc
    return cfg.get("model_type"), cfg


def head_dim_of(tc, where):
    """head_dim if present and non-null, else hidden_size // num_attention_heads ([R]: `getattr(config,
    "head_dim", None) or config.hidden_size // config.num_attention_heads`; the config classes set the
    attribute the same way)."""
    if tc.get("head_dim") is not None:
        return integer(tc, "head_dim", where)
    for k in ("hidden_size", "num_attention_heads"):
        if k not in tc:
            raise Unresolvable(f"{where}{k}: missing (and no head_dim)")
    h, n = integer(tc, "hidden_size", where), integer(tc, "num_attention_heads", where)
    if n <= 0 or h <= 0:
        raise Unresolvable(f"{where}hidden_size/num_attention_heads: not positive")
    return h // n


def rotary_dim_of(hd, prf):
    """int(head_dim * partial_rotary_factor) ([R]), on the exact values."""
    d = int(floor(mpf(hd) * prf))
    if d <= 0 or d > hd:
        raise Unresolvable(f"partial_rotary_factor {prf}: rotary dim {d} outside (0, {hd}]")
    if d % 2:
        raise Unresolvable(f"rotary dim {d} is odd")
    return d


def default_thetas(base, dim):
    """inv_freq = 1 / base^(arange(0, dim, 2) / dim) (every compute_default_rope_parameters [M])."""
    return [base ** (-mpf(2 * i) / dim) for i in range(dim // 2)]


# ---------------------------------------------------------------------------------------------------
# The rope types, one function each, as [R] ROPE_INIT_FUNCTIONS (+ the per-model default)
# ---------------------------------------------------------------------------------------------------

def rope_default(P, ctx):
    return default_thetas(ctx["base"], ctx["dim"]), mpf(1)


def rope_linear(P, ctx):
    """[R] _compute_linear_scaling_rope_parameters: inv_freq / factor."""
    f = need_factor(P)
    return [t / f for t in default_thetas(ctx["base"], ctx["dim"])], mpf(1)


def rope_dynamic(P, ctx):
    """[R] _compute_dynamic_ntk_parameters: base' = base * ((factor*seq_len/max_pos) - (factor-1))^(dim/(dim-2))
    with seq_len = max(seq_len, max_pos); at init seq_len = max_pos, so base' = base."""
    f = need_factor(P)
    L = mpf(ctx["max_pos"])
    seq_len = L
    dim = ctx["dim"]
    base = ctx["base"] * ((f * seq_len / L) - (f - 1)) ** (mpf(dim) / (dim - 2))
    return default_thetas(base, dim), mpf(1)


def get_mscale(scale, m=1):
    """[R] _compute_yarn_parameters.get_mscale."""
    if scale <= 1:
        return mpf(1)
    return mpf("0.1") * m * log(scale) + 1


def rope_yarn(P, ctx):
    """[R] _compute_yarn_parameters."""
    if "factor" not in P:
        raise Unresolvable("rope factor: missing (yarn requires it)")
    L = number(P, "original_max_position_embeddings", "rope.")
    f = None if P["factor"] is None else number(P, "factor", "rope.")
    if f is None:  # only an explicit null factor falls back to the ratio
        f = mpf(ctx["max_pos"]) / L
    att = None if P.get("attention_factor") is None else number(P, "attention_factor", "rope.")
    ms = None if P.get("mscale") is None else number(P, "mscale", "rope.")
    msa = None if P.get("mscale_all_dim") is None else number(P, "mscale_all_dim", "rope.")
    if att is None:
        if ms and msa:
            att = get_mscale(f, ms) / get_mscale(f, msa)
        else:
            att = get_mscale(f)
    bf = (number(P, "beta_fast", "rope.") if P.get("beta_fast") else 0) or mpf(32)   # `or 32`
    bs = (number(P, "beta_slow", "rope.") if P.get("beta_slow") else 0) or mpf(1)    # `or 1`
    base, dim = ctx["base"], ctx["dim"]

    def correction_dim(rot):
        return (dim * log(L / (rot * 2 * pi))) / (2 * log(base))

    low, high = correction_dim(bf), correction_dim(bs)
    if ctx["truncate"]:  # config.rope_parameters.get("truncate", True): the top-level dict
        low, high = floor(low), ceil(high)
    low, high = max(low, mpf(0)), min(high, mpf(dim - 1))
    if low == high:
        high += mpf("0.001")
    th = []
    for j in range(dim // 2):
        ramp = min(max((j - low) / (high - low), mpf(0)), mpf(1))
        extra = base ** (-mpf(2 * j) / dim)
        inter = 1 / (f * base ** (mpf(2 * j) / dim))
        # inv_freq_interpolation * (1 - extrapolation_factor) + inv_freq_extrapolation * extrapolation_factor,
        # extrapolation_factor = 1 - ramp
        th.append(inter * ramp + extra * (1 - ramp))
    return th, att


def rope_longrope(P, ctx):
    """[R] _compute_longrope_parameters (init: short_factor)."""
    for k in ("short_factor", "long_factor"):
        if not isinstance(P.get(k), list):
            raise Unresolvable(f"rope.{k}: missing or not a list")
    dim = ctx["dim"]
    for k in ("short_factor", "long_factor"):
        if len(P[k]) != dim // 2:
            raise Unresolvable(f"rope.{k}: length {len(P[k])}, expected {dim // 2}")
    L = number(P, "original_max_position_embeddings", "rope.")
    f = None if P.get("factor") is None else number(P, "factor", "rope.")
    if f is None:
        f = mpf(ctx["max_pos"]) / L
    att = None if P.get("attention_factor") is None else number(P, "attention_factor", "rope.")
    if att is None:
        att = mpf(1) if f <= 1 else sqrt(1 + log(f) / log(L))
    ext = [number({"x": v}, "x", "rope.short_factor ") for v in P["short_factor"]]
    base = ctx["base"]
    return [1 / (e * base ** (mpf(2 * i) / dim)) for i, e in enumerate(ext)], att


def rope_llama3(P, ctx):
    """[R] _compute_llama3_parameters."""
    f = need_factor(P)
    lo = number(P, "low_freq_factor", "rope.")
    hi = number(P, "high_freq_factor", "rope.")
    L = number(P, "original_max_position_embeddings", "rope.")
    low_wl, high_wl = L / lo, L / hi
    out = []
    for t in default_thetas(ctx["base"], ctx["dim"]):
        wl = 2 * pi / t
        if wl > low_wl:
            out.append(t / f)
        elif wl < high_wl:
            out.append(t)
        else:  # ~(wl < high_wl) * ~(wl > low_wl): boundaries included
            sm = (L / wl - lo) / (hi - lo)
            out.append((1 - sm) * t / f + sm * t)
    return out, mpf(1)


def rope_proportional(P, ctx):
    """[R] _compute_proportional_rope_parameters: rope_angles = int(prf * head_dim // 2) frequencies
    base^(-2i/head_dim) (exponent over the whole head), then head_dim//2 - rope_angles zeros, all / factor."""
    hd = ctx["hd"]
    f = number(P, "factor", "rope.") if P.get("factor") is not None else mpf(1)
    prf = number(P, "partial_rotary_factor", "rope.") if "partial_rotary_factor" in P else mpf(1)
    angles = int(floor(prf * hd / 2))
    if angles <= 0 or angles > hd // 2:
        raise Unresolvable(f"partial_rotary_factor {prf}: {angles} rotated pairs of {hd // 2}")
    base = ctx["base"]
    th = [base ** (-mpf(2 * i) / hd) / f for i in range(angles)] + [mpf(0)] * (hd // 2 - angles)
    return th, mpf(1)


def need_factor(P):
    if P.get("factor") is None:
        raise Unresolvable("rope factor: missing")
    return number(P, "factor", "rope.")


ROPE = {"default": rope_default, "linear": rope_linear, "dynamic": rope_dynamic, "yarn": rope_yarn,
        "longrope": rope_longrope, "llama3": rope_llama3, "proportional": rope_proportional}


# ---------------------------------------------------------------------------------------------------
# Config standardisation ([R] convert_rope_params_to_dict + standardize_rope_params)
# ---------------------------------------------------------------------------------------------------

def standardize_entry(P, tc, top_theta, top_prf, per_layer):
    """One rope dict after standardisation ([R] standardize_rope_params, case 1 or case 2)."""
    P = dict(P)
    P.setdefault("rope_type", P.get("type", "default"))
    if P["rope_type"] == "su":  # Phi3Config._rope_scaling_adjustment: "su" -> "longrope"
        P["rope_type"] = "longrope"
    if P["rope_type"] == "mrope":  # Qwen2-VL / Qwen2.5-VL configs: legacy "mrope" means default theta
        P["rope_type"] = "default"
    P.setdefault("rope_theta", top_theta)
    if top_prf is not None:
        P["partial_rotary_factor"] = top_prf  # assignment: the top-level attribute wins
    if P["rope_type"] in ("llama3", "yarn", "longrope"):
        if not per_layer and "original_max_position_embeddings" in tc:  # Phi-3: top-level wins
            P["original_max_position_embeddings"] = tc["original_max_position_embeddings"]
        else:
            P.setdefault("original_max_position_embeddings", tc.get("max_position_embeddings"))
    return P


def compute(P, hd, max_pos, fam, where, truncate=True, head_dim_for_proportional=None):
    rtype = P["rope_type"]
    if not isinstance(rtype, str) or rtype not in ROPE:
        raise Unresolvable(f"{where}rope_type: unknown ({rtype!r})")
    if P.get("rope_theta") is None:
        raise Unresolvable(f"{where}rope_theta: missing")
    base = number(P, "rope_theta", where)
    if base <= 1:
        raise Unresolvable(f"{where}rope_theta: {base} <= 1")
    if rtype == "proportional":
        hd = head_dim_for_proportional or hd
        dim = hd
    else:
        prf = number(P, "partial_rotary_factor", where) if P.get("partial_rotary_factor") is not None else mpf(1)
        uses_prf = rtype != "default" or fam["default_prf"]
        dim = rotary_dim_of(hd, prf) if uses_prf else hd
    ctx = dict(base=base, dim=dim, hd=hd, max_pos=max_pos, truncate=truncate)
    th, att = ROPE[rtype](P, ctx)
    if rtype == "proportional":
        dim = hd
    return dict(rope_type=rtype, head_dim=hd, rotary_dim=dim, base=s(base), attention_factor=s(att),
                theta=[s(t) for t in th], layout=fam["layout"], max_position_embeddings=max_pos,
                original_max_position_embeddings=P.get("original_max_position_embeddings"))


def resolve_hf(cfg):
    """A config of a model in transformers: {layer_type: entry}."""
    mtype, tc = text_part(cfg)
    if mtype == "gemma3_text":
        return resolve_gemma3(tc)
    if mtype == "gemma4_text":
        return resolve_gemma4(tc)
    if mtype not in FAMILIES:
        raise Unresolvable(f"model_type {mtype!r}: no rule known")
    fam = FAMILIES[mtype]
    tc = dict(tc)
    for old, new in fam.get("aliases", {}).items():
        if old in tc and new not in tc:
            tc[new] = tc[old]
    for k, v in fam.get("defaults", {}).items():  # the config class's __init__ default
        tc.setdefault(k, v)
    where = "text_config." if "text_config" in cfg else ("llm_config." if "llm_config" in cfg else "")
    if mtype in ("deepseek_v3", "kimi_k2"):  # configuration_deepseek_v3.py: self.head_dim = qk_rope_head_dim
        hd = integer(tc, "qk_rope_head_dim", where)
    else:
        hd = head_dim_of(tc, where)
    if "max_position_embeddings" not in tc:
        raise Unresolvable(f"{where}max_position_embeddings: missing")
    max_pos = integer(tc, "max_position_embeddings", where)
    # [R] convert_rope_params_to_dict: rope_scaling (if truthy) wins over rope_parameters
    P = tc.get("rope_scaling") or tc.get("rope_parameters") or {}
    if not isinstance(P, dict):
        raise Unresolvable(f"{where}rope_scaling/rope_parameters: not an object")
    top_theta = tc.get("rope_theta", 10000.0)        # default_theta = 10_000.0 [R]
    # partial_rotary_factor: [R] standardize_rope_params assigns a top-level one over the dict's. Where
    # both are present and differ, the order of convert_rope_params_to_dict / attribute setting decides:
    # refuse rather than guess (none of the checked-in configs does this). The config class's default
    # applies only when neither is present.
    top_prf = tc.get("partial_rotary_factor")
    in_dict = P.get("partial_rotary_factor") if isinstance(P, dict) else None
    if top_prf is not None and in_dict is not None and top_prf != in_dict:
        raise Unresolvable(f"{where}partial_rotary_factor: {top_prf} at top level, {in_dict} in the rope dict")
    if top_prf is None and in_dict is None:
        top_prf = fam.get("prf_default")
    layer_types = tc.get("layer_types")
    if isinstance(layer_types, list) and P and set(P) <= set(layer_types):
        out = {}
        for lt in sorted(set(P)):
            if P[lt] is None:
                continue
            e = standardize_entry(P[lt], tc, top_theta, top_prf, True)
            out[lt] = compute(e, hd, max_pos, fam, f"{where}rope_parameters.{lt}.", truncate=True)
        return out
    e = standardize_entry(P, tc, top_theta, top_prf, False)
    return {"": compute(e, hd, max_pos, fam, where, truncate=bool(P.get("truncate", True)))}


def resolve_gemma3(tc):
    """Gemma3TextConfig (v5): defaults head_dim 256, num_attention_heads 8, max_position_embeddings 131072,
    default_theta {"global": 1e6, "local": 1e4}; convert_rope_params_to_dict: rope_scaling is merged into
    rope_parameters["full_attention"], whose rope_theta defaults to rope_theta (1e6); sliding_attention's
    rope_theta defaults to rope_local_base_freq (1e4). modeling_gemma3.py: rotate_half."""
    t = dict(head_dim=256, num_attention_heads=8, max_position_embeddings=131072)
    t.update(tc)
    fam = dict(layout=HALF, default_prf=False)
    P = t.get("rope_parameters") or {"sliding_attention": {"rope_type": "default"},
                                     "full_attention": {"rope_type": "default"}}
    P = {k: dict(v) if isinstance(v, dict) else v for k, v in P.items()}
    if t.get("rope_scaling"):
        P["full_attention"].update(t["rope_scaling"])
    P.setdefault("full_attention", {"rope_type": "default"})
    P["full_attention"].setdefault("rope_theta", t.get("rope_theta", 1_000_000.0))
    P.setdefault("sliding_attention", {"rope_type": "default"})
    P["sliding_attention"].setdefault("rope_theta", t.get("rope_local_base_freq", 10_000.0))
    hd = head_dim_of(t, "text_config.")
    max_pos = integer(t, "max_position_embeddings", "text_config.")
    out = {}
    for lt in ("full_attention", "sliding_attention"):
        e = standardize_entry(P[lt], t, None, None, True)
        out[lt] = compute(e, hd, max_pos, fam, f"text_config.rope_parameters.{lt}.")
    return out


def resolve_gemma4(tc):
    """Gemma4TextConfig (configuration_gemma4.py, huggingface/transformers@008e574391258935f3ecc3035c882e73bbcac419):
    rope_parameters per layer type, default {"sliding_attention": default 1e4, "full_attention":
    proportional, partial_rotary_factor 0.25, 1e6}; full-attention layers get head_dim = global_head_dim
    (default 512) through per_layer_config. modeling_gemma4.py: rotate_half over the whole head."""
    t = dict(head_dim=256, max_position_embeddings=131072)
    t.update(tc)
    fam = dict(layout=HALF, default_prf=False)
    P = t.get("rope_parameters") or {
        "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
        "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.25, "rope_theta": 1_000_000.0}}
    hd = head_dim_of(t, "text_config.")
    ghd = integer(t, "global_head_dim", "text_config.") if t.get("global_head_dim") else 512
    max_pos = integer(t, "max_position_embeddings", "text_config.")
    out = {}
    for lt in sorted(P):
        if P[lt] is None:
            continue
        e = standardize_entry(P[lt], t, t.get("rope_theta"), t.get("partial_rotary_factor"), True)
        lhd = ghd if lt == "full_attention" else hd
        out[lt] = compute(e, lhd, max_pos, fam, f"text_config.rope_parameters.{lt}.")
    return out


def resolve_gptj(cfg):
    """modeling_gptj.py: create_sinusoidal_positions(max_positions, rotary_dim or embed_dim) with
    inv_freq = 1 / 10000^(arange(0, dim, 2) / dim) (base fixed, no rope_theta read); rotate_every_two
    (x[..., ::2], x[..., 1::2]) on the first rotary_dim dims -> interleaved. GPTJConfig.attribute_map:
    n_embd -> hidden_size, n_head -> num_attention_heads, n_positions -> max_position_embeddings."""
    n_embd, n_head = integer(cfg, "n_embd", ""), integer(cfg, "n_head", "")
    hd = n_embd // n_head
    rot = integer(cfg, "rotary_dim", "") if cfg.get("rotary_dim") is not None else n_embd
    th = default_thetas(mpf(10000), rot)
    return {"": dict(rope_type="default", head_dim=hd, rotary_dim=rot, base=s(10000), attention_factor=s(1),
                     theta=[s(t) for t in th], layout=INTER,
                     max_position_embeddings=integer(cfg, "n_positions", ""), original_max_position_embeddings=None)}


def resolve_chatglm(cfg):
    """[CGLM] ChatGLMModel.__init__: rotary_dim = kv_channels (or hidden_size // num_attention_heads);
    RotaryEmbedding(rotary_dim // 2, rope_ratio=config.rope_ratio) (ChatGLMConfig rope_ratio default 1;
    chatglm3-6b's own code has no rope_ratio, i.e. 1); forward_impl: base = 10000 * rope_ratio,
    theta = 1 / base^(arange(0, n_elem, 2) / n_elem) with n_elem = rotary_dim // 2; apply_rotary_pos_emb:
    the first rot_dim = n_elem dims, reshaped (..., rot_dim // 2, 2) -> interleaved pairs."""
    hd = integer(cfg, "kv_channels", "") if cfg.get("kv_channels") is not None else head_dim_of(cfg, "")
    n_elem = hd // 2
    ratio = number(cfg, "rope_ratio", "") if cfg.get("rope_ratio") is not None else mpf(1)
    base = 10000 * ratio
    th = default_thetas(base, n_elem)
    return {"": dict(rope_type="default", head_dim=hd, rotary_dim=n_elem, base=s(base), attention_factor=s(1),
                     theta=[s(t) for t in th], layout=INTER,
                     max_position_embeddings=integer(cfg, "seq_length", ""), original_max_position_embeddings=None)}


def resolve(cfg):
    if not isinstance(cfg, dict):
        raise Unresolvable("top level: not an object")
    mt = cfg.get("model_type")
    if mt == "gptj":
        return resolve_gptj(cfg)
    if mt == "chatglm":
        return resolve_chatglm(cfg)
    return resolve_hf(cfg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default=os.path.join(ROOT, "tests", "data", "configs"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "config_tables.json"))
    a = ap.parse_args()
    tables, skipped = {}, {}
    for path in sorted(glob.glob(os.path.join(a.configs, "*.json"))):
        name = os.path.basename(path)
        try:
            with open(path) as f:
                tables[name] = resolve(json.load(f))
        except (Unresolvable, KeyError, ValueError) as e:
            skipped[name] = f"{type(e).__name__}: {e}"
    doc = {
        "generated_by": GENERATED_BY,
        "semantics": "HF transformers RoPE init rules evaluated exactly (mpmath, 60 digits; 40 significant "
                     "digits written); config numbers as Python's json reads them; init time (dynamic = "
                     "unscaled, longrope = short_factor). theta: one per rotated pair, pair order.",
        "sources": {
            "modeling_rope_utils": "fwerkor/transformers@ff9206d01bde3d1077f34fedae9015d5f8aff2a6 "
                                   "src/transformers/modeling_rope_utils.py",
            "chatglm": "sophgo/LLM-TPU@98a23afe061b7692c3c714d96656862fad20f352 "
                       "models/GLM4/compile/files/glm-4-9b-chat/modeling_chatglm.py",
            "models": "see FAMILIES and resolve_* in scripts/gen_config_tables.py",
        },
        "configs": tables,
        "skipped": skipped,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    n = sum(len(v) for v in tables.values())
    print(f"{a.out}: {len(tables)} configs, {n} entries, {len(skipped)} skipped", file=sys.stderr)
    for k, v in skipped.items():
        print(f"  skipped {k}: {v}", file=sys.stderr)


if __name__ == "__main__":
    main()
