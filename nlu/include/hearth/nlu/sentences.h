// nlu/sentences.h: the command language as text, for the speech recognizer.
// asr/ compiles its closed-vocabulary language model from the same templates
// the grammar matches, with the home's names filled in; asr must not depend on
// nlu, so the daemon calls this and hands the sentences to asr.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/devices/home.h"
#include "hearth/nlu/nlu.h"

namespace hearth {

struct SentenceSampleOptions {
  size_t n_sentences = 20000;  // random walks over the compiled templates
  uint64_t seed = 1;           // same seed, same sentences
  double p_the = 0.6;          // "the" said before a name/area/kind list phrase (templates drop it)
  double p_polite = 0.08;      // "please" / "could you" at the start or end
  double custom_share = 0.3;   // extra sentences from the custom intents alone (× n_sentences)
  // Sample each built-in template on its own (n_sentences / templates walks
  // each, seeded by its text) instead of walking the merged trie: a template
  // change then leaves the others' sentences alone.
  bool per_template = false;
};

struct CommandLanguage {
  std::vector<std::string> sentences;   // lower case, tokenized words joined by one space
  std::vector<std::string> vocabulary;  // every word the grammar can match (sorted, unique)
};

// Samples sentences from the built-in templates plus `cfg`'s custom sentences
// (lists filled from `home`): numbers spelled in words, durations, free-word
// slots filled from a small word list. Errors: a custom template that does
// not compile (as make_template_parser).
Result<CommandLanguage> sample_command_language(const Home& home, const NluConfig& cfg,
                                                const SentenceSampleOptions& opt = {});

// "twenty one", "one hundred", "twenty one point five": how a number is said.
std::string number_to_words(double value);

}  // namespace hearth
