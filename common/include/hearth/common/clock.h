// common/clock.h: an injectable clock. Code that needs "now" takes a
// const Clock& so tests can drive time with ManualClock instead of sleeping.
#pragma once

#include <chrono>
#include <mutex>

namespace hearth {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (history timestamps, time-of-day logic).
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time (latencies, deadlines, rate limits).
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

// Process-wide real clock.
const Clock& system_clock();

// Test clock: starts at a given wall time, moves only when advanced. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start = std::chrono::system_clock::time_point{})
      : wall_(start) {}
  std::chrono::system_clock::time_point now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_;
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return steady_;
  }
  void advance(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }
  void set_wall(std::chrono::system_clock::time_point t) {
    std::lock_guard<std::mutex> lock(mu_);
    wall_ = t;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point steady_{};
};

// Milliseconds since the Unix epoch (UTC) for a wall time.
inline int64_t to_unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline std::chrono::system_clock::time_point from_unix_ms(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}
// "2026-11-22T04:45:39.123Z"
std::string format_iso8601_utc(std::chrono::system_clock::time_point t);

}  // namespace hearth
