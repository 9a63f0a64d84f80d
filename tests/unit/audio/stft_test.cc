// Stft: perfect reconstruction and bin placement.
#include <gtest/gtest.h>

#include <random>

#include "audio_test_util.h"
#include "hearth/audio/audio.h"

namespace hearth {
namespace {

constexpr float kMaxReconstructionError = 1e-5f;  // absolute, for input in [-1, 1]

TEST(Stft, AnalysisThenSynthesisReconstructsInput) {
  auto stft = Stft::create();
  ASSERT_TRUE(stft) << stft.error().message;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  const int n_frames = 300;
  std::vector<float> x(static_cast<size_t>(n_frames) * kFrameSamples);
  for (float& v : x) v = u(rng);
  std::vector<float> re(kStftBins), im(kStftBins), y(x.size());
  for (int f = 0; f < n_frames; ++f) {
    auto hop = std::span<const float>(x).subspan(static_cast<size_t>(f) * kFrameSamples, kFrameSamples);
    (*stft)->analyze(hop, re, im);
    (*stft)->synthesize(re, im, std::span<float>(y).subspan(static_cast<size_t>(f) * kFrameSamples, kFrameSamples));
  }
  float max_err = 0.f;
  for (size_t i = kStftLatency; i < y.size(); ++i) max_err = std::max(max_err, std::fabs(y[i] - x[i - kStftLatency]));
  EXPECT_LT(max_err, kMaxReconstructionError);
  // The first latency samples are the (zero) history.
  for (int i = 0; i < kStftLatency - kFrameSamples; ++i) EXPECT_LT(std::fabs(y[i]), kMaxReconstructionError);
}

TEST(Stft, ToneLandsInItsBin) {
  auto stft = Stft::create();
  ASSERT_TRUE(stft);
  const double bin_hz = static_cast<double>(kSampleRateHz) / kStftWindow;
  const auto x = audio_test::tone(30 * bin_hz, kSampleRateHz, kStftWindow, 0.5);
  std::vector<float> re(kStftBins), im(kStftBins);
  for (int f = 0; f < 3; ++f)
    (*stft)->analyze(std::span<const float>(x).subspan(static_cast<size_t>(f) * kFrameSamples, kFrameSamples), re, im);
  int best = 0;
  for (int k = 0; k < kStftBins; ++k)
    if (std::hypot(re[k], im[k]) > std::hypot(re[best], im[best])) best = k;
  EXPECT_EQ(best, 30);
}

}  // namespace
}  // namespace hearth
