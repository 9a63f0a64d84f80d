#include "hearth/daemon/app.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <ostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api.h"
#include "app_context.h"
#include "audio_loop.h"
#include "auth.h"
#include "ws_events.h"
#include "wyoming_engines.h"
#include "wyoming_server.h"
#include "voice_pipeline.h"
#include "wake_service.h"
#include "hearth/common/log.h"
#include "hearth/daemon/http_server.h"
#include "mqtt_bridge.h"
#include "routines_json.h"
#include "routines_service.h"
#include "tls.h"

#ifndef HEARTH_VERSION
#define HEARTH_VERSION "dev"
#endif

namespace hearth {

namespace asio = boost::asio;

namespace {

// Bus::async_shutdown gets this long to drain device commands.
constexpr std::chrono::milliseconds kDrainDeadline{2000};
// The whole shutdown (drain + history flush) must finish within this.
constexpr std::chrono::milliseconds kShutdownDeadline{5000};

void log_config_errors(const ConfigErrors& errors) {
  for (const ConfigErrors::Entry& e : errors.entries()) {
    HEARTH_LOG_ERROR("config", "%s%s%s: %s", e.file.c_str(), e.file.empty() ? "" : ": ", e.path.c_str(),
                     e.message.c_str());
  }
}

HttpServerOptions server_options(const DaemonConfig& c) {
  HttpServerOptions o;
  o.body_limit_bytes = static_cast<size_t>(c.api.body_limit_bytes);
  o.request_timeout = std::chrono::milliseconds(c.api.request_timeout_ms);
  o.max_connections = c.api.max_connections;
  o.ws_queue_limit = static_cast<size_t>(c.api.ws_queue_limit);
  o.ws_max_message_bytes = static_cast<size_t>(c.api.ws_max_message_bytes);
  o.tls = tls_server_options(c);  // issue 10: https/wss
  return o;
}

// Writes atomically (temp file + rename) so a reader never sees half a number.
Result<void> write_port_file(const std::string& path, uint16_t port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Error{Code::kIo, "port file '" + tmp + "': cannot create"};
    out << port << "\n";
    if (!out.flush()) return Error{Code::kIo, "port file '" + tmp + "': write failed"};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error{Code::kIo, "port file '" + path + "': " + ec.message()};
  return {};
}

// Everything in the audio config except ns.enabled needs a restart: the
// source, its device and ring, the file, and the front end's parameters.
bool same_audio_setup(const AudioConfig& a, const AudioConfig& b) {
  const CaptureConfig& ca = a.capture;
  const CaptureConfig& cb = b.capture;
  return a.source == b.source && ca.device == cb.device && ca.channel == cb.channel && ca.rate_hz == cb.rate_hz &&
         ca.ring_ms == cb.ring_ms && ca.stall_timeout_ms == cb.stall_timeout_ms &&
         ca.reopen_min_ms == cb.reopen_min_ms && ca.reopen_max_ms == cb.reopen_max_ms && a.file == b.file &&
         a.file_loop == b.file_loop && a.file_realtime == b.file_realtime && a.ns.strength == b.ns.strength &&
         a.vad.enabled == b.vad.enabled && a.vad.threshold == b.vad.threshold &&
         a.vad.min_speech_ms == b.vad.min_speech_ms && a.vad.hangover_ms == b.vad.hangover_ms;
}

// The routines as the voice sees them (issue 8: "turn off the bedtime
// routine"). The handler's strand and the service both run on the one loop
// thread, so the service is called directly; null service → kUnavailable.
class RoutinesForVoice : public RoutineDirectory {
 public:
  explicit RoutinesForVoice(std::function<RoutinesService*()> service) : service_(std::move(service)) {}
  void async_list(std::function<void(Result<std::vector<Entry>>)> done) override {
    RoutinesService* s = service_();
    if (!s) return done(Error{Code::kUnavailable, "no routines: history is disabled"});
    s->async_routines([done = std::move(done)](Result<std::vector<StoredRoutine>> r) {
      if (!r) return done(r.error());
      std::vector<Entry> out;
      for (const StoredRoutine& sr : *r) out.push_back({sr.id, sr.routine.name, sr.routine.description, sr.enabled});
      done(std::move(out));
    });
  }
  void async_set_enabled(int64_t id, bool enabled, std::function<void(Result<void>)> done) override {
    RoutinesService* s = service_();
    if (!s) return done(Error{Code::kUnavailable, "no routines: history is disabled"});
    s->async_update_routine(
        id,
        [enabled](StoredRoutine& r) -> Result<void> {
          r.enabled = enabled;
          return {};
        },
        [done = std::move(done)](Result<StoredRoutine> r) {
          if (!r) return done(r.error());
          done(Result<void>{});
        });
  }

 private:
  std::function<RoutinesService*()> service_;
};

class App final : public AppContext {
 public:
  explicit App(DaemonOptions options) : options_(std::move(options)) {}

  int run();

  // AppContext
  std::shared_ptr<const Runtime> runtime() const override {
    std::lock_guard<std::mutex> lock(runtime_mu_);
    return runtime_;
  }
  HistoryWriter& history() override { return *history_; }
  TimerManager& timers() override { return *timers_; }
  AppCounters& counters() override { return counters_; }
  const Clock& clock() const override { return system_clock(); }
  asio::any_io_executor executor() override { return ioc_.get_executor(); }
  asio::any_io_executor nlu_executor() override { return nlu_pool_.get_executor(); }
  std::chrono::steady_clock::time_point started_at() const override { return started_at_; }
  HttpServer::Stats http_stats() const override { return server_ ? server_->stats() : HttpServer::Stats{}; }
  std::string config_source() const override {
    return options_.config_path.empty() ? std::string(kBuiltinConfigName) : options_.config_path;
  }
  AudioHealth audio_health() const override;
  nlohmann::json wyoming_health() const override {
    if (!wyoming_) return nullptr;
    const WyomingServer::Stats s = wyoming_->stats();
    return {{"port", wyoming_->port()}, {"connections", s.connections}, {"open", s.open},
            {"rejected", s.rejected}, {"messages", s.messages}, {"protocol_errors", s.protocol_errors},
            {"asr", runtime()->config.asr.backend == "none" ? "off" : speech_models() ? "ready" : "loading"},
            {"asr_models", voice_ ? "voice pipeline" : wyoming_asr_ ? "own" : "none"},
            {"asr_builds", wyoming_asr_ ? wyoming_asr_->builds() : 0}};
  }
  // The recognizer's models for Wyoming: the voice pipeline's when it runs,
  // else Wyoming's own (issue 10); null while compiling or when off.
  std::shared_ptr<const VoiceModels> speech_models() const {
    if (voice_) return voice_->models();
    return wyoming_asr_ ? wyoming_asr_->models() : nullptr;
  }
  nlohmann::json wake_health() const override {  // issue 4
    if (wake_) return wake_->health();
    if (audio_source_ == "none" || !wake_enabled_) return wake_health_off("");
    return wake_health_off(wake_error_.empty() ? "audio loop not running" : wake_error_);
  }
  RoutinesService* routines() override { return routines_.get(); }
  EventHub& events() override { return events_; }
  Auth* auth() override { return auth_.get(); }
  EventStream* event_stream() override { return event_stream_.get(); }
  bool network_up() const override { return !net_ || net_->network_up(); }
  const ConnectivityMonitor* connectivity() const override { return net_.get(); }
  MqttClient* mqtt() override { return mqtt_.get(); }
  Result<void> reload_home() override;

 private:
  Result<std::shared_ptr<Runtime>> build_runtime(ConfigBundle bundle, uint64_t generation);
  void on_state_change(const StateChange& change);
  Result<void> start_network(const DaemonConfig& cfg);
  void stop_network(std::function<void()> done);
  void on_timer_fired(const TimerInfo& timer);
  void start_routines(const DaemonConfig& cfg);
  void start_audio(const AudioConfig& cfg);
  void stop_audio();
  void on_speech_segment(const SpeechSegment& segment);
  void wait_for_signal();
  void on_signal(const boost::system::error_code& ec, int signal_number);
  void reload();
  void retire(std::shared_ptr<Runtime> old);
  void begin_shutdown();
  void finish_shutdown(int exit_code);

  const DaemonOptions options_;
  asio::io_context ioc_{1};  // one thread runs everything; see STYLE.md §8
  // The exception: parsing a command by text (the cascade may run the LLM or
  // wait for the cloud) happens here, so a slow parse never stalls the loop.
  // Joined right after the loop stops, before anything a parse refers to goes.
  asio::thread_pool nlu_pool_{2};
  asio::signal_set signals_{ioc_, SIGINT, SIGTERM, SIGHUP};
  asio::steady_timer shutdown_deadline_{ioc_};
  const std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  AppCounters counters_;
  EventHub events_;  // declared early: everything below may publish until it is destroyed
  std::unique_ptr<HistoryWriter> history_;
  std::unique_ptr<TimerManager> timers_;
  std::unique_ptr<RoutinesService> routines_;  // null when history is disabled
  RoutinesForVoice routines_for_voice_{[this] { return routines_.get(); }};
  // Process-wide, not per config generation (issue 9): the broker connection
  // shared by every generation's bus, the connectivity monitor, Hearth's topics.
  std::shared_ptr<MqttClient> mqtt_;           // null when mqtt.enabled is false
  std::unique_ptr<ConnectivityMonitor> net_;   // null when network.enabled is false
  std::unique_ptr<MqttBridge> mqtt_bridge_;
  mutable std::mutex runtime_mu_;  // guards runtime_ (read from connection strands)
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<Auth> auth_;                  // issue 10: tokens, pairing
  std::unique_ptr<EventStream> event_stream_;   // /api/v1/events; both outlive server_
  Api api_{*this};
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<WyomingServer> wyoming_;  // issue 10: null when wyoming.listen is ""
  std::unique_ptr<WyomingRecognizer> wyoming_asr_;  // issue 10: Wyoming's recognizer when no voice_ runs
  // The audio loop lives for the whole process (a reload never reopens the
  // device). audio_loop_ is declared first: the pipeline's sink refers to it.
  std::unique_ptr<AudioLoop> audio_loop_;
  std::unique_ptr<WakeService> wake_;  // issue 4: a consumer of audio_loop_; null when off or failed
  std::unique_ptr<VoicePipeline> voice_;  // issue 5: after wake_ in the consumer list; null when off
  std::string wake_error_;             // why the wake word is not running
  bool wake_enabled_ = false;
  std::unique_ptr<AudioPipeline> audio_;
  std::string audio_source_ = "none";  // the running audio.source
  std::string audio_error_;            // why the pipeline could not start ("" = it runs, or source none)
  bool audio_stopped_ = false;         // stop_audio() ran
  bool audio_ns_enabled_ = false;      // event-loop thread only, like the two below
  std::optional<SpeechSegment> last_segment_;
  bool shutting_down_ = false;
  bool shutdown_done_ = false;
  int exit_code_ = kExitOk;
};

Result<std::shared_ptr<Runtime>> App::build_runtime(ConfigBundle bundle, uint64_t generation) {
  auto rt = std::make_shared<Runtime>();
  rt->config = std::move(bundle.config);
  rt->home = std::move(bundle.home);
  rt->generation = generation;
  // issue 7: grammar → on-device LLM → cloud behind the TemplateParser interface
  Result<std::unique_ptr<TemplateParser>> parser = make_cascade_parser(
      *rt->home, rt->config.nlu, rt->config.nlu_llm, rt->config.nlu_cloud, [this] { return network_up(); });
  if (!parser) return parser.error().with_context("nlu");
  rt->parser = std::move(*parser);
  BusOptions bus_options;
  bus_options.command_timeout = std::chrono::milliseconds(rt->config.devices.command_timeout_ms);
  bus_options.mqtt = mqtt_;
  bus_options.network_up = [this] { return network_up(); };
  Result<std::unique_ptr<Bus>> bus = Bus::create(ioc_.get_executor(), *rt->home, bus_options, clock());
  if (!bus) return bus.error().with_context("devices");
  rt->bus = std::move(*bus);
  rt->bus->set_state_listener([this](const StateChange& change) { on_state_change(change); });
  rt->handler = std::make_unique<IntentHandler>(ioc_.get_executor(), *rt->home, *rt->bus, *timers_, clock());
  rt->handler->set_routines(&routines_for_voice_);
  return rt;
}

void App::on_state_change(const StateChange& change) {
  counters_.state_changes.fetch_add(1);
  EventRecord e;
  e.time = change.time;
  e.device_id = change.device_id;
  e.kind = "state";
  e.attribute = change.attribute;
  e.old_value = value_to_string(change.old_value);
  e.new_value = value_to_string(change.new_value);
  e.origin = change.origin;
  events_.publish(event_type::kStateChanged, nlohmann::json{{"device", e.device_id},
                                                            {"attribute", e.attribute},
                                                            {"old", e.old_value},
                                                            {"new", e.new_value},
                                                            {"origin", e.origin}});
  // The state listener runs on the device's strand; routines live on the loop.
  if (routines_) {
    asio::post(ioc_, [this, e] {
      if (routines_) routines_->on_event(e);
    });
  }
  history_->record_events({std::move(e)});
}

Result<void> App::start_network(const DaemonConfig& cfg) {
  if (cfg.network.enabled) {
    net_ = std::make_unique<ConnectivityMonitor>(ioc_.get_executor(), cfg.network.probe);
    net_->set_listener([this](bool up) {
      ConnectivityMonitor::Status s = net_->status();
      events_.publish(event_type::kConnectivity, nlohmann::json{{"link", "internet"}, {"up", up}, {"reason", s.reason}});
    });
    net_->start();
  }
  if (!cfg.mqtt.client.enabled) return {};
  Result<std::shared_ptr<MqttClient>> client = MqttClient::create(ioc_.get_executor(), cfg.mqtt.client, clock());
  if (!client) return client.error();
  mqtt_ = std::move(*client);
  mqtt_->set_connection_listener([this](bool up, const std::string& reason) {
    events_.publish(event_type::kConnectivity, nlohmann::json{{"link", "mqtt"}, {"up", up}, {"reason", reason}});
  });
  mqtt_bridge_ = std::make_unique<MqttBridge>(mqtt_, cfg.mqtt, events_,
                                              [this](HttpRequestData r, HttpResponder respond) {
                                                // The broker's credentials/ACL vouch for the sender (mqtt_bridge.h).
                                                api_.handle_as(std::move(r), Scope::kControl, std::move(respond));
                                              });
  mqtt_bridge_->start();
  return {};
}

void App::stop_network(std::function<void()> done) {
  if (mqtt_bridge_) mqtt_bridge_->stop();
  if (net_) net_->stop();
  if (!mqtt_) return done();
  // Publishes "offline" on the status topic and disconnects.
  mqtt_->async_shutdown([this, done = std::move(done)] { asio::post(ioc_, done); });
}

Result<void> App::reload_home() {
  const uint64_t before = runtime()->generation;
  reload();
  if (runtime()->generation == before) return Error{Code::kBadInput, "the new home was rejected (see the log)"};
  return {};
}

void App::start_routines(const DaemonConfig& cfg) {
  if (!history_->enabled()) {
    HEARTH_LOG_INFO("routines", "no history database: routines and suggestions are off");
    return;
  }
  RoutinesServiceOptions o;
  o.db_path = history_->path();
  const std::string zone = cfg.time_zone.empty() ? system_time_zone_name() : cfg.time_zone;
  Result<TimeZone> tz = TimeZone::load(zone);
  if (tz) {
    o.tz = *tz;
  } else {
    HEARTH_LOG_WARN("routines", "time zone '%s': %s; routines use UTC (set \"time_zone\" in the config)",
                    zone.c_str(), tz.error().message.c_str());
  }
  // Called on the routines' db thread: runtime() is guarded and homes are immutable.
  o.device_name = [this](std::string_view id) -> std::string {
    std::shared_ptr<const Runtime> rt = runtime();
    const Device* d = rt ? rt->home->device(id) : nullptr;
    return d ? d->name : std::string(id);
  };
  auto run_command = [this](Command cmd, std::function<void(ActionResult)> done) {
    std::shared_ptr<const Runtime> rt = runtime();
    if (!rt) {  // defensive: routines stop before the runtime is released
      ActionResult r;
      r.device_id = cmd.device_id;
      r.action = cmd.action;
      r.status = Error{Code::kCancelled, "hearthd is shutting down"};
      return done(std::move(r));
    }
    counters_.device_actions.fetch_add(1);
    // rt rides along so the bus outlives a reload while the command is in flight.
    rt->bus->async_execute(std::move(cmd), [rt, done = std::move(done)](ActionResult r) { done(std::move(r)); });
  };
  auto record_actions = [this](std::vector<EventRecord> events) { history_->record_events(std::move(events)); };
  o.publish = [this](const char* type, nlohmann::json data) { events_.publish(type, std::move(data)); };  // issue 8
  routines_ = std::make_unique<RoutinesService>(ioc_.get_executor(), clock(), std::move(o), std::move(run_command),
                                                std::move(record_actions));
  routines_->start();
}

void App::on_timer_fired(const TimerInfo& timer) {
  counters_.timers_fired.fetch_add(1);
  HEARTH_LOG_INFO("timer", "timer %d%s%s (%lld s) finished", timer.id, timer.name.empty() ? "" : " ",
                  timer.name.c_str(), static_cast<long long>(timer.duration.count()));
  // History knows device events only ("action" | "state"): a timer is
  // recorded as the pseudo device timer.<name or id> changing state.
  EventRecord e;
  e.time = clock().now();
  e.device_id = "timer." + (timer.name.empty() ? std::to_string(timer.id) : timer.name);
  e.kind = "state";
  e.attribute = "state";
  e.old_value = "running";
  e.new_value = "finished";
  e.origin = timer.origin;
  history_->record_events({std::move(e)});
}

void App::start_audio(const AudioConfig& cfg) {
  audio_source_ = cfg.source;
  audio_ns_enabled_ = cfg.ns.enabled;
  if (cfg.source == "none") {
    HEARTH_LOG_INFO("audio", "audio.source is \"none\": no audio loop");
    return;
  }
  audio_loop_ = std::make_unique<AudioLoop>(ioc_.get_executor(),
                                            [this](const SpeechSegment& s) { on_speech_segment(s); });
  // Wake word and ASR register here (audio_loop_->add_consumer) before start.
  // Issue 4: the wake word first; a voice pipeline registered after it gets
  // the wake through wake_->set_on_wake() on the DSP thread.
  wake_enabled_ = runtime_->config.wakeword.enabled;
  if (wake_enabled_) {
    Result<std::unique_ptr<WakeService>> ws = WakeService::create(runtime_->config.wakeword, &events_);
    if (ws) {
      wake_ = std::move(*ws);
      audio_loop_->add_consumer(wake_.get());
    } else {
      wake_error_ = ws.error().message;
      HEARTH_LOG_ERROR("wakeword", "%s; running without a wake word (see /api/v1/health)", wake_error_.c_str());
    }
  }
  voice_ = make_voice_pipeline(*this, runtime_);  // issue 5: recognizer → intent → bus
  if (voice_) {
    audio_loop_->add_consumer(voice_.get());
    if (wake_) wake_->set_on_wake([v = voice_.get()](const WakeEvent& e) { v->on_wake(e); });
  }
  Result<std::unique_ptr<AudioPipeline>> pipeline = AudioPipeline::create(cfg, audio_loop_->sink());
  if (!pipeline) {
    audio_error_ = pipeline.error().message;
    HEARTH_LOG_ERROR("audio", "cannot start the audio loop: %s; serving without audio (see /api/v1/health)",
                     audio_error_.c_str());
    return;
  }
  Result<void> started = (*pipeline)->start();
  if (!started) {
    audio_error_ = started.error().message;
    HEARTH_LOG_ERROR("audio", "cannot start the audio loop: %s; serving without audio (see /api/v1/health)",
                     audio_error_.c_str());
    return;
  }
  audio_ = std::move(*pipeline);
  HEARTH_LOG_INFO("audio", "audio loop started: %s", cfg.to_string().c_str());
}

void App::stop_audio() {
  if (!audio_ || audio_stopped_) return;
  audio_stopped_ = true;
  audio_->stop();  // joins the DSP thread; no frame arrives after this
  audio_loop_->flush();
  const AudioMetrics m = audio_->metrics();
  HEARTH_LOG_INFO("audio", "audio loop stopped after %.1f s of audio (%llu speech segments, %llu overruns)",
                  m.audio_seconds, static_cast<unsigned long long>(counters_.speech_segments.load()),
                  static_cast<unsigned long long>(m.source.overrun_events));
}

void App::on_speech_segment(const SpeechSegment& segment) {
  counters_.speech_segments.fetch_add(1);
  last_segment_ = segment;
  HEARTH_LOG_DEBUG("audio", "speech %.2f..%.2f s (%lld ms), peak %.1f dBFS, noise %.1f dBFS%s",
                   static_cast<double>(segment.start_ms) / 1000.0, static_cast<double>(segment.end_ms) / 1000.0,
                   static_cast<long long>(segment.duration_ms()), static_cast<double>(segment.peak_level_dbfs),
                   static_cast<double>(segment.noise_dbfs), segment.cut_short ? " (source ended)" : "");
}

AudioHealth App::audio_health() const {
  AudioHealth h;
  h.source = audio_source_;
  h.ns_enabled = audio_ns_enabled_;
  h.speech_segments = counters_.speech_segments.load();
  h.last_segment = last_segment_;
  if (audio_) {
    h.metrics = audio_->metrics();
    h.state = std::string(source_state_name(h.metrics.source.state));
    h.error = h.metrics.source.last_error;
  } else if (audio_source_ != "none") {
    h.state = "unavailable";
    h.error = audio_error_;
  }
  return h;
}

int App::run() {
  ConfigErrors errors;
  Result<ConfigBundle> bundle = load_config_bundle(options_.config_path, options_.overrides, errors);
  if (!bundle) {
    HEARTH_LOG_ERROR("config", "%s: %zu problem(s); nothing started", config_source().c_str(), errors.size());
    log_config_errors(errors);
    return kExitStartupFailed;
  }
  LogLevel level = LogLevel::kInfo;
  parse_log_level(bundle->config.log_level, &level);
  set_log_level(level);
  HEARTH_LOG_INFO("hearthd", "hearthd %s starting (pid %d)", HEARTH_VERSION, static_cast<int>(getpid()));
  HEARTH_LOG_INFO("hearthd", "config: %s", config_source().c_str());
  HEARTH_LOG_INFO("hearthd", "effective config: %s", bundle->config.to_string().c_str());

  // Startup order: history, timers, runtime (home, parser, bus, handler),
  // HTTP server, audio loop, signals. Shutdown runs in reverse.
  history_ = HistoryWriter::open(bundle->config.db);
  if (!history_->enabled()) {
    if (bundle->config.db_required) {
      HEARTH_LOG_ERROR("history", "%s; \"db_required\" is true, so hearthd will not start (fix the file or "
                       "its permissions, or point \"db\"/--db elsewhere)", history_->open_error().c_str());
      return kExitStartupFailed;
    }
    HEARTH_LOG_ERROR("history", "%s; serving WITHOUT history (see /api/v1/health; set \"db_required\": true to "
                     "refuse to start instead)", history_->open_error().c_str());
  } else {
    HEARTH_LOG_INFO("history", "writing to %s", history_->path().c_str());
  }
  timers_ = std::make_unique<TimerManager>(ioc_.get_executor(), clock(),
                                           [this](const TimerInfo& t) { on_timer_fired(t); });

  if (Result<void> net = start_network(bundle->config); !net) {
    HEARTH_LOG_ERROR("hearthd", "startup failed: %s", net.error().message.c_str());
    return kExitStartupFailed;
  }
  const std::string listen = bundle->config.listen;
  const AudioConfig audio_config = bundle->config.audio;
  const HttpServerOptions http_options = server_options(bundle->config);
  Result<std::shared_ptr<Runtime>> rt = build_runtime(std::move(*bundle), 1);
  if (!rt) {
    HEARTH_LOG_ERROR("hearthd", "startup failed: %s", rt.error().message.c_str());
    return kExitStartupFailed;
  }
  runtime_ = std::move(*rt);
  start_routines(runtime_->config);
  HEARTH_LOG_INFO("hearthd", "home: %s (%zu devices, %zu areas), %zu sentence templates",
                  runtime_->config.home.c_str(), runtime_->home->devices().size(), runtime_->home->areas().size(),
                  runtime_->parser->template_count());

  std::string host;
  uint16_t port = 0;
  split_listen_address(listen, &host, &port);
  auth_ = make_auth(runtime_->config);
  event_stream_ = std::make_unique<EventStream>(events_, *auth_, ioc_.get_executor());
  Result<std::unique_ptr<HttpServer>> server = HttpServer::start(
      ioc_, host, port, http_options,
      [this](HttpRequestData request, HttpResponder respond) { api_.handle(std::move(request), std::move(respond)); },
      [this](const HttpRequestData& upgrade, std::shared_ptr<WsPeer> peer, HttpResponseData* refusal) {
        return event_stream_->open(upgrade, std::move(peer), refusal);
      });
  if (!server) {
    HEARTH_LOG_ERROR("api", "%s", server.error().message.c_str());
    return kExitStartupFailed;
  }
  server_ = std::move(*server);
  HEARTH_LOG_INFO("api", "listening on %s://%s:%u/api/v1", server_->tls_enabled() ? "https" : "http", host.c_str(),
                  static_cast<unsigned>(server_->port()));
  if (!runtime_->config.wyoming.listen.empty()) {  // issue 10: Wyoming satellites / Home Assistant
    WyomingEngines engines = make_wyoming_engines(runtime_->config.wakeword);
    if (runtime_->config.asr.backend != "none") {
      // The voice pipeline's recognizer (or wyoming_asr_, made below when no
      // pipeline runs), looked up at each transcribe: SIGHUP swaps it.
      WyomingAsrSource asr;
      asr.recognizer = [this]() -> std::shared_ptr<const Recognizer> {
        std::shared_ptr<const VoiceModels> m = speech_models();
        if (!m || !m->recognizer) return nullptr;
        return std::shared_ptr<const Recognizer>(m, m->recognizer.get());
      };
      asr.parser = [this]() -> std::shared_ptr<const TemplateParser> {
        std::shared_ptr<const Runtime> now = runtime();
        return now && now->parser ? std::shared_ptr<const TemplateParser>(now, now->parser.get()) : nullptr;
      };
      asr.min_confidence = [this] { return runtime()->config.asr.min_confidence; };
      engines.make_transcriber = wyoming_transcriber_factory(std::move(asr));
    }
    Result<std::unique_ptr<WyomingServer>> wy =
        WyomingServer::start(ioc_, runtime_->config.wyoming, *this, std::move(engines));
    if (!wy) {
      HEARTH_LOG_ERROR("wyoming", "%s", wy.error().message.c_str());
      return kExitStartupFailed;
    }
    wyoming_ = std::move(*wy);
    HEARTH_LOG_INFO("wyoming", "listening on %s (port %u)", runtime_->config.wyoming.listen.c_str(),
                    static_cast<unsigned>(wyoming_->port()));
  }
  // A missing microphone or a bad recording never stops the daemon: the
  // capture source retries with backoff, and /health reports the state.
  start_audio(audio_config);
  if (wyoming_ && !voice_ && runtime_->config.asr.backend != "none") {  // issue 10: no pipeline to share
    wyoming_asr_ = std::make_unique<WyomingRecognizer>();
    wyoming_asr_->rebuild(runtime_);
  }
  if (mqtt_) mqtt_->start();  // after the bus bound its devices, so the first connect subscribes them all
  if (!options_.port_file.empty()) {
    Result<void> w = write_port_file(options_.port_file, server_->port());
    if (!w) {
      HEARTH_LOG_ERROR("hearthd", "%s", w.error().message.c_str());
      return kExitStartupFailed;
    }
  }

  wait_for_signal();
  HEARTH_LOG_INFO("hearthd", "ready");
  ioc_.run();
  // A parse still running finishes (its answer is posted to the stopped loop
  // and dropped); nothing new starts.
  nlu_pool_.stop();
  nlu_pool_.join();

  // The loop has stopped; release what it drove, then let cancelled
  // operations complete so no handler outlives its owner.
  stop_audio();  // already stopped by begin_shutdown unless the loop ended otherwise
  server_.reset();
  wyoming_.reset();
  timers_->cancel_all();
  {
    std::lock_guard<std::mutex> lock(runtime_mu_);
    runtime_.reset();
  }
  ioc_.restart();
  ioc_.poll();
  mqtt_bridge_.reset();
  mqtt_.reset();
  net_.reset();
  ioc_.restart();
  ioc_.poll();
  routines_.reset();  // joins its db thread (run-log writes finish first)
  history_.reset();  // joins the writer thread after its queue is empty
  HEARTH_LOG_INFO("hearthd", "stopped (exit %d)", exit_code_);
  return exit_code_;
}

void App::wait_for_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int n) { on_signal(ec, n); });
}

void App::on_signal(const boost::system::error_code& ec, int signal_number) {
  if (ec) return;
  if (signal_number == SIGHUP) {
    if (!shutting_down_) reload();
  } else if (shutting_down_) {
    // Second SIGINT/SIGTERM: the user does not want to wait.
    std::fprintf(stderr, "hearthd: second signal %d during shutdown; exiting now\n", signal_number);
    std::fflush(stderr);
    std::_Exit(kExitForced);
  } else {
    HEARTH_LOG_INFO("hearthd", "signal %d: shutting down", signal_number);
    begin_shutdown();
  }
  wait_for_signal();
}

void App::reload() {
  HEARTH_LOG_INFO("hearthd", "SIGHUP: reloading %s", config_source().c_str());
  ConfigErrors errors;
  Result<ConfigBundle> bundle = load_config_bundle(options_.config_path, options_.overrides, errors);
  std::shared_ptr<const Runtime> old = runtime();
  if (!bundle) {
    counters_.reload_failures.fetch_add(1);
    HEARTH_LOG_ERROR("config", "reload rejected (%zu problem(s)); keeping the running config", errors.size());
    log_config_errors(errors);
    return;
  }
  // Non-reloadable fields keep their running values.
  if (bundle->config.listen != old->config.listen) {
    HEARTH_LOG_INFO("config", "listen changed to %s: requires restart; still listening on %s",
                    bundle->config.listen.c_str(), old->config.listen.c_str());
    bundle->config.listen = old->config.listen;
  }
  if (bundle->config.db != old->config.db || bundle->config.db_required != old->config.db_required) {
    HEARTH_LOG_INFO("config", "db changed to %s: requires restart; still writing %s", bundle->config.db.c_str(),
                    old->config.db.c_str());
    bundle->config.db = old->config.db;
    bundle->config.db_required = old->config.db_required;
  }
  if (bundle->config.time_zone != old->config.time_zone) {
    HEARTH_LOG_INFO("config", "time_zone changed to '%s': requires restart; routines keep '%s'",
                    bundle->config.time_zone.c_str(), old->config.time_zone.c_str());
    bundle->config.time_zone = old->config.time_zone;
  }
  if (bundle->config.mqtt.client.to_string() != old->config.mqtt.client.to_string() ||
      bundle->config.mqtt.hub_id != old->config.mqtt.hub_id ||
      bundle->config.network.probe.to_string() != old->config.network.probe.to_string() ||
      bundle->config.network.enabled != old->config.network.enabled) {
    HEARTH_LOG_INFO("config", "mqtt/network changed: requires restart; keeping the running connection");
  }
  bundle->config.mqtt = old->config.mqtt;
  bundle->config.network = old->config.network;
  AudioConfig& next_audio = bundle->config.audio;
  const AudioConfig& running_audio = old->config.audio;
  if (!same_audio_setup(next_audio, running_audio)) {
    HEARTH_LOG_INFO("config", "audio changed to %s: requires restart; still running %s",
                    next_audio.to_string().c_str(), running_audio.to_string().c_str());
    const bool ns_enabled = next_audio.ns.enabled;
    next_audio = running_audio;
    next_audio.ns.enabled = ns_enabled;  // the one live audio setting
  }
  Result<std::shared_ptr<Runtime>> staged = build_runtime(std::move(*bundle), old->generation + 1);
  if (!staged) {
    counters_.reload_failures.fetch_add(1);
    HEARTH_LOG_ERROR("config", "reload rejected: %s; keeping the running config", staged.error().message.c_str());
    return;
  }
  LogLevel level = LogLevel::kInfo;
  parse_log_level((*staged)->config.log_level, &level);
  set_log_level(level);
  server_->set_options(server_options((*staged)->config));
  const bool ns_enabled = (*staged)->config.audio.ns.enabled;
  if (ns_enabled != audio_ns_enabled_) {
    audio_ns_enabled_ = ns_enabled;
    if (audio_) audio_->set_ns_enabled(ns_enabled);
    HEARTH_LOG_INFO("config", "audio.ns.enabled: noise suppression %s", ns_enabled ? "on" : "off");
  }
  std::shared_ptr<Runtime> previous;
  {
    std::lock_guard<std::mutex> lock(runtime_mu_);
    previous = runtime_;
    runtime_ = *staged;
  }
  if (voice_) voice_->rebuild(*staged);  // issue 5: recompile the home's language model
  if (wyoming_asr_) wyoming_asr_->rebuild(*staged);  // issue 10: the same for Wyoming's own
  counters_.reloads.fetch_add(1);
  HEARTH_LOG_INFO("config", "reloaded (generation %llu): %s", static_cast<unsigned long long>(runtime_->generation),
                  runtime_->config.to_string().c_str());
  HEARTH_LOG_INFO("config", "home: %s (%zu devices); device states restart from the home file",
                  runtime_->config.home.c_str(), runtime_->home->devices().size());
  retire(std::move(previous));
}

void App::retire(std::shared_ptr<Runtime> old) {
  // Requests still holding the old generation finish against it; its bus
  // drains, and the last reference is dropped from a fresh handler so the
  // bus is never destroyed inside its own callback.
  Bus* bus = old->bus.get();
  bus->async_shutdown(kDrainDeadline, [this, old]() mutable {
    asio::post(ioc_, [old = std::move(old)]() mutable { old.reset(); });
  });
}

void App::begin_shutdown() {
  shutting_down_ = true;
  shutdown_deadline_.expires_after(kShutdownDeadline);
  shutdown_deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || shutdown_done_) return;
    HEARTH_LOG_ERROR("hearthd", "shutdown did not finish within %lld ms; stopping anyway",
                     static_cast<long long>(kShutdownDeadline.count()));
    finish_shutdown(kExitShutdownTimeout);
  });
  // 1. stop the audio loop (started last): joins the DSP thread, so no
  // speech segment is posted after this.
  stop_audio();
  // 2. stop accepting and close connections.
  server_->stop();
  if (wyoming_) wyoming_->stop();
  // 3. timers and routines will not fire any more.
  timers_->cancel_all();
  if (routines_) routines_->stop();
  // 4. drain device commands, 5. flush history, 6. stop the loop.
  std::shared_ptr<const Runtime> rt = runtime();
  rt->bus->async_shutdown(kDrainDeadline, [this, rt] {
    asio::post(ioc_, [this] {
      stop_network([this] {
        HEARTH_LOG_INFO("hearthd", "devices drained; flushing history");
        history_->async_flush(ioc_.get_executor(), [this] { finish_shutdown(kExitOk); }, /*final_flush=*/true);
      });
    });
  });
}

void App::finish_shutdown(int exit_code) {
  if (shutdown_done_) return;
  shutdown_done_ = true;
  exit_code_ = exit_code;
  shutdown_deadline_.cancel();
  signals_.cancel();
  ioc_.stop();
}

}  // namespace

const char* hearth_version() { return HEARTH_VERSION; }

int run_daemon(const DaemonOptions& options) {
  App app(options);
  return app.run();
}

int check_config(const std::string& config_path, const ConfigOverrides& overrides, std::ostream& out,
                 std::ostream& err) {
  ConfigErrors errors;
  Result<ConfigBundle> bundle = load_config_bundle(config_path, overrides, errors);
  if (!bundle) {
    err << errors.to_string();
    err << errors.size() << " problem(s) found in " << (config_path.empty() ? std::string(kBuiltinConfigName) : config_path)
        << "\n";
    return 1;
  }
  // The templates compile only against the home; check that too.
  Result<std::unique_ptr<TemplateParser>> parser = make_template_parser(*bundle->home, bundle->config.nlu);
  if (!parser) {
    err << (config_path.empty() ? std::string(kBuiltinConfigName) : config_path)
        << ": $.nlu.custom_intents: " << parser.error().message << "\n";
    return 1;
  }
  out << "config ok\n";
  return 0;
}

}  // namespace hearth
