// NEON variants (AArch64 only; compiled only on ARM, see kernels/CMakeLists.txt).
// Same math as the references in ref/; scalar tails are the reference loop.
#include <arm_neon.h>

#include "../../kernels_internal.h"

namespace hearth {

float dot_f32_neon(int n, const float* a, const float* b) {
  float32x4_t acc0 = vdupq_n_f32(0.f), acc1 = vdupq_n_f32(0.f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
    acc1 = vfmaq_f32(acc1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
  }
  float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

namespace {

// sum of a[i] * b[i] over 16 signed bytes, widened to 32 bits.
inline int32x4_t dot16(int8x16_t a, int8x16_t b) {
  const int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
  const int16x8_t hi = vmull_s8(vget_high_s8(a), vget_high_s8(b));
  return vaddq_s32(vpaddlq_s16(lo), vpaddlq_s16(hi));
}

}  // namespace

float vec_dot_q8_0_neon(int n, const void* w, const void* act) {
  const BlockQ8* a = static_cast<const BlockQ8*>(w);
  const BlockQ8* x = static_cast<const BlockQ8*>(act);
  float sum = 0.f;
  for (int b = 0; b < n / 32; ++b) {
    const int32x4_t s = vaddq_s32(dot16(vld1q_s8(a[b].q), vld1q_s8(x[b].q)),
                                  dot16(vld1q_s8(a[b].q + 16), vld1q_s8(x[b].q + 16)));
    sum += f16_to_f32(a[b].scale_f16) * f16_to_f32(x[b].scale_f16) * static_cast<float>(vaddvq_s32(s));
  }
  return sum;
}

float vec_dot_q4_0_neon(int n, const void* w, const void* act) {
  const BlockQ4_0* a = static_cast<const BlockQ4_0*>(w);
  const BlockQ8* x = static_cast<const BlockQ8*>(act);
  const uint8x16_t low4 = vdupq_n_u8(0x0F);
  const int8x16_t eight = vdupq_n_s8(8);
  float sum = 0.f;
  for (int b = 0; b < n / 32; ++b) {
    const uint8x16_t q = vld1q_u8(a[b].qs);
    const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, low4)), eight);
    const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
    const int32x4_t s = vaddq_s32(dot16(lo, vld1q_s8(x[b].q)), dot16(hi, vld1q_s8(x[b].q + 16)));
    sum += f16_to_f32(a[b].d) * f16_to_f32(x[b].scale_f16) * static_cast<float>(vaddvq_s32(s));
  }
  return sum;
}

}  // namespace hearth
