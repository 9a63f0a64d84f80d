// hearthd with a configured model (../shared/data/llm/stories260K.gguf)
// answers OpenAI-style /v1/chat/completions requests sent as raw HTTP, as a
// standard client sends them: plain, streaming (SSE), JSON mode, forced tool
// calls; bad requests get 400 with a clear message; no model → 404.
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../fakes/daemon_harness.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

const std::string kModel = std::string(HEARTH_SHARED_DATA_DIR) + "/llm/stories260K.gguf";

// stories260K was trained with a 512-token context; a tool list in the system
// message needs most of it (its vocabulary is 512 tokens, close to characters).
json llm_config(int ctx = 512) {
  json c = base_config();
  c["llm"] = {{"model", kModel}, {"threads", 1}, {"ctx", ctx}, {"chat_template", "plain"}, {"max_tokens", 200}};
  return c;
}

json set_light_tools() {
  return json::array({{{"type", "function"},
                       {"function",
                        {{"name", "set_light"},
                         {"description", "Switch a light"},
                         {"parameters", {{"type", "object"}, {"properties", {{"room", {{"enum", {"kitchen", "hall"}}}}, {"on", {{"type", "boolean"}}}}}}}}}}});
}

class LlmChat : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kModel)) GTEST_SKIP() << kModel << " not found (needs ../shared/data beside the checkout)";
    ASSERT_TRUE(d_.start(llm_config()));
  }
  void TearDown() override {
    if (!::testing::Test::IsSkipped()) { EXPECT_TRUE(d_.stop()); }
  }
  TempDir dir_;
  Daemon d_{dir_};
};

TEST_F(LlmChat, PlainCompletionHasTheOpenAiShape) {
  const json req = {{"model", "anything"},
                    {"messages", {{{"role", "system"}, {"content", "You tell stories."}}, {{"role", "user"}, {"content", "Once upon a time"}}}},
                    {"temperature", 0},
                    {"max_tokens", 24}};
  const json r = d_.post_json("/v1/chat/completions", req);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["model"], "stories260K.gguf");
  EXPECT_TRUE(r["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
  ASSERT_EQ(r["choices"].size(), 1u);
  const json& c = r["choices"][0];
  EXPECT_EQ(c["message"]["role"], "assistant");
  EXPECT_FALSE(c["message"]["content"].get<std::string>().empty());
  EXPECT_TRUE(c["finish_reason"] == "stop" || c["finish_reason"] == "length");
  EXPECT_GT(r["usage"]["prompt_tokens"].get<int>(), 5);
  EXPECT_LE(r["usage"]["completion_tokens"].get<int>(), 24);
  EXPECT_EQ(r["usage"]["total_tokens"], r["usage"]["prompt_tokens"].get<int>() + r["usage"]["completion_tokens"].get<int>());
  // greedy: the same request gives the same text, and the prompt comes from the prefix cache
  const json again = d_.post_json("/v1/chat/completions", req);
  EXPECT_EQ(again["choices"][0]["message"]["content"], c["message"]["content"]);
  EXPECT_GT(again["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(), 0);
  // /v1/models lists it
  const json models = d_.get_json("/v1/models");
  EXPECT_EQ(models["data"][0]["id"], "stories260K.gguf");
}

TEST_F(LlmChat, StreamingSendsSseChunksEndingWithDone) {
  const json req = {{"messages", {{{"role", "user"}, {"content", "The cat"}}}}, {"temperature", 0}, {"max_tokens", 16}, {"stream", true}};
  const json plain = d_.post_json("/v1/chat/completions", {{"messages", req["messages"]}, {"temperature", 0}, {"max_tokens", 16}});
  HttpReply r = d_.request("POST", "/v1/chat/completions", req.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("Content-Type").find("text/event-stream"), std::string::npos);
  std::istringstream in(r.body);
  std::string line, text, finish;
  int chunks = 0;
  bool done = false;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ASSERT_EQ(line.rfind("data: ", 0), 0u) << line;
    const std::string data = line.substr(6);
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    EXPECT_FALSE(done) << "data after [DONE]";
    const json j = json::parse(data);
    EXPECT_EQ(j["object"], "chat.completion.chunk");
    const json& delta = j["choices"][0]["delta"];
    if (delta.contains("content")) text += delta["content"].get<std::string>();
    if (!j["choices"][0]["finish_reason"].is_null()) finish = j["choices"][0]["finish_reason"];
    ++chunks;
  }
  EXPECT_TRUE(done);
  EXPECT_GE(chunks, 3);
  EXPECT_FALSE(finish.empty());
  EXPECT_EQ(text, plain["choices"][0]["message"]["content"]) << "streamed text = non-streamed text (greedy)";
}

TEST_F(LlmChat, JsonModeAndForcedToolCall) {
  const json jr = d_.post_json("/v1/chat/completions",
                               {{"messages", {{{"role", "user"}, {"content", "Give me a JSON object."}}}},
                                {"response_format",
                                 {{"type", "json_schema"},
                                  {"json_schema", {{"name", "x"}, {"schema", {{"type", "object"}, {"properties", {{"color", {{"enum", {"red", "blue"}}}}}}}}}}}},
                                {"max_tokens", 120},
                                {"seed", 3}});
  const std::string content = jr["choices"][0]["message"]["content"];
  const json obj = json::parse(content, nullptr, false);
  ASSERT_TRUE(obj.is_object()) << content;
  EXPECT_TRUE(obj["color"] == "red" || obj["color"] == "blue") << content;

  const json tools = set_light_tools();
  const json tr = d_.post_json("/v1/chat/completions",
                               {{"messages", {{{"role", "user"}, {"content", "Turn on the kitchen light"}}}},
                                {"tools", tools},
                                {"tool_choice", {{"type", "function"}, {"function", {{"name", "set_light"}}}}},
                                {"max_tokens", 200}});
  const json& msg = tr["choices"][0]["message"];
  EXPECT_EQ(tr["choices"][0]["finish_reason"], "tool_calls") << tr.dump();
  ASSERT_EQ(msg["tool_calls"].size(), 1u) << tr.dump();
  EXPECT_TRUE(msg["content"].is_null());
  EXPECT_EQ(msg["tool_calls"][0]["type"], "function");
  EXPECT_EQ(msg["tool_calls"][0]["function"]["name"], "set_light");
  const json args = json::parse(msg["tool_calls"][0]["function"]["arguments"].get<std::string>());
  EXPECT_TRUE(args["room"] == "kitchen" || args["room"] == "hall") << args.dump();
  EXPECT_TRUE(args["on"].is_boolean());
}

TEST_F(LlmChat, BadRequestsAreClearErrors) {
  HttpReply r = d_.request("POST", "/v1/chat/completions", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not valid JSON"), std::string::npos) << r.body;
  const json e1 = d_.post_json("/v1/chat/completions", {{"messages", json::array()}}, 400);
  EXPECT_NE(e1["error"]["message"].get<std::string>().find("messages"), std::string::npos);
  EXPECT_EQ(e1["error"]["type"], "invalid_request_error");
  const json e2 = d_.post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "x"}}}}, {"temperature", 7}}, 400);
  EXPECT_NE(e2["error"]["message"].get<std::string>().find("temperature"), std::string::npos);
  const json e3 = d_.post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "x"}}}}, {"grammar", "root ::= ("}}, 400);
  EXPECT_NE(e3["error"]["message"].get<std::string>().find("grammar"), std::string::npos) << e3.dump();
  EXPECT_EQ(d_.request("GET", "/v1/chat/completions").status, 405);
  // the daemon still answers afterwards
  d_.post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 4}});
}

TEST(LlmChatContext, AToolCallThatOutgrowsTheContextIsAClearError) {
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << kModel << " not found (needs ../shared/data beside the checkout)";
  TempDir dir;
  Daemon d(dir);
  ASSERT_TRUE(d.start(llm_config(256)));  // the tool list leaves ~20 tokens for the call
  const json e = d.post_json("/v1/chat/completions",
                             {{"messages", {{{"role", "user"}, {"content", "Turn on the kitchen light"}}}},
                              {"tools", set_light_tools()},
                              {"tool_choice", {{"type", "function"}, {"function", {{"name", "set_light"}}}}},
                              {"max_tokens", 200}},
                             413);
  const std::string msg = e["error"]["message"];
  EXPECT_NE(msg.find("context window (256 tokens) filled up"), std::string::npos) << msg;
  EXPECT_NE(msg.find("llm.ctx"), std::string::npos) << msg;
  // the daemon still answers a request that fits
  d.post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 4}});
  EXPECT_TRUE(d.stop());
}

TEST(LlmChatConfig, NoModelIs404AndAMissingFileIsAConfigError) {
  TempDir dir;
  {
    Daemon d(dir);
    ASSERT_TRUE(d.start(base_config()));
    const json e = d.post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "x"}}}}}, 404);
    EXPECT_NE(e["error"]["message"].get<std::string>().find("no model"), std::string::npos);
    EXPECT_TRUE(d.stop());
  }
  json c = base_config();
  c["llm"] = {{"model", "missing.gguf"}};
  Daemon bad(dir, "bad");
  EXPECT_FALSE(bad.start(c));
  EXPECT_NE(bad.process().err().find("$.llm.model"), std::string::npos) << bad.process().err();
}

}  // namespace
}  // namespace hearth::testing
