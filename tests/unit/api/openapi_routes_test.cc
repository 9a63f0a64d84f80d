// The OpenAPI document and the route table (auth_routes.h) describe the same
// routes with the same access levels. (The integration test
// companion_openapi_test walks the document against the real server.)
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api_static.h"
#include "auth_routes.h"

namespace hearth {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpenApi, DocumentIsValidJsonWithTheBasics) {
  nlohmann::json doc = nlohmann::json::parse(embedded_openapi_json(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc.value("openapi", "").substr(0, 2), "3.");
  ASSERT_TRUE(doc.contains("paths"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("bearer"));
}

TEST(OpenApi, EveryRouteIsDocumentedWithItsScopeAndNothingElse) {
  nlohmann::json doc = nlohmann::json::parse(embedded_openapi_json());
  std::set<std::pair<std::string, std::string>> documented;
  for (auto& [path, ops] : doc["paths"].items()) {
    for (auto& [method, op] : ops.items()) {
      documented.insert({lower(method), path});
      const RouteSpec* spec = nullptr;
      for (const RouteSpec& r : api_routes()) {
        if (lower(r.method) == method && path == r.path) spec = &r;
      }
      ASSERT_NE(spec, nullptr) << method << " " << path << " is documented but not in the route table";
      EXPECT_EQ(op.value("x-hearth-scope", ""), access_name(spec->access)) << method << " " << path;
      EXPECT_EQ(op["security"].empty(), spec->access == Access::kPublic) << method << " " << path;
      ASSERT_TRUE(op.contains("responses")) << method << " " << path;
      if (spec->access != Access::kPublic) {
        EXPECT_TRUE(op["responses"].contains("401")) << method << " " << path;
        EXPECT_TRUE(op["responses"].contains("403")) << method << " " << path;
      }
      // Path parameters are declared.
      for (size_t b = path.find('{'); b != std::string::npos; b = path.find('{', b + 1)) {
        std::string name = path.substr(b + 1, path.find('}', b) - b - 1);
        bool declared = false;
        for (const auto& p : op.value("parameters", nlohmann::json::array())) {
          declared = declared || (p.value("in", "") == "path" && p.value("name", "") == name);
        }
        EXPECT_TRUE(declared) << method << " " << path << " does not declare {" << name << "}";
      }
    }
  }
  for (const RouteSpec& r : api_routes()) {
    EXPECT_TRUE(documented.count({lower(r.method), r.path})) << r.method << " " << r.path << " is not documented";
  }
}

TEST(RouteTable, MatchingIsBySegment) {
  EXPECT_EQ(match_route("GET", "/api/v1/devices")->access, Access::kRead);
  EXPECT_EQ(match_route("POST", "/api/v1/devices/light.x/actions")->access, Access::kControl);
  EXPECT_EQ(match_route("GET", "/api/v1/devices/light.x")->access, Access::kRead);
  EXPECT_EQ(match_route("GET", "/api/v1/devices/discovered")->path, std::string("/api/v1/devices/discovered"));
  EXPECT_EQ(match_route("PATCH", "/api/v1/settings")->access, Access::kAdmin);
  EXPECT_EQ(match_route("GET", "/api/v1/tokens")->access, Access::kAdmin);
  EXPECT_EQ(match_route("GET", "/api/v1/devices/"), nullptr);
  EXPECT_EQ(match_route("GET", "/api/v1/devices/a/b"), nullptr);
  EXPECT_EQ(match_route("DELETE", "/api/v1/devices"), nullptr);
  EXPECT_EQ(match_route("GET", "/app.js")->access, Access::kPublic);
  EXPECT_EQ(match_route("GET", "/a/b.js"), nullptr);
}

}  // namespace
}  // namespace hearth
