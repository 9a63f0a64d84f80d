#include "api.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "api_devices.h"
#include "api_routines.h"
#include "routines_service.h"
#include "api_settings.h"
#include "api_static.h"
#include "auth_routes.h"
#include "api_llm.h"
#include "metrics.h"
#include "hearth/common/log.h"
#include "hearth/common/value_json.h"

#ifndef HEARTH_VERSION
#define HEARTH_VERSION "dev"
#endif

namespace hearth {
namespace api {

using nlohmann::json;

HttpResponseData json_response(int status, const json& body) {
  HttpResponseData r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpResponseData error_response(int status, std::string_view code, std::string_view message) {
  HttpResponseData r;
  r.status = status;
  r.body = json_error_body(code, message);
  return r;
}

// HTTP status for an error code from the bus or the store.
int status_for(Code code) {
  switch (code) {
    case Code::kBadInput: return 400;
    case Code::kNotFound: return 404;
    case Code::kAmbiguous: return 409;
    case Code::kConflict: return 409;
    case Code::kUnsupported: return 422;
    case Code::kTooLarge: return 413;
    case Code::kTimeout: return 504;
    case Code::kUnavailable:
    case Code::kBusy:
    case Code::kCancelled:
    case Code::kReadOnly: return 503;
    default: return 500;
  }
}

HttpResponseData method_not_allowed(std::string_view allow) {
  HttpResponseData r = error_response(405, "method_not_allowed", "use " + std::string(allow) + " on this route");
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace api

namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "/api/v1";
constexpr size_t kMaxCommandTextBytes = 1000;   // longer "sentences" are not speech
constexpr int kDefaultHistoryLimit = 50;
constexpr int kMaxHistoryLimit = 1000;

using api::error_response;
using api::json_response;
using api::status_for;

// Rounds for display (health numbers are for people and dashboards):
// `scale` 10 keeps one decimal, 1000 three.
double round_to(double v, double scale) { return std::round(v * scale) / scale; }

// The "audio" object of /health.
json audio_health_json(const AudioHealth& h) {
  const AudioMetrics& m = h.metrics;
  json a;
  a["source"] = h.source;
  a["state"] = h.state;
  a["device"] = m.source.device;
  a["native_rate_hz"] = m.source.native_rate_hz;
  a["native_channels"] = m.source.native_channels;
  a["overruns"] = m.source.overrun_events;
  a["overrun_samples"] = m.source.overrun_samples;
  a["reopens"] = m.source.reopen_count;
  a["error"] = h.error.empty() ? json(nullptr) : json(h.error);
  a["frames"] = m.frames;
  a["audio_s"] = round_to(m.audio_seconds, 100);
  a["frames_per_second"] = round_to(m.frames_per_second, 10);
  a["cpu_ms_per_audio_s"] = round_to(m.cpu_ms_per_audio_s, 1000);
  a["noise_dbfs"] = round_to(m.noise_dbfs, 10);
  a["level_dbfs"] = round_to(m.level_dbfs, 10);
  a["ns_enabled"] = h.ns_enabled;
  a["agc_enabled"] = m.agc_enabled;
  a["agc_gain_db"] = round_to(m.agc_gain_db, 10);
  a["speech"] = m.speech;
  a["speech_frames"] = m.speech_frames;
  a["speech_segments"] = h.speech_segments;
  if (h.last_segment) {
    a["last_speech"] = {{"start_ms", h.last_segment->start_ms}, {"end_ms", h.last_segment->end_ms}};
  } else {
    a["last_speech"] = nullptr;
  }
  return a;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (!key.empty()) out[key] = value;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

bool parse_int64(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// Unix milliseconds, or "YYYY-MM-DDTHH:MM:SS[.mmm]Z".
bool parse_time(const std::string& text, std::chrono::system_clock::time_point* out) {
  int64_t ms = 0;
  if (parse_int64(text, &ms)) {
    *out = from_unix_ms(ms);
    return true;
  }
  std::tm tm{};
  int millis = 0;
  char z = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis, &z);
  if (n != 8) {
    millis = 0;
    n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &z);
    if (n != 7) return false;
  }
  if (z != 'Z' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31) return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  *out = from_unix_ms(static_cast<int64_t>(secs) * 1000 + millis);
  return true;
}

json state_json(const DeviceState& s) { return json{{"state", s.state}, {"attributes", value_map_to_json(s.attributes)}}; }

json device_json(const Home& home, const Device& d, const Bus& bus) {
  json j;
  j["id"] = d.id;
  j["name"] = d.name;
  j["aliases"] = d.aliases;
  j["area"] = d.area;
  const Area* area = home.area(d.area);
  j["area_name"] = area ? area->name : std::string();
  j["floor"] = area ? area->floor : std::string();
  j["domain"] = std::string(domain_name(d.domain));
  j["device_class"] = d.device_class;
  j["capabilities"] = capability_names(d.capabilities);
  j["adapter"] = d.adapter.type;
  DeviceState s = bus.state(d.id).value_or(d.initial);
  j["state"] = s.state;
  j["attributes"] = value_map_to_json(s.attributes);
  return j;
}

// Checks the Content-Type of a POST: absent, application/json (any
// parameters), or application/x-www-form-urlencoded, which is what
// `curl -d '{"text": ...}'` sends for a JSON body; the body must parse as JSON
// either way.
bool is_json_content_type(const std::string& content_type) {
  if (content_type.empty()) return true;
  std::string media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.back()))) media.pop_back();
  std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return std::tolower(c); });
  return media == "application/json" || media == "application/x-www-form-urlencoded";
}

// Parses a POST body as a JSON object; on failure fills `error`.
bool parse_body(const HttpRequestData& request, json* out, HttpResponseData* error) {
  if (!is_json_content_type(request.content_type)) {
    *error = error_response(415, "unsupported_media_type",
                            "expected Content-Type: application/json, got '" + request.content_type + "'");
    return false;
  }
  try {
    *out = json::parse(request.body);
  } catch (const json::parse_error& e) {
    *error = error_response(400, "bad_json", std::string("request body is not valid JSON: ") + e.what());
    return false;
  }
  if (!out->is_object()) {
    *error = error_response(400, "bad_request", "request body must be a JSON object");
    return false;
  }
  return true;
}

bool valid_origin(const std::string& origin) {
  return origin == "voice" || origin == "app" || origin == "api" || origin == "cli" || origin == "mqtt";
}

EventRecord action_event(const ActionResult& r, const ValueMap& params, const std::string& origin,
                         std::chrono::system_clock::time_point time) {
  EventRecord e;
  e.time = time;
  e.device_id = r.device_id;
  e.kind = "action";
  e.attribute = r.action;
  e.new_value = value_map_to_json(params).dump();
  e.origin = origin;
  e.result = r.status ? std::string("ok") : std::string(code_name(r.status.error().code));
  return e;
}

json command_record_json(const CommandRecord& c) {
  json j;
  j["type"] = "command";
  j["id"] = c.id;
  j["time"] = format_iso8601_utc(c.time);
  j["time_ms"] = to_unix_ms(c.time);
  j["text"] = c.text;
  j["intent"] = c.intent;
  j["slots"] = json::parse(c.slots_json, nullptr, /*allow_exceptions=*/false);
  j["targets"] = json::parse(c.targets_json, nullptr, /*allow_exceptions=*/false);
  j["source"] = c.source;
  j["origin"] = c.origin;
  j["confidence"] = c.confidence;
  j["latency_ms"] = static_cast<double>(c.latency_us) / 1000.0;
  j["ok"] = c.ok;
  j["response"] = c.response;
  return j;
}

json event_record_json(const EventRecord& e) {
  json j;
  j["type"] = "event";
  j["id"] = e.id;
  j["time"] = format_iso8601_utc(e.time);
  j["time_ms"] = to_unix_ms(e.time);
  j["device_id"] = e.device_id;
  j["kind"] = e.kind;
  j["attribute"] = e.attribute;
  j["old_value"] = e.old_value;
  j["new_value"] = e.new_value;
  j["origin"] = e.origin;
  j["command_id"] = e.command_id;
  j["result"] = e.result;
  return j;
}

}  // namespace

void Api::handle(HttpRequestData request, HttpResponder respond) {
  route(std::move(request), nullptr, std::move(respond));
}

void Api::handle_as(HttpRequestData request, Scope granted, HttpResponder respond) {
  route(std::move(request), &granted, std::move(respond));
}

void Api::route(HttpRequestData request, const Scope* granted, HttpResponder respond) {
  AppCounters& counters = app_.counters();
  counters.http_requests.fetch_add(1);
  HttpResponder counted = [&counters, respond = std::move(respond)](HttpResponseData r) {
    if (r.status >= 500) {
      counters.http_5xx.fetch_add(1);
    } else if (r.status >= 400) {
      counters.http_4xx.fetch_add(1);
    }
    respond(std::move(r));
  };

  std::string_view target = request.target;
  size_t qmark = target.find('?');
  std::string path = percent_decode(target.substr(0, qmark));
  std::string query = qmark == std::string_view::npos ? std::string() : std::string(target.substr(qmark + 1));
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const std::string& method = request.method;

  // Issue 10: every request passes the auth check first (auth_routes.h; the
  // route table there says who may call what); then the web companion, the
  // OpenAPI document and /metrics, which live outside /api/v1's router.
  bool minimal_health = false;
  if (granted) {
    // In-process caller (handle_as): the route table still decides what it may reach.
    const RouteSpec* spec = match_route(method, path);
    const Access access = spec ? spec->access : Access::kAdmin;
    const Scope needed = access == Access::kPublic || access == Access::kRead ? Scope::kRead
                         : access == Access::kControl                         ? Scope::kControl
                                                                              : Scope::kAdmin;
    if (static_cast<int>(needed) > static_cast<int>(*granted)) {
      return counted(error_response(403, "forbidden", std::string("this route needs the '") + scope_name(needed) +
                                                          "' scope; this caller has '" + scope_name(*granted) + "'"));
    }
  } else if (!authorize(app_, request, path, counted, &minimal_health)) {
    return;
  }
  if (route_static(method, path, app_.runtime()->config.api.web, counted)) return;
  if (path == "/metrics") {
    if (method != "GET") return counted(api::method_not_allowed("GET"));
    HttpResponseData r;
    r.body = render_metrics(app_);
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return counted(std::move(r));
  }

  if (route_llm(app_, method, path, request, counted)) return;  // /v1/chat/completions (issue 6, api_llm.h)
  if (path.compare(0, kPrefix.size(), kPrefix) != 0 || (path.size() > kPrefix.size() && path[kPrefix.size()] != '/')) {
    counted(error_response(404, "not_found", "no route " + path + " (the API lives under /api/v1)"));
    return;
  }
  std::string rest = path.substr(kPrefix.size());  // "/devices/x/actions"

  if (rest == "/health") {
    if (method != "GET") return counted(api::method_not_allowed("GET"));
    if (minimal_health) return counted(json_response(200, json{{"status", "ok"}, {"auth", "token required for details"}}));
    return get_health(std::move(counted));
  }
  if (rest == "/devices") {
    if (method != "GET") return counted(api::method_not_allowed("GET"));
    return get_devices(std::move(counted));
  }
  if (rest == "/command") {
    if (method != "POST") return counted(api::method_not_allowed("POST"));
    return post_command(request, std::move(counted));
  }
  if (rest == "/history") {
    if (method != "GET") return counted(api::method_not_allowed("GET"));
    return get_history(query, std::move(counted));
  }
  if (route_routines(app_.routines(), app_.runtime()->home, method, rest, query, request, counted)) return;
  if (route_auth(app_, method, rest, request, counted)) return;
  if (route_settings(app_, method, rest, request, counted)) return;
  if (route_devices_discovered(app_, method, rest, request, counted)) return;
  const std::string devices_prefix = "/devices/";
  if (rest.compare(0, devices_prefix.size(), devices_prefix) == 0) {
    std::string tail = rest.substr(devices_prefix.size());
    const std::string actions_suffix = "/actions";
    if (tail.size() > actions_suffix.size() &&
        tail.compare(tail.size() - actions_suffix.size(), actions_suffix.size(), actions_suffix) == 0) {
      std::string id = tail.substr(0, tail.size() - actions_suffix.size());
      if (id.find('/') == std::string::npos) {
        if (method != "POST") return counted(api::method_not_allowed("POST"));
        return post_device_action(id, request, std::move(counted));
      }
    } else if (!tail.empty() && tail.find('/') == std::string::npos) {
      if (method != "GET") return counted(api::method_not_allowed("GET"));
      return get_device(tail, std::move(counted));
    }
  }
  counted(error_response(404, "not_found", "no route " + path));
}

void Api::get_health(HttpResponder respond) {
  std::shared_ptr<const Runtime> rt = app_.runtime();
  const HistoryWriter& history = app_.history();
  HistoryWriter::Stats hs = history.stats();
  AppCounters& c = app_.counters();

  std::string history_status = "ok";
  if (!history.enabled() || !hs.last_write_ok) history_status = "error";

  const AudioHealth audio = app_.audio_health();
  // Audio that should run but does not (no microphone, unreadable file) degrades the hub.
  const bool audio_down = audio.state == "unavailable" || audio.state == "reopening";

  json j;
  j["status"] = history_status == "ok" && !audio_down ? "ok" : "degraded";
  j["version"] = HEARTH_VERSION;
  j["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                   app_.started_at())
                      .count();
  j["config"] = app_.config_source();
  j["generation"] = rt->generation;
  j["devices"] = rt->home->devices().size();
  j["history"] = history_status;
  json hd;
  hd["enabled"] = history.enabled();
  hd["path"] = history.path();
  if (!history.open_error().empty()) hd["error"] = history.open_error();
  if (!hs.last_error.empty()) hd["last_write_error"] = hs.last_error;
  hd["commands_written"] = hs.commands_written;
  hd["events_written"] = hs.events_written;
  hd["write_failures"] = hs.write_failures;
  hd["dropped"] = hs.dropped;
  hd["queued"] = hs.queued;
  j["history_detail"] = hd;
  j["timers"] = app_.timers().active().size();
  // Habit learner (issue 8): routine runs and pending suggestions.
  json ro;
  ro["enabled"] = app_.routines() != nullptr;
  if (const RoutinesService* rs = app_.routines()) {
    const RoutinesService::Health rh = rs->health();
    ro["runs"] = rh.runs;
    ro["runs_failed"] = rh.runs_failed;
    ro["skipped"] = rh.skipped;
    ro["suggestions_pending"] = rh.suggestions_pending;
    ro["minings"] = rh.minings;
    ro["mining_failures"] = rh.mining_failures;
  }
  j["routines"] = ro;
  j["audio"] = audio_health_json(audio);
  j["wyoming"] = app_.wyoming_health();
  j["wake"] = app_.wake_health();  // issue 4
  // Broker connection and internet connectivity (issue 9).
  json mq;
  mq["enabled"] = app_.mqtt() != nullptr;
  if (MqttClient* mqtt = app_.mqtt()) {
    const MqttClient::Status st = mqtt->status();
    const MqttClient::Stats ms = mqtt->stats();
    mq["connected"] = st.connected;
    mq["since"] = format_iso8601_utc(st.since);
    mq["reason"] = st.reason;
    mq["connects"] = ms.connects;
    mq["disconnects"] = ms.disconnects;
    mq["messages_in"] = ms.messages_in;
    mq["published"] = ms.published;
    mq["malformed"] = ms.malformed;
    mq["last_reconnect_ms"] = ms.last_reconnect_ms.count() < 0 ? json(nullptr) : json(ms.last_reconnect_ms.count());
    mq["discovered"] = mqtt->proposals().size();
    if (!st.connected) j["status"] = "degraded";
  }
  j["mqtt"] = mq;
  json net;
  net["enabled"] = app_.connectivity() != nullptr;
  net["up"] = app_.network_up();
  if (const ConnectivityMonitor* m = app_.connectivity()) {
    const ConnectivityMonitor::Status st = m->status();
    net["since"] = format_iso8601_utc(st.since);
    net["reason"] = st.reason;
    net["probes"] = m->probes();
  }
  j["network"] = net;

  Bus::Stats bs = rt->bus->stats();
  LogCounters lc = log_counters();
  json counters;
  counters["http_requests"] = c.http_requests.load();
  counters["http_4xx"] = c.http_4xx.load();
  counters["http_5xx"] = c.http_5xx.load();
  counters["commands"] = c.commands.load();
  counters["commands_failed"] = c.commands_failed.load();
  counters["device_actions"] = c.device_actions.load();
  counters["state_changes"] = c.state_changes.load();
  counters["reloads"] = c.reloads.load();
  counters["reload_failures"] = c.reload_failures.load();
  counters["timers_fired"] = c.timers_fired.load();
  counters["speech_segments"] = c.speech_segments.load();
  counters["audio_overruns"] = audio.metrics.source.overrun_events;
  counters["bus_executed"] = bs.executed;
  counters["bus_failed"] = bs.failed;
  counters["bus_timed_out"] = bs.timed_out;
  counters["bus_unconfirmed"] = bs.unconfirmed;
  counters["bus_retries"] = bs.retries;
  counters["bus_via_cloud"] = bs.via_cloud;
  counters["history_write_failures"] = hs.write_failures;
  HttpServer::Stats http = app_.http_stats();
  counters["http_connections_accepted"] = http.connections_accepted;
  counters["http_connections_rejected"] = http.connections_rejected;
  counters["http_connections_open"] = http.connections_open;
  counters["http_bad_requests"] = http.bad_requests;
  counters["log_warnings"] = lc.emitted[static_cast<int>(LogLevel::kWarn)];
  counters["log_errors"] = lc.emitted[static_cast<int>(LogLevel::kError)];
  counters["log_suppressed"] = lc.suppressed;
  j["counters"] = counters;
  respond(json_response(200, j));
}

void Api::get_devices(HttpResponder respond) {
  std::shared_ptr<const Runtime> rt = app_.runtime();
  std::lock_guard<std::mutex> lock(device_list_mu_);
  if (device_list_.runtime.lock() != rt) {
    // The static part of device_json(), without its closing brace; "state"
    // and "attributes" are appended per request.
    device_list_.heads.clear();
    for (const Device& d : rt->home->devices()) {
      json j = device_json(*rt->home, d, *rt->bus);
      j.erase("state");
      j.erase("attributes");
      std::string head = j.dump();
      head.pop_back();  // '}'
      if (head.size() > 1) head += ',';
      device_list_.heads.push_back(std::move(head));
    }
    device_list_.runtime = rt;
  }
  std::string body = "{\"devices\":[";
  size_t i = 0;
  for (const Device& d : rt->home->devices()) {
    if (i) body += ',';
    body += device_list_.heads[i++];
    const DeviceState s = rt->bus->state(d.id).value_or(d.initial);
    body += "\"attributes\":";
    body += value_map_to_json(s.attributes).dump();
    body += ",\"state\":";
    body += json(s.state).dump();
    body += '}';
  }
  body += "]}";
  HttpResponseData r;
  r.status = 200;
  r.body = std::move(body);
  respond(std::move(r));
}

void Api::get_device(const std::string& id, HttpResponder respond) {
  std::shared_ptr<const Runtime> rt = app_.runtime();
  const Device* d = rt->home->device(id);
  if (!d) return respond(error_response(404, "not_found", "no device '" + id + "'"));
  respond(json_response(200, device_json(*rt->home, *d, *rt->bus)));
}

void Api::post_device_action(const std::string& id, const HttpRequestData& request, HttpResponder respond) {
  std::shared_ptr<const Runtime> rt = app_.runtime();
  const Device* device = rt->home->device(id);
  if (!device) return respond(error_response(404, "not_found", "no device '" + id + "'"));
  json body;
  HttpResponseData bad;
  if (!parse_body(request, &body, &bad)) return respond(std::move(bad));

  Command cmd;
  cmd.device_id = id;
  cmd.origin = "api";
  auto action = body.find("action");
  if (action == body.end() || !action->is_string() || action->get<std::string>().empty()) {
    return respond(error_response(400, "bad_request", "\"action\" is required and must be a non-empty string"));
  }
  cmd.action = action->get<std::string>();
  if (auto params = body.find("params"); params != body.end() && !params->is_null()) {
    if (!params->is_object()) return respond(error_response(400, "bad_request", "\"params\" must be an object"));
    for (auto it = params->begin(); it != params->end(); ++it) {
      bool scalar = true;
      Value v = value_from_json(*it, &scalar);
      if (!scalar) {
        return respond(error_response(400, "bad_request", "params." + it.key() + ": expected a scalar value"));
      }
      cmd.params[it.key()] = std::move(v);
    }
  }
  if (auto origin = body.find("origin"); origin != body.end()) {
    if (!origin->is_string() || !valid_origin(origin->get<std::string>())) {
      return respond(error_response(400, "bad_request", "\"origin\" must be one of voice, app, api, cli"));
    }
    cmd.origin = origin->get<std::string>();
  }
  Result<void> valid = validate_command(*device, cmd);
  if (!valid) {
    return respond(error_response(status_for(valid.error().code), code_name(valid.error().code),
                                  valid.error().message));
  }

  app_.counters().device_actions.fetch_add(1);
  const auto started = app_.clock().now();
  ValueMap params = cmd.params;
  std::string origin = cmd.origin;
  AppContext& app = app_;
  rt->bus->async_execute(std::move(cmd), [rt, &app, params, origin, started, respond](ActionResult r) {
    app.history().record_events({action_event(r, params, origin, started)});
    if (!r.status) {
      const Error& e = r.status.error();
      HttpResponseData out = error_response(status_for(e.code), code_name(e.code), e.message);
      return respond(std::move(out));
    }
    json j;
    j["device_id"] = r.device_id;
    j["action"] = r.action;
    j["ok"] = true;
    j["state"] = state_json(r.after);
    j["previous_state"] = state_json(r.before);
    j["latency_ms"] = static_cast<double>(r.latency.count()) / 1000.0;
    respond(json_response(200, j));
  });
}

void Api::post_command(const HttpRequestData& request, HttpResponder respond) {
  json body;
  HttpResponseData bad;
  if (!parse_body(request, &body, &bad)) return respond(std::move(bad));
  auto text = body.find("text");
  if (text == body.end() || !text->is_string()) {
    return respond(error_response(400, "bad_request", "\"text\" is required and must be a string"));
  }
  std::string sentence = text->get<std::string>();
  if (sentence.empty() || sentence.size() > kMaxCommandTextBytes) {
    return respond(error_response(400, "bad_request",
                                  "\"text\" must be 1.." + std::to_string(kMaxCommandTextBytes) + " bytes"));
  }
  std::string origin = "api";
  if (auto o = body.find("origin"); o != body.end()) {
    if (!o->is_string() || !valid_origin(o->get<std::string>())) {
      return respond(error_response(400, "bad_request", "\"origin\" must be one of voice, app, api, cli"));
    }
    origin = o->get<std::string>();
  }

  std::shared_ptr<const Runtime> rt = app_.runtime();
  app_.counters().commands.fetch_add(1);
  const auto arrived = app_.clock().now();
  const auto started = app_.clock().steady_now();
  AppContext& app = app_;
  // Parse off the event loop (the LLM or the cloud may take a while), then
  // act and answer back on it.
  boost::asio::post(app.nlu_executor(), [rt, &app, sentence = std::move(sentence), origin, arrived, started,
                                         respond = std::move(respond)]() mutable {
    ParseResult parsed = rt->parser->parse(sentence);
    boost::asio::post(app.executor(), [rt, &app, parsed = std::move(parsed), origin = std::move(origin), arrived,
                                       started, respond = std::move(respond)]() mutable {
      handle_parsed_command(app, rt, std::move(parsed), std::move(origin), arrived, started, std::move(respond));
    });
  });
}

void Api::handle_parsed_command(AppContext& app, std::shared_ptr<const Runtime> rt, ParseResult parsed,
                                std::string origin, std::chrono::system_clock::time_point arrived,
                                std::chrono::steady_clock::time_point started, HttpResponder respond) {
  ParseResult copy = parsed;
  rt->handler->async_handle(std::move(copy), origin, [rt, &app, parsed, origin, arrived, started,
                                                      respond](CommandOutcome outcome) {
    const auto latency = app.clock().steady_now() - started;
    const double latency_ms = std::chrono::duration<double, std::milli>(latency).count();
    if (!outcome.ok) app.counters().commands_failed.fetch_add(1);
    app.counters().device_actions.fetch_add(outcome.results.size());

    json intent = nullptr;
    json slots = json::object();
    if (parsed.intent) {
      slots = value_map_to_json(parsed.intent->slots);
      intent = json{{"name", parsed.intent->name}, {"slots", slots}};
    }
    json results = json::array();
    std::vector<EventRecord> actions;
    for (size_t i = 0; i < outcome.results.size(); ++i) {
      const ActionResult& r = outcome.results[i];
      json item;
      item["device_id"] = r.device_id;
      item["action"] = r.action;
      item["ok"] = static_cast<bool>(r.status);
      if (!r.status) {
        item["error"] = json{{"code", std::string(code_name(r.status.error().code))},
                             {"message", r.status.error().message}};
      }
      item["state"] = state_json(r.after);
      results.push_back(item);
      actions.push_back(action_event(r, outcome.commands[i].params, origin, arrived));
    }

    json j;
    j["text"] = parsed.text;
    j["intent"] = intent;
    j["targets"] = parsed.targets;
    j["results"] = results;
    j["response"] = outcome.response;
    j["ok"] = outcome.ok;
    j["confidence"] = parsed.confidence;
    j["source"] = parsed.source;
    j["latency_ms"] = latency_ms;
    if (parsed.problem) {
      j["problem"] = json{{"code", std::string(code_name(parsed.problem->code))}, {"message", parsed.problem->message}};
    }

    CommandRecord record;
    record.time = arrived;
    record.text = parsed.text;
    record.intent = parsed.intent ? parsed.intent->name : std::string();
    record.slots_json = slots.dump();
    record.targets_json = json(parsed.targets).dump();
    record.source = parsed.source;
    record.origin = origin;
    record.confidence = parsed.confidence;
    record.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
    record.ok = outcome.ok;
    record.response = outcome.response;
    app.history().record_command(std::move(record), std::move(actions));

    HEARTH_LOG_INFO("command", "'%s' (%s) → %s: %s", parsed.text.c_str(), origin.c_str(),
                    parsed.intent ? parsed.intent->name.c_str() : "not understood", outcome.response.c_str());
    respond(json_response(200, j));
  });
}

void Api::get_history(const std::string& query_text, HttpResponder respond) {
  std::map<std::string, std::string> q = parse_query(query_text);
  static const char* const kKnown[] = {"limit", "before", "device", "kind", "origin", "since", "until"};
  for (const auto& [key, value] : q) {
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    if (!known) {
      return respond(error_response(400, "bad_request",
                                    "unknown query parameter '" + key +
                                        "' (known: limit, before, device, kind, origin, since, until)"));
    }
  }
  HistoryQuery base;
  int64_t limit = kDefaultHistoryLimit;
  if (q.count("limit") && (!parse_int64(q["limit"], &limit) || limit < 1 || limit > kMaxHistoryLimit)) {
    return respond(error_response(400, "bad_request",
                                  "limit must be an integer in 1.." + std::to_string(kMaxHistoryLimit)));
  }
  base.limit = static_cast<int>(limit);
  // The cursor "c<command id>.e<event id>" pages both lists; a plain integer
  // applies to both.
  int64_t commands_before = 0;
  int64_t events_before = 0;
  if (q.count("before") && !q["before"].empty()) {
    const std::string& b = q["before"];
    int64_t both = 0;
    if (parse_int64(b, &both)) {
      commands_before = events_before = both;
    } else {
      size_t dot = b.find(".e");
      if (b.size() < 4 || b[0] != 'c' || dot == std::string::npos ||
          !parse_int64(b.substr(1, dot - 1), &commands_before) || !parse_int64(b.substr(dot + 2), &events_before)) {
        return respond(error_response(400, "bad_request",
                                      "before must be a cursor from next_before (c<id>.e<id>) or an integer id"));
      }
    }
  }
  base.device_id = q.count("device") ? q["device"] : std::string();
  base.origin = q.count("origin") ? q["origin"] : std::string();
  const std::string kind = q.count("kind") ? q["kind"] : std::string();
  if (!kind.empty() && kind != "command" && kind != "action" && kind != "state") {
    return respond(error_response(400, "bad_request", "kind must be one of command, action, state"));
  }
  for (const char* key : {"since", "until"}) {
    if (!q.count(key)) continue;
    std::chrono::system_clock::time_point t;
    if (!parse_time(q[key], &t)) {
      return respond(error_response(400, "bad_request",
                                    std::string(key) + " must be unix milliseconds or YYYY-MM-DDTHH:MM:SS[.mmm]Z"));
    }
    if (std::string(key) == "since") {
      base.since = t;
    } else {
      base.until = t;
    }
  }

  std::optional<HistoryQuery> commands_query;
  std::optional<HistoryQuery> events_query;
  if ((kind.empty() || kind == "command") && base.device_id.empty()) {
    commands_query = base;
    commands_query->before_id = commands_before;
    commands_query->limit = base.limit + 1;  // one more tells whether another page exists
  }
  if (kind != "command") {
    events_query = base;
    events_query->kind = kind;
    events_query->before_id = events_before;
    events_query->limit = base.limit + 1;
  }
  const int page_size = base.limit;
  app_.history().async_query(
      commands_query, events_query, app_.executor(),
      [respond, page_size, commands_before, events_before](Result<HistoryPage> page) {
        if (!page) {
          return respond(error_response(status_for(page.error().code), code_name(page.error().code),
                                        page.error().message));
        }
        // Merge newest first by time, then by id.
        struct Item {
          std::chrono::system_clock::time_point time;
          bool is_command;
          size_t index;
        };
        std::vector<Item> items;
        for (size_t i = 0; i < page->commands.size(); ++i) items.push_back({page->commands[i].time, true, i});
        for (size_t i = 0; i < page->events.size(); ++i) items.push_back({page->events[i].time, false, i});
        std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.time > b.time; });
        const bool more = items.size() > static_cast<size_t>(page_size);
        if (more) items.resize(static_cast<size_t>(page_size));

        json list = json::array();
        std::optional<int64_t> oldest_command;  // smallest id shown on this page
        std::optional<int64_t> oldest_event;
        for (const Item& it : items) {
          if (it.is_command) {
            const CommandRecord& c = page->commands[it.index];
            list.push_back(command_record_json(c));
            oldest_command = std::min(oldest_command.value_or(c.id), c.id);
          } else {
            const EventRecord& e = page->events[it.index];
            list.push_back(event_record_json(e));
            oldest_event = std::min(oldest_event.value_or(e.id), e.id);
          }
        }
        // A list with nothing shown on this page keeps its place: just above
        // its newest fetched row (or where it was).
        int64_t next_commands = commands_before;
        if (oldest_command) {
          next_commands = *oldest_command;
        } else if (!page->commands.empty()) {
          next_commands = page->commands.front().id + 1;
        }
        int64_t next_events = events_before;
        if (oldest_event) {
          next_events = *oldest_event;
        } else if (!page->events.empty()) {
          next_events = page->events.front().id + 1;
        }
        json j;
        j["items"] = list;
        j["next_before"] = more ? json("c" + std::to_string(next_commands) + ".e" + std::to_string(next_events))
                                : json(nullptr);
        respond(json_response(200, j));
      });
}

}  // namespace hearth
