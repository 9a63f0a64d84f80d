// AudioLoop: speech segments from VAD flags (latency-corrected times, posted
// to the event loop), consumers fed in order, flush of a segment cut short.
#include "audio_loop.h"

#include <gtest/gtest.h>

#include <vector>

#include <boost/asio/io_context.hpp>

namespace hearth {
namespace {

constexpr int64_t kLatencyMs = 1000 * kStftLatency / kSampleRateHz;  // 20 ms

class RecordingConsumer final : public AudioFrameConsumer {
 public:
  void on_frame(const AudioFrame& frame) noexcept override { indices.push_back(frame.index); }
  void on_speech_start(int64_t start_ms) noexcept override { starts.push_back(start_ms); }
  void on_speech_end(const SpeechSegment& s) noexcept override { ends.push_back(s.end_ms); }
  std::vector<int64_t> indices, starts, ends;
};

// Feeds one frame per character of `pattern`: 's' speech, '.' silence.
void feed(AudioLoop& loop, const std::string& pattern, int64_t first_index = 0) {
  std::vector<float> samples(kFrameSamples, 0.f);
  for (size_t i = 0; i < pattern.size(); ++i) {
    AudioFrame f;
    f.index = first_index + static_cast<int64_t>(i);
    f.clean = samples;
    f.raw = samples;
    f.info.speech = pattern[i] == 's';
    f.info.level_dbfs = f.info.speech ? -20.f - static_cast<float>(i % 3) : -60.f;
    f.info.noise_dbfs = -55.f;
    loop.on_frame(f);
  }
}

TEST(AudioLoop, PostsOneSegmentPerSpeechRunWithInputTimes) {
  boost::asio::io_context ioc;
  std::vector<SpeechSegment> got;
  AudioLoop loop(ioc.get_executor(), [&](const SpeechSegment& s) { got.push_back(s); });
  RecordingConsumer consumer;
  loop.add_consumer(&consumer);
  feed(loop, "....sssss...ss..");
  EXPECT_TRUE(got.empty()) << "segments must arrive through the event loop";
  ioc.run();
  ASSERT_EQ(got.size(), 2u);
  // Output frame 4 carries input from 40 - 20 ms.
  EXPECT_EQ(got[0].start_ms, 40 - kLatencyMs);
  EXPECT_EQ(got[0].end_ms, 90 - kLatencyMs);
  EXPECT_EQ(got[0].duration_ms(), 50);
  EXPECT_FLOAT_EQ(got[0].peak_level_dbfs, -20.f);
  EXPECT_FLOAT_EQ(got[0].noise_dbfs, -55.f);
  EXPECT_FALSE(got[0].cut_short);
  EXPECT_EQ(got[1].start_ms, 120 - kLatencyMs);
  EXPECT_EQ(got[1].end_ms, 140 - kLatencyMs);
  ASSERT_EQ(consumer.indices.size(), 16u);
  for (size_t i = 0; i < consumer.indices.size(); ++i) EXPECT_EQ(consumer.indices[i], static_cast<int64_t>(i));
  EXPECT_EQ(consumer.starts, (std::vector<int64_t>{40 - kLatencyMs, 120 - kLatencyMs}));
  EXPECT_EQ(consumer.ends, (std::vector<int64_t>{90 - kLatencyMs, 140 - kLatencyMs}));
}

TEST(AudioLoop, FlushClosesASegmentCutShort) {
  boost::asio::io_context ioc;
  std::vector<SpeechSegment> got;
  AudioLoop loop(ioc.get_executor(), [&](const SpeechSegment& s) { got.push_back(s); });
  feed(loop, ".sss.sss");
  loop.flush();
  loop.flush();  // nothing open any more
  ioc.run();
  ASSERT_EQ(got.size(), 2u);
  // Speech from output frame 1 (input time -10 ms): clamped at 0.
  EXPECT_EQ(got[0].start_ms, 0);
  EXPECT_EQ(got[0].end_ms, 40 - kLatencyMs);
  EXPECT_FALSE(got[0].cut_short);
  EXPECT_TRUE(got[1].cut_short);
  EXPECT_EQ(got[1].start_ms, 50 - kLatencyMs);
  EXPECT_EQ(got[1].end_ms, 80 - kLatencyMs);
}

TEST(AudioLoop, FrameStartMsCorrectsForTheFrontEndLatency) {
  EXPECT_EQ(frame_start_ms(0), 0);
  EXPECT_EQ(frame_start_ms(2), 0);
  EXPECT_EQ(frame_start_ms(3), 10);
  EXPECT_EQ(frame_start_ms(100), 1000 - kLatencyMs);
}

}  // namespace
}  // namespace hearth
