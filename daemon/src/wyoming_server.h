// daemon/src/wyoming_server.h: a Wyoming protocol server (wyoming_protocol.h)
// on hearthd's event loop, so Home Assistant and Wyoming satellites can use
// Hearth's wake word, recognizer and intent engine. Config "wyoming" (off by
// default).
//
// Engines (wired in app.cc): the wake word of config "wakeword"
// (make_wyoming_engines); the recognizer is the voice pipeline's own
// (VoicePipeline::models(): the PocketSphinx decoder over the language model
// compiled from the home, rebuilt on SIGHUP), or, when hearthd runs no voice
// pipeline (audio "none", voice disabled), a WyomingRecognizer built the same
// way; asr.backend "none" leaves ASR out. Decoding runs on a worker thread
// (wyoming_engines.h), never on the event loop.
//
// Events handled (Wyoming semantics; one connection = one conversation):
//   describe                      → info (asr, wake, intent, handle programs; languages en)
//   ping                          → pong
//   recognize {text, context?}    → intent {name, entities, text} | not-recognized {text}
//                                   (parses only, runs nothing)
//   transcript {text}             → handled {text} | not-handled {text}: parsed AND
//                                   executed through the intent handler (the "handle" service)
//   transcribe / detect           → arms the recognizer / wake detector for the next audio
//                                   (error asr-unavailable / asr-loading / wake-unavailable)
//   audio-start {rate, width, channels, context?}, audio-chunk (+PCM), audio-stop
//                                 → audio converted to 16 kHz mono float (Resampler);
//                                   detection / not-detected, transcript {text, confidence}
// With both detect and transcribe armed, the recognizer hears only the audio
// after the wake word (the voice pipeline's order: wake → command); no wake
// word → not-detected, then an empty transcript. The transcript is the voice
// pipeline's reading (understand(): "" below asr.min_confidence, else the
// first n-best alternative the grammar parses). Messages after audio-stop wait
// for the transcript, so "transcribe, audio…, audio-stop, recognize" answers
// in order. Out of order (audio-chunk/-stop before audio-start, a stream with
// no audio for transcribe): an `error`, the connection stays usable.
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

// What a transcriber heard in one utterance.
struct WyomingTranscript {
  std::string text;        // the words acted on; "" when nothing was heard or below the confidence floor
  std::string heard;       // the recognizer's best hypothesis, before the floor and the n-best choice
  float confidence = 0.f;  // 0..1
};

// Speech recognition for one utterance (16 kHz mono float in [-1, 1]).
// Called on the event loop only; must never block it.
class WyomingTranscriber {
 public:
  virtual ~WyomingTranscriber() = default;
  virtual void accept(std::span<const float> pcm) = 0;
  // The transcript of everything accepted, passed once to `done` (on any
  // thread). No accept() after finish().
  virtual void finish(std::function<void(Result<WyomingTranscript>)> done) = 0;
};

// A wake word found in a stream.
struct WyomingWake {
  std::string keyword;
  int64_t end_sample = 0;  // where the word ended, in samples since the detector's first audio
};

// Wake-word detection over a stream (16 kHz mono float).
class WyomingWakeDetector {
 public:
  virtual ~WyomingWakeDetector() = default;
  // The wake word detected in this audio, if any.
  virtual std::optional<WyomingWake> accept(std::span<const float> pcm) = 0;
};

// Engine factories, one engine per connection. An empty function means "not
// available": transcribe/detect then answer a Wyoming `error` saying so, and
// describe lists the program as not installed. A factory that returns null
// has its models still loading (error "asr-loading" / "wake-unavailable").
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
