// GGUF reader: a valid file of every value type round-trips; hand-broken
// files (enumerated like llama.cpp's test-gguf) each give an error, never a
// crash; every truncation and every single-byte corruption of a small valid
// file is handled; the real files in ../shared/data/llm open (or, for the
// damaged vocab files, fail with a clear error).
#include "gguf.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hearth {
namespace {

const std::string kDataDir = std::string(HEARTH_SHARED_DATA_DIR) + "/llm";

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// A small file with one kv of every type and two tensors.
GgufWriter valid_writer() {
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_raw("t.u8", 0, {200});
  w.add_raw("t.i8", 1, {0xfe});
  w.add_raw("t.u16", 2, {0x34, 0x12});
  w.add_raw("t.i16", 3, {0xff, 0xff});
  w.add_u32("t.u32", 4000000000u);
  w.add_i32("t.i32", -7);
  w.add_f32("t.f32", 0.5f);
  w.add_bool("t.bool", true);
  w.add_u64("t.u64", 1ull << 40);
  w.add_raw("t.i64", 11, {0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  double d = 2.25;
  std::vector<uint8_t> db(8);
  std::memcpy(db.data(), &d, 8);
  w.add_raw("t.f64", 12, db);
  w.add_string_array("t.strs", {"a", "", "\xe2\x96\x81hi"});
  w.add_f32_array("t.f32s", {1.f, -2.f});
  w.add_i32_array("t.i32s", {3, -4, 5});
  w.add_tensor("w.f32", TensorType::kF32, {4, 3}, f32_bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  w.add_tensor("w.q8", TensorType::kQ8_0, {32, 2}, std::vector<uint8_t>(68, 1));
  return w;
}

std::vector<uint8_t> valid_file() { return valid_writer().serialize(); }

Result<std::unique_ptr<GgufFile>> parse(const std::vector<uint8_t>& b) { return GgufFile::from_bytes(b); }

void put_u32_at(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); }
void put_u64_at(std::vector<uint8_t>& b, size_t at, uint64_t v) { std::memcpy(&b[at], &v, 8); }

// Expects an error whose message contains `needle`.
#define EXPECT_GGUF_ERROR(bytes, needle)                                        \
  do {                                                                          \
    auto r_ = parse(bytes);                                                     \
    ASSERT_FALSE(r_) << "parsed a broken file";                                 \
    EXPECT_NE(r_.error().message.find(needle), std::string::npos) << r_.error().message; \
  } while (0)

TEST(Gguf, ValidFileRoundTrips) {
  auto f = parse(valid_file());
  ASSERT_TRUE(f) << f.error().message;
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(*g.get_string("general.architecture"), "llama");
  EXPECT_EQ(*g.get_int("t.u8"), 200);
  EXPECT_EQ(*g.get_int("t.i8"), -2);
  EXPECT_EQ(*g.get_int("t.u16"), 0x1234);
  EXPECT_EQ(*g.get_int("t.i16"), -1);
  EXPECT_EQ(*g.get_int("t.u32"), 4000000000ll);
  EXPECT_EQ(*g.get_int("t.i32"), -7);
  EXPECT_EQ(*g.get_float("t.f32"), 0.5);
  EXPECT_EQ(*g.get_bool("t.bool"), true);
  EXPECT_EQ(*g.get_int("t.u64"), 1ll << 40);
  EXPECT_EQ(*g.get_int("t.i64"), -5);
  EXPECT_EQ(*g.get_float("t.f64"), 2.25);
  auto strs = g.get_string_array("t.strs");
  ASSERT_TRUE(strs);
  ASSERT_EQ(strs->size(), 3u);
  EXPECT_EQ((*strs)[2], "\xe2\x96\x81hi");
  EXPECT_EQ(*g.get_f32_array("t.f32s"), (std::vector<float>{1.f, -2.f}));
  EXPECT_EQ(*g.get_int_array("t.i32s"), (std::vector<int64_t>{3, -4, 5}));
  // wrong type / missing key are errors naming the key
  auto wrong = g.get_string("t.u32");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("t.u32"), std::string::npos);
  EXPECT_EQ(g.get_int("nope").error().code, Code::kNotFound);

  ASSERT_EQ(g.tensors().size(), 2u);
  const GgufTensor* t = g.find_tensor("w.f32");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->ne[0], 4);
  EXPECT_EQ(t->ne[1], 3);
  EXPECT_EQ(t->n_bytes, 48u);
  EXPECT_EQ(t->offset % 32, 0u);
  EXPECT_EQ(static_cast<const float*>(t->data)[5], 6.f);
  EXPECT_EQ(g.find_tensor("w.q8")->n_bytes, 68u);
  EXPECT_FALSE(g.describe().empty());
}

TEST(Gguf, CustomAlignment) {
  GgufWriter w = valid_writer();
  w.set_alignment(64);
  auto f = parse(w.serialize());
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ((*f)->alignment(), 64u);
  EXPECT_EQ((*f)->data_offset() % 64, 0u);
}

TEST(Gguf, VersionTwoAccepted) {
  auto b = valid_file();
  put_u32_at(b, 4, 2);
  EXPECT_TRUE(parse(b));
}

TEST(GgufBad, Empty) { EXPECT_GGUF_ERROR(std::vector<uint8_t>{}, "magic"); }

TEST(GgufBad, BadMagic) {
  auto b = valid_file();
  b[0] = 'X';
  EXPECT_GGUF_ERROR(b, "not a GGUF file");
}

TEST(GgufBad, BadVersion) {
  for (uint32_t v : {0u, 1u, 4u, 0x03000000u}) {
    auto b = valid_file();
    put_u32_at(b, 4, v);
    EXPECT_GGUF_ERROR(b, "version");
  }
  auto b = valid_file();
  put_u32_at(b, 4, 0x03000000u);
  EXPECT_GGUF_ERROR(b, "big-endian");
}

TEST(GgufBad, CountTooLarge) {
  auto b = valid_file();
  put_u64_at(b, 16, ~0ull);
  EXPECT_GGUF_ERROR(b, "n_kv");
  b = valid_file();
  put_u64_at(b, 8, 1ull << 60);
  EXPECT_GGUF_ERROR(b, "n_tensors");
  b = valid_file();
  put_u64_at(b, 16, 20);  // plausible but more than there are: runs into tensor infos
  EXPECT_FALSE(parse(b));
}

TEST(GgufBad, StringTooLong) {
  auto b = valid_file();
  put_u64_at(b, 24, 1ull << 62);  // first key's length
  EXPECT_GGUF_ERROR(b, "kv[0] key");
  b = valid_file();
  put_u64_at(b, 24, 100000);  // over the key limit
  EXPECT_GGUF_ERROR(b, "exceeds limit");
  // a string value longer than the file
  GgufWriter w;
  w.add_raw("s", 8, {0xff, 0xff, 0, 0, 0, 0, 0, 0, 'x'});
  EXPECT_GGUF_ERROR(w.serialize(), "exceeds the");
}

TEST(GgufBad, ArrayCountTooLarge) {
  GgufWriter w;
  std::vector<uint8_t> p = {6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};  // f32 x 2^60
  w.add_raw("a", 9, p);
  EXPECT_GGUF_ERROR(w.serialize(), "array count");
  GgufWriter w2;
  w2.add_raw("a", 9, {8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});  // strings x 2^56
  EXPECT_GGUF_ERROR(w2.serialize(), "array count");
}

TEST(GgufBad, UnknownType) {
  GgufWriter w;
  w.add_raw("k", 13, {0, 0, 0, 0});
  EXPECT_GGUF_ERROR(w.serialize(), "unknown value type 13");
  GgufWriter w2;
  w2.add_raw("k", 9, {77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_GGUF_ERROR(w2.serialize(), "unknown array element type 77");
  GgufWriter w3;
  w3.add_raw("k", 9, {9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_GGUF_ERROR(w3.serialize(), "arrays of arrays");
}

TEST(GgufBad, BadBool) {
  GgufWriter w;
  w.add_raw("b", 7, {2});
  EXPECT_GGUF_ERROR(w.serialize(), "bool");
}

TEST(GgufBad, DuplicateKey) {
  GgufWriter w;
  w.add_u32("k", 1);
  w.add_u32("k", 2);
  EXPECT_GGUF_ERROR(w.serialize(), "duplicate key");
}

TEST(GgufBad, EmptyKey) {
  GgufWriter w;
  w.add_u32("", 1);
  EXPECT_GGUF_ERROR(w.serialize(), "empty key");
}

TEST(GgufBad, DuplicateName) {
  GgufWriter w;
  w.add_tensor("a", TensorType::kF32, {2}, f32_bytes({1, 2}));
  w.add_tensor("a", TensorType::kF32, {2}, f32_bytes({1, 2}));
  EXPECT_GGUF_ERROR(w.serialize(), "duplicate tensor name");
}

TEST(GgufBad, BadAlignment) {
  for (uint32_t al : {0u, 3u, 48u}) {
    GgufWriter w;
    w.add_u32("general.alignment", al);
    EXPECT_GGUF_ERROR(w.serialize(), "power of two");
  }
  GgufWriter w;
  w.add_string("general.alignment", "32");
  EXPECT_GGUF_ERROR(w.serialize(), "general.alignment");
}

TEST(GgufBad, UnknownTensorType) {
  GgufWriter w;
  w.add_tensor("t", static_cast<TensorType>(99), {4}, std::vector<uint8_t>(16));
  EXPECT_GGUF_ERROR(w.serialize(), "unsupported tensor type 99");
}

TEST(GgufBad, Dims) {
  GgufWriter w;
  w.add_tensor("t", TensorType::kF32, {}, {});
  EXPECT_GGUF_ERROR(w.serialize(), "n_dims 0");
  GgufWriter w5;
  w5.add_tensor("t", TensorType::kF32, {1, 1, 1, 1, 1}, f32_bytes({1}));
  EXPECT_GGUF_ERROR(w5.serialize(), "n_dims 5");
}

TEST(GgufBad, ShapeOverflow) {
  GgufWriter w;
  w.add_tensor("t", TensorType::kF32, {1ll << 40, 1ll << 40}, f32_bytes({1}));
  EXPECT_GGUF_ERROR(w.serialize(), "overflows");
  GgufWriter w2;
  w2.add_tensor("t", TensorType::kF32, {-1}, f32_bytes({1}));
  EXPECT_GGUF_ERROR(w2.serialize(), "overflows");
  GgufWriter w3;  // element count fits int64, bytes (x4) do not
  w3.add_tensor("t", TensorType::kF32, {1ll << 31, 1ll << 31}, f32_bytes({1}));
  EXPECT_GGUF_ERROR(w3.serialize(), "overflows");
}

TEST(GgufBad, BlockMisfit) {
  GgufWriter w;
  w.add_tensor("t", TensorType::kQ8_0, {33}, std::vector<uint8_t>(34));
  EXPECT_GGUF_ERROR(w.serialize(), "block size 32");
}

TEST(GgufBad, TensorOutOfBounds) {
  GgufWriter w = valid_writer();
  auto b = w.serialize();
  // tensor 1's offset field is the last 8 bytes of its info record
  const uint64_t info = w.tensor_info_offset_for_test(1);
  const uint64_t off_at = info + 8 + 4 + 4 + 16 + 4;
  put_u64_at(b, off_at, 1ull << 20);
  EXPECT_GGUF_ERROR(b, "ends past the file size");
  put_u64_at(b, off_at, ~0ull - 31);  // overflowing add
  EXPECT_GGUF_ERROR(b, "ends past the file size");
  put_u64_at(b, off_at, 8);  // not a multiple of 32
  EXPECT_GGUF_ERROR(b, "alignment");
  put_u64_at(b, off_at, 0);  // overlaps tensor 0
  EXPECT_GGUF_ERROR(b, "overlaps");
}

TEST(GgufBad, MisalignedForType) {
  // With alignment 1 a tensor can land at an odd address; typed access
  // would be undefined, so the reader refuses it. Vary the header length
  // so some layouts are misaligned.
  int refused = 0;
  for (int pad = 0; pad < 4; ++pad) {
    GgufWriter w;
    w.set_alignment(1);
    w.add_string("pad", std::string(static_cast<size_t>(pad), 'x'));
    w.add_tensor("q", TensorType::kQ8_0, {32}, std::vector<uint8_t>(34));
    w.add_tensor("f", TensorType::kF32, {1}, f32_bytes({1}));
    auto r = parse(w.serialize());
    if (!r) {
      ++refused;
      EXPECT_NE(r.error().message.find("aligned"), std::string::npos) << r.error().message;
    }
  }
  EXPECT_GE(refused, 2);
}

TEST(GgufBad, TruncatedAtEveryByte) {
  const auto b = valid_file();
  for (size_t n = 0; n < b.size(); ++n) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    ASSERT_FALSE(parse(cut)) << "prefix of " << n << " bytes parsed";
  }
  EXPECT_TRUE(parse(b));
}

TEST(GgufBad, EveryByteCorruptedNeverCrashes) {
  // Each byte set to a few hostile values: the parser must return (either
  // way) without reading out of bounds; ASan builds make this strict.
  const auto b = valid_file();
  int errors = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xff}}) {
      auto c = b;
      c[i] = v;
      if (!parse(c)) ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(Gguf, OpenErrors) {
  auto r = GgufFile::open("/nonexistent/model.gguf");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kIo);
  auto d = GgufFile::open("/tmp");
  ASSERT_FALSE(d);
}

TEST(GgufReal, Stories260K) {
  const std::string path = kDataDir + "/stories260K.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found (needs ../shared/data beside the checkout)";
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f) << f.error().message;
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(*g.get_string("general.architecture"), "llama");
  EXPECT_EQ(*g.get_int("llama.embedding_length"), 64);
  EXPECT_EQ(g.get_string_array("tokenizer.ggml.tokens")->size(), 512u);
  EXPECT_EQ(g.tensors().size(), 48u);
  const GgufTensor* t = g.find_tensor("token_embd.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->ne[0], 64);
  EXPECT_EQ(t->ne[1], 512);
}

// The two vocab-only files in ../shared/data/llm were damaged on their way
// here: every byte sequence that was not valid UTF-8 was replaced by U+FFFD
// (EF BF BD), shifting everything after the first binary number. The reader
// must refuse them with a message that points at the damage.
TEST(GgufReal, DamagedVocabFilesAreRejected) {
  for (const char* name : {"ggml-vocab-gpt-2.gguf", "ggml-vocab-phi-3.gguf"}) {
    const std::string path = kDataDir + "/" + name;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
    auto f = GgufFile::open(path);
    ASSERT_FALSE(f) << name;
    EXPECT_NE(f.error().message.find("offset"), std::string::npos) << f.error().message;
    std::printf("%s: %s\n", name, f.error().message.c_str());
  }
}

}  // namespace
}  // namespace hearth
