#include "device_overlay.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hearth/common/log.h"
#include "hearth/daemon/config.h"

namespace hearth {

using nlohmann::json;

namespace {

bool read_text(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

}  // namespace

Result<std::string> merge_home_overlay(std::string_view home_text, std::string_view overlay_text,
                                       std::string_view overlay_source, ConfigErrors& errors) {
  if (overlay_text.empty()) return std::string(home_text);
  json home = json::parse(home_text, nullptr, /*allow_exceptions=*/false);
  if (!home.is_object()) return std::string(home_text);  // Home::parse reports the home file's own problems
  json overlay = json::parse(overlay_text, nullptr, /*allow_exceptions=*/false);
  errors.set_file(std::string(overlay_source));
  if (!overlay.is_object() || !overlay.contains("devices") || !overlay["devices"].is_array()) {
    errors.add("$", "expected {\"devices\": [...]} (devices accepted from discovery)");
    return Error{Code::kBadInput, std::string(overlay_source) + ": not an accepted-devices file"};
  }
  json& devices = home["devices"];
  if (!devices.is_array()) devices = json::array();
  std::set<std::string> ids;
  for (const json& d : devices) {
    if (d.is_object() && d.contains("id") && d["id"].is_string()) ids.insert(d["id"].get<std::string>());
  }
  for (const json& d : overlay["devices"]) {
    const std::string id = d.is_object() && d.contains("id") && d["id"].is_string() ? d["id"].get<std::string>() : "";
    if (!id.empty() && ids.count(id)) {
      HEARTH_LOG_WARN("config", "%.*s: device '%s' is also in the home file; the home file's entry wins",
                      static_cast<int>(overlay_source.size()), overlay_source.data(), id.c_str());
      continue;
    }
    ids.insert(id);
    devices.push_back(d);
  }
  return home.dump();
}

Result<Home> load_home_with_overlay(const std::string& home, const std::string& overlay_path, ConfigErrors& errors) {
  std::string overlay_text;
  if (overlay_path.empty() || !read_text(overlay_path, &overlay_text)) return load_home(home, errors);
  std::string home_text;
  std::string source = home;
  if (home == kBuiltinDemoHome) {
    home_text = std::string(embedded_demo_home_json());
  } else if (!read_text(home, &home_text)) {
    return load_home(home, errors);  // reports the unreadable home file
  }
  Result<std::string> merged = merge_home_overlay(home_text, overlay_text, overlay_path, errors);
  if (!merged) return merged.error();
  return Home::parse(*merged, source + " + " + overlay_path, errors);
}

Result<json> read_overlay(const std::string& overlay_path) {
  std::string text;
  if (!read_text(overlay_path, &text)) return json::array();
  json overlay = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!overlay.is_object() || !overlay.contains("devices") || !overlay["devices"].is_array()) {
    return Error{Code::kBadInput, overlay_path + ": expected {\"devices\": [...]}; fix or remove the file"};
  }
  return overlay["devices"];
}

Result<void> write_overlay(const std::string& overlay_path, const json& devices) {
  const std::string tmp = overlay_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    if (!out) return Error{Code::kIo, "cannot create '" + tmp + "'"};
    out << json{{"devices", devices}}.dump(2) << "\n";
    if (!out.flush()) return Error{Code::kIo, "write to '" + tmp + "' failed"};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, overlay_path, ec);
  if (ec) return Error{Code::kIo, "rename to '" + overlay_path + "': " + ec.message()};
  return {};
}

}  // namespace hearth
