// tests/unit/habits/history_test_util.h: temp directories, record builders
// and raw SQLite access for the history store tests.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "hearth/common/clock.h"
#include "hearth/habits/history.h"

namespace hearth::testing {

// A fresh directory under /tmp, removed (permissions restored first) at scope end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/hearth_habits_XXXXXX";
    const char* made = mkdtemp(tmpl);
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = made != nullptr ? made : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
      std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   ec);
    }
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Millisecond-aligned wall times (the store keeps milliseconds).
inline std::chrono::system_clock::time_point at_ms(int64_t ms) { return from_unix_ms(ms); }
inline constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14, an arbitrary fixed start

inline CommandRecord make_command(int i, const std::string& origin = "voice") {
  CommandRecord c;
  c.time = at_ms(kT0 + i * 1000);
  c.text = "turn off the kitchen light " + std::to_string(i);
  c.intent = "HassTurnOff";
  c.slots_json = R"({"name":"kitchen light","area":"kitchen"})";
  c.targets_json = R"(["light.kitchen_ceiling","light.kitchen_counter"])";
  c.source = "template";
  c.origin = origin;
  c.confidence = 0.875;
  c.latency_us = 81234 + i;
  c.ok = (i % 3) != 0;
  c.response = "Turned off the kitchen light";
  return c;
}

inline EventRecord make_event(int i, const std::string& device = "light.kitchen_ceiling",
                              const std::string& kind = "state", int64_t command_id = 0) {
  EventRecord e;
  e.time = at_ms(kT0 + i * 1000 + 10);
  e.device_id = device;
  e.kind = kind;
  e.attribute = kind == "state" ? "brightness" : "turn_off";
  e.old_value = kind == "state" ? std::to_string(i) : "";
  e.new_value = kind == "state" ? std::to_string(i + 1) : "{}";
  e.origin = "voice";
  e.command_id = command_id;
  e.result = kind == "action" ? "ok" : "";
  return e;
}

inline std::unique_ptr<HistoryStore> open_ok(const std::string& path, const HistoryOptions& opt = {}) {
  Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path, opt);
  if (!r) {
    ADD_FAILURE() << "open " << path << ": " << r.error().message;
    return nullptr;
  }
  return std::move(*r);
}

// A raw SQLite connection for setting up files and holding locks.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "sqlite3_open " << path;
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Returns the SQLite result code; fails the test on error unless allowed.
  int exec(const std::string& sql, bool allow_error = false) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
    if (rc != SQLITE_OK && !allow_error) ADD_FAILURE() << sql << ": " << (msg ? msg : "?");
    sqlite3_free(msg);
    return rc;
  }
  int64_t query_int(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      v = sqlite3_column_int64(s, 0);
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_finalize(s);
    return v;
  }
  std::string query_text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::string v;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      v = t ? reinterpret_cast<const char*>(t) : "";
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_finalize(s);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace hearth::testing
