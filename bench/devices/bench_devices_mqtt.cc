// bench_devices_mqtt: the device bus over a real broker. Starts mosquitto on a
// free loopback port and the z2m_sim Zigbee2MQTT simulator with 200 extra
// lights, then measures, through Bus::async_execute with state confirmation:
//   1. round-trip latency (command → broker → simulator → state report →
//      confirmed) p50/p99, one device, then 200 devices round-robin; the
//      in-process virtual adapter is the reference (ratio column);
//   2. sustained commands/s with 32 in flight over 200 devices;
//   3. broker restart: time from the broker accepting connections again to
//      the client connected and to the first confirmed command (goal < 2 s);
//   4. faults: a burst over 200 devices with the broker killed and restarted
//      in the middle, plus dropped / late / wrong / offline devices and
//      toggles (non-idempotent): every command must end in one definite
//      outcome, none lost, no toggle executed twice.
// Usage: bench_devices_mqtt [n_latency=300] [seconds=3]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "fakes/processes.h"
#include "hearth/common/log.h"
#include "hearth/devices/bus.h"
#include "hearth/devices/protocols.h"

namespace hearth {
namespace {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
constexpr int kLights = 200;

double ms_since(steady::time_point t) { return std::chrono::duration<double, std::milli>(steady::now() - t).count(); }

bool wait_for(const std::function<bool()>& ok, milliseconds limit) {
  const auto end = steady::now() + limit;
  while (steady::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return ok();
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string home_json(bool mqtt) {
  std::string s = R"({"areas": [{"id": "bench", "name": "Bench"}], "devices": [)";
  for (int i = 0; i < kLights; ++i) {
    if (i) s += ",";
    const std::string n = std::to_string(i);
    s += R"({"id": "light.l)" + n + R"(", "name": "Light )" + n + R"(", "area": "bench", "state": "off",
             "attributes": {"brightness": 0}, "supports": ["on_off", "brightness"], "adapter": )";
    s += mqtt ? R"({"type": "mqtt", "protocol": "zigbee2mqtt", "topic": "bench/light_)" + n + R"("}})"
              : R"({"type": "virtual"}})";
  }
  return s + "]}";
}

struct Rig {
  Rig(bool mqtt, int broker_port) {
    ConfigErrors errors;
    Result<Home> h = Home::parse(home_json(mqtt), "bench.json", errors);
    if (!h) {
      std::fprintf(stderr, "home: %s\n", errors.to_string().c_str());
      std::exit(1);
    }
    home = std::move(*h);
    BusOptions o;
    o.command_timeout = milliseconds(3000);
    o.attempt_timeout = milliseconds(1000);
    o.max_queued_per_device = 64;
    if (mqtt) {
      MqttConfig cfg;
      cfg.enabled = true;
      cfg.port = broker_port;
      cfg.client_id = "hearth-bench";
      cfg.reconnect_min_ms = 50;
      cfg.reconnect_max_ms = 500;
      client = *MqttClient::create(io.get_executor(), cfg, system_clock());
      o.mqtt = client;
    }
    Result<std::unique_ptr<Bus>> b = Bus::create(io.get_executor(), home, o, system_clock());
    if (!b) {
      std::fprintf(stderr, "bus: %s\n", b.error().message.c_str());
      std::exit(1);
    }
    bus = std::move(*b);
    if (client) client->start();
    runner = std::thread([this] { io.run(); });
  }
  ~Rig() {
    bus.reset();
    if (client) {
      std::atomic<bool> done{false};
      client->async_shutdown([&] { done = true; });
      wait_for([&] { return done.load(); }, milliseconds(2000));
    }
    guard.reset();
    io.stop();
    runner.join();
  }
  // One command, waited for on a condition variable: the caller wakes when
  // the result lands (a polling wait would round every latency up to its tick).
  ActionResult run(Command c) {
    auto mu = std::make_shared<std::mutex>();
    auto cv = std::make_shared<std::condition_variable>();
    auto out = std::make_shared<std::optional<ActionResult>>();
    bus->async_execute(std::move(c), [mu, cv, out](ActionResult r) {
      {
        std::lock_guard<std::mutex> lock(*mu);
        *out = std::move(r);
      }
      cv->notify_one();
    });
    std::unique_lock<std::mutex> lock(*mu);
    cv->wait_for(lock, milliseconds(10000), [&] { return out->has_value(); });
    return out->value_or(ActionResult{});
  }

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  Home home;
  std::shared_ptr<MqttClient> client;
  std::unique_ptr<Bus> bus;
  std::thread runner;
};

Command cmd(int light, int brightness) {
  Command c;
  c.device_id = "light.l" + std::to_string(light);
  c.action = "turn_on";
  c.params["brightness"] = int64_t{brightness};
  c.origin = "api";
  return c;
}

// Sequential round trips; returns latencies (ms) of confirmed commands.
std::vector<double> latencies(Rig& rig, int n, int n_devices, int* unconfirmed) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    const auto t = steady::now();
    ActionResult r = rig.run(cmd(i % n_devices, 1 + (i * 7) % 100));
    if (r.status && r.confirmed) {
      out.push_back(ms_since(t));
    } else {
      ++*unconfirmed;
    }
  }
  return out;
}

int count_lines(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
  return n;
}

}  // namespace
}  // namespace hearth

int main(int argc, char** argv) {
  using namespace hearth;
  const int n_latency = argc > 1 ? std::atoi(argv[1]) : 300;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 3;
  set_log_level(LogLevel::kError);
  if (!test::MosquittoBroker::available()) {
    std::fprintf(stderr, "mosquitto not installed (apt-get install mosquitto)\n");
    return 1;
  }
  test::TempDir dir;
  test::MosquittoBroker broker(dir.path());
  if (!broker.start()) return 1;
  const std::string sim_log = dir.path() + "/sim.log";
  test::ChildProcess sim;
  sim.spawn({HEARTH_Z2M_SIM_PATH, "--port", std::to_string(broker.port()), "--lights", std::to_string(kLights), "--log",
             sim_log},
            dir.path() + "/sim.out");

  std::printf("# bench_devices_mqtt: Bus over mosquitto %s + z2m_sim (%d lights), confirmed round trips\n",
              "(loopback)", kLights);
  // Reference: the in-process virtual adapter.
  double v50_1 = 0, v99_1 = 0, v50_200 = 0, v99_200 = 0;
  {
    Rig v(false, 0);
    int bad = 0;
    std::vector<double> l1 = latencies(v, n_latency, 1, &bad);
    std::vector<double> l200 = latencies(v, n_latency, kLights, &bad);
    v50_1 = pct(l1, 50), v99_1 = pct(l1, 99), v50_200 = pct(l200, 50), v99_200 = pct(l200, 99);
  }
  Rig rig(true, broker.port());
  if (!wait_for([&] { return rig.client->connected(); }, milliseconds(5000))) return 1;
  // The simulator publishes its retained states on connect; wait for the last light.
  wait_for([&] { return rig.run(cmd(kLights - 1, 50)).confirmed; }, milliseconds(10000));

  std::printf("\n| measure | MQTT (broker + sim) | virtual adapter | ratio |\n|---|---|---|---|\n");
  int unconfirmed = 0;
  std::vector<double> l1 = latencies(rig, n_latency, 1, &unconfirmed);
  std::vector<double> l200 = latencies(rig, n_latency, kLights, &unconfirmed);
  auto row = [](const char* name, double a, double b) {
    std::printf("| %s | %.3f ms | %.3f ms | %.0fx |\n", name, a, b, b > 0 ? a / b : 0.0);
  };
  row("round trip p50, 1 device", pct(l1, 50), v50_1);
  row("round trip p99, 1 device", pct(l1, 99), v99_1);
  row("round trip p50, 200 devices", pct(l200, 50), v50_200);
  row("round trip p99, 200 devices", pct(l200, 99), v99_200);
  std::printf("| unconfirmed in the latency runs | %d of %d | | |\n", unconfirmed, 2 * n_latency);

  // Sustained throughput: keep 32 commands in flight over 200 devices.
  {
    std::atomic<int> in_flight{0}, confirmed{0}, other{0};
    const auto end = steady::now() + std::chrono::seconds(seconds);
    const auto t0 = steady::now();
    int i = 0;
    while (steady::now() < end) {
      if (in_flight.load() >= 32) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      in_flight.fetch_add(1);
      rig.bus->async_execute(cmd(i % kLights, 1 + (i * 13) % 100), [&](ActionResult r) {
        (r.status && r.confirmed ? confirmed : other).fetch_add(1);
        in_flight.fetch_sub(1);
      });
      ++i;
    }
    wait_for([&] { return in_flight.load() == 0; }, milliseconds(10000));
    const double s = ms_since(t0) / 1000.0;
    std::printf("| sustained, 32 in flight, 200 devices | %.0f confirmed commands/s (%d other outcomes) | | |\n",
                confirmed.load() / s, other.load());
  }

  // Broker restart: kill, wait 300 ms, restart; time from "port accepts" to connected / first confirmed command.
  {
    std::vector<double> to_connect, to_command;
    for (int k = 0; k < 5; ++k) {
      broker.kill();
      wait_for([&] { return !rig.client->connected(); }, milliseconds(5000));
      std::this_thread::sleep_for(milliseconds(300));
      if (!broker.start()) return 1;
      const auto back = steady::now();
      wait_for([&] { return rig.client->connected(); }, milliseconds(10000));
      to_connect.push_back(ms_since(back));
      wait_for([&] { return rig.run(cmd(k, 10 + k)).confirmed; }, milliseconds(10000));
      to_command.push_back(ms_since(back));
    }
    std::printf("| broker back → client reconnected (5 restarts) | median %.0f ms, max %.0f ms | | goal < 2000 ms |\n",
                pct(to_connect, 50), pct(to_connect, 100));
    std::printf("| broker back → first confirmed command | median %.0f ms, max %.0f ms | | (sim reconnects too) |\n",
                pct(to_command, 50), pct(to_command, 100));
  }

  // Faults: a burst of commands over 200 devices with the broker killed and
  // restarted in the middle, plus faulty devices and toggles.
  {
    wait_for([&] { return rig.run(cmd(0, 33)).confirmed; }, milliseconds(10000));
    auto control = [&](const std::string& j) { rig.client->publish("z2m_sim/control", j, 1, false); };
    control(R"({"device": "bench/light_10", "drop": 1000})");
    control(R"({"device": "bench/light_11", "delay_ms": 5000})");
    control(R"({"device": "bench/light_12", "wrong": true})");
    control(R"({"device": "bench/light_13", "offline": true})");
    std::this_thread::sleep_for(milliseconds(200));
    std::mutex mu;
    std::map<std::string, int> outcomes;
    std::atomic<int> done{0};
    const int n_burst = 600;
    int n_toggles = 0;
    const int before_toggles = count_lines(sim_log, "TOGGLE");
    for (int i = 0; i < n_burst; ++i) {
      Command c = cmd(i % kLights, 1 + i % 100);
      if (i % 10 == 0) {
        c.action = "toggle";
        c.params.clear();
        c.device_id = "light.l" + std::to_string(100 + (i / 10) % 20);
        ++n_toggles;
      }
      rig.bus->async_execute(std::move(c), [&](ActionResult r) {
        std::string k;
        if (r.status) {
          k = r.confirmed ? "ok, confirmed" : "ok, sent but not confirmed";
        } else {
          k = std::string("failed: ") + std::string(code_name(r.status.error().code));
        }
        if (r.coalesced) k += " (coalesced)";
        std::lock_guard<std::mutex> lock(mu);
        ++outcomes[k];
        done.fetch_add(1);
      });
      if (i == n_burst / 3) broker.kill();
      if (i == n_burst / 2) broker.start();
      std::this_thread::sleep_for(milliseconds(2));
    }
    wait_for([&] { return done.load() == n_burst; }, milliseconds(30000));
    std::this_thread::sleep_for(milliseconds(500));
    const int toggles_seen = count_lines(sim_log, "TOGGLE") - before_toggles;
    std::printf("\nFault burst: %d commands (%d toggles) over 200 lights; broker killed at #%d, restarted at #%d;\n"
                "light_10 drops commands, light_11 reports 5 s late, light_12 reports a wrong state, light_13 offline.\n\n",
                n_burst, n_toggles, n_burst / 3, n_burst / 2);
    std::printf("| outcome | commands |\n|---|---|\n");
    int total = 0;
    for (const auto& [k, n] : outcomes) {
      std::printf("| %s | %d |\n", k.c_str(), n);
      total += n;
    }
    std::printf("| **total with a definite outcome** | **%d of %d (lost: %d)** |\n", total, n_burst, n_burst - total);
    std::printf("| toggles executed by the simulator | %d of %d sent (duplicates: %d) |\n", toggles_seen, n_toggles,
                std::max(0, toggles_seen - n_toggles));
    const MqttClient::Stats st = rig.client->stats();
    std::printf("| client: connects / disconnects / malformed | %llu / %llu / %llu |\n",
                static_cast<unsigned long long>(st.connects), static_cast<unsigned long long>(st.disconnects),
                static_cast<unsigned long long>(st.malformed));
    const Bus::Stats bs = rig.bus->stats();
    std::printf("| bus: executed / failed / timed out / unconfirmed / retries / coalesced | %llu / %llu / %llu / %llu / %llu / %llu |\n",
                static_cast<unsigned long long>(bs.executed), static_cast<unsigned long long>(bs.failed),
                static_cast<unsigned long long>(bs.timed_out), static_cast<unsigned long long>(bs.unconfirmed),
                static_cast<unsigned long long>(bs.retries), static_cast<unsigned long long>(bs.coalesced));
    if (total != n_burst || toggles_seen > n_toggles) {
      std::printf("\nFAIL: lost commands or duplicated toggles\n");
      return 2;
    }
  }
  return 0;
}
