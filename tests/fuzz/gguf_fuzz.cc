// libFuzzer target for the GGUF reader (STYLE.md §11): any byte string must
// parse or fail cleanly. Built only with clang and -fsanitize=fuzzer (see
// tests/fuzz/CMakeLists.txt); run:
//   build/tests/fuzz/gguf_fuzz assets/fuzz/gguf -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <span>

#include "gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = hearth::GgufFile::from_bytes(std::span<const uint8_t>(data, size));
  if (f) {
    // Touch everything the parser handed out: metadata and every tensor byte.
    const hearth::GgufFile& g = **f;
    size_t sum = g.describe().size();
    for (const auto& kv : g.kvs()) {
      (void)g.get_int(kv.key);
      (void)g.get_float(kv.key);
      (void)g.get_f32_array(kv.key);
      (void)g.get_int_array(kv.key);
      for (auto s : kv.strings) sum += s.size();
    }
    for (const auto& t : g.tensors()) {
      const uint8_t* p = static_cast<const uint8_t*>(t.data);
      for (uint64_t i = 0; i < t.n_bytes; ++i) sum += p[i];
    }
    if (sum == 1) return 0;
  }
  return 0;
}
