// habits/src/sqlite_util.h: small RAII wrappers around the SQLite C API and
// the mapping from SQLite result codes to hearth::Error. Private to habits/;
// SQLite types never leave this folder.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "hearth/common/result.h"

namespace hearth::habits_sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Resets a kept statement and clears its bindings when the scope ends, so a
// statement never holds a read snapshot or a stale value past one use.
class StmtReset {
 public:
  explicit StmtReset(sqlite3_stmt* s) : s_(s) {}
  ~StmtReset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StmtReset(const StmtReset&) = delete;
  StmtReset& operator=(const StmtReset&) = delete;

 private:
  sqlite3_stmt* s_;
};

// "SQLITE_BUSY", "SQLITE_NOTADB", ...: the name of a primary result code.
const char* sqlite_code_name(int rc);

// Everything the error mapper needs to write a message that names the file.
struct ErrorContext {
  sqlite3* db = nullptr;                       // may be null (open failed before a handle existed)
  std::string_view path;                       // the database file
  std::chrono::milliseconds busy_timeout{0};   // quoted in kBusy messages
};

// Maps a failed SQLite call to an Error:
//   NOTADB, CORRUPT → kCorrupt; READONLY, PERM → kReadOnly; BUSY, LOCKED →
//   kBusy; FULL, IOERR → kIo; CANTOPEN → kNotFound / kReadOnly / kIo after
//   looking at the file system; CONSTRAINT, MISMATCH, RANGE → kBadInput;
//   everything else → kInternal.
// `doing` says what the store was doing ("recording a command"); it is left
// out for damaged files, where the fix matters more than the operation.
Error sqlite_error(const ErrorContext& ctx, int rc, std::string_view doing);

// Runs one or more SQL statements with no results.
Result<void> exec_sql(const ErrorContext& ctx, const char* sql, std::string_view doing);

// Runs a statement that returns one integer (PRAGMA user_version, COUNT(*)).
Result<int64_t> query_int(const ErrorContext& ctx, const char* sql, std::string_view doing);

// Runs a statement that returns one text value (PRAGMA journal_mode=WAL).
Result<std::string> query_text(const ErrorContext& ctx, const char* sql, std::string_view doing);

// Prepares a statement that lives as long as the store (SQLITE_PREPARE_PERSISTENT).
Result<StmtPtr> prepare_kept(const ErrorContext& ctx, const std::string& sql);

// Text of column `col`, "" for NULL.
std::string column_string(sqlite3_stmt* s, int col);

inline int bind_string(sqlite3_stmt* s, int idx, const std::string& v) {
  return sqlite3_bind_text(s, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

}  // namespace hearth::habits_sqlite
