#include "cli_token.h"

#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "auth.h"
#include "hearth/daemon/config.h"
#include "hearth/daemon/http_client.h"

namespace hearth {

namespace {

constexpr const char* kTokenUsage =
    "usage: hearth token create (--db FILE | --config FILE) --name NAME --scope read|control|admin [--ttl-s N]\n"
    "       hearth token list   (--db FILE | --config FILE) [--json]\n"
    "       hearth token revoke (--db FILE | --config FILE) ID|NAME\n"
    "\n"
    "Manages API tokens in the token store (hearthd's api.auth.db; by default\n"
    "auth.db next to the history database). 'create' prints the new token on\n"
    "stdout, once: it is stored only as a hash. Works while hearthd runs.\n";

constexpr const char* kPairUsage =
    "usage: hearth pair [--db FILE | --config FILE] [--url URL] [--token TOKEN]\n"
    "\n"
    "Prints a one-time 8-digit pairing code (valid 5 minutes) that a phone or\n"
    "the web companion trades for a token. With --db/--config the code goes\n"
    "straight into the token store; otherwise the running hearthd is asked\n"
    "(POST /api/v1/pair/code; from this machine, or with an admin --token /\n"
    "$HEARTH_TOKEN). --url defaults to $HEARTH_URL, else http://127.0.0.1:8765.\n";

struct Options {
  std::string db;
  std::string config;
  std::string name;
  std::string scope;
  std::string url;
  std::string token;
  int64_t ttl_s = 0;
  bool json = false;
  std::vector<std::string> positional;
};

bool parse_options(const std::vector<std::string>& args, size_t start, Options* o, std::ostream& err) {
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) {
        err << "hearth: " << a << " needs a value\n";
        return false;
      }
      *out = args[++i];
      return true;
    };
    if (a == "--db") {
      if (!value(&o->db)) return false;
    } else if (a == "--config") {
      if (!value(&o->config)) return false;
    } else if (a == "--name") {
      if (!value(&o->name)) return false;
    } else if (a == "--scope") {
      if (!value(&o->scope)) return false;
    } else if (a == "--url") {
      if (!value(&o->url)) return false;
    } else if (a == "--token") {
      if (!value(&o->token)) return false;
    } else if (a == "--ttl-s") {
      std::string v;
      if (!value(&v)) return false;
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 0) {
        err << "hearth: --ttl-s must be a whole number of seconds >= 0\n";
        return false;
      }
      o->ttl_s = n;
    } else if (a == "--json") {
      o->json = true;
    } else if (!a.empty() && a[0] == '-') {
      err << "hearth: unknown option " << a << "\n";
      return false;
    } else {
      o->positional.push_back(a);
    }
  }
  return true;
}

// The store path from --db, or from --config's api.auth.db / history db.
std::optional<std::string> store_path(const Options& o, std::ostream& err) {
  if (!o.db.empty()) return o.db;
  if (o.config.empty()) return std::nullopt;
  ConfigErrors errors;
  Result<DaemonConfig> cfg = load_config(o.config, errors);
  if (!cfg) {
    err << "hearth: " << o.config << ": cannot load the config (run 'hearth check-config " << o.config << "')\n";
    return std::string();
  }
  return auth_db_path(*cfg);
}

std::string format_ms(int64_t ms) {
  if (ms == 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int run_token_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kTokenUsage;
    return args.empty() ? 2 : 0;
  }
  Options o;
  if (!parse_options(args, 1, &o, err)) return 2;
  std::optional<std::string> path = store_path(o, err);
  if (!path) {
    err << "hearth: token: give --db FILE or --config FILE\n\n" << kTokenUsage;
    return 2;
  }
  if (path->empty()) return 1;
  Result<std::unique_ptr<TokenStore>> store = TokenStore::open(*path);
  if (!store) {
    err << "hearth: " << store.error().message << "\n";
    return 1;
  }
  const std::string& verb = args[0];
  if (verb == "create") {
    std::optional<Scope> scope = parse_scope(o.scope);
    if (o.name.empty() || !scope) {
      err << "hearth: token create needs --name NAME and --scope read|control|admin\n";
      return 2;
    }
    Result<IssuedToken> t = (*store)->create(o.name, *scope, std::chrono::seconds(o.ttl_s), unix_ms_now());
    if (!t) {
      err << "hearth: " << t.error().message << "\n";
      return 1;
    }
    out << t->token << "\n";
    err << "token " << t->info.id << " '" << t->info.name << "' (scope " << scope_name(*scope) << ") created in "
        << *path << "; it is shown only now\n";
    return 0;
  }
  if (verb == "list") {
    Result<std::vector<TokenInfo>> list = (*store)->list();
    if (!list) {
      err << "hearth: " << list.error().message << "\n";
      return 1;
    }
    if (o.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const TokenInfo& t : *list) {
        arr.push_back({{"id", t.id}, {"name", t.name}, {"scope", scope_name(t.scope)}, {"created_ms", t.created_ms},
                       {"last_used_ms", t.last_used_ms}, {"expires_ms", t.expires_ms}, {"revoked", t.revoked_ms != 0}});
      }
      out << arr.dump(2) << "\n";
      return 0;
    }
    out << "ID  SCOPE    STATUS   CREATED               LAST USED             NAME\n";
    const int64_t now = unix_ms_now();
    for (const TokenInfo& t : *list) {
      const char* status = t.revoked_ms ? "revoked" : (t.expires_ms && now >= t.expires_ms) ? "expired" : "live";
      char line[256];
      std::snprintf(line, sizeof(line), "%-3lld %-8s %-8s %-21s %-21s ", static_cast<long long>(t.id),
                    scope_name(t.scope), status, format_ms(t.created_ms).c_str(), format_ms(t.last_used_ms).c_str());
      out << line << t.name << "\n";
    }
    return 0;
  }
  if (verb == "revoke") {
    if (o.positional.size() != 1) {
      err << "hearth: token revoke needs exactly one ID or NAME\n";
      return 2;
    }
    Result<TokenInfo> r = (*store)->revoke(o.positional[0], unix_ms_now());
    if (!r) {
      err << "hearth: " << r.error().message << "\n";
      return 1;
    }
    out << "revoked token " << r->id << " '" << r->name << "'\n";
    return 0;
  }
  err << "hearth: unknown token command '" << verb << "'\n\n" << kTokenUsage;
  return 2;
}

int run_pair_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    out << kPairUsage;
    return 0;
  }
  Options o;
  if (!parse_options(args, 0, &o, err)) return 2;
  if (!o.positional.empty()) {
    err << "hearth: pair takes no arguments\n\n" << kPairUsage;
    return 2;
  }
  std::string code;
  int64_t ttl_s = 300;
  std::optional<std::string> path = store_path(o, err);
  if (path) {
    if (path->empty()) return 1;
    Result<std::unique_ptr<TokenStore>> store = TokenStore::open(*path);
    if (!store) {
      err << "hearth: " << store.error().message << "\n";
      return 1;
    }
    Result<std::string> c = (*store)->create_pair_code(std::chrono::seconds(ttl_s), unix_ms_now());
    if (!c) {
      err << "hearth: " << c.error().message << "\n";
      return 1;
    }
    code = *c;
  } else {
    std::string url = o.url;
    if (url.empty()) {
      const char* env = std::getenv("HEARTH_URL");
      url = env && *env ? env : "http://127.0.0.1:8765";
    }
    Result<HttpUrl> parsed = parse_http_url(url);
    if (!parsed) {
      err << "hearth: " << parsed.error().message << "\n";
      return 2;
    }
    std::string token = o.token;
    if (token.empty()) {
      const char* env = std::getenv("HEARTH_TOKEN");
      if (env) token = env;
    }
    HttpCall call;
    call.method = "POST";
    call.target = "/api/v1/pair/code";
    call.body = "{}";
    if (!token.empty()) call.headers.emplace_back("Authorization", "Bearer " + token);
    Result<HttpReply> reply = http_request(*parsed, call);
    if (!reply) {
      err << "hearth: " << url << ": " << reply.error().message << "\n";
      return 3;
    }
    nlohmann::json j = nlohmann::json::parse(reply->body, nullptr, false);
    if (reply->status != 201 || !j.is_object() || !j.contains("code")) {
      std::string msg = j.is_object() && j.contains("error") ? j["error"].value("message", reply->body) : reply->body;
      err << "hearth: the daemon refused (" << reply->status << "): " << msg << "\n";
      return 1;
    }
    code = j["code"].get<std::string>();
    ttl_s = j.value("expires_in_s", ttl_s);
  }
  out << code << "\n";
  err << "pairing code " << code << " is valid for " << ttl_s / 60
      << " minutes, once: enter it in the companion app (http://<hub>:8765/)\n";
  return 0;
}

}  // namespace hearth
