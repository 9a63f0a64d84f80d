#!/usr/bin/python3
"""Builds the noisy speech test set for bench/audio (bench_audio_ns).

    /usr/bin/python3 tools/audio_make_noisy_set.py OUT_DIR [--noise-dir DIR] [--seed N]

Clean speech: home-automation commands synthesized with several TTS engines
and voices (all Debian packages: espeak-ng, flite, festival + festvox-kallpc16k,
festvox-kdlpc16k, festvox-us-slt-hts), each resampled to 16 kHz, trimmed,
scaled to -20 dBFS RMS over the speech, and padded with 1.0 s before / 0.5 s
after (the lead-in lets every suppressor see noise first, as the always-on
loop does).

Noise: the real recordings in ../shared/data/noise/*.flac (16 kHz mono). Each
clean clip is mixed at -5, 0, 5, 10 and 20 dB SNR (speech RMS over the
unpadded clip vs. noise RMS over the same span) with a noise file chosen
round-robin and a seeded random offset.

Output (OUT_DIR is outside the repo, e.g. /tmp/hearth-noisy):
    clean/<id>.wav          16-bit mono 16 kHz
    noisy/<snr>/<id>.wav
    manifest.tsv            id, voice, noise, snr_db, clean path, noisy path

Needs: apt-get install espeak-ng flite festival festvox-kallpc16k
       festvox-kdlpc16k festvox-us-slt-hts python3-numpy python3-scipy
"""
import argparse
import ctypes
import ctypes.util
import glob
import os
import subprocess
import tempfile
import wave

import numpy as np
from scipy.signal import resample_poly

RATE = 16000
SNRS = [-5, 0, 5, 10, 20]
SENTENCES = [
    "turn on the kitchen lights",
    "set the living room thermostat to twenty one degrees",
    "is the front door locked",
    "dim the bedroom lamp to thirty percent",
    "close the garage door and turn off the porch light",
    "what is the temperature in the nursery",
]
# (label, engine, voice argument)
VOICES = [
    ("espeak-en-us", "espeak", ["-v", "en-us", "-s", "150"]),
    ("espeak-en-gb-f3", "espeak", ["-v", "en-gb+f3", "-s", "140"]),
    ("espeak-en-scotland-m3", "espeak", ["-v", "en-gb-scotland+m3", "-s", "160"]),
    ("espeak-en-us-f4-slow", "espeak", ["-v", "en-us+f4", "-s", "120", "-p", "70"]),
    ("flite-kal", "flite", ["kal"]),
    ("flite-slt", "flite", ["slt"]),
    ("flite-rms", "flite", ["rms"]),
    ("flite-awb", "flite", ["awb"]),
    ("festival-kal", "festival", ["voice_kal_diphone"]),
    ("festival-ked", "festival", ["voice_ked_diphone"]),
    ("festival-slt-hts", "festival", ["voice_cmu_us_slt_arctic_hts"]),
]


def read_wav(path):
    with wave.open(path, "rb") as w:
        n_ch, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    assert width == 2, path
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    return x.reshape(-1, n_ch).mean(axis=1), rate


def write_wav(path, x):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


class _SfInfo(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


def read_flac(path):
    """Decodes a FLAC file with libsndfile (libsndfile1, already a Hearth dependency) via ctypes."""
    sf = ctypes.CDLL(ctypes.util.find_library("sndfile"))
    sf.sf_open.restype = ctypes.c_void_p
    sf.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(_SfInfo)]
    sf.sf_readf_double.restype = ctypes.c_int64
    sf.sf_readf_double.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    sf.sf_close.argtypes = [ctypes.c_void_p]
    info = _SfInfo()
    h = sf.sf_open(path.encode(), 0x10, ctypes.byref(info))  # SFM_READ
    if not h:
        raise SystemExit(f"{path}: libsndfile cannot open it")
    buf = np.zeros(info.frames * info.channels, dtype=np.float64)
    got = sf.sf_readf_double(h, buf.ctypes.data, info.frames)
    sf.sf_close(h)
    assert info.samplerate == RATE, f"{path}: expected 16 kHz, got {info.samplerate}"
    return buf[:got * info.channels].reshape(-1, info.channels).mean(axis=1)


def synth(engine, args, text, out):
    if engine == "espeak":
        subprocess.run(["espeak-ng"] + args + ["-w", out, text], check=True)
    elif engine == "flite":
        subprocess.run(["flite", "-voice", args[0], "-t", text, "-o", out], check=True)
    else:
        scm = out + ".scm"
        with open(scm, "w") as f:
            f.write(f"({args[0]})\n(utt.save.wave (utt.synth (Utterance Text \"{text}\")) \"{out}\" 'riff)\n")
        subprocess.run(["festival", "-b", scm], check=True, stdout=subprocess.DEVNULL)


def clean_clip(engine, args, text):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "s.wav")
        synth(engine, args, text, out)
        x, rate = read_wav(out)
    g = np.gcd(rate, RATE)
    if rate != RATE:
        x = resample_poly(x, RATE // g, rate // g)
    idx = np.nonzero(np.abs(x) > 0.01 * np.max(np.abs(x)))[0]
    x = x[idx[0]:idx[-1] + 1]
    x *= 10 ** (-20 / 20) / np.sqrt(np.mean(x ** 2))
    return x


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--noise-dir", default=os.path.join(here, "..", "..", "shared", "data", "noise"))
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--sentences-per-voice", type=int, default=2)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    noise_files = sorted(glob.glob(os.path.join(a.noise_dir, "*.flac")))
    if not noise_files:
        raise SystemExit(f"no noise files in {a.noise_dir}")
    noises = [(os.path.basename(p)[:-5], read_flac(p)) for p in noise_files]
    rows = []
    k = 0
    for vi, (label, engine, args) in enumerate(VOICES):
        for si in range(a.sentences_per_voice):
            text = SENTENCES[(vi * a.sentences_per_voice + si) % len(SENTENCES)]
            speech = clean_clip(engine, args, text)
            clean = np.concatenate([np.zeros(RATE), speech, np.zeros(RATE // 2)])
            cid = f"{label}-{si}"
            cpath = os.path.join(a.out_dir, "clean", cid + ".wav")
            write_wav(cpath, clean)
            for snr in SNRS:
                nname, noise = noises[k % len(noises)]
                k += 1
                off = int(rng.integers(0, max(1, len(noise) - len(clean))))
                seg = np.resize(noise[off:], len(clean)) if len(noise) - off < len(clean) else noise[off:off + len(clean)]
                span = seg[RATE:RATE + len(speech)]
                g = np.sqrt(np.mean(speech ** 2)) / (np.sqrt(np.mean(span ** 2)) + 1e-12) / 10 ** (snr / 20)
                noisy = clean + g * seg
                peak = np.max(np.abs(noisy))
                if peak > 0.99:  # keep 16-bit files unclipped; both signals scale together
                    noisy *= 0.99 / peak
                npath = os.path.join(a.out_dir, "noisy", f"{snr}", cid + ".wav")
                write_wav(npath, noisy)
                rows.append((cid, label, nname, snr, cpath, npath))
            print(f"{cid}: {len(speech) / RATE:.2f} s  \"{text}\"", flush=True)
    with open(os.path.join(a.out_dir, "manifest.tsv"), "w") as f:
        f.write("id\tvoice\tnoise\tsnr_db\tclean\tnoisy\n")
        for r in rows:
            f.write("\t".join(str(v) for v in r) + "\n")
    print(f"{len(rows)} noisy files in {a.out_dir}")


if __name__ == "__main__":
    main()
