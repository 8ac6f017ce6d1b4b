#!/usr/bin/python3
"""Writes a config.json of about 100 MB (not checked in: tests make it on the fly) for the config
reader's size handling.

  --kind padded   (default) a valid Llama config whose rope keys are fine, padded with an ignored key
                  holding a ~100 MB array of numbers: the reader must either refuse it at file level
                  (`FILE: : too large ...`, exit 2) or read it within normal time and memory.
  --kind unclosed ~100 MB of '[' with nothing closed: malformed and deeply nested at once; the reader
                  must exit 2 with a file-level message and must not crash (stack) or hang.

Usage: /usr/bin/python3 scripts/gen_big_config.py OUT.json [--kind padded|unclosed] [--mb 100]
"""
import argparse

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--kind", choices=["padded", "unclosed"], default="padded")
ap.add_argument("--mb", type=int, default=100)
a = ap.parse_args()
size = a.mb * 1000 * 1000
with open(a.out, "w") as f:
    if a.kind == "unclosed":
        chunk = "[" * (1 << 20)
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.write("[" * (size % len(chunk)))
    else:
        f.write('{"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, '
                '"max_position_embeddings": 8192, "rope_theta": 500000.0, "padding": [')
        item = "0.5, " * 200000  # 1 MB
        for _ in range(a.mb):
            f.write(item)
        f.write("0.5]}\n")
