// read_audio_file / write_wav / FileSource: formats, rates, corrupt input.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <filesystem>
#include <fstream>

#include "audio_test_util.h"
#include "hearth/audio/audio.h"

namespace hearth {
namespace {

using namespace audio_test;

class AudioFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("audiofile");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Writes interleaved float samples with libsndfile in any container.
  void write_file(const std::string& p, int format, int rate, int channels, const std::vector<float>& x) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
    ASSERT_EQ(sf_writef_float(f, x.data(), static_cast<sf_count_t>(x.size() / channels)),
              static_cast<sf_count_t>(x.size() / channels));
    sf_close(f);
  }
  std::string read_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write_bytes(const std::string& p, const std::string& b) {
    std::ofstream out(p, std::ios::binary);
    out << b;
  }
  std::string dir_;
};

TEST_F(AudioFileTest, WavRoundTripAt16kIsExactTo16Bits) {
  const auto x = tone(440, kSampleRateHz, 8000, 0.5);
  ASSERT_TRUE(write_wav(path("a.wav"), x));
  AudioFileInfo info;
  auto y = read_audio_file(path("a.wav"), -1, &info);
  ASSERT_TRUE(y) << y.error().message;
  EXPECT_EQ(info.sample_rate_hz, kSampleRateHz);
  EXPECT_EQ(info.format, "WAV");
  ASSERT_EQ(y->size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR((*y)[i], x[i], 1.0 / 32767);
}

TEST_F(AudioFileTest, ReadsFlacAndOggAtOtherRatesAndChannels) {
  struct Case {
    const char* name;
    int format, rate, channels;
    double tol_db;
  };
  for (const Case& c : {Case{"s.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, 2, 0.05},
                        Case{"s.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 48000, 1, 0.5},
                        Case{"s8k.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, 1, 0.05}}) {
    const auto x = tone(1000, c.rate, static_cast<size_t>(c.rate), 0.5, c.channels);
    write_file(path(c.name), c.format, c.rate, c.channels, x);
    AudioFileInfo info;
    auto y = read_audio_file(path(c.name), -1, &info);
    ASSERT_TRUE(y) << c.name << ": " << y.error().message;
    EXPECT_EQ(info.sample_rate_hz, c.rate);
    EXPECT_EQ(info.n_channels, c.channels);
    EXPECT_EQ(y->size(), static_cast<size_t>(kSampleRateHz)) << c.name;
    auto mid = std::span<const float>(*y).subspan(2000, 12000);
    EXPECT_LT(std::fabs(db(tone_amplitude(mid, 1000, kSampleRateHz) / 0.5)), c.tol_db) << c.name;
  }
}

TEST_F(AudioFileTest, ResampledFileIsTimeAligned) {
  // A click at 0.5 s in a 48 kHz file lands at 0.5 s in the 16 kHz output.
  std::vector<float> x(48000, 0.f);
  x[24000] = 1.f;
  write_file(path("click.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, x);
  auto y = read_audio_file(path("click.wav"));
  ASSERT_TRUE(y);
  size_t peak = 0;
  for (size_t i = 0; i < y->size(); ++i)
    if (std::fabs((*y)[i]) > std::fabs((*y)[peak])) peak = i;
  EXPECT_NEAR(static_cast<double>(peak), 8000.0, 1.0);
}

TEST_F(AudioFileTest, MissingFileIsIoError) {
  auto y = read_audio_file(path("nope.wav"));
  ASSERT_FALSE(y);
  EXPECT_EQ(y.error().code, Code::kIo);
  EXPECT_NE(y.error().message.find("nope.wav"), std::string::npos);
}

TEST_F(AudioFileTest, CorruptFilesAreErrorsNotCrashes) {
  const auto x = tone(440, kSampleRateHz, 16000, 0.5);
  ASSERT_TRUE(write_wav(path("good.wav"), x));
  const std::string good = read_bytes(path("good.wav"));
  write_file(path("good.flac"), SF_FORMAT_FLAC | SF_FORMAT_PCM_16, kSampleRateHz, 1, x);
  const std::string flac = read_bytes(path("good.flac"));

  struct Case {
    const char* name;
    std::string bytes;
  };
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  std::string huge_rate = good;  // fmt chunk sample rate field at byte 24
  huge_rate[24] = '\xff', huge_rate[25] = '\xff', huge_rate[26] = '\xff', huge_rate[27] = '\x7f';
  std::string zero_channels = good;  // channel count at byte 22
  zero_channels[22] = 0, zero_channels[23] = 0;
  std::string flac_garbled = flac;
  for (size_t i = flac.size() / 2; i < flac.size() / 2 + 64; ++i) flac_garbled[i] = static_cast<char>(i * 37);
  const std::vector<Case> cases = {
      {"Empty", ""},
      {"HeaderOnly", good.substr(0, 20)},
      {"TruncatedWavData", good.substr(0, good.size() / 2)},
      {"BadMagic", bad_magic},
      {"ImplausibleRate", huge_rate},
      {"ZeroChannels", zero_channels},
      {"TruncatedFlac", flac.substr(0, flac.size() / 2)},
      {"GarbledFlac", flac_garbled},
      {"RandomBytes", std::string(4096, '\x5a')},
  };
  for (const Case& c : cases) {
    const std::string p = path(std::string(c.name) + (c.name[std::string(c.name).size() - 1] == 'c' ? ".flac" : ".wav"));
    write_bytes(p, c.bytes);
    auto y = read_audio_file(p);
    EXPECT_FALSE(y) << c.name << " decoded " << (y ? y->size() : 0) << " samples";
    if (!y) {
      EXPECT_EQ(y.error().code, Code::kCorrupt) << c.name << ": " << y.error().message;
      EXPECT_NE(y.error().message.find(p), std::string::npos) << y.error().message;
    }
    // The streaming source reports the same problem, at open or while reading.
    auto src = open_file_source(p);
    if (src) {
      std::vector<float> frame(kFrameSamples);
      bool failed = false;
      for (int i = 0; i < 1000 && !failed; ++i) {
        auto r = (*src)->read_frame(frame, std::chrono::milliseconds(0));
        if (!r) failed = true;
        else if (*r == ReadResult::kEnd) break;
      }
      EXPECT_TRUE(failed) << c.name << ": file source did not report an error";
    }
  }
}

TEST_F(AudioFileTest, FileSourceStreamsFramesAndLoops) {
  const auto x = tone(440, 44100, 44100, 0.5);
  write_file(path("t.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 1, x);
  auto src = open_file_source(path("t.wav"));
  ASSERT_TRUE(src);
  std::vector<float> frame(kFrameSamples);
  int n = 0;
  for (;;) {
    auto r = (*src)->read_frame(frame, std::chrono::milliseconds(0));
    ASSERT_TRUE(r);
    if (*r == ReadResult::kEnd) break;
    ++n;
  }
  EXPECT_EQ(n, 100);  // 1 s → 100 frames (the last one zero-padded)
  EXPECT_EQ((*src)->status().state, SourceState::kEnded);
  EXPECT_EQ((*src)->status().native_rate_hz, 44100);

  FileSourceOptions opt;
  opt.loop = true;
  auto looped = open_file_source(path("t.wav"), opt);
  ASSERT_TRUE(looped);
  for (int i = 0; i < 350; ++i) {
    auto r = (*looped)->read_frame(frame, std::chrono::milliseconds(0));
    ASSERT_TRUE(r);
    ASSERT_EQ(*r, ReadResult::kFrame);
  }
}

}  // namespace
}  // namespace hearth
