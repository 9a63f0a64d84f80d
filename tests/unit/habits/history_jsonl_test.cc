// Export and import as JSON lines: round trip, id remapping, bad lines.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "history_test_util.h"

namespace hearth {
namespace {

using testing::kT0;
using testing::make_command;
using testing::make_event;
using testing::open_ok;
using testing::TempDir;

// Commands and events in time order, with links to earlier commands.
void fill(HistoryStore& store) {
  for (int i = 0; i < 5; ++i) {
    Result<int64_t> id = store.record_command(make_command(i, i % 2 ? "app" : "voice"));
    ASSERT_TRUE(id) << id.error().message;
    std::vector<EventRecord> batch = {make_event(i, "light.kitchen_ceiling", "action", *id),
                                      make_event(i, "light.kitchen_ceiling", "state")};
    ASSERT_TRUE(store.record_events(batch));
  }
  // Non-ASCII text and a JSON string that needs escaping.
  CommandRecord c = make_command(10);
  c.text = "Wohnzimmer auf 21,5 °C — \"bitte\"\n";
  c.slots_json = R"({"temperature":21.5,"area":"Wohnzimmer"})";
  ASSERT_TRUE(store.record_command(c));
}

std::string export_text(const HistoryStore& store, int64_t* n = nullptr) {
  std::ostringstream out;
  Result<int64_t> r = store.export_jsonl(out);
  EXPECT_TRUE(r) << r.error().message;
  if (n != nullptr && r) *n = *r;
  return out.str();
}

TEST(HistoryJsonl, ExportIsOldestFirstOneObjectPerLine) {
  TempDir dir;
  auto store = open_ok(dir.file("a.db"));
  ASSERT_TRUE(store);
  fill(*store);
  int64_t n = 0;
  std::string text = export_text(*store, &n);
  EXPECT_EQ(n, 16);
  std::istringstream in(text);
  std::string line;
  int64_t prev_time = 0;
  int lines = 0;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.is_object());
    EXPECT_GE(j.at("time_ms").get<int64_t>(), prev_time);
    prev_time = j.at("time_ms").get<int64_t>();
    if (lines == 0) {
      EXPECT_EQ(j.at("type"), "command");
      EXPECT_TRUE(j.at("slots").is_object());
      EXPECT_TRUE(j.at("targets").is_array());
    }
    ++lines;
  }
  EXPECT_EQ(lines, 16);
}

TEST(HistoryJsonl, RoundTripIntoEmptyStoreIsIdentical) {
  TempDir dir;
  auto a = open_ok(dir.file("a.db"));
  ASSERT_TRUE(a);
  fill(*a);
  const std::string exported = export_text(*a);

  auto b = open_ok(dir.file("b.db"));
  ASSERT_TRUE(b);
  std::istringstream in(exported);
  Result<int64_t> n = b->import_jsonl(in);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 16);
  EXPECT_EQ(export_text(*b), exported);
  EXPECT_EQ(*b->count_commands(), *a->count_commands());
  EXPECT_EQ(*b->count_events(), *a->count_events());
  EXPECT_TRUE(b->check_integrity());
}

TEST(HistoryJsonl, ImportAppendsWithNewIdsAndRelinksEvents) {
  TempDir dir;
  auto a = open_ok(dir.file("a.db"));
  ASSERT_TRUE(a);
  fill(*a);
  const std::string exported = export_text(*a);

  auto b = open_ok(dir.file("b.db"));
  ASSERT_TRUE(b);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b->record_command(make_command(100 + i)));
  std::istringstream in(exported);
  ASSERT_TRUE(b->import_jsonl(in));
  EXPECT_EQ(*b->count_commands(), 9);

  // Every imported action event points at the imported command with the same text.
  HistoryQuery q;
  q.kind = "action";
  Result<std::vector<EventRecord>> events = b->events(q);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 5u);
  HistoryQuery all;
  Result<std::vector<CommandRecord>> commands = b->commands(all);
  ASSERT_TRUE(commands);
  for (const EventRecord& e : *events) {
    ASSERT_GT(e.command_id, 3) << "link must point at an imported command";
    const CommandRecord* linked = nullptr;
    for (const CommandRecord& c : *commands) {
      if (c.id == e.command_id) linked = &c;
    }
    ASSERT_NE(linked, nullptr);
    EXPECT_EQ(linked->time + std::chrono::milliseconds(10), e.time);
  }
}

TEST(HistoryJsonl, EventMayComeBeforeItsCommand) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->record_command(make_command(50)));  // takes id 1 so ids shift
  const std::string text =
      R"({"type":"event","id":3,"time_ms":1,"device_id":"light.a","kind":"action","attribute":"turn_on",)"
      R"("old_value":"","new_value":"{}","origin":"app","command_id":7,"result":"ok"})"
      "\n"
      R"({"type":"command","id":7,"time_ms":2,"text":"on","intent":"HassTurnOn","slots":{},"targets":["light.a"],)"
      R"("source":"template","origin":"app","confidence":1,"latency_us":5,"ok":true,"response":"ok"})"
      "\n\n";
  std::istringstream in(text);
  Result<int64_t> n = store->import_jsonl(in);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2);
  Result<std::vector<EventRecord>> events = store->events(HistoryQuery{});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].command_id, 2);
}

constexpr const char* kGoodCommand =
    R"({"type":"command","id":1,"time_ms":1700000000000,"text":"hi","intent":"","slots":{},"targets":[],)"
    R"("source":"none","origin":"cli","confidence":0,"latency_us":0,"ok":false,"response":""})";
constexpr const char* kGoodEvent =
    R"({"type":"event","id":1,"time_ms":1700000000001,"device_id":"light.a","kind":"state","attribute":"state",)"
    R"("old_value":"off","new_value":"on","origin":"device","command_id":0,"result":""})";

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(HistoryJsonl, BadLineRollsBackAndNamesTheLine) {
  struct Case {
    const char* name;
    std::string third_line;  // lines 1-2 are good
    const char* expect;      // part of the message
  };
  const std::vector<Case> cases = {
      {"not json", "{\"type\":", "not valid JSON"},
      {"not an object", "[1,2]", "not a JSON object"},
      {"unknown type", R"({"type":"macro"})", "\"type\" must be"},
      {"missing type", R"({"id":3})", "missing \"type\""},
      {"missing field", R"({"type":"command","id":2,"time_ms":5})", "missing \"text\""},
      {"wrong field type", replace_once(kGoodEvent, "\"id\":1", "\"id\":\"x\""), "\"id\" must be an integer"},
      {"id too large", replace_once(kGoodEvent, "\"id\":1", "\"id\":18446744073709551615"), "out of range"},
      {"duplicate command id", kGoodCommand, "already appeared on line 1"},
      {"bad kind", replace_once(kGoodEvent, "\"kind\":\"state\"", "\"kind\":\"blink\""), "kind must be"},
      {"slots not object", replace_once(kGoodCommand, "\"slots\":{}", "\"slots\":\"{}\""),
       "\"slots\" must be a JSON object"},
      {"dangling command id",
       replace_once(replace_once(kGoodEvent, "\"id\":1", "\"id\":2"), "\"command_id\":0", "\"command_id\":9"),
       "command_id 9 is not in this file"},
      {"invalid utf-8", "{\"type\":\"command\",\"text\":\"\xff\xfe\"}", "not valid JSON"},
  };
  TempDir dir;
  const std::string path = dir.file("h.db");
  auto store = open_ok(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->record_command(make_command(1)));
  for (const Case& k : cases) {
    const int64_t n_commands = *store->count_commands();
    std::istringstream in(std::string(kGoodCommand) + "\n" + kGoodEvent + "\n" + k.third_line + "\n");
    Result<int64_t> r = store->import_jsonl(in);
    ASSERT_FALSE(r) << k.name;
    EXPECT_EQ(r.error().code, Code::kBadInput) << k.name;
    EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << k.name << ": " << r.error().message;
    EXPECT_NE(r.error().message.find(k.expect), std::string::npos) << k.name << ": " << r.error().message;
    EXPECT_NE(r.error().message.find(path), std::string::npos) << k.name;
    // All or nothing: the two good lines were rolled back too.
    EXPECT_EQ(*store->count_commands(), n_commands) << k.name;
    EXPECT_EQ(*store->count_events(), 0) << k.name;
  }
  // And the store still takes writes.
  EXPECT_TRUE(store->record_command(make_command(2)));
}

TEST(HistoryJsonl, OverlongLineIsRejected) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  std::istringstream in(std::string(kGoodCommand) + "\n" + std::string((1 << 20) + 1, 'x') + "\n");
  Result<int64_t> r = store->import_jsonl(in);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  EXPECT_EQ(*store->count_commands(), 0);
}

TEST(HistoryJsonl, EmptyInputImportsNothing) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  std::istringstream in("\n  \n");
  Result<int64_t> r = store->import_jsonl(in);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, 0);
  std::ostringstream out;
  EXPECT_EQ(*store->export_jsonl(out), 0);
  EXPECT_EQ(out.str(), "");
}

TEST(HistoryJsonl, ExportToFailedStreamIsIoError) {
  TempDir dir;
  auto store = open_ok(dir.file("h.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->record_command(make_command(1)));
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  Result<int64_t> r = store->export_jsonl(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kIo);
  // The read transaction was closed: writes still work.
  EXPECT_TRUE(store->record_command(make_command(2)));
}

}  // namespace
}  // namespace hearth
