// daemon/src/responses.h: small English text helpers for the intent
// handler's answers. Private to daemon/.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/common/value.h"
#include "hearth/devices/home.h"

namespace hearth {

// 21 → "21", 21.5 → "21.5", 21.25 → "21.3" (one decimal at most).
std::string format_number(double v);
// "1 hour and 30 minutes", "10 minutes", "1 minute and 5 seconds", "45 seconds".
std::string format_duration(std::chrono::seconds d);
// "A", "A or B", "A, B or C" (conjunction "or" / "and").
std::string join_words(const std::vector<std::string>& words, std::string_view conjunction);
// "Kitchen" → "Kitchen"; makes the first letter upper case.
std::string capitalize(std::string text);

// Slot access: the string / number value of a slot, if present with that type.
std::optional<std::string> slot_string(const ValueMap& slots, std::string_view key);
std::optional<double> slot_number(const ValueMap& slots, std::string_view key);

// "light" / "lights", "blind" / "blinds", "thermostat" / "thermostats".
std::string device_noun(const Device& device, bool plural);
// The shared noun of a group, or "device" / "devices" when they differ.
std::string group_noun(const std::vector<const Device*>& devices, bool plural);
// " in the Kitchen", " upstairs", " on the Ground Floor", or "" from the slots.
std::string location_phrase(const Home& home, const ValueMap& slots);
// "the Kitchen Ceiling Light" (one device; scenes and scripts without "the")
// or "3 lights in the Kitchen" (several).
std::string target_phrase(const Home& home, const ValueMap& slots, const std::vector<const Device*>& devices);
// One device's state in words: "locked", "open", "on", "7.5 °C", "playing".
std::string display_state(const Device& device, const DeviceState& state);
// Why an action failed, as a predicate: "didn't respond in time", "is unavailable".
std::string failure_predicate(const Error& error);

}  // namespace hearth
