// Issue 8 end to end with the real binaries: `hearth habits simulate` writes
// six weeks of a household's history, `hearth history import` loads it into
// a temp history file, the real hearthd starts on it (127.0.0.1:0), mines it
// at startup and offers a bedtime-like suggestion over the API (and counts it
// in /api/v1/health); accepting it makes a routine with a planned next run.
// Running a routine at its time with an injected clock is tested in-process
// (tests/unit/daemon/routines_service_test.cc). Process, HTTP and CLI plumbing
// come from the shared harness (tests/fakes/daemon_harness.h); every wait
// polls with a bounded deadline.
#include <cctype>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fakes/daemon_harness.h"

namespace hearth {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::CliRun;
using testing::Daemon;
using testing::TempDir;

constexpr auto kMineDeadline = 10s;     // startup mining must offer suggestions within this
constexpr auto kCliDeadline = 30s;      // simulate/import of six weeks of history

TEST(RoutinesDaemonTest, SimulatedHistoryGivesBedtimeSuggestionThatIsScheduledWhenAccepted) {
  TempDir dir;
  CliRun sim = testing::run_cli(dir, {"habits", "simulate", "--out", dir.file("sim.jsonl"), "--days", "42",
                                      "--household", "couple", "--seed", "5"},
                                kCliDeadline);
  ASSERT_EQ(sim.code, 0) << sim.err;
  CliRun imported = testing::run_cli(dir, {"history", "import", "--db", dir.file("history.db"), dir.file("sim.jsonl")},
                                     kCliDeadline);
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_NE(imported.out.find("imported"), std::string::npos) << imported.out;

  json config = testing::base_config();
  config["home"] = "builtin:demo";
  config["time_zone"] = "Europe/Berlin";
  config["api"]["body_limit_bytes"] = 65536;
  Daemon d(dir);
  ASSERT_TRUE(d.start(config, {}, std::nullopt));

  json bedtime;
  HttpReply last;
  ASSERT_TRUE(testing::wait_until(
      [&] {
        HttpReply r = d.request("GET", "/api/v1/suggestions");
        last = r;
        if (r.status != 200) return false;
        const json body = json::parse(r.body);
        for (const json& s : body["suggestions"]) {
          const int t = s["trigger"].value("time_min", -1);
          if (s["kind"] == "time" && (t >= 21 * 60 || (t >= 0 && t < 60)) && !s["actions"].empty()) {
            bedtime = s;
            return true;
          }
        }
        return false;
      },
      kMineDeadline))
      << "no bedtime-like suggestion; last reply " << last.status << " " << last.body.substr(0, 2000)
      << "\nstderr:\n"
      << d.process().err();

  // /health counts the pending suggestions of the startup mining.
  json health = d.get_json("/api/v1/health");
  ASSERT_TRUE(health.contains("routines")) << health.dump();
  EXPECT_TRUE(health["routines"]["enabled"].get<bool>());
  EXPECT_GE(health["routines"]["minings"].get<uint64_t>(), 1u);
  const uint64_t pending_before = health["routines"]["suggestions_pending"].get<uint64_t>();
  EXPECT_GE(pending_before, 1u) << health.dump();
  EXPECT_EQ(health["routines"]["runs"], 0);

  HttpReply accepted =
      d.request("POST", "/api/v1/suggestions/" + std::to_string(bedtime["id"].get<int64_t>()) + "/accept",
                R"({"adaptive": false})");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  const int64_t routine_id = json::parse(accepted.body)["id"].get<int64_t>();

  HttpReply list = d.request("GET", "/api/v1/routines");
  ASSERT_EQ(list.status, 200) << list.body;
  json routines = json::parse(list.body)["routines"];
  ASSERT_EQ(routines.size(), 1u) << list.body;
  EXPECT_EQ(routines[0]["id"], routine_id);
  EXPECT_TRUE(routines[0]["enabled"].get<bool>());
  ASSERT_TRUE(routines[0]["next_run"].is_string()) << routines[0].dump();
  EXPECT_EQ(routines[0]["next_run"].get<std::string>().substr(11, 5), routines[0]["trigger"]["time"])
      << "the next run is at the routine's local time";

  HttpReply pending = d.request("GET", "/api/v1/suggestions");
  const json still_pending = json::parse(pending.body);
  for (const json& s : still_pending["suggestions"]) EXPECT_NE(s["id"], bedtime["id"]);
  EXPECT_EQ(d.request("GET", "/api/v1/routines/" + std::to_string(routine_id) + "/runs").status, 200);
  EXPECT_EQ(d.get_json("/api/v1/health")["routines"]["suggestions_pending"].get<uint64_t>(), pending_before - 1);

  // By voice (the same text path a transcript takes): list, turn off, turn on.
  const std::string name = routines[0]["name"];
  ASSERT_FALSE(name.empty());
  auto say = [&](const std::string& text) { return d.post_json("/api/v1/command", {{"text", text}}); };
  auto enabled = [&] { return json::parse(d.request("GET", "/api/v1/routines").body)["routines"][0]["enabled"].get<bool>(); };
  json r = say("what are my routines");
  EXPECT_EQ(r["intent"]["name"], "HearthListRoutines") << r.dump();
  EXPECT_NE(r["response"].get<std::string>().find("one routine: " + name), std::string::npos) << r.dump();
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  r = say("turn off the " + lower + " routine");
  EXPECT_EQ(r["intent"]["name"], "HearthRoutineOff") << r.dump();
  EXPECT_EQ(r["response"], "Turned off the " + name + " routine.") << r.dump();
  EXPECT_FALSE(enabled());
  EXPECT_FALSE(d.get_json("/api/v1/routines")["routines"][0]["next_run"].is_string()) << "a turned-off routine has no next run";
  r = say("what routines do we have");
  EXPECT_NE(r["response"].get<std::string>().find(name + " (turned off)"), std::string::npos) << r.dump();
  r = say("disable " + lower + " routine");
  EXPECT_EQ(r["response"], "The " + name + " routine is already off.") << r.dump();
  r = say("turn the " + lower + " routine back on");
  EXPECT_EQ(r["intent"]["name"], "HearthRoutineOn") << r.dump();
  EXPECT_EQ(r["response"], "Turned on the " + name + " routine.") << r.dump();
  EXPECT_TRUE(enabled());
  r = say("turn off the holiday routine");
  EXPECT_EQ(r["response"], "You don't have a routine called 'holiday'.") << r.dump();
  EXPECT_TRUE(enabled()) << "an unknown name changes nothing";

  EXPECT_TRUE(d.stop());
}

}  // namespace
}  // namespace hearth
