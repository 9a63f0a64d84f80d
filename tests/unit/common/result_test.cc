#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "hearth/common/config_errors.h"
#include "hearth/common/result.h"
#include "hearth/common/value.h"

namespace hearth {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return Error{Code::kBadInput, "must be > 0, got " + std::to_string(x)};
  return x;
}

Result<int> doubled(int x) {
  auto r = parse_positive(x);
  HEARTH_TRY(r);
  return *r * 2;
}

TEST(Result, ValueAndError) {
  Result<int> ok = parse_positive(3);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok.has_value());
  EXPECT_EQ(ok.value(), 3);
  Result<int> bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kBadInput);
  EXPECT_EQ(bad.error().message, "must be > 0, got -1");
}

TEST(Result, TryPropagates) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_EQ(doubled(0).error().code, Code::kBadInput);
}

TEST(Result, MoveOnlyAndVoid) {
  Result<std::unique_ptr<int>> p = std::make_unique<int>(5);
  ASSERT_TRUE(p);
  std::unique_ptr<int> owned = std::move(p).value();
  EXPECT_EQ(*owned, 5);
  Result<void> v;
  EXPECT_TRUE(v);
  Result<void> e = Error{Code::kIo, "disk"};
  EXPECT_FALSE(e);
  EXPECT_EQ(e.error().with_context("history").message, "history: disk");
}

TEST(Result, CodeNamesAreStable) {
  EXPECT_EQ(code_name(Code::kBadInput), "bad_input");
  EXPECT_EQ(code_name(Code::kNotFound), "not_found");
  EXPECT_EQ(code_name(Code::kTimeout), "timeout");
  EXPECT_EQ(code_name(Code::kTooLarge), "too_large");
}

TEST(ConfigErrors, ListsEveryEntryWithFileAndPath) {
  ConfigErrors errs;
  errs.set_file("home.json");
  errs.add("$.devices[0].id", "missing");
  errs.add("$.areas[2].floor", "unknown floor 'attic'");
  EXPECT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs.to_string(),
            "home.json: $.devices[0].id: missing\nhome.json: $.areas[2].floor: unknown floor 'attic'\n");
}

TEST(Value, TextForms) {
  EXPECT_EQ(value_to_string(Value{}), "null");
  EXPECT_EQ(value_to_string(Value{true}), "true");
  EXPECT_EQ(value_to_string(Value{int64_t{42}}), "42");
  EXPECT_EQ(value_to_string(Value{21.5}), "21.5");
  EXPECT_EQ(value_to_string(Value{std::string("on")}), "on");
  EXPECT_EQ(*as_number(Value{int64_t{3}}), 3.0);
  EXPECT_FALSE(as_number(Value{std::string("x")}));
}

}  // namespace
}  // namespace hearth
