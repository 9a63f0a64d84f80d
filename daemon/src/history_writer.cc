#include "hearth/daemon/history_writer.h"

#include <filesystem>

#include <boost/asio/post.hpp>

#include "hearth/common/log.h"

namespace hearth {

namespace asio = boost::asio;

std::unique_ptr<HistoryWriter> HistoryWriter::open(const std::string& path) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return std::unique_ptr<HistoryWriter>(new HistoryWriter(
          path, nullptr, "history: cannot create directory '" + parent.string() + "': " + ec.message()));
    }
  }
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::open(path);
  if (!store) {
    Error e = store.error();
    std::string message = "history: opening '" + path + "' failed (" + std::string(code_name(e.code)) +
                          "): " + e.message;
    return std::unique_ptr<HistoryWriter>(new HistoryWriter(path, nullptr, std::move(message)));
  }
  return std::unique_ptr<HistoryWriter>(new HistoryWriter(path, std::move(*store), ""));
}

std::unique_ptr<HistoryWriter> HistoryWriter::disabled(std::string reason) {
  return std::unique_ptr<HistoryWriter>(new HistoryWriter("", nullptr, std::move(reason)));
}

HistoryWriter::HistoryWriter(std::string path, std::unique_ptr<HistoryStore> store, std::string open_error)
    : path_(std::move(path)), store_(std::move(store)), open_error_(std::move(open_error)) {}

HistoryWriter::~HistoryWriter() {
  closed_.store(true);
  pool_.join();
}

bool HistoryWriter::admit_write() {
  if (!store_ || closed_.load()) {
    dropped_.fetch_add(1);
    return false;
  }
  if (queued_.fetch_add(1) >= kMaxQueuedWrites) {
    queued_.fetch_sub(1);
    dropped_.fetch_add(1);
    HEARTH_LOG_WARN("history", "writer queue full (%lld writes waiting); dropping a write",
                    static_cast<long long>(kMaxQueuedWrites));
    return false;
  }
  return true;
}

void HistoryWriter::note_failure(const Error& error) {
  write_failures_.fetch_add(1);
  last_write_ok_.store(false);
  {
    std::lock_guard<std::mutex> lock(error_mu_);
    last_error_ = error.message;
  }
  HEARTH_LOG_WARN("history", "write to '%s' failed (%s): %s; history entry dropped, serving goes on",
                  path_.c_str(), std::string(code_name(error.code)).c_str(), error.message.c_str());
}

void HistoryWriter::record_command(CommandRecord command, std::vector<EventRecord> actions) {
  HistoryBatchItem item;
  item.command = std::move(command);
  item.events = std::move(actions);  // linked to the command by record_batch
  enqueue(std::move(item));
}

void HistoryWriter::record_events(std::vector<EventRecord> events) {
  if (events.empty()) return;
  HistoryBatchItem item;
  item.events = std::move(events);
  enqueue(std::move(item));
}

// Group commit: writes wait in pending_ and one drain task on the writer
// thread takes everything that has accumulated and commits it in a single
// transaction, so a burst costs one fsync instead of one per write.
void HistoryWriter::enqueue(HistoryBatchItem item) {
  if (!admit_write()) return;
  bool start_drain = false;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.push_back(std::move(item));
    if (!drain_scheduled_) drain_scheduled_ = start_drain = true;
  }
  if (start_drain) asio::post(pool_, [this] { drain(); });
}

void HistoryWriter::drain() {
  for (;;) {
    std::vector<HistoryBatchItem> batch;
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      if (pending_.empty()) {
        drain_scheduled_ = false;
        return;
      }
      batch.swap(pending_);
    }
    write_batch(batch);
    queued_.fetch_sub(static_cast<int64_t>(batch.size()));
  }
}

void HistoryWriter::write_batch(const std::vector<HistoryBatchItem>& batch) {
  auto count = [this](const std::vector<HistoryBatchItem>& items) {
    for (const HistoryBatchItem& it : items) {
      if (it.command) commands_written_.fetch_add(1);
      events_written_.fetch_add(it.events.size());
    }
    last_write_ok_.store(true);
  };
  Result<std::vector<int64_t>> ids = store_->record_batch(batch);
  if (ids) {
    count(batch);
    return;
  }
  if (batch.size() == 1) {
    note_failure(ids.error());
    return;
  }
  // The batch was rolled back as a whole: write the items one by one so a
  // single bad record (or a transient error) loses only itself.
  for (const HistoryBatchItem& it : batch) {
    std::vector<HistoryBatchItem> one{it};
    Result<std::vector<int64_t>> r = store_->record_batch(one);
    if (r) {
      count(one);
    } else {
      note_failure(r.error());
    }
  }
}

void HistoryWriter::async_query(std::optional<HistoryQuery> commands_query,
                                std::optional<HistoryQuery> events_query, asio::any_io_executor ex,
                                std::function<void(Result<HistoryPage>)> done) {
  if (!store_) {
    asio::post(ex, [done = std::move(done), message = open_error_] {
      done(Error{Code::kUnavailable, message.empty() ? std::string("history is disabled") : message});
    });
    return;
  }
  asio::post(pool_, [this, commands_query, events_query, ex, done = std::move(done)]() mutable {
    Result<HistoryPage> out = HistoryPage{};
    if (commands_query) {
      Result<std::vector<CommandRecord>> c = store_->commands(*commands_query);
      if (!c) {
        out = c.error();
      } else {
        out->commands = std::move(*c);
      }
    }
    if (out && events_query) {
      Result<std::vector<EventRecord>> e = store_->events(*events_query);
      if (!e) {
        out = e.error();
      } else {
        out->events = std::move(*e);
      }
    }
    asio::post(ex, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
  });
}

void HistoryWriter::async_flush(asio::any_io_executor ex, std::function<void()> done, bool final_flush) {
  if (final_flush) closed_.store(true);
  // The pool has one thread and runs jobs in order, so this job runs after
  // every write queued before it.
  asio::post(pool_, [ex, done = std::move(done)]() mutable { asio::post(ex, std::move(done)); });
}

HistoryWriter::Stats HistoryWriter::stats() const {
  Stats s;
  s.commands_written = commands_written_.load();
  s.events_written = events_written_.load();
  s.write_failures = write_failures_.load();
  s.dropped = dropped_.load();
  s.queued = queued_.load();
  s.last_write_ok = last_write_ok_.load();
  std::lock_guard<std::mutex> lock(error_mu_);
  s.last_error = last_error_;
  return s;
}

}  // namespace hearth
