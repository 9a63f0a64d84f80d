// build_arpa(): the ARPA text is well formed, every conditional
// distribution it encodes sums to one (backoff weights are exact), and the
// counts behave as Witten-Bell says.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "hearth/asr/asr.h"

namespace hearth {
namespace {

// A tiny ARPA reader (reference for the test): log10 probs and backoffs.
struct Arpa {
  std::map<std::vector<std::string>, std::pair<double, double>> grams;  // → (logp, backoff)
  std::vector<std::string> vocab;
  int order = 0;
  std::map<int, int> declared;

  double logp(std::vector<std::string> g) const {
    auto it = grams.find(g);
    if (it != grams.end()) return it->second.first;
    if (g.size() == 1) return -99;
    std::vector<std::string> ctx(g.begin(), g.end() - 1);
    auto c = grams.find(ctx);
    double bo = c == grams.end() ? 0 : c->second.second;
    return bo + logp(std::vector<std::string>(g.begin() + 1, g.end()));
  }
};

Arpa read_arpa(const std::string& text) {
  Arpa a;
  std::istringstream in(text);
  std::string line;
  int section = 0;
  while (std::getline(in, line)) {
    if (line.rfind("ngram ", 0) == 0) {
      int k = std::stoi(line.substr(6));
      a.declared[k] = std::stoi(line.substr(line.find('=') + 1));
      continue;
    }
    if (line.size() > 2 && line[0] == '\\' && line.find("-grams:") != std::string::npos) {
      section = line[1] - '0';
      a.order = std::max(a.order, section);
      continue;
    }
    if (line.empty() || line[0] == '\\' || section == 0) continue;
    std::istringstream l(line);
    double p = 0;
    l >> p;
    std::vector<std::string> g(section);
    for (int i = 0; i < section; ++i) l >> g[i];
    double bo = 0;
    l >> bo;
    a.grams[g] = {p, bo};
    if (section == 1) a.vocab.push_back(g[0]);
  }
  return a;
}

const std::vector<std::string> kCorpus = {
    "turn on the kitchen lights", "turn off the kitchen lights", "turn on the lights",
    "lock the front door",        "turn the lights off",         "set the kitchen lights to fifty percent",
};

TEST(ArpaTest, WellFormedAndCountsMatchHeader) {
  auto text = build_arpa(kCorpus, {"ecobee"}, 3);
  ASSERT_TRUE(text) << text.error().message;
  Arpa a = read_arpa(*text);
  EXPECT_EQ(a.order, 3);
  std::map<int, int> seen;
  for (const auto& [g, v] : a.grams) ++seen[static_cast<int>(g.size())];
  EXPECT_EQ(seen, a.declared);
  // The extra word is in the vocabulary, <s> has no probability of its own.
  EXPECT_TRUE(a.grams.count({"ecobee"}));
  EXPECT_DOUBLE_EQ(a.grams.at({"<s>"}).first, -99);
}

TEST(ArpaTest, EveryContextSumsToOne) {
  for (int order : {1, 2, 3, 4}) {
    auto text = build_arpa(kCorpus, {"ecobee", "thermostat"}, order);
    ASSERT_TRUE(text);
    Arpa a = read_arpa(*text);
    std::vector<std::vector<std::string>> contexts = {{}, {"<s>"}, {"the"}, {"turn", "on"}, {"kitchen", "lights"},
                                                      {"<s>", "turn", "on"}, {"ecobee"}};
    for (auto ctx : contexts) {
      if (static_cast<int>(ctx.size()) >= order) ctx.erase(ctx.begin(), ctx.end() - (order - 1));
      double sum = 0;
      for (const std::string& w : a.vocab) {
        if (w == "<s>") continue;
        std::vector<std::string> g = ctx;
        g.push_back(w);
        sum += std::pow(10.0, a.logp(g));
      }
      EXPECT_NEAR(sum, 1.0, 2e-4) << "order " << order << " context size " << ctx.size();
    }
  }
}

TEST(ArpaTest, WittenBellBigram) {
  // "a b" twice and "a c" once: C(a) = 3, T(a) = 2 → P(b|a) = (2 + 2 P(b)) / 5.
  auto text = build_arpa({"a b", "a b", "a c"}, {}, 2);
  ASSERT_TRUE(text);
  Arpa a = read_arpa(*text);
  const double pb = std::pow(10.0, a.grams.at({"b"}).first);
  EXPECT_NEAR(std::pow(10.0, a.grams.at({"a", "b"}).first), (2 + 2 * pb) / 5, 1e-5);
  EXPECT_NEAR(std::pow(10.0, a.grams.at({"a"}).second), 2.0 / 5, 1e-5);  // backoff T/(C+T)
}

TEST(ArpaTest, Deterministic) {
  auto a = build_arpa(kCorpus, {"x"}, 3);
  auto b = build_arpa(kCorpus, {"x"}, 3);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(ArpaTest, BadInput) {
  EXPECT_FALSE(build_arpa({}, {}, 3));
  EXPECT_FALSE(build_arpa({"  ,, !"}, {}, 3));
  EXPECT_FALSE(build_arpa(kCorpus, {}, 0));
  EXPECT_FALSE(build_arpa(kCorpus, {}, 7));
}

TEST(LmWordsTest, SplitsAndLowercases) {
  EXPECT_EQ(lm_words("Turn ON the EcoBee, please!"),
            (std::vector<std::string>{"turn", "on", "the", "ecobee", "please"}));
  EXPECT_EQ(lm_words("what's 'up'"), (std::vector<std::string>{"what's", "up"}));
  EXPECT_TRUE(lm_words("  ...  ").empty());
}

// The end-of-sentence counts: exact ratios over a small corpus, the longest
// context that was seen often enough wins, unknown words give 0.
TEST(EndOfSentenceModelTest, CountsWhereSentencesEnd) {
  const std::vector<std::string> sentences = {
      "make me a latte", "make me a latte", "make me a latte with milk", "a latte with sugar",
      "a latte please", "make me a mocha"};
  EndOfSentenceModel m = EndOfSentenceModel::build(sentences, /*max_context=*/3, /*min_count=*/1);
  ASSERT_FALSE(m.empty());
  // "me a latte": seen 3 times, ended twice.
  EXPECT_NEAR(m.end_probability("Make me a LATTE"), 2.0 / 3.0, 1e-12);
  // "<s> a latte": seen twice ("a latte with sugar", "a latte please"), never ended.
  EXPECT_NEAR(m.end_probability("a latte"), 0.0, 1e-12);
  EXPECT_NEAR(m.end_probability("with milk"), 1.0, 1e-12);
  EXPECT_NEAR(m.end_probability("latte with"), 0.0, 1e-12);
  // Context never seen at length 3 or 2: falls back to the last word
  // ("latte": 5 times, ended twice).
  EXPECT_NEAR(m.end_probability("bring me latte"), 2.0 / 5.0, 1e-12);
  EXPECT_EQ(m.end_probability("espresso"), 0.0);
  EXPECT_EQ(m.end_probability(""), 0.0);
  EXPECT_EQ(m.end_probability("  ,, "), 0.0);

  // min_count: a context seen fewer times is not trusted, a shorter one is.
  EndOfSentenceModel strict = EndOfSentenceModel::build(sentences, 3, /*min_count=*/4);
  // "me a latte" was seen 3 times: too few; "a latte" 5 times, ended twice.
  EXPECT_NEAR(strict.end_probability("make me a latte"), 2.0 / 5.0, 1e-12);
  EXPECT_EQ(strict.end_probability("a mocha"), 0.0);  // "mocha" seen once only
  EXPECT_TRUE(EndOfSentenceModel().empty());
  EXPECT_EQ(EndOfSentenceModel().end_probability("make me a latte"), 0.0);
}

}  // namespace
}  // namespace hearth
