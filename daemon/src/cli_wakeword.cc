// `hearth wakeword`: run wake-word models on recordings, measure them, train
// a custom word (the Python pipeline in tools/wakeword/).
#include "cli_wakeword.h"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <random>
#include <ctime>

#include <nlohmann/json.hpp>

#include "hearth/audio/audio.h"
#include "hearth/wakeword/detector.h"

extern char** environ;

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kUsage =
    "usage: hearth wakeword detect --model FILE [--model FILE ...] [--threshold T] [--sensitivity S] AUDIO...\n"
    "         one JSON line per file: {\"file\", \"detections\": [{\"keyword\", \"time_s\", \"score\", \"logit\"}]}\n"
    "       hearth wakeword eval --model FILE --positives DIR|FILE... [--negatives DIR|FILE...]\n"
    "                            [--noise DIR|FILE...] [--snr DB] [--seed N] [--json]\n"
    "         DET table: miss rate at 0.1, 0.5, 1 and 5 false alarms per hour; positives are\n"
    "         mixed into the noise at --snr (default 10 dB); negatives and noise are scanned as\n"
    "         continuous audio for false alarms (refractory 1.5 s)\n"
    "       hearth wakeword train --keyword \"WORD\" [--positives DIR] --out FILE [--minutes M] [--threads N]\n"
    "                             [--seed N] [--exclude-voices LIST]\n"
    "         trains a model from synthesized speech (+ your recordings) with tools/wakeword/train.py;\n"
    "         --minutes is the wall-clock budget of the whole run, data preparation included\n"
    "         (default 45); FILE always holds the best model so far (checkpoint every 5 min)\n";

constexpr int kHop = 160;
constexpr int kRefractoryFrames = 150;

std::vector<std::string> expand(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& p : items) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> v;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        const std::string ext = e.path().extension().string();
        if (ext == ".wav" || ext == ".flac" || ext == ".ogg") v.push_back(e.path().string());
      }
      std::sort(v.begin(), v.end());
      out.insert(out.end(), v.begin(), v.end());
    } else {
      out.push_back(p);
    }
  }
  return out;
}

struct Args {
  std::vector<std::string> models, positives, negatives, noise, files;
  float threshold = 0.f, sensitivity = 0.5f, snr_db = 10.f, minutes = 45.f;
  int seed = 1, threads = 1;
  bool json_out = false;
  std::string keyword, out_path, user_positives, exclude_voices;
};

bool parse_args(const std::vector<std::string>& a, Args& r, std::ostream& err) {
  std::vector<std::string>* list = nullptr;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& s = a[i];
    auto next = [&](std::string& v) {
      if (i + 1 >= a.size()) { err << "hearth wakeword: " << s << " needs a value\n"; return false; }
      v = a[++i];
      return true;
    };
    std::string v;
    try {
      if (s == "--model") { if (!next(v)) return false; r.models.push_back(v); list = nullptr; }
      else if (s == "--threshold") { if (!next(v)) return false; r.threshold = std::stof(v); }
      else if (s == "--sensitivity") { if (!next(v)) return false; r.sensitivity = std::stof(v); }
      else if (s == "--snr") { if (!next(v)) return false; r.snr_db = std::stof(v); }
      else if (s == "--seed") { if (!next(v)) return false; r.seed = std::stoi(v); }
      else if (s == "--minutes") { if (!next(v)) return false; r.minutes = std::stof(v); }
      else if (s == "--threads") { if (!next(v)) return false; r.threads = std::stoi(v); }
      else if (s == "--exclude-voices") { if (!next(r.exclude_voices)) return false; }
      else if (s == "--keyword") { if (!next(r.keyword)) return false; }
      else if (s == "--out") { if (!next(r.out_path)) return false; }
      else if (s == "--json") r.json_out = true;
      else if (s == "--positives") list = &r.positives;
      else if (s == "--negatives") list = &r.negatives;
      else if (s == "--noise") list = &r.noise;
      else if (s.rfind("--", 0) == 0) { err << "hearth wakeword: unknown option " << s << "\n" << kUsage; return false; }
      else if (list) list->push_back(s);
      else r.files.push_back(s);
    } catch (const std::exception&) {
      err << "hearth wakeword: bad value '" << v << "' for " << s << "\n";
      return false;
    }
  }
  return true;
}

Result<std::vector<std::shared_ptr<const WakeModel>>> load_models(const std::vector<std::string>& paths) {
  std::vector<std::shared_ptr<const WakeModel>> out;
  for (const std::string& p : paths) {
    auto m = load_wake_model(p);
    if (!m) return m.error();
    out.push_back(*m);
  }
  return out;
}

int cmd_detect(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.models.empty() || a.files.empty()) {
    err << kUsage;
    return 2;
  }
  auto models = load_models(a.models);
  if (!models) {
    err << "hearth wakeword: " << models.error().message << "\n";
    return 1;
  }
  int failures = 0;
  for (const std::string& f : a.files) {
    json line;
    line["file"] = f;
    auto pcm = read_audio_file(f);
    if (!pcm) {
      line["error"] = pcm.error().message;
      out << line.dump() << "\n";
      ++failures;
      continue;
    }
    std::vector<WakeWordSpec> specs;
    for (const auto& m : *models) {
      WakeWordSpec s{m};
      s.threshold = a.threshold;
      s.sensitivity = a.sensitivity;
      specs.push_back(s);
    }
    auto d = make_wake_detector(specs);
    if (!d) {
      err << "hearth wakeword: " << d.error().message << "\n";
      return 2;
    }
    std::vector<float> x = *pcm;
    x.resize((x.size() + kHop - 1) / kHop * kHop + 30 * kHop, 0.f);  // 300 ms of silence lets a final word finish
    json dets = json::array();
    for (size_t i = 0; i < x.size(); i += kHop)
      if (auto e = (*d)->accept(std::span<const float>(x).subspan(i, kHop)))
        dets.push_back({{"keyword", e->keyword},
                        {"time_s", std::round(e->end_offset.count()) / 1000.0},
                        {"score", std::round(e->score * 1e4) / 1e4},
                        {"logit", std::round(e->logit * 1e3) / 1e3}});
    line["detections"] = std::move(dets);
    out << line.dump() << "\n";
  }
  return failures ? 1 : 0;
}

double rms(std::span<const float> x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return std::sqrt(s / std::max<size_t>(1, x.size()) + 1e-12);
}

// Lowest-threshold search over the score grid: false alarms per hour at t.
int count_events(const std::vector<float>& s, double t) {
  int n = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] >= t) {
      ++n;
      i += kRefractoryFrames - 1;
    }
  return n;
}

int cmd_eval(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.models.size() != 1 || a.positives.empty()) {
    err << kUsage;
    return 2;
  }
  auto models = load_models(a.models);
  if (!models) {
    err << "hearth wakeword: " << models.error().message << "\n";
    return 1;
  }
  const WakeModel& model = *(*models)[0];
  std::mt19937 rng(a.seed);
  // noise pool
  std::vector<std::vector<float>> noise;
  for (const std::string& f : expand(a.noise))
    if (auto x = read_audio_file(f); x && x->size() > 16000) noise.push_back(std::move(*x));
  // positives: word in noise at SNR, 0.5 s before, 1 s after; score = max over the clip
  // every score and threshold here is a logit of the smoothed posterior (wake_scores)
  std::vector<float> pos_scores;
  std::vector<double> latency_ms;  // first frame over the default threshold - end of the word
  const double t_default = model.default_threshold_logit();
  int unreadable = 0;
  for (const std::string& f : expand(a.positives)) {
    auto x = read_audio_file(f);
    if (!x || x->size() < 1600) { ++unreadable; continue; }
    const double speech = rms(*x) * std::sqrt(2.0);  // rough active-speech level of a ~50% speech file
    std::vector<float> clip(8000, 0.f);
    clip.insert(clip.end(), x->begin(), x->end());
    clip.resize(clip.size() + 16000, 0.f);
    clip.resize(clip.size() / kHop * kHop);
    if (!noise.empty()) {
      const auto& n = noise[rng() % noise.size()];
      const size_t off = n.size() > clip.size() ? rng() % (n.size() - clip.size()) : 0;
      std::vector<float> seg(clip.size());
      for (size_t i = 0; i < seg.size(); ++i) seg[i] = n[(off + i) % n.size()];
      const double g = speech / (rms(seg) * std::pow(10.0, a.snr_db / 20.0));
      for (size_t i = 0; i < clip.size(); ++i) clip[i] += static_cast<float>(g * seg[i]);
    }
    const auto s = wake_scores(model, clip);
    pos_scores.push_back(s.empty() ? 0.f : *std::max_element(s.begin(), s.end()));
    // end of the word: last 10 ms frame of the clean recording within 30 dB of its loudest
    const size_t nf = x->size() / kHop;
    std::vector<double> e(nf);
    double peak = 0;
    for (size_t i = 0; i < nf; ++i) {
      e[i] = rms(std::span<const float>(x->data() + i * kHop, kHop));
      peak = std::max(peak, e[i]);
    }
    size_t last = 0;
    for (size_t i = 0; i < nf; ++i)
      if (e[i] > peak * 0.0316) last = i;
    const size_t end_frame = 50 + last + 1;  // 0.5 s lead-in
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] >= t_default) {
        latency_ms.push_back((static_cast<double>(i + 1) - static_cast<double>(end_frame)) * 10.0);
        break;
      }
  }
  // negatives (+ noise, as is): continuous score traces
  std::vector<std::vector<float>> neg_traces;
  double neg_hours = 0;
  std::vector<std::string> negs = expand(a.negatives);
  for (const std::string& f : expand(a.noise)) negs.push_back(f);
  double cpu_s = 0;
  for (const std::string& f : negs) {
    auto x = read_audio_file(f);
    if (!x) { ++unreadable; continue; }
    x->resize(x->size() / kHop * kHop);
    const std::clock_t c0 = std::clock();
    neg_traces.push_back(wake_scores(model, *x));
    cpu_s += static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    neg_hours += static_cast<double>(x->size()) / 16000.0 / 3600.0;
  }
  if (pos_scores.empty()) {
    err << "hearth wakeword: no readable positives\n";
    return 1;
  }
  auto fa_per_hour = [&](double t) {
    int n = 0;
    for (const auto& tr : neg_traces) n += count_events(tr, t);
    return neg_hours > 0 ? n / neg_hours : 0.0;
  };
  auto miss = [&](double t) {
    size_t m = 0;
    for (float s : pos_scores) m += s < t;
    return static_cast<double>(m) / pos_scores.size();
  };
  // thresholds: a grid in logit space, 0.05 apart up to logit 20, 0.1 apart
  // up to 40 (a long-trained model puts both its takes and its loudest
  // negatives above logit 16.6, where float32 probabilities all round to 1)
  std::vector<double> grid;
  for (int i = 0; i <= 520; ++i) grid.push_back(-6.0 + 0.05 * i);
  for (int i = 1; i <= 200; ++i) grid.push_back(20.0 + 0.1 * i);
  auto prob = [](double z) { return 1.0 / (1.0 + std::exp(-z)); };
  json det = json::array();
  for (double z : grid)
    det.push_back({{"logit", std::round(z * 100) / 100}, {"threshold", prob(z)}, {"fa_per_hour", fa_per_hour(z)}, {"miss", miss(z)}});
  json table = json::array();
  for (double target : {0.1, 0.5, 1.0, 5.0}) {
    // lowest threshold whose false-alarm rate is within the target
    json row = {{"fa_per_hour_target", target}};
    for (const auto& p : det)
      if (p["fa_per_hour"].get<double>() <= target) {
        row["logit"] = p["logit"];
        row["threshold"] = p["threshold"];
        row["miss"] = p["miss"];
        row["fa_per_hour"] = p["fa_per_hour"];
        break;
      }
    if (!row.contains("miss")) row["miss"] = 1.0;
    table.push_back(row);
  }
  const double t0 = t_default;
  std::sort(latency_ms.begin(), latency_ms.end());
  auto pct = [&](double q) { return latency_ms.empty() ? 0.0 : latency_ms[static_cast<size_t>(q * (latency_ms.size() - 1))]; };
  json r = {{"rtf", neg_hours > 0 ? cpu_s / (neg_hours * 3600.0) : 0.0},
            {"latency_ms_p50", pct(0.5)}, {"latency_ms_p90", pct(0.9)}, {"params", model.n_params()},{"model", a.models[0]}, {"keyword", model.keyword()}, {"positives", pos_scores.size()},
            {"unreadable", unreadable}, {"negative_hours", neg_hours}, {"snr_db", a.snr_db},
            {"default_threshold", prob(t0)}, {"default_threshold_logit", t0}, {"miss_at_default", miss(t0)}, {"fa_per_hour_at_default", fa_per_hour(t0)},
            {"table", table}, {"det", det}};
  if (a.json_out) {
    out << r.dump() << "\n";
    return 0;
  }
  out << "model " << a.models[0] << " (" << model.keyword() << "): " << pos_scores.size() << " positives at "
      << a.snr_db << " dB SNR, " << std::fixed << std::setprecision(3) << neg_hours << " h of negatives\n";
  out << "FA/h target  logit      FA/h     miss\n";
  for (const auto& row : table)
    out << std::setw(11) << row["fa_per_hour_target"].get<double>() << "  "
        << std::setw(9) << (row.contains("logit") ? row["logit"].get<double>() : 40.0) << "  "
        << std::setw(7) << (row.contains("fa_per_hour") ? row["fa_per_hour"].get<double>() : 0.0) << "  "
        << std::setw(6) << std::setprecision(2) << 100.0 * row["miss"].get<double>() << "%\n" << std::setprecision(3);
  out << "real-time factor (one core, front end + net): " << std::setprecision(5) << r["rtf"].get<double>()
      << "; detection latency after the word's end p50 " << std::setprecision(0) << pct(0.5) << " ms, p90 " << pct(0.9) << " ms\n";
  out << std::setprecision(3) << "at the model's threshold (logit " << t0 << "): miss " << std::setprecision(2) << 100.0 * miss(t0) << "%, "
      << fa_per_hour(t0) << " FA/h\n";
  return 0;
}

std::string tools_dir() {
  if (const char* e = std::getenv("HEARTH_TOOLS_DIR"); e && *e) return e;
  return HEARTH_WAKEWORD_TOOLS_DIR;
}

int cmd_train(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.keyword.empty() || a.out_path.empty()) {
    err << kUsage;
    return 2;
  }
  if (a.keyword.size() > 64 || a.keyword.find_first_of("\n\r\t") != std::string::npos) {
    err << "hearth wakeword: --keyword must be one line of at most 64 characters\n";
    return 2;
  }
  if (!(a.minutes >= 3.f && a.minutes <= 24 * 60.f) || a.threads < 1 || a.threads > 64) {
    err << "hearth wakeword: --minutes must be 3..1440 and --threads 1..64\n";
    return 2;
  }
  const std::string script = tools_dir() + "/train.py";
  if (!fs::exists(script)) {
    err << "hearth wakeword: " << script << " not found (set HEARTH_TOOLS_DIR to tools/wakeword)\n";
    return 1;
  }
  // --minutes is the whole run's wall clock (synthesis and features included);
  // no CPU-time budget; a checkpoint every 5 min keeps FILE the best model so far
  std::vector<std::string> argv = {"/usr/bin/python3", script, "--keyword", a.keyword, "--out", a.out_path,
                                    "--total-minutes", std::to_string(a.minutes), "--minutes", "0",
                                    "--checkpoint-minutes", "5", "--threads", std::to_string(a.threads),
                                    "--seed", std::to_string(a.seed), "--progress"};
  if (!a.exclude_voices.empty()) {
    argv.push_back("--exclude-voices");
    argv.push_back(a.exclude_voices);
  }
  for (const std::string& p : a.positives) {
    argv.push_back("--positives");
    argv.push_back(p);
  }
  if (const char* cache = std::getenv("HEARTH_WAKEWORD_CACHE"); cache && *cache) {
    argv.push_back("--work");
    argv.push_back(cache);
  }
  std::vector<char*> cargv;
  for (auto& s : argv) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  out.flush();
  pid_t pid = 0;
  // no shell: the keyword goes to the script as one argument, whatever it contains
  if (posix_spawn(&pid, cargv[0], nullptr, nullptr, cargv.data(), environ) != 0) {
    err << "hearth wakeword: cannot run /usr/bin/python3\n";
    return 1;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    err << "hearth wakeword: training failed\n";
    return 1;
  }
  auto m = load_wake_model(a.out_path);
  if (!m) {
    err << "hearth wakeword: the trained model does not load: " << m.error().message << "\n";
    return 1;
  }
  err << "wrote " << a.out_path << ": " << (*m)->description() << "\n";
  return 0;
}

}  // namespace

int run_wakeword_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? 2 : 0;
  }
  Args a;
  if (!parse_args(std::vector<std::string>(args.begin() + 1, args.end()), a, err)) return 2;
  if (args[0] == "detect") return cmd_detect(a, out, err);
  if (args[0] == "eval") return cmd_eval(a, out, err);
  if (args[0] == "train") {
    if (!a.files.empty()) a.user_positives = a.files[0];
    return cmd_train(a, out, err);
  }
  err << "hearth wakeword: unknown subcommand '" << args[0] << "'\n" << kUsage;
  return 2;
}

}  // namespace hearth
