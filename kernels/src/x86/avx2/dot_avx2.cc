// AVX2 + FMA variants. Only this folder is compiled with -mavx2 -mfma; the
// dispatcher calls these only after the CPU reported both features.
#include <immintrin.h>

#include "../../kernels_internal.h"

namespace hearth {
namespace {

float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

}  // namespace

float dot_f32_avx2(int n, const float* a, const float* b) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  float sum = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += a[i] * b[i];  // tail: the reference loop
  return sum;
}

float dot_q8_f32_avx2(int n, const BlockQ8* w, const float* x) {
  const int nb = n / kQ8Block;
  __m256 acc = _mm256_setzero_ps();
  for (int b = 0; b < nb; ++b) {
    const float* xb = x + b * kQ8Block;
    __m256 block = _mm256_setzero_ps();
    for (int j = 0; j < kQ8Block; j += 8) {
      __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[b].q + j));
      __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8));
      block = _mm256_fmadd_ps(q, _mm256_loadu_ps(xb + j), block);
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_to_f32(w[b].scale_f16)), block, acc);
  }
  return hsum(acc);
}

}  // namespace hearth
