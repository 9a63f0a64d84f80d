// wakeword/wakeword.h: the wake-word detector interface (STYLE.md §3). The
// DSP thread feeds it clean 16 kHz frames; on a detection it returns an event
// carrying the keyword and timing. Backends arrive with the wake-word work.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>

namespace hearth {

struct WakeEvent {
  std::string keyword;                       // "hey hearth"
  float score = 0.f;                         // smoothed posterior, 0..1
  float logit = 0.f;                         // the same as a logit (distinct where score rounds to 1)
  std::chrono::milliseconds start_offset{0};  // keyword start, relative to stream start
  std::chrono::milliseconds end_offset{0};    // keyword end
};

class WakeWordDetector {
 public:
  virtual ~WakeWordDetector() = default;
  virtual int window_samples() const = 0;  // accept() takes multiples of this
  virtual std::optional<WakeEvent> accept(std::span<const float> pcm) = 0;
  virtual void reset() = 0;
};

}  // namespace hearth
