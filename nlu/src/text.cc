#include "text.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace hearth::nlu {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return c >= 'a' && c <= 'z'; }

// Subject words whose "'s" means "is" ("what's"), not a possessive ("kid's").
bool s_means_is(std::string_view stem) {
  static const char* const kStems[] = {"what", "it", "that", "there", "how", "who", "where",
                                       "when", "here", "he", "she", "this", "whatever", "long", "time",
                                       "everything", "anything", "something", "nothing", "warm", "hot", "cold", "timer"};
  for (const char* s : kStems)
    if (stem == s) return true;
  return false;
}

// Contractions typed without their apostrophe ("whats the time"). Only
// spellings that are not also ordinary words: no "its", "ill", "well", "were".
struct Unapostrophed {
  const char* word;
  const char* first;
  const char* second;
};
constexpr Unapostrophed kUnapostrophed[] = {
    {"whats", "what", "is"},   {"thats", "that", "is"},   {"hows", "how", "is"},     {"wheres", "where", "is"},
    {"whos", "who", "is"},     {"theres", "there", "is"}, {"dont", "do", "not"},     {"doesnt", "does", "not"},
    {"didnt", "did", "not"},   {"cant", "can", "not"},    {"isnt", "is", "not"},     {"arent", "are", "not"},
    {"wasnt", "was", "not"},   {"havent", "have", "not"}, {"im", "i", "am"},         {"ive", "i", "have"},
    {"youre", "you", "are"},   {"whatevers", "whatever", "is"},
    // Spoken run-togethers: "gimme the time", "i wanna read".
    {"gimme", "give", "me"},   {"wanna", "want", "to"},   {"gonna", "going", "to"},  {"lemme", "let", "me"},
};

// Appends `word` (which may hold one apostrophe) to `out`, expanding contractions.
void push_word(std::string& word, std::vector<std::string>& out) {
  if (word.empty()) return;
  size_t apos = word.find('\'');
  if (apos == std::string::npos) {
    for (const Unapostrophed& u : kUnapostrophed) {
      if (word == u.word) {
        out.emplace_back(u.first);
        out.emplace_back(u.second);
        word.clear();
        return;
      }
    }
    out.push_back(word);
    word.clear();
    return;
  }
  std::string stem = word.substr(0, apos);
  std::string tail = word.substr(apos + 1);
  word.clear();
  // Drop any further apostrophes; they carry nothing we match on.
  std::string clean_tail;
  for (char c : tail)
    if (c != '\'') clean_tail += c;
  tail = clean_tail;
  auto emit = [&](std::string a, std::string b) {
    if (!a.empty()) out.push_back(std::move(a));
    if (!b.empty()) out.push_back(std::move(b));
  };
  if (stem == "can" && tail == "t") return emit("can", "not");
  if (stem == "won" && tail == "t") return emit("will", "not");
  if (stem == "let" && tail == "s") return emit("let", "us");
  if (tail == "t" && stem.size() > 1 && stem.back() == 'n') {  // isn't, don't, aren't
    stem.pop_back();
    return emit(stem, "not");
  }
  if (tail == "re") return emit(stem, "are");
  if (tail == "m") return emit(stem, "am");
  if (tail == "ll") return emit(stem, "will");
  if (tail == "ve") return emit(stem, "have");
  if (tail == "d" && (stem == "i" || stem == "you" || stem == "we" || stem == "they")) return emit(stem, "would");
  if (tail == "s" && s_means_is(stem)) return emit(stem, "is");
  out.push_back(stem + tail);  // possessive or unknown: drop the apostrophe
}

}  // namespace

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] { push_word(word, out); };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char uc = static_cast<unsigned char>(text[i]);
    char c = static_cast<char>(std::tolower(uc));
    if (uc == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xB0) {  // "°"
      flush();
      out.push_back("degrees");
      ++i;
      continue;
    }
    if (uc == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) == 0x99 || static_cast<unsigned char>(text[i + 2]) == 0x98)) {
      c = '\'';  // typographic apostrophe
      i += 2;
    }
    if (is_alpha(c)) {
      if (!word.empty() && is_digit(word.back())) flush();
      word += c;
    } else if (is_digit(c)) {
      if (!word.empty() && is_alpha(word.back())) flush();
      word += c;
    } else if (c == '.' && !word.empty() && is_digit(word.back()) && i + 1 < text.size() &&
               is_digit(text[i + 1]) && word.find('.') == std::string::npos) {
      word += c;
    } else if (c == '\'' && !word.empty() && is_alpha(word.back()) && i + 1 < text.size() &&
               is_alpha(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i + 1]))))) {
      word += c;
    } else if (c == '%') {
      flush();
      out.push_back("percent");
    } else {
      flush();
    }
  }
  flush();
  // "per cent" is one unit.
  std::vector<std::string> merged;
  merged.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == "per" && i + 1 < out.size() && out[i + 1] == "cent") {
      merged.push_back("percent");
      ++i;
    } else {
      merged.push_back(std::move(out[i]));
    }
  }
  repair_number_homophones(merged);
  return merged;
}

std::string join_words(const std::vector<std::string>& words, size_t begin, size_t end) {
  std::string s;
  for (size_t i = begin; i < end && i < words.size(); ++i) {
    if (!s.empty()) s += ' ';
    s += words[i];
  }
  return s;
}

namespace {

struct WordValue {
  const char* word;
  int value;
};
constexpr WordValue kUnits[] = {{"zero", 0}, {"one", 1}, {"two", 2},   {"three", 3}, {"four", 4},
                                {"five", 5}, {"six", 6}, {"seven", 7}, {"eight", 8}, {"nine", 9}};
constexpr WordValue kTeens[] = {{"ten", 10},      {"eleven", 11},    {"twelve", 12}, {"thirteen", 13},
                                {"fourteen", 14}, {"fifteen", 15},   {"sixteen", 16}, {"seventeen", 17},
                                {"eighteen", 18}, {"nineteen", 19}};
constexpr WordValue kTens[] = {{"twenty", 20}, {"thirty", 30},  {"forty", 40},  {"fifty", 50},
                               {"sixty", 60},  {"seventy", 70}, {"eighty", 80}, {"ninety", 90}};

int lookup(const WordValue* table, size_t n, std::string_view w) {
  for (size_t i = 0; i < n; ++i)
    if (w == table[i].word) return table[i].value;
  return -1;
}
int unit_value(std::string_view w) { return lookup(kUnits, std::size(kUnits), w); }
int teen_value(std::string_view w) { return lookup(kTeens, std::size(kTeens), w); }
int tens_value(std::string_view w) { return lookup(kTens, std::size(kTens), w); }

bool at(const std::vector<std::string>& w, int pos, std::string_view s) {
  return pos >= 0 && pos < static_cast<int>(w.size()) && w[pos] == s;
}

// A token made of digits with at most one '.' inside.
bool parse_digits(const std::string& s, double* value, bool* integer) {
  if (s.empty() || !is_digit(s[0])) return false;
  for (char c : s)
    if (!is_digit(c) && c != '.') return false;
  if (s.size() > 9) return false;  // defensive: no spoken quantity needs more; keeps strtod sane
  *value = std::strtod(s.c_str(), nullptr);
  *integer = s.find('.') == std::string::npos;
  return true;
}

struct IntReading {
  int end;
  int value;
};

// 0..99 in words: "seven", "thirteen", "forty", "forty two".
void read_below_100(const std::vector<std::string>& w, int pos, std::vector<IntReading>& out) {
  if (pos >= static_cast<int>(w.size())) return;
  if (int t = tens_value(w[pos]); t >= 0) {
    out.push_back({pos + 1, t});
    if (pos + 1 < static_cast<int>(w.size())) {
      int u = unit_value(w[pos + 1]);
      if (u > 0) out.push_back({pos + 2, t + u});
    }
    return;
  }
  if (int t = teen_value(w[pos]); t >= 0) {
    out.push_back({pos + 1, t});
    return;
  }
  if (int u = unit_value(w[pos]); u >= 0) out.push_back({pos + 1, u});
}

// Whole numbers in words or digits, up to 999.
void read_integers(const std::vector<std::string>& w, int pos, std::vector<IntReading>& out) {
  const int n = static_cast<int>(w.size());
  if (pos >= n) return;
  // "hundred", "a hundred", "one hundred", "two hundred [and] five"
  int hundreds = -1;
  int after = pos;
  if (w[pos] == "hundred") {
    hundreds = 1;
    after = pos + 1;
  } else if (at(w, pos + 1, "hundred")) {
    int u = w[pos] == "a" ? 1 : unit_value(w[pos]);
    if (u > 0) {
      hundreds = u;
      after = pos + 2;
    }
  }
  if (hundreds > 0) {
    out.push_back({after, hundreds * 100});
    int rest_at = at(w, after, "and") ? after + 1 : after;
    std::vector<IntReading> rest;
    read_below_100(w, rest_at, rest);
    for (const IntReading& r : rest)
      if (r.value > 0) out.push_back({r.end, hundreds * 100 + r.value});
    return;
  }
  read_below_100(w, pos, out);
}

}  // namespace

void read_numbers(const std::vector<std::string>& w, int pos, std::vector<NumberReading>& out) {
  const int n = static_cast<int>(w.size());
  if (pos < 0 || pos >= n) return;
  double digits_value = 0;
  bool digits_integer = true;
  std::vector<IntReading> whole;
  if (parse_digits(w[pos], &digits_value, &digits_integer)) {
    if (!digits_integer) {
      out.push_back({pos + 1, digits_value, false});
      return;
    }
    whole.push_back({pos + 1, static_cast<int>(digits_value)});
  } else {
    read_integers(w, pos, whole);
  }
  for (const IntReading& r : whole) {
    out.push_back({r.end, static_cast<double>(r.value), true});
    // "nineteen and a half"
    if (at(w, r.end, "and") && at(w, r.end + 1, "a") && at(w, r.end + 2, "half"))
      out.push_back({r.end + 3, r.value + 0.5, false});
    // "twenty one point five", "21 point 5"
    if (at(w, r.end, "point") && r.end + 1 < n) {
      double frac = 0;
      double scale = 0.1;
      int k = r.end + 1;
      for (; k < n && k < r.end + 4; ++k) {
        int d = unit_value(w[k]);
        if (d < 0 && w[k].size() == 1 && is_digit(w[k][0])) d = w[k][0] - '0';
        if (d < 0) break;
        frac += d * scale;
        scale /= 10;
      }
      if (k > r.end + 1) out.push_back({k, r.value + frac, false});
    }
  }
}

namespace {

enum Unit { kHours = 0, kMinutes = 1, kSeconds = 2 };

int unit_of(std::string_view w) {
  if (w == "hour" || w == "hours" || w == "hr" || w == "hrs" || w == "h") return kHours;
  if (w == "minute" || w == "minutes" || w == "min" || w == "mins") return kMinutes;
  if (w == "second" || w == "seconds" || w == "sec" || w == "secs") return kSeconds;
  return -1;
}

struct Part {
  int end;
  int unit;
  double amount;
};

// One "<amount> <unit>" piece of a duration.
void read_parts(const std::vector<std::string>& w, int pos, std::vector<Part>& out) {
  const int n = static_cast<int>(w.size());
  if (pos >= n) return;
  auto with_half = [&](int end, int unit, double amount) {
    out.push_back({end, unit, amount});
    // "an hour and a half", "2 minutes and a half"
    if (at(w, end, "and") && at(w, end + 1, "a") && at(w, end + 2, "half"))
      out.push_back({end + 3, unit, amount + 0.5});
  };
  // "a quarter of an hour", "quarter of an hour", "quarter hour", "three quarters of an hour"
  {
    int k = pos;
    double quarters = 0;
    if (at(w, k, "a") && at(w, k + 1, "quarter")) {
      quarters = 1;
      k += 2;
    } else if (at(w, k, "quarter")) {
      quarters = 1;
      k += 1;
    } else if (at(w, k, "three") && at(w, k + 1, "quarters")) {
      quarters = 3;
      k += 2;
    }
    if (quarters > 0) {
      if (at(w, k, "of")) ++k;
      if (at(w, k, "an") || at(w, k, "a")) ++k;
      if (at(w, k, "hour")) out.push_back({k + 1, kMinutes, quarters * 15});
      return;
    }
  }
  // "half an hour", "half a minute", "half hour"
  if (w[pos] == "half") {
    int k = pos + 1;
    if (at(w, k, "an") || at(w, k, "a")) ++k;
    if (k < n && unit_of(w[k]) >= 0) out.push_back({k + 1, unit_of(w[k]), 0.5});
    return;
  }
  // "an hour", "a minute"
  if ((w[pos] == "a" || w[pos] == "an") && pos + 1 < n && unit_of(w[pos + 1]) >= 0) {
    with_half(pos + 2, unit_of(w[pos + 1]), 1);
    return;
  }
  std::vector<NumberReading> numbers;
  read_numbers(w, pos, numbers);
  for (const NumberReading& r : numbers) {
    if (r.end < n && unit_of(w[r.end]) >= 0 && r.value >= 0) with_half(r.end + 1, unit_of(w[r.end]), r.value);
  }
}

void extend(const std::vector<std::string>& w, int pos, int smallest_used, double parts[3], bool said[3],
            std::vector<DurationReading>& out) {
  std::vector<Part> pieces;
  read_parts(w, pos, pieces);
  for (const Part& p : pieces) {
    if (p.unit <= smallest_used) continue;  // units must get smaller: "1 hour 20 minutes"
    double saved[3] = {parts[0], parts[1], parts[2]};
    bool saved_said[3] = {said[0], said[1], said[2]};
    double whole = std::floor(p.amount);
    double frac = p.amount - whole;
    parts[p.unit] += whole;
    said[p.unit] = true;
    if (frac > 1e-9) {
      if (p.unit == kSeconds) {
        parts[kSeconds] += frac;  // rounded below
      } else {
        parts[p.unit + 1] += frac * 60;
        said[p.unit + 1] = true;
      }
    }
    DurationReading d;
    d.end = p.end;
    if (said[kHours]) d.hours = static_cast<int>(std::lround(parts[kHours]));
    if (said[kMinutes]) d.minutes = static_cast<int>(std::lround(parts[kMinutes]));
    if (said[kSeconds]) d.seconds = static_cast<int>(std::lround(parts[kSeconds]));
    // "half an hour" said nothing about hours: only the minutes it became.
    if (d.hours == 0 && whole == 0 && p.unit == kHours) d.hours = -1;
    if (d.minutes == 0 && whole == 0 && p.unit == kMinutes) d.minutes = -1;
    out.push_back(d);
    int next = p.end;
    if (at(w, next, "and")) ++next;
    extend(w, next, std::max(p.unit, frac > 1e-9 ? p.unit + 1 : p.unit), parts, said, out);
    for (int i = 0; i < 3; ++i) {
      parts[i] = saved[i];
      said[i] = saved_said[i];
    }
  }
}

}  // namespace

void read_durations(const std::vector<std::string>& w, int pos, std::vector<DurationReading>& out) {
  double parts[3] = {0, 0, 0};
  bool said[3] = {false, false, false};
  extend(w, pos, -1, parts, said, out);
}

std::vector<std::string> number_and_duration_words() {
  std::vector<std::string> out;
  for (const WordValue& v : kUnits) out.push_back(v.word);
  for (const WordValue& v : kTeens) out.push_back(v.word);
  for (const WordValue& v : kTens) out.push_back(v.word);
  for (const char* w : {"hundred", "and", "a", "an", "half", "point", "quarter", "quarters", "of", "hour", "hours",
                        "hr", "hrs", "h", "minute", "minutes", "min", "mins", "second", "seconds", "sec", "secs"})
    out.push_back(w);
  return out;
}

void repair_number_homophones(std::vector<std::string>& w) {
  auto is_number = [](std::string_view x) {
    return !x.empty() && (is_digit(x[0]) || unit_value(x) >= 0 || teen_value(x) >= 0 || tens_value(x) >= 0);
  };
  for (size_t i = 0; i < w.size(); ++i) {
    const bool next_unit = i + 1 < w.size() && unit_of(w[i + 1]) >= 0;
    // "a timer for for minutes": no duration is "for minutes".
    if (w[i] == "for" && next_unit && i > 0 && !is_number(w[i - 1])) w[i] = "four";
    // "twenty won"
    if (w[i] == "won" && i > 0 && tens_value(w[i - 1]) >= 0) w[i] = "one";
    // "dim it two twenty percent": "two" and a number of tens is "to" that number
    // (the words after "two" cannot continue it).
    // After "to" or "at" it is a number cut short ("to two thirty"): left for the readers to refuse.
    if ((w[i] == "two" || w[i] == "too") && i + 1 < w.size() && i > 0 && !is_number(w[i - 1]) &&
        w[i - 1] != "to" && w[i - 1] != "at" &&
        (tens_value(w[i + 1]) >= 0 || teen_value(w[i + 1]) >= 0 ||
         (is_digit(w[i + 1][0]) && w[i + 1].size() >= 2)))
      w[i] = "to";
  }
}

}  // namespace hearth::nlu
