// Private: the per-variant functions behind NnKernelTable (kernels/nn.h).
#pragma once

#include <cstdint>

namespace hearth {

void dense_i8_ref(int n_out, int n_in, const int8_t* w, const int8_t* x, int32_t* acc);
void dwconv_i8_ref(int n_ch, int n_taps, const int8_t* w, const int8_t* const* x, int32_t* acc);
void requant_i8_ref(int n, const int32_t* acc, const float* mul, const float* bias, bool relu,
                    float inv_out_scale, int8_t* out);

#if defined(HEARTH_HAVE_AVX2)
void dense_i8_avx2(int n_out, int n_in, const int8_t* w, const int8_t* x, int32_t* acc);
void dwconv_i8_avx2(int n_ch, int n_taps, const int8_t* w, const int8_t* const* x, int32_t* acc);
void requant_i8_avx2(int n, const int32_t* acc, const float* mul, const float* bias, bool relu,
                     float inv_out_scale, int8_t* out);
#endif

// The reference for one element; variants use it for their tails.
inline int8_t requant_one(int32_t acc, float mul, float bias, bool relu, float inv_out_scale);

}  // namespace hearth

#include <cmath>

namespace hearth {
inline int8_t requant_one(int32_t acc, float mul, float bias, bool relu, float inv_out_scale) {
  float y = std::fma(static_cast<float>(acc), mul, bias);
  if (relu && y < 0.f) y = 0.f;
  float q = std::nearbyint(y * inv_out_scale);
  if (q > 127.f) q = 127.f;
  if (q < -127.f) q = -127.f;
  return static_cast<int8_t>(q);
}
}  // namespace hearth
