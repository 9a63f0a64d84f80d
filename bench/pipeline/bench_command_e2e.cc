// bench_command_e2e: typed-command latency through the real daemon. Starts
// `hearthd` on the demo home (loopback, port 0, a temporary database), sends
// POST /api/v1/command over one keep-alive HTTP connection and reports the
// client-observed latency (request written → response read: parse, device
// actions, history write queued) and the daemon's own latency_ms.
// Usage: bench_command_e2e [n_commands]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

using SteadyClock = std::chrono::steady_clock;

namespace {

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one HTTP/1.1 response with a Content-Length body; returns the body.
bool read_response(int fd, std::string& buf, std::string* body, int* status) {
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[8192];
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  std::string head = buf.substr(0, header_end);
  *status = std::atoi(head.c_str() + 9);
  size_t len = 0;
  for (const char* key : {"Content-Length:", "content-length:"}) {
    size_t p = head.find(key);
    if (p != std::string::npos) len = std::strtoul(head.c_str() + p + std::strlen(key), nullptr, 10);
  }
  while (buf.size() < header_end + 4 + len) {
    char tmp[8192];
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  *body = buf.substr(header_end + 4, len);
  buf.erase(0, header_end + 4 + len);
  return true;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const int n_commands = argc > 1 ? std::atoi(argv[1]) : 2000;
  char dir_tmpl[] = "/tmp/hearth-bench-XXXXXX";
  const char* dir = ::mkdtemp(dir_tmpl);
  if (!dir) return 1;
  const std::string port_file = std::string(dir) + "/port";
  const std::string db = std::string(dir) + "/history.db";

  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(HEARTHD_PATH, HEARTHD_PATH, "--listen", "127.0.0.1:0", "--port-file", port_file.c_str(), "--db",
            db.c_str(), "--log-level", "warn", static_cast<char*>(nullptr));
    std::perror("exec hearthd");
    _exit(127);
  }
  int port = 0;
  for (auto deadline = SteadyClock::now() + std::chrono::seconds(20); SteadyClock::now() < deadline;) {
    std::ifstream in(port_file);
    if (in >> port && port > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port <= 0) {
    std::fprintf(stderr, "bench_command_e2e: hearthd did not start\n");
    ::kill(pid, SIGKILL);
    return 1;
  }

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("connect");
    ::kill(pid, SIGKILL);
    return 1;
  }

  const char* texts[] = {"turn on the kitchen lights", "turn off the kitchen lights",
                         "set the floor lamp to 40 percent", "lock the front door",
                         "open the living room blinds", "what's the temperature in the living room",
                         "turn off all the lights upstairs", "pause the tv"};
  std::vector<double> client_ms, server_ms;
  std::string buf;
  int failures = 0;
  auto t0 = SteadyClock::now();
  for (int i = 0; i < n_commands; ++i) {
    std::string body = nlohmann::json{{"text", texts[i % 8]}}.dump();
    std::string req = "POST /api/v1/command HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto a = SteadyClock::now();
    std::string resp;
    int status = 0;
    if (!send_all(fd, req) || !read_response(fd, buf, &resp, &status)) {
      std::fprintf(stderr, "bench_command_e2e: connection lost at command %d\n", i);
      failures++;
      break;
    }
    auto b = SteadyClock::now();
    client_ms.push_back(std::chrono::duration<double, std::milli>(b - a).count());
    if (status != 200) {
      failures++;
      continue;
    }
    auto j = nlohmann::json::parse(resp, nullptr, false);
    if (j.is_object() && j.contains("latency_ms")) server_ms.push_back(j["latency_ms"].get<double>());
  }
  const double total_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  // What the history writer kept up with: every command must be recorded
  // (after a short drain), none dropped.
  nlohmann::json history;
  for (auto deadline = SteadyClock::now() + std::chrono::seconds(30); SteadyClock::now() < deadline;) {
    std::string resp;
    int status = 0;
    if (!send_all(fd, "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") ||
        !read_response(fd, buf, &resp, &status))
      break;
    auto j = nlohmann::json::parse(resp, nullptr, false);
    if (!j.is_object() || !j.contains("history_detail")) break;
    history = j["history_detail"];
    if (history.value("queued", 0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::close(fd);
  ::kill(pid, SIGTERM);
  int st = 0;
  ::waitpid(pid, &st, 0);
  std::string rm = std::string("rm -rf ") + dir;
  if (std::system(rm.c_str()) != 0) std::fprintf(stderr, "bench_command_e2e: could not remove %s\n", dir);

  if (client_ms.empty()) return 1;
  std::printf("bench_command_e2e: %zu commands over one keep-alive connection, demo home, virtual devices\n",
              client_ms.size());
  std::printf("| metric | value |\n|---|---|\n");
  std::printf("| client p50 | %.3f ms |\n| client p99 | %.3f ms |\n| client max | %.3f ms |\n", pct(client_ms, 0.5),
              pct(client_ms, 0.99), pct(client_ms, 1.0));
  if (!server_ms.empty())
    std::printf("| daemon latency_ms p50 | %.3f ms |\n| daemon latency_ms p99 | %.3f ms |\n", pct(server_ms, 0.5),
                pct(server_ms, 0.99));
  std::printf("| throughput | %.0f commands/s |\n| non-200 responses | %d |\n", client_ms.size() / total_s, failures);
  if (history.is_object())
    std::printf("| history commands written | %lld |\n| history writes dropped | %lld |\n",
                static_cast<long long>(history.value("commands_written", 0)),
                static_cast<long long>(history.value("dropped", 0)));
  std::printf("| hearthd exit | %d |\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return failures ? 1 : 0;
}
