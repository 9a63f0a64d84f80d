#include "hearth/daemon/config.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "device_overlay.h"
#include "hearth/common/log.h"
#include "hearth/common/value_json.h"
#include "hearth/habits/time_zone.h"
#include "tls.h"

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

// "nlu.lists", "nlu.expansion_rules", "nlu.skip_words": hassil-style building
// blocks for custom sentences (nlu.h SlotList; grammar.h documents the syntax).
//   "lists": {"size": {"values": ["small", {"in": "(large | big)", "out": "large"}]},
//             "shots": {"range": {"from": 1, "to": 4}}, "note": {"wildcard": true}}
void parse_custom_vocabulary(const json& nlu, NluConfig* out, ConfigErrors& errors) {
  if (const json* lists = read_object(nlu, "lists", "$.nlu", errors)) {
    for (auto it = lists->begin(); it != lists->end(); ++it) {
      const std::string path = "$.nlu.lists." + it.key();
      const json& j = *it;
      if (!j.is_object()) {
        errors.add(path, "expected an object {\"values\"} | {\"range\"} | {\"wildcard\"}, got " + type_name(j));
        continue;
      }
      check_keys(j, path, {"values", "range", "wildcard"}, errors);
      SlotList list;
      if (auto v = j.find("values"); v != j.end()) {
        if (!v->is_array() || v->empty()) {
          errors.add(path + ".values", "expected a non-empty array of strings or {\"in\", \"out\"}, got " +
                                           type_name(*v));
        } else {
          for (size_t i = 0; i < v->size(); ++i) {
            const json& e = (*v)[i];
            const std::string epath = path + ".values[" + std::to_string(i) + "]";
            SlotListValue value;
            if (e.is_string()) {
              value.in = e.get<std::string>();
            } else if (e.is_object()) {
              check_keys(e, epath, {"in", "out"}, errors);
              if (!e.contains("in") || !e["in"].is_string()) {
                errors.add(epath + ".in", "required: a string, what is said (\"(large | big)\")");
                continue;
              }
              value.in = e["in"].get<std::string>();
              if (auto o = e.find("out"); o != e.end()) {
                bool scalar = true;
                value.out = value_from_json(*o, &scalar);
                if (!scalar) errors.add(epath + ".out", "expected a string, number or boolean, got " + type_name(*o));
              }
            } else {
              errors.add(epath, "expected a string or {\"in\", \"out\"}, got " + type_name(e));
              continue;
            }
            list.values.push_back(std::move(value));
          }
        }
      }
      if (const json* range = read_object(j, "range", path, errors)) {
        check_keys(*range, path + ".range", {"from", "to"}, errors);
        bool ok = true;
        for (const char* k : {"from", "to"}) {
          auto r = range->find(k);
          if (r == range->end() || !r->is_number()) {
            errors.add(path + ".range." + k, "required: a number");
            ok = false;
          }
        }
        if (ok) {
          list.has_range = true;
          list.range_from = (*range)["from"].get<double>();
          list.range_to = (*range)["to"].get<double>();
        }
      }
      read_bool(j, "wildcard", path, &list.wildcard, errors);
      out->lists[it.key()] = std::move(list);
    }
  }
  if (const json* rules = read_object(nlu, "expansion_rules", "$.nlu", errors)) {
    for (auto it = rules->begin(); it != rules->end(); ++it) {
      if (!it->is_string()) {
        errors.add("$.nlu.expansion_rules." + it.key(), "expected a template string, got " + type_name(*it));
        continue;
      }
      out->expansion_rules[it.key()] = it->get<std::string>();
    }
  }
  if (auto skip = nlu.find("skip_words"); skip != nlu.end()) {
    if (!skip->is_array()) {
      errors.add("$.nlu.skip_words", "expected an array of phrases, got " + type_name(*skip));
    } else {
      for (size_t i = 0; i < skip->size(); ++i) {
        if (!(*skip)[i].is_string()) {
          errors.add("$.nlu.skip_words[" + std::to_string(i) + "]", "expected a string, got " + type_name((*skip)[i]));
          continue;
        }
        out->skip_words.push_back((*skip)[i].get<std::string>());
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

// "mqtt" and "network" (issue 9). Paths resolve against the config file's directory.
void parse_mqtt_network(const json& root, const std::string& base_dir, DaemonConfig& cfg, ConfigErrors& errors) {
  MqttDaemonConfig& m = cfg.mqtt;
  if (const json* j = read_object(root, "mqtt", "$", errors)) {
    check_keys(*j, "$.mqtt",
               {"enabled", "host", "port", "client_id", "username", "password_file", "keepalive_s", "tls",
                "tls_ca_file", "tls_cert_file", "tls_key_file", "tls_insecure", "reconnect_min_ms", "reconnect_max_ms",
                "connect_timeout_ms", "z2m_base_topic", "ha_discovery_prefix", "discovery", "hub_id", "topic_prefix",
                "publish_events", "accept_commands", "ha_publish", "accepted_file"},
               errors);
    MqttConfig& c = m.client;
    read_bool(*j, "enabled", "$.mqtt", &c.enabled, errors);
    read_string(*j, "host", "$.mqtt", &c.host, errors);
    read_int(*j, "port", "$.mqtt", &c.port, errors);
    read_string(*j, "client_id", "$.mqtt", &c.client_id, errors);
    read_string(*j, "username", "$.mqtt", &c.username, errors);
    read_string(*j, "password_file", "$.mqtt", &m.password_file, errors);
    read_int(*j, "keepalive_s", "$.mqtt", &c.keepalive_s, errors);
    read_bool(*j, "tls", "$.mqtt", &c.tls, errors);
    read_string(*j, "tls_ca_file", "$.mqtt", &c.tls_ca_file, errors);
    read_string(*j, "tls_cert_file", "$.mqtt", &c.tls_cert_file, errors);
    read_string(*j, "tls_key_file", "$.mqtt", &c.tls_key_file, errors);
    read_bool(*j, "tls_insecure", "$.mqtt", &c.tls_insecure, errors);
    read_int(*j, "reconnect_min_ms", "$.mqtt", &c.reconnect_min_ms, errors);
    read_int(*j, "reconnect_max_ms", "$.mqtt", &c.reconnect_max_ms, errors);
    read_int(*j, "connect_timeout_ms", "$.mqtt", &c.connect_timeout_ms, errors);
    read_string(*j, "z2m_base_topic", "$.mqtt", &c.z2m_base_topic, errors);
    read_string(*j, "ha_discovery_prefix", "$.mqtt", &c.ha_discovery_prefix, errors);
    read_bool(*j, "discovery", "$.mqtt", &c.discovery, errors);
    read_string(*j, "hub_id", "$.mqtt", &m.hub_id, errors);
    read_string(*j, "topic_prefix", "$.mqtt", &m.topic_prefix, errors);
    read_bool(*j, "publish_events", "$.mqtt", &m.publish_events, errors);
    read_bool(*j, "accept_commands", "$.mqtt", &m.accept_commands, errors);
    read_bool(*j, "ha_publish", "$.mqtt", &m.ha_publish, errors);
    read_string(*j, "accepted_file", "$.mqtt", &m.accepted_file, errors);
  }
  for (std::string* f : {&m.client.tls_ca_file, &m.client.tls_cert_file, &m.client.tls_key_file, &m.password_file}) {
    *f = resolve_path(base_dir, *f);
  }
  m.accepted_file = resolve_path(base_dir, m.accepted_file.empty() ? "accepted-devices.json" : m.accepted_file);
  m.client.status_topic = m.topic_prefix + "/" + m.hub_id + "/status";
  if (!m.password_file.empty()) {
    std::ifstream in(m.password_file, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line)) {
      errors.add("$.mqtt.password_file", "cannot read '" + m.password_file + "' (its first line is the password)");
    } else {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      m.client.password = line;
    }
  }
  if (const json* j = read_object(root, "network", "$", errors)) {
    check_keys(*j, "$.network", {"enabled", "probe_host", "probe_port", "interval_ms", "timeout_ms"}, errors);
    read_bool(*j, "enabled", "$.network", &cfg.network.enabled, errors);
    read_string(*j, "probe_host", "$.network", &cfg.network.probe.probe_host, errors);
    read_int(*j, "probe_port", "$.network", &cfg.network.probe.probe_port, errors);
    read_int(*j, "interval_ms", "$.network", &cfg.network.probe.interval_ms, errors);
    read_int(*j, "timeout_ms", "$.network", &cfg.network.probe.timeout_ms, errors);
  }
}

bool valid_hub_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// issue 7: "nlu.llm" and "nlu.cloud" (the cascade behind the grammar).
void read_unit(const json& obj, const char* key, const std::string& path, double* out, ConfigErrors& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_number()) errors.add(path + "." + key, "expected a number, got " + type_name(*it));
  else *out = it->get<double>();
}

void parse_nlu_cascade(const json& nlu, const std::string& base_dir, DaemonConfig& cfg, ConfigErrors& errors) {
  if (const json* l = read_object(nlu, "llm", "$.nlu", errors)) {
    check_keys(*l, "$.nlu.llm", {"enabled", "model_path", "prompt", "n_threads", "max_tokens", "min_confidence",
                                 "min_suggest_confidence", "high_risk_confidence", "intent_confidence"}, errors);
    LlmIntentConfig& c = cfg.nlu_llm;
    read_bool(*l, "enabled", "$.nlu.llm", &c.enabled, errors);
    read_string(*l, "model_path", "$.nlu.llm", &c.model_path, errors);
    read_string(*l, "prompt", "$.nlu.llm", &c.prompt, errors);
    read_int(*l, "n_threads", "$.nlu.llm", &c.n_threads, errors);
    read_int(*l, "max_tokens", "$.nlu.llm", &c.max_tokens, errors);
    read_unit(*l, "min_confidence", "$.nlu.llm", &c.min_confidence, errors);
    read_unit(*l, "min_suggest_confidence", "$.nlu.llm", &c.min_suggest_confidence, errors);
    read_unit(*l, "high_risk_confidence", "$.nlu.llm", &c.high_risk_confidence, errors);
    if (const json* ic = read_object(*l, "intent_confidence", "$.nlu.llm", errors))
      for (auto it = ic->begin(); it != ic->end(); ++it) {
        double v = 0;
        read_unit(*ic, it.key().c_str(), "$.nlu.llm.intent_confidence", &v, errors);
        c.intent_confidence[it.key()] = v;
      }
    if (c.model_path == "builtin") c.model_path = builtin_intent_model_path();
    else if (!c.model_path.empty()) c.model_path = resolve_path(base_dir, c.model_path);
  }
  if (const json* j = read_object(nlu, "cloud", "$.nlu", errors)) {
    check_keys(*j, "$.nlu.cloud", {"enabled", "base_url", "model", "api_key_file", "api_key_env", "timeout_ms",
                                   "min_confidence"}, errors);
    CloudConfig& c = cfg.nlu_cloud;
    read_bool(*j, "enabled", "$.nlu.cloud", &c.enabled, errors);
    read_string(*j, "base_url", "$.nlu.cloud", &c.base_url, errors);
    read_string(*j, "model", "$.nlu.cloud", &c.model, errors);
    read_string(*j, "api_key_file", "$.nlu.cloud", &c.api_key_file, errors);
    read_string(*j, "api_key_env", "$.nlu.cloud", &c.api_key_env, errors);
    read_int(*j, "timeout_ms", "$.nlu.cloud", &c.timeout_ms, errors);
    read_unit(*j, "min_confidence", "$.nlu.cloud", &c.min_confidence, errors);
    if (!c.api_key_file.empty()) c.api_key_file = resolve_path(base_dir, c.api_key_file);
  }
}

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
  check_keys(root, "$", {"home", "listen", "db", "db_required", "log_level", "time_zone", "api", "devices", "nlu", "audio",
                         "mqtt", "network", "llm", "wyoming", "asr", "voice", "wakeword"},
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
    check_keys(*api, "$.api", {"body_limit_bytes", "request_timeout_ms", "max_connections", "auth",
                               "ws_queue_limit", "ws_max_message_bytes", "web", "tls"}, errors);
    read_int(*api, "body_limit_bytes", "$.api", &cfg.api.body_limit_bytes, errors);
    read_int(*api, "request_timeout_ms", "$.api", &cfg.api.request_timeout_ms, errors);
    read_int(*api, "max_connections", "$.api", &cfg.api.max_connections, errors);
    read_int(*api, "ws_queue_limit", "$.api", &cfg.api.ws_queue_limit, errors);
    read_int(*api, "ws_max_message_bytes", "$.api", &cfg.api.ws_max_message_bytes, errors);
    read_bool(*api, "web", "$.api", &cfg.api.web, errors);
    if (const json* auth = read_object(*api, "auth", "$.api", errors)) {
      check_keys(*auth, "$.api.auth", {"db", "loopback_trusted", "pair_code_ttl_s", "max_failures_per_minute"},
                 errors);
      read_string(*auth, "db", "$.api.auth", &cfg.api.auth.db, errors);
      read_bool(*auth, "loopback_trusted", "$.api.auth", &cfg.api.auth.loopback_trusted, errors);
      read_int(*auth, "pair_code_ttl_s", "$.api.auth", &cfg.api.auth.pair_code_ttl_s, errors);
      read_int(*auth, "max_failures_per_minute", "$.api.auth", &cfg.api.auth.max_failures_per_minute, errors);
    }
    if (const json* tls = read_object(*api, "tls", "$.api", errors)) {  // issue 10: https/wss
      check_keys(*tls, "$.api.tls", {"enabled", "cert_file", "key_file", "handshake_timeout_ms"}, errors);
      read_bool(*tls, "enabled", "$.api.tls", &cfg.api.tls.enabled, errors);
      read_string(*tls, "cert_file", "$.api.tls", &cfg.api.tls.cert_file, errors);
      read_string(*tls, "key_file", "$.api.tls", &cfg.api.tls.key_file, errors);
      read_int(*tls, "handshake_timeout_ms", "$.api.tls", &cfg.api.tls.handshake_timeout_ms, errors);
    }
  }
  if (const json* devices = read_object(root, "devices", "$", errors)) {
    check_keys(*devices, "$.devices", {"command_timeout_ms"}, errors);
    read_int(*devices, "command_timeout_ms", "$.devices", &cfg.devices.command_timeout_ms, errors);
  }
  if (const json* nlu = read_object(root, "nlu", "$", errors)) {
    check_keys(*nlu, "$.nlu", {"custom_intents", "lists", "expansion_rules", "skip_words", "llm", "cloud"}, errors);
    parse_nlu_cascade(*nlu, base_dir, cfg, errors);  // issue 7
    parse_custom_vocabulary(*nlu, &cfg.nlu, errors);
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
  if (const json* asr = read_object(root, "asr", "$", errors))  // issue 5: the asr module owns its keys
    parse_asr_config(asr->dump(), &cfg.asr, errors, "$.asr");
  if (const json* j = read_object(root, "voice", "$", errors)) {  // issue 5: voice pipeline
    check_keys(*j, "$.voice", {"enabled", "wake", "pre_roll_ms", "use_ns", "confirm_tts", "tts_voice"}, errors);
    read_bool(*j, "enabled", "$.voice", &cfg.voice.enabled, errors);
    read_string(*j, "wake", "$.voice", &cfg.voice.wake, errors);
    read_int(*j, "pre_roll_ms", "$.voice", &cfg.voice.pre_roll_ms, errors);
    read_bool(*j, "use_ns", "$.voice", &cfg.voice.use_ns, errors);
    read_bool(*j, "confirm_tts", "$.voice", &cfg.voice.confirm_tts, errors);
    read_string(*j, "tts_voice", "$.voice", &cfg.voice.tts_voice, errors);
  }

  if (const json* j = read_object(root, "wakeword", "$", errors))  // issue 4: wake_service.cc owns its keys
    parse_wakeword_config(j->dump(), base_dir, &cfg.wakeword, errors);
  parse_mqtt_network(root, base_dir, cfg, errors);
  if (const json* j = read_object(root, "llm", "$", errors)) {  // issue 6
    check_keys(*j, "$.llm", {"model", "threads", "ctx", "chat_template", "max_tokens", "kv_cache"}, errors);
    read_string(*j, "model", "$.llm", &cfg.llm.model, errors);
    read_int(*j, "threads", "$.llm", &cfg.llm.threads, errors);
    read_int(*j, "ctx", "$.llm", &cfg.llm.ctx, errors);
    read_string(*j, "chat_template", "$.llm", &cfg.llm.chat_template, errors);
    read_int(*j, "max_tokens", "$.llm", &cfg.llm.max_tokens, errors);
    read_string(*j, "kv_cache", "$.llm", &cfg.llm.kv_cache, errors);
    if (!cfg.llm.model.empty()) cfg.llm.model = resolve_path(base_dir, cfg.llm.model);
  }

  if (const json* j = read_object(root, "wyoming", "$", errors)) {  // issue 10: Wyoming server
    check_keys(*j, "$.wyoming", {"listen", "max_connections", "idle_timeout_ms", "max_audio_s", "satellites"}, errors);
    read_string(*j, "listen", "$.wyoming", &cfg.wyoming.listen, errors);
    read_int(*j, "max_connections", "$.wyoming", &cfg.wyoming.max_connections, errors);
    read_int(*j, "idle_timeout_ms", "$.wyoming", &cfg.wyoming.idle_timeout_ms, errors);
    read_int(*j, "max_audio_s", "$.wyoming", &cfg.wyoming.max_audio_s, errors);
    if (const json* sats = read_object(*j, "satellites", "$.wyoming", errors)) {
      for (auto it = sats->begin(); it != sats->end(); ++it) {
        const std::string spath = "$.wyoming.satellites." + it.key();
        if (!it->is_object()) {
          errors.add(spath, "expected an object, got " + type_name(*it));
          continue;
        }
        check_keys(*it, spath, {"area"}, errors);
        std::string area;
        read_string(*it, "area", spath, &area, errors);
        cfg.wyoming.satellite_areas[it.key()] = area;
      }
    }
  }

  if (cfg.home != kBuiltinDemoHome) cfg.home = resolve_path(base_dir, cfg.home);
  cfg.db = cfg.db.empty() ? default_db_path() : resolve_path(base_dir, cfg.db);
  if (!cfg.api.auth.db.empty()) cfg.api.auth.db = resolve_path(base_dir, cfg.api.auth.db);  // "": next to db (app.cc)
  if (!cfg.api.tls.cert_file.empty()) cfg.api.tls.cert_file = resolve_path(base_dir, cfg.api.tls.cert_file);
  if (!cfg.api.tls.key_file.empty()) cfg.api.tls.key_file = resolve_path(base_dir, cfg.api.tls.key_file);
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
  if (api.auth.pair_code_ttl_s < 30 || api.auth.pair_code_ttl_s > 3600) {
    out.add("$.api.auth.pair_code_ttl_s", "must be in [30, 3600], got " + std::to_string(api.auth.pair_code_ttl_s));
  }
  if (api.auth.max_failures_per_minute < 1 || api.auth.max_failures_per_minute > 10000) {
    out.add("$.api.auth.max_failures_per_minute",
            "must be in [1, 10000], got " + std::to_string(api.auth.max_failures_per_minute));
  }
  if (api.tls.handshake_timeout_ms < 100 || api.tls.handshake_timeout_ms > 600000) {
    out.add("$.api.tls.handshake_timeout_ms",
            "must be in [100, 600000], got " + std::to_string(api.tls.handshake_timeout_ms));
  }
  if (api.tls.cert_file.empty() != api.tls.key_file.empty()) {
    out.add(api.tls.cert_file.empty() ? "$.api.tls.cert_file" : "$.api.tls.key_file",
            "set both cert_file and key_file, or neither (a self-signed pair next to the db)");
  } else if (api.tls.enabled) {
    std::error_code ec;
    for (const auto& [key, file] : {std::pair{"$.api.tls.cert_file", api.tls.cert_file},
                                    std::pair{"$.api.tls.key_file", api.tls.key_file}}) {
      if (!file.empty() && !fs::is_regular_file(file, ec)) {
        out.add(key, "'" + file + "' not found (a PEM file; path relative to the config file)");
      }
    }
    // Both present (given, or generated by an earlier run): they must load.
    const HttpTlsOptions tls = tls_server_options(*this);
    if (fs::is_regular_file(tls.cert_file, ec) && fs::is_regular_file(tls.key_file, ec)) {
      if (Result<void> r = check_tls_files(tls); !r) out.add("$.api.tls", r.error().message);
    }
  }
  if (api.ws_queue_limit < 8 || api.ws_queue_limit > 100000) {
    out.add("$.api.ws_queue_limit", "must be in [8, 100000], got " + std::to_string(api.ws_queue_limit));
  }
  if (api.ws_max_message_bytes < 256 || api.ws_max_message_bytes > 1048576) {
    out.add("$.api.ws_max_message_bytes",
            "must be in [256, 1048576], got " + std::to_string(api.ws_max_message_bytes));
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
  nlu_llm.validate(out, "$.nlu.llm");  // issue 7
  nlu_cloud.validate(out, "$.nlu.cloud");
  if (nlu_llm.enabled && !nlu_llm.model_path.empty() && !std::filesystem::exists(nlu_llm.model_path))
    out.add("$.nlu.llm.model_path", "'" + nlu_llm.model_path + "' not found");
  audio.validate(out, "$.audio");
  asr.validate(out, "$.asr");  // issue 5
  validate_wakeword_config(wakeword, audio.source != "none", out);  // issue 4
  if (voice.wake != "wakeword" && voice.wake != "none")
    out.add("$.voice.wake", "must be \"wakeword\" or \"none\", got \"" + voice.wake + "\"");
  if (voice.pre_roll_ms < 0 || voice.pre_roll_ms > 5000)
    out.add("$.voice.pre_roll_ms", "must be in 0..5000, got " + std::to_string(voice.pre_roll_ms));
  if (voice.tts_voice.empty() || voice.tts_voice.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-+_") != std::string::npos)
    out.add("$.voice.tts_voice", "must be an espeak-ng voice name ([A-Za-z0-9+_-]), got '" + voice.tts_voice + "'");
  if (mqtt.client.enabled) {
    mqtt.client.validate(out, "$.mqtt");
    if (!valid_hub_id(mqtt.hub_id)) out.add("$.mqtt.hub_id", "must be 1..64 of [A-Za-z0-9_-], got '" + mqtt.hub_id + "'");
    if (!valid_hub_id(mqtt.topic_prefix)) {
      out.add("$.mqtt.topic_prefix", "must be 1..64 of [A-Za-z0-9_-], got '" + mqtt.topic_prefix + "'");
    }
  }
  if (network.enabled) network.probe.validate(out, "$.network");
  if (!wyoming.listen.empty()) {  // issue 10
    std::string whost;
    uint16_t wport = 0;
    if (!split_listen_address(wyoming.listen, &whost, &wport)) {
      out.add("$.wyoming.listen", "expected host:port, got '" + wyoming.listen + "'");
    }
    if (wyoming.max_connections < 1 || wyoming.max_connections > 1024) out.add("$.wyoming.max_connections", "must be 1..1024");
    if (wyoming.idle_timeout_ms < 1000 || wyoming.idle_timeout_ms > 86400000) {
      out.add("$.wyoming.idle_timeout_ms", "must be 1000..86400000");
    }
    if (wyoming.max_audio_s < 1 || wyoming.max_audio_s > 600) out.add("$.wyoming.max_audio_s", "must be 1..600");
    for (const auto& [name, area] : wyoming.satellite_areas) {
      if (area.empty()) {
        out.add("$.wyoming.satellites." + name + ".area", "required");
      } else if (loaded_home && !loaded_home->area(area)) {
        bool found = false;
        for (const Area& a : loaded_home->areas()) found = found || a.name == area;
        if (!found) out.add("$.wyoming.satellites." + name + ".area", "no area '" + area + "' in the home");
      }
    }
  }
  if (!llm.model.empty()) {  // issue 6
    if (!std::filesystem::exists(llm.model)) out.add("$.llm.model", "no such file '" + llm.model + "'");
    if (llm.threads < 1 || llm.threads > 64) out.add("$.llm.threads", "must be 1..64");
    if (llm.ctx < 16 || llm.ctx > 131072) out.add("$.llm.ctx", "must be 16..131072");
    if (llm.max_tokens < 1 || llm.max_tokens > 32768) out.add("$.llm.max_tokens", "must be 1..32768");
    const std::string& t = llm.chat_template;
    if (t != "auto" && t != "chatml" && t != "llama2" && t != "zephyr" && t != "plain")
      out.add("$.llm.chat_template", "must be auto, chatml, llama2, zephyr or plain");
    if (llm.kv_cache != "f16" && llm.kv_cache != "f32") out.add("$.llm.kv_cache", "must be f16 or f32");
  }
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
  out += "], audio=" + audio.to_string() + ", mqtt=" + mqtt.client.to_string() + ", mqtt.hub_id=" + mqtt.hub_id +
         ", mqtt.accepted_file=" + mqtt.accepted_file + ", network=" +
         (network.enabled ? network.probe.to_string() : std::string("off")) + ")";
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
    Result<Home> loaded = load_home_with_overlay(cfg.home, cfg.mqtt.accepted_file, home_errors);
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
