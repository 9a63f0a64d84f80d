// The only translation unit of hearth_daemon_core that includes Beast.
#include "hearth/daemon/http_server.h"

#include <mutex>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "hearth/common/log.h"

namespace hearth {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr uint32_t kHeaderLimitBytes = 8 * 1024;
// After an error response sent before the request body was read (413), we
// read and discard what the client still sends for at most this long / this
// much, so closing does not reset the connection before the client has read
// the answer.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr size_t kLingerMaxBytes = 8 * 1024 * 1024;

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

class Session;

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(asio::io_context& ioc, HttpServerOptions options, HttpHandler handler)
      : ioc_(ioc), acceptor_(asio::make_strand(ioc)), options_(options), handler_(std::move(handler)) {}

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
    options_ = o;
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  mutable std::mutex mu_;  // guards options_ and sessions_
  HttpServerOptions options_;
  std::vector<std::weak_ptr<Session>> sessions_;
  const HttpHandler handler_;
  std::atomic<bool> stopped_{false};

  std::atomic<uint64_t> accepted_{0}, rejected_{0}, requests_{0}, bad_requests_{0};
  std::atomic<int64_t> open_{0};
};

// One connection. Lives on its own strand; kept alive by the handlers bound
// to it (shared_from_this), and ends when none is pending.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<HttpServer::Impl> server, HttpServerOptions options,
          bool over_limit)
      : stream_(std::move(socket)), server_(std::move(server)), options_(options), over_limit_(over_limit) {
    server_->open_.fetch_add(1);
  }
  ~Session() { server_->open_.fetch_sub(1); }

  void run() { asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_start, shared_from_this())); }

  // Called from any thread (server stop).
  void async_close() { asio::post(stream_.get_executor(), beast::bind_front_handler(&Session::do_force_close, shared_from_this())); }

 private:
  void do_start() {
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
    stream_.expires_after(options_.request_timeout);
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
    data.body = std::move(req.body());

    auto self = shared_from_this();
    server_->handler_(std::move(data), [self](HttpResponseData response) {
      // The handler may answer from any thread; writing belongs to our strand.
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
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
    stream_.expires_after(options_.request_timeout);
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
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTimeout);
    stream_.async_read_some(asio::buffer(linger_buf_),
                            beast::bind_front_handler(&Session::on_linger, shared_from_this()));
  }

  void on_linger(beast::error_code ec, size_t n) {
    lingered_ += n;
    if (ec || lingered_ >= kLingerMaxBytes || closed_) {
      do_force_close();
      return;
    }
    stream_.async_read_some(asio::buffer(linger_buf_),
                            beast::bind_front_handler(&Session::on_linger, shared_from_this()));
  }

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    do_force_close();
  }

  void do_force_close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
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
    const bool over_limit = open_.load() >= opts.max_connections;
    auto session = std::make_shared<Session>(std::move(socket), shared_from_this(), opts, over_limit);
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::erase_if(sessions_, [](const std::weak_ptr<Session>& w) { return w.expired(); });
      sessions_.push_back(session);
    }
    session->run();
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
  std::vector<std::weak_ptr<Session>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions.swap(sessions_);
  }
  for (const std::weak_ptr<Session>& w : sessions) {
    if (std::shared_ptr<Session> s = w.lock()) s->async_close();
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(asio::io_context& ioc, const std::string& host, uint16_t port,
                                                      const HttpServerOptions& options, HttpHandler handler) {
  auto impl = std::make_shared<Impl>(ioc, options, std::move(handler));
  Result<void> r = impl->listen(host, port);
  if (!r) return r.error();
  impl->do_accept();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { impl_->stop(); }

uint16_t HttpServer::port() const { return impl_->port_; }
void HttpServer::set_options(const HttpServerOptions& options) { impl_->set_options(options); }
void HttpServer::stop() { impl_->stop(); }

HttpServer::Stats HttpServer::stats() const {
  Stats s;
  s.connections_accepted = impl_->accepted_.load();
  s.connections_rejected = impl_->rejected_.load();
  s.connections_open = impl_->open_.load();
  s.requests = impl_->requests_.load();
  s.bad_requests = impl_->bad_requests_.load();
  return s;
}

}  // namespace hearth
