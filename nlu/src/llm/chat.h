// nlu/src/llm/chat.h: chat templates (ChatML, Llama-2, Zephyr) and text
// generation with stop strings, sampling and an optional token filter (the
// grammar constraint), shared by `hearth llm generate` and hearthd's
// /v1/chat/completions.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"
#include "llm/model.h"

namespace hearth::llm {

struct ChatMessage {
  std::string role;     // "system" | "user" | "assistant" | "tool"
  std::string content;
};

enum class ChatTemplate {
  kChatML,  // <|im_start|>role\ncontent<|im_end|>\n ... <|im_start|>assistant\n   (Qwen, SmolLM)
  kLlama2,  // <s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nuser [/INST] answer </s><s>[INST] ...
  kZephyr,  // <|system|>\nsys</s>\n<|user|>\ntext</s>\n<|assistant|>\n
  kPlain,   // "System: ...\nUser: ...\nAssistant:" for models without a chat format
};

// "chatml", "llama2", "zephyr", "plain"; "auto" → nullopt (use detect_chat_template).
Result<std::optional<ChatTemplate>> parse_chat_template(std::string_view name);
const char* chat_template_name(ChatTemplate t);
// From the GGUF's tokenizer.chat_template (Jinja text) or, when absent, the
// vocabulary's special tokens; kPlain when nothing matches.
ChatTemplate detect_chat_template(const Model& m);
// The prompt text for `messages`, ending with the assistant's turn opener.
// Special tokens in it are written as text (encode with parse_special).
std::string render_chat(ChatTemplate t, const std::vector<ChatMessage>& messages);
// Strings that end the assistant's turn in this format (besides EOS).
std::vector<std::string> chat_stop_strings(ChatTemplate t);

// Restricts which tokens may come next (grammar.h implements it).
class TokenFilter {
 public:
  virtual ~TokenFilter() = default;
  // Sets the logits of tokens that may not come next to -inf. Returns false
  // when no token (and not EOS) is possible: the constraint is stuck.
  virtual bool mask(std::span<float> logits) = 0;
  // Advances past token t (one the last mask() allowed).
  virtual void accept(Token t) = 0;
  // The text so far is a complete sentence of the constraint.
  virtual bool complete() const = 0;
  // Tokens that must come next whatever the logits (forced text); empty
  // when there is a choice. They are fed in one batch without sampling.
  virtual std::vector<Token> forced() { return {}; }
};

struct GenerateParams {
  SamplerParams sampler;
  int max_tokens = 256;
  std::vector<std::string> stop;   // generation ends before the first occurrence of any
  TokenFilter* filter = nullptr;   // optional constraint (not owned)
};

struct GenerateResult {
  std::string text;                 // the completion, stop string excluded
  std::string finish_reason;        // "stop" (EOS, stop string, grammar complete) | "length"
  int prompt_tokens = 0;
  int reused_tokens = 0;            // prompt tokens whose KV state the session already had
  int completion_tokens = 0;
  int forced_tokens = 0;            // tokens the filter forced (fed in batches, never sampled)
  int decode_steps = 0;             // forward passes run for the completion
  bool context_full = false;        // "length" because the context window filled, not max_tokens
};

// Evaluates `prompt` (reusing the session's common prefix) and generates.
// on_text (optional) receives the text as it becomes final (never a prefix
// of a stop string that might still complete); returning false stops.
Result<GenerateResult> generate_text(Session& s, std::span<const Token> prompt, const GenerateParams& p,
                                     const std::function<bool(std::string_view)>& on_text = {});

}  // namespace hearth::llm
