#include "hearth/common/clock.h"

#include <cstdio>
#include <ctime>
#include <string>

namespace hearth {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

std::string format_iso8601_utc(std::chrono::system_clock::time_point t) {
  const int64_t ms = to_unix_ms(t);
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int millis = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char buf[96];  // sized for any int fields
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

}  // namespace hearth
