// AVX-512 VNNI (256-bit vectors, AVX512VL): vpdpbusd fuses maddubs + madd +
// add, and vpdpwssd fuses madd + add, for the multi-row mat-mul kernels of
// ../matmul_x86.inc and the single-row vec_dot of the same types. Built only
// when the compiler accepts the flags; dispatch.cc checks the CPU.
// GCC 12 flags the undefined pass-through operand of its own 512-bit
// cast/convert/extract intrinsics as maybe-uninitialized when they are
// inlined here (a known false positive, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "../../kernels_internal.h"
#include "hearth/kernels/thread_pool.h"

namespace hearth {
namespace {

struct Isa {
  // vpdpbusd does not saturate: exact for any unsigned u and signed s
  static __m256i dot_u8_i8(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_epi32(acc, u, s); }
  static __m256i dot_i8_i8(__m256i acc, __m256i a, __m256i b) {
    return _mm256_dpbusd_epi32(acc, _mm256_abs_epi8(a), _mm256_sign_epi8(b, a));
  }
  static __m256i madd_i16(__m256i acc, __m256i p, __m256i s) { return _mm256_dpwssd_epi32(acc, p, s); }
  static __m256i dot4_u4_i8(__m256i acc, __m256i u0, __m256i s0, __m256i u1, __m256i s1, __m256i u2, __m256i s2,
                            __m256i u3, __m256i s3) {
    // two chains, so consecutive vpdpbusd do not wait on each other
    const __m256i a = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(acc, u0, s0), u1, s1);
    const __m256i b = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), u2, s2), u3, s3);
    return _mm256_add_epi32(a, b);
  }
  // a + 128 is unsigned (a ^ 0x80): vpdpbusd directly, the driver
  // subtracts 128 * sum(s) per block
  static constexpr int kS8Offset = 128;
  static __m256i dot4_s8_i8(__m256i acc, __m256i a0, __m256i s0, __m256i a1, __m256i s1, __m256i a2, __m256i s2,
                            __m256i a3, __m256i s3) {
    const __m256i k80 = _mm256_set1_epi8(static_cast<char>(0x80));
    return dot4_u4_i8(acc, _mm256_xor_si256(a0, k80), s0, _mm256_xor_si256(a1, k80), s1, _mm256_xor_si256(a2, k80), s2,
                      _mm256_xor_si256(a3, k80), s3);
  }
};

#include "../matmul_x86.inc"

}  // namespace

void mat_mul_q4_0x4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ4_0x4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q8_0x4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ8_0x4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q4_kx4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ4_Kx4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q5_kx4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ5_Kx4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q6_kx4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ6_Kx4(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q4_0_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ4_0(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q8_0_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ8_0(n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q4_k_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  kMatMulQ4_K(n, nrows, w, rb, ncols, act, as, y, ys);
}
float vec_dot_q4_0_avx512(int n, const void* w, const void* act) {
  float y;
  q4_0_rows<1>(n / kQ8Block, static_cast<const unsigned char*>(w), 0, static_cast<const BlockQ8*>(act), &y);
  return y;
}
float vec_dot_q8_0_avx512(int n, const void* w, const void* act) {
  float y;
  q8_0_rows<1>(n / kQ8Block, static_cast<const unsigned char*>(w), 0, static_cast<const BlockQ8*>(act), &y);
  return y;
}
float vec_dot_q4_k_avx512(int n, const void* w, const void* act) {
  float y;
  q4_k_rows<1>(n / kQKBlock, static_cast<const unsigned char*>(w), 0, static_cast<const BlockQ8K*>(act), &y);
  return y;
}

}  // namespace hearth
