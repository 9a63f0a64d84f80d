// habits/routines.h: from mined habits to routines the household keeps.
//
//   select_suggestions()  which mined habits to offer: thresholds, no
//                         duplicates of existing routines, no re-offer of a
//                         rejected habit unless it changed a lot
//   adapt_routine()       an adaptive routine follows its habit's drift
//   RoutineStore          routines, suggestions and the run log in the
//                         history database (schema v2 tables routines,
//                         suggestions, routine_runs)
//
// The daemon owns one RoutineStore on its history writer thread (same
// threading rule as HistoryStore: one thread at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/habits/history.h"
#include "hearth/habits/miner.h"

namespace hearth {

struct SuggestionPolicy {
  double min_support = 0.6;          // time routines: fraction of eligible days
  double max_spread_min = 20.0;      // time routines: consistency
  int min_days = 10;                 // evidence days (any kind)
  double min_event_support = 0.7;    // event routines: P(actions follow the trigger)
  double min_state_share = 0.75;     // state habits: share of the usual value
  bool include_state_habits = true;
  bool include_sensor_only = false;  // habits with nothing to run are information, not suggestions
  // Same habit (duplicate of a routine, or the rejected one again):
  double same_time_min = 45.0;       // start times closer than this ...
  double same_min_jaccard = 0.5;     // ... and this much action overlap
  // A rejected habit is offered again only when it moved at least this far
  // or its actions changed (overlap below same_min_jaccard).
  double changed_time_min = 60.0;
};

// Action-key overlap |A ∩ B| / |A ∪ B| (sensor keys when a routine has no actions).
double routine_overlap(const Routine& a, const Routine& b);
// Same habit: same kind, overlap ≥ min_jaccard, and for time routines
// start times within max_time_diff_min on shared days; for event and state
// routines the same trigger.
bool same_habit(const Routine& a, const Routine& b, double max_time_diff_min, double min_jaccard);

// The mined routines worth offering, best first.
std::vector<Routine> select_suggestions(const std::vector<Routine>& mined, const std::vector<Routine>& existing,
                                        const std::vector<Routine>& rejected, const SuggestionPolicy& policy);

// An adaptive routine after a new mining: its start moves toward the habit's
// current time by at most max_step_min; unchanged when the habit is not found.
Routine adapt_routine(const Routine& current, const std::vector<Routine>& mined, int max_step_min = 30);

struct StoredRoutine {
  int64_t id = 0;                                    // assigned by the store
  Routine routine;
  bool enabled = true;
  bool adaptive = false;                             // follows drift (adapt_routine after each mining)
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point updated;
};

enum class SuggestionStatus { kPending, kAccepted, kRejected };
std::string_view suggestion_status_name(SuggestionStatus s);   // "pending" | "accepted" | "rejected"

struct Suggestion {
  int64_t id = 0;
  Routine routine;
  SuggestionStatus status = SuggestionStatus::kPending;
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point decided;     // epoch while pending
  int64_t routine_id = 0;                            // accepted: the routine it became
};

struct RoutineRun {
  int64_t id = 0;
  int64_t routine_id = 0;
  std::chrono::system_clock::time_point scheduled;   // the planned time (or the trigger's time)
  std::chrono::system_clock::time_point fired;       // when it ran (== scheduled for a miss)
  std::string outcome;                               // "ok", "missed", or an error code name
};

class RoutineStore {
 public:
  // Opens (and migrates, through HistoryStore::open) the history database at
  // `path` and keeps its own connection to the routine tables.
  static Result<std::unique_ptr<RoutineStore>> open(const std::string& path, const HistoryOptions& opt = {});
  ~RoutineStore();

  Result<std::vector<StoredRoutine>> routines() const;
  Result<int64_t> add_routine(const Routine& r, bool adaptive, std::chrono::system_clock::time_point now);
  // Writes name, spec, enabled and adaptive; kNotFound for an unknown id.
  Result<void> update_routine(const StoredRoutine& r, std::chrono::system_clock::time_point now);
  Result<void> delete_routine(int64_t id);

  // status = nullopt: all.
  Result<std::vector<Suggestion>> suggestions(std::optional<SuggestionStatus> status = std::nullopt) const;
  // Replaces the pending suggestions by select_suggestions(mined, routines,
  // rejected); a pending suggestion whose fingerprint is offered again keeps
  // its id. Returns the pending list.
  Result<std::vector<Suggestion>> refresh_suggestions(const MiningResult& mined, const SuggestionPolicy& policy,
                                                      std::chrono::system_clock::time_point now);
  // Pending → accepted; creates the routine and returns its id.
  Result<int64_t> accept_suggestion(int64_t id, bool adaptive, std::chrono::system_clock::time_point now);
  Result<void> reject_suggestion(int64_t id, std::chrono::system_clock::time_point now);

  Result<void> record_run(const RoutineRun& run);
  // Newest first.
  Result<std::vector<RoutineRun>> runs(int64_t routine_id, int limit = 100) const;

 private:
  struct Impl;
  explicit RoutineStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth
