// devices/src/device_rules.h: value rules shared by the home loader
// (home.cc), command validation (command.cc) and the virtual adapter, so a
// value the home file accepts is one a command may set, and the other way
// round. Private to devices/.
#pragma once

#include <array>
#include <string_view>

namespace hearth::device_rules {

// Color names a light accepts (docs/intents.md), besides "#rrggbb".
inline constexpr std::array<std::string_view, 19> kColorNames = {
    "red",  "orange", "yellow",    "green",    "blue",  "purple", "pink",
    "white", "warm white", "cyan", "magenta",  "teal",  "turquoise", "lavender",
    "gold", "amber",  "violet",    "indigo",   "lime"};

inline constexpr int kMinPercent = 0;
inline constexpr int kMaxPercent = 100;
inline constexpr int kMinColorTempKelvin = 1500;
inline constexpr int kMaxColorTempKelvin = 9000;
inline constexpr double kDefaultMinTempC = 5.0;   // climate setpoint range when the device
inline constexpr double kDefaultMaxTempC = 35.0;  // has no min_temp / max_temp attributes

// Attributes that hold a percentage (0..100).
inline constexpr std::array<std::string_view, 4> kPercentAttributes = {"brightness", "position", "volume",
                                                                       "percentage"};

// HVAC modes a climate device accepts.
inline constexpr std::array<std::string_view, 4> kHvacModes = {"heat", "cool", "auto", "off"};

inline bool is_hex_color(std::string_view s) {
  if (s.size() != 7 || s[0] != '#') return false;
  for (size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

inline bool is_color_name(std::string_view s) {
  for (std::string_view name : kColorNames) {
    if (name == s) return true;
  }
  return false;
}

// A color value: a known name or "#rrggbb".
inline bool is_color(std::string_view s) { return is_color_name(s) || is_hex_color(s); }

inline bool is_hvac_mode(std::string_view s) {
  for (std::string_view mode : kHvacModes) {
    if (mode == s) return true;
  }
  return false;
}

inline bool is_percent_attribute(std::string_view name) {
  for (std::string_view a : kPercentAttributes) {
    if (a == name) return true;
  }
  return false;
}

}  // namespace hearth::device_rules
