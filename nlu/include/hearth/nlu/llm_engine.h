// nlu/llm_engine.h: a loaded GGUF model answering chat requests (issue 6).
// What hearthd's /v1/chat/completions and other in-process users call; the
// runtime underneath (kernels, forward pass, grammar) stays private to nlu/.
//
// Not thread-safe: one engine serves one request at a time (hearthd runs it
// on its own worker thread). Between requests it keeps the KV state, so a
// shared system prompt / conversation prefix is evaluated once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"

namespace hearth {

struct LlmEngineOptions {
  std::string model_path;
  int threads = 2;
  int ctx = 2048;                      // capped at the model's trained context
  std::string chat_template = "auto";  // auto | chatml | llama2 | zephyr | plain
  bool kv_f16 = true;
};

struct LlmChatMessage {
  std::string role;     // system | user | assistant | tool
  std::string content;
};

struct LlmTool {
  std::string name;
  std::string description;
  std::string parameters_json = "{}";  // JSON Schema of the arguments
};

struct LlmChatRequest {
  std::vector<LlmChatMessage> messages;
  int max_tokens = 256;
  float temperature = 1.0f;   // <= 0: greedy
  float top_p = 1.0f;
  int top_k = 0;
  float min_p = 0.0f;
  float repeat_penalty = 1.0f;
  uint64_t seed = 0;
  std::vector<std::string> stop;
  bool json_mode = false;             // the reply is one JSON object
  std::string json_schema;            // optional: the object follows this JSON Schema
  std::string grammar;                // optional GBNF (wins over json_mode)
  std::vector<LlmTool> tools;
  std::string tool_choice = "auto";   // auto | none | required | <tool name>
};

struct LlmToolCall {
  std::string name;
  std::string arguments_json;
};

struct LlmChatResult {
  std::string text;                     // empty when the reply is tool calls
  std::vector<LlmToolCall> tool_calls;
  std::string finish_reason;            // stop | length | tool_calls
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int reused_prompt_tokens = 0;         // prompt tokens served from the prefix cache
};

class LlmEngine {
 public:
  // Loads and verifies the model; one clear error line otherwise (missing,
  // corrupt, unsupported architecture or type, too large for memory).
  static Result<std::unique_ptr<LlmEngine>> open(const LlmEngineOptions& opt);
  virtual ~LlmEngine() = default;

  // Runs one chat request. on_text (optional) gets the reply text as it is
  // generated (not for tool calls); returning false stops generation.
  virtual Result<LlmChatResult> chat(const LlmChatRequest& req,
                                     const std::function<bool(std::string_view)>& on_text = {}) = 0;
  // The model's file name without directory ("stories260K.gguf").
  virtual std::string model_name() const = 0;
  virtual std::string chat_template() const = 0;
};

}  // namespace hearth
