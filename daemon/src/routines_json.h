// daemon/src/routines_json.h: JSON forms of habits types for the routine API
// and the `hearth habits` / `hearth history` CLI, and the ISO-8601 times they
// use. Private to daemon/.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hearth/common/result.h"
#include "hearth/habits/miner.h"
#include "hearth/habits/routines.h"
#include "hearth/habits/time_zone.h"

namespace hearth {

// The system's zone name: $TZ, else the /etc/localtime link, else
// /etc/timezone, else "UTC" (whichever first names a loadable zone).
std::string system_time_zone_name();
// "2026-11-22T22:40:00+01:00" (local time of `tz` with its offset).
std::string format_iso8601_local(std::chrono::system_clock::time_point t, const TimeZone& tz);
// "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z" or "±HH:MM" (or "±HHMM");
// a space may replace the "T". False when malformed or out of range.
bool parse_iso8601(std::string_view text, std::chrono::system_clock::time_point* out);
// "22:40" → 1360; false unless HH:MM with HH < 24 and MM < 60.
bool parse_clock_time(std::string_view text, int* minute_of_day);
// "weekdays" | "weekends" | "every day" | "daily" | ["mon", "tue", ...] → days mask (bit 0 = Monday).
bool parse_days(const nlohmann::json& j, uint8_t* mask);

nlohmann::json routine_json(const Routine& r);
// A stored routine, with its next planned run ("next_run": ISO local time or null).
nlohmann::json stored_routine_json(const StoredRoutine& r,
                                   std::optional<std::chrono::system_clock::time_point> next_run,
                                   const TimeZone& tz);
nlohmann::json suggestion_json(const Suggestion& s, const TimeZone& tz);
nlohmann::json run_json(const RoutineRun& r, const TimeZone& tz);
// {"window": {"first_day", "last_day"}, "stats": {...}, "routines": [...]}.
nlohmann::json mining_json(const MiningResult& m);

// A routine from the API's body: {"name", "time": "22:40", "days": "weekdays",
// "actions": [{"device_id", "action", "params"?}], "description"?} (a
// time-anchored routine). Errors name the field (kBadInput).
Result<Routine> routine_from_json(const nlohmann::json& body);
// Applies the fields present in a PATCH body ("name", "time", "days",
// "actions", "enabled", "adaptive") to `r`. kBadInput naming the field.
Result<void> apply_routine_patch(const nlohmann::json& body, StoredRoutine& r);

}  // namespace hearth
