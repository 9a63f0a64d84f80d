// libsndfile reading/writing and the streaming FileSource (see audio.h).
#include <sndfile.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "hearth/audio/audio.h"

namespace hearth {
namespace {

constexpr sf_count_t kReadChunkFrames = 1024;
constexpr int64_t kMaxFileFrames = int64_t{1} << 34;  // ~99 h at 48 kHz; larger headers are lies

struct SndfileCloser {
  void operator()(SNDFILE* f) const noexcept {
    if (f) sf_close(f);
  }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

std::string format_name(int format) {
  SF_FORMAT_INFO fi{};
  fi.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0 && fi.name) {
    std::string name = fi.name;
    const size_t sp = name.find(' ');  // "WAV (Microsoft)" → "WAV"
    return sp == std::string::npos ? name : name.substr(0, sp);
  }
  return "unknown";
}

// libsndfile notes header/data mismatches in its log instead of failing, e.g.
// for a WAV cut short: "data : 32000 (should be 15978)". A data chunk that
// claims more bytes than the file holds means the file was truncated.
bool log_says_truncated(SNDFILE* f) {
  char log[8192] = {};
  sf_command(f, SFC_GET_LOG_INFO, log, sizeof(log) - 1);
  if (std::strstr(log, "larger than file") != nullptr || std::strstr(log, "truncated") != nullptr) return true;
  for (const char* p = std::strstr(log, "data : "); p; p = std::strstr(p + 1, "data : ")) {
    long long declared = 0, actual = 0;
    if (std::sscanf(p, "data : %lld (should be %lld)", &declared, &actual) == 2 && actual < declared) return true;
  }
  return false;
}

// An open file being decoded, with its own resampler to 16 kHz mono.
struct Decoder {
  std::string path;
  SndfilePtr file;
  SF_INFO info{};
  std::unique_ptr<Resampler> resampler;
  std::vector<float> chunk;
  int64_t frames_read = 0;
  bool header_truncated = false;

  static Result<Decoder> open(const std::string& path, int channel) {
    Decoder d;
    d.path = path;
    d.file.reset(sf_open(path.c_str(), SFM_READ, &d.info));
    if (!d.file) {
      const std::string why = sf_strerror(nullptr);
      const bool missing = why.find("No such file") != std::string::npos ||
                           why.find("ystem error") != std::string::npos;
      return Error{missing ? Code::kIo : Code::kCorrupt, "audio: " + path + ": " + why};
    }
    if (d.info.channels < 1 || d.info.channels > 64 || d.info.samplerate < 1000 || d.info.samplerate > 384000)
      return Error{Code::kCorrupt, "audio: " + path + ": implausible header (" + std::to_string(d.info.channels) +
                                       " channels, " + std::to_string(d.info.samplerate) + " Hz)"};
    if (d.info.frames < 0 || d.info.frames > kMaxFileFrames)
      return Error{Code::kCorrupt, "audio: " + path + ": implausible length " + std::to_string(d.info.frames)};
    if (channel >= d.info.channels)
      return Error{Code::kBadInput, "audio: " + path + ": channel " + std::to_string(channel) + " requested, file has " +
                                        std::to_string(d.info.channels)};
    d.header_truncated = log_says_truncated(d.file.get());
    auto rs = Resampler::create(d.info.samplerate, kSampleRateHz, d.info.channels, channel);
    if (!rs) return rs.error().with_context("audio: " + path);
    d.resampler = std::move(*rs);
    d.chunk.resize(static_cast<size_t>(kReadChunkFrames) * d.info.channels);
    return d;
  }

  // Decodes the next chunk and appends 16 kHz samples to out.
  // @return false at the end of the data.
  Result<bool> decode_some(std::vector<float>& out) {
    const sf_count_t got = sf_readf_float(file.get(), chunk.data(), kReadChunkFrames);
    if (got < 0 || sf_error(file.get()) != SF_ERR_NO_ERROR)
      return Error{Code::kCorrupt, "audio: " + path + ": decode error at frame " + std::to_string(frames_read) + ": " +
                                       sf_strerror(file.get())};
    if (got == 0) {
      // libsndfile shortens info.frames to the data present when it sees the
      // truncation itself, so only the other case has a useful header count.
      if (header_truncated)
        return Error{Code::kCorrupt, "audio: " + path + ": truncated: data ends at frame " +
                                         std::to_string(frames_read) + ", before the length its header states"};
      if (frames_read < info.frames)
        return Error{Code::kCorrupt, "audio: " + path + ": truncated: data ends at frame " +
                                         std::to_string(frames_read) + ", header says " + std::to_string(info.frames)};
      return false;
    }
    frames_read += got;
    resampler->process(std::span<const float>(chunk.data(), static_cast<size_t>(got) * info.channels), out);
    return true;
  }

  Result<void> rewind() {
    if (sf_seek(file.get(), 0, SEEK_SET) < 0)
      return Error{Code::kIo, "audio: " + path + ": cannot seek to start: " + sf_strerror(file.get())};
    frames_read = 0;
    resampler->reset();
    return {};
  }
};

class FileSource final : public AudioSource {
 public:
  FileSource(Decoder d, const FileSourceOptions& opt) : dec_(std::move(d)), opt_(opt) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.state = SourceState::kRunning;
    status_.device = dec_.path;
    status_.native_rate_hz = dec_.info.samplerate;
    status_.native_channels = dec_.info.channels;
  }

  Result<ReadResult> read_frame(std::span<float> out, std::chrono::milliseconds) override {
    while (pending_.size() - pos_ < static_cast<size_t>(kFrameSamples)) {
      if (ended_) return ReadResult::kEnd;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos_));
      pos_ = 0;
      auto more = dec_.decode_some(pending_);
      if (!more) {
        set_error(more.error().message);
        return more.error();
      }
      if (!*more) {
        if (opt_.loop && dec_.frames_read > 0) {
          HEARTH_TRY(dec_.rewind());
          continue;
        }
        // Pad the last partial frame with zeros so no audio is lost.
        if (pending_.size() > pos_) {
          pending_.resize(pos_ + kFrameSamples, 0.f);
        } else {
          ended_ = true;
          std::lock_guard<std::mutex> lock(mu_);
          status_.state = SourceState::kEnded;
          return ReadResult::kEnd;
        }
      }
    }
    if (opt_.realtime) pace();
    std::copy(pending_.begin() + static_cast<std::ptrdiff_t>(pos_),
              pending_.begin() + static_cast<std::ptrdiff_t>(pos_ + kFrameSamples), out.begin());
    pos_ += kFrameSamples;
    ++n_frames_;
    return ReadResult::kFrame;
  }

  SourceStatus status() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  // Sleeps until this frame's due time (10 ms per frame from the first one).
  void pace() {
    const auto now = std::chrono::steady_clock::now();
    if (n_frames_ == 0) start_ = now;
    const auto due = start_ + std::chrono::microseconds(n_frames_ * 10000);
    if (due > now) std::this_thread::sleep_until(due);
  }
  void set_error(const std::string& msg) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_error = msg;
  }

  Decoder dec_;
  FileSourceOptions opt_;
  std::vector<float> pending_;
  size_t pos_ = 0;
  bool ended_ = false;
  int64_t n_frames_ = 0;
  std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  SourceStatus status_;
};

class MemorySource final : public AudioSource {
 public:
  explicit MemorySource(std::vector<float> s) : samples_(std::move(s)) {
    status_.state = SourceState::kRunning;
    status_.device = "memory";
    status_.native_rate_hz = kSampleRateHz;
    status_.native_channels = 1;
  }
  Result<ReadResult> read_frame(std::span<float> out, std::chrono::milliseconds) override {
    if (pos_ >= samples_.size()) {
      std::lock_guard<std::mutex> lock(mu_);
      status_.state = SourceState::kEnded;
      return ReadResult::kEnd;
    }
    for (size_t i = 0; i < static_cast<size_t>(kFrameSamples); ++i)
      out[i] = pos_ + i < samples_.size() ? samples_[pos_ + i] : 0.f;
    pos_ += kFrameSamples;
    return ReadResult::kFrame;
  }
  SourceStatus status() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  std::vector<float> samples_;
  size_t pos_ = 0;
  mutable std::mutex mu_;
  SourceStatus status_;
};

}  // namespace

Result<std::vector<float>> read_audio_file(const std::string& path, int channel, AudioFileInfo* info) {
  auto dec = Decoder::open(path, channel);
  if (!dec) return dec.error();
  if (info) {
    info->sample_rate_hz = dec->info.samplerate;
    info->n_channels = dec->info.channels;
    info->n_frames = dec->info.frames;
    info->format = format_name(dec->info.format);
  }
  std::vector<float> out;
  out.reserve(static_cast<size_t>(static_cast<double>(dec->info.frames) * kSampleRateHz / dec->info.samplerate) + 64);
  for (;;) {
    auto more = dec->decode_some(out);
    if (!more) return more.error();
    if (!*more) break;
  }
  // Flush the filter with zeros, then drop its group delay so the result is
  // time-aligned with the file.
  const double delay = dec->resampler->delay_samples();
  const size_t want = static_cast<size_t>(
      std::llround(static_cast<double>(dec->frames_read) * kSampleRateHz / dec->info.samplerate));
  const size_t skip = static_cast<size_t>(std::llround(delay));
  if (skip > 0) {
    std::vector<float> zeros(static_cast<size_t>(dec->info.channels) * 256, 0.f);
    while (out.size() < want + skip) dec->resampler->process(zeros, out);
    out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(skip));
  }
  out.resize(want);
  return out;
}

Result<void> write_wav(const std::string& path, std::span<const float> samples, int sample_rate_hz) {
  if (sample_rate_hz < 1000 || sample_rate_hz > 384000)
    return Error{Code::kBadInput, "audio: write_wav " + path + ": bad rate " + std::to_string(sample_rate_hz)};
  SF_INFO info{};
  info.samplerate = sample_rate_hz;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SndfilePtr f(sf_open(path.c_str(), SFM_WRITE, &info));
  if (!f) return Error{Code::kIo, "audio: cannot write " + path + ": " + sf_strerror(nullptr)};
  // Clip instead of wrapping: libsndfile's float→int conversion is told to clip.
  sf_command(f.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const sf_count_t n = static_cast<sf_count_t>(samples.size());
  if (sf_writef_float(f.get(), samples.data(), n) != n)
    return Error{Code::kIo, "audio: writing " + path + ": " + sf_strerror(f.get())};
  if (sf_close(f.release()) != 0) return Error{Code::kIo, "audio: closing " + path};
  return {};
}

Result<std::unique_ptr<AudioSource>> open_file_source(const std::string& path, const FileSourceOptions& opt) {
  auto dec = Decoder::open(path, opt.channel);
  if (!dec) return dec.error();
  return std::unique_ptr<AudioSource>(new FileSource(std::move(*dec), opt));
}

std::unique_ptr<AudioSource> make_memory_source(std::vector<float> samples) {
  return std::make_unique<MemorySource>(std::move(samples));
}

std::string_view source_state_name(SourceState s) {
  switch (s) {
    case SourceState::kStarting: return "starting";
    case SourceState::kRunning: return "running";
    case SourceState::kReopening: return "reopening";
    case SourceState::kEnded: return "ended";
    case SourceState::kStopped: return "stopped";
  }
  return "unknown";
}

}  // namespace hearth
