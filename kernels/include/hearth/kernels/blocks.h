// kernels/blocks.h: quantized block layouts, byte-compatible with GGUF/ggml
// so model tensors are used in place (mmap'd, no conversion). All scales are
// IEEE half (f16) little endian unless noted. "nibble" order: within a
// 32-element group, the low nibbles hold elements 0..15 and the high
// nibbles 16..31 (Q4_0/Q4_1), or, in K-quants, the low nibbles of 32 bytes
// hold one 32-element sub-block and the high nibbles the next.
//
// type   elems bytes  layout                                   value
// Q8_0     32    34   d, q[32] (int8)                          d * q
// Q4_0     32    18   d, qs[16]                                d * (q - 8)
// Q4_1     32    20   d, m, qs[16]                             d * q + m
// Q4_K    256   144   d, dmin, scales[12], qs[128]             d*sc_j * q - dmin*m_j  (8 sub-blocks of 32,
//                                                              6-bit sc/m packed in scales[12])
// Q5_K    256   176   d, dmin, scales[12], qh[32], qs[128]     as Q4_K with a 5th bit from qh
// Q6_K    256   210   ql[128], qh[64], scales[16] (int8), d    d * sc_j * (q - 32)  (16 sub-blocks of 16)
// Q8_K    256   292   d (f32), q[256] (int8), bsums[16] (i16)  d * q  (activations only, not in files)
#pragma once

#include <cstdint>

namespace hearth {

inline constexpr int kQ8Block = 32;   // elements per Q8_0 / Q4_0 / Q4_1 block
inline constexpr int kQKBlock = 256;  // elements per K-quant super-block

struct BlockQ8 {
  uint16_t scale_f16;     // IEEE half; value_i = scale * q[i]
  int8_t q[kQ8Block];     // signed quants
};
static_assert(sizeof(BlockQ8) == 34, "BlockQ8: unexpected padding");

struct BlockQ4_0 {
  uint16_t d;             // f16 scale
  uint8_t qs[16];         // element j in low nibble of qs[j], j+16 in the high nibble
};
static_assert(sizeof(BlockQ4_0) == 18, "BlockQ4_0: unexpected padding");

struct BlockQ4_1 {
  uint16_t d;             // f16 scale
  uint16_t m;             // f16 minimum
  uint8_t qs[16];         // as Q4_0, unsigned 0..15
};
static_assert(sizeof(BlockQ4_1) == 20, "BlockQ4_1: unexpected padding");

struct BlockQ4K {
  uint16_t d;             // f16 super-block scale for the 6-bit sub-block scales
  uint16_t dmin;          // f16 super-block scale for the 6-bit sub-block mins
  uint8_t scales[12];     // 8 scales + 8 mins, 6 bits each (see get_scale_min_k4)
  uint8_t qs[128];        // 4-bit quants
};
static_assert(sizeof(BlockQ4K) == 144, "BlockQ4K: unexpected padding");

struct BlockQ5K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[32];         // 5th bit: bit 2j of qh[l] for element 64j+l, bit 2j+1 for 64j+32+l
  uint8_t qs[128];        // low 4 bits
};
static_assert(sizeof(BlockQ5K) == 176, "BlockQ5K: unexpected padding");

struct BlockQ6K {
  uint8_t ql[128];        // low 4 bits
  uint8_t qh[64];         // high 2 bits
  int8_t scales[16];      // one per 16 elements
  uint16_t d;             // f16 super-block scale
};
static_assert(sizeof(BlockQ6K) == 210, "BlockQ6K: unexpected padding");

struct BlockQ8K {
  float d;                // f32 scale
  int8_t q[kQKBlock];
  int16_t bsums[16];      // sum of q over each group of 16
};
static_assert(sizeof(BlockQ8K) == 292, "BlockQ8K: unexpected padding");

// Tensor element types, numbered as in GGUF/ggml.
enum class WeightType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
};
inline constexpr int kWeightTypeSlots = 15;  // table size indexed by WeightType

// IEEE 754 half <-> float, exact for every half value (round to nearest even
// on the way down). Scalar; used by every variant for block scales.
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

}  // namespace hearth
