// Schema versions: new and v0 files are migrated, newer files are refused
// untouched, extra steps apply in order and a failing step is rolled back.
#include <gtest/gtest.h>

#include <filesystem>

#include "history_test_util.h"
#include "sqlite_history_store.h"

namespace hearth {
namespace {

using testing::make_command;
using testing::make_event;
using testing::open_ok;
using testing::RawDb;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

TEST(HistoryMigration, ZeroByteFileIsMigrated) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  write_file(path, "");
  auto store = open_ok(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), kHistorySchemaVersion);
  EXPECT_TRUE(store->record_command(make_command(1)));
}

TEST(HistoryMigration, VersionZeroDatabaseIsMigrated) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    RawDb raw(path);
    // A valid database file with user_version 0 and no tables of ours.
    raw.exec("CREATE TABLE scratch(x); DROP TABLE scratch;");
    EXPECT_EQ(raw.query_int("PRAGMA user_version"), 0);
  }
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), kHistorySchemaVersion);
    ASSERT_TRUE(store->record_events({make_event(1)}));
  }
  RawDb raw(path);
  EXPECT_EQ(raw.query_int("PRAGMA user_version"), kHistorySchemaVersion);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM events"), 1);
  EXPECT_EQ(raw.query_text("PRAGMA journal_mode"), "wal");
}

TEST(HistoryMigration, NewerSchemaIsRefusedAndLeftUntouched) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  const int newer = kHistorySchemaVersion + 1;
  {
    RawDb raw(path);
    raw.exec("CREATE TABLE commands(id INTEGER PRIMARY KEY, future_column TEXT);"
             "INSERT INTO commands VALUES (1, 'from the future');"
             "PRAGMA user_version = " + std::to_string(newer) + ";");
  }
  const std::string before = read_file(path);
  ASSERT_FALSE(before.empty());

  Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupported);
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("schema version " + std::to_string(newer)), std::string::npos)
      << r.error().message;

  EXPECT_EQ(read_file(path), before) << "a refused file must stay byte-for-byte the same";
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  RawDb raw(path);
  EXPECT_EQ(raw.query_text("PRAGMA journal_mode"), "delete");
  EXPECT_EQ(raw.query_int("PRAGMA user_version"), newer);
}

TEST(HistoryMigration, ForeignApplicationIsRefused) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    RawDb raw(path);
    raw.exec("PRAGMA application_id = 42; CREATE TABLE t(x);");
  }
  Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupported);
  EXPECT_NE(r.error().message.find("not a hearth history file"), std::string::npos) << r.error().message;
}

TEST(HistoryMigration, ReadOnlyOpenDoesNotMigrate) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    RawDb raw(path);
    raw.exec("CREATE TABLE scratch(x); DROP TABLE scratch;");
  }
  HistoryOptions opt;
  opt.read_only = true;
  Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path, opt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kReadOnly);
  EXPECT_NE(r.error().message.find("must be migrated"), std::string::npos) << r.error().message;
  RawDb raw(path);
  EXPECT_EQ(raw.query_int("PRAGMA user_version"), 0);
}

std::vector<HistoryMigration> steps_with(HistoryMigration extra) {
  std::vector<HistoryMigration> steps(history_migrations().begin(), history_migrations().end());
  extra.version = steps.back().version + 1;
  steps.push_back(std::move(extra));
  return steps;
}

TEST(HistoryMigration, LaterStepAppliesToExistingData) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_command(make_command(1)));
  }
  const std::vector<HistoryMigration> steps =
      steps_with({0, "add rooms", "CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"});
  HistoryOpenHooks hooks;
  hooks.migrations = steps;
  {
    Result<std::unique_ptr<HistoryStore>> r = open_history_store_for_test(path, {}, hooks);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->schema_version(), kHistorySchemaVersion + 1);
    EXPECT_EQ(*(*r)->count_commands(), 1);
  }
  // This build (one version older) now refuses the file.
  EXPECT_EQ(HistoryStore::open(path).error().code, Code::kUnsupported);
  RawDb raw(path);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'rooms'"), 1);
}

TEST(HistoryMigration, FailingStepIsRolledBack) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_command(make_command(1)));
  }
  // The step's first statement succeeds, its second fails.
  const std::vector<HistoryMigration> steps =
      steps_with({0, "broken step", "CREATE TABLE rooms (id INTEGER); INSERT INTO no_such_table VALUES (1);"});
  HistoryOpenHooks hooks;
  hooks.migrations = steps;
  Result<std::unique_ptr<HistoryStore>> r = open_history_store_for_test(path, {}, hooks);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("migrating to schema v" + std::to_string(kHistorySchemaVersion + 1)),
            std::string::npos)
      << r.error().message;

  RawDb raw(path);
  EXPECT_EQ(raw.query_int("PRAGMA user_version"), kHistorySchemaVersion);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'rooms'"), 0);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM commands"), 1);
}

}  // namespace
}  // namespace hearth
