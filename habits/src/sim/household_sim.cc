// habits/src/sim/household_sim.cc: the household simulator (sim.h).
//
// Random numbers come from one std::mt19937_64 per household (its output is
// fixed by the standard), turned into uniforms, normals and Poisson counts by
// the small functions below, so a seed gives the same events everywhere.
#include <algorithm>
#include <cmath>
#include <random>

#include "hearth/common/value_json.h"
#include "hearth/habits/sim.h"

namespace hearth::sim {

namespace {

constexpr int kMinutesPerDay = 1440;
constexpr int kDayStartMin = 240;   // matches MinerOptions::day_start_min's default

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  double uniform() { return static_cast<double>(g_() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  bool chance(double p) { return uniform() < p; }
  double normal(double mean, double sd) {
    // Box-Muller; one value per call keeps the stream simple.
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = uniform();
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  int poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda > 50) return std::max(0, static_cast<int>(std::lround(normal(lambda, std::sqrt(lambda)))));
    const double l = std::exp(-lambda);
    int k = 0;
    double p = 1.0;
    do {
      ++k;
      p *= uniform();
    } while (p > l);
    return k - 1;
  }
  size_t index(size_t n) { return static_cast<size_t>(uniform() * static_cast<double>(n)) % n; }

 private:
  std::mt19937_64 g_;
};

std::string pick_origin(Rng& rng) { return rng.chance(0.6) ? "voice" : "app"; }

// Minutes after midnight of the anchored day, normalised so that times before
// the day start fall after midnight.
double anchored_minutes(double m) {
  while (m < kDayStartMin) m += kMinutesPerDay;
  while (m >= kDayStartMin + kMinutesPerDay) m -= kMinutesPerDay;
  return m;
}

struct Emitter {
  const TimeZone& tz;
  std::vector<EventRecord>& out;
  int64_t day;   // anchored civil day

  std::chrono::system_clock::time_point at(double minute_of_anchored_day) const {
    const double s = minute_of_anchored_day * 60.0;
    const int64_t whole = static_cast<int64_t>(std::floor(s));
    const int64_t d = day + whole / 86400;
    const int sec = static_cast<int>(whole % 86400);
    const int64_t ms = static_cast<int64_t>((s - static_cast<double>(whole)) * 1000.0);
    return tz.from_local(d, sec) + std::chrono::milliseconds(ms);
  }

  void state(std::chrono::system_clock::time_point t, const std::string& device, const std::string& attribute,
             const std::string& old_value, const std::string& value, const std::string& origin) {
    EventRecord e;
    e.time = t;
    e.device_id = device;
    e.kind = "state";
    e.attribute = attribute;
    e.old_value = old_value;
    e.new_value = value;
    e.origin = origin;
    out.push_back(std::move(e));
  }

  // A person (or an automation) runs an action: the action event and the
  // state changes it causes, or only the state changes for a wall switch.
  void action(std::chrono::system_clock::time_point t, const std::string& device, const std::string& name,
              const ValueMap& params, const std::string& origin, bool wall_switch) {
    if (!wall_switch) {
      EventRecord e;
      e.time = t;
      e.device_id = device;
      e.kind = "action";
      e.attribute = name;
      e.new_value = value_map_to_json(params).dump();
      e.origin = origin;
      e.result = "ok";
      out.push_back(std::move(e));
    }
    for (const std::string& key : action_setting_keys(device, name, params)) {
      const size_t bar = key.find('|'), eq = key.find('=', bar);
      const std::string attr = key.substr(bar + 1, eq - bar - 1);
      if (attr == "activate" || attr.rfind("action:", 0) == 0) continue;
      state(t + std::chrono::milliseconds(300), device, attr, "", key.substr(eq + 1), wall_switch ? "device" : origin);
    }
  }
};

bool is_light_or_switch(const std::string& d) { return d.rfind("light.", 0) == 0 || d.rfind("switch.", 0) == 0; }

}  // namespace

std::vector<TrueRoutine> true_routines(const SimHousehold& h) {
  std::vector<TrueRoutine> out;
  for (const SimRoutine& r : h.routines) {
    if (r.by_schedule) continue;
    TrueRoutine t;
    t.name = r.name;
    t.kind = r.event_triggered ? RoutineKind::kEventTriggered : RoutineKind::kTimeAnchored;
    t.days_mask = r.days_mask;
    const double end_min = anchored_minutes(r.time_min) + r.drift_min_per_day * (h.n_days - 1);
    t.time_min = static_cast<int>(std::lround(end_min)) % kMinutesPerDay;
    t.drift_min_per_day = r.drift_min_per_day;
    for (const SimAction& a : r.actions) {
      for (const std::string& k : action_setting_keys(a.device_id, a.action, a.params)) t.keys.push_back(k);
    }
    if (!r.trigger_device.empty()) t.trigger_key = r.trigger_device + "|" + r.trigger_attribute + "=" + r.trigger_value;
    if (t.keys.empty() && !t.trigger_key.empty()) t.keys.push_back(t.trigger_key);
    const int m = t.time_min;
    t.bedtime_like = t.kind == RoutineKind::kTimeAnchored && (m >= 20 * 60 || m < 3 * 60);
    out.push_back(std::move(t));
  }
  for (const SimLevelHabit& l : h.levels) {
    TrueRoutine t;
    t.name = l.device_id + " " + l.param;
    t.kind = RoutineKind::kStateHabit;
    t.days_mask = kEveryDayMask;
    t.time_min = l.from_min;
    t.keys.push_back(l.device_id + "|" + l.param + "=" + std::to_string(l.value));
    out.push_back(std::move(t));
  }
  return out;
}

Result<int64_t> simulate_each(const SimHousehold& h, const std::function<void(const EventRecord&)>& sink) {
  Result<TimeZone> tz = TimeZone::load(h.tz);
  if (!tz) return tz.error().with_context("sim: household '" + h.name + "'");
  Rng rng(h.seed);
  int64_t n = 0;
  std::vector<EventRecord> day_events, carry;
  const std::vector<std::string> kDefaultManual = {"light.kitchen_ceiling", "light.living_room_ceiling", "light.floor_lamp",
                                                   "light.desk_lamp",       "light.bathroom_ceiling",    "light.hallway",
                                                   "media_player.living_room_tv", "switch.space_heater"};
  const std::vector<std::string>& manual = h.manual_devices.empty() ? kDefaultManual : h.manual_devices;
  for (int di = 0; di < h.n_days; ++di) {
    day_events.clear();
    const int64_t day = h.start_day + di;
    Emitter em{*tz, day_events, day};
    const int wd = weekday_from_days(day);
    bool away = false;
    for (const auto& [a, b] : h.away) away = away || (di >= a && di <= b);
    if (away) {
      // The house is empty: a stray sensor blip now and then.
      if (rng.chance(0.3)) em.state(em.at(rng.uniform(600, 1200)), "binary_sensor.hallway_motion", "state", "off", "on", "device");
    } else {
      const bool guests = rng.chance(h.p_guest_day);
      for (const SimRoutine& r : h.routines) {
        if (!(r.days_mask & (1u << wd))) continue;
        if (!r.by_schedule && !rng.chance(r.p_day)) continue;
        double start = anchored_minutes(r.time_min) + r.drift_min_per_day * di;
        if (!r.by_schedule) {
          start += rng.normal(0.0, r.spread_min);
          if (guests) start += rng.uniform(30, 90);
          if (rng.chance(h.p_outlier)) start += (rng.chance(0.5) ? -1 : 1) * rng.uniform(60, 180);
          start = std::max(start, 0.0);   // never before the anchored day's midnight
        }
        const std::string origin = r.by_schedule ? "schedule" : pick_origin(rng);
        if (!r.trigger_device.empty()) {
          em.state(em.at(start - r.trigger_lead_s / 60.0), r.trigger_device, r.trigger_attribute, "", r.trigger_value,
                   "device");
        }
        for (const SimAction& a : r.actions) {
          if (!r.by_schedule && rng.chance(a.p_skip)) continue;
          const double t = start + (a.offset_s + (r.by_schedule ? 0.0 : rng.normal(0.0, 20.0))) / 60.0;
          const bool wall = !r.by_schedule && is_light_or_switch(a.device_id) && rng.chance(h.p_device_origin);
          em.action(em.at(t), a.device_id, a.action, a.params, r.by_schedule ? origin : pick_origin(rng), wall);
        }
      }
      for (const SimLevelHabit& l : h.levels) {
        if (!rng.chance(l.p_day)) continue;
        ValueMap p;
        int64_t v = l.value;
        if (!rng.chance(l.share)) {
          do {
            v = 10 * static_cast<int64_t>(1 + rng.index(10));
          } while (v == l.value);
        }
        p[l.param] = v;
        em.action(em.at(rng.uniform(l.from_min, l.to_min)), l.device_id, "turn_on", p, pick_origin(rng), false);
      }
      const int n_manual = rng.poisson(h.manual_actions_per_day * (guests ? 2.0 : 1.0));
      for (int i = 0; i < n_manual; ++i) {
        const std::string& dev = manual[rng.index(manual.size())];
        const bool on = rng.chance(0.5);
        std::string action = on ? "turn_on" : "turn_off";
        if (dev.rfind("media_player.", 0) == 0) action = on ? "media_play" : "media_pause";
        em.action(em.at(rng.uniform(420, 1380)), dev, action, {}, pick_origin(rng), rng.chance(h.p_device_origin));
      }
      if (guests) em.action(em.at(rng.uniform(1080, 1320)), "light.guest_lamp", "turn_on", {}, "voice", false);
      const int n_motion = rng.poisson(h.motion_per_day);
      for (int i = 0; i < n_motion; ++i) {
        const double t = rng.uniform(360, 1440);
        em.state(em.at(t), "binary_sensor.hallway_motion", "state", "off", "on", "device");
        em.state(em.at(t + rng.uniform(1, 3)), "binary_sensor.hallway_motion", "state", "on", "off", "device");
      }
      const int n_flaps = rng.poisson(h.bed_flaps_per_night);
      for (int i = 0; i < n_flaps; ++i) {
        const double t = rng.uniform(1440 + 60, 1440 + 330);
        em.state(em.at(t), "binary_sensor.bed_occupancy", "state", "on", "off", "device");
        em.state(em.at(t + rng.uniform(0.2, 4)), "binary_sensor.bed_occupancy", "state", "off", "on", "device");
      }
      // Getting up: the bed empties between 06:00 and 08:30.
      if (h.bed_flaps_per_night > 0) {
        em.state(em.at(1440 + 360 + rng.uniform(0, 150)), "binary_sensor.bed_occupancy",
                 "state", "on", "off", "device");
      }
      if (h.extra_noise_devices > 0) {
        const int n_noise = rng.poisson(h.extra_noise_per_day);
        for (int i = 0; i < n_noise; ++i) {
          const std::string dev = "binary_sensor.noise_" + std::to_string(rng.index(static_cast<size_t>(h.extra_noise_devices)));
          em.state(em.at(rng.uniform(kDayStartMin, kDayStartMin + kMinutesPerDay - 1)), dev, "state", "off",
                   rng.chance(0.5) ? "on" : "off", "device");
        }
      }
    }
    // Night events of this day reach into the next calendar day; no event
    // of a later day comes before the next day's midnight (start times are
    // clamped), so everything before it can go out in order.
    carry.insert(carry.end(), day_events.begin(), day_events.end());
    std::stable_sort(carry.begin(), carry.end(), [](const EventRecord& a, const EventRecord& b) { return a.time < b.time; });
    const auto flush_before = di + 1 < h.n_days ? tz->from_local(day + 1, 0) : std::chrono::system_clock::time_point::max();
    size_t k = 0;
    for (; k < carry.size() && carry[k].time < flush_before; ++k) sink(carry[k]);
    n += static_cast<int64_t>(k);
    carry.erase(carry.begin(), carry.begin() + static_cast<std::ptrdiff_t>(k));
  }
  return n;
}

Result<SimOutput> simulate(const SimHousehold& h) {
  SimOutput out;
  Result<int64_t> n = simulate_each(h, [&](const EventRecord& e) { out.events.push_back(e); });
  if (!n) return n.error();
  out.truth = true_routines(h);
  return out;
}

std::vector<SimHousehold> standard_households(uint64_t seed, int n_days, int64_t start_day) {
  auto act = [](std::string dev, std::string action, ValueMap p = {}, int offset_s = 0) {
    SimAction a;
    a.device_id = std::move(dev);
    a.action = std::move(action);
    a.params = std::move(p);
    a.offset_s = offset_s;
    return a;
  };
  auto routine = [](std::string name, uint8_t mask, int time_min, double spread, double drift, double p_day,
                    std::vector<SimAction> actions) {
    SimRoutine r;
    r.name = std::move(name);
    r.days_mask = mask;
    r.time_min = time_min;
    r.spread_min = spread;
    r.drift_min_per_day = drift;
    r.p_day = p_day;
    r.actions = std::move(actions);
    return r;
  };
  std::vector<SimHousehold> out;
  const std::vector<SimAction> bedtime = {act("light.living_room_ceiling", "turn_off"),
                                          act("lock.front_door", "lock", {}, 40),
                                          act("climate.thermostat", "set_temperature", {{"temperature", int64_t{18}}}, 90),
                                          act("light.bedside_left", "turn_off", {}, 240)};
  {
    SimHousehold h;
    h.name = "couple";
    SimRoutine wk = routine("bedtime weekdays", kWeekdaysMask, 22 * 60 + 40, 8.0, 0.0, 0.92, bedtime);
    SimRoutine we = routine("bedtime weekends", kWeekendMask, 23 * 60 + 55, 14.0, 0.0, 0.9, bedtime);
    SimRoutine morning = routine("morning", kWeekdaysMask, 6 * 60 + 45, 7.0, 0.0, 0.9,
                       {act("light.kitchen_ceiling", "turn_on"), act("switch.coffee_maker", "turn_on", {}, 30),
                        act("climate.thermostat", "set_temperature", {{"temperature", int64_t{21}}}, 60)});
    SimRoutine arrive = routine("arriving home", kWeekdaysMask, 18 * 60 + 10, 25.0, 0.0, 0.85,
                      {act("light.hallway", "turn_on", {}, 30)});
    arrive.trigger_device = "lock.front_door";
    arrive.trigger_value = "unlocked";
    arrive.trigger_lead_s = 0;
    arrive.event_triggered = true;
    SimRoutine porch_on = routine("porch on", kEveryDayMask, 19 * 60, 0, 0, 1, {act("light.porch", "turn_on")});
    porch_on.by_schedule = true;
    SimRoutine porch_off = routine("porch off", kEveryDayMask, 23 * 60 + 30, 0, 0, 1, {act("light.porch", "turn_off")});
    porch_off.by_schedule = true;
    h.routines = {wk, we, morning, arrive, porch_on, porch_off};
    h.levels = {SimLevelHabit{"light.floor_lamp", "brightness", 30, 1140, 1320, 0.85, 0.8}};
    out.push_back(h);
  }
  {
    SimHousehold h;
    h.name = "drifter";
    SimRoutine bed = routine("bedtime", kEveryDayMask, 22 * 60 + 30, 10.0, 0.9, 0.9,
                   {act("light.bedroom_ceiling", "turn_off"), act("light.bedside_right", "turn_off", {}, 120),
                    act("lock.back_door", "lock", {}, 60)});
    h.routines = {bed};
    out.push_back(h);
  }
  {
    SimHousehold h;
    h.name = "shift_worker";
    const std::vector<SimAction> sleep = {act("light.landing", "turn_off"), act("light.bedside_right", "turn_off", {}, 90)};
    SimRoutine late = routine("late-shift bedtime", 0x15 /* Mon, Wed, Fri */, 24 * 60 + 30, 10.0, 0.0, 0.9, sleep);
    SimRoutine early = routine("early-shift bedtime", 0x6A /* Tue, Thu, Sat, Sun */, 21 * 60 + 50, 10.0, 0.0, 0.9, sleep);
    SimRoutine morning = routine("early-shift morning", 0x0A /* Tue, Thu */, 5 * 60 + 20, 6.0, 0.0, 0.9,
                       {act("light.kitchen_counter", "turn_on"), act("switch.coffee_maker", "turn_on", {}, 20)});
    h.routines = {late, early, morning};
    out.push_back(h);
  }
  {
    SimHousehold h;
    h.name = "traveler";
    SimRoutine bed = routine("bedtime", kEveryDayMask, 23 * 60 + 10, 12.0, 0.0, 0.88,
                   {act("light.bedside_left", "turn_off"), act("light.bedside_right", "turn_off", {}, 30),
                    act("lock.back_door", "lock", {}, 60)});
    bed.trigger_device = "binary_sensor.bed_occupancy";
    bed.trigger_value = "on";
    bed.trigger_lead_s = 240;
    SimRoutine blinds = routine("morning blinds", kWeekdaysMask, 7 * 60 + 30, 9.0, 0.0, 0.9,
                      {act("cover.living_room_blinds", "open_cover")});
    h.routines = {bed, blinds};
    h.away = {{n_days / 5, n_days / 5 + 12}, {n_days * 3 / 5, n_days * 3 / 5 + 9}};
    h.p_guest_day = 0.12;
    out.push_back(h);
  }
  {
    SimHousehold h;
    h.name = "sensor_home";
    SimRoutine bed = routine("bed occupied", kEveryDayMask, 23 * 60 + 10, 12.0, 0.0, 0.9, {});
    bed.trigger_device = "binary_sensor.bed_occupancy";
    bed.trigger_value = "on";
    bed.trigger_lead_s = 0;
    SimRoutine blinds = routine("morning blinds", kWeekdaysMask, 7 * 60 + 30, 9.0, 0.0, 0.9,
                      {act("cover.living_room_blinds", "open_cover")});
    h.routines = {bed, blinds};
    h.manual_actions_per_day = 3;
    out.push_back(h);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].seed = seed * 1000 + i;
    out[i].n_days = n_days;
    out[i].start_day = start_day;
  }
  return out;
}

}  // namespace hearth::sim
