// The virtual adapter: each domain's simulated behaviour, latency, offline,
// fail_rate, self-reported transitions and shutdown.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "hearth/devices/bus.h"

namespace hearth {
namespace {

using std::chrono::milliseconds;

const Home& demo_home() {
  static const Home home = [] {
    ConfigErrors errors;
    Result<Home> h = Home::load_file(std::string(HEARTH_ASSETS_DIR) + "/homes/demo.json", errors);
    EXPECT_TRUE(h) << errors.to_string();
    return h ? std::move(h).value() : Home{};
  }();
  return home;
}

// Devices with adapter options the demo home does not use.
const Home& options_home() {
  static const Home home = [] {
    ConfigErrors errors;
    Result<Home> h = Home::parse(R"({"devices": [
      {"id": "light.slow", "name": "Slow", "adapter": {"type": "virtual", "latency_ms": 30}},
      {"id": "light.offline", "name": "Offline", "adapter": {"type": "virtual", "offline": true}},
      {"id": "switch.flaky", "name": "Flaky", "adapter": {"type": "virtual", "fail_rate": 0.5, "seed": 7}},
      {"id": "vacuum.v", "name": "V", "state": "cleaning", "adapter": {"type": "virtual", "transition_ms": 10}},
      {"id": "script.s", "name": "S", "adapter": {"type": "virtual", "transition_ms": 10}},
      {"id": "light.bad_options", "name": "Bad", "adapter": {"type": "virtual", "latency_ms": -1}}]})",
                                 "options.json", errors);
    EXPECT_TRUE(h) << errors.to_string();
    return h ? std::move(h).value() : Home{};
  }();
  return home;
}

Command make(const std::string& device_id, std::string action, ValueMap params = {}) {
  Command c;
  c.device_id = device_id;
  c.action = std::move(action);
  c.params = std::move(params);
  return c;
}

std::string str(const char* s) { return s; }

class VirtualAdapterTest : public ::testing::Test {
 protected:
  // Runs one command and waits (on asio timers, never sleeping) for its reply.
  Result<DeviceState> run(const Device& d, const DeviceState& current, const Command& cmd) {
    int calls = 0;
    Result<DeviceState> out = Error{Code::kInternal, "no reply"};
    adapter_->async_execute(d, current, cmd, [&](Result<DeviceState> r) {
      ++calls;
      out = std::move(r);
    });
    io_.restart();
    while (calls == 0 && io_.run_one_for(milliseconds(500)) > 0) {
    }
    EXPECT_EQ(calls, 1);
    return out;
  }

  // Runs `action` on `state` and replaces it with the new state.
  void step(const Device& d, DeviceState* state, std::string action, ValueMap params = {}) {
    Result<DeviceState> r = run(d, *state, make(d.id, std::move(action), std::move(params)));
    ASSERT_TRUE(r) << r.error().message;
    *state = *r;
  }

  const Device& demo(const char* id) {
    const Device* d = demo_home().device(id);
    EXPECT_NE(d, nullptr) << id;
    return *d;
  }
  const Device& opt(const char* id) { return *options_home().device(id); }

  boost::asio::io_context io_;
  ManualClock clock_{from_unix_ms(1700000000000)};
  std::unique_ptr<DeviceAdapter> adapter_ = make_virtual_adapter(io_.get_executor(), clock_);
};

TEST_F(VirtualAdapterTest, Light) {
  const Device& d = demo("light.floor_lamp");
  EXPECT_EQ(adapter_->kind(), "virtual");
  DeviceState s = d.initial;  // on, brightness 45, warm white
  step(d, &s, "turn_off");
  EXPECT_EQ(s.state, "off");
  step(d, &s, "turn_on", {{"brightness", int64_t{30}}});
  EXPECT_EQ(s.state, "on");
  EXPECT_EQ(s.attributes["brightness"], Value(int64_t{30}));
  step(d, &s, "turn_on", {{"brightness", 0.0}});
  EXPECT_EQ(s.state, "off");                                  // brightness 0 means off
  EXPECT_EQ(s.attributes["brightness"], Value(int64_t{30}));  // level kept for the next on
  step(d, &s, "turn_on", {{"color", str("#FF8800")}, {"brightness", 62.6}});
  EXPECT_EQ(s.state, "on");
  EXPECT_EQ(s.attributes["color"], Value(str("#ff8800")));
  EXPECT_EQ(s.attributes["brightness"], Value(int64_t{63}));
  step(d, &s, "turn_on", {{"color", str("blue")}, {"color_temp_kelvin", int64_t{3000}}});
  EXPECT_EQ(s.attributes["color"], Value(str("blue")));
  EXPECT_EQ(s.attributes["color_temp_kelvin"], Value(int64_t{3000}));
  step(d, &s, "toggle");
  EXPECT_EQ(s.state, "off");
  step(d, &s, "toggle");
  EXPECT_EQ(s.state, "on");
}

TEST_F(VirtualAdapterTest, Switch) {
  const Device& d = demo("switch.coffee_maker");
  DeviceState s = d.initial;
  step(d, &s, "turn_on");
  EXPECT_EQ(s.state, "on");
  step(d, &s, "toggle");
  EXPECT_EQ(s.state, "off");
  step(d, &s, "toggle");
  step(d, &s, "turn_off");
  EXPECT_EQ(s.state, "off");
}

TEST_F(VirtualAdapterTest, Fan) {
  const Device& d = demo("fan.bedroom_fan");
  DeviceState s = d.initial;  // off, 50 %
  step(d, &s, "set_speed", {{"percentage", int64_t{75}}});
  EXPECT_EQ(s.state, "on");
  EXPECT_EQ(s.attributes["percentage"], Value(int64_t{75}));
  step(d, &s, "set_speed", {{"percentage", int64_t{0}}});
  EXPECT_EQ(s.state, "off");
  step(d, &s, "turn_on", {{"percentage", int64_t{20}}});
  EXPECT_EQ(s.state, "on");
  EXPECT_EQ(s.attributes["percentage"], Value(int64_t{20}));
}

TEST_F(VirtualAdapterTest, Cover) {
  const Device& d = demo("cover.living_room_blinds");
  DeviceState s = d.initial;  // open, 100
  step(d, &s, "close_cover");
  EXPECT_EQ(s.state, "closed");
  EXPECT_EQ(s.attributes["position"], Value(int64_t{0}));
  step(d, &s, "set_position", {{"position", int64_t{40}}});
  EXPECT_EQ(s.state, "open");
  EXPECT_EQ(s.attributes["position"], Value(int64_t{40}));
  DeviceState before_stop = s;
  step(d, &s, "stop_cover");
  EXPECT_EQ(s, before_stop);
  step(d, &s, "set_position", {{"position", int64_t{0}}});
  EXPECT_EQ(s.state, "closed");
  step(d, &s, "open_cover");
  EXPECT_EQ(s.state, "open");
  EXPECT_EQ(s.attributes["position"], Value(int64_t{100}));

  const Device& garage = demo("cover.garage_door");  // open/close only
  DeviceState g = garage.initial;
  step(garage, &g, "open_cover");
  EXPECT_EQ(g.state, "open");
  EXPECT_EQ(g.attributes.count("position"), 0u);
}

TEST_F(VirtualAdapterTest, Climate) {
  const Device& d = demo("climate.thermostat");  // heat, 21.0, min 7, max 30
  DeviceState s = d.initial;
  step(d, &s, "set_temperature", {{"temperature", 22.5}});
  EXPECT_EQ(s.attributes["temperature"], Value(22.5));
  EXPECT_EQ(s.state, "heat");
  step(d, &s, "set_hvac_mode", {{"hvac_mode", str("cool")}});
  EXPECT_EQ(s.state, "cool");
  EXPECT_EQ(s.attributes["hvac_mode"], Value(str("cool")));
  step(d, &s, "set_hvac_mode", {{"hvac_mode", str("off")}});
  EXPECT_EQ(s.state, "off");
  Result<DeviceState> r = run(d, s, make(d.id, "set_temperature", {{"temperature", 31.0}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
}

TEST_F(VirtualAdapterTest, Lock) {
  const Device& d = demo("lock.front_door");
  DeviceState s = d.initial;
  step(d, &s, "unlock");
  EXPECT_EQ(s.state, "unlocked");
  step(d, &s, "lock");
  EXPECT_EQ(s.state, "locked");
}

TEST_F(VirtualAdapterTest, MediaPlayer) {
  const Device& d = demo("media_player.kitchen_speaker");  // paused, "Morning News", volume 40
  DeviceState s = d.initial;
  step(d, &s, "media_play");
  EXPECT_EQ(s.state, "playing");
  EXPECT_EQ(s.attributes["media_title"], Value(str("Morning News")));
  step(d, &s, "media_pause");
  EXPECT_EQ(s.state, "paused");
  step(d, &s, "media_next");
  EXPECT_EQ(s.attributes["track"], Value(int64_t{2}));
  EXPECT_EQ(s.attributes["media_title"], Value(str("Track 2")));
  step(d, &s, "media_previous");
  step(d, &s, "media_previous");
  EXPECT_EQ(s.attributes["track"], Value(int64_t{1}));
  step(d, &s, "set_volume", {{"volume", int64_t{55}}});
  EXPECT_EQ(s.attributes["volume"], Value(int64_t{55}));
  step(d, &s, "turn_off");
  EXPECT_EQ(s.state, "off");
  DeviceState off = s;
  step(d, &s, "media_next");  // nothing to skip while off
  EXPECT_EQ(s, off);
  step(d, &s, "turn_on");
  EXPECT_EQ(s.state, "idle");

  const Device& tv = demo("media_player.living_room_tv");  // off, empty title
  DeviceState t = tv.initial;
  step(tv, &t, "media_play");
  EXPECT_EQ(t.state, "playing");
  EXPECT_EQ(t.attributes["media_title"], Value(str("Track 1")));
  step(tv, &t, "toggle");
  EXPECT_EQ(t.state, "off");
}

TEST_F(VirtualAdapterTest, VacuumReturnsThenDocks) {
  std::vector<std::pair<std::string, std::string>> reports;
  adapter_->set_state_report([&](const std::string& id, DeviceState s) { reports.emplace_back(id, s.state); });
  const Device& d = opt("vacuum.v");
  DeviceState s = d.initial;  // cleaning
  step(d, &s, "return_to_base");
  EXPECT_EQ(s.state, "returning");
  io_.restart();
  while (reports.empty() && io_.run_one_for(milliseconds(500)) > 0) {
  }
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], std::make_pair(str("vacuum.v"), str("docked")));
  s.state = "docked";
  step(d, &s, "start");
  EXPECT_EQ(s.state, "cleaning");
  step(d, &s, "stop");
  EXPECT_EQ(s.state, "idle");
}

TEST_F(VirtualAdapterTest, NewCommandCancelsPendingTransition) {
  int n_reports = 0;
  adapter_->set_state_report([&](const std::string&, DeviceState) { ++n_reports; });
  const Device& d = opt("vacuum.v");
  DeviceState s = d.initial;
  step(d, &s, "return_to_base");
  step(d, &s, "start");  // before it docked
  io_.restart();
  io_.run_for(milliseconds(40));
  EXPECT_EQ(n_reports, 0);
  EXPECT_EQ(s.state, "cleaning");
}

TEST_F(VirtualAdapterTest, SceneRecordsLastActivated) {
  const Device& d = demo("scene.movie_night");
  DeviceState s = d.initial;
  step(d, &s, "activate");
  EXPECT_EQ(s.attributes["last_activated"], Value(str("2023-11-14T22:13:20.000Z")));
  EXPECT_EQ(s.state, "");
}

TEST_F(VirtualAdapterTest, ScriptRunsThenStops) {
  std::vector<std::string> reported;
  adapter_->set_state_report([&](const std::string&, DeviceState s) { reported.push_back(s.state); });
  const Device& d = opt("script.s");
  DeviceState s = d.initial;
  step(d, &s, "activate");
  EXPECT_EQ(s.state, "on");
  io_.restart();
  while (reported.empty() && io_.run_one_for(milliseconds(500)) > 0) {
  }
  EXPECT_EQ(reported, std::vector<std::string>{"off"});
}

TEST_F(VirtualAdapterTest, SensorsRejectCommands) {
  for (const char* id : {"sensor.outdoor_temperature", "binary_sensor.kitchen_window"}) {
    const Device& d = demo(id);
    Result<DeviceState> r = run(d, d.initial, make(d.id, "turn_on"));
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code, Code::kUnsupported) << id;
  }
}

TEST_F(VirtualAdapterTest, OfflineIsUnavailable) {
  const Device& d = opt("light.offline");
  Result<DeviceState> r = run(d, d.initial, make(d.id, "turn_on"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
}

TEST_F(VirtualAdapterTest, BadOptionsAreBadInput) {
  const Device& d = opt("light.bad_options");
  Result<DeviceState> r = run(d, d.initial, make(d.id, "turn_on"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
  EXPECT_NE(r.error().message.find("latency_ms"), std::string::npos) << r.error().message;
}

TEST_F(VirtualAdapterTest, LatencyDelaysTheReplyOnATimer) {
  const Device& d = opt("light.slow");  // 30 ms
  int calls = 0;
  adapter_->async_execute(d, d.initial, make(d.id, "turn_on"), [&](Result<DeviceState> r) {
    EXPECT_TRUE(r);
    ++calls;
  });
  io_.poll();
  EXPECT_EQ(calls, 0);  // not before the timer
  const auto start = std::chrono::steady_clock::now();
  while (calls == 0 && io_.run_one_for(milliseconds(500)) > 0) {
  }
  EXPECT_EQ(calls, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20));
}

TEST_F(VirtualAdapterTest, FailRateIsSeededAndDeterministic) {
  const Device& d = opt("switch.flaky");  // fail_rate 0.5, seed 7
  auto failures = [&](DeviceAdapter& adapter) {
    std::vector<bool> failed;
    for (int i = 0; i < 200; ++i) {
      adapter.async_execute(d, d.initial, make(d.id, "toggle"), [&](Result<DeviceState> r) {
        failed.push_back(!r);
        if (!r) {
          EXPECT_EQ(r.error().code, Code::kUnavailable);
        }
      });
    }
    io_.restart();
    io_.run_for(milliseconds(200));
    return failed;
  };
  std::vector<bool> first = failures(*adapter_);
  std::unique_ptr<DeviceAdapter> again = make_virtual_adapter(io_.get_executor(), clock_);
  std::vector<bool> second = failures(*again);
  ASSERT_EQ(first.size(), 200u);
  EXPECT_EQ(first, second);
  const long n_failed = std::count(first.begin(), first.end(), true);
  EXPECT_GT(n_failed, 60);
  EXPECT_LT(n_failed, 140);
}

TEST_F(VirtualAdapterTest, ShutdownCancelsInFlight) {
  const Device& d = opt("light.slow");
  int calls = 0;
  Code code = Code::kOk;
  bool shut_down = false;
  adapter_->async_execute(d, d.initial, make(d.id, "turn_on"), [&](Result<DeviceState> r) {
    ++calls;
    code = r ? Code::kOk : r.error().code;
  });
  adapter_->async_shutdown([&] { shut_down = true; });
  io_.run_for(milliseconds(100));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(code, Code::kCancelled);
  EXPECT_TRUE(shut_down);

  Result<DeviceState> after = run(d, d.initial, make(d.id, "turn_on"));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, Code::kCancelled);
}

}  // namespace
}  // namespace hearth
