// Command validation against a device's capabilities, and state diffs.
#include <array>
#include <cmath>

#include "device_rules.h"
#include "hearth/devices/bus.h"

namespace hearth {
namespace {

// One action the bus understands: the capability it needs and its parameters.
struct ActionSpec {
  std::string_view name;
  Capability capability;                            // the device must have it
  std::string_view required_param;                  // "" = none
  std::array<std::string_view, 4> optional_params;  // other accepted parameters ("" = unused slot)
};

constexpr std::array<ActionSpec, 21> kActions = {{
    {"turn_on", kCapOnOff, "", {"brightness", "color", "color_temp_kelvin", "percentage"}},
    {"turn_off", kCapOnOff, "", {}},
    {"toggle", kCapOnOff, "", {}},
    {"open_cover", kCapOpenClose, "", {}},
    {"close_cover", kCapOpenClose, "", {}},
    {"stop_cover", kCapOpenClose, "", {}},
    {"set_position", kCapPosition, "position", {}},
    {"set_temperature", kCapSetpoint, "temperature", {}},
    {"set_hvac_mode", kCapHvacMode, "hvac_mode", {}},
    {"lock", kCapLock, "", {}},
    {"unlock", kCapLock, "", {}},
    {"media_play", kCapMedia, "", {}},
    {"media_pause", kCapMedia, "", {}},
    {"media_next", kCapMedia, "", {}},
    {"media_previous", kCapMedia, "", {}},
    {"set_volume", kCapVolume, "volume", {}},
    {"start", kCapVacuum, "", {}},
    {"return_to_base", kCapVacuum, "", {}},
    {"stop", kCapVacuum, "", {}},
    {"activate", kCapActivate, "", {}},
    {"set_speed", kCapSpeed, "percentage", {}},
}};

const ActionSpec* find_action(std::string_view name) {
  for (const ActionSpec& a : kActions) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string known_actions_text() {
  std::string out;
  for (size_t i = 0; i < kActions.size(); ++i) {
    if (i > 0) out += ", ";
    out += kActions[i].name;
  }
  return out;
}

std::string supports_text(const Device& device) {
  std::string out;
  for (const std::string& name : capability_names(device.capabilities)) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out.empty() ? "nothing" : out;
}

std::string quoted(const Value& v) {
  if (const std::string* s = as_string(v)) return "'" + *s + "'";
  return value_to_string(v);
}

double attribute_number(const Device& device, std::string_view name, double fallback) {
  auto it = device.initial.attributes.find(name);
  if (it == device.initial.attributes.end()) return fallback;
  return as_number(it->second).value_or(fallback);
}

// Checks one parameter's type and range; `where` prefixes messages.
Result<void> check_param(const Device& device, const std::string& where, std::string_view name, const Value& v) {
  const std::string at = where + ": " + std::string(name);
  auto needs = [&](Capability c) -> Result<void> {
    if (device.can(c)) return {};
    return Error{Code::kUnsupported, at + ": this device has no " + std::string(capability_name(c)) +
                                         " control (supports: " + supports_text(device) + ")"};
  };
  auto percent = [&]() -> Result<void> {
    std::optional<double> n = as_number(v);
    if (!n || *n < device_rules::kMinPercent || *n > device_rules::kMaxPercent) {
      return Error{Code::kBadInput, at + ": expected a number in 0..100 (percent), got " + quoted(v)};
    }
    return {};
  };

  if (name == "brightness") {
    HEARTH_TRY(needs(kCapBrightness));
    return percent();
  }
  if (name == "percentage") {
    HEARTH_TRY(needs(kCapSpeed));
    return percent();
  }
  if (name == "position" || name == "volume") return percent();
  if (name == "color") {
    HEARTH_TRY(needs(kCapColor));
    const std::string* s = as_string(v);
    if (s == nullptr || !device_rules::is_color(*s)) {
      return Error{Code::kBadInput, at + ": expected a color name (red, warm white, ...) or '#rrggbb', got " +
                                        quoted(v)};
    }
    return {};
  }
  if (name == "color_temp_kelvin") {
    HEARTH_TRY(needs(kCapColorTemp));
    std::optional<double> n = as_number(v);
    if (!n || *n < device_rules::kMinColorTempKelvin || *n > device_rules::kMaxColorTempKelvin) {
      return Error{Code::kBadInput, at + ": expected kelvin in " + std::to_string(device_rules::kMinColorTempKelvin) +
                                        ".." + std::to_string(device_rules::kMaxColorTempKelvin) + ", got " +
                                        quoted(v)};
    }
    return {};
  }
  if (name == "temperature") {
    const double lo = attribute_number(device, "min_temp", device_rules::kDefaultMinTempC);
    const double hi = attribute_number(device, "max_temp", device_rules::kDefaultMaxTempC);
    std::optional<double> n = as_number(v);
    if (!n || !std::isfinite(*n) || *n < lo || *n > hi) {
      return Error{Code::kBadInput, at + ": expected degrees C in " + value_to_string(lo) + ".." +
                                        value_to_string(hi) + ", got " + quoted(v)};
    }
    return {};
  }
  if (name == "hvac_mode") {
    const std::string* s = as_string(v);
    if (s == nullptr || !device_rules::is_hvac_mode(*s)) {
      return Error{Code::kBadInput, at + ": expected one of heat, cool, auto, off, got " + quoted(v)};
    }
    return {};
  }
  // defensive: every name in kActions is handled above
  return Error{Code::kInternal, at + ": no rule for this parameter"};
}

}  // namespace

Result<void> validate_command(const Device& device, const Command& cmd) {
  const std::string where = device.id + ": " + cmd.action;
  const ActionSpec* spec = find_action(cmd.action);
  if (spec == nullptr) {
    return Error{Code::kBadInput, device.id + ": unknown action '" + cmd.action + "'; known actions: " +
                                      known_actions_text()};
  }
  if (device.can(kCapReadOnly)) {
    return Error{Code::kUnsupported, where + ": " + std::string(domain_name(device.domain)) +
                                         " devices are read-only and take no commands"};
  }
  if (!device.can(spec->capability)) {
    return Error{Code::kUnsupported, where + ": needs " + std::string(capability_name(spec->capability)) +
                                         ", this device supports " + supports_text(device)};
  }
  if (!spec->required_param.empty() && cmd.params.find(spec->required_param) == cmd.params.end()) {
    return Error{Code::kBadInput, where + ": missing parameter '" + std::string(spec->required_param) + "'"};
  }
  for (const auto& [name, value] : cmd.params) {
    bool accepted = name == spec->required_param;
    for (std::string_view p : spec->optional_params) accepted = accepted || (!p.empty() && p == name);
    if (!accepted) {
      std::string allowed;
      if (!spec->required_param.empty()) allowed = std::string(spec->required_param);
      for (std::string_view p : spec->optional_params) {
        if (p.empty()) continue;
        if (!allowed.empty()) allowed += ", ";
        allowed += p;
      }
      return Error{Code::kBadInput, where + ": unknown parameter '" + name + "' (accepted: " +
                                        (allowed.empty() ? std::string("none") : allowed) + ")"};
    }
    HEARTH_TRY(check_param(device, where, name, value));
  }
  return {};
}

std::vector<StateChange> diff_states(std::string_view device_id, const DeviceState& before,
                                     const DeviceState& after) {
  std::vector<StateChange> out;
  auto change = [&](std::string attribute, Value old_value, Value new_value) {
    StateChange c;
    c.device_id = std::string(device_id);
    c.attribute = std::move(attribute);
    c.old_value = std::move(old_value);
    c.new_value = std::move(new_value);
    out.push_back(std::move(c));
  };
  if (before.state != after.state) change("state", before.state, after.state);

  // Both maps are sorted: walk them together so each attribute is seen once.
  auto b = before.attributes.begin();
  auto a = after.attributes.begin();
  while (b != before.attributes.end() || a != after.attributes.end()) {
    if (a == after.attributes.end() || (b != before.attributes.end() && b->first < a->first)) {
      change(b->first, b->second, Value{});  // removed
      ++b;
    } else if (b == before.attributes.end() || a->first < b->first) {
      change(a->first, Value{}, a->second);  // added
      ++a;
    } else {
      if (b->second != a->second) change(a->first, b->second, a->second);
      ++a;
      ++b;
    }
  }
  return out;
}

}  // namespace hearth
