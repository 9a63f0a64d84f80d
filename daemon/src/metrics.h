// daemon/src/metrics.h: GET /metrics in the Prometheus text format (0.0.4):
// request and command counters, stage latencies (histograms from events that
// carry latency_ms), events per type (wake counts, ...), queue depths, audio
// frames and overruns, WebSocket and auth figures. Private to daemon/.
//
// To add a metric: one line in render_metrics() with MetricsWriter
// (counter/gauge/histogram); names are hearth_<what>[_<unit>][_total].
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "app_context.h"

namespace hearth {

struct LatencyHistogram;

class MetricsWriter {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  // Writes # HELP and # TYPE once per name (the first call for that name).
  void counter(std::string_view name, std::string_view help, double value, Labels labels = {});
  void gauge(std::string_view name, std::string_view help, double value, Labels labels = {});
  void histogram(std::string_view name, std::string_view help, const LatencyHistogram& h, Labels labels = {});
  const std::string& text() const { return out_; }

 private:
  void header(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, double value, Labels labels, std::string_view extra_label = {},
              std::string_view extra_value = {});
  std::string out_;
  std::string last_name_;
};

// Label values are escaped (\\, \", \n) as the format requires.
std::string escape_label_value(std::string_view v);

// The whole /metrics page. Event-loop thread.
std::string render_metrics(AppContext& app);

}  // namespace hearth
