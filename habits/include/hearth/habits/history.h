// habits/history.h: the history store — every command the hub heard and
// every device action and state change, in one SQLite file (WAL mode, schema
// versioned with forward migrations). The routine miner (a later layer)
// reads it; the daemon writes it.
//
// Threading: a HistoryStore is used by one thread at a time (the daemon runs
// all calls on a single writer thread). Each record_*() call is one
// transaction: after it returns ok the data survives kill -9 and power loss
// (synchronous=FULL in WAL mode).
//
// Failure policy: a read-only, locked, full or corrupt database gives a clear
// Error (kReadOnly, kBusy, kIo, kCorrupt) naming the file; it never destroys
// what was stored.
//
// Times are stored as Unix milliseconds: sub-millisecond parts are dropped.
// open() runs PRAGMA quick_check, so it reads the whole file once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/clock.h"
#include "hearth/common/result.h"

namespace hearth {

// v1: commands, events. v2: routines, suggestions, routine_runs (routines.h).
inline constexpr int kHistorySchemaVersion = 2;

struct CommandRecord {
  int64_t id = 0;                                  // assigned by the store
  std::chrono::system_clock::time_point time;      // when the command arrived
  std::string text;                                // what was said or typed
  std::string intent;                              // "HassTurnOff", "" = not understood
  std::string slots_json = "{}";                   // intent slots as a JSON object
  std::string targets_json = "[]";                 // resolved device ids as a JSON array
  std::string source;                              // template | custom | llm | cloud | none
  std::string origin = "api";                      // voice | app | api | cli
  double confidence = 0.0;                         // 0..1
  int64_t latency_us = 0;                          // text in → all actions done
  bool ok = false;                                 // every action succeeded
  std::string response;                            // answer given to the user
};

struct EventRecord {
  int64_t id = 0;                                  // assigned by the store
  std::chrono::system_clock::time_point time;
  std::string device_id;                           // "light.kitchen_ceiling"
  std::string kind;                                // "action" (a command sent) | "state" (a change seen)
  std::string attribute;                           // kind=state: "state", "brightness", ...; kind=action: the action
  std::string old_value;                           // text form (value_to_string); "" for actions
  std::string new_value;                           // kind=state: new value; kind=action: params JSON
  std::string origin;                              // voice | app | api | schedule | device
  int64_t command_id = 0;                          // CommandRecord::id that caused it, 0 = none
  std::string result;                              // kind=action: "ok" or the error code name
};

// One unit of a group commit (HistoryStore::record_batch).
struct HistoryBatchItem {
  std::optional<CommandRecord> command;            // absent: events only
  std::vector<EventRecord> events;                 // caused by `command` when it is present
};

struct HistoryQuery {
  int64_t before_id = 0;                           // paging: only ids < before_id (0 = newest)
  int limit = 100;                                 // 1..1000
  std::optional<std::chrono::system_clock::time_point> since, until;  // [since, until)
  std::string device_id;                           // "" = all
  std::string kind;                                // "" = all
  std::string origin;                              // "" = all
};

struct HistoryOptions {
  bool read_only = false;                          // open without writing (export, inspection)
  std::chrono::milliseconds busy_timeout{2000};    // wait this long for a lock before kBusy
};

// One events-table row as the miner reads it: views into the database's
// buffers, valid only during the scan callback.
struct EventView {
  int64_t id = 0;
  int64_t time_ms = 0;                             // Unix milliseconds
  std::string_view device_id, kind, attribute, new_value, origin, result;
};

struct EventScan {
  int64_t rows = 0;                                // rows passed to the callback
  int64_t last_id = 0;                             // highest id passed to fn, else after_id (the next scan's after_id)
};

class HistoryStore {
 public:
  // Opens or creates `path`, applies migrations up to kHistorySchemaVersion.
  // A newer schema than this build knows → kUnsupported; not a database or
  // failed integrity check → kCorrupt; directory not writable → kReadOnly.
  static Result<std::unique_ptr<HistoryStore>> open(const std::string& path, const HistoryOptions& opt = {});
  virtual ~HistoryStore() = default;

  virtual int schema_version() const = 0;
  virtual const std::string& path() const = 0;

  // Returns the new command id.
  virtual Result<int64_t> record_command(const CommandRecord& c) = 0;
  // All events in one transaction.
  virtual Result<void> record_events(const std::vector<EventRecord>& events) = 0;
  // Group commit: every item in ONE transaction (one fsync for a burst of
  // writes). An item is a command and the events it caused (their command_id
  // is set to the new command's id), or events alone. All or nothing; returns
  // the new command ids, 0 for items without a command.
  virtual Result<std::vector<int64_t>> record_batch(const std::vector<HistoryBatchItem>& items) = 0;

  // Newest first.
  virtual Result<std::vector<EventRecord>> events(const HistoryQuery& q) const = 0;
  virtual Result<std::vector<CommandRecord>> commands(const HistoryQuery& q) const = 0;
  // Streams the events with id > after_id, oldest id first, to `fn`: one
  // prepared statement in rowid order reading only the miner's columns, no
  // allocation per row. With since_ms, rows older than that are skipped
  // (and re-read, then skipped again, by a later scan). For incremental mining: keep last_id
  // and scan again later for what was added since.
  virtual Result<EventScan> scan_events(int64_t after_id, std::optional<int64_t> since_ms,
                                        const std::function<void(const EventView&)>& fn) const = 0;
  virtual Result<int64_t> count_events() const = 0;
  virtual Result<int64_t> count_commands() const = 0;

  // JSON lines, one object per record, oldest first:
  // {"type":"command",...} / {"type":"event",...}. Import appends (new ids),
  // all or nothing; a bad line → kBadInput naming the line number.
  virtual Result<int64_t> export_jsonl(std::ostream& out) const = 0;
  virtual Result<int64_t> import_jsonl(std::istream& in) = 0;

  // PRAGMA quick_check; ok when the file is sound.
  virtual Result<void> check_integrity() const = 0;
};

}  // namespace hearth
