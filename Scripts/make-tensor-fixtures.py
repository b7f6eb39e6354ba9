#!/usr/bin/env python3
"""Builds the tensor-evidence test artifacts with the reference libraries.

    Scripts/make-tensor-fixtures.py OUT_DIR

Writes, under OUT_DIR, a small llama-shaped model and its derivatives, each in its own folder,
written by the reference writers (`safetensors`, `gguf`), plus `expected.json`: what the
reference readers (`safetensors.safe_open`, `gguf.GGUFReader`) and `hashlib` say about every
file, which the Swift tests compare with their own readings. Needs numpy, safetensors and gguf
(no torch). Deterministic: the same seed gives the same bytes.

Folders:
  base/              model.safetensors (F32, Hugging Face llama names) and config.json
  sharded/           the same tensors in two shards with model.safetensors.index.json
  gguf-f32/ gguf-f16/ gguf-bf16/ gguf-q8_0/ gguf-q4_0/ gguf-q4_1/ gguf-q5_0/ gguf-q5_1/
                     model.gguf written with gguf.GGUFWriter the way convert_hf_to_gguf.py does
                     for llama: GGUF names, Q/K rows permuted, 1-D tensors kept F32, 2-D
                     tensors cast or quantized with gguf.quants.quantize
  st-f16/ st-bf16/   safetensors with the 2-D tensors cast to F16 / BF16 (HF names)
  st-f16-upcast/ st-bf16-upcast/  those values widened back to F32
  finetune/          base plus a low-rank update and noise (a real fine-tune perturbation)
  finetune-resized/  the fine-tune with two more vocabulary rows (embedding shape changed)
  unrelated/         same names and shapes, fresh random values
  lora/              PEFT-layout LoRA adapter (r=4 on q_proj, v_proj) + adapter_config.json
  lora-misfit/       LoRA tensors whose shapes fit no base tensor
  lora-rank/         LoRA tensors of rank 8 while adapter_config.json says r=4
  casts/             f32 bit patterns with numpy's f16 and gguf's bf16 roundings of them, and
                     every f16 pattern widened to f32 by numpy
"""
import hashlib
import json
import os
import struct
import sys

import numpy as np
import gguf
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType as QT
from safetensors import safe_open, serialize_file, TensorSpec
from safetensors.numpy import save_file

VOCAB, HIDDEN, LAYERS, HEADS, KV_HEADS, INTER = 128, 64, 2, 4, 2, 128
HEAD_DIM = HIDDEN // HEADS


def base_tensors(rng):
    t = {"model.embed_tokens.weight": rng.standard_normal((VOCAB, HIDDEN), dtype=np.float32) * 0.02}
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
        t[p + "self_attn.q_proj.weight"] = rng.standard_normal((HEADS * HEAD_DIM, HIDDEN), dtype=np.float32) * 0.05
        t[p + "self_attn.k_proj.weight"] = rng.standard_normal((KV_HEADS * HEAD_DIM, HIDDEN), dtype=np.float32) * 0.05
        t[p + "self_attn.v_proj.weight"] = rng.standard_normal((KV_HEADS * HEAD_DIM, HIDDEN), dtype=np.float32) * 0.05
        t[p + "self_attn.o_proj.weight"] = rng.standard_normal((HIDDEN, HEADS * HEAD_DIM), dtype=np.float32) * 0.05
        t[p + "post_attention_layernorm.weight"] = (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
        t[p + "mlp.gate_proj.weight"] = rng.standard_normal((INTER, HIDDEN), dtype=np.float32) * 0.05
        t[p + "mlp.up_proj.weight"] = rng.standard_normal((INTER, HIDDEN), dtype=np.float32) * 0.05
        t[p + "mlp.down_proj.weight"] = rng.standard_normal((HIDDEN, INTER), dtype=np.float32) * 0.05
    t["model.norm.weight"] = (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
    t["lm_head.weight"] = rng.standard_normal((VOCAB, HIDDEN), dtype=np.float32) * 0.02
    # A few values that exercise rounding: exact ties for f16/bf16, an f16 subnormal, zeros.
    e = t["model.embed_tokens.weight"]
    e[0, :6] = np.array([1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 1.0 + 2.0 ** -8, 2.0 ** -20, -1.5, 0.0], dtype=np.float32)
    e[0, 6] = -0.0
    return t


def permute(w, n_head, n_head_kv):
    """convert_hf_to_gguf.py LlamaModel.permute."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


def write_config(folder):
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": VOCAB, "hidden_size": HIDDEN,
              "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS,
              "intermediate_size": INTER, "torch_dtype": "float32"}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def save_raw_safetensors(path, tensors):
    """Writes {name: (dtype name, shape, numpy array of the raw bits)} with safetensors' own writer."""
    keep = []
    specs = {}
    for name, (dtype, shape, bits) in tensors.items():
        bits = np.ascontiguousarray(bits)
        keep.append(bits)
        specs[name] = TensorSpec(dtype=dtype, shape=tuple(shape), data_ptr=bits.ctypes.data, data_len=bits.nbytes)
    serialize_file(specs, path, metadata={"format": "pt"})


def bf16_bits(a):
    return gguf.quants.quantize(a.astype(np.float32), QT.BF16).view(np.uint16).reshape(a.shape)


def write_gguf(path, tensors, kind, name_map, extra_kv=True):
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("pedigree test model")
    writer.add_block_count(LAYERS)
    writer.add_context_length(256)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(INTER)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_layer_norm_rms_eps(1e-5)
    if extra_kv:
        # One key of every scalar type and arrays, so readers are compared on all of them.
        writer.add_uint8("pedigree.test.u8", 200)
        writer.add_int8("pedigree.test.i8", -100)
        writer.add_uint16("pedigree.test.u16", 60000)
        writer.add_int16("pedigree.test.i16", -30000)
        writer.add_uint32("pedigree.test.u32", 4000000000)
        writer.add_int32("pedigree.test.i32", -2000000000)
        writer.add_float32("pedigree.test.f32", 0.1)
        writer.add_bool("pedigree.test.bool", True)
        writer.add_string("pedigree.test.string", "grüße \u2028 \"quoted\"")
        writer.add_uint64("pedigree.test.u64", 18446744073709551615)
        writer.add_int64("pedigree.test.i64", -9223372036854775808)
        writer.add_float64("pedigree.test.f64", 2.5e-300)
        writer.add_array("pedigree.test.strings", ["a", "", "ünï", "<0x0A>"])
        writer.add_array("pedigree.test.ints", [1, -2, 3])
        writer.add_array("pedigree.test.floats", [0.5, -1.25])
    if kind == QT.Q8_0:
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    for hf_name, w in tensors.items():
        name = name_map[hf_name]
        if hf_name.endswith("q_proj.weight"):
            w = permute(w, HEADS, HEADS)
        elif hf_name.endswith("k_proj.weight"):
            w = permute(w, HEADS, KV_HEADS)
        if w.ndim == 1 or kind == QT.F32:
            writer.add_tensor(name, w.astype(np.float32))
        elif kind == QT.F16:
            writer.add_tensor(name, w.astype(np.float16))
        else:
            writer.add_tensor(name, gguf.quants.quantize(w, kind), raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def describe_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    base = 8 + n
    out = []
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
        for name in f.keys():
            info = header[name]
            start, end = info["data_offsets"]
            dtype = f.get_slice(name).get_dtype()
            if dtype in ("BF16",):
                with open(path, "rb") as raw:
                    raw.seek(base + start)
                    data = raw.read(end - start)
            else:
                data = f.get_tensor(name).tobytes()
            out.append({"name": name, "dtype": dtype, "shape": list(f.get_slice(name).get_shape()),
                        "start": base + start, "end": base + end, "sha256": hashlib.sha256(data).hexdigest()})
    return {"format": "safetensors", "tensors": out, "metadata": metadata or {}}


def gguf_value(field):
    t = field.types[0]
    if t == gguf.GGUFValueType.ARRAY:
        return {"type": "array", "elementType": field.types[-1].name.lower(), "value": field.contents()}
    v = field.contents()
    if isinstance(v, float):
        v = float(np.float32(v)) if t == gguf.GGUFValueType.FLOAT32 else v
    return {"type": t.name.lower(), "value": v}


def describe_gguf(path):
    reader = gguf.GGUFReader(path)
    tensors = []
    for t in reader.tensors:
        tensors.append({"name": t.name, "dtype": t.tensor_type.name, "ggmlShape": [int(x) for x in t.shape],
                        "start": int(t.data_offset), "end": int(t.data_offset) + int(t.n_bytes),
                        "elements": int(t.n_elements), "sha256": hashlib.sha256(t.data.tobytes()).hexdigest()})
    kv = []
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        item = gguf_value(field)
        item["key"] = key
        kv.append(item)
    return {"format": "gguf", "alignment": int(reader.alignment), "dataOffset": int(reader.data_offset),
            "tensors": tensors, "kv": kv}


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(20240611)
    base = base_tensors(rng)
    folders = {}

    def folder(name):
        path = os.path.join(out, name)
        os.makedirs(path, exist_ok=True)
        folders[name] = path
        return path

    save_file(base, os.path.join(folder("base"), "model.safetensors"), metadata={"format": "pt"})
    write_config(folders["base"])

    # Sharded: the reference's own index layout.
    names = list(base.keys())
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    weight_map = {}
    total = 0
    for shard, members in shards.items():
        save_file({n: base[n] for n in members}, os.path.join(folder("sharded"), shard), metadata={"format": "pt"})
        for n in members:
            weight_map[n] = shard
            total += base[n].nbytes
    with open(os.path.join(folders["sharded"], "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)

    # GGUF conversions and quantizations, named through gguf-py's own tensor map.
    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, LAYERS)
    name_map = {n: tmap.get_name(n, try_suffixes=(".weight", ".bias")) for n in base}
    for label, kind in [("f32", QT.F32), ("f16", QT.F16), ("bf16", QT.BF16), ("q8_0", QT.Q8_0), ("q4_0", QT.Q4_0),
                        ("q4_1", QT.Q4_1), ("q5_0", QT.Q5_0), ("q5_1", QT.Q5_1)]:
        write_gguf(os.path.join(folder("gguf-" + label), "model.gguf"), base, kind, name_map)

    # safetensors casts and their widenings.
    f16 = {n: (w.astype(np.float16) if w.ndim == 2 else w) for n, w in base.items()}
    save_file(f16, os.path.join(folder("st-f16"), "model.safetensors"), metadata={"format": "pt"})
    save_file({n: w.astype(np.float32) for n, w in f16.items()}, os.path.join(folder("st-f16-upcast"), "model.safetensors"),
              metadata={"format": "pt"})
    bf = {}
    up = {}
    for n, w in base.items():
        if w.ndim == 2:
            bits = bf16_bits(w)
            bf[n] = ("bfloat16", w.shape, bits)
            up[n] = (bits.astype(np.uint32) << 16).view(np.float32)
        else:
            bf[n] = ("float32", w.shape, w)
            up[n] = w
    save_raw_safetensors(os.path.join(folder("st-bf16"), "model.safetensors"), bf)
    save_file(up, os.path.join(folder("st-bf16-upcast"), "model.safetensors"), metadata={"format": "pt"})

    # A fine-tune: a low-rank update plus noise on every 2-D tensor, small norms nudged.
    ft = {}
    for n, w in base.items():
        if w.ndim == 2:
            a = rng.standard_normal((w.shape[0], 4), dtype=np.float32)
            b = rng.standard_normal((4, w.shape[1]), dtype=np.float32)
            # About 2% of the tensor's norm: a low-rank update (rank 4) and a little noise.
            scale = np.float32(np.median(np.abs(w)))
            delta = (a @ b) * (0.01 * scale) + rng.standard_normal(w.shape, dtype=np.float32) * (0.005 * scale)
            ft[n] = (w + delta).astype(np.float32)
        else:
            ft[n] = (w + 0.001 * rng.standard_normal(w.shape)).astype(np.float32)
    save_file(ft, os.path.join(folder("finetune"), "model.safetensors"), metadata={"format": "pt"})
    resized = dict(ft)
    for n in ("model.embed_tokens.weight", "lm_head.weight"):
        resized[n] = np.concatenate([ft[n], rng.standard_normal((2, HIDDEN), dtype=np.float32) * 0.02])
    save_file(resized, os.path.join(folder("finetune-resized"), "model.safetensors"), metadata={"format": "pt"})
    unrelated = {n: (rng.standard_normal(w.shape, dtype=np.float32) * np.float32(w.std() + 0.01)).astype(np.float32) for n, w in base.items()}
    save_file(unrelated, os.path.join(folder("unrelated"), "model.safetensors"), metadata={"format": "pt"})

    # LoRA adapters in PEFT's layout.
    def lora(folder_name, r, config_r, shapes_in=None, targets=("q_proj", "v_proj")):
        t = {}
        for i in range(LAYERS):
            for module in targets:
                base_name = f"model.layers.{i}.self_attn.{module}.weight"
                out_dim, in_dim = base[base_name].shape
                if shapes_in is not None:
                    in_dim = shapes_in
                prefix = f"base_model.model.model.layers.{i}.self_attn.{module}"
                t[prefix + ".lora_A.weight"] = rng.standard_normal((r, in_dim), dtype=np.float32) * 0.01
                t[prefix + ".lora_B.weight"] = np.zeros((out_dim, r), dtype=np.float32) + 0.001
        path = folder(folder_name)
        save_file(t, os.path.join(path, "adapter_model.safetensors"), metadata={"format": "pt"})
        config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "pedigree/test-llama",
                  "r": config_r, "lora_alpha": 8, "lora_dropout": 0.0, "bias": "none",
                  "target_modules": list(targets), "fan_in_fan_out": False, "inference_mode": True}
        with open(os.path.join(path, "adapter_config.json"), "w") as f:
            json.dump(config, f, indent=2)

    lora("lora", 4, 4)
    lora("lora-misfit", 4, 4, shapes_in=48)
    lora("lora-rank", 8, 4)

    # Cast references.
    casts = folder("casts")
    special = np.array([0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345,
                        0x477fefff, 0x477ff000, 0x477fffff, 0x47800000, 0x387fc000, 0x33000000, 0x33000001,
                        0x32ffffff, 0x3f801000, 0x3f803000, 0x3f808000, 0x3f818000, 0x7f7fffff, 0x00000001,
                        0x007fffff, 0x38800000, 0x387fffff, 0x3f7fffff], dtype=np.uint32)
    bits = np.concatenate([special, rng.integers(0, 2 ** 32, size=200000, dtype=np.uint64).astype(np.uint32),
                           (rng.standard_normal(50000).astype(np.float32)).view(np.uint32)])
    values = bits.view(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        f16 = values.astype(np.float16).view(np.uint16)
    bf16 = gguf.quants.quantize(values, QT.BF16).view(np.uint16)
    bits.tofile(os.path.join(casts, "f32.bin"))
    f16.tofile(os.path.join(casts, "f16_from_f32.bin"))
    bf16.tofile(os.path.join(casts, "bf16_from_f32.bin"))
    np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32).view(np.uint32).tofile(
        os.path.join(casts, "f32_from_every_f16.bin"))

    # Dequantized reference values of one tensor of each quantized file.
    dequant = {}
    for label in ("q8_0", "q4_0", "q4_1", "q5_0", "q5_1"):
        reader = gguf.GGUFReader(os.path.join(folders["gguf-" + label], "model.gguf"))
        t = next(t for t in reader.tensors if t.name == "blk.0.ffn_down.weight")
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        values.tofile(os.path.join(casts, f"dequant_{label}.bin"))
        dequant[label] = {"tensor": t.name, "elements": int(values.size)}

    def metrics(child):
        d = p = c = pc = 0.0
        per = {}
        for n, w in base.items():
            a = w.astype(np.float64).ravel()
            b = child[n].astype(np.float64).ravel()
            per[n] = {"relativeL2": float(np.sqrt(((b - a) ** 2).sum() / (a ** 2).sum())),
                      "cosine": float((a * b).sum() / np.sqrt((a ** 2).sum() * (b ** 2).sum()))}
            d += ((b - a) ** 2).sum()
            p += (a ** 2).sum()
            c += (b ** 2).sum()
            pc += (a * b).sum()
        return {"relativeL2": float(np.sqrt(d / p)), "cosine": float(pc / np.sqrt(p * c)), "tensors": per}

    expected = {"files": {}, "metrics": {"finetune": metrics(ft), "unrelated": metrics(unrelated)}, "quantSizes": {q.name: list(GGML_QUANT_SIZES[q]) for q in GGML_QUANT_SIZES},
                "ggmlTypeIDs": {q.name: int(q) for q in QT}, "nameMap": name_map, "dequant": dequant,
                "model": {"heads": HEADS, "kvHeads": KV_HEADS, "layers": LAYERS, "hidden": HIDDEN, "vocab": VOCAB}}
    for name, path in folders.items():
        for entry in sorted(os.listdir(path)):
            full = os.path.join(path, entry)
            rel = name + "/" + entry
            if entry.endswith(".safetensors"):
                expected["files"][rel] = describe_safetensors(full)
            elif entry.endswith(".gguf"):
                expected["files"][rel] = describe_gguf(full)
            if os.path.isfile(full):
                with open(full, "rb") as f:
                    expected["files"].setdefault(rel, {})["fileSha256"] = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
