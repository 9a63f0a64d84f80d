#include "wyoming_protocol.h"

#include <algorithm>

namespace hearth {

using nlohmann::json;

namespace {
constexpr size_t kMaxTypeBytes = 64;

// Reads a non-negative integer length field; false (with why) on a bad one.
bool read_length(const json& header, const char* key, size_t limit, size_t* out, std::string* why) {
  auto it = header.find(key);
  if (it == header.end() || it->is_null()) {
    *out = 0;
    return true;
  }
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
    *why = std::string("\"") + key + "\" must be a non-negative integer";
    return false;
  }
  const uint64_t v = it->get<uint64_t>();
  if (v > limit) {
    *why = std::string("\"") + key + "\" " + std::to_string(v) + " exceeds the limit of " + std::to_string(limit) +
           " bytes";
    return false;
  }
  *out = static_cast<size_t>(v);
  return true;
}
}  // namespace

Result<void> WyomingParser::fail(std::string why) {
  failed_ = Error{Code::kBadInput, "wyoming: message " + std::to_string(messages_ + 1) + ": " + why};
  buf_.clear();
  return *failed_;
}

Result<void> WyomingParser::take_header(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  json header = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return fail("header line is not valid JSON");
  if (!header.is_object()) return fail("header is not a JSON object");
  auto type = header.find("type");
  if (type == header.end() || !type->is_string()) return fail("header has no string \"type\"");
  const std::string& t = type->get_ref<const std::string&>();
  if (t.empty() || t.size() > kMaxTypeBytes) return fail("\"type\" must be 1.." + std::to_string(kMaxTypeBytes) + " bytes");
  current_ = WyomingMessage{};
  current_.type = t;
  if (auto d = header.find("data"); d != header.end() && !d->is_null()) {
    if (!d->is_object()) return fail("\"data\" must be an object");
    current_.data = std::move(*d);
  }
  std::string why;
  if (!read_length(header, "data_length", limits_.max_data_bytes, &data_len_, &why)) return fail(why);
  if (!read_length(header, "payload_length", limits_.max_payload_bytes, &payload_len_, &why)) return fail(why);
  return {};
}

Result<void> WyomingParser::feed(std::string_view bytes, std::vector<WyomingMessage>& out) {
  if (failed_) return *failed_;
  // A header completes its zero-length data/payload in the same pass.
  while (!bytes.empty()) {
    if (stage_ == Stage::kHeader) {
      const size_t nl = bytes.find('\n');
      const size_t take = nl == std::string_view::npos ? bytes.size() : nl;
      if (buf_.size() + take > limits_.max_header_bytes)
        return fail("header line longer than " + std::to_string(limits_.max_header_bytes) + " bytes");
      buf_.append(bytes.substr(0, take));
      if (nl == std::string_view::npos) return {};
      bytes.remove_prefix(nl + 1);
      std::string line;
      line.swap(buf_);
      if (Result<void> h = take_header(line); !h) return h;
      stage_ = Stage::kData;
    }
    if (stage_ == Stage::kData) {
      const size_t take = std::min(bytes.size(), data_len_ - buf_.size());
      buf_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (buf_.size() < data_len_) return {};
      if (data_len_ > 0) {
        json extra = json::parse(buf_, nullptr, /*allow_exceptions=*/false);
        if (extra.is_discarded() || !extra.is_object()) return fail("data section is not a JSON object");
        for (auto it = extra.begin(); it != extra.end(); ++it) current_.data[it.key()] = std::move(it.value());
        buf_.clear();
      }
      stage_ = Stage::kPayload;
    }
    if (stage_ == Stage::kPayload) {
      const size_t take = std::min(bytes.size(), payload_len_ - buf_.size());
      buf_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (buf_.size() < payload_len_) return {};
      current_.payload.swap(buf_);
      buf_.clear();
      out.push_back(std::move(current_));
      current_ = WyomingMessage{};
      ++messages_;
      stage_ = Stage::kHeader;
      data_len_ = payload_len_ = 0;
    }
  }
  return {};
}

std::string encode_wyoming(std::string_view type, const json& data, std::string_view payload) {
  json header;
  header["type"] = std::string(type);
  if (!data.is_null() && !(data.is_object() && data.empty())) header["data"] = data;
  if (!payload.empty()) header["payload_length"] = payload.size();
  std::string s = header.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
  s += '\n';
  s.append(payload);
  return s;
}

std::string encode_wyoming(const WyomingMessage& m) { return encode_wyoming(m.type, m.data, m.payload); }

}  // namespace hearth
