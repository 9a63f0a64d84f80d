// nlu/cascade.h: the full text → intent path (issue 7):
//
//   1. template grammar + frames (nlu.h, microseconds)
//   2. on-device LLM with constrained decoding (LlmIntentParser): a GGUF
//      model, ours (assets/nlu/hearth-intent-q8_0.gguf, trained by tools/nlu/)
//      or a general instruct model with a few-shot prompt; it can only emit a
//      known intent, names/areas/floors that exist in the home, numbers in
//      range and colours from the list
//   3. cloud (OpenAI-compatible chat completions), only when the local answer
//      is not confident and the network is up; offline → "I can't do that
//      offline" at once
//
// Every answer carries `source` ("template" | "frames" | "custom" | "llm" |
// "cloud" | "none") and a `confidence`; an answer below its intent's
// threshold (locks and garage doors need more) is returned with
// `needs_confirmation` and must not be executed silently. Targets always come
// from resolve_targets() on the home, so no layer can act on a device the
// home does not have.
//
// Used by daemon/ (POST /api/v1/command, the voice pipeline) and `hearth
// parse`. A Cascade is immutable after create() and parse() is thread-safe
// (the LLM session is serialized inside); rebuild it when the home changes.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/devices/home.h"
#include "hearth/nlu/nlu.h"

namespace hearth {

// The shipped intent model (assets/nlu/hearth-intent-q8_0.gguf; the
// directory can be moved with HEARTH_NLU_DIR), what "model_path":
// "builtin" in config means.
std::string builtin_intent_model_path();

struct LlmIntentConfig {
  bool enabled = true;
  std::string model_path;          // GGUF; "" = no local LLM layer; "builtin" = builtin_intent_model_path()
  std::string prompt = "auto";     // "hearth" (our model's format) | "fewshot" (any instruct GGUF) | "auto"
  int n_threads = 1;               // decode threads (our model is tiny: 1 is fastest)
  int max_tokens = 40;             // generated tokens per command, forced ones included
  double min_confidence = 0.5;     // below: not executed silently
  double min_suggest_confidence = 0.2;  // below: the guess is dropped ("not understood"), not even offered
  double high_risk_confidence = 0.9;  // locks, garage doors (and "unlock"/"open" on them)
  std::map<std::string, double, std::less<>> intent_confidence;  // per intent override ("HassTurnOff": 0.7)
  void validate(ConfigErrors& out, std::string_view path = "$.nlu.llm") const;
  std::string to_string() const;
};

struct CloudConfig {
  bool enabled = false;
  std::string base_url;            // "https://api.example.com/v1" or "http://127.0.0.1:8080/v1"
  std::string model;               // "gpt-4o-mini"
  std::string api_key_file;        // read at start; never logged
  std::string api_key_env = "HEARTH_CLOUD_API_KEY";  // used when api_key_file is empty
  int timeout_ms = 4000;
  double min_confidence = 0.5;     // local confidence below which the cloud is asked
  void validate(ConfigErrors& out, std::string_view path = "$.nlu.cloud") const;
  std::string to_string() const;   // the key is shown as "(set)" / "(none)"
};

struct CascadeOptions {
  bool grammar = true;             // `hearth parse --no-grammar` turns it off
  bool llm = true;                 // `--no-llm`
  bool cloud = true;
};

struct CascadeResult {
  ParseResult parse;               // intent, targets, confidence, source, problem
  bool needs_confirmation = false; // low confidence: ask before acting
  std::string say;                 // a reply for the user when there is one ("I can't do that offline",
                                   // a cloud answer to a general question)
  std::vector<std::string> layers; // layers tried, in order ("grammar", "llm", "cloud")
  struct LayerTime {
    std::string layer;
    std::chrono::nanoseconds latency{0};
  };
  std::vector<LayerTime> times;
  // Is it safe to act without asking? intent set, targets resolved, confident.
  bool executable() const { return parse.intent && !parse.problem && !needs_confirmation; }
};

// The on-device LLM layer alone (also used by benches and `--no-grammar`).
class LlmIntentParser {
 public:
  virtual ~LlmIntentParser() = default;
  virtual ParseResult parse(std::string_view text) const = 0;
  // What the model emitted last for `text` (JSON), for debugging and tests.
  virtual std::string last_output() const = 0;
  struct Stats {
    int prompt_tokens = 0;
    int sampled_tokens = 0;       // tokens chosen from logits
    int forced_tokens = 0;        // tokens the constraint fixed (no sampling)
    int forward_passes = 0;
  };
  virtual Stats last_stats() const = 0;
  virtual std::string describe() const = 0;  // "hearth-intent (llama, 0.57M params, Q8_0, vocab 1024)"
};

// Loads the model and builds the constraint tries from `home` (which must
// outlive the parser). Errors: missing/corrupt model, a context too short.
Result<std::unique_ptr<LlmIntentParser>> make_llm_intent_parser(const Home& home, const LlmIntentConfig& cfg);

// The cloud layer: one chat-completions call. Answers an intent (resolved on
// the home) or, for a general question, a text reply in `say`.
struct CloudAnswer {
  std::optional<Intent> intent;
  std::string say;
};
class CloudIntentClient {
 public:
  virtual ~CloudIntentClient() = default;
  virtual Result<CloudAnswer> ask(std::string_view text) const = 0;
};
Result<std::unique_ptr<CloudIntentClient>> make_cloud_client(const Home& home, const CloudConfig& cfg);

class Cascade {
 public:
  virtual ~Cascade() = default;
  virtual CascadeResult parse(std::string_view text, const CascadeOptions& opt = {}) const = 0;
  virtual bool has_llm() const = 0;
  virtual bool has_cloud() const = 0;
};

// `grammar` and `home` must outlive the cascade; `llm` and `cloud` may be
// null (layer absent). `network_up` is asked before every cloud call (the
// daemon passes its connectivity monitor's state); null = always up.
std::unique_ptr<Cascade> make_cascade(const Home& home, const TemplateParser& grammar,
                                      std::unique_ptr<LlmIntentParser> llm, const LlmIntentConfig& llm_cfg,
                                      std::unique_ptr<CloudIntentClient> cloud, const CloudConfig& cloud_cfg,
                                      std::function<bool()> network_up);

// The cascade behind the TemplateParser interface, so every caller of the
// grammar (POST /api/v1/command, the voice pipeline, Wyoming, `hearth
// parse`) gets it unchanged. Compiles the grammar from `nlu`; loads the LLM
// when llm.enabled and llm.model_path are set, the cloud client when
// cloud.enabled. parse() returns the cascade's answer; an answer that needs
// confirmation comes back with problem = kAmbiguous ("not sure ...: did you
// mean ...?") so callers that act only on problem-free results never act on
// it silently. `home` must outlive the parser.
Result<std::unique_ptr<TemplateParser>> make_cascade_parser(const Home& home, const NluConfig& nlu,
                                                            const LlmIntentConfig& llm, const CloudConfig& cloud,
                                                            std::function<bool()> network_up);

// JSON form: parse_result_to_json() plus "needs_confirmation", "say" and "layers".
std::string cascade_result_to_json(const CascadeResult& r);

// Minimum confidence to act without asking for this intent and these targets
// (the per-intent override, raised to high_risk_confidence when a target is a
// lock or a garage door).
double required_confidence(const Home& home, const LlmIntentConfig& cfg, const Intent& intent,
                           const std::vector<std::string>& targets);

}  // namespace hearth
