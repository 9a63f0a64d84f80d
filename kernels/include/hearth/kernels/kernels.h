// kernels/kernels.h: hot numeric primitives behind one dispatch table. Each
// entry has a scalar reference (`*_ref`, the spec) and SIMD variants chosen
// at run time from the CPU's features. Setting HEARTH_KERNELS=ref in the
// environment forces the reference (SQLite-style optimizations-off runs).
// Called by nlu/ (LLM), wakeword/ (detector) and audio/ (features).
#pragma once

#include <vector>

#include "hearth/kernels/blocks.h"

namespace hearth {

struct KernelTable {
  const char* name;  // "ref", "avx2", "neon"
  // sum_i a[i] * b[i], n >= 0 elements.
  float (*dot_f32)(int n, const float* a, const float* b);
  // sum_i w[i] * x[i] with w in Q8_0 blocks; n is a multiple of kQ8Block.
  float (*dot_q8_f32)(int n, const BlockQ8* w, const float* x);
};

// The best variant this CPU supports (or "ref" when HEARTH_KERNELS=ref).
// Probed once; thread-safe.
const KernelTable& kernels();
// Every variant this CPU can run, reference first (tests and benches).
std::vector<const KernelTable*> supported_kernel_tables();
// The reference table.
const KernelTable& reference_kernels();

// Quantizes n floats (multiple of kQ8Block) into n / kQ8Block blocks with the
// ggml Q8_0 rule: scale = max|x| / 127, q = round(x / scale).
void quantize_q8_0_ref(int n, const float* x, BlockQ8* out);

}  // namespace hearth
