#include "wyoming_server.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <deque>
#include <set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "app_context.h"
#include "event_hub.h"
#include "wyoming_protocol.h"
#include "hearth/audio/audio.h"
#include "hearth/common/log.h"
#include "hearth/common/value_json.h"

namespace hearth {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr size_t kMaxTextBytes = 1024;  // recognize / transcript text
constexpr size_t kReadChunk = 64 * 1024;
constexpr const char* kVersion = HEARTH_VERSION;

json attribution() { return json{{"name", "Hearth"}, {"url", "https://github.com/hearth-home/hearth"}}; }

json program(const std::string& name, const std::string& description, bool installed, json models) {
  return json{{"name", name},     {"description", description}, {"attribution", attribution()},
              {"installed", installed}, {"version", kVersion},  {"models", std::move(models)}};
}

json model(const std::string& name, const std::string& description, bool installed) {
  return json{{"name", name},           {"description", description}, {"attribution", attribution()},
              {"installed", installed}, {"version", kVersion},        {"languages", json::array({"en"})}};
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The home's spelling of an area given by id or name (any case); "" if none.
std::string find_area_name(const Home& home, const std::string& want) {
  const std::string w = lower(want);
  for (const Area& a : home.areas()) {
    if (lower(a.id) == w || lower(a.name) == w) return a.name;
    for (const std::string& alias : a.aliases)
      if (lower(alias) == w) return a.name;
  }
  return "";
}

// Reads data[key] as a string, or data.context[key].
std::string context_string(const json& data, const char* key) {
  if (auto it = data.find(key); it != data.end() && it->is_string()) return it->get<std::string>();
  if (auto c = data.find("context"); c != data.end() && c->is_object()) {
    if (auto it = c->find(key); it != c->end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

bool read_int(const json& data, const char* key, int lo, int hi, int* out) {
  auto it = data.find(key);
  if (it == data.end() || !it->is_number_integer()) return false;
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

json value_to_json_string(const Value& v) {
  json j = value_map_to_json(ValueMap{{"v", v}})["v"];
  return j.is_string() ? j : json(j.dump());
}

}  // namespace

struct WyomingServer::Impl : std::enable_shared_from_this<WyomingServer::Impl> {
  class Session;

  Impl(asio::io_context& ioc, WyomingConfig cfg, AppContext& app, WyomingEngines engines)
      : ioc(ioc), cfg(std::move(cfg)), app(app), engines(std::move(engines)), acceptor(ioc) {}

  asio::io_context& ioc;
  WyomingConfig cfg;
  AppContext& app;
  WyomingEngines engines;
  tcp::acceptor acceptor;
  std::set<std::shared_ptr<Session>> sessions;
  Stats stats;
  bool stopped = false;

  void accept();
  json info() const;
};

class WyomingServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Impl> server, tcp::socket socket)
      : server_(std::move(server)), socket_(std::move(socket)), idle_(socket_.get_executor()) {
    boost::system::error_code ec;
    const auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void start() {
    arm_idle();
    read();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    idle_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    server_->sessions.erase(shared_from_this());
    server_->stats.open = server_->sessions.size();
  }

 private:
  void arm_idle() {
    idle_.expires_after(std::chrono::milliseconds(server_->cfg.idle_timeout_ms));
    idle_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed_ || self->lingering_) return;
      HEARTH_LOG_INFO("wyoming", "%s: idle for %d ms; closing", self->peer_.c_str(), self->server_->cfg.idle_timeout_ms);
      self->close();
    });
  }

  void read() {
    if (closed_ || closing_) return;
    socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                           size_t n) {
      if (self->closed_) return;
      if (ec) {
        if (!self->parser_.idle() && ec == asio::error::eof)
          HEARTH_LOG_DEBUG("wyoming", "%s: closed mid-message", self->peer_.c_str());
        self->close();
        return;
      }
      self->arm_idle();
      std::vector<WyomingMessage> msgs;
      Result<void> r = self->parser_.feed(std::string_view(self->buf_.data(), n), msgs);
      for (auto& m : msgs) self->inbox_.push_back(std::move(m));
      self->server_->stats.messages += msgs.size();
      if (!r) {
        self->protocol_error_ = r.error().message;
      }
      self->drain();
    });
  }

  // Handles queued messages in order; pauses while an intent runs.
  void drain() {
    while (!busy_ && !inbox_.empty() && !closing_) {
      WyomingMessage m = std::move(inbox_.front());
      inbox_.pop_front();
      handle(m);
    }
    if (busy_ || closing_ || closed_) return;
    if (protocol_error_) {
      ++server_->stats.protocol_errors;
      HEARTH_LOG_WARN("wyoming", "%s: %s; closing the connection", peer_.c_str(), protocol_error_->c_str());
      fatal(*protocol_error_, "malformed");
      return;
    }
    read();
  }

  // Sends `error` and closes once it is written.
  void fatal(const std::string& text, const std::string& code) {
    send("error", json{{"text", text}, {"code", code}});
    closing_ = true;
    if (!writing_) close();
  }

  void send(const std::string& type, const json& data = json::object(), std::string_view payload = {}) {
    if (closed_) return;
    outbox_.push_back(encode_wyoming(type, data, payload));
    if (!writing_) write_next();
  }

  void write_next() {
    if (outbox_.empty()) {
      writing_ = false;
      if (closing_) linger();
      return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(outbox_.front()),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        if (self->closed_) return;
                        if (ec) {
                          self->close();
                          return;
                        }
                        self->outbox_.pop_front();
                        self->write_next();
                      });
  }

  // After a fatal error: our side is finished (FIN after the error message),
  // and what the client still sends is read and dropped for a moment, so the
  // close does not turn into a reset that could destroy the error message
  // before the client reads it.
  void linger() {
    if (closed_ || lingering_) return;
    lingering_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    idle_.expires_after(std::chrono::seconds(2));
    idle_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      if (!e) self->close();
    });
    discard();
  }
  void discard() {
    socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
      if (self->closed_) return;
      if (ec) {
        self->close();
        return;
      }
      self->discard();
    });
  }

  void error(const std::string& text, const std::string& code) { send("error", json{{"text", text}, {"code", code}}); }

  // ------------------------------------------------------------ messages

  void handle(const WyomingMessage& m) {
    const std::string& t = m.type;
    if (t == "describe") {
      send("info", server_->info());
    } else if (t == "ping") {
      json d = json::object();
      if (auto it = m.data.find("text"); it != m.data.end() && it->is_string()) d["text"] = *it;
      send("pong", d);
    } else if (t == "recognize") {
      recognize(m.data, /*execute=*/false);
    } else if (t == "transcript") {
      recognize(m.data, /*execute=*/true);
    } else if (t == "transcribe") {
      transcriber_.reset();
      transcribe_armed_ = false;
      if (!server_->engines.make_transcriber) {
        error("speech recognition is not available in this hearthd (asr.backend \"none\")", "asr-unavailable");
        return;
      }
      transcriber_ = server_->engines.make_transcriber();
      if (!transcriber_) {
        error("the speech recognizer is still loading (compiling the home's language model); try again shortly",
              "asr-loading");
        return;
      }
      transcribe_armed_ = true;
    } else if (t == "detect") {
      detector_.reset();
      detected_ = false;
      detect_base_ = -1;
      if (server_->engines.make_detector) detector_ = server_->engines.make_detector();
      if (!detector_) {
        error("wake word detection is not available in this hearthd (no wake model loaded)", "wake-unavailable");
        return;
      }
      detect_armed_ = true;
    } else if (t == "audio-start") {
      audio_start(m.data);
    } else if (t == "audio-chunk") {
      audio_chunk(m);
    } else if (t == "audio-stop") {
      audio_stop();
    } else {
      error("unsupported event type '" + t + "'", "unsupported");
    }
  }

  // The area for this message: context.area, else the satellite's.
  std::string area_for(const json& data, const Home& home) {
    std::string sat = context_string(data, "satellite");
    if (!sat.empty()) satellite_ = sat;
    std::string area = context_string(data, "area");
    if (area.empty() && !satellite_.empty()) {
      auto it = server_->cfg.satellite_areas.find(satellite_);
      if (it != server_->cfg.satellite_areas.end()) area = it->second;
    }
    if (area.empty()) return stream_area_;  // from the last audio-start, if any
    return find_area_name(home, area);
  }

  void recognize(const json& data, bool execute) {
    auto it = data.find("text");
    if (it == data.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
        it->get_ref<const std::string&>().size() > kMaxTextBytes) {
      error("\"text\" must be a string of 1.." + std::to_string(kMaxTextBytes) + " bytes", "bad-request");
      return;
    }
    const std::string text = it->get<std::string>();
    std::shared_ptr<const Runtime> rt = server_->app.runtime();
    const std::string area = area_for(data, *rt->home);
    ParseResult parsed = rt->parser->parse(text);
    if (parsed.intent && !area.empty()) {
      ValueMap& slots = parsed.intent->slots;
      // A command without a place ("turn on the lights") happens where the
      // satellite is; a named device or area in the sentence wins.
      if (!slots.count("area") && !slots.count("name") && !slots.count("floor")) {
        slots["area"] = area;
        Result<std::vector<std::string>> targets = resolve_targets(*rt->home, *parsed.intent);
        if (targets) {
          parsed.targets = *targets;
          parsed.problem.reset();
        } else {
          parsed.targets.clear();
          parsed.problem = targets.error();
        }
      }
    }
    json intent_ev{{"text", text},
                   {"intent", parsed.intent ? json(parsed.intent->name) : json(nullptr)},
                   {"slots", parsed.intent ? value_map_to_json(parsed.intent->slots) : json::object()},
                   {"source", parsed.source},
                   {"confidence", parsed.confidence},
                   {"origin", "wyoming"},
                   {"satellite", satellite_},
                   {"area", area}};
    server_->app.events().publish(event_type::kIntent, intent_ev);
    if (!execute) {
      if (!parsed.intent) {
        send("not-recognized", json{{"text", text}});
        return;
      }
      json entities = json::array();
      for (const auto& [name, value] : parsed.intent->slots)
        entities.push_back(json{{"name", name}, {"value", value_to_json_string(value)}});
      json out{{"name", parsed.intent->name}, {"entities", entities}, {"text", text}};
      if (!area.empty()) out["context"] = json{{"area", area}};
      send("intent", out);
      return;
    }
    // The "handle" service: run it.
    busy_ = true;
    AppContext& app = server_->app;
    app.counters().commands.fetch_add(1);
    const auto arrived = app.clock().now();
    const auto started = app.clock().steady_now();
    ParseResult copy = parsed;
    rt->handler->async_handle(
        std::move(copy), "voice",
        [self = shared_from_this(), rt, parsed, arrived, started](CommandOutcome outcome) {
          asio::post(self->socket_.get_executor(), [self, rt, parsed, arrived, started, outcome = std::move(outcome)] {
            AppContext& app = self->server_->app;
            if (!outcome.ok) app.counters().commands_failed.fetch_add(1);
            app.counters().device_actions.fetch_add(outcome.results.size());
            CommandRecord record;
            record.time = arrived;
            record.text = parsed.text;
            record.intent = parsed.intent ? parsed.intent->name : std::string();
            record.slots_json = parsed.intent ? value_map_to_json(parsed.intent->slots).dump() : "{}";
            record.targets_json = json(parsed.targets).dump();
            record.source = parsed.source;
            record.origin = "voice";
            record.confidence = parsed.confidence;
            record.latency_us =
                std::chrono::duration_cast<std::chrono::microseconds>(app.clock().steady_now() - started).count();
            record.ok = outcome.ok;
            record.response = outcome.response;
            app.history().record_command(std::move(record), {});
            HEARTH_LOG_INFO("wyoming", "%s: '%s' → %s: %s", self->peer_.c_str(), parsed.text.c_str(),
                            parsed.intent ? parsed.intent->name.c_str() : "not understood", outcome.response.c_str());
            self->send(outcome.ok ? "handled" : "not-handled", json{{"text", outcome.response}});
            self->busy_ = false;
            self->drain();
          });
        });
  }

  void reset_audio() {
    audio_on_ = false;
    resampler_.reset();
    pcm16k_.clear();
    conv_.clear();
  }

  void audio_start(const json& data) {
    int rate = 0, width = 0, channels = 0;
    if (!read_int(data, "rate", 1000, 384000, &rate) || !read_int(data, "width", 1, 4, &width) ||
        !read_int(data, "channels", 1, 64, &channels)) {
      error("audio-start needs integer rate (1000..384000), width and channels (1..64)", "bad-request");
      return;
    }
    if (width != 2) {
      error("only 16-bit PCM (width 2) is supported, got width " + std::to_string(width), "unsupported-format");
      return;
    }
    reset_audio();
    auto rs = Resampler::create(rate, kSampleRateHz, channels, -1);
    if (!rs) {
      error(rs.error().message, "unsupported-format");
      return;
    }
    resampler_ = std::move(*rs);
    rate_ = rate;
    channels_ = channels;
    audio_on_ = true;
    std::shared_ptr<const Runtime> rt = server_->app.runtime();
    stream_area_.clear();
    stream_area_ = area_for(data, *rt->home);  // kept for the recognize/transcript that follows
  }

  void audio_chunk(const WyomingMessage& m) {
    if (!audio_on_) {
      error("audio-chunk without audio-start", "bad-request");
      return;
    }
    int rate = rate_, width = 2, channels = channels_;
    if (m.data.contains("rate") && !read_int(m.data, "rate", 1000, 384000, &rate)) rate = -1;
    if (m.data.contains("width") && !read_int(m.data, "width", 1, 4, &width)) width = -1;
    if (m.data.contains("channels") && !read_int(m.data, "channels", 1, 64, &channels)) channels = -1;
    if (rate != rate_ || width != 2 || channels != channels_) {
      error("audio-chunk format differs from audio-start (" + std::to_string(rate_) + " Hz, 16-bit, " +
                std::to_string(channels_) + " ch)",
            "bad-request");
      return;
    }
    const size_t frame_bytes = 2 * static_cast<size_t>(channels_);
    if (m.payload.size() % frame_bytes != 0) {
      error("audio-chunk payload is not a whole number of sample frames", "bad-request");
      return;
    }
    conv_.resize(m.payload.size() / 2);
    const auto* p = reinterpret_cast<const unsigned char*>(m.payload.data());
    for (size_t i = 0; i < conv_.size(); ++i) {
      const int16_t v = static_cast<int16_t>(static_cast<uint16_t>(p[2 * i]) | (static_cast<uint16_t>(p[2 * i + 1]) << 8));
      conv_[i] = static_cast<float>(v) / 32768.0f;
    }
    const size_t before = pcm16k_.size();
    resampler_->process(conv_, pcm16k_);
    const size_t limit = static_cast<size_t>(server_->cfg.max_audio_s) * kSampleRateHz;
    if (pcm16k_.size() > limit) {
      ++server_->stats.protocol_errors;
      HEARTH_LOG_WARN("wyoming", "%s: more than %d s of audio in one stream; closing", peer_.c_str(),
                      server_->cfg.max_audio_s);
      fatal("more than " + std::to_string(server_->cfg.max_audio_s) + " s of audio in one stream", "too-long");
      return;
    }
    const std::span<const float> fresh(pcm16k_.data() + before, pcm16k_.size() - before);
    if (detect_armed_ && detector_ && !detected_) {
      // Waiting for the wake word: with transcribe armed too, the command
      // is the audio after the word (as in the voice pipeline), so the
      // recognizer gets nothing before the detection.
      if (detect_base_ < 0) detect_base_ = static_cast<int64_t>(before);
      if (std::optional<WyomingWake> w = detector_->accept(fresh)) {
        detected_ = true;
        const size_t word_end = static_cast<size_t>(
            std::clamp<int64_t>(detect_base_ + w->end_sample, 0, static_cast<int64_t>(pcm16k_.size())));
        const double t = static_cast<double>(word_end) / kSampleRateHz;
        server_->app.events().publish(event_type::kWake, json{{"keyword", w->keyword}, {"time_s", t}, {"origin", "wyoming"},
                                                              {"satellite", satellite_}});
        send("detection", json{{"name", w->keyword}, {"timestamp", static_cast<int64_t>(t * 1000)}});
        if (transcribe_armed_ && transcriber_)
          transcriber_->accept(std::span<const float>(pcm16k_.data() + word_end, pcm16k_.size() - word_end));
      }
    } else if (transcribe_armed_ && transcriber_) {
      transcriber_->accept(fresh);
    }
  }

  void audio_stop() {
    if (!audio_on_) {
      error("audio-stop without audio-start", "bad-request");
      return;
    }
    const bool had_audio = !pcm16k_.empty();
    reset_audio();
    if (detect_armed_) {
      if (!detected_) send("not-detected");  // then an empty transcript if transcribe was armed
      detect_armed_ = false;
    }
    if (!transcribe_armed_ || !transcriber_) return;
    transcribe_armed_ = false;
    if (!had_audio) {
      transcriber_.reset();
      error("transcribe: the stream carried no audio", "no-audio");
      return;
    }
    // The final decode runs on the recognizer's thread; messages after
    // audio-stop wait (in order) until the transcript is sent.
    busy_ = true;
    transcriber_->finish([self = shared_from_this()](Result<WyomingTranscript> r) {
      asio::post(self->socket_.get_executor(), [self, r = std::move(r)]() mutable { self->transcribed(std::move(r)); });
    });
  }

  void transcribed(Result<WyomingTranscript> r) {
    transcriber_.reset();
    busy_ = false;
    if (closed_) return;
    if (!r) {
      error("recognition failed: " + r.error().message, "asr-failed");
    } else {
      HEARTH_LOG_INFO("wyoming", "%s: transcript '%s' (heard '%s', confidence %.2f)", peer_.c_str(), r->text.c_str(),
                      r->heard.c_str(), static_cast<double>(r->confidence));
      server_->app.events().publish(event_type::kTranscript,
                                    json{{"text", r->text}, {"confidence", r->confidence}, {"origin", "wyoming"},
                                         {"satellite", satellite_}});
      send("transcript", json{{"text", r->text}, {"confidence", std::round(r->confidence * 1000) / 1000}});
    }
    drain();
  }

  std::shared_ptr<Impl> server_;
  tcp::socket socket_;
  asio::steady_timer idle_;
  std::string peer_;
  WyomingParser parser_;  // default limits (wyoming_protocol.h)
  std::array<char, kReadChunk> buf_{};
  std::deque<WyomingMessage> inbox_;
  std::deque<std::string> outbox_;
  std::optional<std::string> protocol_error_;
  bool writing_ = false, closing_ = false, closed_ = false, busy_ = false, lingering_ = false;
  std::string satellite_;  // named by the client (audio-start / recognize)
  // audio
  bool audio_on_ = false;
  int rate_ = 0, channels_ = 0;
  std::unique_ptr<Resampler> resampler_;
  std::vector<float> conv_, pcm16k_;
  std::string stream_area_;
  std::unique_ptr<WyomingTranscriber> transcriber_;
  std::unique_ptr<WyomingWakeDetector> detector_;
  bool transcribe_armed_ = false, detect_armed_ = false, detected_ = false;
  int64_t detect_base_ = -1;  // pcm16k_ index of the detector's first sample
};

json WyomingServer::Impl::info() const {
  const bool asr = static_cast<bool>(engines.make_transcriber);
  const bool wake = static_cast<bool>(engines.make_detector);
  json wake_models = json::array();
  for (const std::string& w : engines.wake_words) {
    json m = model(w, "Hearth wake word '" + w + "'", wake);
    m["phrase"] = w;
    wake_models.push_back(m);
  }
  if (wake_models.empty()) wake_models.push_back(model("hearth-wake", "Hearth wake word (no model loaded)", false));
  json j;
  j["asr"] = json::array({program("hearth-asr", "Hearth speech recognizer", asr,
                                  json::array({model("hearth-en", "Hearth recognizer, home-specific English", asr)}))});
  j["wake"] = json::array({program("hearth-wake", "Hearth wake word detector", wake, wake_models)});
  j["intent"] = json::array({program("hearth-intent", "Hearth template intent parser", true,
                                     json::array({model("hearth-templates", "Built-in English templates + custom sentences", true)}))});
  j["handle"] = json::array({program("hearth-handle", "Hearth intent handler (runs commands)", true,
                                     json::array({model("hearth-handler", "Runs intents on the home's devices", true)}))});
  j["tts"] = json::array();
  return j;
}

void WyomingServer::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
    if (self->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      HEARTH_LOG_WARN("wyoming", "accept: %s", ec.message().c_str());
      self->accept();
      return;
    }
    if (self->sessions.size() >= static_cast<size_t>(self->cfg.max_connections)) {
      ++self->stats.rejected;
      std::string refusal = encode_wyoming(
          "error", json{{"text", "too many connections (max " + std::to_string(self->cfg.max_connections) + ")"},
                        {"code", "busy"}});
      boost::system::error_code wec;
      asio::write(socket, asio::buffer(refusal), wec);
      socket.close(wec);
    } else {
      ++self->stats.connections;
      auto session = std::make_shared<Session>(self, std::move(socket));
      self->sessions.insert(session);
      self->stats.open = self->sessions.size();
      session->start();
    }
    self->accept();
  });
}

WyomingServer::WyomingServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
WyomingServer::~WyomingServer() { stop(); }

Result<std::unique_ptr<WyomingServer>> WyomingServer::start(asio::io_context& ioc, const WyomingConfig& cfg,
                                                            AppContext& app, WyomingEngines engines) {
  std::string host;
  uint16_t port = 0;
  if (!split_listen_address(cfg.listen, &host, &port))
    return Error{Code::kBadInput, "wyoming.listen: expected host:port, got '" + cfg.listen + "'"};
  auto impl = std::make_shared<Impl>(ioc, cfg, app, std::move(engines));
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return Error{Code::kBadInput, "wyoming.listen: bad address '" + host + "': " + ec.message()};
  const tcp::endpoint ep(addr, port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{Code::kUnavailable, "wyoming: cannot listen on " + cfg.listen + ": " + ec.message()};
  impl->accept();
  return std::unique_ptr<WyomingServer>(new WyomingServer(std::move(impl)));
}

uint16_t WyomingServer::port() const {
  boost::system::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void WyomingServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  auto sessions = impl_->sessions;  // close() erases
  for (const auto& s : sessions) s->close();
}

WyomingServer::Stats WyomingServer::stats() const {
  Stats s = impl_->stats;
  s.open = impl_->sessions.size();
  return s;
}

}  // namespace hearth
