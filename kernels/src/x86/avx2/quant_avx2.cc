// AVX2 + FMA (+F16C) row dot products against quantized activations, and
// the activation quantizers. Each main loop does per block what the
// reference in ref/quant_ref.cc states; integer sums are exact, so results
// differ from the reference only in float summation order.
#include <immintrin.h>

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

int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// 8 x i32 partial sums of a[i] * b[i] over 32 signed bytes.
inline __m256i dot_i8(__m256i a, __m256i b) {
  const __m256i ax = _mm256_sign_epi8(a, a);   // |a| as unsigned
  const __m256i sb = _mm256_sign_epi8(b, a);   // b with a's sign
  return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sb), _mm256_set1_epi16(1));
}

// 8 x i32 partial sums of u[i] * s[i], u unsigned bytes (< 128), s signed.
inline __m256i dot_u8_i8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// 16 nibbles-bytes -> 32 bytes: low nibbles in lanes 0..15, high in 16..31.
inline __m256i unpack_nibbles16(const uint8_t* p) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Block scales through the F16C instruction (exact, like f16_to_f32).
inline float fp16(uint16_t h) { return _cvtsh_ss(h); }

}  // namespace

float vec_dot_f32_avx2(int n, const void* w, const void* act) {
  return dot_f32_avx2(n, static_cast<const float*>(w), static_cast<const float*>(act));
}

float vec_dot_f16_avx2(int n, const void* w, const void* act) {
  const uint16_t* h = static_cast<const uint16_t*>(w);
  const float* x = static_cast<const float*>(act);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i)));
    const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + 8)));
    acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), acc1);
  }
  float sum = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += fp16(h[i]) * x[i];  // tail: the reference loop
  return sum;
}

float vec_dot_q8_0_avx2(int n, const void* w, const void* act) {
  const BlockQ8* a = static_cast<const BlockQ8*>(w);
  const BlockQ8* x = static_cast<const BlockQ8*>(act);
  // two blocks per step into two accumulators: hides the FMA latency
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  const int nb = n / 32;
  int b = 0;
  for (; b + 2 <= nb; b += 2) {
    const __m256 d0 = _mm256_set1_ps(fp16(a[b].scale_f16) * fp16(x[b].scale_f16));
    const __m256 d1 = _mm256_set1_ps(fp16(a[b + 1].scale_f16) * fp16(x[b + 1].scale_f16));
    acc0 = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(dot_i8(load32(a[b].q), load32(x[b].q))), acc0);
    acc1 = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(dot_i8(load32(a[b + 1].q), load32(x[b + 1].q))), acc1);
  }
  for (; b < nb; ++b) {
    const __m256 d = _mm256_set1_ps(fp16(a[b].scale_f16) * fp16(x[b].scale_f16));
    acc0 = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8(load32(a[b].q), load32(x[b].q))), acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

float vec_dot_q4_0_avx2(int n, const void* w, const void* act) {
  const BlockQ4_0* a = static_cast<const BlockQ4_0*>(w);
  const BlockQ8* x = static_cast<const BlockQ8*>(act);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  const __m256i eight = _mm256_set1_epi8(8);
  const int nb = n / 32;
  int b = 0;
  for (; b + 2 <= nb; b += 2) {  // two blocks per step, two accumulators
    const __m256 d0 = _mm256_set1_ps(fp16(a[b].d) * fp16(x[b].scale_f16));
    const __m256 d1 = _mm256_set1_ps(fp16(a[b + 1].d) * fp16(x[b + 1].scale_f16));
    const __m256i q0 = _mm256_sub_epi8(unpack_nibbles16(a[b].qs), eight);
    const __m256i q1 = _mm256_sub_epi8(unpack_nibbles16(a[b + 1].qs), eight);
    acc0 = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(dot_i8(q0, load32(x[b].q))), acc0);
    acc1 = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(dot_i8(q1, load32(x[b + 1].q))), acc1);
  }
  for (; b < nb; ++b) {
    const __m256 d = _mm256_set1_ps(fp16(a[b].d) * fp16(x[b].scale_f16));
    const __m256i q = _mm256_sub_epi8(unpack_nibbles16(a[b].qs), eight);
    acc0 = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8(q, load32(x[b].q))), acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

float vec_dot_q4_1_avx2(int n, const void* w, const void* act) {
  const BlockQ4_1* a = static_cast<const BlockQ4_1*>(w);
  const BlockQ8* x = static_cast<const BlockQ8*>(act);
  __m256 acc = _mm256_setzero_ps();
  float acc_m = 0.f;
  const __m256i ones = _mm256_set1_epi8(1);
  for (int b = 0; b < n / 32; ++b) {
    const float dx = fp16(x[b].scale_f16);
    const __m256i xq = load32(x[b].q);
    const __m256i s = dot_u8_i8(unpack_nibbles16(a[b].qs), xq);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(a[b].d) * dx), _mm256_cvtepi32_ps(s), acc);
    acc_m += fp16(a[b].m) * dx * static_cast<float>(hsum_i32(dot_u8_i8(ones, xq)));
  }
  return hsum(acc) + acc_m;
}

float vec_dot_q4_k_avx2(int n, const void* w, const void* act) {
  const BlockQ4K* a = static_cast<const BlockQ4K*>(w);
  const BlockQ8K* x = static_cast<const BlockQ8K*>(act);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  float sum = 0.f;
  for (int b = 0; b < n / kQKBlock; ++b) {
    __m256i acc = _mm256_setzero_si256();
    int sum_m = 0;
    for (int k = 0; k < 4; ++k) {
      uint8_t sc0, m0, sc1, m1;
      get_scale_min_k4(2 * k, a[b].scales, &sc0, &m0);
      get_scale_min_k4(2 * k + 1, a[b].scales, &sc1, &m1);
      const __m256i q = load32(a[b].qs + 32 * k);
      const __m256i lo = _mm256_and_si256(q, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
      const __m256i p0 = _mm256_maddubs_epi16(lo, load32(x[b].q + 64 * k));
      const __m256i p1 = _mm256_maddubs_epi16(hi, load32(x[b].q + 64 * k + 32));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p0, _mm256_set1_epi16(sc0)));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p1, _mm256_set1_epi16(sc1)));
      sum_m += m0 * (x[b].bsums[4 * k] + x[b].bsums[4 * k + 1]) + m1 * (x[b].bsums[4 * k + 2] + x[b].bsums[4 * k + 3]);
    }
    sum += x[b].d * (fp16(a[b].d) * static_cast<float>(hsum_i32(acc)) - fp16(a[b].dmin) * static_cast<float>(sum_m));
  }
  return sum;
}

float vec_dot_q5_k_avx2(int n, const void* w, const void* act) {
  const BlockQ5K* a = static_cast<const BlockQ5K*>(w);
  const BlockQ8K* x = static_cast<const BlockQ8K*>(act);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i sixteen = _mm256_set1_epi8(16);
  float sum = 0.f;
  for (int b = 0; b < n / kQKBlock; ++b) {
    __m256i acc = _mm256_setzero_si256();
    int sum_m = 0;
    const __m256i qh = load32(a[b].qh);
    for (int k = 0; k < 4; ++k) {
      uint8_t sc0, m0, sc1, m1;
      get_scale_min_k4(2 * k, a[b].scales, &sc0, &m0);
      get_scale_min_k4(2 * k + 1, a[b].scales, &sc1, &m1);
      const __m256i bit0 = _mm256_set1_epi8(static_cast<char>(1 << (2 * k)));
      const __m256i bit1 = _mm256_set1_epi8(static_cast<char>(1 << (2 * k + 1)));
      const __m256i h0 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit0), bit0), sixteen);
      const __m256i h1 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit1), bit1), sixteen);
      const __m256i q = load32(a[b].qs + 32 * k);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, low4), h0);
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), low4), h1);
      const __m256i p0 = _mm256_maddubs_epi16(lo, load32(x[b].q + 64 * k));
      const __m256i p1 = _mm256_maddubs_epi16(hi, load32(x[b].q + 64 * k + 32));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p0, _mm256_set1_epi16(sc0)));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p1, _mm256_set1_epi16(sc1)));
      sum_m += m0 * (x[b].bsums[4 * k] + x[b].bsums[4 * k + 1]) + m1 * (x[b].bsums[4 * k + 2] + x[b].bsums[4 * k + 3]);
    }
    sum += x[b].d * (fp16(a[b].d) * static_cast<float>(hsum_i32(acc)) - fp16(a[b].dmin) * static_cast<float>(sum_m));
  }
  return sum;
}

float vec_dot_q6_k_avx2(int n, const void* w, const void* act) {
  const BlockQ6K* a = static_cast<const BlockQ6K*>(w);
  const BlockQ8K* x = static_cast<const BlockQ8K*>(act);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i three = _mm256_set1_epi8(3);
  const __m256i m32 = _mm256_set1_epi8(32);
  float sum = 0.f;
  for (int b = 0; b < n / kQKBlock; ++b) {
    __m256i acc = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = a[b].ql + 64 * half;
      const __m256i qh = load32(a[b].qh + 32 * half);
      const __m256i l0 = load32(ql), l1 = load32(ql + 32);
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_slli_epi16(_mm256_and_si256(qh, three), 4)),
          _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), three), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), three), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), three), 4)),
      };
      for (int quarter = 0; quarter < 4; ++quarter) {
        const int e = 128 * half + 32 * quarter;  // first element of these 32
        const __m256i xq = load32(x[b].q + e);
        // (q - 32) * x = q * x - 32 * x, both through maddubs (q, 32 unsigned)
        const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q[quarter], xq), _mm256_maddubs_epi16(m32, xq));
        const int g = e / 16;
        const __m256i sc = _mm256_set_m128i(_mm_set1_epi16(a[b].scales[g + 1]), _mm_set1_epi16(a[b].scales[g]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, sc));
      }
    }
    sum += fp16(a[b].d) * x[b].d * static_cast<float>(hsum_i32(acc));
  }
  return sum;
}

namespace {

float hmax_abs(const float* x, int n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int j = 0; j < n; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
  __m128 r = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  r = _mm_max_ps(r, _mm_movehl_ps(r, r));
  r = _mm_max_ss(r, _mm_shuffle_ps(r, r, 1));
  return _mm_cvtss_f32(r);
}

// 32 floats * id, rounded to nearest (ties to even, unlike lround: the
// tests allow one step of difference), packed to 32 int8.
inline __m256i round_pack32(const float* x, float id) {
  const __m256 s = _mm256_set1_ps(id);
  __m256i i[4];
  for (int k = 0; k < 4; ++k)
    i[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  const __m256i p01 = _mm256_packs_epi32(i[0], i[1]);
  const __m256i p23 = _mm256_packs_epi32(i[2], i[3]);
  const __m256i p = _mm256_packs_epi16(p01, p23);
  // undo the lane interleave of the packs
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

}  // namespace

void quantize_q8_0_avx2(int n, const float* x, BlockQ8* out) {
  for (int b = 0; b < n / 32; ++b, x += 32) {
    const float d = hmax_abs(x, 32) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].scale_f16 = f32_to_f16(d);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].q), round_pack32(x, id));
  }
}

void quantize_q8_k_avx2(int n, const float* x, BlockQ8K* out) {
  for (int b = 0; b < n / kQKBlock; ++b, x += kQKBlock) {
    const float d = hmax_abs(x, kQKBlock) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = d;
    for (int k = 0; k < 8; ++k) {
      const __m256i q = round_pack32(x + 32 * k, id);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].q + 32 * k), q);
      // sums of 16: widen to i16 and add pairs
      const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);           // 16 x i16 pair sums
      const __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));          // 8 x i32 quad sums
      alignas(32) int32_t t[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(t), s32);
      out[b].bsums[2 * k] = static_cast<int16_t>(t[0] + t[1] + t[2] + t[3]);
      out[b].bsums[2 * k + 1] = static_cast<int16_t>(t[4] + t[5] + t[6] + t[7]);
    }
  }
}

}  // namespace hearth
