// daemon/src/audio_loop.h: the daemon's end of the always-on audio loop.
// The AudioPipeline's DSP thread calls AudioLoop::on_frame() every 10 ms. It
// hands the frame to the registered consumers (wake word and ASR plug in
// here) and marks speech segments (VAD on → off); each finished segment is
// posted to the event loop as a SpeechSegment. Private to daemon/; owned by
// the App in app.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "hearth/audio/audio.h"

namespace hearth {

// One stretch of speech as the VAD saw it (hangover included). Times are
// input time since the pipeline started, already corrected for the front
// end's latency (kStftLatency), so they line up with the source audio.
struct SpeechSegment {
  int64_t start_ms = 0;             // first speech frame
  int64_t end_ms = 0;               // just after the last speech frame
  float peak_level_dbfs = -120.f;   // loudest input frame in the segment, dBFS
  float noise_dbfs = -120.f;        // noise estimate when the segment started, dBFS
  bool cut_short = false;           // the source ended or stopped while speech was on
  int64_t duration_ms() const { return end_ms - start_ms; }
};

// What the wake-word detector and the recognizer implement to receive audio.
// Every call runs on the pipeline's DSP thread, in frame order, and must
// return quickly: no blocking, no long locks, no per-frame logging. Heavy
// work (decoding) goes to a worker; results are posted to the event loop.
class AudioFrameConsumer {
 public:
  virtual ~AudioFrameConsumer() = default;
  // Every 10 ms frame. The spans in `frame` are valid only during the call;
  // pick frame.clean (noise suppressed) or frame.raw per consumer.
  virtual void on_frame(const AudioFrame& frame) noexcept = 0;
  // The VAD opened a segment; `start_ms` as in SpeechSegment.
  virtual void on_speech_start(int64_t start_ms) noexcept { (void)start_ms; }
  // The VAD closed the segment (an utterance ended).
  virtual void on_speech_end(const SpeechSegment& segment) noexcept { (void)segment; }
};

class AudioLoop {
 public:
  using SegmentHandler = std::function<void(const SpeechSegment&)>;

  // @param loop        the event loop's executor; `on_segment` is posted there
  // @param on_segment  runs on `loop`, once per finished segment
  AudioLoop(boost::asio::any_io_executor loop, SegmentHandler on_segment);

  // Registers a consumer (not owned; it must outlive the pipeline). Only
  // before the pipeline starts: the DSP thread then reads the list unlocked.
  void add_consumer(AudioFrameConsumer* consumer);

  // The FrameSink for AudioPipeline::create(); it calls on_frame(). The
  // AudioLoop must outlive the pipeline.
  FrameSink sink();

  // DSP thread: consumers first, then segment tracking. Per-frame cost is a
  // few comparisons; a post happens only when a segment ends.
  void on_frame(const AudioFrame& frame) noexcept;

  // Closes a segment still open (marked cut_short) and posts it. Call from
  // the DSP thread, or from any thread once the pipeline has stopped.
  void flush() noexcept;

 private:
  void end_segment(int64_t end_ms, bool cut_short) noexcept;

  boost::asio::any_io_executor loop_;
  SegmentHandler on_segment_;
  std::vector<AudioFrameConsumer*> consumers_;  // fixed once the pipeline runs
  // DSP thread only:
  bool in_speech_ = false;
  int64_t last_end_ms_ = 0;  // end of the most recent frame seen
  SpeechSegment open_;       // the segment being tracked while in_speech_
};

// Input time (ms since start) at the start of output frame `index`: output
// frames trail the input by kStftLatency samples. Clamped at 0.
int64_t frame_start_ms(int64_t index);

}  // namespace hearth
