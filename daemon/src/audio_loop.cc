#include "audio_loop.h"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace hearth {

namespace {
constexpr int64_t kFrameMs = 1000 * kFrameSamples / kSampleRateHz;  // 10
constexpr int64_t kLatencyFrames = kStftLatency / kFrameSamples;   // 2
static_assert(kStftLatency % kFrameSamples == 0, "front-end latency must be whole frames");
}  // namespace

int64_t frame_start_ms(int64_t index) { return std::max<int64_t>(0, index - kLatencyFrames) * kFrameMs; }

AudioLoop::AudioLoop(boost::asio::any_io_executor loop, SegmentHandler on_segment)
    : loop_(std::move(loop)), on_segment_(std::move(on_segment)) {}

void AudioLoop::add_consumer(AudioFrameConsumer* consumer) { consumers_.push_back(consumer); }

FrameSink AudioLoop::sink() {
  return [this](const AudioFrame& frame) { on_frame(frame); };
}

void AudioLoop::on_frame(const AudioFrame& frame) noexcept {
  for (AudioFrameConsumer* c : consumers_) c->on_frame(frame);
  const int64_t start_ms = frame_start_ms(frame.index);
  last_end_ms_ = start_ms + kFrameMs;
  if (frame.info.speech) {
    if (!in_speech_) {
      in_speech_ = true;
      open_ = SpeechSegment{};
      open_.start_ms = start_ms;
      open_.noise_dbfs = frame.info.noise_dbfs;
      for (AudioFrameConsumer* c : consumers_) c->on_speech_start(start_ms);
    }
    open_.peak_level_dbfs = std::max(open_.peak_level_dbfs, frame.info.level_dbfs);
  } else if (in_speech_) {
    end_segment(start_ms, /*cut_short=*/false);
  }
}

void AudioLoop::flush() noexcept {
  if (in_speech_) end_segment(last_end_ms_, /*cut_short=*/true);
}

void AudioLoop::end_segment(int64_t end_ms, bool cut_short) noexcept {
  in_speech_ = false;
  open_.end_ms = end_ms;
  open_.cut_short = cut_short;
  for (AudioFrameConsumer* c : consumers_) c->on_speech_end(open_);
  // Once per utterance, not per frame: the allocation of the post is fine on
  // the DSP thread (it is not the PortAudio callback).
  boost::asio::post(loop_, [handler = on_segment_, segment = open_] { handler(segment); });
}

}  // namespace hearth
