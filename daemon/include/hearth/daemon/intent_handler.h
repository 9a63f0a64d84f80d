// daemon/intent_handler.h: turns a parsed intent into device commands on the
// bus, runs them (concurrently for one intent, in order for a custom
// intent), and builds the short English answer ("Turned off 3 lights in the
// Kitchen."). Questions (state, temperature), timers, time and date are
// answered without the bus. Called by the API's /command route; one handler
// per config generation (it holds the Home and Bus of that generation).
//
// Threading: async_handle() may be called from any thread; bus results are
// gathered on the handler's own strand and `done` runs there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>

#include "hearth/common/clock.h"
#include "hearth/common/result.h"
#include "hearth/daemon/timer_manager.h"
#include "hearth/devices/bus.h"
#include "hearth/devices/home.h"
#include "hearth/nlu/nlu.h"

namespace hearth {

struct CommandOutcome {
  std::string response;              // the answer for the user, one or two sentences
  std::vector<Command> commands;      // the bus commands run, in plan order
  std::vector<ActionResult> results;  // one per command, same order
  bool ok = false;                   // understood, resolved, and every command succeeded
};

// The bus commands an intent maps to, before anything runs.
struct IntentPlan {
  std::vector<Command> commands;     // in target order; empty for questions, timers, time, nevermind
  std::vector<std::string> skipped;  // target ids the intent cannot act on (e.g. a sensor in "everything")
};

// Maps an intent and its resolved targets to bus commands:
//   HassTurnOn/Off  → turn_on/turn_off; lock/unlock for locks; open_cover/close_cover
//                     for covers; activate for scenes and scripts; start/return_to_base
//                     for vacuums; set_hvac_mode heat/off for climate without on/off
//   HassLightSet    → turn_on {brightness | color | color_temp_kelvin} on lights
//   HassClimateSetTemperature → set_temperature {temperature}
//   HassSetPosition → set_position {position};  HassSetVolume → set_volume {volume}
//   HassMediaPause/Unpause/Next/Previous → media_pause/media_play/media_next/media_previous
//   HassVacuumStart/ReturnToBase → start/return_to_base
// Targets without devices in `home` are skipped. `bus` (may be null) supplies
// current states when the targets are implicit ("next song": the players
// that are playing).
IntentPlan plan_intent(const Home& home, const Bus* bus, const Intent& intent,
                       const std::vector<std::string>& targets, std::string_view origin);

// The household's routines as the voice sees them (issue 8): "what are my
// routines", "turn off the bedtime routine". hearthd implements it over its
// RoutinesService; `done` may run on any thread.
class RoutineDirectory {
 public:
  struct Entry {
    int64_t id = 0;
    std::string name;         // "Bedtime"
    std::string description;  // "around 22:40 on weekdays: ..."
    bool enabled = true;
  };
  virtual ~RoutineDirectory() = default;
  // kUnavailable when the hub keeps no history (no routines).
  virtual void async_list(std::function<void(Result<std::vector<Entry>>)> done) = 0;
  virtual void async_set_enabled(int64_t id, bool enabled, std::function<void(Result<void>)> done) = 0;
};

// The routines whose name is `said` (case, punctuation and a leading "the"
// ignored; "bedtime" also finds "Bedtime routine").
std::vector<RoutineDirectory::Entry> routines_named(const std::vector<RoutineDirectory::Entry>& all,
                                                    std::string_view said);

class IntentHandler {
 public:
  // `home`, `bus`, `timers` and `clock` must outlive the handler and every
  // pending async_handle().
  IntentHandler(boost::asio::any_io_executor ex, const Home& home, Bus& bus, TimerManager& timers,
                const Clock& clock);

  // Acts on `parsed` (from the TemplateParser of the same Home). `origin` is
  // voice | app | api | cli. Calls `done` exactly once, on the handler's strand.
  void async_handle(ParseResult parsed, std::string origin, std::function<void(CommandOutcome)> done);

  // Answers the routine intents (HearthListRoutines, HearthRoutineOn/Off)
  // from `routines`; without one they get "no routines here". Set before
  // the first async_handle(); `routines` must outlive the handler.
  void set_routines(RoutineDirectory* routines) { routines_ = routines; }

 private:
  struct Job;
  void run_concurrently(std::shared_ptr<Job> job);
  void run_in_order(std::shared_ptr<Job> job, size_t index);
  void finish(std::shared_ptr<Job> job);
  CommandOutcome answer_without_bus(const ParseResult& parsed, const std::string& origin, bool* handled);
  void handle_routine_intent(std::shared_ptr<Job> job);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  const Home& home_;
  Bus& bus_;
  TimerManager& timers_;
  const Clock& clock_;
  RoutineDirectory* routines_ = nullptr;
};

}  // namespace hearth
