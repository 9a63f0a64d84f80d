// libFuzzer target (issue 7): what the cloud layer reads from outside — an
// HTTP/1.1 response and an OpenAI-style chat-completions body — and the
// intent constraint automaton fed arbitrary model text. None may crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cloud_http.h"
#include "hearth/nlu/cascade.h"
#include "intent_llm_constraint.h"

namespace hearth {
Result<CloudAnswer> read_cloud_reply_for_test(const Home& home, const std::string& body);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hearth::Home home = [] {
    hearth::ConfigErrors errors;
    auto h = hearth::Home::parse(R"({"areas":[{"id":"k","name":"Kitchen"}],"devices":[
      {"id":"light.a","name":"Big Light","area":"k"},{"id":"lock.f","name":"Front Door","area":"k"}]})",
                                 "fuzz.json", errors);
    return h ? std::move(*h) : hearth::Home{};
  }();
  static const hearth::nlu::IntentGrammar grammar(home);
  const std::string in(reinterpret_cast<const char*>(data), size);
  (void)hearth::nlu::parse_http_response(in);
  (void)hearth::read_cloud_reply_for_test(home, in);
  hearth::nlu::IntentConstraint c(grammar);
  hearth::nlu::ConstraintState s = c.start();
  for (char ch : in) {
    if (!c.advance(s, ch)) break;
    (void)c.next_chars(s);
  }
  return 0;
}
