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
#include <mutex>
#include <sstream>
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
  PocketsphinxStream(const AsrConfig& cfg, const CompiledLanguage* lang, ps_decoder_t* ps)
      : cfg_(cfg), closed_(lang != nullptr), ps_(ps) {
    lmath_ = ps_get_logmath(ps_);
    start();
  }
  ~PocketsphinxStream() override {
    if (utt_open_) ps_end_utt(ps_);
    ps_free(ps_);
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
    start();
  }

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

  // Re-decodes the buffered utterance in one go. PocketSphinx then
  // normalizes with the utterance's own cepstral mean (batch CMN, how the
  // en-us model was trained) instead of the running estimate the streaming
  // pass used, which starts from the model's training mean and needs several
  // utterances to reach this microphone and voice. The running estimate is
  // then set to that mean, so the next streaming pass starts warm.
  bool batch_pass() {
    if (audio_.empty() || audio_.size() >= kMaxRescoreSamples) return false;
    if (ps_start_utt(ps_) < 0) return false;
    const int r = ps_process_raw(ps_, audio_.data(), audio_.size(), FALSE, TRUE);
    ps_end_utt(ps_);
    if (r < 0) return false;
    feat_t* f = ps_get_feat(ps_);
    if (f && f->cmn_struct && f->cmn_struct->veclen > 0) {
      std::vector<mfcc_t> mean(f->cmn_struct->cmn_mean, f->cmn_struct->cmn_mean + f->cmn_struct->veclen);
      cmn_live_set(f->cmn_struct, mean.data());
    }
    return true;
  }

  void finalize() {
    if (utt_open_) ps_end_utt(ps_);
    utt_open_ = false;
    const std::string& mode = cfg_.pocketsphinx.final_pass;
    if (mode == "batch" || (mode == "first" && n_finals_ == 0)) result_.batch_pass = batch_pass();
    ++n_finals_;
    final_ = true;
    result_.is_final = true;
    int32 score = 0;
    const char* hyp = ps_get_hyp(ps_, &score);
    result_.text = hyp ? hyp : "";
    const int n_frames = std::max(1, ps_get_n_frames(ps_));
    if (result_.text.empty()) {
      result_.confidence = 0.f;
      return;
    }
    result_.posterior = static_cast<float>(std::clamp(logmath_exp(lmath_, ps_get_prob(ps_)), 0.0, 1.0));
    int64_t closed_ascr = 0;
    for (ps_seg_t* s = ps_seg_iter(ps_); s; s = ps_seg_next(s)) {
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
      t.confidence = static_cast<float>(std::clamp(logmath_exp(lmath_, post), 0.0, 1.0));
      result_.words.push_back(std::move(t));
    }
    if (cfg_.pocketsphinx.nbest > 0) {
      std::unordered_set<std::string> seen;
      ps_nbest_t* nb = ps_nbest(ps_);
      int n = 0;
      for (; nb && n < 200 && static_cast<int>(result_.nbest.size()) < cfg_.pocketsphinx.nbest;
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
        if (!text.empty() && seen.insert(text).second) result_.nbest.push_back(text);
      }
      if (nb) ps_nbest_free(nb);
    }
    if (result_.nbest.empty() || result_.nbest.front() != result_.text) {
      result_.nbest.erase(std::remove(result_.nbest.begin(), result_.nbest.end(), result_.text), result_.nbest.end());
      result_.nbest.insert(result_.nbest.begin(), result_.text);
    }
    // Word-posterior mean: how sure the lattice is about each word.
    float mean_word = 0.f;
    for (const WordTiming& w : result_.words) mean_word += w.confidence;
    mean_word = result_.words.empty() ? 0.f : mean_word / static_cast<float>(result_.words.size());
    float conf = 0.5f * (result_.posterior + mean_word);

    const PocketsphinxConfig& pc = cfg_.pocketsphinx;
    if (closed_ && pc.phone_loop && audio_.size() < kMaxRescoreSamples) {
      int64_t phone_ascr = 0;
      rescore("phones", &phone_ascr);
      double deficit = logmath_log_to_ln(lmath_, 1) * static_cast<double>(phone_ascr - closed_ascr) / n_frames;
      result_.fit_deficit = static_cast<float>(std::max(0.0, deficit));
      conf *= 1.f / (1.f + std::exp((result_.fit_deficit - pc.reject_deficit) / pc.reject_slope));
    }
    result_.confidence = std::clamp(conf, 0.f, 1.f);
  }

 public:
  // The open-vocabulary pass, on demand (off the fast path: the caller runs
  // it only when the closed result was not usable).
  std::string decode_open() override {
    if (!final_ || !closed_ || !cfg_.pocketsphinx.open_vocabulary || audio_.empty()) return "";
    if (!open_done_) {
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
    const std::string beam = num(pc.beam), wbeam = num(pc.wbeam), pbeam = num(pc.pbeam), lw = num(pc.lw),
                      wip = num(pc.wip), maxhmmpf = std::to_string(pc.maxhmmpf);
    // The full dictionary when the generic LM is in play (open path or
    // baseline), else the closed one (loads ~100x faster).
    const bool need_full = !lang_ || pc.open_vocabulary;
    const std::string dict = need_full ? pc.dict : lang_->dict_path;
    const std::string lm = lang_ ? lang_->arpa_path : pc.generic_lm;
    cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", pc.model_dir.c_str(), "-dict", dict.c_str(),
                                   "-lm", lm.c_str(), "-beam", beam.c_str(), "-wbeam", wbeam.c_str(), "-pbeam",
                                   pbeam.c_str(), "-lw", lw.c_str(), "-wip", wip.c_str(), "-cmn", pc.cmn.c_str(),
                                   "-maxhmmpf", maxhmmpf.c_str(), "-allphone_ci", "yes", "-logfn", "/dev/null",
                                   nullptr);
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
      if (pc.phone_loop &&
          ps_set_allphone_file(ps, "phones", pc.phone_lm.empty() ? nullptr : pc.phone_lm.c_str()) < 0)
        HEARTH_LOG_WARN("asr", "no phone loop (%s); out-of-grammar rejection uses posteriors only", pc.phone_lm.c_str());
      if (pc.open_vocabulary && ps_set_lm_file(ps, "generic", pc.generic_lm.c_str()) < 0)
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
    return std::make_unique<PocketsphinxStream>(cfg_, lang_ ? &*lang_ : nullptr, ps);
  }

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
