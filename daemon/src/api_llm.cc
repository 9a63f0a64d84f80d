#include "api_llm.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "api.h"
#include "llm_service.h"

namespace hearth {
namespace {

using nlohmann::json;

HttpResponseData llm_error(int status, std::string_view code, std::string_view message) {
  // the house error shape plus OpenAI's "type", so both kinds of client read it
  HttpResponseData r = api::error_response(status, code, message);
  try {
    json j = json::parse(r.body);
    j["error"]["type"] = status >= 500 ? "server_error" : "invalid_request_error";
    r.body = j.dump();
  } catch (const std::exception&) {
  }
  return r;
}

// One service per process, for the configured model (created on first use;
// a changed "llm" block after a reload gets a new one).
std::shared_ptr<LlmService> service_for(const LlmServeConfig& cfg) {
  static std::mutex mu;
  static std::shared_ptr<LlmService> current;
  std::lock_guard<std::mutex> lock(mu);
  const LlmServeConfig* have = current ? &current->config() : nullptr;
  if (!have || have->model != cfg.model || have->threads != cfg.threads || have->ctx != cfg.ctx ||
      have->chat_template != cfg.chat_template || have->kv_cache != cfg.kv_cache || have->max_tokens != cfg.max_tokens)
    current = std::make_shared<LlmService>(cfg);
  return current;
}

std::string message_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return "";
  std::string out;
  if (content.is_array())  // [{"type": "text", "text": ...}, ...]
    for (const json& part : content)
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
        out += part["text"].get<std::string>();
  return out;
}

// The OpenAI request → LlmChatRequest; error text names the field.
Result<LlmChatRequest> parse_request(const json& j, const LlmServeConfig& cfg, bool* stream) {
  LlmChatRequest r;
  if (!j.is_object()) return Error{Code::kBadInput, "the body must be a JSON object"};
  const auto& msgs = j.find("messages");
  if (msgs == j.end() || !msgs->is_array() || msgs->empty()) return Error{Code::kBadInput, "messages: a non-empty array is required"};
  for (size_t i = 0; i < msgs->size(); ++i) {
    const json& m = (*msgs)[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return Error{Code::kBadInput, "messages[" + std::to_string(i) + "]: an object with a string role is required"};
    LlmChatMessage cm;
    cm.role = m["role"];
    if (cm.role == "developer") cm.role = "system";
    cm.content = message_text(m.value("content", json()));
    if (m.contains("tool_calls") && m["tool_calls"].is_array())  // an assistant turn that called tools
      for (const json& tc : m["tool_calls"])
        if (tc.contains("function") && tc["function"].is_object())
          cm.content += json{{"name", tc["function"].value("name", "")},
                             {"arguments", json::parse(tc["function"].value("arguments", "{}"), nullptr, false)}}.dump();
    r.messages.push_back(std::move(cm));
  }
  auto num = [&](const char* k, auto* out, double lo, double hi) -> Result<void> {
    auto it = j.find(k);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_number() || it->get<double>() < lo || it->get<double>() > hi)
      return Error{Code::kBadInput, std::string(k) + ": a number in " + std::to_string(lo) + ".." + std::to_string(hi) + " is required"};
    *out = static_cast<std::remove_reference_t<decltype(*out)>>(it->get<double>());
    return {};
  };
  r.max_tokens = cfg.max_tokens;
  HEARTH_TRY(num("max_tokens", &r.max_tokens, 1, 1e9));
  HEARTH_TRY(num("max_completion_tokens", &r.max_tokens, 1, 1e9));
  r.max_tokens = std::min(r.max_tokens, cfg.max_tokens);
  HEARTH_TRY(num("temperature", &r.temperature, 0, 2));
  HEARTH_TRY(num("top_p", &r.top_p, 0, 1));
  HEARTH_TRY(num("top_k", &r.top_k, 0, 1e6));
  HEARTH_TRY(num("min_p", &r.min_p, 0, 1));
  HEARTH_TRY(num("repeat_penalty", &r.repeat_penalty, 0.1, 10));
  double seed = 0;
  HEARTH_TRY(num("seed", &seed, -9.2e18, 9.2e18));
  r.seed = static_cast<uint64_t>(static_cast<int64_t>(seed));
  if (auto n = j.find("n"); n != j.end() && !(n->is_number_integer() && n->get<int>() == 1))
    return Error{Code::kBadInput, "n: only 1 choice is supported"};
  if (auto s = j.find("stop"); s != j.end() && !s->is_null()) {
    if (s->is_string()) {
      r.stop.push_back(*s);
    } else if (s->is_array() && s->size() <= 8) {
      for (const json& x : *s) {
        if (!x.is_string()) return Error{Code::kBadInput, "stop: strings only"};
        r.stop.push_back(x);
      }
    } else {
      return Error{Code::kBadInput, "stop: a string or an array of up to 8 strings"};
    }
  }
  *stream = j.value("stream", false);
  if (auto f = j.find("response_format"); f != j.end() && f->is_object()) {
    const std::string type = f->value("type", "text");
    if (type == "json_object") {
      r.json_mode = true;
    } else if (type == "json_schema") {
      r.json_mode = true;
      if (f->contains("json_schema") && (*f)["json_schema"].is_object() && (*f)["json_schema"].contains("schema"))
        r.json_schema = (*f)["json_schema"]["schema"].dump();
    } else if (type != "text") {
      return Error{Code::kBadInput, "response_format.type: text, json_object or json_schema"};
    }
  }
  if (auto g = j.find("grammar"); g != j.end() && g->is_string()) r.grammar = *g;
  if (auto tools = j.find("tools"); tools != j.end() && tools->is_array()) {
    for (size_t i = 0; i < tools->size(); ++i) {
      const json& t = (*tools)[i];
      if (!t.is_object() || t.value("type", "function") != "function" || !t.contains("function") || !t["function"].is_object() ||
          !t["function"].contains("name") || !t["function"]["name"].is_string())
        return Error{Code::kBadInput, "tools[" + std::to_string(i) + "]: {\"type\": \"function\", \"function\": {\"name\", ...}} expected"};
      const json& fn = t["function"];
      r.tools.push_back({fn["name"], fn.value("description", ""), fn.contains("parameters") ? fn["parameters"].dump() : "{}"});
    }
  }
  if (auto tc = j.find("tool_choice"); tc != j.end() && !tc->is_null()) {
    if (tc->is_string()) {
      r.tool_choice = *tc;
      if (r.tool_choice != "auto" && r.tool_choice != "none" && r.tool_choice != "required")
        return Error{Code::kBadInput, "tool_choice: auto, none, required or {\"type\": \"function\", ...}"};
    } else if (tc->is_object() && tc->contains("function") && (*tc)["function"].is_object()) {
      r.tool_choice = (*tc)["function"].value("name", "");
    } else {
      return Error{Code::kBadInput, "tool_choice: auto, none, required or {\"type\": \"function\", ...}"};
    }
  }
  return r;
}

std::string new_id() {
  static std::atomic<uint64_t> n{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "chatcmpl-" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) + "-" +
         std::to_string(n.fetch_add(1));
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json tool_calls_json(const LlmChatResult& r, const std::string& id) {
  json calls = json::array();
  for (size_t i = 0; i < r.tool_calls.size(); ++i)
    calls.push_back({{"index", i},
                     {"id", "call_" + id.substr(9) + "_" + std::to_string(i)},
                     {"type", "function"},
                     {"function", {{"name", r.tool_calls[i].name}, {"arguments", r.tool_calls[i].arguments_json}}}});
  return calls;
}

json usage_json(const LlmChatResult& r) {
  return {{"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", r.completion_tokens},
          {"total_tokens", r.prompt_tokens + r.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", r.reused_prompt_tokens}}}};
}

HttpResponseData completion_response(const LlmChatResult& r, const std::string& id, const std::string& model) {
  json msg = {{"role", "assistant"}, {"content", r.tool_calls.empty() ? json(r.text) : json(nullptr)}};
  if (!r.tool_calls.empty()) msg["tool_calls"] = tool_calls_json(r, id);
  const json body = {{"id", id},
                     {"object", "chat.completion"},
                     {"created", unix_now()},
                     {"model", model},
                     {"choices", json::array({{{"index", 0}, {"message", msg}, {"logprobs", nullptr}, {"finish_reason", r.finish_reason}}})},
                     {"usage", usage_json(r)}};
  return api::json_response(200, body);
}

std::string sse(const json& chunk) { return "data: " + chunk.dump() + "\n\n"; }

json chunk(const std::string& id, const std::string& model, int64_t created, const json& delta, const json& finish) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices", json::array({{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}}})}};
}

}  // namespace

bool route_llm(AppContext& app, const std::string& method, const std::string& path, const HttpRequestData& request,
               HttpResponder& respond) {
  if (path != "/v1/chat/completions" && path != "/v1/models") return false;
  const LlmServeConfig& cfg = app.runtime()->config.llm;
  if (cfg.model.empty()) {
    respond(llm_error(404, "not_found", "no model is configured (config \"llm\": {\"model\": FILE})"));
    return true;
  }
  std::shared_ptr<LlmService> svc = service_for(cfg);
  if (path == "/v1/models") {
    if (method != "GET") {
      HttpResponseData r = llm_error(405, "method_not_allowed", "use GET on this route");
      r.headers.emplace_back("Allow", "GET");
      respond(std::move(r));
      return true;
    }
    const std::string name = svc->ready() ? svc->model_name() : cfg.model.substr(cfg.model.find_last_of('/') + 1);
    respond(api::json_response(200, {{"object", "list"},
                                     {"data", json::array({{{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "hearth"},
                                                            {"status", svc->status()}}})}}));
    return true;
  }
  if (method != "POST") {
    HttpResponseData r = llm_error(405, "method_not_allowed", "use POST on this route");
    r.headers.emplace_back("Allow", "POST");
    respond(std::move(r));
    return true;
  }
  json body;
  try {
    body = json::parse(request.body);
  } catch (const std::exception& e) {
    respond(llm_error(400, "bad_input", std::string("the body is not valid JSON: ") + e.what()));
    return true;
  }
  bool stream = false;
  auto req = parse_request(body, cfg, &stream);
  if (!req) {
    respond(llm_error(400, "bad_input", req.error().message));
    return true;
  }
  const std::string id = new_id();
  const int64_t created = unix_now();
  // the SSE body is assembled on the worker as text arrives, then sent whole
  auto events = std::make_shared<std::string>();
  const std::string model_name = svc->ready() ? svc->model_name() : cfg.model.substr(cfg.model.find_last_of('/') + 1);
  if (stream) *events += sse(chunk(id, model_name, created, {{"role", "assistant"}, {"content", ""}}, nullptr));
  LlmService::Job job;
  job.request = std::move(*req);
  if (stream)
    job.on_text = [events, id, model_name, created](std::string_view d) {
      *events += sse(chunk(id, model_name, created, {{"content", std::string(d)}}, nullptr));
      return true;
    };
  auto ex = app.executor();
  job.done = [ex, respond, stream, events, id, model_name, created, svc](Result<LlmChatResult> r) {
    HttpResponseData out;
    if (!r) {
      const int status = r.error().code == Code::kInternal ? 500 : api::status_for(r.error().code);
      out = llm_error(status, code_name(r.error().code), r.error().message);
    } else if (!stream) {
      out = completion_response(*r, id, model_name);
    } else {
      if (!r->tool_calls.empty()) {
        *events += sse(chunk(id, model_name, created, {{"tool_calls", tool_calls_json(*r, id)}}, nullptr));
      }
      json last = chunk(id, model_name, created, json::object(), r->finish_reason);
      last["usage"] = usage_json(*r);
      *events += sse(last) + "data: [DONE]\n\n";
      out.status = 200;
      out.content_type = "text/event-stream";
      out.headers.emplace_back("Cache-Control", "no-cache");
      out.body = std::move(*events);
    }
    boost::asio::post(ex, [respond, out = std::move(out)]() mutable { respond(std::move(out)); });
  };
  if (auto ok = svc->submit(std::move(job)); !ok) respond(llm_error(503, "unavailable", ok.error().message));
  return true;
}

}  // namespace hearth
