// The HTTP adapter against a local device server (Shelly, Tasmota), the
// cloud route against a local "vendor cloud", the network-down answer, and
// the connectivity monitor.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>

#include "fakes/fake_http_server.h"
#include "fakes/processes.h"
#include "hearth/devices/bus.h"
#include "hearth/devices/protocols.h"
#include "http_adapter.h"

namespace hearth {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

Command make(std::string id, std::string action, ValueMap params = {}) {
  Command c;
  c.device_id = std::move(id);
  c.action = std::move(action);
  c.params = std::move(params);
  return c;
}

Code code_of(const ActionResult& r) { return r.status ? Code::kOk : r.status.error().code; }

class HttpCloudTest : public ::testing::Test {
 protected:
  std::unique_ptr<Bus> make_bus(const std::string& home_json, BusOptions options = {}) {
    ConfigErrors errors;
    Result<Home> h = Home::parse(home_json, "t.json", errors);
    EXPECT_TRUE(h) << errors.to_string();
    home_ = std::move(*h);
    options.retry_base_delay = milliseconds(5);
    Result<std::unique_ptr<Bus>> bus = Bus::create(io_.get_executor(), home_, options, clock_);
    EXPECT_TRUE(bus) << (bus ? "" : bus.error().message);
    return bus ? std::move(*bus) : nullptr;
  }
  ActionResult run(Bus& bus, Command c, milliseconds limit = milliseconds(3000)) {
    std::optional<ActionResult> out;
    bus.async_execute(std::move(c), [&](ActionResult r) { out = std::move(r); });
    io_.restart();
    const auto end = steady_clock::now() + limit;
    while (!out && steady_clock::now() < end) io_.run_one_for(milliseconds(5));
    EXPECT_TRUE(out) << "no result";
    return out ? *out : ActionResult{};
  }

  boost::asio::io_context io_;
  ManualClock clock_;
  Home home_;
};

TEST_F(HttpCloudTest, ShellyRelayAndLight) {
  test::FakeHttpServer shelly([](const test::FakeHttpServer::Request& r) {
    if (r.target == "/relay/1?turn=on") return test::FakeHttpServer::Reply{200, R"({"ison": true})"};
    if (r.target == "/light/0?turn=on&brightness=30") {
      return test::FakeHttpServer::Reply{200, R"({"ison": true, "brightness": 30})"};
    }
    return test::FakeHttpServer::Reply{404, "{}"};
  });
  std::unique_ptr<Bus> bus = make_bus(R"({"devices": [
    {"id": "switch.heater", "name": "Heater", "adapter": {"type": "http", "flavor": "shelly", "channel": 1, "url": ")" +
                                      shelly.url() + R"("}},
    {"id": "light.desk", "name": "Desk", "attributes": {"brightness": 5}, "adapter": {"type": "http", "url": ")" +
                                      shelly.url() + R"("}}]})");
  ASSERT_TRUE(bus);
  ActionResult r = run(*bus, make("switch.heater", "turn_on"));
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_TRUE(r.confirmed);
  EXPECT_EQ(r.after.state, "on");
  r = run(*bus, make("light.desk", "turn_on", {{"brightness", int64_t{30}}}));
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ(r.after.attributes.at("brightness"), Value(int64_t{30}));
  EXPECT_EQ(shelly.requests().size(), 2u);
}

TEST_F(HttpCloudTest, TasmotaTargetsAndReplies) {
  HttpBinding b = *parse_http_binding(R"({"type": "http", "url": "http://10.0.0.5", "flavor": "tasmota"})");
  Device d;
  d.id = "light.t";
  d.domain = Domain::kLight;
  d.capabilities = kCapOnOff | kCapBrightness;
  EXPECT_EQ(*http_command_target(b, d, make("light.t", "turn_on", {{"brightness", int64_t{40}}})), "/cm?cmnd=Dimmer%2040");
  EXPECT_EQ(*http_command_target(b, d, make("light.t", "toggle")), "/cm?cmnd=Power%20Toggle");
  Result<DeviceState> s = http_parse_reply(b, d, DeviceState{}, make("light.t", "turn_on"), R"({"POWER": "ON", "Dimmer": 40})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, "on");
  EXPECT_EQ(s->attributes.at("brightness"), Value(int64_t{40}));
  EXPECT_FALSE(http_parse_reply(b, d, DeviceState{}, make("light.t", "turn_on"), R"({"POWER": 1})"));
  EXPECT_FALSE(http_parse_reply(b, d, DeviceState{}, make("light.t", "turn_on"), "<html>"));
  EXPECT_FALSE(parse_http_binding(R"({"url": "https://x"})"));
  EXPECT_FALSE(parse_http_binding(R"({"url": "http://x:99999"})"));
  EXPECT_FALSE(parse_http_binding(R"({"url": "http://x", "timeout_ms": 5})"));
}

TEST_F(HttpCloudTest, SlowDeviceTimesOutAndCloudRouteTakesOver) {
  test::FakeHttpServer device([](const test::FakeHttpServer::Request&) {
    return test::FakeHttpServer::Reply{200, R"({"ison": true})", 400};  // answers too late
  });
  test::FakeHttpServer cloud([](const test::FakeHttpServer::Request& r) {
    if (r.authorization != "Bearer s3cret") return test::FakeHttpServer::Reply{401, "{}"};
    return test::FakeHttpServer::Reply{200, R"({"state": "on", "attributes": {"power_w": 1200}})"};
  });
  BusOptions o;
  o.command_timeout = milliseconds(2500);
  std::unique_ptr<Bus> bus = make_bus(R"({"devices": [
    {"id": "switch.kettle", "name": "Kettle", "adapter": {"type": "http", "timeout_ms": 150, "url": ")" + device.url() +
                                          R"("}, "cloud": {"url": ")" + cloud.url("/v1/command") +
                                          R"(", "token": "s3cret"}}]})", o);
  ASSERT_TRUE(bus);
  ActionResult r = run(*bus, make("switch.kettle", "turn_on"));
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ(r.route, "cloud");
  EXPECT_EQ(r.attempts, 3);  // two local, one cloud
  EXPECT_EQ(r.after.attributes.at("power_w"), Value(int64_t{1200}));
  ASSERT_EQ(cloud.requests().size(), 1u);
  EXPECT_EQ(cloud.requests()[0].method, "POST");
  EXPECT_EQ(cloud.requests()[0].target, "/v1/command");
  EXPECT_NE(cloud.requests()[0].body.find("\"action\":\"turn_on\""), std::string::npos);
  EXPECT_EQ(bus->stats().via_cloud, 1u);
}

TEST_F(HttpCloudTest, NetworkDownIsSaidAtOnce) {
  const int closed = test::free_loopback_port();  // nothing listens: connection refused
  test::FakeHttpServer cloud([](const test::FakeHttpServer::Request&) { return test::FakeHttpServer::Reply{}; });
  BusOptions o;
  o.network_up = [] { return false; };
  std::unique_ptr<Bus> bus = make_bus(R"({"devices": [
    {"id": "switch.kettle", "name": "Kettle", "adapter": {"type": "http", "url": "http://127.0.0.1:)" +
                                          std::to_string(closed) + R"("}, "cloud": {"url": ")" + cloud.url() +
                                          R"(", "token": "t"}}]})", o);
  ASSERT_TRUE(bus);
  const auto start = steady_clock::now();
  ActionResult r = run(*bus, make("switch.kettle", "turn_on"));
  EXPECT_EQ(code_of(r), Code::kUnavailable);
  EXPECT_NE(r.status.error().message.find("network is down"), std::string::npos) << r.status.error().message;
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  EXPECT_TRUE(cloud.requests().empty());
}

TEST_F(HttpCloudTest, CloudRefusesTheToken) {
  const int closed = test::free_loopback_port();
  test::FakeHttpServer cloud([](const test::FakeHttpServer::Request&) { return test::FakeHttpServer::Reply{403, "{}"}; });
  std::unique_ptr<Bus> bus = make_bus(R"({"devices": [
    {"id": "switch.kettle", "name": "Kettle", "adapter": {"type": "http", "url": "http://127.0.0.1:)" +
                                          std::to_string(closed) + R"("}, "cloud": {"url": ")" + cloud.url() +
                                          R"(", "token": "wrong"}}]})");
  ActionResult r = run(*bus, make("switch.kettle", "turn_on"));
  EXPECT_EQ(code_of(r), Code::kUnavailable);
  EXPECT_EQ(r.route, "cloud");
  EXPECT_NE(r.status.error().message.find("403"), std::string::npos);
}

TEST_F(HttpCloudTest, HomeRejectsBadCloudRoute) {
  ConfigErrors errors;
  EXPECT_FALSE(Home::parse(R"({"devices": [{"id": "switch.a", "name": "A", "cloud": {"url": "ftp://x"}}]})", "t", errors));
  EXPECT_NE(errors.to_string().find("cloud.url"), std::string::npos) << errors.to_string();
}

TEST_F(HttpCloudTest, ConnectivityMonitorSeesUpAndDown) {
  test::FakeHttpServer up([](const test::FakeHttpServer::Request&) { return test::FakeHttpServer::Reply{}; });
  ConnectivityConfig cfg;
  cfg.probe_host = "127.0.0.1";
  cfg.probe_port = up.port();
  cfg.interval_ms = 200;
  cfg.timeout_ms = 100;
  ConfigErrors errors;
  cfg.validate(errors);
  ASSERT_TRUE(errors.empty()) << errors.to_string();
  ConnectivityMonitor good(io_.get_executor(), cfg);
  cfg.probe_port = test::free_loopback_port();
  ConnectivityMonitor bad(io_.get_executor(), cfg);
  std::vector<bool> flips;
  bad.set_listener([&](bool u) { flips.push_back(u); });
  good.start();
  bad.start();
  io_.restart();
  const auto end = steady_clock::now() + milliseconds(1000);
  while ((good.probes() < 1 || bad.probes() < 1) && steady_clock::now() < end) io_.run_one_for(milliseconds(5));
  EXPECT_TRUE(good.network_up());
  EXPECT_FALSE(bad.network_up());
  EXPECT_EQ(flips, std::vector<bool>{false});
  good.stop();
  bad.stop();
  io_.restart();
  io_.run_for(milliseconds(20));
  ConnectivityConfig wrong;
  wrong.timeout_ms = wrong.interval_ms;
  ConfigErrors e2;
  wrong.validate(e2);
  EXPECT_EQ(e2.size(), 1u);
}

}  // namespace
}  // namespace hearth
