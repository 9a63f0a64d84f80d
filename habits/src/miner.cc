// habits/src/miner.cc: the routine miner (see miner.h for the method).
//
// Data layout: add() turns each event into Slot records (8 bytes: anchored
// day, seconds since the anchored day's start on the local clock) appended
// to the run of its setting (interned once per distinct raw text), so the
// observations are grouped per setting and, for events read in time order,
// already sorted and de-duplicated. mine() copies the window's part of each
// run (binary search) into one array, so every later step walks contiguous
// memory; its cost depends on the window's observations, not on the history.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "hearth/common/log.h"
#include "hearth/habits/miner.h"
#include "miner_internal.h"

namespace hearth {

using miner_detail::Setting;

namespace {

constexpr int kMinutesPerDay = 1440;
constexpr int kSecondsPerDay = 86400;
constexpr int kDedupSeconds = 120;         // an action and the state it causes are one occurrence
constexpr int kTriggerMergeSeconds = 600;  // repeated trigger events (door opened twice) count once
constexpr int kMaxPeaksPerSetting = 6;
constexpr double kPi = 3.14159265358979323846;

// One observation of a setting: anchored civil day and seconds since the
// anchored day's start on the local clock. Kept per setting (Run), so the
// setting id is implicit.
struct Slot {
  int32_t day;
  int32_t sec;
};
static_assert(sizeof(Slot) == 8, "Slot: keep observations compact");

bool slot_before(const Slot& a, const Slot& b) { return a.day != b.day ? a.day < b.day : a.sec < b.sec; }

// Every observation of one setting, in arrival order; `sorted` stays true
// while events arrive in time order (the usual case: the store is read in
// rowid order), and then repeats within kDedupSeconds are dropped on arrival.
struct Run {
  std::vector<Slot> v;
  bool sorted = true;
};

// Hash for string keys looked up by string_view without a copy.
struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct ItemInfo {
  std::string key;
  Setting setting;
  bool sensor = false;      // evidence only
  bool trigger = false;     // may trigger an event routine
  bool command = false;     // a routine can reproduce it
  bool state_setting = false;   // a level worth a state habit (brightness, temperature, ...)
};

double circ_diff(double a, double b) {   // a - b on the day circle, in [-720, 720)
  double d = std::fmod(a - b, kMinutesPerDay);
  if (d < -kMinutesPerDay / 2) d += kMinutesPerDay;
  if (d >= kMinutesPerDay / 2) d -= kMinutesPerDay;
  return d;
}

double wrap_minute(double m) {
  m = std::fmod(m, kMinutesPerDay);
  return m < 0 ? m + kMinutesPerDay : m;
}

// One setting's habit around one peak, for one day type.
struct Cluster {
  uint32_t item = 0;
  int group = 0;                    // 0 weekdays, 1 weekends
  uint8_t mask = 0;
  double time = 0;                  // anchored minute, current estimate
  double spread = 0;
  double drift_per_day = 0;
  double support = 0;
  int n_eligible = 0;
  std::vector<std::pair<int32_t, double>> per_day;   // (day, anchored minute), ascending day
};

struct TimeFit {
  double time = 0;      // anchored minute at the window end
  double spread = 0;    // residual std dev, minutes
  double drift = 0;     // minutes per day
  std::vector<std::pair<int32_t, double>> kept;
};

// Weighted circular mean, then a weighted linear trend over days on the
// deviations; outliers beyond 3 spreads (at least 20 min) are dropped once.
TimeFit fit_times(std::vector<std::pair<int32_t, double>> pts, int64_t last_day, double half_life) {
  TimeFit f;
  for (int pass = 0; pass < 2; ++pass) {
    if (pts.empty()) return f;
    double sx = 0, sy = 0, sw = 0;
    std::vector<double> w(pts.size());
    for (size_t i = 0; i < pts.size(); ++i) {
      w[i] = std::pow(0.5, static_cast<double>(last_day - pts[i].first) / half_life);
      const double a = pts[i].second * 2 * kPi / kMinutesPerDay;
      sx += w[i] * std::cos(a);
      sy += w[i] * std::sin(a);
      sw += w[i];
    }
    const double mean = wrap_minute(std::atan2(sy, sx) * kMinutesPerDay / (2 * kPi));
    // Weighted least squares of deviation on t = day - last_day.
    double st = 0, se = 0;
    std::vector<double> e(pts.size()), t(pts.size());
    for (size_t i = 0; i < pts.size(); ++i) {
      e[i] = circ_diff(pts[i].second, mean);
      t[i] = static_cast<double>(pts[i].first - last_day);
      st += w[i] * t[i];
      se += w[i] * e[i];
    }
    const double tm = st / sw, em = se / sw;
    double stt = 0, ste = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
      stt += w[i] * (t[i] - tm) * (t[i] - tm);
      ste += w[i] * (t[i] - tm) * (e[i] - em);
    }
    double slope = stt > 0 ? ste / stt : 0.0;
    double intercept = em - slope * tm;
    double rss = 0, rss_flat = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
      const double r = e[i] - (intercept + slope * t[i]);
      rss += w[i] * r * r;
      rss_flat += w[i] * (e[i] - em) * (e[i] - em);
    }
    const double n = static_cast<double>(pts.size());
    const double sd_trend = std::sqrt(rss / sw);
    // Standard error of the slope with the effective sample size of the weights.
    double sw2 = 0;
    for (double x : w) sw2 += x * x;
    const double n_eff = sw * sw / sw2;
    const double se_slope = n_eff > 3 && stt > 0 ? std::sqrt(rss / sw * n_eff / (n_eff - 2)) / std::sqrt(stt / sw * n_eff) : 1e9;
    const double span = static_cast<double>(pts.back().first - pts.front().first);
    const bool drifting = n >= 8 && std::fabs(slope) > 3.5 * se_slope && std::fabs(slope) * span >= 15.0;
    if (!drifting) {
      slope = 0;
      intercept = em;
    }
    const double spread = drifting ? sd_trend : std::sqrt(rss_flat / sw);
    f.time = wrap_minute(mean + intercept + slope * 1.0);
    f.spread = spread;
    f.drift = slope;
    f.kept = pts;
    if (pass == 1) break;
    const double limit = std::max(3.0 * spread, 20.0);
    std::vector<std::pair<int32_t, double>> kept;
    for (size_t i = 0; i < pts.size(); ++i) {
      if (std::fabs(e[i] - (intercept + slope * t[i])) <= limit) kept.push_back(pts[i]);
    }
    if (kept.size() == pts.size() || kept.size() < 3) break;
    pts = std::move(kept);
  }
  return f;
}

}  // namespace

struct RoutineMiner::Impl {
  MinerOptions opt;
  std::vector<ItemInfo> items;
  std::vector<Run> runs;                       // per item
  std::unordered_map<std::string, uint32_t> item_ids;
  // Raw event text (kind, device, attribute, value) → the items it stands
  // for; an empty list caches "says nothing about a habit".
  std::unordered_map<std::string, std::vector<uint32_t>, ViewHash, std::equal_to<>> raw_cache;
  std::string raw_buf;
  // Observations per anchored day, before de-duplication (eligible days).
  std::map<int32_t, int64_t> day_events;
  int32_t cached_day = INT32_MIN;
  int64_t* cached_day_count = nullptr;
  // The time zone offset in force over [tz_lo, tz_hi) UTC seconds.
  int64_t tz_lo = 1, tz_hi = 0;
  int tz_off = 0;
  int64_t n_kept = 0;                          // observations stored
  int64_t last_id = 0;                         // feed(): highest store id read
  MinerStats stats;
  int64_t newest_utc_s = INT64_MIN;

  uint32_t intern(const std::string& key) {
    auto it = item_ids.find(key);
    if (it != item_ids.end()) return it->second;
    ItemInfo info;
    info.key = key;
    info.setting = *miner_detail::parse_key(key);
    info.sensor = miner_detail::is_sensor_setting(info.setting);
    info.trigger = miner_detail::is_trigger_setting(info.setting);
    info.command = !info.sensor && !miner_detail::commands_for_settings(info.setting.device_id, {info.setting}).empty();
    const std::string& a = info.setting.attribute;
    info.state_setting = info.command && a != "state" && a != "activate" && a.rfind("action:", 0) != 0;
    const uint32_t id = static_cast<uint32_t>(items.size());
    items.push_back(std::move(info));
    runs.emplace_back();
    item_ids.emplace(key, id);
    return id;
  }

  int offset_at(int64_t utc_s) {
    if (utc_s >= tz_lo && utc_s < tz_hi) return tz_off;
    const auto& tr = opt.tz.transitions();
    auto it = std::upper_bound(tr.begin(), tr.end(), utc_s, [](int64_t t, const TimeZone::Transition& x) { return t < x.utc_s; });
    tz_lo = it == tr.begin() ? INT64_MIN : std::prev(it)->utc_s;
    tz_hi = it == tr.end() ? INT64_MAX : it->utc_s;
    tz_off = opt.tz.offset_seconds(utc_s);
    return tz_off;
  }

  void push(uint32_t item, int32_t day, int32_t sec) {
    Run& r = runs[item];
    if (!r.v.empty()) {
      const Slot& p = r.v.back();
      if (day < p.day || (day == p.day && sec < p.sec)) {
        r.sorted = false;
      } else if (r.sorted && day == p.day && sec - p.sec < kDedupSeconds) {
        return;   // the same occurrence (an action and the state change it caused)
      }
    }
    r.v.push_back(Slot{day, sec});
    ++n_kept;
  }

  void add(const EventView& e) {
    ++stats.n_events;
    if (e.origin == "schedule" || e.origin.starts_with("schedule:")) {
      ++stats.n_schedule;
      return;
    }
    if (e.device_id.empty() || (e.kind != "action" && e.kind != "state")) {
      ++stats.n_malformed;
      return;
    }
    if (e.kind == "action" && !e.result.empty() && e.result != "ok") {
      ++stats.n_failed;
      return;
    }
    raw_buf.clear();
    raw_buf.append(e.kind).append("\x1f").append(e.device_id).append("\x1f").append(e.attribute).append("\x1f");
    raw_buf.append(e.new_value);
    auto it = raw_cache.find(std::string_view(raw_buf));
    if (it == raw_cache.end()) {
      std::vector<uint32_t> ids;
      bool malformed = false;
      if (e.kind == "action" && !e.new_value.empty()) {
        // Params that are not a JSON object make the row unusable.
        malformed = e.new_value.front() != '{';
      }
      if (!malformed) {
        EventRecord rec;
        rec.device_id = e.device_id;
        rec.kind = e.kind;
        rec.attribute = e.attribute;
        rec.new_value = e.new_value;
        for (const std::string& k : event_setting_keys(rec)) ids.push_back(intern(k));
        if (e.kind == "action" && ids.empty() && e.attribute.empty()) malformed = true;
      }
      if (malformed) {
        ++stats.n_malformed;
        return;   // not cached: malformed rows are rare
      }
      it = raw_cache.emplace(raw_buf, std::move(ids)).first;
    }
    if (it->second.empty()) {
      ++stats.n_ignored;
      return;
    }
    const int64_t utc_s = e.time_ms >= 0 ? e.time_ms / 1000 : -((-e.time_ms + 999) / 1000);
    const int64_t local = utc_s + offset_at(utc_s) - int64_t(opt.day_start_min) * 60;
    int64_t day = local >= 0 ? local / kSecondsPerDay : -((-local + kSecondsPerDay - 1) / kSecondsPerDay);
    const int sec = static_cast<int>(local - day * kSecondsPerDay);
    if (day < INT32_MIN / 2 || day > INT32_MAX / 2) {
      ++stats.n_malformed;
      return;
    }
    const int32_t d32 = static_cast<int32_t>(day);
    if (d32 != cached_day) {
      cached_day = d32;
      cached_day_count = &day_events[d32];
    }
    *cached_day_count += static_cast<int64_t>(it->second.size());
    for (uint32_t id : it->second) push(id, d32, sec);
    newest_utc_s = std::max(newest_utc_s, utc_s);
    ++stats.n_used;
  }

  void add(const EventRecord& e) {
    EventView v;
    v.id = e.id;
    v.time_ms = std::chrono::floor<std::chrono::milliseconds>(e.time).time_since_epoch().count();
    v.device_id = e.device_id;
    v.kind = e.kind;
    v.attribute = e.attribute;
    v.new_value = e.new_value;
    v.origin = e.origin;
    v.result = e.result;
    add(v);
  }

  // Drops observations of anchored days before `day`.
  void forget_before(int32_t day) {
    for (Run& r : runs) {
      auto keep_from = r.sorted ? std::lower_bound(r.v.begin(), r.v.end(), Slot{day, INT32_MIN}, slot_before)
                                : std::partition(r.v.begin(), r.v.end(), [&](const Slot& s) { return s.day < day; });
      n_kept -= keep_from - r.v.begin();
      r.v.erase(r.v.begin(), keep_from);
      if (!r.sorted) r.sorted = std::is_sorted(r.v.begin(), r.v.end(), slot_before);
      if (r.v.capacity() > 2 * r.v.size() + 64) r.v.shrink_to_fit();
    }
    day_events.erase(day_events.begin(), day_events.lower_bound(day));
    cached_day = INT32_MIN;
    cached_day_count = nullptr;
  }

  std::string device_name(const std::string& id) const {
    if (opt.device_name) {
      std::string n = opt.device_name(id);
      if (!n.empty()) return n;
    }
    return miner_detail::default_device_name(id);
  }

  int32_t anchored_day(std::chrono::system_clock::time_point t) const {
    const LocalTime lt = opt.tz.to_local(t);
    return static_cast<int32_t>(lt.day - (lt.second_of_day < opt.day_start_min * 60 ? 1 : 0));
  }

  MiningResult mine(std::optional<std::chrono::system_clock::time_point> now_opt) const;
};

namespace {

// Per-mining working state.
struct Window {
  int64_t first_day = 0, last_day = 0;   // inclusive
  int n_days = 0;
  std::vector<uint32_t> start;           // per item: first index into by_item
  std::vector<Slot> by_item;             // observations grouped by item, each run sorted by time
  std::vector<uint8_t> eligible;         // per window day
  std::vector<int> day_events;           // per window day
  int eligible_by_weekday[7] = {};
};

std::string routine_fingerprint(const Routine& r) {
  std::vector<std::string> keys;
  for (const RoutineAction& a : r.actions) keys.insert(keys.end(), a.keys.begin(), a.keys.end());
  if (keys.empty()) keys = r.sensor_keys;
  std::sort(keys.begin(), keys.end());
  std::string fp(routine_kind_name(r.kind));
  if (r.kind == RoutineKind::kTimeAnchored) {
    fp += "|" + std::to_string(r.trigger.days_mask);
  } else {
    fp += "|" + r.trigger.event_key + "@" + format_minute_of_day(r.trigger.after_min);
  }
  for (const std::string& k : keys) fp += "|" + k;
  return fp;
}

}  // namespace

MiningResult RoutineMiner::Impl::mine(std::optional<std::chrono::system_clock::time_point> now_opt) const {
  const auto t_start = std::chrono::steady_clock::now();
  MiningResult result;
  result.stats = stats;
  // The window ends with the anchored day before `now`; by default the
  // newest event's day is treated as complete.
  int64_t now_day;
  if (now_opt) {
    const LocalTime lt = opt.tz.to_local(*now_opt);
    now_day = lt.day - (lt.second_of_day < opt.day_start_min * 60 ? 1 : 0);
  } else if (newest_utc_s != INT64_MIN) {
    const LocalTime lt = opt.tz.to_local_seconds(newest_utc_s);
    now_day = lt.day - (lt.second_of_day < opt.day_start_min * 60 ? 1 : 0) + 1;
  } else {
    now_day = 0;
  }
  Window w;
  w.n_days = std::max(1, opt.window_days);
  w.last_day = now_day - 1;
  w.first_day = now_day - w.n_days;
  result.first_day = w.first_day;
  result.last_day = w.last_day;
  if (n_kept == 0 || newest_utc_s == INT64_MIN) {
    result.stats.mine_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return result;
  }

  // The window's observations of each item, copied run by run (binary
  // search on sorted runs), sorted and de-duplicated where events arrived
  // out of order.
  const size_t n_items = items.size();
  w.day_events.assign(static_cast<size_t>(w.n_days), 0);
  for (auto it = day_events.lower_bound(static_cast<int32_t>(w.first_day));
       it != day_events.end() && it->first <= w.last_day; ++it) {
    w.day_events[static_cast<size_t>(it->first - w.first_day)] = static_cast<int>(std::min<int64_t>(it->second, INT32_MAX));
  }
  w.start.assign(n_items + 1, 0);
  std::vector<uint32_t> end(n_items);
  const Slot lo_slot{static_cast<int32_t>(w.first_day), INT32_MIN};
  const Slot hi_slot{static_cast<int32_t>(w.last_day), INT32_MAX};
  for (size_t i = 0; i < n_items; ++i) {
    const Run& r = runs[i];
    const size_t b = w.by_item.size();
    w.start[i] = static_cast<uint32_t>(b);
    if (r.sorted) {
      auto lo = std::lower_bound(r.v.begin(), r.v.end(), lo_slot, slot_before);
      auto hi = std::upper_bound(lo, r.v.end(), hi_slot, slot_before);
      w.by_item.insert(w.by_item.end(), lo, hi);
    } else {
      for (const Slot& o : r.v) {
        if (o.day >= w.first_day && o.day <= w.last_day) w.by_item.push_back(o);
      }
      std::sort(w.by_item.begin() + static_cast<std::ptrdiff_t>(b), w.by_item.end(), slot_before);
      // Drop repeats within kDedupSeconds (an action and its state change).
      auto out = w.by_item.begin() + static_cast<std::ptrdiff_t>(b);
      const auto first = out;
      for (auto it = first; it != w.by_item.end(); ++it) {
        if (out != first) {
          const Slot& p = *(out - 1);
          if (p.day == it->day && it->sec - p.sec < kDedupSeconds) continue;
        }
        *out++ = *it;
      }
      w.by_item.erase(out, w.by_item.end());
    }
    end[i] = static_cast<uint32_t>(w.by_item.size());
  }
  w.start[n_items] = static_cast<uint32_t>(w.by_item.size());
  result.stats.n_in_window = static_cast<int64_t>(w.by_item.size());
  w.eligible.assign(static_cast<size_t>(w.n_days), 0);
  for (int d = 0; d < w.n_days; ++d) {
    if (w.day_events[static_cast<size_t>(d)] >= opt.min_day_events) {
      w.eligible[static_cast<size_t>(d)] = 1;
      ++w.eligible_by_weekday[weekday_from_days(w.first_day + d)];
      ++result.stats.n_eligible_days;
    }
  }

  // ---- 1. Time clusters per setting and day type.
  std::vector<Cluster> clusters;
  std::vector<double> kernel;
  const int radius_k = 3 * std::max(1, opt.smooth_sigma_min);
  for (int i = -radius_k; i <= radius_k; ++i) {
    kernel.push_back(std::exp(-0.5 * i * i / (double(opt.smooth_sigma_min) * opt.smooth_sigma_min)));
  }
  std::vector<double> hist(kMinutesPerDay), dens(kMinutesPerDay);
  std::vector<double> padded(static_cast<size_t>(kMinutesPerDay + 2 * radius_k));
  std::vector<int> wd_minute(7 * kMinutesPerDay);   // per weekday and minute: occurrences
  // Recency weight and day type of each window day, computed once.
  std::vector<double> day_weight(static_cast<size_t>(w.n_days));
  std::vector<uint8_t> day_wd(static_cast<size_t>(w.n_days));
  for (int d = 0; d < w.n_days; ++d) {
    day_weight[static_cast<size_t>(d)] = std::pow(0.5, double(w.n_days - 1 - d) / opt.half_life_days);
    day_wd[static_cast<size_t>(d)] = static_cast<uint8_t>(weekday_from_days(w.first_day + d));
  }
  auto wd_of = [&](int32_t day) { return static_cast<int>(day_wd[static_cast<size_t>(day - w.first_day)]); };
  for (uint32_t item = 0; item < n_items; ++item) {
    const Slot* b = w.by_item.data() + w.start[item];
    const Slot* e = w.by_item.data() + end[item];
    if (e - b < opt.min_days) continue;
    const ItemInfo& info = items[item];
    if (!info.command && !info.sensor) continue;
    for (int group = 0; group < 2; ++group) {
      const uint8_t group_mask = group == 0 ? kWeekdaysMask : kWeekendMask;
      std::fill(hist.begin(), hist.end(), 0.0);
      int n_group_days = 0;
      int32_t prev_day = INT32_MIN;
      std::fill(wd_minute.begin(), wd_minute.end(), 0);
      int wd_total[7] = {};
      for (const Slot* o = b; o != e; ++o) {
        const int wd = wd_of(o->day);
        if (!(group_mask & (1u << wd))) continue;
        hist[static_cast<size_t>(o->sec / 60)] += day_weight[static_cast<size_t>(o->day - w.first_day)];
        ++wd_minute[static_cast<size_t>(wd * kMinutesPerDay + o->sec / 60)];
        ++wd_total[wd];
        if (o->day != prev_day) ++n_group_days;   // runs are sorted by day
        prev_day = o->day;
      }
      if (n_group_days < opt.min_days) continue;
      // Exact pruning before the density: a cluster needs, on at least one of
      // its weekdays, min_lift times the uniform share of occurrences within
      // cluster_radius of its peak (the lift test below sums these per-weekday
      // counts, and a sum passes only if one of its terms does). Settings
      // that fire at random times of day (noisy sensors) stop here.
      {
        const int width = 2 * opt.cluster_radius_min + 1;
        bool possible = false;
        for (int wd = 0; wd < 7 && !possible; ++wd) {
          if (wd_total[wd] == 0) continue;
          const int* c = wd_minute.data() + static_cast<size_t>(wd) * kMinutesPerDay;
          const double need = opt.min_lift * wd_total[wd] * double(width) / kMinutesPerDay;
          if (width >= kMinutesPerDay) {
            possible = wd_total[wd] >= need;
            break;
          }
          int sum = 0;
          for (int k = -opt.cluster_radius_min; k <= opt.cluster_radius_min; ++k) sum += c[(k + kMinutesPerDay) % kMinutesPerDay];
          for (int m = 0; m < kMinutesPerDay && !possible; ++m) {
            if (sum >= need) possible = true;
            sum += c[(m + opt.cluster_radius_min + 1) % kMinutesPerDay] - c[(m - opt.cluster_radius_min + kMinutesPerDay) % kMinutesPerDay];
          }
        }
        if (!possible) continue;
      }
      // Circular convolution through a padded copy (no modulo in the inner loop).
      for (int i = 0; i < kMinutesPerDay + 2 * radius_k; ++i) {
        padded[static_cast<size_t>(i)] = hist[static_cast<size_t>(((i - radius_k) % kMinutesPerDay + kMinutesPerDay) % kMinutesPerDay)];
      }
      // Kernel tap outermost: the inner loop has no dependency chain and vectorizes.
      std::fill(dens.begin(), dens.end(), 0.0);
      for (int k = 0; k <= 2 * radius_k; ++k) {
        const double kk = kernel[static_cast<size_t>(k)];
        const double* __restrict x = padded.data() + k;
        double* __restrict out = dens.data();
        for (int m = 0; m < kMinutesPerDay; ++m) out[m] += kk * x[m];
      }
      std::vector<int> peaks;
      for (int m = 0; m < kMinutesPerDay; ++m) {
        const double c = dens[static_cast<size_t>(m)];
        const double l = dens[static_cast<size_t>((m + kMinutesPerDay - 1) % kMinutesPerDay)];
        const double r = dens[static_cast<size_t>((m + 1) % kMinutesPerDay)];
        if (c > 0 && c > l && c >= r) peaks.push_back(m);
      }
      std::sort(peaks.begin(), peaks.end(), [&](int a, int c) { return dens[static_cast<size_t>(a)] > dens[static_cast<size_t>(c)]; });
      std::vector<int> accepted;
      for (int p : peaks) {
        if (static_cast<int>(accepted.size()) >= kMaxPeaksPerSetting) break;
        bool near = false;
        for (int a : accepted) near = near || std::fabs(circ_diff(p, a)) < opt.cluster_radius_min;
        if (!near) accepted.push_back(p);
      }
      // One pass: each occurrence goes to its nearest peak (ties: the
      // stronger peak) when within the cluster radius; per peak and day the
      // occurrence nearest the peak is kept (runs are sorted by day).
      const size_t n_peaks = accepted.size();
      std::vector<std::vector<std::pair<int32_t, double>>> nearest_of(n_peaks);
      std::vector<std::array<int, 7>> in_window_of(n_peaks, std::array<int, 7>{});
      int total_by_wd[7] = {};
      for (const Slot* o = b; o != e; ++o) {
        const int wd = wd_of(o->day);
        if (!(group_mask & (1u << wd))) continue;
        ++total_by_wd[wd];
        const double m = o->sec / 60.0;
        size_t best = 0;
        double best_d = 1e9;
        for (size_t k = 0; k < n_peaks; ++k) {
          double d = m - accepted[k];
          if (d >= kMinutesPerDay / 2) d -= kMinutesPerDay;
          if (d < -kMinutesPerDay / 2) d += kMinutesPerDay;
          d = std::fabs(d);
          if (d < best_d) {
            best_d = d;
            best = k;
          }
        }
        if (best_d > opt.cluster_radius_min) continue;
        ++in_window_of[best][static_cast<size_t>(wd)];
        auto& nv = nearest_of[best];
        if (nv.empty() || nv.back().first != o->day) {
          nv.emplace_back(o->day, m);
        } else if (best_d < std::fabs(circ_diff(nv.back().second, accepted[best]))) {
          nv.back().second = m;
        }
      }
      for (size_t pi = 0; pi < accepted.size(); ++pi) {
        const auto& nearest = nearest_of[pi];
        const auto& in_window_by_wd = in_window_of[pi];
        int occ_by_wd[7] = {}, elig_by_wd[7] = {};
        for (const auto& [day, m] : nearest) ++occ_by_wd[wd_of(day)];
        uint8_t mask = 0;
        for (int wd = 0; wd < 7; ++wd) {
          if (!(group_mask & (1u << wd))) continue;
          elig_by_wd[wd] = std::max(w.eligible_by_weekday[wd], occ_by_wd[wd]);
          if (elig_by_wd[wd] >= 2 && occ_by_wd[wd] >= opt.min_day_support * elig_by_wd[wd]) mask |= static_cast<uint8_t>(1u << wd);
        }
        if (mask == 0) continue;
        if (mask != group_mask) {
          // Only some days of the type: those days must stand out (a shift
          // pattern), not just be the luckier half of a loose habit.
          double in_s = 0, out_s = 0;
          int n_in = 0, n_out = 0;
          for (int wd = 0; wd < 7; ++wd) {
            if (!(group_mask & (1u << wd)) || elig_by_wd[wd] == 0) continue;
            const double sup = double(occ_by_wd[wd]) / elig_by_wd[wd];
            if (mask & (1u << wd)) {
              in_s += sup;
              ++n_in;
            } else {
              out_s += sup;
              ++n_out;
            }
          }
          if (n_out > 0 && n_in > 0 && out_s / n_out > 0.5 * (in_s / n_in)) continue;
          int occ_in = 0, elig_in = 0;
          for (int wd = 0; wd < 7; ++wd) {
            if (mask & (1u << wd)) {
              occ_in += occ_by_wd[wd];
              elig_in += elig_by_wd[wd];
            }
          }
          if (occ_in < opt.min_subset_support * elig_in) continue;
        }
        Cluster c;
        c.item = item;
        c.group = group;
        c.mask = mask;
        int occ = 0, elig = 0, in_w = 0, total = 0;
        for (int wd = 0; wd < 7; ++wd) {
          if (!(mask & (1u << wd))) continue;
          occ += occ_by_wd[wd];
          elig += elig_by_wd[wd];
          in_w += in_window_by_wd[static_cast<size_t>(wd)];
          total += total_by_wd[wd];
        }
        const double expected = total * (2.0 * opt.cluster_radius_min + 1) / kMinutesPerDay;
        if (occ < opt.min_days || in_w < opt.min_lift * expected) continue;
        for (const auto& [day, m] : nearest) {
          if (mask & (1u << weekday_from_days(day))) c.per_day.emplace_back(day, m);
        }
        TimeFit f = fit_times(c.per_day, w.last_day, opt.half_life_days);
        if (f.drift != 0.0) {
          // A drifting habit smears over the window: days far back sit more
          // than cluster_radius from today's peak and were missed. Collect
          // each day's occurrence nearest the fitted trend line instead (not
          // one nearer another peak of this setting) and refit; keep the
          // refit when it explains more days.
          std::vector<std::pair<int32_t, double>> along;
          double along_d = 0;
          const double along_radius = std::min<double>(opt.cluster_radius_min, std::max(3.0 * f.spread, 30.0));
          for (const Slot* o = b; o != e; ++o) {
            if (!(mask & (1u << wd_of(o->day)))) continue;
            const double m = o->sec / 60.0;
            const double expected = wrap_minute(f.time + f.drift * double(o->day - w.last_day - 1));
            const double d = std::fabs(circ_diff(m, expected));
            if (d > along_radius) continue;
            bool other = false;
            for (size_t k = 0; k < n_peaks && !other; ++k) {
              other = k != pi && std::fabs(circ_diff(m, accepted[k])) < d;
            }
            if (other) continue;
            if (along.empty() || along.back().first != o->day) {
              along.emplace_back(o->day, m);
              along_d = d;
            } else if (d < along_d) {
              along.back().second = m;
              along_d = d;
            }
          }
          TimeFit g = fit_times(along, w.last_day, opt.half_life_days);
          if (g.kept.size() > f.kept.size() && g.spread <= std::max(f.spread, 1.0) * 1.25) f = std::move(g);
        }
        c.time = f.time;
        c.spread = f.spread;
        c.drift_per_day = f.drift;
        c.per_day = std::move(f.kept);
        c.n_eligible = elig;
        c.support = elig > 0 ? static_cast<double>(c.per_day.size()) / elig : 0.0;
        if (c.support < opt.min_support || c.spread > opt.max_spread_min ||
            static_cast<int>(c.per_day.size()) < opt.min_days) {
          continue;
        }
        clusters.push_back(std::move(c));
      }
    }
  }

  // ---- 2. Group clusters into routines (same day type, same time, same days).
  std::sort(clusters.begin(), clusters.end(), [&](const Cluster& a, const Cluster& b) {
    const bool ca = items[a.item].command, cb = items[b.item].command;
    if (ca != cb) return ca;   // actions seed routines before sensors
    return a.support * a.per_day.size() > b.support * b.per_day.size();
  });
  std::vector<int> group_of(clusters.size(), -1);
  std::vector<std::vector<size_t>> groups;
  for (size_t s = 0; s < clusters.size(); ++s) {
    if (group_of[s] >= 0) continue;
    const Cluster& seed = clusters[s];
    std::vector<size_t> members{s};
    group_of[s] = static_cast<int>(groups.size());
    std::map<int32_t, double> seed_days(seed.per_day.begin(), seed.per_day.end());
    for (size_t m = s + 1; m < clusters.size(); ++m) {
      if (group_of[m] >= 0) continue;
      const Cluster& c = clusters[m];
      if (c.group != seed.group) continue;
      if (std::fabs(circ_diff(c.time, seed.time)) > opt.group_gap_min) continue;
      // A device takes one value per routine.
      bool conflict = false;
      for (size_t x : members) {
        const Setting& a = items[clusters[x].item].setting;
        const Setting& bset = items[c.item].setting;
        conflict = conflict || (a.device_id == bset.device_id && a.attribute == bset.attribute);
      }
      if (conflict) continue;
      std::vector<double> gaps;
      for (const auto& [day, minute] : c.per_day) {
        auto it = seed_days.find(day);
        if (it != seed_days.end()) gaps.push_back(std::fabs(circ_diff(minute, it->second)));
      }
      const size_t smaller = std::min(c.per_day.size(), seed.per_day.size());
      if (smaller == 0 || gaps.size() < opt.min_group_overlap * smaller) continue;
      std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
      if (gaps[gaps.size() / 2] > opt.group_gap_min) continue;
      members.push_back(m);
      group_of[m] = static_cast<int>(groups.size());
    }
    groups.push_back(std::move(members));
  }

  std::vector<Routine> time_routines;
  struct TimeExtra {
    std::vector<std::pair<int32_t, double>> starts;
    int n_eligible = 0;
    int group = 0;
  };
  std::vector<TimeExtra> extras;
  for (const std::vector<size_t>& g : groups) {
    const Cluster& seed = clusters[g.front()];
    Routine r;
    r.kind = RoutineKind::kTimeAnchored;
    // Per day: start = earliest member occurrence, counted when at least
    // half of the members were seen.
    std::map<int32_t, std::pair<int, double>> days;   // day → (members seen, earliest minute relative to seed)
    for (size_t x : g) {
      for (const auto& [day, minute] : clusters[x].per_day) {
        if (!(seed.mask & (1u << weekday_from_days(day)))) continue;
        auto& slot = days[day];
        const double rel = circ_diff(minute, seed.time);
        slot.second = slot.first == 0 ? rel : std::min(slot.second, rel);
        ++slot.first;
      }
    }
    std::vector<std::pair<int32_t, double>> starts;
    for (const auto& [day, v] : days) {
      if (2 * v.first >= static_cast<int>(g.size())) starts.emplace_back(day, wrap_minute(seed.time + v.second));
    }
    TimeFit f = fit_times(starts, w.last_day, opt.half_life_days);
    r.trigger.days_mask = seed.mask;
    r.trigger.time_min = static_cast<int>(std::lround(wrap_minute(f.time + opt.day_start_min))) % kMinutesPerDay;
    r.consistency_min = f.spread;
    r.drift_min_per_week = f.drift * 7.0;
    r.support = seed.n_eligible > 0 ? static_cast<double>(f.kept.size()) / seed.n_eligible : 0.0;
    r.n_days = static_cast<int>(f.kept.size());
    for (const auto& [day, m] : f.kept) r.evidence_dates.push_back(format_civil_date(day));
    // Actions per device, in order of their usual time.
    std::map<std::string, std::vector<Setting>> by_device;
    std::map<std::string, std::pair<double, double>> device_time_support;   // offset, support
    for (size_t x : g) {
      const ItemInfo& info = items[clusters[x].item];
      if (info.sensor || !info.command) {
        r.sensor_keys.push_back(info.key);
        continue;
      }
      by_device[info.setting.device_id].push_back(info.setting);
      auto& ts = device_time_support[info.setting.device_id];
      ts.first = std::max(ts.first, circ_diff(clusters[x].time, f.time));
      ts.second = std::max(ts.second, clusters[x].support);
    }
    for (auto& [device, settings] : by_device) {
      for (RoutineAction a : miner_detail::commands_for_settings(device, settings)) {
        a.offset_min = static_cast<int>(std::lround(std::max(0.0, device_time_support[device].first)));
        a.support = device_time_support[device].second;
        r.actions.push_back(std::move(a));
      }
    }
    std::stable_sort(r.actions.begin(), r.actions.end(),
                     [](const RoutineAction& a, const RoutineAction& b) { return a.offset_min < b.offset_min; });
    if (r.n_days < opt.min_days || r.support < opt.min_support) continue;
    if (r.actions.empty() && r.consistency_min > opt.max_sensor_spread_min) continue;
    time_routines.push_back(std::move(r));
    extras.push_back({std::move(f.kept), seed.n_eligible, seed.group});
  }

  // ---- 3. Merge weekday and weekend routines that are the same habit.
  auto key_set = [](const Routine& r) {
    std::set<std::string> s;
    for (const RoutineAction& a : r.actions) s.insert(a.keys.begin(), a.keys.end());
    if (s.empty()) s.insert(r.sensor_keys.begin(), r.sensor_keys.end());
    return s;
  };
  std::vector<bool> dead(time_routines.size(), false);
  for (size_t i = 0; i < time_routines.size(); ++i) {
    if (dead[i] || extras[i].group != 0) continue;
    for (size_t j = 0; j < time_routines.size(); ++j) {
      if (dead[j] || extras[j].group != 1) continue;
      Routine& a = time_routines[i];
      const Routine& b = time_routines[j];
      if (std::fabs(circ_diff(a.trigger.time_min, b.trigger.time_min)) > opt.group_gap_min) continue;
      const auto ka = key_set(a), kb = key_set(b);
      std::vector<std::string> both;
      std::set_intersection(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(both));
      const size_t uni = ka.size() + kb.size() - both.size();
      if (uni == 0 || both.size() < 0.8 * uni) continue;
      std::vector<std::pair<int32_t, double>> starts = extras[i].starts;
      starts.insert(starts.end(), extras[j].starts.begin(), extras[j].starts.end());
      std::sort(starts.begin(), starts.end());
      TimeFit f = fit_times(starts, w.last_day, opt.half_life_days);
      a.trigger.days_mask = static_cast<uint8_t>(a.trigger.days_mask | b.trigger.days_mask);
      a.trigger.time_min = static_cast<int>(std::lround(wrap_minute(f.time + opt.day_start_min))) % kMinutesPerDay;
      a.consistency_min = f.spread;
      a.drift_min_per_week = f.drift * 7.0;
      const int elig = extras[i].n_eligible + extras[j].n_eligible;
      a.n_days = static_cast<int>(f.kept.size());
      a.support = elig > 0 ? static_cast<double>(a.n_days) / elig : 0.0;
      a.evidence_dates.clear();
      for (const auto& [day, m] : f.kept) a.evidence_dates.push_back(format_civil_date(day));
      extras[i].starts = std::move(f.kept);
      extras[i].n_eligible = elig;
      dead[j] = true;
      break;
    }
  }
  for (size_t i = 0; i < time_routines.size(); ++i) {
    if (!dead[i]) result.routines.push_back(std::move(time_routines[i]));
  }
  const size_t n_time = result.routines.size();
  std::vector<bool> time_dead(n_time, false);

  // ---- 4. Event-triggered routines: actions that follow a trigger within seconds.
  struct TimedObs {
    int64_t t;        // day * 86400 + sec
    uint32_t item;
  };
  std::vector<TimedObs> actions;
  for (uint32_t item = 0; item < n_items; ++item) {
    if (!items[item].command) continue;
    for (uint32_t k = w.start[item]; k < end[item]; ++k) {
      const Slot& o = w.by_item[k];
      actions.push_back({int64_t(o.day) * kSecondsPerDay + o.sec, item});
    }
  }
  std::sort(actions.begin(), actions.end(), [](const TimedObs& a, const TimedObs& b) { return a.t < b.t; });
  for (uint32_t trig = 0; trig < n_items; ++trig) {
    if (!items[trig].trigger) continue;
    std::vector<TimedObs> occ;   // merged trigger occurrences
    for (uint32_t k = w.start[trig]; k < end[trig]; ++k) {
      const Slot& o = w.by_item[k];
      const int64_t t = int64_t(o.day) * kSecondsPerDay + o.sec;
      if (!occ.empty() && t - occ.back().t < kTriggerMergeSeconds) continue;
      occ.push_back({t, trig});
    }
    if (static_cast<int>(occ.size()) < opt.min_days) continue;
    std::map<uint32_t, std::vector<std::pair<int64_t, int64_t>>> followers;   // item → (trigger t, delay s)
    for (const TimedObs& o : occ) {
      auto it = std::upper_bound(actions.begin(), actions.end(), o.t, [](int64_t t, const TimedObs& x) { return t < x.t; });
      std::set<uint32_t> seen;
      for (; it != actions.end() && it->t - o.t <= opt.sequence_window_s; ++it) {
        if (items[it->item].setting.device_id == items[trig].setting.device_id) continue;
        if (seen.insert(it->item).second) followers[it->item].push_back({o.t, it->t - o.t});
      }
    }
    Routine r;
    r.kind = RoutineKind::kEventTriggered;
    r.trigger.event_key = items[trig].key;
    int after_rel = kMinutesPerDay;
    std::set<int32_t> evidence;
    double conf_sum = 0, delay_sum = 0, delay_sq = 0;
    int n_delay = 0;
    std::map<std::string, std::vector<Setting>> by_device;
    std::map<std::string, std::pair<double, double>> dev_offset_support;
    for (const auto& [item, pos] : followers) {
      if (static_cast<int>(pos.size()) < opt.min_days) continue;
      std::vector<double> minutes;
      for (const auto& [t, d] : pos) minutes.push_back(static_cast<double>((t % kSecondsPerDay + kSecondsPerDay) % kSecondsPerDay) / 60.0);
      std::sort(minutes.begin(), minutes.end());
      const double p5 = minutes[static_cast<size_t>(0.05 * (minutes.size() - 1))];
      const int after = static_cast<int>(std::floor(p5 / 30.0)) * 30;
      int pos_in = 0;
      for (double m : minutes) pos_in += m >= after ? 1 : 0;
      int trig_in = 0;
      for (const TimedObs& o : occ) trig_in += (o.t % kSecondsPerDay) / 60 >= after ? 1 : 0;
      int act_in = 0;
      for (uint32_t k = w.start[item]; k < end[item]; ++k) act_in += w.by_item[k].sec / 60 >= after ? 1 : 0;
      const double conf = trig_in > 0 ? double(pos_in) / trig_in : 0.0;
      const double explained = act_in > 0 ? double(pos_in) / act_in : 0.0;
      std::set<int64_t> pos_days;
      for (const auto& [t, d] : pos) pos_days.insert(t / kSecondsPerDay);
      if (conf < opt.min_sequence_confidence || explained < opt.min_sequence_explained ||
          static_cast<int>(pos_days.size()) < opt.min_days) {
        continue;
      }
      after_rel = std::min(after_rel, after);
      conf_sum += conf;
      for (const auto& [t, d] : pos) {
        evidence.insert(static_cast<int32_t>(t / kSecondsPerDay));
        delay_sum += d / 60.0;
        delay_sq += (d / 60.0) * (d / 60.0);
        ++n_delay;
      }
      by_device[items[item].setting.device_id].push_back(items[item].setting);
      double mean_delay = 0;
      for (const auto& [t, d] : pos) mean_delay += d / 60.0;
      auto& os = dev_offset_support[items[item].setting.device_id];
      os.first = std::max(os.first, mean_delay / pos.size());
      os.second = std::max(os.second, conf);
    }
    if (by_device.empty()) continue;
    for (auto& [device, settings] : by_device) {
      for (RoutineAction a : miner_detail::commands_for_settings(device, settings)) {
        a.offset_min = static_cast<int>(std::lround(dev_offset_support[device].first));
        a.support = dev_offset_support[device].second;
        r.actions.push_back(std::move(a));
      }
    }
    if (r.actions.empty()) continue;
    r.trigger.after_min = (after_rel + opt.day_start_min) % kMinutesPerDay;
    r.trigger.before_min = opt.day_start_min % kMinutesPerDay;
    r.support = conf_sum / static_cast<double>(by_device.size());
    const double md = delay_sum / std::max(1, n_delay);
    r.consistency_min = std::sqrt(std::max(0.0, delay_sq / std::max(1, n_delay) - md * md));
    r.n_days = static_cast<int>(evidence.size());
    for (int32_t d : evidence) r.evidence_dates.push_back(format_civil_date(d));
    // A sequence inside one time routine (door locked → lamps off at
    // bedtime) is that routine's order, not a routine of its own, unless the
    // time routine is loose and the trigger explains it far better (arriving
    // home: the time varies, the delay after the door does not).
    bool inside = false;
    for (size_t i = 0; i < n_time && !inside; ++i) {
      if (time_dead[i]) continue;
      const auto keys = key_set(result.routines[i]);
      std::set<std::string> all = keys;
      all.insert(result.routines[i].sensor_keys.begin(), result.routines[i].sensor_keys.end());
      bool covered = all.count(r.trigger.event_key) > 0;
      for (const RoutineAction& a : r.actions) {
        for (const std::string& k : a.keys) covered = covered && keys.count(k) > 0;
      }
      // Replacing also needs the event routine to do everything the time
      // routine does (a tight door-lock → lamp-off pair inside a drifting
      // bedtime of three actions must not take the bedtime away).
      std::set<std::string> event_keys{r.trigger.event_key};
      for (const RoutineAction& a : r.actions) event_keys.insert(a.keys.begin(), a.keys.end());
      const bool replaces_all =
          std::all_of(keys.begin(), keys.end(), [&](const std::string& k) { return event_keys.count(k) > 0; });
      if (covered && replaces_all && result.routines[i].consistency_min > opt.tight_spread_min &&
          r.consistency_min * 3.0 < result.routines[i].consistency_min) {
        time_dead[i] = true;
        continue;
      }
      inside = covered;
    }
    if (!inside) result.routines.push_back(std::move(r));
  }

  for (size_t i = n_time; i-- > 0;) {
    if (time_dead[i]) result.routines.erase(result.routines.begin() + static_cast<std::ptrdiff_t>(i));
  }

  // ---- 5. State habits: the value usually chosen for a level in a part of the day.
  struct Period {
    const char* name;
    int from, to;   // local minutes [from, to), may wrap
  };
  constexpr Period kPeriods[] = {{"morning", 300, 660}, {"daytime", 660, 1020}, {"evening", 1020, 1320}, {"night", 1320, 300}};
  std::map<std::pair<std::string, std::string>, std::vector<uint32_t>> levels;   // (device, attribute) → items
  for (uint32_t item = 0; item < n_items; ++item) {
    if (items[item].state_setting) levels[{items[item].setting.device_id, items[item].setting.attribute}].push_back(item);
  }
  for (const auto& [da, ids] : levels) {
    for (const Period& p : kPeriods) {
      std::map<uint32_t, std::set<int32_t>> days_by_value;
      size_t total = 0;
      for (uint32_t item : ids) {
        for (uint32_t k = w.start[item]; k < end[item]; ++k) {
          const Slot& o = w.by_item[k];
          const int local_min = (o.sec / 60 + opt.day_start_min) % kMinutesPerDay;
          const bool in = p.from < p.to ? (local_min >= p.from && local_min < p.to) : (local_min >= p.from || local_min < p.to);
          if (!in) continue;
          if (days_by_value[item].insert(o.day).second) ++total;
        }
      }
      uint32_t best = 0;
      size_t best_n = 0;
      for (const auto& [item, days] : days_by_value) {
        if (days.size() > best_n) {
          best = item;
          best_n = days.size();
        }
      }
      if (static_cast<int>(best_n) < opt.min_days || best_n < opt.min_state_share * total) continue;
      Routine r;
      r.kind = RoutineKind::kStateHabit;
      r.trigger.event_key = miner_detail::make_key(da.first, "state", "on");
      r.trigger.after_min = p.from;
      r.trigger.before_min = p.to;
      r.actions = miner_detail::commands_for_settings(da.first, {items[best].setting});
      if (r.actions.empty()) continue;
      for (RoutineAction& a : r.actions) a.support = double(best_n) / total;
      r.support = double(best_n) / total;
      r.n_days = static_cast<int>(best_n);
      for (int32_t d : days_by_value[best]) r.evidence_dates.push_back(format_civil_date(d));
      r.name = p.name;   // completed below
      result.routines.push_back(std::move(r));
    }
  }

  // ---- 6. Names, descriptions, fingerprints.
  std::map<std::string, int> name_count;
  for (Routine& r : result.routines) {
    auto has = [&](auto pred) {
      for (const RoutineAction& a : r.actions) {
        if (pred(a)) return true;
      }
      return false;
    };
    const bool lights_off = has([](const RoutineAction& a) { return a.action == "turn_off"; });
    const bool lights_on = has([](const RoutineAction& a) { return a.action == "turn_on" || a.action == "open_cover"; });
    const bool locks = has([](const RoutineAction& a) { return a.action == "lock"; });
    const bool bed = std::any_of(r.sensor_keys.begin(), r.sensor_keys.end(),
                                 [](const std::string& k) { return k.find("bed") != std::string::npos && k.find("=on") != std::string::npos; });
    std::vector<std::string> phrases;
    for (const RoutineAction& a : r.actions) phrases.push_back(miner_detail::action_phrase(a, device_name(a.device_id)));
    std::string list;
    for (size_t i = 0; i < phrases.size(); ++i) list += (i == 0 ? "" : ", ") + phrases[i];
    if (r.kind == RoutineKind::kTimeAnchored) {
      const int t = r.trigger.time_min;
      const bool night = t >= 20 * 60 || t < 150;
      if (night && (lights_off || locks || bed)) r.name = "Bedtime";
      else if (t >= 270 && t < 600 && lights_on) r.name = "Morning";
      else if (t >= 360 && t < 600 && (locks || lights_off)) r.name = "Leaving home";
      else if (t >= 960 && t < 1350 && lights_on && !lights_off) r.name = "Evening lights";
      else if (t >= 270 && t < 720) r.name = "Morning habit";
      else if (t >= 720 && t < 1020) r.name = "Afternoon habit";
      else r.name = night ? "Night habit" : "Evening habit";
      r.description = "around " + format_minute_of_day(t) + " on " + days_mask_text(r.trigger.days_mask) + ": ";
      if (r.actions.empty()) {
        std::string seen;
        for (const std::string& k : r.sensor_keys) {
          auto s = miner_detail::parse_key(k);
          if (s) seen += (seen.empty() ? "" : ", ") + miner_detail::sensor_phrase(*s, device_name(s->device_id));
        }
        r.description += seen + " (sensors only: nothing to run)";
      } else {
        r.description += list;
        if (!r.sensor_keys.empty()) {
          auto s = miner_detail::parse_key(r.sensor_keys.front());
          if (s) r.description += "; usually with " + miner_detail::sensor_phrase(*s, device_name(s->device_id));
        }
      }
      if (std::fabs(r.drift_min_per_week) >= 2.0) {
        char buf[96];
        std::snprintf(buf, sizeof(buf), "; getting %s by about %.0f min a week", r.drift_min_per_week > 0 ? "later" : "earlier",
                      std::fabs(r.drift_min_per_week));
        r.description += buf;
      }
    } else if (r.kind == RoutineKind::kEventTriggered) {
      auto s = miner_detail::parse_key(r.trigger.event_key);
      const std::string when = s ? miner_detail::sensor_phrase(*s, device_name(s->device_id)) : r.trigger.event_key;
      const bool arrival = s && s->attribute == "state" && (s->value == "unlocked" || (s->value == "on" && s->device_id.find("door") != std::string::npos));
      const bool bed_on = s && s->device_id.find("bed") != std::string::npos && s->value == "on";
      if (arrival && r.trigger.after_min >= 14 * 60) r.name = "Arriving home";
      else if (bed_on) r.name = "Going to bed";
      else if (s && s->device_id.find("motion") != std::string::npos) r.name = "Motion";
      else r.name = "When " + when;
      r.description = "when " + when + " after " + format_minute_of_day(r.trigger.after_min) + ": " + list;
    } else {
      auto s = miner_detail::parse_key(r.actions.front().keys.front());
      const std::string period = r.name;
      const std::string dev = device_name(r.actions.front().device_id);
      std::string value = s ? s->value : "";
      if (s && (s->attribute == "brightness" || s->attribute == "position" || s->attribute == "volume" || s->attribute == "percentage")) value += " %";
      if (s && s->attribute == "temperature") value += " °C";
      r.name = std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(period[0])))) + period.substr(1) + " " +
               (s ? s->attribute : "setting") + " for " + dev;
      r.description = "in the " + period + " (" + format_minute_of_day(r.trigger.after_min) + "–" +
                      format_minute_of_day(r.trigger.before_min) + ") " + dev + " is usually set to " + value + " (" +
                      std::to_string(static_cast<int>(std::lround(r.support * 100))) + " % of " +
                      std::to_string(r.n_days) + "+ days)";
    }
    r.fingerprint = routine_fingerprint(r);
    ++name_count[r.name];
  }
  for (Routine& r : result.routines) {
    if (name_count[r.name] > 1 && r.kind == RoutineKind::kTimeAnchored) r.name += " (" + days_mask_text(r.trigger.days_mask) + ")";
  }
  std::stable_sort(result.routines.begin(), result.routines.end(), [](const Routine& a, const Routine& b) {
    if (a.kind != b.kind) return static_cast<int>(a.kind) < static_cast<int>(b.kind);
    if (a.actionable() != b.actionable()) return a.actionable();
    return a.support * a.n_days > b.support * b.n_days;
  });
  result.stats.mine_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return result;
}

RoutineMiner::RoutineMiner(MinerOptions opt) : impl_(std::make_unique<Impl>()) { impl_->opt = std::move(opt); }
RoutineMiner::~RoutineMiner() = default;
RoutineMiner::RoutineMiner(RoutineMiner&&) noexcept = default;
RoutineMiner& RoutineMiner::operator=(RoutineMiner&&) noexcept = default;

void RoutineMiner::add(const EventRecord& e) { impl_->add(e); }
void RoutineMiner::add(const EventView& e) { impl_->add(e); }
void RoutineMiner::add(const std::vector<EventRecord>& events) {
  for (const EventRecord& e : events) impl_->add(e);
}
MiningResult RoutineMiner::mine() const { return impl_->mine(impl_->opt.now); }
MiningResult RoutineMiner::mine_at(std::chrono::system_clock::time_point now) const { return impl_->mine(now); }
const MinerOptions& RoutineMiner::options() const { return impl_->opt; }
int64_t RoutineMiner::last_id() const { return impl_->last_id; }
int64_t RoutineMiner::observations() const { return impl_->n_kept; }

void RoutineMiner::forget_before_window(std::chrono::system_clock::time_point now) {
  impl_->forget_before(impl_->anchored_day(now) - std::max(1, impl_->opt.window_days));
}

Result<int64_t> RoutineMiner::feed(const HistoryStore& store, std::chrono::system_clock::time_point now) {
  // One extra day before the window covers the day anchor and zone offsets.
  const auto since = now - std::chrono::hours(24) * (std::max(1, impl_->opt.window_days) + 2);
  const int64_t since_ms = std::chrono::floor<std::chrono::milliseconds>(since).time_since_epoch().count();
  Impl& im = *impl_;
  Result<EventScan> scan = store.scan_events(im.last_id, since_ms, [&im](const EventView& e) { im.add(e); });
  if (!scan) return scan.error().with_context("habits: mining " + store.path());
  im.last_id = std::max(im.last_id, scan->last_id);
  return scan->rows;
}

MiningResult mine_routines(const std::vector<EventRecord>& events, const MinerOptions& opt) {
  RoutineMiner m(opt);
  m.add(events);
  return m.mine();
}

Result<MiningResult> mine_routines(const HistoryStore& store, const MinerOptions& opt) {
  RoutineMiner m(opt);
  if (opt.now) {
    HEARTH_TRY(m.feed(store, *opt.now));
  } else {
    Result<EventScan> scan = store.scan_events(0, std::nullopt, [&m](const EventView& e) { m.add(e); });
    if (!scan) return scan.error().with_context("habits: mining " + store.path());
  }
  return m.mine();
}

}  // namespace hearth
