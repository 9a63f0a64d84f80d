#include "sqlite_util.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

namespace hearth::habits_sqlite {

const char* sqlite_code_name(int rc) {
  switch (rc & 0xff) {
    case SQLITE_OK: return "SQLITE_OK";
    case SQLITE_ERROR: return "SQLITE_ERROR";
    case SQLITE_INTERNAL: return "SQLITE_INTERNAL";
    case SQLITE_PERM: return "SQLITE_PERM";
    case SQLITE_ABORT: return "SQLITE_ABORT";
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND: return "SQLITE_NOTFOUND";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
    case SQLITE_SCHEMA: return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_MISUSE: return "SQLITE_MISUSE";
    case SQLITE_NOLFS: return "SQLITE_NOLFS";
    case SQLITE_AUTH: return "SQLITE_AUTH";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    default: return "SQLITE_UNKNOWN";
  }
}

namespace {

// SQLite's own text for the failure: the connection's message when it
// belongs to this failure, else the generic text for the code.
std::string sqlite_detail(sqlite3* db, int rc) {
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) return sqlite3_errmsg(db);
  return sqlite3_errstr(rc);
}

// SQLITE_CANTOPEN says only "unable to open"; the file system says why.
Error cantopen_error(std::string_view path, const std::string& prefix, const std::string& code) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path file(path);
  fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) {
    return Error{Code::kNotFound,
                 prefix + "directory " + dir.string() + " does not exist (" + code + "); create it first"};
  }
  bool file_exists = fs::exists(file, ec);
  if (!file_exists && access(dir.c_str(), W_OK) != 0) {
    return Error{Code::kReadOnly,
                 prefix + "directory " + dir.string() + " is not writable (" + code + "); fix its permissions"};
  }
  if (!file_exists) {
    return Error{Code::kNotFound, prefix + "file does not exist (" + code + ")"};
  }
  if (access(file.c_str(), R_OK) != 0) {
    return Error{Code::kReadOnly, prefix + "file is not readable (" + code + "); fix its permissions"};
  }
  if (access(dir.c_str(), W_OK) != 0) {
    // WAL mode needs to create x.db-wal and x.db-shm beside the file.
    return Error{Code::kReadOnly, prefix + "directory " + dir.string() + " is not writable (" + code +
                                      "); SQLite needs to create the -wal and -shm files there"};
  }
  return Error{Code::kIo, prefix + "unable to open the file (" + code + ")"};
}

// SQLITE_READONLY names no culprit; say whether it is the file or the directory.
Error readonly_error(std::string_view path, const std::string& prefix, const std::string& detail,
                     const std::string& code) {
  namespace fs = std::filesystem;
  fs::path file(path);
  fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  if (access(file.c_str(), W_OK) != 0) {
    return Error{Code::kReadOnly, prefix + "file is read-only (" + code +
                                      "); fix its permissions or open with read_only=true"};
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return Error{Code::kReadOnly, prefix + "directory " + dir.string() + " is not writable (" + code +
                                      "); SQLite needs to create the -wal and -shm files there"};
  }
  return Error{Code::kReadOnly, prefix + detail + " (" + code +
                                    "); check write permission on the file and its directory"};
}

}  // namespace

Error sqlite_error(const ErrorContext& ctx, int rc, std::string_view doing) {
  const std::string code = sqlite_code_name(rc);
  const std::string detail = sqlite_detail(ctx.db, rc);
  const std::string file_prefix = "history: " + std::string(ctx.path) + ": ";
  const std::string prefix = file_prefix + (doing.empty() ? "" : std::string(doing) + ": ");
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return Error{Code::kCorrupt, file_prefix + "file is not a database (SQLITE_NOTADB); "
                                                 "move it aside or restore from export"};
    case SQLITE_CORRUPT:
      return Error{Code::kCorrupt, file_prefix + "database disk image is malformed (SQLITE_CORRUPT: " + detail +
                                       "); move it aside or restore from export"};
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return readonly_error(ctx.path, prefix, detail, code);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{Code::kBusy, prefix + "database is locked by another connection (" + code + ") after waiting " +
                                    std::to_string(ctx.busy_timeout.count()) + " ms; retry later"};
    case SQLITE_FULL:
      return Error{Code::kIo, prefix + "disk is full (SQLITE_FULL); free some space"};
    case SQLITE_IOERR:
      return Error{Code::kIo, prefix + detail + " (" + code + ", extended code " + std::to_string(rc) +
                                  "); check the disk"};
    case SQLITE_CANTOPEN:
      return cantopen_error(ctx.path, prefix, code);
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return Error{Code::kBadInput, prefix + detail + " (" + code + ")"};
    default:
      return Error{Code::kInternal, prefix + detail + " (" + code + ")"};
  }
}

Result<void> exec_sql(const ErrorContext& ctx, const char* sql, std::string_view doing) {
  int rc = sqlite3_exec(ctx.db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(ctx, rc, doing);
  return {};
}

Result<int64_t> query_int(const ErrorContext& ctx, const char* sql, std::string_view doing) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(ctx.db, sql, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return sqlite_error(ctx, rc, doing);
  rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return sqlite_error(ctx, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, doing);
  return static_cast<int64_t>(sqlite3_column_int64(stmt.get(), 0));
}

Result<std::string> query_text(const ErrorContext& ctx, const char* sql, std::string_view doing) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(ctx.db, sql, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return sqlite_error(ctx, rc, doing);
  rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return sqlite_error(ctx, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, doing);
  return column_string(stmt.get(), 0);
}

Result<StmtPtr> prepare_kept(const ErrorContext& ctx, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(ctx.db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                              nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return sqlite_error(ctx, rc, "preparing a statement");
  return stmt;
}

std::string column_string(sqlite3_stmt* s, int col) {
  const unsigned char* text = sqlite3_column_text(s, col);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(s, col)));
}

}  // namespace hearth::habits_sqlite
