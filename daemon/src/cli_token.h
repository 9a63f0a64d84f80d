// daemon/src/cli_token.h: `hearth token create|list|revoke` and `hearth pair`
// (issue 10). Private to daemon/; called by hearth_cli.cc's main().
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace hearth {

// `args` are the words after "token" / "pair". Exit: 0 ok, 1 failed, 2 usage.
int run_token_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int run_pair_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hearth
