// daemon/src/api_settings.h: areas and the settings safe to change remotely
// (issue 10). Private to daemon/.
//
//   GET   /api/v1/areas      200 {"areas": [{"id", "name", "floor", "devices": [id...]}]}
//   GET   /api/v1/settings   200 {"log_level", "ns_enabled", "loopback_trusted", "token_store"}
//   PATCH /api/v1/settings   admin {"log_level"?: "debug"|"info"|"warn"|"error"|"off"} → 200 settings | 400
// Only the log level changes live today; every other field is reported, and
// a PATCH naming it is refused (400) so nothing is silently ignored. A SIGHUP
// reload resets the log level to the config's.
#pragma once

#include <string>

#include "app_context.h"
#include "hearth/daemon/http_server.h"

namespace hearth {

bool route_settings(AppContext& app, const std::string& method, const std::string& rest,
                    const HttpRequestData& request, HttpResponder& respond);

}  // namespace hearth
