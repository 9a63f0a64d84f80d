// nlu/src/cloud_http.h (private): the smallest blocking HTTP/1.1 client the
// cloud layer needs — one POST per connection, a deadline for the whole
// exchange, Content-Length or chunked replies. nlu must not depend on
// daemon/ (ARCHITECTURE.md), so it has its own instead of daemon's Beast
// client. Plain http:// only: the daemon's deployment notes put a TLS
// terminating proxy (or an http:// local gateway such as a second hearthd)
// in front of https endpoints.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "hearth/common/result.h"

namespace hearth::nlu {

struct HttpTarget {
  std::string host;
  std::string port = "80";
  std::string path;  // "/v1" (no trailing slash)
};

// "http://host[:port][/path]" → target. kBadInput for anything else
// (https:// gets a message naming the limitation).
Result<HttpTarget> parse_url(const std::string& url);

struct HttpResponse {
  int status = 0;
  std::string body;
};

// POSTs `body` to target.path + `path`. kUnavailable when nothing listens,
// kTimeout past `timeout`, kIo / kBadInput for broken replies.
// `headers` are sent as given and never logged.
Result<HttpResponse> http_post(const HttpTarget& target, const std::string& path, const std::string& body,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               std::chrono::milliseconds timeout);

// Parses a raw HTTP/1.1 response (status line, headers, Content-Length /
// chunked / until-close body). Exposed for the malformed-input tests.
Result<HttpResponse> parse_http_response(const std::string& raw);

}  // namespace hearth::nlu
