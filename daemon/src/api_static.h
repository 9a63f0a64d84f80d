// daemon/src/api_static.h: the web companion's files (daemon/web/, embedded
// at build time by daemon/cmake/embed_web.cmake) served at /, and the OpenAPI
// document (daemon/src/openapi.json) at /api/v1/openapi.json. Private to
// daemon/.
//
// Only files in the embedded table exist: a path is looked up by exact
// string, so "..", encoded dots or absolute paths can never reach the file
// system; such paths also get a 404 before the lookup.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "hearth/daemon/http_server.h"

namespace hearth {

struct EmbeddedFile {
  const char* path;            // "/index.html"
  const unsigned char* data;
  size_t size;
};

// Generated (embedded_web.cc).
std::span<const EmbeddedFile> embedded_web_files();
std::string_view embedded_openapi_json();

// "/" → index.html; nullptr for unknown or unsafe paths.
const EmbeddedFile* find_web_file(std::string_view path);
// "text/html; charset=utf-8", ... by extension.
std::string_view web_content_type(std::string_view path);

// Answers GET of a web file or of /api/v1/openapi.json; false when `path`
// (decoded, no query) is neither. `enabled` false (config api.web) serves
// nothing at / but still the OpenAPI document.
bool route_static(const std::string& method, const std::string& path, bool enabled, HttpResponder& respond);

}  // namespace hearth
