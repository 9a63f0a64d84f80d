#!/usr/bin/python3
"""Hearth's LLM runtime side by side with llama.cpp (llama-bench), same run.

For each model (random weights of real shapes, made by `hearth_llm_tool
random`; both runtimes read the same GGUF file) and thread count, runs
`hearth_llm_tool bench` and `llama-bench` alternately ROUNDS times and
reports the median prefill and decode tokens/s of each, their ratio, and
our decode against the memory-bandwidth bound measured in the same run
(ours/bound: the median over runs of `llm bench`'s own figure, which pairs
each decode round with probes just before and after it; llama/bound:
llama.cpp's median decode over our median bound).

  bench/llm/compare.py --tool BUILD/nlu/hearth_llm_tool \
      --llama-bench "$(bench/llm/build_llamacpp.sh)" [--rounds 3] [--models qwen2-0.5b:q4_0,...]

llama-bench comes from bench/llm/build_llamacpp.sh (llama.cpp is not in
Debian 12). Without --llama-bench only our side is printed.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout


def ours(tool, model, threads, n_prompt, n_gen, env=None):
    out = run([tool, "bench", "--model", model, "-t", str(threads), "-p", str(n_prompt), "-n", str(n_gen)], env)
    pp = float(re.search(r"prefill: .* = ([\d.]+) tok/s", out).group(1))
    tg = float(re.search(r"decode: .* = ([\d.]+) tok/s", out).group(1))
    bound = float(re.search(r"bound ([\d.]+) tok/s", out).group(1))
    gbps = float(re.search(r"measured read bandwidth ([\d.]+) GB/s", out).group(1))
    # decode / bound paired per round inside the run (probes before and after each round)
    share = float(re.search(r"decode at ([\d.]+)% of bound", out).group(1)) / 100
    return {"pp": pp, "tg": tg, "bound": bound, "gbps": gbps, "share": share}


def peer(bench, model, threads, n_prompt, n_gen):
    out = run([bench, "-m", model, "-t", str(threads), "-p", str(n_prompt), "-n", str(n_gen), "-r", "1", "-o", "json"])
    res = {}
    for row in json.loads(out):
        key = "pp" if row.get("n_gen", 0) == 0 else "tg"
        res[key] = float(row["avg_ts"])
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", required=True, help="BUILD/nlu/hearth_llm_tool")
    ap.add_argument("--llama-bench", default="", help="llama.cpp's llama-bench (bench/llm/build_llamacpp.sh)")
    ap.add_argument("--models", default="qwen2-0.5b:q4_0,qwen2-0.5b:q8_0,llama-1b:q4_k",
                    help="preset:type list (hearth_llm_tool random presets)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("-p", type=int, default=64, help="prompt tokens")
    ap.add_argument("-n", type=int, default=32, help="generated tokens")
    ap.add_argument("--dir", default="/tmp/hearth-llm-bench", help="where the model files are written")
    ap.add_argument("--json", default="", help="also write the rows here")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    rows = []
    print(f"{'model':<22} {'t':>2} {'prefill ours':>12} {'llama.cpp':>10} {'ratio':>6} {'decode ours':>12} "
          f"{'llama.cpp':>10} {'ratio':>6} {'bound':>7} {'ours/bound':>10} {'llama/bound':>11}")
    for spec in a.models.split(","):
        preset, typ = spec.split(":")
        model = os.path.join(a.dir, f"{preset}-{typ}.gguf")
        if not os.path.exists(model):
            run([a.tool, "random", "--preset", preset, "--type", typ, "--out", model])
        for t in [int(x) for x in a.threads.split(",")]:
            o, l = [], []
            for _ in range(a.rounds):  # alternate, so both see the same machine state
                o.append(ours(a.tool, model, t, a.p, a.n))
                if a.llama_bench:
                    l.append(peer(a.llama_bench, model, t, a.p, a.n))
            med = lambda xs, k: statistics.median(x[k] for x in xs) if xs else float("nan")
            r = {"model": spec, "threads": t, "ours_pp": med(o, "pp"), "ours_tg": med(o, "tg"),
                 "bound": med(o, "bound"), "gbps": med(o, "gbps"), "share": med(o, "share"),
                 "llama_pp": med(l, "pp"), "llama_tg": med(l, "tg")}
            rows.append(r)
            print(f"{spec:<22} {t:>2} {r['ours_pp']:>12.2f} {r['llama_pp']:>10.2f} {r['ours_pp'] / r['llama_pp']:>6.2f} "
                  f"{r['ours_tg']:>12.2f} {r['llama_tg']:>10.2f} {r['ours_tg'] / r['llama_tg']:>6.2f} {r['bound']:>7.2f} "
                  f"{r['share']:>10.0%} {r['llama_tg'] / r['bound']:>11.0%}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
