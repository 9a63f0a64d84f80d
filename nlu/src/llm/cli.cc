// `hearth llm ...` sub-commands (see hearth/nlu/llm.h).
#include <strings.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>

#include "hearth/nlu/llm.h"
#include "llm/chat.h"
#include "llm/gbnf.h"
#include "llm/model.h"
#include "llm/quantize.h"
#include "llm/random_model.h"

namespace hearth {
namespace {

using llm::Model;
using llm::SamplerParams;
using llm::Session;
using llm::Token;
using Clock = std::chrono::steady_clock;

struct Args {
  std::map<std::string, std::string> opt;  // "--model" -> value; flags -> ""
  std::vector<std::string> pos;
};

Args parse_args(const std::vector<std::string>& a) {
  Args out;
  static const char* kFlags[] = {"--greedy", "--json", "--verbose", "--kv-f32"};
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i].size() > 1 && a[i][0] == '-') {
      const bool flag = std::find_if(std::begin(kFlags), std::end(kFlags), [&](const char* f) { return a[i] == f; }) != std::end(kFlags);
      if (flag || i + 1 == a.size()) {
        out.opt[a[i]] = "";
      } else {
        out.opt[a[i]] = a[i + 1];
        ++i;
      }
    } else {
      out.pos.push_back(a[i]);
    }
  }
  return out;
}

bool parse_type(const std::string& s, WeightType* t) {
  static const std::map<std::string, WeightType> kTypes = {
      {"f32", WeightType::kF32},   {"f16", WeightType::kF16},   {"q8_0", WeightType::kQ8_0}, {"q4_0", WeightType::kQ4_0},
      {"q4_1", WeightType::kQ4_1}, {"q4_k", WeightType::kQ4_K}, {"q5_k", WeightType::kQ5_K}, {"q6_k", WeightType::kQ6_K}};
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = kTypes.find(l);
  if (it == kTypes.end()) return false;
  *t = it->second;
  return true;
}

int get_int(const Args& a, const char* k, int def) {
  auto it = a.opt.find(k);
  return it == a.opt.end() ? def : std::atoi(it->second.c_str());
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

long peak_rss_kb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

bool write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(f);
}

Result<std::shared_ptr<const Model>> load_model(const Args& a) {
  auto it = a.opt.find("--model");
  if (it == a.opt.end() || it->second.empty()) return Error{Code::kBadInput, "--model FILE is required"};
  return Model::load(it->second);
}

// Read bandwidth of this machine: every thread sums its slice of a buffer
// far larger than the caches (STREAM-like), best of two passes. The buffer
// asks for transparent huge pages like the repacked weights, so the probe
// pays no more TLB misses than decode does (a stricter bound than 4 KiB
// pages give).
class ReadProbe {
 public:
  ReadProbe(int n_threads, int mib) : n_(size_t(std::max(1, mib)) << 18), pool_(n_threads) {
    bytes_ = n_ * sizeof(float);
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, bytes_, MADV_HUGEPAGE);
#endif
    buf_ = static_cast<float*>(p);
    std::fill(buf_, buf_ + n_, 1.0f);
  }
  ~ReadProbe() { munmap(buf_, bytes_); }
  ReadProbe(const ReadProbe&) = delete;
  ReadProbe& operator=(const ReadProbe&) = delete;

  // Best of two passes each with 1, 2, 4 and 8 read streams per thread (a
  // thread's slice read as that many sequential streams, one cache line of
  // each in turn): a core reads faster from several streams than from one,
  // and the decode kernels read several (matmul_x86.inc).
  double gbps() {
    double best = 0;
    for (int streams : {1, 2, 4, 8})
      for (int rep = 0; rep < 2; ++rep) {
        std::vector<uint64_t> partial(64, 0);
        const auto t0 = Clock::now();
        pool_.parallel_for(static_cast<int>(n_ >> 16), 1, [&](int b, int e) {
          const uint64_t* base = reinterpret_cast<const uint64_t*>(buf_ + (size_t(b) << 16));
          const size_t words = (size_t(e - b) << 16) * sizeof(float) / sizeof(uint64_t);
          uint64_t s = streams == 1 ? read_streams<1>(base, words)
                       : streams == 2 ? read_streams<2>(base, words)
                       : streams == 4 ? read_streams<4>(base, words)
                                      : read_streams<8>(base, words);
          partial[static_cast<size_t>(b) % partial.size()] += s;
        });
        best = std::max(best, double(bytes_) / seconds_since(t0) / 1e9);
        sink_ += partial[0];
      }
    return best;
  }

 private:
  // Sums `words` 8-byte words as S streams, 64 bytes of each in turn.
  template <int S>
  static uint64_t read_streams(const uint64_t* p, size_t words) {
    const size_t len = words / S / 8 * 8;
    uint64_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < len; i += 8)
      for (int j = 0; j < S; ++j)
        for (int w = 0; w < 8; ++w) acc[w] += p[size_t(j) * len + i + w];
    for (size_t i = len * S; i < words; ++i) acc[0] += p[i];
    uint64_t s = 0;
    for (uint64_t a : acc) s += a;
    return s;
  }

  size_t n_, bytes_ = 0;
  uint64_t sink_ = 0;  // keeps the sums alive
  ThreadPool pool_;
  float* buf_ = nullptr;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

int cmd_info(const Args& a, std::FILE* out, std::FILE* err) {
  auto m = load_model(a);
  if (!m) return std::fprintf(err, "llm info: %s\n", m.error().message.c_str()), 1;
  const llm::Hparams& hp = (*m)->hparams();
  std::fprintf(out, "%s", (*m)->file().describe().c_str());
  std::fprintf(out, "arch %s: vocab %d, embd %d, layers %d, heads %d/%d (kv), head_dim %d, ff %d, rot %d, ctx %d\n",
               hp.arch.c_str(), hp.n_vocab, hp.n_embd, hp.n_layer, hp.n_head, hp.n_head_kv, hp.head_dim, hp.n_ff, hp.n_rot,
               hp.n_ctx_train);
  std::fprintf(out, "weights read per token: %.1f MiB\n", double((*m)->weight_bytes_per_token()) / (1 << 20));
  return 0;
}

int cmd_generate(const Args& a, std::FILE* out, std::FILE* err) {
  auto m = load_model(a);
  if (!m) return std::fprintf(err, "llm generate: %s\n", m.error().message.c_str()), 1;
  auto p = a.opt.find("--prompt");
  if (p == a.opt.end()) return std::fprintf(err, "llm generate: --prompt TEXT is required\n"), 2;
  SamplerParams sp;
  if (!a.opt.count("--greedy")) {
    sp.temperature = a.opt.count("--temp") ? std::stof(a.opt.at("--temp")) : 0.8f;
    sp.top_k = get_int(a, "--top-k", 40);
    sp.top_p = a.opt.count("--top-p") ? std::stof(a.opt.at("--top-p")) : 0.95f;
    sp.seed = static_cast<uint64_t>(get_int(a, "--seed", 0));
  }
  if (a.opt.count("--min-p")) sp.min_p = std::stof(a.opt.at("--min-p"));
  if (a.opt.count("--repeat-penalty")) sp.repeat_penalty = std::stof(a.opt.at("--repeat-penalty"));
  const int n_predict = get_int(a, "-n", 64);
  llm::SessionOptions so;
  so.n_ctx = get_int(a, "--ctx", 2048);
  so.n_threads = get_int(a, "-t", 2);
  Session s(*m, so);
  // --grammar FILE: GBNF subset (see nlu/src/llm/gbnf.h); --json: any JSON object
  std::unique_ptr<llm::GrammarFilter> filter;
  std::string grammar_text;
  if (a.opt.count("--grammar")) {
    std::ifstream in(a.opt.at("--grammar"), std::ios::binary);
    if (!in) return std::fprintf(err, "llm generate: cannot read %s\n", a.opt.at("--grammar").c_str()), 1;
    grammar_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else if (a.opt.count("--json")) {
    grammar_text = llm::gbnf_json_object();
  }
  if (!grammar_text.empty()) {
    auto g = llm::parse_gbnf(grammar_text);
    if (!g) return std::fprintf(err, "llm generate: %s\n", g.error().message.c_str()), 1;
    filter = std::make_unique<llm::GrammarFilter>(*g, (*m)->tokenizer());
  }
  std::string prompt = p->second;
  if (a.opt.count("--chat")) {  // the prompt as a user message in the model's chat format
    auto t = llm::parse_chat_template(a.opt.at("--chat"));
    if (!t) return std::fprintf(err, "llm generate: %s\n", t.error().message.c_str()), 2;
    const llm::ChatTemplate tmpl = t->has_value() ? **t : llm::detect_chat_template(**m);
    prompt = llm::render_chat(tmpl, {{"user", p->second}});
  }
  const std::vector<Token> ids = (*m)->tokenizer().encode(prompt, true, a.opt.count("--chat") > 0);
  llm::GenerateParams gp;
  gp.sampler = sp;
  gp.max_tokens = n_predict;
  gp.filter = filter.get();
  if (a.opt.count("--stop")) gp.stop.push_back(a.opt.at("--stop"));
  std::fprintf(out, "%s", a.opt.count("--chat") ? "" : p->second.c_str());
  auto r = llm::generate_text(s, ids, gp, [&](std::string_view d) {
    std::fwrite(d.data(), 1, d.size(), out);
    std::fflush(out);
    return true;
  });
  if (!r) return std::fprintf(err, "\nllm generate: %s\n", r.error().message.c_str()), 1;
  std::fprintf(out, "\n");
  if (a.opt.count("--verbose"))
    std::fprintf(err, "%d prompt tokens, %d generated (%d forced), %d forward passes, finish %s\n", r->prompt_tokens,
                 r->completion_tokens, r->forced_tokens, r->decode_steps, r->finish_reason.c_str());
  return 0;
}

int cmd_bench(const Args& a, std::FILE* out, std::FILE* err) {
  auto m = load_model(a);
  if (!m) return std::fprintf(err, "llm bench: %s\n", m.error().message.c_str()), 1;
  const int n_threads = get_int(a, "-t", 1), n_prompt = get_int(a, "-p", 32), n_gen = get_int(a, "-n", 32);
  const llm::Hparams& hp = (*m)->hparams();
  llm::SessionOptions so;
  so.n_ctx = n_prompt + n_gen + 1;
  so.n_threads = n_threads;
  so.n_batch = get_int(a, "-b", 32);
  so.kv_type = a.opt.count("--kv-f32") ? llm::KvType::kF32 : llm::KvType::kF16;
  Session s(*m, so);
  std::vector<Token> prompt(static_cast<size_t>(n_prompt));
  for (int i = 0; i < n_prompt; ++i) prompt[static_cast<size_t>(i)] = static_cast<Token>(3 + (i * 7919) % (hp.n_vocab - 3));
  s.set_profiling(true);
  auto t0 = Clock::now();
  auto lg = s.prefill(prompt);
  if (!lg) return std::fprintf(err, "llm bench: %s\n", lg.error().message.c_str()), 1;
  const double prefill_s = seconds_since(t0);
  const llm::SessionProfile pre = s.profile();
  // Decode in rounds, each between two bandwidth probes: the bound of a
  // round is the mean of the probes around it and the figure reported is
  // the median of the rounds' decode / bound. The read bandwidth of a shared
  // VM moves by tens of percent within a minute (the host's other tenants);
  // a bound measured once, after decode, made the ratio swing 70-100 %.
  const int rounds = std::clamp(get_int(a, "--rounds", 4), 1, std::max(1, n_gen));
  const double bytes = double((*m)->weight_bytes_per_token());
  ReadProbe probe(n_threads, get_int(a, "--bw-mib", 256));
  std::vector<double> round_gbps, round_ratio;
  double decode_s = 0;
  // Decode feeds pseudo-random tokens and does not read the logits, as
  // llama-bench does: the figure is the forward pass alone. --greedy picks
  // each token by argmax over the logits instead, as greedy generation
  // does: on the 2-core Zen 4 VM, with 2 threads and a 151 936-entry
  // vocabulary, Q4_0 decoded at a median ~80 % of the bound that way against
  // ~86 % without (the main thread pulls the logits the other core wrote,
  // and the next output mat-mul pulls them back).
  const bool greedy = a.opt.count("--greedy") > 0;
  uint32_t rng = 12345;
  auto next_token = [&] {
    if (greedy) return static_cast<Token>(std::max_element(lg->begin(), lg->end()) - lg->begin());
    rng = rng * 1664525u + 1013904223u;
    return static_cast<Token>(3 + (rng >> 8) % static_cast<uint32_t>(hp.n_vocab - 3));
  };
  double g0 = probe.gbps();
  for (int r = 0, done = 0; r < rounds; ++r) {
    const int n = (n_gen * (r + 1)) / rounds - done;
    t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      lg = s.decode(next_token());
      if (!lg) return std::fprintf(err, "llm bench: %s\n", lg.error().message.c_str()), 1;
    }
    const double dt = seconds_since(t0);
    decode_s += dt;
    done += n;
    const double g1 = probe.gbps(), g = 0.5 * (g0 + g1);
    round_gbps.push_back(g);
    if (n > 0) round_ratio.push_back(n / dt / (g * 1e9 / bytes));
    if (rounds > 1)
      std::fprintf(out, "round %d: %d tokens at %.2f tok/s, read bandwidth %.2f GB/s (%.2f before, %.2f after) -> %.0f%% of bound\n",
                   r + 1, n, n / dt, g, g0, g1, n > 0 ? 100.0 * round_ratio.back() : 0.0);
    g0 = g1;
  }
  llm::SessionProfile prof = s.profile();  // decode only: minus the prefill's share
  prof.matmul_s -= pre.matmul_s;
  prof.attention_s -= pre.attention_s;
  prof.other_s -= pre.other_s;
  const double gbps = median(round_gbps);
  const double bound = gbps * 1e9 / bytes;
  const double decode_tps = n_gen / decode_s;
  const double of_bound = median(round_ratio);
  std::fprintf(out,
               "kernels %s, threads %d\n"
               "prefill: %d tokens in %.3f s = %.2f tok/s\n"
               "decode:  %d tokens in %.3f s = %.2f tok/s\n"
               "weights read per token: %.1f MiB; measured read bandwidth %.2f GB/s -> bound %.2f tok/s; decode at %.0f%% of bound (median of %d rounds)\n"
               "prefill time: mat-mul %.0f%%, attention %.0f%%, other %.0f%%\n"
               "decode time per token: mat-mul %.2f ms (%.1f GB/s of weights), attention %.2f ms, other %.2f ms\n"
               "peak RSS: %.1f MiB\n",
               kernels().name, n_threads, n_prompt, prefill_s, n_prompt / prefill_s, n_gen, decode_s, decode_tps,
               bytes / (1 << 20), gbps, bound, 100.0 * of_bound, rounds, 100.0 * pre.matmul_s / prefill_s,
               100.0 * pre.attention_s / prefill_s, 100.0 * pre.other_s / prefill_s, 1e3 * prof.matmul_s / n_gen,
               bytes * n_gen / prof.matmul_s / 1e9, 1e3 * prof.attention_s / n_gen, 1e3 * prof.other_s / n_gen,
               peak_rss_kb() / 1024.0);
  return 0;
}

int cmd_quantize(const Args& a, std::FILE* out, std::FILE* err) {
  WeightType type;
  if (a.pos.size() != 3 || !parse_type(a.pos[2], &type))
    return std::fprintf(err, "usage: llm quantize IN OUT TYPE (f16 q8_0 q4_0 q4_1 q4_k q5_k q6_k)\n"), 2;
  auto in = GgufFile::open(a.pos[0]);
  if (!in) return std::fprintf(err, "llm quantize: %s\n", in.error().message.c_str()), 1;
  llm::QuantizeStats st;
  auto bytes = llm::quantize_gguf(**in, type, &st);
  if (!bytes) return std::fprintf(err, "llm quantize: %s\n", bytes.error().message.c_str()), 1;
  if (!write_file(a.pos[1], *bytes)) return std::fprintf(err, "llm quantize: cannot write %s\n", a.pos[1].c_str()), 1;
  std::fprintf(out, "%s: %d tensors quantized to %s, %d kept, %.1f MiB\n", a.pos[1].c_str(), st.n_quantized,
               weight_type_traits(type)->name, st.n_kept, double(bytes->size()) / (1 << 20));
  return 0;
}

int cmd_random(const Args& a, std::FILE* out, std::FILE* err) {
  auto preset = llm::random_model_preset(a.opt.count("--preset") ? a.opt.at("--preset") : "tiny");
  if (!preset) return std::fprintf(err, "llm random: %s\n", preset.error().message.c_str()), 2;
  WeightType type = WeightType::kQ4_0;
  const bool k_mix = a.opt.count("--type") && strcasecmp(a.opt.at("--type").c_str(), "q4_k_m") == 0;
  if (k_mix) type = WeightType::kQ4_K;
  else if (a.opt.count("--type") && !parse_type(a.opt.at("--type"), &type))
    return std::fprintf(err, "llm random: unknown --type %s\n", a.opt.at("--type").c_str()), 2;
  preset->k_mix = k_mix;
  if (!a.opt.count("--out")) return std::fprintf(err, "llm random: --out FILE is required\n"), 2;
  preset->type = type;
  preset->seed = static_cast<uint64_t>(get_int(a, "--seed", 1));
  const std::vector<uint8_t> bytes = llm::make_random_model(*preset);
  if (!write_file(a.opt.at("--out"), bytes)) return std::fprintf(err, "llm random: cannot write the output\n"), 1;
  std::fprintf(out, "%s: %.1f MiB\n", a.opt.at("--out").c_str(), double(bytes.size()) / (1 << 20));
  return 0;
}

}  // namespace

int run_llm_command(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.empty()) return std::fprintf(err, "usage: llm info|generate|bench|quantize|random ... (see hearth/nlu/llm.h)\n"), 2;
  const Args a = parse_args(args);
  try {  // std::stof and friends throw on malformed numbers
    if (args[0] == "info") return cmd_info(a, out, err);
    if (args[0] == "generate") return cmd_generate(a, out, err);
    if (args[0] == "bench") return cmd_bench(a, out, err);
    if (args[0] == "quantize") return cmd_quantize(a, out, err);
    if (args[0] == "random") return cmd_random(a, out, err);
  } catch (const std::exception& e) {
    return std::fprintf(err, "llm %s: bad argument: %s\n", args[0].c_str(), e.what()), 2;
  }
  return std::fprintf(err, "llm: unknown command '%s'\n", args[0].c_str()), 2;
}

}  // namespace hearth
