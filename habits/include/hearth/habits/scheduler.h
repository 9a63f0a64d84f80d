// habits/scheduler.h: when accepted routines run, as plain logic driven by
// an injected Clock; the daemon owns the timer and the bus.
//
//   time routines   fire at their local time on their days (TimeZone rules:
//                   a time skipped by a spring-forward change fires just
//                   after the gap, a time repeated by a fall-back change
//                   fires once). A due time more than `grace` in the past
//                   (the hub was off or asleep) is reported as missed and
//                   not run: bedtime lights must not switch off at 03:00.
//   event routines  on_event() with each recorded event: fire when the
//   state habits    trigger setting happens inside the routine's window.
//
// Commands carry origin "schedule", so the miner never learns from them and
// on_event() never re-triggers on them.
//
// Daemon wiring (one strand): set_routines() after loading and after every
// change; arm a timer for next_wakeup(); on expiry call poll(); call
// on_event() from the history listener; run each Firing's commands on the
// bus and RoutineStore::record_run() the outcome ("missed" for missed ones).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hearth/common/clock.h"
#include "hearth/common/value.h"
#include "hearth/habits/history.h"
#include "hearth/habits/routines.h"
#include "hearth/habits/time_zone.h"

namespace hearth {

struct ScheduledCommand {
  std::string device_id;             // bus Command fields
  std::string action;
  ValueMap params;
  std::string origin = "schedule";
};

struct Firing {
  int64_t routine_id = 0;
  std::string routine_name;
  std::chrono::system_clock::time_point scheduled;   // planned time (event: the trigger's time)
  std::chrono::system_clock::time_point now;         // when poll()/on_event() saw it
  bool missed = false;                                // past the grace window: nothing to run
  std::vector<ScheduledCommand> commands;             // in the routine's order
};

struct SchedulerOptions {
  std::chrono::minutes grace{10};                     // run a due routine at most this late
  int day_start_min = 240;                            // as MinerOptions::day_start_min: a 00:20
                                                      // routine on "weekdays" runs Tue..Sat 00:20
  std::chrono::minutes event_cooldown{10};            // an event routine fires at most once per this
};

class RoutineScheduler {
 public:
  RoutineScheduler(const Clock& clock, TimeZone tz, SchedulerOptions opt = {});

  // Replaces the routine set (disabled ones are ignored). Per routine id the
  // next due time is kept across calls when the time and days did not change.
  void set_routines(const std::vector<StoredRoutine>& routines);
  // After a restart: the last planned time that already ran (from the run
  // log), so a routine is not run twice within its grace window.
  void set_last_run(int64_t routine_id, std::chrono::system_clock::time_point scheduled);

  // The earliest due time of any time routine; nullopt when none.
  std::optional<std::chrono::system_clock::time_point> next_wakeup() const;
  // Everything due at clock.now(): fired within the grace window, otherwise
  // one missed Firing per routine (however many days were missed).
  std::vector<Firing> poll();
  // Event and state-habit routines triggered by a recorded event.
  std::vector<Firing> on_event(const EventRecord& e);

  // The first planned time at or after `from` of a routine at local
  // `time_min` on `days_mask` (anchored days, see SchedulerOptions).
  std::chrono::system_clock::time_point next_occurrence(int time_min, uint8_t days_mask,
                                                        std::chrono::system_clock::time_point from) const;

 private:
  struct Entry {
    StoredRoutine routine;
    std::chrono::system_clock::time_point next_due;
    std::optional<std::chrono::system_clock::time_point> last_run;
    std::optional<std::chrono::system_clock::time_point> last_event_fire;
  };
  Firing make_firing(const Entry& e, std::chrono::system_clock::time_point scheduled, bool missed) const;

  const Clock& clock_;
  TimeZone tz_;
  SchedulerOptions opt_;
  std::map<int64_t, Entry> entries_;
};

}  // namespace hearth
