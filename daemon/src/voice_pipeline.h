// daemon/src/voice_pipeline.h: wake → recognizer → intent → device bus, in
// hearthd (VoicePipeline, an AudioFrameConsumer) and in the `hearth
// transcribe|pipeline` CLI (the same VoiceModels and understand()).
//
// Threads: on_frame()/on_wake() run on the DSP thread and only copy audio into
// a queue (a pre-roll ring of recent frames is kept so that speech right after
// the wake word reaches the recognizer); one worker thread owns the
// recognizer stream and the endpointer and decodes; results are published on
// the EventHub and the intent is posted to the event loop, which runs it
// through the same path as POST /api/v1/command (run_command).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
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
  std::unique_ptr<Recognizer> recognizer;
  std::string dir;  // removed by the destructor
  ~VoiceModels();
};

// Samples the command language from nlu's templates (+ custom sentences),
// compiles it with the home's names into `cache_root`/<unique>/ and makes the
// PocketSphinx recognizer. `baseline`: the stock generic LM instead (bench).
Result<std::shared_ptr<const VoiceModels>> build_voice_models(const Home& home, const NluConfig& nlu,
                                                              const AsrConfig& asr, const std::string& cache_root,
                                                              bool baseline = false);

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
};
// `complete` (optional): the early endpoint's question, "is this partial
// transcript a complete command?" (the daemon and CLI ask the template grammar).
Result<OfflineUtterance> decode_utterance(RecognizerStream& stream, std::span<const float> pcm, int64_t start_sample,
                                          const AsrConfig& asr, bool use_ns, float vad_threshold,
                                          const std::function<bool(const std::string&)>& complete = {});
// The early-endpoint test: `text` parses into an intent with no problem.
bool is_complete_command(const TemplateParser& parser, const std::string& text);


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
  ~VoicePipeline() override;  // stops the worker

  // Any thread: swaps in new models (after SIGHUP); the next utterance uses them.
  void set_models(std::shared_ptr<const VoiceModels> models);
  // Compiles the language of `rt` (home + custom sentences) on a background
  // thread and swaps it in when done (SIGHUP, home change). Until the first
  // build finishes, utterances are dropped.
  void rebuild(std::shared_ptr<const Runtime> rt);
  bool models_ready() const;
  // DSP thread (the wake service's callback): a wake word ended at `ev`.
  void on_wake(const WakeEvent& ev) noexcept;

  void on_frame(const AudioFrame& frame) noexcept override;
  void on_speech_start(int64_t start_ms) noexcept override;

  struct Stats {
    uint64_t utterances = 0, understood = 0, rejected = 0, dropped_frames = 0;
  };
  Stats stats() const;

 private:
  struct Chunk {
    std::vector<float> pcm;  // one or more 10 ms frames
    std::vector<uint8_t> speech;  // raw VAD decision per frame
    bool start = false;           // first chunk of an utterance
    int64_t frame_index = 0;
    std::chrono::steady_clock::time_point enqueued;  // when the DSP thread queued it
  };
  void worker();

  VoiceConfig voice_;
  AsrConfig asr_;
  float vad_threshold_;
  VoicePipelineDeps deps_;

  // DSP thread only:
  std::deque<std::pair<std::vector<float>, uint8_t>> pre_roll_;  // recent frames + speech flags
  bool capturing_ = false;
  int64_t capture_frames_ = 0;
  int64_t wake_end_frame_ = -1;
  bool armed_ = true;        // wake "none": a new segment may start (after 300 ms of quiet)
  int quiet_frames_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;
  std::shared_ptr<const VoiceModels> models_;
  bool stop_ = false;
  std::atomic<bool> busy_{false};  // worker is inside an utterance (DSP thread reads)
  Stats stats_;
  std::thread thread_;
  std::mutex build_mu_;
  std::vector<std::thread> builders_;  // joined by the destructor
};

// The daemon's wiring: a pipeline whose commands run through the runtime's
// IntentHandler (the path of POST /api/v1/command, origin "voice") and land in
// history with the transcript and a "voice" event holding the stage
// latencies. Returns null when voice.enabled is false or asr.backend is "none".
std::unique_ptr<VoicePipeline> make_voice_pipeline(AppContext& app, std::shared_ptr<const Runtime> rt);

}  // namespace hearth
