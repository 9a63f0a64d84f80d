// LLM kernels, every variant: row dot products of each weight type against
// its quantized activations (sizes from L1 to DRAM, reported as weight
// bytes/s), mat-vec through the thread pool (1 and 2 threads), activation
// quantizers and the row ops. Each variant is checked against the
// reference once before timing, so fast-but-wrong never shows up as a win.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "hearth/kernels/kernels.h"
#include "hearth/kernels/thread_pool.h"

namespace {

using hearth::KernelTable;
using hearth::WeightType;

constexpr WeightType kTypes[] = {WeightType::kF32,  WeightType::kF16,  WeightType::kQ8_0, WeightType::kQ4_0,
                                 WeightType::kQ4_1, WeightType::kQ4_K, WeightType::kQ5_K, WeightType::kQ6_K};

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

bool close(double want, double got) { return std::fabs(want - got) <= 1e-3 * (1 + std::fabs(want)); }

// One weight matrix of `rows` x `cols` in type t, activations prepared.
struct Fixture {
  int rows, cols;
  std::vector<unsigned char> w, act;
  Fixture(WeightType t, int rows_, int cols_) : rows(rows_), cols(cols_) {
    const auto x = random_floats(size_t(cols), 2);
    const size_t rb = hearth::weight_row_bytes(t, cols);
    w.resize(rb * size_t(rows));
    const auto row = random_floats(size_t(cols), 1);
    for (int r = 0; r < rows; ++r) hearth::quantize_row(t, cols, row.data(), w.data() + rb * size_t(r));
    act.resize(hearth::act_bytes(t, cols));
    hearth::prepare_act(hearth::reference_kernels(), t, cols, x.data(), act.data());
  }
};

// Times `mm` (MatMulFn contract, one column) over rows x 4096 through the
// thread pool, each thread on its share of rows: the runtime's path.
template <class MatMul>
void time_rows(benchmark::State& st, int threads, int rows, size_t rb, const unsigned char* w, const Fixture& f,
               MatMul mm) {
  hearth::ThreadPool pool(threads);
  std::vector<float> y(static_cast<size_t>(rows));
  for (auto _ : st) {
    pool.parallel_for(rows, hearth::kMatMulRowGrain, [&](int b, int e) {
      mm(4096, e - b, w + rb * size_t(b), rb, 1, f.act.data(), 0, y.data() + b, 0);
    });
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(st.iterations() * int64_t(rb) * rows);
  st.counters["rows"] = rows;
}

void bm_matvec(benchmark::State& st, const KernelTable* k, WeightType t, int threads) {
  // weight matrix of st.range(0) bytes-ish: 4096 columns, rows to fit
  const int cols = 4096;
  const size_t rb = hearth::weight_row_bytes(t, cols);
  const int rows = std::max<int>(1, static_cast<int>(st.range(0) / int64_t(rb)));
  Fixture f(t, rows, cols);
  const hearth::VecDotFn dot = k->vec_dot[static_cast<int>(t)];
  const hearth::VecDotFn ref = hearth::reference_kernels().vec_dot[static_cast<int>(t)];
  float y0 = 0;
  hearth::mat_mul(*k, t, cols, 1, f.w.data(), rb, 1, f.act.data(), 0, &y0, 0);
  if (!close(ref(cols, f.w.data(), f.act.data()), dot(cols, f.w.data(), f.act.data())) ||
      !close(ref(cols, f.w.data(), f.act.data()), y0)) {
    st.SkipWithError("variant disagrees with reference");
    return;
  }
  time_rows(st, threads, rows, rb, f.w.data(), f,
            [&](int n, int nr, const unsigned char* w, size_t rbytes, int nc, const void* act, size_t as, float* y,
                size_t ys) { hearth::mat_mul(*k, t, n, nr, w, rbytes, nc, act, as, y, ys); });
}

// Q4_0 / Q8_0 / K-quants repacked at load (x4 layouts): the runtime's layout.
void bm_matvec_x4(benchmark::State& st, const KernelTable* k, WeightType t, int threads) {
  const int cols = 4096;
  const hearth::MatMulFn mm = k->mat_mul_x4[static_cast<int>(t)];
  const size_t rb = hearth::weight_row_bytes(t, cols), rbx = hearth::x4_row_bytes(t, cols);
  const int rows = std::max<int>(4, static_cast<int>(st.range(0) / int64_t(rb)) / 4 * 4);
  Fixture f(t, rows, cols);
  std::vector<unsigned char> packed(rbx * size_t(rows));
  hearth::repack_x4(t, cols, rows, f.w.data(), packed.data());
  const hearth::VecDotFn ref = hearth::reference_kernels().vec_dot[static_cast<int>(t)];
  float y0[4];
  mm(cols, 4, packed.data(), rbx, 1, f.act.data(), 0, y0, 1);
  for (int r = 0; r < 4; ++r)
    if (!close(ref(cols, f.w.data() + rb * size_t(r), f.act.data()), y0[r])) {
      st.SkipWithError("variant disagrees with reference");
      return;
    }
  time_rows(st, threads, rows, rbx, packed.data(), f, mm);
}

// Prompt batches: 16 columns through mat_mul (the prefill path), one thread,
// weights of ~1 MiB (L2), reported as multiply-adds per second; x4: the
// repacked layout through mat_mul_x4.
void bm_matmul_cols(benchmark::State& st, const KernelTable* k, WeightType t, bool x4) {
  const int cols = 4096, ncols = 16;
  const size_t rb = hearth::weight_row_bytes(t, cols), rbx = x4 ? hearth::x4_row_bytes(t, cols) : rb;
  const int rows = std::max<int>(4, static_cast<int>((int64_t(1) << 20) / int64_t(rb)) / 4 * 4);
  Fixture f(t, rows, cols);
  std::vector<unsigned char> packed;
  if (x4) {
    packed.resize(rbx * size_t(rows));
    hearth::repack_x4(t, cols, rows, f.w.data(), packed.data());
  }
  const size_t as = hearth::act_bytes(t, cols);
  std::vector<unsigned char> act(as * ncols);
  for (int c = 0; c < ncols; ++c) {
    const auto x = random_floats(size_t(cols), 10u + unsigned(c));
    hearth::prepare_act(hearth::reference_kernels(), t, cols, x.data(), act.data() + as * size_t(c));
  }
  std::vector<float> y(size_t(rows) * ncols);
  auto run = [&] {
    if (x4) k->mat_mul_x4[static_cast<int>(t)](cols, rows, packed.data(), rbx, ncols, act.data(), as, y.data(), size_t(rows));
    else hearth::mat_mul(*k, t, cols, rows, f.w.data(), rb, ncols, act.data(), as, y.data(), size_t(rows));
  };
  run();
  const hearth::VecDotFn ref = hearth::reference_kernels().vec_dot[static_cast<int>(t)];
  for (int c = 0; c < ncols; c += 5)
    if (!close(ref(cols, f.w.data() + rb * size_t(rows - 1), act.data() + as * size_t(c)), y[size_t(c) * rows + rows - 1])) {
      st.SkipWithError("variant disagrees with reference");
      return;
    }
  for (auto _ : st) {
    run();
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * int64_t(rows) * ncols * cols);
}

void bm_quantize_act(benchmark::State& st, const KernelTable* k, bool q8k) {
  const int n = static_cast<int>(st.range(0));
  const auto x = random_floats(size_t(n), 3);
  std::vector<hearth::BlockQ8> a(size_t(n) / 32);
  std::vector<hearth::BlockQ8K> b(size_t(n) / 256);
  for (auto _ : st) {
    if (q8k) k->quantize_q8_k(n, x.data(), b.data());
    else k->quantize_q8_0(n, x.data(), a.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(st.iterations() * int64_t(n) * 4);
}

void bm_row_op(benchmark::State& st, const KernelTable* k, int op) {
  const int n = static_cast<int>(st.range(0));
  auto x = random_floats(size_t(n), 4), w = random_floats(size_t(n), 5), y = x;
  for (auto _ : st) {
    switch (op) {
      case 0: k->rms_norm(n, x.data(), w.data(), 1e-5f, y.data()); break;
      case 1: y = x; k->softmax(n, y.data()); break;
      case 2: k->swiglu(n, x.data(), w.data(), y.data()); break;
      case 3: y = x; k->rope(y.data(), n / 64, 64, 64, 77, 10000.f, hearth::RopeMode::kNormal); break;
      default: y = x; k->gelu(n, y.data()); break;
    }
    benchmark::DoNotOptimize(y.data());
  }
  st.SetItemsProcessed(st.iterations() * n);
}

// One GQA group's attention over n_pos cached positions (Qwen2-0.5B shape:
// 7 query heads per kv head, head_dim 64, kv rows 128 elements apart).
void bm_attention(benchmark::State& st, const KernelTable* k) {
  const int n_pos = static_cast<int>(st.range(0)), head_dim = 64, n_q = 7;
  const size_t kv_stride = 128;
  const auto kf = random_floats(size_t(n_pos) * kv_stride, 6), vf = random_floats(size_t(n_pos) * kv_stride, 7);
  std::vector<uint16_t> kc(kf.size()), vc(vf.size());
  k->f32_to_f16_row(int(kf.size()), kf.data(), kc.data());
  k->f32_to_f16_row(int(vf.size()), vf.data(), vc.data());
  const auto q = random_floats(size_t(n_q) * head_dim, 8);
  std::vector<float> sc(size_t(n_q) * n_pos), out(size_t(n_q) * head_dim);
  for (auto _ : st) {
    k->attn_scores_f16(n_pos, head_dim, kc.data(), kv_stride, q.data(), n_q, 0.125f, sc.data(), size_t(n_pos));
    for (int h = 0; h < n_q; ++h) k->softmax(n_pos, sc.data() + size_t(h) * n_pos);
    k->attn_values_f16(n_pos, head_dim, vc.data(), kv_stride, sc.data(), size_t(n_pos), n_q, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(st.iterations() * int64_t(n_pos) * head_dim * 2 * 2);  // K and V rows read
}

int register_all() {
  for (const KernelTable* k : hearth::supported_kernel_tables()) {
    for (WeightType t : kTypes) {
      const std::string tn = hearth::weight_type_traits(t)->name;
      for (int threads : {1, 2}) {
        // 32 KiB (L1) .. 128 MiB (DRAM) of weights
        benchmark::RegisterBenchmark(("matvec/" + tn + "/" + k->name + "/t" + std::to_string(threads)).c_str(), bm_matvec,
                                     k, t, threads)
            ->RangeMultiplier(16)->Range(1 << 15, 1 << 27)->UseRealTime();
      }
    }
    for (WeightType t : kTypes)
      if (hearth::has_x4_layout(t))
        for (int threads : {1, 2})
          benchmark::RegisterBenchmark(("matvec/" + std::string(hearth::weight_type_traits(t)->name) + "x4/" + k->name +
                                        "/t" + std::to_string(threads)).c_str(),
                                       bm_matvec_x4, k, t, threads)
              ->RangeMultiplier(16)->Range(1 << 15, 1 << 27)->UseRealTime();
    for (WeightType t : kTypes)
      for (bool x4 : {false, true})
        if (!x4 || hearth::has_x4_layout(t))
          benchmark::RegisterBenchmark(("matmul16/" + std::string(hearth::weight_type_traits(t)->name) + (x4 ? "x4/" : "/") +
                                        k->name).c_str(),
                                       bm_matmul_cols, k, t, x4);
    benchmark::RegisterBenchmark((std::string("quantize_q8_0/") + k->name).c_str(), bm_quantize_act, k, false)->Arg(4096);
    benchmark::RegisterBenchmark((std::string("quantize_q8_k/") + k->name).c_str(), bm_quantize_act, k, true)->Arg(4096);
    const char* ops[] = {"rms_norm", "softmax", "swiglu", "rope", "gelu"};
    for (int op = 0; op < 5; ++op)
      benchmark::RegisterBenchmark((std::string(ops[op]) + "/" + k->name).c_str(), bm_row_op, k, op)->Arg(4096);
    benchmark::RegisterBenchmark((std::string("attention_gqa7/") + k->name).c_str(), bm_attention, k)->Arg(64)->Arg(512)->Arg(2048);
  }
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
