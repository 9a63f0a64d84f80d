#include "api_static.h"

#include "api.h"

namespace hearth {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A path we would never serve, whatever the table holds.
bool unsafe_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return true;
  if (path.find("..") != std::string_view::npos) return true;
  if (path.find("//") != std::string_view::npos) return true;
  for (char c : path) {
    if (c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void add_security_headers(HttpResponseData& r) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
}

}  // namespace

const EmbeddedFile* find_web_file(std::string_view path) {
  if (unsafe_path(path)) return nullptr;
  if (path == "/") path = "/index.html";
  for (const EmbeddedFile& f : embedded_web_files()) {
    if (path == f.path) return &f;
  }
  return nullptr;
}

std::string_view web_content_type(std::string_view path) {
  if (ends_with(path, ".html")) return "text/html; charset=utf-8";
  if (ends_with(path, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(path, ".css")) return "text/css; charset=utf-8";
  if (ends_with(path, ".json")) return "application/json";
  if (ends_with(path, ".webmanifest")) return "application/manifest+json";
  if (ends_with(path, ".svg")) return "image/svg+xml";
  if (ends_with(path, ".png")) return "image/png";
  return "application/octet-stream";
}

bool route_static(const std::string& method, const std::string& path, bool enabled, HttpResponder& respond) {
  if (path == "/api/v1/openapi.json") {
    if (method != "GET") {
      respond(api::method_not_allowed("GET"));
      return true;
    }
    HttpResponseData r;
    r.body = std::string(embedded_openapi_json());
    add_security_headers(r);
    respond(std::move(r));
    return true;
  }
  if (path.rfind("/api/", 0) == 0 || path == "/metrics" || path.rfind("/v1/", 0) == 0) return false;
  if (!enabled) return false;
  const EmbeddedFile* f = find_web_file(path);
  if (!f) {
    respond(api::error_response(404, "not_found", "no such file"));
    return true;
  }
  if (method != "GET") {
    respond(api::method_not_allowed("GET"));
    return true;
  }
  HttpResponseData r;
  r.body.assign(reinterpret_cast<const char*>(f->data), f->size);
  r.content_type = std::string(web_content_type(f->path));
  // Revalidate every time: the service worker keeps the offline copy.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                         "style-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'");
  add_security_headers(r);
  respond(std::move(r));
  return true;
}

}  // namespace hearth
