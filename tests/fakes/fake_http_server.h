// tests/fakes/fake_http_server.h: a small HTTP/1.1 server on 127.0.0.1:0 for
// device tests — a Shelly/Tasmota-style local device or a vendor cloud. One
// thread, one connection at a time, answers from a handler (which may ask
// for a delay, to test timeouts). Records every request. Test-only.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hearth::test {

class FakeHttpServer {
 public:
  struct Request {
    std::string method, target, body, authorization;
  };
  struct Reply {
    unsigned status = 200;
    std::string body = "{}";
    int delay_ms = 0;  // wait before answering
  };
  using Handler = std::function<Reply(const Request&)>;

  explicit FakeHttpServer(Handler handler) : handler_(std::move(handler)), acceptor_(io_) {
    using boost::asio::ip::tcp;
    tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeHttpServer() {
    stop_ = true;
    // Wake the blocking accept with a connection of our own.
    try {
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket s(io);
      s.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    } catch (const std::exception&) {
    }
    thread_.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    namespace http = boost::beast::http;
    while (!stop_) {
      boost::asio::ip::tcp::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) continue;
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(sock, buf, req, ec);
      if (ec) continue;
      Request r{std::string(req.method_string()), std::string(req.target()), req.body(),
                std::string(req[http::field::authorization])};
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(r);
      }
      Reply reply = handler_(r);
      if (reply.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::content_type, "application/json");
      res.body() = reply.body;
      res.prepare_payload();
      http::write(sock, res, ec);
      sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
};

}  // namespace hearth::test
