// Suggestions (thresholds, dedup, rejection), adaptive routines, and the
// routine store on schema v2 (including a v1 file migrating).
#include <gtest/gtest.h>

#include "habits_test_util.h"
#include "hearth/habits/routines.h"
#include "history_test_util.h"
#include "sqlite_history_store.h"

namespace hearth {
namespace {

using testing::TempDir;

Routine bedtime(int time_min, std::vector<std::string> devices = {"light.bedside_left", "lock.front_door"}) {
  Routine r;
  r.kind = RoutineKind::kTimeAnchored;
  r.name = "Bedtime";
  r.description = "around " + format_minute_of_day(time_min) + " on weekdays: ...";
  r.trigger.time_min = time_min;
  r.trigger.days_mask = kWeekdaysMask;
  for (const std::string& d : devices) {
    RoutineAction a;
    a.device_id = d;
    a.action = d.rfind("lock.", 0) == 0 ? "lock" : "turn_off";
    a.keys = action_setting_keys(a.device_id, a.action, {});
    r.actions.push_back(a);
  }
  r.support = 0.85;
  r.consistency_min = 8;
  r.n_days = 40;
  r.fingerprint = "time|31|" + (devices.empty() ? std::string() : devices.front()) + "@" + std::to_string(time_min);
  return r;
}

TEST(Suggestions, ThresholdsApply) {
  SuggestionPolicy p;
  Routine loose = bedtime(22 * 60);
  loose.consistency_min = 35;
  Routine young = bedtime(7 * 60, {"light.kitchen_ceiling"});
  young.n_days = 4;
  Routine sensors = bedtime(23 * 60, {});
  sensors.sensor_keys = {"binary_sensor.bed_occupancy|state=on"};
  EXPECT_TRUE(select_suggestions({loose, young, sensors}, {}, {}, p).empty());
  EXPECT_EQ(select_suggestions({bedtime(22 * 60)}, {}, {}, p).size(), 1u);
}

TEST(Suggestions, NoDuplicateOfExistingRoutine) {
  SuggestionPolicy p;
  const Routine existing = bedtime(22 * 60 + 30);
  EXPECT_TRUE(select_suggestions({bedtime(22 * 60 + 45)}, {existing}, {}, p).empty());
  // Another habit at another time is offered.
  EXPECT_EQ(select_suggestions({bedtime(7 * 60, {"light.kitchen_ceiling"})}, {existing}, {}, p).size(), 1u);
  // Two mined variants of one habit are offered once.
  EXPECT_EQ(select_suggestions({bedtime(22 * 60 + 40), bedtime(22 * 60 + 50)}, {}, {}, p).size(), 1u);
}

TEST(Suggestions, RejectedNotOfferedAgainUnlessChangedALot) {
  SuggestionPolicy p;
  const Routine rejected = bedtime(22 * 60 + 30);
  EXPECT_TRUE(select_suggestions({bedtime(22 * 60 + 50)}, {}, {rejected}, p).empty());
  EXPECT_EQ(select_suggestions({bedtime(24 * 60 + 0)}, {}, {rejected}, p).size(), 1u) << "moved 90 min";
  EXPECT_EQ(select_suggestions({bedtime(22 * 60 + 35, {"light.bedside_left", "climate.thermostat", "light.hallway",
                                                       "light.landing"})},
                               {}, {rejected}, p)
                .size(),
            1u)
      << "actions changed";
}

TEST(Suggestions, AdaptiveRoutineFollowsDriftInSteps) {
  const Routine current = bedtime(22 * 60 + 30);
  Routine later = adapt_routine(current, {bedtime(23 * 60 + 30)}, 30);
  EXPECT_EQ(later.trigger.time_min, 23 * 60);
  EXPECT_NE(later.description.find("23:00"), std::string::npos);
  EXPECT_EQ(adapt_routine(current, {bedtime(7 * 60, {"light.kitchen_ceiling"})}, 30).trigger.time_min, 22 * 60 + 30);
}

TEST(RoutineStore, SuggestAcceptRejectAndRuns) {
  TempDir dir;
  auto store_r = RoutineStore::open(dir.file("h.db"));
  ASSERT_TRUE(store_r) << store_r.error().message;
  RoutineStore& store = **store_r;
  const auto now = testing::at_ms(testing::kT0);
  MiningResult mined;
  mined.routines = {bedtime(22 * 60 + 40), bedtime(7 * 60, {"light.kitchen_ceiling"})};
  SuggestionPolicy p;
  Result<std::vector<Suggestion>> pending = store.refresh_suggestions(mined, p, now);
  ASSERT_TRUE(pending) << pending.error().message;
  ASSERT_EQ(pending->size(), 2u);
  // Refreshing with the same habits keeps the ids.
  Result<std::vector<Suggestion>> again = store.refresh_suggestions(mined, p, now);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[0].id, (*pending)[0].id);

  int64_t bed_id = 0, kitchen_id = 0;
  for (const Suggestion& s : *again) (s.routine.trigger.time_min > 12 * 60 ? bed_id : kitchen_id) = s.id;
  Result<int64_t> routine_id = store.accept_suggestion(bed_id, /*adaptive=*/true, now);
  ASSERT_TRUE(routine_id) << routine_id.error().message;
  ASSERT_TRUE(store.reject_suggestion(kitchen_id, now));
  EXPECT_EQ(store.reject_suggestion(kitchen_id, now).error().code, Code::kNotFound);
  EXPECT_EQ(store.accept_suggestion(9999, false, now).error().code, Code::kNotFound);

  // Neither comes back: one is a routine now, the other was rejected.
  Result<std::vector<Suggestion>> after = store.refresh_suggestions(mined, p, now);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());
  Result<std::vector<StoredRoutine>> routines = store.routines();
  ASSERT_TRUE(routines);
  ASSERT_EQ(routines->size(), 1u);
  EXPECT_TRUE((*routines)[0].adaptive);
  EXPECT_EQ((*routines)[0].routine.actions.size(), 2u);

  StoredRoutine edited = (*routines)[0];
  edited.routine.name = "Lights out";
  edited.enabled = false;
  ASSERT_TRUE(store.update_routine(edited, now));
  EXPECT_EQ((*store.routines())[0].routine.name, "Lights out");
  EXPECT_FALSE((*store.routines())[0].enabled);

  ASSERT_TRUE(store.record_run({0, *routine_id, now, now + std::chrono::seconds(2), "ok"}));
  ASSERT_TRUE(store.record_run({0, *routine_id, now + std::chrono::hours(24), now + std::chrono::hours(24), "missed"}));
  EXPECT_EQ(store.record_run({0, 777, now, now, "ok"}).error().code, Code::kNotFound);
  Result<std::vector<RoutineRun>> runs = store.runs(*routine_id);
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].outcome, "missed");
  ASSERT_TRUE(store.delete_routine(*routine_id));
  EXPECT_TRUE(store.runs(*routine_id)->empty());
  EXPECT_EQ(store.delete_routine(*routine_id).error().code, Code::kNotFound);
}

TEST(RoutineStore, VersionOneFileMigratesAndKeepsHistory) {
  TempDir dir;
  const std::string path = dir.file("v1.db");
  {
    HistoryOpenHooks hooks;
    hooks.migrations = history_migrations().subspan(0, 1);
    auto v1 = open_history_store_for_test(path, {}, hooks);
    ASSERT_TRUE(v1) << v1.error().message;
    EXPECT_EQ((*v1)->schema_version(), 1);
    ASSERT_TRUE((*v1)->record_events({testing::make_event(1), testing::make_event(2)}));
  }
  auto store = RoutineStore::open(path);
  ASSERT_TRUE(store) << store.error().message;
  auto history = testing::open_ok(path);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->schema_version(), 2);
  EXPECT_EQ(*history->count_events(), 2);
  EXPECT_TRUE((*store)->routines()->empty());
}

TEST(RoutineStore, DamagedSpecRowIsSkipped) {
  TempDir dir;
  auto store = RoutineStore::open(dir.file("h.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->add_routine(bedtime(22 * 60), false, testing::at_ms(testing::kT0)));
  {
    testing::RawDb raw(dir.file("h.db"));
    raw.exec("INSERT INTO routines (name, spec_json, fingerprint, enabled, adaptive, created_ms, updated_ms) "
             "VALUES ('bad', '{not json', 'x', 1, 0, 0, 0)");
  }
  Result<std::vector<StoredRoutine>> r = (*store)->routines();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 1u);
}

}  // namespace
}  // namespace hearth
