// The connectivity monitor: a TCP connect to a probe host on a timer. A probe
// that connects within its timeout means "up"; anything else means "down".
// Everything runs on the monitor's strand; network_up() reads an atomic.
#include <atomic>
#include <mutex>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "hearth/common/log.h"
#include "hearth/devices/protocols.h"

namespace hearth {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

void ConnectivityConfig::validate(ConfigErrors& out, std::string_view path) const {
  const std::string p(path);
  if (probe_host.empty()) out.add(p + ".probe_host", "must not be empty (an address such as 1.1.1.1)");
  if (probe_port < 1 || probe_port > 65535) out.add(p + ".probe_port", "must be in 1..65535, got " + std::to_string(probe_port));
  if (interval_ms < 100 || interval_ms > 3600000) {
    out.add(p + ".interval_ms", "must be in 100..3600000, got " + std::to_string(interval_ms));
  }
  if (timeout_ms < 50 || timeout_ms > 60000 || timeout_ms >= interval_ms) {
    out.add(p + ".timeout_ms", "must be in 50..60000 and below interval_ms, got " + std::to_string(timeout_ms));
  }
}

std::string ConnectivityConfig::to_string() const {
  return "ConnectivityConfig(probe_host=" + probe_host + ", probe_port=" + std::to_string(probe_port) +
         ", interval_ms=" + std::to_string(interval_ms) + ", timeout_ms=" + std::to_string(timeout_ms) + ")";
}

class ConnectivityMonitor::Impl : public std::enable_shared_from_this<ConnectivityMonitor::Impl> {
 public:
  Impl(asio::any_io_executor ex, ConnectivityConfig cfg)
      : strand_(asio::make_strand(ex)), cfg_(std::move(cfg)), timer_(strand_), probe_timer_(strand_),
        resolver_(strand_), socket_(strand_) {}

  void start() {
    asio::post(strand_, [self = shared_from_this()] {
      self->stopped_ = false;
      self->probe();
    });
  }

  void stop() {
    asio::post(strand_, [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
      self->probe_timer_.cancel();
      self->resolver_.cancel();
      boost::system::error_code ec;
      self->socket_.close(ec);
    });
  }

  void probe() {
    if (stopped_) return;
    const uint64_t id = ++probe_id_;
    auto self = shared_from_this();
    probe_timer_.expires_after(std::chrono::milliseconds(cfg_.timeout_ms));
    probe_timer_.async_wait([self, id](const boost::system::error_code& ec) {
      if (ec || id != self->probe_id_) return;
      self->resolver_.cancel();
      boost::system::error_code ignored;
      self->socket_.close(ignored);
      self->finish(id, false, "no connection within " + std::to_string(self->cfg_.timeout_ms) + " ms");
    });
    resolver_.async_resolve(cfg_.probe_host, std::to_string(cfg_.probe_port),
                            [self, id](const boost::system::error_code& ec, tcp::resolver::results_type r) {
                              if (id != self->probe_id_ || self->done_id_ == id) return;
                              if (ec) return self->finish(id, false, "resolve: " + ec.message());
                              boost::system::error_code ignored;
                              self->socket_.close(ignored);
                              asio::async_connect(self->socket_, r,
                                                  [self, id](const boost::system::error_code& ec2, const tcp::endpoint&) {
                                                    if (ec2) return self->finish(id, false, "connect: " + ec2.message());
                                                    self->finish(id, true, "");
                                                  });
                            });
  }

  void finish(uint64_t id, bool up, const std::string& why) {
    if (done_id_ == id) return;
    done_id_ = id;
    probe_timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    probes_.fetch_add(1);
    const bool was = up_.exchange(up);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (was != up) since_ = std::chrono::system_clock::now();
      reason_ = up ? std::string() : cfg_.probe_host + ":" + std::to_string(cfg_.probe_port) + " " + why;
    }
    if (was != up) {
      if (up) {
        HEARTH_LOG_INFO("devices", "network is up (%s:%d reachable)", cfg_.probe_host.c_str(), cfg_.probe_port);
      } else {
        HEARTH_LOG_WARN("devices", "network is down: %s:%d %s", cfg_.probe_host.c_str(), cfg_.probe_port, why.c_str());
      }
      if (listener_) listener_(up);
    }
    if (stopped_) return;
    timer_.expires_after(std::chrono::milliseconds(cfg_.interval_ms));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->probe();
    });
  }

  asio::strand<asio::any_io_executor> strand_;
  ConnectivityConfig cfg_;
  asio::steady_timer timer_;        // between probes
  asio::steady_timer probe_timer_;  // one probe's timeout
  tcp::resolver resolver_;
  tcp::socket socket_;
  uint64_t probe_id_ = 0, done_id_ = 0;
  bool stopped_ = true;
  std::function<void(bool)> listener_;
  std::atomic<bool> up_{true};
  std::atomic<uint64_t> probes_{0};
  mutable std::mutex mu_;  // guards since_, reason_
  std::chrono::system_clock::time_point since_ = std::chrono::system_clock::now();
  std::string reason_;
};

ConnectivityMonitor::ConnectivityMonitor(boost::asio::any_io_executor ex, ConnectivityConfig cfg)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(cfg))) {}

ConnectivityMonitor::~ConnectivityMonitor() { impl_->stop(); }

void ConnectivityMonitor::start() { impl_->start(); }
void ConnectivityMonitor::stop() { impl_->stop(); }
bool ConnectivityMonitor::network_up() const { return impl_->up_.load(); }
void ConnectivityMonitor::set_listener(std::function<void(bool up)> listener) {
  impl_->listener_ = std::move(listener);
}
uint64_t ConnectivityMonitor::probes() const { return impl_->probes_.load(); }
ConnectivityMonitor::Status ConnectivityMonitor::status() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return Status{impl_->up_.load(), impl_->since_, impl_->reason_};
}

}  // namespace hearth
