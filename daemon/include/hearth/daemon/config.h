// daemon/config.h: the daemon's config file — where the home and the history
// database live, where the API listens, its limits, device timeouts, the
// user's custom sentences and the audio front end. Read by hearthd at start
// and on SIGHUP, by `hearthd --check-config` and by the `hearth` CLI.
//
// Config file (JSON; every key optional, defaults in assets/config/default.json):
//   {"home":        "homes/my.json" | "builtin:demo",   relative to the config file
//    "listen":      "127.0.0.1:8765" | "[::1]:8765",     port 0 = any free port
//    "db":          "history.db" | "" (= $XDG_STATE_HOME/hearth/history.db
//                                      or ~/.local/state/hearth/history.db),
//    "db_required": false,      true: hearthd refuses to start when the db cannot be opened
//    "log_level":   "debug" | "info" | "warn" | "error" | "off",
//    "time_zone":   "Europe/Berlin" | "" (= the system's zone, else UTC): when routines run,
//    "api":     {"body_limit_bytes", "request_timeout_ms", "max_connections"},
//    "devices": {"command_timeout_ms"},
//    "mqtt":    {"enabled", "host", "port", "client_id", "username", "password_file" (first line =
//                password; relative to the config file), "keepalive_s", "tls", "tls_ca_file",
//                "tls_cert_file", "tls_key_file", "tls_insecure", "reconnect_min_ms",
//                "reconnect_max_ms", "z2m_base_topic", "ha_discovery_prefix", "discovery",
//                "hub_id", "topic_prefix", "publish_events", "accept_commands", "ha_publish",
//                "accepted_file"}   (see MqttDaemonConfig; docs/mqtt-topics.md)
//    "network": {"enabled", "probe_host", "probe_port", "interval_ms", "timeout_ms"},
//    "nlu":     {"custom_intents": [{"intent", "sentences", "actions":
//                [{"device", "action", "params"}], "response"}],
//                "lists": {name: {"values": [str | {"in", "out"}]} | {"range": {"from", "to"}} |
//                          {"wildcard": true}},
//                "expansion_rules": {name: template}, "skip_words": [phrase]},
//    "audio":   {"source": "capture" | "file" | "none",
//                "capture": {"device", "channel", "rate_hz", "ring_ms", "stall_timeout_ms",
//                            "reopen_min_ms", "reopen_max_ms"},
//                "file": "path" (relative to the config file), "file_loop", "file_realtime",
//                "ns":  {"enabled", "strength"},
//                "vad": {"enabled", "threshold", "min_speech_ms", "hangover_ms"}}}
//   The "audio" keys, their defaults and ranges are those of AudioConfig in
//   hearth/audio/audio.h (parse_audio_config / AudioConfig::validate).
//
// Loading is two steps, as everywhere in Hearth (STYLE.md §7): parse_config()
// checks types and unknown keys, validate() checks ranges, cross-field rules
// and files. load_config_bundle() does both plus loading the home, and
// reports every problem at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hearth/asr/asr.h"
#include "hearth/audio/audio.h"
#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/devices/home.h"
#include "hearth/devices/protocols.h"
#include "hearth/nlu/nlu.h"
#include "hearth/nlu/cascade.h"

namespace hearth {

// The name that selects the embedded demo home ("home": "builtin:demo").
inline constexpr std::string_view kBuiltinDemoHome = "builtin:demo";
// The source name of the embedded default config in messages and logs.
inline constexpr std::string_view kBuiltinConfigName = "builtin:default.json";

// The default config and the demo home, embedded into the binary at build time.
std::string_view embedded_default_config_json();
std::string_view embedded_demo_home_json();

struct ApiConfig {
  int64_t body_limit_bytes = 65536;     // largest request body accepted (413 beyond), 1 KiB..64 MiB
  int request_timeout_ms = 10000;       // read deadline per request and idle keep-alive, 100..600000
  int max_connections = 64;             // open connections at once (503 beyond), 1..10000
  // Issue 10: tokens, pairing, WebSocket events, the web companion.
  struct Auth {
    std::string db;                     // token store; "" = auth.db next to the history db
    bool loopback_trusted = true;       // tokenless non-browser requests from 127.0.0.1/::1 act as admin
    int pair_code_ttl_s = 300;          // lifetime of a pairing code, 30..3600
    int max_failures_per_minute = 10;   // failed token attempts per client address, 1..10000
  } auth;
  int ws_queue_limit = 256;             // outgoing WebSocket messages queued per client, 8..100000
  int64_t ws_max_message_bytes = 16384; // largest WebSocket message from a client, 256..1 MiB
  bool web = true;                      // serve the web companion at /
  // Issue 10: optional TLS for HTTP and the WebSocket (https/wss). Paths
  // relative to the config file; "" = tls-cert.pem / tls-key.pem next to the
  // history db, generated (self-signed) on first run when both are missing.
  // Set both or neither; set files must exist. Needs a restart to change.
  struct Tls {
    bool enabled = false;
    std::string cert_file;              // PEM certificate (chain)
    std::string key_file;               // PEM private key, unencrypted
    int handshake_timeout_ms = 10000;   // accept → end of TLS handshake, 100..600000
  } tls;
};

struct DevicesConfig {
  int command_timeout_ms = 5000;        // deadline per device command, 10..600000
};

// "mqtt": the broker connection (devices/protocols.h MqttConfig; its status
// topic becomes <topic_prefix>/<hub_id>/status) and Hearth's own topics.
// Not reloadable (SIGHUP keeps the running connection).
struct MqttDaemonConfig {
  MqttConfig client;                    // enabled (default false), host, port, credentials, TLS, bases
  std::string password_file;            // absolute; its first line is the password ("" = none)
  std::string hub_id = "hearth";        // this hub's name in Hearth's topics: [A-Za-z0-9_-]{1,64}
  std::string topic_prefix = "hearth";  // Hearth's topics live under <prefix>/<hub_id>/
  bool publish_events = true;           // hub events on <prefix>/<hub_id>/event/<type>
  bool accept_commands = true;          // <prefix>/<hub_id>/command and .../device/<id>/set
  bool ha_publish = false;              // announce Hearth's devices with HA MQTT discovery
  std::string accepted_file;            // absolute; discovered devices accepted into the home
                                        // (default "accepted-devices.json" beside the config)
};

// "network": the connectivity monitor (devices/protocols.h) behind the cloud
// routes and the NLU cloud fallback. Off: the network counts as up.
struct NetworkConfig {
  bool enabled = false;
  ConnectivityConfig probe;             // probe_host, probe_port, interval_ms, timeout_ms
};

// "llm" (issue 6): a GGUF model served at POST /v1/chat/completions
// (OpenAI-compatible). No model: the route answers 404. Restart to change.
struct LlmServeConfig {
  std::string model;                    // absolute path of the .gguf ("" = off)
  int threads = 2;                      // decode threads, 1..64
  int ctx = 2048;                       // KV cache tokens (capped at the model's), 16..131072
  std::string chat_template = "auto";   // auto | chatml | llama2 | zephyr | plain
  int max_tokens = 512;                 // cap on a request's max_tokens, 1..32768
  std::string kv_cache = "f16";         // f16 | f32
};

// "wakeword" (issue 4): the wake-word detector in the always-on loop
// (daemon/src/wake_service.h). On when audio.source is not "none" and
// enabled; no models listed = the shipped "jarvis". Restart to change.
struct WakewordModelConfig {
  std::string keyword;                  // label in events; "" = the model's own
  std::string path;                     // absolute .gguf; "" = assets/wakeword/<keyword>.gguf
  float sensitivity = 0.5f;             // 0..1; 0.5 = the model's tuned threshold, higher wakes more easily
  float threshold = 0.f;                // (0, 1) overrides sensitivity; 0 = unset
};
struct WakewordConfig {
  bool enabled = true;
  std::vector<WakewordModelConfig> models;  // empty = [{keyword: "jarvis"}]
  int refractory_ms = 1500;             // same word cannot fire again this soon, 0..60000
};
// Implemented in daemon/src/wake_service.cc. `json_text` is the "wakeword" object.
void parse_wakeword_config(std::string_view json_text, const std::string& base_dir, WakewordConfig* out,
                           ConfigErrors& errors);
void validate_wakeword_config(const WakewordConfig& cfg, bool audio_on, ConfigErrors& out);

// The voice pipeline (issue 5, daemon/src/voice_pipeline.h).
struct VoiceConfig {
  bool enabled = true;             // run wake/speech → recognizer → intent when audio is on
  std::string wake = "wakeword";   // "wakeword": after the wake word; "none": every speech segment is a command
  int pre_roll_ms = 1500;          // audio kept from before the wake event
  bool use_ns = false;             // feed the recognizer noise-suppressed audio (raw by default)
  bool confirm_tts = false;        // speak the answer with espeak-ng
  std::string tts_voice = "en-us"; // espeak-ng voice for confirm_tts
};

// "wyoming" (issue 10): the Wyoming protocol server (daemon/src/wyoming_server.h)
// for Home Assistant and voice satellites. Off when listen is "". Restart to change.
struct WyomingConfig {
  std::string listen;                          // "host:port", e.g. "127.0.0.1:10700"; "" = off
  int max_connections = 16;                    // 1..1024
  int idle_timeout_ms = 300000;                // a connection silent this long is closed, 1000..86400000
  int max_audio_s = 30;                        // longest utterance buffered per connection, 1..600
  std::map<std::string, std::string> satellite_areas;  // "satellites": {"name": {"area": "kitchen"}}
};

struct DaemonConfig {
  std::string source;                   // the config file as given, or kBuiltinConfigName
  std::string base_dir;                 // directory relative paths resolve against
  std::string home = std::string(kBuiltinDemoHome);  // absolute path, or kBuiltinDemoHome
  std::string listen = "127.0.0.1:8765";  // host:port; IPv6 hosts in brackets
  std::string db;                       // absolute path of the history database
  bool db_required = false;             // refuse to start without history
  std::string log_level = "info";       // debug | info | warn | error | off
  std::string time_zone;                // the home's zone for routines ("Europe/Berlin"); "" = system's
  ApiConfig api;
  DevicesConfig devices;
  MqttDaemonConfig mqtt;                // restart to change
  NetworkConfig network;                // restart to change
  LlmServeConfig llm;                   // restart to change (issue 6)
  NluConfig nlu;
  LlmIntentConfig nlu_llm;              // "nlu.llm": on-device LLM layer (issue 7)
  CloudConfig nlu_cloud;                // "nlu.cloud": cloud fallback (issue 7)
  AudioConfig audio;                    // the always-on audio loop; only ns.enabled reloads live
  WyomingConfig wyoming;                // restart to change (issue 10)
  AsrConfig asr;                        // speech recognition (issue 5); LM rebuilt on reload
  VoiceConfig voice;                    // voice pipeline (issue 5); restart to change
  WakewordConfig wakeword;              // wake word (issue 4); restart to change

  // Checks ranges, formats, cross-field rules and that files exist. Needs the
  // loaded home for custom intents (nullptr: those checks are skipped).
  // Appends every problem; never stops early.
  void validate(const Home* home, ConfigErrors& out) const;
  // "DaemonConfig(source=..., home=..., listen=..., ...)": one line for the startup log.
  std::string to_string() const;
};

// Values given on the command line; they win over the file.
struct ConfigOverrides {
  std::optional<std::string> home;       // --home (relative to the working directory)
  std::optional<std::string> listen;     // --listen
  std::optional<std::string> db;         // --db (relative to the working directory)
  std::optional<std::string> log_level;  // --log-level
};

// Parses config JSON (types, unknown keys). Relative paths are resolved
// against `base_dir`; an empty "db" becomes default_db_path(). Every problem
// goes to `errors` under `source`; on any problem the result is kBadInput.
Result<DaemonConfig> parse_config(std::string_view json_text, std::string_view source,
                                  const std::string& base_dir, ConfigErrors& errors);

// Reads `path` (or the embedded default when `path` is empty) and parses it.
Result<DaemonConfig> load_config(const std::string& path, ConfigErrors& errors);

// Applies command-line overrides (paths relative to the working directory).
void apply_overrides(const ConfigOverrides& overrides, DaemonConfig& config);

// A config and everything it names, loaded and validated together.
struct ConfigBundle {
  DaemonConfig config;
  std::shared_ptr<const Home> home;  // shared so a reload can keep the old one alive
};

// load_config + apply_overrides + load the home + validate. `config_path`
// empty = the embedded default config. On failure `errors` lists everything
// found (config and home) and the result is kBadInput.
Result<ConfigBundle> load_config_bundle(const std::string& config_path, const ConfigOverrides& overrides,
                                        ConfigErrors& errors);

// Loads the home a config names: a file, or the embedded demo for kBuiltinDemoHome.
Result<Home> load_home(const std::string& home, ConfigErrors& errors);

// $XDG_STATE_HOME/hearth/history.db, else $HOME/.local/state/hearth/history.db,
// else ./hearth-history.db. Does not create anything.
std::string default_db_path();

// Splits "host:port" / "[v6]:port". Returns false (and leaves outputs alone)
// when malformed or the port is outside 0..65535.
bool split_listen_address(std::string_view text, std::string* host, uint16_t* port);

}  // namespace hearth
