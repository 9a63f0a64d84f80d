// nlu/src/intent_llm_constraint.h (private): the character-level automaton
// that constrains an LLM to emit one compact intent JSON object
//
//   {"intent":"<known intent>"(,"<slot>":<value>)*}
//
// - the intent is one of the known intents (or "unknown");
// - slot keys are the ones the intent allows, each at most once, in the
//   canonical order (kSlotOrder), so a key cannot repeat;
// - name / area / floor values are strings that exist in the home (a trie
//   over the normalized names and aliases, built once per home: the home is
//   never pasted into the prompt); domain, device_class, color and state come
//   from fixed lists; brightness / position / volume are integers 0..100,
//   color_temp one of the kelvin values, temperature 5..35 with at most one
//   decimal, timer parts bounded integers, timer_name a short lower-case label
//   (with ConstraintState::labels, one of the sentence's own phrases).
//
// The decoder asks, for each candidate token, whether its text can be
// consumed from the current state (advance() char by char on a copy); when
// only one character can follow (keys' punctuation, the rest of a name with a
// unique completion) the text is forced and needs no sampling.
//
// IntentGrammar is immutable after build and shared; ConstraintState is a
// small value type owned by one decode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hearth/devices/home.h"

namespace hearth::nlu {

// A character trie over a list of strings.
class CharTrie {
 public:
  CharTrie();
  void add(std::string_view s);
  // Child of `node` by `c`, or -1.
  int child(int node, char c) const;
  bool terminal(int node) const { return nodes_[static_cast<size_t>(node)].terminal; }
  // The single character that can follow `node` when it is not terminal and
  // has exactly one child; 0 otherwise.
  char only_next(int node) const;
  // Every character that can follow `node`.
  void next_chars(int node, std::string& out) const;
  size_t size() const { return nodes_.size(); }

 private:
  struct Node {
    std::vector<std::pair<char, int>> kids;
    bool terminal = false;
  };
  std::vector<Node> nodes_;
};

// Slot keys in canonical order (the order the model emits them in).
inline constexpr const char* kSlotOrder[] = {
    "name",  "area",     "floor",       "domain",       "device_class", "brightness", "color",   "color_temp",
    "temperature", "position", "volume_level", "hours", "minutes",      "seconds",    "timer_name", "state"};
inline constexpr int kNumSlots = static_cast<int>(sizeof(kSlotOrder) / sizeof(kSlotOrder[0]));

enum class SlotKind : uint8_t { kName, kArea, kFloor, kEnum, kInt, kDecimal, kLabel };

struct SlotSpec {
  SlotKind kind = SlotKind::kEnum;
  CharTrie values;          // kName/kArea/kFloor/kEnum: allowed strings
  int min = 0, max = 0;     // kInt/kDecimal: range (kDecimal allows one decimal digit)
  std::vector<int> allowed; // kInt: when non-empty, the only allowed values (color_temp)
};

class IntentGrammar {
 public:
  // Builds the tries from `home` (names + aliases, areas, floors).
  explicit IntentGrammar(const Home& home);

  const CharTrie& intents() const { return intents_; }
  const std::vector<std::string>& intent_names() const { return intent_names_; }
  // Bit mask of slot indices (kSlotOrder) allowed for intent `i` (index in intent_names()).
  uint32_t allowed_slots(int intent) const { return allowed_[static_cast<size_t>(intent)]; }
  const SlotSpec& slot(int k) const { return slots_[static_cast<size_t>(k)]; }
  // The key text for slot k: "name" -> ,"name":" (string) / ,"brightness": (number).
  const std::string& key_text(int k) const { return key_text_[static_cast<size_t>(k)]; }
  int intent_index(std::string_view name) const;

 private:
  CharTrie intents_;
  std::vector<std::string> intent_names_;
  std::vector<uint32_t> allowed_;
  SlotSpec slots_[kNumSlots];
  std::string key_text_[kNumSlots];
};

// Where the automaton is. Copyable, a few bytes.
struct ConstraintState {
  enum Phase : uint8_t { kIntent, kAfterValue, kKey, kString, kNumber, kDone };
  Phase phase = kIntent;
  int intent = -1;       // index into intent_names() once read
  int last_slot = -1;    // last slot key written (keys must increase)
  int slot = -1;         // slot being written (kKey: candidate set; kString/kNumber: the slot)
  int node = 0;          // trie node (intent / key / value), or label length
  uint32_t key_mask = 0; // kKey: slots whose key text still matches what was read
  int key_pos = 0;       // kKey: characters of the key text read so far
  int64_t num = 0;       // kNumber: integer part read
  int8_t num_digits = 0;
  int8_t frac_digits = -1;  // -1: no '.', 0: '.' read, 1: one decimal read
  // timer_name: when set, the phrases the label must be one of (the words
  // of the sentence being read: a name nobody said cannot come out); else
  // any short lower-case label. Owned by the decode's caller.
  const CharTrie* labels = nullptr;
};

class IntentConstraint {
 public:
  explicit IntentConstraint(const IntentGrammar& g) : g_(g) {}
  // The state right after the forced prefix {"intent":"
  ConstraintState start() const { return {}; }
  // Consumes one character; false (state unspecified) when not allowed.
  bool advance(ConstraintState& s, char c) const;
  // Consumes `text`; false when any character is not allowed or text
  // continues past the end of the object.
  bool accept(ConstraintState& s, std::string_view text) const;
  // Characters allowed next (empty when done).
  std::string next_chars(const ConstraintState& s) const;
  bool done(const ConstraintState& s) const { return s.phase == ConstraintState::kDone; }

 private:
  bool number_can_end(const ConstraintState& s) const;
  bool number_can_take(const ConstraintState& s, char c) const;
  const IntentGrammar& g_;
};

}  // namespace hearth::nlu
