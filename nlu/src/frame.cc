// FrameParser: clause handling and slot spotting behind the strict templates
// (frame.h describes the rules).

#include "frame.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>

#include "hearth/nlu/nlu.h"
#include "sounds_like.h"
#include "text.h"

namespace hearth::nlu {
namespace {

// Action cues and sentence-level marks, as bits.
enum : uint64_t {
  kCueOn = 1ull << 0,
  kCueOff = 1ull << 1,
  kCueLock = 1ull << 2,
  kCueUnlock = 1ull << 3,
  kCueOpen = 1ull << 4,
  kCueClose = 1ull << 5,
  kCueActivate = 1ull << 6,
  kCueKill = 1ull << 7,
  kCueUp = 1ull << 8,
  kCueDown = 1ull << 9,
  kCueBright = 1ull << 10,
  kCueHalf = 1ull << 11,
  kCueFull = 1ull << 12,
  kCueColorWord = 1ull << 13,
  kCueTemp = 1ull << 14,
  kCuePause = 1ull << 15,
  kCueResume = 1ull << 16,
  kCueNext = 1ull << 17,
  kCuePrevious = 1ull << 18,
  kCueVolume = 1ull << 19,
  kCueVacuum = 1ull << 20,
  kCueDock = 1ull << 21,
  kCueTimer = 1ull << 22,
  kCueCancel = 1ull << 23,
  kCueStatus = 1ull << 24,
  kCueAll = 1ull << 25,
  kCueNegation = 1ull << 26,
  kCueReport = 1ull << 27,      // past tense / reporting verb: "turned", "was", "left"
  kCueLongAgo = 1ull << 28,     // "already", "yesterday", "tomorrow": about another time than now
  kCueGo = 1ull << 29,          // go / going / come: "get the roomba going", "lights can go off"
  kCueBack = 1ull << 30,
  kCueMediaNoun = 1ull << 31,   // song, track, music, film, ...
  kCueNeed = 1ull << 32,        // need / want (with a negation: "i don't need the timer")
  kCueTimeWord = 1ull << 33,    // "time" ("time me for 60 seconds")
  kCueNeutral = 1ull << 34,     // function words and plain verbs: explained, no meaning of their own
  kCueSetVerb = 1ull << 35,     // set / make / change / put / turn ...: a command to set a value
  kCueClock = 1ull << 36,       // time / hour / late: the time of day
  kCueCalendar = 1ull << 37,    // date / day / weekday
  kCueState = 1ull << 38,       // status / state
  kCueDo = 1ull << 39,          // "do": runs a scene or script ("do bedtime"), never switches a device
};

constexpr uint64_t kCueMedia = kCuePause | kCueResume | kCueNext | kCuePrevious;

struct CueWord {
  const char* word;
  uint64_t cues;
};

// One-word cues. Words not here, not spotted as a phrase and not filler are
// "unexplained".
const CueWord kCueWords[] = {
    {"on", kCueOn}, {"off", kCueOff}, {"out", kCueOff},
    {"lock", kCueLock}, {"secure", kCueLock}, {"bolt", kCueLock}, {"unlock", kCueUnlock},
    {"open", kCueOpen}, {"raise", kCueOpen}, {"close", kCueClose}, {"shut", kCueClose}, {"lower", kCueClose},
    {"draw", kCueClose},
    {"activate", kCueActivate}, {"run", kCueActivate}, {"start", kCueActivate}, {"trigger", kCueActivate},
    {"launch", kCueActivate}, {"execute", kCueActivate}, {"begin", kCueActivate}, {"enable", kCueActivate},
    {"do", kCueDo},
    {"kill", kCueKill}, {"stop", kCueKill}, {"disable", kCueKill}, {"deactivate", kCueKill}, {"cut", kCueKill},
    {"up", kCueUp}, {"down", kCueDown},
    {"brightness", kCueBright}, {"bright", kCueBright}, {"brighter", kCueBright}, {"dim", kCueBright},
    {"dimmer", kCueBright}, {"brighten", kCueBright}, {"level", kCueBright},
    {"half", kCueHalf}, {"halfway", kCueHalf}, {"full", kCueFull}, {"max", kCueFull}, {"maximum", kCueFull},
    {"color", kCueColorWord}, {"colour", kCueColorWord}, {"glow", kCueColorWord},
    {"temperature", kCueTemp}, {"temp", kCueTemp}, {"degrees", kCueTemp}, {"degree", kCueTemp},
    {"heat", kCueTemp}, {"hot", kCueTemp}, {"cold", kCueTemp}, {"chilly", kCueTemp}, {"warm", kCueTemp},
    {"pause", kCuePause}, {"resume", kCueResume}, {"unpause", kCueResume}, {"continue", kCueResume},
    {"next", kCueNext}, {"skip", kCueNext}, {"previous", kCuePrevious}, {"prev", kCuePrevious},
    {"volume", kCueVolume}, {"louder", kCueVolume}, {"quieter", kCueVolume},
    {"vacuum", kCueVacuum}, {"vacuuming", kCueVacuum}, {"hoover", kCueVacuum}, {"hoovering", kCueVacuum},
    {"clean", kCueVacuum}, {"cleaning", kCueVacuum},
    {"dock", kCueDock}, {"base", kCueDock}, {"charger", kCueDock}, {"charge", kCueDock}, {"recharge", kCueDock},
    {"charging", kCueDock},
    {"timer", kCueTimer}, {"timers", kCueTimer}, {"countdown", kCueTimer},
    {"cancel", kCueCancel}, {"scrap", kCueCancel}, {"abort", kCueCancel}, {"delete", kCueCancel},
    {"remove", kCueCancel}, {"dismiss", kCueCancel},
    {"remaining", kCueStatus}, {"status", kCueStatus}, {"nearly", kCueStatus}, {"almost", kCueStatus},
    {"left", kCueStatus | kCueReport},
    {"all", kCueAll}, {"every", kCueAll}, {"everything", kCueAll}, {"everywhere", kCueAll}, {"both", kCueAll},
    {"whole", kCueAll}, {"entire", kCueAll}, {"house", kCueAll},
    {"not", kCueNegation}, {"never", kCueNegation}, {"no", kCueNegation}, {"nobody", kCueNegation},
    {"without", kCueNegation},
    {"already", kCueLongAgo}, {"yesterday", kCueLongAgo}, {"ago", kCueLongAgo}, {"earlier", kCueLongAgo},
    {"always", kCueLongAgo}, {"usually", kCueLongAgo}, {"tomorrow", kCueLongAgo},
    {"turned", kCueReport}, {"switched", kCueReport}, {"locked", kCueReport}, {"unlocked", kCueReport},
    {"opened", kCueReport}, {"closed", kCueReport}, {"was", kCueReport}, {"were", kCueReport},
    {"been", kCueReport}, {"had", kCueReport}, {"did", kCueReport}, {"forgot", kCueReport}, {"went", kCueReport},
    {"leaves", kCueReport}, {"invented", kCueReport}, {"broke", kCueReport}, {"broken", kCueReport},
    {"ate", kCueReport}, {"fell", kCueReport}, {"dropped", kCueReport}, {"spilled", kCueReport},
    {"knocked", kCueReport}, {"heard", kCueReport}, {"saw", kCueReport}, {"told", kCueReport},
    {"go", kCueGo}, {"going", kCueGo}, {"come", kCueGo},
    {"back", kCueBack},
    {"music", kCueMediaNoun}, {"song", kCueMediaNoun}, {"songs", kCueMediaNoun}, {"track", kCueMediaNoun},
    {"tune", kCueMediaNoun}, {"film", kCueMediaNoun}, {"movie", kCueMediaNoun}, {"show", kCueMediaNoun},
    {"episode", kCueMediaNoun}, {"video", kCueMediaNoun}, {"playback", kCueMediaNoun}, {"playing", kCueMediaNoun},
    {"need", kCueNeed}, {"want", kCueNeed},
    {"time", kCueTimeWord | kCueClock}, {"hour", kCueClock}, {"late", kCueClock},
    {"date", kCueCalendar}, {"day", kCueCalendar}, {"weekday", kCueCalendar}, {"today", kCueNeutral},
    {"state", kCueState},
    {"done", kCueStatus}, {"till", kCueStatus}, {"until", kCueStatus}, {"long", kCueStatus},
    {"much", kCueStatus}, {"many", kCueStatus},
    {"minutes", kCueNeutral}, {"hours", kCueNeutral}, {"seconds", kCueNeutral},
    {"set", kCueSetVerb}, {"make", kCueSetVerb}, {"change", kCueSetVerb}, {"put", kCueSetVerb},
    {"turn", kCueSetVerb}, {"bring", kCueSetVerb}, {"bump", kCueSetVerb}, {"crank", kCueSetVerb},
    {"adjust", kCueSetVerb}, {"raise", kCueSetVerb}, {"lower", kCueSetVerb}, {"drop", kCueSetVerb},
    {"push", kCueSetVerb}, {"heat", kCueSetVerb}, {"warm", kCueSetVerb},
    {"running", kCueNeutral}, {"playing", kCueNeutral}, {"get", kCueNeutral}, {"anyone", kCueNeutral},
    {"someone", kCueNeutral}, {"there", kCueNeutral}, {"yet", kCueNeutral}, {"remind", kCueNeutral},
};

// Words of a state asked about (HassGetState), -> the state slot.
struct StateWord {
  const char* word;
  const char* state;
};
const StateWord kStateWords[] = {
    {"on", "on"},         {"off", "off"},         {"open", "open"},         {"opened", "open"},
    {"closed", "closed"}, {"shut", "closed"},     {"close", "closed"},      {"locked", "locked"},
    {"lock", "locked"},   {"unlocked", "unlocked"}, {"unlock", "unlocked"}, {"playing", "playing"},
    {"running", "on"},    {"going", "on"},
};

// One-word phrases that are a verb unless a determiner comes before them
// ("switch the lights off" / "the switch", "lock up" / "the lock").
const char* const kVerbLikeWords[] = {"switch", "lock", "vacuum", "hoover"};

// Explained words that carry no cue: articles, pronouns, prepositions, plain verbs.
const char* const kNeutralWords[] = {
    "a", "an", "the", "to", "at", "in", "of", "for", "with", "into", "onto", "over", "from", "by", "as", "it",
    "them", "those", "these", "this", "that", "me", "i", "we", "you", "us", "is", "are", "be", "am", "can",
    "could", "would", "will", "should", "please", "now", "some", "and", "then", "set", "make", "change", "put",
    "bring", "turn", "switch", "get", "give", "adjust", "bump", "crank", "push", "drop", "flick", "flip", "power",
    "let", "have", "like", "one", "plain", "mode", "percent", "here", "there", "its", "their", "your", "again",
    "bit", "little", "way", "so", "just", "okay", "ok", "what", "how", "is", "any", "still", "right", "moment",
    "currently", "call", "called", "named", "go", "pull", "roll", "send", "tell", "ask", "return", "head",
    "reading", "showing", "saying", "about", "round", "around", "straight", "also", "too", "more", "lot",
    "getting", "single", "tonight", "overnight",
};

// Question openers that ask yes or no ("is my train on time").
const char* const kYesNoOpeners[] = {"is", "are", "was", "were", "do", "does", "did", "has", "should", "shall"};

// Words that open a question: the frame layer then reads only a temperature
// or timer question, never a command.
const char* const kQuestionWords[] = {"why",  "who", "how",    "what",  "when", "where", "which", "is",  "are",
                                      "was",  "were", "did",   "does",  "do",   "should", "shall", "has", "whose"};

struct Bigram {
  const char* first;
  const char* second;
  uint64_t cues;
};
// Two-word cues read before the words one by one ("kick off" starts, it does not switch off).
const Bigram kBigrams[] = {
    {"kick", "off", kCueActivate}, {"fire", "up", kCueActivate}, {"fire", "off", kCueActivate},
    {"light", "up", kCueActivate}, {"set", "off", kCueActivate}, {"carry", "on", kCueResume},
    {"keep", "playing", kCueResume}, {"go", "back", kCuePrevious}, {"skip", "back", kCuePrevious},
    {"jump", "back", kCuePrevious}, {"half", "open", kCueHalf | kCueOpen}, {"hold", "on", kCueNeutral},
    {"never", "mind", kCueNegation}, {"shut", "off", kCueOff}, {"shut", "down", kCueOff},
    {"go", "off", kCueOff}, {"power", "down", kCueOff}, {"power", "up", kCueOn}, {"time", "me", kCueTimeWord},
    {"whatever", "was", kCueNeutral}, {"what", "was", kCueNeutral},
};

const char* const kDeterminers[] = {"the", "my", "a", "an", "our", "your", "his", "her", "their"};

// Words that take something out of a target ("all the lights except the
// porch", "other than the hall") or make it conditional ("unless"). The
// frames cannot subtract, so a sentence that says one is left to the later
// layers.
const char* const kExceptWords[] = {"except", "excepting", "excluding", "other", "unless"};
// Words that take something out only when a thing follows: "everything but
// (not) the hall", "but leave the porch on", "besides the porch", "apart
// from the tv"; "close it, but quickly" and "30, but not too dark" only
// qualify the command.
const char* const kExceptBeforeThing[] = {"but", "besides", "apart"};

// Words that join two targets ("the tv and the lamps", "kitchen or hall"):
// the frames read one target, so two joined ones are a conflict.
const char* const kJoinWords[] = {"and", "or", "plus", "nor"};

// Fractions the number reader does not know ("a quarter open", "two thirds"):
// a value the frames would read wrong or not at all.
const char* const kFractionWords[] = {"quarter", "quarters", "third", "thirds", "fifth", "fifths", "eighth"};

// The auxiliary of a question about what a thing does ("what does the
// thermostat do", "how does the vacuum work"), not about its reading.
const char* const kDoAuxiliaries[] = {"do", "does", "did"};

// The speaker does it ("i'll turn the lights off myself"): a statement, not
// a request.
const char* const kReflexiveWords[] = {"myself", "ourselves"};

// "how many minutes are in a day", "how much time is left on the parking":
// a count or an amount, not the time or the date now.
const char* const kAmountWords[] = {"many", "much"};

template <size_t N>
bool in_list(const char* const (&list)[N], std::string_view w) {
  for (const char* x : list)
    if (w == x) return true;
  return false;
}

uint64_t cue_of(std::string_view w) {
  static const std::unordered_map<std::string_view, uint64_t> table = [] {
    std::unordered_map<std::string_view, uint64_t> t;
    for (const CueWord& c : kCueWords) t[c.word] |= c.cues;
    for (const char* w : kNeutralWords) t[w] |= kCueNeutral;
    return t;
  }();
  auto it = table.find(w);
  return it == table.end() ? 0 : it->second;
}

enum class SpanType { kName, kArea, kFloor, kKind, kColor, kColorTemp, kNumber, kDuration };

struct ListKey {
  const char* key;
  SpanType type;
};
// The phrase lists spotted, in tie-break order: a name beats an area or floor, which beat a kind.
constexpr ListKey kLists[] = {{"name", SpanType::kName},   {"area", SpanType::kArea},
                              {"floor", SpanType::kFloor}, {"kind", SpanType::kKind},
                              {"color_temp", SpanType::kColorTemp}, {"color", SpanType::kColor}};
enum class Unit { kNone, kPercent, kDegrees };

struct Span {
  int begin = 0;
  int end = 0;
  SpanType type = SpanType::kName;
  const ValueMap* value = nullptr;  // list entries
  double number = 0;                // kNumber
  bool integer = true;
  Unit unit = Unit::kNone;
  DurationReading duration;         // kDuration
};

// One clause, spotted.
struct Spotted {
  std::vector<std::string> words;
  std::vector<Span> spans;
  std::vector<int> unexplained;  // word positions
  uint64_t cues = 0;
  bool question = false;
  bool wh_question = false;  // why / who / how / where: never a state question
  std::string opener;        // the word that made it a question ("is", "what", "remind", ...)
  int timer_at = -1;  // position of "timer" / "countdown"
  std::vector<int> state_at;  // positions of state words ("on", "locked", ...)
};

bool is_det(std::string_view w) { return in_list(kDeterminers, w); }

// Prepositions that open a place ("in the den", "at the cabin").
const char* const kPlacePrepositions[] = {"in", "on", "at", "inside", "near", "by"};

// Subject pronouns of a person: "i missed the chorus", "we are racing".
const char* const kPersons[] = {"i", "we", "they", "he", "she"};

// Whether a clause opens with a person doing something ("i missed the
// chorus", "we are racing").
bool opens_with_person(const Spotted& s) {
  return s.words.size() >= 3 && in_list(kPersons, s.words[0]);
}

// Whether a clause states how things are rather than asking ("it's way too
// dark in the kitchen", "i can't see a thing in the study").
bool complains(const Spotted& s) {
  const std::vector<std::string>& w = s.words;
  auto at = [&](size_t i, std::string_view v) { return i < w.size() && w[i] == v; };
  return (at(0, "it") && at(1, "is")) || (at(0, "its")) ||
         (at(0, "i") && ((at(1, "can") && at(2, "not") && at(3, "see")) || (at(1, "cannot") && at(2, "see"))));
}

// Whether a clause's unplaced words may be a timer's name ("25 minutes,
// essay"): not when the clause opens with a person doing something ("I'm
// brushing my teeth"), which gives the reason, not a name.
bool may_name_timer(const Spotted& s) {
  if (s.unexplained.empty()) return false;
  return !opens_with_person(s);
}

bool is_unexplained(const Spotted& s, int pos) {
  return std::find(s.unexplained.begin(), s.unexplained.end(), pos) != s.unexplained.end();
}

// A word of `list` said outside the spotted phrases (so "other" in a device
// called "Other Lamp" does not count).
template <size_t N>
bool says_outside_spans(const Spotted& s, const char* const (&list)[N]) {
  for (int i = 0; i < static_cast<int>(s.words.size()); ++i) {
    bool inside = false;
    for (const Span& sp : s.spans)
      if (i >= sp.begin && i < sp.end) inside = true;
    if (!inside && in_list(list, s.words[i])) return true;
  }
  return false;
}

// Whether the clause takes something out of a target (kExceptWords,
// kExceptBeforeThing).
bool takes_out(const Spotted& s) {
  if (says_outside_spans(s, kExceptWords)) return true;
  const int n = static_cast<int>(s.words.size());
  for (int i = 0; i < n; ++i) {
    if (!in_list(kExceptBeforeThing, s.words[i])) continue;
    int j = i + 1;
    while (j < n && (s.words[j] == "not" || s.words[j] == "from" || s.words[j] == "for")) ++j;
    if (j >= n) continue;
    // "but leave the porch on", "but keep the hall light".
    if (is_det(s.words[j]) || s.words[j] == "leave" || s.words[j] == "keep") return true;
    for (const Span& sp : s.spans)
      if (sp.begin == j && sp.type != SpanType::kNumber && sp.type != SpanType::kDuration) return true;
  }
  return false;
}

// An unexplained word that names a place ("in the den", "at grandmas") or,
// when `or_object`, any thing ("pause the jukebox").
bool unknown_object(const Spotted& s, bool or_object) {
  for (int u : s.unexplained) {
    int at = u - 1;
    if (at >= 0 && is_det(s.words[at])) {
      if (or_object) return true;
      --at;
    }
    if (at >= 0 && in_list(kPlacePrepositions, s.words[at])) return true;
  }
  return false;
}

// An unexplained word inside a place + kind phrase: right after the place
// ("the light on the kitchen ceiling") or right before the kind ("the island
// lights"). It is likely part of a device's name we do not know, so the
// place + kind reading may act on too many devices.
bool unexplained_in_place_phrase(const Spotted& s) {
  for (const Span& sp : s.spans) {
    if ((sp.type == SpanType::kArea || sp.type == SpanType::kFloor) && is_unexplained(s, sp.end)) return true;
    if (sp.type == SpanType::kKind && is_unexplained(s, sp.begin - 1)) return true;
  }
  return false;
}

struct Targets {
  const ValueMap* name = nullptr;
  std::optional<Domain> name_domain;
  const ValueMap* area = nullptr;
  const ValueMap* floor = nullptr;
  const ValueMap* kind = nullptr;
  std::optional<Domain> kind_domain;
  bool conflict = false;  // two different names, areas, floors or kinds, or two targets joined by "and"
  bool any() const { return name || area || floor || kind; }
};

const std::string* str_of(const ValueMap* m, const char* key) {
  if (m == nullptr) return nullptr;
  auto it = m->find(key);
  return it == m->end() ? nullptr : as_string(it->second);
}

void merge(ValueMap& out, const ValueMap* m) {
  if (m == nullptr) return;
  for (const auto& [k, v] : *m) out[k] = v;
}

// Whether `rest` (the text after a space) opens a reason or purpose clause.
bool starts_reason(std::string_view rest) {
  auto opens = [&](std::string_view w) {
    if (rest.size() < w.size()) return false;
    for (size_t k = 0; k < w.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(rest[k])) != w[k]) return false;
    return rest.size() == w.size() || !std::isalnum(static_cast<unsigned char>(rest[w.size()]));
  };
  static constexpr std::string_view kReasons[] = {"because", "cause", "cos", "cuz", "so that", "so i", "so we",
                                                  "so nobody", "so no one", "so they", "so you", "so everyone",
                                                  "so the", "so my", "so our", "so it", "so he", "so she",
                                                  "while i", "while we", "while you", "while they", "while he",
                                                  "while she", "while the", "whilst", "before i", "before we",
                                                  "before you", "before they", "before he", "before she",
                                                  "before my", "before our", "before the"};
  for (std::string_view w : kReasons)
    if (opens(w)) return true;
  return false;
}

// Lower-cased words of a clause, letters and digits only.
std::vector<std::string> plain_words(std::string_view text) {
  std::vector<std::string> out;
  std::string w;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'') {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      out.push_back(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) out.push_back(std::move(w));
  return out;
}

// The last word of `clause`, lower-cased, and whether a word comes before it.
std::pair<std::string, bool> last_word(std::string_view clause) {
  size_t end = clause.size();
  while (end > 0 && !std::isalnum(static_cast<unsigned char>(clause[end - 1])) && clause[end - 1] != '\'') --end;
  size_t begin = end;
  while (begin > 0 && (std::isalnum(static_cast<unsigned char>(clause[begin - 1])) || clause[begin - 1] == '\'')) --begin;
  std::string w(clause.substr(begin, end - begin));
  for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool more = clause.substr(0, begin).find_first_not_of(" ") != std::string_view::npos;
  return {std::move(w), more};
}

// Whether the words `next` (after a space) open a new sentence said without
// punctuation, as a recognizer writes it: a subject ("... the big light i
// dropped an earring", "... dishwasher now it is full") after a word of
// `before` (the clause so far) that does not lead into it ("can i", "what
// we", "if it is").
bool starts_unpunctuated_sentence(std::string_view before, const std::vector<std::string>& next) {
  if (next.empty()) return false;
  const bool subject = in_list(kPersons, next[0]);
  // "it is" / "it's" / "its" + a word: "now it is full"
  const bool it_is = (next[0] == "it" && next.size() > 1 && next[1] == "is") || next[0] == "it's" ||
                     (next[0] == "its" && next.size() > 1);
  // "the <noun> is ...", "the <noun>'s ...": "the roast is carved", "the
  // kids should be doing homework", "the moment's passed"
  static constexpr std::string_view kAux[] = {"is", "are", "was", "were", "should", "has", "have", "had",
                                               "will", "can", "must", "keeps", "just", "always", "never"};
  bool noun_subject = false;
  if ((next[0] == "the" || next[0] == "my" || next[0] == "our") && next.size() >= 3) {
    noun_subject = next[1].size() > 2 && next[1].compare(next[1].size() - 2, 2, "'s") == 0;
    for (std::string_view w : kAux) noun_subject |= next[2] == w;
  }
  if (!subject && !it_is && !noun_subject) return false;
  const auto [prev, more] = last_word(before);
  if (prev.empty() || !more) return false;
  // "is the tv on the kids should be doing homework": after "on"/"off", a
  // noun with a modal is no object of theirs ("how warm on the landing is
  // it" keeps "is" out of this)
  static constexpr std::string_view kModal[] = {"should", "must", "will", "can", "has", "have", "had", "keeps",
                                                 "always", "never", "just"};
  if (noun_subject && (prev == "on" || prev == "off"))
    for (std::string_view w : kModal)
      if (next[2] == w) return true;
  static constexpr std::string_view kLeadIns[] = {
      "can",  "could", "would", "will",  "should", "shall", "may",   "might", "must", "do",    "does",  "did",
      "if",   "when",  "that",  "so",    "because", "cause", "cos",  "and",   "or",   "but",   "what",  "where",
      "how",  "why",   "who",   "which", "as",     "than",  "until", "till",  "before", "after", "while", "unless",
      "have", "has",   "am",    "is",    "are",    "was",   "were",  "let",   "whether", "once", "since", "though",
      "sure", "see",   "check", "know",  "think",  "tell",  "said",  "says",  "hope", "guess", "bet", "like",
      "in",   "on",    "at",    "of",    "for",    "from",  "to",    "with",  "by",   "into",  "near", "about"};
  for (std::string_view w : kLeadIns)
    if (prev == w) return false;
  return true;
}

}  // namespace

bool leaves_as_is(std::string_view clause) {
  const std::vector<std::string> w = plain_words(clause);
  static constexpr std::string_view kHold[] = {"keep", "leave", "stay", "stays", "remain", "remains"};
  static constexpr std::string_view kAsIs[] = {"on", "alone", "lit", "open", "running", "going", "be", "is", "as", "where"};
  bool hold = false;
  bool as_is = false;
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(w[i][0]))) return false;  // "keep it at 20" sets a value
    for (std::string_view h : kHold) hold |= w[i] == h;
    // the state comes after the hold word: "keep the floor lamp on"
    if (hold)
      for (std::string_view a : kAsIs) as_is |= w[i] == a;
  }
  return hold && as_is;
}

std::optional<Exception> split_exception(std::string_view text) {
  std::string low(text);
  for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::string_view kMarkers[] = {"except for", "except", "excepting", "excluding", "other than",
                                                  "apart from", "but not", "besides", "not", "but"};
  for (size_t p = 1; p < low.size(); ++p) {
    if (!std::isalpha(static_cast<unsigned char>(low[p])) || std::isalnum(static_cast<unsigned char>(low[p - 1])))
      continue;
    for (std::string_view m : kMarkers) {
      if (low.compare(p, m.size(), m) != 0) continue;
      const size_t end = p + m.size();
      if (end < low.size() && std::isalnum(static_cast<unsigned char>(low[end]))) continue;
      // a bare "not" only after a comma and before a thing: "all the lights
      // off, not the porch" ("volume 45 please, not more" leaves nothing out)
      if (m == "not") {
        size_t b = p;
        while (b > 0 && low[b - 1] == ' ') --b;
        if (b == 0 || low[b - 1] != ',') continue;
        const std::vector<std::string> after = plain_words(std::string_view(low).substr(end, 8));
        if (after.empty() || !(after[0] == "the" || after[0] == "my" || after[0] == "our")) continue;
      }
      Exception e;
      e.command = std::string(text.substr(0, p));
      while (!e.command.empty() && (e.command.back() == ' ' || e.command.back() == ',')) e.command.pop_back();
      e.left_out = std::string(text.substr(end));
      e.bare_but = m == "but";
      if (e.command.empty() || e.left_out.find_first_not_of(" ,.!?") == std::string::npos) return std::nullopt;
      return e;
    }
  }
  return std::nullopt;
}

bool says_exception(std::string_view text) {
  std::optional<Exception> e = split_exception(text);
  return e && !e->bare_but;
}

std::vector<std::string> split_clauses(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    bool has_word = false;
    for (char c : cur)
      if (std::isalnum(static_cast<unsigned char>(c))) has_word = true;
    if (has_word) out.push_back(cur);
    cur.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool decimal_point =
        c == '.' && i > 0 && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
        std::isdigit(static_cast<unsigned char>(text[i + 1]));
    if ((c == '.' && !decimal_point) || c == '!' || c == '?' || c == ';' || c == ',') {
      if (c == '?') cur += c;  // kept: a question mark makes the clause a question
      flush();
      continue;
    }
    // A reason or purpose starts a clause: "lights off because it's late",
    // "stair light on so nobody trips" ("so" only before a subject: "so
    // bright" is no clause).
    const std::vector<std::string> next = c == ' ' ? plain_words(text.substr(i + 1, 40)) : std::vector<std::string>{};
    if (c == ' ' && (starts_reason(text.substr(i + 1)) || starts_unpunctuated_sentence(cur, next))) {
      flush();
      continue;
    }
    // "... so scrap its timer": "so" before a command verb ends what came
    // before (a statement) and starts the command
    static constexpr std::string_view kCommandVerbs[] = {
        "turn", "switch", "put", "set", "cancel", "scrap", "stop", "start", "kill", "dim", "open", "close",
        "shut", "pause", "resume", "lock", "unlock", "make", "please", "can", "could", "would"};
    if (c == ' ' && next.size() >= 2 && next[0] == "so" && !cur.empty() &&
        std::any_of(std::begin(kCommandVerbs), std::end(kCommandVerbs), [&](std::string_view v) { return next[1] == v; })) {
      flush();
      i += 3;  // past "so "
      continue;
    }
    // What is to stay as it is ends at "and" or "but" ("keep the floor lamp
    // on and switch the tv backlight off") and starts at them ("turn off the
    // garden lights but leave the porch light on").
    if (c == ' ') {
      const bool joint = !next.empty() && (next[0] == "and" || next[0] == "but");
      if (joint && (leaves_as_is(cur) || leaves_as_is(text.substr(i + 1, text.find_first_of(",.;!?", i + 1) - i - 1)))) {
        flush();
        i += 4;  // past "and " / "but "
        continue;
      }
    }
    cur += c;
    // "and then" ends a clause: look for " and then " with word boundaries.
    if (cur.size() >= 9) {
      std::string tail = cur.substr(cur.size() - 9);
      for (char& t : tail) t = static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
      const bool boundary = i + 1 >= text.size() || !std::isalpha(static_cast<unsigned char>(text[i + 1]));
      if (tail == " and then" && boundary) {
        cur.resize(cur.size() - 9);
        flush();
      }
    }
  }
  flush();
  return out;
}

namespace {

class FrameReader {
 public:
  explicit FrameReader(const Grammar& g) : g_(g), home_(g.home()) {
    for (size_t k = 0; k < std::size(kLists); ++k) lists_[k] = &g_.list(kLists[k].key);
  }

  // `called`: the clause is one of several, so a clause of one name word
  // calls that device ("vacuum, ...").
  Spotted spot(std::string_view clause, bool called = false) const {
    Spotted s;
    s.words = tokenize(clause);
    join_split_words(s.words);
    const int n = static_cast<int>(s.words.size());
    std::vector<int> ids(n);
    for (int i = 0; i < n; ++i) ids[i] = g_.input_word_id(s.words[i]);
    std::vector<int> fillers;
    std::vector<NumberReading> numbers;
    std::vector<DurationReading> durations;
    std::vector<int> on_at;  // positions of "on", resolved after spotting
    bool first_content = true;
    for (int i = 0; i < n;) {
      const std::string& w = s.words[i];
      // Two-word cues.
      bool took = false;
      if (i + 1 < n) {
        for (const Bigram& b : kBigrams) {
          if (w == b.first && s.words[i + 1] == b.second) {
            s.cues |= b.cues;
            i += 2;
            took = true;
            break;
          }
        }
      }
      if (took) {
        first_content = false;
        continue;
      }
      // Durations and numbers (with their unit).
      durations.clear();
      read_durations(s.words, i, durations);
      if (!durations.empty()) {
        const DurationReading* best = &durations[0];
        for (const DurationReading& d : durations)
          if (d.end > best->end) best = &d;
        Span sp;
        sp.begin = i;
        sp.end = best->end;
        sp.type = SpanType::kDuration;
        sp.duration = *best;
        s.spans.push_back(sp);
        i = best->end;
        first_content = false;
        continue;
      }
      // Device names, areas, floors, kinds, colors: the longest phrase wins;
      // on a tie a name beats an area or floor, which beat a kind.
      int best_end = -1;
      Span best_span;
      for (size_t k = 0; k < std::size(kLists); ++k) {
        const ListKey& lk = kLists[k];
        const PhraseList& list = *lists_[k];
        auto [end, value] = g_.longest_phrase(list, ids, i);
        if (end > best_end) {
          best_end = end;
          best_span = Span{};
          best_span.begin = i;
          best_span.end = end;
          best_span.type = lk.type;
          best_span.value = &list.values[value];
        }
      }
      // A one-word name that is also a verb ("vacuum the floors") is the verb
      // unless a determiner comes before it ("run the vacuum"), it is called
      // by name ("vacuum, stop and go to your dock": a clause of its own), or
      // it is told where to go ("hoover go charge", "hoover back to the dock").
      if (best_end == i + 1 && (best_span.type == SpanType::kName || best_span.type == SpanType::kKind) &&
          in_list(kVerbLikeWords, w) && !(i > 0 && (is_det(s.words[i - 1]) || (cue_of(s.words[i - 1]) & kCueAll))) &&
          !(called && n == 1) && !(i == 0 && i + 1 < n && (cue_of(s.words[i + 1]) & (kCueGo | kCueBack | kCueDock))))
        best_end = -1;
      // "how warm is it": a temperature word, not a light's white.
      if (best_end == i + 1 && best_span.type == SpanType::kColorTemp && (cue_of(w) & kCueTemp)) s.cues |= kCueTemp;
      if (best_end > i) {
        s.spans.push_back(best_span);
        i = best_end;
        first_content = false;
        continue;
      }
      numbers.clear();
      read_numbers(s.words, i, numbers);
      if (!numbers.empty()) {
        const NumberReading* best = &numbers[0];
        for (const NumberReading& r : numbers)
          if (r.end > best->end) best = &r;
        Span sp;
        sp.begin = i;
        sp.end = best->end;
        sp.type = SpanType::kNumber;
        sp.number = best->value;
        sp.integer = best->integer;
        if (sp.end < n) {
          const std::string& u = s.words[sp.end];
          if (u == "percent") {
            sp.unit = Unit::kPercent;
            ++sp.end;
          } else if (u == "degrees" || u == "degree" || u == "celsius" || u == "centigrade" || u == "c") {
            sp.unit = Unit::kDegrees;
            s.cues |= kCueTemp;
            ++sp.end;
          }
        }
        // "one" alone ("next one", "back one track") counts as a word, not a quantity.
        if (!(best->end == i + 1 && (w == "one" || w == "a" || w == "an"))) {
          s.spans.push_back(sp);
          i = sp.end;
          first_content = false;
          continue;
        }
      }
      g_.filler_lengths_at(ids, i, fillers);
      if (!fillers.empty()) {
        i += *std::max_element(fillers.begin(), fillers.end());
        continue;
      }
      const bool do_you = w != "do" || (i + 1 < n && (s.words[i + 1] == "you" || s.words[i + 1] == "i" ||
                                                        s.words[i + 1] == "we" || s.words[i + 1] == "they"));
      if (first_content && ((in_list(kQuestionWords, w) && do_you) ||
                            (i + 1 < n && (w == "tell" || w == "give" || w == "remind") && s.words[i + 1] == "me") ||
                            w == "check" || w == "list" || w == "have" || w == "status" || w == "state")) {
        s.question = true;
        s.opener = w;
        s.wh_question = w == "why" || w == "who" || w == "how" || w == "where" || w == "when";
      }
      first_content = false;
      const uint64_t c = cue_of(w);
      for (const StateWord& sw : kStateWords)
        if (w == sw.word) s.state_at.push_back(i);
      if (w == "on") {
        on_at.push_back(i);
      } else if (c != 0) {
        s.cues |= c & ~kCueNeutral;
        if (c & kCueTimer) s.timer_at = i;
      } else {
        s.unexplained.push_back(i);
      }
      ++i;
    }
    // "on" is a preposition before a place or an unknown thing ("off on the
    // landing", "on my shopping list"); otherwise it is the switch word.
    for (int at : on_at) {
      bool preposition = false;
      if (at + 1 < n && is_det(s.words[at + 1])) {
        const Span* next = nullptr;
        for (const Span& sp : s.spans)
          if (sp.begin == at + 2) next = &sp;
        if (next == nullptr || next->type == SpanType::kArea || next->type == SpanType::kFloor) preposition = true;
        // "put the kitchen speaker on pause", "on the timer": the word after it decides.
        if (at + 2 < n && (cue_of(s.words[at + 2]) & (kCueMedia | kCueTimer | kCueVolume))) preposition = true;
      }
      if (!preposition) s.cues |= kCueOn;
    }
    if (clause.find('?') != std::string_view::npos) s.question = true;
    // "have the curtains been opened" asks; "have the roomba clean up" commands.
    if (s.opener == "have" && !(s.cues & kCueReport) && clause.find('?') == std::string_view::npos) {
      s.question = false;
      s.opener.clear();
    }
    return s;
  }

  // Whether words[pos] is unexplained and only filler words follow it: the
  // end of what was said ("twenty won", "to 40 ish please").
  bool last_unexplained(const Spotted& s, int pos) const {
    if (!is_unexplained(s, pos)) return false;
    for (size_t i = static_cast<size_t>(pos) + 1; i < s.words.size(); ++i) {
      const std::vector<int> ids = {g_.word_id(s.words[i])};
      std::vector<int> fillers;
      if (ids[0] >= 0) g_.filler_lengths_at(ids, 0, fillers);
      if (fillers.empty()) return false;
    }
    return true;
  }

  // Whether `w` alone is a cue, filler or a one-word phrase.
  bool known_word(const std::string& w) const {
    if (cue_of(w) != 0) return true;
    const std::vector<int> ids = {g_.word_id(w)};
    if (ids[0] < 0) return false;
    std::vector<int> fillers;
    g_.filler_lengths_at(ids, 0, fillers);
    if (!fillers.empty()) return true;
    for (const PhraseList* list : lists_)
      if (g_.longest_phrase(*list, ids, 0).first == 1) return true;
    return false;
  }

  // Whether a phrase of some list starts at words[pos] ("stairs light").
  bool starts_phrase(const std::vector<std::string>& words, size_t pos) const {
    std::vector<int> ids;
    for (size_t i = pos; i < words.size(); ++i) ids.push_back(g_.word_id(words[i]));
    for (const PhraseList* list : lists_)
      if (g_.longest_phrase(*list, ids, 0).first > 0) return true;
    return false;
  }

  // "down stairs", "every where": a one-word place or cue said (or
  // recognized) as two words, the second unknown on its own and starting no
  // phrase ("the up stairs light" keeps its "stairs light").
  void join_split_words(std::vector<std::string>& words) const {
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      if (known_word(words[i + 1]) || starts_phrase(words, i + 1)) continue;
      std::string joined = words[i] + words[i + 1];
      if (!known_word(joined)) continue;
      words[i] = std::move(joined);
      words.erase(words.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    }
  }

  Targets targets_of(const Spotted& s) const {
    Targets t;
    auto same = [](const ValueMap* a, const ValueMap* b) { return a == b || (a && b && *a == *b); };
    std::vector<const Span*> names;
    for (const Span& sp : s.spans)
      if (sp.type == SpanType::kName) names.push_back(&sp);
    // A scene or script said next to another device is context ("lights at 25% for dinner").
    bool other = false;
    for (const Span& sp : s.spans) {
      if (sp.type == SpanType::kKind) other = true;
      if (sp.type == SpanType::kName) {
        std::optional<Domain> d = domain_of_name(*sp.value);
        if (d && *d != Domain::kScene && *d != Domain::kScript) other = true;
      }
    }
    for (const Span& sp : s.spans) {
      switch (sp.type) {
        case SpanType::kName: {
          std::optional<Domain> d = domain_of_name(*sp.value);
          if (other && d && (*d == Domain::kScene || *d == Domain::kScript)) break;
          if (t.name && !same(t.name, sp.value)) t.conflict = true;
          t.name = sp.value;
          t.name_domain = d;
          break;
        }
        case SpanType::kArea:
          if (t.area && !same(t.area, sp.value)) t.conflict = true;
          t.area = sp.value;
          break;
        case SpanType::kFloor:
          if (t.floor && !same(t.floor, sp.value)) t.conflict = true;
          t.floor = sp.value;
          break;
        case SpanType::kKind: {
          const std::string* dom = str_of(sp.value, "domain");
          std::optional<Domain> d = dom ? domain_from_name(*dom) : std::nullopt;
          if (t.kind && t.kind_domain != d) t.conflict = true;
          t.kind = sp.value;
          t.kind_domain = d;
          break;
        }
        default:
          break;
      }
    }
    // "the kitchen lights and the big light", "the tv or the speaker": two
    // different targets said together; reading one of them would act on the
    // wrong set ("the lamps and ceiling lights" are both lights: one kind).
    const Span* prev = nullptr;
    for (const Span& sp : s.spans) {
      if (!is_target(sp.type)) continue;
      if (prev != nullptr && !(prev->type == sp.type && same(prev->value, sp.value)))
        for (int i = prev->end; i < sp.begin; ++i)
          if (in_list(kJoinWords, s.words[i])) t.conflict = true;
      prev = &sp;
    }
    return t;
  }

  static bool is_target(SpanType type) {
    return type == SpanType::kName || type == SpanType::kArea || type == SpanType::kFloor || type == SpanType::kKind;
  }

  // "is the extractor fan going", "garage door closed?", "did i lock the front door".
  std::optional<GrammarMatch> state_question(const Spotted& s, const Targets& t, const Span* number,
                                             const Span* color, const Span* duration) const {
    if (s.wh_question || number || color || duration || t.conflict) return std::nullopt;
    // "what's on tv tonight", "remind me to lock the back door" ask no state.
    if (s.opener == "what" || s.opener == "remind") return std::nullopt;
    if (!t.name && !t.kind) return std::nullopt;
    const char* state = nullptr;
    for (int at : s.state_at) {
      for (const StateWord& sw : kStateWords) {
        if (s.words[at] != sw.word) continue;
        if (state != nullptr && std::string_view(state) != sw.state) return std::nullopt;
        state = sw.state;
      }
    }
    if (state == nullptr && !(s.cues & kCueState) &&
        std::find(s.words.begin(), s.words.end(), "status") == s.words.end())
      return std::nullopt;
    if (s.unexplained.size() > 1) return std::nullopt;
    GrammarMatch m;
    if (t.name) {
      merge(m.slots, t.name);
    } else {
      merge(m.slots, t.kind);
      if (t.area) merge(m.slots, t.area);
      else if (t.floor) merge(m.slots, t.floor);
    }
    if (state != nullptr) m.slots["state"] = std::string(state);
    m.intent = "HassGetState";
    m.score = -static_cast<int>(s.unexplained.size());
    return m;
  }

  std::optional<Domain> domain_of_name(const ValueMap& v) const {
    const std::string* name = str_of(&v, "name");
    if (name == nullptr) return std::nullopt;
    std::vector<const Device*> found = home_.devices_named(*name);
    if (found.empty()) return std::nullopt;
    return found[0]->domain;
  }

  // The intent one spotted clause says; `context` are the other clauses
  // (targets may come from them, see frame.h).
  std::optional<GrammarMatch> compose(const Spotted& s, const std::vector<const Spotted*>& context) const {
    const uint64_t c = s.cues;
    Targets t = targets_of(s);
    if (t.conflict) return std::nullopt;
    if (takes_out(s)) return std::nullopt;
    if (says_outside_spans(s, kReflexiveWords)) return std::nullopt;
    for (int u : s.unexplained)
      if (in_list(kFractionWords, s.words[u])) return std::nullopt;
    const bool all = (c & kCueAll) != 0;
    // Targets from the other clauses.
    bool borrowed = false;  // the whole target comes from another clause
    if (!t.any()) {
      for (const Spotted* o : context) {
        Targets ot = targets_of(*o);
        if (ot.conflict || !ot.any()) continue;
        t = ot;
        borrowed = true;
        break;
      }
    } else if (t.kind && !t.name && !t.area && !t.floor && !all) {
      const ValueMap* area = nullptr;
      bool unique = true;
      for (const Spotted* o : context) {
        Targets ot = targets_of(*o);
        if (ot.area == nullptr) continue;
        if (area != nullptr && !(*area == *ot.area)) unique = false;
        area = ot.area;
      }
      if (area != nullptr && unique) t.area = area;
    }

    const Span* duration = nullptr;
    const Span* number = nullptr;
    const Span* color = nullptr;
    const Span* color_temp = nullptr;
    for (const Span& sp : s.spans) {
      if (sp.type == SpanType::kDuration && !duration) duration = &sp;
      if (sp.type == SpanType::kNumber && !number) number = &sp;
      if (sp.type == SpanType::kColor && !color) color = &sp;
      if (sp.type == SpanType::kColorTemp && !color_temp) color_temp = &sp;
    }
    int n_unexplained = static_cast<int>(s.unexplained.size());
    int n_numbers = 0;
    for (const Span& sp : s.spans) n_numbers += sp.type == SpanType::kNumber;

    GrammarMatch m;
    auto done = [&](const char* intent) -> std::optional<GrammarMatch> {
      if (n_unexplained > kMaxUnexplainedWords) return std::nullopt;
      m.intent = intent;
      m.score = -n_unexplained;
      return m;
    };
    // A device command. Unexplained words are allowed only where they cannot
    // change which devices it acts on.
    auto done_device = [&](const char* intent) -> std::optional<GrammarMatch> {
      // A clause that takes its whole target from another clause is a bare
      // value or action ("reading lamp, forty percent"); "the bags are full"
      // says no command.
      if (borrowed && n_unexplained > 0) return std::nullopt;
      // No device and no place: an unknown word in an object or place
      // phrase may be the device or place meant ("pause the jukebox", "the
      // lights off in the den"), and the command would act on every one.
      // (What a vacuum cleans is no target: "go clean the rugs", "vacuum
      // the hall carpet".)
      const bool vacuum_start = std::string_view(intent) == "HassVacuumStart";
      if (!t.name && !t.area && !t.floor && unknown_object(s, !t.any() && !vacuum_start)) return std::nullopt;
      if (!t.name && !vacuum_start && unexplained_in_place_phrase(s)) return std::nullopt;
      return done(intent);
    };
    auto put_target = [&](bool allow_area_only) {
      if (t.name) {
        merge(m.slots, t.name);
        return true;
      }
      if (t.kind) {
        merge(m.slots, t.kind);
        if (t.area) merge(m.slots, t.area);
        else if (t.floor) merge(m.slots, t.floor);
        return true;
      }
      if (t.area && (allow_area_only || all)) {
        merge(m.slots, t.area);
        return true;
      }
      return false;
    };

    // Timers come first: "stop the timer" is not a media stop.
    if ((c & kCueTimer) || ((c & kCueTimeWord) && duration)) {
      if (c & kCueLongAgo) return std::nullopt;
      // A name: "rice timer", "called homework", "call it laundry", "timer for the oven".
      for (int u : s.unexplained) {
        const bool before_timer = s.timer_at >= 0 && u + 1 == s.timer_at;
        const bool after_call = u >= 1 && (s.words[u - 1] == "called" || s.words[u - 1] == "named" ||
                                           (s.words[u - 1] == "it" && u >= 2 && s.words[u - 2] == "call"));
        const bool for_the = u >= 2 && s.words[u - 1] == "the" && s.words[u - 2] == "for" &&
                             u + 1 == static_cast<int>(s.words.size());
        // Two words before it: "screen time timer", "pasta pot timer".
        const bool two_before = s.timer_at >= 0 && u + 2 == s.timer_at &&
                                (is_unexplained(s, u + 1) || s.words[u + 1] == "time");
        if (two_before) {
          m.slots["timer_name"] = s.words[u] + " " + s.words[u + 1];
          n_unexplained -= is_unexplained(s, u + 1) ? 2 : 1;
          break;
        }
        if (before_timer || after_call || for_the) {
          m.slots["timer_name"] = s.words[u];
          --n_unexplained;
          break;
        }
      }
      // "pasta is done early, cancel its timer": the thing another clause
      // is about (its first unplaced noun, said first or after a determiner)
      if (m.slots.find("timer_name") == m.slots.end() && s.timer_at >= 1 && s.words[s.timer_at - 1] == "its") {
        for (const Spotted* o : context) {
          for (int u : o->unexplained)
            if (u == 0 || is_det(o->words[u - 1])) {
              m.slots["timer_name"] = o->words[u];
              break;
            }
          if (m.slots.count("timer_name")) break;
        }
      }
      if (t.any()) return std::nullopt;
      const bool negated_need = (c & kCueNegation) && (c & kCueNeed);
      if (c & kCueNegation && !negated_need) return std::nullopt;
      if (!duration && (negated_need || (c & (kCueCancel | kCueKill | kCueOff)))) return done("HassCancelTimer");
      if (!duration && (s.question || (c & kCueStatus))) return done("HassTimerStatus");
      if (duration && !(c & (kCueCancel | kCueKill)) && !s.question) {
        // A word another clause leaves unplaced may be the timer's name
        // ("25 minutes, essay"): a timer without it is wrong.
        if (m.slots.find("timer_name") == m.slots.end())
          for (const Spotted* o : context)
            if (may_name_timer(*o)) return std::nullopt;
        const DurationReading& d = duration->duration;
        if (d.hours >= 0) m.slots["hours"] = static_cast<int64_t>(d.hours);
        if (d.minutes >= 0) m.slots["minutes"] = static_cast<int64_t>(d.minutes);
        if (d.seconds >= 0) m.slots["seconds"] = static_cast<int64_t>(d.seconds);
        return done("HassStartTimer");
      }
      return std::nullopt;
    }
    if (c & kCueNegation) return std::nullopt;
    // A value said twice or cut short ("two thirty percent", "twenty won"):
    // the number read may not be the one meant.
    if (n_numbers > 1) return std::nullopt;
    for (const Span& sp : s.spans)
      if (sp.type == SpanType::kNumber && last_unexplained(s, sp.end)) return std::nullopt;

    // Questions: temperature readings, states, the time and the date.
    if (s.question) {
      if (c & kCueLongAgo) return std::nullopt;
      if (auto state = state_question(s, t, number, color, duration)) return state;
      // The time or the date. A wh-question may leave one word unexplained
      // ("what time have we got"); a yes / no question none, since an
      // unknown word there is what it asks about ("is my train on time").
      int n_unknown = 0;  // the question words themselves do not count
      for (int u : s.unexplained) n_unknown += !in_list(kQuestionWords, s.words[u]);
      const bool yes_no = in_list(kYesNoOpeners, s.opener);
      // "what time does the pharmacy open", "what day does the bin go
      // out": when something else happens, not the time or the date now.
      const bool other = says_outside_spans(s, kDoAuxiliaries) || says_outside_spans(s, kAmountWords);
      if (!t.any() && !number && !duration && !color && !other && n_unknown <= (yes_no ? 0 : 1)) {
        if ((c & kCueCalendar) && !(c & kCueClock)) return done("HassGetCurrentDate");
        if ((c & kCueClock) && !(c & kCueCalendar)) return done("HassGetCurrentTime");
      }
      if (c & kCueReport) return std::nullopt;
      const bool climate_name =
          t.name && t.name_domain && (*t.name_domain == Domain::kClimate || *t.name_domain == Domain::kSensor);
      const uint64_t actions = kCueOn | kCueOff | kCueLock | kCueUnlock | kCueOpen | kCueClose | kCueActivate |
                               kCueKill | kCueMedia | kCueVolume | kCueVacuum | kCueBright | kCueColorWord;
      if ((c & actions) || number || color || duration) return std::nullopt;
      if (!(c & kCueTemp) && !climate_name) return std::nullopt;
      // A thermostat named with no temperature word: "what does the
      // thermostat do" asks what it is, not what it reads.
      if (!(c & kCueTemp) && says_outside_spans(s, kDoAuxiliaries)) return std::nullopt;
      if (t.name && !climate_name) return std::nullopt;
      if (t.kind && t.kind_domain != Domain::kClimate) return std::nullopt;
      if (t.name) merge(m.slots, t.name);
      else if (t.area) merge(m.slots, t.area);
      if (n_unexplained > 1) return std::nullopt;
      return done("HassClimateGetTemperature");
    }
    if (c & (kCueLongAgo | kCueReport)) return std::nullopt;

    const Domain* nd = t.name_domain ? &*t.name_domain : nullptr;
    const Domain* kd = t.kind_domain ? &*t.kind_domain : nullptr;
    auto target_domain_is = [&](Domain d) { return (nd && *nd == d) || (!t.name && kd && *kd == d); };

    // Media transport.
    if ((c & kCueMedia) && !(target_domain_is(Domain::kVacuum) || (c & kCueVacuum))) {
      if (t.name && !target_domain_is(Domain::kMediaPlayer)) return std::nullopt;
      if (!t.name && t.kind && *kd != Domain::kMediaPlayer) return std::nullopt;
      if (number && number->unit != Unit::kNone) return std::nullopt;
      if (t.name) merge(m.slots, t.name);
      else if (t.area) merge(m.slots, t.area);
      if (c & kCuePause) return done_device("HassMediaPause");
      if (c & kCueNext) return done_device("HassMediaNext");
      if (c & kCuePrevious) return done_device("HassMediaPrevious");
      return done_device("HassMediaUnpause");
    }
    if ((c & kCueBack) && (c & kCueMediaNoun) && !(c & kCueDock)) return done_device("HassMediaPrevious");

    // Volume.
    if ((c & kCueVolume) && number && number->integer && number->number >= 0 && number->number <= 100 &&
        number->unit != Unit::kDegrees) {
      if (t.name && !target_domain_is(Domain::kMediaPlayer)) return std::nullopt;
      if (t.name) merge(m.slots, t.name);
      else if (t.area) merge(m.slots, t.area);
      m.slots["volume_level"] = static_cast<int64_t>(std::llround(number->number));
      return done_device("HassSetVolume");
    }

    // Vacuum.
    const bool vacuum_named = target_domain_is(Domain::kVacuum);
    if (vacuum_named || (c & kCueVacuum) || ((c & kCueDock) && (c & kCueBack))) {
      if (t.name && !vacuum_named) return std::nullopt;
      if (vacuum_named) merge(m.slots, t.name ? t.name : nullptr);
      if (c & kCueDock) return done_device("HassVacuumReturnToBase");
      if ((c & kCueBack) && !(c & kCueVacuum)) return done_device("HassVacuumReturnToBase");
      if (c & (kCueVacuum | kCueActivate | kCueOn)) return done_device("HassVacuumStart");
      // "go" alone is a weak cue: "the vacuum should go recharge" says where it goes.
      if ((c & kCueGo) && n_unexplained == 0) return done_device("HassVacuumStart");
      return std::nullopt;
    }

    const bool light_target = target_domain_is(Domain::kLight);
    const bool cover_target = target_domain_is(Domain::kCover);
    const bool climate_target = target_domain_is(Domain::kClimate);

    // Climate setpoint.
    if (number && number->unit != Unit::kPercent && number->number >= 5 && number->number <= 35 && !light_target &&
        !cover_target && (climate_target || (c & kCueTemp))) {
      if (t.name && !climate_target) return std::nullopt;
      if (t.name) merge(m.slots, t.name);
      else if (t.area) merge(m.slots, t.area);
      else if (t.floor) return std::nullopt;
      else if (!(c & kCueSetVerb)) return std::nullopt;
      if (number->integer) m.slots["temperature"] = static_cast<int64_t>(std::llround(number->number));
      else m.slots["temperature"] = std::round(number->number * 10.0) / 10.0;
      return done_device("HassClimateSetTemperature");
    }

    // Light settings.
    const bool area_light = !t.name && !t.kind && (t.area || t.floor) && (c & kCueBright);
    if (light_target || area_light) {
      std::optional<int64_t> brightness;
      if (number && number->integer && number->number >= 0 && number->number <= 100 &&
          number->unit != Unit::kDegrees)
        brightness = std::llround(number->number);
      else if ((c & kCueHalf) && !number) brightness = 50;
      else if ((c & kCueFull) && !number) brightness = 100;
      const int n_values = (brightness ? 1 : 0) + (color ? 1 : 0) + (color_temp ? 1 : 0);
      if (n_values == 1) {
        if (area_light) {
          m.slots["domain"] = std::string("light");
          merge(m.slots, t.area ? t.area : t.floor);
        } else if (!put_target(false)) {
          return std::nullopt;
        }
        if (brightness) m.slots["brightness"] = *brightness;
        if (color) merge(m.slots, color->value);
        if (color_temp) merge(m.slots, color_temp->value);
        return done_device("HassLightSet");
      }
      if (n_values > 1) return std::nullopt;
    }
    if (color || color_temp) return std::nullopt;

    // Cover position.
    if (cover_target && (number || (c & kCueHalf))) {
      if (number && !(number->integer && number->number >= 0 && number->number <= 100 &&
                       number->unit != Unit::kDegrees))
        return std::nullopt;
      if (!put_target(false)) return std::nullopt;
      m.slots["position"] = number ? static_cast<int64_t>(std::llround(number->number)) : int64_t{50};
      return done_device("HassSetPosition");
    }
    if (number || duration) return std::nullopt;

    // On / off, lock / unlock, open / close, activate.
    if (!t.any()) return std::nullopt;
    // A value cue that no value rule above took ("volume to maximum on the
    // speaker", "half way"): the clause sets something, it does not switch.
    if (c & (kCueVolume | kCueHalf | kCueFull)) return std::nullopt;
    if (t.name && nd && (*nd == Domain::kSensor || *nd == Domain::kBinarySensor || *nd == Domain::kClimate))
      return std::nullopt;
    int dir = 0;  // +1 on, -1 off
    auto pick = [&](uint64_t on_cues, uint64_t off_cues) {
      const bool on = (c & on_cues) != 0;
      const bool off = (c & off_cues) != 0;
      dir = on == off ? 0 : on ? 1 : -1;
    };
    if (target_domain_is(Domain::kLock)) {
      pick(kCueLock, kCueUnlock);
    } else if (cover_target) {
      pick(kCueOpen | kCueUp, kCueClose | kCueDown);
    } else if (target_domain_is(Domain::kScene) || target_domain_is(Domain::kScript)) {
      pick(kCueActivate | kCueDo | kCueOn, 0);
    } else {
      pick(kCueOn | kCueActivate | kCueUp | kCueGo, kCueOff | kCueKill | kCueClose);
      // "go" alone is a weak cue: with a word we do not know it may not mean on.
      if (dir > 0 && !(c & (kCueOn | kCueActivate | kCueUp)) && n_unexplained > 0) return std::nullopt;
    }
    if (dir == 0) return std::nullopt;
    if (!put_target(false)) return std::nullopt;
    return done_device(dir > 0 ? "HassTurnOn" : "HassTurnOff");
  }

 private:
  const Grammar& g_;
  const Home& home_;
  const PhraseList* lists_[std::size(kLists)] = {};
};

const char* const kPlaceIntents[] = {"HassTurnOn", "HassTurnOff", "HassLightSet", "HassSetPosition", "HassGetState"};
const char* const kTimerIntents[] = {"HassStartTimer", "HassCancelTimer", "HassTimerStatus"};
// Device intents whose target may be left unsaid ("next song", "volume 20").
const char* const kTargetIntents[] = {
    "HassMediaPause",         "HassMediaUnpause",          "HassMediaNext",
    "HassMediaPrevious",      "HassSetVolume",             "HassVacuumStart",
    "HassVacuumReturnToBase", "HassClimateSetTemperature", "HassClimateGetTemperature"};

bool has(const ValueMap& m, const char* key) { return m.find(key) != m.end(); }

}  // namespace

bool names_unknown_device(const Home& home, const GrammarMatch& m) {
  if (m.custom >= 0 || !has(m.slots, "name")) return false;
  Result<std::vector<std::string>> r = resolve_targets(home, Intent{m.intent, m.slots});
  return !r && r.error().code == Code::kNotFound;
}

bool placed_and_resolves(const Home& home, const std::optional<GrammarMatch>& f) {
  const bool placed = f && (has(f->slots, "name") || has(f->slots, "area") || has(f->slots, "floor"));
  return placed && resolve_targets(home, Intent{f->intent, f->slots});
}

namespace {

// The devices a target (name, or kind / area / floor slots) stands for: a
// name's every device, shared aliases too ("the bedside lamps"); empty when
// the home has none.
std::vector<std::string> target_ids(const Home& home, const ValueMap& target) {
  std::vector<std::string> ids;
  if (const std::string* name = str_of(&target, "name")) {
    for (const Device* d : home.devices_named(*name)) ids.push_back(d->id);
  } else if (Result<std::vector<std::string>> r = resolve_targets(home, Intent{"HassGetState", target})) {
    ids = std::move(*r);
  }
  return ids;
}

bool shares_any(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const std::string& id : a)
    if (std::find(b.begin(), b.end(), id) != b.end()) return true;
  return false;
}

}  // namespace

bool FrameParser::only_tells(std::string_view text) const {
  FrameReader reader(grammar_);
  const std::vector<std::string> clauses = split_clauses(text);
  if (clauses.empty()) return false;
  // Any action, setting or media word may be a request said in the past
  // ("i was wondering if you could turn the tree off", "previous track,
  // that was my favourite"); a clause opening like a question asks.
  const uint64_t asks = kCueOn | kCueOff | kCueLock | kCueUnlock | kCueOpen | kCueClose | kCueActivate | kCueKill |
                        kCueMedia | kCueVolume | kCueBright | kCueColorWord | kCuePause | kCueResume | kCueNext |
                        kCuePrevious | kCueDock | kCueTimer | kCueCancel | kCueSetVerb | kCueNeed;
  for (const std::string& c : clauses) {
    const Spotted s = reader.spot(c);
    if (s.question || !s.opener.empty() || (s.cues & asks) || !(s.cues & (kCueReport | kCueLongAgo))) return false;
    if (!s.words.empty() && in_list(kYesNoOpeners, s.words[0])) return false;
  }
  return true;
}

std::optional<GrammarMatch> FrameParser::match_frame_for_test(std::string_view clause) const {
  FrameReader reader(grammar_);
  return reader.compose(reader.spot(clause), {});
}

std::optional<GrammarMatch> FrameParser::leave_out(GrammarMatch m, std::string_view left_out, bool strict) const {
  if (!in_list(kPlaceIntents, m.intent)) return std::nullopt;
  FrameReader reader(grammar_);
  const Spotted s = reader.spot(left_out);
  // "but" leaves out only a thing said right after it ("everything off but
  // the fridge"), not a second command ("... but turn on the hall light").
  if (strict) {
    if (s.words.empty()) return std::nullopt;
    const bool thing_first = is_det(s.words[0]) || (!s.spans.empty() && s.spans[0].begin == 0 &&
                                                     s.spans[0].type != SpanType::kNumber &&
                                                     s.spans[0].type != SpanType::kDuration);
    if (!thing_first || s.cues != 0) return std::nullopt;
  }
  const Targets t = reader.targets_of(s);
  if (t.conflict) return std::nullopt;
  // "except the porch": the one device whose name holds the words said.
  const Device* part = nullptr;
  if (!t.any()) {
    std::string spoken;
    for (int u : s.unexplained)
      if (!is_det(s.words[u])) spoken += (spoken.empty() ? "" : " ") + s.words[u];
    part = device_by_part(grammar_.home(), spoken);
  }
  ValueMap out;  // what is left out, as name / area / floor
  if (const std::string* name = str_of(t.name, "name")) {
    out["name"] = *name;
  } else if (part != nullptr) {
    out["name"] = part->name;
  } else if (const std::string* area = str_of(t.area, "area"); area != nullptr && t.kind == nullptr) {
    out["area"] = *area;
  } else if (const std::string* floor = str_of(t.floor, "floor"); floor != nullptr && t.kind == nullptr) {
    out["floor"] = *floor;
  } else {
    return std::nullopt;
  }
  // A named device leaves nothing out: "turn off the tv but not the lights"
  // stands as it is; "the porch light except the porch" is no command.
  if (has(m.slots, "name")) {
    Result<std::vector<std::string>> acts = resolve_targets(grammar_.home(), Intent{m.intent, m.slots});
    const std::vector<std::string> kept = target_ids(grammar_.home(), out);
    if (!acts || kept.empty() || shares_any(kept, *acts)) return std::nullopt;
    return m;
  }
  for (const auto& [k, v] : out) m.slots["except_" + k] = v;
  if (!resolve_targets(grammar_.home(), Intent{m.intent, m.slots})) return std::nullopt;
  return m;
}

std::optional<GrammarMatch> FrameParser::match(std::string_view text) const {
  // "kill the lights downstairs except the hallway": the command, less what
  // it leaves out; an exception we cannot read is no command at all.
  if (std::optional<Exception> e = split_exception(text)) {
    std::optional<GrammarMatch> m = grammar_.match(e->command);
    if (!m) m = match(e->command);
    if (m) {
      if (std::optional<GrammarMatch> out = leave_out(std::move(*m), e->left_out, e->bare_but)) return out;
    }
    if (!e->bare_but) return std::nullopt;
  }
  std::vector<std::string> clauses = split_clauses(text);
  if (clauses.size() <= 1) return match_clauses(text, clauses);
  // "leave the porch light alone and turn off the garden lights": what is to
  // stay as it is asks for nothing; the rest is the command.
  std::vector<std::string> acting;
  std::vector<std::string> kept;
  for (std::string& c : clauses) (leaves_as_is(c) ? kept : acting).push_back(std::move(c));
  if (kept.empty()) return match_clauses(text, acting);
  if (acting.empty()) return std::nullopt;
  std::optional<GrammarMatch> m;
  if (acting.size() == 1) m = grammar_.match(acting[0]);
  if (!m) m = match_clauses(text, acting);
  if (!m) return std::nullopt;
  // "switch the kitchen lights off, keep the counter light on": what is kept
  // is left out of the command (an exception we cannot express is no command).
  Result<std::vector<std::string>> acts = resolve_targets(grammar_.home(), Intent{m->intent, m->slots});
  if (!acts) return m;
  FrameReader reader(grammar_);
  for (const std::string& k : kept) {
    // What is kept must be read: "... but leave the bedside lamps on" said
    // in words we cannot place may be inside the command's group.
    const Targets kt = reader.targets_of(reader.spot(k));
    if (!kt.any() || kt.conflict) return std::nullopt;
    ValueMap kept_slots;
    for (const ValueMap* part : {kt.name, kt.kind, kt.area, kt.floor}) merge(kept_slots, part);
    const std::vector<std::string> keeps = target_ids(grammar_.home(), kept_slots);
    if (!keeps.empty() && !shares_any(keeps, *acts)) continue;  // unplaced: may be inside the group
    std::optional<GrammarMatch> out = leave_out(std::move(*m), k, false);
    if (!out) return std::nullopt;
    m = std::move(out);
  }
  return m;
}

std::optional<GrammarMatch> FrameParser::match_clauses(std::string_view text,
                                                       const std::vector<std::string>& clauses) const {
  FrameReader reader(grammar_);
  if (clauses.empty()) return std::nullopt;
  std::vector<Spotted> spotted;
  spotted.reserve(clauses.size());
  for (const std::string& c : clauses) spotted.push_back(reader.spot(c, clauses.size() > 1));
  auto others = [&](size_t i) {
    std::vector<const Spotted*> out;
    for (size_t j = 0; j < spotted.size(); ++j)
      if (j != i) out.push_back(&spotted[j]);
    return out;
  };
  // "all the lights off, except the porch": no clause may be read alone.
  for (const Spotted& s : spotted)
    if (takes_out(s)) return std::nullopt;

  // 1. The strict grammar on each clause; a kind with no place takes the one
  //    area the other clauses mention.
  if (clauses.size() > 1) {
    std::vector<std::optional<GrammarMatch>> strict(clauses.size());
    for (size_t i = 0; i < clauses.size(); ++i) {
      // A clause that only calls a device by name ("vacuum, stop and go to
      // your dock") is no command of its own.
      const Spotted& si = spotted[i];
      if (si.words.size() == 1 && si.spans.size() == 1 && si.spans[0].type == SpanType::kName) continue;
      strict[i] = grammar_.match(clauses[i]);
    }
    // "no wait, the bedside lamp, turn it off", "lights off, no, never
    // mind": a cancel next to a command is a correction. Which part stands
    // is for the later layers to judge.
    for (size_t i = 0; i < clauses.size(); ++i) {
      if (!strict[i] || strict[i]->intent != "HassNevermind") continue;
      // "the egg timer, cancel it": the cancel is the timer's.
      for (size_t j = 0; j < clauses.size(); ++j) {
        if (j == i || spotted[j].timer_at < 0) continue;
        std::optional<GrammarMatch> whole = reader.compose(reader.spot(text), {});
        if (whole && whole->intent == "HassCancelTimer") return whole;
      }
      // A command: a template, or a frame (its target may come from the
      // other clauses). "never mind, i'll sort it out myself" gives none.
      for (size_t j = 0; j < clauses.size(); ++j) {
        if (j == i) continue;
        const bool command =
            strict[j] ? strict[j]->intent != "HassNevermind" : reader.compose(spotted[j], others(j)).has_value();
        if (command) return std::nullopt;
      }
    }
    // A complaint ("it's too dark in the kitchen") is a command only when no
    // other clause gives one: "it's dark in here, turn on the hall light".
    std::vector<size_t> order;
    for (size_t i = 0; i < clauses.size(); ++i)
      if (!complains(spotted[i])) order.push_back(i);
    for (size_t i = 0; i < clauses.size(); ++i)
      if (complains(spotted[i])) order.push_back(i);
    for (size_t i : order) {
      std::optional<GrammarMatch>& m = strict[i];
      if (!m) continue;
      // Free words read as an unknown name ("switch off the lights outdoors,
      // it's late"): as for a whole sentence (template_parser.cc), a frame
      // reading of the clause with a place that resolves is the better one.
      if (names_unknown_device(grammar_.home(), *m)) {
        std::optional<GrammarMatch> f = reader.compose(spotted[i], others(i));
        if (placed_and_resolves(grammar_.home(), f)) m = std::move(f);
      }
      if (in_list(kTimerIntents, m->intent)) {
        // "roast timer, how long to go?": the timer's name in another clause.
        std::optional<GrammarMatch> whole = reader.compose(reader.spot(text), {});
        if (whole && whole->intent == m->intent && whole->slots.size() > m->slots.size()) return whole;
      }
      if (m->intent == "HassStartTimer") {
        // Words we could not place may be the timer's name ("making rice, twelve minute timer").
        if (!has(m->slots, "timer_name"))
          for (size_t j = 0; j < spotted.size(); ++j)
            if (j != i && may_name_timer(spotted[j])) return std::nullopt;
      }
      // "kitchen speaker is too loud, volume fifteen": a device command with no
      // target while another clause names one; the frames below join them.
      if (m->custom < 0 && in_list(kTargetIntents, m->intent) && !has(m->slots, "name") && !has(m->slots, "area") &&
          !has(m->slots, "floor") && !has(m->slots, "domain")) {
        bool named_elsewhere = false;
        for (size_t j = 0; j < spotted.size(); ++j)
          if (j != i && reader.targets_of(spotted[j]).name) named_elsewhere = true;
        if (named_elsewhere) continue;
        // "the telly's too loud, volume 18": another clause names a thing we
        // do not know (an unknown word after a determiner); with no target,
        // the command would reach every device of its kind.
        // ("go back one song, i missed the chorus": a person doing something
        // gives a reason, not a device.)
        for (size_t j = 0; j < spotted.size(); ++j)
          for (int u : spotted[j].unexplained)
            if (j != i && u >= 1 && is_det(spotted[j].words[u - 1]) && !opens_with_person(spotted[j]))
              return std::nullopt;
      }
      if (m->custom < 0 && in_list(kPlaceIntents, m->intent) && has(m->slots, "domain") && !has(m->slots, "name") &&
          !has(m->slots, "area") && !has(m->slots, "floor") && !(spotted[i].cues & kCueAll)) {
        const ValueMap* area = nullptr;
        bool unique = true;
        for (size_t j = 0; j < spotted.size(); ++j) {
          if (j == i) continue;
          Targets ot = reader.targets_of(spotted[j]);
          if (ot.area == nullptr) continue;
          if (area != nullptr && !(*area == *ot.area)) unique = false;
          area = ot.area;
        }
        if (area != nullptr && unique) merge(m->slots, area);
      }
      return std::move(m);
    }
  }
  // 2. Frames, clause by clause; the clause that leaves the fewest words
  //    unexplained wins ("hoover done? send it back to the dock").
  std::optional<GrammarMatch> best;
  for (size_t i = 0; i < spotted.size(); ++i) {
    std::optional<GrammarMatch> m = reader.compose(spotted[i], others(i));
    if (m && (!best || m->score > best->score)) best = std::move(m);
  }
  // A timer said over several clauses ("twenty five minute timer, call it laundry").
  if (best && best->intent == "HassStartTimer" && clauses.size() > 1) {
    std::optional<GrammarMatch> whole = reader.compose(reader.spot(text), {});
    if (whole && whole->intent == best->intent && whole->slots.size() > best->slots.size()) best = std::move(whole);
  }
  if (best) return best;
  // 3. A timer said over several clauses, read over the whole sentence ("nap
  //    timer please, twenty minutes"). Only timers: a device command read
  //    this way mixes a word of a reason with the target of a command ("the
  //    bags are full, can you get the bedroom lights" is no brightness).
  if (clauses.size() <= 1) return std::nullopt;
  std::optional<GrammarMatch> whole = reader.compose(reader.spot(text), {});
  if (!whole || !in_list(kTimerIntents, whole->intent)) return std::nullopt;
  // "the bread needs forty minutes, start a timer": an unplaced word may be the timer's name.
  if (whole->intent == "HassStartTimer" && !has(whole->slots, "timer_name"))
    for (const Spotted& s : spotted)
      if (may_name_timer(s)) return std::nullopt;
  return whole;
}

}  // namespace hearth::nlu
