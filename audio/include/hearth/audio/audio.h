// audio/audio.h: Hearth's audio front end, everything between the microphone
// (or a file) and the wake-word detector. The daemon owns one AudioPipeline;
// wakeword/ and asr/ receive its 10 ms frames through a FrameSink. Tools and
// tests use the pieces directly (Resampler, FileSource, Stft, SpeechFrontEnd).
//
//   source (PortAudio capture | libsndfile file) → Resampler → 16 kHz mono
//     → SpeechFrontEnd: STFT → noise PSD (MCRA-2) → MMSE-LSA gain → VAD
//     → FrameSink(AudioFrame{raw, clean, speech})
//
// Every sample crossing this API is 16 kHz mono float in [-1, 1], in frames
// of kFrameSamples (10 ms) unless stated otherwise. Third-party types
// (PaStream, SNDFILE, fftwf_plan) never appear here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/audio/ring.h"
#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"

namespace hearth {

// ---------------------------------------------------------------- resampling

// Streaming rational resampler (polyphase, Kaiser-windowed sinc) from any
// input rate to any output rate, with channel selection or a mix.
// Anti-aliasing: passband flat to 0.9 × min(in, out)/2 (ripple < 0.01 dB),
// stopband from min(in, out)/2, attenuation ≥ 90 dB. Equal rates with one
// channel copy samples unchanged (no filter, no delay).
// Not thread-safe: one owner thread.
class Resampler {
 public:
  // @param in_rate_hz, out_rate_hz  1000 .. 384000
  // @param n_channels  interleaved channels in the input (1 .. 64)
  // @param channel     which channel to keep, or -1 to average all channels
  static Result<std::unique_ptr<Resampler>> create(int in_rate_hz, int out_rate_hz, int n_channels,
                                                   int channel = -1);
  ~Resampler();

  // Consumes interleaved input (a whole number of sample frames) and appends
  // every output sample now computable to `out`.
  void process(std::span<const float> interleaved, std::vector<float>& out);
  // Group delay in output samples (0 for the pass-through case).
  double delay_samples() const;
  // Forgets history (as if newly created).
  void reset();

 private:
  struct Impl;
  explicit Resampler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// -------------------------------------------------------------------- files

struct AudioFileInfo {
  int sample_rate_hz = 0;  // native rate of the file
  int n_channels = 0;      // interleaved channels in the file
  int64_t n_frames = 0;    // sample frames per channel, as the header states
  std::string format;      // "WAV", "FLAC", "OGG", ...
};

// Reads a whole WAV/FLAC/OGG (anything libsndfile reads) and converts it to
// 16 kHz mono (channel -1 = mix). A file whose data ends before its header
// says, or that libsndfile cannot decode, is a kCorrupt error naming the file.
// @return samples at kSampleRateHz, delay-compensated (same length and time
//         alignment as the original, resampled).
Result<std::vector<float>> read_audio_file(const std::string& path, int channel = -1,
                                           AudioFileInfo* info = nullptr);

// Writes 16-bit PCM WAV (mono, given rate). Samples are clipped to [-1, 1].
Result<void> write_wav(const std::string& path, std::span<const float> samples,
                       int sample_rate_hz = kSampleRateHz);

// ----------------------------------------------------------------- sources

enum class SourceState {
  kStarting,    // not yet opened
  kRunning,     // delivering frames
  kReopening,   // device failed or vanished; retrying with backoff
  kEnded,       // file source reached the end (and does not loop)
  kStopped,     // closed by the owner
};
std::string_view source_state_name(SourceState s);

struct SourceStatus {
  SourceState state = SourceState::kStarting;
  std::string device;           // device or file name in use
  int native_rate_hz = 0;       // rate before resampling
  int native_channels = 0;      // channels before mixing/selection
  uint64_t overrun_samples = 0; // native-rate sample frames dropped because the ring was full
  uint64_t overrun_events = 0;  // callbacks that dropped samples
  uint64_t reopen_count = 0;    // successful reopens after a failure
  std::string last_error;       // why the source is not running now, "" while it runs
};

enum class ReadResult { kFrame, kNoData, kEnd };

// A producer of 16 kHz mono 10 ms frames. read_frame() and the destructor are
// called from one thread (the DSP thread); status() from any thread.
class AudioSource {
 public:
  virtual ~AudioSource() = default;
  // Fills `out` (exactly kFrameSamples) with the next frame.
  // @return kFrame; kNoData when no frame arrived within `timeout` (device
  //         stalled or reopening: the source recovers by itself); kEnd when a
  //         file source is exhausted. Errors only for unrecoverable input.
  virtual Result<ReadResult> read_frame(std::span<float> out, std::chrono::milliseconds timeout) = 0;
  virtual SourceStatus status() const = 0;
};

struct FileSourceOptions {
  int channel = -1;       // channel to keep, -1 = mix
  bool loop = false;      // restart at the end instead of reporting kEnd
  bool realtime = false;  // pace frames at 1x (replay as if it were a microphone)
};
// Streams a file (decoded and resampled incrementally, not loaded at once).
Result<std::unique_ptr<AudioSource>> open_file_source(const std::string& path,
                                                      const FileSourceOptions& opt = {});

// Frames from memory (16 kHz mono); for tests and tools.
std::unique_ptr<AudioSource> make_memory_source(std::vector<float> samples);

struct CaptureDeviceInfo {
  int index = -1;             // PortAudio device index (valid until devices change)
  std::string name;           // PortAudio device name, e.g. "default", "hw:CARD=PCH,DEV=0"
  std::string host_api;       // "ALSA", "JACK", ...
  int max_input_channels = 0;
  double default_rate_hz = 0;
  bool is_default = false;    // the host's default input
};
// Devices with at least one input channel. Safe to call while a capture
// source is running (it reuses the same PortAudio session).
Result<std::vector<CaptureDeviceInfo>> list_capture_devices();

struct CaptureConfig {
  std::string device;        // "" = default input; else exact name, then substring, or "#<index>"
  int channel = -1;          // -1 = mix all channels, else 0-based channel
  int rate_hz = 0;           // 0 = device's default rate
  int ring_ms = 500;         // SPSC ring between callback and DSP thread
  int stall_timeout_ms = 2000;  // no samples for this long → device considered gone
  int reopen_min_ms = 250;   // first reopen delay; doubles each failure
  int reopen_max_ms = 8000;  // cap of the backoff
  void validate(ConfigErrors& out, std::string_view path = "$.audio.capture") const;
  std::string to_string() const;
};
// Opens PortAudio capture. The PortAudio callback only copies into a SpscRing
// (no allocation, locks or logging); read_frame() resamples on the caller's
// thread. A failure to open is not an error here: the source starts in
// kReopening and retries with backoff (so the daemon runs without a mic).
// Errors only for an invalid config; PortAudio initialization failures are
// retried like a missing device and show in status().last_error.
Result<std::unique_ptr<AudioSource>> open_capture_source(const CaptureConfig& cfg);

// ---------------------------------------------------------------------- STFT

// Short-time Fourier transform with sqrt-periodic-Hann analysis and synthesis
// windows, kStftWindow samples long, hop kFrameSamples (2/3 overlap; the
// squared window sums to 1.5, folded into the synthesis scale), so
// synthesis(analysis(x)) == x delayed by kStftLatency samples (perfect
// reconstruction up to float rounding). FFTW plans are made once in create().
inline constexpr int kStftWindow = 480;                       // 30 ms
inline constexpr int kStftBins = kStftWindow / 2 + 1;         // 241, 33.3 Hz apart
inline constexpr int kStftLatency = kStftWindow - kFrameSamples;  // 320 samples = 20 ms

class Stft {
 public:
  static Result<std::unique_ptr<Stft>> create();
  ~Stft();
  // Pushes one hop (kFrameSamples) and writes the spectrum of the latest
  // window: re/im have kStftBins entries each.
  void analyze(std::span<const float> hop, std::span<float> re, std::span<float> im);
  // Inverse-transforms one spectrum, overlap-adds, and writes the completed
  // hop (kFrameSamples samples).
  void synthesize(std::span<const float> re, std::span<const float> im, std::span<float> hop);
  void reset();

 private:
  struct Impl;
  explicit Stft(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ------------------------------------------------- noise suppression and VAD

struct NsConfig {
  bool enabled = true;    // false = exact pass-through (delayed by kStftLatency)
  float strength = 0.6f;  // 0..1: maximum attenuation = 6 + 24·strength dB (default 20.4 dB)
  void validate(ConfigErrors& out, std::string_view path = "$.audio.ns") const;
  std::string to_string() const;
  // Gain floor (linear) implied by strength.
  float gain_floor() const;
};

struct VadConfig {
  bool enabled = true;         // false = every frame reported as speech = false
  float threshold = 1.5f;      // mean log-likelihood ratio (Sohn) that starts speech
  int min_speech_ms = 60;      // time above threshold before speech starts (rejects clicks)
  int hangover_ms = 250;       // speech continues this long after the score drops
  void validate(ConfigErrors& out, std::string_view path = "$.audio.vad") const;
  std::string to_string() const;
};

struct FrameInfo {
  bool speech = false;       // VAD decision (after hangover) for this output frame
  float vad_score = 0.f;     // mean log-likelihood ratio over 150..5000 Hz
  float level_dbfs = -120.f; // input level of the analysed window, dBFS (RMS)
  float noise_dbfs = -120.f; // estimated noise level, dBFS (RMS over the band)
};

// STFT-domain noise suppressor + VAD on the same spectra.
// Noise PSD: MCRA-2 (Rangachari & Loizou 2006): continuous minimum tracking,
// per-bin speech-presence probability, presence-controlled recursive
// averaging; follows non-stationary noise within about a second.
// Gain: MMSE log-spectral amplitude (Ephraim & Malah 1985) with
// decision-directed a-priori SNR (α = 0.98) and a gain floor from strength.
// VAD: Sohn's likelihood-ratio test on the same a-priori/a-posteriori SNRs,
// with onset (min_speech_ms) and hangover.
// Output frames are the input delayed by latency_samples(); with NS disabled
// (config or set_ns_enabled(false)) the output is the delayed input,
// bit-identical. One owner thread.
class SpeechFrontEnd {
 public:
  static Result<std::unique_ptr<SpeechFrontEnd>> create(const NsConfig& ns, const VadConfig& vad);
  ~SpeechFrontEnd();
  // @param in  kFrameSamples input samples
  // @param out kFrameSamples output samples (may not alias in)
  FrameInfo process(std::span<const float> in, std::span<float> out);
  int latency_samples() const { return kStftLatency; }
  // The input frame aligned with the last output (input delayed by
  // latency_samples(), exact). Valid until the next process().
  std::span<const float> delayed_input() const;
  // Switches the suppressor on/off without resetting its state (exact
  // pass-through while off; the noise tracker keeps running for the VAD).
  void set_ns_enabled(bool on);
  void reset();

 private:
  struct Impl;
  explicit SpeechFrontEnd(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Whole-signal helpers for tools and tests: run a fresh front end over a
// 16 kHz signal; the output is latency-compensated (same length, aligned).
Result<std::vector<float>> denoise_signal(std::span<const float> in, const NsConfig& ns,
                                          std::vector<FrameInfo>* frames = nullptr,
                                          const VadConfig& vad = {});

// ------------------------------------------------ automatic gain control

// Gain normalization after NS, toward a target speech level. Gated by the
// VAD: the speech level estimate and any gain increase happen only in frames
// the VAD marks as speech, so silence and noise are never pumped up (the
// gain is held between utterances). The gain rises slowly (kAgcRiseDbPerS)
// and falls fast (kAgcFallDbPerS); a peak limiter lowers it at once when a
// frame would clip. Gain changes are ramped across the frame. Disabled, the
// output is the input, bit-identical.
inline constexpr float kAgcRiseDbPerS = 10.f;   // slow: ~2 s to add 20 dB
inline constexpr float kAgcFallDbPerS = 100.f;  // fast: 20 dB in 0.2 s
inline constexpr float kAgcPeakLimit = 0.95f;   // output peak the limiter keeps (linear)

struct AgcConfig {
  bool enabled = false;
  float target_dbfs = -23.f;  // speech RMS to reach, dBFS (-40 .. -6)
  float max_gain_db = 24.f;   // most amplification, dB (0 .. 40); attenuation down to -max_gain_db
  void validate(ConfigErrors& out, std::string_view path = "$.audio.agc") const;
  std::string to_string() const;
};

class Agc {
 public:
  explicit Agc(const AgcConfig& cfg);
  // @param in      kFrameSamples (the NS output)
  // @param speech  the VAD decision for this frame
  // @param out     kFrameSamples; may alias `in`
  void process(std::span<const float> in, bool speech, std::span<float> out);
  // Current gain in dB (0 when disabled).
  float gain_db() const { return cfg_.enabled ? gain_db_ : 0.f; }
  // Estimated speech level (dBFS) the gain is aiming from; -120 before any speech.
  float speech_level_dbfs() const;
  void reset();

 private:
  AgcConfig cfg_;
  float gain_db_ = 0.f;       // gain reached at the end of the last frame
  double speech_power_ = 0;   // smoothed mean-square of speech frames (0 = none yet)
};

// ------------------------------------------------------------ the pipeline

struct AudioConfig {
  std::string source = "capture";  // "capture" | "file" | "none"
  CaptureConfig capture;           // used iff source == "capture"
  std::string file;                // used iff source == "file"
  bool file_loop = false;          // replay the file forever
  bool file_realtime = true;       // pace the file at 1x
  NsConfig ns;
  VadConfig vad;
  AgcConfig agc;
  void validate(ConfigErrors& out, std::string_view path = "$.audio") const;
  std::string to_string() const;
};

// Parses the "audio" object of the daemon config (JSON text of that object):
//   {"source": "capture" | "file" | "none",
//    "capture": {"device", "channel", "rate_hz", "ring_ms", "stall_timeout_ms",
//                "reopen_min_ms", "reopen_max_ms"},
//    "file": "path" (relative to base_dir), "file_loop": bool, "file_realtime": bool,
//    "ns":  {"enabled": bool, "strength": 0..1},
//    "vad": {"enabled": bool, "threshold", "min_speech_ms", "hangover_ms"},
//    "agc": {"enabled": bool, "target_dbfs", "max_gain_db"}}
// Every key optional; unknown keys and wrong types go to `errors` under `path`.
// Does not validate ranges (call validate()).
void parse_audio_config(std::string_view json_text, const std::string& base_dir, AudioConfig* out,
                        ConfigErrors& errors, std::string_view path = "$.audio");

// What the wake-word detector / recognizer get every 10 ms. Spans are valid
// only during the FrameSink call. Per consumer: `raw` (no processing),
// `clean` (NS) or `agc` (NS + AGC).
struct AudioFrame {
  int64_t index = 0;                // frame number since start (10 ms each)
  std::span<const float> clean;     // suppressed signal (== raw when NS is off)
  std::span<const float> raw;       // input, delayed to align with `clean` (exact copy)
  std::span<const float> agc;       // `clean` after AGC (== clean, bit-exact, when AGC is off)
  FrameInfo info;
  float agc_gain_db = 0.f;          // gain the AGC applied at the end of this frame
};
// Runs on the pipeline's DSP thread; must not block for long (hand heavy work
// to another thread). NS per consumer: pick `clean` or `raw`.
using FrameSink = std::function<void(const AudioFrame&)>;

struct AudioMetrics {
  SourceStatus source;              // device / file, state, overruns, reopens, last error
  uint64_t frames = 0;              // frames processed
  double audio_seconds = 0;         // audio processed
  double frames_per_second = 0;     // measured rate over the last second of wall time (≈100)
  double cpu_ms_per_audio_s = 0;    // DSP-thread CPU time per second of audio, last ~1 s of audio
  float noise_dbfs = -120.f;        // current noise estimate
  float level_dbfs = -120.f;        // current input level
  bool speech = false;              // current VAD decision
  uint64_t speech_frames = 0;       // frames flagged speech since start
  bool agc_enabled = false;         // AGC on (config audio.agc.enabled)
  float agc_gain_db = 0.f;          // current AGC gain
};

// The always-on loop: one DSP thread pulls frames from the source, runs the
// SpeechFrontEnd and calls the sink. start()/stop()/metrics() are safe from
// any thread; stop() joins. The sink runs on the DSP thread.
class AudioPipeline {
 public:
  // Opens the source described by cfg ("none" → no thread, metrics only).
  static Result<std::unique_ptr<AudioPipeline>> create(const AudioConfig& cfg, FrameSink sink);
  // Same with a caller-provided source (tests, satellite streams).
  static Result<std::unique_ptr<AudioPipeline>> create(const AudioConfig& cfg, FrameSink sink,
                                                       std::unique_ptr<AudioSource> source);
  ~AudioPipeline();  // stops
  Result<void> start();
  void stop();
  // Switches NS at runtime (raw stays available either way).
  void set_ns_enabled(bool on);
  AudioMetrics metrics() const;
  // True once a file source has ended (the thread exits by itself).
  bool finished() const;

 private:
  struct Impl;
  explicit AudioPipeline(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth
