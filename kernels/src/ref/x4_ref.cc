// The "x4" layouts of kernels.h (Q4_0x4, Q8_0x4): the repacking, its
// inverse, and the reference kernels (unpack a group, then the plain
// reference dot per row) that every SIMD variant is tested against.
#include <cstring>
#include <vector>

#include "kernels_internal.h"

namespace hearth {
namespace {

constexpr int kGroup = kMatMulRowGrain;  // rows per group
constexpr size_t kPiece = 8;             // quant bytes per row per piece

// Block layout of one plain type: the f16 scale first, then kQuant bytes.
template <size_t kBlock, size_t kQuant>
struct X4 {
  static_assert(kBlock == 2 + kQuant, "scale then quants");
  static constexpr size_t kGroupBlock = kGroup * kBlock;

  // One group: plain rows (row r at plain + r * rb) <-> interleaved blocks.
  static void pack_group(int nb, const unsigned char* plain, size_t rb, unsigned char* packed) {
    for (int b = 0; b < nb; ++b) {
      unsigned char* o = packed + size_t(b) * kGroupBlock;
      for (int r = 0; r < kGroup; ++r) {
        const unsigned char* in = plain + size_t(r) * rb + size_t(b) * kBlock;
        std::memcpy(o + 2 * r, in, 2);
        for (size_t k = 0; k < kQuant / kPiece; ++k)
          std::memcpy(o + 2 * kGroup + (k * kGroup + r) * kPiece, in + 2 + k * kPiece, kPiece);
      }
    }
  }
  static void unpack_group(int nb, const unsigned char* packed, unsigned char* plain, size_t rb) {
    for (int b = 0; b < nb; ++b) {
      const unsigned char* i = packed + size_t(b) * kGroupBlock;
      for (int r = 0; r < kGroup; ++r) {
        unsigned char* out = plain + size_t(r) * rb + size_t(b) * kBlock;
        std::memcpy(out, i + 2 * r, 2);
        for (size_t k = 0; k < kQuant / kPiece; ++k)
          std::memcpy(out + 2 + k * kPiece, i + 2 * kGroup + (k * kGroup + r) * kPiece, kPiece);
      }
    }
  }
  template <bool kPack>
  static void convert(int n, int nrows, const void* src, void* dst) {
    const int nb = n / kQ8Block;
    const size_t rb = size_t(nb) * kBlock;
    const unsigned char* s = static_cast<const unsigned char*>(src);
    unsigned char* d = static_cast<unsigned char*>(dst);
    const int full = nrows / kGroup * kGroup;
    for (int r = 0; r < full; r += kGroup) {
      if (kPack) pack_group(nb, s + size_t(r) * rb, rb, d + size_t(r) * rb);
      else unpack_group(nb, s + size_t(r) * rb, d + size_t(r) * rb, rb);
    }
    std::memcpy(d + size_t(full) * rb, s + size_t(full) * rb, size_t(nrows - full) * rb);
  }
  static void mat_mul(VecDotFn dot, int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as,
                      float* y, size_t ys) {
    const int nb = n / kQ8Block;
    const unsigned char* wb = static_cast<const unsigned char*>(w);
    const unsigned char* ab = static_cast<const unsigned char*>(act);
    std::vector<unsigned char> rows(kGroup * rb);
    for (int r = 0; r < nrows; r += kGroup) {
      const int g = nrows - r < kGroup ? nrows - r : kGroup;
      const unsigned char* plain = wb + size_t(r) * rb;
      if (g == kGroup) {
        unpack_group(nb, plain, rows.data(), rb);
        plain = rows.data();
      }
      for (int i = 0; i < g; ++i)
        for (int c = 0; c < ncols; ++c) y[size_t(c) * ys + size_t(r + i)] = dot(n, plain + size_t(i) * rb, ab + size_t(c) * as);
    }
  }
};
using Q4x4 = X4<sizeof(BlockQ4_0), 16>;
using Q8x4 = X4<sizeof(BlockQ8), 32>;

}  // namespace

void repack_q4_0x4(int n, int nrows, const void* src, void* dst) { Q4x4::convert<true>(n, nrows, src, dst); }
void unpack_q4_0x4(int n, int nrows, const void* src, void* dst) { Q4x4::convert<false>(n, nrows, src, dst); }
void repack_q8_0x4(int n, int nrows, const void* src, void* dst) { Q8x4::convert<true>(n, nrows, src, dst); }
void unpack_q8_0x4(int n, int nrows, const void* src, void* dst) { Q8x4::convert<false>(n, nrows, src, dst); }

void mat_mul_x4_by_rows(WeightType t, VecDotFn dot, int n, int nrows, const void* w, size_t rb, int ncols,
                        const void* act, size_t as, float* y, size_t ys) {
  if (t == WeightType::kQ4_0) Q4x4::mat_mul(dot, n, nrows, w, rb, ncols, act, as, y, ys);
  else Q8x4::mat_mul(dot, n, nrows, w, rb, ncols, act, as, y, ys);
}

void mat_mul_q4_0x4_ref(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y,
                        size_t ys) {
  Q4x4::mat_mul(vec_dot_q4_0_ref, n, nrows, w, rb, ncols, act, as, y, ys);
}
void mat_mul_q8_0x4_ref(int n, int nrows, const void* w, size_t rb, int ncols, const void* act, size_t as, float* y,
                        size_t ys) {
  Q8x4::mat_mul(vec_dot_q8_0_ref, n, nrows, w, rb, ncols, act, as, y, ys);
}

}  // namespace hearth
