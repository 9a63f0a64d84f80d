// habits/src/routines.cc: suggestion policy, adaptive routines, and the
// RoutineStore on the schema v2 tables.
#include "hearth/habits/routines.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "sqlite_util.h"

namespace hearth {

using habits_sqlite::bind_string;
using habits_sqlite::column_string;
using habits_sqlite::DbPtr;
using habits_sqlite::ErrorContext;
using habits_sqlite::StmtPtr;

namespace {

std::set<std::string> keys_of(const Routine& r) {
  std::set<std::string> s;
  for (const RoutineAction& a : r.actions) s.insert(a.keys.begin(), a.keys.end());
  if (s.empty()) s.insert(r.sensor_keys.begin(), r.sensor_keys.end());
  return s;
}

double minute_gap(int a, int b) {
  const int d = std::abs(a - b) % 1440;
  return std::min(d, 1440 - d);
}

bool passes(const Routine& r, const SuggestionPolicy& p) {
  if (!r.actionable() && !p.include_sensor_only) return false;
  if (r.n_days < p.min_days) return false;
  switch (r.kind) {
    case RoutineKind::kTimeAnchored: return r.support >= p.min_support && r.consistency_min <= p.max_spread_min;
    case RoutineKind::kEventTriggered: return r.support >= p.min_event_support;
    case RoutineKind::kStateHabit: return p.include_state_habits && r.support >= p.min_state_share;
  }
  return false;
}

}  // namespace

double routine_overlap(const Routine& a, const Routine& b) {
  const auto ka = keys_of(a), kb = keys_of(b);
  if (ka.empty() && kb.empty()) return 0.0;
  size_t both = 0;
  for (const std::string& k : ka) both += kb.count(k);
  return static_cast<double>(both) / static_cast<double>(ka.size() + kb.size() - both);
}

bool same_habit(const Routine& a, const Routine& b, double max_time_diff_min, double min_jaccard) {
  if (a.kind != b.kind) return false;
  if (routine_overlap(a, b) < min_jaccard) return false;
  if (a.kind == RoutineKind::kTimeAnchored) {
    return (a.trigger.days_mask & b.trigger.days_mask) != 0 &&
           minute_gap(a.trigger.time_min, b.trigger.time_min) <= max_time_diff_min;
  }
  return a.trigger.event_key == b.trigger.event_key &&
         (a.kind == RoutineKind::kEventTriggered || a.trigger.after_min == b.trigger.after_min);
}

std::vector<Routine> select_suggestions(const std::vector<Routine>& mined, const std::vector<Routine>& existing,
                                        const std::vector<Routine>& rejected, const SuggestionPolicy& policy) {
  std::vector<Routine> out;
  for (const Routine& m : mined) {
    if (!passes(m, policy)) continue;
    bool skip = false;
    for (const Routine& e : existing) skip = skip || same_habit(m, e, policy.same_time_min, policy.same_min_jaccard);
    // Rejected: only a habit that moved or changed its actions comes back.
    for (const Routine& r : rejected) skip = skip || same_habit(m, r, policy.changed_time_min, policy.same_min_jaccard);
    for (const Routine& o : out) skip = skip || same_habit(m, o, policy.same_time_min, policy.same_min_jaccard);
    if (!skip) out.push_back(m);
  }
  std::stable_sort(out.begin(), out.end(), [](const Routine& a, const Routine& b) {
    return a.support * a.n_days > b.support * b.n_days;
  });
  return out;
}

Routine adapt_routine(const Routine& current, const std::vector<Routine>& mined, int max_step_min) {
  if (current.kind != RoutineKind::kTimeAnchored) return current;
  const Routine* best = nullptr;
  double best_gap = 1e9;
  for (const Routine& m : mined) {
    if (!same_habit(current, m, 180.0, 0.5)) continue;
    const double gap = minute_gap(current.trigger.time_min, m.trigger.time_min);
    if (gap < best_gap) {
      best = &m;
      best_gap = gap;
    }
  }
  if (best == nullptr) return current;
  Routine out = current;
  int d = (best->trigger.time_min - current.trigger.time_min) % 1440;
  if (d > 720) d -= 1440;
  if (d < -720) d += 1440;
  d = std::clamp(d, -max_step_min, max_step_min);
  out.trigger.time_min = ((current.trigger.time_min + d) % 1440 + 1440) % 1440;
  out.consistency_min = best->consistency_min;
  out.drift_min_per_week = best->drift_min_per_week;
  const std::string old_time = format_minute_of_day(current.trigger.time_min);
  const size_t at = out.description.find(old_time);
  if (at != std::string::npos) out.description.replace(at, old_time.size(), format_minute_of_day(out.trigger.time_min));
  return out;
}

std::string_view suggestion_status_name(SuggestionStatus s) {
  switch (s) {
    case SuggestionStatus::kPending: return "pending";
    case SuggestionStatus::kAccepted: return "accepted";
    case SuggestionStatus::kRejected: return "rejected";
  }
  return "pending";
}

namespace {

std::optional<SuggestionStatus> parse_status(const std::string& s) {
  if (s == "pending") return SuggestionStatus::kPending;
  if (s == "accepted") return SuggestionStatus::kAccepted;
  if (s == "rejected") return SuggestionStatus::kRejected;
  return std::nullopt;
}

}  // namespace

struct RoutineStore::Impl {
  std::string path;
  DbPtr db;
  std::chrono::milliseconds busy_timeout{2000};

  ErrorContext ctx() const { return {db.get(), path, busy_timeout}; }
  Error fail(int rc, std::string_view doing) const { return habits_sqlite::sqlite_error(ctx(), rc, doing); }

  Result<StmtPtr> prepare(const char* sql, std::string_view doing) const {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db.get(), sql, -1, &raw, nullptr);
    StmtPtr s(raw);
    if (rc != SQLITE_OK) return fail(rc, doing);
    return s;
  }

  // Runs a statement with no rows; returns changes().
  Result<int> step_done(sqlite3_stmt* s, std::string_view doing) const {
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return fail(rc, doing);
    return sqlite3_changes(db.get());
  }

  Result<std::vector<Suggestion>> read_suggestions(std::optional<SuggestionStatus> status) const {
    const std::string_view doing = "reading suggestions";
    Result<StmtPtr> s = prepare(status ? "SELECT id, spec_json, status, created_ms, decided_ms, routine_id FROM suggestions "
                                         "WHERE status = ?1 ORDER BY id"
                                       : "SELECT id, spec_json, status, created_ms, decided_ms, routine_id FROM suggestions "
                                         "ORDER BY id",
                                doing);
    if (!s) return s.error();
    if (status) bind_string(s->get(), 1, std::string(suggestion_status_name(*status)));
    std::vector<Suggestion> out;
    int rc;
    while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
      Suggestion x;
      x.id = sqlite3_column_int64(s->get(), 0);
      Result<Routine> r = routine_from_json(column_string(s->get(), 1));
      std::optional<SuggestionStatus> st = parse_status(column_string(s->get(), 2));
      if (!r || !st) continue;   // a damaged row is skipped, never fatal
      x.routine = std::move(*r);
      x.status = *st;
      x.created = from_unix_ms(sqlite3_column_int64(s->get(), 3));
      x.decided = from_unix_ms(sqlite3_column_int64(s->get(), 4));
      x.routine_id = sqlite3_column_int64(s->get(), 5);
      out.push_back(std::move(x));
    }
    if (rc != SQLITE_DONE) return fail(rc, doing);
    return out;
  }

  Result<void> exec(const char* sql, std::string_view doing) const { return habits_sqlite::exec_sql(ctx(), sql, doing); }
};

RoutineStore::RoutineStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RoutineStore::~RoutineStore() = default;

Result<std::unique_ptr<RoutineStore>> RoutineStore::open(const std::string& path, const HistoryOptions& opt) {
  if (opt.read_only) return Error{Code::kBadInput, "routines: " + path + ": the routine store needs a writable database"};
  {
    // Validates the file and applies the migrations up to the v2 tables.
    Result<std::unique_ptr<HistoryStore>> history = HistoryStore::open(path, opt);
    if (!history) return history.error();
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->busy_timeout = opt.busy_timeout;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  impl->db.reset(raw);
  if (rc != SQLITE_OK) return habits_sqlite::sqlite_error(impl->ctx(), rc, "opening the routine tables");
  sqlite3_busy_timeout(impl->db.get(), static_cast<int>(opt.busy_timeout.count()));
  HEARTH_TRY(impl->exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL", "configuring the routine store"));
  return std::unique_ptr<RoutineStore>(new RoutineStore(std::move(impl)));
}

Result<std::vector<StoredRoutine>> RoutineStore::routines() const {
  const std::string_view doing = "reading routines";
  Result<StmtPtr> s = impl_->prepare(
      "SELECT id, spec_json, enabled, adaptive, created_ms, updated_ms, name FROM routines ORDER BY id", doing);
  if (!s) return s.error();
  std::vector<StoredRoutine> out;
  int rc;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
    Result<Routine> r = routine_from_json(column_string(s->get(), 1));
    if (!r) continue;   // a damaged row is skipped, never fatal
    StoredRoutine x;
    x.id = sqlite3_column_int64(s->get(), 0);
    x.routine = std::move(*r);
    x.routine.name = column_string(s->get(), 6);
    x.enabled = sqlite3_column_int(s->get(), 2) != 0;
    x.adaptive = sqlite3_column_int(s->get(), 3) != 0;
    x.created = from_unix_ms(sqlite3_column_int64(s->get(), 4));
    x.updated = from_unix_ms(sqlite3_column_int64(s->get(), 5));
    out.push_back(std::move(x));
  }
  if (rc != SQLITE_DONE) return impl_->fail(rc, doing);
  return out;
}

Result<int64_t> RoutineStore::add_routine(const Routine& r, bool adaptive, std::chrono::system_clock::time_point now) {
  const std::string_view doing = "adding a routine";
  if (r.actions.empty()) return Error{Code::kBadInput, "routines: " + impl_->path + ": a routine needs at least one action"};
  Result<StmtPtr> s = impl_->prepare(
      "INSERT INTO routines (name, spec_json, fingerprint, enabled, adaptive, created_ms, updated_ms) "
      "VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5)",
      doing);
  if (!s) return s.error();
  bind_string(s->get(), 1, r.name);
  bind_string(s->get(), 2, routine_to_json(r));
  bind_string(s->get(), 3, r.fingerprint);
  sqlite3_bind_int(s->get(), 4, adaptive ? 1 : 0);
  sqlite3_bind_int64(s->get(), 5, to_unix_ms(now));
  Result<int> done = impl_->step_done(s->get(), doing);
  if (!done) return done.error();
  return static_cast<int64_t>(sqlite3_last_insert_rowid(impl_->db.get()));
}

Result<void> RoutineStore::update_routine(const StoredRoutine& r, std::chrono::system_clock::time_point now) {
  const std::string_view doing = "updating a routine";
  Result<StmtPtr> s = impl_->prepare(
      "UPDATE routines SET name = ?2, spec_json = ?3, fingerprint = ?4, enabled = ?5, adaptive = ?6, updated_ms = ?7 "
      "WHERE id = ?1",
      doing);
  if (!s) return s.error();
  sqlite3_bind_int64(s->get(), 1, r.id);
  bind_string(s->get(), 2, r.routine.name);
  bind_string(s->get(), 3, routine_to_json(r.routine));
  bind_string(s->get(), 4, r.routine.fingerprint);
  sqlite3_bind_int(s->get(), 5, r.enabled ? 1 : 0);
  sqlite3_bind_int(s->get(), 6, r.adaptive ? 1 : 0);
  sqlite3_bind_int64(s->get(), 7, to_unix_ms(now));
  Result<int> n = impl_->step_done(s->get(), doing);
  if (!n) return n.error();
  if (*n == 0) return Error{Code::kNotFound, "routines: no routine with id " + std::to_string(r.id)};
  return {};
}

Result<void> RoutineStore::delete_routine(int64_t id) {
  const std::string_view doing = "deleting a routine";
  Result<StmtPtr> s = impl_->prepare("DELETE FROM routines WHERE id = ?1", doing);
  if (!s) return s.error();
  sqlite3_bind_int64(s->get(), 1, id);
  Result<int> n = impl_->step_done(s->get(), doing);
  if (!n) return n.error();
  if (*n == 0) return Error{Code::kNotFound, "routines: no routine with id " + std::to_string(id)};
  return {};
}

Result<std::vector<Suggestion>> RoutineStore::suggestions(std::optional<SuggestionStatus> status) const {
  return impl_->read_suggestions(status);
}

Result<std::vector<Suggestion>> RoutineStore::refresh_suggestions(const MiningResult& mined, const SuggestionPolicy& policy,
                                                                  std::chrono::system_clock::time_point now) {
  const std::string_view doing = "refreshing suggestions";
  Result<std::vector<StoredRoutine>> have = routines();
  if (!have) return have.error();
  Result<std::vector<Suggestion>> all = impl_->read_suggestions(std::nullopt);
  if (!all) return all.error();
  std::vector<Routine> existing, rejected;
  for (const StoredRoutine& r : *have) existing.push_back(r.routine);
  std::vector<Suggestion> pending;
  for (const Suggestion& s : *all) {
    if (s.status == SuggestionStatus::kRejected) rejected.push_back(s.routine);
    if (s.status == SuggestionStatus::kPending) pending.push_back(s);
  }
  const std::vector<Routine> offer = select_suggestions(mined.routines, existing, rejected, policy);
  HEARTH_TRY(impl_->exec("BEGIN IMMEDIATE", doing));
  auto run = [&]() -> Result<void> {
    Result<StmtPtr> del = impl_->prepare("DELETE FROM suggestions WHERE id = ?1", doing);
    Result<StmtPtr> upd = impl_->prepare("UPDATE suggestions SET spec_json = ?2 WHERE id = ?1", doing);
    Result<StmtPtr> ins = impl_->prepare(
        "INSERT INTO suggestions (fingerprint, spec_json, status, created_ms, decided_ms) VALUES (?1, ?2, 'pending', ?3, 0)",
        doing);
    if (!del) return del.error();
    if (!upd) return upd.error();
    if (!ins) return ins.error();
    std::set<int64_t> kept;
    for (const Routine& r : offer) {
      auto it = std::find_if(pending.begin(), pending.end(), [&](const Suggestion& s) {
        return s.routine.fingerprint == r.fingerprint && kept.count(s.id) == 0;
      });
      sqlite3_stmt* st = it != pending.end() ? upd->get() : ins->get();
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      if (it != pending.end()) {
        kept.insert(it->id);
        sqlite3_bind_int64(st, 1, it->id);
        bind_string(st, 2, routine_to_json(r));
      } else {
        bind_string(st, 1, r.fingerprint);
        bind_string(st, 2, routine_to_json(r));
        sqlite3_bind_int64(st, 3, to_unix_ms(now));
      }
      Result<int> n = impl_->step_done(st, doing);
      if (!n) return n.error();
    }
    for (const Suggestion& s : pending) {
      if (kept.count(s.id)) continue;
      sqlite3_reset(del->get());
      sqlite3_bind_int64(del->get(), 1, s.id);
      Result<int> n = impl_->step_done(del->get(), doing);
      if (!n) return n.error();
    }
    return {};
  };
  Result<void> done = run();
  if (done) done = impl_->exec("COMMIT", doing);
  if (!done) {
    if (sqlite3_get_autocommit(impl_->db.get()) == 0) (void)impl_->exec("ROLLBACK", doing);
    return done.error();
  }
  return impl_->read_suggestions(SuggestionStatus::kPending);
}

Result<int64_t> RoutineStore::accept_suggestion(int64_t id, bool adaptive, std::chrono::system_clock::time_point now) {
  const std::string_view doing = "accepting a suggestion";
  Result<std::vector<Suggestion>> pending = impl_->read_suggestions(SuggestionStatus::kPending);
  if (!pending) return pending.error();
  auto it = std::find_if(pending->begin(), pending->end(), [&](const Suggestion& s) { return s.id == id; });
  if (it == pending->end()) return Error{Code::kNotFound, "routines: no pending suggestion with id " + std::to_string(id)};
  HEARTH_TRY(impl_->exec("BEGIN IMMEDIATE", doing));
  Result<int64_t> routine_id = add_routine(it->routine, adaptive, now);
  Result<void> done;
  if (!routine_id) {
    done = routine_id.error();
  } else {
    Result<StmtPtr> s = impl_->prepare(
        "UPDATE suggestions SET status = 'accepted', decided_ms = ?2, routine_id = ?3 WHERE id = ?1", doing);
    if (!s) {
      done = s.error();
    } else {
      sqlite3_bind_int64(s->get(), 1, id);
      sqlite3_bind_int64(s->get(), 2, to_unix_ms(now));
      sqlite3_bind_int64(s->get(), 3, *routine_id);
      Result<int> n = impl_->step_done(s->get(), doing);
      if (!n) done = n.error();
    }
  }
  if (done) done = impl_->exec("COMMIT", doing);
  if (!done) {
    if (sqlite3_get_autocommit(impl_->db.get()) == 0) (void)impl_->exec("ROLLBACK", doing);
    return done.error();
  }
  return *routine_id;
}

Result<void> RoutineStore::reject_suggestion(int64_t id, std::chrono::system_clock::time_point now) {
  const std::string_view doing = "rejecting a suggestion";
  Result<StmtPtr> s =
      impl_->prepare("UPDATE suggestions SET status = 'rejected', decided_ms = ?2 WHERE id = ?1 AND status = 'pending'", doing);
  if (!s) return s.error();
  sqlite3_bind_int64(s->get(), 1, id);
  sqlite3_bind_int64(s->get(), 2, to_unix_ms(now));
  Result<int> n = impl_->step_done(s->get(), doing);
  if (!n) return n.error();
  if (*n == 0) return Error{Code::kNotFound, "routines: no pending suggestion with id " + std::to_string(id)};
  return {};
}

Result<void> RoutineStore::record_run(const RoutineRun& run) {
  const std::string_view doing = "recording a routine run";
  Result<StmtPtr> s = impl_->prepare(
      "INSERT INTO routine_runs (routine_id, scheduled_ms, fired_ms, outcome) VALUES (?1, ?2, ?3, ?4)", doing);
  if (!s) return s.error();
  sqlite3_bind_int64(s->get(), 1, run.routine_id);
  sqlite3_bind_int64(s->get(), 2, to_unix_ms(run.scheduled));
  sqlite3_bind_int64(s->get(), 3, to_unix_ms(run.fired));
  bind_string(s->get(), 4, run.outcome);
  const int rc = sqlite3_step(s->get());
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Error{Code::kNotFound, "routines: no routine with id " + std::to_string(run.routine_id)};
  }
  if (rc != SQLITE_DONE) return impl_->fail(rc, doing);
  return {};
}

Result<std::vector<RoutineRun>> RoutineStore::runs(int64_t routine_id, int limit) const {
  const std::string_view doing = "reading routine runs";
  Result<StmtPtr> s = impl_->prepare(
      "SELECT id, routine_id, scheduled_ms, fired_ms, outcome FROM routine_runs WHERE routine_id = ?1 "
      "ORDER BY id DESC LIMIT ?2",
      doing);
  if (!s) return s.error();
  sqlite3_bind_int64(s->get(), 1, routine_id);
  sqlite3_bind_int(s->get(), 2, std::clamp(limit, 1, 1000));
  std::vector<RoutineRun> out;
  int rc;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
    RoutineRun r;
    r.id = sqlite3_column_int64(s->get(), 0);
    r.routine_id = sqlite3_column_int64(s->get(), 1);
    r.scheduled = from_unix_ms(sqlite3_column_int64(s->get(), 2));
    r.fired = from_unix_ms(sqlite3_column_int64(s->get(), 3));
    r.outcome = column_string(s->get(), 4);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return impl_->fail(rc, doing);
  return out;
}

}  // namespace hearth
