// Malformed outside input for asr/'s readers (issue 5), in the normal build:
// the fuzz corpus (assets/fuzz/asr, see tests/fuzz/asr_inputs_fuzz.cc)
// replayed, plus hand-made bad configs, dictionaries and sentences. Bad input
// gets a clear error or is skipped line by line; nothing crashes; good lines
// around bad ones are kept.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "hearth/asr/asr.h"

namespace hearth {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(AsrInputsTest, FuzzCorpusReplays) {
  const std::filesystem::path dir = std::filesystem::path(HEARTH_ASSETS_DIR) / "fuzz" / "asr";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string bytes = read_all(e.path());
    if (bytes.empty()) continue;
    ++n;
    std::string_view in = std::string_view(bytes).substr(1);
    switch (static_cast<uint8_t>(bytes[0]) % 3) {
      case 0: {
        AsrConfig cfg;
        ConfigErrors errors;
        parse_asr_config(in, &cfg, errors);
        cfg.validate(errors);
        const std::string name = e.path().filename().string();
        EXPECT_EQ(errors.empty(), name.find("_ok") != std::string::npos) << name << ": " << errors.to_string();
        break;
      }
      case 1: {
        const size_t nl = in.find('\n');
        auto lex = build_lexicon_from_text(lm_words(in.substr(0, nl)), nl == std::string_view::npos ? "" : in.substr(nl + 1), false);
        ASSERT_TRUE(lex);
        for (const auto& [w, ph] : lex->entries) {
          EXPECT_FALSE(ph.empty()) << w;
          EXPECT_EQ(ph.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 "), std::string::npos) << w << ": " << ph;
        }
        break;
      }
      default: {
        std::vector<std::string> sentences;
        std::istringstream s{std::string(in)};
        for (std::string l; std::getline(s, l);) sentences.push_back(l);
        auto arpa = build_arpa(sentences, {}, 1 + (bytes.size() > 1 ? static_cast<uint8_t>(bytes[1]) % 4 : 0));
        if (arpa) EXPECT_NE(arpa->find("\\end\\"), std::string::npos);
      }
    }
  }
  EXPECT_GE(n, 6);
}

TEST(AsrInputsTest, BadConfigsAreClearErrors) {
  struct Case {
    const char* json;
    const char* where;  // expected in the error text
  };
  for (const Case& c : {Case{"{\"lm_order\": \"three\"}", "lm_order"}, Case{"[1, 2]", "expected an object"},
                        Case{"{\"pocketsphinx\": {\"lw\": 1e999", "invalid JSON"},
                        Case{"{\"pocketsphinx\": {\"final_pass\": \"twice\"}}", "final_pass"},
                        Case{"{\"pocketsphinx\": {\"bogus\": 1}}", "bogus"},
                        Case{"{\"endpoint\": {\"hangover_ms\": -5}}", "hangover_ms"}, Case{"", "invalid JSON"},
                        Case{"{\"backend\": \"whisper\"}", "backend"},
                        Case{"{\"endpoint\": {\"early_end_probability\": 1.5}}", "early_end_probability"},
                        Case{"{\"pocketsphinx\": {\"fwdflat\": \"no\"}}", "fwdflat"}}) {
    AsrConfig cfg;
    ConfigErrors errors;
    parse_asr_config(c.json, &cfg, errors);
    cfg.validate(errors);
    ASSERT_FALSE(errors.empty()) << c.json;
    EXPECT_NE(errors.to_string().find(c.where), std::string::npos) << c.json << " → " << errors.to_string();
  }
  // A good one, for contrast.
  AsrConfig cfg;
  ConfigErrors errors;
  parse_asr_config(
      "{\"pocketsphinx\": {\"lw\": 9, \"final_pass\": \"batch\", \"fwdflat\": false}, "
      "\"endpoint\": {\"early_end_probability\": 0.4}}",
      &cfg, errors);
  cfg.validate(errors);
  EXPECT_TRUE(errors.empty()) << errors.to_string();
  EXPECT_EQ(cfg.pocketsphinx.final_pass, "batch");
  EXPECT_FALSE(cfg.pocketsphinx.fwdflat);
  EXPECT_TRUE(cfg.pocketsphinx.bestpath);
  EXPECT_EQ(cfg.endpoint.early_end_probability, 0.4);
  EXPECT_EQ(cfg.pocketsphinx.lw, 9);
}

TEST(AsrInputsTest, MalformedDictionaryLinesAreSkippedGoodOnesKept) {
  const std::string dict =
      "kitchen K IH CH AH N\r\n"      // CRLF
      "lights\tL AY T S\n"            // tab separator
      "lights(2) L AY T S  # comment\n"
      "lamp\n"                        // no phones
      "lamp(2) L AE-M P\n"            // not phone symbols
      "(\n"
      " door D AO R\n"                // leading space: no head
      "door D  AO   R\n"              // extra spaces
      "\xff\xfe\x00 junk\n";
  auto lex = build_lexicon_from_text({"kitchen", "lights", "lamp", "door"}, dict, false);
  ASSERT_TRUE(lex);
  EXPECT_EQ(lex->to_dict_text(), "door D AO R\nkitchen K IH CH AH N\nlights L AY T S\nlights(2) L AY T S\n");
  EXPECT_EQ(lex->missing, std::vector<std::string>{"lamp"});
  // Nothing usable at all: every word missing, no error.
  auto none = build_lexicon_from_text({"a", "b"}, std::string("\0\0\0", 3), false);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->entries.empty());
  EXPECT_EQ(none->missing.size(), 2u);
}

TEST(AsrInputsTest, MissingOrUnreadableDictionaryIsAnError) {
  auto lex = build_lexicon({"a"}, "/nonexistent/dict");
  ASSERT_FALSE(lex);
  EXPECT_EQ(lex.error().code, Code::kNotFound);
  EXPECT_NE(lex.error().message.find("/nonexistent/dict"), std::string::npos);
}

TEST(AsrInputsTest, OddSentencesGiveAValidLmOrAClearError) {
  EXPECT_FALSE(build_arpa({"", "   ", "!!!", "\n"}, {}, 3));  // no words at all
  auto arpa = build_arpa({"<s> </s> <unk>", "turn\ton\x01the light", std::string("nul\0byte", 8)}, {}, 4);
  ASSERT_TRUE(arpa) << arpa.error().message;
  // No sentence markers leak in as words; every line of a section has a log prob.
  EXPECT_EQ(arpa->find(" <unk>"), std::string::npos);
  EXPECT_NE(arpa->find(" turn on "), std::string::npos) << *arpa;  // a bigram across the control byte
  EXPECT_FALSE(build_arpa({"a b"}, {}, 0));
  EXPECT_FALSE(build_arpa({"a b"}, {}, 5));
}

}  // namespace
}  // namespace hearth
