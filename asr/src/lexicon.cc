// Pronunciations: cmudict entries, espeak-ng's phonemizer (IPA) mapped to
// the CMU phone set for words the dictionary lacks ("ecobee", "roomba").

#include <espeak-ng/speak_lib.h>

#include <cctype>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>

#include "hearth/asr/asr.h"

namespace hearth {
namespace {

// IPA (as espeak-ng writes it for en-us) → CMU. Longest match first.
struct IpaMap {
  const char* ipa;
  const char* cmu;
};
const IpaMap kIpa[] = {
    {"tʃ", "CH"}, {"dʒ", "JH"}, {"aɪ", "AY"}, {"aʊ", "AW"}, {"eɪ", "EY"}, {"oʊ", "OW"}, {"ɔɪ", "OY"},
    {"əl", "AH L"}, {"ɚ", "ER"}, {"ɝ", "ER"}, {"ɜ", "ER"}, {"ɑ", "AA"}, {"ɒ", "AA"}, {"æ", "AE"},
    {"ʌ", "AH"}, {"ə", "AH"}, {"ɐ", "AH"}, {"ɔ", "AO"}, {"ɛ", "EH"}, {"ɪ", "IH"}, {"ᵻ", "IH"},
    {"i", "IY"}, {"ʊ", "UH"}, {"u", "UW"}, {"e", "EY"}, {"o", "OW"}, {"a", "AE"}, {"b", "B"},
    {"d", "D"}, {"ð", "DH"}, {"f", "F"}, {"ɡ", "G"}, {"g", "G"}, {"h", "HH"}, {"j", "Y"},
    {"k", "K"}, {"l", "L"}, {"m", "M"}, {"n", "N"}, {"ŋ", "NG"}, {"p", "P"}, {"ɹ", "R"},
    {"r", "R"}, {"s", "S"}, {"ʃ", "SH"}, {"t", "T"}, {"θ", "TH"}, {"v", "V"}, {"w", "W"},
    {"z", "Z"}, {"ʒ", "ZH"}, {"ɾ", "T"}, {"ʔ", "T"}, {"x", "K"}, {"ç", "HH"}, {"ɬ", "L"},
};
// Marks that carry no phone: stress, length, syllabic, tie, separators.
const char* const kSkip[] = {"ˈ", "ˌ", "ː", "\u0329", "\u0361", "-", " ", "_", "'"};

std::mutex g_espeak_mu;
int g_espeak_state = 0;  // 0 = not tried, 1 = ready, -1 = unavailable

}  // namespace

std::string g2p_cmu(std::string_view word) {
  std::string ipa;
  {
    std::lock_guard<std::mutex> lock(g_espeak_mu);
    if (g_espeak_state == 0) {
      int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
      g_espeak_state = (rate > 0 && espeak_SetVoiceByName("en-us") == EE_OK) ? 1 : -1;
    }
    if (g_espeak_state != 1) return "";
    std::string text(word);
    const void* ptr = text.c_str();
    while (ptr) {
      const char* ph = espeak_TextToPhonemes(&ptr, espeakCHARS_UTF8, espeakPHONEMES_IPA);
      if (!ph) break;
      ipa += ph;
      ipa += ' ';
    }
  }
  std::string out;
  size_t i = 0;
  while (i < ipa.size()) {
    bool done = false;
    for (const char* s : kSkip) {
      size_t n = std::char_traits<char>::length(s);
      if (ipa.compare(i, n, s) == 0) {
        i += n;
        done = true;
        break;
      }
    }
    if (done) continue;
    for (const IpaMap& m : kIpa) {
      size_t n = std::char_traits<char>::length(m.ipa);
      if (ipa.compare(i, n, m.ipa) == 0) {
        if (!out.empty()) out += ' ';
        out += m.cmu;
        i += n;
        done = true;
        break;
      }
    }
    if (done) continue;
    // Unknown symbol: skip one UTF-8 code point.
    ++i;
    while (i < ipa.size() && (static_cast<unsigned char>(ipa[i]) & 0xC0) == 0x80) ++i;
  }
  return out;
}

std::string Lexicon::to_dict_text() const {
  std::string out;
  for (const auto& [w, ph] : entries) {
    out += w;
    out += ' ';
    out += ph;
    out += '\n';
  }
  return out;
}

Result<Lexicon> build_lexicon(const std::vector<std::string>& words, const std::string& cmudict_path) {
  std::ifstream f(cmudict_path, std::ios::binary);
  if (!f) return Error{Code::kNotFound, "asr: cannot open pronunciation dictionary " + cmudict_path};
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad()) return Error{Code::kIo, "asr: cannot read pronunciation dictionary " + cmudict_path};
  return build_lexicon_from_text(words, text.str(), true);
}

Result<Lexicon> build_lexicon_from_text(const std::vector<std::string>& words, std::string_view cmudict_text,
                                        bool use_g2p) {
  std::set<std::string> want(words.begin(), words.end());
  std::unordered_map<std::string, std::vector<std::string>> found;
  std::string line;
  std::istringstream in{std::string(cmudict_text)};
  while (std::getline(in, line)) {
    // Tabs separate like spaces (some cmudict copies use them).
    for (char& c : line)
      if (c == '\t') c = ' ';
    size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0) continue;
    std::string head = line.substr(0, sp);
    std::string base = head;
    size_t paren = base.find('(');
    if (paren != std::string::npos) base.resize(paren);
    if (!want.count(base)) continue;
    std::string phones = line.substr(sp + 1);
    size_t hash = phones.find('#');  // trailing comments
    if (hash != std::string::npos) phones.resize(hash);
    while (!phones.empty() && (phones.back() == ' ' || phones.back() == '\r')) phones.pop_back();
    while (!phones.empty() && phones.front() == ' ') phones.erase(phones.begin());
    // A pronunciation is phone symbols only (letters/digits), else the line
    // is malformed and skipped: PocketSphinx would reject the whole file.
    bool ok = !base.empty() && !phones.empty();
    for (char c : phones) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == ' ');
    if (!ok) continue;
    std::string norm;  // one space between phones
    for (char c : phones)
      if (c != ' ' || (!norm.empty() && norm.back() != ' ')) norm += c;
    found[base].push_back(norm);
  }
  Lexicon lex;
  for (const std::string& w : want) {
    auto it = found.find(w);
    std::vector<std::string> prons;
    if (it != found.end()) {
      prons = it->second;
    } else {
      std::string g = use_g2p ? g2p_cmu(w) : std::string();
      if (g.empty()) {
        lex.missing.push_back(w);
        continue;
      }
      prons.push_back(g);
      lex.g2p_words.push_back(w);
    }
    for (size_t i = 0; i < prons.size(); ++i)
      lex.entries.emplace_back(i == 0 ? w : w + "(" + std::to_string(i + 1) + ")", prons[i]);
  }
  return lex;
}

}  // namespace hearth
