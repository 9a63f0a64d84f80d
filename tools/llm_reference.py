#!/usr/bin/python3
"""Independent reference forward pass for llama-architecture GGUF models.

Reads the GGUF with tools/llm_gguf.py (pure Python, written apart from the
C++ reader), computes the whole causal sequence in float64 with numpy, and
writes reference outputs the C++ runtime is tested against
(tests/unit/llm/llama_test.cc). Only the math llama.cpp defines is used:

  x = token_embd[ids]
  per layer: h = rmsnorm(x) * attn_norm; q,k,v = h Wq, h Wk, h Wv (+ biases
    for qwen2); RoPE on q,k (normal: pairs (2i, 2i+1); NeoX for qwen2: pairs
    (i, i + n_rot/2)), angle pos * base^(-2i/n_rot); causal softmax
    attention per head with kv head h // (n_head / n_head_kv), scale
    1/sqrt(head_dim); x += out Wo; h = rmsnorm(x) * ffn_norm;
    x += (silu(h Wgate) * (h Wup)) Wdown
  logits = rmsnorm(x) * output_norm @ output (token_embd when absent)

Tensors are F32 or F16 here. Outputs are regenerated, never edited:

    python3 tools/llm_reference.py ../shared/data/llm/stories260K.gguf \\
        > tests/data/llm/stories260K_reference.txt
    llm_tool random --preset tiny-qwen2 --type f32 --seed 7 --out /tmp/q.gguf
    python3 tools/llm_reference.py /tmp/q.gguf --ids 1,5,77,200,3,150,42 --greedy 16 \\
        > tests/data/llm/tiny_qwen2_reference.txt
"""
import hashlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_gguf  # noqa: E402

# Prompts as token ids (BOS first). The ids are what our tokenizer gives for
# the text; the C++ test checks that too, and the tokenizer itself is checked
# against llama.cpp's answers on the phi-3 SentencePiece vocabulary.
PROMPTS = [
    ("Once upon a time", [1, 403, 407, 261, 378]),
    ("The little dog", [1, 291, 376, 400, 428]),
    ("Lily wanted to play with her", [1, 317, 391, 266, 267, 337, 335, 311]),
    ("One day, a big red ball", [1, 385, 328, 432, 261, 370, 352, 266, 268, 388]),
]
N_GREEDY = 32


def tensor(g, name):
    tt, ne, _ = g.tensors[name]
    raw = g.raw(name)
    if tt == 0:
        a = np.frombuffer(raw, dtype="<f4")
    elif tt == 1:
        a = np.frombuffer(raw, dtype="<f2")
    else:
        raise SystemExit("llm_reference: %s: tensor type %d not supported here" % (name, tt))
    # ne[0] is contiguous: numpy shape is reversed
    return a.astype(np.float64).reshape(list(reversed(ne)))


class Llama:
    def __init__(self, path):
        g = llm_gguf.GGUF(path)
        md = g.metadata
        arch = md["general.architecture"]
        self.arch = arch
        self.n_embd = md[arch + ".embedding_length"]
        self.n_layer = md[arch + ".block_count"]
        self.n_head = md[arch + ".attention.head_count"]
        self.n_head_kv = md.get(arch + ".attention.head_count_kv", self.n_head)
        self.head_dim = self.n_embd // self.n_head
        self.n_rot = md.get(arch + ".rope.dimension_count", self.head_dim)
        self.eps = md[arch + ".attention.layer_norm_rms_epsilon"]
        self.base = md.get(arch + ".rope.freq_base", 10000.0)
        self.neox = arch == "qwen2"
        self.tok_embd = tensor(g, "token_embd.weight")          # [n_vocab, n_embd]
        self.out_norm = tensor(g, "output_norm.weight")
        self.output = tensor(g, "output.weight") if "output.weight" in g.tensors else self.tok_embd
        self.layers = []
        for l in range(self.n_layer):
            p = "blk.%d." % l
            L = {k: tensor(g, p + k + ".weight") for k in
                 ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")}
            for b in ("attn_q", "attn_k", "attn_v"):
                if p + b + ".bias" in g.tensors:
                    L[b + "_bias"] = tensor(g, p + b + ".bias")
            self.layers.append(L)

    def rmsnorm(self, x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def rope(self, x, n_heads):
        # x: [T, n_heads, head_dim]
        T = x.shape[0]
        half = self.n_rot // 2
        i = np.arange(half)
        theta = np.arange(T)[:, None] * self.base ** (-2.0 * i / self.n_rot)[None, :]   # [T, half]
        c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
        x = x.copy()
        if self.neox:
            a, b = x[:, :, i].copy(), x[:, :, i + half].copy()
            x[:, :, i], x[:, :, i + half] = a * c - b * s, a * s + b * c
        else:
            a, b = x[:, :, 2 * i].copy(), x[:, :, 2 * i + 1].copy()
            x[:, :, 2 * i], x[:, :, 2 * i + 1] = a * c - b * s, a * s + b * c
        return x

    def logits(self, ids):
        T = len(ids)
        x = self.tok_embd[ids]                                     # [T, n_embd]
        group = self.n_head // self.n_head_kv
        mask = np.triu(np.full((T, T), -np.inf), 1)
        for L in self.layers:
            h = self.rmsnorm(x, L["attn_norm"])
            q = h @ L["attn_q"].T
            k = h @ L["attn_k"].T
            v = h @ L["attn_v"].T
            if "attn_q_bias" in L:
                q, k, v = q + L["attn_q_bias"], k + L["attn_k_bias"], v + L["attn_v_bias"]
            q = self.rope(q.reshape(T, self.n_head, self.head_dim), self.n_head)
            k = self.rope(k.reshape(T, self.n_head_kv, self.head_dim), self.n_head_kv)
            v = v.reshape(T, self.n_head_kv, self.head_dim)
            out = np.zeros((T, self.n_head, self.head_dim))
            for hd in range(self.n_head):
                kv = hd // group
                s = q[:, hd, :] @ k[:, kv, :].T / np.sqrt(self.head_dim) + mask
                s = np.exp(s - s.max(axis=1, keepdims=True))
                s /= s.sum(axis=1, keepdims=True)
                out[:, hd, :] = s @ v[:, kv, :]
            x = x + out.reshape(T, -1) @ L["attn_output"].T
            h = self.rmsnorm(x, L["ffn_norm"])
            gte = h @ L["ffn_gate"].T
            up = h @ L["ffn_up"].T
            x = x + (gte / (1 + np.exp(-gte)) * up) @ L["ffn_down"].T
        return self.rmsnorm(x, self.out_norm) @ self.output.T         # [T, n_vocab]


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--ids", help="one prompt as comma-separated token ids instead of the built-in prompts")
    ap.add_argument("--greedy", type=int, default=N_GREEDY, help="greedy continuation length")
    args = ap.parse_args()
    path = args.model
    prompts = PROMPTS if not args.ids else [("ids " + args.ids, [int(t) for t in args.ids.split(",")])]
    m = Llama(path)
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    print("# generated by tools/llm_reference.py from %s (sha256 %s); do not edit" % (os.path.basename(path), sha))
    print("# per prompt: ids; logits after prompt tokens (position, then n_vocab values; every")
    print("# position for the first prompt, the last one for the others);")
    print("# the greedy continuation of %d tokens (first maximum on ties)" % args.greedy)
    for text, ids in prompts:
        print("prompt", text)
        print("ids", " ".join(map(str, ids)))
        lg = m.logits(ids)
        # every position for the first prompt, the last one for the others
        for t in range(len(ids)) if text == prompts[0][0] else [len(ids) - 1]:
            print("logits", t, " ".join("%.8g" % v for v in lg[t]))
        seq = list(ids)
        for _ in range(args.greedy):
            seq.append(int(np.argmax(m.logits(seq)[-1])))
        print("greedy", " ".join(map(str, seq[len(ids):])))
        print("end")


if __name__ == "__main__":
    main()
