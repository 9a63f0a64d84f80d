// nlu/src/llm/quantize.h: our model quantizer. Re-writes a GGUF with its 2-D
// weight matrices in another type (the reference quantizers in kernels/),
// copying every metadata key. Used by `hearth llm quantize`, the quality
// tests and the benchmark model generator.
#pragma once

#include <cstdint>
#include <vector>

#include "gguf.h"
#include "hearth/common/result.h"
#include "hearth/kernels/kernels.h"

namespace hearth::llm {

struct QuantizeStats {
  int n_quantized = 0;  // tensors converted
  int n_kept = 0;       // tensors copied as they were (vectors, rows not a block multiple)
};

// Every 2-D tensor whose row length is a multiple of `type`'s block size is
// converted (from F32, F16 or any type the kernels can dequantize); norms,
// biases and rows that do not fit the block stay as they are, as llama.cpp
// does. Returns the new file's bytes.
Result<std::vector<uint8_t>> quantize_gguf(const GgufFile& in, WeightType type, QuantizeStats* stats = nullptr);

}  // namespace hearth::llm
