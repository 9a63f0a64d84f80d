// Scalar references for the quantized formats: dequantization, quantizers
// and row dot products against quantized activations. Block layouts are in
// blocks.h; each function states its math.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels_internal.h"

namespace hearth {
namespace {

int nearest_int(float x) { return static_cast<int>(std::lround(x)); }

}  // namespace

// ---------------------------------------------------------------- dequantize

// The 6-bit quant (0..63) of element e of a Q6_K block (kernels_internal.h).
int q6_k_quant(const BlockQ6K& b, int e) {
  const int half = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
  const uint8_t* ql = b.ql + 64 * half;
  const uint8_t* qh = b.qh + 32 * half;
  const int low = quarter == 0 ? (ql[l] & 0xF) : quarter == 1 ? (ql[l + 32] & 0xF) : quarter == 2 ? (ql[l] >> 4) : (ql[l + 32] >> 4);
  const int high = (qh[l] >> (2 * quarter)) & 3;
  return low | (high << 4);
}

namespace {

void dequant_q8_0(int n, const BlockQ8* b, float* y) {
  for (int i = 0; i < n / kQ8Block; ++i) {
    const float d = f16_to_f32(b[i].scale_f16);
    for (int j = 0; j < kQ8Block; ++j) y[i * 32 + j] = d * b[i].q[j];
  }
}

void dequant_q4_0(int n, const BlockQ4_0* b, float* y) {
  for (int i = 0; i < n / 32; ++i) {
    const float d = f16_to_f32(b[i].d);
    for (int j = 0; j < 16; ++j) {
      y[i * 32 + j] = d * ((b[i].qs[j] & 0xF) - 8);
      y[i * 32 + j + 16] = d * ((b[i].qs[j] >> 4) - 8);
    }
  }
}

void dequant_q4_1(int n, const BlockQ4_1* b, float* y) {
  for (int i = 0; i < n / 32; ++i) {
    const float d = f16_to_f32(b[i].d), m = f16_to_f32(b[i].m);
    for (int j = 0; j < 16; ++j) {
      y[i * 32 + j] = d * (b[i].qs[j] & 0xF) + m;
      y[i * 32 + j + 16] = d * (b[i].qs[j] >> 4) + m;
    }
  }
}

void dequant_q4_k(int n, const BlockQ4K* b, float* y) {
  for (int i = 0; i < n / kQKBlock; ++i) {
    const float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
    const uint8_t* q = b[i].qs;
    for (int j = 0, is = 0; j < kQKBlock; j += 64, is += 2, q += 32) {
      uint8_t sc, m;
      get_scale_min_k4(is, b[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      get_scale_min_k4(is + 1, b[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void dequant_q5_k(int n, const BlockQ5K* b, float* y) {
  for (int i = 0; i < n / kQKBlock; ++i) {
    const float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
    const uint8_t* ql = b[i].qs;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0, is = 0; j < kQKBlock; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      uint8_t sc, m;
      get_scale_min_k4(is, b[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      get_scale_min_k4(is + 1, b[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (b[i].qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (b[i].qh[l] & u2 ? 16 : 0)) - m2;
    }
  }
}

void dequant_q6_k(int n, const BlockQ6K* b, float* y) {
  for (int i = 0; i < n / kQKBlock; ++i) {
    const float d = f16_to_f32(b[i].d);
    for (int e = 0; e < kQKBlock; ++e) *y++ = d * b[i].scales[e / 16] * (q6_k_quant(b[i], e) - 32);
  }
}

}  // namespace

void dequantize_row(WeightType t, int n, const void* w, float* out) {
  switch (t) {
    case WeightType::kF32: std::memcpy(out, w, sizeof(float) * static_cast<size_t>(n)); return;
    case WeightType::kF16: {
      const uint16_t* h = static_cast<const uint16_t*>(w);
      for (int i = 0; i < n; ++i) out[i] = f16_to_f32(h[i]);
      return;
    }
    case WeightType::kQ8_0: dequant_q8_0(n, static_cast<const BlockQ8*>(w), out); return;
    case WeightType::kQ4_0: dequant_q4_0(n, static_cast<const BlockQ4_0*>(w), out); return;
    case WeightType::kQ4_1: dequant_q4_1(n, static_cast<const BlockQ4_1*>(w), out); return;
    case WeightType::kQ4_K: dequant_q4_k(n, static_cast<const BlockQ4K*>(w), out); return;
    case WeightType::kQ5_K: dequant_q5_k(n, static_cast<const BlockQ5K*>(w), out); return;
    case WeightType::kQ6_K: dequant_q6_k(n, static_cast<const BlockQ6K*>(w), out); return;
  }
}

// ---------------------------------------------------------------- quantize

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

// d = max|x| / 127 per 256, q = round(x / d), bsums = sums of 16 quants.
void quantize_q8_k_ref(int n, const float* x, BlockQ8K* out) {
  for (int b = 0; b < n / kQKBlock; ++b, x += kQKBlock) {
    float amax = 0.0f;
    for (int j = 0; j < kQKBlock; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = d;
    for (int j = 0; j < kQKBlock; ++j) out[b].q[j] = static_cast<int8_t>(std::min(127, std::max(-127, nearest_int(x[j] * id))));
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int j = 0; j < 16; ++j) s += out[b].q[g * 16 + j];
      out[b].bsums[g] = static_cast<int16_t>(s);
    }
  }
}

namespace {

// ggml's Q4_0 rule: d = (value of largest magnitude) / -8, q = clamp(x/d + 8.5).
void quantize_q4_0(int n, const float* x, BlockQ4_0* out) {
  for (int i = 0; i < n / 32; ++i, x += 32) {
    float amax = 0.f, max = 0.f;
    for (int j = 0; j < 32; ++j)
      if (std::fabs(x[j]) > amax) { amax = std::fabs(x[j]); max = x[j]; }
    const float d = max / -8.f, id = d != 0.f ? 1.f / d : 0.f;
    out[i].d = f32_to_f16(d);
    for (int j = 0; j < 16; ++j) {
      const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
      const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j + 16] * id + 8.5f)));
      out[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

// ggml's Q4_1 rule: d = (max - min) / 15, m = min, q = round((x - min) / d).
void quantize_q4_1(int n, const float* x, BlockQ4_1* out) {
  for (int i = 0; i < n / 32; ++i, x += 32) {
    float mn = x[0], mx = x[0];
    for (int j = 1; j < 32; ++j) { mn = std::min(mn, x[j]); mx = std::max(mx, x[j]); }
    const float d = (mx - mn) / 15.f, id = d != 0.f ? 1.f / d : 0.f;
    out[i].d = f32_to_f16(d);
    out[i].m = f32_to_f16(mn);
    for (int j = 0; j < 16; ++j) {
      const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>((x[j] - mn) * id + 0.5f)));
      const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>((x[j + 16] - mn) * id + 0.5f)));
      out[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

// K-quant scales for 8 sub-blocks of 32 with `levels` quant levels (15 for
// Q4_K, 31 for Q5_K): per sub-block min/max, then 6-bit scales and mins
// under two f16 super-scales. Fills L[256] with the quants.
void quantize_k_scales(const float* x, int levels, uint16_t* d_out, uint16_t* dmin_out, uint8_t scales[12], uint8_t L[256]) {
  float sc[8], mn[8];
  for (int j = 0; j < 8; ++j) {
    float lo = 0.f, hi = 0.f;  // the min is clamped to <= 0 (stored as a positive offset)
    for (int l = 0; l < 32; ++l) { lo = std::min(lo, x[32 * j + l]); hi = std::max(hi, x[32 * j + l]); }
    sc[j] = (hi - lo) / levels;
    mn[j] = -lo;
  }
  const float max_sc = *std::max_element(sc, sc + 8), max_mn = *std::max_element(mn, mn + 8);
  const float d = max_sc / 63.f, dmin = max_mn / 63.f;
  *d_out = f32_to_f16(d);
  *dmin_out = f32_to_f16(dmin);
  const float dq = f16_to_f32(*d_out), dminq = f16_to_f32(*dmin_out);
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = static_cast<uint8_t>(std::min(63, std::max(0, dq > 0 ? nearest_int(sc[j] / dq) : 0)));
    lm[j] = static_cast<uint8_t>(std::min(63, std::max(0, dminq > 0 ? nearest_int(mn[j] / dminq) : 0)));
  }
  std::memset(scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      scales[j] = ls[j];
      scales[j + 4] = lm[j];
    } else {
      scales[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      scales[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      scales[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
  for (int j = 0; j < 8; ++j) {
    uint8_t s, m;
    get_scale_min_k4(j, scales, &s, &m);
    const float ds = dq * s, dm = dminq * m;
    for (int l = 0; l < 32; ++l) {
      const int q = ds > 0 ? nearest_int((x[32 * j + l] + dm) / ds) : 0;
      L[32 * j + l] = static_cast<uint8_t>(std::min(levels, std::max(0, q)));
    }
  }
}

void quantize_q4_k(int n, const float* x, BlockQ4K* out) {
  for (int i = 0; i < n / kQKBlock; ++i, x += kQKBlock) {
    uint8_t L[256];
    quantize_k_scales(x, 15, &out[i].d, &out[i].dmin, out[i].scales, L);
    for (int j = 0; j < kQKBlock; j += 64)
      for (int l = 0; l < 32; ++l) out[i].qs[j / 2 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
  }
}

void quantize_q5_k(int n, const float* x, BlockQ5K* out) {
  for (int i = 0; i < n / kQKBlock; ++i, x += kQKBlock) {
    uint8_t L[256];
    quantize_k_scales(x, 31, &out[i].d, &out[i].dmin, out[i].scales, L);
    std::memset(out[i].qh, 0, 32);
    uint8_t m1 = 1, m2 = 2;
    for (int j = 0; j < kQKBlock; j += 64, m1 <<= 2, m2 <<= 2) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[j + l], l2 = L[j + l + 32];
        if (l1 > 15) { l1 -= 16; out[i].qh[l] |= m1; }
        if (l2 > 15) { l2 -= 16; out[i].qh[l] |= m2; }
        out[i].qs[j / 2 + l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
    }
  }
}

void quantize_q6_k(int n, const float* x, BlockQ6K* out) {
  for (int i = 0; i < n / kQKBlock; ++i, x += kQKBlock) {
    float sc[16];
    for (int j = 0; j < 16; ++j) {
      float amax = 0.f;
      for (int l = 0; l < 16; ++l) amax = std::max(amax, std::fabs(x[16 * j + l]));
      sc[j] = amax / 31.f;
    }
    const float d = *std::max_element(sc, sc + 16) / 127.f;
    out[i].d = f32_to_f16(d);
    const float dq = f16_to_f32(out[i].d);
    uint8_t L[256];
    for (int j = 0; j < 16; ++j) {
      const int s = std::min(127, dq > 0 ? nearest_int(sc[j] / dq) : 0);
      out[i].scales[j] = static_cast<int8_t>(s);
      const float ds = dq * s;
      for (int l = 0; l < 16; ++l) {
        const int q = ds > 0 ? nearest_int(x[16 * j + l] / ds) : 0;
        L[16 * j + l] = static_cast<uint8_t>(std::min(31, std::max(-32, q)) + 32);
      }
    }
    uint8_t* ql = out[i].ql;
    uint8_t* qh = out[i].qh;
    for (int j = 0; j < kQKBlock; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((L[j + l] & 0xF) | ((L[j + l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((L[j + l + 32] & 0xF) | ((L[j + l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                                     ((L[j + l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace

void quantize_row(WeightType t, int n, const float* x, void* out) {
  switch (t) {
    case WeightType::kF32: std::memcpy(out, x, sizeof(float) * static_cast<size_t>(n)); return;
    case WeightType::kF16: {
      uint16_t* h = static_cast<uint16_t*>(out);
      for (int i = 0; i < n; ++i) h[i] = f32_to_f16(x[i]);
      return;
    }
    case WeightType::kQ8_0: quantize_q8_0_ref(n, x, static_cast<BlockQ8*>(out)); return;
    case WeightType::kQ4_0: quantize_q4_0(n, x, static_cast<BlockQ4_0*>(out)); return;
    case WeightType::kQ4_1: quantize_q4_1(n, x, static_cast<BlockQ4_1*>(out)); return;
    case WeightType::kQ4_K: quantize_q4_k(n, x, static_cast<BlockQ4K*>(out)); return;
    case WeightType::kQ5_K: quantize_q5_k(n, x, static_cast<BlockQ5K*>(out)); return;
    case WeightType::kQ6_K: quantize_q6_k(n, x, static_cast<BlockQ6K*>(out)); return;
  }
}

// ---------------------------------------------------------------- vec_dot

float vec_dot_f32_ref(int n, const void* w, const void* act) {
  return dot_f32_ref(n, static_cast<const float*>(w), static_cast<const float*>(act));
}

// sum_i f16(w[i]) * x[i]
float vec_dot_f16_ref(int n, const void* w, const void* act) {
  const uint16_t* h = static_cast<const uint16_t*>(w);
  const float* x = static_cast<const float*>(act);
  float sum = 0.f;
  for (int i = 0; i < n; ++i) sum += f16_to_f32(h[i]) * x[i];
  return sum;
}

// sum_b d_w[b] * d_x[b] * sum_j qw[j] * qx[j]
float vec_dot_q8_0_ref(int n, const void* w, const void* act) {
  const BlockQ8* a = static_cast<const BlockQ8*>(w);
  const BlockQ8* x = static_cast<const BlockQ8*>(act);
  float sum = 0.f;
  for (int b = 0; b < n / 32; ++b) {
    int s = 0;
    for (int j = 0; j < 32; ++j) s += a[b].q[j] * x[b].q[j];
    sum += f16_to_f32(a[b].scale_f16) * f16_to_f32(x[b].scale_f16) * static_cast<float>(s);
  }
  return sum;
}

// sum_b d_w * d_x * sum_j (q_j - 8) * qx_j
float vec_dot_q4_0_ref(int n, const void* w, const void* act) {
  const BlockQ4_0* a = static_cast<const BlockQ4_0*>(w);
  const BlockQ8* x = static_cast<const BlockQ8*>(act);
  float sum = 0.f;
  for (int b = 0; b < n / 32; ++b) {
    int s = 0;
    for (int j = 0; j < 16; ++j) s += ((a[b].qs[j] & 0xF) - 8) * x[b].q[j] + ((a[b].qs[j] >> 4) - 8) * x[b].q[j + 16];
    sum += f16_to_f32(a[b].d) * f16_to_f32(x[b].scale_f16) * static_cast<float>(s);
  }
  return sum;
}

// sum_b d_w * d_x * sum_j q_j * qx_j + m_w * d_x * sum_j qx_j
float vec_dot_q4_1_ref(int n, const void* w, const void* act) {
  const BlockQ4_1* a = static_cast<const BlockQ4_1*>(w);
  const BlockQ8* x = static_cast<const BlockQ8*>(act);
  float sum = 0.f;
  for (int b = 0; b < n / 32; ++b) {
    int s = 0, sx = 0;
    for (int j = 0; j < 16; ++j) {
      s += (a[b].qs[j] & 0xF) * x[b].q[j] + (a[b].qs[j] >> 4) * x[b].q[j + 16];
      sx += x[b].q[j] + x[b].q[j + 16];
    }
    const float dx = f16_to_f32(x[b].scale_f16);
    sum += f16_to_f32(a[b].d) * dx * static_cast<float>(s) + f16_to_f32(a[b].m) * dx * static_cast<float>(sx);
  }
  return sum;
}

// per super-block: d_x * (d * sum_j sc_j * sum_l q * qx  -  dmin * sum_j m_j * sum_l qx)
float vec_dot_q4_k_ref(int n, const void* w, const void* act) {
  const BlockQ4K* a = static_cast<const BlockQ4K*>(w);
  const BlockQ8K* x = static_cast<const BlockQ8K*>(act);
  float sum = 0.f;
  for (int b = 0; b < n / kQKBlock; ++b) {
    int sum_q = 0, sum_m = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      get_scale_min_k4(j, a[b].scales, &sc, &m);
      const uint8_t* q = a[b].qs + 32 * (j / 2);
      const int shift = (j % 2) * 4;
      int s = 0;
      for (int l = 0; l < 32; ++l) s += ((q[l] >> shift) & 0xF) * x[b].q[32 * j + l];
      sum_q += sc * s;
      sum_m += m * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
    }
    sum += x[b].d * (f16_to_f32(a[b].d) * static_cast<float>(sum_q) - f16_to_f32(a[b].dmin) * static_cast<float>(sum_m));
  }
  return sum;
}

// as Q4_K with q = low nibble + 16 * (bit j of qh[l])
float vec_dot_q5_k_ref(int n, const void* w, const void* act) {
  const BlockQ5K* a = static_cast<const BlockQ5K*>(w);
  const BlockQ8K* x = static_cast<const BlockQ8K*>(act);
  float sum = 0.f;
  for (int b = 0; b < n / kQKBlock; ++b) {
    int sum_q = 0, sum_m = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      get_scale_min_k4(j, a[b].scales, &sc, &m);
      const uint8_t* q = a[b].qs + 32 * (j / 2);
      const int shift = (j % 2) * 4;
      int s = 0;
      for (int l = 0; l < 32; ++l) {
        const int v = ((q[l] >> shift) & 0xF) + (((a[b].qh[l] >> j) & 1) << 4);
        s += v * x[b].q[32 * j + l];
      }
      sum_q += sc * s;
      sum_m += m * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
    }
    sum += x[b].d * (f16_to_f32(a[b].d) * static_cast<float>(sum_q) - f16_to_f32(a[b].dmin) * static_cast<float>(sum_m));
  }
  return sum;
}

// per super-block: d * d_x * sum_j sc_j * sum_l (q - 32) * qx  (16 groups of 16)
float vec_dot_q6_k_ref(int n, const void* w, const void* act) {
  const BlockQ6K* a = static_cast<const BlockQ6K*>(w);
  const BlockQ8K* x = static_cast<const BlockQ8K*>(act);
  float sum = 0.f;
  for (int b = 0; b < n / kQKBlock; ++b) {
    int total = 0;
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += (q6_k_quant(a[b], 16 * g + l) - 32) * x[b].q[16 * g + l];
      total += a[b].scales[g] * s;
    }
    sum += f16_to_f32(a[b].d) * x[b].d * static_cast<float>(total);
  }
  return sum;
}

}  // namespace hearth
