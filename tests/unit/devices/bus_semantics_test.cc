// Execution semantics of the bus: retries with backoff for idempotent
// actions only, coalescing of bursts, state confirmation for adapters that
// confirm by report, and a dead device not slowing the others.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <functional>

#include "fakes/fake_device_adapter.h"
#include "hearth/devices/bus.h"

namespace hearth {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Answers like MQTT: the reply is only the target; the device's state comes
// later through the state report, when the test says so.
class ReportingFake final : public DeviceAdapter {
 public:
  explicit ReportingFake(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  std::string_view kind() const override { return "reporting"; }
  bool confirms_by_report() const override { return true; }
  void set_state_report(StateReport report) override { report_ = std::move(report); }
  void async_execute(const Device&, const DeviceState& current, const Command& cmd, Done done) override {
    DeviceState target = current;
    if (cmd.action == "turn_on") target.state = "on";
    if (cmd.action == "turn_off") target.state = "off";
    if (auto it = cmd.params.find("brightness"); it != cmd.params.end()) target.attributes["brightness"] = it->second;
    commands.push_back(cmd);
    boost::asio::post(ex_, [done = std::move(done), target]() mutable { done(std::move(target)); });
  }
  void async_shutdown(std::function<void()> done) override { boost::asio::post(ex_, std::move(done)); }
  // The device reports `state` (on the adapter's strand).
  void report(const std::string& id, DeviceState state) {
    boost::asio::post(ex_, [this, id, state] { report_(id, state); });
  }
  std::vector<Command> commands;

 private:
  boost::asio::any_io_executor ex_;
  StateReport report_;
};

const char* kHome = R"({"devices": [
  {"id": "light.fake", "name": "Fake", "state": "off", "attributes": {"brightness": 10}, "adapter": {"type": "fake"}},
  {"id": "light.reporting", "name": "Reporting", "state": "off", "attributes": {"brightness": 10},
   "adapter": {"type": "reporting"}},
  {"id": "light.dead", "name": "Dead", "state": "off", "adapter": {"type": "virtual", "offline": true}},
  {"id": "light.ok", "name": "Ok", "state": "off"}]})";

Command make(std::string id, std::string action, ValueMap params = {}) {
  Command c;
  c.device_id = std::move(id);
  c.action = std::move(action);
  c.params = std::move(params);
  return c;
}

Code code_of(const ActionResult& r) { return r.status ? Code::kOk : r.status.error().code; }

class BusSemanticsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Bus> make_bus(BusOptions options = {}) {
    ConfigErrors errors;
    Result<Home> h = Home::parse(kHome, "t.json", errors);
    EXPECT_TRUE(h) << errors.to_string();
    home_ = std::move(*h);
    options.retry_base_delay = milliseconds(5);
    options.adapter_factory = [this](const Device& d, boost::asio::any_io_executor ex) -> std::unique_ptr<DeviceAdapter> {
      if (d.adapter.type == "fake") {
        auto f = std::make_unique<FakeDeviceAdapter>(ex);
        fake_ = f.get();
        return f;
      }
      if (d.adapter.type == "reporting") {
        auto f = std::make_unique<ReportingFake>(ex);
        reporting_ = f.get();
        return f;
      }
      return nullptr;
    };
    Result<std::unique_ptr<Bus>> bus = Bus::create(io_.get_executor(), home_, options, clock_);
    EXPECT_TRUE(bus) << bus.error().message;
    return std::move(*bus);
  }
  void send(Bus& bus, Command c) {
    bus.async_execute(std::move(c), [this](ActionResult r) { results_.push_back(std::move(r)); });
  }
  void run_until(const std::function<bool()>& done, milliseconds limit = milliseconds(900)) {
    io_.restart();
    const auto end = steady_clock::now() + limit;
    while (!done() && steady_clock::now() < end) io_.run_one_for(milliseconds(5));
  }

  boost::asio::io_context io_;
  ManualClock clock_;
  Home home_;
  FakeDeviceAdapter* fake_ = nullptr;
  ReportingFake* reporting_ = nullptr;
  std::vector<ActionResult> results_;
};

TEST_F(BusSemanticsTest, IdempotentActionIsRetriedUntilItWorks) {
  std::unique_ptr<Bus> bus = make_bus();
  fake_->set_script({{Error{Code::kIo, "reset by peer"}, std::nullopt, false},
                     {Error{Code::kTimeout, "slow"}, std::nullopt, false}});
  send(*bus, make("light.fake", "turn_on"));
  run_until([&] { return !results_.empty(); });
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].status);
  EXPECT_TRUE(results_[0].confirmed);
  EXPECT_EQ(results_[0].attempts, 3);
  EXPECT_EQ(results_[0].route, "local");
  EXPECT_EQ(bus->stats().retries, 2u);
}

TEST_F(BusSemanticsTest, ToggleIsRetriedOnlyWhenNotDelivered) {
  std::unique_ptr<Bus> bus = make_bus();
  // kIo: maybe delivered → a second toggle could undo the first: no retry.
  fake_->set_script({{Error{Code::kIo, "reset after write"}, std::nullopt, false}});
  send(*bus, make("light.fake", "toggle"));
  run_until([&] { return results_.size() == 1; });
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(code_of(results_[0]), Code::kIo);
  EXPECT_EQ(fake_->commands().size(), 1u);
  // kUnavailable: not delivered → safe to send again.
  fake_->set_script({{Error{Code::kUnavailable, "connection refused"}, std::nullopt, false}});
  send(*bus, make("light.fake", "toggle"));
  run_until([&] { return results_.size() == 2; });
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_TRUE(results_[1].status);
  EXPECT_EQ(results_[1].attempts, 2);
}

TEST_F(BusSemanticsTest, RetriesStopAtMaxAttemptsAndAtTheDeadline) {
  BusOptions o;
  o.max_attempts = 2;
  std::unique_ptr<Bus> bus = make_bus(o);
  fake_->set_script({{Error{Code::kUnavailable, "a"}, std::nullopt, false},
                     {Error{Code::kUnavailable, "b"}, std::nullopt, false},
                     {Error{Code::kUnavailable, "c"}, std::nullopt, false}});
  send(*bus, make("light.fake", "turn_off"));
  run_until([&] { return results_.size() == 1; });
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(code_of(results_[0]), Code::kUnavailable);
  EXPECT_EQ(results_[0].attempts, 2);
  EXPECT_EQ(fake_->commands().size(), 2u);
}

TEST_F(BusSemanticsTest, BurstOfBrightnessChangesSendsTheLast) {
  std::unique_ptr<Bus> bus = make_bus();
  send(*bus, make("light.fake", "turn_off"));  // runs first; the rest queue behind it
  for (int b = 10; b <= 60; b += 10) send(*bus, make("light.fake", "turn_on", {{"brightness", int64_t{b}}}));
  run_until([&] { return results_.size() == 7; });
  ASSERT_EQ(results_.size(), 7u);
  ASSERT_EQ(fake_->commands().size(), 2u);
  EXPECT_EQ(fake_->commands()[1].params.at("brightness"), Value(int64_t{60}));
  int n_coalesced = 0;
  for (const ActionResult& r : results_) {
    EXPECT_TRUE(r.status);
    n_coalesced += r.coalesced ? 1 : 0;
  }
  EXPECT_EQ(n_coalesced, 5);
  EXPECT_EQ(bus->stats().coalesced, 5u);
}

TEST_F(BusSemanticsTest, NothingJumpsOverADifferentCommand) {
  std::unique_ptr<Bus> bus = make_bus();
  send(*bus, make("light.fake", "turn_off"));
  send(*bus, make("light.fake", "turn_on", {{"brightness", int64_t{10}}}));
  send(*bus, make("light.fake", "toggle"));
  send(*bus, make("light.fake", "turn_on", {{"brightness", int64_t{20}}}));
  send(*bus, make("light.fake", "turn_on"));  // fewer parameters: does not supersede
  run_until([&] { return results_.size() == 5; });
  ASSERT_EQ(fake_->commands().size(), 5u);
}

TEST_F(BusSemanticsTest, ConfirmedOnlyWhenTheDeviceReportsTheTarget) {
  BusOptions o;
  o.command_timeout = milliseconds(150);
  std::unique_ptr<Bus> bus = make_bus(o);
  send(*bus, make("light.reporting", "turn_on", {{"brightness", int64_t{40}}}));
  run_until([&] { return reporting_->commands.size() == 1; });
  run_until([&] { return false; }, milliseconds(20));
  EXPECT_TRUE(results_.empty());  // sent, waiting for the report
  DeviceState wrong;
  wrong.state = "on";
  wrong.attributes["brightness"] = int64_t{90};
  reporting_->report("light.reporting", wrong);
  run_until([&] { return false; }, milliseconds(20));
  EXPECT_TRUE(results_.empty());  // not the target
  DeviceState right = wrong;
  right.attributes["brightness"] = int64_t{40};
  reporting_->report("light.reporting", right);
  run_until([&] { return results_.size() == 1; });
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].status);
  EXPECT_TRUE(results_[0].confirmed);
  EXPECT_EQ(results_[0].after, right);

  // No report at all: sent but not confirmed at the deadline.
  send(*bus, make("light.reporting", "turn_off"));
  run_until([&] { return results_.size() == 2; });
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_TRUE(results_[1].status);
  EXPECT_FALSE(results_[1].confirmed);
  EXPECT_EQ(results_[1].after.state, "on");  // what the device last said
  EXPECT_EQ(bus->stats().unconfirmed, 1u);
}

TEST_F(BusSemanticsTest, ConfirmationWaitDoesNotBlockTheNextCommand) {
  BusOptions o;
  o.command_timeout = milliseconds(300);
  std::unique_ptr<Bus> bus = make_bus(o);
  send(*bus, make("light.reporting", "turn_on"));
  send(*bus, make("light.reporting", "turn_off"));
  run_until([&] { return reporting_->commands.size() == 2; }, milliseconds(200));
  EXPECT_EQ(reporting_->commands.size(), 2u);
}

TEST_F(BusSemanticsTest, DeadDeviceDoesNotSlowOthers) {
  std::unique_ptr<Bus> bus = make_bus();
  const auto start = steady_clock::now();
  for (int i = 0; i < 4; ++i) send(*bus, make("light.dead", "turn_on"));
  send(*bus, make("light.ok", "turn_on"));
  run_until([&] {
    for (const ActionResult& r : results_) {
      if (r.device_id == "light.ok") return true;
    }
    return false;
  });
  EXPECT_LT(steady_clock::now() - start, milliseconds(100));
  run_until([&] { return results_.size() == 5; });
  for (const ActionResult& r : results_) {
    if (r.device_id == "light.dead") {
      EXPECT_EQ(code_of(r), Code::kUnavailable);
    }
  }
}

TEST(BusIdempotence, Classification) {
  for (const char* a : {"turn_on", "turn_off", "lock", "unlock", "set_position", "set_temperature"}) {
    EXPECT_TRUE(is_idempotent_action(a)) << a;
  }
  for (const char* a : {"toggle", "media_next", "media_previous", "activate"}) {
    EXPECT_FALSE(is_idempotent_action(a)) << a;
  }
}

}  // namespace
}  // namespace hearth
