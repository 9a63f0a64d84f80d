// LlmEngine (hearth/nlu/llm_engine.h) on the private runtime: chat template,
// prefix-cached session, sampling, stop strings, JSON mode / JSON Schema /
// GBNF / tool calls through the grammar filter.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "hearth/nlu/llm_engine.h"
#include "llm/chat.h"
#include "llm/gbnf.h"
#include "llm/model.h"

namespace hearth {
namespace {

using llm::ChatTemplate;

class Engine : public LlmEngine {
 public:
  Engine(std::shared_ptr<const llm::Model> m, ChatTemplate t, const llm::SessionOptions& so, std::string name)
      : model_(std::move(m)), tmpl_(t), session_(model_, so), name_(std::move(name)) {}

  Result<LlmChatResult> chat(const LlmChatRequest& req, const std::function<bool(std::string_view)>& on_text) override {
    if (req.messages.empty()) return Error{Code::kBadInput, "messages must not be empty"};
    std::vector<llm::ChatMessage> msgs;
    const bool use_tools = !req.tools.empty() && req.tool_choice != "none";
    std::vector<std::pair<std::string, std::string>> call_tools;
    if (use_tools) {
      for (const LlmTool& t : req.tools)
        if (req.tool_choice == "auto" || req.tool_choice == "required" || req.tool_choice == t.name)
          call_tools.emplace_back(t.name, t.parameters_json);
      if (call_tools.empty()) return Error{Code::kBadInput, "tool_choice names no tool in tools: '" + req.tool_choice + "'"};
      // the tool list goes into the system message, in the model's own words
      std::string sys = "You can call these tools. To call one, reply with only a JSON object "
                        "{\"name\": <tool name>, \"arguments\": <object>}.\nTools:\n";
      for (const LlmTool& t : req.tools) sys += "- " + t.name + ": " + t.description + " Parameters: " + t.parameters_json + "\n";
      msgs.push_back({"system", sys});
    }
    for (const LlmChatMessage& m : req.messages) {
      if (m.role != "system" && m.role != "user" && m.role != "assistant" && m.role != "tool")
        return Error{Code::kBadInput, "unknown message role '" + m.role + "'"};
      msgs.push_back({m.role, m.content});
    }
    // constraint: explicit grammar > forced tool call > JSON schema > JSON mode
    std::string grammar_text;
    const bool force_tool = use_tools && req.tool_choice != "auto";
    if (!req.grammar.empty()) {
      grammar_text = req.grammar;
    } else if (force_tool) {
      auto g = llm::gbnf_tool_call(call_tools);
      if (!g) return g.error();
      grammar_text = *g;
    } else if (!req.json_schema.empty()) {
      auto g = llm::gbnf_from_json_schema(req.json_schema);
      if (!g) return g.error();
      grammar_text = *g;
    } else if (req.json_mode) {
      grammar_text = llm::gbnf_json_object();
    }
    std::unique_ptr<llm::GrammarFilter> filter;
    if (!grammar_text.empty()) {
      auto g = llm::parse_gbnf(grammar_text);
      if (!g) return g.error();
      filter = std::make_unique<llm::GrammarFilter>(*g, model_->tokenizer());
    }
    const std::string prompt_text = llm::render_chat(tmpl_, msgs);
    const std::vector<llm::Token> prompt = model_->tokenizer().encode(prompt_text, true, true);
    if (static_cast<int>(prompt.size()) >= session_.n_ctx())
      return Error{Code::kTooLarge, "the prompt has " + std::to_string(prompt.size()) + " tokens; the context holds " +
                                        std::to_string(session_.n_ctx())};
    llm::GenerateParams gp;
    gp.max_tokens = std::max(1, req.max_tokens);
    gp.sampler.temperature = req.temperature;
    gp.sampler.top_k = req.top_k;
    gp.sampler.top_p = req.top_p;
    gp.sampler.min_p = req.min_p;
    gp.sampler.repeat_penalty = req.repeat_penalty;
    gp.sampler.seed = req.seed;
    gp.stop = req.stop;
    for (const std::string& s : llm::chat_stop_strings(tmpl_)) gp.stop.push_back(s);
    gp.filter = filter.get();
    const bool stream_text = !use_tools;  // tool calls are only known at the end
    auto r = llm::generate_text(session_, prompt, gp, stream_text ? on_text : std::function<bool(std::string_view)>());
    if (!r) return r.error();
    LlmChatResult out;
    out.prompt_tokens = r->prompt_tokens;
    out.completion_tokens = r->completion_tokens;
    out.reused_prompt_tokens = r->reused_tokens;
    out.finish_reason = r->finish_reason;
    out.text = r->text;
    if (use_tools) {
      // a reply that is a call of one of the tools becomes a tool call
      try {
        const nlohmann::json j = nlohmann::json::parse(r->text);
        if (j.is_object() && j.contains("name") && j["name"].is_string() && j.contains("arguments") && j["arguments"].is_object()) {
          const std::string name = j["name"];
          for (const auto& t : call_tools)
            if (t.first == name) {
              out.tool_calls.push_back({name, j["arguments"].dump()});
              out.text.clear();
              out.finish_reason = "tool_calls";
            }
        }
      } catch (const std::exception&) {
        // plain text reply (tool_choice auto)
      }
      if (force_tool && out.tool_calls.empty()) {
        if (r->context_full)
          return Error{Code::kTooLarge, "the context window (" + std::to_string(session_.n_ctx()) +
                                            " tokens) filled up before the tool call was complete: the prompt with the tool "
                                            "list has " + std::to_string(r->prompt_tokens) + " tokens; raise llm.ctx or send fewer tools"};
        return Error{Code::kInternal, "the model did not finish the tool call within max_tokens (" + std::to_string(gp.max_tokens) +
                                          "): it wrote " + std::to_string(r->completion_tokens) + " tokens"};
      }
    }
    return out;
  }

  std::string model_name() const override { return name_; }
  std::string chat_template() const override { return llm::chat_template_name(tmpl_); }

 private:
  std::shared_ptr<const llm::Model> model_;
  ChatTemplate tmpl_;
  llm::Session session_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<LlmEngine>> LlmEngine::open(const LlmEngineOptions& opt) {
  auto t = llm::parse_chat_template(opt.chat_template);
  if (!t) return t.error();
  auto m = llm::Model::load(opt.model_path);
  if (!m) return m.error();
  const ChatTemplate tmpl = t->has_value() ? **t : llm::detect_chat_template(**m);
  llm::SessionOptions so;
  so.n_ctx = opt.ctx;
  so.n_threads = std::max(1, opt.threads);
  so.kv_type = opt.kv_f16 ? llm::KvType::kF16 : llm::KvType::kF32;
  auto kv = llm::kv_cache_bytes(**m, so);
  if (!kv) return kv.error();
  return std::unique_ptr<LlmEngine>(
      new Engine(*m, tmpl, so, std::filesystem::path(opt.model_path).filename().string()));
}

}  // namespace hearth
