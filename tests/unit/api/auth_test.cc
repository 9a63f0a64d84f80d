// Tokens, pairing codes, the failure limiter and the header parsers of
// daemon/src/auth.h, on real SQLite files.
#include "auth.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "cli_token.h"

namespace hearth {
namespace {

using namespace std::chrono_literals;

class TempPath {
 public:
  TempPath() {
    std::string p = (std::filesystem::temp_directory_path() / "hearth-auth-XXXXXX").string();
    dir_ = mkdtemp(p.data()) ? p : "";
  }
  ~TempPath() { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& n) const { return dir_ + "/" + n; }

 private:
  std::string dir_;
};

TEST(AuthHelpers, TokensAreLongRandomAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string t = auth_detail::random_token();
    ASSERT_EQ(t.size(), 4u + 43u);
    EXPECT_EQ(t.substr(0, 4), "hth_");
    for (char c : t.substr(4)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t;
    EXPECT_TRUE(seen.insert(t).second);
  }
}

TEST(AuthHelpers, PairCodesAreEightDigits) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string c = auth_detail::random_pair_code();
    ASSERT_EQ(c.size(), 8u);
    for (char ch : c) EXPECT_TRUE(ch >= '0' && ch <= '9');
    seen.insert(c);
  }
  EXPECT_GT(seen.size(), 190u);
}

TEST(AuthHelpers, Sha256MatchesKnownVector) {
  EXPECT_EQ(auth_detail::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(auth_detail::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(AuthHelpers, ConstantTimeEqual) {
  EXPECT_TRUE(auth_detail::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(auth_detail::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(auth_detail::constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(auth_detail::constant_time_equal("", ""));
}

TEST(AuthHelpers, BearerHeaderParsing) {
  EXPECT_EQ(auth_detail::bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(auth_detail::bearer_token("bearer   abc  "), "abc");
  EXPECT_EQ(auth_detail::bearer_token("Basic dXNlcjpwdw=="), "");
  EXPECT_EQ(auth_detail::bearer_token(""), "");
  EXPECT_EQ(auth_detail::bearer_token("Bearer"), "");
  EXPECT_EQ(auth_detail::bearer_token("Bearer "), "");
}

TEST(AuthHelpers, LoopbackAddressesAndHosts) {
  EXPECT_TRUE(auth_detail::is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(auth_detail::is_loopback_address("127.1.2.3"));
  EXPECT_TRUE(auth_detail::is_loopback_address("::1"));
  EXPECT_TRUE(auth_detail::is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_FALSE(auth_detail::is_loopback_address("192.168.1.5"));
  EXPECT_FALSE(auth_detail::is_loopback_address("::ffff:10.0.0.1"));
  EXPECT_FALSE(auth_detail::is_loopback_address(""));
  EXPECT_TRUE(auth_detail::is_loopback_host("localhost:8765"));
  EXPECT_TRUE(auth_detail::is_loopback_host("127.0.0.1:8765"));
  EXPECT_TRUE(auth_detail::is_loopback_host("[::1]:8765"));
  EXPECT_TRUE(auth_detail::is_loopback_host("LOCALHOST"));
  EXPECT_FALSE(auth_detail::is_loopback_host("evil.example:8765"));   // DNS rebinding
  EXPECT_FALSE(auth_detail::is_loopback_host("[::1"));
  EXPECT_FALSE(auth_detail::is_loopback_host("hub.local"));
}

TEST(TokenStore, CreateVerifyListRevokePersist) {
  TempPath tmp;
  const std::string db = tmp.file("auth.db");
  std::string token;
  int64_t id = 0;
  {
    auto store = TokenStore::open(db);
    ASSERT_TRUE(store) << store.error().message;
    auto t = (*store)->create("Anna's phone", Scope::kControl, 0s, 1000);
    ASSERT_TRUE(t);
    token = t->token;
    id = t->info.id;
    auto v = (*store)->verify(token, 2000);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->name, "Anna's phone");
    EXPECT_EQ(v->scope, Scope::kControl);
    EXPECT_EQ(v->last_used_ms, 2000);
  }
  // A second process (the CLI) sees the same store; only the hash is stored.
  {
    auto store = TokenStore::open(db);
    ASSERT_TRUE(store);
    auto list = (*store)->list();
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ((*list)[0].id, id);
    EXPECT_EQ((*list)[0].last_used_ms, 2000);
    auto r = (*store)->revoke(std::to_string(id), 3000);
    ASSERT_TRUE(r);
    auto v = (*store)->verify(token, 4000);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("revoked"), std::string::npos);
  }
  std::ifstream in(db, std::ios::binary);
  std::stringstream raw;
  raw << in.rdbuf();
  EXPECT_EQ(raw.str().find(token), std::string::npos) << "the token must be stored only as a hash";
  EXPECT_EQ(raw.str().find(token.substr(4, 20)), std::string::npos);
}

TEST(TokenStore, ExpiryWrongAndMalformedTokens) {
  auto store = TokenStore::open("");
  ASSERT_TRUE(store);
  EXPECT_FALSE((*store)->persistent());
  auto t = (*store)->create("short", Scope::kRead, 10s, 1000);
  ASSERT_TRUE(t);
  EXPECT_TRUE((*store)->verify(t->token, 10999));
  auto expired = (*store)->verify(t->token, 11000);
  ASSERT_FALSE(expired);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
  std::string wrong = t->token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ((*store)->verify(wrong, 2000).error().code, Code::kNotFound);
  EXPECT_EQ((*store)->verify("", 2000).error().code, Code::kNotFound);
  EXPECT_EQ((*store)->verify("hth_short", 2000).error().code, Code::kNotFound);
  EXPECT_EQ((*store)->verify(std::string(10000, 'x'), 2000).error().code, Code::kNotFound);
  EXPECT_EQ((*store)->verify("hth_' OR 1=1 --aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 2000).error().code, Code::kNotFound);
  EXPECT_FALSE((*store)->create("", Scope::kRead, 0s, 0));
  EXPECT_FALSE((*store)->create(std::string(101, 'n'), Scope::kRead, 0s, 0));
}

TEST(TokenStore, RevokeByNameAndAmbiguity) {
  auto store = TokenStore::open("");
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->create("tablet", Scope::kRead, 0s, 0));
  ASSERT_TRUE((*store)->create("tablet", Scope::kRead, 0s, 0));
  ASSERT_TRUE((*store)->create("laptop", Scope::kAdmin, 0s, 0));
  EXPECT_EQ((*store)->revoke("tablet", 1).error().code, Code::kAmbiguous);
  EXPECT_EQ((*store)->revoke("nobody", 1).error().code, Code::kNotFound);
  auto r = (*store)->revoke("laptop", 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "laptop");
}

TEST(TokenStore, PairCodesAreOneTimeAndExpire) {
  auto store = TokenStore::open("");
  ASSERT_TRUE(store);
  auto code = (*store)->create_pair_code(300s, 1000);
  ASSERT_TRUE(code);
  EXPECT_FALSE(*(*store)->consume_pair_code("00000000" == *code ? "11111111" : "00000000", 2000));
  EXPECT_TRUE(*(*store)->consume_pair_code(*code, 2000));
  EXPECT_FALSE(*(*store)->consume_pair_code(*code, 2000)) << "a code works once";
  auto late = (*store)->create_pair_code(300s, 1000);
  ASSERT_TRUE(late);
  EXPECT_FALSE(*(*store)->consume_pair_code(*late, 1000 + 300 * 1000)) << "expired";
  EXPECT_FALSE(*(*store)->consume_pair_code("abc", 2000));
  EXPECT_FALSE(*(*store)->consume_pair_code("1234567", 2000));
  EXPECT_FALSE(*(*store)->consume_pair_code("123456789", 2000));
}

TEST(FailureLimiter, BlocksAfterMaxAndForgetsAfterWindow) {
  FailureLimiter lim(3, 60s);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(lim.retry_after_s("a", t0), 0);
  lim.record_failure("a", t0);
  lim.record_failure("a", t0 + 1s);
  EXPECT_EQ(lim.retry_after_s("a", t0 + 2s), 0);
  lim.record_failure("a", t0 + 2s);
  EXPECT_EQ(lim.retry_after_s("a", t0 + 3s), 57);
  EXPECT_EQ(lim.retry_after_s("b", t0 + 3s), 0) << "other addresses are not affected";
  EXPECT_EQ(lim.retry_after_s("a", t0 + 61s), 0) << "the oldest failure aged out";
}

TEST(Auth, ScopesLoopbackTrustAndBrowsers) {
  auto store = TokenStore::open("");
  ASSERT_TRUE(store);
  auto read = (*store)->create("r", Scope::kRead, 0s, unix_ms_now());
  auto admin = (*store)->create("a", Scope::kAdmin, 0s, unix_ms_now());
  ASSERT_TRUE(read && admin);
  AuthOptions o;
  o.loopback_trusted = true;
  Auth auth(o, std::move(*store));
  AuthRequest local{"127.0.0.1", "", "", "127.0.0.1:8765"};
  EXPECT_TRUE(auth.check(local, Scope::kAdmin).ok);
  AuthRequest browser = local;
  browser.origin = "http://127.0.0.1:8765";
  EXPECT_EQ(auth.check(browser, Scope::kRead).status, 401) << "browsers always need a token";
  AuthRequest rebinding = local;
  rebinding.host = "attacker.example";
  EXPECT_EQ(auth.check(rebinding, Scope::kRead).status, 401);
  AuthRequest remote{"192.168.1.7", "", "", "hub:8765"};
  EXPECT_EQ(auth.check(remote, Scope::kRead).status, 401);
  remote.authorization = "Bearer " + read->token;
  EXPECT_TRUE(auth.check(remote, Scope::kRead).ok);
  AuthDecision d = auth.check(remote, Scope::kControl);
  EXPECT_EQ(d.status, 403);
  remote.authorization = "Bearer " + admin->token;
  EXPECT_TRUE(auth.check(remote, Scope::kControl).ok);
  remote.authorization = "Basic Zm9vOmJhcg==";
  EXPECT_EQ(auth.check(remote, Scope::kRead).status, 401);
}

TEST(Auth, WrongTokensAreRateLimitedPerAddress) {
  auto store = TokenStore::open("");
  ASSERT_TRUE(store);
  auto good = (*store)->create("g", Scope::kRead, 0s, unix_ms_now());
  ASSERT_TRUE(good);
  AuthOptions o;
  o.loopback_trusted = false;
  o.max_failures = 4;
  Auth auth(o, std::move(*store));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(auth.check_token("hth_" + std::string(43, 'x'), "10.0.0.9", Scope::kRead).status, 401);
  }
  AuthDecision d = auth.check_token(good->token, "10.0.0.9", Scope::kRead);
  EXPECT_EQ(d.status, 429) << "even a good token waits once the address is blocked";
  EXPECT_GT(d.retry_after_s, 0);
  EXPECT_TRUE(auth.check_token(good->token, "10.0.0.10", Scope::kRead).ok);
}

TEST(Auth, PairingBruteForceIsRateLimited) {
  auto store = TokenStore::open("");
  ASSERT_TRUE(store);
  AuthOptions o;
  o.max_pair_failures = 5;
  o.max_pair_failures_global = 8;
  Auth auth(o, std::move(*store));
  auto code = auth.create_pair_code();
  ASSERT_TRUE(code);
  int retry = 0;
  int wrong = 0;
  for (int i = 0; i < 5; ++i) {
    std::string guess = std::to_string(10000000 + i);
    if (guess == *code) continue;
    auto r = auth.pair(guess, "x", "10.0.0.1", &retry);
    EXPECT_FALSE(r);
    EXPECT_EQ(retry, 0);
    ++wrong;
  }
  ASSERT_EQ(wrong, 5);
  // Blocked now, even with the right code.
  auto blocked = auth.pair(*code, "x", "10.0.0.1", &retry);
  EXPECT_FALSE(blocked);
  EXPECT_GT(retry, 0);
  // Another address: three more wrong guesses trip the global limit.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(auth.pair("99999999" == *code ? "99999998" : "99999999", "y", "10.0.0.2", &retry));
  auto global = auth.pair(*code, "z", "10.0.0.3", &retry);
  EXPECT_FALSE(global);
  EXPECT_GT(retry, 0) << "a distributed guesser is stopped too";
  EXPECT_EQ(auth.stats().pair_failed, 8u);
}

TEST(Auth, PairingGivesAControlToken) {
  auto store = TokenStore::open("");
  ASSERT_TRUE(store);
  Auth auth(AuthOptions{}, std::move(*store));
  auto code = auth.create_pair_code();
  ASSERT_TRUE(code);
  int retry = 0;
  auto t = auth.pair(*code, "Phone", "10.0.0.1", &retry);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->info.scope, Scope::kControl);
  EXPECT_TRUE(auth.check_token(t->token, "10.0.0.1", Scope::kControl).ok);
  EXPECT_EQ(auth.check_token(t->token, "10.0.0.1", Scope::kAdmin).status, 403);
  EXPECT_FALSE(auth.pair(*code, "Again", "10.0.0.1", &retry)) << "codes are one-time";
}

TEST(TokenCli, CreateListRevokeAndPairWithDb) {
  TempPath tmp;
  const std::string db = tmp.file("auth.db");
  std::ostringstream out, err;
  ASSERT_EQ(run_token_command({"create", "--db", db, "--name", "script", "--scope", "read"}, out, err), 0) << err.str();
  std::string token = out.str();
  ASSERT_FALSE(token.empty());
  token.pop_back();
  EXPECT_EQ(token.size(), 47u);
  EXPECT_EQ(err.str().find(token), std::string::npos) << "the token goes to stdout only";
  std::ostringstream lout, lerr;
  ASSERT_EQ(run_token_command({"list", "--db", db}, lout, lerr), 0);
  EXPECT_NE(lout.str().find("script"), std::string::npos);
  EXPECT_EQ(lout.str().find(token), std::string::npos);
  std::ostringstream rout, rerr;
  ASSERT_EQ(run_token_command({"revoke", "--db", db, "script"}, rout, rerr), 0) << rerr.str();
  std::ostringstream pout, perr;
  ASSERT_EQ(run_pair_command({"--db", db}, pout, perr), 0) << perr.str();
  EXPECT_EQ(pout.str().size(), 9u);
  std::ostringstream bout, berr;
  EXPECT_EQ(run_token_command({"create", "--db", db, "--name", "x", "--scope", "root"}, bout, berr), 2);
  EXPECT_EQ(run_token_command({"create", "--name", "x", "--scope", "read"}, bout, berr), 2);
  EXPECT_EQ(run_token_command({"frobnicate", "--db", db}, bout, berr), 2);
  EXPECT_EQ(run_token_command({"create", "--db", "/nonexistent-dir/x/auth.db", "--name", "x", "--scope", "read"}, bout,
                              berr),
            1);
}

}  // namespace
}  // namespace hearth
