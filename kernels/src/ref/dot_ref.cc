// Scalar references: the spec every SIMD variant is tested against.
#include <cmath>
#include <cstring>

#include "kernels_internal.h"

namespace hearth {

// Bit-level conversion (no libm): every half maps to the exactly equal float.
float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);  // rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;  // +-0
  } else {
    // subnormal: mant * 2^-24; normalize so the leading 1 is implicit
    exp = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
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

}  // namespace hearth
