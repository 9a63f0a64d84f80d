#include "api_settings.h"

#include <nlohmann/json.hpp>

#include "api.h"
#include "auth.h"
#include "hearth/common/log.h"

namespace hearth {

namespace {

using nlohmann::json;

json settings_json(AppContext& app) {
  json j;
  j["log_level"] = std::string(log_level_name(log_level()));
  j["ns_enabled"] = app.audio_health().ns_enabled;
  Auth* auth = app.auth();
  j["loopback_trusted"] = auth ? auth->options().loopback_trusted : false;
  j["token_store"] = auth ? (auth->store().persistent() ? "file" : "memory") : "none";
  return j;
}


}  // namespace

bool route_settings(AppContext& app, const std::string& method, const std::string& rest,
                    const HttpRequestData& request, HttpResponder& respond) {
  if (rest == "/areas") {
    if (method != "GET") return respond(api::method_not_allowed("GET")), true;
    std::shared_ptr<const Runtime> rt = app.runtime();
    json areas = json::array();
    for (const Area& a : rt->home->areas()) {
      json ids = json::array();
      for (const Device& d : rt->home->devices()) {
        if (d.area == a.id) ids.push_back(d.id);
      }
      areas.push_back(json{{"id", a.id}, {"name", a.name}, {"floor", a.floor}, {"aliases", a.aliases}, {"devices", ids}});
    }
    respond(api::json_response(200, json{{"areas", areas}}));
    return true;
  }
  if (rest != "/settings") return false;
  if (method == "GET") {
    respond(api::json_response(200, settings_json(app)));
    return true;
  }
  if (method != "PATCH") return respond(api::method_not_allowed("GET, PATCH")), true;
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    respond(api::error_response(400, "bad_request", "request body must be a JSON object"));
    return true;
  }
  std::optional<LogLevel> level;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() == "log_level") {
      LogLevel l;
      if (!it->is_string() || !parse_log_level(it->get<std::string>(), &l)) {
        respond(api::error_response(400, "bad_request", "\"log_level\" must be one of debug, info, warn, error, off"));
        return true;
      }
      level = l;
    } else {
      respond(api::error_response(400, "bad_request",
                                  "'" + it.key() + "' cannot be changed remotely (changeable: log_level)"));
      return true;
    }
  }
  if (level) {
    set_log_level(*level);
    HEARTH_LOG_WARN("api", "log level set to %s by %s", std::string(log_level_name(*level)).c_str(),
                    request.remote_address.c_str());
  }
  respond(api::json_response(200, settings_json(app)));
  return true;
}

}  // namespace hearth
