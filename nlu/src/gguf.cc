// GGUF reader and writer; the byte layout is documented in gguf.h.
#include "gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace hearth {
namespace {

constexpr uint8_t kMagic[4] = {'G', 'G', 'U', 'F'};

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

// Size of one scalar of type t; 0 for string / array / unknown.
uint64_t scalar_size(uint32_t t) {
  switch (static_cast<GgufType>(t)) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    default:
      return 0;
  }
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }
bool add_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_add_overflow(a, b, out); }

template <class T>
T load_le(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // host is little endian (checked in dispatch of the build)
  return v;
}

// Bounds-checked cursor over the file bytes. Every read checks the remaining
// size first; errors carry the offset where the failing field starts.
class Cursor {
 public:
  Cursor(const uint8_t* p, uint64_t n) : p_(p), n_(n) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return n_ - pos_; }
  const uint8_t* here() const { return p_ + pos_; }

  Result<void> need(uint64_t bytes, const std::string& what) const {
    if (bytes > remaining())
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: needs %" PRIu64 " bytes, %" PRIu64
                                       " remain (truncated file?)",
                                       pos_, what.c_str(), bytes, remaining())};
    return {};
  }
  template <class T>
  Result<T> read(const std::string& what) {
    HEARTH_TRY(need(sizeof(T), what));
    T v = load_le<T>(p_ + pos_);
    pos_ += sizeof(T);
    return v;
  }
  Result<std::string_view> read_string(const std::string& what, uint64_t max_len) {
    const uint64_t at = pos_;
    auto n = read<uint64_t>(what + " length");
    if (!n) return n.error();
    if (*n > max_len)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: length %" PRIu64 " exceeds limit %" PRIu64,
                                       at, what.c_str(), *n, max_len)};
    if (*n > remaining())
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: length %" PRIu64 " exceeds the %" PRIu64
                                       " bytes that remain",
                                       at, what.c_str(), *n, remaining())};
    std::string_view s(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(*n));
    pos_ += *n;
    return s;
  }
  void skip(uint64_t n) { pos_ += n; }  // callers checked need(n)

 private:
  const uint8_t* p_;
  uint64_t n_;
  uint64_t pos_ = 0;
};

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (s.size() > 80) out += "...";
  return out + "'";
}

}  // namespace

std::string_view gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::kUint8: return "u8";
    case GgufType::kInt8: return "i8";
    case GgufType::kUint16: return "u16";
    case GgufType::kInt16: return "i16";
    case GgufType::kUint32: return "u32";
    case GgufType::kInt32: return "i32";
    case GgufType::kFloat32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "u64";
    case GgufType::kInt64: return "i64";
    case GgufType::kFloat64: return "f64";
  }
  return "?";
}

std::optional<TensorTypeInfo> tensor_type_info(uint32_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::kF32: return TensorTypeInfo{"F32", 1, 4, 4};
    case TensorType::kF16: return TensorTypeInfo{"F16", 1, 2, 2};
    case TensorType::kQ4_0: return TensorTypeInfo{"Q4_0", 32, 18, 2};
    case TensorType::kQ4_1: return TensorTypeInfo{"Q4_1", 32, 20, 2};
    case TensorType::kQ8_0: return TensorTypeInfo{"Q8_0", 32, 34, 2};
    case TensorType::kQ4_K: return TensorTypeInfo{"Q4_K", 256, 144, 2};
    case TensorType::kQ5_K: return TensorTypeInfo{"Q5_K", 256, 176, 2};
    case TensorType::kQ6_K: return TensorTypeInfo{"Q6_K", 256, 210, 2};
  }
  return std::nullopt;
}

GgufFile::~GgufFile() {
  if (map_) munmap(map_, static_cast<size_t>(size_));
}

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{Code::kIo, "gguf: " + path + ": " + std::strerror(errno)};
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return Error{Code::kIo, "gguf: " + path + ": stat: " + std::strerror(e)};
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{Code::kBadInput, "gguf: " + path + ": not a regular file"};
  }
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->size_ = static_cast<uint64_t>(st.st_size);
  if (f->size_ > 0) {
    void* m = mmap(nullptr, static_cast<size_t>(f->size_), PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int e = errno;
      ::close(fd);
      return Error{Code::kIo, "gguf: " + path + ": mmap: " + std::strerror(e)};
    }
    f->map_ = m;
    f->bytes_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);  // the mapping stays valid without the descriptor
  auto r = f->parse();
  if (!r) return r.error().with_context("gguf: " + path);
  return f;
}

Result<std::unique_ptr<GgufFile>> GgufFile::from_bytes(std::span<const uint8_t> bytes) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->owned_.assign(bytes.begin(), bytes.end());
  f->bytes_ = f->owned_.data();
  f->size_ = f->owned_.size();
  auto r = f->parse();
  if (!r) return r.error().with_context("gguf");
  return f;
}

Result<void> GgufFile::parse() {
  Cursor c(bytes_, size_);
  HEARTH_TRY(c.need(4, "magic"));
  if (std::memcmp(c.here(), kMagic, 4) != 0)
    return Error{Code::kCorrupt, "offset 0: magic: not a GGUF file (expected \"GGUF\")"};
  c.skip(4);
  auto version = c.read<uint32_t>("version");
  if (!version) return version.error();
  if (*version == 1)
    return Error{Code::kUnsupported, "offset 4: version: GGUF v1 is not supported (re-convert the model)"};
  if (*version != 2 && *version != 3) {
    const bool swapped = __builtin_bswap32(*version) >= 1 && __builtin_bswap32(*version) <= 3;
    return Error{Code::kUnsupported, fmt("offset 4: version: %" PRIu32 " is not 2 or 3%s", *version,
                                         swapped ? " (big-endian file?)" : "")};
  }
  version_ = *version;
  auto n_tensors = c.read<uint64_t>("n_tensors");
  if (!n_tensors) return n_tensors.error();
  auto n_kv = c.read<uint64_t>("n_kv");
  if (!n_kv) return n_kv.error();
  // A kv takes at least 8 (key length) + 4 (type) + 1 bytes, a tensor info
  // at least 8 + 4 + 8 + 4 + 8: reject counts the file cannot hold before
  // reserving anything.
  if (*n_kv > c.remaining() / 13)
    return Error{Code::kCorrupt, fmt("offset 16: n_kv: %" PRIu64 " entries cannot fit in %" PRIu64 " bytes",
                                     *n_kv, c.remaining())};
  if (*n_tensors > c.remaining() / 32)
    return Error{Code::kCorrupt, fmt("offset 8: n_tensors: %" PRIu64 " tensors cannot fit in %" PRIu64
                                     " bytes", *n_tensors, c.remaining())};

  kvs_.reserve(static_cast<size_t>(*n_kv));
  std::unordered_set<std::string_view> keys;
  for (uint64_t i = 0; i < *n_kv; ++i) {
    GgufKv kv;
    kv.file_offset = c.pos();
    const std::string where = fmt("kv[%" PRIu64 "]", i);
    auto key = c.read_string(where + " key", kGgufMaxKeyBytes);
    if (!key) return key.error();
    kv.key = *key;
    const std::string wk = where + " " + quoted(kv.key);
    if (kv.key.empty()) return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: empty key", kv.file_offset, wk.c_str())};
    if (!keys.insert(kv.key).second)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: duplicate key", kv.file_offset, wk.c_str())};
    const uint64_t type_at = c.pos();
    auto type = c.read<uint32_t>(wk + " type");
    if (!type) return type.error();
    if (*type > static_cast<uint32_t>(GgufType::kFloat64))
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: unknown value type %" PRIu32, type_at, wk.c_str(), *type)};
    kv.type = static_cast<GgufType>(*type);
    uint32_t elem = *type;
    uint64_t count = 1;
    if (kv.type == GgufType::kArray) {
      const uint64_t at = c.pos();
      auto et = c.read<uint32_t>(wk + " array type");
      if (!et) return et.error();
      if (*et == static_cast<uint32_t>(GgufType::kArray))
        return Error{Code::kUnsupported, fmt("offset %" PRIu64 ": %s: arrays of arrays are not supported", at, wk.c_str())};
      if (*et > static_cast<uint32_t>(GgufType::kFloat64))
        return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: unknown array element type %" PRIu32, at, wk.c_str(), *et)};
      elem = *et;
      kv.elem_type = static_cast<GgufType>(*et);
      const uint64_t count_at = c.pos();
      auto n = c.read<uint64_t>(wk + " array count");
      if (!n) return n.error();
      count = *n;
      const uint64_t min_elem = elem == static_cast<uint32_t>(GgufType::kString) ? 8 : scalar_size(elem);
      if (count > c.remaining() / min_elem)
        return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: array count %" PRIu64 " of %s cannot fit in the %" PRIu64
                                         " bytes that remain",
                                         count_at, wk.c_str(), count,
                                         std::string(gguf_type_name(kv.elem_type)).c_str(), c.remaining())};
    }
    kv.count = count;
    if (elem == static_cast<uint32_t>(GgufType::kString)) {
      kv.strings.reserve(static_cast<size_t>(count));
      for (uint64_t j = 0; j < count; ++j) {
        auto s = c.read_string(kv.type == GgufType::kArray ? fmt("%s[%" PRIu64 "]", wk.c_str(), j) : wk + " value",
                               std::numeric_limits<uint64_t>::max());
        if (!s) return s.error();
        kv.strings.push_back(*s);
      }
    } else {
      uint64_t bytes = 0;
      if (mul_overflows(count, scalar_size(elem), &bytes))
        return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: array size overflows", c.pos(), wk.c_str())};
      HEARTH_TRY(c.need(bytes, wk + " value"));
      kv.data = c.here();
      if (elem == static_cast<uint32_t>(GgufType::kBool)) {
        for (uint64_t j = 0; j < count; ++j)
          if (kv.data[j] > 1)
            return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: bool value %u is not 0 or 1", c.pos() + j,
                                             wk.c_str(), kv.data[j])};
      }
      c.skip(bytes);
    }
    kvs_.push_back(std::move(kv));
  }

  if (const GgufKv* a = find_kv("general.alignment")) {
    if (a->type != GgufType::kUint32)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": general.alignment: type %s, expected u32", a->file_offset,
                                       std::string(gguf_type_name(a->type)).c_str())};
    const uint32_t al = load_le<uint32_t>(a->data);
    if (al == 0 || (al & (al - 1)) != 0)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": general.alignment: %" PRIu32 " is not a power of two",
                                       a->file_offset, al)};
    alignment_ = al;
  }

  tensors_.reserve(static_cast<size_t>(*n_tensors));
  std::unordered_set<std::string_view> names;
  std::vector<uint64_t> info_offsets;
  for (uint64_t i = 0; i < *n_tensors; ++i) {
    const uint64_t at = c.pos();
    info_offsets.push_back(at);
    const std::string where = fmt("tensor[%" PRIu64 "]", i);
    auto name = c.read_string(where + " name", kGgufMaxNameBytes);
    if (!name) return name.error();
    GgufTensor t{};
    t.name = *name;
    const std::string wn = "tensor " + quoted(t.name);
    if (!names.insert(t.name).second)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: duplicate tensor name", at, wn.c_str())};
    const uint64_t dims_at = c.pos();
    auto n_dims = c.read<uint32_t>(wn + " n_dims");
    if (!n_dims) return n_dims.error();
    if (*n_dims == 0 || *n_dims > kGgufMaxDims)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: n_dims %" PRIu32 " not in 1..%" PRIu32, dims_at,
                                       wn.c_str(), *n_dims, kGgufMaxDims)};
    t.n_dims = *n_dims;
    uint64_t n_elements = 1;
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      const uint64_t ne_at = c.pos();
      auto ne = c.read<uint64_t>(fmt("%s ne[%" PRIu32 "]", wn.c_str(), d));
      if (!ne) return ne.error();
      if (*ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || mul_overflows(n_elements, *ne, &n_elements))
        return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: ne[%" PRIu32 "] = %" PRIu64 ": element count overflows",
                                         ne_at, wn.c_str(), d, *ne)};
      t.ne[d] = static_cast<int64_t>(*ne);
    }
    if (n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: element count overflows", dims_at, wn.c_str())};
    t.n_elements = n_elements;
    const uint64_t type_at = c.pos();
    auto type = c.read<uint32_t>(wn + " type");
    if (!type) return type.error();
    auto info = tensor_type_info(*type);
    if (!info)
      return Error{Code::kUnsupported, fmt("offset %" PRIu64 ": %s: unsupported tensor type %" PRIu32, type_at,
                                           wn.c_str(), *type)};
    t.type = static_cast<TensorType>(*type);
    if (t.ne[0] % info->block_elems != 0)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: ne[0] = %" PRId64 " is not a multiple of the %s block size %" PRIu32,
                                       dims_at, wn.c_str(), t.ne[0], info->name, info->block_elems)};
    // n_elements / block_elems * block_bytes cannot overflow when
    // n_elements <= INT64_MAX and block_bytes / block_elems <= 4 ... except
    // F32 (4 bytes per element): check it anyway.
    if (mul_overflows(n_elements / info->block_elems, info->block_bytes, &t.n_bytes))
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: byte size overflows", dims_at, wn.c_str())};
    const uint64_t off_at = c.pos();
    auto off = c.read<uint64_t>(wn + " offset");
    if (!off) return off.error();
    if (*off % alignment_ != 0)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: data offset %" PRIu64 " is not a multiple of the alignment %" PRIu32,
                                       off_at, wn.c_str(), *off, alignment_)};
    t.offset = *off;  // relative until the data section is known
    tensors_.push_back(t);
  }

  // Data section: padded to the alignment after the tensor infos.
  uint64_t data = c.pos();
  const uint64_t rem = data % alignment_;
  if (rem != 0 && add_overflows(data, alignment_ - rem, &data))
    return Error{Code::kCorrupt, "data section offset overflows"};
  if (data > size_ && !tensors_.empty())
    return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": data section starts at %" PRIu64 " > file size %" PRIu64, c.pos(),
                                     data, size_)};
  data_offset_ = data;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    GgufTensor& t = tensors_[i];
    const std::string wn = "tensor " + quoted(t.name);
    uint64_t begin = 0, end = 0;
    if (add_overflows(data_offset_, t.offset, &begin) || add_overflows(begin, t.n_bytes, &end) || end > size_)
      return Error{Code::kCorrupt, fmt("offset %" PRIu64 ": %s: data [%" PRIu64 " + %" PRIu64 " bytes] ends past the file size %" PRIu64,
                                       info_offsets[i], wn.c_str(), t.offset, t.n_bytes, size_)};
    const auto info = *tensor_type_info(static_cast<uint32_t>(t.type));
    // The mmap base is page aligned, so the absolute offset decides whether
    // the typed pointer is aligned (alignment 1 or 2 files can break this).
    if (begin % info.align_bytes != 0)
      return Error{Code::kUnsupported, fmt("offset %" PRIu64 ": %s: data at %" PRIu64 " is not %" PRIu32 "-byte aligned for %s",
                                           info_offsets[i], wn.c_str(), begin, info.align_bytes, info.name)};
    t.offset = begin;
    t.data = bytes_ + begin;
  }
  // Overlapping tensors would alias weights: reject (sorted by offset).
  std::vector<const GgufTensor*> by_off;
  for (const GgufTensor& t : tensors_) by_off.push_back(&t);
  std::sort(by_off.begin(), by_off.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_off.size(); ++i)
    if (by_off[i - 1]->n_bytes > 0 && by_off[i - 1]->offset + by_off[i - 1]->n_bytes > by_off[i]->offset)
      return Error{Code::kCorrupt, "tensor " + quoted(by_off[i]->name) + ": data overlaps tensor " + quoted(by_off[i - 1]->name)};
  return {};
}

const GgufKv* GgufFile::find_kv(std::string_view key) const {
  for (const GgufKv& kv : kvs_)
    if (kv.key == key) return &kv;
  return nullptr;
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
  for (const GgufTensor& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

namespace {

// Reads element j of a numeric kv as int64 / double; false if not that kind.
bool element_as_int(GgufType t, const uint8_t* p, int64_t* out, bool* out_of_range) {
  *out_of_range = false;
  switch (t) {
    case GgufType::kUint8: *out = load_le<uint8_t>(p); return true;
    case GgufType::kInt8: *out = load_le<int8_t>(p); return true;
    case GgufType::kUint16: *out = load_le<uint16_t>(p); return true;
    case GgufType::kInt16: *out = load_le<int16_t>(p); return true;
    case GgufType::kUint32: *out = load_le<uint32_t>(p); return true;
    case GgufType::kInt32: *out = load_le<int32_t>(p); return true;
    case GgufType::kInt64: *out = load_le<int64_t>(p); return true;
    case GgufType::kUint64: {
      const uint64_t v = load_le<uint64_t>(p);
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) *out_of_range = true;
      *out = static_cast<int64_t>(v);
      return true;
    }
    default: return false;
  }
}

bool element_as_float(GgufType t, const uint8_t* p, double* out) {
  if (t == GgufType::kFloat32) { *out = load_le<float>(p); return true; }
  if (t == GgufType::kFloat64) { *out = load_le<double>(p); return true; }
  return false;
}

Error wrong_type(const GgufKv& kv, const char* want) {
  std::string got(gguf_type_name(kv.type));
  if (kv.type == GgufType::kArray) got += " of " + std::string(gguf_type_name(kv.elem_type));
  return Error{Code::kBadInput, fmt("key '%.*s' (offset %" PRIu64 "): type %s, expected %s", static_cast<int>(kv.key.size()),
                                    kv.key.data(), kv.file_offset, got.c_str(), want)};
}

Error missing(std::string_view key) {
  return Error{Code::kNotFound, "key '" + std::string(key) + "' is missing"};
}

}  // namespace

Result<int64_t> GgufFile::get_int(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return missing(key);
  int64_t v;
  bool oor;
  if (kv->type == GgufType::kArray || !element_as_int(kv->type, kv->data, &v, &oor)) return wrong_type(*kv, "an integer");
  if (oor) return Error{Code::kBadInput, "key '" + std::string(key) + "': value out of range"};
  return v;
}

Result<double> GgufFile::get_float(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return missing(key);
  double v;
  if (kv->type == GgufType::kArray || !element_as_float(kv->type, kv->data, &v)) return wrong_type(*kv, "a float");
  return v;
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return missing(key);
  if (kv->type != GgufType::kBool) return wrong_type(*kv, "bool");
  return kv->data[0] != 0;
}

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return missing(key);
  if (kv->type != GgufType::kString) return wrong_type(*kv, "string");
  return kv->strings[0];
}

Result<std::vector<std::string_view>> GgufFile::get_string_array(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return missing(key);
  if (kv->type != GgufType::kArray || kv->elem_type != GgufType::kString) return wrong_type(*kv, "array of string");
  return kv->strings;
}

Result<std::vector<float>> GgufFile::get_f32_array(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return missing(key);
  if (kv->type != GgufType::kArray || (kv->elem_type != GgufType::kFloat32 && kv->elem_type != GgufType::kFloat64))
    return wrong_type(*kv, "array of f32");
  std::vector<float> out(static_cast<size_t>(kv->count));
  const uint64_t es = scalar_size(static_cast<uint32_t>(kv->elem_type));
  for (uint64_t j = 0; j < kv->count; ++j) {
    double v = 0;
    element_as_float(kv->elem_type, kv->data + j * es, &v);
    out[j] = static_cast<float>(v);
  }
  return out;
}

Result<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return missing(key);
  if (kv->type != GgufType::kArray) return wrong_type(*kv, "array of integers");
  const uint64_t es = scalar_size(static_cast<uint32_t>(kv->elem_type));
  std::vector<int64_t> out(static_cast<size_t>(kv->count));
  for (uint64_t j = 0; j < kv->count; ++j) {
    bool oor;
    if (!element_as_int(kv->elem_type, kv->data + j * es, &out[j], &oor)) return wrong_type(*kv, "array of integers");
    if (oor) return Error{Code::kBadInput, "key '" + std::string(key) + "': element out of range"};
  }
  return out;
}

std::string GgufFile::describe() const {
  std::string out = fmt("GGUF v%" PRIu32 ", %zu kv, %zu tensors, alignment %" PRIu32 ", data at %" PRIu64 "\n", version_,
                        kvs_.size(), tensors_.size(), alignment_, data_offset_);
  for (const GgufKv& kv : kvs_) {
    out += std::string(kv.key) + " = ";
    if (kv.type == GgufType::kArray) {
      out += fmt("[%" PRIu64 " x %s]", kv.count, std::string(gguf_type_name(kv.elem_type)).c_str());
    } else if (kv.type == GgufType::kString) {
      out += quoted(kv.strings[0]);
    } else {
      int64_t iv;
      double fv;
      bool oor;
      if (element_as_int(kv.type, kv.data, &iv, &oor)) out += oor ? fmt("%" PRIu64, static_cast<uint64_t>(iv)) : fmt("%" PRId64, iv);
      else if (element_as_float(kv.type, kv.data, &fv)) out += fmt("%g", fv);
      else if (kv.type == GgufType::kBool) out += kv.data[0] ? "true" : "false";
    }
    out += "\n";
  }
  for (const GgufTensor& t : tensors_) {
    out += fmt("%-32.*s %-5s [", static_cast<int>(t.name.size()), t.name.data(),
               tensor_type_info(static_cast<uint32_t>(t.type))->name);
    for (uint32_t d = 0; d < t.n_dims; ++d) out += fmt(d ? ", %" PRId64 : "%" PRId64, t.ne[d]);
    out += fmt("] %" PRIu64 " bytes at %" PRIu64 "\n", t.n_bytes, t.offset);
  }
  return out;
}

// ---- writer ----

namespace {

void put_u32(std::vector<uint8_t>& b, uint32_t v) { for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i))); }
void put_u64(std::vector<uint8_t>& b, uint64_t v) { for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i))); }
void put_str(std::vector<uint8_t>& b, std::string_view s) {
  put_u64(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}
template <class T>
std::vector<uint8_t> bytes_of(T v) {
  std::vector<uint8_t> b(sizeof v);
  std::memcpy(b.data(), &v, sizeof v);
  return b;
}

}  // namespace

void GgufWriter::add_raw(std::string key, uint32_t type, std::vector<uint8_t> payload) {
  kvs_.push_back(Kv{std::move(key), type, std::move(payload)});
}
void GgufWriter::add_u32(std::string key, uint32_t v) { add_raw(std::move(key), 4, bytes_of(v)); }
void GgufWriter::add_i32(std::string key, int32_t v) { add_raw(std::move(key), 5, bytes_of(v)); }
void GgufWriter::add_u64(std::string key, uint64_t v) { add_raw(std::move(key), 10, bytes_of(v)); }
void GgufWriter::add_f32(std::string key, float v) { add_raw(std::move(key), 6, bytes_of(v)); }
void GgufWriter::add_bool(std::string key, bool v) { add_raw(std::move(key), 7, {static_cast<uint8_t>(v ? 1 : 0)}); }
void GgufWriter::add_string(std::string key, std::string v) {
  std::vector<uint8_t> p;
  put_str(p, v);
  add_raw(std::move(key), 8, std::move(p));
}
void GgufWriter::add_string_array(std::string key, const std::vector<std::string>& v) {
  std::vector<uint8_t> p;
  put_u32(p, 8);
  put_u64(p, v.size());
  for (const auto& s : v) put_str(p, s);
  add_raw(std::move(key), 9, std::move(p));
}
void GgufWriter::add_f32_array(std::string key, const std::vector<float>& v) {
  std::vector<uint8_t> p;
  put_u32(p, 6);
  put_u64(p, v.size());
  for (float f : v) { auto b = bytes_of(f); p.insert(p.end(), b.begin(), b.end()); }
  add_raw(std::move(key), 9, std::move(p));
}
void GgufWriter::add_i32_array(std::string key, const std::vector<int32_t>& v) {
  std::vector<uint8_t> p;
  put_u32(p, 5);
  put_u64(p, v.size());
  for (int32_t x : v) put_u32(p, static_cast<uint32_t>(x));
  add_raw(std::move(key), 9, std::move(p));
}
void GgufWriter::add_tensor(std::string name, TensorType type, std::vector<int64_t> ne, std::vector<uint8_t> data) {
  tensors_.push_back(Tensor{std::move(name), static_cast<uint32_t>(type), std::move(ne), std::move(data)});
}

void GgufWriter::add_kv_copy(const GgufKv& kv) {
  std::vector<uint8_t> p;
  const uint32_t elem = static_cast<uint32_t>(kv.type == GgufType::kArray ? kv.elem_type : kv.type);
  if (kv.type == GgufType::kArray) {
    put_u32(p, elem);
    put_u64(p, kv.count);
  }
  if (elem == static_cast<uint32_t>(GgufType::kString)) {
    for (std::string_view s : kv.strings) put_str(p, s);
  } else {
    p.insert(p.end(), kv.data, kv.data + kv.count * scalar_size(elem));
  }
  add_raw(std::string(kv.key), static_cast<uint32_t>(kv.type), std::move(p));
}

uint64_t GgufWriter::tensor_info_offset_for_test(size_t i) const {
  // Re-walk the header: magic, version, counts, kvs, then tensor infos.
  uint64_t pos = 24;
  const bool extra_alignment = alignment_ != kGgufDefaultAlignment;
  for (const Kv& kv : kvs_) pos += 8 + kv.key.size() + 4 + kv.payload.size();
  if (extra_alignment) pos += 8 + std::strlen("general.alignment") + 4 + 4;
  for (size_t j = 0; j < i; ++j) pos += 8 + tensors_[j].name.size() + 4 + 8 * tensors_[j].ne.size() + 4 + 8;
  return pos;
}

std::vector<uint8_t> GgufWriter::serialize() const {
  std::vector<uint8_t> b(kMagic, kMagic + 4);
  put_u32(b, 3);
  put_u64(b, tensors_.size());
  const bool extra_alignment = alignment_ != kGgufDefaultAlignment;
  put_u64(b, kvs_.size() + (extra_alignment ? 1 : 0));
  for (const Kv& kv : kvs_) {
    put_str(b, kv.key);
    put_u32(b, kv.type);
    b.insert(b.end(), kv.payload.begin(), kv.payload.end());
  }
  if (extra_alignment) {
    put_str(b, "general.alignment");
    put_u32(b, 4);
    put_u32(b, alignment_);
  }
  const uint64_t al = alignment_ ? alignment_ : 1;
  uint64_t off = 0;
  std::vector<uint64_t> offsets;
  for (const Tensor& t : tensors_) {
    offsets.push_back(off);
    off += t.data.size();
    off = (off + al - 1) / al * al;
  }
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    put_str(b, t.name);
    put_u32(b, static_cast<uint32_t>(t.ne.size()));
    for (int64_t n : t.ne) put_u64(b, static_cast<uint64_t>(n));
    put_u32(b, t.type);
    put_u64(b, offsets[i]);
  }
  if (!tensors_.empty()) {
    while (b.size() % al) b.push_back(0);
    const size_t base = b.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      b.resize(base + offsets[i], 0);
      b.insert(b.end(), tensors_[i].data.begin(), tensors_[i].data.end());
    }
  }
  return b;
}

}  // namespace hearth
