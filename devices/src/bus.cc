// The device bus: one strand and one adapter per device, a FIFO of commands
// per device, a deadline per command, and the table of current states.
//
// Life of a command (everything after acceptance runs on the device's strand):
//   async_execute: unknown id → kNotFound; invalid → kBadInput/kUnsupported;
//                  too many unfinished → kBusy; else accepted
//   enqueue:       deadline timer armed (counts from acceptance), job queued
//   start_next:    the adapter runs the job; the next waits until it returns
//   on_adapter_done / on_deadline: whichever comes first answers the caller;
//                  a `finished` flag on the job makes the answer happen once.
// An adapter's late reply still updates the state table: the device did
// change, even though the caller was already told kTimeout.
#include "hearth/devices/bus.h"

#include <atomic>
#include <deque>
#include <map>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "hearth/common/log.h"
#include "virtual_adapter.h"

namespace hearth {

namespace asio = boost::asio;

namespace {

using Strand = asio::strand<asio::any_io_executor>;

struct Job {
  Command cmd;
  Bus::ResultHandler on_done;
  std::chrono::steady_clock::time_point accepted;  // injected clock; latency is measured from here
  std::unique_ptr<asio::steady_timer> deadline;
  DeviceState before;
  bool started = false;   // handed to the adapter
  bool finished = false;  // the caller has been answered (guards "exactly once")
};

// One device. `device`, `strand` and `adapter` are fixed after create();
// `queue` and `running` belong to the strand.
struct Slot {
  Slot(const Device& d, Strand s) : device(d), strand(std::move(s)) {}

  const Device& device;
  Strand strand;
  std::unique_ptr<DeviceAdapter> adapter;
  std::deque<std::shared_ptr<Job>> queue;
  bool running = false;
  std::atomic<size_t> n_unfinished{0};  // accepted and not answered yet; checked from any thread
};

}  // namespace

// Shared with every pending handler, so a handler that runs after ~Bus still
// finds the state it needs.
struct BusCore {
  BusCore(asio::any_io_executor e, const Home& h, const BusOptions& o, const Clock& c)
      : ex(std::move(e)), home(h), options(o), clock(c) {}

  asio::any_io_executor ex;
  const Home& home;
  BusOptions options;
  const Clock& clock;
  std::map<std::string, std::unique_ptr<Slot>, std::less<>> slots;  // fixed after create()

  mutable std::mutex mu;  // guards states, stats, listener
  std::map<std::string, DeviceState, std::less<>> states;
  Bus::Stats stats;
  Bus::StateListener listener;

  std::atomic<bool> closing{false};    // shutdown started: no new work
  std::atomic<bool> destroyed{false};  // ~Bus ran: no more listener calls
};

class Bus::Impl {
 public:
  std::shared_ptr<BusCore> core;
};

namespace {

using CorePtr = std::shared_ptr<BusCore>;

DeviceState current_state(const CorePtr& core, std::string_view id) {
  std::lock_guard<std::mutex> lock(core->mu);
  auto it = core->states.find(id);
  return it == core->states.end() ? DeviceState{} : it->second;
}

void count(const CorePtr& core, const Result<void>& status) {
  std::lock_guard<std::mutex> lock(core->mu);
  if (status) {
    ++core->stats.executed;
  } else if (status.error().code == Code::kTimeout) {
    ++core->stats.timed_out;
  } else {
    ++core->stats.failed;
  }
}

// Stores `next` as the device's state and tells the listener what changed.
// Runs on the device's strand.
void apply_state(const CorePtr& core, const std::string& device_id, const DeviceState& next,
                 const std::string& origin) {
  DeviceState old;
  Bus::StateListener listener;
  {
    std::lock_guard<std::mutex> lock(core->mu);
    DeviceState& slot_state = core->states[device_id];
    old = slot_state;
    slot_state = next;
    listener = core->listener;
  }
  if (!listener || core->destroyed.load()) return;
  const auto now = core->clock.now();
  for (StateChange& change : diff_states(device_id, old, next)) {
    change.origin = origin;
    change.time = now;
    listener(change);
  }
}

// Answers a command that never reached the queue. `ex` is where the handler runs.
void reply_early(const CorePtr& core, const asio::any_io_executor& ex, Command cmd, Bus::ResultHandler on_done,
                 Error error) {
  asio::post(ex, [core, cmd = std::move(cmd), on_done = std::move(on_done), error = std::move(error)]() mutable {
    ActionResult r;
    r.device_id = cmd.device_id;
    r.action = cmd.action;
    r.status = error;
    r.before = current_state(core, cmd.device_id);
    r.after = r.before;
    count(core, r.status);
    if (on_done) on_done(std::move(r));
  });
}

// Answers the caller once. Runs on the device's strand.
void finish(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job, Result<void> status,
            const DeviceState& after) {
  if (job->finished) return;  // defensive: callers check first
  job->finished = true;
  if (job->deadline) job->deadline->cancel();
  slot->n_unfinished.fetch_sub(1);
  if (!job->started) job->before = current_state(core, slot->device.id);

  ActionResult r;
  r.device_id = job->cmd.device_id;
  r.action = job->cmd.action;
  r.status = std::move(status);
  r.before = job->before;
  r.after = r.status ? after : job->before;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(core->clock.steady_now() - job->accepted);
  count(core, r.status);
  if (!r.status) {
    HEARTH_LOG_WARN("devices", "%s: %s failed: %s", r.device_id.c_str(), r.action.c_str(),
                    r.status.error().message.c_str());
  }
  Bus::ResultHandler handler = std::move(job->on_done);
  job->on_done = nullptr;
  if (handler) handler(std::move(r));
}

void start_next(const CorePtr& core, Slot* slot);

void on_adapter_done(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job, Result<DeviceState> r) {
  slot->running = false;
  DeviceState after = job->before;
  if (r) {
    after = *r;
    apply_state(core, slot->device.id, after, job->cmd.origin);
  }
  if (!job->finished) {
    finish(core, slot, job, r ? Result<void>{} : Result<void>(r.error()), after);
  } else if (r) {
    HEARTH_LOG_WARN("devices", "%s: %s finished after its deadline; state updated", slot->device.id.c_str(),
                    job->cmd.action.c_str());
  }
  start_next(core, slot);
}

// Hands the next waiting job to the adapter, one at a time so commands to a
// device run in order. Runs on the device's strand.
void start_next(const CorePtr& core, Slot* slot) {
  while (!slot->running && !slot->queue.empty()) {
    std::shared_ptr<Job> job = slot->queue.front();
    slot->queue.pop_front();
    if (job->finished) continue;  // timed out while waiting
    if (core->closing.load()) {
      finish(core, slot, job, Error{Code::kCancelled, slot->device.id + ": bus is shutting down"}, job->before);
      continue;
    }
    slot->running = true;
    job->started = true;
    job->before = current_state(core, slot->device.id);
    // Weak: an adapter holding `done` (a request awaiting its reply) must not
    // keep the bus alive through the adapter it owns. While the job's
    // deadline timer is pending the core is alive anyway, and once it has
    // fired the caller has been answered, so nothing is lost.
    std::weak_ptr<BusCore> weak = core;
    slot->adapter->async_execute(slot->device, job->before, job->cmd,
                                 [weak, slot, job](Result<DeviceState> r) {
                                   CorePtr c = weak.lock();
                                   if (!c) return;
                                   // Back onto the strand whatever the adapter did, so an
                                   // adapter replying inline cannot re-enter start_next.
                                   asio::post(slot->strand, [c, slot, job, r = std::move(r)]() mutable {
                                     on_adapter_done(c, slot, job, std::move(r));
                                   });
                                 });
  }
}

void enqueue(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job) {
  if (core->closing.load()) {
    finish(core, slot, job, Error{Code::kCancelled, slot->device.id + ": bus is shutting down"}, DeviceState{});
    return;
  }
  const auto timeout = core->options.command_timeout;
  job->deadline = std::make_unique<asio::steady_timer>(slot->strand, timeout);
  job->deadline->async_wait([core, slot, job, timeout](const boost::system::error_code& ec) {
    if (ec || job->finished) return;
    const std::string message = job->cmd.device_id + ": " + job->cmd.action + ": no reply within " +
                                std::to_string(timeout.count()) + " ms";
    finish(core, slot, job, Error{Code::kTimeout, message}, job->before);
  });
  slot->queue.push_back(job);
  start_next(core, slot);
}

}  // namespace

Bus::Bus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Bus::~Bus() {
  const CorePtr& core = impl_->core;
  core->closing.store(true);
  core->destroyed.store(true);
  // Stop the adapters' timers so the event loop does not keep running for
  // work nobody waits for; pending handlers keep `core` alive until then.
  for (auto& [id, slot] : core->slots) {
    Slot* s = slot.get();
    asio::post(s->strand, [core, s] { s->adapter->async_shutdown([] {}); });
  }
}

Result<std::unique_ptr<Bus>> Bus::create(boost::asio::any_io_executor ex, const Home& home,
                                         const BusOptions& options, const Clock& clock) {
  if (options.command_timeout.count() <= 0) {
    return Error{Code::kBadInput, "devices: bus command_timeout must be > 0 ms"};
  }
  if (options.max_queued_per_device == 0) {
    return Error{Code::kBadInput, "devices: bus max_queued_per_device must be > 0"};
  }
  auto core = std::make_shared<BusCore>(ex, home, options, clock);
  std::weak_ptr<BusCore> weak = core;
  std::string problems;
  int n_problems = 0;
  for (const Device& device : home.devices()) {
    auto slot = std::make_unique<Slot>(device, asio::make_strand(ex));
    if (device.adapter.type == "virtual") {
      Result<VirtualOptions> vo = parse_virtual_options(device.adapter.options_json);
      if (!vo) {
        problems += (n_problems++ > 0 ? "; " : "") + device.id + ": " + vo.error().message;
        continue;
      }
      slot->adapter = make_virtual_adapter(slot->strand, clock);
    } else if (options.adapter_factory) {
      slot->adapter = options.adapter_factory(device, slot->strand);
    }
    if (!slot->adapter) {
      problems += (n_problems++ > 0 ? "; " : "") + device.id + ": adapter type '" + device.adapter.type +
                  "' is not available in this build (known: virtual)";
      continue;
    }
    // Weak: the adapter is owned by the core, a strong pointer would be a cycle.
    slot->adapter->set_state_report([weak, strand = slot->strand](const std::string& device_id, DeviceState state) {
      asio::post(strand, [weak, device_id, state = std::move(state)] {
        CorePtr c = weak.lock();
        if (!c || c->destroyed.load()) return;
        apply_state(c, device_id, state, "device");
      });
    });
    core->states[device.id] = device.initial;
    core->slots.emplace(device.id, std::move(slot));
  }
  if (n_problems > 0) {
    return Error{Code::kBadInput, "devices: " + std::to_string(n_problems) + " bad adapter binding(s): " + problems};
  }
  auto impl = std::make_unique<Impl>();
  impl->core = std::move(core);
  return std::unique_ptr<Bus>(new Bus(std::move(impl)));
}

void Bus::async_execute(Command cmd, ResultHandler on_done) {
  const CorePtr& core = impl_->core;
  auto it = core->slots.find(cmd.device_id);
  if (it == core->slots.end()) {
    Error e{Code::kNotFound, "unknown device '" + cmd.device_id + "'"};
    reply_early(core, core->ex, std::move(cmd), std::move(on_done), std::move(e));
    return;
  }
  Slot* slot = it->second.get();
  if (core->closing.load()) {
    Error e{Code::kCancelled, cmd.device_id + ": bus is shutting down"};
    reply_early(core, slot->strand, std::move(cmd), std::move(on_done), std::move(e));
    return;
  }
  if (Result<void> valid = validate_command(slot->device, cmd); !valid) {
    reply_early(core, slot->strand, std::move(cmd), std::move(on_done), valid.error());
    return;
  }
  // Reserve a place first, so concurrent callers cannot both take the last one.
  if (slot->n_unfinished.fetch_add(1) >= core->options.max_queued_per_device) {
    slot->n_unfinished.fetch_sub(1);
    Error e{Code::kBusy, cmd.device_id + ": " + std::to_string(core->options.max_queued_per_device) +
                             " commands already waiting; try again later"};
    reply_early(core, slot->strand, std::move(cmd), std::move(on_done), std::move(e));
    return;
  }
  auto job = std::make_shared<Job>();
  job->cmd = std::move(cmd);
  job->on_done = std::move(on_done);
  job->accepted = core->clock.steady_now();
  asio::post(slot->strand, [core = impl_->core, slot, job] { enqueue(core, slot, job); });
}

std::optional<DeviceState> Bus::state(std::string_view device_id) const {
  std::lock_guard<std::mutex> lock(impl_->core->mu);
  auto it = impl_->core->states.find(device_id);
  if (it == impl_->core->states.end()) return std::nullopt;
  return it->second;
}

void Bus::set_state_listener(StateListener listener) {
  std::lock_guard<std::mutex> lock(impl_->core->mu);
  impl_->core->listener = std::move(listener);
}

namespace {

// Bookkeeping of one async_shutdown, on its own strand.
struct ShutdownWait {
  explicit ShutdownWait(Strand s) : strand(std::move(s)), timer(strand) {}

  void fire() {
    if (fired) return;
    fired = true;
    timer.cancel();
    std::function<void()> f = std::move(done);
    done = nullptr;
    if (f) f();
  }

  Strand strand;
  asio::steady_timer timer;
  size_t remaining = 0;  // adapters still shutting down
  bool fired = false;    // `done` was called (exactly once)
  std::function<void()> done;
};

}  // namespace

void Bus::async_shutdown(std::chrono::milliseconds deadline, std::function<void()> done) {
  CorePtr core = impl_->core;
  core->closing.store(true);
  auto wait = std::make_shared<ShutdownWait>(asio::make_strand(core->ex));
  wait->remaining = core->slots.size();
  wait->done = std::move(done);
  asio::post(wait->strand, [wait, deadline] {
    if (wait->remaining == 0) {
      wait->fire();
      return;
    }
    wait->timer.expires_after(deadline);
    wait->timer.async_wait([wait](const boost::system::error_code& ec) {
      if (ec) return;
      HEARTH_LOG_WARN("devices", "shutdown: %zu adapter(s) still busy at the deadline", wait->remaining);
      wait->fire();
    });
  });
  for (auto& [id, slot_ptr] : core->slots) {
    Slot* slot = slot_ptr.get();
    asio::post(slot->strand, [core, slot, wait] {
      // Queued jobs never reach the adapter; the running one is cancelled by
      // the adapter's shutdown and answered through on_adapter_done.
      std::deque<std::shared_ptr<Job>> queued;
      queued.swap(slot->queue);
      for (const std::shared_ptr<Job>& job : queued) {
        if (!job->finished) {
          finish(core, slot, job, Error{Code::kCancelled, slot->device.id + ": bus is shutting down"}, job->before);
        }
      }
      slot->adapter->async_shutdown([wait] {
        asio::post(wait->strand, [wait] {
          if (wait->remaining > 0) --wait->remaining;
          if (wait->remaining == 0) wait->fire();
        });
      });
    });
  }
}

Bus::Stats Bus::stats() const {
  std::lock_guard<std::mutex> lock(impl_->core->mu);
  return impl_->core->stats;
}

}  // namespace hearth
