// One fuzz input through the MQTT codec; shared by the libFuzzer target and
// the corpus replay unit test. Header-only, test code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mqtt_codec.h"

namespace hearth::mqtt {

inline void fuzz_one(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const uint8_t which = data[0] % 5;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  Device light;
  light.id = "light.fuzz";
  light.domain = Domain::kLight;
  light.capabilities = kCapOnOff | kCapBrightness | kCapColor | kCapColorTemp;
  Device cover;
  cover.id = "cover.fuzz";
  cover.domain = Domain::kCover;
  cover.capabilities = kCapOpenClose | kCapPosition;
  switch (which) {
    case 0: {
      Result<Binding> b = parse_binding(R"({"type": "mqtt", "topic": "fuzz"})", "zigbee2mqtt");
      if (!b) return;
      (void)apply_state_message(*b, light, light.initial, payload);
      (void)apply_state_message(*b, cover, cover.initial, payload);
      (void)parse_availability(*b, payload);
      break;
    }
    case 1: {
      int skipped = 0;
      (void)parse_z2m_bridge_devices(payload, &skipped);
      bool complete = false;
      (void)z2m_bridge_names(payload, &complete);
      break;
    }
    case 2:
      (void)parse_ha_discovery("homeassistant/light/fuzz/config", payload, "homeassistant");
      (void)parse_ha_discovery("homeassistant/cover/node/fuzz/config", payload, "homeassistant");
      break;
    case 3: {
      Result<Binding> b = parse_binding(payload, "zigbee2mqtt");
      if (b) {
        Command c;
        c.action = "turn_on";
        (void)command_messages(*b, light, c);
        (void)apply_state_message(*b, light, light.initial, R"({"state": "ON", "brightness": 100})");
      }
      break;
    }
    default:
      (void)parse_value_template(payload);
      (void)color_to_xy(payload);
      break;
  }
}

}  // namespace hearth::mqtt
