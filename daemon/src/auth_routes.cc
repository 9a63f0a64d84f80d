#include "auth_routes.h"

#include <nlohmann/json.hpp>

#include "api.h"
#include "hearth/common/log.h"

namespace hearth {

namespace {

using nlohmann::json;

}  // namespace

const std::vector<RouteSpec>& api_routes() {
  static const std::vector<RouteSpec> kRoutes = {
      // Public: health (minimal without a token), the API description, pairing.
      {"GET", "/api/v1/health", Access::kPublic},
      {"GET", "/api/v1/openapi.json", Access::kPublic},
      {"POST", "/api/v1/pair", Access::kPublic},
      // Auth administration.
      {"POST", "/api/v1/pair/code", Access::kAdmin},
      {"GET", "/api/v1/me", Access::kRead},
      {"GET", "/api/v1/tokens", Access::kAdmin},
      {"POST", "/api/v1/tokens", Access::kAdmin},
      {"DELETE", "/api/v1/tokens/{id}", Access::kAdmin},
      // Home and devices.
      {"GET", "/api/v1/areas", Access::kRead},
      {"GET", "/api/v1/devices", Access::kRead},
      {"GET", "/api/v1/devices/discovered", Access::kRead},
      {"POST", "/api/v1/devices/discovered/{id}/accept", Access::kAdmin},
      {"GET", "/api/v1/devices/{id}", Access::kRead},
      {"POST", "/api/v1/devices/{id}/actions", Access::kControl},
      {"POST", "/api/v1/command", Access::kControl},
      {"GET", "/api/v1/history", Access::kRead},
      // Routines and suggestions (api_routines.h).
      {"GET", "/api/v1/routines", Access::kRead},
      {"POST", "/api/v1/routines", Access::kControl},
      {"PATCH", "/api/v1/routines/{id}", Access::kControl},
      {"DELETE", "/api/v1/routines/{id}", Access::kControl},
      {"GET", "/api/v1/routines/{id}/runs", Access::kRead},
      {"GET", "/api/v1/suggestions", Access::kRead},
      {"POST", "/api/v1/suggestions/{id}/accept", Access::kControl},
      {"POST", "/api/v1/suggestions/{id}/reject", Access::kControl},
      {"POST", "/api/v1/habits/mine", Access::kControl},
      // Settings safe to change remotely.
      {"GET", "/api/v1/settings", Access::kRead},
      {"PATCH", "/api/v1/settings", Access::kAdmin},
      // Live events (WebSocket; the token comes in the first message).
      {"GET", "/api/v1/events", Access::kPublic},
      // The OpenAI-compatible chat API over the local model (api_llm.h).
      {"POST", "/v1/chat/completions", Access::kControl},
      {"GET", "/v1/models", Access::kRead},
      // Prometheus.
      {"GET", "/metrics", Access::kRead},
      // The web companion's static files.
      {"GET", "/", Access::kPublic},
      {"GET", "/{file}", Access::kPublic},
  };
  return kRoutes;
}

const char* access_name(Access a) {
  switch (a) {
    case Access::kPublic: return "public";
    case Access::kRead: return "read";
    case Access::kControl: return "control";
    case Access::kAdmin: return "admin";
  }
  return "admin";
}

namespace {

bool path_matches(std::string_view pattern, std::string_view path) {
  size_t i = 0, j = 0;
  while (i < pattern.size() && j < path.size()) {
    if (pattern[i] == '{') {
      size_t close = pattern.find('}', i);
      size_t seg_end = path.find('/', j);
      if (seg_end == std::string_view::npos) seg_end = path.size();
      if (seg_end == j) return false;  // empty segment
      i = close + 1;
      j = seg_end;
      continue;
    }
    if (pattern[i] != path[j]) return false;
    ++i;
    ++j;
  }
  return i == pattern.size() && j == path.size();
}

}  // namespace

const RouteSpec* match_route(const std::string& method, const std::string& path) {
  for (const RouteSpec& r : api_routes()) {
    if (method == r.method && path_matches(r.path, path)) return &r;
  }
  return nullptr;
}

bool authorize(AppContext& app, const HttpRequestData& request, const std::string& path, HttpResponder& respond,
               bool* minimal) {
  *minimal = false;
  Auth* auth = app.auth();
  if (!auth) return true;  // no auth configured (unit tests of the router)
  const RouteSpec* spec = match_route(request.method, path);
  // Unknown routes need admin (default deny), except non-API paths, which are
  // static files or 404s.
  Access access = spec ? spec->access : Access::kAdmin;
  if (!spec && path.rfind("/api/", 0) != 0 && path.rfind("/v1/", 0) != 0 && path != "/metrics") {
    access = Access::kPublic;
  }
  AuthRequest ar{request.remote_address, request.authorization, request.origin, request.host};
  if (access == Access::kPublic) {
    if (path == "/api/v1/health") {
      AuthDecision d = auth->check(ar, Scope::kRead);
      *minimal = !d.ok;
    }
    return true;
  }
  const Scope needed = access == Access::kRead ? Scope::kRead : access == Access::kControl ? Scope::kControl : Scope::kAdmin;
  AuthDecision d = auth->check(ar, needed);
  if (d.ok) return true;
  HttpResponseData r = api::error_response(d.status, d.code, d.message);
  if (d.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hearth\"");
  if (d.status == 429) r.headers.emplace_back("Retry-After", std::to_string(d.retry_after_s));
  respond(std::move(r));
  return false;
}

namespace {

json token_json(const TokenInfo& t) {
  return json{{"id", t.id},
              {"name", t.name},
              {"scope", scope_name(t.scope)},
              {"created_ms", t.created_ms},
              {"last_used_ms", t.last_used_ms == 0 ? json(nullptr) : json(t.last_used_ms)},
              {"expires_ms", t.expires_ms == 0 ? json(nullptr) : json(t.expires_ms)},
              {"revoked", t.revoked_ms != 0}};
}

bool parse_object(const HttpRequestData& request, json* out, HttpResponder& respond) {
  *out = json::parse(request.body, nullptr, false);
  if (out->is_discarded() || !out->is_object()) {
    respond(api::error_response(400, "bad_request", "request body must be a JSON object"));
    return false;
  }
  return true;
}


}  // namespace

bool route_auth(AppContext& app, const std::string& method, const std::string& rest, const HttpRequestData& request,
                HttpResponder& respond) {
  if (rest == "/events") {  // reached only without an Upgrade header
    if (method != "GET") return respond(api::method_not_allowed("GET")), true;
    HttpResponseData r = api::error_response(
        426, "upgrade_required", "/api/v1/events is a WebSocket: connect with ws://, then send {\"type\": \"auth\", ...}");
    r.headers.emplace_back("Upgrade", "websocket");
    respond(std::move(r));
    return true;
  }
  const bool is_auth_route = rest == "/pair" || rest == "/pair/code" || rest == "/me" || rest == "/tokens" ||
                             rest.rfind("/tokens/", 0) == 0;
  if (!is_auth_route) return false;
  Auth* auth = app.auth();
  if (!auth) {
    respond(api::error_response(503, "unavailable", "authentication is not configured"));
    return true;
  }

  if (rest == "/pair") {
    if (method != "POST") return respond(api::method_not_allowed("POST")), true;
    json body;
    if (!parse_object(request, &body, respond)) return true;
    auto code = body.find("code");
    auto name = body.find("name");
    if (code == body.end() || !code->is_string() || name == body.end() || !name->is_string()) {
      respond(api::error_response(400, "bad_request", "\"code\" and \"name\" are required strings"));
      return true;
    }
    int retry_after = 0;
    Result<IssuedToken> t = auth->pair(code->get<std::string>(), name->get<std::string>(), request.remote_address,
                                       &retry_after);
    if (!t) {
      if (retry_after > 0) {
        HttpResponseData r = api::error_response(429, "rate_limited", t.error().message);
        r.headers.emplace_back("Retry-After", std::to_string(retry_after));
        respond(std::move(r));
      } else {
        respond(api::error_response(api::status_for(t.error().code), code_name(t.error().code), t.error().message));
      }
      return true;
    }
    HEARTH_LOG_INFO("auth", "paired '%s' from %s (token id %lld, scope %s)", t->info.name.c_str(),
                    request.remote_address.c_str(), static_cast<long long>(t->info.id), scope_name(t->info.scope));
    respond(api::json_response(
        201, json{{"token", t->token}, {"id", t->info.id}, {"name", t->info.name}, {"scope", scope_name(t->info.scope)}}));
    return true;
  }
  if (rest == "/pair/code") {
    if (method != "POST") return respond(api::method_not_allowed("POST")), true;
    Result<std::string> code = auth->create_pair_code();
    if (!code) {
      respond(api::error_response(api::status_for(code.error().code), code_name(code.error().code), code.error().message));
      return true;
    }
    respond(api::json_response(201, json{{"code", *code}, {"expires_in_s", auth->options().pair_code_ttl.count()}}));
    return true;
  }
  if (rest == "/me") {
    if (method != "GET") return respond(api::method_not_allowed("GET")), true;
    AuthDecision d = auth->check({request.remote_address, request.authorization, request.origin, request.host},
                                 Scope::kRead);
    json j;
    j["scope"] = scope_name(d.scope);
    j["id"] = d.token ? json(d.token->id) : json(nullptr);
    j["name"] = d.token ? json(d.token->name) : json("loopback");
    j["loopback_trusted"] = !d.token.has_value();
    respond(api::json_response(200, j));
    return true;
  }
  if (rest == "/tokens") {
    if (method == "GET") {
      Result<std::vector<TokenInfo>> list = auth->store().list();
      if (!list) {
        respond(api::error_response(503, "unavailable", list.error().message));
        return true;
      }
      json arr = json::array();
      for (const TokenInfo& t : *list) arr.push_back(token_json(t));
      respond(api::json_response(200, json{{"persistent", auth->store().persistent()}, {"tokens", arr}}));
      return true;
    }
    if (method == "POST") {
      json body;
      if (!parse_object(request, &body, respond)) return true;
      auto name = body.find("name");
      auto scope = body.find("scope");
      std::optional<Scope> s = scope != body.end() && scope->is_string() ? parse_scope(scope->get<std::string>())
                                                                         : std::nullopt;
      if (name == body.end() || !name->is_string() || !s) {
        respond(api::error_response(400, "bad_request",
                                    "\"name\" (string) and \"scope\" (read, control or admin) are required"));
        return true;
      }
      int64_t ttl = 0;
      if (auto t = body.find("ttl_s"); t != body.end()) {
        if (!t->is_number_integer() || t->get<int64_t>() < 0 || t->get<int64_t>() > 10LL * 365 * 86400) {
          respond(api::error_response(400, "bad_request", "\"ttl_s\" must be an integer in 0..315360000 (0 = never)"));
          return true;
        }
        ttl = t->get<int64_t>();
      }
      Result<IssuedToken> t = auth->store().create(name->get<std::string>(), *s, std::chrono::seconds(ttl), unix_ms_now());
      if (!t) {
        respond(api::error_response(api::status_for(t.error().code), code_name(t.error().code), t.error().message));
        return true;
      }
      respond(api::json_response(
          201, json{{"token", t->token}, {"id", t->info.id}, {"name", t->info.name}, {"scope", scope_name(t->info.scope)}}));
      return true;
    }
    return respond(api::method_not_allowed("GET, POST")), true;
  }
  // /tokens/{id}
  const std::string id = rest.substr(std::string("/tokens/").size());
  if (id.empty() || id.find('/') != std::string::npos) return false;
  if (method != "DELETE") return respond(api::method_not_allowed("DELETE")), true;
  bool numeric = !id.empty() && id.size() < 19;
  for (char c : id) numeric = numeric && c >= '0' && c <= '9';
  if (!numeric) {
    respond(api::error_response(400, "bad_request", "token id must be a number (see GET /api/v1/tokens)"));
    return true;
  }
  Result<TokenInfo> r = auth->store().revoke(id, unix_ms_now());
  if (!r) {
    respond(api::error_response(api::status_for(r.error().code), code_name(r.error().code), r.error().message));
    return true;
  }
  HEARTH_LOG_INFO("auth", "revoked token %lld ('%s')", static_cast<long long>(r->id), r->name.c_str());
  respond(api::json_response(200, json{{"revoked", r->id}}));
  return true;
}

}  // namespace hearth
