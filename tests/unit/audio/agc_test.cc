// Agc: exact bypass, slow rise / fast fall toward the target, VAD gating (no
// gain increase outside speech), the gain limits, the peak limiter, config.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <thread>

#include "audio_test_util.h"
#include "hearth/audio/audio.h"

namespace hearth {
namespace {

using namespace audio_test;

constexpr float kFrameS = static_cast<float>(kFrameSamples) / kSampleRateHz;

// A 300 Hz tone at `dbfs` RMS, frame `k` of a continuous signal.
std::vector<float> tone_frame(float dbfs, int64_t k) {
  std::vector<float> x(kFrameSamples);
  const double amp = std::sqrt(2.0) * std::pow(10.0, dbfs / 20.0);
  for (int i = 0; i < kFrameSamples; ++i)
    x[i] = static_cast<float>(amp * std::sin(2 * M_PI * 300.0 * (k * kFrameSamples + i) / kSampleRateHz));
  return x;
}

// Runs `frames` frames at `dbfs` through the AGC; returns the last frame's output.
std::vector<float> run(Agc& agc, float dbfs, int frames, bool speech, int64_t* k, float* max_abs = nullptr) {
  std::vector<float> out(kFrameSamples);
  for (int f = 0; f < frames; ++f) {
    agc.process(tone_frame(dbfs, (*k)++), speech, out);
    if (max_abs)
      for (float v : out) *max_abs = std::max(*max_abs, std::fabs(v));
  }
  return out;
}

AgcConfig on(float target = -23.f, float max_gain = 24.f) {
  AgcConfig c;
  c.enabled = true;
  c.target_dbfs = target;
  c.max_gain_db = max_gain;
  return c;
}

TEST(Agc, DisabledIsBitExact) {
  Agc agc(AgcConfig{});
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 0.3f);
  std::vector<float> in(kFrameSamples), out(kFrameSamples);
  for (int f = 0; f < 300; ++f) {
    for (float& v : in) v = nd(rng);
    agc.process(in, f % 3 != 0, out);
    ASSERT_EQ(0, std::memcmp(in.data(), out.data(), sizeof(float) * kFrameSamples)) << "frame " << f;
  }
  EXPECT_EQ(agc.gain_db(), 0.f);
}

TEST(Agc, QuietSpeechRisesSlowlyToTheTarget) {
  Agc agc(on(-23.f));
  int64_t k = 0;
  run(agc, -41.f, 10, true, &k);  // 100 ms
  EXPECT_LE(agc.gain_db(), kAgcRiseDbPerS * 10 * kFrameS + 1e-3f);  // ≤ 1 dB after 0.1 s: slow
  EXPECT_GT(agc.gain_db(), 0.5f);
  const std::vector<float> out = run(agc, -41.f, 300, true, &k);  // 3 s more
  EXPECT_NEAR(agc.gain_db(), 18.f, 0.05f);
  EXPECT_NEAR(db(rms(out)), -23.0, 0.1);
  EXPECT_NEAR(agc.speech_level_dbfs(), -41.f, 0.05f);
}

TEST(Agc, LoudSpeechFallsFastAndNeverClips) {
  Agc agc(on(-23.f));
  int64_t k = 0;
  run(agc, -43.f, 400, true, &k);
  ASSERT_NEAR(agc.gain_db(), 20.f, 0.05f);
  // A much louder talker: at +20 dB gain the -8 dBFS tone would clip.
  float max_abs = 0.f;
  run(agc, -8.f, 30, true, &k, &max_abs);  // 0.3 s
  EXPECT_LE(max_abs, kAgcPeakLimit + 1e-4f);  // the limiter held the peaks from the first frame
  EXPECT_LT(agc.gain_db(), -8.f);             // 28 dB down within 0.3 s
  run(agc, -8.f, 100, true, &k);
  EXPECT_NEAR(agc.gain_db(), -15.f, 0.5f);
}

TEST(Agc, NoiseBetweenUtterancesIsNeverPumpedUp) {
  Agc agc(on(-23.f));
  int64_t k = 0;
  // Only non-speech frames (a quiet hum) for 10 s: the gain never moves.
  std::vector<float> in, out(kFrameSamples);
  for (int f = 0; f < 1000; ++f) {
    in = tone_frame(-60.f, k++);
    agc.process(in, false, out);
    ASSERT_EQ(agc.gain_db(), 0.f);
    ASSERT_EQ(0, std::memcmp(in.data(), out.data(), sizeof(float) * kFrameSamples));  // gain 1: exact
  }
  // Speech raises it; the pause after it holds it (no further rise).
  run(agc, -33.f, 50, true, &k);
  const float g = agc.gain_db();
  EXPECT_GT(g, 4.f);
  run(agc, -60.f, 500, false, &k);
  EXPECT_EQ(agc.gain_db(), g);
}

TEST(Agc, GainIsBoundedByMaxGain) {
  Agc agc(on(-23.f, 12.f));
  int64_t k = 0;
  run(agc, -70.f, 500, true, &k);
  EXPECT_FLOAT_EQ(agc.gain_db(), 12.f);
  agc.reset();
  EXPECT_EQ(agc.gain_db(), 0.f);
  run(agc, -3.f, 200, true, &k);
  EXPECT_GE(agc.gain_db(), -12.f - 1e-4f);
}

TEST(Agc, SilenceDoesNotDisturbIt) {
  Agc agc(on());
  std::vector<float> zero(kFrameSamples, 0.f), out(kFrameSamples, 1.f);
  for (int f = 0; f < 100; ++f) agc.process(zero, true, out);
  EXPECT_EQ(agc.gain_db(), 0.f);
  for (float v : out) EXPECT_EQ(v, 0.f);
}

TEST(AgcConfig, ParseAndValidate) {
  AudioConfig cfg;
  ConfigErrors errors;
  parse_audio_config(R"({"source": "none", "agc": {"enabled": true, "target_dbfs": -20, "max_gain_db": 30}})", "",
                     &cfg, errors);
  ASSERT_TRUE(errors.empty()) << errors.to_string();
  EXPECT_TRUE(cfg.agc.enabled);
  EXPECT_EQ(cfg.agc.target_dbfs, -20.f);
  EXPECT_EQ(cfg.agc.max_gain_db, 30.f);
  cfg.validate(errors);
  EXPECT_TRUE(errors.empty()) << errors.to_string();

  AudioConfig bad;
  parse_audio_config(R"({"agc": {"enabled": "yes", "gain": 3}})", "", &bad, errors);
  EXPECT_EQ(errors.size(), 2u) << errors.to_string();
  EXPECT_NE(errors.to_string().find("$.audio.agc.gain"), std::string::npos) << errors.to_string();
  ConfigErrors range;
  bad.agc.target_dbfs = 0.f;
  bad.agc.max_gain_db = 60.f;
  bad.agc.validate(range);
  EXPECT_EQ(range.size(), 2u) << range.to_string();
}

// In the pipeline: frame.agc is clean when AGC is off (bit-exact), and the
// gain shows in the frame and the metrics when it is on.
TEST(Agc, PipelineOffersTheAgcView) {
  for (bool enabled : {false, true}) {
    AudioConfig cfg;
    cfg.source = "none";
    cfg.agc.enabled = enabled;
    std::vector<float> signal;
    for (int64_t k = 0; k < 300; ++k) {
      auto f = tone_frame(k < 100 ? -80.f : -45.f, k);
      signal.insert(signal.end(), f.begin(), f.end());
    }
    size_t frames = 0, differing = 0;
    float last_gain = 0.f;
    auto pipeline = AudioPipeline::create(
        cfg,
        [&](const AudioFrame& f) {
          ++frames;
          ASSERT_EQ(f.agc.size(), f.clean.size());
          if (std::memcmp(f.agc.data(), f.clean.data(), f.clean.size() * sizeof(float)) != 0) ++differing;
          last_gain = f.agc_gain_db;
        },
        make_memory_source(signal));
    ASSERT_TRUE(pipeline) << pipeline.error().message;
    ASSERT_TRUE((*pipeline)->start());
    for (int i = 0; i < 500 && !(*pipeline)->finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    (*pipeline)->stop();
    EXPECT_EQ(frames, 300u);
    const AudioMetrics m = (*pipeline)->metrics();
    EXPECT_EQ(m.agc_enabled, enabled);
    if (!enabled) {
      EXPECT_EQ(differing, 0u);
      EXPECT_EQ(last_gain, 0.f);
    } else {
      EXPECT_GT(differing, 0u);
      EXPECT_GT(last_gain, 1.f);  // the -45 dBFS tone is speech to the VAD: gain rose toward -23
      EXPECT_EQ(m.agc_gain_db, last_gain);
    }
  }
}

}  // namespace
}  // namespace hearth
