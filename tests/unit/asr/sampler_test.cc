// sample_command_language() (nlu): the sentences it makes are the command
// language — the template parser understands them — and it is deterministic.
#include <gtest/gtest.h>

#include <set>

#include "hearth/nlu/nlu.h"
#include "hearth/nlu/sentences.h"

namespace hearth {
namespace {

Home demo_home() {
  ConfigErrors errors;
  auto home = Home::load_file(std::string(HEARTH_ASSETS_DIR) + "/homes/demo.json", errors);
  EXPECT_TRUE(home) << errors.to_string();
  return home ? std::move(*home) : Home{};
}

TEST(SamplerTest, SentencesParse) {
  Home home = demo_home();
  SentenceSampleOptions opt;
  opt.n_sentences = 2000;
  auto lang = sample_command_language(home, NluConfig{}, opt);
  ASSERT_TRUE(lang) << lang.error().message;
  ASSERT_EQ(lang->sentences.size(), 2000u);
  auto parser = make_template_parser(home, NluConfig{});
  ASSERT_TRUE(parser);
  size_t parsed = 0;
  std::string bad;
  for (const std::string& s : lang->sentences) {
    if ((*parser)->parse(s).intent) ++parsed;
    else if (bad.size() < 400) bad += "'" + s + "' ";
  }
  // Random walks fill numbers/free words that some templates refuse; nearly all must parse.
  EXPECT_GE(parsed, lang->sentences.size() * 95 / 100) << bad;
  // Home names are in the vocabulary.
  for (const char* w : {"kitchen", "chandelier", "roomba", "thermostat", "upstairs"})
    EXPECT_TRUE(std::binary_search(lang->vocabulary.begin(), lang->vocabulary.end(), std::string(w))) << w;
}

TEST(SamplerTest, DeterministicAndSeeded) {
  Home home = demo_home();
  SentenceSampleOptions opt;
  opt.n_sentences = 300;
  auto a = sample_command_language(home, NluConfig{}, opt);
  auto b = sample_command_language(home, NluConfig{}, opt);
  opt.seed = 7;
  auto c = sample_command_language(home, NluConfig{}, opt);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->sentences, b->sentences);
  EXPECT_NE(a->sentences, c->sentences);
}

// Sampled per template (the default LM since session 12): every template gets
// its share of walks, so every built-in intent is in the sample, nearly all of
// it parses, and the same seed gives the same sentences.
TEST(SamplerTest, PerTemplateCoversEveryIntent) {
  Home home = demo_home();
  SentenceSampleOptions opt;
  opt.n_sentences = 3000;
  opt.per_template = true;
  auto lang = sample_command_language(home, NluConfig{}, opt);
  ASSERT_TRUE(lang) << lang.error().message;
  EXPECT_GE(lang->sentences.size(), 3000u);
  EXPECT_LT(lang->sentences.size(), 3000u + 400u);  // rounded up to whole walks per template
  auto parser = make_template_parser(home, NluConfig{});
  ASSERT_TRUE(parser);
  std::set<std::string> intents;
  size_t parsed = 0;
  for (const std::string& s : lang->sentences) {
    ParseResult r = (*parser)->parse(s);
    if (!r.intent) continue;
    ++parsed;
    intents.insert(r.intent->name);
  }
  EXPECT_GE(parsed, lang->sentences.size() * 95 / 100);
  for (const char* i : {"HassTurnOn", "HassTurnOff", "HassLightSet", "HassClimateSetTemperature",
                        "HassClimateGetTemperature", "HassGetState", "HassSetPosition", "HassMediaPause",
                        "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious", "HassSetVolume", "HassVacuumStart",
                        "HassVacuumReturnToBase", "HassStartTimer", "HassCancelTimer", "HassTimerStatus",
                        "HassGetCurrentTime", "HassGetCurrentDate", "HassNevermind"})
    EXPECT_TRUE(intents.count(i)) << i;
  auto again = sample_command_language(home, NluConfig{}, opt);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->sentences, lang->sentences);
}

TEST(SamplerTest, CustomSentencesIncluded) {
  Home home = demo_home();
  NluConfig cfg;
  CustomIntent ci;
  ci.intent = "MakeCoffee";
  ci.sentences = {"(brew | make) [me] a (latte | cappuccino | espresso)"};
  cfg.custom_intents.push_back(ci);
  SentenceSampleOptions opt;
  opt.n_sentences = 500;
  auto lang = sample_command_language(home, cfg, opt);
  ASSERT_TRUE(lang) << lang.error().message;
  size_t coffee = 0;
  for (const std::string& s : lang->sentences) coffee += s.find("cappuccino") != std::string::npos;
  EXPECT_GE(coffee, 20u);
  ci.sentences = {"(unclosed group"};
  cfg.custom_intents = {ci};
  EXPECT_FALSE(sample_command_language(home, cfg, opt));
}

TEST(NumberWordsTest, SaysNumbers) {
  EXPECT_EQ(number_to_words(0), "zero");
  EXPECT_EQ(number_to_words(21), "twenty one");
  EXPECT_EQ(number_to_words(100), "one hundred");
  EXPECT_EQ(number_to_words(21.5), "twenty one point five");
  EXPECT_EQ(number_to_words(-3), "minus three");
}

}  // namespace
}  // namespace hearth
