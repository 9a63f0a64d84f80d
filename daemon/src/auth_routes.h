// daemon/src/auth_routes.h: the route table with each route's access level,
// the auth check every request passes before routing, and the pairing and
// token routes. Private to daemon/.
//
//   POST   /api/v1/pair            {"code", "name"} → 201 {"token", "id", "name", "scope"} | 400 | 404 | 429
//                                  (public; wrong codes are rate limited per address and globally)
//   POST   /api/v1/pair/code       admin → 201 {"code", "expires_in_s"}
//   GET    /api/v1/me              read → 200 {"name", "scope", "id"|null, "loopback_trusted"}
//   GET    /api/v1/tokens          admin → 200 {"persistent", "tokens": [{"id", "name", "scope", "created_ms",
//                                  "last_used_ms", "expires_ms", "revoked"}]}
//   POST   /api/v1/tokens          admin {"name", "scope", "ttl_s"?} → 201 {"token", "id", "name", "scope"}
//   DELETE /api/v1/tokens/{id}     admin → 200 {"revoked": id} | 404
//
// The table (api_routes()) is the one place that says which routes exist and
// who may call them; the OpenAPI document is checked against it by a test.
// A path not in the table needs admin (default deny), then routes as usual.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app_context.h"
#include "auth.h"
#include "hearth/daemon/http_server.h"

namespace hearth {

enum class Access { kPublic, kRead, kControl, kAdmin };

struct RouteSpec {
  const char* method;  // "GET", "POST", ...
  const char* path;    // "/api/v1/devices/{id}/actions": a {name} matches one path segment
  Access access;
};

const std::vector<RouteSpec>& api_routes();
const char* access_name(Access a);

// The spec matching this method and (decoded, no query) path, or nullptr.
const RouteSpec* match_route(const std::string& method, const std::string& path);

// Runs the auth check for a request to `path`. Returns true when routing may
// go on; false when `respond` was already called (401/403/429/503). Sets
// *minimal when the caller has no valid credentials but the route is public
// (GET /api/v1/health then answers only {"status"}).
bool authorize(AppContext& app, const HttpRequestData& request, const std::string& path, HttpResponder& respond,
               bool* minimal);

// Answers the pairing and token routes (rest = path after /api/v1); false
// leaves the request to the other routes.
bool route_auth(AppContext& app, const std::string& method, const std::string& rest, const HttpRequestData& request,
                HttpResponder& respond);

}  // namespace hearth
