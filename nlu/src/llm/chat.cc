#include "llm/chat.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace hearth::llm {

Result<std::optional<ChatTemplate>> parse_chat_template(std::string_view name) {
  if (name.empty() || name == "auto") return std::optional<ChatTemplate>();
  if (name == "chatml") return std::optional<ChatTemplate>(ChatTemplate::kChatML);
  if (name == "llama2" || name == "llama-2") return std::optional<ChatTemplate>(ChatTemplate::kLlama2);
  if (name == "zephyr") return std::optional<ChatTemplate>(ChatTemplate::kZephyr);
  if (name == "plain") return std::optional<ChatTemplate>(ChatTemplate::kPlain);
  return Error{Code::kBadInput, "unknown chat template '" + std::string(name) + "' (auto, chatml, llama2, zephyr, plain)"};
}

const char* chat_template_name(ChatTemplate t) {
  switch (t) {
    case ChatTemplate::kChatML: return "chatml";
    case ChatTemplate::kLlama2: return "llama2";
    case ChatTemplate::kZephyr: return "zephyr";
    case ChatTemplate::kPlain: return "plain";
  }
  return "plain";
}

ChatTemplate detect_chat_template(const Model& m) {
  std::string jinja;
  if (m.file().find_kv("tokenizer.chat_template"))
    if (auto s = m.file().get_string("tokenizer.chat_template")) jinja = std::string(*s);
  auto has = [&](const char* s) { return jinja.find(s) != std::string::npos; };
  if (has("<|im_start|>")) return ChatTemplate::kChatML;
  if (has("<|user|>")) return ChatTemplate::kZephyr;
  if (has("[INST]")) return ChatTemplate::kLlama2;
  if (jinja.empty()) {
    // no template: go by the vocabulary's special tokens
    const Tokenizer& tok = m.tokenizer();
    const std::vector<Token> im = tok.encode("<|im_start|>", false, true);
    if (im.size() == 1 && tok.kind(im[0]) != TokenKind::kNormal) return ChatTemplate::kChatML;
  }
  return ChatTemplate::kPlain;
}

std::string render_chat(ChatTemplate t, const std::vector<ChatMessage>& messages) {
  std::string out;
  switch (t) {
    case ChatTemplate::kChatML:
      for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      out += "<|im_start|>assistant\n";
      return out;
    case ChatTemplate::kZephyr:
      for (const ChatMessage& m : messages) out += "<|" + m.role + "|>\n" + m.content + "</s>\n";
      out += "<|assistant|>\n";
      return out;
    case ChatTemplate::kLlama2: {
      // the system prompt goes inside the first [INST]; BOS comes from the tokenizer for the first turn
      std::string system;
      bool first = true, open = false;
      for (const ChatMessage& m : messages) {
        if (m.role == "system") {
          system += (system.empty() ? "" : "\n") + m.content;
        } else if (m.role == "assistant") {
          out += " " + m.content + " </s>";
          open = false;
        } else {  // user, tool
          if (!first) out += "<s>";
          out += "[INST] ";
          if (!system.empty()) {
            out += "<<SYS>>\n" + system + "\n<</SYS>>\n\n";
            system.clear();
          }
          out += m.content + " [/INST]";
          first = false;
          open = true;
        }
      }
      if (!open) out += (first ? "" : "<s>") + std::string("[INST] ") + (system.empty() ? "" : "<<SYS>>\n" + system + "\n<</SYS>>\n\n") + " [/INST]";
      return out;
    }
    case ChatTemplate::kPlain:
      for (const ChatMessage& m : messages) {
        std::string role = m.role;
        if (!role.empty()) role[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(role[0])));
        out += role + ": " + m.content + "\n";
      }
      out += "Assistant:";
      return out;
  }
  return out;
}

std::vector<std::string> chat_stop_strings(ChatTemplate t) {
  switch (t) {
    case ChatTemplate::kChatML: return {"<|im_end|>", "<|im_start|>"};
    case ChatTemplate::kZephyr: return {"</s>", "<|user|>"};
    case ChatTemplate::kLlama2: return {"</s>", "[INST]"};
    case ChatTemplate::kPlain: return {"\nUser:", "\nSystem:"};
  }
  return {};
}

namespace {

// Length of the longest suffix of `text` that is a proper prefix of a stop string.
size_t held_back(const std::string& text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const std::string& s : stops)
    for (size_t k = std::min(s.size() - 1, text.size()); k > hold; --k)
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  return hold;
}

}  // namespace

Result<GenerateResult> generate_text(Session& s, std::span<const Token> prompt, const GenerateParams& p,
                                     const std::function<bool(std::string_view)>& on_text) {
  const Tokenizer& tok = s.model().tokenizer();
  GenerateResult res;
  res.prompt_tokens = static_cast<int>(prompt.size());
  auto lg = s.prefill_cached(prompt);
  if (!lg) return lg.error();
  res.reused_tokens = s.n_reused();
  std::vector<std::string> stops;
  for (const std::string& st : p.stop)
    if (!st.empty()) stops.push_back(st);
  std::mt19937_64 rng(p.sampler.seed);
  StreamingDetokenizer detok(tok);
  std::string text;
  size_t emitted = 0;
  std::vector<float> work;
  res.finish_reason = "length";
  bool stopped = false;   // on_text asked to stop
  bool stop_hit = false;  // a stop string cut the text

  // appends token text; true when a stop string ended the generation
  auto append = [&](Token t) {
    text += detok.push(t);
    for (const std::string& st : stops) {
      const size_t from = text.size() > st.size() + 64 ? text.size() - st.size() - 64 : 0;
      const size_t at = text.find(st, from);
      if (at != std::string::npos) {
        text.resize(at);
        stop_hit = true;
        return true;
      }
    }
    return false;
  };
  auto emit = [&](bool final) {
    const size_t end = final ? text.size() : text.size() - held_back(text, stops);
    if (end > emitted && on_text) {
      if (!on_text(std::string_view(text).substr(emitted, end - emitted))) stopped = true;
    }
    emitted = std::max(emitted, end);
  };

  while (res.completion_tokens < p.max_tokens && !stopped) {
    if (p.filter) {
      std::vector<Token> forced = p.filter->forced();
      if (!forced.empty()) {
        forced.resize(std::min(forced.size(), size_t(p.max_tokens - res.completion_tokens)));
        if (s.n_past() + static_cast<int>(forced.size()) > s.n_ctx()) {
          res.context_full = true;
          break;
        }
        bool hit_stop = false;
        for (Token t : forced) {
          p.filter->accept(t);
          hit_stop = hit_stop || append(t);
        }
        res.completion_tokens += static_cast<int>(forced.size());
        res.forced_tokens += static_cast<int>(forced.size());
        if (hit_stop || p.filter->complete()) {
          res.finish_reason = "stop";
          break;
        }
        emit(false);
        lg = s.prefill(forced);  // one batched forward pass for all of them
        if (!lg) return lg.error();
        ++res.decode_steps;
        continue;
      }
    }
    work.assign(lg->begin(), lg->end());
    if (p.sampler.repeat_penalty != 1.f) apply_repeat_penalty(work, s.history(), p.sampler);
    if (p.filter && !p.filter->mask(work)) {
      return Error{Code::kInternal, "llm: the grammar allows no token after '" + text + "'"};
    }
    const Token t = sample(work, p.sampler, rng);
    if (tok.is_eog(t)) {
      res.finish_reason = "stop";
      break;
    }
    if (p.filter) p.filter->accept(t);
    ++res.completion_tokens;
    if (append(t) || (p.filter && p.filter->complete())) {
      res.finish_reason = "stop";
      break;
    }
    emit(false);
    if (res.completion_tokens == p.max_tokens) break;
    if (s.n_past() >= s.n_ctx()) {  // "length": the context is full
      res.context_full = true;
      break;
    }
    lg = s.decode(t);
    if (!lg) return lg.error();
    ++res.decode_steps;
  }
  if (!stop_hit) text += detok.flush();  // an incomplete UTF-8 sequence held back
  emit(true);
  res.text = text;
  return res;
}

}  // namespace hearth::llm
