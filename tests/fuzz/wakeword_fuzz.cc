// libFuzzer target: hearth-kws GGUF model files (issue 4). Any input must load
// or fail with an error; a model that loads must also run a few frames.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hearth/wakeword/detector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = hearth::load_wake_model_from_memory(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!m) return 0;
  std::vector<float> pcm(160 * 8, 0.01f);
  (void)hearth::wake_scores(**m, pcm);
  return 0;
}
