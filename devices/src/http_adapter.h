// devices/src/http_adapter.h: local REST devices (Shelly Gen1, Tasmota) and
// the vendor cloud route, over one small Boost.Beast HTTP/1.1 client. The
// request/response mapping is exposed as pure functions for the unit tests.
// Private to devices/.
//
// Home file binding of a local REST device ("adapter" object):
//   {"type": "http", "url": "http://192.168.1.20[:port]", "flavor": "shelly" | "tasmota",
//    "channel"?: 0..15 (Shelly relay/light/roller index, default 0),
//    "timeout_ms"?: 100..60000 (default 3000)}
//   shelly:  GET /relay/<ch>?turn=on|off|toggle            → {"ison": bool}
//            GET /light/<ch>?turn=on&brightness=1..100      → {"ison": bool, "brightness": n}
//            GET /roller/<ch>?go=open|close|stop|to_pos&roller_pos=n → {"state", "current_pos"}
//   tasmota: GET /cm?cmnd=Power%20On|Off|Toggle              → {"POWER": "ON"|"OFF"}
//            GET /cm?cmnd=Dimmer%20<1..100>                  → {"POWER": .., "Dimmer": n}
//            GET /cm?cmnd=CT%20<153..500>                    → {"POWER": .., "CT": mireds}
// The reply is the device's own state, so these commands count as confirmed.
//
// Cloud route (a device's "cloud": {"url", "token"} in the home file):
//   POST <url>  Authorization: Bearer <token>  Content-Type: application/json
//   {"device": "<id>", "action": "<action>", "params": {...}}
//   → 200 {"state": "...", "attributes": {...}} (the device's state after the command)
//   401/403 → kUnavailable (refused, not executed), 404 → kNotFound,
//   503 → kUnavailable, other 5xx → kIo, other 4xx → kBadInput.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "hearth/common/result.h"
#include "hearth/devices/bus.h"

namespace hearth {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";  // path + query, never empty
};
// "http://host[:port][/path]"; https and user info are rejected.
Result<HttpUrl> parse_http_url(std::string_view url);

struct HttpBinding {
  HttpUrl url;
  std::string flavor = "shelly";  // "shelly" | "tasmota"
  int channel = 0;
  int timeout_ms = 3000;
};
Result<HttpBinding> parse_http_binding(std::string_view options_json);

// The request target for a validated command ("/relay/0?turn=on").
Result<std::string> http_command_target(const HttpBinding& b, const Device& d, const Command& cmd);
// Folds the device's JSON reply into `current`.
Result<DeviceState> http_parse_reply(const HttpBinding& b, const Device& d, const DeviceState& current,
                                     const Command& cmd, std::string_view body);
// Folds a cloud reply into `current`.
Result<DeviceState> cloud_parse_reply(const DeviceState& current, std::string_view body);

Result<std::unique_ptr<DeviceAdapter>> make_http_adapter(const Device& device, boost::asio::any_io_executor ex);
// kind() "cloud"; `device.cloud` must be set.
Result<std::unique_ptr<DeviceAdapter>> make_cloud_adapter(const Device& device, boost::asio::any_io_executor ex);

}  // namespace hearth
