// CPU features are probed once; HEARTH_KERNELS=ref forces the reference.
#include <cstdlib>
#include <cstring>

#include "kernels_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace hearth {
namespace {

constexpr size_t slot(WeightType t) { return static_cast<size_t>(t); }

// Each variant states only what it adds on top of its base variant (the
// previous entry of kVariants that it names), so the tables are never
// near-copies of each other: "avx2" overrides the reference where it has a
// faster kernel (gelu and rope stay reference: they run once per token per
// layer on a few hundred floats), "avx512" overrides "avx2" likewise.
void install_ref(KernelTable& k) {
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
  k.mat_mul_x4[slot(WeightType::kQ4_0)] = x4_by_rows<WeightType::kQ4_0, vec_dot_q4_0_ref>;
  k.mat_mul_x4[slot(WeightType::kQ8_0)] = x4_by_rows<WeightType::kQ8_0, vec_dot_q8_0_ref>;
  k.mat_mul_x4[slot(WeightType::kQ4_K)] = x4_by_rows<WeightType::kQ4_K, vec_dot_q4_k_ref>;
  k.mat_mul_x4[slot(WeightType::kQ5_K)] = x4_by_rows<WeightType::kQ5_K, vec_dot_q5_k_ref>;
  k.mat_mul_x4[slot(WeightType::kQ6_K)] = x4_by_rows<WeightType::kQ6_K, vec_dot_q6_k_ref>;
  k.quantize_q8_0 = quantize_q8_0_ref;
  k.quantize_q8_k = quantize_q8_k_ref;
  k.rms_norm = rms_norm_ref;
  k.softmax = softmax_ref;
  k.swiglu = swiglu_ref;
  k.gelu = gelu_ref;
  k.rope = rope_ref;
  k.f32_to_f16_row = f32_to_f16_row_ref;
  k.axpy_f16 = axpy_f16_ref;
  k.attn_scores_f16 = attn_scores_f16_ref;
  k.attn_values_f16 = attn_values_f16_ref;
}

#if defined(HEARTH_HAVE_AVX2)
void install_avx2(KernelTable& k) {
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
  k.mat_mul[slot(WeightType::kQ8_0)] = mat_mul_q8_0_avx2;
  k.mat_mul[slot(WeightType::kQ4_0)] = mat_mul_q4_0_avx2;
  k.mat_mul[slot(WeightType::kQ4_K)] = mat_mul_q4_k_avx2;
  k.mat_mul_x4[slot(WeightType::kQ4_0)] = mat_mul_q4_0x4_avx2;
  k.mat_mul_x4[slot(WeightType::kQ8_0)] = mat_mul_q8_0x4_avx2;
  k.mat_mul_x4[slot(WeightType::kQ4_K)] = mat_mul_q4_kx4_avx2;
  k.mat_mul_x4[slot(WeightType::kQ5_K)] = mat_mul_q5_kx4_avx2;
  k.mat_mul_x4[slot(WeightType::kQ6_K)] = mat_mul_q6_kx4_avx2;
  k.quantize_q8_0 = quantize_q8_0_avx2;
  k.quantize_q8_k = quantize_q8_k_avx2;
  k.rms_norm = rms_norm_avx2;
  k.softmax = softmax_avx2;
  k.swiglu = swiglu_avx2;
  k.f32_to_f16_row = f32_to_f16_row_avx2;
  k.axpy_f16 = axpy_f16_avx2;
  k.attn_scores_f16 = attn_scores_f16_avx2;
  k.attn_values_f16 = attn_values_f16_avx2;
}
// F16C from CPUID leaf 1, ECX bit 29: clang (14) does not accept "f16c" in
// __builtin_cpu_supports, gcc does; both accept "avx2" and "fma".
bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
}
bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
}
#endif

#if defined(HEARTH_HAVE_AVX512)
void install_avx512(KernelTable& k) {
  k.vec_dot[slot(WeightType::kQ8_0)] = vec_dot_q8_0_avx512;
  k.vec_dot[slot(WeightType::kQ4_0)] = vec_dot_q4_0_avx512;
  k.vec_dot[slot(WeightType::kQ4_K)] = vec_dot_q4_k_avx512;
  k.mat_mul[slot(WeightType::kQ8_0)] = mat_mul_q8_0_avx512;
  k.mat_mul[slot(WeightType::kQ4_0)] = mat_mul_q4_0_avx512;
  k.mat_mul[slot(WeightType::kQ4_K)] = mat_mul_q4_k_avx512;
  k.mat_mul_x4[slot(WeightType::kQ4_0)] = mat_mul_q4_0x4_avx512;
  k.mat_mul_x4[slot(WeightType::kQ8_0)] = mat_mul_q8_0x4_avx512;
  k.mat_mul_x4[slot(WeightType::kQ4_K)] = mat_mul_q4_kx4_avx512;
  k.mat_mul_x4[slot(WeightType::kQ5_K)] = mat_mul_q5_kx4_avx512;
  k.mat_mul_x4[slot(WeightType::kQ6_K)] = mat_mul_q6_kx4_avx512;
}
bool cpu_has_avx512() {
  __builtin_cpu_init();
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}
#endif

#if defined(HEARTH_HAVE_NEON)
void install_neon(KernelTable& k) {
  k.dot_f32 = dot_f32_neon;
  k.vec_dot[slot(WeightType::kQ8_0)] = vec_dot_q8_0_neon;
  k.vec_dot[slot(WeightType::kQ4_0)] = vec_dot_q4_0_neon;
  k.mat_mul_x4[slot(WeightType::kQ4_0)] = x4_by_rows<WeightType::kQ4_0, vec_dot_q4_0_neon>;
  k.mat_mul_x4[slot(WeightType::kQ8_0)] = x4_by_rows<WeightType::kQ8_0, vec_dot_q8_0_neon>;
  k.mat_mul_x4[slot(WeightType::kQ4_K)] = x4_by_rows<WeightType::kQ4_K, vec_dot_q4_k_ref>;
  k.mat_mul_x4[slot(WeightType::kQ5_K)] = x4_by_rows<WeightType::kQ5_K, vec_dot_q5_k_ref>;
  k.mat_mul_x4[slot(WeightType::kQ6_K)] = x4_by_rows<WeightType::kQ6_K, vec_dot_q6_k_ref>;
}
bool cpu_has_neon() { return true; }  // part of the AArch64 base ISA
#endif

bool always() { return true; }

struct Variant {
  const char* name;
  int base;  // index of the variant this one starts from; -1: empty table
  bool (*available)();
  void (*install)(KernelTable&);
};

// Reference first, then in order of preference (the last available wins).
const Variant kVariants[] = {
    {"ref", -1, always, install_ref},
#if defined(HEARTH_HAVE_AVX2)
    {"avx2", 0, cpu_has_avx2, install_avx2},
#endif
#if defined(HEARTH_HAVE_AVX2) && defined(HEARTH_HAVE_AVX512)
    {"avx512", 1, cpu_has_avx512, install_avx512},
#endif
#if defined(HEARTH_HAVE_NEON)
    {"neon", 0, cpu_has_neon, install_neon},
#endif
};
constexpr int kNumVariants = static_cast<int>(sizeof(kVariants) / sizeof(kVariants[0]));

struct Tables {
  KernelTable table[kNumVariants];
  bool available[kNumVariants];
  Tables() {
    for (int i = 0; i < kNumVariants; ++i) {
      const Variant& v = kVariants[i];
      table[i] = v.base < 0 ? KernelTable{} : table[v.base];
      table[i].name = v.name;
      v.install(table[i]);
      available[i] = v.available() && (v.base < 0 || available[v.base]);
    }
  }
};
// Built on first use (function-local static), so callers in other
// translation units' static initializers (benchmark registration) see them
// complete.
const Tables& tables() {
  static const Tables t;
  return t;
}

// HEARTH_KERNELS=<name> (ref, avx2, ...) selects an available variant;
// otherwise the last available one in kVariants.
const KernelTable* pick() {
  const Tables& t = tables();
  const char* env = std::getenv("HEARTH_KERNELS");
  for (int i = 0; env && *env && i < kNumVariants; ++i)
    if (t.available[i] && std::strcmp(env, kVariants[i].name) == 0) return &t.table[i];
  const KernelTable* best = &t.table[0];
  for (int i = 0; i < kNumVariants; ++i)
    if (t.available[i]) best = &t.table[i];
  return best;
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

const KernelTable& reference_kernels() { return tables().table[0]; }

std::vector<const KernelTable*> supported_kernel_tables() {
  std::vector<const KernelTable*> out;
  for (int i = 0; i < kNumVariants; ++i)
    if (tables().available[i]) out.push_back(&tables().table[i]);
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

void mat_mul(const KernelTable& k, WeightType t, int n, int nrows, const void* w, size_t row_bytes, int ncols,
             const void* act, size_t act_stride, float* y, size_t y_stride) {
  if (const MatMulFn f = k.mat_mul[slot(t)]) {
    f(n, nrows, w, row_bytes, ncols, act, act_stride, y, y_stride);
    return;
  }
  const VecDotFn dot = k.vec_dot[slot(t)];
  const unsigned char* wb = static_cast<const unsigned char*>(w);
  const unsigned char* ab = static_cast<const unsigned char*>(act);
  for (int r = 0; r < nrows; ++r)  // row outer: the row stays in L1 across columns
    for (int c = 0; c < ncols; ++c)
      y[size_t(c) * y_stride + size_t(r)] = dot(n, wb + size_t(r) * row_bytes, ab + size_t(c) * act_stride);
}

}  // namespace hearth
