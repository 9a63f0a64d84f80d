// Wake-word kernels and the per-frame cost of a detector (issue 4). Each
// kernel variant is checked against the reference once before timing.
//   bench_wake_kernels [--model assets/wakeword/jarvis.gguf] [benchmark flags]
// Reports items/s (MACs for the kernels; 10 ms frames for the detector: a
// detector at F frames/s has real-time factor 100 / F on one core).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hearth/kernels/nn.h"
#include "hearth/wakeword/detector.h"

namespace hearth {
namespace {

std::string g_model = std::string(HEARTH_ASSETS_DIR) + "/wakeword/jarvis.gguf";

std::vector<int8_t> rnd(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
  return v;
}

void BM_dense(benchmark::State& st, const NnKernelTable* k) {
  const int n_out = static_cast<int>(st.range(0)), n_in = static_cast<int>(st.range(1));
  auto w = rnd(static_cast<size_t>(n_out) * n_in, 1), x = rnd(n_in, 2);
  std::vector<int32_t> a(n_out), b(n_out);
  reference_nn_kernels().dense_i8(n_out, n_in, w.data(), x.data(), a.data());
  k->dense_i8(n_out, n_in, w.data(), x.data(), b.data());
  if (a != b) { st.SkipWithError("differs from reference"); return; }
  for (auto _ : st) {
    k->dense_i8(n_out, n_in, w.data(), x.data(), b.data());
    benchmark::DoNotOptimize(b.data());
  }
  st.SetItemsProcessed(st.iterations() * static_cast<int64_t>(n_out) * n_in);
}

void BM_dwconv(benchmark::State& st, const NnKernelTable* k) {
  const int ch = static_cast<int>(st.range(0));
  auto w = rnd(3 * ch, 3), x0 = rnd(ch, 4), x1 = rnd(ch, 5), x2 = rnd(ch, 6);
  const int8_t* taps[3] = {x0.data(), x1.data(), x2.data()};
  std::vector<int32_t> a(ch), b(ch);
  reference_nn_kernels().dwconv_i8(ch, 3, w.data(), taps, a.data());
  k->dwconv_i8(ch, 3, w.data(), taps, b.data());
  if (a != b) { st.SkipWithError("differs from reference"); return; }
  for (auto _ : st) {
    k->dwconv_i8(ch, 3, w.data(), taps, b.data());
    benchmark::DoNotOptimize(b.data());
  }
  st.SetItemsProcessed(st.iterations() * 3 * ch);
}

void BM_detector_frame(benchmark::State& st) {
  auto m = load_wake_model(g_model);
  if (!m) { st.SkipWithError(m.error().message.c_str()); return; }
  auto d = make_wake_detector({WakeWordSpec{*m}});
  std::mt19937 g(7);
  std::normal_distribution<float> nd(0.f, 0.05f);
  std::vector<float> pcm(160 * 100);
  for (auto& v : pcm) v = nd(g);
  size_t i = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize((*d)->accept(std::span<const float>(pcm).subspan(i, 160)));
    i = (i + 160) % pcm.size();
  }
  st.SetItemsProcessed(st.iterations());
  st.counters["rtf"] = benchmark::Counter(static_cast<double>(st.iterations()) * 0.01,
                                          benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace
}  // namespace hearth

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--model") == 0) {
      hearth::g_model = argv[i + 1];
      for (int j = i; j + 2 <= argc; ++j) argv[j] = argv[j + 2];
      argc -= 2;
      break;
    }
  for (const hearth::NnKernelTable* k : hearth::supported_nn_kernel_tables()) {
    benchmark::RegisterBenchmark((std::string("dense_i8/") + k->name).c_str(), hearth::BM_dense, k)
        ->Args({32, 32})->Args({32, 120})->Args({64, 64})->Args({256, 256});
    benchmark::RegisterBenchmark((std::string("dwconv_i8/") + k->name).c_str(), hearth::BM_dwconv, k)
        ->Arg(32)->Arg(64)->Arg(256);
  }
  benchmark::RegisterBenchmark("detector_frame_10ms", hearth::BM_detector_frame);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
