// Intent handler: intent → bus commands (real Bus + virtual adapter on the
// demo home), the resulting device states, and the English answers.
#include "hearth/daemon/intent_handler.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "hearth/daemon/config.h"
#include "responses.h"

namespace hearth {
namespace {

using namespace std::chrono_literals;

// 2026-11-22T15:05:00Z, a Sunday.
constexpr int64_t kStartUnixMs = 1795359900000;
constexpr auto kTestDeadline = 5s;  // bound on waiting for one command

class IntentHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    build(std::string(embedded_demo_home_json()), NluConfig{});
  }

  void build(const std::string& home_json, const NluConfig& nlu) {
    handler_.reset();
    timers_.reset();
    bus_.reset();
    parser_.reset();
    ConfigErrors errors;
    Result<Home> home = Home::parse(home_json, "test-home", errors);
    ASSERT_TRUE(home) << errors.to_string();
    home_ = std::make_unique<Home>(std::move(*home));
    Result<std::unique_ptr<TemplateParser>> parser = make_template_parser(*home_, nlu);
    ASSERT_TRUE(parser) << parser.error().message;
    parser_ = std::move(*parser);
    Result<std::unique_ptr<Bus>> bus = Bus::create(ioc_.get_executor(), *home_, BusOptions{}, clock_);
    ASSERT_TRUE(bus) << bus.error().message;
    bus_ = std::move(*bus);
    timers_ = std::make_unique<TimerManager>(ioc_.get_executor(), clock_, [this](const TimerInfo&) { ++fired_; });
    handler_ = std::make_unique<IntentHandler>(ioc_.get_executor(), *home_, *bus_, *timers_, clock_);
  }

  CommandOutcome handle(ParseResult parsed) {
    std::optional<CommandOutcome> out;
    handler_->async_handle(std::move(parsed), "voice", [&](CommandOutcome o) { out = std::move(o); });
    const auto deadline = std::chrono::steady_clock::now() + kTestDeadline;
    while (!out && std::chrono::steady_clock::now() < deadline) {
      ioc_.restart();
      ioc_.run_one_for(50ms);
    }
    EXPECT_TRUE(out.has_value()) << "no answer within the deadline";
    return out.value_or(CommandOutcome{});
  }

  CommandOutcome say(const std::string& text) {
    ParseResult parsed = parser_->parse(text);
    EXPECT_TRUE(parsed.intent.has_value()) << "the parser did not understand '" << text << "'";
    return handle(std::move(parsed));
  }

  // A ParseResult built by hand, targets resolved the way the parser would.
  ParseResult intent(const std::string& name, ValueMap slots) {
    ParseResult p;
    p.text = name;
    p.intent = Intent{name, std::move(slots)};
    Result<std::vector<std::string>> targets = resolve_targets(*home_, *p.intent);
    if (targets) {
      p.targets = *targets;
    } else {
      p.problem = targets.error();
    }
    p.confidence = 1.0;
    p.source = "template";
    return p;
  }

  std::string state_of(const std::string& id) {
    std::optional<DeviceState> s = bus_->state(id);
    return s ? s->state : std::string("<unknown>");
  }
  Value attribute_of(const std::string& id, const std::string& attribute) {
    std::optional<DeviceState> s = bus_->state(id);
    if (!s) return Value{};
    auto it = s->attributes.find(attribute);
    return it == s->attributes.end() ? Value{} : it->second;
  }

  boost::asio::io_context ioc_;
  ManualClock clock_{from_unix_ms(kStartUnixMs)};
  std::unique_ptr<Home> home_;
  std::unique_ptr<TemplateParser> parser_;
  std::unique_ptr<Bus> bus_;
  std::unique_ptr<TimerManager> timers_;
  std::unique_ptr<IntentHandler> handler_;
  int fired_ = 0;
};

TEST_F(IntentHandlerTest, TurnOffLightsInAnArea) {
  CommandOutcome out = say("turn off the kitchen lights");
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.response, "Turned off 2 lights in the Kitchen.");
  ASSERT_EQ(out.results.size(), 2u);
  for (const ActionResult& r : out.results) {
    EXPECT_TRUE(r.status) << r.device_id;
    EXPECT_EQ(r.action, "turn_off");
  }
  EXPECT_EQ(state_of("light.kitchen_ceiling"), "off");
  EXPECT_EQ(state_of("light.kitchen_counter"), "off");
}

TEST_F(IntentHandlerTest, SingleDeviceByName) {
  CommandOutcome out = say("turn on the porch light");
  EXPECT_EQ(out.response, "Turned on the Porch Light.");
  EXPECT_EQ(state_of("light.porch"), "on");
}

TEST_F(IntentHandlerTest, LockAndUnlock) {
  CommandOutcome out = handle(intent("HassTurnOff", {{"name", std::string("Front Door")}}));
  EXPECT_EQ(out.response, "Unlocked the Front Door.");
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].action, "unlock");
  EXPECT_EQ(state_of("lock.front_door"), "unlocked");
  out = handle(intent("HassTurnOn", {{"name", std::string("Front Door")}}));
  EXPECT_EQ(out.response, "Locked the Front Door.");
  EXPECT_EQ(state_of("lock.front_door"), "locked");
}

TEST_F(IntentHandlerTest, QuestionAboutState) {
  CommandOutcome out = handle(intent("HassGetState", {{"name", std::string("Front Door")}, {"state", std::string("locked")}}));
  EXPECT_TRUE(out.ok);
  EXPECT_TRUE(out.results.empty());
  EXPECT_EQ(out.response, "Yes, the Front Door is locked.");
  out = handle(intent("HassGetState", {{"name", std::string("Garage Door")}, {"state", std::string("open")}}));
  EXPECT_EQ(out.response, "No, the Garage Door is closed.");
  out = handle(intent("HassGetState", {{"name", std::string("Front Door")}}));
  EXPECT_EQ(out.response, "The Front Door is locked.");
}

TEST_F(IntentHandlerTest, AmbiguousNameAsksWhichOne) {
  CommandOutcome out = say("turn on the bedside lamp");
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.results.empty());
  EXPECT_EQ(out.response, "Which one: Left Bedside Lamp or Right Bedside Lamp?");
  EXPECT_EQ(state_of("light.bedside_left"), "off");
}

TEST_F(IntentHandlerTest, UnknownDevice) {
  CommandOutcome out = handle(intent("HassTurnOn", {{"name", std::string("sauna light")}}));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.response, "I don't know a device called 'sauna light'.");
}

TEST_F(IntentHandlerTest, NotUnderstood) {
  ParseResult p;
  p.text = "blah";
  CommandOutcome out = handle(p);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.response, "Sorry, I didn't understand that.");
  // The cascade's own words (offline, the cloud's answer to a question) are
  // what the user hears; other problems stay "not understood".
  p.problem = Error{Code::kUnavailable, "I can't do that offline."};
  EXPECT_EQ(handle(p).response, "I can't do that offline.");
  p.problem = Error{Code::kBadInput, "cloud: reply has no choices"};
  EXPECT_EQ(handle(p).response, "Sorry, I didn't understand that.");
}

TEST_F(IntentHandlerTest, TemperatureQuestions) {
  CommandOutcome out = handle(intent("HassClimateGetTemperature", {{"area", std::string("Living Room")}}));
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.response, "It's 20.5 °C in the Living Room.");
  out = handle(intent("HassClimateGetTemperature", {}));
  EXPECT_EQ(out.response, "It's 20.5 °C inside.");
}

TEST_F(IntentHandlerTest, LightSetBrightnessColorAndTemperature) {
  CommandOutcome out = handle(intent("HassLightSet", {{"name", std::string("Floor Lamp")}, {"brightness", int64_t{30}}}));
  EXPECT_EQ(out.response, "Set the Floor Lamp to 30%.");
  EXPECT_EQ(attribute_of("light.floor_lamp", "brightness"), Value(int64_t{30}));
  out = handle(intent("HassLightSet", {{"name", std::string("Floor Lamp")}, {"color", std::string("blue")}}));
  EXPECT_EQ(out.response, "Turned the Floor Lamp blue.");
  EXPECT_EQ(attribute_of("light.floor_lamp", "color"), Value(std::string("blue")));
  out = handle(intent("HassLightSet", {{"name", std::string("Floor Lamp")}, {"color_temp", int64_t{2700}}}));
  EXPECT_EQ(out.response, "Set the Floor Lamp to 2700 K.");
  EXPECT_EQ(as_number(attribute_of("light.floor_lamp", "color_temp_kelvin")).value_or(0), 2700);
}

TEST_F(IntentHandlerTest, ClimateSetTemperature) {
  CommandOutcome out = handle(intent("HassClimateSetTemperature", {{"name", std::string("Thermostat")}, {"temperature", 21.5}}));
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.response, "Set the Thermostat to 21.5 °C.");
  EXPECT_EQ(as_number(attribute_of("climate.thermostat", "temperature")).value_or(0), 21.5);
}

TEST_F(IntentHandlerTest, AreaWideTurnOffNeverUnlocksADoor) {
  CommandOutcome out = handle(intent("HassTurnOff", {{"area", std::string("Hallway")}}));
  for (const ActionResult& r : out.results) EXPECT_NE(r.device_id, "lock.front_door");
  EXPECT_EQ(state_of("lock.front_door"), "locked");
  EXPECT_EQ(state_of("light.hallway"), "off");
}

TEST_F(IntentHandlerTest, MediaWithoutTargetUsesPlayingPlayers) {
  CommandOutcome out = handle(intent("HassMediaNext", {}));
  EXPECT_EQ(out.response, "Nothing is playing.");
  EXPECT_TRUE(out.results.empty());
  out = handle(intent("HassMediaUnpause", {}));
  EXPECT_EQ(out.response, "Resumed the Kitchen Speaker.");
  EXPECT_EQ(state_of("media_player.kitchen_speaker"), "playing");
  out = handle(intent("HassMediaPause", {}));
  EXPECT_EQ(out.response, "Paused the Kitchen Speaker.");
}

TEST_F(IntentHandlerTest, Timers) {
  CommandOutcome out = handle(intent("HassStartTimer", {{"minutes", int64_t{10}}}));
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.response, "Timer set for 10 minutes.");
  ASSERT_EQ(timers_->active().size(), 1u);
  clock_.advance(2min + 5s);
  out = handle(intent("HassTimerStatus", {}));
  EXPECT_EQ(out.response, "7 minutes and 55 seconds left on the timer.");
  out = handle(intent("HassStartTimer", {{"hours", int64_t{1}}, {"minutes", int64_t{30}}, {"timer_name", std::string("pizza")}}));
  EXPECT_EQ(out.response, "Pizza timer set for 1 hour and 30 minutes.");
  out = handle(intent("HassCancelTimer", {{"timer_name", std::string("pizza")}}));
  EXPECT_EQ(out.response, "Pizza timer cancelled.");
  out = handle(intent("HassCancelTimer", {}));
  EXPECT_EQ(out.response, "Timer cancelled.");
  out = handle(intent("HassCancelTimer", {}));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.response, "There's no timer running.");
  EXPECT_EQ(fired_, 0);
}

TEST_F(IntentHandlerTest, TimeDateAndNevermind) {
  EXPECT_EQ(handle(intent("HassGetCurrentTime", {})).response, "It's 3:05 PM.");
  EXPECT_EQ(handle(intent("HassGetCurrentDate", {})).response, "Today is Sunday, November 22, 2026.");
  CommandOutcome out = handle(intent("HassNevermind", {}));
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.response, "OK");
}

TEST_F(IntentHandlerTest, OfflineDeviceFailureIsExplained) {
  build(R"({"areas": [{"id": "outside", "name": "Outside"}], "devices": [
      {"id": "light.porch", "name": "Porch Light", "area": "outside", "state": "off",
       "adapter": {"type": "virtual", "offline": true}},
      {"id": "light.garden", "name": "Garden Lights", "area": "outside", "state": "off"}]})",
        NluConfig{});
  CommandOutcome out = handle(intent("HassTurnOn", {{"name", std::string("Porch Light")}}));
  EXPECT_FALSE(out.ok);
  ASSERT_EQ(out.results.size(), 1u);
  ASSERT_FALSE(out.results[0].status);
  EXPECT_EQ(out.results[0].status.error().code, Code::kUnavailable);
  EXPECT_EQ(out.response, "Sorry, the Porch Light is unavailable.");
  out = handle(intent("HassTurnOn", {{"area", std::string("Outside")}, {"domain", std::string("light")}}));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.response, "Turned on the Garden Lights. But the Porch Light is unavailable.");
  EXPECT_EQ(state_of("light.garden"), "on");
}

TEST_F(IntentHandlerTest, CustomIntentRunsItsActionsInOrder) {
  NluConfig nlu;
  CustomIntent ci;
  ci.intent = "CinemaMode";
  ci.sentences = {"cinema mode"};
  ci.actions = {CustomAction{"scene.movie_night", "activate", {}},
                CustomAction{"light.kitchen_ceiling", "turn_off", {}}};
  ci.response = "Enjoy the film.";
  nlu.custom_intents.push_back(ci);
  build(std::string(embedded_demo_home_json()), nlu);
  CommandOutcome out = say("cinema mode");
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.response, "Enjoy the film.");
  ASSERT_EQ(out.results.size(), 2u);
  EXPECT_EQ(out.results[0].device_id, "scene.movie_night");
  EXPECT_EQ(out.results[1].device_id, "light.kitchen_ceiling");
  EXPECT_EQ(state_of("light.kitchen_ceiling"), "off");
}

// The mapping table, one intent at a time, without running anything.
TEST_F(IntentHandlerTest, PlanMapsIntentsToBusActions) {
  struct Case {
    const char* intent;
    ValueMap slots;
    const char* device;
    const char* action;
    const char* param;  // "" = none checked
    Value value;
  };
  const Case cases[] = {
      {"HassTurnOn", {{"name", std::string("Garage Door")}}, "cover.garage_door", "open_cover", "", {}},
      {"HassTurnOff", {{"name", std::string("Bedroom Curtains")}}, "cover.bedroom_curtains", "close_cover", "", {}},
      {"HassTurnOn", {{"name", std::string("Movie Night")}}, "scene.movie_night", "activate", "", {}},
      {"HassTurnOn", {{"name", std::string("Bedtime Routine")}}, "script.bedtime", "activate", "", {}},
      {"HassTurnOn", {{"name", std::string("Robot Vacuum")}}, "vacuum.robot", "start", "", {}},
      {"HassTurnOff", {{"name", std::string("Robot Vacuum")}}, "vacuum.robot", "return_to_base", "", {}},
      {"HassVacuumReturnToBase", {}, "vacuum.robot", "return_to_base", "", {}},
      {"HassTurnOn", {{"name", std::string("Coffee Maker")}}, "switch.coffee_maker", "turn_on", "", {}},
      {"HassSetPosition", {{"name", std::string("Living Room Blinds")}, {"position", int64_t{40}}},
       "cover.living_room_blinds", "set_position", "position", int64_t{40}},
      {"HassSetVolume", {{"name", std::string("Kitchen Speaker")}, {"volume_level", int64_t{50}}},
       "media_player.kitchen_speaker", "set_volume", "volume", int64_t{50}},
      {"HassLightSet", {{"name", std::string("Floor Lamp")}, {"color_temp", int64_t{4000}}}, "light.floor_lamp",
       "turn_on", "color_temp_kelvin", int64_t{4000}},
      {"HassClimateSetTemperature", {{"name", std::string("Bedroom Radiator")}, {"temperature", int64_t{19}}},
       "climate.bedroom_radiator", "set_temperature", "temperature", 19.0},
      {"HassMediaPause", {{"name", std::string("Living Room TV")}}, "media_player.living_room_tv", "media_pause", "", {}},
  };
  for (const Case& c : cases) {
    ParseResult p = intent(c.intent, c.slots);
    ASSERT_FALSE(p.problem) << c.intent << ": " << p.problem->message;
    IntentPlan plan = plan_intent(*home_, bus_.get(), *p.intent, p.targets, "voice");
    ASSERT_EQ(plan.commands.size(), 1u) << c.intent << " " << c.device;
    EXPECT_EQ(plan.commands[0].device_id, c.device);
    EXPECT_EQ(plan.commands[0].action, c.action) << c.intent << " " << c.device;
    EXPECT_EQ(plan.commands[0].origin, "voice");
    if (std::string(c.param).empty()) continue;
    auto it = plan.commands[0].params.find(c.param);
    ASSERT_NE(it, plan.commands[0].params.end()) << c.intent << " missing " << c.param;
    EXPECT_EQ(as_number(it->second), as_number(c.value)) << c.intent << " " << c.param;
  }
}

TEST(Responses, TextHelpers) {
  EXPECT_EQ(format_number(21.0), "21");
  EXPECT_EQ(format_number(21.5), "21.5");
  EXPECT_EQ(format_number(-3.25), "-3.3");
  EXPECT_EQ(format_duration(std::chrono::seconds(45)), "45 seconds");
  EXPECT_EQ(format_duration(std::chrono::seconds(61)), "1 minute and 1 second");
  EXPECT_EQ(format_duration(std::chrono::seconds(5400)), "1 hour and 30 minutes");
  EXPECT_EQ(format_duration(std::chrono::seconds(3725)), "1 hour, 2 minutes and 5 seconds");
  EXPECT_EQ(join_words({"A"}, "or"), "A");
  EXPECT_EQ(join_words({"A", "B"}, "or"), "A or B");
  EXPECT_EQ(join_words({"A", "B", "C"}, "and"), "A, B and C");
  EXPECT_EQ(capitalize("pizza"), "Pizza");
}

}  // namespace
}  // namespace hearth
