// The WebSocket client-message parser (ws_events.h) on good and hostile input.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "api_static.h"
#include "auth.h"
#include "auth_routes.h"
#include "ws_events.h"

namespace hearth {
namespace {

using Kind = WsClientMessage::Kind;

TEST(WsProtocol, GoodMessages) {
  WsClientMessage a = parse_ws_client_message(R"({"type":"auth","access_token":"hth_x"})");
  EXPECT_EQ(a.kind, Kind::kAuth);
  EXPECT_EQ(a.access_token, "hth_x");
  WsClientMessage s = parse_ws_client_message(R"({"type":"subscribe","events":["state_changed","wake"]})");
  EXPECT_EQ(s.kind, Kind::kSubscribe);
  EXPECT_EQ(s.events, (std::vector<std::string>{"state_changed", "wake"}));
  EXPECT_EQ(parse_ws_client_message(R"({"type":"subscribe"})").kind, Kind::kSubscribe);
  EXPECT_EQ(parse_ws_client_message(R"({"type":"subscribe","events":null})").kind, Kind::kSubscribe);
  EXPECT_EQ(parse_ws_client_message(R"({"type":"ping"})").kind, Kind::kPing);
}

TEST(WsProtocol, MalformedMessagesSayWhy) {
  const char* bad[] = {
      "",
      "{",
      "null",
      "[]",
      "\"auth\"",
      "{}",
      R"({"type":7})",
      R"({"type":"auth"})",
      R"({"type":"auth","access_token":""})",
      R"({"type":"auth","access_token":42})",
      R"({"type":"subscribe","events":"wake"})",
      R"({"type":"subscribe","events":[1,2]})",
      R"({"type":"subscribe","events":[""]})",
      R"({"type":"launch_missiles"})",
      "\xff\xfe{\"type\":\"ping\"}",
      "{\"type\":\"ping\"\x00}",
  };
  for (const char* text : bad) {
    WsClientMessage m = parse_ws_client_message(text);
    EXPECT_EQ(m.kind, Kind::kInvalid) << text;
    EXPECT_FALSE(m.error.empty()) << text;
  }
  std::string many = R"({"type":"subscribe","events":[)";
  for (int i = 0; i < 65; ++i) many += std::string(i ? "," : "") + "\"t" + std::to_string(i) + "\"";
  many += "]}";
  EXPECT_EQ(parse_ws_client_message(many).kind, Kind::kInvalid);
  std::string long_name = R"({"type":"subscribe","events":[")" + std::string(65, 'x') + "\"]}";
  EXPECT_EQ(parse_ws_client_message(long_name).kind, Kind::kInvalid);
  // Deep nesting must not crash the parser.
  std::string deep(5000, '[');
  EXPECT_EQ(parse_ws_client_message(deep).kind, Kind::kInvalid);
}

// Replays the fuzz corpora (assets/fuzz/ws, assets/fuzz/http) through the
// same parsers as the libFuzzer targets, in the normal build.
TEST(WsProtocol, FuzzCorpusReplay) {
  int n = 0;
  for (const char* dir : {"/fuzz/ws", "/fuzz/http"}) {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(HEARTH_ASSETS_DIR) + dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      WsClientMessage m = parse_ws_client_message(text);
      if (m.kind == Kind::kInvalid) { EXPECT_FALSE(m.error.empty()) << entry.path(); }
      (void)auth_detail::bearer_token(text);
      (void)auth_detail::is_loopback_host(text);
      (void)match_route("GET", text);
      EXPECT_EQ(find_web_file(text) != nullptr, text == "/" || text == "/index.html") << entry.path();
      ++n;
    }
  }
  EXPECT_GE(n, 10);
}

TEST(LatencyHistogramTest, BucketsAreCumulativeFriendly) {
  LatencyHistogram h;
  h.observe(1);
  h.observe(5);
  h.observe(7);
  h.observe(100000);
  EXPECT_EQ(h.counts[0], 2u);  // <= 5
  EXPECT_EQ(h.counts[1], 1u);  // <= 10
  EXPECT_EQ(h.counts[LatencyHistogram::kBuckets], 1u);
  EXPECT_EQ(h.n, 4u);
  EXPECT_DOUBLE_EQ(h.sum_ms, 100013);
}

}  // namespace
}  // namespace hearth
