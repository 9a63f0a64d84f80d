// daemon/src/wyoming_protocol.h: framing of the Wyoming protocol (Rhasspy /
// Home Assistant voice satellites). A message is one JSON header line
//   {"type": "...", "data": {...}?, "data_length": N?, "payload_length": M?}\n
// followed by N bytes of extra JSON data (an object, merged into "data", its
// keys winning) and M bytes of binary payload (PCM for audio-chunk).
// Other header keys ("version", ...) are accepted and ignored.
//
// WyomingParser is strict and bounded: a header line longer than the limit,
// a header that is not a JSON object with a non-empty string "type", data
// that is not an object, or a length above its limit is an error, after
// which the parser stays failed (the server closes the connection). It never
// buffers more than max_header_bytes + max_data_bytes + max_payload_bytes.
// Private to daemon/ (and its tests / fuzz target).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/common/result.h"

namespace hearth {

struct WyomingLimits {
  size_t max_header_bytes = 16 * 1024;    // the JSON line, newline excluded
  size_t max_data_bytes = 64 * 1024;      // data_length
  size_t max_payload_bytes = 1024 * 1024; // payload_length (1 MiB: 32 s of 16 kHz 16-bit mono)
};

struct WyomingMessage {
  std::string type;
  nlohmann::json data = nlohmann::json::object();  // always an object
  std::string payload;                              // binary, may be empty
};

class WyomingParser {
 public:
  explicit WyomingParser(WyomingLimits limits = {}) : limits_(limits) {}

  // Consumes `bytes`; appends every completed message to `out`. On malformed
  // input returns kBadInput (message says what and where) and stays failed:
  // later calls return the same error without reading.
  Result<void> feed(std::string_view bytes, std::vector<WyomingMessage>& out);

  bool failed() const { return failed_.has_value(); }
  // Bytes held for an incomplete message.
  size_t buffered() const { return buf_.size(); }
  // True between messages (nothing partial buffered).
  bool idle() const { return stage_ == Stage::kHeader && buf_.empty(); }

 private:
  enum class Stage { kHeader, kData, kPayload };
  Result<void> fail(std::string why);
  Result<void> take_header(std::string_view line);

  WyomingLimits limits_;
  Stage stage_ = Stage::kHeader;
  std::string buf_;         // partial header line / data / payload
  WyomingMessage current_;  // header parsed, waiting for data/payload
  size_t data_len_ = 0, payload_len_ = 0;
  uint64_t messages_ = 0;   // completed, for error messages
  std::optional<Error> failed_;
};

// The wire form: header line (with "data" inline and "payload_length" when
// there is a payload) followed by the payload.
std::string encode_wyoming(const WyomingMessage& m);
std::string encode_wyoming(std::string_view type, const nlohmann::json& data = nlohmann::json::object(),
                           std::string_view payload = {});

}  // namespace hearth
