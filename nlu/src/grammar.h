// nlu/src/grammar.h (private): the template language and its compiled matcher.
//
// TEMPLATE LANGUAGE
// A template is one line of words and groups; it matches a whole sentence
// after both went through tokenize() (lower case, no punctuation, contractions
// expanded, "%" -> percent).
//
//   word            a literal word: turn, on, what's (-> "what is")
//   =word           a filler word that must be said here (=the): filler is
//                   otherwise dropped from templates (see below)
//   (a|b c|d)       exactly one of the alternatives (each a sequence)
//   [a|b]           optional: one of the alternatives or nothing ([please])
//   {list}          one phrase from a slot list; sets the slots of that entry:
//                     {name}      device names and aliases  -> name  = display name
//                     {name:light,switch}   the same, only devices of those domains
//                     {name:sensor.temperature}  ... or of that domain.device_class
//                     {area}      areas and aliases         -> area  = display name
//                     {floor}     floors and aliases        -> floor = display name
//                     {kind}      "lights", "blinds", ...   -> domain [+ device_class]
//                     {kind:cover}          the same, only kinds of those domains
//                     {color}     color names               -> color
//                     {color_temp} "warm white", "daylight" -> color_temp (kelvin)
//                     {duration}  "an hour and a half"      -> hours / minutes / seconds
//   {slot:lo-hi}    a number from lo to hi, in digits or words -> slot
//                   ("{brightness:0-100}" takes "30", "thirty", "a hundred", "21.5")
//   {slot:*}        one to four free words -> slot, as said ({timer_name:*});
//                   never filler at either end, never a frame word (i, me,
//                   a, for, need, ...) and never a name, area, floor or kind
//                   the home knows, so only unknown names end up here
//   <slot=value>    sets a fixed slot value when the template matches this way
//                   (<domain=light>, <state=on>); numbers become numbers
//   $macro          a named fragment defined with "$macro = ..." (see below)
//   (a; b; c)       a permutation: a, b and c each once, in any order
//                   ("([{size}]; [{roast}]) {drink}"); items may be optional
//                   and hold alternatives; up to kMaxPermutationItems items
//
// CUSTOM SENTENCES (config "nlu", hassil's building blocks; add_config_vocabulary)
//   {list}          a phrase of the config list "nlu.lists.<list>": sets slot
//   {list:slot}       <list> (or <slot>) to the entry's "out", or, when the
//                     entry has none, to the words said ("a bit of cream");
//                     a list may instead be a number range or free words
//   <rule>          the fragment "nlu.expansion_rules.<rule>" (like $macro);
//                   a rule of words only ("can i (get|have) | make me")
//                   compiles to one phrase-set edge, so a sentence or a
//                   permutation around it does not multiply its phrases
//   skip words      "nlu.skip_words" phrases are skipped anywhere, like filler
//
// Filler words (please, the, my, could you, ...) may appear anywhere in the
// input and are skipped; in a template they are ignored, so "[the]" is never
// needed.
//
// SOURCE FORMAT (the built-in English templates, templates_en.inc)
//   # comment
//   $macro = <template fragment>        defines a macro (later lines may use it)
//   intent HassTurnOn                   starts an intent's block
//     <template>                        indented lines are its templates
// Macro and intent lines start in column 1; template lines are indented.
//
// MATCHING
// A group whose alternatives are single words ("(turn | switch)", "[all |
// every]") compiles to one word-set edge instead of one branch per word, so
// templates stay small when such groups multiply. All other expansions of
// all templates are merged into one token trie. Literal
// words are trie edges; lists, numbers, durations and free words are "special"
// edges tried at each node. parse() runs a dynamic program over
// (trie node, word position) that keeps the best-scoring way to consume the
// whole input. Scores prefer the most specific reading: every word consumed
// by the template counts, a device name or alias adds a bonus (so a name
// beats an area + kind reading of the same words), free words count little,
// and skipped filler counts nothing.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/common/value.h"
#include "hearth/devices/home.h"
#include "hearth/nlu/nlu.h"

namespace hearth::nlu {

// A set of phrases, each a word sequence with the slot values it stands for.
struct PhraseList {
  struct Node {
    std::vector<std::pair<int, int>> next;  // (word id, child node), sorted by word id after finish()
    int value = -1;                         // index into values when a phrase ends here
  };
  std::string name;
  std::vector<Node> nodes{Node{}};
  std::vector<ValueMap> values;
  int bonus = 0;  // extra score for a match (device names win over readings by parts)
};

enum class SpecialKind { kList, kNumber, kDuration, kWildcard, kWordSet };

// A non-literal template element.
struct Special {
  SpecialKind kind = SpecialKind::kList;
  int list = -1;      // kList: index into lists_
  std::string slot;   // kNumber, kWildcard: the slot set
  double lo = 0;      // kNumber: inclusive range
  double hi = 0;
  std::vector<int> words;  // kWordSet: sorted word ids, any one of them matches
  bool optional = false;   // kWordSet: may also match no word
  bool operator==(const Special&) const = default;
};

// What a finished template path means.
struct Accept {
  int intent = -1;      // index into intent_names_
  ValueMap fixed;       // <slot=value> tags on the path
  int custom = -1;      // index of the custom intent, -1 for built-in
  int template_index = -1;
};

// The domain (and device_class, "" when none) a kind word or phrase names
// ("blinds" -> cover/blind, "lights" -> light), from the grammar's own table;
// nullopt for anything else.
struct KindMeaning {
  std::string domain, device_class;
};
std::optional<KindMeaning> kind_meaning(std::string_view phrase);

struct GrammarMatch {
  std::string intent;
  ValueMap slots;
  int custom = -1;
  int score = 0;
};

class Grammar {
 public:
  // `home` fills the name/area/floor lists; it must outlive the grammar.
  explicit Grammar(const Home& home);

  // Defines $name as a template fragment. Errors: the fragment does not parse.
  Result<void> define_macro(std::string_view name, std::string_view fragment);
  // Compiles one template for `intent`. `custom` >= 0 marks a custom intent.
  Result<void> add_template(std::string_view intent, std::string_view text, int custom = -1);
  // Reads the source format above (macros, intent blocks, templates).
  Result<void> add_source(std::string_view source, std::string_view source_name);
  // Config vocabulary for custom sentences: skip words, slot lists and
  // expansion rules (nlu.h NluConfig). Call before the custom templates that
  // use them. Every problem goes to `out` under `path` ("$.nlu.lists.size").
  void add_config_vocabulary(const NluConfig& cfg, ConfigErrors& out, std::string_view path = "$.nlu");
  // A phrase skipped anywhere in the input (like the built-in filler).
  void add_skip_phrase(std::string_view phrase);
  // A config slot list, usable as {name} in templates added after it. Errors:
  // a bad name or value template, not exactly one of values/range/wildcard.
  Result<void> define_list(std::string_view name, const SlotList& list);
  static bool is_builtin_list_name(std::string_view name);
  // Call once after the last add_*; sorts edges for lookup.
  void finish();

  // Best full match of `text`, nullopt when no template matches.
  std::optional<GrammarMatch> match(std::string_view text) const;

  size_t template_count() const { return n_templates_; }
  size_t node_count() const { return nodes_.size(); }

  // Read-only views for the frame layer (frame.h), which spots the same
  // phrases in sentences that no template covers.
  const Home& home() const { return home_; }
  int word_id(std::string_view word) const;  // -1 when unknown
  // word_id(), but an unknown word ending in "s" may be a known word with a
  // possessive "'s" (tokenize() drops the apostrophe: "the lounge's blinds").
  int input_word_id(std::string_view word) const;
  // A built-in phrase list by key: "name", "area", "floor", "kind", "color", "color_temp".
  const PhraseList& list(std::string_view key) const { return lists_[list_by_key_.at(std::string(key))]; }
  // Lengths of the filler phrases that start at ids[pos] (the word ids of a sentence).
  void filler_lengths_at(const std::vector<int>& ids, int pos, std::vector<int>& out) const;
  // Longest phrase of `list` starting at ids[pos]: its end (one past) and value index, or {-1, -1}.
  std::pair<int, int> longest_phrase(const PhraseList& list, const std::vector<int>& ids, int pos) const;

 private:
  struct Node {
    std::vector<std::pair<int, int>> words;     // (word id, child), sorted after finish()
    std::vector<std::pair<int, int>> specials;  // (special index, child)
    std::vector<int> accepts;                   // indices into accepts_
  };
  struct Elem {
    int word = -1;     // literal word id, or
    int special = -1;  // special index
  };
  struct Seq {
    std::vector<Elem> elems;
    ValueMap tags;
  };
  using Alts = std::vector<Seq>;
  class TemplateReader;  // recursive-descent parser of one template (grammar.cc)
  friend class TemplateReader;
  friend class SentenceSampler;  // walks the compiled trie (template_sampler.cc)

  int intern(std::string_view word);
  bool is_filler_word(std::string_view word) const;
  Result<int> special_for(std::string_view spec);  // "{...}" contents -> special index
  int add_special(const Special& s);
  int make_name_list(std::string_view domains);    // "" = every domain
  int make_kind_list(std::string_view domains);    // "" = every domain
  bool reads_as_place_and_kind(const std::vector<std::string>& words) const;
  // Whether words [begin, end) are a whole device name, area, floor or kind phrase.
  bool is_known_phrase(const std::vector<int>& ids, int begin, int end) const;
  int add_list(PhraseList list);
  void add_phrase(PhraseList& list, std::string_view phrase, ValueMap value, bool keep_first);
  Result<Alts> parse_fragment(std::string_view text, bool keep_fillers = false);
  Result<std::vector<std::vector<int>>> list_phrases(std::string_view in);
  bool expand_words(const Alts& alts, std::vector<std::vector<int>>& out, bool& has_empty) const;
  void phrase_sequences(const PhraseList& list, int node, std::vector<int> prefix,
                        std::vector<std::vector<int>>& out) const;
  Result<void> define_rule(std::string_view name, std::string_view fragment);
  Result<int> custom_phrase_list(const std::string& name, const std::string& slot);
  void insert(const Seq& seq, int intent, int custom, int template_index);
  int intent_index(std::string_view intent);

  const Home& home_;
  std::unordered_map<std::string, int> vocab_;
  std::vector<std::string> words_;               // id -> word
  std::vector<std::vector<int>> filler_phrases_; // word-id sequences skipped anywhere
  std::vector<bool> filler_word_;                // by word id: a one-word filler
  std::vector<bool> not_free_word_;              // by word id: never taken by {slot:*} (kNotFreeWords)
  std::vector<int> known_phrase_lists_;          // name/area/floor/kind lists that {slot:*} must not repeat
  std::vector<PhraseList> lists_;
  std::unordered_map<std::string, int> list_by_key_;
  std::vector<Special> specials_;
  std::unordered_map<std::string, Alts> macros_;
  std::map<std::string, SlotList> custom_lists_;  // config lists by name
  std::vector<Node> nodes_;
  std::vector<Accept> accepts_;
  std::vector<std::string> intent_names_;
  size_t n_templates_ = 0;
};

// Scores (see MATCHING above). Named so tests and tuning talk about the same thing.
inline constexpr int kScoreWord = 10;          // per input word consumed by a literal, list, number or duration
inline constexpr int kScoreWildcardWord = 1;   // per word taken by {slot:*}
inline constexpr int kBonusDeviceName = 5;     // a device name/alias matched as a whole
inline constexpr int kBonusAreaFloor = 1;      // an area or floor matched
inline constexpr int kBonusCustom = 5;         // user sentences win over built-in readings
inline constexpr int kMaxWildcardWords = 4;
inline constexpr size_t kMaxExpansions = 20000;  // per template; beyond this it is an error
inline constexpr size_t kMaxPermutationItems = 6;  // 6! = 720 orders

}  // namespace hearth::nlu
