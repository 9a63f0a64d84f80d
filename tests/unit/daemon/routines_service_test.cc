// The daemon side of the habit learner, in-process: RoutinesService with a
// ManualClock, the real bus with the demo home's virtual devices and a temp
// history file; the routine API routes; the habits/history CLI helpers.
// Waits run the io_context with a bounded real-time deadline; time of day
// comes only from the ManualClock.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api_routines.h"
#include "cli_habits.h"
#include "hearth/common/config_errors.h"
#include "hearth/daemon/config.h"
#include "hearth/devices/bus.h"
#include "hearth/devices/home.h"
#include "hearth/habits/sim.h"
#include "routines_json.h"
#include "routines_service.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kTestDeadline = 5s;   // real time allowed for any one wait

// Monday 2026-03-02, 22:00 in Berlin (CET, UTC+1) = 21:00 UTC.
std::chrono::system_clock::time_point berlin(int64_t day_offset, int hour, int minute) {
  const int64_t day = days_from_civil(CivilDate{2026, 3, 2}) + day_offset;
  return from_unix_ms(((day * 86400) + hour * 3600 + minute * 60 - 3600) * 1000);
}

class RoutinesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hearth_routines_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "history.db").string();
    Result<TimeZone> tz = TimeZone::load("Europe/Berlin");
    ASSERT_TRUE(tz) << tz.error().message;
    tz_ = *tz;
    ConfigErrors errors;
    Result<Home> home = Home::parse(std::string(embedded_demo_home_json()), "demo", errors);
    ASSERT_TRUE(home) << errors.to_string();
    home_ = std::make_shared<const Home>(std::move(*home));
    Result<std::unique_ptr<Bus>> bus = Bus::create(ioc_.get_executor(), *home_, BusOptions{}, clock_);
    ASSERT_TRUE(bus) << bus.error().message;
    bus_ = std::move(*bus);
  }

  void TearDown() override {
    service_.reset();
    bus_.reset();
    fs::remove_all(dir_);
  }

  void start_service() {
    RoutinesServiceOptions o;
    o.db_path = db_;
    o.tz = tz_;
    o.nightly_mining = false;
    o.mine_on_start = false;
    o.publish = [this](const char* type, json data) { published_.emplace_back(type, std::move(data)); };
    service_ = std::make_unique<RoutinesService>(
        ioc_.get_executor(), clock_, o,
        [this](Command cmd, std::function<void(ActionResult)> done) { bus_->async_execute(std::move(cmd), done); },
        [this](std::vector<EventRecord> events) {
          recorded_.insert(recorded_.end(), events.begin(), events.end());
        });
    std::optional<Result<void>> started;
    service_->start([&](Result<void> r) { started = r; });
    ASSERT_TRUE(run_until([&] { return started.has_value(); }));
    ASSERT_TRUE(*started) << started->error().message;
  }

  bool run_until(const std::function<bool()>& done) {
    const auto end = std::chrono::steady_clock::now() + kTestDeadline;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      ioc_.restart();
      ioc_.run_one_for(5ms);
    }
    return true;
  }

  // Calls an async_* operation and waits for its answer.
  template <typename T, typename Op>
  Result<T> wait_for(Op op) {
    std::optional<Result<T>> out;
    op([&](Result<T> r) { out = std::move(r); });
    EXPECT_TRUE(run_until([&] { return out.has_value(); })) << "no answer within the deadline";
    if (!out) return Error{Code::kTimeout, "no answer"};
    return std::move(*out);
  }

  std::string state_of(const std::string& id) {
    std::optional<DeviceState> s = bus_->state(id);
    return s ? s->state : std::string("<unknown>");
  }

  void set_state(const std::string& id, const std::string& action) {
    std::optional<ActionResult> r;
    Command c;
    c.device_id = id;
    c.action = action;
    bus_->async_execute(c, [&](ActionResult a) { r = std::move(a); });
    ASSERT_TRUE(run_until([&] { return r.has_value(); }));
    ASSERT_TRUE(r->status) << r->status.error().message;
  }

  StoredRoutine add_bedtime(int hour, int minute) {
    json body = {{"name", "Bedtime"},
                 {"time", (hour < 10 ? "0" : "") + std::to_string(hour) + ":" + (minute < 10 ? "0" : "") +
                              std::to_string(minute)},
                 {"days", "every day"},
                 {"actions", json::array({json{{"device_id", "light.bedside_left"}, {"action", "turn_off"}},
                                          json{{"device_id", "lock.front_door"}, {"action", "lock"}}})}};
    Result<Routine> r = routine_from_json(body);
    EXPECT_TRUE(r) << r.error().message;
    Result<StoredRoutine> stored = wait_for<StoredRoutine>(
        [&](auto done) { service_->async_add_routine(*r, true, false, std::move(done)); });
    EXPECT_TRUE(stored) << stored.error().message;
    return stored ? *stored : StoredRoutine{};
  }

  std::vector<RoutineRun> runs_of(int64_t id) {
    Result<std::vector<RoutineRun>> runs =
        wait_for<std::vector<RoutineRun>>([&](auto done) { service_->async_runs(id, 10, std::move(done)); });
    EXPECT_TRUE(runs) << runs.error().message;
    return runs ? *runs : std::vector<RoutineRun>{};
  }

  HttpResponseData call(const std::string& method, const std::string& target, const std::string& body = "") {
    HttpRequestData req;
    req.method = method;
    req.target = target;
    req.body = body;
    std::optional<HttpResponseData> out;
    HttpResponder respond = [&](HttpResponseData r) { out = std::move(r); };
    const std::string path = target.substr(0, target.find('?'));
    const std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    EXPECT_TRUE(route_routines(service_.get(), home_, method, path.substr(7), query, req, respond)) << target;
    EXPECT_TRUE(run_until([&] { return out.has_value(); })) << target;
    return out.value_or(HttpResponseData{});
  }

  fs::path dir_;
  std::string db_;
  TimeZone tz_;
  boost::asio::io_context ioc_;
  ManualClock clock_{berlin(0, 22, 0)};
  std::shared_ptr<const Home> home_;
  std::unique_ptr<Bus> bus_;
  std::unique_ptr<RoutinesService> service_;
  std::vector<EventRecord> recorded_;
  std::vector<std::pair<std::string, json>> published_;   // live events (EventHub) in publish order

  std::vector<json> published(const std::string& type) const {
    std::vector<json> out;
    for (const auto& [t, d] : published_) {
      if (t == type) out.push_back(d);
    }
    return out;
  }
};

TEST_F(RoutinesServiceTest, RunsAtTheLocalTimeThroughTheBusAndLogsTheRun) {
  start_service();
  set_state("light.bedside_left", "turn_on");
  set_state("lock.front_door", "unlock");
  StoredRoutine r = add_bedtime(22, 30);
  ASSERT_GT(r.id, 0);
  ASSERT_TRUE(service_->next_run(r).has_value());
  EXPECT_EQ(*service_->next_run(r), berlin(0, 22, 30));

  clock_.set_wall(berlin(0, 22, 29));
  service_->poll();
  EXPECT_EQ(service_->stats().commands_sent, 0u) << "nothing is due a minute early";

  clock_.set_wall(berlin(0, 22, 30) + 5s);
  service_->poll();
  ASSERT_TRUE(run_until([&] { return service_->stats().runs_ok == 1; }));
  EXPECT_EQ(state_of("light.bedside_left"), "off");
  EXPECT_EQ(state_of("lock.front_door"), "locked");
  ASSERT_EQ(recorded_.size(), 2u);
  for (const EventRecord& e : recorded_) EXPECT_EQ(e.origin, "schedule");

  std::vector<RoutineRun> runs;
  ASSERT_TRUE(run_until([&] {
    runs = runs_of(r.id);
    return !runs.empty();
  }));
  EXPECT_EQ(runs[0].outcome, "ok");
  EXPECT_EQ(runs[0].scheduled, berlin(0, 22, 30));

  // The run is published on the EventHub and counted for /health.
  const std::vector<json> events = published("routine");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["id"], r.id);
  EXPECT_EQ(events[0]["name"], "Bedtime");
  EXPECT_EQ(events[0]["outcome"], "ok");
  EXPECT_EQ(events[0]["commands"], 2);
  EXPECT_EQ(service_->health().runs, 1u);
  EXPECT_EQ(service_->health().skipped, 0u);

  // Polling again at the same time does not run it twice; the next run is tomorrow.
  service_->poll();
  EXPECT_EQ(service_->stats().commands_sent, 2u);
  EXPECT_EQ(*service_->next_run(r), berlin(1, 22, 30));
}

TEST_F(RoutinesServiceTest, HubOffPastTheGraceWindowIsMissedNotRunLate) {
  start_service();
  set_state("light.bedside_left", "turn_on");
  StoredRoutine r = add_bedtime(22, 30);
  ASSERT_GT(r.id, 0);

  // The hub "wakes up" at 23:30: an hour late, beyond the 10 min grace.
  clock_.set_wall(berlin(0, 23, 30));
  service_->poll();
  EXPECT_EQ(service_->stats().runs_missed, 1u);
  EXPECT_EQ(service_->stats().commands_sent, 0u);
  EXPECT_EQ(service_->health().skipped, 1u);
  EXPECT_EQ(service_->health().runs, 0u);
  ASSERT_EQ(published("routine").size(), 1u);
  EXPECT_EQ(published("routine")[0]["outcome"], "missed");
  std::vector<RoutineRun> runs;
  ASSERT_TRUE(run_until([&] {
    runs = runs_of(r.id);
    return !runs.empty();
  }));
  EXPECT_EQ(runs[0].outcome, "missed");
  for (int i = 0; i < 20; ++i) {  // let any (wrong) late command complete
    ioc_.restart();
    ioc_.poll();
  }
  EXPECT_EQ(state_of("light.bedside_left"), "on") << "a missed bedtime must not switch the light off late";

  // The next evening runs normally.
  clock_.set_wall(berlin(1, 22, 31));
  service_->poll();
  ASSERT_TRUE(run_until([&] { return service_->stats().runs_ok == 1; }));
  EXPECT_EQ(state_of("light.bedside_left"), "off");
}

TEST_F(RoutinesServiceTest, RestartDoesNotRunAgainWithinTheGraceWindow) {
  start_service();
  StoredRoutine r = add_bedtime(22, 30);
  clock_.set_wall(berlin(0, 22, 31));
  service_->poll();
  ASSERT_TRUE(run_until([&] { return service_->stats().runs_ok == 1 && !runs_of(r.id).empty(); }));
  service_.reset();
  start_service();  // a restart at 22:32 reads the run log
  clock_.set_wall(berlin(0, 22, 32));
  service_->poll();
  EXPECT_EQ(service_->stats().commands_sent, 0u);
}

TEST_F(RoutinesServiceTest, MinesSimulatedHistoryAndAcceptedSuggestionIsScheduled) {
  {
    sim::SimHousehold couple;
    const int64_t today = tz_.to_local(clock_.now()).day;
    for (sim::SimHousehold& h : sim::standard_households(7, 42, today - 42)) {
      if (h.name == "couple") couple = h;
    }
    ASSERT_EQ(couple.name, "couple");
    Result<sim::SimOutput> out = sim::simulate(couple);
    ASSERT_TRUE(out) << out.error().message;
    Result<std::unique_ptr<HistoryStore>> store = HistoryStore::open(db_);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->record_events(out->events));
  }
  start_service();
  Result<MineReport> report = wait_for<MineReport>([&](auto done) { service_->async_mine(std::move(done)); });
  ASSERT_TRUE(report) << report.error().message;
  const Suggestion* bedtime = nullptr;
  for (const Suggestion& s : report->pending) {
    const int t = s.routine.trigger.time_min;
    if (s.routine.kind == RoutineKind::kTimeAnchored && (t >= 21 * 60 || t < 60) && s.routine.actionable()) {
      bedtime = &s;
      break;
    }
  }
  ASSERT_NE(bedtime, nullptr) << mining_json(report->mined).dump(2);
  // Every new suggestion is announced once on the EventHub and counted.
  EXPECT_EQ(published("suggestion").size(), report->pending.size());
  EXPECT_EQ(service_->health().suggestions_pending, report->pending.size());
  EXPECT_EQ(service_->health().minings, 1u);
  {
    // Mining again (incrementally: nothing new in the history) proposes the
    // same suggestions and announces none of them again.
    Result<MineReport> again = wait_for<MineReport>([&](auto done) { service_->async_mine(std::move(done)); });
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->pending.size(), report->pending.size());
    EXPECT_EQ(published("suggestion").size(), report->pending.size());
  }
  const size_t pending_before = report->pending.size();

  HttpResponseData accepted = call("POST", "/api/v1/suggestions/" + std::to_string(bedtime->id) + "/accept",
                                   R"({"adaptive": true})");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  HttpResponseData list = call("GET", "/api/v1/routines");
  ASSERT_EQ(list.status, 200);
  json routines = json::parse(list.body)["routines"];
  ASSERT_EQ(routines.size(), 1u);
  EXPECT_TRUE(routines[0]["adaptive"].get<bool>());
  EXPECT_TRUE(routines[0]["next_run"].is_string()) << routines[0].dump();
  EXPECT_EQ(service_->health().suggestions_pending, pending_before - 1);
  HttpResponseData again = call("POST", "/api/v1/suggestions/" + std::to_string(bedtime->id) + "/accept");
  EXPECT_EQ(again.status, 404) << "a decided suggestion cannot be accepted twice";
}

TEST_F(RoutinesServiceTest, RoutesValidateAndAnswerInTheApiErrorStyle) {
  start_service();
  HttpResponseData created = call("POST", "/api/v1/routines",
                                  R"({"name": "Lights out", "time": "23:15", "days": "weekdays",
                                      "actions": [{"device_id": "light.hallway", "action": "turn_off"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  json r = json::parse(created.body);
  const std::string id = std::to_string(r["id"].get<int64_t>());
  EXPECT_EQ(r["trigger"]["time"], "23:15");
  EXPECT_EQ(r["next_run"], "2026-03-02T23:15:00+01:00");

  HttpResponseData patched = call("PATCH", "/api/v1/routines/" + id, R"({"enabled": false, "time": "23:20"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  json p = json::parse(patched.body);
  EXPECT_FALSE(p["enabled"].get<bool>());
  EXPECT_TRUE(p["next_run"].is_null());
  EXPECT_EQ(p["trigger"]["time"], "23:20");

  EXPECT_EQ(call("GET", "/api/v1/routines/" + id + "/runs").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/routines/999/runs").status, 404);
  EXPECT_EQ(call("PATCH", "/api/v1/routines/999", R"({"enabled": true})").status, 404);
  EXPECT_EQ(call("PATCH", "/api/v1/routines/" + id, R"({"colour": 1})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/routines", R"({"name": "x", "time": "25:00", "actions": []})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/routines", "not json").status, 400);
  HttpResponseData unknown_device = call("POST", "/api/v1/routines",
                                         R"({"name": "x", "time": "07:00",
                                             "actions": [{"device_id": "light.nowhere", "action": "turn_on"}]})");
  EXPECT_EQ(unknown_device.status, 404);
  EXPECT_TRUE(json::parse(unknown_device.body)["error"].contains("code"));
  EXPECT_EQ(call("POST", "/api/v1/routines",
                 R"({"name": "x", "time": "07:00", "actions": [{"device_id": "lock.front_door", "action": "turn_on"}]})")
                .status / 100,
            4);
  EXPECT_EQ(call("PUT", "/api/v1/routines").status, 405);
  EXPECT_EQ(call("GET", "/api/v1/routines/abc").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/suggestions/12/reject").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/suggestions?status=bogus").status, 400);
  HttpResponseData pending = call("GET", "/api/v1/suggestions");
  ASSERT_EQ(pending.status, 200);
  EXPECT_TRUE(json::parse(pending.body)["suggestions"].empty());
  HttpResponseData mined = call("POST", "/api/v1/habits/mine");
  ASSERT_EQ(mined.status, 200) << mined.body;
  EXPECT_TRUE(json::parse(mined.body)["mined"]["routines"].is_array());

  EXPECT_EQ(call("DELETE", "/api/v1/routines/" + id).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/routines/" + id).status, 404);
}

TEST(RoutinesRoutes, UnavailableWithoutService) {
  HttpRequestData req;
  std::optional<HttpResponseData> out;
  HttpResponder respond = [&](HttpResponseData r) { out = std::move(r); };
  EXPECT_TRUE(route_routines(nullptr, nullptr, "GET", "/routines", "", req, respond));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 503);
  EXPECT_FALSE(route_routines(nullptr, nullptr, "GET", "/devices", "", req, respond));
}

TEST(RoutinesJson, Iso8601WithOffset) {
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(parse_iso8601("2026-03-02T22:30:00+01:00", &t));
  EXPECT_EQ(to_unix_ms(t), to_unix_ms(berlin(0, 22, 30)));
  ASSERT_TRUE(parse_iso8601("2026-03-02T21:30:00.250Z", &t));
  EXPECT_EQ(to_unix_ms(t), to_unix_ms(berlin(0, 22, 30)) + 250);
  ASSERT_TRUE(parse_iso8601("2026-03-02 16:30-0500", &t));
  EXPECT_EQ(to_unix_ms(t), to_unix_ms(berlin(0, 22, 30)));
  for (const char* bad : {"", "2026-03-02T22:30:00", "2026-02-30T10:00Z", "2026-03-02T24:00Z", "2026-03-02T22:30+1",
                          "yesterday", "2026-03-02T22:30:00+01:00junk"}) {
    EXPECT_FALSE(parse_iso8601(bad, &t)) << bad;
  }
  Result<TimeZone> tz = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(tz);
  EXPECT_EQ(format_iso8601_local(berlin(0, 22, 30), *tz), "2026-03-02T22:30:00+01:00");
  uint8_t mask = 0;
  EXPECT_TRUE(parse_days(json::array({"Mon", "wed", "friday"}), &mask));
  EXPECT_EQ(mask, 0x15);
  EXPECT_FALSE(parse_days(json("someday"), &mask));
}

TEST(HistoryCli, EventLinesParseAndReportErrors) {
  Result<EventRecord> ok =
      event_from_line(R"({"ts": "2026-03-02T22:41:07+01:00", "device": "light.x", "attribute": "state",
                          "value": "off", "origin": "voice"})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->kind, "state");
  EXPECT_EQ(ok->new_value, "off");
  Result<EventRecord> action = event_from_line(
      R"({"ts": "2026-03-02T22:41:07Z", "device": "climate.t", "attribute": "set_temperature", "kind": "action",
          "value": {"temperature": 18}, "origin": "app"})");
  ASSERT_TRUE(action) << action.error().message;
  EXPECT_EQ(action->new_value, R"({"temperature":18})");
  EXPECT_EQ(action->result, "ok");
  EXPECT_FALSE(event_from_line(R"({"device": "light.x", "attribute": "state", "value": "off"})"));
  EXPECT_FALSE(event_from_line(R"({"ts": "2026-03-02T22:41:07Z", "attribute": "state", "value": "off"})"));
  EXPECT_FALSE(event_from_line("{"));
  EXPECT_FALSE(event_from_line("[]"));
}

TEST(HistoryCli, ImportSkipsBadLinesExportRoundTrips) {
  const fs::path dir = fs::temp_directory_path() / ("hearth_history_cli_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "h.db").string();
  const std::string events = (dir / "in.jsonl").string();
  {
    std::ofstream f(events);
    f << R"({"ts": "2026-03-02T22:41:07+01:00", "device": "light.other_hub", "attribute": "state", "value": "off", "origin": "device"})"
      << "\n"
      << "garbage\n"
      << "\n"
      << R"({"ts": "2026-03-02T22:42:00+01:00", "device": "lock.front_door", "attribute": "lock", "kind": "action", "value": {}, "origin": "voice"})"
      << "\n"
      << R"({"ts": "not a time", "device": "x", "attribute": "state", "value": "on"})" << "\n";
  }
  std::ostringstream out, err;
  EXPECT_EQ(run_history_command({"import", "--db", db, events}, out, err), kCliFailed);
  EXPECT_NE(err.str().find("line 2:"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("line 5:"), std::string::npos) << err.str();
  EXPECT_NE(out.str().find("imported 2 event(s)"), std::string::npos) << out.str();

  std::ostringstream exported, err2;
  EXPECT_EQ(run_history_command({"export", "--db", db, "--tz", "Europe/Berlin"}, exported, err2), kCliOk) << err2.str();
  std::istringstream lines(exported.str());
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  Result<EventRecord> a = event_from_line(first);
  Result<EventRecord> b = event_from_line(second);
  ASSERT_TRUE(a && b) << exported.str();
  EXPECT_EQ(a->device_id, "light.other_hub");
  EXPECT_EQ(first.find("\"ts\":\"2026-03-02T22:41:07+01:00\""), 1u) << first;
  EXPECT_EQ(b->kind, "action");
  EXPECT_EQ(b->attribute, "lock");

  std::ostringstream usage_out, usage_err;
  EXPECT_EQ(run_history_command({"import", events}, usage_out, usage_err), kCliUsage);
  EXPECT_EQ(run_habits_command({"mine"}, usage_out, usage_err), kCliUsage);
  EXPECT_EQ(run_habits_command({"mine", "--db", db, "--now", "noon"}, usage_out, usage_err), kCliUsage);
  EXPECT_EQ(run_habits_command({"mine", "--db", db, "--tz", "Mars/Olympus"}, usage_out, usage_err), kCliUsage);
  EXPECT_EQ(run_habits_command({"simulate", "--out", (dir / "s.jsonl").string()}, usage_out, usage_err), kCliUsage);
  EXPECT_EQ(run_habits_command({"frobnicate"}, usage_out, usage_err), kCliUsage);
  fs::remove_all(dir);
}

TEST(HabitsCli, SimulateImportMineFindsBedtime) {
  const fs::path dir = fs::temp_directory_path() / ("hearth_habits_cli_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "h.db").string();
  const std::string events = (dir / "sim.jsonl").string();
  std::ostringstream out, err;
  ASSERT_EQ(run_habits_command({"simulate", "--out", events, "--days", "42", "--household", "couple", "--seed", "3",
                                "--end", "2026-03-02"},
                               out, err),
            kCliOk)
      << err.str();
  ASSERT_EQ(run_history_command({"import", "--db", db, events}, out, err), kCliOk) << err.str();
  std::ostringstream mined;
  ASSERT_EQ(run_habits_command({"mine", "--db", db, "--now", "2026-03-02T12:00:00+01:00", "--tz", "Europe/Berlin",
                                "--window-days", "42"},
                               mined, err),
            kCliOk)
      << err.str();
  json j = json::parse(mined.str());
  bool bedtime = false;
  for (const json& r : j["routines"]) {
    const int t = r["trigger"].value("time_min", -1);
    if (r["kind"] == "time" && (t >= 21 * 60 || (t >= 0 && t < 60)) && !r["actions"].empty()) bedtime = true;
  }
  EXPECT_TRUE(bedtime) << mined.str();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hearth
