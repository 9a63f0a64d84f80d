// AVX2 + FMA variants of the row operations in ref/ops_ref.cc.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "../../kernels_internal.h"

namespace hearth {
namespace {

float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  lo = _mm_add_ps(lo, _mm256_extractf128_ps(v, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

// exp(x) for 8 floats: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-6
// polynomial (Cephes expf coefficients), 2^n through the exponent bits.
// Relative error < 2e-7 on [-87, 88]; inputs below -87 give 0.
__m256 exp256(__m256 x) {
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
  const __m256 too_small = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3365478515625f), _CMP_LT_OQ);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 out = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_andnot_ps(too_small, out);
}

}  // namespace

void rms_norm_avx2(int n, const float* x, const float* w, float eps, float* out) {
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    acc = _mm256_fmadd_ps(v, v, acc);
  }
  double ss = hsum(acc);
  for (; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];  // tail: the reference loop
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  const __m256 s = _mm256_set1_ps(scale);
  i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), _mm256_loadu_ps(w + i)));
  for (; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void softmax_avx2(int n, float* x) {
  float mx = x[0];
  int i = 0;
  if (n >= 8) {
    __m256 m = _mm256_loadu_ps(x);
    for (i = 8; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    alignas(32) float t[8];
    _mm256_store_ps(t, m);
    for (float v : t) mx = std::fmax(mx, v);
  }
  for (; i < n; ++i) mx = std::fmax(mx, x[i]);
  const __m256 vmx = _mm256_set1_ps(mx);
  __m256 acc = _mm256_setzero_ps();
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmx));
    _mm256_storeu_ps(x + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  double sum = hsum(acc);
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  const __m256 vinv = _mm256_set1_ps(inv);
  i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
  for (; i < n; ++i) x[i] *= inv;
}

void swiglu_avx2(int n, const float* gate, const float* up, float* out) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 den = _mm256_add_ps(one, exp256(_mm256_xor_ps(g, sign)));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(g, den), _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void f32_to_f16_row_avx2(int n, const float* x, uint16_t* out) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) out[i] = f32_to_f16(x[i]);
}

void axpy_f16_avx2(int n, float a, const uint16_t* x, float* y) {
  const __m256 va = _mm256_set1_ps(a);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, xv, _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * _cvtsh_ss(x[i]);
}

// Attention over an f16 K/V head shared by n_q query heads. K and V rows
// are converted to f32 once per block of positions into a buffer on the
// stack (it stays in L1) and used by every head of the group; head_dim a
// multiple of 8 up to kMaxHeadDim, else the reference.
namespace {

constexpr int kMaxHeadDim = 256;

// Converts the first np rows of x (stride elements apart) to f32 rows
// head_dim floats apart; rows np..rows-1 of out are zero.
void f16_rows_to_f32(int np, int rows, int head_dim, const uint16_t* x, size_t stride, float* out) {
  for (int j = 0; j < rows; ++j) {
    float* o = out + size_t(j) * head_dim;
    if (j >= np) {
      for (int d = 0; d < head_dim; d += 8) _mm256_store_ps(o + d, _mm256_setzero_ps());
      continue;
    }
    const uint16_t* r = x + size_t(j) * stride;
    for (int d = 0; d < head_dim; d += 8)
      _mm256_store_ps(o + d, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + d))));
  }
}

}  // namespace

void attn_scores_f16_avx2(int n_pos, int head_dim, const uint16_t* k, size_t kv_stride, const float* q, int n_q,
                          float scale, float* sc, size_t sc_stride) {
  if (head_dim % 8 != 0 || head_dim > kMaxHeadDim) {
    attn_scores_f16_ref(n_pos, head_dim, k, kv_stride, q, n_q, scale, sc, sc_stride);
    return;
  }
  constexpr int kP = 8;  // positions per block: one vector of scores per head
  alignas(32) float kb[kP * kMaxHeadDim];
  const __m256 vs = _mm256_set1_ps(scale);
  for (int p0 = 0; p0 < n_pos; p0 += kP) {
    const int np = std::min(kP, n_pos - p0);
    f16_rows_to_f32(np, kP, head_dim, k + size_t(p0) * kv_stride, kv_stride, kb);
    for (int h = 0; h < n_q; ++h) {
      const float* qh = q + size_t(h) * head_dim;
      __m256 acc[kP];
      HEARTH_UNROLL
      for (int j = 0; j < kP; ++j) acc[j] = _mm256_setzero_ps();
      for (int d = 0; d < head_dim; d += 8) {
        const __m256 qv = _mm256_loadu_ps(qh + d);
        HEARTH_UNROLL
        for (int j = 0; j < kP; ++j) acc[j] = _mm256_fmadd_ps(qv, _mm256_load_ps(kb + j * head_dim + d), acc[j]);
      }
      // lane j of the result: the sum of acc[j]'s 8 lanes
      const __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(acc[0], acc[1]), _mm256_hadd_ps(acc[2], acc[3]));
      const __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(acc[4], acc[5]), _mm256_hadd_ps(acc[6], acc[7]));
      const __m256 s = _mm256_mul_ps(vs, _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20),
                                                       _mm256_permute2f128_ps(s0123, s4567, 0x31)));
      float* out = sc + size_t(h) * sc_stride + p0;
      if (np == kP) {
        _mm256_storeu_ps(out, s);
      } else {
        alignas(32) float tmp[kP];
        _mm256_store_ps(tmp, s);
        std::copy(tmp, tmp + np, out);
      }
    }
  }
}

namespace {

// out[0 .. 8 NV) += sum over the block's positions of w[p] * vb row p
template <int NV>
void axpy_rows(int np, int head_dim, const float* vb, const float* w, float* out) {
  __m256 acc[NV];
  HEARTH_UNROLL
  for (int i = 0; i < NV; ++i) acc[i] = _mm256_loadu_ps(out + 8 * i);
  for (int p = 0; p < np; ++p) {
    const __m256 a = _mm256_set1_ps(w[p]);
    const float* r = vb + size_t(p) * head_dim;
    HEARTH_UNROLL
    for (int i = 0; i < NV; ++i) acc[i] = _mm256_fmadd_ps(a, _mm256_load_ps(r + 8 * i), acc[i]);
  }
  HEARTH_UNROLL
  for (int i = 0; i < NV; ++i) _mm256_storeu_ps(out + 8 * i, acc[i]);
}

}  // namespace

void attn_values_f16_avx2(int n_pos, int head_dim, const uint16_t* v, size_t kv_stride, const float* sc,
                          size_t sc_stride, int n_q, float* out) {
  if (head_dim % 8 != 0 || head_dim > kMaxHeadDim) {
    attn_values_f16_ref(n_pos, head_dim, v, kv_stride, sc, sc_stride, n_q, out);
    return;
  }
  constexpr int kP = 16;  // positions per block (16 KiB of f32 at head_dim 256)
  alignas(32) float vb[kP * kMaxHeadDim];
  std::fill(out, out + size_t(n_q) * head_dim, 0.f);
  for (int p0 = 0; p0 < n_pos; p0 += kP) {
    const int np = std::min(kP, n_pos - p0);
    f16_rows_to_f32(np, np, head_dim, v + size_t(p0) * kv_stride, kv_stride, vb);
    for (int h = 0; h < n_q; ++h) {
      const float* w = sc + size_t(h) * sc_stride + p0;
      float* o = out + size_t(h) * head_dim;
      for (int d = 0; d < head_dim; d += 64) {  // 8 vectors of the row at a time, in registers
        const float* vd = vb + d;
        switch (std::min(8, (head_dim - d) / 8)) {
          case 8: axpy_rows<8>(np, head_dim, vd, w, o + d); break;
          case 7: axpy_rows<7>(np, head_dim, vd, w, o + d); break;
          case 6: axpy_rows<6>(np, head_dim, vd, w, o + d); break;
          case 5: axpy_rows<5>(np, head_dim, vd, w, o + d); break;
          case 4: axpy_rows<4>(np, head_dim, vd, w, o + d); break;
          case 3: axpy_rows<3>(np, head_dim, vd, w, o + d); break;
          case 2: axpy_rows<2>(np, head_dim, vd, w, o + d); break;
          default: axpy_rows<1>(np, head_dim, vd, w, o + d); break;
        }
      }
    }
  }
}

}  // namespace hearth
