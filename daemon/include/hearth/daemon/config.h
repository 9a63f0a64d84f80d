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
//    "nlu":     {"custom_intents": [{"intent", "sentences", "actions":
//                [{"device", "action", "params"}], "response"}]},
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
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hearth/audio/audio.h"
#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/devices/home.h"
#include "hearth/nlu/nlu.h"

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
};

struct DevicesConfig {
  int command_timeout_ms = 5000;        // deadline per device command, 10..600000
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
  NluConfig nlu;
  AudioConfig audio;                    // the always-on audio loop; only ns.enabled reloads live

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
