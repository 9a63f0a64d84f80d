#include "hearth/daemon/intent_handler.h"

#include <cctype>
#include <cmath>
#include <ctime>

#include <boost/asio/post.hpp>

#include "hearth/common/log.h"
#include "responses.h"

namespace hearth {

namespace asio = boost::asio;

namespace {

constexpr size_t kMaxNamesListed = 5;  // longer lists end with "and N more"

bool is_intent(const Intent& intent, std::string_view name) { return intent.name == name; }

// The domains a generic "turn off everything in the kitchen" acts on. Locks,
// covers, scenes, scripts, vacuums and climate only move when named or when
// their domain is said ("lock all the doors"), so an area-wide "turn off"
// never unlocks a door.
bool acts_on_everything(Domain d) {
  return d == Domain::kLight || d == Domain::kSwitch || d == Domain::kFan || d == Domain::kMediaPlayer;
}

// The on/off action for one device, or "" when it has none.
std::string on_off_action(const Device& d, bool on) {
  switch (d.domain) {
    case Domain::kLock: return on ? "lock" : "unlock";
    case Domain::kCover: return on ? "open_cover" : "close_cover";
    case Domain::kScene: return on ? "activate" : "";
    case Domain::kScript: return on ? "activate" : (d.can(kCapOnOff) ? "turn_off" : "");
    case Domain::kVacuum: return on ? "start" : "return_to_base";
    case Domain::kClimate:
      if (d.can(kCapOnOff)) return on ? "turn_on" : "turn_off";
      if (d.can(kCapHvacMode)) return "set_hvac_mode";
      return "";
    case Domain::kSensor:
    case Domain::kBinarySensor: return "";
    default: return d.can(kCapOnOff) ? (on ? "turn_on" : "turn_off") : "";
  }
}

std::string media_action(const Intent& intent) {
  if (is_intent(intent, "HassMediaPause")) return "media_pause";
  if (is_intent(intent, "HassMediaUnpause")) return "media_play";
  if (is_intent(intent, "HassMediaNext")) return "media_next";
  if (is_intent(intent, "HassMediaPrevious")) return "media_previous";
  return "";
}

bool is_media_intent(const Intent& intent) { return !media_action(intent).empty(); }

bool has_device_slot(const ValueMap& slots) {
  return slots.count("name") || slots.count("area") || slots.count("floor") || slots.count("domain");
}

// Implicit targets: the devices of `domain` (for media, only those in one of `states`).
std::vector<std::string> implicit_targets(const Home& home, const Bus* bus, Domain domain,
                                          const std::vector<std::string>& states) {
  std::vector<std::string> out;
  for (const Device* d : home.devices_in_domain(domain)) {
    if (states.empty()) {
      out.push_back(d->id);
      continue;
    }
    if (!bus) continue;
    std::optional<DeviceState> s = bus->state(d->id);
    if (!s) continue;
    for (const std::string& wanted : states) {
      if (s->state == wanted) out.push_back(d->id);
    }
  }
  return out;
}

std::vector<const Device*> devices_of(const Home& home, const std::vector<std::string>& ids) {
  std::vector<const Device*> out;
  for (const std::string& id : ids) {
    if (const Device* d = home.device(id)) out.push_back(d);
  }
  return out;
}

std::vector<std::string> names_of(const std::vector<const Device*>& devices) {
  std::vector<std::string> out;
  for (const Device* d : devices) out.push_back(d->name);
  return out;
}

// "A, B and 3 more" for long lists.
std::string list_names(std::vector<std::string> names, std::string_view conjunction) {
  if (names.size() > kMaxNamesListed) {
    size_t more = names.size() - (kMaxNamesListed - 1);
    names.resize(kMaxNamesListed - 1);
    names.push_back(std::to_string(more) + " more");
  }
  return join_words(names, conjunction);
}

// The past-tense verb for a successful action.
std::string action_verb(const std::string& action, const ValueMap& params) {
  if (action == "turn_on") return "Turned on";
  if (action == "turn_off") return "Turned off";
  if (action == "lock") return "Locked";
  if (action == "unlock") return "Unlocked";
  if (action == "open_cover") return "Opened";
  if (action == "close_cover") return "Closed";
  if (action == "activate") return "Activated";
  if (action == "start") return "Started";
  if (action == "media_pause") return "Paused";
  if (action == "media_play") return "Resumed";
  if (action == "set_hvac_mode") {
    std::optional<std::string> mode = slot_string(params, "hvac_mode");
    return mode && *mode == "off" ? "Turned off" : "Turned on";
  }
  return "Done:";
}

// The sentence for actions that succeeded on `devices`.
std::string success_sentence(const Home& home, const Intent& intent, const std::vector<const Device*>& devices,
                             const std::vector<const Command*>& commands) {
  const std::string target = target_phrase(home, intent.slots, devices);
  const Command& first = *commands.front();
  bool same_action = true;
  for (const Command* c : commands) {
    if (c->action != first.action) same_action = false;
  }
  if (is_intent(intent, "HassLightSet")) {
    if (std::optional<double> b = slot_number(intent.slots, "brightness")) {
      return "Set " + target + " to " + format_number(*b) + "%.";
    }
    if (std::optional<std::string> color = slot_string(intent.slots, "color")) {
      return "Turned " + target + " " + *color + ".";
    }
    if (std::optional<double> k = slot_number(intent.slots, "color_temp")) {
      return "Set " + target + " to " + format_number(*k) + " K.";
    }
    return "Turned on " + target + ".";
  }
  if (is_intent(intent, "HassClimateSetTemperature")) {
    std::optional<double> t = slot_number(intent.slots, "temperature");
    return "Set " + target + " to " + (t ? format_number(*t) : std::string("the new")) + " °C.";
  }
  if (is_intent(intent, "HassSetPosition")) {
    std::optional<double> p = slot_number(intent.slots, "position");
    return "Set " + target + " to " + (p ? format_number(*p) : std::string("the new")) + "% open.";
  }
  if (is_intent(intent, "HassSetVolume")) {
    std::optional<double> v = slot_number(intent.slots, "volume_level");
    return "Set the volume of " + target + " to " + (v ? format_number(*v) : std::string("the new")) + "%.";
  }
  if (same_action && first.action == "media_next") return "Skipped to the next track on " + target + ".";
  if (same_action && first.action == "media_previous") return "Went back to the previous track on " + target + ".";
  if (same_action && first.action == "return_to_base") return "Sent " + target + " back to its dock.";
  if (same_action) return action_verb(first.action, first.params) + " " + target + ".";
  return std::string(is_intent(intent, "HassTurnOff") ? "Turned off " : "Turned on ") + target + ".";
}

// The verb for "Sorry, I couldn't <verb> ...".
std::string infinitive(const Intent& intent, const std::string& action) {
  if (action == "turn_on") return "turn on";
  if (action == "turn_off") return "turn off";
  if (action == "lock") return "lock";
  if (action == "unlock") return "unlock";
  if (action == "open_cover") return "open";
  if (action == "close_cover") return "close";
  if (action == "activate") return "activate";
  if (action == "start") return "start";
  if (action == "return_to_base") return "send back";
  if (action == "set_temperature" || action == "set_position" || action == "set_volume") return "change";
  if (action.rfind("media_", 0) == 0) return "control";
  return is_intent(intent, "HassTurnOff") ? "turn off" : "turn on";
}

std::string not_found_answer(const Home& home, const Intent& intent) {
  if (std::optional<std::string> name = slot_string(intent.slots, "name")) {
    if (home.devices_named(*name).empty()) return "I don't know a device called '" + *name + "'.";
  }
  if (std::optional<std::string> area = slot_string(intent.slots, "area")) {
    if (!home.area_named(*area)) return "I don't know an area called '" + *area + "'.";
  }
  if (std::optional<std::string> floor = slot_string(intent.slots, "floor")) {
    if (!home.floor_named(*floor)) return "I don't know a floor called '" + *floor + "'.";
  }
  std::string noun = "devices";
  if (std::optional<std::string> domain = slot_string(intent.slots, "domain")) {
    if (std::optional<Domain> d = domain_from_name(*domain)) {
      Device probe;
      probe.domain = *d;
      probe.device_class = slot_string(intent.slots, "device_class").value_or("");
      noun = device_noun(probe, true);
    }
  }
  return "There are no " + noun + location_phrase(home, intent.slots) + ".";
}

// Which devices a question without a clear target could mean.
std::vector<const Device*> ambiguity_candidates(const Home& home, const ParseResult& parsed) {
  const Intent& intent = *parsed.intent;
  if (std::optional<std::string> name = slot_string(intent.slots, "name")) {
    std::vector<const Device*> named = home.devices_named(*name);
    if (named.size() > 1) return named;
  }
  if (!parsed.targets.empty()) return devices_of(home, parsed.targets);
  if (intent.name.rfind("HassClimate", 0) == 0) return home.devices_in_domain(Domain::kClimate);
  if (is_media_intent(intent) || is_intent(intent, "HassSetVolume")) {
    return home.devices_in_domain(Domain::kMediaPlayer);
  }
  if (intent.name.rfind("HassVacuum", 0) == 0) return home.devices_in_domain(Domain::kVacuum);
  return {};
}

std::string problem_answer(const Home& home, const ParseResult& parsed) {
  const Error& problem = *parsed.problem;
  const Intent& intent = *parsed.intent;
  switch (problem.code) {
    case Code::kNotFound: return not_found_answer(home, intent);
    case Code::kAmbiguous: {
      std::vector<const Device*> candidates = ambiguity_candidates(home, parsed);
      if (candidates.size() > 1) return "Which one: " + list_names(names_of(candidates), "or") + "?";
      return "Which device do you mean?";
    }
    case Code::kUnsupported: {
      if (std::optional<std::string> name = slot_string(intent.slots, "name")) {
        std::vector<const Device*> named = home.devices_named(*name);
        if (named.size() == 1) return "The " + named[0]->name + " can't do that.";
      }
      return "Those devices can't do that.";
    }
    default: return "Sorry, " + problem.message + ".";
  }
}

}  // namespace

IntentPlan plan_intent(const Home& home, const Bus* bus, const Intent& intent,
                       const std::vector<std::string>& targets_in, std::string_view origin) {
  IntentPlan plan;
  std::vector<std::string> targets = targets_in;
  const ValueMap& slots = intent.slots;

  // Intents whose target may be left unsaid ("next song"): the obvious
  // devices are the players that are playing, not every player in the house.
  if (!has_device_slot(slots)) {
    if (is_intent(intent, "HassMediaPause") || is_intent(intent, "HassMediaNext") ||
        is_intent(intent, "HassMediaPrevious") || is_intent(intent, "HassSetVolume")) {
      targets = implicit_targets(home, bus, Domain::kMediaPlayer, {"playing"});
    } else if (is_intent(intent, "HassMediaUnpause")) {
      targets = implicit_targets(home, bus, Domain::kMediaPlayer, {"paused"});
    } else if (is_intent(intent, "HassVacuumStart") || is_intent(intent, "HassVacuumReturnToBase")) {
      targets = implicit_targets(home, bus, Domain::kVacuum, {});
    }
  }

  const bool named = slots.count("name") > 0;
  const bool domain_said = slots.count("domain") > 0;
  for (const std::string& id : targets) {
    const Device* d = home.device(id);
    if (!d) {
      plan.skipped.push_back(id);
      continue;
    }
    Command cmd;
    cmd.device_id = d->id;
    cmd.origin = std::string(origin);
    if (is_intent(intent, "HassTurnOn") || is_intent(intent, "HassTurnOff")) {
      const bool on = is_intent(intent, "HassTurnOn");
      if (!named && !domain_said && !acts_on_everything(d->domain)) {
        plan.skipped.push_back(id);
        continue;
      }
      cmd.action = on_off_action(*d, on);
      if (cmd.action == "set_hvac_mode") cmd.params["hvac_mode"] = std::string(on ? "heat" : "off");
    } else if (is_intent(intent, "HassLightSet")) {
      if (d->domain == Domain::kLight) {
        cmd.action = "turn_on";
        if (std::optional<double> b = slot_number(slots, "brightness")) {
          cmd.params["brightness"] = static_cast<int64_t>(std::lround(*b));
        }
        if (std::optional<std::string> color = slot_string(slots, "color")) cmd.params["color"] = *color;
        if (std::optional<double> k = slot_number(slots, "color_temp")) {
          cmd.params["color_temp_kelvin"] = static_cast<int64_t>(std::lround(*k));
        }
      }
    } else if (is_intent(intent, "HassClimateSetTemperature")) {
      std::optional<double> t = slot_number(slots, "temperature");
      if (d->domain == Domain::kClimate && t) {
        cmd.action = "set_temperature";
        cmd.params["temperature"] = *t;
      }
    } else if (is_intent(intent, "HassSetPosition")) {
      std::optional<double> p = slot_number(slots, "position");
      if (d->domain == Domain::kCover && p) {
        cmd.action = "set_position";
        cmd.params["position"] = static_cast<int64_t>(std::lround(*p));
      }
    } else if (is_intent(intent, "HassSetVolume")) {
      std::optional<double> v = slot_number(slots, "volume_level");
      if (d->domain == Domain::kMediaPlayer && v) {
        cmd.action = "set_volume";
        cmd.params["volume"] = static_cast<int64_t>(std::lround(*v));
      }
    } else if (is_media_intent(intent)) {
      if (d->domain == Domain::kMediaPlayer) cmd.action = media_action(intent);
    } else if (is_intent(intent, "HassVacuumStart") || is_intent(intent, "HassVacuumReturnToBase")) {
      if (d->domain == Domain::kVacuum) cmd.action = is_intent(intent, "HassVacuumStart") ? "start" : "return_to_base";
    }
    if (cmd.action.empty()) {
      plan.skipped.push_back(id);
      continue;
    }
    plan.commands.push_back(std::move(cmd));
  }
  return plan;
}

struct IntentHandler::Job {
  ParseResult parsed;
  std::string origin;
  IntentPlan plan;
  std::vector<ActionResult> results;
  size_t pending = 0;
  std::function<void(CommandOutcome)> done;
};

IntentHandler::IntentHandler(asio::any_io_executor ex, const Home& home, Bus& bus, TimerManager& timers,
                             const Clock& clock)
    : strand_(asio::make_strand(ex)), home_(home), bus_(bus), timers_(timers), clock_(clock) {}

void IntentHandler::async_handle(ParseResult parsed, std::string origin, std::function<void(CommandOutcome)> done) {
  auto job = std::make_shared<Job>();
  job->parsed = std::move(parsed);
  job->origin = std::move(origin);
  job->done = std::move(done);
  asio::post(strand_, [this, job] {
    const ParseResult& pr = job->parsed;
    const bool routine_intent = pr.intent && !pr.problem && !pr.custom &&
                                (pr.intent->name == "HearthListRoutines" || pr.intent->name == "HearthRoutineOn" ||
                                 pr.intent->name == "HearthRoutineOff");
    if (routine_intent) {
      handle_routine_intent(job);
      return;
    }
    bool handled = false;
    CommandOutcome answer = answer_without_bus(job->parsed, job->origin, &handled);
    if (handled) {
      job->done(std::move(answer));
      return;
    }
    const ParseResult& p = job->parsed;
    if (p.custom) {
      for (const CustomAction& a : p.custom->actions) {
        Command cmd;
        cmd.device_id = a.device_id;
        cmd.action = a.action;
        cmd.params = a.params;
        cmd.origin = job->origin;
        job->plan.commands.push_back(std::move(cmd));
      }
      job->results.resize(job->plan.commands.size());
      run_in_order(job, 0);
      return;
    }
    job->plan = plan_intent(home_, &bus_, *p.intent, p.targets, job->origin);
    if (job->plan.commands.empty()) {
      finish(job);
      return;
    }
    job->results.resize(job->plan.commands.size());
    run_concurrently(job);
  });
}

namespace {

// Lower case, letters and digits, single spaces, no leading "the", no
// trailing "routine": the form a spoken name and a stored name are compared in.
std::string routine_key(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      if (space && !out.empty()) out += ' ';
      out += static_cast<char>(std::tolower(u));
      space = false;
    } else {
      space = true;
    }
  }
  if (out.rfind("the ", 0) == 0) out.erase(0, 4);
  for (std::string_view tail : {" routine", " routines"}) {
    if (out.size() > tail.size() && out.compare(out.size() - tail.size(), tail.size(), tail) == 0) {
      out.resize(out.size() - tail.size());
      break;
    }
  }
  return out;
}

// "Bedtime routine"; a name that already says "routine" stays as it is.
std::string routine_phrase(const RoutineDirectory::Entry& e) {
  if (e.name.empty()) return "routine " + std::to_string(e.id);
  std::string lower;
  for (char c : e.name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("routine") != std::string::npos ? e.name : e.name + " routine";
}

}  // namespace

std::vector<RoutineDirectory::Entry> routines_named(const std::vector<RoutineDirectory::Entry>& all,
                                                    std::string_view said) {
  const std::string want = routine_key(said);
  std::vector<RoutineDirectory::Entry> out;
  if (want.empty()) return out;
  for (const RoutineDirectory::Entry& e : all)
    if (routine_key(e.name) == want) out.push_back(e);
  return out;
}

void IntentHandler::handle_routine_intent(std::shared_ptr<Job> job) {
  const Intent& intent = *job->parsed.intent;
  auto reply = [this, job](bool ok, std::string text) {
    asio::post(strand_, [job, ok, text = std::move(text)] {
      CommandOutcome out;
      out.ok = ok;
      out.response = text;
      job->done(std::move(out));
    });
  };
  if (!routines_) {
    reply(false, "This hub keeps no history, so it has no routines.");
    return;
  }
  const bool list = intent.name == "HearthListRoutines";
  const bool turn_on = intent.name == "HearthRoutineOn";
  const std::string said = slot_string(intent.slots, "routine").value_or("");
  routines_->async_list([this, job, reply, list, turn_on, said](Result<std::vector<RoutineDirectory::Entry>> r) {
    if (!r) {
      reply(false, "Sorry, I can't reach the routines right now.");
      return;
    }
    if (list) {
      if (r->empty()) {
        reply(true, "You don't have any routines yet.");
        return;
      }
      std::vector<std::string> parts;
      for (const RoutineDirectory::Entry& e : *r) {
        std::string name = e.name.empty() ? "routine " + std::to_string(e.id) : e.name;
        parts.push_back(e.enabled ? name : name + " (turned off)");
      }
      reply(true, (r->size() == 1 ? std::string("You have one routine: ") : "You have " + std::to_string(r->size()) + " routines: ") +
                      list_names(parts, "and") + ".");
      return;
    }
    const std::vector<RoutineDirectory::Entry> found = routines_named(*r, said);
    if (found.empty()) {
      reply(false, "You don't have a routine called '" + said + "'.");
      return;
    }
    if (found.size() > 1) {
      reply(false, "You have " + std::to_string(found.size()) + " routines called '" + said +
                       "'; change one of them in the app.");
      return;
    }
    const RoutineDirectory::Entry e = found[0];
    const std::string phrase = routine_phrase(e);
    if (e.enabled == turn_on) {
      reply(true, "The " + phrase + " is already " + (turn_on ? "on." : "off."));
      return;
    }
    routines_->async_set_enabled(e.id, turn_on, [reply, turn_on, phrase](Result<void> done) {
      if (!done) {
        reply(false, "Sorry, I couldn't change the " + phrase + ".");
        return;
      }
      reply(true, std::string(turn_on ? "Turned on" : "Turned off") + " the " + phrase + ".");
    });
  });
}

CommandOutcome IntentHandler::answer_without_bus(const ParseResult& parsed, const std::string& origin,
                                                 bool* handled) {
  *handled = true;
  CommandOutcome out;
  if (!parsed.intent) {
    // The cascade's own words ("I can't do that offline.", the cloud's answer
    // to a question) come as an kUnavailable problem; anything else is plain
    // not understood.
    out.response = parsed.problem && parsed.problem->code == Code::kUnavailable && !parsed.problem->message.empty()
                       ? parsed.problem->message
                       : "Sorry, I didn't understand that.";
    return out;
  }
  const Intent& intent = *parsed.intent;
  const ValueMap& slots = intent.slots;
  if (parsed.problem) {
    out.response = problem_answer(home_, parsed);
    return out;
  }
  if (parsed.custom) {
    *handled = false;
    return out;
  }
  out.ok = true;
  if (is_intent(intent, "HassNevermind")) {
    out.response = "OK";
    return out;
  }
  if (is_intent(intent, "HassGetCurrentTime") || is_intent(intent, "HassGetCurrentDate")) {
    std::time_t t = std::chrono::system_clock::to_time_t(clock_.now());
    std::tm tm;
    localtime_r(&t, &tm);
    char buf[80];
    if (is_intent(intent, "HassGetCurrentTime")) {
      int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
      std::snprintf(buf, sizeof(buf), "It's %d:%02d %s.", hour12, tm.tm_min, tm.tm_hour < 12 ? "AM" : "PM");
    } else {
      // English names regardless of the process locale.
      static const char* const kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                          "Saturday"};
      static const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
      std::snprintf(buf, sizeof(buf), "Today is %s, %s %d, %d.", kDays[tm.tm_wday % 7], kMonths[tm.tm_mon % 12],
                    tm.tm_mday, tm.tm_year + 1900);
    }
    out.response = buf;
    return out;
  }
  if (is_intent(intent, "HassStartTimer")) {
    int64_t seconds = 0;
    seconds += static_cast<int64_t>(std::lround(slot_number(slots, "hours").value_or(0) * 3600));
    seconds += static_cast<int64_t>(std::lround(slot_number(slots, "minutes").value_or(0) * 60));
    seconds += static_cast<int64_t>(std::lround(slot_number(slots, "seconds").value_or(0)));
    std::string name = slot_string(slots, "timer_name").value_or("");
    if (seconds <= 0) {
      out.ok = false;
      out.response = "How long should the timer be?";
      return out;
    }
    Result<TimerInfo> t = timers_.start(std::chrono::seconds(seconds), name, origin);
    if (!t) {
      out.ok = false;
      out.response = t.error().code == Code::kBusy
                         ? "You already have " + std::to_string(TimerManager::kMaxTimers) + " timers running."
                         : "Timers can run for at most 24 hours.";
      return out;
    }
    out.response = (name.empty() ? std::string("Timer") : capitalize(name) + " timer") + " set for " +
                   format_duration(std::chrono::seconds(seconds)) + ".";
    return out;
  }
  if (is_intent(intent, "HassCancelTimer")) {
    std::string name = slot_string(slots, "timer_name").value_or("");
    Result<TimerInfo> t = timers_.cancel(name);
    if (!t) {
      out.ok = false;
      out.response = name.empty() ? "There's no timer running." : "There's no " + name + " timer.";
      return out;
    }
    out.response = (t->name.empty() ? std::string("Timer") : capitalize(t->name) + " timer") + " cancelled.";
    return out;
  }
  if (is_intent(intent, "HassTimerStatus")) {
    std::string name = slot_string(slots, "timer_name").value_or("");
    std::vector<TimerInfo> running;
    for (const TimerInfo& t : timers_.active()) {
      if (name.empty() || t.name == name) running.push_back(t);
    }
    if (running.empty()) {
      out.ok = false;
      out.response = name.empty() ? "There's no timer running." : "There's no " + name + " timer.";
      return out;
    }
    auto describe = [&](const TimerInfo& t) {
      std::string which = t.name.empty() ? format_duration(t.duration) + " timer" : t.name + " timer";
      return format_duration(timers_.remaining(t)) + " left on the " + which;
    };
    if (running.size() == 1) {
      const TimerInfo& t = running[0];
      out.response = format_duration(timers_.remaining(t)) + " left on the " +
                     (t.name.empty() ? std::string("timer") : t.name + " timer") + ".";
      return out;
    }
    std::vector<std::string> parts;
    for (const TimerInfo& t : running) parts.push_back(describe(t));
    out.response = "You have " + std::to_string(running.size()) + " timers: " + list_names(parts, "and") + ".";
    return out;
  }
  if (is_intent(intent, "HassClimateGetTemperature")) {
    // Prefer a temperature sensor, then a climate device's own reading.
    auto reading = [&](const Device& d, double* value) {
      std::optional<DeviceState> s = bus_.state(d.id);
      if (!s) return false;
      if (d.domain == Domain::kSensor && d.device_class == "temperature") {
        char* end = nullptr;
        double v = std::strtod(s->state.c_str(), &end);
        if (s->state.empty() || *end != '\0') return false;
        *value = v;
        return true;
      }
      if (d.domain == Domain::kClimate) {
        auto it = s->attributes.find("current_temperature");
        if (it == s->attributes.end()) return false;
        std::optional<double> v = as_number(it->second);
        if (!v) return false;
        *value = *v;
        return true;
      }
      return false;
    };
    std::vector<const Device*> candidates = devices_of(home_, parsed.targets);
    std::string where = " inside";
    if (std::optional<std::string> area_name = slot_string(slots, "area")) {
      if (const Area* area = home_.area_named(*area_name)) {
        candidates = home_.devices_in_area(area->id);
        where = " in the " + area->name;
      }
    } else if (candidates.empty()) {
      candidates = home_.devices_in_domain(Domain::kClimate);
    }
    const bool by_name = slots.count("name") > 0 && candidates.size() == 1;
    for (int pass = 0; pass < 2; ++pass) {
      for (const Device* d : candidates) {
        const bool want_sensor = pass == 0;
        if (want_sensor != (d->domain == Domain::kSensor)) continue;
        double value = 0;
        if (!reading(*d, &value)) continue;
        out.response = by_name ? "The " + d->name + " reads " + format_number(value) + " °C."
                               : "It's " + format_number(value) + " °C" + where + ".";
        return out;
      }
    }
    out.ok = false;
    out.response = "I don't have a temperature reading" + (where == " inside" ? std::string() : where) + ".";
    return out;
  }
  if (is_intent(intent, "HassGetState")) {
    std::vector<const Device*> devices = devices_of(home_, parsed.targets);
    if (devices.empty()) {
      out.ok = false;
      out.response = not_found_answer(home_, intent);
      return out;
    }
    std::optional<std::string> wanted = slot_string(slots, "state");
    std::vector<std::string> states;
    for (const Device* d : devices) {
      std::optional<DeviceState> s = bus_.state(d->id);
      states.push_back(s ? display_state(*d, *s) : std::string("unknown"));
    }
    if (devices.size() == 1) {
      const std::string the = "the " + devices[0]->name;
      const std::string& now = states[0];
      if (wanted) {
        const bool yes = now == *wanted || bus_.state(devices[0]->id).value_or(DeviceState{}).state == *wanted;
        out.response = (yes ? "Yes, " : "No, ") + the + " is " + now + ".";
      } else if (devices[0]->domain == Domain::kClimate) {
        DeviceState s = bus_.state(devices[0]->id).value_or(DeviceState{});
        std::optional<double> setpoint, current;
        if (auto it = s.attributes.find("temperature"); it != s.attributes.end()) setpoint = as_number(it->second);
        if (auto it = s.attributes.find("current_temperature"); it != s.attributes.end()) {
          current = as_number(it->second);
        }
        out.response = capitalize(the) + " is " + s.state;
        if (setpoint) out.response += ", set to " + format_number(*setpoint) + " °C";
        if (current) out.response += "; it's " + format_number(*current) + " °C now";
        out.response += ".";
      } else {
        out.response = capitalize(the) + " is " + now + ".";
      }
      return out;
    }
    if (wanted) {
      std::vector<std::string> matching;
      for (size_t i = 0; i < devices.size(); ++i) {
        std::optional<DeviceState> s = bus_.state(devices[i]->id);
        if (states[i] == *wanted || (s && s->state == *wanted)) matching.push_back(devices[i]->name);
      }
      const std::string where = location_phrase(home_, slots);
      if (matching.empty()) {
        out.response = "No " + group_noun(devices, true) + where + " are " + *wanted + ".";
      } else if (matching.size() == devices.size()) {
        out.response = "All " + std::to_string(devices.size()) + " " + group_noun(devices, true) + where +
                       " are " + *wanted + ".";
      } else {
        out.response = "The " + list_names(matching, "and") + (matching.size() == 1 ? " is " : " are ") +
                       *wanted + ".";
      }
      return out;
    }
    std::vector<std::string> parts;
    for (size_t i = 0; i < devices.size(); ++i) parts.push_back("the " + devices[i]->name + " is " + states[i]);
    out.response = capitalize(list_names(parts, "and")) + ".";
    return out;
  }
  *handled = false;
  out.ok = false;
  return out;
}

void IntentHandler::run_concurrently(std::shared_ptr<Job> job) {
  job->pending = job->plan.commands.size();
  for (size_t i = 0; i < job->plan.commands.size(); ++i) {
    bus_.async_execute(job->plan.commands[i], [this, job, i](ActionResult r) {
      // Results arrive on each device's strand; gather them on ours.
      asio::post(strand_, [this, job, i, r = std::move(r)]() mutable {
        job->results[i] = std::move(r);
        if (--job->pending == 0) finish(job);
      });
    });
  }
}

void IntentHandler::run_in_order(std::shared_ptr<Job> job, size_t index) {
  if (index == job->plan.commands.size()) {
    finish(job);
    return;
  }
  bus_.async_execute(job->plan.commands[index], [this, job, index](ActionResult r) {
    asio::post(strand_, [this, job, index, r = std::move(r)]() mutable {
      job->results[index] = std::move(r);
      run_in_order(job, index + 1);
    });
  });
}

void IntentHandler::finish(std::shared_ptr<Job> job) {
  CommandOutcome out;
  const ParseResult& p = job->parsed;
  const Intent& intent = *p.intent;
  out.results = std::move(job->results);
  out.commands = job->plan.commands;

  std::vector<const Device*> ok_devices;
  std::vector<const Command*> ok_commands;
  std::vector<std::string> failures;  // "the X didn't respond in time"
  const Command* first_failed = nullptr;
  for (size_t i = 0; i < out.results.size(); ++i) {
    const ActionResult& r = out.results[i];
    const Device* d = home_.device(job->plan.commands[i].device_id);
    const std::string name = d ? "the " + d->name : "'" + job->plan.commands[i].device_id + "'";
    if (r.status) {
      if (d) {
        ok_devices.push_back(d);
        ok_commands.push_back(&job->plan.commands[i]);
      }
    } else {
      if (!first_failed) first_failed = &job->plan.commands[i];
      failures.push_back(name + " " + failure_predicate(r.status.error()));
    }
  }
  out.ok = !out.results.empty() && failures.empty();

  if (p.custom) {
    if (failures.empty()) {
      out.response = p.custom->response.empty() ? std::string("Done.") : p.custom->response;
    } else {
      out.response = "Sorry, " + list_names(failures, "and") + ".";
    }
  } else if (out.results.empty()) {
    // Nothing to act on: every target was skipped.
    std::vector<const Device*> skipped = devices_of(home_, job->plan.skipped);
    if (is_media_intent(intent) && !has_device_slot(intent.slots)) {
      out.response = "Nothing is playing.";
    } else if (skipped.size() == 1) {
      out.response = "The " + skipped[0]->name + " can't do that.";
    } else if (skipped.empty()) {
      out.response = not_found_answer(home_, intent);
    } else {
      out.response = "Those devices can't do that.";
    }
  } else if (failures.empty()) {
    out.response = success_sentence(home_, intent, ok_devices, ok_commands);
  } else if (ok_devices.empty()) {
    if (failures.size() == 1) {
      out.response = "Sorry, " + failures[0] + ".";
    } else {
      std::vector<const Device*> all;
      for (const Command& c : job->plan.commands) {
        if (const Device* d = home_.device(c.device_id)) all.push_back(d);
      }
      out.response = "Sorry, I couldn't " + infinitive(intent, first_failed->action) + " " +
                     target_phrase(home_, intent.slots, all) + ": " + list_names(failures, "and") + ".";
    }
  } else {
    out.response = success_sentence(home_, intent, ok_devices, ok_commands) + " But " +
                   list_names(failures, "and") + ".";
  }
  HEARTH_LOG_DEBUG("intent", "'%s' → %s: %s", p.text.c_str(), intent.name.c_str(), out.response.c_str());
  job->done(std::move(out));
}

}  // namespace hearth
