// nlu/src/sounds_like.cc: see sounds_like.h.

#include "sounds_like.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

namespace hearth::nlu {
namespace {

// A name's words as the home compares names: lower case, no punctuation,
// apostrophes dropped (normalize_name).
std::vector<std::string> words_of(std::string_view name) {
  std::vector<std::string> out;
  const std::string n = normalize_name(name);
  for (size_t b = 0; b < n.size();) {
    size_t e = n.find(' ', b);
    if (e == std::string::npos) e = n.size();
    out.push_back(n.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

// The words run together: "Bed side-lamp" -> "bedsidelamp".
std::string letters(std::string_view name) {
  std::string out;
  for (const std::string& w : words_of(name)) out += w;
  return out;
}

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }

bool starts(std::string_view s, size_t i, std::string_view w) { return s.substr(i, w.size()) == w; }

// One word (normalize_name's lower case) to its key.
void word_key(std::string_view w, std::string& out) {
  size_t i = 0;
  if (starts(w, 0, "wr") || starts(w, 0, "kn") || starts(w, 0, "ps")) i = 1;  // silent first letter
  const size_t first = i;
  std::string k;
  auto put = [&](char c) {
    if (k.empty() || k.back() != c) k += c;  // doubled sounds count once
  };
  while (i < w.size()) {
    const char c = w[i];
    if (starts(w, i, "ght")) { put('t'); i += 3; continue; }
    if (starts(w, i, "gh")) { i += 2; continue; }  // "high", "though"
    if (starts(w, i, "ph")) { put('f'); i += 2; continue; }
    if (starts(w, i, "ck")) { put('k'); i += 2; continue; }
    if (starts(w, i, "tch")) { put('c'); put('h'); i += 3; continue; }
    if (starts(w, i, "ch") || starts(w, i, "sh") || starts(w, i, "th")) { put(c); put('h'); i += 2; continue; }
    if (c == 'm' && i + 2 == w.size() && w[i + 1] == 'b') { put('m'); i += 2; continue; }  // "lamb", "thumb"
    if (c == 'c') {
      const bool soft = i + 1 < w.size() && (w[i + 1] == 'e' || w[i + 1] == 'i' || w[i + 1] == 'y');
      put(soft ? 's' : 'k');
    } else if (c == 'q') {
      put('k');
    } else if (c == 'x') {
      put('k');
      put('s');
    } else if (c == 'z') {
      put('s');
    } else if (is_vowel(c)) {
      if (i == first) put('a');  // a word's opening vowel is heard; the rest vary with accent and spelling
      else if (!k.empty() && k.back() != 'a') k += '.';  // a vowel breaks a doubled consonant ("t.t")
    } else {
      put(c);
    }
    ++i;
  }
  for (char c : k)
    if (c != '.') out += c;
}

}  // namespace

std::string sound_key(std::string_view name) {
  std::string out;
  for (const std::string& w : words_of(name)) word_key(w, out);
  return out;
}

int key_distance(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const Device* closest_device(const Home& home, std::string_view spoken) {
  const std::string key = sound_key(spoken);
  const std::string raw = letters(spoken);
  if (key.size() < 2) return nullptr;
  // How near one name is: (key edits, letter edits), or nothing when too far.
  // The same sound is enough; one sound apart also needs the spelling within
  // two letters ("desk lamb"), since short keys collide ("pool" / "patio").
  auto nearness = [&](std::string_view name) -> std::optional<std::pair<int, int>> {
    const int kd = key_distance(key, sound_key(name));
    if (kd > 1 || (kd == 1 && key.size() < 5)) return std::nullopt;
    const int rd = key_distance(raw, letters(name));
    if (kd == 1 && rd > 2) return std::nullopt;
    return std::pair<int, int>{kd, rd};
  };
  const Device* best = nullptr;
  std::pair<int, int> best_n{1 << 30, 1 << 30};
  bool tie = false;
  for (const Device& d : home.devices()) {
    std::optional<std::pair<int, int>> n = nearness(d.name);
    for (const std::string& a : d.aliases) {
      std::optional<std::pair<int, int>> na = nearness(a);
      if (na && (!n || *na < *n)) n = na;
    }
    if (!n) continue;
    if (*n < best_n) {
      best_n = *n;
      best = &d;
      tie = false;
    } else if (*n == best_n) {
      tie = true;
    }
  }
  return tie ? nullptr : best;
}

const Device* device_by_part(const Home& home, std::string_view spoken) {
  const std::vector<std::string> said = words_of(spoken);
  if (said.empty()) return nullptr;
  auto contains = [&](std::string_view name) {
    const std::vector<std::string> w = words_of(name);
    if (w.size() <= said.size()) return false;  // a part, not the whole
    for (const std::string& s : said)
      if (std::find(w.begin(), w.end(), s) == w.end()) return false;
    return true;
  };
  const Device* found = nullptr;
  for (const Device& d : home.devices()) {
    bool match = contains(d.name);
    for (const std::string& a : d.aliases) match = match || contains(a);
    if (!match) continue;
    if (found != nullptr) return nullptr;  // two devices: which one is for the user to say
    found = &d;
  }
  return found;
}

}  // namespace hearth::nlu
