// libFuzzer target for the MQTT codec (devices/src/mqtt_codec.h): every
// message from the broker — Zigbee2MQTT state and bridge/devices, Home
// Assistant discovery, availability — and every home-file binding must parse
// or fail cleanly. The first byte picks the parser, the rest is the payload.
// Corpus: assets/fuzz/mqtt (replayed in the g++ build by
// tests/unit/devices/mqtt_corpus_test.cc). Run:
//   build-fuzz/tests/fuzz/mqtt_codec_fuzz assets/fuzz/mqtt -max_total_time=60
#include <cstddef>
#include <cstdint>

#include "mqtt_fuzz_one.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::mqtt::fuzz_one(data, size);
  return 0;
}
