// The PocketSphinx backend over the LM compiled from the demo home, on
// committed test recordings (tests/data/asr/, made with espeak-ng and flite,
// see tests/data/asr/README.md), plus hostile audio.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "hearth/asr/asr.h"
#include "hearth/audio/audio.h"
#include "hearth/nlu/nlu.h"
#include "hearth/nlu/sentences.h"

namespace hearth {
namespace {

const std::string kData = std::string(HEARTH_TEST_DATA_DIR) + "/asr/";

class RecognizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(PocketsphinxConfig{}.model_dir)) return;
    ConfigErrors errors;
    auto home = Home::load_file(std::string(HEARTH_ASSETS_DIR) + "/homes/demo.json", errors);
    ASSERT_TRUE(home);
    home_ = new Home(std::move(*home));
    SentenceSampleOptions opt;
    opt.n_sentences = AsrConfig{}.lm_sentences;  // the shipped language model
    auto lang = sample_command_language(*home_, NluConfig{}, opt);
    ASSERT_TRUE(lang);
    dir_ = (std::filesystem::temp_directory_path() / ("hearth-asr-test-" + std::to_string(::getpid()))).string();
    AsrConfig cfg;
    auto compiled = compile_language_model(lang->sentences, *home_, cfg, dir_);
    ASSERT_TRUE(compiled) << compiled.error().message;
    lang_ = new CompiledLanguage(*compiled);
    auto rec = make_pocketsphinx_recognizer(cfg, lang_);
    ASSERT_TRUE(rec) << rec.error().message;
    rec_ = rec->release();
    stream_ = rec_->create_stream(StreamOptions{}).release();
    ASSERT_NE(stream_, nullptr);
  }
  static void TearDownTestSuite() {
    delete stream_;
    delete rec_;
    delete lang_;
    delete home_;
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (!stream_) GTEST_SKIP() << "pocketsphinx-en-us model not installed";
    stream_->reset();
  }

  static Transcript run(std::span<const float> pcm, std::vector<std::string>* partials = nullptr) {
    for (size_t off = 0; off < pcm.size(); off += 1600) {
      stream_->accept(pcm.subspan(off, std::min<size_t>(1600, pcm.size() - off)));
      EXPECT_TRUE(stream_->decode());
      EXPECT_FALSE(stream_->is_endpoint());
      if (partials && !stream_->result().text.empty()) partials->push_back(stream_->result().text);
    }
    stream_->input_finished();
    while (stream_->is_ready()) EXPECT_TRUE(stream_->decode());
    EXPECT_TRUE(stream_->is_endpoint());
    return stream_->result();
  }
  static std::vector<float> load(const std::string& name) {
    auto pcm = read_audio_file(kData + name);
    EXPECT_TRUE(pcm) << name;
    return pcm ? *pcm : std::vector<float>{};
  }

  static inline Home* home_ = nullptr;
  static inline CompiledLanguage* lang_ = nullptr;
  static inline Recognizer* rec_ = nullptr;
  static inline RecognizerStream* stream_ = nullptr;
  static inline std::string dir_;
};

TEST_F(RecognizerTest, CompiledLanguageFiles) {
  EXPECT_TRUE(std::filesystem::exists(lang_->arpa_path));
  EXPECT_TRUE(std::filesystem::exists(lang_->dict_path));
  EXPECT_GT(lang_->n_words, 150u);
  EXPECT_TRUE(lang_->missing_words.empty());
}

// The first utterance of a fresh stream is decoded before live CMN has
// adapted (the daemon's stream lives long); warm it up like the daemon's.
TEST_F(RecognizerTest, KitchenLightsEspeak) {
  run(load("bedroom_30_flite.wav"));
  stream_->reset();
  std::vector<std::string> partials;
  Transcript t = run(load("kitchen_on_espeak.wav"), &partials);
  // Known misses (docs/benchmarks-asr.md): espeak's "lights" often comes out
  // singular and "turn" sometimes as "tune"; the rest must be right.
  EXPECT_NE(t.text.find("on the kitchen light"), std::string::npos) << t.text;
  EXPECT_TRUE(t.is_final);
  EXPECT_GT(t.confidence, AsrConfig{}.min_confidence);
  EXPECT_FALSE(partials.empty());  // partial hypotheses while streaming
  ASSERT_EQ(t.words.size(), 5u) << t.text;
  for (size_t i = 1; i < t.words.size(); ++i) EXPECT_GE(t.words[i].start_ms, t.words[i - 1].end_ms - 10);
  EXPECT_GE(t.words.front().start_ms, 200);  // 300 ms of leading silence in the file
  EXPECT_EQ(t.nbest.front(), t.text);
}

TEST_F(RecognizerTest, FliteVoices) {
  EXPECT_EQ(run(load("bedroom_30_flite.wav")).text, "set the bedroom lights to thirty percent");
  stream_->reset();
  EXPECT_EQ(run(load("lock_front_flite.wav")).text, "lock the front door");
}

TEST_F(RecognizerTest, OutOfGrammarIsUnsure) {
  Transcript t = run(load("oog_capital_espeak.wav"));
  // Without the phone loop the closed-LM confidence does not separate
  // in-grammar from out-of-grammar speech (measured: 0.32 here vs 0.2 for a
  // right command); what rejects it is the intent grammar on the text.
  auto parser = make_template_parser(*home_, NluConfig{});
  ASSERT_TRUE(parser);
  EXPECT_FALSE((*parser)->parse(t.text).intent) << t.text << " confidence " << t.confidence;
  EXPECT_TRUE(t.open_text.empty());               // the open pass is not part of finalization
  EXPECT_FALSE(stream_->decode_open().empty());    // on demand, the generic LM has a go
  EXPECT_EQ(stream_->result().open_text, stream_->decode_open());
}

TEST_F(RecognizerTest, SilenceGivesNothing) {
  std::vector<float> silence(16000 * 2, 0.f);
  Transcript t = run(silence);
  EXPECT_TRUE(t.text.empty() || t.confidence < AsrConfig{}.min_confidence) << t.text;
}

TEST_F(RecognizerTest, HostileSamplesDoNotCrash) {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.f, 0.3f);
  std::vector<float> x(16000 * 2);
  for (float& v : x) v = noise(rng);
  x[100] = std::nanf("");
  x[200] = INFINITY;
  x[300] = -1e30f;
  Transcript t = run(x);
  EXPECT_TRUE(t.text.empty() || t.confidence < AsrConfig{}.min_confidence) << t.text;
  stream_->reset();
  run(std::vector<float>{});  // nothing at all
  stream_->reset();
  // 30 s of speech: the recordings back to back.
  std::vector<float> longer;
  while (longer.size() < 16000u * 30) {
    std::vector<float> a = load("kitchen_on_espeak.wav");
    longer.insert(longer.end(), a.begin(), a.end());
  }
  Transcript l = run(longer);
  EXPECT_NE(l.text.find("kitchen"), std::string::npos);
}

TEST_F(RecognizerTest, ResetBetweenUtterances) {
  run(load("lock_front_flite.wav"));
  stream_->reset();
  EXPECT_TRUE(stream_->result().text.empty());
  EXPECT_FALSE(stream_->is_endpoint());
  // What the utterance after a reset must still get right; espeak's "lights"
  // comes out singular with some LMs (see KitchenLightsEspeak).
  const std::string text = run(load("kitchen_on_espeak.wav")).text;
  EXPECT_NE(text.find("turn on the kitchen light"), std::string::npos) << text;
}

// The speculative batch pass (final_pass "batch"): started at a pause on a
// second decoder, adopted at the endpoint when only silence came after it,
// dropped when speech resumed; a stream destroyed mid-pass waits for it.
TEST_F(RecognizerTest, SpeculativeBatchPass) {
  AsrConfig cfg;
  cfg.pocketsphinx.final_pass = "batch";
  auto rec = make_pocketsphinx_recognizer(cfg, lang_);
  ASSERT_TRUE(rec) << rec.error().message;
  std::unique_ptr<RecognizerStream> s = (*rec)->create_stream(StreamOptions{});
  ASSERT_NE(s, nullptr);
  const std::vector<float> cmd = load("lock_front_flite.wav");
  ASSERT_FALSE(cmd.empty());
  const std::vector<float> silence(16000 * 4 / 10, 0.f);
  auto finish = [&s] {
    s->input_finished();
    while (s->is_ready()) EXPECT_TRUE(s->decode());
    EXPECT_TRUE(s->is_endpoint());
    return s->result();
  };

  // Without speculation: the batch pass runs at the endpoint.
  s->accept(cmd);
  s->accept(silence);
  Transcript plain = finish();
  EXPECT_EQ(plain.text, "lock the front door");
  EXPECT_TRUE(plain.batch_pass);
  EXPECT_FALSE(plain.speculative);

  // A pause, then only silence: the speculative result is the final one.
  s->reset();
  s->accept(cmd);
  ASSERT_TRUE(s->decode());
  EXPECT_TRUE(s->speculate());
  s->accept(silence);
  Transcript spec = finish();
  EXPECT_TRUE(spec.speculative);
  EXPECT_TRUE(spec.batch_pass);
  EXPECT_EQ(spec.text, "lock the front door");
  EXPECT_FALSE(spec.words.empty());
  EXPECT_GT(spec.spec_ms, 0.0);
  EXPECT_NEAR(spec.spec_ready_ms, static_cast<double>(cmd.size()) / 16.0 + spec.spec_ms, 1.0);
  EXPECT_NEAR(spec.audio_ms, static_cast<double>(cmd.size() + silence.size()) / 16.0, 1.0);

  // A pause mid-command, then speech: the early pass is dropped and the
  // final result covers the whole command.
  s->reset();
  const size_t half = cmd.size() / 2;
  s->accept(std::span<const float>(cmd).first(half));
  EXPECT_TRUE(s->speculate());
  s->speech_resumed();
  s->accept(std::span<const float>(cmd).subspan(half));
  s->accept(silence);
  Transcript resumed = finish();
  EXPECT_FALSE(resumed.speculative);
  EXPECT_EQ(resumed.text, "lock the front door");

  // Two pauses in a row: the result is the later one's (it covers the
  // utterance up to the endpoint's pause).
  s->reset();
  s->accept(std::span<const float>(cmd).first(half));
  EXPECT_TRUE(s->speculate());
  s->speech_resumed();
  s->accept(std::span<const float>(cmd).subspan(half));
  EXPECT_TRUE(s->speculate());
  s->accept(silence);
  Transcript twice = finish();
  EXPECT_TRUE(twice.speculative);
  EXPECT_EQ(twice.text, "lock the front door");
  EXPECT_NEAR(twice.spec_ready_ms, static_cast<double>(cmd.size()) / 16.0 + twice.spec_ms, 250.0 + 1.0)
      << "starts at its pause or when the first pass ends";

  // Destroyed while a pass runs, and reset while one runs: no crash, no leak
  // into the next utterance.
  s->reset();
  s->accept(cmd);
  EXPECT_TRUE(s->speculate());
  s->reset();
  s->accept(cmd);
  s->accept(silence);
  Transcript after = finish();
  EXPECT_FALSE(after.speculative);
  EXPECT_EQ(after.text, "lock the front door");
  s->reset();
  s->accept(cmd);
  EXPECT_TRUE(s->speculate());
  s.reset();

  // No spare decoder unless the final pass is a batch pass, or with
  // speculate_after_ms 0.
  EXPECT_FALSE(stream_->speculate());  // the suite's stream: final_pass "first", used before
  cfg.endpoint.speculate_after_ms = 0;
  auto off = make_pocketsphinx_recognizer(cfg, lang_);
  ASSERT_TRUE(off);
  std::unique_ptr<RecognizerStream> o = (*off)->create_stream(StreamOptions{});
  ASSERT_NE(o, nullptr);
  o->accept(cmd);
  EXPECT_FALSE(o->speculate());
}

TEST(RecognizerConfigTest, BadConfigIsAnError) {
  AsrConfig cfg;
  cfg.pocketsphinx.lw = -1;
  EXPECT_FALSE(make_pocketsphinx_recognizer(cfg, nullptr));
}

TEST(RecognizerConfigTest, MissingModelGivesNoStream) {
  AsrConfig cfg;
  cfg.pocketsphinx.model_dir = "/nonexistent/model";
  auto rec = make_pocketsphinx_recognizer(cfg, nullptr);
  ASSERT_TRUE(rec);
  EXPECT_EQ((*rec)->create_stream(StreamOptions{}), nullptr);
  StreamOptions wrong;
  wrong.sample_rate_hz = 8000;
  EXPECT_EQ((*rec)->create_stream(wrong), nullptr);
}

}  // namespace
}  // namespace hearth
