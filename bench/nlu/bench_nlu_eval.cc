// bench_nlu_eval: accuracy and latency of the NLU cascade layers (issue 7).
//
//   bench_nlu_eval [--model FILE.gguf] [--extra-devices N] [--show-failures]
//                  [--min-confidence X] [--min-suggest X] SET.jsonl...
//
// For each sentence set (tests/data/sentences/*.jsonl) and each mode —
// grammar only, LLM only, cascade (grammar → LLM; no cloud) — prints exact
// intent + slots, the wrong-action rate (an answer that would be executed
// silently — intent set, targets resolved, confident — but is not the
// labelled command: wrong device or wrong action), out-of-domain rejection
// (null lines not executed), and latency p50/p95 per mode. --extra-devices
// adds N synthetic devices to the demo home (accuracy must not move;
// latency shows the cost of home size). Failures are listed by category
// with --show-failures; one that would be executed is marked
// WRONG-ACTION(source), source being the answering layer (template, frames,
// custom, llm), and each mode prints its wrong actions by source. A wrong
// action whose answer resolves to the labelled devices with the labelled
// values (the same command said another way, e.g. a device's name for its
// area + kind) is marked WRONG-ACTION-SAME-EFFECT and counted apart as
// well: "wrong actions N (... ; M with another effect)".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hearth/common/value_json.h"
#include "hearth/nlu/cascade.h"

using namespace hearth;

namespace {

bool same_value(const nlohmann::json& want, const Value& got) {
  if (want.is_number()) {
    if (auto* i = std::get_if<int64_t>(&got)) return std::abs(double(*i) - want.get<double>()) < 1e-6;
    if (auto* d = std::get_if<double>(&got)) return std::abs(*d - want.get<double>()) < 1e-6;
    return false;
  }
  if (want.is_string()) {
    auto* s = std::get_if<std::string>(&got);
    return s && *s == want.get<std::string>();
  }
  return false;
}

bool same_intent(const nlohmann::json& want, const std::optional<Intent>& got) {
  if (want.is_null()) return !got;
  if (!got || got->name != want["name"].get<std::string>()) return false;
  const auto& ws = want["slots"];
  if (ws.size() != got->slots.size()) return false;
  for (auto it = ws.begin(); it != ws.end(); ++it) {
    auto g = got->slots.find(it.key());
    if (g == got->slots.end() || !same_value(it.value(), g->second)) return false;
  }
  return true;
}

// The slots that pick devices; the others (values, timer names...) are
// part of what the command does to them.
bool targeting_slot(const std::string& k) {
  return k == "name" || k == "area" || k == "floor" || k == "domain" || k == "device_class";
}

// Would the answer do what the label asks? Same intent, the same devices
// once both are resolved on the home, and the same other slots. A label
// and an answer that name one device two ways ("the speaker in the
// bedroom" as area + kind, or as the device's name) agree here and not
// in same_intent; wrong actions are counted both ways.
bool same_effect(const Home& home, const nlohmann::json& want, const ParseResult& got) {
  if (want.is_null() || !got.intent || got.problem || got.intent->name != want["name"].get<std::string>()) return false;
  Intent w{want["name"].get<std::string>(), {}};
  for (auto it = want["slots"].begin(); it != want["slots"].end(); ++it) {
    bool scalar = false;
    w.slots[it.key()] = value_from_json(it.value(), &scalar);
    if (!scalar) return false;
  }
  auto targets = resolve_targets(home, w);
  if (!targets || *targets != got.targets) return false;
  size_t n_want = 0, n_got = 0;
  for (auto it = want["slots"].begin(); it != want["slots"].end(); ++it) {
    if (targeting_slot(it.key())) continue;
    ++n_want;
    auto g = got.intent->slots.find(it.key());
    if (g == got.intent->slots.end() || !same_value(it.value(), g->second)) return false;
  }
  for (const auto& [k, v] : got.intent->slots) n_got += !targeting_slot(k);
  return n_want == n_got;
}

std::string category(const nlohmann::json& line) {
  if (line["intent"].is_null()) return "out-of-domain";
  if (line.contains("error")) return "resolution-error";
  const std::string t = line["text"];
  if (t.find("don't") != std::string::npos || t.find("not the") != std::string::npos ||
      t.find("actually") != std::string::npos || t.find("instead") != std::string::npos ||
      t.find("never mind the") != std::string::npos || t.find("forget the") != std::string::npos)
    return "negation/correction";
  return line["intent"]["name"].get<std::string>();
}

struct Score {
  int total = 0, ok = 0, executed = 0, wrong_action = 0, wrong_effect = 0, ood = 0, ood_rejected = 0;
  std::vector<double> ms;
  std::map<std::string, std::pair<int, int>> by_cat;  // category -> (ok, total)
  std::map<std::string, int> wrong_by_source;         // answering layer -> wrong actions
  std::vector<std::string> failures;
};

double pct(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::vector<double> s = v;
  std::sort(s.begin(), s.end());
  return s[std::min(s.size() - 1, static_cast<size_t>(p * s.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = std::string(HEARTH_ASSETS_DIR) + "/nlu/hearth-intent-q8_0.gguf";
  int extra = 0;
  bool show = false;
  double min_conf = -1, min_suggest = -1;  // < 0: LlmIntentConfig's defaults
  std::vector<std::string> sets;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) model = argv[++i];
    else if (a == "--extra-devices" && i + 1 < argc) extra = std::atoi(argv[++i]);
    else if (a == "--show-failures") show = true;
    else if (a == "--min-confidence" && i + 1 < argc) min_conf = std::atof(argv[++i]);
    else if (a == "--min-suggest" && i + 1 < argc) min_suggest = std::atof(argv[++i]);
    else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr,
                   "usage: bench_nlu_eval [--model GGUF] [--extra-devices N] [--show-failures] [--min-confidence C]\n"
                   "                      [--min-suggest C] SET.jsonl...\n");
      return 2;
    } else sets.push_back(a);
  }
  if (sets.empty()) {
    std::fprintf(stderr, "bench_nlu_eval: no sentence set given (SET.jsonl...)\n");
    return 2;
  }
  std::ifstream hf(std::string(HEARTH_ASSETS_DIR) + "/homes/demo.json");
  nlohmann::json hj = nlohmann::json::parse(hf);
  const char* kinds[] = {"lamp", "plug", "sensor", "fan"};
  for (int i = 0; i < extra; ++i) {
    const std::string n = "unit " + std::to_string(i) + " " + kinds[i % 4];
    hj["devices"].push_back({{"id", std::string(i % 4 == 0 ? "light" : i % 4 == 3 ? "fan" : "switch") + ".x" +
                                        std::to_string(i)},
                             {"name", n},
                             {"area", hj["areas"][size_t(i) % hj["areas"].size()]["id"]},
                             {"adapter", {{"type", "virtual"}}}});
  }
  ConfigErrors errors;
  auto home = Home::parse(hj.dump(), "demo.json", errors);
  if (!home) {
    std::fprintf(stderr, "%s\n", errors.to_string().c_str());
    return 1;
  }
  auto grammar = make_template_parser(*home, NluConfig{});
  if (!grammar) return 1;
  LlmIntentConfig lc;
  lc.model_path = model;
  if (min_conf >= 0) lc.min_confidence = min_conf;
  if (min_suggest >= 0) lc.min_suggest_confidence = min_suggest;
  const auto tl = std::chrono::steady_clock::now();
  auto llm = make_llm_intent_parser(*home, lc);
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - tl).count();
  if (!llm) {
    std::fprintf(stderr, "%s\n", llm.error().message.c_str());
    return 1;
  }
  std::printf("model %s: %s, load %.1f ms; home: %zu devices\n", model.c_str(), (*llm)->describe().c_str(), load_ms,
              home->devices().size());
  LlmIntentParser* llm_raw = llm->get();
  auto cascade = make_cascade(*home, **grammar, std::move(*llm), lc, nullptr, CloudConfig{}, nullptr);
  for (const std::string& set : sets) {
    std::ifstream f(set);
    if (!f) {
      std::fprintf(stderr, "bench_nlu_eval: cannot read %s\n", set.c_str());
      return 1;
    }
    std::vector<nlohmann::json> lines;
    size_t line_no = 0;
    for (std::string l; std::getline(f, l);) {
      ++line_no;
      if (l.empty()) continue;
      nlohmann::json j = nlohmann::json::parse(l, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object() || !j.contains("text")) {
        std::fprintf(stderr, "bench_nlu_eval: %s:%zu: not a sentence line (JSON object with \"text\")\n", set.c_str(),
                     line_no);
        return 1;
      }
      lines.push_back(std::move(j));
    }
    struct Mode {
      const char* name;
      CascadeOptions opt;
    } modes[] = {{"grammar", {true, false, false}}, {"llm", {false, true, false}}, {"cascade", {true, true, false}}};
    for (const Mode& m : modes) {
      Score s;
      double forced = 0, sampled = 0;
      int bins_ok[5] = {0}, bins_n[5] = {0};  // reliability of the LLM's confidence
      for (const auto& line : lines) {
        CascadeResult r = cascade->parse(line["text"].get<std::string>(), m.opt);
        if (m.opt.llm && !m.opt.grammar) {
          forced += llm_raw->last_stats().forced_tokens;
          sampled += llm_raw->last_stats().sampled_tokens;
        }
        s.ms.push_back(std::chrono::duration<double, std::milli>(r.parse.latency).count());
        ++s.total;
        const bool ok = same_intent(line["intent"], r.parse.intent);
        s.ok += ok;
        if (r.parse.source == "llm") {
          const int b = std::min(4, static_cast<int>(r.parse.confidence * 5));
          bins_ok[b] += ok;
          ++bins_n[b];
        }
        auto& c = s.by_cat[category(line)];
        c.first += ok;
        ++c.second;
        const bool exec = r.executable();
        if (line["intent"].is_null()) {
          ++s.ood;
          s.ood_rejected += !exec;
        }
        const bool effect = !ok && exec && same_effect(*home, line["intent"], r.parse);
        if (exec) {
          ++s.executed;
          if (!ok) {
            ++s.wrong_action;
            ++s.wrong_by_source[r.parse.source];
            s.wrong_effect += !effect;
          }
        }
        // A wrong answer that would be executed is marked with the layer that gave it.
        if (!ok && show)
          s.failures.push_back(std::string(!exec ? "  ["
                                           : (effect ? "  WRONG-ACTION-SAME-EFFECT(" : "  WRONG-ACTION(") + r.parse.source + ") [") +
                               category(line) +
                               "] " + line["text"].get<std::string>() + "\n      want " +
                               line["intent"].dump() + "\n      got  " + cascade_result_to_json(r) +
                          (m.opt.llm && !m.opt.grammar ? "\n      llm  " + llm_raw->last_output() : std::string()));
      }
      std::printf("%s %-8s exact %d/%d = %.2f%%  executed %d, wrong actions %d (%.2f%% of executed; %d with another "
                  "effect)  OOD rejected %d/%d  latency p50 %.3f ms p95 %.3f ms",
                  set.substr(set.rfind('/') + 1).c_str(), m.name, s.ok, s.total, 100.0 * s.ok / s.total, s.executed,
                  s.wrong_action, s.executed ? 100.0 * s.wrong_action / s.executed : 0.0, s.wrong_effect, s.ood_rejected, s.ood,
                  pct(s.ms, 0.5), pct(s.ms, 0.95));
      if (sampled > 0) std::printf("  (per sentence: %.1f sampled, %.1f forced tokens)", sampled / s.total, forced / s.total);
      std::printf("\n");
      if (!s.wrong_by_source.empty()) {
        std::printf("    wrong actions by source:");
        for (const auto& [src, n] : s.wrong_by_source) std::printf("  %s %d", src.c_str(), n);
        std::printf("\n");
      }
      if (m.opt.llm) {
        std::printf("    llm confidence reliability:");
        for (int b = 0; b < 5; ++b)
          if (bins_n[b]) std::printf("  [%.1f,%.1f) %d/%d", b / 5.0, (b + 1) / 5.0, bins_ok[b], bins_n[b]);
        std::printf("\n");
      }
      if (show) {
        for (const auto& [cat, v] : s.by_cat) std::printf("    %-28s %d/%d\n", cat.c_str(), v.first, v.second);
        for (const auto& fl : s.failures) std::printf("%s\n", fl.c_str());
      }
    }
  }
  return 0;
}
