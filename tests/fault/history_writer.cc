// history_writer: the victim of the kill -9 test. Opens the history store
// given on the command line and records, forever, one command and then a
// batch of kEventsPerCommand events linked to it. After each call returns ok
// it prints one line and flushes, so every printed line is a commit the
// store promised to keep:
//   s                  started (printed before opening, so the test can time
//                      its kill from here and not from process start-up)
//   c <command id>     the command is committed
//   e <command id>     its event batch is committed
// Exits non-zero (with the error on stderr) when a call fails.
#include <cstdio>
#include <string>
#include <vector>

#include "hearth/habits/history.h"

namespace {

constexpr int kEventsPerCommand = 3;  // history_kill_test.cc checks batches of this size

int run(const std::string& path) {
  std::printf("s\n");
  std::fflush(stdout);
  hearth::HistoryOptions opt;
  opt.busy_timeout = std::chrono::milliseconds(5000);
  hearth::Result<std::unique_ptr<hearth::HistoryStore>> store = hearth::HistoryStore::open(path, opt);
  if (!store) {
    std::fprintf(stderr, "history_writer: %s\n", store.error().message.c_str());
    return 2;
  }
  for (int64_t i = 0;; ++i) {
    hearth::CommandRecord c;
    c.time = hearth::from_unix_ms(1'700'000'000'000 + i);
    c.text = "turn on light " + std::to_string(i);
    c.intent = "HassTurnOn";
    c.targets_json = "[\"light.l" + std::to_string(i % 7) + "\"]";
    c.source = "template";
    c.origin = "voice";
    c.confidence = 1.0;
    c.ok = true;
    hearth::Result<int64_t> id = (*store)->record_command(c);
    if (!id) {
      std::fprintf(stderr, "history_writer: %s\n", id.error().message.c_str());
      return 3;
    }
    std::printf("c %lld\n", static_cast<long long>(*id));
    std::fflush(stdout);

    std::vector<hearth::EventRecord> batch;
    for (int k = 0; k < kEventsPerCommand; ++k) {
      hearth::EventRecord e;
      e.time = c.time;
      e.device_id = "light.l" + std::to_string(i % 7);
      e.kind = k == 0 ? "action" : "state";
      e.attribute = k == 0 ? "turn_on" : "brightness";
      e.new_value = std::to_string(k);
      e.origin = "voice";
      e.command_id = *id;
      e.result = k == 0 ? "ok" : "";
      batch.push_back(e);
    }
    hearth::Result<void> done = (*store)->record_events(batch);
    if (!done) {
      std::fprintf(stderr, "history_writer: %s\n", done.error().message.c_str());
      return 4;
    }
    std::printf("e %lld\n", static_cast<long long>(*id));
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: history_writer DB_PATH\n");
    return 1;
  }
  return run(argv[1]);
}
