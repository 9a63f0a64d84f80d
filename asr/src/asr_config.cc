// AsrConfig: JSON parsing, validation, one-line description; the Endpointer.

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

#include "hearth/asr/asr.h"
#include "hearth/common/config_reader.h"

namespace hearth {
namespace {

using nlohmann::json;

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void check_int(ConfigErrors& out, std::string_view path, const char* key, int v, int lo, int hi) {
  if (v < lo || v > hi)
    out.add(config_path(path, key), "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::to_string(v));
}

void check_num(ConfigErrors& out, std::string_view path, const char* key, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) out.add(config_path(path, key), "must be in [" + fmt(lo) + ", " + fmt(hi) + "], got " + fmt(v));
}

}  // namespace

void PocketsphinxConfig::validate(ConfigErrors& out, std::string_view path) const {
  if (model_dir.empty()) out.add(config_path(path, "model_dir"), "must not be empty");
  if (dict.empty()) out.add(config_path(path, "dict"), "must not be empty");
  check_num(out, path, "beam", beam, 1e-300, 1.0);
  check_num(out, path, "wbeam", wbeam, 1e-300, 1.0);
  check_num(out, path, "pbeam", pbeam, 1e-300, 1.0);
  check_num(out, path, "lw", lw, 0.1, 50.0);
  if (fwdflatlw != 0) check_num(out, path, "fwdflatlw", fwdflatlw, 0.1, 50.0);
  if (bestpathlw != 0) check_num(out, path, "bestpathlw", bestpathlw, 0.1, 50.0);
  check_num(out, path, "wip", wip, 1e-10, 10.0);
  if (cmn != "live" && cmn != "batch" && cmn != "none")
    out.add(config_path(path, "cmn"), "must be \"live\", \"batch\" or \"none\", got \"" + cmn + "\"");
  if (final_pass != "batch" && final_pass != "first" && final_pass != "none")
    out.add(config_path(path, "final_pass"), "must be \"batch\", \"first\" or \"none\", got \"" + final_pass + "\"");
  check_int(out, path, "maxhmmpf", maxhmmpf, -1, 1000000);
  check_int(out, path, "nbest", nbest, 0, 100);
  check_num(out, path, "open_threshold", open_threshold, 0.0, 1.0);
  check_num(out, path, "reject_deficit", reject_deficit, 0.0, 100.0);
  check_num(out, path, "reject_slope", reject_slope, 1e-3, 100.0);
}

std::string PocketsphinxConfig::to_string() const {
  return "PocketsphinxConfig(model_dir=" + model_dir + ", dict=" + dict + ", beam=" + fmt(beam) + ", wbeam=" + fmt(wbeam) +
         ", pbeam=" + fmt(pbeam) + ", lw=" + fmt(lw) + ", wip=" + fmt(wip) + ", cmn=" + cmn + ", final_pass=" + final_pass +
         ", fwdflat=" + (fwdflat ? "true" : "false") + ", bestpath=" + (bestpath ? "true" : "false") +
         ", fwdflatlw=" + fmt(fwdflatlw) + ", bestpathlw=" + fmt(bestpathlw) +
         ", maxhmmpf=" + std::to_string(maxhmmpf) + ", nbest=" + std::to_string(nbest) +
         ", phone_loop=" + (phone_loop ? "true" : "false") + ", open_vocabulary=" + (open_vocabulary ? "true" : "false") +
         ", open_threshold=" + fmt(open_threshold) + ", reject_deficit=" + fmt(reject_deficit) +
         ", reject_slope=" + fmt(reject_slope) + ")";
}

void EndpointConfig::validate(ConfigErrors& out, std::string_view path) const {
  check_int(out, path, "hangover_ms", hangover_ms, 50, 5000);
  check_int(out, path, "max_utterance_ms", max_utterance_ms, 500, 60000);
  check_int(out, path, "no_speech_timeout_ms", no_speech_timeout_ms, 100, 60000);
  check_int(out, path, "min_speech_ms", min_speech_ms, 0, 1000);
  check_int(out, path, "early_hangover_ms", early_hangover_ms, 0, 5000);
  check_num(out, path, "early_end_probability", early_end_probability, 0.0, 1.0);
  check_int(out, path, "speculate_after_ms", speculate_after_ms, 0, 5000);
  check_int(out, path, "complete_hangover_ms", complete_hangover_ms, 0, 5000);
}

void AsrConfig::validate(ConfigErrors& out, std::string_view path) const {
  if (backend != "pocketsphinx" && backend != "none")
    out.add(config_path(path, "backend"), "must be \"pocketsphinx\" or \"none\", got \"" + backend + "\"");
  pocketsphinx.validate(out, config_path(path, "pocketsphinx"));
  endpoint.validate(out, config_path(path, "endpoint"));
  check_int(out, path, "lm_order", lm_order, 1, 4);
  if (lm_sampling != "trie" && lm_sampling != "per_template")
    out.add(config_path(path, "lm_sampling"), "must be trie or per_template, got '" + lm_sampling + "'");
  if (lm_sentences < 100 || lm_sentences > 1000000)
    out.add(config_path(path, "lm_sentences"), "must be in 100..1000000, got " + std::to_string(lm_sentences));
  check_num(out, path, "min_confidence", min_confidence, 0.0, 1.0);
  check_num(out, path, "lm_custom_share", lm_custom_share, 0.0, 10.0);
}

std::string AsrConfig::to_string() const {
  return "AsrConfig(backend=" + backend + ", lm_order=" + std::to_string(lm_order) +
         ", lm_sentences=" + std::to_string(lm_sentences) + ", lm_custom_share=" + fmt(lm_custom_share) + ", lm_sampling=" + lm_sampling + ", min_confidence=" + fmt(min_confidence) +
         ", endpoint=(hangover_ms=" + std::to_string(endpoint.hangover_ms) +
         ", max_utterance_ms=" + std::to_string(endpoint.max_utterance_ms) +
         ", no_speech_timeout_ms=" + std::to_string(endpoint.no_speech_timeout_ms) + "), " + pocketsphinx.to_string() + ")";
}

void parse_asr_config(std::string_view json_text, AsrConfig* out, ConfigErrors& errors, std::string_view path) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {
    errors.add(std::string(path), std::string("invalid JSON: ") + e.what());
    return;
  }
  if (!root.is_object()) {
    errors.add(std::string(path), "expected an object, got " + json_type_name(root));
    return;
  }
  ConfigReader r{root, std::string(path), errors};
  r.keys({"backend", "lm_order", "lm_sentences", "lm_custom_share", "lm_sampling", "min_confidence", "pocketsphinx",
          "endpoint"});
  r.str("lm_sampling", &out->lm_sampling);
  r.number("lm_custom_share", &out->lm_custom_share);
  r.str("backend", &out->backend);
  r.integer("lm_order", &out->lm_order);
  r.size("lm_sentences", &out->lm_sentences);
  r.number("min_confidence", &out->min_confidence);
  if (const json* ps = r.object("pocketsphinx")) {
    ConfigReader p{*ps, config_path(path, "pocketsphinx"), errors};
    PocketsphinxConfig& c = out->pocketsphinx;
    p.keys({"model_dir", "dict", "generic_lm", "phone_lm", "beam", "wbeam", "pbeam", "lw", "wip", "cmn", "maxhmmpf",
            "nbest", "phone_loop", "open_vocabulary", "open_threshold", "reject_deficit", "reject_slope",
            "final_pass", "fwdflat", "bestpath", "fwdflatlw", "bestpathlw"});
    p.str("model_dir", &c.model_dir);
    p.str("dict", &c.dict);
    p.str("generic_lm", &c.generic_lm);
    p.str("phone_lm", &c.phone_lm);
    p.number("beam", &c.beam);
    p.number("wbeam", &c.wbeam);
    p.number("pbeam", &c.pbeam);
    p.number("lw", &c.lw);
    p.number("wip", &c.wip);
    p.str("cmn", &c.cmn);
    p.str("final_pass", &c.final_pass);
    p.boolean("fwdflat", &c.fwdflat);
    p.boolean("bestpath", &c.bestpath);
    p.number("fwdflatlw", &c.fwdflatlw);
    p.number("bestpathlw", &c.bestpathlw);
    p.integer("maxhmmpf", &c.maxhmmpf);
    p.integer("nbest", &c.nbest);
    p.boolean("phone_loop", &c.phone_loop);
    p.boolean("open_vocabulary", &c.open_vocabulary);
    p.number("open_threshold", &c.open_threshold);
    p.number("reject_deficit", &c.reject_deficit);
    p.number("reject_slope", &c.reject_slope);
  }
  if (const json* ep = r.object("endpoint")) {
    ConfigReader e{*ep, config_path(path, "endpoint"), errors};
    e.keys({"hangover_ms", "max_utterance_ms", "no_speech_timeout_ms", "min_speech_ms", "early_hangover_ms",
            "early_end_probability", "complete_hangover_ms", "speculate_after_ms"});
    e.integer("hangover_ms", &out->endpoint.hangover_ms);
    e.integer("max_utterance_ms", &out->endpoint.max_utterance_ms);
    e.integer("no_speech_timeout_ms", &out->endpoint.no_speech_timeout_ms);
    e.integer("min_speech_ms", &out->endpoint.min_speech_ms);
    e.integer("early_hangover_ms", &out->endpoint.early_hangover_ms);
    e.number("early_end_probability", &out->endpoint.early_end_probability);
    e.integer("speculate_after_ms", &out->endpoint.speculate_after_ms);
    e.integer("complete_hangover_ms", &out->endpoint.complete_hangover_ms);
  }
}

// ------------------------------------------------------------- Endpointer

Endpointer::Event Endpointer::push(bool speech) {
  if (ended()) return Event::kNone;
  const int64_t frame = n_frames_++;
  const int64_t ms = n_frames_ * 10;
  Event ev = Event::kNone;
  if (speech) {
    last_speech_ = frame;
    if (!started_ && ++run_ * 10 >= std::max(cfg_.min_speech_ms, 10)) {
      started_ = true;
      ev = Event::kSpeechStart;
    }
  } else {
    run_ = 0;
  }
  if (started_ && !speech && (frame - last_speech_) * 10 >= cfg_.hangover_ms) {
    reason_ = Reason::kSilence;
    return Event::kEnd;
  }
  if (ms >= cfg_.max_utterance_ms) {
    reason_ = started_ ? Reason::kMaxLength : Reason::kNoSpeech;
    return Event::kEnd;
  }
  if (!started_ && ms >= cfg_.no_speech_timeout_ms) {
    reason_ = Reason::kNoSpeech;
    return Event::kEnd;
  }
  return ev;
}

void Endpointer::reset(bool in_speech) {
  n_frames_ = 0;
  run_ = 0;
  last_speech_ = in_speech ? 0 : -1;
  started_ = in_speech;
  reason_ = Reason::kNone;
}

std::string_view endpoint_reason_name(Endpointer::Reason r) {
  switch (r) {
    case Endpointer::Reason::kNone: return "none";
    case Endpointer::Reason::kSilence: return "silence";
    case Endpointer::Reason::kMaxLength: return "max_length";
    case Endpointer::Reason::kNoSpeech: return "no_speech";
    case Endpointer::Reason::kEarly: return "early";
  }
  return "none";
}

}  // namespace hearth
