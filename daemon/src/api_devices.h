// daemon/src/api_devices.h: devices discovered on the broker (Zigbee2MQTT
// bridge/devices, Home Assistant MQTT discovery) and their acceptance into
// the home (issue 9). Private to daemon/.
//
//   GET  /api/v1/devices/discovered              200 {"mqtt": bool, "devices": [{"id", "name", "area",
//                                                "area_known", "domain", "device_class", "capabilities",
//                                                "source", "source_key", "model", "vendor", "adapter"}]}
//   POST /api/v1/devices/discovered/{id}/accept  {"name"?, "area"?, "id"?} → 201 {"device": device,
//                                                "accepted_file"} | 400 | 404 | 409 | 503
// A discovered device is not controllable until accepted: it is not in the
// home. Accepting appends it to the overlay file (device_overlay.h) and
// reloads the home at once, like SIGHUP.
#pragma once

#include <string>

#include "app_context.h"
#include "hearth/daemon/http_server.h"

namespace hearth {

// Handles the request and returns true when `rest` (the path after /api/v1)
// is one of the routes above; false leaves it to the other routes.
bool route_devices_discovered(AppContext& app, const std::string& method, const std::string& rest,
                              const HttpRequestData& request, const HttpResponder& respond);

}  // namespace hearth
