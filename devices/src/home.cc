// The home model: parsing and validating the home file, and the name lookups
// asr/, nlu/ and the bus use. See home.h for the file format.
#include "hearth/devices/home.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "device_rules.h"
#include "hearth/common/value_json.h"

namespace hearth {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, kNumDomains> kDomainNames = {
    "light", "switch", "fan",    "cover",  "climate", "lock",
    "media_player", "sensor", "binary_sensor", "vacuum", "scene", "script"};

// In bit order of Capability.
constexpr std::array<std::string_view, 15> kCapabilityNames = {
    "on_off", "brightness", "color",  "color_temp", "position", "open_close", "setpoint", "hvac_mode",
    "lock",   "media",      "volume", "vacuum",     "activate", "speed",      "read_only"};

uint32_t default_capabilities(Domain d) {
  switch (d) {
    case Domain::kLight: return kCapOnOff;
    case Domain::kSwitch: return kCapOnOff;
    case Domain::kFan: return kCapOnOff;
    case Domain::kCover: return kCapOpenClose;
    case Domain::kClimate: return kCapSetpoint | kCapHvacMode;
    case Domain::kLock: return kCapLock;
    case Domain::kMediaPlayer: return kCapOnOff | kCapMedia | kCapVolume;
    case Domain::kSensor: return kCapReadOnly;
    case Domain::kBinarySensor: return kCapReadOnly;
    case Domain::kVacuum: return kCapVacuum;
    case Domain::kScene: return kCapActivate;
    case Domain::kScript: return kCapActivate;
  }
  return 0;
}

// State of a device whose home entry has no "state".
std::string default_state(Domain d) {
  switch (d) {
    case Domain::kCover: return "closed";
    case Domain::kLock: return "locked";
    case Domain::kVacuum: return "docked";
    case Domain::kSensor: return "unknown";
    case Domain::kScene: return "";
    default: return "off";
  }
}

// Attribute → capability it implies.
struct ImpliedCapability {
  std::string_view attribute;
  Capability capability;
};
constexpr std::array<ImpliedCapability, 6> kImpliedCapabilities = {{
    {"brightness", kCapBrightness},
    {"color", kCapColor},
    {"color_temp_kelvin", kCapColorTemp},
    {"position", kCapPosition},
    {"percentage", kCapSpeed},
    {"volume", kCapVolume},
}};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out;
}

std::string known_domains_text() {
  std::string out;
  for (size_t i = 0; i < kDomainNames.size(); ++i) {
    if (i > 0) out += ", ";
    out += kDomainNames[i];
  }
  return out;
}

std::string known_capabilities_text() {
  std::string out;
  for (size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if (i > 0) out += ", ";
    out += kCapabilityNames[i];
  }
  return out;
}

// Lower-case letters, digits and '_', at least one character.
bool is_slug(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// "at line 3, column 7" from a 1-based byte position as nlohmann reports it
// (the position of the last character read).
void line_and_column(std::string_view text, size_t byte, size_t* line, size_t* column) {
  size_t pos = byte == 0 ? 0 : byte - 1;
  if (pos > text.size()) pos = text.size();
  *line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++*line;
      line_start = i + 1;
    }
  }
  *column = pos - line_start + 1;
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line
// 1, column 5: syntax error while parsing ..."; keep only the part after the
// position since we print our own.
std::string parse_error_detail(const char* what) {
  std::string text = what;
  const size_t column = text.find(", column ");
  if (column != std::string::npos) {
    const size_t colon = text.find(": ", column);
    if (colon != std::string::npos) return text.substr(colon + 2);
  }
  return text;
}

// Collects the errors of one parse. Every check appends and returns whether
// the value was usable, so parsing goes on and all problems are reported.
class HomeParser {
 public:
  explicit HomeParser(ConfigErrors& errors) : errors_(errors) {}

  // Fills the three lists; returns false when any error was reported.
  bool run(std::string_view text, std::vector<Floor>* floors, std::vector<Area>* areas,
           std::vector<Device>* devices);

 private:
  void error(const std::string& path, std::string message) {
    errors_.add(path, std::move(message));
    ++n_errors_;
  }

  // Reads an optional string member; `*out` is left unchanged when absent.
  // Returns false (after reporting) when present with the wrong type.
  bool read_string(const json& obj, const std::string& path, const char* key, std::string* out);
  // Reads a required non-empty string member.
  bool read_required_string(const json& obj, const std::string& path, const char* key, std::string* out);
  void read_aliases(const json& obj, const std::string& path, std::vector<std::string>* out);
  // Checks that `key`, when present, is an array; returns nullptr otherwise.
  const json* optional_array(const json& obj, const std::string& path, const char* key);

  void parse_floors(const json& root, std::vector<Floor>* floors);
  void parse_areas(const json& root, const std::vector<Floor>& floors, std::vector<Area>* areas);
  void parse_devices(const json& root, const std::vector<Area>& areas, std::vector<Device>* devices);
  void parse_device(const json& item, const std::string& path, const std::vector<Area>& areas, Device* d,
                    bool* id_ok);
  void parse_attributes(const json& attrs, const std::string& path, Device* d);
  void check_names(const std::vector<Floor>& floors, const std::vector<Area>& areas,
                   const std::vector<Device>& devices);

  ConfigErrors& errors_;
  int n_errors_ = 0;
  // JSON path of each device entry, for messages that point at two entries.
  std::vector<std::string> device_paths_;
};

bool HomeParser::read_string(const json& obj, const std::string& path, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return true;
  if (!it->is_string()) {
    error(path + "." + key, std::string("expected a string, got ") + it->type_name());
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool HomeParser::read_required_string(const json& obj, const std::string& path, const char* key,
                                      std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    error(path + "." + key, std::string("missing required key '") + key + "' (a non-empty string)");
    return false;
  }
  if (!it->is_string()) {
    error(path + "." + key, std::string("expected a non-empty string, got ") + it->type_name());
    return false;
  }
  std::string value = it->get<std::string>();
  if (normalize_name(value).empty()) {
    error(path + "." + key, "expected a non-empty string, got '" + value + "'");
    return false;
  }
  *out = std::move(value);
  return true;
}

void HomeParser::read_aliases(const json& obj, const std::string& path, std::vector<std::string>* out) {
  const json* arr = optional_array(obj, path, "aliases");
  if (arr == nullptr) return;
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& a = (*arr)[i];
    const std::string item_path = path + ".aliases[" + std::to_string(i) + "]";
    if (!a.is_string()) {
      error(item_path, std::string("expected a string, got ") + a.type_name());
      continue;
    }
    std::string alias = a.get<std::string>();
    if (normalize_name(alias).empty()) {
      error(item_path, "alias '" + alias + "' has no letters or digits");
      continue;
    }
    out->push_back(std::move(alias));
  }
}

const json* HomeParser::optional_array(const json& obj, const std::string& path, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  if (!it->is_array()) {
    error(path + "." + key, std::string("expected an array, got ") + it->type_name());
    return nullptr;
  }
  return &*it;
}

void HomeParser::parse_floors(const json& root, std::vector<Floor>* floors) {
  const json* arr = optional_array(root, "$", "floors");
  if (arr == nullptr) return;
  std::map<std::string, std::string> first_path;  // id → path of the entry that defined it
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& item = (*arr)[i];
    const std::string path = "$.floors[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      error(path, std::string("expected an object, got ") + item.type_name());
      continue;
    }
    Floor f;
    bool id_ok = read_required_string(item, path, "id", &f.id);
    if (id_ok && !is_slug(f.id)) {
      error(path + ".id", "expected lower-case letters, digits and '_' (e.g. 'upstairs'), got '" + f.id + "'");
      id_ok = false;
    }
    read_required_string(item, path, "name", &f.name);
    read_aliases(item, path, &f.aliases);
    auto level = item.find("level");
    if (level != item.end()) {
      if (level->is_number_integer()) {
        f.level = level->get<int>();
      } else {
        error(path + ".level", std::string("expected an integer, got ") + level->type_name());
      }
    }
    if (!id_ok) continue;
    auto [it, inserted] = first_path.emplace(f.id, path);
    if (!inserted) {
      error(path + ".id", "duplicate floor id '" + f.id + "' (first defined at " + it->second + ")");
      continue;
    }
    floors->push_back(std::move(f));
  }
}

void HomeParser::parse_areas(const json& root, const std::vector<Floor>& floors, std::vector<Area>* areas) {
  const json* arr = optional_array(root, "$", "areas");
  if (arr == nullptr) return;
  std::vector<std::string> floor_ids;
  for (const Floor& f : floors) floor_ids.push_back(f.id);
  std::map<std::string, std::string> first_path;
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& item = (*arr)[i];
    const std::string path = "$.areas[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      error(path, std::string("expected an object, got ") + item.type_name());
      continue;
    }
    Area a;
    bool id_ok = read_required_string(item, path, "id", &a.id);
    if (id_ok && !is_slug(a.id)) {
      error(path + ".id", "expected lower-case letters, digits and '_' (e.g. 'kitchen'), got '" + a.id + "'");
      id_ok = false;
    }
    read_required_string(item, path, "name", &a.name);
    read_aliases(item, path, &a.aliases);
    if (read_string(item, path, "floor", &a.floor) && !a.floor.empty()) {
      if (std::find(floor_ids.begin(), floor_ids.end(), a.floor) == floor_ids.end()) {
        std::string known = floor_ids.empty() ? "no floors are defined" : "known floors: " + join(floor_ids);
        error(path + ".floor", "unknown floor '" + a.floor + "'; " + known);
      }
    }
    if (!id_ok) continue;
    auto [it, inserted] = first_path.emplace(a.id, path);
    if (!inserted) {
      error(path + ".id", "duplicate area id '" + a.id + "' (first defined at " + it->second + ")");
      continue;
    }
    areas->push_back(std::move(a));
  }
}

void HomeParser::parse_attributes(const json& attrs, const std::string& path, Device* d) {
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const std::string attr_path = path + "." + key;
    bool scalar = true;
    Value value = value_from_json(v, &scalar);
    if (!scalar) {
      error(attr_path, std::string("expected a scalar (null, boolean, number or string), got ") + v.type_name());
      continue;
    }
    if (device_rules::is_percent_attribute(key)) {
      std::optional<double> n = as_number(value);
      if (!n || *n < device_rules::kMinPercent || *n > device_rules::kMaxPercent) {
        error(attr_path, "expected a number in 0..100 (percent), got " + v.dump());
        continue;
      }
    } else if (key == "color_temp_kelvin") {
      std::optional<double> n = as_number(value);
      if (!n || *n < device_rules::kMinColorTempKelvin || *n > device_rules::kMaxColorTempKelvin) {
        error(attr_path, "expected a number in " + std::to_string(device_rules::kMinColorTempKelvin) + ".." +
                             std::to_string(device_rules::kMaxColorTempKelvin) + " (kelvin), got " + v.dump());
        continue;
      }
    } else if (key == "color") {
      const std::string* s = as_string(value);
      if (s == nullptr || !device_rules::is_color(*s)) {
        error(attr_path, "expected a color name (red, warm white, ...) or \"#rrggbb\", got " + v.dump());
        continue;
      }
    } else if (key == "temperature" || key == "current_temperature" || key == "min_temp" || key == "max_temp") {
      if (!as_number(value)) {
        error(attr_path, "expected a number (degrees C), got " + v.dump());
        continue;
      }
    } else if (key == "hvac_mode") {
      const std::string* s = as_string(value);
      if (s == nullptr || !device_rules::is_hvac_mode(*s)) {
        error(attr_path, "expected one of heat, cool, auto, off, got " + v.dump());
        continue;
      }
    }
    d->initial.attributes[key] = std::move(value);
  }
  // The setpoint range must be a range, and contain the setpoint.
  std::optional<double> min_temp, max_temp, setpoint;
  if (auto it = d->initial.attributes.find("min_temp"); it != d->initial.attributes.end()) min_temp = as_number(it->second);
  if (auto it = d->initial.attributes.find("max_temp"); it != d->initial.attributes.end()) max_temp = as_number(it->second);
  if (auto it = d->initial.attributes.find("temperature"); it != d->initial.attributes.end()) setpoint = as_number(it->second);
  const double lo = min_temp.value_or(device_rules::kDefaultMinTempC);
  const double hi = max_temp.value_or(device_rules::kDefaultMaxTempC);
  if (lo > hi) {
    error(path + ".min_temp", "min_temp " + value_to_string(lo) + " is above max_temp " + value_to_string(hi));
  } else if (d->domain == Domain::kClimate && setpoint && (*setpoint < lo || *setpoint > hi)) {
    error(path + ".temperature", "setpoint " + value_to_string(*setpoint) + " is outside min_temp..max_temp (" +
                                     value_to_string(lo) + ".." + value_to_string(hi) + ")");
  }
}

void HomeParser::parse_device(const json& item, const std::string& path, const std::vector<Area>& areas,
                              Device* d, bool* id_ok) {
  *id_ok = read_required_string(item, path, "id", &d->id);
  std::string prefix;
  if (*id_ok) {
    const size_t dot = d->id.find('.');
    const bool shape_ok = dot != std::string::npos && is_slug(d->id.substr(0, dot)) && is_slug(d->id.substr(dot + 1));
    if (!shape_ok) {
      error(path + ".id",
            "expected 'domain.object_id' with lower-case letters, digits and '_' (e.g. 'light.kitchen_ceiling'), "
            "got '" + d->id + "'");
      *id_ok = false;
    } else {
      prefix = d->id.substr(0, dot);
    }
  }
  read_required_string(item, path, "name", &d->name);
  read_aliases(item, path, &d->aliases);

  // Domain: explicit "domain" must be known and agree with the id's prefix;
  // without it the prefix is the domain.
  std::optional<Domain> domain;
  auto domain_it = item.find("domain");
  if (domain_it != item.end()) {
    if (!domain_it->is_string()) {
      error(path + ".domain", std::string("expected a string, got ") + domain_it->type_name());
    } else {
      const std::string name = domain_it->get<std::string>();
      domain = domain_from_name(name);
      if (!domain) {
        error(path + ".domain", "unknown domain '" + name + "'; known domains: " + known_domains_text());
      } else if (!prefix.empty() && prefix != name) {
        error(path + ".domain", "domain '" + name + "' contradicts the id prefix '" + prefix + "' of '" + d->id +
                                    "'; the id must start with '" + name + ".'");
      }
    }
  } else if (!prefix.empty()) {
    domain = domain_from_name(prefix);
    if (!domain) {
      error(path + ".id", "unknown domain '" + prefix + "' in id '" + d->id + "'; known domains: " +
                              known_domains_text());
    }
  }
  if (domain) d->domain = *domain;

  if (read_string(item, path, "area", &d->area) && !d->area.empty()) {
    bool known = false;
    for (const Area& a : areas) known = known || a.id == d->area;
    if (!known) {
      std::vector<std::string> ids;
      for (const Area& a : areas) ids.push_back(a.id);
      std::string list = ids.empty() ? "no areas are defined" : "known areas: " + join(ids);
      error(path + ".area", "unknown area '" + d->area + "'; " + list);
    }
  }
  read_string(item, path, "device_class", &d->device_class);

  // "state" is text; numbers (sensor readings) are kept in their text form.
  d->initial.state = default_state(d->domain);
  auto state_it = item.find("state");
  if (state_it != item.end()) {
    if (state_it->is_string()) {
      d->initial.state = state_it->get<std::string>();
    } else if (state_it->is_number()) {
      d->initial.state = value_to_string(value_from_json(*state_it));
    } else {
      error(path + ".state", std::string("expected a string or a number, got ") + state_it->type_name());
    }
  }

  auto attrs_it = item.find("attributes");
  if (attrs_it != item.end()) {
    if (!attrs_it->is_object()) {
      error(path + ".attributes", std::string("expected an object, got ") + attrs_it->type_name());
    } else {
      parse_attributes(*attrs_it, path + ".attributes", d);
    }
  }

  d->capabilities = default_capabilities(d->domain);
  if (const json* supports = optional_array(item, path, "supports")) {
    for (size_t i = 0; i < supports->size(); ++i) {
      const json& s = (*supports)[i];
      const std::string item_path = path + ".supports[" + std::to_string(i) + "]";
      if (!s.is_string()) {
        error(item_path, std::string("expected a capability name (string), got ") + s.type_name());
        continue;
      }
      const std::string name = s.get<std::string>();
      std::optional<Capability> cap = capability_from_name(name);
      if (!cap) {
        error(item_path, "unknown capability '" + name + "'; known capabilities: " + known_capabilities_text());
        continue;
      }
      d->capabilities |= *cap;
    }
  }
  for (const ImpliedCapability& ic : kImpliedCapabilities) {
    if (d->initial.attributes.count(ic.attribute) > 0) d->capabilities |= ic.capability;
  }

  auto adapter_it = item.find("adapter");
  if (adapter_it != item.end()) {
    if (!adapter_it->is_object()) {
      error(path + ".adapter", std::string("expected an object with a \"type\" string, got ") +
                                   adapter_it->type_name());
    } else {
      auto type_it = adapter_it->find("type");
      if (type_it == adapter_it->end()) {
        error(path + ".adapter.type", "missing required key 'type' (adapter kind, e.g. \"virtual\")");
      } else if (!type_it->is_string() || type_it->get<std::string>().empty()) {
        error(path + ".adapter.type", std::string("expected a non-empty string (e.g. \"virtual\"), got ") +
                                          type_it->dump());
      } else {
        d->adapter.type = type_it->get<std::string>();
      }
      d->adapter.options_json = adapter_it->dump();
    }
  }

  auto cloud_it = item.find("cloud");
  if (cloud_it != item.end()) {
    if (!cloud_it->is_object()) {
      error(path + ".cloud", std::string("expected an object {\"url\", \"token\"}, got ") + cloud_it->type_name());
    } else {
      CloudRoute route;
      const bool has_url = read_required_string(*cloud_it, path + ".cloud", "url", &route.url);
      read_string(*cloud_it, path + ".cloud", "token", &route.token);
      if (has_url && route.url.rfind("http://", 0) != 0) {
        error(path + ".cloud.url", "expected an http:// URL (https cloud routes are not in this build), got '" +
                                       route.url + "'");
      }
      d->cloud = std::move(route);
    }
  }
}

void HomeParser::parse_devices(const json& root, const std::vector<Area>& areas, std::vector<Device>* devices) {
  auto it = root.find("devices");
  if (it == root.end()) {
    error("$.devices", "missing required key 'devices' (an array of device objects)");
    return;
  }
  if (!it->is_array()) {
    error("$.devices", std::string("expected an array, got ") + it->type_name());
    return;
  }
  const json& arr = *it;
  std::map<std::string, std::string> first_path;
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& item = arr[i];
    const std::string path = "$.devices[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      error(path, std::string("expected an object, got ") + item.type_name());
      continue;
    }
    Device d;
    bool id_ok = false;
    parse_device(item, path, areas, &d, &id_ok);
    if (!id_ok) continue;
    auto [first, inserted] = first_path.emplace(d.id, path);
    if (!inserted) {
      error(path + ".id", "duplicate device id '" + d.id + "' (first defined at " + first->second + ")");
      continue;
    }
    device_paths_.push_back(path);
    devices->push_back(std::move(d));
  }
}

// Spoken names must resolve: an area or floor name/alias names one area or
// floor; a device's display name names one device, so no other device may
// use it as name or alias. Aliases shared by devices are legal (ambiguous).
void HomeParser::check_names(const std::vector<Floor>& floors, const std::vector<Area>& areas,
                             const std::vector<Device>& devices) {
  std::map<std::string, std::string> floor_phrase;  // normalized → floor id
  for (size_t i = 0; i < floors.size(); ++i) {
    std::vector<std::string> phrases = {floors[i].name};
    phrases.insert(phrases.end(), floors[i].aliases.begin(), floors[i].aliases.end());
    for (const std::string& p : phrases) {
      const std::string n = normalize_name(p);
      auto [it, inserted] = floor_phrase.emplace(n, floors[i].id);
      if (!inserted && it->second != floors[i].id) {
        error("$.floors[" + std::to_string(i) + "]",
              "name or alias '" + p + "' is already used by floor '" + it->second + "'");
      }
    }
  }
  std::map<std::string, std::string> area_phrase;
  for (size_t i = 0; i < areas.size(); ++i) {
    std::vector<std::string> phrases = {areas[i].name};
    phrases.insert(phrases.end(), areas[i].aliases.begin(), areas[i].aliases.end());
    for (const std::string& p : phrases) {
      const std::string n = normalize_name(p);
      auto [it, inserted] = area_phrase.emplace(n, areas[i].id);
      if (!inserted && it->second != areas[i].id) {
        error("$.areas[" + std::to_string(i) + "]",
              "name or alias '" + p + "' is already used by area '" + it->second + "'");
      }
    }
  }
  std::map<std::string, size_t> device_name;  // normalized display name → device index
  for (size_t i = 0; i < devices.size(); ++i) {
    const std::string n = normalize_name(devices[i].name);
    auto [it, inserted] = device_name.emplace(n, i);
    if (!inserted) {
      error(device_paths_[i] + ".name", "name '" + devices[i].name + "' is already the name of device '" +
                                            devices[it->second].id + "'; give one of them another name and "
                                            "share a common alias instead");
    }
  }
  for (size_t i = 0; i < devices.size(); ++i) {
    for (size_t k = 0; k < devices[i].aliases.size(); ++k) {
      auto it = device_name.find(normalize_name(devices[i].aliases[k]));
      if (it != device_name.end() && it->second != i) {
        error(device_paths_[i] + ".aliases[" + std::to_string(k) + "]",
              "alias '" + devices[i].aliases[k] + "' collides with the name of device '" + devices[it->second].id +
                  "'; a display name must identify one device");
      }
    }
  }
}

bool HomeParser::run(std::string_view text, std::vector<Floor>* floors, std::vector<Area>* areas,
                     std::vector<Device>* devices) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    size_t line = 0, column = 0;
    line_and_column(text, e.byte, &line, &column);
    error("$", "invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                   parse_error_detail(e.what()));
    return false;
  } catch (const json::exception& e) {
    error("$", std::string("invalid JSON: ") + e.what());
    return false;
  }
  if (!root.is_object()) {
    error("$", std::string("expected an object with \"floors\", \"areas\" and \"devices\", got ") + root.type_name());
    return false;
  }
  // nlohmann throws type_error only on a wrong get<>, which every read above
  // guards; catching keeps hostile input from escaping as an exception.
  try {
    parse_floors(root, floors);
    parse_areas(root, *floors, areas);
    parse_devices(root, *areas, devices);
    check_names(*floors, *areas, *devices);
  } catch (const json::exception& e) {
    error("$", std::string("unexpected value: ") + e.what());
  }
  return n_errors_ == 0;
}

}  // namespace

std::string_view domain_name(Domain d) {
  const int i = static_cast<int>(d);
  if (i < 0 || i >= kNumDomains) return "unknown";
  return kDomainNames[static_cast<size_t>(i)];
}

std::optional<Domain> domain_from_name(std::string_view name) {
  for (size_t i = 0; i < kDomainNames.size(); ++i) {
    if (kDomainNames[i] == name) return static_cast<Domain>(i);
  }
  return std::nullopt;
}

std::string_view capability_name(Capability c) {
  for (size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if (static_cast<uint32_t>(c) == (1u << i)) return kCapabilityNames[i];
  }
  return "unknown";
}

std::optional<Capability> capability_from_name(std::string_view name) {
  for (size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if (kCapabilityNames[i] == name) return static_cast<Capability>(1u << i);
  }
  return std::nullopt;
}

std::vector<std::string> capability_names(uint32_t caps) {
  std::vector<std::string> out;
  for (size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if ((caps & (1u << i)) != 0) out.emplace_back(kCapabilityNames[i]);
  }
  return out;
}

std::string normalize_name(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    // Apostrophes are dropped so "kid's" matches "kids": ASCII ' and the
    // typographic U+2019 (UTF-8 E2 80 99).
    if (c == '\'') continue;
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        static_cast<unsigned char>(text[i + 2]) == 0x99) {
      i += 2;
      continue;
    }
    const bool ascii_alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (ascii_alnum || c >= 0x80) {  // bytes of non-ASCII letters are kept as they are
      if (pending_space && !out.empty()) out += ' ';
      pending_space = false;
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
    } else {
      pending_space = true;  // space, punctuation, control characters
    }
  }
  return out;
}

Result<Home> Home::parse(std::string_view json_text, std::string_view source, ConfigErrors& errors) {
  const std::string previous_file = errors.file();
  errors.set_file(std::string(source));
  const size_t n_before = errors.size();

  Home home;
  HomeParser parser(errors);
  const bool ok = parser.run(json_text, &home.floors_, &home.areas_, &home.devices_);
  errors.set_file(previous_file);
  if (!ok) {
    const size_t n = errors.size() - n_before;
    std::string summary = std::string(source) + ": " + std::to_string(n) + (n == 1 ? " error" : " errors") +
                          " in home definition";
    if (n > 0) {
      const ConfigErrors::Entry& first = errors.entries()[n_before];
      summary += "; first: " + first.path + ": " + first.message;
    }
    return Error{Code::kBadInput, summary};
  }
  return home;
}

Result<Home> Home::load_file(const std::string& path, ConfigErrors& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string why = std::strerror(errno);
    const std::string previous_file = errors.file();
    errors.set_file(path);
    errors.add("$", "cannot open home file: " + why);
    errors.set_file(previous_file);
    return Error{Code::kIo, "home: cannot open '" + path + "': " + why};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    const std::string previous_file = errors.file();
    errors.set_file(path);
    errors.add("$", "cannot read home file");
    errors.set_file(previous_file);
    return Error{Code::kIo, "home: cannot read '" + path + "'"};
  }
  return parse(text.str(), path, errors);
}

const Device* Home::device(std::string_view id) const {
  for (const Device& d : devices_) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

const Area* Home::area(std::string_view id) const {
  for (const Area& a : areas_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

const Floor* Home::floor(std::string_view id) const {
  for (const Floor& f : floors_) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

namespace {

bool names_match(const std::string& key, const std::string& name, const std::vector<std::string>& aliases) {
  if (normalize_name(name) == key) return true;
  for (const std::string& a : aliases) {
    if (normalize_name(a) == key) return true;
  }
  return false;
}

void add_phrase(std::vector<std::string>* out, std::set<std::string>* seen, const std::string& text) {
  std::string n = normalize_name(text);
  if (n.empty() || !seen->insert(n).second) return;
  out->push_back(std::move(n));
}

}  // namespace

std::vector<const Device*> Home::devices_named(std::string_view spoken) const {
  std::vector<const Device*> out;
  const std::string key = normalize_name(spoken);
  if (key.empty()) return out;
  for (const Device& d : devices_) {
    if (names_match(key, d.name, d.aliases)) out.push_back(&d);
  }
  return out;
}

const Area* Home::area_named(std::string_view spoken) const {
  const std::string key = normalize_name(spoken);
  if (key.empty()) return nullptr;
  for (const Area& a : areas_) {
    if (names_match(key, a.name, a.aliases)) return &a;
  }
  return nullptr;
}

const Floor* Home::floor_named(std::string_view spoken) const {
  const std::string key = normalize_name(spoken);
  if (key.empty()) return nullptr;
  for (const Floor& f : floors_) {
    if (names_match(key, f.name, f.aliases)) return &f;
  }
  return nullptr;
}

std::vector<const Device*> Home::devices_in_area(std::string_view area_id, std::optional<Domain> domain) const {
  std::vector<const Device*> out;
  for (const Device& d : devices_) {
    if (d.area != area_id) continue;
    if (domain && d.domain != *domain) continue;
    out.push_back(&d);
  }
  return out;
}

std::vector<const Device*> Home::devices_on_floor(std::string_view floor_id, std::optional<Domain> domain) const {
  std::vector<const Device*> out;
  for (const Device& d : devices_) {
    const Area* a = d.area.empty() ? nullptr : area(d.area);
    if (a == nullptr || a->floor != floor_id) continue;
    if (domain && d.domain != *domain) continue;
    out.push_back(&d);
  }
  return out;
}

std::vector<const Device*> Home::devices_in_domain(Domain domain) const {
  std::vector<const Device*> out;
  for (const Device& d : devices_) {
    if (d.domain == domain) out.push_back(&d);
  }
  return out;
}

std::vector<std::string> Home::device_phrases() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Device& d : devices_) {
    add_phrase(&out, &seen, d.name);
    for (const std::string& a : d.aliases) add_phrase(&out, &seen, a);
  }
  return out;
}

std::vector<std::string> Home::area_phrases() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Area& a : areas_) {
    add_phrase(&out, &seen, a.name);
    for (const std::string& alias : a.aliases) add_phrase(&out, &seen, alias);
  }
  return out;
}

std::vector<std::string> Home::floor_phrases() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Floor& f : floors_) {
    add_phrase(&out, &seen, f.name);
    for (const std::string& alias : f.aliases) add_phrase(&out, &seen, alias);
  }
  return out;
}

}  // namespace hearth
