// The forward pass on generated models (nlu/src/llm/random_model.h): a
// qwen2-style model (q/k/v biases, NeoX RoPE, GQA) against the numpy
// reference's committed output; every weight type through the whole model
// (reference kernels vs fast kernels, quantized vs its dequantized twin); the
// repacked x4 layouts against the file layout;
// and loader errors for broken models, one clear line each.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "llm/model.h"
#include "llm/quantize.h"
#include "llm/random_model.h"

namespace hearth::llm {
namespace {

constexpr double kMaxAbsLogitDiff = 1e-4;        // f32 runtime vs float64 numpy reference
constexpr double kMaxNmseQuantVsTwin = 3e-3;     // activation quantization only (Q8_0 / Q8_K)
// Fast vs reference kernels through a whole model: the math is the same,
// but a last-bit difference can flip the rounding of one activation quant
// in the next layer (a step of max|x|/127), and such flips cascade through
// a random network; measured up to 2e-4 for Q4_K. Tokens must still agree.
constexpr double kMaxNmseFastVsRef = 1e-3;

std::string temp_path(const std::string& tag) {
  return (std::filesystem::temp_directory_path() / ("hearth_llm_" + std::to_string(::getpid()) + "_" + tag + ".gguf")).string();
}

Result<std::shared_ptr<const Model>> load_bytes(const std::vector<uint8_t>& bytes, const std::string& tag) {
  const std::string path = temp_path(tag);
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  auto m = Model::load(path);
  std::filesystem::remove(path);
  return m;
}

double nmse(std::span<const float> a, std::span<const float> b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(a[i]) * a[i];
  }
  return num / den;
}

TEST(LlamaSynthetic, Qwen2MatchesNumpyReference) {
  // Same generator call as in tools/llm_reference.py's docstring.
  auto spec = random_model_preset("tiny-qwen2");
  ASSERT_TRUE(spec);
  spec->type = WeightType::kF32;
  spec->seed = 7;
  auto m = load_bytes(make_random_model(*spec), "qwen2");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((*m)->hparams().rope_mode, RopeMode::kNeox);
  EXPECT_TRUE((*m)->hparams().attn_bias);

  std::ifstream f(std::string(HEARTH_TEST_DATA_DIR) + "/llm/tiny_qwen2_reference.txt");
  ASSERT_TRUE(f) << "tests/data/llm/tiny_qwen2_reference.txt missing";
  std::vector<Token> ids, greedy;
  std::vector<std::pair<int, std::vector<double>>> logits;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ls(line);
    std::string tag;
    ls >> tag;
    Token t;
    if (tag == "ids") while (ls >> t) ids.push_back(t);
    if (tag == "greedy") while (ls >> t) greedy.push_back(t);
    if (tag == "logits") {
      int pos;
      double d;
      ls >> pos;
      logits.emplace_back(pos, std::vector<double>());
      while (ls >> d) logits.back().second.push_back(d);
    }
  }
  ASSERT_EQ(ids.size(), 7u);
  ASSERT_EQ(logits.size(), ids.size());
  for (const KernelTable* kt : supported_kernel_tables()) {
    Session s(*m, 64, 2, *kt);
    double worst = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      auto lg = s.decode(ids[i]);
      ASSERT_TRUE(lg);
      ASSERT_EQ(logits[i].second.size(), lg->size());
      for (size_t v = 0; v < lg->size(); ++v) worst = std::max(worst, std::fabs(logits[i].second[v] - (*lg)[v]));
    }
    EXPECT_LT(worst, kMaxAbsLogitDiff) << kt->name;
    Session g(*m, 64, 1, *kt);
    auto out = g.generate(ids, static_cast<int>(greedy.size()), SamplerParams{});
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, greedy) << kt->name;
  }
}

// Every type with an x4 layout (kernels.h repack_x4): the model repacked at
// load gives the logits of the file's layout, with every kernel variant,
// for a prompt batch (prefill: the multi-column kernels) and then decode.
// Both layouts' kernels are within 1e-12 NMSE of an exact dot on their own;
// this random model amplifies such float-order differences up to ~2e-6
// (Q5_K, whose plain kernel combines the K-quant terms per block and the
// x4 one per lane). A wrong block, lane or correction costs far more (a
// correction left unsplit across lanes was 1.4e-4 on Q8_0).
constexpr double kMaxNmseLayouts = 1e-5;

TEST(LlamaSynthetic, RepackedMatchesFileLayout) {
  struct Case {
    WeightType type;
    bool k_mix;  // Q4_K with Q6_K output / attn_v / ffn_down (the "q4_k_m" bench models)
  };
  for (const Case& cs : {Case{WeightType::kQ4_0, false}, Case{WeightType::kQ8_0, false}, Case{WeightType::kQ4_K, false},
                         Case{WeightType::kQ5_K, false}, Case{WeightType::kQ6_K, false}, Case{WeightType::kQ4_K, true}}) {
    const std::string tag = std::string(weight_type_traits(cs.type)->name) + (cs.k_mix ? "_M" : "");
    const char* name = tag.c_str();
    RandomModelSpec spec;
    spec.n_embd = 256;
    spec.n_ff = 512;
    spec.n_vocab = 301;  // not a multiple of 4: the output matrix has a plain tail row
    spec.type = cs.type;
    spec.k_mix = cs.k_mix;
    spec.seed = 13;
    const std::vector<uint8_t> bytes = make_random_model(spec);
    ::setenv("HEARTH_LLM_REPACK", "0", 1);
    auto plain = load_bytes(bytes, std::string(name) + "_plain");
    ::unsetenv("HEARTH_LLM_REPACK");
    auto packed = load_bytes(bytes, std::string(name) + "_x4");
    ASSERT_TRUE(plain && packed) << name;
    if (cs.k_mix) {  // the mix is really there: Q6_K output and layer-0 ffn_down, Q4_K elsewhere
      auto f = GgufFile::from_bytes(bytes);
      ASSERT_TRUE(f);
      const GgufTensor* out = (*f)->find_tensor("output.weight");
      const GgufTensor* down0 = (*f)->find_tensor("blk.0.ffn_down.weight");
      const GgufTensor* down1 = (*f)->find_tensor("blk.1.ffn_down.weight");
      ASSERT_TRUE(out && down0 && down1);
      EXPECT_EQ(out->type, TensorType::kQ6_K);
      EXPECT_EQ(down0->type, TensorType::kQ6_K);
      EXPECT_EQ(down1->type, TensorType::kQ4_K);
    }
    EXPECT_EQ((*plain)->packed_matrices(), 0) << name;
    EXPECT_EQ((*packed)->packed_matrices(), 1 + 7 * spec.n_layer) << name << ": every matrix must be repacked";
    EXPECT_EQ((*plain)->weight_bytes_per_token(), (*packed)->weight_bytes_per_token()) << name;
    const std::vector<Token> prompt = {1, 40, 41, 250, 7, 300, 12, 99, 3};
    for (const KernelTable* kt : supported_kernel_tables()) {
      Session a(*plain, 32, 1, *kt), b(*packed, 32, 2, *kt);
      b.set_min_parallel_bytes_for_test(0);
      auto pa = a.prefill(prompt);
      ASSERT_TRUE(pa);
      const std::vector<float> la(pa->begin(), pa->end());
      auto pb = b.prefill(prompt);
      ASSERT_TRUE(pb);
      EXPECT_LT(nmse(la, *pb), kMaxNmseLayouts) << name << " " << kt->name << " prefill";
      for (Token t : {Token(5), Token(77)}) {
        auto da = a.decode(t);
        ASSERT_TRUE(da);
        const std::vector<float> ld(da->begin(), da->end());
        auto db = b.decode(t);
        ASSERT_TRUE(db);
        EXPECT_LT(nmse(ld, *db), kMaxNmseLayouts) << name << " " << kt->name << " decode " << t;
      }
    }
  }
}

TEST(LlamaSynthetic, EveryWeightTypeRunsAndAgrees) {
  for (WeightType type : {WeightType::kF16, WeightType::kQ8_0, WeightType::kQ4_0, WeightType::kQ4_1, WeightType::kQ4_K,
                          WeightType::kQ5_K, WeightType::kQ6_K}) {
    const char* name = weight_type_traits(type)->name;
    RandomModelSpec spec;
    spec.n_embd = 256;  // K-quant rows need multiples of 256
    spec.n_ff = 256;
    spec.n_head = 4;
    spec.n_head_kv = 2;
    spec.n_vocab = 300;
    spec.type = type;
    spec.seed = 11;
    const std::vector<uint8_t> bytes = make_random_model(spec);
    auto m = load_bytes(bytes, name);
    ASSERT_TRUE(m) << name << ": " << m.error().message;
    // the dequantized twin: same weights in F32, so only activation
    // quantization separates the two
    auto parsed = GgufFile::from_bytes(bytes);
    ASSERT_TRUE(parsed);
    auto twin_bytes = quantize_gguf(**parsed, WeightType::kF32);
    ASSERT_TRUE(twin_bytes);
    auto twin = load_bytes(*twin_bytes, std::string(name) + "_twin");
    ASSERT_TRUE(twin) << twin.error().message;

    const std::vector<Token> prompt = {1, 40, 41, 250, 7};
    Session ref(*m, 32, 1, reference_kernels()), fast(*m, 32, 2), f32(*twin, 32, 1, reference_kernels());
    fast.set_min_parallel_bytes_for_test(0);
    for (Token t : prompt) {
      auto a = ref.decode(t);
      ASSERT_TRUE(a);
      std::vector<float> la(a->begin(), a->end());
      auto b = fast.decode(t);
      ASSERT_TRUE(b);
      EXPECT_LT(nmse(la, *b), kMaxNmseFastVsRef) << name;
      auto c = f32.decode(t);
      ASSERT_TRUE(c);
      if (type != WeightType::kF16) {  // F16 takes f32 activations: identical math
        EXPECT_LT(nmse(*c, la), kMaxNmseQuantVsTwin) << name;
      }
    }
    Session g1(*m, 64, 1, reference_kernels()), g2(*m, 64, 2);
    auto x = g1.generate(prompt, 12, SamplerParams{});
    auto y = g2.generate(prompt, 12, SamplerParams{});
    ASSERT_TRUE(x && y);
    EXPECT_EQ(*x, *y) << name << ": reference and fast kernels chose different tokens";
  }
}

// Each broken model gives one clear error line naming the problem.
TEST(LlamaSynthetic, BrokenModelsGiveClearErrors) {
  RandomModelSpec spec;
  auto good = GgufFile::from_bytes(make_random_model(spec));
  ASSERT_TRUE(good);
  auto rebuild = [&](const std::string& drop_tensor, const std::string& reshape_tensor, const std::string& drop_key,
                     const std::string& arch) {
    GgufWriter w;
    for (const GgufKv& kv : (*good)->kvs()) {
      if (kv.key == drop_key) continue;
      if (kv.key == "general.architecture" && !arch.empty()) {
        w.add_string("general.architecture", arch);
        continue;
      }
      w.add_kv_copy(kv);
    }
    for (const GgufTensor& t : (*good)->tensors()) {
      if (t.name == drop_tensor) continue;
      const uint8_t* p = static_cast<const uint8_t*>(t.data);
      std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
      if (t.name == reshape_tensor) std::swap(ne[0], ne[1]);
      w.add_tensor(std::string(t.name), t.type, ne, std::vector<uint8_t>(p, p + t.n_bytes));
    }
    return w.serialize();
  };
  struct Case {
    std::vector<uint8_t> bytes;
    const char* needle;
  };
  const Case cases[] = {
      {rebuild("blk.1.ffn_up.weight", "", "", ""), "tensor 'blk.1.ffn_up.weight' is missing"},
      {rebuild("", "blk.0.attn_k.weight", "", ""), "tensor 'blk.0.attn_k.weight': shape [32, 64], expected [64, 32]"},
      {rebuild("", "", "llama.block_count", ""), "llama.block_count' is missing"},
      {rebuild("", "", "", "mamba"), "general.architecture 'mamba' is not supported"},
      {rebuild("", "", "tokenizer.ggml.tokens", ""), "tokenizer.ggml.tokens' is missing"},
  };
  for (const Case& c : cases) {
    auto m = load_bytes(c.bytes, "broken");
    ASSERT_FALSE(m) << c.needle;
    EXPECT_NE(m.error().message.find(c.needle), std::string::npos) << m.error().message;
    EXPECT_EQ(m.error().message.find('\n'), std::string::npos) << "one line";
  }
  auto missing = Model::load("/nonexistent/model.gguf");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::kIo);
}

}  // namespace
}  // namespace hearth::llm
