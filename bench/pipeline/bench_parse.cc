// bench_parse: template-grammar latency per sentence (p50 / p99 / max) and
// throughput, over the hand-written sentence sets in tests/data/sentences
// (dev, dev2, dev3 and test; timing only — accuracy is the test suite's job) on the demo
// home. Single thread. Usage: bench_parse [rounds] [home.json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/nlu/nlu.h"

using Clock = std::chrono::steady_clock;

static std::vector<std::string> load_sentences(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    out.push_back(nlohmann::json::parse(line).at("text").get<std::string>());
  }
  return out;
}

static double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::string home_path = argc > 2 ? argv[2] : HEARTH_ASSETS_DIR "/homes/demo.json";
  hearth::ConfigErrors errs;
  auto home = hearth::Home::load_file(home_path, errs);
  if (!home) {
    std::fprintf(stderr, "bench_parse: %s\n%s", home.error().message.c_str(), errs.to_string().c_str());
    return 1;
  }
  std::vector<std::string> sentences;
  for (const char* f : {"/sentences/dev.jsonl", "/sentences/dev2.jsonl", "/sentences/dev3.jsonl",
                        "/sentences/test.jsonl"}) {
    auto s = load_sentences(std::string(HEARTH_TEST_DATA_DIR) + f);
    sentences.insert(sentences.end(), s.begin(), s.end());
  }
  if (sentences.empty()) {
    std::fprintf(stderr, "bench_parse: no sentences under %s/sentences\n", HEARTH_TEST_DATA_DIR);
    return 1;
  }

  auto t0 = Clock::now();
  auto parser = hearth::make_template_parser(*home, hearth::NluConfig{});
  auto t1 = Clock::now();
  if (!parser) {
    std::fprintf(stderr, "bench_parse: %s\n", parser.error().message.c_str());
    return 1;
  }
  const double compile_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();

  // Warm-up round, then timed rounds; each sentence timed on its own.
  size_t understood = 0;
  for (const auto& s : sentences) understood += (*parser)->parse(s).intent.has_value();
  std::vector<double> us;                                  // every timed parse
  std::vector<double> min_us(sentences.size(), 1e300);     // per sentence, fastest round
  us.reserve(sentences.size() * rounds);
  auto all0 = Clock::now();
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < sentences.size(); ++i) {
      auto a = Clock::now();
      auto res = (*parser)->parse(sentences[i]);
      auto b = Clock::now();
      const double t = std::chrono::duration<double, std::micro>(b - a).count();
      us.push_back(t);
      min_us[i] = std::min(min_us[i], t);
      if (res.text.size() != sentences[i].size()) std::abort();  // keep the call observable
    }
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - all0).count();

  std::printf("bench_parse: %zu sentences x %d rounds, home %s (%zu devices), %zu templates\n",
              sentences.size(), rounds, home_path.c_str(), home->devices().size(), (*parser)->template_count());
  std::printf("| metric | value |\n|---|---|\n");
  std::printf("| compile (home + templates) | %.2f ms |\n", compile_ms);
  std::printf("| parse p50 | %.2f us |\n", pct(us, 0.50));
  std::printf("| parse p99 | %.2f us |\n", pct(us, 0.99));
  std::printf("| parse max | %.2f us |\n", pct(us, 1.0));
  // The fastest of the rounds is the parser's own cost, free of preemption by
  // other processes; the plain percentiles above include it.
  std::printf("| parse p50, fastest round per sentence | %.2f us |\n", pct(min_us, 0.50));
  std::printf("| parse p99, fastest round per sentence | %.2f us |\n", pct(min_us, 0.99));
  std::printf("| throughput | %.0f sentences/s |\n", us.size() / total_s);
  std::printf("| understood | %zu / %zu |\n", understood, sentences.size());
  return 0;
}
