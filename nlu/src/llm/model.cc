#include "llm/model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hearth::llm {

Result<void> load_llama(Model& m);  // arch/llama.cc

Result<std::shared_ptr<const Model>> Model::load(const std::string& path) {
  std::shared_ptr<Model> m(new Model());
  auto f = GgufFile::open(path);
  if (!f) return Error{f.error().code, "llm: " + f.error().message};
  m->file_ = std::move(*f);
  auto tok = Tokenizer::from_gguf(*m->file_);
  if (!tok) return tok.error().with_context("llm: " + path);
  m->tok_ = std::make_unique<Tokenizer>(std::move(*tok));
  auto r = load_llama(*m);
  if (!r) return r.error().with_context("llm: " + path);
  return std::shared_ptr<const Model>(std::move(m));
}

uint64_t Model::weight_bytes_per_token() const {
  auto bytes = [](const Weight& w) { return uint64_t(w.row_bytes) * uint64_t(w.n_out); };
  uint64_t total = bytes(output_);
  for (const Layer& L : layers_)
    total += bytes(L.wq) + bytes(L.wk) + bytes(L.wv) + bytes(L.wo) + bytes(L.w_gate) + bytes(L.w_up) + bytes(L.w_down);
  return total;
}

Token sample(std::span<const float> logits, const SamplerParams& p, std::mt19937_64& rng) {
  const int n = static_cast<int>(logits.size());
  if (p.temperature <= 0.f) return static_cast<Token>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  std::vector<int> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  // stable order: by logit descending, ties by id
  auto better = [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  int keep = n;
  if (p.top_k > 0 && p.top_k < n) {
    keep = p.top_k;
    std::partial_sort(idx.begin(), idx.begin() + keep, idx.end(), better);
  } else {
    std::sort(idx.begin(), idx.end(), better);
  }
  std::vector<double> prob(static_cast<size_t>(keep));
  const double mx = logits[idx[0]];
  double sum = 0;
  for (int i = 0; i < keep; ++i) sum += prob[i] = std::exp((logits[idx[i]] - mx) / p.temperature);
  for (double& q : prob) q /= sum;
  if (p.top_p < 1.f) {
    double cum = 0;
    int cut = keep;
    for (int i = 0; i < keep; ++i) {
      cum += prob[i];
      if (cum >= p.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
  }
  double total = 0;
  for (int i = 0; i < keep; ++i) total += prob[i];
  // inverse-CDF draw from 53 random bits (portable, unlike std::discrete_distribution)
  const double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0) * total;
  double cum = 0;
  for (int i = 0; i < keep; ++i) {
    cum += prob[i];
    if (u < cum) return idx[i];
  }
  return idx[keep - 1];
}

Session::Session(std::shared_ptr<const Model> model, int n_ctx, int n_threads, const KernelTable& kernels)
    : model_(std::move(model)), kt_(kernels), pool_(n_threads) {
  const Hparams& hp = model_->hparams();
  // never more than the model was trained for (RoPE beyond it is undefined
  // for these models, and a hostile context_length must not size the cache)
  n_ctx_ = std::min(n_ctx > 0 ? n_ctx : hp.n_ctx_train, hp.n_ctx_train);
  const size_t kv_dim = size_t(hp.n_head_kv) * hp.head_dim;
  k_cache_.assign(size_t(hp.n_layer) * n_ctx_ * kv_dim, 0.f);
  v_cache_.assign(k_cache_.size(), 0.f);
  x_.resize(hp.n_embd);
  xb_.resize(std::max(hp.n_embd, hp.n_ff));
  q_.resize(size_t(hp.n_head) * hp.head_dim);
  k_.resize(kv_dim);
  v_.resize(kv_dim);
  att_out_.resize(q_.size());
  gate_.resize(hp.n_ff);
  up_.resize(hp.n_ff);
  scores_.resize(size_t(hp.n_head) * n_ctx_);
  logits_.resize(hp.n_vocab);
  size_t act = 0;
  for (int n : {hp.n_embd, hp.n_ff, hp.n_head * hp.head_dim})
    for (int t = 0; t < kWeightTypeSlots; ++t)
      if (const WeightTypeTraits* tr = weight_type_traits(static_cast<WeightType>(t)); tr && n % tr->block_elems == 0)
        act = std::max(act, act_bytes(static_cast<WeightType>(t), n));
  act_.resize(act);
}

void Session::matvec(const Weight& w, const float* x, float* y) {
  // activations are quantized once and shared by every row
  prepare_act(kt_, w.type, w.n_in, x, act_.data());
  const VecDotFn dot = kt_.vec_dot[static_cast<int>(w.type)];
  const unsigned char* base = static_cast<const unsigned char*>(w.data);
  const void* act = act_.data();
  auto rows = [&](int begin, int end) {
    for (int r = begin; r < end; ++r) y[r] = dot(w.n_in, base + size_t(r) * w.row_bytes, act);
  };
  // waking the pool costs microseconds: small matrices run on this thread
  if (size_t(w.n_out) * w.row_bytes < min_parallel_bytes_) rows(0, w.n_out);
  else pool_.parallel_for(w.n_out, 16, rows);
}

void Session::forward(Token t, int pos) {
  const Model& m = *model_;
  const Hparams& hp = m.hp_;
  const int kv_dim = hp.n_head_kv * hp.head_dim;
  const int group = hp.n_head / hp.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));
  dequantize_row(m.tok_embd_.type, hp.n_embd,
                 static_cast<const unsigned char*>(m.tok_embd_.data) + size_t(t) * m.tok_embd_.row_bytes, x_.data());
  for (int l = 0; l < hp.n_layer; ++l) {
    const Layer& L = m.layers_[static_cast<size_t>(l)];
    kt_.rms_norm(hp.n_embd, x_.data(), L.attn_norm, hp.rms_eps, xb_.data());
    matvec(L.wq, xb_.data(), q_.data());
    matvec(L.wk, xb_.data(), k_.data());
    matvec(L.wv, xb_.data(), v_.data());
    if (L.bq) {
      for (size_t i = 0; i < q_.size(); ++i) q_[i] += L.bq[i];
      for (int i = 0; i < kv_dim; ++i) k_[i] += L.bk[i], v_[i] += L.bv[i];
    }
    kt_.rope(q_.data(), hp.n_head, hp.head_dim, hp.n_rot, pos, hp.rope_base, hp.rope_mode);
    kt_.rope(k_.data(), hp.n_head_kv, hp.head_dim, hp.n_rot, pos, hp.rope_base, hp.rope_mode);
    float* kc = k_cache_.data() + (size_t(l) * n_ctx_) * kv_dim;
    float* vc = v_cache_.data() + (size_t(l) * n_ctx_) * kv_dim;
    std::copy(k_.begin(), k_.end(), kc + size_t(pos) * kv_dim);
    std::copy(v_.begin(), v_.end(), vc + size_t(pos) * kv_dim);
    // attention, one head per task; head h reads kv head h / group (GQA)
    auto heads = [&](int h0, int h1) {
      for (int h = h0; h < h1; ++h) {
        const float* qh = q_.data() + size_t(h) * hp.head_dim;
        const int kvh = h / group;
        float* sc = scores_.data() + size_t(h) * n_ctx_;
        for (int p = 0; p <= pos; ++p)
          sc[p] = kt_.dot_f32(hp.head_dim, qh, kc + size_t(p) * kv_dim + size_t(kvh) * hp.head_dim) * scale;
        kt_.softmax(pos + 1, sc);
        float* out = att_out_.data() + size_t(h) * hp.head_dim;
        std::fill(out, out + hp.head_dim, 0.f);
        for (int p = 0; p <= pos; ++p) {
          const float* vp = vc + size_t(p) * kv_dim + size_t(kvh) * hp.head_dim;
          for (int i = 0; i < hp.head_dim; ++i) out[i] += sc[p] * vp[i];
        }
      }
    };
    if (size_t(pos + 1) * kv_dim * sizeof(float) * 2 < min_parallel_bytes_) heads(0, hp.n_head);
    else pool_.parallel_for(hp.n_head, 1, heads);
    matvec(L.wo, att_out_.data(), xb_.data());
    for (int i = 0; i < hp.n_embd; ++i) x_[i] += xb_[i];
    kt_.rms_norm(hp.n_embd, x_.data(), L.ffn_norm, hp.rms_eps, xb_.data());
    matvec(L.w_gate, xb_.data(), gate_.data());
    matvec(L.w_up, xb_.data(), up_.data());
    kt_.swiglu(hp.n_ff, gate_.data(), up_.data(), gate_.data());
    matvec(L.w_down, gate_.data(), xb_.data());
    for (int i = 0; i < hp.n_embd; ++i) x_[i] += xb_[i];
  }
  kt_.rms_norm(hp.n_embd, x_.data(), m.output_norm_, hp.rms_eps, xb_.data());
  matvec(m.output_, xb_.data(), logits_.data());
}

Result<std::span<const float>> Session::decode(Token t) {
  if (t < 0 || t >= model_->hparams().n_vocab)
    return Error{Code::kBadInput, "llm: token " + std::to_string(t) + " is outside the vocabulary"};
  if (n_past_ >= n_ctx_)
    return Error{Code::kTooLarge, "llm: context full (" + std::to_string(n_ctx_) + " tokens); start a new session"};
  forward(t, n_past_++);
  return std::span<const float>(logits_);
}

Result<std::span<const float>> Session::prefill(std::span<const Token> tokens) {
  if (tokens.empty()) return Error{Code::kBadInput, "llm: empty prompt"};
  if (n_past_ + static_cast<int>(tokens.size()) > n_ctx_)
    return Error{Code::kTooLarge, "llm: prompt of " + std::to_string(tokens.size()) + " tokens does not fit the context of " +
                                      std::to_string(n_ctx_) + " (" + std::to_string(n_past_) + " used)"};
  std::span<const float> last;
  for (Token t : tokens) {
    auto r = decode(t);
    if (!r) return r.error();
    last = *r;
  }
  return last;
}

Result<std::vector<Token>> Session::generate(std::span<const Token> prompt, int n_predict, const SamplerParams& sp) {
  std::mt19937_64 rng(sp.seed);
  auto logits = prefill(prompt);
  if (!logits) return logits.error();
  std::vector<Token> out;
  for (int i = 0; i < n_predict; ++i) {
    const Token t = sample(*logits, sp, rng);
    if (model_->tokenizer().is_eog(t)) break;
    out.push_back(t);
    if (i + 1 == n_predict || n_past_ >= n_ctx_) break;
    logits = decode(t);
    if (!logits) return logits.error();
  }
  return out;
}

}  // namespace hearth::llm
