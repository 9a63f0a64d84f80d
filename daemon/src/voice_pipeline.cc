// The voice pipeline: models (LM compiled from the home), understand(),
// offline decoding for the CLI, and the daemon's streaming VoicePipeline.

#include "voice_pipeline.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "app_context.h"
#include "event_hub.h"
#include "hearth/common/value_json.h"
#include "hearth/common/log.h"
#include "hearth/nlu/sentences.h"

namespace hearth {
namespace {

using SteadyClock = std::chrono::steady_clock;

double ms_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

nlohmann::json words_json(const Transcript& t) {
  nlohmann::json words = nlohmann::json::array();
  for (const WordTiming& w : t.words)
    words.push_back({{"word", w.word}, {"start_ms", w.start_ms}, {"end_ms", w.end_ms},
                     {"confidence", std::round(w.confidence * 1000) / 1000}});
  return words;
}

std::atomic<int> g_model_counter{0};

// Model directories (cache_root/hearth-asr-<pid>-<n>) whose process is gone:
// a daemon stopped while a build was still running leaves its directory
// behind (the build is abandoned, not waited for). Directories of running
// processes are left alone.
void remove_stale_model_dirs(const std::string& cache_root) {
  std::error_code ec;
  std::filesystem::directory_iterator it(cache_root, ec);
  if (ec) return;
  const std::string prefix = "hearth-asr-";
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const size_t dash = name.find('-', prefix.size());
    if (dash == std::string::npos || dash == prefix.size()) continue;
    const std::string pid_text = name.substr(prefix.size(), dash - prefix.size());
    if (pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) continue;
    const long pid = std::stol(pid_text);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    std::error_code rm;
    std::filesystem::remove_all(entry.path(), rm);
  }
}

}  // namespace

VoiceModels::~VoiceModels() {
  recognizer.reset();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

Result<std::shared_ptr<const VoiceModels>> build_voice_models(const Home& home, const NluConfig& nlu,
                                                              const AsrConfig& asr, const std::string& cache_root,
                                                              bool baseline, const std::atomic<bool>* cancel) {
  auto cancelled = [cancel] { return cancel && cancel->load(); };
  const Error stopped{Code::kCancelled, "asr: language model build cancelled"};
  auto models = std::make_shared<VoiceModels>();
  if (baseline) {
    auto rec = make_pocketsphinx_recognizer(asr, nullptr);
    if (!rec) return rec.error();
    models->recognizer = std::move(*rec);
    return std::shared_ptr<const VoiceModels>(std::move(models));
  }
  remove_stale_model_dirs(cache_root);
  SentenceSampleOptions opt;
  opt.n_sentences = asr.lm_sentences;
  opt.custom_share = asr.lm_custom_share;
  opt.per_template = asr.lm_sampling == "per_template";
  auto lang = sample_command_language(home, nlu, opt);
  if (!lang) return lang.error().with_context("asr: sampling the command language");
  if (cancelled()) return stopped;
  models->dir = cache_root + "/hearth-asr-" + std::to_string(::getpid()) + "-" + std::to_string(++g_model_counter);
  auto compiled = compile_language_model(lang->sentences, home, asr, models->dir);
  if (!compiled) return compiled.error();
  models->lang = *compiled;
  // The end-of-sentence model keeps the merged-trie walks it was tuned on:
  // they stop at any template's end, so "turn on the kitchen lights" is
  // often a whole sentence there; sampled per template, every longer
  // template through the same words makes it look unfinished.
  if (opt.per_template) {
    SentenceSampleOptions trie = opt;
    trie.per_template = false;
    auto walks = sample_command_language(home, nlu, trie);
    if (!walks) return walks.error().with_context("asr: sampling the command language");
    models->ends = EndOfSentenceModel::build(walks->sentences);
  } else {
    models->ends = EndOfSentenceModel::build(lang->sentences);
  }
  if (cancelled()) return stopped;
  auto rec = make_pocketsphinx_recognizer(asr, &models->lang);
  if (!rec) return rec.error();
  models->recognizer = std::move(*rec);
  return std::shared_ptr<const VoiceModels>(std::move(models));
}

Understanding understand(const Transcript& t, const TemplateParser& parser, float min_confidence) {
  Understanding u;
  u.text = t.text;
  u.parse.text = t.text;
  if (t.text.empty()) return u;
  if (t.confidence < min_confidence) {
    u.low_confidence = true;
    return u;
  }
  std::vector<std::string> alts = t.nbest;
  if (alts.empty()) alts.push_back(t.text);
  for (size_t i = 0; i < alts.size(); ++i) {
    ParseResult p = parser.parse(alts[i]);
    if (p.intent && !p.problem) {
      u.text = alts[i];
      u.parse = std::move(p);
      u.nbest_rank = static_cast<int>(i);
      return u;
    }
  }
  // No alternative resolves cleanly: keep the best one's reading (it may
  // carry a kNotFound/kAmbiguous problem the handler answers).
  u.parse = parser.parse(t.text);
  if (u.parse.intent) u.nbest_rank = 0;
  return u;
}

bool is_complete_command(const TemplateParser& parser, const std::string& text, const EndOfSentenceModel* ends,
                         double min_end_probability) {
  if (text.empty()) return false;
  if (ends && min_end_probability > 0 && ends->end_probability(text) < min_end_probability) return false;
  ParseResult p = parser.parse(text);
  return p.intent && !p.problem;
}

void PauseActions::on_frame(RecognizerStream& stream, const Endpointer& ep, bool speech) {
  if (speech) {
    if (speculating_) stream.speech_resumed();
    speculating_ = false;
  } else if (speculate_after_ms_ > 0 && ep.silence_ms() == speculate_after_ms_ / 10 * 10) {
    speculating_ = stream.speculate();
  }
}

bool PauseActions::end_early(const RecognizerStream& stream, const Endpointer& ep, const CompleteFn& complete,
                             std::string* asked) {
  const std::string partial = stream.result().text;
  const double floor = ep.early_end_floor();
  if (partial == last_checked_ && floor == last_floor_) return false;
  last_checked_ = partial;
  last_floor_ = floor;
  if (asked) *asked = partial;
  return complete(partial, floor);
}

Result<OfflineUtterance> decode_utterance(RecognizerStream& stream, std::span<const float> pcm, int64_t start_sample,
                                          const AsrConfig& asr, bool use_ns, float vad_threshold,
                                          const std::function<bool(const std::string&, double)>& complete) {
  NsConfig ns;
  ns.enabled = use_ns;
  auto fe = SpeechFrontEnd::create(ns, VadConfig{});
  if (!fe) return fe.error();
  Endpointer ep(asr.endpoint);
  OfflineUtterance out;
  std::vector<float> in(kFrameSamples), clean(kFrameSamples), pad;
  const int64_t latency_frames = kStftLatency / kFrameSamples + 1;  // front end delay, rounded up
  // A live microphone goes on after the speaker stops: the recording is
  // followed by silence long enough for the endpointer to decide, so a file
  // that ends soon after its last word is timed as it would be live.
  const int64_t tail_frames = (std::max(asr.endpoint.hangover_ms, asr.endpoint.early_hangover_ms) + 100) / 10;
  const int64_t n_frames = static_cast<int64_t>(pcm.size()) / kFrameSamples + latency_frames + tail_frames;
  bool ended = false;
  PauseActions pause(asr.endpoint);
  for (int64_t f = 0; f < n_frames && !ended; ++f) {
    const size_t off = static_cast<size_t>(f) * kFrameSamples;
    for (int i = 0; i < kFrameSamples; ++i) in[i] = off + i < pcm.size() ? pcm[off + i] : 0.f;
    FrameInfo info = (*fe)->process(in, clean);
    // Output frame f is input (f * 160 - kStftLatency): skip until the command start.
    const int64_t out_sample = f * kFrameSamples - kStftLatency;
    if (out_sample < start_sample) continue;
    std::span<const float> feed = use_ns ? std::span<const float>(clean) : (*fe)->delayed_input();
    stream.accept(feed);
    const bool speech = info.vad_score >= vad_threshold;
    if (speech) out.end_of_speech_ms = (out_sample + kFrameSamples) * 1000 / kSampleRateHz;
    bool end = ep.push(speech) == Endpointer::Event::kEnd;
    if (!end) pause.on_frame(stream, ep, speech);
    if (!end && complete && ep.early_candidate() && !speech) {
      // Recognizer state: the words so far may already make a command.
      if (stream.is_ready()) HEARTH_TRY(stream.decode());
      if (pause.end_early(stream, ep, complete, &out.early_partial)) {
        ep.end_early();
        end = true;
      }
    }
    if (end) {
      out.endpoint_reason = std::string(endpoint_reason_name(ep.reason()));
      out.endpoint_ms = (out_sample + kFrameSamples) * 1000 / kSampleRateHz;
      ended = true;
    }
    if ((f & 7) == 0 && stream.is_ready()) HEARTH_TRY(stream.decode());
  }
  if (!ended) {
    out.endpoint_reason = "end_of_audio";
    out.endpoint_ms = static_cast<int64_t>(pcm.size()) * 1000 / kSampleRateHz;
  }
  HEARTH_TRY(stream.decode());  // the audio up to the endpoint (streaming work)
  stream.input_finished();
  auto t0 = SteadyClock::now();
  while (stream.is_ready()) HEARTH_TRY(stream.decode());
  out.finalize_ms = ms_between(t0, SteadyClock::now());
  out.transcript = stream.result();
  if (out.transcript.speculative) {
    // Live, the speculative pass starts at the pause and runs while the
    // hangover's audio arrives; here the audio comes faster than real time,
    // so the wait at the endpoint is replaced by the one live input would
    // see: how far past the endpoint the pass would end (stream audio time).
    const double live_wait = std::max(0.0, out.transcript.spec_ready_ms - out.transcript.audio_ms);
    out.finalize_ms = std::max(0.0, out.finalize_ms - out.transcript.spec_wait_ms) + live_wait;
  }
  return out;
}

// ---------------------------------------------------------------- daemon

// What the builder threads share with the pipeline. A builder holds it (and
// copies of the home and config it compiles) by shared ownership, so the
// pipeline can be destroyed while a build runs: the destructor sets `cancel`
// and clears `owner` under `mu`, and a builder that finishes late drops what
// it built (removing its model directory) instead of touching the pipeline.
struct VoicePipeline::BuildState {
  std::mutex mu;
  std::condition_variable cv;
  VoicePipeline* owner = nullptr;  // null once the pipeline is gone
  std::atomic<bool> cancel{false};
  int running = 0;                 // builder threads not yet finished
  uint64_t started = 0;            // builds started (generation of the newest)
  uint64_t installed = 0;          // generation of the models last swapped in
};

VoicePipeline::VoicePipeline(const VoiceConfig& voice, const AsrConfig& asr, float vad_threshold, VoicePipelineDeps deps)
    : voice_(voice),
      asr_(asr),
      vad_threshold_(vad_threshold),
      deps_(std::move(deps)),
      max_backlog_frames_(static_cast<size_t>(kBacklogMs / 10)),
      ep_(asr.endpoint),
      pause_(asr.endpoint),
      build_(std::make_shared<BuildState>()) {
  build_->owner = this;
  thread_ = std::thread([this] { worker(); });
}

VoicePipeline::~VoicePipeline() {
  const auto t0 = SteadyClock::now();
  stopping_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  {
    // From now on a builder that finishes drops what it built.
    std::lock_guard<std::mutex> lock(build_->mu);
    build_->owner = nullptr;
    build_->cancel.store(true);
  }
  build_->cv.notify_all();
  if (thread_.joinable()) thread_.join();  // the worker checks stopping_ between frames and decode steps
  const auto t_worker = SteadyClock::now();
  // Freeing a decoder (dictionary, generic LM) takes 0.1-0.8 s on a loaded
  // machine: a detached thread does it, owning the decoders and their models
  // (decoders first); it touches nothing else.
  {
    std::lock_guard<std::mutex> lock(build_->mu);
    ++build_->running;
  }
  struct Decoders {  // members are destroyed in reverse order: the decoders before their models
    std::shared_ptr<const VoiceModels> m1, m2;
    std::unique_ptr<RecognizerStream> s1, s2;
  };
  auto doomed = std::make_unique<Decoders>(
      Decoders{std::move(models_in_use_), std::move(pending_models_), std::move(stream_), std::move(pending_stream_)});
  std::shared_ptr<BuildState> state = build_;
  try {
    std::thread([state, doomed = std::move(doomed)]() mutable {
      doomed.reset();
      std::lock_guard<std::mutex> lock(state->mu);
      --state->running;
      state->cv.notify_all();
    }).detach();
  } catch (...) {
    // No thread (the decoders were freed with the callable): count it done.
    std::lock_guard<std::mutex> lock(state->mu);
    --state->running;
  }
  int abandoned = 0;
  {
    // Builders stop at their next cancel check; give those in a cheap stage
    // until 100 ms after the start of the stop to clean up (their model
    // directory), but never wait for a decoder load (seconds): those are left
    // to finish on their own and drop their result.
    std::unique_lock<std::mutex> lock(build_->mu);
    build_->cv.wait_until(lock, t0 + std::chrono::milliseconds(100), [&] { return build_->running == 0; });
    abandoned = build_->running;
  }
  HEARTH_LOG_INFO("voice", "voice pipeline stopped in %.0f ms (worker %.0f ms)%s", ms_between(t0, SteadyClock::now()),
                  ms_between(t0, t_worker),
                  abandoned ? "; a model build or decoder release still running was left to finish" : "");
}

void VoicePipeline::install(std::shared_ptr<const VoiceModels> models, std::unique_ptr<RecognizerStream> stream) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    models_ = models;
    // A decoder the worker has not taken yet is replaced (freed after the
    // lock, before its models).
    std::swap(pending_stream_, stream);
    std::swap(pending_models_, models);
  }
  cv_.notify_all();  // the worker takes the decoder now if idle, not at the next utterance
  stream.reset();
  models.reset();
}

void VoicePipeline::set_models(std::shared_ptr<const VoiceModels> models) {
  std::unique_ptr<RecognizerStream> stream;
  if (models && models->recognizer) stream = models->recognizer->create_stream(StreamOptions{});
  if (!stream) {
    HEARTH_LOG_ERROR("asr", "cannot open a decoder for the new models; keeping the previous ones");
    return;
  }
  install(std::move(models), std::move(stream));
}

bool VoicePipeline::models_ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return models_ != nullptr;
}

void VoicePipeline::rebuild(std::shared_ptr<const Runtime> rt) {
  // The builder copies what it reads (never the Runtime, whose bus and
  // handler belong to the event loop) and shares only `build_` with us.
  std::shared_ptr<BuildState> state = build_;
  std::shared_ptr<const Home> home = rt->home;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->cancel.load()) return;
    generation = ++state->started;
    ++state->running;
  }
  auto body = [state, home, nlu = rt->config.nlu, asr = rt->config.asr, generation] {
    try {
      auto t0 = SteadyClock::now();
      std::error_code ec;
      std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
      if (ec) tmp = "/tmp";
      auto models = build_voice_models(*home, nlu, asr, tmp.string(), false, &state->cancel);
      std::unique_ptr<RecognizerStream> stream;
      if (models && !state->cancel.load()) {
        // Open the decoder here (the slow part: seconds), not on the worker.
        stream = (*models)->recognizer->create_stream(StreamOptions{});
        if (!stream && !state->cancel.load())
          HEARTH_LOG_ERROR("asr", "cannot open a decoder for the compiled language model; keeping the previous one");
      } else if (!models && !state->cancel.load()) {
        HEARTH_LOG_ERROR("asr", "cannot compile the home's language model: %s; keeping the previous one",
                         models.error().message.c_str());
      }
      if (stream) {
        std::lock_guard<std::mutex> lock(state->mu);
        if (state->owner && !state->cancel.load() && generation > state->installed) {
          state->installed = generation;
          HEARTH_LOG_INFO("asr", "language model compiled and decoder opened: %zu words, %zu g2p (%s), in %.0f ms",
                          (*models)->lang.n_words, (*models)->lang.g2p_words.size(), (*models)->lang.dir.c_str(),
                          ms_between(t0, SteadyClock::now()));
          state->owner->install(*models, std::move(stream));
        }
      }
      // Whatever was not handed over (cancelled, superseded) is freed here:
      // the decoder first, then the models (their directory is removed).
      stream.reset();
    } catch (const std::exception& e) {
      if (!state->cancel.load()) HEARTH_LOG_ERROR("asr", "language model build failed: %s", e.what());
    }
    std::lock_guard<std::mutex> lock(state->mu);
    --state->running;
    state->cv.notify_all();
  };
  try {
    std::thread(std::move(body)).detach();
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(state->mu);
    --state->running;
    HEARTH_LOG_ERROR("asr", "cannot start the language model build: %s", e.what());
  }
}

VoicePipeline::Stats VoicePipeline::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void VoicePipeline::on_wake(const WakeEvent& ev) noexcept {
  if (voice_.wake != "wakeword") return;
  // The wake service feeds its detector every frame from the start, so its
  // stream time is our frame time. The event travels with the next frame
  // through the backlog; the worker decides (in order) whether it starts an
  // utterance.
  wake_end_frame_ = ev.end_offset.count() / 10;
}

void VoicePipeline::on_speech_start(int64_t start_ms) noexcept { (void)start_ms; }

void VoicePipeline::on_frame(const AudioFrame& frame) noexcept {
  std::span<const float> pcm = voice_.use_ns ? frame.clean : frame.raw;
  try {
    Frame f;
    f.pcm.assign(pcm.begin(), pcm.end());
    f.speech = frame.info.vad_score >= vad_threshold_;
    f.index = frame.index;
    f.wake_end_frame = wake_end_frame_;
    f.enqueued = SteadyClock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (backlog_.size() >= max_backlog_frames_) {
        // The worker is kBacklogMs behind: drop (counted; the worker logs it).
        ++stats_.dropped_frames;
        gap_ = true;
        return;
      }
      f.after_gap = gap_;
      gap_ = false;
      backlog_.push_back(std::move(f));
    }
    wake_end_frame_ = -1;
    cv_.notify_one();
  } catch (...) {
    // Allocation failure on the DSP thread: drop the frame (counted).
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.dropped_frames;
    gap_ = true;
  }
}

void VoicePipeline::take_pending() {
  std::shared_ptr<const VoiceModels> models;
  std::unique_ptr<RecognizerStream> stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pending_stream_) return;
    stream = std::move(pending_stream_);
    models = std::move(pending_models_);
  }
  stream_.reset();  // the old decoder before its models
  models_in_use_ = std::move(models);
  stream_ = std::move(stream);
  stream_used_ = false;
}

void VoicePipeline::worker() {
  std::deque<Frame> batch;
  for (;;) {
    uint64_t dropped = 0;
    size_t behind = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !backlog_.empty() || (!active_ && pending_stream_); });
      if (stop_) return;
      batch.swap(backlog_);
      behind = batch.size();
      dropped = stats_.dropped_frames;
    }
    if (dropped != logged_dropped_) {
      HEARTH_LOG_WARN("voice", "the recognizer fell %.1f s behind the audio: %llu frame(s) (%.1f s of audio) dropped so far",
                      static_cast<double>(behind) / 100.0, static_cast<unsigned long long>(dropped),
                      static_cast<double>(dropped) / 100.0);
      logged_dropped_ = dropped;
    }
    if (!active_) take_pending();  // a new decoder between utterances
    while (!batch.empty()) {
      if (stopping_.load()) return;
      Frame f = std::move(batch.front());
      batch.pop_front();
      if (active_) {
        const std::vector<uint8_t> speech{static_cast<uint8_t>(f.speech ? 1 : 0)};
        feed(f.pcm, speech, f.enqueued);
      } else {
        idle_frame(std::move(f));
      }
    }
  }
}

void VoicePipeline::idle_frame(Frame f) {
  const size_t max_pre = static_cast<size_t>(std::max(1, voice_.pre_roll_ms / 10));
  if (f.after_gap) pre_roll_.clear();  // not contiguous with what came before
  const bool speech = f.speech;
  const int64_t index = f.index, wake_end = f.wake_end_frame;
  pre_roll_.push_back(std::move(f));
  while (pre_roll_.size() > max_pre) pre_roll_.pop_front();
  size_t keep = 0;  // pre-roll frames handed to the recognizer
  bool start = false;
  if (voice_.wake == "wakeword" && wake_end >= 0) {
    // The frames from just after the wake word (those in the pre-roll).
    keep = static_cast<size_t>(std::clamp<int64_t>(index - wake_end + 1, 1, static_cast<int64_t>(pre_roll_.size())));
    start = true;
  } else if (voice_.wake == "none" && speech && armed_) {
    keep = std::min<size_t>(pre_roll_.size(), 30);  // 300 ms before the onset
    start = true;
  }
  if (voice_.wake == "none" && !speech) {
    if (++quiet_frames_ >= 30) armed_ = true;
  } else if (speech) {
    quiet_frames_ = 0;
  }
  if (!start) return;
  armed_ = false;
  std::deque<Frame> head(std::make_move_iterator(pre_roll_.end() - static_cast<std::ptrdiff_t>(keep)),
                         std::make_move_iterator(pre_roll_.end()));
  pre_roll_.clear();
  begin_utterance(std::move(head));
}

void VoicePipeline::begin_utterance(std::deque<Frame> head) {
  take_pending();
  if (!stream_) {
    // Speech before the first language model is ready (daemon start): wait
    // for it; the audio keeps queuing in the backlog meanwhile.
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(30), [&] { return stop_ || pending_stream_ != nullptr; });
      if (stop_) return;
    }
    take_pending();
    if (!stream_) {
      if (!warned_no_models_)
        HEARTH_LOG_WARN("voice", "no language model after 30 s; an utterance was dropped");
      warned_no_models_ = true;
      return;
    }
  }
  if (stream_used_) stream_->reset();
  stream_used_ = true;
  ep_.reset(false);
  active_ = true;
  last_partial_.clear();
  pause_.reset();
  n_since_decode_ = 0;
  frames_in_utt_ = 0;
  last_speech_frame_ = -1;
  std::vector<float> pcm;
  std::vector<uint8_t> speech;
  pcm.reserve(head.size() * kFrameSamples);
  for (const Frame& f : head) {
    pcm.insert(pcm.end(), f.pcm.begin(), f.pcm.end());
    speech.push_back(f.speech ? 1 : 0);
  }
  feed(pcm, speech, head.empty() ? SteadyClock::now() : head.back().enqueued);
}

void VoicePipeline::feed(std::span<const float> pcm, const std::vector<uint8_t>& speech, SteadyClock::time_point enqueued) {
  stream_->accept(pcm);
  bool ended = false;
  for (uint8_t s : speech) {
    ++frames_in_utt_;
    if (s) last_speech_frame_ = frames_in_utt_;
    if (ep_.push(s != 0) == Endpointer::Event::kEnd) {
      ended = true;
      break;
    }
    pause_.on_frame(*stream_, ep_, s != 0);
  }
  if (!ended && ep_.early_candidate() && !speech.empty() && !speech.back()) {
    // Recognizer state: end early when the words so far already make a command.
    std::shared_ptr<const TemplateParser> parser = deps_.parser ? deps_.parser() : nullptr;
    const EndOfSentenceModel* ends = models_in_use_ ? &models_in_use_->ends : nullptr;
    auto complete = [&](const std::string& text, double floor) {
      return parser && is_complete_command(*parser, text, ends, floor);
    };
    if (stream_->is_ready()) (void)stream_->decode();
    if (pause_.end_early(*stream_, ep_, complete)) {
      ep_.end_early();
      ended = true;
    }
  }
  n_since_decode_ += static_cast<int64_t>(speech.size());
  if (!ended && n_since_decode_ >= 10) {
    n_since_decode_ = 0;
    if (stream_->is_ready() && stream_->decode()) {
      Transcript p = stream_->result();
      if (!p.text.empty() && p.text != last_partial_ && deps_.events) {
        last_partial_ = p.text;
        deps_.events->publish(event_type::kTranscriptPartial, {{"text", p.text}});
      }
    }
  }
  if (ended) finish_utterance(enqueued);
}

void VoicePipeline::finish_utterance(SteadyClock::time_point enqueued) {
  active_ = false;
  // Segmenting resumes with the frames after the endpoint. An utterance that
  // ended in silence (silence, early, no speech) is a boundary: the next
  // speech onset starts a new segment at once (wake "none": a command said
  // right after this one is not lost). One cut at max_length waits for 300 ms
  // of quiet first, so the rest of a long monologue is not taken as commands.
  const int64_t trailing = last_speech_frame_ >= 0 ? frames_in_utt_ - last_speech_frame_ : frames_in_utt_;
  quiet_frames_ = static_cast<int>(std::min<int64_t>(trailing, 1000));
  armed_ = ep_.reason() != Endpointer::Reason::kMaxLength || quiet_frames_ >= 30;
  pre_roll_.clear();
  // `enqueued`: when the frame that ended the utterance reached the backlog,
  // so the latency includes any time it waited there.
  const double hangover_ms = last_speech_frame_ >= 0 ? static_cast<double>(trailing) * 10 : 0;
  if (stream_->is_ready()) (void)stream_->decode();
  stream_->input_finished();
  while (stream_->is_ready())
    if (stopping_.load() || !stream_->decode()) break;
  if (stopping_.load()) return;
  Transcript t = stream_->result();
  const auto t_transcript = SteadyClock::now();
  VoiceLatency lat;
  lat.end_of_speech_to_transcript = hangover_ms + ms_between(enqueued, t_transcript);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.utterances;
  }
  if (ep_.reason() == Endpointer::Reason::kNoSpeech || t.text.empty()) {
    if (deps_.events)
      deps_.events->publish(event_type::kTranscript, {{"text", ""}, {"confidence", 0}, {"words", nlohmann::json::array()},
                                                      {"endpoint", std::string(endpoint_reason_name(ep_.reason()))}});
    return;
  }
  const char* final_pass = t.speculative ? "speculative" : t.batch_pass ? "batch" : "streaming";
  HEARTH_LOG_INFO("voice", "utterance '%s': %s endpoint, %s final pass, end of speech -> transcript %.0f ms",
                  t.text.c_str(), std::string(endpoint_reason_name(ep_.reason())).c_str(), final_pass,
                  lat.end_of_speech_to_transcript);
  if (deps_.events)
    deps_.events->publish(event_type::kTranscript,
                          {{"text", t.text}, {"confidence", std::round(t.confidence * 1000) / 1000},
                           {"words", words_json(t)},
                           {"endpoint", std::string(endpoint_reason_name(ep_.reason()))},
                           {"final_pass", final_pass}});
  std::shared_ptr<const TemplateParser> parser = deps_.parser ? deps_.parser() : nullptr;
  if (!parser) return;
  Understanding u = understand(t, *parser, asr_.min_confidence);
  const auto t_intent = SteadyClock::now();
  lat.to_intent = ms_between(t_transcript, t_intent);
  nlohmann::json intent_ev = {{"text", u.text},
                              {"confidence", u.parse.confidence},
                              {"source", u.parse.source},
                              {"asr_confidence", std::round(t.confidence * 1000) / 1000}};
  if (u.parse.intent) {
    intent_ev["intent"] = u.parse.intent->name;
    nlohmann::json slots = nlohmann::json::parse(parse_result_to_json(u.parse), nullptr, false);
    intent_ev["slots"] = slots.is_object() && slots.contains("intent") && slots["intent"].is_object()
                             ? slots["intent"]["slots"]
                             : nlohmann::json::object();
  } else {
    intent_ev["intent"] = nullptr;
    intent_ev["slots"] = nlohmann::json::object();
  }
  if (!u.parse.intent && !stopping_.load()) {
    // Not understood: the open-vocabulary text for whoever reads further
    // (the LLM path); off the fast path, only for rejected utterances.
    intent_ev["open_text"] = stream_->decode_open();
  }
  if (deps_.events) deps_.events->publish(event_type::kIntent, intent_ev);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (u.parse.intent) ++stats_.understood;
    else ++stats_.rejected;
  }
  if (!u.parse.intent || !deps_.run_command) return;
  // The utterance is done; the command runs on the event loop.
  const bool tts = voice_.confirm_tts;
  const std::string tts_voice = voice_.tts_voice;
  deps_.run_command(std::move(u.parse), u.text, lat, [tts, tts_voice](bool ok, std::string response) {
    (void)ok;
    if (!tts || response.empty()) return;
    // Spoken confirmation: a detached espeak-ng process (never blocks the loop).
    std::thread([tts_voice, response] {
      std::string cmd = "espeak-ng -v '" + tts_voice + "' -- '";
      for (char ch : response) cmd += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      cmd += "' >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) HEARTH_LOG_WARN("voice", "espeak-ng confirmation failed");
    }).detach();
  });
}

// ------------------------------------------------------------ daemon glue

namespace {

EventRecord voice_action_event(const ActionResult& r, const ValueMap& params, std::chrono::system_clock::time_point t) {
  EventRecord e;
  e.time = t;
  e.device_id = r.device_id;
  e.kind = "action";
  e.attribute = r.action;
  e.new_value = value_map_to_json(params).dump();
  e.origin = "voice";
  e.result = r.status ? "ok" : std::string(code_name(r.status.error().code));
  return e;
}

}  // namespace

std::unique_ptr<VoicePipeline> make_voice_pipeline(AppContext& app, std::shared_ptr<const Runtime> rt) {
  const DaemonConfig& cfg = rt->config;
  if (!cfg.voice.enabled || cfg.asr.backend == "none") return nullptr;
  VoicePipelineDeps deps;
  deps.events = &app.events();
  deps.parser = [&app]() -> std::shared_ptr<const TemplateParser> {
    std::shared_ptr<const Runtime> now = app.runtime();
    if (!now || !now->parser) return nullptr;
    return std::shared_ptr<const TemplateParser>(now, now->parser.get());
  };
  deps.run_command = [&app](ParseResult parsed, std::string transcript, VoiceLatency lat,
                            std::function<void(bool, std::string)> done) {
    boost::asio::post(app.executor(), [&app, parsed = std::move(parsed), transcript = std::move(transcript), lat,
                                       done = std::move(done)]() mutable {
      std::shared_ptr<const Runtime> rt = app.runtime();
      app.counters().commands.fetch_add(1);
      const auto arrived = app.clock().now();
      const auto started = app.clock().steady_now();
      ParseResult copy = parsed;
      rt->handler->async_handle(std::move(copy), "voice", [rt, &app, parsed, transcript, lat, arrived, started,
                                                           done = std::move(done)](CommandOutcome outcome) mutable {
        const double to_action = std::chrono::duration<double, std::milli>(app.clock().steady_now() - started).count();
        if (!outcome.ok) app.counters().commands_failed.fetch_add(1);
        app.counters().device_actions.fetch_add(outcome.results.size());
        nlohmann::json slots = parsed.intent ? value_map_to_json(parsed.intent->slots) : nlohmann::json::object();
        std::vector<EventRecord> events;
        for (size_t i = 0; i < outcome.results.size(); ++i) {
          const ActionResult& r = outcome.results[i];
          events.push_back(voice_action_event(r, outcome.commands[i].params, arrived));
          nlohmann::json ev = {{"device", r.device_id}, {"action", r.action},
                               {"params", value_map_to_json(outcome.commands[i].params)}, {"ok", static_cast<bool>(r.status)},
                               {"origin", "voice"}};
          if (!r.status) ev["error"] = r.status.error().message;
          app.events().publish(event_type::kAction, ev);
        }
        const double total = lat.end_of_speech_to_transcript + lat.to_intent + to_action;
        // The history schema has one latency per command (latency_us: end of
        // speech → action done); the stage split goes to the log. (History
        // accepts only "action"/"state" events: a separate stage-latency row
        // would make it drop the whole batch, command included.)
        CommandRecord record;
        record.time = arrived;
        record.text = transcript;
        record.intent = parsed.intent ? parsed.intent->name : std::string();
        record.slots_json = slots.dump();
        record.targets_json = nlohmann::json(parsed.targets).dump();
        record.source = parsed.source;
        record.origin = "voice";
        record.confidence = parsed.confidence;
        record.latency_us = static_cast<int64_t>(total * 1000);
        record.ok = outcome.ok;
        record.response = outcome.response;
        app.history().record_command(std::move(record), std::move(events));
        HEARTH_LOG_INFO("voice", "'%s' → %s: %s (end of speech → action %.0f ms: transcript %.0f, intent %.1f, action %.1f)",
                        transcript.c_str(), parsed.intent ? parsed.intent->name.c_str() : "not understood",
                        outcome.response.c_str(), total, lat.end_of_speech_to_transcript, lat.to_intent, to_action);
        if (done) done(outcome.ok, outcome.response);
      });
    });
  };
  auto vp = std::make_unique<VoicePipeline>(cfg.voice, cfg.asr, cfg.audio.vad.threshold, std::move(deps));
  vp->rebuild(rt);
  return vp;
}

}  // namespace hearth
