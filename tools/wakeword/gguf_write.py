"""Small GGUF (v3) writer for hearth-kws models: metadata + F32/I8 tensors.
Layout: header, key/values, tensor infos, padding to 32 bytes, tensor data
(each tensor 32-byte aligned). Read back by wakeword/src/kws_model.cc and by
tools/llm_gguf.py."""
import struct

import numpy as np

T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
GGML_F32, GGML_I8 = 0, 24
ALIGN = 32


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _kv(key, value):
    out = _str(key)
    if isinstance(value, bool):
        return out + struct.pack("<I?", T_BOOL, value)
    if isinstance(value, int):
        return out + struct.pack("<Ii", T_INT32, value) if value < 0 else out + struct.pack("<II", T_UINT32, value)
    if isinstance(value, float):
        return out + struct.pack("<If", T_FLOAT32, value)
    if isinstance(value, str):
        return out + struct.pack("<I", T_STRING) + _str(value)
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, int) for v in value):
            return out + struct.pack("<IIQ", T_ARRAY, T_UINT32, len(value)) + b"".join(struct.pack("<I", v) for v in value)
        return out + struct.pack("<IIQ", T_ARRAY, T_FLOAT32, len(value)) + b"".join(struct.pack("<f", float(v)) for v in value)
    raise TypeError(key)


def write_gguf(path, metadata, tensors):
    """metadata: dict key -> int/float/str/list; tensors: list of (name, np array
    of float32 or int8). numpy shape (a, b) is stored as ggml ne = [b, a]."""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    kv = b"".join(_kv(k, v) for k, v in metadata.items())
    infos, blobs, off = b"", [], 0
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr)
        if arr.dtype == np.float32:
            t = GGML_F32
        elif arr.dtype == np.int8:
            t = GGML_I8
        else:
            raise TypeError(name + ": " + str(arr.dtype))
        dims = list(reversed(arr.shape))
        infos += _str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", t, off)
        data = arr.tobytes()
        pad = (-len(data)) % ALIGN
        blobs.append(data + b"\0" * pad)
        off += len(data) + pad
    meta = head + kv + infos
    meta += b"\0" * ((-len(meta)) % ALIGN)
    with open(path, "wb") as f:
        f.write(meta)
        for b in blobs:
            f.write(b)
