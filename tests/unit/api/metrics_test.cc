// The Prometheus text writer: HELP/TYPE once per name, labels escaped,
// histograms cumulative with +Inf, _sum and _count.
#include <gtest/gtest.h>

#include "metrics.h"
#include "ws_events.h"

namespace hearth {
namespace {

TEST(Metrics, CountersGaugesAndLabels) {
  MetricsWriter m;
  m.counter("hearth_x_total", "X things.", 3, {{"kind", "a"}});
  m.counter("hearth_x_total", "X things.", 4, {{"kind", "b\"c\\d\ne"}});
  m.gauge("hearth_y", "Y now.", 1.5);
  const std::string t = m.text();
  EXPECT_EQ(t,
            "# HELP hearth_x_total X things.\n# TYPE hearth_x_total counter\n"
            "hearth_x_total{kind=\"a\"} 3\n"
            "hearth_x_total{kind=\"b\\\"c\\\\d\\ne\"} 4\n"
            "# HELP hearth_y Y now.\n# TYPE hearth_y gauge\nhearth_y 1.5\n");
}

TEST(Metrics, HistogramIsCumulative) {
  LatencyHistogram h;
  h.observe(3);
  h.observe(30);
  h.observe(9000);
  MetricsWriter m;
  m.histogram("hearth_stage_latency_ms", "Latency.", h, {{"stage", "intent"}});
  const std::string t = m.text();
  EXPECT_NE(t.find("# TYPE hearth_stage_latency_ms histogram\n"), std::string::npos);
  EXPECT_NE(t.find("hearth_stage_latency_ms_bucket{stage=\"intent\",le=\"5\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("hearth_stage_latency_ms_bucket{stage=\"intent\",le=\"50\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("hearth_stage_latency_ms_bucket{stage=\"intent\",le=\"5000\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("hearth_stage_latency_ms_bucket{stage=\"intent\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("hearth_stage_latency_ms_sum{stage=\"intent\"} 9033\n"), std::string::npos);
  EXPECT_NE(t.find("hearth_stage_latency_ms_count{stage=\"intent\"} 3\n"), std::string::npos);
}

}  // namespace
}  // namespace hearth
