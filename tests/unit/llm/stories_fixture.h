// tests/unit/llm/stories_fixture.h: the real stories260K.gguf from
// ../shared/data/llm, loaded once per test; the test is skipped (with the
// reason) when the shared data is not beside the checkout.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "llm/model.h"

namespace hearth::llm {

inline const std::string kStoriesModel = std::string(HEARTH_SHARED_DATA_DIR) + "/llm/stories260K.gguf";

class StoriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kStoriesModel)) {
      GTEST_SKIP() << kStoriesModel << " not found (needs ../shared/data beside the checkout)";
    }
    auto m = Model::load(kStoriesModel);
    ASSERT_TRUE(m) << m.error().message;
    model_ = *m;
  }

  std::shared_ptr<const Model> model_;
};

}  // namespace hearth::llm
