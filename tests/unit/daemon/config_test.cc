// Config loading and validation: every kind of bad config lists all of its
// problems, each with the file and the JSON path.
#include "hearth/daemon/config.h"
#include "hearth/nlu/cascade.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hearth {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hearth-config-test-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = fs::path(path_) / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  std::string path_;
};

std::set<std::string> paths_of(const ConfigErrors& errors) {
  std::set<std::string> out;
  for (const ConfigErrors::Entry& e : errors.entries()) out.insert(e.path);
  return out;
}

bool has_path_prefix(const ConfigErrors& errors, const std::string& prefix) {
  for (const ConfigErrors::Entry& e : errors.entries()) {
    if (e.path.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// A tiny valid home with one light and one lock.
constexpr const char* kSmallHome = R"({
  "floors": [{"id": "ground", "name": "Ground"}],
  "areas": [{"id": "kitchen", "name": "Kitchen", "floor": "ground"}],
  "devices": [
    {"id": "light.kitchen", "name": "Kitchen Light", "area": "kitchen", "state": "off"},
    {"id": "lock.door", "name": "Door", "area": "kitchen", "state": "locked"}
  ]})";

TEST(DaemonConfig, EmbeddedDefaultConfigIsValid) {
  ConfigErrors errors;
  Result<ConfigBundle> bundle = load_config_bundle("", {}, errors);
  ASSERT_TRUE(bundle) << errors.to_string();
  EXPECT_EQ(bundle->config.home, kBuiltinDemoHome);
  EXPECT_EQ(bundle->config.listen, "127.0.0.1:8765");
  EXPECT_EQ(bundle->config.source, kBuiltinConfigName);
  ASSERT_NE(bundle->home, nullptr);
  EXPECT_GT(bundle->home->devices().size(), 10u);
  // The demo listens on the default capture device.
  EXPECT_EQ(bundle->config.audio.source, "capture");
  EXPECT_EQ(bundle->config.audio.capture.device, "");
  EXPECT_TRUE(bundle->config.audio.ns.enabled);
  // The intent cascade runs the shipped model ("model_path": "builtin").
  EXPECT_TRUE(bundle->config.nlu_llm.enabled);
  EXPECT_EQ(bundle->config.nlu_llm.model_path, builtin_intent_model_path());
  EXPECT_TRUE(fs::is_regular_file(bundle->config.nlu_llm.model_path)) << bundle->config.nlu_llm.model_path;
}

// "builtin" names the shipped intent model, any other path resolves against
// the config's directory, "" turns the LLM layer off.
TEST(DaemonConfig, IntentModelPathBuiltinRelativeOrOff) {
  TempDir dir;
  dir.write("homes/small.json", kSmallHome);
  const std::string model = dir.write("conf/models/m.gguf", "not read here");
  for (const auto& [value, want] : std::vector<std::pair<std::string, std::string>>{
           {"builtin", builtin_intent_model_path()}, {"models/m.gguf", model}, {"", ""}}) {
    const std::string config = dir.write("conf/hearth.json", R"({"home": "../homes/small.json", "nlu": {"llm": {"model_path": ")" +
                                                                  value + R"("}}})");
    ConfigErrors errors;
    Result<ConfigBundle> bundle = load_config_bundle(config, {}, errors);
    ASSERT_TRUE(bundle) << value << ": " << errors.to_string();
    EXPECT_EQ(fs::path(bundle->config.nlu_llm.model_path).lexically_normal(), fs::path(want).lexically_normal()) << value;
  }
}

TEST(DaemonConfig, EmbeddedDemoHomeParses) {
  ConfigErrors errors;
  Result<Home> home = load_home(std::string(kBuiltinDemoHome), errors);
  ASSERT_TRUE(home) << errors.to_string();
  EXPECT_NE(home->device("light.kitchen_ceiling"), nullptr);
}

TEST(DaemonConfig, TypeErrorsAreAllReportedWithPaths) {
  ConfigErrors errors;
  Result<DaemonConfig> cfg = parse_config(R"({
      "listen": 5, "colour": "blue", "db_required": "yes",
      "api": {"body_limit_bytes": "big", "max_connections": 1.5, "speed": 1},
      "devices": [],
      "nlu": {"custom_intents": {}}})",
                                          "bad.json", "/tmp", errors);
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().code, Code::kBadInput);
  std::set<std::string> paths = paths_of(errors);
  for (const char* p : {"$.listen", "$.colour", "$.db_required", "$.api.body_limit_bytes", "$.api.max_connections",
                        "$.api.speed", "$.devices", "$.nlu.custom_intents"}) {
    EXPECT_TRUE(paths.count(p)) << "missing error for " << p << "\n" << errors.to_string();
  }
  EXPECT_EQ(errors.size(), 8u) << errors.to_string();
  for (const ConfigErrors::Entry& e : errors.entries()) {
    EXPECT_EQ(e.file, "bad.json");
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(DaemonConfig, InvalidJsonIsOneErrorAtRoot) {
  ConfigErrors errors;
  Result<DaemonConfig> cfg = parse_config("{\"listen\": ", "broken.json", "/tmp", errors);
  ASSERT_FALSE(cfg);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.entries()[0].path, "$");
  EXPECT_NE(errors.entries()[0].message.find("not valid JSON"), std::string::npos);
}

TEST(DaemonConfig, TopLevelMustBeObject) {
  ConfigErrors errors;
  ASSERT_FALSE(parse_config("[1, 2]", "arr.json", "/tmp", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.entries()[0].message.find("object"), std::string::npos);
}

TEST(DaemonConfig, RangeErrorsAreAllReported) {
  TempDir dir;
  std::string home = dir.write("home.json", kSmallHome);
  ConfigErrors errors;
  Result<DaemonConfig> cfg = parse_config(R"({
      "home": "home.json", "listen": "nowhere", "log_level": "loud",
      "api": {"body_limit_bytes": 10, "request_timeout_ms": 50, "max_connections": 0},
      "devices": {"command_timeout_ms": 0}})",
                                          "ranges.json", dir.path(), errors);
  ASSERT_TRUE(cfg) << errors.to_string();
  cfg->validate(nullptr, errors);
  std::set<std::string> paths = paths_of(errors);
  for (const char* p : {"$.listen", "$.log_level", "$.api.body_limit_bytes", "$.api.request_timeout_ms",
                        "$.api.max_connections", "$.devices.command_timeout_ms"}) {
    EXPECT_TRUE(paths.count(p)) << "missing error for " << p << "\n" << errors.to_string();
  }
  EXPECT_EQ(errors.size(), 6u) << errors.to_string();
}

TEST(DaemonConfig, RequestTimeoutMustExceedCommandTimeout) {
  ConfigErrors errors;
  Result<DaemonConfig> cfg = parse_config(
      R"({"api": {"request_timeout_ms": 1000}, "devices": {"command_timeout_ms": 5000}})", "x.json", "/tmp", errors);
  ASSERT_TRUE(cfg);
  cfg->validate(nullptr, errors);
  ASSERT_EQ(errors.size(), 1u) << errors.to_string();
  EXPECT_EQ(errors.entries()[0].path, "$.api.request_timeout_ms");
  EXPECT_NE(errors.entries()[0].message.find("devices.command_timeout_ms"), std::string::npos);
}

TEST(DaemonConfig, RelativePathsResolveAgainstConfigDirectory) {
  TempDir dir;
  dir.write("homes/small.json", kSmallHome);
  std::string config = dir.write("conf/hearth.json", R"({"home": "../homes/small.json", "db": "state/h.db"})");
  ConfigErrors errors;
  Result<ConfigBundle> bundle = load_config_bundle(config, {}, errors);
  ASSERT_TRUE(bundle) << errors.to_string();
  EXPECT_EQ(bundle->config.home, (fs::path(dir.path()) / "homes" / "small.json").string());
  EXPECT_EQ(bundle->config.db, (fs::path(dir.path()) / "conf" / "state" / "h.db").string());
  EXPECT_EQ(bundle->home->devices().size(), 2u);
}

TEST(DaemonConfig, MissingHomeFileIsReported) {
  TempDir dir;
  std::string config = dir.write("c.json", R"({"home": "nope.json"})");
  ConfigErrors errors;
  ASSERT_FALSE(load_config_bundle(config, {}, errors));
  ASSERT_EQ(errors.size(), 1u) << errors.to_string();
  EXPECT_EQ(errors.entries()[0].path, "$.home");
  EXPECT_EQ(errors.entries()[0].file, config);
  EXPECT_NE(errors.entries()[0].message.find("nope.json"), std::string::npos);
}

TEST(DaemonConfig, HomeErrorsAndConfigErrorsComeTogether) {
  TempDir dir;
  std::string home = dir.write("home.json", R"({"areas": [], "devices": [
      {"id": "light.a", "name": "A", "area": "kitchn"}]})");
  std::string config = dir.write("c.json", R"({"home": "home.json", "log_level": "loud"})");
  ConfigErrors errors;
  ASSERT_FALSE(load_config_bundle(config, {}, errors));
  bool home_error = false;
  bool config_error = false;
  for (const ConfigErrors::Entry& e : errors.entries()) {
    if (e.file.find("home.json") != std::string::npos) home_error = true;
    if (e.file == config && e.path == "$.log_level") config_error = true;
  }
  EXPECT_TRUE(home_error) << errors.to_string();
  EXPECT_TRUE(config_error) << errors.to_string();
}

TEST(DaemonConfig, CustomIntentTypeErrorsHavePaths) {
  ConfigErrors errors;
  ASSERT_FALSE(parse_config(R"({"nlu": {"custom_intents": [
      {"intent": 3, "sentences": "movie", "actions": [{"device": 1, "params": {"x": [1]}}], "extra": 1},
      "not an object"]}})",
                            "ci.json", "/tmp", errors));
  std::set<std::string> paths = paths_of(errors);
  for (const char* p : {"$.nlu.custom_intents[0].intent", "$.nlu.custom_intents[0].sentences",
                        "$.nlu.custom_intents[0].actions[0].device", "$.nlu.custom_intents[0].actions[0].action",
                        "$.nlu.custom_intents[0].actions[0].params.x", "$.nlu.custom_intents[0].extra",
                        "$.nlu.custom_intents[1]"}) {
    EXPECT_TRUE(paths.count(p)) << "missing error for " << p << "\n" << errors.to_string();
  }
}

TEST(DaemonConfig, CustomSentenceListsRulesAndSkipWords) {
  ConfigErrors errors;
  auto cfg = parse_config(R"j({"nlu": {
      "lists": {"size": {"values": ["small", {"in": "(large | big)", "out": "large"}, {"in": "tall", "out": 16}]},
                "cups": {"range": {"from": 1, "to": 4}}, "note": {"wildcard": true}},
      "expansion_rules": {"ask": "can i get | make me"}, "skip_words": ["to go"]}})j",
                          "ok.json", "/tmp", errors);
  ASSERT_TRUE(cfg) << errors.to_string();
  const NluConfig& nlu = cfg->nlu;
  ASSERT_EQ(nlu.lists.at("size").values.size(), 3u);
  EXPECT_EQ(nlu.lists.at("size").values[1].in, "(large | big)");
  EXPECT_EQ(nlu.lists.at("size").values[1].out, Value(std::string("large")));
  EXPECT_EQ(nlu.lists.at("size").values[2].out, Value(int64_t{16}));
  EXPECT_TRUE(is_null(nlu.lists.at("size").values[0].out));  // the words said
  EXPECT_TRUE(nlu.lists.at("cups").has_range);
  EXPECT_EQ(nlu.lists.at("cups").range_to, 4);
  EXPECT_TRUE(nlu.lists.at("note").wildcard);
  EXPECT_EQ(nlu.expansion_rules.at("ask"), "can i get | make me");
  EXPECT_EQ(nlu.skip_words, std::vector<std::string>{"to go"});

  ConfigErrors bad;
  ASSERT_FALSE(parse_config(R"({"nlu": {
      "lists": {"a": [1], "b": {"values": [{"out": 1}, 7], "extra": 1}, "c": {"range": {"from": "x"}}},
      "expansion_rules": {"r": 5}, "skip_words": "to go"}})",
                            "bad.json", "/tmp", bad));
  std::set<std::string> paths = paths_of(bad);
  for (const char* p : {"$.nlu.lists.a", "$.nlu.lists.b.values[0].in", "$.nlu.lists.b.values[1]", "$.nlu.lists.b.extra",
                        "$.nlu.lists.c.range.from", "$.nlu.lists.c.range.to", "$.nlu.expansion_rules.r",
                        "$.nlu.skip_words"})
    EXPECT_TRUE(paths.count(p)) << "missing error for " << p << "\n" << bad.to_string();
}

TEST(DaemonConfig, CustomIntentWithUnknownDeviceIsCheckedAgainstHome) {
  TempDir dir;
  dir.write("home.json", kSmallHome);
  std::string config = dir.write("c.json", R"({"home": "home.json", "nlu": {"custom_intents": [
      {"intent": "Sauna", "sentences": ["heat the sauna"],
       "actions": [{"device": "switch.sauna", "action": "turn_on"}], "response": "Hot."}]}})");
  ConfigErrors errors;
  ASSERT_FALSE(load_config_bundle(config, {}, errors));
  EXPECT_TRUE(has_path_prefix(errors, "$.nlu")) << errors.to_string();
  EXPECT_NE(errors.to_string().find("switch.sauna"), std::string::npos) << errors.to_string();
}

TEST(DaemonConfig, ValidCustomIntentPasses) {
  TempDir dir;
  dir.write("home.json", kSmallHome);
  std::string config = dir.write("c.json", R"({"home": "home.json", "nlu": {"custom_intents": [
      {"intent": "Cooking", "sentences": ["[it's] cooking time"],
       "actions": [{"device": "light.kitchen", "action": "turn_on", "params": {}}], "response": "Enjoy."}]}})");
  ConfigErrors errors;
  Result<ConfigBundle> bundle = load_config_bundle(config, {}, errors);
  ASSERT_TRUE(bundle) << errors.to_string();
  ASSERT_EQ(bundle->config.nlu.custom_intents.size(), 1u);
  EXPECT_EQ(bundle->config.nlu.custom_intents[0].actions[0].device_id, "light.kitchen");
}

TEST(DaemonConfig, OverridesWinOverTheFile) {
  TempDir dir;
  dir.write("home.json", kSmallHome);
  std::string config = dir.write("c.json", R"({"home": "home.json", "listen": "127.0.0.1:1234", "log_level": "warn"})");
  ConfigOverrides o;
  o.listen = "127.0.0.1:0";
  o.log_level = "debug";
  o.db = "/tmp/override.db";
  o.home = std::string(kBuiltinDemoHome);
  ConfigErrors errors;
  Result<ConfigBundle> bundle = load_config_bundle(config, o, errors);
  ASSERT_TRUE(bundle) << errors.to_string();
  EXPECT_EQ(bundle->config.listen, "127.0.0.1:0");
  EXPECT_EQ(bundle->config.log_level, "debug");
  EXPECT_EQ(bundle->config.db, "/tmp/override.db");
  EXPECT_EQ(bundle->config.home, kBuiltinDemoHome);
}

TEST(DaemonConfig, UnreadableConfigFileIsOneError) {
  ConfigErrors errors;
  ASSERT_FALSE(load_config_bundle("/nonexistent/hearth.json", {}, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.entries()[0].file, "/nonexistent/hearth.json");
}

TEST(DaemonConfig, DefaultDbPathFollowsXdgStateHome) {
  const char* old = std::getenv("XDG_STATE_HOME");
  std::string saved = old ? old : "";
  setenv("XDG_STATE_HOME", "/var/tmp/xdg", 1);
  EXPECT_EQ(default_db_path(), "/var/tmp/xdg/hearth/history.db");
  unsetenv("XDG_STATE_HOME");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(default_db_path(), "/home/someone/.local/state/hearth/history.db");
  if (old) setenv("XDG_STATE_HOME", saved.c_str(), 1);
}

TEST(DaemonConfig, SplitListenAddress) {
  std::string host;
  uint16_t port = 1;
  EXPECT_TRUE(split_listen_address("127.0.0.1:8765", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8765);
  EXPECT_TRUE(split_listen_address("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  EXPECT_TRUE(split_listen_address("localhost:80", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "1.2.3:80", "host:80", "[::1:80",
                          "127.0.0.1:8x"}) {
    EXPECT_FALSE(split_listen_address(bad, &host, &port)) << bad;
  }
}

TEST(DaemonConfig, AudioSectionParsesWithPathsRelativeToTheConfig) {
  TempDir dir;
  dir.write("home.json", kSmallHome);
  dir.write("rec/kitchen.wav", "not checked here: only existence is validated");
  std::string config = dir.write("c.json", R"({"home": "home.json", "audio": {
      "source": "file", "file": "rec/kitchen.wav", "file_loop": true, "file_realtime": false,
      "capture": {"device": "USB", "channel": 1, "reopen_max_ms": 4000},
      "ns": {"enabled": false, "strength": 0.25},
      "vad": {"threshold": 2.5, "min_speech_ms": 30, "hangover_ms": 100}}})");
  ConfigErrors errors;
  Result<ConfigBundle> bundle = load_config_bundle(config, {}, errors);
  ASSERT_TRUE(bundle) << errors.to_string();
  const AudioConfig& a = bundle->config.audio;
  EXPECT_EQ(a.source, "file");
  EXPECT_EQ(a.file, (fs::path(dir.path()) / "rec" / "kitchen.wav").string());
  EXPECT_TRUE(a.file_loop);
  EXPECT_FALSE(a.file_realtime);
  EXPECT_EQ(a.capture.device, "USB");
  EXPECT_EQ(a.capture.channel, 1);
  EXPECT_EQ(a.capture.reopen_max_ms, 4000);
  EXPECT_FALSE(a.ns.enabled);
  EXPECT_FLOAT_EQ(a.ns.strength, 0.25f);
  EXPECT_FLOAT_EQ(a.vad.threshold, 2.5f);
  EXPECT_EQ(a.vad.min_speech_ms, 30);
  EXPECT_EQ(a.vad.hangover_ms, 100);
  EXPECT_NE(bundle->config.to_string().find("audio=AudioConfig(source=file"), std::string::npos)
      << bundle->config.to_string();
}

TEST(DaemonConfig, AudioSectionNotAnObjectIsOneError) {
  ConfigErrors errors;
  ASSERT_FALSE(parse_config(R"({"audio": "capture"})", "a.json", "/tmp", errors));
  ASSERT_EQ(errors.size(), 1u) << errors.to_string();
  EXPECT_EQ(errors.entries()[0].path, "$.audio");
  EXPECT_EQ(errors.entries()[0].file, "a.json");
}

TEST(DaemonConfig, BadAudioSectionListsEveryErrorWithTheRest) {
  TempDir dir;
  dir.write("home.json", kSmallHome);
  // Type errors, unknown keys, ranges and a missing file, mixed with a
  // non-audio problem: one run reports all of them, each with its path.
  std::string config = dir.write("c.json", R"({"home": "home.json", "log_level": "loud", "audio": {
      "source": "file", "file": "missing.wav", "file_loop": "yes", "microphone": 1,
      "capture": {"channel": "left", "speed": 2},
      "ns": {"strength": 1.5, "enabled": 1},
      "vad": {"threshold": 0, "min_speech_ms": 5000, "hangover_ms": -1}}})");
  ConfigErrors errors;
  ASSERT_FALSE(load_config_bundle(config, {}, errors));
  std::set<std::string> paths = paths_of(errors);
  for (const char* p : {"$.log_level", "$.audio.file", "$.audio.file_loop", "$.audio.microphone",
                        "$.audio.capture.channel", "$.audio.capture.speed", "$.audio.ns.strength",
                        "$.audio.ns.enabled", "$.audio.vad.threshold", "$.audio.vad.min_speech_ms",
                        "$.audio.vad.hangover_ms"}) {
    EXPECT_TRUE(paths.count(p)) << "missing error for " << p << "\n" << errors.to_string();
  }
  for (const ConfigErrors::Entry& e : errors.entries()) {
    EXPECT_EQ(e.file, config) << e.path;
    EXPECT_FALSE(e.message.empty()) << e.path;
  }
  EXPECT_NE(errors.to_string().find("missing.wav"), std::string::npos) << errors.to_string();
}

TEST(DaemonConfig, BadCaptureSettingsAndSourceAreReported) {
  ConfigErrors errors;
  Result<DaemonConfig> cfg = parse_config(R"({"audio": {"source": "capture",
      "capture": {"channel": 99, "rate_hz": 100, "reopen_min_ms": 500, "reopen_max_ms": 100}}})",
                                          "c.json", "/tmp", errors);
  ASSERT_TRUE(cfg) << errors.to_string();
  cfg->validate(nullptr, errors);
  std::set<std::string> paths = paths_of(errors);
  for (const char* p : {"$.audio.capture.channel", "$.audio.capture.rate_hz", "$.audio.capture.reopen_max_ms"}) {
    EXPECT_TRUE(paths.count(p)) << "missing error for " << p << "\n" << errors.to_string();
  }
  EXPECT_EQ(errors.size(), 3u) << errors.to_string();

  ConfigErrors e2;
  Result<DaemonConfig> mic = parse_config(R"({"audio": {"source": "mic"}})", "m.json", "/tmp", e2);
  ASSERT_TRUE(mic);
  mic->validate(nullptr, e2);
  ASSERT_EQ(e2.size(), 1u) << e2.to_string();
  EXPECT_EQ(e2.entries()[0].path, "$.audio.source");

  ConfigErrors e3;
  Result<DaemonConfig> no_file = parse_config(R"({"audio": {"source": "file"}})", "f.json", "/tmp", e3);
  ASSERT_TRUE(no_file);
  no_file->validate(nullptr, e3);
  ASSERT_EQ(e3.size(), 1u) << e3.to_string();
  EXPECT_EQ(e3.entries()[0].path, "$.audio.file");
}

TEST(DaemonConfig, ToStringNamesEveryField) {
  DaemonConfig cfg;
  cfg.source = "x.json";
  cfg.db = "/tmp/h.db";
  std::string s = cfg.to_string();
  for (const char* key : {"source=x.json", "home=builtin:demo", "listen=127.0.0.1:8765", "db=/tmp/h.db",
                          "log_level=info", "api.body_limit_bytes=65536", "devices.command_timeout_ms=5000",
                          "audio=AudioConfig(source=capture"}) {
    EXPECT_NE(s.find(key), std::string::npos) << key << " in " << s;
  }
}

}  // namespace
}  // namespace hearth
