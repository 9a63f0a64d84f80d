// devices/bus.h: the device bus. Takes commands for devices of a Home, runs
// them through the device's adapter (virtual, MQTT, HTTP) on the Boost.Asio
// event loop, enforces a deadline per command, retries idempotent actions,
// confirms the reported state, coalesces bursts, falls back to a device's
// cloud route, keeps the current state of every device and reports changes.
// Owned and driven by daemon/; nothing upstream includes this header.
//
// Threading: every device gets its own strand, so a slow device never delays
// another and commands to one device run in order. Completion handlers run on
// the device's strand; post them elsewhere if needed. state() may be called
// from any thread (the state table is guarded by a mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "hearth/common/clock.h"
#include "hearth/common/result.h"
#include "hearth/common/value.h"
#include "hearth/devices/home.h"

namespace hearth {

// Actions the bus understands (HA service names):
//   turn_on, turn_off, toggle                        on_off (lights, switches, fans, media)
//   turn_on {brightness: 0..100, color: "red"|"#rrggbb", color_temp_kelvin}  lights
//   open_cover, close_cover, stop_cover, set_position {position: 0..100}    covers
//   set_temperature {temperature: °C}, set_hvac_mode {hvac_mode}            climate
//   lock, unlock                                                            locks
//   media_play, media_pause, media_next, media_previous, set_volume {volume: 0..100}
//   start, return_to_base, stop                                             vacuums
//   activate                                                                scenes, scripts
//   set_speed {percentage: 0..100}                                          fans
struct Command {
  std::string device_id;       // "light.kitchen_ceiling"
  std::string action;          // see above
  ValueMap params;             // action parameters
  std::string origin = "api";  // voice | app | api | schedule | device
};

// Parses/validates an action against a device's capabilities without
// running it: unknown action or parameter out of range → kBadInput,
// unsupported for this device → kUnsupported.
Result<void> validate_command(const Device& device, const Command& cmd);

// One attribute that changed (the "state" field itself uses attribute "state").
struct StateChange {
  std::string device_id;
  std::string attribute;
  Value old_value;
  Value new_value;
  std::string origin;          // who caused it: voice | app | api | schedule | device
  std::chrono::system_clock::time_point time;
};

// Diff of two states, attribute by attribute ("state" first).
std::vector<StateChange> diff_states(std::string_view device_id, const DeviceState& before,
                                     const DeviceState& after);

struct ActionResult {
  std::string device_id;
  std::string action;
  Result<void> status;                 // ok, or why not (kTimeout, kUnavailable, kUnsupported, ...)
  DeviceState before;                  // state when the command started
  DeviceState after;                   // state when it finished (== before on failure)
  std::chrono::microseconds latency{0};
  // ok + confirmed: the device's own state shows the target. ok + !confirmed:
  // "sent but not confirmed" — the broker took the command but the device did
  // not report the target state before the deadline (`after` is the last
  // state it did report). Always false on failure.
  bool confirmed = false;
  std::string route;                   // "local" | "cloud" | "" (never reached an adapter)
  int attempts = 0;                    // adapter calls made (retries + cloud included)
  bool coalesced = false;              // superseded by a later command in the queue; carries its outcome
};

// Idempotent actions (running them twice equals running them once) may be
// retried; toggle, media_next/previous, activate and set_speed-less fans
// never are, unless the adapter said the command was not delivered at all
// (kUnavailable).
bool is_idempotent_action(std::string_view action);

// One protocol. Lives on the executor it is given; never blocks it.
class DeviceAdapter {
 public:
  using Done = std::function<void(Result<DeviceState>)>;
  virtual ~DeviceAdapter() = default;
  virtual std::string_view kind() const = 0;  // "virtual", "mqtt", "http", ...
  // Runs a validated command on `device`, whose last known state is `current`.
  // Calls `done` exactly once (on the adapter's executor) with the new state.
  virtual void async_execute(const Device& device, const DeviceState& current, const Command& cmd,
                             Done done) = 0;
  // Stops timers and connections; calls `done` when nothing is in flight.
  virtual void async_shutdown(std::function<void()> done) = 0;

  // State a device reaches by itself, without a command: a script that
  // finishes, a vacuum that docks, an MQTT state topic. The adapter calls
  // `report` on its executor; the bus sets it once, before the first command,
  // and records such changes with origin "device". Adapters that never report
  // keep this default.
  using StateReport = std::function<void(const std::string& device_id, DeviceState state)>;
  virtual void set_state_report(StateReport report) { (void)report; }

  // True when the state `async_execute` returns is only the target the
  // command asked for (MQTT: the broker acknowledged it) and the device's own
  // state arrives later through the state report. The bus then waits for a
  // report that reaches the target before calling the command confirmed.
  // Adapters that return the device's answer (virtual, HTTP) keep false.
  virtual bool confirms_by_report() const { return false; }
  // Error convention for retries: kUnavailable means "not delivered" (safe to
  // send again even for toggle); kTimeout / kIo mean "maybe delivered".
};

// The `virtual` adapter: simulates every domain with realistic state
// transitions. Per-device adapter options (home file "adapter" object):
//   {"type": "virtual", "latency_ms": 0..60000, "offline": false, "fail_rate": 0..1,
//    "seed": integer (fail_rate draws; default from the device id),
//    "transition_ms": 0..600000 (a script's run time, a vacuum's way home; default 1000)}
// `ex` must be a strand (or an io_context run by one thread); `clock` must
// outlive the adapter.
std::unique_ptr<DeviceAdapter> make_virtual_adapter(boost::asio::any_io_executor ex, const Clock& clock);

class MqttClient;

struct BusOptions {
  std::chrono::milliseconds command_timeout{5000};  // deadline per command, from acceptance
  size_t max_queued_per_device = 8;                  // unfinished commands per device; beyond this: kBusy
  int max_attempts = 4;                              // local adapter calls per command (1 = no retry)
  std::chrono::milliseconds retry_base_delay{100};   // backoff: base * 2^(n-1), full jitter, capped at 1 s
  // An adapter call that has not answered after this is abandoned (a retry or
  // the cloud route follows while the deadline allows). 0: the whole deadline.
  std::chrono::milliseconds attempt_timeout{0};
  uint64_t retry_seed = 0x9e3779b97f4a7c15ull;      // jitter draws (tests pin it)
  bool coalesce = true;                              // a queued command superseded by a later one is not sent

  // Devices with {"type": "mqtt"} use this connection (protocols.h); without
  // it such devices are a create() error.
  std::shared_ptr<MqttClient> mqtt;
  // Connectivity (protocols.h ConnectivityMonitor::network_up). Consulted
  // before a device's cloud route is tried; null means "assume up".
  std::function<bool()> network_up;

  // Makes the adapter for a device whose adapter type is not "virtual"
  // (tests' fakes; later MQTT / HTTP). Called once per device by create(),
  // with the device's strand; nullptr means "unknown adapter type".
  using AdapterFactory =
      std::function<std::unique_ptr<DeviceAdapter>(const Device& device, boost::asio::any_io_executor ex)>;
  AdapterFactory adapter_factory;
};

class Bus {
 public:
  using ResultHandler = std::function<void(ActionResult)>;
  using StateListener = std::function<void(const StateChange&)>;

  // Validates every device's adapter binding (unknown adapter type → error).
  // `home` must outlive the bus.
  static Result<std::unique_ptr<Bus>> create(boost::asio::any_io_executor ex, const Home& home,
                                             const BusOptions& options, const Clock& clock);
  ~Bus();

  // Runs a command. `on_done` is called exactly once, with a result that is
  // an error for unknown devices, invalid actions, timeouts or adapter
  // failures. Never blocks; callable from any thread. `on_done` runs on the
  // device's strand (on the bus's executor for an unknown device id). The
  // deadline counts from acceptance, so time spent queued behind earlier
  // commands to the same device counts too.
  void async_execute(Command cmd, ResultHandler on_done);

  // Current state of a device (a copy); nullopt for unknown ids.
  std::optional<DeviceState> state(std::string_view device_id) const;

  // Called for every attribute change, after the state table is updated.
  // Set before the first command; runs on the device's strand.
  void set_state_listener(StateListener listener);

  // Cancels queued work; calls `done` when adapters have shut down, or after
  // `deadline` at the latest.
  void async_shutdown(std::chrono::milliseconds deadline, std::function<void()> done);

  // Counters for /health and metrics.
  struct Stats {
    uint64_t executed = 0, failed = 0, timed_out = 0;
    uint64_t unconfirmed = 0;  // of executed: sent but the device never reported the target
    uint64_t retries = 0;      // extra local adapter calls
    uint64_t via_cloud = 0;    // commands that went through the cloud route
    uint64_t coalesced = 0;    // commands superseded by a later one in the queue
  };
  Stats stats() const;

  class Impl;

 private:
  explicit Bus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth
