// bench_audio_ns: noise suppression and VAD, ours vs SpeexDSP vs WebRTC APM.
//
//   /usr/bin/python3 tools/audio_make_noisy_set.py /tmp/hearth-noisy
//   bench_audio_ns /tmp/hearth-noisy [--strength 0.6]
//
// For every noisy file in manifest.tsv, each engine processes the 16 kHz
// mono signal in 10 ms frames on one core (the process pins itself to CPU 0).
// Reported per SNR: SI-SDR of the input and the improvement per engine
// (output aligned to the clean signal by the engine's measured constant
// delay), and frame-level VAD precision/recall against speech truth taken
// from the clean file (10 ms frames within 30 dB of the loudest frame).
// RTF = thread CPU time spent inside the engine / audio duration.
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hearth/audio/audio.h"

#ifdef HEARTH_BENCH_SPEEXDSP
#include <speex/speex_preprocess.h>
#endif
#ifdef HEARTH_BENCH_WEBRTC_APM
// The 0.3 headers have unused parameters; keep -Wall -Wextra quiet for them only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#pragma GCC diagnostic pop
#endif

namespace {

using hearth::kFrameSamples;
using hearth::kSampleRateHz;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double si_sdr(const std::vector<float>& est, const std::vector<float>& ref, size_t lag) {
  const size_t n = ref.size();
  double dot = 0, rr = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = i + lag < est.size() ? est[i + lag] : 0.0;
    dot += e * ref[i];
    rr += static_cast<double>(ref[i]) * ref[i];
  }
  const double a = dot / rr;
  double t = 0, err = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = i + lag < est.size() ? est[i + lag] : 0.0;
    const double target = a * ref[i];
    t += target * target;
    err += (e - target) * (e - target);
  }
  return 10.0 * std::log10(t / err);
}

// Lag (0..max_lag samples) maximizing the correlation of est with ref.
size_t best_lag(const std::vector<float>& est, const std::vector<float>& ref, size_t max_lag) {
  size_t best = 0;
  double best_c = -1e300;
  for (size_t lag = 0; lag <= max_lag; ++lag) {
    double c = 0;
    for (size_t i = 0; i + lag < est.size() && i < ref.size(); ++i) c += static_cast<double>(est[i + lag]) * ref[i];
    if (c > best_c) best_c = c, best = lag;
  }
  return best;
}

std::vector<bool> speech_truth(const std::vector<float>& clean) {
  const size_t n = clean.size() / kFrameSamples;
  std::vector<double> e(n);
  double peak = 0;
  for (size_t f = 0; f < n; ++f) {
    double s = 0;
    for (int i = 0; i < kFrameSamples; ++i) s += clean[f * kFrameSamples + i] * clean[f * kFrameSamples + i];
    e[f] = s;
    peak = std::max(peak, s);
  }
  std::vector<bool> t(n);
  for (size_t f = 0; f < n; ++f) t[f] = e[f] > peak * 1e-3;  // −30 dB
  return t;
}

// One engine: processes a whole 16 kHz signal frame by frame, returns the
// output and a speech flag per input frame.
struct Engine {
  std::string name;
  std::function<void(const std::vector<float>& in, std::vector<float>& out, std::vector<bool>& vad)> run;
  size_t lag = 0;          // measured on the first file
  bool lag_known = false;
  double cpu_s = 0;
};

struct Stats {
  double si_in = 0, si_out = 0;
  int n = 0;
  size_t tp = 0, fp = 0, fn = 0;
};

Engine make_ours(float strength) {
  Engine e;
  e.name = "hearth";
  e.run = [strength](const std::vector<float>& in, std::vector<float>& out, std::vector<bool>& vad) {
    hearth::NsConfig ns;
    ns.strength = strength;
    auto fe = hearth::SpeechFrontEnd::create(ns, hearth::VadConfig{});
    const size_t n_frames = in.size() / kFrameSamples;
    out.assign(n_frames * kFrameSamples, 0.f);
    vad.assign(n_frames, false);
    const size_t shift = hearth::kStftLatency / kFrameSamples;  // flags describe output frames
    for (size_t f = 0; f < n_frames; ++f) {
      const auto info = (*fe)->process(std::span<const float>(in).subspan(f * kFrameSamples, kFrameSamples),
                                       std::span<float>(out).subspan(f * kFrameSamples, kFrameSamples));
      if (f >= shift) vad[f - shift] = info.speech;
    }
  };
  return e;
}

#ifdef HEARTH_BENCH_SPEEXDSP
Engine make_speex() {
  Engine e;
  e.name = "speexdsp";
  e.run = [](const std::vector<float>& in, std::vector<float>& out, std::vector<bool>& vad) {
    SpeexPreprocessState* st = speex_preprocess_state_init(kFrameSamples, kSampleRateHz);
    int on = 1, off = 0;
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on);
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_VAD, &on);
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC, &off);
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DEREVERB, &off);
    const size_t n_frames = in.size() / kFrameSamples;
    out.assign(n_frames * kFrameSamples, 0.f);
    vad.assign(n_frames, false);
    spx_int16_t buf[kFrameSamples];
    for (size_t f = 0; f < n_frames; ++f) {
      for (int i = 0; i < kFrameSamples; ++i)
        buf[i] = static_cast<spx_int16_t>(std::clamp(std::lround(in[f * kFrameSamples + i] * 32767.f), -32768L, 32767L));
      vad[f] = speex_preprocess_run(st, buf) != 0;
      for (int i = 0; i < kFrameSamples; ++i) out[f * kFrameSamples + i] = buf[i] / 32768.f;
    }
    speex_preprocess_state_destroy(st);
  };
  return e;
}
#endif

#ifdef HEARTH_BENCH_WEBRTC_APM
Engine make_webrtc() {
  Engine e;
  e.name = "webrtc";
  e.run = [](const std::vector<float>& in, std::vector<float>& out, std::vector<bool>& vad) {
    std::unique_ptr<webrtc::AudioProcessing> apm(webrtc::AudioProcessing::Create());
    apm->noise_suppression()->set_level(webrtc::NoiseSuppression::kHigh);
    apm->noise_suppression()->Enable(true);
    apm->voice_detection()->Enable(true);
    const webrtc::StreamConfig cfg(kSampleRateHz, 1);
    const size_t n_frames = in.size() / kFrameSamples;
    out.assign(n_frames * kFrameSamples, 0.f);
    vad.assign(n_frames, false);
    for (size_t f = 0; f < n_frames; ++f) {
      const float* src = &in[f * kFrameSamples];
      float* dst = &out[f * kFrameSamples];
      apm->ProcessStream(&src, cfg, cfg, &dst);
      vad[f] = apm->voice_detection()->stream_has_voice();
    }
  };
  return e;
}
#endif

struct Row {
  std::string id, noise;
  int snr = 0;
  std::string clean, noisy;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR [--strength S]\n  (make DATA_DIR with tools/audio_make_noisy_set.py)\n",
                 argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  float strength = hearth::NsConfig{}.strength;
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--strength") == 0) strength = std::strtof(argv[i + 1], nullptr);

  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  const bool pinned = sched_setaffinity(0, sizeof(set), &set) == 0;

  std::ifstream manifest(dir + "/manifest.tsv");
  if (!manifest) {
    std::fprintf(stderr, "%s/manifest.tsv: cannot open\n", dir.c_str());
    return 1;
  }
  std::vector<Row> rows;
  std::string line;
  std::getline(manifest, line);  // header
  while (std::getline(manifest, line)) {
    std::istringstream ls(line);
    Row r;
    std::string voice, snr;
    std::getline(ls, r.id, '\t');
    std::getline(ls, voice, '\t');
    std::getline(ls, r.noise, '\t');
    std::getline(ls, snr, '\t');
    std::getline(ls, r.clean, '\t');
    std::getline(ls, r.noisy, '\t');
    r.snr = std::stoi(snr);
    rows.push_back(r);
  }

  std::vector<Engine> engines;
  engines.push_back(make_ours(strength));
#ifdef HEARTH_BENCH_SPEEXDSP
  engines.push_back(make_speex());
#endif
#ifdef HEARTH_BENCH_WEBRTC_APM
  engines.push_back(make_webrtc());
#endif

  std::map<int, std::vector<Stats>> per_snr;  // snr → per engine
  std::map<std::string, std::vector<Stats>> per_noise;
  double audio_s = 0;
  std::vector<float> out;
  std::vector<bool> vad;
  for (const Row& r : rows) {
    auto clean = hearth::read_audio_file(r.clean);
    auto noisy = hearth::read_audio_file(r.noisy);
    if (!clean || !noisy) {
      std::fprintf(stderr, "%s: %s\n", r.id.c_str(), (!clean ? clean.error() : noisy.error()).message.c_str());
      return 1;
    }
    const size_t n = clean->size() / kFrameSamples * kFrameSamples;
    clean->resize(n);
    noisy->resize(n);
    audio_s += static_cast<double>(n) / kSampleRateHz;
    const auto truth = speech_truth(*clean);
    auto& st = per_snr[r.snr];
    auto& sn = per_noise[r.noise];
    st.resize(engines.size());
    sn.resize(engines.size());
    const double si_in = si_sdr(*noisy, *clean, 0);
    for (size_t k = 0; k < engines.size(); ++k) {
      Engine& e = engines[k];
      const double t0 = thread_cpu_s();
      e.run(*noisy, out, vad);
      e.cpu_s += thread_cpu_s() - t0;
      if (!e.lag_known) {
        e.lag = best_lag(out, *clean, 1024);
        e.lag_known = true;
      }
      const double si_out = si_sdr(out, *clean, e.lag);
      for (Stats* s : {&st[k], &sn[k]}) {
        s->si_in += si_in;
        s->si_out += si_out;
        ++s->n;
        for (size_t f = 0; f < truth.size(); ++f) {
          s->tp += truth[f] && vad[f];
          s->fp += !truth[f] && vad[f];
          s->fn += truth[f] && !vad[f];
        }
      }
    }
  }

  std::printf("bench_audio_ns: %zu files, %.1f s of audio, %s, hearth strength %.2f\n", rows.size(), audio_s,
              pinned ? "pinned to CPU 0" : "not pinned", static_cast<double>(strength));
  std::printf("engine delays (samples, measured): ");
  for (const auto& e : engines) std::printf("%s=%zu ", e.name.c_str(), e.lag);
  std::printf("\n\nSI-SDR (dB): input, and improvement per engine (mean over files)\n");
  std::printf("| SNR dB | files | input |");
  for (const auto& e : engines) std::printf(" Δ %s |", e.name.c_str());
  std::printf("\n|---:|---:|---:|");
  for (size_t k = 0; k < engines.size(); ++k) std::printf("---:|");
  std::printf("\n");
  for (const auto& [snr, st] : per_snr) {
    std::printf("| %d | %d | %.2f |", snr, st[0].n, st[0].si_in / st[0].n);
    for (const auto& s : st) std::printf(" %+.2f |", (s.si_out - s.si_in) / s.n);
    std::printf("\n");
  }
  std::printf("\nVAD frame precision / recall (truth: clean frames within 30 dB of the loudest)\n");
  std::printf("| SNR dB |");
  for (const auto& e : engines) std::printf(" %s P | %s R |", e.name.c_str(), e.name.c_str());
  std::printf("\n|---:|");
  for (size_t k = 0; k < engines.size(); ++k) std::printf("---:|---:|");
  std::printf("\n");
  for (const auto& [snr, st] : per_snr) {
    std::printf("| %d |", snr);
    for (const auto& s : st)
      std::printf(" %.3f | %.3f |", s.tp + s.fp ? static_cast<double>(s.tp) / (s.tp + s.fp) : 0.0,
                  s.tp + s.fn ? static_cast<double>(s.tp) / (s.tp + s.fn) : 0.0);
    std::printf("\n");
  }
  std::printf("\nSI-SDR improvement by noise type (all SNRs)\n| noise |");
  for (const auto& e : engines) std::printf(" Δ %s |", e.name.c_str());
  std::printf("\n|---|");
  for (size_t k = 0; k < engines.size(); ++k) std::printf("---:|");
  std::printf("\n");
  for (const auto& [noise, st] : per_noise) {
    std::printf("| %s |", noise.c_str());
    for (const auto& s : st) std::printf(" %+.2f |", (s.si_out - s.si_in) / s.n);
    std::printf("\n");
  }
  std::printf("\nCPU, one core: real-time factor of NS + VAD (CPU time / audio time)\n| engine | RTF | µs per 10 ms frame |\n|---|---:|---:|\n");
  for (const auto& e : engines)
    std::printf("| %s | %.4f | %.1f |\n", e.name.c_str(), e.cpu_s / audio_s, 1e6 * e.cpu_s / (audio_s * 100.0));
  return 0;
}
