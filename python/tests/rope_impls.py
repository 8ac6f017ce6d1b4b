"""Small numpy builders of RoPE artifacts for test_check.py: correct ones, and one per failure mode
that `posenc check` diagnoses (same names: positions_offset_pairs for positions_offset, ...), each
making exactly that mistake and nothing else.

Artifacts, in the shapes of the code that makes them:
- cos/sin caches: per pair [T, rot/2] ("half"); HF width rot ("full"): torch.cat((freqs, freqs), -1)
  for the half-split layout (transformers modeling_llama.py LlamaRotaryEmbedding.forward), each pair
  value repeated twice, repeat_interleave(2), for the interleaved one (modeling_glm4v.py
  apply_multimodal_rotary_pos_emb); freqs_cis [T, rot/2, 2] (re, im) as torch.view_as_real of
  Meta's llama/model.py precompute_freqs_cis.
- rotated q or k: x [T, heads, head_dim]; half-split pairs (i, i + rot/2) as transformers
  rotate_half, interleaved pairs (2i, 2i + 1) as modeling_gptj.py rotate_every_two; dims
  rot .. head_dim - 1 pass through.
- inv_freq: theta_i, rot/2 entries.
- M-RoPE: positions (t, h, w) per token; pair i turns by the position of its axis, the axes from
  the sectioned (modeling_qwen2_vl.py) or interleaved (modeling_qwen3_vl.py) map.

Accuracy of the correct builders: cos/sin of p * theta_i are computed in mpmath at 160 bits from
theta_i at 160 bits (posenc's decimal parameters taken as exact decimals) and rounded once to
float64, then once more to the storage dtype: correctly rounded to float64 but for values within
2^-100 of a midpoint, and a double rounding to float32 only for values within 2^-53 (relative) of a
float32 midpoint. For yarn, theta_i is the posenc double (within 2^-53 relative): the angle is then
within 2^-53 |angle| (2^-29 rad at |angle| = 2^24, 1/64 of a float32 quantum at 1).
The failure modes' builders compute their (wrong) angles as the mode says and take numpy's float64
cos/sin of them before the rounding to the storage dtype (float32), or mpmath's for float64
artifacts.

Frequencies: the default, partial-rotary, dynamic-NTK and LongRoPE rules are transcribed here from
transformers modeling_rope_utils.py (_compute_default_rope_parameters,
_compute_dynamic_ntk_parameters, _compute_longrope_parameters) in mpmath; the YaRN frequencies are
taken from posenc.Rope(...).inv_freq() (each the double nearest the exact value; checked against
mpmath in test_reference.py), the YaRN attention factor is transcribed (get_mscale).
"""
import ctypes
import ctypes.util
from dataclasses import dataclass, replace
from typing import Optional, Tuple

import mpmath
import numpy as np
from mpmath import mp, mpf

_LIBM = ctypes.CDLL(ctypes.util.find_library("m"))
_LIBM.powf.restype = ctypes.c_float
_LIBM.powf.argtypes = [ctypes.c_float, ctypes.c_float]

MP_BITS = 160

# --------------------------------------------------------------------------------------------------
# Roundings
# --------------------------------------------------------------------------------------------------

# significant bits, smallest normal exponent (2^emin)
_FORMATS = {"float64": (53, -1022), "float32": (24, -126), "tf32": (11, -126), "float16": (11, -14),
            "bfloat16": (8, -126)}


def round_sig(x, fmt):
    """x (float64 array) rounded to nearest, ties to even, in `fmt` (float32, tf32, float16,
    bfloat16; subnormals by the format's smallest normal exponent), returned as float64. Exact:
    scaling by powers of two and np.rint (ties to even) are exact in float64. No overflow handling:
    the values used here are far below every format's largest finite value."""
    bits, emin = _FORMATS[fmt]
    x = np.asarray(x, dtype=np.float64)
    _, e = np.frexp(x)  # x = f 2^e, 1/2 <= |f| < 1
    q = np.maximum(e - 1, emin) - (bits - 1)  # exponent of the quantum
    q = np.where(x == 0, 0, q)
    return np.ldexp(np.rint(np.ldexp(x, -q)), q)


def bf16_bits(x32):
    """float32 values rounded to bfloat16 (nearest even on the 16 dropped bits), as uint16 bits."""
    u = np.ascontiguousarray(x32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_to_float32(bits):
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def store(values, dtype):
    """float64 values rounded once to the storage dtype (bfloat16: uint16 bits via float32, which is
    exact here: the callers pass values already representable in float32, or accept the double
    rounding of float64 -> float32 -> bfloat16 noted where used)."""
    if dtype == "bfloat16":
        return bf16_bits(np.asarray(values, dtype=np.float32))
    return np.asarray(values, dtype=np.float64).astype(dtype)


# --------------------------------------------------------------------------------------------------
# The RoPE a check is made against
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cfg:
    """One RoPE: head_dim, base (decimal text), pair layout, partial rotary factor (text), HF rope
    type with its parameters (name, decimal text) and an optional M-RoPE map."""

    head_dim: int = 64
    base: str = "10000"
    layout: str = "half-split"
    partial: str = "1"
    rope_type: str = "default"
    params: Tuple[Tuple[str, str], ...] = ()
    mrope_section: Optional[Tuple[int, int, int]] = None
    mrope_interleaved: bool = False

    @property
    def rotary_dim(self) -> int:
        # int(head_dim * partial_rotary_factor), exact for the factors used (dyadic)
        return int(self.head_dim * float(self.partial))

    @property
    def pairs(self) -> int:
        return self.rotary_dim // 2

    def param(self, name, default=None):
        return dict(self.params).get(name, default)

    def with_(self, **kw) -> "Cfg":
        return replace(self, **kw)

    def cli_args(self):
        """The `posenc check` options describing this RoPE."""
        a = ["--head-dim", str(self.head_dim), "--base", self.base, "--layout", self.layout,
             "--partial-rotary-factor", self.partial, "--rope-type", self.rope_type]
        for k, v in self.params:
            a += ["--" + k.replace("_", "-"), v]
        if self.mrope_section is not None:
            a += ["--mrope-section", ",".join(map(str, self.mrope_section)),
                  "--mrope-interleaved", "true" if self.mrope_interleaved else "false"]
        return a

    def posenc_kwargs(self):
        """Keywords of posenc.Rope / posenc.Mrope (numbers as decimal text, lists as floats)."""
        kw = dict(head_dim=self.head_dim, base=self.base, rope_type=self.rope_type, layout=self.layout,
                  partial_rotary_factor=self.partial)
        for k, v in self.params:
            kw[k] = [float(t) for t in v.split(",")] if k in ("short_factor", "long_factor") else v
        if self.mrope_section is not None:
            kw["mrope_section"] = list(self.mrope_section)
            kw["mrope_interleaved"] = self.mrope_interleaved
        return kw


def _mp_theta_default(base, dim, pairs):
    """transformers _compute_default_rope_parameters: 1 / base^(arange(0, dim, 2) / dim)."""
    b = mpf(base)
    return [1 / b ** (mpf(2 * i) / dim) for i in range(pairs)]


def _mp_dynamic_base(cfg: Cfg, seq_len):
    """transformers _compute_dynamic_ntk_parameters: seq_len below max_position_embeddings counts as
    max_position_embeddings; base * ((factor seq_len / max_pos) - (factor - 1))^(dim / (dim - 2))."""
    factor = mpf(cfg.param("factor"))
    max_pos = int(cfg.param("max_position_embeddings"))
    L = max(int(seq_len), max_pos)
    dim = cfg.rotary_dim
    return mpf(cfg.base) * ((factor * L / max_pos) - (factor - 1)) ** (mpf(dim) / (dim - 2))


def _longrope_ext(cfg: Cfg, which):
    return [mpf(t) for t in cfg.param(which + "_factor").split(",")]


def longrope_set(cfg: Cfg, seq_len=None):
    """The factor set transformers _compute_longrope_parameters takes: long when seq_len >
    original_max_position_embeddings, else short (seq_len None or 0: short)."""
    L = int(cfg.param("seq_len", "0")) if seq_len is None else seq_len
    return "long" if L and L > int(cfg.param("original_max_position_embeddings")) else "short"


def mp_theta(cfg: Cfg, *, over_dim=None, base=None, seq_len=None, longrope=None):
    """theta_i at MP_BITS for default / dynamic / longrope ropes (mpf list); the keywords make the
    mistakes: over_dim (theta over another dimension), base, seq_len (dynamic), longrope (set)."""
    with mp.workprec(MP_BITS):
        dim = over_dim or cfg.rotary_dim
        if cfg.rope_type == "default":
            return _mp_theta_default(base or cfg.base, dim, cfg.pairs)
        if cfg.rope_type == "dynamic":
            L = int(cfg.param("seq_len", "0")) if seq_len is None else seq_len
            return _mp_theta_default(_mp_dynamic_base(cfg, L), dim, cfg.pairs)
        if cfg.rope_type == "longrope":
            ext = _longrope_ext(cfg, longrope or longrope_set(cfg))
            th = _mp_theta_default(base or cfg.base, dim, cfg.pairs)
            return [t / e for t, e in zip(th, ext)]
    raise ValueError(f"mp_theta: rope type {cfg.rope_type} is taken from posenc (theta64)")


def theta64(cfg: Cfg, **mistakes):
    """theta_i as float64 (the double nearest the value): transcribed rules, or posenc for yarn."""
    if cfg.rope_type in ("yarn", "llama3"):
        assert not mistakes
        import posenc
        return np.asarray(posenc.Rope(**cfg.posenc_kwargs()).inv_freq(), dtype=np.float64)
    with mp.workprec(MP_BITS):
        return np.array([float(t) for t in mp_theta(cfg, **mistakes)])


def yarn_get_mscale(scale, mscale=1):
    """transformers modeling_rope_utils.py _compute_yarn_parameters.get_mscale."""
    if scale <= 1:
        return mpf(1)
    return mpf("0.1") * mscale * mpmath.log(scale) + 1


def attention_factor(cfg: Cfg):
    """The factor transformers multiplies cos and sin by (mpf): yarn (_compute_yarn_parameters:
    get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim) when both are given, else
    get_mscale(factor)), longrope (sqrt(1 + ln(factor) / ln(original_max_position_embeddings))),
    1 otherwise. Explicit attention_factor is not used in these tests."""
    with mp.workprec(MP_BITS):
        if cfg.rope_type == "yarn":
            f = mpf(cfg.param("factor"))
            ms, msa = cfg.param("mscale"), cfg.param("mscale_all_dim")
            if ms and msa:
                return yarn_get_mscale(f, mpf(ms)) / yarn_get_mscale(f, mpf(msa))
            return yarn_get_mscale(f)
        if cfg.rope_type == "longrope":
            f = mpf(cfg.param("factor"))
            L0 = mpf(cfg.param("original_max_position_embeddings"))
            return mpmath.sqrt(1 + mpmath.log(f) / mpmath.log(L0)) if f > 1 else mpf(1)
        return mpf(1)


# --------------------------------------------------------------------------------------------------
# M-RoPE maps, as transformers applies them
# --------------------------------------------------------------------------------------------------

def hf_sectioned(cos3, sections):
    """transformers modeling_qwen2_vl.py apply_multimodal_rotary_pos_emb on a [3, T, rot] cat(freqs,
    freqs) cache: split into chunks mrope_section * 2, chunk i taken from axis i % 3."""
    sizes = list(sections) * 2
    chunks = np.split(cos3, np.cumsum(sizes)[:-1], axis=-1)
    return np.concatenate([m[i % 3] for i, m in enumerate(chunks)], axis=-1)


def hf_interleaved(freqs3, sections):
    """transformers modeling_qwen3_vl.py Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope on
    freqs [3, T, rot/2]: axis t everywhere, then h at offset 1 and w at offset 2, step 3, up to
    3 * section."""
    f = freqs3[0].copy()
    for dim, offset in ((1, 1), (2, 2)):
        length = sections[dim] * 3
        f[..., offset:length:3] = freqs3[dim, ..., offset:length:3]
    return f


def mrope_axes(pairs, sections, interleaved):
    """The axis (0 = t, 1 = h, 2 = w) of every pair, by running the maps above on axis labels."""
    labels = np.broadcast_to(np.arange(3, dtype=np.int64)[:, None, None], (3, 1, pairs))
    if interleaved:
        return hf_interleaved(labels.copy(), sections)[0]
    full = hf_sectioned(np.concatenate([labels, labels], axis=-1), sections)[0]
    assert np.array_equal(full[:pairs], full[pairs:])  # pair i and its partner share the axis
    return full[:pairs]


def qwen2_vl_positions(segments, merge=2):
    """(t, h, w) position ids [T, 3] int64 as transformers modeling_qwen2_vl.py get_rope_index gives
    them for ("text", n) and ("image", t, h, w) segments (grid in patches, spatial merge `merge`):
    an image at start s gives (s + t', s + h', s + w'); the next segment starts at max + 1."""
    out, start = [], 0
    for seg in segments:
        if seg[0] == "text":
            n = seg[1]
            out += [(start + j,) * 3 for j in range(n)]
            start += n
        else:
            _, gt, gh, gw = seg
            ids = [(start + a, start + b, start + c) for a in range(gt) for b in range(gh // merge)
                   for c in range(gw // merge)]
            out += ids
            start = max(max(i) for i in ids) + 1
    return np.array(out, dtype=np.int64)


# --------------------------------------------------------------------------------------------------
# Per-pair cos/sin, caches, rotation
# --------------------------------------------------------------------------------------------------

def angles64(positions, theta):
    """p * theta_i in float64, [T, pairs]."""
    return np.asarray(positions, dtype=np.float64)[:, None] * np.asarray(theta, dtype=np.float64)[None, :]


def cos_sin64(angles, amplitude=1.0, precise=False):
    """amplitude * cos/sin of float64 angles (taken as exact), float64: numpy's float64 cos/sin
    (within a few float64 ulps: enough for float32 artifacts), or with precise=True at MP_BITS,
    rounded once (for float64 artifacts)."""
    if precise:
        with mp.workprec(MP_BITS):
            amp = mpf(amplitude)
            a = np.asarray(angles, dtype=np.float64)
            c, s = np.empty_like(a), np.empty_like(a)
            for idx, x in np.ndenumerate(a):
                cc, ss = mpmath.cos_sin(mpf(float(x)))
                c[idx], s[idx] = float(amp * cc), float(amp * ss)
            return c, s
    a = float(amplitude)
    return a * np.cos(angles), a * np.sin(angles)


def cos_sin_mp(positions, theta_mp, amplitude=1):
    """amplitude * cos/sin of p * theta_i at MP_BITS, rounded once to float64 [T, pairs]."""
    with mp.workprec(MP_BITS):
        amp = mpf(amplitude)
        c = np.empty((len(positions), len(theta_mp)))
        s = np.empty_like(c)
        for j, p in enumerate(positions):
            for i, t in enumerate(theta_mp):
                cc, ss = mpmath.cos_sin(int(p) * t)
                c[j, i], s[j, i] = float(amp * cc), float(amp * ss)
    return c, s


def to_layout(per_pair, layout, form="full"):
    """[T, pairs] -> the cache form: "half" as is; "full": cat(a, a) (half-split) or a repeated
    twice per pair (interleaved)."""
    if form == "half":
        return per_pair
    if form != "full":
        raise ValueError(form)
    if layout == "half-split":
        return np.concatenate([per_pair, per_pair], axis=-1)
    return np.repeat(per_pair, 2, axis=-1)


def freqs_cis(c, s):
    """[T, pairs, 2]: (re, im) of e^{i angle}."""
    return np.stack([c, s], axis=-1)


def rotate(x, c, s, layout, rot):
    """x [T, heads, head_dim] float32 rotated by per-pair c, s [T, pairs] (float64, amplitude
    included) in float64, rounded once to float32; dims rot.. pass through."""
    x64 = np.asarray(x, dtype=np.float64)
    out = x64.copy()
    c, s = c[:, None, :], s[:, None, :]
    if layout == "half-split":  # q * cos + rotate_half(q) * sin, rotate_half(q) = cat(-q2, q1)
        x1, x2 = x64[..., : rot // 2], x64[..., rot // 2: rot]
        out[..., : rot // 2] = x1 * c - x2 * s
        out[..., rot // 2: rot] = x2 * c + x1 * s
    else:  # GPT-J rotate_every_two: pairs (2i, 2i + 1)
        x1, x2 = x64[..., 0:rot:2], x64[..., 1:rot:2]
        out[..., 0:rot:2] = x1 * c - x2 * s
        out[..., 1:rot:2] = x2 * c + x1 * s
    return out.astype(np.float32)


def random_x(tokens, heads, head_dim, seed):
    return np.random.default_rng(seed).standard_normal((tokens, heads, head_dim)).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Correct artifacts
# --------------------------------------------------------------------------------------------------

def theta_mp(cfg: Cfg):
    """theta_i at MP_BITS: transcribed rules, or the posenc doubles (yarn, llama3) taken exactly."""
    if cfg.rope_type in ("yarn", "llama3"):
        return [mpf(float(t)) for t in theta64(cfg)]
    return mp_theta(cfg)


_MEMO = {}


def _memo(key, compute):
    """Per-pair values do not depend on the pair layout: computed once per rope and positions."""
    if key not in _MEMO:
        _MEMO[key] = compute()
    c, s = _MEMO[key]
    return c.copy(), s.copy()


def correct_pairs(cfg: Cfg, positions):
    """Exact cos/sin [T, pairs] (attention factor included) at MP_BITS, rounded once to float64:
    correctly rounded but for values within 2^-100 of a midpoint; rounding them again to float32
    is a double rounding only for values within 2^-53 (relative) of a float32 midpoint. For yarn
    and llama3, theta_i is the posenc double (within 2^-53 relative of the exact value)."""
    pos = np.asarray(positions, dtype=np.int64)
    return _memo(("1d", cfg.with_(layout=""), pos.tobytes()),
                 lambda: cos_sin_mp(pos, theta_mp(cfg), attention_factor(cfg)))


def correct_inv_freq(cfg: Cfg, dtype="float32"):
    """theta_i rounded once to dtype (via float64 for float32: the double is within 2^-53 relative,
    a double rounding only for a theta within 2^-53 of a float32 midpoint)."""
    with mp.workprec(MP_BITS):
        if dtype == "float64":
            return np.array([float(t) for t in mp_theta(cfg)])
    return theta64(cfg).astype(dtype)


def mrope_pairs(cfg: Cfg, pos3, *, sections=None, interleaved=None):
    """M-RoPE cos/sin [T, pairs] at MP_BITS as correct_pairs: pair i turns by pos3[:, axis(i)] *
    theta_i, axis() from the map given (default: the rope's own: sections, interleaved or not).
    Text tokens (t = h = w) give the 1D values."""
    sec = tuple(sections or cfg.mrope_section)
    il = cfg.mrope_interleaved if interleaved is None else interleaved
    axes = mrope_axes(cfg.pairs, sec, il)
    pos3 = np.asarray(pos3, dtype=np.int64)

    def compute():
        th, af = theta_mp(cfg), attention_factor(cfg)
        c = np.empty((len(pos3), cfg.pairs))
        s = np.empty_like(c)
        for i in range(cfg.pairs):  # one column at a time: the position of its axis
            c[:, i:i + 1], s[:, i:i + 1] = cos_sin_mp(pos3[:, axes[i]], [th[i]], af)
        return c, s
    return _memo(("mrope", cfg.with_(layout=""), sec, il, pos3.tobytes()), compute)


# --------------------------------------------------------------------------------------------------
# HF-style float32 (what transformers computes in float32)
# --------------------------------------------------------------------------------------------------

def powf(x, y):
    """The C library's powf (float32), as ggml-cpu calls it for theta_scale."""
    return np.float32(_LIBM.powf(float(np.float32(x)), float(np.float32(y))))


def hf_inv_freq32(cfg: Cfg):
    """transformers _compute_default_rope_parameters in float32:
    1.0 / (base ** (arange(0, dim, 2, dtype=int64).float() / dim)): the exponent 2i/dim in float32,
    the C library's powf, a float32 division. (numpy's own float32 power is not used: its result
    depends on the SIMD path numpy picks, and is 1 ulp off powf for base 1e4, exponent 1/32.)"""
    dim = cfg.rotary_dim
    e = np.arange(0, dim, 2, dtype=np.int64).astype(np.float32) / np.float32(dim)
    p = np.array([powf(float(cfg.base), v) for v in e], dtype=np.float32)
    return np.float32(1.0) / p


def hf_float32_pairs(cfg: Cfg, positions):
    """LlamaRotaryEmbedding.forward in float32: freqs = inv_freq (float32) * position (float32), one
    float32 rounding; cos/sin of that float32 angle, here the float32 nearest the exact value (the
    best a float32 libm gives), as float64 values."""
    ang = np.asarray(positions, dtype=np.int64).astype(np.float32)[:, None] * hf_inv_freq32(cfg)[None, :]
    a64 = ang.astype(np.float64)
    return np.cos(a64).astype(np.float32).astype(np.float64), np.sin(a64).astype(np.float32).astype(np.float64)


def hf_float32_cache(cfg: Cfg, positions):
    c, s = hf_float32_pairs(cfg, positions)
    return store(to_layout(c, cfg.layout), "float32"), store(to_layout(s, cfg.layout), "float32")


# --------------------------------------------------------------------------------------------------
# The failure modes (posenc check's mode names). Each returns float64 per-pair (cos, sin), amplitude
# included, unless it says otherwise; cache()/rotated() below lay them out and store them.
# --------------------------------------------------------------------------------------------------

def other_layout(layout):
    return "interleaved" if layout == "half-split" else "half-split"


def positions_offset_pairs(cfg: Cfg, positions, k):
    """positions_offset: the row of position p holds the exact values of p + k."""
    return correct_pairs(cfg, np.asarray(positions, dtype=np.int64) + k)


def inv_freq_rounded_pairs(cfg: Cfg, positions, fmt, precise=False):
    """inv_freq_rounded: theta_i rounded to fmt (float32 / float16 / bfloat16, from the double),
    then p * theta exactly (float64 angle: exact for |p| < 2^29), cos/sin, attention factor;
    precise=True for float64 artifacts (cos_sin64)."""
    th = round_sig(theta64(cfg), fmt)
    return cos_sin64(angles64(positions, th), attention_factor(cfg), precise)


def angle_product_pairs(cfg: Cfg, positions, fmt):
    """angle_product: float32: fl32(fl32(theta) * fl32(p)); tf32: tf32(fl32(theta)) * tf32(p) (both
    11 significant bits, the product exact in float64 and in float32); float16 / bfloat16:
    fl(fl(theta) * p). Then exact cos/sin of that angle, attention factor."""
    th = theta64(cfg)
    p = np.asarray(positions, dtype=np.int64).astype(np.float64)
    if fmt == "float32":
        ang = round_sig(angles64(round_sig(p, "float32"), round_sig(th, "float32")), "float32")
    elif fmt == "tf32":
        ang = angles64(round_sig(p, "tf32"), round_sig(round_sig(th, "float32"), "tf32"))
    else:
        ang = round_sig(angles64(p, round_sig(th, fmt)), fmt)
    return cos_sin64(ang, attention_factor(cfg))


def ggml_theta_scale(cfg: Cfg):
    """ggml-cpu ops.cpp ggml_compute_forward_rope_f32: theta_scale = powf(freq_base, -2.0f/n_dims),
    taken as the float32 nearest the exact value (mpmath)."""
    with mp.workprec(MP_BITS):
        return np.float32(float(mpf(cfg.base) ** (mpf(-2) / cfg.rotary_dim)))


def ggml_recurrence_angles(cfg: Cfg, positions):
    """ggml-cpu ops.cpp ggml_rope_cache_init: theta = (float) p, then per pair theta *= theta_scale
    in float32; the angle of pair i is theta after i steps (default rope: freq_scale 1, no ext)."""
    s = ggml_theta_scale(cfg)
    theta = np.asarray(positions, dtype=np.int64).astype(np.float32)
    out = np.empty((len(theta), cfg.pairs), dtype=np.float32)
    for i in range(cfg.pairs):
        out[:, i] = theta
        theta = theta * s  # float32 * float32 -> float32
    return out.astype(np.float64)


def ggml_recurrence_pairs(cfg: Cfg, positions):
    """ggml_recurrence: exact cos/sin of the recurrence's angles (ggml takes cosf/sinf)."""
    return cos_sin64(ggml_recurrence_angles(cfg, positions), attention_factor(cfg))


def cos_sin_stored_pairs(cfg: Cfg, positions, fmt):
    """cos_sin_stored: the exact values rounded to fmt (float16 / bfloat16), then widened."""
    c, s = correct_pairs(cfg, positions)
    return round_sig(c, fmt), round_sig(s, fmt)


def attention_factor_pairs(cfg: Cfg, positions, amplitude):
    """attention_factor: exact angles, cos/sin times `amplitude` instead of the rope's factor
    (missing: 1; twice: factor^2; mscale ignored: get_mscale(factor))."""
    return cos_sin64(angles64(positions, theta64(cfg)), amplitude)


def partial_full_head_pairs(cfg: Cfg, positions):
    """partial_rotary_full_head: theta_i = base^(-2i/head_dim) for the rot/2 rotated pairs."""
    return cos_sin64(angles64(positions, theta64(cfg, over_dim=cfg.head_dim)), attention_factor(cfg))


def base_pairs(cfg: Cfg, positions, base):
    return cos_sin64(angles64(positions, theta64(cfg, base=base)), attention_factor(cfg))


def dynamic_length_pairs(cfg: Cfg, positions, seq_len):
    """dynamic_length: dynamic NTK frequencies computed for seq_len instead of the rope's."""
    return cos_sin64(angles64(positions, theta64(cfg, seq_len=seq_len)), attention_factor(cfg))


def longrope_other_set_pairs(cfg: Cfg, positions, used):
    """longrope_other_set: LongRoPE frequencies with the factor set `used` ("long" / "short");
    attention factor unchanged (it depends on factor and L_orig only)."""
    return cos_sin64(angles64(positions, theta64(cfg, longrope=used)), attention_factor(cfg))


TWO_PI_F32 = float(np.float32(2 * np.pi))  # 6.2831854820251465, 1.75e-7 above 2 pi


def fast_sincos_reduce(angles):
    """Range reduction with the float32 2 pi: r = x - fl32(2 pi) * round(x / fl32(2 pi)) (float64
    arithmetic, exact angle x): the phase error is -n (fl32(2 pi) - 2 pi), n = round(x / fl32(2 pi)),
    about -2.78e-8 rad per rad of angle."""
    n = np.rint(angles / TWO_PI_F32)
    return angles - n * TWO_PI_F32, n


def fast_sincos_pairs(cfg: Cfg, positions):
    """fast_sincos: cos/sin of the reduced angle above (exact cos/sin of r)."""
    r, _ = fast_sincos_reduce(angles64(positions, theta64(cfg)))
    return cos_sin64(r, attention_factor(cfg))


# --------------------------------------------------------------------------------------------------
# Laying out per-pair values
# --------------------------------------------------------------------------------------------------

def cache(cfg: Cfg, pairs, dtype="float32", form="full", layout=None):
    """(cos, sin) of per-pair float64 values in the form and layout (default: the rope's), stored
    in dtype."""
    c, s = pairs
    lay = layout or cfg.layout
    if form == "freqs_cis":
        return store(freqs_cis(c, s), dtype)
    return store(to_layout(c, lay, form), dtype), store(to_layout(s, lay, form), dtype)


def rotated(cfg: Cfg, pairs, x, layout=None):
    c, s = pairs
    return rotate(x, c, s, layout or cfg.layout, cfg.rotary_dim)


def bucket_positions(max_exp=24, per_bucket=3, seed=0, dense=32):
    """0 .. dense - 1, then per_bucket positions in each [2^(k-1), 2^k), k <= max_exp, including
    both ends of the bucket (int64, sorted, distinct)."""
    rng = np.random.default_rng(seed)
    pos = set(range(dense))
    for k in range(1, max_exp + 1):
        lo, hi = 1 << (k - 1), (1 << k) - 1
        pos.update({lo, hi})
        if hi - lo > 1:
            pos.update(int(v) for v in rng.integers(lo + 1, hi, size=max(per_bucket - 2, 0)))
    return np.array(sorted(pos), dtype=np.int64)
