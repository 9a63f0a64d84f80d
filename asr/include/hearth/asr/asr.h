// asr/asr.h: the streaming recognizer interface (STYLE.md §3). Models are
// immutable and shared; per-utterance state lives in a stream owned by one
// thread. The PocketSphinx backend arrives with the speech-recognition work.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hearth/common/result.h"

namespace hearth {

struct WordTiming {
  std::string word;
  int start_ms = 0, end_ms = 0;  // relative to the stream start
  float confidence = 0.f;        // 0..1
};

struct Transcript {
  std::string text;               // best hypothesis so far
  float confidence = 0.f;         // 0..1
  bool is_final = false;          // true once the endpoint was reached
  std::vector<WordTiming> words;  // filled on final results
};

struct StreamOptions {
  int sample_rate_hz = 16000;
};

class RecognizerStream {
 public:
  virtual ~RecognizerStream() = default;
  virtual void accept(std::span<const float> pcm) = 0;  // 16 kHz mono, samples in [-1, 1]
  virtual void input_finished() = 0;
  virtual Result<void> decode() = 0;                     // no-op unless is_ready()
  virtual bool is_ready() const = 0;
  virtual bool is_endpoint() const = 0;
  virtual Transcript result() const = 0;                 // partial until is_endpoint()
  virtual void reset() = 0;
};

class Recognizer {
 public:
  virtual ~Recognizer() = default;
  virtual std::unique_ptr<RecognizerStream> create_stream(const StreamOptions& opt) const = 0;
};

}  // namespace hearth
