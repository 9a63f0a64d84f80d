// libFuzzer target for asr/'s readers of outside input (issue 5): the "asr"
// config object (parse_asr_config), pronunciation dictionary text
// (build_lexicon_from_text, no espeak-ng) and sentences → ARPA
// (build_arpa; custom sentences come from the user's config). The first byte
// picks the reader. Invariants: no crash; a config either parses or reports
// errors; every lexicon entry is a wanted word with phone symbols only; the
// ARPA header counts match its sections.
#include <cstddef>
#include <cstdint>
#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hearth/asr/asr.h"

namespace {

std::vector<std::string> lines_of(std::string_view in) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : in) {
    if (c == '\n') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

void check_arpa(const std::string& arpa, int order) {
  std::istringstream in(arpa);
  std::string line;
  std::vector<long> declared(order + 1, -1), seen(order + 1, 0);
  int section = 0;
  while (std::getline(in, line)) {
    if (line.rfind("ngram ", 0) == 0) {
      int k = std::atoi(line.c_str() + 6);
      if (k < 1 || k > order) std::abort();
      declared[k] = std::atol(line.c_str() + line.find('=') + 1);
    } else if (line.size() > 8 && line[0] == '\\' && line.find("-grams:") != std::string::npos) {
      section = std::atoi(line.c_str() + 1);
    } else if (line == "\\end\\") {
      section = 0;
    } else if (section > 0 && !line.empty()) {
      ++seen[section];
    }
  }
  for (int k = 1; k <= order; ++k)
    if (declared[k] != seen[k]) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  const uint8_t mode = data[0] % 3;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode == 0) {
    hearth::AsrConfig cfg;
    hearth::ConfigErrors errors;
    hearth::parse_asr_config(in, &cfg, errors);
    cfg.validate(errors);
    (void)cfg.to_string();
  } else if (mode == 1) {
    // First line: the wanted words; the rest: dictionary text.
    const size_t nl = in.find('\n');
    std::vector<std::string> words = hearth::lm_words(in.substr(0, nl));
    std::string_view dict = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    auto lex = hearth::build_lexicon_from_text(words, dict, false);
    if (!lex) std::abort();  // text in memory: never an error
    for (const auto& [w, ph] : lex->entries) {
      if (ph.empty() || ph.front() == ' ' || ph.back() == ' ') std::abort();
      for (char c : ph)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ') std::abort();
    }
    // Every wanted word is either spelled or missing, never both or neither.
    std::set<std::string> spelled, missing(lex->missing.begin(), lex->missing.end());
    for (const auto& [w, ph] : lex->entries) spelled.insert(w.substr(0, w.find('(')));
    for (const std::string& w : words)
      if (spelled.count(w) == missing.count(w)) std::abort();
  } else {
    const int order = 1 + (size > 1 ? data[1] % 4 : 0);
    std::vector<std::string> sentences = lines_of(in);
    if (sentences.size() > 200) sentences.resize(200);
    auto arpa = hearth::build_arpa(sentences, {}, order);
    if (arpa) check_arpa(*arpa, order);
  }
  return 0;
}
