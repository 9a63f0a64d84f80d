#include "llm/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "gguf.h"
#include "llm/unicode.h"

namespace hearth::llm {
namespace {

constexpr std::string_view kSpmSpace = "\xe2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

std::string escape_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (char c : s) {
    if (c == ' ') out += kSpmSpace;
    else out += c;
  }
  return out;
}

std::string unescape_spaces(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s.substr(i, 3) == kSpmSpace) {
      out += ' ';
      i += 3;
    } else {
      out += s[i++];
    }
  }
  return out;
}

// One symbol of the merge loop: a byte range of the text plus links.
struct Symbol {
  int prev, next;
  size_t start, n;
};

}  // namespace

Result<Tokenizer> Tokenizer::from_gguf(const GgufFile& f) {
  Tokenizer t;
  auto model = f.get_string("tokenizer.ggml.model");
  if (!model) return model.error().with_context("tokenizer");
  if (*model == "llama") t.model_ = Model::kSpm;
  else if (*model == "gpt2") t.model_ = Model::kBpe;
  else return Error{Code::kUnsupported, "tokenizer: tokenizer.ggml.model '" + std::string(*model) + "' is not supported (llama, gpt2)"};

  auto tokens = f.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return tokens.error().with_context("tokenizer");
  if (tokens->empty() || tokens->size() > (1u << 24))
    return Error{Code::kBadInput, "tokenizer: tokenizer.ggml.tokens: " + std::to_string(tokens->size()) + " tokens"};
  const size_t n = tokens->size();
  t.tokens_.reserve(n);
  t.index_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    t.tokens_.emplace_back((*tokens)[i]);
    t.index_.emplace(t.tokens_.back(), static_cast<Token>(i));  // first wins on duplicates
  }
  t.scores_.assign(n, 0.f);
  if (f.find_kv("tokenizer.ggml.scores")) {
    auto scores = f.get_f32_array("tokenizer.ggml.scores");
    if (!scores) return scores.error().with_context("tokenizer");
    if (scores->size() != n) return Error{Code::kBadInput, "tokenizer: tokenizer.ggml.scores: length differs from tokens"};
    t.scores_ = std::move(*scores);
  } else if (t.model_ == Model::kSpm) {
    return Error{Code::kBadInput, "tokenizer: tokenizer.ggml.scores is missing (needed by the llama tokenizer)"};
  }
  t.kinds_.assign(n, TokenKind::kNormal);
  if (f.find_kv("tokenizer.ggml.token_type")) {
    auto types = f.get_int_array("tokenizer.ggml.token_type");
    if (!types) return types.error().with_context("tokenizer");
    if (types->size() != n) return Error{Code::kBadInput, "tokenizer: tokenizer.ggml.token_type: length differs from tokens"};
    for (size_t i = 0; i < n; ++i) {
      const int64_t v = (*types)[i];
      if (v < 0 || v > 6) return Error{Code::kBadInput, "tokenizer: tokenizer.ggml.token_type[" + std::to_string(i) + "] = " + std::to_string(v)};
      t.kinds_[i] = static_cast<TokenKind>(v);
    }
  }
  if (t.model_ == Model::kBpe) {
    auto merges = f.get_string_array("tokenizer.ggml.merges");
    if (!merges) return merges.error().with_context("tokenizer");
    t.merge_rank_.reserve(merges->size());
    for (size_t i = 0; i < merges->size(); ++i) {
      const std::string_view m = (*merges)[i];
      const size_t sp = m.find(' ', 1);
      if (sp == std::string_view::npos)
        return Error{Code::kBadInput, "tokenizer: tokenizer.ggml.merges[" + std::to_string(i) + "]: no space in '" + std::string(m) + "'"};
      t.merge_rank_.emplace(std::string(m), static_cast<int32_t>(i));
    }
  }
  auto id = [&](const char* key, Token* out) -> Result<void> {
    if (!f.find_kv(key)) return {};
    auto v = f.get_int(key);
    if (!v) return v.error().with_context("tokenizer");
    if (*v == 0xffffffffll || *v == -1) return {};  // "none"
    if (*v < 0 || *v >= static_cast<int64_t>(n))
      return Error{Code::kBadInput, std::string("tokenizer: ") + key + " = " + std::to_string(*v) + " is out of range"};
    *out = static_cast<Token>(*v);
    return {};
  };
  HEARTH_TRY(id("tokenizer.ggml.bos_token_id", &t.bos_));
  HEARTH_TRY(id("tokenizer.ggml.eos_token_id", &t.eos_));
  HEARTH_TRY(id("tokenizer.ggml.eot_token_id", &t.eot_));
  HEARTH_TRY(id("tokenizer.ggml.unknown_token_id", &t.unk_));
  t.add_bos_ = t.model_ == Model::kSpm;  // llama.cpp's defaults per model
  t.add_space_prefix_ = t.model_ == Model::kSpm;
  if (f.find_kv("tokenizer.ggml.add_bos_token")) {
    auto v = f.get_bool("tokenizer.ggml.add_bos_token");
    if (!v) return v.error().with_context("tokenizer");
    t.add_bos_ = *v;
  }
  if (f.find_kv("tokenizer.ggml.add_eos_token")) {
    auto v = f.get_bool("tokenizer.ggml.add_eos_token");
    if (!v) return v.error().with_context("tokenizer");
    t.add_eos_ = *v;
  }
  if (f.find_kv("tokenizer.ggml.add_space_prefix")) {
    auto v = f.get_bool("tokenizer.ggml.add_space_prefix");
    if (!v) return v.error().with_context("tokenizer");
    t.add_space_prefix_ = *v;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    t.byte_tokens_[b] = t.find(name);
  }
  for (size_t i = 0; i < n; ++i) {
    const TokenKind k = t.kinds_[i];
    if ((k == TokenKind::kControl || k == TokenKind::kUserDefined || k == TokenKind::kUnknown) && !t.tokens_[i].empty())
      t.specials_.push_back(static_cast<Token>(i));
  }
  std::stable_sort(t.specials_.begin(), t.specials_.end(),
                   [&](Token a, Token b) { return t.tokens_[a].size() > t.tokens_[b].size(); });
  return t;
}

Token Tokenizer::find(std::string_view s) const {
  auto it = index_.find(std::string(s));
  return it == index_.end() ? -1 : it->second;
}

std::vector<Token> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  // Split the input into raw text and special-token fragments (llama.cpp's
  // partition: longest specials first; control tokens only when asked).
  struct Fragment {
    Token token;  // -1 for raw text
    std::string_view text;
  };
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, text});
  for (Token sp : specials_) {
    const TokenKind k = kinds_[sp];
    if (!parse_special && (k == TokenKind::kControl || k == TokenKind::kUnknown)) continue;
    const std::string& st = tokens_[sp];
    std::vector<Fragment> next;
    for (const Fragment& fr : frags) {
      if (fr.token >= 0) {
        next.push_back(fr);
        continue;
      }
      std::string_view rest = fr.text;
      size_t at;
      while ((at = rest.find(st)) != std::string_view::npos) {
        if (at > 0) next.push_back({-1, rest.substr(0, at)});
        next.push_back({sp, {}});
        rest.remove_prefix(at + st.size());
      }
      if (!rest.empty()) next.push_back({-1, rest});
    }
    frags = std::move(next);
  }

  std::vector<Token> out;
  if (add_special && add_bos_ && bos_ >= 0) out.push_back(bos_);
  bool prev_special = true;
  for (const Fragment& fr : frags) {
    if (fr.token >= 0) {
      out.push_back(fr.token);
      prev_special = true;
      continue;
    }
    if (model_ == Model::kSpm) {
      std::string s;
      if (add_space_prefix_ && prev_special) s = " ";
      s += fr.text;
      encode_spm(escape_spaces(s), out);
    } else {
      encode_bpe(fr.text, out);
    }
    prev_special = false;
  }
  if (add_special && add_eos_ && eos_ >= 0) out.push_back(eos_);
  return out;
}

void Tokenizer::encode_spm(std::string_view text, std::vector<Token>& out) const {
  std::vector<Symbol> sym;
  for (size_t off = 0; off < text.size();) {
    const size_t len = std::min<size_t>(text.size() - off, static_cast<size_t>(utf8_len(static_cast<uint8_t>(text[off]))));
    const int idx = static_cast<int>(sym.size());
    sym.push_back({idx - 1, off + len == text.size() ? -1 : idx + 1, off, len});
    off += len;
  }
  struct Bigram {
    int left, right;
    float score;
    size_t size;
  };
  auto worse = [](const Bigram& a, const Bigram& b) {  // max score first, then leftmost
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
  // merged text -> the pair that produced it, to re-split unknown merges
  std::unordered_map<std::string, std::pair<int, int>> rev_merge;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::string_view piece = text.substr(sym[left].start, sym[left].n + sym[right].n);
    const Token tok = find(piece);
    if (tok < 0) return;
    queue.push({left, right, scores_[tok], piece.size()});
    rev_merge[std::string(piece)] = {left, right};
  };
  for (size_t i = 1; i < sym.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = sym[b.left];
    Symbol& r = sym[b.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;  // outdated
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  // Emit: a symbol that is a token as is; otherwise undo its merges, and
  // bytes for what is left.
  auto resegment = [&](auto&& self, const Symbol& s) -> void {
    const std::string_view piece = text.substr(s.start, s.n);
    const Token tok = find(piece);
    if (tok >= 0) {
      out.push_back(tok);
      return;
    }
    auto it = rev_merge.find(std::string(piece));
    if (it == rev_merge.end()) {
      for (char c : piece) {
        const Token bt = byte_tokens_[static_cast<uint8_t>(c)];
        if (bt >= 0) out.push_back(bt);
        else if (unk_ >= 0) out.push_back(unk_);
      }
      return;
    }
    self(self, sym[it->second.first]);
    self(self, sym[it->second.second]);
  };
  for (int i = sym.empty() ? -1 : 0; i != -1; i = sym[i].next) resegment(resegment, sym[i]);
}

void Tokenizer::encode_bpe(std::string_view text, std::vector<Token>& out) const {
  for (const std::string& word : split_gpt2(text)) {
    // bytes -> printable code points, one symbol per code point
    std::string enc;
    std::vector<size_t> starts;
    for (char c : word) {
      starts.push_back(enc.size());
      utf8_append(byte_to_codepoint(static_cast<uint8_t>(c)), enc);
    }
    std::vector<Symbol> sym;
    for (size_t i = 0; i < starts.size(); ++i) {
      const size_t end = i + 1 < starts.size() ? starts[i + 1] : enc.size();
      const int idx = static_cast<int>(i);
      sym.push_back({idx - 1, i + 1 == starts.size() ? -1 : idx + 1, starts[i], end - starts[i]});
    }
    struct Bigram {
      int left, right;
      int32_t rank;
      std::string text;
    };
    auto worse = [](const Bigram& a, const Bigram& b) {  // lowest rank first, then leftmost
      return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    };
    std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
    std::string key;
    auto try_add = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      key.assign(enc, sym[left].start, sym[left].n);
      key += ' ';
      key.append(enc, sym[right].start, sym[right].n);
      auto it = merge_rank_.find(key);
      if (it == merge_rank_.end()) return;
      queue.push({left, right, it->second, enc.substr(sym[left].start, sym[left].n + sym[right].n)});
    };
    for (size_t i = 1; i < sym.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));
    while (!queue.empty()) {
      Bigram b = queue.top();
      queue.pop();
      Symbol& l = sym[b.left];
      Symbol& r = sym[b.right];
      if (l.n == 0 || r.n == 0) continue;
      if (l.n + r.n != b.text.size() || enc.compare(l.start, b.text.size(), b.text) != 0) continue;  // outdated
      l.n += r.n;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) sym[r.next].prev = b.left;
      try_add(l.prev, b.left);
      try_add(b.left, l.next);
    }
    for (int i = sym.empty() ? -1 : 0; i != -1; i = sym[i].next) {
      const std::string_view piece = std::string_view(enc).substr(sym[i].start, sym[i].n);
      const Token tok = find(piece);
      if (tok >= 0) {
        out.push_back(tok);
        continue;
      }
      // not in the vocabulary: one token per byte of the piece, where such
      // a token exists (llama.cpp's behaviour)
      for (char c : piece) {
        const Token bt = find(std::string_view(&c, 1));
        if (bt >= 0) out.push_back(bt);
      }
    }
  }
}

std::string Tokenizer::token_to_piece(Token t, bool special) const {
  if (t < 0 || t >= n_vocab()) return {};
  const std::string& s = tokens_[static_cast<size_t>(t)];
  switch (kinds_[static_cast<size_t>(t)]) {
    case TokenKind::kControl:
    case TokenKind::kUnused:
    case TokenKind::kUndefined:
      return special ? s : std::string();
    case TokenKind::kUnknown:
      return special ? s : std::string("\xe2\x96\x85");  // U+2585, SentencePiece's unknown mark
    case TokenKind::kUserDefined:
      return s;
    case TokenKind::kByte:
      if (model_ == Model::kSpm && s.size() == 6) {
        unsigned v = 0;
        if (std::sscanf(s.c_str(), "<0x%02X>", &v) == 1) return std::string(1, static_cast<char>(v));
      }
      break;
    case TokenKind::kNormal:
      break;
  }
  if (model_ == Model::kSpm) return unescape_spaces(s);
  std::string out;
  for (uint32_t cp : utf8_decode(s)) {
    const int b = codepoint_to_byte(cp);
    if (b >= 0) out += static_cast<char>(b);
    else utf8_append(cp, out);  // defensive: not a byte image, keep the character
  }
  return out;
}

std::string Tokenizer::decode(std::span<const Token> tokens, bool special) const {
  // The prefix space belongs to the first text token only (after BOS).
  std::string out;
  bool first_text = true;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string piece = token_to_piece(tokens[i], special);
    if (piece.empty()) continue;
    if (first_text && model_ == Model::kSpm && add_space_prefix_ && piece[0] == ' ' &&
        kinds_[static_cast<size_t>(tokens[i])] == TokenKind::kNormal)
      piece.erase(0, 1);
    first_text = false;
    out += piece;
  }
  return out;
}

std::string StreamingDetokenizer::push(Token t) {
  std::string piece = tok_.token_to_piece(t);
  if (first_ && !piece.empty()) {
    if (tok_.model() == Tokenizer::Model::kSpm && piece[0] == ' ' && tok_.kind(t) == TokenKind::kNormal) piece.erase(0, 1);
    first_ = false;
  }
  pending_ += piece;
  // Emit every complete character; hold back an incomplete tail.
  std::string out;
  size_t i = 0;
  while (i < pending_.size()) {
    const uint8_t c = static_cast<uint8_t>(pending_[i]);
    const int n = utf8_len(c);
    if (n == 1) {
      if (c < 0x80) out += static_cast<char>(c);
      else out += "\xef\xbf\xbd";  // stray continuation / invalid lead
      ++i;
      continue;
    }
    if (i + static_cast<size_t>(n) > pending_.size()) {
      // incomplete: keep it if what we have so far is a valid prefix
      bool ok = true;
      for (size_t k = i + 1; k < pending_.size(); ++k) ok = ok && (static_cast<uint8_t>(pending_[k]) & 0xc0) == 0x80;
      if (ok) break;
      out += "\xef\xbf\xbd";
      ++i;
      continue;
    }
    bool ok = true;
    for (int k = 1; k < n; ++k) ok = ok && (static_cast<uint8_t>(pending_[i + static_cast<size_t>(k)]) & 0xc0) == 0x80;
    if (ok) out.append(pending_, i, static_cast<size_t>(n));
    else out += "\xef\xbf\xbd";
    i += ok ? static_cast<size_t>(n) : 1;
  }
  pending_.erase(0, i);
  return out;
}

std::string StreamingDetokenizer::flush() {
  std::string out = pending_.empty() ? std::string() : std::string("\xef\xbf\xbd");
  pending_.clear();
  return out;
}

}  // namespace hearth::llm
