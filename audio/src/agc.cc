// Agc: VAD-gated gain normalization toward a target speech level (audio.h).
#include <algorithm>
#include <cmath>

#include "hearth/audio/audio.h"

namespace hearth {
namespace {

constexpr float kFrameS = static_cast<float>(kFrameSamples) / kSampleRateHz;
constexpr float kRisePerFrame = kAgcRiseDbPerS * kFrameS;  // 0.1 dB
constexpr float kFallPerFrame = kAgcFallDbPerS * kFrameS;  // 1 dB
// Speech level: mean square of speech frames smoothed over ~0.3 s of speech,
// long enough to ride over syllables, short enough to follow a new talker.
constexpr double kLevelAlpha = 1.0 / 30.0;
constexpr double kMinPower = 1e-12;  // -120 dBFS

float to_db(double power) { return static_cast<float>(10.0 * std::log10(std::max(power, kMinPower))); }
float from_db(float db) { return std::pow(10.f, db / 20.f); }

}  // namespace

Agc::Agc(const AgcConfig& cfg) : cfg_(cfg) {}

void Agc::reset() {
  gain_db_ = 0.f;
  speech_power_ = 0;
}

float Agc::speech_level_dbfs() const { return speech_power_ > 0 ? to_db(speech_power_) : -120.f; }

void Agc::process(std::span<const float> in, bool speech, std::span<float> out) {
  const size_t n = std::min(in.size(), out.size());
  if (!cfg_.enabled) {
    if (out.data() != in.data()) std::copy_n(in.begin(), n, out.begin());
    return;
  }
  double power = 0;
  float peak = 0.f;
  for (size_t i = 0; i < n; ++i) {
    power += static_cast<double>(in[i]) * in[i];
    peak = std::max(peak, std::fabs(in[i]));
  }
  power /= static_cast<double>(std::max<size_t>(n, 1));

  const float prev_db = gain_db_;
  float next_db = prev_db;
  if (speech && power > kMinPower) {
    speech_power_ = speech_power_ > 0 ? speech_power_ + kLevelAlpha * (power - speech_power_) : power;
    const float want = std::clamp(cfg_.target_dbfs - to_db(speech_power_), -cfg_.max_gain_db, cfg_.max_gain_db);
    if (want > next_db) next_db = std::min(want, next_db + kRisePerFrame);
    else next_db = std::max(want, next_db - kFallPerFrame);
  }
  // Outside speech the gain is held (never raised); the limiter below may
  // still lower it.
  bool limited = false;
  if (peak > 0.f && peak * from_db(std::max(prev_db, next_db)) > kAgcPeakLimit) {
    next_db = std::min(next_db, 20.f * std::log10(kAgcPeakLimit / peak));
    limited = true;
  }
  gain_db_ = next_db;
  const float g1 = from_db(next_db);
  if (limited || next_db == prev_db) {
    for (size_t i = 0; i < n; ++i) out[i] = in[i] * g1;  // limiter: the lower gain for the whole frame
    return;
  }
  const float g0 = from_db(prev_db);
  const float step = (g1 - g0) / static_cast<float>(n);
  for (size_t i = 0; i < n; ++i) out[i] = in[i] * (g0 + step * static_cast<float>(i + 1));
}

}  // namespace hearth
