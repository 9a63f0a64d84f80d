// daemon/src/wyoming_engines.h: adapters from Hearth's recognizer (asr/) and
// wake-word detector (wakeword/) to the per-connection engines the Wyoming
// server asks for (wyoming_server.h, WyomingEngines). The App fills
// WyomingEngines with these when it has models loaded.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "hearth/asr/asr.h"
#include "hearth/wakeword/detector.h"
#include "wyoming_server.h"

namespace hearth {

// One RecognizerStream per utterance. `recognizer` returns the current
// recognizer (kept alive by the returned shared_ptr while a stream uses it)
// or null when none is loaded; the factory then returns null ("unavailable").
std::function<std::unique_ptr<WyomingTranscriber>()> wyoming_transcriber_factory(
    std::function<std::shared_ptr<const Recognizer>()> recognizer);

// One streaming detector per connection over `words` (see make_wake_detector).
// A detector that cannot be made → null ("unavailable", logged).
std::function<std::unique_ptr<WyomingWakeDetector>()> wyoming_detector_factory(std::vector<WakeWordSpec> words,
                                                                               WakeDetectorOptions options = {});

// The engines hearthd can offer today: the wake word of config "wakeword"
// (same models and sensitivities as the always-on loop) when it is enabled
// and its models load; no recognizer yet (the voice pipeline owns the
// models; wire wyoming_transcriber_factory to them). Problems are logged and
// leave that engine unavailable.
WyomingEngines make_wyoming_engines(const WakewordConfig& wake);

}  // namespace hearth
