// Streaming log-mel on FFTW (float). See tools/wakeword/features.py for the
// definition; tests/unit/wakeword/log_mel_test.cc compares the two.
#include "log_mel.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

namespace hearth::wakeword {
namespace {

// FFTW's planner is not thread-safe; plans are created under this lock.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

double hz_to_mel(double f) { return 2595.0 * std::log10(1.0 + f / 700.0); }
double mel_to_hz(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }

constexpr float kLogEps = 1e-6f;

}  // namespace

struct LogMel::Fft {
  int n = 0;
  float* in = nullptr;
  fftwf_complex* out = nullptr;
  fftwf_plan plan = nullptr;
  explicit Fft(int n_fft) : n(n_fft) {
    std::lock_guard<std::mutex> lock(planner_mutex());
    in = fftwf_alloc_real(n);
    out = fftwf_alloc_complex(n / 2 + 1);
    plan = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
  }
  ~Fft() {
    std::lock_guard<std::mutex> lock(planner_mutex());
    fftwf_destroy_plan(plan);
    fftwf_free(in);
    fftwf_free(out);
  }
};

LogMel::LogMel(const WakeFeatureSettings& s) : s_(s), fft_(std::make_unique<Fft>(s.n_fft)) {
  window_.resize(s_.window_samples);
  for (int i = 0; i < s_.window_samples; ++i)
    window_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * M_PI * i / s_.window_samples));
  history_.assign(s_.window_samples, 0.f);
  const int n_bins = s_.n_fft / 2 + 1;
  const double m_lo = hz_to_mel(s_.f_min_hz), m_hi = hz_to_mel(s_.f_max_hz);
  std::vector<double> edges(s_.n_mels + 2);
  for (int i = 0; i < s_.n_mels + 2; ++i) edges[i] = mel_to_hz(m_lo + (m_hi - m_lo) * i / (s_.n_mels + 1));
  band_lo_.resize(s_.n_mels);
  band_w_.resize(s_.n_mels);
  for (int m = 0; m < s_.n_mels; ++m) {
    const double lo = edges[m], c = edges[m + 1], hi = edges[m + 2];
    int first = -1;
    std::vector<float> w;
    for (int k = 0; k < n_bins; ++k) {
      const double f = static_cast<double>(k) * s_.sample_rate_hz / s_.n_fft;
      const double v = std::max(0.0, std::min((f - lo) / (c - lo), (hi - f) / (hi - c)));
      if (v > 0.0) {
        if (first < 0) first = k;
        w.resize(k - first + 1, 0.f);
        w[k - first] = static_cast<float>(v);
      }
    }
    band_lo_[m] = first < 0 ? 0 : first;
    band_w_[m] = std::move(w);
  }
}

LogMel::~LogMel() = default;

void LogMel::reset() { std::fill(history_.begin(), history_.end(), 0.f); }

void LogMel::push(const float* hop, float* out) {
  const int keep = s_.window_samples - s_.hop_samples;
  std::memmove(history_.data(), history_.data() + s_.hop_samples, sizeof(float) * keep);
  std::memcpy(history_.data() + keep, hop, sizeof(float) * s_.hop_samples);
  float* in = fft_->in;
  for (int i = 0; i < s_.window_samples; ++i) in[i] = history_[i] * window_[i];
  for (int i = s_.window_samples; i < s_.n_fft; ++i) in[i] = 0.f;
  fftwf_execute(fft_->plan);
  const fftwf_complex* spec = fft_->out;
  for (int m = 0; m < s_.n_mels; ++m) {
    double acc = 0.0;  // double: matches numpy's float64 front end closely
    const std::vector<float>& w = band_w_[m];
    for (size_t k = 0; k < w.size(); ++k) {
      const fftwf_complex& z = spec[band_lo_[m] + static_cast<int>(k)];
      acc += static_cast<double>(w[k]) * (static_cast<double>(z[0]) * z[0] + static_cast<double>(z[1]) * z[1]);
    }
    out[m] = static_cast<float>(std::log(acc + kLogEps));
  }
}

std::vector<float> LogMel::compute(std::span<const float> pcm) {
  reset();
  const size_t n = pcm.size() / s_.hop_samples;
  std::vector<float> out(n * s_.n_mels);
  for (size_t i = 0; i < n; ++i) push(pcm.data() + i * s_.hop_samples, out.data() + i * s_.n_mels);
  return out;
}

}  // namespace hearth::wakeword
