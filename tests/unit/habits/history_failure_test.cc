// Hostile environments: read-only file or directory, a lock held by another
// connection, files that are not databases or are damaged. Each one must give
// a clear error naming the file, never a crash, and keep stored data.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "history_test_util.h"

namespace hearth {
namespace {

using testing::make_command;
using testing::make_event;
using testing::open_ok;
using testing::RawDb;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

constexpr uid_t kUnprivilegedId = 65534;  // "nobody" on Debian
constexpr int kChildCannotDrop = 200;     // exit status: setuid failed

struct OpenOutcome {
  bool ok = false;
  Code code = Code::kOk;
  std::string message;
};

// Opens `path` writable as a user that file modes apply to. Root ignores
// permission bits, so as root the open runs in a forked child that drops to
// uid/gid 65534 first; it reports the result through a pipe.
// Returns nullopt when that is not possible (no permission to setuid).
std::optional<OpenOutcome> open_as_unprivileged(const std::string& path) {
  if (geteuid() != 0) {
    Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
    if (r) return OpenOutcome{true, Code::kOk, ""};
    return OpenOutcome{false, r.error().code, r.error().message};
  }
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  pid_t pid = fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    close(fds[0]);
    if (setgroups(0, nullptr) != 0 || setgid(kUnprivilegedId) != 0 || setuid(kUnprivilegedId) != 0) {
      _exit(kChildCannotDrop);
    }
    Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
    std::string message = r ? "" : r.error().message;
    ssize_t written = write(fds[1], message.data(), message.size());
    (void)written;
    close(fds[1]);
    _exit(r ? 0 : static_cast<int>(r.error().code));
  }
  close(fds[1]);
  std::string message;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) message.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) == kChildCannotDrop) return std::nullopt;
  const int code = WEXITSTATUS(status);
  return OpenOutcome{code == 0, static_cast<Code>(code), message};
}

void make_store_with_data(const std::string& path) {
  auto store = open_ok(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->record_command(make_command(1)));
  ASSERT_TRUE(store->record_events({make_event(1), make_event(2)}));
}

void expect_data_intact(const std::string& path) {
  HistoryOptions ro;
  ro.read_only = true;
  auto store = open_ok(path, ro);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->count_commands(), 1);
  EXPECT_EQ(*store->count_events(), 2);
  EXPECT_TRUE(store->check_integrity());
}

TEST(HistoryFailure, ReadOnlyFile) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  make_store_with_data(path);
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  std::filesystem::permissions(path, std::filesystem::perms(0444));

  std::optional<OpenOutcome> got = open_as_unprivileged(path);
  if (!got) {
    GTEST_SKIP() << "running as root without permission to drop to uid " << kUnprivilegedId
                 << ", so file modes do not stop writes; HistoryStore.ReadOnlyOptionReadsButRefusesWrites "
                    "covers the read-only path through HistoryOptions::read_only";
  }
  EXPECT_FALSE(got->ok);
  EXPECT_EQ(got->code, Code::kReadOnly) << got->message;
  EXPECT_NE(got->message.find(path), std::string::npos) << got->message;
  EXPECT_NE(got->message.find("read-only"), std::string::npos) << got->message;
  expect_data_intact(path);
}

TEST(HistoryFailure, ReadOnlyDirectory) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  make_store_with_data(path);
  // The file itself is writable; WAL mode needs to create h.db-wal beside it.
  std::filesystem::permissions(path, std::filesystem::perms(0666));
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0555));

  std::optional<OpenOutcome> got = open_as_unprivileged(path);
  if (!got) {
    GTEST_SKIP() << "running as root without permission to drop to uid " << kUnprivilegedId
                 << ", so a 0555 directory does not stop writes";
  }
  EXPECT_FALSE(got->ok);
  EXPECT_EQ(got->code, Code::kReadOnly) << got->message;
  EXPECT_NE(got->message.find("directory " + dir.path() + " is not writable"), std::string::npos) << got->message;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0700));
  expect_data_intact(path);
}

TEST(HistoryFailure, WriteLockHeldBeyondBusyTimeoutIsBusy) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  make_store_with_data(path);
  HistoryOptions opt;
  opt.busy_timeout = std::chrono::milliseconds(50);
  auto store = open_ok(path, opt);
  ASSERT_TRUE(store);

  RawDb holder(path);
  holder.exec("BEGIN EXCLUSIVE");
  const auto start = std::chrono::steady_clock::now();
  Result<int64_t> r = store->record_command(make_command(2));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBusy);
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("50 ms"), std::string::npos) << r.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(40)) << "the busy timeout must be honoured";
  EXPECT_EQ(store->record_events({make_event(3)}).error().code, Code::kBusy);
  // Readers are not blocked in WAL mode.
  EXPECT_EQ(*store->count_commands(), 1);

  holder.exec("COMMIT");
  Result<int64_t> again = store->record_command(make_command(2));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*store->count_commands(), 2);
}

TEST(HistoryFailure, LockedRollbackJournalFileIsBusyOnOpen) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  RawDb holder(path);
  holder.exec("CREATE TABLE scratch(x); BEGIN EXCLUSIVE; INSERT INTO scratch VALUES (1);");
  HistoryOptions opt;
  opt.busy_timeout = std::chrono::milliseconds(20);
  Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path, opt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBusy) << r.error().message;
  EXPECT_NE(r.error().message.find(path), std::string::npos);
  holder.exec("ROLLBACK");
}

TEST(HistoryFailure, RandomBytesAreNotADatabase) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  std::mt19937 rng(1234);
  std::string bytes(8192, '\0');
  for (char& b : bytes) b = static_cast<char>(rng() & 0xff);
  write_file(path, bytes);

  Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kCorrupt);
  EXPECT_EQ(r.error().message, "history: " + path +
                                   ": file is not a database (SQLITE_NOTADB); move it aside or restore from export");
  EXPECT_EQ(read_file(path), bytes) << "a file we cannot read must not be changed";

  HistoryOptions ro;
  ro.read_only = true;
  EXPECT_EQ(HistoryStore::open(path, ro).error().code, Code::kCorrupt);
}

TEST(HistoryFailure, ShortAndTextFilesAreNotADatabase) {
  TempDir dir;
  for (const std::string& content : {std::string("x"), std::string("SQLite format 3"),
                                     std::string("{\"type\":\"command\"}\n").append(300, ' ')}) {
    const std::string path = dir.file("h.db");
    write_file(path, content);
    Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
    ASSERT_FALSE(r) << content.size();
    EXPECT_EQ(r.error().code, Code::kCorrupt) << r.error().message;
    std::filesystem::remove(path);
  }
}

// Builds a database of several pages, checkpointed into the main file so the
// WAL is gone and overwriting a page of the file really damages it.
std::string make_multi_page_db(const TempDir& dir, int64_t* n_pages) {
  const std::string path = dir.file("good.db");
  {
    auto store = open_ok(path);
    EXPECT_TRUE(store);
    if (!store) return path;
    std::vector<EventRecord> batch;
    for (int i = 0; i < 600; ++i) batch.push_back(make_event(i, "light.room_" + std::to_string(i % 17)));
    EXPECT_TRUE(store->record_events(batch));
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(store->record_command(make_command(i)));
  }
  RawDb raw(path);
  *n_pages = raw.query_int("PRAGMA page_count");
  return path;
}

TEST(HistoryFailure, OverwrittenPageIsCorrupt) {
  TempDir dir;
  int64_t n_pages = 0;
  const std::string good = make_multi_page_db(dir, &n_pages);
  ASSERT_GT(n_pages, 8);
  const std::string original = read_file(good);
  ASSERT_EQ(static_cast<int64_t>(original.size()), n_pages * 4096);
  ASSERT_FALSE(std::filesystem::exists(good + "-wal"));

  // Page 2 is the first table's root page.
  std::mt19937 rng(99);
  std::string damaged = original;
  for (size_t i = 4096; i < 2 * 4096; ++i) damaged[i] = static_cast<char>(rng() & 0xff);
  const std::string path = dir.file("bad.db");
  write_file(path, damaged);
  Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kCorrupt) << r.error().message;
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("restore from export"), std::string::npos) << r.error().message;
}

TEST(HistoryFailure, EveryOverwrittenPageGivesAnErrorNotACrash) {
  TempDir dir;
  int64_t n_pages = 0;
  const std::string good = make_multi_page_db(dir, &n_pages);
  const std::string original = read_file(good);
  std::mt19937 rng(7);
  int n_refused = 0;
  for (int64_t page = 1; page <= n_pages; ++page) {
    std::string damaged = original;
    // Page 1 keeps its 100-byte file header so it damages the schema, not the magic.
    const size_t begin = static_cast<size_t>((page - 1) * 4096) + (page == 1 ? 100 : 0);
    for (size_t i = begin; i < static_cast<size_t>(page * 4096); ++i) damaged[i] = static_cast<char>(rng() & 0xff);
    const std::string path = dir.file("bad_" + std::to_string(page) + ".db");
    write_file(path, damaged);
    Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
    if (!r) {
      EXPECT_EQ(r.error().code, Code::kCorrupt) << "page " << page << ": " << r.error().message;
      ++n_refused;
      continue;
    }
    // An undetected page (free or unused): everything must still answer without crashing.
    HistoryQuery q;
    q.limit = 1000;
    (void)(*r)->events(q);
    (void)(*r)->commands(q);
    std::ostringstream out;
    (void)(*r)->export_jsonl(out);
    (void)(*r)->check_integrity();
  }
  EXPECT_GT(n_refused, n_pages / 2) << "most damaged pages must be detected at open";
}

TEST(HistoryFailure, TruncatedFileIsCorrupt) {
  TempDir dir;
  int64_t n_pages = 0;
  const std::string good = make_multi_page_db(dir, &n_pages);
  const std::string original = read_file(good);
  const std::string path = dir.file("short.db");
  write_file(path, original.substr(0, original.size() / 2));
  Result<std::unique_ptr<HistoryStore>> r = HistoryStore::open(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kCorrupt) << r.error().message;
}

}  // namespace
}  // namespace hearth
