#include "routines_service.h"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "hearth/common/log.h"
#include "hearth/common/value_json.h"
#include "event_hub.h"
#include "routines_json.h"

namespace hearth {

namespace asio = boost::asio;

namespace {

// At least this long between two timer wake-ups, so a due time that
// poll() cannot consume never turns into a busy loop.
constexpr std::chrono::milliseconds kMinTimerWait{10};
// Runs read back per routine at start (only the newest matters).
constexpr int kLastRunsRead = 1;

std::chrono::milliseconds wait_until(std::chrono::system_clock::time_point due,
                                     std::chrono::system_clock::time_point now, std::chrono::milliseconds cap) {
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
  return std::clamp(wait, kMinTimerWait, std::max(cap, kMinTimerWait));
}

}  // namespace

struct RoutinesService::Db {
  std::unique_ptr<RoutineStore> routines;
  std::unique_ptr<HistoryStore> history;   // read for mining
  std::string open_error;                  // why the stores are missing
  // Incremental mining: the miner keeps the window's observations between
  // minings and reads only the rows added since (RoutineMiner::feed).
  std::unique_ptr<RoutineMiner> miner;
  std::chrono::system_clock::time_point mined_until{};

  Result<MiningResult> mine(const MinerOptions& mo) {
    const auto now = *mo.now;
    if (!miner || now < mined_until) miner = std::make_unique<RoutineMiner>(mo);   // first run, or the clock went back
    Result<int64_t> fed = miner->feed(*history, now);
    if (!fed) {
      miner.reset();   // start over next time rather than mine a partial read
      return fed.error();
    }
    miner->forget_before_window(now);
    mined_until = now;
    return miner->mine_at(now);
  }

  Result<void> check() const {
    if (routines && history) return {};
    return Error{Code::kUnavailable, open_error.empty() ? std::string("routines: database not open") : open_error};
  }
};

// One firing whose commands are in flight (loop thread).
struct RoutinesService::RunState {
  Firing firing;
  size_t pending = 0;
  std::string first_error;                 // code name of the first failed command
  std::vector<EventRecord> actions;        // history events, origin "schedule"
};

RoutinesService::RoutinesService(asio::any_io_executor ex, const Clock& clock, RoutinesServiceOptions opt,
                                 CommandRunner run_command, ActionRecorder record_actions)
    : ex_(ex),
      clock_(clock),
      opt_(std::move(opt)),
      run_command_(std::move(run_command)),
      record_actions_(std::move(record_actions)),
      scheduler_(clock, opt_.tz, opt_.scheduler),
      timer_(ex),
      mine_timer_(ex),
      db_state_(std::make_unique<Db>()) {}

RoutinesService::~RoutinesService() {
  *alive_ = false;
  stopped_ = true;
  timer_.cancel();
  mine_timer_.cancel();
  db_.join();  // finishes queued run-log writes; their replies see alive_ == false
}

template <typename T>
void RoutinesService::on_db(std::function<Result<T>(Db&)> work, bool reload, std::function<void(Result<T>)> done) {
  asio::post(db_, [this, alive = alive_, work = std::move(work), reload, done = std::move(done)]() mutable {
    Result<T> out = work(*db_state_);
    std::optional<std::vector<StoredRoutine>> routines;
    if (reload && db_state_->routines) {
      Result<std::vector<StoredRoutine>> r = db_state_->routines->routines();
      if (r) {
        routines = std::move(*r);
      } else {
        HEARTH_LOG_WARN("routines", "reading routines failed: %s", r.error().message.c_str());
      }
    }
    asio::post(ex_, [this, alive, out = std::move(out), routines = std::move(routines),
                     done = std::move(done)]() mutable {
      if (!*alive) return;
      if (routines) apply_routines(*routines);
      if (done) done(std::move(out));
    });
  });
}

void RoutinesService::start(std::function<void(Result<void>)> done) {
  struct Loaded {
    std::vector<StoredRoutine> routines;
    std::vector<std::pair<int64_t, std::chrono::system_clock::time_point>> last_runs;
  };
  const std::string path = opt_.db_path;
  on_db<Loaded>(
      [path](Db& db) -> Result<Loaded> {
        Result<std::unique_ptr<RoutineStore>> rs = RoutineStore::open(path);
        if (!rs) {
          db.open_error = "routines: opening '" + path + "': " + rs.error().message;
          return Error{rs.error().code, db.open_error};
        }
        Result<std::unique_ptr<HistoryStore>> hs = HistoryStore::open(path);
        if (!hs) {
          db.open_error = "routines: opening history '" + path + "': " + hs.error().message;
          return Error{hs.error().code, db.open_error};
        }
        db.routines = std::move(*rs);
        db.history = std::move(*hs);
        Loaded out;
        Result<std::vector<StoredRoutine>> list = db.routines->routines();
        if (!list) return list.error().with_context("routines");
        out.routines = std::move(*list);
        for (const StoredRoutine& r : out.routines) {
          Result<std::vector<RoutineRun>> runs = db.routines->runs(r.id, kLastRunsRead);
          if (runs && !runs->empty()) out.last_runs.emplace_back(r.id, runs->front().scheduled);
        }
        return out;
      },
      /*reload=*/false,
      [this, done = std::move(done)](Result<Loaded> loaded) {
        if (!loaded) {
          HEARTH_LOG_ERROR("routines", "%s; routines will not run (see /api/v1/routines)",
                           loaded.error().message.c_str());
          if (done) done(loaded.error());
          return;
        }
        ready_ = true;
        apply_routines(loaded->routines);
        for (const auto& [id, scheduled] : loaded->last_runs) scheduler_.set_last_run(id, scheduled);
        HEARTH_LOG_INFO("routines", "%zu routine(s) loaded; time zone %s", loaded->routines.size(),
                        opt_.tz.name().c_str());
        poll();  // also arms the timer
        if (opt_.nightly_mining) arm_mining();
        if (opt_.mine_on_start) async_mine([](Result<MineReport>) {});
        if (done) done(Result<void>{});
      });
}

void RoutinesService::stop() {
  stopped_ = true;
  timer_.cancel();
  mine_timer_.cancel();
}

void RoutinesService::apply_routines(const std::vector<StoredRoutine>& routines) {
  scheduler_.set_routines(routines);
  if (ready_ && !stopped_) arm();
}

void RoutinesService::arm() {
  if (stopped_) return;
  const auto now = clock_.now();
  std::optional<std::chrono::system_clock::time_point> next = scheduler_.next_wakeup();
  timer_.expires_after(wait_until(next.value_or(now + opt_.max_timer_wait), now, opt_.max_timer_wait));
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    poll();
  });
}

void RoutinesService::poll() {
  if (!ready_ || stopped_) return;
  for (Firing& f : scheduler_.poll()) handle_firing(std::move(f));
  arm();
}

void RoutinesService::on_event(const EventRecord& e) {
  if (!ready_ || stopped_) return;
  for (Firing& f : scheduler_.on_event(e)) handle_firing(std::move(f));
}

void RoutinesService::handle_firing(Firing f) {
  if (f.missed) {
    stats_.runs_missed += 1;
    HEARTH_LOG_WARN("routines", "routine %lld '%s' missed its time (hub off or asleep past the %lld min grace); "
                    "not run late", static_cast<long long>(f.routine_id), f.routine_name.c_str(),
                    static_cast<long long>(opt_.scheduler.grace.count()));
    h_skipped_.fetch_add(1, std::memory_order_relaxed);
    publish_run(f, "missed");
    record_run(RoutineRun{0, f.routine_id, f.scheduled, f.scheduled, "missed"});
    return;
  }
  auto st = std::make_shared<RunState>();
  st->firing = std::move(f);
  st->pending = st->firing.commands.size();
  HEARTH_LOG_INFO("routines", "running routine %lld '%s' (%zu command(s))",
                  static_cast<long long>(st->firing.routine_id), st->firing.routine_name.c_str(), st->pending);
  if (st->pending == 0) return finish_run(st);
  for (const ScheduledCommand& sc : st->firing.commands) {
    Command cmd;
    cmd.device_id = sc.device_id;
    cmd.action = sc.action;
    cmd.params = sc.params;
    cmd.origin = sc.origin;
    stats_.commands_sent += 1;
    // The bus answers on the device's strand; come back to the loop.
    run_command_(std::move(cmd), [this, alive = alive_, st, params = sc.params](ActionResult r) {
      asio::post(ex_, [this, alive, st, params, r = std::move(r)]() {
        if (!*alive) return;
        EventRecord e;
        e.time = st->firing.now;
        e.device_id = r.device_id;
        e.kind = "action";
        e.attribute = r.action;
        e.new_value = value_map_to_json(params).dump();
        e.origin = "schedule";
        e.result = r.status ? std::string("ok") : std::string(code_name(r.status.error().code));
        if (!r.status && st->first_error.empty()) {
          st->first_error = e.result;
          HEARTH_LOG_WARN("routines", "routine '%s': %s %s failed: %s", st->firing.routine_name.c_str(),
                          r.device_id.c_str(), r.action.c_str(), r.status.error().message.c_str());
        }
        st->actions.push_back(std::move(e));
        if (--st->pending == 0) finish_run(st);
      });
    });
  }
}

void RoutinesService::finish_run(const std::shared_ptr<RunState>& st) {
  const bool ok = st->first_error.empty();
  if (ok) {
    stats_.runs_ok += 1;
  } else {
    stats_.runs_failed += 1;
    h_runs_failed_.fetch_add(1, std::memory_order_relaxed);
  }
  h_runs_.fetch_add(1, std::memory_order_relaxed);
  publish_run(st->firing, ok ? std::string("ok") : st->first_error);
  if (record_actions_ && !st->actions.empty()) record_actions_(std::move(st->actions));
  record_run(RoutineRun{0, st->firing.routine_id, st->firing.scheduled, st->firing.now,
                        ok ? std::string("ok") : st->first_error});
}

void RoutinesService::publish_run(const Firing& f, const std::string& outcome) {
  if (!opt_.publish) return;
  nlohmann::json j;
  j["id"] = f.routine_id;
  j["name"] = f.routine_name;
  j["outcome"] = outcome;   // ok | missed | the code name of the first failed command
  j["scheduled"] = format_iso8601_utc(f.scheduled);
  j["commands"] = f.commands.size();
  opt_.publish(event_type::kRoutine, std::move(j));
}

RoutinesService::Health RoutinesService::health() const {
  Health h;
  h.runs = h_runs_.load(std::memory_order_relaxed);
  h.runs_failed = h_runs_failed_.load(std::memory_order_relaxed);
  h.skipped = h_skipped_.load(std::memory_order_relaxed);
  h.suggestions_pending = h_pending_.load(std::memory_order_relaxed);
  h.minings = h_minings_.load(std::memory_order_relaxed);
  h.mining_failures = h_mining_failures_.load(std::memory_order_relaxed);
  return h;
}

void RoutinesService::record_run(RoutineRun run) {
  on_db<bool>(
      [run](Db& db) -> Result<bool> {
        if (Result<void> c = db.check(); !c) return c.error();
        Result<void> r = db.routines->record_run(run);
        if (!r) return r.error();
        return true;
      },
      /*reload=*/false,
      [this](Result<bool> r) {
        if (!r) {
          stats_.run_log_failures += 1;
          HEARTH_LOG_WARN("routines", "run log write failed: %s", r.error().message.c_str());
        }
      });
}

std::chrono::system_clock::time_point RoutinesService::next_mining_time(std::chrono::system_clock::time_point now) const {
  const LocalTime local = opt_.tz.to_local(now);
  std::chrono::system_clock::time_point t = opt_.tz.from_local(local.day, opt_.mine_at_min * 60);
  if (t <= now) t = opt_.tz.from_local(local.day + 1, opt_.mine_at_min * 60);
  return t;
}

void RoutinesService::arm_mining() {
  if (stopped_) return;
  const auto now = clock_.now();
  if (!mine_due_) mine_due_ = next_mining_time(now);
  if (now >= *mine_due_) {
    mine_due_ = next_mining_time(now);
    HEARTH_LOG_INFO("routines", "nightly mining");
    async_mine([](Result<MineReport>) {});
  }
  mine_timer_.expires_after(wait_until(*mine_due_, now, opt_.max_timer_wait));
  mine_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    arm_mining();
  });
}

std::optional<std::chrono::system_clock::time_point> RoutinesService::next_run(const StoredRoutine& r) const {
  if (!r.enabled || r.routine.kind != RoutineKind::kTimeAnchored || r.routine.trigger.days_mask == 0) {
    return std::nullopt;
  }
  return scheduler_.next_occurrence(r.routine.trigger.time_min, r.routine.trigger.days_mask, clock_.now());
}

void RoutinesService::async_routines(std::function<void(Result<std::vector<StoredRoutine>>)> done) {
  on_db<std::vector<StoredRoutine>>(
      [](Db& db) -> Result<std::vector<StoredRoutine>> {
        if (Result<void> c = db.check(); !c) return c.error();
        return db.routines->routines();
      },
      /*reload=*/false, std::move(done));
}

namespace {

Result<StoredRoutine> find_routine(const RoutineStore& store, int64_t id) {
  Result<std::vector<StoredRoutine>> list = store.routines();
  if (!list) return list.error();
  for (StoredRoutine& r : *list) {
    if (r.id == id) return std::move(r);
  }
  return Error{Code::kNotFound, "no routine " + std::to_string(id)};
}

}  // namespace

void RoutinesService::async_add_routine(Routine r, bool enabled, bool adaptive,
                                        std::function<void(Result<StoredRoutine>)> done) {
  const auto now = clock_.now();
  on_db<StoredRoutine>(
      [r = std::move(r), enabled, adaptive, now](Db& db) -> Result<StoredRoutine> {
        if (Result<void> c = db.check(); !c) return c.error();
        Result<int64_t> id = db.routines->add_routine(r, adaptive, now);
        if (!id) return id.error();
        Result<StoredRoutine> stored = find_routine(*db.routines, *id);
        if (!stored || enabled) return stored;
        stored->enabled = false;
        if (Result<void> u = db.routines->update_routine(*stored, now); !u) return u.error();
        return stored;
      },
      /*reload=*/true, std::move(done));
}

void RoutinesService::async_update_routine(int64_t id, std::function<Result<void>(StoredRoutine&)> edit,
                                           std::function<void(Result<StoredRoutine>)> done) {
  const auto now = clock_.now();
  on_db<StoredRoutine>(
      [id, edit = std::move(edit), now](Db& db) -> Result<StoredRoutine> {
        if (Result<void> c = db.check(); !c) return c.error();
        Result<StoredRoutine> stored = find_routine(*db.routines, id);
        if (!stored) return stored;
        if (Result<void> e = edit(*stored); !e) return e.error();
        if (Result<void> u = db.routines->update_routine(*stored, now); !u) return u.error();
        return find_routine(*db.routines, id);
      },
      /*reload=*/true, std::move(done));
}

void RoutinesService::async_delete_routine(int64_t id, std::function<void(Result<void>)> done) {
  on_db<void>(
      [id](Db& db) -> Result<void> {
        if (Result<void> c = db.check(); !c) return c.error();
        return db.routines->delete_routine(id);
      },
      /*reload=*/true, std::move(done));
}

void RoutinesService::async_runs(int64_t routine_id, int limit,
                                 std::function<void(Result<std::vector<RoutineRun>>)> done) {
  on_db<std::vector<RoutineRun>>(
      [routine_id, limit](Db& db) -> Result<std::vector<RoutineRun>> {
        if (Result<void> c = db.check(); !c) return c.error();
        Result<StoredRoutine> exists = find_routine(*db.routines, routine_id);
        if (!exists) return exists.error();
        return db.routines->runs(routine_id, limit);
      },
      /*reload=*/false, std::move(done));
}

void RoutinesService::async_suggestions(std::optional<SuggestionStatus> status,
                                        std::function<void(Result<std::vector<Suggestion>>)> done) {
  on_db<std::vector<Suggestion>>(
      [status](Db& db) -> Result<std::vector<Suggestion>> {
        if (Result<void> c = db.check(); !c) return c.error();
        return db.routines->suggestions(status);
      },
      /*reload=*/false, std::move(done));
}

void RoutinesService::async_accept(int64_t suggestion_id, bool adaptive,
                                   std::function<void(Result<StoredRoutine>)> done) {
  const auto now = clock_.now();
  on_db<StoredRoutine>(
      [suggestion_id, adaptive, now](Db& db) -> Result<StoredRoutine> {
        if (Result<void> c = db.check(); !c) return c.error();
        Result<int64_t> id = db.routines->accept_suggestion(suggestion_id, adaptive, now);
        if (!id) return id.error();
        return find_routine(*db.routines, *id);
      },
      /*reload=*/true,
      [this, suggestion_id, done = std::move(done)](Result<StoredRoutine> r) {
        if (r) settle_suggestion(suggestion_id);
        if (done) done(std::move(r));
      });
}

void RoutinesService::settle_suggestion(int64_t suggestion_id) {
  if (pending_ids_.erase(suggestion_id) > 0) h_pending_.store(pending_ids_.size(), std::memory_order_relaxed);
}

void RoutinesService::async_reject(int64_t suggestion_id, std::function<void(Result<void>)> done) {
  const auto now = clock_.now();
  on_db<void>(
      [suggestion_id, now](Db& db) -> Result<void> {
        if (Result<void> c = db.check(); !c) return c.error();
        return db.routines->reject_suggestion(suggestion_id, now);
      },
      /*reload=*/false,
      [this, suggestion_id, done = std::move(done)](Result<void> r) {
        if (r) settle_suggestion(suggestion_id);
        if (done) done(std::move(r));
      });
}

void RoutinesService::async_mine(std::function<void(Result<MineReport>)> done) {
  MinerOptions mo;
  mo.tz = opt_.tz;
  mo.now = clock_.now();
  mo.window_days = opt_.window_days;
  mo.day_start_min = opt_.scheduler.day_start_min;
  mo.device_name = opt_.device_name;
  const SuggestionPolicy policy = opt_.policy;
  const auto now = *mo.now;
  on_db<MineReport>(
      [mo = std::move(mo), policy, now](Db& db) -> Result<MineReport> {
        if (Result<void> c = db.check(); !c) return c.error();
        Result<MiningResult> mined = db.mine(mo);
        if (!mined) return mined.error().with_context("mining");
        MineReport report;
        report.mined = std::move(*mined);
        Result<std::vector<Suggestion>> pending = db.routines->refresh_suggestions(report.mined, policy, now);
        if (!pending) return pending.error().with_context("suggestions");
        report.pending = std::move(*pending);
        Result<std::vector<StoredRoutine>> list = db.routines->routines();
        if (!list) return list.error();
        for (StoredRoutine& r : *list) {
          if (!r.adaptive) continue;
          Routine adapted = adapt_routine(r.routine, report.mined.routines);
          if (adapted.trigger.time_min == r.routine.trigger.time_min) continue;
          HEARTH_LOG_INFO("routines", "adaptive routine %lld '%s' moves %02d:%02d -> %02d:%02d",
                          static_cast<long long>(r.id), r.routine.name.c_str(), r.routine.trigger.time_min / 60,
                          r.routine.trigger.time_min % 60, adapted.trigger.time_min / 60,
                          adapted.trigger.time_min % 60);
          r.routine = std::move(adapted);
          if (Result<void> u = db.routines->update_routine(r, now); !u) return u.error();
          report.n_adapted += 1;
        }
        return report;
      },
      /*reload=*/true,
      [this, done = std::move(done)](Result<MineReport> r) {
        if (r) {
          stats_.minings += 1;
          h_minings_.fetch_add(1, std::memory_order_relaxed);
          // Announce suggestions this mining proposed for the first time.
          std::set<int64_t> now_pending;
          for (const Suggestion& sg : r->pending) {
            now_pending.insert(sg.id);
            if (opt_.publish && pending_ids_.count(sg.id) == 0) {
              opt_.publish(event_type::kSuggestion, suggestion_json(sg, opt_.tz));
            }
          }
          pending_ids_ = std::move(now_pending);
          h_pending_.store(pending_ids_.size(), std::memory_order_relaxed);
          HEARTH_LOG_INFO("routines", "mined %zu habit(s) from %lld event(s) in %.2f s; %zu suggestion(s) pending",
                          r->mined.routines.size(), static_cast<long long>(r->mined.stats.n_events),
                          r->mined.stats.mine_seconds, r->pending.size());
        } else {
          stats_.mining_failures += 1;
          h_mining_failures_.fetch_add(1, std::memory_order_relaxed);
          HEARTH_LOG_WARN("routines", "mining failed: %s", r.error().message.c_str());
        }
        if (done) done(std::move(r));
      });
}

}  // namespace hearth
