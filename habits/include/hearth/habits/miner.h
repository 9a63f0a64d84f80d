// habits/miner.h: the routine miner. Reads device events (from a vector or a
// HistoryStore) and finds what the household does habitually:
//
//   time-anchored routines  "around 22:40 on weekdays: bedside lamp off,
//                            front door locked, thermostat to 18 °C"
//   event-triggered routines "when the front door unlocks after 18:00: hallway
//                            light on"
//   state habits            "living room ceiling light at 30 % in the evening"
//
// How (details in miner.cc): every event becomes a setting ("device,
// attribute = value"; a turn_off action and the off state it causes are the
// same setting). Events with origin "schedule" are automation, never evidence.
// A night-time day is anchored at MinerOptions::day_start_min (04:00), so
// 00:20 belongs to the evening before, and times of day are averaged on the
// circle, so 23:50 and 00:20 are one habit. For each setting, weekday and
// weekend occurrences are smoothed into a recency-weighted density; its peaks
// become candidate habits; per-weekday support decides which days a habit
// keeps. A weighted linear trend over the days follows a drifting habit
// (a drifting habit's days are then collected along the trend line, not
// only near today's peak);
// outliers beyond three spreads are dropped. Settings that happen at the same
// time on the same days are grouped into one routine. Days without household
// activity (travel) are not counted against a habit.
//
// Threading: a RoutineMiner is used by one thread at a time; mine() is const
// and may be called repeatedly while more events arrive (incremental use:
// add() the new events, call mine() again).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/common/value.h"
#include "hearth/habits/history.h"
#include "hearth/habits/time_zone.h"

namespace hearth {

inline constexpr uint8_t kWeekdaysMask = 0x1F;   // Monday..Friday (bit 0 = Monday)
inline constexpr uint8_t kWeekendMask = 0x60;    // Saturday, Sunday
inline constexpr uint8_t kEveryDayMask = 0x7F;

// "weekdays", "weekends", "every day", "Mon, Wed, Fri".
std::string days_mask_text(uint8_t mask);

// One command a routine runs, in the bus's terms (devices/bus.h Command).
struct RoutineAction {
  std::string device_id;           // "light.bedside_left"
  std::string action;              // "turn_off", "turn_on", "lock", "set_temperature", ...
  ValueMap params;                 // {"brightness": 30}, {"temperature": 18}
  std::vector<std::string> keys;   // the settings it covers: "light.bedside_left|state=off"
  double support = 0.0;            // fraction of the routine's days on which it was seen, 0..1
  int offset_min = 0;              // typical minutes after the routine's start
};

enum class RoutineKind { kTimeAnchored, kEventTriggered, kStateHabit };
std::string_view routine_kind_name(RoutineKind k);   // "time" | "event" | "state"

struct RoutineTrigger {
  // kTimeAnchored: fire at time_min (local) on days_mask.
  int time_min = 0;                // minute of the local day, 0..1439
  uint8_t days_mask = 0;           // bit 0 = Monday .. bit 6 = Sunday
  // kEventTriggered / kStateHabit: the setting that triggers, and the local
  // window [after_min, before_min) (wraps past midnight) in which it counts.
  std::string event_key;           // "lock.front_door|state=unlocked"
  int after_min = 0;
  int before_min = 0;
};

struct Routine {
  RoutineKind kind = RoutineKind::kTimeAnchored;
  std::string name;                // "Bedtime", "Morning", "Arriving home"
  std::string description;         // "around 22:40 on weekdays: bedside lamp off, ..."
  RoutineTrigger trigger;
  std::vector<RoutineAction> actions;   // empty when only sensors show the habit
  std::vector<std::string> sensor_keys; // sensor settings seen with it ("binary_sensor.bed_occupancy|state=on")
  double support = 0.0;            // fraction of eligible days (event: of trigger occurrences) it happened
  double consistency_min = 0.0;    // spread (circular std dev, after removing drift), minutes
  double drift_min_per_week = 0.0; // fitted trend of the time, + = later each week
  int n_days = 0;                  // days with evidence
  std::vector<std::string> evidence_dates;   // local anchored dates, "2024-03-01", oldest first
  std::string fingerprint;         // stable identity: kind, days or trigger, sorted setting keys
  bool actionable() const { return !actions.empty(); }
};

struct MinerOptions {
  TimeZone tz;                                   // the household's zone
  std::optional<std::chrono::system_clock::time_point> now;   // window end; default: after the newest event
  int window_days = 84;                          // days of history looked at (ending the day before now)
  int day_start_min = 240;                       // 04:00: earlier events belong to the previous day
  double half_life_days = 21.0;                  // recency weight of a day's evidence
  int min_days = 5;                              // evidence days for any habit
  double min_support = 0.5;                      // fraction of eligible days
  double min_subset_support = 0.65;              // a habit on only some days of its type needs more
  double min_day_support = 0.4;                  // a weekday joins a habit's days at this support
  double max_spread_min = 60.0;                  // looser habits are not reported
  double max_sensor_spread_min = 30.0;           // for habits seen only by sensors (noisier)
  double tight_spread_min = 15.0;                // a time routine this tight is not replaced by a trigger
  int cluster_radius_min = 75;                   // occurrences this close to a peak belong to it
  int smooth_sigma_min = 15;                     // density smoothing
  double min_lift = 2.5;                         // peak density vs a uniform spread of the same setting
  int group_gap_min = 25;                        // settings whose times differ more are separate routines
  double min_group_overlap = 0.6;                // shared days / days of the rarer setting
  int min_day_events = 3;                        // a day counts as eligible with this many events
  int sequence_window_s = 300;                   // "follows" = within this many seconds
  double min_sequence_confidence = 0.6;          // P(action follows | trigger in window)
  double min_sequence_explained = 0.5;           // P(trigger precedes | action in window)
  double min_state_share = 0.6;                  // a value is a state habit at this share
  // Display name of a device; default derives one from the id
  // ("light.bedside_left" → "bedside left light"). The daemon passes the home's names.
  std::function<std::string(std::string_view device_id)> device_name;
};

struct MinerStats {
  int64_t n_events = 0;            // add() calls
  int64_t n_used = 0;              // events that became observations
  int64_t n_schedule = 0;          // ignored: origin "schedule"
  int64_t n_failed = 0;            // ignored: actions that did not succeed
  int64_t n_malformed = 0;         // ignored: empty device, unknown kind, bad JSON
  int64_t n_ignored = 0;           // ignored: numeric sensors, toggles, pseudo devices
  int64_t n_in_window = 0;         // observations inside the mined window
  int n_eligible_days = 0;         // days in the window with household activity
  double mine_seconds = 0.0;       // time spent in the last mine()
};

struct MiningResult {
  std::vector<Routine> routines;   // time-anchored, then event-triggered, then state habits; by support
  MinerStats stats;
  int64_t first_day = 0;           // the window, civil days since 1970-01-01
  int64_t last_day = 0;
};

class RoutineMiner {
 public:
  explicit RoutineMiner(MinerOptions opt);
  ~RoutineMiner();
  RoutineMiner(RoutineMiner&&) noexcept;
  RoutineMiner& operator=(RoutineMiner&&) noexcept;

  // Adds one event (any order; in time order is cheapest). Malformed and
  // schedule events are counted and dropped; nothing is kept but an 8-byte
  // observation per setting occurrence (repeats within two minutes of the
  // same setting, e.g. an action and the state change it causes, are one).
  void add(const EventRecord& e);
  void add(const std::vector<EventRecord>& events);
  // The same from a store row (HistoryStore::scan_events); no allocation
  // once the row's device, attribute and value were seen before.
  void add(const EventView& e);

  // Incremental mining keeps one miner alive: feed() reads the rows added to
  // the store since the last feed (id > last_id; only rows younger than the
  // window at `now`), forget_before() drops observations older than the next
  // window, and mine_at() mines what is kept. Returns the rows read.
  Result<int64_t> feed(const HistoryStore& store, std::chrono::system_clock::time_point now);
  int64_t last_id() const;
  // Drops observations of anchored days before the window that ends at `now`.
  void forget_before_window(std::chrono::system_clock::time_point now);
  // Observations kept (8 bytes each, plus the per-setting runs).
  int64_t observations() const;

  // Mines the window ending at opt.now (or after the newest event).
  MiningResult mine() const;
  // Same, with another window end (for "what would we have known on day N").
  MiningResult mine_at(std::chrono::system_clock::time_point now) const;

  const MinerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: one call over a vector.
MiningResult mine_routines(const std::vector<EventRecord>& events, const MinerOptions& opt);
// Reads the window's events from the store (HistoryStore::scan_events) and mines them.
Result<MiningResult> mine_routines(const HistoryStore& store, const MinerOptions& opt);

// The canonical setting keys an event stands for ("light.x|state=off");
// empty when the event says nothing about a habit. Used by the simulator's
// ground truth and by tests.
std::vector<std::string> event_setting_keys(const EventRecord& e);
// The keys a bus command stands for (device, action, params).
std::vector<std::string> action_setting_keys(std::string_view device_id, std::string_view action,
                                             const ValueMap& params);

// "22:40"
std::string format_minute_of_day(int minute);

// JSON text of routines and stats (the `hearth habits mine` output):
// {"window": {...}, "stats": {...}, "routines": [{"kind", "name", "description",
//  "trigger": {...}, "actions": [{"device_id", "action", "params"}], "support", ...}]}
std::string mining_result_to_json(const MiningResult& r, int indent = 2);
std::string routine_to_json(const Routine& r, int indent = -1);
Result<Routine> routine_from_json(std::string_view text);

}  // namespace hearth
