#include "kws_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hearth/kernels/nn.h"

namespace hearth::wakeword {
namespace {

constexpr int kMaxChannels = 512;
constexpr int kMaxBlocks = 12;
constexpr int kMaxMels = 128;

struct Loader {
  const GgufFile& f;
  const std::string& name;
  std::string err;

  bool fail(const std::string& m) {
    if (err.empty()) err = name + ": " + m;
    return false;
  }
  const GgufValue* key(const std::string& k, uint32_t type) {
    auto it = f.kv.find(k);
    if (it == f.kv.end()) { fail("missing metadata key '" + k + "'"); return nullptr; }
    if (it->second.type != type) {
      fail("metadata key '" + k + "' has type " + std::to_string(it->second.type) + ", expected " + std::to_string(type));
      return nullptr;
    }
    return &it->second;
  }
  bool u32(const std::string& k, int lo, int hi, int& out) {
    const GgufValue* v = key(k, kGgufU32);
    if (!v) return false;
    if (v->number < lo || v->number > hi)
      return fail("'" + k + "' = " + std::to_string(static_cast<long long>(v->number)) + " out of range [" +
                  std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out = static_cast<int>(v->number);
    return true;
  }
  bool f32(const std::string& k, double lo, double hi, float& out) {
    const GgufValue* v = key(k, kGgufF32);
    if (!v) return false;
    if (!(v->number >= lo && v->number <= hi))
      return fail("'" + k + "' = " + std::to_string(v->number) + " out of range");
    out = static_cast<float>(v->number);
    return true;
  }
  // Tensor with exactly the given ggml shape and type; returns its data.
  const uint8_t* tensor(const std::string& t, uint32_t type, std::vector<uint64_t> ne) {
    const GgufTensor* x = f.tensor(t);
    if (!x) { fail("missing tensor '" + t + "'"); return nullptr; }
    if (x->type != type) { fail("tensor '" + t + "': type " + std::to_string(x->type) + ", expected " + std::to_string(type)); return nullptr; }
    if (x->ne != ne) {
      auto show = [](const std::vector<uint64_t>& v) {
        std::string s = "[";
        for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
        return s + "]";
      };
      fail("tensor '" + t + "': shape " + show(x->ne) + ", expected " + show(ne));
      return nullptr;
    }
    return x->data;
  }
  bool floats(const std::string& t, size_t n, std::vector<float>& out, bool positive = false) {
    const uint8_t* d = tensor(t, kGgmlF32, {n});
    if (!d) return false;
    out.resize(n);
    std::memcpy(out.data(), d, n * sizeof(float));
    for (float v : out)
      if (!std::isfinite(v) || (positive && !(v > 0.f))) return fail("tensor '" + t + "': value " + std::to_string(v) + " not allowed");
    return true;
  }
};

}  // namespace

int KwsModel::receptive_field_frames() const {
  int rf = 3;
  for (const KwsLayer& l : layers_)
    if (l.kind == KwsLayer::kDw) rf += 2 * l.dilation;
  return rf;
}

std::string KwsModel::description() const {
  int blocks = 0;
  for (const KwsLayer& l : layers_) blocks += l.kind == KwsLayer::kDw;
  return "hearth-kws '" + keyword_ + "': " + std::to_string(blocks) + " blocks x " + std::to_string(channels_) +
         " ch, " + std::to_string(n_params_) + " params, receptive field " + std::to_string(receptive_field_frames() * 10) +
         " ms, threshold " + std::to_string(default_threshold()) + " (logit " + std::to_string(threshold_logit_) + ")";
}

float KwsModel::default_threshold() const {
  return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(threshold_logit_))));
}

Result<std::shared_ptr<const KwsModel>> KwsModel::from_gguf(const GgufFile& f, const std::string& name) {
  Loader L{f, name, {}};
  auto m = std::make_shared<KwsModel>();
  auto bad = [&]() { return Error{Code::kCorrupt, L.err}; };
  const GgufValue* arch = L.key("general.architecture", kGgufString);
  if (!arch) return bad();
  if (arch->str != "hearth-kws")
    return Error{Code::kBadInput, name + ": architecture '" + arch->str + "' is not a wake-word model (expected 'hearth-kws')"};
  const GgufValue* kw = L.key("hearth-kws.keyword", kGgufString);
  if (!kw) return bad();
  if (kw->str.empty() || kw->str.size() > 64) return Error{Code::kCorrupt, name + ": hearth-kws.keyword must be 1..64 bytes"};
  m->keyword_ = kw->str;
  // the threshold as a probability (every file), and optionally as a logit,
  // which can say 0.9999999 and above where a float32 probability cannot
  float thr_p = 0.5f;
  if (!L.f32("hearth-kws.threshold", 1e-6, 1.0 - 1e-9, thr_p)) return bad();
  m->threshold_logit_ = static_cast<float>(std::log(thr_p / (1.0 - thr_p)));
  if (f.kv.count("hearth-kws.threshold_logit") &&
      !L.f32("hearth-kws.threshold_logit", -KwsStream::kMaxLogit, KwsStream::kMaxLogit, m->threshold_logit_))
    return bad();
  WakeFeatureSettings& fs = m->features_;
  int n_blocks = 0, k_in = 0, k_dw = 0;
  if (!L.u32("hearth-kws.features.sample_rate", 16000, 16000, fs.sample_rate_hz) ||
      !L.u32("hearth-kws.features.n_mels", 1, kMaxMels, fs.n_mels) ||
      !L.u32("hearth-kws.features.window", 160, 2048, fs.window_samples) ||
      !L.u32("hearth-kws.features.hop", 160, 160, fs.hop_samples) ||
      !L.u32("hearth-kws.features.n_fft", 256, 4096, fs.n_fft) ||
      !L.f32("hearth-kws.features.f_min", 0.0, 7999.0, fs.f_min_hz) ||
      !L.f32("hearth-kws.features.f_max", 1.0, 8000.0, fs.f_max_hz) ||
      !L.u32("hearth-kws.channels", 1, kMaxChannels, m->channels_) ||
      !L.u32("hearth-kws.block_count", 0, kMaxBlocks, n_blocks) ||
      !L.u32("hearth-kws.input_kernel", 3, 3, k_in) || !L.u32("hearth-kws.dw_kernel", 3, 3, k_dw))
    return bad();
  if (fs.window_samples > fs.n_fft || fs.window_samples < fs.hop_samples)
    return Error{Code::kCorrupt, name + ": features: need hop <= window <= n_fft"};
  if (fs.f_min_hz >= fs.f_max_hz) return Error{Code::kCorrupt, name + ": features: f_min must be below f_max"};
  if (fs.n_fft & (fs.n_fft - 1)) return Error{Code::kCorrupt, name + ": features: n_fft must be a power of two"};
  const GgufValue* dil = L.key("hearth-kws.dilations", kGgufArray);
  const GgufValue* scales = L.key("hearth-kws.act_scales", kGgufArray);
  if (!dil || !scales) return bad();
  if (dil->elem_type != kGgufU32 || dil->numbers.size() != static_cast<size_t>(n_blocks))
    return Error{Code::kCorrupt, name + ": hearth-kws.dilations must be " + std::to_string(n_blocks) + " u32"};
  const size_t n_layers = 2 + 2 * static_cast<size_t>(n_blocks);
  if (scales->elem_type != kGgufF32 || scales->numbers.size() != n_layers)
    return Error{Code::kCorrupt, name + ": hearth-kws.act_scales must be " + std::to_string(n_layers) + " f32"};
  for (double s : scales->numbers)
    if (!(s > 1e-12 && s < 1e6)) return Error{Code::kCorrupt, name + ": hearth-kws.act_scales: value out of range"};
  for (double d : dil->numbers)
    if (d < 1 || d > 256) return Error{Code::kCorrupt, name + ": hearth-kws.dilations: value out of range [1, 256]"};

  const int C = m->channels_, M = fs.n_mels;
  if (!L.floats("feat.mean", M, m->mean_) || !L.floats("feat.inv_std", M, m->inv_std_, true)) return bad();
  m->inv_in_scale_ = static_cast<float>(1.0 / scales->numbers[0]);
  auto load_layer = [&](const std::string& pre, KwsLayer::Kind kind, int n_out, int n_in, int li, int d) -> bool {
    KwsLayer l;
    l.kind = kind;
    l.n_out = n_out;
    l.n_in = n_in;
    l.dilation = d;
    const uint64_t rows = kind == KwsLayer::kDw ? 3 : static_cast<uint64_t>(n_out);
    const uint64_t cols = kind == KwsLayer::kDw ? static_cast<uint64_t>(C) : static_cast<uint64_t>(n_in);
    const uint8_t* w = L.tensor(pre + ".weight", kGgmlI8, {cols, rows});
    if (!w) return false;
    l.w.assign(reinterpret_cast<const int8_t*>(w), reinterpret_cast<const int8_t*>(w) + rows * cols);
    for (int8_t v : l.w)
      if (v == -128) return L.fail("tensor '" + pre + ".weight': value -128 outside the symmetric int8 range");
    std::vector<float> ws;
    if (!L.floats(pre + ".scale", n_out, ws, true) || !L.floats(pre + ".bias", n_out, l.bias)) return false;
    l.mul.resize(n_out);
    const float in_scale = static_cast<float>(scales->numbers[li]);
    for (int o = 0; o < n_out; ++o) l.mul[o] = ws[o] * in_scale;
    if (kind != KwsLayer::kOut) l.inv_out_scale = static_cast<float>(1.0 / scales->numbers[li + 1]);
    m->n_params_ += static_cast<int>(rows * cols) + n_out;
    m->layers_.push_back(std::move(l));
    return true;
  };
  if (!load_layer("in", KwsLayer::kIn, C, 3 * M, 0, 1)) return bad();
  for (int b = 0; b < n_blocks; ++b) {
    const std::string pre = "blk." + std::to_string(b);
    if (!load_layer(pre + ".dw", KwsLayer::kDw, C, C, 1 + 2 * b, static_cast<int>(dil->numbers[b])) ||
        !load_layer(pre + ".pw", KwsLayer::kPw, C, C, 2 + 2 * b, 1))
      return bad();
  }
  if (!load_layer("out", KwsLayer::kOut, 1, C, static_cast<int>(n_layers) - 1, 1)) return bad();
  // every tensor in the file must be one we used (catches stale or mislabelled files)
  const size_t expected = 2 + 3 * (2 + 2 * static_cast<size_t>(n_blocks));
  if (f.tensors.size() != expected)
    return Error{Code::kCorrupt, name + ": " + std::to_string(f.tensors.size()) + " tensors, expected " + std::to_string(expected)};
  return std::shared_ptr<const KwsModel>(std::move(m));
}

KwsStream::KwsStream(std::shared_ptr<const KwsModel> model) : model_(std::move(model)) {
  const int C = model_->channels();
  in_hist_.assign(3 * model_->n_mels(), 0);
  for (const KwsLayer& l : model_->layers())
    if (l.kind == KwsLayer::kDw) {
      dw_hist_.emplace_back(static_cast<size_t>(2 * l.dilation + 1) * C, 0);
      dw_pos_.push_back(0);
    }
  acc_.resize(std::max(C, 1));
  a_.resize(C);
  b_.resize(C);
}

void KwsStream::reset() {
  std::fill(in_hist_.begin(), in_hist_.end(), 0);
  for (auto& h : dw_hist_) std::fill(h.begin(), h.end(), 0);
  std::fill(dw_pos_.begin(), dw_pos_.end(), 0);
}

float KwsStream::step(const float* log_mel) {
  const NnKernelTable& k = nn_kernels();
  const KwsModel& m = *model_;
  const int M = m.n_mels(), C = m.channels();
  // quantize the normalized frame into the newest slot of the input history
  std::memmove(in_hist_.data(), in_hist_.data() + M, 2 * M);
  int8_t* newest = in_hist_.data() + 2 * M;
  const float inv = m.inv_input_scale();
  for (int i = 0; i < M; ++i) {
    float q = std::nearbyint(((log_mel[i] - m.feat_mean()[i]) * m.feat_inv_std()[i]) * inv);
    newest[i] = static_cast<int8_t>(std::clamp(q, -127.f, 127.f));
  }
  int8_t* cur = a_.data();
  int8_t* nxt = b_.data();
  size_t dwi = 0;
  for (const KwsLayer& l : m.layers()) {
    switch (l.kind) {
      case KwsLayer::kIn:
        k.dense_i8(l.n_out, l.n_in, l.w.data(), in_hist_.data(), acc_.data());
        k.requant_i8(l.n_out, acc_.data(), l.mul.data(), l.bias.data(), true, l.inv_out_scale, cur);
        break;
      case KwsLayer::kDw: {
        std::vector<int8_t>& h = dw_hist_[dwi];
        const int len = 2 * l.dilation + 1;
        int& pos = dw_pos_[dwi];
        std::memcpy(h.data() + static_cast<size_t>(pos) * C, cur, C);
        // taps j = 0, 1, 2 read x[t - (2 - j) * d]
        const int8_t* taps[3];
        for (int j = 0; j < 3; ++j) {
          const int back = (2 - j) * l.dilation;
          taps[j] = h.data() + static_cast<size_t>((pos - back + len) % len) * C;
        }
        pos = (pos + 1) % len;
        k.dwconv_i8(C, 3, l.w.data(), taps, acc_.data());
        k.requant_i8(C, acc_.data(), l.mul.data(), l.bias.data(), true, l.inv_out_scale, nxt);
        std::swap(cur, nxt);
        ++dwi;
        break;
      }
      case KwsLayer::kPw:
        k.dense_i8(l.n_out, l.n_in, l.w.data(), cur, acc_.data());
        k.requant_i8(l.n_out, acc_.data(), l.mul.data(), l.bias.data(), true, l.inv_out_scale, nxt);
        std::swap(cur, nxt);
        break;
      case KwsLayer::kOut: {
        k.dense_i8(1, l.n_in, l.w.data(), cur, acc_.data());
        const float logit = std::fma(static_cast<float>(acc_[0]), l.mul[0], l.bias[0]);
        return std::isfinite(logit) ? std::clamp(logit, -kMaxLogit, kMaxLogit) : 0.f;
      }
    }
  }
  return 0.f;  // defensive: the loader guarantees an output layer
}

}  // namespace hearth::wakeword
