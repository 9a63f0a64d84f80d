#!/usr/bin/python3
"""Log-mel front end of the hearth-kws wake-word models, in numpy.

This is the specification the C++ front end (wakeword/src/log_mel.cc, FFTW)
implements; tests/unit/wakeword/log_mel_python_test compares the two on a file.

Definition (16 kHz mono float input in [-1, 1]):
  * the signal is preceded by WINDOW - HOP = 240 zeros, so frame i covers the
    400 samples that END at sample (i + 1) * 160: one frame per 10 ms of input,
    available as soon as that 10 ms has arrived (streaming, causal);
  * periodic Hann window w[n] = 0.5 - 0.5 cos(2 pi n / 400);
  * power spectrum |rfft(frame * w, 512)|^2 (257 bins);
  * 40 triangular mel filters (HTK mel scale 2595 log10(1 + f / 700)), edges
    equally spaced in mel from 20 Hz to 7600 Hz, weights computed in Hz;
  * log(mel + 1e-6) (natural log).

    features.py IN.(wav|flac|f32) OUT.f32    # writes n_frames x 40 float32
"""
import subprocess
import sys

import numpy as np

SAMPLE_RATE = 16000
N_MELS = 40
WINDOW = 400
HOP = 160
N_FFT = 512
F_MIN = 20.0
F_MAX = 7600.0
LOG_EPS = 1e-6


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank():
    """[N_MELS, N_FFT // 2 + 1] float64 triangular weights."""
    edges = mel_to_hz(np.linspace(hz_to_mel(F_MIN), hz_to_mel(F_MAX), N_MELS + 2))
    freqs = np.arange(N_FFT // 2 + 1) * SAMPLE_RATE / N_FFT
    fb = np.zeros((N_MELS, N_FFT // 2 + 1))
    for m in range(N_MELS):
        lo, c, hi = edges[m], edges[m + 1], edges[m + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[m] = np.maximum(0.0, np.minimum(up, down))
    return fb


_FB = mel_filterbank()
_WIN = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(WINDOW) / WINDOW)


def log_mel(x, chunk=20000):
    """x: 1-D float array at 16 kHz -> [len(x) // HOP, N_MELS] float32."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x) // HOP
    out = np.empty((n, N_MELS), dtype=np.float32)
    if n == 0:
        return out
    xp = np.concatenate([np.zeros(WINDOW - HOP), x[: n * HOP]])
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        idx = (np.arange(s, e) * HOP)[:, None] + np.arange(WINDOW)[None, :]
        spec = np.fft.rfft(xp[idx] * _WIN, N_FFT, axis=1)
        power = spec.real ** 2 + spec.imag ** 2
        out[s:e] = np.log(power @ _FB.T + LOG_EPS)
    return out


def load_audio(path):
    """Any file sox reads -> float32 mono 16 kHz. Truncated files decode in part."""
    if path.endswith(".f32"):
        return np.fromfile(path, dtype=np.float32)
    p = subprocess.run(["sox", "-V0", path, "-t", "raw", "-e", "floating-point", "-b", "32",
                        "-c", "1", "-r", str(SAMPLE_RATE), "-"], capture_output=True)
    return np.frombuffer(p.stdout, dtype=np.float32).copy()


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    x = load_audio(sys.argv[1])
    log_mel(x).astype(np.float32).tofile(sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
