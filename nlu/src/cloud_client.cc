// nlu/src/cloud_client.cc: the cloud layer — one OpenAI-compatible
// chat-completions call per command.
//
// Request: a system message with the intent schema and the home's names
// (the cloud, unlike the local model, is told the home), the user's words,
// and one tool "home_intent" whose arguments are the intent JSON.
// Accepted replies (the common server variants):
//   - message.tool_calls[0].function.arguments as a JSON string or an object,
//     with or without an "id";
//   - the intent JSON as message.content (optionally inside ``` fences);
//   - plain text content: an answer to a general question (CloudAnswer::say).
// Intent JSON may be flat {"intent":"HassTurnOn","name":...} or nested
// {"intent":{"name":..., "slots":{...}}}. Names, areas and floors are mapped
// to the home's display names; anything else is kept and fails resolution,
// so the cloud cannot make us act on a device the home does not have.
// The API key comes from a file or the environment and is never logged.
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cloud_http.h"
#include "hearth/nlu/cascade.h"

namespace hearth {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

const char* kIntentList =
    "HassTurnOn (also lock, open), HassTurnOff (also unlock, close), HassLightSet, HassClimateSetTemperature, "
    "HassClimateGetTemperature, HassGetState, HassSetPosition, HassMediaPause, HassMediaUnpause, HassMediaNext, "
    "HassMediaPrevious, HassSetVolume, HassVacuumStart, HassVacuumReturnToBase, HassStartTimer, HassCancelTimer, "
    "HassTimerStatus, HassGetCurrentTime, HassGetCurrentDate, HassNevermind";

class OpenAiCloudClient final : public CloudIntentClient {
 public:
  OpenAiCloudClient(const Home& home, const CloudConfig& cfg, nlu::HttpTarget target, std::string key)
      : home_(home), cfg_(cfg), target_(std::move(target)), key_(std::move(key)) {
    std::ostringstream sys;
    sys << "You control a smart home. If the user's words are a home command, call home_intent with the intent "
           "(one of: "
        << kIntentList
        << ") and its slots (name, area, floor, domain, device_class, brightness 0-100, color, color_temp kelvin, "
           "temperature, position 0-100, volume_level 0-100, hours, minutes, seconds, timer_name, state). Use only "
           "these device names: ";
    bool first = true;
    for (const Device& d : home.devices()) {
      sys << (first ? "" : ", ") << d.name;
      first = false;
    }
    sys << ". Areas: ";
    first = true;
    for (const Area& a : home.areas()) {
      sys << (first ? "" : ", ") << a.name;
      first = false;
    }
    sys << ". Floors: ";
    first = true;
    for (const Floor& f : home.floors()) {
      sys << (first ? "" : ", ") << f.name;
      first = false;
    }
    sys << ". Otherwise answer briefly in plain text.";
    system_ = sys.str();
  }

  Result<CloudAnswer> ask(std::string_view text) const override {
    nlohmann::json req = {
        {"model", cfg_.model},
        {"temperature", 0},
        {"messages", {{{"role", "system"}, {"content", system_}}, {{"role", "user"}, {"content", std::string(text)}}}},
        {"tools",
         {{{"type", "function"},
           {"function",
            {{"name", "home_intent"},
             {"description", "Run a smart-home intent"},
             {"parameters",
              {{"type", "object"},
               {"properties", {{"intent", {{"type", "string"}}}}},
               {"required", {"intent"}},
               {"additionalProperties", true}}}}}}}}};
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key_.empty()) headers.emplace_back("Authorization", "Bearer " + key_);
    auto resp = nlu::http_post(target_, "/chat/completions",
                               req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), headers,
                               std::chrono::milliseconds(cfg_.timeout_ms));
    if (!resp) return resp.error().with_context("cloud");
    if (resp->status != 200)
      return Error{Code::kUnavailable, "cloud: HTTP " + std::to_string(resp->status) + " from " + target_.host};
    return read_reply(resp->body);
  }

  Result<CloudAnswer> read_reply(const std::string& body) const {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
      return Error{Code::kBadInput, std::string("cloud: reply is not JSON: ") + e.what()};
    }
    if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() || j["choices"].empty() ||
        !j["choices"][0].is_object())
      return Error{Code::kBadInput, "cloud: reply has no choices"};
    const nlohmann::json& msg = j["choices"][0].value("message", nlohmann::json::object());
    if (!msg.is_object()) return Error{Code::kBadInput, "cloud: choices[0].message is not an object"};
    CloudAnswer a;
    if (msg.contains("tool_calls") && msg["tool_calls"].is_array() && !msg["tool_calls"].empty()) {
      const nlohmann::json& call = msg["tool_calls"][0];
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
        return Error{Code::kBadInput, "cloud: tool call without a function"};
      nlohmann::json args = call["function"].value("arguments", nlohmann::json());
      if (args.is_string()) {
        try {
          args = nlohmann::json::parse(args.get<std::string>());
        } catch (const nlohmann::json::exception& e) {
          return Error{Code::kBadInput, std::string("cloud: tool arguments are not JSON: ") + e.what()};
        }
      }
      auto in = intent_from(args);
      if (!in) return in.error();
      a.intent = *in;
      if (msg.contains("content") && msg["content"].is_string()) a.say = msg["content"].get<std::string>();
      return a;
    }
    std::string content = msg.contains("content") && msg["content"].is_string() ? msg["content"].get<std::string>() : "";
    std::string c = trim(content);
    if (c.rfind("```", 0) == 0) {  // fenced JSON
      const size_t nl = c.find('\n');
      const size_t end = c.rfind("```");
      if (nl != std::string::npos && end > nl) c = trim(c.substr(nl + 1, end - nl - 1));
    }
    if (!c.empty() && c[0] == '{') {
      try {
        auto in = intent_from(nlohmann::json::parse(c));
        if (in) {
          a.intent = *in;
          return a;
        }
      } catch (const nlohmann::json::exception&) {
        // not JSON after all: plain text
      }
    }
    a.say = trim(content);
    return a;
  }

  Result<Intent> intent_from(const nlohmann::json& args) const {
    if (!args.is_object() || !args.contains("intent"))
      return Error{Code::kBadInput, "cloud: intent arguments have no \"intent\""};
    Intent in;
    nlohmann::json slots = nlohmann::json::object();
    if (args["intent"].is_string()) {
      in.name = args["intent"].get<std::string>();
      for (auto it = args.begin(); it != args.end(); ++it)
        if (it.key() != "intent" && it.key() != "slots") slots[it.key()] = it.value();
      if (args.contains("slots") && args["slots"].is_object()) slots.update(args["slots"]);
    } else if (args["intent"].is_object() && args["intent"].contains("name") && args["intent"]["name"].is_string()) {
      in.name = args["intent"]["name"].get<std::string>();
      if (args["intent"].contains("slots") && args["intent"]["slots"].is_object()) slots = args["intent"]["slots"];
    } else {
      return Error{Code::kBadInput, "cloud: \"intent\" is neither a name nor {name, slots}"};
    }
    if (in.name.rfind("Hass", 0) != 0 || in.name.size() > 40)
      return Error{Code::kBadInput, "cloud: unknown intent '" + in.name.substr(0, 40) + "'"};
    for (auto it = slots.begin(); it != slots.end(); ++it) {
      const std::string& k = it.key();
      const nlohmann::json& v = it.value();
      if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (k == "name") {
          const auto devs = home_.devices_named(s);
          in.slots[k] = devs.size() == 1 ? devs[0]->name : normalize_name(s);
        } else if (k == "area") {
          const Area* a = home_.area_named(s);
          in.slots[k] = a ? a->name : s;
        } else if (k == "floor") {
          const Floor* f = home_.floor_named(s);
          in.slots[k] = f ? f->name : s;
        } else {
          in.slots[k] = s;
        }
      } else if (v.is_number_integer()) {
        in.slots[k] = v.get<int64_t>();
      } else if (v.is_number()) {
        const double d = v.get<double>();
        if (d == static_cast<double>(static_cast<int64_t>(d))) in.slots[k] = static_cast<int64_t>(d);
        else in.slots[k] = d;
      } else if (v.is_boolean()) {
        in.slots[k] = v.get<bool>();
      }
    }
    return in;
  }

 private:
  const Home& home_;
  CloudConfig cfg_;
  nlu::HttpTarget target_;
  std::string key_;
  std::string system_;
};

}  // namespace

Result<std::unique_ptr<CloudIntentClient>> make_cloud_client(const Home& home, const CloudConfig& cfg) {
  auto target = nlu::parse_url(cfg.base_url);
  if (!target) return target.error().with_context("nlu.cloud.base_url");
  std::string key;
  if (!cfg.api_key_file.empty()) {
    std::ifstream f(cfg.api_key_file);
    if (!f) return Error{Code::kNotFound, "nlu.cloud.api_key_file: cannot read '" + cfg.api_key_file + "'"};
    std::stringstream ss;
    ss << f.rdbuf();
    key = trim(ss.str());
  } else if (!cfg.api_key_env.empty()) {
    if (const char* v = std::getenv(cfg.api_key_env.c_str())) key = trim(v);
  }
  return std::unique_ptr<CloudIntentClient>(new OpenAiCloudClient(home, cfg, std::move(*target), std::move(key)));
}

// Test hook: reads a chat-completions reply body as the client does.
Result<CloudAnswer> read_cloud_reply_for_test(const Home& home, const std::string& body) {
  CloudConfig cfg;
  OpenAiCloudClient c(home, cfg, nlu::HttpTarget{"127.0.0.1", "1", ""}, "");
  return c.read_reply(body);
}

}  // namespace hearth
