// MQTT conventions without a broker: bindings, Zigbee2MQTT command payloads
// and state messages, HA templates and discovery, bridge/devices proposals,
// and the corrupt inputs each must reject (never crash).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mqtt_codec.h"

namespace hearth::mqtt {
namespace {

Device device(std::string id, Domain domain, uint32_t caps, std::string device_class = "") {
  Device d;
  d.id = std::move(id);
  d.name = d.id;
  d.domain = domain;
  d.capabilities = caps;
  d.device_class = std::move(device_class);
  return d;
}

Command cmd(std::string action, ValueMap params = {}) {
  Command c;
  c.action = std::move(action);
  c.params = std::move(params);
  return c;
}

Binding z2m(const std::string& topic) {
  Result<Binding> b = parse_binding(R"({"type": "mqtt", "topic": ")" + topic + R"("})", "zigbee2mqtt");
  EXPECT_TRUE(b) << b.error().message;
  return b ? *b : Binding{};
}

nlohmann::json payload_of(const Binding& b, const Device& d, const Command& c) {
  Result<std::vector<Publish>> m = command_messages(b, d, c);
  EXPECT_TRUE(m) << m.error().message;
  if (!m || m->size() != 1) return nullptr;
  EXPECT_EQ((*m)[0].topic, b.command_topic);
  return nlohmann::json::parse((*m)[0].payload);
}

TEST(MqttCodec, BrightnessMappingRoundTripsEveryPercent) {
  EXPECT_EQ(percent_to_z2m_brightness(0), 0);
  EXPECT_EQ(percent_to_z2m_brightness(100), 254);
  EXPECT_EQ(percent_to_z2m_brightness(50), 127);
  for (int p = 0; p <= 100; ++p) EXPECT_EQ(z2m_brightness_to_percent(percent_to_z2m_brightness(p)), p) << p;
  EXPECT_EQ(z2m_brightness_to_percent(255), 100);  // clamped
}

TEST(MqttCodec, BindingTopicsAndErrors) {
  Binding b = z2m("kitchen/ceiling");
  EXPECT_EQ(b.command_topic, "zigbee2mqtt/kitchen/ceiling/set");
  EXPECT_EQ(b.state_topic, "zigbee2mqtt/kitchen/ceiling");
  EXPECT_EQ(b.availability_topic, "zigbee2mqtt/kitchen/ceiling/availability");
  EXPECT_EQ(z2m("zigbee2mqtt/kitchen/ceiling").friendly_name, "kitchen/ceiling");
  EXPECT_FALSE(parse_binding(R"({"type": "mqtt"})", "zigbee2mqtt"));
  EXPECT_FALSE(parse_binding(R"({"type": "mqtt", "topic": "a/+"})", "zigbee2mqtt"));
  EXPECT_FALSE(parse_binding(R"({"type": "mqtt", "topic": 5})", "zigbee2mqtt"));
  EXPECT_FALSE(parse_binding(R"({"type": "mqtt", "protocol": "tasmota", "topic": "x"})", "zigbee2mqtt"));
  EXPECT_FALSE(parse_binding(R"({"type": "mqtt", "protocol": "ha"})", "zigbee2mqtt"));
  Result<Binding> bad_tpl = parse_binding(
      R"({"type": "mqtt", "protocol": "ha", "state_topic": "s", "value_template": "{{ value_json.x | int }}"})", "z");
  ASSERT_FALSE(bad_tpl);
  EXPECT_NE(bad_tpl.error().message.find("not supported"), std::string::npos);
  EXPECT_FALSE(parse_binding("{", "z"));
}

TEST(MqttCodec, Z2mCommandsForEveryDomain) {
  Binding b = z2m("lamp");
  Device light = device("light.lamp", Domain::kLight, kCapOnOff | kCapBrightness | kCapColor | kCapColorTemp);
  EXPECT_EQ(payload_of(b, light, cmd("turn_on", {{"brightness", int64_t{40}}})),
            nlohmann::json({{"state", "ON"}, {"brightness", 102}}));
  EXPECT_EQ(payload_of(b, light, cmd("turn_on", {{"brightness", int64_t{0}}})), nlohmann::json({{"state", "OFF"}}));
  EXPECT_EQ(payload_of(b, light, cmd("turn_on", {{"color_temp_kelvin", int64_t{2700}}}))["color_temp"], 370);
  nlohmann::json red = payload_of(b, light, cmd("turn_on", {{"color", std::string("red")}}));
  EXPECT_NEAR(red["color"]["x"].get<double>(), 0.64, 0.001);
  EXPECT_NEAR(red["color"]["y"].get<double>(), 0.33, 0.001);
  Binding hex = *parse_binding(R"({"topic": "lamp", "color_format": "hex"})", "zigbee2mqtt");
  EXPECT_EQ(payload_of(hex, light, cmd("turn_on", {{"color", std::string("#00FF00")}}))["color"]["hex"], "#00ff00");
  EXPECT_EQ(payload_of(b, light, cmd("toggle")), nlohmann::json({{"state", "TOGGLE"}}));
  EXPECT_EQ(payload_of(b, light, cmd("turn_off")), nlohmann::json({{"state", "OFF"}}));

  Device lock = device("lock.door", Domain::kLock, kCapLock);
  EXPECT_EQ(payload_of(b, lock, cmd("lock")), nlohmann::json({{"state", "LOCK"}}));
  EXPECT_EQ(payload_of(b, lock, cmd("unlock")), nlohmann::json({{"state", "UNLOCK"}}));
  Device cover = device("cover.blind", Domain::kCover, kCapOpenClose | kCapPosition);
  EXPECT_EQ(payload_of(b, cover, cmd("set_position", {{"position", int64_t{30}}})), nlohmann::json({{"position", 30}}));
  EXPECT_EQ(payload_of(b, cover, cmd("close_cover")), nlohmann::json({{"state", "CLOSE"}}));
  EXPECT_EQ(payload_of(b, cover, cmd("stop_cover")), nlohmann::json({{"state", "STOP"}}));
  Device climate = device("climate.t", Domain::kClimate, kCapSetpoint | kCapHvacMode);
  EXPECT_EQ(payload_of(b, climate, cmd("set_temperature", {{"temperature", 21.5}})),
            nlohmann::json({{"occupied_heating_setpoint", 21.5}}));
  EXPECT_EQ(payload_of(b, climate, cmd("set_hvac_mode", {{"hvac_mode", std::string("off")}})),
            nlohmann::json({{"system_mode", "off"}}));
  Device vacuum = device("vacuum.v", Domain::kVacuum, kCapVacuum);
  Result<std::vector<Publish>> none = command_messages(b, vacuum, cmd("start"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Code::kUnsupported);
}

TEST(MqttCodec, Z2mStateMessages) {
  Binding b = z2m("lamp");
  Device light = device("light.lamp", Domain::kLight, kCapOnOff | kCapBrightness);
  DeviceState s;
  s.state = "off";
  Result<DeviceState> r = apply_state_message(
      b, light, s, R"({"state": "ON", "brightness": 254, "color_temp": 250, "color": {"x": 0.64, "y": 0.33}, "linkquality": 90})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, "on");
  EXPECT_EQ(r->attributes.at("brightness"), Value(int64_t{100}));
  EXPECT_EQ(r->attributes.at("color_temp_kelvin"), Value(int64_t{4000}));
  EXPECT_EQ(r->attributes.at("color"), Value(std::string("#ff0000")));
  EXPECT_EQ(r->attributes.at("linkquality"), Value(int64_t{90}));

  Device lock = device("lock.door", Domain::kLock, kCapLock);
  EXPECT_EQ(apply_state_message(b, lock, s, R"({"state": "UNLOCK", "lock_state": "unlocked"})")->state, "unlocked");
  Device cover = device("cover.blind", Domain::kCover, kCapOpenClose | kCapPosition);
  EXPECT_EQ(apply_state_message(b, cover, s, R"({"position": 0})")->state, "closed");
  EXPECT_EQ(apply_state_message(b, cover, s, R"({"position": 55})")->attributes.at("position"), Value(int64_t{55}));
  Device climate = device("climate.t", Domain::kClimate, kCapSetpoint);
  Result<DeviceState> c = apply_state_message(
      b, climate, s, R"({"occupied_heating_setpoint": 21.5, "local_temperature": 19.0, "system_mode": "heat"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, "heat");
  EXPECT_EQ(c->attributes.at("temperature"), Value(21.5));
  EXPECT_EQ(c->attributes.at("current_temperature"), Value(19.0));
  Device motion = device("binary_sensor.m", Domain::kBinarySensor, kCapReadOnly, "occupancy");
  EXPECT_EQ(apply_state_message(b, motion, s, R"({"occupancy": true})")->state, "on");
  Device door = device("binary_sensor.d", Domain::kBinarySensor, kCapReadOnly, "door");
  EXPECT_EQ(apply_state_message(b, door, s, R"({"contact": true})")->state, "off");  // closed
  Device temp = device("sensor.t", Domain::kSensor, kCapReadOnly, "temperature");
  EXPECT_EQ(apply_state_message(b, temp, s, R"({"temperature": 7.5, "humidity": 80})")->state, "7.5");
}

// Corrupt state messages, one per way to be wrong: each is an error.
TEST(MqttCodec, CorruptStateMessagesAreErrors) {
  Binding b = z2m("lamp");
  Device light = device("light.lamp", Domain::kLight, kCapOnOff | kCapBrightness);
  DeviceState s;
  const char* cases[] = {
      "",                                        // EmptyPayload
      "{",                                       // TruncatedJson
      "[1]",                                     // NotAnObject
      "\"ON\"",                                  // BareString
      R"({"state": 1})",                         // StateWrongType
      R"({"state": "MAYBE"})",                   // StateUnknown
      R"({"brightness": "high"})",               // BrightnessWrongType
      R"({"brightness": -1})",                   // BrightnessNegative
      R"({"brightness": 255})",                  // BrightnessTooLarge
      R"({"color_temp": 0})",                    // MiredsZero
      R"({"color": 3})",                         // ColorNotObject
      R"({"color": {"x": 2, "y": 0.3}})",        // ColorOutOfRange
      R"({"color": {"q": 1}})",                  // ColorUnknownForm
      R"({"linkquality": "good"})",              // ReadingWrongType
  };
  for (const char* p : cases) {
    Result<DeviceState> r = apply_state_message(b, light, s, p);
    EXPECT_FALSE(r) << p;
    if (!r) {
      EXPECT_EQ(r.error().code, Code::kBadInput) << p;
    }
  }
  EXPECT_FALSE(apply_state_message(b, light, s, std::string(70000, ' ')));  // TooLarge
  Result<bool> a = parse_availability(b, "sleepy");
  EXPECT_FALSE(a);
  EXPECT_TRUE(*parse_availability(b, R"({"state": "online"})"));
  EXPECT_FALSE(*parse_availability(b, "offline"));
}

TEST(MqttCodec, ValueTemplates) {
  EXPECT_EQ(*parse_value_template("{{ value_json.temperature }}"), "temperature");
  EXPECT_EQ(*parse_value_template("{{value_json.state}}"), "state");
  for (const char* t : {"{{ value }}", "{{ value_json.a.b }}", "{{ value_json['x'] }}", "{{ value_json.x | float }}",
                        "{% if %}", "value_json.x", ""}) {
    Result<std::string> r = parse_value_template(t);
    EXPECT_FALSE(r) << t;
    if (!r) {
      EXPECT_EQ(r.error().code, Code::kUnsupported);
    }
  }
  Binding b = *parse_binding(
      R"({"protocol": "ha", "state_topic": "s", "command_topic": "c", "value_template": "{{ value_json.power }}",
          "payload_on": "1", "payload_off": "0"})", "z");
  Device sw = device("switch.p", Domain::kSwitch, kCapOnOff);
  DeviceState s;
  EXPECT_EQ(apply_state_message(b, sw, s, R"({"power": "1"})")->state, "on");
  EXPECT_EQ(apply_state_message(b, sw, s, R"({"power": 0})")->state, "off");
  EXPECT_FALSE(apply_state_message(b, sw, s, R"({"other": 1})"));
  Result<std::vector<Publish>> on = command_messages(b, sw, cmd("turn_on"));
  ASSERT_TRUE(on);
  EXPECT_EQ((*on)[0].topic, "c");
  EXPECT_EQ((*on)[0].payload, "1");
  EXPECT_FALSE(command_messages(b, sw, cmd("toggle")));
}

TEST(MqttCodec, HaDiscovery) {
  Result<std::optional<ProposedDevice>> p = parse_ha_discovery(
      "homeassistant/switch/node1/plug/config",
      R"({"name": "Desk Plug", "~": "tasmota/desk", "cmd_t": "~/cmnd/POWER", "stat_t": "~/stat/POWER",
          "pl_on": "ON", "pl_off": "OFF", "uniq_id": "desk_plug", "dev": {"mf": "Tasmota", "sa": "Office"}})",
      "homeassistant");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(*p);
  const ProposedDevice& d = **p;
  EXPECT_EQ(d.id, "switch.desk_plug");
  EXPECT_EQ(d.name, "Desk Plug");
  EXPECT_EQ(d.area, "office");
  EXPECT_EQ(d.vendor, "Tasmota");
  EXPECT_EQ(d.domain, Domain::kSwitch);
  nlohmann::json a = nlohmann::json::parse(d.adapter_json);
  EXPECT_EQ(a["command_topic"], "tasmota/desk/cmnd/POWER");
  EXPECT_EQ(a["state_topic"], "tasmota/desk/stat/POWER");
  // The proposal's adapter object is a valid binding.
  EXPECT_TRUE(parse_binding(d.adapter_json, "zigbee2mqtt"));

  Result<std::optional<ProposedDevice>> cover = parse_ha_discovery(
      "homeassistant/cover/blind/config", R"({"name": "Blind", "cmd_t": "b/set", "set_pos_t": "b/pos"})", "homeassistant");
  ASSERT_TRUE(cover && *cover);
  EXPECT_TRUE((**cover).capabilities & kCapPosition);

  EXPECT_FALSE(*parse_ha_discovery("homeassistant/switch/x/config", "", "homeassistant"));  // removed
  EXPECT_EQ(parse_ha_discovery("homeassistant/climate/x/config", "{}", "homeassistant").error().code,
            Code::kUnsupported);
  for (const char* bad : {"{", "[]", R"({"name": "x"})", R"({"cmd_t": 5})", R"({"cmd_t": "a/#"})"}) {
    Result<std::optional<ProposedDevice>> r = parse_ha_discovery("homeassistant/switch/x/config", bad, "homeassistant");
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, Code::kBadInput) << bad;
    }
  }
  EXPECT_FALSE(parse_ha_discovery("homeassistant/switch/config", "{}", "homeassistant"));
}

TEST(MqttCodec, BridgeDevices) {
  const char* list = R"([
    {"friendly_name": "Coordinator", "type": "Coordinator"},
    {"friendly_name": "living_room/lamp", "type": "Router", "definition": {"model": "LED1545G12", "vendor": "IKEA",
      "exposes": [{"type": "light", "features": [{"name": "state"}, {"name": "brightness"}, {"name": "color_temp"}]},
                  {"type": "numeric", "name": "linkquality"}]}},
    {"friendly_name": "Door Sensor", "definition": {"exposes": [{"type": "binary", "name": "contact"},
                                                                  {"type": "numeric", "name": "battery"}]}},
    {"friendly_name": "unsupported", "definition": null},
    {"friendly_name": 7},
    {"friendly_name": "weird", "definition": {"exposes": 3}}
  ])";
  int skipped = 0;
  Result<std::vector<ProposedDevice>> r = parse_z2m_bridge_devices(list, &skipped);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(skipped, 2);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, "light.living_room_lamp");
  EXPECT_EQ((*r)[0].name, "Living Room Lamp");
  EXPECT_EQ((*r)[0].area, "living_room");
  EXPECT_EQ((*r)[0].capabilities, static_cast<uint32_t>(kCapOnOff | kCapBrightness | kCapColorTemp));
  EXPECT_EQ((*r)[0].vendor, "IKEA");
  EXPECT_EQ((*r)[1].id, "binary_sensor.door_sensor");
  EXPECT_EQ((*r)[1].device_class, "door");
  EXPECT_EQ((*r)[1].area, "");
  EXPECT_FALSE(parse_z2m_bridge_devices("{}", &skipped));
  EXPECT_FALSE(parse_z2m_bridge_devices("[", &skipped));
}

// Which friendly names the bridge still lists (a bound device missing from
// it has left the network): every named entry counts, supported or not; an
// entry without a usable name makes the list incomplete.
TEST(MqttCodec, BridgeNames) {
  bool complete = false;
  Result<std::vector<std::string>> names = z2m_bridge_names(R"([
    {"friendly_name": "Coordinator", "type": "Coordinator"},
    {"friendly_name": "living_room/lamp", "definition": {"exposes": []}},
    {"friendly_name": "unsupported", "definition": null}])", &complete);
  ASSERT_TRUE(names) << names.error().message;
  EXPECT_TRUE(complete);
  EXPECT_EQ(*names, (std::vector<std::string>{"living_room/lamp", "unsupported"}));
  names = z2m_bridge_names(R"([{"friendly_name": 7}, {"friendly_name": ""}, 3, {"friendly_name": "a"}])", &complete);
  ASSERT_TRUE(names);
  EXPECT_FALSE(complete);
  EXPECT_EQ(*names, std::vector<std::string>{"a"});
  EXPECT_FALSE(z2m_bridge_names("{}", &complete));
  EXPECT_FALSE(z2m_bridge_names("[{\"friendly_name\": ", &complete));
  EXPECT_FALSE(z2m_bridge_names("", &complete));
}

TEST(MqttCodec, Colors) {
  EXPECT_EQ(*color_to_hex("Red"), "#ff0000");
  EXPECT_EQ(*color_to_hex("#ABCDEF"), "#abcdef");
  EXPECT_FALSE(color_to_hex("plaid"));
  for (const char* c : {"#ff0000", "#00ff00", "#0000ff", "#ffffff"}) {
    auto xy = color_to_xy(c);
    ASSERT_TRUE(xy);
    EXPECT_EQ(xy_to_hex(xy->first, xy->second), c);
  }
  EXPECT_EQ(slugify("Living Room/Lamp #2"), "living_room_lamp_2");
}

}  // namespace
}  // namespace hearth::mqtt
