#include "grammar.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "hearth/common/log.h"
#include "text.h"

namespace hearth::nlu {
namespace {

// Skipped anywhere in the input; dropped from templates. Multi-word ones are
// skipped as a unit only.
const char* const kFillers[] = {
    "please", "the", "my", "our", "now", "thanks", "kindly", "just", "hey", "ok", "okay", "um", "uh",
    "could you", "can you", "would you", "will you", "for me", "thank you", "go ahead and",
    "i want you to", "i would like you to", "hearth", "right now", "oh", "quickly", "also",
    "let us", "i want to", "i would like to", "i need to", "do me a favor and", "would you mind",
    // Interjections and self-corrections: "oops, never mind", "no wait, turn it off".
    "oops", "whoops", "ugh", "hmm", "hm", "erm", "er", "ah", "umm", "uhm", "well", "actually", "wait",
    "no wait", "alright", "all right", "yeah", "sorry", "so",
    // Politeness frames; what is left is the terse command ("i need a timer for five minutes").
    "i need", "i want", "i would like", "i would love", "i would love you to", "could i have", "can i have",
    "can i get", "could i get", "may i have", "could we have", "can we have", "you can", "could we get", "can we get", "quick", "roughly", "approximately", "do you know", "do you mind", "would you be able to",
    "are you able to", "if you can", "if you could", "if you would", "would it be possible to",
    "is it possible to",
    "when you get a chance", "cheers", "we need", "we want", "we would like", "and", "for us",
    // Trailing time hedges: "pause the telly for a sec".
    "for a sec", "for a second", "for a moment", "for a bit", "for now", "real quick",
};

// Words a free-words slot ({name:*}, {timer_name:*}) never takes: pronouns,
// articles, prepositions and verbs of the sentence frame. Without them,
// "i need a timer for five minutes" cannot name a timer "i need a", and "for
// me" after a duration cannot name it "me".
const char* const kNotFreeWords[] = {
    "i", "me", "you", "we", "us", "it", "its", "they", "them", "he", "she", "him", "her", "that", "this",
    "these", "those", "a", "an", "to", "of", "in", "on", "off", "at", "for", "from", "with", "by", "and",
    "or", "but", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "not", "no", "what",
    "which", "who", "how", "why", "when", "where", "if", "whether", "up", "down", "all", "every", "some",
    "any", "anything", "something", "everything", "there", "here", "need", "want", "like", "would", "will",
    "can", "could", "should", "have", "has", "had", "get", "got", "set", "turn", "switch", "timer", "timers",
    "volume", "brightness", "temperature", "level", "color", "colour", "percent", "degrees", "anyone", "someone",
    "anybody", "somebody", "everyone", "everybody", "nobody", "nothing",
    // Things a phone assistant has and a home hub does not: "turn off my alarm" is not a device.
    "alarm", "alarms", "reminder", "reminders", "music",
    // "turn off the bedtime routine" names a routine (HearthRoutineOff), not a device "bedtime routine".
    "routine", "routines", "automation", "automations",
};

struct KindEntry {
  const char* words;
  const char* domain;
  const char* device_class;  // "" = none
};
// Words for kinds of device -> domain (+ device_class). Singular and plural.
const KindEntry kKinds[] = {
    {"light", "light", ""},        {"lights", "light", ""},        {"lamp", "light", ""},
    {"lamps", "light", ""},        {"lighting", "light", ""},      {"bulb", "light", ""},
    {"bulbs", "light", ""},        {"switch", "switch", ""},       {"switches", "switch", ""},
    {"plug", "switch", ""},        {"plugs", "switch", ""},        {"outlet", "switch", ""},
    {"outlets", "switch", ""},     {"socket", "switch", ""},       {"sockets", "switch", ""},
    {"fan", "fan", ""},            {"fans", "fan", ""},            {"blind", "cover", "blind"},
    {"blinds", "cover", "blind"},  {"curtain", "cover", "curtain"}, {"curtains", "cover", "curtain"},
    {"drapes", "cover", "curtain"}, {"shade", "cover", "shade"},   {"shades", "cover", "shade"},
    {"shutter", "cover", "shutter"}, {"shutters", "cover", "shutter"}, {"cover", "cover", ""},
    {"covers", "cover", ""},       {"garage door", "cover", "garage"}, {"garage doors", "cover", "garage"},
    {"lock", "lock", ""},          {"locks", "lock", ""},          {"door", "lock", ""},
    {"doors", "lock", ""},         {"thermostat", "climate", ""},  {"thermostats", "climate", ""},
    {"radiator", "climate", ""},   {"radiators", "climate", ""},   {"tv", "media_player", ""},
    {"tvs", "media_player", ""},   {"television", "media_player", ""}, {"speaker", "media_player", ""},
    {"speakers", "media_player", ""}, {"media player", "media_player", ""},
    {"media players", "media_player", ""}, {"sensor", "sensor", ""}, {"sensors", "sensor", ""},
    {"window", "binary_sensor", "window"}, {"windows", "binary_sensor", "window"},
    {"vacuum", "vacuum", ""},      {"vacuums", "vacuum", ""},      {"scene", "scene", ""},
    {"scenes", "scene", ""},       {"script", "script", ""},       {"scripts", "script", ""},
};

const char* const kColors[] = {"red",  "orange",    "yellow",    "green",    "blue",   "purple", "pink",
                               "white", "warm white", "cyan",    "magenta",  "teal",   "turquoise",
                               "lavender", "gold",  "amber",     "violet",   "indigo", "lime"};

struct ColorTemp {
  const char* words;
  int kelvin;
};
const ColorTemp kColorTemps[] = {{"warm", 2700},          {"warm white", 2700},   {"soft white", 3000},
                                 {"soft", 3000},          {"neutral", 4000},      {"natural", 4000},
                                 {"neutral white", 4000}, {"natural white", 4000}, {"cool", 5000},
                                 {"cool white", 5000},    {"cold white", 5000},   {"cold", 5000},
                                 {"daylight", 6500},      {"daylight white", 6500}};

// Last words that people say in either number: "porch lights" for "Porch Light".
const std::pair<const char*, const char*> kPluralPairs[] = {
    {"light", "lights"}, {"lamp", "lamps"}, {"blind", "blinds"}, {"curtain", "curtains"},
    {"shade", "shades"}, {"speaker", "speakers"}, {"fan", "fans"}, {"door", "doors"}};

Value tag_value(std::string_view text) {
  if (text.empty()) return std::string();
  char* end = nullptr;
  std::string s(text);
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (end && *end == '\0' && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-'))
    return static_cast<int64_t>(i);
  double d = std::strtod(s.c_str(), &end);
  if (end && *end == '\0' && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) return d;
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_syntax_char(char c) {
  return c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == '<' || c == '>' ||
         c == '|' || c == '$' || c == ';';
}

int find_edge(const std::vector<std::pair<int, int>>& edges, int key) {
  auto it = std::lower_bound(edges.begin(), edges.end(), std::make_pair(key, INT_MIN));
  if (it != edges.end() && it->first == key) return it->second;
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------
// Template reader: recursive descent over one template or macro fragment,
// producing every expansion as a sequence of elements plus fixed slot tags.

class Grammar::TemplateReader {
 public:
  // `keep_fillers`: filler words stay literal (slot-list phrases, whose value may be the words said).
  TemplateReader(Grammar& g, std::string_view text, bool keep_fillers = false)
      : g_(g), text_(text), keep_fillers_(keep_fillers) {}

  Result<Alts> read_all() {
    auto r = alternatives();
    if (!r) return r.error();
    skip_space();
    if (pos_ < text_.size()) return fail(std::string("unexpected '") + text_[pos_] + "'");
    return r;
  }

 private:
  Error fail(const std::string& what) const {
    return Error{Code::kBadInput, "column " + std::to_string(pos_ + 1) + ": " + what};
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }

  Result<Alts> product(const Alts& a, const Alts& b) const {
    if (a.size() * b.size() > kMaxExpansions)
      return fail("template expands to more than " + std::to_string(kMaxExpansions) + " sentences");
    Alts out;
    out.reserve(a.size() * b.size());
    for (const Seq& x : a) {
      for (const Seq& y : b) {
        Seq s = x;
        s.elems.insert(s.elems.end(), y.elems.begin(), y.elems.end());
        for (const auto& [k, v] : y.tags) s.tags[k] = v;
        out.push_back(std::move(s));
      }
    }
    return out;
  }

  // A group of single words (some possibly empty, e.g. a dropped filler) becomes
  // one word-set element; anything else stays as it is.
  Alts collapse_word_set(Alts alts) const {
    std::vector<int> words;
    bool optional = false;
    for (const Seq& s : alts) {
      if (!s.tags.empty()) return alts;
      if (s.elems.empty()) {
        optional = true;
      } else if (s.elems.size() == 1 && s.elems[0].word >= 0) {
        words.push_back(s.elems[0].word);
      } else {
        return alts;
      }
    }
    if (words.empty()) return Alts{Seq{}};
    if (words.size() == 1 && !optional) return alts;
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    Special sp;
    sp.kind = SpecialKind::kWordSet;
    sp.words = std::move(words);
    sp.optional = optional;
    Seq s;
    s.elems.push_back(Elem{-1, g_.add_special(sp)});
    return Alts{s};
  }

  // seq ('|' seq)*
  Result<Alts> alternatives() {
    Alts out;
    for (;;) {
      size_t start = pos_;
      int n_items = 0;
      auto s = sequence(&n_items);
      if (!s) return s.error();
      if (n_items == 0) {
        pos_ = start;
        return fail("empty alternative (use [...] for something optional)");
      }
      for (Seq& q : *s) out.push_back(std::move(q));
      if (out.size() > kMaxExpansions)
        return fail("template expands to more than " + std::to_string(kMaxExpansions) + " sentences");
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == '|') {
        ++pos_;
        continue;
      }
      return out;
    }
  }

  // item*
  Result<Alts> sequence(int* n_items) {
    Alts cur{Seq{}};
    for (;;) {
      skip_space();
      if (pos_ >= text_.size()) return cur;
      char c = text_[pos_];
      if (c == '|' || c == ')' || c == ']' || c == ';') return cur;
      auto item = one_item();
      if (!item) return item.error();
      ++*n_items;
      auto next = product(cur, *item);
      if (!next) return next.error();
      cur = std::move(*next);
    }
  }

  Result<Alts> one_item() {
    char c = text_[pos_];
    if (c == '(' || c == '[') {
      char close = c == '(' ? ')' : ']';
      size_t open_at = pos_;
      ++pos_;
      // "(a; b; c)": a permutation, its items in any order (hassil's syntax).
      std::vector<Alts> items;
      for (;;) {
        auto inner = alternatives();
        if (!inner) return inner.error();
        items.push_back(std::move(*inner));
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == ';') {
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ >= text_.size() || text_[pos_] != close) {
        pos_ = open_at;
        return fail(std::string("'") + c + "' is never closed with '" + close + "'");
      }
      ++pos_;
      Alts out;
      if (items.size() == 1) {
        out = std::move(items[0]);
      } else {
        auto p = permutations(items);
        if (!p) return p.error();
        out = std::move(*p);
      }
      if (c == '[') out.push_back(Seq{});
      return collapse_word_set(std::move(out));
    }
    if (c == '{') {
      size_t end = text_.find('}', pos_);
      if (end == std::string_view::npos) return fail("'{' is never closed with '}'");
      std::string_view spec = trim(text_.substr(pos_ + 1, end - pos_ - 1));
      auto special = g_.special_for(spec);
      if (!special) return fail(special.error().message);
      pos_ = end + 1;
      Seq s;
      s.elems.push_back(Elem{-1, *special});
      return Alts{s};
    }
    if (c == '<') {
      size_t end = text_.find('>', pos_);
      if (end == std::string_view::npos) return fail("'<' is never closed with '>'");
      std::string_view tag = text_.substr(pos_ + 1, end - pos_ - 1);
      size_t eq = tag.find('=');
      if (eq == std::string_view::npos && !trim(tag).empty()) {
        // <rule>: an expansion rule (config "nlu.expansion_rules"); same store as $macro.
        auto it = g_.macros_.find(std::string(trim(tag)));
        if (it == g_.macros_.end()) return fail("unknown expansion rule <" + std::string(trim(tag)) + ">");
        pos_ = end + 1;
        return it->second;
      }
      if (eq == std::string_view::npos || trim(tag.substr(0, eq)).empty())
        return fail("a fixed value is written <slot=value>, got <" + std::string(tag) + ">");
      Seq s;
      s.tags[std::string(trim(tag.substr(0, eq)))] = tag_value(trim(tag.substr(eq + 1)));
      pos_ = end + 1;
      return Alts{s};
    }
    if (c == '$') {
      size_t start = ++pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
        ++pos_;
      std::string name(text_.substr(start, pos_ - start));
      auto it = g_.macros_.find(name);
      if (it == g_.macros_.end()) {
        pos_ = start - 1;
        return fail("unknown macro $" + name);
      }
      return it->second;
    }
    if (c == '}' || c == '>') return fail(std::string("unexpected '") + c + "'");
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != '\t' && !is_syntax_char(text_[pos_])) ++pos_;
    // "=the": a filler word the sentence must say here ("lock =the {name:*}").
    const bool required = text_[start] == '=';
    Seq s;
    for (const std::string& w : tokenize(text_.substr(start, pos_ - start))) {
      if (!required && !keep_fillers_ && g_.is_filler_word(w)) continue;  // skipped in the input anyway
      s.elems.push_back(Elem{g_.intern(w), -1});
    }
    if (required && s.elems.empty()) return fail("'=' must be followed by a word");
    return Alts{s};
  }

  // Every order of `items`, each order the product of its items; duplicates
  // (optional items left out in different orders) are dropped.
  Result<Alts> permutations(const std::vector<Alts>& items) const {
    if (items.size() > kMaxPermutationItems)
      return fail("a permutation takes at most " + std::to_string(kMaxPermutationItems) + " items, got " +
                  std::to_string(items.size()));
    std::vector<size_t> order(items.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::set<std::pair<std::vector<std::pair<int, int>>, ValueMap>> seen;
    Alts out;
    do {
      Alts cur{Seq{}};
      for (size_t i : order) {
        auto next = product(cur, items[i]);
        if (!next) return next.error();
        cur = std::move(*next);
      }
      for (Seq& q : cur) {
        std::vector<std::pair<int, int>> key;
        key.reserve(q.elems.size());
        for (const Elem& e : q.elems) key.emplace_back(e.word, e.special);
        if (!seen.emplace(std::move(key), q.tags).second) continue;
        out.push_back(std::move(q));
        if (out.size() > kMaxExpansions)
          return fail("template expands to more than " + std::to_string(kMaxExpansions) + " sentences");
      }
    } while (std::next_permutation(order.begin(), order.end()));
    return out;
  }

  Grammar& g_;
  std::string_view text_;
  size_t pos_ = 0;
  bool keep_fillers_ = false;
};

// ---------------------------------------------------------------------------

Grammar::Grammar(const Home& home) : home_(home) {
  nodes_.emplace_back();
  for (const char* f : kFillers) {
    std::vector<int> ids;
    for (const std::string& w : tokenize(f)) ids.push_back(intern(w));
    if (ids.size() == 1) {
      if (filler_word_.size() <= static_cast<size_t>(ids[0])) filler_word_.resize(ids[0] + 1, false);
      filler_word_[ids[0]] = true;
    }
    filler_phrases_.push_back(std::move(ids));
  }
  for (const std::string& w : number_and_duration_words()) intern(w);

  make_kind_list("");

  PhraseList colors;
  colors.name = "color";
  for (const char* c : kColors) add_phrase(colors, c, ValueMap{{"color", std::string(c)}}, true);
  list_by_key_["color"] = add_list(std::move(colors));

  PhraseList temps;
  temps.name = "color_temp";
  for (const ColorTemp& t : kColorTemps)
    add_phrase(temps, t.words, ValueMap{{"color_temp", static_cast<int64_t>(t.kelvin)}}, true);
  list_by_key_["color_temp"] = add_list(std::move(temps));

  PhraseList areas;
  areas.name = "area";
  areas.bonus = kBonusAreaFloor;
  for (const Area& a : home_.areas()) {
    add_phrase(areas, a.name, ValueMap{{"area", a.name}}, true);
    for (const std::string& alias : a.aliases) add_phrase(areas, alias, ValueMap{{"area", a.name}}, true);
  }
  list_by_key_["area"] = add_list(std::move(areas));

  PhraseList floors;
  floors.name = "floor";
  floors.bonus = kBonusAreaFloor;
  for (const Floor& f : home_.floors()) {
    add_phrase(floors, f.name, ValueMap{{"floor", f.name}}, true);
    for (const std::string& alias : f.aliases) add_phrase(floors, alias, ValueMap{{"floor", f.name}}, true);
  }
  list_by_key_["floor"] = add_list(std::move(floors));

  make_name_list("");

  for (const char* w : kNotFreeWords) {
    int id = intern(w);
    if (not_free_word_.size() <= static_cast<size_t>(id)) not_free_word_.resize(id + 1, false);
    not_free_word_[id] = true;
  }
  for (const char* key : {"name", "area", "floor", "kind"}) known_phrase_lists_.push_back(list_by_key_.at(key));
}

bool Grammar::is_known_phrase(const std::vector<int>& ids, int begin, int end) const {
  for (int li : known_phrase_lists_) {
    const PhraseList& list = lists_[li];
    int node = 0;
    for (int i = begin; i < end && node >= 0; ++i) {
      if (ids[i] < 0) node = -1;
      else node = find_edge(list.nodes[node].next, ids[i]);
    }
    if (node >= 0 && list.nodes[node].value >= 0) return true;
  }
  return false;
}

int Grammar::intern(std::string_view word) {
  auto it = vocab_.find(std::string(word));
  if (it != vocab_.end()) return it->second;
  int id = static_cast<int>(words_.size());
  words_.emplace_back(word);
  vocab_.emplace(std::string(word), id);
  return id;
}

int Grammar::word_id(std::string_view word) const {
  auto it = vocab_.find(std::string(word));
  return it == vocab_.end() ? -1 : it->second;
}

int Grammar::input_word_id(std::string_view word) const {
  const int id = word_id(word);
  if (id >= 0 || word.size() < 4 || word.back() != 's') return id;
  return word_id(word.substr(0, word.size() - 1));
}

void Grammar::filler_lengths_at(const std::vector<int>& ids, int pos, std::vector<int>& out) const {
  out.clear();
  const int n = static_cast<int>(ids.size());
  for (const std::vector<int>& f : filler_phrases_) {
    const int len = static_cast<int>(f.size());
    if (pos + len > n) continue;
    bool ok = true;
    for (int k = 0; k < len && ok; ++k) ok = ids[pos + k] == f[k];
    if (ok) out.push_back(len);
  }
}

std::pair<int, int> Grammar::longest_phrase(const PhraseList& list, const std::vector<int>& ids, int pos) const {
  std::pair<int, int> best{-1, -1};
  int node = 0;
  for (int i = pos; i < static_cast<int>(ids.size()); ++i) {
    if (ids[i] < 0) break;
    node = find_edge(list.nodes[node].next, ids[i]);
    if (node < 0) break;
    if (list.nodes[node].value >= 0) best = {i + 1, list.nodes[node].value};
  }
  return best;
}

bool Grammar::is_filler_word(std::string_view word) const {
  int id = word_id(word);
  return id >= 0 && static_cast<size_t>(id) < filler_word_.size() && filler_word_[id];
}

void Grammar::add_phrase(PhraseList& list, std::string_view phrase, ValueMap value, bool keep_first) {
  std::vector<std::string> words = tokenize(phrase);
  if (words.empty()) return;
  int node = 0;
  for (const std::string& w : words) {
    int id = intern(w);
    int child = -1;
    for (const auto& [wid, c] : list.nodes[node].next)
      if (wid == id) child = c;
    if (child < 0) {
      child = static_cast<int>(list.nodes.size());
      list.nodes[node].next.emplace_back(id, child);
      list.nodes.emplace_back();
    }
    node = child;
  }
  if (list.nodes[node].value >= 0 && keep_first) return;
  list.nodes[node].value = static_cast<int>(list.values.size());
  list.values.push_back(std::move(value));
}

int Grammar::add_list(PhraseList list) {
  for (PhraseList::Node& n : list.nodes) std::sort(n.next.begin(), n.next.end());
  lists_.push_back(std::move(list));
  return static_cast<int>(lists_.size()) - 1;
}

static std::set<std::string> split_domains(std::string_view domains) {
  std::set<std::string> wanted;
  for (size_t start = 0; start <= domains.size();) {
    size_t comma = domains.find(',', start);
    if (comma == std::string_view::npos) comma = domains.size();
    std::string_view d = trim(domains.substr(start, comma - start));
    if (!d.empty()) wanted.insert(std::string(d));
    start = comma + 1;
  }
  return wanted;
}

std::optional<KindMeaning> kind_meaning(std::string_view phrase) {
  for (const KindEntry& k : kKinds)
    if (phrase == k.words) return KindMeaning{k.domain, k.device_class};
  return std::nullopt;
}

// Kind words ("lights", "blinds"), optionally only for some domains ("cover").
int Grammar::make_kind_list(std::string_view domains) {
  std::string key = domains.empty() ? std::string("kind") : "kind:" + std::string(domains);
  if (auto it = list_by_key_.find(key); it != list_by_key_.end()) return it->second;
  std::set<std::string> wanted = split_domains(domains);
  PhraseList kinds;
  kinds.name = key;
  for (const KindEntry& k : kKinds) {
    if (!wanted.empty() && !wanted.count(k.domain)) continue;
    ValueMap v{{"domain", std::string(k.domain)}};
    if (*k.device_class) v["device_class"] = std::string(k.device_class);
    add_phrase(kinds, k.words, v, true);
  }
  int index = add_list(std::move(kinds));
  list_by_key_[key] = index;
  return index;
}

// Whether `phrase` reads as an area or floor followed by a kind word
// ("dining room lights"): such words keep their area + kind meaning.
bool Grammar::reads_as_place_and_kind(const std::vector<std::string>& words) const {
  for (size_t cut = 1; cut < words.size(); ++cut) {
    std::string place = join_words(words, 0, cut);
    std::string kind = join_words(words, cut, words.size());
    bool is_place = false;
    for (const Area& a : home_.areas()) {
      if (join_words(tokenize(a.name), 0, SIZE_MAX) == place) is_place = true;
      for (const std::string& al : a.aliases)
        if (join_words(tokenize(al), 0, SIZE_MAX) == place) is_place = true;
    }
    for (const Floor& f : home_.floors()) {
      if (join_words(tokenize(f.name), 0, SIZE_MAX) == place) is_place = true;
      for (const std::string& al : f.aliases)
        if (join_words(tokenize(al), 0, SIZE_MAX) == place) is_place = true;
    }
    if (!is_place) continue;
    for (const KindEntry& k : kKinds)
      if (kind == k.words) return true;
  }
  return false;
}

// The device-name list, optionally only for some domains ("light,switch").
// A phrase shared by several devices (in any domain) keeps the spoken form
// so that resolution can report it as ambiguous.
int Grammar::make_name_list(std::string_view domains) {
  std::string key = domains.empty() ? std::string("name") : "name:" + std::string(domains);
  if (auto it = list_by_key_.find(key); it != list_by_key_.end()) return it->second;

  std::set<std::string> wanted = split_domains(domains);

  std::map<std::string, std::set<std::string>> owners;  // phrase -> device ids
  for (const Device& d : home_.devices()) {
    owners[join_words(tokenize(d.name), 0, SIZE_MAX)].insert(d.id);
    for (const std::string& a : d.aliases) owners[join_words(tokenize(a), 0, SIZE_MAX)].insert(d.id);
  }
  auto value_for = [&](const std::string& phrase, const Device& d) {
    const auto& ids = owners[phrase];
    return ValueMap{{"name", ids.size() > 1 ? phrase : d.name}};
  };

  PhraseList list;
  list.name = key;
  // A list limited to some domains is the more specific reading.
  list.bonus = wanted.empty() ? kBonusDeviceName : kBonusDeviceName + 1;
  for (const std::string& w : wanted)
    if (w.find('.') != std::string::npos) list.bonus = kBonusDeviceName + 2;  // a device_class is narrower still
  std::vector<std::pair<std::string, ValueMap>> variants;
  for (const Device& d : home_.devices()) {
    const std::string dom(domain_name(d.domain));
    if (!wanted.empty() && !wanted.count(dom) && !wanted.count(dom + "." + d.device_class)) continue;
    std::vector<std::string> phrases{d.name};
    phrases.insert(phrases.end(), d.aliases.begin(), d.aliases.end());
    for (const std::string& p : phrases) {
      std::vector<std::string> words = tokenize(p);
      if (words.empty()) continue;
      std::string phrase = join_words(words, 0, words.size());
      ValueMap v = value_for(phrase, d);
      add_phrase(list, phrase, v, true);
      for (const auto& [one, many] : kPluralPairs) {
        std::string other;
        if (words.back() == one) other = many;
        if (words.back() == many) other = one;
        if (other.empty()) continue;
        std::vector<std::string> w2 = words;
        w2.back() = other;
        if (reads_as_place_and_kind(w2)) continue;
        variants.emplace_back(join_words(w2, 0, w2.size()), v);
      }
    }
  }
  // Variants never displace a real name or alias.
  for (auto& [phrase, v] : variants) {
    if (owners.count(phrase)) continue;
    add_phrase(list, phrase, v, true);
  }
  int index = add_list(std::move(list));
  list_by_key_[key] = index;
  return index;
}

int Grammar::add_special(const Special& s) {
  for (size_t i = 0; i < specials_.size(); ++i)
    if (specials_[i] == s) return static_cast<int>(i);
  specials_.push_back(s);
  return static_cast<int>(specials_.size()) - 1;
}

Result<int> Grammar::special_for(std::string_view spec) {
  if (spec.empty()) return Error{Code::kBadInput, "empty slot {}"};
  size_t colon = spec.find(':');
  std::string_view head = trim(spec.substr(0, colon));
  if (auto cl = custom_lists_.find(std::string(head)); cl != custom_lists_.end()) {
    // A config list: {size} sets slot "size", {size:cup} sets slot "cup".
    std::string slot(colon == std::string_view::npos ? head : trim(spec.substr(colon + 1)));
    if (slot.empty()) return Error{Code::kBadInput, "slot name missing in {" + std::string(spec) + "}"};
    const SlotList& def = cl->second;
    Special s;
    if (def.wildcard) {
      s.kind = SpecialKind::kWildcard;
      s.slot = slot;
    } else if (def.has_range) {
      s.kind = SpecialKind::kNumber;
      s.slot = slot;
      s.lo = def.range_from;
      s.hi = def.range_to;
    } else {
      auto list = custom_phrase_list(cl->first, slot);
      if (!list) return list.error();
      s.kind = SpecialKind::kList;
      s.list = *list;
    }
    return add_special(s);
  }
  if (colon == std::string_view::npos) {
    if (head == "duration") {
      Special s;
      s.kind = SpecialKind::kDuration;
      return add_special(s);
    }
    auto it = list_by_key_.find(std::string(head));
    if (it == list_by_key_.end())
      return Error{Code::kBadInput, "unknown slot list {" + std::string(head) +
                                        "} (known: name, area, floor, kind, color, color_temp, duration, "
                                        "{slot:lo-hi}, {slot:*})"};
    Special s;
    s.kind = SpecialKind::kList;
    s.list = it->second;
    return add_special(s);
  }
  std::string_view arg = trim(spec.substr(colon + 1));
  if (head.empty()) return Error{Code::kBadInput, "slot name missing in {" + std::string(spec) + "}"};
  if (arg == "*") {
    Special s;
    s.kind = SpecialKind::kWildcard;
    s.slot = std::string(head);
    return add_special(s);
  }
  if (!arg.empty() && (std::isdigit(static_cast<unsigned char>(arg[0])) || arg[0] == '-')) {
    size_t dash = arg.find('-', 1);
    if (dash == std::string_view::npos)
      return Error{Code::kBadInput, "a number range is written {slot:lo-hi}, got {" + std::string(spec) + "}"};
    std::string lo_s(trim(arg.substr(0, dash)));
    std::string hi_s(trim(arg.substr(dash + 1)));
    char* e1 = nullptr;
    char* e2 = nullptr;
    double lo = std::strtod(lo_s.c_str(), &e1);
    double hi = std::strtod(hi_s.c_str(), &e2);
    if (lo_s.empty() || hi_s.empty() || *e1 != '\0' || *e2 != '\0' || lo > hi)
      return Error{Code::kBadInput, "bad number range in {" + std::string(spec) + "} (want lo-hi with lo <= hi)"};
    Special s;
    s.kind = SpecialKind::kNumber;
    s.slot = std::string(head);
    s.lo = lo;
    s.hi = hi;
    return add_special(s);
  }
  if (head == "name" || head == "kind") {
    for (char c : arg)
      if (!(std::islower(static_cast<unsigned char>(c)) || c == '_' || c == ',' || c == ' ' ||
            (c == '.' && head == "name")))
        return Error{Code::kBadInput, "{" + std::string(head) + ":...} takes domains like {" + std::string(head) +
                                          ":light,switch}, got {" + std::string(spec) + "}"};
    for (const std::string& d : split_domains(arg))
      if (!domain_from_name(d.substr(0, d.find('.'))))
        return Error{Code::kBadInput, "unknown domain '" + d + "' in {" + std::string(spec) + "}"};
    Special s;
    s.kind = SpecialKind::kList;
    s.list = head == "name" ? make_name_list(arg) : make_kind_list(arg);
    return add_special(s);
  }
  return Error{Code::kBadInput, "cannot read slot {" + std::string(spec) +
                                    "} (want {list}, {name:domains}, {slot:lo-hi} or {slot:*})"};
}

Result<Grammar::Alts> Grammar::parse_fragment(std::string_view text, bool keep_fillers) {
  TemplateReader reader(*this, text, keep_fillers);
  return reader.read_all();
}

bool Grammar::is_builtin_list_name(std::string_view name) {
  for (const char* k : {"name", "area", "floor", "kind", "color", "color_temp", "duration"})
    if (name == k) return true;
  return false;
}

void Grammar::add_skip_phrase(std::string_view phrase) {
  std::vector<int> ids;
  for (const std::string& w : tokenize(phrase)) ids.push_back(intern(w));
  if (ids.empty()) return;
  for (const std::vector<int>& f : filler_phrases_)
    if (f == ids) return;
  if (ids.size() == 1) {
    if (filler_word_.size() <= static_cast<size_t>(ids[0])) filler_word_.resize(ids[0] + 1, false);
    filler_word_[ids[0]] = true;
  }
  filler_phrases_.push_back(std::move(ids));
}

Result<void> Grammar::define_list(std::string_view name, const SlotList& list) {
  if (name.empty()) return Error{Code::kBadInput, "a list needs a name"};
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return Error{Code::kBadInput, "list name '" + std::string(name) + "': use letters, digits and '_'"};
  if (is_builtin_list_name(name))
    return Error{Code::kBadInput, "list name '" + std::string(name) + "' is a built-in list; pick another name"};
  const int kinds = (list.values.empty() ? 0 : 1) + (list.has_range ? 1 : 0) + (list.wildcard ? 1 : 0);
  if (kinds != 1) return Error{Code::kBadInput, "a list has exactly one of \"values\", \"range\" or \"wildcard\""};
  if (list.has_range && !(list.range_from <= list.range_to))
    return Error{Code::kBadInput, "range: \"from\" must not exceed \"to\""};
  // Check every value now, so a bad one is reported where it is defined.
  for (size_t i = 0; i < list.values.size(); ++i) {
    auto phrases = list_phrases(list.values[i].in);
    if (!phrases) return phrases.error().with_context("values[" + std::to_string(i) + "]");
  }
  custom_lists_[std::string(name)] = list;
  return {};
}

// Every word sequence of `alts` (word sets expanded) into `out`; `has_empty`
// when one says nothing. False when an expansion holds anything but words
// (a slot list, a number, a <slot=value> tag) or there are too many.
bool Grammar::expand_words(const Alts& alts, std::vector<std::vector<int>>& out, bool& has_empty) const {
  has_empty = false;
  for (const Seq& seq : alts) {
    if (!seq.tags.empty()) return false;
    std::vector<std::vector<int>> partial{{}};
    for (const Elem& e : seq.elems) {
      std::vector<int> choices;  // -1 = say nothing
      if (e.word >= 0) {
        choices.push_back(e.word);
      } else {
        const Special& sp = specials_[e.special];
        if (sp.kind == SpecialKind::kList && lists_[sp.list].name.rfind("rule:", 0) == 0) {
          // A rule of words inside a rule of words: its phrases.
          std::vector<std::vector<int>> next;
          std::vector<std::vector<int>> phrases;
          phrase_sequences(lists_[sp.list], 0, {}, phrases);
          for (const std::vector<int>& p : partial)
            for (const std::vector<int>& q : phrases) {
              next.push_back(p);
              next.back().insert(next.back().end(), q.begin(), q.end());
            }
          partial = std::move(next);
          if (partial.size() + out.size() > kMaxExpansions) return false;
          continue;
        }
        if (sp.kind != SpecialKind::kWordSet) return false;
        choices = sp.words;
        if (sp.optional) choices.push_back(-1);
      }
      std::vector<std::vector<int>> next;
      for (const std::vector<int>& p : partial)
        for (int w : choices) {
          next.push_back(p);
          if (w >= 0) next.back().push_back(w);
        }
      partial = std::move(next);
      if (partial.size() + out.size() > kMaxExpansions) return false;
    }
    for (std::vector<int>& p : partial) {
      if (p.empty()) has_empty = true;
      else out.push_back(std::move(p));
    }
  }
  return true;
}

// Every phrase of `list` below `node` (prefix `prefix`).
void Grammar::phrase_sequences(const PhraseList& list, int node, std::vector<int> prefix,
                               std::vector<std::vector<int>>& out) const {
  if (list.nodes[node].value >= 0) out.push_back(prefix);
  for (const auto& [word, child] : list.nodes[node].next) {
    prefix.push_back(word);
    phrase_sequences(list, child, prefix, out);
    prefix.pop_back();
  }
}

// The word sequences a list value's "in" template says.
Result<std::vector<std::vector<int>>> Grammar::list_phrases(std::string_view in) {
  auto alts = parse_fragment(in, true);
  if (!alts) return alts.error().with_context("'" + std::string(in) + "'");
  std::vector<std::vector<int>> out;
  bool has_empty = false;
  if (!expand_words(*alts, out, has_empty))
    return Error{Code::kBadInput, "'" + std::string(in) + "': a list value takes words, (a|b) and [a] only (at most " +
                                      std::to_string(kMaxExpansions) + " phrases)"};
  if (out.empty()) return Error{Code::kBadInput, "'" + std::string(in) + "' says no words"};
  return out;
}

// An expansion rule. One made of words only ("(can i get | i would like)")
// becomes a single phrase-set edge, like a slot list that sets no slot: a
// permutation or a long sentence around it then multiplies one element, not
// every phrase. Anything else is kept as a macro.
Result<void> Grammar::define_rule(std::string_view name, std::string_view fragment) {
  auto alts = parse_fragment("(" + std::string(fragment) + ")");
  if (!alts) return alts.error().with_context("rule <" + std::string(name) + ">");
  std::vector<std::vector<int>> phrases;
  bool has_empty = false;
  if (alts->size() < 2 || !expand_words(*alts, phrases, has_empty) || phrases.empty()) {
    macros_[std::string(name)] = std::move(*alts);
    return {};
  }
  PhraseList list;
  list.name = "rule:" + std::string(name);
  for (const std::vector<int>& p : phrases) {
    std::string said;
    for (int w : p) (said.empty() ? said : said += ' ') += words_[w];
    add_phrase(list, said, ValueMap{}, true);
  }
  Special sp;
  sp.kind = SpecialKind::kList;
  sp.list = add_list(std::move(list));
  Seq s;
  s.elems.push_back(Elem{-1, add_special(sp)});
  Alts out{s};
  if (has_empty) out.push_back(Seq{});
  macros_[std::string(name)] = std::move(out);
  return {};
}

// The phrase list of config list `name` setting slot `slot` (built once per pair).
Result<int> Grammar::custom_phrase_list(const std::string& name, const std::string& slot) {
  const std::string key = "custom:" + name + ":" + slot;
  if (auto it = list_by_key_.find(key); it != list_by_key_.end()) return it->second;
  PhraseList list;
  list.name = key;
  for (const SlotListValue& v : custom_lists_.at(name).values) {
    auto phrases = list_phrases(v.in);
    if (!phrases) return phrases.error();
    for (const std::vector<int>& p : *phrases) {
      std::string said;
      for (int w : p) {
        if (!said.empty()) said += ' ';
        said += words_[w];
      }
      add_phrase(list, said, ValueMap{{slot, is_null(v.out) ? Value(said) : v.out}}, true);
    }
  }
  int index = add_list(std::move(list));
  list_by_key_[key] = index;
  return index;
}

Result<void> Grammar::define_macro(std::string_view name, std::string_view fragment) {
  // Parsed as one group so a macro of single words becomes one word-set element.
  auto alts = parse_fragment("(" + std::string(fragment) + ")");
  if (!alts) return alts.error().with_context("macro $" + std::string(name));
  macros_[std::string(name)] = std::move(*alts);
  return {};
}

int Grammar::intent_index(std::string_view intent) {
  for (size_t i = 0; i < intent_names_.size(); ++i)
    if (intent_names_[i] == intent) return static_cast<int>(i);
  intent_names_.emplace_back(intent);
  return static_cast<int>(intent_names_.size()) - 1;
}

Result<void> Grammar::add_template(std::string_view intent, std::string_view text, int custom) {
  auto alts = parse_fragment(text);
  if (!alts) return alts.error().with_context("template '" + std::string(text) + "'");
  for (const Seq& s : *alts)
    if (s.elems.empty())
      return Error{Code::kBadInput, "template '" + std::string(text) + "': can match a sentence with no words"};
  int intent_i = intent_index(intent);
  int template_index = static_cast<int>(n_templates_++);
  for (const Seq& s : *alts) insert(s, intent_i, custom, template_index);
  return {};
}

void Grammar::insert(const Seq& seq, int intent, int custom, int template_index) {
  int node = 0;
  for (const Elem& e : seq.elems) {
    const bool is_word = e.word >= 0;
    const int key = is_word ? e.word : e.special;
    int child = -1;
    for (const auto& [k, c] : is_word ? nodes_[node].words : nodes_[node].specials)
      if (k == key) {
        child = c;
        break;
      }
    if (child < 0) {
      child = static_cast<int>(nodes_.size());
      // Add the edge before growing nodes_, which may move nodes_[node].
      (is_word ? nodes_[node].words : nodes_[node].specials).emplace_back(key, child);
      nodes_.emplace_back();
    }
    node = child;
  }
  for (int a : nodes_[node].accepts) {
    const Accept& x = accepts_[a];
    if (x.intent == intent && x.custom == custom && x.fixed == seq.tags) return;
  }
  Accept acc;
  acc.intent = intent;
  acc.fixed = seq.tags;
  acc.custom = custom;
  acc.template_index = template_index;
  nodes_[node].accepts.push_back(static_cast<int>(accepts_.size()));
  accepts_.push_back(std::move(acc));
}

Result<void> Grammar::add_source(std::string_view source, std::string_view source_name) {
  std::string intent;
  int line_no = 0;
  size_t start = 0;
  while (start <= source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string_view::npos) end = source.size();
    std::string_view raw = source.substr(start, end - start);
    start = end + 1;
    ++line_no;
    std::string_view line = trim(raw);
    std::string where = std::string(source_name) + ":" + std::to_string(line_no);
    if (line.empty() || line[0] == '#') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (line[0] == '$' && !indented) {
      size_t eq = line.find('=');
      if (eq == std::string_view::npos) return Error{Code::kBadInput, where + ": a macro is written $name = ..."};
      std::string_view name = trim(line.substr(1, eq - 1));
      auto r = define_macro(name, trim(line.substr(eq + 1)));
      if (!r) return r.error().with_context(where);
    } else if (line.substr(0, 7) == "intent " && !indented) {
      intent = std::string(trim(line.substr(7)));
    } else {
      if (intent.empty()) return Error{Code::kBadInput, where + ": template before any 'intent' line"};
      auto r = add_template(intent, line);
      if (!r) return r.error().with_context(where);
    }
    if (end == source.size()) break;
  }
  return {};
}

void Grammar::add_config_vocabulary(const NluConfig& cfg, ConfigErrors& out, std::string_view path) {
  for (size_t i = 0; i < cfg.skip_words.size(); ++i) {
    if (tokenize(cfg.skip_words[i]).empty())
      out.add(std::string(path) + ".skip_words[" + std::to_string(i) + "]", "says no words");
    else
      add_skip_phrase(cfg.skip_words[i]);
  }
  for (const auto& [name, list] : cfg.lists) {
    auto r = define_list(name, list);
    if (!r) out.add(std::string(path) + ".lists." + name, r.error().message);
  }
  // Rules may use each other in any order: define what can be defined until nothing changes.
  std::map<std::string, std::string> pending;
  for (const auto& [name, text] : cfg.expansion_rules) {
    bool ok = !name.empty();
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok) {
      out.add(std::string(path) + ".expansion_rules." + name, "a rule name uses letters, digits and '_' only");
      continue;
    }
    pending[name] = text;
  }
  std::map<std::string, Error> last_error;
  for (bool progress = true; progress && !pending.empty();) {
    progress = false;
    for (auto it = pending.begin(); it != pending.end();) {
      auto r = define_rule(it->first, it->second);
      if (r) {
        it = pending.erase(it);
        progress = true;
      } else {
        last_error.insert_or_assign(it->first, r.error());
        ++it;
      }
    }
  }
  for (const auto& [name, text] : pending)
    out.add(std::string(path) + ".expansion_rules." + name, last_error.at(name).message);
}

void Grammar::finish() {
  for (Node& n : nodes_) {
    std::sort(n.words.begin(), n.words.end());
    n.words.shrink_to_fit();
    n.specials.shrink_to_fit();
  }
}

// ---------------------------------------------------------------------------
// Matching

namespace {

struct Candidate {
  int end = 0;
  int score = 0;
  int value = -1;        // kList: value index
  double number = 0;     // kNumber
  bool integer = true;   // kNumber
  int hours = -1;        // kDuration
  int minutes = -1;
  int seconds = -1;
};

constexpr int kNoMatch = INT_MIN / 4;

enum class Step : uint8_t { kNone, kAccept, kFiller, kWord, kSpecial };

struct Memo {
  int score = kNoMatch;
  Step step = Step::kNone;
  int a = -1;  // accept index | filler length | child node | special edge index
  int b = -1;  // candidate index (kSpecial)
};

}  // namespace

std::optional<GrammarMatch> Grammar::match(std::string_view text) const {
  const std::vector<std::string> tokens = tokenize(text);
  const int n = static_cast<int>(tokens.size());
  if (n == 0) return std::nullopt;
  std::vector<int> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = input_word_id(tokens[i]);
  auto is_filler_at = [&](int i) {
    return ids[i] >= 0 && static_cast<size_t>(ids[i]) < filler_word_.size() && filler_word_[ids[i]];
  };

  // Filler phrases starting at each position (lengths).
  std::vector<std::vector<int>> filler_at(n);
  for (int i = 0; i < n; ++i) {
    for (const std::vector<int>& f : filler_phrases_) {
      int len = static_cast<int>(f.size());
      if (i + len > n) continue;
      bool ok = true;
      for (int k = 0; k < len && ok; ++k) ok = ids[i + k] == f[k];
      if (ok) filler_at[i].push_back(len);
    }
  }

  // Candidates of each special edge at each position, computed on first use.
  const int n_specials = static_cast<int>(specials_.size());
  std::vector<std::vector<Candidate>> cands(static_cast<size_t>(n_specials) * (n + 1));
  std::vector<char> have(cands.size(), 0);
  std::vector<NumberReading> numbers;
  std::vector<DurationReading> durations;
  auto candidates = [&](int sp, int pos) -> const std::vector<Candidate>& {
    size_t key = static_cast<size_t>(sp) * (n + 1) + pos;
    if (have[key]) return cands[key];
    have[key] = 1;
    std::vector<Candidate>& out = cands[key];
    const Special& s = specials_[sp];
    switch (s.kind) {
      case SpecialKind::kList: {
        const PhraseList& list = lists_[s.list];
        int node = 0;
        for (int i = pos; i < n; ++i) {
          if (ids[i] < 0) break;
          node = find_edge(list.nodes[node].next, ids[i]);
          if (node < 0) break;
          if (list.nodes[node].value >= 0) {
            Candidate c;
            c.end = i + 1;
            c.score = kScoreWord * (i + 1 - pos) + list.bonus;
            c.value = list.nodes[node].value;
            out.push_back(c);
          }
        }
        break;
      }
      case SpecialKind::kNumber: {
        numbers.clear();
        read_numbers(tokens, pos, numbers);
        for (const NumberReading& r : numbers) {
          if (r.value < s.lo || r.value > s.hi) continue;
          Candidate c;
          c.end = r.end;
          c.score = kScoreWord * (r.end - pos);
          c.number = r.value;
          c.integer = r.integer;
          out.push_back(c);
        }
        break;
      }
      case SpecialKind::kDuration: {
        durations.clear();
        read_durations(tokens, pos, durations);
        for (const DurationReading& d : durations) {
          Candidate c;
          c.end = d.end;
          c.score = kScoreWord * (d.end - pos);
          c.hours = d.hours;
          c.minutes = d.minutes;
          c.seconds = d.seconds;
          out.push_back(c);
        }
        break;
      }
      case SpecialKind::kWordSet: {
        if (s.optional) out.push_back(Candidate{pos, 0});
        if (pos < n && ids[pos] >= 0 && std::binary_search(s.words.begin(), s.words.end(), ids[pos])) {
          Candidate c;
          c.end = pos + 1;
          c.score = kScoreWord;
          out.push_back(c);
        }
        break;
      }
      case SpecialKind::kWildcard: {
        if (pos >= n || is_filler_at(pos)) break;  // free words never start or end with filler
        for (int len = 1; len <= kMaxWildcardWords && pos + len <= n; ++len) {
          const int last = ids[pos + len - 1];
          if (last >= 0 && static_cast<size_t>(last) < not_free_word_.size() && not_free_word_[last]) break;
          if (is_filler_at(pos + len - 1)) continue;
          // A name, area, floor or kind the home knows is never "unknown free words".
          if (is_known_phrase(ids, pos, pos + len)) continue;
          Candidate c;
          c.end = pos + len;
          c.score = kScoreWildcardWord * len;
          out.push_back(c);
        }
        break;
      }
    }
    return out;
  };

  std::unordered_map<uint64_t, Memo> memo;
  memo.reserve(256);
  // best(node, pos): best score for consuming tokens[pos..] from trie node `node`.
  auto best = [&](auto&& self, int node, int pos) -> int {
    uint64_t key = static_cast<uint64_t>(node) * static_cast<uint64_t>(n + 1) + static_cast<uint64_t>(pos);
    if (auto it = memo.find(key); it != memo.end()) return it->second.score;
    Memo m;
    const Node& nd = nodes_[node];
    if (pos == n && !nd.accepts.empty()) {
      int chosen = nd.accepts[0];
      for (int a : nd.accepts)
        if (accepts_[a].custom >= 0) {
          chosen = a;
          break;
        }
      m.score = accepts_[chosen].custom >= 0 ? kBonusCustom : 0;
      m.step = Step::kAccept;
      m.a = chosen;
    }
    if (pos < n) {
      for (int len : filler_at[pos]) {
        int s = self(self, node, pos + len);
        if (s > m.score) {
          m = Memo{s, Step::kFiller, len, -1};
        }
      }
      if (ids[pos] >= 0) {
        int child = find_edge(nd.words, ids[pos]);
        if (child >= 0) {
          // A required filler word (=the) counts no more than a skipped one.
          const int gain = is_filler_at(pos) ? 0 : kScoreWord;
          int s = self(self, child, pos + 1);
          if (s != kNoMatch && s + gain > m.score) m = Memo{s + gain, Step::kWord, child, -1};
        }
      }
    }
    // Specials run at the end of the input too: an optional word set matches nothing there.
    for (size_t e = 0; e < nd.specials.size(); ++e) {
      const std::vector<Candidate>& cs = candidates(nd.specials[e].first, pos);
      for (size_t ci = 0; ci < cs.size(); ++ci) {
        int s = self(self, nd.specials[e].second, cs[ci].end);
        if (s != kNoMatch && s + cs[ci].score > m.score)
          m = Memo{s + cs[ci].score, Step::kSpecial, static_cast<int>(e), static_cast<int>(ci)};
      }
    }
    memo[key] = m;
    return m.score;
  };
  if (best(best, 0, 0) == kNoMatch) return std::nullopt;

  // Walk the winning path and collect its slots.
  GrammarMatch out;
  int node = 0;
  int pos = 0;
  for (;;) {
    const Memo& m = memo.at(static_cast<uint64_t>(node) * static_cast<uint64_t>(n + 1) + static_cast<uint64_t>(pos));
    if (m.step == Step::kAccept) {
      const Accept& acc = accepts_[m.a];
      for (const auto& [k, v] : acc.fixed) out.slots[k] = v;
      out.intent = intent_names_[acc.intent];
      out.custom = acc.custom;
      break;
    }
    if (m.step == Step::kFiller) {
      pos += m.a;
    } else if (m.step == Step::kWord) {
      node = m.a;
      pos += 1;
    } else {
      HEARTH_ASSERT(m.step == Step::kSpecial);
      const auto& edge = nodes_[node].specials[m.a];
      const Special& s = specials_[edge.first];
      const Candidate& c = candidates(edge.first, pos)[m.b];
      switch (s.kind) {
        case SpecialKind::kList:
          for (const auto& [k, v] : lists_[s.list].values[c.value]) out.slots[k] = v;
          break;
        case SpecialKind::kNumber:
          if (c.integer)
            out.slots[s.slot] = static_cast<int64_t>(std::llround(c.number));
          else
            out.slots[s.slot] = std::round(c.number * 10.0) / 10.0;
          break;
        case SpecialKind::kDuration:
          if (c.hours >= 0) out.slots["hours"] = static_cast<int64_t>(c.hours);
          if (c.minutes >= 0) out.slots["minutes"] = static_cast<int64_t>(c.minutes);
          if (c.seconds >= 0) out.slots["seconds"] = static_cast<int64_t>(c.seconds);
          break;
        case SpecialKind::kWildcard:
          out.slots[s.slot] = join_words(tokens, pos, c.end);
          break;
        case SpecialKind::kWordSet:
          break;
      }
      node = edge.second;
      pos = c.end;
    }
  }
  out.score = memo.at(0).score;
  return out;
}

}  // namespace hearth::nlu
