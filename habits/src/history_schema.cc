#include "history_schema.h"

#include "hearth/common/log.h"
#include "hearth/habits/history.h"

namespace hearth {

namespace {

// Version 1. Times are Unix milliseconds (UTC). AUTOINCREMENT keeps ids
// increasing even after old rows are deleted, which paging by before_id
// relies on. events.command_id is NULL when no command caused the event.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE commands (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms       INTEGER NOT NULL,
  text          TEXT    NOT NULL,
  intent        TEXT    NOT NULL,
  slots_json    TEXT    NOT NULL,
  targets_json  TEXT    NOT NULL,
  source        TEXT    NOT NULL,
  origin        TEXT    NOT NULL,
  confidence    REAL    NOT NULL,
  latency_us    INTEGER NOT NULL,
  ok            INTEGER NOT NULL,
  response      TEXT    NOT NULL
);
CREATE INDEX commands_time ON commands(time_ms);
CREATE TABLE events (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms       INTEGER NOT NULL,
  device_id     TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  attribute     TEXT    NOT NULL,
  old_value     TEXT    NOT NULL,
  new_value     TEXT    NOT NULL,
  origin        TEXT    NOT NULL,
  command_id    INTEGER REFERENCES commands(id),
  result        TEXT    NOT NULL
);
CREATE INDEX events_time ON events(time_ms);
CREATE INDEX events_device ON events(device_id);
PRAGMA application_id = 1213355080;
)sql";

// Version 2: routines the household keeps, suggestions offered (with the
// answer), and one row per routine run. spec_json is routine_to_json();
// fingerprint is Routine::fingerprint. decided_ms is 0 while pending.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE routines (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT    NOT NULL,
  spec_json     TEXT    NOT NULL,
  fingerprint   TEXT    NOT NULL,
  enabled       INTEGER NOT NULL,
  adaptive      INTEGER NOT NULL,
  created_ms    INTEGER NOT NULL,
  updated_ms    INTEGER NOT NULL
);
CREATE TABLE suggestions (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  fingerprint   TEXT    NOT NULL,
  spec_json     TEXT    NOT NULL,
  status        TEXT    NOT NULL,
  created_ms    INTEGER NOT NULL,
  decided_ms    INTEGER NOT NULL,
  routine_id    INTEGER REFERENCES routines(id) ON DELETE SET NULL
);
CREATE INDEX suggestions_status ON suggestions(status);
CREATE TABLE routine_runs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  routine_id    INTEGER NOT NULL REFERENCES routines(id) ON DELETE CASCADE,
  scheduled_ms  INTEGER NOT NULL,
  fired_ms      INTEGER NOT NULL,
  outcome       TEXT    NOT NULL
);
CREATE INDEX routine_runs_routine ON routine_runs(routine_id, scheduled_ms);
)sql";

}  // namespace

std::span<const HistoryMigration> history_migrations() {
  static const HistoryMigration kSteps[] = {
      {1, "create commands and events", kSchemaV1},
      {2, "create routines, suggestions and routine_runs", kSchemaV2},
  };
  static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kHistorySchemaVersion,
                "history: one migration step per schema version");
  return kSteps;
}

Result<int> apply_history_migrations(const habits_sqlite::ErrorContext& ctx,
                                     std::span<const HistoryMigration> steps) {
  using habits_sqlite::exec_sql;
  using habits_sqlite::query_int;
  Result<int64_t> start = query_int(ctx, "PRAGMA user_version", "reading the schema version");
  if (!start) return start.error();
  int version = static_cast<int>(*start);
  for (const HistoryMigration& step : steps) {
    if (step.version <= version) continue;
    const std::string doing = "migrating to schema v" + std::to_string(step.version) + " (" + step.description + ")";
    HEARTH_TRY(exec_sql(ctx, "BEGIN IMMEDIATE", doing));
    // Another process may have migrated between our read and our lock.
    Result<int64_t> current = query_int(ctx, "PRAGMA user_version", doing);
    if (!current) {
      (void)exec_sql(ctx, "ROLLBACK", doing);
      return current.error();
    }
    if (*current >= step.version) {
      HEARTH_TRY(exec_sql(ctx, "COMMIT", doing));
      version = static_cast<int>(*current);
      continue;
    }
    const std::string sql = step.sql + "\nPRAGMA user_version = " + std::to_string(step.version) + ";";
    Result<void> applied = exec_sql(ctx, sql.c_str(), doing);
    if (applied) applied = exec_sql(ctx, "COMMIT", doing);
    if (!applied) {
      if (sqlite3_get_autocommit(ctx.db) == 0) (void)exec_sql(ctx, "ROLLBACK", doing);
      return applied.error();
    }
    HEARTH_LOG_INFO("habits", "history %.*s: migrated to schema v%d", static_cast<int>(ctx.path.size()),
                    ctx.path.data(), step.version);
    version = step.version;
  }
  return version;
}

}  // namespace hearth
