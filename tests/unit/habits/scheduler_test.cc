// Scheduler: next fire time across DST, grace window after downtime, no
// double runs, post-midnight routines, event routines.
#include <gtest/gtest.h>

#include "habits_test_util.h"
#include "hearth/habits/scheduler.h"

namespace hearth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::chrono::system_clock::time_point utc(int y, int mo, int d, int h, int mi) {
  return std::chrono::system_clock::time_point(seconds(days_from_civil({y, mo, d}) * 86400 + h * 3600 + mi * 60));
}

StoredRoutine time_routine(int64_t id, int time_min, uint8_t mask) {
  StoredRoutine s;
  s.id = id;
  s.routine.kind = RoutineKind::kTimeAnchored;
  s.routine.name = "Bedtime";
  s.routine.trigger.time_min = time_min;
  s.routine.trigger.days_mask = mask;
  RoutineAction a;
  a.device_id = "light.bedside_left";
  a.action = "turn_off";
  s.routine.actions.push_back(a);
  RoutineAction b;
  b.device_id = "climate.thermostat";
  b.action = "set_temperature";
  b.params["temperature"] = int64_t{18};
  s.routine.actions.push_back(b);
  return s;
}

TEST(Scheduler, FiresAtLocalTimeAcrossSpringForward) {
  const TimeZone tz = *TimeZone::load("Europe/Berlin");
  ManualClock clock(utc(2024, 3, 30, 12, 0));
  RoutineScheduler s(clock, tz);
  s.set_routines({time_routine(1, 22 * 60 + 40, kEveryDayMask)});
  ASSERT_EQ(s.next_wakeup(), utc(2024, 3, 30, 21, 40));   // CET
  clock.set_wall(utc(2024, 3, 30, 21, 40));
  std::vector<Firing> f = s.poll();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].missed);
  ASSERT_EQ(f[0].commands.size(), 2u);
  EXPECT_EQ(f[0].commands[0].device_id, "light.bedside_left");
  EXPECT_EQ(f[0].commands[0].origin, "schedule");
  EXPECT_EQ(s.next_wakeup(), utc(2024, 3, 31, 20, 40));   // CEST: still 22:40 on the wall
  EXPECT_TRUE(s.poll().empty());
}

TEST(Scheduler, TimeInsideTheGapFiresAfterIt) {
  const TimeZone tz = *TimeZone::load("Europe/Berlin");
  ManualClock clock(utc(2024, 3, 30, 12, 0));
  RoutineScheduler s(clock, tz);
  s.set_routines({time_routine(1, 2 * 60 + 30, kWeekendMask)});   // anchored Saturday → Sunday 02:30
  EXPECT_EQ(s.next_wakeup(), utc(2024, 3, 31, 1, 30));   // 03:30 CEST
}

TEST(Scheduler, FallBackRunsOnce) {
  const TimeZone tz = *TimeZone::load("Europe/Berlin");
  ManualClock clock(utc(2024, 10, 26, 22, 0));   // 00:00 CEST; 02:00-03:00 comes twice tonight
  RoutineScheduler s(clock, tz);
  s.set_routines({time_routine(1, 2 * 60 + 30, kEveryDayMask)});
  EXPECT_EQ(s.next_wakeup(), utc(2024, 10, 27, 0, 30));   // the first 02:30 (CEST)
  int fired = 0;
  for (int i = 0; i < 6 * 12; ++i) {   // 6 hours in 5-minute steps across the repeated hour
    clock.advance(minutes(5));
    for (const Firing& f : s.poll()) fired += f.missed ? 0 : 1;
  }
  EXPECT_EQ(fired, 1);
}

TEST(Scheduler, HubOffDoesNotFireHoursLate) {
  const TimeZone tz = *TimeZone::load("Europe/Berlin");
  ManualClock clock(utc(2024, 1, 10, 12, 0));
  RoutineScheduler s(clock, tz);
  s.set_routines({time_routine(1, 22 * 60 + 40, kEveryDayMask)});
  clock.set_wall(utc(2024, 1, 11, 2, 0));   // asleep through 22:40 local (21:40 UTC)
  std::vector<Firing> f = s.poll();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].missed);
  EXPECT_TRUE(f[0].commands.empty());
  EXPECT_EQ(f[0].scheduled, utc(2024, 1, 10, 21, 40));
  EXPECT_EQ(s.next_wakeup(), utc(2024, 1, 11, 21, 40));
  // Three days off: one missed report, not three runs.
  clock.set_wall(utc(2024, 1, 14, 12, 0));
  f = s.poll();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].missed);
}

TEST(Scheduler, WithinGraceStillRuns) {
  const TimeZone tz = *TimeZone::load("Europe/Berlin");
  ManualClock clock(utc(2024, 1, 10, 21, 46));   // booted 6 minutes after 22:40 local
  RoutineScheduler s(clock, tz);
  s.set_routines({time_routine(1, 22 * 60 + 40, kEveryDayMask)});
  std::vector<Firing> f = s.poll();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].missed);
  // After a restart with the run log, it does not run twice.
  RoutineScheduler again(clock, tz);
  again.set_routines({time_routine(1, 22 * 60 + 40, kEveryDayMask)});
  again.set_last_run(1, f[0].scheduled);
  EXPECT_TRUE(again.poll().empty());
  // Booted 11 minutes late: missed.
  ManualClock late(utc(2024, 1, 10, 21, 51));
  RoutineScheduler third(late, tz);
  third.set_routines({time_routine(1, 22 * 60 + 40, kEveryDayMask)});
  EXPECT_TRUE(third.poll().empty());   // never saw it due: next is tomorrow
  EXPECT_EQ(third.next_wakeup(), utc(2024, 1, 11, 21, 40));
}

TEST(Scheduler, PostMidnightRoutineBelongsToTheEveningBefore) {
  const TimeZone tz = *TimeZone::load("Europe/Berlin");
  ManualClock clock(utc(2024, 1, 12, 12, 0));   // Friday
  RoutineScheduler s(clock, tz);
  s.set_routines({time_routine(1, 20, kWeekdaysMask)});   // 00:20 after weekday evenings
  EXPECT_EQ(s.next_wakeup(), utc(2024, 1, 12, 23, 20));   // Saturday 00:20 (Friday's night)
  clock.set_wall(utc(2024, 1, 12, 23, 21));
  ASSERT_EQ(s.poll().size(), 1u);
  EXPECT_EQ(s.next_wakeup(), utc(2024, 1, 15, 23, 20));   // then Monday night → Tuesday 00:20
}

TEST(Scheduler, DisabledRoutinesDoNotRun) {
  ManualClock clock(utc(2024, 1, 10, 12, 0));
  RoutineScheduler s(clock, TimeZone());
  StoredRoutine r = time_routine(1, 22 * 60, kEveryDayMask);
  r.enabled = false;
  s.set_routines({r});
  EXPECT_FALSE(s.next_wakeup());
}

TEST(Scheduler, EventRoutineInWindowOnly) {
  const TimeZone tz = *TimeZone::load("Europe/Berlin");
  ManualClock clock(utc(2024, 1, 10, 12, 0));
  RoutineScheduler s(clock, tz);
  StoredRoutine r;
  r.id = 5;
  r.routine.kind = RoutineKind::kEventTriggered;
  r.routine.trigger.event_key = "lock.front_door|state=unlocked";
  r.routine.trigger.after_min = 18 * 60;
  r.routine.trigger.before_min = 4 * 60;
  RoutineAction a;
  a.device_id = "light.hallway";
  a.action = "turn_on";
  r.routine.actions.push_back(a);
  s.set_routines({r});
  std::vector<EventRecord> ev;
  testing::push_state(ev, tz, days_from_civil({2024, 1, 10}), 8 * 60, "lock.front_door", "unlocked");
  testing::push_state(ev, tz, days_from_civil({2024, 1, 10}), 18 * 60 + 30, "lock.front_door", "unlocked");
  testing::push_state(ev, tz, days_from_civil({2024, 1, 10}), 18 * 60 + 32, "lock.front_door", "unlocked");
  testing::push_state(ev, tz, days_from_civil({2024, 1, 11}), 19 * 60, "lock.front_door", "unlocked", "schedule");
  EXPECT_TRUE(s.on_event(ev[0]).empty()) << "morning: outside the window";
  std::vector<Firing> f = s.on_event(ev[1]);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].commands[0].action, "turn_on");
  EXPECT_TRUE(s.on_event(ev[2]).empty()) << "cooldown";
  EXPECT_TRUE(s.on_event(ev[3]).empty()) << "our own automation never triggers";
}

}  // namespace
}  // namespace hearth
