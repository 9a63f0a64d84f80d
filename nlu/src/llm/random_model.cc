#include "llm/random_model.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "gguf.h"

namespace hearth::llm {

Result<RandomModelSpec> random_model_preset(const std::string& name) {
  RandomModelSpec s;
  if (name == "tiny") return s;
  if (name == "tiny-qwen2") {  // GQA + biases + NeoX RoPE at test size
    s.arch = "qwen2";
    s.n_vocab = 300;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.n_ff = 96;
    s.rope_base = 1000000.f;
    return s;
  }
  if (name == "qwen2-0.5b") {  // Qwen2-0.5B: 24 layers, 896 wide, 14 heads / 2 kv heads, ff 4864, vocab 151936
    s.arch = "qwen2";
    s.n_vocab = 151936;
    s.n_embd = 896;
    s.n_layer = 24;
    s.n_head = 14;
    s.n_head_kv = 2;
    s.n_ff = 4864;
    s.n_ctx = 32768;
    s.rope_base = 1000000.f;
    s.tied_output = true;
    return s;
  }
  if (name == "smollm-360m") {  // SmolLM-360M: 32 layers, 960 wide, 15 heads / 5 kv heads, ff 2560, vocab 49152
    s.n_vocab = 49152;
    s.n_embd = 960;
    s.n_layer = 32;
    s.n_head = 15;
    s.n_head_kv = 5;
    s.n_ff = 2560;
    s.tied_output = true;
    return s;
  }
  if (name == "llama-1b") {  // TinyLlama-1.1B: 22 layers, 2048 wide, 32 heads / 4 kv heads, ff 5632, vocab 32000
    s.n_vocab = 32000;
    s.n_embd = 2048;
    s.n_layer = 22;
    s.n_head = 32;
    s.n_head_kv = 4;
    s.n_ff = 5632;
    return s;
  }
  return Error{Code::kNotFound, "random model preset '" + name + "' (tiny, tiny-qwen2, qwen2-0.5b, smollm-360m, llama-1b)"};
}

namespace {

// Uniform in [-scale, scale) from 24 bits of mt19937 (exact on every platform).
struct Rng {
  std::mt19937 gen;
  explicit Rng(uint64_t seed) : gen(static_cast<uint32_t>(seed ^ (seed >> 32))) {}
  float uniform(float scale) { return (static_cast<float>(gen() >> 8) * (1.0f / 16777216.0f) * 2.f - 1.f) * scale; }
};

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace

std::vector<uint8_t> make_random_model(const RandomModelSpec& s) {
  GgufWriter w;
  const std::string a = s.arch;
  w.add_string("general.architecture", a);
  w.add_string("general.name", "hearth-random-" + a);
  w.add_u32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
  w.add_u32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
  w.add_u32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
  w.add_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
  w.add_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
  w.add_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
  w.add_f32(a + ".attention.layer_norm_rms_epsilon", 1e-6f);
  w.add_f32(a + ".rope.freq_base", s.rope_base);
  // vocabulary: <unk> <s> </s>, 256 byte tokens, then filler pieces
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0.f, 0.f, 0.f};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256 && static_cast<int>(tokens.size()) < s.n_vocab; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    tokens.push_back(name);
    scores.push_back(0.f);
    types.push_back(6);
  }
  for (int i = static_cast<int>(tokens.size()); i < s.n_vocab; ++i) {
    tokens.push_back("\xe2\x96\x81t" + std::to_string(i));
    scores.push_back(-static_cast<float>(i));
    types.push_back(1);
  }
  w.add_string("tokenizer.ggml.model", "llama");
  w.add_string_array("tokenizer.ggml.tokens", tokens);
  w.add_f32_array("tokenizer.ggml.scores", scores);
  w.add_i32_array("tokenizer.ggml.token_type", types);
  w.add_u32("tokenizer.ggml.bos_token_id", 1);
  w.add_u32("tokenizer.ggml.eos_token_id", 2);
  w.add_u32("tokenizer.ggml.unknown_token_id", 0);

  Rng rng(s.seed);
  const int head_dim = s.n_embd / s.n_head;
  auto matrix = [&](const std::string& name, int n_in, int n_out, bool q6 = false) {
    // rows that do not fit the type's block fall back to Q8_0, then F16
    // (llama.cpp does the same: Qwen2's 896-wide rows cannot be K-quants)
    WeightType type = q6 && s.k_mix ? WeightType::kQ6_K : s.type;
    if (n_in % weight_type_traits(type)->block_elems != 0) type = n_in % 32 == 0 ? WeightType::kQ8_0 : WeightType::kF16;
    const float scale = 1.0f / std::sqrt(static_cast<float>(n_in));
    std::vector<float> row(static_cast<size_t>(n_in));
    const size_t row_bytes = weight_row_bytes(type, n_in);
    std::vector<uint8_t> data(row_bytes * static_cast<size_t>(n_out));
    for (int r = 0; r < n_out; ++r) {
      for (float& x : row) x = rng.uniform(scale * 1.7f);
      quantize_row(type, n_in, row.data(), data.data() + static_cast<size_t>(r) * row_bytes);
    }
    w.add_tensor(name, static_cast<TensorType>(type), {n_in, n_out}, std::move(data));
  };
  auto vec = [&](const std::string& name, int n, float base, float spread) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = base + rng.uniform(spread);
    w.add_tensor(name, TensorType::kF32, {n}, f32_bytes(v));
  };
  matrix("token_embd.weight", s.n_embd, s.n_vocab);
  vec("output_norm.weight", s.n_embd, 1.f, 0.1f);
  if (!s.tied_output) matrix("output.weight", s.n_embd, s.n_vocab, true);
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    vec(p + "attn_norm.weight", s.n_embd, 1.f, 0.1f);
    matrix(p + "attn_q.weight", s.n_embd, s.n_head * head_dim);
    matrix(p + "attn_k.weight", s.n_embd, s.n_head_kv * head_dim);
    matrix(p + "attn_v.weight", s.n_embd, s.n_head_kv * head_dim, l % 2 == 0);
    matrix(p + "attn_output.weight", s.n_head * head_dim, s.n_embd);
    if (s.arch == "qwen2") {
      vec(p + "attn_q.bias", s.n_head * head_dim, 0.f, 0.5f);
      vec(p + "attn_k.bias", s.n_head_kv * head_dim, 0.f, 0.5f);
      vec(p + "attn_v.bias", s.n_head_kv * head_dim, 0.f, 0.5f);
    }
    vec(p + "ffn_norm.weight", s.n_embd, 1.f, 0.1f);
    matrix(p + "ffn_gate.weight", s.n_embd, s.n_ff);
    matrix(p + "ffn_up.weight", s.n_embd, s.n_ff);
    matrix(p + "ffn_down.weight", s.n_ff, s.n_embd, l % 2 == 0);
  }
  return w.serialize();
}

}  // namespace hearth::llm
