// Scalar references: the spec every SIMD variant is tested against.
#include <cmath>
#include <cstring>

#include "kernels_internal.h"

namespace hearth {

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  float magnitude;
  if (exp == 0) {
    magnitude = std::ldexp(static_cast<float>(mant), -24);  // subnormal: mant * 2^-24
  } else if (exp == 31) {
    magnitude = mant ? NAN : INFINITY;
  } else {
    magnitude = std::ldexp(static_cast<float>(mant | 0x400u), static_cast<int>(exp) - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &magnitude, 4);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504: inf
  if (abs < 0x38800000u) {
    // Result is subnormal (or zero) in half: value / 2^-24, round to nearest even.
    float a;
    std::memcpy(&a, &abs, 4);
    float scaled = a * 16777216.0f;  // 2^24
    float r = std::nearbyint(scaled);  // default rounding mode: to nearest even
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(r));
  }
  // Normal: rebias the exponent, round the 23-bit mantissa to 10 bits (nearest even).
  uint32_t h = ((abs >> 13) - (112u << 10));
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

// sum_i a[i] * b[i], accumulated left to right in float.
float dot_f32_ref(int n, const float* a, const float* b) {
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// sum over blocks of scale_b * sum_j q[b][j] * x[b*32 + j].
float dot_q8_f32_ref(int n, const BlockQ8* w, const float* x) {
  float sum = 0.0f;
  const int nb = n / kQ8Block;
  for (int b = 0; b < nb; ++b) {
    float block = 0.0f;
    for (int j = 0; j < kQ8Block; ++j) block += static_cast<float>(w[b].q[j]) * x[b * kQ8Block + j];
    sum += f16_to_f32(w[b].scale_f16) * block;
  }
  return sum;
}

void quantize_q8_0_ref(int n, const float* x, BlockQ8* out) {
  const int nb = n / kQ8Block;
  for (int b = 0; b < nb; ++b) {
    float amax = 0.0f;
    for (int j = 0; j < kQ8Block; ++j) amax = std::fmax(amax, std::fabs(x[b * kQ8Block + j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].scale_f16 = f32_to_f16(d);
    for (int j = 0; j < kQ8Block; ++j)
      out[b].q[j] = static_cast<int8_t>(std::lround(x[b * kQ8Block + j] * id));
  }
}

}  // namespace hearth
