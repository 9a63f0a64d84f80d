// libFuzzer target for the Wyoming framing parser (daemon/src/wyoming_protocol.h).
// The input is fed in pieces whose sizes come from the first byte, so split
// headers, data and payloads are exercised. Invariants: no crash, the buffer
// never exceeds the limits, an error is sticky, and every parsed message
// round-trips through encode_wyoming unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "wyoming_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 61;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  hearth::WyomingLimits limits;
  limits.max_header_bytes = 512;
  limits.max_data_bytes = 256;
  limits.max_payload_bytes = 1024;
  hearth::WyomingParser parser(limits);
  std::vector<hearth::WyomingMessage> msgs;
  bool failed = false;
  while (!in.empty()) {
    const size_t n = std::min(step, in.size());
    auto r = parser.feed(in.substr(0, n), msgs);
    in.remove_prefix(n);
    if (!r) {
      failed = true;
      if (!parser.failed()) std::abort();
    } else if (failed) {
      std::abort();  // errors are sticky
    }
    if (parser.buffered() > limits.max_header_bytes + limits.max_data_bytes + limits.max_payload_bytes) std::abort();
  }
  for (const auto& m : msgs) {
    hearth::WyomingParser again;
    std::vector<hearth::WyomingMessage> back;
    auto r = again.feed(hearth::encode_wyoming(m), back);
    if (!r || back.size() != 1 || back[0].type != m.type || back[0].data != m.data || back[0].payload != m.payload)
      std::abort();
  }
  return 0;
}
