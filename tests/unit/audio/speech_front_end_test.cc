// SpeechFrontEnd: bypass exactness, SI-SDR gain on real noise, VAD regions.
#include <gtest/gtest.h>

#include <random>

#include "audio_test_util.h"
#include "hearth/audio/audio.h"

namespace hearth {
namespace {

using namespace audio_test;

// Margins measured on this fixture (speech_16k.wav + real noise at 5 dB SNR,
// noise from 1 s into the file) and set below what the suppressor achieves
// (running tap 5.01 -> 11.49 dB, pink 5.00 -> 7.73 dB when written), so a
// regression in the noise tracker or the gain rule fails here.
constexpr double kMinSiSdrGainTapDb = 5.0;
constexpr double kMinSiSdrGainPinkDb = 2.0;
constexpr double kMinVadRecall = 0.93;          // speech frames flagged (measured 0.95..0.99)
constexpr double kMaxVadFalseAlarm = 0.05;      // noise-only frames flagged (measured 0.00)

std::vector<float> load_clean() {
  auto x = read_audio_file(test_asset("speech_16k.wav"));
  EXPECT_TRUE(x) << x.error().message;
  return x ? *x : std::vector<float>{};
}

TEST(SpeechFrontEnd, DisabledNsIsExactDelayedPassThrough) {
  NsConfig ns;
  ns.enabled = false;
  auto fe = SpeechFrontEnd::create(ns, VadConfig{});
  ASSERT_TRUE(fe);
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 0.1f);
  std::vector<float> x(200 * kFrameSamples), y(x.size());
  for (float& v : x) v = g(rng);
  for (size_t f = 0; f < x.size() / kFrameSamples; ++f)
    (*fe)->process(std::span<const float>(x).subspan(f * kFrameSamples, kFrameSamples),
                   std::span<float>(y).subspan(f * kFrameSamples, kFrameSamples));
  for (size_t i = 0; i < y.size(); ++i) {
    const float want = i < static_cast<size_t>(kStftLatency) ? 0.f : x[i - kStftLatency];
    ASSERT_EQ(y[i], want) << "sample " << i;  // bit-identical
  }
}

TEST(SpeechFrontEnd, RuntimeBypassIsExactAndRawMatchesDelayedInput) {
  auto fe = SpeechFrontEnd::create(NsConfig{}, VadConfig{});
  ASSERT_TRUE(fe);
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0.f, 0.1f);
  std::vector<float> x(300 * kFrameSamples), y(kFrameSamples);
  for (float& v : x) v = g(rng);
  for (size_t f = 0; f < 300; ++f) {
    if (f == 100) (*fe)->set_ns_enabled(false);
    if (f == 200) (*fe)->set_ns_enabled(true);
    (*fe)->process(std::span<const float>(x).subspan(f * kFrameSamples, kFrameSamples), y);
    auto raw = (*fe)->delayed_input();
    for (size_t i = 0; i < static_cast<size_t>(kFrameSamples); ++i) {
      const size_t j = f * kFrameSamples + i;
      const float want = j < static_cast<size_t>(kStftLatency) ? 0.f : x[j - kStftLatency];
      ASSERT_EQ(raw[i], want);
      if (f >= 100 && f < 200) {
        ASSERT_EQ(y[i], want) << "frame " << f;
      }
    }
  }
}

TEST(SpeechFrontEnd, OutputIsLatencyCompensatedByDenoiseSignal) {
  NsConfig ns;
  ns.enabled = false;
  const auto x = tone(500, kSampleRateHz, 12345, 0.3);
  auto y = denoise_signal(x, ns);
  ASSERT_TRUE(y);
  ASSERT_EQ(*y, x);
}

TEST(SpeechFrontEnd, ImprovesSiSdrOnRealNoise) {
  if (!have_shared_data()) GTEST_SKIP() << "no " << HEARTH_SHARED_DATA_DIR << "/noise; NS quality test skipped";
  const auto clean = load_clean();
  ASSERT_FALSE(clean.empty());
  for (const auto& [name, min_gain_db] : {std::pair<const char*, double>{"speech_commands_running_tap.flac", kMinSiSdrGainTapDb},
                                          std::pair<const char*, double>{"speech_commands_pink_noise.flac", kMinSiSdrGainPinkDb}}) {
    auto noise = read_audio_file(shared_data(std::string("noise/") + name));
    ASSERT_TRUE(noise) << noise.error().message;
    const auto noisy = mix_at_snr(clean, *noise, 5.0, 16000);
    auto out = denoise_signal(noisy, NsConfig{});
    ASSERT_TRUE(out);
    const double before = si_sdr(noisy, clean), after = si_sdr(*out, clean);
    std::printf("%s: SI-SDR %.2f -> %.2f dB\n", name, before, after);
    EXPECT_GT(after - before, min_gain_db) << name << ": SI-SDR " << before << " -> " << after << " dB";
    RecordProperty(std::string("si_sdr_gain_db_") + name, std::to_string(after - before));
  }
}

TEST(SpeechFrontEnd, StrengthZeroAttenuatesLessThanDefault) {
  if (!have_shared_data()) GTEST_SKIP() << "no shared data";
  const auto clean = load_clean();
  auto noise = read_audio_file(shared_data("noise/speech_commands_white_noise.flac"));
  ASSERT_TRUE(noise);
  const auto noisy = mix_at_snr(clean, *noise, 10.0);
  NsConfig mild;
  mild.strength = 0.f;
  auto a = denoise_signal(noisy, mild), b = denoise_signal(noisy, NsConfig{});
  ASSERT_TRUE(a && b);
  EXPECT_GT(rms(*a), rms(*b));
}

// Speech truth from the clean clip: 10 ms frames within 30 dB of the loudest.
std::vector<bool> speech_truth(const std::vector<float>& clean) {
  const size_t n = clean.size() / kFrameSamples;
  std::vector<double> e(n);
  double peak = 0;
  for (size_t f = 0; f < n; ++f) {
    e[f] = rms(std::span<const float>(clean).subspan(f * kFrameSamples, kFrameSamples));
    peak = std::max(peak, e[f]);
  }
  std::vector<bool> t(n);
  for (size_t f = 0; f < n; ++f) t[f] = e[f] > peak * std::pow(10.0, -30.0 / 20.0);
  return t;
}

// Steady household noises at 10 dB SNR. Impulsive clatter (the dishes
// recording) is a known weakness of a likelihood-ratio VAD: ~9% false alarms
// there (see docs/benchmarks-audio.md); it is not asserted here.
TEST(SpeechFrontEnd, VadFindsTheSpeechRegions) {
  if (!have_shared_data()) GTEST_SKIP() << "no shared data";
  const auto clip = load_clean();
  // 2 s of noise lead-in (tracker warm-up), the clip, 1.5 s of noise after.
  std::vector<float> clean(2 * kSampleRateHz, 0.f);
  clean.insert(clean.end(), clip.begin(), clip.end());
  clean.resize(clean.size() + 3 * kSampleRateHz / 2, 0.f);
  const auto truth = speech_truth(clean);
  for (const char* name : {"speech_commands_running_tap.flac", "speech_commands_exercise_bike.flac",
                           "speech_commands_pink_noise.flac"}) {
    auto noise = read_audio_file(shared_data(std::string("noise/") + name));
    ASSERT_TRUE(noise);
    // SNR defined over the clip alone.
    const double g =
        rms(clip) / (rms(std::span<const float>(*noise).subspan(0, clip.size())) * std::pow(10.0, 10.0 / 20.0));
    std::vector<float> noisy(clean.size());
    for (size_t i = 0; i < clean.size(); ++i) noisy[i] = clean[i] + static_cast<float>(g * (*noise)[i % noise->size()]);
    std::vector<FrameInfo> frames;
    ASSERT_TRUE(denoise_signal(noisy, NsConfig{}, &frames));
    // Frames near a truth edge are ambiguous (onset, window length): skip ±30 ms.
    size_t hit = 0, n_speech = 0, fa = 0, n_noise = 0;
    for (size_t f = 3; f + 3 < truth.size(); ++f) {
      bool edge = false;
      for (size_t d = f - 3; d <= f + 3; ++d) edge = edge || truth[d] != truth[f];
      if (edge) continue;
      if (truth[f]) {
        ++n_speech;
        hit += frames[f].speech;
      } else if (f >= 100) {  // after 1 s of warm-up
        // Only noise well after speech counts as a false alarm (hangover is by design).
        bool near_speech = false;
        for (size_t d = f >= 40 ? f - 40 : 0; d < f; ++d) near_speech = near_speech || truth[d];
        if (near_speech) continue;
        ++n_noise;
        fa += frames[f].speech;
      }
    }
    ASSERT_GT(n_speech, 100u);
    ASSERT_GT(n_noise, 100u);
    EXPECT_GT(static_cast<double>(hit) / n_speech, kMinVadRecall) << name << ": " << hit << "/" << n_speech;
    EXPECT_LT(static_cast<double>(fa) / n_noise, kMaxVadFalseAlarm) << name << ": " << fa << "/" << n_noise;
  }
}

TEST(SpeechFrontEnd, NoiseLevelFollowsAStepInNoise) {
  // White noise at −50 dBFS for 2 s, then −30 dBFS: the estimate follows within 2 s.
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> x(6 * kSampleRateHz);
  for (size_t i = 0; i < x.size(); ++i) x[i] = g(rng) * (i < 2u * kSampleRateHz ? 0.00316f : 0.0316f);
  std::vector<FrameInfo> frames;
  ASSERT_TRUE(denoise_signal(x, NsConfig{}, &frames));
  EXPECT_NEAR(frames[190].noise_dbfs, -50.0, 3.0);
  EXPECT_NEAR(frames[590].noise_dbfs, -30.0, 3.0);
}

TEST(SpeechFrontEnd, ConfigValidation) {
  ConfigErrors errors;
  NsConfig ns;
  ns.strength = 1.5f;
  ns.validate(errors);
  VadConfig vad;
  vad.hangover_ms = -1;
  vad.validate(errors);
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_FALSE(SpeechFrontEnd::create(ns, vad));
}

}  // namespace
}  // namespace hearth
