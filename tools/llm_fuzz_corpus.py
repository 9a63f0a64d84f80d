#!/usr/bin/python3
"""Writes the seed corpus for tests/fuzz/gguf_fuzz.cc into assets/fuzz/gguf/.

Small valid GGUF files that reach every branch of the reader (every value
type, arrays, tensors of each supported type, custom alignment) plus a few
classic breakages. Crashers the fuzzer finds are added beside them by hand.

    python3 tools/llm_fuzz_corpus.py assets/fuzz/gguf
"""
import os
import struct
import sys


def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, t, payload):
    return s(key) + struct.pack("<I", t) + payload


def gguf(kvs, tensors, alignment=32, version=3):
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    out += b"".join(kvs)
    off = 0
    infos, blobs = b"", []
    for name, ttype, ne, data in tensors:
        infos += s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        infos += struct.pack("<IQ", ttype, off)
        blobs.append((off, data))
        off += len(data)
        off = (off + alignment - 1) // alignment * alignment
    out += infos
    if tensors:
        out += b"\0" * ((-len(out)) % alignment)
        base = len(out)
        for o, data in blobs:
            out += b"\0" * (base + o - len(out)) + data
    return out


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    scalars = [
        kv("u8", 0, b"\x07"), kv("i8", 1, b"\xff"), kv("u16", 2, b"\1\2"), kv("i16", 3, b"\xfe\xff"),
        kv("u32", 4, struct.pack("<I", 5)), kv("i32", 5, struct.pack("<i", -5)),
        kv("f32", 6, struct.pack("<f", 1.5)), kv("bool", 7, b"\1"), kv("str", 8, s("llama")),
        kv("u64", 10, struct.pack("<Q", 9)), kv("i64", 11, struct.pack("<q", -9)),
        kv("f64", 12, struct.pack("<d", 2.5)),
        kv("arr.str", 9, struct.pack("<IQ", 8, 3) + s("a") + s("\u2581b") + s("<0x0A>")),
        kv("arr.f32", 9, struct.pack("<IQ", 6, 2) + struct.pack("<ff", 0.0, -1.0)),
        kv("arr.i32", 9, struct.pack("<IQ", 5, 2) + struct.pack("<ii", 1, 3)),
    ]
    files = {
        "kv_all_types.gguf": gguf(scalars, []),
        "tensors_all_types.gguf": gguf(
            [kv("general.architecture", 8, s("llama"))],
            [("f32", 0, [4, 2], b"\0" * 32), ("f16", 1, [8], b"\0" * 16), ("q4_0", 2, [32], b"\1" * 18),
             ("q4_1", 3, [32], b"\1" * 20), ("q8_0", 8, [32, 2], b"\2" * 68), ("q4_k", 12, [256], b"\3" * 144),
             ("q5_k", 13, [256], b"\4" * 176), ("q6_k", 14, [256], b"\5" * 210)]),
        "alignment_64.gguf": gguf([kv("general.alignment", 4, struct.pack("<I", 64))],
                                  [("a", 0, [3], b"\0" * 12), ("b", 0, [1], b"\0" * 4)], alignment=64),
        "version2.gguf": gguf(scalars[:3], [("t", 0, [1], b"\0" * 4)], version=2),
        "truncated.gguf": gguf(scalars, [("t", 0, [4], b"\0" * 16)])[:-9],
        "bad_magic.gguf": b"GGUX" + gguf(scalars[:1], [])[4:],
        "huge_count.gguf": b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 60),
    }
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
