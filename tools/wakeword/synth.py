#!/usr/bin/python3
"""Speech synthesis for wake-word training: espeak-ng (voices x variants),
flite and Festival voices, with speed and pitch variation. Every call writes a
temporary WAV and returns float32 mono 16 kHz samples.
"""
import hashlib
import os
import re
import subprocess
import tempfile

import numpy as np

from features import load_audio

ESPEAK_VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                 "en-gb-x-gbcwmd", "en-029"]


def espeak_variants():
    d = "/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v"
    if not os.path.isdir(d):
        d = "/usr/share/espeak-ng-data/voices/!v"
    try:
        return sorted(v for v in os.listdir(d) if " " not in v)
    except OSError:
        return ["m1", "m2", "m3", "f1", "f2", "f3"]


FLITE_VOICES = ["kal", "awb", "rms", "slt", "kal16"]
FESTIVAL_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]


def _run(cmd, path, stdin=None):
    subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)
    x = load_audio(path) if os.path.exists(path) and os.path.getsize(path) > 44 else np.zeros(0, np.float32)
    return x


def espeak(text, voice, variant, speed, pitch):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "o.wav")
        v = voice + ("+" + variant if variant else "")
        return _run(["espeak-ng", "-v", v, "-s", str(int(speed)), "-p", str(int(pitch)), "-w", p, text], p)


def flite(text, voice, stretch, f0):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "o.wav")
        return _run(["flite", "-voice", voice, "--setf", "duration_stretch=%.2f" % stretch,
                     "--setf", "int_f0_target_mean=%d" % int(f0), "-t", text, "-o", p], p)


def festival(text, voice, stretch):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "o.wav")
        ev = "(begin (voice_%s) (Parameter.set 'Duration_Stretch %.2f))" % (voice, stretch)
        return _run(["text2wave", "-eval", ev, "-o", p], p, stdin=text.encode())


def random_voice_call(rng, text, engines=("espeak", "flite", "festival"), weights=None,
                      exclude=()):
    """One synthesis with a random engine/voice/speed/pitch. Returns (audio, voice_id).
    exclude: ids never used, like "espeak:en-029", "espeak-variant:m4", "flite:slt",
    "festival:cmu_us_slt_arctic_hts" (voices held out for evaluation)."""
    engines = list(engines)
    if weights is None:
        weights = [0.75, 0.18, 0.07][: len(engines)]
    w = np.array(weights[: len(engines)], dtype=np.float64)
    eng = engines[rng.choice(len(engines), p=w / w.sum())]
    if eng == "espeak":
        voices = [v for v in ESPEAK_VOICES if "espeak:" + v not in exclude]
        v = voices[rng.integers(len(voices))]
        var = [x for x in espeak_variants() if "espeak-variant:" + x not in exclude]
        variant = None if rng.random() < 0.15 else var[rng.integers(len(var))]
        return espeak(text, v, variant, rng.integers(110, 210), rng.integers(20, 80)), "espeak:" + v
    if eng == "flite":
        voices = [v for v in FLITE_VOICES if "flite:" + v not in exclude]
        v = voices[rng.integers(len(voices))]
        return flite(text, v, rng.uniform(0.8, 1.3), rng.uniform(80, 220)), "flite:" + v
    voices = [v for v in FESTIVAL_VOICES if "festival:" + v not in exclude]
    v = voices[rng.integers(len(voices))]
    return festival(text, v, rng.uniform(0.8, 1.3)), "festival:" + v


# ---- ordinary text for negative speech ----

_HOME_PHRASES = """turn on the kitchen lights
switch off the lamp in the living room
what is the temperature upstairs
set the thermostat to twenty one degrees
close the blinds in the bedroom
play some music in the garden
is the front door locked
dim the hallway lights to thirty percent
good morning what is the weather like today
remind me to water the plants tomorrow
the kettle is boiling can you hear it
we are going to the market this afternoon
please pass the salt and the pepper
my brother bought a new bicycle last week
the children are playing football outside
dinner will be ready in ten minutes
have you seen my keys anywhere
the train was late again this morning
open the garage door
how long until the washing machine finishes""".splitlines()


def ordinary_sentences(repo_root, avoid_words):
    """Sentences from the project's own docs plus home phrases, without the
    wake words. Returns a list of strings."""
    texts = []
    for sub in ("docs", "."):
        d = os.path.join(repo_root, sub)
        for name in sorted(os.listdir(d)):
            if name.endswith(".md"):
                with open(os.path.join(d, name), encoding="utf-8", errors="ignore") as f:
                    texts.append(f.read())
    raw = re.split(r"[.!?\n]+", "\n".join(texts))
    avoid = [w.lower() for w in avoid_words]
    out = []
    for s in raw + _HOME_PHRASES:
        s = re.sub(r"[`*_#|<>\[\]{}()=/\\~^$@]+", " ", s)
        s = re.sub(r"\s+", " ", s).strip()
        if len(s.split()) < 3 or len(s) > 200:
            continue
        low = s.lower()
        if any(a in low for a in avoid):
            continue
        out.append(s)
    return out


def word_salad(rng, sentences, n_words):
    vocab = sorted({w for s in sentences for w in re.findall(r"[A-Za-z']{2,}", s)})
    return " ".join(vocab[i] for i in rng.integers(0, len(vocab), n_words))


def stable_hash(name):
    return int(hashlib.md5(os.path.basename(name).encode()).hexdigest()[:8], 16)
