// Scalar references for the element-wise and row operations of a
// transformer layer. Each comment states the math; SIMD variants must agree.
#include <algorithm>
#include <cmath>

#include "kernels_internal.h"

namespace hearth {

// out[i] = x[i] * w[i] / sqrt(mean_i(x[i]^2) + eps); the mean accumulates in double.
void rms_norm_ref(int n, const float* x, const float* w, float eps, float* out) {
  double ss = 0.0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  for (int i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

// x[i] <- exp(x[i] - max) / sum_j exp(x[j] - max)
void softmax_ref(int n, float* x) {
  float mx = x[0];
  for (int i = 1; i < n; ++i) mx = std::fmax(mx, x[i]);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int i = 0; i < n; ++i) x[i] *= inv;
}

// out[i] = gate[i] / (1 + exp(-gate[i])) * up[i]
void swiglu_ref(int n, const float* gate, const float* up, float* out) {
  for (int i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

// gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
void gelu_ref(int n, float* x) {
  constexpr float kSqrt2OverPi = 0.79788456080286535588f;
  for (int i = 0; i < n; ++i) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * v * (1.0f + 0.044715f * v * v)));
  }
}

// For each head and each i < n_rot/2: theta = pos * base^(-2i/n_rot);
// (a, b) <- (a cos - b sin, a sin + b cos) where (a, b) = (x[2i], x[2i+1])
// in normal mode and (x[i], x[i + n_rot/2]) in NeoX mode. Angles in double.
void rope_ref(float* x, int n_heads, int head_dim, int n_rot, int pos, float freq_base, RopeMode mode) {
  // the angle depends on the pair only: its cos and sin are computed once
  // for all heads (in chunks, without allocating)
  constexpr int kChunk = 64;
  float cs[kChunk], sn[kChunk];
  for (int i0 = 0; i0 < n_rot / 2; i0 += kChunk) {
    const int i1 = std::min(n_rot / 2, i0 + kChunk);
    for (int i = i0; i < i1; ++i) {
      const double theta = pos * std::pow(static_cast<double>(freq_base), -2.0 * i / n_rot);
      cs[i - i0] = static_cast<float>(std::cos(theta));
      sn[i - i0] = static_cast<float>(std::sin(theta));
    }
    for (int h = 0; h < n_heads; ++h) {
      float* v = x + static_cast<size_t>(h) * head_dim;
      for (int i = i0; i < i1; ++i) {
        const int ia = mode == RopeMode::kNormal ? 2 * i : i;
        const int ib = mode == RopeMode::kNormal ? 2 * i + 1 : i + n_rot / 2;
        const float a = v[ia], b = v[ib], c = cs[i - i0], s = sn[i - i0];
        v[ia] = a * c - b * s;
        v[ib] = a * s + b * c;
      }
    }
  }
}

// out[i] = nearest-even f16 of x[i]
void f32_to_f16_row_ref(int n, const float* x, uint16_t* out) {
  for (int i = 0; i < n; ++i) out[i] = f32_to_f16(x[i]);
}

// y[i] += a * x[i], x in f16
void axpy_f16_ref(int n, float a, const uint16_t* x, float* y) {
  for (int i = 0; i < n; ++i) y[i] += a * f16_to_f32(x[i]);
}

void attn_scores_f16_ref(int n_pos, int head_dim, const uint16_t* k, size_t kv_stride, const float* q, int n_q,
                         float scale, float* sc, size_t sc_stride) {
  for (int h = 0; h < n_q; ++h)
    for (int p = 0; p < n_pos; ++p) {
      float s = 0;
      for (int d = 0; d < head_dim; ++d) s += q[size_t(h) * head_dim + d] * f16_to_f32(k[size_t(p) * kv_stride + d]);
      sc[size_t(h) * sc_stride + p] = scale * s;
    }
}

void attn_values_f16_ref(int n_pos, int head_dim, const uint16_t* v, size_t kv_stride, const float* sc,
                         size_t sc_stride, int n_q, float* out) {
  for (int h = 0; h < n_q; ++h) {
    float* o = out + size_t(h) * head_dim;
    std::fill(o, o + head_dim, 0.f);
    for (int p = 0; p < n_pos; ++p) axpy_f16_ref(head_dim, sc[size_t(h) * sc_stride + p], v + size_t(p) * kv_stride, o);
  }
}

}  // namespace hearth
