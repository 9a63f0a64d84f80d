// daemon/http_client.h: a tiny blocking HTTP/1.1 client for the `hearth` CLI
// and the integration tests. One request per connection, a deadline per
// request. Beast stays inside http_client.cc.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "hearth/common/result.h"

namespace hearth {

struct HttpUrl {
  std::string host = "127.0.0.1";
  std::string port = "8765";
  std::string base_path;  // "" or "/prefix" (no trailing slash)
};

// Parses "http://host[:port][/path]". Only http:// is supported.
Result<HttpUrl> parse_http_url(const std::string& url);

struct HttpReply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const;  // "" when absent (case-insensitive)
};

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";          // path + query, appended to the URL's base path
  std::string body;
  std::string content_type = "application/json";  // sent only with a body
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::chrono::milliseconds timeout{10000};
};

// Connects, sends, reads the whole reply. kUnavailable when nothing listens
// ("connection refused"), kTimeout past the deadline, kIo otherwise.
Result<HttpReply> http_request(const HttpUrl& url, const HttpCall& call);

}  // namespace hearth
