// daemon/timer_manager.h: voice timers ("set a timer for 10 minutes") as real
// Boost.Asio timers on the daemon's event loop. Owned by the App (timers
// survive a config reload); the intent handler starts, cancels and reports
// them; when one finishes, the fired handler logs it and records it in history.
//
// Threading: every method may be called from any thread (a mutex guards the
// table); the fired handler runs on the executor given at construction.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "hearth/common/clock.h"
#include "hearth/common/result.h"

namespace hearth {

struct TimerInfo {
  int id = 0;                                      // 1, 2, ... in start order
  std::string name;                                // "pizza", "" = unnamed
  std::chrono::seconds duration{0};                // as asked for
  std::chrono::steady_clock::time_point ends_at;   // Clock::steady_now() at start + duration
  std::string origin;                              // who started it: voice | app | api | cli
};

class TimerManager {
 public:
  static constexpr int kMaxTimers = 32;                          // running at once
  static constexpr std::chrono::hours kMaxDuration{24};          // longest timer

  using FiredHandler = std::function<void(const TimerInfo&)>;

  // `clock` (for remaining time) must outlive the manager. `on_fired` runs on `ex`.
  TimerManager(boost::asio::any_io_executor ex, const Clock& clock, FiredHandler on_fired);
  ~TimerManager();  // cancels every timer; none fires afterwards

  TimerManager(const TimerManager&) = delete;
  TimerManager& operator=(const TimerManager&) = delete;

  // Starts a timer. kBadInput for a zero or too long duration, kBusy when
  // kMaxTimers are running.
  Result<TimerInfo> start(std::chrono::seconds duration, std::string name, std::string origin);
  // Cancels the timer called `name`; "" = the most recently started one.
  // kNotFound when there is no such timer.
  Result<TimerInfo> cancel(std::string_view name);
  // Running timers, ending soonest first.
  std::vector<TimerInfo> active() const;
  // Time left on a timer (never negative), by the injected clock.
  std::chrono::seconds remaining(const TimerInfo& timer) const;
  // Stops everything (shutdown).
  void cancel_all();

  // Total timers that ran to the end.
  uint64_t fired_count() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;  // shared with pending timer handlers, which hold it weakly
};

}  // namespace hearth
