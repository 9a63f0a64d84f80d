// nlu/src/cascade.cc: grammar → on-device LLM → cloud (see cascade.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "hearth/common/log.h"
#include "frame.h"
#include "hearth/nlu/cascade.h"

namespace hearth {

namespace {
bool has_slot(const Intent& in, const char* key) { return in.slots.find(key) != in.slots.end(); }
}  // namespace

std::string builtin_intent_model_path() {
  const char* env = std::getenv("HEARTH_NLU_DIR");
  return std::string(env && *env ? env : HEARTH_NLU_ASSETS_DIR) + "/hearth-intent-q8_0.gguf";
}

void LlmIntentConfig::validate(ConfigErrors& out, std::string_view path) const {
  const std::string p(path);
  if (prompt != "auto" && prompt != "hearth" && prompt != "fewshot")
    out.add(p + ".prompt", "must be auto, hearth or fewshot, got '" + prompt + "'");
  if (n_threads < 1 || n_threads > 16) out.add(p + ".n_threads", "must be in 1..16, got " + std::to_string(n_threads));
  if (max_tokens < 8 || max_tokens > 256)
    out.add(p + ".max_tokens", "must be in 8..256, got " + std::to_string(max_tokens));
  if (!(min_confidence >= 0.0 && min_confidence <= 1.0))
    out.add(p + ".min_confidence", "must be in [0, 1], got " + std::to_string(min_confidence));
  if (!(min_suggest_confidence >= 0.0 && min_suggest_confidence <= 1.0))
    out.add(p + ".min_suggest_confidence", "must be in [0, 1], got " + std::to_string(min_suggest_confidence));
  if (!(high_risk_confidence >= 0.0 && high_risk_confidence <= 1.0))
    out.add(p + ".high_risk_confidence", "must be in [0, 1], got " + std::to_string(high_risk_confidence));
  for (const auto& [k, v] : intent_confidence)
    if (!(v >= 0.0 && v <= 1.0)) out.add(p + ".intent_confidence." + k, "must be in [0, 1], got " + std::to_string(v));
}

std::string LlmIntentConfig::to_string() const {
  return "LlmIntentConfig(enabled=" + std::string(enabled ? "true" : "false") + ", model_path=" + model_path +
         ", prompt=" + prompt + ", n_threads=" + std::to_string(n_threads) +
         ", min_confidence=" + std::to_string(min_confidence) +
         ", high_risk_confidence=" + std::to_string(high_risk_confidence) + ")";
}

void CloudConfig::validate(ConfigErrors& out, std::string_view path) const {
  const std::string p(path);
  if (!enabled) return;
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0)
    out.add(p + ".base_url", "must start with http:// or https://, got '" + base_url + "'");
  if (model.empty()) out.add(p + ".model", "must not be empty when the cloud is enabled");
  if (timeout_ms < 100 || timeout_ms > 60000)
    out.add(p + ".timeout_ms", "must be in 100..60000, got " + std::to_string(timeout_ms));
  if (!(min_confidence >= 0.0 && min_confidence <= 1.0))
    out.add(p + ".min_confidence", "must be in [0, 1], got " + std::to_string(min_confidence));
}

std::string CloudConfig::to_string() const {
  return "CloudConfig(enabled=" + std::string(enabled ? "true" : "false") + ", base_url=" + base_url +
         ", model=" + model + ", api_key=" + (api_key_file.empty() ? "env " + api_key_env : "file (redacted)") +
         ", timeout_ms=" + std::to_string(timeout_ms) + ")";
}

double required_confidence(const Home& home, const LlmIntentConfig& cfg, const Intent& intent,
                           const std::vector<std::string>& targets) {
  double need = cfg.min_confidence;
  if (auto it = cfg.intent_confidence.find(intent.name); it != cfg.intent_confidence.end()) need = it->second;
  for (const std::string& id : targets) {
    const Device* d = home.device(id);
    if (!d) continue;
    const bool risky = d->domain == Domain::kLock || (d->domain == Domain::kCover && d->device_class == "garage");
    if (risky) need = std::max(need, cfg.high_risk_confidence);
  }
  return need;
}

namespace {

class CascadeImpl final : public Cascade {
 public:
  CascadeImpl(const Home& home, const TemplateParser& grammar, std::unique_ptr<LlmIntentParser> llm,
              const LlmIntentConfig& llm_cfg, std::unique_ptr<CloudIntentClient> cloud, const CloudConfig& cloud_cfg,
              std::function<bool()> network_up)
      : home_(home),
        grammar_(grammar),
        llm_(std::move(llm)),
        llm_cfg_(llm_cfg),
        cloud_(std::move(cloud)),
        cloud_cfg_(cloud_cfg),
        network_up_(std::move(network_up)) {}

  bool has_llm() const override { return llm_ != nullptr; }
  bool has_cloud() const override { return cloud_ != nullptr; }

  CascadeResult parse(std::string_view text, const CascadeOptions& opt) const override {
    const auto t0 = std::chrono::steady_clock::now();
    CascadeResult out;
    out.parse.text = std::string(text);
    std::optional<ParseResult> fallback;  // best answer so far that is not good enough to act on
    if (opt.grammar) {
      out.layers.push_back("grammar");
      ParseResult g = grammar_.parse(text);
      out.times.push_back({"grammar", g.latency});
      // Strict templates and custom sentences are exact: their answer stands,
      // even when resolution failed (the words were understood; the reply
      // says what is missing). Frames stand when they resolve.
      const bool strict = g.source == "template" || g.source == "custom";
      if (g.intent && (strict || !g.problem)) return finish(std::move(out), std::move(g), t0);
      if (g.intent) fallback = std::move(g);
    }
    if (opt.llm && llm_) {
      out.layers.push_back("llm");
      ParseResult l = llm_->parse(text);
      out.times.push_back({"llm", l.latency});
      // "all the lights off except the porch" that the grammar could not
      // read: a group answer from the model would act on what was left out,
      // so it is only offered, never run silently.
      const bool unread_exception = l.intent && !has_slot(*l.intent, "name") && !has_slot(*l.intent, "except_name") &&
                                    !has_slot(*l.intent, "except_area") && !has_slot(*l.intent, "except_floor") &&
                                    nlu::says_exception(text);
      // "the hoover ate my sock again": a statement about what happened asks
      // for nothing; a model's reading of it is only offered.
      const bool told = l.intent && grammar_.only_tells(text);
      if (l.intent && !l.problem && !unread_exception && !told) {
        const double need = required_confidence(home_, llm_cfg_, *l.intent, l.targets);
        if (l.confidence >= need) return finish(std::move(out), std::move(l), t0);
      }
      if (l.intent && l.confidence < llm_cfg_.min_suggest_confidence) l.intent.reset();  // too unsure to offer
      const bool llm_better = !fallback || (l.intent && !l.problem && l.confidence > fallback->confidence);
      if (l.intent && llm_better) fallback = std::move(l);
      else if (!l.intent && !fallback && l.source == "llm" && l.confidence >= cloud_cfg_.min_confidence &&
               !(opt.cloud && cloud_)) {
        // confidently "not a home command", and no cloud to ask
        out.parse = std::move(l);
        out.parse.intent.reset();
        out.parse.source = "llm";
        return finish_none(std::move(out), t0);
      }
    }
    if (opt.cloud && cloud_) {
      out.layers.push_back("cloud");
      const bool up = !network_up_ || network_up_();
      if (!up) {
        out.say = "I can't do that offline.";
      } else {
        const auto tc = std::chrono::steady_clock::now();
        Result<CloudAnswer> a = cloud_->ask(text);
        out.times.push_back({"cloud", std::chrono::steady_clock::now() - tc});
        if (a && a->intent) {
          ParseResult c;
          c.text = std::string(text);
          c.intent = a->intent;
          c.source = "cloud";
          c.confidence = 0.9;
          auto targets = resolve_targets(home_, *c.intent);
          if (targets) {
            c.targets = *targets;
          } else {
            c.problem = targets.error();
            c.confidence = 0.45;
          }
          c.latency = std::chrono::steady_clock::now() - tc;
          out.say = a->say;
          return finish(std::move(out), std::move(c), t0);
        }
        if (a) {
          out.say = a->say;
          out.parse.source = "cloud";
          return finish_none(std::move(out), t0);
        }
        // The user hears a short answer; the log says what actually went wrong
        // (a refused key, an oversized prompt, a timeout), never the key itself.
        HEARTH_LOG_WARN("nlu", "cloud fallback failed: %s", a.error().message.c_str());
        out.say = a.error().code == Code::kTimeout ? "The cloud service didn't answer in time."
                                                   : "I can't reach the cloud service right now.";
      }
    }
    if (fallback) {
      // not confident enough to act: return it, flagged
      CascadeResult r = finish(std::move(out), std::move(*fallback), t0);
      r.needs_confirmation = true;
      return r;
    }
    return finish_none(std::move(out), t0);
  }

 private:
  CascadeResult finish(CascadeResult out, ParseResult p, std::chrono::steady_clock::time_point t0) const {
    out.parse = std::move(p);
    out.parse.latency = std::chrono::steady_clock::now() - t0;
    // thresholds apply to the model layers; the grammar's own confidences
    // (template 1.0, frames 0.85) keep their meaning from nlu.h
    if (out.parse.intent && !out.parse.problem && (out.parse.source == "llm" || out.parse.source == "cloud")) {
      const double need = required_confidence(home_, llm_cfg_, *out.parse.intent, out.parse.targets);
      out.needs_confirmation = out.parse.confidence < need;
    }
    return out;
  }
  CascadeResult finish_none(CascadeResult out, std::chrono::steady_clock::time_point t0) const {
    out.parse.intent.reset();
    out.parse.targets.clear();
    if (out.parse.source.empty()) out.parse.source = "none";
    out.parse.latency = std::chrono::steady_clock::now() - t0;
    return out;
  }

  const Home& home_;
  const TemplateParser& grammar_;
  std::unique_ptr<LlmIntentParser> llm_;
  LlmIntentConfig llm_cfg_;
  std::unique_ptr<CloudIntentClient> cloud_;
  CloudConfig cloud_cfg_;
  std::function<bool()> network_up_;
};

}  // namespace

std::unique_ptr<Cascade> make_cascade(const Home& home, const TemplateParser& grammar,
                                      std::unique_ptr<LlmIntentParser> llm, const LlmIntentConfig& llm_cfg,
                                      std::unique_ptr<CloudIntentClient> cloud, const CloudConfig& cloud_cfg,
                                      std::function<bool()> network_up) {
  return std::make_unique<CascadeImpl>(home, grammar, std::move(llm), llm_cfg, std::move(cloud), cloud_cfg,
                                       std::move(network_up));
}

std::string cascade_result_to_json(const CascadeResult& r) {
  nlohmann::json j = nlohmann::json::parse(parse_result_to_json(r.parse));
  j["needs_confirmation"] = r.needs_confirmation;
  if (!r.say.empty()) j["say"] = r.say;
  j["layers"] = r.layers;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hearth

namespace hearth {
namespace {

class CascadeParser final : public TemplateParser {
 public:
  CascadeParser(std::unique_ptr<TemplateParser> grammar, const Home& home, const LlmIntentConfig& llm_cfg,
                std::unique_ptr<LlmIntentParser> llm, const CloudConfig& cloud_cfg,
                std::unique_ptr<CloudIntentClient> cloud, std::function<bool()> network_up)
      : grammar_(std::move(grammar)),
        cascade_(make_cascade(home, *grammar_, std::move(llm), llm_cfg, std::move(cloud), cloud_cfg,
                              std::move(network_up))) {}

  ParseResult parse(std::string_view text) const override {
    CascadeResult r = cascade_->parse(text);
    ParseResult p = std::move(r.parse);
    if (r.needs_confirmation && p.intent && !p.problem) {
      char conf[32];
      std::snprintf(conf, sizeof(conf), "%.2f", p.confidence);
      p.problem = Error{Code::kAmbiguous, std::string("not sure (") + p.source + " confidence " + conf +
                                              "): did you mean " + p.intent->name + "? say it again to confirm"};
    }
    if (!p.intent && !r.say.empty() && !p.problem) p.problem = Error{Code::kUnavailable, r.say};
    return p;
  }
  size_t template_count() const override { return grammar_->template_count(); }

 private:
  std::unique_ptr<TemplateParser> grammar_;
  std::unique_ptr<Cascade> cascade_;
};

}  // namespace

Result<std::unique_ptr<TemplateParser>> make_cascade_parser(const Home& home, const NluConfig& nlu,
                                                            const LlmIntentConfig& llm, const CloudConfig& cloud,
                                                            std::function<bool()> network_up) {
  auto grammar = make_template_parser(home, nlu);
  if (!grammar) return grammar.error();
  std::unique_ptr<LlmIntentParser> l;
  if (llm.enabled && !llm.model_path.empty()) {
    auto p = make_llm_intent_parser(home, llm);
    if (!p) return p.error();
    l = std::move(*p);
  }
  std::unique_ptr<CloudIntentClient> c;
  if (cloud.enabled) {
    auto p = make_cloud_client(home, cloud);
    if (!p) return p.error();
    c = std::move(*p);
  }
  return std::unique_ptr<TemplateParser>(
      new CascadeParser(std::move(*grammar), home, llm, std::move(l), cloud, std::move(c), std::move(network_up)));
}

}  // namespace hearth
