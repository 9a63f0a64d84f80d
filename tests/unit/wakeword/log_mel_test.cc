// The C++ log-mel front end (FFTW) against its specification, the numpy
// implementation in tools/wakeword/features.py that training uses: one file
// through both, compared within a named tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "hearth/audio/audio.h"
#include "log_mel.h"

namespace hearth {
namespace {

// |log-mel difference| where the band has energy well above the log floor
// (float32 FFT vs numpy float64); near the 1e-6 floor both saturate.
constexpr double kMaxAbsDiff = 2e-3;
constexpr double kMaxMeanAbsDiff = 1e-4;

TEST(LogMel, MatchesNumpyFeatures) {
  auto pcm = read_audio_file(std::string(HEARTH_ASSETS_DIR) + "/test/speech_16k.wav");
  ASSERT_TRUE(pcm) << pcm.error().message;
  std::vector<float> x = *pcm;
  // add a quiet noise floor and a loud burst so both ends of the range are covered
  std::mt19937 g(1);
  std::normal_distribution<float> d(0.f, 1e-3f);
  for (auto& v : x) v += d(g);
  for (size_t i = 1000; i < 4000 && i < x.size(); ++i) x[i] = 0.9f * std::sin(0.3f * i);
  const std::string dir = std::string(HEARTH_BINARY_DIR);
  const std::string in = dir + "/log_mel_test_in.f32", out = dir + "/log_mel_test_out.f32";
  {
    std::ofstream f(in, std::ios::binary);
    f.write(reinterpret_cast<const char*>(x.data()), x.size() * sizeof(float));
  }
  const std::string cmd = "/usr/bin/python3 " + std::string(HEARTH_SOURCE_DIR) + "/tools/wakeword/features.py " + in + " " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream f(out, std::ios::binary | std::ios::ate);
  ASSERT_TRUE(f);
  std::vector<float> ref(static_cast<size_t>(f.tellg()) / sizeof(float));
  f.seekg(0);
  f.read(reinterpret_cast<char*>(ref.data()), ref.size() * sizeof(float));

  wakeword::LogMel mel;
  const auto got = mel.compute(x);
  ASSERT_EQ(got.size(), ref.size());
  ASSERT_EQ(got.size(), x.size() / 160 * 40);
  double worst = 0, sum = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = std::abs(static_cast<double>(got[i]) - ref[i]);
    worst = std::max(worst, e);
    sum += e;
  }
  EXPECT_LT(worst, kMaxAbsDiff);
  EXPECT_LT(sum / got.size(), kMaxMeanAbsDiff);
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST(LogMel, StreamingEqualsOffline) {
  std::mt19937 g(2);
  std::normal_distribution<float> d(0.f, 0.2f);
  std::vector<float> x(16000);
  for (auto& v : x) v = d(g);
  wakeword::LogMel a, b;
  const auto off = a.compute(x);
  std::vector<float> frame(40);
  for (size_t i = 0; i < x.size() / 160; ++i) {
    b.push(x.data() + i * 160, frame.data());
    for (int m = 0; m < 40; ++m) ASSERT_EQ(frame[m], off[i * 40 + m]);
  }
}

TEST(LogMel, SilenceIsTheLogFloor) {
  wakeword::LogMel mel;
  std::vector<float> z(1600, 0.f);
  for (float v : mel.compute(z)) EXPECT_NEAR(v, std::log(1e-6), 1e-4);
}

}  // namespace
}  // namespace hearth
