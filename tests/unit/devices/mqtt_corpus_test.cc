// Replays the MQTT codec fuzz corpus (assets/fuzz/mqtt) in the normal g++
// build, so every checked-in malformed broker message is exercised on each
// test run even where libFuzzer is not available: none may crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "../../fuzz/mqtt_fuzz_one.h"

namespace {

TEST(MqttCorpus, EveryCorpusInputParsesOrFailsCleanly) {
  const std::filesystem::path dir = std::filesystem::path(HEARTH_ASSETS_DIR) / "fuzz" / "mqtt";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hearth::mqtt::fuzz_one(bytes.data(), bytes.size());
    ++n;
  }
  EXPECT_GE(n, 10) << "corpus missing at " << dir;
}

// Every prefix of every corpus input (truncated messages) too.
TEST(MqttCorpus, TruncatedInputsFailCleanly) {
  const std::filesystem::path dir = std::filesystem::path(HEARTH_ASSETS_DIR) / "fuzz" / "mqtt";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t len = 0; len <= bytes.size(); ++len) hearth::mqtt::fuzz_one(bytes.data(), len);
  }
}

}  // namespace
