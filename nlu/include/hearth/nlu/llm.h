// nlu/llm.h: the on-device LLM runtime's command-line surface (issue 6).
// The `hearth` CLI (daemon/) forwards `hearth llm ...` here; the standalone
// tools/llm_tool.cc does the same. Everything else of the runtime (GGUF
// reader, tokenizers, forward pass) is private to nlu/.
//
//   llm info     --model FILE
//   llm generate --model FILE --prompt TEXT [-n N] [--greedy | --temp T
//                [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S]]
//                [-t THREADS] [--ctx N (2048)] [--grammar FILE.gbnf | --json] [--stop TEXT]
//                [--chat auto|chatml|llama2|zephyr|plain] [--verbose]
//   llm bench    --model FILE [-t THREADS] [-p PROMPT_TOKENS] [-n GEN_TOKENS] [-b BATCH (32)] [--kv-f32] [--greedy]
//                (decode feeds pseudo-random tokens like llama-bench; --greedy: argmax of the logits)
//                [--bw-mib N]   (buffer of the bandwidth probe, default 256 MiB)
//                [--rounds R]   (decode in R rounds between probes; the bound and the
//                               share of it are medians over rounds, default 4)
//   llm quantize IN OUT TYPE            (TYPE: f16 q8_0 q4_0 q4_1 q4_k q5_k q6_k)
//   llm random   --preset NAME --type TYPE --out FILE [--seed S]   (TYPE q4_k_m: Q4_K with
//                Q6_K output, and attn_v / ffn_down in every other layer)
//                (NAME: tiny qwen2-0.5b smollm-360m llama-1b)
//
// HEARTH_KERNELS=ref in the environment runs the reference kernels.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace hearth {

// Runs one `llm` sub-command. `args` excludes "llm" itself (args[0] is
// "generate", ...). Output goes to `out`, one-line errors to `err`.
// @return the process exit code (0 ok, 1 failure, 2 usage error).
// Blocking; call from a worker thread, not from the event loop.
int run_llm_command(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace hearth
