// AudioPipeline: the always-on loop (see audio.h).
#include <time.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "hearth/audio/audio.h"
#include "hearth/common/log.h"

namespace hearth {
namespace {

constexpr auto kReadTimeout = std::chrono::milliseconds(100);  // bounds stop() latency
constexpr int kMetricsWindowFrames = 100;                      // 1 s of audio

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

struct AudioPipeline::Impl {
  AudioConfig cfg;
  FrameSink sink;
  std::unique_ptr<AudioSource> source;
  std::unique_ptr<SpeechFrontEnd> front_end;
  std::unique_ptr<Agc> agc;
  std::thread thread;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> finished{false};
  std::atomic<int> ns_request{-1};  // -1 none, 0 off, 1 on: applied on the DSP thread

  mutable std::mutex mu;  // guards metrics
  AudioMetrics metrics;

  void run() {
    std::vector<float> in(kFrameSamples), out(kFrameSamples), agc_out(kFrameSamples);
    int64_t index = 0;
    uint64_t speech_frames = 0;
    double window_cpu0 = thread_cpu_seconds();
    auto window_wall0 = std::chrono::steady_clock::now();
    int window_frames = 0;
    while (!stop_requested.load(std::memory_order_relaxed)) {
      const int req = ns_request.exchange(-1);
      if (req >= 0) front_end->set_ns_enabled(req == 1);
      auto r = source->read_frame(in, kReadTimeout);
      if (!r) {
        HEARTH_LOG_ERROR("audio", "pipeline: source failed: %s", r.error().message.c_str());
        break;
      }
      if (*r == ReadResult::kEnd) break;
      if (*r == ReadResult::kNoData) continue;
      const FrameInfo info = front_end->process(in, out);
      agc->process(out, info.speech, agc_out);
      AudioFrame frame;
      frame.index = index++;
      frame.clean = out;
      frame.raw = front_end->delayed_input();
      frame.agc = agc_out;
      frame.info = info;
      frame.agc_gain_db = agc->gain_db();
      if (sink) sink(frame);
      if (info.speech) ++speech_frames;
      ++window_frames;
      std::lock_guard<std::mutex> lock(mu);
      metrics.frames = static_cast<uint64_t>(index);
      metrics.audio_seconds = static_cast<double>(index) * kFrameSamples / kSampleRateHz;
      metrics.noise_dbfs = info.noise_dbfs;
      metrics.level_dbfs = info.level_dbfs;
      metrics.speech = info.speech;
      metrics.speech_frames = speech_frames;
      metrics.agc_gain_db = frame.agc_gain_db;
      if (window_frames >= kMetricsWindowFrames) {
        const double cpu = thread_cpu_seconds();
        const auto wall = std::chrono::steady_clock::now();
        const double audio_s = static_cast<double>(window_frames) * kFrameSamples / kSampleRateHz;
        const double wall_s = std::chrono::duration<double>(wall - window_wall0).count();
        metrics.cpu_ms_per_audio_s = 1000.0 * (cpu - window_cpu0) / audio_s;
        metrics.frames_per_second = wall_s > 0 ? window_frames / wall_s : 0;
        window_cpu0 = cpu;
        window_wall0 = wall;
        window_frames = 0;
      }
    }
    finished.store(true);
  }
};

AudioPipeline::AudioPipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioPipeline::~AudioPipeline() { stop(); }

Result<std::unique_ptr<AudioPipeline>> AudioPipeline::create(const AudioConfig& cfg, FrameSink sink) {
  std::unique_ptr<AudioSource> source;
  if (cfg.source == "capture") {
    auto s = open_capture_source(cfg.capture);
    if (!s) return s.error();
    source = std::move(*s);
  } else if (cfg.source == "file") {
    FileSourceOptions opt;
    opt.loop = cfg.file_loop;
    opt.realtime = cfg.file_realtime;
    auto s = open_file_source(cfg.file, opt);
    if (!s) return s.error().with_context("audio.file");
    source = std::move(*s);
  }
  return create(cfg, std::move(sink), std::move(source));
}

Result<std::unique_ptr<AudioPipeline>> AudioPipeline::create(const AudioConfig& cfg, FrameSink sink,
                                                             std::unique_ptr<AudioSource> source) {
  ConfigErrors errors;
  cfg.validate(errors);
  if (!errors.empty()) return Error{Code::kBadInput, errors.to_string()};
  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  impl->sink = std::move(sink);
  impl->source = std::move(source);
  auto fe = SpeechFrontEnd::create(cfg.ns, cfg.vad);
  if (!fe) return fe.error();
  impl->front_end = std::move(*fe);
  impl->agc = std::make_unique<Agc>(cfg.agc);
  impl->metrics.agc_enabled = cfg.agc.enabled;
  if (impl->source) impl->metrics.source = impl->source->status();
  return std::unique_ptr<AudioPipeline>(new AudioPipeline(std::move(impl)));
}

Result<void> AudioPipeline::start() {
  Impl& s = *impl_;
  if (!s.source) return {};  // source "none": nothing to run
  if (s.thread.joinable()) return Error{Code::kConflict, "audio pipeline: already started"};
  s.stop_requested.store(false);
  s.finished.store(false);
  try {
    s.thread = std::thread([&s] { s.run(); });
  } catch (const std::system_error& e) {
    return Error{Code::kInternal, std::string("audio pipeline: cannot start DSP thread: ") + e.what()};
  }
  return {};
}

void AudioPipeline::stop() {
  Impl& s = *impl_;
  s.stop_requested.store(true);
  if (s.thread.joinable()) s.thread.join();
}

void AudioPipeline::set_ns_enabled(bool on) { impl_->ns_request.store(on ? 1 : 0); }

AudioMetrics AudioPipeline::metrics() const {
  const Impl& s = *impl_;
  AudioMetrics m;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    m = s.metrics;
  }
  if (s.source) m.source = s.source->status();
  return m;
}

bool AudioPipeline::finished() const { return impl_->finished.load(); }

}  // namespace hearth
