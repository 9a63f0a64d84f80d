// libFuzzer target (issue 10): what a WebSocket client or an HTTP request can
// put in front of the companion API's own parsers — the client message
// parser of /api/v1/events, the Authorization/Host header parsers, route
// matching and the static-file lookup. Must never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api_static.h"
#include "auth.h"
#include "auth_routes.h"
#include "ws_events.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  hearth::WsClientMessage m = hearth::parse_ws_client_message(text);
  if (m.kind == hearth::WsClientMessage::Kind::kInvalid && m.error.empty()) __builtin_trap();
  (void)hearth::auth_detail::bearer_token(text);
  (void)hearth::auth_detail::is_loopback_host(text);
  (void)hearth::auth_detail::is_loopback_address(text);
  (void)hearth::match_route("GET", text);
  (void)hearth::match_route("POST", text);
  (void)hearth::find_web_file(text);
  return 0;
}
