// daemon/src/wyoming_server.h: a Wyoming protocol server (wyoming_protocol.h)
// on hearthd's event loop, so Home Assistant and Wyoming satellites can use
// Hearth's intent engine (and its recognizer and wake word once those are
// wired into WyomingEngines). Config "wyoming" (off by default).
//
// Events handled (Wyoming semantics; one connection = one conversation):
//   describe                      → info (asr, wake, intent, handle programs; languages en)
//   ping                          → pong
//   recognize {text, context?}    → intent {name, entities, text} | not-recognized {text}
//                                   (parses only, runs nothing)
//   transcript {text}             → handled {text} | not-handled {text}: parsed AND
//                                   executed through the intent handler (the "handle" service)
//   transcribe / detect           → arms the recognizer / wake detector for the next audio
//   audio-start {rate, width, channels, context?}, audio-chunk (+PCM), audio-stop
//                                 → audio converted to 16 kHz mono float (Resampler);
//                                   detection / not-detected, transcript {text}
// The area that resolves "turn on the lights": data.context.area of the
// message, else the satellite named in audio-start / recognize
// (data.satellite or data.context.satellite, mapped by wyoming.satellites),
// else none (whole house). Malformed or oversized input: an `error` message,
// then the connection is closed; the server keeps serving others.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "hearth/common/result.h"
#include "hearth/daemon/config.h"

namespace hearth {

class AppContext;

// Speech recognition for one utterance (16 kHz mono float in [-1, 1]).
class WyomingTranscriber {
 public:
  virtual ~WyomingTranscriber() = default;
  virtual void accept(std::span<const float> pcm) = 0;
  virtual Result<std::string> finish() = 0;  // the transcript of everything accepted
};

// Wake-word detection over a stream (16 kHz mono float).
class WyomingWakeDetector {
 public:
  virtual ~WyomingWakeDetector() = default;
  // The keyword detected in this audio, if any.
  virtual std::optional<std::string> accept(std::span<const float> pcm) = 0;
};

// Engine factories, one engine per connection. An empty function (or one
// returning nullptr) means "not available": transcribe/detect then answer a
// Wyoming `error` saying so, and describe lists the program as not installed.
struct WyomingEngines {
  std::function<std::unique_ptr<WyomingTranscriber>()> make_transcriber;
  std::function<std::unique_ptr<WyomingWakeDetector>()> make_detector;
  std::vector<std::string> wake_words;  // keyword names for describe
};

class WyomingServer {
 public:
  struct Stats {
    uint64_t connections = 0;      // accepted
    uint64_t rejected = 0;         // refused: max_connections reached
    uint64_t messages = 0;         // parsed messages
    uint64_t protocol_errors = 0;  // connections closed for malformed/oversized input
    uint64_t open = 0;             // open now
  };

  // Binds cfg.listen on `ioc` (the daemon's loop; every handler runs there).
  static Result<std::unique_ptr<WyomingServer>> start(boost::asio::io_context& ioc, const WyomingConfig& cfg,
                                                      AppContext& app, WyomingEngines engines = {});
  ~WyomingServer();
  uint16_t port() const;
  // Stops accepting and closes every connection (event-loop thread).
  void stop();
  Stats stats() const;

  struct Impl;

 private:
  explicit WyomingServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace hearth
