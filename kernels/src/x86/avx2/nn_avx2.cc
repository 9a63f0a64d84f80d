// AVX2 variants of kernels/nn.h. int8 values are sign-extended to int16 and
// multiplied with _mm256_madd_epi16 (pairs summed into int32): exact, no
// saturation (|a*b + c*d| <= 2 * 127^2). Tails run the reference loop.
#include <immintrin.h>

#include "nn_internal.h"

namespace hearth {
namespace {

inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

inline __m256i load16_i8_as_i16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

}  // namespace

void dense_i8_avx2(int n_out, int n_in, const int8_t* w, const int8_t* x, int32_t* acc) {
  const int n16 = n_in / 16 * 16;
  for (int o = 0; o < n_out; ++o) {
    const int8_t* row = w + static_cast<long>(o) * n_in;
    __m256i s = _mm256_setzero_si256();
    for (int i = 0; i < n16; i += 16)
      s = _mm256_add_epi32(s, _mm256_madd_epi16(load16_i8_as_i16(row + i), load16_i8_as_i16(x + i)));
    int32_t t = hsum_epi32(s);
    for (int i = n16; i < n_in; ++i) t += static_cast<int32_t>(row[i]) * static_cast<int32_t>(x[i]);
    acc[o] = t;
  }
}

void dwconv_i8_avx2(int n_ch, int n_taps, const int8_t* w, const int8_t* const* x, int32_t* acc) {
  const int n8 = n_ch / 8 * 8;
  for (int c = 0; c < n8; c += 8) {
    __m256i s = _mm256_setzero_si256();
    for (int j = 0; j < n_taps; ++j) {
      __m256i wv = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + static_cast<long>(j) * n_ch + c)));
      __m256i xv = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x[j] + c)));
      s = _mm256_add_epi32(s, _mm256_mullo_epi32(wv, xv));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + c), s);
  }
  for (int c = n8; c < n_ch; ++c) {
    int32_t s = 0;
    for (int j = 0; j < n_taps; ++j)
      s += static_cast<int32_t>(w[static_cast<long>(j) * n_ch + c]) * static_cast<int32_t>(x[j][c]);
    acc[c] = s;
  }
}

void requant_i8_avx2(int n, const int32_t* acc, const float* mul, const float* bias, bool relu,
                     float inv_out_scale, int8_t* out) {
  const int n8 = n / 8 * 8;
  const __m256 inv = _mm256_set1_ps(inv_out_scale);
  const __m256 lo = _mm256_set1_ps(-127.f), hi = _mm256_set1_ps(127.f), zero = _mm256_setzero_ps();
  alignas(32) int32_t tmp[8];
  for (int c = 0; c < n8; c += 8) {
    __m256 a = _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + c)));
    __m256 y = _mm256_fmadd_ps(a, _mm256_loadu_ps(mul + c), _mm256_loadu_ps(bias + c));
    if (relu) y = _mm256_max_ps(y, zero);
    __m256 q = _mm256_round_ps(_mm256_mul_ps(y, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm256_min_ps(_mm256_max_ps(q, lo), hi);
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), _mm256_cvtps_epi32(q));
    for (int k = 0; k < 8; ++k) out[c + k] = static_cast<int8_t>(tmp[k]);
  }
  for (int c = n8; c < n; ++c) out[c] = requant_one(acc[c], mul[c], bias[c], relu, inv_out_scale);
}

}  // namespace hearth
