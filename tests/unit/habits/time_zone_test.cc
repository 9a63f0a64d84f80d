// TimeZone: civil dates, DST transitions from the TZ database, local → UTC
// in gaps and overlaps.
#include <gtest/gtest.h>

#include "hearth/habits/time_zone.h"

namespace hearth {
namespace {

int64_t utc(int y, int mo, int d, int h, int mi) { return days_from_civil({y, mo, d}) * 86400 + h * 3600 + mi * 60; }

TEST(TimeZone, CivilDatesRoundTrip) {
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(weekday_from_days(0), 3);   // Thursday
  EXPECT_EQ(format_civil_date(days_from_civil({2024, 2, 29})), "2024-02-29");
  EXPECT_EQ(format_civil_date(days_from_civil({1969, 12, 31})), "1969-12-31");
  int64_t d = 0;
  EXPECT_TRUE(parse_civil_date("2024-03-31", &d));
  EXPECT_EQ(weekday_from_days(d), 6);   // Sunday
  EXPECT_FALSE(parse_civil_date("2023-02-30", &d));
  EXPECT_FALSE(parse_civil_date("2023-2-3", &d));
}

TEST(TimeZone, UnknownZoneIsAnError) {
  Result<TimeZone> tz = TimeZone::load("Mars/Olympus_Mons");
  ASSERT_FALSE(tz);
  EXPECT_EQ(tz.error().code, Code::kNotFound);
  EXPECT_FALSE(TimeZone::load("../../etc/passwd"));
}

TEST(TimeZone, BerlinOffsetsAroundTransitions) {
  Result<TimeZone> tz = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(tz) << tz.error().message;
  EXPECT_EQ(tz->offset_seconds(utc(2024, 1, 15, 12, 0)), 3600);
  EXPECT_EQ(tz->offset_seconds(utc(2024, 7, 15, 12, 0)), 7200);
  // 2024-03-31 01:00 UTC: CET → CEST; 2024-10-27 01:00 UTC: back.
  EXPECT_EQ(tz->offset_seconds(utc(2024, 3, 31, 0, 59)), 3600);
  EXPECT_EQ(tz->offset_seconds(utc(2024, 3, 31, 1, 0)), 7200);
  EXPECT_EQ(tz->offset_seconds(utc(2024, 10, 27, 0, 59)), 7200);
  EXPECT_EQ(tz->offset_seconds(utc(2024, 10, 27, 1, 0)), 3600);
  const LocalTime lt = tz->to_local_seconds(utc(2024, 3, 31, 20, 40));
  EXPECT_EQ(lt.minute_of_day(), 22 * 60 + 40);
  EXPECT_EQ(lt.weekday, 6);
}

TEST(TimeZone, LocalToUtcInGapAndOverlap) {
  Result<TimeZone> tz = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(tz);
  const int64_t spring = days_from_civil({2024, 3, 31});
  // 02:30 does not exist: moved forward by the gap → 03:30 CEST = 01:30 UTC.
  EXPECT_EQ(tz->from_local_seconds(spring, 2 * 3600 + 1800), utc(2024, 3, 31, 1, 30));
  EXPECT_EQ(tz->from_local_seconds(spring, 22 * 3600 + 2400), utc(2024, 3, 31, 20, 40));
  const int64_t fall = days_from_civil({2024, 10, 27});
  // 02:30 happens twice: the first one (CEST) = 00:30 UTC.
  EXPECT_EQ(tz->from_local_seconds(fall, 2 * 3600 + 1800), utc(2024, 10, 27, 0, 30));
  EXPECT_EQ(tz->from_local_seconds(fall, 12 * 3600), utc(2024, 10, 27, 11, 0));
}

TEST(TimeZone, NewYorkAndUtc) {
  Result<TimeZone> ny = TimeZone::load("America/New_York");
  ASSERT_TRUE(ny);
  EXPECT_EQ(ny->offset_seconds(utc(2024, 3, 10, 6, 59)), -5 * 3600);
  EXPECT_EQ(ny->offset_seconds(utc(2024, 3, 10, 7, 0)), -4 * 3600);
  TimeZone u;
  EXPECT_EQ(u.name(), "UTC");
  EXPECT_EQ(u.offset_seconds(utc(2024, 7, 1, 0, 0)), 0);
  EXPECT_TRUE(u.transitions().empty());
}

}  // namespace
}  // namespace hearth
