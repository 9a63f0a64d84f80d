// Private: the streaming log-mel front end of hearth-kws models, the C++ twin
// of tools/wakeword/features.py (which documents the definition). One call
// per 160-sample hop yields one 40-band frame. FFTW plans stay in log_mel.cc.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "hearth/wakeword/detector.h"

namespace hearth::wakeword {

class LogMel {
 public:
  // Settings must be the ones features.py implements (checked by the model
  // loader); the filterbank is built from them.
  explicit LogMel(const WakeFeatureSettings& s = {});
  ~LogMel();
  LogMel(const LogMel&) = delete;
  LogMel& operator=(const LogMel&) = delete;

  int hop_samples() const { return s_.hop_samples; }
  int n_mels() const { return s_.n_mels; }
  // Consumes exactly hop_samples() samples and writes n_mels() log-mel values.
  void push(const float* hop, float* out);
  void reset();
  // Offline: all frames of `pcm` ([n_frames][n_mels], n_frames = size / hop).
  std::vector<float> compute(std::span<const float> pcm);

 private:
  WakeFeatureSettings s_;
  std::vector<float> window_;      // periodic Hann
  std::vector<float> history_;     // last window_samples input samples
  std::vector<int> band_lo_;       // first FFT bin of each mel band
  std::vector<std::vector<float>> band_w_;  // weights from band_lo_
  struct Fft;
  std::unique_ptr<Fft> fft_;
};

}  // namespace hearth::wakeword
