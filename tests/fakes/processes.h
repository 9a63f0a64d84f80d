// tests/fakes/processes.h: real software as child processes for device
// tests — a mosquitto broker on a free loopback port (killable and
// restartable on the same port) and any helper executable (the z2m_sim
// Zigbee2MQTT simulator). Each child is killed in the destructor. Test-only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace hearth::test {

inline constexpr const char* kMosquittoPath = "/usr/sbin/mosquitto";

// A port that was free a moment ago on 127.0.0.1.
inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A child process; SIGKILLed (and reaped) on destruction.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { kill_now(); }

  // argv[0] is the executable path. stdout/stderr go to `log_path` if given.
  bool spawn(const std::vector<std::string>& argv, const std::string& log_path = "") {
    kill_now();
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      if (!log_path.empty()) {
        FILE* f = std::fopen(log_path.c_str(), "a");
        if (f) {
          ::dup2(fileno(f), 1);
          ::dup2(fileno(f), 2);
        }
      }
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return true;
  }

  void kill_now(int sig = SIGKILL) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// A temporary directory removed (shallowly) on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/hearth_dev_XXXXXX";
    path_ = ::mkdtemp(tmpl) ? tmpl : "/tmp";
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    if (path_ != "/tmp") (void)std::system(cmd.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// mosquitto on 127.0.0.1:<port>, anonymous, no persistence.
class MosquittoBroker {
 public:
  static bool available() { return ::access(kMosquittoPath, X_OK) == 0; }

  explicit MosquittoBroker(const std::string& dir) : dir_(dir), port_(free_loopback_port()) {
    std::ofstream conf(dir_ + "/mosquitto.conf");
    conf << "listener " << port_ << " 127.0.0.1\n"
         << "allow_anonymous true\n"
         << "persistence false\n"
         << "set_tcp_nodelay true\n"  // as a hub's broker should: Nagle adds ~40 ms per hop
         << "log_dest stderr\n"
         << "log_type error\n"
         << "log_type warning\n";
  }

  // Starts and waits (≤ 3 s) until the port accepts connections.
  bool start() {
    if (!proc_.spawn({kMosquittoPath, "-c", dir_ + "/mosquitto.conf"}, dir_ + "/mosquitto.log")) return false;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (std::chrono::steady_clock::now() < end) {
      if (port_accepts(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void kill() { proc_.kill_now(SIGKILL); }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_;
  ChildProcess proc_;
};

}  // namespace hearth::test
