// daemon/src/wyoming_engines.h: adapters from Hearth's recognizer (asr/) and
// wake-word detector (wakeword/) to the per-connection engines the Wyoming
// server asks for (wyoming_server.h, WyomingEngines). The App fills
// WyomingEngines with these when it has models loaded.
//
// Recognition never runs on the event loop: opening a PocketSphinx decoder
// takes seconds and decoding costs CPU in proportion to the audio, so every
// transcriber hands its audio to one shared worker thread (WyomingAsrWorker
// below, in order), which keeps idle decoders for reuse; the transcript comes
// back through a callback.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "hearth/asr/asr.h"
#include "hearth/nlu/nlu.h"
#include "hearth/wakeword/detector.h"
#include "wyoming_server.h"

namespace hearth {

struct Runtime;
struct VoiceModels;

// Where a transcriber gets its models, asked on the event loop at each
// `transcribe`:
struct WyomingAsrSource {
  // The current recognizer (the returned pointer keeps it alive while a
  // stream uses it), or null while none is loaded ("still loading").
  std::function<std::shared_ptr<const Recognizer>()> recognizer;
  // The grammar that picks among the n-best alternatives, as the voice
  // pipeline does (understand()); may be empty or return null (take the best).
  std::function<std::shared_ptr<const TemplateParser>()> parser;
  // Below this confidence the transcript is empty ("not understood").
  std::function<float()> min_confidence;
};

// One transcriber per utterance, decoding on a worker thread shared by every
// transcriber this factory makes. The factory returns null while
// `src.recognizer()` returns null.
std::function<std::unique_ptr<WyomingTranscriber>()> wyoming_transcriber_factory(WyomingAsrSource src);

// One streaming detector per connection over `words` (see make_wake_detector).
// A detector that cannot be made → null ("unavailable", logged).
std::function<std::unique_ptr<WyomingWakeDetector>()> wyoming_detector_factory(std::vector<WakeWordSpec> words,
                                                                               WakeDetectorOptions options = {});

// The wake-word engine hearthd offers: the wake word of config "wakeword"
// (same models and sensitivities as the always-on loop) when it is enabled
// and its models load. Problems are logged and leave it unavailable. The App
// adds make_transcriber (wyoming_transcriber_factory over the voice
// pipeline's recognizer, or over a WyomingRecognizer when there is no voice
// pipeline).
WyomingEngines make_wyoming_engines(const WakewordConfig& wake);

// The recognizer for Wyoming when hearthd runs no voice pipeline (audio
// "none" or voice disabled): the home's language model compiled exactly as
// the pipeline does (build_voice_models) on a background thread, rebuilt on
// SIGHUP. When a pipeline runs, its models are shared instead (never two).
class WyomingRecognizer {
 public:
  WyomingRecognizer() = default;
  ~WyomingRecognizer();  // cancels a build in progress and waits for it to stop
  WyomingRecognizer(const WyomingRecognizer&) = delete;
  WyomingRecognizer& operator=(const WyomingRecognizer&) = delete;

  // Compiles the language of `rt` in the background and swaps it in when
  // done; a failed build keeps the previous models (logged). Any thread.
  void rebuild(std::shared_ptr<const Runtime> rt);
  // The current models, null until the first build finishes. Any thread.
  std::shared_ptr<const VoiceModels> models() const;
  // Builds swapped in so far (1 after start, +1 per SIGHUP that compiled).
  uint64_t builds() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const VoiceModels> models_;
  uint64_t requested_ = 0, installed_ = 0;  // build sequence: an older build never replaces a newer one
  uint64_t builds_ = 0;
  std::atomic<bool> cancel_{false};
  std::mutex build_mu_;
  std::vector<std::thread> builders_;
};

}  // namespace hearth
