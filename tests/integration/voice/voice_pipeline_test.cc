// Issue 5, end to end: spoken commands in a WAV played through hearthd's
// audio loop (audio.source "file", paced at 1x) with voice.wake "none" (every
// speech segment is a command; the wake-word model was not ready when this
// was written) → recognizer → template grammar → virtual devices; the
// history row holds the transcript, the intent and the end-of-speech → action
// latency (the stage split is logged; the history schema has no place for it).
// Garbage audio never triggers an action and never crashes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "fakes/daemon_harness.h"
#include "hearth/audio/audio.h"
#include "hearth/habits/history.h"

namespace hearth::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kData = std::string(HEARTH_TEST_DATA_DIR) + "/asr/";

bool have_model() { return std::filesystem::exists("/usr/share/pocketsphinx/model/en-us/en-us/mdef"); }

std::vector<float> load(const std::string& name) {
  auto pcm = read_audio_file(kData + name);
  EXPECT_TRUE(pcm) << name;
  return pcm ? *pcm : std::vector<float>{};
}

void append(std::vector<float>& out, const std::vector<float>& x) { out.insert(out.end(), x.begin(), x.end()); }
void silence(std::vector<float>& out, double s) { out.resize(out.size() + static_cast<size_t>(s * 16000), 0.f); }

json voice_config(const std::string& wav) {
  json c = base_config();
  c["audio"] = {{"source", "file"}, {"file", wav}, {"file_realtime", true}, {"file_loop", false}};
  c["voice"] = {{"enabled", true}, {"wake", "none"}};
  return c;
}

std::string device_state(Daemon& d, const std::string& id) {
  json j = d.get_json("/api/v1/devices");
  const json& list = j.is_array() ? j : j.value("devices", json::array());
  for (const json& dev : list)
    if (dev.value("id", "") == id && dev.contains("state")) {
      const json& s = dev["state"];
      return s.is_object() ? s.value("state", "") : s.get<std::string>();
    }
  return "?";
}

std::vector<CommandRecord> voice_commands(const std::string& db) {
  HistoryOptions o;
  o.read_only = true;
  auto store = HistoryStore::open(db, o);
  if (!store) return {};
  HistoryQuery q;
  q.origin = "voice";
  auto c = (*store)->commands(q);
  return c ? *c : std::vector<CommandRecord>{};
}

std::vector<EventRecord> voice_events(const std::string& db, const std::string& kind) {
  HistoryOptions o;
  o.read_only = true;
  auto store = HistoryStore::open(db, o);
  if (!store) return {};
  HistoryQuery q;
  q.kind = kind;
  auto e = (*store)->events(q);
  return e ? *e : std::vector<EventRecord>{};
}

// Sets the initial state of device `id` in the demo home's text.
void set_state(std::string& home, const std::string& id, const std::string& from, const std::string& to) {
  const size_t at = home.find("\"id\": \"" + id + "\"");
  ASSERT_NE(at, std::string::npos) << id;
  const std::string key = "\"state\": \"" + from + "\"";
  const size_t state = home.find(key, at);
  ASSERT_LT(state, home.find('\n', at)) << id << " does not start " << from;
  home.replace(state, key.size(), "\"state\": \"" + to + "\"");
}

// The demo home with the kitchen lights off and the front door unlocked (the
// demo home starts with the kitchen ceiling light on and the door locked), so
// both spoken commands must be seen to act.
std::string home_for_commands() {
  std::string home = demo_home_text();
  set_state(home, "light.kitchen_ceiling", "on", "off");
  set_state(home, "lock.front_door", "locked", "unlocked");
  return home;
}

TEST(VoicePipelineIntegration, SpokenCommandsChangeDevicesAndLandInHistory) {
  if (!have_model()) GTEST_SKIP() << "pocketsphinx-en-us not installed";
  TempDir dir;
  std::vector<float> audio;
  silence(audio, 1.0);
  append(audio, load("kitchen_on_espeak.wav"));  // "turn on the kitchen lights"
  // Long gaps: the first command also pays for opening the decoder and its
  // batch re-decode, seconds on a loaded CI machine, and audio that queues
  // behind an endpoint is dropped, not segmented again (known shortfall,
  // docs/benchmarks-asr.md).
  silence(audio, 10.0);
  append(audio, load("lock_front_flite.wav"));   // "lock the front door"
  silence(audio, 4.0);
  append(audio, load("oog_capital_espeak.wav")); // "what is the capital of france": no action
  silence(audio, 1.5);
  const std::string wav = dir.file("commands.wav");
  ASSERT_TRUE(write_wav(wav, audio));

  Daemon d(dir);
  ASSERT_TRUE(d.start(voice_config(wav), {}, home_for_commands()));
  ASSERT_EQ(device_state(d, "light.kitchen_ceiling"), "off");
  ASSERT_EQ(device_state(d, "light.kitchen_counter"), "off");
  ASSERT_EQ(device_state(d, "lock.front_door"), "unlocked");
  const std::string db = dir.file("history.db");
  ASSERT_TRUE(wait_until([&] { return voice_commands(db).size() >= 2; }, 90s)) << d.process().err();
  // Let the out-of-grammar sentence pass through too.
  std::this_thread::sleep_for(3s);

  EXPECT_EQ(device_state(d, "light.kitchen_ceiling"), "on");
  EXPECT_EQ(device_state(d, "light.kitchen_counter"), "on");
  EXPECT_EQ(device_state(d, "lock.front_door"), "locked");
  EXPECT_EQ(device_state(d, "light.living_room_ceiling"), "off");  // nothing else moved

  std::vector<CommandRecord> cmds = voice_commands(db);
  ASSERT_EQ(cmds.size(), 2u) << "the out-of-grammar sentence must not become a command";
  // Newest first.
  EXPECT_EQ(cmds[1].text, "turn on the kitchen lights");
  EXPECT_EQ(cmds[1].intent, "HassTurnOn");
  EXPECT_NE(cmds[1].slots_json.find("Kitchen"), std::string::npos) << cmds[1].slots_json;
  EXPECT_TRUE(cmds[1].ok);
  EXPECT_GT(cmds[1].latency_us, 0);
  EXPECT_EQ(cmds[0].text, "lock the front door");
  EXPECT_EQ(cmds[0].intent, "HassTurnOn");  // locks: HassTurnOn → lock (docs/intents.md)

  EXPECT_GT(cmds[0].latency_us, 0);
  EXPECT_TRUE(cmds[0].ok);
  // Each command's device actions are linked to it, with origin "voice".
  std::vector<EventRecord> acts = voice_events(db, "action");
  ASSERT_EQ(acts.size(), 3u);  // two kitchen lights + the lock
  for (const EventRecord& e : acts) {
    EXPECT_GT(e.command_id, 0);
    EXPECT_EQ(e.origin, "voice");
  }
  d.stop();
}

TEST(VoicePipelineIntegration, GarbageAudioNeverActs) {
  if (!have_model()) GTEST_SKIP() << "pocketsphinx-en-us not installed";
  TempDir dir;
  std::vector<float> audio;
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(0.f, 0.2f);
  silence(audio, 2.0);                                     // silence
  for (int i = 0; i < 16000 * 2; ++i) audio.push_back(noise(rng));  // loud noise
  silence(audio, 1.0);
  for (int i = 0; i < 16000 * 3; ++i) {                    // music-like tones (a chord that changes)
    double t = i / 16000.0;
    int step = static_cast<int>(t * 4);
    audio.push_back(0.2f * static_cast<float>(std::sin(2 * M_PI * (220 + 55 * step) * t) +
                                               std::sin(2 * M_PI * (330 + 20 * step) * t)));
  }
  silence(audio, 1.0);
  std::vector<float> clipped = load("oog_capital_espeak.wav");  // clipped speech, not a command
  for (float& x : clipped) x = std::clamp(x * 20.f, -1.f, 1.f);
  append(audio, clipped);
  silence(audio, 1.0);
  const std::string wav = dir.file("garbage.wav");
  ASSERT_TRUE(write_wav(wav, audio));
  // A second file at the wrong rate (8 kHz): the source resamples it.
  Daemon d(dir);
  ASSERT_TRUE(d.start(voice_config(wav)));
  const double seconds = static_cast<double>(audio.size()) / 16000.0;
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(seconds * 1000) + 4000));
  const std::vector<CommandRecord> cmds = voice_commands(dir.file("history.db"));
  for (const CommandRecord& c : cmds) ADD_FAILURE() << "acted on \"" << c.text << "\" as " << c.intent << " " << c.slots_json;
  EXPECT_TRUE(cmds.empty());
  EXPECT_TRUE(voice_events(dir.file("history.db"), "action").empty());
  json health = d.get_json("/api/v1/health");
  EXPECT_TRUE(d.process().running());
  d.stop();
}

TEST(VoiceCli, TranscribeAndPipeline) {
  if (!have_model()) GTEST_SKIP() << "pocketsphinx-en-us not installed";
  TempDir dir;
  // Wrong rate + 30 s of speech as extra files: they must decode without trouble.
  std::vector<float> kitchen = load("kitchen_on_espeak.wav");
  std::vector<float> at8k;
  for (size_t i = 0; i < kitchen.size(); i += 2) at8k.push_back(kitchen[i]);
  ASSERT_TRUE(write_wav(dir.file("kitchen_8k.wav"), at8k, 8000));
  std::vector<float> longer;
  while (longer.size() < 16000u * 30) append(longer, kitchen);
  ASSERT_TRUE(write_wav(dir.file("long.wav"), longer));
  write_file(dir.file("not_audio.wav"), "RIFF....garbage");

  CliRun t = run_cli(dir, {"transcribe", kData + "kitchen_on_espeak.wav", dir.file("kitchen_8k.wav")}, 120s);
  ASSERT_EQ(t.code, 0) << t.err;
  std::istringstream lines(t.out);
  std::string line;
  std::vector<json> rows;
  while (std::getline(lines, line)) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["text"], "turn on the kitchen lights");
  EXPECT_EQ(rows[0]["words"].size(), 5u);
  EXPECT_GT(rows[0]["rtf"].get<double>(), 0);
  // Resampled from 8 kHz: read and decoded. Not asserted word for word: the
  // en-us acoustic model is 16 kHz and narrowband speech comes out wrong
  // ("turn on the light"; a known shortfall, docs/benchmarks-asr.md).
  EXPECT_FALSE(rows[1]["text"].get<std::string>().empty());
  EXPECT_FALSE(rows[1]["words"].empty());
  EXPECT_GT(rows[1]["rtf"].get<double>(), 0);

  CliRun p = run_cli(dir, {"pipeline", "--no-wake", kData + "lock_front_flite.wav", kData + "oog_capital_espeak.wav",
                           dir.file("long.wav"), dir.file("not_audio.wav")},
                     180s);
  EXPECT_EQ(p.code, 1) << "an unreadable file makes the exit status 1";
  std::istringstream plines(p.out);
  rows.clear();
  while (std::getline(plines, line)) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), 4u) << p.out << p.err;
  EXPECT_EQ(rows[0]["transcript"], "lock the front door");
  EXPECT_EQ(rows[0]["intent"]["name"], "HassTurnOn");
  EXPECT_EQ(rows[0]["targets"], json::array({"lock.front_door"}));
  ASSERT_EQ(rows[0]["actions"].size(), 1u);
  EXPECT_EQ(rows[0]["actions"][0]["action"], "lock");
  for (const char* k : {"end_of_speech_to_transcript", "to_intent", "to_action"})
    EXPECT_TRUE(rows[0]["latency_ms"].contains(k));
  EXPECT_TRUE(rows[1]["intent"].is_null()) << rows[1].dump();  // out of grammar: not understood
  EXPECT_TRUE(rows[1]["actions"].empty());
  // The first command in the long file ends the utterance: early, because its
  // words already make a complete command (endpoint by recognizer state).
  EXPECT_EQ(rows[2]["endpoint"], "early");
  EXPECT_TRUE(rows[3].contains("error"));

  CliRun bad = run_cli(dir, {"pipeline", kData + "lock_front_flite.wav"});
  EXPECT_EQ(bad.code, 2);  // neither --no-wake nor a wake model
}

}  // namespace
}  // namespace hearth::testing
