// AVX2 multi-row mat-mul for Q4_0, Q8_0 and Q4_K (kernels in ../matmul_x86.inc).
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "../../kernels_internal.h"
#include "hearth/kernels/thread_pool.h"

namespace hearth {
namespace {

struct Isa {
  // maddubs saturates at int16: fine for u <= 15 (15 * 127 * 2 < 32767)
  static __m256i dot_u8_i8(__m256i acc, __m256i u, __m256i s) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
  }
  static __m256i dot_i8_i8(__m256i acc, __m256i a, __m256i b) {
    return dot_u8_i8(acc, _mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
  }
  static __m256i madd_i16(__m256i acc, __m256i p, __m256i s) { return _mm256_add_epi32(acc, _mm256_madd_epi16(p, s)); }
  // four maddubs pair sums of u <= 15 and |s| <= 128 add up to at most
  // 4 * 2 * 15 * 128 = 15360: int16 holds them, so one madd widens all four
  static __m256i dot4_u4_i8(__m256i acc, __m256i u0, __m256i s0, __m256i u1, __m256i s1, __m256i u2, __m256i s2,
                            __m256i u3, __m256i s3) {
    const __m256i p = _mm256_add_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(u0, s0), _mm256_maddubs_epi16(u1, s1)),
                                       _mm256_add_epi16(_mm256_maddubs_epi16(u2, s2), _mm256_maddubs_epi16(u3, s3)));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
  }
  // signed x signed through the sign trick (|a| * sign(s, a)): no offset
  static constexpr int kS8Offset = 0;
  static __m256i dot4_s8_i8(__m256i acc, __m256i a0, __m256i s0, __m256i a1, __m256i s1, __m256i a2, __m256i s2,
                            __m256i a3, __m256i s3) {
    return _mm256_add_epi32(dot_i8_i8(dot_i8_i8(acc, a0, s0), a1, s1),
                            dot_i8_i8(dot_i8_i8(_mm256_setzero_si256(), a2, s2), a3, s3));
  }
};

#include "../matmul_x86.inc"

}  // namespace

void mat_mul_q4_0x4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ4_0x4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q8_0x4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ8_0x4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q4_kx4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ4_Kx4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q5_kx4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ5_Kx4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q6_kx4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ6_Kx4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q4_0_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ4_0(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q8_0_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ8_0(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q4_k_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ4_K(n, nrows, w, rb, ncols, act, as, y, ys);
}

}  // namespace hearth
