"""Small GGUF (v3) writer for hearth-kws models: metadata + F32/I8 tensors.
Layout: header, key/values, tensor infos, padding to 32 bytes, tensor data
(each tensor 32-byte aligned). Read back by wakeword/src/kws_model.cc and by
tools/llm_gguf.py. set_f32() changes or adds one FLOAT32 key of a file."""
import os
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


# bytes of one scalar of each GGUF value type (8 string, 9 array handled apart)
_SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def _skip_value(blob, j, vtype):
    if vtype == T_STRING:
        (n,) = struct.unpack_from("<Q", blob, j)
        return j + 8 + n
    if vtype == T_ARRAY:
        etype, n = struct.unpack_from("<IQ", blob, j)
        j += 12
        if etype == T_STRING:
            for _ in range(n):
                j = _skip_value(blob, j, T_STRING)
            return j
        if etype not in _SCALAR:
            raise ValueError("array of type %d" % etype)
        return j + n * _SCALAR[etype]
    if vtype not in _SCALAR:
        raise ValueError("value type %d" % vtype)
    return j + _SCALAR[vtype]


def set_f32(path, key, value):
    """Sets FLOAT32 metadata `key` of the GGUF v3 file at `path` to `value`
    (adding the key when absent; the tensor data moves to stay aligned).
    Returns the old value or None. Writes a temporary file, then renames it."""
    blob = open(path, "rb").read()
    if blob[:4] != b"GGUF":
        raise ValueError(path + ": not a GGUF file")
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", blob, 4)
    j, old, at = 24, None, None
    for _ in range(n_kv):
        (n,) = struct.unpack_from("<Q", blob, j)
        k = blob[j + 8:j + 8 + n].decode("utf-8")
        (vtype,) = struct.unpack_from("<I", blob, j + 8 + n)
        start, j = j, _skip_value(blob, j + 12 + n, vtype)
        if k == key:
            if vtype != T_FLOAT32:
                raise ValueError("%s: %s is not FLOAT32" % (path, key))
            old, at = struct.unpack_from("<f", blob, j - 4)[0], (start, j)
    kv_end = j
    for _ in range(n_tensors):
        (n,) = struct.unpack_from("<Q", blob, j)
        (nd,) = struct.unpack_from("<I", blob, j + 8 + n)
        j += 8 + n + 4 + 8 * nd + 4 + 8
    data = blob[j + (-j) % ALIGN:]
    infos = blob[kv_end:j]
    item = _kv(key, float(value))
    if at is None:
        head = blob[:4] + struct.pack("<IQQ", version, n_tensors, n_kv + 1) + blob[24:kv_end] + item
    else:
        head = blob[:at[0]] + item + blob[at[1]:kv_end]
    meta = head + infos
    meta += b"\0" * ((-len(meta)) % ALIGN)
    with open(path + ".tmp", "wb") as f:
        f.write(meta)
        f.write(data)
    os.replace(path + ".tmp", path)
    return old
