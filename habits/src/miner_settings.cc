// habits/src/miner_settings.cc: events and commands as canonical settings,
// settings back to bus commands, names and phrases, and the JSON forms of
// routines.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "hearth/common/value_json.h"
#include "miner_internal.h"

namespace hearth {

namespace miner_detail {

namespace {

// State attributes that record a choice someone made (not a measurement).
constexpr std::string_view kSettingAttributes[] = {"state",       "brightness", "color",    "color_temp_kelvin",
                                                   "color_temp",  "temperature", "hvac_mode", "position",
                                                   "volume",      "percentage"};

bool is_setting_attribute(std::string_view a) {
  return std::find(std::begin(kSettingAttributes), std::end(kSettingAttributes), a) != std::end(kSettingAttributes);
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '"')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '"')) --e;
  return std::string(s.substr(b, e - b));
}

Value value_from_text(const std::string& text) {
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(d)) {
    if (d == std::floor(d) && std::fabs(d) < 1e15) return static_cast<int64_t>(d);
    return d;
  }
  return text;
}

}  // namespace

std::string make_key(std::string_view device, std::string_view attribute, std::string_view value) {
  std::string k;
  k.reserve(device.size() + attribute.size() + value.size() + 2);
  k.append(device).append("|").append(attribute).append("=").append(value);
  return k;
}

std::optional<Setting> parse_key(std::string_view key) {
  const size_t bar = key.find('|');
  if (bar == std::string_view::npos) return std::nullopt;
  const size_t eq = key.find('=', bar + 1);
  if (eq == std::string_view::npos) return std::nullopt;
  return Setting{std::string(key.substr(0, bar)), std::string(key.substr(bar + 1, eq - bar - 1)),
                 std::string(key.substr(eq + 1))};
}

std::string_view device_domain(std::string_view device_id) {
  const size_t dot = device_id.find('.');
  return dot == std::string_view::npos ? device_id : device_id.substr(0, dot);
}

std::string canonical_value(std::string_view text) {
  std::string t = trim(text);
  if (t.empty()) return t;
  char* end = nullptr;
  const double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(d)) return t;
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(d));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f", d);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  return buf;
}

bool is_sensor_setting(const Setting& s) {
  const std::string_view dom = device_domain(s.device_id);
  return dom == "binary_sensor" || dom == "sensor" || dom == "device_tracker" || dom == "person";
}

bool is_trigger_setting(const Setting& s) {
  if (s.attribute != "state") return false;
  const std::string_view dom = device_domain(s.device_id);
  return dom == "binary_sensor" || dom == "lock" || dom == "cover" || dom == "media_player" ||
         dom == "device_tracker" || dom == "person";
}

std::vector<RoutineAction> commands_for_settings(const std::string& device_id, const std::vector<Setting>& settings) {
  std::map<std::string, std::string, std::less<>> attr;   // attribute → value
  std::vector<RoutineAction> out;
  for (const Setting& s : settings) {
    if (s.attribute.rfind("action:", 0) == 0) {
      RoutineAction a;
      a.device_id = device_id;
      a.action = s.attribute.substr(7);
      nlohmann::json p = nlohmann::json::parse(s.value, nullptr, false);
      if (p.is_object()) {
        for (auto it = p.begin(); it != p.end(); ++it) a.params[it.key()] = value_from_json(it.value());
      }
      a.keys.push_back(make_key(device_id, s.attribute, s.value));
      out.push_back(std::move(a));
      continue;
    }
    attr[s.attribute] = s.value;
  }
  if (attr.empty() || is_sensor_setting(Setting{device_id, "", ""})) return out;
  auto take = [&](const char* name) -> std::optional<std::string> {
    auto it = attr.find(name);
    if (it == attr.end()) return std::nullopt;
    std::string v = it->second;
    attr.erase(it);
    return v;
  };
  auto key_of = [&](const char* name, const std::string& v) { return make_key(device_id, name, v); };
  const std::string_view dom = device_domain(device_id);
  RoutineAction a;
  a.device_id = device_id;
  std::optional<std::string> state = take("state");
  if (state) a.keys.push_back(key_of("state", *state));
  if (std::optional<std::string> act = take("activate")) {
    RoutineAction s;
    s.device_id = device_id;
    s.action = "activate";
    s.keys.push_back(key_of("activate", *act));
    out.push_back(std::move(s));
  }
  if (state && *state == "off") {
    a.action = "turn_off";
  } else if (state && *state == "locked") {
    a.action = "lock";
  } else if (state && *state == "unlocked") {
    a.action = "unlock";
  } else if (state && (*state == "playing")) {
    a.action = "media_play";
  } else if (state && (*state == "paused")) {
    a.action = "media_pause";
  } else if (state && *state == "cleaning") {
    a.action = "start";
  } else if (state && *state == "docked") {
    a.action = "return_to_base";
  } else if (state && (*state == "open" || *state == "closed")) {
    a.action = *state == "open" ? "open_cover" : "close_cover";
  } else if (state && *state == "on") {
    a.action = "turn_on";
  } else if (state && (dom == "climate" || dom == "water_heater")) {
    a.action = "set_hvac_mode";
    a.params["hvac_mode"] = *state;
  }
  // Attributes ride on the state's command where the bus allows it.
  for (const char* name : {"brightness", "color", "color_temp_kelvin"}) {
    if (a.action == "turn_off") break;
    if (std::optional<std::string> v = take(name)) {
      a.action = "turn_on";
      a.params[name] = value_from_text(*v);
      a.keys.push_back(key_of(name, *v));
    }
  }
  if (a.action == "turn_on" && dom == "fan") {
    if (std::optional<std::string> v = take("percentage")) {
      a.params["percentage"] = value_from_text(*v);
      a.keys.push_back(key_of("percentage", *v));
    }
  }
  if (!a.action.empty()) out.push_back(a);
  struct Single {
    const char* attribute;
    const char* action;
    const char* param;
  };
  constexpr Single kSingles[] = {{"temperature", "set_temperature", "temperature"},
                                 {"hvac_mode", "set_hvac_mode", "hvac_mode"},
                                 {"position", "set_position", "position"},
                                 {"volume", "set_volume", "volume"},
                                 {"percentage", "set_speed", "percentage"}};
  for (const Single& s : kSingles) {
    std::optional<std::string> v = take(s.attribute);
    if (!v) continue;
    // A cover opened and set to a position: the position says it all.
    if (std::string_view(s.attribute) == "position" && !out.empty() && out.back().device_id == device_id &&
        (out.back().action == "open_cover" || out.back().action == "close_cover")) {
      out.back().action = "set_position";
      out.back().params["position"] = value_from_text(*v);
      out.back().keys.push_back(key_of("position", *v));
      continue;
    }
    RoutineAction x;
    x.device_id = device_id;
    x.action = s.action;
    x.params[s.param] = value_from_text(*v);
    x.keys.push_back(key_of(s.attribute, *v));
    out.push_back(std::move(x));
  }
  return out;
}

std::string default_device_name(std::string_view device_id) {
  const size_t dot = device_id.find('.');
  std::string base(dot == std::string_view::npos ? device_id : device_id.substr(dot + 1));
  std::replace(base.begin(), base.end(), '_', ' ');
  const std::string_view dom = device_domain(device_id);
  const bool named_light = base.find("light") != std::string::npos || base.find("lamp") != std::string::npos;
  if (dom == "light" && !named_light) base += " light";
  if (dom == "fan" && base.find("fan") == std::string::npos) base += " fan";
  return base;
}

std::string action_phrase(const RoutineAction& a, const std::string& name) {
  auto num = [&](const char* p) -> std::string {
    auto it = a.params.find(p);
    return it == a.params.end() ? std::string() : value_to_string(it->second);
  };
  if (a.action == "turn_off") return name + " off";
  if (a.action == "turn_on") {
    std::string s = name + " on";
    if (!num("brightness").empty()) s += " at " + num("brightness") + " %";
    if (!num("color").empty()) s += " (" + num("color") + ")";
    if (!num("color_temp_kelvin").empty()) s += " (" + num("color_temp_kelvin") + " K)";
    if (!num("percentage").empty()) s += " at " + num("percentage") + " %";
    return s;
  }
  if (a.action == "lock") return name + " locked";
  if (a.action == "unlock") return name + " unlocked";
  if (a.action == "set_temperature") return name + " to " + num("temperature") + " °C";
  if (a.action == "set_hvac_mode") return name + " to " + num("hvac_mode");
  if (a.action == "open_cover") return name + " opened";
  if (a.action == "close_cover") return name + " closed";
  if (a.action == "set_position") return name + " to " + num("position") + " %";
  if (a.action == "set_volume") return name + " volume " + num("volume") + " %";
  if (a.action == "set_speed") return name + " at " + num("percentage") + " %";
  if (a.action == "media_play") return name + " playing";
  if (a.action == "media_pause") return name + " paused";
  if (a.action == "start") return name + " started";
  if (a.action == "return_to_base") return name + " docked";
  if (a.action == "activate") return name;
  return name + " " + a.action;
}

std::string sensor_phrase(const Setting& s, const std::string& name) {
  if (s.attribute != "state") return name + " " + s.attribute + " " + s.value;
  const bool occupancy = s.device_id.find("occupancy") != std::string::npos || s.device_id.find("bed") != std::string::npos;
  const bool motion = s.device_id.find("motion") != std::string::npos;
  const bool contact = s.device_id.find("door") != std::string::npos || s.device_id.find("window") != std::string::npos ||
                       s.device_id.find("contact") != std::string::npos;
  if (s.value == "on" || s.value == "off") {
    const bool on = s.value == "on";
    if (occupancy) return name + (on ? " occupied" : " empty");
    if (motion) return name + (on ? " detects motion" : " clear");
    if (contact) return name + (on ? " opens" : " closes");
  }
  if (s.value == "unlocked") return name + " unlocks";
  if (s.value == "locked") return name + " locks";
  if (s.value == "open") return name + " opens";
  if (s.value == "closed") return name + " closes";
  return name + " becomes " + s.value;
}

}  // namespace miner_detail

using miner_detail::make_key;
using miner_detail::Setting;

std::vector<std::string> action_setting_keys(std::string_view device_id, std::string_view action,
                                             const ValueMap& params) {
  std::vector<std::string> keys;
  auto param = [&](const char* name) -> std::optional<std::string> {
    auto it = params.find(name);
    if (it == params.end() || is_null(it->second)) return std::nullopt;
    return miner_detail::canonical_value(value_to_string(it->second));
  };
  auto add = [&](std::string_view attr, std::string_view v) { keys.push_back(make_key(device_id, attr, v)); };
  if (action == "turn_off") {
    add("state", "off");
  } else if (action == "turn_on") {
    add("state", "on");
    for (const char* p : {"brightness", "color", "color_temp_kelvin", "percentage"}) {
      if (auto v = param(p)) add(p, *v);
    }
  } else if (action == "toggle" || action == "stop_cover" || action == "stop") {
    // The outcome depends on the state before; the state change it causes says it.
  } else if (action == "lock") {
    add("state", "locked");
  } else if (action == "unlock") {
    add("state", "unlocked");
  } else if (action == "open_cover") {
    add("state", "open");
  } else if (action == "close_cover") {
    add("state", "closed");
  } else if (action == "set_position") {
    if (auto v = param("position")) add("position", *v);
  } else if (action == "set_temperature") {
    if (auto v = param("temperature")) add("temperature", *v);
  } else if (action == "set_hvac_mode") {
    if (auto v = param("hvac_mode")) add("hvac_mode", *v);
  } else if (action == "media_play") {
    add("state", "playing");
  } else if (action == "media_pause") {
    add("state", "paused");
  } else if (action == "set_volume") {
    if (auto v = param("volume")) add("volume", *v);
  } else if (action == "set_speed") {
    if (auto v = param("percentage")) add("percentage", *v);
  } else if (action == "start") {
    add("state", "cleaning");
  } else if (action == "return_to_base") {
    add("state", "docked");
  } else if (action == "activate") {
    add("activate", "");
  } else if (!action.empty()) {
    add("action:" + std::string(action), value_map_to_json(params).dump());
  }
  return keys;
}

std::vector<std::string> event_setting_keys(const EventRecord& e) {
  if (e.device_id.empty()) return {};
  const std::string_view dom = miner_detail::device_domain(e.device_id);
  if (dom == "sensor" || dom == "timer" || dom == "sun" || dom == "weather" || dom == "zone") return {};
  if (e.kind == "state") {
    if (!miner_detail::is_setting_attribute(e.attribute)) return {};
    std::string v = miner_detail::canonical_value(e.new_value);
    if (v.empty() || v == "unavailable" || v == "unknown" || v == "null") return {};
    if (dom == "binary_sensor" && e.attribute != "state") return {};
    if (dom == "scene" || dom == "script") return {make_key(e.device_id, "activate", "")};
    return {make_key(e.device_id, e.attribute, v)};
  }
  if (e.kind == "action") {
    ValueMap params;
    if (!e.new_value.empty()) {
      nlohmann::json p = nlohmann::json::parse(e.new_value, nullptr, false);
      if (!p.is_object()) return {};
      for (auto it = p.begin(); it != p.end(); ++it) params[it.key()] = value_from_json(it.value());
    }
    return action_setting_keys(e.device_id, e.attribute, params);
  }
  return {};
}

std::string format_minute_of_day(int minute) {
  minute = ((minute % 1440) + 1440) % 1440;
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

std::string days_mask_text(uint8_t mask) {
  mask &= kEveryDayMask;
  if (mask == kEveryDayMask) return "every day";
  if (mask == kWeekdaysMask) return "weekdays";
  if (mask == kWeekendMask) return "weekends";
  static const char* kNames[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  std::string s;
  for (int d = 0; d < 7; ++d) {
    if (!(mask & (1u << d))) continue;
    if (!s.empty()) s += ", ";
    s += kNames[d];
  }
  return s.empty() ? "no days" : s;
}

std::string_view routine_kind_name(RoutineKind k) {
  switch (k) {
    case RoutineKind::kTimeAnchored: return "time";
    case RoutineKind::kEventTriggered: return "event";
    case RoutineKind::kStateHabit: return "state";
  }
  return "time";
}

namespace {

nlohmann::json routine_json(const Routine& r) {
  using nlohmann::json;
  json j;
  j["kind"] = std::string(routine_kind_name(r.kind));
  j["name"] = r.name;
  j["description"] = r.description;
  json t;
  if (r.kind == RoutineKind::kTimeAnchored) {
    t["time"] = format_minute_of_day(r.trigger.time_min);
    t["days"] = days_mask_text(r.trigger.days_mask);
    t["days_mask"] = r.trigger.days_mask;
  } else {
    t["event"] = r.trigger.event_key;
    t["after"] = format_minute_of_day(r.trigger.after_min);
    t["before"] = format_minute_of_day(r.trigger.before_min);
  }
  j["trigger"] = t;
  json actions = json::array();
  for (const RoutineAction& a : r.actions) {
    json x;
    x["device_id"] = a.device_id;
    x["action"] = a.action;
    x["params"] = value_map_to_json(a.params);
    x["keys"] = a.keys;
    x["support"] = std::round(a.support * 1000.0) / 1000.0;
    x["offset_min"] = a.offset_min;
    actions.push_back(x);
  }
  j["actions"] = actions;
  j["sensors"] = r.sensor_keys;
  j["support"] = std::round(r.support * 1000.0) / 1000.0;
  j["consistency_min"] = std::round(r.consistency_min * 10.0) / 10.0;
  j["drift_min_per_week"] = std::round(r.drift_min_per_week * 10.0) / 10.0;
  j["n_days"] = r.n_days;
  j["evidence"] = r.evidence_dates;
  j["fingerprint"] = r.fingerprint;
  return j;
}

bool parse_hhmm(const std::string& s, int* out) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (int i : {0, 1, 3, 4}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return false;
  *out = h * 60 + m;
  return true;
}

}  // namespace

std::string routine_to_json(const Routine& r, int indent) { return routine_json(r).dump(indent); }

Result<Routine> routine_from_json(std::string_view text) {
  using nlohmann::json;
  try {
    json j = json::parse(text);
    Routine r;
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "time") r.kind = RoutineKind::kTimeAnchored;
    else if (kind == "event") r.kind = RoutineKind::kEventTriggered;
    else if (kind == "state") r.kind = RoutineKind::kStateHabit;
    else return Error{Code::kBadInput, "routine json: unknown kind '" + kind + "'"};
    r.name = j.value("name", "");
    r.description = j.value("description", "");
    const json& t = j.at("trigger");
    if (r.kind == RoutineKind::kTimeAnchored) {
      if (!parse_hhmm(t.at("time").get<std::string>(), &r.trigger.time_min)) {
        return Error{Code::kBadInput, "routine json: trigger.time must be HH:MM"};
      }
      const int mask = t.at("days_mask").get<int>();
      if (mask <= 0 || mask > kEveryDayMask) return Error{Code::kBadInput, "routine json: trigger.days_mask must be 1..127"};
      r.trigger.days_mask = static_cast<uint8_t>(mask);
    } else {
      r.trigger.event_key = t.at("event").get<std::string>();
      if (!parse_hhmm(t.at("after").get<std::string>(), &r.trigger.after_min) ||
          !parse_hhmm(t.at("before").get<std::string>(), &r.trigger.before_min)) {
        return Error{Code::kBadInput, "routine json: trigger.after/before must be HH:MM"};
      }
    }
    for (const json& x : j.at("actions")) {
      RoutineAction a;
      a.device_id = x.at("device_id").get<std::string>();
      a.action = x.at("action").get<std::string>();
      if (a.device_id.empty() || a.action.empty()) return Error{Code::kBadInput, "routine json: empty device or action"};
      if (x.contains("params")) {
        for (auto it = x["params"].begin(); it != x["params"].end(); ++it) a.params[it.key()] = value_from_json(it.value());
      }
      a.keys = x.value("keys", std::vector<std::string>{});
      if (a.keys.empty()) a.keys = action_setting_keys(a.device_id, a.action, a.params);
      a.support = x.value("support", 0.0);
      a.offset_min = x.value("offset_min", 0);
      r.actions.push_back(std::move(a));
    }
    r.sensor_keys = j.value("sensors", std::vector<std::string>{});
    r.support = j.value("support", 0.0);
    r.consistency_min = j.value("consistency_min", 0.0);
    r.drift_min_per_week = j.value("drift_min_per_week", 0.0);
    r.n_days = j.value("n_days", 0);
    r.evidence_dates = j.value("evidence", std::vector<std::string>{});
    r.fingerprint = j.value("fingerprint", "");
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Error{Code::kBadInput, std::string("routine json: ") + e.what()};
  }
}

std::string mining_result_to_json(const MiningResult& r, int indent) {
  using nlohmann::json;
  json j;
  j["window"] = {{"first_day", format_civil_date(r.first_day)}, {"last_day", format_civil_date(r.last_day)}};
  j["stats"] = {{"events", r.stats.n_events},           {"used", r.stats.n_used},
                {"schedule_ignored", r.stats.n_schedule}, {"failed_ignored", r.stats.n_failed},
                {"malformed", r.stats.n_malformed},     {"ignored", r.stats.n_ignored},
                {"in_window", r.stats.n_in_window},     {"eligible_days", r.stats.n_eligible_days},
                {"mine_seconds", r.stats.mine_seconds}};
  json list = json::array();
  for (const Routine& x : r.routines) list.push_back(routine_json(x));
  j["routines"] = list;
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace hearth
