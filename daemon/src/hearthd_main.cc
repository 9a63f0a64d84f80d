// hearthd: the Hearth daemon. Parses flags, then hands over to run_daemon().
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "hearth/common/log.h"
#include "hearth/daemon/app.h"

namespace {

constexpr const char* kUsage =
    "usage: hearthd [--config FILE] [--listen ADDR:PORT] [--db FILE] [--home FILE]\n"
    "               [--log-level debug|info|warn|error|off] [--port-file FILE]\n"
    "               [--check-config] [--version] [--help]\n"
    "\n"
    "Runs the Hearth smart-home daemon and its JSON API (http://ADDR:PORT/api/v1).\n"
    "Without --config it runs the embedded default config with the demo home.\n"
    "\n"
    "  --config FILE      JSON config file (relative paths inside resolve against its directory)\n"
    "  --listen ADDR:PORT address of the HTTP API; port 0 picks a free port (overrides \"listen\")\n"
    "  --db FILE          history database (overrides \"db\")\n"
    "  --home FILE        home definition, or builtin:demo (overrides \"home\")\n"
    "  --log-level L      debug, info, warn, error or off (overrides \"log_level\")\n"
    "  --port-file FILE   write the bound port to FILE once listening\n"
    "  --check-config     validate the config and everything it names, print \"config ok\" or every\n"
    "                     problem, and exit (0 = ok)\n"
    "\n"
    "Signals: SIGINT/SIGTERM shut down gracefully (a second one exits at once), SIGHUP reloads the\n"
    "config (kept unchanged when the new one has problems).\n";

// Reads the value of "--flag VALUE" or "--flag=VALUE". Returns nullopt when
// argv[*i] is not `flag`; sets *missing when the value is absent.
std::optional<std::string> flag_value(int argc, char** argv, int* i, std::string_view flag, bool* missing) {
  std::string_view arg = argv[*i];
  if (arg == flag) {
    if (*i + 1 >= argc) {
      *missing = true;
      return std::string();
    }
    ++*i;
    return std::string(argv[*i]);
  }
  if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=') {
    return std::string(arg.substr(flag.size() + 1));
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  hearth::DaemonOptions options;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool missing = false;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("hearthd %s\n", hearth::hearth_version());
      return 0;
    }
    if (arg == "--check-config") {
      check_only = true;
      continue;
    }
    if (auto v = flag_value(argc, argv, &i, "--config", &missing)) {
      options.config_path = *v;
    } else if (auto v = flag_value(argc, argv, &i, "--listen", &missing)) {
      options.overrides.listen = *v;
    } else if (auto v = flag_value(argc, argv, &i, "--db", &missing)) {
      options.overrides.db = *v;
    } else if (auto v = flag_value(argc, argv, &i, "--home", &missing)) {
      options.overrides.home = *v;
    } else if (auto v = flag_value(argc, argv, &i, "--log-level", &missing)) {
      options.overrides.log_level = *v;
    } else if (auto v = flag_value(argc, argv, &i, "--port-file", &missing)) {
      options.port_file = *v;
    } else {
      std::fprintf(stderr, "hearthd: unknown argument '%s'\n\n%s", argv[i], kUsage);
      return 2;
    }
    if (missing) {
      std::fprintf(stderr, "hearthd: %s needs a value\n\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (options.config_path.empty() && !check_only) {
    std::fprintf(stderr, "hearthd: no --config given; running the embedded default config (demo home)\n");
  }
  if (check_only) return hearth::check_config(options.config_path, options.overrides, std::cout, std::cerr);
  return hearth::run_daemon(options);
}
