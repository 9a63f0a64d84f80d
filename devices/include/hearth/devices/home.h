// devices/home.h: the home model — floors, areas, devices, their names,
// aliases, domains and capabilities — and the lookups every stage needs.
// Data and lookups only, no I/O beyond reading the home file. Read by asr/
// (to compile its language model), nlu/ (to resolve targets), devices/ (the
// bus) and daemon/. Immutable after load: a Home is shared read-only across
// threads; reloading builds a new Home.
//
// Home file (JSON):
//   {"floors":  [{"id", "name", "aliases"?, "level"?}],
//    "areas":   [{"id", "name", "floor", "aliases"?}],
//    "devices": [{"id": "light.kitchen_ceiling", "name", "aliases"?, "area",
//                 "domain"? (default: the id's prefix), "device_class"?,
//                 "state"?, "attributes"? {..}, "supports"? [..],
//                 "adapter"? {"type": "virtual", ...},
//                 "cloud"? {"url": "http://...", "token": "..."}}]}
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/common/value.h"

namespace hearth {

enum class Domain {
  kLight,
  kSwitch,
  kFan,
  kCover,
  kClimate,
  kLock,
  kMediaPlayer,
  kSensor,
  kBinarySensor,
  kVacuum,
  kScene,
  kScript,
};
inline constexpr int kNumDomains = 12;

// "light", "switch", ..., "media_player", "binary_sensor", ...
std::string_view domain_name(Domain d);
std::optional<Domain> domain_from_name(std::string_view name);

// What a device can do. Defaults come from the domain; "supports" in the home
// file and the presence of attributes (e.g. "brightness") add to them.
enum Capability : uint32_t {
  kCapOnOff = 1u << 0,        // turn_on / turn_off / toggle
  kCapBrightness = 1u << 1,   // light brightness 0..100 %
  kCapColor = 1u << 2,        // light color (name / rgb)
  kCapColorTemp = 1u << 3,    // light color temperature (kelvin)
  kCapPosition = 1u << 4,     // cover position 0..100 %
  kCapOpenClose = 1u << 5,    // cover open / close / stop
  kCapSetpoint = 1u << 6,     // climate target temperature
  kCapHvacMode = 1u << 7,     // climate heat/cool/auto/off
  kCapLock = 1u << 8,         // lock / unlock
  kCapMedia = 1u << 9,        // play / pause / next / previous
  kCapVolume = 1u << 10,      // volume 0..100 %
  kCapVacuum = 1u << 11,      // start / return_to_base
  kCapActivate = 1u << 12,    // scene / script activation
  kCapSpeed = 1u << 13,       // fan speed percentage
  kCapReadOnly = 1u << 14,    // sensors: state only
};
// "on_off", "brightness", ... in bit order; used for "supports" and the API.
std::string_view capability_name(Capability c);
std::optional<Capability> capability_from_name(std::string_view name);
std::vector<std::string> capability_names(uint32_t caps);

struct Floor {
  std::string id;                    // "upstairs"
  std::string name;                  // "Upstairs"
  std::vector<std::string> aliases;  // "first floor", ...
  int level = 0;                     // 0 = ground
};

struct Area {
  std::string id;                    // "kitchen"
  std::string name;                  // "Kitchen"
  std::string floor;                 // Floor::id, may be empty
  std::vector<std::string> aliases;  // "cooking area"
};

// How the bus reaches a device. Options are kept as JSON text so adapters
// (virtual, mqtt, http, ...) parse their own keys.
struct AdapterBinding {
  std::string type = "virtual";      // adapter kind
  std::string options_json = "{}";   // the whole "adapter" object, as JSON text
};

// A device's second route through its vendor's cloud API, used by the bus
// when the local route fails and the network is up (bus.h, "Cloud route").
struct CloudRoute {
  std::string url;                   // "http://host[:port]/path" of the vendor endpoint
  std::string token;                 // sent as "Authorization: Bearer <token>"; never logged
};

struct DeviceState {
  std::string state;                 // HA style: "on"/"off", "locked", "open", "playing", "21.5", ...
  ValueMap attributes;               // brightness (0..100 %), color, color_temp_kelvin, position,
                                     // temperature (setpoint °C), current_temperature, hvac_mode,
                                     // volume (0..100 %), media_title, unit, ...
  bool operator==(const DeviceState&) const = default;
};

struct Device {
  std::string id;                    // "light.kitchen_ceiling" (domain.object_id)
  std::string name;                  // "Kitchen Ceiling Light"
  std::vector<std::string> aliases;  // "big light"
  std::string area;                  // Area::id, may be empty
  Domain domain = Domain::kSwitch;
  std::string device_class;          // "door", "temperature", "garage", "blind", "" ...
  uint32_t capabilities = 0;         // Capability bits
  DeviceState initial;               // state at start (virtual devices) or last known
  AdapterBinding adapter;
  std::optional<CloudRoute> cloud;   // vendor cloud route, if the home file gives one

  bool can(Capability c) const { return (capabilities & c) != 0; }
};

// Lower-case, punctuation to spaces (apostrophes dropped), runs of spaces
// collapsed, trimmed: "Kid's  Room!" -> "kids room". All name lookups use it.
std::string normalize_name(std::string_view text);

class Home {
 public:
  Home() = default;

  // Parses and validates a home definition. Every problem is added to
  // `errors` (with `source` as the file name and a JSON path); on any error the
  // result is kBadInput with a summary and `errors` holds the details.
  static Result<Home> parse(std::string_view json_text, std::string_view source, ConfigErrors& errors);
  // Reads `path` then parse(). A missing/unreadable file is one error entry.
  static Result<Home> load_file(const std::string& path, ConfigErrors& errors);

  const std::vector<Floor>& floors() const { return floors_; }
  const std::vector<Area>& areas() const { return areas_; }
  const std::vector<Device>& devices() const { return devices_; }

  // By id (exact). nullptr when absent.
  const Device* device(std::string_view id) const;
  const Area* area(std::string_view id) const;
  const Floor* floor(std::string_view id) const;

  // By spoken name or alias (normalize_name applied to both sides). A name may
  // be shared by several devices (then the caller reports it as ambiguous).
  std::vector<const Device*> devices_named(std::string_view spoken) const;
  const Area* area_named(std::string_view spoken) const;
  const Floor* floor_named(std::string_view spoken) const;

  // Devices in an area / on a floor, optionally only one domain.
  std::vector<const Device*> devices_in_area(std::string_view area_id,
                                             std::optional<Domain> domain = std::nullopt) const;
  std::vector<const Device*> devices_on_floor(std::string_view floor_id,
                                              std::optional<Domain> domain = std::nullopt) const;
  std::vector<const Device*> devices_in_domain(Domain domain) const;

  // Every spoken form (name + aliases, normalized) of devices / areas / floors,
  // for grammars and language models.
  std::vector<std::string> device_phrases() const;
  std::vector<std::string> area_phrases() const;
  std::vector<std::string> floor_phrases() const;

 private:
  std::vector<Floor> floors_;
  std::vector<Area> areas_;
  std::vector<Device> devices_;
};

}  // namespace hearth
