// The only translation unit of hearth_daemon_core that includes Beast
// (HTTP and WebSocket both live here, so Beast is compiled once).
//
// TLS (api.tls): Session and WsSession are templates over the byte stream,
// beast::tcp_stream (plain) or beast::ssl_stream<beast::tcp_stream>. A TLS
// connection first peeks at the client's first bytes (beast::detect_ssl): a
// plain HTTP request gets a plain 400 saying the port speaks HTTPS; a TLS
// ClientHello goes on to the handshake. Both together must end within
// api.tls.handshake_timeout_ms, or the connection is closed. After the
// handshake everything (HTTP, the WebSocket upgrade, limits) is the same code.
#include "hearth/daemon/http_server.h"

#include <deque>
#include <mutex>
#include <optional>
#include <type_traits>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include "hearth/common/log.h"
#include "tls.h"

namespace hearth {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
namespace ssl = boost::asio::ssl;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr uint32_t kHeaderLimitBytes = 8 * 1024;
// After an error response sent before the request body was read (413), we
// read and discard what the client still sends for at most this long / this
// much, so closing does not reset the connection before the client has read
// the answer.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr size_t kLingerMaxBytes = 8 * 1024 * 1024;
// Kernel send buffer of a WebSocket connection.
constexpr int kWsSendBufferBytes = 64 * 1024;

#ifndef HEARTH_VERSION
#define HEARTH_VERSION "dev"
#endif

}  // namespace

std::string json_error_body(std::string_view code, std::string_view message) {
  nlohmann::json j;
  j["error"]["code"] = std::string(code);
  j["error"]["message"] = std::string(message);
  return j.dump();
}

// What the server keeps of each connection to close it on stop().
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void async_close() = 0;  // any thread
};
class WsSessionBase {
 public:
  virtual ~WsSessionBase() = default;
  virtual void async_shutdown() = 0;  // any thread
};

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(asio::io_context& ioc, HttpServerOptions options, HttpHandler handler, WsFactory ws_factory)
      : ioc_(ioc),
        acceptor_(asio::make_strand(ioc)),
        options_(options),
        handler_(std::move(handler)),
        ws_factory_(std::move(ws_factory)) {}

  Result<void> listen(const std::string& host, uint16_t port);
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void stop();

  HttpServerOptions options() const {
    std::lock_guard<std::mutex> lock(mu_);
    return options_;
  }
  void set_options(const HttpServerOptions& o) {
    std::lock_guard<std::mutex> lock(mu_);
    const HttpTlsOptions& a = options_.tls;
    const HttpTlsOptions& b = o.tls;
    if (a.enabled != b.enabled || a.cert_file != b.cert_file || a.key_file != b.key_file ||
        a.handshake_timeout != b.handshake_timeout) {
      HEARTH_LOG_INFO("config", "api.tls changed: requires restart; keeping TLS %s", a.enabled ? "on" : "off");
    }
    HttpTlsOptions keep = options_.tls;  // the context was built at start
    options_ = o;
    options_.tls = std::move(keep);
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  mutable std::mutex mu_;  // guards options_ and sessions_
  HttpServerOptions options_;
  std::vector<std::weak_ptr<SessionBase>> sessions_;
  std::vector<std::weak_ptr<WsSessionBase>> ws_sessions_;
  const HttpHandler handler_;
  const WsFactory ws_factory_;
  std::shared_ptr<ssl::context> tls_;  // set when api.tls.enabled
  std::atomic<bool> stopped_{false};

  std::atomic<uint64_t> accepted_{0}, rejected_{0}, requests_{0}, bad_requests_{0};
  std::atomic<int64_t> open_{0};
  std::atomic<int64_t> ws_open_{0};
  std::atomic<uint64_t> ws_accepted_{0}, ws_in_{0}, ws_out_{0}, ws_dropped_{0}, ws_bad_{0};
};


// One WebSocket connection, after the upgrade. Lives on its own strand. The
// outgoing queue is bounded: send() from any thread counts what is pending
// and drops a client that falls ws_queue_limit messages behind, so a slow
// reader never holds memory or the publisher.
template <class Stream>
class WsSession : public WsPeer, public WsSessionBase, public std::enable_shared_from_this<WsSession<Stream>> {
  using std::enable_shared_from_this<WsSession<Stream>>::shared_from_this;

 public:
  WsSession(Stream&& stream, std::shared_ptr<HttpServer::Impl> server, HttpServerOptions options,
            std::string remote)
      : ws_(std::move(stream)),
        server_(std::move(server)),
        options_(options),
        remote_(std::move(remote)),
        kill_timer_(ws_.get_executor()) {
    server_->ws_open_.fetch_add(1);
  }
  ~WsSession() override { server_->ws_open_.fetch_sub(1); }

  // Strand. Asks the factory for a handler; accepts the upgrade or refuses it.
  void start(http::request<http::string_body> req, const HttpRequestData& data) {
    req_ = std::move(req);
    HttpResponseData refusal;
    refusal.status = 404;
    refusal.body = json_error_body("not_found", "no WebSocket route " + data.target);
    if (server_->ws_factory_) handler_ = server_->ws_factory_(data, shared_from_this(), &refusal);
    if (!handler_) {
      refuse(std::move(refusal));
      return;
    }
    server_->ws_accepted_.fetch_add(1);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = options_.request_timeout;
    t.idle_timeout = 2 * options_.ws_ping_interval;  // a ping goes out at half of it
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "hearth/" HEARTH_VERSION); }));
    ws_.read_message_max(options_.ws_max_message_bytes);
    // A bounded kernel buffer makes the queue limit mean something: a client
    // that stops reading backs up into our queue soon, and is dropped.
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(asio::socket_base::send_buffer_size(kWsSendBufferBytes), ignored);
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    ws_.async_accept(req_, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
  }

  // Any thread; never blocks. `pending_` / `pending_bytes_` count what was
  // accepted here and not yet written to the kernel (posted or queued); past
  // either limit the client is dropped, once, with a reason.
  bool send(std::shared_ptr<const std::string> text) override {
    if (!text || closing_.load()) return false;
    const size_t n_bytes = text->size();
    const size_t before = pending_.fetch_add(1);
    const size_t before_bytes = pending_bytes_.fetch_add(n_bytes);
    if (before >= options_.ws_queue_limit || before_bytes + n_bytes > options_.ws_queue_limit_bytes) {
      pending_.fetch_sub(1);
      pending_bytes_.fetch_sub(n_bytes);
      if (!dropped_.exchange(true)) {
        server_->ws_dropped_.fetch_add(1);
        const std::string reason =
            before >= options_.ws_queue_limit
                ? "slow consumer: more than " + std::to_string(options_.ws_queue_limit) + " messages queued"
                : "slow consumer: more than " + std::to_string(options_.ws_queue_limit_bytes) + " bytes queued";
        asio::post(ws_.get_executor(), [self = shared_from_this(), reason] { self->do_drop(reason); });
      }
      return false;
    }
    asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      self->queue_.push_back(std::move(text));
      self->maybe_write();
    });
    return true;
  }

  void close(int code, std::string reason) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
      self->request_close(static_cast<websocket::close_code>(code), std::move(reason));
    });
  }

  const std::string& remote_address() const override { return remote_; }

  // Any thread (server stop).
  void async_shutdown() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      self->request_close(websocket::close_code::going_away, "server shutting down");
    });
  }

 private:
  void refuse(HttpResponseData data) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(req_.version());
    res->result(static_cast<unsigned>(data.status));
    res->set(http::field::server, "hearth/" HEARTH_VERSION);
    res->set(http::field::content_type, data.content_type);
    for (const auto& [name, value] : data.headers) res->set(name, value);
    res->body() = std::move(data.body);
    res->keep_alive(false);
    res->prepare_payload();
    beast::get_lowest_layer(ws_).expires_after(options_.request_timeout);
    http::async_write(ws_.next_layer(), *res, [self = shared_from_this(), res](beast::error_code, size_t) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(self->ws_).close();
    });
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      finish();
      return;
    }
    accepted_ = true;
    do_read();
    maybe_write();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec) {
      if (ec == websocket::error::message_too_big || ec == websocket::condition::protocol_violation) {
        server_->ws_bad_.fetch_add(1);
      }
      finish();
      return;
    }
    if (!ws_.got_text()) {
      server_->ws_bad_.fetch_add(1);
      buffer_.consume(buffer_.size());
      request_close(websocket::close_code::unknown_data, "binary frames are not accepted; send JSON text");
      do_read();  // keep reading until the close handshake ends
      return;
    }
    server_->ws_in_.fetch_add(1);
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (handler_ && !closing_.load()) handler_->on_message(text);
    do_read();
  }

  void maybe_write() {
    if (!accepted_ || writing_ || closed_ || close_sent_) return;
    if (close_requested_ && (dropped_.load() || queue_.empty())) {
      do_close();
      return;
    }
    if (queue_.empty()) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()), beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    writing_ = false;
    pending_bytes_.fetch_sub(queue_.front()->size());
    queue_.pop_front();
    pending_.fetch_sub(1);
    if (ec) {
      finish();
      return;
    }
    server_->ws_out_.fetch_add(1);
    maybe_write();
  }

  void do_drop(const std::string& reason) {
    // Forget what is queued (the in-flight write, if any, stays until done).
    HEARTH_LOG_WARN("api", "WebSocket client %s dropped: %s", remote_.c_str(), reason.c_str());
    const size_t keep = writing_ ? 1 : 0;
    while (queue_.size() > keep) {
      pending_bytes_.fetch_sub(queue_.back()->size());
      queue_.pop_back();
      pending_.fetch_sub(1);
    }
    request_close(websocket::close_code::policy_error, reason);
  }

  void request_close(websocket::close_code code, std::string reason) {
    if (close_requested_ || closed_) return;
    close_requested_ = true;
    closing_.store(true);
    close_reason_ = websocket::close_reason(code, reason.substr(0, 120));
    // A peer that reads nothing never lets a write or the close finish:
    // cut the socket after a grace period.
    kill_timer_.expires_after(std::chrono::seconds(2));
    kill_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->force_close();
    });
    if (!accepted_) {
      force_close();
      return;
    }
    maybe_write();
  }

  void do_close() {
    if (closed_ || close_sent_) return;
    close_sent_ = true;
    ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) { self->force_close(); });
  }

  void force_close() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
    finish();
  }

  void finish() {
    if (closed_) return;
    closed_ = true;
    closing_.store(true);
    kill_timer_.cancel();
    if (handler_) {
      std::unique_ptr<WsHandler> h = std::move(handler_);
      h->on_close();  // drops the handler's reference to us
    }
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<HttpServer::Impl> server_;
  const HttpServerOptions options_;
  const std::string remote_;
  asio::steady_timer kill_timer_;
  http::request<http::string_body> req_;
  std::unique_ptr<WsHandler> handler_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;  // strand only
  std::atomic<size_t> pending_{0};                         // queued or posted, any thread
  std::atomic<size_t> pending_bytes_{0};                   // their total size
  std::atomic<bool> dropped_{false};
  std::atomic<bool> closing_{false};
  bool accepted_ = false;
  bool writing_ = false;
  bool close_requested_ = false;
  bool close_sent_ = false;
  bool closed_ = false;
  websocket::close_reason close_reason_;
};

// One connection. Lives on its own strand; kept alive by the handlers bound
// to it (shared_from_this), and ends when none is pending.
// `Stream` is beast::tcp_stream (plain HTTP) or TlsStream (HTTPS).
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // Plain.
  Session(tcp::socket&& socket, std::shared_ptr<HttpServer::Impl> server, HttpServerOptions options,
          bool over_limit) requires(!kTls)
      : stream_(std::move(socket)),
        executor_(stream_.get_executor()),
        server_(std::move(server)),
        options_(options),
        over_limit_(over_limit) {
    server_->open_.fetch_add(1);
  }
  // TLS.
  Session(tcp::socket&& socket, ssl::context& ctx, std::shared_ptr<HttpServer::Impl> server,
          HttpServerOptions options, bool over_limit) requires(kTls)
      : stream_(std::move(socket), ctx),
        executor_(beast::get_lowest_layer(stream_).get_executor()),
        server_(std::move(server)),
        options_(options),
        over_limit_(over_limit) {
    server_->open_.fetch_add(1);
  }
  ~Session() override { server_->open_.fetch_sub(1); }

  void run() { asio::dispatch(executor_, beast::bind_front_handler(&Session::do_start, shared_from_this())); }

  // Called from any thread (server stop).
  void async_close() override {
    asio::post(executor_, beast::bind_front_handler(&Session::do_force_close, shared_from_this()));
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void do_start() {
    if constexpr (kTls) {
      // One deadline for the first bytes and the whole handshake: a client
      // that connects and says nothing holds a slot only this long.
      lowest().expires_after(options_.tls.handshake_timeout);
      beast::async_detect_ssl(lowest(), buffer_, beast::bind_front_handler(&Session::on_detect, shared_from_this()));
    } else {
      do_serve();
    }
  }

  void on_detect(beast::error_code ec, bool is_tls) {
    if (closed_) return;
    if (ec) {
      HEARTH_LOG_DEBUG("api", "TLS connection closed before a ClientHello: %s", ec.message().c_str());
      do_force_close();
      return;
    }
    if (!is_tls) {
      // Plain HTTP on the HTTPS port: a plain answer the user can read, then close.
      server_->bad_requests_.fetch_add(1);
      res_ = {};
      res_.version(11);
      res_.result(http::status::bad_request);
      res_.set(http::field::server, "hearth/" HEARTH_VERSION);
      res_.set(http::field::content_type, "application/json");
      res_.body() = json_error_body("tls_required", "this port speaks HTTPS only (api.tls.enabled); use https:// "
                                                    "and wss://");
      res_.keep_alive(false);
      res_.prepare_payload();
      lowest().expires_after(options_.request_timeout);
      http::async_write(lowest(), res_, [self = shared_from_this()](beast::error_code, size_t) {
        beast::error_code ignored;
        self->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->do_force_close();
      });
      return;
    }
    stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                            beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec, size_t used) {
    if (closed_) return;
    if (ec) {
      HEARTH_LOG_DEBUG("api", "TLS handshake failed: %s", ec.message().c_str());
      do_force_close();
      return;
    }
    buffer_.consume(used);
    handshake_done_ = true;
    do_serve();
  }

  void do_serve() {
    if (over_limit_) {
      server_->rejected_.fetch_add(1);
      send_error(503, "too_many_connections",
                 "the server has " + std::to_string(options_.max_connections) +
                     " connections open (api.max_connections); retry later",
                 /*close=*/true, /*linger=*/false);
      return;
    }
    do_read();
  }

  void do_read() {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(options_.body_limit_bytes);
    parser_->header_limit(kHeaderLimitBytes);
    lowest().expires_after(options_.request_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || closed_) {
      do_close();
      return;
    }
    if (ec == beast::error::timeout) {
      if (parser_->got_some()) {
        server_->bad_requests_.fetch_add(1);
        send_error(408, "request_timeout",
                   "the request was not received within " + std::to_string(options_.request_timeout.count()) +
                       " ms (api.request_timeout_ms)",
                   true, false);
      } else {
        do_close();  // idle keep-alive connection
      }
      return;
    }
    if (ec == http::error::body_limit) {
      server_->bad_requests_.fetch_add(1);
      send_error(413, "too_large",
                 "request body exceeds " + std::to_string(options_.body_limit_bytes) +
                     " bytes (api.body_limit_bytes)",
                 true, true);
      return;
    }
    if (ec == http::error::header_limit) {
      server_->bad_requests_.fetch_add(1);
      send_error(431, "headers_too_large",
                 "request headers exceed " + std::to_string(kHeaderLimitBytes) + " bytes", true, true);
      return;
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
        server_->bad_requests_.fetch_add(1);
        send_error(400, "bad_request", "malformed HTTP request: " + ec.message(), true, true);
      } else {
        do_close();  // the peer went away
      }
      return;
    }

    server_->requests_.fetch_add(1);
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    HttpRequestData data;
    data.method = std::string(req.method_string());
    data.target = std::string(req.target());
    if (auto it = req.find(http::field::content_type); it != req.end()) data.content_type = std::string(it->value());
    if (auto it = req.find(http::field::authorization); it != req.end()) data.authorization = std::string(it->value());
    if (auto it = req.find(http::field::origin); it != req.end()) data.origin = std::string(it->value());
    if (auto it = req.find(http::field::host); it != req.end()) data.host = std::string(it->value());
    beast::error_code addr_ec;
    tcp::endpoint peer = lowest().socket().remote_endpoint(addr_ec);
    if (!addr_ec) data.remote_address = peer.address().to_string();

    if (websocket::is_upgrade(req)) {
      // The connection becomes a WebSocket session; this Session ends here.
      auto ws = std::make_shared<WsSession<Stream>>(std::move(stream_), server_, options_, data.remote_address);
      {
        std::lock_guard<std::mutex> lock(server_->mu_);
        std::erase_if(server_->ws_sessions_, [](const std::weak_ptr<WsSessionBase>& w) { return w.expired(); });
        server_->ws_sessions_.push_back(ws);
      }
      closed_ = true;
      ws->start(std::move(req), data);
      return;
    }
    data.body = std::move(req.body());

    auto self = shared_from_this();
    server_->handler_(std::move(data), [self](HttpResponseData response) {
      // The handler may answer from any thread; writing belongs to our strand.
      asio::post(self->executor_, [self, response = std::move(response)]() mutable {
        self->do_write(std::move(response), !self->keep_alive_, false);
      });
    });
  }

  void send_error(int status, std::string_view code, const std::string& message, bool close, bool linger) {
    HttpResponseData r;
    r.status = status;
    r.body = json_error_body(code, message);
    do_write(std::move(r), close, linger);
  }

  void do_write(HttpResponseData data, bool close, bool linger) {
    if (closed_) return;
    close_after_write_ = close || server_->stopped_.load();
    linger_after_write_ = linger;
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(data.status));
    res_.set(http::field::server, "hearth/" HEARTH_VERSION);
    res_.set(http::field::content_type, data.content_type);
    for (const auto& [name, value] : data.headers) res_.set(name, value);
    res_.body() = std::move(data.body);
    res_.keep_alive(!close_after_write_);
    res_.prepare_payload();
    lowest().expires_after(options_.request_timeout);
    http::async_write(stream_, res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec) {
      do_close();
      return;
    }
    if (close_after_write_) {
      if (linger_after_write_) {
        do_linger();
      } else {
        do_close();
      }
      return;
    }
    do_read();
  }

  void do_linger() {
    if constexpr (kTls) {
      // close_notify, then wait (at most kLingerTimeout) for the peer's: what
      // it still sends meanwhile is read and discarded by OpenSSL.
      do_close();
      return;
    }
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(kLingerTimeout);
    lowest().async_read_some(asio::buffer(linger_buf_),
                          beast::bind_front_handler(&Session::on_linger, shared_from_this()));
  }

  void on_linger(beast::error_code ec, size_t n) {
    lingered_ += n;
    if (ec || lingered_ >= kLingerMaxBytes || closed_) {
      do_force_close();
      return;
    }
    lowest().async_read_some(asio::buffer(linger_buf_),
                          beast::bind_front_handler(&Session::on_linger, shared_from_this()));
  }

  void do_close() {
    if (closed_) return;
    if constexpr (kTls) {
      if (handshake_done_ && !tls_shutdown_started_) {
        tls_shutdown_started_ = true;
        lowest().expires_after(kLingerTimeout);
        stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->do_force_close(); });
        return;
      }
    }
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    do_force_close();
  }

  void do_force_close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    lowest().socket().close(ignored);
  }

  Stream stream_;
  const beast::tcp_stream::executor_type executor_;  // kept: stream_ is moved out on a WebSocket upgrade
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<HttpServer::Impl> server_;
  const HttpServerOptions options_;  // as of accept; reloads affect new connections
  const bool over_limit_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool close_after_write_ = false;
  bool linger_after_write_ = false;
  bool closed_ = false;
  bool handshake_done_ = false;
  bool tls_shutdown_started_ = false;
  size_t lingered_ = 0;
  char linger_buf_[4096];
};

Result<void> HttpServer::Impl::listen(const std::string& host, uint16_t port) {
  const std::string where = "listen " + host + ":" + std::to_string(port);
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return Error{Code::kBadInput, where + ": bad address: " + ec.message()};
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return Error{Code::kIo, where + ": " + ec.message()};
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) {
    return Error{Code::kIo, where + ": " + ec.message() + " (is another hearthd running? change \"listen\" or --listen)"};
  }
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{Code::kIo, where + ": " + ec.message()};
  port_ = acceptor_.local_endpoint().port();
  return {};
}

void HttpServer::Impl::do_accept() {
  // Each connection gets its own strand, so one slow client never holds up another.
  acceptor_.async_accept(asio::make_strand(ioc_), beast::bind_front_handler(&Impl::on_accept, shared_from_this()));
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopped_.load() || ec == asio::error::operation_aborted) return;
  if (ec) {
    HEARTH_LOG_WARN("api", "accept failed: %s", ec.message().c_str());
  } else {
    accepted_.fetch_add(1);
    HttpServerOptions opts = options();
    const bool over_limit = open_.load() + ws_open_.load() >= opts.max_connections;
    auto keep = [this](const std::shared_ptr<SessionBase>& session) {
      std::lock_guard<std::mutex> lock(mu_);
      std::erase_if(sessions_, [](const std::weak_ptr<SessionBase>& w) { return w.expired(); });
      sessions_.push_back(session);
    };
    if (tls_) {
      auto session =
          std::make_shared<Session<TlsStream>>(std::move(socket), *tls_, shared_from_this(), opts, over_limit);
      keep(session);
      session->run();
    } else {
      auto session = std::make_shared<Session<beast::tcp_stream>>(std::move(socket), shared_from_this(), opts,
                                                                 over_limit);
      keep(session);
      session->run();
    }
  }
  do_accept();
}

void HttpServer::Impl::stop() {
  if (stopped_.exchange(true)) return;
  auto self = shared_from_this();
  asio::post(acceptor_.get_executor(), [self] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
  std::vector<std::weak_ptr<SessionBase>> sessions;
  std::vector<std::weak_ptr<WsSessionBase>> ws_sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions.swap(sessions_);
    ws_sessions.swap(ws_sessions_);
  }
  for (const std::weak_ptr<SessionBase>& w : sessions) {
    if (std::shared_ptr<SessionBase> s = w.lock()) s->async_close();
  }
  for (const std::weak_ptr<WsSessionBase>& w : ws_sessions) {
    if (std::shared_ptr<WsSessionBase> s = w.lock()) s->async_shutdown();
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(asio::io_context& ioc, const std::string& host, uint16_t port,
                                                      const HttpServerOptions& options, HttpHandler handler,
                                                      WsFactory ws_factory) {
  auto impl = std::make_shared<Impl>(ioc, options, std::move(handler), std::move(ws_factory));
  if (options.tls.enabled) {
    // Before binding: a bad certificate is a config error, not a half-started server.
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    Result<TlsSetupInfo> info = setup_tls_server(ctx->native_handle(), options.tls);
    if (!info) return info.error();
    if (info->generated) {
      HEARTH_LOG_INFO("api", "TLS: generated a self-signed certificate %s (key %s, mode 0600)",
                      options.tls.cert_file.c_str(), options.tls.key_file.c_str());
    }
    HEARTH_LOG_INFO("api", "TLS: certificate %s, subject %s, valid until %s", options.tls.cert_file.c_str(),
                    info->subject.c_str(), info->not_after.c_str());
    if (info->key_too_open) {
      HEARTH_LOG_WARN("api", "TLS: key file %s is readable by other users; chmod 600 it",
                      options.tls.key_file.c_str());
    }
    impl->tls_ = std::move(ctx);
  }
  Result<void> r = impl->listen(host, port);
  if (!r) return r.error();
  impl->do_accept();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { impl_->stop(); }

uint16_t HttpServer::port() const { return impl_->port_; }
bool HttpServer::tls_enabled() const { return impl_->tls_ != nullptr; }
void HttpServer::set_options(const HttpServerOptions& options) { impl_->set_options(options); }
void HttpServer::stop() { impl_->stop(); }

HttpServer::Stats HttpServer::stats() const {
  Stats s;
  s.connections_accepted = impl_->accepted_.load();
  s.connections_rejected = impl_->rejected_.load();
  s.connections_open = impl_->open_.load();
  s.requests = impl_->requests_.load();
  s.bad_requests = impl_->bad_requests_.load();
  s.ws_open = impl_->ws_open_.load();
  s.ws_accepted = impl_->ws_accepted_.load();
  s.ws_messages_in = impl_->ws_in_.load();
  s.ws_messages_out = impl_->ws_out_.load();
  s.ws_dropped_slow = impl_->ws_dropped_.load();
  s.ws_bad_frames = impl_->ws_bad_.load();
  return s;
}

}  // namespace hearth
