// make_template_parser / parse / custom intents / validate / JSON form.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hearth/nlu/nlu.h"
#include "test_home.h"

namespace hearth {
namespace {

class ParserTest : public ::testing::Test {
 protected:
  std::unique_ptr<TemplateParser> make(const NluConfig& cfg = {}) {
    auto p = make_template_parser(home_, cfg);
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    return p ? std::move(*p) : nullptr;
  }
  Home home_ = load_test_home();
};

TEST_F(ParserTest, CleanMatch) {
  auto p = make();
  ASSERT_TRUE(p);
  EXPECT_GT(p->template_count(), 100u);
  ParseResult r = p->parse("Turn on the big light, please!");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "HassTurnOn");
  EXPECT_EQ(r.intent->slots, (ValueMap{{"name", std::string("Kitchen Light")}}));
  EXPECT_EQ(r.targets, std::vector<std::string>{"light.kitchen"});
  EXPECT_EQ(r.confidence, 1.0);
  EXPECT_EQ(r.source, "template");
  EXPECT_FALSE(r.problem);
  EXPECT_GT(r.latency.count(), 0);
}

TEST_F(ParserTest, ResolutionFailureKeepsTheIntent) {
  auto p = make();
  ASSERT_TRUE(p);
  ParseResult r = p->parse("turn off the bedside lamp");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "HassTurnOff");
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->code, Code::kAmbiguous);
  EXPECT_LT(r.confidence, 1.0);
  EXPECT_GT(r.confidence, 0.0);
  EXPECT_TRUE(r.targets.empty());

  r = p->parse("make the big light red");  // no color capability
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "HassLightSet");
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->code, Code::kUnsupported);
}

TEST_F(ParserTest, NotUnderstood) {
  auto p = make();
  ASSERT_TRUE(p);
  for (const char* text : {"tell me a joke", "", "thanks", "turn the page", "\xff\xfe garbage"}) {
    ParseResult r = p->parse(text);
    EXPECT_FALSE(r.intent) << text;
    EXPECT_EQ(r.source, "none");
    EXPECT_EQ(r.confidence, 0.0);
  }
}

// Issue 8: routines by voice. The routine's words go to the `routine` slot
// as said; a scene or script the home knows keeps its HassTurnOn/Off reading.
TEST_F(ParserTest, RoutineIntents) {
  auto p = make();
  ASSERT_TRUE(p);
  struct Case {
    const char* text;
    const char* intent;
    const char* routine;  // nullptr: no slot
  };
  for (const Case& c : {Case{"what are my routines", "HearthListRoutines", nullptr},
                        Case{"which routines do we have", "HearthListRoutines", nullptr},
                        Case{"list all my routines", "HearthListRoutines", nullptr},
                        Case{"turn off the bedtime routine", "HearthRoutineOff", "bedtime"},
                        Case{"please disable the arriving home routine", "HearthRoutineOff", "arriving home"},
                        Case{"switch the morning routine off", "HearthRoutineOff", "morning"},
                        Case{"turn the bedtime routine back on", "HearthRoutineOn", "bedtime"},
                        Case{"enable routine morning", "HearthRoutineOn", "morning"}}) {
    ParseResult r = p->parse(c.text);
    ASSERT_TRUE(r.intent) << c.text;
    EXPECT_EQ(r.intent->name, c.intent) << c.text;
    if (c.routine) {
      EXPECT_EQ(r.intent->slots, (ValueMap{{"routine", std::string(c.routine)}})) << c.text;
    } else {
      EXPECT_TRUE(r.intent->slots.empty()) << c.text;
    }
    EXPECT_FALSE(r.problem) << c.text;
  }
  // a device is not a routine, and "routine" is not part of an unknown device's name
  ParseResult r = p->parse("turn off the big light");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "HassTurnOff");
  r = p->parse("turn off the holiday routine");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "HearthRoutineOff");
}

TEST_F(ParserTest, CustomIntents) {
  NluConfig cfg;
  CustomIntent ci;
  ci.intent = "MovieTime";
  ci.sentences = {"[it's] movie time", "(start | begin) the movie"};
  ci.actions = {CustomAction{"light.kitchen", "turn_off", {}}, CustomAction{"cover.blind", "close", {}}};
  ci.response = "Enjoy the film";
  cfg.custom_intents.push_back(ci);
  auto p = make(cfg);
  ASSERT_TRUE(p);
  ParseResult r = p->parse("It's movie time!");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "MovieTime");
  EXPECT_EQ(r.source, "custom");
  ASSERT_NE(r.custom, nullptr);
  EXPECT_EQ(r.custom->response, "Enjoy the film");
  EXPECT_EQ(r.targets, (std::vector<std::string>{"cover.blind", "light.kitchen"}));
  EXPECT_EQ(r.confidence, 1.0);
  r = p->parse("please begin the movie");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "MovieTime");
  // Built-in sentences still work beside custom ones.
  r = p->parse("turn on the big light");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "HassTurnOn");
}

TEST_F(ParserTest, CustomSentenceWinsOverBuiltInReading) {
  NluConfig cfg;
  cfg.custom_intents.push_back(CustomIntent{"Bright", {"turn on the big light"}, {}, ""});
  auto p = make(cfg);
  ASSERT_TRUE(p);
  ParseResult r = p->parse("turn on the big light");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "Bright");
}

TEST_F(ParserTest, BadCustomTemplateFailsCreate) {
  NluConfig cfg;
  cfg.custom_intents.push_back(CustomIntent{"Broken", {"(start | begin the movie"}, {}, ""});
  auto p = make_template_parser(home_, cfg);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("Broken"), std::string::npos);
}

TEST_F(ParserTest, ValidateReportsEveryProblem) {
  NluConfig cfg;
  cfg.custom_intents.push_back(CustomIntent{"HassTurnOn", {"lights please"}, {}, ""});
  cfg.custom_intents.push_back(
      CustomIntent{"Party", {"party (time", "{nope} mode"}, {CustomAction{"light.nowhere", "turn_on", {}}}, ""});
  cfg.custom_intents.push_back(CustomIntent{"Party", {}, {CustomAction{"light.kitchen", "", {}}}, ""});
  ConfigErrors errors;
  cfg.validate(home_, errors);
  const std::string all = errors.to_string();
  EXPECT_EQ(errors.size(), 7u) << all;
  EXPECT_NE(all.find("$.nlu.custom_intents[0].intent"), std::string::npos) << all;
  EXPECT_NE(all.find("$.nlu.custom_intents[1].sentences[0]"), std::string::npos) << all;
  EXPECT_NE(all.find("$.nlu.custom_intents[1].sentences[1]"), std::string::npos) << all;
  EXPECT_NE(all.find("light.nowhere"), std::string::npos) << all;
  EXPECT_NE(all.find("$.nlu.custom_intents[2].intent"), std::string::npos) << all;  // duplicate
  EXPECT_NE(all.find("$.nlu.custom_intents[2].sentences"), std::string::npos) << all;
  EXPECT_NE(all.find("$.nlu.custom_intents[2].actions[0].action"), std::string::npos) << all;

  ConfigErrors none;
  NluConfig good;
  good.custom_intents.push_back(
      CustomIntent{"MovieTime", {"movie time"}, {CustomAction{"light.kitchen", "turn_off", {}}}, ""});
  good.validate(home_, none);
  EXPECT_TRUE(none.empty()) << none.to_string();
}

TEST_F(ParserTest, JsonForm) {
  auto p = make();
  ASSERT_TRUE(p);
  auto j = nlohmann::json::parse(parse_result_to_json(p->parse("set the big light to 40%")));
  EXPECT_EQ(j["text"], "set the big light to 40%");
  EXPECT_EQ(j["intent"]["name"], "HassLightSet");
  EXPECT_EQ(j["intent"]["slots"]["brightness"], 40);
  EXPECT_EQ(j["intent"]["slots"]["name"], "Kitchen Light");
  EXPECT_EQ(j["targets"], nlohmann::json::array({"light.kitchen"}));
  EXPECT_EQ(j["confidence"], 1.0);
  EXPECT_EQ(j["source"], "template");
  EXPECT_FALSE(j.contains("error"));

  j = nlohmann::json::parse(parse_result_to_json(p->parse("turn on the sauna")));
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_TRUE(j["error"]["message"].is_string());

  j = nlohmann::json::parse(parse_result_to_json(p->parse("sing \xff a song")));
  EXPECT_TRUE(j["intent"].is_null());
  EXPECT_EQ(j["source"], "none");
  EXPECT_EQ(j["confidence"], 0.0);
}

}  // namespace
}  // namespace hearth
