"""The README's example: transformers' rotate_half RoPE computed in float32 (numpy) against posenc's
exact rotation, and its error growing with the position.

`hf_rotate_half_float32` performs, in float32 and in the same order, the operations of
transformers' Llama RoPE:
- src/transformers/modeling_rope_utils.py, _compute_default_rope_parameters:
      inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim))
  (a float32 exponent, a float32 power, a float32 reciprocal);
- src/transformers/models/llama/modeling_llama.py, LlamaRotaryEmbedding.forward:
      freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
  (a [pairs, 1] @ [1, tokens] float32 product: one rounded product per entry, the positions
  converted to float32 first), emb = torch.cat((freqs, freqs), dim=-1), cos = emb.cos() *
  attention_scaling, sin = emb.sin() * attention_scaling (1.0 for the default rope type);
- same file, rotate_half(x) = torch.cat((-x2, x1), dim=-1) with x1, x2 the two halves of x, and
  apply_rotary_pos_emb: q_embed = (q * cos) + (rotate_half(q) * sin).

The reference is posenc.Rope(head_dim=128, base=500000).apply(q, positions): the exact rotation by
m theta_i, theta_i = 500000^(-2i/128), rounded once to float32. It is checked here against mpmath
(40 digits: cos and sin of m theta_i, the rotated components, then one rounding to float32).

Errors are in ulps of the pair's norm |(q_i, q_{i+64})| in float32 (a rotation keeps it), the
largest over the pair's two components; `pytest -s` prints the table the README shows.
"""
import mpmath
import numpy as np
import pytest
from mpmath import libmp

import posenc

HEAD_DIM = 128
BASE = 500000
TOKENS_PER_BUCKET = 256
# positions 1..2^4, 2^4..2^8, ..., 2^20..2^24 (each bucket's lower end excluded but the first's)
BUCKETS = [(1, 2**4)] + [(2**k + 1, 2**(k + 4)) for k in range(4, 24, 4)]


def hf_inv_freq(dim, base):
    """_compute_default_rope_parameters in float32. torch's float32 power (CPU) returns the float32
    nearest to base^exponent for these exponents, numpy's float32 power is 1 ulp off for 13 of the
    64: the power is taken in float64 and rounded once to float32, which gives torch's values
    (test_numpy_float32_matches_torch)."""
    exponent = np.arange(0, dim, 2, dtype=np.int64).astype(np.float32) / np.float32(dim)
    power = np.power(np.float64(base), exponent.astype(np.float64)).astype(np.float32)
    return np.float32(1.0) / power


def hf_rotate_half_float32(q, positions, dim=HEAD_DIM, base=BASE):
    """LlamaRotaryEmbedding.forward + apply_rotary_pos_emb on q [tokens, dim], all in float32."""
    inv_freq = hf_inv_freq(dim, base)
    pos = np.asarray(positions).astype(np.float32)  # position_ids[:, None, :].float()
    freqs = pos[:, None] * inv_freq[None, :]  # [tokens, dim/2]: the k = 1 matmul, transposed
    emb = np.concatenate([freqs, freqs], axis=-1)
    attention_scaling = np.float32(1.0)
    cos = np.cos(emb) * attention_scaling
    sin = np.sin(emb) * attention_scaling
    half = dim // 2
    rotated = np.concatenate([-q[:, half:], q[:, :half]], axis=-1)  # rotate_half
    return q * cos + rotated * sin


def exact_rotation(q, positions, dim=HEAD_DIM, base=BASE):
    """mpmath at 40 digits: the rotated components as the nearest float64 (for error sizes) and
    rounded once to float32 (round to nearest even, 24 bits)."""
    half = dim // 2
    out64 = np.empty(q.shape, dtype=np.float64)
    out32 = np.empty(q.shape, dtype=np.float32)
    with mpmath.workdps(40):
        theta = [mpmath.mpf(base) ** (-mpmath.mpf(2 * i) / dim) for i in range(half)]
        for t, m in enumerate(positions):
            for i in range(half):
                c, s = mpmath.cos_sin(int(m) * theta[i])
                a, b = mpmath.mpf(float(q[t, i])), mpmath.mpf(float(q[t, i + half]))
                for k, v in ((i, a * c - b * s), (i + half, b * c + a * s)):
                    out64[t, k] = libmp.to_float(v._mpf_, rnd="n")
                    out32[t, k] = libmp.to_float(libmp.mpf_pos(v._mpf_, 24, "n"))
    return out64, out32


def pair_errors(got, exact64, q, relative=False):
    """Per token and pair: max(|got_a - exact_a|, |got_b - exact_b|) in ulps (float32) of the
    pair's norm, or relative to the norm."""
    half = q.shape[1] // 2
    err = np.abs(got.astype(np.float64) - exact64)
    worst = np.maximum(err[:, :half], err[:, half:])
    norm = np.hypot(q[:, :half].astype(np.float64), q[:, half:].astype(np.float64))
    if relative:
        return worst / norm
    return worst / np.exp2(np.floor(np.log2(norm)) - 23)


def bucket_label(lo, hi):
    return f"{1 if lo == 1 else '2^%d' % int(np.log2(lo - 1))} .. 2^{int(np.log2(hi))}"


@pytest.fixture(scope="module")
def example():
    rng = np.random.default_rng(20240613)
    positions = np.concatenate([np.append(rng.integers(lo, hi, TOKENS_PER_BUCKET - 1, endpoint=True), hi)
                                for lo, hi in BUCKETS]).astype(np.int64)
    q = rng.standard_normal((positions.size, HEAD_DIM)).astype(np.float32)
    exact64, exact32 = exact_rotation(q, positions)
    return positions, q, exact64, exact32


def test_posenc_apply_is_correctly_rounded(example):
    positions, q, exact64, exact32 = example
    got = posenc.Rope(head_dim=HEAD_DIM, base=BASE).apply(q, positions)
    assert got.dtype == np.float32 and got.shape == q.shape
    # posenc's claim: each component the float32 nearest to the exact rotation (0.5 ulp)
    np.testing.assert_array_equal(got, exact32)
    half_ulps = np.abs(got.astype(np.float64) - exact64) / np.spacing(np.abs(exact32)).astype(np.float64)
    assert half_ulps.max() <= 0.5 + 1e-6  # exact64 is itself within 2^-29 ulp32 of the exact value


def test_hf_float32_error_grows_with_the_position(example):
    positions, q, exact64, _ = example
    hf = hf_rotate_half_float32(q, positions)
    assert hf.dtype == np.float32
    ours = posenc.Rope(head_dim=HEAD_DIM, base=BASE).apply(q, positions)
    hf_err = pair_errors(hf, exact64, q)
    hf_rel = pair_errors(hf, exact64, q, relative=True)
    our_err = pair_errors(ours, exact64, q)
    rows = []
    for b, (lo, hi) in enumerate(BUCKETS):
        sel = slice(b * TOKENS_PER_BUCKET, (b + 1) * TOKENS_PER_BUCKET)
        assert positions[sel].min() >= lo and positions[sel].max() == hi
        rows.append((bucket_label(lo, hi), hf_err[sel].max(), np.median(hf_err[sel]), hf_rel[sel].max(),
                     our_err[sel].max()))
    print()
    print(f"rotate_half RoPE, head_dim {HEAD_DIM}, base {BASE}, {TOKENS_PER_BUCKET} tokens per bucket: error of "
          "each rotated pair in ulps (float32) of its norm, and relative to its norm")
    print("| positions    | HF float32 max | HF float32 median | HF max / norm | posenc apply max |")
    print("|--------------|---------------:|------------------:|--------------:|-----------------:|")
    for label, mx, med, rel, ours_max in rows:
        print(f"| {label:<12} | {mx:14.4g} | {med:17.4g} | {rel:13.2e} | {ours_max:16.4g} |")
    first, last = rows[0][1], rows[-1][1]
    print(f"HF float32 max error at 2^20..2^24 / at 1..2^4: {last / first:.3g}")
    assert all(r[4] <= 0.5 for r in rows)
    assert last >= 100 * first
    # from 2^4 on, each bucket's largest error exceeds the previous bucket's
    assert all(rows[k + 1][1] > rows[k][1] for k in range(1, len(rows) - 1))


def test_numpy_float32_matches_torch():
    """The numpy function computes what transformers' torch code computes: the same inv_freq and
    freqs bit for bit (IEEE float32 division and products); cos and sin come from different libraries
    (each within about 1 ulp), so the outputs agree to a few ulps of the pair norm."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    positions = np.concatenate([rng.integers(lo, hi, 64, endpoint=True) for lo, hi in BUCKETS]).astype(np.int64)
    q = rng.standard_normal((positions.size, HEAD_DIM)).astype(np.float32)
    # transformers' code, in torch (float32 throughout)
    inv_freq = 1.0 / (BASE ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.int64).to(dtype=torch.float) / HEAD_DIM))
    position_ids = torch.from_numpy(positions)[None, :]
    inv_freq_expanded = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    position_ids_expanded = position_ids[:, None, :].float()
    freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos() * 1.0, emb.sin() * 1.0
    qt = torch.from_numpy(q)[None]
    rotated = torch.cat((-qt[..., HEAD_DIM // 2:], qt[..., : HEAD_DIM // 2]), dim=-1)
    out = ((qt * cos) + (rotated * sin))[0].numpy()

    np.testing.assert_array_equal(hf_inv_freq(HEAD_DIM, BASE), inv_freq.numpy())
    np.testing.assert_array_equal(positions.astype(np.float32)[:, None] * hf_inv_freq(HEAD_DIM, BASE)[None, :],
                                  freqs[0].numpy())
    diff = pair_errors(hf_rotate_half_float32(q, positions), out.astype(np.float64), q)
    print(f"\nnumpy vs torch float32 rotate_half: max difference {diff.max():.3g} ulps of the pair norm")
    assert diff.max() <= 4
