// The voice pipeline: models (LM compiled from the home), understand(),
// offline decoding for the CLI, and the daemon's streaming VoicePipeline.

#include "voice_pipeline.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
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
                                                              bool baseline) {
  auto models = std::make_shared<VoiceModels>();
  if (baseline) {
    auto rec = make_pocketsphinx_recognizer(asr, nullptr);
    if (!rec) return rec.error();
    models->recognizer = std::move(*rec);
    return std::shared_ptr<const VoiceModels>(std::move(models));
  }
  SentenceSampleOptions opt;
  opt.n_sentences = asr.lm_sentences;
  auto lang = sample_command_language(home, nlu, opt);
  if (!lang) return lang.error().with_context("asr: sampling the command language");
  models->dir = cache_root + "/hearth-asr-" + std::to_string(::getpid()) + "-" + std::to_string(++g_model_counter);
  auto compiled = compile_language_model(lang->sentences, home, asr, models->dir);
  if (!compiled) return compiled.error();
  models->lang = *compiled;
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

bool is_complete_command(const TemplateParser& parser, const std::string& text) {
  if (text.empty()) return false;
  ParseResult p = parser.parse(text);
  return p.intent && !p.problem;
}

Result<OfflineUtterance> decode_utterance(RecognizerStream& stream, std::span<const float> pcm, int64_t start_sample,
                                          const AsrConfig& asr, bool use_ns, float vad_threshold,
                                          const std::function<bool(const std::string&)>& complete) {
  NsConfig ns;
  ns.enabled = use_ns;
  auto fe = SpeechFrontEnd::create(ns, VadConfig{});
  if (!fe) return fe.error();
  Endpointer ep(asr.endpoint);
  OfflineUtterance out;
  std::vector<float> in(kFrameSamples), clean(kFrameSamples), pad;
  const int64_t latency_frames = kStftLatency / kFrameSamples + 1;  // front end delay, rounded up
  const int64_t n_frames = static_cast<int64_t>(pcm.size()) / kFrameSamples + latency_frames;
  bool ended = false;
  std::string last_checked;  // the partial the early endpoint last asked about
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
    if (!end && complete && ep.early_candidate() && !speech) {
      // Recognizer state: the words so far already make a command.
      if (stream.is_ready()) HEARTH_TRY(stream.decode());
      const std::string partial = stream.result().text;
      if (partial != last_checked && complete(partial)) {
        ep.end_early();
        end = true;
      }
      last_checked = partial;
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
  return out;
}

// ---------------------------------------------------------------- daemon

VoicePipeline::VoicePipeline(const VoiceConfig& voice, const AsrConfig& asr, float vad_threshold, VoicePipelineDeps deps)
    : voice_(voice), asr_(asr), vad_threshold_(vad_threshold), deps_(std::move(deps)) {
  thread_ = std::thread([this] { worker(); });
}

VoicePipeline::~VoicePipeline() {
  {
    std::lock_guard<std::mutex> lock(build_mu_);
    for (std::thread& t : builders_)
      if (t.joinable()) t.join();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void VoicePipeline::set_models(std::shared_ptr<const VoiceModels> models) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    models_ = std::move(models);
  }
  cv_.notify_all();  // the worker opens its decoder now, not at the next utterance
}

bool VoicePipeline::models_ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return models_ != nullptr;
}

void VoicePipeline::rebuild(std::shared_ptr<const Runtime> rt) {
  std::lock_guard<std::mutex> lock(build_mu_);
  builders_.emplace_back([this, rt] {
    auto t0 = SteadyClock::now();
    auto models = build_voice_models(*rt->home, rt->config.nlu, rt->config.asr,
                                     std::filesystem::temp_directory_path().string());
    if (!models) {
      HEARTH_LOG_ERROR("asr", "cannot compile the home's language model: %s; keeping the previous one",
                       models.error().message.c_str());
      return;
    }
    HEARTH_LOG_INFO("asr", "language model compiled: %zu words, %zu g2p (%s), in %.0f ms", (*models)->lang.n_words,
                    (*models)->lang.g2p_words.size(), (*models)->lang.dir.c_str(), ms_between(t0, SteadyClock::now()));
    set_models(std::move(*models));
  });
}

VoicePipeline::Stats VoicePipeline::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void VoicePipeline::on_wake(const WakeEvent& ev) noexcept {
  if (voice_.wake != "wakeword" || capturing_ || busy_.load()) return;
  // The wake service feeds its detector every frame from the start, so its
  // stream time is our frame time: keep the pre-roll frames after the word.
  wake_end_frame_ = ev.end_offset.count() / 10;
}

void VoicePipeline::on_speech_start(int64_t start_ms) noexcept { (void)start_ms; }

void VoicePipeline::on_frame(const AudioFrame& frame) noexcept {
  const bool speech = frame.info.vad_score >= vad_threshold_;
  std::span<const float> pcm = voice_.use_ns ? frame.clean : frame.raw;
  const size_t max_pre = static_cast<size_t>(std::max(1, voice_.pre_roll_ms / 10));
  try {
    if (!capturing_) {
      pre_roll_.emplace_back(std::vector<float>(pcm.begin(), pcm.end()), speech ? 1 : 0);
      while (pre_roll_.size() > max_pre) pre_roll_.pop_front();
      bool start = false;
      size_t keep = 0;  // pre-roll frames handed over
      if (voice_.wake == "wakeword" && wake_end_frame_ >= 0) {
        keep = static_cast<size_t>(std::clamp<int64_t>(frame.index - wake_end_frame_ + 1, 1,
                                                       static_cast<int64_t>(pre_roll_.size())));
        wake_end_frame_ = -1;
        start = !busy_.load();
      } else if (voice_.wake == "none" && speech && !busy_.load()) {
        if (armed_) {
          keep = std::min<size_t>(pre_roll_.size(), 30);  // 300 ms before the onset
          start = true;
        }
      }
      if (voice_.wake == "none" && !speech) {
        if (++quiet_frames_ >= 30) armed_ = true;
      } else if (speech) {
        quiet_frames_ = 0;
      }
      if (!start) return;
      Chunk c;
      c.start = true;
      c.frame_index = frame.index - static_cast<int64_t>(keep) + 1;
      c.enqueued = SteadyClock::now();
      for (size_t i = pre_roll_.size() - keep; i < pre_roll_.size(); ++i) {
        c.pcm.insert(c.pcm.end(), pre_roll_[i].first.begin(), pre_roll_[i].first.end());
        c.speech.push_back(pre_roll_[i].second);
      }
      pre_roll_.clear();
      capturing_ = true;
      armed_ = false;
      busy_.store(true);
      capture_frames_ = static_cast<int64_t>(keep);
      {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(c));
      }
      cv_.notify_one();
      return;
    }
    // Capturing: forward every frame until the worker says the utterance ended.
    if (!busy_.load() || capture_frames_ > asr_.endpoint.max_utterance_ms / 10 + 200) {
      capturing_ = false;
      quiet_frames_ = 0;
      return;
    }
    ++capture_frames_;
    Chunk c;
    c.frame_index = frame.index;
    c.enqueued = SteadyClock::now();
    c.pcm.assign(pcm.begin(), pcm.end());
    c.speech.push_back(speech ? 1 : 0);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.size() > 2000) {  // worker stalled (20 s behind): drop rather than grow
        ++stats_.dropped_frames;
        return;
      }
      queue_.push_back(std::move(c));
    }
    cv_.notify_one();
  } catch (...) {
    // Allocation failure on the DSP thread: drop the frame.
  }
}

void VoicePipeline::worker() {
  std::shared_ptr<const VoiceModels> models;
  std::unique_ptr<RecognizerStream> stream;
  const Recognizer* stream_owner = nullptr;
  Endpointer ep(asr_.endpoint);
  bool active = false;
  std::string last_partial, last_checked;
  int64_t n_since_decode = 0;
  int64_t frames_in_utt = 0, last_speech_frame = -1;
  for (;;) {
    Chunk c;
    bool prepare = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty() || (!active && models_ && models_ != models); });
      if (stop_) return;
      if (queue_.empty()) {
        // New models while idle: open the decoder ahead of the next utterance
        // (loading it takes seconds; not on the command's clock).
        models = models_;
        prepare = true;
      } else {
        c = std::move(queue_.front());
        queue_.pop_front();
        if (c.start) {
          // Speech before the first language model is ready (daemon start):
          // hold it (the queue keeps the audio) rather than drop it.
          cv_.wait_for(lock, std::chrono::seconds(30), [&] { return stop_ || models_ != nullptr; });
          if (stop_) return;
          models = models_;
        }
      }
    }
    if (prepare) {
      if (models && models->recognizer && stream_owner != models->recognizer.get()) {
        stream = models->recognizer->create_stream(StreamOptions{});
        stream_owner = models->recognizer.get();
      }
      continue;
    }
    if (c.start) {
      active = false;
      if (!models || !models->recognizer) {
        busy_.store(false);
        continue;
      }
      if (stream_owner != models->recognizer.get() || !stream) {
        stream = models->recognizer->create_stream(StreamOptions{});
        stream_owner = models->recognizer.get();
      } else {
        stream->reset();
      }
      if (!stream) {
        busy_.store(false);
        continue;
      }
      ep.reset(false);
      active = true;
      last_partial.clear();
      last_checked.clear();
      n_since_decode = 0;
      frames_in_utt = 0;
      last_speech_frame = -1;
    }
    if (!active) continue;
    stream->accept(c.pcm);
    bool ended = false;
    for (uint8_t s : c.speech) {
      ++frames_in_utt;
      if (s) last_speech_frame = frames_in_utt;
      if (ep.push(s != 0) == Endpointer::Event::kEnd) {
        ended = true;
        break;
      }
    }
    if (!ended && ep.early_candidate() && !c.speech.empty() && !c.speech.back()) {
      // Recognizer state: end early when the words so far already make a command.
      if (stream->is_ready()) (void)stream->decode();
      const std::string partial = stream->result().text;
      if (partial != last_checked) {
        last_checked = partial;
        std::shared_ptr<const TemplateParser> parser = deps_.parser ? deps_.parser() : nullptr;
        if (parser && is_complete_command(*parser, partial)) {
          ep.end_early();
          ended = true;
        }
      }
    }
    n_since_decode += static_cast<int64_t>(c.speech.size());
    if (!ended && n_since_decode >= 10) {
      n_since_decode = 0;
      if (stream->is_ready() && stream->decode()) {
        Transcript p = stream->result();
        if (!p.text.empty() && p.text != last_partial && deps_.events) {
          last_partial = p.text;
          deps_.events->publish(event_type::kTranscriptPartial, {{"text", p.text}});
        }
      }
    }
    if (!ended) continue;
    active = false;
    // End of utterance.
    const double hangover_ms = last_speech_frame >= 0 ? static_cast<double>(frames_in_utt - last_speech_frame) * 10 : 0;
    if (stream->is_ready()) (void)stream->decode();
    stream->input_finished();
    while (stream->is_ready())
      if (!stream->decode()) break;
    Transcript t = stream->result();
    const auto t_transcript = SteadyClock::now();
    VoiceLatency lat;
    lat.end_of_speech_to_transcript = hangover_ms + ms_between(c.enqueued, t_transcript);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.utterances;
    }
    if (ep.reason() == Endpointer::Reason::kNoSpeech || t.text.empty()) {
      busy_.store(false);
      if (deps_.events)
        deps_.events->publish(event_type::kTranscript, {{"text", ""}, {"confidence", 0}, {"words", nlohmann::json::array()},
                                                        {"endpoint", std::string(endpoint_reason_name(ep.reason()))}});
      continue;
    }
    if (deps_.events)
      deps_.events->publish(event_type::kTranscript,
                            {{"text", t.text}, {"confidence", std::round(t.confidence * 1000) / 1000},
                             {"words", words_json(t)},
                             {"endpoint", std::string(endpoint_reason_name(ep.reason()))}});
    std::shared_ptr<const TemplateParser> parser = deps_.parser ? deps_.parser() : nullptr;
    if (!parser) {
      busy_.store(false);
      continue;
    }
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
    if (!u.parse.intent) {
      // Not understood: the open-vocabulary text for whoever reads further
      // (the LLM path); off the fast path, only for rejected utterances.
      intent_ev["open_text"] = stream->decode_open();
    }
    if (deps_.events) deps_.events->publish(event_type::kIntent, intent_ev);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (u.parse.intent) ++stats_.understood;
      else ++stats_.rejected;
    }
    if (!u.parse.intent || !deps_.run_command) {
      busy_.store(false);
      continue;
    }
    // The utterance is done; the command runs on the event loop.
    busy_.store(false);
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
