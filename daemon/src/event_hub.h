// daemon/src/event_hub.h: the daemon's live event stream. Every stage
// publishes what happened (wake, transcripts, intent, actions, device state,
// suggestions); the WebSocket API (/api/v1/events), metrics and tests
// subscribe. Private to daemon/; owned by the App, reached through
// AppContext::events().
//
// Threads: publish() may be called from any thread (DSP thread, device
// strands, the event loop). Subscribers run synchronously on the publishing
// thread, so they must only copy/post and return (a WebSocket session posts
// onto its own strand and drops the client when its bounded queue is full).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth {

// Event types published today (the WebSocket "type" field). Keep
// docs and the OpenAPI document in step when adding one.
namespace event_type {
inline constexpr const char* kWake = "wake";                       // {keyword, score, time_s}
inline constexpr const char* kTranscriptPartial = "transcript_partial";  // {text}
inline constexpr const char* kTranscript = "transcript";           // {text, confidence, words}
inline constexpr const char* kIntent = "intent";                   // {text, intent, slots, source, confidence}
inline constexpr const char* kAction = "action";                   // {device, action, params, ok, error}
inline constexpr const char* kStateChanged = "state_changed";      // {device, attribute, old, new, origin}
inline constexpr const char* kSuggestion = "suggestion";           // suggestion JSON
inline constexpr const char* kRoutine = "routine";                 // {id, name, outcome}
inline constexpr const char* kAudio = "audio";                     // {state, error}
inline constexpr const char* kConnectivity = "connectivity";       // {up, reason}
}  // namespace event_type

struct HubEvent {
  uint64_t seq = 0;      // 1, 2, 3 … in publish order, per process
  int64_t time_ms = 0;   // wall clock, ms since the Unix epoch
  std::string type;      // one of event_type::*
  nlohmann::json data;   // type-specific payload (an object)

  // {"seq", "time_ms", "type", "data"}: the wire form.
  nlohmann::json to_json() const;
};

class EventHub {
 public:
  using EventPtr = std::shared_ptr<const HubEvent>;
  using Subscriber = std::function<void(const EventPtr&)>;

  // Any thread. Returns an id for unsubscribe().
  uint64_t subscribe(Subscriber fn);
  // Any thread. After it returns the subscriber is never called again
  // (a publish already running on another thread may still be inside it).
  void unsubscribe(uint64_t id);

  // Any thread. Stamps seq and time, then calls every subscriber.
  void publish(std::string type, nlohmann::json data);

  uint64_t published() const { return seq_.load(std::memory_order_relaxed); }
  size_t subscribers() const;

 private:
  struct Entry {
    uint64_t id;
    Subscriber fn;
  };
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<Entry>> subs_ = std::make_shared<std::vector<Entry>>();
  uint64_t next_id_ = 1;  // guarded by mu_
  std::atomic<uint64_t> seq_{0};
};

}  // namespace hearth
