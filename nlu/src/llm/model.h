// nlu/src/llm/model.h: a transformer loaded from GGUF and run on the
// kernels. Architecture code lives in nlu/src/arch/<name>.cc and does three
// things (STYLE.md §5): load_hparams() reads typed keys, declare_tensors()
// names every tensor with its expected shape (the loader verifies), and
// forward() computes one token.
//
// A Model is immutable after load() and shared; a Session owns the KV cache
// and scratch for one conversation and is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gguf.h"
#include "hearth/common/result.h"
#include "hearth/kernels/kernels.h"
#include "hearth/kernels/thread_pool.h"
#include "llm/tokenizer.h"

namespace hearth::llm {

struct Hparams {
  std::string arch;        // "llama" | "qwen2"
  int n_vocab = 0;
  int n_ctx_train = 0;     // context length the model was trained with
  int n_embd = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;       // < n_head: grouped-query attention
  int head_dim = 0;        // n_embd / n_head
  int n_ff = 0;
  int n_rot = 0;           // rotated dims per head
  float rms_eps = 1e-5f;
  float rope_base = 10000.f;
  RopeMode rope_mode = RopeMode::kNormal;
  bool attn_bias = false;  // qwen2: q/k/v projections have biases
};

// A weight matrix: n_out rows of n_in elements, each row weight_row_bytes().
struct Weight {
  WeightType type = WeightType::kF32;
  const void* data = nullptr;
  int n_in = 0;
  int n_out = 0;
  size_t row_bytes = 0;
};

struct Layer {
  const float* attn_norm = nullptr;
  Weight wq, wk, wv, wo;
  const float* bq = nullptr;
  const float* bk = nullptr;
  const float* bv = nullptr;
  const float* ffn_norm = nullptr;
  Weight w_gate, w_up, w_down;
};

class Model {
 public:
  // Opens and verifies `path`: architecture, hyper-parameters, every tensor's
  // presence, type and shape, and the tokenizer. One clear error otherwise.
  static Result<std::shared_ptr<const Model>> load(const std::string& path);

  const Hparams& hparams() const { return hp_; }
  const Tokenizer& tokenizer() const { return *tok_; }
  const GgufFile& file() const { return *file_; }
  // Bytes of weights read per decoded token (the bandwidth bound's numerator).
  uint64_t weight_bytes_per_token() const;

 private:
  friend class Session;
  friend Result<void> load_llama(Model& m);
  Model() = default;

  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<Tokenizer> tok_;
  Hparams hp_;
  Weight tok_embd_;
  const float* output_norm_ = nullptr;
  Weight output_;
  std::vector<Layer> layers_;
};

struct SamplerParams {
  float temperature = 0.f;  // <= 0: greedy
  int top_k = 40;           // <= 0: off
  float top_p = 0.95f;      // >= 1: off
  uint64_t seed = 0;
};

// Samples a token from logits (n_vocab floats). Greedy picks the first
// maximum. Otherwise: top-k, then softmax at temperature, then top-p
// (smallest set with cumulative probability >= p), then a draw from rng.
Token sample(std::span<const float> logits, const SamplerParams& p, std::mt19937_64& rng);

class Session {
 public:
  // n_ctx tokens of KV cache (f32), at most the model's trained context;
  // n_ctx <= 0 means the trained context (can be large: pass a limit).
  Session(std::shared_ptr<const Model> model, int n_ctx, int n_threads, const KernelTable& kernels = hearth::kernels());

  // Runs one token at the next position; returns the logits (n_vocab),
  // valid until the next call. kTooLarge when the context is full.
  Result<std::span<const float>> decode(Token t);
  // Feeds a prompt; returns the logits after its last token.
  Result<std::span<const float>> prefill(std::span<const Token> tokens);
  int n_past() const { return n_past_; }
  int n_ctx() const { return n_ctx_; }
  void reset() { n_past_ = 0; }
  // Forces the thread pool even for tiny matrices (tests of the split).
  void set_min_parallel_bytes_for_test(size_t bytes) { min_parallel_bytes_ = bytes; }

  // Greedy or sampled continuation of `prompt` for up to n_predict tokens,
  // stopping at end-of-generation. Returns the generated ids.
  Result<std::vector<Token>> generate(std::span<const Token> prompt, int n_predict, const SamplerParams& sp);

 private:
  void matvec(const Weight& w, const float* x, float* y);
  void forward(Token t, int pos);

  std::shared_ptr<const Model> model_;
  const KernelTable& kt_;
  ThreadPool pool_;
  int n_ctx_;
  int n_past_ = 0;
  // Work below this many bytes of weights (or KV cache) runs on the calling
  // thread: waking the pool costs microseconds, and stories260K decodes ~7x
  // faster single-threaded than with a pool wake per 64-row matrix.
  size_t min_parallel_bytes_ = 128 * 1024;
  std::vector<float> k_cache_, v_cache_;  // [layer][pos][n_head_kv * head_dim]
  std::vector<float> x_, xb_, q_, k_, v_, att_out_, gate_, up_, scores_, logits_;
  std::vector<unsigned char> act_;
};

}  // namespace hearth::llm
