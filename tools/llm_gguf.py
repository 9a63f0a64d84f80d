#!/usr/bin/python3
"""Minimal, independent GGUF reader in pure Python (+ numpy for tensors).

Used by tools/llm_reference.py (the reference forward pass the C++ runtime is
tested against) and by tools/llm_make_gguf.py. It shares no code with the C++
reader in nlu/src/gguf.cc, on purpose: two readers written from the spec
must agree.

    python3 tools/llm_gguf.py FILE        # dump metadata and tensor table
"""
import struct
import sys

GGUF_MAGIC = b"GGUF"

# value types
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, \
    T_STRING, T_ARRAY, T_UINT64, T_INT64, T_FLOAT64 = range(13)

_SCALAR = {
    T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h", T_UINT32: "<I",
    T_INT32: "<i", T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q", T_INT64: "<q",
    T_FLOAT64: "<d",
}

# ggml tensor types: name, block size (elements), bytes per block
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    30: ("BF16", 1, 2),
}


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return s.decode("utf-8", errors="surrogateescape")

    def value(self, t):
        if t in _SCALAR:
            return self.take(_SCALAR[t])
        if t == T_STRING:
            return self.string()
        if t == T_ARRAY:
            et = self.take("<I")
            n = self.take("<Q")
            return [self.value(et) for _ in range(n)]
        raise ValueError("unknown value type %d at %d" % (t, self.pos))


class GGUF:
    """metadata: dict key -> value; tensors: dict name -> (type, shape ne[], offset)."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        r = Reader(self.data)
        if self.data[:4] != GGUF_MAGIC:
            raise ValueError("%s: not a GGUF file" % path)
        r.pos = 4
        self.version = r.take("<I")
        n_tensors = r.take("<Q")
        n_kv = r.take("<Q")
        self.metadata = {}
        for _ in range(n_kv):
            k = r.string()
            t = r.take("<I")
            self.metadata[k] = r.value(t)
        self.tensors = {}
        order = []
        for _ in range(n_tensors):
            name = r.string()
            nd = r.take("<I")
            ne = [r.take("<Q") for _ in range(nd)]
            tt = r.take("<I")
            off = r.take("<Q")
            self.tensors[name] = (tt, ne, off)
            order.append(name)
        self.tensor_order = order
        align = self.metadata.get("general.alignment", 32)
        self.data_start = (r.pos + align - 1) // align * align

    def raw(self, name):
        tt, ne, off = self.tensors[name]
        _, bs, bb = GGML_TYPES[tt]
        n = 1
        for d in ne:
            n *= d
        nbytes = n // bs * bb
        start = self.data_start + off
        return self.data[start:start + nbytes]


def main():
    g = GGUF(sys.argv[1])
    print("version", g.version, "data_start", g.data_start)
    for k, v in g.metadata.items():
        if isinstance(v, list):
            print("%-45s [%d] %s" % (k, len(v), repr(v[:8])[:100]))
        else:
            print("%-45s %s" % (k, repr(v)[:100]))
    for name in g.tensor_order:
        tt, ne, off = g.tensors[name]
        print("%-30s %-5s %-20s %d" % (name, GGML_TYPES.get(tt, ("?",))[0], ne, off))


if __name__ == "__main__":
    main()
