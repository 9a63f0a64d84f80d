#include "api_routines.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

#include "hearth/devices/bus.h"
#include "api.h"  // shared response helpers
#include "routines_json.h"

namespace hearth {
namespace {

using nlohmann::json;

constexpr int kDefaultRunsLimit = 50;
constexpr int kMaxRunsLimit = 1000;

HttpResponseData json_reply(int status, const json& body) { return api::json_response(status, body); }
HttpResponseData error_reply(int status, std::string_view code, std::string_view message) {
  return api::error_response(status, code, message);
}
int status_for_code(Code code) { return api::status_for(code); }

HttpResponseData error_reply(const Error& e) { return error_reply(status_for_code(e.code), code_name(e.code), e.message); }


bool parse_id(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return v > 0;
}

std::map<std::string, std::string> query_params(const std::string& query) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t amp = query.find('&', pos);
    std::string pair = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = pair.find('=');
    if (!pair.empty()) out[pair.substr(0, eq)] = eq == std::string::npos ? std::string() : pair.substr(eq + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

// A POST/PATCH body as a JSON object ("" counts as {} when `empty_ok`).
bool body_object(const HttpRequestData& request, bool empty_ok, json* out, HttpResponseData* error) {
  if (!request.content_type.empty()) {
    std::string media = request.content_type.substr(0, request.content_type.find(';'));
    while (!media.empty() && std::isspace(static_cast<unsigned char>(media.back()))) media.pop_back();
    std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return std::tolower(c); });
    if (media != "application/json") {
      *error = error_reply(415, "unsupported_media_type",
                           "expected Content-Type: application/json, got '" + request.content_type + "'");
      return false;
    }
  }
  if (empty_ok && request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    *out = json::object();
    return true;
  }
  try {
    *out = json::parse(request.body);
  } catch (const json::parse_error& e) {
    *error = error_reply(400, "bad_json", std::string("request body is not valid JSON: ") + e.what());
    return false;
  }
  if (!out->is_object()) {
    *error = error_reply(400, "bad_request", "request body must be a JSON object");
    return false;
  }
  return true;
}

// Every action must name a device of the home and be valid for it.
Result<void> check_actions(const Home& home, const Routine& r) {
  for (const RoutineAction& a : r.actions) {
    const Device* d = home.device(a.device_id);
    if (!d) return Error{Code::kNotFound, "actions: no device '" + a.device_id + "'"};
    Command cmd;
    cmd.device_id = a.device_id;
    cmd.action = a.action;
    cmd.params = a.params;
    cmd.origin = "schedule";
    if (Result<void> v = validate_command(*d, cmd); !v) return v.error().with_context("actions: " + a.device_id);
  }
  return {};
}

void list_routines(RoutinesService& svc, HttpResponder respond) {
  svc.async_routines([&svc, respond](Result<std::vector<StoredRoutine>> list) {
    if (!list) return respond(error_reply(list.error()));
    json items = json::array();
    for (const StoredRoutine& r : *list) items.push_back(stored_routine_json(r, svc.next_run(r), svc.time_zone()));
    respond(json_reply(200, json{{"routines", items}}));
  });
}

void reply_routine(RoutinesService& svc, int status, HttpResponder respond, Result<StoredRoutine> r) {
  if (!r) return respond(error_reply(r.error()));
  respond(json_reply(status, stored_routine_json(*r, svc.next_run(*r), svc.time_zone())));
}

void create_routine(RoutinesService& svc, const Home& home, const HttpRequestData& request, HttpResponder respond) {
  json body;
  HttpResponseData bad;
  if (!body_object(request, false, &body, &bad)) return respond(std::move(bad));
  Result<Routine> r = routine_from_json(body);
  if (!r) return respond(error_reply(r.error()));
  if (Result<void> ok = check_actions(home, *r); !ok) return respond(error_reply(ok.error()));
  bool flags[2] = {true, false};  // enabled, adaptive
  const char* const names[2] = {"enabled", "adaptive"};
  for (int i = 0; i < 2; ++i) {
    auto f = body.find(names[i]);
    if (f == body.end()) continue;
    if (!f->is_boolean()) return respond(error_reply(400, "bad_request", std::string(names[i]) + ": must be true or false"));
    flags[i] = f->get<bool>();
  }
  svc.async_add_routine(std::move(*r), flags[0], flags[1], [&svc, respond](Result<StoredRoutine> stored) {
    reply_routine(svc, 201, respond, std::move(stored));
  });
}

void patch_routine(RoutinesService& svc, std::shared_ptr<const Home> home, int64_t id, const HttpRequestData& request,
                   HttpResponder respond) {
  json body;
  HttpResponseData bad;
  if (!body_object(request, false, &body, &bad)) return respond(std::move(bad));
  // Validate the body once against a blank routine so a bad request fails
  // before touching the store; the real edit runs on the db thread.
  StoredRoutine probe;
  if (Result<void> ok = apply_routine_patch(body, probe); !ok) return respond(error_reply(ok.error()));
  if (body.contains("actions")) {
    if (Result<void> ok = check_actions(*home, probe.routine); !ok) return respond(error_reply(ok.error()));
  }
  svc.async_update_routine(
      id, [body](StoredRoutine& r) { return apply_routine_patch(body, r); },
      [&svc, respond](Result<StoredRoutine> stored) { reply_routine(svc, 200, respond, std::move(stored)); });
}

void mine(RoutinesService& svc, HttpResponder respond) {
  svc.async_mine([&svc, respond](Result<MineReport> r) {
    if (!r) return respond(error_reply(r.error()));
    json suggestions = json::array();
    for (const Suggestion& s : r->pending) suggestions.push_back(suggestion_json(s, svc.time_zone()));
    respond(json_reply(200, json{{"mined", mining_json(r->mined)}, {"suggestions", suggestions},
                                 {"adapted", r->n_adapted}}));
  });
}

}  // namespace

bool route_routines(RoutinesService* service, std::shared_ptr<const Home> home, const std::string& method,
                    const std::string& rest, const std::string& query, const HttpRequestData& request,
                    HttpResponder& respond) {
  const bool routines = rest == "/routines" || rest.rfind("/routines/", 0) == 0;
  const bool suggestions = rest == "/suggestions" || rest.rfind("/suggestions/", 0) == 0;
  const bool habits = rest == "/habits/mine";
  if (!routines && !suggestions && !habits) return false;
  if (!service || !service->ready()) {
    respond(error_reply(503, "unavailable",
                        "routines are unavailable: the history database is not open (see /api/v1/health)"));
    return true;
  }
  RoutinesService& svc = *service;

  if (habits) {
    if (method != "POST") return respond(api::method_not_allowed("POST")), true;
    mine(svc, respond);
    return true;
  }
  if (rest == "/routines") {
    if (method == "GET") return list_routines(svc, respond), true;
    if (method == "POST") return create_routine(svc, *home, request, respond), true;
    return respond(api::method_not_allowed("GET, POST")), true;
  }
  if (rest == "/suggestions") {
    if (method != "GET") return respond(api::method_not_allowed("GET")), true;
    std::map<std::string, std::string> q = query_params(query);
    std::optional<SuggestionStatus> status = SuggestionStatus::kPending;
    for (const auto& [key, value] : q) {
      if (key != "status") {
        return respond(error_reply(400, "bad_request", "unknown query parameter '" + key + "' (known: status)")), true;
      }
      if (value == "pending") {
        status = SuggestionStatus::kPending;
      } else if (value == "accepted") {
        status = SuggestionStatus::kAccepted;
      } else if (value == "rejected") {
        status = SuggestionStatus::kRejected;
      } else if (value == "all") {
        status = std::nullopt;
      } else {
        return respond(error_reply(400, "bad_request", "status must be pending, accepted, rejected or all")), true;
      }
    }
    svc.async_suggestions(status, [&svc, respond](Result<std::vector<Suggestion>> list) {
      if (!list) return respond(error_reply(list.error()));
      json items = json::array();
      for (const Suggestion& s : *list) items.push_back(suggestion_json(s, svc.time_zone()));
      respond(json_reply(200, json{{"suggestions", items}}));
    });
    return true;
  }

  // /routines/{id}[/runs], /suggestions/{id}/{accept|reject}
  const std::string prefix = routines ? "/routines/" : "/suggestions/";
  std::string tail = rest.substr(prefix.size());
  std::string sub;
  if (size_t slash = tail.find('/'); slash != std::string::npos) {
    sub = tail.substr(slash + 1);
    tail.resize(slash);
  }
  int64_t id = 0;
  if (!parse_id(tail, &id)) {
    respond(error_reply(404, "not_found", "no route /api/v1" + rest + " (ids are positive integers)"));
    return true;
  }

  if (routines && sub.empty()) {
    if (method == "PATCH") return patch_routine(svc, home, id, request, respond), true;
    if (method == "DELETE") {
      svc.async_delete_routine(id, [respond, id](Result<void> r) {
        if (!r) return respond(error_reply(r.error()));
        respond(json_reply(200, json{{"deleted", id}}));
      });
      return true;
    }
    return respond(api::method_not_allowed("PATCH, DELETE")), true;
  }
  if (routines && sub == "runs") {
    if (method != "GET") return respond(api::method_not_allowed("GET")), true;
    int64_t limit = kDefaultRunsLimit;
    for (const auto& [key, value] : query_params(query)) {
      if (key != "limit" || !parse_id(value, &limit) || limit > kMaxRunsLimit) {
        return respond(error_reply(400, "bad_request",
                                   "the only query parameter is limit, an integer in 1.." +
                                       std::to_string(kMaxRunsLimit))),
               true;
      }
    }
    svc.async_runs(id, static_cast<int>(limit), [&svc, respond](Result<std::vector<RoutineRun>> runs) {
      if (!runs) return respond(error_reply(runs.error()));
      json items = json::array();
      for (const RoutineRun& r : *runs) items.push_back(run_json(r, svc.time_zone()));
      respond(json_reply(200, json{{"runs", items}}));
    });
    return true;
  }
  if (suggestions && (sub == "accept" || sub == "reject")) {
    if (method != "POST") return respond(api::method_not_allowed("POST")), true;
    json body;
    HttpResponseData bad;
    if (!body_object(request, true, &body, &bad)) return respond(std::move(bad)), true;
    if (sub == "reject") {
      svc.async_reject(id, [respond, id](Result<void> r) {
        if (!r) return respond(error_reply(r.error()));
        respond(json_reply(200, json{{"id", id}, {"status", "rejected"}}));
      });
      return true;
    }
    bool adaptive = false;
    if (auto a = body.find("adaptive"); a != body.end()) {
      if (!a->is_boolean()) return respond(error_reply(400, "bad_request", "adaptive: must be true or false")), true;
      adaptive = a->get<bool>();
    }
    svc.async_accept(id, adaptive, [&svc, respond](Result<StoredRoutine> stored) {
      reply_routine(svc, 200, respond, std::move(stored));
    });
    return true;
  }
  respond(error_reply(404, "not_found", "no route /api/v1" + rest));
  return true;
}

}  // namespace hearth
