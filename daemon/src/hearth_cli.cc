// hearth: the command-line companion of hearthd.
//   hearth parse [--home FILE] [--config FILE]   sentences on stdin → one JSON line each
//   hearth say "TEXT" [--url URL] [--json]       run a command on a running hearthd
//   hearth devices [--url URL] [--json]          list devices and their states
//   hearth check-config FILE                     validate a config file
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/common/log.h"
#include "hearth/daemon/app.h"
#include "hearth/daemon/config.h"
#include "hearth/daemon/http_client.h"
#include "hearth/nlu/nlu.h"

namespace {

using nlohmann::json;

constexpr const char* kDefaultUrl = "http://127.0.0.1:8765";
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

constexpr const char* kUsage =
    "usage: hearth <command> [options]\n"
    "\n"
    "commands:\n"
    "  parse         parse sentences from stdin into intents (no daemon needed)\n"
    "  say TEXT      send a command to a running hearthd and print its answer\n"
    "  devices       list the devices of a running hearthd and their states\n"
    "  check-config  validate a hearthd config file\n"
    "\n"
    "Run 'hearth <command> --help' for a command's options.\n";

constexpr const char* kParseUsage =
    "usage: hearth parse [--home FILE] [--config FILE]\n"
    "\n"
    "Reads one sentence per line on stdin and prints one JSON line per sentence:\n"
    "  {\"text\", \"intent\": {\"name\", \"slots\"} | null, \"targets\", \"confidence\", \"source\"}\n"
    "  --home FILE    home definition (default: the config's home, else the embedded demo home)\n"
    "  --config FILE  hearthd config whose nlu.custom_intents are included\n";

constexpr const char* kSayUsage =
    "usage: hearth say TEXT... [--url URL] [--json]\n"
    "\n"
    "Sends TEXT to POST /api/v1/command of a running hearthd and prints the answer.\n"
    "  --url URL  daemon address (default: $HEARTH_URL, else http://127.0.0.1:8765)\n"
    "  --json     print the whole JSON reply\n"
    "Exit status: 0 done, 1 not understood or an action failed, 3 daemon not reachable.\n";

constexpr const char* kDevicesUsage =
    "usage: hearth devices [--url URL] [--json]\n"
    "\n"
    "Prints a table of the devices of a running hearthd with their states.\n"
    "  --url URL  daemon address (default: $HEARTH_URL, else http://127.0.0.1:8765)\n"
    "  --json     print the JSON reply instead of a table\n";

constexpr const char* kCheckUsage =
    "usage: hearth check-config FILE\n"
    "\n"
    "Validates FILE and everything it names (home file, custom sentences). Prints\n"
    "\"config ok\" or every problem with its JSON path. Exit status 0 when ok.\n";

struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // --name value
  std::vector<std::string> flags;                            // --json, --help
  std::string error;
};

// Splits argv[first..] into positionals, options with values and flags.
Args parse_args(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags) {
  Args out;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h") arg = "--help";
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      out.flags.push_back(name);
    } else if (std::find(with_value.begin(), with_value.end(), name) != with_value.end()) {
      if (!value) {
        if (i + 1 >= argc) {
          out.error = name + " needs a value";
          return out;
        }
        value = argv[++i];
      }
      out.options.emplace_back(name, *value);
    } else {
      out.error = "unknown option '" + arg + "'";
      return out;
    }
  }
  return out;
}

bool has_flag(const Args& a, std::string_view flag) {
  return std::find(a.flags.begin(), a.flags.end(), flag) != a.flags.end();
}

std::optional<std::string> option(const Args& a, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [k, v] : a.options) {
    if (k == name) out = v;
  }
  return out;
}

// --url, else $HEARTH_URL, else the default.
std::string daemon_url(const Args& a) {
  if (std::optional<std::string> url = option(a, "--url")) return *url;
  if (const char* env = std::getenv("HEARTH_URL"); env && env[0] != '\0') return env;
  return kDefaultUrl;
}

// Calls the daemon; prints a clear message when it is not reachable.
std::optional<hearth::HttpReply> call_daemon(const std::string& url_text, const hearth::HttpCall& call, int* exit_code) {
  hearth::Result<hearth::HttpUrl> url = hearth::parse_http_url(url_text);
  if (!url) {
    std::fprintf(stderr, "hearth: %s\n", url.error().message.c_str());
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  hearth::Result<hearth::HttpReply> reply = hearth::http_request(*url, call);
  if (!reply) {
    std::fprintf(stderr,
                 "hearth: cannot reach hearthd at %s (%s).\n"
                 "Is it running? Start it with 'hearthd', or point --url / $HEARTH_URL at it.\n",
                 url_text.c_str(), reply.error().message.c_str());
    *exit_code = kExitUnreachable;
    return std::nullopt;
  }
  return std::move(*reply);
}

// Prints an API error reply ({"error": {"code", "message"}}) readably.
void print_api_error(const hearth::HttpReply& reply) {
  json j = json::parse(reply.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    std::fprintf(stderr, "hearth: %d %s: %s\n", reply.status, j["error"].value("code", "").c_str(),
                 j["error"].value("message", "").c_str());
  } else {
    std::fprintf(stderr, "hearth: HTTP %d: %s\n", reply.status, reply.body.c_str());
  }
}

int cmd_parse(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"--home", "--config"}, {"--help"});
  if (has_flag(a, "--help")) {
    std::fputs(kParseUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || !a.positional.empty()) {
    std::fprintf(stderr, "hearth parse: %s\n\n%s",
                 a.error.empty() ? "unexpected argument" : a.error.c_str(), kParseUsage);
    return kExitUsage;
  }
  hearth::set_log_level(hearth::LogLevel::kWarn);
  hearth::NluConfig nlu;
  std::string home_name = std::string(hearth::kBuiltinDemoHome);
  hearth::ConfigErrors errors;
  if (std::optional<std::string> config_path = option(a, "--config")) {
    hearth::Result<hearth::DaemonConfig> cfg = hearth::load_config(*config_path, errors);
    if (!cfg) {
      std::cerr << errors.to_string();
      return 1;
    }
    nlu = cfg->nlu;
    home_name = cfg->home;
  }
  if (std::optional<std::string> home_path = option(a, "--home")) home_name = *home_path;
  hearth::Result<hearth::Home> home = hearth::load_home(home_name, errors);
  if (!home) {
    std::cerr << errors.to_string();
    return 1;
  }
  nlu.validate(*home, errors);
  if (!errors.empty()) {
    std::cerr << errors.to_string();
    return 1;
  }
  hearth::Result<std::unique_ptr<hearth::TemplateParser>> parser = hearth::make_template_parser(*home, nlu);
  if (!parser) {
    std::fprintf(stderr, "hearth parse: %s\n", parser.error().message.c_str());
    return 1;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::cout << hearth::parse_result_to_json((*parser)->parse(line)) << "\n";
  }
  std::cout.flush();
  return 0;
}

int cmd_say(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"--url"}, {"--help", "--json"});
  if (has_flag(a, "--help")) {
    std::fputs(kSayUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || a.positional.empty()) {
    std::fprintf(stderr, "hearth say: %s\n\n%s", a.error.empty() ? "no text given" : a.error.c_str(), kSayUsage);
    return kExitUsage;
  }
  std::string text;
  for (const std::string& word : a.positional) text += (text.empty() ? "" : " ") + word;
  hearth::HttpCall call;
  call.method = "POST";
  call.target = "/api/v1/command";
  call.body = json{{"text", text}, {"origin", "cli"}}.dump();
  int exit_code = 0;
  std::optional<hearth::HttpReply> reply = call_daemon(daemon_url(a), call, &exit_code);
  if (!reply) return exit_code;
  if (reply->status != 200) {
    print_api_error(*reply);
    return 1;
  }
  json j = json::parse(reply->body, nullptr, false);
  if (!j.is_object()) {
    std::fprintf(stderr, "hearth say: the daemon sent a reply that is not JSON\n");
    return 1;
  }
  if (has_flag(a, "--json")) {
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << j.value("response", "") << "\n";
  }
  return j.value("ok", false) ? 0 : 1;
}

int cmd_devices(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"--url"}, {"--help", "--json"});
  if (has_flag(a, "--help")) {
    std::fputs(kDevicesUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || !a.positional.empty()) {
    std::fprintf(stderr, "hearth devices: %s\n\n%s", a.error.empty() ? "unexpected argument" : a.error.c_str(),
                 kDevicesUsage);
    return kExitUsage;
  }
  hearth::HttpCall call;
  call.target = "/api/v1/devices";
  int exit_code = 0;
  std::optional<hearth::HttpReply> reply = call_daemon(daemon_url(a), call, &exit_code);
  if (!reply) return exit_code;
  if (reply->status != 200) {
    print_api_error(*reply);
    return 1;
  }
  json j = json::parse(reply->body, nullptr, false);
  if (!j.is_object() || !j.contains("devices") || !j["devices"].is_array()) {
    std::fprintf(stderr, "hearth devices: unexpected reply from the daemon\n");
    return 1;
  }
  if (has_flag(a, "--json")) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  // Columns: ID, NAME, AREA, STATE, DETAILS (attributes).
  std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "AREA", "STATE", "DETAILS"}};
  for (const json& d : j["devices"]) {
    if (!d.is_object()) continue;
    std::string details;
    if (d.contains("attributes") && d["attributes"].is_object()) {
      for (auto it = d["attributes"].begin(); it != d["attributes"].end(); ++it) {
        if (!details.empty()) details += " ";
        details += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
      }
    }
    rows.push_back({d.value("id", ""), d.value("name", ""), d.value("area_name", ""), d.value("state", ""), details});
  }
  std::vector<size_t> widths(5, 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c + 1 < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
  return 0;
}

int cmd_check_config(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {}, {"--help"});
  if (has_flag(a, "--help")) {
    std::fputs(kCheckUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || a.positional.size() != 1) {
    std::fprintf(stderr, "hearth check-config: %s\n\n%s",
                 a.error.empty() ? "expected exactly one FILE" : a.error.c_str(), kCheckUsage);
    return kExitUsage;
  }
  hearth::set_log_level(hearth::LogLevel::kWarn);
  return hearth::check_config(a.positional[0], {}, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("hearth %s\n", hearth::hearth_version());
    return 0;
  }
  if (command == "parse") return cmd_parse(argc, argv);
  if (command == "say") return cmd_say(argc, argv);
  if (command == "devices") return cmd_devices(argc, argv);
  if (command == "check-config") return cmd_check_config(argc, argv);
  std::fprintf(stderr, "hearth: unknown command '%s'\n\n%s", argv[1], kUsage);
  return kExitUsage;
}
