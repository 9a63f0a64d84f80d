// Private: variant entry points registered in dispatch.cc.
#pragma once

#include "hearth/kernels/kernels.h"

// Loops over a kernel's accumulators must be unrolled so the accumulators
// live in registers.
#if defined(__clang__)
#define HEARTH_UNROLL _Pragma("unroll")
#else
#define HEARTH_UNROLL _Pragma("GCC unroll 8")
#endif
#if defined(__clang__)
#define HEARTH_NO_UNROLL _Pragma("nounroll")
#else
#define HEARTH_NO_UNROLL _Pragma("GCC unroll 1")
#endif

namespace hearth {

// ref (kernels/src/ref): the spec
float dot_f32_ref(int n, const float* a, const float* b);
float dot_q8_f32_ref(int n, const BlockQ8* w, const float* x);
float vec_dot_f32_ref(int n, const void* w, const void* act);
float vec_dot_f16_ref(int n, const void* w, const void* act);
float vec_dot_q8_0_ref(int n, const void* w, const void* act);
float vec_dot_q4_0_ref(int n, const void* w, const void* act);
float vec_dot_q4_1_ref(int n, const void* w, const void* act);
float vec_dot_q4_k_ref(int n, const void* w, const void* act);
float vec_dot_q5_k_ref(int n, const void* w, const void* act);
float vec_dot_q6_k_ref(int n, const void* w, const void* act);
void quantize_q8_k_ref(int n, const float* x, BlockQ8K* out);
// x4 layouts through any row dot of type t: unpack each full group, then
// dot per row (the reference, and variants without an x4 kernel of their
// own); x4_by_rows<T, Dot> is it as a MatMulFn for the dispatch tables.
void mat_mul_x4_by_rows(WeightType t, VecDotFn dot, int n, int nrows, const void* w, size_t rb, int ncols,
                        const void* act, size_t as, float* y, size_t ys);
template <WeightType T, VecDotFn Dot>
void x4_by_rows(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys) {
  mat_mul_x4_by_rows(T, Dot, n, nrows, w, rb, ncols, act, as, y, ys);
}
void rms_norm_ref(int n, const float* x, const float* w, float eps, float* out);
void softmax_ref(int n, float* x);
void swiglu_ref(int n, const float* gate, const float* up, float* out);
void gelu_ref(int n, float* x);
void rope_ref(float* x, int n_heads, int head_dim, int n_rot, int pos, float freq_base, RopeMode mode);
void f32_to_f16_row_ref(int n, const float* x, uint16_t* out);
void axpy_f16_ref(int n, float a, const uint16_t* x, float* y);
void attn_scores_f16_ref(int n_pos, int head_dim, const uint16_t* k, size_t kv_stride, const float* q, int n_q,
                         float scale, float* sc, size_t sc_stride);
void attn_values_f16_ref(int n_pos, int head_dim, const uint16_t* v, size_t kv_stride, const float* sc,
                         size_t sc_stride, int n_q, float* out);

// The 6-bit quant (0..63) of element e (0..255) of a Q6_K block; its value
// is d * scales[e / 16] * (quant - 32).
int q6_k_quant(const BlockQ6K& b, int e);

// 6-bit scale and min j (0..7) of a Q4_K / Q5_K block (ggml's get_scale_min_k4).
inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

#if defined(HEARTH_HAVE_AVX2)
float dot_f32_avx2(int n, const float* a, const float* b);
float dot_q8_f32_avx2(int n, const BlockQ8* w, const float* x);
float vec_dot_f32_avx2(int n, const void* w, const void* act);
float vec_dot_f16_avx2(int n, const void* w, const void* act);
float vec_dot_q8_0_avx2(int n, const void* w, const void* act);
float vec_dot_q4_0_avx2(int n, const void* w, const void* act);
float vec_dot_q4_1_avx2(int n, const void* w, const void* act);
float vec_dot_q4_k_avx2(int n, const void* w, const void* act);
float vec_dot_q5_k_avx2(int n, const void* w, const void* act);
float vec_dot_q6_k_avx2(int n, const void* w, const void* act);
void quantize_q8_0_avx2(int n, const float* x, BlockQ8* out);
void quantize_q8_k_avx2(int n, const float* x, BlockQ8K* out);
void rms_norm_avx2(int n, const float* x, const float* w, float eps, float* out);
void softmax_avx2(int n, float* x);
void swiglu_avx2(int n, const float* gate, const float* up, float* out);
void f32_to_f16_row_avx2(int n, const float* x, uint16_t* out);
void axpy_f16_avx2(int n, float a, const uint16_t* x, float* y);
void attn_scores_f16_avx2(int n_pos, int head_dim, const uint16_t* k, size_t kv_stride, const float* q, int n_q,
                          float scale, float* sc, size_t sc_stride);
void attn_values_f16_avx2(int n_pos, int head_dim, const uint16_t* v, size_t kv_stride, const float* sc,
                          size_t sc_stride, int n_q, float* out);
void mat_mul_q4_0_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q8_0_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q4_k_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q4_0x4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q8_0x4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q4_kx4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q5_kx4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q6_kx4_avx2(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
#endif

#if defined(HEARTH_HAVE_AVX512)
float vec_dot_q4_0_avx512(int n, const void* w, const void* act);
float vec_dot_q8_0_avx512(int n, const void* w, const void* act);
float vec_dot_q4_k_avx512(int n, const void* w, const void* act);
void mat_mul_q4_0_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q8_0_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q4_k_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q4_0x4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q8_0x4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q4_kx4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q5_kx4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
void mat_mul_q6_kx4_avx512(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y, size_t ys);
#endif

#if defined(HEARTH_HAVE_NEON)
float dot_f32_neon(int n, const float* a, const float* b);
float vec_dot_q8_0_neon(int n, const void* w, const void* act);
float vec_dot_q4_0_neon(int n, const void* w, const void* act);
#endif

}  // namespace hearth
