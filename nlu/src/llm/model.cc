#include "llm/model.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>
#include <cmath>
#include <numeric>

namespace hearth::llm {

Result<void> load_llama(Model& m);  // arch/llama.cc

Result<std::shared_ptr<const Model>> Model::load(const std::string& path) {
  std::shared_ptr<Model> m(new Model());
  auto f = GgufFile::open(path);
  if (!f) return Error{f.error().code, "llm: " + f.error().message};
  m->file_ = std::move(*f);
  const uint64_t budget = memory_budget_bytes();
  if (budget && m->file_->file_size() > budget)
    return Error{Code::kTooLarge, "llm: " + path + " is " + std::to_string(m->file_->file_size() >> 20) +
                                      " MiB, more than the " + std::to_string(budget >> 20) + " MiB of memory available"};
  auto tok = Tokenizer::from_gguf(*m->file_);
  if (!tok) return tok.error().with_context("llm: " + path);
  m->tok_ = std::make_unique<Tokenizer>(std::move(*tok));
  auto r = load_llama(*m);
  if (!r) return r.error().with_context("llm: " + path);
  // HEARTH_LLM_REPACK=0 keeps the file's layout (benchmarks compare both)
  if (const char* env = std::getenv("HEARTH_LLM_REPACK"); !env || std::strcmp(env, "0") != 0) m->repack();
  return std::shared_ptr<const Model>(std::move(m));
}

// Every matrix whose type has an x4 layout is copied once into it: the
// 4-row kernels then read 4 rows' scales in one load, sum each row without
// a horizontal add per block and, for prompt batches, unpack each block once
// for 4 columns (bench/kernels matvec/*x4, matmul16/*x4). The mapped file
// pages it was copied from are only read once (the embedding table, used by
// row lookup, is never repacked itself: a tied output matrix gets its own
// copy).
void Model::Unmap::operator()(void* p) const {
  if (p) munmap(p, bytes);
}

void Model::repack() {
  std::vector<Weight*> ws;
  for_each_matrix(*this, [&](Weight& w) {
    if (has_x4_layout(w.type) && !w.x4 && w.n_out >= kMatMulRowGrain) ws.push_back(&w);
  });
  constexpr size_t kAlign = 64, kHuge = size_t(2) << 20;
  auto packed_bytes = [](const Weight& w) { return (x4_row_bytes(w.type, w.n_in) * size_t(w.n_out) + kAlign - 1) / kAlign * kAlign; };
  size_t total = 0;
  for (const Weight* w : ws) total += packed_bytes(*w);
  if (total == 0) return;
  total = (total + kHuge - 1) / kHuge * kHuge;
  void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return;  // keep the file's layout: slower, still correct
#ifdef MADV_HUGEPAGE
  madvise(base, total, MADV_HUGEPAGE);  // advice only; 4 KiB pages if refused
#endif
  packed_ = std::unique_ptr<void, Unmap>(base, Unmap{total});
  const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  unsigned char* at = static_cast<unsigned char*>(base);
  for (Weight* w : ws) {
    const size_t bytes = w->row_bytes * size_t(w->n_out);
    repack_x4(w->type, w->n_in, w->n_out, w->data, at);
    // the file's copy is not read again: drop its pages from this process
    // (a private read-only file mapping refaults from the file if ever
    // touched), so resident memory does not count the matrix twice
    if (file_->mapped() && w->data != tok_embd_.data) {
      const uintptr_t b = (uintptr_t(w->data) + page - 1) / page * page, e = (uintptr_t(w->data) + bytes) / page * page;
      if (b < e) madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
    }
    w->data = at;
    w->row_bytes = x4_row_bytes(w->type, w->n_in);
    w->x4 = true;
    at += packed_bytes(*w);
  }
}

uint64_t memory_budget_bytes() {
  if (const char* env = std::getenv("HEARTH_LLM_MEMORY_MIB"); env && *env) return uint64_t(std::strtoull(env, nullptr, 10)) << 20;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
}

Result<uint64_t> kv_cache_bytes(const Model& m, const SessionOptions& so) {
  const Hparams& hp = m.hparams();
  const uint64_t ctx = uint64_t(std::min(so.n_ctx > 0 ? so.n_ctx : hp.n_ctx_train, hp.n_ctx_train));
  const uint64_t bytes = 2ull * hp.n_layer * ctx * uint64_t(hp.n_head_kv) * hp.head_dim * (so.kv_type == KvType::kF16 ? 2 : 4);
  const uint64_t budget = memory_budget_bytes();
  if (budget && bytes + m.file().file_size() > budget)
    return Error{Code::kTooLarge, "llm: the model (" + std::to_string(m.file().file_size() >> 20) + " MiB) and a " +
                                      std::to_string(ctx) + "-token KV cache (" + std::to_string(bytes >> 20) +
                                      " MiB) do not fit in " + std::to_string(budget >> 20) + " MiB of memory; lower ctx"};
  return bytes;
}

// Counted in the file's layout (the Q4_K / Q5_K x4 layouts read 4 bytes
// per row and block more: the bound does not credit them).
uint64_t Model::weight_bytes_per_token() const {
  uint64_t total = 0;
  for_each_matrix(*this, [&](const Weight& w) { total += uint64_t(weight_row_bytes(w.type, w.n_in)) * uint64_t(w.n_out); });
  return total;
}

int Model::packed_matrices() const {
  int n = 0;
  for_each_matrix(*this, [&](const Weight& w) { n += w.x4; });
  return n;
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
  if (p.min_p > 0.f) {  // prob is sorted descending: cut at the first below min_p * best
    int cut = 1;
    while (cut < keep && prob[cut] >= p.min_p * prob[0]) ++cut;
    keep = cut;
  }
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

void apply_repeat_penalty(std::span<float> logits, std::span<const Token> recent, const SamplerParams& p) {
  if (p.repeat_penalty == 1.f || p.repeat_last_n <= 0) return;
  const size_t n = std::min(recent.size(), size_t(p.repeat_last_n));
  std::vector<Token> seen(recent.end() - static_cast<std::ptrdiff_t>(n), recent.end());
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  for (Token t : seen) {
    if (t < 0 || size_t(t) >= logits.size()) continue;
    float& l = logits[size_t(t)];
    l = l > 0 ? l / p.repeat_penalty : l * p.repeat_penalty;
  }
}

Session::Session(std::shared_ptr<const Model> model, int n_ctx, int n_threads, const KernelTable& kernels)
    : model_(std::move(model)), kt_(kernels), pool_(n_threads), kv_type_(KvType::kF32) {
  init(n_ctx, 32);
}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& opt, const KernelTable& kernels)
    : model_(std::move(model)), kt_(kernels), pool_(std::max(1, opt.n_threads)), kv_type_(opt.kv_type) {
  init(opt.n_ctx, opt.n_batch);
}

void Session::init(int n_ctx, int n_batch) {
  const Hparams& hp = model_->hparams();
  // never more than the model was trained for (RoPE beyond it is undefined
  // for these models, and a hostile context_length must not size the cache)
  n_ctx_ = std::min(n_ctx > 0 ? n_ctx : hp.n_ctx_train, hp.n_ctx_train);
  n_batch_ = std::clamp(n_batch, 1, 512);
  const size_t kv_dim = size_t(hp.n_head_kv) * hp.head_dim;
  const size_t kv_elems = size_t(hp.n_layer) * n_ctx_ * kv_dim;
  if (kv_type_ == KvType::kF16) {
    k_cache16_.assign(kv_elems, 0);
    v_cache16_.assign(kv_elems, 0);
  } else {
    k_cache_.assign(kv_elems, 0.f);
    v_cache_.assign(kv_elems, 0.f);
  }
  const size_t B = size_t(n_batch_);
  x_.resize(B * hp.n_embd);
  xb_.resize(B * std::max(hp.n_embd, hp.n_ff));
  q_.resize(B * hp.n_head * hp.head_dim);
  k_.resize(B * kv_dim);
  v_.resize(B * kv_dim);
  att_out_.resize(q_.size());
  gate_.resize(B * hp.n_ff);
  up_.resize(B * hp.n_ff);
  scores_.resize(B * hp.n_head * size_t(n_ctx_));
  logits_.resize(hp.n_vocab);
  size_t act[3] = {0, 0, 0};
  for (int n : {hp.n_embd, hp.n_ff, hp.n_head * hp.head_dim})
    for (int t = 0; t < kWeightTypeSlots; ++t)
      if (const WeightTypeTraits* tr = weight_type_traits(static_cast<WeightType>(t)); tr && n % tr->block_elems == 0) {
        size_t& a = act[static_cast<int>(tr->act)];
        a = std::max(a, act_bytes(static_cast<WeightType>(t), n));
      }
  for (int f = 0; f < 3; ++f) act_[f].resize(act[f] * B);
}

namespace {
using ProfClock = std::chrono::steady_clock;
double since(ProfClock::time_point t0) { return std::chrono::duration<double>(ProfClock::now() - t0).count(); }
}  // namespace

void Session::matmul(std::initializer_list<MatJob> jobs, const float* x, int nt) {
  const auto t0 = ProfClock::now();
  const int n_in = jobs.begin()->w->n_in;
  // activations: quantized once per format for all jobs and rows
  bool prepared[3] = {false, false, false};
  size_t total_bytes = 0;
  int total_rows = 0;
  struct Seg {
    const Weight* w;
    float* y;
    int first;  // global row index of row 0, a multiple of kMatMulRowGrain
    const unsigned char* act;
    size_t act_stride;
  };
  Seg segs[4];
  int n_segs = 0;
  for (const MatJob& j : jobs) {
    const ActFormat f = weight_type_traits(j.w->type)->act;
    const size_t as = act_bytes(j.w->type, n_in);
    const int fi = static_cast<int>(f);
    if (!prepared[fi]) {
      for (int c = 0; c < nt; ++c)
        prepare_act(kt_, j.w->type, n_in, x + size_t(c) * n_in, act_[fi].data() + size_t(c) * as);
      prepared[fi] = true;
    }
    segs[n_segs++] = Seg{j.w, j.y, total_rows, act_[fi].data(), as};
    total_rows += (j.w->n_out + kMatMulRowGrain - 1) / kMatMulRowGrain * kMatMulRowGrain;
    total_bytes += size_t(j.w->n_out) * j.w->row_bytes;
  }
  auto rows = [&](int begin, int end) {
    for (int i = 0; i < n_segs; ++i) {
      const Seg& s = segs[i];
      const int b = std::max(begin, s.first) - s.first;
      const int e = std::min(end, s.first + s.w->n_out) - s.first;
      if (b >= e) continue;
      const unsigned char* w = static_cast<const unsigned char*>(s.w->data) + size_t(b) * s.w->row_bytes;
      if (s.w->x4)  // b is a multiple of the 4-row group
        kt_.mat_mul_x4[static_cast<int>(s.w->type)](n_in, e - b, w, s.w->row_bytes, nt, s.act, s.act_stride, s.y + b,
                                                    size_t(s.w->n_out));
      else
        mat_mul(kt_, s.w->type, n_in, e - b, w, s.w->row_bytes, nt, s.act, s.act_stride, s.y + b, size_t(s.w->n_out));
    }
  };
  // Waking the pool costs microseconds: small matrices run on this thread.
  // Decode splits the rows into 2 chunks per thread, taken as threads come
  // free: on the 2-core Zen 4 VM, 2 threads decoded Q4_0 at a median 76-77 %
  // of the bound this way, 65-74 % with one chunk each (one run collapsed
  // to 19 % when a core was taken), 70 % with 4 (shorter streams).
  if (total_bytes < min_parallel_bytes_) rows(0, total_rows);
  else pool_.parallel_for(total_rows, kMatMulRowGrain, rows, nt == 1 ? 2 : 1);
  if (profiling_) profile_.matmul_s += since(t0);
}

void Session::forward_batch(const Token* toks, int nt, int pos0) {
  const auto t_start = ProfClock::now();
  const double mm0 = profile_.matmul_s, at0 = profile_.attention_s;
  const Model& m = *model_;
  const Hparams& hp = m.hp_;
  const int kv_dim = hp.n_head_kv * hp.head_dim;
  const int q_dim = hp.n_head * hp.head_dim;
  const int group = hp.n_head / hp.n_head_kv;
  const int E = hp.n_embd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));
  const bool f16 = kv_type_ == KvType::kF16;
  for (int i = 0; i < nt; ++i)
    dequantize_row(m.tok_embd_.type, E,
                   static_cast<const unsigned char*>(m.tok_embd_.data) + size_t(toks[i]) * m.tok_embd_.row_bytes,
                   x_.data() + size_t(i) * E);
  const int last_pos = pos0 + nt - 1;
  for (int l = 0; l < hp.n_layer; ++l) {
    const Layer& L = m.layers_[static_cast<size_t>(l)];
    for (int i = 0; i < nt; ++i)
      kt_.rms_norm(E, x_.data() + size_t(i) * E, L.attn_norm, hp.rms_eps, xb_.data() + size_t(i) * E);
    matmul({{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}}, xb_.data(), nt);
    const size_t layer_off = size_t(l) * n_ctx_ * kv_dim;
    for (int i = 0; i < nt; ++i) {
      float* q = q_.data() + size_t(i) * q_dim;
      float* k = k_.data() + size_t(i) * kv_dim;
      float* v = v_.data() + size_t(i) * kv_dim;
      if (L.bq) {
        for (int j = 0; j < q_dim; ++j) q[j] += L.bq[j];
        for (int j = 0; j < kv_dim; ++j) k[j] += L.bk[j], v[j] += L.bv[j];
      }
      kt_.rope(q, hp.n_head, hp.head_dim, hp.n_rot, pos0 + i, hp.rope_base, hp.rope_mode);
      kt_.rope(k, hp.n_head_kv, hp.head_dim, hp.n_rot, pos0 + i, hp.rope_base, hp.rope_mode);
      for (int g = 0; g < hp.n_head_kv; ++g) {  // head-major: [layer][kv head][pos][head_dim]
        const size_t at = layer_off + (size_t(g) * n_ctx_ + size_t(pos0 + i)) * hp.head_dim;
        const float* kg = k + size_t(g) * hp.head_dim;
        const float* vg = v + size_t(g) * hp.head_dim;
        if (f16) {
          kt_.f32_to_f16_row(hp.head_dim, kg, k_cache16_.data() + at);
          kt_.f32_to_f16_row(hp.head_dim, vg, v_cache16_.data() + at);
        } else {
          std::copy(kg, kg + hp.head_dim, k_cache_.data() + at);
          std::copy(vg, vg + hp.head_dim, v_cache_.data() + at);
        }
      }
    }
    // attention; head h reads kv head h / group (GQA), whose cached rows
    // are contiguous (one read stream per task). An f16 cache is read
    // once per group: one (token, kv head) per task, its group of query
    // heads at once. An f32 cache: one (token, head) per task.
    const auto t_att = ProfClock::now();
    auto groups = [&](int u0, int u1) {
      for (int u = u0; u < u1; ++u) {
        const int i = u / hp.n_head_kv, g = u % hp.n_head_kv, n_pos = pos0 + i + 1;
        const size_t head_off = layer_off + size_t(g) * n_ctx_ * hp.head_dim;
        const size_t q_off = size_t(i) * q_dim + size_t(g) * group * hp.head_dim;
        float* sc = scores_.data() + (size_t(i) * hp.n_head + size_t(g) * group) * n_ctx_;
        kt_.attn_scores_f16(n_pos, hp.head_dim, k_cache16_.data() + head_off, size_t(hp.head_dim), q_.data() + q_off, group,
                            scale, sc, size_t(n_ctx_));
        for (int h = 0; h < group; ++h) kt_.softmax(n_pos, sc + size_t(h) * n_ctx_);
        kt_.attn_values_f16(n_pos, hp.head_dim, v_cache16_.data() + head_off, size_t(hp.head_dim), sc, size_t(n_ctx_), group,
                            att_out_.data() + q_off);
      }
    };
    auto heads = [&](int u0, int u1) {
      for (int u = u0; u < u1; ++u) {
        const int i = u / hp.n_head, h = u % hp.n_head, pos = pos0 + i;
        const float* qh = q_.data() + size_t(i) * q_dim + size_t(h) * hp.head_dim;
        const size_t head_off = layer_off + size_t(h / group) * n_ctx_ * hp.head_dim;
        float* sc = scores_.data() + size_t(u) * n_ctx_;
        for (int p = 0; p <= pos; ++p) sc[p] = kt_.dot_f32(hp.head_dim, qh, k_cache_.data() + head_off + size_t(p) * hp.head_dim) * scale;
        kt_.softmax(pos + 1, sc);
        float* out = att_out_.data() + size_t(i) * q_dim + size_t(h) * hp.head_dim;
        std::fill(out, out + hp.head_dim, 0.f);
        for (int p = 0; p <= pos; ++p) {
          const float* vp = v_cache_.data() + head_off + size_t(p) * hp.head_dim;
          for (int d = 0; d < hp.head_dim; ++d) out[d] += sc[p] * vp[d];
        }
      }
    };
    const size_t kv_bytes = size_t(last_pos + 1) * kv_dim * (f16 ? 2 : 4) * 2 * size_t(nt);
    const int n_tasks = nt * (f16 ? hp.n_head_kv : hp.n_head);
    auto tasks = [&](int u0, int u1) { f16 ? groups(u0, u1) : heads(u0, u1); };
    if (kv_bytes < min_parallel_bytes_) tasks(0, n_tasks);
    else pool_.parallel_for(n_tasks, 1, tasks);
    if (profiling_) profile_.attention_s += since(t_att);
    matmul({{&L.wo, xb_.data()}}, att_out_.data(), nt);
    for (size_t j = 0; j < size_t(nt) * E; ++j) x_[j] += xb_[j];
    for (int i = 0; i < nt; ++i)
      kt_.rms_norm(E, x_.data() + size_t(i) * E, L.ffn_norm, hp.rms_eps, xb_.data() + size_t(i) * E);
    matmul({{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}}, xb_.data(), nt);
    kt_.swiglu(nt * hp.n_ff, gate_.data(), up_.data(), gate_.data());
    matmul({{&L.w_down, xb_.data()}}, gate_.data(), nt);
    for (size_t j = 0; j < size_t(nt) * E; ++j) x_[j] += xb_[j];
  }
  // logits of the last token only
  kt_.rms_norm(E, x_.data() + size_t(nt - 1) * E, m.output_norm_, hp.rms_eps, xb_.data());
  matmul({{&m.output_, logits_.data()}}, xb_.data(), 1);
  history_.insert(history_.end(), toks, toks + nt);
  if (profiling_) {
    profile_.tokens += nt;
    profile_.other_s += since(t_start) - (profile_.matmul_s - mm0) - (profile_.attention_s - at0);
  }
}

Result<std::span<const float>> Session::decode(Token t) {
  if (t < 0 || t >= model_->hparams().n_vocab)
    return Error{Code::kBadInput, "llm: token " + std::to_string(t) + " is outside the vocabulary"};
  if (n_past_ >= n_ctx_)
    return Error{Code::kTooLarge, "llm: context full (" + std::to_string(n_ctx_) + " tokens); start a new session"};
  forward_batch(&t, 1, n_past_++);
  return std::span<const float>(logits_);
}

Result<std::span<const float>> Session::prefill(std::span<const Token> tokens) {
  if (tokens.empty()) return Error{Code::kBadInput, "llm: empty prompt"};
  if (n_past_ + static_cast<int>(tokens.size()) > n_ctx_)
    return Error{Code::kTooLarge, "llm: prompt of " + std::to_string(tokens.size()) + " tokens does not fit the context of " +
                                      std::to_string(n_ctx_) + " (" + std::to_string(n_past_) + " used)"};
  const int n_vocab = model_->hparams().n_vocab;
  for (Token t : tokens)
    if (t < 0 || t >= n_vocab) return Error{Code::kBadInput, "llm: token " + std::to_string(t) + " is outside the vocabulary"};
  for (size_t i = 0; i < tokens.size(); i += size_t(n_batch_)) {
    const int nt = static_cast<int>(std::min(tokens.size() - i, size_t(n_batch_)));
    forward_batch(tokens.data() + i, nt, n_past_);
    n_past_ += nt;
  }
  return std::span<const float>(logits_);
}

Result<std::span<const float>> Session::prefill_cached(std::span<const Token> tokens) {
  if (tokens.empty()) return Error{Code::kBadInput, "llm: empty prompt"};
  size_t common = 0;
  while (common < history_.size() && common < tokens.size() && history_[common] == tokens[common]) ++common;
  if (common == tokens.size()) --common;  // the last token is evaluated again for its logits
  history_.resize(common);
  n_past_ = static_cast<int>(common);
  n_reused_ = static_cast<int>(common);
  return prefill(tokens.subspan(common));
}

Result<std::vector<Token>> Session::generate(std::span<const Token> prompt, int n_predict, const SamplerParams& sp) {
  std::mt19937_64 rng(sp.seed);
  auto logits = prefill_cached(prompt);  // the prompt is the whole context: reuse what matches
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
