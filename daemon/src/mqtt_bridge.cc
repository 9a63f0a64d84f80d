#include "mqtt_bridge.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include "hearth/common/log.h"

namespace hearth {

using nlohmann::json;

namespace {
constexpr size_t kMaxCommandPayloadBytes = 4096;
constexpr size_t kMaxEventBacklog = 256;  // events kept while the broker is away (oldest dropped first)
}  // namespace

// What message handlers (client strand) share with the owner; outlives it
// while a command is in flight.
struct MqttBridge::Shared {
  std::mutex mu;
  bool stopped = false;  // guarded by mu
  Router router;         // guarded by mu
  std::atomic<uint64_t> events_published{0}, commands{0}, rejected{0}, events_dropped{0};
  // Events that happened while the broker was away, sent in order before the
  // next event once connected again (the "mqtt up" connectivity event is the
  // first). Bounded. events_mu also keeps publishes in event order.
  std::mutex events_mu;
  std::deque<std::pair<std::string, std::string>> backlog;  // guarded by events_mu
};

MqttBridge::MqttBridge(std::shared_ptr<MqttClient> client, const MqttDaemonConfig& cfg, EventHub& events,
                       Router router)
    : client_(std::move(client)), cfg_(cfg), events_(events), base_(cfg.topic_prefix + "/" + cfg.hub_id),
      shared_(std::make_shared<Shared>()) {
  shared_->router = std::move(router);
}

MqttBridge::~MqttBridge() { stop(); }

void MqttBridge::start() {
  if (cfg_.publish_events) {
    std::weak_ptr<MqttClient> weak = client_;
    const std::string prefix = base_ + "/event/";
    std::shared_ptr<Shared> shared = shared_;
    // Runs on the publishing thread: MqttClient::publish only posts.
    subscription_ = events_.subscribe([weak, prefix, shared](const EventHub::EventPtr& e) {
      std::shared_ptr<MqttClient> c = weak.lock();
      if (!c) return;
      std::string topic = prefix + e->type;
      std::string payload = e->to_json().dump();
      std::lock_guard<std::mutex> lock(shared->events_mu);
      if (!c->connected()) {
        if (shared->backlog.size() >= kMaxEventBacklog) {
          shared->backlog.pop_front();
          shared->events_dropped.fetch_add(1);
        }
        shared->backlog.emplace_back(std::move(topic), std::move(payload));
        return;
      }
      for (auto& [t, p] : shared->backlog) {
        shared->events_published.fetch_add(1);
        c->publish(std::move(t), std::move(p), 0, false, [](Result<void>) {});
      }
      shared->backlog.clear();
      shared->events_published.fetch_add(1);
      c->publish(std::move(topic), std::move(payload), 0, false, [](Result<void>) {});
    });
  }
  if (cfg_.accept_commands) {
    const std::string& host = cfg_.client.host;
    if (cfg_.client.username.empty() && host != "127.0.0.1" && host != "::1" && host != "localhost") {
      HEARTH_LOG_WARN("mqtt",
                      "accepting commands on %s/command and %s/device/+/set from an anonymous connection to %s: "
                      "anyone who may publish there controls the home; set mqtt.username/password_file and a "
                      "broker ACL, or mqtt.accept_commands false",
                      base_.c_str(), base_.c_str(), host.c_str());
    }
    std::shared_ptr<Shared> shared = shared_;
    std::weak_ptr<MqttClient> weak = client_;
    const std::string base = base_;
    auto handler = [shared, weak, base](const std::string& topic, const std::string& payload) {
      // Parses the message into an API request; answers on the result topic.
      auto reply = [weak](std::string result_topic, std::string id) {
        return [weak, result_topic = std::move(result_topic), id = std::move(id)](HttpResponseData r) {
          std::shared_ptr<MqttClient> c = weak.lock();
          if (!c) return;
          json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
          if (body.is_discarded()) body = r.body;
          json out{{"id", id.empty() ? json(nullptr) : json(id)}, {"status", r.status}, {"body", body}};
          c->publish(result_topic, out.dump(), 1, false, [](Result<void>) {});
        };
      };
      HttpRequestData request;
      request.method = "POST";
      request.content_type = "application/json";
      std::string result_topic;
      std::string id;
      auto reject = [&](const std::string& why) {
        shared->rejected.fetch_add(1);
        HEARTH_LOG_WARN("mqtt", "%s: message ignored: %s", topic.c_str(), why.c_str());
        HttpResponseData r;
        r.status = 400;
        r.body = json{{"error", {{"code", "bad_request"}, {"message", why}}}}.dump();
        reply(result_topic, id)(std::move(r));
      };
      if (payload.size() > kMaxCommandPayloadBytes) {
        result_topic = topic + "/result";
        return reject("payload larger than " + std::to_string(kMaxCommandPayloadBytes) + " bytes");
      }
      json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
      if (topic == base + "/command") {
        result_topic = base + "/command/result";
        json body;
        if (j.is_object()) {
          if (j.contains("id") && j["id"].is_string()) id = j["id"].get<std::string>();
          if (!j.contains("text") || !j["text"].is_string()) return reject("expected a sentence or {\"text\": ...}");
          body = json{{"text", j["text"]}, {"origin", "mqtt"}};
        } else if (!j.is_discarded() && !j.is_string()) {
          return reject("expected a sentence or {\"text\": ...}");
        } else {
          body = json{{"text", j.is_string() ? j.get<std::string>() : payload}, {"origin", "mqtt"}};
        }
        request.target = "/api/v1/command";
        request.body = body.dump();
      } else {
        // <base>/device/<id>/set
        const std::string head = base + "/device/";
        const std::string tail = "/set";
        if (topic.size() <= head.size() + tail.size() || topic.compare(0, head.size(), head) != 0 ||
            topic.compare(topic.size() - tail.size(), tail.size(), tail) != 0) {
          return;
        }
        const std::string device = topic.substr(head.size(), topic.size() - head.size() - tail.size());
        result_topic = head + device + "/result";
        json body;
        if (j.is_object()) {
          if (j.contains("id") && j["id"].is_string()) id = j["id"].get<std::string>();
          body = json{{"action", j.value("action", json(nullptr))}, {"origin", "mqtt"}};
          if (j.contains("params")) body["params"] = j["params"];
        } else if (payload == "ON" || payload == "on") {
          body = json{{"action", "turn_on"}, {"origin", "mqtt"}};
        } else if (payload == "OFF" || payload == "off") {
          body = json{{"action", "turn_off"}, {"origin", "mqtt"}};
        } else {
          return reject("expected {\"action\", \"params\"?} or ON / OFF");
        }
        request.target = "/api/v1/devices/" + device + "/actions";
        request.body = body.dump();
      }
      Router router;
      {
        std::lock_guard<std::mutex> lock(shared->mu);
        if (!shared->stopped) router = shared->router;
      }
      HttpResponder respond = reply(result_topic, id);
      if (!router) {
        HttpResponseData r;
        r.status = 503;
        r.body = json{{"error", {{"code", "unavailable"}, {"message", "hearthd is shutting down"}}}}.dump();
        return respond(std::move(r));
      }
      shared->commands.fetch_add(1);
      router(std::move(request), std::move(respond));
    };
    client_->subscribe(base_ + "/command", handler);
    client_->subscribe(base_ + "/device/+/set", handler);
  }
}

void MqttBridge::stop() {
  if (subscription_ != 0) {
    events_.unsubscribe(subscription_);
    subscription_ = 0;
  }
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->stopped = true;
  shared_->router = nullptr;
}

MqttBridge::Stats MqttBridge::stats() const {
  return Stats{shared_->events_published.load(), shared_->commands.load(), shared_->rejected.load(),
               shared_->events_dropped.load()};
}

}  // namespace hearth
