// hearth-kws model loading: valid synthetic files load; every kind of damage
// is an error with a message, never a crash (STYLE.md §11 corrupt inputs).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "hearth/wakeword/detector.h"
#include "kws_gguf_writer.h"

namespace hearth {
namespace {

using testing::KwsSpec;
using testing::make_kws_gguf;

Result<std::shared_ptr<const WakeModel>> load(const std::vector<uint8_t>& b) {
  return load_wake_model_from_memory(b, "test.gguf");
}

TEST(WakeModel, LoadsValidModel) {
  KwsSpec s;
  auto m = load(make_kws_gguf(s));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((*m)->keyword(), "testword");
  EXPECT_FLOAT_EQ((*m)->default_threshold(), 0.5f);
  EXPECT_EQ((*m)->features().n_mels, 40);
  EXPECT_EQ((*m)->receptive_field_frames(), 3 + 2 * (1 + 2 + 4));
  // in 120x16+16, 3 x (dw 3x16+16, pw 16x16+16), out 16+1
  EXPECT_EQ((*m)->n_params(), 120 * 16 + 16 + 3 * (48 + 16 + 256 + 16) + 17);
}

TEST(WakeModel, BadMagic) {
  auto b = make_kws_gguf({});
  b[0] = 'X';
  auto m = load(b);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Code::kCorrupt);
  EXPECT_NE(m.error().message.find("magic"), std::string::npos);
}

TEST(WakeModel, EveryTruncationIsAnError) {
  const auto b = make_kws_gguf({});
  // the last tensor (out.bias, 4 bytes) is followed by 28 bytes of alignment
  // padding, which a file may legitimately lack
  const size_t data_end = b.size() - 28;
  for (size_t n = 0; n < data_end; n += (n < 2000 || n + 64 > data_end ? 1 : 13)) {
    std::vector<uint8_t> t(b.begin(), b.begin() + n);
    auto m = load(t);
    ASSERT_FALSE(m) << "prefix " << n;
    EXPECT_FALSE(m.error().message.empty());
  }
}

TEST(WakeModel, RandomByteFlipsNeverCrash) {
  const auto b = make_kws_gguf({});
  std::mt19937 g(9);
  for (int i = 0; i < 3000; ++i) {
    auto t = b;
    for (int k = 0; k < 3; ++k) t[g() % t.size()] = static_cast<uint8_t>(g());
    auto m = load(t);  // may load (a weight byte changed) or fail; must not crash
    if (!m) {
      EXPECT_FALSE(m.error().message.empty());
    }
  }
}

TEST(WakeModel, WrongArchitecture) {
  KwsSpec s;
  s.arch = "llama";
  auto m = load(make_kws_gguf(s));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Code::kBadInput);
  EXPECT_NE(m.error().message.find("llama"), std::string::npos);
}

TEST(WakeModel, MissingTensor) {
  KwsSpec s;
  s.skip_bias_of_out = true;
  auto m = load(make_kws_gguf(s));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("out.bias"), std::string::npos) << m.error().message;
}

TEST(WakeModel, WrongShape) {
  KwsSpec s;
  s.wrong_pw_shape = true;
  auto m = load(make_kws_gguf(s));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("blk.0.pw.weight"), std::string::npos) << m.error().message;
}

TEST(WakeModel, DuplicateTensor) {
  KwsSpec s;
  s.duplicate_tensor = true;
  auto m = load(make_kws_gguf(s));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("duplicate"), std::string::npos) << m.error().message;
}

TEST(WakeModel, ScaleCountMismatch) {
  KwsSpec s;
  s.extra_scales = 1;
  auto m = load(make_kws_gguf(s));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("act_scales"), std::string::npos);
}

TEST(WakeModel, ThresholdOutOfRange) {
  KwsSpec s;
  s.threshold = 1.5f;
  auto m = load(make_kws_gguf(s));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("threshold"), std::string::npos);
  for (float z : {100.f, -100.f, std::nanf("")}) {
    KwsSpec t;
    t.threshold_logit = z;
    auto r = load(make_kws_gguf(t));
    ASSERT_FALSE(r) << z;
    EXPECT_NE(r.error().message.find("threshold_logit"), std::string::npos) << r.error().message;
  }
}

TEST(WakeModel, ThresholdLogitTakesPrecedence) {
  KwsSpec s;
  s.threshold = 0.99f;
  s.threshold_logit = 21.5f;  // 1 - 4.6e-10: not a float32 probability below 1
  auto m = load(make_kws_gguf(s));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FLOAT_EQ((*m)->default_threshold_logit(), 21.5f);
  EXPECT_FLOAT_EQ((*m)->default_threshold(), 1.f);
  KwsSpec old;  // a file from before the key: the probability's logit
  old.threshold = 0.9f;
  auto m2 = load(make_kws_gguf(old));
  ASSERT_TRUE(m2);
  EXPECT_NEAR((*m2)->default_threshold_logit(), std::log(9.0), 1e-5);
}

TEST(WakeModel, UnsupportedFrontEnd) {
  KwsSpec s;
  s.n_mels = 32;
  auto m = load(make_kws_gguf(s));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Code::kUnsupported);
}

TEST(WakeModel, CountTooLarge) {
  auto b = make_kws_gguf({});
  const uint64_t huge = 1ull << 40;
  std::memcpy(b.data() + 8, &huge, 8);  // n_tensors
  auto m = load(b);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("n_tensors"), std::string::npos);
}

TEST(WakeModel, MissingFileIsNotFound) {
  auto m = load_wake_model("/nonexistent/dir/x.gguf");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Code::kNotFound);
}

// The fuzz corpus (assets/fuzz/wakeword) replayed in the normal build: the
// tiny model (written by tools/wakeword/gguf_write.py) loads and runs, the
// damaged ones fail cleanly.
TEST(WakeModel, FuzzCorpusReplay) {
  const std::string dir = std::string(HEARTH_ASSETS_DIR) + "/fuzz/wakeword/";
  auto ok = load_wake_model(dir + "tiny.gguf");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)->keyword(), "tiny");
  std::vector<float> pcm(1600, 0.01f);
  EXPECT_EQ(wake_scores(**ok, pcm).size(), 10u);
  for (const char* bad : {"tiny_truncated.gguf", "tiny_bad_count.gguf"}) {
    auto m = load_wake_model(dir + bad);
    EXPECT_FALSE(m) << bad;
  }
}

TEST(WakeModel, ShippedModelsLoad) {
  // Every model that is shipped must load and be the word its name says.
  int present = 0;
  std::string missing;
  for (const char* w : {"jarvis", "computer", "alexa", "snowboy"}) {
    const std::string p = std::string(HEARTH_ASSETS_DIR) + "/wakeword/" + w + ".gguf";
    if (!std::ifstream(p)) {
      missing += std::string(" ") + w;
      continue;
    }
    ++present;
    auto m = load_wake_model(p);
    ASSERT_TRUE(m) << p << ": " << m.error().message;
    EXPECT_EQ((*m)->keyword(), w);
    EXPECT_GT((*m)->n_params(), 5000);
    EXPECT_LT((*m)->n_params(), 100000);
    EXPECT_GT((*m)->default_threshold(), 0.f);
    EXPECT_LT((*m)->default_threshold(), 1.f);
  }
  if (present == 0) GTEST_SKIP() << "no model in assets/wakeword (train with tools/wakeword/train_all.sh)";
  if (!missing.empty()) std::printf("not shipped:%s\n", missing.c_str());
}

}  // namespace
}  // namespace hearth
