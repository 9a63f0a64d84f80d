// daemon/src/cli_habits.h: `hearth habits ...` and `hearth history ...`
// (issue 8): mine a history file, import/export events as JSON lines, and
// generate a simulated household's history. Private to daemon/; called by
// hearth_cli.cc's main() and by the unit tests.
//
// Event lines (import and export), one JSON object per line:
//   {"ts": "2026-03-01T22:41:07+01:00", "device": "light.bedside_left",
//    "attribute": "state", "value": "off", "origin": "voice"}
// Optional: "kind" ("state", the default, or "action": then "attribute" is the
// action and "value" its params object), "old_value", "result" ("ok").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/habits/history.h"
#include "hearth/habits/time_zone.h"

namespace hearth {

// Exit codes of the habits/history commands.
inline constexpr int kCliOk = 0;
inline constexpr int kCliFailed = 1;   // unreadable db/file, or (import) any malformed line
inline constexpr int kCliUsage = 2;

// One event line → EventRecord; the error names the field.
Result<EventRecord> event_from_line(std::string_view line);
// EventRecord → one line (no newline), time as local ISO-8601 in `tz`.
std::string event_to_line(const EventRecord& e, const TimeZone& tz);

struct ImportReport {
  int64_t n_lines = 0;        // non-blank lines read
  int64_t n_imported = 0;     // events written
  int64_t n_bad = 0;          // malformed lines (each reported on `err` with its line number)
};
// Reads event lines from `in` and writes them in batches; a malformed line is
// reported ("line 7: ts: ...") and skipped. Fails only when the store does.
Result<ImportReport> import_event_lines(std::istream& in, HistoryStore& store, std::ostream& err);
// Writes every event, oldest first. Returns the count.
Result<int64_t> export_event_lines(const HistoryStore& store, const TimeZone& tz, std::ostream& out);

// `args` are the words after "habits" / "history".
int run_habits_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int run_history_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hearth
