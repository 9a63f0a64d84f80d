#include "routines_json.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "hearth/common/clock.h"
#include "hearth/common/value_json.h"

namespace hearth {

using nlohmann::json;

namespace {

bool read_digits(std::string_view text, size_t pos, size_t n, int* out) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return true;
}

std::string hhmm(int minute_of_day) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", (minute_of_day / 60) % 24, minute_of_day % 60);
  return buf;
}

json time_or_null(std::chrono::system_clock::time_point t, const TimeZone& tz) {
  if (t.time_since_epoch().count() == 0) return nullptr;
  return format_iso8601_local(t, tz);
}

const char* const kDayNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// The setting keys a routine action covers (so duplicates of user routines
// are recognised when suggesting).
std::vector<std::string> action_keys(const RoutineAction& a) {
  EventRecord e;
  e.device_id = a.device_id;
  e.kind = "action";
  e.attribute = a.action;
  e.new_value = value_map_to_json(a.params).dump();
  e.origin = "app";
  e.result = "ok";
  return event_setting_keys(e);
}

Result<std::vector<RoutineAction>> actions_from_json(const json& j) {
  if (!j.is_array() || j.empty()) return Error{Code::kBadInput, "actions: must be a non-empty array"};
  std::vector<RoutineAction> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& a = j[i];
    const std::string where = "actions[" + std::to_string(i) + "]";
    if (!a.is_object()) return Error{Code::kBadInput, where + ": must be an object"};
    RoutineAction ra;
    auto dev = a.find("device_id");
    auto act = a.find("action");
    if (dev == a.end() || !dev->is_string() || dev->get<std::string>().empty()) {
      return Error{Code::kBadInput, where + ".device_id: required, a non-empty string"};
    }
    if (act == a.end() || !act->is_string() || act->get<std::string>().empty()) {
      return Error{Code::kBadInput, where + ".action: required, a non-empty string"};
    }
    ra.device_id = dev->get<std::string>();
    ra.action = act->get<std::string>();
    if (auto p = a.find("params"); p != a.end() && !p->is_null()) {
      if (!p->is_object()) return Error{Code::kBadInput, where + ".params: must be an object"};
      for (auto it = p->begin(); it != p->end(); ++it) {
        bool scalar = true;
        Value v = value_from_json(*it, &scalar);
        if (!scalar) return Error{Code::kBadInput, where + ".params." + it.key() + ": expected a scalar value"};
        ra.params[it.key()] = std::move(v);
      }
    }
    if (auto off = a.find("offset_min"); off != a.end()) {
      if (!off->is_number_integer() || off->get<int64_t>() < 0 || off->get<int64_t>() > 720) {
        return Error{Code::kBadInput, where + ".offset_min: must be an integer in 0..720"};
      }
      ra.offset_min = off->get<int>();
    }
    ra.support = 1.0;
    ra.keys = action_keys(ra);
    out.push_back(std::move(ra));
  }
  return out;
}

Result<void> read_time(const json& body, int* minute_of_day) {
  auto t = body.find("time");
  if (t == body.end() || !t->is_string() || !parse_clock_time(t->get<std::string>(), minute_of_day)) {
    return Error{Code::kBadInput, "time: required, local time as \"HH:MM\""};
  }
  return {};
}

Result<void> read_days(const json& body, uint8_t* mask) {
  auto d = body.find("days");
  if (d == body.end()) {
    *mask = kEveryDayMask;
    return {};
  }
  if (!parse_days(*d, mask)) {
    return Error{Code::kBadInput,
                 "days: \"weekdays\", \"weekends\", \"every day\" or an array of \"mon\"..\"sun\""};
  }
  return {};
}

void describe(Routine& r) {
  std::string d = "at " + hhmm(r.trigger.time_min) + " " +
                  (r.trigger.days_mask == kEveryDayMask ? std::string("every day")
                                                        : "on " + days_mask_text(r.trigger.days_mask)) + ":";
  for (size_t i = 0; i < r.actions.size(); ++i) {
    d += (i ? ", " : " ") + r.actions[i].device_id + " " + r.actions[i].action;
  }
  r.description = d;
  std::vector<std::string> keys;
  for (const RoutineAction& a : r.actions) keys.insert(keys.end(), a.keys.begin(), a.keys.end());
  std::sort(keys.begin(), keys.end());
  r.fingerprint = "user|time|" + std::to_string(r.trigger.days_mask) + "|" + std::to_string(r.trigger.time_min);
  for (const std::string& k : keys) r.fingerprint += "|" + k;
}

}  // namespace

std::string system_time_zone_name() {
  std::vector<std::string> candidates;
  if (const char* tz = std::getenv("TZ"); tz && tz[0] != '\0') candidates.emplace_back(tz[0] == ':' ? tz + 1 : tz);
  std::error_code ec;
  const std::filesystem::path link = std::filesystem::read_symlink("/etc/localtime", ec);
  if (!ec) {
    const std::string target = link.string();
    const size_t at = target.find("zoneinfo/");
    if (at != std::string::npos) candidates.push_back(target.substr(at + 9));
  }
  std::ifstream etc("/etc/timezone");
  std::string line;
  if (etc && std::getline(etc, line) && !line.empty()) candidates.push_back(line);
  for (const std::string& name : candidates) {
    if (TimeZone::load(name)) return name;
  }
  return "UTC";
}

std::string format_iso8601_local(std::chrono::system_clock::time_point t, const TimeZone& tz) {
  const LocalTime lt = tz.to_local(t);
  const CivilDate d = civil_from_days(lt.day);
  const int off = lt.utc_offset_s;
  const int off_abs = off < 0 ? -off : off;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", d.year, d.month, d.day,
                lt.second_of_day / 3600, (lt.second_of_day / 60) % 60, lt.second_of_day % 60, off < 0 ? '-' : '+',
                off_abs / 3600, (off_abs / 60) % 60);
  return buf;
}

bool parse_iso8601(std::string_view s, std::chrono::system_clock::time_point* out) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(s, 0, 4, &year) || s.size() < 16 || s[4] != '-' || !read_digits(s, 5, 2, &month) || s[7] != '-' ||
      !read_digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !read_digits(s, 11, 2, &hour) || s[13] != ':' || !read_digits(s, 14, 2, &minute)) {
    return false;
  }
  size_t pos = 16;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!read_digits(s, pos + 1, 2, &second)) return false;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      size_t n = 0;
      int64_t scale = 100;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        if (n < 3) millis += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
        ++n;
      }
      if (n == 0) return false;
    }
  }
  if (pos >= s.size()) return false;  // the offset is required: a bare local time is ambiguous
  int offset_s = 0;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
    offset_s = 0;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    const int sign = s[pos] == '-' ? -1 : 1;
    if (!read_digits(s, pos + 1, 2, &oh)) return false;
    size_t mpos = pos + 3;
    if (mpos < s.size() && s[mpos] == ':') ++mpos;
    if (!read_digits(s, mpos, 2, &om) || mpos + 2 != s.size() || oh > 23 || om > 59) return false;
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  const int64_t days = days_from_civil(CivilDate{year, month, day});
  if (civil_from_days(days).day != day) return false;  // 2026-02-30
  const int64_t utc_s = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  *out = from_unix_ms(utc_s * 1000 + millis);
  return true;
}

bool parse_clock_time(std::string_view text, int* minute_of_day) {
  int h = 0, m = 0;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3) return false;
  if (!read_digits(text, 0, colon, &h) || !read_digits(text, colon + 1, 2, &m) || h > 23 || m > 59) return false;
  *minute_of_day = h * 60 + m;
  return true;
}

bool parse_days(const json& j, uint8_t* mask) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "weekdays") {
      *mask = kWeekdaysMask;
    } else if (s == "weekends") {
      *mask = kWeekendMask;
    } else if (s == "every day" || s == "daily") {
      *mask = kEveryDayMask;
    } else {
      return false;
    }
    return true;
  }
  if (j.is_number_integer()) {
    const int64_t v = j.get<int64_t>();
    if (v < 1 || v > kEveryDayMask) return false;
    *mask = static_cast<uint8_t>(v);
    return true;
  }
  if (!j.is_array() || j.empty()) return false;
  uint8_t m = 0;
  for (const json& d : j) {
    if (!d.is_string()) return false;
    std::string name = d.get<std::string>();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (name.size() > 3) name.resize(3);
    int found = -1;
    for (int i = 0; i < 7; ++i) {
      if (name == kDayNames[i]) found = i;
    }
    if (found < 0) return false;
    m |= static_cast<uint8_t>(1u << found);
  }
  *mask = m;
  return true;
}

json routine_json(const Routine& r) {
  json j;
  j["kind"] = std::string(routine_kind_name(r.kind));
  j["name"] = r.name;
  j["description"] = r.description;
  json t;
  if (r.kind == RoutineKind::kTimeAnchored) {
    t["time"] = hhmm(r.trigger.time_min);
    t["time_min"] = r.trigger.time_min;
    t["days"] = days_mask_text(r.trigger.days_mask);
    t["days_mask"] = r.trigger.days_mask;
  } else {
    t["event_key"] = r.trigger.event_key;
    t["after"] = hhmm(r.trigger.after_min);
    t["before"] = hhmm(r.trigger.before_min);
  }
  j["trigger"] = t;
  json actions = json::array();
  for (const RoutineAction& a : r.actions) {
    actions.push_back(json{{"device_id", a.device_id},
                           {"action", a.action},
                           {"params", value_map_to_json(a.params)},
                           {"support", a.support},
                           {"offset_min", a.offset_min}});
  }
  j["actions"] = actions;
  j["sensor_keys"] = r.sensor_keys;
  j["support"] = r.support;
  j["consistency_min"] = r.consistency_min;
  j["drift_min_per_week"] = r.drift_min_per_week;
  j["n_days"] = r.n_days;
  j["evidence_dates"] = r.evidence_dates;
  j["fingerprint"] = r.fingerprint;
  return j;
}

json stored_routine_json(const StoredRoutine& r, std::optional<std::chrono::system_clock::time_point> next_run,
                         const TimeZone& tz) {
  json j = routine_json(r.routine);
  j["id"] = r.id;
  j["enabled"] = r.enabled;
  j["adaptive"] = r.adaptive;
  j["created"] = time_or_null(r.created, tz);
  j["updated"] = time_or_null(r.updated, tz);
  j["next_run"] = next_run ? json(format_iso8601_local(*next_run, tz)) : json(nullptr);
  return j;
}

json suggestion_json(const Suggestion& s, const TimeZone& tz) {
  json j = routine_json(s.routine);
  j["id"] = s.id;
  j["status"] = std::string(suggestion_status_name(s.status));
  j["created"] = time_or_null(s.created, tz);
  j["decided"] = time_or_null(s.decided, tz);
  j["routine_id"] = s.routine_id ? json(s.routine_id) : json(nullptr);
  return j;
}

json run_json(const RoutineRun& r, const TimeZone& tz) {
  return json{{"id", r.id},
              {"routine_id", r.routine_id},
              {"scheduled", format_iso8601_local(r.scheduled, tz)},
              {"fired", format_iso8601_local(r.fired, tz)},
              {"outcome", r.outcome}};
}

json mining_json(const MiningResult& m) {
  json j;
  j["window"] = json{{"first_day", format_civil_date(m.first_day)}, {"last_day", format_civil_date(m.last_day)}};
  const MinerStats& s = m.stats;
  j["stats"] = json{{"n_events", s.n_events},         {"n_used", s.n_used},
                    {"n_schedule", s.n_schedule},     {"n_failed", s.n_failed},
                    {"n_malformed", s.n_malformed},   {"n_ignored", s.n_ignored},
                    {"n_in_window", s.n_in_window},   {"n_eligible_days", s.n_eligible_days},
                    {"mine_seconds", s.mine_seconds}};
  json list = json::array();
  for (const Routine& r : m.routines) list.push_back(routine_json(r));
  j["routines"] = list;
  return j;
}

Result<Routine> routine_from_json(const json& body) {
  if (!body.is_object()) return Error{Code::kBadInput, "routine: must be a JSON object"};
  Routine r;
  r.kind = RoutineKind::kTimeAnchored;
  auto name = body.find("name");
  if (name == body.end() || !name->is_string() || name->get<std::string>().empty() ||
      name->get<std::string>().size() > 100) {
    return Error{Code::kBadInput, "name: required, a string of 1..100 bytes"};
  }
  r.name = name->get<std::string>();
  if (auto kind = body.find("kind"); kind != body.end() && *kind != "time") {
    return Error{Code::kBadInput, "kind: only \"time\" routines can be created directly (accept a suggestion for "
                                  "event routines)"};
  }
  if (Result<void> t = read_time(body, &r.trigger.time_min); !t) return t.error();
  if (Result<void> d = read_days(body, &r.trigger.days_mask); !d) return d.error();
  auto actions = body.find("actions");
  if (actions == body.end()) return Error{Code::kBadInput, "actions: required, a non-empty array"};
  Result<std::vector<RoutineAction>> list = actions_from_json(*actions);
  if (!list) return list.error();
  r.actions = std::move(*list);
  r.support = 1.0;
  describe(r);
  if (auto d = body.find("description"); d != body.end()) {
    if (!d->is_string()) return Error{Code::kBadInput, "description: must be a string"};
    r.description = d->get<std::string>();
  }
  return r;
}

Result<void> apply_routine_patch(const json& body, StoredRoutine& s) {
  if (!body.is_object()) return Error{Code::kBadInput, "body: must be a JSON object"};
  static const char* const kKnown[] = {"name", "time", "days", "actions", "enabled", "adaptive", "description"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) {
      return Error{Code::kBadInput, "unknown field '" + it.key() +
                                        "' (known: name, time, days, actions, enabled, adaptive, description)"};
    }
  }
  Routine& r = s.routine;
  bool respec = false;
  if (auto n = body.find("name"); n != body.end()) {
    if (!n->is_string() || n->get<std::string>().empty() || n->get<std::string>().size() > 100) {
      return Error{Code::kBadInput, "name: a string of 1..100 bytes"};
    }
    r.name = n->get<std::string>();
  }
  for (const char* flag : {"enabled", "adaptive"}) {
    auto f = body.find(flag);
    if (f == body.end()) continue;
    if (!f->is_boolean()) return Error{Code::kBadInput, std::string(flag) + ": must be true or false"};
    (std::string(flag) == "enabled" ? s.enabled : s.adaptive) = f->get<bool>();
  }
  const bool timed = body.contains("time") || body.contains("days");
  if (timed && r.kind != RoutineKind::kTimeAnchored) {
    return Error{Code::kBadInput, "time/days: only time-anchored routines have a time"};
  }
  if (body.contains("time")) {
    if (Result<void> t = read_time(body, &r.trigger.time_min); !t) return t.error();
    respec = true;
  }
  if (body.contains("days")) {
    if (Result<void> d = read_days(body, &r.trigger.days_mask); !d) return d.error();
    respec = true;
  }
  if (auto a = body.find("actions"); a != body.end()) {
    Result<std::vector<RoutineAction>> list = actions_from_json(*a);
    if (!list) return list.error();
    r.actions = std::move(*list);
    respec = true;
  }
  if (respec && r.kind == RoutineKind::kTimeAnchored) describe(r);
  if (auto d = body.find("description"); d != body.end()) {
    if (!d->is_string()) return Error{Code::kBadInput, "description: must be a string"};
    r.description = d->get<std::string>();
  }
  return {};
}

}  // namespace hearth
