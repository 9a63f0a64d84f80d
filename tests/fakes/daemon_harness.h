// tests/fakes/daemon_harness.h: what integration tests need to drive the
// real `hearthd` and `hearth` binaries — a temp directory, a child process
// with captured output, a running daemon on 127.0.0.1:0 reached over real
// HTTP, and CLI runs. Header-only; link `hearth_test_harness` and define
// HEARTHD_PATH / HEARTH_CLI_PATH (see tests/integration/CMakeLists.txt).
// Every wait polls with a bounded deadline; nothing sleeps a fixed time.
#pragma once

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
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hearth/daemon/http_client.h"

extern char** environ;

namespace hearth::testing {

using namespace std::chrono_literals;

inline constexpr auto kStartDeadline = 10s;  // the port file must appear within this
inline constexpr auto kExitDeadline = 10s;   // a process must exit within this after SIGTERM
inline constexpr auto kPollInterval = 10ms;  // between two looks at a condition

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Polls `ready` until true or the deadline passes; returns its last answer.
inline bool wait_until(const std::function<bool()>& ready, std::chrono::steady_clock::duration deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(kPollInterval);
  }
  return ready();
}

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hearth-it-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

// A child process with stdout and stderr captured in files. Killed (SIGKILL)
// and reaped on destruction if it is still running.
class Process {
 public:
  // `extra_env`: NAME=value entries added to (or replacing those of) this
  // process's environment.
  Process(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path,
          const std::vector<std::string>& extra_env = {})
      : out_path_(out_path), err_path_(err_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::map<std::string, std::string> env_map;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      env_map[kv.substr(0, kv.find('='))] = kv;
    }
    for (const std::string& kv : extra_env) env_map[kv.substr(0, kv.find('='))] = kv;
    std::vector<std::string> env_store;
    for (auto& [name, kv] : env_map) env_store.push_back(kv);
    std::vector<char*> envp;
    for (std::string& kv : env_store) envp.push_back(kv.data());
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const {
    if (pid_ > 0) kill(pid_, sig);
  }
  bool running() {
    if (pid_ <= 0 || exit_code_) return false;
    poll_exit();
    return !exit_code_.has_value();
  }

  // The exit code once the process ended within `deadline` (killed by a
  // signal: 128 + signal number); nullopt if it is still running.
  std::optional<int> wait_exit(std::chrono::steady_clock::duration deadline) {
    wait_until(
        [&] {
          poll_exit();
          return exit_code_.has_value();
        },
        deadline);
    return exit_code_;
  }
  std::string out() const { return read_file(out_path_); }
  std::string err() const { return read_file(err_path_); }

 private:
  void poll_exit() {
    if (exit_code_ || pid_ <= 0) return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }

  pid_t pid_ = -1;
  std::string out_path_, err_path_;
  std::optional<int> exit_code_;
};

inline std::string assets_dir() { return HEARTH_ASSETS_DIR; }
inline std::string demo_home_text() { return read_file(assets_dir() + "/homes/demo.json"); }

// Sets the initial state of device `id` in a home file's text (one device per
// line, as the demo home is written), checking it started as `from`.
inline void set_initial_state(std::string& home, const std::string& id, const std::string& from,
                              const std::string& to) {
  const size_t at = home.find("\"id\": \"" + id + "\"");
  ASSERT_NE(at, std::string::npos) << id;
  const std::string key = "\"state\": \"" + from + "\"";
  const size_t state = home.find(key, at);
  ASSERT_LT(state, home.find('\n', at)) << id << " does not start " << from;
  home.replace(state, key.size(), "\"state\": \"" + to + "\"");
}

// The wake-word recordings of one split ("train", "val" or "test") of `dir`,
// as tools/wakeword/split.py under `source_dir` assigns them; empty on failure.
inline std::vector<std::string> wakeword_split(const std::string& source_dir, const std::string& which,
                                               const std::string& dir) {
  TempDir tmp;
  const std::string list = tmp.file("list.txt");
  const std::string cmd = "/usr/bin/python3 " + source_dir + "/tools/wakeword/split.py " + which + " " + dir + " > " + list;
  if (std::system(cmd.c_str()) != 0) return {};
  std::vector<std::string> out;
  std::ifstream in(list);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// A config for tests: the temp dir's home.json and history.db, no audio,
// small API limits. Callers add or replace keys.
inline nlohmann::json base_config() {
  return {{"home", "home.json"},
          {"db", "history.db"},
          {"log_level", "info"},
          {"api", {{"body_limit_bytes", 4096}, {"request_timeout_ms", 10000}, {"max_connections", 16}}},
          {"devices", {{"command_timeout_ms", 2000}}},
          {"audio", {{"source", "none"}}}};
}

struct CliRun {
  int code = -1;
  std::string out, err;
};

#ifdef HEARTH_CLI_PATH
// Runs the hearth CLI to completion (bounded by `deadline`) with its output
// captured in files of `dir`.
inline CliRun run_cli(const TempDir& dir, const std::vector<std::string>& args,
                      std::chrono::steady_clock::duration deadline = kExitDeadline,
                      const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> argv = {HEARTH_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p(argv, dir.file("cli.out"), dir.file("cli.err"), extra_env);
  CliRun r;
  r.code = p.wait_exit(deadline).value_or(-1);
  r.out = p.out();
  r.err = p.err();
  return r;
}
#endif

#ifdef HEARTHD_PATH
// One running hearthd in a temp directory, reached over real HTTP.
class Daemon {
 public:
  explicit Daemon(const TempDir& dir, std::string name = "hearthd") : dir_(dir), name_(std::move(name)) {}
  ~Daemon() = default;

  // Writes <name>.json (the config) and, unless `home_text` is nullopt,
  // home.json (the demo home by default) into the temp dir, starts hearthd
  // on 127.0.0.1:0 and waits for its port file.
  ::testing::AssertionResult start(const nlohmann::json& config, const std::vector<std::string>& extra_args = {},
                                   std::optional<std::string> home_text = demo_home_text(),
                                   const std::vector<std::string>& extra_env = {}) {
    if (home_text) write_file(dir_.file("home.json"), *home_text);
    write_file(dir_.file(name_ + ".json"), config.dump(2));
    std::error_code ec;
    std::filesystem::remove(port_file(), ec);
    std::vector<std::string> args = {HEARTHD_PATH, "--config", dir_.file(name_ + ".json"), "--listen",
                                     "127.0.0.1:0", "--port-file", port_file()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return start_args(args, extra_env);
  }

  // Starts hearthd with exactly these arguments (which must include
  // --port-file port_file()).
  ::testing::AssertionResult start_args(const std::vector<std::string>& args,
                                        const std::vector<std::string>& extra_env = {}) {
    process_ = std::make_unique<Process>(args, dir_.file(name_ + ".out"), dir_.file(name_ + ".err"), extra_env);
    if (process_->pid() <= 0) return ::testing::AssertionFailure() << "cannot spawn " << args[0];
    const bool up = wait_until(
        [&] {
          const std::string text = read_file(port_file());
          return (!text.empty() && text.back() == '\n') || !process_->running();
        },
        kStartDeadline);
    const std::string text = read_file(port_file());
    if (!up || text.empty() || text.back() != '\n') {
      return ::testing::AssertionFailure() << "hearthd did not write its port file; stderr:\n" << process_->err();
    }
    url_.host = "127.0.0.1";
    url_.port = std::to_string(std::stoi(text));
    return ::testing::AssertionSuccess();
  }

  std::string port_file() const { return dir_.file(name_ + ".port"); }
  const HttpUrl& url() const { return url_; }
  uint16_t port() const { return static_cast<uint16_t>(std::stoi(url_.port)); }
  Process& process() { return *process_; }

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& content_type = "application/json",
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    HttpCall call;
    call.method = method;
    call.target = target;
    call.body = body;
    call.content_type = content_type;
    call.headers = headers;
    Result<HttpReply> r = http_request(url_, call);
    EXPECT_TRUE(r) << method << " " << target << ": " << (r ? "" : r.error().message);
    return r ? *r : HttpReply{};
  }
  nlohmann::json get_json(const std::string& target, int expected_status = 200) {
    HttpReply r = request("GET", target);
    EXPECT_EQ(r.status, expected_status) << target << ": " << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  nlohmann::json post_json(const std::string& target, const nlohmann::json& body, int expected_status = 200) {
    HttpReply r = request("POST", target, body.dump());
    EXPECT_EQ(r.status, expected_status) << target << ": " << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  // A counter of /api/v1/health's "counters" object (0 when absent).
  uint64_t counter(const std::string& name) {
    nlohmann::json h = get_json("/api/v1/health");
    return h.is_object() && h.contains("counters") ? h["counters"].value(name, uint64_t{0}) : 0;
  }

  // SIGTERM, then expects a clean exit (code 0) within kExitDeadline.
  ::testing::AssertionResult stop() {
    if (!process_) return ::testing::AssertionFailure() << "not started";
    process_->signal(SIGTERM);
    std::optional<int> code = process_->wait_exit(kExitDeadline);
    if (!code) return ::testing::AssertionFailure() << "hearthd did not exit after SIGTERM";
    if (*code != 0) return ::testing::AssertionFailure() << "hearthd exited " << *code << "; stderr:\n" << process_->err();
    return ::testing::AssertionSuccess();
  }

 private:
  const TempDir& dir_;
  std::string name_;
  std::unique_ptr<Process> process_;
  HttpUrl url_;
};
#endif

}  // namespace hearth::testing
