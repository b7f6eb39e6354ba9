#!/usr/bin/env python3
"""Writes the seed corpus of the safetensors and GGUF header fuzz harnesses.

    Fuzz/Corpus/make-tensor-corpus.py

Files named valid-* are accepted by the reference readers (and by pedigree); invalid-* each
break one rule pedigree's readers check. Each is a whole small file: the harnesses pass the
input as the file and its length as the file size (SafetensorsHeader.parse(bytes:fileSize:),
GGUFHeader.parse(bytes:fileSize:)). The tests run every file through the parsers.
"""
import json
import os
import struct

import numpy as np
import gguf
from safetensors.numpy import save_file

here = os.path.dirname(os.path.abspath(__file__))
st = os.path.join(here, "safetensors")
gg = os.path.join(here, "gguf")
os.makedirs(st, exist_ok=True)
os.makedirs(gg, exist_ok=True)


def raw_safetensors(name, header, data=b"", length=None):
    text = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, bytes) else header
    n = len(text) if length is None else length
    with open(os.path.join(st, name), "wb") as f:
        f.write(struct.pack("<Q", n) + text + data)


save_file({"w": np.arange(4, dtype=np.float32).reshape(2, 2), "b": np.ones(3, dtype=np.float16),
           "s": np.array(7, dtype=np.int64), "e": np.zeros((0, 3), dtype=np.float32)},
          os.path.join(st, "valid-small.safetensors"), metadata={"format": "pt"})
save_file({}, os.path.join(st, "valid-empty.safetensors"))
t = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
raw_safetensors("invalid-truncated-length.safetensors", b"", length=None)
with open(os.path.join(st, "invalid-truncated-length.safetensors"), "wb") as f:
    f.write(b"\x10\x00\x00")
raw_safetensors("invalid-length-past-end.safetensors", {"a": t}, b"\0" * 8, length=4096)
raw_safetensors("invalid-length-2-64.safetensors", {"a": t}, b"\0" * 8, length=2 ** 64 - 1)
raw_safetensors("invalid-oversized-header.safetensors", {"a": t}, b"\0" * 8, length=100_000_001)
raw_safetensors("invalid-overlap.safetensors", {"a": t, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12)
raw_safetensors("invalid-gap.safetensors", {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                            "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, b"\0" * 12)
raw_safetensors("invalid-out-of-file.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8)
raw_safetensors("invalid-offsets-2-64.safetensors", {"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 2 ** 64 - 1]}}, b"\0" * 8)
raw_safetensors("invalid-shape-overflow.safetensors", {"a": {"dtype": "F32", "shape": [2 ** 32, 2 ** 32], "data_offsets": [0, 4]}}, b"\0" * 4)
raw_safetensors("invalid-duplicate-name.safetensors",
                b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', b"\0\0")
raw_safetensors("invalid-dtype.safetensors", {"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, b"\0" * 16)
raw_safetensors("invalid-not-json.safetensors", b"{not json}", b"")
raw_safetensors("invalid-byte-count.safetensors", {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 8]}}, b"\0" * 8)

w = gguf.GGUFWriter(os.path.join(gg, "valid-small.gguf"), "llama")
w.add_uint32("llama.attention.head_count", 2)
w.add_int8("t.i8", -3)
w.add_bool("t.bool", False)
w.add_float64("t.f64", 1.5)
w.add_array("t.tokens", ["a", "<0x0A>"])
w.add_tensor("f", np.arange(6, dtype=np.float32).reshape(2, 3))
w.add_tensor("q", gguf.quants.quantize(np.linspace(-1, 1, 32, dtype=np.float32).reshape(1, 32), gguf.GGMLQuantizationType.Q8_0),
             raw_dtype=gguf.GGMLQuantizationType.Q8_0)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()


def raw_gguf(name, tensors, kvs, body, version=3):
    with open(os.path.join(gg, name), "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", version, tensors, kvs) + body)


def s(text):
    b = text.encode()
    return struct.pack("<Q", len(b)) + b


def info(name, dims, ggml_type, offset):
    return s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ggml_type, offset)


def pad(body, alignment=32, header=24):
    return body + b"\0" * ((-(header + len(body))) % alignment)


raw_gguf("valid-no-tensors.gguf", 0, 1, s("general.architecture") + struct.pack("<I", 8) + s("llama"))
raw_gguf("invalid-version-1.gguf", 0, 0, b"", version=1)
raw_gguf("invalid-absurd-tensor-count.gguf", 2 ** 60, 0, b"\0" * 64)
raw_gguf("invalid-absurd-array.gguf", 0, 1, s("a") + struct.pack("<IIQ", 9, 8, 2 ** 40) + b"\0" * 64)
raw_gguf("invalid-string-2-64.gguf", 0, 1, s("a") + struct.pack("<IQ", 8, 2 ** 64 - 1) + b"abc" + b"\0" * 16)
raw_gguf("invalid-duplicate-key.gguf", 0, 2, (s("a") + struct.pack("<II", 4, 1)) * 2)
raw_gguf("invalid-alignment.gguf", 0, 1, s("general.alignment") + struct.pack("<II", 4, 48))
raw_gguf("invalid-overlap.gguf", 2, 0, pad(info("a", [16], 0, 0) + info("b", [8], 0, 32)) + b"\0" * 64)
raw_gguf("invalid-out-of-file.gguf", 1, 0, pad(info("a", [1024], 0, 0)) + b"\0" * 64)
raw_gguf("invalid-dims-overflow.gguf", 1, 0, pad(info("a", [2 ** 40, 2 ** 40], 0, 0)) + b"\0" * 4)
raw_gguf("invalid-duplicate-tensor.gguf", 2, 0, pad(info("t", [4], 0, 0) + info("t", [4], 0, 32)) + b"\0" * 64)
raw_gguf("invalid-block-row.gguf", 1, 0, pad(info("q", [33], 8, 0)) + b"\0" * 64)
raw_gguf("invalid-deep-array.gguf", 0, 1, s("deep") + struct.pack("<I", 9) + struct.pack("<IQ", 9, 1) * 9 + struct.pack("<IQ", 0, 0))
raw_gguf("invalid-truncated.gguf", 3, 5, s("general.architecture") + struct.pack("<I", 8) + b"\x05\x00")
