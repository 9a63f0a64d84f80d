// Helpers shared by the audio unit tests: tones, levels, SI-SDR, mixing.
#pragma once

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace hearth::audio_test {

inline std::vector<float> tone(double freq_hz, double rate_hz, size_t n, double amp = 0.5, int n_channels = 1) {
  std::vector<float> x(n * static_cast<size_t>(n_channels));
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < n_channels; ++c)
      x[i * n_channels + c] = static_cast<float>(amp * std::sin(2.0 * M_PI * freq_hz * i / rate_hz));
  return x;
}

inline double rms(std::span<const float> x) {
  double e = 0;
  for (float v : x) e += static_cast<double>(v) * v;
  return x.empty() ? 0.0 : std::sqrt(e / x.size());
}

inline double db(double ratio) { return 20.0 * std::log10(std::max(ratio, 1e-30)); }

// Amplitude of the component at freq_hz (least-squares fit of sin and cos).
inline double tone_amplitude(std::span<const float> x, double freq_hz, double rate_hz) {
  double s = 0, c = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double ph = 2.0 * M_PI * freq_hz * i / rate_hz;
    s += x[i] * std::sin(ph);
    c += x[i] * std::cos(ph);
  }
  return 2.0 * std::hypot(s, c) / static_cast<double>(x.size());
}

// Scale-invariant SDR (Le Roux et al. 2019), dB.
inline double si_sdr(std::span<const float> est, std::span<const float> ref) {
  const size_t n = std::min(est.size(), ref.size());
  double dot = 0, rr = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += static_cast<double>(est[i]) * ref[i];
    rr += static_cast<double>(ref[i]) * ref[i];
  }
  const double a = dot / rr;
  double t = 0, e = 0;
  for (size_t i = 0; i < n; ++i) {
    const double target = a * ref[i];
    t += target * target;
    e += (est[i] - target) * (est[i] - target);
  }
  return 10.0 * std::log10(t / e);
}

// clean + noise scaled to the given SNR (noise looped/cut to clean's length).
inline std::vector<float> mix_at_snr(std::span<const float> clean, std::span<const float> noise, double snr_db,
                                     size_t noise_offset = 0) {
  std::vector<float> n(clean.size());
  for (size_t i = 0; i < n.size(); ++i) n[i] = noise[(noise_offset + i) % noise.size()];
  const double g = rms(clean) / (rms(n) * std::pow(10.0, snr_db / 20.0));
  std::vector<float> y(clean.size());
  for (size_t i = 0; i < y.size(); ++i) y[i] = clean[i] + static_cast<float>(g * n[i]);
  return y;
}

inline std::string shared_data(const std::string& rel) { return std::string(HEARTH_SHARED_DATA_DIR) + "/" + rel; }
inline bool have_shared_data() { return std::filesystem::is_directory(HEARTH_SHARED_DATA_DIR "/noise"); }
inline std::string test_asset(const std::string& name) { return std::string(HEARTH_ASSETS_DIR) + "/test/" + name; }

inline std::string temp_dir(const std::string& tag) {
  std::string tmpl = (std::filesystem::temp_directory_path() / ("hearth-" + tag + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const char* d = mkdtemp(buf.data());
  return d ? std::string(d) : std::string();
}

}  // namespace hearth::audio_test
