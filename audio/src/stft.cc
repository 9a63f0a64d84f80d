// STFT with FFTW3f r2c/c2r plans made once (see Stft in audio.h).
//
// Window w[n] = sqrt(0.5 − 0.5·cos(2πn/N)) (periodic sqrt-Hann), N = 480,
// hop R = 160. Σ_m w²[n − mR] = N/(2R) = 1.5 for every n, so analysis with w,
// synthesis with w/1.5 and overlap-add reconstructs the input exactly
// (delayed by N − R samples). FFTW's c2r is unnormalized: scale 1/N too.
#include <fftw3.h>

#include <cmath>
#include <mutex>

#include "hearth/audio/audio.h"

namespace hearth {
namespace {
// FFTW's planner is not thread-safe; plan creation/destruction is serialized.
std::mutex& fftw_planner_mutex() {
  static std::mutex mu;
  return mu;
}
}  // namespace

struct Stft::Impl {
  float* time = nullptr;           // N real samples (FFTW-aligned)
  fftwf_complex* freq = nullptr;   // N/2+1 bins
  fftwf_plan fwd = nullptr, inv = nullptr;
  std::vector<float> window;       // analysis window
  std::vector<float> synth;        // synthesis window incl. 1/(1.5·N)
  std::vector<float> in_buf;       // last N input samples
  std::vector<float> ola;          // overlap-add accumulator, N samples

  ~Impl() {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    if (fwd) fftwf_destroy_plan(fwd);
    if (inv) fftwf_destroy_plan(inv);
    if (time) fftwf_free(time);
    if (freq) fftwf_free(freq);
  }
};

Stft::Stft(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Stft::~Stft() = default;

Result<std::unique_ptr<Stft>> Stft::create() {
  auto impl = std::make_unique<Impl>();
  constexpr int N = kStftWindow;
  {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    impl->time = fftwf_alloc_real(N);
    impl->freq = fftwf_alloc_complex(kStftBins);
    if (!impl->time || !impl->freq) return Error{Code::kInternal, "stft: fftwf_alloc failed"};
    // FFTW_ESTIMATE: no timing runs at startup, plans are deterministic.
    impl->fwd = fftwf_plan_dft_r2c_1d(N, impl->time, impl->freq, FFTW_ESTIMATE);
    impl->inv = fftwf_plan_dft_c2r_1d(N, impl->freq, impl->time, FFTW_ESTIMATE);
    if (!impl->fwd || !impl->inv) return Error{Code::kInternal, "stft: fftwf plan creation failed"};
  }
  const double overlap_gain = static_cast<double>(N) / (2.0 * kFrameSamples);  // 1.5
  impl->window.resize(N);
  impl->synth.resize(N);
  for (int n = 0; n < N; ++n) {
    const double w = std::sqrt(0.5 - 0.5 * std::cos(2.0 * M_PI * n / N));
    impl->window[n] = static_cast<float>(w);
    impl->synth[n] = static_cast<float>(w / (overlap_gain * N));
  }
  impl->in_buf.assign(N, 0.f);
  impl->ola.assign(N, 0.f);
  return std::unique_ptr<Stft>(new Stft(std::move(impl)));
}

void Stft::analyze(std::span<const float> hop, std::span<float> re, std::span<float> im) {
  Impl& s = *impl_;
  constexpr int N = kStftWindow, R = kFrameSamples;
  std::copy(s.in_buf.begin() + R, s.in_buf.end(), s.in_buf.begin());
  std::copy(hop.begin(), hop.begin() + R, s.in_buf.begin() + (N - R));
  for (int n = 0; n < N; ++n) s.time[n] = s.in_buf[n] * s.window[n];
  fftwf_execute(s.fwd);
  for (int k = 0; k < kStftBins; ++k) {
    re[k] = s.freq[k][0];
    im[k] = s.freq[k][1];
  }
}

void Stft::synthesize(std::span<const float> re, std::span<const float> im, std::span<float> hop) {
  Impl& s = *impl_;
  constexpr int N = kStftWindow, R = kFrameSamples;
  for (int k = 0; k < kStftBins; ++k) {
    s.freq[k][0] = re[k];
    s.freq[k][1] = im[k];
  }
  fftwf_execute(s.inv);
  for (int n = 0; n < N; ++n) s.ola[n] += s.time[n] * s.synth[n];
  std::copy(s.ola.begin(), s.ola.begin() + R, hop.begin());
  std::copy(s.ola.begin() + R, s.ola.end(), s.ola.begin());
  std::fill(s.ola.end() - R, s.ola.end(), 0.f);
}

void Stft::reset() {
  std::fill(impl_->in_buf.begin(), impl_->in_buf.end(), 0.f);
  std::fill(impl_->ola.begin(), impl_->ola.end(), 0.f);
}

}  // namespace hearth
