#!/usr/bin/python3
"""Writes the .npy files read by tests/test_npy.cpp (tests/data/npy/) and the seed corpus of the
fuzz target tests/fuzz/fuzz_npy.cpp (tests/fuzz/corpus_npy/), with numpy itself.

Regenerate (from the repository root, with Debian's interpreter, which has numpy):
    /usr/bin/python3 scripts/gen_npy_files.py
The files are deterministic for a given numpy version (numpy >= 1.23 pads the header with extra
spaces so that the shape can grow in place; older versions do not: the contents are the same).

tests/data/npy/ (all written by np.save / np.lib.format.write_array unless said otherwise; the
values are simple formulas that tests/test_npy.cpp recomputes on its own):
  f8_vec.npy          float64 (5,)       [0.5, -1.25, 1e300, 2**-1074, -0.0]
  f4_cube.npy         float32 (2, 3, 4)  k * 0.5 - 3 for k = 0..23 (C order)
  f2_special.npy      float16 (10,)      bits 0x0000 0x8000 0x3c00 0x7bff 0x0001 0x0400 0x03ff 0x7c00 0xfc00 0x7e00
                                         (0, -0, 1, 65504, 2^-24, 2^-14, largest subnormal, inf, -inf, nan)
  u2_bf16.npy         uint16 (6,)        bfloat16 bits 0x3f80 0xc000 0x7f7f 0x0001 0x7f80 0x3e80
                                         (1, -2, largest finite, smallest subnormal 2^-133, inf, 0.25)
  i8_pos.npy          int64 (4,)         [0, 1, 4096, -7]
  i4_pos3.npy         int32 (3, 4)       10 * r + c
  f8_scalar.npy       float64 ()         2.5
  f4_empty.npy        float32 (0,)
  f4_v2.npy           float32 (3,)       [1, 2, 3], format version 2.0
  f4_v3.npy           float32 (3,)       [1, 2, 3], format version 3.0
  f4_fortran.npy      float32 (2, 3)     np.asfortranarray: fortran_order True (refused)
  f4_big.npy          >f4 (3,)           big-endian (refused)
  obj.npy             object (2,)        allow_pickle=True (refused)
  c16.npy             complex128 (2,)    (refused)
  b1.npy              bool (3,)          (refused)
  u1.npy              uint8 (3,)         (refused)
  struct.npy          [('a', '<f4'), ('b', '<i4')] (2,)   (refused)
  truncated.npy       f4_cube.npy without its last 5 bytes (refused)
  trailing.npy        f8_vec.npy with 3 bytes appended (refused)

tests/fuzz/corpus_npy/: numpy_<name>.npy, a copy of each file above, and edge_<name>.npy, headers made
by hand here (EDGE below) for the paths numpy never writes. regress_*.npy files there are inputs the
fuzzer found, kept after the fix; this script leaves them alone.
"""
import io
import os
import shutil
import struct

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "npy")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus_npy")


def save(name, array, version=None, allow_pickle=False):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, array, allow_pickle=allow_pickle)
    else:
        np.lib.format.write_array(buf, array, version=version, allow_pickle=allow_pickle)
    return name, buf.getvalue()


def numpy_files():
    f8_vec = save("f8_vec.npy", np.array([0.5, -1.25, 1e300, 2.0**-1074, -0.0], dtype="<f8"))
    f4_cube = save("f4_cube.npy", (np.arange(24, dtype="<f4") * 0.5 - 3).reshape(2, 3, 4))
    f16_bits = [0x0000, 0x8000, 0x3C00, 0x7BFF, 0x0001, 0x0400, 0x03FF, 0x7C00, 0xFC00, 0x7E00]
    bf16_bits = [0x3F80, 0xC000, 0x7F7F, 0x0001, 0x7F80, 0x3E80]
    files = [
        f8_vec,
        f4_cube,
        save("f2_special.npy", np.array(f16_bits, dtype="<u2").view("<f2")),
        save("u2_bf16.npy", np.array(bf16_bits, dtype="<u2")),
        save("i8_pos.npy", np.array([0, 1, 4096, -7], dtype="<i8")),
        save("i4_pos3.npy", np.array([[10 * r + c for c in range(4)] for r in range(3)], dtype="<i4")),
        save("f8_scalar.npy", np.array(2.5, dtype="<f8")),
        save("f4_empty.npy", np.zeros((0,), dtype="<f4")),
        save("f4_v2.npy", np.array([1, 2, 3], dtype="<f4"), version=(2, 0)),
        save("f4_v3.npy", np.array([1, 2, 3], dtype="<f4"), version=(3, 0)),
        save("f4_fortran.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3))),
        save("f4_big.npy", np.array([1, 2, 3], dtype=">f4")),
        save("obj.npy", np.array([1, "a"], dtype=object), allow_pickle=True),
        save("c16.npy", np.array([1 + 2j, 3 - 4j], dtype="<c16")),
        save("b1.npy", np.array([True, False, True])),
        save("u1.npy", np.array([1, 2, 3], dtype="u1")),
        save("struct.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")])),
        ("truncated.npy", f4_cube[1][:-5]),
        ("trailing.npy", f8_vec[1] + b"\x00\x01\x02"),
    ]
    f4_fortran = dict(files)["f4_fortran.npy"]
    assert b"'fortran_order': True" in f4_fortran, "numpy did not write fortran_order True"
    return files


def npy(header, data=b"", version=(1, 0), pad=True):
    """A .npy image with the given header dict text (as written, without the final newline)."""
    text = header.encode("latin1")
    length_fmt = "<H" if version[0] == 1 else "<I"
    prefix = 8 + struct.calcsize(length_fmt)
    if pad:
        text += b" " * ((64 - (prefix + len(text) + 1) % 64) % 64)
    text += b"\n"
    return b"\x93NUMPY" + bytes(version) + struct.pack(length_fmt, len(text)) + text + data


F4_123 = np.array([1, 2, 3], dtype="<f4").tobytes()
EDGE = {
    "double_quotes": npy('{"descr": "<f4", "fortran_order": False, "shape": (3,)}', F4_123),
    "key_order": npy("{'shape': (3,), 'fortran_order': False, 'descr': '<f4',}", F4_123),
    "no_padding": npy("{'descr':'<f4','fortran_order':False,'shape':(3,)}", F4_123, pad=False),
    "fortran_1d": npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", F4_123),
    "fortran_3x1": npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 1), }", F4_123),
    "eight_dims": npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 1, 3, 1, 1, 1, 1), }",
                      np.array([7, 8, 9], dtype="<i4").tobytes()),
    "nine_dims": npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }",
                     b"\x01\x00\x00\x00"),
    "zero_dim_huge": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 18446744073709551615), }"),
    "count_overflow": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
    "bytes_overflow": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }"),
    "dim_too_big": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }"),
    "negative_dim": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }"),
    "int_shape": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", F4_123),
    "dup_key": npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", F4_123),
    "extra_key": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", F4_123),
    "missing_key": npy("{'descr': '<f4', 'shape': (3,), }", F4_123),
    "no_newline": b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}",
    "header_beyond": b"\x93NUMPY\x01\x00\xff\xff{'descr'",
    "version_1_1": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", F4_123, version=(1, 1)),
    "bf16_big": npy("{'descr': '>u2', 'fortran_order': False, 'shape': (2,), }", b"\x3f\x80\x40\x00"),
    "f2_nan_payload": npy("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }",
                          np.array([0x7C01, 0xFE00, 0x83FF, 0x7BFF], dtype="<u2").tobytes()),
    "i8_extremes": npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                       np.array([-2**63, 2**63 - 1], dtype="<i8").tobytes()),
    "f8_nonint": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                     np.array([1.0, 2.5, 2.0**60], dtype="<f8").tobytes()),
    "magic_only": b"\x93NUMPY",
}


def main():
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(CORPUS, exist_ok=True)
    for name in os.listdir(CORPUS):
        if name.startswith(("numpy_", "edge_")):
            os.remove(os.path.join(CORPUS, name))
    for name, image in numpy_files():
        with open(os.path.join(DATA, name), "wb") as f:
            f.write(image)
        shutil.copyfile(os.path.join(DATA, name), os.path.join(CORPUS, "numpy_" + name))
    for name, image in EDGE.items():
        with open(os.path.join(CORPUS, f"edge_{name}.npy"), "wb") as f:
            f.write(image)
    print(f"wrote {len(os.listdir(DATA))} files to {DATA} and {len(os.listdir(CORPUS))} seeds to {CORPUS}")


if __name__ == "__main__":
    main()
