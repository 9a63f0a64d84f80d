// resolve_targets: names, groups, ambiguity, unknown names, capabilities.

#include <gtest/gtest.h>

#include "hearth/nlu/nlu.h"
#include "test_home.h"

namespace hearth {
namespace {

class ResolveTest : public ::testing::Test {
 protected:
  Result<std::vector<std::string>> resolve(const char* intent, ValueMap slots) {
    return resolve_targets(home_, Intent{intent, std::move(slots)});
  }
  Home home_ = load_test_home();
};

using Ids = std::vector<std::string>;

TEST_F(ResolveTest, NameAndAlias) {
  auto r = resolve("HassTurnOn", {{"name", std::string("Kitchen Light")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"light.kitchen"});
  r = resolve("HassTurnOn", {{"name", std::string("big light")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"light.kitchen"});
}

TEST_F(ResolveTest, ExceptionsLeaveDevicesOutOfAGroup) {
  auto r = resolve("HassTurnOff", {{"domain", std::string("light")}, {"except_name", std::string("big light")}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, (Ids{"light.left", "light.right"}));
  // A shared alias leaves out every device that has it.
  r = resolve("HassTurnOff", {{"domain", std::string("light")}, {"except_name", std::string("bedside lamp")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"light.kitchen"});
  r = resolve("HassTurnOff", {{"domain", std::string("light")}, {"except_area", std::string("Bedroom")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"light.kitchen"});
  // Leaving out what the home does not have, or everything, is an error, never "all".
  r = resolve("HassTurnOff", {{"domain", std::string("light")}, {"except_name", std::string("jacuzzi")}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kNotFound);
  r = resolve("HassTurnOff", {{"domain", std::string("light")}, {"except_floor", std::string("Ground Floor")}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kNotFound);
  r = resolve("HassTurnOff", {{"domain", std::string("light")}, {"except_area", std::string("Attic")}});
  ASSERT_FALSE(r);
}

TEST_F(ResolveTest, SharedAliasIsAmbiguousAndNamesTheCandidates) {
  auto r = resolve("HassTurnOn", {{"name", std::string("bedside lamp")}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kAmbiguous);
  EXPECT_NE(r.error().message.find("Left Lamp"), std::string::npos);
  EXPECT_NE(r.error().message.find("Right Lamp"), std::string::npos);
}

TEST_F(ResolveTest, UnknownNameIsNotFound) {
  auto r = resolve("HassTurnOn", {{"name", std::string("sauna light")}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kNotFound);
  r = resolve("HassTurnOn", {{"area", std::string("Attic")}, {"domain", std::string("light")}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kNotFound);
}

TEST_F(ResolveTest, CapabilityMismatchIsUnsupported) {
  auto r = resolve("HassLightSet", {{"name", std::string("Kitchen Light")}, {"color", std::string("red")}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupported);
  r = resolve("HassLightSet", {{"name", std::string("Front Door")}, {"brightness", int64_t{50}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupported);
  r = resolve("HassSetPosition", {{"name", std::string("Kitchen Light")}, {"position", int64_t{50}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupported);
  // Kitchen lights exist but none has color.
  r = resolve("HassLightSet", {{"area", std::string("Kitchen")}, {"domain", std::string("light")},
                               {"color", std::string("red")}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupported);
  r = resolve("HassLightSet", {{"name", std::string("Left Lamp")}, {"color", std::string("red")}});
  ASSERT_TRUE(r);
}

TEST_F(ResolveTest, LocksAndCoversThroughOnOff) {
  auto r = resolve("HassTurnOn", {{"name", std::string("Front Door")}});  // lock
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"lock.front"});
  r = resolve("HassTurnOff", {{"name", std::string("Bedroom Blind")}});  // close
  ASSERT_TRUE(r);
  r = resolve("HassTurnOn", {{"domain", std::string("lock")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"lock.front"});
  r = resolve("HassTurnOn", {{"name", std::string("Humidity")}});  // a sensor
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupported);
}

TEST_F(ResolveTest, Groups) {
  auto r = resolve("HassTurnOff", {{"area", std::string("Bedroom")}, {"domain", std::string("light")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (Ids{"light.left", "light.right"}));
  r = resolve("HassTurnOff", {{"floor", std::string("Ground Floor")}, {"domain", std::string("light")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (Ids{"light.kitchen", "light.left", "light.right"}));
  r = resolve("HassTurnOff", {{"area", std::string("Bedroom")}, {"domain", std::string("cover")},
                              {"device_class", std::string("blind")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"cover.blind"});
  // Everything in an area: what can be switched, not the sensor or the blind.
  r = resolve("HassTurnOff", {{"area", std::string("Bedroom")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (Ids{"light.left", "light.right"}));
}

TEST_F(ResolveTest, UntargetedCommandNeedsOneDevice) {
  auto r = resolve("HassClimateSetTemperature", {{"temperature", int64_t{20}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kAmbiguous);
  r = resolve("HassClimateSetTemperature", {{"temperature", int64_t{20}}, {"area", std::string("Bedroom")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"climate.bedroom"});
  r = resolve("HassMediaPause", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Ids{"media_player.speaker"});
}

TEST_F(ResolveTest, IntentsWithoutDevices) {
  for (const char* intent : {"HassStartTimer", "HassGetCurrentTime", "HassNevermind", "MyCustom"}) {
    auto r = resolve(intent, {});
    ASSERT_TRUE(r) << intent;
    EXPECT_TRUE(r->empty()) << intent;
  }
}

}  // namespace
}  // namespace hearth
