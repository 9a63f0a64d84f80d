// common/config_reader.h: reading one JSON config object into typed fields,
// collecting every problem in ConfigErrors with its JSON path (never stopping
// at the first). Header-only; used by the modules that parse their own config
// block (audio, asr) and by the daemon.
//
//   ConfigReader r{obj, "$.audio", errors};
//   r.keys({"source", "file"});          // unknown keys are errors
//   r.str("source", &cfg.source);        // absent keys keep the default
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hearth/common/config_errors.h"

namespace hearth {

// "a string", "a number" … for "expected X, got Y" messages.
inline std::string json_type_name(const nlohmann::json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

// "$.audio" + "file" → "$.audio.file".
inline std::string config_path(std::string_view path, std::string_view key) {
  std::string p(path);
  p += '.';
  p += key;
  return p;
}

struct ConfigReader {
  const nlohmann::json& obj;
  std::string path;
  ConfigErrors& errors;

  void keys(std::initializer_list<const char*> known) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool ok = false;
      for (const char* k : known) ok = ok || it.key() == k;
      if (!ok) errors.add(config_path(path, it.key()), "unknown key");
    }
  }
  const nlohmann::json* find(const char* key) const {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  void str(const char* key, std::string* out) {
    if (const nlohmann::json* j = find(key)) {
      if (j->is_string()) {
        *out = j->get<std::string>();
      } else {
        errors.add(config_path(path, key), "expected a string, got " + json_type_name(*j));
      }
    }
  }
  void boolean(const char* key, bool* out) {
    if (const nlohmann::json* j = find(key)) {
      if (j->is_boolean()) {
        *out = j->get<bool>();
      } else {
        errors.add(config_path(path, key), "expected a boolean, got " + json_type_name(*j));
      }
    }
  }
  void integer(const char* key, int* out) {
    if (const nlohmann::json* j = find(key)) {
      if (j->is_number_integer() && j->get<int64_t>() >= INT32_MIN && j->get<int64_t>() <= INT32_MAX) {
        *out = static_cast<int>(j->get<int64_t>());
      } else {
        errors.add(config_path(path, key), "expected an integer, got " + json_type_name(*j));
      }
    }
  }
  void size(const char* key, size_t* out) {
    int v = static_cast<int>(*out);
    integer(key, &v);
    if (v >= 0) {
      *out = static_cast<size_t>(v);
    } else {
      errors.add(config_path(path, key), "must not be negative");
    }
  }
  template <typename T>
  void number(const char* key, T* out) {
    if (const nlohmann::json* j = find(key)) {
      if (j->is_number()) {
        *out = j->get<T>();
      } else {
        errors.add(config_path(path, key), "expected a number, got " + json_type_name(*j));
      }
    }
  }
  // The member object, or nullptr when absent or not an object (an error then).
  const nlohmann::json* object(const char* key) {
    const nlohmann::json* j = find(key);
    if (j && !j->is_object()) {
      errors.add(config_path(path, key), "expected an object, got " + json_type_name(*j));
      return nullptr;
    }
    return j;
  }
};

}  // namespace hearth
