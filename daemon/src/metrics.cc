#include "metrics.h"

#include <cmath>
#include <cstdio>

#include "auth.h"
#include "ws_events.h"

#ifndef HEARTH_VERSION
#define HEARTH_VERSION "dev"
#endif

namespace hearth {

namespace {

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void MetricsWriter::header(std::string_view name, std::string_view help, std::string_view type) {
  if (last_name_ == name) return;
  last_name_ = std::string(name);
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void MetricsWriter::sample(std::string_view name, double value, Labels labels, std::string_view extra_label,
                           std::string_view extra_value) {
  out_ += name;
  if (labels.size() > 0 || !extra_label.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      out_ += escape_label_value(v);
      out_ += '"';
    }
    if (!extra_label.empty()) {
      if (!first) out_ += ',';
      out_ += extra_label;
      out_ += "=\"";
      out_ += extra_value;
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void MetricsWriter::counter(std::string_view name, std::string_view help, double value, Labels labels) {
  header(name, help, "counter");
  sample(name, value, labels);
}

void MetricsWriter::gauge(std::string_view name, std::string_view help, double value, Labels labels) {
  header(name, help, "gauge");
  sample(name, value, labels);
}

void MetricsWriter::histogram(std::string_view name, std::string_view help, const LatencyHistogram& h,
                              Labels labels) {
  header(name, help, "histogram");
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    cumulative += h.counts[i];
    sample(bucket, static_cast<double>(cumulative), labels, "le", format_value(LatencyHistogram::kBoundsMs[i]));
  }
  cumulative += h.counts[LatencyHistogram::kBuckets];
  sample(bucket, static_cast<double>(cumulative), labels, "le", "+Inf");
  sample(std::string(name) + "_sum", h.sum_ms, labels);
  sample(std::string(name) + "_count", static_cast<double>(h.n), labels);
}

std::string render_metrics(AppContext& app) {
  MetricsWriter m;
  const AppCounters& c = app.counters();
  const double uptime_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - app.started_at()).count();
  m.gauge("hearth_build_info", "Version of the running hearthd.", 1, {{"version", HEARTH_VERSION}});
  m.gauge("hearth_uptime_seconds", "Seconds since hearthd started.", uptime_s);

  // Requests and commands.
  m.counter("hearth_http_requests_total", "API requests routed.", static_cast<double>(c.http_requests.load()));
  m.counter("hearth_http_errors_total", "API responses with an error status.", static_cast<double>(c.http_4xx.load()),
            {{"class", "4xx"}});
  m.counter("hearth_http_errors_total", "API responses with an error status.", static_cast<double>(c.http_5xx.load()),
            {{"class", "5xx"}});
  m.counter("hearth_commands_total", "Commands handled (text and voice), by outcome.",
            static_cast<double>(c.commands.load() - std::min(c.commands.load(), c.commands_failed.load())),
            {{"outcome", "ok"}});
  m.counter("hearth_commands_total", "Commands handled (text and voice), by outcome.",
            static_cast<double>(c.commands_failed.load()), {{"outcome", "failed"}});
  m.counter("hearth_device_actions_total", "Device commands run on the bus.", static_cast<double>(c.device_actions.load()));
  m.counter("hearth_state_changes_total", "Device attribute changes seen on the bus.",
            static_cast<double>(c.state_changes.load()));
  m.counter("hearth_timers_fired_total", "Timers that fired.", static_cast<double>(c.timers_fired.load()));
  m.counter("hearth_reloads_total", "Config reloads, by result.", static_cast<double>(c.reloads.load()),
            {{"result", "ok"}});
  m.counter("hearth_reloads_total", "Config reloads, by result.", static_cast<double>(c.reload_failures.load()),
            {{"result", "rejected"}});

  // Connections.
  const HttpServer::Stats hs = app.http_stats();
  m.counter("hearth_http_connections_total", "TCP connections accepted, by fate.",
            static_cast<double>(hs.connections_accepted - std::min(hs.connections_accepted, hs.connections_rejected)),
            {{"fate", "served"}});
  m.counter("hearth_http_connections_total", "TCP connections accepted, by fate.",
            static_cast<double>(hs.connections_rejected), {{"fate", "rejected"}});
  m.gauge("hearth_http_connections_open", "HTTP connections open now.", static_cast<double>(hs.connections_open));
  m.counter("hearth_http_bad_requests_total", "Unparseable, oversized or timed-out requests.",
            static_cast<double>(hs.bad_requests));
  m.gauge("hearth_ws_connections_open", "WebSocket connections open now.", static_cast<double>(hs.ws_open));
  m.counter("hearth_ws_messages_total", "WebSocket messages, by direction.", static_cast<double>(hs.ws_messages_in),
            {{"direction", "in"}});
  m.counter("hearth_ws_messages_total", "WebSocket messages, by direction.", static_cast<double>(hs.ws_messages_out),
            {{"direction", "out"}});
  m.counter("hearth_ws_dropped_slow_total", "WebSocket clients dropped because their queue was full.",
            static_cast<double>(hs.ws_dropped_slow));
  m.counter("hearth_ws_bad_frames_total", "Oversized, binary or malformed WebSocket frames from clients.",
            static_cast<double>(hs.ws_bad_frames));

  // Queues.
  const HistoryWriter::Stats h = app.history().stats();
  m.gauge("hearth_history_queue_depth", "History writes waiting.", static_cast<double>(h.queued));
  m.counter("hearth_history_writes_total", "History rows written, by kind.", static_cast<double>(h.commands_written),
            {{"kind", "command"}});
  m.counter("hearth_history_writes_total", "History rows written, by kind.", static_cast<double>(h.events_written),
            {{"kind", "event"}});
  m.counter("hearth_history_write_failures_total", "History writes SQLite refused.", static_cast<double>(h.write_failures));
  m.counter("hearth_history_dropped_total", "History writes dropped (disabled or queue full).",
            static_cast<double>(h.dropped));
  m.gauge("hearth_timers_active", "Timers pending.", static_cast<double>(app.timers().active().size()));

  // Audio.
  const AudioHealth a = app.audio_health();
  m.gauge("hearth_audio_running", "1 when the audio source is running.", a.state == "running" ? 1 : 0,
          {{"source", a.source}});
  m.counter("hearth_audio_frames_total", "Audio frames processed.", static_cast<double>(a.metrics.frames));
  m.counter("hearth_audio_overruns_total", "Capture ring overruns (audio lost).",
            static_cast<double>(a.metrics.source.overrun_events));
  m.counter("hearth_audio_overrun_samples_total", "Samples lost to overruns.",
            static_cast<double>(a.metrics.source.overrun_samples));
  m.counter("hearth_audio_reopens_total", "Times the capture device was reopened.",
            static_cast<double>(a.metrics.source.reopen_count));
  m.gauge("hearth_audio_cpu_ms_per_audio_second", "DSP CPU time per second of audio.", a.metrics.cpu_ms_per_audio_s);
  m.gauge("hearth_audio_noise_dbfs", "Estimated noise floor.", a.metrics.noise_dbfs);
  m.counter("hearth_speech_segments_total", "VAD speech segments finished.", static_cast<double>(a.speech_segments));

  // Events and stage latencies.
  const EventHub& hub = app.events();
  m.counter("hearth_events_published_total", "Events published on the hub.", static_cast<double>(hub.published()));
  m.gauge("hearth_event_subscribers", "Subscribers of the event hub.", static_cast<double>(hub.subscribers()));
  if (EventStream* es = app.event_stream()) {
    EventStream::Stats s = es->stats();
    // Types every dashboard expects, at 0 before the first one.
    for (const char* t : {event_type::kWake, event_type::kTranscript, event_type::kIntent, event_type::kAction,
                          event_type::kStateChanged}) {
      s.events_by_type.emplace(t, 0);
    }
    for (const auto& [type, n] : s.events_by_type) {
      m.counter("hearth_events_total", "Events by type (wake = wake-word detections).", static_cast<double>(n),
                {{"type", type}});
    }
    for (const auto& [type, hist] : s.latency_by_type) {
      m.histogram("hearth_stage_latency_ms", "Latency reported by each pipeline stage's events, ms.", hist,
                  {{"stage", type}});
    }
    m.gauge("hearth_ws_event_clients", "Authenticated /api/v1/events clients.", static_cast<double>(s.clients));
    m.counter("hearth_ws_events_delivered_total", "Events queued to WebSocket clients.",
              static_cast<double>(s.events_delivered));
    m.counter("hearth_ws_events_dropped_total", "Events not queued because a client was too slow.",
              static_cast<double>(s.events_dropped));
    m.counter("hearth_ws_auth_failures_total", "WebSocket auth messages refused.", static_cast<double>(s.auth_failed));
  }

  // Auth.
  if (Auth* auth = app.auth()) {
    const AuthStats as = auth->stats();
    m.counter("hearth_auth_checks_total", "Auth checks, by result.", static_cast<double>(as.ok), {{"result", "ok"}});
    m.counter("hearth_auth_checks_total", "Auth checks, by result.", static_cast<double>(as.unauthorized),
              {{"result", "unauthorized"}});
    m.counter("hearth_auth_checks_total", "Auth checks, by result.", static_cast<double>(as.forbidden),
              {{"result", "forbidden"}});
    m.counter("hearth_auth_checks_total", "Auth checks, by result.", static_cast<double>(as.rate_limited),
              {{"result", "rate_limited"}});
    m.counter("hearth_pairings_total", "Pairing attempts, by result.", static_cast<double>(as.pair_ok),
              {{"result", "ok"}});
    m.counter("hearth_pairings_total", "Pairing attempts, by result.", static_cast<double>(as.pair_failed),
              {{"result", "failed"}});
  }
  return m.text();
}

}  // namespace hearth
