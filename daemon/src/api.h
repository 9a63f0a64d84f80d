// daemon/src/api.h: the JSON API routes (v1). Knows nothing of sockets: the
// HttpServer hands it method, target and body, and it answers through the
// responder. Private to daemon/.
//
//   GET  /api/v1/health                    200 {"status", "version", "uptime_s", "devices", "history", ...,
//                                          "audio": {"source", "state", "device", "native_rate_hz", "overruns",
//                                          "frames", "cpu_ms_per_audio_s", "noise_dbfs", "speech", ...}}
//   GET  /api/v1/devices                   200 {"devices": [device...]}
//   GET  /api/v1/devices/{id}              200 device | 404
//   POST /api/v1/devices/{id}/actions      {"action", "params"?, "origin"?} → 200 {"device_id", "action",
//                                          "ok", "state", "previous_state", "latency_ms"} | 400 | 404 | 422 | 503 | 504
//   POST /api/v1/command                   {"text", "origin"?} → 200 {"text", "intent", "targets", "results",
//                                          "response", "ok", "confidence", "source", "latency_ms"} | 400
//   GET  /api/v1/history?limit=&before=&device=&kind=&origin=&since=&until=
//                                          200 {"items": [...], "next_before": cursor | null} | 400 | 503
//   /api/v1/routines..., /api/v1/suggestions..., /api/v1/habits/mine   see api_routines.h
//   /api/v1/devices/discovered, /api/v1/devices/discovered/{id}/accept  see api_devices.h
//   /health also has "mqtt": {"enabled", "connected", "since", "reason", ...} and
//   "network": {"enabled", "up", "since", "reason", "probes"} (issue 9)
// Every error is {"error": {"code", "message"}}; unknown routes 404, wrong
// method 405 (with Allow), POST bodies that are not JSON 415.
#pragma once

#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_context.h"
#include "hearth/daemon/http_server.h"

namespace hearth {

// Response helpers shared by every route file (api.cc, api_routines.cc), so
// the error-code → HTTP-status mapping exists once.
namespace api {
HttpResponseData json_response(int status, const nlohmann::json& body);
HttpResponseData error_response(int status, std::string_view code, std::string_view message);
// 405 method_not_allowed with the Allow header, e.g. allow = "GET, POST".
HttpResponseData method_not_allowed(std::string_view allow);
int status_for(Code code);  // 400 bad_input, 404 not_found, 409, 413, 422, 503, 504, else 500
}  // namespace api

enum class Scope;  // auth.h

class Api {
 public:
  explicit Api(AppContext& app) : app_(app) {}

  // Routes one request; calls `respond` exactly once (maybe later, from another thread).
  void handle(HttpRequestData request, HttpResponder respond);
  // The same for an in-process caller that already authenticated its source
  // (the MQTT bridge: the broker's credentials and ACL, docs/mqtt-topics.md):
  // no token check; a route needing more than `granted` answers 403.
  void handle_as(HttpRequestData request, Scope granted, HttpResponder respond);

 private:
  void route(HttpRequestData request, const Scope* granted, HttpResponder respond);
  void get_health(HttpResponder respond);
  void get_devices(HttpResponder respond);
  void get_device(const std::string& id, HttpResponder respond);
  void post_device_action(const std::string& id, const HttpRequestData& request, HttpResponder respond);
  void post_command(const HttpRequestData& request, HttpResponder respond);
  static void handle_parsed_command(AppContext& app, std::shared_ptr<const Runtime> rt, ParseResult parsed,
                                    std::string origin, std::chrono::system_clock::time_point arrived,
                                    std::chrono::steady_clock::time_point started, HttpResponder respond);
  void get_history(const std::string& query, HttpResponder respond);

  AppContext& app_;
  // GET /api/v1/devices: each device's JSON up to its state, serialized once
  // per runtime (a reload makes a new one); the state and attributes are read
  // from the bus for every request.
  struct DeviceListCache {
    std::weak_ptr<const Runtime> runtime;
    std::vector<std::string> heads;  // `{"adapter":…,"name":…,` for each device, in home order
  };
  std::mutex device_list_mu_;
  DeviceListCache device_list_;
};

}  // namespace hearth
