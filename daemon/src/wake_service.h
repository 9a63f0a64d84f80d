// daemon/src/wake_service.h: the wake-word stage of hearthd's always-on loop.
// WakeService is an AudioFrameConsumer: on the DSP thread it runs the
// detector (wakeword/detector.h) over every 10 ms frame (raw audio, as the
// models were trained), and on a wake it counts it, logs it, publishes
// event_type::kWake on the EventHub and calls the registered callback (the
// voice pipeline) on the same thread. health() is read by /api/v1/health from
// the event loop. Private to daemon/; owned by the App (app.cc).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio_loop.h"
#include "hearth/daemon/config.h"
#include "hearth/wakeword/detector.h"

namespace hearth {

class EventHub;

class WakeService final : public AudioFrameConsumer {
 public:
  using WakeCallback = std::function<void(const WakeEvent&)>;

  // Loads every configured model (none listed = the shipped "jarvis") and
  // builds the detector. Errors name the model and the file.
  static Result<std::unique_ptr<WakeService>> create(const WakewordConfig& cfg, EventHub* events);

  // Registers the callback run on the DSP thread after each wake. Only before
  // the pipeline starts (the DSP thread then reads it unlocked).
  void set_on_wake(WakeCallback cb) { on_wake_ = std::move(cb); }

  void on_frame(const AudioFrame& frame) noexcept override;

  // {"enabled", "words": [{"keyword", "threshold", "threshold_logit", "model"}], "wakes", "last": {...} | null,
  //  "frames"}. Any thread.
  nlohmann::json health() const;
  uint64_t wakes() const { return wakes_.load(); }

 private:
  WakeService() = default;

  struct WordInfo {
    std::string keyword, path, description;
    float threshold = 0;          // effective, as a probability
    double threshold_logit = 0;   // the same as a logit (exact near 1)
  };
  std::unique_ptr<WakeWordDetector> detector_;
  std::vector<WordInfo> words_;
  EventHub* events_ = nullptr;
  WakeCallback on_wake_;
  std::atomic<uint64_t> wakes_{0};
  std::atomic<uint64_t> frames_{0};
  mutable std::mutex last_mu_;          // guards last_ (DSP thread writes, API reads)
  std::optional<WakeEvent> last_;
};

// The "wake" object of /health when the service is not running.
nlohmann::json wake_health_off(const std::string& why);

}  // namespace hearth
