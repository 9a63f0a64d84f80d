// wakeword/detector.h: Hearth's wake-word engine. A WakeModel is a small
// int8 neural keyword spotter loaded from a GGUF file (architecture
// "hearth-kws"); a detector streams 16 kHz mono float audio through the
// log-mel front end and one or more models and returns a WakeEvent when a
// word's smoothed posterior crosses its threshold. Scores and thresholds are
// compared as logits of that posterior: a well-trained model puts both its
// takes and its loudest false alarms above 0.9999999, where float32
// probabilities are no longer distinct.
//
// Callers: the daemon's wake service (DSP thread, one detector per stream),
// the Wyoming `detect` server, `hearth wakeword detect|eval`, the benches.
//
// Models are immutable and shared (thread-safe after load); a detector holds
// the per-stream state and is owned by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/wakeword/wakeword.h"

namespace hearth {

// Front-end settings stored in every model (and checked against the C++
// front end at load time).
struct WakeFeatureSettings {
  int sample_rate_hz = 16000;  // input rate
  int n_mels = 40;             // log-mel bands
  int window_samples = 400;    // 25 ms analysis window (periodic Hann)
  int hop_samples = 160;       // 10 ms hop: one feature frame per 10 ms
  int n_fft = 512;             // FFT size (window zero-padded)
  float f_min_hz = 20.f;       // lowest mel edge
  float f_max_hz = 7600.f;     // highest mel edge
};

// A loaded wake-word network. Immutable; share it between detectors.
class WakeModel {
 public:
  virtual ~WakeModel() = default;
  virtual const std::string& keyword() const = 0;           // label, e.g. "jarvis"
  virtual float default_threshold() const = 0;              // tuned at training, (0, 1)
  virtual float default_threshold_logit() const = 0;        // the same as a logit (exact above 0.9999999)
  virtual const WakeFeatureSettings& features() const = 0;
  virtual int receptive_field_frames() const = 0;           // frames of context the net sees
  virtual int n_params() const = 0;                         // weights + biases
  virtual std::string description() const = 0;              // "hearth-kws jarvis: 6 blocks x 64 ch, 34912 params"
};

// Loads and validates a hearth-kws GGUF file (every size, shape, type and
// metadata key; corrupt or truncated files return Code::kCorrupt /
// kBadInput with the offending field named).
Result<std::shared_ptr<const WakeModel>> load_wake_model(const std::string& path);
// Same from bytes in memory (fuzzing, embedded models). `name` is used in
// error messages only.
Result<std::shared_ptr<const WakeModel>> load_wake_model_from_memory(std::span<const uint8_t> bytes,
                                                                     const std::string& name = "<memory>");

// One word to spot.
struct WakeWordSpec {
  WakeWordSpec() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): WakeWordSpec{model} reads naturally.
  WakeWordSpec(std::shared_ptr<const WakeModel> m, std::string kw = {}, float sens = 0.5f, float thr = 0.f)
      : model(std::move(m)), keyword(std::move(kw)), sensitivity(sens), threshold(thr) {}

  std::shared_ptr<const WakeModel> model;  // required
  std::string keyword;                     // label in events; empty = model->keyword()
  float sensitivity = 0.5f;                // [0, 1]; 0.5 = model's tuned threshold, higher wakes more easily
  float threshold = 0.f;                   // (0, 1) overrides sensitivity when > 0
};

struct WakeDetectorOptions {
  int refractory_ms = 1500;   // after a wake, the same word cannot fire again for this long
  int smoothing_frames = 3;   // moving average of the per-frame posterior (1 = none)
};

// The effective threshold for a spec as a logit: logit(`threshold`) when
// > 0, else the model's default threshold moved
// by sensitivity (t^(2 * sensitivity) in probability, computed in log space
// so thresholds near 1 stay exact; sensitivity 0 gives +infinity: never
// fires). effective_threshold() is the same as a probability.
double effective_threshold_logit(const WakeWordSpec& spec);
float effective_threshold(const WakeWordSpec& spec);

// Creates a streaming detector over all `words` (at least one). It implements
// WakeWordDetector with window_samples() == 160 (10 ms at 16 kHz): accept()
// takes any multiple of 160 samples in [-1, 1] and returns the first wake
// found in them (at most one per call; words share the front end). Event
// offsets are stream time since creation or the last reset(): end_offset is
// the end of the frame that fired, start_offset an estimate of the word's
// start from the model's receptive field.
// Errors: no words, null model, out-of-range sensitivity/threshold, or models
// with different front-end settings.
Result<std::unique_ptr<WakeWordDetector>> make_wake_detector(std::vector<WakeWordSpec> words,
                                                             const WakeDetectorOptions& options = {});

// Path of a model shipped in assets/wakeword/ ("jarvis", "computer", "alexa",
// "snowboy"): $HEARTH_WAKEWORD_DIR/<keyword>.gguf when that variable is set,
// else the source tree's assets/wakeword/<keyword>.gguf (embedded at build time).
std::string builtin_wake_model_path(const std::string& keyword);

// Offline scoring for eval/bench tools: the logit of the smoothed posterior of
// `model` for every 10 ms frame of `pcm` (16 kHz), exactly as a detector
// computes it (same front end, same int8 kernels, same smoothing); compare it
// with effective_threshold_logit(). Output length = pcm.size() / 160.
std::vector<float> wake_scores(const WakeModel& model, std::span<const float> pcm, int smoothing_frames = 3);

}  // namespace hearth
