#include "cli_habits.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "hearth/common/clock.h"
#include "hearth/common/value_json.h"
#include "hearth/habits/miner.h"
#include "hearth/habits/sim.h"
#include "routines_json.h"

namespace hearth {

using nlohmann::json;

namespace {

constexpr size_t kImportBatch = 2000;          // events per transaction
constexpr size_t kMaxLineBytes = 1 << 16;      // an event line is ~150 bytes
constexpr int kExportPage = 1000;

const char* const kHabitsUsage =
    "usage: hearth habits <command> [options]\n"
    "\n"
    "  mine      --db FILE [--now ISO] [--tz ZONE] [--window-days N]\n"
    "            mine the history for routines; prints JSON\n"
    "  simulate  --out EVENTS.jsonl --days N [--household NAME] [--seed S] [--end YYYY-MM-DD]\n"
    "            write a simulated household's history (couple, drifter, shift_worker,\n"
    "            traveler, sensor_home; default couple), ending the day before --end (today)\n"
    "\n"
    "Then: hearth history import --db FILE EVENTS.jsonl, and start hearthd on FILE.\n";

const char* const kHistoryUsage =
    "usage: hearth history <command> [options]\n"
    "\n"
    "  import  --db FILE EVENTS.jsonl   append events (one JSON object per line:\n"
    "          {\"ts\", \"device\", \"attribute\", \"value\", \"origin\"}); malformed lines are\n"
    "          reported with their line number and skipped; exit 1 if any was bad\n"
    "  export  --db FILE [OUT] [--tz ZONE]   write every event, oldest first (stdout by default)\n";

struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;
  bool help = false;
  std::string error;

  std::optional<std::string> get(std::string_view name) const {
    std::optional<std::string> v;
    for (const auto& [k, value] : options) {
      if (k == name) v = value;
    }
    return v;
  }
};

Args parse(const std::vector<std::string>& args, size_t first, const std::vector<std::string>& with_value) {
  Args out;
  for (size_t i = first; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "-h" || a == "--help") {
      out.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a;
    std::optional<std::string> value;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    if (std::find(with_value.begin(), with_value.end(), name) == with_value.end()) {
      out.error = "unknown option '" + a + "'";
      return out;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        out.error = name + " needs a value";
        return out;
      }
      value = args[++i];
    }
    out.options.emplace_back(name, *value);
  }
  return out;
}

bool parse_int(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

Result<TimeZone> zone_from(const Args& a) {
  const std::string name = a.get("--tz").value_or(system_time_zone_name());
  Result<TimeZone> tz = TimeZone::load(name);
  if (!tz) return Error{tz.error().code, "--tz " + name + ": unknown time zone (e.g. Europe/Berlin, UTC)"};
  return tz;
}

int usage_error(std::ostream& err, const std::string& what, const char* usage) {
  err << "hearth: " << what << "\n\n" << usage;
  return kCliUsage;
}

int cmd_mine(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = parse(args, 1, {"--db", "--now", "--tz", "--window-days"});
  if (a.help) return out << kHabitsUsage, kCliOk;
  if (!a.error.empty()) return usage_error(err, a.error, kHabitsUsage);
  if (!a.positional.empty()) return usage_error(err, "unexpected argument '" + a.positional[0] + "'", kHabitsUsage);
  std::optional<std::string> db = a.get("--db");
  if (!db) return usage_error(err, "habits mine: --db FILE is required", kHabitsUsage);
  MinerOptions opt;
  Result<TimeZone> tz = zone_from(a);
  if (!tz) return usage_error(err, tz.error().message, kHabitsUsage);
  opt.tz = *tz;
  if (std::optional<std::string> now = a.get("--now")) {
    std::chrono::system_clock::time_point t;
    if (!parse_iso8601(*now, &t)) {
      return usage_error(err, "--now " + *now + ": expected ISO-8601 with offset, e.g. 2026-03-01T12:00:00+01:00",
                         kHabitsUsage);
    }
    opt.now = t;
  }
  if (std::optional<std::string> w = a.get("--window-days")) {
    int64_t n = 0;
    if (!parse_int(*w, 1, 3650, &n)) return usage_error(err, "--window-days must be an integer in 1..3650", kHabitsUsage);
    opt.window_days = static_cast<int>(n);
  }
  HistoryOptions ho;
  ho.read_only = true;
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::open(*db, ho);
  if (!store) {
    err << "hearth: " << *db << ": " << store.error().message << "\n";
    return kCliFailed;
  }
  Result<MiningResult> mined = mine_routines(**store, opt);
  if (!mined) {
    err << "hearth: mining " << *db << ": " << mined.error().message << "\n";
    return kCliFailed;
  }
  json j = mining_json(*mined);
  j["time_zone"] = opt.tz.name();
  out << j.dump(2) << "\n";
  return kCliOk;
}

int cmd_simulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = parse(args, 1, {"--out", "--days", "--household", "--seed", "--end"});
  if (a.help) return out << kHabitsUsage, kCliOk;
  if (!a.error.empty()) return usage_error(err, a.error, kHabitsUsage);
  if (!a.positional.empty()) return usage_error(err, "unexpected argument '" + a.positional[0] + "'", kHabitsUsage);
  std::optional<std::string> path = a.get("--out");
  std::optional<std::string> days_text = a.get("--days");
  if (!path || !days_text) return usage_error(err, "habits simulate: --out FILE and --days N are required", kHabitsUsage);
  int64_t n_days = 0;
  if (!parse_int(*days_text, 1, 3650, &n_days)) return usage_error(err, "--days must be an integer in 1..3650", kHabitsUsage);
  int64_t seed = 1;
  if (std::optional<std::string> s = a.get("--seed"); s && !parse_int(*s, 0, INT64_MAX / 2, &seed)) {
    return usage_error(err, "--seed must be a non-negative integer", kHabitsUsage);
  }
  const std::string name = a.get("--household").value_or("couple");
  int64_t end_day = to_unix_ms(std::chrono::system_clock::now()) / 86400000;
  if (std::optional<std::string> e = a.get("--end"); e && !parse_civil_date(*e, &end_day)) {
    return usage_error(err, "--end must be YYYY-MM-DD", kHabitsUsage);
  }
  std::vector<sim::SimHousehold> all =
      sim::standard_households(static_cast<uint64_t>(seed), static_cast<int>(n_days), end_day - n_days);
  auto it = std::find_if(all.begin(), all.end(), [&](const sim::SimHousehold& h) { return h.name == name; });
  if (it == all.end()) {
    std::string names;
    for (const sim::SimHousehold& h : all) names += (names.empty() ? "" : ", ") + h.name;
    return usage_error(err, "--household " + name + ": unknown (known: " + names + ")", kHabitsUsage);
  }
  Result<TimeZone> tz = TimeZone::load(it->tz);
  if (!tz) {
    err << "hearth: household time zone " << it->tz << ": " << tz.error().message << "\n";
    return kCliFailed;
  }
  std::ofstream file(*path, std::ios::trunc);
  if (!file) {
    err << "hearth: " << *path << ": cannot create\n";
    return kCliFailed;
  }
  Result<int64_t> n = sim::simulate_each(*it, [&](const EventRecord& e) { file << event_to_line(e, *tz) << "\n"; });
  file.flush();
  if (!n || !file) {
    err << "hearth: " << *path << ": " << (n ? std::string("write failed") : n.error().message) << "\n";
    return kCliFailed;
  }
  json truth = json::array();
  for (const sim::TrueRoutine& t : sim::true_routines(*it)) {
    truth.push_back(json{{"name", t.name},
                         {"kind", std::string(routine_kind_name(t.kind))},
                         {"days", days_mask_text(t.days_mask)},
                         {"time_min", t.time_min},
                         {"keys", t.keys}});
  }
  out << json{{"household", it->name}, {"time_zone", it->tz}, {"days", n_days},
              {"first_day", format_civil_date(it->start_day)}, {"events", *n}, {"out", *path},
              {"true_routines", truth}}
             .dump(2)
      << "\n";
  return kCliOk;
}

int cmd_import(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = parse(args, 1, {"--db"});
  if (a.help) return out << kHistoryUsage, kCliOk;
  if (!a.error.empty()) return usage_error(err, a.error, kHistoryUsage);
  std::optional<std::string> db = a.get("--db");
  if (!db || a.positional.size() != 1) return usage_error(err, "history import: --db FILE EVENTS.jsonl", kHistoryUsage);
  std::ifstream in(a.positional[0]);
  if (!in) {
    err << "hearth: " << a.positional[0] << ": cannot open\n";
    return kCliFailed;
  }
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::open(*db);
  if (!store) {
    err << "hearth: " << *db << ": " << store.error().message << "\n";
    return kCliFailed;
  }
  Result<ImportReport> r = import_event_lines(in, **store, err);
  if (!r) {
    err << "hearth: importing into " << *db << ": " << r.error().message << "\n";
    return kCliFailed;
  }
  out << "imported " << r->n_imported << " event(s) from " << a.positional[0] << " into " << *db;
  if (r->n_bad) out << "; " << r->n_bad << " malformed line(s) skipped";
  out << "\n";
  return r->n_bad ? kCliFailed : kCliOk;
}

int cmd_export(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = parse(args, 1, {"--db", "--tz"});
  if (a.help) return out << kHistoryUsage, kCliOk;
  if (!a.error.empty()) return usage_error(err, a.error, kHistoryUsage);
  std::optional<std::string> db = a.get("--db");
  if (!db || a.positional.size() > 1) return usage_error(err, "history export: --db FILE [OUT]", kHistoryUsage);
  Result<TimeZone> tz = zone_from(a);
  if (!tz) return usage_error(err, tz.error().message, kHistoryUsage);
  HistoryOptions ho;
  ho.read_only = true;
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::open(*db, ho);
  if (!store) {
    err << "hearth: " << *db << ": " << store.error().message << "\n";
    return kCliFailed;
  }
  std::ofstream file;
  std::ostream* sink = &out;
  if (!a.positional.empty() && a.positional[0] != "-") {
    file.open(a.positional[0], std::ios::trunc);
    if (!file) {
      err << "hearth: " << a.positional[0] << ": cannot create\n";
      return kCliFailed;
    }
    sink = &file;
  }
  Result<int64_t> n = export_event_lines(**store, *tz, *sink);
  sink->flush();
  if (!n || !*sink) {
    err << "hearth: export: " << (n ? std::string("write failed") : n.error().message) << "\n";
    return kCliFailed;
  }
  if (sink != &out) out << "exported " << *n << " event(s) to " << a.positional[0] << "\n";
  return kCliOk;
}

}  // namespace

Result<EventRecord> event_from_line(std::string_view line) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& e) {
    return Error{Code::kBadInput, std::string("not JSON: ") + e.what()};
  }
  if (!j.is_object()) return Error{Code::kBadInput, "not a JSON object"};
  EventRecord e;
  auto ts = j.find("ts");
  if (ts == j.end() || !ts->is_string()) return Error{Code::kBadInput, "ts: required, ISO-8601 with offset"};
  if (!parse_iso8601(ts->get<std::string>(), &e.time)) {
    return Error{Code::kBadInput, "ts: '" + ts->get<std::string>() + "' is not ISO-8601 with offset"};
  }
  auto str = [&](const char* key, bool required, std::string* out) -> Result<void> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) return Error{Code::kBadInput, std::string(key) + ": required"};
      return {};
    }
    if (!it->is_string()) return Error{Code::kBadInput, std::string(key) + ": must be a string"};
    *out = it->get<std::string>();
    if (required && out->empty()) return Error{Code::kBadInput, std::string(key) + ": must not be empty"};
    return {};
  };
  if (Result<void> r = str("device", true, &e.device_id); !r) return r.error();
  if (Result<void> r = str("attribute", true, &e.attribute); !r) return r.error();
  e.origin = "device";
  if (Result<void> r = str("origin", false, &e.origin); !r) return r.error();
  e.kind = "state";
  if (Result<void> r = str("kind", false, &e.kind); !r) return r.error();
  if (e.kind != "state" && e.kind != "action") return Error{Code::kBadInput, "kind: must be \"state\" or \"action\""};
  if (Result<void> r = str("old_value", false, &e.old_value); !r) return r.error();
  if (Result<void> r = str("result", false, &e.result); !r) return r.error();
  auto value = j.find("value");
  if (e.kind == "action") {
    if (value == j.end() || value->is_null()) {
      e.new_value = "{}";
    } else if (value->is_object()) {
      e.new_value = value->dump();
    } else {
      return Error{Code::kBadInput, "value: an action's value is its params object"};
    }
    if (e.result.empty()) e.result = "ok";
  } else {
    if (value == j.end()) return Error{Code::kBadInput, "value: required"};
    bool scalar = true;
    Value v = value_from_json(*value, &scalar);
    if (!scalar) return Error{Code::kBadInput, "value: must be a string, number, boolean or null"};
    e.new_value = value_to_string(v);
  }
  return e;
}

std::string event_to_line(const EventRecord& e, const TimeZone& tz) {
  nlohmann::ordered_json j;  // keys in the documented order: ts, device, attribute, value, origin
  j["ts"] = format_iso8601_local(e.time, tz);
  const int64_t ms = to_unix_ms(e.time) % 1000;
  if (ms != 0) {
    // keep the milliseconds: "...T22:41:07.250+01:00"
    std::string t = j["ts"].get<std::string>();
    char frac[8];
    std::snprintf(frac, sizeof(frac), ".%03lld", static_cast<long long>(ms < 0 ? ms + 1000 : ms));
    t.insert(19, frac);
    j["ts"] = t;
  }
  j["device"] = e.device_id;
  j["attribute"] = e.attribute;
  if (e.kind == "action") {
    nlohmann::ordered_json params = nlohmann::ordered_json::parse(e.new_value, nullptr, false);
    j["value"] = params.is_object() ? params : nlohmann::ordered_json::object();
  } else {
    j["value"] = e.new_value;
  }
  j["origin"] = e.origin;
  if (e.kind != "state") j["kind"] = e.kind;
  if (!e.old_value.empty()) j["old_value"] = e.old_value;
  if (e.kind == "action" && e.result != "ok") j["result"] = e.result;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<ImportReport> import_event_lines(std::istream& in, HistoryStore& store, std::ostream& err) {
  ImportReport report;
  std::vector<EventRecord> batch;
  auto flush = [&]() -> Result<void> {
    if (batch.empty()) return {};
    Result<void> r = store.record_events(batch);
    if (!r) return r.error().with_context("writing events");
    report.n_imported += static_cast<int64_t>(batch.size());
    batch.clear();
    return {};
  };
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ++report.n_lines;
    if (line.size() > kMaxLineBytes) {
      ++report.n_bad;
      err << "line " << line_no << ": longer than " << kMaxLineBytes << " bytes; skipped\n";
      continue;
    }
    Result<EventRecord> e = event_from_line(line);
    if (!e) {
      ++report.n_bad;
      err << "line " << line_no << ": " << e.error().message << "; skipped\n";
      continue;
    }
    batch.push_back(std::move(*e));
    if (batch.size() >= kImportBatch) {
      if (Result<void> r = flush(); !r) return r.error();
    }
  }
  if (Result<void> r = flush(); !r) return r.error();
  return report;
}

Result<int64_t> export_event_lines(const HistoryStore& store, const TimeZone& tz, std::ostream& out) {
  // The store pages newest first by id; collect every page, then write oldest first.
  std::vector<EventRecord> all;
  HistoryQuery q;
  q.limit = kExportPage;
  for (;;) {
    Result<std::vector<EventRecord>> page = store.events(q);
    if (!page) return page.error();
    if (page->empty()) break;
    int64_t oldest = page->front().id;
    for (const EventRecord& e : *page) oldest = std::min(oldest, e.id);
    q.before_id = oldest;
    all.insert(all.end(), std::make_move_iterator(page->begin()), std::make_move_iterator(page->end()));
  }
  std::stable_sort(all.begin(), all.end(), [](const EventRecord& a, const EventRecord& b) {
    return a.time != b.time ? a.time < b.time : a.id < b.id;
  });
  for (const EventRecord& e : all) out << event_to_line(e, tz) << "\n";
  return static_cast<int64_t>(all.size());
}

int run_habits_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "mine") return cmd_mine(args, out, err);
  if (sub == "simulate") return cmd_simulate(args, out, err);
  if (sub.empty() || sub == "--help" || sub == "-h") {
    (sub.empty() ? err : out) << kHabitsUsage;
    return sub.empty() ? kCliUsage : kCliOk;
  }
  return usage_error(err, "habits: unknown command '" + sub + "'", kHabitsUsage);
}

int run_history_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "import") return cmd_import(args, out, err);
  if (sub == "export") return cmd_export(args, out, err);
  if (sub.empty() || sub == "--help" || sub == "-h") {
    (sub.empty() ? err : out) << kHistoryUsage;
    return sub.empty() ? kCliUsage : kCliOk;
  }
  return usage_error(err, "history: unknown command '" + sub + "'", kHistoryUsage);
}

}  // namespace hearth
