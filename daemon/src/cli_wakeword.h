// daemon/src/cli_wakeword.h: `hearth wakeword detect|eval|train` (issue 4).
// Private to daemon/; called by hearth_cli.cc's main().
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace hearth {

// `args` follow "wakeword". Returns the exit code.
int run_wakeword_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hearth
