#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "hearth/audio/ring.h"

namespace hearth {
namespace {

TEST(SpscRing, RoundsCapacityAndReportsOverrun) {
  SpscRing ring(100);
  EXPECT_EQ(ring.capacity(), 128u);
  std::vector<float> in(200, 1.f);
  EXPECT_EQ(ring.write(in), 128u);  // the rest is the producer's overrun
  EXPECT_EQ(ring.available(), 128u);
  std::vector<float> out(50);
  EXPECT_EQ(ring.read(out), 50u);
  EXPECT_EQ(ring.write(in), 50u);
}

TEST(SpscRing, WrapsAroundInOrder) {
  SpscRing ring(8);
  std::vector<float> out(8);
  float next = 0.f, expect = 0.f;
  for (int round = 0; round < 100; ++round) {
    std::vector<float> in(5);
    for (float& x : in) x = next++;
    ASSERT_EQ(ring.write(in), 5u);
    ASSERT_EQ(ring.read(std::span<float>(out.data(), 5)), 5u);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(out[i], expect++);
  }
}

TEST(SpscRing, TwoThreadsLoseNothing) {
  // Producer writes a counting sequence; the consumer must see every value once, in order.
  SpscRing ring(256);
  constexpr int kTotal = 200000;
  std::thread producer([&] {
    int sent = 0;
    std::vector<float> chunk(37);
    while (sent < kTotal) {
      int n = std::min<int>(37, kTotal - sent);
      for (int i = 0; i < n; ++i) chunk[i] = static_cast<float>(sent + i);
      sent += static_cast<int>(ring.write(std::span<const float>(chunk.data(), n)));
    }
  });
  int got = 0;
  std::vector<float> out(kFrameSamples);
  while (got < kTotal) {
    size_t n = ring.read(out);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], static_cast<float>(got++));
  }
  producer.join();
}

}  // namespace
}  // namespace hearth
