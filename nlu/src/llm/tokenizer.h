// nlu/src/llm/tokenizer.h: tokenizers built from GGUF metadata
// (tokenizer.ggml.*), agreeing token for token with llama.cpp's:
//
//   "llama" (SentencePiece): text gets a leading space (add_space_prefix),
//     spaces become U+2581 "▁", then pieces merge pairwise by the score of
//     the merged piece (highest first, leftmost on ties); pieces not in the
//     vocabulary fall back to <0xNN> byte tokens.
//   "gpt2" (byte-level BPE): the GPT-2 pre-tokenizer regex splits the text,
//     each piece's bytes map to printable code points, then pairs merge by
//     rank from tokenizer.ggml.merges (lowest first, leftmost on ties).
//
// User-defined tokens are always matched as whole tokens in the input;
// control tokens (<s>, <|im_start|> ...) only when parse_special is set.
// A Tokenizer is immutable and thread-safe; a StreamingDetokenizer belongs
// to one generation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hearth/common/result.h"

namespace hearth {
class GgufFile;
}

namespace hearth::llm {

using Token = int32_t;

// tokenizer.ggml.token_type values.
enum class TokenKind : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

class Tokenizer {
 public:
  enum class Model { kSpm, kBpe };

  // Reads tokenizer.ggml.{model,tokens,scores,token_type,merges,*_token_id,
  // add_bos_token,add_eos_token,add_space_prefix}. Errors name the key.
  static Result<Tokenizer> from_gguf(const GgufFile& file);

  // @param add_special  prepend BOS / append EOS as the model's metadata asks
  // @param parse_special  match control tokens written in the text ("<s>")
  std::vector<Token> encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes a token stands for (byte tokens give one byte, which may be
  // part of a UTF-8 sequence). Control tokens give "" unless `special`.
  std::string token_to_piece(Token t, bool special = false) const;
  // Concatenated pieces; drops the SentencePiece leading space of the first
  // piece, as SentencePiece's decoder does.
  std::string decode(std::span<const Token> tokens, bool special = false) const;

  Model model() const { return model_; }
  int32_t n_vocab() const { return static_cast<int32_t>(tokens_.size()); }
  Token bos() const { return bos_; }
  Token eos() const { return eos_; }
  bool add_bos() const { return add_bos_; }
  bool is_eog(Token t) const { return t == eos_ || t == eot_; }
  const std::string& token_text(Token t) const { return tokens_[static_cast<size_t>(t)]; }
  TokenKind kind(Token t) const { return kinds_[static_cast<size_t>(t)]; }

 private:
  void encode_spm(std::string_view text, std::vector<Token>& out) const;
  void encode_bpe(std::string_view text, std::vector<Token>& out) const;
  Token find(std::string_view s) const;

  Model model_ = Model::kSpm;
  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<TokenKind> kinds_;
  std::unordered_map<std::string, Token> index_;
  std::unordered_map<std::string, int32_t> merge_rank_;  // "left right" -> rank
  std::vector<Token> specials_;                          // matched in the input, longest first
  Token byte_tokens_[256];                               // SPM byte fallback, -1 if absent
  Token bos_ = -1, eos_ = -1, eot_ = -1, unk_ = -1;
  bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = true;
};

// Turns a stream of tokens into text that is always valid UTF-8: bytes of a
// character split across tokens are held back until the character is
// complete; invalid sequences come out as U+FFFD.
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const Tokenizer& tok) : tok_(tok) {}
  // Text completed by this token (possibly empty).
  std::string push(Token t);
  // Whatever is held back, with incomplete sequences as U+FFFD.
  std::string flush();

 private:
  const Tokenizer& tok_;
  std::string pending_;
  bool first_ = true;
};

}  // namespace hearth::llm
