// Private: variant entry points registered in dispatch.cc.
#pragma once

#include "hearth/kernels/kernels.h"

namespace hearth {

float dot_f32_ref(int n, const float* a, const float* b);
float dot_q8_f32_ref(int n, const BlockQ8* w, const float* x);

#if defined(HEARTH_HAVE_AVX2)
float dot_f32_avx2(int n, const float* a, const float* b);
float dot_q8_f32_avx2(int n, const BlockQ8* w, const float* x);
#endif

}  // namespace hearth
