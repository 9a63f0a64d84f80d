// Test helper: writes hearth-kws GGUF files (the same layout as
// tools/wakeword/gguf_write.py) with seeded random weights, and lets tests
// break any field on purpose.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace hearth::testing {

struct KwsSpec {
  int channels = 16;
  int blocks = 3;
  int n_mels = 40;
  float threshold = 0.5f;
  float threshold_logit = 0.f;       // written as hearth-kws.threshold_logit when != 0
  std::string keyword = "testword";
  std::string arch = "hearth-kws";
  uint32_t seed = 1;
  // corruption switches
  bool skip_bias_of_out = false;     // a required tensor missing
  bool wrong_pw_shape = false;       // blk.0.pw.weight has one column too many
  bool duplicate_tensor = false;     // feat.mean twice
  int extra_scales = 0;              // act_scales array length off by this
  float out_bias = 0.f;              // head bias (moves the posterior)
};

class GgufBuilder {
 public:
  void kv_str(const std::string& k, const std::string& v) { key(k, 8); str(v); ++n_kv_; }
  void kv_u32(const std::string& k, uint32_t v) { key(k, 4); put(v); ++n_kv_; }
  void kv_f32(const std::string& k, float v) { key(k, 6); put(v); ++n_kv_; }
  void kv_arr_u32(const std::string& k, const std::vector<uint32_t>& v) {
    key(k, 9); put(uint32_t{4}); put(uint64_t{v.size()});
    for (uint32_t x : v) put(x);
    ++n_kv_;
  }
  void kv_arr_f32(const std::string& k, const std::vector<float>& v) {
    key(k, 9); put(uint32_t{6}); put(uint64_t{v.size()});
    for (float x : v) put(x);
    ++n_kv_;
  }
  void tensor_f32(const std::string& name, std::vector<uint64_t> ne, const std::vector<float>& v) {
    add(name, ne, 0, reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4);
  }
  void tensor_i8(const std::string& name, std::vector<uint64_t> ne, const std::vector<int8_t>& v) {
    add(name, ne, 24, reinterpret_cast<const uint8_t*>(v.data()), v.size());
  }
  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    auto app = [&](const void* p, size_t n) { out.insert(out.end(), (const uint8_t*)p, (const uint8_t*)p + n); };
    uint32_t ver = 3;
    uint64_t nt = n_tensors_, nk = n_kv_;
    app(&ver, 4); app(&nt, 8); app(&nk, 8);
    out.insert(out.end(), kv_.begin(), kv_.end());
    out.insert(out.end(), info_.begin(), info_.end());
    while (out.size() % 32) out.push_back(0);
    out.insert(out.end(), data_.begin(), data_.end());
    return out;
  }

 private:
  template <class T> void put(T v, std::vector<uint8_t>* to = nullptr) {
    auto& b = to ? *to : kv_;
    const uint8_t* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof(T));
  }
  void str(const std::string& s, std::vector<uint8_t>* to = nullptr) {
    put(uint64_t{s.size()}, to);
    auto& b = to ? *to : kv_;
    b.insert(b.end(), s.begin(), s.end());
  }
  void key(const std::string& k, uint32_t type) { str(k); put(type); }
  void add(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type, const uint8_t* p, size_t n) {
    str(name, &info_);
    put(uint32_t(ne.size()), &info_);
    for (uint64_t d : ne) put(d, &info_);
    put(type, &info_);
    put(uint64_t{data_.size()}, &info_);
    data_.insert(data_.end(), p, p + n);
    while (data_.size() % 32) data_.push_back(0);
    ++n_tensors_;
  }
  std::vector<uint8_t> kv_, info_, data_;
  uint64_t n_kv_ = 0, n_tensors_ = 0;
};

inline std::vector<uint8_t> make_kws_gguf(const KwsSpec& s) {
  std::mt19937 g(s.seed);
  std::uniform_int_distribution<int> dq(-127, 127);
  std::uniform_real_distribution<float> ds(0.002f, 0.02f), db(-0.2f, 0.2f);
  GgufBuilder b;
  b.kv_str("general.architecture", s.arch);
  b.kv_str("hearth-kws.keyword", s.keyword);
  b.kv_f32("hearth-kws.threshold", s.threshold);
  if (s.threshold_logit != 0.f) b.kv_f32("hearth-kws.threshold_logit", s.threshold_logit);
  b.kv_u32("hearth-kws.channels", s.channels);
  b.kv_u32("hearth-kws.block_count", s.blocks);
  b.kv_u32("hearth-kws.input_kernel", 3);
  b.kv_u32("hearth-kws.dw_kernel", 3);
  std::vector<uint32_t> dil;
  for (int i = 0; i < s.blocks; ++i) dil.push_back(1u << i);
  b.kv_arr_u32("hearth-kws.dilations", dil);
  std::vector<float> scales(2 + 2 * s.blocks + s.extra_scales, 0.05f);
  b.kv_arr_f32("hearth-kws.act_scales", scales);
  b.kv_u32("hearth-kws.features.sample_rate", 16000);
  b.kv_u32("hearth-kws.features.n_mels", s.n_mels);
  b.kv_u32("hearth-kws.features.window", 400);
  b.kv_u32("hearth-kws.features.hop", 160);
  b.kv_u32("hearth-kws.features.n_fft", 512);
  b.kv_f32("hearth-kws.features.f_min", 20.f);
  b.kv_f32("hearth-kws.features.f_max", 7600.f);
  auto i8 = [&](size_t n) { std::vector<int8_t> v(n); for (auto& x : v) x = int8_t(dq(g)); return v; };
  auto fs = [&](size_t n, bool pos) { std::vector<float> v(n); for (auto& x : v) x = pos ? ds(g) : db(g); return v; };
  const uint64_t C = s.channels, M = s.n_mels;
  b.tensor_f32("feat.mean", {M}, std::vector<float>(M, -5.f));
  if (s.duplicate_tensor) b.tensor_f32("feat.mean", {M}, std::vector<float>(M, -5.f));
  b.tensor_f32("feat.inv_std", {M}, std::vector<float>(M, 0.3f));
  auto layer = [&](const std::string& pre, uint64_t cols, uint64_t rows, uint64_t n_out, bool skip_bias = false) {
    b.tensor_i8(pre + ".weight", {cols, rows}, i8(cols * rows));
    b.tensor_f32(pre + ".scale", {n_out}, fs(n_out, true));
    if (!skip_bias) {
      auto bias = fs(n_out, false);
      if (pre == "out") bias[0] = s.out_bias;
      b.tensor_f32(pre + ".bias", {n_out}, bias);
    }
  };
  layer("in", 3 * M, C, C);
  for (int i = 0; i < s.blocks; ++i) {
    layer("blk." + std::to_string(i) + ".dw", C, 3, C);
    layer("blk." + std::to_string(i) + ".pw", C + (s.wrong_pw_shape && i == 0 ? 1 : 0), C, C);
  }
  layer("out", C, 1, 1, s.skip_bias_of_out);
  return b.bytes();
}

}  // namespace hearth::testing
