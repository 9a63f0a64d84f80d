// Audio config structs: JSON parsing, validation, one-line descriptions.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "hearth/audio/audio.h"
#include "hearth/common/config_reader.h"

namespace hearth {
namespace {

using nlohmann::json;

std::string fmt_float(float v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(v));
  return buf;
}

void check_range(ConfigErrors& out, std::string_view path, const char* key, int v, int lo, int hi) {
  if (v < lo || v > hi)
    out.add(config_path(path, key), "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                                 std::to_string(v));
}

}  // namespace

void CaptureConfig::validate(ConfigErrors& out, std::string_view path) const {
  if (channel < -1 || channel > 63) out.add(config_path(path, "channel"), "must be -1 (mix) or 0..63, got " + std::to_string(channel));
  if (rate_hz != 0) check_range(out, path, "rate_hz", rate_hz, 8000, 384000);
  check_range(out, path, "ring_ms", ring_ms, 50, 10000);
  check_range(out, path, "stall_timeout_ms", stall_timeout_ms, 100, 600000);
  check_range(out, path, "reopen_min_ms", reopen_min_ms, 10, 600000);
  check_range(out, path, "reopen_max_ms", reopen_max_ms, 10, 600000);
  if (reopen_max_ms < reopen_min_ms)
    out.add(config_path(path, "reopen_max_ms"), "must be >= reopen_min_ms (" + std::to_string(reopen_min_ms) + ")");
}

std::string CaptureConfig::to_string() const {
  return "CaptureConfig(device=" + (device.empty() ? std::string("default") : device) +
         ", channel=" + std::to_string(channel) + ", rate_hz=" + std::to_string(rate_hz) +
         ", ring_ms=" + std::to_string(ring_ms) + ", stall_timeout_ms=" + std::to_string(stall_timeout_ms) +
         ", reopen_ms=" + std::to_string(reopen_min_ms) + ".." + std::to_string(reopen_max_ms) + ")";
}

void NsConfig::validate(ConfigErrors& out, std::string_view path) const {
  if (!(strength >= 0.f && strength <= 1.f))
    out.add(config_path(path, "strength"), "must be in [0, 1], got " + fmt_float(strength));
}

std::string NsConfig::to_string() const {
  return std::string("NsConfig(enabled=") + (enabled ? "true" : "false") + ", strength=" + fmt_float(strength) +
         ", max_attenuation_db=" + fmt_float(-20.f * std::log10(gain_floor())) + ")";
}

void VadConfig::validate(ConfigErrors& out, std::string_view path) const {
  if (!(threshold > 0.f && threshold < 50.f))
    out.add(config_path(path, "threshold"), "must be in (0, 50), got " + fmt_float(threshold));
  check_range(out, path, "min_speech_ms", min_speech_ms, 0, 1000);
  check_range(out, path, "hangover_ms", hangover_ms, 0, 5000);
}

std::string VadConfig::to_string() const {
  return std::string("VadConfig(enabled=") + (enabled ? "true" : "false") + ", threshold=" + fmt_float(threshold) +
         ", min_speech_ms=" + std::to_string(min_speech_ms) + ", hangover_ms=" + std::to_string(hangover_ms) + ")";
}

void AgcConfig::validate(ConfigErrors& out, std::string_view path) const {
  if (!(target_dbfs >= -40.f && target_dbfs <= -6.f))
    out.add(config_path(path, "target_dbfs"), "must be in [-40, -6], got " + fmt_float(target_dbfs));
  if (!(max_gain_db >= 0.f && max_gain_db <= 40.f))
    out.add(config_path(path, "max_gain_db"), "must be in [0, 40], got " + fmt_float(max_gain_db));
}

std::string AgcConfig::to_string() const {
  return std::string("AgcConfig(enabled=") + (enabled ? "true" : "false") + ", target_dbfs=" + fmt_float(target_dbfs) +
         ", max_gain_db=" + fmt_float(max_gain_db) + ")";
}

void AudioConfig::validate(ConfigErrors& out, std::string_view path) const {
  if (source != "capture" && source != "file" && source != "none")
    out.add(config_path(path, "source"), "must be \"capture\", \"file\" or \"none\", got \"" + source + "\"");
  if (source == "capture") capture.validate(out, config_path(path, "capture"));
  if (source == "file") {
    std::error_code ec;
    if (file.empty()) out.add(config_path(path, "file"), "required when source is \"file\"");
    else if (!std::filesystem::is_regular_file(file, ec)) out.add(config_path(path, "file"), "'" + file + "' not found");
  }
  ns.validate(out, config_path(path, "ns"));
  vad.validate(out, config_path(path, "vad"));
  agc.validate(out, config_path(path, "agc"));
}

std::string AudioConfig::to_string() const {
  std::string s = "AudioConfig(source=" + source;
  if (source == "capture") s += ", capture=" + capture.to_string();
  if (source == "file")
    s += ", file=" + file + ", file_loop=" + (file_loop ? "true" : "false") +
         ", file_realtime=" + (file_realtime ? "true" : "false");
  return s + ", ns=" + ns.to_string() + ", vad=" + vad.to_string() + ", agc=" + agc.to_string() + ")";
}

void parse_audio_config(std::string_view json_text, const std::string& base_dir, AudioConfig* out,
                        ConfigErrors& errors, std::string_view path) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {
    errors.add(std::string(path), std::string("invalid JSON: ") + e.what());
    return;
  }
  if (!root.is_object()) {
    errors.add(std::string(path), "expected an object, got " + json_type_name(root));
    return;
  }
  ConfigReader r{root, std::string(path), errors};
  r.keys({"source", "capture", "file", "file_loop", "file_realtime", "ns", "vad", "agc"});
  r.str("source", &out->source);
  r.str("file", &out->file);
  if (!out->file.empty() && !base_dir.empty() && std::filesystem::path(out->file).is_relative())
    out->file = (std::filesystem::path(base_dir) / out->file).lexically_normal().string();
  r.boolean("file_loop", &out->file_loop);
  r.boolean("file_realtime", &out->file_realtime);
  if (const json* c = r.object("capture")) {
    ConfigReader rc{*c, config_path(path, "capture"), errors};
    rc.keys({"device", "channel", "rate_hz", "ring_ms", "stall_timeout_ms", "reopen_min_ms", "reopen_max_ms"});
    rc.str("device", &out->capture.device);
    rc.integer("channel", &out->capture.channel);
    rc.integer("rate_hz", &out->capture.rate_hz);
    rc.integer("ring_ms", &out->capture.ring_ms);
    rc.integer("stall_timeout_ms", &out->capture.stall_timeout_ms);
    rc.integer("reopen_min_ms", &out->capture.reopen_min_ms);
    rc.integer("reopen_max_ms", &out->capture.reopen_max_ms);
  }
  if (const json* n = r.object("ns")) {
    ConfigReader rn{*n, config_path(path, "ns"), errors};
    rn.keys({"enabled", "strength"});
    rn.boolean("enabled", &out->ns.enabled);
    rn.number("strength", &out->ns.strength);
  }
  if (const json* v = r.object("vad")) {
    ConfigReader rv{*v, config_path(path, "vad"), errors};
    rv.keys({"enabled", "threshold", "min_speech_ms", "hangover_ms"});
    rv.boolean("enabled", &out->vad.enabled);
    rv.number("threshold", &out->vad.threshold);
    rv.integer("min_speech_ms", &out->vad.min_speech_ms);
    rv.integer("hangover_ms", &out->vad.hangover_ms);
  }
  if (const json* a = r.object("agc")) {
    ConfigReader ra{*a, config_path(path, "agc"), errors};
    ra.keys({"enabled", "target_dbfs", "max_gain_db"});
    ra.boolean("enabled", &out->agc.enabled);
    ra.number("target_dbfs", &out->agc.target_dbfs);
    ra.number("max_gain_db", &out->agc.max_gain_db);
  }
}

}  // namespace hearth
