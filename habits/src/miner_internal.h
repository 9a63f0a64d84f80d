// habits/src/miner_internal.h: pieces of the miner shared by its source files
// (settings, names and phrasing, JSON). Private to habits/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/habits/miner.h"

namespace hearth::miner_detail {

// "light.bedside_left|state=off" split back into its parts.
struct Setting {
  std::string device_id;
  std::string attribute;            // "state", "brightness", "temperature", "activate", "action:media_next"
  std::string value;                // canonical text: "off", "30", "18.5", a params JSON for "action:*"
};
std::string make_key(std::string_view device, std::string_view attribute, std::string_view value);
std::optional<Setting> parse_key(std::string_view key);
std::string_view device_domain(std::string_view device_id);

// "18.0" → "18", " 30 " → "30"; text that is not a number is returned trimmed.
std::string canonical_value(std::string_view text);

// True for settings that describe what a sensor saw, not something a routine can do.
bool is_sensor_setting(const Setting& s);
// True for settings worth triggering on (doors, locks, occupancy, motion, covers, media).
bool is_trigger_setting(const Setting& s);

// The bus commands that reproduce a set of settings of one device (a lamp's
// "state=on" and "brightness=30" become one turn_on {brightness: 30}).
std::vector<RoutineAction> commands_for_settings(const std::string& device_id, const std::vector<Setting>& settings);

// Display pieces.
std::string default_device_name(std::string_view device_id);
std::string action_phrase(const RoutineAction& a, const std::string& device_name);
std::string sensor_phrase(const Setting& s, const std::string& device_name);

}  // namespace hearth::miner_detail
