// common/value.h: a small dynamically typed value for device state
// attributes, command parameters and intent slots. Keeps third-party JSON
// types out of public headers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace hearth {

// null | bool | integer | real | string
using Value = std::variant<std::monostate, bool, int64_t, double, std::string>;
using ValueMap = std::map<std::string, Value, std::less<>>;

inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }
// Numeric view of an int or real value; nullopt otherwise.
inline std::optional<double> as_number(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}
inline const std::string* as_string(const Value& v) { return std::get_if<std::string>(&v); }
// Text form for logs and history: null, true, 42, 21.5, kitchen
std::string value_to_string(const Value& v);

}  // namespace hearth
