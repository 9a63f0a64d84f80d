// The Wyoming framing parser (daemon/src/wyoming_protocol.h): well-formed
// messages in any split, data merging, and every kind of malformed or
// oversized input → a clear, sticky error (the server then closes the
// connection). Also replays the fuzz corpus with the fuzz target's checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wyoming_protocol.h"

namespace hearth {
namespace {

using nlohmann::json;

std::vector<WyomingMessage> parse_all(std::string_view bytes, size_t step, WyomingLimits limits = {}) {
  WyomingParser p(limits);
  std::vector<WyomingMessage> out;
  for (size_t i = 0; i < bytes.size(); i += step) {
    auto r = p.feed(bytes.substr(i, std::min(step, bytes.size() - i)), out);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) break;
  }
  EXPECT_TRUE(p.idle());
  return out;
}

// The error message for `bytes`, "" when it parsed.
std::string error_of(std::string_view bytes, WyomingLimits limits = {}) {
  WyomingParser p(limits);
  std::vector<WyomingMessage> out;
  auto r = p.feed(bytes, out);
  if (r) return "";
  EXPECT_TRUE(p.failed());
  auto again = p.feed("{\"type\": \"describe\"}\n", out);  // sticky
  EXPECT_FALSE(again);
  return r.error().message;
}

TEST(WyomingProtocol, ParsesMessagesInAnySplit) {
  const std::string data = R"({"rate": 16000, "width": 2, "channels": 1})";
  std::string stream = "{\"type\": \"describe\"}\n";
  stream += "{\"type\": \"audio-chunk\", \"data\": {\"rate\": 8000, \"timestamp\": 5}, \"data_length\": " +
            std::to_string(data.size()) + ", \"payload_length\": 6, \"version\": \"1.5.2\"}\n" + data +
            std::string("\x01\x00\n\xff\x00\x7f", 6);
  stream += "{\"type\":\"recognize\",\"data\":{\"text\":\"turn on the lights\"}}\r\n";
  for (size_t step : {1u, 2u, 7u, 64u, 100000u}) {
    SCOPED_TRACE(step);
    auto msgs = parse_all(stream, step);
    ASSERT_EQ(msgs.size(), 3u);
    EXPECT_EQ(msgs[0].type, "describe");
    EXPECT_TRUE(msgs[0].data.is_object() && msgs[0].data.empty());
    EXPECT_EQ(msgs[1].type, "audio-chunk");
    EXPECT_EQ(msgs[1].data["rate"], 16000);  // the data section wins over the header's data
    EXPECT_EQ(msgs[1].data["timestamp"], 5);
    EXPECT_EQ(msgs[1].data["channels"], 1);
    EXPECT_EQ(msgs[1].payload, std::string("\x01\x00\n\xff\x00\x7f", 6));
    EXPECT_EQ(msgs[2].data["text"], "turn on the lights");
  }
}

TEST(WyomingProtocol, EncodeRoundTrips) {
  WyomingMessage m;
  m.type = "audio-chunk";
  m.data = json{{"rate", 16000}, {"text", "ünïcode \"quoted\"\n"}};
  m.payload = std::string("\0\1\2\n\n", 5);
  auto back = parse_all(encode_wyoming(m) + encode_wyoming("audio-stop"), 3);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].type, m.type);
  EXPECT_EQ(back[0].data, m.data);
  EXPECT_EQ(back[0].payload, m.payload);
  EXPECT_EQ(back[1].type, "audio-stop");
  EXPECT_EQ(encode_wyoming("describe"), "{\"type\":\"describe\"}\n");
}

TEST(WyomingProtocol, MalformedHeadersAreErrors) {
  EXPECT_NE(error_of("not json\n").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("\n").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1, 2]\n").find("not a JSON object"), std::string::npos);
  EXPECT_NE(error_of("{\"data\": {}}\n").find("no string \"type\""), std::string::npos);
  EXPECT_NE(error_of("{\"type\": 3}\n").find("no string \"type\""), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"\"}\n").find("\"type\" must be"), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"" + std::string(65, 'x') + "\"}\n").find("\"type\" must be"), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"x\", \"data\": [1]}\n").find("\"data\" must be an object"), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"x\", \"data_length\": -1}\n").find("non-negative"), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"x\", \"payload_length\": 1.5}\n").find("non-negative"), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"x\", \"payload_length\": \"9\"}\n").find("non-negative"), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"x\", \"payload_length\": 1e30}\n").find("non-negative"), std::string::npos);
  EXPECT_NE(error_of("{\"type\":\"x\"}{\"type\":\"y\"}\n").find("not valid JSON"), std::string::npos);
  // The message number helps find the bad one in a stream.
  EXPECT_NE(error_of("{\"type\":\"a\"}\n{\"type\":\"b\"}\nbad\n").find("message 3"), std::string::npos);
}

TEST(WyomingProtocol, BadDataSectionIsAnError) {
  EXPECT_NE(error_of("{\"type\": \"x\", \"data_length\": 3}\n[1]").find("data section"), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"x\", \"data_length\": 4}\n{\"a\"").find("data section"), std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"x\", \"data_length\": 2}\n\"\"").find("data section"), std::string::npos);
}

TEST(WyomingProtocol, LimitsAreEnforcedBeforeBuffering) {
  WyomingLimits limits;
  limits.max_header_bytes = 100;
  limits.max_data_bytes = 50;
  limits.max_payload_bytes = 1000;
  // A header line with no newline is refused as soon as it passes the limit.
  WyomingParser p(limits);
  std::vector<WyomingMessage> out;
  EXPECT_TRUE(p.feed("{\"type\": \"" + std::string(80, 'a'), out));
  auto r = p.feed(std::string(30, 'a'), out);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("longer than 100 bytes"), std::string::npos) << r.error().message;
  EXPECT_EQ(p.buffered(), 0u);
  EXPECT_NE(error_of("{\"type\": \"x\", \"data_length\": 51}\n", limits).find("exceeds the limit of 50"),
            std::string::npos);
  EXPECT_NE(error_of("{\"type\": \"x\", \"payload_length\": 1001}\n", limits).find("exceeds the limit of 1000"),
            std::string::npos);
  EXPECT_EQ(error_of("{\"type\": \"x\", \"payload_length\": 1000}\n" + std::string(1000, 'p'), limits), "");
}

TEST(WyomingProtocol, IncompleteMessageWaitsForMore) {
  WyomingParser p;
  std::vector<WyomingMessage> out;
  ASSERT_TRUE(p.feed("{\"type\": \"audio-chunk\", \"payload_length\": 4}\nab", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(p.idle());
  ASSERT_TRUE(p.feed("cd{\"type\"", out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, "abcd");
  EXPECT_FALSE(p.idle());
}

// Replays assets/fuzz/wyoming with the fuzz target's invariants.
TEST(WyomingProtocol, FuzzCorpusReplay) {
  const std::filesystem::path dir = std::filesystem::path(HEARTH_ASSETS_DIR) / "fuzz" / "wyoming";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  size_t files = 0, parsed = 0, failed = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string bytes = ss.str();
    if (bytes.empty()) continue;
    ++files;
    const size_t step = 1 + static_cast<uint8_t>(bytes[0]) % 61;
    WyomingLimits limits;
    limits.max_header_bytes = 512;
    limits.max_data_bytes = 256;
    limits.max_payload_bytes = 1024;
    WyomingParser p(limits);
    std::vector<WyomingMessage> msgs;
    std::string_view in(bytes);
    in.remove_prefix(1);
    bool bad = false;
    while (!in.empty()) {
      const size_t n = std::min(step, in.size());
      auto r = p.feed(in.substr(0, n), msgs);
      in.remove_prefix(n);
      if (!r) bad = true;
      EXPECT_EQ(bad, p.failed()) << e.path();
    }
    bad ? ++failed : ++parsed;
    for (const auto& m : msgs) {
      WyomingParser again;
      std::vector<WyomingMessage> back;
      ASSERT_TRUE(again.feed(encode_wyoming(m), back)) << e.path();
      ASSERT_EQ(back.size(), 1u);
      EXPECT_EQ(back[0].type, m.type);
      EXPECT_EQ(back[0].data, m.data);
      EXPECT_EQ(back[0].payload, m.payload);
    }
  }
  EXPECT_GE(files, 7u);
  EXPECT_GE(parsed, 3u);  // describe, recognize, audio
  EXPECT_GE(failed, 4u);  // the malformed ones
}

}  // namespace
}  // namespace hearth
