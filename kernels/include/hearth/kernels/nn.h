// kernels/nn.h: int8 building blocks of the wake-word network (wakeword/):
// dense / pointwise conv1d and depthwise conv1d with int8 weights and int8
// activations accumulated in int32, and the requantization step that applies
// the per-channel scale, the (batch-norm folded) bias and ReLU. Each entry has
// a scalar reference (`*_ref`, the spec) and an AVX2 variant chosen at run
// time; HEARTH_KERNELS=ref forces the reference, as for kernels.h.
// Streaming layout: the caller keeps per-layer history, so one call processes
// one 10 ms frame.
#pragma once

#include <cstdint>
#include <vector>

namespace hearth {

struct NnKernelTable {
  const char* name;  // "ref", "avx2"
  // acc[o] = sum_{i < n_in} w[o * n_in + i] * x[i] for o < n_out (int32, exact).
  // n_in, n_out >= 0; no alignment required.
  void (*dense_i8)(int n_out, int n_in, const int8_t* w, const int8_t* x, int32_t* acc);
  // Depthwise conv over n_taps past frames of n_ch channels:
  // acc[c] = sum_{j < n_taps} w[j * n_ch + c] * x[j][c] (int32, exact).
  void (*dwconv_i8)(int n_ch, int n_taps, const int8_t* w, const int8_t* const* x, int32_t* acc);
  // y[c] = fma(float(acc[c]), mul[c], bias[c]); if relu, y = max(y, 0);
  // out[c] = clamp(nearbyint(y * inv_out_scale), -127, 127) (round half to even).
  void (*requant_i8)(int n, const int32_t* acc, const float* mul, const float* bias, bool relu,
                     float inv_out_scale, int8_t* out);
};

// Best variant for this CPU ("ref" when HEARTH_KERNELS=ref). Thread-safe.
const NnKernelTable& nn_kernels();
// Every variant this CPU can run, reference first (tests and benches).
std::vector<const NnKernelTable*> supported_nn_kernel_tables();
const NnKernelTable& reference_nn_kernels();

}  // namespace hearth
