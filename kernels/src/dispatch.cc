// CPU features are probed once; HEARTH_KERNELS=ref forces the reference.
#include <cstdlib>
#include <cstring>

#include "kernels_internal.h"

namespace hearth {
namespace {

const KernelTable kRef = {"ref", dot_f32_ref, dot_q8_f32_ref};
#if defined(HEARTH_HAVE_AVX2)
const KernelTable kAvx2 = {"avx2", dot_f32_avx2, dot_q8_f32_avx2};
bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

const KernelTable* pick() {
  const char* env = std::getenv("HEARTH_KERNELS");
  if (env && std::strcmp(env, "ref") == 0) return &kRef;
#if defined(HEARTH_HAVE_AVX2)
  if (cpu_has_avx2()) return &kAvx2;
#endif
  return &kRef;
}

}  // namespace

const KernelTable& kernels() {
  static const KernelTable* best = pick();
  return *best;
}

const KernelTable& reference_kernels() { return kRef; }

std::vector<const KernelTable*> supported_kernel_tables() {
  std::vector<const KernelTable*> out{&kRef};
#if defined(HEARTH_HAVE_AVX2)
  if (cpu_has_avx2()) out.push_back(&kAvx2);
#endif
  return out;
}

}  // namespace hearth
