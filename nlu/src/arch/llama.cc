// Architecture "llama" (Llama, TinyLlama, SmolLM, Mistral-style with GQA)
// and "qwen2" (the same graph with q/k/v biases and NeoX RoPE), from the
// GGUF keys llama.cpp uses: load_hparams, declare_tensors (name + shape,
// verified), and the per-token forward in Session::forward (model.cc).
#include <cinttypes>
#include <cstdio>
#include <string>

#include "llm/model.h"

namespace hearth::llm {
namespace {

std::string key(const Hparams& hp, const char* suffix) { return hp.arch + "." + suffix; }

Result<int> get_int_key(const GgufFile& f, const std::string& k, int lo, int hi) {
  auto v = f.get_int(k);
  if (!v) return v.error();
  if (*v < lo || *v > hi)
    return Error{Code::kBadInput, k + " = " + std::to_string(*v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi)};
  return static_cast<int>(*v);
}

Result<Hparams> load_hparams(const GgufFile& f) {
  Hparams hp;
  auto arch = f.get_string("general.architecture");
  if (!arch) return arch.error();
  hp.arch = std::string(*arch);
  if (hp.arch != "llama" && hp.arch != "qwen2")
    return Error{Code::kUnsupported, "general.architecture '" + hp.arch + "' is not supported (llama, qwen2)"};
  constexpr int kMaxDim = 1 << 20;
  auto n_embd = get_int_key(f, key(hp, "embedding_length"), 1, kMaxDim);
  if (!n_embd) return n_embd.error();
  hp.n_embd = *n_embd;
  auto n_layer = get_int_key(f, key(hp, "block_count"), 1, 4096);
  if (!n_layer) return n_layer.error();
  hp.n_layer = *n_layer;
  auto n_head = get_int_key(f, key(hp, "attention.head_count"), 1, 4096);
  if (!n_head) return n_head.error();
  hp.n_head = *n_head;
  hp.n_head_kv = hp.n_head;
  if (f.find_kv(key(hp, "attention.head_count_kv"))) {
    auto v = get_int_key(f, key(hp, "attention.head_count_kv"), 1, hp.n_head);
    if (!v) return v.error();
    hp.n_head_kv = *v;
  }
  if (hp.n_head % hp.n_head_kv != 0)
    return Error{Code::kBadInput, "head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " +
                                      std::to_string(hp.n_head_kv)};
  if (hp.n_embd % hp.n_head != 0)
    return Error{Code::kBadInput, "embedding_length " + std::to_string(hp.n_embd) + " is not a multiple of head_count"};
  hp.head_dim = hp.n_embd / hp.n_head;
  auto n_ff = get_int_key(f, key(hp, "feed_forward_length"), 1, kMaxDim);
  if (!n_ff) return n_ff.error();
  hp.n_ff = *n_ff;
  auto n_ctx = get_int_key(f, key(hp, "context_length"), 1, 1 << 24);
  if (!n_ctx) return n_ctx.error();
  hp.n_ctx_train = *n_ctx;
  hp.n_rot = hp.head_dim;
  if (f.find_kv(key(hp, "rope.dimension_count"))) {
    auto v = get_int_key(f, key(hp, "rope.dimension_count"), 2, hp.head_dim);
    if (!v) return v.error();
    if (*v % 2) return Error{Code::kBadInput, key(hp, "rope.dimension_count") + " must be even"};
    hp.n_rot = *v;
  }
  auto eps = f.get_float(key(hp, "attention.layer_norm_rms_epsilon"));
  if (!eps) return eps.error();
  if (!(*eps > 0 && *eps < 1)) return Error{Code::kBadInput, key(hp, "attention.layer_norm_rms_epsilon") + " must be in (0, 1)"};
  hp.rms_eps = static_cast<float>(*eps);
  if (f.find_kv(key(hp, "rope.freq_base"))) {
    auto v = f.get_float(key(hp, "rope.freq_base"));
    if (!v) return v.error();
    if (!(*v > 1)) return Error{Code::kBadInput, key(hp, "rope.freq_base") + " must be > 1"};
    hp.rope_base = static_cast<float>(*v);
  }
  hp.rope_mode = hp.arch == "qwen2" ? RopeMode::kNeox : RopeMode::kNormal;
  hp.attn_bias = hp.arch == "qwen2";
  return hp;
}

struct TensorDecl {
  std::string name;
  int64_t ne0, ne1;  // ne1 == 0: a vector
  bool required = true;
};

// Every tensor the graph reads, with its shape (ne[0] = input dimension).
std::vector<TensorDecl> declare_tensors(const Hparams& hp) {
  const int64_t q_dim = int64_t(hp.n_head) * hp.head_dim, kv_dim = int64_t(hp.n_head_kv) * hp.head_dim;
  std::vector<TensorDecl> d = {
      {"token_embd.weight", hp.n_embd, hp.n_vocab},
      {"output_norm.weight", hp.n_embd, 0},
      {"output.weight", hp.n_embd, hp.n_vocab, false},  // absent: tied to token_embd
  };
  for (int l = 0; l < hp.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    d.push_back({p + "attn_norm.weight", hp.n_embd, 0});
    d.push_back({p + "attn_q.weight", hp.n_embd, q_dim});
    d.push_back({p + "attn_k.weight", hp.n_embd, kv_dim});
    d.push_back({p + "attn_v.weight", hp.n_embd, kv_dim});
    d.push_back({p + "attn_output.weight", q_dim, hp.n_embd});
    if (hp.attn_bias) {
      d.push_back({p + "attn_q.bias", q_dim, 0});
      d.push_back({p + "attn_k.bias", kv_dim, 0});
      d.push_back({p + "attn_v.bias", kv_dim, 0});
    }
    d.push_back({p + "ffn_norm.weight", hp.n_embd, 0});
    d.push_back({p + "ffn_gate.weight", hp.n_embd, hp.n_ff});
    d.push_back({p + "ffn_up.weight", hp.n_embd, hp.n_ff});
    d.push_back({p + "ffn_down.weight", hp.n_ff, hp.n_embd});
  }
  return d;
}

std::string shape_str(const GgufTensor& t) {
  std::string s = "[";
  for (uint32_t i = 0; i < t.n_dims; ++i) s += (i ? ", " : "") + std::to_string(t.ne[i]);
  return s + "]";
}

}  // namespace

Result<void> load_llama(Model& m) {
  const GgufFile& f = *m.file_;
  auto hp = load_hparams(f);
  if (!hp) return hp.error();
  hp->n_vocab = m.tok_->n_vocab();
  m.hp_ = *hp;

  auto find = [&](const TensorDecl& d) -> Result<const GgufTensor*> {
    const GgufTensor* t = f.find_tensor(d.name);
    if (!t) {
      if (!d.required) return static_cast<const GgufTensor*>(nullptr);
      return Error{Code::kBadInput, "tensor '" + d.name + "' is missing"};
    }
    const bool vec = d.ne1 == 0;
    const bool ok = vec ? (t->n_dims == 1 && t->ne[0] == d.ne0)
                        : (t->n_dims == 2 && t->ne[0] == d.ne0 && t->ne[1] == d.ne1);
    if (!ok) {
      const std::string want = vec ? "[" + std::to_string(d.ne0) + "]"
                                   : "[" + std::to_string(d.ne0) + ", " + std::to_string(d.ne1) + "]";
      return Error{Code::kBadInput, "tensor '" + d.name + "': shape " + shape_str(*t) + ", expected " + want};
    }
    if (vec && t->type != TensorType::kF32)
      return Error{Code::kUnsupported, "tensor '" + d.name + "': norms and biases must be F32"};
    if (!vec && !weight_type_traits(static_cast<WeightType>(t->type)))
      return Error{Code::kUnsupported, "tensor '" + d.name + "': type not supported by the kernels"};
    return t;
  };
  auto as_weight = [](const GgufTensor* t) {
    Weight w;
    w.type = static_cast<WeightType>(t->type);
    w.data = t->data;
    w.n_in = static_cast<int>(t->ne[0]);
    w.n_out = static_cast<int>(t->ne[1]);
    w.row_bytes = weight_row_bytes(w.type, w.n_in);
    return w;
  };
  const std::vector<TensorDecl> decls = declare_tensors(m.hp_);
  size_t i = 0;
  auto next = [&]() { return find(decls[i++]); };
  auto embd = next();
  if (!embd) return embd.error();
  m.tok_embd_ = as_weight(*embd);
  auto onorm = next();
  if (!onorm) return onorm.error();
  m.output_norm_ = static_cast<const float*>((*onorm)->data);
  auto out = next();
  if (!out) return out.error();
  m.output_ = *out ? as_weight(*out) : m.tok_embd_;
  m.layers_.resize(static_cast<size_t>(m.hp_.n_layer));
  for (Layer& L : m.layers_) {
    auto get_vec = [&](const float** dst) -> Result<void> {
      auto t = next();
      if (!t) return t.error();
      *dst = static_cast<const float*>((*t)->data);
      return {};
    };
    auto get_w = [&](Weight* dst) -> Result<void> {
      auto t = next();
      if (!t) return t.error();
      *dst = as_weight(*t);
      return {};
    };
    HEARTH_TRY(get_vec(&L.attn_norm));
    HEARTH_TRY(get_w(&L.wq));
    HEARTH_TRY(get_w(&L.wk));
    HEARTH_TRY(get_w(&L.wv));
    HEARTH_TRY(get_w(&L.wo));
    if (m.hp_.attn_bias) {
      HEARTH_TRY(get_vec(&L.bq));
      HEARTH_TRY(get_vec(&L.bk));
      HEARTH_TRY(get_vec(&L.bv));
    }
    HEARTH_TRY(get_vec(&L.ffn_norm));
    HEARTH_TRY(get_w(&L.w_gate));
    HEARTH_TRY(get_w(&L.w_up));
    HEARTH_TRY(get_w(&L.w_down));
  }
  return {};
}

}  // namespace hearth::llm
