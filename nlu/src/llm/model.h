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
  // Repacked at load into the type's x4 layout (repack_x4 in kernels.h;
  // has_x4_layout types) for KernelTable::mat_mul_x4: data then points into
  // Model::packed_, not into the file, and row_bytes is x4_row_bytes().
  bool x4 = false;
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
  // How many matrices were repacked at load (x4 layouts; 0 with
  // HEARTH_LLM_REPACK=0).
  int packed_matrices() const;

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
  // Repacked copies of the matrices with an x4 layout, in one anonymous
  // mapping with transparent huge pages where the kernel allows (fewer TLB
  // misses while decode streams the weights).
  struct Unmap {
    size_t bytes;
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Unmap> packed_{nullptr, Unmap{0}};
  void repack();
  // f(Weight&) for the output matrix and every layer's seven matrices.
  template <class M, class F>
  static void for_each_matrix(M& m, F f) {
    f(m.output_);
    for (auto& L : m.layers_)
      for (auto* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) f(*w);
  }
};

struct SamplerParams {
  float temperature = 0.f;  // <= 0: greedy
  int top_k = 40;           // <= 0: off
  float top_p = 0.95f;      // >= 1: off
  float min_p = 0.f;        // drop tokens below min_p * p(best); <= 0: off
  float repeat_penalty = 1.f;  // > 1: logits of recently seen tokens divided (positive) / multiplied (negative)
  int repeat_last_n = 64;   // how many recent tokens the penalty looks at
  uint64_t seed = 0;
};

// Samples a token from logits (n_vocab floats). Greedy picks the first
// maximum. Otherwise: top-k, then softmax at temperature, then min-p, then
// top-p (smallest set with cumulative probability >= p), then a draw from
// rng. The repetition penalty is applied by apply_repeat_penalty() first.
Token sample(std::span<const float> logits, const SamplerParams& p, std::mt19937_64& rng);
// llama.cpp-style repetition penalty over the last p.repeat_last_n of `recent`
// (each distinct token once), in place.
void apply_repeat_penalty(std::span<float> logits, std::span<const Token> recent, const SamplerParams& p);

// Element type of the KV cache. F16 halves its memory and bandwidth; F32 is
// bit-for-bit the reference path (tests against the numpy reference).
enum class KvType { kF32, kF16 };

struct SessionOptions {
  int n_ctx = 2048;        // <= 0: the trained context (can be large)
  int n_threads = 1;
  KvType kv_type = KvType::kF16;
  int n_batch = 32;        // prompt tokens per batched forward pass (mat-mat)
};

// Wall time per stage, accumulated while profiling is on (`llm bench`).
struct SessionProfile {
  double matmul_s = 0, attention_s = 0, other_s = 0;
  int64_t tokens = 0;
};

class Session {
 public:
  // n_ctx tokens of KV cache (f32), at most the model's trained context;
  // n_ctx <= 0 means the trained context (can be large: pass a limit).
  Session(std::shared_ptr<const Model> model, int n_ctx, int n_threads, const KernelTable& kernels = hearth::kernels());
  Session(std::shared_ptr<const Model> model, const SessionOptions& opt, const KernelTable& kernels = hearth::kernels());

  // Runs one token at the next position; returns the logits (n_vocab),
  // valid until the next call. kTooLarge when the context is full.
  Result<std::span<const float>> decode(Token t);
  // Feeds a prompt in batches of n_batch tokens (every weight matrix is read
  // once per batch); returns the logits after its last token.
  Result<std::span<const float>> prefill(std::span<const Token> tokens);
  // Prompt-prefix cache: keeps the KV state of the longest common prefix of
  // `tokens` and what this session has already evaluated (a fixed system
  // prompt is evaluated once), then evaluates the rest. At least the last
  // token is always evaluated (for its logits). n_reused() tells how many
  // were kept.
  Result<std::span<const float>> prefill_cached(std::span<const Token> tokens);
  int n_reused() const { return n_reused_; }
  // Tokens whose KV state the session holds, in order (size() == n_past()).
  const std::vector<Token>& history() const { return history_; }
  int n_past() const { return n_past_; }
  int n_ctx() const { return n_ctx_; }
  KvType kv_type() const { return kv_type_; }
  void reset() {
    n_past_ = 0;
    history_.clear();
  }
  // Forces the thread pool even for tiny matrices (tests of the split).
  void set_min_parallel_bytes_for_test(size_t bytes) { min_parallel_bytes_ = bytes; }
  void set_profiling(bool on) { profiling_ = on; }
  const SessionProfile& profile() const { return profile_; }

  // Greedy or sampled continuation of `prompt` (the whole context: the KV
  // state of its longest prefix already in the session is reused) for up to
  // n_predict tokens, stopping at end-of-generation. Returns the generated ids.
  Result<std::vector<Token>> generate(std::span<const Token> prompt, int n_predict, const SamplerParams& sp);

  const Model& model() const { return *model_; }

 private:
  struct MatJob {
    const Weight* w;
    float* y;  // nt rows of w->n_out floats
  };
  void init(int n_ctx, int n_batch);
  // y_j = W_j x for every job, x = nt rows of n_in floats (shared by the
  // jobs): activations quantized once per format, all jobs' rows split across
  // the pool in one parallel_for.
  void matmul(std::initializer_list<MatJob> jobs, const float* x, int nt);
  void forward_batch(const Token* t, int nt, int pos0);

  std::shared_ptr<const Model> model_;
  const KernelTable& kt_;
  ThreadPool pool_;
  int n_ctx_ = 0;
  int n_batch_ = 1;
  int n_past_ = 0;
  int n_reused_ = 0;
  KvType kv_type_ = KvType::kF32;
  bool profiling_ = false;
  SessionProfile profile_;
  std::vector<Token> history_;
  // Work below this many bytes of weights (or KV cache) runs on the calling
  // thread: waking the pool costs microseconds, and stories260K decodes ~7x
  // faster single-threaded than with a pool wake per 64-row matrix.
  size_t min_parallel_bytes_ = 128 * 1024;
  std::vector<float> k_cache_, v_cache_;       // f32: [layer][kv head][pos][head_dim]
  std::vector<uint16_t> k_cache16_, v_cache16_;  // f16: same layout
  // scratch for up to n_batch_ tokens, token-major
  std::vector<float> x_, xb_, q_, k_, v_, att_out_, gate_, up_, scores_, logits_;
  std::vector<unsigned char> act_[3];  // prepared activations per ActFormat
};

// Memory the runtime may use, in bytes: physical memory, or
// HEARTH_LLM_MEMORY_MIB from the environment when set (smaller machines,
// tests of the error).
uint64_t memory_budget_bytes();
// Bytes of KV cache a session with these options allocates; kTooLarge (one
// clear line) when the model's weights plus that do not fit the budget.
Result<uint64_t> kv_cache_bytes(const Model& m, const SessionOptions& so);

}  // namespace hearth::llm
