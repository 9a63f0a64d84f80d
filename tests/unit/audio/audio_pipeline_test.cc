// AudioPipeline: frames flow from a source to the sink with metrics; config.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "audio_test_util.h"
#include "hearth/audio/audio.h"

namespace hearth {
namespace {

using namespace audio_test;

TEST(AudioPipeline, DeliversEveryFrameWithAlignedRawAndMetrics) {
  const auto x = tone(300, kSampleRateHz, 2 * kSampleRateHz, 0.3);
  AudioConfig cfg;
  cfg.source = "none";
  cfg.ns.enabled = false;  // clean == raw exactly
  std::vector<float> raw_seen;
  std::atomic<int64_t> frames{0};
  bool aligned = true;
  auto p = AudioPipeline::create(
      cfg,
      [&](const AudioFrame& f) {
        aligned = aligned && f.index == frames.load() && f.clean.size() == static_cast<size_t>(kFrameSamples) &&
                  std::equal(f.clean.begin(), f.clean.end(), f.raw.begin());
        raw_seen.insert(raw_seen.end(), f.raw.begin(), f.raw.end());
        ++frames;
      },
      make_memory_source(x));
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE((*p)->start());
  for (int i = 0; i < 2000 && !(*p)->finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  (*p)->stop();
  EXPECT_TRUE((*p)->finished());
  EXPECT_EQ(frames.load(), 200);
  EXPECT_TRUE(aligned);
  for (size_t i = kStftLatency; i < raw_seen.size(); ++i) ASSERT_EQ(raw_seen[i], x[i - kStftLatency]);
  const AudioMetrics m = (*p)->metrics();
  EXPECT_EQ(m.frames, 200u);
  EXPECT_DOUBLE_EQ(m.audio_seconds, 2.0);
  EXPECT_GT(m.cpu_ms_per_audio_s, 0.0);
  EXPECT_EQ(m.source.state, SourceState::kEnded);
}

TEST(AudioPipeline, FileSourceFromConfig) {
  AudioConfig cfg;
  cfg.source = "file";
  cfg.file = test_asset("speech_16k.wav");
  cfg.file_realtime = false;
  std::atomic<int> n{0}, speech{0};
  auto p = AudioPipeline::create(cfg, [&](const AudioFrame& f) {
    ++n;
    speech += f.info.speech;
  });
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE((*p)->start());
  for (int i = 0; i < 5000 && !(*p)->finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  (*p)->stop();
  auto clip = read_audio_file(cfg.file);
  ASSERT_TRUE(clip);
  EXPECT_EQ(n.load(), static_cast<int>((clip->size() + kFrameSamples - 1) / kFrameSamples));
  EXPECT_GT(speech.load(), 100);
  EXPECT_EQ((*p)->metrics().source.device, cfg.file);
}

TEST(AudioConfig, ParsesValidatesAndReportsEveryError) {
  AudioConfig cfg;
  ConfigErrors errors;
  parse_audio_config(R"({"source": "file", "file": "test/speech_16k.wav", "file_loop": true,
                         "ns": {"enabled": false, "strength": 0.3},
                         "vad": {"threshold": 1.5, "hangover_ms": 300},
                         "capture": {"device": "USB", "channel": 1}})",
                     HEARTH_ASSETS_DIR, &cfg, errors);
  EXPECT_TRUE(errors.empty()) << errors.to_string();
  EXPECT_EQ(cfg.source, "file");
  EXPECT_EQ(cfg.file, test_asset("speech_16k.wav"));
  EXPECT_TRUE(cfg.file_loop);
  EXPECT_FALSE(cfg.ns.enabled);
  EXPECT_FLOAT_EQ(cfg.ns.strength, 0.3f);
  EXPECT_FLOAT_EQ(cfg.vad.threshold, 1.5f);
  EXPECT_EQ(cfg.capture.device, "USB");
  cfg.validate(errors);
  EXPECT_TRUE(errors.empty()) << errors.to_string();
  EXPECT_NE(cfg.to_string().find("source=file"), std::string::npos);

  AudioConfig bad;
  ConfigErrors e2;
  parse_audio_config(R"({"source": "mic", "ns": {"strength": "high"}, "bogus": 1, "vad": []})", "", &bad, e2);
  bad.validate(e2);
  const std::string all = e2.to_string();
  EXPECT_NE(all.find("$.audio.ns.strength"), std::string::npos) << all;
  EXPECT_NE(all.find("$.audio.bogus"), std::string::npos) << all;
  EXPECT_NE(all.find("$.audio.vad"), std::string::npos) << all;
  EXPECT_NE(all.find("$.audio.source"), std::string::npos) << all;
}

}  // namespace
}  // namespace hearth
