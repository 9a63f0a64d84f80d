// libFuzzer target for the GBNF grammar parser and the JSON Schema → GBNF
// converter (issue 6): any text must parse or fail with an error, never
// crash or hang. Built only with clang (tests/fuzz/CMakeLists.txt); run:
//   build/tests/fuzz/gbnf_fuzz assets/fuzz/gbnf -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llm/gbnf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hearth::llm::parse_gbnf(text);
  if (auto g = hearth::llm::gbnf_from_json_schema(text)) (void)hearth::llm::parse_gbnf(*g);
  return 0;
}
