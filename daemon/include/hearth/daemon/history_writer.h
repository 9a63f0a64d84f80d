// daemon/history_writer.h: runs the blocking SQLite HistoryStore on one
// dedicated writer thread, so the event loop only posts work and never waits
// on the disk. Owned by the daemon's App; the API, the intent path and the
// bus state listener post to it from the loop.
//
// Failure policy (documented in daemon/README.md): when the database cannot
// be opened the writer is created disabled, with the error kept for /health;
// hearthd then keeps serving (or refuses to start when the config says
// "db_required": true). A write that fails at runtime is counted, warned
// about (rate limited) and dropped; serving goes on.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "hearth/common/result.h"
#include "hearth/habits/history.h"

namespace hearth {

// One page of history: both lists newest first.
struct HistoryPage {
  std::vector<CommandRecord> commands;
  std::vector<EventRecord> events;
};

class HistoryWriter {
 public:
  // Most writes waiting for the writer thread; beyond this a write is dropped
  // and counted (the disk is far behind and memory must stay bounded).
  static constexpr int64_t kMaxQueuedWrites = 4096;

  // Opens (creating the parent directory if needed) the database at `path`.
  // Blocking: call at startup, before the loop runs. Never fails: a database
  // that cannot be opened gives a disabled writer whose status() says why.
  static std::unique_ptr<HistoryWriter> open(const std::string& path);
  // A writer with no database (history switched off), e.g. for tests.
  static std::unique_ptr<HistoryWriter> disabled(std::string reason);
  ~HistoryWriter();  // waits for queued writes, then closes the database

  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  bool enabled() const { return store_ != nullptr; }
  const std::string& path() const { return path_; }
  // Why the database could not be opened ("" when enabled).
  const std::string& open_error() const { return open_error_; }

  // Records a command and the device actions it caused (linked by command id).
  // Never blocks; callable from any thread.
  void record_command(CommandRecord command, std::vector<EventRecord> actions);
  // Records events (state changes, direct API actions, timers). Never blocks.
  void record_events(std::vector<EventRecord> events);

  // Reads commands and/or events (nullopt = skip that list) on the writer
  // thread, then calls `done` on `ex`. kUnavailable when history is disabled.
  void async_query(std::optional<HistoryQuery> commands_query, std::optional<HistoryQuery> events_query,
                   boost::asio::any_io_executor ex, std::function<void(Result<HistoryPage>)> done);
  // Calls `done` on `ex` once every write queued before this call is done.
  // After a flush for shutdown, new writes are refused (counted as dropped).
  void async_flush(boost::asio::any_io_executor ex, std::function<void()> done, bool final_flush);

  struct Stats {
    uint64_t commands_written = 0;
    uint64_t events_written = 0;
    uint64_t write_failures = 0;   // writes SQLite refused at runtime
    uint64_t dropped = 0;          // writes not attempted (disabled, queue full, after shutdown)
    int64_t queued = 0;            // writes waiting now
    bool last_write_ok = true;     // the most recent write succeeded (or none was tried)
    std::string last_error;        // message of the last failed write, "" if none
  };
  Stats stats() const;

 private:
  HistoryWriter(std::string path, std::unique_ptr<HistoryStore> store, std::string open_error);
  // Admits one write into the queue; false = dropped (counted).
  bool admit_write();
  void note_failure(const Error& error);
  void enqueue(HistoryBatchItem item);
  void drain();                                 // writer thread: commit everything pending, repeat
  void write_batch(const std::vector<HistoryBatchItem>& batch);

  const std::string path_;
  const std::unique_ptr<HistoryStore> store_;  // touched only on pool_'s thread after open
  const std::string open_error_;
  boost::asio::thread_pool pool_{1};           // the single writer thread

  std::atomic<uint64_t> commands_written_{0};
  std::atomic<uint64_t> events_written_{0};
  std::atomic<uint64_t> write_failures_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<int64_t> queued_{0};
  std::atomic<bool> closed_{false};
  std::atomic<bool> last_write_ok_{true};
  std::mutex pending_mu_;                      // guards pending_ and drain_scheduled_
  std::vector<HistoryBatchItem> pending_;      // writes waiting for the next group commit
  bool drain_scheduled_ = false;               // a drain task is posted or running
  mutable std::mutex error_mu_;                // guards last_error_
  std::string last_error_;
};

}  // namespace hearth
