// nlu/src/llm/gbnf.h: grammar-constrained decoding with a GBNF subset.
//
// Supported (llama.cpp's GBNF notation): rules `name ::= alternatives`,
// alternatives `|`, sequences, string literals "..." (escapes \n \t \r \\ \"
// \xHH \uHHHH), character classes [a-z_] and [^"\\] (same escapes), rule
// references, groups ( ... ), repetition * + ?, comments #. The start rule
// is `root`. Left recursion is rejected (it would never terminate).
//
// The matcher tracks a set of pushdown stacks over Unicode code points.
// Masking walks a byte trie of the vocabulary together with the grammar
// state, so a subtree of tokens sharing a prefix the grammar rejects is
// skipped at once (never a scan of every token); stretches the grammar
// determines alone are returned by forced() and fed without sampling.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"
#include "llm/chat.h"

namespace hearth::llm {

struct GbnfGrammar;  // compiled rules (gbnf.cc)
struct VocabTrie;    // byte trie of a tokenizer's pieces (gbnf.cc)

// Parses GBNF text; errors name the line and what was expected.
Result<std::shared_ptr<const GbnfGrammar>> parse_gbnf(std::string_view text);

// Grammar text for any JSON object (JSON mode) and for a JSON Schema subset:
// object (properties in order, all emitted), string, number, integer,
// boolean, null, array (items), enum of strings/numbers, const; anything
// else accepts any JSON value. `schema_json` must be valid JSON.
std::string gbnf_json_object();
Result<std::string> gbnf_from_json_schema(std::string_view schema_json);
// One tool call as a JSON object {"name": <one of the tools>, "arguments":
// <that tool's parameters schema>}; tools are (name, parameters JSON Schema).
Result<std::string> gbnf_tool_call(const std::vector<std::pair<std::string, std::string>>& tools);

// A TokenFilter over one grammar for one generation.
class GrammarFilter : public TokenFilter {
 public:
  GrammarFilter(std::shared_ptr<const GbnfGrammar> g, const Tokenizer& tok);
  ~GrammarFilter() override;
  bool mask(std::span<float> logits) override;
  void accept(Token t) override;
  bool complete() const override;
  std::vector<Token> forced() override;
  // Feeds text directly (tests); false when the grammar rejects it.
  bool accept_text(std::string_view text);
  // Trie nodes visited by the last mask() (tests check it is below the vocabulary size).
  size_t last_mask_visits() const { return visits_; }

 private:
  struct State;
  std::shared_ptr<const GbnfGrammar> g_;
  const Tokenizer& tok_;
  std::shared_ptr<const VocabTrie> trie_;
  std::unique_ptr<State> st_;
  size_t visits_ = 0;
};

}  // namespace hearth::llm
