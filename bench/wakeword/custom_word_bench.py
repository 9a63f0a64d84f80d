#!/usr/bin/python3
"""Custom wake word on recordings it never saw (issue 4, item 6).

    bench/wakeword/custom_word_bench.py --hearth BUILD/daemon/hearth --model my.gguf \
        --keyword "hey hearth" [--n 150] [--cache build-wakeword-bench]

A model made by `hearth wakeword train --keyword WORD --exclude-voices HELD_OUT`
is scored on positives synthesized ONLY with the held-out voices (HELD_OUT, the
default below: two espeak-ng voices, ten espeak-ng variants, two flite voices,
one Festival voice; none of them was used for the model's positives), each
written with 1 s of silence before and after (as a real take has) and
mixed by `hearth wakeword eval` into the held-out noise (last 30 % of every
noise file) at 10 dB SNR. Negatives are the wake-word benchmark's (run_bench.py,
same cache): 10.7 h of synthesized random word sequences (seeds 99-118), the
TEST split of speech_negatives and of the four shipped words, and the held-out
noise. Prints the evaluator's JSON summary and a markdown row.
"""
import argparse
import glob
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools", "wakeword"))
import synth  # noqa: E402
import train  # noqa: E402

HELD_OUT_ESPEAK = ["en-gb-scotland", "en-029"]
HELD_OUT_VARIANTS = ["f4", "m4", "m7", "Annie", "Gene2", "iven3", "klatt4", "steph2", "aunty", "Mike"]
HELD_OUT_FLITE = ["slt", "awb"]
HELD_OUT_FESTIVAL = ["cmu_us_slt_arctic_hts"]


def held_out_ids():
    """The --exclude-voices list for training (everything this benchmark speaks with)."""
    return ",".join(["espeak:" + v for v in HELD_OUT_ESPEAK] + ["flite:" + v for v in HELD_OUT_FLITE] +
                    ["festival:" + v for v in HELD_OUT_FESTIVAL] + ["espeak-variant:" + v for v in HELD_OUT_VARIANTS])


def held_out_positive(rng, text):
    """One synthesis with a held-out voice only. Returns (audio, voice id)."""
    r = rng.random()
    if r < 0.5:
        v = HELD_OUT_ESPEAK[rng.integers(len(HELD_OUT_ESPEAK))]
        var = None if rng.random() < 0.15 else HELD_OUT_VARIANTS[rng.integers(len(HELD_OUT_VARIANTS))]
        return synth.espeak(text, v, var, rng.integers(110, 210), rng.integers(20, 80)), "espeak:%s+%s" % (v, var)
    if r < 0.8:
        v = HELD_OUT_FLITE[rng.integers(len(HELD_OUT_FLITE))]
        return synth.flite(text, v, rng.uniform(0.8, 1.3), rng.uniform(80, 220)), "flite:" + v
    v = HELD_OUT_FESTIVAL[0]
    return synth.festival(text, v, rng.uniform(0.8, 1.3)), "festival:" + v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hearth", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--keyword", required=True)
    ap.add_argument("--n", type=int, default=150, help="held-out positives to synthesize")
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--cache", default=os.path.join(REPO, "build-wakeword-bench"))
    ap.add_argument("--negative-files", type=int, default=20, help="how many 32-min synthesized negative files")
    ap.add_argument("--prepare-only", action="store_true", help="synthesize the held-out positives and stop")
    ap.add_argument("--print-exclude", action="store_true", help="print the --exclude-voices list and stop")
    a = ap.parse_args()
    if a.print_exclude:
        print(held_out_ids())
        return
    kw = a.keyword.strip().lower()
    tag = "".join(c if c.isalnum() else "_" for c in kw)
    pdir = os.path.join(a.cache, "custom_%s_%d_%d" % (tag, a.seed, a.n))
    os.makedirs(pdir, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    variants = [kw, kw, kw + ".", kw + "!", kw + ",", kw.capitalize()]
    voices, voice_of = {}, {}
    for i in range(a.n):
        p = os.path.join(pdir, "pos_%03d.wav" % i)
        x, vid = held_out_positive(rng, variants[rng.integers(len(variants))])
        voices[vid.split("+")[0]] = voices.get(vid.split("+")[0], 0) + 1
        voice_of[os.path.basename(p)] = vid
        if not os.path.exists(p):
            # 1 s of silence before and after, as a real take has (TTS output starts at
            # once; from a fresh start the detector needs ~1 s of audio before the word,
            # see docs/benchmarks-wakeword.md)
            x = np.concatenate([np.zeros(16000, np.float32), x, np.zeros(16000, np.float32)])
            train.write_wav(p, 0.5 * x / max(1e-4, float(np.max(np.abs(x)))))
    pos = sorted(glob.glob(os.path.join(pdir, "pos_*.wav")))[: a.n]
    json.dump(voice_of, open(os.path.join(pdir, "voices.json"), "w"), indent=0)
    if a.prepare_only:
        print(json.dumps({"positives": len(pos), "dir": pdir, "voices": voices}))
        return
    tts = sorted(glob.glob(os.path.join(a.cache, "tts_negatives_*.wav")))[: a.negative_files]
    if not tts:
        sys.exit("no synthesized negatives in %s: run bench/wakeword/run_bench.py --prepare-only first" % a.cache)
    real = [os.path.join(a.cache, "neg_athena.wav"), os.path.join(a.cache, "neg_amelia.wav")]
    words = []
    for w in train.KEYWORDS:
        words += [f for f in train.list_audio(os.path.join(train.shared_data(), "wakeword", w)) if train.split_of(f) == "test"]
    noise = sorted(glob.glob(os.path.join(a.cache, "noise_test_*.wav")))
    cmd = [a.hearth, "wakeword", "eval", "--model", a.model, "--json", "--snr", "10",
           "--positives"] + pos + ["--negatives"] + tts + [p for p in real if os.path.exists(p)] + words + ["--noise"] + noise
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr)
    j = json.loads(r.stdout)
    # per held-out voice: miss rate at the model's own threshold, same mixing (10 dB, held-out noise)
    per_voice = {}
    for v in sorted({x.split("+")[0] for x in voice_of.values()}):
        sub = [p for p in pos if voice_of.get(os.path.basename(p), "").split("+")[0] == v]
        r1 = subprocess.run([a.hearth, "wakeword", "eval", "--model", a.model, "--json", "--snr", "10",
                             "--positives"] + sub + ["--negatives"] + noise + ["--noise"] + noise,
                            capture_output=True, text=True)
        if r1.returncode == 0:
            per_voice[v] = "%d of %d missed" % (round(json.loads(r1.stdout)["miss_at_default"] * len(sub)), len(sub))
    j["miss_per_voice_at_model_threshold"] = per_voice
    j["held_out_voices_drawn"] = voices
    j["exclude_voices"] = held_out_ids()
    out = os.path.join(a.cache, "results_custom_%s.json" % tag)
    json.dump(j, open(out, "w"), indent=1)
    print(json.dumps({k: v for k, v in j.items() if k != "det"}))
    row = {t["fa_per_hour_target"]: t["miss"] for t in j["table"]}
    print("| %s | %d (held-out voices) | %.2f | %s | %.1f %% / %.2f FA/h (thr %.5f) |" % (
        kw, j["positives"], j["negative_hours"],
        " | ".join("%.1f %%" % (100 * row[k]) for k in sorted(row)),
        100 * j["miss_at_default"], j["fa_per_hour_at_default"], j["default_threshold"]))


if __name__ == "__main__":
    main()
