// Standalone driver for the LLM runtime's commands (the same code `hearth
// llm ...` runs): llm_tool info|generate|bench|quantize|random ...
#include <cstdio>
#include <string>
#include <vector>

#include "hearth/nlu/llm.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return hearth::run_llm_command(args, stdout, stderr);
}
