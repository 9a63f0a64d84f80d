// daemon/src/api_llm.h: the OpenAI-compatible chat API over the configured
// model (config "llm", issue 6), so standard clients — and another hub using
// this one as its "cloud" — work unchanged. Private to daemon/.
//
//   POST /v1/chat/completions   {"model"?, "messages": [{"role", "content"}], "max_tokens"?
//                               (or "max_completion_tokens"), "temperature"?, "top_p"?, "seed"?,
//                               "stop"?: string | [string], "stream"?, "response_format"?:
//                               {"type": "text" | "json_object" | "json_schema", "json_schema"?:
//                               {"schema"}}, "tools"?: [{"type": "function", "function": {"name",
//                               "description"?, "parameters"?}}], "tool_choice"?: "auto" | "none" |
//                               "required" | {"type": "function", "function": {"name"}};
//                               extensions: "top_k", "min_p", "repeat_penalty", "grammar" (GBNF)}
//                               → 200 chat.completion (or, with "stream": true, text/event-stream of
//                               chat.completion.chunk events ending "data: [DONE]") | 400 | 404 (no
//                               model configured) | 503 (loading failed / busy)
//   GET  /v1/models             200 {"object": "list", "data": [{"id", "object": "model", ...}]}
// Errors: {"error": {"code", "message", "type"}}. The model runs on the
// LlmService worker thread, never on the event loop.
#pragma once

#include <string>

#include "app_context.h"
#include "hearth/daemon/http_server.h"

namespace hearth {

// Answers `path` (decoded, without query) when it is under /v1/ and returns
// true; false leaves the request to the other routes. Event-loop thread.
bool route_llm(AppContext& app, const std::string& method, const std::string& path, const HttpRequestData& request,
               HttpResponder& respond);

}  // namespace hearth
