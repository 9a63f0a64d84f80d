// Recording, reading back, paging and filters on a real SQLite file.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "history_test_util.h"

namespace hearth {
namespace {

using testing::at_ms;
using testing::kT0;
using testing::make_command;
using testing::make_event;
using testing::open_ok;
using testing::RawDb;
using testing::TempDir;

std::vector<int64_t> ids_of(const std::vector<EventRecord>& events) {
  std::vector<int64_t> ids;
  for (const EventRecord& e : events) ids.push_back(e.id);
  return ids;
}

TEST(HistoryStore, NewFileUsesWalAndCurrentSchema) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), kHistorySchemaVersion);
    EXPECT_EQ(store->path(), path);
    EXPECT_TRUE(store->check_integrity());
  }
  RawDb raw(path);
  EXPECT_EQ(raw.query_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.query_int("PRAGMA user_version"), kHistorySchemaVersion);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM sqlite_schema WHERE name IN "
                          "('commands', 'events', 'commands_time', 'events_time', 'events_device')"),
            5);
}

TEST(HistoryStore, CommandRoundTripsEveryField) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  CommandRecord c = make_command(7, "app");
  Result<int64_t> id = store->record_command(c);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, 1);

  Result<std::vector<CommandRecord>> got = store->commands(HistoryQuery{});
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 1u);
  const CommandRecord& r = (*got)[0];
  EXPECT_EQ(r.id, *id);
  EXPECT_EQ(r.time, c.time);
  EXPECT_EQ(r.text, c.text);
  EXPECT_EQ(r.intent, c.intent);
  EXPECT_EQ(r.slots_json, c.slots_json);
  EXPECT_EQ(r.targets_json, c.targets_json);
  EXPECT_EQ(r.source, c.source);
  EXPECT_EQ(r.origin, "app");
  EXPECT_EQ(r.confidence, c.confidence);
  EXPECT_EQ(r.latency_us, c.latency_us);
  EXPECT_EQ(r.ok, c.ok);
  EXPECT_EQ(r.response, c.response);
}

TEST(HistoryStore, EventRoundTripsEveryFieldAndLinksCommand) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  Result<int64_t> cmd = store->record_command(make_command(1));
  ASSERT_TRUE(cmd);
  EventRecord action = make_event(1, "light.kitchen_ceiling", "action", *cmd);
  EventRecord state = make_event(2, "light.kitchen_ceiling", "state", 0);
  ASSERT_TRUE(store->record_events({action, state}));

  Result<std::vector<EventRecord>> got = store->events(HistoryQuery{});
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 2u);
  const EventRecord& s = (*got)[0];  // newest first
  const EventRecord& a = (*got)[1];
  EXPECT_EQ(a.id, 1);
  EXPECT_EQ(a.time, action.time);
  EXPECT_EQ(a.device_id, action.device_id);
  EXPECT_EQ(a.kind, "action");
  EXPECT_EQ(a.attribute, action.attribute);
  EXPECT_EQ(a.old_value, "");
  EXPECT_EQ(a.new_value, "{}");
  EXPECT_EQ(a.origin, action.origin);
  EXPECT_EQ(a.command_id, *cmd);
  EXPECT_EQ(a.result, "ok");
  EXPECT_EQ(s.id, 2);
  EXPECT_EQ(s.command_id, 0);
  EXPECT_EQ(s.old_value, "2");
  EXPECT_EQ(s.new_value, "3");
}

TEST(HistoryStore, EventBatchIsAllOrNothing) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->record_events({make_event(0)}));
  // The third event names a command that does not exist: the foreign key fails
  // after two rows were inserted, and the whole batch must be rolled back.
  std::vector<EventRecord> batch = {make_event(1), make_event(2), make_event(3, "lock.front", "action", 999)};
  Result<void> r = store->record_events(batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
  EXPECT_NE(r.error().message.find("command_id 999 does not exist"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(dir.file("h.db")), std::string::npos);
  EXPECT_EQ(*store->count_events(), 1);
  // The store is still usable afterwards.
  EXPECT_TRUE(store->record_events({make_event(4)}));
  EXPECT_EQ(*store->count_events(), 2);
}

TEST(HistoryStore, EmptyEventBatchIsANoOp) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->record_events({}));
  EXPECT_EQ(*store->count_events(), 0);
}

TEST(HistoryStore, RejectsInvalidRecords) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  struct Case {
    const char* name;
    CommandRecord c;
  };
  std::vector<Case> bad_commands;
  bad_commands.push_back({"slots not json", make_command(1)});
  bad_commands.back().c.slots_json = "{not json";
  bad_commands.push_back({"slots not object", make_command(1)});
  bad_commands.back().c.slots_json = "[1]";
  bad_commands.push_back({"targets not array", make_command(1)});
  bad_commands.back().c.targets_json = "{}";
  bad_commands.push_back({"confidence nan", make_command(1)});
  bad_commands.back().c.confidence = std::nan("");
  bad_commands.push_back({"confidence > 1", make_command(1)});
  bad_commands.back().c.confidence = 1.5;
  bad_commands.push_back({"negative latency", make_command(1)});
  bad_commands.back().c.latency_us = -1;
  for (const Case& k : bad_commands) {
    Result<int64_t> r = store->record_command(k.c);
    ASSERT_FALSE(r) << k.name;
    EXPECT_EQ(r.error().code, Code::kBadInput) << k.name;
  }

  EventRecord no_device = make_event(1);
  no_device.device_id = "";
  EventRecord bad_kind = make_event(1, "light.x", "toggle");
  EventRecord bad_cmd = make_event(1);
  bad_cmd.command_id = -4;
  for (const EventRecord& e : {no_device, bad_kind, bad_cmd}) {
    Result<void> r = store->record_events({make_event(0), e});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kBadInput);
    EXPECT_NE(r.error().message.find("event 1"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(*store->count_commands(), 0);
  EXPECT_EQ(*store->count_events(), 0);
}

TEST(HistoryStore, PagesNewestFirstWithBeforeId) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  std::vector<EventRecord> batch;
  for (int i = 0; i < 25; ++i) batch.push_back(make_event(i));
  ASSERT_TRUE(store->record_events(batch));

  HistoryQuery q;
  q.limit = 10;
  std::vector<int64_t> seen;
  std::vector<size_t> page_sizes;
  for (int page = 0; page < 5; ++page) {
    Result<std::vector<EventRecord>> got = store->events(q);
    ASSERT_TRUE(got) << got.error().message;
    page_sizes.push_back(got->size());
    if (got->empty()) break;
    for (const EventRecord& e : *got) seen.push_back(e.id);
    q.before_id = got->back().id;
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{10, 10, 5, 0}));
  std::vector<int64_t> expected;
  for (int64_t id = 25; id >= 1; --id) expected.push_back(id);
  EXPECT_EQ(seen, expected);
}

TEST(HistoryStore, EventFilters) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  // ids 1..6; times kT0 + i*1000 + 10
  std::vector<EventRecord> batch = {
      make_event(0, "light.a", "state"),  make_event(1, "light.b", "action"), make_event(2, "light.a", "action"),
      make_event(3, "lock.front", "state"), make_event(4, "light.a", "state"), make_event(5, "light.b", "state"),
  };
  batch[5].origin = "schedule";
  batch[2].origin = "app";
  ASSERT_TRUE(store->record_events(batch));

  HistoryQuery q;
  q.device_id = "light.a";
  EXPECT_EQ(ids_of(*store->events(q)), (std::vector<int64_t>{5, 3, 1}));
  q.kind = "state";
  EXPECT_EQ(ids_of(*store->events(q)), (std::vector<int64_t>{5, 1}));

  HistoryQuery by_kind;
  by_kind.kind = "action";
  EXPECT_EQ(ids_of(*store->events(by_kind)), (std::vector<int64_t>{3, 2}));

  HistoryQuery by_origin;
  by_origin.origin = "schedule";
  EXPECT_EQ(ids_of(*store->events(by_origin)), (std::vector<int64_t>{6}));

  // [since, until): event 2 is at kT0 + 2010, event 4 at kT0 + 4010.
  HistoryQuery window;
  window.since = at_ms(kT0 + 2010);
  window.until = at_ms(kT0 + 4010);
  EXPECT_EQ(ids_of(*store->events(window)), (std::vector<int64_t>{4, 3}));
  window.until.reset();
  EXPECT_EQ(ids_of(*store->events(window)), (std::vector<int64_t>{6, 5, 4, 3}));

  HistoryQuery combined;
  combined.since = at_ms(kT0);
  combined.device_id = "light.b";
  combined.origin = "voice";
  combined.before_id = 6;
  EXPECT_EQ(ids_of(*store->events(combined)), (std::vector<int64_t>{2}));

  HistoryQuery none;
  none.device_id = "no.such_device";
  EXPECT_TRUE(store->events(none)->empty());
}

TEST(HistoryStore, CommandFilters) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  for (int i = 0; i < 6; ++i) {
    CommandRecord c = make_command(i, i % 2 == 0 ? "voice" : "app");
    if (i == 4) c.targets_json = R"(["lock.front"])";
    ASSERT_TRUE(store->record_command(c));
  }
  auto ids = [](const Result<std::vector<CommandRecord>>& r) {
    std::vector<int64_t> out;
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return out;
    }
    for (const CommandRecord& c : *r) out.push_back(c.id);
    return out;
  };
  HistoryQuery q;
  q.origin = "app";
  EXPECT_EQ(ids(store->commands(q)), (std::vector<int64_t>{6, 4, 2}));
  HistoryQuery device;
  device.device_id = "lock.front";  // matches an element of targets_json
  EXPECT_EQ(ids(store->commands(device)), (std::vector<int64_t>{5}));
  HistoryQuery window;
  window.since = at_ms(kT0 + 1000);
  window.until = at_ms(kT0 + 3000);
  EXPECT_EQ(ids(store->commands(window)), (std::vector<int64_t>{3, 2}));
  HistoryQuery paged;
  paged.limit = 2;
  paged.before_id = 5;
  EXPECT_EQ(ids(store->commands(paged)), (std::vector<int64_t>{4, 3}));

  HistoryQuery kind;
  kind.kind = "state";
  Result<std::vector<CommandRecord>> r = store->commands(kind);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
}

TEST(HistoryStore, QueryLimitsAreChecked) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  for (int limit : {0, -1, 1001}) {
    HistoryQuery q;
    q.limit = limit;
    Result<std::vector<EventRecord>> r = store->events(q);
    ASSERT_FALSE(r) << limit;
    EXPECT_EQ(r.error().code, Code::kBadInput);
    EXPECT_FALSE(store->commands(q));
  }
  HistoryQuery negative;
  negative.before_id = -5;
  EXPECT_FALSE(store->events(negative));
  for (int limit : {1, 1000}) {
    HistoryQuery q;
    q.limit = limit;
    EXPECT_TRUE(store->events(q)) << limit;
  }
}

TEST(HistoryStore, CountsAndDataSurviveReopen) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->record_command(make_command(i)));
    ASSERT_TRUE(store->record_events({make_event(0), make_event(1, "light.b", "action", 2)}));
    EXPECT_EQ(*store->count_commands(), 3);
    EXPECT_EQ(*store->count_events(), 2);
  }
  auto store = open_ok(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->count_commands(), 3);
  EXPECT_EQ(*store->count_events(), 2);
  // Ids keep increasing after reopen.
  Result<int64_t> id = store->record_command(make_command(9));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 4);
}

TEST(HistoryStore, ReadOnlyOptionReadsButRefusesWrites) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_command(make_command(1)));
  }
  HistoryOptions opt;
  opt.read_only = true;
  auto store = open_ok(path, opt);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->count_commands(), 1);
  Result<int64_t> r = store->record_command(make_command(2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kReadOnly);
  EXPECT_NE(r.error().message.find(path), std::string::npos);
  EXPECT_EQ(store->record_events({make_event(1)}).error().code, Code::kReadOnly);
  std::istringstream in("");
  EXPECT_EQ(store->import_jsonl(in).error().code, Code::kReadOnly);
  EXPECT_EQ(*store->count_commands(), 1);
}

TEST(HistoryStore, BadOptionsAndPaths) {
  TempDir dir;
  HistoryOptions negative;
  negative.busy_timeout = std::chrono::milliseconds(-1);
  EXPECT_EQ(HistoryStore::open(dir.file("h.db"), negative).error().code, Code::kBadInput);
  EXPECT_EQ(HistoryStore::open("").error().code, Code::kBadInput);

  Result<std::unique_ptr<HistoryStore>> missing_dir = HistoryStore::open(dir.file("no/such/dir/h.db"));
  ASSERT_FALSE(missing_dir);
  EXPECT_EQ(missing_dir.error().code, Code::kNotFound) << missing_dir.error().message;
  EXPECT_NE(missing_dir.error().message.find("does not exist"), std::string::npos) << missing_dir.error().message;

  HistoryOptions ro;
  ro.read_only = true;
  Result<std::unique_ptr<HistoryStore>> missing_file = HistoryStore::open(dir.file("absent.db"), ro);
  ASSERT_FALSE(missing_file);
  EXPECT_EQ(missing_file.error().code, Code::kNotFound) << missing_file.error().message;
  EXPECT_NE(missing_file.error().message.find(dir.file("absent.db")), std::string::npos);
}

TEST(HistoryStore, BatchLinksEventsToTheirCommandInOneTransaction) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  std::vector<HistoryBatchItem> items(3);
  items[0].command = make_command(1);
  items[0].events = {make_event(1, "light.a", "action", 0), make_event(2, "light.a", "state", 0)};
  items[1].events = {make_event(3, "lock.front", "state", 0)};  // events alone
  items[2].command = make_command(4);
  Result<std::vector<int64_t>> ids = store->record_batch(items);
  ASSERT_TRUE(ids) << ids.error().message;
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_GT((*ids)[0], 0);
  EXPECT_EQ((*ids)[1], 0);
  EXPECT_GT((*ids)[2], (*ids)[0]);
  EXPECT_EQ(*store->count_commands(), 2);
  Result<std::vector<EventRecord>> events = store->events(HistoryQuery{});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[2].command_id, (*ids)[0]);  // oldest: linked to the first command
  EXPECT_EQ((*events)[1].command_id, (*ids)[0]);
  EXPECT_EQ((*events)[0].command_id, 0);
}

TEST(HistoryStore, BatchIsAllOrNothing) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  std::vector<HistoryBatchItem> items(2);
  items[0].command = make_command(1);
  items[1].events = {make_event(2, "lock.front", "action", 999)};  // no such command: fails late
  Result<std::vector<int64_t>> ids = store->record_batch(items);
  ASSERT_FALSE(ids);
  EXPECT_EQ(*store->count_commands(), 0);
  EXPECT_EQ(*store->count_events(), 0);
  EXPECT_TRUE(store->record_batch({}));
}

}  // namespace
}  // namespace hearth
