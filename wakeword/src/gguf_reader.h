// Private: a minimal, bounds-checked GGUF (v2/v3) reader for wake-word models.
// wakeword/ may not depend on nlu/ (downstream), so it carries this small
// reader of its own. Byte layout (little endian):
//   "GGUF" u32 version | u64 n_tensors | u64 n_kv
//   n_kv x { string key | u32 type | value }        string = u64 len + bytes
//     value: scalar (u8 i8 u16 i16 u32 i32 f32 bool u64 i64 f64), string, or
//            array = u32 elem_type + u64 count + elems (no nested arrays here)
//   n_tensors x { string name | u32 n_dims | n_dims x u64 ne | u32 ggml_type | u64 offset }
//   padding to general.alignment (default 32) | tensor data (offsets relative to here)
// Every count and length is checked against the remaining bytes before use.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "hearth/common/result.h"

namespace hearth::wakeword {

enum GgufType : uint32_t {
  kGgufU8 = 0, kGgufI8, kGgufU16, kGgufI16, kGgufU32, kGgufI32, kGgufF32, kGgufBool,
  kGgufString, kGgufArray, kGgufU64, kGgufI64, kGgufF64,
};
inline constexpr uint32_t kGgmlF32 = 0;
inline constexpr uint32_t kGgmlI8 = 24;

struct GgufValue {
  uint32_t type = 0;            // GgufType
  double number = 0;            // any numeric scalar / bool
  std::string str;              // kGgufString
  uint32_t elem_type = 0;       // kGgufArray: element type
  std::vector<double> numbers;  // numeric array elements
  std::vector<std::string> strings;  // string array elements
};

struct GgufTensor {
  std::string name;
  std::vector<uint64_t> ne;  // ggml order: ne[0] is the fastest-varying dimension
  uint32_t type = 0;         // ggml type (F32 = 0, I8 = 24 supported)
  uint64_t n_elems = 0;
  const uint8_t* data = nullptr;  // into GgufFile::bytes
  uint64_t n_bytes = 0;
};

struct GgufFile {
  uint32_t version = 0;
  std::map<std::string, GgufValue> kv;
  std::vector<GgufTensor> tensors;
  std::vector<uint8_t> bytes;  // the whole file; tensors point into it

  const GgufTensor* tensor(const std::string& name) const;
};

inline constexpr uint64_t kGgufMaxTensors = 1024;
inline constexpr uint64_t kGgufMaxKv = 1024;
inline constexpr uint64_t kGgufMaxString = 1 << 16;

// Parses and validates the container. Errors are Code::kCorrupt and name the
// byte offset and field.
Result<GgufFile> parse_gguf(std::vector<uint8_t> bytes, const std::string& name);

}  // namespace hearth::wakeword
