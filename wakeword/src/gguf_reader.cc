#include "gguf_reader.h"

#include <cstring>
#include <set>

namespace hearth::wakeword {
namespace {

class Cursor {
 public:
  Cursor(const std::vector<uint8_t>& b, const std::string& name) : b_(b), name_(name) {}
  size_t pos() const { return pos_; }
  size_t left() const { return b_.size() - pos_; }
  bool fail(const std::string& what) {
    if (err_.empty()) err_ = name_ + ": offset " + std::to_string(pos_) + ": " + what;
    return false;
  }
  const std::string& error() const { return err_; }
  template <class T>
  bool get(T& v, const char* field) {
    if (left() < sizeof(T)) return fail(std::string(field) + ": needs " + std::to_string(sizeof(T)) +
                                        " bytes, " + std::to_string(left()) + " left");
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool str(std::string& s, const char* field) {
    uint64_t n = 0;
    if (!get(n, field)) return false;
    if (n > kGgufMaxString) return fail(std::string(field) + ": string length " + std::to_string(n) + " too large");
    if (n > left()) return fail(std::string(field) + ": string length " + std::to_string(n) + " > " +
                                std::to_string(left()) + " bytes left");
    s.assign(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return true;
  }

 private:
  const std::vector<uint8_t>& b_;
  const std::string& name_;
  size_t pos_ = 0;
  std::string err_;
};

size_t scalar_size(uint32_t t) {
  switch (t) {
    case kGgufU8: case kGgufI8: case kGgufBool: return 1;
    case kGgufU16: case kGgufI16: return 2;
    case kGgufU32: case kGgufI32: case kGgufF32: return 4;
    case kGgufU64: case kGgufI64: case kGgufF64: return 8;
    default: return 0;
  }
}

bool read_scalar(Cursor& c, uint32_t t, double& out, const char* field) {
  switch (t) {
    case kGgufU8: { uint8_t v; if (!c.get(v, field)) return false; out = v; return true; }
    case kGgufI8: { int8_t v; if (!c.get(v, field)) return false; out = v; return true; }
    case kGgufBool: { uint8_t v; if (!c.get(v, field)) return false; if (v > 1) return c.fail(std::string(field) + ": bool not 0/1"); out = v; return true; }
    case kGgufU16: { uint16_t v; if (!c.get(v, field)) return false; out = v; return true; }
    case kGgufI16: { int16_t v; if (!c.get(v, field)) return false; out = v; return true; }
    case kGgufU32: { uint32_t v; if (!c.get(v, field)) return false; out = v; return true; }
    case kGgufI32: { int32_t v; if (!c.get(v, field)) return false; out = v; return true; }
    case kGgufF32: { float v; if (!c.get(v, field)) return false; out = v; return true; }
    case kGgufU64: { uint64_t v; if (!c.get(v, field)) return false; out = static_cast<double>(v); return true; }
    case kGgufI64: { int64_t v; if (!c.get(v, field)) return false; out = static_cast<double>(v); return true; }
    case kGgufF64: { double v; if (!c.get(v, field)) return false; out = v; return true; }
    default: return c.fail(std::string(field) + ": unknown value type " + std::to_string(t));
  }
}

}  // namespace

const GgufTensor* GgufFile::tensor(const std::string& name) const {
  for (const GgufTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

Result<GgufFile> parse_gguf(std::vector<uint8_t> bytes, const std::string& name) {
  GgufFile f;
  f.bytes = std::move(bytes);
  Cursor c(f.bytes, name);
  auto bad = [&]() { return Error{Code::kCorrupt, c.error()}; };
  char magic[4];
  if (f.bytes.size() < 4 || std::memcmp(f.bytes.data(), "GGUF", 4) != 0)
    return Error{Code::kCorrupt, name + ": not a GGUF file (bad magic)"};
  if (!c.get(magic, "magic") || !c.get(f.version, "version")) return bad();
  if (f.version != 2 && f.version != 3)
    return Error{Code::kCorrupt, name + ": GGUF version " + std::to_string(f.version) + " not supported (2 or 3)"};
  uint64_t n_tensors = 0, n_kv = 0;
  if (!c.get(n_tensors, "n_tensors") || !c.get(n_kv, "n_kv")) return bad();
  if (n_tensors > kGgufMaxTensors) return Error{Code::kCorrupt, name + ": n_tensors " + std::to_string(n_tensors) + " too large"};
  if (n_kv > kGgufMaxKv) return Error{Code::kCorrupt, name + ": n_kv " + std::to_string(n_kv) + " too large"};
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key;
    GgufValue v;
    if (!c.str(key, "kv key") || !c.get(v.type, "kv type")) return bad();
    if (f.kv.count(key)) { c.fail("duplicate key '" + key + "'"); return bad(); }
    if (v.type == kGgufString) {
      if (!c.str(v.str, "kv string")) return bad();
    } else if (v.type == kGgufArray) {
      uint64_t n = 0;
      if (!c.get(v.elem_type, "array type") || !c.get(n, "array count")) return bad();
      if (v.elem_type == kGgufString) {
        if (n > c.left() / 8) { c.fail("key '" + key + "': array count " + std::to_string(n) + " exceeds file"); return bad(); }
        v.strings.resize(n);
        for (uint64_t k = 0; k < n; ++k)
          if (!c.str(v.strings[k], "array string")) return bad();
      } else {
        const size_t es = scalar_size(v.elem_type);
        if (es == 0) { c.fail("key '" + key + "': unsupported array element type " + std::to_string(v.elem_type)); return bad(); }
        if (n > c.left() / es) { c.fail("key '" + key + "': array count " + std::to_string(n) + " exceeds file"); return bad(); }
        v.numbers.resize(n);
        for (uint64_t k = 0; k < n; ++k)
          if (!read_scalar(c, v.elem_type, v.numbers[k], "array element")) return bad();
      }
    } else {
      if (!read_scalar(c, v.type, v.number, key.c_str())) return bad();
    }
    f.kv.emplace(std::move(key), std::move(v));
  }
  uint64_t alignment = 32;
  if (auto it = f.kv.find("general.alignment"); it != f.kv.end()) {
    const double a = it->second.number;
    if (it->second.type != kGgufU32 || a < 1 || a > 4096 || (static_cast<uint64_t>(a) & (static_cast<uint64_t>(a) - 1)))
      return Error{Code::kCorrupt, name + ": general.alignment must be a u32 power of two <= 4096"};
    alignment = static_cast<uint64_t>(a);
  }
  std::set<std::string> names;
  std::vector<uint64_t> offsets;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    uint32_t n_dims = 0;
    if (!c.str(t.name, "tensor name") || !c.get(n_dims, "n_dims")) return bad();
    if (!names.insert(t.name).second) { c.fail("duplicate tensor '" + t.name + "'"); return bad(); }
    if (n_dims < 1 || n_dims > 4) { c.fail("tensor '" + t.name + "': n_dims " + std::to_string(n_dims) + " not in 1..4"); return bad(); }
    t.ne.resize(n_dims);
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      if (!c.get(t.ne[d], "ne")) return bad();
      if (t.ne[d] == 0 || t.ne[d] > (1u << 24)) { c.fail("tensor '" + t.name + "': dimension " + std::to_string(t.ne[d]) + " out of range"); return bad(); }
      n *= t.ne[d];
      if (n > (1ull << 28)) { c.fail("tensor '" + t.name + "': too many elements"); return bad(); }
    }
    t.n_elems = n;
    uint64_t off = 0;
    if (!c.get(t.type, "tensor type") || !c.get(off, "tensor offset")) return bad();
    if (t.type == kGgmlF32) t.n_bytes = n * 4;
    else if (t.type == kGgmlI8) t.n_bytes = n;
    else { c.fail("tensor '" + t.name + "': ggml type " + std::to_string(t.type) + " not supported (F32, I8)"); return bad(); }
    if (off % alignment != 0) { c.fail("tensor '" + t.name + "': offset " + std::to_string(off) + " not aligned"); return bad(); }
    offsets.push_back(off);
    f.tensors.push_back(std::move(t));
  }
  const uint64_t data_start = (c.pos() + alignment - 1) / alignment * alignment;
  if (data_start > f.bytes.size() && n_tensors > 0)
    return Error{Code::kCorrupt, name + ": tensor data section starts at " + std::to_string(data_start) +
                                     " beyond end of file (" + std::to_string(f.bytes.size()) + ")"};
  const uint64_t data_size = f.bytes.size() > data_start ? f.bytes.size() - data_start : 0;
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    GgufTensor& t = f.tensors[i];
    if (offsets[i] > data_size || t.n_bytes > data_size - offsets[i])
      return Error{Code::kCorrupt, name + ": tensor '" + t.name + "': data ends at " +
                                       std::to_string(data_start + offsets[i] + t.n_bytes) + " > file size " +
                                       std::to_string(f.bytes.size())};
    t.data = f.bytes.data() + data_start + offsets[i];
  }
  return f;
}

}  // namespace hearth::wakeword
