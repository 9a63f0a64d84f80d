// z2m_sim: a Zigbee2MQTT bridge simulator for tests and benchmarks. Its own
// process, speaking Zigbee2MQTT's MQTT conventions to a real broker:
//   <base>/bridge/devices            retained device list (exposes per type)
//   <base>/<name>                    retained state after every change
//   <base>/<name>/availability       retained {"state":"online"|"offline"}
//   <base>/<name>/set                commands (JSON, as Zigbee2MQTT takes them)
// plus one Home Assistant MQTT discovery entity (a plug):
//   homeassistant/switch/sim_plug/config, sim_ha/plug/set (ON|OFF), sim_ha/plug/state
//
// Devices: living_room/lamp (light: brightness, color_temp, color_xy),
// kitchen/ceiling (light: brightness), hallway/front_door (lock),
// bedroom/thermostat (climate), bedroom/blind (cover with position),
// hallway/motion (occupancy), outside/temperature (temperature sensor),
// and --lights N extra lights bench/light_<i>.
//
// Faults, set per device by a JSON message on z2m_sim/control:
//   {"device": "<name>", "drop": n}          ignore the next n commands
//   {"device": "<name>", "delay_ms": ms}     report state that much later
//   {"device": "<name>", "offline": bool}    availability offline; commands ignored
//   {"device": "<name>", "wrong": bool}      report a state other than the one asked for
//   {"publish": {"topic": t, "payload": p, "retain": bool}}   raw message (malformed input)
// Every command received is appended to --log <file> as "<name> <payload>".
//
// Usage: z2m_sim --port N [--host 127.0.0.1] [--base zigbee2mqtt] [--lights N] [--log file]
#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct SimDevice {
  std::string type;     // light | lock | climate | cover | occupancy | temperature
  json state;           // what it reports
  int drop = 0;         // commands still to ignore
  int delay_ms = 0;     // report delay
  bool offline = false;
  bool wrong = false;
};

struct Delayed {
  Clock::time_point when;
  std::string topic, payload;
};

std::mutex g_mu;
std::condition_variable g_cv;
std::map<std::string, SimDevice> g_devices;
std::vector<Delayed> g_delayed;
std::string g_base = "zigbee2mqtt";
FILE* g_log = nullptr;
mosquitto* g_mosq = nullptr;
volatile std::sig_atomic_t g_stop = 0;
json g_ha_plug = "OFF";

void publish(const std::string& topic, const std::string& payload, bool retain) {
  mosquitto_publish(g_mosq, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, retain);
}

json expose_for(const std::string& type) {
  auto feature = [](const char* name) { return json{{"name", name}, {"property", name}}; };
  if (type == "light") {
    return json::array({{{"type", "light"},
                         {"features", json::array({feature("state"), feature("brightness"), feature("color_temp"),
                                                   feature("color_xy")})}}});
  }
  if (type == "lock") return json::array({{{"type", "lock"}, {"features", json::array({feature("state")})}}});
  if (type == "climate") {
    return json::array({{{"type", "climate"},
                         {"features", json::array({feature("occupied_heating_setpoint"), feature("system_mode"),
                                                   feature("local_temperature")})}}});
  }
  if (type == "cover") {
    return json::array({{{"type", "cover"}, {"features", json::array({feature("state"), feature("position")})}}});
  }
  if (type == "occupancy") return json::array({{{"type", "binary"}, {"name", "occupancy"}}});
  return json::array({{{"type", "numeric"}, {"name", "temperature"}}});
}

void publish_bridge_devices() {
  json list = json::array();
  list.push_back({{"friendly_name", "Coordinator"}, {"type", "Coordinator"}});
  for (const auto& [name, d] : g_devices) {
    list.push_back({{"friendly_name", name},
                    {"type", "Router"},
                    {"ieee_address", "0x00158d00" + std::to_string(std::hash<std::string>{}(name) % 100000000)},
                    {"definition",
                     {{"model", "SIM-" + d.type}, {"vendor", "Hearth"}, {"description", "simulated " + d.type},
                      {"exposes", expose_for(d.type)}}}});
  }
  publish(g_base + "/bridge/devices", list.dump(), true);
}

void publish_state(const std::string& name, const SimDevice& d) {
  const std::string topic = g_base + "/" + name;
  const std::string payload = d.state.dump();
  if (d.delay_ms > 0) {
    g_delayed.push_back(Delayed{Clock::now() + std::chrono::milliseconds(d.delay_ms), topic, payload});
    g_cv.notify_all();
  } else {
    publish(topic, payload, true);
  }
}

void publish_availability(const std::string& name, const SimDevice& d) {
  publish(g_base + "/" + name + "/availability", json{{"state", d.offline ? "offline" : "online"}}.dump(), true);
}

// Applies a /set payload the way the real device would.
void apply_command(SimDevice& d, const json& cmd) {
  json& s = d.state;
  if (d.type == "light") {
    if (cmd.contains("state")) {
      std::string v = cmd["state"].get<std::string>();
      if (v == "TOGGLE") v = s.value("state", "OFF") == "ON" ? "OFF" : "ON";
      s["state"] = v;
    }
    if (cmd.contains("brightness")) {
      s["brightness"] = cmd["brightness"];
      if (!cmd.contains("state")) s["state"] = "ON";
    }
    if (cmd.contains("color_temp")) s["color_temp"] = cmd["color_temp"];
    if (cmd.contains("color")) s["color"] = cmd["color"];
    if (d.wrong) {
      s["state"] = s.value("state", "OFF") == "ON" ? "OFF" : "ON";
      if (s.contains("brightness")) s["brightness"] = (s["brightness"].get<int>() + 60) % 255;
    }
  } else if (d.type == "lock") {
    if (cmd.contains("state")) {
      std::string v = cmd["state"].get<std::string>();
      if (d.wrong) v = v == "LOCK" ? "UNLOCK" : "LOCK";
      s["state"] = v;
      s["lock_state"] = v == "LOCK" ? "locked" : "unlocked";
    }
  } else if (d.type == "climate") {
    if (cmd.contains("occupied_heating_setpoint")) {
      s["occupied_heating_setpoint"] = cmd["occupied_heating_setpoint"].get<double>() + (d.wrong ? 3.0 : 0.0);
    }
    if (cmd.contains("system_mode")) s["system_mode"] = cmd["system_mode"];
  } else if (d.type == "cover") {
    if (cmd.contains("position")) s["position"] = cmd["position"].get<int>() + (d.wrong ? 20 : 0) > 100 ? 100 : cmd["position"].get<int>() + (d.wrong ? 20 : 0);
    if (cmd.contains("state")) {
      const std::string v = cmd["state"].get<std::string>();
      if (v == "OPEN") s["position"] = d.wrong ? 0 : 100;
      if (v == "CLOSE") s["position"] = d.wrong ? 100 : 0;
    }
    s["state"] = s.value("position", 0) > 0 ? "OPEN" : "CLOSE";
  }
}

void on_control(const json& c) {
  if (c.contains("publish")) {
    const json& p = c["publish"];
    publish(p.value("topic", ""), p.value("payload", ""), p.value("retain", false));
    return;
  }
  const std::string name = c.value("device", "");
  auto it = g_devices.find(name);
  if (it == g_devices.end()) return;
  SimDevice& d = it->second;
  if (c.contains("drop")) d.drop = c["drop"].get<int>();
  if (c.contains("delay_ms")) d.delay_ms = c["delay_ms"].get<int>();
  if (c.contains("wrong")) d.wrong = c["wrong"].get<bool>();
  if (c.contains("offline")) {
    d.offline = c["offline"].get<bool>();
    publish_availability(name, d);
  }
  publish("z2m_sim/ack", c.dump(), false);
}

void on_connect(mosquitto* m, void*, int rc) {
  if (rc != 0) return;
  std::lock_guard<std::mutex> lock(g_mu);
  mosquitto_subscribe(m, nullptr, (g_base + "/+/set").c_str(), 1);
  mosquitto_subscribe(m, nullptr, (g_base + "/+/+/set").c_str(), 1);
  mosquitto_subscribe(m, nullptr, "z2m_sim/control", 1);
  mosquitto_subscribe(m, nullptr, "sim_ha/plug/set", 1);
  publish_bridge_devices();
  for (const auto& [name, d] : g_devices) {
    publish_availability(name, d);
    publish(g_base + "/" + name, d.state.dump(), true);
  }
  json ha = {{"name", "Sim Plug"}, {"uniq_id", "sim_plug"}, {"cmd_t", "~/set"}, {"stat_t", "~/state"},
             {"~", "sim_ha/plug"}, {"pl_on", "ON"}, {"pl_off", "OFF"}};
  publish("homeassistant/switch/sim_plug/config", ha.dump(), true);
  publish("sim_ha/plug/state", g_ha_plug.get<std::string>(), true);
  publish("z2m_sim/status", "ready", true);
}

void on_message(mosquitto*, void*, const mosquitto_message* msg) {
  const std::string topic = msg->topic;
  const std::string payload(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
  std::lock_guard<std::mutex> lock(g_mu);
  json j;
  try {
    j = json::parse(payload);
  } catch (const json::exception&) {
    j = nullptr;
  }
  if (topic == "z2m_sim/control") {
    if (j.is_object()) on_control(j);
    return;
  }
  if (topic == "sim_ha/plug/set") {
    if (g_log) std::fprintf(g_log, "sim_plug %s\n", payload.c_str()), std::fflush(g_log);
    if (payload == "ON" || payload == "OFF") g_ha_plug = payload;
    publish("sim_ha/plug/state", payload, true);
    return;
  }
  const std::string prefix = g_base + "/";
  if (topic.rfind(prefix, 0) != 0 || topic.size() < prefix.size() + 4) return;
  const std::string name = topic.substr(prefix.size(), topic.size() - prefix.size() - 4);
  auto it = g_devices.find(name);
  if (it == g_devices.end() || !j.is_object()) return;
  if (g_log) std::fprintf(g_log, "%s %s\n", name.c_str(), payload.c_str()), std::fflush(g_log);
  SimDevice& d = it->second;
  if (d.offline) return;
  if (d.drop > 0) {
    --d.drop;
    return;
  }
  try {
    apply_command(d, j);
  } catch (const json::exception&) {
    return;  // a real device ignores what it cannot parse
  }
  publish_state(name, d);
}

void add(const std::string& name, const std::string& type, json state) {
  SimDevice d;
  d.type = type;
  d.state = std::move(state);
  d.state["linkquality"] = 120;
  g_devices[name] = d;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 1883;
  int n_lights = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--host") host = v;
    else if (k == "--port") port = std::atoi(v.c_str());
    else if (k == "--base") g_base = v;
    else if (k == "--lights") n_lights = std::atoi(v.c_str());
    else if (k == "--log") g_log = std::fopen(v.c_str(), "a");
  }
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  std::signal(SIGINT, [](int) { g_stop = 1; });

  add("living_room/lamp", "light", {{"state", "OFF"}, {"brightness", 127}, {"color_temp", 370}});
  add("kitchen/ceiling", "light", {{"state", "OFF"}, {"brightness", 254}});
  add("hallway/front_door", "lock", {{"state", "LOCK"}, {"lock_state", "locked"}});
  add("bedroom/thermostat", "climate",
      {{"occupied_heating_setpoint", 20.0}, {"local_temperature", 19.5}, {"system_mode", "heat"}});
  add("bedroom/blind", "cover", {{"position", 0}, {"state", "CLOSE"}});
  add("hallway/motion", "occupancy", {{"occupancy", false}, {"battery", 90}});
  add("outside/temperature", "temperature", {{"temperature", 7.5}, {"humidity", 80}, {"battery", 70}});
  for (int i = 0; i < n_lights; ++i) add("bench/light_" + std::to_string(i), "light", {{"state", "OFF"}, {"brightness", 0}});

  mosquitto_lib_init();
  g_mosq = mosquitto_new("z2m_sim", true, nullptr);
  mosquitto_int_option(g_mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_callback_set(g_mosq, on_connect);
  mosquitto_message_callback_set(g_mosq, on_message);
  mosquitto_reconnect_delay_set(g_mosq, 1, 1, false);
  const char* offline = "offline";
  mosquitto_will_set(g_mosq, (g_base + "/bridge/state").c_str(), 7, offline, 1, true);
  if (mosquitto_connect_async(g_mosq, host.c_str(), port, 10) != MOSQ_ERR_SUCCESS) {
    // the threaded loop keeps retrying
  }
  mosquitto_loop_start(g_mosq);
  std::unique_lock<std::mutex> lock(g_mu);
  while (!g_stop) {
    const auto now = Clock::now();
    auto next = now + std::chrono::milliseconds(100);
    for (size_t i = 0; i < g_delayed.size();) {
      if (g_delayed[i].when <= now) {
        publish(g_delayed[i].topic, g_delayed[i].payload, true);
        g_delayed.erase(g_delayed.begin() + static_cast<long>(i));
      } else {
        next = std::min(next, g_delayed[i].when);
        ++i;
      }
    }
    g_cv.wait_until(lock, next);
  }
  lock.unlock();
  mosquitto_disconnect(g_mosq);
  mosquitto_loop_stop(g_mosq, true);
  mosquitto_destroy(g_mosq);
  mosquitto_lib_cleanup();
  if (g_log) std::fclose(g_log);
  return 0;
}
