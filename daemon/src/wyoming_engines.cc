#include "wyoming_engines.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>

#include "app_context.h"
#include "hearth/audio/ring.h"
#include "hearth/common/log.h"
#include "hearth/wakeword/wakeword.h"
#include "voice_pipeline.h"

namespace hearth {
namespace {

// The thread every Wyoming transcriber decodes on. Jobs run one at a time in
// the order posted (a stream's audio before its finish). Idle decoders are
// kept for the next utterance: opening one takes seconds. The state lives in
// a shared_ptr the thread holds, so the last owner may even let go on the
// worker thread itself (it then detaches instead of joining itself).
class AsrWorker {
 public:
  struct Idle {
    std::shared_ptr<const Recognizer> rec;  // outlives its stream
    std::unique_ptr<RecognizerStream> stream;
  };

  AsrWorker() : state_(std::make_shared<State>()) {
    thread_ = std::thread([st = state_] { run(*st); });
  }
  ~AsrWorker() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->stop = true;
    }
    state_->cv.notify_all();
    if (thread_.get_id() == std::this_thread::get_id())
      thread_.detach();
    else
      thread_.join();
  }

  void post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->jobs.push_back(std::move(job));
    }
    state_->cv.notify_one();
  }

  // Worker thread only: a decoder over `rec`, reused when one is idle.
  std::unique_ptr<RecognizerStream> take(const std::shared_ptr<const Recognizer>& rec) {
    std::vector<Idle>& idle = state_->idle;
    // Decoders of an older recognizer (before a SIGHUP) are not reused.
    std::erase_if(idle, [&](const Idle& i) { return i.rec != rec; });
    if (!idle.empty()) {
      std::unique_ptr<RecognizerStream> s = std::move(idle.back().stream);
      idle.pop_back();
      return s;
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<RecognizerStream> s = rec->create_stream(StreamOptions{});
    if (s)
      HEARTH_LOG_INFO("wyoming", "opened a decoder in %.0f ms",
                      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    return s;
  }
  // Worker thread only: a decoder done with its utterance.
  void give_back(std::shared_ptr<const Recognizer> rec, std::unique_ptr<RecognizerStream> stream) {
    if (!stream) return;
    stream->reset();
    if (state_->idle.size() >= kMaxIdle) state_->idle.erase(state_->idle.begin());
    state_->idle.push_back(Idle{std::move(rec), std::move(stream)});
  }

 private:
  static constexpr size_t kMaxIdle = 2;
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    bool stop = false;
    std::vector<Idle> idle;  // worker thread only
  };
  static void run(State& st) {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(st.mu);
        st.cv.wait(lock, [&] { return st.stop || !st.jobs.empty(); });
        if (st.stop) return;
        job = std::move(st.jobs.front());
        st.jobs.pop_front();
      }
      job();
    }
  }
  std::shared_ptr<State> state_;
  std::thread thread_;
};

// One utterance: touched only by jobs on the worker thread.
struct Utterance {
  std::shared_ptr<const Recognizer> rec;
  std::shared_ptr<const TemplateParser> parser;
  float min_confidence = 0.f;
  std::unique_ptr<RecognizerStream> stream;
  std::optional<Error> error;
  bool finished = false;

  void decode_ready() {
    while (!error && stream->is_ready()) {
      Result<void> r = stream->decode();
      if (!r) error = r.error();
    }
  }
};

class AsyncTranscriber final : public WyomingTranscriber {
 public:
  AsyncTranscriber(std::shared_ptr<AsrWorker> worker, std::shared_ptr<Utterance> utt)
      : worker_(std::move(worker)), utt_(std::move(utt)) {}
  ~AsyncTranscriber() override {
    // Given up before finish (connection closed, a new transcribe): the
    // decoder goes back to the pool once the audio already posted is done.
    if (!finished_)
      worker_->post([w = std::weak_ptr<AsrWorker>(worker_), u = utt_] {
        if (auto worker = w.lock(); worker && u->stream) worker->give_back(u->rec, std::move(u->stream));
      });
  }

  void accept(std::span<const float> pcm) override {
    if (pcm.empty() || finished_) return;
    worker_->post([w = std::weak_ptr<AsrWorker>(worker_), u = utt_, pcm = std::vector<float>(pcm.begin(), pcm.end())] {
      auto worker = w.lock();
      if (!worker || u->error) return;
      if (!u->stream) {
        u->stream = worker->take(u->rec);
        if (!u->stream) {
          u->error = Error{Code::kUnavailable, "the recognizer could not open a decoder"};
          return;
        }
      }
      u->stream->accept(pcm);
      u->decode_ready();
    });
  }

  void finish(std::function<void(Result<WyomingTranscript>)> done) override {
    finished_ = true;
    worker_->post([w = std::weak_ptr<AsrWorker>(worker_), u = utt_, done = std::move(done)] {
      auto worker = w.lock();
      if (!worker) return;
      if (u->error) {
        Error e = *u->error;
        if (u->stream) worker->give_back(u->rec, std::move(u->stream));
        done(e);
        return;
      }
      WyomingTranscript out;
      if (u->stream) {  // no audio reached the recognizer: nothing was heard
        u->stream->input_finished();
        u->decode_ready();
        if (u->error) {
          Error e = *u->error;
          worker->give_back(u->rec, std::move(u->stream));
          done(e);
          return;
        }
        const Transcript t = u->stream->result();
        worker->give_back(u->rec, std::move(u->stream));
        out.heard = t.text;
        out.confidence = t.confidence;
        if (u->parser) {
          // The voice pipeline's reading: confidence floor, then the first
          // n-best alternative the grammar understands.
          const Understanding und = understand(t, *u->parser, u->min_confidence);
          out.text = und.low_confidence ? std::string() : und.text;
        } else {
          out.text = t.confidence < u->min_confidence ? std::string() : t.text;
        }
      }
      done(std::move(out));
    });
  }

 private:
  std::shared_ptr<AsrWorker> worker_;
  std::shared_ptr<Utterance> utt_;
  bool finished_ = false;
};

class StreamDetector final : public WyomingWakeDetector {
 public:
  explicit StreamDetector(std::unique_ptr<WakeWordDetector> d) : d_(std::move(d)) {}
  std::optional<WyomingWake> accept(std::span<const float> pcm) override {
    // The detector takes whole windows; the rest waits for the next chunk.
    pending_.insert(pending_.end(), pcm.begin(), pcm.end());
    const size_t w = static_cast<size_t>(d_->window_samples());
    const size_t whole = w ? pending_.size() / w * w : 0;
    std::optional<WyomingWake> hit;
    for (size_t off = 0; off < whole && !hit; off += w) {
      if (std::optional<WakeEvent> ev = d_->accept(std::span<const float>(pending_.data() + off, w)))
        hit = WyomingWake{ev->keyword, static_cast<int64_t>(ev->end_offset.count()) * (kSampleRateHz / 1000)};
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(whole));
    return hit;
  }

 private:
  std::unique_ptr<WakeWordDetector> d_;
  std::vector<float> pending_;
};

}  // namespace

std::function<std::unique_ptr<WyomingTranscriber>()> wyoming_transcriber_factory(WyomingAsrSource src) {
  // The worker starts with the first transcriber (and lives while the
  // factory or any transcriber does).
  auto worker = std::make_shared<std::shared_ptr<AsrWorker>>();
  return [src = std::move(src), worker]() -> std::unique_ptr<WyomingTranscriber> {
    std::shared_ptr<const Recognizer> rec = src.recognizer ? src.recognizer() : nullptr;
    if (!rec) return nullptr;
    if (!*worker) *worker = std::make_shared<AsrWorker>();
    auto utt = std::make_shared<Utterance>();
    utt->rec = std::move(rec);
    if (src.parser) utt->parser = src.parser();
    if (src.min_confidence) utt->min_confidence = src.min_confidence();
    return std::make_unique<AsyncTranscriber>(*worker, std::move(utt));
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

WyomingRecognizer::~WyomingRecognizer() {
  cancel_.store(true);
  std::lock_guard<std::mutex> lock(build_mu_);
  for (std::thread& t : builders_)
    if (t.joinable()) t.join();
}

void WyomingRecognizer::rebuild(std::shared_ptr<const Runtime> rt) {
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = ++requested_;
  }
  std::lock_guard<std::mutex> lock(build_mu_);
  builders_.emplace_back([this, rt = std::move(rt), seq] {
    const auto t0 = std::chrono::steady_clock::now();
    auto models = build_voice_models(*rt->home, rt->config.nlu, rt->config.asr,
                                     std::filesystem::temp_directory_path().string(), /*baseline=*/false, &cancel_);
    if (!models) {
      if (cancel_.load()) return;  // shutting down
      HEARTH_LOG_ERROR("wyoming", "cannot compile the home's language model: %s; keeping the previous one",
                       models.error().message.c_str());
      return;
    }
    HEARTH_LOG_INFO("wyoming", "recognizer ready: language model of %zu words compiled in %.0f ms",
                    (*models)->lang.n_words,
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    std::shared_ptr<const VoiceModels> old;  // released outside the lock (removes its files)
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (seq < installed_) return;  // a newer build already landed
      installed_ = seq;
      ++builds_;
      old = std::move(models_);
      models_ = std::move(*models);
    }
  });
}

std::shared_ptr<const VoiceModels> WyomingRecognizer::models() const {
  std::lock_guard<std::mutex> lock(mu_);
  return models_;
}

uint64_t WyomingRecognizer::builds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return builds_;
}

}  // namespace hearth
