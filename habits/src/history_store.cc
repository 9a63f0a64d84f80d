// habits/src/history_store.cc: opening the history database, recording,
// paging queries, counts and the integrity check. Export and import live in
// history_jsonl.cc.
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "hearth/common/log.h"
#include "hearth/habits/history.h"
#include "history_schema.h"
#include "sqlite_history_store.h"
#include "sqlite_util.h"

namespace hearth {

using habits_sqlite::bind_string;
using habits_sqlite::column_string;
using habits_sqlite::DbPtr;
using habits_sqlite::ErrorContext;
using habits_sqlite::exec_sql;
using habits_sqlite::prepare_kept;
using habits_sqlite::query_int;
using habits_sqlite::query_text;
using habits_sqlite::sqlite_error;
using habits_sqlite::StmtReset;

namespace {

constexpr int64_t kHistoryApplicationId = 0x48525448;  // "HRTH" in the file header
constexpr int kMaxQueryLimit = 1000;
constexpr int kMaxIntegrityMessages = 5;  // quick_check lines quoted in a kCorrupt error
constexpr std::string_view kSqliteHeaderMagic{"SQLite format 3\0", 16};
constexpr std::streamoff kMinDatabaseBytes = 512;  // the smallest SQLite page size

// Query filter bits; each combination gets its own kept statement so every
// statement can use the matching index.
constexpr unsigned kFilterSince = 1u << 0;
constexpr unsigned kFilterUntil = 1u << 1;
constexpr unsigned kFilterDevice = 1u << 2;
constexpr unsigned kFilterKind = 1u << 3;
constexpr unsigned kFilterOrigin = 1u << 4;

constexpr const char* kEventColumns =
    "id, time_ms, device_id, kind, attribute, old_value, new_value, origin, command_id, result";
constexpr const char* kCommandColumns =
    "id, time_ms, text, intent, slots_json, targets_json, source, origin, confidence, latency_us, ok, response";

// Parameters are numbered so one binding routine fits every combination:
// ?1 before_id, ?2 since, ?3 until, ?4 device_id, ?5 kind, ?6 origin, ?7 limit.
std::string query_sql(bool events_table, unsigned mask) {
  std::string sql = std::string("SELECT ") + (events_table ? kEventColumns : kCommandColumns) + " FROM " +
                    (events_table ? "events" : "commands") + " WHERE id < ?1";
  if (mask & kFilterSince) sql += " AND time_ms >= ?2";
  if (mask & kFilterUntil) sql += " AND time_ms < ?3";
  if (mask & kFilterDevice) {
    sql += events_table ? " AND device_id = ?4"
                        : " AND EXISTS (SELECT 1 FROM json_each(commands.targets_json) WHERE json_each.value = ?4)";
  }
  if (mask & kFilterKind) sql += " AND kind = ?5";
  if (mask & kFilterOrigin) sql += " AND origin = ?6";
  sql += " ORDER BY id DESC LIMIT ?7";
  return sql;
}

unsigned filter_mask(const HistoryQuery& q) {
  unsigned mask = 0;
  if (q.since) mask |= kFilterSince;
  if (q.until) mask |= kFilterUntil;
  if (!q.device_id.empty()) mask |= kFilterDevice;
  if (!q.kind.empty()) mask |= kFilterKind;
  if (!q.origin.empty()) mask |= kFilterOrigin;
  return mask;
}

std::optional<std::string> check_json_text(const std::string& text, bool want_object, const char* field) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::string(field) + " is not valid JSON";
  if (want_object && !parsed.is_object()) return std::string(field) + " must be a JSON object";
  if (!want_object && !parsed.is_array()) return std::string(field) + " must be a JSON array";
  return std::nullopt;
}

// SQLite treats a non-empty file shorter than one page as an empty database
// and would write over it; refuse anything that does not start like a
// database file. A missing or empty file is fine (it becomes a new store).
std::optional<Error> check_database_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;  // missing or unreadable: sqlite3_open_v2 reports it
  char header[kSqliteHeaderMagic.size()] = {};
  in.read(header, static_cast<std::streamsize>(sizeof(header)));
  const std::streamsize n_read = in.gcount();
  if (n_read == 0) return std::nullopt;
  in.clear();
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (std::string_view(header, static_cast<size_t>(n_read)) != kSqliteHeaderMagic || size < kMinDatabaseBytes) {
    return Error{Code::kCorrupt, "history: " + path +
                                     ": file is not a database (SQLITE_NOTADB); move it aside or restore from export"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_command_record(const CommandRecord& c) {
  if (auto bad = check_json_text(c.slots_json, true, "slots_json")) return bad;
  if (auto bad = check_json_text(c.targets_json, false, "targets_json")) return bad;
  if (!std::isfinite(c.confidence) || c.confidence < 0.0 || c.confidence > 1.0) {
    return "confidence must be in [0, 1], got " + std::to_string(c.confidence);
  }
  if (c.latency_us < 0) return "latency_us must be >= 0, got " + std::to_string(c.latency_us);
  return std::nullopt;
}

std::optional<std::string> check_event_record(const EventRecord& e) {
  if (e.device_id.empty()) return std::string("device_id is empty");
  if (e.kind != "action" && e.kind != "state") return "kind must be \"action\" or \"state\", got \"" + e.kind + "\"";
  if (e.command_id < 0) return "command_id must be >= 0, got " + std::to_string(e.command_id);
  return std::nullopt;
}

Result<std::unique_ptr<HistoryStore>> HistoryStore::open(const std::string& path, const HistoryOptions& opt) {
  return SqliteHistoryStore::open(path, opt, HistoryOpenHooks{});
}

Result<std::unique_ptr<HistoryStore>> open_history_store_for_test(const std::string& path,
                                                                  const HistoryOptions& opt,
                                                                  const HistoryOpenHooks& hooks) {
  return SqliteHistoryStore::open(path, opt, hooks);
}

SqliteHistoryStore::SqliteHistoryStore(std::string path, const HistoryOptions& opt, DbPtr db)
    : path_(std::move(path)), read_only_(opt.read_only), busy_timeout_(opt.busy_timeout), db_(std::move(db)) {}

Result<std::unique_ptr<HistoryStore>> SqliteHistoryStore::open(const std::string& path, const HistoryOptions& opt,
                                                               const HistoryOpenHooks& hooks) {
  if (path.empty()) return Error{Code::kBadInput, "history: empty database path"};
  if (opt.busy_timeout.count() < 0 || opt.busy_timeout.count() > std::numeric_limits<int>::max()) {
    return Error{Code::kBadInput, "history: " + path + ": busy_timeout must be in [0, 2^31) ms, got " +
                                      std::to_string(opt.busy_timeout.count())};
  }
  if (std::optional<Error> bad = check_database_header(path)) return *bad;
  std::span<const HistoryMigration> steps = hooks.migrations.empty() ? history_migrations() : hooks.migrations;
  const int target_version = steps.back().version;

  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;  // one thread at a time (history.h)
  flags |= opt.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, hooks.vfs_name.empty() ? nullptr : hooks.vfs_name.c_str());
  DbPtr db(raw);  // sqlite3_open_v2 may hand back a handle even when it fails
  ErrorContext ctx{db.get(), path, opt.busy_timeout};
  if (rc != SQLITE_OK) return sqlite_error(ctx, rc, "opening");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), static_cast<int>(opt.busy_timeout.count()));

  // Read-only checks first: a file we refuse must stay byte-for-byte as it was,
  // so nothing below may run before them (journal_mode=WAL rewrites the header).
  Result<int64_t> version = query_int(ctx, "PRAGMA user_version", "reading the schema version");
  if (!version) return version.error();
  if (*version > target_version || *version < 0) {
    return Error{Code::kUnsupported, "history: " + path + ": schema version " + std::to_string(*version) +
                                         " is newer than this build supports (" + std::to_string(target_version) +
                                         "); upgrade hearth, or open a copy with the build that wrote it"};
  }
  Result<int64_t> app_id = query_int(ctx, "PRAGMA application_id", "reading the application id");
  if (!app_id) return app_id.error();
  if (*app_id != 0 && *app_id != kHistoryApplicationId) {
    return Error{Code::kUnsupported, "history: " + path + ": not a hearth history file (application_id " +
                                         std::to_string(*app_id) + "); choose another path"};
  }

  if (opt.read_only) {
    if (*version < target_version) {
      return Error{Code::kReadOnly, "history: " + path + ": schema v" + std::to_string(*version) +
                                        " must be migrated to v" + std::to_string(target_version) +
                                        ", but the store was opened read-only; open it writable once"};
    }
  } else {
    // SQLite quietly falls back to read-only when the file is not writable.
    if (sqlite3_db_readonly(db.get(), "main") == 1) {
      return Error{Code::kReadOnly, "history: " + path +
                                        ": file is read-only; fix its permissions or open with read_only=true"};
    }
    Result<std::string> mode = query_text(ctx, "PRAGMA journal_mode=WAL", "enabling WAL journal mode");
    if (!mode) return mode.error();
    if (*mode != "wal") {
      return Error{Code::kIo, "history: " + path + ": cannot enable WAL journal mode (still '" + *mode +
                                  "'); the file system may not support shared memory"};
    }
    HEARTH_TRY(exec_sql(ctx, "PRAGMA synchronous=FULL", "setting synchronous=FULL"));
  }
  HEARTH_TRY(exec_sql(ctx, "PRAGMA foreign_keys=ON", "enabling foreign keys"));

  auto store = std::unique_ptr<SqliteHistoryStore>(new SqliteHistoryStore(path, opt, std::move(db)));
  HEARTH_TRY(store->check_integrity());
  if (opt.read_only) {
    store->schema_version_ = static_cast<int>(*version);
  } else {
    Result<int> migrated = apply_history_migrations(store->ctx(), steps);
    if (!migrated) return migrated.error();
    store->schema_version_ = *migrated;
  }
  HEARTH_TRY(store->prepare_statements());
  return std::unique_ptr<HistoryStore>(std::move(store));
}

Result<void> SqliteHistoryStore::prepare_statements() {
  const ErrorContext c = ctx();
  struct Kept {
    habits_sqlite::StmtPtr* slot;
    const char* sql;
  };
  const Kept kept[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&insert_command_,
       "INSERT INTO commands (time_ms, text, intent, slots_json, targets_json, source, origin, confidence, "
       "latency_us, ok, response) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
      {&insert_event_,
       "INSERT INTO events (time_ms, device_id, kind, attribute, old_value, new_value, origin, command_id, result) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&set_event_command_, "UPDATE events SET command_id = ?1 WHERE id = ?2"},
      {&count_commands_, "SELECT COUNT(*) FROM commands"},
      {&count_events_, "SELECT COUNT(*) FROM events"},
  };
  for (const Kept& k : kept) {
    Result<habits_sqlite::StmtPtr> stmt = prepare_kept(c, k.sql);
    if (!stmt) return stmt.error();
    *k.slot = std::move(*stmt);
  }
  return {};
}

Result<void> SqliteHistoryStore::begin_write(std::string_view doing) {
  if (read_only_) {
    return Error{Code::kReadOnly, "history: " + path_ + ": " + std::string(doing) +
                                      ": the store was opened read-only (HistoryOptions::read_only)"};
  }
  StmtReset reset(begin_.get());
  int rc = sqlite3_step(begin_.get());
  if (rc != SQLITE_DONE) return fail(rc, doing);
  return {};
}

Result<void> SqliteHistoryStore::commit(std::string_view doing) {
  StmtReset reset(commit_.get());
  int rc = sqlite3_step(commit_.get());
  if (rc != SQLITE_DONE) return fail(rc, doing);
  return {};
}

void SqliteHistoryStore::rollback_if_open() noexcept {
  // After some errors (I/O, full disk) SQLite has already rolled back.
  if (sqlite3_get_autocommit(db_.get()) != 0) return;
  StmtReset reset(rollback_.get());
  sqlite3_step(rollback_.get());
}

Result<int64_t> SqliteHistoryStore::insert_command(const CommandRecord& c, std::string_view doing) {
  sqlite3_stmt* s = insert_command_.get();
  StmtReset reset(s);
  sqlite3_bind_int64(s, 1, to_unix_ms(c.time));
  bind_string(s, 2, c.text);
  bind_string(s, 3, c.intent);
  bind_string(s, 4, c.slots_json);
  bind_string(s, 5, c.targets_json);
  bind_string(s, 6, c.source);
  bind_string(s, 7, c.origin);
  sqlite3_bind_double(s, 8, c.confidence);
  sqlite3_bind_int64(s, 9, c.latency_us);
  sqlite3_bind_int(s, 10, c.ok ? 1 : 0);
  bind_string(s, 11, c.response);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) return fail(rc, doing);
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.get()));
}

Result<int64_t> SqliteHistoryStore::insert_event(const EventRecord& e, std::string_view doing) {
  sqlite3_stmt* s = insert_event_.get();
  StmtReset reset(s);
  sqlite3_bind_int64(s, 1, to_unix_ms(e.time));
  bind_string(s, 2, e.device_id);
  bind_string(s, 3, e.kind);
  bind_string(s, 4, e.attribute);
  bind_string(s, 5, e.old_value);
  bind_string(s, 6, e.new_value);
  bind_string(s, 7, e.origin);
  if (e.command_id == 0) {
    sqlite3_bind_null(s, 8);
  } else {
    sqlite3_bind_int64(s, 8, e.command_id);
  }
  bind_string(s, 9, e.result);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Error{Code::kBadInput, "history: " + path_ + ": " + std::string(doing) + ": command_id " +
                                      std::to_string(e.command_id) + " does not exist"};
  }
  if (rc != SQLITE_DONE) return fail(rc, doing);
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.get()));
}

Result<int64_t> SqliteHistoryStore::record_command(const CommandRecord& c) {
  const std::string_view doing = "recording a command";
  if (auto bad = check_command_record(c)) {
    return Error{Code::kBadInput, "history: " + path_ + ": " + std::string(doing) + ": " + *bad};
  }
  HEARTH_TRY(begin_write(doing));
  Result<int64_t> id = insert_command(c, doing);
  Result<void> done = id ? commit(doing) : Result<void>(id.error());
  if (!done) {
    rollback_if_open();
    return done.error();
  }
  return id;
}

Result<void> SqliteHistoryStore::record_events(const std::vector<EventRecord>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (auto bad = check_event_record(events[i])) {
      return Error{Code::kBadInput, "history: " + path_ + ": recording event " + std::to_string(i) + ": " + *bad};
    }
  }
  if (events.empty()) return {};
  const std::string_view doing = "recording events";
  HEARTH_TRY(begin_write(doing));
  Result<void> done;
  for (size_t i = 0; i < events.size() && done; ++i) {
    Result<int64_t> id = insert_event(events[i], "recording event " + std::to_string(i));
    if (!id) done = id.error();
  }
  if (done) done = commit(doing);
  if (!done) {
    rollback_if_open();
    return done.error();
  }
  return {};
}

Result<std::vector<int64_t>> SqliteHistoryStore::record_batch(const std::vector<HistoryBatchItem>& items) {
  const std::string_view doing = "recording a batch";
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = "history: " + path_ + ": " + std::string(doing) + ": item " + std::to_string(i) + ": ";
    if (items[i].command) {
      if (auto bad = check_command_record(*items[i].command)) return Error{Code::kBadInput, where + *bad};
    }
    for (const EventRecord& e : items[i].events) {
      if (auto bad = check_event_record(e)) return Error{Code::kBadInput, where + *bad};
    }
  }
  std::vector<int64_t> ids(items.size(), 0);
  if (items.empty()) return ids;
  HEARTH_TRY(begin_write(doing));
  Result<void> done;
  for (size_t i = 0; i < items.size() && done; ++i) {
    int64_t command_id = 0;
    if (items[i].command) {
      Result<int64_t> id = insert_command(*items[i].command, doing);
      if (!id) {
        done = id.error();
        break;
      }
      command_id = ids[i] = *id;
    }
    for (const EventRecord& e : items[i].events) {
      EventRecord linked = e;
      if (command_id != 0) linked.command_id = command_id;
      Result<int64_t> id = insert_event(linked, doing);
      if (!id) {
        done = id.error();
        break;
      }
    }
  }
  if (done) done = commit(doing);
  if (!done) {
    rollback_if_open();
    return done.error();
  }
  return ids;
}

Result<sqlite3_stmt*> SqliteHistoryStore::query_statement(bool events_table, unsigned filter_mask) const {
  auto& cache = events_table ? event_queries_ : command_queries_;
  auto it = cache.find(filter_mask);
  if (it != cache.end()) return it->second.get();
  Result<habits_sqlite::StmtPtr> stmt = prepare_kept(ctx(), query_sql(events_table, filter_mask));
  if (!stmt) return stmt.error();
  sqlite3_stmt* s = stmt->get();
  cache.emplace(filter_mask, std::move(*stmt));
  return s;
}

namespace {

Result<void> check_query(const HistoryQuery& q, const std::string& path) {
  if (q.limit < 1 || q.limit > kMaxQueryLimit) {
    return Error{Code::kBadInput, "history: " + path + ": query limit must be in [1, " +
                                      std::to_string(kMaxQueryLimit) + "], got " + std::to_string(q.limit)};
  }
  if (q.before_id < 0) {
    return Error{Code::kBadInput,
                 "history: " + path + ": query before_id must be >= 0, got " + std::to_string(q.before_id)};
  }
  return {};
}

void bind_query(sqlite3_stmt* s, const HistoryQuery& q) {
  sqlite3_bind_int64(s, 1, q.before_id == 0 ? std::numeric_limits<int64_t>::max() : q.before_id);
  if (q.since) sqlite3_bind_int64(s, 2, to_unix_ms(*q.since));
  if (q.until) sqlite3_bind_int64(s, 3, to_unix_ms(*q.until));
  if (!q.device_id.empty()) bind_string(s, 4, q.device_id);
  if (!q.kind.empty()) bind_string(s, 5, q.kind);
  if (!q.origin.empty()) bind_string(s, 6, q.origin);
  sqlite3_bind_int(s, 7, q.limit);
}

}  // namespace

Result<std::vector<EventRecord>> SqliteHistoryStore::events(const HistoryQuery& q) const {
  HEARTH_TRY(check_query(q, path_));
  Result<sqlite3_stmt*> stmt = query_statement(true, filter_mask(q));
  if (!stmt) return stmt.error();
  sqlite3_stmt* s = *stmt;
  StmtReset reset(s);
  bind_query(s, q);
  std::vector<EventRecord> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    EventRecord e;
    e.id = sqlite3_column_int64(s, 0);
    e.time = from_unix_ms(sqlite3_column_int64(s, 1));
    e.device_id = column_string(s, 2);
    e.kind = column_string(s, 3);
    e.attribute = column_string(s, 4);
    e.old_value = column_string(s, 5);
    e.new_value = column_string(s, 6);
    e.origin = column_string(s, 7);
    e.command_id = sqlite3_column_int64(s, 8);  // NULL reads as 0 = none
    e.result = column_string(s, 9);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return fail(rc, "querying events");
  return out;
}

Result<std::vector<CommandRecord>> SqliteHistoryStore::commands(const HistoryQuery& q) const {
  HEARTH_TRY(check_query(q, path_));
  if (!q.kind.empty()) {
    return Error{Code::kBadInput, "history: " + path_ + ": query kind='" + q.kind +
                                      "' applies to events only; leave it empty for commands"};
  }
  Result<sqlite3_stmt*> stmt = query_statement(false, filter_mask(q));
  if (!stmt) return stmt.error();
  sqlite3_stmt* s = *stmt;
  StmtReset reset(s);
  bind_query(s, q);
  std::vector<CommandRecord> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    CommandRecord c;
    c.id = sqlite3_column_int64(s, 0);
    c.time = from_unix_ms(sqlite3_column_int64(s, 1));
    c.text = column_string(s, 2);
    c.intent = column_string(s, 3);
    c.slots_json = column_string(s, 4);
    c.targets_json = column_string(s, 5);
    c.source = column_string(s, 6);
    c.origin = column_string(s, 7);
    c.confidence = sqlite3_column_double(s, 8);
    c.latency_us = sqlite3_column_int64(s, 9);
    c.ok = sqlite3_column_int(s, 10) != 0;
    c.response = column_string(s, 11);
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return fail(rc, "querying commands");
  return out;
}

Result<EventScan> SqliteHistoryStore::scan_events(int64_t after_id, std::optional<int64_t> since_ms,
                                                 const std::function<void(const EventView&)>& fn) const {
  if (!scan_events_) {
    // "+time_ms" keeps SQLite on the rowid order instead of the time index
    // (which would need a sort of the whole result by id).
    Result<habits_sqlite::StmtPtr> stmt = prepare_kept(
        ctx(), "SELECT id, time_ms, device_id, kind, attribute, new_value, origin, result FROM events "
               "WHERE id > ?1 AND +time_ms >= ?2 ORDER BY id");
    if (!stmt) return stmt.error();
    scan_events_ = std::move(*stmt);
  }
  sqlite3_stmt* s = scan_events_.get();
  StmtReset reset(s);
  sqlite3_bind_int64(s, 1, after_id);
  sqlite3_bind_int64(s, 2, since_ms.value_or(std::numeric_limits<int64_t>::min()));
  auto text = [s](int col) {
    const unsigned char* p = sqlite3_column_text(s, col);   // NULL (a damaged row) reads as ""
    return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, col)))
             : std::string_view();
  };
  EventScan out;
  out.last_id = after_id;
  EventView v;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    v.id = sqlite3_column_int64(s, 0);
    v.time_ms = sqlite3_column_int64(s, 1);
    v.device_id = text(2);
    v.kind = text(3);
    v.attribute = text(4);
    v.new_value = text(5);
    v.origin = text(6);
    v.result = text(7);
    fn(v);
    out.last_id = v.id;
    ++out.rows;
  }
  if (rc != SQLITE_DONE) return fail(rc, "scanning events");
  return out;
}

Result<int64_t> SqliteHistoryStore::count_events() const {
  sqlite3_stmt* s = count_events_.get();
  StmtReset reset(s);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) return fail(rc, "counting events");
  return static_cast<int64_t>(sqlite3_column_int64(s, 0));
}

Result<int64_t> SqliteHistoryStore::count_commands() const {
  sqlite3_stmt* s = count_commands_.get();
  StmtReset reset(s);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) return fail(rc, "counting commands");
  return static_cast<int64_t>(sqlite3_column_int64(s, 0));
}

Result<void> SqliteHistoryStore::check_integrity() const {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), "PRAGMA quick_check", -1, &raw, nullptr);
  habits_sqlite::StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return fail(rc, "checking integrity");
  std::string problems;
  int n_problems = 0;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    std::string line = column_string(stmt.get(), 0);
    if (line == "ok") continue;
    if (n_problems < kMaxIntegrityMessages) problems += (n_problems == 0 ? "" : "; ") + line;
    ++n_problems;
  }
  if (rc != SQLITE_DONE) return fail(rc, "checking integrity");
  if (n_problems > 0) {
    return Error{Code::kCorrupt, "history: " + path_ + ": integrity check failed (" + std::to_string(n_problems) +
                                     " problems: " + problems + "); move it aside or restore from export"};
  }
  return {};
}

}  // namespace hearth
