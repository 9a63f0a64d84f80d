// GBNF-subset grammars: parser errors, the matcher on text, masking by the
// vocabulary trie against a brute-force check of every token, forced tokens,
// and constrained generation with stories260K (JSON mode, JSON Schema enums,
// tool calls) through LlmEngine.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hearth/nlu/llm_engine.h"
#include "llm/chat.h"
#include "llm/gbnf.h"
#include "llm/model.h"
#include "stories_fixture.h"

namespace hearth::llm {
namespace {

const std::string& kModel = kStoriesModel;

TEST(Gbnf, MalformedGrammarsAreClearErrors) {
  struct Case {
    const char* text;
    const char* want;  // substring of the message
  };
  const Case cases[] = {
      {"", "no 'root' rule"},
      {"root ::= foo", "'foo' is used but not defined"},
      {"root ::= \"abc", "unterminated string"},
      {"root ::= [a-", "unterminated character class"},
      {"root ::= [z-a]", "empty range"},
      {"root ::= (\"a\"", "expected ')'"},
      {"root ::= \"a\")", "unbalanced ')'"},
      {"root ::= root \"a\" | \"b\"", "left-recursive"},
      {"root ::= x\nx ::= y \"a\"\ny ::= x? \"b\"", "left-recursive"},
      {"root ::= \"a\"\nroot ::= \"b\"", "defined twice"},
      {"root ::= \"\\q\"", "unknown escape"},
      {"root ::= \"\\xZZ\"", "bad \\x escape"},
      {"root ::= @", "unexpected '@'"},
      {"root \"a\"", "expected '::='"},
  };
  for (const Case& c : cases) {
    auto g = parse_gbnf(c.text);
    ASSERT_FALSE(g) << c.text;
    EXPECT_EQ(g.error().code, Code::kBadInput);
    EXPECT_NE(g.error().message.find(c.want), std::string::npos) << c.text << " -> " << g.error().message;
  }
  auto ok = parse_gbnf("# comment\nroot ::= a | b # trailing\na ::= \"x\" [0-9]+\nb ::= (\"y\" | \"z\")* \"!\"? \"ab\"*\n");
  EXPECT_TRUE(ok) << ok.error().message;
}

class GbnfStories : public StoriesTest {
 protected:
  GrammarFilter filter(const std::string& text) {
    auto g = parse_gbnf(text);
    EXPECT_TRUE(g) << g.error().message;
    return GrammarFilter(*g, model_->tokenizer());
  }
};

TEST_F(GbnfStories, JsonGrammarAcceptsJsonAndRejectsOthers) {
  for (const char* good : {"{}", "{\"a\": 1}", "{\"a\": [1, -2.5e3, true, null, \"x\\n\"], \"b\": {\"c\": {}}}"}) {
    GrammarFilter f = filter(gbnf_json_object());
    EXPECT_TRUE(f.accept_text(good)) << good;
    EXPECT_TRUE(f.complete()) << good;
  }
  for (const char* bad : {"[]", "{a: 1}", "{\"a\" 1}", "{\"a\": 01}", "{\"a\": tru}", "{\"a\": \"\x01\"}"}) {
    GrammarFilter f = filter(gbnf_json_object());
    const bool accepted = f.accept_text(bad) && f.complete();
    EXPECT_FALSE(accepted) << bad;
  }
  GrammarFilter partial = filter(gbnf_json_object());
  EXPECT_TRUE(partial.accept_text("{\"a\": "));
  EXPECT_FALSE(partial.complete());
}

TEST_F(GbnfStories, SchemaEnumsAreEnforced) {
  auto g = gbnf_from_json_schema(R"({"type":"object","properties":{"intent":{"enum":["turn_on","turn_off"]},
      "level":{"type":"integer"},"room":{"type":"string"}}})");
  ASSERT_TRUE(g) << g.error().message;
  GrammarFilter ok = filter(*g);
  EXPECT_TRUE(ok.accept_text(R"({"intent": "turn_off", "level": 3, "room": "kitchen"})"));
  EXPECT_TRUE(ok.complete());
  GrammarFilter bad = filter(*g);
  EXPECT_FALSE(bad.accept_text(R"({"intent": "dance")"));
  auto broken = gbnf_from_json_schema("{not json");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, Code::kBadInput);
}

// The trie walk must allow exactly the tokens whose text the grammar accepts.
TEST_F(GbnfStories, MaskEqualsBruteForceOverTheVocabulary) {
  const Tokenizer& tok = model_->tokenizer();
  const std::string grammar = *gbnf_from_json_schema(R"({"type":"object","properties":{"name":{"enum":["lamp","fan"]},
      "on":{"type":"boolean"},"note":{"type":"string"}}})");
  for (const char* prefix : {"", "{", "{\"name\": \"la", "{\"name\": \"fan\", \"on\": ", "{\"name\": \"fan\", \"on\": true, \"note\": \"a b"}) {
    GrammarFilter f = filter(grammar);
    ASSERT_TRUE(f.accept_text(prefix)) << prefix;
    std::vector<float> logits(size_t(tok.n_vocab()), 0.f);
    ASSERT_TRUE(f.mask(logits));
    size_t n_allowed = 0;
    for (Token t = 0; t < tok.n_vocab(); ++t) {
      bool want;
      if (tok.is_eog(t)) {
        want = false;  // none of these prefixes is a complete object
      } else {
        const std::string piece = tok.token_to_piece(t);
        GrammarFilter g = filter(grammar);
        g.accept_text(prefix);
        const TokenKind k = tok.kind(t);  // control / unknown / unused pieces are never generated text
        const bool textual = k == TokenKind::kNormal || k == TokenKind::kByte || k == TokenKind::kUserDefined;
        want = textual && !piece.empty() && g.accept_text(piece);
      }
      const bool got = logits[size_t(t)] > -1e30f;
      EXPECT_EQ(want, got) << "prefix '" << prefix << "' token " << t << " '" << tok.token_to_piece(t) << "'";
      n_allowed += got;
    }
    EXPECT_GT(n_allowed, 0u);
    if (std::string(prefix) == "{") {
      EXPECT_LT(f.last_mask_visits(), size_t(tok.n_vocab()) / 4) << "the trie walk should prune, not scan";
    }
  }
}

TEST_F(GbnfStories, ForcedTextBecomesTokens) {
  GrammarFilter f = filter(R"(root ::= "{\"intent\": \"" ("turn_on" | "turn_off") "\"}")");
  ASSERT_TRUE(f.accept_text(""));
  const std::vector<Token> forced = f.forced();
  ASSERT_FALSE(forced.empty());
  // everything up to the first choice: both values start with "turn_o"
  EXPECT_EQ(model_->tokenizer().decode(forced), "{\"intent\": \"turn_o");
  for (Token t : forced) f.accept(t);
  EXPECT_TRUE(f.forced().empty());  // "n" or "ff": a choice
  EXPECT_FALSE(f.complete());
  EXPECT_TRUE(f.accept_text("ff"));
  const std::vector<Token> rest = f.forced();
  EXPECT_EQ(model_->tokenizer().decode(rest), "\"}");
  for (Token t : rest) f.accept(t);
  EXPECT_TRUE(f.complete());
}

LlmChatRequest chat_request(const std::string& text) {
  LlmChatRequest r;
  r.messages = {{"user", text}};
  r.max_tokens = 120;
  r.temperature = 0.8f;
  r.seed = 7;
  return r;
}

TEST_F(GbnfStories, EngineJsonModeAndToolCallsAreValid) {
  LlmEngineOptions o;
  o.model_path = kModel;
  o.ctx = 512;
  o.threads = 1;
  auto e = LlmEngine::open(o);
  ASSERT_TRUE(e) << e.error().message;
  LlmChatRequest r = chat_request("Once upon a time");
  r.json_mode = true;
  r.json_schema = R"({"type":"object","properties":{"mood":{"enum":["happy","sad"]},"count":{"type":"integer"}}})";
  for (uint64_t seed : {1u, 2u, 3u}) {
    r.seed = seed;
    auto out = (*e)->chat(r);
    ASSERT_TRUE(out) << out.error().message;
    if (out->finish_reason == "length") continue;  // a random walk may run out of tokens inside a number
    const auto j = nlohmann::json::parse(out->text);
    ASSERT_TRUE(j.is_object()) << out->text;
    EXPECT_TRUE(j["mood"] == "happy" || j["mood"] == "sad") << out->text;
    EXPECT_TRUE(j["count"].is_number_integer()) << out->text;
  }
  LlmChatRequest t = chat_request("Lily wanted to play");
  t.tools = {{"set_light", "Turns a light on or off.",
              R"({"type":"object","properties":{"room":{"enum":["kitchen","hall"]},"on":{"type":"boolean"}}})"},
             {"get_time", "Tells the time.", "{}"}};
  t.tool_choice = "required";
  t.max_tokens = 200;
  auto call = (*e)->chat(t);
  ASSERT_TRUE(call) << call.error().message;
  ASSERT_EQ(call->tool_calls.size(), 1u);
  EXPECT_EQ(call->finish_reason, "tool_calls");
  const std::string& name = call->tool_calls[0].name;
  EXPECT_TRUE(name == "set_light" || name == "get_time");
  const auto args = nlohmann::json::parse(call->tool_calls[0].arguments_json);
  EXPECT_TRUE(args.is_object());
  if (name == "set_light") { EXPECT_TRUE(args["room"] == "kitchen" || args["room"] == "hall") << args.dump(); }
  // the same system prompt again: served from the prefix cache
  auto again = (*e)->chat(t);
  ASSERT_TRUE(again);
  EXPECT_GT(again->reused_prompt_tokens, 10);
}

TEST_F(GbnfStories, ForcedTokensCostNoSamplingStep) {
  Session s(model_, 256, 1);
  auto g = parse_gbnf(R"(root ::= "{\"answer\": \"" ("yes" | "no") "\", \"reason\": \"none\"}")");
  ASSERT_TRUE(g);
  GrammarFilter f(*g, model_->tokenizer());
  GenerateParams p;
  p.max_tokens = 60;
  p.filter = &f;
  const std::vector<Token> prompt = model_->tokenizer().encode("Once upon a time", true, false);
  auto r = generate_text(s, prompt, p);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->text == "{\"answer\": \"yes\", \"reason\": \"none\"}" || r->text == "{\"answer\": \"no\", \"reason\": \"none\"}") << r->text;
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_GT(r->forced_tokens, 0);
  // forced runs go through one batched pass each: fewer passes than tokens
  EXPECT_LT(r->decode_steps, r->completion_tokens);
}

TEST_F(GbnfStories, StopStringsCutTheText) {
  Session s(model_, 256, 1);
  GenerateParams p;
  p.max_tokens = 60;
  const std::vector<Token> prompt = model_->tokenizer().encode("Once upon a time", true, false);
  auto full = generate_text(s, prompt, p);
  ASSERT_TRUE(full);
  ASSERT_GT(full->text.size(), 20u);
  const std::string stop = full->text.substr(10, 4);
  p.stop = {stop};
  std::string streamed;
  auto cut = generate_text(s, prompt, p, [&](std::string_view d) {
    streamed += d;
    return true;
  });
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->finish_reason, "stop");
  EXPECT_EQ(cut->text, full->text.substr(0, full->text.find(stop)));
  EXPECT_EQ(streamed, cut->text) << "streamed text must never include a stop string";
  EXPECT_GT(cut->reused_tokens, 0) << "same prompt: the prefix cache should serve it";
}

TEST_F(GbnfStories, ChatTemplatesRender) {
  const std::vector<ChatMessage> m = {{"system", "Be brief."}, {"user", "Hi"}};
  EXPECT_EQ(render_chat(ChatTemplate::kChatML, m),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render_chat(ChatTemplate::kZephyr, m), "<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\n");
  EXPECT_EQ(render_chat(ChatTemplate::kLlama2, m), "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]");
  const std::vector<ChatMessage> turns = {{"user", "A"}, {"assistant", "B"}, {"user", "C"}};
  EXPECT_EQ(render_chat(ChatTemplate::kLlama2, turns), "[INST] A [/INST] B </s><s>[INST] C [/INST]");
  EXPECT_EQ(render_chat(ChatTemplate::kPlain, m), "System: Be brief.\nUser: Hi\nAssistant:");
  EXPECT_EQ(detect_chat_template(*model_), ChatTemplate::kPlain);  // stories260K has no chat format
  EXPECT_FALSE(parse_chat_template("jinja"));
}

TEST_F(GbnfStories, MemoryBudgetErrorsAreOneLine) {
  setenv("HEARTH_LLM_MEMORY_MIB", "0", 1);  // 0: unset budget → physical memory
  auto ok = Model::load(kModel);
  ASSERT_TRUE(ok);
  SessionOptions so;
  so.n_ctx = 512;
  EXPECT_TRUE(kv_cache_bytes(**ok, so));
  unsetenv("HEARTH_LLM_MEMORY_MIB");
}

}  // namespace
}  // namespace hearth::llm

namespace hearth::llm {
namespace {

// The fuzz corpus replayed in the normal build: each input parses or fails
// cleanly (the malformed ones with kBadInput).
TEST(Gbnf, FuzzCorpusReplays) {
  const std::filesystem::path dir = std::filesystem::path(HEARTH_ASSETS_DIR) / "fuzz" / "gbnf";
  ASSERT_TRUE(std::filesystem::exists(dir)) << dir;
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto g = parse_gbnf(text);
    if (!g) {
      EXPECT_EQ(g.error().code, Code::kBadInput) << e.path();
    }
    if (auto s = gbnf_from_json_schema(text)) {
      EXPECT_TRUE(parse_gbnf(*s)) << e.path();
    }
    ++n;
  }
  EXPECT_GE(n, 4);
}

}  // namespace
}  // namespace hearth::llm
