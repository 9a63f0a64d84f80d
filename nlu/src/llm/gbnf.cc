#include "llm/gbnf.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "llm/unicode.h"

namespace hearth::llm {

struct GbnfElem {
  bool is_ref = false;
  int ref = -1;
  bool negated = false;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive code point ranges
  bool matches(uint32_t cp) const {
    bool in = false;
    for (const auto& r : ranges) in = in || (cp >= r.first && cp <= r.second);
    return in != negated;
  }
  // The one code point this element accepts, or -1.
  int64_t single() const {
    if (negated || ranges.size() != 1 || ranges[0].first != ranges[0].second) return -1;
    return ranges[0].first;
  }
};
using GbnfAlt = std::vector<GbnfElem>;
struct GbnfRule {
  std::string name;
  std::vector<GbnfAlt> alts;
  bool defined = false;
};
struct GbnfGrammar {
  std::vector<GbnfRule> rules;
  int root = -1;
};

namespace {

// ---------------------------------------------------------------- parser

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<std::shared_ptr<const GbnfGrammar>> run() {
    auto g = std::make_shared<GbnfGrammar>();
    g_ = g.get();
    for (;;) {
      skip_space(true);
      if (at_end()) break;
      std::string name = parse_name();
      if (name.empty()) return fail("expected a rule name");
      skip_space(false);
      if (s_.substr(i_, 3) != "::=") return fail("expected '::=' after '" + name + "'");
      i_ += 3;
      const int r = rule_index(name);
      if (g_->rules[size_t(r)].defined) return fail("rule '" + name + "' is defined twice");
      auto alts = parse_alternatives(false);
      if (!alts) return alts.error();
      g_->rules[size_t(r)].alts = std::move(*alts);
      g_->rules[size_t(r)].defined = true;
    }
    for (const GbnfRule& r : g_->rules)
      if (!r.defined) return Error{Code::kBadInput, "grammar: rule '" + r.name + "' is used but not defined"};
    auto it = names_.find("root");
    if (it == names_.end()) return Error{Code::kBadInput, "grammar: no 'root' rule"};
    g_->root = it->second;
    if (auto lr = check_left_recursion(); !lr) return lr.error();
    return std::shared_ptr<const GbnfGrammar>(std::move(g));
  }

 private:
  Error fail(const std::string& what) const {
    int line = 1;
    for (size_t k = 0; k < i_ && k < s_.size(); ++k) line += s_[k] == '\n';
    return Error{Code::kBadInput, "grammar line " + std::to_string(line) + ": " + what};
  }
  bool at_end() const { return i_ >= s_.size(); }
  void skip_space(bool newlines) {
    while (!at_end()) {
      const char c = s_[i_];
      if (c == '#') {
        while (!at_end() && s_[i_] != '\n') ++i_;
      } else if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        ++i_;
      } else {
        break;
      }
    }
  }
  static bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }
  std::string parse_name() {
    const size_t b = i_;
    while (!at_end() && name_char(s_[i_])) ++i_;
    return std::string(s_.substr(b, i_ - b));
  }
  int rule_index(const std::string& name) {
    auto it = names_.find(name);
    if (it != names_.end()) return it->second;
    g_->rules.push_back(GbnfRule{name, {}, false});
    const int r = static_cast<int>(g_->rules.size()) - 1;
    names_[name] = r;
    return r;
  }
  int new_rule(std::vector<GbnfAlt> alts) {
    g_->rules.push_back(GbnfRule{"_gen" + std::to_string(g_->rules.size()), std::move(alts), true});
    return static_cast<int>(g_->rules.size()) - 1;
  }
  static GbnfElem ref(int r) {
    GbnfElem e;
    e.is_ref = true;
    e.ref = r;
    return e;
  }

  // One (possibly escaped) code point inside a literal or class.
  Result<uint32_t> parse_char() {
    if (at_end()) return fail("unexpected end of input");
    if (s_[i_] == '\\') {
      ++i_;
      if (at_end()) return fail("unexpected end after '\\'");
      const char c = s_[i_++];
      switch (c) {
        case 'n': return uint32_t('\n');
        case 't': return uint32_t('\t');
        case 'r': return uint32_t('\r');
        case '\\': return uint32_t('\\');
        case '"': return uint32_t('"');
        case '[': return uint32_t('[');
        case ']': return uint32_t(']');
        case '-': return uint32_t('-');
        case '^': return uint32_t('^');
        case 'x': case 'u': case 'U': {
          const int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
          uint32_t v = 0;
          for (int k = 0; k < n; ++k) {
            if (at_end() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) return fail("bad \\" + std::string(1, c) + " escape");
            const char h = s_[i_++];
            v = v * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (v > 0x10FFFF) return fail("code point out of range");
          return v;
        }
        default: return fail(std::string("unknown escape \\") + c);
      }
    }
    // a UTF-8 sequence
    const int n = utf8_len(static_cast<uint8_t>(s_[i_]));
    if (i_ + size_t(n) > s_.size()) return fail("truncated UTF-8");
    const std::vector<uint32_t> cps = utf8_decode(s_.substr(i_, size_t(n)));
    i_ += size_t(n);
    if (cps.size() != 1) return fail("invalid UTF-8");
    return cps[0];
  }

  Result<std::vector<GbnfAlt>> parse_alternatives(bool nested) {
    std::vector<GbnfAlt> alts;
    for (;;) {
      auto seq = parse_sequence(nested);
      if (!seq) return seq.error();
      alts.push_back(std::move(*seq));
      skip_space(nested);
      if (!at_end() && s_[i_] == '|') {
        ++i_;
        skip_space(true);
        continue;
      }
      return alts;
    }
  }

  Result<GbnfAlt> parse_sequence(bool nested) {
    GbnfAlt seq;
    for (;;) {
      skip_space(nested);
      if (at_end()) return seq;
      const char c = s_[i_];
      if (c == '|' || c == ')' || c == '\n') {
        if (c == ')' && !nested) return fail("unbalanced ')'");
        return seq;
      }
      GbnfElem e;
      if (c == '"') {
        ++i_;
        GbnfAlt lit;
        while (!at_end() && s_[i_] != '"') {
          auto cp = parse_char();
          if (!cp) return cp.error();
          GbnfElem ch;
          ch.ranges.push_back({*cp, *cp});
          lit.push_back(std::move(ch));
        }
        if (at_end()) return fail("unterminated string literal");
        ++i_;
        const bool repeated = !at_end() && (s_[i_] == '*' || s_[i_] == '+' || s_[i_] == '?');
        if (!repeated || lit.size() == 1) {
          if (!repeated) {
            seq.insert(seq.end(), lit.begin(), lit.end());
            continue;
          }
          e = lit[0];
        } else {
          e = ref(new_rule({std::move(lit)}));  // the repetition applies to the whole literal
        }
      } else if (c == '[') {
        ++i_;
        if (!at_end() && s_[i_] == '^') {
          e.negated = true;
          ++i_;
        }
        while (!at_end() && s_[i_] != ']') {
          auto lo = parse_char();
          if (!lo) return lo.error();
          uint32_t hi = *lo;
          if (i_ + 1 < s_.size() && s_[i_] == '-' && s_[i_ + 1] != ']') {
            ++i_;
            auto h = parse_char();
            if (!h) return h.error();
            hi = *h;
            if (hi < *lo) return fail("empty range in character class");
          }
          e.ranges.push_back({*lo, hi});
        }
        if (at_end()) return fail("unterminated character class");
        ++i_;
      } else if (c == '(') {
        ++i_;
        auto alts = parse_alternatives(true);
        if (!alts) return alts.error();
        skip_space(true);
        if (at_end() || s_[i_] != ')') return fail("expected ')'");
        ++i_;
        e = ref(new_rule(std::move(*alts)));
      } else if (c == '.') {
        ++i_;
        e.negated = true;  // any code point
      } else if (name_char(c)) {
        const std::string name = parse_name();
        skip_space(false);
        if (s_.substr(i_, 3) == "::=") return fail("missing newline before rule '" + name + "'");
        e = ref(rule_index(name));
      } else {
        return fail(std::string("unexpected '") + c + "'");
      }
      // repetition
      if (!at_end() && (s_[i_] == '*' || s_[i_] == '+' || s_[i_] == '?')) {
        const char op = s_[i_++];
        if (op == '?') {
          seq.push_back(ref(new_rule({GbnfAlt{e}, GbnfAlt{}})));
        } else {
          const int r = new_rule({});
          g_->rules[size_t(r)].alts = {GbnfAlt{e, ref(r)}, GbnfAlt{}};  // r ::= e r | (empty)
          if (op == '+') seq.push_back(e);
          seq.push_back(ref(r));
        }
        continue;
      }
      seq.push_back(std::move(e));
    }
  }

  Result<void> check_left_recursion() const {
    const size_t n = g_->rules.size();
    std::vector<bool> nullable(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < n; ++r) {
        if (nullable[r]) continue;
        for (const GbnfAlt& a : g_->rules[r].alts) {
          bool all = true;
          for (const GbnfElem& e : a) all = all && e.is_ref && nullable[size_t(e.ref)];
          if (all) {
            nullable[r] = true;
            changed = true;
            break;
          }
        }
      }
    }
    // first-position references (through nullable prefixes)
    std::vector<std::vector<int>> first(n);
    for (size_t r = 0; r < n; ++r)
      for (const GbnfAlt& a : g_->rules[r].alts)
        for (const GbnfElem& e : a) {
          if (!e.is_ref) break;
          first[r].push_back(e.ref);
          if (!nullable[size_t(e.ref)]) break;
        }
    for (size_t r = 0; r < n; ++r) {
      std::vector<bool> seen(n, false);
      std::vector<int> reachable(first[r].begin(), first[r].end());
      while (!reachable.empty()) {
        const int x = reachable.back();
        reachable.pop_back();
        if (size_t(x) == r) return Error{Code::kBadInput, "grammar: rule '" + g_->rules[r].name + "' is left-recursive"};
        if (seen[size_t(x)]) continue;
        seen[size_t(x)] = true;
        reachable.insert(reachable.end(), first[size_t(x)].begin(), first[size_t(x)].end());
      }
    }
    return {};
  }

  std::string_view s_;
  size_t i_ = 0;
  GbnfGrammar* g_ = nullptr;
  std::map<std::string, int> names_;
};

// ---------------------------------------------------------------- matcher

struct Frame {
  int rule, alt, idx;
  auto operator<=>(const Frame&) const = default;
};
using Stack = std::vector<Frame>;
using Stacks = std::vector<Stack>;
constexpr size_t kMaxDepth = 256;

void normalize(const GbnfGrammar& g, Stack& s) {
  while (!s.empty() && size_t(s.back().idx) == g.rules[size_t(s.back().rule)].alts[size_t(s.back().alt)].size()) s.pop_back();
}

const GbnfElem& top_elem(const GbnfGrammar& g, const Stack& s) {
  const Frame& f = s.back();
  return g.rules[size_t(f.rule)].alts[size_t(f.alt)][size_t(f.idx)];
}

// Expands references until every stack's top is a character element (or the
// stack is empty: the sentence may end here).
void expand(const GbnfGrammar& g, Stack s, Stacks& out) {
  normalize(g, s);
  if (s.empty() || !top_elem(g, s).is_ref) {
    out.push_back(std::move(s));
    return;
  }
  if (s.size() > kMaxDepth) return;  // runaway nesting: dropped
  const int r = top_elem(g, s).ref;
  s.back().idx++;
  normalize(g, s);  // tail position: the parent is done (keeps repetition stacks flat)
  for (size_t a = 0; a < g.rules[size_t(r)].alts.size(); ++a) {
    Stack s2 = s;
    s2.push_back(Frame{r, static_cast<int>(a), 0});
    expand(g, std::move(s2), out);
  }
}

void dedupe(Stacks& st) {
  std::sort(st.begin(), st.end());
  st.erase(std::unique(st.begin(), st.end()), st.end());
}

Stacks advance(const GbnfGrammar& g, const Stacks& in, uint32_t cp) {
  Stacks out;
  for (const Stack& s : in) {
    if (s.empty() || !top_elem(g, s).matches(cp)) continue;
    Stack s2 = s;
    s2.back().idx++;
    expand(g, std::move(s2), out);
  }
  dedupe(out);
  return out;
}

bool any_empty(const Stacks& st) {
  return std::any_of(st.begin(), st.end(), [](const Stack& s) { return s.empty(); });
}

}  // namespace

Result<std::shared_ptr<const GbnfGrammar>> parse_gbnf(std::string_view text) { return Parser(text).run(); }

// ---------------------------------------------------------------- vocabulary trie

struct VocabTrie {
  struct Node {
    std::vector<std::pair<uint8_t, int>> children;  // sorted by byte
    std::vector<Token> tokens;                      // tokens whose piece ends here
  };
  std::vector<Node> nodes{Node{}};
  int child(int n, uint8_t b) const {
    for (const auto& c : nodes[size_t(n)].children)
      if (c.first == b) return c.second;
    return -1;
  }
  void insert(const std::string& piece, Token t) {
    int n = 0;
    for (unsigned char b : piece) {
      int c = child(n, b);
      if (c < 0) {
        c = static_cast<int>(nodes.size());
        nodes.push_back(Node{});
        auto& ch = nodes[size_t(n)].children;
        ch.insert(std::upper_bound(ch.begin(), ch.end(), std::make_pair(b, -1)), std::make_pair(b, c));
      }
      n = c;
    }
    nodes[size_t(n)].tokens.push_back(t);
  }
};

namespace {

std::shared_ptr<const VocabTrie> trie_for(const Tokenizer& tok) {
  static std::mutex mu;
  static std::map<const Tokenizer*, std::weak_ptr<const VocabTrie>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto p = cache[&tok].lock()) return p;
  auto t = std::make_shared<VocabTrie>();
  for (Token i = 0; i < tok.n_vocab(); ++i) {
    if (tok.is_eog(i)) continue;
    const TokenKind k = tok.kind(i);
    if (k == TokenKind::kControl || k == TokenKind::kUnused || k == TokenKind::kUndefined || k == TokenKind::kUnknown) continue;
    const std::string piece = tok.token_to_piece(i);
    if (!piece.empty()) t->insert(piece, i);
  }
  cache[&tok] = t;
  return t;
}

}  // namespace

struct GrammarFilter::State {
  Stacks stacks;
  std::string partial;  // bytes of an incomplete UTF-8 character
  bool first = true;    // the next token is the first (SentencePiece drops its leading space)
};

GrammarFilter::GrammarFilter(std::shared_ptr<const GbnfGrammar> g, const Tokenizer& tok)
    : g_(std::move(g)), tok_(tok), trie_(trie_for(tok)), st_(std::make_unique<State>()) {
  Stack s;
  s.push_back(Frame{g_->root, 0, 0});
  for (size_t a = 0; a < g_->rules[size_t(g_->root)].alts.size(); ++a) {
    Stack s2;
    s2.push_back(Frame{g_->root, static_cast<int>(a), 0});
    expand(*g_, std::move(s2), st_->stacks);
  }
  dedupe(st_->stacks);
}

GrammarFilter::~GrammarFilter() = default;

namespace {

// One complete UTF-8 sequence → its code point; false for invalid bytes
// (bad lead bytes, overlong forms: what the decoder would turn into U+FFFD).
bool decode_one(const std::string& p, uint32_t* cp) {
  const std::vector<uint32_t> cps = utf8_decode(p);
  if (cps.size() != 1) return false;
  if (cps[0] == 0xFFFD && p != "\xEF\xBF\xBD") return false;
  *cp = cps[0];
  return true;
}

// A lead byte that can start a multi-byte sequence still being collected.
bool valid_lead(uint8_t b) { return b >= 0xC2 && b <= 0xF4; }

// Could an incomplete UTF-8 sequence `p` still become a character some stack
// accepts? (the code points it can start span [lo, hi])
bool partial_viable(const GbnfGrammar& g, const Stacks& stacks, const std::string& p) {
  const int n = utf8_len(static_cast<uint8_t>(p[0]));
  const uint32_t mask = n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07;
  uint32_t lo = static_cast<uint8_t>(p[0]) & mask, hi = lo;
  for (int i = 1; i < n; ++i) {
    const bool have = static_cast<size_t>(i) < p.size();
    lo = lo << 6 | ((have ? static_cast<uint8_t>(p[size_t(i)]) : 0x80) & 0x3F);
    hi = hi << 6 | ((have ? static_cast<uint8_t>(p[size_t(i)]) : 0xBF) & 0x3F);
  }
  for (const Stack& s : stacks) {
    if (s.empty()) continue;
    const GbnfElem& e = top_elem(g, s);
    if (e.negated) return true;  // a negated class excludes a few characters at most
    for (const auto& r : e.ranges)
      if (r.first <= hi && r.second >= lo) return true;
  }
  return false;
}

// Feeds bytes into (stacks, partial); false when the grammar rejects them.
bool feed(const GbnfGrammar& g, Stacks& stacks, std::string& partial, std::string_view bytes) {
  for (char ch : bytes) {
    partial += ch;
    const int need = utf8_len(static_cast<uint8_t>(partial[0]));
    if (static_cast<int>(partial.size()) < need) {
      if (!valid_lead(static_cast<uint8_t>(partial[0]))) return false;
      if (partial.size() > 1 && (static_cast<uint8_t>(ch) & 0xC0) != 0x80) return false;
      if (!partial_viable(g, stacks, partial)) return false;
      continue;
    }
    uint32_t cp;
    const bool ok = decode_one(partial, &cp);
    partial.clear();
    if (!ok) return false;
    stacks = advance(g, stacks, cp);
    if (stacks.empty()) return false;
  }
  return true;
}

struct Walker {
  const GbnfGrammar& g;
  const VocabTrie& trie;
  std::vector<bool>& allowed;
  size_t visits = 0;
  void walk(int node, const Stacks& stacks, const std::string& partial) {
    ++visits;
    for (Token t : trie.nodes[size_t(node)].tokens) allowed[size_t(t)] = true;
    for (const auto& [b, child] : trie.nodes[size_t(node)].children) {
      std::string p = partial + static_cast<char>(b);
      const int need = utf8_len(static_cast<uint8_t>(p[0]));
      if (static_cast<int>(p.size()) < need) {
        if (!valid_lead(static_cast<uint8_t>(p[0]))) continue;
        if ((b & 0xC0) != 0x80 && p.size() > 1) continue;  // not a continuation byte
        if (!partial_viable(g, stacks, p)) continue;
        walk(child, stacks, p);
        continue;
      }
      uint32_t cp;
      if (!decode_one(p, &cp)) continue;
      const Stacks next = advance(g, stacks, cp);
      if (!next.empty()) walk(child, next, std::string());
    }
  }
};

}  // namespace

bool GrammarFilter::mask(std::span<float> logits) {
  std::vector<bool> allowed(logits.size(), false);
  Walker w{*g_, *trie_, allowed};
  if (!st_->stacks.empty()) {
    w.walk(0, st_->stacks, st_->partial);
    // the first SentencePiece token's leading space is dropped from the text
    if (st_->first && tok_.model() == Tokenizer::Model::kSpm) {
      const int sp = trie_->child(0, ' ');
      if (sp >= 0) {
        std::vector<bool> extra(logits.size(), false);
        Walker w2{*g_, *trie_, extra};
        w2.walk(sp, st_->stacks, st_->partial);
        w.visits += w2.visits;
        for (size_t i = 0; i < extra.size(); ++i)
          if (extra[i] && tok_.kind(static_cast<Token>(i)) == TokenKind::kNormal) allowed[i] = true;
      }
    }
  }
  visits_ = w.visits;
  const bool can_end = any_empty(st_->stacks) && st_->partial.empty();
  bool any = false;
  for (size_t i = 0; i < logits.size(); ++i) {
    const bool ok = tok_.is_eog(static_cast<Token>(i)) ? can_end : allowed[i];
    if (!ok) logits[i] = -std::numeric_limits<float>::infinity();
    any = any || ok;
  }
  return any;
}

void GrammarFilter::accept(Token t) {
  if (tok_.is_eog(t)) return;
  std::string piece = tok_.token_to_piece(t);
  if (st_->first && !piece.empty()) {
    if (tok_.model() == Tokenizer::Model::kSpm && piece[0] == ' ' && tok_.kind(t) == TokenKind::kNormal) piece.erase(0, 1);
    st_->first = false;
  }
  Stacks s = st_->stacks;
  std::string partial = st_->partial;
  if (feed(*g_, s, partial, piece)) {
    st_->stacks = std::move(s);
    st_->partial = std::move(partial);
  } else {
    st_->stacks.clear();  // a token mask() did not allow: nothing can follow
  }
}

bool GrammarFilter::accept_text(std::string_view text) {
  st_->first = false;
  Stacks s = st_->stacks;
  std::string partial = st_->partial;
  if (!feed(*g_, s, partial, text)) return false;
  st_->stacks = std::move(s);
  st_->partial = std::move(partial);
  return true;
}

bool GrammarFilter::complete() const {
  // satisfied and nothing more can follow
  return st_->partial.empty() && !st_->stacks.empty() &&
         std::all_of(st_->stacks.begin(), st_->stacks.end(), [](const Stack& s) { return s.empty(); });
}

std::vector<Token> GrammarFilter::forced() {
  if (!st_->partial.empty()) return {};
  // the text every path agrees on
  std::string text;
  Stacks s = st_->stacks;
  while (text.size() < 256 && !s.empty() && !any_empty(s)) {
    const int64_t cp = top_elem(*g_, s[0]).single();
    if (cp < 0) break;
    bool same = true;
    for (const Stack& x : s) same = same && top_elem(*g_, x).single() == cp;
    if (!same) break;
    utf8_append(static_cast<uint32_t>(cp), text);
    s = advance(*g_, s, static_cast<uint32_t>(cp));
  }
  if (text.empty()) return {};
  // longest-match tokenization over the trie (valid tokens for exactly this
  // text; the first token of a SentencePiece reply would lose a leading
  // space, so forcing starts only after it)
  if (st_->first && tok_.model() == Tokenizer::Model::kSpm) return {};
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    int n = 0;
    Token best = -1;
    size_t best_len = 0;
    for (size_t k = i; k < text.size(); ++k) {
      n = trie_->child(n, static_cast<uint8_t>(text[k]));
      if (n < 0) break;
      if (!trie_->nodes[size_t(n)].tokens.empty()) {
        best = trie_->nodes[size_t(n)].tokens.front();
        best_len = k + 1 - i;
      }
    }
    if (best < 0) break;  // no token spells the next byte: let sampling continue
    out.push_back(best);
    i += best_len;
  }
  return out;
}

// ---------------------------------------------------------------- JSON grammars

namespace {

const char* kJsonValueRules = R"(value ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}"
array ::= "[" ws ( value ws ( "," ws value ws )* )? "]"
string ::= "\"" ( [^"\\\x00-\x1f] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] ) )* "\""
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
integer ::= "-"? ( "0" | [1-9] [0-9]* )
ws ::= [ \t\n]?
)";

std::string gbnf_literal(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

struct SchemaConv {
  std::string rules;
  int n = 0;
  Result<std::string> conv(const nlohmann::ordered_json& s, int depth) {
    if (depth > 32) return Error{Code::kBadInput, "json schema nested too deeply"};
    if (!s.is_object()) return std::string("value");
    if (s.contains("const")) return gbnf_literal(s["const"].dump());
    if (s.contains("enum")) {
      if (!s["enum"].is_array() || s["enum"].empty()) return Error{Code::kBadInput, "json schema: enum must be a non-empty array"};
      std::string alt = "(";
      for (size_t i = 0; i < s["enum"].size(); ++i) alt += (i ? " | " : "") + gbnf_literal(s["enum"][i].dump());
      return alt + ")";
    }
    const std::string type = s.contains("type") && s["type"].is_string() ? s["type"].get<std::string>() : "";
    if (type == "string") return std::string("string");
    if (type == "number") return std::string("number");
    if (type == "integer") return std::string("integer");
    if (type == "boolean") return std::string("(\"true\" | \"false\")");
    if (type == "null") return std::string("\"null\"");
    if (type == "array") {
      auto item = conv(s.value("items", nlohmann::ordered_json::object()), depth + 1);
      if (!item) return item.error();
      return "(\"[\" ws ( " + *item + " ws ( \",\" ws " + *item + " ws )* )? \"]\")";
    }
    if (type == "object" || s.contains("properties")) {
      if (!s.contains("properties") || !s["properties"].is_object()) return std::string("object");
      if (s["properties"].empty()) return std::string("(\"{\" ws \"}\")");  // no arguments
      std::string seq = "\"{\" ws";
      bool first = true;
      for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
        auto v = conv(it.value(), depth + 1);
        if (!v) return v.error();
        if (!first) seq += " \",\" ws";
        seq += " " + gbnf_literal(nlohmann::json(it.key()).dump()) + " ws \":\" ws " + *v + " ws";
        first = false;
      }
      const std::string name = "obj" + std::to_string(n++);
      rules += name + " ::= " + seq + " \"}\"\n";
      return name;
    }
    return std::string("value");
  }
};

}  // namespace

Result<std::string> gbnf_tool_call(const std::vector<std::pair<std::string, std::string>>& tools) {
  if (tools.empty()) return Error{Code::kBadInput, "no tools to call"};
  SchemaConv c;
  std::string root = "root ::= ";
  for (size_t i = 0; i < tools.size(); ++i) {
    nlohmann::ordered_json params;
    try {
      params = nlohmann::ordered_json::parse(tools[i].second.empty() ? "{}" : tools[i].second);
    } catch (const std::exception& e) {
      return Error{Code::kBadInput, "tool '" + tools[i].first + "': parameters are not valid JSON"};
    }
    // no parameters: an empty arguments object
    auto args = c.conv(params.is_object() && !params.empty() ? params
                                                            : nlohmann::ordered_json{{"type", "object"}, {"properties", nlohmann::ordered_json::object()}},
                       0);
    if (!args) return args.error();
    root += (i ? " | " : "") + std::string("\"{\" ws \"\\\"name\\\"\" ws \":\" ws ") + gbnf_literal(nlohmann::json(tools[i].first).dump()) +
            " ws \",\" ws \"\\\"arguments\\\"\" ws \":\" ws " + *args + " ws \"}\"";
  }
  return root + "\n" + c.rules + kJsonValueRules;
}

std::string gbnf_json_object() { return std::string("root ::= object\n") + kJsonValueRules; }

Result<std::string> gbnf_from_json_schema(std::string_view schema_json) {
  nlohmann::ordered_json s;  // keeps the properties in the schema's order
  try {
    s = nlohmann::ordered_json::parse(schema_json);
  } catch (const std::exception& e) {
    return Error{Code::kBadInput, std::string("json schema is not valid JSON: ") + e.what()};
  }
  SchemaConv c;
  auto root = c.conv(s, 0);
  if (!root) return root.error();
  return "root ::= " + *root + "\n" + c.rules + kJsonValueRules;
}

}  // namespace hearth::llm
