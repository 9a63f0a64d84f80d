#!/usr/bin/python3
"""Wake-word benchmark (issue 4): every shipped model on held-out audio.

    bench/wakeword/run_bench.py --hearth BUILD/daemon/hearth [--cache DIR] [--tts-minutes 600]
                                [--pocketsphinx] [--words jarvis,...] [--prepare-only]
                                [--models DIR] [--results NAME.json]

Positives: the TEST split (file-name hash, tools/wakeword/split.py) of
../shared/data/wakeword/<word>, never used in training or threshold tuning,
mixed into held-out noise (last 30% of each noise file) at 10 dB SNR.
Negatives: the TEST split of speech_negatives (athena, amelia), the TEST split
of the other three words' recordings, the held-out noise, and synthesized
speech of random word sequences (seed 99, espeak-ng + flite voices; training
used sentences, not these sequences). Prints a JSON line per word and a
markdown table; figures go to docs/benchmarks-wakeword.md.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools", "wakeword"))
import synth  # noqa: E402
import train  # noqa: E402
from features import load_audio  # noqa: E402

WORDS = ["jarvis", "computer", "alexa", "snowboy"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hearth", default="")
    ap.add_argument("--cache", default=os.path.join(REPO, "build-wakeword-bench"))
    ap.add_argument("--tts-minutes", type=float, default=600, help="synthesized negative speech (10 h)")
    ap.add_argument("--prepare-only", action="store_true", help="build the cached audio and stop")
    ap.add_argument("--pocketsphinx", action="store_true", help="also run PocketSphinx keyphrase spotting")
    ap.add_argument("--ps-thresholds", default="1e-40,1e-30,1e-20,1e-10")
    ap.add_argument("--ps-negative-minutes", type=float, default=20)
    ap.add_argument("--words", default=",".join(WORDS))
    ap.add_argument("--models", default=os.path.join(REPO, "assets", "wakeword"),
                    help="directory of <word>.gguf (default: the shipped ones; use another to test a candidate)")
    ap.add_argument("--results", default="results.json", help="file name in --cache for the JSON results")
    a = ap.parse_args()
    data = train.shared_data()
    os.makedirs(a.cache, exist_ok=True)
    # ---- held-out noise
    noise_files = train.cached_noise_files(a.cache, "test")
    # ---- synthesized negative speech (random word sequences, not training's sentences),
    # in 30-minute files (seed 99 + part) so 10+ hours never sit in memory at once
    tts_parts = []
    n_parts = int(np.ceil(a.tts_minutes / 30.0))
    sentences = synth.ordinary_sentences(REPO, train.KEYWORDS)
    for k in range(n_parts):
        tts = os.path.join(a.cache, "tts_negatives_%02d.wav" % k)
        tts_parts.append(tts)
        if os.path.exists(tts):
            continue
        rng = np.random.default_rng(99 + k)
        minutes = min(30.0, a.tts_minutes - 30.0 * k)
        parts, total = [], 0
        while total < minutes * 60 * 16000:
            text = synth.word_salad(rng, sentences, int(rng.integers(8, 30)))
            x, _ = synth.random_voice_call(rng, text, weights=[0.8, 0.2, 0.0])
            parts += [x, np.zeros(int(rng.uniform(0.2, 1.0) * 16000), np.float32)]
            total += len(x)
        y = np.concatenate(parts)
        train.write_wav(tts + ".tmp", 0.5 * y / max(1e-4, np.max(np.abs(y))))
        os.replace(tts + ".tmp", tts)
        print("synthesized %s (%.1f min)" % (tts, len(y) / 16000 / 60), file=sys.stderr, flush=True)
    tts = tts_parts[0]
    # ---- real negatives (test split), as one file per source
    real = []
    for sub in ("athena", "amelia"):
        p = os.path.join(a.cache, "neg_%s.wav" % sub)
        if not os.path.exists(p):
            files = [f for f in train.list_audio(os.path.join(data, "speech_negatives", sub)) if train.split_of(f) == "test"]
            train.write_wav(p, np.concatenate([load_audio(f) for f in files]))
        real.append(p)
    noise_test = train.noise_pool("test")
    if a.prepare_only:
        return

    def mixed_positives(w):
        """TEST-split recordings in held-out noise at 10 dB SNR (seed 5), one long
        file with 1.5 s gaps; returns (path, [(start_s, end_s)])."""
        p = os.path.join(a.cache, "pos_%s.wav" % w)
        spans_p = p + ".json"
        if os.path.exists(p) and os.path.exists(spans_p):
            return p, json.load(open(spans_p))
        rng = np.random.default_rng(5)
        parts, spans, pos = [], [], 0
        for f in [f for f in train.list_audio(os.path.join(data, "wakeword", w)) if train.split_of(f) == "test"]:
            x = load_audio(f)
            if len(x) < 1600:
                continue
            s0, e0 = train.trim_speech(x)
            clip = np.concatenate([np.zeros(8000, np.float32), x, np.zeros(24000, np.float32)])
            nz = train.take(rng, noise_test[rng.integers(len(noise_test))], len(clip))
            clip = train.mix_snr(clip, nz, 10.0, train.rms(x[s0:e0]))
            spans.append(((pos + 8000) / 16000.0, (pos + 8000 + e0) / 16000.0))
            parts.append(clip.astype(np.float32))
            pos += len(clip)
        y = np.concatenate(parts)
        train.write_wav(p, 0.5 * y / max(1e-4, np.max(np.abs(y))))
        json.dump(spans, open(spans_p, "w"))
        return p, spans

    def pocketsphinx(w, wav, thr):
        dic = os.path.join(a.cache, "ps_%s.dict" % w)
        phones = {"snowboy": "S N OW B OY", "jarvis": "JH AA R V AH S", "computer": "K AH M P Y UW T ER",
                  "alexa": "AH L EH K S AH"}
        with open(dic, "w") as f:
            f.write("%s %s\n" % (w, phones[w]))
        t0 = time.process_time()
        r = subprocess.run(["pocketsphinx_continuous", "-infile", wav, "-keyphrase", w, "-kws_threshold", thr,
                            "-dict", dic, "-time", "yes", "-logfn", "/dev/null"], capture_output=True, text=True)
        cpu = time.process_time() - t0
        res = os.times()
        dets = []
        for line in r.stdout.splitlines():
            f = line.split()
            # "-time yes" lines are "word start end prob"; skip hypothesis lines such as
            # "snowboy snowboy snowboy snowboy" (several detections in one utterance)
            if len(f) == 4 and f[0] == w:
                try:
                    start, end, _ = float(f[1]), float(f[2]), float(f[3])
                except ValueError:
                    continue
                dets.append(end)
        return dets, res

    results = []
    ps_rows = []
    for w in a.words.split(","):
        model = os.path.join(a.models, w + ".gguf")
        if not os.path.exists(model):
            print("%s: not shipped (%s missing), skipped" % (w, model), file=sys.stderr, flush=True)
            continue
        pos = [f for f in train.list_audio(os.path.join(data, "wakeword", w)) if train.split_of(f) == "test"]
        others = os.path.join(a.cache, "others_%s.wav" % w)
        if not os.path.exists(others):
            xs = []
            for o in WORDS:
                if o != w:
                    xs += [load_audio(f) for f in train.list_audio(os.path.join(data, "wakeword", o)) if train.split_of(f) == "test"]
            train.write_wav(others, np.concatenate(xs))
        # hearth mixes the same TEST-split files into the same held-out noise at 10 dB
        # itself (and measures latency against the clean recordings' ends)
        cmd = [a.hearth, "wakeword", "eval", "--model", model, "--json", "--snr", "10",
               "--positives"] + pos + ["--negatives"] + tts_parts + [others] + real + ["--noise"] + noise_files
        t0 = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            continue
        j = json.loads(r.stdout)
        j["model_bytes"] = os.path.getsize(model)
        j["wall_s"] = round(time.time() - t0, 1)
        del j["det"][::2]  # keep the curve compact
        results.append(j)
        print(json.dumps({k: v for k, v in j.items() if k != "det"}), flush=True)
        if a.pocketsphinx:
            pos_wav, spans = mixed_positives(w)
            # the same positives; negatives: the real ones + the other words + the first
            # ps-negative-minutes of the synthesized speech (PocketSphinx is slow)
            negs = os.path.join(a.cache, "ps_neg_%s.wav" % w)
            if not os.path.exists(negs):
                import wave
                xs = [load_audio(p) for p in [others] + real]
                xs.append(load_audio(tts)[: int(a.ps_negative_minutes * 60 * 16000)])
                train.write_wav(negs, np.concatenate(xs))
            neg_h = len(load_audio(negs)) / 16000 / 3600
            for thr in a.ps_thresholds.split(","):
                c0 = os.times()
                pdets, _ = pocketsphinx(w, pos_wav, thr)
                ndets, _ = pocketsphinx(w, negs, thr)
                c1 = os.times()
                hits = sum(1 for s0, e0 in spans if any(s0 - 0.2 <= t <= e0 + 1.0 for t in pdets))
                row = {"keyword": w, "kws_threshold": thr, "positives": len(spans), "miss": 1 - hits / len(spans),
                       "negative_hours": round(neg_h, 3), "fa_per_hour": len(ndets) / neg_h,
                       "cpu_s": round((c1.children_user + c1.children_system) - (c0.children_user + c0.children_system), 1)}
                row["rtf"] = row["cpu_s"] / (neg_h * 3600 + sum(e - s for s, e in spans) + 2.0 * len(spans))
                ps_rows.append(row)
                print(json.dumps(row), flush=True)
    with open(os.path.join(a.cache, a.results), "w") as f:
        json.dump({"hearth": results, "pocketsphinx": ps_rows}, f)
    print("\n| word | positives | neg. hours | miss @0.1 FA/h | miss @0.5 | miss @1 | miss @5 | miss / FA/h at shipped threshold | RTF | latency p50/p90 ms | params | bytes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for j in results:
        t = {row["fa_per_hour_target"]: row["miss"] for row in j["table"]}
        print("| %s | %d | %.2f | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% / %.2f | %.5f | %d / %d | %d | %d |" % (
            j["keyword"], j["positives"], j["negative_hours"], 100 * t[0.1], 100 * t[0.5], 100 * t[1.0], 100 * t[5.0],
            100 * j["miss_at_default"], j["fa_per_hour_at_default"], j["rtf"], j["latency_ms_p50"], j["latency_ms_p90"],
            j["params"], j["model_bytes"]))
    if ps_rows:
        print("\n| word | PocketSphinx kws_threshold | miss | FA/h | neg. hours | RTF |")
        print("|---|---|---|---|---|---|")
        for r in ps_rows:
            print("| %s | %s | %.1f%% | %.2f | %.2f | %.4f |" % (r["keyword"], r["kws_threshold"], 100 * r["miss"],
                                                        r["fa_per_hour"], r["negative_hours"], r["rtf"]))


if __name__ == "__main__":
    main()
