// The real hearthd binary, started with a temp config, home and history
// file, listening on 127.0.0.1:0, driven over real HTTP. Every wait polls
// with a bounded deadline; nothing sleeps for a fixed time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fakes/daemon_harness.h"
#include "hearth/daemon/http_client.h"
#include "hearth/habits/history.h"

extern char** environ;

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

using namespace hearth::testing;
constexpr auto kReloadDeadline = 10s;  // a SIGHUP must show in /health within this
constexpr int kBodyLimit = 4096;       // the test config's api.body_limit_bytes

// The demo home plus one extra light, to tell a reloaded home apart.
std::string demo_home_with_sauna() {
  json home = json::parse(demo_home_text());
  home["devices"].push_back({{"id", "light.sauna"}, {"name", "Sauna Light"}, {"area", "bathroom"},
                             {"state", "off"}, {"adapter", {{"type", "virtual"}}}});
  return home.dump(1);
}

std::string speech_wav() { return std::string(HEARTH_ASSETS_DIR) + "/test/speech_16k.wav"; }

// No audio by default: the tests below that are about audio set their own.
json test_config(const std::string& extra_key = "", const json& extra_value = nullptr) {
  json cfg = {{"home", "home.json"},
              {"db", "history.db"},
              {"log_level", "info"},
              {"api", {{"body_limit_bytes", kBodyLimit}, {"request_timeout_ms", 10000}, {"max_connections", 16}}},
              {"devices", {{"command_timeout_ms", 2000}}},
              {"audio", {{"source", "none"}}}};
  if (!extra_key.empty()) cfg[extra_key] = extra_value;
  return cfg;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.file("home.json"), demo_home_text());
    write_file(dir_.file("hearth.json"), test_config().dump(2));
  }

  // Starts hearthd with the temp config (hearth.json, which tests rewrite
  // before a SIGHUP) and waits for its port file.
  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {HEARTHD_PATH, "--config", dir_.file("hearth.json"), "--listen", "127.0.0.1:0",
                                     "--port-file", hearthd_.port_file()};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(hearthd_.start_args(args));
    url_ = hearthd_.url();
  }

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& content_type = "application/json") {
    return hearthd_.request(method, target, body, content_type);
  }
  json get_json(const std::string& target, int expected_status = 200) {
    return hearthd_.get_json(target, expected_status);
  }
  json post_json(const std::string& target, const json& body, int expected_status = 200) {
    return hearthd_.post_json(target, body, expected_status);
  }
  // Checks an error reply: the status and {"error": {"code", "message"}}.
  void expect_error(const HttpReply& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "error body is not JSON: " << r.body;
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_EQ(j["error"].value("code", ""), code) << r.body;
    EXPECT_FALSE(j["error"].value("message", "").empty()) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
  }
  json audio_health() { return get_json("/api/v1/health")["audio"]; }
  uint64_t counter(const std::string& name) { return hearthd_.counter(name); }
  void stop_and_expect_clean_exit() { EXPECT_TRUE(hearthd_.stop()); }

  // Sends raw bytes on a fresh connection and returns everything read back.
  std::string raw_exchange(const std::string& bytes) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(url_.port)));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    std::string reply;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      timeval tv{5, 0};  // bound on each read
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      (void)!write(fd, bytes.data(), bytes.size());
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return reply;
  }

  TempDir dir_;
  Daemon hearthd_{dir_};
  HttpUrl url_;
};

TEST_F(DaemonTest, HealthDevicesCommandAndHistory) {
  start();
  json health = get_json("/api/v1/health");
  EXPECT_EQ(health.value("status", ""), "ok");
  EXPECT_EQ(health.value("history", ""), "ok");
  EXPECT_EQ(health["audio"].value("source", ""), "none");
  EXPECT_EQ(health["audio"].value("state", ""), "off");
  EXPECT_FALSE(health.value("version", "").empty());
  EXPECT_TRUE(health.contains("uptime_s"));
  EXPECT_GT(health.value("devices", 0), 10);

  json devices = get_json("/api/v1/devices");
  ASSERT_TRUE(devices["devices"].is_array());
  EXPECT_EQ(devices["devices"].size(), static_cast<size_t>(health.value("devices", 0)));
  json kitchen = get_json("/api/v1/devices/light.kitchen_ceiling");
  EXPECT_EQ(kitchen.value("state", ""), "on");
  EXPECT_EQ(kitchen.value("area", ""), "kitchen");
  EXPECT_EQ(kitchen.value("domain", ""), "light");
  EXPECT_TRUE(kitchen["capabilities"].is_array());

  json reply = post_json("/api/v1/command", {{"text", "turn off the kitchen lights"}});
  EXPECT_EQ(reply["intent"].value("name", ""), "HassTurnOff");
  EXPECT_EQ(reply.value("response", ""), "Turned off 2 lights in the Kitchen.");
  EXPECT_EQ(reply.value("source", ""), "template");
  EXPECT_EQ(reply["results"].size(), 2u);
  for (const json& r : reply["results"]) EXPECT_TRUE(r.value("ok", false)) << r.dump();
  EXPECT_TRUE(reply.contains("latency_ms"));
  EXPECT_EQ(get_json("/api/v1/devices/light.kitchen_ceiling").value("state", ""), "off");
  EXPECT_EQ(get_json("/api/v1/devices/light.kitchen_counter").value("state", ""), "off");

  // A direct device action.
  json action = post_json("/api/v1/devices/light.porch/actions", {{"action", "turn_on"}});
  EXPECT_EQ(action["state"].value("state", ""), "on");

  // History is written on its own thread: poll until the rows are there.
  json command_row;
  bool found = wait_until(
      [&] {
        json h = get_json("/api/v1/history?kind=command&limit=10");
        for (const json& item : h["items"]) {
          if (item.value("text", "") == "turn off the kitchen lights") command_row = item;
        }
        return !command_row.is_null();
      },
      5s);
  ASSERT_TRUE(found) << "the command never showed up in /api/v1/history";
  EXPECT_EQ(command_row.value("intent", ""), "HassTurnOff");
  EXPECT_TRUE(command_row.value("ok", false));
  EXPECT_EQ(command_row.value("origin", ""), "api");
  json actions = get_json("/api/v1/history?kind=action&device=light.kitchen_ceiling");
  ASSERT_FALSE(actions["items"].empty()) << actions.dump();
  EXPECT_EQ(actions["items"][0].value("attribute", ""), "turn_off");
  EXPECT_EQ(actions["items"][0].value("command_id", int64_t{0}), command_row.value("id", int64_t{-1}));
  json states = get_json("/api/v1/history?kind=state&device=light.kitchen_ceiling");
  ASSERT_FALSE(states["items"].empty()) << states.dump();
  EXPECT_EQ(states["items"][0].value("new_value", ""), "off");

  // Paging: one item per page walks back through everything without repeats.
  std::set<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    json p = get_json("/api/v1/history?limit=1" + (cursor.empty() ? std::string() : "&before=" + cursor));
    ASSERT_LE(p["items"].size(), 1u);
    for (const json& item : p["items"]) {
      std::string key = item.value("type", "") + std::to_string(item.value("id", int64_t{0}));
      EXPECT_TRUE(seen.insert(key).second) << "repeated " << key;
    }
    if (p["next_before"].is_null()) break;
    cursor = p["next_before"].get<std::string>();
  }
  EXPECT_GE(seen.size(), 4u);

  stop_and_expect_clean_exit();
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::open(dir_.file("history.db"));
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_TRUE((*store)->check_integrity());
  Result<int64_t> n = (*store)->count_commands();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
}

TEST_F(DaemonTest, BadRequestsGetJsonErrorsAndServingGoesOn) {
  start();
  expect_error(request("POST", "/api/v1/command", "{\"text\": "), 400, "bad_json");
  expect_error(request("POST", "/api/v1/command", "{\"words\": \"hi\"}"), 400, "bad_request");
  expect_error(request("POST", "/api/v1/command", std::string(kBodyLimit * 3, 'x')), 413, "too_large");
  expect_error(request("GET", "/api/v1/devices/light.nope"), 404, "not_found");
  expect_error(request("POST", "/api/v1/devices/light.nope/actions", "{\"action\": \"turn_on\"}"), 404, "not_found");
  expect_error(request("POST", "/api/v1/devices/light.porch/actions", "{\"action\": \"lock\"}"), 422, "unsupported");
  expect_error(request("POST", "/api/v1/devices/light.porch/actions", "{\"action\": \"fly\"}"), 400, "bad_input");
  expect_error(request("POST", "/api/v1/devices/light.porch/actions", "{\"params\": {}}"), 400, "bad_request");
  expect_error(request("GET", "/api/v1/nothing-here"), 404, "not_found");
  // "/" is the companion web app (issue 10); unknown API paths stay JSON 404s.
  EXPECT_EQ(request("GET", "/").status, 200);
  expect_error(request("POST", "/api/v1/command", "<text>hi</text>", "application/xml"), 415,
               "unsupported_media_type");
  // `curl -d '{...}'` labels JSON as a form; the body decides, and a form body is not JSON.
  expect_error(request("POST", "/api/v1/command", "text=hi", "application/x-www-form-urlencoded"), 400, "bad_json");
  EXPECT_EQ(request("POST", "/api/v1/command", "{\"text\": \"what time is it\"}",
                    "application/x-www-form-urlencoded").status,
            200);
  expect_error(request("GET", "/api/v1/history?limit=0"), 400, "bad_request");
  expect_error(request("GET", "/api/v1/history?before=zz"), 400, "bad_request");
  HttpReply wrong_method = request("DELETE", "/api/v1/devices");
  expect_error(wrong_method, 405, "method_not_allowed");
  EXPECT_EQ(wrong_method.header("Allow"), "GET");

  std::string garbage = raw_exchange("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(garbage.find(" 400 "), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("\"code\""), std::string::npos) << garbage;

  // Still serving, on a fresh connection.
  EXPECT_EQ(get_json("/api/v1/health").value("status", ""), "ok");
  // 13 errors answered by the router, 2 (413, garbage) by the server itself.
  EXPECT_EQ(counter("http_4xx"), 13u);
  EXPECT_EQ(counter("http_bad_requests"), 2u);
  stop_and_expect_clean_exit();
}

TEST_F(DaemonTest, TimerFiresAndIsRecorded) {
  start();
  json reply = post_json("/api/v1/command", {{"text", "set a timer for 1 second"}});
  EXPECT_EQ(reply.value("response", ""), "Timer set for 1 second.");
  EXPECT_EQ(get_json("/api/v1/health").value("timers", 0), 1);
  bool fired = wait_until([&] { return counter("timers_fired") == 1; }, 5s);
  ASSERT_TRUE(fired) << hearthd_.process().err();
  bool recorded = wait_until(
      [&] { return !get_json("/api/v1/history?kind=state&device=timer.1")["items"].empty(); }, 5s);
  EXPECT_TRUE(recorded);
  stop_and_expect_clean_exit();
}

TEST_F(DaemonTest, ConnectionsBeyondTheLimitGet503) {
  start();
  const int max_connections = test_config()["api"]["max_connections"].get<int>();
  std::vector<int> idle;
  for (int i = 0; i < max_connections; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(url_.port)));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    idle.push_back(fd);
  }
  // The acceptor takes connections in order, so this one is over the limit.
  expect_error(request("GET", "/api/v1/health"), 503, "too_many_connections");
  for (int fd : idle) close(fd);
  bool back = wait_until([&] { return request("GET", "/api/v1/health").status == 200; }, 5s);
  EXPECT_TRUE(back);
  EXPECT_GE(counter("http_connections_rejected"), 1u);
  stop_and_expect_clean_exit();
}

TEST_F(DaemonTest, SighupWithBrokenConfigKeepsTheOldOne) {
  start();
  write_file(dir_.file("hearth.json"), "{\"home\": \"home.json\", \"api\": {\"max_connections\": \"many\"");
  hearthd_.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return counter("reload_failures") == 1; }, kReloadDeadline)) << hearthd_.process().err();
  EXPECT_EQ(counter("reloads"), 0u);
  EXPECT_EQ(get_json("/api/v1/health").value("generation", 0), 1);
  // A config that parses but fails validation is rejected the same way.
  write_file(dir_.file("hearth.json"), test_config("log_level", "loud").dump());
  hearthd_.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return counter("reload_failures") == 2; }, kReloadDeadline)) << hearthd_.process().err();
  json reply = post_json("/api/v1/command", {{"text", "turn on the porch light"}});
  EXPECT_EQ(reply.value("response", ""), "Turned on the Porch Light.");
  stop_and_expect_clean_exit();
}

TEST_F(DaemonTest, SighupWithNewHomeAppliesIt) {
  start();
  get_json("/api/v1/devices/light.sauna", 404);
  write_file(dir_.file("home.json"), demo_home_with_sauna());
  hearthd_.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return counter("reloads") == 1; }, kReloadDeadline)) << hearthd_.process().err();
  json sauna = get_json("/api/v1/devices/light.sauna");
  EXPECT_EQ(sauna.value("name", ""), "Sauna Light");
  json reply = post_json("/api/v1/command", {{"text", "turn on the sauna light"}});
  EXPECT_EQ(reply.value("response", ""), "Turned on the Sauna Light.");
  EXPECT_EQ(get_json("/api/v1/devices/light.sauna").value("state", ""), "on");
  stop_and_expect_clean_exit();
}

// GET /api/v1/devices serializes each device's fixed part once per home and
// its state per request: every entry must equal GET /api/v1/devices/<id>,
// after a state change and after a reload that adds a device.
TEST_F(DaemonTest, DeviceListMatchesEachDeviceThroughChangesAndReloads) {
  start();
  auto expect_list_matches = [&](size_t n) {
    json list = get_json("/api/v1/devices")["devices"];
    ASSERT_TRUE(list.is_array());
    ASSERT_EQ(list.size(), n);
    for (const json& d : list) EXPECT_EQ(d, get_json("/api/v1/devices/" + d.value("id", "?"))) << d.dump();
  };
  const size_t n = get_json("/api/v1/devices")["devices"].size();
  ASSERT_GT(n, 10u);
  expect_list_matches(n);
  json reply = post_json("/api/v1/command", {{"text", "set the floor lamp to 40 percent"}});
  ASSERT_EQ(reply.value("ok", false), true) << reply.dump();
  expect_list_matches(n);
  bool seen = false;
  const json after = get_json("/api/v1/devices");
  for (const json& d : after["devices"])
    if (d["id"] == "light.floor_lamp") {
      seen = true;
      EXPECT_EQ(d["state"], "on") << d.dump();
      EXPECT_EQ(d["attributes"].value("brightness", -1), 40) << d.dump();
    }
  EXPECT_TRUE(seen);
  write_file(dir_.file("home.json"), demo_home_with_sauna());
  hearthd_.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return counter("reloads") == 1; }, kReloadDeadline)) << hearthd_.process().err();
  expect_list_matches(n + 1);
  stop_and_expect_clean_exit();
}

TEST_F(DaemonTest, CheckConfigListsEveryError) {
  write_file(dir_.file("bad.json"), R"({
    "home": "missing-home.json", "listen": "nowhere", "log_level": "loud", "colour": 1,
    "api": {"body_limit_bytes": 1, "max_connections": "many"}})");
  Process check({HEARTHD_PATH, "--check-config", "--config", dir_.file("bad.json")}, dir_.file("check.out"),
                dir_.file("check.err"));
  std::optional<int> code = check.wait_exit(kExitDeadline);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  const std::string err = check.err();
  for (const char* path : {"$.colour", "$.api.max_connections", "$.home", "$.listen", "$.log_level",
                           "$.api.body_limit_bytes"}) {
    EXPECT_NE(err.find(path), std::string::npos) << path << " not in:\n" << err;
  }
  EXPECT_NE(err.find(dir_.file("bad.json")), std::string::npos) << err;
  EXPECT_EQ(check.out(), "");

  Process ok({HEARTHD_PATH, "--check-config", "--config", dir_.file("hearth.json")}, dir_.file("ok.out"),
             dir_.file("ok.err"));
  code = ok.wait_exit(kExitDeadline);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << ok.err();
  EXPECT_EQ(ok.out(), "config ok\n");
}

TEST_F(DaemonTest, BadConfigStartsNothing) {
  write_file(dir_.file("hearth.json"), test_config("listen", "nowhere").dump());
  Process p({HEARTHD_PATH, "--config", dir_.file("hearth.json"), "--port-file", dir_.file("port")},
            dir_.file("p.out"), dir_.file("p.err"));
  std::optional<int> code = p.wait_exit(kExitDeadline);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(p.err().find("$.listen"), std::string::npos) << p.err();
  EXPECT_FALSE(fs::exists(dir_.file("port")));
}

TEST_F(DaemonTest, CorruptDbServesWithHistoryDisabled) {
  write_file(dir_.file("history.db"), std::string(8192, 'Z'));
  start();
  json health = get_json("/api/v1/health");
  EXPECT_EQ(health.value("status", ""), "degraded");
  EXPECT_EQ(health.value("history", ""), "error");
  EXPECT_NE(health["history_detail"].value("error", "").find("history.db"), std::string::npos) << health.dump();
  json reply = post_json("/api/v1/command", {{"text", "turn on the porch light"}});
  EXPECT_EQ(reply.value("response", ""), "Turned on the Porch Light.");
  expect_error(request("GET", "/api/v1/history"), 503, "unavailable");
  stop_and_expect_clean_exit();
  // The damaged file was left as it was.
  EXPECT_EQ(read_file(dir_.file("history.db")), std::string(8192, 'Z'));
}

TEST_F(DaemonTest, CorruptDbWithDbRequiredRefusesToStart) {
  write_file(dir_.file("history.db"), std::string(8192, 'Z'));
  write_file(dir_.file("hearth.json"), test_config("db_required", true).dump());
  Process p({HEARTHD_PATH, "--config", dir_.file("hearth.json"), "--listen", "127.0.0.1:0", "--port-file",
             dir_.file("port")},
            dir_.file("p.out"), dir_.file("p.err"));
  std::optional<int> code = p.wait_exit(kExitDeadline);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(p.err().find(dir_.file("history.db")), std::string::npos) << p.err();
  EXPECT_FALSE(fs::exists(dir_.file("port")));
}

TEST_F(DaemonTest, UnwritableDbLocationIsReported) {
  // /proc cannot hold files for anyone, root included.
  start({"--db", "/proc/hearth-test/history.db"});
  json health = get_json("/api/v1/health");
  EXPECT_EQ(health.value("history", ""), "error");
  EXPECT_NE(health["history_detail"].value("error", "").find("/proc/hearth-test"), std::string::npos)
      << health.dump();
  stop_and_expect_clean_exit();
}

// ------------------------------------------------------------------ audio

TEST_F(DaemonTest, AudioFromAFileInRealTimeAdvancesAndFindsSpeech) {
  json cfg = test_config("audio", {{"source", "file"}, {"file", speech_wav()}, {"file_realtime", true},
                                   {"file_loop", true}});
  write_file(dir_.file("hearth.json"), cfg.dump(2));
  start();
  json first;
  ASSERT_TRUE(wait_until([&] { return (first = audio_health()).value("frames", uint64_t{0}) > 0; }, 5s))
      << first.dump();
  EXPECT_EQ(first.value("source", ""), "file");
  EXPECT_EQ(first.value("state", ""), "running");
  EXPECT_EQ(first.value("device", ""), speech_wav());
  EXPECT_EQ(first.value("native_rate_hz", 0), 16000);
  EXPECT_TRUE(first.value("ns_enabled", false));
  // Paced at 1x: frames keep coming, and the speech in the clip is found.
  json later;
  ASSERT_TRUE(wait_until(
      [&] {
        later = audio_health();
        return later.value("speech_segments", uint64_t{0}) >= 1 &&
               later.value("frames", uint64_t{0}) > first.value("frames", uint64_t{0});
      },
      10s))
      << later.dump() << "\n" << hearthd_.process().err();
  EXPECT_GT(later.value("speech_frames", uint64_t{0}), 0u);
  ASSERT_TRUE(later["last_speech"].is_object()) << later.dump();
  EXPECT_LT(later["last_speech"].value("start_ms", int64_t{-1}), later["last_speech"].value("end_ms", int64_t{-1}));
  EXPECT_TRUE(later["noise_dbfs"].is_number()) << later.dump();
  EXPECT_TRUE(later["cpu_ms_per_audio_s"].is_number()) << later.dump();
  EXPECT_EQ(later.value("overruns", uint64_t{1}), 0u);
  EXPECT_TRUE(later["error"].is_null()) << later.dump();
  json health = get_json("/api/v1/health");
  EXPECT_EQ(health.value("status", ""), "ok");
  EXPECT_GE(health["counters"].value("speech_segments", uint64_t{0}), 1u);

  // SIGHUP: noise suppression switches live; a new source needs a restart.
  cfg["audio"]["ns"] = {{"enabled", false}};
  cfg["audio"]["file_loop"] = false;
  write_file(dir_.file("hearth.json"), cfg.dump(2));
  hearthd_.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return counter("reloads") == 1; }, kReloadDeadline)) << hearthd_.process().err();
  json reloaded = audio_health();
  EXPECT_FALSE(reloaded.value("ns_enabled", true)) << reloaded.dump();
  EXPECT_EQ(reloaded.value("state", ""), "running") << "the looping file must keep playing until a restart";
  EXPECT_NE(hearthd_.process().err().find("requires restart"), std::string::npos);
  stop_and_expect_clean_exit();
}

TEST_F(DaemonTest, AudioFromAFileAsFastAsPossibleEndsWithEveryFrame) {
  write_file(dir_.file("hearth.json"),
             test_config("audio", {{"source", "file"}, {"file", speech_wav()}, {"file_realtime", false}}).dump(2));
  start();
  json audio;
  ASSERT_TRUE(wait_until([&] { return (audio = audio_health()).value("state", "") == "ended"; }, 5s))
      << audio.dump();
  // speech_16k.wav: 87085 samples = 545 frames of 10 ms.
  EXPECT_EQ(audio.value("frames", uint64_t{0}), 545u);
  EXPECT_GT(audio.value("speech_frames", uint64_t{0}), 100u);
  // A finished file is not a fault.
  EXPECT_EQ(get_json("/api/v1/health").value("status", ""), "ok");
  EXPECT_TRUE(wait_until([&] { return audio_health().value("speech_segments", uint64_t{0}) >= 1; }, 5s));
  stop_and_expect_clean_exit();
}

TEST_F(DaemonTest, MissingCaptureDeviceKeepsServingAndReportsIt) {
  write_file(dir_.file("hearth.json"),
             test_config("audio", {{"source", "capture"},
                                   {"capture", {{"device", "hearth-test-no-such-mic"},
                                                {"reopen_min_ms", 50},
                                                {"reopen_max_ms", 200}}}})
                 .dump(2));
  start();
  json audio;
  ASSERT_TRUE(wait_until([&] { return (audio = audio_health()).value("state", "") == "reopening"; }, 5s))
      << audio.dump() << "\n" << hearthd_.process().err();
  EXPECT_EQ(audio.value("source", ""), "capture");
  EXPECT_EQ(audio.value("frames", uint64_t{1}), 0u);
  ASSERT_TRUE(audio["error"].is_string()) << audio.dump();
  EXPECT_FALSE(audio["error"].get<std::string>().empty());
  EXPECT_EQ(get_json("/api/v1/health").value("status", ""), "degraded");
  // Everything else works as before.
  json reply = post_json("/api/v1/command", {{"text", "turn on the porch light"}});
  EXPECT_EQ(reply.value("response", ""), "Turned on the Porch Light.");
  stop_and_expect_clean_exit();
  // Each retry re-initializes PortAudio. Without a sound card one
  // Pa_Initialize makes ALSA print ~65 lines; none may reach the log.
  size_t host_library_lines = 0;
  std::istringstream err(hearthd_.process().err());
  for (std::string line; std::getline(err, line);) {
    host_library_lines += line.rfind("ALSA lib", 0) == 0 || line.find("jack server") != std::string::npos;
  }
  EXPECT_EQ(host_library_lines, 0u) << hearthd_.process().err();
}

TEST_F(DaemonTest, DemoConfigListensOnTheDefaultCaptureDevice) {
  // The embedded config, as a user starting plain `hearthd` gets it. With or
  // without a sound card the daemon serves; audio says what it found.
  ASSERT_TRUE(hearthd_.start_args({HEARTHD_PATH, "--listen", "127.0.0.1:0", "--db", dir_.file("demo.db"),
                                   "--port-file", hearthd_.port_file()}));
  url_ = hearthd_.url();
  json audio = audio_health();
  EXPECT_EQ(audio.value("source", ""), "capture");
  const std::string state = audio.value("state", "");
  EXPECT_TRUE(state == "starting" || state == "running" || state == "reopening") << audio.dump();
  stop_and_expect_clean_exit();
}

// ------------------------------------------------------ hearth audio (CLI)

TEST(HearthCliAudio, VadPrintsSpeechRegionsAsJsonLines) {
  TempDir dir;
  CliRun r = run_cli(dir, {"audio", "vad", speech_wav()});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  int n = 0;
  int64_t previous_end = -1;
  for (std::string line; std::getline(lines, line); ++n) {
    EXPECT_EQ(line.rfind("{\"start_ms\":", 0), 0u) << line;
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    ASSERT_EQ(j.size(), 2u) << line;
    const int64_t start = j.value("start_ms", int64_t{-1});
    const int64_t end = j.value("end_ms", int64_t{-1});
    EXPECT_GT(start, previous_end) << line;
    EXPECT_LT(start, end) << line;
    EXPECT_LE(end, 5443) << line;  // 87085 samples at 16 kHz
    previous_end = end;
  }
  EXPECT_GE(n, 1) << r.out;
}

TEST(HearthCliAudio, DenoiseWritesA16kWavOfTheSameLength) {
  TempDir dir;
  CliRun r = run_cli(dir, {"audio", "denoise", speech_wav(), dir.file("clean.wav"), "--strength", "0.8"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string wav = read_file(dir.file("clean.wav"));
  ASSERT_GE(wav.size(), 44u);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  EXPECT_EQ(wav.substr(8, 4), "WAVE");
  // 16-bit mono at 16 kHz, as many samples as the input (44-byte header from libsndfile).
  EXPECT_EQ(wav.size(), 44u + 2u * 87085u);
  // The result reads back and runs through vad like any recording.
  CliRun vad = run_cli(dir, {"audio", "vad", dir.file("clean.wav")});
  EXPECT_EQ(vad.code, 0) << vad.err;
  EXPECT_FALSE(vad.out.empty());
}

TEST(HearthCliAudio, MissingAndCorruptFilesFailClearly) {
  TempDir dir;
  // A WAV header that promises far more data than follows.
  std::string wav = read_file(speech_wav()).substr(0, 2000);
  write_file(dir.file("truncated.wav"), wav);
  write_file(dir.file("garbage.flac"), std::string(3000, 'G'));
  for (const std::string& bad : {dir.file("nope.wav"), dir.file("truncated.wav"), dir.file("garbage.flac")}) {
    CliRun vad = run_cli(dir, {"audio", "vad", bad});
    EXPECT_EQ(vad.code, 1) << bad << ": " << vad.err;
    EXPECT_NE(vad.err.find(bad), std::string::npos) << vad.err;
    EXPECT_EQ(vad.out, "");
    CliRun dn = run_cli(dir, {"audio", "denoise", bad, dir.file("out.wav")});
    EXPECT_EQ(dn.code, 1) << bad << ": " << dn.err;
    EXPECT_NE(dn.err.find(bad), std::string::npos) << dn.err;
    EXPECT_FALSE(fs::exists(dir.file("out.wav")));
  }
  // Usage errors: exit 2 with the usage text.
  CliRun strength = run_cli(dir, {"audio", "denoise", speech_wav(), dir.file("o.wav"), "--strength", "3"});
  EXPECT_EQ(strength.code, 2) << strength.err;
  EXPECT_NE(strength.err.find("--strength"), std::string::npos) << strength.err;
  EXPECT_EQ(run_cli(dir, {"audio", "vad"}).code, 2);
  EXPECT_EQ(run_cli(dir, {"audio", "denoise", speech_wav()}).code, 2);
  EXPECT_EQ(run_cli(dir, {"audio", "listen"}).code, 2);
  EXPECT_EQ(run_cli(dir, {"audio"}).code, 2);
  for (const char* sub : {"devices", "denoise", "vad"}) {
    CliRun help = run_cli(dir, {"audio", sub, "--help"});
    EXPECT_EQ(help.code, 0) << sub;
    EXPECT_NE(help.out.find(std::string("hearth audio ") + sub), std::string::npos) << help.out;
  }
}

TEST(HearthCliAudio, DevicesRunsWithOrWithoutASoundCard) {
  TempDir dir;
  CliRun r = run_cli(dir, {"audio", "devices", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("name") && j.contains("index") && j.contains("max_input_channels")) << line;
  }
}

}  // namespace
}  // namespace hearth
