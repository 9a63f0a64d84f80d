#!/usr/bin/python3
"""Training steps per second of the hearth-kws network (tools/wakeword/train.py's
model, batch, loss and optimizer) on random features, one torch thread by
default. Used for the BLAS A/B in docs/benchmarks-wakeword.md:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 nice -n 10 bench/wakeword/train_step_speed.py
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        nice -n 10 bench/wakeword/train_step_speed.py      # reference netlib BLAS

Prints one JSON line: steps/s (wall and CPU) and the BLAS library torch loaded.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "wakeword"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--channels", type=int, default=48)
    ap.add_argument("--blocks", type=int, default=6)
    ap.add_argument("--no-mkldnn", action="store_true", help="disable oneDNN convolutions (forces im2col + BLAS)")
    a = ap.parse_args()
    import torch
    import train
    torch.set_num_threads(a.threads)
    if a.no_mkldnn:
        torch.backends.mkldnn.enabled = False
    torch.manual_seed(1)
    model = train.build_model(40, a.channels, [2 ** i for i in range(a.blocks)])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    bs, T = 96, train.CLIP_FRAMES
    x = torch.randn(bs, 40, T)
    y = (torch.rand(bs, T) < 0.05).float()
    model.train()

    def step():
        logits = model(x)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + \
            0.3 * torch.nn.functional.softplus(logits[bs // 3:].max(dim=1).values).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    w0, c0 = time.time(), time.process_time()
    for _ in range(a.steps):
        step()
    w, c = time.time() - w0, time.process_time() - c0
    blas = "?"
    with open("/proc/self/maps") as f:
        libs = {l.split()[-1] for l in f if "blas" in l.lower()}
    blas = ",".join(sorted(os.path.basename(p) for p in libs)) or "none mapped"
    print(json.dumps({"steps": a.steps, "steps_per_s_wall": round(a.steps / w, 2), "steps_per_s_cpu": round(a.steps / c, 2),
                      "threads": a.threads, "mkldnn": not a.no_mkldnn, "blas_libs": blas,
                      "ld_library_path": os.environ.get("LD_LIBRARY_PATH", "")}))


if __name__ == "__main__":
    main()
