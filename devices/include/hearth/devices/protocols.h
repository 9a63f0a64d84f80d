// devices/protocols.h: the real-protocol side of the device bus — the shared
// MQTT broker connection (Zigbee2MQTT and Home Assistant MQTT discovery
// conventions), device discovery proposals, and the connectivity monitor that
// decides whether a device's cloud route may be tried. Owned and wired by
// daemon/; the per-device adapters themselves are made by Bus::create (bus.h).
//
// Wiring (daemon):
//   MqttConfig cfg = ...;                        // "devices.mqtt" in the config file
//   auto mqtt = MqttClient::create(ioc.get_executor(), cfg, clock());   // Result<shared_ptr>
//   (*mqtt)->start();                            // connects in the background, reconnects forever
//   ConnectivityMonitor net(ioc.get_executor(), net_cfg);  net.start();
//   BusOptions o;  o.mqtt = *mqtt;  o.network_up = [&net] { return net.network_up(); };
//   Bus::create(ioc.get_executor(), home, o, clock());
//   ... (*mqtt)->proposals() for the API's "new devices" list ...
//   shutdown: bus first, then mqtt->async_shutdown(), then net.stop().
//
// Home file binding of an MQTT device ("adapter" object):
//   {"type": "mqtt", "protocol": "zigbee2mqtt", "topic": "<friendly name>",
//    "color_format"?: "xy" | "hex" (default "xy")}
//   {"type": "mqtt", "protocol": "ha", "command_topic": ..., "state_topic"?: ...,
//    "availability_topic"?, "payload_on"? "payload_off"? "state_on"? "state_off"?,
//    "payload_lock"? "payload_unlock"? "state_locked"? "state_unlocked"?,
//    "payload_open"? "payload_close"? "payload_stop"? "state_open"? "state_closed"?,
//    "position_topic"?, "value_template"?: "{{ value_json.<key> }}" (only this form),
//    "payload_available"? "payload_not_available"?}
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "hearth/common/clock.h"
#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/devices/home.h"

namespace hearth {

class DeviceAdapter;

// Broker settings ("devices.mqtt" in the daemon's config file).
struct MqttConfig {
  bool enabled = false;                    // off: no broker connection, "mqtt" devices are a bus error
  std::string host = "127.0.0.1";          // broker host name or address
  int port = 1883;                         // 1..65535 (8883 is usual with TLS)
  std::string client_id = "hearth";        // MQTT client id; unique per broker
  std::string username;                    // empty: anonymous
  std::string password;                    // never logged
  int keepalive_s = 30;                    // 5..3600; a silent broker is dropped after 1.5x this
  bool tls = false;                        // TLS to the broker
  std::string tls_ca_file;                 // PEM CA bundle (required with tls)
  std::string tls_cert_file;               // client certificate (optional, with tls_key_file)
  std::string tls_key_file;                // client key
  bool tls_insecure = false;               // skip the broker host name check (testing only)
  int reconnect_min_ms = 100;              // first reconnect delay, 10..60000
  int reconnect_max_ms = 1000;             // cap of the doubling delay (jittered), >= reconnect_min_ms
  int connect_timeout_ms = 3000;           // no CONNACK within this: drop and retry, 100..60000
  std::string z2m_base_topic = "zigbee2mqtt";   // Zigbee2MQTT's base_topic
  std::string ha_discovery_prefix = "homeassistant";  // HA discovery prefix
  bool discovery = true;                   // subscribe to bridge/devices and HA discovery
  std::string status_topic = "hearth/status";  // Hearth's availability: retained "online", will "offline"

  void validate(ConfigErrors& out, std::string_view path = "devices.mqtt") const;  // appends every problem
  std::string to_string() const;           // "MqttConfig(host=..., password=<redacted>, ...)"
};

// A device seen on the broker that the home does not have yet. Not
// controllable until a human accepts it (the daemon then adds it to the home
// file with `adapter_json` as its "adapter" object).
struct ProposedDevice {
  std::string id;              // suggested id, "light.living_room_lamp"
  std::string name;            // suggested name, "Living Room Lamp"
  std::string area;            // suggested area id ("living_room"), "" when nothing hints at one
  Domain domain = Domain::kSwitch;
  uint32_t capabilities = 0;   // Capability bits the device advertises
  std::string device_class;    // "temperature", "door", "" ...
  std::string source;          // "zigbee2mqtt" | "homeassistant"
  std::string source_key;      // z2m friendly name, or the HA discovery topic
  std::string model;           // vendor model, may be empty
  std::string vendor;          // may be empty
  std::string adapter_json;    // the "adapter" object for the home file
};

// The one connection to the broker, shared by every "mqtt" device. All
// libmosquitto calls run on one strand of the given executor; readiness comes
// from the socket through asio (no extra threads, no polling loop).
// Thread-safe public methods.
class MqttClient {
 public:
  // Validates `cfg` (errors joined into one kBadInput). Does not connect.
  // `clock` must outlive the client.
  static Result<std::shared_ptr<MqttClient>> create(boost::asio::any_io_executor ex, const MqttConfig& cfg,
                                                    const Clock& clock);
  ~MqttClient();

  // Connects in the background; reconnects with jittered backoff for ever,
  // resubscribing each time. Call once.
  void start();
  // Publishes "offline" on the status topic, disconnects, stops timers; then
  // calls `done` (on the client's strand).
  void async_shutdown(std::function<void()> done);

  // The adapter of one device bound with {"type": "mqtt"}; Bus::create calls
  // this with the device's strand. Errors name the bad binding key.
  Result<std::unique_ptr<DeviceAdapter>> make_adapter(const Device& device, boost::asio::any_io_executor ex);

  // Devices announced on bridge/devices or HA discovery and not bound to any
  // adapter made by this client. Snapshot; any thread.
  std::vector<ProposedDevice> proposals() const;
  // Called (on the client's strand) whenever proposals() changed. Set before start().
  void set_proposals_listener(std::function<void()> listener);

  // Publishes one message (Hearth's own event topics). Fails at once when not
  // connected. QoS 0..2.
  void publish(std::string topic, std::string payload, int qos, bool retain);
  // The same, reporting the outcome on the client's strand: ok once the
  // broker acknowledged it (QoS 1..2) or it was written (QoS 0);
  // kUnavailable when not connected.
  void publish(std::string topic, std::string payload, int qos, bool retain, std::function<void(Result<void>)> done);

  // Subscribes to `filter` (MQTT wildcards allowed) for the client's life,
  // again after every reconnect; `handler` runs on the client's strand for
  // each matching message and must only copy/post. Any thread; before or
  // after start(). (Hearth's own command topics.)
  using MessageHandler = std::function<void(const std::string& topic, const std::string& payload)>;
  void subscribe(std::string filter, MessageHandler handler);

  // Connection state for /health: connected?, since when, and why (the last
  // error while down: refused, TLS handshake failed, connection lost ...).
  struct Status {
    bool connected = false;
    std::chrono::system_clock::time_point since;  // last change (client creation before the first)
    std::string reason;
  };
  Status status() const;
  // Called on the client's strand when the connection comes up or goes down.
  // Set before start().
  void set_connection_listener(std::function<void(bool connected, const std::string& reason)> listener);

  bool connected() const;
  struct Stats {
    uint64_t connects = 0;           // successful CONNACKs
    uint64_t disconnects = 0;        // connections lost (or failed attempts)
    uint64_t messages_in = 0;        // messages received
    uint64_t published = 0;          // commands / messages handed to the broker
    uint64_t malformed = 0;          // payloads or discovery messages ignored as malformed
    std::chrono::milliseconds last_reconnect_ms{-1};  // connection loss → next CONNACK, last time
  };
  Stats stats() const;

  class Impl;

 private:
  explicit MqttClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// Is the internet reachable? Probes a TCP connect to host:port on a timer.
// Used to decide whether a device's cloud route can help (and to say "the
// network is down" at once when it cannot).
struct ConnectivityConfig {
  std::string probe_host = "1.1.1.1";      // address or name (resolved on each probe)
  int probe_port = 443;
  int interval_ms = 30000;                 // between probes, 100..3600000
  int timeout_ms = 3000;                   // per probe, 50..60000, < interval_ms

  void validate(ConfigErrors& out, std::string_view path = "devices.connectivity") const;
  std::string to_string() const;
};

class ConnectivityMonitor {
 public:
  ConnectivityMonitor(boost::asio::any_io_executor ex, ConnectivityConfig cfg);
  ~ConnectivityMonitor();
  void start();                            // first probe at once, then every interval
  void stop();                             // cancels the timer and any probe in flight
  // Result of the last probe (true before the first one ends). Any thread.
  bool network_up() const;
  // Called on the monitor's strand when the state flips.
  void set_listener(std::function<void(bool up)> listener);
  uint64_t probes() const;                 // probes finished
  // For /health: up?, when it last flipped (monitor creation before that),
  // and why it is down ("" while up).
  struct Status {
    bool up = true;
    std::chrono::system_clock::time_point since;
    std::string reason;
  };
  Status status() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace hearth
