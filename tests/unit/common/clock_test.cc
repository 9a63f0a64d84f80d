#include <gtest/gtest.h>

#include "hearth/common/clock.h"

namespace hearth {
namespace {

TEST(ManualClock, MovesOnlyWhenAdvanced) {
  ManualClock clock(from_unix_ms(1'700'000'000'000));
  auto w0 = clock.now();
  auto s0 = clock.steady_now();
  EXPECT_EQ(clock.now(), w0);
  clock.advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(to_unix_ms(clock.now()), 1'700'000'001'500);
  EXPECT_EQ(clock.steady_now() - s0, std::chrono::milliseconds(1500));
}

TEST(Clock, Iso8601) {
  EXPECT_EQ(format_iso8601_utc(from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_utc(from_unix_ms(1'700'000'000'123)), "2023-11-14T22:13:20.123Z");
}

TEST(Clock, SystemClockAdvances) {
  const Clock& c = system_clock();
  auto a = c.steady_now();
  EXPECT_GE(c.steady_now(), a);
}

}  // namespace
}  // namespace hearth
