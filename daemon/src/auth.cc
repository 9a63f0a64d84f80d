#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "hearth/common/log.h"

namespace hearth {

namespace {

constexpr std::string_view kTokenPrefix = "hth_";
constexpr size_t kTokenBytes = 32;
constexpr size_t kMaxNameBytes = 100;
constexpr std::chrono::milliseconds kLastUsedGranularity{60000};
constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  last_used_ms INTEGER NOT NULL DEFAULT 0,
  expires_ms INTEGER NOT NULL DEFAULT 0,
  revoked_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS pair_codes (
  hash TEXT PRIMARY KEY,
  expires_ms INTEGER NOT NULL
);
)sql";

// Fills `out` from the kernel's CSPRNG; aborts rather than hand out weak secrets.
void fill_random(unsigned char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    got += static_cast<size_t>(r);
  }
}

std::string base64url(const unsigned char* data, size_t n) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

// RAII statement.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void bind(int i, std::string_view text) { sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT); }
  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  int step() { return sqlite3_step(s_); }
  int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  std::string text(int c) {
    const unsigned char* t = sqlite3_column_text(s_, c);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

Error db_error(sqlite3* db, const std::string& what) {
  return Error{Code::kIo, "token store: " + what + ": " + sqlite3_errmsg(db)};
}

TokenInfo row_to_info(Stmt& s) {
  TokenInfo t;
  t.id = s.i64(0);
  t.name = s.text(1);
  t.scope = parse_scope(s.text(2)).value_or(Scope::kRead);
  t.created_ms = s.i64(3);
  t.last_used_ms = s.i64(4);
  t.expires_ms = s.i64(5);
  t.revoked_ms = s.i64(6);
  return t;
}

constexpr const char* kColumns = "id, name, scope, created_ms, last_used_ms, expires_ms, revoked_ms";

}  // namespace

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<Scope> parse_scope(std::string_view name) {
  if (name == "read") return Scope::kRead;
  if (name == "control") return Scope::kControl;
  if (name == "admin") return Scope::kAdmin;
  return std::nullopt;
}

const char* scope_name(Scope scope) {
  switch (scope) {
    case Scope::kRead: return "read";
    case Scope::kControl: return "control";
    case Scope::kAdmin: return "admin";
  }
  return "read";
}

namespace auth_detail {

std::string random_token() {
  unsigned char bytes[kTokenBytes];
  fill_random(bytes, sizeof(bytes));
  return std::string(kTokenPrefix) + base64url(bytes, sizeof(bytes));
}

std::string random_pair_code() {
  // Rejection sampling keeps the 10^8 codes equally likely.
  constexpr uint32_t kRange = 100000000;
  constexpr uint32_t kLimit = UINT32_MAX - (UINT32_MAX % kRange);
  uint32_t v = 0;
  do {
    fill_random(reinterpret_cast<unsigned char*>(&v), sizeof(v));
  } while (v >= kLimit);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08u", v % kRange);
  return buf;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_loopback_address(std::string_view address) {
  if (address == "::1") return true;
  if (address.substr(0, 7) == "::ffff:") address.remove_prefix(7);
  return address.substr(0, 4) == "127.";
}

bool is_loopback_host(std::string_view host) {
  if (host.empty()) return true;  // HTTP/1.0 clients send none; not a browser
  std::string_view name = host;
  if (!name.empty() && name.front() == '[') {
    size_t close = name.find(']');
    if (close == std::string_view::npos) return false;
    name = name.substr(1, close - 1);
  } else if (size_t colon = name.rfind(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "localhost" || lower == "::1" || is_loopback_address(lower);
}

std::string bearer_token(std::string_view authorization) {
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  if (authorization.size() < 7) return {};
  std::string scheme(authorization.substr(0, 7));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return {};
  std::string_view t = authorization.substr(7);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return std::string(t);
}

}  // namespace auth_detail

// ---------------------------------------------------------------- TokenStore

Result<std::unique_ptr<TokenStore>> TokenStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  const std::string where = path.empty() ? std::string(":memory:") : path;
  int rc = sqlite3_open_v2(where.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Error{Code::kIo, "token store '" + where + "': cannot open: " + msg};
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  std::unique_ptr<TokenStore> store(new TokenStore(db, path));
  if (!path.empty()) {
    Result<void> wal = store->exec("PRAGMA journal_mode=WAL;");
    if (!wal) return wal.error().with_context(where);
  }
  Result<void> schema = store->exec(kSchema);
  if (!schema) return schema.error().with_context(where);
  return store;
}

TokenStore::~TokenStore() { sqlite3_close(db_); }

Result<void> TokenStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Error{Code::kIo, "token store: " + msg};
  }
  return {};
}

Result<IssuedToken> TokenStore::create(const std::string& name, Scope scope, std::chrono::seconds ttl,
                                       int64_t now_ms) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return Error{Code::kBadInput, "token name must be 1.." + std::to_string(kMaxNameBytes) + " bytes"};
  }
  if (ttl.count() < 0) return Error{Code::kBadInput, "token lifetime must not be negative"};
  IssuedToken out;
  out.token = auth_detail::random_token();
  out.info.name = name;
  out.info.scope = scope;
  out.info.created_ms = now_ms;
  out.info.expires_ms = ttl.count() > 0 ? now_ms + ttl.count() * 1000 : 0;
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "INSERT INTO tokens (name, scope, hash, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)");
  if (!s.ok()) return db_error(db_, "prepare insert");
  s.bind(1, name);
  s.bind(2, std::string_view(scope_name(scope)));
  s.bind(3, auth_detail::sha256_hex(out.token));
  s.bind(4, now_ms);
  s.bind(5, out.info.expires_ms);
  if (s.step() != SQLITE_DONE) return db_error(db_, "insert token");
  out.info.id = sqlite3_last_insert_rowid(db_);
  return out;
}

Result<TokenInfo> TokenStore::verify(std::string_view token, int64_t now_ms) {
  // Only well-formed tokens reach the database.
  if (token.size() != kTokenPrefix.size() + 43 || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return Error{Code::kNotFound, "unknown token"};
  }
  const std::string hash = auth_detail::sha256_hex(token);
  std::lock_guard<std::mutex> lock(mu_);
  // The lookup is by hash of a 256-bit secret, so its timing tells an attacker
  // nothing about any stored token; the final comparison is constant-time.
  std::string sql = std::string("SELECT ") + kColumns + ", hash FROM tokens WHERE hash = ?";
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return db_error(db_, "prepare lookup");
  s.bind(1, hash);
  int rc = s.step();
  if (rc == SQLITE_DONE) return Error{Code::kNotFound, "unknown token"};
  if (rc != SQLITE_ROW) return db_error(db_, "lookup");
  TokenInfo info = row_to_info(s);
  if (!auth_detail::constant_time_equal(s.text(7), hash)) return Error{Code::kNotFound, "unknown token"};
  if (info.revoked_ms != 0) return Error{Code::kUnavailable, "token revoked"};
  if (info.expires_ms != 0 && now_ms >= info.expires_ms) return Error{Code::kUnavailable, "token expired"};
  if (info.last_used_ms == 0 || now_ms - info.last_used_ms >= kLastUsedGranularity.count()) {
    Stmt u(db_, "UPDATE tokens SET last_used_ms = ? WHERE id = ?");
    if (u.ok()) {
      u.bind(1, now_ms);
      u.bind(2, info.id);
      u.step();  // best effort: a busy database must not fail the request
    }
    info.last_used_ms = now_ms;
  }
  return info;
}

Result<std::vector<TokenInfo>> TokenStore::list() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kColumns + " FROM tokens ORDER BY id";
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return db_error(db_, "prepare list");
  std::vector<TokenInfo> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(row_to_info(s));
  if (rc != SQLITE_DONE) return db_error(db_, "list");
  return out;
}

Result<TokenInfo> TokenStore::revoke(const std::string& id_or_name, int64_t now_ms) {
  Result<std::vector<TokenInfo>> all = list();
  if (!all) return all.error();
  std::vector<TokenInfo> match;
  for (const TokenInfo& t : *all) {
    if (std::to_string(t.id) == id_or_name || t.name == id_or_name) match.push_back(t);
  }
  if (match.empty()) return Error{Code::kNotFound, "no token with id or name '" + id_or_name + "'"};
  if (match.size() > 1) {
    return Error{Code::kAmbiguous, std::to_string(match.size()) + " tokens are named '" + id_or_name +
                                       "'; revoke by id (hearth token list)"};
  }
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "UPDATE tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms = 0");
  if (!s.ok()) return db_error(db_, "prepare revoke");
  s.bind(1, now_ms);
  s.bind(2, match[0].id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "revoke");
  if (match[0].revoked_ms == 0) match[0].revoked_ms = now_ms;
  return match[0];
}

Result<std::string> TokenStore::create_pair_code(std::chrono::seconds ttl, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt prune(db_, "DELETE FROM pair_codes WHERE expires_ms <= ?");
  if (prune.ok()) {
    prune.bind(1, now_ms);
    prune.step();
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string code = auth_detail::random_pair_code();
    Stmt s(db_, "INSERT OR IGNORE INTO pair_codes (hash, expires_ms) VALUES (?, ?)");
    if (!s.ok()) return db_error(db_, "prepare pair code");
    s.bind(1, auth_detail::sha256_hex(code));
    s.bind(2, now_ms + ttl.count() * 1000);
    if (s.step() != SQLITE_DONE) return db_error(db_, "insert pair code");
    if (sqlite3_changes(db_) == 1) return code;
  }
  return Error{Code::kBusy, "could not pick an unused pairing code"};
}

Result<bool> TokenStore::consume_pair_code(std::string_view code, int64_t now_ms) {
  if (code.size() != 8) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "DELETE FROM pair_codes WHERE hash = ? AND expires_ms > ?");
  if (!s.ok()) return db_error(db_, "prepare consume");
  s.bind(1, auth_detail::sha256_hex(code));
  s.bind(2, now_ms);
  if (s.step() != SQLITE_DONE) return db_error(db_, "consume pair code");
  return sqlite3_changes(db_) == 1;
}

// ------------------------------------------------------------ FailureLimiter

void FailureLimiter::prune(std::deque<std::chrono::steady_clock::time_point>& q,
                           std::chrono::steady_clock::time_point now) const {
  while (!q.empty() && now - q.front() >= window_) q.pop_front();
}

int FailureLimiter::retry_after_s(const std::string& key, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  prune(it->second, now);
  if (static_cast<int>(it->second.size()) < max_) {
    if (it->second.empty()) failures_.erase(it);
    return 0;
  }
  // Allowed again once the oldest failure in the window ages out.
  auto wait = window_ - (now - it->second.front());
  return std::max<int>(1, static_cast<int>(std::chrono::ceil<std::chrono::seconds>(wait).count()));
}

void FailureLimiter::record_failure(const std::string& key, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& q = failures_[key];
  prune(q, now);
  q.push_back(now);
  // Bound memory: a key never keeps more than max_ entries.
  while (static_cast<int>(q.size()) > max_) q.pop_front();
  if (failures_.size() > 10000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
  }
}

void FailureLimiter::clear(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

// ---------------------------------------------------------------------- Auth

Auth::Auth(AuthOptions options, std::unique_ptr<TokenStore> store)
    : options_(options),
      store_(std::move(store)),
      token_failures_(options.max_failures, std::chrono::seconds(60)),
      pair_failures_(options.max_pair_failures, std::chrono::seconds(300)),
      pair_failures_global_(options.max_pair_failures_global, std::chrono::seconds(300)) {}

AuthDecision Auth::deny(int status, std::string code, std::string message) {
  AuthDecision d;
  d.ok = false;
  d.status = status;
  d.code = std::move(code);
  d.message = std::move(message);
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (status == 401) ++stats_.unauthorized;
  if (status == 403) ++stats_.forbidden;
  if (status == 429) ++stats_.rate_limited;
  return d;
}

AuthDecision Auth::check(const AuthRequest& request, Scope needed) {
  std::string token = auth_detail::bearer_token(request.authorization);
  if (token.empty()) {
    if (!request.authorization.empty()) {
      return deny(401, "unauthorized", "the Authorization header must be 'Bearer <token>'");
    }
    if (options_.loopback_trusted && auth_detail::is_loopback_address(request.remote_address) &&
        request.origin.empty() && auth_detail::is_loopback_host(request.host)) {
      AuthDecision d;
      d.ok = true;
      d.scope = Scope::kAdmin;
      std::lock_guard<std::mutex> lock(stats_mu_);
      ++stats_.ok;
      return d;
    }
    return deny(401, "unauthorized",
                "this route needs a token: send 'Authorization: Bearer <token>' (pair with 'hearth pair', or "
                "'hearth token create')");
  }
  return check_token(token, request.remote_address, needed);
}

AuthDecision Auth::check_token(std::string_view token, const std::string& remote_address, Scope needed) {
  const auto now = std::chrono::steady_clock::now();
  if (int wait = token_failures_.retry_after_s(remote_address, now); wait > 0) {
    AuthDecision d = deny(429, "rate_limited",
                          "too many failed attempts from " + remote_address + "; retry in " + std::to_string(wait) + " s");
    d.retry_after_s = wait;
    return d;
  }
  Result<TokenInfo> info = store_->verify(token, unix_ms_now());
  if (!info) {
    if (info.error().code == Code::kIo) return deny(503, "unavailable", info.error().message);
    token_failures_.record_failure(remote_address, now);
    return deny(401, "unauthorized", info.error().message);
  }
  if (static_cast<int>(info->scope) < static_cast<int>(needed)) {
    return deny(403, "forbidden",
                std::string("this route needs scope '") + scope_name(needed) + "'; the token has '" +
                    scope_name(info->scope) + "'");
  }
  AuthDecision d;
  d.ok = true;
  d.scope = info->scope;
  d.token = std::move(*info);
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++stats_.ok;
  return d;
}

Result<IssuedToken> Auth::pair(std::string_view code, const std::string& name, const std::string& remote_address,
                               int* retry_after_s) {
  const auto now = std::chrono::steady_clock::now();
  *retry_after_s = std::max(pair_failures_.retry_after_s(remote_address, now),
                            pair_failures_global_.retry_after_s("*", now));
  if (*retry_after_s > 0) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.rate_limited;
    return Error{Code::kBusy, "too many wrong pairing codes; retry in " + std::to_string(*retry_after_s) + " s"};
  }
  if (name.empty() || name.size() > kMaxNameBytes) {
    return Error{Code::kBadInput, "\"name\" must be 1.." + std::to_string(kMaxNameBytes) + " bytes"};
  }
  Result<bool> ok = store_->consume_pair_code(code, unix_ms_now());
  if (!ok) return ok.error();
  if (!*ok) {
    pair_failures_.record_failure(remote_address, now);
    pair_failures_global_.record_failure("*", now);
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.pair_failed;
    return Error{Code::kNotFound, "unknown or expired pairing code"};
  }
  Result<IssuedToken> t = store_->create(name, Scope::kControl, std::chrono::seconds(0), unix_ms_now());
  if (t) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.pair_ok;
  }
  return t;
}

Result<std::string> Auth::create_pair_code() { return store_->create_pair_code(options_.pair_code_ttl, unix_ms_now()); }

AuthStats Auth::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

std::string auth_db_path(const DaemonConfig& cfg) {
  if (!cfg.api.auth.db.empty()) return cfg.api.auth.db;
  if (cfg.db.empty()) return {};
  return (std::filesystem::path(cfg.db).parent_path() / "auth.db").string();
}

std::unique_ptr<Auth> make_auth(const DaemonConfig& cfg) {
  AuthOptions o;
  o.loopback_trusted = cfg.api.auth.loopback_trusted;
  o.pair_code_ttl = std::chrono::seconds(cfg.api.auth.pair_code_ttl_s);
  o.max_failures = cfg.api.auth.max_failures_per_minute;
  const std::string path = auth_db_path(cfg);
  Result<std::unique_ptr<TokenStore>> store = TokenStore::open(path);
  if (!store) {
    HEARTH_LOG_ERROR("auth", "%s; keeping tokens IN MEMORY ONLY (paired devices must pair again after a restart)",
                     store.error().message.c_str());
    store = TokenStore::open("");
    if (!store) std::abort();  // an in-memory SQLite database cannot fail to open short of OOM
  } else if (path.empty()) {
    HEARTH_LOG_WARN("auth", "no token store file; tokens are kept in memory only");
  } else {
    HEARTH_LOG_INFO("auth", "token store %s", path.c_str());
  }
  HEARTH_LOG_INFO("auth", "loopback requests without a token are %s",
                  o.loopback_trusted ? "trusted as admin (api.auth.loopback_trusted)" : "refused");
  return std::make_unique<Auth>(o, std::move(*store));
}

}  // namespace hearth
