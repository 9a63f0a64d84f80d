#include "hearth/common/log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace hearth {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;  // guards g_sink, g_now and the output stream
LogSink g_sink;
std::function<int64_t()> g_now;
std::atomic<uint64_t> g_emitted[5];
std::atomic<uint64_t> g_suppressed{0};

int64_t steady_ms() {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_now) return g_now();
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Returns false when the message must be dropped; otherwise *suppressed holds
// how many were dropped at this site since the last emitted one.
bool admit(LogSite* site, int* suppressed) {
  *suppressed = 0;
  if (!site) return true;
  const int64_t now = steady_ms();
  const int64_t window = std::chrono::duration_cast<std::chrono::milliseconds>(kLogWindow).count();
  int64_t start = site->window_start_ms.load();
  if (start < 0 || now - start >= window) {
    site->window_start_ms.store(now);
    site->in_window.store(0);
  }
  if (site->in_window.fetch_add(1) >= kLogBurst) {
    site->suppressed.fetch_add(1);
    g_suppressed.fetch_add(1);
    return false;
  }
  *suppressed = site->suppressed.exchange(0);
  return true;
}

}  // namespace

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "off";
  }
  return "info";
}

bool parse_log_level(std::string_view text, LogLevel* out) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError, LogLevel::kOff}) {
    if (text == log_level_name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

void set_log_sink(LogSink sink) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_sink = std::move(sink);
}

void set_log_clock_for_test(std::function<int64_t()> now_ms) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_now = std::move(now_ms);
}

LogCounters log_counters() {
  LogCounters c;
  for (int i = 0; i < 5; ++i) c.emitted[i] = g_emitted[i].load();
  c.suppressed = g_suppressed.load();
  return c;
}

void reset_log_counters_for_test() {
  for (auto& e : g_emitted) e.store(0);
  g_suppressed.store(0);
}

void log_message(LogLevel level, LogSite* site, const char* tag, const char* fmt, ...) {
  int suppressed = 0;
  if (!admit(site, &suppressed)) return;

  char body[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(body, sizeof(body), fmt, ap);
  va_end(ap);
  if (n < 0) body[0] = '\0';

  char stamp[96];  // sized for any int fields, so -Wformat-truncation stays quiet
  std::timespec ts;
  std::timespec_get(&ts, TIME_UTC);
  std::tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);

  std::string line;
  line.reserve(64 + static_cast<size_t>(n > 0 ? n : 0));
  line += stamp;
  line += ' ';
  line += log_level_name(level);
  line += ' ';
  line += tag;
  line += ": ";
  line += body;
  if (n >= static_cast<int>(sizeof(body))) line += "...";
  if (suppressed > 0) line += " (suppressed " + std::to_string(suppressed) + " similar)";

  g_emitted[static_cast<int>(level)].fetch_add(1);
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_sink) {
    g_sink(level, line);
  } else {
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

void check_failed(const char* file, int line, const char* cond, const char* why) {
  std::fprintf(stderr, "%s:%d: HEARTH_CHECK(%s) failed: %s\n", file, line, cond, why);
  std::fflush(stderr);
  std::abort();
}

}  // namespace hearth
