// Every variant of kernels/nn.h against the scalar reference, at awkward
// sizes, with misaligned pointers and seeded data. The int8 kernels are exact
// (integer accumulation), so results must be equal, not merely close.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "hearth/kernels/nn.h"

namespace hearth {
namespace {

constexpr int kAwkward[] = {1, 7, 15, 16, 17, 31, 32, 33, 48, 64, 120, 127, 4099};

std::vector<int8_t> rand_i8(std::mt19937& g, size_t n, int lo = -127, int hi = 127) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n + 1);  // +1: room for a misaligned view
  for (auto& x : v) x = static_cast<int8_t>(d(g));
  return v;
}

TEST(NnKernels, ReferenceIsFirstAndNamed) {
  auto v = supported_nn_kernel_tables();
  ASSERT_FALSE(v.empty());
  EXPECT_STREQ(v[0]->name, "ref");
  EXPECT_EQ(v[0], &reference_nn_kernels());
}

TEST(NnKernels, DenseMatchesReference) {
  const NnKernelTable& ref = reference_nn_kernels();
  std::mt19937 g(42);
  for (const NnKernelTable* k : supported_nn_kernel_tables()) {
    for (int n_in : kAwkward) {
      for (int n_out : {1, 3, 48}) {
        auto w = rand_i8(g, static_cast<size_t>(n_in) * n_out);
        auto x = rand_i8(g, n_in);
        std::vector<int32_t> a(n_out), b(n_out);
        ref.dense_i8(n_out, n_in, w.data() + 1, x.data() + 1, a.data());
        k->dense_i8(n_out, n_in, w.data() + 1, x.data() + 1, b.data());
        ASSERT_EQ(a, b) << k->name << " n_in=" << n_in << " n_out=" << n_out;
      }
    }
  }
}

TEST(NnKernels, DenseExtremesDoNotSaturate) {
  // all +-127: a 16-bit pairwise sum would overflow without int32 accumulation
  const int n = 4099;
  std::vector<int8_t> w(n, 127), x(n, -127);
  for (const NnKernelTable* k : supported_nn_kernel_tables()) {
    int32_t acc = 0;
    k->dense_i8(1, n, w.data(), x.data(), &acc);
    EXPECT_EQ(acc, -127 * 127 * n) << k->name;
  }
}

TEST(NnKernels, DepthwiseMatchesReference) {
  const NnKernelTable& ref = reference_nn_kernels();
  std::mt19937 g(7);
  for (const NnKernelTable* k : supported_nn_kernel_tables()) {
    for (int ch : kAwkward) {
      for (int taps : {1, 3, 5}) {
        auto w = rand_i8(g, static_cast<size_t>(ch) * taps);
        std::vector<std::vector<int8_t>> frames;
        std::vector<const int8_t*> ptrs;
        for (int j = 0; j < taps; ++j) frames.push_back(rand_i8(g, ch));
        for (int j = 0; j < taps; ++j) ptrs.push_back(frames[j].data() + 1);
        std::vector<int32_t> a(ch), b(ch);
        ref.dwconv_i8(ch, taps, w.data() + 1, ptrs.data(), a.data());
        k->dwconv_i8(ch, taps, w.data() + 1, ptrs.data(), b.data());
        ASSERT_EQ(a, b) << k->name << " ch=" << ch << " taps=" << taps;
      }
    }
  }
}

TEST(NnKernels, RequantMatchesReference) {
  const NnKernelTable& ref = reference_nn_kernels();
  std::mt19937 g(3);
  std::uniform_int_distribution<int32_t> da(-200000, 200000);
  std::uniform_real_distribution<float> dm(1e-5f, 1e-3f), db(-3.f, 3.f);
  for (const NnKernelTable* k : supported_nn_kernel_tables()) {
    for (int n : kAwkward) {
      for (bool relu : {false, true}) {
        std::vector<int32_t> acc(n + 1);
        std::vector<float> mul(n + 1), bias(n + 1);
        for (int i = 0; i <= n; ++i) {
          acc[i] = da(g);
          mul[i] = dm(g);
          bias[i] = db(g);
        }
        acc[1] = 0;  // exact ties and zeros are part of the spec
        std::vector<int8_t> a(n + 1), b(n + 1);
        ref.requant_i8(n, acc.data() + 1, mul.data() + 1, bias.data() + 1, relu, 40.f, a.data() + 1);
        k->requant_i8(n, acc.data() + 1, mul.data() + 1, bias.data() + 1, relu, 40.f, b.data() + 1);
        ASSERT_EQ(a, b) << k->name << " n=" << n << " relu=" << relu;
        for (int i = 1; i <= n; ++i) {
          ASSERT_GE(a[i], relu ? 0 : -127);
          ASSERT_LE(a[i], 127);
        }
      }
    }
  }
}

TEST(NnKernels, RequantRoundsHalfToEvenAndClamps) {
  const NnKernelTable& ref = reference_nn_kernels();
  for (const NnKernelTable* k : supported_nn_kernel_tables()) {
    // y = acc * 1 + 0, scaled by 0.5: 5 -> 2.5 -> 2, 7 -> 3.5 -> 4, 1000 -> 127, -1000 -> -127
    const int32_t acc[4] = {5, 7, 1000, -1000};
    const float mul[4] = {1, 1, 1, 1}, bias[4] = {0, 0, 0, 0};
    int8_t out[4];
    k->requant_i8(4, acc, mul, bias, false, 0.5f, out);
    EXPECT_EQ(out[0], 2) << k->name;
    EXPECT_EQ(out[1], 4) << k->name;
    EXPECT_EQ(out[2], 127) << k->name;
    EXPECT_EQ(out[3], -127) << k->name;
    (void)ref;
  }
}

}  // namespace
}  // namespace hearth
