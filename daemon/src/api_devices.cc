#include "api_devices.h"

#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "api.h"
#include "device_overlay.h"
#include "hearth/common/log.h"

namespace hearth {

using nlohmann::json;

namespace {

constexpr const char* kDiscovered = "/devices/discovered";

json proposal_json(const Home& home, const ProposedDevice& p) {
  json j;
  j["id"] = p.id;
  j["name"] = p.name;
  j["area"] = p.area;
  j["area_known"] = !p.area.empty() && home.area(p.area) != nullptr;
  j["domain"] = std::string(domain_name(p.domain));
  j["device_class"] = p.device_class;
  j["capabilities"] = capability_names(p.capabilities);
  j["source"] = p.source;
  j["source_key"] = p.source_key;
  j["model"] = p.model;
  j["vendor"] = p.vendor;
  j["adapter"] = json::parse(p.adapter_json, nullptr, /*allow_exceptions=*/false);
  return j;
}

bool valid_device_id(const std::string& id, Domain domain) {
  const std::string prefix = std::string(domain_name(domain)) + ".";
  if (id.size() <= prefix.size() || id.size() > 128 || id.compare(0, prefix.size(), prefix) != 0) return false;
  for (size_t i = prefix.size(); i < id.size(); ++i) {
    const char c = id[i];
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_') return false;
  }
  return true;
}

void get_discovered(AppContext& app, const HttpResponder& respond) {
  std::shared_ptr<const Runtime> rt = app.runtime();
  json list = json::array();
  MqttClient* mqtt = app.mqtt();
  if (mqtt) {
    for (const ProposedDevice& p : mqtt->proposals()) list.push_back(proposal_json(*rt->home, p));
  }
  respond(api::json_response(200, json{{"mqtt", mqtt != nullptr}, {"devices", list}}));
}

void post_accept(AppContext& app, const std::string& id, const HttpRequestData& request,
                 const HttpResponder& respond) {
  MqttClient* mqtt = app.mqtt();
  if (!mqtt) return respond(api::error_response(503, "unavailable", "MQTT is off (config \"mqtt.enabled\")"));
  std::optional<ProposedDevice> found;
  for (const ProposedDevice& p : mqtt->proposals()) {
    if (p.id == id) found = p;
  }
  if (!found) {
    return respond(api::error_response(404, "not_found", "no discovered device '" + id +
                                                             "' (see GET /api/v1/devices/discovered)"));
  }
  json body = json::object();
  if (!request.body.empty()) {
    body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return respond(api::error_response(400, "bad_request", "request body must be a JSON object"));
  }
  for (const char* key : {"name", "area", "id"}) {
    if (body.contains(key) && !body[key].is_string()) {
      return respond(api::error_response(400, "bad_request", std::string("\"") + key + "\" must be a string"));
    }
  }
  std::shared_ptr<const Runtime> rt = app.runtime();
  const Home& home = *rt->home;
  const std::string device_id = body.value("id", found->id);
  const std::string name = body.value("name", found->name);
  std::string area = body.value("area", found->area);
  if (!valid_device_id(device_id, found->domain)) {
    return respond(api::error_response(400, "bad_request", "id '" + device_id + "' must be '" +
                                                               std::string(domain_name(found->domain)) +
                                                               ".<lower-case letters, digits, _>'"));
  }
  if (name.empty() || name.size() > 100) return respond(api::error_response(400, "bad_request", "name must be 1..100 characters"));
  if (!area.empty() && !home.area(area)) {
    if (body.contains("area")) {
      return respond(api::error_response(400, "bad_request", "no area '" + area + "' in the home"));
    }
    area.clear();  // the suggestion names an area this home does not have
  }
  if (home.device(device_id)) {
    return respond(api::error_response(409, "conflict", "the home already has a device '" + device_id +
                                                            "'; accept it under another id"));
  }
  // A display name must pick out one device (the home's own rule): say which
  // device already answers to it, rather than the merged home's parse error.
  if (std::vector<const Device*> named = home.devices_named(name); !named.empty()) {
    const Device& other = *named.front();
    const bool is_alias = normalize_name(other.name) != normalize_name(name);
    return respond(api::error_response(
        409, "conflict",
        "the name '" + name + "' is already " + (is_alias ? "an alias" : "the name") + " of device '" + other.id +
            "'; accept it under another \"name\""));
  }
  json adapter = json::parse(found->adapter_json, nullptr, /*allow_exceptions=*/false);
  if (!adapter.is_object()) return respond(api::error_response(500, "internal", "discovered adapter is not JSON"));
  json device{{"id", device_id},
              {"name", name},
              {"area", area},
              {"domain", std::string(domain_name(found->domain))},
              {"supports", capability_names(found->capabilities)},
              {"adapter", adapter}};
  if (!found->device_class.empty()) device["device_class"] = found->device_class;

  const std::string overlay_path = rt->config.mqtt.accepted_file;
  Result<json> existing = read_overlay(overlay_path);
  if (!existing) return respond(api::error_response(500, "internal", existing.error().message));
  json next = *existing;
  next.push_back(device);
  // Check the whole new home before writing anything.
  ConfigErrors errors;
  Result<Home> probe = [&]() -> Result<Home> {
    std::string home_text;
    if (rt->config.home == kBuiltinDemoHome) {
      home_text = std::string(embedded_demo_home_json());
    } else {
      std::ifstream in(rt->config.home, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      home_text = s.str();
    }
    Result<std::string> merged =
        merge_home_overlay(home_text, json{{"devices", next}}.dump(), overlay_path, errors);
    if (!merged) return merged.error();
    return Home::parse(*merged, rt->config.home + " + " + overlay_path, errors);
  }();
  if (!probe) return respond(api::error_response(400, "bad_request", "the device does not fit the home: " + errors.to_string()));
  if (Result<void> w = write_overlay(overlay_path, next); !w) {
    return respond(api::error_response(500, "io", w.error().message));
  }
  if (Result<void> r = app.reload_home(); !r) {
    (void)write_overlay(overlay_path, *existing);  // leave the home as it was
    return respond(api::error_response(500, "reload_failed", r.error().message));
  }
  HEARTH_LOG_INFO("devices", "accepted discovered device %s ('%s', area '%s') into %s", device_id.c_str(),
                  name.c_str(), area.c_str(), overlay_path.c_str());
  respond(api::json_response(201, json{{"device", device}, {"accepted_file", overlay_path}}));
}

}  // namespace

bool route_devices_discovered(AppContext& app, const std::string& method, const std::string& rest,
                              const HttpRequestData& request, const HttpResponder& respond) {
  const std::string base = kDiscovered;
  if (rest == base) {
    if (method != "GET") {
      respond(api::method_not_allowed("GET"));
      return true;
    }
    get_discovered(app, respond);
    return true;
  }
  const std::string suffix = "/accept";
  if (rest.size() > base.size() + 1 + suffix.size() && rest.compare(0, base.size() + 1, base + "/") == 0 &&
      rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const std::string id = rest.substr(base.size() + 1, rest.size() - base.size() - 1 - suffix.size());
    if (id.find('/') != std::string::npos) return false;
    if (method != "POST") {
      respond(api::method_not_allowed("POST"));
      return true;
    }
    post_accept(app, id, request, respond);
    return true;
  }
  return false;
}

}  // namespace hearth
