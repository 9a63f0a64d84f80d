// hearth: the command-line companion of hearthd.
//   hearth parse [--home FILE] [--config FILE]   sentences on stdin → one JSON line each
//   hearth say "TEXT" [--url URL] [--json]       run a command on a running hearthd
//   hearth devices [--url URL] [--json]          list devices and their states
//   hearth check-config FILE                     validate a config file
//   hearth audio devices [--json]                list capture devices
//   hearth audio denoise IN OUT [--strength S]   noise-suppress a recording → 16 kHz WAV
//   hearth audio vad FILE                        speech regions as JSON lines
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/audio/audio.h"
#include "hearth/common/log.h"
#include "hearth/daemon/app.h"
#include "hearth/daemon/config.h"
#include "hearth/daemon/http_client.h"
#include "hearth/nlu/cascade.h"
#include "hearth/nlu/llm.h"
#include "hearth/nlu/nlu.h"

#include "cli_habits.h"
#include "cli_token.h"
#include "cli_voice.h"
#include "cli_wakeword.h"

namespace {

using nlohmann::json;

constexpr const char* kDefaultUrl = "http://127.0.0.1:8765";
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

constexpr const char* kUsage =
    "usage: hearth <command> [options]\n"
    "\n"
    "commands:\n"
    "  parse         parse sentences from stdin into intents (no daemon needed)\n"
    "  say TEXT      send a command to a running hearthd and print its answer\n"
    "  devices       list the devices of a running hearthd and their states\n"
    "  check-config  validate a hearthd config file\n"
    "  audio         capture devices, noise suppression and voice activity on files\n"
    "  habits        mine a history file for routines; simulate a household's history\n"
    "  history       import/export history events as JSON lines\n"
    "  llm           GGUF models: info, generate, bench, quantize, random\n"
    "  transcribe    speech recognition on recordings (language model compiled from the home)\n"
    "  pipeline      wake word -> recognizer -> intent -> actions on recordings\n"
    "  wakeword      wake-word models: detect on files, eval (DET table), train a custom word\n"
    "  token         API tokens: create, list, revoke\n"
    "  pair          print a one-time pairing code for the companion app\n"
    "\n"
    "Run 'hearth <command> --help' for a command's options.\n";

constexpr const char* kParseUsage =
    "usage: hearth parse [--home FILE] [--config FILE] [--model FILE.gguf] [--no-grammar] [--no-llm] [--no-cloud]\n"
    "\n"
    "Reads one sentence per line on stdin and prints one JSON line per sentence:\n"
    "  {\"text\", \"intent\": {\"name\", \"slots\"} | null, \"targets\", \"confidence\", \"source\",\n"
    "   \"needs_confirmation\", \"layers\"}   (source: template | frames | custom | llm | cloud | none)\n"
    "  --home FILE    home definition (default: the config's home, else the embedded demo home)\n"
    "  --config FILE  hearthd config whose nlu.custom_intents, nlu.llm and nlu.cloud are used\n"
    "  --model FILE   on-device intent model (GGUF; default: the config's nlu.llm.model_path)\n"
    "  --no-grammar / --no-llm / --no-cloud   skip a layer of the cascade (for evaluation)\n";

constexpr const char* kSayUsage =
    "usage: hearth say TEXT... [--url URL] [--json]\n"
    "\n"
    "Sends TEXT to POST /api/v1/command of a running hearthd and prints the answer.\n"
    "  --url URL  daemon address (default: $HEARTH_URL, else http://127.0.0.1:8765)\n"
    "  --json     print the whole JSON reply\n"
    "Exit status: 0 done, 1 not understood or an action failed, 3 daemon not reachable.\n";

constexpr const char* kDevicesUsage =
    "usage: hearth devices [--url URL] [--json]\n"
    "\n"
    "Prints a table of the devices of a running hearthd with their states.\n"
    "  --url URL  daemon address (default: $HEARTH_URL, else http://127.0.0.1:8765)\n"
    "  --json     print the JSON reply instead of a table\n";

constexpr const char* kCheckUsage =
    "usage: hearth check-config FILE\n"
    "\n"
    "Validates FILE and everything it names (home file, custom sentences). Prints\n"
    "\"config ok\" or every problem with its JSON path. Exit status 0 when ok.\n";

constexpr const char* kAudioUsage =
    "usage: hearth audio <command> [options]\n"
    "\n"
    "commands:\n"
    "  devices              list capture devices (names for audio.capture.device)\n"
    "  denoise IN OUT       noise-suppress IN (WAV/FLAC/OGG, any rate) into a 16 kHz mono WAV\n"
    "  vad FILE             print the speech regions of FILE as JSON lines\n"
    "\n"
    "Run 'hearth audio <command> --help' for a command's options.\n";

constexpr const char* kAudioDevicesUsage =
    "usage: hearth audio devices [--json]\n"
    "\n"
    "Lists the capture devices PortAudio sees, the default marked with '*'. Use a NAME\n"
    "(exact or a unique part) or \"#INDEX\" as audio.capture.device in the hearthd config.\n"
    "  --json  one JSON line per device: {\"index\", \"name\", \"host_api\",\n"
    "          \"max_input_channels\", \"default_rate_hz\", \"is_default\"}\n"
    "Exit status: 0 (also when there are no devices), 1 when the audio system cannot start.\n";

constexpr const char* kAudioDenoiseUsage =
    "usage: hearth audio denoise IN OUT [--strength S]\n"
    "\n"
    "Reads IN (any WAV/FLAC/OGG libsndfile reads, any rate and channel count; channels\n"
    "are mixed), resamples to 16 kHz, runs hearthd's noise suppressor and writes OUT\n"
    "as 16-bit mono 16 kHz WAV, time-aligned with IN.\n"
    "  --strength S  0..1, maximum attenuation 6 + 24*S dB (default 0.6 as in hearthd)\n"
    "Exit status: 0 written, 1 unreadable/corrupt input or unwritable output, 2 usage.\n";

constexpr const char* kAudioVadUsage =
    "usage: hearth audio vad FILE\n"
    "\n"
    "Runs hearthd's front end (noise suppression + voice activity detection, default\n"
    "settings) over FILE (any WAV/FLAC/OGG) and prints one JSON line per speech region:\n"
    "  {\"start_ms\":480,\"end_ms\":1730}\n"
    "Times are in the file's time line; regions include the VAD's hangover.\n"
    "Exit status: 0 (also when there is no speech), 1 unreadable/corrupt file, 2 usage.\n";

struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // --name value
  std::vector<std::string> flags;                            // --json, --help
  std::string error;
};

// Splits argv[first..] into positionals, options with values and flags.
Args parse_args(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags) {
  Args out;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h") arg = "--help";
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      out.flags.push_back(name);
    } else if (std::find(with_value.begin(), with_value.end(), name) != with_value.end()) {
      if (!value) {
        if (i + 1 >= argc) {
          out.error = name + " needs a value";
          return out;
        }
        value = argv[++i];
      }
      out.options.emplace_back(name, *value);
    } else {
      out.error = "unknown option '" + arg + "'";
      return out;
    }
  }
  return out;
}

bool has_flag(const Args& a, std::string_view flag) {
  return std::find(a.flags.begin(), a.flags.end(), flag) != a.flags.end();
}

std::optional<std::string> option(const Args& a, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [k, v] : a.options) {
    if (k == name) out = v;
  }
  return out;
}

// --url, else $HEARTH_URL, else the default.
std::string daemon_url(const Args& a) {
  if (std::optional<std::string> url = option(a, "--url")) return *url;
  if (const char* env = std::getenv("HEARTH_URL"); env && env[0] != '\0') return env;
  return kDefaultUrl;
}

// Calls the daemon; prints a clear message when it is not reachable.
std::optional<hearth::HttpReply> call_daemon(const std::string& url_text, const hearth::HttpCall& call, int* exit_code) {
  hearth::Result<hearth::HttpUrl> url = hearth::parse_http_url(url_text);
  if (!url) {
    std::fprintf(stderr, "hearth: %s\n", url.error().message.c_str());
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  hearth::Result<hearth::HttpReply> reply = hearth::http_request(*url, call);
  if (!reply) {
    std::fprintf(stderr,
                 "hearth: cannot reach hearthd at %s (%s).\n"
                 "Is it running? Start it with 'hearthd', or point --url / $HEARTH_URL at it.\n",
                 url_text.c_str(), reply.error().message.c_str());
    *exit_code = kExitUnreachable;
    return std::nullopt;
  }
  return std::move(*reply);
}

// Prints an API error reply ({"error": {"code", "message"}}) readably.
void print_api_error(const hearth::HttpReply& reply) {
  json j = json::parse(reply.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    std::fprintf(stderr, "hearth: %d %s: %s\n", reply.status, j["error"].value("code", "").c_str(),
                 j["error"].value("message", "").c_str());
  } else {
    std::fprintf(stderr, "hearth: HTTP %d: %s\n", reply.status, reply.body.c_str());
  }
}

int cmd_parse(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"--home", "--config", "--model"}, {"--help", "--no-grammar", "--no-llm", "--no-cloud"});
  if (has_flag(a, "--help")) {
    std::fputs(kParseUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || !a.positional.empty()) {
    std::fprintf(stderr, "hearth parse: %s\n\n%s",
                 a.error.empty() ? "unexpected argument" : a.error.c_str(), kParseUsage);
    return kExitUsage;
  }
  hearth::set_log_level(hearth::LogLevel::kWarn);
  hearth::NluConfig nlu;
  hearth::LlmIntentConfig llm_cfg;   // issue 7: the cascade's LLM and cloud layers
  hearth::CloudConfig cloud_cfg;
  std::string home_name = std::string(hearth::kBuiltinDemoHome);
  hearth::ConfigErrors errors;
  if (std::optional<std::string> config_path = option(a, "--config")) {
    hearth::Result<hearth::DaemonConfig> cfg = hearth::load_config(*config_path, errors);
    if (!cfg) {
      std::cerr << errors.to_string();
      return 1;
    }
    nlu = cfg->nlu;
    llm_cfg = cfg->nlu_llm;
    cloud_cfg = cfg->nlu_cloud;
    home_name = cfg->home;
  }
  if (std::optional<std::string> model = option(a, "--model")) {
    llm_cfg.model_path = *model;
    llm_cfg.enabled = true;
  }
  if (std::optional<std::string> home_path = option(a, "--home")) home_name = *home_path;
  hearth::Result<hearth::Home> home = hearth::load_home(home_name, errors);
  if (!home) {
    std::cerr << errors.to_string();
    return 1;
  }
  nlu.validate(*home, errors);
  if (!errors.empty()) {
    std::cerr << errors.to_string();
    return 1;
  }
  hearth::Result<std::unique_ptr<hearth::TemplateParser>> parser = hearth::make_template_parser(*home, nlu);
  if (!parser) {
    std::fprintf(stderr, "hearth parse: %s\n", parser.error().message.c_str());
    return 1;
  }
  std::unique_ptr<hearth::LlmIntentParser> llm;
  if (llm_cfg.enabled && !llm_cfg.model_path.empty() && !has_flag(a, "--no-llm")) {
    auto l = hearth::make_llm_intent_parser(*home, llm_cfg);
    if (!l) {
      std::fprintf(stderr, "hearth parse: %s\n", l.error().message.c_str());
      return 1;
    }
    llm = std::move(*l);
  }
  std::unique_ptr<hearth::CloudIntentClient> cloud;
  if (cloud_cfg.enabled && !has_flag(a, "--no-cloud")) {
    auto c = hearth::make_cloud_client(*home, cloud_cfg);
    if (!c) {
      std::fprintf(stderr, "hearth parse: %s\n", c.error().message.c_str());
      return 1;
    }
    cloud = std::move(*c);
  }
  auto cascade = hearth::make_cascade(*home, **parser, std::move(llm), llm_cfg, std::move(cloud), cloud_cfg, nullptr);
  hearth::CascadeOptions opt;
  opt.grammar = !has_flag(a, "--no-grammar");
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::cout << hearth::cascade_result_to_json(cascade->parse(line, opt)) << "\n";
  }
  std::cout.flush();
  return 0;
}

int cmd_say(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"--url"}, {"--help", "--json"});
  if (has_flag(a, "--help")) {
    std::fputs(kSayUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || a.positional.empty()) {
    std::fprintf(stderr, "hearth say: %s\n\n%s", a.error.empty() ? "no text given" : a.error.c_str(), kSayUsage);
    return kExitUsage;
  }
  std::string text;
  for (const std::string& word : a.positional) text += (text.empty() ? "" : " ") + word;
  hearth::HttpCall call;
  call.method = "POST";
  call.target = "/api/v1/command";
  call.body = json{{"text", text}, {"origin", "cli"}}.dump();
  int exit_code = 0;
  std::optional<hearth::HttpReply> reply = call_daemon(daemon_url(a), call, &exit_code);
  if (!reply) return exit_code;
  if (reply->status != 200) {
    print_api_error(*reply);
    return 1;
  }
  json j = json::parse(reply->body, nullptr, false);
  if (!j.is_object()) {
    std::fprintf(stderr, "hearth say: the daemon sent a reply that is not JSON\n");
    return 1;
  }
  if (has_flag(a, "--json")) {
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << j.value("response", "") << "\n";
  }
  return j.value("ok", false) ? 0 : 1;
}

int cmd_devices(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {"--url"}, {"--help", "--json"});
  if (has_flag(a, "--help")) {
    std::fputs(kDevicesUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || !a.positional.empty()) {
    std::fprintf(stderr, "hearth devices: %s\n\n%s", a.error.empty() ? "unexpected argument" : a.error.c_str(),
                 kDevicesUsage);
    return kExitUsage;
  }
  hearth::HttpCall call;
  call.target = "/api/v1/devices";
  int exit_code = 0;
  std::optional<hearth::HttpReply> reply = call_daemon(daemon_url(a), call, &exit_code);
  if (!reply) return exit_code;
  if (reply->status != 200) {
    print_api_error(*reply);
    return 1;
  }
  json j = json::parse(reply->body, nullptr, false);
  if (!j.is_object() || !j.contains("devices") || !j["devices"].is_array()) {
    std::fprintf(stderr, "hearth devices: unexpected reply from the daemon\n");
    return 1;
  }
  if (has_flag(a, "--json")) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  // Columns: ID, NAME, AREA, STATE, DETAILS (attributes).
  std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "AREA", "STATE", "DETAILS"}};
  for (const json& d : j["devices"]) {
    if (!d.is_object()) continue;
    std::string details;
    if (d.contains("attributes") && d["attributes"].is_object()) {
      for (auto it = d["attributes"].begin(); it != d["attributes"].end(); ++it) {
        if (!details.empty()) details += " ";
        details += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
      }
    }
    rows.push_back({d.value("id", ""), d.value("name", ""), d.value("area_name", ""), d.value("state", ""), details});
  }
  std::vector<size_t> widths(5, 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c + 1 < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
  return 0;
}

int cmd_check_config(int argc, char** argv) {
  Args a = parse_args(argc, argv, 2, {}, {"--help"});
  if (has_flag(a, "--help")) {
    std::fputs(kCheckUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || a.positional.size() != 1) {
    std::fprintf(stderr, "hearth check-config: %s\n\n%s",
                 a.error.empty() ? "expected exactly one FILE" : a.error.c_str(), kCheckUsage);
    return kExitUsage;
  }
  hearth::set_log_level(hearth::LogLevel::kWarn);
  return hearth::check_config(a.positional[0], {}, std::cout, std::cerr);
}

int cmd_audio_devices(int argc, char** argv) {
  Args a = parse_args(argc, argv, 3, {}, {"--help", "--json"});
  if (has_flag(a, "--help")) {
    std::fputs(kAudioDevicesUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || !a.positional.empty()) {
    std::fprintf(stderr, "hearth audio devices: %s\n\n%s",
                 a.error.empty() ? "unexpected argument" : a.error.c_str(), kAudioDevicesUsage);
    return kExitUsage;
  }
  hearth::Result<std::vector<hearth::CaptureDeviceInfo>> devices = hearth::list_capture_devices();
  if (!devices) {
    std::fprintf(stderr, "hearth audio devices: %s\n", devices.error().message.c_str());
    return 1;
  }
  if (has_flag(a, "--json")) {
    for (const hearth::CaptureDeviceInfo& d : *devices) {
      std::cout << json{{"index", d.index},
                        {"name", d.name},
                        {"host_api", d.host_api},
                        {"max_input_channels", d.max_input_channels},
                        {"default_rate_hz", d.default_rate_hz},
                        {"is_default", d.is_default}}
                       .dump()
                << "\n";
    }
    return 0;
  }
  if (devices->empty()) {
    std::fprintf(stderr, "hearth audio devices: no capture devices found (no sound card, or no access to it)\n");
    return 0;
  }
  std::printf("   %-5s %-40s %-8s %-8s %s\n", "INDEX", "NAME", "HOST", "CHANNELS", "RATE_HZ");
  for (const hearth::CaptureDeviceInfo& d : *devices) {
    std::printf(" %c #%-4d %-40s %-8s %-8d %.0f\n", d.is_default ? '*' : ' ', d.index, d.name.c_str(),
                d.host_api.c_str(), d.max_input_channels, d.default_rate_hz);
  }
  return 0;
}

// Parses a float in full ("0.5"); false for "", "abc", "0.5x".
bool parse_float(const std::string& text, float* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return false;
  *out = v;
  return true;
}

int cmd_audio_denoise(int argc, char** argv) {
  Args a = parse_args(argc, argv, 3, {"--strength"}, {"--help"});
  if (has_flag(a, "--help")) {
    std::fputs(kAudioDenoiseUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || a.positional.size() != 2) {
    std::fprintf(stderr, "hearth audio denoise: %s\n\n%s",
                 a.error.empty() ? "expected IN and OUT" : a.error.c_str(), kAudioDenoiseUsage);
    return kExitUsage;
  }
  hearth::NsConfig ns;
  if (std::optional<std::string> strength = option(a, "--strength")) {
    if (!parse_float(*strength, &ns.strength)) {
      std::fprintf(stderr, "hearth audio denoise: --strength: expected a number in [0, 1], got '%s'\n",
                   strength->c_str());
      return kExitUsage;
    }
    hearth::ConfigErrors errors;
    ns.validate(errors, "--strength");
    if (!errors.empty()) {
      std::fprintf(stderr, "hearth audio denoise: --strength: %s\n", errors.entries()[0].message.c_str());
      return kExitUsage;
    }
  }
  hearth::set_log_level(hearth::LogLevel::kWarn);
  const std::string& in_path = a.positional[0];
  const std::string& out_path = a.positional[1];
  hearth::AudioFileInfo info;
  hearth::Result<std::vector<float>> in = hearth::read_audio_file(in_path, -1, &info);
  if (!in) {
    std::fprintf(stderr, "hearth audio denoise: %s\n", in.error().message.c_str());
    return 1;
  }
  hearth::Result<std::vector<float>> out = hearth::denoise_signal(*in, ns);
  if (!out) {
    std::fprintf(stderr, "hearth audio denoise: %s\n", out.error().message.c_str());
    return 1;
  }
  hearth::Result<void> written = hearth::write_wav(out_path, *out);
  if (!written) {
    std::fprintf(stderr, "hearth audio denoise: %s\n", written.error().message.c_str());
    return 1;
  }
  std::printf("%s (%s, %d Hz, %d ch) -> %s (WAV, 16000 Hz, mono): %.2f s, strength %g\n", in_path.c_str(),
              info.format.c_str(), info.sample_rate_hz, info.n_channels, out_path.c_str(),
              static_cast<double>(out->size()) / hearth::kSampleRateHz, static_cast<double>(ns.strength));
  return 0;
}

int cmd_audio_vad(int argc, char** argv) {
  Args a = parse_args(argc, argv, 3, {}, {"--help"});
  if (has_flag(a, "--help")) {
    std::fputs(kAudioVadUsage, stdout);
    return 0;
  }
  if (!a.error.empty() || a.positional.size() != 1) {
    std::fprintf(stderr, "hearth audio vad: %s\n\n%s", a.error.empty() ? "expected one FILE" : a.error.c_str(),
                 kAudioVadUsage);
    return kExitUsage;
  }
  hearth::set_log_level(hearth::LogLevel::kWarn);
  hearth::Result<std::vector<float>> in = hearth::read_audio_file(a.positional[0]);
  if (!in) {
    std::fprintf(stderr, "hearth audio vad: %s\n", in.error().message.c_str());
    return 1;
  }
  std::vector<hearth::FrameInfo> frames;  // aligned with the input, one per 10 ms
  hearth::Result<std::vector<float>> out = hearth::denoise_signal(*in, hearth::NsConfig{}, &frames);
  if (!out) {
    std::fprintf(stderr, "hearth audio vad: %s\n", out.error().message.c_str());
    return 1;
  }
  constexpr int64_t kFrameMs = 1000 * hearth::kFrameSamples / hearth::kSampleRateHz;
  const int64_t total_ms = static_cast<int64_t>(in->size()) * 1000 / hearth::kSampleRateHz;
  int64_t start = -1;
  for (size_t f = 0; f <= frames.size(); ++f) {
    const bool speech = f < frames.size() && frames[f].speech;
    const int64_t t = static_cast<int64_t>(f) * kFrameMs;
    if (speech && start < 0) start = t;
    if (!speech && start >= 0) {
      // Written by hand: nlohmann::json would sort the keys (end_ms first).
      std::printf("{\"start_ms\":%lld,\"end_ms\":%lld}\n", static_cast<long long>(start),
                  static_cast<long long>(std::min(t, total_ms)));
      start = -1;
    }
  }
  return 0;
}

int cmd_audio(int argc, char** argv) {
  const std::string_view sub = argc > 2 ? argv[2] : "";
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kAudioUsage, stdout);
    return 0;
  }
  if (sub == "devices") return cmd_audio_devices(argc, argv);
  if (sub == "denoise") return cmd_audio_denoise(argc, argv);
  if (sub == "vad") return cmd_audio_vad(argc, argv);
  if (sub.empty()) {
    std::fputs(kAudioUsage, stderr);
  } else {
    std::fprintf(stderr, "hearth audio: unknown command '%s'\n\n%s", argv[2], kAudioUsage);
  }
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("hearth %s\n", hearth::hearth_version());
    return 0;
  }
  if (command == "parse") return cmd_parse(argc, argv);
  if (command == "say") return cmd_say(argc, argv);
  if (command == "devices") return cmd_devices(argc, argv);
  if (command == "check-config") return cmd_check_config(argc, argv);
  if (command == "audio") return cmd_audio(argc, argv);
  if (command == "habits" || command == "history") {
    std::vector<std::string> rest(argv + 2, argv + argc);
    return command == "habits" ? hearth::run_habits_command(rest, std::cout, std::cerr)
                               : hearth::run_history_command(rest, std::cout, std::cerr);
  }
  if (command == "token" || command == "pair") {  // issue 10 (cli_token.cc)
    std::vector<std::string> rest(argv + 2, argv + argc);
    return command == "token" ? hearth::run_token_command(rest, std::cout, std::cerr)
                              : hearth::run_pair_command(rest, std::cout, std::cerr);
  }
  if (command == "transcribe" || command == "pipeline")  // issue 5 (cli_voice.cc)
    return hearth::run_voice_command(command, std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  if (command == "wakeword") return hearth::run_wakeword_command(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);  // issue 4
  if (command == "llm") return hearth::run_llm_command(std::vector<std::string>(argv + 2, argv + argc), stdout, stderr);
  std::fprintf(stderr, "hearth: unknown command '%s'\n\n%s", argv[1], kUsage);
  return kExitUsage;
}
