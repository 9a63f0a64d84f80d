// sample_command_language(): random walks over the compiled template trie
// (grammar.h) that turn the command language into plain sentences for the
// speech recognizer's language model (asr/ compiles an n-gram LM from them).

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "grammar.h"
#include "hearth/nlu/sentences.h"
#include "text.h"

namespace hearth {
namespace {

constexpr std::string_view kBuiltinTemplates =
#include "templates_en.inc"
    ;

// Stand-ins for free-word slots ({timer_name:*}, {name:*}): common short nouns.
const char* const kFreeWords[] = {"pasta", "tea", "egg", "laundry", "pizza", "bread", "oven", "cake", "rice", "nap"};

const char* const kOnes[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                             "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                             "seventeen", "eighteen", "nineteen"};
const char* const kTens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};

std::string integer_words(long n) {
  if (n < 0) return "minus " + integer_words(-n);
  if (n < 20) return kOnes[n];
  if (n < 100) return std::string(kTens[n / 10]) + (n % 10 ? std::string(" ") + kOnes[n % 10] : "");
  if (n < 1000)
    return std::string(kOnes[n / 100]) + " hundred" + (n % 100 ? " " + integer_words(n % 100) : "");
  if (n < 1000000) return integer_words(n / 1000) + " thousand" + (n % 1000 ? " " + integer_words(n % 1000) : "");
  return std::to_string(n);
}

}  // namespace

std::string number_to_words(double value) {
  double ip = std::trunc(value);
  std::string s = integer_words(static_cast<long>(ip));
  double frac = std::fabs(value - ip);
  if (frac > 1e-9) {
    int tenths = static_cast<int>(std::lround(frac * 10));
    if (tenths >= 10) return number_to_words(ip + (value < 0 ? -1 : 1));
    if (tenths > 0) s += std::string(" point ") + kOnes[tenths];
  }
  return s;
}

namespace nlu {

// Friend of nlu::Grammar: reads its trie, lists and specials.
class SentenceSampler {
 public:
  // `skip_phrases`: the config's skip words, said at the start as often as "please".
  // `contractions`: say "i'd like" for "i would like" half of the time (contract()).
  SentenceSampler(const nlu::Grammar& g, const SentenceSampleOptions& opt, const std::vector<std::string>& skip_phrases,
                  bool contractions)
      : g_(g), opt_(opt), rng_(opt.seed), contractions_(contractions) {
    for (const std::string& p : skip_phrases) {
      std::string words;
      for (const std::string& w : nlu::tokenize(p)) (words.empty() ? words : words += ' ') += w;
      if (!words.empty()) skip_phrases_.push_back(std::move(words));
    }
  }

  std::string sample() {
    std::vector<std::string> out;
    after_list_ = false;
    if (chance(opt_.p_polite)) out.push_back(chance(0.5) ? "please" : "could you");
    if (!skip_phrases_.empty() && chance(opt_.p_polite)) out.push_back(skip_phrases_[uniform(skip_phrases_.size())]);
    int node = 0;
    for (int depth = 0; depth < 64; ++depth) {
      const auto& n = g_.nodes_[node];
      const size_t n_edges = n.words.size() + n.specials.size();
      if (n_edges == 0) break;
      if (!n.accepts.empty() && chance(0.35)) break;
      size_t pick = uniform(n_edges);
      if (pick < n.words.size()) {
        out.push_back(g_.words_[n.words[pick].first]);
        node = n.words[pick].second;
        after_list_ = false;
      } else {
        const auto& [special, child] = n.specials[pick - n.words.size()];
        const size_t before = out.size();
        emit_special(g_.specials_[special], out);
        const nlu::Special& sp = g_.specials_[special];
        if (sp.kind == nlu::SpecialKind::kList) after_list_ = true;
        else if (out.size() != before) after_list_ = false;
        node = child;
      }
    }
    if (chance(opt_.p_polite)) out.push_back("please");
    std::vector<std::string> words;
    for (const std::string& w : out)
      for (const std::string& x : nlu::tokenize(w)) words.push_back(x);
    if (contractions_) contract(words);
    std::string s;
    for (const std::string& w : words) {
      if (!s.empty()) s += ' ';
      s += w;
    }
    return s;
  }

  std::vector<std::string> vocabulary() const {
    std::set<std::string> v(g_.words_.begin(), g_.words_.end());
    for (const char* w : kFreeWords) v.insert(w);
    for (const char* w : {"please", "could", "you", "the", "point", "percent", "degrees"}) v.insert(w);
    for (const std::string& p : skip_phrases_)
      for (const std::string& w : nlu::tokenize(p)) v.insert(w);
    v.erase("");
    return {v.begin(), v.end()};
  }

 private:
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  size_t uniform(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  // Templates hold words after tokenize(), which expands contractions; people
  // say "i'd like", "i'll have", "what's": half of the time the sentence says
  // the contracted form, so the recognizer's LM has both (its output goes
  // through tokenize() again before parsing). Real coffee orders: 72% -> 85%
  // exact on the tuning half with the carrier phrases added at the same time.
  void contract(std::vector<std::string>& words) {
    struct Form {
      const char* first;
      const char* second;
      const char* tail;
    };
    static const Form kForms[] = {
        {"i", "would", "'d"},  {"you", "would", "'d"}, {"we", "would", "'d"},  {"i", "will", "'ll"},
        {"you", "will", "'ll"}, {"we", "will", "'ll"}, {"it", "will", "'ll"}, {"i", "am", "'m"},
        {"it", "is", "'s"},    {"what", "is", "'s"},   {"that", "is", "'s"},  {"you", "are", "'re"},
        {"we", "are", "'re"},  {"they", "are", "'re"}, {"let", "us", "'s"}};
    std::vector<std::string> out;
    out.reserve(words.size());
    for (size_t i = 0; i < words.size(); ++i) {
      if (i + 1 < words.size()) {
        const Form* hit = nullptr;
        for (const Form& f : kForms)
          if (words[i] == f.first && words[i + 1] == f.second) hit = &f;
        if (hit && chance(0.5)) {
          out.push_back(words[i] + hit->tail);
          ++i;
          continue;
        }
      }
      out.push_back(words[i]);
    }
    words = std::move(out);
  }

  void emit_special(const nlu::Special& s, std::vector<std::string>& out) {
    switch (s.kind) {
      case nlu::SpecialKind::kWordSet: {
        size_t n = s.words.size() + (s.optional ? 1 : 0);
        size_t pick = uniform(std::max<size_t>(n, 1));
        if (pick < s.words.size()) out.push_back(g_.words_[s.words[pick]]);
        break;
      }
      case nlu::SpecialKind::kList: {
        const nlu::PhraseList& list = g_.lists_[s.list];
        // Config lists and rules ("custom:...", "rule:...") say exactly their phrases.
        const bool determiner = list.name != "color" && list.name != "color_temp" &&
                                list.name.rfind("custom:", 0) != 0 && list.name.rfind("rule:", 0) != 0;
        // "the" before a phrase, not between two ("the kitchen lights", never "kitchen the lights").
        if (determiner && !after_list_ && chance(opt_.p_the) && (out.empty() || out.back() != "the"))
          out.push_back("the");
        int node = 0;
        for (int depth = 0; depth < 16; ++depth) {
          const auto& n = list.nodes[node];
          if (n.next.empty() || (n.value >= 0 && chance(0.5))) break;
          const auto& [word, child] = n.next[uniform(n.next.size())];
          out.push_back(g_.words_[word]);
          node = child;
        }
        break;
      }
      case nlu::SpecialKind::kNumber: {
        double lo = s.lo, hi = std::min(s.hi, s.lo + 1000.0);
        long v = std::lround(lo) + static_cast<long>(uniform(static_cast<size_t>(std::max(0.0, hi - lo)) + 1));
        double value = static_cast<double>(v);
        if (hi - lo <= 60 && v < hi && chance(0.15)) value += 0.5;
        for (const std::string& w : nlu::tokenize(number_to_words(value))) out.push_back(w);
        break;
      }
      case nlu::SpecialKind::kDuration: {
        static const char* const kUnits[] = {"seconds", "minutes", "minutes", "hours"};
        switch (uniform(6)) {
          case 0: out.insert(out.end(), {"an", "hour"}); break;
          case 1: out.insert(out.end(), {"half", "an", "hour"}); break;
          case 2: out.insert(out.end(), {"an", "hour", "and", "a", "half"}); break;
          default: {
            long n = 1 + static_cast<long>(uniform(59));
            for (const std::string& w : nlu::tokenize(integer_words(n))) out.push_back(w);
            out.push_back(n == 1 ? "minute" : kUnits[uniform(4)]);
          }
        }
        break;
      }
      case nlu::SpecialKind::kWildcard:
        out.push_back(kFreeWords[uniform(std::size(kFreeWords))]);
        break;
    }
  }

  const nlu::Grammar& g_;
  SentenceSampleOptions opt_;
  std::mt19937_64 rng_;
  bool after_list_ = false;  // the last thing emitted was a list phrase
  std::vector<std::string> skip_phrases_;  // tokenized, words joined by one space
  bool contractions_ = false;
};

}  // namespace nlu

namespace {

// The built-in source cut into its macro lines and one intent block per
// template line, so each template can be sampled from a grammar of its own.
struct TemplateSource {
  std::string macros;
  std::vector<std::string> blocks;  // "intent X\n  <template>\n"
};

TemplateSource split_templates(std::string_view src) {
  TemplateSource out;
  std::string intent;
  for (size_t pos = 0; pos < src.size();) {
    size_t end = src.find('\n', pos);
    if (end == std::string_view::npos) end = src.size();
    std::string_view line = src.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '$') {
      (out.macros += line) += '\n';
    } else if (line.rfind("intent ", 0) == 0) {
      intent = std::string(line);
    } else if (line[0] == ' ') {
      const size_t first = line.find_first_not_of(' ');
      if (first == std::string_view::npos || line[first] == '#' || intent.empty()) continue;
      out.blocks.push_back(intent + "\n" + std::string(line) + "\n");
    }
  }
  return out;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

Result<CommandLanguage> sample_command_language(const Home& home, const NluConfig& cfg,
                                                const SentenceSampleOptions& opt) {
  nlu::Grammar grammar(home);
  HEARTH_TRY(grammar.add_source(kBuiltinTemplates, "templates_en.inc"));
  ConfigErrors vocab_errors;
  grammar.add_config_vocabulary(cfg, vocab_errors);
  if (!vocab_errors.empty())
    return Error{Code::kBadInput, "nlu: custom sentence vocabulary: " + vocab_errors.entries()[0].path + ": " +
                                      vocab_errors.entries()[0].message};
  for (size_t i = 0; i < cfg.custom_intents.size(); ++i) {
    const CustomIntent& ci = cfg.custom_intents[i];
    for (size_t j = 0; j < ci.sentences.size(); ++j) {
      auto r = grammar.add_template(ci.intent, ci.sentences[j], static_cast<int>(i));
      if (!r) return r.error().with_context("nlu: custom intent '" + ci.intent + "' sentence " + std::to_string(j));
    }
  }
  grammar.finish();
  // The built-in command language keeps its LM as it was measured on the
  // synthetic set (docs/benchmarks-asr.md); contractions are said only in
  // the custom sentences' own sample below.
  nlu::SentenceSampler sampler(grammar, opt, cfg.skip_words, /*contractions=*/false);
  CommandLanguage lang;
  lang.sentences.reserve(opt.n_sentences + cfg.custom_intents.size() * 8);
  if (opt.per_template) {
    // Each template's walks come from a grammar of its own, seeded by the
    // template's text: adding or editing one template leaves every other
    // template's sentences as they were.
    const TemplateSource src = split_templates(kBuiltinTemplates);
    const size_t per = (opt.n_sentences + src.blocks.size() - 1) / std::max<size_t>(src.blocks.size(), 1);
    for (const std::string& block : src.blocks) {
      nlu::Grammar one(home);
      HEARTH_TRY(one.add_source(src.macros + block, "templates_en.inc"));
      one.finish();
      SentenceSampleOptions o = opt;
      o.seed = opt.seed ^ fnv1a(block);
      nlu::SentenceSampler walk(one, o, cfg.skip_words, /*contractions=*/false);
      for (size_t i = 0; i < per; ++i) {
        std::string s = walk.sample();
        if (!s.empty()) lang.sentences.push_back(std::move(s));
      }
    }
  } else {
    for (size_t i = 0; i < opt.n_sentences; ++i) {
      std::string s = sampler.sample();
      if (!s.empty()) lang.sentences.push_back(std::move(s));
    }
  }
  lang.vocabulary = sampler.vocabulary();
  if (!cfg.custom_intents.empty()) {
    // Custom sentences are a handful of paths among thousands: sample them
    // from a grammar of their own too, so the LM knows them well.
    std::string macros;
    for (size_t pos = 0; pos < kBuiltinTemplates.size();) {
      size_t end = kBuiltinTemplates.find('\n', pos);
      if (end == std::string_view::npos) end = kBuiltinTemplates.size();
      std::string_view line = kBuiltinTemplates.substr(pos, end - pos);
      if (!line.empty() && line[0] == '$') (macros += line) += '\n';
      pos = end + 1;
    }
    nlu::Grammar custom(home);
    HEARTH_TRY(custom.add_source(macros, "templates_en.inc macros"));
    custom.add_config_vocabulary(cfg, vocab_errors);  // checked above
    for (size_t i = 0; i < cfg.custom_intents.size(); ++i)
      for (const std::string& t : cfg.custom_intents[i].sentences)
        HEARTH_TRY(custom.add_template(cfg.custom_intents[i].intent, t, static_cast<int>(i)));
    custom.finish();
    nlu::SentenceSampler custom_sampler(custom, opt, cfg.skip_words, /*contractions=*/true);
    const size_t n_custom = std::max<size_t>(opt.n_sentences * opt.custom_share, 1);
    for (size_t i = 0; i < n_custom; ++i) {
      std::string s = custom_sampler.sample();
      if (!s.empty()) lang.sentences.push_back(std::move(s));
    }
    std::vector<std::string> v = custom_sampler.vocabulary();
    v.insert(v.end(), lang.vocabulary.begin(), lang.vocabulary.end());
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    lang.vocabulary = std::move(v);
  }
  return lang;
}

}  // namespace hearth
