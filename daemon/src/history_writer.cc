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
  if (!admit_write()) return;
  asio::post(pool_, [this, command = std::move(command), actions = std::move(actions)]() mutable {
    Result<int64_t> id = store_->record_command(command);
    if (!id) {
      note_failure(id.error());
    } else {
      commands_written_.fetch_add(1);
      last_write_ok_.store(true);
      if (!actions.empty()) {
        for (EventRecord& e : actions) e.command_id = *id;
        Result<void> r = store_->record_events(actions);
        if (!r) {
          note_failure(r.error());
        } else {
          events_written_.fetch_add(actions.size());
        }
      }
    }
    queued_.fetch_sub(1);
  });
}

void HistoryWriter::record_events(std::vector<EventRecord> events) {
  if (events.empty()) return;
  if (!admit_write()) return;
  asio::post(pool_, [this, events = std::move(events)] {
    Result<void> r = store_->record_events(events);
    if (!r) {
      note_failure(r.error());
    } else {
      events_written_.fetch_add(events.size());
      last_write_ok_.store(true);
    }
    queued_.fetch_sub(1);
  });
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
