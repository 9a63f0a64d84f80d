// daemon/src/cli_voice.h: `hearth transcribe` and `hearth pipeline` (issue 5).
// Private to daemon/; called by hearth_cli.cc's main().
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace hearth {

// `command` is "transcribe" or "pipeline"; `args` follow it. Exit code.
int run_voice_command(std::string_view command, const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err);

}  // namespace hearth
