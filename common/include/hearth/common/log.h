// common/log.h: leveled, printf-style logging with per-call-site rate limiting
// and counters. Every module logs through these macros; tests assert on
// log_counters(), never on log text.
//
//   HEARTH_LOG_WARN("devices", "mqtt %s: no reply after %d ms", id.c_str(), ms);
//
// Warnings and errors are rate limited per call site: at most
// kLogBurst messages per kLogWindow; the next one after a quiet period carries
// "(suppressed N similar)". Thread-safe; output goes to stderr (or a sink set
// with set_log_sink).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace hearth {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

std::string_view log_level_name(LogLevel level);
// Parses "debug" | "info" | "warn" | "error" | "off"; returns false if unknown.
bool parse_log_level(std::string_view text, LogLevel* out);

void set_log_level(LogLevel level);
LogLevel log_level();

// Replaces the output (default: one line per message to stderr). The sink
// receives the fully formatted line without a trailing newline. Pass nullptr
// to restore stderr.
using LogSink = std::function<void(LogLevel, std::string_view line)>;
void set_log_sink(LogSink sink);

// Messages emitted per level, and messages dropped by rate limiting.
struct LogCounters {
  uint64_t emitted[5] = {};
  uint64_t suppressed = 0;
};
LogCounters log_counters();
void reset_log_counters_for_test();

inline constexpr int kLogBurst = 5;                          // messages per window per site
inline constexpr std::chrono::seconds kLogWindow{10};        // rate-limit window

// One per call site (the macros declare it). Not for direct use.
struct LogSite {
  std::atomic<int64_t> window_start_ms{-1};
  std::atomic<int> in_window{0};
  std::atomic<int> suppressed{0};
};

// Not for direct use: the macros call this. site may be null (no limit).
void log_message(LogLevel level, LogSite* site, const char* tag, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

// Test hook: the rate limiter's notion of now (steady ms). nullptr = real clock.
void set_log_clock_for_test(std::function<int64_t()> now_ms);

}  // namespace hearth

#define HEARTH_LOG_AT_(level, site, tag, ...)                              \
  do {                                                                     \
    if (static_cast<int>(level) >= static_cast<int>(::hearth::log_level())) \
      ::hearth::log_message(level, site, tag, __VA_ARGS__);                \
  } while (0)

#define HEARTH_LOG_DEBUG(tag, ...) HEARTH_LOG_AT_(::hearth::LogLevel::kDebug, nullptr, tag, __VA_ARGS__)
#define HEARTH_LOG_INFO(tag, ...) HEARTH_LOG_AT_(::hearth::LogLevel::kInfo, nullptr, tag, __VA_ARGS__)
#define HEARTH_LOG_WARN(tag, ...)                                          \
  do {                                                                     \
    static ::hearth::LogSite hearth_log_site_;                             \
    HEARTH_LOG_AT_(::hearth::LogLevel::kWarn, &hearth_log_site_, tag, __VA_ARGS__); \
  } while (0)
#define HEARTH_LOG_ERROR(tag, ...)                                         \
  do {                                                                     \
    static ::hearth::LogSite hearth_log_site_;                             \
    HEARTH_LOG_AT_(::hearth::LogLevel::kError, &hearth_log_site_, tag, __VA_ARGS__); \
  } while (0)

// Always-on invariant check: aborts with file:line and the reason.
#define HEARTH_CHECK(cond, why)                                            \
  do {                                                                     \
    if (!(cond)) ::hearth::check_failed(__FILE__, __LINE__, #cond, why);   \
  } while (0)
#ifdef NDEBUG
#define HEARTH_ASSERT(cond) ((void)0)
#else
#define HEARTH_ASSERT(cond) HEARTH_CHECK(cond, "assertion")
#endif

namespace hearth {
[[noreturn]] void check_failed(const char* file, int line, const char* cond, const char* why);
}
