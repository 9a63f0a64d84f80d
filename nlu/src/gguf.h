// nlu/src/gguf.h: GGUF container reader (v2 and v3), the llama.cpp model
// format. Private to nlu/: the LLM runtime (nlu/src/llm/) reads models
// through it; tests and the fuzz target include it directly.
//
// Byte layout (all integers little endian; "str" = u64 length + bytes, no NUL):
//
//   offset  field
//   0       magic          "GGUF" (4 bytes)
//   4       version        u32, 2 or 3 (v1 used u32 counts and is rejected)
//   8       n_tensors      u64
//   16      n_kv           u64
//   24      kv[n_kv]       key: str; type: u32 (GgufType); value:
//                            scalar  -> its fixed size (u8 .. f64, bool = 1 byte 0/1)
//                            string  -> str
//                            array   -> elem type: u32; count: u64; count elements
//                                       (arrays of arrays are rejected)
//   ...     tensor_info[n_tensors]
//                          name: str; n_dims: u32 (1..4); ne: u64[n_dims]
//                          (ne[0] is the contiguous dimension); type: u32
//                          (ggml type); offset: u64 (relative to the data
//                          section, a multiple of the alignment)
//   ...     padding to `general.alignment` (u32 kv, power of two, default 32)
//   data    tensor bytes
//
// Every count, length, offset and shape is checked against the bytes that
// remain before it is used, with overflow-safe arithmetic; errors name the
// byte offset and the field ("gguf: offset 4123: tensor 'blk.0.attn_q.weight':
// data ends at 9123 > file size 8000"). Tensors are zero-copy views into the
// mmap'd file; a GgufFile is immutable after open() and safe to share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/common/result.h"

namespace hearth {

// Metadata value types (the numbering is part of the format).
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
std::string_view gguf_type_name(GgufType t);

// Tensor element types (ggml's numbering; only the ones we can compute with
// are accepted, anything else is "unsupported tensor type").
enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
};
struct TensorTypeInfo {
  const char* name;       // "Q4_0"
  uint32_t block_elems;   // elements per block (1 for F32/F16)
  uint32_t block_bytes;   // bytes per block
  uint32_t align_bytes;   // natural alignment of the block in memory
};
// nullopt for a type number this build does not know.
std::optional<TensorTypeInfo> tensor_type_info(uint32_t type);

inline constexpr uint32_t kGgufMaxDims = 4;
inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr uint64_t kGgufMaxNameBytes = 256;       // tensor names (ggml allows 64)
inline constexpr uint64_t kGgufMaxKeyBytes = 65536;      // metadata keys

// One metadata entry. Scalars and numeric arrays point into the file bytes
// (little endian, possibly unaligned: read them with the accessors).
struct GgufKv {
  std::string_view key;
  GgufType type;                          // kArray for arrays
  GgufType elem_type = GgufType::kUint8;  // element type when type == kArray
  uint64_t count = 1;                     // array length (1 for scalars)
  const uint8_t* data = nullptr;          // scalar / first numeric element
  std::vector<std::string_view> strings;  // string value (1) or string array elements
  uint64_t file_offset = 0;               // where the key starts, for error messages
};

struct GgufTensor {
  std::string_view name;
  TensorType type;
  uint32_t n_dims;
  int64_t ne[kGgufMaxDims] = {1, 1, 1, 1};  // elements per dimension, ne[0] contiguous
  uint64_t n_elements;
  uint64_t n_bytes;
  uint64_t offset;                          // absolute offset in the file
  const void* data;                         // zero-copy view into the file
};

class GgufFile {
 public:
  // mmaps `path` read-only and parses it. The returned object keeps the
  // mapping alive; every view it hands out is valid until it is destroyed.
  static Result<std::unique_ptr<GgufFile>> open(const std::string& path);
  // Parses a copy of `bytes` (tests, fuzzing).
  static Result<std::unique_ptr<GgufFile>> from_bytes(std::span<const uint8_t> bytes);

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return size_; }
  // True when the bytes are an mmap of the file (open()), not a copy.
  bool mapped() const { return map_ != nullptr; }
  const std::vector<GgufKv>& kvs() const { return kvs_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }

  const GgufKv* find_kv(std::string_view key) const;
  const GgufTensor* find_tensor(std::string_view name) const;

  // Typed metadata reads. Integers convert between widths when the value
  // fits (a u32 key read with get_i64 is fine, a negative i32 read as u32
  // is an error); floats accept f32 and f64. Missing key → kNotFound,
  // wrong type → kBadInput; both name the key.
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string_view> get_string(std::string_view key) const;
  Result<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  Result<std::vector<float>> get_f32_array(std::string_view key) const;     // f32 / f64 elements
  Result<std::vector<int64_t>> get_int_array(std::string_view key) const;   // any integer elements

  // One line per kv and tensor (the `hearth llm info` output).
  std::string describe() const;

 private:
  GgufFile() = default;
  Result<void> parse();

  const uint8_t* bytes_ = nullptr;
  uint64_t size_ = 0;
  void* map_ = nullptr;                 // mmap base when opened from a path
  std::vector<uint8_t> owned_;          // copy when built from bytes
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<GgufKv> kvs_;
  std::vector<GgufTensor> tensors_;
};

// Builds GGUF files in memory: tests (valid and hand-broken files), the fuzz
// corpus and the random-weight model generator. Writes v3.
class GgufWriter {
 public:
  void add_u32(std::string key, uint32_t v);
  void add_i32(std::string key, int32_t v);
  void add_u64(std::string key, uint64_t v);
  void add_f32(std::string key, float v);
  void add_bool(std::string key, bool v);
  void add_string(std::string key, std::string v);
  void add_string_array(std::string key, const std::vector<std::string>& v);
  void add_f32_array(std::string key, const std::vector<float>& v);
  void add_i32_array(std::string key, const std::vector<int32_t>& v);
  // A copy of a kv read from another file (same type and value).
  void add_kv_copy(const GgufKv& kv);
  // Any value, raw: `type` then `payload` bytes exactly as they go in the file.
  void add_raw(std::string key, uint32_t type, std::vector<uint8_t> payload);
  // ne[0] is contiguous; `data` must be the tensor's exact byte size.
  void add_tensor(std::string name, TensorType type, std::vector<int64_t> ne,
                  std::vector<uint8_t> data);
  void set_alignment(uint32_t alignment) { alignment_ = alignment; }  // also writes general.alignment when != 32

  std::vector<uint8_t> serialize() const;
  // Byte offset where tensor i's info record starts in serialize()'s output.
  uint64_t tensor_info_offset_for_test(size_t i) const;

 private:
  struct Kv {
    std::string key;
    uint32_t type;
    std::vector<uint8_t> payload;
  };
  struct Tensor {
    std::string name;
    uint32_t type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> data;
  };
  std::vector<Kv> kvs_;
  std::vector<Tensor> tensors_;
  uint32_t alignment_ = kGgufDefaultAlignment;
};

}  // namespace hearth
