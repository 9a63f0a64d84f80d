// PortAudio capture source and device listing (see audio.h).
//
// Threads: PortAudio's callback thread only copies interleaved native-rate
// samples into a SpscRing and bumps atomic counters. Everything else (open,
// close, reopen with backoff, resampling, logging) runs on the thread that
// calls read_frame(), the pipeline's DSP thread.
#include <portaudio.h>
#if HEARTH_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif
#if HEARTH_HAVE_JACK
#include <jack/jack.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <thread>

#include "hearth/audio/audio.h"
#include "hearth/common/log.h"

namespace hearth {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(2);

// Pa_Initialize/Pa_Terminate are reference counted by PortAudio itself but
// are not thread-safe; every PortAudio call outside the callback holds this.
std::mutex& pa_mutex() {
  static std::mutex mu;
  return mu;
}

// PortAudio's host libraries print to stderr whenever Pa_Initialize probes
// them: about 65 lines from ALSA and 10 from JACK on a machine without a
// sound card. Capture re-initializes on every reopen attempt, so without this
// a daemon with no microphone floods its log forever. Their messages go to our
// debug log instead (`--log-level debug` to see them).
#if HEARTH_HAVE_ALSA
void on_alsa_message(const char* file, int line, const char* function, int err, const char* fmt, ...) {
  if (static_cast<int>(LogLevel::kDebug) < static_cast<int>(log_level())) return;
  char text[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(text, sizeof(text), fmt, args);
  va_end(args);
  HEARTH_LOG_DEBUG("audio", "alsa %s:%d (%s): %s%s%s", file ? file : "?", line, function ? function : "?", text,
                   err != 0 ? ": " : "", err != 0 ? snd_strerror(err) : "");
}
#endif
#if HEARTH_HAVE_JACK
void on_jack_message(const char* msg) { HEARTH_LOG_DEBUG("audio", "jack: %s", msg ? msg : ""); }
#endif

// Caller holds pa_mutex(); before the first Pa_Initialize.
void route_host_library_messages_locked() {
  static bool done = false;
  if (done) return;
  done = true;
#if HEARTH_HAVE_ALSA
  snd_lib_error_set_handler(&on_alsa_message);
#endif
#if HEARTH_HAVE_JACK
  jack_set_error_function(&on_jack_message);
  jack_set_info_function(&on_jack_message);
#endif
}

std::string pa_error_text(PaError err) {
  std::string s = Pa_GetErrorText(err);
  if (err == paUnanticipatedHostError) {
    const PaHostErrorInfo* host = Pa_GetLastHostErrorInfo();
    if (host && host->errorText) s += std::string(" (") + host->errorText + ")";
  }
  return s;
}

// Caller holds pa_mutex() and has initialized PortAudio.
std::vector<CaptureDeviceInfo> enumerate_locked() {
  std::vector<CaptureDeviceInfo> out;
  const int n = Pa_GetDeviceCount();
  const PaDeviceIndex def = Pa_GetDefaultInputDevice();
  for (int i = 0; i < n; ++i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    if (!d || d->maxInputChannels < 1) continue;
    CaptureDeviceInfo info;
    info.index = i;
    info.name = d->name ? d->name : "";
    const PaHostApiInfo* api = Pa_GetHostApiInfo(d->hostApi);
    info.host_api = api && api->name ? api->name : "";
    info.max_input_channels = d->maxInputChannels;
    info.default_rate_hz = d->defaultSampleRate;
    info.is_default = i == def;
    out.push_back(std::move(info));
  }
  return out;
}

// "" → default input; "#N" → index N; exact name; then first substring match.
Result<CaptureDeviceInfo> find_device_locked(const std::string& want) {
  const auto devices = enumerate_locked();
  if (devices.empty()) return Error{Code::kNotFound, "no capture devices"};
  if (want.empty()) {
    for (const auto& d : devices)
      if (d.is_default) return d;
    return Error{Code::kNotFound, "no default capture device"};
  }
  if (want.size() > 1 && want[0] == '#') {
    const int idx = std::atoi(want.c_str() + 1);
    for (const auto& d : devices)
      if (d.index == idx) return d;
  }
  for (const auto& d : devices)
    if (d.name == want) return d;
  for (const auto& d : devices)
    if (d.name.find(want) != std::string::npos) return d;
  std::string names;
  for (const auto& d : devices) names += (names.empty() ? "" : ", ") + ("'" + d.name + "'");
  return Error{Code::kNotFound, "capture device '" + want + "' not found (have: " + names + ")"};
}

class PortAudioCapture final : public AudioSource {
 public:
  explicit PortAudioCapture(const CaptureConfig& cfg) : cfg_(cfg) {
    status_.device = cfg.device.empty() ? "default" : cfg.device;
    backoff_ = std::chrono::milliseconds(cfg.reopen_min_ms);
  }

  ~PortAudioCapture() override {
    close_stream();
    std::lock_guard<std::mutex> lock(status_mu_);
    status_.state = SourceState::kStopped;
  }

  Result<ReadResult> read_frame(std::span<float> out, std::chrono::milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (!stream_) {
        const auto now = Clock::now();
        if (now >= next_open_) {
          try_open();
          if (stream_) continue;
        }
        const auto wake = std::min(deadline, next_open_);
        if (wake > now) std::this_thread::sleep_until(wake);
        if (Clock::now() >= deadline) return ReadResult::kNoData;
        continue;
      }
      if (pending_.size() - pos_ >= static_cast<size_t>(kFrameSamples)) {
        std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(pos_), kFrameSamples, out.begin());
        pos_ += kFrameSamples;
        if (pos_ > 4096) {
          pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos_));
          pos_ = 0;
        }
        return ReadResult::kFrame;
      }
      const size_t got = ring_->read(scratch_);
      const auto now = Clock::now();
      if (got > 0) {
        last_data_ = now;
        resampler_->process(std::span<const float>(scratch_.data(), got - got % channels_), pending_);
        continue;
      }
      sync_counters();
      if (Pa_IsStreamActive(stream_) != 1 ||
          now - last_data_ > std::chrono::milliseconds(cfg_.stall_timeout_ms)) {
        fail(Pa_IsStreamActive(stream_) != 1 ? "stream stopped by the host" : "no samples for " +
                                                   std::to_string(cfg_.stall_timeout_ms) + " ms");
        continue;
      }
      if (now >= deadline) return ReadResult::kNoData;
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  SourceStatus status() const override {
    std::lock_guard<std::mutex> lock(status_mu_);
    SourceStatus s = status_;
    s.overrun_samples = overrun_samples_.load(std::memory_order_relaxed);
    s.overrun_events = overrun_events_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  // Samples arrive as interleaved S16 (see open_locked for why not float) and
  // are converted here, in fixed stack chunks: no allocation. Only whole
  // sample frames go into the ring, so channels never shift after an overrun.
  static int on_audio(const void* input, void*, unsigned long n_frames, const PaStreamCallbackTimeInfo*,
                      PaStreamCallbackFlags flags, void* user) noexcept {
    auto* self = static_cast<PortAudioCapture*>(user);
    if (input) {
      const size_t ch = static_cast<size_t>(self->channels_);
      const size_t fit = std::min<size_t>(n_frames, self->ring_->writable() / ch);
      const auto* in = static_cast<const int16_t*>(input);
      constexpr size_t kChunk = 1024;
      float buf[kChunk];
      const size_t total = fit * ch;
      for (size_t done = 0; done < total;) {
        const size_t m = std::min(kChunk - kChunk % ch, total - done);
        for (size_t i = 0; i < m; ++i) buf[i] = static_cast<float>(in[done + i]) * (1.0f / 32768.0f);
        self->ring_->write(std::span<const float>(buf, m));
        done += m;
      }
      if (fit < n_frames) {
        self->overrun_samples_.fetch_add(n_frames - fit, std::memory_order_relaxed);
        self->overrun_events_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (flags & paInputOverflow) self->overrun_events_.fetch_add(1, std::memory_order_relaxed);
    return paContinue;
  }

  void try_open() {
    std::string err;
    {
      std::lock_guard<std::mutex> lock(pa_mutex());
      // A fresh PortAudio session per attempt: the host re-enumerates devices,
      // so a device that came back (or a changed .asoundrc) is seen.
      route_host_library_messages_locked();
      PaError e = Pa_Initialize();
      if (e != paNoError) {
        err = "Pa_Initialize: " + pa_error_text(e);
      } else {
        err = open_locked();
        if (!err.empty()) Pa_Terminate();
      }
    }
    if (err.empty()) {
      const bool was_reopen = ever_opened_;
      ever_opened_ = true;
      backoff_ = std::chrono::milliseconds(cfg_.reopen_min_ms);
      last_data_ = Clock::now();
      std::lock_guard<std::mutex> lock(status_mu_);
      status_.state = SourceState::kRunning;
      // The failure is over: /health must not show a running device with the
      // reason it was gone (the log keeps it; reopen_count counts it).
      status_.last_error.clear();
      if (was_reopen) ++status_.reopen_count;
      HEARTH_LOG_INFO("audio", "capture: opened '%s' (%d Hz, %d ch)%s", status_.device.c_str(),
                      status_.native_rate_hz, status_.native_channels, was_reopen ? " after reopen" : "");
      return;
    }
    // Warn when the reason is new; the same failure again (every backoff
    // step, for as long as there is no microphone) goes to the debug log.
    // status() always has the current reason.
    bool same_reason;
    {
      std::lock_guard<std::mutex> lock(status_mu_);
      same_reason = status_.state == SourceState::kReopening && status_.last_error == err;
    }
    if (same_reason) {
      HEARTH_LOG_DEBUG("audio", "capture: cannot open '%s': %s; retrying in %lld ms",
                       cfg_.device.empty() ? "default" : cfg_.device.c_str(), err.c_str(),
                       static_cast<long long>(backoff_.count()));
    } else {
      HEARTH_LOG_WARN("audio", "capture: cannot open '%s': %s; retrying with backoff up to %d ms",
                      cfg_.device.empty() ? "default" : cfg_.device.c_str(), err.c_str(), cfg_.reopen_max_ms);
    }
    next_open_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(cfg_.reopen_max_ms));
    std::lock_guard<std::mutex> lock(status_mu_);
    status_.state = SourceState::kReopening;
    status_.last_error = err;
  }

  // Caller holds pa_mutex(). Returns "" on success, else the reason.
  std::string open_locked() {
    auto dev = find_device_locked(cfg_.device);
    if (!dev) return dev.error().message;
    // Mix: the first two channels. Select: at least that channel, and at least
    // two when the device has them (some ALSA plug routes return silence when
    // a stereo source is asked for one channel).
    const int channels = std::max(cfg_.channel + 1, std::min(dev->max_input_channels, 2));
    if (channels > dev->max_input_channels)
      return "channel " + std::to_string(cfg_.channel) + " requested, '" + dev->name + "' has " +
             std::to_string(dev->max_input_channels);
    const int rate = cfg_.rate_hz > 0 ? cfg_.rate_hz : static_cast<int>(dev->default_rate_hz + 0.5);
    auto rs = Resampler::create(rate, kSampleRateHz, channels, cfg_.channel);
    if (!rs) return rs.error().message;
    PaStreamParameters in{};
    in.device = dev->index;
    in.channelCount = channels;
    // S16, not float: it is what microphones deliver, so ALSA's plug layer
    // passes samples through instead of inserting a conversion plugin, and
    // PortAudio's own converter is skipped too. (With float, alsa-lib's
    // conversion plugin begins an mmap area on its slave larger than it then
    // commits; over the `file` plugin, which fills the whole begun area from
    // its infile, the difference is lost: about 1/5 of the samples went
    // missing in the file-backed test while arecord, which reads S16 with
    // readi, got them all.) 16 bits are 96 dB of range, plenty for speech.
    in.sampleFormat = paInt16;
    in.suggestedLatency = Pa_GetDeviceInfo(dev->index)->defaultHighInputLatency;
    PaError e = Pa_IsFormatSupported(&in, nullptr, rate);
    if (e != paFormatIsSupported) return "'" + dev->name + "' at " + std::to_string(rate) + " Hz: " + pa_error_text(e);
    // Everything the callback touches exists before the stream starts.
    channels_ = channels;
    const size_t cap = static_cast<size_t>(cfg_.ring_ms) * static_cast<size_t>(rate) / 1000 * channels;
    ring_ = std::make_unique<SpscRing>(cap);
    scratch_.assign(ring_->capacity(), 0.f);
    resampler_ = std::move(*rs);
    pending_.clear();
    pos_ = 0;
    PaStream* stream = nullptr;
    e = Pa_OpenStream(&stream, &in, nullptr, rate, paFramesPerBufferUnspecified, paNoFlag, &on_audio, this);
    if (e != paNoError) return "Pa_OpenStream '" + dev->name + "': " + pa_error_text(e);
    e = Pa_StartStream(stream);
    if (e != paNoError) {
      Pa_CloseStream(stream);
      return "Pa_StartStream '" + dev->name + "': " + pa_error_text(e);
    }
    stream_ = stream;
    std::lock_guard<std::mutex> lock(status_mu_);
    status_.device = dev->name;
    status_.native_rate_hz = rate;
    status_.native_channels = channels;
    return "";
  }

  void close_stream() noexcept {
    if (!stream_) return;
    std::lock_guard<std::mutex> lock(pa_mutex());
    Pa_AbortStream(stream_);
    Pa_CloseStream(stream_);
    stream_ = nullptr;
    Pa_Terminate();
  }

  void fail(const std::string& why) {
    HEARTH_LOG_WARN("audio", "capture '%s': %s; reopening", status_.device.c_str(), why.c_str());
    {
      // Reported before closing: closing a device whose driver is stuck can
      // take a while, and /health should say so meanwhile.
      std::lock_guard<std::mutex> lock(status_mu_);
      status_.state = SourceState::kReopening;
      status_.last_error = why;
    }
    close_stream();
    next_open_ = Clock::now() + backoff_;
  }

  // Rate-limited overrun warning (the counters are always exact).
  void sync_counters() {
    const uint64_t ev = overrun_events_.load(std::memory_order_relaxed);
    if (ev != logged_overruns_) {
      HEARTH_LOG_WARN("audio", "capture '%s': %llu overruns so far (DSP thread too slow or stalled)",
                      status_.device.c_str(), static_cast<unsigned long long>(ev));
      logged_overruns_ = ev;
    }
  }

  CaptureConfig cfg_;
  PaStream* stream_ = nullptr;
  int channels_ = 1;
  std::unique_ptr<SpscRing> ring_;
  std::unique_ptr<Resampler> resampler_;
  std::vector<float> scratch_, pending_;
  size_t pos_ = 0;
  bool ever_opened_ = false;
  Clock::time_point next_open_{};
  Clock::time_point last_data_{};
  std::chrono::milliseconds backoff_{250};
  uint64_t logged_overruns_ = 0;
  std::atomic<uint64_t> overrun_samples_{0};
  std::atomic<uint64_t> overrun_events_{0};
  mutable std::mutex status_mu_;
  SourceStatus status_;
};

}  // namespace

Result<std::vector<CaptureDeviceInfo>> list_capture_devices() {
  std::lock_guard<std::mutex> lock(pa_mutex());
  route_host_library_messages_locked();
  PaError e = Pa_Initialize();
  if (e != paNoError) return Error{Code::kUnavailable, "audio: Pa_Initialize: " + pa_error_text(e)};
  auto devices = enumerate_locked();
  Pa_Terminate();
  return devices;
}

Result<std::unique_ptr<AudioSource>> open_capture_source(const CaptureConfig& cfg) {
  ConfigErrors errors;
  cfg.validate(errors);
  if (!errors.empty()) return Error{Code::kBadInput, "audio capture: " + errors.to_string()};
  return std::unique_ptr<AudioSource>(new PortAudioCapture(cfg));
}

}  // namespace hearth
