// Every SIMD variant the host supports against the scalar reference, at
// awkward sizes, misaligned pointers and seeded data (STYLE.md §4).
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "hearth/kernels/kernels.h"

namespace hearth {
namespace {

constexpr double kMaxNmseDotF32 = 1e-8;   // nmse = (a-b)^2 / a^2
constexpr double kMaxNmseDotQ8 = 1e-8; 
constexpr int kAwkwardSizes[] = {0, 1, 7, 15, 16, 17, 31, 32, 33, 255, 4099};
constexpr int kAwkwardBlocks[] = {1, 2, 3, 7, 33, 129};

double nmse(double ref, double got) {
  const double denom = std::max(ref * ref, 1e-30);
  return (ref - got) * (ref - got) / denom;
}

std::vector<float> random_floats(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n) + 1);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(KernelsVsRef, DotF32) {
  const KernelTable& ref = reference_kernels();
  for (const KernelTable* v : supported_kernel_tables()) {
    for (int n : kAwkwardSizes) {
      std::vector<float> a = random_floats(n, 1u + n), b = random_floats(n, 7u + n);
      // +1: misaligned by one float
      const double want = ref.dot_f32(n, a.data() + 1, b.data() + 1);
      const double got = v->dot_f32(n, a.data() + 1, b.data() + 1);
      if (n == 0) {
        EXPECT_EQ(got, 0.0) << v->name;
      } else {
        EXPECT_LT(nmse(want, got), kMaxNmseDotF32) << v->name << " n=" << n;
      }
    }
  }
}

TEST(KernelsVsRef, DotQ8) {
  const KernelTable& ref = reference_kernels();
  for (const KernelTable* v : supported_kernel_tables()) {
    for (int nb : kAwkwardBlocks) {
      const int n = nb * kQ8Block;
      std::vector<float> w = random_floats(n, 3u + n), x = random_floats(n, 11u + n);
      // block storage 2 bytes past a 16-byte boundary (BlockQ8's own alignment is 2)
      std::vector<unsigned char> raw(sizeof(BlockQ8) * nb + 2);
      BlockQ8* blocks = reinterpret_cast<BlockQ8*>(raw.data() + 2);
      std::vector<BlockQ8> tmp(nb);
      quantize_q8_0_ref(n, w.data(), tmp.data());
      std::memcpy(raw.data() + 2, tmp.data(), sizeof(BlockQ8) * nb);
      const double want = ref.dot_q8_f32(n, tmp.data(), x.data() + 1);  // x misaligned by one float
      const double got = v->dot_q8_f32(n, blocks, x.data() + 1);
      EXPECT_LT(nmse(want, got), kMaxNmseDotQ8) << v->name << " blocks=" << nb;
    }
  }
}

TEST(KernelsRef, QuantizeQ8RoundTrip) {
  // Quantization error per element is at most half a step (scale / 2).
  std::vector<float> x = random_floats(4 * kQ8Block, 5);
  std::vector<BlockQ8> q(4);
  quantize_q8_0_ref(4 * kQ8Block, x.data(), q.data());
  for (int b = 0; b < 4; ++b) {
    const float d = f16_to_f32(q[b].scale_f16);
    for (int j = 0; j < kQ8Block; ++j)
      EXPECT_NEAR(d * q[b].q[j], x[b * kQ8Block + j], d * 0.5f + 1e-3f);
  }
}

TEST(KernelsRef, HalfFloatExactForAllHalves) {
  // Every finite half converts to float and back to the same bits.
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    if ((bits & 0x7c00u) == 0x7c00u) continue;  // inf / nan
    ASSERT_EQ(f32_to_f16(f16_to_f32(bits)), bits) << std::hex << h;
  }
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(f32_to_f16(65504.f), 0x7bff);
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);
}

TEST(KernelsDispatch, EnvForcesReference) {
  // kernels() is probed once per process; here we only check the table set.
  auto tables = supported_kernel_tables();
  ASSERT_FALSE(tables.empty());
  EXPECT_STREQ(tables.front()->name, "ref");
  EXPECT_NE(kernels().dot_f32, nullptr);
}

}  // namespace
}  // namespace hearth
