// kernels/kernels.h: hot numeric primitives behind one dispatch table. Each
// entry has a scalar reference (`*_ref`, the spec) and SIMD variants chosen
// at run time from the CPU's features. Setting HEARTH_KERNELS=ref in the
// environment forces the reference (SQLite-style optimizations-off runs).
// Called by nlu/ (LLM), wakeword/ (detector) and audio/ (features).
//
// Quantized mat-vec follows ggml: the activation vector is quantized once
// (Q8_0 blocks for Q4_0/Q4_1/Q8_0 weights, Q8_K super-blocks for K-quants;
// F32/F16 weights take f32 activations), then every weight row is dotted
// with it in integer arithmetic per block.
#pragma once

#include <cstddef>
#include <vector>

#include "hearth/kernels/blocks.h"

namespace hearth {

// Row dot product of one weight row (type chosen by the table slot) with
// prepared activations; n is the row length in elements, a multiple of the
// type's block size.
using VecDotFn = float (*)(int n, const void* w, const void* act);

// Rows x columns: for c in [0, ncols), r in [0, nrows),
//   y[c * y_stride + r] = vec_dot(n, w + r * row_bytes, act + c * act_stride)
// ncols == 1 is decode's mat-vec; ncols > 1 a prompt batch, where every group
// of rows is read from memory once and reused for all columns. Variants
// process several rows per activation load.
using MatMulFn = void (*)(int n, int nrows, const void* w, size_t row_bytes, int ncols, const void* act,
                          size_t act_stride, float* y, size_t y_stride);

enum class RopeMode { kNormal, kNeox };  // pairs (2i, 2i+1) vs (i, i + n_rot/2)

struct KernelTable {
  const char* name;  // "ref", "avx2", "avx512", "neon"
  // sum_i a[i] * b[i], n >= 0 elements.
  float (*dot_f32)(int n, const float* a, const float* b);
  // sum_i w[i] * x[i] with w in Q8_0 blocks; n is a multiple of kQ8Block.
  float (*dot_q8_f32)(int n, const BlockQ8* w, const float* x);
  // Indexed by WeightType; null for a slot that is not a supported type.
  VecDotFn vec_dot[kWeightTypeSlots];
  // Indexed by WeightType; null: mat_mul() runs vec_dot row by row.
  MatMulFn mat_mul[kWeightTypeSlots];
  // Indexed by WeightType: weights in their repacked "x4" layout
  // (repack_x4 below) with the type's activations; same contract as
  // MatMulFn with row_bytes = x4_row_bytes(t, n), except that w must start
  // at a 4-row group boundary and only the tensor's last rows may be a
  // partial group. Non-null exactly for the types with an x4 layout, in
  // every variant.
  MatMulFn mat_mul_x4[kWeightTypeSlots];
  // x (n floats, n % 32 == 0) -> n/32 Q8_0 blocks.
  void (*quantize_q8_0)(int n, const float* x, BlockQ8* out);
  // x (n floats, n % 256 == 0) -> n/256 Q8_K blocks.
  void (*quantize_q8_k)(int n, const float* x, BlockQ8K* out);
  // out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]; out may alias x.
  void (*rms_norm)(int n, const float* x, const float* w, float eps, float* out);
  // x <- exp(x - max) / sum, in place; n >= 1.
  void (*softmax)(int n, float* x);
  // out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)); out may alias either.
  void (*swiglu)(int n, const float* gate, const float* up, float* out);
  // x[i] <- gelu(x[i]) (tanh approximation, as ggml).
  void (*gelu)(int n, float* x);
  // Rotates the first n_rot dims of each of n_heads heads (head_dim floats
  // apart) for position pos: angle_i = pos * base^(-2i/n_rot).
  void (*rope)(float* x, int n_heads, int head_dim, int n_rot, int pos, float freq_base, RopeMode mode);
  // KV cache in f16: out[i] = f32_to_f16(x[i]) (round to nearest even).
  void (*f32_to_f16_row)(int n, const float* x, uint16_t* out);
  // y[i] += a * f16_to_f32(x[i]) (attention's weighted sum of V rows).
  void (*axpy_f16)(int n, float a, const uint16_t* x, float* y);
  // Attention of the n_q query heads that share one f16 K/V head (GQA), over
  // the n_pos cached positions, rows kv_stride elements apart. Scores:
  //   sc[h * sc_stride + p] = scale * sum_d q[h * head_dim + d] * k[p * kv_stride + d]
  // Values (out overwritten):
  //   out[h * head_dim + d] = sum_p sc[h * sc_stride + p] * v[p * kv_stride + d]
  // Each K and V row is read once for the whole group.
  void (*attn_scores_f16)(int n_pos, int head_dim, const uint16_t* k, size_t kv_stride, const float* q, int n_q,
                          float scale, float* sc, size_t sc_stride);
  void (*attn_values_f16)(int n_pos, int head_dim, const uint16_t* v, size_t kv_stride, const float* sc,
                          size_t sc_stride, int n_q, float* out);
};

// The best variant this CPU supports (or "ref" when HEARTH_KERNELS=ref).
// Probed once; thread-safe.
const KernelTable& kernels();
// Every variant this CPU can run, reference first (tests and benches).
std::vector<const KernelTable*> supported_kernel_tables();
// The reference table.
const KernelTable& reference_kernels();

// ---- weight types: sizes, activation formats, (de)quantization ----

enum class ActFormat { kF32, kQ8_0, kQ8K };
struct WeightTypeTraits {
  const char* name;     // "Q4_K"
  int block_elems;      // 1, 32 or 256
  int block_bytes;
  ActFormat act;        // what vec_dot wants as activations
};
// nullptr for an unsupported type number.
const WeightTypeTraits* weight_type_traits(WeightType t);
// Bytes of one row of n elements (n a multiple of the block size).
size_t weight_row_bytes(WeightType t, int n);
// Bytes of the prepared activations for a row of n elements.
size_t act_bytes(WeightType t, int n);
// Prepares activations for weight type t with table k (quantizes or copies).
void prepare_act(const KernelTable& k, WeightType t, int n, const float* x, void* act);
// k.mat_mul[t] when the variant has one, else vec_dot row by row (same
// contract as MatMulFn). Callers split rows across threads in multiples of
// kMatMulRowGrain so the multi-row kernels see whole groups.
void mat_mul(const KernelTable& k, WeightType t, int n, int nrows, const void* w, size_t row_bytes, int ncols,
             const void* act, size_t act_stride, float* y, size_t y_stride);
inline constexpr int kMatMulRowGrain = 4;

// Repacked "x4" layouts, made at model load for the multi-row kernels
// (KernelTable::mat_mul_x4): rows in groups of 4, row r of the tensor at
// r * x4_row_bytes(t, n) as in a plain tensor, so threads split rows in
// multiples of 4 exactly as before. The last nrows % 4 rows stay plain
// blocks (followed by padding when x4_row_bytes exceeds the plain size).
// Per block of a full group:
//  Q4_0 (72 bytes), Q8_0 (136): the 4 rows' f16 scales (8 bytes), then
//    8-byte pieces of the rows' quant bytes, rows 0..3 for bytes 0..7, then
//    rows 0..3 for bytes 8..15, and so on: the 4 scales load at once and
//    each row's integer sums land in their own lanes. Same size as plain.
//  Q4_K (592 = 4 x 148, 4 bytes per row more than plain): d[4], dmin[4]
//    (f16); the 6-bit scales unpacked, sc[j][r] (32 bytes); the 6-bit mins
//    unpacked in two 16-byte halves, byte 2L + t of the first holding
//    m[r][4e + t] and of the second m[r][4e + 2 + t] (L = 2r + e, t = 0,1);
//    then the quants, 8-byte pieces as above: for k = 0..3 and p = 0..3,
//    rows 0..3 of qs[32k + 8p .. 32k + 8p + 8).
//  Q5_K (720 = 4 x 180): the Q4_K group block of the low 4 bits, then the
//    5th bits, 32 bytes per 64-element chunk k: byte 8r + i holds in bit p
//    that of element 64k + 8p + i and in bit 4 + p that of 64k + 32 + 8p + i.
//  Q6_K (840 = 4 x 210, same size as plain): d[4] (f16); the int8 scales
//    as four 16-byte vectors S_m, byte 2L + t of S_m holding scale
//    8e + 2m + t of row r (L = 2r + e); then the 6-bit quants q, for each
//    64-element chunk k and piece p (0..3), rows 0..3 x 8 bytes, byte i of
//    a row = low 4 bits of element 64k + 8p + i | those of element
//    64k + 32 + 8p + i << 4 (512 bytes); then the top 2 bits, per chunk k
//    and piece pair h (0..1), rows 0..3 x 8 bytes, byte i = the two top
//    bit pairs of piece 2h (bits 0-1: element 64k + 16h + i, bits 2-3: its
//    +32 partner), those of piece 2h + 1 in bits 4-7 (256 bytes).
// src and dst must not overlap; dst holds nrows * x4_row_bytes(t, n) bytes.
bool has_x4_layout(WeightType t);
size_t x4_row_bytes(WeightType t, int n);
void repack_x4(WeightType t, int n, int nrows, const void* src, void* dst);
// The inverse (the reference kernels and tests); dst gets plain rows.
void unpack_x4(WeightType t, int n, int nrows, const void* src, void* dst);

// Reference dequantization of n elements (used for embedding lookups and
// tests; not on the per-row hot path).
void dequantize_row(WeightType t, int n, const void* w, float* out);
// Reference quantizers (ggml's rounding rules for Q8_0/Q4_0/Q4_1; simple
// min/max search for the K-quants): used by our model quantizer, tests and
// benches. n must be a multiple of the block size.
void quantize_row(WeightType t, int n, const float* x, void* out);
void quantize_q8_0_ref(int n, const float* x, BlockQ8* out);

}  // namespace hearth
