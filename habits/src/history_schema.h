// habits/src/history_schema.h: the history schema as a list of forward
// migrations. The database's PRAGMA user_version is the schema version; step
// N turns a version N-1 database into version N. Steps are append-only: a
// released step is never edited, a change is a new step.
#pragma once

#include <span>
#include <string>

#include "hearth/common/result.h"
#include "sqlite_util.h"

namespace hearth {

struct HistoryMigration {
  int version = 0;          // the user_version this step produces
  std::string description;  // for logs and errors: "create commands and events"
  std::string sql;          // statements run inside the step's transaction
};

// The steps this build knows, ordered by version; the last one's version is
// kHistorySchemaVersion.
std::span<const HistoryMigration> history_migrations();

// Applies every step whose version is above the file's, each in its own
// BEGIN IMMEDIATE transaction (the version is re-read inside it, so two
// processes opening the same new file do not both run a step). Returns the
// resulting version. A failed step is rolled back and leaves the previous
// version in place.
Result<int> apply_history_migrations(const habits_sqlite::ErrorContext& ctx,
                                     std::span<const HistoryMigration> steps);

}  // namespace hearth
