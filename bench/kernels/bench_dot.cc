// Dot-product kernels, every variant, sizes from L1 to DRAM. Each variant is
// checked against the reference once before timing.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "hearth/kernels/kernels.h"

namespace {

using hearth::BlockQ8;
using hearth::KernelTable;

std::vector<float> random_floats(int n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

void bm_dot_f32(benchmark::State& st, const KernelTable* t) {
  const int n = static_cast<int>(st.range(0));
  auto a = random_floats(n), b = random_floats(n);
  // Over millions of terms the float reference itself drifts from the exact
  // sum, so both are judged against a double sum: the variant may be off by
  // at most twice the reference's own error, or 1e-5 of sum |a_i b_i|.
  double exact = 0.0, magnitude = 0.0;
  for (int i = 0; i < n; ++i) {
    exact += static_cast<double>(a[i]) * b[i];
    magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
  }
  const double ref_error = std::fabs(hearth::reference_kernels().dot_f32(n, a.data(), b.data()) - exact);
  if (std::fabs(t->dot_f32(n, a.data(), b.data()) - exact) > std::max(2.0 * ref_error, 1e-5 * magnitude)) {
    st.SkipWithError("variant disagrees with reference");
    return;
  }
  for (auto _ : st) benchmark::DoNotOptimize(t->dot_f32(n, a.data(), b.data()));
  st.SetBytesProcessed(st.iterations() * int64_t(n) * 8);
}

void bm_dot_q8(benchmark::State& st, const KernelTable* t) {
  const int n = static_cast<int>(st.range(0));
  auto w = random_floats(n), x = random_floats(n);
  std::vector<BlockQ8> q(n / hearth::kQ8Block);
  hearth::quantize_q8_0_ref(n, w.data(), q.data());
  const float want = hearth::reference_kernels().dot_q8_f32(n, q.data(), x.data());
  if (std::fabs(t->dot_q8_f32(n, q.data(), x.data()) - want) > 1e-3f * (1 + std::fabs(want))) {
    st.SkipWithError("variant disagrees with reference");
    return;
  }
  for (auto _ : st) benchmark::DoNotOptimize(t->dot_q8_f32(n, q.data(), x.data()));
  st.SetBytesProcessed(st.iterations() * int64_t(n / hearth::kQ8Block) * (sizeof(BlockQ8) + 128));
}

int register_all() {
  for (const KernelTable* t : hearth::supported_kernel_tables()) {
    // 4 KiB (L1) .. 64 MiB (DRAM) of f32 operands
    benchmark::RegisterBenchmark((std::string("dot_f32/") + t->name).c_str(), bm_dot_f32, t)
        ->RangeMultiplier(8)->Range(1 << 9, 1 << 23);
    benchmark::RegisterBenchmark((std::string("dot_q8_f32/") + t->name).c_str(), bm_dot_q8, t)
        ->RangeMultiplier(8)->Range(1 << 9, 1 << 23);
  }
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
