// habits/src/miner.cc: the routine miner (see miner.h for the method).
//
// Data layout: add() turns each event into Obs records (16 bytes: anchored
// day, seconds since the anchored day's start on the local clock, setting
// id). mine() copies the window's observations into per-setting runs
// (counting sort), so every later step walks contiguous memory.
#include <algorithm>
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

struct Obs {
  int32_t day;      // anchored civil day
  int32_t sec;      // seconds since the anchored day's start, local clock
  uint32_t item;    // setting id
  uint32_t pad = 0;
};
static_assert(sizeof(Obs) == 16, "Obs: keep observations compact");

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
  std::vector<Obs> obs;
  std::vector<ItemInfo> items;
  std::unordered_map<std::string, uint32_t> item_ids;
  std::unordered_map<std::string, std::vector<uint32_t>> raw_cache;   // raw event text → items
  std::string raw_buf;
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
    item_ids.emplace(key, id);
    return id;
  }

  void add(const EventRecord& e) {
    ++stats.n_events;
    if (e.origin == "schedule" || e.origin.rfind("schedule:", 0) == 0) {
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
    auto it = raw_cache.find(raw_buf);
    if (it == raw_cache.end()) {
      std::vector<uint32_t> ids;
      bool malformed = false;
      if (e.kind == "action" && !e.new_value.empty()) {
        // Params that are not a JSON object make the row unusable.
        const char c = e.new_value.front();
        malformed = c != '{';
      }
      if (!malformed) {
        for (const std::string& k : event_setting_keys(e)) ids.push_back(intern(k));
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
    const int64_t utc_s = std::chrono::floor<std::chrono::seconds>(e.time).time_since_epoch().count();
    const LocalTime lt = opt.tz.to_local_seconds(utc_s);
    int sec = lt.second_of_day - opt.day_start_min * 60;
    int64_t day = lt.day;
    if (sec < 0) {
      sec += kSecondsPerDay;
      --day;
    }
    if (day < INT32_MIN / 2 || day > INT32_MAX / 2) {
      ++stats.n_malformed;
      return;
    }
    for (uint32_t id : it->second) obs.push_back(Obs{static_cast<int32_t>(day), sec, id});
    newest_utc_s = std::max(newest_utc_s, utc_s);
    ++stats.n_used;
  }

  std::string device_name(const std::string& id) const {
    if (opt.device_name) {
      std::string n = opt.device_name(id);
      if (!n.empty()) return n;
    }
    return miner_detail::default_device_name(id);
  }

  MiningResult mine(std::optional<std::chrono::system_clock::time_point> now_opt) const;
};

namespace {

// Per-mining working state.
struct Window {
  int64_t first_day = 0, last_day = 0;   // inclusive
  int n_days = 0;
  std::vector<uint32_t> start;           // per item: first index into by_item
  std::vector<Obs> by_item;              // observations grouped by item, each run sorted by time
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
  if (obs.empty() || newest_utc_s == INT64_MIN) {
    result.stats.mine_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return result;
  }

  // Counting sort of the window's observations by item.
  const size_t n_items = items.size();
  std::vector<uint32_t> count(n_items + 1, 0);
  w.day_events.assign(static_cast<size_t>(w.n_days), 0);
  for (const Obs& o : obs) {
    if (o.day < w.first_day || o.day > w.last_day) continue;
    ++count[o.item + 1];
    ++w.day_events[static_cast<size_t>(o.day - w.first_day)];
  }
  w.start.assign(n_items + 1, 0);
  for (size_t i = 0; i < n_items; ++i) w.start[i + 1] = w.start[i] + count[i + 1];
  w.by_item.resize(w.start[n_items]);
  {
    std::vector<uint32_t> fill(w.start.begin(), w.start.end() - 1);
    for (const Obs& o : obs) {
      if (o.day < w.first_day || o.day > w.last_day) continue;
      w.by_item[fill[o.item]++] = o;
    }
  }
  result.stats.n_in_window = static_cast<int64_t>(w.by_item.size());
  auto before = [](const Obs& a, const Obs& b) { return a.day != b.day ? a.day < b.day : a.sec < b.sec; };
  std::vector<uint32_t> end(n_items);
  for (size_t i = 0; i < n_items; ++i) {
    auto b = w.by_item.begin() + w.start[i];
    auto e = w.by_item.begin() + w.start[i + 1];
    if (!std::is_sorted(b, e, before)) std::sort(b, e, before);
    // Drop repeats within kDedupSeconds (an action and its state change).
    auto out = b;
    for (auto it = b; it != e; ++it) {
      if (out != b) {
        const Obs& p = *(out - 1);
        if (p.day == it->day && it->sec - p.sec < kDedupSeconds) continue;
      }
      *out++ = *it;
    }
    end[i] = static_cast<uint32_t>(out - w.by_item.begin());
  }
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
  for (uint32_t item = 0; item < n_items; ++item) {
    const Obs* b = w.by_item.data() + w.start[item];
    const Obs* e = w.by_item.data() + end[item];
    if (e - b < opt.min_days) continue;
    const ItemInfo& info = items[item];
    if (!info.command && !info.sensor) continue;
    for (int group = 0; group < 2; ++group) {
      const uint8_t group_mask = group == 0 ? kWeekdaysMask : kWeekendMask;
      std::fill(hist.begin(), hist.end(), 0.0);
      int n_group = 0;
      std::set<int32_t> group_days;
      for (const Obs* o = b; o != e; ++o) {
        if (!(group_mask & (1u << weekday_from_days(o->day)))) continue;
        hist[static_cast<size_t>(o->sec / 60)] += std::pow(0.5, double(w.last_day - o->day) / opt.half_life_days);
        ++n_group;
        group_days.insert(o->day);
      }
      if (static_cast<int>(group_days.size()) < opt.min_days) continue;
      std::fill(dens.begin(), dens.end(), 0.0);
      for (int m = 0; m < kMinutesPerDay; ++m) {
        const double h = hist[static_cast<size_t>(m)];
        if (h == 0.0) continue;
        for (int k = -radius_k; k <= radius_k; ++k) {
          dens[static_cast<size_t>((m + k + kMinutesPerDay) % kMinutesPerDay)] += h * kernel[static_cast<size_t>(k + radius_k)];
        }
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
      auto nearest_peak = [&](double m) {
        size_t best = 0;
        for (size_t k = 1; k < accepted.size(); ++k) {
          if (std::fabs(circ_diff(m, accepted[k])) < std::fabs(circ_diff(m, accepted[best]))) best = k;
        }
        return best;
      };
      for (size_t pi = 0; pi < accepted.size(); ++pi) {
        const int peak = accepted[pi];
        // Nearest occurrence to the peak on each day (each occurrence belongs
        // to its nearest peak), and in-window counts for the lift.
        std::map<int32_t, double> nearest;
        int in_window_by_wd[7] = {}, total_by_wd[7] = {};
        for (const Obs* o = b; o != e; ++o) {
          const int wd = weekday_from_days(o->day);
          if (!(group_mask & (1u << wd))) continue;
          ++total_by_wd[wd];
          const double m = o->sec / 60.0;
          const double d = std::fabs(circ_diff(m, peak));
          if (d > opt.cluster_radius_min || nearest_peak(m) != pi) continue;
          ++in_window_by_wd[wd];
          auto it = nearest.find(o->day);
          if (it == nearest.end() || d < std::fabs(circ_diff(it->second, peak))) nearest[o->day] = m;
        }
        int occ_by_wd[7] = {}, elig_by_wd[7] = {};
        for (const auto& [day, m] : nearest) ++occ_by_wd[weekday_from_days(day)];
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
          in_w += in_window_by_wd[wd];
          total += total_by_wd[wd];
        }
        const double expected = total * (2.0 * opt.cluster_radius_min + 1) / kMinutesPerDay;
        if (occ < opt.min_days || in_w < opt.min_lift * expected) continue;
        for (const auto& [day, m] : nearest) {
          if (mask & (1u << weekday_from_days(day))) c.per_day.emplace_back(day, m);
        }
        TimeFit f = fit_times(c.per_day, w.last_day, opt.half_life_days);
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
      const Obs& o = w.by_item[k];
      actions.push_back({int64_t(o.day) * kSecondsPerDay + o.sec, item});
    }
  }
  std::sort(actions.begin(), actions.end(), [](const TimedObs& a, const TimedObs& b) { return a.t < b.t; });
  for (uint32_t trig = 0; trig < n_items; ++trig) {
    if (!items[trig].trigger) continue;
    std::vector<TimedObs> occ;   // merged trigger occurrences
    for (uint32_t k = w.start[trig]; k < end[trig]; ++k) {
      const Obs& o = w.by_item[k];
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
      if (covered && result.routines[i].consistency_min > opt.tight_spread_min &&
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
          const Obs& o = w.by_item[k];
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
void RoutineMiner::add(const std::vector<EventRecord>& events) {
  impl_->obs.reserve(impl_->obs.size() + events.size());
  for (const EventRecord& e : events) impl_->add(e);
}
MiningResult RoutineMiner::mine() const { return impl_->mine(impl_->opt.now); }
MiningResult RoutineMiner::mine_at(std::chrono::system_clock::time_point now) const { return impl_->mine(now); }
const MinerOptions& RoutineMiner::options() const { return impl_->opt; }

MiningResult mine_routines(const std::vector<EventRecord>& events, const MinerOptions& opt) {
  RoutineMiner m(opt);
  m.add(events);
  return m.mine();
}

Result<MiningResult> mine_routines(const HistoryStore& store, const MinerOptions& opt) {
  RoutineMiner m(opt);
  HistoryQuery q;
  q.limit = 1000;
  if (opt.now) {
    // One extra day before the window covers the day anchor and zone offsets.
    q.since = *opt.now - std::chrono::hours(24) * (opt.window_days + 2);
    q.until = *opt.now;
  }
  for (;;) {
    Result<std::vector<EventRecord>> page = store.events(q);
    if (!page) return page.error().with_context("habits: mining " + store.path());
    if (page->empty()) break;
    for (const EventRecord& e : *page) m.add(e);
    q.before_id = page->back().id;
    if (static_cast<int>(page->size()) < q.limit) break;
  }
  return m.mine();
}

}  // namespace hearth
