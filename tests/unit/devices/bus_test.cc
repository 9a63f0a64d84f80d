// The bus: results, state table and listener, deadlines, per-device queues
// and their limit, isolation between devices, adapter faults, shutdown.
// Waits run the io_context on asio timers with small real durations.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_device_adapter.h"
#include "hearth/devices/bus.h"

namespace hearth {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

Home parse_home(const std::string& json) {
  ConfigErrors errors;
  Result<Home> h = Home::parse(json, "test.json", errors);
  EXPECT_TRUE(h) << errors.to_string();
  return h ? std::move(h).value() : Home{};
}

Home demo_home() {
  ConfigErrors errors;
  Result<Home> h = Home::load_file(std::string(HEARTH_ASSETS_DIR) + "/homes/demo.json", errors);
  EXPECT_TRUE(h) << errors.to_string();
  return h ? std::move(h).value() : Home{};
}

const char* kTestHome = R"({"devices": [
  {"id": "light.fast", "name": "Fast", "state": "off", "attributes": {"brightness": 10}},
  {"id": "light.slow", "name": "Slow", "state": "off", "adapter": {"type": "virtual", "latency_ms": 2000}},
  {"id": "light.medium", "name": "Medium", "state": "off", "adapter": {"type": "virtual", "latency_ms": 50}},
  {"id": "light.late", "name": "Late", "state": "off", "adapter": {"type": "virtual", "latency_ms": 100}},
  {"id": "light.offline", "name": "Offline", "adapter": {"type": "virtual", "offline": true}},
  {"id": "script.quick", "name": "Quick", "adapter": {"type": "virtual", "transition_ms": 10}},
  {"id": "switch.fake", "name": "Fake", "state": "off", "adapter": {"type": "fake"}}]})";

Command make(std::string device_id, std::string action, ValueMap params = {}, std::string origin = "api") {
  Command c;
  c.device_id = std::move(device_id);
  c.action = std::move(action);
  c.params = std::move(params);
  c.origin = std::move(origin);
  return c;
}

Code code_of(const ActionResult& r) { return r.status ? Code::kOk : r.status.error().code; }

class BusTest : public ::testing::Test {
 protected:
  // Builds the bus over home_; devices of type "fake" get a FakeDeviceAdapter.
  std::unique_ptr<Bus> make_bus(BusOptions options = {}) {
    options.adapter_factory = [this](const Device& d, boost::asio::any_io_executor ex)
        -> std::unique_ptr<DeviceAdapter> {
      if (d.adapter.type != "fake") return nullptr;
      auto fake = std::make_unique<FakeDeviceAdapter>(ex);
      fake_ = fake.get();
      return fake;
    };
    Result<std::unique_ptr<Bus>> bus = Bus::create(io_.get_executor(), home_, options, clock_);
    EXPECT_TRUE(bus) << bus.error().message;
    return bus ? std::move(bus).value() : nullptr;
  }

  // Sends a command; its results land in results_ (in completion order).
  void send(Bus& bus, Command cmd) {
    bus.async_execute(std::move(cmd), [this](ActionResult r) { results_.push_back(std::move(r)); });
  }

  // Runs the loop until `done()` or `limit` (real time) passed.
  void run_until(const std::function<bool()>& done, milliseconds limit = milliseconds(900)) {
    io_.restart();
    const auto end = steady_clock::now() + limit;
    while (!done() && steady_clock::now() < end) io_.run_one_for(milliseconds(5));
  }
  void run_until_results(size_t n, milliseconds limit = milliseconds(900)) {
    run_until([&] { return results_.size() >= n; }, limit);
  }

  const ActionResult* result_for(const std::string& device_id) const {
    for (const ActionResult& r : results_) {
      if (r.device_id == device_id) return &r;
    }
    return nullptr;
  }

  boost::asio::io_context io_;  // first: outlives the bus and its handlers
  ManualClock clock_{from_unix_ms(1700000000000)};
  Home home_ = parse_home(kTestHome);
  FakeDeviceAdapter* fake_ = nullptr;  // owned by the bus
  std::vector<ActionResult> results_;
};

TEST_F(BusTest, ExecutesUpdatesStateAndTellsTheListener) {
  home_ = demo_home();
  std::unique_ptr<Bus> bus = make_bus();
  std::vector<StateChange> changes;
  bus->set_state_listener([&](const StateChange& c) { changes.push_back(c); });
  clock_.advance(milliseconds(1500));

  send(*bus, make("light.kitchen_counter", "turn_on", {{"brightness", int64_t{50}}}, "voice"));
  run_until_results(1);
  ASSERT_EQ(results_.size(), 1u);
  const ActionResult& r = results_[0];
  EXPECT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ(r.device_id, "light.kitchen_counter");
  EXPECT_EQ(r.action, "turn_on");
  EXPECT_EQ(r.before.state, "off");
  EXPECT_EQ(r.after.state, "on");
  EXPECT_EQ(bus->state("light.kitchen_counter")->state, "on");
  EXPECT_EQ(bus->state("light.kitchen_counter")->attributes.at("brightness"), Value(int64_t{50}));
  EXPECT_FALSE(bus->state("light.nope"));

  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].attribute, "state");
  EXPECT_EQ(changes[0].old_value, Value(std::string("off")));
  EXPECT_EQ(changes[0].new_value, Value(std::string("on")));
  EXPECT_EQ(changes[1].attribute, "brightness");
  EXPECT_EQ(changes[1].old_value, Value(int64_t{70}));
  EXPECT_EQ(changes[1].new_value, Value(int64_t{50}));
  for (const StateChange& c : changes) {
    EXPECT_EQ(c.device_id, "light.kitchen_counter");
    EXPECT_EQ(c.origin, "voice");
    EXPECT_EQ(c.time, clock_.now());
  }
  EXPECT_EQ(bus->stats().executed, 1u);
}

TEST_F(BusTest, UnknownDeviceIsNotFound) {
  std::unique_ptr<Bus> bus = make_bus();
  send(*bus, make("light.nope", "turn_on"));
  run_until_results(1);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(code_of(results_[0]), Code::kNotFound);
  EXPECT_EQ(bus->stats().failed, 1u);
}

TEST_F(BusTest, InvalidCommandsAreRejectedBeforeTheAdapter) {
  std::unique_ptr<Bus> bus = make_bus();
  send(*bus, make("light.fast", "explode"));
  send(*bus, make("light.fast", "turn_on", {{"brightness", int64_t{101}}}));
  send(*bus, make("light.fast", "turn_on", {{"color", std::string("red")}}));  // no color capability
  run_until_results(3);
  ASSERT_EQ(results_.size(), 3u);
  EXPECT_EQ(code_of(results_[0]), Code::kBadInput);
  EXPECT_EQ(code_of(results_[1]), Code::kBadInput);
  EXPECT_EQ(code_of(results_[2]), Code::kUnsupported);
  EXPECT_EQ(bus->state("light.fast")->state, "off");
  EXPECT_EQ(results_[2].after, results_[2].before);
}

TEST_F(BusTest, OfflineDeviceIsUnavailable) {
  std::unique_ptr<Bus> bus = make_bus();
  send(*bus, make("light.offline", "turn_on"));
  run_until_results(1);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(code_of(results_[0]), Code::kUnavailable);
  EXPECT_EQ(bus->stats().failed, 1u);
}

TEST_F(BusTest, SlowDeviceTimesOut) {
  BusOptions options;
  options.command_timeout = milliseconds(50);
  std::unique_ptr<Bus> bus = make_bus(options);
  const auto start = steady_clock::now();
  send(*bus, make("light.slow", "turn_on"));  // 2000 ms latency
  run_until_results(1);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(code_of(results_[0]), Code::kTimeout);
  EXPECT_NE(results_[0].status.error().message.find("50 ms"), std::string::npos);
  EXPECT_EQ(results_[0].after, results_[0].before);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  io_.restart();
  io_.run_for(milliseconds(50));
  EXPECT_EQ(results_.size(), 1u);  // answered exactly once
  EXPECT_EQ(bus->stats().timed_out, 1u);
}

TEST_F(BusTest, LateReplyStillUpdatesStateButAnswersOnce) {
  BusOptions options;
  options.command_timeout = milliseconds(20);
  std::unique_ptr<Bus> bus = make_bus(options);
  std::vector<StateChange> changes;
  bus->set_state_listener([&](const StateChange& c) { changes.push_back(c); });
  send(*bus, make("light.late", "turn_on"));  // 100 ms latency
  run_until([&] { return bus->state("light.late")->state == "on"; });
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(code_of(results_[0]), Code::kTimeout);
  EXPECT_EQ(bus->state("light.late")->state, "on");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].attribute, "state");
}

TEST_F(BusTest, QueueLimitGivesBusy) {
  BusOptions options;
  options.max_queued_per_device = 2;
  std::unique_ptr<Bus> bus = make_bus(options);
  for (int i = 0; i < 4; ++i) send(*bus, make("light.medium", "toggle"));  // 50 ms each
  run_until_results(4);
  ASSERT_EQ(results_.size(), 4u);
  int n_busy = 0, n_ok = 0;
  for (const ActionResult& r : results_) {
    if (code_of(r) == Code::kBusy) ++n_busy;
    if (code_of(r) == Code::kOk) ++n_ok;
  }
  EXPECT_EQ(n_busy, 2);
  EXPECT_EQ(n_ok, 2);
  EXPECT_EQ(code_of(results_[0]), Code::kBusy);  // answered at once, before the slow ones
  EXPECT_EQ(bus->state("light.medium")->state, "off");  // toggled twice

  send(*bus, make("light.medium", "toggle"));  // room again once the queue drained
  run_until_results(5);
  EXPECT_EQ(code_of(results_.back()), Code::kOk);
}

TEST_F(BusTest, SlowDeviceDoesNotDelayAnother) {
  std::unique_ptr<Bus> bus = make_bus();
  const auto start = steady_clock::now();
  send(*bus, make("light.slow", "turn_on"));  // 2000 ms
  send(*bus, make("light.fast", "turn_on"));
  run_until([&] { return result_for("light.fast") != nullptr; });
  ASSERT_NE(result_for("light.fast"), nullptr);
  EXPECT_TRUE(result_for("light.fast")->status);
  EXPECT_EQ(result_for("light.slow"), nullptr);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
}

TEST_F(BusTest, CommandsToOneDeviceRunInOrder) {
  std::unique_ptr<Bus> bus = make_bus();
  ASSERT_NE(fake_, nullptr);
  const std::vector<std::string> actions = {"turn_on", "turn_off", "toggle", "turn_on", "turn_off"};
  for (const std::string& a : actions) send(*bus, make("switch.fake", a));
  run_until_results(actions.size());
  ASSERT_EQ(results_.size(), actions.size());
  ASSERT_EQ(fake_->commands().size(), actions.size());
  for (size_t i = 0; i < actions.size(); ++i) {
    EXPECT_EQ(fake_->commands()[i].action, actions[i]);
    EXPECT_EQ(results_[i].action, actions[i]);
  }
  EXPECT_EQ(bus->state("switch.fake")->attributes.at("last_action"), Value(std::string("turn_off")));
}

// Fault loop (STYLE.md §11): fail command 1, 2, 3, ... until no fault fires.
TEST_F(BusTest, AdapterFailureOnCommandN) {
  for (int fail_at = 1;; ++fail_at) {
    SCOPED_TRACE(fail_at);
    results_.clear();
    BusOptions options;
    options.max_attempts = 1;  // the failure must reach the caller (retries: bus_semantics_test.cc)
    options.coalesce = false;  // three identical commands would otherwise become one
    std::unique_ptr<Bus> bus = make_bus(options);
    fake_->fail_on_command(fail_at, Error{Code::kUnavailable, "bridge dropped"});
    for (int i = 0; i < 3; ++i) send(*bus, make("switch.fake", "turn_on"));
    run_until_results(3);
    ASSERT_EQ(results_.size(), 3u);
    int n_failed = 0;
    for (size_t i = 0; i < results_.size(); ++i) {
      if (results_[i].status) continue;
      ++n_failed;
      EXPECT_EQ(static_cast<int>(i) + 1, fail_at);
      EXPECT_EQ(code_of(results_[i]), Code::kUnavailable);
      EXPECT_EQ(results_[i].after, results_[i].before);
    }
    EXPECT_EQ(bus->stats().executed + bus->stats().failed, 3u);
    if (fail_at > 3) {
      EXPECT_EQ(n_failed, 0);
      break;
    }
    EXPECT_EQ(n_failed, 1);
  }
}

TEST_F(BusTest, ScriptedRepliesAndInlineAdapter) {
  BusOptions options;
  options.max_attempts = 1;  // the scripted kIo must reach the caller, not be retried
  options.coalesce = false;  // three identical commands would otherwise become one
  std::unique_ptr<Bus> bus = make_bus(options);
  DeviceState scripted;
  scripted.state = "on";
  scripted.attributes["power_w"] = 12.5;
  fake_->set_script({FakeDeviceAdapter::Step{std::nullopt, scripted, false},
                     FakeDeviceAdapter::Step{Error{Code::kIo, "socket closed"}, std::nullopt, false}});
  fake_->set_reply_inline(true);  // a misbehaving adapter: replies inside async_execute
  for (int i = 0; i < 3; ++i) send(*bus, make("switch.fake", "turn_on"));
  run_until_results(3);
  ASSERT_EQ(results_.size(), 3u);
  EXPECT_TRUE(results_[0].status);
  EXPECT_EQ(results_[0].after, scripted);
  EXPECT_EQ(code_of(results_[1]), Code::kIo);
  EXPECT_TRUE(results_[2].status);
  EXPECT_EQ(bus->state("switch.fake")->attributes.at("power_w"), Value(12.5));
}

TEST_F(BusTest, AdapterThatNeverRepliesTimesOutEveryWaitingCommand) {
  BusOptions options;
  options.command_timeout = milliseconds(30);
  std::unique_ptr<Bus> bus = make_bus(options);
  fake_->set_script({FakeDeviceAdapter::Step{std::nullopt, std::nullopt, true}});
  send(*bus, make("switch.fake", "turn_on"));
  send(*bus, make("switch.fake", "turn_off"));  // waits behind the stuck one
  run_until_results(2);
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_EQ(code_of(results_[0]), Code::kTimeout);
  EXPECT_EQ(code_of(results_[1]), Code::kTimeout);
  EXPECT_EQ(fake_->commands().size(), 1u);
  EXPECT_EQ(bus->stats().timed_out, 2u);
}

TEST_F(BusTest, ShutdownCancelsQueuedAndInFlightWork) {
  std::unique_ptr<Bus> bus = make_bus();
  for (int i = 0; i < 3; ++i) send(*bus, make("light.slow", "toggle"));  // 2000 ms each
  send(*bus, make("light.fast", "turn_on"));
  run_until([&] { return result_for("light.fast") != nullptr; });
  bool done = false;
  const auto start = steady_clock::now();
  bus->async_shutdown(milliseconds(500), [&] { done = true; });
  run_until([&] { return done && results_.size() == 4; });
  EXPECT_TRUE(done);
  EXPECT_LT(steady_clock::now() - start, milliseconds(400));  // adapters finished before the deadline
  ASSERT_EQ(results_.size(), 4u);
  for (const ActionResult& r : results_) {
    if (r.device_id == "light.slow") {
      EXPECT_EQ(code_of(r), Code::kCancelled);
    }
  }
  EXPECT_EQ(bus->state("light.slow")->state, "off");

  send(*bus, make("light.fast", "turn_off"));
  run_until_results(5);
  ASSERT_EQ(results_.size(), 5u);
  EXPECT_EQ(code_of(results_[4]), Code::kCancelled);
}

TEST_F(BusTest, ShutdownDeadlineWhenAnAdapterHangs) {
  std::unique_ptr<Bus> bus = make_bus();
  fake_->set_shutdown_hangs(true);
  bool done = false;
  int n_done = 0;
  const auto start = steady_clock::now();
  bus->async_shutdown(milliseconds(40), [&] {
    done = true;
    ++n_done;
  });
  run_until([&] { return done; });
  EXPECT_TRUE(done);
  EXPECT_GE(steady_clock::now() - start, milliseconds(35));
  io_.restart();
  io_.run_for(milliseconds(20));
  EXPECT_EQ(n_done, 1);
  EXPECT_EQ(fake_->n_shutdowns(), 1);
}

TEST_F(BusTest, DeviceReportedChangesReachTheListener) {
  std::unique_ptr<Bus> bus = make_bus();
  std::vector<StateChange> changes;
  bus->set_state_listener([&](const StateChange& c) {
    if (c.attribute == "state") changes.push_back(c);
  });
  send(*bus, make("script.quick", "activate", {}, "app"));
  run_until([&] { return changes.size() >= 2; });
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].new_value, Value(std::string("on")));
  EXPECT_EQ(changes[0].origin, "app");
  EXPECT_EQ(changes[1].old_value, Value(std::string("on")));
  EXPECT_EQ(changes[1].new_value, Value(std::string("off")));
  EXPECT_EQ(changes[1].origin, "device");
  EXPECT_EQ(bus->state("script.quick")->state, "off");
}

TEST_F(BusTest, CreateRejectsBadAdapterBindings) {
  home_ = parse_home(R"({"devices": [
    {"id": "light.a", "name": "A", "adapter": {"type": "zigbee"}},
    {"id": "light.b", "name": "B", "adapter": {"type": "virtual", "fail_rate": 2}},
    {"id": "light.c", "name": "C"}]})");
  Result<std::unique_ptr<Bus>> bus = Bus::create(io_.get_executor(), home_, BusOptions{}, clock_);
  ASSERT_FALSE(bus);
  EXPECT_EQ(bus.error().code, Code::kBadInput);
  EXPECT_NE(bus.error().message.find("light.a: adapter type 'zigbee'"), std::string::npos) << bus.error().message;
  EXPECT_NE(bus.error().message.find("light.b: adapter.fail_rate"), std::string::npos) << bus.error().message;

  BusOptions zero;
  zero.command_timeout = milliseconds(0);
  EXPECT_FALSE(Bus::create(io_.get_executor(), home_, zero, clock_));
}

TEST_F(BusTest, ManyThreadsEveryHandlerOnce) {
  home_ = demo_home();
  std::unique_ptr<Bus> bus = make_bus();
  const std::vector<std::string> devices = {"light.porch", "light.garage", "switch.coffee_maker",
                                            "switch.christmas_tree", "lock.front_door"};
  constexpr int kSenders = 4;
  constexpr int kPerSender = 25;
  std::atomic<int> n_ok{0}, n_calls{0};
  auto guard = boost::asio::make_work_guard(io_);
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i) runners.emplace_back([this] { io_.run(); });
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < kPerSender; ++i) {
        const std::string& id = devices[static_cast<size_t>(s + i) % devices.size()];
        const std::string action = id.rfind("lock.", 0) == 0 ? (i % 2 ? "lock" : "unlock") : "toggle";
        bus->async_execute(make(id, action), [&](ActionResult r) {
          if (r.status) ++n_ok;
          ++n_calls;
        });
      }
    });
  }
  for (std::thread& t : senders) t.join();
  const auto end = steady_clock::now() + milliseconds(900);
  while (n_calls.load() < kSenders * kPerSender && steady_clock::now() < end) std::this_thread::yield();
  guard.reset();
  io_.stop();
  for (std::thread& t : runners) t.join();
  EXPECT_EQ(n_calls.load(), kSenders * kPerSender);
  // Some may be kBusy (8 unfinished per device); none is lost or doubled.
  const Bus::Stats stats = bus->stats();
  EXPECT_EQ(stats.executed + stats.failed + stats.timed_out, static_cast<uint64_t>(kSenders * kPerSender));
  EXPECT_EQ(stats.executed, static_cast<uint64_t>(n_ok.load()));
}

}  // namespace
}  // namespace hearth
