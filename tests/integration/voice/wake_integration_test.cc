// Issue 4: hearthd wakes on "jarvis" from the always-on loop. A long file of
// held-out "jarvis" recordings (the file-name-hash TEST split, never used in
// training or threshold tuning), other real speech ("athena", "amelia") and
// room noise is played through hearthd's file source; every wake must be
// found near the word and no extra ones.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include "fakes/daemon_harness.h"
#include "hearth/audio/audio.h"

namespace hearth {
namespace {

using namespace hearth::testing;

std::string shared_data() {
  const char* env = std::getenv("HEARTH_SHARED_DATA");
  return env ? env : HEARTH_SHARED_DATA_DIR;
}


TEST(WakeIntegration, HearthdWakesOnEveryJarvisAndNothingElse) {
  const std::string model = std::string(HEARTH_ASSETS_DIR) + "/wakeword/jarvis.gguf";
  const std::string data = shared_data();
  if (!std::ifstream(model)) GTEST_SKIP() << model << " not present";
  if (!std::filesystem::is_directory(data + "/wakeword/jarvis")) GTEST_SKIP() << data << " not present (HEARTH_SHARED_DATA)";
  const auto jarvis = wakeword_split(HEARTH_SOURCE_DIR, "test", data + "/wakeword/jarvis");
  const auto athena = wakeword_split(HEARTH_SOURCE_DIR, "test", data + "/speech_negatives/athena");
  const auto amelia = wakeword_split(HEARTH_SOURCE_DIR, "test", data + "/speech_negatives/amelia");
  ASSERT_GE(jarvis.size(), 6u);
  ASSERT_GE(athena.size(), 6u);
  ASSERT_GE(amelia.size(), 6u);
  auto noise = read_audio_file(data + "/noise/room_tone_bg_noise.flac");
  ASSERT_TRUE(noise) << noise.error().message;

  std::vector<float> audio;
  auto silence = [&](double s) { audio.resize(audio.size() + static_cast<size_t>(s * 16000), 0.f); };
  std::vector<double> word_end_s;
  size_t ji = 0;
  int words = 0;
  silence(1.0);
  // 5 wake words, each preceded by two other utterances
  for (size_t k = 0; words < 5 && ji < jarvis.size(); ++k) {
    for (const auto* list : {&athena, &amelia}) {
      auto x = read_audio_file((*list)[k % list->size()]);
      if (x) audio.insert(audio.end(), x->begin(), x->end());
      silence(0.7);
    }
    auto w = read_audio_file(jarvis[ji++]);
    if (!w || w->size() < 8000) {  // a few source files are truncated: skip them (not the model's choice)
      continue;
    }
    audio.insert(audio.end(), w->begin(), w->end());
    word_end_s.push_back(static_cast<double>(audio.size()) / 16000.0);
    ++words;
    silence(2.0);
  }
  ASSERT_EQ(words, 5);
  // room tone under everything, at its natural level relative to the takes
  for (size_t i = 0; i < audio.size(); ++i) audio[i] += (*noise)[i % noise->size()];

  TempDir dir;
  const std::string wav = dir.file("stream.wav");
  ASSERT_TRUE(write_wav(wav, audio));
  auto c = base_config();
  c["audio"] = {{"source", "file"}, {"file", wav}, {"file_realtime", false}, {"file_loop", false}};
  c["wakeword"] = {{"enabled", true}, {"models", {{{"keyword", "jarvis"}, {"path", model}}}}};
  c["voice"] = {{"enabled", false}};
  Daemon d(dir);
  ASSERT_TRUE(d.start(c));
  nlohmann::json h;
  ASSERT_TRUE(wait_until(
      [&] {
        h = d.get_json("/api/v1/health", 200);
        return h["audio"].value("state", "") == "ended";
      },
      std::chrono::seconds(60)))
      << h.dump();
  h = d.get_json("/api/v1/health", 200);
  ASSERT_TRUE(h.contains("wake")) << h.dump();
  EXPECT_EQ(h["wake"]["enabled"], true);
  EXPECT_EQ(h["wake"]["wakes"].get<int>(), words) << h["wake"].dump();
  d.stop();
  // each logged wake is just after one of the words (the raw stream lags the
  // input by the front end's latency; allow up to 0.6 s after the file's end
  // of the recording, which includes its trailing silence)
  const std::string log = d.process().err();
  std::regex re("wake 'jarvis' at ([0-9.]+) s");
  std::vector<double> at;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it)
    at.push_back(std::stod((*it)[1]));
  ASSERT_EQ(at.size(), word_end_s.size()) << log;
  for (size_t i = 0; i < at.size(); ++i) {
    EXPECT_GT(at[i], word_end_s[i] - 3.2) << "wake " << i;  // recordings are ~3 s with the word inside
    EXPECT_LT(at[i], word_end_s[i] + 0.6) << "wake " << i;
  }
}

// `hearth wakeword train` on bad arguments and a failing trainer: a clear
// error, exit code 2 (usage) or 1 (failure), and an existing --out file is
// left as it was (train.py only ever replaces it, atomically, with a model).
TEST(WakeCli, TrainRejectsBadArgumentsAndKeepsExistingModel) {
  TempDir dir;
  const std::string out = dir.file("model.gguf");
  write_file(out, "previous model");
  auto r = run_cli(dir, {"wakeword", "train", "--out", out});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("usage"), std::string::npos) << r.err;
  r = run_cli(dir, {"wakeword", "train", "--keyword", "hey hearth", "--out", out, "--minutes", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--minutes must be"), std::string::npos) << r.err;
  r = run_cli(dir, {"wakeword", "train", "--keyword", "hey hearth", "--out", out, "--threads", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--threads 1..64"), std::string::npos) << r.err;
  r = run_cli(dir, {"wakeword", "train", "--keyword", "hey hearth", "--out", out, "--minutes", "soon"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad value 'soon' for --minutes"), std::string::npos) << r.err;
  r = run_cli(dir, {"wakeword", "train", "--keyword", "two\nlines", "--out", out});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("one line"), std::string::npos) << r.err;
  // no trainer where HEARTH_TOOLS_DIR points
  r = run_cli(dir, {"wakeword", "train", "--keyword", "hey hearth", "--out", out}, kExitDeadline,
              {"HEARTH_TOOLS_DIR=" + dir.file("nowhere")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("train.py not found"), std::string::npos) << r.err;
  // a trainer that fails, and one that writes something that is not a model
  std::filesystem::create_directories(dir.file("fail"));
  write_file(dir.file("fail") + "/train.py", "import sys\nsys.stderr.write('no voices\\n')\nsys.exit(3)\n");
  r = run_cli(dir, {"wakeword", "train", "--keyword", "hey hearth", "--out", out}, kExitDeadline,
              {"HEARTH_TOOLS_DIR=" + dir.file("fail")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("training failed"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(out), "previous model");
  std::filesystem::create_directories(dir.file("junk"));
  write_file(dir.file("junk") + "/train.py",
             "import sys\nopen(sys.argv[sys.argv.index('--out') + 1], 'w').write('GGUF junk')\n");
  r = run_cli(dir, {"wakeword", "train", "--keyword", "hey hearth", "--out", dir.file("new.gguf")}, kExitDeadline,
              {"HEARTH_TOOLS_DIR=" + dir.file("junk")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not load"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(out), "previous model");
}

}  // namespace
}  // namespace hearth
