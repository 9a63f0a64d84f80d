// SQLite-style fault loops: fail write/sync number 1, 2, 3, ... (once, and
// persistently; as an I/O error and as a full disk) while the store records
// or opens. Each call must succeed or return kIo naming the file, never
// crash; afterwards the file, reopened through the normal VFS, must pass the
// integrity check and hold everything committed before and during the run.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "fault_vfs.h"
#include "history_test_util.h"
#include "sqlite_history_store.h"

namespace hearth {
namespace {

using testing::arm_fault_vfs;
using testing::disarm_fault_vfs;
using testing::fault_vfs_fired;
using testing::FaultKind;
using testing::FaultMode;
using testing::kFaultVfsName;
using testing::make_command;
using testing::make_event;
using testing::open_ok;
using testing::read_file;
using testing::register_fault_vfs;
using testing::TempDir;
using testing::write_file;

constexpr int kMaxFailAt = 500;  // far above the writes one open or record makes
constexpr int kBatchSize = 3;

struct Scenario {
  const char* name;
  FaultMode mode;
  FaultKind kind;
};
constexpr Scenario kScenarios[] = {
    {"once/io_error", FaultMode::kOnce, FaultKind::kIoError},
    {"persistent/io_error", FaultMode::kPersistent, FaultKind::kIoError},
    {"once/disk_full", FaultMode::kOnce, FaultKind::kDiskFull},
    {"persistent/disk_full", FaultMode::kPersistent, FaultKind::kDiskFull},
};

Result<std::unique_ptr<HistoryStore>> open_faulty(const std::string& path) {
  HistoryOpenHooks hooks;
  hooks.vfs_name = kFaultVfsName;
  HistoryOptions opt;
  opt.busy_timeout = std::chrono::milliseconds(100);
  return open_history_store_for_test(path, opt, hooks);
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix);
}

std::string export_all(const HistoryStore& store) {
  std::ostringstream out;
  Result<int64_t> n = store.export_jsonl(out);
  EXPECT_TRUE(n) << n.error().message;
  return out.str();
}

// A failed call must be an I/O error that names the file.
void expect_io_error(const Error& e, const std::string& path, const std::string& where) {
  EXPECT_EQ(e.code, Code::kIo) << where << ": " << e.message;
  EXPECT_NE(e.message.find(path), std::string::npos) << where << ": " << e.message;
}

// Faults while recording into a store that already holds data.
void run_record_loop(const Scenario& s) {
  SCOPED_TRACE(s.name);
  register_fault_vfs();
  TempDir dir;
  const std::string base = dir.file("base.db");
  {
    auto store = open_ok(base);
    ASSERT_TRUE(store);
    for (int i = 0; i < 3; ++i) {
      Result<int64_t> id = store->record_command(make_command(i));
      ASSERT_TRUE(id);
      ASSERT_TRUE(store->record_events({make_event(i, "light.a", "action", *id)}));
    }
  }
  std::string baseline_export;
  {
    auto store = open_ok(base);
    ASSERT_TRUE(store);
    baseline_export = export_all(*store);
  }
  const std::string baseline_bytes = read_file(base);
  ASSERT_FALSE(std::filesystem::exists(base + "-wal")) << "baseline must be checkpointed into the main file";

  const std::string path = dir.file("work.db");
  int fail_at = 1;
  int n_failed_calls = 0;  // calls that returned an error, over the whole loop
  for (; fail_at <= kMaxFailAt; ++fail_at) {
    SCOPED_TRACE("fail_at=" + std::to_string(fail_at));
    remove_db(path);
    write_file(path, baseline_bytes);

    Result<int64_t> cmd_id = Error{Code::kInternal, "not run"};
    Result<void> events_done = Error{Code::kInternal, "not run"};
    {
      Result<std::unique_ptr<HistoryStore>> store = open_faulty(path);
      ASSERT_TRUE(store) << store.error().message;
      arm_fault_vfs(fail_at, s.mode, s.kind);
      cmd_id = (*store)->record_command(make_command(100));
      std::vector<EventRecord> batch;
      for (int k = 0; k < kBatchSize; ++k) {
        batch.push_back(make_event(100 + k, "light.b", k == 0 ? "action" : "state", cmd_id ? *cmd_id : 0));
      }
      events_done = (*store)->record_events(batch);
      // Closing checkpoints the WAL, still through the failing disk.
    }
    const bool fired = fault_vfs_fired();
    disarm_fault_vfs();
    if (!cmd_id) {
      expect_io_error(cmd_id.error(), path, "record_command");
      ++n_failed_calls;
    }
    if (!events_done) {
      expect_io_error(events_done.error(), path, "record_events");
      ++n_failed_calls;
    }

    // The disk works again: everything committed must be there, intact.
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    Result<void> sound = store->check_integrity();
    ASSERT_TRUE(sound) << sound.error().message;
    const std::string now = export_all(*store);
    ASSERT_EQ(now.substr(0, baseline_export.size()), baseline_export) << "earlier records changed";
    if (cmd_id) {
      HistoryQuery q;
      q.before_id = *cmd_id + 1;
      q.limit = 1;
      Result<std::vector<CommandRecord>> got = store->commands(q);
      ASSERT_TRUE(got);
      ASSERT_EQ(got->size(), 1u);
      EXPECT_EQ((*got)[0].id, *cmd_id) << "a committed command is missing";
    }
    HistoryQuery new_events;
    new_events.device_id = "light.b";
    Result<std::vector<EventRecord>> got = store->events(new_events);
    ASSERT_TRUE(got);
    if (events_done) {
      EXPECT_EQ(got->size(), static_cast<size_t>(kBatchSize)) << "a committed batch is missing";
    } else {
      // A failed commit may still have reached the WAL (a sync can fail after
      // the write), but a batch is never split.
      EXPECT_TRUE(got->empty() || got->size() == static_cast<size_t>(kBatchSize)) << got->size();
    }

    if (!fired) {
      EXPECT_TRUE(cmd_id) << cmd_id.error().message;
      EXPECT_TRUE(events_done) << events_done.error().message;
      break;
    }
  }
  EXPECT_GT(fail_at, 2) << "the loop must have injected faults";
  EXPECT_LE(fail_at, kMaxFailAt) << "the fault kept firing";
  ::testing::Test::RecordProperty("faults_injected", fail_at - 1);
  ::testing::Test::RecordProperty("calls_failed", n_failed_calls);
}

// Faults while creating and migrating a new file.
void run_open_loop(const Scenario& s) {
  SCOPED_TRACE(s.name);
  register_fault_vfs();
  TempDir dir;
  const std::string path = dir.file("new.db");
  int fail_at = 1;
  int n_failed_calls = 0;  // calls that returned an error, over the whole loop
  for (; fail_at <= kMaxFailAt; ++fail_at) {
    SCOPED_TRACE("fail_at=" + std::to_string(fail_at));
    remove_db(path);
    Result<int64_t> cmd_id = Error{Code::kInternal, "not run"};
    bool opened = false;
    arm_fault_vfs(fail_at, s.mode, s.kind);
    {
      Result<std::unique_ptr<HistoryStore>> store = open_faulty(path);
      opened = store.has_value();
      if (store) {
        cmd_id = (*store)->record_command(make_command(1));
        if (!cmd_id) {
          expect_io_error(cmd_id.error(), path, "record_command");
          ++n_failed_calls;
        }
      } else {
        expect_io_error(store.error(), path, "open");
        ++n_failed_calls;
      }
    }
    const bool fired = fault_vfs_fired();
    disarm_fault_vfs();

    // Reopening with a working disk finishes (or redoes) the migration.
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), kHistorySchemaVersion);
    Result<void> sound = store->check_integrity();
    ASSERT_TRUE(sound) << sound.error().message;
    Result<int64_t> n = store->count_commands();
    ASSERT_TRUE(n);
    if (cmd_id) {
      EXPECT_EQ(*n, 1) << "a committed command is missing";
    }
    EXPECT_LE(*n, 1);

    if (!fired) {
      EXPECT_TRUE(opened);
      EXPECT_TRUE(cmd_id) << cmd_id.error().message;
      break;
    }
  }
  EXPECT_GT(fail_at, 2) << "the loop must have injected faults";
  EXPECT_LE(fail_at, kMaxFailAt) << "the fault kept firing";
  ::testing::Test::RecordProperty("faults_injected", fail_at - 1);
  ::testing::Test::RecordProperty("calls_failed", n_failed_calls);
}

TEST(HistoryVfsFault, RecordOnceIoError) { run_record_loop(kScenarios[0]); }
TEST(HistoryVfsFault, RecordPersistentIoError) { run_record_loop(kScenarios[1]); }
TEST(HistoryVfsFault, RecordOnceDiskFull) { run_record_loop(kScenarios[2]); }
TEST(HistoryVfsFault, RecordPersistentDiskFull) { run_record_loop(kScenarios[3]); }
TEST(HistoryVfsFault, OpenOnceIoError) { run_open_loop(kScenarios[0]); }
TEST(HistoryVfsFault, OpenPersistentIoError) { run_open_loop(kScenarios[1]); }
TEST(HistoryVfsFault, OpenOnceDiskFull) { run_open_loop(kScenarios[2]); }
TEST(HistoryVfsFault, OpenPersistentDiskFull) { run_open_loop(kScenarios[3]); }

}  // namespace
}  // namespace hearth
