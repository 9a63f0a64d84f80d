// Run-time selection for kernels/nn.h, on the same rule as dispatch.cc: the
// best variant the CPU supports unless HEARTH_KERNELS=ref.
#include <cstdlib>
#include <cstring>

#include "hearth/kernels/nn.h"
#include "nn_internal.h"

namespace hearth {
namespace {

const NnKernelTable& ref_nn() {
  static const NnKernelTable t{"ref", dense_i8_ref, dwconv_i8_ref, requant_i8_ref};
  return t;
}

#if defined(HEARTH_HAVE_AVX2)
const NnKernelTable& avx2_nn() {
  static const NnKernelTable t{"avx2", dense_i8_avx2, dwconv_i8_avx2, requant_i8_avx2};
  return t;
}
bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

bool forced_ref() {
  const char* env = std::getenv("HEARTH_KERNELS");
  return env != nullptr && std::strcmp(env, "ref") == 0;
}

}  // namespace

const NnKernelTable& reference_nn_kernels() { return ref_nn(); }

std::vector<const NnKernelTable*> supported_nn_kernel_tables() {
  std::vector<const NnKernelTable*> v{&ref_nn()};
#if defined(HEARTH_HAVE_AVX2)
  if (cpu_has_avx2_fma()) v.push_back(&avx2_nn());
#endif
  return v;
}

const NnKernelTable& nn_kernels() {
  static const NnKernelTable* best = [] {
    if (forced_ref()) return &ref_nn();
    return supported_nn_kernel_tables().back();
  }();
  return *best;
}

}  // namespace hearth
