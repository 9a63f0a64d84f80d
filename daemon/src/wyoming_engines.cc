#include "wyoming_engines.h"

#include "hearth/common/log.h"
#include "hearth/wakeword/wakeword.h"

namespace hearth {
namespace {

class StreamTranscriber final : public WyomingTranscriber {
 public:
  StreamTranscriber(std::shared_ptr<const Recognizer> rec, std::unique_ptr<RecognizerStream> stream)
      : rec_(std::move(rec)), stream_(std::move(stream)) {}
  void accept(std::span<const float> pcm) override {
    stream_->accept(pcm);
    while (ok_ && stream_->is_ready()) {
      Result<void> r = stream_->decode();
      if (!r) {
        ok_ = false;
        error_ = r.error();
      }
    }
  }
  Result<std::string> finish() override {
    stream_->input_finished();
    while (ok_ && stream_->is_ready()) {
      Result<void> r = stream_->decode();
      if (!r) {
        ok_ = false;
        error_ = r.error();
      }
    }
    if (!ok_) return error_;
    return stream_->result().text;
  }

 private:
  std::shared_ptr<const Recognizer> rec_;  // outlives stream_
  std::unique_ptr<RecognizerStream> stream_;
  bool ok_ = true;
  Error error_{Code::kInternal, ""};
};

class StreamDetector final : public WyomingWakeDetector {
 public:
  explicit StreamDetector(std::unique_ptr<WakeWordDetector> d) : d_(std::move(d)) {}
  std::optional<std::string> accept(std::span<const float> pcm) override {
    // The detector takes whole windows; the rest waits for the next chunk.
    pending_.insert(pending_.end(), pcm.begin(), pcm.end());
    const size_t w = static_cast<size_t>(d_->window_samples());
    const size_t whole = w ? pending_.size() / w * w : 0;
    std::optional<std::string> hit;
    for (size_t off = 0; off < whole && !hit; off += w) {
      if (std::optional<WakeEvent> ev = d_->accept(std::span<const float>(pending_.data() + off, w)))
        hit = ev->keyword;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(whole));
    return hit;
  }

 private:
  std::unique_ptr<WakeWordDetector> d_;
  std::vector<float> pending_;
};

}  // namespace

std::function<std::unique_ptr<WyomingTranscriber>()> wyoming_transcriber_factory(
    std::function<std::shared_ptr<const Recognizer>()> recognizer) {
  return [recognizer = std::move(recognizer)]() -> std::unique_ptr<WyomingTranscriber> {
    std::shared_ptr<const Recognizer> rec = recognizer ? recognizer() : nullptr;
    if (!rec) return nullptr;
    std::unique_ptr<RecognizerStream> stream = rec->create_stream(StreamOptions{});
    if (!stream) return nullptr;
    return std::make_unique<StreamTranscriber>(std::move(rec), std::move(stream));
  };
}

std::function<std::unique_ptr<WyomingWakeDetector>()> wyoming_detector_factory(std::vector<WakeWordSpec> words,
                                                                               WakeDetectorOptions options) {
  return [words = std::move(words), options]() -> std::unique_ptr<WyomingWakeDetector> {
    Result<std::unique_ptr<WakeWordDetector>> d = make_wake_detector(words, options);
    if (!d) {
      HEARTH_LOG_WARN("wyoming", "wake detector: %s", d.error().message.c_str());
      return nullptr;
    }
    return std::make_unique<StreamDetector>(std::move(*d));
  };
}

WyomingEngines make_wyoming_engines(const WakewordConfig& wake) {
  WyomingEngines e;
  if (!wake.enabled) return e;
  std::vector<WakewordModelConfig> models = wake.models;
  if (models.empty()) models.push_back(WakewordModelConfig{});
  std::vector<WakeWordSpec> specs;
  for (const WakewordModelConfig& m : models) {
    const std::string path =
        m.path.empty() ? builtin_wake_model_path(m.keyword.empty() ? "jarvis" : m.keyword) : m.path;
    Result<std::shared_ptr<const WakeModel>> model = load_wake_model(path);
    if (!model) {
      HEARTH_LOG_WARN("wyoming", "wake word over Wyoming unavailable: %s", model.error().message.c_str());
      return e;
    }
    WakeWordSpec spec;
    spec.model = *model;
    spec.keyword = m.keyword;
    spec.sensitivity = m.sensitivity;
    spec.threshold = m.threshold;
    e.wake_words.push_back(m.keyword.empty() ? (*model)->keyword() : m.keyword);
    specs.push_back(std::move(spec));
  }
  WakeDetectorOptions opt;
  opt.refractory_ms = wake.refractory_ms;
  if (Result<std::unique_ptr<WakeWordDetector>> probe = make_wake_detector(specs, opt); !probe) {
    HEARTH_LOG_WARN("wyoming", "wake word over Wyoming unavailable: %s", probe.error().message.c_str());
    e.wake_words.clear();
    return e;
  }
  e.make_detector = wyoming_detector_factory(std::move(specs), opt);
  return e;
}

}  // namespace hearth
