// Model loading, the multi-word streaming detector and offline scoring.
#include "hearth/wakeword/detector.h"

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

#include "kws_model.h"
#include "log_mel.h"

namespace hearth {
namespace {

using wakeword::KwsModel;
using wakeword::KwsStream;
using wakeword::LogMel;

constexpr size_t kMaxModelBytes = 16u << 20;  // a wake-word model is tens of kB

bool same_features(const WakeFeatureSettings& a, const WakeFeatureSettings& b) {
  return a.sample_rate_hz == b.sample_rate_hz && a.n_mels == b.n_mels && a.window_samples == b.window_samples &&
         a.hop_samples == b.hop_samples && a.n_fft == b.n_fft && a.f_min_hz == b.f_min_hz && a.f_max_hz == b.f_max_hz;
}

// Moving average of the last n posteriors (fewer at stream start), taking
// logits and returning the logit of the average. Each posterior is kept with
// its complement (1 - p) in double, so an average within 1e-8 of 1 still has
// an exact logit: log(sum p / sum (1 - p)). n <= 50: the sums are redone per
// frame rather than updated, which would cancel the small complements away.
class Smoother {
 public:
  explicit Smoother(int n) : p_(std::max(1, n), 0.0), q_(std::max(1, n), 1.0) {}
  float push(float logit) {
    const double z = logit;
    p_[pos_] = 1.0 / (1.0 + std::exp(-z));
    q_[pos_] = 1.0 / (1.0 + std::exp(z));
    pos_ = (pos_ + 1) % p_.size();
    filled_ = std::min(filled_ + 1, p_.size());
    double sp = 0, sq = 0;
    for (size_t i = 0; i < filled_; ++i) {
      sp += p_[i];
      sq += q_[i];
    }
    return static_cast<float>(std::log(sp) - std::log(sq));
  }
  void reset() {
    std::fill(p_.begin(), p_.end(), 0.0);
    std::fill(q_.begin(), q_.end(), 1.0);
    pos_ = filled_ = 0;
  }

 private:
  std::vector<double> p_, q_;
  size_t pos_ = 0, filled_ = 0;
};

class NeuralWakeDetector final : public WakeWordDetector {
 public:
  struct Word {
    std::string keyword;
    double threshold;  // logit
    KwsStream stream;
    Smoother smooth;
    int64_t quiet_until = 0;  // frame index before which this word cannot fire
    int start_frames;
  };

  NeuralWakeDetector(const WakeFeatureSettings& fs, std::vector<Word> words, const WakeDetectorOptions& o)
      : mel_(fs), words_(std::move(words)), refractory_frames_(std::max(0, o.refractory_ms / 10)), frame_(fs.n_mels) {}

  int window_samples() const override { return mel_.hop_samples(); }

  std::optional<WakeEvent> accept(std::span<const float> pcm) override {
    std::optional<WakeEvent> first;
    const int hop = mel_.hop_samples();
    // defensive: the contract says multiples of window_samples(); a tail is buffered
    size_t i = 0;
    if (!pending_.empty()) {
      while (i < pcm.size() && pending_.size() < static_cast<size_t>(hop)) pending_.push_back(pcm[i++]);
      if (pending_.size() == static_cast<size_t>(hop)) {
        run_frame(pending_.data(), first);
        pending_.clear();
      }
    }
    for (; i + hop <= pcm.size(); i += hop) run_frame(pcm.data() + i, first);
    for (; i < pcm.size(); ++i) pending_.push_back(pcm[i]);
    return first;
  }

  void reset() override {
    mel_.reset();
    pending_.clear();
    n_frames_ = 0;
    for (Word& w : words_) {
      w.stream.reset();
      w.smooth.reset();
      w.quiet_until = 0;
    }
  }

 private:
  void run_frame(const float* hop, std::optional<WakeEvent>& first) {
    mel_.push(hop, frame_.data());
    const int64_t t = n_frames_++;
    for (Word& w : words_) {
      const float s = w.smooth.push(w.stream.step(frame_.data()));
      if (t < w.quiet_until || s < w.threshold) continue;
      w.quiet_until = t + refractory_frames_;
      if (first) continue;  // one event per call; the other word's refractory still starts
      WakeEvent e;
      e.keyword = w.keyword;
      e.logit = s;
      e.score = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(s))));
      e.end_offset = std::chrono::milliseconds((t + 1) * 10);
      e.start_offset = std::chrono::milliseconds(std::max<int64_t>(0, (t + 1 - w.start_frames) * 10));
      first = std::move(e);
    }
  }

  LogMel mel_;
  std::vector<Word> words_;
  int refractory_frames_;
  std::vector<float> frame_;
  std::vector<float> pending_;
  int64_t n_frames_ = 0;
};

}  // namespace

Result<std::shared_ptr<const WakeModel>> load_wake_model_from_memory(std::span<const uint8_t> bytes,
                                                                     const std::string& name) {
  if (bytes.size() > kMaxModelBytes)
    return Error{Code::kTooLarge, name + ": " + std::to_string(bytes.size()) + " bytes is too large for a wake-word model"};
  auto f = wakeword::parse_gguf(std::vector<uint8_t>(bytes.begin(), bytes.end()), name);
  if (!f) return f.error();
  auto m = KwsModel::from_gguf(*f, name);
  if (!m) return m.error();
  const WakeFeatureSettings def;
  if (!same_features((*m)->features(), def))
    return Error{Code::kUnsupported, name + ": feature settings differ from this build's front end "
                                            "(16 kHz, 40 mels, 400/160/512, 20-7600 Hz)"};
  return std::shared_ptr<const WakeModel>(*m);
}

Result<std::shared_ptr<const WakeModel>> load_wake_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Code::kNotFound, "wakeword: cannot open model '" + path + "'"};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return Error{Code::kIo, "wakeword: cannot read '" + path + "'"};
  if (static_cast<size_t>(size) > kMaxModelBytes)
    return Error{Code::kTooLarge, "wakeword: '" + path + "' is " + std::to_string(size) + " bytes, too large for a wake-word model"};
  in.seekg(0);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    return Error{Code::kIo, "wakeword: reading '" + path + "' failed"};
  return load_wake_model_from_memory(bytes, path);
}

std::string builtin_wake_model_path(const std::string& keyword) {
  const char* env = std::getenv("HEARTH_WAKEWORD_DIR");
  const std::string dir = env && *env ? env : HEARTH_WAKEWORD_ASSETS_DIR;
  return dir + "/" + keyword + ".gguf";
}

double effective_threshold_logit(const WakeWordSpec& spec) {
  if (spec.threshold > 0.f) return std::log(spec.threshold / (1.0 - spec.threshold));
  const double z0 = spec.model ? spec.model->default_threshold_logit() : 0.0;
  const double s = std::clamp(spec.sensitivity, 0.f, 1.f);
  // p = p0^(2 s): 0.5 -> p0; 1 -> p0^2 (easier); 0 -> 1 (never fires).
  // In log space: -log p = 2 s * log(1 + e^-z0), and logit p = log p - log(1 - p).
  const double a = 2.0 * s * std::log1p(std::exp(-z0));
  if (a <= 0.0) return std::numeric_limits<double>::infinity();
  const double z = -a - std::log(-std::expm1(-a));
  return std::max(z, std::log(1e-4 / (1.0 - 1e-4)));  // never below p = 1e-4
}

float effective_threshold(const WakeWordSpec& spec) {
  return static_cast<float>(1.0 / (1.0 + std::exp(-effective_threshold_logit(spec))));
}

Result<std::unique_ptr<WakeWordDetector>> make_wake_detector(std::vector<WakeWordSpec> words,
                                                             const WakeDetectorOptions& options) {
  if (words.empty()) return Error{Code::kBadInput, "wakeword: no wake words configured"};
  if (options.refractory_ms < 0 || options.refractory_ms > 60000)
    return Error{Code::kBadInput, "wakeword: refractory_ms must be in [0, 60000]"};
  if (options.smoothing_frames < 1 || options.smoothing_frames > 50)
    return Error{Code::kBadInput, "wakeword: smoothing_frames must be in [1, 50]"};
  std::vector<NeuralWakeDetector::Word> ws;
  for (size_t i = 0; i < words.size(); ++i) {
    const WakeWordSpec& w = words[i];
    const std::string where = "wakeword: word " + std::to_string(i);
    if (!w.model) return Error{Code::kBadInput, where + ": no model"};
    if (!(w.sensitivity >= 0.f && w.sensitivity <= 1.f))
      return Error{Code::kBadInput, where + ": sensitivity must be in [0, 1], got " + std::to_string(w.sensitivity)};
    if (!(w.threshold >= 0.f && w.threshold < 1.f))
      return Error{Code::kBadInput, where + ": threshold must be in (0, 1) (or 0 for the model's), got " + std::to_string(w.threshold)};
    if (!same_features(w.model->features(), words[0].model->features()))
      return Error{Code::kBadInput, where + ": model feature settings differ from word 0's"};
    auto km = std::dynamic_pointer_cast<const KwsModel>(w.model);
    if (!km) return Error{Code::kBadInput, where + ": not a hearth-kws model"};
    ws.push_back(NeuralWakeDetector::Word{w.keyword.empty() ? w.model->keyword() : w.keyword, effective_threshold_logit(w),
                                          KwsStream(km), Smoother(options.smoothing_frames), 0,
                                          std::min(km->receptive_field_frames(), 100)});
  }
  return std::unique_ptr<WakeWordDetector>(
      std::make_unique<NeuralWakeDetector>(words[0].model->features(), std::move(ws), options));
}

std::vector<float> wake_scores(const WakeModel& model, std::span<const float> pcm, int smoothing_frames) {
  const auto* km = dynamic_cast<const KwsModel*>(&model);
  if (!km) return {};
  // KwsStream wants shared ownership; the caller keeps the model alive for this call
  KwsStream stream(std::shared_ptr<const KwsModel>(std::shared_ptr<const KwsModel>(), km));
  LogMel mel(model.features());
  Smoother sm(smoothing_frames);
  const int hop = mel.hop_samples();
  std::vector<float> frame(mel.n_mels());
  std::vector<float> out(pcm.size() / hop);
  for (size_t i = 0; i < out.size(); ++i) {
    mel.push(pcm.data() + i * hop, frame.data());
    out[i] = sm.push(stream.step(frame.data()));
  }
  return out;
}

}  // namespace hearth
