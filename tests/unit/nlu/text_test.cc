// Tokenizer, spoken numbers and timer durations (nlu/src/text.h).

#include "text.h"

#include <gtest/gtest.h>

namespace hearth::nlu {
namespace {

using Words = std::vector<std::string>;

TEST(Tokenize, LowerCasesAndDropsPunctuation) {
  EXPECT_EQ(tokenize("Turn ON the Porch-Light!!!"), (Words{"turn", "on", "the", "porch", "light"}));
}

TEST(Tokenize, ExpandsContractionsAndDropsPossessives) {
  EXPECT_EQ(tokenize("what's it's isn't I'm can't"),
            (Words{"what", "is", "it", "is", "is", "not", "i", "am", "can", "not"}));
  EXPECT_EQ(tokenize("the kid's room"), (Words{"the", "kids", "room"}));
  EXPECT_EQ(tokenize("what\xE2\x80\x99s up"), (Words{"what", "is", "up"}));
}

TEST(Tokenize, ContractionsTypedWithoutApostrophe) {
  EXPECT_EQ(tokenize("whats the time dont"), (Words{"what", "is", "the", "time", "do", "not"}));
  EXPECT_EQ(tokenize("its dock"), (Words{"its", "dock"}));  // "its" is also a word: kept
  EXPECT_EQ(tokenize("gimme the time, i wanna read"), (Words{"give", "me", "the", "time", "i", "want", "to", "read"}));
  EXPECT_EQ(tokenize("how long's left, whatever's playing"),
            (Words{"how", "long", "is", "left", "whatever", "is", "playing"}));
}

TEST(Tokenize, NumberHomophonesFromSpeech) {
  EXPECT_EQ(tokenize("timer for for minutes"), (Words{"timer", "for", "four", "minutes"}));
  EXPECT_EQ(tokenize("twenty won degrees"), (Words{"twenty", "one", "degrees"}));
  EXPECT_EQ(tokenize("dim it two twenty percent"), (Words{"dim", "it", "to", "twenty", "percent"}));
  EXPECT_EQ(tokenize("heat too 21"), (Words{"heat", "to", "21"}));
  // Left alone: a real "for", a real "two", a "won" that is a word.
  EXPECT_EQ(tokenize("for a minute"), (Words{"for", "a", "minute"}));
  EXPECT_EQ(tokenize("twenty for minutes"), (Words{"twenty", "for", "minutes"}));
  EXPECT_EQ(tokenize("two minutes"), (Words{"two", "minutes"}));
  EXPECT_EQ(tokenize("thirty two twenty"), (Words{"thirty", "two", "twenty"}));
  EXPECT_EQ(tokenize("to two thirty"), (Words{"to", "two", "thirty"}));
  EXPECT_EQ(tokenize("we won"), (Words{"we", "won"}));
}

TEST(Tokenize, PercentDegreesAndDecimals) {
  EXPECT_EQ(tokenize("30% 40 per cent"), (Words{"30", "percent", "40", "percent"}));
  EXPECT_EQ(tokenize("21.5\xC2\xB0"), (Words{"21.5", "degrees"}));
  EXPECT_EQ(tokenize("10min."), (Words{"10", "min"}));
  EXPECT_TRUE(tokenize("  ?! ").empty());
}

// The longest reading of a number at the start of `text`.
double longest_number(const char* text, bool* integer = nullptr) {
  std::vector<NumberReading> out;
  read_numbers(tokenize(text), 0, out);
  if (out.empty()) return -1;
  const NumberReading* best = &out[0];
  for (const NumberReading& r : out)
    if (r.end > best->end) best = &r;
  if (integer) *integer = best->integer;
  return best->value;
}

TEST(Numbers, DigitsAndWords) {
  EXPECT_EQ(longest_number("30"), 30);
  EXPECT_EQ(longest_number("twenty one"), 21);
  EXPECT_EQ(longest_number("twenty-five"), 25);
  EXPECT_EQ(longest_number("a hundred"), 100);
  EXPECT_EQ(longest_number("one hundred and five"), 105);
  EXPECT_EQ(longest_number("thirteen"), 13);
  EXPECT_EQ(longest_number("zero"), 0);
  EXPECT_EQ(longest_number("banana"), -1);
}

TEST(Numbers, Decimals) {
  bool integer = true;
  EXPECT_DOUBLE_EQ(longest_number("21.5", &integer), 21.5);
  EXPECT_FALSE(integer);
  EXPECT_DOUBLE_EQ(longest_number("twenty one point five"), 21.5);
  EXPECT_DOUBLE_EQ(longest_number("nineteen and a half"), 19.5);
  longest_number("twenty", &integer);
  EXPECT_TRUE(integer);
}

TEST(Numbers, EveryPrefixIsAReading) {
  std::vector<NumberReading> out;
  read_numbers(tokenize("twenty one"), 0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].value, 20);
  EXPECT_EQ(out[1].value, 21);
}

// The reading that uses every word of `text`.
DurationReading whole_duration(const char* text) {
  Words w = tokenize(text);
  std::vector<DurationReading> out;
  read_durations(w, 0, out);
  for (const DurationReading& d : out)
    if (d.end == static_cast<int>(w.size())) return d;
  return DurationReading{-1, -2, -2, -2};
}

void expect_duration(const char* text, int h, int m, int s) {
  DurationReading d = whole_duration(text);
  EXPECT_EQ(d.hours, h) << text;
  EXPECT_EQ(d.minutes, m) << text;
  EXPECT_EQ(d.seconds, s) << text;
}

TEST(Durations, KeepOnlyThePartsSaid) {
  expect_duration("5 minutes", -1, 5, -1);
  expect_duration("90 seconds", -1, -1, 90);
  expect_duration("an hour", 1, -1, -1);
  expect_duration("1 hour 20 minutes", 1, 20, -1);
  expect_duration("two hours and fifteen minutes", 2, 15, -1);
}

TEST(Durations, Halves) {
  expect_duration("an hour and a half", 1, 30, -1);
  expect_duration("half an hour", -1, 30, -1);
  expect_duration("two and a half hours", 2, 30, -1);
  expect_duration("a minute and a half", -1, 1, 30);
  expect_duration("1.5 hours", 1, 30, -1);
  expect_duration("a quarter of an hour", -1, 15, -1);
}

TEST(Durations, RejectsNonDurations) {
  EXPECT_EQ(whole_duration("five apples").hours, -2);
  EXPECT_EQ(whole_duration("minutes 5").hours, -2);
  // Units must get smaller: "5 minutes 2 hours" is not one duration.
  EXPECT_EQ(whole_duration("5 minutes 2 hours").hours, -2);
}

}  // namespace
}  // namespace hearth::nlu
