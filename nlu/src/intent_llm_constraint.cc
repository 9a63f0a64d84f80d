// nlu/src/intent_llm_constraint.cc: see intent_llm_constraint.h.
#include "intent_llm_constraint.h"

#include <algorithm>

namespace hearth::nlu {

CharTrie::CharTrie() { nodes_.emplace_back(); }

void CharTrie::add(std::string_view s) {
  int n = 0;
  for (char c : s) {
    int k = child(n, c);
    if (k < 0) {
      k = static_cast<int>(nodes_.size());
      nodes_.emplace_back();
      nodes_[static_cast<size_t>(n)].kids.emplace_back(c, k);
    }
    n = k;
  }
  nodes_[static_cast<size_t>(n)].terminal = true;
}

int CharTrie::child(int node, char c) const {
  for (const auto& [ch, k] : nodes_[static_cast<size_t>(node)].kids)
    if (ch == c) return k;
  return -1;
}

char CharTrie::only_next(int node) const {
  const Node& n = nodes_[static_cast<size_t>(node)];
  return !n.terminal && n.kids.size() == 1 ? n.kids[0].first : 0;
}

void CharTrie::next_chars(int node, std::string& out) const {
  for (const auto& [ch, k] : nodes_[static_cast<size_t>(node)].kids) out.push_back(ch);
}

namespace {

constexpr const char* kIntents[] = {
    "HassTurnOn",      "HassTurnOff",       "HassLightSet",     "HassClimateSetTemperature",
    "HassClimateGetTemperature", "HassGetState", "HassSetPosition", "HassMediaPause",
    "HassMediaUnpause", "HassMediaNext",    "HassMediaPrevious", "HassSetVolume",
    "HassVacuumStart", "HassVacuumReturnToBase", "HassStartTimer", "HassCancelTimer",
    "HassTimerStatus", "HassGetCurrentTime", "HassGetCurrentDate", "HassNevermind", "unknown"};

int slot_index(std::string_view k) {
  for (int i = 0; i < kNumSlots; ++i)
    if (k == kSlotOrder[i]) return i;
  return -1;
}

uint32_t mask(std::initializer_list<const char*> keys) {
  uint32_t m = 0;
  for (const char* k : keys) m |= 1u << slot_index(k);
  return m;
}

uint32_t slots_for(std::string_view intent) {
  const uint32_t target = mask({"name", "area", "floor", "domain", "device_class"});
  if (intent == "HassTurnOn" || intent == "HassTurnOff") return target;
  if (intent == "HassLightSet") return target | mask({"brightness", "color", "color_temp"});
  if (intent == "HassClimateSetTemperature") return mask({"name", "area", "temperature"});
  if (intent == "HassClimateGetTemperature") return mask({"name", "area"});
  if (intent == "HassGetState") return target | mask({"state"});
  if (intent == "HassSetPosition") return target | mask({"position"});
  if (intent == "HassSetVolume") return mask({"name", "area", "volume_level"});
  if (intent.substr(0, 9) == "HassMedia") return mask({"name", "area"});
  if (intent == "HassVacuumStart" || intent == "HassVacuumReturnToBase") return mask({"name"});
  if (intent == "HassStartTimer") return mask({"hours", "minutes", "seconds", "timer_name"});
  if (intent == "HassCancelTimer" || intent == "HassTimerStatus") return mask({"timer_name"});
  return 0;
}

void add_all(CharTrie& t, std::initializer_list<const char*> words) {
  for (const char* w : words) t.add(w);
}

}  // namespace

IntentGrammar::IntentGrammar(const Home& home) {
  for (const char* i : kIntents) {
    intents_.add(i);
    intent_names_.emplace_back(i);
    allowed_.push_back(slots_for(i));
  }
  for (int k = 0; k < kNumSlots; ++k) {
    const std::string key = kSlotOrder[k];
    SlotSpec& s = slots_[k];
    if (key == "name") {
      s.kind = SlotKind::kName;
      for (const std::string& p : home.device_phrases()) s.values.add(p);
    } else if (key == "area") {
      s.kind = SlotKind::kArea;
      for (const std::string& p : home.area_phrases()) s.values.add(p);
    } else if (key == "floor") {
      s.kind = SlotKind::kFloor;
      for (const std::string& p : home.floor_phrases()) s.values.add(p);
    } else if (key == "domain") {
      add_all(s.values, {"light", "switch", "fan", "cover", "climate", "lock", "media_player", "sensor",
                         "binary_sensor", "vacuum", "scene", "script"});
    } else if (key == "device_class") {
      add_all(s.values, {"blind", "curtain", "shade", "shutter", "awning", "garage", "gate", "door", "window",
                         "temperature", "humidity", "motion", "occupancy"});
    } else if (key == "color") {
      add_all(s.values, {"red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "warm white", "cyan",
                         "magenta", "teal", "turquoise", "lavender", "gold", "amber", "violet", "indigo", "lime"});
    } else if (key == "state") {
      add_all(s.values, {"on", "off", "open", "closed", "locked", "unlocked", "playing", "paused", "idle", "docked",
                         "cleaning", "home", "heat", "cool"});
    } else if (key == "timer_name") {
      s.kind = SlotKind::kLabel;
      s.max = 24;
    } else if (key == "temperature") {
      s.kind = SlotKind::kDecimal;
      s.min = 5;
      s.max = 35;
    } else if (key == "color_temp") {
      s.kind = SlotKind::kInt;
      s.min = 2700;
      s.max = 6500;
      s.allowed = {2700, 3000, 4000, 5000, 6500};
    } else {
      s.kind = SlotKind::kInt;
      s.min = key == "hours" || key == "minutes" || key == "seconds" ? 0 : 0;
      s.max = key == "hours" ? 24 : key == "minutes" ? 600 : key == "seconds" ? 3600 : 100;
    }
    const bool str = s.kind == SlotKind::kName || s.kind == SlotKind::kArea || s.kind == SlotKind::kFloor ||
                     s.kind == SlotKind::kEnum || s.kind == SlotKind::kLabel;
    key_text_[k] = ",\"" + key + "\":" + (str ? "\"" : "");
  }
}

int IntentGrammar::intent_index(std::string_view name) const {
  for (size_t i = 0; i < intent_names_.size(); ++i)
    if (intent_names_[i] == name) return static_cast<int>(i);
  return -1;
}

namespace {
bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' '; }
}  // namespace

bool IntentConstraint::number_can_take(const ConstraintState& s, char c) const {
  const SlotSpec& sp = g_.slot(s.slot);
  if (c == '.') return sp.kind == SlotKind::kDecimal && s.num_digits > 0 && s.frac_digits < 0;
  if (c < '0' || c > '9') return false;
  if (s.frac_digits >= 0) return s.frac_digits == 0;  // one decimal digit at most
  if (s.num_digits > 0 && s.num == 0) return false;   // no leading zeros
  const int64_t v = s.num * 10 + (c - '0');
  if (v > sp.max) return false;
  if (!sp.allowed.empty()) {
    // some allowed value must start with these digits
    const std::string pre = std::to_string(v);
    return std::any_of(sp.allowed.begin(), sp.allowed.end(),
                       [&](int a) { return std::to_string(a).compare(0, pre.size(), pre) == 0; });
  }
  return true;
}

bool IntentConstraint::number_can_end(const ConstraintState& s) const {
  const SlotSpec& sp = g_.slot(s.slot);
  if (s.num_digits == 0 || s.frac_digits == 0) return false;
  if (s.num < sp.min || s.num > sp.max) return false;
  if (s.num == sp.max && s.frac_digits > 0) return false;  // 35.5 > 35
  if (!sp.allowed.empty()) return std::find(sp.allowed.begin(), sp.allowed.end(), s.num) != sp.allowed.end();
  return true;
}

bool IntentConstraint::advance(ConstraintState& s, char c) const {
  using P = ConstraintState;
  switch (s.phase) {
    case P::kIntent: {
      if (c == '"' && g_.intents().terminal(s.node)) {
        // find which intent this node spells: walk the names (21 of them)
        s.intent = -1;
        for (size_t i = 0; i < g_.intent_names().size(); ++i) {
          int n = 0;
          for (char ch : g_.intent_names()[i]) n = n < 0 ? -1 : g_.intents().child(n, ch);
          if (n == s.node) s.intent = static_cast<int>(i);
        }
        s.phase = P::kAfterValue;
        return s.intent >= 0;
      }
      const int k = g_.intents().child(s.node, c);
      if (k < 0) return false;
      s.node = k;
      return true;
    }
    case P::kAfterValue:
      if (c == '}') {
        s.phase = P::kDone;
        return true;
      }
      if (c != ',') return false;
      s.phase = P::kKey;
      s.key_pos = 1;
      s.key_mask = 0;
      for (int k = s.last_slot + 1; k < kNumSlots; ++k)
        if (g_.allowed_slots(s.intent) & (1u << k)) s.key_mask |= 1u << k;
      return s.key_mask != 0;
    case P::kKey: {
      uint32_t m = 0;
      int done = -1;
      for (int k = 0; k < kNumSlots; ++k) {
        if (!(s.key_mask & (1u << k))) continue;
        const std::string& t = g_.key_text(k);
        if (static_cast<size_t>(s.key_pos) < t.size() && t[static_cast<size_t>(s.key_pos)] == c) {
          m |= 1u << k;
          if (static_cast<size_t>(s.key_pos) + 1 == t.size()) done = k;
        }
      }
      if (!m) return false;
      s.key_mask = m;
      ++s.key_pos;
      if (done >= 0) {
        s.slot = done;
        s.last_slot = done;
        const SlotKind kind = g_.slot(done).kind;
        s.phase = kind == SlotKind::kInt || kind == SlotKind::kDecimal ? P::kNumber : P::kString;
        s.node = 0;
        s.num = 0;
        s.num_digits = 0;
        s.frac_digits = -1;
      }
      return true;
    }
    case P::kString: {
      const SlotSpec& sp = g_.slot(s.slot);
      if (sp.kind == SlotKind::kLabel && s.labels) {
        if (c == '"') {
          if (s.node == 0 || !s.labels->terminal(s.node)) return false;
          s.phase = P::kAfterValue;
          return true;
        }
        const int k = s.labels->child(s.node, c);
        if (k < 0) return false;
        s.node = k;
        return true;
      }
      if (sp.kind == SlotKind::kLabel) {
        if (c == '"') {
          if (s.node == 0) return false;
          s.phase = P::kAfterValue;
          return true;
        }
        if (!is_label_char(c) || s.node >= sp.max || (s.node == 0 && c == ' ')) return false;
        ++s.node;
        return true;
      }
      if (c == '"') {
        if (!sp.values.terminal(s.node)) return false;
        s.phase = P::kAfterValue;
        return true;
      }
      const int k = sp.values.child(s.node, c);
      if (k < 0) return false;
      s.node = k;
      return true;
    }
    case P::kNumber:
      if (c == ',' || c == '}') {
        if (!number_can_end(s)) return false;
        s.phase = P::kAfterValue;
        return advance(s, c);
      }
      if (!number_can_take(s, c)) return false;
      if (c == '.') {
        s.frac_digits = 0;
      } else if (s.frac_digits >= 0) {
        s.frac_digits = 1;
      } else {
        s.num = s.num * 10 + (c - '0');
        ++s.num_digits;
      }
      return true;
    case P::kDone:
      return false;
  }
  return false;
}

bool IntentConstraint::accept(ConstraintState& s, std::string_view text) const {
  for (char c : text)
    if (!advance(s, c)) return false;
  return true;
}

std::string IntentConstraint::next_chars(const ConstraintState& s) const {
  std::string out;
  for (int c = 1; c < 256; ++c) {
    ConstraintState t = s;
    if (advance(t, static_cast<char>(c))) out.push_back(static_cast<char>(c));
  }
  return out;
}

}  // namespace hearth::nlu
