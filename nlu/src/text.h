// nlu/src/text.h (private): the word-level view of a sentence that the
// template grammar matches against, and the readers for spoken numbers and
// timer durations. Used by grammar.cc (input and templates go through the
// same tokenize(), so both sides agree on spelling) and by tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hearth::nlu {

// Lower-cases and splits `text` into words:
//  - punctuation and hyphens separate words ("twenty-one" -> twenty one);
//  - "%" -> percent, "per cent" -> percent, "°" -> degrees;
//  - a decimal point between digits stays ("21.5"); digits and letters split
//    ("10min" -> 10 min);
//  - contractions expand ("what's" -> what is, "isn't" -> is not, "i'm" -> i am);
//    any other apostrophe is dropped ("kid's" -> kids), as normalize_name does.
std::vector<std::string> tokenize(std::string_view text);

// Words a speech recognizer writes for numbers, put back (tokenize() calls
// it): "for" before a time unit is "four" ("a timer for for minutes"), "won"
// after twenty..ninety is "one", "two"/"too" before a number of ten or more
// is "to" ("dim it two twenty percent"; "two twenty" is no number).
void repair_number_homophones(std::vector<std::string>& words);

// Words [begin, end) joined with single spaces.
std::string join_words(const std::vector<std::string>& words, size_t begin, size_t end);

// One way to read a spoken number that starts at some word.
struct NumberReading {
  int end = 0;           // index one past the last word used
  double value = 0.0;
  bool integer = true;   // said as a whole number ("21", "twenty one"), not "21.5"
};

// Every reading of a number starting at words[pos], shortest first:
// digits ("30", "21.5"), words up to "nine hundred and ninety nine"
// ("twenty one", "a hundred", "one hundred and five"), decimals
// ("twenty one point five", "nineteen and a half").
void read_numbers(const std::vector<std::string>& words, int pos, std::vector<NumberReading>& out);

// One way to read a timer duration. Parts that were not said stay -1.
struct DurationReading {
  int end = 0;
  int hours = -1;
  int minutes = -1;
  int seconds = -1;
};

// Every reading of a duration starting at words[pos]: "5 minutes",
// "an hour and a half" (1 h 30 min), "half an hour" (30 min), "two and a
// half hours" (2 h 30 min), "1 hour 20 minutes", "90 seconds" (90 s),
// "a quarter of an hour" (15 min). A fraction of a unit goes to the next
// smaller unit; parts are kept as said (90 seconds stays 90 seconds).
void read_durations(const std::vector<std::string>& words, int pos, std::vector<DurationReading>& out);

// The words the two readers above know, so the grammar's vocabulary holds them.
std::vector<std::string> number_and_duration_words();

}  // namespace hearth::nlu
