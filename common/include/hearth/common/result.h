// common/result.h: Result<T> and Error, the error-return type of every public
// API in Hearth. Shaped like C++23 std::expected (has_value, value, error,
// operator bool, operator*, operator->) so it can become an alias later.
// Used by every module; no dependencies beyond the standard library.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hearth {

// Stable error codes. The HTTP API maps them to status codes and exposes
// code_name() as the JSON "code" field, so never renumber or rename.
enum class Code {
  kOk = 0,
  kBadInput,      // malformed or out-of-range input from outside
  kNotFound,      // named thing does not exist
  kAmbiguous,     // a name matches more than one thing
  kUnsupported,   // the thing exists but cannot do that
  kTimeout,       // a deadline passed
  kUnavailable,   // a device or service is offline / unreachable
  kIo,            // file or socket I/O failed
  kCorrupt,       // a file exists but its content is damaged
  kReadOnly,      // storage cannot be written
  kBusy,          // resource locked by someone else
  kTooLarge,      // a size limit was exceeded
  kConflict,      // state conflict (e.g. already exists)
  kCancelled,     // stopped on request (shutdown)
  kInternal,      // a bug; should not happen
};

// "bad_input", "not_found", ...: the stable snake_case name of a code.
std::string_view code_name(Code code);

struct Error {
  Code code = Code::kInternal;
  std::string message;  // human readable: where + what + (when possible) the fix

  Error() = default;
  Error(Code c, std::string m) : code(c), message(std::move(m)) {}

  // Returns a copy whose message is prefixed with `where: `.
  Error with_context(std::string_view where) const {
    return Error{code, std::string(where) + ": " + message};
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : v_(std::in_place_index<0>, v) {}
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}
  template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Error> &&
             !std::is_same_v<std::decay_t<U>, Result>)
  Result(U&& u) : v_(std::in_place_index<0>, T(std::forward<U>(u))) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void check() const {
    if (v_.index() != 0) std::abort();  // programmer error: value() on an error
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {
    if (!ok_) std::abort();
  }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

// Early-return helper: HEARTH_TRY(r) returns r's error from the enclosing
// function when r failed.
#define HEARTH_TRY(expr)                                  \
  do {                                                    \
    auto&& hearth_try_r_ = (expr);                        \
    if (!hearth_try_r_) return hearth_try_r_.error();     \
  } while (0)

}  // namespace hearth
