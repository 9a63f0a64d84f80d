// habits/src/time_zone.cc: TimeZone tables built from glibc's localtime_r.
#include "hearth/habits/time_zone.h"

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>

namespace hearth {

struct TimeZone::Table {
  std::string name;
  int initial_offset_s = 0;              // before the first transition
  std::vector<Transition> transitions;   // ascending utc_s
};

namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int kProbeFirstYear = 1970;
constexpr int kProbeEndYear = 2100;   // exclusive

// The environment is process-wide: every TZ switch happens under this lock,
// and the previous value is restored before it is released.
std::mutex& tz_env_mutex() {
  static std::mutex mu;
  return mu;
}

int probe_offset(int64_t utc_s) {
  time_t t = static_cast<time_t>(utc_s);
  struct tm tm_local {};
  localtime_r(&t, &tm_local);
  return static_cast<int>(tm_local.tm_gmtoff);
}

bool zone_file_exists(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) return false;
  const char* dir = getenv("TZDIR");
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::path(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") / name;
  return std::filesystem::is_regular_file(file, ec);
}

std::shared_ptr<const TimeZone::Table> build_table(const std::string& name) {
  auto table = std::make_shared<TimeZone::Table>();
  table->name = name;
  std::lock_guard<std::mutex> lock(tz_env_mutex());
  const char* old = getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  const bool had_tz = old != nullptr;
  setenv("TZ", name.c_str(), 1);
  tzset();
  const int64_t first = days_from_civil({kProbeFirstYear, 1, 1}) * kSecondsPerDay;
  const int64_t end = days_from_civil({kProbeEndYear, 1, 1}) * kSecondsPerDay;
  int current = probe_offset(first);
  table->initial_offset_s = current;
  // Daily probes find each change; bisection finds its exact second.
  for (int64_t t = first + kSecondsPerDay; t < end; t += kSecondsPerDay) {
    const int next = probe_offset(t);
    if (next == current) continue;
    int64_t lo = t - kSecondsPerDay;  // offset == current
    int64_t hi = t;                   // offset == next
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (probe_offset(mid) == current) lo = mid; else hi = mid;
    }
    table->transitions.push_back({hi, next});
    current = next;
  }
  if (had_tz) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
  return table;
}

std::shared_ptr<const TimeZone::Table> utc_table() {
  static const auto kUtc = [] {
    auto t = std::make_shared<TimeZone::Table>();
    t->name = "UTC";
    return std::shared_ptr<const TimeZone::Table>(t);
  }();
  return kUtc;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

int64_t days_from_civil(const CivilDate& d) {
  // Howard Hinnant's algorithm: days since 1970-01-01, proleptic Gregorian.
  const int64_t y = static_cast<int64_t>(d.year) - (d.month <= 2 ? 1 : 0);
  const int64_t era = floor_div(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t mp = (d.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = floor_div(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDate out;
  out.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  out.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  out.year = static_cast<int>(yoe + era * 400 + (out.month <= 2 ? 1 : 0));
  return out;
}

std::string format_civil_date(int64_t days) {
  const CivilDate d = civil_from_days(days);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

bool parse_civil_date(std::string_view text, int64_t* days) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  auto digits = [&](size_t pos, size_t n, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  CivilDate d;
  if (!digits(0, 4, &d.year) || !digits(5, 2, &d.month) || !digits(8, 2, &d.day)) return false;
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) return false;
  const int64_t n = days_from_civil(d);
  const CivilDate back = civil_from_days(n);
  if (back.day != d.day || back.month != d.month) return false;  // 2023-02-30
  *days = n;
  return true;
}

TimeZone::TimeZone() : table_(utc_table()) {}

Result<TimeZone> TimeZone::load(std::string_view name_view) {
  const std::string name(name_view);
  if (name == "UTC" || name == "Etc/UTC") return TimeZone();
  if (!zone_file_exists(name)) {
    return Error{Code::kNotFound, "time zone '" + name +
                                      "' is not in the TZ database (/usr/share/zoneinfo); use a name such as "
                                      "Europe/Berlin or UTC, or install tzdata"};
  }
  static std::mutex cache_mu;
  static std::map<std::string, std::shared_ptr<const Table>> cache;
  std::lock_guard<std::mutex> lock(cache_mu);
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, build_table(name)).first;
  return TimeZone(it->second);
}

const std::string& TimeZone::name() const { return table_->name; }

const std::vector<TimeZone::Transition>& TimeZone::transitions() const { return table_->transitions; }

int TimeZone::offset_seconds(int64_t utc_s) const {
  const auto& tr = table_->transitions;
  auto it = std::upper_bound(tr.begin(), tr.end(), utc_s,
                             [](int64_t t, const Transition& x) { return t < x.utc_s; });
  if (it == tr.begin()) return table_->initial_offset_s;
  return std::prev(it)->offset_s;
}

LocalTime TimeZone::to_local_seconds(int64_t utc_s) const {
  LocalTime out;
  out.utc_offset_s = offset_seconds(utc_s);
  const int64_t local = utc_s + out.utc_offset_s;
  out.day = floor_div(local, kSecondsPerDay);
  out.second_of_day = static_cast<int>(local - out.day * kSecondsPerDay);
  out.weekday = weekday_from_days(out.day);
  return out;
}

LocalTime TimeZone::to_local(std::chrono::system_clock::time_point t) const {
  const int64_t s = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  return to_local_seconds(s);
}

int64_t TimeZone::from_local_seconds(int64_t day, int second_of_day) const {
  const int64_t local = day * kSecondsPerDay + second_of_day;
  // Offsets in force a day before and a day after bracket every candidate.
  const int before = offset_seconds(local - kSecondsPerDay);
  const int after = offset_seconds(local + kSecondsPerDay);
  int64_t best = 0;
  bool found = false;
  for (int off : {before, after}) {
    const int64_t utc = local - off;
    if (offset_seconds(utc) == off && (!found || utc < best)) {
      best = utc;
      found = true;
    }
  }
  if (found) return best;
  // A gap: the local time does not exist. Reading it with the offset from
  // before the gap lands the same distance past the transition.
  return local - before;
}

std::chrono::system_clock::time_point TimeZone::from_local(int64_t day, int second_of_day) const {
  return std::chrono::system_clock::time_point(std::chrono::seconds(from_local_seconds(day, second_of_day)));
}

}  // namespace hearth
