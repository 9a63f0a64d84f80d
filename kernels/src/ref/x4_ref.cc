// The "x4" layouts of kernels.h (Q4_0x4, Q8_0x4, Q4_Kx4, Q5_Kx4, Q6_Kx4): the repacking,
// its inverse, and the reference kernels (unpack a group, then the plain
// reference dot per row) that every SIMD variant is tested against.
#include <cstring>
#include <vector>

#include "kernels_internal.h"

namespace hearth {
namespace {

constexpr int kGroup = kMatMulRowGrain;  // rows per group
constexpr size_t kPiece = 8;             // quant bytes per row per piece

// One block of the 4 rows of a group: in[r] / out[r] point at the row's
// plain block, x at the group's interleaved block.
struct Layout {
  int block_elems;
  size_t plain_block, x4_block;
  void (*pack)(const unsigned char* const in[kGroup], unsigned char* x);
  void (*unpack)(const unsigned char* x, unsigned char* const out[kGroup]);
};

// Q4_0 / Q8_0: the f16 scales, then the quant bytes in 8-byte pieces.
template <size_t kQuant>
void pack_scale_quants(const unsigned char* const in[kGroup], unsigned char* x) {
  for (int r = 0; r < kGroup; ++r) {
    std::memcpy(x + 2 * r, in[r], 2);
    for (size_t k = 0; k < kQuant / kPiece; ++k) std::memcpy(x + 2 * kGroup + (k * kGroup + r) * kPiece, in[r] + 2 + k * kPiece, kPiece);
  }
}
template <size_t kQuant>
void unpack_scale_quants(const unsigned char* x, unsigned char* const out[kGroup]) {
  for (int r = 0; r < kGroup; ++r) {
    std::memcpy(out[r], x + 2 * r, 2);
    for (size_t k = 0; k < kQuant / kPiece; ++k) std::memcpy(out[r] + 2 + k * kPiece, x + 2 * kGroup + (k * kGroup + r) * kPiece, kPiece);
  }
}

// Q4_K: byte offsets inside the 592-byte group block (kernels.h).
constexpr size_t kKD = 0, kKDmin = 8, kKScales = 16, kKMins = 48, kKQuants = 80, kKBlock = 592;

void pack_q4_k(const unsigned char* const in[kGroup], unsigned char* x) {
  uint8_t mins[kGroup][8];
  for (int r = 0; r < kGroup; ++r) {
    const BlockQ4K* b = reinterpret_cast<const BlockQ4K*>(in[r]);
    std::memcpy(x + kKD + 2 * r, &b->d, 2);
    std::memcpy(x + kKDmin + 2 * r, &b->dmin, 2);
    for (int j = 0; j < 8; ++j) get_scale_min_k4(j, b->scales, &x[kKScales + 4 * j + r], &mins[r][j]);
    for (int k = 0; k < 4; ++k)
      for (int p = 0; p < 4; ++p) std::memcpy(x + kKQuants + size_t(4 * k + p) * 32 + kPiece * r, b->qs + 32 * k + kPiece * p, kPiece);
  }
  for (int L = 0; L < 2 * kGroup; ++L)
    for (int t = 0; t < 2; ++t) {
      x[kKMins + 2 * L + t] = mins[L >> 1][4 * (L & 1) + t];
      x[kKMins + 16 + 2 * L + t] = mins[L >> 1][4 * (L & 1) + 2 + t];
    }
}

void unpack_q4_k(const unsigned char* x, unsigned char* const out[kGroup]) {
  for (int r = 0; r < kGroup; ++r) {
    BlockQ4K* b = reinterpret_cast<BlockQ4K*>(out[r]);
    std::memcpy(&b->d, x + kKD + 2 * r, 2);
    std::memcpy(&b->dmin, x + kKDmin + 2 * r, 2);
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; ++j) sc[j] = x[kKScales + 4 * j + r];
    for (int e = 0; e < 2; ++e)
      for (int t = 0; t < 2; ++t) {
        mn[4 * e + t] = x[kKMins + 2 * (2 * r + e) + t];
        mn[4 * e + 2 + t] = x[kKMins + 16 + 2 * (2 * r + e) + t];
      }
    // the inverse of get_scale_min_k4 (every bit of the 16 six-bit values is stored)
    for (int j = 0; j < 4; ++j) {
      b->scales[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
      b->scales[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
      b->scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
    }
    for (int k = 0; k < 4; ++k)
      for (int p = 0; p < 4; ++p) std::memcpy(b->qs + 32 * k + kPiece * p, x + kKQuants + size_t(4 * k + p) * 32 + kPiece * r, kPiece);
  }
}

// Q5_K: the Q4_K group block (its low 4 bits) followed by the 5th bits,
// 32 bytes per 64-element chunk k: byte 8r + i, bit p = element 64k + 8p + i,
// bit 4 + p = element 64k + 32 + 8p + i (p = 0..3).
constexpr size_t kFHigh = kKBlock, kFBlock = kKBlock + 128;

void pack_q5_k(const unsigned char* const in[kGroup], unsigned char* x) {
  BlockQ4K low[kGroup];
  const unsigned char* lp[kGroup];
  for (int r = 0; r < kGroup; ++r) {
    const BlockQ5K& b = *reinterpret_cast<const BlockQ5K*>(in[r]);
    low[r].d = b.d;
    low[r].dmin = b.dmin;
    std::memcpy(low[r].scales, b.scales, 12);
    std::memcpy(low[r].qs, b.qs, 128);
    lp[r] = reinterpret_cast<const unsigned char*>(&low[r]);
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 8; ++i) {
        int bits = 0;
        for (int p = 0; p < 4; ++p) bits |= ((b.qh[8 * p + i] >> (2 * k)) & 1) << p | ((b.qh[8 * p + i] >> (2 * k + 1)) & 1) << (4 + p);
        x[kFHigh + 32 * size_t(k) + 8 * r + i] = static_cast<unsigned char>(bits);
      }
  }
  pack_q4_k(lp, x);
}

void unpack_q5_k(const unsigned char* x, unsigned char* const out[kGroup]) {
  BlockQ4K low[kGroup];
  unsigned char* lp[kGroup];
  for (int r = 0; r < kGroup; ++r) lp[r] = reinterpret_cast<unsigned char*>(&low[r]);
  unpack_q4_k(x, lp);
  for (int r = 0; r < kGroup; ++r) {
    BlockQ5K& b = *reinterpret_cast<BlockQ5K*>(out[r]);
    b.d = low[r].d;
    b.dmin = low[r].dmin;
    std::memcpy(b.scales, low[r].scales, 12);
    std::memcpy(b.qs, low[r].qs, 128);
    std::memset(b.qh, 0, 32);
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 8; ++i) {
        const int bits = x[kFHigh + 32 * size_t(k) + 8 * r + i];
        for (int p = 0; p < 4; ++p)
          b.qh[8 * p + i] = static_cast<uint8_t>(b.qh[8 * p + i] | ((bits >> p) & 1) << (2 * k) | ((bits >> (4 + p)) & 1) << (2 * k + 1));
      }
  }
}

// Q6_K: byte offsets inside the 840-byte group block (kernels.h).
constexpr size_t kSD = 0, kSScales = 8, kSLow = 72, kSHigh = 584, kSBlock = 840;

// Element e's 6-bit quant <- q (the inverse of q6_k_quant).
void q6_k_set_quant(BlockQ6K& b, int e, int q) {
  const int half = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
  uint8_t& low = b.ql[64 * half + l + (quarter & 1) * 32];
  const int shift = quarter >= 2 ? 4 : 0;
  low = static_cast<uint8_t>((low & ~(0xF << shift)) | ((q & 0xF) << shift));
  uint8_t& high = b.qh[32 * half + l];
  high = static_cast<uint8_t>((high & ~(3 << (2 * quarter))) | (((q >> 4) & 3) << (2 * quarter)));
}

// Piece p (0..3) of 64-element chunk k: element 64k + 8p + i ("lo") and
// 64k + 32 + 8p + i ("hi") of a row share byte i of the row's 8 bytes.
void pack_q6_k(const unsigned char* const in[kGroup], unsigned char* x) {
  for (int r = 0; r < kGroup; ++r) {
    const BlockQ6K& b = *reinterpret_cast<const BlockQ6K*>(in[r]);
    std::memcpy(x + kSD + 2 * r, &b.d, 2);
    for (int j = 0; j < 16; ++j)  // scale j of row r: S_m byte 2L + t, L = 2r + e, j = 8e + 2m + t
      x[kSScales + 16 * ((j >> 1) & 3) + 2 * (2 * r + (j >> 3)) + (j & 1)] = static_cast<unsigned char>(b.scales[j]);
    for (int k = 0; k < 4; ++k)
      for (int p = 0; p < 4; ++p)
        for (int i = 0; i < 8; ++i) {
          const int lo = q6_k_quant(b, 64 * k + 8 * p + i), hi = q6_k_quant(b, 64 * k + 32 + 8 * p + i);
          x[kSLow + size_t(4 * k + p) * 32 + 8 * r + i] = static_cast<unsigned char>((lo & 0xF) | (hi & 0xF) << 4);
          unsigned char& h = x[kSHigh + size_t(2 * k + p / 2) * 32 + 8 * r + i];
          const int sh = 4 * (p & 1);
          h = static_cast<unsigned char>((h & ~(0xF << sh)) | ((lo >> 4) | (hi >> 4) << 2) << sh);
        }
  }
}

void unpack_q6_k(const unsigned char* x, unsigned char* const out[kGroup]) {
  for (int r = 0; r < kGroup; ++r) {
    BlockQ6K& b = *reinterpret_cast<BlockQ6K*>(out[r]);
    std::memcpy(&b.d, x + kSD + 2 * r, 2);
    for (int j = 0; j < 16; ++j)
      b.scales[j] = static_cast<int8_t>(x[kSScales + 16 * ((j >> 1) & 3) + 2 * (2 * r + (j >> 3)) + (j & 1)]);
    for (int k = 0; k < 4; ++k)
      for (int p = 0; p < 4; ++p)
        for (int i = 0; i < 8; ++i) {
          const int v = x[kSLow + size_t(4 * k + p) * 32 + 8 * r + i];
          const int h = x[kSHigh + size_t(2 * k + p / 2) * 32 + 8 * r + i] >> (4 * (p & 1));
          q6_k_set_quant(b, 64 * k + 8 * p + i, (v & 0xF) | (h & 3) << 4);
          q6_k_set_quant(b, 64 * k + 32 + 8 * p + i, (v >> 4) | ((h >> 2) & 3) << 4);
        }
  }
}

constexpr Layout kQ4_0x4{kQ8Block, sizeof(BlockQ4_0), kGroup * sizeof(BlockQ4_0), pack_scale_quants<16>, unpack_scale_quants<16>};
constexpr Layout kQ8_0x4{kQ8Block, sizeof(BlockQ8), kGroup * sizeof(BlockQ8), pack_scale_quants<32>, unpack_scale_quants<32>};
constexpr Layout kQ4_Kx4{kQKBlock, sizeof(BlockQ4K), kKBlock, pack_q4_k, unpack_q4_k};
constexpr Layout kQ5_Kx4{kQKBlock, sizeof(BlockQ5K), kFBlock, pack_q5_k, unpack_q5_k};
constexpr Layout kQ6_Kx4{kQKBlock, sizeof(BlockQ6K), kSBlock, pack_q6_k, unpack_q6_k};
static_assert(kKQuants + 4 * 128 == kKBlock && kKBlock % kGroup == 0, "Q4_Kx4 block");
static_assert(kSHigh + 256 == kSBlock && kSBlock == kGroup * sizeof(BlockQ6K), "Q6_Kx4 block");

const Layout* layout(WeightType t) {
  switch (t) {
    case WeightType::kQ4_0: return &kQ4_0x4;
    case WeightType::kQ8_0: return &kQ8_0x4;
    case WeightType::kQ4_K: return &kQ4_Kx4;
    case WeightType::kQ5_K: return &kQ5_Kx4;
    case WeightType::kQ6_K: return &kQ6_Kx4;
    default: return nullptr;
  }
}

// One full group: plain rows (row r at plain + r * rbp) <-> x4 blocks.
void pack_group(const Layout& l, int nb, const unsigned char* plain, size_t rbp, unsigned char* x) {
  for (int b = 0; b < nb; ++b) {
    const unsigned char* in[kGroup];
    for (int r = 0; r < kGroup; ++r) in[r] = plain + size_t(r) * rbp + size_t(b) * l.plain_block;
    l.pack(in, x + size_t(b) * l.x4_block);
  }
}
void unpack_group(const Layout& l, int nb, const unsigned char* x, unsigned char* plain, size_t rbp) {
  for (int b = 0; b < nb; ++b) {
    unsigned char* out[kGroup];
    for (int r = 0; r < kGroup; ++r) out[r] = plain + size_t(r) * rbp + size_t(b) * l.plain_block;
    l.unpack(x + size_t(b) * l.x4_block, out);
  }
}

template <bool kPack>
void convert(WeightType t, int n, int nrows, const void* src, void* dst) {
  const Layout& l = *layout(t);
  const int nb = n / l.block_elems;
  const size_t rbp = size_t(nb) * l.plain_block, rbx = size_t(nb) * l.x4_block / kGroup;
  const unsigned char* s = static_cast<const unsigned char*>(src);
  unsigned char* d = static_cast<unsigned char*>(dst);
  const int full = nrows / kGroup * kGroup;
  for (int r = 0; r < full; r += kGroup) {
    if (kPack) pack_group(l, nb, s + size_t(r) * rbp, rbp, d + size_t(r) * rbx);
    else unpack_group(l, nb, s + size_t(r) * rbx, d + size_t(r) * rbp, rbp);
  }
  // the tail rows stay plain, at the x4 row stride (zero padding after each)
  for (int r = full; r < nrows; ++r) {
    if (kPack) {
      std::memcpy(d + size_t(r) * rbx, s + size_t(r) * rbp, rbp);
      std::memset(d + size_t(r) * rbx + rbp, 0, rbx - rbp);
    } else {
      std::memcpy(d + size_t(r) * rbp, s + size_t(r) * rbx, rbp);
    }
  }
}

}  // namespace

bool has_x4_layout(WeightType t) { return layout(t) != nullptr; }

size_t x4_row_bytes(WeightType t, int n) {
  const Layout* l = layout(t);
  return l ? size_t(n / l->block_elems) * l->x4_block / kGroup : 0;
}

void repack_x4(WeightType t, int n, int nrows, const void* src, void* dst) { convert<true>(t, n, nrows, src, dst); }
void unpack_x4(WeightType t, int n, int nrows, const void* src, void* dst) { convert<false>(t, n, nrows, src, dst); }

void mat_mul_x4_by_rows(WeightType t, VecDotFn dot, int n, int nrows, const void* w, size_t rbx, int ncols,
                        const void* act, size_t as, float* y, size_t ys) {
  const Layout& l = *layout(t);
  const int nb = n / l.block_elems;
  const size_t rbp = size_t(nb) * l.plain_block;
  const unsigned char* wb = static_cast<const unsigned char*>(w);
  const unsigned char* ab = static_cast<const unsigned char*>(act);
  std::vector<unsigned char> rows(kGroup * rbp);
  for (int r = 0; r < nrows; r += kGroup) {
    const int g = nrows - r < kGroup ? nrows - r : kGroup;
    const unsigned char* plain = wb + size_t(r) * rbx;
    size_t stride = rbx;  // tail rows: plain blocks at the x4 stride
    if (g == kGroup) {
      unpack_group(l, nb, plain, rows.data(), rbp);
      plain = rows.data();
      stride = rbp;
    }
    for (int i = 0; i < g; ++i)
      for (int c = 0; c < ncols; ++c) y[size_t(c) * ys + size_t(r + i)] = dot(n, plain + size_t(i) * stride, ab + size_t(c) * as);
  }
}

}  // namespace hearth
