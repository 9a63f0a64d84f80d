// daemon/http_server.h: the HTTP/1.1 server of the JSON API (Boost.Beast,
// asynchronous). It owns sockets, limits and timeouts; what a request means
// is up to the handler it is given (the API router). Beast stays inside
// http_server.cc; this header shows only plain request/response structs.
//
// Limits (config "api"): body_limit_bytes (413 beyond), 8 KiB of headers,
// request_timeout_ms per read and per idle keep-alive wait (the connection
// closes), max_connections (503 beyond). Malformed requests get a 400 JSON
// error and the connection closes; the server keeps serving.
//
// Threading: each connection runs on its own strand. The handler is called on
// that strand and may call `respond` from any thread, exactly once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "hearth/common/result.h"

namespace hearth {

struct HttpRequestData {
  std::string method;        // "GET", "POST", ...
  std::string target;        // "/api/v1/history?limit=10", as sent
  std::string content_type;  // the Content-Type header, "" when absent
  std::string body;          // at most body_limit bytes
};

struct HttpResponseData {
  int status = 200;
  std::string body;                                          // JSON text
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers ("Allow", ...)
};

using HttpResponder = std::function<void(HttpResponseData)>;
using HttpHandler = std::function<void(HttpRequestData, HttpResponder)>;

struct HttpServerOptions {
  size_t body_limit_bytes = 65536;                  // larger bodies get 413
  std::chrono::milliseconds request_timeout{10000};  // per read / idle keep-alive
  int max_connections = 64;                         // more at once get 503
};

// {"error": {"code": code, "message": message}} as JSON text.
std::string json_error_body(std::string_view code, std::string_view message);

class HttpServer {
 public:
  struct Stats {
    uint64_t connections_accepted = 0;
    uint64_t connections_rejected = 0;  // over max_connections
    int64_t connections_open = 0;
    uint64_t requests = 0;
    uint64_t bad_requests = 0;          // unparseable, too large, timed out mid-request
  };

  // Binds and listens on host:port (port 0 = any free port). Errors name the
  // address ("listen 127.0.0.1:80: Permission denied").
  static Result<std::unique_ptr<HttpServer>> start(boost::asio::io_context& ioc, const std::string& host,
                                                   uint16_t port, const HttpServerOptions& options,
                                                   HttpHandler handler);
  ~HttpServer();

  // The port actually bound (useful with port 0).
  uint16_t port() const;
  // Applies new limits to connections accepted from now on (SIGHUP).
  void set_options(const HttpServerOptions& options);
  // Stops accepting and closes every open connection. Idempotent.
  void stop();
  Stats stats() const;

  class Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace hearth
