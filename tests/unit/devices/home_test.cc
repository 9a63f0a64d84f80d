// Home model: the demo home loads, every kind of corrupt home file yields
// its error entries (all of them at once), and the name lookups.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "hearth/devices/home.h"

namespace hearth {
namespace {

const std::string kDemoHome = std::string(HEARTH_ASSETS_DIR) + "/homes/demo.json";

Home load_demo() {
  ConfigErrors errors;
  Result<Home> home = Home::load_file(kDemoHome, errors);
  EXPECT_TRUE(home) << errors.to_string();
  return home ? std::move(home).value() : Home{};
}

std::vector<std::string> ids(const std::vector<const Device*>& devices) {
  std::vector<std::string> out;
  for (const Device* d : devices) out.push_back(d->id);
  return out;
}

// A small valid home around the given "devices" array text.
std::string home_with_devices(const std::string& devices) {
  return R"({"name": "Test", "floors": [{"id": "ground", "name": "Ground Floor"}],
  "areas": [{"id": "kitchen", "name": "Kitchen", "floor": "ground"},
            {"id": "hall", "name": "Hall", "floor": "ground"}],
  "devices": )" + devices + "}";
}

TEST(HomeTest, DemoHomeLoadsCleanly) {
  ConfigErrors errors;
  Result<Home> home = Home::load_file(kDemoHome, errors);
  ASSERT_TRUE(home) << home.error().message << "\n" << errors.to_string();
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(home->devices().size(), 51u);
  EXPECT_EQ(home->areas().size(), 12u);
  EXPECT_EQ(home->floors().size(), 2u);
}

TEST(HomeTest, DemoCapabilitiesComeFromDomainSupportsAndAttributes) {
  Home home = load_demo();
  const Device* porch = home.device("light.porch");
  ASSERT_NE(porch, nullptr);
  EXPECT_EQ(porch->capabilities, kCapOnOff);
  const Device* lamp = home.device("light.floor_lamp");
  ASSERT_NE(lamp, nullptr);
  EXPECT_EQ(lamp->capabilities, kCapOnOff | kCapBrightness | kCapColor | kCapColorTemp);
  EXPECT_EQ(home.device("climate.thermostat")->capabilities, kCapSetpoint | kCapHvacMode);
  EXPECT_EQ(home.device("media_player.living_room_tv")->capabilities, kCapOnOff | kCapMedia | kCapVolume);
  EXPECT_EQ(home.device("fan.bedroom_fan")->capabilities, kCapOnOff | kCapSpeed);
  EXPECT_EQ(home.device("fan.extractor")->capabilities, kCapOnOff);
  EXPECT_EQ(home.device("cover.garage_door")->capabilities, kCapOpenClose);
  EXPECT_EQ(home.device("cover.bedroom_curtains")->capabilities, kCapOpenClose | kCapPosition);
  EXPECT_EQ(home.device("sensor.outdoor_temperature")->capabilities, kCapReadOnly);
  EXPECT_EQ(home.device("binary_sensor.hallway_motion")->capabilities, kCapReadOnly);
  EXPECT_EQ(home.device("lock.front_door")->capabilities, kCapLock);
  EXPECT_EQ(home.device("vacuum.robot")->capabilities, kCapVacuum);
  EXPECT_EQ(home.device("scene.movie_night")->capabilities, kCapActivate);
  EXPECT_EQ(home.device("script.bedtime")->capabilities, kCapActivate);
  EXPECT_EQ(home.device("switch.coffee_maker")->capabilities, kCapOnOff);
}

TEST(HomeTest, AttributesImplyCapabilities) {
  ConfigErrors errors;
  Result<Home> home = Home::parse(home_with_devices(R"([
    {"id": "light.a", "name": "A", "attributes": {"brightness": 10, "color": "#ff8800", "color_temp_kelvin": 2700}},
    {"id": "cover.b", "name": "B", "attributes": {"position": 30}},
    {"id": "fan.c", "name": "C", "attributes": {"percentage": 40}},
    {"id": "switch.d", "name": "D", "supports": ["volume"]}])"),
                                  "t.json", errors);
  ASSERT_TRUE(home) << errors.to_string();
  EXPECT_EQ(home->device("light.a")->capabilities, kCapOnOff | kCapBrightness | kCapColor | kCapColorTemp);
  EXPECT_EQ(home->device("cover.b")->capabilities, kCapOpenClose | kCapPosition);
  EXPECT_EQ(home->device("fan.c")->capabilities, kCapOnOff | kCapSpeed);
  EXPECT_EQ(home->device("switch.d")->capabilities, kCapOnOff | kCapVolume);
}

TEST(HomeTest, DeviceFieldsAndDefaults) {
  Home home = load_demo();
  const Device* d = home.device("cover.living_room_blinds");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->name, "Living Room Blinds");
  EXPECT_EQ(d->area, "living_room");
  EXPECT_EQ(d->domain, Domain::kCover);
  EXPECT_EQ(d->device_class, "blind");
  EXPECT_EQ(d->initial.state, "open");
  EXPECT_EQ(d->initial.attributes.at("position"), Value(int64_t{100}));
  EXPECT_EQ(d->adapter.type, "virtual");
  EXPECT_EQ(home.device("sensor.outdoor_temperature")->initial.state, "7.5");
  EXPECT_EQ(home.device("climate.thermostat")->initial.attributes.at("temperature"), Value(21.0));

  ConfigErrors errors;
  Result<Home> minimal = Home::parse(R"({"devices": [{"id": "lock.door", "name": "Door"}]})", "m.json", errors);
  ASSERT_TRUE(minimal) << errors.to_string();
  const Device* door = minimal->device("lock.door");
  EXPECT_EQ(door->initial.state, "locked");
  EXPECT_EQ(door->adapter.type, "virtual");
  EXPECT_EQ(door->adapter.options_json, "{}");
  EXPECT_TRUE(door->area.empty());
}

TEST(HomeTest, NormalizeName) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"Kid's  Room!", "kids room"},
      {"  Living-Room   Lights ", "living room lights"},
      {"children\xE2\x80\x99s room", "childrens room"},  // typographic apostrophe
      {"TV", "tv"},
      {"a.b,c;d", "a b c d"},
      {"Café Light", "caf\xC3\xA9 light"},  // non-ASCII bytes kept
      {"", ""},
      {"!!!", ""},
      {"tab\tand\nnewline", "tab and newline"},
  };
  for (const Case& c : cases) EXPECT_EQ(normalize_name(c.in), c.out) << c.in;
}

TEST(HomeTest, LookupsByNameAndAlias) {
  Home home = load_demo();
  EXPECT_EQ(ids(home.devices_named("big light")), std::vector<std::string>{"light.kitchen_ceiling"});
  EXPECT_EQ(ids(home.devices_named("  Big LIGHT! ")), std::vector<std::string>{"light.kitchen_ceiling"});
  EXPECT_EQ(ids(home.devices_named("Kitchen Ceiling Light")), std::vector<std::string>{"light.kitchen_ceiling"});
  EXPECT_EQ(ids(home.devices_named("telly")), std::vector<std::string>{"media_player.living_room_tv"});
  EXPECT_TRUE(home.devices_named("toaster").empty());
  EXPECT_TRUE(home.devices_named("").empty());

  ASSERT_NE(home.area_named("lounge"), nullptr);
  EXPECT_EQ(home.area_named("lounge")->id, "living_room");
  ASSERT_NE(home.area_named("Children's Room"), nullptr);
  EXPECT_EQ(home.area_named("Children's Room")->id, "kids_room");
  EXPECT_EQ(home.area_named("attic"), nullptr);
  ASSERT_NE(home.floor_named("top floor"), nullptr);
  EXPECT_EQ(home.floor_named("top floor")->id, "upstairs");
  EXPECT_EQ(home.floor_named("Downstairs")->id, "downstairs");
  EXPECT_EQ(home.floor_named("basement"), nullptr);

  EXPECT_NE(home.area("kitchen"), nullptr);
  EXPECT_EQ(home.area("Kitchen"), nullptr);  // ids are exact
  EXPECT_NE(home.floor("upstairs"), nullptr);
  EXPECT_EQ(home.device("light.nope"), nullptr);
}

TEST(HomeTest, SharedAliasIsAmbiguous) {
  Home home = load_demo();
  EXPECT_EQ(ids(home.devices_named("bedside lamp")),
            (std::vector<std::string>{"light.bedside_left", "light.bedside_right"}));
  EXPECT_EQ(ids(home.devices_named("left bedside lamp")), std::vector<std::string>{"light.bedside_left"});
}

TEST(HomeTest, DevicesByAreaFloorDomain) {
  Home home = load_demo();
  EXPECT_EQ(ids(home.devices_in_area("kitchen", Domain::kLight)),
            (std::vector<std::string>{"light.kitchen_ceiling", "light.kitchen_counter"}));
  EXPECT_EQ(home.devices_in_area("kitchen").size(), 7u);
  EXPECT_EQ(ids(home.devices_in_domain(Domain::kLock)), (std::vector<std::string>{"lock.front_door", "lock.back_door"}));
  std::vector<const Device*> upstairs_lights = home.devices_on_floor("upstairs", Domain::kLight);
  EXPECT_EQ(upstairs_lights.size(), 9u);
  for (const Device* d : upstairs_lights) EXPECT_EQ(home.area(d->area)->floor, "upstairs") << d->id;
  EXPECT_EQ(home.devices_on_floor("downstairs").size() + home.devices_on_floor("upstairs").size(), 51u);
  EXPECT_TRUE(home.devices_on_floor("attic").empty());
}

TEST(HomeTest, PhrasesAreNormalizedAndUnique) {
  Home home = load_demo();
  std::vector<std::string> phrases = home.device_phrases();
  std::set<std::string> unique(phrases.begin(), phrases.end());
  EXPECT_EQ(unique.size(), phrases.size());
  EXPECT_TRUE(unique.count("big light"));
  EXPECT_TRUE(unique.count("bedside lamp"));
  EXPECT_TRUE(unique.count("kitchen ceiling light"));
  for (const std::string& p : phrases) EXPECT_EQ(normalize_name(p), p);
  std::vector<std::string> areas = home.area_phrases();
  EXPECT_NE(std::find(areas.begin(), areas.end(), "childrens room"), areas.end());
  EXPECT_EQ(home.floor_phrases().size(), 6u);
}

TEST(HomeTest, DomainAndCapabilityNames) {
  for (int i = 0; i < kNumDomains; ++i) {
    const Domain d = static_cast<Domain>(i);
    ASSERT_TRUE(domain_from_name(domain_name(d)).has_value());
    EXPECT_EQ(*domain_from_name(domain_name(d)), d);
  }
  EXPECT_EQ(domain_name(Domain::kMediaPlayer), "media_player");
  EXPECT_FALSE(domain_from_name("toaster"));
  EXPECT_EQ(capability_name(kCapColorTemp), "color_temp");
  EXPECT_EQ(capability_from_name("read_only"), kCapReadOnly);
  EXPECT_FALSE(capability_from_name("dimming"));
  EXPECT_EQ(capability_names(kCapOnOff | kCapVolume), (std::vector<std::string>{"on_off", "volume"}));
}

// --- corrupt home files ---------------------------------------------------

struct ExpectedError {
  std::string path;
  std::string message_part;  // substring of the message
};

struct CorruptCase {
  const char* name;
  std::string json;
  std::vector<ExpectedError> errors;  // exactly these, in this order
};

std::vector<CorruptCase> corrupt_cases() {
  return {
      {"BadJson", "{\n  \"devices\": [\n    {\"id\": tru}\n  ]\n}",
       {{"$", "invalid JSON at line 3, column 15"}}},
      {"TruncatedJson", "{\"devices\": [", {{"$", "invalid JSON at line 1, column 14"}}},
      {"EmptyText", "", {{"$", "invalid JSON at line 1, column 1"}}},
      {"NotAnObject", "[1, 2]", {{"$", "expected an object"}}},
      {"MissingDevices", R"({"floors": []})", {{"$.devices", "missing required key 'devices'"}}},
      {"DevicesNotArray", R"({"devices": {}})", {{"$.devices", "expected an array, got object"}}},
      {"DeviceNotObject", home_with_devices("[42]"), {{"$.devices[0]", "expected an object, got number"}}},
      {"MissingId", home_with_devices(R"([{"name": "X"}])"), {{"$.devices[0].id", "missing required key 'id'"}}},
      {"MissingName", home_with_devices(R"([{"id": "light.x"}])"),
       {{"$.devices[0].name", "missing required key 'name'"}}},
      {"NameWrongType", home_with_devices(R"([{"id": "light.x", "name": 5}])"),
       {{"$.devices[0].name", "expected a non-empty string, got number"}}},
      {"NameBlank", home_with_devices(R"([{"id": "light.x", "name": " ! "}])"),
       {{"$.devices[0].name", "expected a non-empty string"}}},
      {"IdUpperCase", home_with_devices(R"([{"id": "Light.Kitchen", "name": "X"}])"),
       {{"$.devices[0].id", "expected 'domain.object_id' with lower-case letters"}}},
      {"IdWithoutDot", home_with_devices(R"([{"id": "light", "name": "X"}])"),
       {{"$.devices[0].id", "expected 'domain.object_id'"}}},
      {"IdWithDash", home_with_devices(R"([{"id": "light.kitchen-1", "name": "X"}])"),
       {{"$.devices[0].id", "got 'light.kitchen-1'"}}},
      {"DuplicateId",
       home_with_devices(R"([{"id": "light.x", "name": "X"}, {"id": "light.x", "name": "Y"}])"),
       {{"$.devices[1].id", "duplicate device id 'light.x' (first defined at $.devices[0])"}}},
      {"UnknownArea", home_with_devices(R"([{"id": "light.x", "name": "X", "area": "kitchn"}])"),
       {{"$.devices[0].area", "unknown area 'kitchn'; known areas: kitchen, hall"}}},
      {"UnknownFloor",
       R"({"floors": [{"id": "ground", "name": "Ground"}], "areas": [{"id": "attic", "name": "Attic", "floor": "roof"}], "devices": []})",
       {{"$.areas[0].floor", "unknown floor 'roof'; known floors: ground"}}},
      {"UnknownDomainInId", home_with_devices(R"([{"id": "toaster.x", "name": "X"}])"),
       {{"$.devices[0].id", "unknown domain 'toaster' in id 'toaster.x'; known domains: light, switch"}}},
      {"UnknownDomainField", home_with_devices(R"([{"id": "light.x", "name": "X", "domain": "lamp"}])"),
       {{"$.devices[0].domain", "unknown domain 'lamp'; known domains: light"}}},
      {"DomainContradictsIdPrefix", home_with_devices(R"([{"id": "light.x", "name": "X", "domain": "switch"}])"),
       {{"$.devices[0].domain", "domain 'switch' contradicts the id prefix 'light'"}}},
      {"UnknownCapability",
       home_with_devices(R"([{"id": "light.x", "name": "X", "supports": ["on_off", "dimming"]}])"),
       {{"$.devices[0].supports[1]", "unknown capability 'dimming'; known capabilities: on_off, brightness"}}},
      {"SupportsNotArray", home_with_devices(R"([{"id": "light.x", "name": "X", "supports": "on_off"}])"),
       {{"$.devices[0].supports", "expected an array, got string"}}},
      {"AdapterWithoutType", home_with_devices(R"([{"id": "light.x", "name": "X", "adapter": {"latency_ms": 5}}])"),
       {{"$.devices[0].adapter.type", "missing required key 'type'"}}},
      {"AdapterTypeNotString", home_with_devices(R"([{"id": "light.x", "name": "X", "adapter": {"type": 3}}])"),
       {{"$.devices[0].adapter.type", "expected a non-empty string"}}},
      {"AdapterNotObject", home_with_devices(R"([{"id": "light.x", "name": "X", "adapter": "virtual"}])"),
       {{"$.devices[0].adapter", "expected an object with a \"type\" string, got string"}}},
      {"AliasCollidesWithOtherName",
       home_with_devices(
           R"([{"id": "light.x", "name": "Kitchen Light"}, {"id": "light.y", "name": "Y", "aliases": ["kitchen  LIGHT"]}])"),
       {{"$.devices[1].aliases[0]", "alias 'kitchen  LIGHT' collides with the name of device 'light.x'"}}},
      {"DuplicateDisplayName",
       home_with_devices(R"([{"id": "light.x", "name": "Lamp"}, {"id": "light.y", "name": "lamp"}])"),
       {{"$.devices[1].name", "name 'lamp' is already the name of device 'light.x'"}}},
      {"AliasesNotArray", home_with_devices(R"([{"id": "light.x", "name": "X", "aliases": "lamp"}])"),
       {{"$.devices[0].aliases", "expected an array, got string"}}},
      {"AliasNotString", home_with_devices(R"([{"id": "light.x", "name": "X", "aliases": [1]}])"),
       {{"$.devices[0].aliases[0]", "expected a string, got number"}}},
      {"BrightnessTooHigh",
       home_with_devices(R"([{"id": "light.x", "name": "X", "attributes": {"brightness": 150}}])"),
       {{"$.devices[0].attributes.brightness", "expected a number in 0..100 (percent), got 150"}}},
      {"PositionNegative", home_with_devices(R"([{"id": "cover.x", "name": "X", "attributes": {"position": -5}}])"),
       {{"$.devices[0].attributes.position", "expected a number in 0..100 (percent), got -5"}}},
      {"VolumeNotNumber",
       home_with_devices(R"([{"id": "media_player.x", "name": "X", "attributes": {"volume": "loud"}}])"),
       {{"$.devices[0].attributes.volume", "expected a number in 0..100 (percent), got \"loud\""}}},
      {"ColorTempOutOfRange",
       home_with_devices(R"([{"id": "light.x", "name": "X", "attributes": {"color_temp_kelvin": 100}}])"),
       {{"$.devices[0].attributes.color_temp_kelvin", "expected a number in 1500..9000 (kelvin), got 100"}}},
      {"UnknownColor", home_with_devices(R"([{"id": "light.x", "name": "X", "attributes": {"color": "chartreuse"}}])"),
       {{"$.devices[0].attributes.color", "expected a color name"}}},
      {"AttributeNotScalar", home_with_devices(R"([{"id": "light.x", "name": "X", "attributes": {"tags": [1]}}])"),
       {{"$.devices[0].attributes.tags", "expected a scalar"}}},
      {"AttributesNotObject", home_with_devices(R"([{"id": "light.x", "name": "X", "attributes": []}])"),
       {{"$.devices[0].attributes", "expected an object, got array"}}},
      {"SetpointOutsideRange",
       home_with_devices(
           R"([{"id": "climate.x", "name": "X", "attributes": {"temperature": 40, "min_temp": 7, "max_temp": 30}}])"),
       {{"$.devices[0].attributes.temperature", "setpoint 40 is outside min_temp..max_temp (7..30)"}}},
      {"StateWrongType", home_with_devices(R"([{"id": "light.x", "name": "X", "state": true}])"),
       {{"$.devices[0].state", "expected a string or a number, got boolean"}}},
      {"DuplicateAreaId",
       R"({"areas": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}], "devices": []})",
       {{"$.areas[1].id", "duplicate area id 'a' (first defined at $.areas[0])"}}},
      {"AreaNameCollision",
       R"({"areas": [{"id": "a", "name": "Lounge"}, {"id": "b", "name": "Den", "aliases": ["lounge"]}], "devices": []})",
       {{"$.areas[1]", "name or alias 'lounge' is already used by area 'a'"}}},
      {"DuplicateFloorId",
       R"({"floors": [{"id": "f", "name": "F"}, {"id": "f", "name": "G"}], "devices": []})",
       {{"$.floors[1].id", "duplicate floor id 'f'"}}},
      {"FloorLevelNotInteger", R"({"floors": [{"id": "f", "name": "F", "level": "one"}], "devices": []})",
       {{"$.floors[0].level", "expected an integer, got string"}}},
      {"FloorsNotArray", R"({"floors": {}, "devices": []})", {{"$.floors", "expected an array, got object"}}},
  };
}

TEST(HomeTest, CorruptHomeFiles) {
  for (const CorruptCase& c : corrupt_cases()) {
    SCOPED_TRACE(c.name);
    ConfigErrors errors;
    Result<Home> home = Home::parse(c.json, "bad.json", errors);
    ASSERT_FALSE(home);
    EXPECT_EQ(home.error().code, Code::kBadInput);
    ASSERT_EQ(errors.size(), c.errors.size()) << errors.to_string();
    for (size_t i = 0; i < c.errors.size(); ++i) {
      const ConfigErrors::Entry& e = errors.entries()[i];
      EXPECT_EQ(e.file, "bad.json");
      EXPECT_EQ(e.path, c.errors[i].path) << errors.to_string();
      EXPECT_NE(e.message.find(c.errors[i].message_part), std::string::npos)
          << "message: " << e.message << "\nwanted: " << c.errors[i].message_part;
    }
  }
}

TEST(HomeTest, AllErrorsAreListedAtOnce) {
  const std::string json = home_with_devices(R"([
    {"id": "light.a", "name": "A", "area": "kitchn"},
    {"id": "Light.B", "name": "B"},
    {"id": "light.c", "name": "C", "supports": ["dimming"], "attributes": {"brightness": 101}},
    {"id": "light.a", "name": "A2"},
    {"id": "cover.d", "domain": "switch"},
    {"id": "switch.e", "name": "E", "adapter": {}}])");
  ConfigErrors errors;
  errors.set_file("config.json");
  Result<Home> home = Home::parse(json, "home.json", errors);
  ASSERT_FALSE(home);
  const std::vector<std::string> paths = {
      "$.devices[0].area",       "$.devices[1].id",     "$.devices[2].attributes.brightness",
      "$.devices[2].supports[0]", "$.devices[3].id",     "$.devices[4].name",
      "$.devices[4].domain",     "$.devices[5].adapter.type"};
  ASSERT_EQ(errors.size(), paths.size()) << errors.to_string();
  for (size_t i = 0; i < paths.size(); ++i) EXPECT_EQ(errors.entries()[i].path, paths[i]) << errors.to_string();
  EXPECT_NE(home.error().message.find("8 errors"), std::string::npos) << home.error().message;
  EXPECT_EQ(errors.file(), "config.json");  // the caller's file name is restored
  EXPECT_EQ(errors.entries()[0].file, "home.json");
}

TEST(HomeTest, ExtraKeysAreAllowed) {
  ConfigErrors errors;
  Result<Home> home = Home::parse(
      R"({"name": "X", "version": 3, "devices": [{"id": "switch.a", "name": "A", "icon": "mdi:power", "adapter": {"type": "mqtt", "topic": "z2m/a"}}]})",
      "x.json", errors);
  ASSERT_TRUE(home) << errors.to_string();
  EXPECT_EQ(home->device("switch.a")->adapter.type, "mqtt");
  EXPECT_NE(home->device("switch.a")->adapter.options_json.find("z2m/a"), std::string::npos);
}

TEST(HomeTest, MissingFileIsOneError) {
  ConfigErrors errors;
  Result<Home> home = Home::load_file("/nonexistent/home.json", errors);
  ASSERT_FALSE(home);
  EXPECT_EQ(home.error().code, Code::kIo);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.entries()[0].file, "/nonexistent/home.json");
}

// Hostile input: every prefix of the demo home (at a stride) is an error or a
// home, never a crash.
TEST(HomeTest, TruncatedDemoNeverCrashes) {
  std::string text;
  {
    FILE* f = std::fopen(kDemoHome.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  for (size_t len = 0; len < text.size(); len += 37) {
    ConfigErrors errors;
    Result<Home> home = Home::parse(std::string_view(text).substr(0, len), "cut.json", errors);
    EXPECT_FALSE(home) << len;
    EXPECT_FALSE(errors.empty()) << len;
  }
}

}  // namespace
}  // namespace hearth
