#!/usr/bin/python3
"""Synthesizes the ASR benchmark set (issue 5) from bench/asr/commands.txt and
bench/asr/out_of_grammar.txt with 8 synthetic voices (espeak-ng, flite,
Festival), then mixes real background noise (../shared/data/noise) at 10 and
5 dB SNR. Output (not committed): OUT/{clean,snr10,snr5}/NNNN.wav + OUT/manifest.jsonl.

Each sentence is spoken by one voice, rotating through the voices, so every
voice says ~1/8 of the set. Deterministic (fixed seed for noise choice/offset).

usage: tools/asr/make_testset.py OUT [--noise DIR] [--dev]
  --dev  the DEV set for tuning instead: bench/asr/dev_commands.txt +
         dev_out_of_grammar.txt spoken by 4 other voices (DEV_VOICES), other
         noise offsets. Never report the dev set as held out.
"""
import json, os, random, subprocess, sys, tempfile
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

VOICES = [
    ("espeak-us-m", lambda t, o: ["espeak-ng", "-v", "en-us", "-s", "150", "-w", o, t]),
    ("flite-slt", lambda t, o: ["flite", "-voice", "slt", "-t", t, "-o", o]),
    ("espeak-gb-f3", lambda t, o: ["espeak-ng", "-v", "en-gb+f3", "-s", "140", "-w", o, t]),
    ("flite-rms", lambda t, o: ["flite", "-voice", "rms", "-t", t, "-o", o]),
    ("festival-ked", None),
    ("espeak-us-m7", lambda t, o: ["espeak-ng", "-v", "en-us+m7", "-s", "165", "-w", o, t]),
    ("flite-awb", lambda t, o: ["flite", "-voice", "awb", "-t", t, "-o", o]),
    ("festival-slt-hts", None),
]
# Voices only the dev set uses (none of them speaks the reported set).
DEV_VOICES = [
    ("espeak-scotland", lambda t, o: ["espeak-ng", "-v", "en-gb-scotland", "-s", "145", "-w", o, t]),
    ("flite-kal16", lambda t, o: ["flite", "-voice", "kal16", "-t", t, "-o", o]),
    ("espeak-029-f2", lambda t, o: ["espeak-ng", "-v", "en-029+f2", "-s", "155", "-w", o, t]),
    ("festival-kal", None),
]
FESTIVAL_VOICE = {"festival-ked": "voice_ked_diphone", "festival-slt-hts": "voice_cmu_us_slt_arctic_hts",
                  "festival-kal": "voice_kal_diphone"}


def read_lines(path):
    return [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]


def synth(voice, text, out_wav):
    name, cmd = voice
    tmp = out_wav + ".raw.wav"
    if cmd is None:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(text)
            txt = f.name
        subprocess.run(["text2wave", "-eval", "(%s)" % FESTIVAL_VOICE[name], txt, "-o", tmp], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.unlink(txt)
    else:
        subprocess.run(cmd(text, tmp), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["sox", tmp, "-r", "16000", "-c", "1", "-b", "16", out_wav, "pad", "0.3", "0.6"], check=True)
    os.unlink(tmp)


def read_wav(path):
    out = subprocess.run(["sox", path, "-t", "raw", "-r", "16000", "-c", "1", "-e", "signed", "-b", "16", "-"],
                         check=True, stdout=subprocess.PIPE).stdout
    return np.frombuffer(out, dtype=np.int16).astype(np.float32) / 32768.0


def write_wav(path, x):
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes()
    subprocess.run(["sox", "-t", "raw", "-r", "16000", "-c", "1", "-e", "signed", "-b", "16", "-", path],
                   input=pcm, check=True)


def main():
    out = sys.argv[1]
    noise_dir = os.path.join(ROOT, "..", "shared", "data", "noise")
    if "--noise" in sys.argv:
        noise_dir = sys.argv[sys.argv.index("--noise") + 1]
    noise_dir = os.environ.get("HEARTH_SHARED_DATA", os.path.dirname(noise_dir)) + "/noise" \
        if "HEARTH_SHARED_DATA" in os.environ else noise_dir
    dev = "--dev" in sys.argv
    prefix = "dev_" if dev else ""
    voices = DEV_VOICES if dev else VOICES
    items = [(t, "command") for t in read_lines(os.path.join(ROOT, "bench/asr/%scommands.txt" % prefix))]
    items += [(t, "oog") for t in read_lines(os.path.join(ROOT, "bench/asr/%sout_of_grammar.txt" % prefix))]
    noises = sorted(os.path.join(noise_dir, f) for f in os.listdir(noise_dir) if f.endswith(".flac"))
    noise_pcm = [read_wav(f) for f in noises]
    rng = random.Random(55 if dev else 5)
    for d in ("clean", "snr10", "snr5"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    manifest = []
    for i, (text, kind) in enumerate(items):
        voice = voices[i % len(voices)]
        name = "%04d.wav" % i
        clean = os.path.join(out, "clean", name)
        if not os.path.exists(clean):
            synth(voice, text, clean)
        x = read_wav(clean)
        k = rng.randrange(len(noises))
        n = noise_pcm[k]
        off = rng.randrange(max(1, len(n) - len(x)))
        seg = np.resize(n[off:off + len(x)], len(x))
        ps = np.mean(x ** 2) + 1e-12
        pn = np.mean(seg ** 2) + 1e-12
        for snr in (10, 5):
            y = x + seg * np.sqrt(ps / (pn * 10 ** (snr / 10)))
            write_wav(os.path.join(out, "snr%d" % snr, name), y)
        manifest.append({"file": name, "text": text, "kind": kind, "voice": voice[0],
                         "noise": os.path.basename(noises[k])})
    with open(os.path.join(out, "manifest.jsonl"), "w") as f:
        for m in manifest:
            f.write(json.dumps(m) + "\n")
    print("wrote %d items x 3 conditions to %s" % (len(manifest), out))


if __name__ == "__main__":
    main()
