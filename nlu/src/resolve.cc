// resolve_targets: intent slots -> device ids (see nlu.h and docs/intents.md).
//
// A name selects that device and must be able to do the intent (else
// kUnsupported). An area / floor / domain group selects every device there of
// that domain (and device_class), the way the sentence sets list targets; the
// group fails only when nothing is there (kNotFound) or nothing there can do
// the intent (kUnsupported). An intent said with no target falls back to the
// intent's own domain; a command there must be unambiguous, a question may
// cover several devices.

#include <algorithm>
#include <set>

#include "hearth/nlu/nlu.h"

namespace hearth {
namespace {

struct IntentRule {
  const char* intent;
  uint32_t caps;              // a device must have one of these
  const char* default_domain; // the domain an untargeted sentence means ("" = none)
  bool needs_one;             // untargeted: more than one candidate is ambiguous
  const char* verb;           // for messages: "Porch Light cannot <verb>"
};

const IntentRule kRules[] = {
    {"HassTurnOn", kCapOnOff | kCapLock | kCapOpenClose | kCapActivate | kCapVacuum, "", true, "turn on"},
    {"HassTurnOff", kCapOnOff | kCapLock | kCapOpenClose | kCapVacuum, "", true, "turn off"},
    {"HassLightSet", kCapBrightness | kCapColor | kCapColorTemp, "light", false, "change its light"},
    {"HassClimateSetTemperature", kCapSetpoint, "climate", true, "set a temperature"},
    {"HassClimateGetTemperature", 0, "climate", false, "report a temperature"},
    {"HassGetState", 0, "", false, "report its state"},
    {"HassSetPosition", kCapPosition, "cover", true, "set a position"},
    {"HassMediaPause", kCapMedia, "media_player", false, "pause"},
    {"HassMediaUnpause", kCapMedia, "media_player", false, "resume"},
    {"HassMediaNext", kCapMedia, "media_player", false, "skip to the next track"},
    {"HassMediaPrevious", kCapMedia, "media_player", false, "go back a track"},
    {"HassSetVolume", kCapVolume, "media_player", false, "set a volume"},
    {"HassVacuumStart", kCapVacuum, "vacuum", false, "vacuum"},
    {"HassVacuumReturnToBase", kCapVacuum, "vacuum", false, "return to base"},
};

const IntentRule* rule_for(std::string_view intent) {
  for (const IntentRule& r : kRules)
    if (intent == r.intent) return &r;
  return nullptr;
}

std::string slot_string(const Intent& intent, std::string_view key) {
  auto it = intent.slots.find(key);
  if (it == intent.slots.end()) return {};
  const std::string* s = as_string(it->second);
  return s ? *s : std::string();
}

bool has_slot(const Intent& intent, std::string_view key) { return intent.slots.find(key) != intent.slots.end(); }

// The capability this particular intent + slots needs (HassLightSet depends on what is set).
uint32_t needed_caps(const IntentRule& rule, const Intent& intent) {
  if (intent.name == "HassLightSet") {
    if (has_slot(intent, "color")) return kCapColor;
    if (has_slot(intent, "color_temp")) return kCapColorTemp;
    if (has_slot(intent, "brightness")) return kCapBrightness;
  }
  return rule.caps;
}

// HassClimateGetTemperature reads thermostats and temperature sensors alike.
bool reports_temperature(const Device& d) {
  return d.domain == Domain::kClimate || (d.domain == Domain::kSensor && d.device_class == "temperature");
}

bool can_do(const Device& d, const IntentRule& rule, const Intent& intent) {
  if (intent.name == "HassClimateGetTemperature") return reports_temperature(d);
  uint32_t caps = needed_caps(rule, intent);
  if (caps == 0) return true;
  // Scenes only activate; "turn off" a scene means nothing.
  if (intent.name == "HassTurnOff" && d.domain == Domain::kScene) return false;
  return (d.capabilities & caps) != 0;
}

std::string join_names(const std::vector<const Device*>& devices) {
  std::string s;
  for (size_t i = 0; i < devices.size(); ++i) {
    if (i > 0) s += i + 1 == devices.size() ? " or " : ", ";
    s += devices[i]->name;
  }
  return s;
}

std::vector<std::string> sorted_ids(const std::vector<const Device*>& devices) {
  std::set<std::string> ids;
  for (const Device* d : devices) ids.insert(d->id);
  return {ids.begin(), ids.end()};
}

}  // namespace

Result<std::vector<std::string>> resolve_targets(const Home& home, const Intent& intent) {
  const IntentRule* rule = rule_for(intent.name);
  if (rule == nullptr) return std::vector<std::string>{};  // timers, time, date, nevermind, custom

  const std::string name = slot_string(intent, "name");
  const std::string area_name = slot_string(intent, "area");
  const std::string floor_name = slot_string(intent, "floor");
  const std::string domain_text = slot_string(intent, "domain");
  const std::string device_class = slot_string(intent, "device_class");

  const Area* area = nullptr;
  if (!area_name.empty()) {
    area = home.area_named(area_name);
    if (area == nullptr) return Error{Code::kNotFound, "no area called '" + area_name + "'"};
  }
  const Floor* floor = nullptr;
  if (!floor_name.empty()) {
    floor = home.floor_named(floor_name);
    if (floor == nullptr) return Error{Code::kNotFound, "no floor called '" + floor_name + "'"};
  }
  std::optional<Domain> domain;
  if (!domain_text.empty()) {
    domain = domain_from_name(domain_text);
    if (!domain) return Error{Code::kNotFound, "no device domain '" + domain_text + "'"};
  }

  // A device by name (an area, when also given, tells shared names apart).
  if (!name.empty()) {
    std::vector<const Device*> found = home.devices_named(name);
    if (area != nullptr && found.size() > 1) {
      std::vector<const Device*> here;
      for (const Device* d : found)
        if (d->area == area->id) here.push_back(d);
      if (!here.empty()) found = here;
    }
    if (found.empty()) return Error{Code::kNotFound, "no device called '" + name + "'"};
    if (found.size() > 1)
      return Error{Code::kAmbiguous, "'" + name + "' could be " + join_names(found) + "; say which one"};
    const Device& d = *found[0];
    if (!can_do(d, *rule, intent))
      return Error{Code::kUnsupported, d.name + " (" + d.id + ") cannot " + rule->verb};
    return std::vector<std::string>{d.id};
  }

  // A group: area / floor / whole house, narrowed by domain and device_class.
  const bool untargeted = area == nullptr && floor == nullptr && !domain;
  std::optional<Domain> want_domain = domain;
  if (!want_domain && *rule->default_domain) want_domain = domain_from_name(rule->default_domain);

  std::vector<const Device*> pool;
  if (area != nullptr) {
    pool = home.devices_in_area(area->id);
  } else if (floor != nullptr) {
    pool = home.devices_on_floor(floor->id);
  } else {
    for (const Device& d : home.devices()) pool.push_back(&d);
  }
  // People say "blinds" for shades and "curtains" for drapes: when no device
  // has the exact device_class, the kind's domain decides.
  std::string device_class_used = device_class;
  if (!device_class.empty()) {
    bool any = false;
    for (const Device* d : pool)
      if (d->device_class == device_class && (!want_domain || d->domain == *want_domain)) any = true;
    if (!any) device_class_used.clear();
  }
  std::vector<const Device*> selected;
  for (const Device* d : pool) {
    if (intent.name == "HassClimateGetTemperature" && !domain) {
      if (reports_temperature(*d)) selected.push_back(d);
      continue;
    }
    if (want_domain && d->domain != *want_domain) continue;
    if (!device_class_used.empty() && d->device_class != device_class_used) continue;
    // "Everything in the kitchen": only what the intent can act on (not sensors, not the locks).
    if (!want_domain && !(d->capabilities & kCapOnOff) && rule->caps != 0) continue;
    selected.push_back(d);
  }

  std::string where = area != nullptr ? " in " + area->name : floor != nullptr ? " on " + floor->name : "";
  std::string what = !device_class.empty() ? device_class : want_domain ? std::string(domain_name(*want_domain))
                                                                        : std::string("devices");
  if (selected.empty()) return Error{Code::kNotFound, "no " + what + where};

  std::vector<const Device*> able;
  for (const Device* d : selected)
    if (can_do(*d, *rule, intent)) able.push_back(d);
  if (able.empty()) return Error{Code::kUnsupported, "no " + what + where + " can " + rule->verb};

  // Exceptions ("all the lights off except the porch light", "... except in
  // the hallway"): taken out of the group; naming something the home does not
  // have is an error, not a silent "all".
  const std::string except_name = slot_string(intent, "except_name");
  const std::string except_area = slot_string(intent, "except_area");
  const std::string except_floor = slot_string(intent, "except_floor");
  if (!except_name.empty() || !except_area.empty() || !except_floor.empty()) {
    std::vector<const Device*> out;
    if (!except_name.empty()) {
      out = home.devices_named(except_name);
      if (out.empty()) return Error{Code::kNotFound, "no device called '" + except_name + "'"};
    }
    if (!except_area.empty()) {
      const Area* ea = home.area_named(except_area);
      if (ea == nullptr) return Error{Code::kNotFound, "no area called '" + except_area + "'"};
      for (const Device* d : home.devices_in_area(ea->id)) out.push_back(d);
    }
    if (!except_floor.empty()) {
      const Floor* ef = home.floor_named(except_floor);
      if (ef == nullptr) return Error{Code::kNotFound, "no floor called '" + except_floor + "'"};
      for (const Device* d : home.devices_on_floor(ef->id)) out.push_back(d);
    }
    auto taken_out = [&](const Device* d) { return std::find(out.begin(), out.end(), d) != out.end(); };
    selected.erase(std::remove_if(selected.begin(), selected.end(), taken_out), selected.end());
    able.erase(std::remove_if(able.begin(), able.end(), taken_out), able.end());
    if (selected.empty()) return Error{Code::kNotFound, "no " + what + where + " is left after the exception"};
  }

  if (untargeted && rule->needs_one && able.size() > 1)
    return Error{Code::kAmbiguous, "which one: " + join_names(able) + "?"};
  // Groups keep every selected device (the handler skips the ones that cannot);
  // an untargeted intent keeps only those that can.
  return sorted_ids(untargeted ? able : selected);
}

}  // namespace hearth
