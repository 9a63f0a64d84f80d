// Private: the hearth-kws architecture (tools/wakeword/train.py documents and
// trains it): normalized log-mel -> int8 -> 3-frame input conv -> N blocks of
// depthwise causal conv (k=3, dilation 2^i) + pointwise conv, all with folded
// batch-norm and ReLU -> linear head -> logit (the detector smooths the
// sigmoid of it and compares in logit space). Weights are int8 with one
// scale per output channel, activations int8 with one static scale per layer
// input, accumulation int32 (kernels/nn.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gguf_reader.h"
#include "hearth/wakeword/detector.h"

namespace hearth::wakeword {

struct KwsLayer {
  enum Kind { kIn, kDw, kPw, kOut } kind;
  int n_out = 0, n_in = 0;       // kDw: n_out = n_in = channels, 3 taps
  int dilation = 1;              // kDw only
  std::vector<int8_t> w;         // kIn/kPw/kOut: [n_out][n_in]; kDw: [3][channels]
  std::vector<float> mul;        // per output channel: weight scale * input activation scale
  std::vector<float> bias;       // per output channel (batch-norm folded)
  float inv_out_scale = 1.f;     // 1 / scale of the next layer's input (unused for kOut)
};

class KwsModel final : public WakeModel {
 public:
  const std::string& keyword() const override { return keyword_; }
  float default_threshold() const override;
  float default_threshold_logit() const override { return threshold_logit_; }
  const WakeFeatureSettings& features() const override { return features_; }
  int receptive_field_frames() const override;
  int n_params() const override { return n_params_; }
  std::string description() const override;

  int channels() const { return channels_; }
  int n_mels() const { return features_.n_mels; }
  const std::vector<float>& feat_mean() const { return mean_; }
  const std::vector<float>& feat_inv_std() const { return inv_std_; }
  float inv_input_scale() const { return inv_in_scale_; }
  const std::vector<KwsLayer>& layers() const { return layers_; }

  static Result<std::shared_ptr<const KwsModel>> from_gguf(const GgufFile& f, const std::string& name);

 private:
  std::string keyword_;
  float threshold_logit_ = 0.f;
  WakeFeatureSettings features_;
  int channels_ = 0;
  int n_params_ = 0;
  std::vector<float> mean_, inv_std_;
  float inv_in_scale_ = 1.f;
  std::vector<KwsLayer> layers_;
};

// Per-stream state of one model: the history each layer needs, so a frame
// costs one step of every layer.
class KwsStream {
 public:
  explicit KwsStream(std::shared_ptr<const KwsModel> model);
  // One log-mel frame (n_mels floats) -> the head's logit, clamped to
  // [-kMaxLogit, kMaxLogit] (the posterior is its sigmoid).
  float step(const float* log_mel);
  static constexpr float kMaxLogit = 60.f;
  void reset();
  const KwsModel& model() const { return *model_; }

 private:
  std::shared_ptr<const KwsModel> model_;
  std::vector<int8_t> in_hist_;                 // last 3 quantized input frames, oldest first
  std::vector<std::vector<int8_t>> dw_hist_;    // per dw layer: ring of 2*d+1 frames
  std::vector<int> dw_pos_;                     // ring write position
  std::vector<int32_t> acc_;
  std::vector<int8_t> a_, b_;
};

}  // namespace hearth::wakeword
