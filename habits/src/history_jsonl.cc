// habits/src/history_jsonl.cc: export and import of the history as JSON
// lines. One object per line, oldest first (by time, a command before an
// event at the same millisecond, then by id):
//
//   {"type":"command","id":4,"time_ms":1700000000000,"text":"turn off the light",
//    "intent":"HassTurnOff","slots":{...},"targets":[...],"source":"template",
//    "origin":"voice","confidence":0.97,"latency_us":81234,"ok":true,"response":"Done"}
//   {"type":"event","id":9,"time_ms":1700000000080,"device_id":"light.kitchen",
//    "kind":"action","attribute":"turn_off","old_value":"","new_value":"{}",
//    "origin":"voice","command_id":4,"result":"ok"}
//
// "slots" and "targets" are the stored JSON embedded as values, so they come
// back compact after an import. Ids in a file are the exporting store's ids;
// import gives every record a new id and rewrites command_id to match.
#include <istream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "sqlite_history_store.h"

namespace hearth {

using habits_sqlite::column_string;
using habits_sqlite::exec_sql;
using habits_sqlite::StmtPtr;
using habits_sqlite::StmtReset;
using nlohmann::json;

namespace {

constexpr size_t kMaxImportLineBytes = 1 << 20;  // a record is a few hundred bytes; 1 MiB is hostile

// Text stored by other writers may not be UTF-8; replace bad bytes rather than fail.
std::string dump_line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Field readers for import: each returns the problem, or nullopt and sets *out.
std::optional<std::string> read_string(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return std::string("missing \"") + key + "\"";
  if (!it->is_string()) return std::string("\"") + key + "\" must be a string";
  *out = it->get<std::string>();
  return std::nullopt;
}

std::optional<std::string> read_int(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return std::string("missing \"") + key + "\"";
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::string("\"") + key + "\" is out of range";
  }
  if (!it->is_number_integer()) return std::string("\"") + key + "\" must be an integer";
  *out = it->get<int64_t>();
  return std::nullopt;
}

std::optional<std::string> read_double(const json& j, const char* key, double* out) {
  auto it = j.find(key);
  if (it == j.end()) return std::string("missing \"") + key + "\"";
  if (!it->is_number()) return std::string("\"") + key + "\" must be a number";
  *out = it->get<double>();
  return std::nullopt;
}

std::optional<std::string> read_bool(const json& j, const char* key, bool* out) {
  auto it = j.find(key);
  if (it == j.end()) return std::string("missing \"") + key + "\"";
  if (!it->is_boolean()) return std::string("\"") + key + "\" must be true or false";
  *out = it->get<bool>();
  return std::nullopt;
}

// Reads an embedded JSON value of the wanted shape and stores its compact text.
std::optional<std::string> read_embedded(const json& j, const char* key, bool want_object, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return std::string("missing \"") + key + "\"";
  if (want_object && !it->is_object()) return std::string("\"") + key + "\" must be a JSON object";
  if (!want_object && !it->is_array()) return std::string("\"") + key + "\" must be a JSON array";
  *out = dump_line(*it);
  return std::nullopt;
}

std::optional<std::string> command_from_json(const json& j, int64_t* old_id, CommandRecord* c) {
  int64_t time_ms = 0;
  if (auto bad = read_int(j, "id", old_id)) return bad;
  if (auto bad = read_int(j, "time_ms", &time_ms)) return bad;
  if (auto bad = read_string(j, "text", &c->text)) return bad;
  if (auto bad = read_string(j, "intent", &c->intent)) return bad;
  if (auto bad = read_embedded(j, "slots", true, &c->slots_json)) return bad;
  if (auto bad = read_embedded(j, "targets", false, &c->targets_json)) return bad;
  if (auto bad = read_string(j, "source", &c->source)) return bad;
  if (auto bad = read_string(j, "origin", &c->origin)) return bad;
  if (auto bad = read_double(j, "confidence", &c->confidence)) return bad;
  if (auto bad = read_int(j, "latency_us", &c->latency_us)) return bad;
  if (auto bad = read_bool(j, "ok", &c->ok)) return bad;
  if (auto bad = read_string(j, "response", &c->response)) return bad;
  c->time = from_unix_ms(time_ms);
  return check_command_record(*c);
}

std::optional<std::string> event_from_json(const json& j, int64_t* old_id, EventRecord* e) {
  int64_t time_ms = 0;
  if (auto bad = read_int(j, "id", old_id)) return bad;
  if (auto bad = read_int(j, "time_ms", &time_ms)) return bad;
  if (auto bad = read_string(j, "device_id", &e->device_id)) return bad;
  if (auto bad = read_string(j, "kind", &e->kind)) return bad;
  if (auto bad = read_string(j, "attribute", &e->attribute)) return bad;
  if (auto bad = read_string(j, "old_value", &e->old_value)) return bad;
  if (auto bad = read_string(j, "new_value", &e->new_value)) return bad;
  if (auto bad = read_string(j, "origin", &e->origin)) return bad;
  if (auto bad = read_int(j, "command_id", &e->command_id)) return bad;
  if (auto bad = read_string(j, "result", &e->result)) return bad;
  e->time = from_unix_ms(time_ms);
  return check_event_record(*e);
}

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

Result<int64_t> SqliteHistoryStore::export_jsonl(std::ostream& out) const {
  // One read transaction, so commands and events come from the same snapshot.
  HEARTH_TRY(exec_sql(ctx(), "BEGIN", "exporting"));
  int64_t n_written = 0;
  Result<void> done = export_rows(out, &n_written);
  // Ending a read transaction releases the snapshot; it cannot lose data.
  (void)exec_sql(ctx(), done ? "COMMIT" : "ROLLBACK", "exporting");
  if (!done) return done.error();
  return n_written;
}

Result<void> SqliteHistoryStore::export_rows(std::ostream& out, int64_t* n_written) const {
  const std::string cmd_sql = std::string("SELECT id, time_ms, text, intent, slots_json, targets_json, source, ") +
                              "origin, confidence, latency_us, ok, response FROM commands ORDER BY time_ms, id";
  const std::string ev_sql = std::string("SELECT id, time_ms, device_id, kind, attribute, old_value, new_value, ") +
                             "origin, command_id, result FROM events ORDER BY time_ms, id";
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), cmd_sql.c_str(), -1, &raw, nullptr);
  StmtPtr cmd(raw);
  if (rc != SQLITE_OK) return fail(rc, "exporting commands");
  raw = nullptr;
  rc = sqlite3_prepare_v2(db_.get(), ev_sql.c_str(), -1, &raw, nullptr);
  StmtPtr ev(raw);
  if (rc != SQLITE_OK) return fail(rc, "exporting events");

  int cmd_rc = sqlite3_step(cmd.get());
  int ev_rc = sqlite3_step(ev.get());
  // Merge the two time-ordered streams.
  while (cmd_rc == SQLITE_ROW || ev_rc == SQLITE_ROW) {
    bool take_command = cmd_rc == SQLITE_ROW &&
                        (ev_rc != SQLITE_ROW || sqlite3_column_int64(cmd.get(), 1) <= sqlite3_column_int64(ev.get(), 1));
    json j;
    if (take_command) {
      sqlite3_stmt* s = cmd.get();
      const int64_t id = sqlite3_column_int64(s, 0);
      json slots = json::parse(column_string(s, 4), nullptr, false);
      json targets = json::parse(column_string(s, 5), nullptr, false);
      if (slots.is_discarded() || targets.is_discarded()) {
        return Error{Code::kCorrupt, "history: " + path_ + ": exporting: command " + std::to_string(id) +
                                         " has slots or targets that are not valid JSON"};
      }
      j = json{{"type", "command"},
               {"id", id},
               {"time_ms", sqlite3_column_int64(s, 1)},
               {"text", column_string(s, 2)},
               {"intent", column_string(s, 3)},
               {"slots", std::move(slots)},
               {"targets", std::move(targets)},
               {"source", column_string(s, 6)},
               {"origin", column_string(s, 7)},
               {"confidence", sqlite3_column_double(s, 8)},
               {"latency_us", sqlite3_column_int64(s, 9)},
               {"ok", sqlite3_column_int(s, 10) != 0},
               {"response", column_string(s, 11)}};
      cmd_rc = sqlite3_step(s);
    } else {
      sqlite3_stmt* s = ev.get();
      j = json{{"type", "event"},
               {"id", sqlite3_column_int64(s, 0)},
               {"time_ms", sqlite3_column_int64(s, 1)},
               {"device_id", column_string(s, 2)},
               {"kind", column_string(s, 3)},
               {"attribute", column_string(s, 4)},
               {"old_value", column_string(s, 5)},
               {"new_value", column_string(s, 6)},
               {"origin", column_string(s, 7)},
               {"command_id", sqlite3_column_int64(s, 8)},
               {"result", column_string(s, 9)}};
      ev_rc = sqlite3_step(s);
    }
    out << dump_line(j) << '\n';
    if (!out) {
      return Error{Code::kIo, "history: " + path_ + ": exporting: writing to the output stream failed after " +
                                  std::to_string(*n_written) + " records"};
    }
    ++*n_written;
  }
  if (cmd_rc != SQLITE_DONE) return fail(cmd_rc, "exporting commands");
  if (ev_rc != SQLITE_DONE) return fail(ev_rc, "exporting events");
  out.flush();
  if (!out) return Error{Code::kIo, "history: " + path_ + ": exporting: flushing the output stream failed"};
  return {};
}

Result<int64_t> SqliteHistoryStore::import_jsonl(std::istream& in) {
  HEARTH_TRY(begin_write("importing"));
  Result<int64_t> n_imported = import_lines(in);
  Result<void> done = n_imported ? commit("importing") : Result<void>(n_imported.error());
  if (!done) {
    rollback_if_open();  // all or nothing
    return done.error();
  }
  return n_imported;
}

Result<int64_t> SqliteHistoryStore::import_lines(std::istream& in) {
  struct SeenCommand {
    int64_t new_id;
    int64_t line;
  };
  // An event may name a command that appears later in the file; its link is
  // set once the whole file is in.
  struct PendingLink {
    int64_t new_event_id;
    int64_t old_command_id;
    int64_t line;
  };
  std::map<int64_t, SeenCommand> commands_by_old_id;
  std::map<int64_t, int64_t> event_lines_by_old_id;
  std::vector<PendingLink> pending;
  auto bad_line = [&](int64_t line_no, const std::string& what) {
    return Error{Code::kBadInput, "history: " + path_ + ": import line " + std::to_string(line_no) + ": " + what};
  };

  int64_t n_imported = 0;
  int64_t line_no = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.size() > kMaxImportLineBytes) {
      return bad_line(line_no, "longer than " + std::to_string(kMaxImportLineBytes) + " bytes");
    }
    if (is_blank(line)) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return bad_line(line_no, "not valid JSON");
    if (!j.is_object()) return bad_line(line_no, "not a JSON object");
    std::string type;
    if (auto bad = read_string(j, "type", &type)) return bad_line(line_no, *bad);
    const std::string doing = "importing line " + std::to_string(line_no);
    if (type == "command") {
      CommandRecord c;
      int64_t old_id = 0;
      if (auto bad = command_from_json(j, &old_id, &c)) return bad_line(line_no, *bad);
      auto seen = commands_by_old_id.find(old_id);
      if (seen != commands_by_old_id.end()) {
        return bad_line(line_no, "command id " + std::to_string(old_id) + " already appeared on line " +
                                     std::to_string(seen->second.line));
      }
      Result<int64_t> new_id = insert_command(c, doing);
      if (!new_id) return new_id.error();
      commands_by_old_id.emplace(old_id, SeenCommand{*new_id, line_no});
    } else if (type == "event") {
      EventRecord e;
      int64_t old_id = 0;
      if (auto bad = event_from_json(j, &old_id, &e)) return bad_line(line_no, *bad);
      auto [it, inserted] = event_lines_by_old_id.emplace(old_id, line_no);
      if (!inserted) {
        return bad_line(line_no, "event id " + std::to_string(old_id) + " already appeared on line " +
                                     std::to_string(it->second));
      }
      const int64_t old_command_id = e.command_id;
      bool link_later = false;
      if (old_command_id != 0) {
        auto cmd = commands_by_old_id.find(old_command_id);
        if (cmd != commands_by_old_id.end()) {
          e.command_id = cmd->second.new_id;
        } else {
          e.command_id = 0;
          link_later = true;
        }
      }
      Result<int64_t> new_id = insert_event(e, doing);
      if (!new_id) return new_id.error();
      if (link_later) pending.push_back(PendingLink{*new_id, old_command_id, line_no});
    } else {
      return bad_line(line_no, "\"type\" must be \"command\" or \"event\", got \"" + type + "\"");
    }
    ++n_imported;
  }
  if (in.bad()) {
    return Error{Code::kIo, "history: " + path_ + ": import: reading the input failed after line " +
                                std::to_string(line_no)};
  }

  for (const PendingLink& link : pending) {
    auto cmd = commands_by_old_id.find(link.old_command_id);
    if (cmd == commands_by_old_id.end()) {
      return bad_line(link.line, "command_id " + std::to_string(link.old_command_id) + " is not in this file");
    }
    sqlite3_stmt* s = set_event_command_.get();
    StmtReset reset(s);
    sqlite3_bind_int64(s, 1, cmd->second.new_id);
    sqlite3_bind_int64(s, 2, link.new_event_id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return fail(rc, "importing line " + std::to_string(link.line));
  }
  return n_imported;
}

}  // namespace hearth
