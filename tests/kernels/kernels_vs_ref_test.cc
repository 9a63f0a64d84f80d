// Every SIMD variant the host supports against the scalar reference, at
// awkward sizes, misaligned pointers and seeded data (STYLE.md §4); plus
// self-consistency of the references (quantize -> dequantize error bounds,
// quantized dot == dot of the dequantized rows) and the thread pool.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "hearth/kernels/kernels.h"
#include "hearth/kernels/thread_pool.h"

namespace hearth {
namespace {

constexpr double kMaxNmseDotF32 = 1e-8;    // nmse = (a-b)^2 / a^2
constexpr double kMaxNmseDotQ8 = 1e-8;
constexpr double kMaxNmseVecDot = 1e-9;    // integer sums are exact; only float order differs
constexpr double kMaxNmseRow = 1e-10;      // rms_norm, softmax, swiglu per element (sum over row)
constexpr double kMaxNmseDotVsDequant = 1e-9;  // vec_dot_ref vs f64 dot of dequantized rows
constexpr int kAwkwardSizes[] = {0, 1, 7, 15, 16, 17, 31, 32, 33, 255, 4099};
constexpr int kAwkwardBlocks[] = {1, 2, 3, 7, 33, 129};
constexpr int kAwkwardSuperBlocks[] = {1, 2, 3, 5, 17};

// Relative RMS quantization error bounds per type for N(0,1)-ish data
// (value-level: sqrt(sum (x - deq)^2 / sum x^2)).
struct TypeCase {
  WeightType type;
  double max_rel_rms;
};
constexpr TypeCase kTypes[] = {
    {WeightType::kF32, 0.0},    {WeightType::kF16, 1e-3},   {WeightType::kQ8_0, 0.01},
    {WeightType::kQ4_0, 0.15},  {WeightType::kQ4_1, 0.12},  {WeightType::kQ4_K, 0.15},
    {WeightType::kQ5_K, 0.08},  {WeightType::kQ6_K, 0.04},
};

double nmse(double ref, double got) {
  const double denom = std::max(ref * ref, 1e-30);
  return (ref - got) * (ref - got) / denom;
}

double nmse_vec(const float* a, const float* b, int n) {
  double num = 0, den = 0;
  for (int i = 0; i < n; ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(a[i]) * a[i];
  }
  return den > 0 ? num / den : num;
}

std::vector<float> random_floats(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n) + 1);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<float> random_normal(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Bytes placed `misalign` bytes past a 32-byte boundary.
struct Buffer {
  std::vector<unsigned char> raw;
  unsigned char* p;
  Buffer(size_t n, size_t misalign) : raw(n + 64) {
    const uintptr_t base = reinterpret_cast<uintptr_t>(raw.data());
    p = raw.data() + ((32 - base % 32) % 32) + misalign;
  }
};

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

// Every weight type: quantize with the reference, prepare activations with
// the reference, then every variant's vec_dot against the reference's.
TEST(KernelsVsRef, VecDotEveryType) {
  const KernelTable& ref = reference_kernels();
  for (const TypeCase& tc : kTypes) {
    const WeightTypeTraits* tr = weight_type_traits(tc.type);
    ASSERT_NE(tr, nullptr);
    const bool k_quant = tr->block_elems == kQKBlock;
    for (int nb : k_quant ? std::vector<int>(std::begin(kAwkwardSuperBlocks), std::end(kAwkwardSuperBlocks))
                          : std::vector<int>(std::begin(kAwkwardBlocks), std::end(kAwkwardBlocks))) {
      const int n = nb * (tr->block_elems == 1 ? 32 : tr->block_elems) + (tr->block_elems == 1 ? 3 : 0);
      const std::vector<float> w = random_normal(n, 17u + n), x = random_normal(n, 23u + n);
      Buffer wq(weight_row_bytes(tc.type, n), 2);  // 2: the blocks' own alignment
      quantize_row(tc.type, n, w.data(), wq.p);
      Buffer act(act_bytes(tc.type, n), tr->act == ActFormat::kQ8_0 ? 2 : 4);
      prepare_act(ref, tc.type, n, x.data(), act.p);
      const double want = ref.vec_dot[static_cast<int>(tc.type)](n, wq.p, act.p);
      for (const KernelTable* v : supported_kernel_tables()) {
        const double got = v->vec_dot[static_cast<int>(tc.type)](n, wq.p, act.p);
        EXPECT_LT(nmse(want, got), kMaxNmseVecDot) << v->name << " " << tr->name << " n=" << n;
      }
    }
  }
}

// mat_mul (multi-row kernels, batched columns) of every variant against the
// reference vec_dot per (row, column), at row counts around the kernels'
// 4-row groups, several columns with padded strides, misaligned buffers.
TEST(KernelsVsRef, MatMulEveryType) {
  const KernelTable& ref = reference_kernels();
  for (const TypeCase& tc : kTypes) {
    const WeightTypeTraits* tr = weight_type_traits(tc.type);
    const int be = tr->block_elems == 1 ? 32 : tr->block_elems;
    for (int nb : {1, 3, 7}) {
      const int n = nb * be;
      const size_t rb = weight_row_bytes(tc.type, n);
      for (int nrows : {1, 3, 4, 5, 8, 11}) {
        for (int ncols : {1, 2, 5}) {
          Buffer w(rb * nrows, 2);
          for (int r = 0; r < nrows; ++r) {
            const std::vector<float> row = random_normal(n, 100u + 7u * r + n);
            quantize_row(tc.type, n, row.data(), w.p + rb * r);
          }
          const size_t as = act_bytes(tc.type, n) + 6;  // padded column stride
          Buffer act(as * ncols, tr->act == ActFormat::kQ8_0 ? 2 : 4);
          for (int c = 0; c < ncols; ++c) {
            const std::vector<float> x = random_normal(n, 300u + 11u * c + n);
            prepare_act(ref, tc.type, n, x.data(), act.p + as * c);
          }
          const size_t ys = nrows + 3;
          for (const KernelTable* v : supported_kernel_tables()) {
            std::vector<float> y(ys * ncols, -1234.f);
            mat_mul(*v, tc.type, n, nrows, w.p, rb, ncols, act.p, as, y.data(), ys);
            for (int c = 0; c < ncols; ++c) {
              for (int r = 0; r < nrows; ++r) {
                const double want = ref.vec_dot[static_cast<int>(tc.type)](n, w.p + rb * r, act.p + as * c);
                // relative to the typical size of a dot of n N(0,1) products
                // (sqrt(n)), so a result near zero by cancellation is fair
                const double err = (want - y[c * ys + r]) / std::max(std::fabs(want), std::sqrt(double(n)));
                EXPECT_LT(err * err, kMaxNmseVecDot)
                    << v->name << " " << tr->name << " n=" << n << " rows=" << nrows << " r=" << r << " c=" << c;
              }
              for (size_t r = nrows; r < ys; ++r) EXPECT_EQ(y[c * ys + r], -1234.f) << "wrote past the rows";
            }
          }
        }
      }
    }
  }
}

// The f16 KV-cache kernels: conversion bit-exact with the reference (both
// round to nearest even), axpy within float rounding, at awkward sizes.
// x4 layouts (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K): repack/unpack is the identity, and every
// variant's repacked kernel (the reference included) matches the plain
// reference dot per (row, column), for row counts with and without a plain
// tail, and when the rows are split at group boundaries as the runtime's
// threads split them.
void check_x4(WeightType t) {
  const KernelTable& ref = reference_kernels();
  const VecDotFn dot = ref.vec_dot[static_cast<int>(t)];
  const WeightTypeTraits* tr = weight_type_traits(t);
  const char* tn = tr->name;
  ASSERT_TRUE(has_x4_layout(t)) << tn;
  for (int nb : {1, 3, 7, 28}) {
    const int n = nb * tr->block_elems;
    const size_t rb = weight_row_bytes(t, n), rbx = x4_row_bytes(t, n);
    ASSERT_GE(rbx, rb);
    for (int nrows : {1, 3, 4, 5, 8, 11, 12, 16, 23, 40}) {
      Buffer w(rb * nrows, 2), packed(rbx * nrows, 3), back(rb * nrows, 0);
      for (int r = 0; r < nrows; ++r) {
        const std::vector<float> row = random_normal(n, 500u + 7u * r + n);
        quantize_row(t, n, row.data(), w.p + rb * r);
      }
      repack_x4(t, n, nrows, w.p, packed.p);
      unpack_x4(t, n, nrows, packed.p, back.p);
      ASSERT_EQ(0, std::memcmp(w.p, back.p, rb * nrows)) << tn << " n=" << n << " rows=" << nrows;
      if (nrows >= 4) {
        ASSERT_NE(0, std::memcmp(w.p, packed.p, rb * 4)) << "a full group must be reordered";
      }
      for (int ncols : {1, 2, 5, 9}) {
        const size_t as = act_bytes(t, n) + 6;
        Buffer act(as * ncols, 2);
        for (int c = 0; c < ncols; ++c) {
          std::vector<float> x = random_normal(n, 700u + 11u * c + n);
          if (c == 1) std::fill(x.begin(), x.begin() + tr->block_elems, 0.f);  // an all-zero block
          if (c == 2) for (float& v : x) v = std::fabs(v);                   // one sign: large sub-block sums
          prepare_act(ref, t, n, x.data(), act.p + as * c);
        }
        const size_t ys = nrows + 3;
        for (const KernelTable* v : supported_kernel_tables()) {
          const MatMulFn mm = v->mat_mul_x4[static_cast<int>(t)];
          ASSERT_NE(mm, nullptr) << v->name << " " << tn;
          for (int split : {0, 4}) {  // one call, or the first group alone then the rest
            std::vector<float> y(ys * ncols, -1234.f);
            if (split && nrows > split) {
              mm(n, split, packed.p, rbx, ncols, act.p, as, y.data(), ys);
              mm(n, nrows - split, packed.p + rbx * split, rbx, ncols, act.p, as, y.data() + split, ys);
            } else {
              mm(n, nrows, packed.p, rbx, ncols, act.p, as, y.data(), ys);
            }
            for (int c = 0; c < ncols; ++c) {
              for (int r = 0; r < nrows; ++r) {
                const double want = dot(n, w.p + rb * r, act.p + as * c);
                const double err = (want - y[c * ys + r]) / std::max(std::fabs(want), std::sqrt(double(n)));
                EXPECT_LT(err * err, kMaxNmseVecDot)
                    << v->name << " " << tn << " n=" << n << " rows=" << nrows << " r=" << r << " c=" << c << " split=" << split;
              }
              for (size_t r = nrows; r < ys; ++r) EXPECT_EQ(y[c * ys + r], -1234.f) << "wrote past the rows";
            }
          }
        }
      }
    }
  }
}

TEST(KernelsVsRef, MatMulX4Layouts) {
  for (WeightType t : {WeightType::kQ4_0, WeightType::kQ8_0, WeightType::kQ4_K, WeightType::kQ5_K, WeightType::kQ6_K})
    check_x4(t);
  for (WeightType t : {WeightType::kF32, WeightType::kF16, WeightType::kQ4_1}) {
    EXPECT_FALSE(has_x4_layout(t));
    for (const KernelTable* v : supported_kernel_tables()) EXPECT_EQ(v->mat_mul_x4[static_cast<int>(t)], nullptr);
  }
}

TEST(KernelsVsRef, F16RowAndAxpy) {
  const KernelTable& ref = reference_kernels();
  for (int n : kAwkwardSizes) {
    std::vector<float> x = random_floats(n, 41u + n);
    for (int i = 0; i < n; i += 5) x[i] *= 70000.f;  // some overflow to inf
    std::vector<uint16_t> want(n + 1), got(n + 1);
    ref.f32_to_f16_row(n, x.data() + 1, want.data());
    std::vector<float> y_ref = random_floats(n, 43u + n);
    std::vector<uint16_t> h(n + 1);
    const std::vector<float> hx = random_floats(n, 47u + n);
    ref.f32_to_f16_row(n, hx.data(), h.data() + 1);
    ref.axpy_f16(n, 0.37f, h.data() + 1, y_ref.data());
    for (const KernelTable* v : supported_kernel_tables()) {
      v->f32_to_f16_row(n, x.data() + 1, got.data());
      for (int i = 0; i < n; ++i) ASSERT_EQ(want[i], got[i]) << v->name << " n=" << n << " i=" << i;
      std::vector<float> y = random_floats(n, 43u + n);
      v->axpy_f16(n, 0.37f, h.data() + 1, y.data());
      for (int i = 0; i < n; ++i) EXPECT_NEAR(y_ref[i], y[i], 1e-6f) << v->name << " n=" << n;
    }
  }
}

// GQA attention over an f16 head: the reference against a double-precision
// sum, every variant against the reference, at head sizes with and
// without a fast path, partial position blocks and padded strides.
TEST(KernelsVsRef, AttentionF16) {
  const KernelTable& ref = reference_kernels();
  for (int head_dim : {8, 12, 24, 64, 72, 128, 264})
    for (int n_pos : {1, 7, 8, 9, 16, 17, 33, 100})
      for (int n_q : {1, 2, 7}) {
        const size_t kv_stride = size_t(head_dim) * 2 + 3, sc_stride = size_t(n_pos) + 5;
        std::vector<uint16_t> k(size_t(n_pos) * kv_stride + 1), v(k.size());
        const std::vector<float> kf = random_floats(int(k.size()), 51u + n_pos), vf = random_floats(int(v.size()), 53u + n_pos);
        ref.f32_to_f16_row(int(k.size()), kf.data(), k.data());
        ref.f32_to_f16_row(int(v.size()), vf.data(), v.data());
        const std::vector<float> q = random_floats(n_q * head_dim, 57u + head_dim);  // q.data() + 1: misaligned
        const float scale = 0.125f;
        std::vector<float> sc_ref(n_q * sc_stride, -7.f), out_ref(size_t(n_q) * head_dim + 1, 99.f);
        ref.attn_scores_f16(n_pos, head_dim, k.data() + 1, kv_stride, q.data() + 1, n_q, scale, sc_ref.data(), sc_stride);
        for (int h = 0; h < n_q; ++h)
          for (int p = 0; p < n_pos; ++p) {
            double want = 0, mag = 0;
            for (int d = 0; d < head_dim; ++d) {
              const double t = double(q[1 + size_t(h) * head_dim + d]) * f16_to_f32(k[1 + size_t(p) * kv_stride + d]);
              want += t, mag += std::fabs(t);
            }
            ASSERT_NEAR(sc_ref[h * sc_stride + p], scale * want, 1e-6 * scale * mag + 1e-30) << "ref h=" << h << " p=" << p;
          }
        const std::vector<float> sc_raw = sc_ref;
        for (int h = 0; h < n_q; ++h)  // weights as softmax leaves them: positive, summing to ~1 per head
          for (int p = 0; p < n_pos; ++p) sc_ref[h * sc_stride + p] = (1.f + std::fabs(sc_ref[h * sc_stride + p])) / n_pos;
        ref.attn_values_f16(n_pos, head_dim, v.data() + 1, kv_stride, sc_ref.data(), sc_stride, n_q, out_ref.data() + 1);
        for (int h = 0; h < n_q; ++h)
          for (int d = 0; d < head_dim; ++d) {
            double want = 0, mag = 0;
            for (int p = 0; p < n_pos; ++p) {
              const double t = double(sc_ref[h * sc_stride + p]) * f16_to_f32(v[1 + size_t(p) * kv_stride + d]);
              want += t, mag += std::fabs(t);
            }
            ASSERT_NEAR(out_ref[1 + size_t(h) * head_dim + d], want, 1e-6 * mag + 1e-30) << "ref h=" << h << " d=" << d;
          }
        ASSERT_EQ(out_ref[0], 99.f) << "wrote before out";
        for (const KernelTable* var : supported_kernel_tables()) {
          std::vector<float> sc(n_q * sc_stride, -7.f);
          var->attn_scores_f16(n_pos, head_dim, k.data() + 1, kv_stride, q.data() + 1, n_q, scale, sc.data(), sc_stride);
          std::vector<float> out(out_ref.size(), 99.f);
          var->attn_values_f16(n_pos, head_dim, v.data() + 1, kv_stride, sc_ref.data(), sc_stride, n_q, out.data() + 1);
          for (int h = 0; h < n_q; ++h) {
            for (int p = 0; p < n_pos; ++p) {
              const float want = sc_raw[h * sc_stride + p];
              EXPECT_NEAR(sc[h * sc_stride + p], want, 1e-5f * (1.f + std::fabs(want)))
                  << var->name << " head_dim=" << head_dim << " n_pos=" << n_pos << " h=" << h << " p=" << p;
            }
            for (size_t p = n_pos; p < sc_stride; ++p) EXPECT_EQ(sc[h * sc_stride + p], -7.f) << "wrote past n_pos";
            for (int d = 0; d < head_dim; ++d)
              EXPECT_NEAR(out[1 + size_t(h) * head_dim + d], out_ref[1 + size_t(h) * head_dim + d], 1e-5f)
                  << var->name << " head_dim=" << head_dim << " n_pos=" << n_pos << " h=" << h << " d=" << d;
          }
          EXPECT_EQ(out[0], 99.f) << var->name << " wrote before out";
        }
      }
}

// The reference vec_dot must equal the dot product of the dequantized
// weights with the dequantized activations (catches layout mistakes that
// a ref-vs-SIMD comparison cannot).
TEST(KernelsRef, VecDotMatchesDequantizedDot) {
  const KernelTable& ref = reference_kernels();
  for (const TypeCase& tc : kTypes) {
    const WeightTypeTraits* tr = weight_type_traits(tc.type);
    const int n = 3 * kQKBlock;
    const std::vector<float> w = random_normal(n, 5), x = random_normal(n, 6);
    std::vector<unsigned char> wq(weight_row_bytes(tc.type, n)), act(act_bytes(tc.type, n));
    quantize_row(tc.type, n, w.data(), wq.data());
    prepare_act(ref, tc.type, n, x.data(), act.data());
    std::vector<float> wd(n), xd(n);
    dequantize_row(tc.type, n, wq.data(), wd.data());
    if (tr->act == ActFormat::kF32) {
      xd = x;
    } else if (tr->act == ActFormat::kQ8_0) {
      dequantize_row(WeightType::kQ8_0, n, act.data(), xd.data());
    } else {
      const BlockQ8K* b = reinterpret_cast<const BlockQ8K*>(act.data());
      for (int i = 0; i < n; ++i) xd[i] = b[i / kQKBlock].d * b[i / kQKBlock].q[i % kQKBlock];
    }
    double want = 0;
    for (int i = 0; i < n; ++i) want += double(wd[i]) * xd[i];
    const double got = ref.vec_dot[static_cast<int>(tc.type)](n, wq.data(), act.data());
    EXPECT_LT(nmse(want, got), kMaxNmseDotVsDequant) << tr->name << " want=" << want << " got=" << got;
  }
}

TEST(KernelsRef, QuantizeRoundTripErrorInRange) {
  const int n = 8 * kQKBlock;
  const std::vector<float> x = random_normal(n, 99);
  for (const TypeCase& tc : kTypes) {
    std::vector<unsigned char> q(weight_row_bytes(tc.type, n));
    quantize_row(tc.type, n, x.data(), q.data());
    std::vector<float> y(n);
    dequantize_row(tc.type, n, q.data(), y.data());
    const double rel = std::sqrt(nmse_vec(x.data(), y.data(), n));
    EXPECT_LE(rel, tc.max_rel_rms) << weight_type_traits(tc.type)->name;
    if (tc.type != WeightType::kF32) {
      EXPECT_GT(rel, 0.0) << weight_type_traits(tc.type)->name;
    }
  }
}

TEST(KernelsVsRef, QuantizeActivations) {
  const KernelTable& ref = reference_kernels();
  for (const KernelTable* v : supported_kernel_tables()) {
    for (int nb : kAwkwardSuperBlocks) {
      const int n = nb * kQKBlock;
      std::vector<float> x = random_normal(n + 1, 31u + n);
      x[5] = 0.f;
      std::fill(x.begin() + 33, x.begin() + 65, 0.f);  // an all-zero Q8_0 block
      std::vector<BlockQ8> a(n / 32), b(n / 32);
      ref.quantize_q8_0(n, x.data() + 1, a.data());
      v->quantize_q8_0(n, x.data() + 1, b.data());
      for (int i = 0; i < n / 32; ++i) {
        ASSERT_EQ(a[i].scale_f16, b[i].scale_f16) << v->name;
        for (int j = 0; j < 32; ++j) ASSERT_LE(std::abs(a[i].q[j] - b[i].q[j]), 1) << v->name << " ties may round differently";
      }
      std::vector<BlockQ8K> c(n / kQKBlock), d(n / kQKBlock);
      ref.quantize_q8_k(n, x.data() + 1, c.data());
      v->quantize_q8_k(n, x.data() + 1, d.data());
      for (int i = 0; i < n / kQKBlock; ++i) {
        ASSERT_EQ(c[i].d, d[i].d) << v->name;
        for (int g = 0; g < 16; ++g) {
          int s = 0;
          for (int j = 0; j < 16; ++j) {
            ASSERT_LE(std::abs(c[i].q[16 * g + j] - d[i].q[16 * g + j]), 1) << v->name;
            s += d[i].q[16 * g + j];
          }
          ASSERT_EQ(d[i].bsums[g], s) << v->name << " bsums must match the variant's own quants";
        }
      }
    }
  }
}

TEST(KernelsVsRef, RowOps) {
  const KernelTable& ref = reference_kernels();
  for (const KernelTable* v : supported_kernel_tables()) {
    for (int n : kAwkwardSizes) {
      if (n == 0) continue;
      std::vector<float> x = random_normal(n + 1, 41u + n), w = random_normal(n + 1, 43u + n);
      for (float& f : x) f *= 4.f;  // a spread that exercises exp over a wide range
      std::vector<float> a(n + 1), b(n + 1);
      ref.rms_norm(n, x.data() + 1, w.data() + 1, 1e-5f, a.data() + 1);
      v->rms_norm(n, x.data() + 1, w.data() + 1, 1e-5f, b.data() + 1);
      EXPECT_LT(nmse_vec(a.data() + 1, b.data() + 1, n), kMaxNmseRow) << v->name << " rms_norm n=" << n;

      a = x, b = x;
      ref.softmax(n, a.data() + 1);
      v->softmax(n, b.data() + 1);
      EXPECT_LT(nmse_vec(a.data() + 1, b.data() + 1, n), kMaxNmseRow) << v->name << " softmax n=" << n;

      ref.swiglu(n, x.data() + 1, w.data() + 1, a.data() + 1);
      v->swiglu(n, x.data() + 1, w.data() + 1, b.data() + 1);
      EXPECT_LT(nmse_vec(a.data() + 1, b.data() + 1, n), kMaxNmseRow) << v->name << " swiglu n=" << n;

      a = x, b = x;
      ref.gelu(n, a.data() + 1);
      v->gelu(n, b.data() + 1);
      EXPECT_LT(nmse_vec(a.data() + 1, b.data() + 1, n), kMaxNmseRow) << v->name << " gelu n=" << n;
    }
  }
}

TEST(KernelsVsRef, Rope) {
  const KernelTable& ref = reference_kernels();
  for (const KernelTable* v : supported_kernel_tables()) {
    for (RopeMode mode : {RopeMode::kNormal, RopeMode::kNeox}) {
      for (int head_dim : {8, 64, 128}) {
        const int n_heads = 3, n_rot = head_dim == 128 ? 64 : head_dim;  // partial rotation too
        std::vector<float> a = random_normal(n_heads * head_dim, 7), b = a;
        ref.rope(a.data(), n_heads, head_dim, n_rot, 1234, 10000.f, mode);
        v->rope(b.data(), n_heads, head_dim, n_rot, 1234, 10000.f, mode);
        EXPECT_LT(nmse_vec(a.data(), b.data(), n_heads * head_dim), kMaxNmseRow) << v->name;
      }
    }
  }
}

TEST(KernelsRef, RopeSemantics) {
  // pos 0 is the identity; normal mode rotates (x0, x1) by pos radians at i = 0,
  // NeoX mode rotates (x0, x_{n_rot/2}); dims past n_rot are untouched.
  const KernelTable& ref = reference_kernels();
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<float> y = x;
  ref.rope(y.data(), 1, 8, 8, 0, 10000.f, RopeMode::kNormal);
  EXPECT_EQ(x, y);
  y = x;
  ref.rope(y.data(), 1, 8, 4, 1, 10000.f, RopeMode::kNormal);
  EXPECT_NEAR(y[0], 1 * std::cos(1.0) - 2 * std::sin(1.0), 1e-6);
  EXPECT_NEAR(y[1], 1 * std::sin(1.0) + 2 * std::cos(1.0), 1e-6);
  EXPECT_EQ(y[4], 5.f);
  y = x;
  ref.rope(y.data(), 1, 8, 8, 1, 10000.f, RopeMode::kNeox);
  EXPECT_NEAR(y[0], 1 * std::cos(1.0) - 5 * std::sin(1.0), 1e-6);
  EXPECT_NEAR(y[4], 1 * std::sin(1.0) + 5 * std::cos(1.0), 1e-6);
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
  for (const KernelTable* t : tables)
    for (const TypeCase& tc : kTypes) EXPECT_NE(t->vec_dot[static_cast<int>(tc.type)], nullptr) << t->name;
  EXPECT_NE(kernels().dot_f32, nullptr);
  EXPECT_EQ(weight_type_traits(static_cast<WeightType>(5)), nullptr);
}

TEST(ThreadPool, CoversRangeOnceAtEveryGrain) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int n : {1, 2, 5, 64, 1000}) {
      for (int grain : {1, 4, 32}) {
        for (int split : {1, 2, 3, 8}) {
          std::vector<std::atomic<int>> hits(n);
          pool.parallel_for(
              n, grain,
              [&](int b, int e) {
                if (b % grain != 0) hits[0].fetch_add(100);  // chunk starts stay on the grain
                for (int i = b; i < e; ++i) hits[i].fetch_add(1);
              },
              split);
          for (int i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " " << n << " " << grain << " " << split;
        }
      }
    }
    // many small jobs back to back (the per-token pattern)
    std::atomic<int> total{0};
    for (int k = 0; k < 2000; ++k) pool.parallel_for(8, 1, [&](int b, int e) { total += e - b; });
    EXPECT_EQ(total.load(), 16000);
  }
}

// Workers and the caller spin for a while, then block: jobs that come
// while workers spin, after they fell asleep, and with one side much slower
// than the other (so the caller blocks on the worker, or the worker finishes
// long before) all complete exactly once; a pool is destroyed cleanly while
// its workers spin and while they sleep.
TEST(ThreadPool, SpinThenSleepHandsOffEveryJob) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    std::atomic<int> total{0};
    int want = 0;
    for (int k = 0; k < 60; ++k) {
      const int gap_us = (k % 3 == 0) ? 0 : (k % 3 == 1) ? 150 : 2000;  // within and past the spin window
      std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
      const int slow = k % 4;  // 0: even; 1: chunk 0 (the caller) slow; 2: the last chunk slow
      pool.parallel_for(12, 4, [&](int b, int e) {
        if ((slow == 1 && b == 0) || (slow == 2 && e == 12)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        total += e - b;
      });
      want += 12;
      ASSERT_EQ(total.load(), want) << threads << " threads, job " << k;
    }
  }
  { ThreadPool spinning(2); spinning.parallel_for(8, 4, [](int, int) {}); }  // destroyed at once: workers spinning
  {
    ThreadPool sleeping(2);
    sleeping.parallel_for(8, 4, [](int, int) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers asleep
  }
}

// Kernels read the team size to pick their read streams: the pool's
// thread count inside a job, on every thread that runs a chunk; 1 outside.
TEST(ThreadPool, TeamSizeIsKnownInsideAJobOnly) {
  EXPECT_EQ(ThreadPool::team_size(), 1);
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    std::atomic<int> wrong{0}, chunks{0};
    pool.parallel_for(
        64, 1,
        [&](int, int) {
          chunks.fetch_add(1);
          if (ThreadPool::team_size() != threads) wrong.fetch_add(1);
        },
        2);
    EXPECT_GT(chunks.load(), 0);
    EXPECT_EQ(wrong.load(), 0) << threads;
    EXPECT_EQ(ThreadPool::team_size(), 1) << threads;
  }
}

// Chunks go to whichever thread is free: while a worker is held up in its
// chunk (as when the OS runs another process on its core), the caller takes
// every other chunk instead of waiting; and a worker late for one job never
// runs a chunk of the next (each job's total is checked right after it).
TEST(ThreadPool, FreeThreadsTakeTheChunksOfAHeldUpOne) {
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  int worker_chunks = 0;
  for (int k = 0; k < 5; ++k) {
    std::atomic<int> by_caller{0}, by_worker{0}, held{0};
    pool.parallel_for(
        64, 4,
        [&](int, int) {
          if (std::this_thread::get_id() == caller) {
            by_caller.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // room for the worker to take one
          } else {
            by_worker.fetch_add(1);
            if (held.fetch_add(1) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
          }
        },
        4);
    ASSERT_EQ(by_caller.load() + by_worker.load(), 8) << "job " << k;
    // the worker ran at most the one chunk it was held in
    EXPECT_LE(by_worker.load(), 1) << "job " << k;
    worker_chunks += by_worker.load();
  }
  EXPECT_GE(worker_chunks, 1) << "the worker never took a chunk: the hold was not exercised";
  std::atomic<long> sum{0};
  for (int k = 0; k < 3000; ++k) {
    sum.store(0);
    pool.parallel_for(
        40, 1,
        [&](int b, int e) {
          for (int i = b; i < e; ++i) sum += i + k;
        },
        (k % 3) + 1);
    ASSERT_EQ(sum.load(), 780 + 40L * k) << "job " << k;
  }
}

}  // namespace
}  // namespace hearth
