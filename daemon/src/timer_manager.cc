#include "hearth/daemon/timer_manager.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hearth/common/log.h"

namespace hearth {

namespace asio = boost::asio;

struct TimerManager::Impl {
  struct Entry {
    TimerInfo info;
    std::unique_ptr<asio::steady_timer> timer;
  };

  Impl(asio::any_io_executor e, const Clock& c, FiredHandler f) : ex(std::move(e)), clock(c), on_fired(std::move(f)) {}

  asio::any_io_executor ex;
  const Clock& clock;
  FiredHandler on_fired;
  mutable std::mutex mu;        // guards entries and next_id
  std::map<int, Entry> entries;  // by id
  int next_id = 1;
  std::atomic<uint64_t> fired{0};
};

TimerManager::TimerManager(asio::any_io_executor ex, const Clock& clock, FiredHandler on_fired)
    : impl_(std::make_shared<Impl>(std::move(ex), clock, std::move(on_fired))) {}

TimerManager::~TimerManager() { cancel_all(); }

Result<TimerInfo> TimerManager::start(std::chrono::seconds duration, std::string name, std::string origin) {
  if (duration <= std::chrono::seconds(0)) return Error{Code::kBadInput, "timer duration must be positive"};
  if (duration > kMaxDuration) return Error{Code::kBadInput, "timers can run at most 24 hours"};
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (static_cast<int>(impl_->entries.size()) >= kMaxTimers) {
    return Error{Code::kBusy, "already " + std::to_string(kMaxTimers) + " timers running"};
  }
  Impl::Entry entry;
  entry.info.id = impl_->next_id++;
  entry.info.name = std::move(name);
  entry.info.duration = duration;
  entry.info.ends_at = impl_->clock.steady_now() + duration;
  entry.info.origin = std::move(origin);
  entry.timer = std::make_unique<asio::steady_timer>(impl_->ex, duration);
  const int id = entry.info.id;
  std::weak_ptr<Impl> weak = impl_;
  entry.timer->async_wait([weak, id](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled
    std::shared_ptr<Impl> impl = weak.lock();
    if (!impl) return;
    TimerInfo info;
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      auto it = impl->entries.find(id);
      if (it == impl->entries.end()) return;  // cancelled just before expiry
      info = it->second.info;
      impl->entries.erase(it);
    }
    impl->fired.fetch_add(1);
    if (impl->on_fired) impl->on_fired(info);
  });
  TimerInfo info = entry.info;
  impl_->entries.emplace(id, std::move(entry));
  return info;
}

Result<TimerInfo> TimerManager::cancel(std::string_view name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto chosen = impl_->entries.end();
  for (auto it = impl_->entries.begin(); it != impl_->entries.end(); ++it) {
    if (name.empty() || it->second.info.name == name) chosen = it;  // ids ascend: the last match is the newest
  }
  if (chosen == impl_->entries.end()) {
    return Error{Code::kNotFound, name.empty() ? std::string("no timer running")
                                               : "no timer called '" + std::string(name) + "'"};
  }
  TimerInfo info = chosen->second.info;
  chosen->second.timer->cancel();
  impl_->entries.erase(chosen);
  return info;
}

std::vector<TimerInfo> TimerManager::active() const {
  std::vector<TimerInfo> out;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (const auto& [id, entry] : impl_->entries) out.push_back(entry.info);
  }
  std::sort(out.begin(), out.end(), [](const TimerInfo& a, const TimerInfo& b) {
    return a.ends_at != b.ends_at ? a.ends_at < b.ends_at : a.id < b.id;
  });
  return out;
}

std::chrono::seconds TimerManager::remaining(const TimerInfo& timer) const {
  auto left = timer.ends_at - impl_->clock.steady_now();
  if (left <= std::chrono::steady_clock::duration::zero()) return std::chrono::seconds(0);
  // Round up: "1 second left" until it is really over.
  return std::chrono::ceil<std::chrono::seconds>(left);
}

void TimerManager::cancel_all() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [id, entry] : impl_->entries) entry.timer->cancel();
  impl_->entries.clear();
}

uint64_t TimerManager::fired_count() const { return impl_->fired.load(); }

}  // namespace hearth
