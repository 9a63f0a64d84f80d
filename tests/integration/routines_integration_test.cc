// Issue 8 end to end with the real binaries: `hearth habits simulate` writes
// six weeks of a household's history, `hearth history import` loads it into
// a temp history file, the real hearthd starts on it (127.0.0.1:0), mines it
// at startup and offers a bedtime-like suggestion over the API; accepting it
// makes a routine with a planned next run. Running a routine at its time
// with an injected clock is tested in-process (tests/unit/daemon/
// routines_service_test.cc). Every wait polls with a bounded deadline.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hearth/daemon/http_client.h"

extern char** environ;

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kStartDeadline = 10s;    // port file must appear within this
constexpr auto kMineDeadline = 10s;     // startup mining must offer suggestions within this
constexpr auto kExitDeadline = 10s;     // hearthd must exit within this after SIGTERM
constexpr auto kPollInterval = 20ms;    // between two looks at a condition

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool wait_until(const std::function<bool()>& ready, std::chrono::steady_clock::duration deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(kPollInterval);
  }
  return ready();
}

// A child process with stdout and stderr captured in files.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path)
      : out_path_(out_path), err_path_(err_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void signal(int sig) const { kill(pid_, sig); }
  std::optional<int> wait_exit(std::chrono::steady_clock::duration deadline) {
    wait_until(
        [&] {
          if (exit_code_) return true;
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          }
          return exit_code_.has_value();
        },
        deadline);
    return exit_code_;
  }
  std::string out() const { return read_file(out_path_); }
  std::string err() const { return read_file(err_path_); }

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
  std::optional<int> exit_code_;
};

class RoutinesDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hearth-routines-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    daemon_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  // Runs the hearth CLI to completion; returns its exit code.
  int cli(const std::vector<std::string>& words, std::string* out = nullptr, std::string* err = nullptr) {
    std::vector<std::string> args = {HEARTH_CLI_PATH};
    args.insert(args.end(), words.begin(), words.end());
    Process p(args, file("cli.out"), file("cli.err"));
    std::optional<int> code = p.wait_exit(kStartDeadline);
    if (out) *out = p.out();
    if (err) *err = p.err();
    return code.value_or(-1);
  }

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = "") {
    HttpCall call;
    call.method = method;
    call.target = target;
    call.body = body;
    Result<HttpReply> r = http_request(url_, call);
    EXPECT_TRUE(r) << method << " " << target << ": " << (r ? "" : r.error().message);
    return r ? *r : HttpReply{};
  }

  std::string dir_;
  std::unique_ptr<Process> daemon_;
  HttpUrl url_;
};

TEST_F(RoutinesDaemonTest, SimulatedHistoryGivesBedtimeSuggestionThatIsScheduledWhenAccepted) {
  std::string out, err;
  ASSERT_EQ(cli({"habits", "simulate", "--out", file("sim.jsonl"), "--days", "42", "--household", "couple",
                 "--seed", "5"},
                &out, &err),
            0)
      << err;
  ASSERT_EQ(cli({"history", "import", "--db", file("history.db"), file("sim.jsonl")}, &out, &err), 0) << err;
  EXPECT_NE(out.find("imported"), std::string::npos) << out;

  std::ofstream(file("hearth.json")) << json{{"home", "builtin:demo"},
                                             {"db", "history.db"},
                                             {"time_zone", "Europe/Berlin"},
                                             {"audio", {{"source", "none"}}}}
                                            .dump(2);
  daemon_ = std::make_unique<Process>(std::vector<std::string>{HEARTHD_PATH, "--config", file("hearth.json"),
                                                               "--listen", "127.0.0.1:0", "--port-file", file("port")},
                                      file("hearthd.out"), file("hearthd.err"));
  ASSERT_GT(daemon_->pid(), 0);
  ASSERT_TRUE(wait_until(
      [&] {
        std::string text = read_file(file("port"));
        return !text.empty() && text.back() == '\n';
      },
      kStartDeadline))
      << daemon_->err();
  url_.host = "127.0.0.1";
  url_.port = std::to_string(std::stoi(read_file(file("port"))));

  json bedtime;
  HttpReply last;
  ASSERT_TRUE(wait_until(
      [&] {
        HttpReply r = request("GET", "/api/v1/suggestions");
        last = r;
        if (r.status != 200) return false;
        const json body = json::parse(r.body);
        for (const json& s : body["suggestions"]) {
          const int t = s["trigger"].value("time_min", -1);
          if (s["kind"] == "time" && (t >= 21 * 60 || (t >= 0 && t < 60)) && !s["actions"].empty()) {
            bedtime = s;
            return true;
          }
        }
        return false;
      },
      kMineDeadline))
      << "no bedtime-like suggestion; last reply " << last.status << " " << last.body.substr(0, 2000)
      << "\nstderr:\n"
      << daemon_->err();

  HttpReply accepted =
      request("POST", "/api/v1/suggestions/" + std::to_string(bedtime["id"].get<int64_t>()) + "/accept",
              R"({"adaptive": false})");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  const int64_t routine_id = json::parse(accepted.body)["id"].get<int64_t>();

  HttpReply list = request("GET", "/api/v1/routines");
  ASSERT_EQ(list.status, 200) << list.body;
  json routines = json::parse(list.body)["routines"];
  ASSERT_EQ(routines.size(), 1u) << list.body;
  EXPECT_EQ(routines[0]["id"], routine_id);
  EXPECT_TRUE(routines[0]["enabled"].get<bool>());
  ASSERT_TRUE(routines[0]["next_run"].is_string()) << routines[0].dump();
  EXPECT_EQ(routines[0]["next_run"].get<std::string>().substr(11, 5), routines[0]["trigger"]["time"])
      << "the next run is at the routine's local time";

  HttpReply pending = request("GET", "/api/v1/suggestions");
  const json still_pending = json::parse(pending.body);
  for (const json& s : still_pending["suggestions"]) EXPECT_NE(s["id"], bedtime["id"]);
  EXPECT_EQ(request("GET", "/api/v1/routines/" + std::to_string(routine_id) + "/runs").status, 200);

  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait_exit(kExitDeadline), 0) << daemon_->err();
}

}  // namespace
}  // namespace hearth
