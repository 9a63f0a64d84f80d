#include "responses.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace hearth {

std::string format_number(double v) {
  double rounded = std::round(v * 10.0) / 10.0;
  char buf[32];
  if (std::fabs(rounded - std::round(rounded)) < 1e-9) {
    std::snprintf(buf, sizeof(buf), "%.0f", rounded);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f", rounded);
  }
  return buf;
}

std::string format_duration(std::chrono::seconds d) {
  int64_t total = d.count();
  if (total < 0) total = 0;
  const int64_t hours = total / 3600;
  const int64_t minutes = (total % 3600) / 60;
  const int64_t seconds = total % 60;
  std::vector<std::string> parts;
  auto part = [&](int64_t n, const char* unit) {
    if (n > 0) parts.push_back(std::to_string(n) + " " + unit + (n == 1 ? "" : "s"));
  };
  part(hours, "hour");
  part(minutes, "minute");
  part(seconds, "second");
  if (parts.empty()) return "0 seconds";
  return join_words(parts, "and");
}

std::string join_words(const std::vector<std::string>& words, std::string_view conjunction) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += (i + 1 == words.size()) ? " " + std::string(conjunction) + " " : ", ";
    out += words[i];
  }
  return out;
}

std::string capitalize(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::optional<std::string> slot_string(const ValueMap& slots, std::string_view key) {
  auto it = slots.find(key);
  if (it == slots.end()) return std::nullopt;
  if (const std::string* s = as_string(it->second)) return *s;
  return std::nullopt;
}

std::optional<double> slot_number(const ValueMap& slots, std::string_view key) {
  auto it = slots.find(key);
  if (it == slots.end()) return std::nullopt;
  if (std::optional<double> n = as_number(it->second)) return n;
  // Tolerate numbers given as text ("21.5") by other parser layers.
  if (const std::string* s = as_string(it->second)) {
    char* end = nullptr;
    double v = std::strtod(s->c_str(), &end);
    if (end != s->c_str() && *end == '\0') return v;
  }
  return std::nullopt;
}

std::string device_noun(const Device& device, bool plural) {
  std::string singular;
  std::string many;
  switch (device.domain) {
    case Domain::kLight: singular = "light"; break;
    case Domain::kSwitch: singular = "switch"; many = "switches"; break;
    case Domain::kFan: singular = "fan"; break;
    case Domain::kCover:
      if (device.device_class == "blind") {
        singular = "blind";
      } else if (device.device_class == "curtain") {
        singular = "curtain";
      } else if (device.device_class == "shade") {
        singular = "shade";
      } else if (device.device_class == "garage") {
        singular = "garage door";
      } else if (device.device_class == "door") {
        singular = "door";
      } else if (device.device_class == "window") {
        singular = "window";
      } else {
        singular = "cover";
      }
      break;
    case Domain::kClimate: singular = "thermostat"; break;
    case Domain::kLock: singular = "lock"; break;
    case Domain::kMediaPlayer: singular = "media player"; break;
    case Domain::kSensor: singular = "sensor"; break;
    case Domain::kBinarySensor: singular = "sensor"; break;
    case Domain::kVacuum: singular = "vacuum"; break;
    case Domain::kScene: singular = "scene"; break;
    case Domain::kScript: singular = "script"; break;
  }
  if (!plural) return singular;
  return many.empty() ? singular + "s" : many;
}

std::string group_noun(const std::vector<const Device*>& devices, bool plural) {
  std::string noun;
  for (const Device* d : devices) {
    std::string n = device_noun(*d, plural);
    if (noun.empty()) {
      noun = n;
    } else if (noun != n) {
      return plural ? "devices" : "device";
    }
  }
  if (noun.empty()) return plural ? "devices" : "device";
  return noun;
}

std::string location_phrase(const Home& home, const ValueMap& slots) {
  if (std::optional<std::string> area = slot_string(slots, "area")) {
    const Area* a = home.area_named(*area);
    return " in the " + (a ? a->name : *area);
  }
  if (std::optional<std::string> floor = slot_string(slots, "floor")) {
    const Floor* f = home.floor_named(*floor);
    std::string name = f ? f->name : *floor;
    std::string normalized = normalize_name(name);
    if (normalized == "upstairs" || normalized == "downstairs") return " " + normalized;
    return " on the " + name;
  }
  return "";
}

std::string target_phrase(const Home& home, const ValueMap& slots, const std::vector<const Device*>& devices) {
  if (devices.size() == 1) {
    const Device& d = *devices[0];
    if (d.domain == Domain::kScene || d.domain == Domain::kScript) return d.name;
    return "the " + d.name;
  }
  return std::to_string(devices.size()) + " " + group_noun(devices, true) + location_phrase(home, slots);
}

std::string display_state(const Device& device, const DeviceState& state) {
  const std::string& s = state.state;
  if (device.domain == Domain::kBinarySensor) {
    const std::string& dc = device.device_class;
    const bool on = s == "on";
    if (dc == "door" || dc == "window" || dc == "garage_door" || dc == "opening") return on ? "open" : "closed";
    if (dc == "motion" || dc == "occupancy" || dc == "presence") return on ? "detecting someone" : "clear";
    return s;
  }
  if (device.domain == Domain::kSensor) {
    auto unit = state.attributes.find("unit");
    std::string value = s;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end != s.c_str() && *end == '\0') value = format_number(v);
    if (unit != state.attributes.end()) {
      if (const std::string* u = as_string(unit->second)) {
        if (*u == "%") return value + "%";
        if (!u->empty()) return value + " " + *u;
      }
    }
    return value;
  }
  return s;
}

std::string failure_predicate(const Error& error) {
  switch (error.code) {
    case Code::kTimeout: return "didn't respond in time";
    case Code::kUnavailable: return "is unavailable";
    case Code::kUnsupported: return "can't do that";
    case Code::kBusy: return "is busy";
    case Code::kCancelled: return "was interrupted";
    default: return "failed (" + error.message + ")";
  }
}

}  // namespace hearth
