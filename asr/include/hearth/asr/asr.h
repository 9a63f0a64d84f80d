// asr/asr.h: the streaming recognizer interface (STYLE.md §3), its
// PocketSphinx backend, the language-model compiler for the home's command
// language, and the endpointer.
//
// Models are immutable and shared; per-utterance state lives in a stream
// owned by one thread. The closed-vocabulary LM is compiled from sentences
// the caller provides (the daemon samples them from nlu's templates with the
// home's names filled in: asr must not depend on nlu) plus the home's names
// read from the home model.
//
// Decoding a final result (PocketsphinxRecognizer):
//   1. closed pass: our n-gram LM (ARPA written by compile_language_model),
//      streamed while the user talks (partials from it);
//   2. at the endpoint: n-best list + word posteriors from the lattice;
//   3. a phone-loop pass over the same audio (allphone search) gives the
//      best acoustic score any phone sequence reaches; the closed result's
//      per-frame acoustic deficit against it measures how badly the speech
//      fits the command language (out-of-grammar speech fits badly);
//   4. on demand (RecognizerStream::decode_open(), after the final result,
//      when the caller could not use the closed result), the stock generic
//      en-us LM decodes the same audio; its text is reported in `open_text`
//      for the LLM. It is not part of finalization, so it never delays a
//      command that was understood.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/devices/home.h"

namespace hearth {

struct WordTiming {
  std::string word;
  int start_ms = 0, end_ms = 0;  // relative to the stream start
  float confidence = 0.f;        // 0..1 (word posterior)
};

struct Transcript {
  std::string text;               // best hypothesis so far (closed vocabulary)
  float confidence = 0.f;         // 0..1
  bool is_final = false;          // true once the endpoint was reached
  std::vector<WordTiming> words;  // filled on final results
  // Final results only:
  std::vector<std::string> nbest;  // alternatives, best first (text is nbest[0] when non-empty)
  float fit_deficit = 0.f;         // closed pass vs phone loop, log-likelihood per frame (>= 0; big = out of grammar)
  float posterior = 0.f;           // posterior of the whole hypothesis from the lattice, 0..1
  std::string open_text;           // generic-LM text once decode_open() ran, else ""
  double open_ms = 0;              // time decode_open() took
  double decode_ms = 0;            // CPU wall time spent after input_finished() (finalization)
  double audio_ms = 0;             // audio accepted
  double total_decode_ms = 0;      // all decode() time for this utterance
  bool batch_pass = false;         // the final result comes from a batch-CMN re-decode
  bool speculative = false;        // ... started at a pause (RecognizerStream::speculate())
  double spec_ms = 0;              // wall time of that speculative pass
  // When it would be ready with live input, in stream audio time (it starts
  // at its pause, or when a pass for an earlier pause ends); compare audio_ms.
  double spec_ready_ms = 0;
  double spec_wait_ms = 0;         // time the final result waited for it at the endpoint
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
  // After the final result: the open-vocabulary (generic LM) text of the same
  // utterance, "" when the backend has none or the open path is off. Costs a
  // second decode the first time; cached until reset().
  virtual std::string decode_open() { return ""; }
  // The speaker paused. A backend whose final result re-decodes the whole
  // utterance may start that pass now, in the background, over the audio so
  // far; when the endpoint follows with nothing but silence in between, the
  // final result is that pass's. Returns true when such a pass covers the
  // audio accepted so far.
  virtual bool speculate() { return false; }
  // Speech after speculate(): the pass no longer covers the utterance.
  virtual void speech_resumed() {}
};

class Recognizer {
 public:
  virtual ~Recognizer() = default;
  virtual std::unique_ptr<RecognizerStream> create_stream(const StreamOptions& opt) const = 0;
};

// ------------------------------------------------------------------- config

struct PocketsphinxConfig {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us/en-us";         // acoustic model
  std::string dict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";  // pronunciations
  std::string generic_lm = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";  // open-vocabulary LM
  std::string phone_lm = "/usr/share/pocketsphinx/model/en-us/en-us-phone.lm.bin";  // phone loop ("" = free loop)
  double beam = 1e-48;     // -beam
  double wbeam = 7e-29;    // -wbeam
  double pbeam = 1e-48;    // -pbeam
  double lw = 10.0;        // language weight (small closed LM: stronger than the generic 6.5)
  double wip = 0.65;       // word insertion penalty (-wip)
  // "live" | "batch" | "none". NB: the en-us model's feat.params sets -cmn
  // batch, which PocketSphinx 5prealpha applies over this value; streaming
  // input then gets a running (live) mean and a whole-utterance decode the
  // utterance's mean (see final_pass).
  std::string cmn = "live";
  // Final result at the endpoint: "batch" re-decodes the whole utterance with
  // its own cepstral mean (most accurate, costs a second decode after the end
  // of speech); "first" does that only for a stream's first utterance (cold
  // running mean) and hands the mean on to the streaming passes after it;
  // "none" keeps the streaming pass's result.
  std::string final_pass = "first";
  // PocketSphinx's second and third passes, run when an utterance ends: the
  // flat-lexicon Viterbi pass over the whole utterance (-fwdflat: it rewinds
  // and rescores every frame, most of the time spent after the end of speech)
  // and the lattice best path (-bestpath).
  bool fwdflat = true;
  bool bestpath = true;
  // Language weights of those passes (-fwdflatlw, -bestpathlw); `lw` is the
  // first pass's only. 0 = PocketSphinx's defaults (8.5 and 9.5).
  double fwdflatlw = 0;
  double bestpathlw = 0;
  int maxhmmpf = 30000;    // -maxhmmpf
  int nbest = 10;          // n-best list size (0 = none)
  // Phone-loop pass for fit_deficit. Off by default: PocketSphinx's allphone
  // search with the en-us phone trigram runs far slower than real time here.
  bool phone_loop = false;
  bool open_vocabulary = true;  // generic-LM pass available (decode_open())
  float open_threshold = 0.5f;  // `hearth transcribe`: confidence below which it runs the open pass
  // confidence = posterior-ish score × logistic(-(fit_deficit - reject_deficit) / reject_slope)
  float reject_deficit = 1.2f;
  float reject_slope = 0.25f;
  void validate(ConfigErrors& out, std::string_view path = "$.asr.pocketsphinx") const;
  std::string to_string() const;
};

struct EndpointConfig {
  int hangover_ms = 400;           // silence after speech that ends the utterance
  int max_utterance_ms = 10000;    // hard cut
  int no_speech_timeout_ms = 5000; // after the wake word, give up when nobody speaks
  int min_speech_ms = 60;          // speech shorter than this does not count as a start
  // Recognizer state: after this much silence the utterance ends early when
  // the partial transcript already reads as a complete command (the caller
  // checks with the intent grammar: Endpointer::end_early()); 0 = off.
  int early_hangover_ms = 150;
  // ... and only when the command language ends a sentence after the
  // partial's last words at least this often (EndOfSentenceModel); 0 = any
  // complete command ends early. (150 ms / 0.3 chosen on the synthetic dev
  // set: end of speech -> action p50 234 -> 194 ms clean, same exact
  // commands as 200 ms / 0; docs/benchmarks-asr.md.)
  double early_end_probability = 0.3;
  // After this much silence any complete command ends the utterance, its
  // end probability notwithstanding; 0 = never (only the hangover). Off by
  // default: on the dev set 250 ms moved the mean end of speech -> action
  // from 311 to 275 ms but not p95 (misheard commands still wait for the
  // hangover) and cost a 10 dB file (docs/benchmarks-asr.md).
  int complete_hangover_ms = 0;
  // After this much silence the recognizer may start its final pass
  // speculatively (RecognizerStream::speculate(); PocketSphinx: final_pass
  // "batch", on a second decoder); 0 = off.
  int speculate_after_ms = 150;
  void validate(ConfigErrors& out, std::string_view path = "$.asr.endpoint") const;
};

struct AsrConfig {
  std::string backend = "pocketsphinx";  // "pocketsphinx" | "none"
  PocketsphinxConfig pocketsphinx;
  EndpointConfig endpoint;
  int lm_order = 3;                 // n-gram order of the compiled LM (1..4)
  size_t lm_sentences = 20000;      // sentences sampled from the templates for the LM
  // Extra sentences sampled from the custom intents alone, as a share of
  // lm_sentences: how much of the LM's mass the user's own sentences get.
  double lm_custom_share = 0.3;
  // How the template sentences are drawn: "trie" (random walks over all
  // templates merged) or "per_template" (each template on its own, seeded by
  // its text, so editing one template leaves the rest of the LM as it was).
  std::string lm_sampling = "per_template";
  float min_confidence = 0.15f;     // below: "not understood" (daemon)
  void validate(ConfigErrors& out, std::string_view path = "$.asr") const;
  std::string to_string() const;
};

// Parses the "asr" object of the daemon config (JSON text):
//   {"backend", "lm_order", "lm_sentences", "lm_custom_share", "lm_sampling", "min_confidence",
//    "pocketsphinx": {model_dir, dict, generic_lm, phone_lm, beam, wbeam, pbeam, lw, wip, cmn, final_pass, fwdflat, bestpath, fwdflatlw, bestpathlw,
//                     maxhmmpf, nbest, phone_loop, open_vocabulary, open_threshold,
//                     reject_deficit, reject_slope},
//    "endpoint": {hangover_ms, max_utterance_ms, no_speech_timeout_ms, min_speech_ms, early_hangover_ms,
//                 early_end_probability, complete_hangover_ms, speculate_after_ms}}
// Every key optional; unknown keys and wrong types go to `errors`.
void parse_asr_config(std::string_view json_text, AsrConfig* out, ConfigErrors& errors,
                      std::string_view path = "$.asr");

// ----------------------------------------------------- language model compiler

// Lower-cases and splits a sentence into recognizer words (letters, digits,
// apostrophes; everything else separates words).
std::vector<std::string> lm_words(std::string_view sentence);

// Every word in the home's device, area and floor names and aliases.
std::vector<std::string> home_words(const Home& home);

// An ARPA n-gram LM (order 1..4) over `sentences`, interpolated Witten-Bell
// smoothing written in backoff form; `extra_words` (vocabulary the sentences
// may miss) get unigram mass as if seen once. Deterministic. Errors: no words.
Result<std::string> build_arpa(const std::vector<std::string>& sentences, const std::vector<std::string>& extra_words,
                               int order);

// How likely a command ends after its last words, counted over the command
// sentences the LM is compiled from: for each context of the last 1..max
// words (with "<s>" before the first word), how often a sentence ended right
// after it. The endpointer asks it whether a pause after a complete command
// is the end of the utterance or a breath before "... with a bit of sugar".
class EndOfSentenceModel {
 public:
  EndOfSentenceModel() = default;
  // `max_context` words of context (1..8); a context needs `min_count`
  // occurrences to be trusted (shorter contexts are tried otherwise).
  static EndOfSentenceModel build(const std::vector<std::string>& sentences, int max_context = 4, int min_count = 5);
  // P(end | the last words of `text`), from the longest trusted context;
  // 0 when no context was seen (empty text, words the sentences never had).
  double end_probability(std::string_view text) const;
  bool empty() const { return counts_.empty(); }

 private:
  struct Count {
    uint32_t seen = 0, ended = 0;
  };
  int max_context_ = 4;
  uint32_t min_count_ = 5;
  std::unordered_map<std::string, Count> counts_;  // "w1 w2 ..." -> counts
};

// A pronunciation dictionary over `words`: CMU entries (cmudict format file,
// "word PH1 PH2", "word(2) ..." variants) where present, else espeak-ng's
// phonemes mapped to the CMU phone set. Words neither source can spell are
// listed in `missing` and left out.
struct Lexicon {
  std::vector<std::pair<std::string, std::string>> entries;  // (word or word(n), "PH1 PH2 ...")
  std::vector<std::string> g2p_words;                         // spelled by espeak-ng
  std::vector<std::string> missing;
  std::string to_dict_text() const;
};
Result<Lexicon> build_lexicon(const std::vector<std::string>& words, const std::string& cmudict_path);
// The same over dictionary text in memory. Malformed lines (no phones,
// symbols that are not phone names) are skipped; `use_g2p` false leaves words
// the text lacks in `missing` instead of asking espeak-ng.
Result<Lexicon> build_lexicon_from_text(const std::vector<std::string>& words, std::string_view cmudict_text,
                                        bool use_g2p = true);

// espeak-ng phonemes of `word` mapped to CMU phones ("EH K OW B IY"), or ""
// when espeak-ng is unavailable or yields nothing. Thread-safe (serialized).
std::string g2p_cmu(std::string_view word);

// The compiled search space, written as files a backend can load.
struct CompiledLanguage {
  std::string dir;        // where the files are
  std::string arpa_path;  // dir/home.arpa
  std::string dict_path;  // dir/home.dict (closed vocabulary)
  size_t n_words = 0, n_ngrams = 0;
  std::vector<std::string> g2p_words, missing_words;
};
// Sentences + home names → ARPA + dictionary in `dir` (created if needed).
Result<CompiledLanguage> compile_language_model(const std::vector<std::string>& sentences, const Home& home,
                                                const AsrConfig& cfg, const std::string& dir);

// ----------------------------------------------------------------- backends

// The PocketSphinx backend over a compiled language (or, with
// `lang == nullptr`, the stock generic LM and full dictionary only: the
// baseline "what a user gets without our LM"). Loads nothing until a stream is
// created; create_stream() returns nullptr when the decoder cannot start
// (the error is logged; see last_error()).
Result<std::unique_ptr<Recognizer>> make_pocketsphinx_recognizer(const AsrConfig& cfg, const CompiledLanguage* lang);

// ---------------------------------------------------------------- endpoint

// End-of-utterance logic on per-frame speech decisions (10 ms frames).
// Feed every frame after the wake word (or after a push-to-talk start).
class Endpointer {
 public:
  enum class Event { kNone, kSpeechStart, kEnd };
  enum class Reason { kNone, kSilence, kMaxLength, kNoSpeech, kEarly };
  explicit Endpointer(const EndpointConfig& cfg) : cfg_(cfg) {}
  // @param speech  this frame's raw speech decision (no hangover applied)
  Event push(bool speech);
  // With `in_speech` the utterance is already under way (speech continued
  // across the wake word).
  void reset(bool in_speech = false);
  bool started() const { return started_; }
  // Speech started, not ended, and at least early_hangover_ms of silence
  // since: the moment to ask whether the partial transcript is complete.
  bool early_candidate() const {
    return cfg_.early_hangover_ms > 0 && started_ && !ended() && last_speech_ >= 0 &&
           (n_frames_ - 1 - last_speech_) * 10 >= cfg_.early_hangover_ms;
  }
  // Silence since the last speech frame, 0 while speaking or before any.
  int64_t silence_ms() const {
    return started_ && last_speech_ >= 0 && !ended() ? (n_frames_ - 1 - last_speech_) * 10 : 0;
  }
  // The end-probability floor the early endpoint applies now:
  // early_end_probability, or 0 once complete_hangover_ms of silence have
  // passed (any complete command ends the utterance from then on).
  double early_end_floor() const {
    return cfg_.complete_hangover_ms > 0 && silence_ms() >= cfg_.complete_hangover_ms ? 0.0
                                                                                       : cfg_.early_end_probability;
  }
  // The caller found the partial transcript complete: end now (kEarly).
  void end_early() {
    if (!ended()) reason_ = Reason::kEarly;
  }
  bool ended() const { return reason_ != Reason::kNone; }
  Reason reason() const { return reason_; }
  // Frame count since reset at the last speech frame (end of speech), -1 if none.
  int64_t last_speech_frame() const { return last_speech_; }
  int64_t frames() const { return n_frames_; }

 private:
  EndpointConfig cfg_;
  int64_t n_frames_ = 0;
  int64_t run_ = 0;          // consecutive speech frames (before start)
  int64_t last_speech_ = -1;
  bool started_ = false;
  Reason reason_ = Reason::kNone;
};
std::string_view endpoint_reason_name(Endpointer::Reason r);

}  // namespace hearth
