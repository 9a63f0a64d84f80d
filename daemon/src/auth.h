// daemon/src/auth.h: who may use the API. Bearer tokens (random 256 bits,
// stored only as their SHA-256), one-time pairing codes that a phone trades
// for a token, scopes, and a limiter for failed attempts. Private to daemon/;
// used by the API router, the WebSocket event stream and `hearth token|pair`.
//
// Token text: "hth_" + 43 base64url characters (32 bytes from getrandom).
// The store keeps sha256(token) and compares hashes with CRYPTO_memcmp; the
// token itself is shown once, when created, and never logged.
//
// Scopes are ordered: read < control < admin (a control token may read).
//
// Storage: an SQLite file (config api.auth.db, default auth.db next to the
// history database) shared by hearthd and the CLI (WAL, busy timeout), so
// `hearth token create --db FILE` works while the daemon runs. With no file,
// an in-memory database: tokens then die with the process.
//
// Loopback trust (config api.auth.loopback_trusted, default true): a request
// without a token from 127.0.0.1/::1 is treated as admin, the way a local
// socket is trusted, so the CLI and scripts on the hub keep working — but
// only for non-browser clients: a request carrying an Origin header, or a Host
// that is not a loopback name (DNS rebinding), is never trusted without a
// token. Every remote request needs a token.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/daemon/config.h"

namespace hearth {

enum class Scope { kRead = 1, kControl = 2, kAdmin = 3 };

std::optional<Scope> parse_scope(std::string_view name);  // "read" | "control" | "admin"
const char* scope_name(Scope scope);

struct TokenInfo {
  int64_t id = 0;
  std::string name;            // "Anna's phone"
  Scope scope = Scope::kRead;
  int64_t created_ms = 0;      // Unix ms
  int64_t last_used_ms = 0;    // 0 = never (updated at most once a minute)
  int64_t expires_ms = 0;      // 0 = never
  int64_t revoked_ms = 0;      // 0 = live
};

struct IssuedToken {
  TokenInfo info;
  std::string token;  // the secret; shown once
};

// Helpers, exposed for tests.
namespace auth_detail {
std::string random_token();                       // "hth_" + 43 base64url chars
std::string random_pair_code();                   // 8 decimal digits, uniform
std::string sha256_hex(std::string_view text);
bool constant_time_equal(std::string_view a, std::string_view b);
bool is_loopback_address(std::string_view address);  // "127.x.y.z", "::1", "::ffff:127.x.y.z"
bool is_loopback_host(std::string_view host_header);  // "localhost[:port]", "127.0.0.1[:port]", "[::1][:port]"
// "Bearer <token>" → token; "" when the header is absent or not a bearer credential.
std::string bearer_token(std::string_view authorization);
}  // namespace auth_detail

// Tokens and pairing codes in SQLite. Thread-safe (one connection, a mutex).
class TokenStore {
 public:
  // `path` "" opens an in-memory store. Creates the schema when missing.
  static Result<std::unique_ptr<TokenStore>> open(const std::string& path);
  ~TokenStore();
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  bool persistent() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

  // `name` 1..100 bytes. ttl 0 = never expires.
  Result<IssuedToken> create(const std::string& name, Scope scope, std::chrono::seconds ttl, int64_t now_ms);
  // The live token matching `token`; kNotFound when unknown, kUnavailable
  // ("expired"/"revoked") otherwise. Touches last_used.
  Result<TokenInfo> verify(std::string_view token, int64_t now_ms);
  Result<std::vector<TokenInfo>> list();
  // Revokes by id ("12") or by exact name; kNotFound / kAmbiguous.
  Result<TokenInfo> revoke(const std::string& id_or_name, int64_t now_ms);

  // A one-time 8-digit code valid for `ttl`.
  Result<std::string> create_pair_code(std::chrono::seconds ttl, int64_t now_ms);
  // True (and the code is gone) when `code` is a live code.
  Result<bool> consume_pair_code(std::string_view code, int64_t now_ms);

 private:
  TokenStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<void> exec(const char* sql);

  std::mutex mu_;
  sqlite3* db_;
  std::string path_;
};

// Failed attempts per key (client address) in a sliding window.
class FailureLimiter {
 public:
  FailureLimiter(int max_failures, std::chrono::seconds window) : max_(max_failures), window_(window) {}
  // Seconds until `key` may try again; 0 = allowed now.
  int retry_after_s(const std::string& key, std::chrono::steady_clock::time_point now);
  void record_failure(const std::string& key, std::chrono::steady_clock::time_point now);
  void clear(const std::string& key);

 private:
  void prune(std::deque<std::chrono::steady_clock::time_point>& q, std::chrono::steady_clock::time_point now) const;
  std::mutex mu_;
  const int max_;
  const std::chrono::seconds window_;
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> failures_;
};

struct AuthOptions {
  bool loopback_trusted = true;
  std::chrono::seconds pair_code_ttl{300};
  int max_failures = 10;                 // failed token attempts per address per minute
  int max_pair_failures = 5;             // wrong pairing codes per address per 5 minutes
  int max_pair_failures_global = 30;     // wrong pairing codes from everyone per 5 minutes
};

// What a request shows to the auth check.
struct AuthRequest {
  std::string remote_address;  // "127.0.0.1", "::1", "192.168.1.20"
  std::string authorization;   // the Authorization header
  std::string origin;          // the Origin header ("" when absent)
  std::string host;            // the Host header
};

struct AuthDecision {
  bool ok = false;
  int status = 200;            // 401 no/bad token, 403 scope, 429 rate limited
  std::string code;            // "unauthorized", "forbidden", "rate_limited"
  std::string message;
  int retry_after_s = 0;       // with 429
  std::optional<TokenInfo> token;  // the token used (nullopt: trusted loopback)
  Scope scope = Scope::kRead;      // what the caller may do
};

struct AuthStats {
  uint64_t ok = 0;
  uint64_t unauthorized = 0;   // missing, unknown, expired or revoked token
  uint64_t forbidden = 0;      // scope too small
  uint64_t rate_limited = 0;
  uint64_t pair_ok = 0;
  uint64_t pair_failed = 0;
};

class Auth {
 public:
  Auth(AuthOptions options, std::unique_ptr<TokenStore> store);

  // For an HTTP request that needs `needed`.
  AuthDecision check(const AuthRequest& request, Scope needed);
  // For a token presented some other way (the WebSocket auth message).
  AuthDecision check_token(std::string_view token, const std::string& remote_address, Scope needed);
  // Trades a pairing code for a control token named `name`.
  Result<IssuedToken> pair(std::string_view code, const std::string& name, const std::string& remote_address,
                           int* retry_after_s);
  Result<std::string> create_pair_code();

  TokenStore& store() { return *store_; }
  const AuthOptions& options() const { return options_; }
  AuthStats stats() const;

 private:
  AuthDecision deny(int status, std::string code, std::string message);

  const AuthOptions options_;
  std::unique_ptr<TokenStore> store_;
  FailureLimiter token_failures_;
  FailureLimiter pair_failures_;
  FailureLimiter pair_failures_global_;
  mutable std::mutex stats_mu_;
  AuthStats stats_;
};

int64_t unix_ms_now();

// The token store path for a config: api.auth.db, else auth.db next to the
// history database.
std::string auth_db_path(const DaemonConfig& cfg);
// Opens the store (logging where), builds the Auth. A store that cannot be
// opened is replaced by an in-memory one, with an error in the log.
std::unique_ptr<Auth> make_auth(const DaemonConfig& cfg);

}  // namespace hearth
