// habits/time_zone.h: local civil time for the habit miner and the routine
// scheduler. Habits live on the household's wall clock ("22:40 on
// weekdays"), so every conversion goes through an explicit TimeZone rather
// than the process's TZ.
//
// A TimeZone is loaded once from the system TZ database (/usr/share/zoneinfo,
// or $TZDIR) by probing glibc's localtime_r for 1970..2100 and keeping the
// UTC-offset transitions in a table; after that every conversion is a table
// lookup, thread-safe and independent of the process environment. Outside
// 1970..2100 the nearest known offset applies. Two transitions less than
// a day apart (none exist in the current database) would be merged.
//
// Civil days are counted as days since 1970-01-01 (a Thursday); weekdays are
// numbered 0 = Monday .. 6 = Sunday.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"

namespace hearth {

struct LocalTime {
  int64_t day = 0;            // civil days since 1970-01-01 in the zone
  int second_of_day = 0;      // 0..86399 on the local clock
  int weekday = 0;            // 0 = Monday .. 6 = Sunday
  int utc_offset_s = 0;       // local - UTC, seconds (3600 for CET, 7200 for CEST)
  int minute_of_day() const { return second_of_day / 60; }
};

struct CivilDate {
  int year = 1970;
  int month = 1;              // 1..12
  int day = 1;                // 1..31
};

// Proleptic Gregorian conversions (days since 1970-01-01).
int64_t days_from_civil(const CivilDate& d);
CivilDate civil_from_days(int64_t days);
inline int weekday_from_days(int64_t days) { return static_cast<int>(((days % 7) + 7 + 3) % 7); }
// "2024-03-31"
std::string format_civil_date(int64_t days);
// Parses "YYYY-MM-DD"; false when malformed or out of range.
bool parse_civil_date(std::string_view text, int64_t* days);

class TimeZone {
 public:
  // UTC (no transitions).
  TimeZone();
  // "Europe/Berlin", "America/New_York", "UTC". The zone file must exist in
  // the TZ database; an unknown name → kNotFound (glibc would silently use
  // UTC instead). Loading costs a few milliseconds the first time a name is
  // used in the process; later loads share the table. Thread-safe.
  static Result<TimeZone> load(std::string_view name);

  const std::string& name() const;

  // Seconds to add to UTC to get local clock time at the UTC instant.
  int offset_seconds(int64_t utc_s) const;
  LocalTime to_local(std::chrono::system_clock::time_point t) const;
  LocalTime to_local_seconds(int64_t utc_s) const;

  // The UTC instant at which the local clock shows `second_of_day` on civil
  // day `day`. In a spring-forward gap (02:30 in Berlin on the last Sunday of
  // March) the time is moved forward by the length of the gap (03:30 CEST);
  // in a fall-back overlap the earlier of the two instants is returned.
  int64_t from_local_seconds(int64_t day, int second_of_day) const;
  std::chrono::system_clock::time_point from_local(int64_t day, int second_of_day) const;

  // The offset transitions, UTC seconds (for tests and diagnostics).
  struct Transition {
    int64_t utc_s;            // first second with the new offset
    int offset_s;             // the new offset
  };
  const std::vector<Transition>& transitions() const;

  struct Table;  // opaque; shared between copies

 private:
  explicit TimeZone(std::shared_ptr<const Table> table) : table_(std::move(table)) {}
  std::shared_ptr<const Table> table_;
};

}  // namespace hearth
