// devices/bus.h: the device bus. Takes commands for devices of a Home, runs
// them through the device's adapter (virtual now; MQTT / HTTP / cloud route
// later) on the Boost.Asio event loop, enforces a deadline per command,
// keeps the current state of every device and reports state changes.
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
};

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
};

// The `virtual` adapter: simulates every domain with realistic state
// transitions. Per-device adapter options (home file "adapter" object):
//   {"type": "virtual", "latency_ms": 0..60000, "offline": false, "fail_rate": 0..1,
//    "seed": integer (fail_rate draws; default from the device id),
//    "transition_ms": 0..600000 (a script's run time, a vacuum's way home; default 1000)}
// `ex` must be a strand (or an io_context run by one thread); `clock` must
// outlive the adapter.
std::unique_ptr<DeviceAdapter> make_virtual_adapter(boost::asio::any_io_executor ex, const Clock& clock);

struct BusOptions {
  std::chrono::milliseconds command_timeout{5000};  // deadline per command, from acceptance
  size_t max_queued_per_device = 8;                  // unfinished commands per device; beyond this: kBusy

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
  };
  Stats stats() const;

  class Impl;

 private:
  explicit Bus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth
