// habits/src/sqlite_history_store.h: the SQLite implementation of
// HistoryStore. Private to habits/; other modules see only history.h.
//
// One connection per store, opened in WAL mode with synchronous=FULL and
// foreign keys on. Statements used on every call are prepared once at open;
// query statements are prepared on first use per filter combination and kept.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hearth/habits/history.h"
#include "history_schema.h"
#include "sqlite_util.h"

namespace hearth {

// Test hooks for open; the defaults give exactly HistoryStore::open.
struct HistoryOpenHooks {
  std::string vfs_name;                           // "" = SQLite's default VFS
  std::span<const HistoryMigration> migrations;   // empty = history_migrations()
};

// Opens a store like HistoryStore::open, with a named VFS (fault injection)
// or another list of migration steps (migration tests).
Result<std::unique_ptr<HistoryStore>> open_history_store_for_test(const std::string& path,
                                                                  const HistoryOptions& opt,
                                                                  const HistoryOpenHooks& hooks);

// What the schema cannot check: JSON columns parse, numbers are in range,
// kind is known. Returns the problem, or nullopt when the record can be stored.
std::optional<std::string> check_command_record(const CommandRecord& c);
std::optional<std::string> check_event_record(const EventRecord& e);

class SqliteHistoryStore final : public HistoryStore {
 public:
  static Result<std::unique_ptr<HistoryStore>> open(const std::string& path, const HistoryOptions& opt,
                                                    const HistoryOpenHooks& hooks);
  ~SqliteHistoryStore() override = default;

  int schema_version() const override { return schema_version_; }
  const std::string& path() const override { return path_; }

  Result<int64_t> record_command(const CommandRecord& c) override;
  Result<void> record_events(const std::vector<EventRecord>& events) override;
  Result<std::vector<int64_t>> record_batch(const std::vector<HistoryBatchItem>& items) override;

  Result<std::vector<EventRecord>> events(const HistoryQuery& q) const override;
  Result<std::vector<CommandRecord>> commands(const HistoryQuery& q) const override;
  Result<EventScan> scan_events(int64_t after_id, std::optional<int64_t> since_ms,
                                const std::function<void(const EventView&)>& fn) const override;
  Result<int64_t> count_events() const override;
  Result<int64_t> count_commands() const override;

  Result<int64_t> export_jsonl(std::ostream& out) const override;
  Result<int64_t> import_jsonl(std::istream& in) override;

  Result<void> check_integrity() const override;

 private:
  SqliteHistoryStore(std::string path, const HistoryOptions& opt, habits_sqlite::DbPtr db);

  habits_sqlite::ErrorContext ctx() const { return {db_.get(), path_, busy_timeout_}; }
  Error fail(int rc, std::string_view doing) const { return habits_sqlite::sqlite_error(ctx(), rc, doing); }
  Result<void> prepare_statements();

  // BEGIN IMMEDIATE / COMMIT / ROLLBACK with the kept statements.
  Result<void> begin_write(std::string_view doing);
  Result<void> commit(std::string_view doing);
  void rollback_if_open() noexcept;

  // Single-row inserts inside an open transaction; no validation.
  Result<int64_t> insert_command(const CommandRecord& c, std::string_view doing);
  Result<int64_t> insert_event(const EventRecord& e, std::string_view doing);

  // The kept query statement for a filter combination (see query_sql()).
  Result<sqlite3_stmt*> query_statement(bool events_table, unsigned filter_mask) const;

  // Export and import rows (history_jsonl.cc).
  Result<void> export_rows(std::ostream& out, int64_t* n_written) const;
  Result<int64_t> import_lines(std::istream& in);

  std::string path_;
  bool read_only_ = false;
  std::chrono::milliseconds busy_timeout_;
  int schema_version_ = 0;
  // Declared first so it is destroyed last, after every statement below.
  habits_sqlite::DbPtr db_;
  habits_sqlite::StmtPtr begin_;
  habits_sqlite::StmtPtr commit_;
  habits_sqlite::StmtPtr rollback_;
  habits_sqlite::StmtPtr insert_command_;
  habits_sqlite::StmtPtr insert_event_;
  habits_sqlite::StmtPtr set_event_command_;
  habits_sqlite::StmtPtr count_commands_;
  habits_sqlite::StmtPtr count_events_;
  mutable habits_sqlite::StmtPtr scan_events_;   // prepared on first scan_events()
  // Query statements by filter mask; const queries fill them lazily.
  mutable std::map<unsigned, habits_sqlite::StmtPtr> event_queries_;
  mutable std::map<unsigned, habits_sqlite::StmtPtr> command_queries_;
};

}  // namespace hearth
