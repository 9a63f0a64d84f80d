// The virtual adapter: a simulated device of every domain, for the demo home,
// tests and development without hardware. The new state is computed when the
// command arrives and delivered after the simulated latency by a steady_timer
// on the adapter's executor, so nothing ever sleeps or blocks.
#include "virtual_adapter.h"

#include <cmath>
#include <map>
#include <random>
#include <set>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "device_rules.h"
#include "hearth/devices/bus.h"

namespace hearth {

namespace asio = boost::asio;

Result<VirtualOptions> parse_virtual_options(std::string_view options_json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(options_json.begin(), options_json.end());
  } catch (const nlohmann::json::exception& e) {
    return Error{Code::kBadInput, std::string("adapter options: invalid JSON: ") + e.what()};
  }
  if (!j.is_object()) return Error{Code::kBadInput, "adapter options: expected an object"};

  VirtualOptions o;
  auto read_ms = [&](const char* key, int64_t max, int64_t* out) -> Result<void> {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > max) {
      return Error{Code::kBadInput, std::string("adapter.") + key + ": expected an integer in 0.." +
                                        std::to_string(max) + " (ms), got " + it->dump()};
    }
    *out = it->get<int64_t>();
    return {};
  };
  HEARTH_TRY(read_ms("latency_ms", kMaxVirtualLatencyMs, &o.latency_ms));
  HEARTH_TRY(read_ms("transition_ms", kMaxVirtualTransitionMs, &o.transition_ms));
  if (auto it = j.find("offline"); it != j.end()) {
    if (!it->is_boolean()) return Error{Code::kBadInput, "adapter.offline: expected true or false, got " + it->dump()};
    o.offline = it->get<bool>();
  }
  if (auto it = j.find("fail_rate"); it != j.end()) {
    if (!it->is_number() || !(it->get<double>() >= 0.0 && it->get<double>() <= 1.0)) {
      return Error{Code::kBadInput, "adapter.fail_rate: expected a number in 0..1, got " + it->dump()};
    }
    o.fail_rate = it->get<double>();
  }
  if (auto it = j.find("seed"); it != j.end()) {
    if (!it->is_number_unsigned()) {
      return Error{Code::kBadInput, "adapter.seed: expected a non-negative integer, got " + it->dump()};
    }
    o.has_seed = true;
    o.seed = it->get<uint64_t>();
  }
  return o;
}

namespace {

// The result of one command: the state right after it, and for scripts and
// vacuums the state the device reaches by itself transition_ms later.
struct Outcome {
  DeviceState state;
  bool has_transition = false;
  DeviceState after_transition;
};

int64_t int_param(const Command& cmd, std::string_view name) {
  auto it = cmd.params.find(name);
  return static_cast<int64_t>(std::llround(as_number(it->second).value_or(0.0)));
}

std::string lower_case(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

int64_t int_attribute(const DeviceState& s, std::string_view name, int64_t fallback) {
  auto it = s.attributes.find(name);
  if (it == s.attributes.end()) return fallback;
  std::optional<double> n = as_number(it->second);
  return n ? static_cast<int64_t>(std::llround(*n)) : fallback;
}

bool has(const Command& cmd, std::string_view name) { return cmd.params.find(name) != cmd.params.end(); }

// turn_on for lights, switches and fans: parameters first, then the state.
// Brightness or percentage 0 means off (the level is kept for the next on).
void turn_on(const Command& cmd, DeviceState* s) {
  bool off = false;
  if (has(cmd, "brightness")) {
    const int64_t b = int_param(cmd, "brightness");
    if (b == 0) {
      off = true;
    } else {
      s->attributes["brightness"] = b;
    }
  }
  if (has(cmd, "percentage")) {
    const int64_t p = int_param(cmd, "percentage");
    if (p == 0) {
      off = true;
    } else {
      s->attributes["percentage"] = p;
    }
  }
  if (has(cmd, "color")) s->attributes["color"] = lower_case(*as_string(cmd.params.find("color")->second));
  if (has(cmd, "color_temp_kelvin")) s->attributes["color_temp_kelvin"] = int_param(cmd, "color_temp_kelvin");
  s->state = off ? "off" : "on";
}

void simulate_media(const Command& cmd, DeviceState* s) {
  const std::string& a = cmd.action;
  const bool is_off = s->state == "off";
  if (a == "turn_on") {
    if (is_off) s->state = "idle";
  } else if (a == "turn_off") {
    s->state = "off";
  } else if (a == "toggle") {
    s->state = is_off ? "idle" : "off";
  } else if (a == "media_play") {
    s->state = "playing";
    if (int_attribute(*s, "track", 0) == 0) s->attributes["track"] = int64_t{1};
    auto title = s->attributes.find("media_title");
    if (title == s->attributes.end() || value_to_string(title->second).empty()) {
      s->attributes["media_title"] = "Track " + std::to_string(int_attribute(*s, "track", 1));
    }
  } else if (a == "media_pause") {
    if (s->state == "playing") s->state = "paused";
  } else if (a == "media_next" || a == "media_previous") {
    if (is_off) return;  // a player that is off has no queue to move through
    int64_t track = int_attribute(*s, "track", 1);
    track = a == "media_next" ? track + 1 : std::max<int64_t>(1, track - 1);
    s->attributes["track"] = track;
    s->attributes["media_title"] = "Track " + std::to_string(track);
  } else if (a == "set_volume") {
    s->attributes["volume"] = int_param(cmd, "volume");
  }
}

Result<Outcome> simulate(const Device& d, const DeviceState& current, const Command& cmd, const Clock& clock) {
  HEARTH_TRY(validate_command(d, cmd));
  Outcome out;
  DeviceState& s = out.state;
  s = current;
  const std::string& a = cmd.action;

  switch (d.domain) {
    case Domain::kLight:
    case Domain::kSwitch:
    case Domain::kFan:
      if (a == "turn_on") {
        turn_on(cmd, &s);
      } else if (a == "turn_off") {
        s.state = "off";
      } else if (a == "toggle") {
        s.state = s.state == "on" ? "off" : "on";
      } else if (a == "set_speed") {
        const int64_t p = int_param(cmd, "percentage");
        if (p == 0) {
          s.state = "off";
        } else {
          s.state = "on";
          s.attributes["percentage"] = p;
        }
      }
      break;
    case Domain::kCover: {
      const bool track_position = d.can(kCapPosition) || s.attributes.count("position") > 0;
      if (a == "open_cover") {
        s.state = "open";
        if (track_position) s.attributes["position"] = int64_t{100};
      } else if (a == "close_cover") {
        s.state = "closed";
        if (track_position) s.attributes["position"] = int64_t{0};
      } else if (a == "set_position") {
        const int64_t p = int_param(cmd, "position");
        s.attributes["position"] = p;
        s.state = p > 0 ? "open" : "closed";
      }
      // stop_cover: the simulated cover moves instantly, so it is already still.
      break;
    }
    case Domain::kClimate:
      if (a == "set_temperature") {
        s.attributes["temperature"] = as_number(cmd.params.find("temperature")->second).value_or(0.0);
      } else if (a == "set_hvac_mode") {
        const std::string mode = *as_string(cmd.params.find("hvac_mode")->second);
        s.state = mode;
        s.attributes["hvac_mode"] = mode;
      }
      break;
    case Domain::kLock:
      s.state = a == "lock" ? "locked" : "unlocked";
      break;
    case Domain::kMediaPlayer:
      simulate_media(cmd, &s);
      break;
    case Domain::kVacuum:
      if (a == "start") {
        s.state = "cleaning";
      } else if (a == "stop") {
        s.state = "idle";
      } else if (a == "return_to_base" && s.state != "docked") {
        s.state = "returning";
        out.has_transition = true;
        out.after_transition = s;
        out.after_transition.state = "docked";
      }
      break;
    case Domain::kScene:
      s.attributes["last_activated"] = format_iso8601_utc(clock.now());
      break;
    case Domain::kScript:
      s.state = "on";
      s.attributes["last_triggered"] = format_iso8601_utc(clock.now());
      out.has_transition = true;
      out.after_transition = s;
      out.after_transition.state = "off";
      break;
    case Domain::kSensor:
    case Domain::kBinarySensor:
      // defensive: validate_command rejects every command to a read-only device
      return Error{Code::kUnsupported, d.id + ": read-only"};
  }
  return out;
}

// Everything the pending timers need; shared with their handlers so an
// adapter destroyed with work in flight leaves no dangling pointer. Touched
// only on `ex` (a strand).
struct VirtualCore {
  VirtualCore(asio::any_io_executor e, const Clock& c) : ex(std::move(e)), clock(c) {}

  // Calls the shutdown continuation once nothing is in flight.
  void maybe_idle() {
    if (!shut_down || !in_flight.empty() || !on_idle) return;
    std::function<void()> f = std::move(on_idle);
    on_idle = nullptr;
    f();
  }

  asio::any_io_executor ex;
  const Clock& clock;
  std::map<std::string, std::mt19937_64> rngs;                                // fail_rate draws, per device
  std::set<std::shared_ptr<asio::steady_timer>> in_flight;                    // one per running command
  std::map<std::string, std::shared_ptr<asio::steady_timer>> transitions;     // per device id
  bool shut_down = false;
  std::function<void()> on_idle;                                              // shutdown's `done`
  DeviceAdapter::StateReport report;
};

class VirtualAdapter final : public DeviceAdapter {
 public:
  VirtualAdapter(asio::any_io_executor ex, const Clock& clock)
      : core_(std::make_shared<VirtualCore>(std::move(ex), clock)) {}

  std::string_view kind() const override { return "virtual"; }

  void set_state_report(StateReport report) override { core_->report = std::move(report); }

  void async_execute(const Device& device, const DeviceState& current, const Command& cmd, Done done) override {
    std::shared_ptr<VirtualCore> core = core_;
    if (core->shut_down) {
      fail_soon(std::move(done), Error{Code::kCancelled, device.id + ": virtual adapter is shut down"});
      return;
    }
    Result<VirtualOptions> options = parse_virtual_options(device.adapter.options_json);
    if (!options) {
      fail_soon(std::move(done), options.error().with_context(device.id));
      return;
    }
    // A new command overrides whatever the device was doing by itself.
    if (auto it = core->transitions.find(device.id); it != core->transitions.end()) {
      it->second->cancel();
      core->transitions.erase(it);
    }

    Result<Outcome> outcome = decide(device, current, cmd, *options);
    auto timer = std::make_shared<asio::steady_timer>(core->ex, std::chrono::milliseconds(options->latency_ms));
    core->in_flight.insert(timer);
    const std::string device_id = device.id;
    const int64_t transition_ms = options->transition_ms;
    timer->async_wait([core, timer, device_id, transition_ms, outcome = std::move(outcome),
                       done = std::move(done)](const boost::system::error_code& ec) mutable {
      core->in_flight.erase(timer);
      if (ec || core->shut_down) {
        done(Error{Code::kCancelled, device_id + ": cancelled by adapter shutdown"});
      } else if (!outcome) {
        done(outcome.error());
      } else {
        Outcome o = std::move(outcome).value();
        done(std::move(o.state));
        if (o.has_transition) schedule_transition(core, device_id, std::move(o.after_transition), transition_ms);
      }
      core->maybe_idle();
    });
  }

  void async_shutdown(std::function<void()> done) override {
    std::shared_ptr<VirtualCore> core = core_;
    asio::post(core->ex, [core, done = std::move(done)]() mutable {
      core->shut_down = true;
      for (const auto& t : core->in_flight) t->cancel();
      for (const auto& [id, t] : core->transitions) t->cancel();
      core->transitions.clear();
      core->on_idle = std::move(done);
      core->maybe_idle();
    });
  }

 private:
  void fail_soon(Done done, Error error) {
    asio::post(core_->ex, [done = std::move(done), error = std::move(error)]() mutable { done(std::move(error)); });
  }

  // Offline and simulated failures first, then the domain's behaviour.
  Result<Outcome> decide(const Device& device, const DeviceState& current, const Command& cmd,
                         const VirtualOptions& options) {
    if (options.offline) {
      return Error{Code::kUnavailable, device.id + ": device is offline (virtual adapter option offline=true)"};
    }
    if (options.fail_rate > 0.0) {
      auto it = core_->rngs.find(device.id);
      if (it == core_->rngs.end()) {
        const uint64_t seed = options.has_seed ? options.seed : std::hash<std::string>{}(device.id);
        it = core_->rngs.emplace(device.id, std::mt19937_64(seed)).first;
      }
      // 53 random bits → a double in [0, 1), the same on every platform.
      const double u = static_cast<double>(it->second() >> 11) * (1.0 / 9007199254740992.0);
      if (u < options.fail_rate) {
        return Error{Code::kUnavailable, device.id + ": simulated failure (virtual adapter fail_rate=" +
                                             value_to_string(options.fail_rate) + ")"};
      }
    }
    return simulate(device, current, cmd, core_->clock);
  }

  static void schedule_transition(const std::shared_ptr<VirtualCore>& core, const std::string& device_id,
                                  DeviceState next, int64_t transition_ms) {
    auto timer = std::make_shared<asio::steady_timer>(core->ex, std::chrono::milliseconds(transition_ms));
    core->transitions[device_id] = timer;
    timer->async_wait([core, timer, device_id, next = std::move(next)](const boost::system::error_code& ec) mutable {
      auto it = core->transitions.find(device_id);
      // A later command or shutdown replaced or cancelled this transition.
      if (ec || core->shut_down || it == core->transitions.end() || it->second != timer) return;
      core->transitions.erase(it);
      if (core->report) core->report(device_id, std::move(next));
    });
  }

  std::shared_ptr<VirtualCore> core_;
};

}  // namespace

Result<DeviceState> predict_state(const Device& device, const DeviceState& current, const Command& cmd,
                                  const Clock& clock) {
  Result<Outcome> out = simulate(device, current, cmd, clock);
  if (!out) return out.error();
  return std::move(out->state);
}

std::unique_ptr<DeviceAdapter> make_virtual_adapter(boost::asio::any_io_executor ex, const Clock& clock) {
  return std::make_unique<VirtualAdapter>(std::move(ex), clock);
}

}  // namespace hearth
