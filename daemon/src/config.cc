#include "hearth/daemon/config.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hearth/common/log.h"
#include "hearth/common/value_json.h"
#include "hearth/habits/time_zone.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kMinBodyLimitBytes = 1024;
constexpr int64_t kMaxBodyLimitBytes = 64ll * 1024 * 1024;
constexpr int kMinRequestTimeoutMs = 100;
constexpr int kMaxRequestTimeoutMs = 600000;
constexpr int kMinConnections = 1;
constexpr int kMaxConnections = 10000;
constexpr int kMinCommandTimeoutMs = 10;
constexpr int kMaxCommandTimeoutMs = 600000;

std::string type_name(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number_integer() || j.is_number_unsigned()) return "an integer";
  if (j.is_number_float()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

std::string join(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Adds an error for every key of `obj` not in `known`.
void check_keys(const json& obj, const std::string& path, std::initializer_list<const char*> known,
                ConfigErrors& errors) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool found = false;
    for (const char* k : known) {
      if (it.key() == k) found = true;
    }
    if (!found) errors.add(path + "." + it.key(), "unknown key (known: " + join(known) + ")");
  }
}

void read_string(const json& obj, const char* key, const std::string& path, std::string* out,
                 ConfigErrors& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_string()) {
    errors.add(path + "." + key, "expected a string, got " + type_name(*it));
    return;
  }
  *out = it->get<std::string>();
}

void read_bool(const json& obj, const char* key, const std::string& path, bool* out, ConfigErrors& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_boolean()) {
    errors.add(path + "." + key, "expected true or false, got " + type_name(*it));
    return;
  }
  *out = it->get<bool>();
}

template <class Int>
void read_int(const json& obj, const char* key, const std::string& path, Int* out, ConfigErrors& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_number_integer() && !it->is_number_unsigned()) {
    errors.add(path + "." + key, "expected an integer, got " + type_name(*it));
    return;
  }
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
    errors.add(path + "." + key, "integer too large");
    return;
  }
  const int64_t v = it->get<int64_t>();
  if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
      v > static_cast<int64_t>(std::numeric_limits<Int>::max())) {
    errors.add(path + "." + key, "integer out of range: " + std::to_string(v));
    return;
  }
  *out = static_cast<Int>(v);
}

// Returns the sub-object at `key`, or nullptr (absent, or an error was added).
const json* read_object(const json& obj, const char* key, const std::string& path, ConfigErrors& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  if (!it->is_object()) {
    errors.add(path + "." + key, "expected an object, got " + type_name(*it));
    return nullptr;
  }
  return &*it;
}

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  if (path.is_relative()) path = fs::path(base_dir) / path;
  return path.lexically_normal().string();
}

std::string current_dir() {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  return ec ? std::string(".") : cwd.string();
}

void parse_custom_action(const json& j, const std::string& path, CustomAction* out, ConfigErrors& errors) {
  if (!j.is_object()) {
    errors.add(path, "expected an object {\"device\", \"action\", \"params\"}, got " + type_name(j));
    return;
  }
  check_keys(j, path, {"device", "action", "params"}, errors);
  if (!j.contains("device")) errors.add(path + ".device", "required: the device id to act on");
  if (!j.contains("action")) errors.add(path + ".action", "required: a bus action such as \"turn_on\"");
  read_string(j, "device", path, &out->device_id, errors);
  read_string(j, "action", path, &out->action, errors);
  if (const json* params = read_object(j, "params", path, errors)) {
    for (auto it = params->begin(); it != params->end(); ++it) {
      bool scalar = true;
      Value v = value_from_json(*it, &scalar);
      if (!scalar) {
        errors.add(path + ".params." + it.key(), "expected a string, number, boolean or null, got " +
                                                      type_name(*it));
        continue;
      }
      out->params[it.key()] = std::move(v);
    }
  }
}

void parse_custom_intent(const json& j, const std::string& path, CustomIntent* out, ConfigErrors& errors) {
  if (!j.is_object()) {
    errors.add(path, "expected an object {\"intent\", \"sentences\", \"actions\", \"response\"}, got " +
                         type_name(j));
    return;
  }
  check_keys(j, path, {"intent", "sentences", "actions", "response"}, errors);
  if (!j.contains("intent")) errors.add(path + ".intent", "required: the intent name, e.g. \"MovieTime\"");
  read_string(j, "intent", path, &out->intent, errors);
  read_string(j, "response", path, &out->response, errors);
  auto sentences = j.find("sentences");
  if (sentences == j.end()) {
    errors.add(path + ".sentences", "required: at least one sentence template");
  } else if (!sentences->is_array()) {
    errors.add(path + ".sentences", "expected an array of strings, got " + type_name(*sentences));
  } else {
    for (size_t i = 0; i < sentences->size(); ++i) {
      const json& s = (*sentences)[i];
      if (!s.is_string()) {
        errors.add(path + ".sentences[" + std::to_string(i) + "]", "expected a string, got " + type_name(s));
        continue;
      }
      out->sentences.push_back(s.get<std::string>());
    }
  }
  auto actions = j.find("actions");
  if (actions != j.end()) {
    if (!actions->is_array()) {
      errors.add(path + ".actions", "expected an array of {\"device\", \"action\", \"params\"}, got " +
                                        type_name(*actions));
    } else {
      for (size_t i = 0; i < actions->size(); ++i) {
        CustomAction action;
        parse_custom_action((*actions)[i], path + ".actions[" + std::to_string(i) + "]", &action, errors);
        out->actions.push_back(std::move(action));
      }
    }
  }
}

}  // namespace

std::string default_db_path() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg && xdg[0] == '/') return (fs::path(xdg) / "hearth" / "history.db").string();
  const char* home = std::getenv("HOME");
  if (home && home[0] == '/') return (fs::path(home) / ".local" / "state" / "hearth" / "history.db").string();
  return (fs::path(current_dir()) / "hearth-history.db").string();
}

bool split_listen_address(std::string_view text, std::string* host, uint16_t* port) {
  std::string_view h;
  std::string_view p;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
    in6_addr a6;
    if (inet_pton(AF_INET6, std::string(h).c_str(), &a6) != 1) return false;
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    in_addr a4;
    if (h != "localhost" && inet_pton(AF_INET, std::string(h).c_str(), &a4) != 1) return false;
  }
  if (p.empty() || p.size() > 5) return false;
  uint32_t value = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *host = h == "localhost" ? std::string("127.0.0.1") : std::string(h);
  *port = static_cast<uint16_t>(value);
  return true;
}

namespace {

// Parses into `cfg` as far as possible: fields with the wrong type keep their
// defaults and get an error. Returns false only when the text is not a JSON
// object at all (then nothing else can be checked).
bool parse_config_into(std::string_view json_text, std::string_view source, const std::string& base_dir,
                       ConfigErrors& errors, DaemonConfig& cfg) {
  errors.set_file(std::string(source));
  cfg.source = std::string(source);
  cfg.base_dir = base_dir;

  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    errors.add("$", std::string("not valid JSON: ") + e.what());
    return false;
  }
  if (!root.is_object()) {
    errors.add("$", "expected a JSON object at the top level, got " + type_name(root));
    return false;
  }
  check_keys(root, "$", {"home", "listen", "db", "db_required", "log_level", "time_zone", "api", "devices", "nlu", "audio"},
             errors);

  std::string home;
  read_string(root, "home", "$", &home, errors);
  if (!home.empty()) cfg.home = home;
  read_string(root, "listen", "$", &cfg.listen, errors);
  read_string(root, "db", "$", &cfg.db, errors);
  read_bool(root, "db_required", "$", &cfg.db_required, errors);
  read_string(root, "log_level", "$", &cfg.log_level, errors);
  read_string(root, "time_zone", "$", &cfg.time_zone, errors);

  if (const json* api = read_object(root, "api", "$", errors)) {
    check_keys(*api, "$.api", {"body_limit_bytes", "request_timeout_ms", "max_connections"}, errors);
    read_int(*api, "body_limit_bytes", "$.api", &cfg.api.body_limit_bytes, errors);
    read_int(*api, "request_timeout_ms", "$.api", &cfg.api.request_timeout_ms, errors);
    read_int(*api, "max_connections", "$.api", &cfg.api.max_connections, errors);
  }
  if (const json* devices = read_object(root, "devices", "$", errors)) {
    check_keys(*devices, "$.devices", {"command_timeout_ms"}, errors);
    read_int(*devices, "command_timeout_ms", "$.devices", &cfg.devices.command_timeout_ms, errors);
  }
  if (const json* nlu = read_object(root, "nlu", "$", errors)) {
    check_keys(*nlu, "$.nlu", {"custom_intents"}, errors);
    auto list = nlu->find("custom_intents");
    if (list != nlu->end()) {
      if (!list->is_array()) {
        errors.add("$.nlu.custom_intents", "expected an array, got " + type_name(*list));
      } else {
        for (size_t i = 0; i < list->size(); ++i) {
          CustomIntent ci;
          parse_custom_intent((*list)[i], "$.nlu.custom_intents[" + std::to_string(i) + "]", &ci, errors);
          cfg.nlu.custom_intents.push_back(std::move(ci));
        }
      }
    }
  }

  // The audio module owns its keys (types, unknown keys, paths relative to
  // the config file); errors land here under $.audio with this file's name.
  if (const json* audio = read_object(root, "audio", "$", errors)) {
    parse_audio_config(audio->dump(), base_dir, &cfg.audio, errors, "$.audio");
  }

  if (cfg.home != kBuiltinDemoHome) cfg.home = resolve_path(base_dir, cfg.home);
  cfg.db = cfg.db.empty() ? default_db_path() : resolve_path(base_dir, cfg.db);
  return true;
}

// Reads the file (or the embedded default) and parse_config_into().
bool load_config_into(const std::string& path, ConfigErrors& errors, DaemonConfig& cfg) {
  if (path.empty()) {
    return parse_config_into(embedded_default_config_json(), kBuiltinConfigName, current_dir(), errors, cfg);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.set_file(path);
    errors.add("$", "cannot open the config file (check the path and permissions)");
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  fs::path parent = fs::path(path).parent_path();
  std::string base_dir = parent.empty() ? current_dir() : fs::absolute(parent).lexically_normal().string();
  return parse_config_into(text.str(), path, base_dir, errors, cfg);
}

}  // namespace

Result<DaemonConfig> parse_config(std::string_view json_text, std::string_view source,
                                  const std::string& base_dir, ConfigErrors& errors) {
  const size_t errors_before = errors.size();
  DaemonConfig cfg;
  parse_config_into(json_text, source, base_dir, errors, cfg);
  if (errors.size() != errors_before) {
    return Error{Code::kBadInput, std::string(source) + ": " + std::to_string(errors.size() - errors_before) +
                                      " problem(s)"};
  }
  return cfg;
}

Result<DaemonConfig> load_config(const std::string& path, ConfigErrors& errors) {
  const size_t errors_before = errors.size();
  DaemonConfig cfg;
  load_config_into(path, errors, cfg);
  if (errors.size() != errors_before) {
    return Error{Code::kBadInput, (path.empty() ? std::string(kBuiltinConfigName) : path) + ": " +
                                      std::to_string(errors.size() - errors_before) + " problem(s)"};
  }
  return cfg;
}

void apply_overrides(const ConfigOverrides& overrides, DaemonConfig& config) {
  const std::string cwd = current_dir();
  if (overrides.home) {
    config.home = *overrides.home == kBuiltinDemoHome ? *overrides.home : resolve_path(cwd, *overrides.home);
  }
  if (overrides.listen) config.listen = *overrides.listen;
  if (overrides.db) config.db = resolve_path(cwd, *overrides.db);
  if (overrides.log_level) config.log_level = *overrides.log_level;
}

Result<Home> load_home(const std::string& home, ConfigErrors& errors) {
  if (home == kBuiltinDemoHome) return Home::parse(embedded_demo_home_json(), kBuiltinDemoHome, errors);
  return Home::load_file(home, errors);
}

void DaemonConfig::validate(const Home* loaded_home, ConfigErrors& out) const {
  out.set_file(source);
  if (home != kBuiltinDemoHome) {
    std::error_code ec;
    if (!fs::is_regular_file(home, ec)) {
      out.add("$.home", "home file '" + home + "' not found (a path relative to the config file, or \"" +
                            std::string(kBuiltinDemoHome) + "\")");
    }
  }
  std::string host;
  uint16_t port = 0;
  if (!split_listen_address(listen, &host, &port)) {
    out.add("$.listen", "expected \"host:port\" with an IP address (or localhost) and a port in 0..65535, got '" +
                            listen + "'");
  }
  if (db.empty()) {
    out.add("$.db", "must not be empty");
  } else {
    std::error_code ec;
    fs::path parent = fs::path(db).parent_path();
    if (fs::exists(db, ec) && fs::is_directory(db, ec)) {
      out.add("$.db", "'" + db + "' is a directory; expected a database file path");
    } else if (!parent.empty() && fs::exists(parent, ec) && !fs::is_directory(parent, ec)) {
      out.add("$.db", "parent '" + parent.string() + "' is not a directory");
    }
  }
  LogLevel level;
  if (!parse_log_level(log_level, &level)) {
    out.add("$.log_level", "expected one of debug, info, warn, error, off, got '" + log_level + "'");
  }
  if (!time_zone.empty() && !TimeZone::load(time_zone)) {
    out.add("$.time_zone", "unknown time zone '" + time_zone + "' (e.g. \"Europe/Berlin\", \"UTC\"; see /usr/share/zoneinfo)");
  }
  if (api.body_limit_bytes < kMinBodyLimitBytes || api.body_limit_bytes > kMaxBodyLimitBytes) {
    out.add("$.api.body_limit_bytes", "must be in [" + std::to_string(kMinBodyLimitBytes) + ", " +
                                          std::to_string(kMaxBodyLimitBytes) + "], got " +
                                          std::to_string(api.body_limit_bytes));
  }
  if (api.request_timeout_ms < kMinRequestTimeoutMs || api.request_timeout_ms > kMaxRequestTimeoutMs) {
    out.add("$.api.request_timeout_ms", "must be in [" + std::to_string(kMinRequestTimeoutMs) + ", " +
                                            std::to_string(kMaxRequestTimeoutMs) + "], got " +
                                            std::to_string(api.request_timeout_ms));
  }
  if (api.max_connections < kMinConnections || api.max_connections > kMaxConnections) {
    out.add("$.api.max_connections", "must be in [" + std::to_string(kMinConnections) + ", " +
                                         std::to_string(kMaxConnections) + "], got " +
                                         std::to_string(api.max_connections));
  }
  if (devices.command_timeout_ms < kMinCommandTimeoutMs || devices.command_timeout_ms > kMaxCommandTimeoutMs) {
    out.add("$.devices.command_timeout_ms", "must be in [" + std::to_string(kMinCommandTimeoutMs) + ", " +
                                                std::to_string(kMaxCommandTimeoutMs) + "], got " +
                                                std::to_string(devices.command_timeout_ms));
  } else if (api.request_timeout_ms <= devices.command_timeout_ms) {
    // A command answers only after its device does; a shorter request
    // deadline would cut the answer off before the device timeout is reported.
    out.add("$.api.request_timeout_ms", "must be greater than devices.command_timeout_ms (" +
                                            std::to_string(devices.command_timeout_ms) + "), got " +
                                            std::to_string(api.request_timeout_ms));
  }
  for (size_t i = 0; i < nlu.custom_intents.size(); ++i) {
    const CustomIntent& ci = nlu.custom_intents[i];
    const std::string path = "$.nlu.custom_intents[" + std::to_string(i) + "]";
    if (ci.intent.empty()) out.add(path + ".intent", "must not be empty");
    if (ci.sentences.empty()) out.add(path + ".sentences", "needs at least one sentence template");
    for (size_t j = 0; j < ci.actions.size(); ++j) {
      const CustomAction& a = ci.actions[j];
      const std::string apath = path + ".actions[" + std::to_string(j) + "]";
      if (a.action.empty()) out.add(apath + ".action", "must not be empty");
    }
  }
  if (loaded_home) nlu.validate(*loaded_home, out, "$.nlu");
  audio.validate(out, "$.audio");
}

std::string DaemonConfig::to_string() const {
  std::string out = "DaemonConfig(source=" + source + ", home=" + home + ", listen=" + listen + ", db=" + db +
                    ", db_required=" + (db_required ? "true" : "false") + ", log_level=" + log_level +
                    ", time_zone=" + (time_zone.empty() ? std::string("(system)") : time_zone) +
                    ", api.body_limit_bytes=" + std::to_string(api.body_limit_bytes) +
                    ", api.request_timeout_ms=" + std::to_string(api.request_timeout_ms) +
                    ", api.max_connections=" + std::to_string(api.max_connections) +
                    ", devices.command_timeout_ms=" + std::to_string(devices.command_timeout_ms) +
                    ", nlu.custom_intents=[";
  for (size_t i = 0; i < nlu.custom_intents.size(); ++i) {
    if (i > 0) out += ", ";
    out += nlu.custom_intents[i].intent;
  }
  out += "], audio=" + audio.to_string() + ")";
  return out;
}

Result<ConfigBundle> load_config_bundle(const std::string& config_path, const ConfigOverrides& overrides,
                                        ConfigErrors& errors) {
  // Type errors do not stop here: fields keep their defaults and the range,
  // file and home checks still run, so one run lists every problem.
  const size_t errors_before = errors.size();
  DaemonConfig cfg;
  if (!load_config_into(config_path, errors, cfg)) {
    return Error{Code::kBadInput, std::to_string(errors.size() - errors_before) + " config problem(s)"};
  }
  apply_overrides(overrides, cfg);

  // The home is loaded even when the config has problems, so the user sees
  // the home file's errors in the same run.
  std::shared_ptr<const Home> home;
  bool home_present = cfg.home == kBuiltinDemoHome || fs::is_regular_file(cfg.home);
  if (home_present) {
    ConfigErrors home_errors;
    Result<Home> loaded = load_home(cfg.home, home_errors);
    for (const ConfigErrors::Entry& e : home_errors.entries()) {
      errors.set_file(e.file);
      errors.add(e.path, e.message);
    }
    if (loaded) home = std::make_shared<const Home>(std::move(*loaded));
  }
  cfg.validate(home.get(), errors);
  if (errors.size() != errors_before) {
    return Error{Code::kBadInput, std::to_string(errors.size() - errors_before) + " config problem(s)"};
  }
  return ConfigBundle{std::move(cfg), std::move(home)};
}

}  // namespace hearth
