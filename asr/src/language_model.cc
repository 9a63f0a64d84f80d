// The language-model compiler: sentences → interpolated Witten-Bell n-gram
// LM written as ARPA text (backoff form), plus the closed dictionary.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include "hearth/asr/asr.h"

namespace hearth {

std::vector<std::string> lm_words(std::string_view sentence) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : sentence) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'' || u >= 0x80) {
      cur += static_cast<char>(std::tolower(u));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  // Apostrophes only inside words ("what's"), never at the edges.
  for (std::string& w : out) {
    while (!w.empty() && w.front() == '\'') w.erase(w.begin());
    while (!w.empty() && w.back() == '\'') w.pop_back();
  }
  out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
  return out;
}

std::vector<std::string> home_words(const Home& home) {
  std::set<std::string> words;
  auto add = [&](std::string_view phrase) {
    for (std::string& w : lm_words(phrase)) words.insert(std::move(w));
  };
  for (const Floor& f : home.floors()) {
    add(f.name);
    for (const std::string& a : f.aliases) add(a);
  }
  for (const Area& a : home.areas()) {
    add(a.name);
    for (const std::string& x : a.aliases) add(x);
  }
  for (const Device& d : home.devices()) {
    add(d.name);
    for (const std::string& x : d.aliases) add(x);
  }
  return {words.begin(), words.end()};
}

namespace {

using Gram = std::vector<int>;

std::string fmt_log(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", p > 0 ? std::log10(p) : -99.0);
  return buf;
}

}  // namespace

Result<std::string> build_arpa(const std::vector<std::string>& sentences, const std::vector<std::string>& extra_words,
                               int order) {
  if (order < 1 || order > 4) return Error{Code::kBadInput, "lm order must be 1..4, got " + std::to_string(order)};
  std::map<std::string, int> ids;  // sorted vocabulary → deterministic ids
  std::vector<std::vector<std::string>> split;
  split.reserve(sentences.size());
  for (const std::string& s : sentences) {
    std::vector<std::string> w = lm_words(s);
    if (w.empty()) continue;
    for (const std::string& x : w) ids.emplace(x, 0);
    split.push_back(std::move(w));
  }
  for (const std::string& e : extra_words)
    for (const std::string& x : lm_words(e)) ids.emplace(x, 0);
  if (ids.empty()) return Error{Code::kBadInput, "no words to build a language model from"};
  ids.emplace("<s>", 0);
  ids.emplace("</s>", 0);
  std::vector<std::string> names;
  for (auto& [w, id] : ids) {
    id = static_cast<int>(names.size());
    names.push_back(w);
  }
  const int bos = ids["<s>"], eos = ids["</s>"];

  // counts[k-1]: k-gram → count. Unigrams never count <s>.
  std::vector<std::map<Gram, double>> counts(order);
  for (const auto& w : split) {
    Gram seq{bos};
    for (const std::string& x : w) seq.push_back(ids[x]);
    seq.push_back(eos);
    for (size_t i = 1; i < seq.size(); ++i)
      for (int k = 1; k <= order && static_cast<int>(i) + 1 >= k; ++k)
        counts[k - 1][Gram(seq.begin() + (i + 1 - k), seq.begin() + i + 1)] += 1;
  }
  for (size_t id = 0; id < names.size(); ++id)
    if (static_cast<int>(id) != bos && !counts[0].count(Gram{static_cast<int>(id)})) counts[0][Gram{static_cast<int>(id)}] = 1;

  // Unigrams: maximum likelihood (every vocabulary word has count ≥ 1).
  std::vector<std::map<Gram, double>> prob(order), backoff(order);
  double total = 0;
  for (const auto& [g, c] : counts[0]) total += c;
  for (const auto& [g, c] : counts[0]) prob[0][g] = c / total;
  prob[0][Gram{bos}] = 0;  // written as -99

  // P(w | h) with backoff, from the orders already computed.
  auto p_backoff = [&](auto&& self, const Gram& g) -> double {
    const int k = static_cast<int>(g.size());
    auto it = prob[k - 1].find(g);
    if (it != prob[k - 1].end()) return it->second;
    if (k == 1) return 0;
    Gram ctx(g.begin(), g.end() - 1);
    auto b = backoff[k - 2].find(ctx);
    double bw = b == backoff[k - 2].end() ? 1.0 : b->second;
    return bw * self(self, Gram(g.begin() + 1, g.end()));
  };

  for (int k = 2; k <= order; ++k) {
    // Context totals C(h) and distinct followers T(h).
    std::map<Gram, std::pair<double, double>> ctx;
    for (const auto& [g, c] : counts[k - 1]) {
      auto& e = ctx[Gram(g.begin(), g.end() - 1)];
      e.first += c;
      e.second += 1;
    }
    for (const auto& [g, c] : counts[k - 1]) {
      const auto& [cc, tt] = ctx[Gram(g.begin(), g.end() - 1)];
      const double lower = p_backoff(p_backoff, Gram(g.begin() + 1, g.end()));
      prob[k - 1][g] = (c + tt * lower) / (cc + tt);
    }
    for (const auto& [h, ct] : ctx) backoff[k - 2][h] = ct.second / (ct.first + ct.second);
  }

  std::string out;
  out += "\\data\\\n";
  for (int k = 1; k <= order; ++k) out += "ngram " + std::to_string(k) + "=" + std::to_string(prob[k - 1].size()) + "\n";
  for (int k = 1; k <= order; ++k) {
    out += "\n\\" + std::to_string(k) + "-grams:\n";
    for (const auto& [g, p] : prob[k - 1]) {
      out += fmt_log(p);
      out += ' ';
      for (size_t i = 0; i < g.size(); ++i) {
        if (i) out += ' ';
        out += names[g[i]];
      }
      if (k < order) {
        auto b = backoff[k - 1].find(g);
        if (b != backoff[k - 1].end()) {
          out += ' ';
          out += fmt_log(b->second);
        } else if (g.size() == 1 && g[0] != eos) {
          out += " 0.000000";
        }
      }
      out += '\n';
    }
  }
  out += "\n\\end\\\n";
  return out;
}

Result<CompiledLanguage> compile_language_model(const std::vector<std::string>& sentences, const Home& home,
                                                const AsrConfig& cfg, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{Code::kIo, "asr: cannot create " + dir + ": " + ec.message()};
  std::vector<std::string> extra = home_words(home);
  // Every sentence word and home word must be speakable: the dictionary
  // decides which ones stay (words nobody can spell drop out of the LM too).
  std::set<std::string> vocab(extra.begin(), extra.end());
  for (const std::string& s : sentences)
    for (std::string& w : lm_words(s)) vocab.insert(std::move(w));
  auto lex = build_lexicon({vocab.begin(), vocab.end()}, cfg.pocketsphinx.dict);
  if (!lex) return lex.error();
  std::set<std::string> missing(lex->missing.begin(), lex->missing.end());
  std::vector<std::string> kept;
  for (const std::string& s : sentences) {
    std::vector<std::string> w = lm_words(s);
    bool ok = !w.empty();
    for (const std::string& x : w) ok = ok && !missing.count(x);
    if (ok) kept.push_back(s);
  }
  std::vector<std::string> extra_kept;
  for (const std::string& w : extra)
    if (!missing.count(w)) extra_kept.push_back(w);
  auto arpa = build_arpa(kept, extra_kept, cfg.lm_order);
  if (!arpa) return arpa.error();

  CompiledLanguage out;
  out.dir = dir;
  out.arpa_path = dir + "/home.arpa";
  out.dict_path = dir + "/home.dict";
  out.g2p_words = lex->g2p_words;
  out.missing_words = lex->missing;
  out.n_words = vocab.size() - missing.size();
  for (size_t pos = 0; (pos = arpa->find('\n', pos)) != std::string::npos; ++pos) ++out.n_ngrams;
  auto write = [](const std::string& path, const std::string& text) -> Result<void> {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) return Error{Code::kIo, "asr: cannot write " + path};
    return {};
  };
  HEARTH_TRY(write(out.arpa_path, *arpa));
  HEARTH_TRY(write(out.dict_path, lex->to_dict_text()));
  return out;
}

// -------------------------------------------------------- end of sentence

EndOfSentenceModel EndOfSentenceModel::build(const std::vector<std::string>& sentences, int max_context, int min_count) {
  EndOfSentenceModel m;
  m.max_context_ = std::clamp(max_context, 1, 8);
  m.min_count_ = static_cast<uint32_t>(std::max(min_count, 1));
  std::vector<std::string> toks;
  std::string key;
  for (const std::string& s : sentences) {
    toks.assign(1, "<s>");
    for (std::string& w : lm_words(s)) toks.push_back(std::move(w));
    const size_t n = toks.size();
    if (n < 2) continue;
    // Every position after a word is a place the sentence could end.
    for (size_t i = 1; i < n; ++i) {
      key.clear();
      for (size_t k = 1; k <= static_cast<size_t>(m.max_context_) && k <= i + 1; ++k) {
        key = k == 1 ? toks[i] : toks[i + 1 - k] + ' ' + key;
        Count& c = m.counts_[key];
        ++c.seen;
        if (i + 1 == n) ++c.ended;
      }
    }
  }
  return m;
}

double EndOfSentenceModel::end_probability(std::string_view text) const {
  std::vector<std::string> toks{"<s>"};
  for (std::string& w : lm_words(text)) toks.push_back(std::move(w));
  const size_t n = toks.size();
  if (n < 2 || counts_.empty()) return 0.0;
  // Keys of the last k words, longest first.
  std::vector<std::string> keys;
  std::string key;
  for (size_t k = 1; k <= static_cast<size_t>(max_context_) && k <= n; ++k) {
    key = k == 1 ? toks[n - 1] : toks[n - k] + ' ' + key;
    keys.push_back(key);
  }
  for (size_t k = keys.size(); k-- > 0;) {
    auto it = counts_.find(keys[k]);
    if (it != counts_.end() && it->second.seen >= min_count_)
      return static_cast<double>(it->second.ended) / it->second.seen;
  }
  return 0.0;
}

}  // namespace hearth
