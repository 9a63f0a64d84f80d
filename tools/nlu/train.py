#!/usr/bin/python3
"""Trains Hearth's intent model and exports it to GGUF (issue 7).

One command, fixed seed (see tools/nlu/build_model.sh):
    nice -n 10 python3 tools/nlu/train.py --out-dir /tmp/nlu_model --steps 2000

Steps: generate the corpus (corpus.py), learn the tokenizer (tokenizer.py),
train a small Llama (RMSNorm, RoPE in ggml's "normal" pair layout, SwiGLU,
grouped-query attention, tied input/output embeddings) on
"BOS sentence {"intent":" → rest of the JSON label, EOS" with the loss on the
label tokens only, then write GGUF `llama` files in Q8_0 and Q4_0 plus a small
reference file (token ids and logits computed here from the dequantized Q8_0
weights) that the C++ test compares our runtime against.

Progress (loss, label-token accuracy, exact label rate on a held-out slice of
the generated corpus, tokens/s, ETA) goes to stdout and <out-dir>/train.log.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
import gguf_writer as gw  # noqa: E402
from tokenizer import Tokenizer, example_ids, normalize  # noqa: E402


class Cfg:
    def __init__(self, **kw):
        self.n_vocab = 0
        self.n_embd = 128
        self.n_layer = 4
        self.n_head = 4
        self.n_head_kv = 2
        self.n_ff = 384
        self.n_ctx = 96
        self.rope_base = 10000.0
        self.eps = 1e-5
        self.__dict__.update(kw)


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, cos, sin):
    # x: (B, H, T, D); pairs (2i, 2i+1) rotate by theta_i (ggml's normal mode)
    a, b = x[..., 0::2], x[..., 1::2]
    ra = a * cos - b * sin
    rb = a * sin + b * cos
    return torch.stack([ra, rb], dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        hd = c.n_embd // c.n_head
        self.c, self.hd = c, hd
        self.attn_norm = RMSNorm(c.n_embd, c.eps)
        self.wq = nn.Linear(c.n_embd, c.n_head * hd, bias=False)
        self.wk = nn.Linear(c.n_embd, c.n_head_kv * hd, bias=False)
        self.wv = nn.Linear(c.n_embd, c.n_head_kv * hd, bias=False)
        self.wo = nn.Linear(c.n_head * hd, c.n_embd, bias=False)
        self.ffn_norm = RMSNorm(c.n_embd, c.eps)
        self.w_gate = nn.Linear(c.n_embd, c.n_ff, bias=False)
        self.w_up = nn.Linear(c.n_embd, c.n_ff, bias=False)
        self.w_down = nn.Linear(c.n_ff, c.n_embd, bias=False)

    def forward(self, x, cos, sin, mask):
        c, hd = self.c, self.hd
        B, T, _ = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, c.n_head, hd).transpose(1, 2)
        k = self.wk(h).view(B, T, c.n_head_kv, hd).transpose(1, 2)
        v = self.wv(h).view(B, T, c.n_head_kv, hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        g = c.n_head // c.n_head_kv
        k = k.repeat_interleave(g, dim=1)
        v = v.repeat_interleave(g, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, c.n_head * hd)
        x = x + self.wo(o)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.tok = nn.Embedding(c.n_vocab, c.n_embd)
        nn.init.normal_(self.tok.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layer))
        self.norm = RMSNorm(c.n_embd, c.eps)
        hd = c.n_embd // c.n_head
        inv = c.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        ang = torch.arange(c.n_ctx, dtype=torch.float64)[:, None] * inv[None, :]
        self.register_buffer("cos", torch.cos(ang).float(), persistent=False)
        self.register_buffer("sin", torch.sin(ang).float(), persistent=False)

        self.register_buffer("mask", torch.full((c.n_ctx, c.n_ctx), float("-inf")).triu(1), persistent=False)

    def forward(self, ids, select=None):
        """Logits (B, T, vocab); with `select` (a bool mask (B, T)) only the
        selected positions' logits, flattened (N, vocab) -- training needs the
        label positions only, which saves most of the output projection."""
        T = ids.shape[1]
        x = self.tok(ids)
        mask = self.mask[:T, :T]
        cos, sin = self.cos[:T], self.sin[:T]
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        if select is not None:
            x = x[select]
        return self.norm(x) @ self.tok.weight.t()


def log(fh, msg):
    line = time.strftime("%H:%M:%S ") + msg
    print(line, flush=True)
    fh.write(line + "\n")
    fh.flush()


def batches(data, bs, rng, pool=16):
    """Random batches of similar length: draw `pool` batches' worth of
    examples, sort them by length, cut into batches, shuffle the batches
    (padding was ~40 % of the tokens with plain random batches)."""
    while True:
        idx = sorted(rng.sample(range(len(data)), bs * pool), key=lambda i: len(data[i][0]))
        chunks = [idx[k:k + bs] for k in range(0, len(idx), bs)]
        rng.shuffle(chunks)
        for ch in chunks:
            yield [data[i] for i in ch]


def collate(items, pad):
    T = max(len(x[0]) for x in items)
    ids = np.full((len(items), T), pad, dtype=np.int64)
    tgt = np.full((len(items), T), -100, dtype=np.int64)
    for r, (seq, start) in enumerate(items):
        ids[r, :len(seq)] = seq
        # position p predicts seq[p+1]; supervise the label tokens only
        tgt[r, start - 1:len(seq) - 1] = seq[start:]
    return torch.from_numpy(ids), torch.from_numpy(tgt)


@torch.no_grad()
def evaluate(model, data, pad):
    model.eval()
    ok_tok = n_tok = ok_seq = 0
    for i in range(0, len(data), 128):
        ids, tgt = collate(data[i:i + 128], pad)
        pred = model(ids).argmax(-1)
        m = tgt != -100
        good = (pred == tgt) | ~m
        ok_tok += int(((pred == tgt) & m).sum())
        n_tok += int(m.sum())
        ok_seq += int(good.all(dim=1).sum())
    model.train()
    return ok_tok / max(n_tok, 1), ok_seq / max(len(data), 1)


def export(model, c, tok, path, qtype):
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    tensors = []

    def mat(name, w):
        w = np.ascontiguousarray(w, dtype=np.float32)
        n_out, n_in = w.shape
        data = gw.quantize_q8_0(w) if qtype == "q8_0" else gw.quantize_q4_0(w) if qtype == "q4_0" else w.tobytes()
        tt = {"q8_0": gw.GGML_Q8_0, "q4_0": gw.GGML_Q4_0, "f32": gw.GGML_F32}[qtype]
        tensors.append((name, tt, [n_in, n_out], data))

    def vec(name, w):
        tensors.append((name, gw.GGML_F32, [w.shape[0]], np.ascontiguousarray(w, dtype=np.float32).tobytes()))

    mat("token_embd.weight", sd["tok.weight"])
    vec("output_norm.weight", sd["norm.weight"])
    for i in range(c.n_layer):
        p = "blocks.%d." % i
        q = "blk.%d." % i
        vec(q + "attn_norm.weight", sd[p + "attn_norm.weight"])
        mat(q + "attn_q.weight", sd[p + "wq.weight"])
        mat(q + "attn_k.weight", sd[p + "wk.weight"])
        mat(q + "attn_v.weight", sd[p + "wv.weight"])
        mat(q + "attn_output.weight", sd[p + "wo.weight"])
        vec(q + "ffn_norm.weight", sd[p + "ffn_norm.weight"])
        mat(q + "ffn_gate.weight", sd[p + "w_gate.weight"])
        mat(q + "ffn_up.weight", sd[p + "w_up.weight"])
        mat(q + "ffn_down.weight", sd[p + "w_down.weight"])
    hd = c.n_embd // c.n_head
    md = [
        ("general.architecture", "llama"),
        ("general.name", "hearth-intent"),
        ("general.description", "Hearth's on-device intent model (tools/nlu/train.py)"),
        ("general.file_type", {"f32": 0, "q8_0": 7, "q4_0": 2}[qtype]),
        ("llama.context_length", c.n_ctx),
        ("llama.embedding_length", c.n_embd),
        ("llama.block_count", c.n_layer),
        ("llama.feed_forward_length", c.n_ff),
        ("llama.attention.head_count", c.n_head),
        ("llama.attention.head_count_kv", c.n_head_kv),
        ("llama.attention.layer_norm_rms_epsilon", float(c.eps)),
        ("llama.rope.freq_base", float(c.rope_base)),
        ("llama.rope.dimension_count", hd),
        ("llama.vocab_size", c.n_vocab),
        ("tokenizer.ggml.model", "llama"),
        ("tokenizer.ggml.tokens", ("arr", gw.T_STRING, tok.tokens)),
        ("tokenizer.ggml.scores", ("arr", gw.T_FLOAT32, tok.scores)),
        ("tokenizer.ggml.token_type", ("arr", gw.T_INT32, tok.kinds)),
        ("tokenizer.ggml.bos_token_id", tok.bos),
        ("tokenizer.ggml.eos_token_id", tok.eos),
        ("tokenizer.ggml.unknown_token_id", tok.unk),
        ("tokenizer.ggml.add_bos_token", True),
        ("tokenizer.ggml.add_eos_token", False),
        ("tokenizer.ggml.add_space_prefix", False),
        ("hearth.intent.format", "json-v1"),
    ]
    gw.write_gguf(path, md, tensors)


def dequantized_copy(model, qtype):
    m2 = Model(model.c)
    m2.load_state_dict(model.state_dict())
    with torch.no_grad():
        for name, p in m2.named_parameters():
            if p.dim() == 2:
                w = p.detach().numpy().astype(np.float32)
                b = gw.quantize_q8_0(w) if qtype == "q8_0" else gw.quantize_q4_0(w)
                deq = gw.dequantize_q8_0(b, w.size) if qtype == "q8_0" else gw.dequantize_q4_0(b, w.size)
                p.copy_(torch.from_numpy(deq.reshape(w.shape)))
    m2.eval()
    return m2


REF_SENTENCES = ["turn on the kitchen lights", "it's way too dark in the hallway, can you help",
                 "set a timer for twenty minutes", "what's the capital of peru"]


@torch.no_grad()
def reference(model, tok, c, path):
    """Token ids, last-position logits and the greedy label of a few sentences, from the dequantized Q8_0 weights."""
    m = dequantized_copy(model, "q8_0")
    out = []
    for s in REF_SENTENCES:
        ids = tok.encode(" " + normalize(s), bos=True) + [tok.index['{"intent":"']]
        logits = m(torch.tensor([ids]))[0, -1].numpy()
        seq = list(ids)
        margins = []  # top-1 minus top-2 logit at each greedy step (near ties may flip under quantization)
        for _ in range(24):
            lg = m(torch.tensor([seq]))[0, -1]
            top2 = lg.topk(2).values
            nxt = int(lg.argmax())
            if nxt == tok.eos:
                break
            seq.append(nxt)
            margins.append(round(float(top2[0] - top2[1]), 4))
        out.append({"text": s, "ids": ids, "logits": [round(float(x), 5) for x in logits],
                    "greedy": seq[len(ids):], "greedy_text": tok.decode(seq[len(ids):]), "greedy_margins": margins})
    json.dump(out, open(path, "w"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--n-examples", type=int, default=80000)
    ap.add_argument("--vocab", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-embd", type=int, default=128)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-ff", type=int, default=384)
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--split-digits", action="store_true",
                    help="no merged tokenizer piece contains a digit (tried in session 8, not better; off)")
    ap.add_argument("--stop-after", type=int, default=0,
                    help="stop (and export) after this many steps of the --steps schedule (0: run it all)")
    ap.add_argument("--export-only", action="store_true", help="export <out-dir>/ckpt.pt without training")
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    fh = open(os.path.join(a.out_dir, "train.log"), "a")

    tok_path = os.path.join(a.out_dir, "tokenizer.json")
    if a.export_only:
        tok = Tokenizer.load(tok_path)
    else:
        rows = corpus.make(a.n_examples, a.seed)
        with open(os.path.join(a.out_dir, "corpus.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        texts = [" " + normalize(r["text"]) for r in rows] + [r["label"][len('{"intent":"'):] for r in rows]
        t0 = time.time()
        tok = Tokenizer.train(texts[:12000] + texts[len(rows):len(rows) + 12000], a.vocab, a.split_digits)
        tok.save(tok_path)
        log(fh, "tokenizer: %d tokens in %.1fs" % (len(tok.tokens), time.time() - t0))
    c = Cfg(n_vocab=len(tok.tokens), n_embd=a.n_embd, n_layer=a.n_layer, n_ff=a.n_ff)
    model = Model(c)
    ck = os.path.join(a.out_dir, "ckpt.pt")
    if a.export_only:
        model.load_state_dict(torch.load(ck))
    else:
        data = []
        for r in rows:
            ids, start = example_ids(tok, r["text"], r["label"])
            if len(ids) <= c.n_ctx:
                data.append((ids, start))
        n_held = min(300, len(data) // 10)
        held = data[-n_held:]
        data = data[:-n_held]
        n_params = sum(p.numel() for p in model.parameters())
        log(fh, "model: %d params (embd %d, layers %d, heads %d/%d, ff %d, vocab %d, ctx %d); %d train examples, avg %.1f tokens"
            % (n_params, c.n_embd, c.n_layer, c.n_head, c.n_head_kv, c.n_ff, c.n_vocab, c.n_ctx, len(data),
               sum(len(d[0]) for d in data) / len(data)))
        decay = [p for n, p in model.named_parameters() if p.dim() == 2]
        nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": nodecay, "weight_decay": 0.0}],
                                lr=a.lr, betas=(0.9, 0.98))
        rng = random.Random(a.seed)
        it = batches(data, a.batch, rng)
        t0 = time.time()
        ntok = 0
        ema = None
        warm = max(1, a.steps // 20)
        for step in range(1, a.steps + 1):
            lr = a.lr * (step / warm if step <= warm else 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warm) / (a.steps - warm))))
            for g in opt.param_groups:
                g["lr"] = lr
            ids, tgt = collate(next(it), tok.eos)
            sel = tgt != -100
            loss = F.cross_entropy(model(ids, sel), tgt[sel])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ntok += ids.numel()
            ema = float(loss) if ema is None else 0.95 * ema + 0.05 * float(loss)
            if step % 10 == 0 or step == 1:
                el = time.time() - t0
                log(fh, "step %d/%d loss %.4f lr %.2e %.0f ms/step %.0f tok/s elapsed %.0fs eta %.0fs"
                    % (step, a.steps, ema, lr, el / step * 1000, ntok / el, el, el / step * (a.steps - step)))
            last = step == a.steps or step == a.stop_after
            if step % a.save_every == 0 or last:
                ta, sa = evaluate(model, held, tok.eos)
                log(fh, "eval step %d: label-token acc %.4f, exact labels %.4f (held-out generated slice)" % (step, ta, sa))
                torch.save(model.state_dict(), ck)
            if last:
                break
    model.eval()
    for q in ("q8_0", "q4_0"):
        p = os.path.join(a.out_dir, "hearth-intent-%s.gguf" % q)
        export(model, c, tok, p, q)
        log(fh, "wrote %s (%d bytes)" % (p, os.path.getsize(p)))
    reference(model, tok, c, os.path.join(a.out_dir, "reference.json"))
    log(fh, "wrote reference.json")


if __name__ == "__main__":
    main()
