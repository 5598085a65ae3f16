#!/usr/bin/env python3
"""Writes the io test fixtures (tests/core/fixtures/io/) with the reference writers:
numpy (np.save, np.lib.format.write_array, np.savez, np.savez_compressed) and
huggingface safetensors (safetensors.numpy.save_file).

Every array holds value(i) for its flat (C-order) index i, which tests/core/io_test.cpp
recomputes:  ints: (7 i + 3) % 100;  bool: i % 3 == 0;  floats: ((7 i + 3) % 100) / 4 - 10
(exact in float16 and bfloat16);  complex: re = float value, im = -re.

Usage: python3 scripts/make_io_fixtures.py   (needs numpy and safetensors)
"""
import json
import os
import struct

import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "core", "fixtures", "io")


def values(dtype, shape):
    n = int(np.prod(shape, dtype=np.int64))
    i = np.arange(n, dtype=np.int64)
    ints = (7 * i + 3) % 100
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        flat = i % 3 == 0
    elif dtype.kind in "iu":
        flat = ints
    elif dtype.kind == "f":
        flat = ints / 4.0 - 10.0
    else:
        re = ints / 4.0 - 10.0
        flat = re - 1j * re
    return flat.astype(dtype).reshape(shape)


def bf16_bytes(shape):
    """bfloat16 values as raw little-endian bytes (the top half of each float32)."""
    f32 = values(np.float32, shape).astype("<f4")
    return (f32.view("<u4") >> 16).astype("<u2").tobytes()


DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
          "float16", "float32", "float64", "complex64"]


def write_safetensors():
    tensors = {}
    for name in DTYPES:
        tensors[name] = values(name, (2, 3))
    tensors["scalar"] = values(np.float32, ())
    tensors["empty"] = values(np.float32, (0, 4))
    tensors["vector"] = values(np.int32, (5,))
    tensors["big"] = values(np.float32, (64, 33))
    save_file(tensors, os.path.join(OUT, "reference.safetensors"), metadata={"format": "np", "note": "ember"})

    # bfloat16: numpy has none, so the file is assembled by hand in the same layout.
    data = bf16_bytes((2, 3))
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "bf16": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, len(data)]}})
    header += " " * ((8 - len(header) % 8) % 8)
    with open(os.path.join(OUT, "bf16.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header.encode() + data)


def write_npy():
    for name in DTYPES:
        np.save(os.path.join(OUT, f"{name}.npy"), values(name, (2, 3)))
    np.save(os.path.join(OUT, "scalar.npy"), values(np.float64, ()))
    np.save(os.path.join(OUT, "empty.npy"), values(np.int16, (3, 0)))
    np.save(os.path.join(OUT, "fortran.npy"), np.asfortranarray(values(np.float32, (3, 4, 2))))
    for name, descr in [("big_endian_f4", ">f4"), ("big_endian_i2", ">i2"), ("big_endian_c8", ">c8"),
                        ("big_endian_u8", ">u8")]:
        np.save(os.path.join(OUT, f"{name}.npy"), values(np.dtype(descr).newbyteorder("="), (2, 3)).astype(descr))
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(OUT, f"version{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, values(np.int32, (4, 5)), version=version)


def write_npz():
    arrays = {"a": values(np.float32, (2, 3)), "b": values(np.int64, (7,)), "c": values(np.bool_, ())}
    np.savez(os.path.join(OUT, "stored.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "compressed.npz"), **arrays)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_safetensors()
    write_npy()
    write_npz()
    print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))
