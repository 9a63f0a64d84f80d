// devices/src/mqtt_codec.h: the MQTT conventions as pure functions — home
// file bindings, Zigbee2MQTT command payloads and state messages, Home
// Assistant MQTT discovery and state, and discovery proposals. No I/O, no
// broker: mqtt_adapter.cc moves bytes, this file gives them meaning, and the
// unit tests drive it directly. Private to devices/.
//
// Zigbee2MQTT (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html):
//   command  <base>/<friendly>/set   {"state":"ON","brightness":0..254,"color_temp":mireds,
//                                     "color":{"x":..,"y":..}|{"hex":"#rrggbb"},"position":0..100,
//                                     "occupied_heating_setpoint":°C,"system_mode":"heat",
//                                     "state":"LOCK"|"UNLOCK"|"OPEN"|"CLOSE"|"STOP"|"TOGGLE"}
//   state    <base>/<friendly>       the same keys plus sensors (temperature, humidity,
//                                     occupancy, contact, water_leak, battery, ...)
//   availability <base>/<friendly>/availability  {"state":"online"} or legacy "online"
//   devices  <base>/bridge/devices   retained array of {friendly_name, type, definition{model,
//                                     vendor, description, exposes[...]}}
//
// Home Assistant MQTT discovery: <prefix>/<component>/[<node_id>/]<object_id>/config
// with a JSON object. Supported components: light, switch, fan (on/off only),
// lock, cover (open/close/stop, position), sensor, binary_sensor. Keys and
// their abbreviations: name, unique_id (uniq_id), command_topic (cmd_t),
// state_topic (stat_t), availability_topic (avty_t), payload_on (pl_on),
// payload_off (pl_off), state_on, state_off, payload_lock (pl_lock),
// payload_unlock (pl_unlk), state_locked (stat_locked), state_unlocked
// (stat_unlocked), payload_open (pl_open), payload_close (pl_cls), payload_stop
// (pl_stop), state_open (stat_open), state_closed (stat_clsd), set_position_topic
// (set_pos_t), position_topic (pos_t), value_template (val_tpl),
// state_value_template (stat_val_tpl), device_class (dev_cla),
// payload_available (pl_avail), payload_not_available (pl_not_avail), "~" as
// the topic base. Not supported (the entity is still proposed, these parts are
// ignored): JSON schema lights, brightness/color topics, climate, templates
// other than "{{ value_json.<key> }}" (any Jinja filter, condition or
// expression), availability lists, command templates.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/devices/bus.h"
#include "hearth/devices/home.h"
#include "hearth/devices/protocols.h"

namespace hearth::mqtt {

enum class Protocol { kZigbee2Mqtt, kHomeAssistant };

// A device's "adapter" object, parsed. Topics are complete (base applied).
struct Binding {
  Protocol protocol = Protocol::kZigbee2Mqtt;
  std::string friendly_name;          // z2m only
  bool color_xy = true;               // z2m: send color as {x,y} (else {hex})
  std::string command_topic;          // z2m: <base>/<friendly>/set
  std::string state_topic;            // may be empty (HA: optimistic device)
  std::string availability_topic;     // may be empty
  std::string position_topic;         // HA covers: set_position_topic
  std::string payload_on = "ON", payload_off = "OFF";
  std::string state_on, state_off;    // default to payload_on / payload_off
  std::string payload_lock = "LOCK", payload_unlock = "UNLOCK";
  std::string state_locked = "LOCKED", state_unlocked = "UNLOCKED";
  std::string payload_open = "OPEN", payload_close = "CLOSE", payload_stop = "STOP";
  std::string state_open = "open", state_closed = "closed";
  std::string value_key;              // from "{{ value_json.<key> }}"; "" = the raw payload
  std::string payload_available = "online", payload_not_available = "offline";
};

// Parses the "adapter" object. `z2m_base` is MqttConfig::z2m_base_topic.
Result<Binding> parse_binding(std::string_view options_json, std::string_view z2m_base);

// "{{ value_json.temperature }}" → "temperature"; whitespace tolerant. Any
// other template → kUnsupported naming it.
Result<std::string> parse_value_template(std::string_view tpl);

// One outgoing publish.
struct Publish {
  std::string topic;
  std::string payload;
};

// The message(s) for a validated command. kUnsupported when the protocol
// cannot express it (e.g. HA without a position topic).
Result<std::vector<Publish>> command_messages(const Binding& b, const Device& d, const Command& cmd);

// Folds a state message into `current` (only keys present change). Malformed
// JSON, wrong types or out-of-range values → kBadInput (the caller ignores the
// message and counts it).
Result<DeviceState> apply_state_message(const Binding& b, const Device& d, const DeviceState& current,
                                        std::string_view payload);

// Availability payload → online? kBadInput when it is neither form.
Result<bool> parse_availability(const Binding& b, std::string_view payload);

// Zigbee2MQTT bridge/devices → proposals (the coordinator and devices without
// a usable definition are skipped). `skipped` counts entries that were
// malformed. kBadInput when the payload is not a JSON array.
Result<std::vector<ProposedDevice>> parse_z2m_bridge_devices(std::string_view payload, int* skipped);

// Every friendly_name a bridge/devices payload lists (supported or not; the
// coordinator excluded), to tell a bound device that left the Zigbee network.
// *complete is false when some entry had no usable friendly_name: absence
// from the list then proves nothing. Errors as parse_z2m_bridge_devices.
Result<std::vector<std::string>> z2m_bridge_names(std::string_view payload, bool* complete);

// One HA discovery message. An empty payload (entity removed) → nullopt.
Result<std::optional<ProposedDevice>> parse_ha_discovery(std::string_view topic, std::string_view payload,
                                                         std::string_view prefix);

// Percent 0..100 ↔ Zigbee brightness 0..254 (round trip exact for integers).
int percent_to_z2m_brightness(double percent);
int z2m_brightness_to_percent(double level);
// "#rrggbb" or a color name → CIE 1931 xy (sRGB D65).
std::optional<std::pair<double, double>> color_to_xy(std::string_view color);
std::optional<std::string> color_to_hex(std::string_view color);
// xy (+ full brightness) → "#rrggbb".
std::string xy_to_hex(double x, double y);

// "Living Room/Lamp" → "living_room_lamp" (id-safe slug).
std::string slugify(std::string_view text);

}  // namespace hearth::mqtt
