// A small home for the nlu tests: two bedside lamps sharing an alias, a
// light without color, a lock, a blind, two thermostats, a speaker.
#pragma once

#include <gtest/gtest.h>

#include "hearth/devices/home.h"

namespace hearth {

inline constexpr const char* kTestHomeJson = R"({
 "floors": [{"id": "ground", "name": "Ground Floor", "aliases": ["downstairs"]}],
 "areas": [
  {"id": "kitchen", "name": "Kitchen", "floor": "ground"},
  {"id": "bedroom", "name": "Bedroom", "floor": "ground", "aliases": ["master bedroom"]},
  {"id": "hall", "name": "Hall", "floor": "ground"}],
 "devices": [
  {"id": "light.kitchen", "name": "Kitchen Light", "area": "kitchen", "aliases": ["big light"], "supports": ["on_off", "brightness"]},
  {"id": "light.left", "name": "Left Lamp", "area": "bedroom", "aliases": ["bedside lamp"], "supports": ["on_off", "brightness", "color"]},
  {"id": "light.right", "name": "Right Lamp", "area": "bedroom", "aliases": ["bedside lamp"], "supports": ["on_off", "brightness", "color"]},
  {"id": "lock.front", "name": "Front Door", "area": "hall"},
  {"id": "cover.blind", "name": "Bedroom Blind", "area": "bedroom", "device_class": "blind", "supports": ["open_close", "position"]},
  {"id": "climate.hall", "name": "Hall Thermostat", "area": "hall"},
  {"id": "climate.bedroom", "name": "Radiator", "area": "bedroom"},
  {"id": "media_player.speaker", "name": "Kitchen Speaker", "area": "kitchen"},
  {"id": "sensor.humidity", "name": "Humidity", "area": "bedroom", "device_class": "humidity"}]
})";

inline Home load_test_home() {
  ConfigErrors errors;
  auto home = Home::parse(kTestHomeJson, "test_home.json", errors);
  EXPECT_TRUE(home) << errors.to_string();
  return home ? std::move(*home) : Home{};
}

}  // namespace hearth
