// tests/integration/companion/ws_client.h: a deliberately small WebSocket
// client on raw POSIX sockets (RFC 6455), for the companion tests. Raw, so
// tests can also send what a good client never would: unmasked, binary,
// oversized or malformed frames. Every read has a deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace hearth::testing {

// A TCP connection to 127.0.0.1:`port` with TCP_NODELAY, and SO_RCVBUF when
// `rcvbuf` > 0. The connected socket, or -1.
inline int connect_loopback(uint16_t port, int rcvbuf = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct WsFrame {
  int opcode = -1;        // 1 text, 2 binary, 8 close, 9 ping, 10 pong; -1 none (timeout/closed)
  std::string payload;
  int close_code() const {
    return opcode == 8 && payload.size() >= 2
               ? (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1])
               : -1;
  }
  std::string close_reason() const { return opcode == 8 && payload.size() > 2 ? payload.substr(2) : ""; }
};

class RawWsClient {
 public:
  RawWsClient() = default;
  ~RawWsClient() { close_socket(); }
  RawWsClient(const RawWsClient&) = delete;
  RawWsClient& operator=(const RawWsClient&) = delete;

  bool connect_tcp(uint16_t port) {
    fd_ = connect_loopback(port, rcvbuf_);
    return fd_ >= 0;
  }

  // Sends the upgrade request; returns the HTTP status of the answer (101 on
  // success) and keeps the response head in `response_head`.
  int handshake(uint16_t port, const std::string& path = "/api/v1/events",
                const std::vector<std::string>& extra_headers = {}) {
    if (!connect_tcp(port)) return -1;
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    for (const std::string& h : extra_headers) req += h + "\r\n";
    req += "\r\n";
    if (!send_all(req)) return -1;
    // Read the head byte by byte up to the blank line, so no frame bytes are eaten.
    response_head.clear();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (response_head.size() < 16384 && response_head.find("\r\n\r\n") == std::string::npos) {
      char c;
      if (!recv_exact(&c, 1, deadline)) break;
      response_head += c;
    }
    if (response_head.size() < 12) return -1;
    return std::atoi(response_head.substr(9, 3).c_str());
  }

  bool send_frame(int opcode, const std::string& payload, bool mask = true, bool fin = true) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f));
    const uint64_t n = payload.size();
    const char mask_bit = mask ? static_cast<char>(0x80) : 0;
    if (n < 126) {
      f += static_cast<char>(mask_bit | static_cast<char>(n));
    } else if (n < 65536) {
      f += static_cast<char>(mask_bit | 126);
      f += static_cast<char>(n >> 8);
      f += static_cast<char>(n & 0xff);
    } else {
      f += static_cast<char>(mask_bit | 127);
      for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
    }
    std::string body = payload;
    if (mask) {
      unsigned char key[4];
      for (unsigned char& k : key) k = static_cast<unsigned char>(rng_());
      f.append(reinterpret_cast<char*>(key), 4);
      for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(body[i] ^ key[i % 4]);
    }
    return send_all(f + body);
  }
  bool send_text(const std::string& text) { return send_frame(1, text); }
  bool send_raw(const std::string& bytes) { return send_all(bytes); }

  // The next frame within `timeout`; pings are answered and skipped.
  WsFrame read_frame(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      WsFrame f;
      unsigned char h[2];
      if (!recv_exact(reinterpret_cast<char*>(h), 2, deadline)) return f;
      uint64_t n = h[1] & 0x7f;
      if (n == 126) {
        unsigned char e[2];
        if (!recv_exact(reinterpret_cast<char*>(e), 2, deadline)) return f;
        n = (e[0] << 8) | e[1];
      } else if (n == 127) {
        unsigned char e[8];
        if (!recv_exact(reinterpret_cast<char*>(e), 8, deadline)) return f;
        n = 0;
        for (unsigned char b : e) n = (n << 8) | b;
      }
      if (n > (64u << 20)) return f;
      std::string payload(n, '\0');
      if (n > 0 && !recv_exact(payload.data(), n, deadline)) return f;
      const int opcode = h[0] & 0x0f;
      if (opcode == 9) {
        send_frame(10, payload);
        continue;
      }
      f.opcode = opcode;
      f.payload = std::move(payload);
      return f;
    }
  }

  // Reads until a text message arrives (skipping nothing else); nullopt when
  // a close frame, a timeout or the end of the stream came first.
  std::optional<std::string> read_text(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    WsFrame f = read_frame(timeout);
    last_frame = f;
    if (f.opcode != 1) return std::nullopt;
    return f.payload;
  }

  // True when the peer closed the TCP stream (or sent a close frame) within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout, WsFrame* close_frame = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      WsFrame f = read_frame(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (f.opcode == 8) {
        if (close_frame) *close_frame = f;
        return true;
      }
      if (f.opcode == -1) return eof_;
    }
    return false;
  }

  // Applied before connecting (the TCP window is agreed at connect time).
  void set_receive_buffer(int bytes) { rcvbuf_ = bytes; }

  void close_socket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }
  bool eof() const { return eof_; }

  std::string response_head;
  WsFrame last_frame;

 private:
  bool send_all(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  bool recv_exact(char* out, size_t n, std::chrono::steady_clock::time_point deadline) {
    size_t got = 0;
    while (got < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      ssize_t r = ::recv(fd_, out + got, n - got, 0);
      if (r <= 0) {
        eof_ = true;
        return false;
      }
      got += static_cast<size_t>(r);
    }
    return true;
  }

  int fd_ = -1;
  int rcvbuf_ = 0;
  bool eof_ = false;
  std::mt19937 rng_{12345};
};

}  // namespace hearth::testing
