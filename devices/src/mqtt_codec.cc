// MQTT conventions as pure functions; see mqtt_codec.h for the formats.
#include "mqtt_codec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "device_rules.h"

namespace hearth::mqtt {
namespace {

using nlohmann::json;

struct NamedColor {
  std::string_view name;
  std::string_view hex;
};
// CSS colors for the names of device_rules::kColorNames; "warm white" is a
// 2700 K white.
constexpr std::array<NamedColor, 19> kNamedColors = {{
    {"red", "#ff0000"},      {"orange", "#ffa500"},   {"yellow", "#ffff00"},   {"green", "#008000"},
    {"blue", "#0000ff"},     {"purple", "#800080"},   {"pink", "#ffc0cb"},     {"white", "#ffffff"},
    {"warm white", "#ffa757"}, {"cyan", "#00ffff"},   {"magenta", "#ff00ff"},  {"teal", "#008080"},
    {"turquoise", "#40e0d0"}, {"lavender", "#e6e6fa"}, {"gold", "#ffd700"},    {"amber", "#ffbf00"},
    {"violet", "#ee82ee"},   {"indigo", "#4b0082"},   {"lime", "#00ff00"},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

double srgb_to_linear(double c) { return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); }
double linear_to_srgb(double c) { return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055; }

Result<json> parse_json(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Error{Code::kBadInput, std::string("invalid JSON: ") + e.what()};
  }
}

// Reads a string option; false (with `error` set) when present but not a string.
bool read_opt(const json& j, const char* key, std::string* out, std::string* error) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_string()) {
    *error = std::string("adapter.") + key + ": expected a string, got " + it->dump();
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool valid_topic(std::string_view t) {
  return !t.empty() && t.find('+') == std::string_view::npos && t.find('#') == std::string_view::npos;
}

std::string title_case(std::string_view slug) {
  std::string out;
  bool start = true;
  for (char c : slug) {
    if (c == '_') {
      out += ' ';
      start = true;
      continue;
    }
    out += start && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    start = false;
  }
  return out;
}

Error bad(std::string message) { return Error{Code::kBadInput, std::move(message)}; }

}  // namespace

int percent_to_z2m_brightness(double percent) {
  return static_cast<int>(std::lround(std::clamp(percent, 0.0, 100.0) * 254.0 / 100.0));
}
int z2m_brightness_to_percent(double level) {
  return static_cast<int>(std::lround(std::clamp(level, 0.0, 254.0) * 100.0 / 254.0));
}

std::optional<std::string> color_to_hex(std::string_view color) {
  if (device_rules::is_hex_color(color)) return lower(color);
  const std::string name = lower(color);
  for (const NamedColor& c : kNamedColors) {
    if (c.name == name) return std::string(c.hex);
  }
  return std::nullopt;
}

std::optional<std::pair<double, double>> color_to_xy(std::string_view color) {
  std::optional<std::string> hex = color_to_hex(color);
  if (!hex) return std::nullopt;
  unsigned r = 0, g = 0, b = 0;
  if (std::sscanf(hex->c_str() + 1, "%2x%2x%2x", &r, &g, &b) != 3) return std::nullopt;
  const double rl = srgb_to_linear(r / 255.0), gl = srgb_to_linear(g / 255.0), bl = srgb_to_linear(b / 255.0);
  const double X = 0.4124 * rl + 0.3576 * gl + 0.1805 * bl;
  const double Y = 0.2126 * rl + 0.7152 * gl + 0.0722 * bl;
  const double Z = 0.0193 * rl + 0.1192 * gl + 0.9505 * bl;
  const double sum = X + Y + Z;
  if (sum <= 0.0) return std::make_pair(0.3127, 0.3290);  // black: the white point
  auto round4 = [](double v) { return std::round(v * 10000.0) / 10000.0; };
  return std::make_pair(round4(X / sum), round4(Y / sum));
}

std::string xy_to_hex(double x, double y) {
  if (!(y > 0.0) || !(x >= 0.0)) return "#ffffff";
  const double Y = 1.0, X = x / y * Y, Z = (1.0 - x - y) / y * Y;
  double r = 3.2406 * X - 1.5372 * Y - 0.4986 * Z;
  double g = -0.9689 * X + 1.8758 * Y + 0.0415 * Z;
  double b = 0.0557 * X - 0.2040 * Y + 1.0570 * Z;
  r = std::max(r, 0.0), g = std::max(g, 0.0), b = std::max(b, 0.0);
  const double m = std::max({r, g, b, 1e-9});
  char out[8];
  std::snprintf(out, sizeof out, "#%02x%02x%02x", static_cast<unsigned>(std::lround(linear_to_srgb(r / m) * 255.0)),
                static_cast<unsigned>(std::lround(linear_to_srgb(g / m) * 255.0)),
                static_cast<unsigned>(std::lround(linear_to_srgb(b / m) * 255.0)));
  return out;
}

std::string slugify(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

Result<std::string> parse_value_template(std::string_view tpl) {
  std::string t = trim(tpl);
  auto unsupported = [&] {
    return Error{Code::kUnsupported, "value template '" + std::string(tpl) +
                                         "' is not supported (only \"{{ value_json.<key> }}\")"};
  };
  if (t.size() < 4 || t.rfind("{{", 0) != 0 || t.compare(t.size() - 2, 2, "}}") != 0) return unsupported();
  std::string inner = trim(std::string_view(t).substr(2, t.size() - 4));
  constexpr std::string_view kPrefix = "value_json.";
  if (inner.rfind(kPrefix, 0) != 0) return unsupported();
  std::string key = inner.substr(kPrefix.size());
  if (key.empty()) return unsupported();
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return unsupported();
  }
  return key;
}

Result<Binding> parse_binding(std::string_view options_json, std::string_view z2m_base) {
  Result<json> parsed = parse_json(options_json);
  if (!parsed) return parsed.error().with_context("adapter options");
  const json& j = *parsed;
  if (!j.is_object()) return bad("adapter options: expected an object");
  Binding b;
  std::string error;
  std::string protocol = "zigbee2mqtt";
  if (!read_opt(j, "protocol", &protocol, &error)) return bad(error);
  if (protocol == "zigbee2mqtt") {
    b.protocol = Protocol::kZigbee2Mqtt;
    std::string topic;
    if (!read_opt(j, "topic", &topic, &error)) return bad(error);
    if (topic.empty()) return bad("adapter.topic: missing (the Zigbee2MQTT friendly name, e.g. \"kitchen/ceiling\")");
    if (!valid_topic(topic)) return bad("adapter.topic: '" + topic + "' must not contain MQTT wildcards");
    // A full topic under the base is accepted too.
    const std::string base_prefix = std::string(z2m_base) + "/";
    if (topic.rfind(base_prefix, 0) == 0) topic = topic.substr(base_prefix.size());
    b.friendly_name = topic;
    b.command_topic = base_prefix + topic + "/set";
    b.state_topic = base_prefix + topic;
    b.availability_topic = base_prefix + topic + "/availability";
    std::string color_format = "xy";
    if (!read_opt(j, "color_format", &color_format, &error)) return bad(error);
    if (color_format != "xy" && color_format != "hex") {
      return bad("adapter.color_format: expected \"xy\" or \"hex\", got '" + color_format + "'");
    }
    b.color_xy = color_format == "xy";
    return b;
  }
  if (protocol != "ha") return bad("adapter.protocol: expected \"zigbee2mqtt\" or \"ha\", got '" + protocol + "'");
  b.protocol = Protocol::kHomeAssistant;
  struct Key {
    const char* name;
    std::string* out;
  };
  const std::array<Key, 19> keys = {{{"command_topic", &b.command_topic},
                                     {"state_topic", &b.state_topic},
                                     {"availability_topic", &b.availability_topic},
                                     {"position_topic", &b.position_topic},
                                     {"payload_on", &b.payload_on},
                                     {"payload_off", &b.payload_off},
                                     {"state_on", &b.state_on},
                                     {"state_off", &b.state_off},
                                     {"payload_lock", &b.payload_lock},
                                     {"payload_unlock", &b.payload_unlock},
                                     {"state_locked", &b.state_locked},
                                     {"state_unlocked", &b.state_unlocked},
                                     {"payload_open", &b.payload_open},
                                     {"payload_close", &b.payload_close},
                                     {"payload_stop", &b.payload_stop},
                                     {"state_open", &b.state_open},
                                     {"state_closed", &b.state_closed},
                                     {"payload_available", &b.payload_available},
                                     {"payload_not_available", &b.payload_not_available}}};
  for (const Key& k : keys) {
    if (!read_opt(j, k.name, k.out, &error)) return bad(error);
  }
  std::string tpl;
  if (!read_opt(j, "value_template", &tpl, &error)) return bad(error);
  if (!tpl.empty()) {
    Result<std::string> key = parse_value_template(tpl);
    if (!key) return bad("adapter.value_template: " + key.error().message);
    b.value_key = *key;
  }
  if (b.command_topic.empty() && b.state_topic.empty()) {
    return bad("adapter: an \"ha\" binding needs command_topic and/or state_topic");
  }
  for (const std::string* t : {&b.command_topic, &b.state_topic, &b.availability_topic, &b.position_topic}) {
    if (!t->empty() && !valid_topic(*t)) return bad("adapter: topic '" + *t + "' must not contain MQTT wildcards");
  }
  if (b.state_on.empty()) b.state_on = b.payload_on;
  if (b.state_off.empty()) b.state_off = b.payload_off;
  return b;
}

namespace {

std::optional<double> number_param(const Command& cmd, std::string_view name) {
  auto it = cmd.params.find(name);
  if (it == cmd.params.end()) return std::nullopt;
  return as_number(it->second);
}

std::string fan_mode_for(double percent) {
  if (percent <= 0) return "off";
  if (percent <= 33) return "low";
  if (percent <= 66) return "medium";
  return "high";
}

Result<std::vector<Publish>> z2m_command(const Binding& b, const Device& d, const Command& cmd) {
  json p = json::object();
  const std::string& a = cmd.action;
  auto unsupported = [&] {
    return Error{Code::kUnsupported, d.id + ": " + a + " has no Zigbee2MQTT equivalent for a " +
                                         std::string(domain_name(d.domain))};
  };
  switch (d.domain) {
    case Domain::kLight:
    case Domain::kSwitch:
    case Domain::kFan:
      if (a == "turn_on") {
        p["state"] = "ON";
        if (auto v = number_param(cmd, "brightness")) {
          if (*v <= 0) {
            p["state"] = "OFF";
          } else {
            p["brightness"] = percent_to_z2m_brightness(*v);
          }
        }
        if (auto v = number_param(cmd, "color_temp_kelvin"); v && *v > 0) {
          p["color_temp"] = static_cast<int>(std::lround(1e6 / *v));
        }
        if (auto it = cmd.params.find("color"); it != cmd.params.end() && as_string(it->second)) {
          const std::string& color = *as_string(it->second);
          if (b.color_xy) {
            auto xy = color_to_xy(color);
            if (!xy) return bad(d.id + ": unknown color '" + color + "'");
            p["color"] = {{"x", xy->first}, {"y", xy->second}};
          } else {
            auto hex = color_to_hex(color);
            if (!hex) return bad(d.id + ": unknown color '" + color + "'");
            p["color"] = {{"hex", *hex}};
          }
        }
        if (auto v = number_param(cmd, "percentage")) {
          if (*v <= 0) p["state"] = "OFF";
          p["fan_mode"] = fan_mode_for(*v);
        }
      } else if (a == "turn_off") {
        p["state"] = "OFF";
      } else if (a == "toggle") {
        p["state"] = "TOGGLE";
      } else if (a == "set_speed") {
        const double v = number_param(cmd, "percentage").value_or(0);
        p["fan_mode"] = fan_mode_for(v);
        p["state"] = v > 0 ? "ON" : "OFF";
      } else {
        return unsupported();
      }
      break;
    case Domain::kCover:
      if (a == "open_cover") {
        p["state"] = "OPEN";
      } else if (a == "close_cover") {
        p["state"] = "CLOSE";
      } else if (a == "stop_cover") {
        p["state"] = "STOP";
      } else if (a == "set_position") {
        p["position"] = static_cast<int>(std::lround(number_param(cmd, "position").value_or(0)));
      } else {
        return unsupported();
      }
      break;
    case Domain::kClimate:
      if (a == "set_temperature") {
        p["occupied_heating_setpoint"] = number_param(cmd, "temperature").value_or(0);
      } else if (a == "set_hvac_mode") {
        auto it = cmd.params.find("hvac_mode");
        p["system_mode"] = it != cmd.params.end() && as_string(it->second) ? *as_string(it->second) : "off";
      } else {
        return unsupported();
      }
      break;
    case Domain::kLock:
      if (a == "lock") {
        p["state"] = "LOCK";
      } else if (a == "unlock") {
        p["state"] = "UNLOCK";
      } else {
        return unsupported();
      }
      break;
    default:
      return unsupported();
  }
  return std::vector<Publish>{Publish{b.command_topic, p.dump()}};
}

Result<std::vector<Publish>> ha_command(const Binding& b, const Device& d, const Command& cmd) {
  const std::string& a = cmd.action;
  auto unsupported = [&](const std::string& why) {
    return Error{Code::kUnsupported, d.id + ": " + a + " is not supported over Home Assistant MQTT (" + why + ")"};
  };
  if (b.command_topic.empty() && a != "set_position") return unsupported("the entity has no command_topic");
  auto one = [&](const std::string& payload) {
    return std::vector<Publish>{Publish{b.command_topic, payload}};
  };
  switch (d.domain) {
    case Domain::kLight:
    case Domain::kSwitch:
    case Domain::kFan:
      if (a == "turn_on") {
        if (cmd.params.size() > 0) return unsupported("only plain on/off; brightness/color topics are not supported");
        return one(b.payload_on);
      }
      if (a == "turn_off") return one(b.payload_off);
      return unsupported("no toggle payload in HA's MQTT schema");
    case Domain::kLock:
      if (a == "lock") return one(b.payload_lock);
      if (a == "unlock") return one(b.payload_unlock);
      return unsupported("locks take lock/unlock");
    case Domain::kCover:
      if (a == "open_cover") return one(b.payload_open);
      if (a == "close_cover") return one(b.payload_close);
      if (a == "stop_cover") return one(b.payload_stop);
      if (a == "set_position") {
        if (b.position_topic.empty()) return unsupported("the entity has no set_position_topic");
        const long pos = std::lround(number_param(cmd, "position").value_or(0));
        return std::vector<Publish>{Publish{b.position_topic, std::to_string(pos)}};
      }
      return unsupported("covers take open/close/stop/set_position");
    default:
      return unsupported("component not supported");
  }
}

// A JSON number in [lo, hi] or an error naming the key.
Result<double> number_in(const json& j, const char* key, double lo, double hi) {
  const json& v = j.at(key);
  if (!v.is_number()) return bad(std::string(key) + ": expected a number, got " + v.dump());
  const double x = v.get<double>();
  if (!(x >= lo && x <= hi)) {
    return bad(std::string(key) + ": " + v.dump() + " out of range " + value_to_string(lo) + ".." + value_to_string(hi));
  }
  return x;
}

Value number_value(double x) {
  if (std::floor(x) == x && std::fabs(x) < 1e15) return static_cast<int64_t>(x);
  return x;
}

Result<DeviceState> z2m_state(const Device& d, const DeviceState& current, std::string_view payload) {
  Result<json> parsed = parse_json(payload);
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  if (!j.is_object()) return bad("expected a JSON object, got " + std::string(j.type_name()));
  DeviceState s = current;
  auto has = [&](const char* key) { return j.contains(key) && !j.at(key).is_null(); };

  if (has("state")) {
    if (!j.at("state").is_string()) return bad("state: expected a string, got " + j.at("state").dump());
    const std::string v = lower(j.at("state").get<std::string>());
    switch (d.domain) {
      case Domain::kLight:
      case Domain::kSwitch:
      case Domain::kFan:
        if (v != "on" && v != "off") return bad("state: expected ON or OFF, got '" + v + "'");
        s.state = v;
        break;
      case Domain::kCover:
        if (v == "open") s.state = "open";
        else if (v == "close" || v == "closed") s.state = "closed";
        else if (v != "stop") return bad("state: expected OPEN, CLOSE or STOP, got '" + v + "'");
        break;
      case Domain::kLock:
        if (v == "lock" || v == "locked") s.state = "locked";
        else if (v == "unlock" || v == "unlocked") s.state = "unlocked";
        else return bad("state: expected LOCK or UNLOCK, got '" + v + "'");
        break;
      default:
        break;  // climate and sensors: "state" carries nothing we model
    }
  }
  if (d.domain == Domain::kLock && has("lock_state")) {
    if (!j.at("lock_state").is_string()) return bad("lock_state: expected a string");
    const std::string v = j.at("lock_state").get<std::string>();
    if (v == "locked") s.state = "locked";
    else if (v == "unlocked" || v == "not_fully_locked") s.state = "unlocked";
  }
  if (has("brightness")) {
    HEARTH_TRY(number_in(j, "brightness", 0, 254));
    s.attributes["brightness"] = static_cast<int64_t>(z2m_brightness_to_percent(j.at("brightness").get<double>()));
  }
  if (has("color_temp")) {
    Result<double> m = number_in(j, "color_temp", 50, 1000);
    if (!m) return m.error();
    s.attributes["color_temp_kelvin"] = static_cast<int64_t>(std::lround(1e6 / *m));
  }
  if (has("color")) {
    const json& c = j.at("color");
    if (!c.is_object()) return bad("color: expected an object, got " + c.dump());
    if (c.contains("hex") && c.at("hex").is_string() && device_rules::is_hex_color(c.at("hex").get<std::string>())) {
      s.attributes["color"] = lower(c.at("hex").get<std::string>());
    } else if (c.contains("x") && c.contains("y") && c.at("x").is_number() && c.at("y").is_number()) {
      const double x = c.at("x").get<double>(), y = c.at("y").get<double>();
      if (!(x >= 0 && x <= 1 && y > 0 && y <= 1)) return bad("color: x/y out of range 0..1");
      s.attributes["color"] = xy_to_hex(x, y);
    } else if (c.contains("hue") || c.contains("h")) {
      // hue/saturation reports: the color stays as last known
    } else {
      return bad("color: expected {x, y} or {hex}, got " + c.dump());
    }
  }
  if (has("position")) {
    Result<double> p = number_in(j, "position", 0, 100);
    if (!p) return p.error();
    s.attributes["position"] = static_cast<int64_t>(std::lround(*p));
    if (d.domain == Domain::kCover && !has("state")) s.state = *p > 0 ? "open" : "closed";
  }
  if (has("occupied_heating_setpoint")) {
    Result<double> t = number_in(j, "occupied_heating_setpoint", -50, 100);
    if (!t) return t.error();
    s.attributes["temperature"] = *t;
  }
  if (has("local_temperature")) {
    Result<double> t = number_in(j, "local_temperature", -100, 150);
    if (!t) return t.error();
    s.attributes["current_temperature"] = *t;
  }
  if (has("system_mode")) {
    if (!j.at("system_mode").is_string()) return bad("system_mode: expected a string");
    const std::string mode = j.at("system_mode").get<std::string>();
    s.attributes["hvac_mode"] = mode;
    if (d.domain == Domain::kClimate) s.state = mode;
  }
  if (has("fan_mode") && d.domain == Domain::kFan && j.at("fan_mode").is_string()) {
    const std::string m = j.at("fan_mode").get<std::string>();
    if (m == "low") s.attributes["percentage"] = int64_t{33};
    else if (m == "medium") s.attributes["percentage"] = int64_t{66};
    else if (m == "high" || m == "on") s.attributes["percentage"] = int64_t{100};
  }
  // Plain numeric readings kept as attributes.
  constexpr std::array<const char*, 11> kReadings = {"temperature", "humidity", "pressure", "illuminance",
                                                     "illuminance_lux", "co2", "power", "energy",
                                                     "voltage", "battery", "linkquality"};
  for (const char* key : kReadings) {
    if (!has(key)) continue;
    if (!j.at(key).is_number()) return bad(std::string(key) + ": expected a number, got " + j.at(key).dump());
    // a climate device's "temperature" is its setpoint in our model; the
    // room reading of a thermostat comes as local_temperature
    if (d.domain == Domain::kClimate && std::string_view(key) == "temperature") continue;
    s.attributes[key] = number_value(j.at(key).get<double>());
  }
  if (d.domain == Domain::kSensor) {
    std::string_view key = d.device_class.empty() ? "" : std::string_view(d.device_class);
    if (key.empty()) {
      for (const char* k : {"temperature", "humidity", "illuminance_lux", "illuminance", "power", "pressure"}) {
        if (has(k)) {
          key = k;
          break;
        }
      }
    }
    if (!key.empty() && j.contains(std::string(key)) && j.at(std::string(key)).is_number()) {
      s.state = value_to_string(number_value(j.at(std::string(key)).get<double>()));
    }
  }
  if (d.domain == Domain::kBinarySensor) {
    // contact=true means closed, so "on" (open) is its negation.
    struct Flag {
      const char* key;
      bool on_when;
    };
    for (Flag f : {Flag{"occupancy", true}, Flag{"contact", false}, Flag{"water_leak", true}, Flag{"smoke", true},
                   Flag{"vibration", true}, Flag{"presence", true}}) {
      if (!has(f.key)) continue;
      if (!j.at(f.key).is_boolean()) return bad(std::string(f.key) + ": expected true or false");
      s.state = j.at(f.key).get<bool>() == f.on_when ? "on" : "off";
      break;
    }
  }
  return s;
}

Result<DeviceState> ha_state(const Binding& b, const Device& d, const DeviceState& current, std::string_view payload) {
  std::string value(payload);
  if (!b.value_key.empty()) {
    Result<json> parsed = parse_json(payload);
    if (!parsed) return parsed.error();
    if (!parsed->is_object() || !parsed->contains(b.value_key)) {
      return bad("value_json." + b.value_key + ": missing in " + std::string(payload.substr(0, 80)));
    }
    const json& v = parsed->at(b.value_key);
    value = v.is_string() ? v.get<std::string>() : v.dump();
  }
  DeviceState s = current;
  switch (d.domain) {
    case Domain::kLight:
    case Domain::kSwitch:
    case Domain::kFan:
    case Domain::kBinarySensor:
      if (value == b.state_on) s.state = "on";
      else if (value == b.state_off) s.state = "off";
      else return bad("state '" + value + "' is neither '" + b.state_on + "' nor '" + b.state_off + "'");
      break;
    case Domain::kLock:
      if (value == b.state_locked) s.state = "locked";
      else if (value == b.state_unlocked) s.state = "unlocked";
      else return bad("state '" + value + "' is neither '" + b.state_locked + "' nor '" + b.state_unlocked + "'");
      break;
    case Domain::kCover:
      if (value == b.state_open || iequals(value, "open")) s.state = "open";
      else if (value == b.state_closed || iequals(value, "closed")) s.state = "closed";
      else if (iequals(value, "opening") || iequals(value, "closing") || iequals(value, "stopped")) s.state = lower(value);
      else return bad("cover state '" + value + "' not understood");
      break;
    case Domain::kSensor:
      if (value.size() > 64) return bad("sensor value longer than 64 bytes");
      s.state = value;
      break;
    default:
      return bad(std::string(domain_name(d.domain)) + " state is not supported over HA MQTT");
  }
  return s;
}

}  // namespace

Result<std::vector<Publish>> command_messages(const Binding& b, const Device& d, const Command& cmd) {
  return b.protocol == Protocol::kZigbee2Mqtt ? z2m_command(b, d, cmd) : ha_command(b, d, cmd);
}

Result<DeviceState> apply_state_message(const Binding& b, const Device& d, const DeviceState& current,
                                        std::string_view payload) {
  if (payload.size() > 64 * 1024) return bad("state message larger than 64 KiB");
  return b.protocol == Protocol::kZigbee2Mqtt ? z2m_state(d, current, payload) : ha_state(b, d, current, payload);
}

Result<bool> parse_availability(const Binding& b, std::string_view payload) {
  const std::string text = trim(payload);
  if (text == b.payload_available) return true;
  if (text == b.payload_not_available) return false;
  if (!text.empty() && text.front() == '{') {
    Result<json> parsed = parse_json(text);
    if (parsed && parsed->is_object() && parsed->contains("state") && parsed->at("state").is_string()) {
      const std::string st = parsed->at("state").get<std::string>();
      if (st == "online") return true;
      if (st == "offline") return false;
    }
  }
  return bad("availability '" + text.substr(0, 40) + "' is neither '" + b.payload_available + "' nor '" +
             b.payload_not_available + "' nor {\"state\": online|offline}");
}

namespace {

// The names of an expose's features ("features": [{"name"|"property"}]).
std::vector<std::string> feature_names(const json& expose) {
  std::vector<std::string> out;
  auto it = expose.find("features");
  if (it == expose.end() || !it->is_array()) return out;
  for (const json& f : *it) {
    if (!f.is_object()) continue;
    for (const char* key : {"name", "property"}) {
      if (f.contains(key) && f.at(key).is_string()) {
        out.push_back(f.at(key).get<std::string>());
        break;
      }
    }
  }
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// One bridge/devices entry → a proposal, or nullopt (not a controllable or
// readable device). Malformed → error.
Result<std::optional<ProposedDevice>> z2m_entry(const json& e) {
  if (!e.is_object()) return bad("entry is not an object");
  if (e.contains("type") && e.at("type").is_string() && e.at("type").get<std::string>() == "Coordinator") {
    return std::optional<ProposedDevice>{};
  }
  if (!e.contains("friendly_name") || !e.at("friendly_name").is_string() ||
      e.at("friendly_name").get<std::string>().empty()) {
    return bad("entry without a friendly_name string");
  }
  const std::string friendly = e.at("friendly_name").get<std::string>();
  if (!valid_topic(friendly)) return bad("friendly_name '" + friendly + "' contains MQTT wildcards");
  if (!e.contains("definition") || !e.at("definition").is_object()) return std::optional<ProposedDevice>{};
  const json& def = e.at("definition");
  ProposedDevice p;
  p.source = "zigbee2mqtt";
  p.source_key = friendly;
  if (def.contains("model") && def.at("model").is_string()) p.model = def.at("model").get<std::string>();
  if (def.contains("vendor") && def.at("vendor").is_string()) p.vendor = def.at("vendor").get<std::string>();
  if (!def.contains("exposes") || !def.at("exposes").is_array()) return bad(friendly + ": definition.exposes is not an array");

  std::optional<Domain> domain;
  for (const json& x : def.at("exposes")) {
    if (!x.is_object() || !x.contains("type") || !x.at("type").is_string()) continue;
    const std::string type = x.at("type").get<std::string>();
    const std::vector<std::string> features = feature_names(x);
    if (type == "light") {
      domain = Domain::kLight;
      p.capabilities = kCapOnOff;
      if (contains(features, "brightness")) p.capabilities |= kCapBrightness;
      if (contains(features, "color_temp")) p.capabilities |= kCapColorTemp;
      if (contains(features, "color_xy") || contains(features, "color_hs") || contains(features, "color")) {
        p.capabilities |= kCapColor;
      }
    } else if (type == "switch") {
      domain = Domain::kSwitch;
      p.capabilities = kCapOnOff;
    } else if (type == "lock") {
      domain = Domain::kLock;
      p.capabilities = kCapLock;
    } else if (type == "cover") {
      domain = Domain::kCover;
      p.capabilities = kCapOpenClose;
      if (contains(features, "position")) p.capabilities |= kCapPosition;
    } else if (type == "climate") {
      domain = Domain::kClimate;
      p.capabilities = kCapSetpoint;
      if (contains(features, "system_mode")) p.capabilities |= kCapHvacMode;
    } else if (type == "fan") {
      domain = Domain::kFan;
      p.capabilities = kCapOnOff | kCapSpeed;
    }
    if (domain) break;
  }
  if (!domain) {
    // Sensors: the first binary or numeric reading we model.
    for (const json& x : def.at("exposes")) {
      if (!x.is_object() || !x.contains("name") || !x.at("name").is_string()) continue;
      const std::string name = x.at("name").get<std::string>();
      if (name == "occupancy" || name == "contact" || name == "water_leak" || name == "smoke" || name == "presence") {
        domain = Domain::kBinarySensor;
        p.device_class = name == "contact" ? "door" : name == "water_leak" ? "moisture" : name;
        break;
      }
      if (name == "temperature" || name == "humidity" || name == "illuminance_lux" || name == "illuminance" ||
          name == "pressure" || name == "power") {
        domain = Domain::kSensor;
        p.device_class = name;
        break;
      }
    }
    if (domain) p.capabilities = kCapReadOnly;
  }
  if (!domain) return std::optional<ProposedDevice>{};
  p.domain = *domain;
  const std::string slug = slugify(friendly);
  if (slug.empty()) return bad("friendly_name '" + friendly + "' has no letters or digits");
  p.id = std::string(domain_name(*domain)) + "." + slug;
  p.name = title_case(slug);
  if (size_t slash = friendly.find('/'); slash != std::string::npos) p.area = slugify(friendly.substr(0, slash));
  p.adapter_json = json{{"type", "mqtt"}, {"protocol", "zigbee2mqtt"}, {"topic", friendly}}.dump();
  return std::optional<ProposedDevice>{std::move(p)};
}

// HA discovery key, full or abbreviated.
const json* ha_key(const json& j, const char* full, const char* abbr) {
  if (auto it = j.find(full); it != j.end()) return &*it;
  if (abbr) {
    if (auto it = j.find(abbr); it != j.end()) return &*it;
  }
  return nullptr;
}

}  // namespace

Result<std::vector<ProposedDevice>> parse_z2m_bridge_devices(std::string_view payload, int* skipped) {
  if (skipped) *skipped = 0;
  Result<json> parsed = parse_json(payload);
  if (!parsed) return parsed.error().with_context("bridge/devices");
  if (!parsed->is_array()) return bad("bridge/devices: expected a JSON array");
  std::vector<ProposedDevice> out;
  for (const json& e : *parsed) {
    Result<std::optional<ProposedDevice>> p = z2m_entry(e);
    if (!p) {
      if (skipped) ++*skipped;
      continue;
    }
    if (*p) out.push_back(std::move(**p));
  }
  return out;
}

Result<std::vector<std::string>> z2m_bridge_names(std::string_view payload, bool* complete) {
  if (complete) *complete = true;
  Result<json> parsed = parse_json(payload);
  if (!parsed) return parsed.error().with_context("bridge/devices");
  if (!parsed->is_array()) return bad("bridge/devices: expected a JSON array");
  std::vector<std::string> out;
  for (const json& e : *parsed) {
    if (e.is_object() && e.contains("type") && e.at("type").is_string() &&
        e.at("type").get<std::string>() == "Coordinator") {
      continue;
    }
    if (!e.is_object() || !e.contains("friendly_name") || !e.at("friendly_name").is_string() ||
        e.at("friendly_name").get<std::string>().empty()) {
      if (complete) *complete = false;
      continue;
    }
    out.push_back(e.at("friendly_name").get<std::string>());
  }
  return out;
}

Result<std::optional<ProposedDevice>> parse_ha_discovery(std::string_view topic, std::string_view payload,
                                                         std::string_view prefix) {
  // <prefix>/<component>/[<node_id>/]<object_id>/config
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = topic.find('/', start);
    parts.emplace_back(topic.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 4 || parts.size() > 5 || parts.front() != prefix || parts.back() != "config") {
    return bad("discovery topic '" + std::string(topic) + "' is not <prefix>/<component>/[<node_id>/]<object_id>/config");
  }
  const std::string component = parts[1];
  const std::string object_id = parts[parts.size() - 2];
  if (trim(payload).empty()) return std::optional<ProposedDevice>{};  // entity removed

  Result<json> parsed = parse_json(payload);
  if (!parsed) return parsed.error().with_context(std::string(topic));
  const json& j = *parsed;
  if (!j.is_object()) return bad(std::string(topic) + ": expected a JSON object");

  std::optional<Domain> domain;
  uint32_t caps = 0;
  if (component == "light") domain = Domain::kLight, caps = kCapOnOff;
  else if (component == "switch") domain = Domain::kSwitch, caps = kCapOnOff;
  else if (component == "fan") domain = Domain::kFan, caps = kCapOnOff;
  else if (component == "lock") domain = Domain::kLock, caps = kCapLock;
  else if (component == "cover") domain = Domain::kCover, caps = kCapOpenClose;
  else if (component == "sensor") domain = Domain::kSensor, caps = kCapReadOnly;
  else if (component == "binary_sensor") domain = Domain::kBinarySensor, caps = kCapReadOnly;
  if (!domain) return Error{Code::kUnsupported, "HA component '" + component + "' is not supported"};

  std::string base;
  if (const json* t = ha_key(j, "~", nullptr); t && t->is_string()) base = t->get<std::string>();
  auto topic_of = [&](const char* full, const char* abbr, std::string* out) -> Result<void> {
    const json* v = ha_key(j, full, abbr);
    if (!v) return {};
    if (!v->is_string()) return bad(std::string(full) + ": expected a string");
    std::string t = v->get<std::string>();
    if (!base.empty()) {
      if (t.rfind("~", 0) == 0) t = base + t.substr(1);
      else if (!t.empty() && t.back() == '~') t = t.substr(0, t.size() - 1) + base;
    }
    if (!valid_topic(t)) return bad(std::string(full) + ": '" + t + "' is not a publishable topic");
    *out = std::move(t);
    return {};
  };
  json adapter = {{"type", "mqtt"}, {"protocol", "ha"}};
  std::string command_topic, state_topic, availability_topic, position_topic;
  HEARTH_TRY(topic_of("command_topic", "cmd_t", &command_topic));
  HEARTH_TRY(topic_of("state_topic", "stat_t", &state_topic));
  HEARTH_TRY(topic_of("availability_topic", "avty_t", &availability_topic));
  HEARTH_TRY(topic_of("set_position_topic", "set_pos_t", &position_topic));
  if (command_topic.empty() && state_topic.empty()) return bad(std::string(topic) + ": neither command_topic nor state_topic");
  if (command_topic.empty() && caps != kCapReadOnly) caps = kCapReadOnly;
  if (!position_topic.empty() && *domain == Domain::kCover) caps |= kCapPosition;
  if (!command_topic.empty()) adapter["command_topic"] = command_topic;
  if (!state_topic.empty()) adapter["state_topic"] = state_topic;
  if (!availability_topic.empty()) adapter["availability_topic"] = availability_topic;
  if (!position_topic.empty()) adapter["position_topic"] = position_topic;

  struct Copy {
    const char* full;
    const char* abbr;
  };
  for (Copy c : {Copy{"payload_on", "pl_on"}, Copy{"payload_off", "pl_off"}, Copy{"state_on", nullptr},
                 Copy{"state_off", nullptr}, Copy{"payload_lock", "pl_lock"}, Copy{"payload_unlock", "pl_unlk"},
                 Copy{"state_locked", "stat_locked"}, Copy{"state_unlocked", "stat_unlocked"},
                 Copy{"payload_open", "pl_open"}, Copy{"payload_close", "pl_cls"}, Copy{"payload_stop", "pl_stop"},
                 Copy{"state_open", "stat_open"}, Copy{"state_closed", "stat_clsd"},
                 Copy{"payload_available", "pl_avail"}, Copy{"payload_not_available", "pl_not_avail"}}) {
    const json* v = ha_key(j, c.full, c.abbr);
    if (!v) continue;
    if (v->is_string()) {
      adapter[c.full] = v->get<std::string>();
    } else if (v->is_number() || v->is_boolean()) {
      adapter[c.full] = v->dump();
    } else {
      return bad(std::string(c.full) + ": expected a string");
    }
  }
  const json* tpl = ha_key(j, "value_template", "val_tpl");
  if (!tpl) tpl = ha_key(j, "state_value_template", "stat_val_tpl");
  if (tpl) {
    if (!tpl->is_string()) return bad("value_template: expected a string");
    // An unsupported template still gives a proposal, without the template:
    // the raw payload is then compared; the warning tells the user why.
    if (parse_value_template(tpl->get<std::string>())) adapter["value_template"] = tpl->get<std::string>();
  }

  ProposedDevice p;
  p.source = "homeassistant";
  p.source_key = std::string(topic);
  p.domain = *domain;
  p.capabilities = caps;
  if (const json* dc = ha_key(j, "device_class", "dev_cla"); dc && dc->is_string()) p.device_class = dc->get<std::string>();
  std::string name;
  if (const json* n = ha_key(j, "name", nullptr); n && n->is_string()) name = n->get<std::string>();
  std::string unique;
  if (const json* u = ha_key(j, "unique_id", "uniq_id"); u && u->is_string()) unique = u->get<std::string>();
  const std::string slug = slugify(!name.empty() ? name : !unique.empty() ? unique : object_id);
  if (slug.empty()) return bad(std::string(topic) + ": no usable name");
  p.id = std::string(domain_name(*domain)) + "." + slug;
  p.name = name.empty() ? title_case(slug) : name;
  if (const json* dev = ha_key(j, "device", "dev"); dev && dev->is_object()) {
    if (const json* m = ha_key(*dev, "model", "mdl"); m && m->is_string()) p.model = m->get<std::string>();
    if (const json* m = ha_key(*dev, "manufacturer", "mf"); m && m->is_string()) p.vendor = m->get<std::string>();
    if (const json* a = ha_key(*dev, "suggested_area", "sa"); a && a->is_string()) p.area = slugify(a->get<std::string>());
  }
  p.adapter_json = adapter.dump();
  return std::optional<ProposedDevice>{std::move(p)};
}

}  // namespace hearth::mqtt
