#!/usr/bin/python3
"""Recovers a GGUF file that went through a lossy UTF-8 text conversion.

The vocabulary files in ../shared/data/llm (ggml-vocab-gpt-2.gguf,
ggml-vocab-phi-3.gguf) arrived damaged: somewhere on their way the bytes were
decoded as UTF-8 with replacement and encoded again, so every byte that was
not part of a valid UTF-8 sequence became U+FFFD (EF BF BD). Strings in a
vocabulary are valid UTF-8 and survive; binary numbers (counts, lengths,
ids, float scores) with bytes >= 0x80 do not, and everything after the first
such number is shifted.

This tool re-parses the damaged stream with the GGUF structure in mind and
re-creates the original numbers:

  * each EF BF BD stands for one unknown byte in 0x80..0xFF;
  * an integer with unknown bytes is resolved by the structure that follows
    (a string length must land on the next record, an array count must end
    at the next key) or, for token ids, by the token they name (a control
    token);
  * a float with unknown bytes is resolved against a short list of
    hypotheses: the usual epsilons and rope bases for scalars, and for
    SentencePiece scores {0, -1000, -10000, -1e9, -(id - first_normal_id)}
    (the rank-ordered scores of a SentencePiece BPE model).

Every hypothesis is checked: the recovered file, put through the same lossy
conversion, must reproduce the damaged file byte for byte, or the tool fails.
The output is written to the build tree (never to the repository).

    python3 tools/llm_vocab_recover.py DAMAGED.gguf OUT.gguf
"""
import re
import struct
import sys

FFFD = b"\xef\xbf\xbd"
KEY_RE = re.compile(rb"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
SCALAR_FMT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
              10: "<Q", 11: "<q", 12: "<d"}
FLOAT_HYPOTHESES = [1e-5, 1e-6, 1e-12, 1e-8, 1e-10, 10000.0, 500000.0, 1000000.0, 0.0]


def mangle(b):
    return b.decode("utf-8", "replace").encode("utf-8")


class Fail(Exception):
    pass


class Stream:
    def __init__(self, data):
        self.d = data
        self.pos = 0

    def symbols(self, n, pos=None):
        """n original bytes starting at pos: list of ints (None = unknown high byte), end pos."""
        p = self.pos if pos is None else pos
        out = []
        for _ in range(n):
            if self.d[p:p + 3] == FFFD:
                out.append(None)
                p += 3
            elif p < len(self.d):
                out.append(self.d[p])
                p += 1
            else:
                raise Fail("unexpected end at %d" % p)
        return out, p


def candidates_int(syms, signed=False, limit=None):
    """All little-endian values the symbols can stand for (ascending)."""
    vals = [0]
    for i, s in enumerate(syms):
        choices = [s] if s is not None else range(0x80, 0x100)
        vals = [v | (c << (8 * i)) for v in vals for c in choices]
        if limit and len(vals) > limit:
            raise Fail("too many candidates")
    if signed:
        bits = 8 * len(syms)
        vals = [v - (1 << bits) if v >> (bits - 1) else v for v in vals]
    return sorted(vals)


def matches_float(d, pos, value, fmt="<f"):
    m = mangle(struct.pack(fmt, value))
    return d[pos:pos + len(m)] == m, pos + len(m)


class Recover:
    def __init__(self, data):
        self.s = Stream(data)
        self.kvs = []  # (key, type, payload bytes in original encoding)
        self.token_types = None
        self.n_tokens = None
        self.first_normal = None

    def u64(self, what):
        syms, end = self.s.symbols(8)
        if None in syms:
            raise Fail("%s: unresolvable u64 at %d" % (what, self.s.pos))
        self.s.pos = end
        return int.from_bytes(bytes(syms), "little")

    def looks_like_key(self, pos):
        try:
            syms, p = self.s.symbols(8, pos)
        except Fail:
            return False
        if None in syms:
            return False
        n = int.from_bytes(bytes(syms), "little")
        if not 0 < n < 256:
            return False
        key = self.s.d[p:p + n]
        if not KEY_RE.match(key):
            return False
        t = self.s.d[p + n:p + n + 4]
        return len(t) == 4 and struct.unpack("<I", t)[0] <= 12

    def at_end_or_key(self, pos):
        return pos == len(self.s.d) or self.looks_like_key(pos)

    def string_at(self, pos):
        """Reads a string whose length may have unknown bytes; returns (bytes, end)."""
        syms, p = self.s.symbols(8, pos)
        if None not in syms:
            n = int.from_bytes(bytes(syms), "little")
            return self.s.d[p:p + n], p + n
        # ambiguous length: the string must be followed by a small length
        # field (next element) or a key.
        for n in candidates_int(syms, limit=1 << 16):
            end = p + n
            if end > len(self.s.d):
                break
            try:  # vocabulary strings are valid UTF-8: a length must end on a character
                self.s.d[p:end].decode("utf-8")
            except UnicodeDecodeError:
                continue
            nxt = self.s.d[end:end + 8]
            if self.at_end_or_key(end) or (len(nxt) == 8 and nxt[2:] == b"\0" * 6):
                return self.s.d[p:end], end
        raise Fail("string length at %d: no candidate fits" % pos)

    def parse_array(self, key, et, count_syms):
        counts = candidates_int(count_syms, limit=1 << 16)
        count_set = set(counts)
        if et == 8:
            items, pos = [], self.s.pos
            maxc = counts[-1]
            for c in range(maxc + 1):
                if c in count_set and self.at_end_or_key(pos):
                    self.s.pos = pos
                    return items
                if c == maxc:
                    break
                b, pos = self.string_at(pos)
                items.append(b)
            raise Fail("%s: no array count fits" % key)
        # numeric array: try the vocabulary size first, then every candidate;
        # the right count ends exactly at the next key
        start = self.s.pos
        order = sorted(counts, key=lambda c: (c != self.n_tokens, c))
        for n in order:
            self.s.pos = start
            try:
                vals = self.numeric_items(key, et, n)
            except Fail:
                continue
            if self.at_end_or_key(self.s.pos):
                return vals
        raise Fail("%s: no array count fits" % key)

    def numeric_items(self, key, et, n):
        vals = []
        if et == 6:
            for i in range(n):
                hyps = [0.0, -1000.0, -10000.0, -1e9]
                if self.first_normal is not None:
                    hyps.append(float(-(i - self.first_normal)))
                for h in ([] if key != "tokenizer.ggml.scores" else hyps) + FLOAT_HYPOTHESES:
                    ok, end = matches_float(self.s.d, self.s.pos, h)
                    if ok:
                        vals.append(h)
                        self.s.pos = end
                        break
                else:
                    syms, end = self.s.symbols(4)
                    if None in syms:
                        raise Fail("%s[%d]: float not recoverable at %d" % (key, i, self.s.pos))
                    vals.append(struct.unpack("<f", bytes(syms))[0])
                    self.s.pos = end
            return vals
        fmt = SCALAR_FMT[et]
        size = struct.calcsize(fmt)
        for i in range(n):
            syms, end = self.s.symbols(size)
            if None in syms:
                raise Fail("%s[%d]: integer not recoverable" % (key, i))
            vals.append(struct.unpack(fmt, bytes(syms))[0])
            self.s.pos = end
        return vals

    def scalar(self, key, t):
        fmt = SCALAR_FMT[t]
        size = struct.calcsize(fmt)
        syms, end = self.s.symbols(size)
        if None not in syms:
            self.s.pos = end
            return struct.unpack(fmt, bytes(syms))[0]
        if t in (6, 12):
            for h in FLOAT_HYPOTHESES:
                ok, e = matches_float(self.s.d, self.s.pos, h, fmt)
                if ok:
                    self.s.pos = e
                    return h
            raise Fail("%s: float not recoverable" % key)
        cands = candidates_int(syms, signed=fmt.islower() and fmt != "<?", limit=1 << 16)
        if key.endswith("_token_id") and self.token_types is not None:
            fit = [c for c in cands if 0 <= c < len(self.token_types) and self.token_types[c] == 3]
            if len(fit) == 1:
                self.s.pos = end
                return fit[0]
        raise Fail("%s: integer not recoverable (%d candidates)" % (key, len(cands)))

    def run(self):
        d = self.s.d
        if d[:4] != b"GGUF":
            raise Fail("not a GGUF file")
        version, n_tensors, n_kv = struct.unpack_from("<IQQ", d, 4)
        if n_tensors != 0:
            raise Fail("only vocabulary-only files (no tensors) are supported")
        self.s.pos = 24
        for _ in range(n_kv):
            key_b, self.s.pos = self.string_at(self.s.pos)
            key = key_b.decode()
            t = struct.unpack_from("<I", d, self.s.pos)[0]
            self.s.pos += 4
            if t == 8:
                v, self.s.pos = self.string_at(self.s.pos)
                self.kvs.append((key, t, v))
            elif t == 9:
                et = struct.unpack_from("<I", d, self.s.pos)[0]
                self.s.pos += 4
                count_syms, self.s.pos = self.s.symbols(8)
                v = self.parse_array(key, et, count_syms)
                self.kvs.append((key, t, (et, v)))
                if key == "tokenizer.ggml.token_type":
                    self.token_types = v
            else:
                self.kvs.append((key, t, self.scalar(key, t)))
            if key == "tokenizer.ggml.tokens":
                # scores precede token types in these files; use the token
                # text: the first non-special, non-byte piece
                toks = self.kvs[-1][2][1]
                self.n_tokens = len(toks)
                for i, b in enumerate(toks):
                    if not (b.startswith(b"<") and b.endswith(b">")):
                        self.first_normal = i
                        break
        if self.s.pos != len(d):
            raise Fail("trailing bytes after the last key")
        return version, n_kv

    def serialize(self, version):
        def s(b):
            return struct.pack("<Q", len(b)) + b
        out = b"GGUF" + struct.pack("<IQQ", version, 0, len(self.kvs))
        for key, t, v in self.kvs:
            out += s(key.encode()) + struct.pack("<I", t)
            if t == 8:
                out += s(v)
            elif t == 9:
                et, items = v
                out += struct.pack("<IQ", et, len(items))
                if et == 8:
                    out += b"".join(s(b) for b in items)
                else:
                    out += b"".join(struct.pack(SCALAR_FMT[et], x) for x in items)
            else:
                out += struct.pack(SCALAR_FMT[t], v)
        return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    damaged = open(src, "rb").read()
    r = Recover(damaged)
    try:
        version, _ = r.run()
    except Fail as e:
        sys.exit("llm_vocab_recover: %s: %s" % (src, e))
    out = r.serialize(version)
    if out == damaged:
        print("llm_vocab_recover: %s was not damaged" % src)
    elif mangle(out) != damaged:
        sys.exit("llm_vocab_recover: %s: recovered file does not reproduce the damaged one" % src)
    with open(dst, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
