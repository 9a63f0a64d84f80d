// tests/fakes/fake_device_adapter.h: a DeviceAdapter for bus tests. It
// answers on its executor, records every command, and can fail on the Nth
// command, replay a script of replies, reply inline (to check that the bus
// copes with a misbehaving adapter) or never reply (to test deadlines).
//
// Default reply: the current state with attribute "last_action" = the action.
// Test-only; touched only from the executor it was given (a strand).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>

#include "hearth/devices/bus.h"

namespace hearth {

class FakeDeviceAdapter final : public DeviceAdapter {
 public:
  // One scripted reply: an error, a state, or no reply at all.
  struct Step {
    std::optional<Error> error;        // reply with this error
    std::optional<DeviceState> state;  // else reply with this state (else the default reply)
    bool never_reply = false;          // swallow the command (the bus must time out)
  };

  explicit FakeDeviceAdapter(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  std::string_view kind() const override { return "fake"; }

  // The `n`-th command (1-based) fails with `error`; the others get the default reply.
  void fail_on_command(int n, Error error) {
    fail_at_ = n;
    fail_error_ = std::move(error);
  }
  // Replies for the next commands, in order; afterwards the default reply.
  void set_script(std::vector<Step> steps) { script_.assign(steps.begin(), steps.end()); }
  // Calls `done` before async_execute returns instead of posting it.
  void set_reply_inline(bool inline_reply) { reply_inline_ = inline_reply; }
  // async_shutdown never calls its `done` (the bus's shutdown deadline must).
  void set_shutdown_hangs(bool hangs) { shutdown_hangs_ = hangs; }

  void async_execute(const Device& device, const DeviceState& current, const Command& cmd, Done done) override {
    (void)device;
    commands_.push_back(cmd);
    const int n = static_cast<int>(commands_.size());
    Result<DeviceState> reply = default_reply(current, cmd);
    if (n == fail_at_) {
      reply = fail_error_;
    } else if (!script_.empty()) {
      Step step = script_.front();
      script_.pop_front();
      if (step.never_reply) {
        swallowed_.push_back(std::move(done));  // kept so the handler is not destroyed early
        return;
      }
      if (step.error) {
        reply = *step.error;
      } else if (step.state) {
        reply = *step.state;
      }
    }
    if (reply_inline_) {
      done(std::move(reply));
      return;
    }
    boost::asio::post(ex_, [done = std::move(done), reply = std::move(reply)]() mutable { done(std::move(reply)); });
  }

  // Swallowed commands stay unanswered even at shutdown: the bus's own
  // deadline must cover them.
  void async_shutdown(std::function<void()> done) override {
    ++n_shutdowns_;
    if (shutdown_hangs_) {
      hung_shutdowns_.push_back(std::move(done));
      return;
    }
    boost::asio::post(ex_, std::move(done));
  }

  const std::vector<Command>& commands() const { return commands_; }
  int n_shutdowns() const { return n_shutdowns_; }

 private:
  static DeviceState default_reply(const DeviceState& current, const Command& cmd) {
    DeviceState next = current;
    next.attributes["last_action"] = cmd.action;
    return next;
  }

  boost::asio::any_io_executor ex_;
  std::vector<Command> commands_;
  std::deque<Step> script_;
  std::vector<Done> swallowed_;
  int fail_at_ = 0;
  Error fail_error_;
  bool reply_inline_ = false;
  bool shutdown_hangs_ = false;
  std::vector<std::function<void()>> hung_shutdowns_;
  int n_shutdowns_ = 0;
};

}  // namespace hearth
