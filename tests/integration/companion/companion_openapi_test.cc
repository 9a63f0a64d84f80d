// Issue 10: /api/v1/openapi.json matches the real server. Every documented
// path and method is routed (never "no route" or 405), answers with a status
// the document lists, and every undocumented method on a documented path is
// refused (404/405) — so the router has no route the document hides.
#include <set>

#include <gtest/gtest.h>

#include "companion_test_util.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

std::string fill(std::string path, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    const std::string key = "{" + name + "}";
    for (size_t p = path.find(key); p != std::string::npos; p = path.find(key)) path.replace(p, key.size(), value);
  }
  return path;
}

TEST(CompanionOpenApi, DocumentMatchesTheServer) {
  TempDir dir;
  Daemon daemon(dir);
  ASSERT_TRUE(daemon.start(companion_config(/*loopback_trusted=*/false)));
  const std::string admin = mint_token(dir, "admin", "admin");
  HttpReply doc_reply = daemon.request("GET", "/api/v1/openapi.json");
  ASSERT_EQ(doc_reply.status, 200);
  json doc = json::parse(doc_reply.body);
  ASSERT_TRUE(doc["paths"].is_object());

  // Real ids, so {id} routes reach their handlers' happy paths where possible.
  HttpReply routine = call(daemon, "POST", "/api/v1/routines", admin,
                           R"({"name":"walk","time":"07:00","actions":[{"device_id":"light.hallway","action":"turn_on"}]})");
  std::string routine_id = "1";
  if (routine.status == 201) routine_id = std::to_string(json::parse(routine.body)["id"].get<int64_t>());
  HttpReply tok = call(daemon, "POST", "/api/v1/tokens", admin, R"({"name":"doomed","scope":"read"})");
  ASSERT_EQ(tok.status, 201);
  const std::string token_id = std::to_string(json::parse(tok.body)["id"].get<int64_t>());

  const std::set<std::string> kMethods = {"get", "post", "patch", "delete", "put"};
  int walked = 0;
  for (auto& [path, ops] : doc["paths"].items()) {
    std::map<std::string, std::string> values = {{"file", "app.js"}, {"id", "light.kitchen_ceiling"}};
    if (path.find("/routines/") != std::string::npos) values["id"] = routine_id;
    if (path.find("/tokens/") != std::string::npos) values["id"] = token_id;
    if (path.find("/suggestions/") != std::string::npos || path.find("/discovered/") != std::string::npos) {
      values["id"] = "999";
    }
    const std::string target = fill(path, values);
    for (const std::string& m : kMethods) {
      std::string method = m;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::string body = "{}";
      if (path == "/api/v1/command") body = R"({"text":"turn on the porch light"})";
      if (path == "/api/v1/devices/{id}/actions") body = R"({"action":"turn_on"})";
      if (path == "/api/v1/settings") body = R"({"log_level":"info"})";
      HttpReply r = call(daemon, method, target, admin, method == "GET" || method == "DELETE" ? "" : body);
      const std::string what = method + " " + target;
      if (!ops.contains(m)) {
        EXPECT_TRUE(r.status == 405 || r.status == 404) << what << " is not documented but answered " << r.status
                                                        << ": " << r.body;
        continue;
      }
      ++walked;
      if (path == "/api/v1/events") {
        EXPECT_EQ(r.status, 426) << what;  // plain HTTP; the WebSocket side is tested in companion_events_test
        continue;
      }
      EXPECT_NE(r.status, 405) << what << ": " << r.body;
      // A documented 503 is an honest answer (e.g. discovery with MQTT off); any other 5xx is a bug.
      if (!(r.status == 503 && ops[m]["responses"].contains("503"))) {
        EXPECT_LT(r.status, 500) << what << ": " << r.body;
      }
      if (r.status == 404) {
        EXPECT_EQ(r.body.find("no route"), std::string::npos) << what << " is documented but not routed";
      }
      EXPECT_TRUE(ops[m]["responses"].contains(std::to_string(r.status)))
          << what << " answered " << r.status << ", which the document does not list: " << r.body;
    }
  }
  EXPECT_GE(walked, 30);
  EXPECT_TRUE(daemon.stop());
}

}  // namespace
}  // namespace hearth::testing
