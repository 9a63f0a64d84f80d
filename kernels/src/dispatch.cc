// CPU features are probed once; HEARTH_KERNELS=ref forces the reference.
#include <cstdlib>
#include <cstring>

#include "kernels_internal.h"

namespace hearth {
namespace {

constexpr size_t slot(WeightType t) { return static_cast<size_t>(t); }

KernelTable make_ref() {
  KernelTable k{};
  k.name = "ref";
  k.dot_f32 = dot_f32_ref;
  k.dot_q8_f32 = dot_q8_f32_ref;
  k.vec_dot[slot(WeightType::kF32)] = vec_dot_f32_ref;
  k.vec_dot[slot(WeightType::kF16)] = vec_dot_f16_ref;
  k.vec_dot[slot(WeightType::kQ8_0)] = vec_dot_q8_0_ref;
  k.vec_dot[slot(WeightType::kQ4_0)] = vec_dot_q4_0_ref;
  k.vec_dot[slot(WeightType::kQ4_1)] = vec_dot_q4_1_ref;
  k.vec_dot[slot(WeightType::kQ4_K)] = vec_dot_q4_k_ref;
  k.vec_dot[slot(WeightType::kQ5_K)] = vec_dot_q5_k_ref;
  k.vec_dot[slot(WeightType::kQ6_K)] = vec_dot_q6_k_ref;
  k.quantize_q8_0 = quantize_q8_0_ref;
  k.quantize_q8_k = quantize_q8_k_ref;
  k.rms_norm = rms_norm_ref;
  k.softmax = softmax_ref;
  k.swiglu = swiglu_ref;
  k.gelu = gelu_ref;
  k.rope = rope_ref;
  return k;
}
// Tables are built on first use (function-local statics), so callers in
// other translation units' static initializers (benchmark registration) see
// them complete.
const KernelTable& ref_table() {
  static const KernelTable t = make_ref();
  return t;
}

#if defined(HEARTH_HAVE_AVX2)
// gelu and rope have no AVX2 variant: they run once per token per layer on
// a few hundred floats, far from the mat-vec cost; the table reuses the
// reference for them.
KernelTable make_avx2() {
  KernelTable k = make_ref();
  k.name = "avx2";
  k.dot_f32 = dot_f32_avx2;
  k.dot_q8_f32 = dot_q8_f32_avx2;
  k.vec_dot[slot(WeightType::kF32)] = vec_dot_f32_avx2;
  k.vec_dot[slot(WeightType::kF16)] = vec_dot_f16_avx2;
  k.vec_dot[slot(WeightType::kQ8_0)] = vec_dot_q8_0_avx2;
  k.vec_dot[slot(WeightType::kQ4_0)] = vec_dot_q4_0_avx2;
  k.vec_dot[slot(WeightType::kQ4_1)] = vec_dot_q4_1_avx2;
  k.vec_dot[slot(WeightType::kQ4_K)] = vec_dot_q4_k_avx2;
  k.vec_dot[slot(WeightType::kQ5_K)] = vec_dot_q5_k_avx2;
  k.vec_dot[slot(WeightType::kQ6_K)] = vec_dot_q6_k_avx2;
  k.quantize_q8_0 = quantize_q8_0_avx2;
  k.quantize_q8_k = quantize_q8_k_avx2;
  k.rms_norm = rms_norm_avx2;
  k.softmax = softmax_avx2;
  k.swiglu = swiglu_avx2;
  return k;
}
const KernelTable& avx2_table() {
  static const KernelTable t = make_avx2();
  return t;
}
bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
#endif

#if defined(HEARTH_HAVE_NEON)
KernelTable make_neon() {
  KernelTable k = make_ref();
  k.name = "neon";
  k.dot_f32 = dot_f32_neon;
  k.vec_dot[slot(WeightType::kQ8_0)] = vec_dot_q8_0_neon;
  k.vec_dot[slot(WeightType::kQ4_0)] = vec_dot_q4_0_neon;
  return k;
}
const KernelTable& neon_table() {  // AArch64 always has NEON
  static const KernelTable t = make_neon();
  return t;
}
#endif

const KernelTable* pick() {
  const char* env = std::getenv("HEARTH_KERNELS");
  if (env && std::strcmp(env, "ref") == 0) return &ref_table();
#if defined(HEARTH_HAVE_AVX2)
  if (cpu_has_avx2()) return &avx2_table();
#endif
#if defined(HEARTH_HAVE_NEON)
  return &neon_table();
#endif
  return &ref_table();
}

const WeightTypeTraits kTraits[kWeightTypeSlots] = {
    /* 0 */ {"F32", 1, 4, ActFormat::kF32},
    /* 1 */ {"F16", 1, 2, ActFormat::kF32},
    /* 2 */ {"Q4_0", 32, 18, ActFormat::kQ8_0},
    /* 3 */ {"Q4_1", 32, 20, ActFormat::kQ8_0},
    {nullptr, 0, 0, ActFormat::kF32},
    {nullptr, 0, 0, ActFormat::kF32},
    {nullptr, 0, 0, ActFormat::kF32},
    {nullptr, 0, 0, ActFormat::kF32},
    /* 8 */ {"Q8_0", 32, 34, ActFormat::kQ8_0},
    {nullptr, 0, 0, ActFormat::kF32},
    {nullptr, 0, 0, ActFormat::kF32},
    {nullptr, 0, 0, ActFormat::kF32},
    /* 12 */ {"Q4_K", 256, 144, ActFormat::kQ8K},
    /* 13 */ {"Q5_K", 256, 176, ActFormat::kQ8K},
    /* 14 */ {"Q6_K", 256, 210, ActFormat::kQ8K},
};

}  // namespace

const KernelTable& kernels() {
  static const KernelTable* best = pick();
  return *best;
}

const KernelTable& reference_kernels() { return ref_table(); }

std::vector<const KernelTable*> supported_kernel_tables() {
  std::vector<const KernelTable*> out{&ref_table()};
#if defined(HEARTH_HAVE_AVX2)
  if (cpu_has_avx2()) out.push_back(&avx2_table());
#endif
#if defined(HEARTH_HAVE_NEON)
  out.push_back(&neon_table());
#endif
  return out;
}

const WeightTypeTraits* weight_type_traits(WeightType t) {
  const size_t i = static_cast<size_t>(t);
  if (i >= static_cast<size_t>(kWeightTypeSlots) || kTraits[i].name == nullptr) return nullptr;
  return &kTraits[i];
}

size_t weight_row_bytes(WeightType t, int n) {
  const WeightTypeTraits* tr = weight_type_traits(t);
  return static_cast<size_t>(n / tr->block_elems) * static_cast<size_t>(tr->block_bytes);
}

size_t act_bytes(WeightType t, int n) {
  switch (weight_type_traits(t)->act) {
    case ActFormat::kF32: return sizeof(float) * static_cast<size_t>(n);
    case ActFormat::kQ8_0: return sizeof(BlockQ8) * static_cast<size_t>(n / kQ8Block);
    case ActFormat::kQ8K: return sizeof(BlockQ8K) * static_cast<size_t>(n / kQKBlock);
  }
  return 0;
}

void prepare_act(const KernelTable& k, WeightType t, int n, const float* x, void* act) {
  switch (weight_type_traits(t)->act) {
    case ActFormat::kF32: std::memcpy(act, x, sizeof(float) * static_cast<size_t>(n)); return;
    case ActFormat::kQ8_0: k.quantize_q8_0(n, x, static_cast<BlockQ8*>(act)); return;
    case ActFormat::kQ8K: k.quantize_q8_k(n, x, static_cast<BlockQ8K*>(act)); return;
  }
}

}  // namespace hearth
