// `hearth transcribe` and `hearth pipeline` (issue 5): the recognizer and the
// whole voice pipeline on recordings, no daemon needed.

#include "cli_voice.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "hearth/audio/audio.h"
#include "hearth/common/log.h"
#include "hearth/common/value_json.h"
#include "hearth/daemon/config.h"
#include "hearth/daemon/intent_handler.h"
#include "hearth/wakeword/detector.h"
#include "voice_pipeline.h"

namespace hearth {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kTranscribeUsage =
    "usage: hearth transcribe [--home FILE] [--config FILE] [--asr JSON] [--baseline] [--ns] AUDIO...\n"
    "\n"
    "Recognizes each AUDIO file (any WAV/FLAC/OGG, resampled to 16 kHz) with the\n"
    "language model compiled from the home and prints one JSON line per file:\n"
    "  {\"file\", \"text\", \"confidence\", \"words\": [{word, start_ms, end_ms, confidence}],\n"
    "   \"rtf\", \"nbest\", \"open_text\", \"fit_deficit\", \"posterior\"}\n"
    "  --home FILE    home definition (default: the config's home, else the demo home)\n"
    "  --config FILE  hearthd config (its asr block and nlu.custom_intents are used)\n"
    "  --asr JSON     an \"asr\" object overriding the config's (e.g. '{\"pocketsphinx\":{\"lw\":8}}')\n"
    "  --baseline     PocketSphinx's stock generic LM instead of the compiled one\n"
    "  --ns           noise-suppress the audio first\n"
    "Exit status: 0 all files decoded, 1 a file could not be read or the models failed, 2 usage.\n";

constexpr const char* kPipelineUsage =
    "usage: hearth pipeline [--home FILE] [--config FILE] [--asr JSON] [--no-wake]\n"
    "                       [--wake-model FILE] [--ns] [--baseline] AUDIO...\n"
    "\n"
    "Runs wake word → recognizer → intent → action plan on each recording and prints\n"
    "one JSON line per file:\n"
    "  {\"file\", \"wake\", \"transcript\", \"confidence\", \"intent\", \"targets\", \"actions\",\n"
    "   \"latency_ms\": {\"end_of_speech_to_transcript\", \"to_intent\", \"to_action\"}}\n"
    "  --no-wake          the file holds only the command (no wake word)\n"
    "  --wake-model FILE  wake-word model (hearth-kws GGUF); required without --no-wake\n"
    "Actions are planned (plan_intent), not run: there is no device bus here.\n"
    "end_of_speech_to_transcript = endpoint hangover (audio time) + final decode time.\n"
    "Exit status: 0 all files processed, 1 a file could not be read or the models failed, 2 usage.\n";

struct Options {
  std::string home, config, asr_json, wake_model;
  bool baseline = false, ns = false, no_wake = false, help = false;
  std::vector<std::string> files;
  std::string error;
};

Options parse_options(const std::vector<std::string>& args, bool pipeline) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) {
        o.error = a + " needs a value";
        return;
      }
      *out = args[++i];
    };
    if (a == "--help" || a == "-h") o.help = true;
    else if (a == "--home") value(&o.home);
    else if (a == "--config") value(&o.config);
    else if (a == "--asr") value(&o.asr_json);
    else if (a == "--baseline") o.baseline = true;
    else if (a == "--ns") o.ns = true;
    else if (pipeline && a == "--no-wake") o.no_wake = true;
    else if (pipeline && a == "--wake-model") value(&o.wake_model);
    else if (a.size() > 1 && a[0] == '-') o.error = "unknown option " + a;
    else o.files.push_back(a);
    if (!o.error.empty()) break;
  }
  if (o.error.empty() && !o.help && o.files.empty()) o.error = "no audio files given";
  if (o.error.empty() && pipeline && !o.help && !o.no_wake && o.wake_model.empty())
    o.error = "give --wake-model FILE, or --no-wake when the files hold only the command";
  return o;
}

double round3(double v) { return std::round(v * 1000) / 1000; }

struct Setup {
  // Heap-held: the parser keeps a pointer to it and Setup is moved around.
  std::unique_ptr<Home> home;
  NluConfig nlu;
  AsrConfig asr;
  std::shared_ptr<const VoiceModels> models;
  std::unique_ptr<TemplateParser> parser;
  std::unique_ptr<RecognizerStream> stream;  // one stream, reset between files
};

Result<Setup> load_setup(const Options& o, std::ostream& err) {
  Setup s;
  ConfigErrors errors;
  std::string home_name(kBuiltinDemoHome);
  if (!o.config.empty()) {
    auto cfg = load_config(o.config, errors);
    if (!cfg) {
      err << errors.to_string();
      return Error{Code::kBadInput, "bad config " + o.config};
    }
    s.nlu = cfg->nlu;
    s.asr = cfg->asr;
    home_name = cfg->home;
  }
  if (!o.home.empty()) home_name = o.home;
  if (!o.asr_json.empty()) parse_asr_config(o.asr_json, &s.asr, errors, "--asr");
  s.asr.validate(errors, "asr");
  if (!errors.empty()) {
    err << errors.to_string();
    return Error{Code::kBadInput, "bad asr settings"};
  }
  auto home = load_home(home_name, errors);
  if (!home) {
    err << errors.to_string();
    return Error{Code::kBadInput, "bad home " + home_name};
  }
  s.home = std::make_unique<Home>(std::move(*home));
  s.nlu.validate(*s.home, errors);
  if (!errors.empty()) {
    err << errors.to_string();
    return Error{Code::kBadInput, "bad custom intents"};
  }
  auto parser = make_template_parser(*s.home, s.nlu);
  if (!parser) return parser.error();
  s.parser = std::move(*parser);
  auto models = build_voice_models(*s.home, s.nlu, s.asr, std::filesystem::temp_directory_path().string(), o.baseline);
  if (!models) return models.error();
  s.models = std::move(*models);
  s.stream = s.models->recognizer->create_stream(StreamOptions{});
  if (!s.stream) return Error{Code::kInternal, "the recognizer could not start (see the log)"};
  return s;
}

json words_json(const Transcript& t) {
  json words = json::array();
  for (const WordTiming& w : t.words)
    words.push_back({{"word", w.word}, {"start_ms", w.start_ms}, {"end_ms", w.end_ms}, {"confidence", round3(w.confidence)}});
  return words;
}

int run_transcribe(const Options& o, std::ostream& out, std::ostream& err) {
  auto setup = load_setup(o, err);
  if (!setup) {
    err << "hearth transcribe: " << setup.error().message << "\n";
    return 1;
  }
  RecognizerStream* stream = setup->stream.get();
  int rc = 0;
  for (const std::string& file : o.files) {
    auto pcm = read_audio_file(file);
    if (!pcm) {
      out << json{{"file", file}, {"error", pcm.error().message}}.dump() << "\n";
      rc = 1;
      continue;
    }
    std::vector<float> audio = std::move(*pcm);
    if (o.ns) {
      auto d = denoise_signal(audio, NsConfig{});
      if (d) audio = std::move(*d);
    }
    stream->reset();
    auto t0 = SteadyClock::now();
    for (size_t off = 0; off < audio.size(); off += 1600) {
      stream->accept(std::span<const float>(audio).subspan(off, std::min<size_t>(1600, audio.size() - off)));
      if (stream->is_ready()) (void)stream->decode();
    }
    stream->input_finished();
    while (stream->is_ready())
      if (!stream->decode()) break;
    const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
    if (stream->result().confidence < setup->asr.pocketsphinx.open_threshold) (void)stream->decode_open();
    Transcript t = stream->result();
    const double audio_ms = static_cast<double>(audio.size()) * 1000.0 / kSampleRateHz;
    out << json{{"file", file},
                {"text", t.text},
                {"confidence", round3(t.confidence)},
                {"words", words_json(t)},
                {"rtf", audio_ms > 0 ? round3(ms / audio_ms) : 0.0},
                {"nbest", t.nbest},
                {"open_text", t.open_text},
                {"fit_deficit", round3(t.fit_deficit)},
                {"posterior", round3(t.posterior)}}
               .dump()
        << "\n";
    out.flush();
  }
  return rc;
}

int run_pipeline(const Options& o, std::ostream& out, std::ostream& err) {
  auto setup = load_setup(o, err);
  if (!setup) {
    err << "hearth pipeline: " << setup.error().message << "\n";
    return 1;
  }
  std::shared_ptr<const WakeModel> wake_model;
  if (!o.no_wake) {
    auto m = load_wake_model(o.wake_model);
    if (!m) {
      err << "hearth pipeline: " << m.error().message << "\n";
      return 1;
    }
    wake_model = std::move(*m);
  }
  RecognizerStream* stream = setup->stream.get();
  const float vad_threshold = VadConfig{}.threshold;
  int rc = 0;
  for (const std::string& file : o.files) {
    auto pcm = read_audio_file(file);
    if (!pcm) {
      out << json{{"file", file}, {"error", pcm.error().message}}.dump() << "\n";
      rc = 1;
      continue;
    }
    json line = {{"file", file}};
    int64_t start_sample = 0;
    if (wake_model) {
      auto det = make_wake_detector({WakeWordSpec{wake_model}});
      if (!det) {
        err << "hearth pipeline: " << det.error().message << "\n";
        return 1;
      }
      std::optional<WakeEvent> ev;
      const std::vector<float>& a = *pcm;
      for (size_t off = 0; off + 160 <= a.size() && !ev; off += 160)
        ev = (*det)->accept(std::span<const float>(a).subspan(off, 160));
      if (!ev) {
        line["wake"] = nullptr;
        line["transcript"] = "";
        line["confidence"] = 0;
        line["intent"] = nullptr;
        line["targets"] = json::array();
        line["actions"] = json::array();
        line["latency_ms"] = nullptr;
        out << line.dump() << "\n";
        continue;
      }
      line["wake"] = {{"keyword", ev->keyword}, {"score", round3(ev->score)}, {"end_ms", ev->end_offset.count()}};
      start_sample = ev->end_offset.count() * kSampleRateHz / 1000;
    } else {
      line["wake"] = false;
    }
    stream->reset();
    const TemplateParser& parser = *setup->parser;
    const EndOfSentenceModel* ends = &setup->models->ends;
    auto utt = decode_utterance(*stream, *pcm, start_sample, setup->asr, o.ns, vad_threshold,
                                [&parser, ends](const std::string& text, double min_end_p) {
                                  return is_complete_command(parser, text, ends, min_end_p);
                                });
    if (!utt) {
      out << json{{"file", file}, {"error", utt.error().message}}.dump() << "\n";
      rc = 1;
      continue;
    }
    const Transcript& t = utt->transcript;
    auto t0 = SteadyClock::now();
    Understanding u = understand(t, *setup->parser, setup->asr.min_confidence);
    auto t1 = SteadyClock::now();
    json actions = json::array();
    if (u.parse.intent) {
      IntentPlan plan = plan_intent(*setup->home, nullptr, *u.parse.intent, u.parse.targets, "voice");
      for (const Command& c : plan.commands)
        actions.push_back({{"device", c.device_id}, {"action", c.action}, {"params", value_map_to_json(c.params)}});
    }
    auto t2 = SteadyClock::now();
    const double hang = utt->end_of_speech_ms >= 0 ? static_cast<double>(utt->endpoint_ms - utt->end_of_speech_ms) : 0;
    line["transcript"] = u.text;
    line["asr_text"] = t.text;
    line["confidence"] = round3(t.confidence);
    // Not understood: the open-vocabulary text (after the timings above: the
    // daemon runs it only for rejected utterances, off the fast path).
    line["open_text"] = u.parse.intent ? std::string() : stream->decode_open();
    line["endpoint"] = utt->endpoint_reason;
    line["early_partial"] = utt->early_partial;
    json parsed = json::parse(parse_result_to_json(u.parse));
    line["intent"] = parsed["intent"];
    line["targets"] = parsed["targets"];
    line["actions"] = actions;
    line["latency_ms"] = {
        {"end_of_speech_to_transcript", round3(std::max(0.0, hang) + utt->finalize_ms)},
        {"to_intent", round3(std::chrono::duration<double, std::milli>(t1 - t0).count())},
        {"to_action", round3(std::chrono::duration<double, std::milli>(t2 - t1).count())}};
    line["rtf"] = t.audio_ms > 0 ? round3(t.total_decode_ms / t.audio_ms) : 0.0;
    out << line.dump() << "\n";
    out.flush();
  }
  return rc;
}

}  // namespace

int run_voice_command(std::string_view command, const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err) {
  const bool pipeline = command == "pipeline";
  const char* usage = pipeline ? kPipelineUsage : kTranscribeUsage;
  Options o = parse_options(args, pipeline);
  if (o.help) {
    out << usage;
    return 0;
  }
  if (!o.error.empty()) {
    err << "hearth " << command << ": " << o.error << "\n\n" << usage;
    return 2;
  }
  set_log_level(LogLevel::kWarn);
  return pipeline ? run_pipeline(o, out, err) : run_transcribe(o, out, err);
}

}  // namespace hearth
