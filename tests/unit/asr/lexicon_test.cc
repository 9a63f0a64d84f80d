// Pronunciations: cmudict entries with variants, espeak-ng G2P into CMU phones.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "hearth/asr/asr.h"

namespace hearth {
namespace {

const std::set<std::string> kCmuPhones = {"AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH", "EH", "ER", "EY",
                                          "F",  "G",  "HH", "IH", "IY", "JH", "K",  "L",  "M",  "N",  "NG", "OW", "OY",
                                          "P",  "R",  "S",  "SH", "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};

std::vector<std::string> split(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

TEST(G2pTest, UnknownWordsGetCmuPhones) {
  for (const char* w : {"ecobee", "roomba", "jarvis", "hearth", "zigbee"}) {
    std::vector<std::string> ph = split(g2p_cmu(w));
    ASSERT_GE(ph.size(), 3u) << w;
    for (const std::string& p : ph) EXPECT_TRUE(kCmuPhones.count(p)) << w << ": " << p;
  }
  EXPECT_EQ(g2p_cmu("ecobee"), "EH K OW B IY");
  EXPECT_EQ(g2p_cmu("judge"), "JH AH JH");
}

TEST(LexiconTest, DictionaryFirstThenG2p) {
  PocketsphinxConfig pc;
  auto lex = build_lexicon({"kitchen", "lights", "ecobee", "the"}, pc.dict);
  if (!lex && lex.error().code == Code::kNotFound) GTEST_SKIP() << "pocketsphinx-en-us not installed: " << lex.error().message;
  ASSERT_TRUE(lex) << lex.error().message;
  EXPECT_EQ(lex->g2p_words, (std::vector<std::string>{"ecobee"}));
  EXPECT_TRUE(lex->missing.empty());
  std::string dict = lex->to_dict_text();
  EXPECT_NE(dict.find("kitchen K IH CH AH N\n"), std::string::npos) << dict;
  EXPECT_NE(dict.find("the(2) "), std::string::npos);  // variants keep their numbering
  EXPECT_NE(dict.find("ecobee EH K OW B IY\n"), std::string::npos);
}

TEST(LexiconTest, MissingDictionaryIsAnError) {
  auto lex = build_lexicon({"a"}, "/nonexistent/dict");
  ASSERT_FALSE(lex);
  EXPECT_EQ(lex.error().code, Code::kNotFound);
}

}  // namespace
}  // namespace hearth
