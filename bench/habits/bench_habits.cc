// bench/habits/bench_habits.cc: routine miner accuracy on simulated
// households with known routines, and mining time and memory at scale.
//
//   bench_habits [--scale N_MILLIONS ...]    e.g. bench_habits --scale 1 --scale 10
//
// Accuracy: a mined routine matches a true one when their setting keys
// overlap and (time routines) their times are within 15 minutes on shared
// days, or (event routines) the trigger is the true one's trigger or one of
// its settings. Precision counts actionable time and event routines.
#include <sqlite3.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "hearth/habits/miner.h"
#include "hearth/habits/routines.h"
#include "hearth/habits/sim.h"

using namespace hearth;

namespace {

constexpr double kMatchMinutes = 15.0;

double minute_gap(int a, int b) {
  const int d = std::abs(a - b) % 1440;
  return std::min(d, 1440 - d);
}

std::set<std::string> keys_of(const Routine& r) {
  std::set<std::string> s;
  for (const RoutineAction& a : r.actions) s.insert(a.keys.begin(), a.keys.end());
  if (s.empty()) s.insert(r.sensor_keys.begin(), r.sensor_keys.end());
  return s;
}

bool matches(const Routine& r, const sim::TrueRoutine& t) {
  const auto k = keys_of(r);
  bool overlap = false;
  for (const std::string& x : t.keys) overlap = overlap || k.count(x) > 0;
  if (!overlap) return false;
  if (r.kind == RoutineKind::kTimeAnchored) {
    return (r.trigger.days_mask & t.days_mask) != 0 && minute_gap(r.trigger.time_min, t.time_min) <= kMatchMinutes;
  }
  if (r.kind == RoutineKind::kEventTriggered) {
    return r.trigger.event_key == t.trigger_key ||
           std::find(t.keys.begin(), t.keys.end(), r.trigger.event_key) != t.keys.end() ||
           (t.kind == RoutineKind::kEventTriggered && t.trigger_key.empty());
  }
  return t.kind == RoutineKind::kStateHabit;
}

void accuracy(int64_t start_day) {
  std::printf("## Accuracy (84-day window, 120 simulated days, seeds 1..5)\n\n");
  std::printf("| household | true | found | matched true | recall | precision (mined) | precision (suggested) | bedtime err med (min) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::vector<double> all_errors;
  int t_true = 0, t_hit = 0, t_found = 0, t_ok = 0, t_sugg = 0, t_sugg_ok = 0;
  const char* names[] = {"couple", "drifter", "shift_worker", "traveler", "sensor_home"};
  for (int hi = 0; hi < 5; ++hi) {
    int n_true = 0, n_hit = 0, n_found = 0, n_ok = 0, n_sugg = 0, n_sugg_ok = 0;
    std::vector<double> errors;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      sim::SimHousehold h = sim::standard_households(seed, 120, start_day)[static_cast<size_t>(hi)];
      Result<sim::SimOutput> out = sim::simulate(h);
      if (!out) {
        std::printf("sim: %s\n", out.error().message.c_str());
        return;
      }
      MinerOptions o;
      o.tz = *TimeZone::load(h.tz);
      MiningResult r = mine_routines(out->events, o);
      std::vector<Routine> mined;
      for (const Routine& x : r.routines) {
        if (x.kind != RoutineKind::kStateHabit) mined.push_back(x);
      }
      for (const sim::TrueRoutine& t : out->truth) {
        if (t.kind == RoutineKind::kStateHabit) continue;
        ++n_true;
        bool hit = false;
        double best = 1e9;
        for (const Routine& x : mined) {
          if (matches(x, t)) hit = true;
          if (t.bedtime_like && x.kind == RoutineKind::kTimeAnchored && (x.trigger.days_mask & t.days_mask)) {
            const auto k = keys_of(x);
            if (std::any_of(t.keys.begin(), t.keys.end(), [&](const std::string& s) { return k.count(s) > 0; })) {
              best = std::min(best, minute_gap(x.trigger.time_min, t.time_min));
            }
          }
        }
        n_hit += hit ? 1 : 0;
        if (t.bedtime_like && best < 1e9) errors.push_back(best);
      }
      for (const Routine& x : mined) {
        ++n_found;
        bool ok = false;
        for (const sim::TrueRoutine& t : out->truth) ok = ok || matches(x, t);
        n_ok += ok ? 1 : 0;
      }
      SuggestionPolicy p;
      p.include_sensor_only = true;
      for (const Routine& x : select_suggestions(r.routines, {}, {}, p)) {
        if (x.kind == RoutineKind::kStateHabit) continue;
        ++n_sugg;
        bool ok = false;
        for (const sim::TrueRoutine& t : out->truth) ok = ok || matches(x, t);
        n_sugg_ok += ok ? 1 : 0;
      }
    }
    std::sort(errors.begin(), errors.end());
    all_errors.insert(all_errors.end(), errors.begin(), errors.end());
    std::printf("| %s | %d | %d | %d | %.2f | %.2f | %.2f | %s |\n", names[hi], n_true, n_found, n_hit,
                n_true ? double(n_hit) / n_true : 0.0, n_found ? double(n_ok) / n_found : 0.0,
                n_sugg ? double(n_sugg_ok) / n_sugg : 0.0,
                errors.empty() ? "-" : std::to_string(errors[errors.size() / 2]).substr(0, 4).c_str());
    t_true += n_true; t_hit += n_hit; t_found += n_found; t_ok += n_ok; t_sugg += n_sugg; t_sugg_ok += n_sugg_ok;
  }
  std::sort(all_errors.begin(), all_errors.end());
  std::printf("| **all** | %d | %d | %d | %.2f | %.2f | %.2f | %.1f |\n\n", t_true, t_found, t_hit, double(t_hit) / t_true,
              double(t_ok) / t_found, double(t_sugg_ok) / t_sugg, all_errors.empty() ? -1.0 : all_errors[all_errors.size() / 2]);
}

void days_needed(int64_t start_day) {
  std::printf("## Days of history before a true routine is suggested (default SuggestionPolicy; seed 1)\n\n");
  std::printf("| household | routine | days |\n|---|---|---|\n");
  for (const sim::SimHousehold& h : sim::standard_households(1, 84, start_day)) {
    Result<sim::SimOutput> out = sim::simulate(h);
    MinerOptions o;
    o.tz = *TimeZone::load(h.tz);
    RoutineMiner m(o);
    m.add(out->events);
    SuggestionPolicy p;
    p.include_sensor_only = true;
    for (const sim::TrueRoutine& t : out->truth) {
      if (t.kind == RoutineKind::kStateHabit) continue;
      int found_at = -1;
      for (int d = 7; d <= 84 && found_at < 0; ++d) {
        const auto now = o.tz.from_local(start_day + d, 6 * 3600);
        for (const Routine& x : select_suggestions(m.mine_at(now).routines, {}, {}, p)) {
          sim::TrueRoutine at = t;
          // The truth at day d (drift moves it).
          at.time_min = static_cast<int>(std::lround(t.time_min - t.drift_min_per_day * (83 - (d - 1)))) % 1440;
          at.time_min = (at.time_min + 1440) % 1440;
          if (matches(x, at)) {
            found_at = d;
            break;
          }
        }
      }
      std::printf("| %s | %s | %s |\n", h.name.c_str(), t.name.c_str(),
                  found_at < 0 ? "not within 84" : std::to_string(found_at).c_str());
    }
  }
  std::printf("\n");
}

void drift(int64_t start_day) {
  std::printf("## Drift: drifter household (bedtime 22:30 + 0.9 min/day), mined every 14 days\n\n");
  std::printf("| day | true time | mined time | drift/week | error (min) |\n|---|---|---|---|---|\n");
  sim::SimHousehold h = sim::standard_households(2, 168, start_day)[1];
  Result<sim::SimOutput> out = sim::simulate(h);
  MinerOptions o;
  o.tz = *TimeZone::load(h.tz);
  RoutineMiner m(o);
  m.add(out->events);
  for (int d = 28; d <= 168; d += 14) {
    MiningResult r = m.mine_at(o.tz.from_local(start_day + d, 6 * 3600));
    const int truth = static_cast<int>(std::lround(22 * 60 + 30 + 0.9 * (d - 1))) % 1440;
    const Routine* best = nullptr;
    for (const Routine& x : r.routines) {
      if (x.kind == RoutineKind::kTimeAnchored && x.actionable() &&
          (!best || minute_gap(x.trigger.time_min, truth) < minute_gap(best->trigger.time_min, truth))) {
        best = &x;
      }
    }
    if (best) {
      std::printf("| %d | %s | %s | %+.1f | %.0f |\n", d, format_minute_of_day(truth).c_str(),
                  format_minute_of_day(best->trigger.time_min).c_str(), best->drift_min_per_week,
                  minute_gap(best->trigger.time_min, truth));
    } else {
      std::printf("| %d | %s | none | - | - |\n", d, format_minute_of_day(truth).c_str());
    }
  }
  std::printf("\n");
}

long current_rss_kb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages = 0, resident = 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int64_t count_or_zero(const HistoryStore& st) {
  Result<int64_t> n = st.count_events();
  return n ? *n : 0;
}

// CPU seconds of this (single-threaded) process: the bench machine is
// shared, so wall-clock time would measure the other jobs too.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + ts.tv_nsec * 1e-9;
}
double seconds_since(double t0) { return cpu_now() - t0; }

// The scale household: the couple's routines plus 400 noisy binary sensors
// carrying most of the events (millions / 84 a day).
sim::SimHousehold scale_household(double millions, int64_t start_day, int n_days) {
  sim::SimHousehold h = sim::standard_households(9, n_days, start_day)[0];
  h.name = "scale";
  h.extra_noise_devices = 400;
  h.extra_noise_per_day = millions * 1e6 / 84.0;
  h.motion_per_day = 15;
  return h;
}

// Streamed: events from the simulator straight into RoutineMiner::add (no
// database), then mine(). Measures the miner alone, for sizes too large to
// store on the bench machine.
void scale_stream(double millions, int64_t start_day) {
  sim::SimHousehold h = scale_household(millions, start_day, 84);
  MinerOptions o;
  o.tz = *TimeZone::load(h.tz);
  RoutineMiner m(o);
  const long rss0 = current_rss_kb();
  double add_s = 0;
  int64_t n = 0;
  std::vector<EventRecord> buf;
  buf.reserve(1 << 16);
  auto flush = [&] {
    const double a = cpu_now();
    for (const EventRecord& e : buf) m.add(e);
    add_s += seconds_since(a);
    n += static_cast<int64_t>(buf.size());
    buf.clear();
  };
  Result<int64_t> done = sim::simulate_each(h, [&](const EventRecord& e) {
    buf.push_back(e);
    if (buf.size() == buf.capacity()) flush();
  });
  flush();
  if (!done) return;
  const double t_mine = cpu_now();
  MiningResult r = m.mine();
  r.stats.mine_seconds = seconds_since(t_mine);
  const long rss1 = current_rss_kb();
  std::printf("| %.0f M streamed | %lld | - | %.2f | %.2f | %.2f | %lld | %.0f | %zu |\n", millions, static_cast<long long>(n),
              add_s, r.stats.mine_seconds, add_s + r.stats.mine_seconds, static_cast<long long>(m.observations()),
              (rss1 - rss0) / 1024.0, r.routines.size());
  std::fflush(stdout);
}

// From SQLite: the history database is generated once (kept in db_dir for
// later runs), 84 days, then day 85 is appended for the incremental run.
void scale_db(double millions, int64_t start_day, const std::string& db_dir) {
  sim::SimHousehold h = scale_household(millions, start_day, 85);
  const TimeZone tz = *TimeZone::load(h.tz);
  const auto day85 = tz.from_local(start_day + 84, 4 * 3600);   // the anchored day 85 starts here
  char name[128];
  std::snprintf(name, sizeof(name), "/hearth-bench-habits-%gM.db", millions);
  const std::string path = db_dir + name;
  bool have = false;
  {
    Result<std::unique_ptr<HistoryStore>> st = HistoryStore::open(path);
    if (!st) {
      std::printf("open %s: %s\n", path.c_str(), st.error().message.c_str());
      return;
    }
    have = count_or_zero(**st) > 0;
  }
  if (!have) {
    // Two files: the 84-day base and the extra day, written in batches.
    std::fprintf(stderr, "generating %s ...\n", path.c_str());
    Result<std::unique_ptr<HistoryStore>> st = HistoryStore::open(path);
    std::vector<EventRecord> batch, extra;
    auto flush = [&] {
      if (!batch.empty()) (void)(*st)->record_events(batch);
      batch.clear();
    };
    (void)sim::simulate_each(h, [&](const EventRecord& e) {
      if (e.time >= day85) {
        extra.push_back(e);
        return;
      }
      batch.push_back(e);
      if (batch.size() >= 50000) flush();
    });
    flush();
    // The extra day goes to a side file, appended before each incremental run.
    Result<std::unique_ptr<HistoryStore>> side = HistoryStore::open(path + ".day85");
    (void)(*side)->record_events(extra);
  }
  MinerOptions o;
  o.tz = tz;
  const auto now = tz.from_local(start_day + 84, 6 * 3600);
  Result<std::unique_ptr<HistoryStore>> st = HistoryStore::open(path);
  if (!st) return;
  const int64_t rows = count_or_zero(**st);
  // Where the time goes: the SQLite scan alone (same statement, a callback
  // that only touches the views), then scan + add, then mine().
  const double ts = cpu_now();
  size_t touched = 0;
  (void)(*st)->scan_events(0, std::nullopt, [&](const EventView& v) { touched += v.device_id.size() + v.new_value.size(); });
  const double scan_s = seconds_since(ts);
  const long rss0 = current_rss_kb();
  RoutineMiner m(o);
  const double t0 = cpu_now();
  Result<int64_t> fed = m.feed(**st, now);
  const double feed_s = seconds_since(t0);
  if (!fed) {
    std::printf("feed: %s\n", fed.error().message.c_str());
    return;
  }
  const double t_mine = cpu_now();
  MiningResult r = m.mine_at(now);
  r.stats.mine_seconds = seconds_since(t_mine);
  const long rss1 = current_rss_kb();
  std::printf("| %.0f M SQLite | %lld | %.2f (scan alone %.2f) | - | %.2f | %.2f | %lld | %.0f | %zu |\n", millions,
              static_cast<long long>(rows), feed_s, scan_s, r.stats.mine_seconds, feed_s + r.stats.mine_seconds, static_cast<long long>(m.observations()),
              (rss1 - rss0) / 1024.0, r.routines.size());
  std::fflush(stdout);
  // Incremental: the next night. Append day 85 (copied from the side file,
  // not timed), then read only the new rows, drop the day that left the
  // window, and mine again.
  {
    Result<std::unique_ptr<HistoryStore>> side = HistoryStore::open(path + ".day85", {.read_only = true});
    std::vector<EventRecord> extra;
    (void)(*side)->scan_events(0, std::nullopt, [&](const EventView& v) {
      EventRecord e;
      e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(v.time_ms));
      e.device_id = v.device_id;
      e.kind = v.kind;
      e.attribute = v.attribute;
      e.new_value = v.new_value;
      e.origin = v.origin;
      e.result = v.result;
      extra.push_back(std::move(e));
    });
    const int64_t before = count_or_zero(**st);
    (void)(*st)->record_events(extra);
    const auto next = now + std::chrono::hours(24);
    const double t1 = cpu_now();
    Result<int64_t> fed2 = m.feed(**st, next);
    m.forget_before_window(next);
    const double feed2_s = seconds_since(t1);
    const double t_mine2 = cpu_now();
    MiningResult r2 = m.mine_at(next);
    r2.stats.mine_seconds = seconds_since(t_mine2);
    std::printf("| %.0f M SQLite, next night (incremental) | +%lld | %.2f | - | %.2f | %.2f | %lld | - | %zu |\n", millions,
                static_cast<long long>((fed2 ? *fed2 : -1)), feed2_s, r2.stats.mine_seconds, feed2_s + r2.stats.mine_seconds,
                static_cast<long long>(m.observations()), r2.routines.size());
    std::fflush(stdout);
    // Put the database back as it was for the next bench run.
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
      const std::string sql = "DELETE FROM events WHERE id > " + std::to_string(before);
      sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    sqlite3_close(db);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t start_day = 0;
  parse_civil_date("2024-01-08", &start_day);
  std::vector<double> scales, db_scales;
  std::string db_dir = "/tmp";
  bool only_scale = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--scale") == 0 && i + 1 < argc) scales.push_back(std::atof(argv[++i]));
    if (std::strcmp(argv[i], "--db-scale") == 0 && i + 1 < argc) db_scales.push_back(std::atof(argv[++i]));
    if (std::strcmp(argv[i], "--db-dir") == 0 && i + 1 < argc) db_dir = argv[++i];
    if (std::strcmp(argv[i], "--only-scale") == 0) only_scale = true;
  }
  if (!only_scale) {
    accuracy(start_day);
    days_needed(start_day);
    drift(start_day);
  }
  if (!scales.empty() || !db_scales.empty()) {
    std::printf("## Scale (one core; 84-day window)\n\n");
    std::printf("| events | rows | read+add s (SQLite) | add s (streamed) | mine() s | total s | observations kept | RSS growth MiB | routines |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (double s : db_scales) scale_db(s, start_day, db_dir);
    for (double s : scales) scale_stream(s, start_day);
  }
  return 0;
}
