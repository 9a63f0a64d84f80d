// daemon/src/mqtt_bridge.h: Hearth's own MQTT topics, for satellites, other
// hubs and home-automation tools (documented in docs/mqtt-topics.md):
//   <prefix>/<hub>/status               retained "online"; last will "offline" (MqttClient)
//   <prefix>/<hub>/event/<type>         every EventHub event (wake, transcript, intent,
//                                       action, state_changed, connectivity ...) as its
//                                       JSON wire form, QoS 0, not retained; events from a
//                                       broker outage (the last 256) follow on reconnect
//   <prefix>/<hub>/command              in: a sentence (plain text, or {"text", "id"?});
//                                       runs exactly like POST /api/v1/command (origin "mqtt")
//   <prefix>/<hub>/command/result       out: {"id", "status", "body"} (body = the HTTP reply)
//   <prefix>/<hub>/device/<id>/set      in: {"action", "params"?, "id"?} or "ON" / "OFF";
//                                       runs like POST /api/v1/devices/<id>/actions
//   <prefix>/<hub>/device/<id>/result   out: {"id", "status", "body"}
// Commands go through the API router itself, so validation, history and
// events are the API's. Who may send them is the broker's business (its
// credentials and ACL on <prefix>/<hub>/#): the router runs them with the
// "control" scope, without a bearer token, and never reaches admin routes.
// With an anonymous non-loopback broker start() logs a warning. Private to daemon/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "event_hub.h"
#include "hearth/daemon/config.h"
#include "hearth/daemon/http_server.h"
#include "hearth/devices/protocols.h"

namespace hearth {

class MqttBridge {
 public:
  using Router = std::function<void(HttpRequestData, HttpResponder)>;  // Api::handle
  MqttBridge(std::shared_ptr<MqttClient> client, const MqttDaemonConfig& cfg, EventHub& events, Router router);
  ~MqttBridge();

  // Subscribes to the command topics and to the event hub. Call once, before
  // or after the client started.
  void start();
  // Stops forwarding events; commands arriving later are answered 503.
  void stop();

  // Topic helpers (also used by tests and docs).
  std::string base() const { return base_; }

  struct Stats {
    uint64_t events_published = 0;
    uint64_t commands = 0;     // command + device set messages taken
    uint64_t rejected = 0;     // malformed command messages (answered 400)
    uint64_t events_dropped = 0;  // outage backlog overflow (oldest first)
  };
  Stats stats() const;

 private:
  struct Shared;
  void on_message(const std::string& topic, const std::string& payload);

  std::shared_ptr<MqttClient> client_;
  MqttDaemonConfig cfg_;
  EventHub& events_;
  std::string base_;             // "<prefix>/<hub>"
  std::shared_ptr<Shared> shared_;
  uint64_t subscription_ = 0;
};

}  // namespace hearth
