// Resampler: passband accuracy, aliasing suppression, channels, streaming.
#include <gtest/gtest.h>

#include "audio_test_util.h"
#include "hearth/audio/audio.h"

namespace hearth {
namespace {

using namespace audio_test;

constexpr double kMaxPassbandErrorDb = 0.05;   // |gain − 1| for tones below 0.9·Nyquist
constexpr double kMinAliasRejectionDb = 80.0;  // out-of-band tone → residual in the output

std::vector<float> run(int in_rate, int out_rate, const std::vector<float>& x, int n_channels = 1, int channel = -1,
                       size_t chunk = 0) {
  auto rs = Resampler::create(in_rate, out_rate, n_channels, channel);
  EXPECT_TRUE(rs) << rs.error().message;
  std::vector<float> out;
  if (chunk == 0) {
    (*rs)->process(x, out);
  } else {
    const size_t step = chunk * n_channels;
    for (size_t i = 0; i < x.size(); i += step)
      (*rs)->process(std::span<const float>(x).subspan(i, std::min(step, x.size() - i)), out);
  }
  return out;
}

// Steady-state part of the output (skips the filter's start-up transient).
std::span<const float> steady(const std::vector<float>& y, int rate) {
  const size_t skip = static_cast<size_t>(rate / 10);
  return std::span<const float>(y).subspan(skip, y.size() - 2 * skip);
}

TEST(Resampler, PassbandTonesKeepTheirAmplitude) {
  for (int in_rate : {8000, 22050, 44100, 48000, 96000}) {
    for (double f : {100.0, 1000.0, 3000.0, 3500.0, 7000.0}) {
      if (f > 0.9 * 0.5 * std::min(in_rate, kSampleRateHz)) continue;
      const auto x = tone(f, in_rate, static_cast<size_t>(in_rate / 2), 0.5);
      const auto y = run(in_rate, kSampleRateHz, x);
      EXPECT_NEAR(static_cast<double>(y.size()), in_rate / 2.0 * kSampleRateHz / in_rate, 1.0);
      const double err_db = db(tone_amplitude(steady(y, kSampleRateHz), f, kSampleRateHz) / 0.5);
      EXPECT_LT(std::fabs(err_db), kMaxPassbandErrorDb) << in_rate << " Hz input, " << f << " Hz tone";
    }
  }
}

TEST(Resampler, SuppressesAliasesOfTonesAbove8kHz) {
  for (int in_rate : {48000, 44100}) {
    for (double f : {8000.0, 8500.0, 9000.0, 12000.0, 15000.0, 20000.0}) {
      const auto x = tone(f, in_rate, static_cast<size_t>(in_rate / 2), 0.5);
      const auto y = run(in_rate, kSampleRateHz, x);
      const double rejection_db = db(0.5 / std::sqrt(2.0) / rms(steady(y, kSampleRateHz)));
      EXPECT_GT(rejection_db, kMinAliasRejectionDb) << in_rate << " Hz input, " << f << " Hz tone";
    }
  }
}

TEST(Resampler, ChunkedStreamingMatchesOneShot) {
  const auto x = tone(440.0, 44100, 20000, 0.3);
  const auto whole = run(44100, kSampleRateHz, x);
  for (size_t chunk : {1u, 7u, 441u, 1000u}) {
    const auto parts = run(44100, kSampleRateHz, x, 1, -1, chunk);
    ASSERT_EQ(parts.size(), whole.size()) << "chunk " << chunk;
    for (size_t i = 0; i < whole.size(); ++i) ASSERT_EQ(parts[i], whole[i]) << "chunk " << chunk << " i " << i;
  }
}

TEST(Resampler, SelectsOrMixesChannels) {
  // Left = 1 kHz, right = 2 kHz, interleaved at 48 kHz.
  const size_t n = 24000;
  std::vector<float> x(2 * n);
  const auto l = tone(1000, 48000, n, 0.4), r = tone(2000, 48000, n, 0.2);
  for (size_t i = 0; i < n; ++i) x[2 * i] = l[i], x[2 * i + 1] = r[i];
  const auto left = run(48000, kSampleRateHz, x, 2, 0);
  const auto right = run(48000, kSampleRateHz, x, 2, 1);
  const auto mix = run(48000, kSampleRateHz, x, 2, -1);
  EXPECT_NEAR(tone_amplitude(steady(left, kSampleRateHz), 1000, kSampleRateHz), 0.4, 1e-3);
  EXPECT_LT(tone_amplitude(steady(left, kSampleRateHz), 2000, kSampleRateHz), 1e-4);
  EXPECT_NEAR(tone_amplitude(steady(right, kSampleRateHz), 2000, kSampleRateHz), 0.2, 1e-3);
  EXPECT_NEAR(tone_amplitude(steady(mix, kSampleRateHz), 1000, kSampleRateHz), 0.2, 1e-3);
  EXPECT_NEAR(tone_amplitude(steady(mix, kSampleRateHz), 2000, kSampleRateHz), 0.1, 1e-3);
}

TEST(Resampler, EqualRatesCopyExactly) {
  const auto x = tone(300, kSampleRateHz, 1000, 0.7);
  const auto y = run(kSampleRateHz, kSampleRateHz, x);
  ASSERT_EQ(y, x);
  auto rs = Resampler::create(kSampleRateHz, kSampleRateHz, 1);
  EXPECT_EQ((*rs)->delay_samples(), 0.0);
}

TEST(Resampler, RejectsBadArguments) {
  EXPECT_FALSE(Resampler::create(0, 16000, 1));
  EXPECT_FALSE(Resampler::create(48000, 16000, 0));
  EXPECT_FALSE(Resampler::create(48000, 16000, 2, 2));
  auto r = Resampler::create(48000, 16000, 2, -2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
}

}  // namespace
}  // namespace hearth
