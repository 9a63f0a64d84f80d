// habits/sim.h: a household simulator for the miner's tests and benchmarks
// (library hearth_habits_sim; the daemon does not link it). It writes months
// of device events for a configurable household — routines with day sets,
// spread, drift and post-midnight times, event-triggered habits, preferred
// levels, travel, guests, holidays, random manual actions, sensor noise and
// automations with origin "schedule" — and returns the true habits next to
// them. Everything is derived from `seed`: same config, same events.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hearth/common/value.h"
#include "hearth/habits/history.h"
#include "hearth/habits/miner.h"
#include "hearth/habits/time_zone.h"

namespace hearth::sim {

struct SimAction {
  std::string device_id;                 // "light.bedside_left"
  std::string action;                    // bus action: "turn_off", "lock", "set_temperature", ...
  ValueMap params;                       // {"temperature": 18}
  int offset_s = 0;                      // after the routine's start (or its trigger)
  double p_skip = 0.05;                  // forgotten on a given day
};

struct SimRoutine {
  std::string name;                      // "bedtime"
  uint8_t days_mask = kEveryDayMask;     // anchored day's weekday, bit 0 = Monday
  int time_min = 0;                      // start, minutes after midnight of the anchored day;
                                         // values below 04:00 or >= 1440 fall after midnight
  double spread_min = 10.0;              // std dev of the start
  double drift_min_per_day = 0.0;        // the start moves this much per day
  double p_day = 0.9;                    // happens on this share of days at home
  std::vector<SimAction> actions;
  // Optional precursor the household causes (bed occupied, door unlocked by key).
  std::string trigger_device;            // "" = none
  std::string trigger_attribute = "state";
  std::string trigger_value;             // "on", "unlocked"
  int trigger_lead_s = 120;              // the trigger comes this long before the start
  bool event_triggered = false;          // the truth is "when trigger, do actions"
  bool by_schedule = false;              // an automation (origin "schedule"): not a habit
};

// A level usually chosen in part of the day ("living room at 30 % in the evening").
struct SimLevelHabit {
  std::string device_id;
  std::string param = "brightness";      // turn_on parameter
  int64_t value = 30;
  int from_min = 1140, to_min = 1320;    // local window, no wrap
  double share = 0.85;                   // otherwise a random other level
  double p_day = 0.8;
};

struct SimHousehold {
  std::string name;
  std::string tz = "Europe/Berlin";
  int64_t start_day = 0;                 // civil day of the first simulated day
  int n_days = 90;
  uint64_t seed = 1;
  std::vector<SimRoutine> routines;
  std::vector<SimLevelHabit> levels;
  std::vector<std::pair<int, int>> away; // [first, last] day indexes with nobody home
  double p_guest_day = 0.05;             // guests: routines 30-90 min late, extra actions
  double p_outlier = 0.03;               // a routine 1-3 h off (holiday, party)
  double manual_actions_per_day = 6.0;   // random actions on manual_devices, 07:00-23:00
  std::vector<std::string> manual_devices;
  double motion_per_day = 15.0;          // binary_sensor.hallway_motion blips, 06:00-24:00
  double bed_flaps_per_night = 1.0;      // bed occupancy off/on at night (turning over)
  double p_device_origin = 0.15;         // a person uses the wall switch: state event only
  int extra_noise_devices = 0;           // scale runs: this many extra sensors ...
  double extra_noise_per_day = 0.0;      // ... with this many random events per day in total
};

struct TrueRoutine {
  std::string name;
  RoutineKind kind = RoutineKind::kTimeAnchored;
  uint8_t days_mask = 0;
  int time_min = 0;                      // local minute of day at the end of the history
  double drift_min_per_day = 0.0;
  std::vector<std::string> keys;         // setting keys of its actions (or of its sensor, if none)
  std::string trigger_key;               // precursor setting key, "" = none
  bool bedtime_like = false;             // evening/night routine (time-error statistic)
};

struct SimOutput {
  std::vector<EventRecord> events;       // ascending time
  std::vector<TrueRoutine> truth;
};

// The true habits of a household (independent of the random draw).
std::vector<TrueRoutine> true_routines(const SimHousehold& h);

// Generates every event, in ascending time, day by day, into `sink`
// (streaming: nothing is kept). Returns the number of events.
// An unknown time zone → kNotFound.
Result<int64_t> simulate_each(const SimHousehold& h, const std::function<void(const EventRecord&)>& sink);

// Generates into memory.
Result<SimOutput> simulate(const SimHousehold& h);

// The standard households of the benchmark, on the demo home's devices:
// "couple", "drifter", "shift_worker", "traveler", "sensor_home".
std::vector<SimHousehold> standard_households(uint64_t seed, int n_days, int64_t start_day);

}  // namespace hearth::sim
