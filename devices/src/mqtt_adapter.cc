// The MQTT side of the bus: one libmosquitto connection (MqttClient) shared by
// every "mqtt" device, and one MqttAdapter per device.
//
// Event-loop integration. libmosquitto offers a threaded loop
// (mosquitto_loop_start) or the primitives for an external loop. We use the
// primitives: the client's socket is dup()ed into an asio
// posix::stream_descriptor, async_wait(read/write) tells us when to call
// mosquitto_loop_read / mosquitto_loop_write, and a 250 ms timer calls
// mosquitto_loop_misc (keepalive, connect timeout). Why not the threaded loop:
// it would add a thread per broker, every callback would need a post back
// plus locking around the mosquitto handle (publish from our strand, loop on
// its thread), and shutdown would have to join a thread that may sit in a
// blocking connect. With the primitives every libmosquitto call runs on one
// strand (the client's), nothing blocks except the name lookup inside
// mosquitto_connect_async (use an address in "host" to avoid it), and no
// thread is busy while the broker is quiet. The descriptor is a dup so
// libmosquitto may close its own fd whenever it likes without asio's epoll
// registration pointing at a reused number.
//
// Callbacks: libmosquitto calls us from inside loop_read/loop_write (on the
// client's strand); messages for a device are posted to that device's strand,
// so MqttAdapter state is touched only there.
//
// Delivery: commands are QoS 1. A command is "sent" when the broker's PUBACK
// arrives; the bus then waits for the device's state report (confirms_by_report).
// Not connected → kUnavailable at once (not delivered, safe to retry). Connection
// lost before PUBACK → kIo (maybe delivered: only idempotent actions are retried).
// Each reconnect uses a fresh libmosquitto handle so the library never resends
// an unacknowledged command by itself: at most once per adapter call.
#include <fcntl.h>
#include <mosquitto.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "hearth/common/log.h"
#include "hearth/devices/bus.h"
#include "hearth/devices/protocols.h"
#include "mqtt_codec.h"
#include "virtual_adapter.h"

namespace hearth {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// ---- MqttConfig ----

void MqttConfig::validate(ConfigErrors& out, std::string_view path) const {
  const std::string p(path);
  if (!enabled) return;
  if (host.empty()) out.add(p + ".host", "must not be empty (broker host name or address)");
  if (port < 1 || port > 65535) out.add(p + ".port", "must be in 1..65535, got " + std::to_string(port));
  if (client_id.empty() || client_id.size() > 23 * 10) {
    out.add(p + ".client_id", "must be 1..230 characters, got " + std::to_string(client_id.size()));
  }
  if (!password.empty() && username.empty()) out.add(p + ".password", "is set but username is empty");
  if (keepalive_s < 5 || keepalive_s > 3600) {
    out.add(p + ".keepalive_s", "must be in 5..3600, got " + std::to_string(keepalive_s));
  }
  if (tls) {
    if (tls_ca_file.empty()) out.add(p + ".tls_ca_file", "is required when tls is true (PEM CA bundle)");
    for (const auto& [key, file] : {std::pair<const char*, const std::string*>{"tls_ca_file", &tls_ca_file},
                                    {"tls_cert_file", &tls_cert_file},
                                    {"tls_key_file", &tls_key_file}}) {
      if (!file->empty() && access(file->c_str(), R_OK) != 0) {
        out.add(p + "." + key, "'" + *file + "' is not readable: " + std::strerror(errno));
      }
    }
    if (tls_cert_file.empty() != tls_key_file.empty()) {
      out.add(p + ".tls_key_file", "tls_cert_file and tls_key_file go together");
    }
  }
  if (reconnect_min_ms < 10 || reconnect_min_ms > 60000) {
    out.add(p + ".reconnect_min_ms", "must be in 10..60000, got " + std::to_string(reconnect_min_ms));
  }
  if (reconnect_max_ms < reconnect_min_ms || reconnect_max_ms > 300000) {
    out.add(p + ".reconnect_max_ms", "must be in reconnect_min_ms..300000, got " + std::to_string(reconnect_max_ms));
  }
  if (connect_timeout_ms < 100 || connect_timeout_ms > 60000) {
    out.add(p + ".connect_timeout_ms", "must be in 100..60000, got " + std::to_string(connect_timeout_ms));
  }
  auto check_topic = [&](const char* key, const std::string& t) {
    if (t.empty() || t.find_first_of("+#") != std::string::npos || t.back() == '/') {
      out.add(p + "." + key, "must be a non-empty topic without wildcards or a trailing '/', got '" + t + "'");
    }
  };
  check_topic("z2m_base_topic", z2m_base_topic);
  check_topic("ha_discovery_prefix", ha_discovery_prefix);
  check_topic("status_topic", status_topic);
}

std::string MqttConfig::to_string() const {
  return "MqttConfig(enabled=" + std::string(enabled ? "true" : "false") + ", host=" + host +
         ", port=" + std::to_string(port) + ", client_id=" + client_id + ", username=" + username +
         ", password=" + (password.empty() ? "" : "<redacted>") + ", keepalive_s=" + std::to_string(keepalive_s) +
         ", tls=" + (tls ? "true" : "false") + ", tls_ca_file=" + tls_ca_file + ", tls_cert_file=" + tls_cert_file +
         ", tls_key_file=" + tls_key_file + ", tls_insecure=" + (tls_insecure ? "true" : "false") +
         ", reconnect_min_ms=" + std::to_string(reconnect_min_ms) + ", reconnect_max_ms=" +
         std::to_string(reconnect_max_ms) + ", connect_timeout_ms=" + std::to_string(connect_timeout_ms) +
         ", z2m_base_topic=" + z2m_base_topic + ", ha_discovery_prefix=" + ha_discovery_prefix +
         ", discovery=" + (discovery ? "true" : "false") + ", status_topic=" + status_topic + ")";
}

namespace {

using Strand = asio::strand<asio::any_io_executor>;
constexpr milliseconds kMiscInterval{250};     // mosquitto_loop_misc cadence (keepalive checks)
constexpr int kMaxPacketsPerWake = 64;         // loop_read/loop_write packets per readiness event
constexpr size_t kMaxPayloadBytes = 256 * 1024;  // larger messages are ignored (bridge/devices fits easily)

std::once_flag g_lib_init;

// Per-device state, on the device's strand.
struct AdapterCore;

}  // namespace

class MqttClient::Impl : public std::enable_shared_from_this<MqttClient::Impl> {
 public:
  using PublishDone = std::function<void(Result<void>)>;

  Impl(asio::any_io_executor ex, MqttConfig cfg, const Clock& clock)
      : strand_(asio::make_strand(ex)), cfg_(std::move(cfg)), clock_(clock), misc_timer_(strand_),
        reconnect_timer_(strand_), rng_(std::random_device{}()) {}

  ~Impl() {
    if (sd_) {
      boost::system::error_code ec;
      sd_->close(ec);
    }
    if (mosq_) mosquitto_destroy(mosq_);
  }

  Result<void> init() {
    std::call_once(g_lib_init, [] { mosquitto_lib_init(); });
    HEARTH_TRY(make_handle());
    if (cfg_.discovery) {
      filters_.insert(cfg_.z2m_base_topic + "/bridge/devices");
      filters_.insert(cfg_.ha_discovery_prefix + "/+/+/config");
      filters_.insert(cfg_.ha_discovery_prefix + "/+/+/+/config");
    }
    return {};
  }

  // A fresh libmosquitto handle. Made again after every lost connection:
  // libmosquitto would otherwise resend unacknowledged QoS 1 commands on
  // reconnect, and a toggle sent twice is a toggle undone. The bus decides
  // what may be repeated (idempotent actions only).
  Result<void> make_handle() {
    if (mosq_) mosquitto_destroy(mosq_);
    mosq_ = mosquitto_new(cfg_.client_id.c_str(), true, this);
    if (!mosq_) return Error{Code::kInternal, std::string("mqtt: mosquitto_new failed: ") + std::strerror(errno)};
    // Commands are small and latency matters more than packet count:
    // without this, Nagle + delayed ACK add ~40 ms to a round trip.
    mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(mosq_, &Impl::on_connect_cb);
    mosquitto_disconnect_callback_set(mosq_, &Impl::on_disconnect_cb);
    mosquitto_publish_callback_set(mosq_, &Impl::on_publish_cb);
    mosquitto_message_callback_set(mosq_, &Impl::on_message_cb);
    mosquitto_log_callback_set(mosq_, &Impl::on_log_cb);
    if (!cfg_.username.empty()) {
      int rc = mosquitto_username_pw_set(mosq_, cfg_.username.c_str(),
                                         cfg_.password.empty() ? nullptr : cfg_.password.c_str());
      if (rc != MOSQ_ERR_SUCCESS) return lib_error("username", rc);
    }
    if (cfg_.tls) {
      int rc = mosquitto_tls_set(mosq_, cfg_.tls_ca_file.c_str(), nullptr,
                                 cfg_.tls_cert_file.empty() ? nullptr : cfg_.tls_cert_file.c_str(),
                                 cfg_.tls_key_file.empty() ? nullptr : cfg_.tls_key_file.c_str(), nullptr);
      if (rc != MOSQ_ERR_SUCCESS) return lib_error("tls", rc);
      if (cfg_.tls_insecure) mosquitto_tls_insecure_set(mosq_, true);
    }
    const char* offline = "offline";
    int rc = mosquitto_will_set(mosq_, cfg_.status_topic.c_str(), static_cast<int>(std::strlen(offline)), offline, 1,
                                true);
    if (rc != MOSQ_ERR_SUCCESS) return lib_error("will", rc);
    return {};
  }

  // ---- life cycle (any thread → strand) ----

  void start() {
    asio::post(strand_, [self = shared_from_this()] {
      if (self->started_ || self->shut_down_) return;
      self->started_ = true;
      self->schedule_misc();
      self->do_connect();
    });
  }

  void shutdown(std::function<void()> done) {
    asio::post(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
      self->do_shutdown();
      if (done) done();
    });
  }

  // ---- used by adapters ----

  // Registers `core` for `topics` (exact topics). Any thread.
  void add_route(const std::vector<std::string>& topics, std::weak_ptr<AdapterCore> core, asio::any_io_executor ex,
                 std::vector<std::string> bound_keys) {
    asio::post(strand_, [self = shared_from_this(), topics, core, ex, bound_keys = std::move(bound_keys)] {
      for (const std::string& t : topics) {
        self->routes_[t].push_back(Route{core, ex});
        // Subscribing again to a known topic is deliberate: the broker then
        // resends its retained state, which a bus rebuilt by a reload needs.
        self->filters_.insert(t);
        if (self->connected_) self->subscribe(t);
      }
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        for (const std::string& k : bound_keys) self->bound_.insert(k);
      }
      for (const std::string& k : bound_keys) {
        if (k.rfind("z2m:", 0) != 0) continue;
        const std::string name = k.substr(4);
        self->z2m_cores_[name].push_back(Route{core, ex});
        // A bridge/devices list seen before this device was bound (a reload) still counts.
        if (self->z2m_names_ && self->z2m_names_complete_ && !self->z2m_names_->count(name)) {
          self->deliver_listed(Route{core, ex}, false);
        }
      }
      self->refresh_proposals();
    });
  }

  // Publishes `messages` in order; `done` runs on the client's strand once the
  // broker acknowledged all of them (QoS 1/2) or they were written (QoS 0).
  void publish(std::vector<mqtt::Publish> messages, int qos, bool retain, PublishDone done) {
    asio::post(strand_, [self = shared_from_this(), messages = std::move(messages), qos, retain,
                         done = std::move(done)]() mutable {
      self->do_publish(messages, qos, retain, std::move(done));
    });
  }

  void count_malformed() { malformed_.fetch_add(1); }

  void add_handler(std::string filter, MqttClient::MessageHandler handler) {
    asio::post(strand_, [self = shared_from_this(), filter = std::move(filter), handler = std::move(handler)] {
      self->handlers_.emplace_back(filter, handler);
      if (self->filters_.insert(filter).second && self->connected_) self->subscribe(filter);
    });
  }

  MqttClient::Status status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return MqttClient::Status{connected_flag_.load(), status_since_, status_reason_};
  }
  void set_connection_listener(std::function<void(bool, const std::string&)> l) {
    std::lock_guard<std::mutex> lock(mu_);
    connection_listener_ = std::move(l);
  }

  bool connected() const { return connected_flag_.load(); }

  MqttClient::Stats stats() const {
    MqttClient::Stats s;
    s.connects = connects_.load();
    s.disconnects = disconnects_.load();
    s.messages_in = messages_in_.load();
    s.published = published_.load();
    s.malformed = malformed_.load();
    s.last_reconnect_ms = milliseconds(last_reconnect_ms_.load());
    return s;
  }

  std::vector<ProposedDevice> proposals() const {
    std::lock_guard<std::mutex> lock(mu_);
    return proposals_;
  }
  void set_proposals_listener(std::function<void()> l) {
    std::lock_guard<std::mutex> lock(mu_);
    proposals_listener_ = std::move(l);
  }

  const MqttConfig& config() const { return cfg_; }
  const Clock& clock() const { return clock_; }

 private:
  struct Route {
    std::weak_ptr<AdapterCore> core;
    asio::any_io_executor ex;
  };
  struct Pending {
    int remaining = 0;   // PUBACKs still expected
    bool failed = false;
    PublishDone done;
  };

  static Error lib_error(const char* what, int rc) {
    return Error{Code::kBadInput, std::string("mqtt: ") + what + ": " + mosquitto_strerror(rc)};
  }

  // ---- connection ----

  void do_connect() {
    if (shut_down_) return;
    connecting_ = true;
    connect_started_ = std::chrono::steady_clock::now();
    if (!first_connect_) {
      if (Result<void> h = make_handle(); !h) {
        HEARTH_LOG_ERROR("devices", "%s", h.error().message.c_str());
        connection_lost();
        return;
      }
    }
    first_connect_ = false;
    int rc = mosquitto_connect_async(mosq_, cfg_.host.c_str(), cfg_.port, cfg_.keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_PENDING) {
      const std::string why = describe(rc);
      HEARTH_LOG_WARN("devices", "mqtt %s:%d: connect failed: %s; retrying", cfg_.host.c_str(), cfg_.port, why.c_str());
      set_reason(std::string("connect failed: ") + why);
      connection_lost();
      return;
    }
    const int fd = mosquitto_socket(mosq_);
    if (fd < 0) {
      connection_lost();
      return;
    }
    const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
      HEARTH_LOG_WARN("devices", "mqtt: dup of the broker socket failed: %s", std::strerror(errno));
      connection_lost();
      return;
    }
    ++generation_;
    reading_ = writing_ = false;
    sd_.emplace(strand_, copy);
    arm(true);
  }

  // Waits for readiness; `force_write` waits for writability even when
  // libmosquitto has nothing queued (the end of a non-blocking connect).
  void arm(bool force_write = false) {
    if (!sd_ || !sd_->is_open()) return;
    const uint64_t gen = generation_;
    if (!reading_) {
      reading_ = true;
      sd_->async_wait(asio::posix::stream_descriptor::wait_read,
                      asio::bind_executor(strand_, [self = shared_from_this(), gen](const boost::system::error_code& ec) {
                        if (gen != self->generation_) return;
                        self->reading_ = false;
                        if (ec) return;
                        self->check(mosquitto_loop_read(self->mosq_, kMaxPacketsPerWake));
                      }));
    }
    if (!writing_ && (force_write || mosquitto_want_write(mosq_))) {
      writing_ = true;
      sd_->async_wait(asio::posix::stream_descriptor::wait_write,
                      asio::bind_executor(strand_, [self = shared_from_this(), gen](const boost::system::error_code& ec) {
                        if (gen != self->generation_) return;
                        self->writing_ = false;
                        if (ec) return;
                        self->check(mosquitto_loop_write(self->mosq_, kMaxPacketsPerWake));
                      }));
    }
  }

  // After every libmosquitto call: a closed socket means the connection is gone.
  void check(int rc) {
    if (shut_down_) return;
    if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(mosq_) < 0) {
      if (rc != MOSQ_ERR_SUCCESS) {
        const std::string why = describe(rc);
        HEARTH_LOG_WARN("devices", "mqtt %s:%d: %s: %s", cfg_.host.c_str(), cfg_.port,
                        connected_ ? "connection lost" : "cannot connect", why.c_str());
        set_reason(why);
      } else {
        set_reason(connected_ ? "connection closed by the broker" : "broker closed the connection before CONNACK");
      }
      connection_lost();
      return;
    }
    arm();
  }

  void connection_lost() {
    const bool was_connected = connected_;
    connected_ = false;
    connected_flag_.store(false);
    connecting_ = false;
    ++generation_;
    reading_ = writing_ = false;
    if (sd_) {
      boost::system::error_code ec;
      sd_->close(ec);
      sd_.reset();
    }
    disconnects_.fetch_add(1);
    if (was_connected) {
      lost_at_ = std::chrono::steady_clock::now();
      notify_state(false);
    }
    // Unacknowledged commands may or may not have reached the broker.
    std::map<int, std::shared_ptr<Pending>> pending;
    pending.swap(pending_);
    std::set<Pending*> answered;
    for (auto& [mid, p] : pending) {
      if (!answered.insert(p.get()).second || p->failed) continue;
      p->failed = true;
      if (p->done) p->done(Error{Code::kIo, "mqtt: connection to the broker lost before it acknowledged the command"});
    }
    if (shut_down_) return;
    const int delay = next_backoff_ms();
    reconnect_timer_.expires_after(milliseconds(delay));
    reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->do_connect();
    });
  }

  int next_backoff_ms() {
    const int64_t max = cfg_.reconnect_max_ms;
    int64_t base = cfg_.reconnect_min_ms;
    for (int i = 0; i < failures_ && base < max; ++i) base *= 2;
    base = std::min(base, max);
    ++failures_;
    // Jitter in [base/2, base] so a houseful of clients does not reconnect in step.
    std::uniform_int_distribution<int64_t> d(base / 2, base);
    return static_cast<int>(d(rng_));
  }

  void schedule_misc() {
    misc_timer_.expires_after(kMiscInterval);
    misc_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->shut_down_) return;
      self->on_misc();
      self->schedule_misc();
    });
  }

  void on_misc() {
    if (!sd_) return;
    if (connecting_ && std::chrono::steady_clock::now() - connect_started_ > milliseconds(cfg_.connect_timeout_ms)) {
      HEARTH_LOG_WARN("devices", "mqtt %s:%d: no CONNACK within %d ms; retrying", cfg_.host.c_str(), cfg_.port,
                      cfg_.connect_timeout_ms);
      set_reason("no CONNACK within " + std::to_string(cfg_.connect_timeout_ms) + " ms");
      connection_lost();
      return;
    }
    check(mosquitto_loop_misc(mosq_));
  }

  void do_shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    misc_timer_.cancel();
    reconnect_timer_.cancel();
    if (connected_) {
      const char* offline = "offline";
      mosquitto_publish(mosq_, nullptr, cfg_.status_topic.c_str(), static_cast<int>(std::strlen(offline)), offline, 0,
                        true);
      mosquitto_disconnect(mosq_);
      mosquitto_loop_write(mosq_, kMaxPacketsPerWake);  // best effort: the socket is usually writable
    }
    connected_ = false;
    connected_flag_.store(false);
    ++generation_;
    if (sd_) {
      boost::system::error_code ec;
      sd_->close(ec);
      sd_.reset();
    }
    std::map<int, std::shared_ptr<Pending>> pending;
    pending.swap(pending_);
    std::set<Pending*> answered;
    for (auto& [mid, p] : pending) {
      if (!answered.insert(p.get()).second || p->failed) continue;
      p->failed = true;
      if (p->done) p->done(Error{Code::kCancelled, "mqtt: client shut down"});
    }
  }

  void subscribe(const std::string& filter) {
    int rc = mosquitto_subscribe(mosq_, nullptr, filter.c_str(), 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      HEARTH_LOG_WARN("devices", "mqtt: subscribe %s: %s", filter.c_str(), mosquitto_strerror(rc));
    }
    arm();
  }

  void do_publish(const std::vector<mqtt::Publish>& messages, int qos, bool retain, PublishDone done) {
    if (shut_down_) {
      done(Error{Code::kCancelled, "mqtt: client shut down"});
      return;
    }
    if (!connected_) {
      done(Error{Code::kUnavailable, "mqtt: not connected to the broker " + cfg_.host + ":" + std::to_string(cfg_.port)});
      return;
    }
    auto pending = std::make_shared<Pending>();
    pending->done = std::move(done);
    for (const mqtt::Publish& m : messages) {
      int mid = 0;
      int rc = mosquitto_publish(mosq_, &mid, m.topic.c_str(), static_cast<int>(m.payload.size()), m.payload.data(),
                                 qos, retain);
      if (rc != MOSQ_ERR_SUCCESS) {
        pending->failed = true;
        // Earlier messages of this command may be out; later ones are not.
        Code code = pending->remaining == 0 ? Code::kUnavailable : Code::kIo;
        for (auto it = pending_.begin(); it != pending_.end();) {
          it = it->second == pending ? pending_.erase(it) : std::next(it);
        }
        pending->done(Error{code, "mqtt: publish to " + m.topic + ": " + mosquitto_strerror(rc)});
        check(MOSQ_ERR_SUCCESS);
        return;
      }
      published_.fetch_add(1);
      if (qos > 0) {
        ++pending->remaining;
        pending_[mid] = pending;
      }
    }
    if (qos == 0) pending->done(Result<void>{});
    arm();
  }

  // ---- libmosquitto callbacks (inside loop_* on the strand) ----

  static void on_connect_cb(mosquitto*, void* obj, int rc) { static_cast<Impl*>(obj)->on_connect(rc); }
  static void on_disconnect_cb(mosquitto*, void* obj, int rc) { static_cast<Impl*>(obj)->on_disconnect(rc); }
  static void on_publish_cb(mosquitto*, void* obj, int mid) { static_cast<Impl*>(obj)->on_publish(mid); }
  static void on_message_cb(mosquitto*, void* obj, const mosquitto_message* m) {
    static_cast<Impl*>(obj)->on_message(m);
  }

  void on_connect(int rc) {
    connecting_ = false;
    if (rc != 0) {
      HEARTH_LOG_ERROR("devices", "mqtt %s:%d: broker refused the connection: %s", cfg_.host.c_str(), cfg_.port,
                       mosquitto_connack_string(rc));
      set_reason(std::string("broker refused the connection: ") + mosquitto_connack_string(rc));
      return;  // the broker closes the socket; check() then reconnects with backoff
    }
    connected_ = true;
    failures_ = 0;
    connects_.fetch_add(1);
    if (lost_at_) {
      last_reconnect_ms_.store(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - *lost_at_).count());
      lost_at_.reset();
    }
    HEARTH_LOG_INFO("devices", "mqtt %s:%d: connected; subscribing to %zu topic(s)", cfg_.host.c_str(), cfg_.port,
                    filters_.size());
    for (const std::string& f : filters_) subscribe(f);
    const char* online = "online";
    mosquitto_publish(mosq_, nullptr, cfg_.status_topic.c_str(), static_cast<int>(std::strlen(online)), online, 1, true);
    set_reason("connected to " + cfg_.host + ":" + std::to_string(cfg_.port) + (cfg_.tls ? " (TLS)" : ""));
    // After the reason: whoever sees connected() == true reads the new status().
    connected_flag_.store(true);
    notify_state(true);
  }

  // A libmosquitto error code in words; TLS failures carry OpenSSL's reason
  // (from the library's log) and what to check.
  std::string describe(int rc) const {
    if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
    if (rc != MOSQ_ERR_TLS) return mosquitto_strerror(rc);
    return "TLS handshake failed" + (last_lib_error_.empty() ? std::string() : " (" + last_lib_error_ + ")") +
           "; check that tls_ca_file signed the broker's certificate and that its name matches host";
  }

  static void on_log_cb(mosquitto*, void* obj, int level, const char* text) {
    if (level == MOSQ_LOG_ERR && text) static_cast<Impl*>(obj)->last_lib_error_ = text;
  }

  void set_reason(std::string why) {
    std::lock_guard<std::mutex> lock(mu_);
    status_reason_ = std::move(why);
  }

  // Connection state flipped: remember when, tell the listener.
  void notify_state(bool up) {
    std::function<void(bool, const std::string&)> listener;
    std::string why;
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_since_ = std::chrono::system_clock::now();
      listener = connection_listener_;
      why = status_reason_;
    }
    if (listener) listener(up, why);
  }

  // libmosquitto calls this from inside mosquitto_loop_read/misc when the
  // socket closes, before that call returns the error check() acts on. The
  // state change belongs to connection_lost() alone: clearing connected_ here
  // made it think the connection had never been up, so the loss time, the
  // reconnect figure and the "down" notification were all skipped.
  void on_disconnect(int rc) { (void)rc; }

  void on_publish(int mid) {
    auto it = pending_.find(mid);
    if (it == pending_.end()) return;
    std::shared_ptr<Pending> p = it->second;
    pending_.erase(it);
    if (p->failed) return;
    if (--p->remaining == 0 && p->done) p->done(Result<void>{});
  }

  void on_message(const mosquitto_message* m) {
    messages_in_.fetch_add(1);
    if (!m || !m->topic) return;
    const std::string topic = m->topic;
    if (m->payloadlen < 0 || static_cast<size_t>(m->payloadlen) > kMaxPayloadBytes) {
      malformed_.fetch_add(1);
      HEARTH_LOG_WARN("devices", "mqtt %s: %d-byte payload ignored (limit %zu)", topic.c_str(), m->payloadlen,
                      kMaxPayloadBytes);
      return;
    }
    std::string payload(static_cast<const char*>(m->payload), static_cast<size_t>(m->payloadlen));
    if (cfg_.discovery && topic == cfg_.z2m_base_topic + "/bridge/devices") {
      on_bridge_devices(payload);
      return;
    }
    if (cfg_.discovery && topic.rfind(cfg_.ha_discovery_prefix + "/", 0) == 0 && topic.size() > 7 &&
        topic.compare(topic.size() - 7, 7, "/config") == 0) {
      on_ha_discovery(topic, payload);
      return;
    }
    for (const auto& [filter, handler] : handlers_) {
      bool match = false;
      if (mosquitto_topic_matches_sub(filter.c_str(), topic.c_str(), &match) == MOSQ_ERR_SUCCESS && match) {
        handler(topic, payload);
      }
    }
    auto it = routes_.find(topic);
    if (it == routes_.end()) return;
    std::vector<Route>& routes = it->second;
    routes.erase(std::remove_if(routes.begin(), routes.end(), [](const Route& r) { return r.core.expired(); }),
                 routes.end());
    for (const Route& r : routes) deliver(r, topic, payload);
  }

  void deliver(const Route& r, const std::string& topic, const std::string& payload);

  void on_bridge_devices(const std::string& payload) {
    int skipped = 0;
    Result<std::vector<ProposedDevice>> list = mqtt::parse_z2m_bridge_devices(payload, &skipped);
    if (!list) {
      malformed_.fetch_add(1);
      HEARTH_LOG_WARN("devices", "mqtt: %s/bridge/devices ignored: %s", cfg_.z2m_base_topic.c_str(),
                      list.error().message.c_str());
      return;
    }
    if (skipped > 0) {
      malformed_.fetch_add(static_cast<uint64_t>(skipped));
      HEARTH_LOG_WARN("devices", "mqtt: %s/bridge/devices: %d malformed entr%s skipped", cfg_.z2m_base_topic.c_str(),
                      skipped, skipped == 1 ? "y" : "ies");
    }
    z2m_seen_ = std::move(*list);
    refresh_proposals();
    // Bound devices that left the list (removed from the Zigbee network, or
    // renamed) fail fast instead of waiting for a report that never comes.
    bool complete = true;
    Result<std::vector<std::string>> names = mqtt::z2m_bridge_names(payload, &complete);
    if (!names) return;
    z2m_names_ = std::set<std::string>(names->begin(), names->end());
    z2m_names_complete_ = complete;
    for (auto it = z2m_cores_.begin(); it != z2m_cores_.end();) {
      std::vector<Route>& routes = it->second;
      routes.erase(std::remove_if(routes.begin(), routes.end(), [](const Route& r) { return r.core.expired(); }),
                   routes.end());
      if (routes.empty()) {
        it = z2m_cores_.erase(it);
        continue;
      }
      const bool listed = z2m_names_->count(it->first) > 0;
      if (listed || complete) {
        for (const Route& r : routes) deliver_listed(r, listed);
      }
      ++it;
    }
  }

  void deliver_listed(const Route& r, bool listed);

  void on_ha_discovery(const std::string& topic, const std::string& payload) {
    Result<std::optional<ProposedDevice>> p = mqtt::parse_ha_discovery(topic, payload, cfg_.ha_discovery_prefix);
    if (!p) {
      if (p.error().code == Code::kUnsupported) {
        HEARTH_LOG_DEBUG("devices", "mqtt: %s skipped: %s", topic.c_str(), p.error().message.c_str());
        return;
      }
      malformed_.fetch_add(1);
      HEARTH_LOG_WARN("devices", "mqtt: discovery %s ignored: %s", topic.c_str(), p.error().message.c_str());
      return;
    }
    if (*p) {
      ha_seen_[topic] = std::move(**p);
    } else {
      ha_seen_.erase(topic);
    }
    refresh_proposals();
  }

  // Seen devices minus the ones already bound; tells the listener on change.
  void refresh_proposals() {
    std::function<void()> listener;
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<ProposedDevice> next;
      for (const ProposedDevice& p : z2m_seen_) {
        if (!bound_.count("z2m:" + p.source_key)) next.push_back(p);
      }
      for (const auto& [topic, p] : ha_seen_) {
        bool bound = false;
        for (const char* key : {"command_topic", "state_topic"}) {
          const std::string needle = std::string("\"") + key + "\":\"";
          size_t at = p.adapter_json.find(needle);
          if (at == std::string::npos) continue;
          at += needle.size();
          const std::string t = p.adapter_json.substr(at, p.adapter_json.find('"', at) - at);
          bound = bound || bound_.count("topic:" + t) > 0;
        }
        if (!bound) next.push_back(p);
      }
      auto key = [](const ProposedDevice& p) { return p.source + "|" + p.source_key + "|" + p.adapter_json; };
      bool same = next.size() == proposals_.size();
      for (size_t i = 0; same && i < next.size(); ++i) same = key(next[i]) == key(proposals_[i]);
      if (same) return;
      proposals_ = std::move(next);
      listener = proposals_listener_;
    }
    if (listener) listener();
  }

  Strand strand_;
  MqttConfig cfg_;
  const Clock& clock_;
  mosquitto* mosq_ = nullptr;
  std::optional<asio::posix::stream_descriptor> sd_;  // a dup of libmosquitto's socket
  asio::steady_timer misc_timer_;
  asio::steady_timer reconnect_timer_;
  std::mt19937_64 rng_;
  uint64_t generation_ = 0;   // bumps when the socket changes; stale waits see a different value
  bool reading_ = false, writing_ = false;
  bool started_ = false, shut_down_ = false, first_connect_ = true;
  bool connecting_ = false, connected_ = false;
  int failures_ = 0;          // consecutive failed attempts (backoff exponent)
  std::chrono::steady_clock::time_point connect_started_;
  std::optional<std::chrono::steady_clock::time_point> lost_at_;
  std::set<std::string> filters_;                   // every subscription, replayed on each connect
  std::map<std::string, std::vector<Route>> routes_;  // exact topic → device adapters
  std::map<int, std::shared_ptr<Pending>> pending_;   // mid → command awaiting PUBACK
  std::vector<ProposedDevice> z2m_seen_;
  std::map<std::string, ProposedDevice> ha_seen_;

  mutable std::mutex mu_;  // guards proposals_, bound_, proposals_listener_
  std::vector<ProposedDevice> proposals_;
  std::set<std::string> bound_;  // "z2m:<friendly>" and "topic:<topic>" of bound devices
  std::function<void()> proposals_listener_;
  std::function<void(bool, const std::string&)> connection_listener_;
  std::string status_reason_ = "not connected yet";
  std::chrono::system_clock::time_point status_since_ = std::chrono::system_clock::now();
  std::vector<std::pair<std::string, MqttClient::MessageHandler>> handlers_;  // strand only
  std::string last_lib_error_;  // libmosquitto's last error log line (TLS details); strand only

  std::atomic<bool> connected_flag_{false};
  std::atomic<uint64_t> connects_{0}, disconnects_{0}, messages_in_{0}, published_{0}, malformed_{0};
  std::atomic<int64_t> last_reconnect_ms_{-1};
  // Zigbee2MQTT devices the home binds, by friendly name, and the last
  // bridge/devices list (strand only).
  std::map<std::string, std::vector<Route>> z2m_cores_;
  std::optional<std::set<std::string>> z2m_names_;
  bool z2m_names_complete_ = false;
};

namespace {

struct AdapterCore {
  AdapterCore(asio::any_io_executor e, Device d, mqtt::Binding b, std::shared_ptr<MqttClient::Impl> c)
      : ex(std::move(e)), device(std::move(d)), binding(std::move(b)), client(std::move(c)), last(device.initial) {}

  // A message on one of this device's topics. On the device's strand.
  void on_message(const std::string& topic, const std::string& payload) {
    if (shut_down) return;
    if (topic == binding.availability_topic && !binding.availability_topic.empty()) {
      Result<bool> online = mqtt::parse_availability(binding, payload);
      if (!online) {
        client->count_malformed();
        HEARTH_LOG_WARN("devices", "mqtt %s: availability ignored: %s", device.id.c_str(),
                        online.error().message.c_str());
        return;
      }
      if (available != *online) {
        HEARTH_LOG_INFO("devices", "mqtt %s: device is %s", device.id.c_str(), *online ? "online" : "offline");
      }
      available = *online;
      last.attributes["available"] = available && listed;
      if (report) report(device.id, last);
      return;
    }
    if (topic != binding.state_topic) return;
    Result<DeviceState> next = mqtt::apply_state_message(binding, device, last, payload);
    if (!next) {
      client->count_malformed();
      HEARTH_LOG_WARN("devices", "mqtt %s: state message on %s ignored: %s", device.id.c_str(), topic.c_str(),
                      next.error().message.c_str());
      return;
    }
    last = std::move(*next);
    if (report) report(device.id, last);
  }

  // Whether Zigbee2MQTT's bridge/devices still lists this device.
  void on_listed(bool now_listed) {
    if (shut_down || listed == now_listed) return;
    listed = now_listed;
    if (listed) {
      HEARTH_LOG_INFO("devices", "mqtt %s: '%s' is listed by %s again", device.id.c_str(),
                      binding.friendly_name.c_str(), client->config().z2m_base_topic.c_str());
    } else {
      HEARTH_LOG_WARN("devices", "mqtt %s: '%s' is no longer in %s/bridge/devices (removed or renamed); "
                      "commands to it now fail at once", device.id.c_str(), binding.friendly_name.c_str(),
                      client->config().z2m_base_topic.c_str());
    }
    last.attributes["available"] = available && listed;
    if (report) report(device.id, last);
  }

  asio::any_io_executor ex;
  Device device;
  mqtt::Binding binding;
  std::shared_ptr<MqttClient::Impl> client;
  DeviceState last;           // the device's state as its messages describe it
  bool available = true;      // from the availability topic
  bool listed = true;         // Zigbee2MQTT's bridge/devices has it (or no list seen)
  bool shut_down = false;
  DeviceAdapter::StateReport report;
};

class MqttAdapter final : public DeviceAdapter {
 public:
  explicit MqttAdapter(std::shared_ptr<AdapterCore> core) : core_(std::move(core)) {}

  std::string_view kind() const override { return "mqtt"; }
  bool confirms_by_report() const override { return true; }
  void set_state_report(StateReport report) override { core_->report = std::move(report); }

  void async_execute(const Device& device, const DeviceState& current, const Command& cmd, Done done) override {
    std::shared_ptr<AdapterCore> core = core_;
    auto fail = [&](Error e) {
      asio::post(core->ex, [done = std::move(done), e = std::move(e)]() mutable { done(std::move(e)); });
    };
    if (core->shut_down) return fail(Error{Code::kCancelled, device.id + ": mqtt adapter is shut down"});
    if (!core->available) {
      return fail(Error{Code::kUnavailable, device.id + ": device is offline (" + core->binding.availability_topic + ")"});
    }
    if (!core->listed) {
      return fail(Error{Code::kUnavailable, device.id + ": '" + core->binding.friendly_name + "' is no longer in " +
                                                core->client->config().z2m_base_topic +
                                                "/bridge/devices (removed from the Zigbee network or renamed); "
                                                "pair it again or fix the device's \"topic\""});
    }
    Result<std::vector<mqtt::Publish>> messages = mqtt::command_messages(core->binding, device, cmd);
    if (!messages) return fail(messages.error());
    // The target the command asks for; the bus confirms it against reports.
    Result<DeviceState> target = predict_state(device, current, cmd, core->client->clock());
    if (!target) return fail(target.error());
    core->client->publish(std::move(*messages), 1, false,
                          [core, done = std::move(done), target = std::move(*target), id = device.id](Result<void> r) mutable {
                            asio::post(core->ex, [done = std::move(done), target = std::move(target), id,
                                                  r = std::move(r)]() mutable {
                              if (!r) {
                                done(r.error().with_context(id));
                              } else {
                                done(std::move(target));
                              }
                            });
                          });
  }

  void async_shutdown(std::function<void()> done) override {
    std::shared_ptr<AdapterCore> core = core_;
    asio::post(core->ex, [core, done = std::move(done)] {
      core->shut_down = true;
      if (done) done();
    });
  }

 private:
  std::shared_ptr<AdapterCore> core_;
};

}  // namespace

void MqttClient::Impl::deliver(const Route& r, const std::string& topic, const std::string& payload) {
  asio::post(r.ex, [weak = r.core, topic, payload] {
    if (std::shared_ptr<AdapterCore> core = weak.lock()) core->on_message(topic, payload);
  });
}

void MqttClient::Impl::deliver_listed(const Route& r, bool listed) {
  asio::post(r.ex, [weak = r.core, listed] {
    if (std::shared_ptr<AdapterCore> core = weak.lock()) core->on_listed(listed);
  });
}

// ---- MqttClient ----

MqttClient::MqttClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

MqttClient::~MqttClient() { impl_->shutdown(nullptr); }

Result<std::shared_ptr<MqttClient>> MqttClient::create(boost::asio::any_io_executor ex, const MqttConfig& cfg,
                                                       const Clock& clock) {
  ConfigErrors errors;
  MqttConfig effective = cfg;
  effective.enabled = true;  // validate the settings even if the caller forgot the flag
  effective.validate(errors);
  if (!errors.empty()) return Error{Code::kBadInput, "mqtt config: " + errors.to_string()};
  auto impl = std::make_shared<Impl>(std::move(ex), effective, clock);
  HEARTH_TRY(impl->init());
  return std::shared_ptr<MqttClient>(new MqttClient(std::move(impl)));
}

void MqttClient::start() { impl_->start(); }

void MqttClient::async_shutdown(std::function<void()> done) { impl_->shutdown(std::move(done)); }

Result<std::unique_ptr<DeviceAdapter>> MqttClient::make_adapter(const Device& device, boost::asio::any_io_executor ex) {
  Result<mqtt::Binding> binding = mqtt::parse_binding(device.adapter.options_json, impl_->config().z2m_base_topic);
  if (!binding) return binding.error();
  auto core = std::make_shared<AdapterCore>(ex, device, *binding, impl_);
  std::vector<std::string> topics;
  std::vector<std::string> bound;
  for (const std::string* t : {&binding->state_topic, &binding->availability_topic}) {
    if (!t->empty()) topics.push_back(*t);
  }
  if (binding->protocol == mqtt::Protocol::kZigbee2Mqtt) bound.push_back("z2m:" + binding->friendly_name);
  for (const std::string* t : {&binding->command_topic, &binding->state_topic}) {
    if (!t->empty()) bound.push_back("topic:" + *t);
  }
  impl_->add_route(topics, core, ex, std::move(bound));
  return std::unique_ptr<DeviceAdapter>(new MqttAdapter(std::move(core)));
}

std::vector<ProposedDevice> MqttClient::proposals() const { return impl_->proposals(); }

void MqttClient::set_proposals_listener(std::function<void()> listener) {
  impl_->set_proposals_listener(std::move(listener));
}

void MqttClient::publish(std::string topic, std::string payload, int qos, bool retain) {
  impl_->publish({mqtt::Publish{std::move(topic), std::move(payload)}}, std::clamp(qos, 0, 2), retain,
                 [](Result<void> r) {
                   if (!r) HEARTH_LOG_WARN("devices", "mqtt: publish failed: %s", r.error().message.c_str());
                 });
}

void MqttClient::publish(std::string topic, std::string payload, int qos, bool retain,
                         std::function<void(Result<void>)> done) {
  impl_->publish({mqtt::Publish{std::move(topic), std::move(payload)}}, std::clamp(qos, 0, 2), retain,
                 std::move(done));
}

void MqttClient::subscribe(std::string filter, MessageHandler handler) {
  impl_->add_handler(std::move(filter), std::move(handler));
}

MqttClient::Status MqttClient::status() const { return impl_->status(); }

void MqttClient::set_connection_listener(std::function<void(bool connected, const std::string& reason)> listener) {
  impl_->set_connection_listener(std::move(listener));
}

bool MqttClient::connected() const { return impl_->connected(); }

MqttClient::Stats MqttClient::stats() const { return impl_->stats(); }

}  // namespace hearth
