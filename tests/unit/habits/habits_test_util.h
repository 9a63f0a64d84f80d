// tests/unit/habits/habits_test_util.h: event builders in local time for the
// miner, routine and scheduler tests.
#pragma once

#include <string>
#include <vector>

#include "hearth/common/value_json.h"
#include "hearth/habits/history.h"
#include "hearth/habits/miner.h"
#include "hearth/habits/time_zone.h"

namespace hearth::testing {

inline int64_t civil(int y, int m, int d) { return days_from_civil({y, m, d}); }

// An action with its state change, as the daemon records a voice command.
inline void push_action(std::vector<EventRecord>& out, const TimeZone& tz, int64_t day, int minute_of_day,
                        const std::string& device, const std::string& action, const ValueMap& params = {},
                        const std::string& origin = "voice") {
  const auto t = tz.from_local(day + minute_of_day / 1440, (minute_of_day % 1440) * 60);
  EventRecord a;
  a.time = t;
  a.device_id = device;
  a.kind = "action";
  a.attribute = action;
  a.new_value = value_map_to_json(params).dump();
  a.origin = origin;
  a.result = "ok";
  out.push_back(a);
  for (const std::string& key : action_setting_keys(device, action, params)) {
    const size_t bar = key.find('|'), eq = key.find('=', bar);
    EventRecord s;
    s.time = t + std::chrono::milliseconds(300);
    s.device_id = device;
    s.kind = "state";
    s.attribute = key.substr(bar + 1, eq - bar - 1);
    s.new_value = key.substr(eq + 1);
    s.origin = origin;
    out.push_back(s);
  }
}

inline void push_state(std::vector<EventRecord>& out, const TimeZone& tz, int64_t day, int minute_of_day,
                       const std::string& device, const std::string& value, const std::string& origin = "device") {
  EventRecord s;
  s.time = tz.from_local(day + minute_of_day / 1440, (minute_of_day % 1440) * 60);
  s.device_id = device;
  s.kind = "state";
  s.attribute = "state";
  s.new_value = value;
  s.origin = origin;
  out.push_back(s);
}

// Filler activity so a day counts as "at home" (eligible).
inline void push_day_activity(std::vector<EventRecord>& out, const TimeZone& tz, int64_t day) {
  // Times vary from day to day (hash of the day) so the filler never looks like a habit.
  const int64_t h = (day * 2654435761LL) & 0xFFFF;
  for (int k = 0; k < 3; ++k) {
    const int m = 8 * 60 + static_cast<int>((h * (k + 3) + k * 997) % (14 * 60));
    push_state(out, tz, day, m, "binary_sensor.hallway_motion", "on");
  }
}

inline const Routine* find_routine(const MiningResult& r, RoutineKind kind, const std::string& key) {
  for (const Routine& x : r.routines) {
    if (x.kind != kind) continue;
    for (const RoutineAction& a : x.actions) {
      for (const std::string& k : a.keys) {
        if (k == key) return &x;
      }
    }
    for (const std::string& k : x.sensor_keys) {
      if (k == key) return &x;
    }
  }
  return nullptr;
}

inline double minute_error(int a, int b) {
  const int d = std::abs(a - b) % 1440;
  return std::min(d, 1440 - d);
}

}  // namespace hearth::testing
