// devices/src/virtual_adapter.h: the virtual adapter's options, parsed from
// AdapterBinding::options_json. Shared by the adapter and Bus::create (which
// rejects bad options at load time). Private to devices/.
#pragma once

#include <cstdint>
#include <string_view>

#include "hearth/common/clock.h"
#include "hearth/common/result.h"
#include "hearth/devices/bus.h"

namespace hearth {

struct VirtualOptions {
  int64_t latency_ms = 0;        // simulated round trip, 0..60000
  bool offline = false;          // every command fails with kUnavailable
  double fail_rate = 0.0;        // probability 0..1 that a command fails with kUnavailable
  bool has_seed = false;         // "seed" given; otherwise seeded from the device id
  uint64_t seed = 0;             // fail_rate draws
  int64_t transition_ms = 1000;  // script run time, vacuum return trip, 0..600000
};

inline constexpr int64_t kMaxVirtualLatencyMs = 60000;
inline constexpr int64_t kMaxVirtualTransitionMs = 600000;

// Parses {"type": "virtual", "latency_ms": ..., ...}. Unknown keys are
// ignored; wrong types and out-of-range values are kBadInput.
Result<VirtualOptions> parse_virtual_options(std::string_view options_json);

// The state a device reaches when `cmd` works as intended, from `current`:
// the virtual adapter's model of every domain. Protocol adapters that learn
// the real state later (MQTT) return this as the command's target, and the
// bus confirms it against the device's reports.
Result<DeviceState> predict_state(const Device& device, const DeviceState& current, const Command& cmd,
                                  const Clock& clock);

}  // namespace hearth
