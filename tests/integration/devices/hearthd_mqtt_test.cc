// hearthd over a real mosquitto broker with the z2m_sim Zigbee2MQTT
// simulator (issue 9, "Done means"): the demo home with some devices mapped
// to the simulator (assets/config/mqtt-demo-devices.json, as `make run-mqtt`
// does), a typed `hearth say` moving a simulated Zigbee light; discovery
// → accept → controllable and persisted across a restart; Hearth's own
// topics (events, commands, device set, availability with last will);
// MQTT and connectivity state in /api/v1/health through a broker outage.
#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fakes/daemon_harness.h"
#include "fakes/processes.h"

namespace hearth {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::Daemon;
using testing::TempDir;
using testing::read_file;
using testing::wait_until;

// The demo home with the mapped devices' adapters replaced, like tools/dev.sh run-mqtt.
std::string mqtt_demo_home(const std::vector<std::string>& only = {}) {
  json home = json::parse(testing::demo_home_text());
  json mapping = json::parse(read_file(testing::assets_dir() + "/config/mqtt-demo-devices.json"));
  for (json& d : home["devices"]) {
    const std::string id = d["id"];
    if (!mapping.contains(id)) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), id) == only.end()) continue;
    d["adapter"] = mapping[id];
  }
  return home.dump();
}

// A libmosquitto client on its own thread recording every message it sees.
class Watcher {
 public:
  Watcher(int port, const std::string& filter) {
    mosq_ = mosquitto_new(nullptr, true, this);
    filter_ = filter;
    mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void* self, int rc) {
      if (rc == 0) mosquitto_subscribe(m, nullptr, static_cast<Watcher*>(self)->filter_.c_str(), 1);
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* msg) {
      auto* w = static_cast<Watcher*>(self);
      std::lock_guard<std::mutex> lock(w->mu_);
      w->seen_.emplace_back(msg->topic, std::string(static_cast<const char*>(msg->payload),
                                                    static_cast<size_t>(msg->payloadlen)));
    });
    mosquitto_connect(mosq_, "127.0.0.1", port, 10);
    mosquitto_loop_start(mosq_);
  }
  ~Watcher() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }
  void publish(const std::string& topic, const std::string& payload) {
    mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false);
  }
  // Payloads seen on `topic`, in order.
  std::vector<std::string> on(const std::string& topic) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [t, p] : seen_) {
      if (t == topic) out.push_back(p);
    }
    return out;
  }
  // The first JSON payload on `topic` for which `pred` holds (waits ≤ 5 s).
  std::optional<json> wait_json(const std::string& topic, const std::function<bool(const json&)>& pred) {
    std::optional<json> found;
    wait_until(
        [&] {
          for (const std::string& p : on(topic)) {
            json j = json::parse(p, nullptr, false);
            if (!j.is_discarded() && pred(j)) {
              found = j;
              return true;
            }
          }
          return false;
        },
        5s);
    return found;
  }

 private:
  mosquitto* mosq_ = nullptr;
  std::string filter_;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> seen_;
};

class HearthdMqttTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::MosquittoBroker::available()) {
      GTEST_SKIP() << "mosquitto not installed (" << test::kMosquittoPath << "); apt-get install mosquitto";
    }
    mosquitto_lib_init();
    broker_ = std::make_unique<test::MosquittoBroker>(dir_.path());
    ASSERT_TRUE(broker_->start()) << "mosquitto did not start; see " << dir_.file("mosquitto.log");
    ASSERT_TRUE(sim_.spawn({HEARTH_Z2M_SIM_PATH, "--port", std::to_string(broker_->port()), "--log", sim_log()},
                           dir_.file("sim.out")));
  }

  std::string sim_log() const { return dir_.file("sim_commands.log"); }
  bool sim_got(const std::string& line) { return read_file(sim_log()).find(line) != std::string::npos; }

  json config() {
    json c = testing::base_config();
    c["mqtt"] = {{"enabled", true},
                 {"port", broker_->port()},
                 {"client_id", "hearthd-test"},
                 {"hub_id", "testhub"},
                 {"reconnect_min_ms", 50},
                 {"reconnect_max_ms", 300}};
    return c;
  }

  // The device's state as hearthd reports it.
  std::string state_of(Daemon& d, const std::string& id) {
    json j = d.get_json("/api/v1/devices/" + id);
    return j.is_object() ? j.value("state", "") : "";
  }
  bool mqtt_connected(Daemon& d) {
    json h = d.get_json("/api/v1/health");
    return h.is_object() && h["mqtt"].value("connected", false);
  }

  TempDir dir_;
  std::unique_ptr<test::MosquittoBroker> broker_;
  test::ChildProcess sim_;
};

// Done means: a typed command moves a simulated Zigbee light, end to end
// through hearth (CLI) → hearthd (HTTP) → bus → broker → z2m_sim → broker →
// state confirmed in hearthd.
TEST_F(HearthdMqttTest, TypedCommandMovesSimulatedZigbeeLight) {
  Daemon d(dir_);
  ASSERT_TRUE(d.start(config(), {}, mqtt_demo_home()));
  ASSERT_TRUE(wait_until([&] { return mqtt_connected(d); }, 5s)) << d.process().err();
  // The simulator's retained state (OFF) replaces the home file's "on".
  ASSERT_TRUE(wait_until([&] { return state_of(d, "light.kitchen_ceiling") == "off"; }, 5s));

  const std::string url = "http://127.0.0.1:" + std::to_string(d.port());
  testing::CliRun on = testing::run_cli(dir_, {"say", "turn on the kitchen lights", "--url", url, "--json"});
  ASSERT_EQ(on.code, 0) << on.out << on.err;
  json reply = json::parse(on.out, nullptr, false);
  ASSERT_TRUE(reply.is_object()) << on.out;
  EXPECT_TRUE(reply.value("ok", false)) << on.out;
  bool ceiling_ok = false;
  for (const json& r : reply["results"]) {
    if (r["device_id"] == "light.kitchen_ceiling") ceiling_ok = r["ok"].get<bool>() && r["state"]["state"] == "on";
  }
  EXPECT_TRUE(ceiling_ok) << on.out;
  // The simulated light received the Zigbee2MQTT command and reports ON.
  EXPECT_TRUE(wait_until([&] { return sim_got("kitchen/ceiling {\"state\":\"ON\"}"); }, 5s)) << read_file(sim_log());
  EXPECT_EQ(state_of(d, "light.kitchen_ceiling"), "on");

  testing::CliRun off = testing::run_cli(dir_, {"say", "turn off the kitchen lights", "--url", url});
  ASSERT_EQ(off.code, 0) << off.out << off.err;
  EXPECT_TRUE(wait_until([&] { return sim_got("kitchen/ceiling {\"state\":\"OFF\"}"); }, 5s));
  EXPECT_TRUE(wait_until([&] { return state_of(d, "light.kitchen_ceiling") == "off"; }, 5s));
  // The history has the actions with their outcomes.
  json hist = d.get_json("/api/v1/history?device=light.kitchen_ceiling&kind=action");
  ASSERT_TRUE(hist.is_object());
  ASSERT_GE(hist["items"].size(), 2u) << hist.dump();
  EXPECT_EQ(hist["items"][0]["result"], "ok");
  EXPECT_TRUE(d.stop());
}

TEST_F(HearthdMqttTest, DiscoveredDeviceIsPendingUntilAcceptedThenPersists) {
  Daemon d(dir_);
  ASSERT_TRUE(d.start(config(), {}, mqtt_demo_home()));
  json lamp;
  ASSERT_TRUE(wait_until(
      [&] {
        json j = d.get_json("/api/v1/devices/discovered");
        for (const json& p : j["devices"]) {
          if (p["source_key"] == "living_room/lamp") lamp = p;
        }
        return lamp.is_object();
      },
      5s));
  EXPECT_EQ(lamp["id"], "light.living_room_lamp");
  EXPECT_EQ(lamp["area"], "living_room");
  EXPECT_TRUE(lamp["area_known"].get<bool>());
  EXPECT_EQ(lamp["source"], "zigbee2mqtt");
  // Devices the home already binds are not proposed.
  for (const json& p : d.get_json("/api/v1/devices/discovered")["devices"]) {
    EXPECT_NE(p["source_key"], "kitchen/ceiling");
  }
  // Not controllable before acceptance.
  d.post_json("/api/v1/devices/light.living_room_lamp/actions", {{"action", "turn_on"}}, 404);
  // Bad acceptances lose nothing.
  d.post_json("/api/v1/devices/discovered/light.nope/accept", json::object(), 404);
  d.post_json("/api/v1/devices/discovered/light.living_room_lamp/accept", {{"area", "attic"}}, 400);
  d.post_json("/api/v1/devices/discovered/light.living_room_lamp/accept", {{"id", "light.kitchen_ceiling"}}, 409);
  // A name another device already answers to ("reading lamp" is the demo
  // floor lamp's alias) would make sentences ambiguous: refused, naming it.
  HttpReply clash = d.request("POST", "/api/v1/devices/discovered/light.living_room_lamp/accept",
                              R"({"name": "Reading Lamp"})");
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_NE(clash.body.find("light.floor_lamp"), std::string::npos) << clash.body;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("accepted-devices.json")));

  json accepted = d.post_json("/api/v1/devices/discovered/light.living_room_lamp/accept",
                              {{"name", "Sofa Lamp"}}, 201);
  EXPECT_EQ(accepted["device"]["area"], "living_room");
  json dev = d.get_json("/api/v1/devices/light.living_room_lamp");
  EXPECT_EQ(dev["name"], "Sofa Lamp");
  EXPECT_EQ(dev["adapter"], "mqtt");
  json r = d.post_json("/api/v1/devices/light.living_room_lamp/actions", {{"action", "turn_on"}});
  EXPECT_EQ(r["state"]["state"], "on");
  EXPECT_TRUE(wait_until([&] { return sim_got("living_room/lamp {\"state\":\"ON\"}"); }, 5s));
  for (const json& p : d.get_json("/api/v1/devices/discovered")["devices"]) {
    EXPECT_NE(p["source_key"], "living_room/lamp");
  }
  // By name, through the sentence path too.
  json said = d.post_json("/api/v1/command", {{"text", "turn off the sofa lamp"}});
  EXPECT_TRUE(said.value("ok", false)) << said.dump();
  EXPECT_TRUE(wait_until([&] { return sim_got("living_room/lamp {\"state\":\"OFF\"}"); }, 5s)) << read_file(sim_log());
  EXPECT_TRUE(d.stop());

  // The home file is untouched; the overlay brings the device back.
  EXPECT_EQ(read_file(dir_.file("home.json")), mqtt_demo_home());
  Daemon again(dir_);
  ASSERT_TRUE(again.start(config(), {}, std::nullopt));
  EXPECT_EQ(again.get_json("/api/v1/devices/light.living_room_lamp")["name"], "Sofa Lamp");
  EXPECT_TRUE(again.stop());
}

TEST_F(HearthdMqttTest, HubTopicsCarryEventsCommandsAndAvailability) {
  Watcher w(broker_->port(), "hearth/testhub/#");
  Daemon d(dir_);
  ASSERT_TRUE(d.start(config(), {}, mqtt_demo_home()));
  ASSERT_TRUE(wait_until([&] { return !w.on("hearth/testhub/status").empty() &&
                                      w.on("hearth/testhub/status").back() == "online"; }, 5s));
  // A sentence on the command topic runs like POST /api/v1/command.
  w.publish("hearth/testhub/command", R"({"text": "turn on the kitchen lights", "id": "c1"})");
  std::optional<json> result = w.wait_json("hearth/testhub/command/result", [](const json& j) { return j["id"] == "c1"; });
  ASSERT_TRUE(result) << d.process().err();
  EXPECT_EQ((*result)["status"], 200);
  EXPECT_TRUE((*result)["body"].value("ok", false)) << result->dump();
  EXPECT_TRUE(wait_until([&] { return sim_got("kitchen/ceiling {\"state\":\"ON\"}"); }, 5s));
  // Plain text works too.
  w.publish("hearth/testhub/command", "turn off the kitchen lights");
  EXPECT_TRUE(wait_until([&] { return sim_got("kitchen/ceiling {\"state\":\"OFF\"}"); }, 5s));
  // State changes appear as events.
  EXPECT_TRUE(w.wait_json("hearth/testhub/event/state_changed", [](const json& j) {
    return j["data"]["device"] == "light.kitchen_ceiling" && j["data"]["new"] == "on";
  }));
  // Direct device command.
  w.publish("hearth/testhub/device/lock.front_door/set", R"({"action": "unlock", "id": "d1"})");
  std::optional<json> unlocked =
      w.wait_json("hearth/testhub/device/lock.front_door/result", [](const json& j) { return j["id"] == "d1"; });
  ASSERT_TRUE(unlocked);
  EXPECT_EQ((*unlocked)["status"], 200) << unlocked->dump();
  EXPECT_TRUE(wait_until([&] { return sim_got("hallway/front_door {\"state\":\"UNLOCK\"}"); }, 5s));
  // Malformed commands get a 400 answer and change nothing.
  w.publish("hearth/testhub/device/lock.front_door/set", "{not json");
  EXPECT_TRUE(w.wait_json("hearth/testhub/device/lock.front_door/result", [](const json& j) { return j["status"] == 400; }));
  w.publish("hearth/testhub/device/lock.front_door/set", R"({"action": "explode", "id": "d2"})");
  EXPECT_TRUE(w.wait_json("hearth/testhub/device/lock.front_door/result",
                          [](const json& j) { return j["id"] == "d2" && j["status"] == 400; }));
  w.publish("hearth/testhub/command", R"({"txt": 5})");
  EXPECT_TRUE(w.wait_json("hearth/testhub/command/result", [](const json& j) { return j["status"] == 400; }));
  // Availability: "offline" on a clean stop (and the broker's last will otherwise).
  EXPECT_TRUE(d.stop());
  EXPECT_TRUE(wait_until([&] { return w.on("hearth/testhub/status").back() == "offline"; }, 5s));
}

TEST_F(HearthdMqttTest, LastWillMarksAKilledHubOffline) {
  Watcher w(broker_->port(), "hearth/testhub/status");
  Daemon d(dir_);
  json c = config();
  c["mqtt"]["keepalive_s"] = 5;
  ASSERT_TRUE(d.start(c, {}, mqtt_demo_home()));
  ASSERT_TRUE(wait_until([&] { return !w.on("hearth/testhub/status").empty() &&
                                      w.on("hearth/testhub/status").back() == "online"; }, 5s));
  d.process().signal(SIGKILL);  // the socket closes without DISCONNECT: the broker sends the will
  EXPECT_TRUE(wait_until([&] { return w.on("hearth/testhub/status").back() == "offline"; }, 5s));
}

// Events that happen while the broker connection is down are published, in
// order, once it is back. The outage is made without stopping the broker (so
// the watcher stays subscribed): another client connects with hearthd's
// client id and the broker drops hearthd (session takeover); hearthd's
// reconnect delay is set long enough to act during the outage.
TEST_F(HearthdMqttTest, EventsFromABrokerOutageFollowOnReconnect) {
  Watcher w(broker_->port(), "hearth/testhub/event/#");
  json c = config();
  c["mqtt"]["reconnect_min_ms"] = 4000;
  c["mqtt"]["reconnect_max_ms"] = 4000;
  Daemon d(dir_);
  ASSERT_TRUE(d.start(c, {}, mqtt_demo_home()));
  ASSERT_TRUE(wait_until([&] { return mqtt_connected(d); }, 5s));
  {
    mosquitto* usurper = mosquitto_new("hearthd-test", true, nullptr);
    ASSERT_EQ(mosquitto_connect(usurper, "127.0.0.1", broker_->port(), 10), MOSQ_ERR_SUCCESS);
    for (int i = 0; i < 10; ++i) mosquitto_loop(usurper, 50, 1);  // CONNECT out, CONNACK in
    mosquitto_disconnect(usurper);
    mosquitto_loop(usurper, 50, 1);
    mosquitto_destroy(usurper);
  }
  ASSERT_TRUE(wait_until([&] { return !mqtt_connected(d); }, 5s));
  // A virtual device changes while hearthd cannot reach the broker.
  json r = d.post_json("/api/v1/devices/light.floor_lamp/actions", {{"action", "turn_off"}});
  EXPECT_EQ(r["state"]["state"], "off") << r.dump();
  ASSERT_FALSE(mqtt_connected(d)) << "reconnected before the action: the outage window was missed";
  auto lamp_changes = [&] {
    int n = 0;
    for (const std::string& p : w.on("hearth/testhub/event/state_changed")) {
      json j = json::parse(p, nullptr, false);  // (startup reports of the MQTT devices are there too)
      n += j.is_object() && j["data"]["device"] == "light.floor_lamp";
    }
    return n;
  };
  EXPECT_EQ(lamp_changes(), 0);  // not sent while the broker is unreachable

  ASSERT_TRUE(wait_until([&] { return mqtt_connected(d); }, 10s));
  std::optional<json> change = w.wait_json("hearth/testhub/event/state_changed", [](const json& j) {
    return j["data"]["device"] == "light.floor_lamp" && j["data"]["new"] == "off";
  });
  ASSERT_TRUE(change) << d.process().err();
  EXPECT_EQ(lamp_changes(), 1);  // once
  // The outage itself is told in order: link down (queued), then up again.
  ASSERT_TRUE(wait_until([&] { return w.on("hearth/testhub/event/connectivity").size() >= 2; }, 5s));
  std::vector<bool> ups;
  for (const std::string& p : w.on("hearth/testhub/event/connectivity")) {
    json j = json::parse(p, nullptr, false);
    if (j.is_object() && j["data"]["link"] == "mqtt") ups.push_back(j["data"]["up"].get<bool>());
  }
  ASSERT_GE(ups.size(), 2u);
  EXPECT_FALSE(ups[ups.size() - 2]);
  EXPECT_TRUE(ups.back());
  EXPECT_TRUE(d.stop());
}

// A TCP listener we can open and close to play "the internet".
class Listener {
 public:
  explicit Listener(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 16) == 0;
  }
  ~Listener() { ::close(fd_); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

TEST_F(HearthdMqttTest, HealthShowsBrokerOutageAndConnectivity) {
  const int probe_port = test::free_loopback_port();
  json c = config();
  c["network"] = {{"enabled", true}, {"probe_host", "127.0.0.1"}, {"probe_port", probe_port},
                  {"interval_ms", 200}, {"timeout_ms", 100}};
  Daemon d(dir_);
  ASSERT_TRUE(d.start(c, {}, mqtt_demo_home()));
  ASSERT_TRUE(wait_until([&] { return mqtt_connected(d); }, 5s));
  // Nothing listens on the probe port: the network is down, with a reason.
  json h;
  ASSERT_TRUE(wait_until([&] { h = d.get_json("/api/v1/health"); return !h["network"].value("up", true); }, 5s));
  EXPECT_TRUE(h["network"]["enabled"].get<bool>());
  EXPECT_NE(h["network"]["reason"].get<std::string>().find(std::to_string(probe_port)), std::string::npos) << h.dump();
  {
    Listener up(probe_port);
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(wait_until([&] { return d.get_json("/api/v1/health")["network"].value("up", false); }, 5s));
  }
  h = d.get_json("/api/v1/health");
  EXPECT_EQ(h["mqtt"]["reason"].get<std::string>().rfind("connected to", 0), 0u);
  const json connected_since = h["mqtt"]["since"];

  broker_->kill();
  ASSERT_TRUE(wait_until([&] { return !mqtt_connected(d); }, 5s));
  h = d.get_json("/api/v1/health");
  EXPECT_EQ(h["status"], "degraded");
  EXPECT_FALSE(h["mqtt"]["reason"].get<std::string>().empty());
  EXPECT_NE(h["mqtt"]["since"], connected_since) << "the loss of the connection must be noticed as a change";
  // A command to an MQTT device fails at once with a clear outcome; hearthd lives on.
  HttpReply r = d.request("POST", "/api/v1/devices/light.kitchen_ceiling/actions", R"({"action": "turn_on"})");
  EXPECT_EQ(r.status, 503) << r.body;
  ASSERT_TRUE(broker_->start());
  ASSERT_TRUE(wait_until([&] { return mqtt_connected(d); }, 5s));
  h = d.get_json("/api/v1/health");
  EXPECT_GE(h["mqtt"]["connects"].get<int>(), 2);
  EXPECT_TRUE(h["mqtt"]["last_reconnect_ms"].is_number());
  EXPECT_TRUE(d.stop());
}

TEST_F(HearthdMqttTest, BadMqttConfigIsAClearStartupError) {
  json c = config();
  c["mqtt"]["tls"] = true;  // without tls_ca_file
  c["mqtt"]["hub_id"] = "a/b";
  c["mqtt"]["password_file"] = "missing-password.txt";
  Daemon d(dir_);
  EXPECT_FALSE(d.start(c, {}, mqtt_demo_home()));
  const std::string err = d.process().err();
  EXPECT_NE(err.find("$.mqtt.tls_ca_file"), std::string::npos) << err;
  EXPECT_NE(err.find("$.mqtt.hub_id"), std::string::npos) << err;
  EXPECT_NE(err.find("$.mqtt.password_file"), std::string::npos) << err;
}

// A broken overlay of accepted devices is a clear startup error naming the
// file; the home file is never touched.
TEST_F(HearthdMqttTest, BrokenAcceptedDevicesFileIsAClearError) {
  testing::write_file(dir_.file("accepted-devices.json"), R"({"devices": [{"id": "light.x", "name": "X", "area": "attic"}]})");
  Daemon d(dir_);
  EXPECT_FALSE(d.start(config(), {}, mqtt_demo_home()));
  std::string err = d.process().err();
  EXPECT_NE(err.find("accepted-devices.json"), std::string::npos) << err;
  EXPECT_NE(err.find("attic"), std::string::npos) << err;
  testing::write_file(dir_.file("accepted-devices.json"), "[1, 2");
  Daemon d2(dir_, "hearthd2");
  EXPECT_FALSE(d2.start(config(), {}, mqtt_demo_home()));
  err = d2.process().err();
  EXPECT_NE(err.find("accepted-devices.json"), std::string::npos) << err;
}

}  // namespace
}  // namespace hearth
