// nlu/src/llm/random_model.h: GGUF files with random weights of real model
// shapes, for benchmarks (real models cannot be downloaded here) and tests
// (GQA, qwen2 biases, every weight type). The weights are seeded and the
// generator uses only mt19937's exact bit stream, so a spec always gives
// the same bytes on every platform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hearth/common/result.h"
#include "hearth/kernels/kernels.h"

namespace hearth::llm {

struct RandomModelSpec {
  std::string arch = "llama";  // "llama" | "qwen2" (q/k/v biases, NeoX RoPE)
  int n_vocab = 512;
  int n_embd = 64;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 2;
  int n_ff = 128;
  int n_ctx = 2048;
  float rope_base = 10000.f;
  WeightType type = WeightType::kF32;  // 2-D weights; norms and biases are F32
  uint64_t seed = 1;
  bool tied_output = false;            // no output.weight: logits use token_embd
  // A Q4_K_M-like mix (with type Q4_K): output.weight, and attn_v and
  // ffn_down of every other layer, in Q6_K (llama.cpp's Q4_K_M picks Q6_K
  // for the output and for about half of those two tensors).
  bool k_mix = false;
};

// Presets with real shapes: "qwen2-0.5b", "smollm-360m", "llama-1b"; test
// sizes: "tiny" (llama, GQA) and "tiny-qwen2" (biases, NeoX RoPE, GQA).
Result<RandomModelSpec> random_model_preset(const std::string& name);

// Serialized GGUF (v3) with a SentencePiece-style vocabulary of byte tokens
// plus filler pieces, so the tokenizer loads too.
std::vector<uint8_t> make_random_model(const RandomModelSpec& spec);

}  // namespace hearth::llm
