// kill -9 durability: run history_writer for a random few milliseconds, kill
// it, reopen the file. It must pass the integrity check and hold every
// record the writer reported as committed; event batches are all or nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "history_test_util.h"

namespace hearth {
namespace {

using testing::open_ok;
using testing::TempDir;

constexpr int kRuns = 30;
constexpr int kMinRunMs = 1;           // some kills land during open and migration
constexpr int kMaxRunMs = 40;
constexpr int kEventsPerCommand = 3;   // as in history_writer.cc
constexpr uint32_t kDefaultSeed = 20261122;
constexpr std::chrono::seconds kMaxStartWait{5};  // for the writer's "s" line

struct WriterReport {
  std::vector<int64_t> commands;       // "c <id>" lines
  std::vector<int64_t> event_batches;  // "e <id>" lines
  bool killed = false;                 // ended by our SIGKILL (not on its own)
  int exit_code = -1;                  // when it ended on its own
};

// Starts history_writer on `db_path`, lets it run `run_ms`, kills it with
// SIGKILL and returns the lines it completed.
WriterReport run_and_kill(const std::string& db_path, int run_ms) {
  WriterReport report;
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return report;
  }
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return report;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(HISTORY_WRITER_PATH, "history_writer", db_path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);

  std::string output;
  char buf[4096];
  bool eof = false;
  // Wait for "s": the kill is timed from there, so a slow start (sanitizers,
  // a loaded machine) does not eat the run.
  const auto start_limit = std::chrono::steady_clock::now() + kMaxStartWait;
  while (!eof && output.find('\n') == std::string::npos && std::chrono::steady_clock::now() < start_limit) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) eof = true;
      if (n > 0) output.append(buf, static_cast<size_t>(n));
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
  // Read while it runs so a full pipe never slows the writer down.
  while (!eof) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0) {
      ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) eof = true;
      if (n > 0) output.append(buf, static_cast<size_t>(n));
    }
  }
  kill(pid, SIGKILL);
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) output.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  report.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  if (WIFEXITED(status)) report.exit_code = WEXITSTATUS(status);

  // Only complete lines count: a line cut by the kill was never fully reported.
  size_t start = 0;
  size_t end;
  while ((end = output.find('\n', start)) != std::string::npos) {
    const std::string line = output.substr(start, end - start);
    start = end + 1;
    if (line.size() < 3) continue;  // "s" and cut lines
    const int64_t id = std::strtoll(line.c_str() + 2, nullptr, 10);
    if (line[0] == 'c') report.commands.push_back(id);
    if (line[0] == 'e') report.event_batches.push_back(id);
  }
  return report;
}

uint32_t fault_seed() {
  const char* env = std::getenv("HEARTH_FAULT_SEED");
  return env != nullptr ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10)) : kDefaultSeed;
}

TEST(HistoryKill, CommittedRecordsSurviveKill9) {
  const uint32_t seed = fault_seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (set HEARTH_FAULT_SEED to replay)");
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> run_ms(kMinRunMs, kMaxRunMs);
  TempDir dir;
  const std::string path = dir.file("history.db");

  std::set<int64_t> committed_commands;
  std::set<int64_t> committed_batches;
  int n_killed = 0;
  for (int run = 0; run < kRuns; ++run) {
    const int ms = run_ms(rng);
    WriterReport report = run_and_kill(path, ms);
    ASSERT_TRUE(report.killed) << "run " << run << ": writer ended on its own with exit code " << report.exit_code;
    ++n_killed;
    committed_commands.insert(report.commands.begin(), report.commands.end());
    committed_batches.insert(report.event_batches.begin(), report.event_batches.end());

    auto store = open_ok(path);
    ASSERT_TRUE(store) << "run " << run << " (" << ms << " ms)";
    Result<void> sound = store->check_integrity();
    ASSERT_TRUE(sound) << "run " << run << ": " << sound.error().message;

    std::set<int64_t> stored_commands;
    HistoryQuery q;
    q.limit = 1000;
    for (;;) {
      Result<std::vector<CommandRecord>> page = store->commands(q);
      ASSERT_TRUE(page) << page.error().message;
      if (page->empty()) break;
      for (const CommandRecord& c : *page) stored_commands.insert(c.id);
      q.before_id = page->back().id;
    }
    std::map<int64_t, int> events_per_command;
    q.before_id = 0;
    for (;;) {
      Result<std::vector<EventRecord>> page = store->events(q);
      ASSERT_TRUE(page) << page.error().message;
      if (page->empty()) break;
      for (const EventRecord& e : *page) ++events_per_command[e.command_id];
      q.before_id = page->back().id;
    }

    for (int64_t id : committed_commands) {
      ASSERT_TRUE(stored_commands.count(id)) << "run " << run << ": reported command " << id << " is missing";
    }
    for (int64_t id : committed_batches) {
      ASSERT_EQ(events_per_command[id], kEventsPerCommand) << "run " << run << ": events of command " << id;
    }
    for (const auto& [command_id, n] : events_per_command) {
      ASSERT_EQ(n, kEventsPerCommand) << "run " << run << ": a partial event batch for command " << command_id;
    }
  }
  EXPECT_EQ(n_killed, kRuns);
  EXPECT_GT(committed_batches.size(), 0u) << "the writer never got to commit; the runs are too short to test much";
  RecordProperty("committed_commands", static_cast<int>(committed_commands.size()));
}

}  // namespace
}  // namespace hearth
