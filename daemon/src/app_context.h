// daemon/src/app_context.h: what the API routes need from the running daemon
// (the current config generation, history, timers, counters, audio).
// Implemented by the App in app.cc; private to daemon/.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "audio_loop.h"
#include "event_hub.h"
#include "hearth/audio/audio.h"
#include "hearth/common/clock.h"
#include "hearth/daemon/config.h"
#include "hearth/daemon/history_writer.h"
#include "hearth/daemon/http_server.h"
#include "hearth/daemon/intent_handler.h"
#include "hearth/daemon/timer_manager.h"
#include "hearth/devices/bus.h"
#include "hearth/devices/home.h"
#include "hearth/devices/protocols.h"
#include "hearth/nlu/nlu.h"
#include "routines_service.h"

namespace hearth {

// One config generation: the config and everything built from it. Built
// whole in staging on SIGHUP and swapped in only when every part succeeded.
// Immutable once published; requests hold a shared_ptr so an old generation
// lives until its last request is answered. Members are declared in
// dependency order, so destruction (reverse order) tears down the handler,
// then the bus, then the parser, before the home they refer to.
struct Runtime {
  DaemonConfig config;
  std::shared_ptr<const Home> home;         // read by parser, bus and handler
  std::unique_ptr<TemplateParser> parser;   // refers to *home
  std::unique_ptr<Bus> bus;                 // refers to *home
  std::unique_ptr<IntentHandler> handler;   // refers to *home, *bus
  uint64_t generation = 0;                  // 1 at start, +1 per successful reload
};

// Counters for /health (tests assert on these, never on log text).
struct AppCounters {
  std::atomic<uint64_t> http_requests{0};
  std::atomic<uint64_t> http_4xx{0};
  std::atomic<uint64_t> http_5xx{0};
  std::atomic<uint64_t> commands{0};           // /command requests handled
  std::atomic<uint64_t> commands_failed{0};    // not understood, unresolved, or an action failed
  std::atomic<uint64_t> device_actions{0};     // bus commands run (command + direct)
  std::atomic<uint64_t> reloads{0};            // successful SIGHUP reloads
  std::atomic<uint64_t> reload_failures{0};    // SIGHUP reloads rejected (old config kept)
  std::atomic<uint64_t> timers_fired{0};
  std::atomic<uint64_t> state_changes{0};      // attribute changes seen on the bus
  std::atomic<uint64_t> speech_segments{0};    // VAD speech segments finished (audio loop)
};

// The audio loop as /health shows it.
struct AudioHealth {
  std::string source = "none";    // config audio.source: "capture" | "file" | "none"
  std::string state = "off";      // "off" (source none), "unavailable" (could not start; see error),
                                  // else the source's state: starting | running | reopening | ended | stopped
  std::string error;              // why "unavailable", else the source's last error ("" if none)
  bool ns_enabled = false;        // noise suppression currently on
  AudioMetrics metrics;           // frames, CPU, levels, device, overruns (zero when no pipeline)
  uint64_t speech_segments = 0;   // finished speech segments
  std::optional<SpeechSegment> last_segment;  // the most recent one
};

class Auth;         // auth.h
class EventStream;  // ws_events.h

class AppContext {
 public:
  virtual ~AppContext() = default;
  virtual std::shared_ptr<const Runtime> runtime() const = 0;
  virtual HistoryWriter& history() = 0;
  virtual TimerManager& timers() = 0;
  virtual AppCounters& counters() = 0;
  virtual const Clock& clock() const = 0;
  virtual boost::asio::any_io_executor executor() = 0;
  // Where text commands are parsed (the cascade may run the LLM or wait for
  // the cloud): never the event loop in hearthd. Defaults to executor().
  virtual boost::asio::any_io_executor nlu_executor() { return executor(); }
  virtual std::chrono::steady_clock::time_point started_at() const = 0;
  // Connection-level counters of the HTTP server (requests rejected before routing).
  virtual HttpServer::Stats http_stats() const = 0;
  // The config file in use, or kBuiltinConfigName.
  virtual std::string config_source() const = 0;
  // The audio loop's state and metrics. Event-loop thread.
  virtual AudioHealth audio_health() const = 0;
  // The Wyoming server (issue 10): {port, connections, open, rejected,
  // messages, protocol_errors}, or null when off. Event-loop thread.
  virtual nlohmann::json wyoming_health() const { return nullptr; }
  // The wake word (issue 4): {enabled, state, words, wakes, frames, last}. Any thread.
  virtual nlohmann::json wake_health() const { return nullptr; }
  // Routines and suggestions (issue 8); nullptr when history is disabled. Event-loop thread.
  virtual RoutinesService* routines() { return nullptr; }
  // The live event stream (WebSocket /api/v1/events, metrics). Any thread.
  virtual EventHub& events() = 0;
  // Is the internet reachable? (the connectivity monitor, config "network";
  // true when the monitor is off). For cloud fallbacks. Any thread.
  virtual bool network_up() const { return true; }
  // The connectivity monitor; nullptr when "network" is off. Any thread.
  virtual const ConnectivityMonitor* connectivity() const { return nullptr; }
  // The broker connection; nullptr when "mqtt" is off. Any thread.
  virtual MqttClient* mqtt() { return nullptr; }
  // Reloads config + home now, as SIGHUP does (after a discovered device was
  // accepted). Error when the new generation was rejected. Event-loop thread.
  virtual Result<void> reload_home() { return Error{Code::kUnsupported, "reload not available"}; }
  // Issue 10: tokens and pairing (nullptr: no auth check, router unit tests),
  // and the WebSocket event stream (for /metrics). Any thread.
  virtual Auth* auth() { return nullptr; }
  virtual EventStream* event_stream() { return nullptr; }
};

}  // namespace hearth
