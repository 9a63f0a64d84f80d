#include "event_hub.h"

#include <chrono>

namespace hearth {

nlohmann::json HubEvent::to_json() const {
  return nlohmann::json{{"seq", seq}, {"time_ms", time_ms}, {"type", type}, {"data", data}};
}

uint64_t EventHub::subscribe(Subscriber fn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<std::vector<Entry>>(*subs_);
  const uint64_t id = next_id_++;
  next->push_back(Entry{id, std::move(fn)});
  subs_ = std::move(next);
  return id;
}

void EventHub::unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<std::vector<Entry>>();
  next->reserve(subs_->size());
  for (const Entry& e : *subs_) {
    if (e.id != id) next->push_back(e);
  }
  subs_ = std::move(next);
}

size_t EventHub::subscribers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_->size();
}

void EventHub::publish(std::string type, nlohmann::json data) {
  auto ev = std::make_shared<HubEvent>();
  ev->type = std::move(type);
  ev->data = std::move(data);
  ev->time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::shared_ptr<const std::vector<Entry>> subs;
  {
    // seq is taken under the lock so subscribers see events in seq order
    // relative to subscribe/unsubscribe; delivery itself is outside it.
    std::lock_guard<std::mutex> lock(mu_);
    ev->seq = seq_.fetch_add(1, std::memory_order_relaxed) + 1;
    subs = subs_;
  }
  const EventPtr shared = std::move(ev);
  for (const Entry& e : *subs) e.fn(shared);
}

}  // namespace hearth
