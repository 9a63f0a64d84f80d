// bench/habits/bench_habits.cc: routine miner accuracy on simulated
// households with known routines, and mining time and memory at scale.
//
//   bench_habits [--scale N_MILLIONS ...]    e.g. bench_habits --scale 1 --scale 10
//
// Accuracy: a mined routine matches a true one when their setting keys
// overlap and (time routines) their times are within 15 minutes on shared
// days, or (event routines) the trigger is the true one's trigger or one of
// its settings. Precision counts actionable time and event routines.
#include <sys/resource.h>

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

long max_rss_kb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
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

void scale(double millions, int64_t start_day) {
  sim::SimHousehold h = sim::standard_households(9, 84, start_day)[0];
  h.name = "scale";
  h.extra_noise_devices = 400;
  const double per_day = millions * 1e6 / 84.0;
  h.extra_noise_per_day = per_day;
  h.motion_per_day = 15;
  MinerOptions o;
  o.tz = *TimeZone::load(h.tz);
  RoutineMiner m(o);
  const long rss0 = max_rss_kb();
  auto t0 = std::chrono::steady_clock::now();
  double add_s = 0;
  int64_t n = 0;
  Result<int64_t> done = sim::simulate_each(h, [&](const EventRecord& e) {
    const auto a = std::chrono::steady_clock::now();
    m.add(e);
    add_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
    ++n;
  });
  const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - add_s;
  if (!done) return;
  MiningResult r = m.mine();
  const long rss1 = max_rss_kb();
  std::printf("| %.1f M | %lld | %.2f | %.2f | %.2f | %.0f | %zu |\n", millions, static_cast<long long>(n), add_s,
              r.stats.mine_seconds, add_s + r.stats.mine_seconds, (rss1 - rss0) / 1024.0, r.routines.size());
  (void)gen_s;
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t start_day = 0;
  parse_civil_date("2024-01-08", &start_day);
  std::vector<double> scales;
  bool only_scale = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--scale") == 0 && i + 1 < argc) scales.push_back(std::atof(argv[++i]));
    if (std::strcmp(argv[i], "--only-scale") == 0) only_scale = true;
  }
  if (!only_scale) {
    accuracy(start_day);
    days_needed(start_day);
    drift(start_day);
  }
  if (!scales.empty()) {
    std::printf("## Scale (one core; events streamed from the simulator into RoutineMiner::add, then mine())\n\n");
    std::printf("| events | n | add() s | mine() s | total s | RSS growth MiB | routines |\n|---|---|---|---|---|---|---|\n");
    for (double s : scales) scale(s, start_day);
  }
  return 0;
}
