// TemplateParser: the built-in English templates (templates_en.inc) plus the
// user's custom sentences, compiled into one Grammar (grammar.h documents the
// template language), then target resolution (resolve.cc) on the match.

#include <algorithm>
#include <chrono>
#include <set>

#include <nlohmann/json.hpp>

#include "frame.h"
#include "grammar.h"
#include "sounds_like.h"
#include "hearth/common/value_json.h"
#include "hearth/nlu/nlu.h"

namespace hearth {
namespace {

constexpr std::string_view kBuiltinTemplates =
#include "templates_en.inc"
    ;

constexpr double kConfidenceClean = 1.0;       // words matched and targets resolved
constexpr double kConfidenceUnresolved = 0.5;  // words matched, targets did not resolve
// The frame layer (frame.h): a template matched one clause, or slots were spotted.
constexpr double kConfidenceFrames = 0.85;
constexpr double kConfidenceFramesUnresolved = 0.4;

bool clashes_with_builtin(std::string_view intent) { return intent.substr(0, 4) == "Hass"; }

class GrammarTemplateParser final : public TemplateParser {
 public:
  GrammarTemplateParser(const Home& home, NluConfig cfg)
      : home_(home), cfg_(std::move(cfg)), grammar_(home), frames_(grammar_) {}

  Result<void> compile() {
    HEARTH_TRY(grammar_.add_source(kBuiltinTemplates, "templates_en.inc"));
    ConfigErrors vocab_errors;
    grammar_.add_config_vocabulary(cfg_, vocab_errors);
    if (!vocab_errors.empty())
      return Error{Code::kBadInput, "nlu: custom sentence vocabulary: " + vocab_errors.entries()[0].path + ": " +
                                        vocab_errors.entries()[0].message};
    for (size_t i = 0; i < cfg_.custom_intents.size(); ++i) {
      const CustomIntent& ci = cfg_.custom_intents[i];
      for (size_t j = 0; j < ci.sentences.size(); ++j) {
        auto r = grammar_.add_template(ci.intent, ci.sentences[j], static_cast<int>(i));
        if (!r)
          return r.error().with_context("nlu: custom intent '" + ci.intent + "' sentence " + std::to_string(j));
      }
    }
    grammar_.finish();
    return {};
  }

  ParseResult parse(std::string_view text) const override {
    const auto t0 = std::chrono::steady_clock::now();
    ParseResult r;
    r.text = std::string(text);
    std::optional<nlu::GrammarMatch> m = grammar_.match(text);
    bool from_frames = false;
    if (!m) {
      m = frames_.match(text);
      from_frames = m.has_value();
    } else if (nlu::names_unknown_device(home_, *m)) {
      // Free words read as an unknown name ("switch off the upstairs lights
      // before bed"): a frame reading with a place that resolves is the
      // better one ("switch off the lava lamp" is not every light). A name
      // read across clauses ("turn on the electric blanket, bed's freezing")
      // is cut to its clause's words by the clause reading.
      std::optional<nlu::GrammarMatch> f = frames_.match(text);
      const bool across_clauses = nlu::split_clauses(text).size() > 1 && f && f->intent == m->intent;
      if (nlu::placed_and_resolves(home_, f) || across_clauses) {
        m = std::move(f);
        from_frames = true;
      }
    }
    // A name cut short ("turn on the extractor") or that sounds like one
    // device's but is spelled otherwise ("turn off the desk lamb", a
    // recognizer's homophone): read as that device, at frame confidence. A
    // name like none, or like several, stays unknown (sounds_like.h).
    if (m && m->custom < 0) {
      auto it = m->slots.find("name");
      const std::string* spoken = it != m->slots.end() ? std::get_if<std::string>(&it->second) : nullptr;
      if (spoken != nullptr && home_.devices_named(*spoken).empty()) {
        const Device* d = nlu::device_by_part(home_, *spoken);
        if (d == nullptr) d = nlu::closest_device(home_, *spoken);
        if (d != nullptr) {
          it->second = d->name;
          from_frames = true;
        }
      }
    }
    if (m) {
      r.intent = Intent{m->intent, std::move(m->slots)};
      if (m->custom >= 0) {
        r.source = "custom";
        r.custom = &cfg_.custom_intents[m->custom];
        std::set<std::string> ids;
        for (const CustomAction& a : r.custom->actions) ids.insert(a.device_id);
        r.targets.assign(ids.begin(), ids.end());
        r.confidence = from_frames ? kConfidenceFrames : kConfidenceClean;
      } else {
        r.source = from_frames ? "frames" : "template";
        Result<std::vector<std::string>> targets = resolve_targets(home_, *r.intent);
        if (targets) {
          r.targets = std::move(*targets);
          r.confidence = from_frames ? kConfidenceFrames : kConfidenceClean;
        } else {
          r.problem = targets.error();
          r.confidence = from_frames ? kConfidenceFramesUnresolved : kConfidenceUnresolved;
        }
      }
    }
    r.latency = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
    return r;
  }

  size_t template_count() const override { return grammar_.template_count(); }
  bool only_tells(std::string_view text) const override { return frames_.only_tells(text); }

 private:
  const Home& home_;
  NluConfig cfg_;  // owned copy: ParseResult::custom points into it
  nlu::Grammar grammar_;
  nlu::FrameParser frames_;  // the layer behind the templates; reads grammar_
};

}  // namespace

Result<std::unique_ptr<TemplateParser>> make_template_parser(const Home& home, const NluConfig& cfg) {
  auto parser = std::make_unique<GrammarTemplateParser>(home, cfg);
  HEARTH_TRY(parser->compile());
  return std::unique_ptr<TemplateParser>(std::move(parser));
}

void NluConfig::validate(const Home& home, ConfigErrors& out, std::string_view path) const {
  // A scratch grammar with the built-in macros, so custom sentences may use them.
  nlu::Grammar scratch(home);
  (void)scratch.add_source(kBuiltinTemplates, "templates_en.inc");
  scratch.add_config_vocabulary(*this, out, path);
  std::set<std::string> seen;
  for (size_t i = 0; i < custom_intents.size(); ++i) {
    const CustomIntent& ci = custom_intents[i];
    const std::string at = std::string(path) + ".custom_intents[" + std::to_string(i) + "]";
    if (ci.intent.empty()) {
      out.add(at + ".intent", "must be a non-empty intent name, e.g. \"MovieTime\"");
    } else if (clashes_with_builtin(ci.intent)) {
      out.add(at + ".intent", "'" + ci.intent + "' clashes with the built-in Hass* intents; pick another name");
    } else if (!seen.insert(ci.intent).second) {
      out.add(at + ".intent", "'" + ci.intent + "' is defined twice; merge the sentences into one entry");
    }
    if (ci.sentences.empty()) out.add(at + ".sentences", "needs at least one sentence template");
    for (size_t j = 0; j < ci.sentences.size(); ++j) {
      auto r = scratch.add_template(ci.intent.empty() ? "Custom" : ci.intent, ci.sentences[j], static_cast<int>(i));
      if (!r) out.add(at + ".sentences[" + std::to_string(j) + "]", r.error().message);
    }
    for (size_t k = 0; k < ci.actions.size(); ++k) {
      const CustomAction& a = ci.actions[k];
      const std::string apath = at + ".actions[" + std::to_string(k) + "]";
      if (home.device(a.device_id) == nullptr)
        out.add(apath + ".device_id", "unknown device '" + a.device_id + "' (not in the home file)");
      if (a.action.empty()) out.add(apath + ".action", "must name a bus action, e.g. \"turn_on\"");
    }
  }
}

std::string parse_result_to_json(const ParseResult& r) {
  nlohmann::json j;
  j["text"] = r.text;
  if (r.intent) {
    j["intent"] = {{"name", r.intent->name}, {"slots", value_map_to_json(r.intent->slots)}};
  } else {
    j["intent"] = nullptr;
  }
  j["targets"] = r.targets;
  j["confidence"] = r.confidence;
  j["source"] = r.source;
  if (r.problem) j["error"] = {{"code", std::string(code_name(r.problem->code))}, {"message", r.problem->message}};
  // Replace invalid UTF-8 from the user's text instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hearth
