// Session features on ../shared/data/llm/stories260K.gguf: batched prefill
// (mat-mat) equals token-by-token decoding, the f16 KV cache keeps the
// reference's greedy tokens, the prompt-prefix cache reuses exactly the
// common prefix and gives the logits of a fresh evaluation.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "llm/model.h"
#include "stories_fixture.h"

namespace hearth::llm {
namespace {

class SessionStories : public StoriesTest {
 protected:
  std::vector<Token> ids(const std::string& text) const { return model_->tokenizer().encode(text, true, false); }
  SessionOptions opts(int n_batch, KvType kv, int threads = 1) const {
    SessionOptions o;
    o.n_ctx = 128;
    o.n_batch = n_batch;
    o.kv_type = kv;
    o.n_threads = threads;
    return o;
  }
};

double max_diff(std::span<const float> a, std::span<const float> b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
  return d;
}

TEST_F(SessionStories, BatchedPrefillEqualsTokenByToken) {
  const std::vector<Token> prompt = ids("Once upon a time, there was a little girl named Lily who loved to play outside");
  ASSERT_GT(prompt.size(), 17u);
  for (const KernelTable* kt : supported_kernel_tables()) {
    Session one(model_, opts(1, KvType::kF32), *kt);
    std::vector<float> want;
    for (Token t : prompt) {
      auto r = one.decode(t);
      ASSERT_TRUE(r);
      want.assign(r->begin(), r->end());
    }
    for (int batch : {2, 7, 32}) {
      for (int threads : {1, 2}) {
        Session s(model_, opts(batch, KvType::kF32, threads), *kt);
        s.set_min_parallel_bytes_for_test(0);  // split rows and heads even for this tiny model
        auto r = s.prefill(prompt);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(s.n_past(), static_cast<int>(prompt.size()));
        EXPECT_LT(max_diff(want, *r), 1e-5) << kt->name << " batch " << batch << " threads " << threads;
        // and decoding continues from the batched state like from the sequential one
        auto a = one.decode(prompt[3]);
        auto b = s.decode(prompt[3]);
        ASSERT_TRUE(a && b);
        EXPECT_LT(max_diff(*a, *b), 1e-5) << kt->name << " batch " << batch;
        one.reset();
        for (Token t : prompt) ASSERT_TRUE(one.decode(t));
      }
    }
  }
}

TEST_F(SessionStories, F16KvCacheKeepsGreedyTokens) {
  for (const char* text : {"Once upon a time", "The cat sat on the", "Tom and Sue went to the park"}) {
    const std::vector<Token> prompt = ids(text);
    Session f32(model_, opts(8, KvType::kF32)), f16(model_, opts(8, KvType::kF16));
    EXPECT_EQ(f16.kv_type(), KvType::kF16);
    auto a = f32.generate(prompt, 40, SamplerParams{});
    auto b = f16.generate(prompt, 40, SamplerParams{});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b) << text;
    // logits close (f16 keys/values: ~3 significant digits)
    Session x(model_, opts(8, KvType::kF32)), y(model_, opts(8, KvType::kF16));
    auto lx = x.prefill(prompt);
    auto ly = y.prefill(prompt);
    ASSERT_TRUE(lx && ly);
    EXPECT_LT(max_diff(*lx, *ly), 0.05) << text;
    EXPECT_GT(max_diff(*lx, *ly), 0.0) << "f16 cache should not be bit-identical to f32";
  }
}

TEST_F(SessionStories, PrefixCacheReusesCommonPrefixOnly) {
  const std::string system = "Once upon a time, there was a little dog named Max. ";
  const std::vector<Token> sys = ids(system);
  const std::vector<Token> p1 = ids(system + "He liked to run"), p2 = ids(system + "One day it rained");
  size_t common = 0;
  while (common < p1.size() && common < p2.size() && p1[common] == p2[common]) ++common;
  ASSERT_GE(common, sys.size() - 1);
  ASSERT_LT(common, p2.size());

  Session s(model_, opts(4, KvType::kF16));
  auto r1 = s.prefill_cached(p1);
  ASSERT_TRUE(r1);
  EXPECT_EQ(s.n_reused(), 0);
  // generate a little (the history grows past the prompt), then the next command
  auto g = s.decode(static_cast<Token>(std::max_element(r1->begin(), r1->end()) - r1->begin()));
  ASSERT_TRUE(g);
  auto r2 = s.prefill_cached(p2);
  ASSERT_TRUE(r2);
  EXPECT_EQ(s.n_reused(), static_cast<int>(common));
  EXPECT_EQ(s.history(), p2);
  std::vector<float> cached(r2->begin(), r2->end());
  Session fresh(model_, opts(4, KvType::kF16));
  auto rf = fresh.prefill(p2);
  ASSERT_TRUE(rf);
  EXPECT_LT(max_diff(cached, *rf), 1e-5);
  // the same prompt again: everything but the last token is reused
  auto r3 = s.prefill_cached(p2);
  ASSERT_TRUE(r3);
  EXPECT_EQ(s.n_reused(), static_cast<int>(p2.size()) - 1);
  EXPECT_LT(max_diff(*r3, *rf), 1e-5);
  // and greedy continuations from the cached state equal the fresh ones
  auto ga = s.generate(p2, 20, SamplerParams{});
  auto gb = fresh.generate(p2, 20, SamplerParams{});
  ASSERT_TRUE(ga && gb);
  EXPECT_EQ(*ga, *gb);
}

TEST_F(SessionStories, BadTokensInABatchAreRejectedBeforeAnyWork) {
  Session s(model_, opts(8, KvType::kF16));
  std::vector<Token> p = ids("Once upon a time");
  p.push_back(100000);
  auto r = s.prefill(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
  EXPECT_EQ(s.n_past(), 0);
  EXPECT_TRUE(s.history().empty());
}

}  // namespace
}  // namespace hearth::llm
