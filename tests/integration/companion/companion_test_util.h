// tests/integration/companion/companion_test_util.h: what the companion
// tests share on top of the daemon harness: a config with auth settings,
// minting tokens with the real `hearth token` CLI, and requests with a token.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/daemon_harness.h"

namespace hearth::testing {

inline nlohmann::json companion_config(bool loopback_trusted, int max_failures = 10000) {
  nlohmann::json c = base_config();
  c["api"]["auth"] = {{"loopback_trusted", loopback_trusted}, {"max_failures_per_minute", max_failures}};
  c["api"]["max_connections"] = 200;
  return c;
}

// Runs `hearth token create` against the daemon's store; "" on failure.
inline std::string mint_token(const TempDir& dir, const std::string& name, const std::string& scope,
                              const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"token", "create", "--db", dir.file("auth.db"), "--name", name, "--scope", scope};
  args.insert(args.end(), extra.begin(), extra.end());
  CliRun r = run_cli(dir, args);
  if (r.code != 0) {
    ADD_FAILURE() << "hearth token create failed: " << r.err;
    return "";
  }
  std::string t = r.out;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

inline HttpReply call(Daemon& d, const std::string& method, const std::string& target, const std::string& token,
                      const std::string& body = "", std::vector<std::pair<std::string, std::string>> headers = {}) {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return d.request(method, target, body, "application/json", headers);
}

inline std::string error_code(const HttpReply& r) {
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

}  // namespace hearth::testing
