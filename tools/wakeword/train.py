#!/usr/bin/python3
"""Train a hearth-kws wake-word model and export it to GGUF.

    train.py --keyword jarvis --recordings ../shared/data/wakeword/jarvis \
             --out assets/wakeword/jarvis.gguf [--positives DIR] [--minutes 8] [--seed 1]

Pipeline (fixed seed, deterministic given the same Debian packages):
 1. positives: the TRAIN split of --recordings (file-name hash, see split_of;
    the TEST split is never read here), the user's --positives (all), and
    TTS positives (espeak-ng voices x variants, flite, Festival; random
    speed/pitch);
 2. negatives: synthesized ordinary speech (the project's own docs + home
    phrases, many voices), TTS confusable words, the train split of
    ../shared/data/speech_negatives and of the other wake words' recordings,
    the first 60% of every noise file and synthetic coloured noise;
 3. augmentation: exponential-decay room impulse responses, noise at 0-25 dB
    SNR, gain, speed (resampling);
 4. a causal TCN: 3-frame input conv, N blocks of (depthwise conv k=3,
    dilation 1,2,4,..) + pointwise conv, batch-norm + ReLU, linear head on
    the last frame's features; per-frame BCE (1 just after the word ends);
 5. BN folding, int8 per-channel weights, static int8 activation scales, an
    exact numpy emulation of the C++ int8 inference checked against float;
 6. threshold: lowest value with no false alarm on the validation stream
    (VAL split + 60-70% of noise + separate TTS text), never the TEST split;
 7. GGUF export (architecture "hearth-kws").
Progress goes to stderr as a bar; a JSON summary is printed to stdout.
"""
import argparse
import json
import math
import os
import sys
import time


def _threads_from_argv(argv, default="2"):
    for i, v in enumerate(argv):
        if v == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if v.startswith("--threads="):
            return v.split("=", 1)[1]
    return default


if __name__ == "__main__":
    # numpy and torch load OpenBLAS (pthreads) at import: cap its threads at --threads
    # before that, so a one-thread run stays on one core
    for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_v, _threads_from_argv(sys.argv[1:]))

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import features as feat  # noqa: E402
import synth  # noqa: E402
from gguf_write import write_gguf  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SR = feat.SAMPLE_RATE
HOP = feat.HOP
CLIP_FRAMES = 150
CLIP = CLIP_FRAMES * HOP
KEYWORDS = ["jarvis", "computer", "alexa", "snowboy"]
CONFUSABLES = {
    "jarvis": ["jar", "jars", "service", "nervous", "harvest", "java", "travis", "marvin", "jarred", "carvings", "jar of peas", "davis"],
    "computer": ["compute", "commuter", "computed", "competitor", "camper", "come pewter", "computing", "composer", "cute", "commute her"],
    "alexa": ["alex", "alexander", "election", "elixir", "alaska", "alexis", "a lexus", "relax a", "flexer", "lexicon"],
    "snowboy": ["snow", "snowball", "snowboard", "boy", "snowy", "no boy", "cowboy", "snow bird", "show boy", "soy"],
}


def shared_data():
    env = os.environ.get("HEARTH_SHARED_DATA")
    return env if env else os.path.abspath(os.path.join(REPO, "..", "shared", "data"))


def split_of(name):
    """'test' (30%, held out: never used for training or tuning), 'val' (10%,
    threshold tuning) or 'train' (60%), from an MD5 of the file name."""
    h = synth.stable_hash(name) % 10
    return "test" if h < 3 else ("val" if h == 3 else "train")


class Progress:
    def __init__(self, enabled):
        self.enabled = enabled
        self.t0 = time.time()
        self.tty = sys.stderr.isatty()
        self.last_stage, self.last_line = None, 0.0

    def __call__(self, frac, what):
        if not self.enabled:
            return
        if not self.tty:
            # A log, not a terminal: one plain line per stage, then at most one
            # every 10 s (a redrawn bar would be thousands of lines).
            stage = what.split(" ")[0]
            now = time.time()
            if stage != self.last_stage or now - self.last_line >= 10 or frac >= 1.0:
                sys.stderr.write("%3d%% %s (%.0fs)\n" % (int(frac * 100), what, now - self.t0))
                sys.stderr.flush()
                self.last_stage, self.last_line = stage, now
            return
        n = int(frac * 30)
        sys.stderr.write("\r[%s%s] %3d%% %-44s %5.0fs" % ("#" * n, "." * (30 - n), int(frac * 100),
                                                          what[:44], time.time() - self.t0))
        sys.stderr.flush()
        if frac >= 1.0:
            sys.stderr.write("\n")


# ---------------------------------------------------------------- audio utils

def list_audio(d):
    if not d or not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.lower().endswith((".flac", ".wav", ".ogg", ".mp3", ".f32")))


def trim_speech(x, rel_db=30.0):
    """(start, end) samples of the loud part: 10 ms frames within rel_db of the peak."""
    n = len(x) // HOP
    if n == 0:
        return 0, len(x)
    e = 10 * np.log10(np.mean(x[: n * HOP].reshape(n, HOP) ** 2, axis=1) + 1e-10)
    on = np.nonzero(e > e.max() - rel_db)[0]
    s = max(0, on[0] - 2) * HOP
    t = min(n, on[-1] + 3) * HOP
    return s, t


def rir(rng):
    t60 = rng.uniform(0.15, 0.7)
    n = int(t60 * SR)
    t = np.arange(n) / SR
    h = rng.standard_normal(n) * np.exp(-6.9 * t / t60)
    h[: int(0.002 * SR)] *= np.linspace(0, 1, int(0.002 * SR))
    h *= rng.uniform(0.1, 0.5) / (np.sqrt(np.sum(h ** 2)) + 1e-9)
    h[0] = 1.0
    return h


def reverb(x, rng):
    from scipy.signal import fftconvolve
    y = fftconvolve(x, rir(rng))[: len(x)]
    return (y * (np.sqrt(np.mean(x ** 2) + 1e-12) / np.sqrt(np.mean(y ** 2) + 1e-12))).astype(np.float32)


def speed(x, f):
    if abs(f - 1.0) < 1e-3:
        return x
    n = int(len(x) / f)
    return np.interp(np.arange(n) * f, np.arange(len(x)), x).astype(np.float32)


def colored_noise(rng, n):
    kind = rng.integers(3)
    w = rng.standard_normal(n)
    if kind == 0:
        return (w * 0.1).astype(np.float32)
    spec = np.fft.rfft(w)
    f = np.arange(len(spec)) + 1.0
    spec /= np.sqrt(f) if kind == 1 else f
    y = np.fft.irfft(spec, n)
    return (y / (np.std(y) + 1e-9) * 0.1).astype(np.float32)


def rms(x):
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2) + 1e-12))


def mix_snr(sig, noise, snr_db, speech_rms=None):
    """sig + noise scaled so that speech power / noise power = snr_db."""
    p = speech_rms if speech_rms is not None else rms(sig)
    return sig + noise * (p / (rms(noise) * 10 ** (snr_db / 20.0)))


def take(rng, x, n):
    if len(x) <= n:
        return np.pad(x, (0, n - len(x))).astype(np.float32)
    s = rng.integers(0, len(x) - n)
    return x[s: s + n].astype(np.float32)


# ---------------------------------------------------------------- data

def tts_positives(keyword, n, rng, cache, exclude=(), progress=None, p0=0.0, p1=0.1):
    if os.path.exists(cache):
        d = np.load(cache, allow_pickle=True)
        return list(d["clips"])
    clips = []
    variants = [keyword, keyword, keyword + ".", keyword + "!", keyword + "?", keyword + ","]
    for i in range(n):
        x, _ = synth.random_voice_call(rng, variants[rng.integers(len(variants))], exclude=exclude)
        if len(x) > SR // 10:
            s, e = trim_speech(x)
            clips.append(x[s:e].astype(np.float32))
        if progress and i % 20 == 0:
            progress(p0 + (p1 - p0) * i / n, "synthesizing '%s' %d/%d" % (keyword, i, n))
    np.savez(cache, clips=np.array(clips, dtype=object))
    return clips


def tts_speech(sentences, seconds, rng, cache, progress=None, p0=0.0, p1=0.1):
    """Long stretch of ordinary synthesized speech (pauses between sentences)."""
    if os.path.exists(cache):
        return np.load(cache)
    parts, total = [], 0
    while total < seconds * SR:
        k = rng.integers(1, 4)
        text = ". ".join(sentences[i] for i in rng.integers(0, len(sentences), k))
        if rng.random() < 0.25:
            text = synth.word_salad(rng, sentences, int(rng.integers(6, 20)))
        x, _ = synth.random_voice_call(rng, text, weights=[0.8, 0.2, 0.0])
        parts.append(x)
        parts.append(np.zeros(int(rng.uniform(0.1, 0.8) * SR), np.float32))
        total += len(x)
        if progress:
            progress(p0 + (p1 - p0) * min(1.0, total / (seconds * SR)), "synthesizing speech %d/%d s" % (total // SR, seconds))
    y = np.concatenate(parts).astype(np.float32)
    np.save(cache, y)
    return y


def load_many(paths):
    out = []
    for p in paths:
        x = feat.load_audio(p)
        if len(x) > SR // 10:
            out.append(x)
    return out


def write_wav(path, x):
    """16 kHz mono 16-bit WAV, written to a temporary name and renamed (a killed run leaves no half file)."""
    import wave
    y = np.clip(np.asarray(x) * 32767, -32768, 32767).astype("<i2")
    with wave.open(path + ".tmp", "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(y.tobytes())
    os.replace(path + ".tmp", path)


def cached_noise_files(cache, part):
    """noise_pool(part) written once as WAV files under `cache` (for `hearth wakeword eval --noise`)."""
    out = []
    for i, x in enumerate(noise_pool(part)):
        p = os.path.join(cache, "noise_%s_%02d.wav" % (part, i))
        if not os.path.exists(p):
            write_wav(p, x)
        out.append(p)
    return out


def noise_pool(part):
    """Noise files cut by time: 'train' = first 60%, 'val' = 60-70%, 'test' = last 30%."""
    out = []
    for p in list_audio(os.path.join(shared_data(), "noise")):
        x = feat.load_audio(p)
        a, b = {"train": (0.0, 0.6), "val": (0.6, 0.7), "test": (0.7, 1.0)}[part]
        out.append(x[int(a * len(x)): int(b * len(x))])
    return out


def background(rng, noises, n):
    if rng.random() < 0.3:
        return colored_noise(rng, n)
    return take(rng, noises[rng.integers(len(noises))], n)


def augment_and_place(rng, word, noises, end_frame, snr_lo=0.0, snr_hi=25.0):
    """Positive clip of CLIP samples with the (augmented) word ending at end_frame."""
    w = speed(word, rng.uniform(0.88, 1.12))
    end = (end_frame + 1) * HOP
    start = end - len(w)
    x = np.zeros(CLIP, np.float32)
    if start >= 0:
        x[start:end] = w
    else:
        x[:end] = w[-start:]
        start = 0
    if rng.random() < 0.5:
        x = reverb(x, rng)
    speech_level = rms(w)
    if rng.random() < 0.9:
        x = mix_snr(x, background(rng, noises, CLIP), rng.uniform(snr_lo, snr_hi), speech_level)
    x = x * (10 ** (rng.uniform(-25, 5) / 20.0)) / max(1e-4, np.max(np.abs(x)))
    return np.clip(x, -1, 1).astype(np.float32), start // HOP


def negative_clip(rng, sources, weights, noises):
    src = sources[rng.choice(len(sources), p=weights)]
    x = take(rng, src[rng.integers(len(src))], CLIP) if isinstance(src, list) else take(rng, src, CLIP)
    if rng.random() < 0.4:
        x = reverb(x, rng)
    if rng.random() < 0.85:
        x = mix_snr(x, background(rng, noises, CLIP), rng.uniform(-5, 25))
    x = x * (10 ** (rng.uniform(-25, 5) / 20.0)) / max(1e-4, np.max(np.abs(x)))
    return np.clip(x, -1, 1).astype(np.float32)


def placed_confusable(rng, clips):
    c = clips[rng.integers(len(clips))]
    x = np.zeros(CLIP, np.float32)
    n = min(len(c), CLIP)
    s = rng.integers(0, CLIP - n + 1)
    x[s: s + n] = c[:n]
    return x


# ---------------------------------------------------------------- model

def build_model(n_mels, ch, dilations):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Kws(nn.Module):
        def __init__(self):
            super().__init__()
            self.dil = list(dilations)
            self.inp = nn.Conv1d(n_mels, ch, 3)
            self.bn0 = nn.BatchNorm1d(ch)
            self.dw = nn.ModuleList([nn.Conv1d(ch, ch, 3, dilation=d, groups=ch) for d in dilations])
            self.bnd = nn.ModuleList([nn.BatchNorm1d(ch) for _ in dilations])
            self.pw = nn.ModuleList([nn.Conv1d(ch, ch, 1) for _ in dilations])
            self.bnp = nn.ModuleList([nn.BatchNorm1d(ch) for _ in dilations])
            self.out = nn.Conv1d(ch, 1, 1)

        def forward(self, x):  # x: [B, n_mels, T] normalized features -> logits [B, T]
            x = F.relu(self.bn0(self.inp(F.pad(x, (2, 0)))))
            for i, d in enumerate(self.dil):
                x = F.relu(self.bnd[i](self.dw[i](F.pad(x, (2 * d, 0)))))
                x = F.relu(self.bnp[i](self.pw[i](x)))
            return self.out(x)[:, 0]

    return Kws()


def fold(conv, bn):
    w = conv.weight.detach().double().numpy()
    b = conv.bias.detach().double().numpy()
    if bn is None:
        return w, b
    g = bn.weight.detach().double().numpy() / np.sqrt(bn.running_var.detach().double().numpy() + bn.eps)
    return w * g.reshape(-1, *([1] * (w.ndim - 1))), (b - bn.running_mean.detach().double().numpy()) * g + bn.bias.detach().double().numpy()


def folded_layers(model):
    """List of (kind, W, b): 'in' W[C, 3*n_mels] (tap-major input [x_t-2, x_t-1, x_t]),
    'dw' W[3, C] (tap j reads x[t - (2 - j) * d]), 'pw' W[C, C], 'out' W[1, C]."""
    layers = []
    w, b = fold(model.inp, model.bn0)  # [C, n_mels, 3]
    layers.append(("in", np.transpose(w, (0, 2, 1)).reshape(w.shape[0], -1), b, 1))
    for i, d in enumerate(model.dil):
        w, b = fold(model.dw[i], model.bnd[i])  # [C, 1, 3]
        layers.append(("dw", w[:, 0, :].T.copy(), b, d))
        w, b = fold(model.pw[i], model.bnp[i])  # [C, C, 1]
        layers.append(("pw", w[:, :, 0], b, 1))
    w, b = fold(model.out, None)
    layers.append(("out", w[:, :, 0], b, 1))
    return layers


def float_forward(layers, x):
    """Folded float model on one stream x [T, n_mels] (normalized) -> logits [T]."""
    T = x.shape[0]
    h = None
    for kind, W, b, d in layers:
        if kind == "in":
            xp = np.concatenate([np.zeros((2, x.shape[1])), x])
            cat = np.concatenate([xp[0:T], xp[1:T + 1], xp[2:T + 2]], axis=1)
            h = np.maximum(cat @ W.T + b, 0)
        elif kind == "dw":
            hp = np.concatenate([np.zeros((2 * d, h.shape[1])), h])
            h = np.maximum(hp[0:T] * W[0] + hp[d:T + d] * W[1] + hp[2 * d:T + 2 * d] * W[2] + b, 0)
        elif kind == "pw":
            h = np.maximum(h @ W.T + b, 0)
        else:
            return (h @ W.T + b)[:, 0]


def quantize_layers(layers, x_calib):
    """Per-output-channel int8 weights; activation scales from float activations on x_calib."""
    acts = [x_calib]
    T = x_calib.shape[0]
    h = x_calib
    for kind, W, b, d in layers[:-1]:
        if kind == "in":
            xp = np.concatenate([np.zeros((2, h.shape[1])), h])
            h = np.maximum(np.concatenate([xp[0:T], xp[1:T + 1], xp[2:T + 2]], axis=1) @ W.T + b, 0)
        elif kind == "dw":
            hp = np.concatenate([np.zeros((2 * d, h.shape[1])), h])
            h = np.maximum(hp[0:T] * W[0] + hp[d:T + d] * W[1] + hp[2 * d:T + 2 * d] * W[2] + b, 0)
        else:
            h = np.maximum(h @ W.T + b, 0)
        acts.append(h)
    act_scales = [max(1e-6, float(np.percentile(np.abs(a), 99.995))) / 127.0 for a in acts]
    q = []
    for kind, W, b, d in layers:
        if kind == "dw":
            ws = np.maximum(np.max(np.abs(W), axis=0), 1e-12) / 127.0  # per channel, [C]
            Wq = np.clip(np.rint(W / ws), -127, 127).astype(np.int8)
        else:
            ws = np.maximum(np.max(np.abs(W), axis=1), 1e-12) / 127.0  # per output row
            Wq = np.clip(np.rint(W / ws[:, None]), -127, 127).astype(np.int8)
        q.append((kind, Wq, ws.astype(np.float32), b.astype(np.float32), d))
    return q, [np.float32(s) for s in act_scales]


def int8_forward(qlayers, act_scales, x):
    """Exact emulation of the C++ int8 inference (wakeword/src/kws_model.cc):
    q = clamp(rint(v * (1 / s)), -127, 127); acc int32; y = fma(acc, w_scale * s_in, b)."""
    T = x.shape[0]
    f32 = np.float32
    inv = f32(1.0) / act_scales[0]
    hq = np.clip(np.rint(x.astype(f32) * inv), -127, 127).astype(np.int32)
    for li, (kind, Wq, ws, b, d) in enumerate(qlayers):
        mul = (ws * act_scales[li]).astype(f32)
        if kind == "in":
            xp = np.concatenate([np.zeros((2, hq.shape[1]), np.int32), hq])
            acc = np.concatenate([xp[0:T], xp[1:T + 1], xp[2:T + 2]], axis=1) @ Wq.astype(np.int32).T
        elif kind == "dw":
            W = Wq.astype(np.int32)
            hp = np.concatenate([np.zeros((2 * d, hq.shape[1]), np.int32), hq])
            acc = hp[0:T] * W[0] + hp[d:T + d] * W[1] + hp[2 * d:T + 2 * d] * W[2]
        else:
            acc = hq @ Wq.astype(np.int32).T
        y = (acc.astype(np.float64) * mul.astype(np.float64) + b.astype(np.float64)).astype(f32)
        if kind == "out":
            return y[:, 0]
        y = np.maximum(y, 0)
        inv = f32(1.0) / act_scales[li + 1]
        hq = np.clip(np.rint(y * inv), -127, 127).astype(np.int32)


def smooth(p, k=3):
    if k <= 1:
        return p
    c = np.cumsum(np.concatenate([np.zeros(k), p]))
    out = (c[k:] - c[:-k]) / k
    # the first frames average over what exists so far (as the C++ detector)
    for i in range(min(k - 1, len(p))):
        out[i] = np.mean(p[: i + 1])
    return out


def count_events(score, thr, refractory=150):
    """Detections the C++ detector would report: crossings >= thr, at least
    `refractory` frames apart."""
    idx = np.nonzero(score >= thr)[0]
    n, pos = 0, 0
    while pos < len(idx):
        n += 1
        pos = int(np.searchsorted(idx, idx[pos] + refractory))
    return n


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keyword", required=True)
    ap.add_argument("--recordings", default="", help="dir of recordings of the word (train split used)")
    ap.add_argument("--positives", default="", help="dir of the user's own recordings (all used)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default=os.path.join(REPO, "build-wakeword-cache"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=8.0,
                    help="training budget in CPU minutes of this process (not wall time: the machine may be shared; 0: none)")
    ap.add_argument("--max-files", type=int, default=120, help="real negative files per source")
    ap.add_argument("--val-speech-minutes", type=float, default=6.0)
    ap.add_argument("--tts-positives", type=int, default=500)
    ap.add_argument("--pos-clips", type=int, default=4000)
    ap.add_argument("--neg-clips", type=int, default=9000)
    ap.add_argument("--channels", type=int, default=48)
    ap.add_argument("--blocks", type=int, default=6)
    ap.add_argument("--exclude-voices", default="", help="comma list like flite:slt (held out for evaluation)")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=0,
                    help="train exactly this many steps (deterministic schedule; overrides --minutes/--wall-minutes)")
    ap.add_argument("--wall-minutes", type=float, default=0.0,
                    help="also stop training after this many wall-clock minutes (0: no limit); the learning-rate "
                         "schedule follows whichever budget runs out first")
    ap.add_argument("--end-min-frame", type=int, default=CLIP_FRAMES - 45,
                    help="earliest frame of the 150-frame clip a positive word may end at (default 105); "
                         "lower values also teach the model words that end soon after a stream starts "
                         "(the word itself always starts inside the clip)")
    ap.add_argument("--total-minutes", type=float, default=0.0,
                    help="wall-clock budget of the WHOLE run (synthesis, features, training, export; 0: none): "
                         "training stops early enough for the final export to end inside it")
    ap.add_argument("--checkpoint-minutes", type=float, default=0.0,
                    help="every this many wall-clock minutes of training, quantize, tune the threshold on the "
                         "validation streams and export; --out always holds the best checkpoint so far "
                         "(most validation hits at its threshold, later wins ties)")
    a = ap.parse_args()
    if a.steps <= 0 and a.minutes <= 0 and a.wall_minutes <= 0 and a.total_minutes <= 0:
        sys.exit("train.py: give a budget: --steps, --minutes, --wall-minutes or --total-minutes")

    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    prog = Progress(a.progress)
    kw = a.keyword.strip().lower()
    tag = "".join(c if c.isalnum() else "_" for c in kw)
    os.makedirs(a.work, exist_ok=True)
    exclude = tuple(v for v in a.exclude_voices.split(",") if v)
    t_start = time.time()

    # ---- positives
    prog(0.0, "loading recordings")
    rec = list_audio(a.recordings)
    rec_train = load_many([p for p in rec if split_of(p) == "train"])
    rec_val = load_many([p for p in rec if split_of(p) == "val"])
    user = load_many(list_audio(a.positives))
    tts = tts_positives(kw, a.tts_positives, np.random.default_rng(a.seed + 11),
                        os.path.join(a.work, "tts_pos_%s_%d_%d_%s.npz" % (tag, a.seed, a.tts_positives, ("x%08x" % synth.stable_hash(",".join(exclude))) if len(",".join(exclude)) > 40 else "-".join(exclude).replace(":", "_"))),
                        exclude, prog, 0.0, 0.15)
    stages = {"positives": round(time.time() - t_start, 1)}
    words = []
    for x in rec_train + user:
        s, e = trim_speech(x)
        words.append(x[s:e])
    n_real = len(words)
    words += tts
    # real recordings are fewer; draw them as often as the TTS ones
    wprob = np.array([3.0 if i < n_real else 1.0 for i in range(len(words))])
    wprob /= wprob.sum()
    if a.tts_positives == 0 and not words:
        sys.exit("no positives")
    # validation positives: val split of recordings, else held-back TTS (different seed)
    if rec_val:
        val_words = [x[slice(*trim_speech(x))] for x in rec_val]
    else:
        val_words = tts_positives(kw, 60, np.random.default_rng(a.seed + 101),
                                  os.path.join(a.work, "tts_posval_%s_%d_x%08x.npz" % (tag, a.seed, synth.stable_hash(",".join(exclude)))), exclude)

    # ---- negatives
    prog(0.16, "negatives")
    avoid = KEYWORDS + [kw]
    sentences = synth.ordinary_sentences(REPO, avoid)
    tr_sent = [s for s in sentences if synth.stable_hash(s) % 4 != 0]
    va_sent = [s for s in sentences if synth.stable_hash(s) % 4 == 0]
    stag = "std" if kw in KEYWORDS else tag  # the shipped words share one speech cache
    speech = tts_speech(tr_sent, 1800, np.random.default_rng(7), os.path.join(a.work, "speech_train_%s.npy" % stag), prog, 0.16, 0.35)
    speech_val = tts_speech(va_sent, 900, np.random.default_rng(8), os.path.join(a.work, "speech_val_%s.npy" % stag), prog, 0.35, 0.45)
    stages["speech_synthesis"] = round(time.time() - t_start - sum(stages.values()), 1)
    conf_words = CONFUSABLES.get(kw, [])
    if not conf_words:  # custom word: parts of it and near words
        conf_words = [kw[: max(2, len(kw) // 2)], kw[len(kw) // 2:], kw + "s", "the " + kw[:-1]]
        parts = kw.split()
        if len(parts) > 1:  # each word alone, and the last word after another greeting
            conf_words += parts + ["hello " + parts[-1], parts[0] + " there"]
    conf = []
    crng = np.random.default_rng(a.seed + 5)
    for i in range(12 * len(conf_words)):
        x, _ = synth.random_voice_call(crng, conf_words[i % len(conf_words)], weights=[0.85, 0.15, 0.0])
        if len(x):
            conf.append(x)
    negd = os.path.join(shared_data(), "speech_negatives")
    neg_real = []
    neg_real_val = []
    for sub in ("athena", "amelia"):
        paths = list_audio(os.path.join(negd, sub))
        neg_real += load_many([p for p in paths if split_of(p) == "train"][:a.max_files])
        neg_real_val += load_many([p for p in paths if split_of(p) == "val"][:a.max_files // 3])
    others, others_val = [], []
    for other in KEYWORDS:
        if other == kw:
            continue
        paths = list_audio(os.path.join(shared_data(), "wakeword", other))
        others += load_many([p for p in paths if split_of(p) == "train"][:a.max_files // 2])
        others_val += load_many([p for p in paths if split_of(p) == "val"][:a.max_files // 6])
    noises = noise_pool("train")
    noises_val = noise_pool("val")
    stages["confusables_and_loading"] = round(time.time() - t_start - sum(stages.values()), 1)
    sources = [speech, neg_real or [speech], others or [speech], conf or [speech], [colored_noise(rng, SR * 20)] + noises]
    weights = np.array([0.42, 0.14, 0.14, 0.12, 0.18])
    weights /= weights.sum()

    # ---- clips -> features
    def pos_clip(r):
        wd = words[r.choice(len(words), p=wprob)]
        lo = a.end_min_frame
        if lo < CLIP_FRAMES - 45:  # whole word inside the clip (1.12: the fastest speed-up)
            lo = max(lo, int(len(wd) * 1.12 / HOP) + 3)
        end_frame = int(r.integers(min(lo, CLIP_FRAMES - 5), CLIP_FRAMES - 4))
        x, start_frame = augment_and_place(r, wd, noises, end_frame)
        return x, start_frame, end_frame

    n_pos, n_neg = a.pos_clips, a.neg_clips
    X = np.zeros((n_pos + n_neg, CLIP_FRAMES, feat.N_MELS), np.float16)
    Y = np.zeros((n_pos + n_neg, CLIP_FRAMES), np.int8)  # 1 pos, 0 neg, -1 masked
    for i in range(n_pos + n_neg):
        if i < n_pos:
            x, s_frame, e_frame = pos_clip(rng)
            # 1 from 2 frames before the word's end to 8 after; ignore the word
            # itself and what follows (the detector may fire late; refractory
            # absorbs it); 0 before the word.
            Y[i, :] = -1
            Y[i, : max(0, s_frame - 5)] = 0
            Y[i, max(0, e_frame - 2): e_frame + 9] = 1
        else:
            if rng.random() < 0.12 and conf:
                x = placed_confusable(rng, conf)
                if rng.random() < 0.8:
                    x = mix_snr(x, background(rng, noises, CLIP), rng.uniform(0, 25))
                x = np.clip(x * 10 ** (rng.uniform(-20, 0) / 20) / max(1e-4, np.max(np.abs(x))), -1, 1)
            else:
                x = negative_clip(rng, sources, weights, noises)
            Y[i] = 0
        X[i] = feat.log_mel(x).astype(np.float16)
        if i % 200 == 0:
            prog(0.45 + 0.2 * i / (n_pos + n_neg), "features %d/%d" % (i, n_pos + n_neg))

    stages["clips_and_features"] = round(time.time() - t_start - sum(stages.values()), 1)
    mean = X[n_pos:].astype(np.float32).reshape(-1, feat.N_MELS).mean(axis=0)
    std = X[n_pos:].astype(np.float32).reshape(-1, feat.N_MELS).std(axis=0) + 1e-3
    inv_std = (1.0 / std).astype(np.float32)

    # ---- validation streams (never the TEST split)
    def val_positive_stream(r):
        """Each val positive inside 2 s of val noise at 10 dB SNR -> (features, list of (s, e) frames)."""
        parts, spans, pos = [], [], 0
        for wd in val_words:
            pad0, pad1 = int(r.uniform(0.5, 1.0) * SR), int(1.2 * SR)
            clip = np.concatenate([np.zeros(pad0, np.float32), wd, np.zeros(pad1, np.float32)])
            nz = take(r, noises_val[r.integers(len(noises_val))], len(clip))
            clip = mix_snr(clip, nz, 10.0, rms(wd))
            clip = clip * (0.3 / max(1e-4, np.max(np.abs(clip))))
            spans.append(((pos + pad0) // HOP, (pos + len(clip)) // HOP))
            parts.append(clip.astype(np.float32))
            pos += len(clip)
        return feat.log_mel(np.concatenate(parts)), spans

    def val_negative_stream(r):
        parts = [speech_val[: int(a.val_speech_minutes * 60 * SR)]] + neg_real_val + others_val + [np.concatenate(noises_val)]
        y = np.concatenate([p.astype(np.float32) for p in parts])
        y = mix_snr(y, take(r, np.concatenate(noises_val), len(y)), 15.0)
        return feat.log_mel(np.clip(y * 0.3 / max(1e-4, np.max(np.abs(y))), -1, 1))

    vr = np.random.default_rng(a.seed + 3)
    vpos, vspans = val_positive_stream(vr)
    vneg = val_negative_stream(vr)
    vneg_hours = len(vneg) / 360000.0

    stages["validation_streams"] = round(time.time() - t_start - sum(stages.values()), 1)
    prep_seconds = time.time() - t_start
    prog(0.65, "data ready after %.0f s" % prep_seconds)

    # ---- train
    dil = [2 ** i for i in range(a.blocks)]
    export_seconds = []
    # ---- quantize + check + threshold + export (also used for checkpoints)
    best = {"hits": -1}

    def export(model, step, final):
        e0 = time.time()
        layers = folded_layers(model)
        norm = lambda f: (f - mean) * inv_std  # noqa: E731
        calib = norm(np.concatenate([X[np.random.default_rng(a.seed + 17).integers(0, n_pos + n_neg, 300)].astype(np.float32).reshape(-1, feat.N_MELS)]))
        qlayers, act_scales = quantize_layers(layers, calib)

        def scores(fn, f):
            return smooth(sigmoid(fn(norm(f).astype(np.float32))), 3)

        sp_f = scores(lambda z: float_forward(layers, z), vpos)
        sn_f = scores(lambda z: float_forward(layers, z), vneg)
        sp_q = scores(lambda z: int8_forward(qlayers, act_scales, z), vpos)
        sn_q = scores(lambda z: int8_forward(qlayers, act_scales, z), vneg)
        grid = np.concatenate([np.linspace(0.05, 0.95, 91), 1 - np.logspace(-2, -5, 31)])

        def pick(sp, sn):
            best = None
            for t in grid:
                if count_events(sn, t) == 0:
                    best = t
                    break
            if best is None:
                best = grid[-1]
            hits = sum(1 for s, e in vspans if np.max(sp[s:e]) >= best)
            return float(best), hits

        thr_f, hits_f = pick(sp_f, sn_f)
        thr_q, hits_q = pick(sp_q, sn_q)
        # a margin above the loudest validation negative: a quarter of the way to 1 in logit space
        thr = float(sigmoid(math.log(thr_q / (1 - thr_q)) + 0.5)) if thr_q < 0.999 else thr_q
        thr = min(thr, 0.995)
        hits_final = sum(1 for s, e in vspans if np.max(sp_q[s:e]) >= thr)
        fa_q = count_events(sn_q, thr)
        max_dev = float(np.max(np.abs(sp_f - sp_q)))

        # ---- export
        prog(0.97, "writing " + os.path.basename(a.out))
        C = a.channels
        md = {
            "general.architecture": "hearth-kws",
            "general.name": "hearth-kws-" + tag,
            "general.description": "Hearth wake-word model for '%s' (tools/wakeword/train.py, seed %d)" % (kw, a.seed),
            "hearth-kws.keyword": kw,
            "hearth-kws.threshold": float(thr),
            "hearth-kws.threshold_logit": float(math.log(thr / (1 - thr))),
            "hearth-kws.channels": C,
            "hearth-kws.block_count": a.blocks,
            "hearth-kws.input_kernel": 3,
            "hearth-kws.dw_kernel": 3,
            "hearth-kws.dilations": dil,
            "hearth-kws.act_scales": [float(s) for s in act_scales],
            "hearth-kws.features.sample_rate": feat.SAMPLE_RATE,
            "hearth-kws.features.n_mels": feat.N_MELS,
            "hearth-kws.features.window": feat.WINDOW,
            "hearth-kws.features.hop": feat.HOP,
            "hearth-kws.features.n_fft": feat.N_FFT,
            "hearth-kws.features.f_min": float(feat.F_MIN),
            "hearth-kws.features.f_max": float(feat.F_MAX),
            "hearth-kws.training.seed": a.seed,
            "hearth-kws.training.positives_real": n_real,
            "hearth-kws.training.positives_tts": len(tts),
        }
        tensors = [("feat.mean", mean.astype(np.float32)), ("feat.inv_std", inv_std)]
        bi = 0
        for kind, Wq, ws, b, d in qlayers:
            if kind == "in":
                pre = "in"
            elif kind == "out":
                pre = "out"
            else:
                pre = "blk.%d.%s" % (bi, kind)
                if kind == "pw":
                    bi += 1
            tensors += [(pre + ".weight", Wq), (pre + ".scale", ws), (pre + ".bias", b)]
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        ck = os.path.join(a.work, "ckpt_%s_%06d.gguf" % (tag, step))
        write_gguf(ck, md, tensors)
        # --out holds the best checkpoint (validation hits at its own threshold; later wins ties);
        # the final model replaces it only if it is not worse
        kept = hits_final >= best["hits"]
        if kept:
            best["hits"] = hits_final
            tmp = a.out + ".tmp"
            with open(ck, "rb") as fi, open(tmp, "wb") as fo:
                fo.write(fi.read())
            os.replace(tmp, a.out)
        # keep a float checkpoint and the int8 layers for tests/debugging
        np.savez(os.path.join(a.work, "model_%s.npz" % tag), mean=mean, inv_std=inv_std,
                 act_scales=np.array(act_scales, np.float32))
        summary = {
            "keyword": kw, "out": a.out, "params": int(n_params), "bytes": os.path.getsize(ck),
            "steps": step, "cpu_seconds": round(time.process_time() - t0, 1), "kept_as_out": kept,
            "positives_real": n_real, "positives_tts": len(tts), "val_positives": len(vspans),
            "val_negative_hours": round(vneg_hours, 3),
            "threshold": round(thr, 5), "threshold_float_zero_fa": round(thr_f, 5), "threshold_int8_zero_fa": round(thr_q, 5),
            "val_hits_float_at_own": hits_f, "val_hits_int8_at_own": hits_q, "val_hits_int8_final": hits_final,
            "val_fa_int8_final": fa_q, "max_abs_score_diff_float_int8": round(max_dev, 4),
        }
        export_seconds.append(time.time() - e0)
        summary["export_seconds"] = round(export_seconds[-1], 1)
        summary["wall_seconds"] = round(time.time() - t_start, 1)
        if not final:
            sys.stderr.write("\ncheckpoint %s\n" % json.dumps(summary))
            sys.stderr.flush()
        return summary

    model = build_model(feat.N_MELS, a.channels, dil)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    Xt = torch.from_numpy(X)
    Yt = torch.from_numpy(Y)
    mean_t = torch.from_numpy(mean)[None, :, None]
    inv_t = torch.from_numpy(inv_std)[None, :, None]
    bs = 96
    budget = a.minutes * 60.0
    wall_budget = a.wall_minutes * 60.0

    def total_wall_budget():
        """Training wall seconds left for --total-minutes: what remains minus the
        final export (as long as the slowest checkpoint export so far, at least 60 s)."""
        reserve = max([60.0] + [1.3 * e for e in export_seconds])
        return a.total_minutes * 60.0 - (w0 - t_start) - reserve
    t0 = time.process_time()
    w0 = time.time()
    step = 0
    losses = []
    checkpoints = []
    next_ckpt = a.checkpoint_minutes * 60.0 if a.checkpoint_minutes > 0 else None
    model.train()
    while True:
        if a.steps > 0:
            frac = step / a.steps
        else:
            frac = (time.process_time() - t0) / budget if budget > 0 else 0.0
            if wall_budget > 0:
                frac = max(frac, (time.time() - w0) / wall_budget)
            if a.total_minutes > 0:
                frac = max(frac, (time.time() - w0) / max(1.0, total_wall_budget()))
        if frac >= 1.0:
            break
        if next_ckpt is not None and time.time() - w0 >= next_ckpt:
            model.eval()
            checkpoints.append(export(model, step, False))
            model.train()
            next_ckpt += a.checkpoint_minutes * 60.0
        lr = 3e-3 * (0.5 * (1 + math.cos(math.pi * min(1.0, frac)))) + 5e-5
        for g in opt.param_groups:
            g["lr"] = lr
        # batches hold about 1/3 positives
        ip = torch.from_numpy(rng.integers(0, n_pos, bs // 3))
        ineg = torch.from_numpy(rng.integers(n_pos, n_pos + n_neg, bs - bs // 3))
        idx = torch.cat([ip, ineg])
        xb = (Xt[idx].float().transpose(1, 2) - mean_t) * inv_t
        yb = Yt[idx].float()
        logits = model(xb)
        mask = (yb >= 0).float()
        target = yb.clamp(min=0)
        w = mask * (1.0 + 4.0 * target)
        loss_f = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, weight=w, reduction="sum") / w.sum()
        # the loudest negative frame of each negative clip matters most for false alarms
        neg_max = (logits[bs // 3:]).max(dim=1).values
        loss = loss_f + 0.3 * torch.nn.functional.softplus(neg_max).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        step += 1
        if step % 25 == 0:
            prog(0.65 + 0.25 * frac, "training step %d loss %.4f%s" % (
                step, np.mean(losses[-25:]), "" if a.steps > 0 or frac <= 0 else
                " ~%.0f min left" % ((time.time() - w0) * (1 - frac) / frac / 60.0)))
    train_s = time.process_time() - t0
    model.eval()
    prog(0.91, "quantizing")
    summary = export(model, step, True)
    summary["train_seconds"] = round(train_s, 1)
    summary["train_wall_seconds"] = round(time.time() - w0, 1)
    summary["total_seconds"] = round(time.time() - t_start, 1)
    summary["prep_seconds"] = round(prep_seconds, 1)
    summary["prep_stages_seconds"] = stages
    summary["steps_per_wall_second"] = round(step / max(1e-9, time.time() - w0), 2)
    summary["final_loss"] = round(float(np.mean(losses[-50:])), 4) if losses else None
    summary["checkpoints"] = checkpoints
    prog(1.0, "done")
    print(json.dumps(summary))





if __name__ == "__main__":
    main()
