// The Wyoming server of a real hearthd, driven over raw TCP sockets:
// describe → info; recognize → intent (parse only, nothing runs); a
// satellite's area resolves "turn on the lights"; transcript → handled (runs
// it); audio in another format is accepted and converted; transcribe/detect
// answer an honest error while no engine is loaded; malformed and oversized
// messages get an error and a closed connection while the server keeps
// serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "fakes/daemon_harness.h"
#include "hearth/audio/audio.h"
#include "wyoming_protocol.h"

namespace hearth {
namespace {

using namespace hearth::testing;
using nlohmann::json;

// A blocking Wyoming client with a read deadline.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  bool send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool send(const std::string& type, const json& data = json::object(), std::string_view payload = {}) {
    return send_raw(encode_wyoming(type, data, payload));
  }

  // The next message, or nullopt on timeout / end of stream (eof() tells).
  std::optional<WyomingMessage> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (pending_.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || eof_) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        eof_ = true;
        return std::nullopt;
      }
      std::vector<WyomingMessage> out;
      if (!parser_.feed(std::string_view(buf, static_cast<size_t>(n)), out)) return std::nullopt;
      for (auto& m : out) pending_.push_back(std::move(m));
    }
    WyomingMessage m = std::move(pending_.front());
    pending_.erase(pending_.begin());
    return m;
  }
  // True once the server closed the connection (waits up to `timeout`).
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    while (!eof_) {
      if (!next(timeout) && !eof_) return false;
    }
    return true;
  }

 private:
  int fd_ = -1;
  bool eof_ = false;
  WyomingParser parser_;
  std::vector<WyomingMessage> pending_;
};

std::string entity(const WyomingMessage& m, const std::string& name) {
  for (const auto& e : m.data.value("entities", json::array()))
    if (e.value("name", "") == name) return e.value("value", "");
  return "";
}

class WyomingTest : public ::testing::Test {
 protected:
  void SetUp() override { start({{"wakeword", {{"enabled", false}}}}); }
  void start(const json& extra, int max_audio_s = 2) {
    json cfg = base_config();
    cfg["wyoming"] = {{"listen", "127.0.0.1:0"},
                      {"max_connections", 4},
                      {"max_audio_s", max_audio_s},
                      {"satellites", {{"kitchen-sat", {{"area", "kitchen"}}}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it) cfg[it.key()] = it.value();
    ASSERT_TRUE(daemon_.start(cfg));
    const json h = daemon_.get_json("/api/v1/health");
    ASSERT_TRUE(h.contains("wyoming") && h["wyoming"].is_object()) << h.dump();
    port_ = h["wyoming"]["port"].get<uint16_t>();
    ASSERT_GT(port_, 0);
  }
  void TearDown() override { daemon_.stop(); }
  std::string device_state(const std::string& id) { return daemon_.get_json("/api/v1/devices/" + id)["state"]; }

  TempDir dir_;
  Daemon daemon_{dir_};
  uint16_t port_ = 0;
};

TEST_F(WyomingTest, DescribeAnswersInfo) {
  Client c(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send("describe"));
  auto m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "info");
  for (const char* kind : {"asr", "wake", "intent", "handle"}) {
    ASSERT_TRUE(m->data[kind].is_array() && !m->data[kind].empty()) << kind << ": " << m->data.dump();
    const json& prog = m->data[kind][0];
    ASSERT_FALSE(prog["models"].empty()) << kind;
    EXPECT_EQ(prog["models"][0]["languages"], json::array({"en"})) << kind;
  }
  EXPECT_TRUE(m->data["intent"][0]["installed"].get<bool>());
  EXPECT_TRUE(m->data["handle"][0]["installed"].get<bool>());
  ASSERT_TRUE(c.send("ping", {{"text", "hi"}}));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "pong");
  EXPECT_EQ(m->data["text"], "hi");
}

TEST_F(WyomingTest, RecognizeParsesWithoutRunning) {
  ASSERT_EQ(device_state("light.kitchen_counter"), "off");
  Client c(port_);
  ASSERT_TRUE(c.send("recognize", {{"text", "turn on the kitchen lights"}}));
  auto m = c.next();
  ASSERT_TRUE(m);
  ASSERT_EQ(m->type, "intent") << m->data.dump();
  EXPECT_EQ(m->data["name"], "HassTurnOn");
  EXPECT_EQ(m->data["text"], "turn on the kitchen lights");
  EXPECT_EQ(entity(*m, "area"), "Kitchen") << m->data.dump();
  EXPECT_EQ(entity(*m, "domain"), "light") << m->data.dump();
  ASSERT_TRUE(c.send("recognize", {{"text", "sing me a sea shanty about walruses"}}));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "not-recognized");
  EXPECT_EQ(m->data["text"], "sing me a sea shanty about walruses");
  // A bad request is answered, and the connection stays usable.
  ASSERT_TRUE(c.send("recognize", {{"text", 42}}));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "error");
  ASSERT_TRUE(c.send("describe"));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "info");
  EXPECT_EQ(device_state("light.kitchen_counter"), "off");  // recognize ran nothing
}

// A satellite's stream carries its name; "turn on the lights" means its room.
TEST_F(WyomingTest, SatelliteAreaResolvesAndHandleRuns) {
  ASSERT_EQ(device_state("light.kitchen_counter"), "off");
  const std::string living_before = device_state("light.living_room_ceiling");
  Client c(port_);
  // 22.05 kHz stereo 16-bit: converted to 16 kHz mono by the server.
  const int rate = 22050;
  std::string pcm;
  for (int i = 0; i < rate / 10; ++i) {
    const int16_t v = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440.0 * i / rate));
    for (int ch = 0; ch < 2; ++ch) pcm.append(reinterpret_cast<const char*>(&v), 2);
  }
  const json fmt{{"rate", rate}, {"width", 2}, {"channels", 2}};
  json start = fmt;
  start["satellite"] = "kitchen-sat";
  ASSERT_TRUE(c.send("audio-start", start));
  ASSERT_TRUE(c.send("audio-chunk", fmt, pcm));
  ASSERT_TRUE(c.send("audio-stop"));
  ASSERT_TRUE(c.send("recognize", {{"text", "turn on the lights"}}));
  auto m = c.next();
  ASSERT_TRUE(m);
  ASSERT_EQ(m->type, "intent") << m->data.dump();
  EXPECT_EQ(m->data["name"], "HassTurnOn");
  EXPECT_EQ(entity(*m, "area"), "Kitchen") << m->data.dump();
  EXPECT_EQ(m->data["context"]["area"], "Kitchen");
  EXPECT_EQ(device_state("light.kitchen_counter"), "off");

  ASSERT_TRUE(c.send("transcript", {{"text", "turn on the lights"}}));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "handled") << m->data.dump();
  EXPECT_NE(m->data["text"].get<std::string>().find("Kitchen"), std::string::npos) << m->data.dump();
  EXPECT_EQ(device_state("light.kitchen_counter"), "on");
  EXPECT_EQ(device_state("light.living_room_ceiling"), living_before);  // only the satellite's room

  // An explicit room in the sentence wins over the satellite's.
  ASSERT_TRUE(c.send("recognize", {{"text", "turn off the bedroom lights"}}));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(entity(*m, "area"), "Bedroom") << m->data.dump();

  // A client without a satellite name can give the area in context.
  Client c2(port_);
  ASSERT_TRUE(c2.send("recognize", {{"text", "turn off the lights"}, {"context", {{"area", "office"}}}}));
  m = c2.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(entity(*m, "area"), "Office") << m->data.dump();
}

// With the shipped wake model, a satellite's audio is checked for the wake
// word: detection for real "jarvis" recordings, not-detected for silence.
class WyomingWakeTest : public WyomingTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(assets_dir() + "/wakeword/jarvis.gguf")) GTEST_SKIP() << "no assets/wakeword/jarvis.gguf";
    const char* shared = std::getenv("HEARTH_SHARED_DATA");
    recordings_ = std::string(shared ? shared : HEARTH_SHARED_DATA_DIR) + "/wakeword/jarvis";
    if (!std::filesystem::is_directory(recordings_)) GTEST_SKIP() << "no " << recordings_;
    // default "wakeword": jarvis; the recordings run to ~4 s with the padding
    start(json::object(), 10);
  }
  // Streams `pcm` (16 kHz mono) after detect; returns detection/not-detected.
  std::string detect(Client& c, const std::vector<float>& pcm) {
    const json fmt{{"rate", 16000}, {"width", 2}, {"channels", 1}};
    EXPECT_TRUE(c.send("detect", {{"names", json::array({"jarvis"})}}));
    EXPECT_TRUE(c.send("audio-start", fmt));
    std::string bytes;
    for (float v : pcm) {
      const int16_t s = static_cast<int16_t>(std::lround(std::clamp(v, -1.f, 1.f) * 32767.f));
      bytes.append(reinterpret_cast<const char*>(&s), 2);
    }
    for (size_t off = 0; off < bytes.size(); off += 2048) EXPECT_TRUE(c.send("audio-chunk", fmt, bytes.substr(off, 2048)));
    EXPECT_TRUE(c.send("audio-stop"));
    for (;;) {
      auto m = c.next(std::chrono::milliseconds(20000));
      if (!m) return "timeout";
      if (m->type == "detection" || m->type == "not-detected" || m->type == "error") {
        if (m->type == "detection") {
          EXPECT_EQ(m->data["name"], "jarvis");
          // Nothing else follows a detection for this stream.
        }
        return m->type == "error" ? "error: " + m->data.value("text", "") : m->type;
      }
    }
  }
  std::string recordings_;
};

TEST_F(WyomingWakeTest, DetectsTheWakeWordInStreamedAudio) {
  Client c(port_);
  ASSERT_TRUE(c.send("describe"));
  auto info = c.next();
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->data["wake"][0]["installed"].get<bool>()) << info->data["wake"].dump();
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(recordings_)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  int detected = 0, tried = 0;
  for (size_t i = 0; i < files.size() && tried < 5; ++i) {
    auto pcm = read_audio_file(files[i]);
    if (!pcm) continue;
    ++tried;
    std::vector<float> padded(8000, 0.f);
    padded.insert(padded.end(), pcm->begin(), pcm->end());
    padded.insert(padded.end(), 8000, 0.f);
    Client k(port_);
    const std::string r = detect(k, padded);
    EXPECT_TRUE(r == "detection" || r == "not-detected") << r;
    detected += r == "detection";
  }
  ASSERT_EQ(tried, 5);
  EXPECT_GE(detected, 3) << "of " << tried;
  Client q(port_);
  EXPECT_EQ(detect(q, std::vector<float>(32000, 0.f)), "not-detected");
}

// Without a recognizer, or with the wake word off, the honest answer.
TEST_F(WyomingTest, TranscribeAndDetectSayWhenUnavailable) {
  Client c(port_);
  ASSERT_TRUE(c.send("transcribe", {{"language", "en"}}));
  auto m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "error");
  EXPECT_EQ(m->data["code"], "asr-unavailable");
  ASSERT_TRUE(c.send("detect"));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "error");
  EXPECT_EQ(m->data["code"], "wake-unavailable");
  // Bad audio requests are errors, not disconnects.
  ASSERT_TRUE(c.send("audio-chunk", {{"rate", 16000}, {"width", 2}, {"channels", 1}}, std::string(4, '\0')));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "error");
  ASSERT_TRUE(c.send("audio-start", {{"rate", 16000}, {"width", 4}, {"channels", 1}}));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data["code"], "unsupported-format");
  ASSERT_TRUE(c.send("describe"));
  m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "info");
}

TEST_F(WyomingTest, MalformedAndOversizedInputCloseTheConnectionOnly) {
  const std::vector<std::string> bad = {
      "this is not json\n",
      "{\"type\": \"audio-chunk\", \"payload_length\": 1000000000}\n",
      "{\"type\": \"describe\", \"pad\": \"" + std::string(20000, 'x'),  // header line too long, no newline
      "[\"describe\"]\n",
      "{\"type\": \"x\", \"data_length\": 5}\nnope!",
  };
  for (const std::string& b : bad) {
    SCOPED_TRACE(b.substr(0, 60));
    Client c(port_);
    ASSERT_TRUE(c.ok());
    c.send_raw(b);
    auto m = c.next();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, "error");
    EXPECT_EQ(m->data["code"], "malformed");
    EXPECT_FALSE(m->data["text"].get<std::string>().empty());
    EXPECT_TRUE(c.closed_by_server());
  }
  // Too much audio in one stream (max_audio_s 2): error, closed.
  {
    Client c(port_);
    const json fmt{{"rate", 16000}, {"width", 2}, {"channels", 1}};
    ASSERT_TRUE(c.send("audio-start", fmt));
    const std::string second(32000, '\0');
    for (int i = 0; i < 3; ++i) c.send("audio-chunk", fmt, second);
    auto m = c.next();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data["code"], "too-long");
    EXPECT_TRUE(c.closed_by_server());
  }
  // The server still serves, and counted what happened.
  Client c(port_);
  ASSERT_TRUE(c.send("describe"));
  auto m = c.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "info");
  const json h = daemon_.get_json("/api/v1/health");
  EXPECT_EQ(h["wyoming"]["protocol_errors"], bad.size() + 1);
  EXPECT_EQ(h["status"], "ok");
}

TEST_F(WyomingTest, ConnectionLimitRefusesWithAnError) {
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(held.back()->send("ping"));
    ASSERT_TRUE(held.back()->next());  // accepted and served
  }
  Client extra(port_);
  auto m = extra.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "error");
  EXPECT_EQ(m->data["code"], "busy");
  EXPECT_TRUE(extra.closed_by_server());
  held.pop_back();
  // A freed slot is usable again.
  ASSERT_TRUE(wait_until(
      [&] {
        Client c(port_);
        if (!c.send("ping")) return false;
        auto r = c.next();
        return r && r->type == "pong";
      },
      std::chrono::seconds(5)));
}

}  // namespace
}  // namespace hearth
