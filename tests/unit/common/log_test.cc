#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hearth/common/log.h"

namespace hearth {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reset_log_counters_for_test();
    set_log_sink([this](LogLevel, std::string_view line) { lines.emplace_back(line); });
    set_log_clock_for_test([this] { return now_ms; });
    set_log_level(LogLevel::kInfo);
  }
  void TearDown() override {
    set_log_sink(nullptr);
    set_log_clock_for_test(nullptr);
  }
  void warn_once(int i) { HEARTH_LOG_WARN("test", "device %d offline", i); }

  std::vector<std::string> lines;
  int64_t now_ms = 1000;
};

TEST_F(LogTest, FormatsLevelTagAndMessage) {
  HEARTH_LOG_INFO("daemon", "listening on %s:%d", "127.0.0.1", 8765);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(" info daemon: listening on 127.0.0.1:8765"), std::string::npos) << lines[0];
  EXPECT_EQ(log_counters().emitted[static_cast<int>(LogLevel::kInfo)], 1u);
}

TEST_F(LogTest, LevelFilters) {
  set_log_level(LogLevel::kWarn);
  HEARTH_LOG_INFO("x", "hidden");
  HEARTH_LOG_DEBUG("x", "hidden");
  EXPECT_TRUE(lines.empty());
  LogLevel l;
  EXPECT_TRUE(parse_log_level("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_FALSE(parse_log_level("loud", &l));
}

TEST_F(LogTest, RateLimitsPerSiteAndReportsSuppressed) {
  for (int i = 0; i < 20; ++i) warn_once(i);
  EXPECT_EQ(lines.size(), static_cast<size_t>(kLogBurst));
  EXPECT_EQ(log_counters().suppressed, 20u - kLogBurst);
  now_ms += std::chrono::duration_cast<std::chrono::milliseconds>(kLogWindow).count();
  warn_once(99);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kLogBurst) + 1);
  EXPECT_NE(lines.back().find("(suppressed 15 similar)"), std::string::npos) << lines.back();
}

TEST_F(LogTest, LongMessagesAreCutNotOverflowed) {
  std::string big(5000, 'x');
  HEARTH_LOG_INFO("x", "%s", big.c_str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_LT(lines[0].size(), 1200u);
  EXPECT_EQ(lines[0].substr(lines[0].size() - 3), "...");
}

}  // namespace
}  // namespace hearth
