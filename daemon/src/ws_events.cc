#include "ws_events.h"

#include <boost/asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include "hearth/common/log.h"

#ifndef HEARTH_VERSION
#define HEARTH_VERSION "dev"
#endif

namespace hearth {

namespace {

using nlohmann::json;

constexpr std::chrono::seconds kAuthDeadline{10};
constexpr size_t kMaxSubscribedTypes = 64;
constexpr size_t kMaxTypeNameBytes = 64;
constexpr int kClosePolicy = 1008;
constexpr int kCloseNormal = 1000;

std::shared_ptr<const std::string> shared_text(const json& j) { return std::make_shared<const std::string>(j.dump()); }

}  // namespace

void LatencyHistogram::observe(double ms) {
  int i = 0;
  while (i < kBuckets && ms > kBoundsMs[i]) ++i;
  ++counts[i];
  ++n;
  sum_ms += ms;
}

WsClientMessage parse_ws_client_message(std::string_view text) {
  WsClientMessage m;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    m.error = "message is not valid JSON";
    return m;
  }
  if (!j.is_object()) {
    m.error = "message must be a JSON object";
    return m;
  }
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    m.error = "message needs a string \"type\"";
    return m;
  }
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "auth") {
    auto token = j.find("access_token");
    if (token == j.end() || !token->is_string() || token->get_ref<const std::string&>().empty()) {
      m.error = "auth needs a string \"access_token\"";
      return m;
    }
    m.kind = WsClientMessage::Kind::kAuth;
    m.access_token = token->get<std::string>();
    return m;
  }
  if (t == "subscribe") {
    auto events = j.find("events");
    if (events != j.end() && !events->is_null()) {
      if (!events->is_array() || events->size() > kMaxSubscribedTypes) {
        m.error = "\"events\" must be an array of at most " + std::to_string(kMaxSubscribedTypes) + " type names";
        return m;
      }
      for (const json& e : *events) {
        if (!e.is_string() || e.get_ref<const std::string&>().empty() ||
            e.get_ref<const std::string&>().size() > kMaxTypeNameBytes) {
          m.error = "\"events\" entries must be non-empty strings of at most " + std::to_string(kMaxTypeNameBytes) +
                    " bytes";
          return m;
        }
        m.events.push_back(e.get<std::string>());
      }
    }
    m.kind = WsClientMessage::Kind::kSubscribe;
    return m;
  }
  if (t == "ping") {
    m.kind = WsClientMessage::Kind::kPing;
    return m;
  }
  m.error = "unknown message type (expected auth, subscribe or ping)";
  return m;
}

// One connection's state, shared by its handler, the auth timer and (once
// authenticated) the fan-out list.
struct EventStream::Client {
  uint64_t id = 0;
  std::mutex mu;
  std::shared_ptr<WsPeer> peer;                          // guarded by mu; null once closed
  std::shared_ptr<const std::set<std::string>> filter;  // null = every type; guarded by mu
  std::atomic<bool> authed{false};
  std::atomic<bool> closed{false};
  std::unique_ptr<boost::asio::steady_timer> auth_timer;

  // The peer when this client wants events of `type`, else null.
  std::shared_ptr<WsPeer> peer_for(const std::string& type) {
    std::lock_guard<std::mutex> lock(mu);
    return !filter || filter->count(type) > 0 ? peer : nullptr;
  }
  std::shared_ptr<WsPeer> get_peer() {
    std::lock_guard<std::mutex> lock(mu);
    return peer;
  }
};

class EventsHandler : public WsHandler {
 public:
  EventsHandler(EventStream& stream, std::shared_ptr<EventStream::Client> client)
      : stream_(stream), client_(std::move(client)) {}

  void on_message(std::string_view text) override {
    WsClientMessage m = parse_ws_client_message(text);
    std::shared_ptr<WsPeer> peer_ptr = client_->get_peer();
    if (!peer_ptr) return;
    WsPeer& peer = *peer_ptr;
    if (!client_->authed.load()) {
      if (m.kind != WsClientMessage::Kind::kAuth) {
        stream_.auth_failed_.fetch_add(1);
        peer.send(shared_text({{"type", "auth_invalid"},
                               {"message", "the first message must be {\"type\": \"auth\", \"access_token\": ...}" +
                                               (m.error.empty() ? std::string() : " (" + m.error + ")")}}));
        peer.close(kClosePolicy, "authentication required");
        return;
      }
      AuthDecision d = stream_.auth_.check_token(m.access_token, peer.remote_address(), Scope::kRead);
      if (!d.ok) {
        stream_.auth_failed_.fetch_add(1);
        peer.send(shared_text({{"type", "auth_invalid"}, {"message", d.message}}));
        peer.close(kClosePolicy, d.status == 429 ? "rate limited" : "invalid token");
        return;
      }
      if (client_->auth_timer) client_->auth_timer->cancel();
      client_->authed.store(true);
      peer.send(shared_text({{"type", "auth_ok"}, {"scope", scope_name(d.scope)}, {"version", HEARTH_VERSION}}));
      stream_.add_client(client_);
      return;
    }
    switch (m.kind) {
      case WsClientMessage::Kind::kSubscribe: {
        std::shared_ptr<const std::set<std::string>> filter;
        if (!m.events.empty()) filter = std::make_shared<const std::set<std::string>>(m.events.begin(), m.events.end());
        {
          std::lock_guard<std::mutex> lock(client_->mu);
          client_->filter = filter;
        }
        peer.send(shared_text({{"type", "subscribed"}, {"events", m.events}}));
        return;
      }
      case WsClientMessage::Kind::kPing: peer.send(shared_text({{"type", "pong"}})); return;
      case WsClientMessage::Kind::kAuth:
        peer.send(shared_text({{"type", "error"}, {"message", "already authenticated"}}));
        return;
      case WsClientMessage::Kind::kInvalid:
        peer.send(shared_text({{"type", "error"}, {"message", m.error}}));
        return;
    }
  }

  void on_close() override {
    client_->closed.store(true);
    if (client_->auth_timer) client_->auth_timer->cancel();
    stream_.remove_client(client_->id);
    std::lock_guard<std::mutex> lock(client_->mu);
    client_->peer.reset();  // breaks the peer ↔ handler cycle
  }

 private:
  EventStream& stream_;
  std::shared_ptr<EventStream::Client> client_;
};

EventStream::EventStream(EventHub& hub, Auth& auth, boost::asio::any_io_executor executor)
    : hub_(hub), auth_(auth), executor_(std::move(executor)) {
  subscription_ = hub_.subscribe([this](const EventHub::EventPtr& ev) { on_event(ev); });
}

EventStream::~EventStream() { hub_.unsubscribe(subscription_); }

std::unique_ptr<WsHandler> EventStream::open(const HttpRequestData& upgrade, std::shared_ptr<WsPeer> peer,
                                             HttpResponseData* refusal) {
  std::string path = upgrade.target.substr(0, upgrade.target.find('?'));
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path != "/api/v1/events") {
    refusal->status = 404;
    refusal->body = json_error_body("not_found", "no WebSocket route " + path + " (events: /api/v1/events)");
    return nullptr;
  }
  auto client = std::make_shared<Client>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    client->id = next_id_++;
  }
  client->peer = peer;
  client->auth_timer = std::make_unique<boost::asio::steady_timer>(executor_);
  client->auth_timer->expires_after(kAuthDeadline);
  std::weak_ptr<Client> weak = client;
  client->auth_timer->async_wait([weak](const boost::system::error_code& ec) {
    std::shared_ptr<Client> c = weak.lock();
    if (ec || !c || c->authed.load() || c->closed.load()) return;
    if (std::shared_ptr<WsPeer> p = c->get_peer()) p->close(kClosePolicy, "no auth message within 10 s");
  });
  peer->send(shared_text({{"type", "auth_required"}, {"version", HEARTH_VERSION}}));
  return std::make_unique<EventsHandler>(*this, client);
}

void EventStream::add_client(const std::shared_ptr<Client>& c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!c->closed.load()) clients_[c->id] = c;
}

void EventStream::remove_client(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_.erase(id);
}

void EventStream::on_event(const EventHub::EventPtr& ev) {
  // Runs on the publisher's thread: serialize once, hand out copies of the pointer.
  std::vector<std::shared_ptr<Client>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++by_type_[ev->type];
    if (ev->data.is_object()) {
      for (const char* key : {"latency_ms", "duration_ms"}) {
        auto it = ev->data.find(key);
        if (it != ev->data.end() && it->is_number()) {
          latency_[ev->type].observe(it->get<double>());
          break;
        }
      }
    }
    targets.reserve(clients_.size());
    for (const auto& [id, c] : clients_) targets.push_back(c);
  }
  if (targets.empty()) return;
  std::shared_ptr<const std::string> text;
  for (const std::shared_ptr<Client>& c : targets) {
    std::shared_ptr<WsPeer> peer = c->peer_for(ev->type);
    if (!peer) continue;
    if (!text) text = shared_text(json{{"type", "event"}, {"event", ev->to_json()}});
    if (peer->send(text)) {
      delivered_.fetch_add(1, std::memory_order_relaxed);
    } else {
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

EventStream::Stats EventStream::stats() const {
  Stats s;
  s.auth_failed = auth_failed_.load();
  s.events_delivered = delivered_.load();
  s.events_dropped = dropped_.load();
  std::lock_guard<std::mutex> lock(mu_);
  s.clients = clients_.size();
  s.events_by_type = by_type_;
  s.latency_by_type = latency_;
  return s;
}

}  // namespace hearth
