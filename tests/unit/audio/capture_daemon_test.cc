// A running hearthd capturing from the file-backed ALSA device (see
// portaudio_capture_test.cc) while the device vanishes and comes back:
// /api/v1/health shows audio "running" → "reopening" (status "degraded",
// the reason in audio.error) → "running" again with one reopen, no stale
// error, and frames advancing while a "microphone" delivers in real time;
// the daemon keeps serving commands throughout. HOME points hearthd at the
// test's .asoundrc; the PCM's infile is a FIFO the test feeds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <thread>

#include "fakes/daemon_harness.h"

namespace hearth {
namespace {

using namespace hearth::testing;
using nlohmann::json;

void write_asoundrc(const TempDir& dir, const std::string& pcm_name) {
  std::ofstream rc(dir.file(".asoundrc"), std::ios::trunc);
  rc << "pcm.hearth_file {\n  type file\n  slave.pcm \"null\"\n  file \"/dev/null\"\n  infile \""
     << dir.file("mic.fifo") << "\"\n  format \"raw\"\n}\n";
  rc << "pcm." << pcm_name << " {\n  type plug\n  slave {\n    pcm \"hearth_file\"\n    format S16_LE\n"
     << "    rate 16000\n    channels 2\n  }\n}\n";
}

bool feed(int fd, const std::vector<int16_t>& s) {
  const char* p = reinterpret_cast<const char*>(s.data());
  size_t left = s.size() * 2;
  while (left > 0) {
    const ssize_t w = write(fd, p, left);
    if (w <= 0) return false;
    p += w;
    left -= static_cast<size_t>(w);
  }
  return true;
}

std::vector<int16_t> stereo_tone(int n) {
  std::vector<int16_t> s(static_cast<size_t>(n) * 2);
  for (int i = 0; i < n; ++i)
    s[2 * i] = s[2 * i + 1] = static_cast<int16_t>(std::lround(10000.0 * std::sin(2 * M_PI * 300.0 * i / 16000)));
  return s;
}

// Feeds the FIFO like a microphone: 20 ms of tone every 20 ms until stopped.
// A burst written all at once is read in a few milliseconds (the file
// plugin's slave is "null", nothing paces it), so a test that waits for
// "running" and only then looks at the frame count would see the burst
// already consumed and nothing after it. Writes of 1280 bytes (< PIPE_BUF)
// only after poll() says there is room: never blocks, so stop() is prompt.
class RealTimeFeeder {
 public:
  explicit RealTimeFeeder(int fd) : fd_(fd), thread_([this] { run(); }) {}
  ~RealTimeFeeder() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    const std::vector<int16_t> chunk = stereo_tone(320);
    auto next = std::chrono::steady_clock::now();
    while (!stop_) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, 20) == 1 && (p.revents & POLLOUT)) (void)!write(fd_, chunk.data(), chunk.size() * 2);
      next += std::chrono::milliseconds(20);
      std::this_thread::sleep_until(next);
    }
  }
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(CaptureDaemon, SurvivesTheDeviceVanishingAndComingBack) {
  TempDir dir;
  ASSERT_EQ(mkfifo(dir.file("mic.fifo").c_str(), 0600), 0);
  // Read-write: never blocks, and ALSA sees no end-of-file while we hold it.
  // O_CLOEXEC: hearthd must not inherit it, or closing ours would never end
  // the stream's read and the daemon could not shut down.
  const int fd = open(dir.file("mic.fifo").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(feed(fd, stereo_tone(4000)));
  write_asoundrc(dir, "hearth_mic");

  json cfg = base_config();
  cfg["audio"] = {{"source", "capture"},
                  {"capture",
                   {{"device", "hearth_mic"},
                    {"rate_hz", 16000},
                    {"stall_timeout_ms", 300},
                    {"reopen_min_ms", 50},
                    {"reopen_max_ms", 400}}}};
  Daemon d(dir);
  ASSERT_TRUE(d.start(cfg, {}, demo_home_text(), {"HOME=" + dir.path()}));
  auto audio = [&] { return d.get_json("/api/v1/health")["audio"]; };
  ASSERT_TRUE(wait_until([&] { return audio()["state"] == "running" && audio()["frames"].get<int64_t>() > 0; },
                         std::chrono::seconds(10)))
      << audio().dump();
  EXPECT_EQ(audio()["device"], "hearth_mic");
  EXPECT_EQ(audio()["native_rate_hz"], 16000);

  // The device vanishes: no more samples, and the PCM leaves the config.
  write_asoundrc(dir, "hearth_other");
  ASSERT_TRUE(wait_until([&] { return audio()["state"] == "reopening"; }, std::chrono::seconds(10))) << audio().dump();
  // ALSA's pending read() holds up closing the stalled stream; a little
  // silence lets it return (as a dying driver's read returns an error).
  ASSERT_TRUE(feed(fd, std::vector<int16_t>(3200, 0)));
  ASSERT_TRUE(wait_until(
      [&] { return audio()["error"].is_string() && audio()["error"].get<std::string>().find("not found") != std::string::npos; },
      std::chrono::seconds(10)))
      << audio().dump();
  json h = d.get_json("/api/v1/health");
  EXPECT_EQ(h["status"], "degraded");
  EXPECT_EQ(h["audio"]["state"], "reopening");
  EXPECT_EQ(h["audio"]["reopens"], 0);
  // Still serving while the microphone is gone.
  json r = d.post_json("/api/v1/command", {{"text", "turn on the kitchen lights"}});
  EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();

  const int64_t frames_gone = audio()["frames"].get<int64_t>();

  // It comes back, and delivers in real time from now on.
  write_asoundrc(dir, "hearth_mic");
  RealTimeFeeder mic(fd);
  ASSERT_TRUE(wait_until([&] { return audio()["state"] == "running"; }, std::chrono::seconds(10))) << audio().dump();
  h = d.get_json("/api/v1/health");
  EXPECT_EQ(h["audio"]["reopens"], 1);
  EXPECT_EQ(h["audio"]["device"], "hearth_mic");
  EXPECT_EQ(h["status"], "ok") << h.dump();
  EXPECT_TRUE(h["audio"]["error"].is_null()) << h["audio"].dump();  // the old reason is gone
  const int64_t frames = h["audio"]["frames"].get<int64_t>();
  EXPECT_GE(frames, frames_gone);
  // Half a second of new audio goes through the loop, and it stays up.
  ASSERT_TRUE(wait_until([&] { return audio()["frames"].get<int64_t>() >= frames + 50; }, std::chrono::seconds(10)))
      << audio().dump();
  h = d.get_json("/api/v1/health");
  EXPECT_EQ(h["audio"]["state"], "running") << h["audio"].dump();
  EXPECT_EQ(h["audio"]["reopens"], 1);

  mic.stop();
  close(fd);  // end-of-file: the stream's reads return, so shutdown closes it at once
  EXPECT_TRUE(d.stop());  // SIGTERM → clean exit 0
}

}  // namespace
}  // namespace hearth
