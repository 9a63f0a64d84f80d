// validate_command against device capabilities, and diff_states.
#include <gtest/gtest.h>

#include <string>

#include "hearth/devices/bus.h"

namespace hearth {
namespace {

const Home& demo_home() {
  static const Home home = [] {
    ConfigErrors errors;
    Result<Home> h = Home::load_file(std::string(HEARTH_ASSETS_DIR) + "/homes/demo.json", errors);
    EXPECT_TRUE(h) << errors.to_string();
    return h ? std::move(h).value() : Home{};
  }();
  return home;
}

Command make(std::string device_id, std::string action, ValueMap params = {}) {
  Command c;
  c.device_id = std::move(device_id);
  c.action = std::move(action);
  c.params = std::move(params);
  return c;
}

struct ValidateCase {
  const char* device;
  const char* action;
  ValueMap params;
  Code expected;  // kOk = valid
};

TEST(CommandTest, ValidateTable) {
  const ValidateCase cases[] = {
      // valid
      {"light.floor_lamp", "turn_on", {}, Code::kOk},
      {"light.floor_lamp", "turn_on", {{"brightness", int64_t{40}}}, Code::kOk},
      {"light.floor_lamp", "turn_on", {{"brightness", 0.0}}, Code::kOk},
      {"light.floor_lamp", "turn_on", {{"color", std::string("red")}}, Code::kOk},
      {"light.floor_lamp", "turn_on", {{"color", std::string("#FF8800")}}, Code::kOk},
      {"light.floor_lamp", "turn_on", {{"color_temp_kelvin", int64_t{2700}}}, Code::kOk},
      {"light.porch", "toggle", {}, Code::kOk},
      {"switch.coffee_maker", "turn_off", {}, Code::kOk},
      {"fan.bedroom_fan", "set_speed", {{"percentage", int64_t{75}}}, Code::kOk},
      {"cover.living_room_blinds", "set_position", {{"position", int64_t{40}}}, Code::kOk},
      {"cover.garage_door", "open_cover", {}, Code::kOk},
      {"climate.thermostat", "set_temperature", {{"temperature", 21.5}}, Code::kOk},
      {"climate.thermostat", "set_hvac_mode", {{"hvac_mode", std::string("cool")}}, Code::kOk},
      {"lock.front_door", "unlock", {}, Code::kOk},
      {"media_player.kitchen_speaker", "media_next", {}, Code::kOk},
      {"media_player.kitchen_speaker", "set_volume", {{"volume", int64_t{50}}}, Code::kOk},
      {"vacuum.robot", "return_to_base", {}, Code::kOk},
      {"scene.movie_night", "activate", {}, Code::kOk},
      {"script.bedtime", "activate", {}, Code::kOk},
      // unknown action, unknown or missing parameter, out of range → bad input
      {"light.floor_lamp", "dim", {}, Code::kBadInput},
      {"light.floor_lamp", "turn_on", {{"flash", true}}, Code::kBadInput},
      {"light.floor_lamp", "turn_off", {{"brightness", int64_t{10}}}, Code::kBadInput},
      {"light.floor_lamp", "turn_on", {{"brightness", int64_t{150}}}, Code::kBadInput},
      {"light.floor_lamp", "turn_on", {{"brightness", int64_t{-1}}}, Code::kBadInput},
      {"light.floor_lamp", "turn_on", {{"brightness", std::string("bright")}}, Code::kBadInput},
      {"light.floor_lamp", "turn_on", {{"color", std::string("chartreuse")}}, Code::kBadInput},
      {"light.floor_lamp", "turn_on", {{"color", std::string("#12345")}}, Code::kBadInput},
      {"light.floor_lamp", "turn_on", {{"color_temp_kelvin", int64_t{12000}}}, Code::kBadInput},
      {"cover.living_room_blinds", "set_position", {}, Code::kBadInput},
      {"cover.living_room_blinds", "set_position", {{"position", int64_t{101}}}, Code::kBadInput},
      {"climate.thermostat", "set_temperature", {{"temperature", 31.0}}, Code::kBadInput},  // max_temp 30
      {"climate.thermostat", "set_temperature", {{"temperature", 6.0}}, Code::kBadInput},   // min_temp 7
      {"climate.bedroom_radiator", "set_temperature", {{"temperature", 5.0}}, Code::kOk},   // min_temp 5
      {"climate.thermostat", "set_hvac_mode", {{"hvac_mode", std::string("dry")}}, Code::kBadInput},
      {"media_player.kitchen_speaker", "set_volume", {{"volume", 100.5}}, Code::kBadInput},
      // not something this device can do → unsupported
      {"light.porch", "turn_on", {{"brightness", int64_t{50}}}, Code::kUnsupported},
      {"light.kitchen_counter", "turn_on", {{"color", std::string("red")}}, Code::kUnsupported},
      {"light.tv_backlight", "turn_on", {{"color_temp_kelvin", int64_t{3000}}}, Code::kUnsupported},
      {"light.porch", "lock", {}, Code::kUnsupported},
      {"cover.garage_door", "set_position", {{"position", int64_t{50}}}, Code::kUnsupported},
      {"cover.garage_door", "turn_on", {}, Code::kUnsupported},
      {"fan.extractor", "set_speed", {{"percentage", int64_t{50}}}, Code::kUnsupported},
      {"lock.front_door", "turn_on", {}, Code::kUnsupported},
      {"sensor.outdoor_temperature", "turn_on", {}, Code::kUnsupported},
      {"binary_sensor.front_door_contact", "toggle", {}, Code::kUnsupported},
      {"scene.movie_night", "turn_off", {}, Code::kUnsupported},
  };
  for (const ValidateCase& c : cases) {
    const Device* d = demo_home().device(c.device);
    ASSERT_NE(d, nullptr) << c.device;
    Result<void> r = validate_command(*d, make(c.device, c.action, c.params));
    const Code got = r ? Code::kOk : r.error().code;
    EXPECT_EQ(got, c.expected) << c.device << " " << c.action << ": " << (r ? "ok" : r.error().message);
  }
}

TEST(CommandTest, MessagesNameTheProblem) {
  const Device* porch = demo_home().device("light.porch");
  Result<void> r = validate_command(*porch, make("light.porch", "turn_on", {{"brightness", int64_t{50}}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("light.porch"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("no brightness control"), std::string::npos) << r.error().message;

  r = validate_command(*porch, make("light.porch", "blink"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown action 'blink'"), std::string::npos) << r.error().message;

  const Device* thermostat = demo_home().device("climate.thermostat");
  r = validate_command(*thermostat, make("climate.thermostat", "set_temperature", {{"temperature", 45.0}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("7..30"), std::string::npos) << r.error().message;
}

TEST(CommandTest, DiffStatesListsStateFirstThenAttributes) {
  DeviceState before;
  before.state = "off";
  before.attributes = {{"brightness", int64_t{30}}, {"color", std::string("red")}, {"gone", true}};
  DeviceState after;
  after.state = "on";
  after.attributes = {{"brightness", int64_t{80}}, {"color", std::string("red")}, {"new", 1.5}};
  std::vector<StateChange> changes = diff_states("light.x", before, after);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].attribute, "state");
  EXPECT_EQ(changes[0].old_value, Value(std::string("off")));
  EXPECT_EQ(changes[0].new_value, Value(std::string("on")));
  EXPECT_EQ(changes[1].attribute, "brightness");
  EXPECT_EQ(changes[1].new_value, Value(int64_t{80}));
  EXPECT_EQ(changes[2].attribute, "gone");
  EXPECT_TRUE(is_null(changes[2].new_value));
  EXPECT_EQ(changes[3].attribute, "new");
  EXPECT_TRUE(is_null(changes[3].old_value));
  for (const StateChange& c : changes) EXPECT_EQ(c.device_id, "light.x");

  EXPECT_TRUE(diff_states("light.x", before, before).empty());
}

}  // namespace
}  // namespace hearth
