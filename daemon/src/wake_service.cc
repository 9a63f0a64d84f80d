#include "wake_service.h"

#include <nlohmann/json.hpp>

#include "event_hub.h"
#include "hearth/common/log.h"

namespace hearth {

using nlohmann::json;

namespace {

std::string model_path(const WakewordModelConfig& m) {
  return m.path.empty() ? builtin_wake_model_path(m.keyword.empty() ? "jarvis" : m.keyword) : m.path;
}

std::vector<WakewordModelConfig> effective_models(const WakewordConfig& cfg) {
  if (!cfg.models.empty()) return cfg.models;
  WakewordModelConfig m;
  m.keyword = "jarvis";
  return {m};
}

}  // namespace

void parse_wakeword_config(std::string_view json_text, const std::string& base_dir, WakewordConfig* out,
                           ConfigErrors& errors) {
  const std::string path = "$.wakeword";
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    errors.add(path, std::string("not valid JSON: ") + e.what());
    return;
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "enabled" && it.key() != "models" && it.key() != "refractory_ms")
      errors.add(path + "." + it.key(), "unknown key (known: enabled, models, refractory_ms)");
  if (auto it = j.find("enabled"); it != j.end()) {
    if (it->is_boolean()) out->enabled = it->get<bool>();
    else errors.add(path + ".enabled", "expected true or false");
  }
  if (auto it = j.find("refractory_ms"); it != j.end()) {
    if (it->is_number_integer() && it->get<int64_t>() >= INT32_MIN && it->get<int64_t>() <= INT32_MAX)
      out->refractory_ms = static_cast<int>(it->get<int64_t>());
    else errors.add(path + ".refractory_ms", "expected an integer");
  }
  if (auto it = j.find("models"); it != j.end()) {
    if (!it->is_array()) {
      errors.add(path + ".models", "expected an array of {keyword, path, sensitivity, threshold}");
      return;
    }
    out->models.clear();
    for (size_t i = 0; i < it->size(); ++i) {
      const json& m = (*it)[i];
      const std::string mp = path + ".models[" + std::to_string(i) + "]";
      if (!m.is_object()) {
        errors.add(mp, "expected an object {keyword, path, sensitivity, threshold}");
        continue;
      }
      WakewordModelConfig c;
      for (auto k = m.begin(); k != m.end(); ++k) {
        const std::string& key = k.key();
        if (key == "keyword" || key == "path") {
          if (!k->is_string()) { errors.add(mp + "." + key, "expected a string"); continue; }
          if (key == "keyword") c.keyword = k->get<std::string>();
          else {
            std::string p = k->get<std::string>();
            if (!p.empty() && p[0] != '/') p = base_dir + "/" + p;
            c.path = p;
          }
        } else if (key == "sensitivity" || key == "threshold") {
          if (!k->is_number()) { errors.add(mp + "." + key, "expected a number"); continue; }
          (key == "sensitivity" ? c.sensitivity : c.threshold) = k->get<float>();
        } else {
          errors.add(mp + "." + key, "unknown key (known: keyword, path, sensitivity, threshold)");
        }
      }
      out->models.push_back(std::move(c));
    }
  }
}

void validate_wakeword_config(const WakewordConfig& cfg, bool audio_on, ConfigErrors& out) {
  if (cfg.refractory_ms < 0 || cfg.refractory_ms > 60000)
    out.add("$.wakeword.refractory_ms", "must be in 0..60000, got " + std::to_string(cfg.refractory_ms));
  if (cfg.models.size() > 8) out.add("$.wakeword.models", "at most 8 wake words");
  for (size_t i = 0; i < cfg.models.size(); ++i) {
    const WakewordModelConfig& m = cfg.models[i];
    const std::string mp = "$.wakeword.models[" + std::to_string(i) + "]";
    if (!(m.sensitivity >= 0.f && m.sensitivity <= 1.f))
      out.add(mp + ".sensitivity", "must be in [0, 1], got " + std::to_string(m.sensitivity));
    if (!(m.threshold >= 0.f && m.threshold < 1.f))
      out.add(mp + ".threshold", "must be in (0, 1), or 0 for the model's own, got " + std::to_string(m.threshold));
    if (m.keyword.empty() && m.path.empty()) out.add(mp, "needs a keyword (shipped model) or a path");
    // a shipped model (path "") that is missing degrades at start (see /health) instead
    if (audio_on && cfg.enabled && !m.path.empty()) {
      const std::string p = model_path(m);
      if (FILE* f = std::fopen(p.c_str(), "rb")) std::fclose(f);
      else out.add(mp + (m.path.empty() ? ".keyword" : ".path"), "model file '" + p + "' not found" +
                       (m.path.empty() ? " (shipped words: jarvis, computer, alexa, snowboy)" : ""));
    }
  }
}

Result<std::unique_ptr<WakeService>> WakeService::create(const WakewordConfig& cfg, EventHub* events) {
  std::unique_ptr<WakeService> s(new WakeService());
  s->events_ = events;
  std::vector<WakeWordSpec> specs;
  for (const WakewordModelConfig& m : effective_models(cfg)) {
    const std::string p = model_path(m);
    auto model = load_wake_model(p);
    if (!model) return model.error().with_context("wakeword");
    WakeWordSpec spec;
    spec.model = *model;
    spec.keyword = m.keyword;
    spec.sensitivity = m.sensitivity;
    spec.threshold = m.threshold;
    WordInfo info;
    info.keyword = m.keyword.empty() ? (*model)->keyword() : m.keyword;
    info.path = p;
    info.description = (*model)->description();
    info.threshold = effective_threshold(spec);
    info.threshold_logit = effective_threshold_logit(spec);
    s->words_.push_back(std::move(info));
    specs.push_back(std::move(spec));
  }
  WakeDetectorOptions opt;
  opt.refractory_ms = cfg.refractory_ms;
  auto d = make_wake_detector(std::move(specs), opt);
  if (!d) return d.error().with_context("wakeword");
  s->detector_ = std::move(*d);
  for (const WordInfo& w : s->words_)
    HEARTH_LOG_INFO("wakeword", "listening for '%s' (threshold logit %.2f): %s", w.keyword.c_str(),
                    w.threshold_logit, w.description.c_str());
  return s;
}

void WakeService::on_frame(const AudioFrame& frame) noexcept {
  frames_.fetch_add(1, std::memory_order_relaxed);
  std::optional<WakeEvent> ev;
  try {
    ev = detector_->accept(frame.raw);
  } catch (...) {
    return;  // defensive: the detector does not throw; a bad_alloc must not kill the DSP thread
  }
  if (!ev) return;
  wakes_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(last_mu_);
    last_ = *ev;
  }
  const double t_end = static_cast<double>(ev->end_offset.count()) / 1000.0;
  HEARTH_LOG_INFO("wakeword", "wake '%s' at %.2f s (score %.3f, logit %.2f)", ev->keyword.c_str(), t_end,
                  static_cast<double>(ev->score), static_cast<double>(ev->logit));
  try {
    if (events_) {
      json d;
      d["keyword"] = ev->keyword;
      d["score"] = ev->score;
      d["logit"] = ev->logit;
      d["time_s"] = t_end;
      d["start_s"] = static_cast<double>(ev->start_offset.count()) / 1000.0;
      d["end_s"] = t_end;
      events_->publish(event_type::kWake, std::move(d));
    }
    if (on_wake_) on_wake_(*ev);
  } catch (...) {
    // defensive: subscribers only copy; nothing may escape onto the DSP thread
  }
}

json WakeService::health() const {
  json j;
  j["enabled"] = true;
  j["state"] = "running";
  json words = json::array();
  for (const WordInfo& w : words_) words.push_back({{"keyword", w.keyword}, {"threshold", w.threshold}, {"threshold_logit", w.threshold_logit}, {"model", w.path}});
  j["words"] = std::move(words);
  j["wakes"] = wakes_.load();
  j["frames"] = frames_.load();
  std::lock_guard<std::mutex> lock(last_mu_);
  if (last_) {
    j["last"] = {{"keyword", last_->keyword},
                 {"score", last_->score},
                 {"logit", last_->logit},
                 {"time_s", static_cast<double>(last_->end_offset.count()) / 1000.0}};
  } else {
    j["last"] = nullptr;
  }
  return j;
}

json wake_health_off(const std::string& why) {
  json j;
  j["enabled"] = false;
  j["state"] = why.empty() ? "off" : "unavailable";
  if (!why.empty()) j["error"] = why;
  j["wakes"] = 0;
  return j;
}

}  // namespace hearth
