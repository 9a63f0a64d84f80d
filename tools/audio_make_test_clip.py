#!/usr/bin/python3
"""Regenerates assets/test/speech_16k.wav, the clean speech clip the audio
unit tests mix with real noise.

    /usr/bin/python3 tools/audio_make_test_clip.py [OUT.wav]

espeak-ng (voice en-us, 150 wpm) speaks two commands; each is trimmed of
leading/trailing silence, resampled 22050 -> 16000 Hz (scipy resample_poly),
scaled to -3 dBFS peak, and written as 16-bit mono WAV:

    0.50 s silence | "turn on the kitchen lights" | 0.60 s silence |
    "set the thermostat to twenty degrees" | 0.50 s silence

Needs: apt-get install espeak-ng python3-numpy python3-scipy
"""
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np
from scipy.signal import resample_poly

RATE = 16000
PHRASES = ["turn on the kitchen lights", "set the thermostat to twenty degrees"]


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
        return x, w.getframerate()


def speak(text, voice="en-us", speed=150):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "s.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", out, text], check=True)
        x, rate = read_wav(out)
    g = np.gcd(rate, RATE)
    y = resample_poly(x, RATE // g, rate // g)
    env = np.abs(y) > 0.01 * np.max(np.abs(y))
    idx = np.nonzero(env)[0]
    return y[idx[0]:idx[-1] + 1]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "assets", "test", "speech_16k.wav")
    parts = [np.zeros(int(0.5 * RATE))]
    for i, p in enumerate(PHRASES):
        parts.append(speak(p))
        parts.append(np.zeros(int((0.6 if i + 1 < len(PHRASES) else 0.5) * RATE)))
    x = np.concatenate(parts)
    x *= 10 ** (-3 / 20) / np.max(np.abs(x))
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    print(f"{out}: {len(pcm) / RATE:.2f} s")


if __name__ == "__main__":
    main()
