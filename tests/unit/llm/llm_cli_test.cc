// `hearth llm ...` commands through run_llm_command(): generate a tiny random
// model, quantize it, inspect and run it; usage errors exit 2 with one line.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hearth/nlu/llm.h"

namespace hearth {
namespace {

struct Captured {
  int rc;
  std::string out, err;
};

Captured run(const std::vector<std::string>& args) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Captured c;
  c.rc = run_llm_command(args, out, err);
  for (auto [f, s] : {std::pair{out, &c.out}, std::pair{err, &c.err}}) {
    std::rewind(f);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s->append(buf, n);
    std::fclose(f);
  }
  return c;
}

TEST(LlmCli, RandomQuantizeInfoGenerate) {
  const auto dir = std::filesystem::temp_directory_path() / ("hearth_llm_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string f32 = (dir / "tiny.gguf").string(), q8 = (dir / "tiny_q8.gguf").string();
  Captured r = run({"random", "--preset", "tiny", "--type", "f32", "--out", f32});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run({"quantize", f32, q8, "q8_0"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("quantized to Q8_0"), std::string::npos) << r.out;
  r = run({"info", "--model", q8});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("arch llama"), std::string::npos) << r.out;
  r = run({"generate", "--model", q8, "--prompt", "hi", "-n", "5", "--greedy", "-t", "1"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.rfind("hi", 0), 0u) << r.out;
  r = run({"bench", "--model", q8, "-p", "4", "-n", "5", "--bw-mib", "4", "--rounds", "2"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("decode:  5 tokens"), std::string::npos) << r.out;
  // 5 tokens in 2 rounds between bandwidth probes: 2 + 3
  EXPECT_NE(r.out.find("round 1: 2 tokens"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("round 2: 3 tokens"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("of bound (median of 2 rounds)"), std::string::npos) << r.out;
  // --greedy: tokens by argmax of the logits instead of the pseudo-random feed.
  r = run({"bench", "--model", q8, "-p", "4", "-n", "3", "--bw-mib", "4", "--rounds", "1", "--greedy"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("decode:  3 tokens"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

TEST(LlmCli, ErrorsAreOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate"}, {"generate", "--prompt", "x"}, {"quantize", "a", "b", "q9_9"},
           {"info", "--model", "/nonexistent.gguf"}, {"random", "--preset", "gpt-5", "--out", "/tmp/x"}}) {
    Captured r = run(args);
    EXPECT_NE(r.rc, 0);
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  }
}

}  // namespace
}  // namespace hearth
