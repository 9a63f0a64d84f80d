// Custom sentences with hassil-style building blocks (config "nlu.lists",
// "nlu.expansion_rules", "nlu.skip_words"; grammar.h): slot lists whose value
// is the entry's "out" or the words said, rules, permutations "(a; b; c)",
// and typed coffee orders with their slots in any order.

#include <gtest/gtest.h>

#include "grammar.h"
#include "hearth/nlu/nlu.h"
#include "hearth/nlu/sentences.h"
#include "test_home.h"

namespace hearth {
namespace {

SlotList words_list(std::vector<std::string> ins) {
  SlotList l;
  for (std::string& in : ins) l.values.push_back(SlotListValue{std::move(in), Value{}});
  return l;
}

// A coffee maker's order language in the shape of bench/asr/coffee_config.json.
NluConfig coffee_config() {
  NluConfig cfg;
  cfg.lists["coffeeDrink"] = words_list({"coffee", "drip coffee", "latte", "mocha", "iced mocha", "americano"});
  cfg.lists["size"] = words_list({"small", "medium", "large", "(twelve | sixteen) ounce"});
  cfg.lists["roast"] = words_list({"(light | medium | dark) roast"});
  cfg.lists["numberOfShots"] = words_list({"(single | double | triple) shot"});
  cfg.lists["milkAmount"] = words_list({"[a bit of | some | lots of] (milk | cream | soy milk)"});
  cfg.lists["sugarAmount"] = words_list({"[a bit of | some | lots of] (sugar | brown sugar)"});
  cfg.expansion_rules["ask"] = "can i (get | have) | i would like | make me | give me";
  cfg.expansion_rules["pre"] = "[{size}]; [{roast}]; [[a] {numberOfShots}]";
  cfg.expansion_rules["post"] =
      "[[with] {milkAmount}]; [[with] {sugarAmount}]; [[with] [a] {numberOfShots}]; [[with | in] [a] {roast}]; "
      "[[in] [a] {size} [size]]";
  cfg.skip_words = {"to go"};
  CustomIntent ci;
  ci.intent = "orderDrink";
  ci.sentences = {"[<ask>] [a | an | one] <pre> {coffeeDrink} <post>"};
  ci.actions = {CustomAction{"light.kitchen", "turn_on", {}}};
  cfg.custom_intents.push_back(ci);
  return cfg;
}

ValueMap slots(std::initializer_list<std::pair<const char*, const char*>> kv) {
  ValueMap m;
  for (const auto& [k, v] : kv) m[k] = std::string(v);
  return m;
}

class CustomSentencesTest : public ::testing::Test {
 protected:
  std::unique_ptr<TemplateParser> make(const NluConfig& cfg) {
    auto p = make_template_parser(home_, cfg);
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    return p ? std::move(*p) : nullptr;
  }
  Home home_ = load_test_home();
};

TEST_F(CustomSentencesTest, OrdersInAnySlotOrder) {
  auto p = make(coffee_config());
  ASSERT_TRUE(p);
  struct Case {
    const char* text;
    ValueMap want;
  };
  const Case cases[] = {
      {"a latte", slots({{"coffeeDrink", "latte"}})},
      {"Can I get a large dark roast double shot latte with soy milk and a bit of brown sugar?",
       slots({{"size", "large"}, {"roast", "dark roast"}, {"numberOfShots", "double shot"}, {"coffeeDrink", "latte"},
              {"milkAmount", "soy milk"}, {"sugarAmount", "a bit of brown sugar"}})},
      // The same slots, the other way round.
      {"make me a latte with a bit of brown sugar and soy milk, a double shot, in a large size, dark roast",
       slots({{"size", "large"}, {"roast", "dark roast"}, {"numberOfShots", "double shot"}, {"coffeeDrink", "latte"},
              {"milkAmount", "soy milk"}, {"sugarAmount", "a bit of brown sugar"}})},
      {"double shot medium roast sixteen ounce mocha",
       slots({{"numberOfShots", "double shot"}, {"roast", "medium roast"}, {"size", "sixteen ounce"},
              {"coffeeDrink", "mocha"}})},
      // "medium" alone is a size; "medium roast" is a roast.
      {"I'd like a medium iced mocha with lots of cream please",
       slots({{"size", "medium"}, {"coffeeDrink", "iced mocha"}, {"milkAmount", "lots of cream"}})},
      {"give me an americano with a triple shot and some sugar to go",
       slots({{"coffeeDrink", "americano"}, {"numberOfShots", "triple shot"}, {"sugarAmount", "some sugar"}})},
  };
  for (const Case& c : cases) {
    ParseResult r = p->parse(c.text);
    ASSERT_TRUE(r.intent) << c.text;
    EXPECT_EQ(r.intent->name, "orderDrink") << c.text;
    EXPECT_EQ(r.source, "custom") << c.text;
    EXPECT_EQ(r.intent->slots, c.want) << c.text << "\n got " << parse_result_to_json(r);
    EXPECT_EQ(r.targets, std::vector<std::string>{"light.kitchen"});
  }
  // Not an order: no drink, a drink the list lacks, a slot said twice in one place.
  for (const char* text : {"a large with soy milk", "a large tea with milk", "latte latte"})
    EXPECT_FALSE(p->parse(text).intent) << text;
  // Built-in commands still work beside the orders.
  ParseResult r = p->parse("turn on the big light");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->name, "HassTurnOn");
}

TEST_F(CustomSentencesTest, ListValuesOutRangesAndWildcards) {
  NluConfig cfg;
  cfg.lists["speed"].values = {SlotListValue{"(slow | gentle)", Value{std::string("low")}},
                               SlotListValue{"fast", Value{int64_t{3}}}};
  cfg.lists["cups"].has_range = true;
  cfg.lists["cups"].range_from = 1;
  cfg.lists["cups"].range_to = 4;
  cfg.lists["label"].wildcard = true;
  cfg.custom_intents.push_back(
      CustomIntent{"Brew", {"brew {cups} cups [at {speed:pace}]", "name the brew {label}"}, {}, ""});
  auto p = make(cfg);
  ASSERT_TRUE(p);
  ParseResult r = p->parse("brew three cups at gentle");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->slots, (ValueMap{{"cups", int64_t{3}}, {"pace", std::string("low")}}));
  r = p->parse("brew 2 cups at fast");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->slots, (ValueMap{{"cups", int64_t{2}}, {"pace", int64_t{3}}}));
  EXPECT_FALSE(p->parse("brew nine cups").intent);  // out of range
  r = p->parse("name the brew sunday special");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->slots, (ValueMap{{"label", std::string("sunday special")}}));
}

TEST_F(CustomSentencesTest, PermutationsExpandEveryOrderOnce) {
  nlu::Grammar g(home_);
  ASSERT_TRUE(g.add_template("T", "(alpha; beta; gamma)", 0));
  g.finish();
  for (const char* text : {"alpha beta gamma", "alpha gamma beta", "beta alpha gamma", "beta gamma alpha",
                           "gamma alpha beta", "gamma beta alpha"})
    EXPECT_TRUE(g.match(text)) << text;
  for (const char* text : {"alpha beta", "alpha alpha gamma", "alpha beta gamma alpha"})
    EXPECT_FALSE(g.match(text)) << text;
  // Optional items may be left out; the same sentence is compiled once.
  nlu::Grammar h(home_);
  ASSERT_TRUE(h.add_template("T", "([alpha]; [beta]) omega", 0));
  h.finish();
  for (const char* text : {"omega", "alpha omega", "beta omega", "alpha beta omega", "beta alpha omega"})
    EXPECT_TRUE(h.match(text)) << text;
  // 1 + 2 + 2 paths below the root: the duplicates of "omega" are gone.
  EXPECT_LE(h.node_count(), 1u + 1 + 3 + 2 + 2);
}

TEST_F(CustomSentencesTest, OldSyntaxStillWorks) {
  NluConfig cfg;
  cfg.custom_intents.push_back(CustomIntent{"MovieTime", {"[it's] movie time", "(start | begin) the movie"}, {}, ""});
  auto p = make(cfg);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->parse("begin the movie").intent);
  EXPECT_TRUE(p->parse("it's movie time").intent);
}

TEST_F(CustomSentencesTest, BadDefinitionsAreReportedWithTheirPath) {
  NluConfig cfg;
  cfg.lists["area"] = words_list({"garden"});             // clashes with the built-in list
  cfg.lists["size"] = words_list({"(small | large"});     // never closed
  cfg.lists["mix"] = words_list({"{size} cup"});          // a list inside a list value
  cfg.lists["both"].wildcard = true;                      // two kinds at once
  cfg.lists["both"].values = {SlotListValue{"x", Value{}}};
  cfg.expansion_rules["loop"] = "<loop> again";           // refers to itself
  cfg.expansion_rules["bad name"] = "x";
  cfg.skip_words = {"..."};
  cfg.custom_intents.push_back(CustomIntent{"Order", {"{nosuchlist} please", "<nosuchrule>"}, {}, ""});
  ConfigErrors errors;
  cfg.validate(home_, errors);
  const std::string all = errors.to_string();
  for (const char* path : {"$.nlu.lists.area", "$.nlu.lists.size", "$.nlu.lists.mix", "$.nlu.lists.both",
                           "$.nlu.expansion_rules.loop", "$.nlu.expansion_rules.bad name", "$.nlu.skip_words[0]",
                           "$.nlu.custom_intents[0].sentences[0]", "$.nlu.custom_intents[0].sentences[1]"})
    EXPECT_NE(all.find(path), std::string::npos) << path << "\n" << all;
  EXPECT_FALSE(make_template_parser(home_, cfg));
}

TEST_F(CustomSentencesTest, SampledLanguageSaysTheOrders) {
  SentenceSampleOptions opt;
  opt.n_sentences = 2000;
  auto lang = sample_command_language(home_, coffee_config(), opt);
  ASSERT_TRUE(lang) << lang.error().message;
  auto p = make(coffee_config());
  ASSERT_TRUE(p);
  // Sentences from the custom sampler parse as orders, in more than one slot order.
  size_t orders = 0, milk_before_sugar = 0, sugar_before_milk = 0;
  for (const std::string& s : lang->sentences) {
    ParseResult r = p->parse(s);
    if (!r.intent || r.intent->name != "orderDrink") continue;
    ++orders;
    const size_t milk = s.find("milk"), sugar = s.find("sugar");
    if (milk != std::string::npos && sugar != std::string::npos) ++(milk < sugar ? milk_before_sugar : sugar_before_milk);
  }
  EXPECT_GT(orders, 400u);
  EXPECT_GT(milk_before_sugar, 5u);
  EXPECT_GT(sugar_before_milk, 5u);
  // List phrases, rule phrases and skip words are all in the vocabulary.
  for (const char* w : {"latte", "soy", "brown", "would", "make", "go"})
    EXPECT_TRUE(std::binary_search(lang->vocabulary.begin(), lang->vocabulary.end(), std::string(w))) << w;
}

}  // namespace
}  // namespace hearth
