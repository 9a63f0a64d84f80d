// PortAudio capture through a real ALSA PCM backed by a file, no sound card:
// the test writes an .asoundrc under a temporary HOME (ALSA reads
// $HOME/.asoundrc) defining
//   pcm.hearth_file: type file, slave null, infile <raw S16_LE stereo 48 kHz>
//   pcm.hearth_mic:  type plug over hearth_file (fixes format/rate/channels)
// PortAudio's ALSA host API enumerates the PCMs named in the config, so
// "hearth_mic" shows up as a capture device and the real callback → ring →
// resampler path runs. The null slave has no clock: the callback runs as fast
// as ALSA can deliver, so after the file's samples (then silence) fill the
// ring, the producer overruns; the test sizes the ring to hold the file and
// uses that to check overrun counting.
//
// Capture asks PortAudio for S16 (see portaudio_capture.cc): with float,
// alsa-lib's plug inserts a conversion plugin that begins larger mmap areas on
// the file plugin than it commits, and the file plugin drops the difference of
// its infile (the cause of the "21 dB low" tones of an earlier version: the
// level was right, about every 500th sample block was skipped, which breaks a
// phase-coherent tone fit). With S16 the samples arrive bit-exact.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "audio_test_util.h"
#include "hearth/audio/audio.h"

namespace hearth {
namespace {

using namespace audio_test;

constexpr int kFileRate = 16000;
constexpr double kMaxToneErrorDb = 0.05;

// 1 s of stereo at `rate`: left 440 Hz, right 1 kHz, S16_LE interleaved.
std::vector<int16_t> stereo_tones(int rate, int seconds = 1) {
  std::vector<int16_t> s(static_cast<size_t>(rate) * seconds * 2);
  for (size_t i = 0; i < s.size() / 2; ++i) {
    s[2 * i] = static_cast<int16_t>(std::lround(16383.0 * std::sin(2 * M_PI * 440.0 * i / rate)));
    s[2 * i + 1] = static_cast<int16_t>(std::lround(16383.0 * std::sin(2 * M_PI * 1000.0 * i / rate)));
  }
  return s;
}

class PortAudioCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("capture");
    ASSERT_FALSE(dir_.empty());
    old_home_ = std::getenv("HOME") ? std::getenv("HOME") : "";
    setenv("HOME", dir_.c_str(), 1);  // before any Pa_Initialize in this test
    write_raw(stereo_tones(kFileRate));
  }
  void TearDown() override {
    setenv("HOME", old_home_.c_str(), 1);
    std::filesystem::remove_all(dir_);
  }
  void write_raw(const std::vector<int16_t>& s) {
    std::ofstream raw(dir_ + "/in.raw", std::ios::binary | std::ios::trunc);
    raw.write(reinterpret_cast<const char*>(s.data()), static_cast<std::streamsize>(s.size() * 2));
  }
  // Defines the file-backed pcm under `name`.
  void write_asoundrc(const std::string& name, int rate = kFileRate) {
    std::ofstream rc(dir_ + "/.asoundrc", std::ios::trunc);
    rc << "pcm.hearth_file {\n  type file\n  slave.pcm \"null\"\n  file \"/dev/null\"\n  infile \"" << dir_
       << "/in.raw\"\n  format \"raw\"\n}\n";
    rc << "pcm." << name << " {\n  type plug\n  slave {\n    pcm \"hearth_file\"\n    format S16_LE\n"
       << "    rate " << rate << "\n    channels 2\n  }\n}\n";
  }
  // Captures `n` 16 kHz samples from hearth_mic.
  std::vector<float> capture(int rate, int channel, size_t n) {
    CaptureConfig cfg;
    cfg.device = "hearth_mic";
    cfg.rate_hz = rate;
    cfg.channel = channel;
    cfg.ring_ms = 3000;  // holds the whole file (see the header comment)
    auto src = open_capture_source(cfg);
    EXPECT_TRUE(src) << src.error().message;
    if (!src) return {};
    std::vector<float> got, frame(kFrameSamples);
    while (got.size() < n) {
      auto r = (*src)->read_frame(frame, std::chrono::milliseconds(2000));
      EXPECT_TRUE(r) << r.error().message;
      if (!r || *r != ReadResult::kFrame) {
        ADD_FAILURE() << "state " << source_state_name((*src)->status().state) << ": "
                      << (*src)->status().last_error;
        return {};
      }
      got.insert(got.end(), frame.begin(), frame.end());
    }
    const SourceStatus st = (*src)->status();
    EXPECT_EQ(st.state, SourceState::kRunning);
    EXPECT_EQ(st.device, "hearth_mic");
    EXPECT_EQ(st.native_rate_hz, rate);
    EXPECT_EQ(st.native_channels, 2);
    // (Overruns are expected: the unclocked null slave keeps delivering
    // silence after the file; the ring holds the file itself.)
    got.resize(n);
    return got;
  }
  std::string dir_, old_home_;
};

TEST_F(PortAudioCaptureTest, ListsTheFileBackedDevice) {
  write_asoundrc("hearth_mic");
  auto devices = list_capture_devices();
  ASSERT_TRUE(devices) << devices.error().message;
  bool found = false;
  for (const auto& d : *devices)
    if (d.name == "hearth_mic") {
      found = true;
      EXPECT_EQ(d.host_api, "ALSA");
      EXPECT_GE(d.max_input_channels, 2);
    }
  EXPECT_TRUE(found) << "hearth_mic not enumerated by PortAudio";
}

// At the pipeline rate the real capture path must be bit-exact: the file's
// S16 samples / 32768, the chosen channel or the mean of both.
TEST_F(PortAudioCaptureTest, CapturesTheFileBitExactSelectingAChannel) {
  write_asoundrc("hearth_mic");
  const std::vector<int16_t> file = stereo_tones(kFileRate);
  const size_t n = static_cast<size_t>(kSampleRateHz) * 9 / 10;
  for (int channel : {0, 1, -1}) {
    SCOPED_TRACE("channel " + std::to_string(channel));
    const std::vector<float> got = capture(kFileRate, channel, n);
    ASSERT_EQ(got.size(), n);
    size_t mismatches = 0, first = n;
    for (size_t i = 0; i < n; ++i) {
      const float l = file[2 * i] / 32768.0f, r = file[2 * i + 1] / 32768.0f;
      const float want = channel == 0 ? l : channel == 1 ? r : 0.5f * (l + r);
      if (std::fabs(got[i] - want) > 1e-7f) {
        ++mismatches;
        first = std::min(first, i);
      }
    }
    EXPECT_EQ(mismatches, 0u) << "first mismatch at sample " << first;
  }
}

// A 48 kHz device: the same samples as resampling the file offline with
// Resampler (nothing lost or repeated in capture), tones at their level.
TEST_F(PortAudioCaptureTest, CapturesA48kHzDeviceThroughTheResampler) {
  constexpr int kRate = 48000;
  const std::vector<int16_t> file = stereo_tones(kRate);
  write_raw(file);
  write_asoundrc("hearth_mic", kRate);
  const size_t n = static_cast<size_t>(kSampleRateHz) * 9 / 10;
  for (int channel : {0, -1}) {
    SCOPED_TRACE("channel " + std::to_string(channel));
    const std::vector<float> got = capture(kRate, channel, n);
    ASSERT_EQ(got.size(), n);
    std::vector<float> in(file.size()), want;
    for (size_t i = 0; i < file.size(); ++i) in[i] = file[i] / 32768.0f;
    auto rs = Resampler::create(kRate, kSampleRateHz, 2, channel);
    ASSERT_TRUE(rs);
    (*rs)->process(in, want);
    ASSERT_GE(want.size(), n);
    double max_err = 0;
    for (size_t i = 0; i < n; ++i) max_err = std::max(max_err, static_cast<double>(std::fabs(got[i] - want[i])));
    EXPECT_LT(max_err, 1e-6);
    auto mid = std::span<const float>(got).subspan(1600, 11200);  // past the filter start-up
    const double full = 16383.0 / 32768.0;
    if (channel == 0) {
      EXPECT_LT(std::fabs(db(tone_amplitude(mid, 440, kSampleRateHz) / full)), kMaxToneErrorDb);
      EXPECT_LT(tone_amplitude(mid, 1000, kSampleRateHz), 1e-4);
    } else {
      EXPECT_LT(std::fabs(db(tone_amplitude(mid, 440, kSampleRateHz) / (full / 2))), kMaxToneErrorDb);
      EXPECT_LT(std::fabs(db(tone_amplitude(mid, 1000, kSampleRateHz) / (full / 2))), kMaxToneErrorDb);
    }
  }
}

TEST_F(PortAudioCaptureTest, CountsOverrunsWhenTheConsumerFallsBehind) {
  write_asoundrc("hearth_mic");
  CaptureConfig cfg;
  cfg.device = "hearth_mic";
  cfg.rate_hz = kFileRate;
  cfg.ring_ms = 100;
  auto src = open_capture_source(cfg);
  ASSERT_TRUE(src);
  std::vector<float> frame(kFrameSamples);
  // One read opens the stream; the unclocked null device then fills the
  // 100 ms ring almost at once while nobody reads.
  auto r = (*src)->read_frame(frame, std::chrono::milliseconds(2000));
  ASSERT_TRUE(r);
  SourceStatus st;
  for (int i = 0; i < 200; ++i) {
    st = (*src)->status();
    if (st.overrun_samples > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(st.overrun_samples, 0u);
  EXPECT_GT(st.overrun_events, 0u);
  r = (*src)->read_frame(frame, std::chrono::milliseconds(2000));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, ReadResult::kFrame);  // still running after overruns
}

TEST_F(PortAudioCaptureTest, MissingDeviceIsRetriedUntilItAppears) {
  write_asoundrc("hearth_mic");
  CaptureConfig cfg;
  cfg.device = "hearth_late";
  cfg.rate_hz = kFileRate;
  cfg.ring_ms = 3000;
  cfg.reopen_min_ms = 20;
  cfg.reopen_max_ms = 40;
  auto src = open_capture_source(cfg);
  ASSERT_TRUE(src);  // a missing device is not fatal: the daemon keeps running
  std::vector<float> frame(kFrameSamples);
  auto r = (*src)->read_frame(frame, std::chrono::milliseconds(100));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, ReadResult::kNoData);
  SourceStatus st = (*src)->status();
  EXPECT_EQ(st.state, SourceState::kReopening);
  EXPECT_NE(st.last_error.find("hearth_late"), std::string::npos) << st.last_error;

  write_asoundrc("hearth_late");  // the device "comes back"
  bool got_frame = false;
  for (int i = 0; i < 50 && !got_frame; ++i) {
    r = (*src)->read_frame(frame, std::chrono::milliseconds(100));
    ASSERT_TRUE(r);
    got_frame = *r == ReadResult::kFrame;
  }
  EXPECT_TRUE(got_frame) << (*src)->status().last_error;
  EXPECT_EQ((*src)->status().state, SourceState::kRunning);
  EXPECT_EQ((*src)->status().device, "hearth_late");
}

// The device vanishes mid-stream and comes back. The PCM's infile is a FIFO
// the test feeds: when the test stops writing, ALSA's reads block and the
// stream stalls like a device that died (no samples, no error); the test
// also removes the PCM from .asoundrc so the reopens fail, then restores it
// and feeds a different tone. Capture must report kReopening with the
// reason, retry with backoff, and deliver the new samples exactly.
TEST_F(PortAudioCaptureTest, DeviceVanishingMidStreamIsReopenedWhenItComesBack) {
  const std::string fifo = dir_ + "/in.raw";
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Held read-write: opening never blocks and ALSA never sees end-of-file.
  const int fd = open(fifo.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  auto feed = [&](const std::vector<int16_t>& s) {
    const char* p = reinterpret_cast<const char*>(s.data());
    size_t left = s.size() * 2;
    while (left > 0) {
      const ssize_t w = write(fd, p, left);
      ASSERT_GT(w, 0);
      p += w;
      left -= static_cast<size_t>(w);
    }
  };
  // 0.25 s per feed: well inside the pipe's 64 KiB.
  auto tones = [](double f, int n) {
    std::vector<int16_t> s(static_cast<size_t>(n) * 2);
    for (int i = 0; i < n; ++i)
      s[2 * i] = s[2 * i + 1] = static_cast<int16_t>(std::lround(12000.0 * std::sin(2 * M_PI * f * i / kFileRate)));
    return s;
  };
  const std::vector<int16_t> first = tones(440, 4000), second = tones(1000, 4000);
  feed(first);
  write_asoundrc("hearth_mic");
  CaptureConfig cfg;
  cfg.device = "hearth_mic";
  cfg.rate_hz = kFileRate;
  cfg.channel = 0;
  cfg.stall_timeout_ms = 300;
  cfg.reopen_min_ms = 20;
  cfg.reopen_max_ms = 80;
  auto src = open_capture_source(cfg);
  ASSERT_TRUE(src);
  // Destroyed before src: end-of-file on the FIFO lets the last stream close.
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  std::vector<float> frame(kFrameSamples), got;
  while (got.size() < 4000) {
    auto r = (*src)->read_frame(frame, std::chrono::milliseconds(2000));
    ASSERT_TRUE(r && *r == ReadResult::kFrame) << (*src)->status().last_error;
    got.insert(got.end(), frame.begin(), frame.end());
  }
  for (size_t i = 0; i < 4000; ++i) ASSERT_EQ(got[i], first[2 * i] / 32768.0f) << i;
  EXPECT_EQ((*src)->status().state, SourceState::kRunning);

  // Vanish: nothing more is written, and the PCM is gone from the config.
  write_asoundrc("hearth_other");
  // ALSA's blocked read() holds up closing the stream (PortAudio joins its
  // callback thread): once capture has declared the device gone, a little
  // silence lets that read return so the old stream can close, as a dying
  // driver's pending read returns with an error.
  AudioSource* raw_src = src->get();
  std::thread unblock([&] {
    for (int i = 0; i < 500 && raw_src->status().state != SourceState::kReopening; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    feed(std::vector<int16_t>(3200, 0));
  });
  SourceStatus st;
  for (int i = 0; i < 100; ++i) {
    auto r = (*src)->read_frame(frame, std::chrono::milliseconds(50));
    EXPECT_TRUE(r);
    st = (*src)->status();
    if (st.state == SourceState::kReopening && st.last_error.find("not found") != std::string::npos) break;
  }
  EXPECT_EQ(st.state, SourceState::kReopening);
  EXPECT_NE(st.last_error.find("'hearth_mic' not found"), std::string::npos) << st.last_error;
  EXPECT_EQ(st.reopen_count, 0u);
  unblock.join();

  // Comes back with new content.
  write_asoundrc("hearth_mic");
  feed(second);
  got.clear();
  for (int i = 0; i < 200 && got.size() < 4000; ++i) {
    auto r = (*src)->read_frame(frame, std::chrono::milliseconds(50));
    ASSERT_TRUE(r);
    if (*r == ReadResult::kFrame) got.insert(got.end(), frame.begin(), frame.end());
  }
  ASSERT_GE(got.size(), 4000u) << (*src)->status().last_error;
  // After the reopen (and maybe some of the unblocking silence) comes the
  // new tone; its sample 0 is 0, so the first non-zero sample is its sample 1.
  size_t start = 0;
  while (start < got.size() && got[start] == 0.f) ++start;
  ASSERT_LT(start + 1000, got.size());
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(got[start + i], second[2 * (i + 1)] / 32768.0f) << i;
  st = (*src)->status();
  EXPECT_EQ(st.state, SourceState::kRunning);
  EXPECT_EQ(st.reopen_count, 1u);
  EXPECT_EQ(st.last_error, "");  // running again: no stale reason
}

TEST(CaptureConfig, Validation) {
  ConfigErrors errors;
  CaptureConfig cfg;
  cfg.channel = -3;
  cfg.reopen_min_ms = 5000;
  cfg.reopen_max_ms = 100;
  cfg.validate(errors);
  EXPECT_EQ(errors.size(), 2u) << errors.to_string();
  EXPECT_FALSE(open_capture_source(cfg));
}

}  // namespace
}  // namespace hearth
