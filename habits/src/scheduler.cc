// habits/src/scheduler.cc: RoutineScheduler (scheduler.h).
#include "hearth/habits/scheduler.h"

#include <algorithm>

namespace hearth {

RoutineScheduler::RoutineScheduler(const Clock& clock, TimeZone tz, SchedulerOptions opt)
    : clock_(clock), tz_(std::move(tz)), opt_(opt) {}

std::chrono::system_clock::time_point RoutineScheduler::next_occurrence(int time_min, uint8_t days_mask,
                                                                        std::chrono::system_clock::time_point from) const {
  using std::chrono::system_clock;
  if ((days_mask & kEveryDayMask) == 0) return system_clock::time_point::max();
  const bool after_midnight = time_min < opt_.day_start_min;
  const LocalTime lt = tz_.to_local(from);
  // Anchored days from two before `from` cover post-midnight times.
  for (int64_t day = lt.day - 2; day <= lt.day + 8; ++day) {
    if (!(days_mask & (1u << weekday_from_days(day)))) continue;
    const auto t = tz_.from_local(day + (after_midnight ? 1 : 0), time_min * 60);
    if (t >= from) return t;
  }
  return system_clock::time_point::max();
}

void RoutineScheduler::set_routines(const std::vector<StoredRoutine>& routines) {
  const auto now = clock_.now();
  std::map<int64_t, Entry> next;
  for (const StoredRoutine& r : routines) {
    if (!r.enabled || r.routine.actions.empty()) continue;
    Entry e;
    e.routine = r;
    auto old = entries_.find(r.id);
    if (old != entries_.end()) {
      e.last_run = old->second.last_run;
      e.last_event_fire = old->second.last_event_fire;
    }
    if (r.routine.kind == RoutineKind::kTimeAnchored) {
      // A routine due a moment ago (within grace) still runs now.
      auto from = now - opt_.grace;
      if (e.last_run && *e.last_run >= from) from = *e.last_run + std::chrono::seconds(1);
      e.next_due = next_occurrence(r.routine.trigger.time_min, r.routine.trigger.days_mask, from);
    }
    next.emplace(r.id, std::move(e));
  }
  entries_ = std::move(next);
}

void RoutineScheduler::set_last_run(int64_t routine_id, std::chrono::system_clock::time_point scheduled) {
  auto it = entries_.find(routine_id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.last_run = scheduled;
  if (e.routine.routine.kind == RoutineKind::kTimeAnchored && e.next_due <= scheduled) {
    e.next_due = next_occurrence(e.routine.routine.trigger.time_min, e.routine.routine.trigger.days_mask,
                                 scheduled + std::chrono::seconds(1));
  }
}

std::optional<std::chrono::system_clock::time_point> RoutineScheduler::next_wakeup() const {
  std::optional<std::chrono::system_clock::time_point> best;
  for (const auto& [id, e] : entries_) {
    if (e.routine.routine.kind != RoutineKind::kTimeAnchored) continue;
    if (e.next_due == std::chrono::system_clock::time_point::max()) continue;
    if (!best || e.next_due < *best) best = e.next_due;
  }
  return best;
}

Firing RoutineScheduler::make_firing(const Entry& e, std::chrono::system_clock::time_point scheduled, bool missed) const {
  Firing f;
  f.routine_id = e.routine.id;
  f.routine_name = e.routine.routine.name;
  f.scheduled = scheduled;
  f.now = clock_.now();
  f.missed = missed;
  if (!missed) {
    for (const RoutineAction& a : e.routine.routine.actions) {
      f.commands.push_back(ScheduledCommand{a.device_id, a.action, a.params, "schedule"});
    }
  }
  return f;
}

std::vector<Firing> RoutineScheduler::poll() {
  const auto now = clock_.now();
  std::vector<Firing> out;
  for (auto& [id, e] : entries_) {
    if (e.routine.routine.kind != RoutineKind::kTimeAnchored) continue;
    std::optional<std::chrono::system_clock::time_point> missed;
    while (e.next_due <= now) {
      if (now - e.next_due <= opt_.grace) {
        out.push_back(make_firing(e, e.next_due, false));
        missed.reset();
      } else {
        missed = e.next_due;
      }
      e.last_run = e.next_due;
      e.next_due = next_occurrence(e.routine.routine.trigger.time_min, e.routine.routine.trigger.days_mask,
                                   e.next_due + std::chrono::seconds(1));
    }
    if (missed) out.push_back(make_firing(e, *missed, true));
  }
  std::sort(out.begin(), out.end(), [](const Firing& a, const Firing& b) { return a.scheduled < b.scheduled; });
  return out;
}

std::vector<Firing> RoutineScheduler::on_event(const EventRecord& ev) {
  std::vector<Firing> out;
  if (ev.origin == "schedule" || ev.origin.rfind("schedule:", 0) == 0) return out;
  const std::vector<std::string> keys = event_setting_keys(ev);
  if (keys.empty()) return out;
  const int minute = tz_.to_local(ev.time).minute_of_day();
  for (auto& [id, e] : entries_) {
    const Routine& r = e.routine.routine;
    if (r.kind == RoutineKind::kTimeAnchored) continue;
    if (std::find(keys.begin(), keys.end(), r.trigger.event_key) == keys.end()) continue;
    const int a = r.trigger.after_min, b = r.trigger.before_min;
    const bool inside = a == b || (a < b ? (minute >= a && minute < b) : (minute >= a || minute < b));
    if (!inside) continue;
    if (e.last_event_fire && ev.time - *e.last_event_fire < opt_.event_cooldown) continue;
    e.last_event_fire = ev.time;
    out.push_back(make_firing(e, ev.time, false));
  }
  return out;
}

}  // namespace hearth
