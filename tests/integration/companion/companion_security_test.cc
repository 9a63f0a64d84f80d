// Issue 10 security tests against the real hearthd: every route without a
// token, with a wrong, expired or revoked token and with too small a scope;
// loopback trust on and off; pairing and its brute-force limit; malformed
// and oversized HTTP; path traversal on the static files; and no secret in
// the daemon's output.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "companion_test_util.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

int scope_rank(const std::string& s) { return s == "read" ? 1 : s == "control" ? 2 : s == "admin" ? 3 : 0; }

// Fills {params} of a documented path with something routable.
std::string concrete(std::string path) {
  const std::pair<const char*, const char*> subs[] = {{"{id}", "light.kitchen_ceiling"}, {"{file}", "app.js"}};
  for (const auto& [from, to] : subs) {
    for (size_t p = path.find(from); p != std::string::npos; p = path.find(from)) path.replace(p, std::strlen(from), to);
  }
  return path;
}

// Sends raw bytes, returns what comes back until the server closes (or 3 s).
std::string raw_exchange(uint16_t port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return "";
  }
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) {
      if (!out.empty() && out.find("\r\n\r\n") != std::string::npos) {
        // Complete once Content-Length bytes are in.
        size_t cl = out.find("Content-Length: ");
        if (cl != std::string::npos) {
          size_t n = std::stoul(out.substr(cl + 16));
          if (out.size() >= out.find("\r\n\r\n") + 4 + n) break;
        }
      }
      continue;
    }
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

int raw_status(const std::string& reply) { return reply.size() >= 12 ? std::atoi(reply.substr(9, 3).c_str()) : -1; }

class CompanionSecurity : public ::testing::Test {
 protected:
  void start(bool loopback_trusted, int max_failures = 10000) {
    ASSERT_TRUE(daemon_.start(companion_config(loopback_trusted, max_failures)));
  }
  void TearDown() override {
    if (!stopped_) { EXPECT_TRUE(daemon_.stop()); }
  }
  // Every secret handed out, for the log check.
  std::vector<std::string> secrets_;
  TempDir dir_;
  Daemon daemon_{dir_};
  bool stopped_ = false;
};

TEST_F(CompanionSecurity, EveryRouteChecksTokensAndScopes) {
  start(/*loopback_trusted=*/false);
  const std::string read = mint_token(dir_, "reader", "read");
  const std::string control = mint_token(dir_, "controller", "control");
  const std::string admin = mint_token(dir_, "admin", "admin");
  const std::string expiring = mint_token(dir_, "short-lived", "admin", {"--ttl-s", "1"});
  const std::string revoked = mint_token(dir_, "revoked", "admin");
  secrets_ = {read, control, admin, expiring, revoked};
  ASSERT_EQ(run_cli(dir_, {"token", "revoke", "--db", dir_.file("auth.db"), "revoked"}).code, 0);
  const std::string wrong = "hth_" + std::string(43, 'Q');
  // Let the short-lived token expire (its lifetime is one second).
  ASSERT_TRUE(wait_until([&] { return call(daemon_, "GET", "/api/v1/me", expiring).status == 401; }, 5s));

  json doc = json::parse(call(daemon_, "GET", "/api/v1/openapi.json", "").body);
  int checked = 0;
  for (auto& [path, ops] : doc["paths"].items()) {
    for (auto& [method_lc, op] : ops.items()) {
      std::string method = method_lc;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string scope = op["x-hearth-scope"];
      const std::string target = concrete(path);
      const std::string what = method + " " + target;
      if (scope == "public") continue;
      ++checked;
      for (const std::string& bad : {std::string(), wrong, expiring, revoked}) {
        HttpReply r = call(daemon_, method, target, bad, "{}");
        EXPECT_EQ(r.status, 401) << what << " with token '" << bad.substr(0, 8) << "': " << r.body;
        EXPECT_EQ(error_code(r), "unauthorized") << what;
        EXPECT_FALSE(r.header("WWW-Authenticate").empty()) << what;
      }
      HttpReply bad_scheme = daemon_.request(method, target, "{}", "application/json",
                                             {{"Authorization", "Basic YWRtaW46YWRtaW4="}});
      EXPECT_EQ(bad_scheme.status, 401) << what;
      for (const auto& [tok, have] : {std::pair{read, "read"}, std::pair{control, "control"}, std::pair{admin, "admin"}}) {
        HttpReply r = call(daemon_, method, target, tok, "{}");
        if (scope_rank(have) < scope_rank(scope)) {
          EXPECT_EQ(r.status, 403) << what << " with a " << have << " token: " << r.body;
          EXPECT_EQ(error_code(r), "forbidden") << what;
        } else {
          EXPECT_NE(r.status, 401) << what << " with a " << have << " token: " << r.body;
          EXPECT_NE(r.status, 403) << what << " with a " << have << " token: " << r.body;
        }
      }
    }
  }
  EXPECT_GE(checked, 25);
  // Undocumented API paths need admin too (default deny), then 404.
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/secret-admin-thing", "").status, 401);
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/secret-admin-thing", read).status, 403);
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/secret-admin-thing", admin).status, 404);
  // Without a token, health says only that the daemon is up.
  json h = json::parse(call(daemon_, "GET", "/api/v1/health", "").body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_FALSE(h.contains("devices"));
  EXPECT_TRUE(json::parse(call(daemon_, "GET", "/api/v1/health", read).body).contains("devices"));
  // Token routes never reveal secrets.
  HttpReply list = call(daemon_, "GET", "/api/v1/tokens", admin);
  ASSERT_EQ(list.status, 200);
  for (const std::string& s : secrets_) EXPECT_EQ(list.body.find(s), std::string::npos);
  json tokens = json::parse(list.body)["tokens"];
  bool saw_used = false;
  for (const json& t : tokens) saw_used = saw_used || (t["name"] == "reader" && t["last_used_ms"].is_number());
  EXPECT_TRUE(saw_used) << list.body;
}

TEST_F(CompanionSecurity, LoopbackTrustIsForNonBrowserLocalClientsOnly) {
  start(/*loopback_trusted=*/true);
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", "").status, 200);
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/pair/code", "", "{}").status, 201);
  json me = json::parse(call(daemon_, "GET", "/api/v1/me", "").body);
  EXPECT_EQ(me["scope"], "admin");
  EXPECT_EQ(me["loopback_trusted"], true);
  // A browser (Origin) or a rebound DNS name (Host) is never trusted.
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/command", "", R"({"text":"turn on the kitchen light"})",
                 {{"Origin", "http://evil.example"}})
                .status,
            401);
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", "", "", {{"Origin", "http://127.0.0.1"}}).status, 401);
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", "", "", {{"Host", "evil.example:8765"}}).status, 401);
  // A wrong token is not rescued by loopback trust.
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", "hth_" + std::string(43, 'z')).status, 401);
  // The CLI keeps working without a token.
  CliRun say = run_cli(dir_, {"devices", "--url", "http://127.0.0.1:" + daemon_.url().port});
  EXPECT_EQ(say.code, 0) << say.err;
}

TEST_F(CompanionSecurity, PairingIssuesATokenOnceAndLimitsGuessing) {
  start(/*loopback_trusted=*/false);
  // Without loopback trust, the API will not hand out codes to strangers...
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/pair/code", "", "{}").status, 401);
  // ...but the owner can, through the store (hearth pair --db).
  CliRun pair = run_cli(dir_, {"pair", "--db", dir_.file("auth.db")});
  ASSERT_EQ(pair.code, 0) << pair.err;
  std::string code = pair.out.substr(0, 8);
  secrets_.push_back(code);
  HttpReply ok = call(daemon_, "POST", "/api/v1/pair", "", json{{"code", code}, {"name", "Anna's phone"}}.dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  json t = json::parse(ok.body);
  EXPECT_EQ(t["scope"], "control");
  const std::string token = t["token"];
  secrets_.push_back(token);
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", token).status, 200);
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/pair", "", json{{"code", code}, {"name", "again"}}.dump()).status, 404)
      << "a code works once";
  // Malformed pairing requests.
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/pair", "", "not json").status, 400);
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/pair", "", R"({"code": 12345678, "name": "x"})").status, 400);
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/pair", "", R"({"code": "12345678"})").status, 400);
  // Brute force: a handful of wrong codes, then 429 even for a right one.
  CliRun pair2 = run_cli(dir_, {"pair", "--db", dir_.file("auth.db")});
  ASSERT_EQ(pair2.code, 0);
  const std::string good = pair2.out.substr(0, 8);
  secrets_.push_back(good);
  int limited_at = -1;
  for (int i = 0; i < 20 && limited_at < 0; ++i) {
    std::string guess = std::to_string(20000000 + i);
    if (guess == good) continue;
    HttpReply r = call(daemon_, "POST", "/api/v1/pair", "", json{{"code", guess}, {"name", "brute"}}.dump());
    if (r.status == 429) {
      limited_at = i;
      EXPECT_FALSE(r.header("Retry-After").empty());
    } else {
      EXPECT_EQ(r.status, 404) << r.body;
    }
  }
  EXPECT_GE(limited_at, 1);
  EXPECT_LE(limited_at, 6) << "wrong pairing codes must be rate limited after a few attempts";
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/pair", "", json{{"code", good}, {"name", "late"}}.dump()).status, 429);
  // The admin can revoke the paired phone; its token stops working at once.
  const std::string admin = mint_token(dir_, "admin", "admin");
  secrets_.push_back(admin);
  HttpReply del = call(daemon_, "DELETE", "/api/v1/tokens/" + std::to_string(t["id"].get<int64_t>()), admin);
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", token).status, 401);
  EXPECT_EQ(call(daemon_, "DELETE", "/api/v1/tokens/99999", admin).status, 404);
  EXPECT_EQ(call(daemon_, "DELETE", "/api/v1/tokens/abc", admin).status, 400);
}

TEST_F(CompanionSecurity, WrongTokensAreRateLimitedPerAddress) {
  start(/*loopback_trusted=*/false, /*max_failures=*/5);
  const std::string good = mint_token(dir_, "good", "read");
  secrets_.push_back(good);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", "hth_" + std::string(43, 'a' + i)).status, 401);
  }
  HttpReply r = call(daemon_, "GET", "/api/v1/devices", "hth_" + std::string(43, 'w'));
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.header("Retry-After").empty());
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", good).status, 429) << "the address is blocked for a while";
}

TEST_F(CompanionSecurity, MalformedAndOversizedHttpAndTraversal) {
  start(/*loopback_trusted=*/false);
  const std::string admin = mint_token(dir_, "admin", "admin");
  secrets_.push_back(admin);
  const uint16_t port = daemon_.port();
  // Oversized body (the harness config allows 4096 bytes).
  HttpReply big = call(daemon_, "POST", "/api/v1/command", admin, std::string(10000, 'x'));
  EXPECT_EQ(big.status, 413);
  // Huge header block.
  std::string huge = "GET /api/v1/devices HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(raw_status(raw_exchange(port, huge)), 431);
  // Garbage, a bad method token, a broken request line.
  EXPECT_EQ(raw_status(raw_exchange(port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")), 400);
  EXPECT_EQ(raw_status(raw_exchange(port, "G(ET / HTTP/1.1\r\nHost: x\r\n\r\n")), 400);
  EXPECT_EQ(raw_status(raw_exchange(port, "GET\r\n\r\n")), 400);
  // A giant Authorization header is just a wrong token (or too large).
  HttpReply long_auth = daemon_.request("GET", "/api/v1/devices", "", "application/json",
                                        {{"Authorization", "Bearer " + std::string(6000, 'A')}});
  EXPECT_TRUE(long_auth.status == 401 || long_auth.status == 431) << long_auth.status;
  // Path traversal on the static files: nothing outside the embedded set.
  for (const char* path : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                           "/static/../../etc/passwd", "/index.html/../../../etc/passwd", "/%2e%2e%5c%2e%2e%5cetc",
                           "/....//....//etc/passwd", "/app.js%00.png", "//etc/passwd"}) {
    std::string reply = raw_exchange(port, std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    int status = raw_status(reply);
    EXPECT_TRUE(status == 404 || status == 400) << path << " → " << status;
    EXPECT_EQ(reply.find("root:"), std::string::npos) << path;
  }
  // The companion itself is there, with a strict content security policy.
  HttpReply index = daemon_.request("GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("<html"), std::string::npos);
  EXPECT_NE(index.header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(index.header("X-Content-Type-Options"), "nosniff");
  // The server kept serving through all of it.
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", admin).status, 200);
}

TEST_F(CompanionSecurity, SettingsNeedAdminAndRefuseUnknownFields) {
  start(/*loopback_trusted=*/false);
  const std::string control = mint_token(dir_, "c", "control");
  const std::string admin = mint_token(dir_, "a", "admin");
  secrets_ = {control, admin};
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/settings", control).status, 200);
  EXPECT_EQ(call(daemon_, "PATCH", "/api/v1/settings", control, R"({"log_level":"debug"})").status, 403);
  HttpReply ok = call(daemon_, "PATCH", "/api/v1/settings", admin, R"({"log_level":"warn"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["log_level"], "warn");
  EXPECT_EQ(call(daemon_, "PATCH", "/api/v1/settings", admin, R"({"listen":"0.0.0.0:80"})").status, 400);
  EXPECT_EQ(call(daemon_, "PATCH", "/api/v1/settings", admin, R"({"log_level":"loud"})").status, 400);
  EXPECT_EQ(call(daemon_, "PATCH", "/api/v1/settings", admin, "[").status, 400);
  EXPECT_EQ(call(daemon_, "PATCH", "/api/v1/settings", admin, R"({"log_level":"debug"})").status, 200);
  // With debug logging on, use every token once more, then check the output.
  EXPECT_EQ(call(daemon_, "GET", "/api/v1/devices", control).status, 200);
  EXPECT_EQ(call(daemon_, "POST", "/api/v1/command", control, R"({"text":"turn on the kitchen light"})").status, 200);
}

// Runs last in each test (TearDown order): the daemon's whole output must
// not contain any token or pairing code handed out.
class CompanionNoSecretsInLogs : public CompanionSecurity {};

TEST_F(CompanionNoSecretsInLogs, TokensAndCodesNeverAppearInOutput) {
  stopped_ = true;  // this test runs its own daemon, with debug logging
  json cfg = companion_config(false);
  cfg["log_level"] = "debug";
  Daemon d(dir_, "hearthd-debug");
  ASSERT_TRUE(d.start(cfg));
  const std::string admin = mint_token(dir_, "admin", "admin");
  CliRun pair = run_cli(dir_, {"pair", "--db", dir_.file("auth.db")});
  ASSERT_EQ(pair.code, 0);
  const std::string code = pair.out.substr(0, 8);
  HttpReply paired = call(d, "POST", "/api/v1/pair", "", json{{"code", code}, {"name", "phone"}}.dump());
  ASSERT_EQ(paired.status, 201);
  const std::string phone = json::parse(paired.body)["token"];
  HttpReply minted = call(d, "POST", "/api/v1/tokens", admin, R"({"name":"api-made","scope":"read"})");
  ASSERT_EQ(minted.status, 201);
  const std::string api_made = json::parse(minted.body)["token"];
  EXPECT_EQ(call(d, "GET", "/api/v1/devices", phone).status, 200);
  EXPECT_EQ(call(d, "GET", "/api/v1/devices", api_made).status, 200);
  EXPECT_EQ(call(d, "POST", "/api/v1/command", phone, R"({"text":"turn off the kitchen light"})").status, 200);
  EXPECT_EQ(call(d, "GET", "/api/v1/devices", phone + "x").status, 401);
  HttpReply code_via_api = call(d, "POST", "/api/v1/pair/code", admin, "{}");
  ASSERT_EQ(code_via_api.status, 201);
  const std::string code2 = json::parse(code_via_api.body)["code"];
  ASSERT_TRUE(d.stop());
  const std::string output = d.process().out() + d.process().err();
  EXPECT_NE(output.find("paired 'phone'"), std::string::npos) << "the pairing itself is logged (without secrets)";
  for (const std::string& s : {admin, phone, api_made, phone + "x"}) {
    EXPECT_EQ(output.find(s), std::string::npos) << "a token appears in hearthd's output";
    EXPECT_EQ(output.find(s.substr(4, 16)), std::string::npos) << "part of a token appears in hearthd's output";
  }
  for (const std::string& c : {code, code2}) {
    EXPECT_EQ(output.find(c), std::string::npos) << "a pairing code appears in hearthd's output";
  }
}

}  // namespace
}  // namespace hearth::testing
