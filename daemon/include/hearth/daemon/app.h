// daemon/app.h: hearthd's life cycle — load and validate the config, open
// history, build the home / parser / bus / intent handler, serve the HTTP
// API on one Boost.Asio event loop, reload on SIGHUP, shut down in reverse
// order on SIGINT/SIGTERM. Called by hearthd's main() and `hearth check-config`.
#pragma once

#include <iosfwd>
#include <string>

#include "hearth/daemon/config.h"

namespace hearth {

// hearthd's version string ("0.1.0").
const char* hearth_version();

struct DaemonOptions {
  std::string config_path;    // --config; "" = the embedded default config
  ConfigOverrides overrides;  // --home, --listen, --db, --log-level
  std::string port_file;      // --port-file: the bound port is written here once listening
};

// Exit codes of run_daemon().
inline constexpr int kExitOk = 0;              // clean shutdown
inline constexpr int kExitStartupFailed = 1;   // bad config, port in use, required db unusable
inline constexpr int kExitShutdownTimeout = 2;  // shutdown missed its deadline
inline constexpr int kExitForced = 3;          // a second SIGINT/SIGTERM during shutdown

// Runs the daemon until SIGINT/SIGTERM. Startup problems are logged (every
// config error with file and JSON path) and nothing is started.
int run_daemon(const DaemonOptions& options);

// --check-config: loads and validates everything the config names (home,
// custom sentences) and prints "config ok" to `out`, or every problem to
// `err`. Returns 0 when ok, 1 otherwise. Starts nothing.
int check_config(const std::string& config_path, const ConfigOverrides& overrides, std::ostream& out,
                 std::ostream& err);

}  // namespace hearth
