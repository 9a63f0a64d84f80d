// Scalar references for kernels/nn.h: the spec of each int8 layer kernel.
#include "nn_internal.h"

namespace hearth {

// acc[o] = sum_i w[o, i] * x[i]: a row-major int8 mat-vec, int32 accumulate.
void dense_i8_ref(int n_out, int n_in, const int8_t* w, const int8_t* x, int32_t* acc) {
  for (int o = 0; o < n_out; ++o) {
    int32_t s = 0;
    const int8_t* row = w + static_cast<long>(o) * n_in;
    for (int i = 0; i < n_in; ++i) s += static_cast<int32_t>(row[i]) * static_cast<int32_t>(x[i]);
    acc[o] = s;
  }
}

// acc[c] = sum_j w[j, c] * x_j[c]: each channel convolved with its own taps.
void dwconv_i8_ref(int n_ch, int n_taps, const int8_t* w, const int8_t* const* x, int32_t* acc) {
  for (int c = 0; c < n_ch; ++c) {
    int32_t s = 0;
    for (int j = 0; j < n_taps; ++j)
      s += static_cast<int32_t>(w[static_cast<long>(j) * n_ch + c]) * static_cast<int32_t>(x[j][c]);
    acc[c] = s;
  }
}

void requant_i8_ref(int n, const int32_t* acc, const float* mul, const float* bias, bool relu,
                    float inv_out_scale, int8_t* out) {
  for (int c = 0; c < n; ++c) out[c] = requant_one(acc[c], mul[c], bias[c], relu, inv_out_scale);
}

}  // namespace hearth
