// Names as they sound (nlu/src/sounds_like.h): homophone keys, the edit
// distance, and the device a misspelt name most likely means.

#include "sounds_like.h"

#include <gtest/gtest.h>

#include "hearth/nlu/nlu.h"
#include "test_home.h"

namespace hearth::nlu {
namespace {

TEST(SoundKey, HomophonesShareAKey) {
  EXPECT_EQ(sound_key("write"), sound_key("right"));
  EXPECT_EQ(sound_key("rite"), sound_key("right"));
  EXPECT_EQ(sound_key("night lite"), sound_key("Night Light"));
  EXPECT_EQ(sound_key("chandelear"), sound_key("chandelier"));
  EXPECT_EQ(sound_key("bed side lamp"), sound_key("bedside lamp"));
  EXPECT_EQ(sound_key("fone"), sound_key("phone"));
  EXPECT_EQ(sound_key("fysics"), sound_key("physics"));
  EXPECT_EQ(sound_key("lamb"), "lm");     // final "mb" is "m"
  EXPECT_EQ(sound_key("oven"), "avn");    // a word's opening vowel is kept
  EXPECT_EQ(sound_key("cellar"), "slr");  // soft c
  EXPECT_NE(sound_key("lamp"), sound_key("lamb"));
  EXPECT_NE(sound_key("fan"), sound_key("van"));
  EXPECT_EQ(sound_key(""), "");
  EXPECT_EQ(sound_key(" ,'- "), "");
}

TEST(SoundKey, EditDistance) {
  EXPECT_EQ(key_distance("", ""), 0);
  EXPECT_EQ(key_distance("abc", ""), 3);
  EXPECT_EQ(key_distance("", "abc"), 3);
  EXPECT_EQ(key_distance("kitten", "sitting"), 3);
  EXPECT_EQ(key_distance("dsklm", "dsklmp"), 1);
  EXPECT_EQ(key_distance("flaw", "lawn"), 2);
}

class ClosestDevice : public ::testing::Test {
 protected:
  Home home_ = load_test_home();
  std::string closest(const char* spoken) {
    const Device* d = closest_device(home_, spoken);
    return d ? d->name : "none";
  }
};

TEST_F(ClosestDevice, MisspeltNamesFindTheirDevice) {
  EXPECT_EQ(closest("kitchen lite"), "Kitchen Light");
  EXPECT_EQ(closest("kichen light"), "Kitchen Light");
  EXPECT_EQ(closest("big lite"), "Kitchen Light");  // through an alias
  EXPECT_EQ(closest("rite lamp"), "Right Lamp");
  EXPECT_EQ(closest("kitchen fight"), "Kitchen Light");  // one sound and one letter apart
  EXPECT_EQ(closest("bed room blind"), "Bedroom Blind");
  EXPECT_EQ(closest("radiater"), "Radiator");
}

TEST_F(ClosestDevice, UnknownOrUndecidedNamesFindNothing) {
  EXPECT_EQ(closest("jacuzzi"), "none");
  EXPECT_EQ(closest("lava lamp"), "none");
  EXPECT_EQ(closest("bed side lamp"), "none");  // both bedside lamps sound the same: ambiguous
  EXPECT_EQ(closest("kitchen table"), "none");
  EXPECT_EQ(closest("write lamb"), "none");  // one sound apart is too far for a short key
  EXPECT_EQ(closest("hum"), "none");             // short keys must match exactly
  EXPECT_EQ(closest(""), "none");
}

TEST_F(ClosestDevice, PartOfOneNameFindsItsDevice) {
  auto part = [&](const char* spoken) {
    const Device* d = device_by_part(home_, spoken);
    return d ? d->name : std::string("none");
  };
  EXPECT_EQ(part("speaker"), "Kitchen Speaker");
  EXPECT_EQ(part("thermostat"), "Hall Thermostat");
  EXPECT_EQ(part("big"), "Kitchen Light");  // through the alias "big light"
  EXPECT_EQ(part("lamp"), "none");          // two lamps
  EXPECT_EQ(part("kitchen"), "none");       // a light and a speaker
  EXPECT_EQ(part("humidity"), "none");      // the whole name, not a part of one
  EXPECT_EQ(part("garden"), "none");
  EXPECT_EQ(part(""), "none");
}

TEST(SoundsLikeParse, ParserReadsAMisspeltNameAsTheDevice) {
  Home home = load_test_home();
  auto p = make_template_parser(home, NluConfig{});
  ASSERT_TRUE(p) << p.error().message;
  ParseResult r = (*p)->parse("turn off the kitchen lite");
  ASSERT_TRUE(r.intent);
  EXPECT_EQ(r.intent->slots, (ValueMap{{"name", std::string("Kitchen Light")}}));
  EXPECT_EQ(r.targets, std::vector<std::string>{"light.kitchen"});
  EXPECT_EQ(r.source, "frames");
  EXPECT_FALSE(r.problem);
  ParseResult part = (*p)->parse("pause the speaker please");
  ASSERT_TRUE(part.intent);
  EXPECT_EQ(part.targets, std::vector<std::string>{"media_player.speaker"});
  ParseResult u = (*p)->parse("turn off the lava lamp");
  ASSERT_TRUE(u.intent);
  ASSERT_TRUE(u.problem);
  EXPECT_EQ(u.problem->code, Code::kNotFound);
}

}  // namespace
}  // namespace hearth::nlu
