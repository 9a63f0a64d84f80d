// kernels/blocks.h: quantized block layouts, byte-compatible with GGUF/ggml
// so model tensors are used in place (mmap'd, no conversion).
//
// Q8_0: 32 weights per block, one IEEE half scale, value_i = scale * q[i].
//   bytes 0..1  scale (f16, little endian)
//   bytes 2..33 q[0..31] (int8)
#pragma once

#include <cstdint>

namespace hearth {

inline constexpr int kQ8Block = 32;
struct BlockQ8 {
  uint16_t scale_f16;     // IEEE half; value_i = scale * q[i]
  int8_t q[kQ8Block];     // signed quants
};
static_assert(sizeof(BlockQ8) == 2 + kQ8Block, "BlockQ8: unexpected padding");

// IEEE 754 half <-> float, exact for every half value (round to nearest even
// on the way down). Scalar; used by every variant for block scales.
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

}  // namespace hearth
