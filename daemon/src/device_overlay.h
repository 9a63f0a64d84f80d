// daemon/src/device_overlay.h: how accepted devices become part of the home.
//
// The home file is the user's: hearthd never rewrites it. Devices discovered
// on the broker (Zigbee2MQTT bridge/devices, Home Assistant MQTT discovery)
// and accepted through POST /api/v1/devices/discovered/{id}/accept are
// appended to an overlay file beside the config (config "mqtt.accepted_file",
// default accepted-devices.json):
//   {"devices": [ <device objects exactly as in the home file> ]}
// At every load (start, SIGHUP, and right after an accept) the home is the
// home file's JSON with the overlay's devices appended, parsed and validated
// as one home, so an overlay device must name an area of the home file and
// gets the same checks as any other device. An overlay device whose id the
// home file already has is skipped with a warning (the home file wins), so a
// user who moves a device into the home file by hand loses nothing. A missing
// overlay file is an empty overlay. Writes go to a temp file then rename(),
// so a crash never leaves half a file. Private to daemon/.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/devices/home.h"

namespace hearth {

// The home JSON text with the overlay's devices appended. `overlay_text`
// empty = no overlay. Problems with the overlay's shape go to `errors` under
// `overlay_source` (kBadInput).
Result<std::string> merge_home_overlay(std::string_view home_text, std::string_view overlay_text,
                                       std::string_view overlay_source, ConfigErrors& errors);

// Loads the home a config names (a file or the embedded demo) plus the
// overlay at `overlay_path` (absent file = none).
Result<Home> load_home_with_overlay(const std::string& home, const std::string& overlay_path, ConfigErrors& errors);

// Reads the overlay's device list (absent file = empty). kBadInput when the
// file is not {"devices": [...]}.
Result<nlohmann::json> read_overlay(const std::string& overlay_path);

// Writes {"devices": devices} atomically (temp file + rename).
Result<void> write_overlay(const std::string& overlay_path, const nlohmann::json& devices);

}  // namespace hearth
