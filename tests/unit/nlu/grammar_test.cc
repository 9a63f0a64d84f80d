// The template language (nlu/src/grammar.h): syntax, slot lists, numbers,
// durations, fixed values, filler, scoring, and errors for bad templates.

#include "grammar.h"

#include <gtest/gtest.h>

#include "test_home.h"

namespace hearth::nlu {
namespace {

class GrammarTest : public ::testing::Test {
 protected:
  void add(const char* intent, const char* text) {
    auto r = grammar_.add_template(intent, text);
    ASSERT_TRUE(r) << r.error().message;
  }
  // "Intent {slot=value, ...}" or "none".
  std::string match(const char* text) {
    if (!finished_) {
      grammar_.finish();
      finished_ = true;
    }
    auto m = grammar_.match(text);
    if (!m) return "none";
    std::string s = m->intent + " {";
    bool first = true;
    for (const auto& [k, v] : m->slots) {
      s += (first ? "" : ", ") + k + "=" + value_to_string(v);
      first = false;
    }
    return s + "}";
  }
  std::string error_of(const char* text) {
    auto r = grammar_.add_template("X", text);
    return r ? std::string("ok") : r.error().message;
  }

  Home home_ = load_test_home();
  Grammar grammar_{home_};
  bool finished_ = false;
};

TEST_F(GrammarTest, AlternativesAndOptionals) {
  add("On", "(turn | switch) on [all] (light | lights)");
  EXPECT_EQ(match("turn on light"), "On {}");
  EXPECT_EQ(match("switch on all lights"), "On {}");
  EXPECT_EQ(match("flip on lights"), "none");
  EXPECT_EQ(match("turn on"), "none");  // the whole sentence must match
}

TEST_F(GrammarTest, CaseFillerAndPunctuationDoNotMatter) {
  add("On", "turn on {name}");
  EXPECT_EQ(match("Hey, could you turn on the BIG light, please?"), "On {name=Kitchen Light}");
  EXPECT_EQ(match("please"), "none");
}

TEST_F(GrammarTest, SlotListsGiveDisplayNames) {
  add("On", "turn on {name}");
  add("AreaOn", "turn on {area} {kind}");
  add("FloorOn", "turn on {kind} {floor}");
  EXPECT_EQ(match("turn on the kitchen light"), "On {name=Kitchen Light}");  // a name wins over area + kind
  EXPECT_EQ(match("turn on the master bedroom lights"), "AreaOn {area=Bedroom, domain=light}");
  EXPECT_EQ(match("turn on the blinds downstairs"),
            "FloorOn {device_class=blind, domain=cover, floor=Ground Floor}");
  // A shared alias keeps the spoken form.
  EXPECT_EQ(match("turn on the bedside lamp"), "On {name=bedside lamp}");
}

TEST_F(GrammarTest, DomainFilteredNames) {
  add("Light", "dim {name:light}");
  add("Cover", "dim {name:cover}");
  EXPECT_EQ(match("dim the big light"), "Light {name=Kitchen Light}");
  EXPECT_EQ(match("dim the bedroom blind"), "Cover {name=Bedroom Blind}");
  EXPECT_EQ(match("dim the front door"), "none");
}

TEST_F(GrammarTest, NumbersInDigitsAndWords) {
  add("Set", "set {name} to {brightness:0-100} [percent]");
  EXPECT_EQ(match("set the big light to 30%"), "Set {brightness=30, name=Kitchen Light}");
  EXPECT_EQ(match("set the big light to twenty one percent"), "Set {brightness=21, name=Kitchen Light}");
  EXPECT_EQ(match("set the big light to a hundred per cent"), "Set {brightness=100, name=Kitchen Light}");
  EXPECT_EQ(match("set the big light to 150"), "none");  // out of range
}

TEST_F(GrammarTest, DecimalsStayDecimal) {
  add("Temp", "set {name} to {temperature:0-40} [degrees]");
  EXPECT_EQ(match("set the radiator to 18.5"), "Temp {name=Radiator, temperature=18.5}");
  EXPECT_EQ(match("set the radiator to nineteen and a half degrees"), "Temp {name=Radiator, temperature=19.5}");
  EXPECT_EQ(match("set the radiator to 19"), "Temp {name=Radiator, temperature=19}");
}

TEST_F(GrammarTest, Durations) {
  add("Timer", "set [a] timer for {duration}");
  EXPECT_EQ(match("set a timer for 5 minutes"), "Timer {minutes=5}");
  EXPECT_EQ(match("set a timer for an hour and a half"), "Timer {hours=1, minutes=30}");
  EXPECT_EQ(match("set a timer for two and a half hours"), "Timer {hours=2, minutes=30}");
  EXPECT_EQ(match("set a timer for 90 seconds"), "Timer {seconds=90}");
  EXPECT_EQ(match("set a timer for half an hour"), "Timer {minutes=30}");
}

TEST_F(GrammarTest, FixedValuesAndColors) {
  add("State", "is {name} (on <state=on> | off <state=off>)");
  add("Color", "make {name} {color}");
  add("Temp", "make {name} {color_temp}");
  EXPECT_EQ(match("is the big light off"), "State {name=Kitchen Light, state=off}");
  EXPECT_EQ(match("make the left lamp lavender"), "Color {color=lavender, name=Left Lamp}");
  EXPECT_EQ(match("make the left lamp daylight"), "Temp {color_temp=6500, name=Left Lamp}");
}

TEST_F(GrammarTest, FreeWordsAreTheLastResort) {
  add("On", "turn on ({name} | {name:*})");
  EXPECT_EQ(match("turn on the sauna heater"), "On {name=sauna heater}");
  EXPECT_EQ(match("turn on the big light"), "On {name=Kitchen Light}");
  EXPECT_EQ(match("turn on the"), "none");  // free words never are only filler
}

TEST_F(GrammarTest, FreeWordsSkipFrameWordsAndKnownNames) {
  add("Timer", "[a] {timer_name:*} timer for {duration}");
  add("Timer", "[a] timer for {duration} [for {timer_name:*}]");
  add("On", "turn on {name:*}");
  EXPECT_EQ(match("i need a timer for five minutes"), "Timer {minutes=5}");
  EXPECT_EQ(match("a timer for 8 minutes for me"), "Timer {minutes=8}");
  EXPECT_EQ(match("a timer for 8 minutes for the pizza"), "Timer {minutes=8, timer_name=pizza}");
  EXPECT_EQ(match("pizza timer for 8 minutes"), "Timer {minutes=8, timer_name=pizza}");
  EXPECT_EQ(match("turn on the lights in the sauna"), "none");  // "in" is a frame word
  EXPECT_EQ(match("turn on the kitchen"), "none");              // an area is not an unknown name
}

TEST_F(GrammarTest, RequiredFillerWord) {
  add("Lock", "lock =the {name:*}");
  EXPECT_EQ(match("lock the shed door"), "Lock {name=shed door}");
  EXPECT_EQ(match("please lock the shed door"), "Lock {name=shed door}");
  EXPECT_EQ(match("lock screen"), "none");
  EXPECT_EQ(match("lock the front door"), "none");  // a known name is not free words
  EXPECT_NE(error_of("lock ="), "ok");
}

TEST_F(GrammarTest, RequiredFillerScoresLikeSkippedFiller) {
  add("Named", "set =the {name:*} to {brightness:0-100} percent");
  add("Volume", "set volume to {volume_level:0-100} percent");
  EXPECT_EQ(match("set the volume to 30 percent"), "Volume {volume_level=30}");
}

TEST_F(GrammarTest, InterjectionsAndPolitenessFramesAreFiller) {
  add("Never", "never mind");
  add("Timer", "[a] timer for {duration}");
  add("Pause", "pause {name}");
  EXPECT_EQ(match("oops, never mind"), "Never {}");
  EXPECT_EQ(match("no wait, never mind"), "Never {}");
  EXPECT_EQ(match("ugh, just never mind"), "Never {}");
  EXPECT_EQ(match("could I have a timer for 2 minutes"), "Timer {minutes=2}");
  EXPECT_EQ(match("pause the big light for a sec"), "Pause {name=Kitchen Light}");
}

TEST_F(GrammarTest, Macros) {
  ASSERT_TRUE(grammar_.define_macro("verb", "turn | switch"));
  add("On", "$verb on {name}");
  EXPECT_EQ(match("switch on the big light"), "On {name=Kitchen Light}");
}

TEST_F(GrammarTest, LongestReadingWins) {
  add("Short", "set {name} to {brightness:0-100}");
  add("Long", "set {name} to {brightness:0-100} percent brightness");
  EXPECT_EQ(match("set the big light to twenty five percent brightness"), "Long {brightness=25, name=Kitchen Light}");
}

TEST_F(GrammarTest, BadTemplatesGiveErrors) {
  EXPECT_NE(error_of("turn (on | off"), "ok");
  EXPECT_NE(error_of("turn [on"), "ok");
  EXPECT_NE(error_of("turn on)"), "ok");
  EXPECT_NE(error_of("turn {nmae}"), "ok");
  EXPECT_NE(error_of("set {x:9-1}"), "ok");
  EXPECT_NE(error_of("set {x:1-}"), "ok");
  EXPECT_NE(error_of("(a | )"), "ok");
  EXPECT_NE(error_of("$nope"), "ok");
  EXPECT_NE(error_of("[the]"), "ok");  // would match a sentence with no words
  EXPECT_NE(error_of("<state on>"), "ok");
  EXPECT_NE(error_of("turn on {name:toaster}"), "ok");
  EXPECT_NE(error_of("turn on {"), "ok");
  EXPECT_NE(error_of("(a b | c d) (a b | c d) (a b | c d) (a b | c d) (a b | c d) (a b | c d) (a b | c d) "
                     "(a b | c d) (a b | c d) (a b | c d) (a b | c d) (a b | c d) (a b | c d) (a b | c d) (a b | c d)"),
            "ok");  // expands too far
  EXPECT_NE(error_of("turn (on | off"), "ok");
  EXPECT_NE(error_of("turn (on | off").find("column"), std::string::npos);
  EXPECT_EQ(error_of("turn [the] (on | off) {name}"), "ok");
}

TEST_F(GrammarTest, SourceFormat) {
  auto r = grammar_.add_source("# comment\n$v = turn | switch\nintent On\n  $v on {name}\n", "t");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(match("turn on the big light"), "On {name=Kitchen Light}");
  Grammar other(home_);
  auto bad = other.add_source("  turn on\n", "bad.inc");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.inc:1"), std::string::npos);
}

}  // namespace
}  // namespace hearth::nlu
