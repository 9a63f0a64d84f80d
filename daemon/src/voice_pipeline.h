// daemon/src/voice_pipeline.h: wake → recognizer → intent → device bus, in
// hearthd (VoicePipeline, an AudioFrameConsumer) and in the `hearth
// transcribe|pipeline` CLI (the same VoiceModels and understand()).
//
// Threads: on_frame()/on_wake() run on the DSP thread and only copy every
// frame (with its VAD decision and any wake event) into a bounded backlog
// (kBacklogMs of audio; overflow is counted in Stats::dropped_frames and
// logged). One worker thread reads the backlog in order: it segments (wake
// event or speech onset, with a pre-roll of recent frames so that speech
// right after the wake word reaches the recognizer), owns the recognizer
// stream and the endpointer, and decodes. Audio that arrives while the worker
// finishes an utterance (final decode, intent) waits in the backlog and is
// segmented after it, so a command said right after another is not lost.
// Results are published on the EventHub and the intent is posted to the
// event loop, which runs it through the same path as POST /api/v1/command
// (run_command). Language models and their decoders are built on detached
// builder threads that share only their own state with the pipeline, so the
// destructor never waits for a model compile or a decoder load.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "audio_loop.h"
#include "hearth/asr/asr.h"
#include "hearth/daemon/config.h"
#include "hearth/nlu/nlu.h"
#include "hearth/wakeword/wakeword.h"

namespace hearth {

class EventHub;
class AppContext;
struct Runtime;

// Per-stage latencies of one voice command (ms).
struct VoiceLatency {
  double end_of_speech_to_transcript = 0;  // endpoint hangover + final decode
  double to_intent = 0;                    // transcript → parsed intent
  double to_action = 0;                    // intent → bus commands done (or planned, in the CLI)
};

// The language model compiled from the home + the recognizer over it.
// Immutable once built; rebuilt on SIGHUP / home change.
struct VoiceModels {
  CompiledLanguage lang;
  EndOfSentenceModel ends;  // over the sentences `lang` was compiled from (empty for the baseline)
  std::unique_ptr<Recognizer> recognizer;
  std::string dir;  // removed by the destructor
  ~VoiceModels();
};

// Samples the command language from nlu's templates (+ custom sentences),
// compiles it with the home's names into `cache_root`/<unique>/ and makes the
// PocketSphinx recognizer. `baseline`: the stock generic LM instead (bench).
// `cancel` (optional): checked between the stages; when set, the build stops
// with Code::kCancelled (the daemon's shutdown). Model directories left by
// processes that died mid-build (hearth-asr-<pid>-*, pid gone) are removed.
Result<std::shared_ptr<const VoiceModels>> build_voice_models(const Home& home, const NluConfig& nlu,
                                                              const AsrConfig& asr, const std::string& cache_root,
                                                              bool baseline = false,
                                                              const std::atomic<bool>* cancel = nullptr);

// A final transcript read through the template grammar: the first n-best
// alternative that parses is taken (n-best rescoring with the intent
// grammar); below `min_confidence` nothing is understood.
struct Understanding {
  std::string text;       // the text acted on ("" when nothing was heard)
  ParseResult parse;      // parse.intent == nullopt: not understood
  bool low_confidence = false;
  int nbest_rank = -1;    // which alternative parsed (0 = best), -1 none
};
Understanding understand(const Transcript& t, const TemplateParser& parser, float min_confidence);

// Decodes a whole 16 kHz signal the way the daemon does: the speech front end
// (NS optional) gives per-frame VAD decisions, the Endpointer ends the
// utterance, the recognizer is fed frame by frame. `start_frame`: where the
// command starts (after the wake word), audio before it is ignored.
struct OfflineUtterance {
  Transcript transcript;
  int64_t end_of_speech_ms = -1;   // input time of the last speech frame
  int64_t endpoint_ms = -1;        // input time the endpointer fired (or the audio ended)
  std::string endpoint_reason;     // silence | early | max_length | no_speech | end_of_audio
  double finalize_ms = 0;          // decode time after the endpoint
  std::string early_partial;       // the last partial the early endpoint asked about ("" none)
};
// The recording is followed by (hangover + 100 ms of) digital silence, as a
// live input would be, so "end_of_audio" means the endpointer never fired.
// `complete` (optional): the early endpoint's question, "is this partial
// transcript a complete command that ends here at least this often (the
// floor, Endpointer::early_end_floor())?" (the daemon and CLI ask the
// template grammar and the EndOfSentenceModel: is_complete_command()).
Result<OfflineUtterance> decode_utterance(RecognizerStream& stream, std::span<const float> pcm, int64_t start_sample,
                                          const AsrConfig& asr, bool use_ns, float vad_threshold,
                                          const std::function<bool(const std::string&, double)>& complete = {});
// What the recognizer does at the speaker's pauses, frame by frame, shared
// by decode_utterance() and the daemon: a speculative final pass once
// `speculate_after_ms` of silence have passed (dropped when speech resumes),
// and the early endpoint's question about the partial transcript.
class PauseActions {
 public:
  using CompleteFn = std::function<bool(const std::string& text, double min_end_probability)>;
  explicit PauseActions(const EndpointConfig& cfg) : speculate_after_ms_(cfg.speculate_after_ms) {}
  void reset() {
    speculating_ = false;
    last_checked_.clear();
    last_floor_ = -1;
  }
  // After `ep` took a frame that did not end the utterance.
  void on_frame(RecognizerStream& stream, const Endpointer& ep, bool speech);
  // At a silent frame where ep.early_candidate(), after the caller decoded
  // what is pending: asks `complete` about the partial at the floor
  // ep.early_end_floor() (again only when either changed); true = end now.
  // `asked` (optional) receives the partial asked about.
  bool end_early(const RecognizerStream& stream, const Endpointer& ep, const CompleteFn& complete,
                 std::string* asked = nullptr);

 private:
  int speculate_after_ms_;
  bool speculating_ = false;  // a speculative final pass covers this pause
  std::string last_checked_;  // the partial end_early() last asked about
  double last_floor_ = -1;    // ... and the floor it asked with
};

// The early-endpoint test: `text` parses into an intent with no problem and
// (with `ends` and a `min_end_probability` above 0) the command language
// ends a sentence after its last words at least that often.
bool is_complete_command(const TemplateParser& parser, const std::string& text, const EndOfSentenceModel* ends = nullptr,
                         double min_end_probability = 0.0);


// What the daemon gives the pipeline; everything must outlive it.
struct VoicePipelineDeps {
  EventHub* events = nullptr;
  // Runs a parsed command like POST /api/v1/command (origin "voice") and
  // records it in history with the transcript and latencies; called on the
  // worker thread, must only post. `done(ok, response)` may run on any thread.
  std::function<void(ParseResult parsed, std::string transcript, VoiceLatency latency,
                     std::function<void(bool ok, std::string response)> done)>
      run_command;
  // The current parser (rebuilt with the config); may return null.
  std::function<std::shared_ptr<const TemplateParser>()> parser;
};

class VoicePipeline final : public AudioFrameConsumer {
 public:
  VoicePipeline(const VoiceConfig& voice, const AsrConfig& asr, float vad_threshold, VoicePipelineDeps deps);
  // Stops the worker (it checks between frames and decode steps) and cancels
  // running builds without waiting for them (they own what they touch).
  ~VoicePipeline() override;

  // Audio the backlog holds at most (the worker this far behind: frames are dropped).
  static constexpr int kBacklogMs = 30000;

  // Any thread: swaps in new models (opens their decoder on the calling
  // thread, which takes seconds); the next utterance uses them.
  void set_models(std::shared_ptr<const VoiceModels> models);
  // Compiles the language of `rt` (home + custom sentences) and opens its
  // decoder on a background thread, and swaps them in when done (SIGHUP,
  // home change). Speech before the first build finishes waits for it in the
  // backlog (up to 30 s).
  void rebuild(std::shared_ptr<const Runtime> rt);
  bool models_ready() const;
  // Any thread: the current models (null until the first build), shared
  // with others that decode with the same recognizer (the Wyoming server).
  std::shared_ptr<const VoiceModels> models() const {
    std::lock_guard<std::mutex> lock(mu_);
    return models_;
  }
  // DSP thread (the wake service's callback): a wake word ended at `ev`.
  void on_wake(const WakeEvent& ev) noexcept;

  void on_frame(const AudioFrame& frame) noexcept override;
  void on_speech_start(int64_t start_ms) noexcept override;

  struct Stats {
    uint64_t utterances = 0, understood = 0, rejected = 0;
    uint64_t dropped_frames = 0;  // 10 ms frames not queued: the backlog was full (kBacklogMs behind)
  };
  Stats stats() const;

 private:
  struct Frame {
    std::vector<float> pcm;       // one 10 ms frame
    bool speech = false;          // raw VAD decision
    bool after_gap = false;       // frames were dropped (backlog full) just before this one
    int64_t index = 0;            // the audio loop's frame index
    int64_t wake_end_frame = -1;  // wake "wakeword": a wake word ended at this frame index
    std::chrono::steady_clock::time_point enqueued;  // when the DSP thread queued it
  };
  struct BuildState;  // shared with the builder threads, which may outlive the pipeline

  void install(std::shared_ptr<const VoiceModels> models, std::unique_ptr<RecognizerStream> stream);
  void worker();
  // Worker thread:
  void take_pending();
  void idle_frame(Frame f);
  void begin_utterance(std::deque<Frame> head);
  void feed(std::span<const float> pcm, const std::vector<uint8_t>& speech,
            std::chrono::steady_clock::time_point enqueued);
  void finish_utterance(std::chrono::steady_clock::time_point enqueued);

  VoiceConfig voice_;
  AsrConfig asr_;
  float vad_threshold_;
  VoicePipelineDeps deps_;
  size_t max_backlog_frames_;

  // DSP thread only:
  int64_t wake_end_frame_ = -1;  // set by on_wake, attached to the next frame
  bool gap_ = false;             // a frame was dropped since the last one queued

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Frame> backlog_;                 // DSP thread → worker, in order
  std::shared_ptr<const VoiceModels> models_;  // the newest models (for models())
  std::shared_ptr<const VoiceModels> pending_models_;     // built, not yet taken by the worker
  std::unique_ptr<RecognizerStream> pending_stream_;      // their decoder
  bool stop_ = false;
  std::atomic<bool> stopping_{false};  // stop_, read without the lock in long loops
  Stats stats_;

  // Worker thread only (the stream refers to its models: declared after them).
  std::shared_ptr<const VoiceModels> models_in_use_;
  std::unique_ptr<RecognizerStream> stream_;
  bool stream_used_ = false;
  Endpointer ep_;
  bool active_ = false;  // inside an utterance
  std::deque<Frame> pre_roll_;  // recent frames while idle
  bool armed_ = true;    // wake "none": a new segment may start (after 300 ms of quiet)
  int quiet_frames_ = 0;
  std::string last_partial_;
  int64_t n_since_decode_ = 0, frames_in_utt_ = 0, last_speech_frame_ = -1;
  PauseActions pause_;
  uint64_t logged_dropped_ = 0;
  bool warned_no_models_ = false;

  std::shared_ptr<BuildState> build_;
  std::thread thread_;
};

// The daemon's wiring: a pipeline whose commands run through the runtime's
// IntentHandler (the path of POST /api/v1/command, origin "voice") and land in
// history with the transcript and a "voice" event holding the stage
// latencies. Returns null when voice.enabled is false or asr.backend is "none".
std::unique_ptr<VoicePipeline> make_voice_pipeline(AppContext& app, std::shared_ptr<const Runtime> rt);

}  // namespace hearth
