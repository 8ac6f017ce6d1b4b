"""Writes the RoPE caches of the "Is my RoPE right?" walkthrough (README) as .npy files:

  vllm_cos.npy, vllm_sin.npy   Code Llama's cos/sin cache built as vLLM built it before its FP32
                               RoPE change (vllm-project/vllm #863, #1061): float32 inv_freq and
                               angles, then the whole cache cast to the model dtype, float16
  fixed_cos.npy, fixed_sin.npy the cache a correct float32 pipeline holds: angles and cos/sin in
                               float64, the cache cast to float32

Usage: /usr/bin/python3 experiments/examples/vllm_fp16_cache.py OUTDIR
"""
import sys
from pathlib import Path

import numpy as np
import torch

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
base, rotary_dim, max_position = 1_000_000, 128, 16384  # tests/data/configs/codellama-7b.json

# vLLM 0.1.x, PagedAttentionWithRoPE: inv_freq and the angle table in float32
inv_freq = 1.0 / (base ** (torch.arange(0, rotary_dim, 2) / rotary_dim))
t = torch.arange(max_position).float()
freqs = torch.einsum("i,j -> ij", t, inv_freq.float())
cos, sin = freqs.cos(), freqs.sin()  # [max_position, rotary_dim / 2]
np.save(out / "vllm_cos.npy", cos.to(torch.float16).numpy())  # cache.to(torch.get_default_dtype())
np.save(out / "vllm_sin.npy", sin.to(torch.float16).numpy())

# the fix: float64 angles and cos/sin, a float32 cache
freqs64 = torch.einsum("i,j -> ij", t.double(), 1.0 / (base ** (torch.arange(0, rotary_dim, 2).double() / rotary_dim)))
np.save(out / "fixed_cos.npy", freqs64.cos().float().numpy())
np.save(out / "fixed_sin.npy", freqs64.sin().float().numpy())
