// PocketsphinxRecognizer: the streaming backend over PocketSphinx
// (0.8/5prealpha API). One decoder per stream (a decoder is single-threaded);
// the recognizer only holds the configuration and the compiled files.
// The decoding passes are described at the top of asr.h.

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "hearth/asr/asr.h"
#include "hearth/common/log.h"

namespace hearth {
namespace {

constexpr int kFrameMs = 10;                  // PocketSphinx frame rate 100/s
constexpr size_t kMaxRescoreSamples = 16000 * 20;  // second passes only on the first 20 s

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool is_filler(std::string_view w) {
  return w.empty() || w == "<s>" || w == "</s>" || w == "<sil>" || w.front() == '[' || w.front() == '+';
}

std::string strip_variant(std::string w) {
  size_t p = w.find('(');
  if (p != std::string::npos && p > 0) w.resize(p);
  return w;
}

class PocketsphinxStream final : public RecognizerStream {
 public:
  // `spare` (may be null): a second decoder over the same closed language
  // for speculative final passes (speculate()).
  PocketsphinxStream(const AsrConfig& cfg, const CompiledLanguage* lang, ps_decoder_t* ps, ps_decoder_t* spare)
      : cfg_(cfg), closed_(lang != nullptr), ps_(ps), spare_(spare) {
    lmath_ = ps_get_logmath(ps_);
    start();
  }
  ~PocketsphinxStream() override {
    join_background();
    if (utt_open_) ps_end_utt(ps_);
    ps_free(ps_);
    if (spare_) ps_free(spare_);
  }

  void accept(std::span<const float> pcm) override {
    if (finished_) return;
    for (float x : pcm) {
      if (!std::isfinite(x)) x = 0.f;
      float c = std::clamp(x, -1.f, 1.f) * 32767.f;
      int16_t s = static_cast<int16_t>(std::lrint(c));
      pending_.push_back(s);
      if (audio_.size() < kMaxRescoreSamples) audio_.push_back(s);
    }
    n_samples_ += pcm.size();
  }
  void input_finished() override { finished_ = true; }
  bool is_ready() const override { return !pending_.empty() || (finished_ && !final_); }
  bool is_endpoint() const override { return final_; }
  Transcript result() const override { return result_; }

  Result<void> decode() override {
    if (!is_ready()) return {};
    auto t0 = std::chrono::steady_clock::now();
    if (!pending_.empty()) {
      if (ps_process_raw(ps_, pending_.data(), pending_.size(), FALSE, FALSE) < 0) {
        pending_.clear();
        result_.total_decode_ms += ms_since(t0);
        return Error{Code::kInternal, "pocketsphinx: ps_process_raw failed"};
      }
      pending_.clear();
      int32 score = 0;
      const char* hyp = ps_get_hyp(ps_, &score);
      result_.text = hyp ? hyp : "";
    }
    result_.audio_ms = static_cast<double>(n_samples_) * 1000.0 / 16000.0;
    if (finished_ && !final_) {
      auto t1 = std::chrono::steady_clock::now();
      finalize();
      result_.decode_ms = ms_since(t1);
    }
    result_.total_decode_ms += ms_since(t0);
    return {};
  }

  void reset() override {
    join_background();
    if (utt_open_) ps_end_utt(ps_);
    utt_open_ = false;
    if (ps_set_search(ps_, "main") < 0) HEARTH_LOG_WARN("asr", "cannot select the main search");
    pending_.clear();
    audio_.clear();
    n_samples_ = 0;
    finished_ = false;
    final_ = false;
    open_done_ = false;
    result_ = Transcript{};
    spec_valid_ = false;
    spec_samples_ = 0;
    spec_last_ = SpecResult{};  // the worker is joined: nothing else holds these
    spec_request_.reset();
    start();
  }

  // A pause: when this utterance's final result would come from a batch
  // pass, start that pass now over the audio so far, on the spare decoder
  // in a background thread. finalize() adopts it unless speech_resumed()
  // came in between; the audio after it is silence, so it is the same
  // utterance.
  bool speculate() override {
    if (!spare_ || finished_ || audio_.empty() || audio_.size() >= kMaxRescoreSamples || !wants_batch()) return false;
    if (spec_valid_ && spec_samples_ == audio_.size()) return true;  // nothing new since
    spec_samples_ = audio_.size();
    spec_valid_ = true;
    std::lock_guard<std::mutex> lock(spec_mu_);
    // One request slot: a newer pause replaces a request the worker has not
    // taken yet; a pass already running finishes first (PocketSphinx cannot
    // stop mid-utterance), then the worker takes this one.
    spec_request_ = audio_;
    spec_request_samples_ = audio_.size();
    // The final pass at the endpoint would see the whole hangover of
    // silence; batch CMN takes the mean over every frame, silence included,
    // so the pass started at the pause gets the rest of it now: the last
    // 100 ms (the quietest part of the pause) repeated.
    const size_t pad = static_cast<size_t>(
        std::max(0, cfg_.endpoint.hangover_ms - cfg_.endpoint.speculate_after_ms) * 16);
    const size_t loop = std::min<size_t>(1600, audio_.size());
    if (pad > 0 && loop > 0 && audio_.size() + pad < kMaxRescoreSamples) {
      std::vector<int16_t>& r = *spec_request_;
      const size_t from = audio_.size() - loop;
      for (size_t i = 0; i < pad; ++i) r.push_back(audio_[from + i % loop]);
    }
    if (!spec_running_) {
      if (spec_thread_.joinable()) spec_thread_.join();  // finished: it cleared spec_running_ on its way out
      spec_running_ = true;
      spec_thread_ = std::thread([this] { spec_worker(); });
    }
    return true;
  }
  void speech_resumed() override { spec_valid_ = false; }

 private:
  void start() {
    utt_open_ = ps_start_utt(ps_) >= 0;
  }

  // Decodes the whole buffered utterance with search `name`; returns the
  // hypothesis and the summed acoustic score of its segments.
  std::string rescore(const char* name, int64_t* ascr_sum) {
    *ascr_sum = 0;
    if (audio_.empty() || ps_set_search(ps_, name) < 0) return "";
    if (ps_start_utt(ps_) < 0) return "";
    ps_process_raw(ps_, audio_.data(), audio_.size(), FALSE, TRUE);
    ps_end_utt(ps_);
    int32 score = 0;
    const char* hyp = ps_get_hyp(ps_, &score);
    std::string text = hyp ? hyp : "";
    for (ps_seg_t* s = ps_seg_iter(ps_); s; s = ps_seg_next(s)) {
      int32 a = 0, l = 0, b = 0;
      ps_seg_prob(s, &a, &l, &b);
      *ascr_sum += a;
    }
    ps_set_search(ps_, "main");
    return text;
  }

  // Re-decodes `audio` in one go on decoder `ps` (the stream's own, or the
  // spare one in the background). PocketSphinx then normalizes with the
  // utterance's own cepstral mean (batch CMN, how the en-us model was
  // trained) instead of the running estimate the streaming pass used, which
  // starts from the model's training mean and needs several utterances to
  // reach this microphone and voice. `mean` receives that mean; the caller
  // hands it to the stream's running estimate (set_live_mean()), so the
  // next streaming pass starts warm.
  static bool batch_pass(ps_decoder_t* ps, const std::vector<int16_t>& audio, std::vector<mfcc_t>* mean) {
    if (audio.empty() || audio.size() >= kMaxRescoreSamples) return false;
    if (ps_start_utt(ps) < 0) return false;
    const int r = ps_process_raw(ps, audio.data(), audio.size(), FALSE, TRUE);
    ps_end_utt(ps);
    if (r < 0) return false;
    feat_t* f = ps_get_feat(ps);
    if (f && f->cmn_struct && f->cmn_struct->veclen > 0)
      mean->assign(f->cmn_struct->cmn_mean, f->cmn_struct->cmn_mean + f->cmn_struct->veclen);
    return true;
  }
  // The running estimate of the stream's decoder starts from `mean`.
  void set_live_mean(const std::vector<mfcc_t>& mean) {
    feat_t* f = ps_get_feat(ps_);
    if (f && f->cmn_struct && f->cmn_struct->veclen > 0 && static_cast<int>(mean.size()) == f->cmn_struct->veclen)
      cmn_live_set(f->cmn_struct, const_cast<mfcc_t*>(mean.data()));
  }
  bool wants_batch() const {
    const std::string& mode = cfg_.pocketsphinx.final_pass;
    return mode == "batch" || (mode == "first" && n_finals_ == 0);
  }
  // Waits for the background threads (the speculative passes, the closing
  // of an utterance whose result came from one).
  void join_background() {
    if (spec_thread_.joinable()) spec_thread_.join();
    if (closer_.joinable()) closer_.join();
  }

  // The speculative worker: decodes the latest request on the spare
  // decoder until none is left. `ready_ms` is when its result would be
  // ready with live input, in the stream's audio time: a pass starts at its
  // pause or when the pass before it ends, whichever is later.
  void spec_worker() {
    std::unique_lock<std::mutex> lock(spec_mu_);
    while (spec_request_) {
      std::vector<int16_t> audio = std::move(*spec_request_);
      spec_request_.reset();
      SpecResult r;
      r.samples = spec_request_samples_;
      lock.unlock();
      const auto t0 = std::chrono::steady_clock::now();
      r.ok = batch_pass(spare_, audio, &r.mean);
      if (r.ok) read_final(spare_, audio.size(), &r.transcript);
      r.run_ms = ms_since(t0);
      lock.lock();
      const double asked_ms = static_cast<double>(r.samples) * 1000.0 / 16000.0;
      r.ready_ms = std::max(asked_ms, spec_last_.samples ? spec_last_.ready_ms : 0.0) + r.run_ms;
      spec_last_ = std::move(r);
      spec_cv_.notify_all();
    }
    spec_running_ = false;
    spec_cv_.notify_all();
  }

  void finalize() {
    const bool batch = wants_batch();
    ++n_finals_;
    final_ = true;
    if (batch && spec_valid_) {
      // A speculative pass covers this utterance (it began at the pause,
      // only silence came since): wait for it, and close the streaming
      // pass in the background.
      spec_valid_ = false;
      const auto t_wait = std::chrono::steady_clock::now();
      std::unique_lock<std::mutex> lock(spec_mu_);
      spec_cv_.wait(lock, [this] { return spec_last_.samples == spec_samples_ || !spec_running_; });
      const double wait_ms = ms_since(t_wait);
      if (spec_last_.samples == spec_samples_ && spec_last_.ok) {
        const double audio_ms = result_.audio_ms, total_ms = result_.total_decode_ms;
        result_ = std::move(spec_last_.transcript);
        result_.audio_ms = audio_ms;
        result_.total_decode_ms = total_ms;
        result_.batch_pass = true;
        result_.speculative = true;
        result_.spec_ms = spec_last_.run_ms;
        result_.spec_ready_ms = spec_last_.ready_ms;
        result_.spec_wait_ms = wait_ms;
        set_live_mean(spec_last_.mean);
        spec_last_ = SpecResult{};
        lock.unlock();
        if (utt_open_) closer_ = std::thread([ps = ps_] { ps_end_utt(ps); });
        utt_open_ = false;
        return;
      }
    }
    if (utt_open_) ps_end_utt(ps_);
    utt_open_ = false;
    if (batch) {
      std::vector<mfcc_t> mean;
      result_.batch_pass = batch_pass(ps_, audio_, &mean);
      if (result_.batch_pass) set_live_mean(mean);
    }
    read_final(ps_, audio_.size(), &result_);
  }

  // The final result from decoder `ps` after its utterance ended: best
  // hypothesis, word timings and posteriors, n-best list, confidence.
  // Touches only `ps`, `out` and the configuration (runs on the background
  // thread for a speculative pass), except for the phone-loop rescoring,
  // which needs the stream's own decoder (a speculative result has no
  // fit_deficit).
  void read_final(ps_decoder_t* ps, size_t n_audio, Transcript* out) {
    Transcript& r = *out;
    logmath_t* lmath = ps_get_logmath(ps);
    r.is_final = true;
    int32 score = 0;
    const char* hyp = ps_get_hyp(ps, &score);
    r.text = hyp ? hyp : "";
    const int n_frames = std::max(1, ps_get_n_frames(ps));
    if (r.text.empty()) {
      r.confidence = 0.f;
      return;
    }
    r.posterior = static_cast<float>(std::clamp(logmath_exp(lmath, ps_get_prob(ps)), 0.0, 1.0));
    int64_t closed_ascr = 0;
    for (ps_seg_t* s = ps_seg_iter(ps); s; s = ps_seg_next(s)) {
      int32 a = 0, l = 0, b = 0;
      int32 post = ps_seg_prob(s, &a, &l, &b);
      closed_ascr += a;
      std::string w = strip_variant(ps_seg_word(s));
      if (is_filler(w)) continue;
      int sf = 0, ef = 0;
      ps_seg_frames(s, &sf, &ef);
      WordTiming t;
      t.word = w;
      t.start_ms = sf * kFrameMs;
      t.end_ms = (ef + 1) * kFrameMs;
      t.confidence = static_cast<float>(std::clamp(logmath_exp(lmath, post), 0.0, 1.0));
      r.words.push_back(std::move(t));
    }
    if (cfg_.pocketsphinx.nbest > 0) {
      std::unordered_set<std::string> seen;
      ps_nbest_t* nb = ps_nbest(ps);
      int n = 0;
      for (; nb && n < 200 && static_cast<int>(r.nbest.size()) < cfg_.pocketsphinx.nbest;
           nb = ps_nbest_next(nb), ++n) {
        int32 s = 0;
        const char* h = ps_nbest_hyp(nb, &s);
        if (!h) continue;
        std::string text;
        std::istringstream in(h);
        for (std::string w; in >> w;) {
          w = strip_variant(w);
          if (is_filler(w)) continue;
          if (!text.empty()) text += ' ';
          text += w;
        }
        if (!text.empty() && seen.insert(text).second) r.nbest.push_back(text);
      }
      if (nb) ps_nbest_free(nb);
    }
    if (r.nbest.empty() || r.nbest.front() != r.text) {
      r.nbest.erase(std::remove(r.nbest.begin(), r.nbest.end(), r.text), r.nbest.end());
      r.nbest.insert(r.nbest.begin(), r.text);
    }
    // Word-posterior mean: how sure the lattice is about each word.
    float mean_word = 0.f;
    for (const WordTiming& w : r.words) mean_word += w.confidence;
    mean_word = r.words.empty() ? 0.f : mean_word / static_cast<float>(r.words.size());
    float conf = 0.5f * (r.posterior + mean_word);

    const PocketsphinxConfig& pc = cfg_.pocketsphinx;
    if (closed_ && pc.phone_loop && n_audio < kMaxRescoreSamples && ps == ps_) {
      int64_t phone_ascr = 0;
      rescore("phones", &phone_ascr);
      double deficit = logmath_log_to_ln(lmath, 1) * static_cast<double>(phone_ascr - closed_ascr) / n_frames;
      r.fit_deficit = static_cast<float>(std::max(0.0, deficit));
      conf *= 1.f / (1.f + std::exp((r.fit_deficit - pc.reject_deficit) / pc.reject_slope));
    }
    r.confidence = std::clamp(conf, 0.f, 1.f);
  }

 public:
  // The open-vocabulary pass, on demand (off the fast path: the caller runs
  // it only when the closed result was not usable).
  std::string decode_open() override {
    if (!final_ || !closed_ || !cfg_.pocketsphinx.open_vocabulary || audio_.empty()) return "";
    if (!open_done_) {
      if (closer_.joinable()) closer_.join();
      int64_t unused = 0;
      auto t0 = std::chrono::steady_clock::now();
      result_.open_text = rescore("generic", &unused);
      result_.open_ms = ms_since(t0);
      open_done_ = true;
    }
    return result_.open_text;
  }

 private:

  const AsrConfig& cfg_;
  const bool closed_;
  ps_decoder_t* ps_;
  logmath_t* lmath_ = nullptr;
  std::vector<int16_t> pending_;  // accepted, not yet decoded
  std::vector<int16_t> audio_;    // the utterance so far (for second passes)
  uint64_t n_samples_ = 0;
  bool utt_open_ = false;
  bool finished_ = false;
  bool final_ = false;
  bool open_done_ = false;
  int64_t n_finals_ = 0;  // utterances finalized by this stream (decoder)
  Transcript result_;
  // Speculative final passes (speculate()) on the spare decoder, run by
  // spec_worker() on spec_thread_. spec_mu_ guards the request slot, the
  // running flag and the last result; the spare decoder belongs to the
  // worker while it runs.
  struct SpecResult {
    size_t samples = 0;  // audio it decoded (0: none yet)
    bool ok = false;
    Transcript transcript;
    std::vector<mfcc_t> mean;  // the utterance's cepstral mean
    double run_ms = 0, ready_ms = 0;
  };
  ps_decoder_t* spare_ = nullptr;
  std::thread spec_thread_, closer_;
  std::mutex spec_mu_;
  std::condition_variable spec_cv_;
  std::optional<std::vector<int16_t>> spec_request_;  // the audio to decode (padded, see speculate())
  size_t spec_request_samples_ = 0;                   // the stream's audio it stands for
  bool spec_running_ = false;
  SpecResult spec_last_;
  bool spec_valid_ = false;   // (owner) a request covers the audio up to the pause, no speech since
  size_t spec_samples_ = 0;   // (owner) the audio the latest request covers
};

class PocketsphinxRecognizer final : public Recognizer {
 public:
  PocketsphinxRecognizer(AsrConfig cfg, std::optional<CompiledLanguage> lang) : cfg_(std::move(cfg)), lang_(std::move(lang)) {}

  std::unique_ptr<RecognizerStream> create_stream(const StreamOptions& opt) const override {
    if (opt.sample_rate_hz != 16000) {
      HEARTH_LOG_ERROR("asr", "streams take 16 kHz audio, got %d", opt.sample_rate_hz);
      return nullptr;
    }
    const PocketsphinxConfig& pc = cfg_.pocketsphinx;
    ps_decoder_t* ps = open_decoder(/*extras=*/true);
    if (!ps) return nullptr;
    // The spare decoder for speculative batch passes: closed language only.
    ps_decoder_t* spare = nullptr;
    if (lang_ && pc.final_pass == "batch" && cfg_.endpoint.speculate_after_ms > 0) {
      spare = open_decoder(/*extras=*/false);
      if (!spare) HEARTH_LOG_WARN("asr", "no spare decoder; final passes start at the endpoint");
    }
    return std::make_unique<PocketsphinxStream>(cfg_, lang_ ? &*lang_ : nullptr, ps, spare);
  }

 private:
  // A decoder over the compiled language (or the generic LM without one),
  // its active search named "main". `extras`: also the full dictionary, the
  // generic-LM search ("generic", the open path) and the phone loop
  // ("phones") when the configuration asks for them. Null on failure (logged).
  ps_decoder_t* open_decoder(bool extras) const {
    const PocketsphinxConfig& pc = cfg_.pocketsphinx;
    const std::string beam = num(pc.beam), wbeam = num(pc.wbeam), pbeam = num(pc.pbeam), lw = num(pc.lw),
                      wip = num(pc.wip), maxhmmpf = std::to_string(pc.maxhmmpf);
    // The full dictionary when the generic LM is in play (open path or
    // baseline), else the closed one (loads ~100x faster).
    const bool need_full = !lang_ || (extras && pc.open_vocabulary);
    const std::string dict = need_full ? pc.dict : lang_->dict_path;
    const std::string lm = lang_ ? lang_->arpa_path : pc.generic_lm;
    const std::string fwdflatlw = pc.fwdflatlw > 0 ? num(pc.fwdflatlw) : "8.5",
                      bestpathlw = pc.bestpathlw > 0 ? num(pc.bestpathlw) : "9.5";
    cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", pc.model_dir.c_str(), "-dict", dict.c_str(),
                                   "-lm", lm.c_str(), "-beam", beam.c_str(), "-wbeam", wbeam.c_str(), "-pbeam",
                                   pbeam.c_str(), "-lw", lw.c_str(), "-wip", wip.c_str(), "-cmn", pc.cmn.c_str(),
                                   "-maxhmmpf", maxhmmpf.c_str(), "-fwdflat", pc.fwdflat ? "yes" : "no", "-bestpath",
                                   pc.bestpath ? "yes" : "no", "-fwdflatlw", fwdflatlw.c_str(), "-bestpathlw",
                                   bestpathlw.c_str(), "-allphone_ci", "yes", "-logfn", "/dev/null", nullptr);
    if (!config) {
      HEARTH_LOG_ERROR("asr", "pocketsphinx rejected the configuration %s", pc.to_string().c_str());
      return nullptr;
    }
    ps_decoder_t* ps = ps_init(config);
    cmd_ln_free_r(config);
    if (!ps) {
      HEARTH_LOG_ERROR("asr", "pocketsphinx could not start (model %s, dict %s, lm %s)", pc.model_dir.c_str(), dict.c_str(), lm.c_str());
      return nullptr;
    }
    // ps_init named the -lm search "ngram"; we call the active one "main".
    if (lang_) {
      if (need_full) {
        // Words spelled by G2P are in the closed dictionary only: add them.
        for (const auto& [w, ph] : g2p_entries_) ps_add_word(ps, w.c_str(), ph.c_str(), FALSE);
      }
      ngram_model_t* m = ngram_model_read(ps_get_config(ps), lang_->arpa_path.c_str(), NGRAM_AUTO, ps_get_logmath(ps));
      if (!m || ps_set_lm(ps, "main", m) < 0) {
        if (m) ngram_model_free(m);
        ps_free(ps);
        HEARTH_LOG_ERROR("asr", "cannot load %s", lang_->arpa_path.c_str());
        return nullptr;
      }
      ngram_model_free(m);
      // The phone loop: context-independent phones (-allphone_ci; the
      // triphone loop ran at minutes per utterance), with the phone trigram
      // when phone_lm names one, else a free loop.
      if (extras && pc.phone_loop &&
          ps_set_allphone_file(ps, "phones", pc.phone_lm.empty() ? nullptr : pc.phone_lm.c_str()) < 0)
        HEARTH_LOG_WARN("asr", "no phone loop (%s); out-of-grammar rejection uses posteriors only", pc.phone_lm.c_str());
      if (extras && pc.open_vocabulary && ps_set_lm_file(ps, "generic", pc.generic_lm.c_str()) < 0)
        HEARTH_LOG_WARN("asr", "no generic LM (%s); open-vocabulary path off", pc.generic_lm.c_str());
    } else {
      ngram_model_t* m = ngram_model_read(ps_get_config(ps), pc.generic_lm.c_str(), NGRAM_AUTO, ps_get_logmath(ps));
      if (!m || ps_set_lm(ps, "main", m) < 0) {
        if (m) ngram_model_free(m);
        ps_free(ps);
        return nullptr;
      }
      ngram_model_free(m);
    }
    ps_set_search(ps, "main");
    return ps;
  }

 public:
  Result<void> load_g2p() {
    if (!lang_) return {};
    std::unordered_set<std::string> g2p(lang_->g2p_words.begin(), lang_->g2p_words.end());
    if (g2p.empty()) return {};
    FILE* f = std::fopen(lang_->dict_path.c_str(), "r");
    if (!f) return Error{Code::kIo, "asr: cannot read " + lang_->dict_path};
    char line[1024];
    while (std::fgets(line, sizeof line, f)) {
      std::string s(line);
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      size_t sp = s.find(' ');
      if (sp == std::string::npos) continue;
      std::string w = s.substr(0, sp);
      if (g2p.count(strip_variant(w))) g2p_entries_.emplace_back(w, s.substr(sp + 1));
    }
    std::fclose(f);
    return {};
  }

 private:
  AsrConfig cfg_;
  std::optional<CompiledLanguage> lang_;
  std::vector<std::pair<std::string, std::string>> g2p_entries_;
};

}  // namespace

Result<std::unique_ptr<Recognizer>> make_pocketsphinx_recognizer(const AsrConfig& cfg, const CompiledLanguage* lang) {
  ConfigErrors errors;
  cfg.validate(errors);
  if (!errors.empty()) return Error{Code::kBadInput, "asr: bad config: " + errors.to_string()};
  auto r = std::make_unique<PocketsphinxRecognizer>(cfg, lang ? std::optional<CompiledLanguage>(*lang) : std::nullopt);
  HEARTH_TRY(r->load_g2p());
  return std::unique_ptr<Recognizer>(std::move(r));
}

}  // namespace hearth
