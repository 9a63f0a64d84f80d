// Local REST devices and the vendor cloud route over one Boost.Beast client.
// Each command is one short HTTP/1.1 request on the device's strand: resolve,
// connect, write, read, close, all under one deadline (beast::tcp_stream's
// expiry plus a timer covering the resolve). Nothing blocks; the resolver's
// own helper thread sleeps unless a name is being looked up.
#include "http_adapter.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "hearth/common/log.h"
#include "hearth/common/value_json.h"

namespace hearth {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr size_t kMaxReplyBytes = 64 * 1024;  // a device or cloud reply larger than this is refused
constexpr int kDefaultCloudTimeoutMs = 5000;

Error bad(std::string m) { return Error{Code::kBadInput, std::move(m)}; }

Result<json> parse_json(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return bad(std::string("invalid JSON: ") + e.what());
  }
}

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<double> number_param(const Command& cmd, std::string_view name) {
  auto it = cmd.params.find(name);
  if (it == cmd.params.end()) return std::nullopt;
  return as_number(it->second);
}

}  // namespace

Result<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return bad("url '" + std::string(url) + "': expected http://host[:port][/path]");
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl u;
  if (slash != std::string_view::npos) u.target = std::string(rest.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return bad("url '" + std::string(url) + "': missing host (or user info, which is not supported)");
  }
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
    const bool digits = !u.port.empty() && u.port.size() <= 5 &&
                        std::all_of(u.port.begin(), u.port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(u.port) < 1 || std::stoi(u.port) > 65535) {
      return bad("url '" + std::string(url) + "': port must be 1..65535");
    }
  } else {
    u.host = std::string(authority);
  }
  if (u.host.empty()) return bad("url '" + std::string(url) + "': missing host");
  return u;
}

Result<HttpBinding> parse_http_binding(std::string_view options_json) {
  Result<json> j = parse_json(options_json);
  if (!j) return j.error().with_context("adapter options");
  if (!j->is_object()) return bad("adapter options: expected an object");
  HttpBinding b;
  auto url = j->find("url");
  if (url == j->end() || !url->is_string()) return bad("adapter.url: missing (\"http://host[:port]\")");
  Result<HttpUrl> u = parse_http_url(url->get<std::string>());
  if (!u) return u.error().with_context("adapter.url");
  b.url = *u;
  if (auto f = j->find("flavor"); f != j->end()) {
    if (!f->is_string() || (f->get<std::string>() != "shelly" && f->get<std::string>() != "tasmota")) {
      return bad("adapter.flavor: expected \"shelly\" or \"tasmota\", got " + f->dump());
    }
    b.flavor = f->get<std::string>();
  }
  if (auto c = j->find("channel"); c != j->end()) {
    if (!c->is_number_integer() || c->get<int>() < 0 || c->get<int>() > 15) {
      return bad("adapter.channel: expected an integer in 0..15, got " + c->dump());
    }
    b.channel = c->get<int>();
  }
  if (auto t = j->find("timeout_ms"); t != j->end()) {
    if (!t->is_number_integer() || t->get<int>() < 100 || t->get<int>() > 60000) {
      return bad("adapter.timeout_ms: expected an integer in 100..60000, got " + t->dump());
    }
    b.timeout_ms = t->get<int>();
  }
  return b;
}

Result<std::string> http_command_target(const HttpBinding& b, const Device& d, const Command& cmd) {
  const std::string& a = cmd.action;
  const std::string ch = std::to_string(b.channel);
  auto unsupported = [&] {
    return Error{Code::kUnsupported, d.id + ": " + a + " is not supported by the " + b.flavor + " HTTP API"};
  };
  if (b.flavor == "shelly") {
    if (d.domain == Domain::kCover) {
      if (a == "open_cover") return "/roller/" + ch + "?go=open";
      if (a == "close_cover") return "/roller/" + ch + "?go=close";
      if (a == "stop_cover") return "/roller/" + ch + "?go=stop";
      if (a == "set_position") {
        return "/roller/" + ch + "?go=to_pos&roller_pos=" + std::to_string(std::lround(*number_param(cmd, "position")));
      }
      return unsupported();
    }
    const std::string kind = d.domain == Domain::kLight ? "light" : "relay";
    if (d.domain != Domain::kLight && d.domain != Domain::kSwitch && d.domain != Domain::kFan) return unsupported();
    if (a == "turn_off") return "/" + kind + "/" + ch + "?turn=off";
    if (a == "toggle") return "/" + kind + "/" + ch + "?turn=toggle";
    if (a != "turn_on") return unsupported();
    if (cmd.params.count("color") || cmd.params.count("color_temp_kelvin") || cmd.params.count("percentage")) {
      return unsupported();
    }
    if (auto v = number_param(cmd, "brightness")) {
      if (*v <= 0) return "/" + kind + "/" + ch + "?turn=off";
      if (kind != "light") return unsupported();
      return "/light/" + ch + "?turn=on&brightness=" + std::to_string(std::lround(*v));
    }
    return "/" + kind + "/" + ch + "?turn=on";
  }
  // tasmota
  if (d.domain != Domain::kLight && d.domain != Domain::kSwitch && d.domain != Domain::kFan) return unsupported();
  std::string cmnd;
  if (a == "turn_off") {
    cmnd = "Power Off";
  } else if (a == "toggle") {
    cmnd = "Power Toggle";
  } else if (a == "turn_on") {
    if (cmd.params.count("color") || cmd.params.count("percentage") || cmd.params.size() > 1) return unsupported();
    if (auto v = number_param(cmd, "brightness")) {
      cmnd = *v <= 0 ? "Power Off" : "Dimmer " + std::to_string(std::lround(*v));
    } else if (auto k = number_param(cmd, "color_temp_kelvin")) {
      cmnd = "CT " + std::to_string(std::clamp(std::lround(1e6 / *k), 153L, 500L));
    } else {
      cmnd = "Power On";
    }
  } else {
    return unsupported();
  }
  return "/cm?cmnd=" + url_encode(cmnd);
}

Result<DeviceState> http_parse_reply(const HttpBinding& b, const Device& d, const DeviceState& current,
                                     const Command& cmd, std::string_view body) {
  Result<json> parsed = parse_json(body);
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  if (!j.is_object()) return bad("reply: expected a JSON object");
  DeviceState s = current;
  if (b.flavor == "shelly") {
    if (d.domain == Domain::kCover) {
      if (j.contains("current_pos") && j["current_pos"].is_number()) {
        const int64_t pos = std::clamp<int64_t>(j["current_pos"].get<int64_t>(), 0, 100);
        s.attributes["position"] = pos;
        s.state = pos > 0 ? "open" : "closed";
      }
      // While moving, the reply shows the direction, not the end position.
      if (j.contains("state") && j["state"].is_string()) {
        const std::string st = j["state"].get<std::string>();
        if (st == "open") s.state = "open";
        else if (st == "close") s.state = "closed";
      }
      if (cmd.action == "set_position") {
        const int64_t want = std::lround(*number_param(cmd, "position"));
        s.attributes["position"] = want;
        s.state = want > 0 ? "open" : "closed";
      }
      return s;
    }
    if (!j.contains("ison") || !j["ison"].is_boolean()) return bad("reply: missing boolean 'ison'");
    s.state = j["ison"].get<bool>() ? "on" : "off";
    if (j.contains("brightness") && j["brightness"].is_number()) {
      s.attributes["brightness"] = std::clamp<int64_t>(j["brightness"].get<int64_t>(), 0, 100);
    }
    return s;
  }
  // Tasmota: "POWER" or "POWER1".
  const char* key = j.contains("POWER") ? "POWER" : j.contains("POWER1") ? "POWER1" : nullptr;
  if (!key || !j[key].is_string()) return bad("reply: missing 'POWER'");
  const std::string power = j[key].get<std::string>();
  if (power != "ON" && power != "OFF") return bad("reply: POWER is '" + power + "'");
  s.state = power == "ON" ? "on" : "off";
  if (j.contains("Dimmer") && j["Dimmer"].is_number()) {
    s.attributes["brightness"] = std::clamp<int64_t>(j["Dimmer"].get<int64_t>(), 0, 100);
  }
  if (j.contains("CT") && j["CT"].is_number() && j["CT"].get<double>() > 0) {
    s.attributes["color_temp_kelvin"] = static_cast<int64_t>(std::lround(1e6 / j["CT"].get<double>()));
  }
  return s;
}

Result<DeviceState> cloud_parse_reply(const DeviceState& current, std::string_view body) {
  Result<json> parsed = parse_json(body);
  if (!parsed) return parsed.error().with_context("cloud reply");
  const json& j = *parsed;
  if (!j.is_object()) return bad("cloud reply: expected a JSON object");
  DeviceState s = current;
  if (j.contains("state")) {
    if (!j["state"].is_string()) return bad("cloud reply: 'state' must be a string");
    s.state = j["state"].get<std::string>();
  }
  if (j.contains("attributes")) {
    if (!j["attributes"].is_object()) return bad("cloud reply: 'attributes' must be an object");
    for (const auto& [k, v] : j["attributes"].items()) {
      bool scalar = true;
      Value val = value_from_json(v, &scalar);
      if (scalar) s.attributes[k] = std::move(val);
    }
  }
  return s;
}

namespace {

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

// One request. Lives in its own handlers (shared_from_this) on `ex`.
class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
 public:
  using Callback = std::function<void(Result<HttpReply>)>;

  HttpExchange(asio::any_io_executor ex, HttpUrl url, http::verb verb, std::string target, std::string body,
               std::string bearer, std::chrono::milliseconds timeout, Callback cb)
      : resolver_(ex), stream_(ex), timer_(ex), url_(std::move(url)), timeout_(timeout), cb_(std::move(cb)) {
    req_.method(verb);
    req_.target(target);
    req_.version(11);
    req_.set(http::field::host, url_.host);
    req_.set(http::field::user_agent, "hearth");
    req_.set(http::field::connection, "close");
    if (!bearer.empty()) req_.set(http::field::authorization, "Bearer " + bearer);
    if (verb == http::verb::post) {
      req_.set(http::field::content_type, "application/json");
      req_.body() = std::move(body);
      req_.prepare_payload();
    }
    parser_.body_limit(kMaxReplyBytes);
  }

  void run() {
    auto self = shared_from_this();
    timer_.expires_after(timeout_);
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (ec || self->done_) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
    });
    resolver_.async_resolve(url_.host, url_.port, [self](const beast::error_code& ec, tcp::resolver::results_type r) {
      if (ec) return self->fail(ec, "resolve");
      self->stream_.expires_after(self->timeout_);
      self->stream_.async_connect(r, [self](const beast::error_code& ec2, const tcp::endpoint&) {
        if (ec2) return self->fail(ec2, "connect");
        http::async_write(self->stream_, self->req_, [self](const beast::error_code& ec3, size_t) {
          if (ec3) return self->fail(ec3, "write");
          self->sent_ = true;
          http::async_read(self->stream_, self->buffer_, self->parser_, [self](const beast::error_code& ec4, size_t) {
            if (ec4) return self->fail(ec4, "read");
            HttpReply reply;
            reply.status = self->parser_.get().result_int();
            reply.body = std::move(self->parser_.get().body());
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
            self->complete(std::move(reply));
          });
        });
      });
    });
  }

 private:
  void fail(const beast::error_code& ec, const char* step) {
    const std::string where = "http://" + url_.host + ":" + url_.port + ": " + step + ": ";
    if (timed_out_ || ec == beast::error::timeout) {
      // Before the request was written the device cannot have acted on it.
      complete(Error{sent_ ? Code::kTimeout : Code::kUnavailable,
                     where + "no answer within " + std::to_string(timeout_.count()) + " ms"});
      return;
    }
    complete(Error{sent_ ? Code::kIo : Code::kUnavailable, where + ec.message()});
  }

  void complete(Result<HttpReply> r) {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    Callback cb = std::move(cb_);
    cb(std::move(r));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response_parser<http::string_body> parser_;
  HttpUrl url_;
  std::chrono::milliseconds timeout_;
  Callback cb_;
  bool sent_ = false, timed_out_ = false, done_ = false;
};

// Common to both adapters: in-flight exchanges, shutdown.
class HttpAdapterBase : public DeviceAdapter {
 public:
  explicit HttpAdapterBase(asio::any_io_executor ex) : ex_(std::move(ex)), state_(std::make_shared<Shared>()) {}

  void async_shutdown(std::function<void()> done) override {
    auto st = state_;
    asio::post(ex_, [st, done = std::move(done)] {
      st->shut_down = true;
      if (done) done();
    });
  }

 protected:
  struct Shared {
    bool shut_down = false;
  };

  void fail_soon(Done done, Error e) {
    asio::post(ex_, [done = std::move(done), e = std::move(e)]() mutable { done(std::move(e)); });
  }

  void request(HttpUrl url, http::verb verb, std::string target, std::string body, std::string bearer,
               std::chrono::milliseconds timeout, HttpExchange::Callback cb) {
    if (state_->shut_down) {
      asio::post(ex_, [cb = std::move(cb)] { cb(Error{Code::kCancelled, "http: adapter shut down"}); });
      return;
    }
    auto st = state_;
    auto x = std::make_shared<HttpExchange>(ex_, std::move(url), verb, std::move(target), std::move(body),
                                            std::move(bearer), timeout, [st, cb = std::move(cb)](Result<HttpReply> r) {
                                              if (st->shut_down) {
                                                cb(Error{Code::kCancelled, "http: adapter shut down"});
                                                return;
                                              }
                                              cb(std::move(r));
                                            });
    x->run();
  }

  asio::any_io_executor ex_;
  std::shared_ptr<Shared> state_;
};

Error status_error(unsigned status, const std::string& where) {
  const std::string m = where + ": HTTP " + std::to_string(status);
  if (status == 401 || status == 403) return Error{Code::kUnavailable, m + " (credentials refused)"};
  if (status == 404) return Error{Code::kNotFound, m};
  if (status == 503) return Error{Code::kUnavailable, m};
  if (status >= 500) return Error{Code::kIo, m};
  return Error{Code::kBadInput, m};
}

class HttpDeviceAdapter final : public HttpAdapterBase {
 public:
  HttpDeviceAdapter(asio::any_io_executor ex, HttpBinding b) : HttpAdapterBase(std::move(ex)), b_(std::move(b)) {}

  std::string_view kind() const override { return "http"; }

  void async_execute(const Device& device, const DeviceState& current, const Command& cmd, Done done) override {
    Result<std::string> target = http_command_target(b_, device, cmd);
    if (!target) return fail_soon(std::move(done), target.error());
    request(b_.url, http::verb::get, *target, "", "", std::chrono::milliseconds(b_.timeout_ms),
            [b = b_, device, current, cmd, done = std::move(done)](Result<HttpReply> r) mutable {
              if (!r) return done(r.error().with_context(device.id));
              if (r->status != 200) return done(status_error(r->status, device.id));
              Result<DeviceState> s = http_parse_reply(b, device, current, cmd, r->body);
              if (!s) return done(Error{Code::kIo, device.id + ": " + s.error().message});
              done(std::move(*s));
            });
  }

 private:
  HttpBinding b_;
};

class CloudAdapter final : public HttpAdapterBase {
 public:
  CloudAdapter(asio::any_io_executor ex, HttpUrl url, std::string token)
      : HttpAdapterBase(std::move(ex)), url_(std::move(url)), token_(std::move(token)) {}

  std::string_view kind() const override { return "cloud"; }

  void async_execute(const Device& device, const DeviceState& current, const Command& cmd, Done done) override {
    json body = {{"device", device.id}, {"action", cmd.action}, {"params", value_map_to_json(cmd.params)}};
    request(url_, http::verb::post, url_.target, body.dump(), token_, std::chrono::milliseconds(kDefaultCloudTimeoutMs),
            [id = device.id, current, done = std::move(done)](Result<HttpReply> r) mutable {
              if (!r) return done(r.error().with_context(id + ": cloud route"));
              if (r->status != 200) return done(status_error(r->status, id + ": cloud route"));
              Result<DeviceState> s = cloud_parse_reply(current, r->body);
              if (!s) return done(Error{Code::kIo, id + ": " + s.error().message});
              done(std::move(*s));
            });
  }

 private:
  HttpUrl url_;
  std::string token_;
};

}  // namespace

Result<std::unique_ptr<DeviceAdapter>> make_http_adapter(const Device& device, boost::asio::any_io_executor ex) {
  Result<HttpBinding> b = parse_http_binding(device.adapter.options_json);
  if (!b) return b.error();
  return std::unique_ptr<DeviceAdapter>(new HttpDeviceAdapter(std::move(ex), std::move(*b)));
}

Result<std::unique_ptr<DeviceAdapter>> make_cloud_adapter(const Device& device, boost::asio::any_io_executor ex) {
  if (!device.cloud) return Error{Code::kInternal, device.id + ": no cloud route"};
  Result<HttpUrl> u = parse_http_url(device.cloud->url);
  if (!u) return u.error().with_context("cloud.url");
  return std::unique_ptr<DeviceAdapter>(new CloudAdapter(std::move(ex), std::move(*u), device.cloud->token));
}

}  // namespace hearth
