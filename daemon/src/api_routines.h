// daemon/src/api_routines.h: the routine and suggestion routes of the JSON
// API (issue 8), answered by the RoutinesService. Private to daemon/; Api
// (api.cc) hands it every path under /api/v1 first.
//
//   GET    /api/v1/routines                 200 {"routines": [routine + "id", "enabled", "adaptive", "next_run"]}
//   POST   /api/v1/routines                 {"name", "time": "HH:MM", "days"?, "actions": [{"device_id", "action",
//                                           "params"?}], "enabled"?, "adaptive"?} → 201 routine | 400 | 404 | 422
//   PATCH  /api/v1/routines/{id}            {"name"?, "time"?, "days"?, "actions"?, "enabled"?, "adaptive"?}
//                                           → 200 routine | 400 | 404
//   DELETE /api/v1/routines/{id}            200 {"deleted": id} | 404
//   GET    /api/v1/routines/{id}/runs?limit= 200 {"runs": [{"scheduled", "fired", "outcome"}]} | 404
//   GET    /api/v1/suggestions?status=      200 {"suggestions": [...]} (default status=pending; "all")
//   POST   /api/v1/suggestions/{id}/accept  {"adaptive"?: bool} → 200 routine | 404 (unknown or already decided)
//   POST   /api/v1/suggestions/{id}/reject  200 {"id", "status": "rejected"} | 404
//   POST   /api/v1/habits/mine              200 {"mined": {...}, "suggestions": [...], "adapted": n}
// Times are local ISO-8601 with offset in the home's time zone. Errors are
// {"error": {"code", "message"}}; 503 when the routine store is unavailable.
#pragma once

#include <memory>
#include <string>

#include "hearth/daemon/http_server.h"
#include "hearth/devices/home.h"
#include "routines_service.h"

namespace hearth {

// Answers `rest` (the path after /api/v1) when it is a routine route and
// returns true; false leaves the request to the caller. `service` may be
// null (history disabled): the routes then answer 503. `home` checks the
// devices of new actions. Call on the event loop thread.
bool route_routines(RoutinesService* service, std::shared_ptr<const Home> home, const std::string& method,
                    const std::string& rest, const std::string& query, const HttpRequestData& request,
                    HttpResponder& respond);

}  // namespace hearth
