// common/value_json.h: Value <-> nlohmann::json. Include only from .cc files
// (it pulls in nlohmann/json.hpp); public headers use value.h.
#pragma once

#include <nlohmann/json.hpp>

#include "hearth/common/value.h"

namespace hearth {

inline nlohmann::json value_to_json(const Value& v) {
  struct V {
    nlohmann::json operator()(std::monostate) const { return nullptr; }
    nlohmann::json operator()(bool b) const { return b; }
    nlohmann::json operator()(int64_t i) const { return i; }
    nlohmann::json operator()(double d) const { return d; }
    nlohmann::json operator()(const std::string& s) const { return s; }
  };
  return std::visit(V{}, v);
}

// Scalars map to the matching alternative; arrays and objects are kept as
// their compact JSON text (so nothing is lost), and `ok` is set false.
inline Value value_from_json(const nlohmann::json& j, bool* ok = nullptr) {
  if (ok) *ok = true;
  if (j.is_null()) return std::monostate{};
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_integer() || j.is_number_unsigned()) return j.get<int64_t>();
  if (j.is_number_float()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  if (ok) *ok = false;
  return j.dump();
}

inline nlohmann::json value_map_to_json(const ValueMap& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : m) out[k] = value_to_json(v);
  return out;
}

}  // namespace hearth
