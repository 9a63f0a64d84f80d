// Polyphase rational resampler (see Resampler in audio.h).
//
// Rates in/out reduce to L/M (upsample by L, low-pass, keep every M-th).
// The low-pass prototype h[j] (N = K·L taps at rate in·L) is a Kaiser-windowed
// sinc; output n uses phase p = n·M mod L and input index i = floor(n·M / L):
//   y[n] = Σ_k L·h[p + k·L] · x[i − k],   k = 0 .. K−1
// Each phase's K coefficients are stored reversed so the inner loop is a
// forward dot product over x[i−K+1 .. i].
#include <algorithm>
#include <cmath>
#include <numeric>

#include "hearth/audio/audio.h"

namespace hearth {
namespace {

constexpr double kStopbandDb = 90.0;     // Kaiser design attenuation
constexpr double kPassFraction = 0.90;   // passband edge / Nyquist of the lower rate
constexpr int kMaxTapsTotal = 1 << 22;   // guards absurd ratios (prime rates near 384 kHz)

// Zeroth-order modified Bessel function of the first kind (series).
double bessel_i0(double x) {
  double sum = 1.0, term = 1.0;
  const double q = x * x / 4.0;
  for (int k = 1; k < 64; ++k) {
    term *= q / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

}  // namespace

struct Resampler::Impl {
  int in_rate = 0, out_rate = 0, n_channels = 1, channel = -1;
  int up = 1, down = 1;          // L, M
  int taps_per_phase = 0;        // K
  bool passthrough = false;      // equal rates: no filter
  std::vector<float> coeffs;     // [L][K], reversed per phase
  std::vector<float> x;          // mono input history; x[0] is absolute index base
  int64_t base = 0;              // absolute input index of x[0]
  int64_t next_i = 0;            // input index of the next output
  int next_p = 0;                // phase of the next output
  double delay = 0;

  void reset() {
    x.assign(passthrough ? 0 : static_cast<size_t>(taps_per_phase - 1), 0.f);
    base = -(static_cast<int64_t>(x.size()));
    next_i = 0;
    next_p = 0;
  }
};

Resampler::Resampler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resampler::~Resampler() = default;

Result<std::unique_ptr<Resampler>> Resampler::create(int in_rate_hz, int out_rate_hz, int n_channels,
                                                     int channel) {
  if (in_rate_hz < 1000 || in_rate_hz > 384000 || out_rate_hz < 1000 || out_rate_hz > 384000)
    return Error{Code::kBadInput, "resampler: rates must be in 1000..384000 Hz, got " +
                                      std::to_string(in_rate_hz) + " -> " + std::to_string(out_rate_hz)};
  if (n_channels < 1 || n_channels > 64)
    return Error{Code::kBadInput, "resampler: n_channels must be 1..64, got " + std::to_string(n_channels)};
  if (channel < -1 || channel >= n_channels)
    return Error{Code::kBadInput, "resampler: channel " + std::to_string(channel) + " out of range for " +
                                      std::to_string(n_channels) + " channels (-1 = mix)"};
  auto impl = std::make_unique<Impl>();
  impl->in_rate = in_rate_hz;
  impl->out_rate = out_rate_hz;
  impl->n_channels = n_channels;
  impl->channel = channel;
  const int g = std::gcd(in_rate_hz, out_rate_hz);
  impl->up = out_rate_hz / g;
  impl->down = in_rate_hz / g;
  impl->passthrough = in_rate_hz == out_rate_hz;
  if (!impl->passthrough) {
    const int L = impl->up;
    const double fs_up = static_cast<double>(in_rate_hz) * L;
    const double nyq = 0.5 * std::min(in_rate_hz, out_rate_hz);
    const double f_pass = kPassFraction * nyq, f_stop = nyq;
    const double f_cut = 0.5 * (f_pass + f_stop);
    const double d_omega = 2.0 * M_PI * (f_stop - f_pass) / fs_up;
    // Kaiser's formulas: length for the attenuation/transition, and beta.
    const double n_est = (kStopbandDb - 8.0) / (2.285 * d_omega) + 1.0;
    const int K = static_cast<int>(std::ceil(n_est / L));
    const int64_t N = static_cast<int64_t>(K) * L;
    if (N > kMaxTapsTotal)
      return Error{Code::kUnsupported, "resampler: " + std::to_string(in_rate_hz) + " -> " +
                                           std::to_string(out_rate_hz) + " Hz needs " + std::to_string(N) +
                                           " taps; choose a rate with a smaller ratio"};
    const double beta = 0.1102 * (kStopbandDb - 8.7);
    const double i0_beta = bessel_i0(beta);
    const double center = 0.5 * static_cast<double>(N - 1);
    const double fc = f_cut / fs_up;  // cycles per upsampled sample
    impl->taps_per_phase = K;
    impl->coeffs.assign(static_cast<size_t>(N), 0.f);
    for (int64_t j = 0; j < N; ++j) {
      const double t = static_cast<double>(j) - center;
      const double sinc = t == 0.0 ? 2.0 * fc : std::sin(2.0 * M_PI * fc * t) / (M_PI * t);
      const double r = t / center;
      const double w = bessel_i0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0_beta;
      const double h = sinc * w * L;  // ×L restores the amplitude lost to zero stuffing
      const int p = static_cast<int>(j % L);
      const int k = static_cast<int>(j / L);
      impl->coeffs[static_cast<size_t>(p) * K + (K - 1 - k)] = static_cast<float>(h);
    }
    impl->delay = center / impl->down;
  }
  impl->reset();
  return std::unique_ptr<Resampler>(new Resampler(std::move(impl)));
}

void Resampler::process(std::span<const float> interleaved, std::vector<float>& out) {
  Impl& s = *impl_;
  const size_t nc = static_cast<size_t>(s.n_channels);
  const size_t n_frames = interleaved.size() / nc;  // defensive: a partial frame is ignored
  auto mono_at = [&](size_t f) {
    if (s.channel >= 0) return interleaved[f * nc + static_cast<size_t>(s.channel)];
    float acc = 0.f;
    for (size_t c = 0; c < nc; ++c) acc += interleaved[f * nc + c];
    return acc / static_cast<float>(nc);
  };
  if (s.passthrough) {
    for (size_t f = 0; f < n_frames; ++f) out.push_back(nc == 1 ? interleaved[f] : mono_at(f));
    return;
  }
  for (size_t f = 0; f < n_frames; ++f) s.x.push_back(mono_at(f));
  const int K = s.taps_per_phase;
  const int64_t end = s.base + static_cast<int64_t>(s.x.size());  // one past the last input index
  while (s.next_i < end) {
    const float* c = &s.coeffs[static_cast<size_t>(s.next_p) * K];
    const float* xv = &s.x[static_cast<size_t>(s.next_i - s.base - (K - 1))];
    float acc = 0.f;
    for (int k = 0; k < K; ++k) acc += c[k] * xv[k];
    out.push_back(acc);
    s.next_p += s.down;
    s.next_i += s.next_p / s.up;
    s.next_p %= s.up;
  }
  // Drop history no output will need again: keep x[next_i − K + 1 ..].
  const int64_t keep_from = std::min(s.next_i - (K - 1), end);
  const int64_t drop = keep_from - s.base;
  if (drop > 0) {
    s.x.erase(s.x.begin(), s.x.begin() + static_cast<std::ptrdiff_t>(drop));
    s.base = keep_from;
  }
}

double Resampler::delay_samples() const { return impl_->delay; }
void Resampler::reset() { impl_->reset(); }

}  // namespace hearth
