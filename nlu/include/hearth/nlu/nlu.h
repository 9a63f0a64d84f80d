// nlu/nlu.h: text → intent. First layer: the template grammar (exact match
// against compiled English templates, microseconds), with a frame layer
// behind it (clauses + slot spotting, source "frames", see nlu/src/frame.h)
// for sentences no template covers. Later layers (on-device
// LLM, cloud) plug in behind it. Intent and slot names follow Home
// Assistant's (see docs/intents.md for every intent, slot and value form).
//
// Called by daemon/ (typed commands, ASR transcripts) and the `hearth parse`
// CLI. A TemplateParser is immutable after create() and safe to share across
// threads; rebuild it when the home or custom sentences change.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/common/value.h"
#include "hearth/devices/home.h"

namespace hearth {

struct Intent {
  std::string name;  // "HassTurnOff"
  ValueMap slots;    // {"area": "Kitchen", "domain": "light"}; names/areas/floors in the home's spelling
  bool operator==(const Intent&) const = default;
};

// A device action run by a custom sentence.
struct CustomAction {
  std::string device_id;  // "light.porch"
  std::string action;     // bus action ("turn_on", "set_position", ...)
  ValueMap params;        // action parameters
};

// User-defined sentences (config "nlu.custom_intents"): the same template
// language as the built-in grammar, plus the config's slot lists, expansion
// rules, skip words and permutations (NluConfig below); when one matches, the
// intent is `intent` and the daemon runs `actions` and answers `response`.
struct CustomIntent {
  std::string intent;                  // "MovieTime" (must not clash with a Hass* intent)
  std::vector<std::string> sentences;  // templates: "[it's] movie time", "(start|begin) the movie"
  std::vector<CustomAction> actions;   // run in order; device ids checked against the home
  std::string response;                // spoken/printed answer, "" = default
};

// A named slot list for custom sentences (config "nlu.lists"), the way Home
// Assistant's hassil declares them. A sentence says {size} (slot "size") or
// {size:cup} (slot "cup") to take one phrase of the list. Exactly one kind:
// `values`, a number `range`, or `wildcard`.
struct SlotListValue {
  std::string in;  // what is said, a template of words, (a|b) and [a]: "(large|big)", "[a] splash of milk"
  Value out;       // the slot value; null = the words said, as said ("a splash of milk")
};
struct SlotList {
  std::vector<SlotListValue> values;
  bool has_range = false;  // {"range": {"from", "to"}}: a number in digits or words
  double range_from = 0, range_to = 0;
  bool wildcard = false;   // {"wildcard": true}: one to four free words, as said
};

struct NluConfig {
  std::vector<CustomIntent> custom_intents;
  // hassil-style building blocks for custom sentences (grammar.h documents the syntax):
  std::map<std::string, SlotList> lists;               // "nlu.lists": {name} in a sentence
  std::map<std::string, std::string> expansion_rules;  // "nlu.expansion_rules": <name> in a sentence
  std::vector<std::string> skip_words;                 // "nlu.skip_words": phrases skipped anywhere ("make me")
  // Validates against the home: unknown device ids, bad templates, clashing
  // intent names. Adds every problem under `path`.
  void validate(const Home& home, ConfigErrors& out, std::string_view path = "$.nlu") const;
};

struct ParseResult {
  std::string text;                    // the input as given
  std::optional<Intent> intent;        // nullopt: not understood
  std::vector<std::string> targets;    // resolved device ids (sorted), empty when the intent has none
  double confidence = 0.0;             // 0..1; template matches are 1.0 unless resolution failed (0.5);
                                       // frame readings are 0.85, or 0.4 when resolution failed
  std::string source = "none";         // "template" | "frames" | "custom" | "none"
  std::optional<Error> problem;        // kNotFound / kAmbiguous / kUnsupported when the words matched
                                       // but the targets could not be resolved (intent still set)
  const CustomIntent* custom = nullptr;  // the matched custom intent (source == "custom"); owned by the parser
  std::chrono::nanoseconds latency{0};
};

class TemplateParser {
 public:
  virtual ~TemplateParser() = default;
  // Parses one sentence. Case- and punctuation-insensitive; tolerates filler.
  virtual ParseResult parse(std::string_view text) const = 0;
  // Number of compiled templates (built-in + custom), for logs.
  virtual size_t template_count() const = 0;
  // Whether the sentence only tells about something that happened ("the
  // hoover ate my sock again", "i already locked the back door"): no
  // question, no request, a past tense or another time in every clause. The
  // cascade never runs a model's answer to such a sentence unconfirmed.
  virtual bool only_tells(std::string_view text) const {
    (void)text;
    return false;
  }
};

// Compiles the built-in English templates plus `cfg`'s custom sentences
// against `home` (slot lists are filled from its names and aliases). `home`
// must outlive the parser. Errors: a custom template that does not compile.
Result<std::unique_ptr<TemplateParser>> make_template_parser(const Home& home, const NluConfig& cfg);

// Turns an intent's slots into device ids: name → that device; area/floor
// (+ domain / device_class) → the devices there; domain alone → the whole
// house. Unknown name → kNotFound, a name shared by several devices with
// nothing to tell them apart → kAmbiguous, a target that cannot do the
// intent (e.g. HassLightSet on a lock) → kUnsupported. Intents with no
// device targets (timers, time, nevermind) resolve to an empty list.
Result<std::vector<std::string>> resolve_targets(const Home& home, const Intent& intent);

// JSON form used by `hearth parse` and the API:
// {"text", "intent": {"name", "slots"} | null, "targets", "confidence", "source"[, "error": {code, message}]}
std::string parse_result_to_json(const ParseResult& r);

}  // namespace hearth
