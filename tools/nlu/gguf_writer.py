#!/usr/bin/python3
"""GGUF v3 writer and the Q8_0 / Q4_0 quantizers, written from the format's
block layouts (ggml's reference quantizers):

  Q8_0: blocks of 32: f16 d = max|x| / 127, then 32 x int8 q = round(x / d).
  Q4_0: blocks of 32: the value m with the largest |x| (sign kept), d = m / -8,
        q = min(15, int(x / d + 8.5)) (truncation), f16 d then 16 bytes where
        byte j holds q[j] in the low nibble and q[j + 16] in the high one.
        Dequantized: (q - 8) * d.
"""
import struct

import numpy as np

GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0 = 0, 1, 2, 8
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, T_UINT64 = 4, 5, 6, 7, 8, 9, 10


def quantize_q8_0(x):
    x = np.asarray(x, dtype=np.float32).reshape(-1, 32)
    amax = np.abs(x).max(axis=1)
    d = amax / 127.0
    idn = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
    v = x * idn[:, None]
    q = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int8)  # roundf: half away from zero
    out = np.zeros((x.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def dequantize_q8_0(b, n):
    a = np.frombuffer(b, dtype=np.uint8).reshape(-1, 34)
    d = a[:, 0:2].copy().view(np.float16).astype(np.float32).reshape(-1)
    q = a[:, 2:].copy().view(np.int8).astype(np.float32)
    return (q * d[:, None]).reshape(-1)[:n]


def quantize_q4_0(x):
    x = np.asarray(x, dtype=np.float32).reshape(-1, 32)
    idx = np.abs(x).argmax(axis=1)
    m = x[np.arange(x.shape[0]), idx]
    d = m / -8.0
    idn = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0.0)
    q = np.minimum(15, (x * idn[:, None] + 8.5).astype(np.int32)).astype(np.uint8)
    out = np.zeros((x.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def dequantize_q4_0(b, n):
    a = np.frombuffer(b, dtype=np.uint8).reshape(-1, 18)
    d = a[:, 0:2].copy().view(np.float16).astype(np.float32).reshape(-1)
    lo = (a[:, 2:] & 15).astype(np.float32) - 8
    hi = (a[:, 2:] >> 4).astype(np.float32) - 8
    return (np.concatenate([lo, hi], axis=1) * d[:, None]).reshape(-1)[:n]


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(v):
    if isinstance(v, bool):
        return struct.pack("<I", T_BOOL) + struct.pack("<?", v)
    if isinstance(v, int):
        return struct.pack("<I", T_UINT32) + struct.pack("<I", v)
    if isinstance(v, float):
        return struct.pack("<I", T_FLOAT32) + struct.pack("<f", v)
    if isinstance(v, str):
        return struct.pack("<I", T_STRING) + _str(v)
    if isinstance(v, tuple) and v[0] == "arr":
        et, items = v[1], v[2]
        body = struct.pack("<IQ", et, len(items))
        for it in items:
            if et == T_STRING:
                body += _str(it)
            elif et == T_FLOAT32:
                body += struct.pack("<f", it)
            elif et == T_INT32:
                body += struct.pack("<i", it)
        return struct.pack("<I", T_ARRAY) + body
    raise TypeError(type(v))


def write_gguf(path, metadata, tensors, alignment=32):
    """metadata: list of (key, value); tensors: list of (name, ggml_type, ne list, bytes)."""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata) + 1)
    kv = _str("general.alignment") + struct.pack("<I", T_UINT32) + struct.pack("<I", alignment)
    for k, v in metadata:
        kv += _str(k) + _value(v)
    info = b""
    off = 0
    offsets = []
    for name, tt, ne, data in tensors:
        offsets.append(off)
        info += _str(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        info += struct.pack("<IQ", tt, off)
        off += (len(data) + alignment - 1) // alignment * alignment
    blob = head + kv + info
    pad = (-len(blob)) % alignment
    with open(path, "wb") as f:
        f.write(blob + b"\0" * pad)
        for (name, tt, ne, data), o in zip(tensors, offsets):
            f.write(data)
            f.write(b"\0" * ((-len(data)) % alignment))
