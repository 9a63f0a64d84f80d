// Tests for the cascade (issue 7): the intent constraint automaton, the
// cloud client's reply reader and HTTP parser (malformed inputs), the cloud
// path against a real loopback HTTP server, offline behaviour, and the
// per-intent confidence rules.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "cloud_http.h"
#include "hearth/nlu/cascade.h"
#include "intent_llm_constraint.h"
#include "test_home.h"

namespace hearth {
Result<CloudAnswer> read_cloud_reply_for_test(const Home& home, const std::string& body);

namespace {

using nlu::ConstraintState;
using nlu::IntentConstraint;
using nlu::IntentGrammar;

bool accepts(const IntentConstraint& c, std::string_view json, const nlu::CharTrie* labels = nullptr) {
  constexpr std::string_view kStart = "{\"intent\":\"";
  if (json.substr(0, kStart.size()) != kStart) return false;
  ConstraintState s = c.start();
  s.labels = labels;
  return c.accept(s, json.substr(kStart.size())) && c.done(s);
}

TEST(IntentConstraint, AcceptsIntentsWithHomeNamesAndRanges) {
  Home home = load_test_home();
  IntentGrammar g(home);
  IntentConstraint c(g);
  EXPECT_TRUE(accepts(c, R"({"intent":"HassTurnOn","name":"big light"})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassTurnOff","area":"kitchen","domain":"light"})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassLightSet","name":"left lamp","brightness":100})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassLightSet","name":"left lamp","color":"warm white"})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassLightSet","area":"bedroom","domain":"light","color_temp":2700})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassClimateSetTemperature","name":"radiator","temperature":21.5})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassStartTimer","minutes":10,"timer_name":"pasta"})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassGetCurrentTime"})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"unknown"})"));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassTurnOn","floor":"downstairs","domain":"light"})"));
}

TEST(IntentConstraint, RejectsInventedDevicesBadNumbersAndWrongKeys) {
  Home home = load_test_home();
  IntentGrammar g(home);
  IntentConstraint c(g);
  EXPECT_FALSE(accepts(c, R"({"intent":"HassTurnOn","name":"jacuzzi"})"));       // not in the home
  EXPECT_FALSE(accepts(c, R"({"intent":"HassTurnOn","name":"big ligh"})"));      // prefix only
  EXPECT_FALSE(accepts(c, R"({"intent":"HassTurnOn","area":"attic"})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassDance"})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassLightSet","name":"left lamp","brightness":101})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassLightSet","name":"left lamp","brightness":07})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassLightSet","name":"left lamp","color_temp":2800})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassLightSet","name":"left lamp","color":"plaid"})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassClimateSetTemperature","temperature":35.5})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassClimateSetTemperature","temperature":21.55})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassTurnOn","name":"big light","name":"big light"})"));  // repeated key
  EXPECT_FALSE(accepts(c, R"({"intent":"HassTurnOn","area":"kitchen","name":"big light"})"));    // out of order
  EXPECT_FALSE(accepts(c, R"({"intent":"HassGetCurrentTime","name":"big light"})"));  // key not allowed
  EXPECT_FALSE(accepts(c, R"({"intent":"HassTurnOn","brightness":50})"));             // key not allowed
  EXPECT_FALSE(accepts(c, R"({"intent":"HassTurnOn"} trailing)"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassStartTimer","timer_name":""})"));
}

// With the sentence's phrases given, a timer's name is one of them.
TEST(IntentConstraint, TimerNamesComeFromTheSentence) {
  Home home = load_test_home();
  IntentGrammar g(home);
  IntentConstraint c(g);
  nlu::CharTrie said;
  for (const char* p : {"plank", "plank timer", "timer", "45", "seconds"}) said.add(p);
  EXPECT_TRUE(accepts(c, R"({"intent":"HassStartTimer","seconds":45,"timer_name":"plank"})", &said));
  EXPECT_TRUE(accepts(c, R"({"intent":"HassStartTimer","seconds":45,"timer_name":"plank timer"})", &said));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassStartTimer","seconds":45,"timer_name":"pizza"})", &said));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassStartTimer","seconds":45,"timer_name":"plan"})", &said));  // prefix only
  EXPECT_FALSE(accepts(c, R"({"intent":"HassStartTimer","seconds":45,"timer_name":""})", &said));
  // names, areas and numbers are unaffected
  EXPECT_TRUE(accepts(c, R"({"intent":"HassTurnOn","name":"big light"})", &said));
  // without the phrases, any short label (a general model's few-shot use)
  EXPECT_TRUE(accepts(c, R"({"intent":"HassStartTimer","seconds":45,"timer_name":"pizza"})"));
}

TEST(IntentConstraint, ForcedCharactersAreUnique) {
  Home home = load_test_home();
  IntentGrammar g(home);
  IntentConstraint c(g);
  ConstraintState s = c.start();
  ASSERT_TRUE(c.accept(s, "HassTurnO"));
  EXPECT_EQ(c.next_chars(s), "fn");
  ASSERT_TRUE(c.accept(s, "n\",\"name\":\"bi"));
  EXPECT_EQ(c.next_chars(s), "g");  // "big light" is the only name starting with "bi"
  ASSERT_TRUE(c.accept(s, "g light\"}"));
  EXPECT_TRUE(c.done(s));
  EXPECT_EQ(c.next_chars(s), "");
}

TEST(IntentConstraint, HomeSizeOnlyChangesTheTries) {
  // 500 devices: the automaton still accepts exactly the home's names.
  nlohmann::json h = {{"areas", {{{"id", "a"}, {"name", "Area"}}}}, {"devices", nlohmann::json::array()}};
  for (int i = 0; i < 500; ++i)
    h["devices"].push_back({{"id", "light.l" + std::to_string(i)}, {"name", "Lamp " + std::to_string(i)}, {"area", "a"}});
  ConfigErrors errors;
  auto home = Home::parse(h.dump(), "big.json", errors);
  ASSERT_TRUE(home) << errors.to_string();
  IntentGrammar g(*home);
  IntentConstraint c(g);
  EXPECT_TRUE(accepts(c, R"({"intent":"HassTurnOn","name":"lamp 499"})"));
  EXPECT_FALSE(accepts(c, R"({"intent":"HassTurnOn","name":"lamp 500"})"));
}

TEST(CloudReply, AcceptsCommonServerVariants) {
  Home home = load_test_home();
  // arguments as a JSON string, with an id
  auto a = read_cloud_reply_for_test(home, R"({"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"c1",
    "type":"function","function":{"name":"home_intent","arguments":"{\"intent\":\"HassTurnOn\",\"name\":\"big light\"}"}}]}}]})");
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(a->intent);
  EXPECT_EQ(a->intent->name, "HassTurnOn");
  EXPECT_EQ(std::get<std::string>(a->intent->slots.at("name")), "Kitchen Light");
  // arguments as an object, no id, nested {name, slots}
  auto b = read_cloud_reply_for_test(home, R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"home_intent",
    "arguments":{"intent":{"name":"HassLightSet","slots":{"area":"master bedroom","brightness":40}}}}}]}}]})");
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE(b->intent);
  EXPECT_EQ(std::get<std::string>(b->intent->slots.at("area")), "Bedroom");
  EXPECT_EQ(std::get<int64_t>(b->intent->slots.at("brightness")), 40);
  // intent JSON as fenced content
  auto c = read_cloud_reply_for_test(home, "{\"choices\":[{\"message\":{\"content\":\"```json\\n{\\\"intent\\\":\\\"HassGetCurrentTime\\\"}\\n```\"}}]}");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(c->intent);
  EXPECT_EQ(c->intent->name, "HassGetCurrentTime");
  // plain text: an answer to a general question
  auto d = read_cloud_reply_for_test(home, R"({"choices":[{"message":{"content":"Canberra is the capital."}}]})");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->intent);
  EXPECT_EQ(d->say, "Canberra is the capital.");
}

TEST(CloudReply, MalformedRepliesAreErrorsNotCrashes) {
  Home home = load_test_home();
  for (const char* body : {"", "not json", "[]", "{}", R"({"choices":[]})", R"({"choices":[1]})",
                           R"({"choices":[{"message":3}]})", R"({"choices":[{"message":{"tool_calls":[{}]}}]})",
                           R"({"choices":[{"message":{"tool_calls":[{"function":{"arguments":"{bad"}}]}}]})",
                           R"({"choices":[{"message":{"tool_calls":[{"function":{"arguments":{"intent":5}}}]}}]})",
                           R"({"choices":[{"message":{"tool_calls":[{"function":{"arguments":{"intent":"rm -rf"}}}]}}]})"}) {
    auto r = read_cloud_reply_for_test(home, body);
    EXPECT_FALSE(r) << body;
  }
}

TEST(CloudHttp, ParsesAndRejectsResponses) {
  auto ok = nlu::parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "hi");
  auto ch = nlu::parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->body, "abcde");
  for (const char* raw : {"", "HTTP/1.1 200 OK\r\n", "SSH-2.0\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort",
                          "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"})
    EXPECT_FALSE(nlu::parse_http_response(raw)) << raw;
  EXPECT_FALSE(nlu::parse_url("https://api.example.com/v1"));
  EXPECT_FALSE(nlu::parse_url("ftp://x"));
  EXPECT_FALSE(nlu::parse_url("http://host:99x/v1"));
  auto u = nlu::parse_url("http://127.0.0.1:8080/v1/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->path, "/v1");
}

// A real HTTP server on 127.0.0.1:0 that answers each connection with `reply`
// and records the request.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::listen(fd_, 4);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    th_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (true) {
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        const size_t he = req.find("\r\n\r\n");
        if (he == std::string::npos) continue;
        const size_t cl = req.find("Content-Length: ");
        if (cl != std::string::npos && req.size() >= he + 4 + std::stoul(req.substr(cl + 16))) break;
      }
      request_ = req;
      const std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(reply_.size()) + "\r\n\r\n" + reply_;
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    th_.join();
  }
  int port() const { return port_; }
  const std::string& request() const { return request_; }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::thread th_;
  std::string request_;
};

class NoGrammar final : public TemplateParser {
 public:
  ParseResult parse(std::string_view text) const override {
    ParseResult r;
    r.text = std::string(text);
    return r;
  }
  size_t template_count() const override { return 0; }
};

TEST(Cascade, CloudAnswersWhenUpAndSaysOfflineWhenDown) {
  Home home = load_test_home();
  NoGrammar grammar;
  OneShotServer server(R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"home_intent",
      "arguments":"{\"intent\":\"HassTurnOff\",\"name\":\"Kitchen Light\"}"}}]}}]})");
  CloudConfig cc;
  cc.enabled = true;
  cc.base_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1";
  cc.model = "test-model";
  cc.api_key_env = "HEARTH_TEST_CLOUD_KEY";
  ::setenv("HEARTH_TEST_CLOUD_KEY", "sk-secret", 1);
  auto client = make_cloud_client(home, cc);
  ASSERT_TRUE(client) << client.error().message;
  std::atomic<bool> up{true};
  auto cascade = make_cascade(home, grammar, nullptr, LlmIntentConfig{}, std::move(*client), cc, [&] { return up.load(); });
  CascadeResult r = cascade->parse("please make the kitchen dark");
  EXPECT_EQ(r.parse.source, "cloud");
  ASSERT_TRUE(r.parse.intent);
  EXPECT_EQ(r.parse.intent->name, "HassTurnOff");
  EXPECT_EQ(r.parse.targets, std::vector<std::string>{"light.kitchen"});
  EXPECT_TRUE(r.executable());
  EXPECT_NE(server.request().find("POST /v1/chat/completions"), std::string::npos);
  EXPECT_NE(server.request().find("Authorization: Bearer sk-secret"), std::string::npos);
  EXPECT_NE(server.request().find("\"model\":\"test-model\""), std::string::npos);

  up = false;
  CascadeResult off = cascade->parse("what's the capital of peru");
  EXPECT_FALSE(off.parse.intent);
  EXPECT_EQ(off.say, "I can't do that offline.");
  EXPECT_FALSE(off.executable());
}

TEST(Cascade, CloudInventedDeviceIsNeverExecuted) {
  Home home = load_test_home();
  NoGrammar grammar;
  OneShotServer server(R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"home_intent",
      "arguments":{"intent":"HassTurnOn","name":"Jacuzzi"}}}]}}]})");
  CloudConfig cc;
  cc.enabled = true;
  cc.base_url = "http://127.0.0.1:" + std::to_string(server.port());
  cc.model = "m";
  auto client = make_cloud_client(home, cc);
  ASSERT_TRUE(client);
  auto cascade = make_cascade(home, grammar, nullptr, LlmIntentConfig{}, std::move(*client), cc, nullptr);
  CascadeResult r = cascade->parse("turn on the jacuzzi");
  ASSERT_TRUE(r.parse.intent);
  ASSERT_TRUE(r.parse.problem);
  EXPECT_EQ(r.parse.problem->code, Code::kNotFound);
  EXPECT_FALSE(r.executable());
}

TEST(Cascade, CloudDownIsAnErrorReplyNotAHang) {
  Home home = load_test_home();
  NoGrammar grammar;
  CloudConfig cc;
  cc.enabled = true;
  cc.base_url = "http://127.0.0.1:1/v1";  // nothing listens on port 1
  cc.model = "m";
  cc.timeout_ms = 500;
  auto client = make_cloud_client(home, cc);
  ASSERT_TRUE(client);
  auto cascade = make_cascade(home, grammar, nullptr, LlmIntentConfig{}, std::move(*client), cc, nullptr);
  CascadeResult r = cascade->parse("sing me a song");
  EXPECT_FALSE(r.parse.intent);
  EXPECT_EQ(r.say, "I can't reach the cloud service right now.");
}

TEST(Cascade, LocksAndGarageDoorsNeedHighConfidence) {
  Home home = load_test_home();
  LlmIntentConfig cfg;
  cfg.min_confidence = 0.5;
  cfg.high_risk_confidence = 0.95;
  cfg.intent_confidence["HassLightSet"] = 0.3;
  Intent on{"HassTurnOn", {}};
  EXPECT_DOUBLE_EQ(required_confidence(home, cfg, on, {"light.kitchen"}), 0.5);
  EXPECT_DOUBLE_EQ(required_confidence(home, cfg, on, {"lock.front"}), 0.95);
  EXPECT_DOUBLE_EQ(required_confidence(home, cfg, Intent{"HassLightSet", {}}, {"light.left"}), 0.3);
  ConfigErrors errors;
  cfg.high_risk_confidence = 2;
  cfg.prompt = "poetry";
  cfg.validate(errors);
  EXPECT_NE(errors.to_string().find("high_risk_confidence"), std::string::npos);
  EXPECT_NE(errors.to_string().find("prompt"), std::string::npos);
}

TEST(Cascade, ToStringNeverShowsTheKey) {
  CloudConfig cc;
  cc.enabled = true;
  cc.api_key_file = "/run/secrets/key";
  EXPECT_EQ(cc.to_string().find("/run/secrets"), std::string::npos);
}

}  // namespace
}  // namespace hearth
