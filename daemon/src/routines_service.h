// daemon/src/routines_service.h: hearthd's side of the habit learner
// (issue 8). Keeps the accepted routines running on schedule, mines the
// history nightly and on request, and serves the routine/suggestion API.
// Private to daemon/; owned by the App, used by the API routes.
//
// Threads: the RoutineScheduler, the timers and every callback live on the
// event loop (`ex`, one thread). The RoutineStore and the HistoryStore used
// for mining are SQLite connections, so they live on the service's own
// single database thread and are never touched from the loop, the same rule
// as HistoryWriter. Loop → db: asio::post(db_); db → loop: asio::post(ex_).
//
// Time comes from the injected Clock only. The asio timers merely wake the
// loop (at most every max_timer_wait), and poll() decides by clock.now(), so
// a wall clock that jumps (NTP, suspend) and a ManualClock in tests both work.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "hearth/common/clock.h"
#include "hearth/common/result.h"
#include "hearth/devices/bus.h"
#include "hearth/habits/history.h"
#include "hearth/habits/miner.h"
#include "hearth/habits/routines.h"
#include "hearth/habits/scheduler.h"
#include "hearth/habits/time_zone.h"

namespace hearth {

struct RoutinesServiceOptions {
  std::string db_path;                              // the history database (routine tables live there too)
  TimeZone tz;                                      // the home's zone (config "time_zone")
  SchedulerOptions scheduler;                       // grace window, day start, event cooldown
  SuggestionPolicy policy;                          // when a mined habit becomes a suggestion
  int window_days = 84;                             // days of history mined
  int mine_at_min = 210;                            // nightly mining at this local minute (03:30)
  bool nightly_mining = true;                       // arm the nightly mining timer
  bool mine_on_start = true;                        // mine once after loading (suggestions at first start)
  std::chrono::milliseconds max_timer_wait{60000};  // the loop re-checks the clock at least this often
  // Display names for descriptions ("bedside left light"); called on the db
  // thread, so it must be thread-safe. Empty: derived from the id.
  std::function<std::string(std::string_view device_id)> device_name;
  // Live events (EventHub::publish; any thread): "routine" after each run or
  // missed run, "suggestion" for each suggestion a mining newly proposes.
  // Called on the loop thread. Empty: nothing is published.
  std::function<void(const char* type, nlohmann::json data)> publish;
};

// Mining outcome for POST /habits/mine and the nightly run.
struct MineReport {
  MiningResult mined;
  std::vector<Suggestion> pending;   // suggestions after refresh_suggestions()
  int n_adapted = 0;                 // adaptive routines whose time moved
};

class RoutinesService {
 public:
  // Runs one command through the bus; `done` may run on any strand of the loop.
  using CommandRunner = std::function<void(Command cmd, std::function<void(ActionResult)> done)>;
  // Records the action events of a firing (origin "schedule") in the history.
  using ActionRecorder = std::function<void(std::vector<EventRecord> events)>;

  // `clock` must outlive the service; `ex` is the event loop (one thread).
  RoutinesService(boost::asio::any_io_executor ex, const Clock& clock, RoutinesServiceOptions opt,
                  CommandRunner run_command, ActionRecorder record_actions = {});
  // Cancels the timers and joins the db thread. Loop thread, or after the loop stopped.
  ~RoutinesService();
  RoutinesService(const RoutinesService&) = delete;
  RoutinesService& operator=(const RoutinesService&) = delete;

  // Opens the stores on the db thread, loads routines and the last run of
  // each, then arms the timers. `done` (optional) runs on the loop.
  void start(std::function<void(Result<void>)> done = {});
  // Cancels the timers; nothing fires after this. Loop thread.
  void stop();

  // Loop thread. Runs what is due at clock.now() and re-arms the timer
  // (the timer calls it; tests call it after moving a ManualClock).
  void poll();
  // Loop thread. Feeds a recorded event to event-triggered routines.
  void on_event(const EventRecord& e);

  // The next planned run of a routine, from clock.now(); nullopt when it is
  // disabled or not time-anchored. Loop thread.
  std::optional<std::chrono::system_clock::time_point> next_run(const StoredRoutine& r) const;
  const TimeZone& time_zone() const { return opt_.tz; }
  const Clock& clock() const { return clock_; }
  // False until start() finished opening the stores, or when that failed.
  bool ready() const { return ready_; }

  // API operations. Each runs on the db thread and calls `done` on the loop;
  // operations that change routines reload them into the scheduler first.
  // A store that could not be opened → kUnavailable.
  void async_routines(std::function<void(Result<std::vector<StoredRoutine>>)> done);
  void async_add_routine(Routine r, bool enabled, bool adaptive, std::function<void(Result<StoredRoutine>)> done);
  // `edit` runs on the db thread on the stored routine; kNotFound for unknown ids.
  void async_update_routine(int64_t id, std::function<Result<void>(StoredRoutine&)> edit,
                            std::function<void(Result<StoredRoutine>)> done);
  void async_delete_routine(int64_t id, std::function<void(Result<void>)> done);
  void async_runs(int64_t routine_id, int limit, std::function<void(Result<std::vector<RoutineRun>>)> done);
  void async_suggestions(std::optional<SuggestionStatus> status,
                         std::function<void(Result<std::vector<Suggestion>>)> done);
  void async_accept(int64_t suggestion_id, bool adaptive, std::function<void(Result<StoredRoutine>)> done);
  void async_reject(int64_t suggestion_id, std::function<void(Result<void>)> done);
  // Mines the history up to clock.now(), refreshes suggestions and adapts
  // adaptive routines.
  void async_mine(std::function<void(Result<MineReport>)> done);

  struct Stats {
    uint64_t runs_ok = 0;          // firings whose commands all succeeded
    uint64_t runs_failed = 0;      // firings with at least one failed command
    uint64_t runs_missed = 0;      // due times past the grace window (not run)
    uint64_t commands_sent = 0;    // bus commands sent by routines
    uint64_t minings = 0;          // finished minings (nightly + requested)
    uint64_t mining_failures = 0;
    uint64_t run_log_failures = 0; // record_run() calls SQLite refused
  };
  // Loop thread.
  const Stats& stats() const { return stats_; }

  // Counters for /api/v1/health; any thread.
  struct Health {
    uint64_t runs = 0;                 // firings run (ok or failed)
    uint64_t runs_failed = 0;
    uint64_t skipped = 0;              // due times missed (hub off past the grace window)
    uint64_t suggestions_pending = 0;  // after the last mining, accept or reject
    uint64_t minings = 0;
    uint64_t mining_failures = 0;
  };
  Health health() const;

 private:
  struct Db;  // the SQLite side; db thread only
  struct RunState;

  // Runs `work` on the db thread; when `reload` also re-reads the routines,
  // then on the loop hands them to the scheduler and calls `done`.
  template <typename T>
  void on_db(std::function<Result<T>(Db&)> work, bool reload, std::function<void(Result<T>)> done);
  void apply_routines(const std::vector<StoredRoutine>& routines);
  void handle_firing(Firing f);
  void finish_run(const std::shared_ptr<RunState>& st);
  void record_run(RoutineRun run);
  void publish_run(const Firing& f, const std::string& outcome);
  void settle_suggestion(int64_t suggestion_id);
  void arm();
  void arm_mining();
  std::chrono::system_clock::time_point next_mining_time(std::chrono::system_clock::time_point now) const;

  boost::asio::any_io_executor ex_;
  const Clock& clock_;
  RoutinesServiceOptions opt_;
  CommandRunner run_command_;
  ActionRecorder record_actions_;
  RoutineScheduler scheduler_;                       // loop thread
  boost::asio::steady_timer timer_;                  // loop thread
  boost::asio::steady_timer mine_timer_;             // loop thread
  std::optional<std::chrono::system_clock::time_point> mine_due_;
  bool ready_ = false;
  bool stopped_ = false;
  Stats stats_;
  // Mirrors of stats_ for health() (written on the loop, read anywhere).
  std::atomic<uint64_t> h_runs_{0}, h_runs_failed_{0}, h_skipped_{0}, h_pending_{0}, h_minings_{0}, h_mining_failures_{0};
  std::set<int64_t> pending_ids_;                    // loop thread: suggestions already announced
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // loop thread: false once destroyed
  std::unique_ptr<Db> db_state_;                     // db thread only (after construction)
  boost::asio::thread_pool db_{1};                   // the single db thread
};

}  // namespace hearth
