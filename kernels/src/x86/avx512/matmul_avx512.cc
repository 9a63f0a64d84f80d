// AVX-512 VNNI (256-bit vectors, AVX512VL): vpdpbusd fuses maddubs + madd +
// add, and vpdpwssd fuses madd + add, for the multi-row mat-mul kernels of
// ../matmul_x86.inc and the single-row vec_dot of the same types. Built only
// when the compiler accepts the flags; dispatch.cc checks the CPU.
#include <immintrin.h>

#include <cstring>

#include "../../kernels_internal.h"

namespace hearth {
namespace {

struct Isa {
  // vpdpbusd does not saturate: exact for any unsigned u and signed s
  static __m256i dot_u8_i8(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_epi32(acc, u, s); }
  static __m256i dot_i8_i8(__m256i acc, __m256i a, __m256i b) {
    return _mm256_dpbusd_epi32(acc, _mm256_abs_epi8(a), _mm256_sign_epi8(b, a));
  }
  static __m256i madd_i16(__m256i acc, __m256i p, __m256i s) { return _mm256_dpwssd_epi32(acc, p, s); }
};

#include "../matmul_x86.inc"

}  // namespace

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
