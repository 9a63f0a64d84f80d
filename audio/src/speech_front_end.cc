// SpeechFrontEnd: STFT noise suppression (MCRA-2 noise PSD + MMSE-LSA gain
// with decision-directed a-priori SNR) and a likelihood-ratio VAD on the same
// spectra. See audio.h for the contract.
//
// Per frame l and bin k, with P = |Y|²:
//   noise PSD, MCRA-2 (Rangachari & Loizou, Speech Communication 2006):
//     S    = η·S + (1−η)·P                                  smoothed power
//     Smin = S                                    if Smin ≥ S
//          = γ·Smin + (1−γ)/(1−β)·(S − β·S_prev)  else      continuous minimum
//     I    = S/Smin > δ(k)                                  speech present?
//     p    = αp·p + (1−αp)·I                                presence probability
//     αs   = αd + (1−αd)·p;   D = αs·D + (1−αs)·P           noise PSD
//   gain, MMSE-LSA (Ephraim & Malah 1985):
//     γ = P/D;  ξ = max(α·Â²_prev/D + (1−α)·max(γ−1, 0), ξmin)   decision-directed
//     v = ξγ/(1+ξ);  G = ξ/(1+ξ)·exp(½·E1(v));  G = clamp(G, Gfloor, 1)
//   VAD (Sohn, Kim & Sung 1999): mean over 150..5000 Hz of
//     Λ_k = γξ/(1+ξ) − ln(1+ξ)
#include <algorithm>
#include <cmath>

#include "hearth/audio/audio.h"

namespace hearth {
namespace {

constexpr float kEta = 0.7f;            // MCRA-2 power smoothing
constexpr float kGammaMin = 0.998f;     // minimum-tracking rise
constexpr float kBetaMin = 0.96f;       // minimum-tracking look-ahead
constexpr float kAlphaP = 0.2f;         // presence-probability smoothing
constexpr float kAlphaD = 0.85f;        // noise smoothing when absent
constexpr float kAlphaDd = 0.98f;       // decision-directed weight
constexpr float kXiMin = 0.00316f;      // −25 dB a-priori SNR floor
constexpr float kMaxNoiseStep = 2.5f;  // per-frame cap on P relative to D in the update
constexpr int kInitFrames = 10;         // frames averaged to seed the noise PSD
constexpr float kPowerFloor = 1e-12f;   // keeps ratios finite in digital silence
constexpr float kVadLowHz = 150.f, kVadHighHz = 5000.f;

// E1(x) = ∫_x^∞ e^−t/t dt: power series for x ≤ 1, continued fraction above
// (Numerical Recipes §6.3).
double expint_e1(double x) {
  constexpr double kEuler = 0.5772156649015329;
  if (x <= 1.0) {
    double sum = 0.0, term = 1.0;
    for (int k = 1; k < 100; ++k) {
      term *= -x / k;
      const double add = -term / k;
      sum += add;
      if (std::fabs(add) < 1e-16 * std::fabs(sum)) break;
    }
    return -kEuler - std::log(x) + sum;
  }
  double b = x + 1.0, c = 1e300, d = 1.0 / b, h = d;
  for (int i = 1; i < 200; ++i) {
    const double an = -static_cast<double>(i) * i;
    b += 2.0;
    d = 1.0 / (an * d + b);
    c = b + an / c;
    const double del = c * d;
    h *= del;
    if (std::fabs(del - 1.0) < 1e-15) break;
  }
  return h * std::exp(-x);
}

// exp(½·E1(v)) on a log-spaced grid; linear interpolation in log v.
class LsaTable {
 public:
  static constexpr int kSize = 1024;
  static constexpr double kLogMin = -11.5, kLogMax = 4.0;  // v in [1e-5, 54.6]
  LsaTable() {
    for (int i = 0; i < kSize; ++i) {
      const double lv = kLogMin + (kLogMax - kLogMin) * i / (kSize - 1);
      table_[i] = static_cast<float>(std::exp(0.5 * expint_e1(std::exp(lv))));
    }
  }
  float operator()(float v) const {
    if (v >= 54.f) return 1.f;  // exp(½·E1(54)) − 1 < 1e-25
    if (v <= 1e-5f) return static_cast<float>(std::exp(0.5 * expint_e1(std::max(v, 1e-30f))));
    const double pos = (std::log(static_cast<double>(v)) - kLogMin) / (kLogMax - kLogMin) * (kSize - 1);
    const int i = std::min(static_cast<int>(pos), kSize - 2);
    const float f = static_cast<float>(pos - i);
    return table_[i] + f * (table_[i + 1] - table_[i]);
  }

 private:
  float table_[kSize];
};

const LsaTable& lsa_table() {
  static const LsaTable table;
  return table;
}

float power_to_dbfs(double mean_square) { return static_cast<float>(10.0 * std::log10(mean_square + 1e-12)); }

}  // namespace

float NsConfig::gain_floor() const {
  const float att_db = 6.f + 24.f * std::clamp(strength, 0.f, 1.f);
  return std::pow(10.f, -att_db / 20.f);
}

struct SpeechFrontEnd::Impl {
  NsConfig ns;
  VadConfig vad;
  bool ns_on = true;
  std::unique_ptr<Stft> stft;
  const LsaTable* lsa = nullptr;
  std::vector<float> re, im, power;
  std::vector<float> s, s_prev, s_min, presence, noise, prev_clean_pow, delta;
  std::vector<float> delay_line;  // last kStftWindow input samples
  std::vector<float> raw_out;     // input frame aligned with the output
  int64_t n_frames = 0;
  int vad_lo = 0, vad_hi = 0;
  int onset_frames = 1, hang_frames = 0, above = 0, hang_left = 0;
  bool speech = false;
  bool synth_primed = false;      // OLA holds consistent history
  int bypass_refill = 0;          // frames synthesized since leaving bypass

  void reset() {
    stft->reset();
    for (auto* v : {&s, &s_prev, &s_min, &presence, &noise, &prev_clean_pow}) std::fill(v->begin(), v->end(), 0.f);
    std::fill(delay_line.begin(), delay_line.end(), 0.f);
    std::fill(raw_out.begin(), raw_out.end(), 0.f);
    n_frames = 0;
    above = hang_left = 0;
    speech = false;
    synth_primed = true;
  }

  // Sum of |x·w|² over the window from a one-sided power spectrum (Parseval),
  // divided by Σw² = N/2: the mean square of the windowed input.
  static double mean_square(const std::vector<float>& p) {
    double e = p[0] + p[kStftBins - 1];
    for (int k = 1; k < kStftBins - 1; ++k) e += 2.0 * p[k];
    return e / kStftWindow / (0.5 * kStftWindow);
  }

  void track_noise() {
    if (n_frames < kInitFrames) {
      const float w = 1.f / static_cast<float>(n_frames + 1);
      for (int k = 0; k < kStftBins; ++k) {
        noise[k] = n_frames == 0 ? power[k] : noise[k] + w * (power[k] - noise[k]);
        s[k] = s_prev[k] = s_min[k] = noise[k];
      }
      return;
    }
    for (int k = 0; k < kStftBins; ++k) {
      // Smoothing across 3 bins (IMCRA's b = [¼ ½ ¼]) steadies the presence test.
      const float pf = 0.5f * power[k] + 0.25f * (power[k > 0 ? k - 1 : k + 1] +
                                                  power[k + 1 < kStftBins ? k + 1 : k - 1]);
      const float p = power[k];
      s_prev[k] = s[k];
      s[k] = kEta * s[k] + (1.f - kEta) * pf;
      if (s_min[k] < s[k])
        s_min[k] = kGammaMin * s_min[k] + (1.f - kGammaMin) / (1.f - kBetaMin) * (s[k] - kBetaMin * s_prev[k]);
      else
        s_min[k] = s[k];
      const float ratio = s[k] / std::max(s_min[k], kPowerFloor);
      const float present = ratio > delta[k] ? 1.f : 0.f;
      presence[k] = kAlphaP * presence[k] + (1.f - kAlphaP) * present;
      const float as = kAlphaD + (1.f - kAlphaD) * presence[k];
      // Power far above the current estimate is speech leaking through a
      // missed presence decision: cap what one frame may add.
      noise[k] = as * noise[k] + (1.f - as) * std::min(p, kMaxNoiseStep * noise[k]);
    }
  }

  FrameInfo process(std::span<const float> in, std::span<float> out) {
    // Delay line for the exact pass-through and the aligned raw frame.
    std::copy(delay_line.begin() + kFrameSamples, delay_line.end(), delay_line.begin());
    std::copy(in.begin(), in.begin() + kFrameSamples, delay_line.end() - kFrameSamples);
    std::copy(delay_line.begin(), delay_line.begin() + kFrameSamples, raw_out.begin());

    stft->analyze(in, re, im);
    for (int k = 0; k < kStftBins; ++k) power[k] = re[k] * re[k] + im[k] * im[k];
    track_noise();
    ++n_frames;

    FrameInfo info;
    info.level_dbfs = power_to_dbfs(mean_square(power));
    info.noise_dbfs = power_to_dbfs(mean_square(noise));

    // A-priori SNR (decision-directed), gain, VAD likelihood ratio.
    const float floor_gain = ns.gain_floor();
    double llr_sum = 0.0;
    for (int k = 0; k < kStftBins; ++k) {
      const float d = std::max(noise[k], kPowerFloor);
      const float gamma = std::min(power[k] / d, 1e4f);
      const float xi = std::max(kAlphaDd * prev_clean_pow[k] / d + (1.f - kAlphaDd) * std::max(gamma - 1.f, 0.f),
                                kXiMin);
      const float r = xi / (1.f + xi);
      const float v = r * gamma;
      if (k >= vad_lo && k <= vad_hi) llr_sum += v - std::log1p(xi);
      float g = r * (*lsa)(v);
      g = std::clamp(g, floor_gain, 1.f);
      prev_clean_pow[k] = g * g * power[k];
      re[k] *= g;
      im[k] *= g;
    }
    info.vad_score = static_cast<float>(llr_sum / (vad_hi - vad_lo + 1));

    if (vad.enabled) {
      if (info.vad_score > vad.threshold) {
        if (++above >= onset_frames) {
          speech = true;
          hang_left = hang_frames;
        }
      } else {
        above = 0;
        if (speech && --hang_left < 0) speech = false;
      }
      info.speech = speech;
    }

    if (ns_on) stft->synthesize(re, im, out);
    if (ns_on && !synth_primed) {
      // Coming back from bypass: the overlap-add history is stale; keep
      // emitting the delayed input until the window has been refilled.
      if (++bypass_refill >= kStftWindow / kFrameSamples) synth_primed = true;
      std::copy(raw_out.begin(), raw_out.end(), out.begin());
    }
    if (!ns_on) std::copy(raw_out.begin(), raw_out.end(), out.begin());
    return info;
  }
};

SpeechFrontEnd::SpeechFrontEnd(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SpeechFrontEnd::~SpeechFrontEnd() = default;

Result<std::unique_ptr<SpeechFrontEnd>> SpeechFrontEnd::create(const NsConfig& ns, const VadConfig& vad) {
  ConfigErrors errors;
  ns.validate(errors);
  vad.validate(errors);
  if (!errors.empty()) return Error{Code::kBadInput, "audio front end: " + errors.to_string()};
  auto impl = std::make_unique<Impl>();
  impl->ns = ns;
  impl->vad = vad;
  impl->ns_on = ns.enabled;
  auto stft = Stft::create();
  if (!stft) return stft.error();
  impl->stft = std::move(*stft);
  impl->lsa = &lsa_table();
  for (auto* v : {&impl->re, &impl->im, &impl->power, &impl->s, &impl->s_prev, &impl->s_min, &impl->presence,
                  &impl->noise, &impl->prev_clean_pow, &impl->delta})
    v->assign(kStftBins, 0.f);
  const float bin_hz = static_cast<float>(kSampleRateHz) / kStftWindow;
  for (int k = 0; k < kStftBins; ++k) impl->delta[k] = k * bin_hz <= 3000.f ? 2.f : 5.f;
  impl->delay_line.assign(kStftWindow, 0.f);
  impl->raw_out.assign(kFrameSamples, 0.f);
  impl->vad_lo = static_cast<int>(std::ceil(kVadLowHz / bin_hz));
  impl->vad_hi = static_cast<int>(std::floor(kVadHighHz / bin_hz));
  impl->onset_frames = std::max(1, vad.min_speech_ms / 10);
  impl->hang_frames = vad.hangover_ms / 10;
  impl->reset();
  return std::unique_ptr<SpeechFrontEnd>(new SpeechFrontEnd(std::move(impl)));
}

FrameInfo SpeechFrontEnd::process(std::span<const float> in, std::span<float> out) {
  return impl_->process(in, out);
}

std::span<const float> SpeechFrontEnd::delayed_input() const { return impl_->raw_out; }

void SpeechFrontEnd::set_ns_enabled(bool on) {
  if (on && !impl_->ns_on) {
    impl_->synth_primed = false;
    impl_->bypass_refill = 0;
  }
  impl_->ns_on = on;
}

void SpeechFrontEnd::reset() { impl_->reset(); }

Result<std::vector<float>> denoise_signal(std::span<const float> in, const NsConfig& ns,
                                          std::vector<FrameInfo>* frames, const VadConfig& vad) {
  auto fe = SpeechFrontEnd::create(ns, vad);
  if (!fe) return fe.error();
  const size_t n = in.size();
  const size_t total = n + kStftLatency;
  const size_t n_frames = (total + kFrameSamples - 1) / kFrameSamples;
  std::vector<float> out(n_frames * kFrameSamples);
  std::vector<float> frame(kFrameSamples);
  if (frames) frames->clear();
  for (size_t f = 0; f < n_frames; ++f) {
    for (size_t i = 0; i < static_cast<size_t>(kFrameSamples); ++i) {
      const size_t j = f * kFrameSamples + i;
      frame[i] = j < n ? in[j] : 0.f;
    }
    FrameInfo info = (*fe)->process(frame, std::span<float>(out).subspan(f * kFrameSamples, kFrameSamples));
    if (frames) frames->push_back(info);
  }
  out.erase(out.begin(), out.begin() + kStftLatency);
  out.resize(n);
  // Frame f's flags describe output frame f, i.e. input samples from
  // (f·160 − 320); shift them by the latency so index f is input frame f.
  if (frames) {
    const size_t shift = kStftLatency / kFrameSamples;
    frames->erase(frames->begin(), frames->begin() + static_cast<std::ptrdiff_t>(std::min(shift, frames->size())));
    frames->resize((n + kFrameSamples - 1) / kFrameSamples);
  }
  return out;
}

}  // namespace hearth
