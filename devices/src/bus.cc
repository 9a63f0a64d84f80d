// The device bus: one strand and one adapter per device (plus an optional
// cloud adapter), a FIFO of commands per device, a deadline per command, and
// the table of current states.
//
// Life of a command (everything after acceptance runs on the device's strand):
//   async_execute: unknown id → kNotFound; invalid → kBadInput/kUnsupported;
//                  too many unfinished → kBusy; else accepted
//   enqueue:       deadline timer armed (counts from acceptance); queued jobs
//                  at the tail that the new one supersedes (same idempotent
//                  action, subset of its parameters: a burst of brightness
//                  changes) are absorbed and answered with its outcome
//   start_next:    one job at a time per device, in order
//   run_attempt:   the local adapter runs the job (attempt timer armed when
//                  attempt_timeout is set)
//   on_attempt_done: ok → confirmed at once (virtual, HTTP: the reply is the
//                  device's state) or, for adapters that confirm by report
//                  (MQTT), the job waits for a state report that reaches the
//                  target; the device's queue moves on meanwhile.
//                  error → retry with jittered backoff if the action is
//                  idempotent or the error says "not delivered"; then the
//                  cloud route if the device has one and the network is up
//                  (network down: answered at once, saying so); else failed.
//   deadline:      answers whatever is still open: kTimeout, or ok but not
//                  confirmed for a job that was sent and awaits its report.
// `finished` on a job makes the answer happen once. An adapter's late reply
// still updates the state table: the device did change, even though the
// caller was already told kTimeout.
#include "hearth/devices/bus.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <random>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "hearth/common/log.h"
#include "hearth/devices/protocols.h"
#include "http_adapter.h"
#include "mqtt_codec.h"
#include "virtual_adapter.h"

namespace hearth {

namespace asio = boost::asio;

namespace {

using Strand = asio::strand<asio::any_io_executor>;
constexpr std::chrono::milliseconds kMaxRetryDelay{1000};  // backoff cap
constexpr int kMaxLocalAttemptsWithCloud = 2;                // local tries before a device's cloud route

struct Job {
  Command cmd;
  Bus::ResultHandler on_done;
  std::chrono::steady_clock::time_point accepted;  // injected clock; latency is measured from here
  std::unique_ptr<asio::steady_timer> deadline;
  std::unique_ptr<asio::steady_timer> attempt_timer;  // attempt timeout, or the wait before a retry
  DeviceState before;
  DeviceState target;                   // what the device should report (confirms_by_report adapters)
  bool started = false;                 // handed to an adapter
  bool finished = false;                // the caller has been answered (guards "exactly once")
  bool awaiting_report = false;         // sent; waiting for the device to report the target
  int attempts = 0;                     // adapter calls so far
  int local_attempts = 0;
  uint64_t attempt_id = 0;              // replies of abandoned attempts carry an older id
  std::string route;                    // of the current / last attempt
  std::optional<Error> last_error;      // of the last failed attempt
  std::vector<std::shared_ptr<Job>> absorbed;  // superseded earlier commands, answered with this one
};

// One device. `device`, `strand` and the adapters are fixed after create();
// the rest belongs to the strand.
struct Slot {
  Slot(const Device& d, Strand s) : device(d), strand(std::move(s)) {}

  const Device& device;
  Strand strand;
  std::unique_ptr<DeviceAdapter> adapter;
  std::unique_ptr<DeviceAdapter> cloud;  // vendor cloud route, may be null
  std::deque<std::shared_ptr<Job>> queue;
  std::vector<std::shared_ptr<Job>> awaiting;  // sent, waiting for a confirming report
  bool running = false;                  // a job holds the device (attempt or retry wait)
  std::atomic<size_t> n_unfinished{0};  // accepted and not answered yet; checked from any thread
};

}  // namespace

// Shared with every pending handler, so a handler that runs after ~Bus still
// finds the state it needs.
struct BusCore {
  BusCore(asio::any_io_executor e, const Home& h, const BusOptions& o, const Clock& c)
      : ex(std::move(e)), home(h), options(o), clock(c), rng(o.retry_seed) {}

  asio::any_io_executor ex;
  const Home& home;
  BusOptions options;
  const Clock& clock;
  std::map<std::string, std::unique_ptr<Slot>, std::less<>> slots;  // fixed after create()

  mutable std::mutex mu;  // guards states, stats, listener, rng
  std::map<std::string, DeviceState, std::less<>> states;
  Bus::Stats stats;
  Bus::StateListener listener;
  std::mt19937_64 rng;    // retry jitter

  std::atomic<bool> closing{false};    // shutdown started: no new work
  std::atomic<bool> destroyed{false};  // ~Bus ran: no more listener calls
};

class Bus::Impl {
 public:
  std::shared_ptr<BusCore> core;
};

bool is_idempotent_action(std::string_view action) {
  static constexpr std::array<std::string_view, 17> kIdempotent = {
      "turn_on",     "turn_off",        "open_cover", "close_cover", "stop_cover", "set_position",
      "set_temperature", "set_hvac_mode", "lock",      "unlock",      "media_play", "media_pause",
      "set_volume",  "start",           "return_to_base", "stop",     "set_speed"};
  for (std::string_view a : kIdempotent) {
    if (a == action) return true;
  }
  return false;
}

namespace {

using CorePtr = std::shared_ptr<BusCore>;

DeviceState current_state(const CorePtr& core, std::string_view id) {
  std::lock_guard<std::mutex> lock(core->mu);
  auto it = core->states.find(id);
  return it == core->states.end() ? DeviceState{} : it->second;
}

void count(const CorePtr& core, const ActionResult& r) {
  std::lock_guard<std::mutex> lock(core->mu);
  if (r.status) {
    ++core->stats.executed;
    if (!r.confirmed) ++core->stats.unconfirmed;
  } else if (r.status.error().code == Code::kTimeout) {
    ++core->stats.timed_out;
  } else {
    ++core->stats.failed;
  }
  if (r.coalesced) ++core->stats.coalesced;
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

// Does `reported` show what `cmd` asked for? The state string must match;
// numeric parameters (brightness, position, volume, percentage within 1
// point, temperature within 0.25 °C) must be there too; color temperature
// within 3 % (devices speak mireds) and color within 24 of 255 per channel
// (devices speak CIE xy, so the round trip is not exact).
bool reaches_target(const Command& cmd, const DeviceState& target, const DeviceState& reported) {
  if (!target.state.empty() && target.state != reported.state) return false;
  if (cmd.params.count("color_temp_kelvin") && target.state != "off") {
    auto want = target.attributes.find("color_temp_kelvin");
    auto got = reported.attributes.find("color_temp_kelvin");
    if (want != target.attributes.end()) {
      if (got == reported.attributes.end()) return false;
      std::optional<double> w = as_number(want->second), g = as_number(got->second);
      if (!w || !g || std::fabs(*w - *g) > 0.03 * *w) return false;
    }
  }
  if (cmd.params.count("color") && target.state != "off") {
    auto want = target.attributes.find("color");
    auto got = reported.attributes.find("color");
    if (want != target.attributes.end()) {
      if (got == reported.attributes.end() || !as_string(want->second) || !as_string(got->second)) return false;
      std::optional<std::string> w = mqtt::color_to_hex(*as_string(want->second));
      std::optional<std::string> g = mqtt::color_to_hex(*as_string(got->second));
      if (!w || !g) return false;
      for (int i = 0; i < 3; ++i) {
        const int a = std::stoi(w->substr(1 + 2 * i, 2), nullptr, 16), b = std::stoi(g->substr(1 + 2 * i, 2), nullptr, 16);
        if (std::abs(a - b) > 24) return false;
      }
    }
  }
  struct Key {
    std::string_view name;
    double tolerance;
  };
  for (Key k : {Key{"brightness", 1.0}, Key{"position", 1.0}, Key{"volume", 1.0}, Key{"percentage", 1.0},
                Key{"temperature", 0.25}}) {
    if (cmd.params.find(k.name) == cmd.params.end()) continue;
    auto want = target.attributes.find(k.name);
    if (want == target.attributes.end()) continue;  // e.g. brightness 0 means "off", kept out of the target
    if ((k.name == "brightness" || k.name == "percentage") && target.state == "off") continue;
    auto got = reported.attributes.find(k.name);
    if (got == reported.attributes.end()) return false;
    std::optional<double> w = as_number(want->second), g = as_number(got->second);
    if (!w || !g || std::fabs(*w - *g) > k.tolerance) return false;
  }
  return true;
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
    count(core, r);
    if (on_done) on_done(std::move(r));
  });
}

// Answers the caller once (and every command this one absorbed). Runs on the
// device's strand.
void finish(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job, Result<void> status,
            const DeviceState& after, bool confirmed, bool coalesced = false) {
  if (job->finished) return;  // defensive: callers check first
  job->finished = true;
  if (job->deadline) job->deadline->cancel();
  if (job->attempt_timer) job->attempt_timer->cancel();
  if (job->awaiting_report) {
    job->awaiting_report = false;
    auto& w = slot->awaiting;
    w.erase(std::remove(w.begin(), w.end(), job), w.end());
  }
  slot->n_unfinished.fetch_sub(1);
  if (!job->started && !coalesced) job->before = current_state(core, slot->device.id);

  ActionResult r;
  r.device_id = job->cmd.device_id;
  r.action = job->cmd.action;
  r.status = std::move(status);
  r.before = job->before;
  r.after = r.status ? after : job->before;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(core->clock.steady_now() - job->accepted);
  r.confirmed = r.status && confirmed;
  r.route = job->route;
  r.attempts = job->attempts;
  r.coalesced = coalesced;
  count(core, r);
  if (!r.status && !coalesced) {
    HEARTH_LOG_WARN("devices", "%s: %s failed: %s", r.device_id.c_str(), r.action.c_str(),
                    r.status.error().message.c_str());
  }
  std::vector<std::shared_ptr<Job>> absorbed;
  absorbed.swap(job->absorbed);
  for (const std::shared_ptr<Job>& a : absorbed) {
    if (a->finished) continue;
    a->route = job->route;
    a->attempts = 0;  // it never reached an adapter itself
    a->before = job->before;
    finish(core, slot, a, r.status, after, confirmed, true);
  }
  Bus::ResultHandler handler = std::move(job->on_done);
  job->on_done = nullptr;
  if (handler) handler(std::move(r));
}

void start_next(const CorePtr& core, Slot* slot);
void run_attempt(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job, bool cloud);

// Lets the next job use the device.
void release(const CorePtr& core, Slot* slot) {
  slot->running = false;
  start_next(core, slot);
}

std::chrono::milliseconds remaining(const std::shared_ptr<Job>& job) {
  if (!job->deadline) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(job->deadline->expiry() -
                                                              asio::steady_timer::clock_type::now());
}

std::chrono::milliseconds retry_delay(const CorePtr& core, int failed_attempts) {
  auto cap = std::chrono::milliseconds(core->options.retry_base_delay.count() << std::min(failed_attempts - 1, 10));
  cap = std::min(cap, kMaxRetryDelay);
  std::lock_guard<std::mutex> lock(core->mu);
  // Full jitter in [cap/2, cap]: spread out, but never an immediate hammering.
  std::uniform_int_distribution<int64_t> d(cap.count() / 2, cap.count());
  return std::chrono::milliseconds(d(core->rng));
}

// An attempt failed (adapter error or attempt timeout): retry, go to the
// cloud, or answer. The slot is still held by `job`.
void on_attempt_failed(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job, Error error) {
  const Code c = error.code;
  const bool transient = c == Code::kUnavailable || c == Code::kTimeout || c == Code::kIo;
  // kUnavailable promises "not delivered"; otherwise only idempotent actions
  // may run twice.
  const bool may_repeat = transient && (c == Code::kUnavailable || is_idempotent_action(job->cmd.action));
  job->last_error = error;
  const bool on_cloud = job->route == "cloud";
  if (may_repeat && !on_cloud && !core->closing.load()) {
    const int max_local = slot->cloud ? std::min(core->options.max_attempts, kMaxLocalAttemptsWithCloud)
                                      : core->options.max_attempts;
    if (job->local_attempts < max_local) {
      const auto delay = retry_delay(core, job->local_attempts);
      if (delay + std::chrono::milliseconds(10) < remaining(job)) {
        job->attempt_timer = std::make_unique<asio::steady_timer>(slot->strand, delay);
        job->attempt_timer->async_wait([core, slot, job](const boost::system::error_code& ec) {
          if (ec || job->finished) return;
          {
            std::lock_guard<std::mutex> lock(core->mu);
            ++core->stats.retries;
          }
          run_attempt(core, slot, job, false);
        });
        return;
      }
    }
    if (slot->cloud) {
      const bool up = !core->options.network_up || core->options.network_up();
      if (!up) {
        finish(core, slot, job,
               Error{c, error.message + "; cloud route not tried: the network is down"}, job->before, false);
        release(core, slot);
        return;
      }
      {
        std::lock_guard<std::mutex> lock(core->mu);
        ++core->stats.via_cloud;
      }
      HEARTH_LOG_INFO("devices", "%s: local route failed (%s); trying the cloud route", slot->device.id.c_str(),
                      error.message.c_str());
      run_attempt(core, slot, job, true);
      return;
    }
  }
  finish(core, slot, job, std::move(error), job->before, false);
  release(core, slot);
}

void on_attempt_done(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job, uint64_t attempt_id,
                     bool cloud, Result<DeviceState> r) {
  DeviceAdapter* adapter = cloud ? slot->cloud.get() : slot->adapter.get();
  const bool by_report = adapter->confirms_by_report();
  if (attempt_id != job->attempt_id || job->finished) {
    // An abandoned attempt or a job answered at its deadline. The device
    // did change when the adapter says so.
    if (r && !by_report) {
      apply_state(core, slot->device.id, *r, job->cmd.origin);
      HEARTH_LOG_WARN("devices", "%s: %s finished after its deadline; state updated", slot->device.id.c_str(),
                      job->cmd.action.c_str());
    }
    if (attempt_id == job->attempt_id && slot->running && job->finished) release(core, slot);
    return;
  }
  if (job->attempt_timer) job->attempt_timer->cancel();
  if (!r) {
    on_attempt_failed(core, slot, job, std::move(r).error());
    return;
  }
  if (!by_report) {
    apply_state(core, slot->device.id, *r, job->cmd.origin);
    finish(core, slot, job, Result<void>{}, *r, true);
    release(core, slot);
    return;
  }
  // Sent; the device's report must show the target (maybe it already did).
  job->target = std::move(*r);
  const DeviceState now = current_state(core, slot->device.id);
  const bool flipped_since_sent = now.state != job->before.state;
  if (reaches_target(job->cmd, job->target, now) && (is_idempotent_action(job->cmd.action) || flipped_since_sent)) {
    finish(core, slot, job, Result<void>{}, now, true);
  } else {
    job->awaiting_report = true;
    slot->awaiting.push_back(job);
  }
  release(core, slot);
}

void run_attempt(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job, bool cloud) {
  slot->running = true;
  if (!job->started) {
    job->started = true;
    job->before = current_state(core, slot->device.id);
  }
  const uint64_t id = ++job->attempt_id;
  ++job->attempts;
  if (!cloud) ++job->local_attempts;
  job->route = cloud ? "cloud" : "local";
  const auto attempt_timeout = core->options.attempt_timeout;
  if (attempt_timeout.count() > 0 && attempt_timeout < remaining(job)) {
    job->attempt_timer = std::make_unique<asio::steady_timer>(slot->strand, attempt_timeout);
    job->attempt_timer->async_wait([core, slot, job, id, attempt_timeout](const boost::system::error_code& ec) {
      if (ec || job->finished || id != job->attempt_id) return;
      ++job->attempt_id;  // abandon it; a late reply only updates the state
      on_attempt_failed(core, slot, job,
                        Error{Code::kTimeout, job->cmd.device_id + ": " + job->cmd.action + ": " + job->route +
                                                  " route: no reply within " + std::to_string(attempt_timeout.count()) +
                                                  " ms"});
    });
  }
  DeviceAdapter* adapter = cloud ? slot->cloud.get() : slot->adapter.get();
  // Weak: an adapter holding `done` (a request awaiting its reply) must not
  // keep the bus alive through the adapter it owns. While the job's
  // deadline timer is pending the core is alive anyway, and once it has
  // fired the caller has been answered, so nothing is lost.
  std::weak_ptr<BusCore> weak = core;
  adapter->async_execute(slot->device, current_state(core, slot->device.id), job->cmd,
                         [weak, slot, job, id, cloud](Result<DeviceState> r) {
                           CorePtr c = weak.lock();
                           if (!c) return;
                           // Back onto the strand whatever the adapter did, so an
                           // adapter replying inline cannot re-enter start_next.
                           asio::post(slot->strand, [c, slot, job, id, cloud, r = std::move(r)]() mutable {
                             on_attempt_done(c, slot, job, id, cloud, std::move(r));
                           });
                         });
}

// Hands the next waiting job to the adapter, one at a time so commands to a
// device run in order. Runs on the device's strand.
void start_next(const CorePtr& core, Slot* slot) {
  while (!slot->running && !slot->queue.empty()) {
    std::shared_ptr<Job> job = slot->queue.front();
    slot->queue.pop_front();
    if (job->finished) continue;  // timed out while waiting
    if (core->closing.load()) {
      finish(core, slot, job, Error{Code::kCancelled, slot->device.id + ": bus is shutting down"}, job->before, false);
      continue;
    }
    // Its deadline has passed and the answer is on its way: do not send it.
    if (remaining(job).count() <= 0) continue;
    run_attempt(core, slot, job, false);
  }
}

// A later command makes an earlier queued one pointless: the same idempotent
// action with no parameter the later one does not also set.
bool supersedes(const Command& later, const Command& earlier) {
  if (later.action != earlier.action || !is_idempotent_action(later.action)) return false;
  for (const auto& [key, value] : earlier.params) {
    if (later.params.find(key) == later.params.end()) return false;
  }
  return true;
}

void on_deadline(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job) {
  if (job->finished) return;
  if (job->awaiting_report) {
    HEARTH_LOG_WARN("devices", "%s: %s sent but the device did not report the target state within %lld ms",
                    job->cmd.device_id.c_str(), job->cmd.action.c_str(),
                    static_cast<long long>(core->options.command_timeout.count()));
    finish(core, slot, job, Result<void>{}, current_state(core, slot->device.id), false);
    return;
  }
  const bool was_running = job->started;
  std::string message = job->cmd.device_id + ": " + job->cmd.action + ": no reply within " +
                        std::to_string(core->options.command_timeout.count()) + " ms";
  if (job->last_error) message += " (last error: " + job->last_error->message + ")";
  finish(core, slot, job, Error{Code::kTimeout, message}, job->before, false);
  if (was_running && slot->running) {
    // The adapter may still answer; its reply is ignored apart from the
    // state. The device's other commands must not wait for it.
    ++job->attempt_id;
    release(core, slot);
  }
}

void enqueue(const CorePtr& core, Slot* slot, const std::shared_ptr<Job>& job) {
  if (core->closing.load()) {
    finish(core, slot, job, Error{Code::kCancelled, slot->device.id + ": bus is shutting down"}, DeviceState{}, false);
    return;
  }
  const auto timeout = core->options.command_timeout;
  job->deadline = std::make_unique<asio::steady_timer>(slot->strand, timeout);
  job->deadline->async_wait([core, slot, job](const boost::system::error_code& ec) {
    if (ec) return;
    on_deadline(core, slot, job);
  });
  // Coalesce with the tail of the queue only, so nothing jumps over a
  // command of another kind.
  while (core->options.coalesce && !slot->queue.empty()) {
    std::shared_ptr<Job>& last = slot->queue.back();
    if (last->finished) {
      slot->queue.pop_back();
      continue;
    }
    if (!supersedes(job->cmd, last->cmd)) break;
    job->absorbed.push_back(last);
    for (auto& a : last->absorbed) job->absorbed.push_back(a);
    last->absorbed.clear();
    slot->queue.pop_back();
  }
  slot->queue.push_back(job);
  start_next(core, slot);
}

// A report from the device: confirm waiting commands it satisfies (their
// origin goes to the history), then store it.
// A non-idempotent command (toggle) is confirmed only by a report that
// changes the state, and one such report confirms one such command: a
// re-sent retained state, or one flip, must not vouch for several toggles.
void on_report(const CorePtr& core, Slot* slot, const DeviceState& state) {
  std::vector<std::shared_ptr<Job>> confirmed;
  const bool changed = current_state(core, slot->device.id).state != state.state;
  bool flip_used = false;
  for (const std::shared_ptr<Job>& job : slot->awaiting) {
    if (job->finished || !reaches_target(job->cmd, job->target, state)) continue;
    if (!is_idempotent_action(job->cmd.action)) {
      if (!changed || flip_used) continue;
      flip_used = true;
    }
    confirmed.push_back(job);
  }
  apply_state(core, slot->device.id, state, confirmed.empty() ? std::string("device") : confirmed.back()->cmd.origin);
  for (const std::shared_ptr<Job>& job : confirmed) finish(core, slot, job, Result<void>{}, state, true);
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
    asio::post(s->strand, [core, s] {
      s->adapter->async_shutdown([] {});
      if (s->cloud) s->cloud->async_shutdown([] {});
    });
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
  if (options.max_attempts < 1 || options.retry_base_delay.count() < 0 || options.attempt_timeout.count() < 0) {
    return Error{Code::kBadInput, "devices: bus max_attempts must be >= 1 and delays >= 0"};
  }
  auto core = std::make_shared<BusCore>(ex, home, options, clock);
  std::weak_ptr<BusCore> weak = core;
  std::string problems;
  int n_problems = 0;
  for (const Device& device : home.devices()) {
    auto slot = std::make_unique<Slot>(device, asio::make_strand(ex));
    auto problem = [&](const std::string& text) { problems += (n_problems++ > 0 ? "; " : "") + device.id + ": " + text; };
    const std::string& type = device.adapter.type;
    if (type == "virtual") {
      Result<VirtualOptions> vo = parse_virtual_options(device.adapter.options_json);
      if (!vo) {
        problem(vo.error().message);
        continue;
      }
      slot->adapter = make_virtual_adapter(slot->strand, clock);
    } else if (type == "mqtt") {
      if (!options.mqtt) {
        problem("adapter type 'mqtt' needs a broker connection (set devices.mqtt in the config)");
        continue;
      }
      Result<std::unique_ptr<DeviceAdapter>> a = options.mqtt->make_adapter(device, slot->strand);
      if (!a) {
        problem(a.error().message);
        continue;
      }
      slot->adapter = std::move(*a);
    } else if (type == "http") {
      Result<std::unique_ptr<DeviceAdapter>> a = make_http_adapter(device, slot->strand);
      if (!a) {
        problem(a.error().message);
        continue;
      }
      slot->adapter = std::move(*a);
    } else if (options.adapter_factory) {
      slot->adapter = options.adapter_factory(device, slot->strand);
    }
    if (!slot->adapter) {
      problem("adapter type '" + type + "' is not available in this build (known: virtual, mqtt, http)");
      continue;
    }
    if (device.cloud) {
      Result<std::unique_ptr<DeviceAdapter>> c = make_cloud_adapter(device, slot->strand);
      if (!c) {
        problem(c.error().message);
        continue;
      }
      slot->cloud = std::move(*c);
    }
    // Weak: the adapter is owned by the core, a strong pointer would be a cycle.
    Slot* raw = slot.get();
    auto report = [weak, raw](const std::string& device_id, DeviceState state) {
      asio::post(raw->strand, [weak, raw, device_id, state = std::move(state)] {
        CorePtr c = weak.lock();
        if (!c || c->destroyed.load()) return;
        if (device_id != raw->device.id) {
          apply_state(c, device_id, state, "device");  // defensive: adapters report their own device
          return;
        }
        on_report(c, raw, state);
      });
    };
    slot->adapter->set_state_report(report);
    if (slot->cloud) slot->cloud->set_state_report(report);
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
      // the adapter's shutdown and answered through on_attempt_done.
      std::deque<std::shared_ptr<Job>> queued;
      queued.swap(slot->queue);
      for (const std::shared_ptr<Job>& job : queued) {
        if (!job->finished) {
          finish(core, slot, job, Error{Code::kCancelled, slot->device.id + ": bus is shutting down"}, job->before,
                 false);
        }
      }
      // Sent commands still waiting for their report end as "not confirmed".
      std::vector<std::shared_ptr<Job>> awaiting = slot->awaiting;
      for (const std::shared_ptr<Job>& job : awaiting) {
        if (!job->finished) finish(core, slot, job, Result<void>{}, current_state(core, slot->device.id), false);
      }
      if (slot->cloud) slot->cloud->async_shutdown([] {});
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
