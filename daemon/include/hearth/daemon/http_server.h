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
  std::string remote_address;  // the peer's IP ("127.0.0.1", "::1", ...)
  std::string authorization;   // the Authorization header, "" when absent (never log it)
  std::string origin;          // the Origin header (browsers), "" when absent
  std::string host;            // the Host header
};

struct HttpResponseData {
  int status = 200;
  std::string body;                                          // JSON text
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers ("Allow", ...)
};

using HttpResponder = std::function<void(HttpResponseData)>;
using HttpHandler = std::function<void(HttpRequestData, HttpResponder)>;

// Optional TLS (config "api.tls"; issue 10). Read once at start: a reload
// (SIGHUP) keeps the running certificate and says that a restart is needed.
struct HttpTlsOptions {
  bool enabled = false;
  std::string cert_file;  // PEM certificate (chain), absolute path
  std::string key_file;   // PEM private key, unencrypted
  bool generate = false;  // both missing → write a self-signed pair there first
  std::chrono::milliseconds handshake_timeout{10000};  // from accept to the end of the TLS handshake
};

struct HttpServerOptions {
  size_t body_limit_bytes = 65536;                  // larger bodies get 413
  std::chrono::milliseconds request_timeout{10000};  // per read / idle keep-alive
  int max_connections = 64;                         // more at once get 503
  // WebSocket connections (upgrades accepted by the WsFactory):
  size_t ws_max_message_bytes = 16384;              // larger client messages close with 1009
  size_t ws_queue_limit = 256;                      // queued outgoing messages; beyond, the client is dropped
  size_t ws_queue_limit_bytes = 4 * 1024 * 1024;    // and the same for their total size
  std::chrono::milliseconds ws_ping_interval{15000};  // idle this long → ping; no answer → close
  HttpTlsOptions tls;  // HTTP and WebSocket both go over TLS when enabled
};

// The server side of one WebSocket connection, as handlers see it.
// Thread-safe: send() and close() may be called from any thread.
class WsPeer {
 public:
  virtual ~WsPeer() = default;
  // Queues one text message. When ws_queue_limit messages (or
  // ws_queue_limit_bytes) are already waiting to be written to the kernel,
  // the client is too slow: its queue is discarded, it is closed with code
  // 1008 and a reason ("slow consumer: ...") — or cut 2 s later if it reads
  // nothing — and false is returned. Never blocks. The hub publishes a whole
  // burst (e.g. every light of "turn on all the lights") before the
  // connection's strand runs, so the limit must exceed the largest burst.
  virtual bool send(std::shared_ptr<const std::string> text) = 0;
  // Sends a close frame (1000 normal, 1008 policy) once the queue drains.
  virtual void close(int code, std::string reason) = 0;
  virtual const std::string& remote_address() const = 0;
};

// What one WebSocket connection means; called on the connection's strand.
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void on_message(std::string_view text) = 0;  // one complete text message
  virtual void on_close() = 0;                         // the connection is gone; called once
};

// Given an upgrade request, returns the handler for it, or nullptr to refuse
// (the client then gets `refusal`, e.g. 404).
using WsFactory = std::function<std::unique_ptr<WsHandler>(const HttpRequestData& upgrade,
                                                           std::shared_ptr<WsPeer> peer,
                                                           HttpResponseData* refusal)>;

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
    int64_t ws_open = 0;                // WebSocket connections open
    uint64_t ws_accepted = 0;
    uint64_t ws_messages_in = 0;
    uint64_t ws_messages_out = 0;
    uint64_t ws_dropped_slow = 0;       // closed because their queue was full
    uint64_t ws_bad_frames = 0;         // oversized, binary or malformed client frames
  };

  // Binds and listens on host:port (port 0 = any free port). Errors name the
  // address ("listen 127.0.0.1:80: Permission denied"), or with TLS the file
  // ("api.tls.key_file '/x/key.pem': not a valid ... PEM private key").
  static Result<std::unique_ptr<HttpServer>> start(boost::asio::io_context& ioc, const std::string& host,
                                                   uint16_t port, const HttpServerOptions& options,
                                                   HttpHandler handler, WsFactory ws_factory = nullptr);
  ~HttpServer();

  // The port actually bound (useful with port 0).
  uint16_t port() const;
  // True when connections speak TLS (https/wss).
  bool tls_enabled() const;
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
